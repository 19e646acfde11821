//! A YAML/JSON stream reader on `saphyr-parser` events.
//!
//! * Plain scalars resolve as the API server's YAML reader (go-yaml v2 rules, YAML 1.1) resolves
//!   them: `yes`/`on`/`y` are `true`, `0644` is the octal 420, `1_000` is 1000.
//! * Every node keeps its 1-based line and column.
//! * Hostile input is bounded: nesting depth, alias expansion and document size are limited, and
//!   breaking a limit is an error for that document only.
//! * A stream is cut into documents at `---` lines before parsing, so a syntax error costs only its
//!   own document, and large streams are parsed on every core.

use crate::value::{Entry, FieldPath, Node, Pos, Value};
use compact_str::CompactString;
use rayon::prelude::*;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::{HashMap, HashSet};

/// Limits against hostile input. Every limit breached is a load error with a position.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest file (or standard input) read at all, in bytes.
    pub max_file_bytes: u64,
    /// Largest single YAML document, in bytes.
    pub max_document_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes that aliases may add to one document (billion-laughs guard).
    pub max_alias_nodes: usize,
    /// Most Kubernetes objects loaded in one run.
    pub max_objects: usize,
    /// Largest file whose text is kept after parsing (reports quote the offending line from
    /// it); the text of larger files is dropped to save memory, their findings keep
    /// `file:line:col`.
    pub max_kept_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * 1024 * 1024,
            max_document_bytes: 256 * 1024 * 1024,
            max_depth: 50,
            max_alias_nodes: 100_000,
            max_objects: 2_000_000,
            max_kept_text_bytes: 64 * 1024 * 1024,
        }
    }
}

/// An error in a stream, at a position.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub pos: Pos,
    pub message: String,
}

/// One parsed document of a stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// 0-based index of the document in its stream.
    pub index: u32,
    pub root: Node,
    /// Keys repeated in one mapping of this document, in source order. The tree keeps the
    /// last value (as the API server's non-strict decoding does); the caller decides what a
    /// repeat means (the loader and the configuration reader make each one an error).
    pub duplicates: Vec<Duplicate>,
}

/// A key written twice in one mapping (keys that `<<` merges bring in are not repeats: the
/// mapping's own keys override them, as YAML 1.1 says).
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    /// The key as the tree holds it (a YAML-to-JSON string key).
    pub key: CompactString,
    /// Path from the document's root to the repeated key (the last segment is `key`).
    pub path: FieldPath,
    /// The earlier key whose value the repeat hides.
    pub first: Pos,
    /// The repeated key (the one whose value is kept).
    pub second: Pos,
}

impl Duplicate {
    /// `duplicate key "x" (first at 3:5)`.
    pub fn message(&self) -> String {
        format!(
            "duplicate key {:?} (first at {}:{})",
            self.key.as_str(),
            self.first.line,
            self.first.col
        )
    }
}

/// A parsed document before it is numbered in its stream.
#[derive(Clone, Debug, PartialEq)]
struct Parsed {
    root: Node,
    duplicates: Vec<Duplicate>,
}

/// The result of reading one stream.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub errors: Vec<ParseError>,
}

/// Checks that bytes are text we can read: UTF-8 (a BOM is dropped), no NUL byte.
/// Returns the text or an error at the first offending byte.
pub fn decode_text(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ParseError {
            pos: Pos::new(1, 1),
            message: "UTF-16 text is not supported; convert the file to UTF-8".into(),
        });
    }
    let (valid, bad_at) = match std::str::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let upto = e.valid_up_to();
            // SAFETY-free: the prefix up to `valid_up_to` is valid UTF-8 by contract.
            (
                std::str::from_utf8(&bytes[..upto]).unwrap_or(""),
                Some(upto),
            )
        }
    };
    if let Some(nul) = memchr_nul(valid.as_bytes()) {
        return Err(ParseError {
            pos: pos_of_offset(valid, nul),
            message: "binary file: NUL byte; not a YAML or JSON manifest".into(),
        });
    }
    if let Some(at) = bad_at {
        return Err(ParseError {
            pos: pos_of_offset(valid, at),
            message: "binary file: invalid UTF-8; not a YAML or JSON manifest".into(),
        });
    }
    Ok(valid)
}

fn memchr_nul(b: &[u8]) -> Option<usize> {
    memchr::memchr(0, b)
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn pos_of_offset(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    let col = text[line_start..offset].chars().count() + 1;
    Pos::new(line as u32, col as u32)
}

/// A slice of the stream holding one or more documents, with the line it starts on.
struct Chunk<'a> {
    text: &'a str,
    first_line: u32,
}

/// Cuts a stream at `---` document-start lines. A `---` at the start of a line followed by
/// white space or the end of the line always starts a document in YAML, whatever came before,
/// so cutting there never changes the meaning. Streams with directives are not cut.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    if bytes.first() == Some(&b'%') || text.contains("\n%") {
        return vec![Chunk {
            text,
            first_line: 1,
        }];
    }
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut line = 1u32;
    let mut i = 0usize;
    while i < bytes.len() {
        // `i` is the start of a line.
        if bytes[i..].starts_with(b"---") {
            let after = bytes.get(i + 3).copied();
            if matches!(after, None | Some(b' ' | b'\t' | b'\r' | b'\n')) && i > start {
                chunks.push(Chunk {
                    text: &text[start..i],
                    first_line: start_line,
                });
                start = i;
                start_line = line;
            }
        }
        match memchr_newline(&bytes[i..]) {
            Some(p) => {
                i += p + 1;
                line += 1;
            }
            None => break,
        }
    }
    chunks.push(Chunk {
        text: &text[start..],
        first_line: start_line,
    });
    chunks
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// Parses a whole stream. Documents keep their order; an error ends only the document it is in.
pub fn parse_stream(text: &str, limits: &Limits) -> Stream {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let chunks = split_documents(text);
    let parse = |c: &Chunk<'_>| parse_chunk(c.text, c.first_line, limits);
    let results: Vec<(Vec<Parsed>, Vec<ParseError>)> =
        if text.len() > 256 * 1024 && chunks.len() > 1 {
            chunks.par_iter().map(parse).collect()
        } else {
            chunks.iter().map(parse).collect()
        };
    let mut stream = Stream::default();
    // The parser reports errors at the end of input one line past it when the text does not
    // end with a line break: clamp positions to the last character.
    let end = end_pos(text);
    let clamp = |mut e: ParseError| {
        if e.pos > end {
            e.pos = end;
        }
        e
    };
    let mut index = 0u32;
    for (docs, errors) in results {
        for Parsed { root, duplicates } in docs {
            stream.documents.push(Document {
                index,
                root,
                duplicates,
            });
            index += 1;
        }
        if !errors.is_empty() {
            // the document that broke still counts
            index += 1;
        }
        stream.errors.extend(errors.into_iter().map(clamp));
    }
    stream
}

/// The position just after the last character of `text` (where an error at the end goes).
fn end_pos(text: &str) -> Pos {
    let line = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    let last_start = memchr::memrchr(b'\n', text.as_bytes())
        .map(|i| i + 1)
        .unwrap_or(0);
    let col = text[last_start..].chars().count() + 1;
    Pos::new(line as u32, col as u32)
}

/// Parallel parsing of one large `kind: List` document in the form `kubectl get -o yaml` writes:
///
/// ```yaml
/// apiVersion: v1
/// items:
/// - apiVersion: apps/v1
///   kind: Deployment
///   ...
/// kind: List
/// ```
///
/// Each item starts with `- ` at column 0 and its lines are indented by two columns, so an item
/// dedented by two columns is a document of its own; the items are parsed in parallel and put
/// back under `items`, with lines and columns as in the file. Anything unexpected (content that
/// is not an item inside the items section, a line indented by one column, an item that does not
/// parse alone, such as an alias to another item's anchor) returns `None`, and the caller parses
/// the document whole: the result is always the whole parse's.
mod list {
    use super::{parse_text, Limits, Parsed};
    use crate::value::{FieldPath, Node, Pos, Value};
    use rayon::prelude::*;

    struct Item {
        /// 0-based line of the item's `- ` in the chunk.
        line0: u32,
        text: String,
    }

    /// Whether an item's last content line leaves a value implicit: `key:` (an implicit null),
    /// a bare `-` or `?`, or a block scalar indicator (`|`, `>-`, `|2`) with no content. Such an
    /// empty node takes its position from the text after the item, which an item parsed alone
    /// cannot see. (Explicit values, `key: ""`, `key: null`, `key: {}`, have their own.)
    fn ends_in_implicit_value(text: &str) -> bool {
        let Some(last) = text
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        else {
            return false;
        };
        let last = last.split(" #").next().unwrap_or(last).trim_end();
        if last.ends_with(':') || last == "-" || last.ends_with(" -") || last.starts_with('?') {
            return true;
        }
        let token = last.rsplit([' ', '\t']).next().unwrap_or(last);
        let mut chars = token.chars();
        matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
    }

    /// `- key:` followed by a space or the end of the line, with an identifier key.
    fn starts_with_plain_key(line: &str) -> bool {
        let Some(rest) = line.strip_prefix("- ") else {
            return false;
        };
        let key_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        key_len > 0
            && rest.as_bytes()[0].is_ascii_alphabetic()
            && rest[key_len..].starts_with(':')
            && matches!(
                rest.as_bytes().get(key_len + 1),
                None | Some(b' ' | b'\n' | b'\r')
            )
    }

    pub(super) fn parse_split(text: &str, first_line: u32, limits: &Limits) -> Option<Parsed> {
        // YAML also breaks lines at a lone `\r`; the split counts `\n` only
        let b = text.as_bytes();
        if memchr::memchr_iter(b'\r', b).any(|i| b.get(i + 1) != Some(&b'\n')) {
            return None;
        }
        let mut lines = text.split_inclusive('\n').enumerate().peekable();
        // the frame: everything but the items, which become `items: []` and blank lines
        let mut frame = String::new();
        let mut items: Vec<Item> = Vec::new();
        let mut seen_items_key = false;
        while let Some((_, line)) = lines.next() {
            let bare = line.trim_end_matches(['\n', '\r']);
            if seen_items_key || bare.trim_end() != "items:" {
                frame.push_str(line);
                continue;
            }
            seen_items_key = true;
            frame.push_str("items: []\n");
            // the items section: `- ` lines start items; indented, blank and comment lines
            // continue them; the first other column-0 line ends the section
            while let Some(&(m, l)) = lines.peek() {
                let b = l.as_bytes();
                let starts_item = b.first() == Some(&b'-')
                    && matches!(b.get(1), Some(b' ' | b'\n' | b'\r') | None);
                // blank means spaces and line breaks only (not other white space, such as a
                // vertical tab, which YAML reads as content)
                let blank = l.bytes().all(|c| matches!(c, b' ' | b'\r' | b'\n'));
                let continues = b.first() == Some(&b' ') || blank || b.first() == Some(&b'#');
                if starts_item {
                    // kubectl writes each item as a block mapping on the dash line:
                    // `- apiVersion: v1` (keys sorted, so `- allowVolumeExpansion: true` too)
                    if !starts_with_plain_key(l) {
                        return None;
                    }
                    items.push(Item {
                        line0: m as u32,
                        text: String::new(),
                    });
                } else if !continues {
                    break;
                } else if items.is_empty() && !blank && b.first() != Some(&b'#') {
                    return None; // content between `items:` and the first item
                } else if !items.is_empty()
                    && l.trim_start_matches(' ').starts_with('#')
                    && !l.starts_with("  ")
                {
                    // a comment left of the items' indentation: a node placed on its line (an
                    // empty value before it) could not have its column corrected
                    return None;
                }
                if let Some(item) = items.last_mut() {
                    if l.starts_with("- ") || l.starts_with("  ") {
                        item.text.push_str(&l[2..]);
                    } else if starts_item {
                        item.text.push_str(&l[1..]); // a bare `-`: keep the line break
                    } else if blank || b.first() == Some(&b'#') {
                        item.text.push_str(l.trim_start_matches(' '));
                    } else {
                        return None; // indented by one column: not the kubectl form
                    }
                }
                frame.push('\n');
                lines.next();
            }
        }
        if items.len() < 2 || items.iter().any(|it| ends_in_implicit_value(&it.text)) {
            return None;
        }
        let mut root = match parse_text(&frame, first_line, 0, limits) {
            // a repeated key outside the items (a second `items:` among them) is left to the
            // whole parse, which knows which value wins
            (mut docs, errors)
                if errors.is_empty() && docs.len() == 1 && docs[0].duplicates.is_empty() =>
            {
                docs.pop()?.root
            }
            _ => return None,
        };
        // aliases are shared out so that all items together stay within the document's budget
        let item_limits = Limits {
            max_alias_nodes: limits.max_alias_nodes / items.len(),
            max_depth: limits.max_depth.saturating_sub(2),
            ..limits.clone()
        };
        let parsed: Vec<Option<Parsed>> = items
            .par_iter()
            .map(
                |it| match parse_text(&it.text, first_line + it.line0, 2, &item_limits) {
                    (mut docs, errors) if errors.is_empty() && docs.len() == 1 => docs.pop(),
                    _ => None,
                },
            )
            .collect::<Vec<_>>();
        let parsed: Vec<Parsed> = parsed.into_iter().collect::<Option<Vec<_>>>()?;
        // repeated keys inside an item: their paths start at the item, put `items[i]` first
        let mut duplicates = Vec::new();
        let mut nodes: Vec<Node> = Vec::with_capacity(parsed.len());
        for (i, p) in parsed.into_iter().enumerate() {
            if !p.duplicates.is_empty() {
                let at = FieldPath::root().key("items").index(i);
                duplicates.extend(p.duplicates.into_iter().map(|mut d| {
                    d.path = at.join(&d.path);
                    d
                }));
            }
            nodes.push(p.root);
        }
        if nodes.iter().any(|n| !matches!(n.value, Value::Map(_))) {
            return None;
        }
        // the parser places a block sequence just after its first `- `; kubectl's items start on
        // that line, anything else is left to the whole parse
        let seq_pos = Pos::new(first_line + items[0].line0, 3);
        if nodes[0].pos != seq_pos {
            return None;
        }
        let Value::Map(entries) = &mut root.value else {
            return None;
        };
        let entry = entries.iter_mut().find(|e| e.key == "items")?;
        entry.value = Node::new(Value::Seq(nodes), seq_pos);
        Some(Parsed { root, duplicates })
    }
}

/// An open collection. Its children wait on the builder's scratch stacks from `start` on and are
/// moved into a vector of exactly their number when it closes: one allocation per collection,
/// no growth slack.
enum Frame {
    Seq {
        start: usize,
        pos: Pos,
        anchor: usize,
    },
    Map {
        start: usize,
        pos: Pos,
        anchor: usize,
        key: Option<(CompactString, Pos)>,
        merge: Vec<Node>,
        /// Key → index among this mapping's entries, built once it holds more than
        /// [`LINEAR_KEYS`] keys, so that the repeat check stays constant-time on huge mappings.
        index: Option<HashMap<CompactString, usize>>,
    },
}

/// Up to this many keys a mapping is searched linearly (Kubernetes mappings are small, and a
/// scan of a few keys beats hashing); past it, through a hash index.
const LINEAR_KEYS: usize = 16;

struct Builder<'l> {
    limits: &'l Limits,
    line_offset: u32,
    /// Columns to add to every position (dedented list items).
    col_offset: u32,
    /// Lines (0-based in the chunk) indented by the flow-indentation retry, and by how much.
    shifted: &'l [(u32, u32)],
    stack: Vec<Frame>,
    /// Children of the open sequences, innermost last.
    seq_items: Vec<Node>,
    /// Entries of the open mappings, innermost last.
    map_entries: Vec<Entry>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    docs: Vec<Parsed>,
    current: Option<Node>,
    /// Repeated keys of the current document.
    duplicates: Vec<Duplicate>,
}

fn parse_chunk(text: &str, first_line: u32, limits: &Limits) -> (Vec<Parsed>, Vec<ParseError>) {
    if text.len() >= LIST_SPLIT_MIN_BYTES && text.len() <= limits.max_document_bytes {
        if let Some(parsed) = list::parse_split(text, first_line, limits) {
            return (vec![parsed], Vec::new());
        }
    }
    parse_text(text, first_line, 0, limits)
}

/// For fuzzing: `Some(false)` when the item-by-item parse of a `kind: List` gives a tree that
/// differs from the whole parse (a bug), `Some(true)` when they agree, `None` when the split did
/// not apply or the text does not parse whole.
#[doc(hidden)]
pub fn list_split_agrees(text: &str) -> Option<bool> {
    let limits = Limits::default();
    let split = list::parse_split(text, 1, &limits)?;
    let (mut whole, errors) = parse_text(text, 1, 0, &limits);
    if !errors.is_empty() || whole.len() != 1 {
        return None;
    }
    // compared through their Debug form: the same structure, positions and repeated keys, with
    // NaN equal to NaN
    Some(format!("{:?}", whole.pop()?) == format!("{split:?}"))
}

/// A `kind: List` document this large is parsed item by item on every core (see [`list`]).
const LIST_SPLIT_MIN_BYTES: usize = 4 * 1024 * 1024;

/// Parses one chunk whose every column is `col_offset` short of the file's (items cut out of a
/// list are dedented by two columns).
fn parse_text(
    text: &str,
    first_line: u32,
    col_offset: u32,
    limits: &Limits,
) -> (Vec<Parsed>, Vec<ParseError>) {
    if text.len() > limits.max_document_bytes {
        let e = ParseError {
            pos: Pos::new(first_line, 1),
            message: format!(
                "document is {} bytes, over the limit of {} bytes",
                text.len(),
                limits.max_document_bytes
            ),
        };
        return (Vec::new(), vec![e]);
    }
    let mut shifted: Vec<(u32, u32)> = Vec::new();
    let mut owned: Option<String> = None;
    loop {
        let src = owned.as_deref().unwrap_or(text);
        match parse_once(src, first_line, col_offset, limits, &shifted) {
            Outcome::Done(docs, errors) => return (docs, errors),
            Outcome::FlowIndent(docs, err, line0) => {
                // go-yaml (the API server's reader) ignores indentation inside flow collections;
                // saphyr does not. Leading spaces on a line inside a flow collection carry no
                // meaning, so indent the offending line and parse again (columns are corrected).
                if shifted.len() >= 32 || shifted.iter().any(|&(l, _)| l == line0) {
                    return (docs, vec![err]);
                }
                const PAD: u32 = 64;
                let mut s = String::with_capacity(src.len() + PAD as usize);
                for (i, l) in src.split_inclusive('\n').enumerate() {
                    if i as u32 == line0 {
                        s.extend(std::iter::repeat_n(' ', PAD as usize));
                    }
                    s.push_str(l);
                }
                shifted.push((line0, PAD));
                owned = Some(s);
            }
        }
    }
}

enum Outcome {
    Done(Vec<Parsed>, Vec<ParseError>),
    /// An indentation error inside a flow collection, on this 0-based line of the chunk.
    FlowIndent(Vec<Parsed>, ParseError, u32),
}

fn parse_once(
    text: &str,
    first_line: u32,
    col_offset: u32,
    limits: &Limits,
    shifted: &[(u32, u32)],
) -> Outcome {
    let mut b = Builder {
        limits,
        line_offset: first_line - 1,
        col_offset,
        shifted,
        stack: Vec::new(),
        seq_items: Vec::new(),
        map_entries: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        docs: Vec::new(),
        current: None,
        duplicates: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(ev) = parser.next_event() {
        match ev {
            Ok((event, span)) => {
                if let Err(e) = b.on_event(event, span) {
                    return Outcome::Done(b.docs, vec![e]);
                }
            }
            Err(e) => {
                let m = e.marker();
                let err = ParseError {
                    pos: b.mark_pos(m.line(), m.col()),
                    message: format!("invalid YAML: {}", e.info()),
                };
                if e.info().starts_with("invalid indentation") && !b.stack.is_empty() {
                    let line0 = m.line() as u32 - 1;
                    return Outcome::FlowIndent(b.docs, err, line0);
                }
                return Outcome::Done(b.docs, vec![err]);
            }
        }
    }
    Outcome::Done(b.docs, Vec::new())
}

impl Builder<'_> {
    fn pos(&self, span: &Span) -> Pos {
        self.mark_pos(span.start.line(), span.start.col())
    }

    /// 1-based position in the file of a saphyr mark (1-based line, 0-based column).
    fn mark_pos(&self, line: usize, col: usize) -> Pos {
        let mut col = col as u32;
        if let Some(&(_, pad)) = self.shifted.iter().find(|&&(l, _)| l + 1 == line as u32) {
            col = col.saturating_sub(pad);
        }
        Pos::new(line as u32 + self.line_offset, col + 1 + self.col_offset)
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseError> {
        let pos = self.pos(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.alias_nodes = 0;
                self.current = None;
                self.duplicates.clear();
            }
            Event::DocumentEnd => {
                let root = self
                    .current
                    .take()
                    .unwrap_or_else(|| Node::new(Value::Null, pos));
                let duplicates = std::mem::take(&mut self.duplicates);
                self.docs.push(Parsed { root, duplicates });
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(&text, style, tag.as_deref());
                self.complete(Node::new(value, pos), anchor, pos)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(pos)?;
                self.stack.push(Frame::Seq {
                    start: self.seq_items.len(),
                    pos,
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(pos)?;
                self.stack.push(Frame::Map {
                    start: self.map_entries.len(),
                    pos,
                    anchor,
                    key: None,
                    merge: Vec::new(),
                    index: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { start, pos, anchor }) = self.stack.pop() {
                    let items: Vec<Node> = self.seq_items.drain(start..).collect();
                    self.complete(Node::new(Value::Seq(items), pos), anchor, pos)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    pos,
                    anchor,
                    merge,
                    ..
                }) = self.stack.pop()
                {
                    let mut entries: Vec<Entry> = self.map_entries.drain(start..).collect();
                    if !merge.is_empty() {
                        apply_merges(&mut entries, merge);
                    }
                    self.complete(Node::new(Value::Map(entries), pos), anchor, pos)?;
                }
            }
            Event::Alias(id) => {
                let Some((node, count)) = self.anchors.get(&id) else {
                    return Err(ParseError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                self.alias_nodes += count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(ParseError {
                        pos,
                        message: format!(
                            "aliases expand to more than {} nodes in this document (alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                    });
                }
                let mut node = node.clone();
                node.pos = pos;
                self.complete(node, 0, pos)?;
            }
        }
        Ok(())
    }

    fn check_depth(&self, pos: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseError {
                pos,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        Ok(())
    }

    /// A node is finished: attach it to its parent (or make it the document root).
    fn complete(&mut self, node: Node, anchor: usize, pos: Pos) -> Result<(), ParseError> {
        if anchor != 0 {
            let count = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), count));
        }
        match self.stack.last_mut() {
            None => self.current = Some(node),
            Some(Frame::Seq { .. }) => self.seq_items.push(node),
            Some(Frame::Map {
                start,
                key,
                merge,
                index,
                ..
            }) => match key.take() {
                None => {
                    let k = match key_text(&node) {
                        Some(k) => k,
                        None => {
                            return Err(ParseError {
                                pos,
                                message: format!(
                                    "a {} cannot be a mapping key in a Kubernetes manifest",
                                    crate::value::type_name(&node.value)
                                ),
                            })
                        }
                    };
                    *key = Some((k, node.pos));
                }
                Some((k, key_pos)) => {
                    if k == "<<" {
                        merge.push(node);
                    } else {
                        let entry = Entry {
                            key: k,
                            key_pos,
                            value: node,
                        };
                        if let Some((at, first)) =
                            insert_entry(&mut self.map_entries, *start, index, entry)
                        {
                            self.record_duplicate(at, first);
                        }
                    }
                }
            },
        }
        Ok(())
    }

    /// Notes that the key just written over entry `at` of the innermost mapping repeated an
    /// earlier key at `first`.
    fn record_duplicate(&mut self, at: usize, first: Pos) {
        let Some(Frame::Map { start, .. }) = self.stack.last() else {
            return;
        };
        let Some(kept) = self.map_entries.get(*start + at) else {
            return;
        };
        let (key, second) = (kept.key.clone(), kept.key_pos);
        let path = self.path_to_innermost().key(&key);
        self.duplicates.push(Duplicate {
            key,
            path,
            first,
            second,
        });
    }

    /// The path from the document's root to the innermost open mapping (only computed for
    /// repeated keys: the builder does not track paths otherwise).
    fn path_to_innermost(&self) -> FieldPath {
        let mut path = FieldPath::root();
        let open = self.stack.len().saturating_sub(1);
        for (i, frame) in self.stack[..open].iter().enumerate() {
            match frame {
                Frame::Map {
                    key: Some((k, _)), ..
                } => path = path.key(k),
                // a mapping used as a key: an error once it closes
                Frame::Map { key: None, .. } => {}
                Frame::Seq { start, .. } => {
                    // this sequence's items end where the next deeper sequence's begin
                    let end = self.stack[i + 1..]
                        .iter()
                        .find_map(|f| match f {
                            Frame::Seq { start, .. } => Some(*start),
                            Frame::Map { .. } => None,
                        })
                        .unwrap_or(self.seq_items.len());
                    path = path.index(end - start);
                }
            }
        }
        path
    }
}

/// Adds an entry to the mapping whose entries start at `start`. A repeated key replaces the
/// earlier entry (the API server's non-strict decoding keeps the last value) and returns its
/// index among the mapping's entries and the earlier key's position.
fn insert_entry(
    entries: &mut Vec<Entry>,
    start: usize,
    index: &mut Option<HashMap<CompactString, usize>>,
    e: Entry,
) -> Option<(usize, Pos)> {
    let found = match index {
        Some(ix) => ix.get(&e.key).copied(),
        None => entries[start..].iter().position(|x| x.key == e.key),
    };
    if let Some(at) = found {
        let old = std::mem::replace(&mut entries[start + at], e);
        return Some((at, old.key_pos));
    }
    let n = entries.len() - start;
    match index {
        Some(ix) => {
            ix.insert(e.key.clone(), n);
        }
        None if n >= LINEAR_KEYS => {
            let mut ix = HashMap::with_capacity(2 * (n + 1));
            for (i, x) in entries[start..].iter().enumerate() {
                ix.insert(x.key.clone(), i);
            }
            ix.insert(e.key.clone(), n);
            *index = Some(ix);
        }
        None => {}
    }
    entries.push(e);
    None
}

/// `<<: *base` merge keys (YAML 1.1): keys of the merged mappings that the mapping does not set.
/// Never repeats: the mapping's own keys win over merged ones, and earlier merges over later.
fn apply_merges(entries: &mut Vec<Entry>, merge: Vec<Node>) {
    // past a few keys, look keys up in a set (merging a large mapping must stay linear)
    let mut seen: Option<HashSet<CompactString>> = None;
    for m in merge {
        let sources: Vec<Node> = match m.value {
            Value::Seq(items) => items,
            other => vec![Node::new(other, m.pos)],
        };
        for src in sources {
            if let Value::Map(src_entries) = src.value {
                if seen.is_none() && entries.len() + src_entries.len() > LINEAR_KEYS {
                    seen = Some(entries.iter().map(|x| x.key.clone()).collect());
                }
                for e in src_entries {
                    let present = match &mut seen {
                        Some(set) => !set.insert(e.key.clone()),
                        None => entries.iter().any(|x| x.key == e.key),
                    };
                    if !present {
                        entries.push(e);
                    }
                }
            }
        }
    }
}

fn count_nodes(n: &Node) -> usize {
    match &n.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|e| 1 + count_nodes(&e.value))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// Mapping keys become strings, as the API server's YAML-to-JSON conversion does.
fn key_text(n: &Node) -> Option<CompactString> {
    match &n.value {
        Value::Str(s) => Some(s.clone()),
        Value::Null => Some(CompactString::const_new("null")),
        Value::Bool(b) => Some(if *b { "true".into() } else { "false".into() }),
        Value::Int(i) => Some(compact_str::format_compact!("{i}")),
        Value::Float(f) => Some(compact_str::format_compact!("{f}")),
        _ => None,
    }
}

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() || tag.handle == "!!" {
            match tag.suffix.as_str() {
                "str" | "binary" | "timestamp" => return Value::Str(text.into()),
                "null" => return Value::Null,
                "bool" | "int" | "float" => {
                    let v = resolve_plain(text);
                    if !matches!(v, Value::Str(_)) {
                        return v;
                    }
                    return Value::Str(text.into());
                }
                _ => {}
            }
        }
    }
    if style == ScalarStyle::Plain {
        resolve_plain(text)
    } else {
        Value::Str(text.into())
    }
}

/// Resolves a plain scalar the way go-yaml v2 (the reader behind `sigs.k8s.io/yaml`) does.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Value::Str(s.into());
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    if let Some(i) = go_parse_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.into())
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` (as a float when over i64).
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(mag as i64)
    } else {
        None
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let s = parse_stream(text, &Limits::default());
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        s.documents.into_iter().next().unwrap().root
    }

    #[test]
    fn yaml11_scalars_resolve_like_the_api_server() {
        let n = one("a: yes\nb: 0644\nc: on\nd: 1_000\ne: '0644'\nf: 0x1F\ng: 09\nh: ~\ni: 1e3\nj: N\nk: 0o17\n");
        assert_eq!(n.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("b").unwrap().value, Value::Int(420));
        assert_eq!(n.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("d").unwrap().value, Value::Int(1000));
        assert_eq!(n.get("e").unwrap().value, Value::Str("0644".into()));
        assert_eq!(n.get("f").unwrap().value, Value::Int(31));
        assert_eq!(n.get("g").unwrap().value, Value::Float(9.0));
        assert_eq!(n.get("h").unwrap().value, Value::Null);
        assert_eq!(n.get("i").unwrap().value, Value::Float(1000.0));
        assert_eq!(n.get("j").unwrap().value, Value::Bool(false));
        assert_eq!(n.get("k").unwrap().value, Value::Int(15));
    }

    #[test]
    fn positions_are_one_based_and_offset_per_document() {
        let s = parse_stream("a: 1\n---\nb:\n  c: 2\n", &Limits::default());
        assert_eq!(s.documents.len(), 2);
        let b = &s.documents[1].root;
        assert_eq!(b.entry("b").unwrap().key_pos, Pos::new(3, 1));
        assert_eq!(b.at(&["b", "c"]).unwrap().pos, Pos::new(4, 6));
        assert_eq!(
            b.get("b").unwrap().entry("c").unwrap().key_pos,
            Pos::new(4, 3)
        );
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut y = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            y.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n;
        }
        let s = parse_stream(&y, &Limits::default());
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].message.contains("alias"), "{:?}", s.errors);
    }

    #[test]
    fn deep_nesting_is_rejected_and_other_documents_survive() {
        let deep = "[".repeat(60) + &"]".repeat(60);
        let s = parse_stream(
            &format!("a: 1\n---\n{deep}\n---\nb: 2\n"),
            &Limits::default(),
        );
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].pos.line, 3);
        assert!(s.errors[0].message.contains("nesting"));
        assert_eq!(s.documents.len(), 2);
        assert_eq!(s.documents[1].index, 2);
    }

    #[test]
    fn merge_keys_crlf_and_duplicates() {
        let n =
            one("base: &b\r\n  x: 1\r\n  z: 2\r\nm:\r\n  <<: *b\r\n  z: 3\r\n  z: 4\r\n  y: 5\r\n");
        let m = n.get("m").unwrap();
        assert_eq!(m.i64_at("x"), Some(1));
        assert_eq!(m.i64_at("z"), Some(4));
        // YAML 1.1: a plain `y` key is the boolean true, which becomes the key "true"
        assert_eq!(m.i64_at("true"), Some(5));
    }

    fn duplicates(text: &str) -> Vec<(String, String, Pos, Pos)> {
        let s = parse_stream(text, &Limits::default());
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        s.documents
            .iter()
            .flat_map(|d| &d.duplicates)
            .map(|d| (d.key.to_string(), d.path.to_string(), d.first, d.second))
            .collect()
    }

    #[test]
    fn repeated_keys_are_recorded_at_any_depth_and_the_last_value_wins() {
        let yaml = "spec:\n  containers:\n  - name: a\n  - name: b\n    securityContext:\n      privileged: true\n    securityContext:\n      privileged: false\n";
        assert_eq!(
            duplicates(yaml),
            vec![(
                "securityContext".into(),
                "spec.containers[1].securityContext".into(),
                Pos::new(5, 5),
                Pos::new(7, 5)
            )]
        );
        let n = one(yaml);
        let c = &n.at(&["spec", "containers"]).unwrap().items()[1];
        assert_eq!(
            c.at(&["securityContext", "privileged"]).unwrap().as_bool(),
            Some(false)
        );
        // the kept entry stays where the first one was, with the repeat's position
        assert_eq!(c.entries().len(), 2);
        assert_eq!(c.entries()[1].key_pos, Pos::new(7, 5));

        // JSON alike, nested sequences, and a third repeat naming the second
        let json = "{\"a\": [[{\"x\": 1}], [{\"y\": 1, \"y\": 2, \"y\": 3}]]}";
        assert_eq!(
            duplicates(json),
            vec![
                (
                    "y".into(),
                    "a[1][0].y".into(),
                    Pos::new(1, 22),
                    Pos::new(1, 30)
                ),
                (
                    "y".into(),
                    "a[1][0].y".into(),
                    Pos::new(1, 30),
                    Pos::new(1, 38)
                ),
            ]
        );
        assert_eq!(
            one(json).at(&["a"]).unwrap().items()[1].items()[0].i64_at("y"),
            Some(3)
        );

        // keys a `<<` merge brings in are overridden, not repeated; keys that convert to the
        // same string are repeats (`y` is the key "true")
        assert_eq!(
            duplicates("b: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n  \"true\": 1\n  y: 2\n"),
            vec![(
                "true".into(),
                "m.true".into(),
                Pos::new(5, 3),
                Pos::new(6, 3)
            )]
        );
        // each document has its own
        let s = parse_stream("a: 1\na: 2\n---\nb: 1\n", &Limits::default());
        assert_eq!(s.documents[0].duplicates.len(), 1);
        assert!(s.documents[1].duplicates.is_empty());
    }

    #[test]
    fn large_mappings_use_the_key_index_with_the_same_result() {
        let mut y = String::new();
        for i in 0..5000 {
            y.push_str(&format!("k{i}: {i}\n"));
        }
        y.push_str("k7: last\nk4999: end\n<<: {k1: merged, extra: merged}\n");
        let s = parse_stream(&y, &Limits::default());
        let d = &s.documents[0];
        let m = d.root.entries();
        assert_eq!(m.len(), 5001);
        assert_eq!(m[7].key, "k7");
        assert_eq!(m[7].value.as_str(), Some("last"));
        assert_eq!(d.root.i64_at("k1"), Some(1));
        assert_eq!(d.root.str_at("extra"), Some("merged"));
        let dups: Vec<_> = d
            .duplicates
            .iter()
            .map(|d| (d.path.to_string(), d.first.line, d.second.line))
            .collect();
        assert_eq!(
            dups,
            vec![
                ("k7".to_string(), 8, 5001),
                ("k4999".to_string(), 5000, 5002)
            ]
        );
    }

    #[test]
    fn a_list_split_item_by_item_keeps_its_repeated_keys() {
        let mut text = kubectl_list(40, false);
        text = text.replacen("    name: c4\n", "    name: c4\n    name: again\n", 1);
        assert_eq!(list_split_agrees(&text), Some(true));
        let split = list::parse_split(&text, 1, &Limits::default()).expect("split");
        assert_eq!(split.duplicates.len(), 1);
        assert_eq!(split.duplicates[0].path.as_str(), "items[4].metadata.name");
        // a repeat outside the items is left to the whole parse
        let outside = text.replacen("kind: List\n", "kind: List\nkind: List\n", 1);
        assert!(list::parse_split(&outside, 1, &Limits::default()).is_none());
    }

    #[test]
    fn flow_collections_may_be_under_indented_as_go_yaml_allows() {
        let n = one("a:\n  args: [\n    \"x\",\n  \"y\"\n  ]\n  b: 1\n");
        let args = n.at(&["a", "args"]).unwrap().items();
        assert_eq!(args.len(), 2);
        assert_eq!(args[1].as_str(), Some("y"));
        assert_eq!(args[1].pos, Pos::new(4, 3));
        assert_eq!(n.at(&["a", "b"]).unwrap().as_i64(), Some(1));
    }

    #[test]
    fn errors_at_the_end_stay_inside_the_input() {
        // found by the fuzzer: `{{` without a line break
        let s = parse_stream("{{", &Limits::default());
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].pos, Pos::new(1, 3));
        let s = parse_stream("a: [1,\n", &Limits::default());
        assert!(s.errors[0].pos <= Pos::new(2, 1), "{:?}", s.errors);
    }

    /// A `kind: List` in kubectl's form with `n` items of assorted shapes.
    fn kubectl_list(n: usize, lenient_flows: bool) -> String {
        // go-yaml accepts a flow's closing bracket under-indented; the whole-document parse
        // retries such a document (at most 32 times), an item parse retries per item
        let close = if lenient_flows {
            "          ]"
        } else {
            "            ]"
        };
        let mut s = String::from("apiVersion: v1\n# a comment\nitems:\n");
        for i in 0..n {
            match i % 4 {
                0 => s.push_str(&format!(
                    "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c{i}\n  data:\n    script: |\n      line one\n        indented\n\n      after a blank line\n    flow: {{a: [1, 2]}}\n"
                )),
                1 => s.push_str(&format!(
                    "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {{name: d{i}}}\n  spec:\n    template:\n      spec:\n        containers:\n        - name: c\n          args: [\n            \"x\",\n{close}\n          securityContext: {{privileged: yes}}\n"
                )),
                2 => s.push_str(&format!("- apiVersion: v1\n  # a comment inside an item\n  kind: Service\n  metadata: {{name: s{i}}}\n  spec: {{}}\n")),
                _ => s.push_str(&format!(
                    "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s{i}\n  stringData:\n    k: &anchor v\n    k2: *anchor\n"
                )),
            }
        }
        s.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        s
    }

    #[test]
    fn a_list_parsed_item_by_item_equals_the_whole_parse() {
        let text = kubectl_list(40, true);
        let limits = Limits::default();
        let split = list::parse_split(&text, 1, &limits).expect("kubectl form is split");
        let (mut whole, errors) = parse_text(&text, 1, 0, &limits);
        assert!(errors.is_empty(), "{errors:?}");
        let whole = whole.pop().unwrap();
        if split != whole {
            std::fs::write("/tmp/split.txt", format!("{split:#?}")).unwrap();
            std::fs::write("/tmp/whole.txt", format!("{whole:#?}")).unwrap();
            panic!("trees differ: see /tmp/split.txt and /tmp/whole.txt");
        }
        let split = split.root;
        assert_eq!(split.at(&["items"]).unwrap().items().len(), 40);
        // positions inside an item are the file's
        let d = &split.get("items").unwrap().items()[1];
        let privileged = d
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .items()[0]
            .at(&["securityContext", "privileged"])
            .unwrap();
        assert_eq!(privileged.value, Value::Bool(true));
    }

    #[test]
    fn fuzz_found_list_cases_agree_or_fall_back() {
        // an empty block scalar ends an item, and a column-0 line follows the section
        for t in [
            "apiVersion: v1\nitems:\n- a: 1\n  b: [1,\n    2]\n- c: |\n$  {dd######: 1}\nkind: List\n",
            "apiVersion: v1\nitems:\n- \n  b: [1,\n    2]\n-  c[ Li1,  x",
            "apiVersion: v1\nitems:\n- a: 1\n  b: [!  ,\n  2\u{16}\r\u{16}]\n- c:x\n\n  \n",
            "apiVersion: v1\nitems:\n- ac |:\n   ?  \n- a - ac |:\n     \n- a |\u{8}",
            "apiVersion: v1\nitems:\n- apiVersion: v0\n  kind: \n    b: [1,\n\u{b}\n    ! 2] #c\n\n- apiVersion: v1\n  k: {}\nkind: List\n",
            "apiVersion: v1\nitems:\n- apiVer   b: [0,\n      2]\n# c\n- apiVersion: apps/v1\n  spec: Deployment\n  &etadaa tn{:ame: d}\n  spec:\n    te a: |\n      x\n\n      y\n    b: [1,\n      2]\n# c\n- apiVersia: |\n#$  v1\n  kind: Deployment\n  metadatakind: List\n",
        ] {
            check_split_agrees(t);
        }
    }

    fn check_split_agrees(t: &str) {
        let limits = Limits::default();
        if let Some(split) = list::parse_split(t, 1, &limits) {
            let (mut whole, _) = parse_text(t, 1, 0, &limits);
            let whole = whole.pop().unwrap();
            if split != whole {
                std::fs::write("/tmp/split2.txt", format!("{split:#?}")).unwrap();
                std::fs::write("/tmp/whole2.txt", format!("{whole:#?}")).unwrap();
            }
            assert!(split == whole, "see /tmp/split2.txt and /tmp/whole2.txt");
        }
    }

    #[test]
    fn lists_that_do_not_split_cleanly_fall_back_to_the_whole_parse() {
        let limits = Limits::default();
        // an alias to another item's anchor
        let cross = "items:\n- a: &x 1\n- b: *x\nkind: List\n";
        assert!(list::parse_split(cross, 1, &limits).is_none());
        // a line indented by one column
        let odd = "items:\n- a: 1\n b: 2\n- c: 3\n";
        assert!(list::parse_split(odd, 1, &limits).is_none());
        // content before the first item
        let before = "items:\nx: 1\n- a: 1\n- b: 2\n";
        assert!(list::parse_split(before, 1, &limits).is_none());
        // a large list goes through parse_stream's split and matches the whole parse
        let text = kubectl_list(30_000, false);
        assert!(text.len() >= LIST_SPLIT_MIN_BYTES, "{}", text.len());
        let stream = parse_stream(&text, &limits);
        assert!(stream.errors.is_empty());
        let (mut whole, errors) = parse_text(&text, 1, 0, &limits);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(stream.documents[0].root == whole.pop().unwrap().root);
    }

    #[test]
    fn binary_is_rejected_with_position() {
        let e = decode_text(b"a: 1\nb: \x00\x01").unwrap_err();
        assert_eq!(e.pos, Pos::new(2, 4));
        let e = decode_text(b"ok\n\xff\xfe").unwrap_err();
        assert_eq!(e.pos, Pos::new(2, 1));
        assert_eq!(decode_text(b"\xEF\xBB\xBFa: 1").unwrap(), "a: 1");
    }

    #[test]
    fn json_documents_parse() {
        let n = one("{\"kind\": \"Pod\", \"spec\": {\"x\": [1, true, \"0644\"]}}");
        assert_eq!(n.str_at("kind"), Some("Pod"));
        let x = n.at(&["spec", "x"]).unwrap().items();
        assert_eq!(x[0].value, Value::Int(1));
        assert_eq!(x[1].value, Value::Bool(true));
        assert_eq!(x[2].value, Value::Str("0644".into()));
    }
}
