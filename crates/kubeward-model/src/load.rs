//! Reading files, folders and standard input into a [`Snapshot`].

use crate::object::{DuplicateField, LoadError, LoadNote, Object, ObjectRef, Snapshot, Source};
use crate::schema;
use crate::value::{type_name, FieldPath, Node, Value};
use crate::yaml::{self, Duplicate, Limits};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads inputs into a snapshot.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    pub limits: Limits,
}

/// The extensions read when walking a folder.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The extensions of files that are read when walking a folder only if their content is a
/// kubeconfig (`apiVersion: v1`, `kind: Config`): kubeadm writes `admin.conf`, `kubelet.conf`,
/// `super-admin.conf`, `controller-manager.conf` and `scheduler.conf` to `/etc/kubernetes`.
/// Other `*.conf` files (nginx, systemd drop-ins) are left alone, without a note.
pub const KUBECONFIG_EXTENSIONS: &[&str] = &["conf"];

/// The largest `*.conf` file read to find out whether it is a kubeconfig (kubeadm's are a few
/// KiB); a larger one is skipped like any other `*.conf` that is not a kubeconfig.
pub const MAX_PROBE_BYTES: u64 = 4 * 1024 * 1024;

/// One input to read: a path (file or folder) or bytes already read (standard input).
pub enum Input {
    Path(PathBuf),
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
    /// A file found by walking a folder whose extension is not a manifest one
    /// ([`KUBECONFIG_EXTENSIONS`]): kept only when it parses as a kubeconfig; otherwise it
    /// gives no object, error or note.
    Probe(PathBuf),
}

impl Input {
    /// The input for a path listed by [`Loader::expand`]: a [`Input::Probe`] for
    /// `*.conf` files met while walking, else [`Input::Path`]. `given` are the paths named on
    /// the command line, which are always read as manifests (with their errors).
    pub fn of_listed(path: PathBuf, given: &[PathBuf]) -> Input {
        if has_extension(&path, KUBECONFIG_EXTENSIONS) && !given.contains(&path) {
            Input::Probe(path)
        } else {
            Input::Path(path)
        }
    }
}

fn has_extension(path: &Path, exts: &[&str]) -> bool {
    let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
    exts.iter().any(|m| m.eq_ignore_ascii_case(ext))
}

/// One object of a file before it is numbered: document, list item, identity, tree, and its
/// repeated keys (paths relative to the object).
type FileObject = (u32, Option<u32>, ObjectRef, Node, Vec<Duplicate>);

/// What one file gave, before objects are numbered.
struct FileResult {
    name: String,
    text: String,
    objects: Vec<FileObject>,
    errors: Vec<LoadError>,
    notes: Vec<LoadNote>,
}

impl FileResult {
    fn empty(name: String) -> Self {
        FileResult {
            name,
            text: String::new(),
            objects: vec![],
            errors: vec![],
            notes: vec![],
        }
    }
}

impl Loader {
    pub fn new(limits: Limits) -> Self {
        Loader { limits }
    }

    /// Lists the manifest files of the inputs: files as given, folders walked recursively
    /// (sorted; hidden entries and symlinked folders skipped) keeping `*.yaml`, `*.yml`,
    /// `*.json`, and `*.conf` (read with [`Input::of_listed`]: only kubeconfigs are kept).
    /// `exclude` drops paths (config `exclude`).
    pub fn expand(
        &self,
        inputs: &[PathBuf],
        exclude: &dyn Fn(&Path) -> bool,
    ) -> (Vec<PathBuf>, Vec<LoadError>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for p in inputs {
            match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => walk(p, exclude, &mut files, &mut errors),
                Ok(_) => {
                    if !exclude(p) {
                        files.push(p.clone())
                    }
                }
                Err(e) => errors.push(io_error(&p.display().to_string(), &e)),
            }
        }
        (files, errors)
    }

    /// Reads every input (in parallel) and builds the snapshot, keeping input order.
    pub fn load(&self, inputs: Vec<Input>) -> Snapshot {
        let results: Vec<FileResult> = inputs
            .into_par_iter()
            .map(|input| match input {
                Input::Probe(p) => {
                    let name = p.display().to_string();
                    let cap = self.limits.max_file_bytes.min(MAX_PROBE_BYTES);
                    match kubeward_io::read_capped(&p, cap) {
                        Ok(bytes) => {
                            let r = self.load_bytes(name.clone(), bytes);
                            if is_kubeconfig(&r) {
                                r
                            } else {
                                FileResult::empty(name)
                            }
                        }
                        Err(_) => FileResult::empty(name),
                    }
                }
                Input::Path(p) => {
                    let name = p.display().to_string();
                    match kubeward_io::read_capped(&p, self.limits.max_file_bytes) {
                        Ok(bytes) => self.load_bytes(name, bytes),
                        Err(e) => FileResult {
                            name: name.clone(),
                            text: String::new(),
                            objects: vec![],
                            errors: vec![read_error(&name, &e)],
                            notes: vec![],
                        },
                    }
                }
                Input::Bytes { name, bytes } => {
                    if bytes.len() as u64 > self.limits.max_file_bytes {
                        let e = too_large(&name, self.limits.max_file_bytes);
                        FileResult {
                            name,
                            text: String::new(),
                            objects: vec![],
                            errors: vec![e],
                            notes: vec![],
                        }
                    } else {
                        self.load_bytes(name, bytes)
                    }
                }
            })
            .collect();
        let mut snap = Snapshot::default();
        for r in results {
            let source = snap.sources.len() as u32;
            for (doc, item, oref, root, duplicates) in r.objects {
                if snap.objects.len() >= self.limits.max_objects {
                    let pos = root.pos;
                    snap.errors.push(LoadError {
                        file: r.name.clone(),
                        line: pos.line,
                        column: pos.col,
                        message: format!(
                            "more than {} objects in this run; the rest is not loaded",
                            self.limits.max_objects
                        ),
                    });
                    break;
                }
                let id = snap.objects.len() as u32;
                snap.duplicates
                    .extend(duplicates.into_iter().map(|d| DuplicateField {
                        object: id,
                        path: d.path,
                        key: d.key.to_string(),
                        first: d.first,
                        second: d.second,
                    }));
                snap.objects.push(Object {
                    id,
                    source,
                    doc,
                    item,
                    oref,
                    root,
                });
            }
            snap.errors.extend(r.errors);
            snap.notes.extend(r.notes);
            snap.sources.push(Source::new(r.name, r.text));
        }
        snap
    }

    fn load_bytes(&self, name: String, bytes: Vec<u8>) -> FileResult {
        let mut out = FileResult {
            name,
            text: String::new(),
            objects: vec![],
            errors: vec![],
            notes: vec![],
        };
        if let Err(e) = yaml::decode_text(&bytes) {
            out.errors.push(LoadError {
                file: out.name.clone(),
                line: e.pos.line,
                column: e.pos.col,
                message: e.message,
            });
            return out;
        }
        // decode_text checked the bytes: this conversion does not copy the text.
        let Ok(text) = String::from_utf8(bytes) else {
            return out;
        };
        // An unrendered Helm template is one error, not a syntax error per brace.
        if let Some((line, column)) = helm_marker(&text) {
            out.errors.push(helm_error(&out.name, line, column));
            return out;
        }
        let stream = yaml::parse_stream(&text, &self.limits);
        let mut template_error = false;
        for e in stream.errors {
            if line_of(&text, e.pos.line).is_some_and(|l| l.contains("{{")) {
                // a syntax error on a template line: reported once for the file
                if !template_error {
                    template_error = true;
                    let (line, column) = first_action(&text).unwrap_or((e.pos.line, e.pos.col));
                    out.errors.push(helm_error(&out.name, line, column));
                }
                continue;
            }
            out.errors.push(LoadError {
                file: out.name.clone(),
                line: e.pos.line,
                column: e.pos.col,
                message: e.message,
            });
        }
        // Objects are extracted and type-checked on every core too (a dump is one file).
        let name = out.name.clone();
        let extract = |d: yaml::Document| {
            let mut part = FileResult::empty(String::new());
            // a repeated key is an input error wherever it is (the API server's strict field
            // validation rejects it); the object keeps the last value and carries the repeat
            for dup in &d.duplicates {
                part.errors.push(LoadError {
                    file: name.clone(),
                    line: dup.second.line,
                    column: dup.second.col,
                    message: format!(
                        "{}: the last value is used and the first is hidden (the API server's strict field validation rejects repeated fields)",
                        dup.message()
                    ),
                });
            }
            extract_objects(&name, d.index, d.root, d.duplicates, &mut part);
            part
        };
        let parts: Vec<FileResult> = if stream.documents.len() > 256 {
            stream
                .documents
                .into_par_iter()
                .with_min_len(64)
                .map(extract)
                .collect()
        } else {
            stream.documents.into_iter().map(extract).collect()
        };
        for p in parts {
            out.objects.extend(p.objects);
            out.errors.extend(p.errors);
            out.notes.extend(p.notes);
        }
        out.errors.sort_by_key(|e| (e.line, e.column));
        if text.len() <= self.limits.max_kept_text_bytes {
            out.text = text;
        }
        out
    }
}

/// Turns one document into objects: a Kubernetes object, the items of a `List`, or a note.
/// `duplicates` (paths from the document's root) go with the objects they are in.
fn extract_objects(
    file: &str,
    doc: u32,
    root: Node,
    duplicates: Vec<Duplicate>,
    out: &mut FileResult,
) {
    let pos = root.pos;
    let note = |out: &mut FileResult, message: String| {
        out.notes.push(LoadNote {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message,
        });
    };
    match &root.value {
        Value::Null => return,
        Value::Map(_) => {}
        other => {
            note(
                out,
                format!(
                    "document {doc} is a {}, not a Kubernetes object; skipped",
                    type_name(other)
                ),
            );
            return;
        }
    }
    let api_version = root.get("apiVersion");
    let kind = root.get("kind");
    for (field, node) in [("apiVersion", api_version), ("kind", kind)] {
        if let Some(n) = node {
            if n.as_str().is_none() {
                out.errors.push(LoadError {
                    file: file.to_string(),
                    line: n.pos.line,
                    column: n.pos.col,
                    message: format!("{field} must be a string, found a {}", type_name(&n.value)),
                });
                return;
            }
        }
    }
    let (Some(api_version), Some(kind)) = (
        api_version.and_then(Node::as_str),
        kind.and_then(Node::as_str),
    ) else {
        note(
            out,
            format!("document {doc} has no apiVersion and kind; not a Kubernetes object, skipped"),
        );
        return;
    };
    let items = root.get("items").and_then(Node::as_seq);
    if kind.ends_with("List") && (items.is_some() || kind == "List") {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        let (api_version, item_kind) = (api_version.to_string(), item_kind.map(str::to_string));
        let Value::Map(entries) = root.value else {
            return;
        };
        // repeated keys by item (those outside the items belong to no object)
        let mut item_duplicates: HashMap<usize, Vec<Duplicate>> = HashMap::new();
        if !duplicates.is_empty() {
            let items_path = FieldPath::root().key("items");
            for mut d in duplicates {
                let Some(rest) = d.path.strip_prefix(&items_path) else {
                    continue;
                };
                let Some(crate::value::Segment::Index(i)) = rest.segments().next() else {
                    continue;
                };
                if let Some(p) = rest.strip_prefix(&FieldPath::root().index(i)) {
                    d.path = p;
                    item_duplicates.entry(i).or_default().push(d);
                }
            }
        }
        let duplicates_of =
            |i: usize| -> Vec<Duplicate> { item_duplicates.get(&i).cloned().unwrap_or_default() };
        for e in entries {
            if e.key != "items" {
                continue;
            }
            let Value::Seq(items) = e.value.value else {
                out.errors.push(LoadError {
                    file: file.to_string(),
                    line: e.value.pos.line,
                    column: e.value.pos.col,
                    message: format!(
                        "items must be a sequence, found a {}",
                        type_name(&e.value.value)
                    ),
                });
                return;
            };
            // typed lists (PodList) omit kind and apiVersion on their items
            let complete = |mut item: Node| {
                if let (Value::Map(m), Some(k)) = (&mut item.value, &item_kind) {
                    if !m.iter().any(|x| x.key == "kind") {
                        m.push(crate::value::Entry {
                            key: "kind".into(),
                            key_pos: item.pos,
                            value: Node::new(Value::Str(k.into()), item.pos),
                        });
                    }
                    if !m.iter().any(|x| x.key == "apiVersion") {
                        m.push(crate::value::Entry {
                            key: "apiVersion".into(),
                            key_pos: item.pos,
                            value: Node::new(Value::Str(api_version.as_str().into()), item.pos),
                        });
                    }
                }
                item
            };
            if items.len() > 256 {
                // a cluster dump: extract and type-check the items on every core
                let parts: Vec<FileResult> = items
                    .into_par_iter()
                    .enumerate()
                    .with_min_len(64)
                    .map(|(i, item)| {
                        let mut part = FileResult::empty(String::new());
                        let dups = duplicates_of(i);
                        add_object(file, doc, Some(i as u32), complete(item), dups, &mut part);
                        part
                    })
                    .collect();
                for p in parts {
                    out.objects.extend(p.objects);
                    out.errors.extend(p.errors);
                    out.notes.extend(p.notes);
                }
            } else {
                for (i, item) in items.into_iter().enumerate() {
                    let dups = duplicates_of(i);
                    add_object(file, doc, Some(i as u32), complete(item), dups, out);
                }
            }
        }
        return;
    }
    add_object(file, doc, None, root, duplicates, out);
}

fn add_object(
    file: &str,
    doc: u32,
    item: Option<u32>,
    root: Node,
    duplicates: Vec<Duplicate>,
    out: &mut FileResult,
) {
    let pos = root.pos;
    if !matches!(root.value, Value::Map(_)) {
        out.errors.push(LoadError {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message: format!("list item is a {}, not an object", type_name(&root.value)),
        });
        return;
    }
    let (Some(api_version), Some(kind)) = (root.str_at("apiVersion"), root.str_at("kind")) else {
        out.notes.push(LoadNote {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message: "list item has no apiVersion and kind; skipped".into(),
        });
        return;
    };
    let meta = root.get("metadata");
    let name = meta
        .and_then(|m| m.str_at("name"))
        .or_else(|| meta.and_then(|m| m.str_at("generateName")));
    let oref = ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: meta.and_then(|m| m.str_at("namespace")).map(str::to_string),
        name: match name {
            Some(n) => n.to_string(),
            None if is_config_file_kind(api_version, kind) => base_name(file).to_string(),
            None => String::new(),
        },
    };
    for issue in schema::check(&root) {
        out.errors.push(LoadError {
            file: file.to_string(),
            line: issue.pos.line,
            column: issue.pos.col,
            message: issue.message,
        });
    }
    out.objects.push((doc, item, oref, root, duplicates));
}

/// Whether a probed file ([`Input::Probe`]) is a kubeconfig: it parsed without error and
/// every object it gave is a `v1` `Config`.
fn is_kubeconfig(r: &FileResult) -> bool {
    r.errors.is_empty()
        && !r.objects.is_empty()
        && r.objects
            .iter()
            .all(|(_, _, o, _, _)| o.api_version == "v1" && o.kind == "Config")
}

/// Kinds of configuration files that carry no `metadata` (kubeconfig, component and API
/// server configuration, audit policy, kubeadm): such an object without a name is named after
/// its file, so that two of them in one scan are told apart (messages, fingerprints).
pub fn is_config_file_kind(api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    (api_version == "v1" && kind == "Config")
        || group.ends_with(".config.k8s.io")
        || group == "audit.k8s.io"
        || group == "kubeadm.k8s.io"
}

/// The last component of a source name (`/etc/kubernetes/admin.conf` → `admin.conf`).
fn base_name(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// The text of 1-based line `n` (one pass; called only for the few syntax errors).
fn line_of(text: &str, n: u32) -> Option<&str> {
    text.lines().nth((n as usize).checked_sub(1)?)
}

/// Template actions that only Helm (or another chart renderer) resolves: references to the
/// chart's values, release and capabilities, and its template functions. Go templates that
/// stay templates after rendering (Prometheus alert text `{{ $labels.pod }}`, Alertmanager
/// `{{ range .Alerts }}`) do not name these.
const HELM_WORDS: &[&str] = &[
    ".Values",
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    "include \"",
    "template \"",
    "toYaml",
    "nindent",
    "tpl ",
];

/// Each `{{ ... }}` action outside `#` comment lines, in order: (line, byte offset of its
/// line, byte offset of the action, action text). Found with a SIMD substring search over
/// the whole text, so a large dump without templates costs one fast pass; each line's bounds
/// are found once however many actions it holds (a one-line JSON dashboard can hold
/// thousands), and line numbers are counted only up to each new line.
fn actions(text: &str) -> impl Iterator<Item = (u32, usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut line = 1u32;
    let mut counted = 0usize;
    // the current line: [start, end) and whether it is a comment
    let mut cur: Option<(usize, usize, bool)> = None;
    let mut after = 0usize;
    memchr::memmem::find_iter(bytes, b"{{").filter_map(move |start| {
        if start < after {
            return None; // inside the previous action (`{{{`)
        }
        let (line_start, line_end, comment) = match cur {
            Some(c) if start < c.1 => c,
            _ => {
                let ls = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
                let le = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
                line += memchr::memchr_iter(b'\n', &bytes[counted..ls]).count() as u32;
                counted = ls;
                let comment = text[ls..le].trim_start().starts_with('#');
                cur = Some((ls, le, comment));
                (ls, le, comment)
            }
        };
        if comment {
            return None;
        }
        let end = memchr::memmem::find(&bytes[start..line_end], b"}}")
            .map_or(line_end, |e| start + e + 2);
        after = end;
        Some((line, line_start, start, &text[start..end]))
    })
}

/// 1-based column of byte offset `at` on the line starting at `line_start`.
fn column(text: &str, line_start: usize, at: usize) -> u32 {
    text[line_start..at].chars().count() as u32 + 1
}

/// The position of the first action that only a chart renderer resolves.
fn helm_marker(text: &str) -> Option<(u32, u32)> {
    actions(text)
        .find(|(_, _, _, a)| HELM_WORDS.iter().any(|w| a.contains(w)))
        .map(|(l, ls, at, _)| (l, column(text, ls, at)))
}

/// The position of the first template action.
fn first_action(text: &str) -> Option<(u32, u32)> {
    actions(text)
        .next()
        .map(|(l, ls, at, _)| (l, column(text, ls, at)))
}

fn helm_error(file: &str, line: u32, column: u32) -> LoadError {
    LoadError {
        file: file.to_string(),
        line,
        column,
        message: "unrendered Helm template: `{{ ... }}` is template syntax, not YAML, and this file was not scanned; render the chart first: `helm template RELEASE CHART | kubeward scan -`".to_string(),
    }
}

fn too_large(file: &str, limit: u64) -> LoadError {
    LoadError {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: format!(
            "input is larger than the limit of {}; not read (raise it with --max-file-size)",
            kubeward_io::human_size(limit)
        ),
    }
}

fn read_error(file: &str, e: &kubeward_io::ReadError) -> LoadError {
    match e {
        kubeward_io::ReadError::TooLarge { limit, .. } => too_large(file, *limit),
        kubeward_io::ReadError::Io { source, .. } => io_error(file, source),
        // read_capped returns bytes; text is checked by the parser
        other => io_error(file, &std::io::Error::other(other.to_string())),
    }
}

fn io_error(file: &str, e: &std::io::Error) -> LoadError {
    LoadError {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    }
}

/// Reads standard input (or any reader) up to the file-size limit: `Ok(Err(limit))` when it
/// holds more (only `limit + 1` bytes are read).
pub fn read_input(r: impl Read, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    match kubeward_io::read_all_capped(r, Path::new("-"), limit) {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(kubeward_io::ReadError::TooLarge { limit, .. }) => Ok(Err(limit)),
        Err(kubeward_io::ReadError::Io { source, .. }) => Err(source),
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

fn walk(
    dir: &Path,
    exclude: &dyn Fn(&Path) -> bool,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<LoadError>,
) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(io_error(&dir.display().to_string(), &e));
            return;
        }
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') || exclude(&path) {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, exclude, files, errors);
        } else if (ft.is_file() || (ft.is_symlink() && path.is_file()))
            && (has_extension(&path, MANIFEST_EXTENSIONS)
                || has_extension(&path, KUBECONFIG_EXTENSIONS))
        {
            files.push(path);
        }
    }
}

/// Parses one in-memory text (tests, webhook); the source is named `name`.
pub fn load_str(name: &str, text: &str) -> Snapshot {
    Loader::default().load(vec![Input::Bytes {
        name: name.to_string(),
        bytes: text.as_bytes().to_vec(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Pos;

    #[test]
    fn repeated_keys_are_errors_and_go_with_their_objects() {
        let snap = load_str(
            "f.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b, name: c}\nmetadata: {x: 1, x: 2}\n---\n{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"d\"}, \"spec\": {}, \"spec\": {}}\n",
        );
        assert_eq!(snap.objects.len(), 3);
        assert_eq!(snap.objects[1].name(), "c");
        let errors: Vec<_> = snap.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("f.yaml:9:23: duplicate key \"name\" (first at 9:14)"));
        assert!(errors[1].starts_with("f.yaml:10:18: duplicate key \"x\" (first at 10:12)"));
        assert!(errors[2].starts_with("f.yaml:12:76: duplicate key \"spec\" (first at 12:64)"));
        let dups: Vec<_> = snap
            .duplicates
            .iter()
            .map(|d| (d.object, d.path.as_str(), d.first, d.second))
            .collect();
        assert_eq!(
            dups,
            vec![
                (1, "metadata.name", Pos::new(9, 14), Pos::new(9, 23)),
                (2, "spec", Pos::new(12, 64), Pos::new(12, 76)),
            ]
        );
    }
}

#[cfg(test)]
mod helm_tests {
    use super::*;

    #[test]
    fn an_unrendered_chart_is_one_error() {
        let chart = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n";
        let s = load_str("templates/deployment.yaml", chart);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        let e = &s.errors[0];
        assert_eq!((e.line, e.column), (4, 9));
        assert!(
            e.message.starts_with("unrendered Helm template"),
            "{}",
            e.message
        );
        assert!(e.message.contains("helm template"), "{}", e.message);
        assert!(s.objects.is_empty());
    }

    #[test]
    fn a_template_that_breaks_the_yaml_is_one_error_too() {
        let t = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ $x }}\n  b: {{ $y }}\n";
        let s = load_str("t.yaml", t);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert!(s.errors[0].message.starts_with("unrendered Helm template"));
    }

    #[test]
    fn go_templates_inside_rendered_manifests_are_not_helm() {
        let rule = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: r\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: Down\n      annotations:\n        description: \"{{ $labels.pod }} is down ({{ $value }})\"\n        text: |\n          {{ range .Alerts }}{{ .Labels.alertname }}{{ end }}\n";
        let s = load_str("rule.yaml", rule);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.objects.len(), 1);
        // a comment that mentions .Values is not a template
        let commented = "# set {{ .Values.x }} in values.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        assert!(load_str("c.yaml", commented).errors.is_empty());
    }
}

#[cfg(test)]
mod action_scan_tests {
    use super::*;

    #[test]
    fn actions_have_their_line_and_column() {
        let t = "a: 1\n# {{ .Values.no }}\nb: x {{ one }} y {{ two }}\n\nc: é{{ three }}\n";
        let found: Vec<_> = actions(t)
            .map(|(l, ls, at, a)| (l, column(t, ls, at), a))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, 6, "{{ one }}"),
                (3, 18, "{{ two }}"),
                (5, 5, "{{ three }}"),
            ]
        );
        assert_eq!(helm_marker(t), None);
        assert_eq!(helm_marker("x: 1\ny: {{ .Values.y }}\n"), Some((2, 4)));
    }

    #[test]
    fn many_actions_on_one_line_cost_one_pass() {
        // a one-line JSON dashboard with 200,000 legend templates: each action used to look
        // for its line's end from the line's start (quadratic)
        let line = "{{ legend }} ".repeat(200_000);
        let t = format!("a: 1\nb: \"{line}\"\n");
        assert_eq!(actions(&t).count(), 200_000);
        assert_eq!(helm_marker(&t), None);
        let last = actions(&t)
            .last()
            .map(|(l, ls, at, _)| (l, column(&t, ls, at)));
        assert_eq!(last, Some((2, 5 + 13 * 199_999)));
    }

    #[test]
    fn conf_files_are_kept_only_when_they_are_kubeconfigs() {
        let dir = std::env::temp_dir().join(format!("kubeward-probe-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("manifests")).unwrap();
        let kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n";
        std::fs::write(dir.join("admin.conf"), kubeconfig).unwrap();
        std::fs::write(dir.join("nginx.conf"), "server { listen 80; }\n").unwrap();
        std::fs::write(
            dir.join("other.conf"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
        )
        .unwrap();
        std::fs::write(dir.join("manifests/enc.yaml"), "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n").unwrap();
        std::fs::write(dir.join("README"), "not read").unwrap();
        let loader = Loader::default();
        let (files, errors) = loader.expand(std::slice::from_ref(&dir), &|_| false);
        assert!(errors.is_empty());
        assert_eq!(files.len(), 4, "{files:?}");
        let given = [dir.clone()];
        let snap = loader.load(
            files
                .into_iter()
                .map(|p| Input::of_listed(p, &given))
                .collect(),
        );
        assert!(
            snap.errors.is_empty() && snap.notes.is_empty(),
            "{:?} {:?}",
            snap.errors,
            snap.notes
        );
        let names: Vec<String> = snap.objects.iter().map(|o| o.oref.display()).collect();
        // kubeconfig kept and named after its file; nginx.conf and a Pod in a .conf dropped
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(snap.objects[0].oref.kind, "Config");
        assert_eq!(snap.objects[0].oref.name, "admin.conf");
        assert_eq!(snap.objects[1].oref.name, "enc.yaml");
        // a .conf file named on the command line is read as a manifest, with its errors
        let nginx = dir.join("nginx.conf");
        let snap = loader.load(vec![Input::of_listed(nginx.clone(), &[nginx])]);
        assert!(!snap.errors.is_empty() || !snap.notes.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn config_kinds_without_metadata_are_named_after_their_file() {
        let s = load_str("/etc/kubernetes/kubelet.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n---\napiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata: {name: named}\n---\napiVersion: v1\nkind: ConfigMap\n");
        let names: Vec<&str> = s.objects.iter().map(|o| o.oref.name.as_str()).collect();
        assert_eq!(names, ["kubelet.yaml", "named", ""]);
        assert!(is_config_file_kind("v1", "Config"));
        assert!(!is_config_file_kind("v1", "ConfigMap"));
    }
}
