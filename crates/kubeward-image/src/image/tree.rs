//! The squashed, in-memory view of the selected files of an image.

use crate::package::Package;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a [`Node`] holds.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A regular file whose content was kept.
    File(Arc<[u8]>),
    /// A binary or archive that was inspected while reading its layer (binaries can be large,
    /// so only what was found in them is kept). Empty when nothing was found.
    Inspected(Arc<[Package]>),
    /// A symbolic link and its target as written.
    Symlink(String),
}

/// One entry of a [`FileTree`].
#[derive(Debug, Clone)]
pub struct Node {
    /// The content.
    pub kind: NodeKind,
    /// Index (in [`super::ImageInfo::layers`]) of the layer that added this entry.
    pub layer: usize,
    /// Unix mode bits from the archive.
    pub mode: u32,
}

/// The squashed view: normalised path (relative, `/`-separated) → node.
#[derive(Debug, Default, Clone)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
    kept_bytes: u64,
}

/// Bound on symlink hops while resolving a path.
const MAX_LINK_HOPS: usize = 40;

impl FileTree {
    /// An empty tree.
    pub fn new() -> FileTree {
        FileTree::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Total bytes of file content kept.
    pub fn kept_bytes(&self) -> u64 {
        self.kept_bytes
    }

    /// The entry at exactly `path` (no symlink resolution).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// The content of the regular file at `path`, following symlinks inside the root.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let resolved = self.resolve(path)?;
        match &self.nodes.get(&resolved)?.kind {
            NodeKind::File(d) => Some(d),
            _ => None,
        }
    }

    /// Resolves symlinks in `path` inside the image root, as a chroot would: absolute targets
    /// start at the image root and `..` never climbs above it. Returns `None` on a loop.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .rev()
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                cur.pop();
                continue;
            }
            cur.push(comp);
            let joined = cur.join("/");
            if let Some(Node {
                kind: NodeKind::Symlink(target),
                ..
            }) = self.nodes.get(&joined)
            {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                for c in target
                    .split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .rev()
                {
                    pending.push(c.to_string());
                }
            }
        }
        Some(cur.join("/"))
    }

    /// Iterates over all entries in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Iterates over the entries whose path starts with `prefix`.
    pub fn iter_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        self.nodes
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// True when any entry lies strictly under folder `dir`.
    pub fn has_children(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        let found = self.iter_prefix(&prefix).next().is_some();
        found
    }

    /// Inserts (or replaces) an entry; anything below `path` from lower layers is removed
    /// (a file replacing a folder hides its content).
    pub(crate) fn insert(&mut self, path: String, node: Node) {
        self.remove_below(&path);
        if let NodeKind::File(d) = &node.kind {
            self.kept_bytes += d.len() as u64;
        }
        if let Some(old) = self.nodes.insert(path, node) {
            self.forget(&old);
        }
    }

    /// Removes `path` and everything below it (a `.wh.<name>` whiteout).
    pub(crate) fn remove(&mut self, path: &str) {
        if let Some(old) = self.nodes.remove(path) {
            self.forget(&old);
        }
        self.remove_below(path);
    }

    /// Removes everything strictly below folder `dir` (an opaque whiteout, or `dir` itself
    /// when it is the root: `""`).
    pub(crate) fn remove_below(&mut self, dir: &str) {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .iter_prefix(&prefix)
            .map(|(k, _)| k.to_string())
            .collect();
        for k in doomed {
            if let Some(old) = self.nodes.remove(&k) {
                self.forget(&old);
            }
        }
    }

    fn forget(&mut self, old: &Node) {
        if let NodeKind::File(d) = &old.kind {
            self.kept_bytes -= d.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(t: &mut FileTree, p: &str, d: &str) {
        t.insert(
            p.into(),
            Node {
                kind: NodeKind::File(Arc::from(d.as_bytes())),
                layer: 0,
                mode: 0o644,
            },
        );
    }
    fn link(t: &mut FileTree, p: &str, d: &str) {
        t.insert(
            p.into(),
            Node {
                kind: NodeKind::Symlink(d.into()),
                layer: 0,
                mode: 0o777,
            },
        );
    }

    #[test]
    fn resolves_inside_root() {
        let mut t = FileTree::new();
        file(&mut t, "usr/lib/os-release", "ID=debian");
        link(&mut t, "etc/os-release", "../usr/lib/os-release");
        link(&mut t, "lib", "usr/lib");
        link(&mut t, "escape", "../../../../../usr/lib/os-release");
        link(&mut t, "abs", "/usr/lib/os-release");
        link(&mut t, "loop", "loop");
        assert_eq!(t.read("etc/os-release"), Some(&b"ID=debian"[..]));
        assert_eq!(t.read("lib/os-release"), Some(&b"ID=debian"[..]));
        assert_eq!(t.resolve("escape").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(t.resolve("abs").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(t.resolve("loop"), None);
        t.remove("usr");
        assert_eq!(t.read("etc/os-release"), None);
        assert_eq!(t.kept_bytes(), 0);
    }
}
