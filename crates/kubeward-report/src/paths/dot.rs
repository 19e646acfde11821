//! Graphviz DOT of the attack paths: the vertices and edges on at least one path (with no
//! path, the whole graph), at most [`MAX_DRAWN_EDGES`] edges with a comment when cut; edges
//! labelled with the attack id, the internet and the sinks styled.
//!
//! Vertices are named `v0`, `v1`, ... (in id order), so no input reaches an identifier; labels
//! and tooltips are DOT strings escaped by [`quote`].

use super::{drawn, Lookup, MAX_DRAWN_EDGES};
use kubeward_paths::{Graph, VertexKind};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

/// Writes the DOT graph of the paths.
pub fn dot(graph: &Graph, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(graph).as_bytes())
}

/// A DOT double-quoted string: `"` and `\` escaped (so the string cannot end early, and no
/// `\N`-style label escape comes from the input), line breaks as `\n`, other controls as
/// spaces.
pub(crate) fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            c if c.is_control() => s.push(' '),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn render(graph: &Graph) -> String {
    let look = Lookup::new(graph);
    let d = drawn(&look, MAX_DRAWN_EDGES);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// kubeward attack paths: {} paths, {} vertices and {} edges drawn",
        graph.paths.len(),
        d.vertices.len(),
        d.edges.len()
    );
    if graph.paths.is_empty() {
        let _ = writeln!(
            s,
            "// no path from the internet to a node or cluster-admin: the whole graph"
        );
    }
    if let Some((shown, total)) = d.cut {
        let _ = writeln!(s, "// cut: {shown} of {total} edges drawn");
    }
    if d.isolated_left_out {
        let _ = writeln!(s, "// vertices without a drawn edge are left out");
    }
    s.push_str("digraph kubeward_paths {\n");
    s.push_str("  rankdir=LR;\n");
    s.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=11];\n",
    );
    s.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    let mut name: HashMap<&str, usize> = HashMap::new();
    for (i, id) in d.vertices.iter().enumerate() {
        name.insert(id.as_str(), i);
        let style = match look.kind(id) {
            Some(VertexKind::Internet) => {
                ", shape=ellipse, fillcolor=\"#dbeafe\", color=\"#1d4ed8\""
            }
            _ if d.is_sink(&look, id) => {
                ", shape=doubleoctagon, fillcolor=\"#fecaca\", color=\"#b91c1c\", penwidth=2"
            }
            Some(VertexKind::Endpoint) => ", fillcolor=\"#fef3c7\"",
            _ => "",
        };
        let _ = writeln!(
            s,
            "  v{i} [label={}, tooltip={}{style}];",
            quote(&look.label(id)),
            quote(&super::clean(id))
        );
    }
    for &e in &d.edges {
        let edge = &graph.edges[e];
        let (Some(f), Some(t)) = (name.get(edge.from.as_str()), name.get(edge.to.as_str())) else {
            continue;
        };
        let _ = writeln!(
            s,
            "  v{f} -> v{t} [label={}, tooltip={}];",
            quote(&super::clean(edge.attack)),
            quote(&format!(
                "{} (weight {}, {})",
                super::clean(edge.attack),
                edge.weight,
                super::clean(edge.technique)
            ))
        );
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_keeps_the_string_closed() {
        assert_eq!(quote(r#"a"];evil[label="x"#), r#""a\"];evil[label=\"x""#);
        assert_eq!(quote("back\\"), r#""back\\""#);
        assert_eq!(quote("two\nlines\r"), r#""two\nlines ""#);
    }
}
