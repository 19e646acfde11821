//! The attack paths of `kubeward paths` (a [`kubeward_paths::Graph`]) as text, JSON, SARIF,
//! Graphviz DOT, Mermaid and a self-contained HTML page.
//!
//! Every format shows the paths in one order (see [`ranked`]): paths to cluster-admin first,
//! then the lighter (easier) ones, then the shorter. A path's *story* is one line:
//!
//! ```text
//! internet → Service/shop/frontend → … → node root, 4 hops (weight 7), cut by: set securityContext.privileged=false (Deployment/shop/debug, deploy.yaml:42)
//! ```
//!
//! where the fix is the best-ranked choke point that cuts the path. Every string from the input
//! (names, files, field paths, fixes, conditions) goes through [`clean`]: credentials masked
//! ([`crate::mask::mask_text`]), then terminal-escaped ([`kubeward_io::terminal::escape`]);
//! each format then escapes it for its own syntax (DOT strings, Mermaid entities, HTML).
//! Every output is deterministic: the same graph gives the same bytes.

use kubeward_paths::{ChokePoint, Edge, Evidence, Graph, Path, Vertex, VertexKind};
use std::collections::{BTreeSet, HashMap};
use std::io;

mod dot;
mod html;
mod mermaid;
mod sarif;
mod text;

pub use dot::dot;
pub use html::html;
pub use mermaid::mermaid;
pub use sarif::sarif;
pub use text::{story, text};

/// Options of the text format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// ANSI styles (text only).
    pub color: bool,
    /// Paths shown at most, in the story and hop by hop, and choke points shown at most (the
    /// rest are counted); `None`: all of them.
    pub max_paths: Option<usize>,
}

/// The graph as JSON (the contract of issue 8: vertices, edges, paths, choke points),
/// pretty-printed, with a final newline.
pub fn json(graph: &Graph, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, graph)?;
    out.write_all(b"\n")
}

/// What is said when no path exists.
pub(crate) const NO_PATH: &str = "no path from the internet to a node or cluster-admin";

/// Edges drawn at most by DOT and Mermaid (and vertices of the HTML graph): a large graph
/// without paths is cut here, with a note.
pub(crate) const MAX_DRAWN_EDGES: usize = 500;

/// Input text made safe for any output: credentials masked, then control and bidirectional
/// characters escaped (`\u{1b}`).
pub(crate) fn clean(text: &str) -> String {
    let masked = crate::mask::mask_text(text);
    kubeward_io::terminal::escape(&masked).into_owned()
}

/// Vertices by id (the graph's vertices are sorted by id, but a hand-made graph need not be)
/// and, per edge, the best-ranked choke point that removes it.
pub(crate) struct Lookup<'g> {
    graph: &'g Graph,
    by_id: HashMap<&'g str, usize>,
    choke_of: Vec<Option<usize>>,
}

impl<'g> Lookup<'g> {
    pub(crate) fn new(graph: &'g Graph) -> Lookup<'g> {
        let by_id = graph
            .vertices
            .iter()
            .enumerate()
            .map(|(i, v)| (v.id.as_str(), i))
            .collect();
        let mut choke_of = vec![None; graph.edges.len()];
        // in reverse rank, so the best rank is written last
        for (rank, c) in graph.choke_points.iter().enumerate().rev() {
            for &e in &c.edges {
                if let Some(slot) = choke_of.get_mut(e) {
                    *slot = Some(rank);
                }
            }
        }
        Lookup {
            graph,
            by_id,
            choke_of,
        }
    }

    pub(crate) fn vertex(&self, id: &str) -> Option<&'g Vertex> {
        self.by_id.get(id).map(|&i| &self.graph.vertices[i])
    }

    /// The vertex's kind; `None` for an id that names no vertex.
    pub(crate) fn kind(&self, id: &str) -> Option<VertexKind> {
        self.vertex(id).map(|v| v.kind)
    }

    /// The human name of a vertex ([`vertex_label`]), cleaned; the id itself when the
    /// graph has no such vertex.
    pub(crate) fn label(&self, id: &str) -> String {
        match self.vertex(id) {
            Some(v) => clean(&vertex_label(v)),
            None => clean(id),
        }
    }
}

/// The human name of a vertex, not cleaned: `internet`, `Service/shop/frontend`,
/// `Deployment/shop/web`, `container app of Deployment/shop/web`, `ServiceAccount/shop/web`,
/// `create pods in shop`, `Secret/shop/db`, `node root`, `cluster-admin`.
pub fn vertex_label(v: &Vertex) -> String {
    let ns = v.namespace.as_deref();
    // `Kind/name` names (endpoints, workloads) get the namespace after the kind
    let kinded = |name: &str| match (ns, name.split_once('/')) {
        (Some(ns), Some((kind, rest))) => format!("{kind}/{ns}/{rest}"),
        (Some(ns), None) => format!("{ns}/{name}"),
        (None, _) => name.to_string(),
    };
    let with_ns = |kind: &str| match ns {
        Some(ns) => format!("{kind}/{ns}/{}", v.name),
        None => format!("{kind}/{}", v.name),
    };
    match v.kind {
        VertexKind::Internet => "internet".to_string(),
        VertexKind::ClusterAdmin => "cluster-admin".to_string(),
        VertexKind::Node if v.name.is_empty() || v.name == "any" => "node root".to_string(),
        VertexKind::Node => format!("node {} root", v.name),
        VertexKind::Endpoint | VertexKind::Workload => kinded(&v.name),
        VertexKind::Container => match v.name.rsplit_once('/') {
            Some((workload, container)) => {
                format!("container {container} of {}", kinded(workload))
            }
            None => format!("container {}", kinded(&v.name)),
        },
        VertexKind::Serviceaccount => with_ns("ServiceAccount"),
        VertexKind::Secret => with_ns("Secret"),
        VertexKind::User => with_ns("User"),
        VertexKind::Group => with_ns("Group"),
        VertexKind::Volume => format!("volume {}", kinded(&v.name)),
        VertexKind::Grant => match ns {
            Some(ns) => format!("{} in {ns}", v.name),
            None => format!("{} (cluster-wide)", v.name),
        },
        VertexKind::NamespaceAdmin => format!("admin of namespace {}", v.name),
        VertexKind::Network => "the pod network".to_string(),
        // a kind added to the library later: its id's kind and the name
        #[allow(unreachable_patterns)]
        _ => format!("{} {}", v.kind.as_str(), kinded(&v.name)),
    }
}

/// The kind of vertex a path ends at, as rule-id suffix and CSS class: `cluster-admin`,
/// `node`, ... (`unknown` when the graph lacks the vertex).
pub(crate) fn sink_kind(look: &Lookup<'_>, p: &Path) -> &'static str {
    look.kind(&p.to).map_or("unknown", |k| k.as_str())
}

/// Path indices in display order: to cluster-admin first, then by weight, hops, and the
/// graph's order.
pub(crate) fn ranked(look: &Lookup<'_>) -> Vec<usize> {
    let graph = look.graph;
    let mut order: Vec<usize> = (0..graph.paths.len()).collect();
    order.sort_by_key(|&i| {
        let p = &graph.paths[i];
        let not_admin = look.kind(&p.to) != Some(VertexKind::ClusterAdmin);
        (not_admin, p.weight, p.edges.len(), i)
    });
    order
}

/// The edges of a path that exist in the graph (a bad index is skipped, never a panic).
pub(crate) fn hops<'g>(graph: &'g Graph, p: &Path) -> Vec<(usize, &'g Edge)> {
    p.edges
        .iter()
        .filter_map(|&i| graph.edges.get(i).map(|e| (i, e)))
        .collect()
}

/// The best-ranked choke point that cuts the path, with the edge of the path it removes.
pub(crate) fn cut_by<'g>(look: &Lookup<'g>, p: &Path) -> Option<(usize, &'g ChokePoint, usize)> {
    p.edges
        .iter()
        .filter_map(|&e| {
            look.choke_of
                .get(e)
                .copied()
                .flatten()
                .map(|rank| (rank, e))
        })
        .min_by_key(|&(rank, _)| rank)
        .and_then(|(rank, e)| look.graph.choke_points.get(rank).map(|c| (rank, c, e)))
}

/// The field where a path is best fixed: the first evidence of the edge the best choke point
/// cuts, else the first evidence of the first edge that has a fix, else the first evidence.
pub(crate) fn first_fixable<'g>(look: &Lookup<'g>, p: &Path) -> Option<&'g Evidence> {
    let graph = look.graph;
    let on_path = hops(graph, p);
    cut_by(look, p)
        .and_then(|(_, _, e)| graph.edges.get(e))
        .and_then(|e| e.evidence.first())
        .or_else(|| {
            on_path
                .iter()
                .filter(|(_, e)| !e.fix.is_empty())
                .find_map(|(_, e)| e.evidence.first())
        })
        .or_else(|| on_path.iter().find_map(|(_, e)| e.evidence.first()))
}

/// `file:line:col` of an evidence, cleaned (`file` alone when the position is unknown).
pub(crate) fn position(ev: &Evidence) -> String {
    match (ev.line, ev.col) {
        (0, _) => clean(&ev.file),
        (l, 0) => format!("{}:{l}", clean(&ev.file)),
        (l, c) => format!("{}:{l}:{c}", clean(&ev.file)),
    }
}

/// `file:line` of a choke point, cleaned.
pub(crate) fn choke_position(c: &ChokePoint) -> String {
    if c.line == 0 {
        clean(&c.file)
    } else {
        format!("{}:{}", clean(&c.file), c.line)
    }
}

/// `1 path` / `2 paths`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    crate::plural(n, one, many)
}

/// The story of a path, cleaned: `internet → Service/shop/frontend → … → node root, 4 hops
/// (weight 7), cut by: FIX (OBJECT, FILE:LINE)`. Paths of up to four vertices are shown
/// whole; longer ones as the start, the entry point, `…` and the sink.
pub(crate) fn story_line(graph: &Graph, look: &Lookup<'_>, p: &Path) -> String {
    let on_path = hops(graph, p);
    let mut chain: Vec<String> = Vec::new();
    chain.push(look.label(&p.from));
    for (_, e) in &on_path {
        chain.push(look.label(&e.to));
    }
    if on_path.is_empty() || on_path.last().is_some_and(|(_, e)| e.to != p.to) {
        chain.push(look.label(&p.to));
    }
    let shown = if chain.len() > 4 {
        let last = chain.len() - 1;
        vec![
            chain[0].clone(),
            chain[1].clone(),
            "…".to_string(),
            chain[last].clone(),
        ]
    } else {
        chain
    };
    let mut line = format!(
        "{}, {} (weight {})",
        shown.join(" → "),
        count(p.edges.len(), "hop", "hops"),
        p.weight
    );
    if let Some((_, c, _)) = cut_by(look, p) {
        line.push_str(&format!(
            ", cut by: {} ({}, {})",
            clean(&c.fix),
            clean(&c.object),
            choke_position(c)
        ));
    }
    line
}

/// The part of the graph that DOT, Mermaid and HTML draw.
pub(crate) struct Drawn {
    /// Edge indices, ascending.
    pub edges: Vec<usize>,
    /// Vertex ids of those edges (and of the paths' ends), sorted.
    pub vertices: Vec<String>,
    /// `(drawn, total)` when edges were left out.
    pub cut: Option<(usize, usize)>,
    /// Without paths, whether the vertices without a drawn edge were left out (the graph
    /// is too large to draw whole).
    pub isolated_left_out: bool,
    /// The ends of the paths (styled as sinks, with node and cluster-admin).
    pub targets: BTreeSet<String>,
}

impl Drawn {
    /// Whether a drawn vertex is styled as a sink: root on a node, cluster-admin, or the end
    /// of a path.
    pub(crate) fn is_sink(&self, look: &Lookup<'_>, id: &str) -> bool {
        look.kind(id).is_some_and(|k| k.is_breach()) || self.targets.contains(id)
    }
}

/// The vertices and edges on at least one path; with no path, the whole graph. At most
/// `cap` edges either way (the paths' edges in display order, else the graph's first); without
/// paths, vertices without edges only when there are at most `cap` vertices.
pub(crate) fn drawn(look: &Lookup<'_>, cap: usize) -> Drawn {
    let graph = look.graph;
    let mut candidates: Vec<usize> = Vec::new();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut ends: BTreeSet<String> = BTreeSet::new();
    if graph.paths.is_empty() {
        candidates.extend(0..graph.edges.len());
        seen.extend(0..graph.edges.len());
    } else {
        for i in ranked(look) {
            let p = &graph.paths[i];
            for (e, _) in hops(graph, p) {
                if seen.insert(e) {
                    candidates.push(e);
                }
            }
        }
    }
    let total = candidates.len();
    candidates.truncate(cap);
    let mut edges = candidates;
    edges.sort_unstable();
    for &e in &edges {
        ends.insert(graph.edges[e].from.clone());
        ends.insert(graph.edges[e].to.clone());
    }
    // no path and a small graph: every vertex, the isolated ones too
    let whole = graph.paths.is_empty() && total <= cap && graph.vertices.len() <= cap;
    if whole {
        ends.extend(graph.vertices.iter().map(|v| v.id.clone()));
    }
    Drawn {
        edges,
        vertices: ends.into_iter().collect(),
        cut: (total > cap).then_some((cap, total)),
        isolated_left_out: graph.paths.is_empty() && !whole,
        targets: graph.paths.iter().map(|p| p.to.clone()).collect(),
    }
}

/// FNV-1a 64 of the parts, as 16 hex digits: the stable identity of a path (SARIF
/// fingerprints, HTML element ids).
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: VertexKind, ns: Option<&str>, name: &str) -> String {
        vertex_label(&Vertex::new(kind, ns, name))
    }

    #[test]
    fn labels_put_the_namespace_after_the_kind() {
        assert_eq!(
            v(VertexKind::Endpoint, Some("shop"), "Service/frontend"),
            "Service/shop/frontend"
        );
        assert_eq!(
            v(VertexKind::Container, Some("shop"), "Deployment/web/app"),
            "container app of Deployment/shop/web"
        );
        assert_eq!(
            v(VertexKind::Serviceaccount, Some("shop"), "web"),
            "ServiceAccount/shop/web"
        );
        assert_eq!(v(VertexKind::Node, None, "any"), "node root");
        assert_eq!(
            v(VertexKind::Grant, None, "create pods"),
            "create pods (cluster-wide)"
        );
        assert_eq!(
            v(VertexKind::Grant, Some("shop"), "get secrets"),
            "get secrets in shop"
        );
        assert_eq!(v(VertexKind::ClusterAdmin, None, "x"), "cluster-admin");
    }

    #[test]
    fn clean_escapes_controls_and_masks_credentials() {
        assert_eq!(clean("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert!(!clean("postgres://u:hunter2@db/x").contains("hunter2"));
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]).len(), 16);
    }
}
