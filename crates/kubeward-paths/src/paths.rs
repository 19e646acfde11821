//! Shortest weighted paths (Dijkstra) and choke points (a greedy cut over the path set).

use crate::{ChokePoint, Graph, Path};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// How many equally good choke-point candidates are compared by the paths they leave.
const LOOKAHEAD: usize = 8;

/// Past this many current paths, the first candidate is taken without looking ahead.
const LOOKAHEAD_PATHS: usize = 256;

/// A fixable field: (object, field path).
type FieldKey = (String, String);

/// The graph as adjacency lists, built once.
struct Net<'g> {
    graph: &'g Graph,
    /// Per vertex: (edge, head).
    adj: Vec<Vec<(usize, usize)>>,
    /// Per edge: (tail, head), `None` when a vertex is missing.
    ends: Vec<Option<(usize, usize)>>,
    sinks: Vec<usize>,
    is_sink: Vec<bool>,
    /// The exposure edges (from the internet).
    entries: Vec<usize>,
}

impl<'g> Net<'g> {
    fn new(graph: &'g Graph) -> Net<'g> {
        let n = graph.vertices.len();
        let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut ends = Vec::with_capacity(graph.edges.len());
        for (i, e) in graph.edges.iter().enumerate() {
            let end = index_of(graph, &e.from).zip(index_of(graph, &e.to));
            if let Some((f, t)) = end {
                adj[f].push((i, t));
            }
            ends.push(end);
        }
        let is_sink: Vec<bool> = graph.vertices.iter().map(|v| v.kind.is_sink()).collect();
        let sinks = (0..n).filter(|&i| is_sink[i]).collect();
        let entries = (0..graph.edges.len())
            .filter(|&i| graph.edges[i].from == "internet")
            .collect();
        Net {
            graph,
            adj,
            ends,
            sinks,
            is_sink,
            entries,
        }
    }

    /// Dijkstra from `source` without the `removed` edges: per vertex, the edge it is
    /// reached by on a shortest path. Ties keep the edge found first (lowest index from the
    /// vertex settled first), so the result is deterministic.
    fn dijkstra(&self, source: usize, removed: &[bool]) -> Vec<Option<usize>> {
        let n = self.adj.len();
        let mut dist = vec![u64::MAX; n];
        let mut prev = vec![None; n];
        let mut heap = BinaryHeap::new();
        dist[source] = 0;
        heap.push(Reverse((0u64, source)));
        // every sink settled: the rest of the graph cannot shorten their paths
        let mut open = self.sinks.len();
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > dist[v] {
                continue;
            }
            if self.is_sink[v] {
                open -= 1;
                if open == 0 {
                    break;
                }
            }
            for &(e, to) in &self.adj[v] {
                if removed[e] {
                    continue;
                }
                let nd = d + u64::from(self.graph.edges[e].weight);
                if nd < dist[to] {
                    dist[to] = nd;
                    prev[to] = Some(e);
                    heap.push(Reverse((nd, to)));
                }
            }
        }
        prev
    }

    /// The shortest paths of the exposure edges `entries` (edge indices from the internet).
    fn paths(&self, entries: &[usize], removed: &[bool]) -> Vec<Path> {
        let graph = self.graph;
        let mut out = Vec::new();
        let mut done: BTreeMap<usize, Vec<Option<usize>>> = BTreeMap::new();
        for &i in entries {
            if removed[i] {
                continue;
            }
            let Some((_, entry)) = self.ends[i] else {
                continue;
            };
            let prev = done
                .entry(entry)
                .or_insert_with(|| self.dijkstra(entry, removed));
            for &s in &self.sinks {
                if s == entry {
                    continue;
                }
                let mut hops = Vec::new();
                let mut v = s;
                while v != entry {
                    let Some(e) = prev[v] else { break };
                    hops.push(e);
                    v = self.ends[e].map(|(f, _)| f).unwrap_or(entry);
                }
                if v != entry || hops.is_empty() {
                    continue;
                }
                hops.push(i);
                hops.reverse();
                let weight = hops.iter().map(|&h| graph.edges[h].weight).sum();
                out.push(Path {
                    from: graph.edges[i].from.clone(),
                    entry: Some(graph.edges[i].to.clone()),
                    to: graph.vertices[s].id.clone(),
                    edges: hops,
                    weight,
                });
            }
        }
        sort_paths(&mut out);
        out
    }
}

/// Sorted by (entry, sink), the lightest kept when several exposure edges lead to one
/// endpoint.
fn sort_paths(out: &mut Vec<Path>) {
    out.sort_by(|a, b| {
        (&a.entry, &a.to, a.weight, &a.edges).cmp(&(&b.entry, &b.to, b.weight, &b.edges))
    });
    out.dedup_by(|x, y| x.entry == y.entry && x.to == y.to);
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
    let net = Net::new(graph);
    net.paths(&net.entries, &vec![false; graph.edges.len()])
}

/// The paths once the edges of `removed` are gone: a path that uses none of them stays
/// shortest (removing edges only lengthens distances), the others are recomputed from their
/// endpoint.
fn paths_after(net: &Net<'_>, current: &[Path], removed: &[bool]) -> Vec<Path> {
    let mut keep = Vec::new();
    let mut redo = BTreeSet::new();
    for p in current {
        if p.edges.iter().any(|&e| removed[e]) {
            redo.insert(p.entry.clone());
        } else {
            keep.push(p.clone());
        }
    }
    if redo.is_empty() {
        return keep;
    }
    // entries whose paths changed: every exposure edge into those endpoints
    let entries: Vec<usize> = net
        .entries
        .iter()
        .copied()
        .filter(|&i| redo.contains(&Some(net.graph.edges[i].to.clone())))
        .collect();
    let fresh = net.paths(&entries, removed);
    keep.retain(|p| !redo.contains(&p.entry));
    keep.extend(fresh);
    sort_paths(&mut keep);
    keep
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
    let net = Net::new(graph);
    // edge → its field, for counting in one pass over the paths
    let keys: Vec<FieldKey> = fields.keys().cloned().collect();
    let mut field_of: Vec<Option<usize>> = vec![None; graph.edges.len()];
    for (k, edges) in fields.values().enumerate() {
        for &e in edges {
            field_of[e] = Some(k);
        }
    }
    let mut removed = vec![false; graph.edges.len()];
    let mut current = paths.to_vec();
    let mut out = Vec::new();
    while !current.is_empty() {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for p in &current {
            let mut seen: Vec<usize> = p.edges.iter().filter_map(|&e| field_of[e]).collect();
            seen.sort_unstable();
            seen.dedup();
            for k in seen {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut cuts: Vec<(&FieldKey, usize)> = counts
            .into_iter()
            .filter(|(k, _)| fields.contains_key(&keys[*k]))
            .map(|(k, cut)| (&keys[k], cut))
            .collect();
        let Some(max) = cuts.iter().map(|&(_, c)| c).max() else {
            break;
        };
        cuts.retain(|&(_, c)| c == max);
        // among the fields that cut as many, the one that leaves the fewest paths once the
        // paths are recomputed (a fix whose paths go around it through the same workload
        // ranks after one that closes the way); a few candidates are tried
        let mut best: Option<(&FieldKey, Vec<bool>, Vec<Path>)> = None;
        // (large path sets take the first: each look costs shortest paths from its entries)
        let look = if current.len() <= LOOKAHEAD_PATHS {
            LOOKAHEAD
        } else {
            1
        };
        for &(key, _) in cuts.iter().take(look) {
            let mut mask = removed.clone();
            for &e in &fields[key] {
                mask[e] = true;
            }
            let left = paths_after(&net, &current, &mask);
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
