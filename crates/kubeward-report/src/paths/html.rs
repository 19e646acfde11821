//! A self-contained HTML page of the attack paths: the graph drawn as inline SVG (laid out
//! here, left to right, deterministic), the path list with every hop, its evidence and
//! conditions, and the ranked choke points. Clicking a path highlights its vertices and edges
//! (a few lines of inline JavaScript, which also marks `<body data-ready="1">` and selects the
//! path the address names, `paths.html#path-3`, else the first, once it has run).
//!
//! Nothing is fetched: no CDN, no font, no image; a Content-Security-Policy meta allows only
//! the inline style and script (`default-src 'none'`). Every string from the input is
//! [`clean`]ed and HTML-escaped ([`escape`]); the page embeds no JSON, the script reads
//! `data-` attributes of numbers and element ids only.
//!
//! Layout: each drawn vertex gets the layer of its first appearance in a breadth-first walk
//! from the internet (vertices no walk reaches start their own walk), rows inside a layer are
//! ordered by the mean row of their predecessors (two sweeps, ties by id), edges going back
//! or within a layer are drawn as arcs below the boxes.

use super::{
    choke_position, clean, count, drawn, hops, position, ranked, story_line, Lookup,
    MAX_DRAWN_EDGES, NO_PATH,
};
use kubeward_paths::{Confidence, Graph, VertexKind};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io;

/// Paths listed at most (the rest are counted).
const MAX_LISTED: usize = 1000;

/// Box size and spacing of the drawing, in SVG units.
const BOX_W: usize = 220;
const BOX_H: usize = 36;
const COL_W: usize = 340;
const ROW_H: usize = 58;
const MARGIN: usize = 20;
/// Characters of a label drawn in a box (the whole label is in its `<title>`).
const LABEL_CHARS: usize = 32;

/// Writes the HTML page of the paths.
pub fn html(graph: &Graph, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(graph).as_bytes())
}

/// Text for HTML content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// At most [`LABEL_CHARS`] characters, `…` when cut.
fn shorten(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        return text.to_string();
    }
    let mut s: String = text.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }
header { padding: 16px 24px; background: #111827; color: #f9fafb; }
header h1 { margin: 0 0 4px; font-size: 20px; }
main { padding: 16px 24px; }
section { margin-bottom: 24px; }
h2 { font-size: 16px; margin: 0 0 8px; }
.note { color: #92400e; }
#drawing { overflow: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; }
svg text { font: 11px system-ui, sans-serif; fill: #111827; }
g.v rect { fill: #fff; stroke: #6b7280; }
g.k-internet rect { fill: #dbeafe; stroke: #1d4ed8; }
g.k-endpoint rect { fill: #fef3c7; stroke: #b45309; }
g.v.sink rect { fill: #fecaca; stroke: #b91c1c; stroke-width: 2; }
g.e path { fill: none; stroke: #9ca3af; stroke-width: 1.2; }
g.e text { font-size: 9px; fill: #4b5563; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.focus g.v, svg.focus g.e { opacity: 0.18; }
svg.focus g.v.hl, svg.focus g.e.hl { opacity: 1; }
g.e.hl path { stroke: #dc2626; stroke-width: 2.5; }
g.v.hl rect { stroke: #dc2626; stroke-width: 2.5; }
#paths > li { margin-bottom: 6px; }
#paths .story { cursor: pointer; padding: 4px 6px; border-radius: 4px; }
#paths .story:hover { background: #e5e7eb; }
#paths > li.sel > .story { background: #fee2e2; }
ol.hops { margin: 4px 0 8px; }
ol.hops li { margin: 4px 0; }
.attack { font-weight: 600; font-family: ui-monospace, monospace; }
.meta { color: #6b7280; }
code { font-size: 12px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
"#;

const SCRIPT: &str = r##"
(function () {
  "use strict";
  var svg = document.getElementById("graph");
  var edges = {};
  var drawnEdges = svg ? svg.querySelectorAll("g.e") : [];
  Array.prototype.forEach.call(drawnEdges, function (g) { edges[g.getAttribute("data-e")] = g; });
  var items = document.querySelectorAll("#paths > li");
  function clear() {
    Array.prototype.forEach.call(document.querySelectorAll(".hl"), function (x) { x.classList.remove("hl"); });
    Array.prototype.forEach.call(items, function (x) { x.classList.remove("sel"); });
    if (svg) { svg.classList.remove("focus"); }
  }
  function show(li) {
    clear();
    li.classList.add("sel");
    if (svg) { svg.classList.add("focus"); }
    var ids = (li.getAttribute("data-edges") || "").split(" ");
    ids.forEach(function (e) {
      var g = edges[e];
      if (!g) { return; }
      g.classList.add("hl");
      [g.getAttribute("data-from"), g.getAttribute("data-to")].forEach(function (v) {
        var node = document.getElementById(v);
        if (node) { node.classList.add("hl"); }
      });
    });
  }
  Array.prototype.forEach.call(items, function (li) {
    var story = li.querySelector(".story");
    function toggle() {
      if (li.classList.contains("sel")) { clear(); } else { show(li); }
    }
    story.addEventListener("click", toggle);
    story.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); }
    });
  });
  // the path named by the address (paths.html#path-3), else the first
  var wanted = /^#path-[0-9]+$/.test(location.hash) ? document.getElementById(location.hash.slice(1)) : null;
  if (wanted) { show(wanted); } else if (items.length > 0) { show(items[0]); }
  document.body.setAttribute("data-drawn-vertices", String(svg ? svg.querySelectorAll("g.v").length : 0));
  document.body.setAttribute("data-drawn-edges", String(drawnEdges.length));
  document.body.setAttribute("data-ready", "1");
})();
"##;

/// Layer (column) and row of every drawn vertex.
fn layout(
    graph: &Graph,
    look: &Lookup<'_>,
    vertices: &[String],
    edges: &[usize],
) -> Vec<(usize, usize)> {
    let n = vertices.len();
    let at: HashMap<&str, usize> = vertices
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i))
        .collect();
    let mut out_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut in_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &e in edges {
        let edge = &graph.edges[e];
        if let (Some(&f), Some(&t)) = (at.get(edge.from.as_str()), at.get(edge.to.as_str())) {
            out_adj[f].push(t);
            in_adj[t].push(f);
        }
    }
    let mut layer: Vec<Option<usize>> = vec![None; n];
    // walks start at the internet, then at unreached vertices without predecessors, then at
    // any unreached vertex (cycles), in id order
    let mut starts: Vec<usize> = (0..n)
        .filter(|&i| look.kind(&vertices[i]) == Some(VertexKind::Internet))
        .collect();
    starts.extend((0..n).filter(|&i| in_adj[i].is_empty()));
    starts.extend(0..n);
    for s in starts {
        if layer[s].is_some() {
            continue;
        }
        layer[s] = Some(0);
        let mut queue = VecDeque::from([s]);
        while let Some(v) = queue.pop_front() {
            let next = layer[v].unwrap_or(0) + 1;
            for &t in &out_adj[v] {
                if layer[t].is_none() {
                    layer[t] = Some(next);
                    queue.push_back(t);
                }
            }
        }
    }
    let layer: Vec<usize> = layer.into_iter().map(|l| l.unwrap_or(0)).collect();
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in layer.iter().enumerate() {
        columns.entry(l).or_default().push(i);
    }
    let mut row = vec![0usize; n];
    for col in columns.values() {
        for (r, &v) in col.iter().enumerate() {
            row[v] = r;
        }
    }
    // barycentre sweeps: order each column by the mean row of its predecessors on the left
    for _ in 0..2 {
        for col in columns.values_mut() {
            let key = |v: usize| -> (u64, usize) {
                let preds: Vec<usize> = in_adj[v]
                    .iter()
                    .copied()
                    .filter(|&p| layer[p] < layer[v])
                    .collect();
                if preds.is_empty() {
                    return ((row[v] as u64) * 1000, v);
                }
                let sum: usize = preds.iter().map(|&p| row[p]).sum();
                (((sum * 1000) / preds.len()) as u64, v)
            };
            let mut keyed: Vec<((u64, usize), usize)> = col.iter().map(|&v| (key(v), v)).collect();
            keyed.sort();
            *col = keyed.into_iter().map(|(_, v)| v).collect();
            for (r, &v) in col.iter().enumerate() {
                row[v] = r;
            }
        }
    }
    (0..n).map(|i| (layer[i], row[i])).collect()
}

fn xy(pos: (usize, usize)) -> (usize, usize) {
    (MARGIN + pos.0 * COL_W, MARGIN + pos.1 * ROW_H)
}

fn svg(graph: &Graph, look: &Lookup<'_>, s: &mut String) {
    let d = drawn(look, MAX_DRAWN_EDGES);
    let pos = layout(graph, look, &d.vertices, &d.edges);
    let at: HashMap<&str, usize> = d
        .vertices
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i))
        .collect();
    let cols = pos.iter().map(|p| p.0 + 1).max().unwrap_or(1);
    let rows = pos.iter().map(|p| p.1 + 1).max().unwrap_or(1);
    let width = 2 * MARGIN + (cols - 1) * COL_W + BOX_W;
    let height = 2 * MARGIN + (rows - 1) * ROW_H + BOX_H + 40;
    if let Some((shown, total)) = d.cut {
        let _ = writeln!(
            s,
            "<p class=\"note\">The drawing is cut: {shown} of {total} edges drawn.</p>"
        );
    }
    if d.isolated_left_out {
        s.push_str("<p class=\"note\">Vertices without a drawn edge are left out.</p>\n");
    }
    let _ = writeln!(
        s,
        "<div id=\"drawing\"><svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"attack graph\">"
    );
    s.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b7280\"/></marker></defs>\n",
    );
    for &e in &d.edges {
        let edge = &graph.edges[e];
        let (Some(&f), Some(&t)) = (at.get(edge.from.as_str()), at.get(edge.to.as_str())) else {
            continue;
        };
        let (fx, fy) = xy(pos[f]);
        let (tx, ty) = xy(pos[t]);
        let (path, lx, ly) = if pos[t].0 > pos[f].0 {
            let (x1, y1) = (fx + BOX_W, fy + BOX_H / 2);
            let (x2, y2) = (tx, ty + BOX_H / 2);
            let mx = (x1 + x2) / 2;
            (
                format!("M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}"),
                mx,
                (y1 + y2) / 2 - 3,
            )
        } else {
            // back or within a column: an arc under the boxes
            let (x1, y1) = (fx + BOX_W / 2, fy + BOX_H);
            let (x2, y2) = (tx + BOX_W / 2, ty + BOX_H);
            let low = y1.max(y2) + 18 + 4 * (pos[f].0.abs_diff(pos[t].0));
            (
                format!("M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"),
                (x1 + x2) / 2,
                low - 2,
            )
        };
        let _ = writeln!(
            s,
            "<g class=\"e\" data-e=\"{e}\" data-from=\"v{f}\" data-to=\"v{t}\"><title>{} → {}: {} (weight {})</title><path d=\"{path}\" marker-end=\"url(#arrow)\"/><text x=\"{lx}\" y=\"{ly}\" text-anchor=\"middle\">{}</text></g>",
            escape(&look.label(&edge.from)),
            escape(&look.label(&edge.to)),
            escape(&clean(edge.attack)),
            edge.weight,
            escape(&clean(edge.attack)),
        );
    }
    for (i, id) in d.vertices.iter().enumerate() {
        let (x, y) = xy(pos[i]);
        let kind = look.kind(id).map_or("unknown", |k| k.as_str());
        let sink = if d.is_sink(look, id) { " sink" } else { "" };
        let label = look.label(id);
        let _ = writeln!(
            s,
            "<g class=\"v k-{kind}{sink}\" id=\"v{i}\"><title>{} ({})</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            escape(&label),
            escape(&clean(id)),
            x + BOX_W / 2,
            y + BOX_H / 2 + 4,
            escape(&shorten(&label)),
        );
    }
    s.push_str("</svg></div>\n");
}

fn render(graph: &Graph) -> String {
    let look = Lookup::new(graph);
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<title>kubeward attack paths</title>\n<style>");
    s.push_str(STYLE);
    s.push_str("</style>\n</head>\n<body>\n<header><h1>kubeward attack paths</h1>");
    let summary = if graph.paths.is_empty() {
        NO_PATH.to_string()
    } else {
        format!(
            "{} from the internet, {}",
            count(graph.paths.len(), "path", "paths"),
            count(graph.choke_points.len(), "choke point", "choke points")
        )
    };
    let _ = writeln!(
        s,
        "<div id=\"summary\">{} ({}, {} in the graph)</div></header>\n<main>",
        escape(&summary),
        count(graph.vertices.len(), "vertex", "vertices"),
        count(graph.edges.len(), "edge", "edges")
    );
    s.push_str("<section id=\"graph-section\"><h2>Graph</h2>\n");
    if graph.paths.is_empty() {
        s.push_str("<p>No path: the whole graph is drawn.</p>\n");
    } else {
        s.push_str("<p>The vertices and edges on at least one path. Click a path below to highlight it.</p>\n");
    }
    svg(graph, &look, &mut s);
    s.push_str("</section>\n");
    s.push_str("<section><h2>Paths</h2>\n<ol id=\"paths\">\n");
    let order = ranked(&look);
    for (n, &i) in order.iter().take(MAX_LISTED).enumerate() {
        let p = &graph.paths[i];
        let ids: Vec<String> = p.edges.iter().map(|e| e.to_string()).collect();
        let _ = writeln!(
            s,
            "<li id=\"path-{}\" class=\"path\" data-edges=\"{}\"><div class=\"story\" role=\"button\" tabindex=\"0\">{}</div>\n<ol class=\"hops\">",
            n + 1,
            ids.join(" "),
            escape(&story_line(graph, &look, p))
        );
        for (_, e) in hops(graph, p) {
            let confidence = match e.confidence {
                Confidence::High => "high",
                Confidence::Medium => "medium",
                Confidence::Low => "low",
            };
            let _ = write!(
                s,
                "<li><span class=\"attack\">{}</span> {} → {} <span class=\"meta\">(weight {}, {confidence} confidence, {})</span>",
                escape(&clean(e.attack)),
                escape(&look.label(&e.from)),
                escape(&look.label(&e.to)),
                e.weight,
                escape(&clean(e.technique)),
            );
            for ev in &e.evidence {
                let _ = write!(
                    s,
                    "<br><code>{}</code> {} <code>{}</code>",
                    escape(&position(ev)),
                    escape(&clean(&ev.object)),
                    escape(&clean(&ev.path))
                );
            }
            if !e.fix.is_empty() {
                let _ = write!(s, "<br>fix: {}", escape(&clean(&e.fix)));
            }
            for c in &e.conditions {
                let _ = write!(s, "<br>if: {}", escape(&clean(c)));
            }
            s.push_str("</li>\n");
        }
        s.push_str("</ol></li>\n");
    }
    s.push_str("</ol>\n");
    if graph.paths.is_empty() {
        let _ = writeln!(s, "<p id=\"no-path\">{}</p>", escape(NO_PATH));
    } else if order.len() > MAX_LISTED {
        let _ = writeln!(
            s,
            "<p class=\"note\">… and {} more paths.</p>",
            order.len() - MAX_LISTED
        );
    }
    s.push_str("</section>\n<section><h2>Choke points</h2>\n");
    if graph.choke_points.is_empty() {
        s.push_str("<p>No choke point.</p>\n");
    } else {
        s.push_str("<table id=\"chokes\"><thead><tr><th>#</th><th>fix</th><th>object</th><th>field</th><th>where</th><th>paths cut</th><th>paths left</th></tr></thead><tbody>\n");
        for (n, c) in graph.choke_points.iter().enumerate() {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                n + 1,
                escape(&clean(&c.fix)),
                escape(&clean(&c.object)),
                escape(&clean(&c.path)),
                escape(&choke_position(c)),
                c.paths_cut,
                c.paths_left
            );
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str("</section>\n</main>\n<script>");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::{escape, shorten};

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"</script><b a='1' b="2">&"#),
            "&lt;/script&gt;&lt;b a=&#39;1&#39; b=&quot;2&quot;&gt;&amp;"
        );
    }

    #[test]
    fn shorten_cuts_long_labels() {
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(40);
        assert_eq!(shorten(&long).chars().count(), 32);
        assert!(shorten(&long).ends_with('…'));
    }
}
