//! Mermaid (`flowchart LR`) of the attack paths: the same vertices and edges as DOT (those on
//! at least one path; with no path the whole graph, at most [`MAX_DRAWN_EDGES`] edges, fewer
//! when the text would pass Mermaid's default size limit, with a `%%` comment when cut), edges
//! labelled with the attack id, the internet and the sinks styled with classes.
//!
//! Vertices are named `v0`, `v1`, ...; labels are quoted strings in which every character
//! other than ASCII letters, digits, space and `/.:_-,*+=@` is written as Mermaid's numeric
//! entity code (`#34;` for `"`, `#60;` for `<`, `#35;` for `#`), so an input string can neither
//! close the string, nor open HTML, markdown or a comment.

use super::{clean, drawn, Lookup, MAX_DRAWN_EDGES};
use kubeward_paths::{Graph, VertexKind};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

/// Writes the Mermaid flowchart of the paths.
pub fn mermaid(graph: &Graph, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(graph).as_bytes())
}

/// A Mermaid quoted label with every character outside a small safe set as an entity code.
pub(crate) fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " /.:_-,*+=@".contains(c) {
            s.push(c);
        } else {
            let _ = write!(s, "#{};", c as u32);
        }
    }
    s.push('"');
    s
}

/// Mermaid refuses a diagram longer than `maxTextSize` (50,000 characters by default): the
/// drawing is cut further until the text fits in this many bytes.
const MAX_TEXT: usize = 48_000;

fn render(graph: &Graph) -> String {
    let look = Lookup::new(graph);
    let mut cap = MAX_DRAWN_EDGES;
    loop {
        let s = render_at_most(graph, &look, cap);
        if s.len() <= MAX_TEXT || cap <= 1 {
            return s;
        }
        cap = cap * 3 / 4;
    }
}

fn render_at_most(graph: &Graph, look: &Lookup<'_>, cap: usize) -> String {
    let d = drawn(look, cap);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "%% kubeward attack paths: {} paths, {} vertices and {} edges drawn",
        graph.paths.len(),
        d.vertices.len(),
        d.edges.len()
    );
    if graph.paths.is_empty() {
        let _ = writeln!(
            s,
            "%% no path from the internet to a node or cluster-admin: the whole graph"
        );
    }
    if let Some((shown, total)) = d.cut {
        let _ = writeln!(s, "%% cut: {shown} of {total} edges drawn");
    }
    if d.isolated_left_out {
        let _ = writeln!(s, "%% vertices without a drawn edge are left out");
    }
    s.push_str("flowchart LR\n");
    let mut name: HashMap<&str, usize> = HashMap::new();
    let mut internet = Vec::new();
    let mut sinks = Vec::new();
    for (i, id) in d.vertices.iter().enumerate() {
        name.insert(id.as_str(), i);
        let label = quote(&look.label(id));
        let _ = match look.kind(id) {
            Some(VertexKind::Internet) => {
                internet.push(format!("v{i}"));
                writeln!(s, "  v{i}(({label}))")
            }
            _ if d.is_sink(look, id) => {
                sinks.push(format!("v{i}"));
                writeln!(s, "  v{i}{{{{{label}}}}}")
            }
            _ => writeln!(s, "  v{i}[{label}]"),
        };
    }
    for &e in &d.edges {
        let edge = &graph.edges[e];
        let (Some(f), Some(t)) = (name.get(edge.from.as_str()), name.get(edge.to.as_str())) else {
            continue;
        };
        let _ = writeln!(s, "  v{f} -->|{}| v{t}", quote(&clean(edge.attack)));
    }
    s.push_str("  classDef internet fill:#dbeafe,stroke:#1d4ed8\n");
    s.push_str("  classDef sink fill:#fecaca,stroke:#b91c1c,stroke-width:2px\n");
    if !internet.is_empty() {
        let _ = writeln!(s, "  class {} internet", internet.join(","));
    }
    if !sinks.is_empty() {
        let _ = writeln!(s, "  class {} sink", sinks.join(","));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_writes_entities_for_syntax_characters() {
        assert_eq!(quote(r#"a"]"#), "\"a#34;#93;\"");
        assert_eq!(quote("<b>#x;"), "\"#60;b#62;#35;x#59;\"");
        assert_eq!(quote("Deployment/shop/web"), "\"Deployment/shop/web\"");
        assert_eq!(quote("→"), "\"#8594;\"");
    }
}
