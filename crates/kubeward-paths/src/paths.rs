//! Shortest weighted paths (Dijkstra) and choke points (a greedy cut over the path set).

use crate::{ChokePoint, Graph, Path};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Dijkstra from `source`: per vertex, the edge it is reached by on a shortest path. Ties
/// keep the edge of the lowest index, so the result is deterministic.
fn dijkstra(adj: &[Vec<(usize, usize)>], graph: &Graph, source: usize) -> Vec<Option<usize>> {
    let n = adj.len();
    let mut dist = vec![u64::MAX; n];
    let mut prev = vec![None; n];
    let mut heap = BinaryHeap::new();
    dist[source] = 0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v] {
            continue;
        }
        for &(e, to) in &adj[v] {
            let nd = d + u64::from(graph.edges[e].weight);
            if nd < dist[to] {
                dist[to] = nd;
                prev[to] = Some(e);
                heap.push(Reverse((nd, to)));
            }
        }
    }
    prev
}

fn index_of(graph: &Graph, id: &str) -> Option<usize> {
    graph
        .vertices
        .binary_search_by(|v| v.id.as_str().cmp(id))
        .ok()
}

/// For every edge from the internet to an endpoint, the shortest path from that endpoint to
/// every sink (cluster-admin, node) it reaches, prefixed with the exposure edge.
pub fn shortest_paths(graph: &Graph) -> Vec<Path> {
    let n = graph.vertices.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut ends = Vec::with_capacity(graph.edges.len());
    for (i, e) in graph.edges.iter().enumerate() {
        let (Some(f), Some(t)) = (index_of(graph, &e.from), index_of(graph, &e.to)) else {
            ends.push(None);
            continue;
        };
        adj[f].push((i, t));
        ends.push(Some((f, t)));
    }
    let sinks: Vec<usize> = (0..n)
        .filter(|&i| graph.vertices[i].kind.is_sink())
        .collect();
    let mut out = Vec::new();
    let mut done: BTreeMap<usize, Vec<Option<usize>>> = BTreeMap::new();
    for (i, e) in graph.edges.iter().enumerate() {
        if e.from != "internet" {
            continue;
        }
        let Some((_, entry)) = ends[i] else { continue };
        let prev = done
            .entry(entry)
            .or_insert_with(|| dijkstra(&adj, graph, entry));
        for &s in &sinks {
            if s == entry {
                continue;
            }
            let mut hops = Vec::new();
            let mut v = s;
            while v != entry {
                let Some(e) = prev[v] else { break };
                hops.push(e);
                v = ends[e].map(|(f, _)| f).unwrap_or(entry);
            }
            if v != entry || hops.is_empty() {
                continue;
            }
            hops.push(i);
            hops.reverse();
            let weight = hops.iter().map(|&h| graph.edges[h].weight).sum();
            out.push(Path {
                from: e.from.clone(),
                entry: Some(e.to.clone()),
                to: graph.vertices[s].id.clone(),
                edges: hops,
                weight,
            });
        }
    }
    // several exposure edges into one endpoint: keep the lightest path per (entry, sink)
    out.sort_by(|a, b| {
        (&a.entry, &a.to, a.weight, &a.edges).cmp(&(&b.entry, &b.to, b.weight, &b.edges))
    });
    out.dedup_by(|x, y| x.entry == y.entry && x.to == y.to);
    out
}

/// Choke points: the fixable fields (the first evidence of an edge that has a fix) ranked
/// greedily: each round takes the field whose edges lie on the most paths not cut yet.
pub fn choke_points(graph: &Graph, paths: &[Path]) -> Vec<ChokePoint> {
    // (object, path) → edges fixed there
    let mut fields: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, e) in graph.edges.iter().enumerate() {
        if e.fix.is_empty() {
            continue;
        }
        if let Some(ev) = e.evidence.first() {
            fields
                .entry((ev.object.clone(), ev.path.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut alive = vec![true; paths.len()];
    let mut out = Vec::new();
    loop {
        let mut best: Option<(&(String, String), usize)> = None;
        for (key, edges) in &fields {
            let cut = paths
                .iter()
                .zip(&alive)
                .filter(|(p, &a)| a && p.edges.iter().any(|e| edges.contains(e)))
                .count();
            if cut > 0 && best.is_none_or(|(_, c)| cut > c) {
                best = Some((key, cut));
            }
        }
        let Some((key, cut)) = best else { break };
        let edges = fields[key].clone();
        for (p, a) in paths.iter().zip(alive.iter_mut()) {
            if p.edges.iter().any(|e| edges.contains(e)) {
                *a = false;
            }
        }
        let first = &graph.edges[edges[0]];
        let ev = &first.evidence[0];
        out.push(ChokePoint {
            fix: first.fix.clone(),
            object: key.0.clone(),
            path: key.1.clone(),
            file: ev.file.clone(),
            line: ev.line,
            paths_cut: cut,
            edges,
        });
        let key = key.clone();
        fields.remove(&key);
    }
    out
}
