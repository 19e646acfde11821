//! Shortest weighted paths and choke points.
//!
//! **Paths.** One Dijkstra per sink over the reversed graph gives every vertex its distance
//! to that sink and the first edge of a shortest way there (a shortest-path tree rooted at
//! the sink). A path from an entry point is read by following those edges: the cost is
//! sinks × E log V, whatever the number of entry points (thousands of exposed Services cost
//! no more than one).
//!
//! **Choke points.** A greedy cut over the path set: each round takes the fixable field
//! (the first evidence of an edge that has a fix) lying on the most current shortest paths,
//! removes its edges, and repairs the trees only where the removed edges were used (the
//! vertices whose way to the sink went through them get a new distance from their
//! neighbours, a Dijkstra limited to them). The paths that went around the fix appear and
//! are counted in the next rounds, until no path is left or no fixable field cuts one.

use crate::{ChokePoint, Graph, Path, Query, VertexKind};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};

/// How many equally good choke-point candidates are compared by the paths they leave.
const LOOKAHEAD: usize = 8;

/// Past this many current paths, the first candidate is taken without looking ahead.
const LOOKAHEAD_PATHS: usize = 256;

/// No edge / unreachable.
const NONE: u32 = u32::MAX;
const FAR: u64 = u64::MAX;

/// A fixable field: (object, field path).
type FieldKey = (String, String);

/// Where a path starts: an exposure edge from the internet (the path begins with it), or a
/// vertex (`--from`: an assumed foothold).
#[derive(Clone, Copy, Debug)]
enum Start {
    Edge(usize),
    Vertex(usize),
}

/// The start and end vertices of a query, resolved to indices.
pub(crate) struct Ends {
    starts: Vec<Start>,
    sinks: Vec<usize>,
}

impl Ends {
    /// Resolves `--from` and `--to` against the graph's vertices.
    pub(crate) fn resolve(graph: &Graph, query: &Query) -> Result<Ends, String> {
        let starts = match &query.from {
            None => (0..graph.edges.len())
                .filter(|&i| graph.edges[i].from == "internet")
                .map(Start::Edge)
                .collect(),
            Some(name) => vec![Start::Vertex(find(graph, name, "--from")?)],
        };
        let kinds = |k: VertexKind| -> Vec<usize> {
            (0..graph.vertices.len())
                .filter(|&i| graph.vertices[i].kind == k)
                .collect()
        };
        let sinks = match query.to.as_deref() {
            None => (0..graph.vertices.len())
                .filter(|&i| graph.vertices[i].kind.is_breach())
                .collect(),
            Some("node") => kinds(VertexKind::Node),
            Some("cluster-admin") => kinds(VertexKind::ClusterAdmin),
            Some("namespace-admin") => kinds(VertexKind::NamespaceAdmin),
            Some("secret") => kinds(VertexKind::Secret),
            Some(name) => vec![find(graph, name, "--to")?],
        };
        Ok(Ends { starts, sinks })
    }
}

/// A vertex by id, or by a unique suffix of its id that starts after `:` or `/`.
fn find(graph: &Graph, name: &str, flag: &str) -> Result<usize, String> {
    if let Some(i) = index_of(graph, name) {
        return Ok(i);
    }
    let hits: Vec<usize> = (0..graph.vertices.len())
        .filter(|&i| {
            let id = &graph.vertices[i].id;
            id.len() > name.len()
                && id.ends_with(name)
                && matches!(id.as_bytes()[id.len() - name.len() - 1], b':' | b'/')
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "{flag} {name}: no vertex of the graph has this id (ids look like workload:shop/Deployment/frontend, serviceaccount:shop/web, node:any, cluster-admin; `--format json` lists them)"
        )),
        many => {
            let shown: Vec<&str> = many
                .iter()
                .take(5)
                .map(|&i| graph.vertices[i].id.as_str())
                .collect();
            Err(format!(
                "{flag} {name}: {} vertices match ({}{}); give the whole id",
                many.len(),
                shown.join(", "),
                if many.len() > 5 { ", ..." } else { "" }
            ))
        }
    }
}

fn index_of(graph: &Graph, id: &str) -> Option<usize> {
    graph
        .vertices
        .binary_search_by(|v| v.id.as_str().cmp(id))
        .ok()
}

/// The graph as adjacency lists, built once.
struct Net<'g> {
    graph: &'g Graph,
    /// Per vertex: (edge, head) of its outgoing edges.
    out: Vec<Vec<(u32, u32)>>,
    /// Per vertex: (edge, tail) of its incoming edges.
    inc: Vec<Vec<(u32, u32)>>,
    /// Per edge: (tail, head), `None` when a vertex is missing.
    ends: Vec<Option<(usize, usize)>>,
}

impl<'g> Net<'g> {
    fn new(graph: &'g Graph) -> Net<'g> {
        let n = graph.vertices.len();
        let mut out: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut inc: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut ends = Vec::with_capacity(graph.edges.len());
        // edges are sorted by (from, to): look the ids up once per run of equal ids
        let mut last: (&str, usize) = ("", usize::MAX);
        for (i, e) in graph.edges.iter().enumerate() {
            let from = if last.0 == e.from && last.1 != usize::MAX {
                Some(last.1)
            } else {
                index_of(graph, &e.from)
            };
            if let Some(f) = from {
                last = (e.from.as_str(), f);
            }
            let end = from.zip(index_of(graph, &e.to));
            if let Some((f, t)) = end {
                out[f].push((i as u32, t as u32));
                inc[t].push((i as u32, f as u32));
            }
            ends.push(end);
        }
        Net {
            graph,
            out,
            inc,
            ends,
        }
    }

    fn weight(&self, e: u32) -> u64 {
        u64::from(self.graph.edges[e as usize].weight)
    }

    /// The shortest-path tree into `sink` without the `removed` edges.
    fn tree(&self, sink: usize, removed: &[bool]) -> Tree {
        let n = self.out.len();
        let mut t = Tree {
            sink,
            dist: vec![FAR; n],
            next: vec![NONE; n],
        };
        let mut heap = BinaryHeap::new();
        t.dist[sink] = 0;
        heap.push(Reverse((0u64, sink as u32)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > t.dist[v as usize] {
                continue;
            }
            for &(e, u) in &self.inc[v as usize] {
                if removed[e as usize] {
                    continue;
                }
                let nd = d + self.weight(e);
                if nd < t.dist[u as usize] {
                    t.dist[u as usize] = nd;
                    t.next[u as usize] = e;
                    heap.push(Reverse((nd, u)));
                }
            }
        }
        t
    }

    /// Repairs a tree once the edges `cut` (already marked in `removed`) are gone: the
    /// vertices whose way went through them are re-settled from their other neighbours.
    /// Returns what was changed, for [`Tree::undo`].
    /// `hit` is scratch space, all false (and left so).
    fn repair(
        &self,
        t: &mut Tree,
        cut: &[usize],
        removed: &[bool],
        hit: &mut [bool],
    ) -> Vec<(u32, u64, u32)> {
        let mut queue: Vec<u32> = Vec::new();
        for &e in cut {
            if let Some((u, _)) = self.ends[e] {
                if t.next[u] == e as u32 && !hit[u] {
                    hit[u] = true;
                    queue.push(u as u32);
                }
            }
        }
        let mut i = 0;
        while i < queue.len() {
            let y = queue[i];
            i += 1;
            for &(e, x) in &self.inc[y as usize] {
                if t.next[x as usize] == e && !hit[x as usize] {
                    hit[x as usize] = true;
                    queue.push(x);
                }
            }
        }
        let log: Vec<(u32, u64, u32)> = queue
            .iter()
            .map(|&x| (x, t.dist[x as usize], t.next[x as usize]))
            .collect();
        for &x in &queue {
            t.dist[x as usize] = FAR;
            t.next[x as usize] = NONE;
        }
        // first distances from the neighbours whose way is intact
        let mut heap = BinaryHeap::new();
        for &x in &queue {
            let mut best = (FAR, NONE);
            for &(e, h) in &self.out[x as usize] {
                if removed[e as usize] || hit[h as usize] || t.dist[h as usize] == FAR {
                    continue;
                }
                let d = t.dist[h as usize] + self.weight(e);
                if (d, e) < best {
                    best = (d, e);
                }
            }
            if best.0 < FAR {
                t.dist[x as usize] = best.0;
                t.next[x as usize] = best.1;
                heap.push(Reverse((best.0, x)));
            }
        }
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > t.dist[v as usize] {
                continue;
            }
            for &(e, u) in &self.inc[v as usize] {
                if removed[e as usize] || !hit[u as usize] {
                    continue;
                }
                let nd = d + self.weight(e);
                if nd < t.dist[u as usize] {
                    t.dist[u as usize] = nd;
                    t.next[u as usize] = e;
                    heap.push(Reverse((nd, u)));
                }
            }
        }
        for &x in &queue {
            hit[x as usize] = false;
        }
        log
    }
}

/// Distances to one sink and the first edge of a shortest way there, per vertex.
#[derive(Clone)]
struct Tree {
    sink: usize,
    dist: Vec<u64>,
    next: Vec<u32>,
}

impl Tree {
    fn undo(&mut self, log: Vec<(u32, u64, u32)>) {
        for (x, d, e) in log {
            self.dist[x as usize] = d;
            self.next[x as usize] = e;
        }
    }

    /// The edges from `v` to the sink, `None` when it is unreachable.
    fn way(&self, net: &Net<'_>, mut v: usize) -> Option<Vec<usize>> {
        if self.dist[v] == FAR {
            return None;
        }
        let mut hops = Vec::new();
        while v != self.sink {
            let e = self.next[v];
            if e == NONE || hops.len() > self.dist.len() {
                return None;
            }
            hops.push(e as usize);
            v = net.ends[e as usize]?.1;
        }
        Some(hops)
    }
}

/// The key of a path: (from, entry) of its start, and its sink.
type PathKey = (String, Option<String>, usize);

/// Paths and the starts grouped by (from, entry): several exposure edges into one endpoint
/// give one path per sink, the lightest.
struct Search<'n, 'g> {
    net: &'n Net<'g>,
    groups: BTreeMap<(String, Option<String>), Vec<Start>>,
}

impl<'n, 'g> Search<'n, 'g> {
    fn new(net: &'n Net<'g>, ends: &Ends) -> Search<'n, 'g> {
        let g = net.graph;
        let mut groups: BTreeMap<(String, Option<String>), Vec<Start>> = BTreeMap::new();
        for &s in &ends.starts {
            let key = match s {
                Start::Edge(i) => (g.edges[i].from.clone(), Some(g.edges[i].to.clone())),
                Start::Vertex(v) => (g.vertices[v].id.clone(), None),
            };
            groups.entry(key).or_default().push(s);
        }
        Search { net, groups }
    }

    /// The lightest path of one group to one tree's sink.
    fn path(
        &self,
        key: &(String, Option<String>),
        starts: &[Start],
        tree: &Tree,
        removed: &[bool],
    ) -> Option<Path> {
        let g = self.net.graph;
        let mut best: Option<Path> = None;
        for &s in starts {
            let (v, first) = match s {
                Start::Edge(i) if !removed[i] => match self.net.ends[i] {
                    Some((_, h)) => (h, Some(i)),
                    None => continue,
                },
                Start::Edge(_) => continue,
                Start::Vertex(v) => (v, None),
            };
            if v == tree.sink {
                continue;
            }
            let Some(rest) = tree.way(self.net, v) else {
                continue;
            };
            let edges: Vec<usize> = first.into_iter().chain(rest).collect();
            let weight = edges.iter().map(|&h| g.edges[h].weight).sum();
            let p = Path {
                from: key.0.clone(),
                entry: key.1.clone(),
                to: g.vertices[tree.sink].id.clone(),
                edges,
                weight,
            };
            if best
                .as_ref()
                .is_none_or(|b| (p.weight, &p.edges) < (b.weight, &b.edges))
            {
                best = Some(p);
            }
        }
        best
    }

    /// The path of one group to one tree's sink, once edges are removed.
    fn redo(&self, key: &(String, Option<String>), tree: &Tree, removed: &[bool]) -> Option<Path> {
        self.path(key, self.groups.get(key)?, tree, removed)
    }

    fn all(&self, trees: &[Tree], removed: &[bool]) -> Vec<Path> {
        let mut out = Vec::new();
        for (key, starts) in &self.groups {
            for t in trees {
                out.extend(self.path(key, starts, t, removed));
            }
        }
        sort_paths(&mut out);
        out
    }
}

/// Sorted by (from, entry, sink).
fn sort_paths(out: &mut [Path]) {
    out.sort_by(|a, b| (&a.from, &a.entry, &a.to).cmp(&(&b.from, &b.entry, &b.to)));
}

fn path_key(graph: &Graph, p: &Path) -> Option<PathKey> {
    Some((p.from.clone(), p.entry.clone(), index_of(graph, &p.to)?))
}

/// The shortest paths of a query.
pub(crate) fn paths_of(graph: &Graph, ends: &Ends) -> Vec<Path> {
    let net = Net::new(graph);
    let removed = vec![false; graph.edges.len()];
    let trees: Vec<Tree> = ends.sinks.iter().map(|&s| net.tree(s, &removed)).collect();
    Search::new(&net, ends).all(&trees, &removed)
}

/// For every edge from the internet to an endpoint, the shortest path from that endpoint to
/// every sink (cluster-admin, node) it reaches, prefixed with the exposure edge.
pub fn shortest_paths(graph: &Graph) -> Vec<Path> {
    match Ends::resolve(graph, &Query::default()) {
        Ok(ends) => paths_of(graph, &ends),
        Err(_) => vec![],
    }
}

/// Choke points of the default query (see [`choke_points_of`]).
pub fn choke_points(graph: &Graph, paths: &[Path]) -> Vec<ChokePoint> {
    match Ends::resolve(graph, &Query::default()) {
        Ok(ends) => choke_points_of(graph, &ends, paths, &|_| true),
        Err(_) => vec![],
    }
}

/// Choke points: the fixable fields ranked greedily. Each round takes the field whose edges
/// lie on the most current shortest paths (among equals, the one that leaves the fewest
/// paths once they are recomputed), removes its edges and repairs the paths (the ones that
/// went around it appear, if `keep` accepts them), until no path is left or no fixable
/// field cuts one. Applying every choke point in order leaves `paths_left` of the last.
///
/// The paths live in slots; each edge knows the slots whose path uses it, and each field
/// its count of paths, so a round costs the paths it changes, not all of them.
pub(crate) fn choke_points_of(
    graph: &Graph,
    ends: &Ends,
    paths: &[Path],
    keep: &dyn Fn(&Path) -> bool,
) -> Vec<ChokePoint> {
    if paths.is_empty() {
        return vec![];
    }
    let (field_edges, keys, field_of) = fields_of(graph);
    let net = Net::new(graph);
    let removed = vec![false; graph.edges.len()];
    // only the sinks some path reaches matter
    let reached: HashSet<usize> = paths
        .iter()
        .filter_map(|p| path_key(graph, p).map(|k| k.2))
        .collect();
    let trees: Vec<Tree> = ends
        .sinks
        .iter()
        .filter(|s| reached.contains(s))
        .map(|&s| net.tree(s, &removed))
        .collect();
    choke_with(&net, ends, trees, paths, keep, field_edges, keys, field_of)
}

/// The paths of a query and their choke points, the graph's adjacency and trees built once.
pub(crate) fn paths_and_choke_points(graph: &Graph, ends: &Ends) -> (Vec<Path>, Vec<ChokePoint>) {
    let net = Net::new(graph);
    let removed = vec![false; graph.edges.len()];
    let trees: Vec<Tree> = ends.sinks.iter().map(|&s| net.tree(s, &removed)).collect();
    let paths = Search::new(&net, ends).all(&trees, &removed);
    if paths.is_empty() {
        return (paths, vec![]);
    }
    let (field_edges, keys, field_of) = fields_of(graph);
    let choke = choke_with(
        &net,
        ends,
        trees,
        &paths,
        &|_| true,
        field_edges,
        keys,
        field_of,
    );
    (paths, choke)
}

/// The fixable fields: per field its edges, its key, and per edge its field.
fn fields_of(graph: &Graph) -> (Vec<Vec<usize>>, Vec<FieldKey>, Vec<u32>) {
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
    let keys: Vec<FieldKey> = fields.keys().cloned().collect();
    let field_edges: Vec<Vec<usize>> = fields.into_values().collect();
    let mut field_of: Vec<u32> = vec![NONE; graph.edges.len()];
    for (k, edges) in field_edges.iter().enumerate() {
        for &e in edges {
            field_of[e] = k as u32;
        }
    }
    (field_edges, keys, field_of)
}

#[allow(clippy::too_many_arguments)]
fn choke_with(
    net: &Net<'_>,
    ends: &Ends,
    mut trees: Vec<Tree>,
    paths: &[Path],
    keep: &dyn Fn(&Path) -> bool,
    field_edges: Vec<Vec<usize>>,
    keys: Vec<FieldKey>,
    field_of: Vec<u32>,
) -> Vec<ChokePoint> {
    let graph = net.graph;
    let search = Search::new(net, ends);
    let mut removed = vec![false; graph.edges.len()];
    let mut slots = Slots {
        paths: Vec::with_capacity(paths.len()),
        users: vec![Vec::new(); graph.edges.len()],
        counts: vec![0; field_edges.len()],
        field_of: &field_of,
        live: 0,
    };
    for p in paths {
        let Some(t) = trees.iter().position(|t| graph.vertices[t.sink].id == p.to) else {
            continue;
        };
        let key = (p.from.clone(), p.entry.clone());
        slots.add(Slot {
            key,
            tree: t,
            path: Some(p.clone()),
        });
    }
    let mut used = vec![false; field_edges.len()];
    let mut out = Vec::new();
    let mut scratch = vec![false; graph.vertices.len()];
    while slots.live > 0 {
        let max = (0..field_edges.len())
            .filter(|&k| !used[k])
            .map(|k| slots.counts[k])
            .max()
            .unwrap_or(0);
        if max == 0 {
            break;
        }
        let cuts: Vec<usize> = (0..field_edges.len())
            .filter(|&k| !used[k] && slots.counts[k] == max)
            .collect();
        let look = if slots.live <= LOOKAHEAD_PATHS {
            LOOKAHEAD
        } else {
            1
        };
        let mut k = cuts[0];
        if cuts.len() > 1 && look > 1 {
            // equally good candidates: the one that leaves the fewest paths (a fix whose
            // paths go around it through the same workload ranks after one that closes
            // the way)
            let mut best = usize::MAX;
            for &c in cuts.iter().take(look) {
                let cut = &field_edges[c];
                for &e in cut {
                    removed[e] = true;
                }
                let logs: Vec<_> = trees
                    .iter_mut()
                    .map(|t| net.repair(t, cut, &removed, &mut scratch))
                    .collect();
                let left = slots.live
                    - slots
                        .hit(cut)
                        .into_iter()
                        .filter(|&i| {
                            let s = &slots.paths[i];
                            search
                                .redo(&s.key, &trees[s.tree], &removed)
                                .is_none_or(|q| !keep(&q))
                        })
                        .count();
                for (t, log) in trees.iter_mut().zip(logs) {
                    t.undo(log);
                }
                for &e in cut {
                    removed[e] = false;
                }
                if left < best {
                    best = left;
                    k = c;
                }
            }
        }
        let cut = &field_edges[k];
        for &e in cut {
            removed[e] = true;
        }
        for t in trees.iter_mut() {
            net.repair(t, cut, &removed, &mut scratch);
        }
        for i in slots.hit(cut) {
            slots.take(i);
            let s = &slots.paths[i];
            let q = search
                .redo(&s.key, &trees[s.tree], &removed)
                .filter(|q| keep(q));
            slots.put(i, q);
        }
        used[k] = true;
        let first = &graph.edges[cut[0]];
        let ev = &first.evidence[0];
        let key = &keys[k];
        out.push(ChokePoint {
            fix: first.fix.clone(),
            object: key.0.clone(),
            path: key.1.clone(),
            file: ev.file.clone(),
            line: ev.line,
            paths_cut: max,
            paths_left: slots.live,
            edges: cut.clone(),
        });
    }
    out
}

/// One (start group, sink) pair and its current path.
struct Slot {
    key: (String, Option<String>),
    tree: usize,
    path: Option<Path>,
}

/// The current paths, indexed by edge, with the count of paths per fixable field.
struct Slots<'f> {
    paths: Vec<Slot>,
    /// Per edge: the slots whose path used it when it was set (checked on use).
    users: Vec<Vec<u32>>,
    counts: Vec<usize>,
    field_of: &'f [u32],
    live: usize,
}

impl Slots<'_> {
    fn fields(&self, p: &Path) -> Vec<u32> {
        let mut f: Vec<u32> = p
            .edges
            .iter()
            .map(|&e| self.field_of[e])
            .filter(|&k| k != NONE)
            .collect();
        f.sort_unstable();
        f.dedup();
        f
    }

    fn add(&mut self, slot: Slot) {
        let i = self.paths.len();
        self.paths.push(Slot {
            key: slot.key,
            tree: slot.tree,
            path: None,
        });
        self.put(i, slot.path);
    }

    fn put(&mut self, i: usize, path: Option<Path>) {
        if let Some(p) = &path {
            for k in self.fields(p) {
                self.counts[k as usize] += 1;
            }
            for &e in &p.edges {
                self.users[e].push(i as u32);
            }
            self.live += 1;
        }
        self.paths[i].path = path;
    }

    fn take(&mut self, i: usize) {
        if let Some(p) = self.paths[i].path.take() {
            for k in self.fields(&p) {
                self.counts[k as usize] -= 1;
            }
            self.live -= 1;
        }
    }

    /// The slots whose current path uses one of the edges.
    fn hit(&self, cut: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = cut
            .iter()
            .flat_map(|&e| self.users[e].iter().map(|&i| i as usize))
            .filter(|&i| {
                self.paths[i]
                    .path
                    .as_ref()
                    .is_some_and(|p| p.edges.iter().any(|e| cut.contains(e)))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
