//! The text of `kubeward paths`: the story (one line per path), each path hop by hop with its
//! evidence, then the ranked choke points.
//!
//! ```text
//! 2 attack paths from the internet (1 to cluster-admin, 1 to node root)
//!   1. internet → Service/shop/frontend → … → cluster-admin, 5 hops (weight 9), cut by: ...
//!   2. internet → Service/shop/frontend → … → node root, 4 hops (weight 7), cut by: ...
//!
//! path 1: internet → Service/shop/frontend → … → cluster-admin, 5 hops (weight 9)
//!   1. EXPOSURE  internet → Service/shop/frontend  (weight 1, high confidence, T1190)
//!        examples/shop/10-frontend.yaml:9:9  Service/shop/frontend  spec.type
//!        fix: make Service frontend ClusterIP
//!   ...
//!
//! choke points (apply in order):
//!   1. set securityContext.privileged=false
//!        Deployment/shop/debug  spec.template.spec.containers[0].securityContext.privileged  deploy.yaml:42
//!        cuts 2 paths, 0 left
//! ```
//!
//! Styles only with `color`; every string from the input is [`clean`]ed.

use super::{
    choke_position, clean, count, hops, position, ranked, sink_kind, story_line, Lookup, Options,
    NO_PATH,
};
use anstyle::{AnsiColor, Style};
use kubeward_paths::{Confidence, Graph};
use std::fmt::Write as _;
use std::io;

/// Writes the text of the paths.
pub fn text(graph: &Graph, opts: &Options, out: &mut dyn io::Write) -> io::Result<()> {
    let mut s = String::new();
    render(graph, opts, &mut s);
    out.write_all(s.as_bytes())
}

/// The story lines of the paths, at most `max` (then `… and N more`), plain and escaped; no
/// line at all when there is no path. `kubeward scan`'s text report opens with them.
pub fn story(graph: &Graph, max: usize) -> Vec<String> {
    let look = Lookup::new(graph);
    let order = ranked(&look);
    let mut lines: Vec<String> = order
        .iter()
        .take(max)
        .map(|&i| story_line(graph, &look, &graph.paths[i]))
        .collect();
    if order.len() > max {
        lines.push(format!("… and {} more", order.len() - max));
    }
    lines
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn bold() -> Style {
    Style::new().bold()
}

fn dim() -> Style {
    Style::new().dimmed()
}

fn render(graph: &Graph, opts: &Options, s: &mut String) {
    let p = Painter { color: opts.color };
    let look = Lookup::new(graph);
    if graph.paths.is_empty() {
        let _ = writeln!(
            s,
            "{} ({}, {})",
            p.paint(bold(), NO_PATH),
            count(graph.vertices.len(), "vertex", "vertices"),
            count(graph.edges.len(), "edge", "edges")
        );
        return;
    }
    let order = ranked(&look);
    let shown = opts.max_paths.unwrap_or(usize::MAX).min(order.len());
    // paths per sink: cluster-admin, node, then the others by kind
    let mut sinks: Vec<(&str, usize)> = Vec::new();
    for x in &graph.paths {
        let kind = sink_kind(&look, x);
        match sinks.iter_mut().find(|(k, _)| *k == kind) {
            Some(slot) => slot.1 += 1,
            None => sinks.push((kind, 1)),
        }
    }
    sinks.sort_by_key(|&(k, _)| (k != "cluster-admin", k != "node", k));
    let sinks: Vec<String> = sinks
        .iter()
        .map(|&(k, n)| match k {
            "node" => format!("{n} to node root"),
            k => format!("{n} to {k}"),
        })
        .collect();
    let head = format!(
        "{} from the internet ({})",
        count(graph.paths.len(), "attack path", "attack paths"),
        sinks.join(", ")
    );
    let _ = writeln!(s, "{}", p.paint(bold(), &head));
    for (n, &i) in order.iter().take(shown).enumerate() {
        let _ = writeln!(
            s,
            "  {}. {}",
            n + 1,
            story_line(graph, &look, &graph.paths[i])
        );
    }
    if shown < order.len() {
        let _ = writeln!(s, "  … and {} more", order.len() - shown);
    }
    s.push('\n');
    for (n, &i) in order.iter().take(shown).enumerate() {
        let path = &graph.paths[i];
        let title = format!("path {}: {}", n + 1, story_line(graph, &look, path));
        let _ = writeln!(s, "{}", p.paint(bold(), &title));
        for (h, (_, e)) in hops(graph, path).into_iter().enumerate() {
            let confidence = match e.confidence {
                Confidence::High => "high",
                Confidence::Medium => "medium",
                Confidence::Low => "low",
            };
            let _ = writeln!(
                s,
                "  {}. {}  {} → {}  (weight {}, {confidence} confidence, {})",
                h + 1,
                p.paint(AnsiColor::Cyan.on_default().bold(), &clean(e.attack)),
                look.label(&e.from),
                look.label(&e.to),
                e.weight,
                clean(e.technique)
            );
            for ev in &e.evidence {
                let line = format!(
                    "{}  {}  {}",
                    position(ev),
                    clean(&ev.object),
                    clean(&ev.path)
                );
                let _ = writeln!(s, "       {}", p.paint(dim(), &line));
            }
            if !e.fix.is_empty() {
                let _ = writeln!(s, "       fix: {}", clean(&e.fix));
            }
            for c in &e.conditions {
                let _ = writeln!(s, "       if: {}", clean(c));
            }
        }
        s.push('\n');
    }
    if graph.choke_points.is_empty() {
        let _ = writeln!(s, "no choke point: no fixable field cuts these paths");
        return;
    }
    let _ = writeln!(
        s,
        "{}",
        p.paint(
            bold(),
            "choke points (apply in order; each fixes one field):"
        )
    );
    let chokes = opts
        .max_paths
        .unwrap_or(usize::MAX)
        .min(graph.choke_points.len());
    for (n, c) in graph.choke_points.iter().take(chokes).enumerate() {
        let _ = writeln!(
            s,
            "  {}. {}",
            n + 1,
            p.paint(AnsiColor::Green.on_default().bold(), &clean(&c.fix))
        );
        let _ = writeln!(
            s,
            "       {}  {}  {}",
            clean(&c.object),
            clean(&c.path),
            choke_position(c)
        );
        let _ = writeln!(
            s,
            "       cuts {}, {} left",
            count(c.paths_cut, "path", "paths"),
            c.paths_left
        );
    }
    if chokes < graph.choke_points.len() {
        let _ = writeln!(s, "  … and {} more", graph.choke_points.len() - chokes);
    }
}
