//! The engine: pods grouped into equivalence classes, policies indexed by the classes they
//! select, one-pair answers with their reasons ([`Network::can_reach`]) and class-level
//! queries. The full matrix is in [`crate::matrix`].

use crate::model::*;
use std::collections::HashMap;
use std::net::IpAddr;

/// One side of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A pod endpoint: index into [`Model::pods`] ([`Network::pods`]).
    Pod(usize),
    /// An address outside the pods of the input.
    External(IpAddr),
}

/// A rule of a policy: indexes into [`Model::policies`] and that policy's rules of one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RuleRef {
    pub policy: usize,
    pub direction: Direction,
    pub rule: usize,
}

/// Why one side (egress at the source, ingress at the destination) decided as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The endpoint is an external address: no policy of the input applies to it.
    External,
    /// No policy selects the pod in this direction (or none decided): open by default.
    NotIsolated,
    /// An Admin or Baseline tier rule decided (`rules[0]`).
    TierRule,
    /// Isolated by the NetworkPolicy tier, and these allow rules admit the connection.
    AllowedByRules,
    /// Isolated by the NetworkPolicy tier (`policies`) and no rule admits the connection.
    NoRuleAllows,
    /// A Cilium deny rule matches (`rules`).
    DeniedByRule,
}

/// The answer for one side.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SideVerdict {
    pub allowed: bool,
    pub reason: Reason,
    /// The deciding rules: the tier rule, the matching allow rules, or the deny rules.
    pub rules: Vec<RuleRef>,
    /// NetworkPolicy-tier policies that select the pod in this direction.
    pub policies: Vec<usize>,
    /// Pass rules met before the decision.
    pub passed: Vec<RuleRef>,
}

impl SideVerdict {
    fn open(reason: Reason) -> SideVerdict {
        SideVerdict {
            allowed: true,
            reason,
            rules: vec![],
            policies: vec![],
            passed: vec![],
        }
    }
}

/// The answer of [`Network::can_reach`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub allowed: bool,
    /// At the source (egress).
    pub egress: SideVerdict,
    /// At the destination (ingress).
    pub ingress: SideVerdict,
}

/// The other side of a connection, seen from a rule.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Party<'a> {
    Pod(&'a Pod),
    Ip(IpAddr),
}

/// Pods grouped into classes that every policy treats alike.
pub struct Network {
    pub model: Model,
    /// Class of every pod.
    pub(crate) class_of: Vec<usize>,
    /// Pods of every class; classes are ordered by namespace.
    pub(crate) members: Vec<Vec<usize>>,
    /// Policies selecting each class, per direction ([ingress, egress]), in evaluation order.
    pub(crate) selecting: Vec<[Vec<usize>; 2]>,
    /// Classes of each namespace: a range of class indexes.
    pub(crate) ns_classes: Vec<std::ops::Range<usize>>,
    pod_by_name: HashMap<String, usize>,
    pod_by_ip: HashMap<IpAddr, usize>,
    /// One port of every interval the policies' port rules cannot tell apart (computed once).
    port_cuts: std::sync::OnceLock<Vec<PortProto>>,
}

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl Network {
    /// Reads a snapshot and builds the classes and the selector index.
    pub fn new(snapshot: &kubeward_model::Snapshot) -> Network {
        Network::from_model(crate::parse::model(snapshot))
    }

    /// Builds the classes and the selector index of a model.
    pub fn from_model(model: Model) -> Network {
        // every distinct CIDR peer, to give each pod the signature of the blocks its IPs are in
        let mut cidrs: Vec<(&ipnet::IpNet, &[ipnet::IpNet])> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in &model.policies {
            for side in [&p.ingress, &p.egress].into_iter().flatten() {
                for r in &side.rules {
                    for peer in &r.peers {
                        if let Peer::Cidr { net, except } = peer {
                            if seen.insert((net, except.as_slice())) {
                                cidrs.push((net, except));
                            }
                        }
                    }
                }
            }
        }
        type Key<'a> = (usize, &'a Labels, &'a [NamedPort], Vec<u32>, bool);
        let mut keys: HashMap<Key, usize> = HashMap::new();
        let mut class_keys: Vec<Key> = Vec::new();
        let mut class_of_tmp = Vec::with_capacity(model.pods.len());
        for pod in &model.pods {
            let sig: Vec<u32> = if pod.ips.is_empty() {
                vec![]
            } else {
                cidrs
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, e))| pod.ips.iter().any(|&ip| in_cidr(ip, n, e)))
                    .map(|(i, _)| i as u32)
                    .collect()
            };
            let key = (
                pod.namespace,
                &pod.labels,
                pod.named_ports.as_slice(),
                sig,
                pod.host_network,
            );
            let next = class_keys.len();
            let c = *keys.entry(key.clone()).or_insert_with(|| {
                class_keys.push(key);
                next
            });
            class_of_tmp.push(c);
        }
        // order classes by namespace
        let mut order: Vec<usize> = (0..class_keys.len()).collect();
        order.sort_by_key(|&c| (class_keys[c].0, c));
        let mut renum = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            renum[old] = new;
        }
        let class_of: Vec<usize> = class_of_tmp.iter().map(|&c| renum[c]).collect();
        let mut members = vec![Vec::new(); order.len()];
        for (p, &c) in class_of.iter().enumerate() {
            members[c].push(p);
        }
        let mut ns_classes = vec![0..0; model.namespaces.len()];
        for (c, m) in members.iter().enumerate() {
            let ns = model.pods[m[0]].namespace;
            let r = &mut ns_classes[ns];
            if r.start == r.end {
                *r = c..c + 1;
            } else {
                r.end = c + 1;
            }
        }
        let mut net = Network {
            class_of,
            members,
            selecting: Vec::new(),
            ns_classes,
            pod_by_name: HashMap::new(),
            pod_by_ip: HashMap::new(),
            port_cuts: std::sync::OnceLock::new(),
            model,
        };
        // the selector index: for every policy, the classes it selects
        let mut selecting = vec![[Vec::new(), Vec::new()]; net.members.len()];
        for (pi, p) in net.model.policies.iter().enumerate() {
            for c in net.subject_classes(&p.subject) {
                if p.ingress.is_some() {
                    selecting[c][0].push(pi);
                }
                if p.egress.is_some() {
                    selecting[c][1].push(pi);
                }
            }
        }
        net.selecting = selecting;
        for (i, p) in net.model.pods.iter().enumerate() {
            net.pod_by_name.entry(p.name.clone()).or_insert(i);
            for ip in &p.ips {
                net.pod_by_ip.entry(*ip).or_insert(i);
            }
        }
        net
    }

    pub fn pods(&self) -> &[Pod] {
        &self.model.pods
    }

    pub fn policies(&self) -> &[Policy] {
        &self.model.policies
    }

    /// The number of equivalence classes.
    pub fn class_count(&self) -> usize {
        self.members.len()
    }

    /// The class of a pod.
    pub fn class_of(&self, pod: usize) -> usize {
        self.class_of[pod]
    }

    /// The pods of a class.
    pub fn class_members(&self, class: usize) -> &[usize] {
        &self.members[class]
    }

    pub(crate) fn rep(&self, class: usize) -> &Pod {
        &self.model.pods[self.members[class][0]]
    }

    /// Namespaces a namespace selector covers.
    pub(crate) fn namespaces_of(&self, ns: &NsSel) -> Vec<usize> {
        match ns {
            NsSel::Same(n) => vec![*n],
            NsSel::Match(sel) => (0..self.model.namespaces.len())
                .filter(|&i| sel.matches_namespace(&self.model.namespaces[i]))
                .collect(),
        }
    }

    /// Classes a subject (or pod peer) selects: only the classes of the namespaces it covers
    /// are looked at.
    pub(crate) fn subject_classes(&self, s: &Subject) -> Vec<usize> {
        self.pod_peer_classes(&s.ns, &s.pods)
    }

    pub(crate) fn pod_peer_classes(&self, ns: &NsSel, pods: &Sel) -> Vec<usize> {
        let mut out = Vec::new();
        for n in self.namespaces_of(ns) {
            let ns_obj = &self.model.namespaces[n];
            for c in self.ns_classes[n].clone() {
                // host-network pods are node traffic (see `peer_matches`)
                if !self.rep(c).host_network && pods.matches(&self.rep(c).labels, ns_obj) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Resolves `namespace/name`, `namespace/kind/name` or `ip:ADDRESS` (an address of a pod's
    /// `status.podIP` is that pod).
    pub fn endpoint(&self, name: &str) -> Result<Endpoint, String> {
        if let Some(addr) = name.strip_prefix("ip:") {
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("{addr:?} is not an IP address"))?;
            return Ok(match self.pod_by_ip.get(&ip) {
                Some(&p) => Endpoint::Pod(p),
                None => Endpoint::External(ip),
            });
        }
        if let Some(&p) = self.pod_by_name.get(name) {
            return Ok(Endpoint::Pod(p));
        }
        // `ns/name` when the name is shared by several kinds
        let alternatives: Vec<&str> = self
            .model
            .pods
            .iter()
            .filter(|p| {
                let mut parts = p.name.splitn(3, '/');
                let (ns, _, n) = (parts.next(), parts.next(), parts.next());
                n.is_some() && format!("{}/{}", ns.unwrap_or(""), n.unwrap_or("")) == name
            })
            .map(|p| p.name.as_str())
            .collect();
        if alternatives.is_empty() {
            Err(format!(
                "no pod or workload {name:?} in the input (give namespace/name or ip:ADDRESS)"
            ))
        } else {
            Err(format!(
                "{name:?} is ambiguous: {}",
                alternatives.join(", ")
            ))
        }
    }

    /// The display name of an endpoint.
    pub fn endpoint_name(&self, e: &Endpoint) -> String {
        match e {
            Endpoint::Pod(p) => self.model.pods[*p].name.clone(),
            Endpoint::External(ip) => format!("ip:{ip}"),
        }
    }

    pub(crate) fn peer_matches(&self, peer: &Peer, party: Party) -> bool {
        match (peer, party) {
            (Peer::All, _) => true,
            (Peer::Nothing, _) => false,
            (Peer::World, Party::Ip(_)) => true,
            (Peer::World, Party::Pod(_)) => false,
            (Peer::Cidr { net, except }, Party::Ip(ip)) => in_cidr(ip, net, except),
            (Peer::Cidr { net, except }, Party::Pod(p)) => {
                p.ips.iter().any(|&ip| in_cidr(ip, net, except))
            }
            (Peer::Pods { .. }, Party::Ip(_)) => false,
            // the most common implementation, as the NetworkPolicy documentation describes it:
            // host-network pods are ignored by pod and namespace selectors (as subjects and
            // as peers), their traffic is the node's (an ipBlock may match its address)
            (Peer::Pods { .. }, Party::Pod(p)) if p.host_network => false,
            (Peer::Pods { ns, pods }, Party::Pod(p)) => {
                let ns_ok = match ns {
                    NsSel::Same(n) => *n == p.namespace,
                    NsSel::Match(sel) => sel.matches_namespace(&self.model.namespaces[p.namespace]),
                };
                ns_ok && pods.matches(&p.labels, &self.model.namespaces[p.namespace])
            }
        }
    }

    pub(crate) fn rule_matches(
        &self,
        rule: &Rule,
        other: Party,
        q: PortProto,
        dest: Option<&Pod>,
    ) -> bool {
        rule.covers_port(q, dest) && rule.peers.iter().any(|p| self.peer_matches(p, other))
    }

    /// One side: the policies selecting `selecting` (a class's list for `dir`), the other
    /// party, the port at the destination `dest` (`None`: an external address).
    pub(crate) fn judge(
        &self,
        selecting: &[usize],
        dir: Direction,
        other: Party,
        q: PortProto,
        dest: Option<&Pod>,
    ) -> SideVerdict {
        let mut passed = Vec::new();
        for tier in [Tier::Admin, Tier::NetworkPolicy, Tier::Baseline] {
            let in_tier = selecting
                .iter()
                .copied()
                .filter(|&pi| self.model.policies[pi].tier == tier);
            if tier == Tier::NetworkPolicy {
                let mut policies = Vec::new();
                let mut allows = Vec::new();
                let mut denies = Vec::new();
                let mut isolated = false;
                for pi in in_tier {
                    let Some(side) = self.model.policies[pi].side(dir) else {
                        continue;
                    };
                    if side.isolates {
                        isolated = true;
                        policies.push(pi);
                    }
                    for (ri, r) in side.rules.iter().enumerate() {
                        if self.rule_matches(r, other, q, dest) {
                            let rr = RuleRef {
                                policy: pi,
                                direction: dir,
                                rule: ri,
                            };
                            match r.action {
                                Action::Deny => denies.push(rr),
                                _ => allows.push(rr),
                            }
                        }
                    }
                }
                if !denies.is_empty() {
                    return SideVerdict {
                        allowed: false,
                        reason: Reason::DeniedByRule,
                        rules: denies,
                        policies,
                        passed,
                    };
                }
                if isolated {
                    let allowed = !allows.is_empty();
                    return SideVerdict {
                        allowed,
                        reason: if allowed {
                            Reason::AllowedByRules
                        } else {
                            Reason::NoRuleAllows
                        },
                        rules: allows,
                        policies,
                        passed,
                    };
                }
                continue;
            }
            'tier: for pi in in_tier {
                let Some(side) = self.model.policies[pi].side(dir) else {
                    continue;
                };
                for (ri, r) in side.rules.iter().enumerate() {
                    if !self.rule_matches(r, other, q, dest) {
                        continue;
                    }
                    let rr = RuleRef {
                        policy: pi,
                        direction: dir,
                        rule: ri,
                    };
                    match r.action {
                        Action::Pass => {
                            passed.push(rr);
                            break 'tier;
                        }
                        a => {
                            return SideVerdict {
                                allowed: a == Action::Allow,
                                reason: Reason::TierRule,
                                rules: vec![rr],
                                policies: vec![],
                                passed,
                            }
                        }
                    }
                }
            }
        }
        SideVerdict {
            passed,
            ..SideVerdict::open(Reason::NotIsolated)
        }
    }

    fn party(&self, e: &Endpoint) -> Party<'_> {
        match e {
            Endpoint::Pod(p) => Party::Pod(&self.model.pods[*p]),
            Endpoint::External(ip) => Party::Ip(*ip),
        }
    }

    /// Whether `from` may open a connection to `to` on `port`/`proto`, as a conformant CNI
    /// enforces the policies of the input: egress at the source and ingress at the
    /// destination must both allow it. Each side names the policies and rules that decided.
    pub fn can_reach(&self, from: &Endpoint, to: &Endpoint, port: u16, proto: Protocol) -> Verdict {
        let q = PortProto {
            port,
            protocol: proto,
        };
        let dest = match to {
            Endpoint::Pod(p) => Some(&self.model.pods[*p]),
            Endpoint::External(_) => None,
        };
        let egress = match from {
            Endpoint::Pod(p) => self.judge(
                &self.selecting[self.class_of[*p]][1],
                Direction::Egress,
                self.party(to),
                q,
                dest,
            ),
            Endpoint::External(_) => SideVerdict::open(Reason::External),
        };
        let ingress = match to {
            Endpoint::Pod(p) => self.judge(
                &self.selecting[self.class_of[*p]][0],
                Direction::Ingress,
                self.party(from),
                q,
                dest,
            ),
            Endpoint::External(_) => SideVerdict::open(Reason::External),
        };
        Verdict {
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
        }
    }

    /// The ports a pod endpoint declares (`containerPort`s).
    pub fn listening_ports(&self, pod: usize) -> &[PortProto] {
        &self.model.pods[pod].container_ports
    }

    /// Ports to try for "on some port" of destination `to`: its declared container ports, or,
    /// when it declares none, one port of every interval on which the policies' port rules
    /// cannot differ.
    fn some_ports(&self, to: Option<usize>) -> Vec<PortProto> {
        if let Some(p) = to {
            let declared = self.listening_ports(p);
            if !declared.is_empty() {
                return declared.to_vec();
            }
        }
        self.port_cuts.get_or_init(|| self.cuts()).clone()
    }

    fn cuts(&self) -> Vec<PortProto> {
        let mut named: HashMap<(&str, Protocol), Vec<u16>> = HashMap::new();
        for pod in &self.model.pods {
            for np in &pod.named_ports {
                named
                    .entry((&np.name, np.protocol))
                    .or_default()
                    .push(np.port);
            }
        }
        let mut cuts: Vec<(Protocol, u16)> = Protocol::ALL.iter().map(|&p| (p, 1)).collect();
        let mut cut = |pr: Protocol, start: u16, end: u16| {
            cuts.push((pr, start));
            if end < 65535 {
                cuts.push((pr, end + 1));
            }
        };
        for p in &self.model.policies {
            for side in [&p.ingress, &p.egress].into_iter().flatten() {
                for r in &side.rules {
                    for pm in &r.ports {
                        let (PortMatch::Range { protocol, .. } | PortMatch::Named { protocol, .. }) =
                            pm;
                        let protos = protocol.map(|p| vec![p]).unwrap_or(Protocol::ALL.to_vec());
                        for pr in protos {
                            match pm {
                                PortMatch::Range { start, end, .. } => cut(pr, *start, *end),
                                PortMatch::Named { name, .. } => {
                                    for &port in
                                        named.get(&(name.as_str(), pr)).into_iter().flatten()
                                    {
                                        cut(pr, port, port);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        cuts.sort();
        cuts.dedup();
        cuts.into_iter()
            .filter(|&(_, p)| p != 0)
            .map(|(protocol, port)| PortProto { port, protocol })
            .collect()
    }

    /// Pod endpoints that can reach pod `to` on `port` (`None`: on some port `to` declares,
    /// or on any port when it declares none). Answered per class of sources with the same
    /// egress policies.
    pub fn sources_reaching(&self, to: usize, port: Option<PortProto>) -> Vec<usize> {
        let ports = match port {
            Some(p) => vec![p],
            None => self.some_ports(Some(to)),
        };
        let dest = &self.model.pods[to];
        let to_class = self.class_of[to];
        let mut ok = vec![false; self.members.len()];
        for q in ports {
            let mut by_egress: HashMap<&[usize], bool> = HashMap::new();
            for (c, item) in ok.iter_mut().enumerate() {
                if *item {
                    continue;
                }
                let src = self.rep(c);
                let ing = self
                    .judge(
                        &self.selecting[to_class][0],
                        Direction::Ingress,
                        Party::Pod(src),
                        q,
                        Some(dest),
                    )
                    .allowed;
                if !ing {
                    continue;
                }
                let sel = self.selecting[c][1].as_slice();
                let eg = *by_egress.entry(sel).or_insert_with(|| {
                    self.judge(sel, Direction::Egress, Party::Pod(dest), q, Some(dest))
                        .allowed
                });
                *item = eg;
            }
        }
        let mut out: Vec<usize> = ok
            .iter()
            .enumerate()
            .filter(|(_, &b)| b)
            .flat_map(|(c, _)| self.members[c].iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether some address outside the input's pods can reach pod `to` on `port` (`None`:
    /// on some port it declares, or any port when it declares none). Every interval of
    /// addresses the policies selecting `to` can tell apart is tried once.
    pub fn external_can_reach(&self, to: usize, port: Option<PortProto>) -> bool {
        let ports = match port {
            Some(p) => vec![p],
            None => self.some_ports(Some(to)),
        };
        let selecting = &self.selecting[self.class_of[to]][0];
        let mut candidates: Vec<IpAddr> = vec![
            IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        ];
        for &pi in selecting {
            for r in self.model.policies[pi]
                .ingress
                .iter()
                .flat_map(|s| s.rules.iter())
            {
                for peer in &r.peers {
                    if let Peer::Cidr { net, except } = peer {
                        for n in std::iter::once(net).chain(except) {
                            candidates.push(n.network());
                            if let Some(next) = next_addr(n.broadcast()) {
                                candidates.push(next);
                            }
                        }
                    }
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        let dest = &self.model.pods[to];
        candidates
            .into_iter()
            // an address of a pod is that pod: the first address after it that is not a
            // pod's is still in the interval, or the interval holds only pod addresses
            .filter_map(|mut ip| {
                while self.pod_by_ip.contains_key(&ip) {
                    ip = next_addr(ip)?;
                }
                Some(ip)
            })
            .any(|ip| {
                ports.iter().any(|&q| {
                    self.judge(selecting, Direction::Ingress, Party::Ip(ip), q, Some(dest))
                        .allowed
                })
            })
    }

    /// Pod endpoints that pod `from` can reach on `port` (`None`: on some port each
    /// destination declares).
    pub fn destinations_from(&self, from: usize, port: Option<PortProto>) -> Vec<usize> {
        let src = &self.model.pods[from];
        let eg_sel = &self.selecting[self.class_of[from]][1];
        let mut out = Vec::new();
        for c in 0..self.members.len() {
            let dest = self.rep(c);
            let judge = |q: PortProto| {
                self.judge(eg_sel, Direction::Egress, Party::Pod(dest), q, Some(dest))
                    .allowed
                    && self
                        .judge(
                            &self.selecting[c][0],
                            Direction::Ingress,
                            Party::Pod(src),
                            q,
                            Some(dest),
                        )
                        .allowed
            };
            match port {
                Some(q) => {
                    if judge(q) {
                        out.extend(self.members[c].iter().copied());
                    }
                }
                // members of a class may declare different ports
                None => out.extend(
                    self.members[c]
                        .iter()
                        .copied()
                        .filter(|&m| self.some_ports(Some(m)).into_iter().any(judge)),
                ),
            }
        }
        out.sort_unstable();
        out
    }
}

fn next_addr(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(a) => u32::from(a).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(a) => u128::from(a).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}
