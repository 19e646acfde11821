//! The generic document tree: every node remembers where it came from.
//!
//! Scalars are already resolved (YAML 1.1 rules as the API server's reader applies them, see
//! [`crate::yaml`]); mappings keep their keys in source order with the key's own position.

use compact_str::CompactString;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }
}

/// A resolved value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(CompactString),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A value and the position of its first character.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// One `key: value` pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_pos: Pos,
    pub value: Node,
}

/// What kind of value a node holds, for messages about wrong types.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::Seq(_) => "sequence",
        Value::Map(_) => "mapping",
    }
}

static NULL_NODE: Node = Node {
    value: Value::Null,
    pos: Pos { line: 0, col: 0 },
};

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Node { value, pos }
    }

    /// The shared null node (position 0:0), for defaults.
    pub fn null() -> &'static Node {
        &NULL_NODE
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry (key and value) under `key` when this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Walks a dotted chain of mapping keys.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in keys {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Items of a sequence; empty for anything else.
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Entries of a mapping; empty for anything else.
    pub fn entries(&self) -> &[Entry] {
        self.as_map().unwrap_or(&[])
    }

    /// A string field of a mapping.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// A boolean field of a mapping.
    pub fn bool_at(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Node::as_bool)
    }

    /// An integer field of a mapping.
    pub fn i64_at(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Node::as_i64)
    }

    /// The scalar as display text (strings unquoted, numbers and booleans formatted).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.to_string()),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value` (positions are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node tree from JSON (every position is `pos`); used for AdmissionReview payloads
    /// and tests.
    pub fn from_json(v: &serde_json::Value, pos: Pos) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::Str(s.into()),
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json(x, pos)).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, x)| Entry {
                        key: k.into(),
                        key_pos: pos,
                        value: Node::from_json(x, pos),
                    })
                    .collect(),
            ),
        };
        Node { value, pos }
    }
}

/// A path to a field, written the way Kubernetes documentation does:
/// `spec.template.spec.containers[0].securityContext.privileged`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(String::new())
    }

    pub fn parse(s: &str) -> Self {
        FieldPath(s.to_string())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut s = String::with_capacity(self.0.len() + k.len() + 1);
        s.push_str(&self.0);
        let plain = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if plain {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(k);
        } else {
            s.push_str("[\"");
            s.push_str(&k.replace('"', "\\\""));
            s.push_str("\"]");
        }
        FieldPath(s)
    }

    pub fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{}]", self.0, i))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// `self` followed by `rest` (`items[3]` joined with `spec.x` is `items[3].spec.x`).
    pub fn join(&self, rest: &FieldPath) -> Self {
        if self.0.is_empty() || rest.0.is_empty() || rest.0.starts_with('[') {
            FieldPath(format!("{}{}", self.0, rest.0))
        } else {
            FieldPath(format!("{}.{}", self.0, rest.0))
        }
    }

    /// What follows `prefix` when this path starts with it (whole segments only): the inverse
    /// of [`FieldPath::join`].
    pub fn strip_prefix(&self, prefix: &FieldPath) -> Option<Self> {
        let rest = self.0.strip_prefix(prefix.0.as_str())?;
        if prefix.0.is_empty() || rest.is_empty() || rest.starts_with('[') {
            Some(FieldPath(rest.to_string()))
        } else {
            rest.strip_prefix('.').map(|r| FieldPath(r.to_string()))
        }
    }

    /// Its segments, keys and indexes, in order (no allocation).
    pub fn segments(&self) -> Segments<'_> {
        Segments { s: &self.0, i: 0 }
    }
}

/// Iterator over the segments of a [`FieldPath`].
pub struct Segments<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        let s = self.s;
        let b = s.as_bytes();
        while self.i < b.len() && b[self.i] == b'.' {
            self.i += 1;
        }
        let i = self.i;
        if i >= b.len() {
            return None;
        }
        Some(match b[i] {
            b'[' if b.get(i + 1) == Some(&b'"') => {
                let start = i + 2;
                let mut j = start;
                while j < b.len() && !(b[j] == b'"' && b[j - 1] != b'\\') {
                    j += 1;
                }
                self.i = (j + 2).min(b.len());
                Segment::Key(&s[start..j.min(b.len())])
            }
            b'[' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b']' {
                    j += 1;
                }
                self.i = j + 1;
                Segment::Index(s[start..j].parse().unwrap_or(usize::MAX))
            }
            _ => {
                let mut j = i;
                while j < b.len() && b[j] != b'.' && b[j] != b'[' {
                    j += 1;
                }
                self.i = j;
                Segment::Key(&s[i..j])
            }
        })
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One step of a [`FieldPath`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

impl Node {
    /// The position of the field at `path` (a key's position for mapping fields), or of its
    /// deepest existing ancestor.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        let mut cur = self;
        let mut pos = self.pos;
        for seg in path.segments() {
            match seg {
                Segment::Key(k) => match cur.entry(k) {
                    Some(e) => {
                        pos = e.key_pos;
                        cur = &e.value;
                    }
                    None => return pos,
                },
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

    /// The longest prefix of `path` that exists in this tree: findings point at the offending
    /// field, or at its closest parent when the field is missing.
    pub fn existing_prefix(&self, path: &FieldPath) -> FieldPath {
        let mut cur = self;
        let mut out = FieldPath::root();
        for seg in path.segments() {
            match seg {
                Segment::Key(k) => match cur.get(k) {
                    Some(n) => {
                        cur = n;
                        out = out.key(k);
                    }
                    None => break,
                },
                Segment::Index(i) => match cur.as_seq().and_then(|s| s.get(i)) {
                    Some(n) => {
                        cur = n;
                        out = out.index(i);
                    }
                    None => break,
                },
            }
        }
        out
    }

    /// The node at `path`, if every step exists.
    pub fn lookup(&self, path: &FieldPath) -> Option<&Node> {
        let mut cur = self;
        for seg in path.segments() {
            cur = match seg {
                Segment::Key(k) => cur.get(k)?,
                Segment::Index(i) => cur.as_seq()?.get(i)?,
            };
        }
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_path_round_trip() {
        let p = FieldPath::root()
            .key("spec")
            .key("containers")
            .index(2)
            .key("a.b/c");
        assert_eq!(p.as_str(), "spec.containers[2][\"a.b/c\"]");
        assert_eq!(
            p.segments().collect::<Vec<_>>(),
            vec![
                Segment::Key("spec"),
                Segment::Key("containers"),
                Segment::Index(2),
                Segment::Key("a.b/c")
            ]
        );
    }

    #[test]
    fn field_paths_join_and_strip_whole_segments() {
        let items = FieldPath::root().key("items").index(3);
        let rest = FieldPath::root().key("spec").key("x");
        let joined = items.join(&rest);
        assert_eq!(joined.as_str(), "items[3].spec.x");
        assert_eq!(joined.strip_prefix(&items), Some(rest.clone()));
        assert_eq!(
            items.join(&FieldPath::root().index(1)).as_str(),
            "items[3][1]"
        );
        assert_eq!(FieldPath::root().join(&rest), rest);
        assert_eq!(
            joined.strip_prefix(&FieldPath::root()),
            Some(joined.clone())
        );
        // not on a segment boundary
        let longer = FieldPath::root().key("items").index(31).key("a");
        assert_eq!(longer.strip_prefix(&items), None);
        assert_eq!(
            FieldPath::root()
                .key("itemsX")
                .strip_prefix(&FieldPath::root().key("items")),
            None
        );
    }
}
