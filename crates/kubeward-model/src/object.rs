//! Kubernetes objects and the snapshot that holds them.

use crate::value::{Entry, FieldPath, Node, Pos, Segment};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The identity of an object, as reports print it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// `Deployment/shop/web` (`ClusterRole/admin` for cluster-scoped objects).
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The API group of `apiVersion` (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
}

/// Index of a source (file or stdin) in a [`Snapshot`].
pub type SourceId = u32;
/// Index of an object in a [`Snapshot`].
pub type ObjectId = u32;

/// A file or standard input that was read.
#[derive(Debug)]
pub struct Source {
    /// The path as given (or found while walking), `-` for standard input.
    pub name: String,
    /// Byte offsets of line starts, computed on the first [`Source::line`] call.
    line_starts: std::sync::OnceLock<Vec<usize>>,
    /// The text, kept to show the offending line in reports (a BOM, if any, is still there);
    /// empty for files over `Limits::max_kept_text_bytes`.
    pub text: String,
}

impl Source {
    pub fn new(name: String, text: String) -> Self {
        Source {
            name,
            line_starts: std::sync::OnceLock::new(),
            text,
        }
    }

    /// The text of a 1-based line, without its line break (constant time after the first call).
    pub fn line(&self, line: u32) -> Option<&str> {
        if line == 0 {
            return None;
        }
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1))
                .collect()
        });
        let start = *starts.get(line as usize - 1)?;
        let end = starts
            .get(line as usize)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        let l = self.text.get(start..end)?;
        Some(l.strip_suffix('\r').unwrap_or(l))
    }
}

/// One Kubernetes object, with where it came from.
#[derive(Debug)]
pub struct Object {
    pub id: ObjectId,
    pub source: SourceId,
    /// 0-based document index in its source.
    pub doc: u32,
    /// Index in the `items` of a `kind: List` document.
    pub item: Option<u32>,
    pub oref: ObjectRef,
    pub root: Node,
}

impl Object {
    pub fn kind(&self) -> &str {
        &self.oref.kind
    }

    pub fn name(&self) -> &str {
        &self.oref.name
    }

    pub fn namespace(&self) -> Option<&str> {
        self.oref.namespace.as_deref()
    }

    pub fn metadata(&self) -> &Node {
        self.root.get("metadata").unwrap_or(Node::null())
    }

    pub fn spec(&self) -> &Node {
        self.root.get("spec").unwrap_or(Node::null())
    }

    /// Labels as (key, value) pairs; non-string values are skipped.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        string_pairs(self.metadata().get("labels"))
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata()
            .get("annotations")
            .and_then(|a| a.str_at(key))
    }

    /// Position of the field at `path`, or of its nearest existing parent.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        self.root.locate(path)
    }
}

/// String pairs of a mapping node such as `labels` or `matchLabels`.
pub fn string_pairs(node: Option<&Node>) -> impl Iterator<Item = (&str, &str)> {
    node.map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| e.value.as_str().map(|v| (e.key.as_str(), v)))
}

/// A problem with the input: the file, position and reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A document that was read but skipped (not a Kubernetes object).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadNote {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A field written twice in one mapping of an object. The object holds the last value (as the
/// API server's non-strict decoding does); the repeat is also a [`LoadError`] of the snapshot,
/// and rule `duplicate-field` reports what it hides.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateField {
    pub object: ObjectId,
    /// Path of the repeated key in the object (the kept entry).
    pub path: FieldPath,
    /// The key as written (after YAML-to-JSON key conversion).
    pub key: String,
    /// The earlier key, whose value is hidden.
    pub first: Pos,
    /// The repeated key, whose value is kept.
    pub second: Pos,
}

/// Everything read in one run.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub sources: Vec<Source>,
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    pub notes: Vec<LoadNote>,
    /// Repeated keys of the loaded objects, in load order.
    pub duplicates: Vec<DuplicateField>,
    /// Key indexes of the large mappings [`Snapshot::locate`] looked into.
    key_indexes: KeyIndexes,
}

/// Mappings past this many keys are searched through a hash index by [`Snapshot::locate`].
const LOCATE_LINEAR_KEYS: usize = 64;

/// Key → entry index of large mappings, by the address and length of their entries. Trees do
/// not change once loaded; an index is still checked against the entry it names, and a key it
/// does not know is searched for linearly, so a stale index can only cost time.
#[derive(Debug, Default)]
struct KeyIndexes(Mutex<HashMap<(usize, usize), Arc<KeyIndex>>>);

/// Key → index of its entry in one mapping.
type KeyIndex = HashMap<String, usize>;

impl KeyIndexes {
    fn find<'a>(&self, entries: &'a [Entry], key: &str) -> Option<&'a Entry> {
        let id = (entries.as_ptr() as usize, entries.len());
        let index = {
            let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(cache.entry(id).or_insert_with(|| {
                let mut ix = HashMap::with_capacity(entries.len());
                for (i, e) in entries.iter().enumerate() {
                    ix.entry(e.key.to_string()).or_insert(i);
                }
                Arc::new(ix)
            }))
        };
        match index.get(key).and_then(|&i| entries.get(i)) {
            Some(e) if e.key == key => Some(e),
            _ => entries.iter().find(|e| e.key == key),
        }
    }
}

impl Snapshot {
    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id as usize]
    }

    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id as usize]
    }

    /// `file:line:col` of a field of an object.
    pub fn location(&self, obj: &Object, path: &FieldPath) -> (String, Pos) {
        (self.source(obj.source).name.clone(), self.locate(obj, path))
    }

    /// [`Object::locate`], with large mappings searched through a hash index built once per
    /// mapping: locating a finding for each of 10^5 keys of one ConfigMap stays linear.
    pub fn locate(&self, obj: &Object, path: &FieldPath) -> Pos {
        let mut cur = &obj.root;
        let mut pos = cur.pos;
        for seg in path.segments() {
            match seg {
                Segment::Key(k) => {
                    let entries = cur.entries();
                    let found = if entries.len() > LOCATE_LINEAR_KEYS {
                        self.key_indexes.find(entries, k)
                    } else {
                        entries.iter().find(|e| e.key == k)
                    };
                    match found {
                        Some(e) => {
                            pos = e.key_pos;
                            cur = &e.value;
                        }
                        None => return pos,
                    }
                }
                Segment::Index(i) => match cur.as_seq().and_then(|s| s.get(i)) {
                    Some(n) => {
                        pos = n.pos;
                        cur = n;
                    }
                    None => return pos,
                },
            }
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_through_the_key_index_agrees_with_the_walk() {
        let mut y = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n");
        for i in 0..500 {
            y.push_str(&format!("  k{i}: {{x: [a, b]}}\n"));
        }
        let snap = crate::load_str("c.yaml", &y);
        let obj = &snap.objects[0];
        for path in [
            FieldPath::root().key("data").key("k0"),
            FieldPath::root().key("data").key("k499").key("x").index(1),
            FieldPath::root().key("data").key("missing").key("x"),
            FieldPath::root().key("data").key("k7").key("y"),
            FieldPath::root().key("metadata").key("name"),
        ] {
            assert_eq!(snap.locate(obj, &path), obj.locate(&path), "{path}");
            // twice: the second goes through the cached index
            assert_eq!(snap.locate(obj, &path), obj.locate(&path), "{path}");
        }
        assert_eq!(
            snap.locate(obj, &FieldPath::root().key("data").key("k499")),
            Pos::new(504, 3)
        );
    }

    #[test]
    fn lines_are_found_by_number() {
        let s = Source::new("f".into(), "a\r\nbb\n\nccc".into());
        assert_eq!(s.line(1), Some("a"));
        assert_eq!(s.line(2), Some("bb"));
        assert_eq!(s.line(3), Some(""));
        assert_eq!(s.line(4), Some("ccc"));
        assert_eq!(s.line(5), None);
        assert_eq!(s.line(0), None);
    }
}
