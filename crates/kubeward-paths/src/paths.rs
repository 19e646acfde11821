//! Shortest weighted paths (Dijkstra) and choke points (a greedy cut over the path set).

use crate::{ChokePoint, Graph, Path};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// How many equally good choke-point candidates are compared by the paths they leave.
const LOOKAHEAD: usize = 16;

/// A fixable field: (object, field path).
type FieldKey = (String, String);

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
    shortest_paths_without(graph, &vec![false; graph.edges.len()])
}

/// [`shortest_paths`] in the graph less the edges marked in `removed`.
fn shortest_paths_without(graph: &Graph, removed: &[bool]) -> Vec<Path> {
    let n = graph.vertices.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut ends = Vec::with_capacity(graph.edges.len());
    for (i, e) in graph.edges.iter().enumerate() {
        let (Some(f), Some(t)) = (index_of(graph, &e.from), index_of(graph, &e.to)) else {
            ends.push(None);
            continue;
        };
        if removed[i] {
            ends.push(None);
            continue;
        }
        adj[f].push((i, t));
        ends.push(Some((f, t)));
    }
    let sinks: Vec<usize> = (0..n)
        .filter(|&i| graph.vertices[i].kind.is_sink())
        .collect();
    let mut out = Vec::new();
    let mut done: BTreeMap<usize, Vec<Option<usize>>> = BTreeMap::new();
    for (i, e) in graph.edges.iter().enumerate() {
        if e.from != "internet" || removed[i] {
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
/// greedily: each round takes the field whose edges lie on the most current shortest paths,
/// removes its edges and recomputes the paths (the ones that went around it appear), until
/// no path is left or no fixable field cuts one. Applying every choke point in order leaves
/// `paths_left` of the last one.
pub fn choke_points(graph: &Graph, paths: &[Path]) -> Vec<ChokePoint> {
    // (object, path) → edges fixed there
    let mut fields: BTreeMap<FieldKey, Vec<usize>> = BTreeMap::new();
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
    let mut removed = vec![false; graph.edges.len()];
    let mut current = paths.to_vec();
    let mut out = Vec::new();
    while !current.is_empty() {
        let mut cuts: Vec<(&FieldKey, usize)> = fields
            .iter()
            .map(|(key, edges)| {
                let cut = current
                    .iter()
                    .filter(|p| p.edges.iter().any(|e| edges.contains(e)))
                    .count();
                (key, cut)
            })
            .filter(|&(_, cut)| cut > 0)
            .collect();
        let Some(max) = cuts.iter().map(|&(_, c)| c).max() else {
            break;
        };
        cuts.retain(|&(_, c)| c == max);
        // among the fields that cut as many, the one that leaves the fewest paths once the
        // paths are recomputed (a fix whose paths go around it through the same workload
        // ranks after one that closes the way); a few candidates are tried
        let mut best: Option<(&FieldKey, Vec<bool>, Vec<Path>)> = None;
        for &(key, _) in cuts.iter().take(LOOKAHEAD) {
            let mut mask = removed.clone();
            for &e in &fields[key] {
                mask[e] = true;
            }
            let left = shortest_paths_without(graph, &mask);
            if best.as_ref().is_none_or(|(_, _, l)| left.len() < l.len()) {
                best = Some((key, mask, left));
            }
        }
        let Some((key, mask, left)) = best else { break };
        let cut = max;
        let edges = fields[key].clone();
        removed = mask;
        current = left;
        let first = &graph.edges[edges[0]];
        let ev = &first.evidence[0];
        out.push(ChokePoint {
            fix: first.fix.clone(),
            object: key.0.clone(),
            path: key.1.clone(),
            file: ev.file.clone(),
            line: ev.line,
            paths_cut: cut,
            paths_left: current.len(),
            edges,
        });
        let key = key.clone();
        fields.remove(&key);
    }
    out
}
