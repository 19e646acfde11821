//! The full reachability matrix over equivalence classes, as bit rows.
//!
//! For each port: the set of peers each rule matches is computed once per distinct peer
//! (a bit per class); each class's ingress row (which sources it admits) and egress row (which
//! destinations it may open) are computed once per distinct set of selecting policies by
//! running the tiers over whole rows (Admin: first match in order; NetworkPolicy: deny rules,
//! then the union of allows if isolated; Baseline: first match; then default allow); egress
//! rows are transposed in 64×64 blocks, and the allowed pairs of destination `d` are
//! `egressᵀ[d] & ingress[d]`. External addresses (`--external`) are classes of their own.

use crate::engine::{Endpoint, Network};
use crate::model::*;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A row of bits, one per class.
type Row = Vec<u64>;

fn ones(k: usize, nw: usize) -> Row {
    let mut r = vec![0u64; nw];
    for (i, w) in r.iter_mut().enumerate() {
        let bits = k.saturating_sub(i * 64).min(64);
        *w = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
    }
    r
}

fn set(r: &mut [u64], i: usize) {
    r[i / 64] |= 1 << (i % 64);
}

fn get(r: &[u64], i: usize) -> bool {
    r[i / 64] >> (i % 64) & 1 == 1
}

/// Transposes a 64×64 bit block in place (bit `c` of word `r` becomes bit `r` of word `c`).
pub(crate) fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0;
        while k < 64 {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

/// Which destinations a rule's ports cover.
enum PortSet {
    All,
    Nothing,
    Classes(Row),
}

/// The matrix of some ports.
pub struct Matrix {
    pub ports: Vec<PortProto>,
    /// External addresses, as classes after the pod classes.
    pub externals: Vec<IpAddr>,
    /// Pod classes.
    kp: usize,
    /// Words per row.
    nw: usize,
    /// Per port, per destination class: the source classes allowed.
    allowed: Vec<Vec<u64>>,
    /// How long each phase took.
    pub timings: Vec<(&'static str, Duration)>,
}

/// The most memory the matrices of one run may take (bit rows of every port, plus the two
/// working rows of the port being computed).
pub const MAX_BYTES: u128 = 1 << 30;

impl Matrix {
    /// The bytes [`Matrix::new`] holds at its peak for `classes` classes (pod classes plus
    /// external addresses) and `ports` ports.
    pub fn estimate_bytes(classes: usize, ports: usize) -> u128 {
        let nw = classes.div_ceil(64).max(1) as u128;
        let row_bytes = nw * 64 * nw * 8;
        row_bytes * (ports as u128 + 2)
    }

    /// Computes the matrix of `ports` between every pod endpoint and the `externals`
    /// (an address that is a pod's is that pod: leave it out).
    pub fn new(net: &Network, ports: &[PortProto], externals: &[IpAddr]) -> Matrix {
        let mut timings = Vec::new();
        let t0 = Instant::now();
        let kp = net.class_count();
        let k = kp + externals.len();
        let nw = k.div_ceil(64).max(1);
        // rule ids and peer sets (independent of the port)
        let mut offsets = Vec::with_capacity(net.model.policies.len());
        let mut rules: Vec<&Rule> = Vec::new();
        for p in &net.model.policies {
            let i = rules.len();
            let ing = p.ingress.as_ref().map(|s| s.rules.len()).unwrap_or(0);
            rules.extend(p.ingress.iter().flat_map(|s| s.rules.iter()));
            rules.extend(p.egress.iter().flat_map(|s| s.rules.iter()));
            offsets.push([i, i + ing]);
        }
        let mut peer_cache: HashMap<&Peer, Row> = HashMap::new();
        let mut rule_sets: Vec<Row> = Vec::with_capacity(rules.len());
        for r in &rules {
            let mut row = vec![0u64; nw];
            for peer in &r.peers {
                let ps = peer_cache
                    .entry(peer)
                    .or_insert_with(|| peer_set(net, peer, externals, k, nw));
                for (a, b) in row.iter_mut().zip(ps.iter()) {
                    *a |= b;
                }
            }
            rule_sets.push(row);
        }
        drop(peer_cache);
        timings.push(("peer sets", t0.elapsed()));
        let mut allowed = Vec::with_capacity(ports.len());
        for &q in ports {
            let t1 = Instant::now();
            // egress: which destinations each rule's ports cover
            let port_sets: Vec<PortSet> = rules
                .iter()
                .map(|r| {
                    if r.ports.is_empty() {
                        PortSet::All
                    } else if r.ports.iter().all(|p| matches!(p, PortMatch::Range { .. })) {
                        if r.covers_port(q, None) {
                            PortSet::All
                        } else {
                            PortSet::Nothing
                        }
                    } else {
                        let mut row = vec![0u64; nw];
                        for c in 0..kp {
                            if r.covers_port(q, Some(net.rep(c))) {
                                set(&mut row, c);
                            }
                        }
                        if r.covers_port(q, None) {
                            for e in kp..k {
                                set(&mut row, e);
                            }
                        }
                        PortSet::Classes(row)
                    }
                })
                .collect();
            let full = ones(k, nw);
            let rows = nw * 64;
            // egress rows, source-major
            let mut egress = vec![0u64; rows * nw];
            let mut cache: HashMap<&[usize], Row> = HashMap::new();
            for s in 0..k {
                let row: &Row = if s < kp {
                    let sel = net.selecting[s][1].as_slice();
                    cache.entry(sel).or_insert_with(|| {
                        side_row(
                            net,
                            sel,
                            Direction::Egress,
                            &offsets,
                            &rule_sets,
                            &full,
                            |id| match &port_sets[id] {
                                PortSet::All => Some(None),
                                PortSet::Nothing => None,
                                PortSet::Classes(r) => Some(Some(r)),
                            },
                        )
                    })
                } else {
                    &full
                };
                egress[s * nw..(s + 1) * nw].copy_from_slice(row);
            }
            drop(cache);
            let t2 = Instant::now();
            timings.push(("egress rows", t2 - t1));
            // transpose to destination-major
            let mut egress_t = vec![0u64; rows * nw];
            let mut block = [0u64; 64];
            for bi in 0..nw {
                for bj in 0..nw {
                    for (r, w) in block.iter_mut().enumerate() {
                        *w = egress[(bi * 64 + r) * nw + bj];
                    }
                    transpose64(&mut block);
                    for (c, w) in block.iter().enumerate() {
                        egress_t[(bj * 64 + c) * nw + bi] = *w;
                    }
                }
            }
            drop(egress);
            let t3 = Instant::now();
            timings.push(("transpose", t3 - t2));
            // ingress rows, combined
            let mut ing_cache: HashMap<(&[usize], Vec<bool>), Row> = HashMap::new();
            let mut ext_mask = full.clone();
            for e in kp..k {
                ext_mask[e / 64] &= !(1 << (e % 64));
            }
            for d in 0..k {
                let out = &mut egress_t[d * nw..(d + 1) * nw];
                if d < kp {
                    let sel = net.selecting[d][0].as_slice();
                    let dest = net.rep(d);
                    let ok: Vec<bool> = sel
                        .iter()
                        .flat_map(|&pi| {
                            let base = offsets[pi][0];
                            let n = net.model.policies[pi]
                                .ingress
                                .as_ref()
                                .map(|s| s.rules.len())
                                .unwrap_or(0);
                            (base..base + n).map(|id| rules[id].covers_port(q, Some(dest)))
                        })
                        .collect();
                    let row = ing_cache.entry((sel, ok)).or_insert_with_key(|(sel, ok)| {
                        // rule ids of `sel` in order, to look up `ok`
                        let mut pos = HashMap::new();
                        let mut i = 0;
                        for &pi in sel.iter() {
                            let base = offsets[pi][0];
                            let n = net.model.policies[pi]
                                .ingress
                                .as_ref()
                                .map(|s| s.rules.len())
                                .unwrap_or(0);
                            for id in base..base + n {
                                pos.insert(id, i);
                                i += 1;
                            }
                        }
                        side_row(
                            net,
                            sel,
                            Direction::Ingress,
                            &offsets,
                            &rule_sets,
                            &full,
                            |id| ok[pos[&id]].then_some(None),
                        )
                    });
                    for (a, b) in out.iter_mut().zip(row.iter()) {
                        *a &= b;
                    }
                } else {
                    // an external destination: no ingress policy; no external-to-external pair
                    for (a, b) in out.iter_mut().zip(ext_mask.iter()) {
                        *a &= b;
                    }
                }
            }
            egress_t.truncate(k * nw);
            timings.push(("ingress rows", t3.elapsed()));
            allowed.push(egress_t);
        }
        Matrix {
            ports: ports.to_vec(),
            externals: externals.to_vec(),
            kp,
            nw,
            allowed,
            timings,
        }
    }

    fn class(&self, net: &Network, e: &Endpoint) -> Option<usize> {
        match e {
            Endpoint::Pod(p) => Some(net.class_of(*p)),
            Endpoint::External(ip) => self
                .externals
                .iter()
                .position(|x| x == ip)
                .map(|i| self.kp + i),
        }
    }

    /// Whether `from` reaches `to` on the `port`-th port; `None` for an external address
    /// not in the matrix, or two external ones.
    pub fn allowed(
        &self,
        net: &Network,
        port: usize,
        from: &Endpoint,
        to: &Endpoint,
    ) -> Option<bool> {
        let (s, d) = (self.class(net, from)?, self.class(net, to)?);
        if s >= self.kp && d >= self.kp {
            return None;
        }
        Some(get(&self.allowed[port][d * self.nw..(d + 1) * self.nw], s))
    }

    /// Pod endpoints that reach pod `to` on the `port`-th port.
    pub fn sources_of(&self, net: &Network, port: usize, to: usize) -> Vec<usize> {
        let d = net.class_of(to);
        let row = &self.allowed[port][d * self.nw..(d + 1) * self.nw];
        let mut out: Vec<usize> = (0..self.kp)
            .filter(|&c| get(row, c))
            .flat_map(|c| net.class_members(c).iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// Allowed and denied pair counts per namespace pair and per class, over every ordered
    /// pair of endpoints (pod pairs weighted by the pods of their classes), without listing
    /// the pairs.
    pub fn summary(&self, net: &Network) -> Summary {
        let nns = net.model.namespaces.len();
        let ext_ns = nns; // the externals' "namespace"
        let k = self.kp + self.externals.len();
        let weight: Vec<u64> = (0..k)
            .map(|c| {
                if c < self.kp {
                    net.class_members(c).len() as u64
                } else {
                    1
                }
            })
            .collect();
        let ns_of: Vec<usize> = (0..k)
            .map(|c| {
                if c < self.kp {
                    net.pods()[net.class_members(c)[0]].namespace
                } else {
                    ext_ns
                }
            })
            .collect();
        let mut ns_size = vec![0u64; nns + 1];
        for c in 0..k {
            ns_size[ns_of[c]] += weight[c];
        }
        let mut ports = Vec::new();
        for (pi, &q) in self.ports.iter().enumerate() {
            let m = &self.allowed[pi];
            let mut pair_allowed: HashMap<(usize, usize), u64> = HashMap::new();
            let mut in_allowed = vec![0u64; k];
            let mut out_allowed = vec![0u64; k];
            let mut per_ns = vec![0u64; nns + 1];
            let mut touched = Vec::new();
            let mut total_allowed = 0u64;
            for d in 0..k {
                let row = &m[d * self.nw..(d + 1) * self.nw];
                for (wi, &word) in row.iter().enumerate() {
                    let mut w = word;
                    while w != 0 {
                        let s = wi * 64 + w.trailing_zeros() as usize;
                        w &= w - 1;
                        let n = weight[s] * weight[d];
                        in_allowed[d] += n;
                        out_allowed[s] += n;
                        if per_ns[ns_of[s]] == 0 {
                            touched.push(ns_of[s]);
                        }
                        per_ns[ns_of[s]] += n;
                    }
                }
                for &ns in &touched {
                    *pair_allowed.entry((ns, ns_of[d])).or_default() += per_ns[ns];
                    total_allowed += per_ns[ns];
                    per_ns[ns] = 0;
                }
                touched.clear();
            }
            let ns_name = |n: usize| {
                if n == ext_ns {
                    "(external)".to_string()
                } else {
                    net.model.namespaces[n].name.clone()
                }
            };
            let mut namespaces = Vec::new();
            let present: Vec<usize> = (0..=nns).filter(|&n| ns_size[n] > 0).collect();
            let mut total = 0u64;
            for &a in &present {
                for &b in &present {
                    if a == ext_ns && b == ext_ns {
                        continue;
                    }
                    let pairs = ns_size[a] * ns_size[b];
                    total += pairs;
                    let allowed = pair_allowed.get(&(a, b)).copied().unwrap_or(0);
                    namespaces.push(PairCount {
                        from: ns_name(a),
                        to: ns_name(b),
                        allowed,
                        denied: pairs - allowed,
                    });
                }
            }
            let all_endpoints: u64 = weight.iter().sum();
            let ext_total = self.externals.len() as u64;
            let mut classes = Vec::new();
            for c in 0..k {
                // pairs this class takes part in as destination / source
                let others = if c < self.kp {
                    all_endpoints
                } else {
                    all_endpoints - ext_total
                };
                let pairs = weight[c] * others;
                classes.push(ClassCount {
                    class: c,
                    namespace: ns_name(ns_of[c]),
                    labels: if c < self.kp {
                        net.rep(c).labels.to_string()
                    } else {
                        format!("ip:{}", self.externals[c - self.kp])
                    },
                    endpoints: weight[c],
                    example: if c < self.kp {
                        net.rep(c).name.clone()
                    } else {
                        format!("ip:{}", self.externals[c - self.kp])
                    },
                    in_allowed: in_allowed[c],
                    in_denied: pairs - in_allowed[c],
                    out_allowed: out_allowed[c],
                    out_denied: pairs - out_allowed[c],
                });
            }
            ports.push(PortSummary {
                port: q.port,
                protocol: q.protocol,
                pairs: total,
                allowed: total_allowed,
                denied: total - total_allowed,
                namespaces,
                classes,
            });
        }
        Summary {
            endpoints: weight.iter().sum(),
            classes: k as u64,
            ports,
        }
    }
}

fn peer_set(net: &Network, peer: &Peer, externals: &[IpAddr], k: usize, nw: usize) -> Row {
    let kp = net.class_count();
    let mut row = vec![0u64; nw];
    match peer {
        Peer::All => return ones(k, nw),
        Peer::Nothing => {}
        Peer::World => (kp..k).for_each(|e| set(&mut row, e)),
        Peer::Cidr { net: n, except } => {
            for c in 0..kp {
                if net.rep(c).ips.iter().any(|&ip| in_cidr(ip, n, except)) {
                    set(&mut row, c);
                }
            }
            for (i, &ip) in externals.iter().enumerate() {
                if in_cidr(ip, n, except) {
                    set(&mut row, kp + i);
                }
            }
        }
        Peer::Pods { ns, pods } => {
            for c in net.pod_peer_classes(ns, pods) {
                set(&mut row, c);
            }
        }
    }
    row
}

/// One side's row for a class selected by `selecting`: which peers (classes) it allows.
/// `port(rule id)`: `None` when the rule's ports do not cover the connection, `Some(None)`
/// when they cover every peer, `Some(Some(row))` when they cover the peers in `row`.
fn side_row<'a>(
    net: &Network,
    selecting: &[usize],
    dir: Direction,
    offsets: &[[usize; 2]],
    rule_sets: &[Row],
    full: &Row,
    port: impl Fn(usize) -> Option<Option<&'a Row>>,
) -> Row {
    let nw = full.len();
    let di = crate::engine::dir_index(dir);
    let mut undecided = full.clone();
    let mut allowed = vec![0u64; nw];
    let matched = |id: usize| -> Option<Row> {
        let ps = port(id)?;
        let mut m = rule_sets[id].clone();
        if let Some(r) = ps {
            for (a, b) in m.iter_mut().zip(r.iter()) {
                *a &= b;
            }
        }
        Some(m)
    };
    for tier in [Tier::Admin, Tier::NetworkPolicy, Tier::Baseline] {
        let pols = selecting
            .iter()
            .copied()
            .filter(|&pi| net.model.policies[pi].tier == tier);
        if tier == Tier::NetworkPolicy {
            let mut isolated = false;
            let mut allow = vec![0u64; nw];
            for pi in pols {
                let Some(side) = net.model.policies[pi].side(dir) else {
                    continue;
                };
                isolated |= side.isolates;
                for (ri, r) in side.rules.iter().enumerate() {
                    let Some(m) = matched(offsets[pi][di] + ri) else {
                        continue;
                    };
                    if r.action == Action::Deny {
                        for (u, b) in undecided.iter_mut().zip(m.iter()) {
                            *u &= !b;
                        }
                    } else {
                        for (a, b) in allow.iter_mut().zip(m.iter()) {
                            *a |= b;
                        }
                    }
                }
            }
            if isolated {
                for ((a, u), b) in allowed
                    .iter_mut()
                    .zip(undecided.iter_mut())
                    .zip(allow.iter())
                {
                    *a |= *u & b;
                    *u = 0;
                }
            }
            continue;
        }
        let mut passed = vec![0u64; nw];
        for pi in pols {
            let Some(side) = net.model.policies[pi].side(dir) else {
                continue;
            };
            for (ri, r) in side.rules.iter().enumerate() {
                let Some(m) = matched(offsets[pi][di] + ri) else {
                    continue;
                };
                for ((u, b), (a, p)) in undecided
                    .iter_mut()
                    .zip(m.iter())
                    .zip(allowed.iter_mut().zip(passed.iter_mut()))
                {
                    let hit = *u & b;
                    match r.action {
                        Action::Allow => *a |= hit,
                        Action::Deny => {}
                        Action::Pass => *p |= hit,
                    }
                    *u &= !b;
                }
            }
        }
        for (u, p) in undecided.iter_mut().zip(passed.iter()) {
            *u |= p;
        }
    }
    for (a, u) in allowed.iter_mut().zip(undecided.iter()) {
        *a |= u;
    }
    allowed
}

/// Counts of one namespace pair (`(external)` for the external addresses).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PairCount {
    pub from: String,
    pub to: String,
    pub allowed: u64,
    pub denied: u64,
}

/// Counts of one class, as destination (`in_`) and as source (`out_`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClassCount {
    pub class: usize,
    pub namespace: String,
    pub labels: String,
    pub endpoints: u64,
    /// One endpoint of the class.
    pub example: String,
    pub in_allowed: u64,
    pub in_denied: u64,
    pub out_allowed: u64,
    pub out_denied: u64,
}

/// The summary of one port.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PortSummary {
    pub port: u16,
    pub protocol: Protocol,
    pub pairs: u64,
    pub allowed: u64,
    pub denied: u64,
    pub namespaces: Vec<PairCount>,
    pub classes: Vec<ClassCount>,
}

/// [`Matrix::summary`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub endpoints: u64,
    pub classes: u64,
    pub ports: Vec<PortSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_matches_the_naive_one() {
        let mut a = [0u64; 64];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for w in a.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = x;
        }
        let orig = a;
        transpose64(&mut a);
        for (r, row) in orig.iter().enumerate() {
            for (c, col) in a.iter().enumerate() {
                assert_eq!(row >> c & 1, col >> r & 1, "r{r} c{c}");
            }
        }
    }

    #[test]
    fn memory_estimate_bounds_large_inputs() {
        // 10,000 classes, one port: three 12.6 MB bit matrices
        assert_eq!(Matrix::estimate_bytes(10_000, 1), 157 * 64 * 157 * 8 * 3);
        assert!(Matrix::estimate_bytes(10_000, 1) < MAX_BYTES);
        assert!(Matrix::estimate_bytes(100_000, 1) > MAX_BYTES);
        assert!(Matrix::estimate_bytes(10_000, 100) > MAX_BYTES);
    }

    #[test]
    fn ones_masks_the_tail() {
        assert_eq!(ones(3, 1), vec![0b111]);
        assert_eq!(ones(64, 1), vec![u64::MAX]);
        assert_eq!(ones(65, 2), vec![u64::MAX, 1]);
        assert_eq!(ones(0, 1), vec![0]);
    }
}
