//! The one masking step between the input and any report: no credential read from the input
//! is ever printed.
//!
//! Every reporter renders from a [`Masked`] view of the [`ScanResult`] and never from the
//! result itself: [`Masked::new`] is the only way to get one, and it masks
//! - finding messages, remediations, suppression reasons and load-error messages with
//!   [`mask_text`] (URL passwords, `password=...` assignments, well-known token formats);
//! - load errors that point into a masked value (a wrong-typed env `value` quotes it);
//! - source lines ([`Masked::snippet`], the only way to a line of the input): every scalar
//!   under a Secret's `data`/`stringData`, every value the secrets detector
//!   (`kubeward_rules::secrets::detect`) would flag (values of credential-named keys, env
//!   `{name, value}` pairs with a credential name, values holding a known token format or a
//!   credential line), the `last-applied-configuration` annotation (a copy of the object), and
//!   [`mask_text`] on the whole line. Values are found on the document tree and their extent
//!   is read from the source text; when the extent cannot be known exactly, the rest of the
//!   line is masked (over-masking is the safe side). A masked value shows as `****`; keys
//!   and quotes stay.
//!
//! Long source lines (a one-line JSON List) are cut to a window around the finding's column.

use crate::{ScanResult, Suppressed};
use kubeward_model::{LoadError, Node, Object, Snapshot, Source, Value};
use kubeward_rules::filter::SuppressionReason;
use kubeward_rules::secrets::detect;
use kubeward_rules::Finding;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

/// What a masked value is replaced with.
pub const MASK: &str = "****";

/// Source lines longer than this many characters are shown as a window around the column.
const MAX_LINE_CHARS: usize = 200;

/// Masks credentials in free text: the password of URL user info (`scheme://user:****@`),
/// `key=value` assignments whose key names a credential (`Password=****;`,
/// `--db-password=****`), `key: value` configuration lines, and well-known token formats.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    if !detect::may_hold_credential(text) {
        return Cow::Borrowed(text);
    }
    let ranges = text_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(apply(text, &ranges, None).0)
}

/// A suppression reason with [`mask_text`] applied to the text it carries from the input
/// (the `ignore-reason` annotation, a namespace name); `None` when nothing is masked.
fn mask_reason(reason: &SuppressionReason) -> Option<SuppressionReason> {
    let masked = |t: &str| match mask_text(t) {
        Cow::Owned(m) => Some(m),
        Cow::Borrowed(_) => None,
    };
    match reason {
        SuppressionReason::Annotation { reason: Some(r) } => {
            masked(r).map(|r| SuppressionReason::Annotation { reason: Some(r) })
        }
        SuppressionReason::ExcludedNamespace(ns) => {
            masked(ns).map(SuppressionReason::ExcludedNamespace)
        }
        SuppressionReason::Merged { reason, primary } => {
            mask_reason(reason).map(|r| SuppressionReason::Merged {
                reason: Box::new(r),
                primary,
            })
        }
        SuppressionReason::Annotation { reason: None } | SuppressionReason::Baseline => None,
    }
}

/// Byte ranges of `text` that [`mask_text`] masks (unsorted, may overlap).
fn text_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    url_passwords(text, &mut out);
    assignments(text, &mut out);
    // known token formats, every occurrence
    let mut from = 0;
    while from < text.len() {
        let rest = &text[from..];
        let Some((_, m)) = detect::known_secret(rest) else {
            break;
        };
        let start = from + offset_in(rest, m);
        let end = start + m.len();
        out.push(start..end);
        from = end.max(start + 1);
        while from < text.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    if text.contains("Secret") {
        flow_data(text, &mut out);
    }
    for line in text.split('\n') {
        if let Some((_, value)) = detect::config_assignment(line) {
            let start = offset_in(text, value);
            out.push(start..start + value.len());
        }
    }
    out
}

/// The values of every flow mapping after a `data` or `stringData` key (`"data":{"k":"v"}`,
/// `stringData: {k: v}`), for text that mentions a Secret: a document that did not load as
/// an object (no `apiVersion`) is not on the tree, but its text may share a line with one.
fn flow_data(text: &str, out: &mut Vec<Range<usize>>) {
    let b = text.as_bytes();
    for key in ["data", "stringData"] {
        for (at, _) in text.match_indices(key) {
            let before = at.checked_sub(1).map(|i| b[i]);
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                continue;
            }
            let mut i = at + key.len();
            if b.get(i) == Some(&b'"') || b.get(i) == Some(&b'\'') {
                i += 1;
            }
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if b.get(i) != Some(&b':') {
                continue;
            }
            i += 1;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if b.get(i) != Some(&b'{') {
                continue;
            }
            flow_values(b, i + 1, out);
        }
    }
}

/// Masks the values of the flow mapping whose content starts at `i` (after its `{`), up to
/// its closing brace; nested collections are masked whole.
fn flow_values(b: &[u8], mut i: usize, out: &mut Vec<Range<usize>>) {
    let mut value_start: Option<usize> = None;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                let s = i;
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' && q == b'"' { 2 } else { 1 };
                }
                if value_start.is_some() {
                    out.push(s + 1..i.min(b.len()));
                    value_start = None;
                }
            }
            b':' if value_start.is_none() => value_start = Some(i + 1),
            b'{' | b'[' if value_start.is_some() => {
                // a nested value: mask to its matching bracket
                let s = i;
                let mut depth = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                out.push(s..(i + 1).min(b.len()));
                value_start = None;
            }
            b',' | b'}' | b'\n' => {
                if let Some(s) = value_start.take() {
                    let s = s + b[s..i].iter().take_while(|c| **c == b' ').count();
                    if i > s {
                        out.push(s..i);
                    }
                }
                if b[i] == b'}' {
                    return;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Offset of `part` (a subslice of `whole`) in `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// `scheme://user:PASSWORD@host`: the password, for every URL of the text.
fn url_passwords(text: &str, out: &mut Vec<Range<usize>>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text[from..].find("://") {
        let auth_start = from + off + 3;
        let mut end = auth_start;
        while end < b.len() && !b"/?# \t\"'<>\\`,;".contains(&b[end]) {
            end += 1;
        }
        let authority = &text[auth_start..end];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                let (s, e) = (auth_start + colon + 1, auth_start + at);
                if e > s {
                    out.push(s..e);
                }
            }
        }
        from = auth_start;
    }
}

/// `key=value` where the key names a credential (`Password=x;`, `PGPASSWORD=x`,
/// `--client-secret=x`, `?token=x&`): the value, up to `;`, `&`, a quote or white space.
fn assignments(text: &str, out: &mut Vec<Range<usize>>) {
    let b = text.as_bytes();
    for (eq, _) in text.match_indices('=') {
        let key_word = |c: u8| c.is_ascii_alphanumeric() || b"_-.".contains(&c);
        let mut k = eq;
        while k > 0 && key_word(b[k - 1]) {
            k -= 1;
        }
        // `User Id=...;Password=...`: a space inside a connection-string key
        let key = text[k..eq].trim_start_matches('-');
        if key.is_empty() || !detect::credential_name(key) {
            continue;
        }
        let mut s = eq + 1;
        while s < b.len() && b[s] == b' ' {
            s += 1;
        }
        let quoted = s < b.len() && (b[s] == b'"' || b[s] == b'\'');
        if quoted {
            s += 1;
        }
        let mut e = s;
        while e < b.len() && !b";&\"'\t\r\n ,".contains(&b[e]) {
            e += 1;
        }
        if e > s {
            out.push(s..e);
        }
    }
}

/// Replaces `ranges` of `text` with [`MASK`]; returns the text and where byte offset `keep`
/// (a column to follow) ends up.
fn apply(text: &str, ranges: &[Range<usize>], keep: Option<usize>) -> (String, Option<usize>) {
    let mut rs: Vec<Range<usize>> = ranges
        .iter()
        .filter(|r| r.start < r.end && r.end <= text.len())
        .cloned()
        .collect();
    rs.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in rs {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut kept = keep.map(|k| k.min(text.len()));
    let mut new_keep = None;
    let mut at = 0;
    for r in &merged {
        let (s, e) = (floor(text, r.start), ceil(text, r.end));
        if s < at {
            continue;
        }
        if let Some(k) = kept {
            if k < s {
                new_keep = Some(out.len() + (k - at));
                kept = None;
            } else if k < e {
                new_keep = Some(out.len() + (s - at));
                kept = None;
            }
        }
        out.push_str(&text[at..s]);
        out.push_str(MASK);
        at = e;
    }
    if let Some(k) = kept {
        new_keep = Some(out.len() + k.saturating_sub(at));
    }
    out.push_str(&text[at..]);
    (out, new_keep)
}

fn floor(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// A source line ready to print: masked, cut to a window when long, and the character
/// column (1-based) of the finding in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub line: String,
    pub column: u32,
}

/// (line start, object id) of each source's objects, sorted.
type ObjectsBySource = HashMap<u32, Vec<(u32, u32)>>;
/// Masked byte ranges by (source, line).
type LineMasks = HashMap<(u32, u32), Vec<Range<usize>>>;

/// The scan result as reporters see it: masked findings, suppressions and errors, and
/// masked source lines (see the module documentation).
pub struct Masked<'r, 'a> {
    result: &'r ScanResult<'a>,
    pub findings: Cow<'r, [Finding]>,
    pub suppressed: Cow<'r, [Suppressed]>,
    pub errors: Cow<'r, [LoadError]>,
    /// Objects of each source, sorted by start position (built on first use).
    by_source: RefCell<Option<ObjectsBySource>>,
    /// Masked byte ranges of each (source, line), relative to the line start.
    lines: RefCell<LineMasks>,
    /// Indices of `Snapshot::duplicates` by object (built on first use).
    dups: std::cell::OnceCell<HashMap<u32, Vec<usize>>>,
    /// The byte ranges repeated keys hide, per object: sorted, disjoint, merged (built once
    /// per object, so 10^5 repeats cost one pass, not one pass per reported line).
    hidden: RefCell<HashMap<u32, std::rc::Rc<Vec<Range<usize>>>>>,
}

impl<'r, 'a> Masked<'r, 'a> {
    /// Masks `result`; cheap when there is nothing to mask (the usual case).
    pub fn new(result: &'r ScanResult<'a>) -> Self {
        let finding = |f: &Finding| -> Option<Finding> {
            let m = mask_text(&f.message);
            let r = mask_text(&f.remediation);
            let facets_clean = f
                .facets
                .iter()
                .all(|x| matches!(mask_text(&x.message), Cow::Borrowed(_)));
            if facets_clean && matches!((&m, &r), (Cow::Borrowed(_), Cow::Borrowed(_))) {
                return None;
            }
            let mut g = f.clone();
            g.message = m.into_owned();
            g.remediation = r.into_owned();
            for x in &mut g.facets {
                x.message = mask_text(&x.message).into_owned();
            }
            Some(g)
        };
        let findings = masked_slice(result.findings, |f| finding(f));
        let suppressed = masked_slice(result.suppressed, |s| {
            let f = finding(&s.finding);
            let reason = mask_reason(&s.reason);
            if f.is_none() && reason.is_none() {
                return None;
            }
            Some(Suppressed {
                finding: f.unwrap_or_else(|| s.finding.clone()),
                reason: reason.unwrap_or_else(|| s.reason.clone()),
            })
        });
        let mut m = Masked {
            result,
            findings,
            suppressed,
            errors: Cow::Borrowed(&[]),
            by_source: RefCell::new(None),
            lines: RefCell::new(HashMap::new()),
            dups: std::cell::OnceCell::new(),
            hidden: RefCell::new(HashMap::new()),
        };
        let errors = &result.snapshot.errors;
        let changed = (errors.iter().enumerate())
            .filter_map(|(i, e)| m.mask_error(e).map(|n| (i, n)))
            .collect();
        let errors = replaced(errors, changed);
        m.errors = errors;
        m
    }

    /// The result these views were made from (for counts and object identities).
    pub fn result(&self) -> &'r ScanResult<'a> {
        self.result
    }

    /// The snapshot (objects and positions; its source text is read only through
    /// [`Masked::snippet`]).
    pub fn snapshot(&self) -> &'a Snapshot {
        self.result.snapshot
    }

    /// The masked source line a finding points at.
    pub fn snippet(&self, f: &Finding) -> Option<Snippet> {
        let src_id = self.source_id_of(f)?;
        self.line(src_id, f.location.line, f.location.column)
    }

    /// The masked 1-based `line` of source `src_id`, with `column` followed.
    pub fn line(&self, src_id: u32, line: u32, column: u32) -> Option<Snippet> {
        let src = self.result.snapshot.sources.get(src_id as usize)?;
        let text = src.line(line)?;
        let ranges = self.ranges(src_id, src, line, text);
        // the column as a byte offset
        let col = column.max(1) as usize;
        let keep = text
            .char_indices()
            .nth(col - 1)
            .map(|(i, _)| i)
            .unwrap_or(text.len() + (col - 1).saturating_sub(text.chars().count()));
        let (masked, keep) = apply(text, &ranges, Some(keep.min(text.len())));
        let beyond = (col - 1).saturating_sub(text.chars().count());
        let keep = keep.unwrap_or(masked.len());
        let mut column = masked[..keep.min(masked.len())].chars().count() + beyond + 1;
        let chars = masked.chars().count();
        if chars <= MAX_LINE_CHARS {
            return Some(Snippet {
                line: masked,
                column: column as u32,
            });
        }
        // a window of MAX_LINE_CHARS characters around the column
        let start = column.saturating_sub(MAX_LINE_CHARS / 3 + 1).min(chars);
        let end = (start + MAX_LINE_CHARS).min(chars);
        let mut window: String = masked.chars().skip(start).take(end - start).collect();
        if start > 0 {
            window.insert(0, '…');
            column = column - start + 1;
        }
        if end < chars {
            window.push('…');
        }
        Some(Snippet {
            line: window,
            column: column as u32,
        })
    }

    fn source_id_of(&self, f: &Finding) -> Option<u32> {
        let snap = self.result.snapshot;
        if let Some(obj) = self.result.object_of(f) {
            if snap.sources.get(obj.source as usize)?.name == f.location.file {
                return Some(obj.source);
            }
        }
        snap.sources
            .iter()
            .position(|s| s.name == f.location.file)
            .map(|i| i as u32)
    }

    /// A load error pointing into a masked value quotes no part of it.
    fn mask_error(&self, e: &LoadError) -> Option<LoadError> {
        let mut message = mask_text(&e.message).into_owned();
        let snap = self.result.snapshot;
        let src = snap.sources.iter().position(|s| s.name == e.file);
        let inside = src.is_some_and(|i| {
            let i = i as u32;
            let Some(text) = snap.sources[i as usize].line(e.line) else {
                return false;
            };
            let ranges = self.ranges(i, &snap.sources[i as usize], e.line, text);
            let col = text
                .char_indices()
                .nth(e.column.max(1) as usize - 1)
                .map_or(text.len(), |(b, _)| b);
            // the value starts at the column (or right after its opening quote)
            ranges
                .iter()
                .any(|r| r.start <= col + 1 && col < r.end.max(r.start + 1))
        });
        if inside {
            // `...: expected a string, found an integer ("12345678")`
            if let Some(p) = message.rfind(" (") {
                if message.ends_with(')') {
                    message.truncate(p);
                    message.push_str(" (");
                    message.push_str(MASK);
                    message.push(')');
                }
            }
        }
        (message != e.message).then(|| LoadError {
            message,
            ..e.clone()
        })
    }

    /// Masked byte ranges of one line (relative to its start), cached.
    fn ranges(&self, src_id: u32, src: &Source, line: u32, text: &str) -> Vec<Range<usize>> {
        if let Some(r) = self.lines.borrow().get(&(src_id, line)) {
            return r.clone();
        }
        let line_start = offset_in(&src.text, text);
        let line_end = line_start + text.len();
        let mut out: Vec<Range<usize>> = Vec::new();
        for obj in self.candidates(src_id, line) {
            let mut w = Walker {
                text: &src.text,
                src,
                line,
                out: &mut out,
            };
            w.object(obj);
            let dups = self.dups.get_or_init(|| {
                let mut m: HashMap<u32, Vec<usize>> = HashMap::new();
                for (i, d) in self.result.snapshot.duplicates.iter().enumerate() {
                    m.entry(d.object).or_default().push(i);
                }
                m
            });
            if let Some(ids) = dups.get(&obj.id) {
                let merged = self
                    .hidden
                    .borrow_mut()
                    .entry(obj.id)
                    .or_insert_with(|| {
                        let mut v = Vec::new();
                        hidden_values(self.result.snapshot, ids, src, &mut v);
                        std::rc::Rc::new(merge_ranges(v))
                    })
                    .clone();
                // only the merged ranges that reach this line
                let from = merged.partition_point(|r| r.end <= line_start);
                out.extend(
                    merged[from..]
                        .iter()
                        .take_while(|r| r.start < line_end)
                        .cloned(),
                );
            }
        }
        let mut rel: Vec<Range<usize>> = out
            .into_iter()
            .filter(|r| r.start < line_end && r.end > line_start)
            .map(|r| r.start.max(line_start) - line_start..r.end.min(line_end) - line_start)
            .collect();
        rel.extend(text_ranges(text));
        self.lines.borrow_mut().insert((src_id, line), rel.clone());
        rel
    }

    /// Objects of a source whose text may include `line`: those starting at or before it
    /// whose successor starts at or after it.
    fn candidates(&self, src_id: u32, line: u32) -> Vec<&'a Object> {
        let snap = self.result.snapshot;
        let mut cache = self.by_source.borrow_mut();
        let map = cache.get_or_insert_with(|| {
            let mut m: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
            for o in &snap.objects {
                m.entry(o.source).or_default().push((o.root.pos.line, o.id));
            }
            for v in m.values_mut() {
                v.sort_by_key(|&(l, id)| (l, snap.objects[id as usize].root.pos.col));
            }
            m
        });
        let Some(list) = map.get(&src_id) else {
            return Vec::new();
        };
        let upto = list.partition_point(|&(l, _)| l <= line);
        let mut out = Vec::new();
        let mut i = upto;
        while i > 0 {
            i -= 1;
            let next = list.get(i + 1).map(|&(l, _)| l);
            if next.is_some_and(|n| n < line) {
                break;
            }
            out.push(snap.object(list[i].1));
        }
        out
    }
}

/// The values that repeated keys of `obj` hide are not on the tree: from the first key's `:`
/// to the repeat, everything is masked (duplicates are input errors; over-masking them is
/// the safe side).
fn hidden_values(snap: &Snapshot, ids: &[usize], src: &Source, out: &mut Vec<Range<usize>>) {
    let offset = |pos: kubeward_model::Pos| -> Option<usize> {
        let line = src.line(pos.line)?;
        let col = pos.col.max(1) as usize - 1;
        let within = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        Some(offset_in(&src.text, line) + within)
    };
    for d in ids.iter().filter_map(|&i| snap.duplicates.get(i)) {
        let (Some(first), Some(second)) = (offset(d.first), offset(d.second)) else {
            continue;
        };
        if second <= first {
            continue;
        }
        let key_end = src.text[first..second]
            .find(':')
            .map_or(first, |i| first + i + 1);
        out.push(key_end..second);
    }
}

/// Sorts ranges and merges the overlapping or touching ones.
fn merge_ranges(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// `items` with the masked ones replaced; borrowed when none changes. Large slices are
/// checked on every core (a scan of every message costs about 0.3 µs).
fn masked_slice<'r, T: Clone + Send + Sync>(
    items: &'r [T],
    f: impl Fn(&T) -> Option<T> + Sync,
) -> Cow<'r, [T]> {
    use rayon::prelude::*;
    let changed: Vec<(usize, T)> = if items.len() >= 20_000 {
        items
            .par_iter()
            .enumerate()
            .filter_map(|(i, x)| f(x).map(|n| (i, n)))
            .collect()
    } else {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| f(x).map(|n| (i, n)))
            .collect()
    };
    replaced(items, changed)
}

/// `items` with `changed` (index, new item) applied; borrowed when there is none.
fn replaced<T: Clone>(items: &[T], changed: Vec<(usize, T)>) -> Cow<'_, [T]> {
    if changed.is_empty() {
        return Cow::Borrowed(items);
    }
    let mut owned = items.to_vec();
    for (i, n) in changed {
        owned[i] = n;
    }
    Cow::Owned(owned)
}

/// Walks an object's tree for values to mask that may touch one line.
struct Walker<'w> {
    text: &'w str,
    src: &'w Source,
    line: u32,
    out: &'w mut Vec<Range<usize>>,
}

impl Walker<'_> {
    fn object(&mut self, obj: &Object) {
        self.node(&obj.root, None, false, 0);
    }

    /// `whole`: mask every scalar below (a Secret's data).
    fn node(&mut self, n: &Node, key_col: Option<u32>, whole: bool, depth: usize) {
        if n.pos.line > self.line || depth > 64 {
            return;
        }
        match &n.value {
            Value::Map(entries) => {
                let flow = self.char_at(n.pos) == Some('{');
                // env-style `{name: DB_PASSWORD, value: x}`
                let named_credential = n
                    .get("name")
                    .and_then(Node::as_str)
                    .is_some_and(detect::credential_name);
                for (i, e) in entries.iter().enumerate() {
                    if e.key_pos.line > self.line {
                        break;
                    }
                    // a value that ends before the next key's line cannot touch the line
                    if entries
                        .get(i + 1)
                        .is_some_and(|next| next.key_pos.line < self.line)
                    {
                        continue;
                    }
                    let k = e.key.as_str();
                    let secret = whole
                        || (depth == 0 && (k == "data" || k == "stringData") && whole_secret(n));
                    let mask_all = secret
                        || detect::credential_name(k)
                        || CONFIG_CREDENTIAL_KEYS.contains(&k)
                        || (named_credential && k == "value")
                        || k == "kubectl.kubernetes.io/last-applied-configuration";
                    self.value(&e.value, Some(e.key_pos.col), flow, mask_all, secret, depth);
                    if (k == "command" || k == "args") && !mask_all {
                        self.argv_items(n, k, &e.value, e.key_pos.col);
                    }
                }
            }
            Value::Seq(items) => {
                let flow = self.char_at(n.pos) == Some('[');
                for (i, it) in items.iter().enumerate() {
                    if it.pos.line > self.line {
                        break;
                    }
                    if items
                        .get(i + 1)
                        .is_some_and(|next| next.pos.line < self.line)
                    {
                        continue;
                    }
                    self.value(it, key_col, flow, whole, whole, depth);
                }
            }
            _ => {}
        }
    }

    /// The items of a container's `command` or `args` (or an exec `command`) that hold a
    /// credential as the `secret-in-command` rule finds it (`-pSECRET`, `--password x`,
    /// `PGPASSWORD=x` in a script): the whole item is masked. `command` and `args` of one
    /// container are read as one command line.
    fn argv_items(&mut self, container: &Node, key: &str, list: &Node, key_col: u32) {
        let Value::Seq(items) = &list.value else {
            return;
        };
        let strings = |n: Option<&Node>| -> Vec<String> {
            n.map(Node::items)
                .unwrap_or(&[])
                .iter()
                .map(|i| i.as_str().unwrap_or("").to_string())
                .collect()
        };
        // the command's items come first in the combined argv
        let command = strings(container.get("command"));
        let args = strings(container.get("args"));
        let offset = if key == "args" { command.len() } else { 0 };
        let argv: Vec<&str> = command.iter().chain(&args).map(String::as_str).collect();
        let flow = self.char_at(list.pos) == Some('[');
        for hit in detect::command_secrets(&argv) {
            let Some(i) = hit.item.checked_sub(offset) else {
                continue;
            };
            if let Some(item) = items.get(i) {
                if item.pos.line <= self.line {
                    self.scalar(item, Some(key_col), flow);
                }
            }
        }
    }

    /// `mask`: mask this value; `whole_value`: it is a Secret's data (booleans too).
    fn value(
        &mut self,
        n: &Node,
        key_col: Option<u32>,
        flow: bool,
        mask: bool,
        whole_value: bool,
        depth: usize,
    ) {
        match &n.value {
            Value::Map(_) | Value::Seq(_) => self.node(n, key_col, mask, depth + 1),
            Value::Null if !mask => {}
            Value::Str(s) if !mask => {
                let flagged = match detect::known_secret(s) {
                    // a URL's password alone, when masking the line hides it (the rest of the
                    // URL stays readable)
                    Some((_, pw)) if detect::url_password(s) == Some(pw) => {
                        let line = self.src.line(n.pos.line).unwrap_or("");
                        s.contains('\n') || mask_text(line).contains(pw)
                    }
                    Some(_) => true,
                    None => s.contains('\n') && !detect::scan_text(s).is_empty(),
                };
                if flagged {
                    self.scalar(n, key_col, flow);
                }
            }
            // a switch is no secret (`automountServiceAccountToken: false`)
            Value::Bool(_) if !whole_value => {}
            _ if mask => self.scalar(n, key_col, flow),
            _ => {}
        }
    }

    /// Masks the text of a scalar node.
    fn scalar(&mut self, n: &Node, key_col: Option<u32>, flow: bool) {
        let Some(start) = self.offset(n.pos) else {
            return;
        };
        let text = self.text;
        let b = text.as_bytes();
        let mut s = start;
        // anchors and tags before the value
        while s < b.len() && (b[s] == b'&' || b[s] == b'!') {
            while s < b.len() && !b" \t\r\n".contains(&b[s]) {
                s += 1;
            }
            while s < b.len() && b[s] == b' ' {
                s += 1;
            }
        }
        let line_end = |i: usize| memchr_nl(b, i);
        let indent_limit = key_col
            .map(|c| c as usize - 1)
            .unwrap_or_else(|| indent(text, s));
        match b.get(s) {
            None => {}
            Some(b'"') => {
                let mut e = s + 1;
                while e < b.len() && b[e] != b'"' {
                    e += if b[e] == b'\\' { 2 } else { 1 };
                }
                self.out.push(s + 1..e.min(b.len()));
            }
            Some(b'\'') => {
                let mut e = s + 1;
                while e < b.len() {
                    if b[e] == b'\'' {
                        if b.get(e + 1) == Some(&b'\'') {
                            e += 2;
                            continue;
                        }
                        break;
                    }
                    e += 1;
                }
                self.out.push(s + 1..e.min(b.len()));
            }
            Some(b'|' | b'>') => {
                let e = continuation(text, line_end(s), indent_limit);
                self.out.push(s + 1..e);
            }
            Some(_) if flow => {
                let mut e = s;
                while e < b.len() && !b",]}".contains(&b[e]) {
                    e += 1;
                }
                self.out.push(s..e);
            }
            Some(_) => {
                let first = line_end(s);
                let e = continuation(text, first, indent_limit);
                self.out.push(s..e);
            }
        }
    }

    fn offset(&self, pos: kubeward_model::Pos) -> Option<usize> {
        let line = self.src.line(pos.line)?;
        let start = offset_in(self.text, line);
        let col = pos.col.max(1) as usize - 1;
        let within = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        Some(start + within)
    }

    fn char_at(&self, pos: kubeward_model::Pos) -> Option<char> {
        let off = self.offset(pos)?;
        self.text.get(off..)?.chars().next()
    }
}

/// Keys of configuration files whose values are credentials although their names do not
/// read as one to the detector: a kubeconfig user's private key (`client-key-data`, kubeadm's
/// `admin.conf`). Tokens, passwords and `auth-provider` secrets are masked by name.
const CONFIG_CREDENTIAL_KEYS: &[&str] = &["client-key-data"];

/// A Secret's `data`/`stringData` are masked whole (`n` is the Secret's root).
fn whole_secret(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_str) == Some("Secret")
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from.min(b.len())..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// Leading spaces of the line holding byte `at`.
fn indent(text: &str, at: usize) -> usize {
    let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    text[start..].bytes().take_while(|&c| c == b' ').count()
}

/// From the end of a value's first line, the end of the lines that continue it: blank lines
/// and lines indented more than `limit` columns.
fn continuation(text: &str, first_end: usize, limit: usize) -> usize {
    let b = text.as_bytes();
    let mut end = first_end;
    let mut at = first_end;
    while at < b.len() {
        let start = at + 1;
        let stop = memchr_nl(b, start);
        let line = &text[start.min(text.len())..stop];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let ind = line.bytes().take_while(|&c| c == b' ').count();
        if line.trim().is_empty() {
            at = stop;
            continue;
        }
        if ind <= limit {
            break;
        }
        end = stop;
        at = stop;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_masks() {
        assert_eq!(
            mask_text("postgres://app:s3cret@db:5432/x"),
            "postgres://app:****@db:5432/x"
        );
        assert_eq!(
            mask_text("Server=db;User Id=sa;Password=Pw9;Encrypt=true"),
            "Server=db;User Id=sa;Password=****;Encrypt=true"
        );
        assert_eq!(mask_text("--db-password=abc123 x"), "--db-password=**** x");
        assert_eq!(
            mask_text("token ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok"),
            "token **** ok"
        );
        assert_eq!(mask_text("nothing here"), "nothing here");
        assert_eq!(
            mask_text(r#"{"kind":"Secret","stringData":{"t":"x,y","n":{"a":1},"p": z}, "o": "k"}"#),
            r#"{"kind":"Secret","stringData":{"t":"****","n":****,"p": ****}, "o": "k"}"#
        );
        assert_eq!(
            mask_text("{kind: Secret, data: {a: b, 'c': 'd'}}"),
            "{kind: Secret, data: {a: ****, 'c': '****'}}"
        );
        assert!(matches!(mask_text("plain message"), Cow::Borrowed(_)));
    }

    /// Every line of `text` as the masking step shows it.
    fn lines(text: &str) -> Vec<String> {
        let snap = kubeward_model::load_str("a.yaml", text);
        let result = ScanResult {
            snapshot: &snap,
            findings: &[],
            suppressed: &[],
            show_suppressed: false,
            files: 1,
            tool_version: "t",
        };
        let m = Masked::new(&result);
        (1..=text.lines().count() as u32)
            .map(|l| m.line(0, l, 1).expect("line").line)
            .collect()
    }

    #[test]
    fn secret_data_is_masked_in_every_style() {
        let got = lines(concat!(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {app: x}}\n",
            "data:\n  password: aHVudGVyMg==\n  quoted: \"aHVu\\\"dGVy\"\n",
            "  single: 'it''s'\n  block: |\n    line one\n    line two\n",
            "  plain: first\n    continued\n",
            "stringData: {token: abc, other: \"x,y\"}\n",
            "type: Opaque\n"
        ));
        assert_eq!(
            got,
            [
                "apiVersion: v1",
                "kind: Secret",
                "metadata: {name: s, labels: {app: x}}",
                "data:",
                "  password: ****",
                "  quoted: \"****\"",
                "  single: '****'",
                "  block: |",
                "    ****",
                "****",
                "  plain: ****",
                "****",
                "stringData: {token: ****, other: \"****\"}",
                "type: Opaque",
            ]
        );
    }

    #[test]
    fn detector_values_are_masked_and_keys_kept() {
        let got = lines(concat!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
            "  annotations: {example.com/api-token: t0ken-value}\nspec:\n  containers:\n",
            "  - name: c\n    image: x\n    env:\n    - name: DB_PASSWORD\n      value: hunter22\n",
            "    - {name: PGPASSWORD, value: \"s3cret\"}\n    - name: DB_URL\n",
            "      value: postgres://u:pw1234@db/x\n    - name: LOG_LEVEL\n      value: plain\n",
        ));
        assert_eq!(got[4], "  annotations: {example.com/api-token: ****}");
        assert_eq!(got[11], "      value: ****");
        assert_eq!(got[12], "    - {name: PGPASSWORD, value: \"****\"}");
        assert_eq!(got[14], "      value: postgres://u:****@db/x");
        assert_eq!(got[16], "      value: plain");
        let got = lines(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  automountServiceAccountToken: false\n  x: {apiToken: 12345678}\n",
        );
        assert_eq!(got[4], "  automountServiceAccountToken: false");
        assert_eq!(got[5], "  x: {apiToken: ****}");
    }

    #[test]
    fn one_line_json_masks_the_secret_and_windows_the_line() {
        let secret = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"c2VjcmV0"},"stringData":{"t":"tok"}}"#;
        let pods: Vec<String> = (0..5)
            .map(|i| {
                format!(
                    r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p{i}"}},"spec":{{}}}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"apiVersion":"v1","kind":"List","items":[{secret},{}]}}"#,
            pods.join(",")
        );
        let snap = kubeward_model::load_str("a.json", &text);
        let result = ScanResult {
            snapshot: &snap,
            findings: &[],
            suppressed: &[],
            show_suppressed: false,
            files: 1,
            tool_version: "t",
        };
        let m = Masked::new(&result);
        let whole = m.line(0, 1, 1).expect("line");
        assert!(whole
            .line
            .contains(r#""data":{"k":"****"},"stringData":{"t":"****"}"#));
        assert!(!whole.line.contains("c2VjcmV0"));
        assert!(whole.line.chars().count() <= MAX_LINE_CHARS + 2);
        // a column far right: the window follows it and the column still points at `p4`
        let col = text.find(r#""p4""#).unwrap() + 1;
        let s = m.line(0, 1, col as u32).expect("line");
        assert!(s.line.starts_with('…'));
        let at: String = s.line.chars().skip(s.column as usize - 1).take(4).collect();
        assert_eq!(at, r#""p4""#);
    }

    #[test]
    fn values_hidden_by_a_repeated_key_are_masked() {
        let got = lines(concat!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            "data: {DB_PASSWORD: hidden1, DB_PASSWORD: kept22, other: plain}\n",
            "binaryData:\n  k: hidden2\n  k: kept\n"
        ));
        assert!(
            !got[3].contains("hidden1") && !got[3].contains("kept22"),
            "{}",
            got[3]
        );
        assert!(got[3].starts_with("data: {DB_PASSWORD:"), "{}", got[3]);
        assert_eq!(got[5], "  k:****");
    }

    /// Pseudo-random scalars (quotes, brackets, separators, multi-byte and control
    /// characters) under a Secret's data: no panic, and the value never shows.
    #[test]
    fn odd_scalars_never_show() {
        let alphabet: Vec<char> = "ab:=/@\"'{}[],; \n\té日\u{202e}Sdt-_.\\#|>&*!pw"
            .chars()
            .collect();
        let mut x: u64 = 88172645463325252;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let n = (next() % 30) as usize;
            let s: String = (0..n)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = mask_text(&s);
            let doc = format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{a: {s}}}\nstringData:\n  b: {s}\n"
            );
            let snap = kubeward_model::load_str("a.yaml", &doc);
            let result = ScanResult {
                snapshot: &snap,
                findings: &[],
                suppressed: &[],
                show_suppressed: false,
                files: 1,
                tool_version: "t",
            };
            let m = Masked::new(&result);
            let shown: String = (1..12)
                .flat_map(|l| [1, 3, 9, 40].map(|c| m.line(0, l, c)))
                .flatten()
                .map(|s| s.line + "\n")
                .collect();
            let Some(obj) = snap.objects.first() else {
                continue;
            };
            for path in [["stringData", "b"], ["data", "a"]] {
                if let Some(v) = obj.root.at(&path).and_then(Node::as_str) {
                    let v = v.trim();
                    if v.chars().count() >= 4 && !v.contains('\n') && !MASK.contains(v) {
                        assert!(!shown.contains(v), "{v:?} in {shown:?} from {doc:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn apply_follows_the_column() {
        let (s, k) = apply("a: secret, b: x", &[3..9, 3..5], Some(14));
        assert_eq!(s, "a: ****, b: x");
        assert_eq!(&s[k.unwrap()..], "x");
        let (_, k) = apply("a: secret", &[3..9, 4..6], Some(5));
        assert_eq!(k, Some(3));
    }
}

#[cfg(test)]
mod merge_tests {
    use super::merge_ranges;

    #[test]
    fn overlapping_and_touching_ranges_merge() {
        assert_eq!(
            merge_ranges(vec![5..9, 0..3, 2..4, 9..10, 20..25, 21..22]),
            vec![0..4, 5..10, 20..25]
        );
        assert!(merge_ranges(Vec::new()).is_empty());
    }
}
