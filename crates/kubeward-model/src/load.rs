//! Reading files, folders and standard input into a [`Snapshot`].

use crate::object::{LoadError, LoadNote, Object, ObjectRef, Snapshot, Source};
use crate::schema;
use crate::value::{type_name, Node, Value};
use crate::yaml::{self, Limits};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads inputs into a snapshot.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    pub limits: Limits,
}

/// The extensions read when walking a folder.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// One input to read: a path (file or folder) or bytes already read (standard input).
pub enum Input {
    Path(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

/// What one file gave, before objects are numbered.
struct FileResult {
    name: String,
    text: String,
    objects: Vec<(u32, Option<u32>, ObjectRef, Node)>,
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
    /// `*.json`. `exclude` drops paths (config `exclude`).
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
                Input::Path(p) => {
                    let name = p.display().to_string();
                    match read_limited(&p, self.limits.max_file_bytes) {
                        Ok(bytes) => self.load_bytes(name, bytes),
                        Err(e) => FileResult {
                            name: name.clone(),
                            text: String::new(),
                            objects: vec![],
                            errors: vec![e.into_load_error(&name)],
                            notes: vec![],
                        },
                    }
                }
                Input::Bytes { name, bytes } => {
                    if bytes.len() as u64 > self.limits.max_file_bytes {
                        let e =
                            ReadError::TooBig(self.limits.max_file_bytes).into_load_error(&name);
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
            for (doc, item, oref, root) in r.objects {
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
        let stream = yaml::parse_stream(&text, &self.limits);
        for e in stream.errors {
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
            extract_objects(&name, d.index, d.root, &mut part);
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
fn extract_objects(file: &str, doc: u32, root: Node, out: &mut FileResult) {
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
                        add_object(file, doc, Some(i as u32), complete(item), &mut part);
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
                    add_object(file, doc, Some(i as u32), complete(item), out);
                }
            }
        }
        return;
    }
    add_object(file, doc, None, root, out);
}

fn add_object(file: &str, doc: u32, item: Option<u32>, root: Node, out: &mut FileResult) {
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
        name: name.unwrap_or("").to_string(),
    };
    for issue in schema::check(&root) {
        out.errors.push(LoadError {
            file: file.to_string(),
            line: issue.pos.line,
            column: issue.pos.col,
            message: issue.message,
        });
    }
    out.objects.push((doc, item, oref, root));
}

enum ReadError {
    Io(std::io::Error),
    TooBig(u64),
}

impl ReadError {
    fn into_load_error(self, file: &str) -> LoadError {
        match self {
            ReadError::Io(e) => io_error(file, &e),
            ReadError::TooBig(limit) => LoadError {
                file: file.to_string(),
                line: 1,
                column: 1,
                message: format!("input is larger than the limit of {} MiB; not read (raise it with --max-file-size)", limit / (1024 * 1024)),
            },
        }
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

fn read_limited(p: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let f = std::fs::File::open(p).map_err(ReadError::Io)?;
    if let Ok(m) = f.metadata() {
        if m.len() > limit {
            return Err(ReadError::TooBig(limit));
        }
    }
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig(limit));
    }
    Ok(bytes)
}

/// Reads standard input (or any reader) up to the file-size limit.
pub fn read_input(mut r: impl Read, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let mut bytes = Vec::new();
    (&mut r).take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(limit));
    }
    Ok(Ok(bytes))
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
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
            if MANIFEST_EXTENSIONS
                .iter()
                .any(|m| m.eq_ignore_ascii_case(ext))
            {
                files.push(path);
            }
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
