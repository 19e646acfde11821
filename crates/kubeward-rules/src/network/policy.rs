//! What the NetworkPolicy rules read of a `networking.k8s.io/v1` NetworkPolicy: the
//! directions it applies to (`policyTypes` with the API server's defaulting), its rules and
//! their peers and ports, and the CIDRs of `ipBlock` peers.

use kubeward_model::{effective_namespace, FieldPath, Index, Node, Object, Selector};
use std::collections::{HashMap, HashSet};

pub use ipnet::IpNet;

/// Kinds of other policy engines that isolate pods in a namespace (Calico, Cilium): a
/// namespace that holds one is not judged by rules that read only NetworkPolicies.
pub const FOREIGN_NAMESPACED: &[&str] = &["NetworkPolicy", "CiliumNetworkPolicy"];

/// Cluster-scoped policy kinds that may isolate any pod (Calico, Cilium, the
/// AdminNetworkPolicy API): with one in the input, a pod without a NetworkPolicy may still be
/// isolated, and the rules that report missing isolation stay silent.
pub const CLUSTER_WIDE: &[&str] = &[
    "GlobalNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
];

/// Whether an object is a `networking.k8s.io` NetworkPolicy (Calico's `NetworkPolicy` of
/// `projectcalico.org` is another kind with the same name).
pub fn is_network_policy(o: &Object) -> bool {
    o.kind() == "NetworkPolicy" && o.oref.group() == "networking.k8s.io"
}

/// A direction of traffic, as seen by the selected pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The spec field holding the rules.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The rule field holding the peers.
    pub fn peers(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// Whether a policy applies to a direction: `policyTypes` when it lists something, else the
/// API server's default (`Ingress` always, `Egress` when `egress` has a rule). A policy that
/// does not apply to a direction ignores its rules for it.
pub fn applies(np: &Object, dir: Direction) -> bool {
    let spec = np.spec();
    match spec.get("policyTypes").map(Node::items) {
        Some(types) if !types.is_empty() => {
            types.iter().any(|t| t.as_str() == Some(dir.type_name()))
        }
        _ => match dir {
            Direction::Ingress => true,
            Direction::Egress => spec.get("egress").is_some_and(|e| !e.items().is_empty()),
        },
    }
}

/// The rules of a policy for a direction it applies to (none otherwise), with their paths.
pub fn rules(np: &Object, dir: Direction) -> Vec<(usize, FieldPath, &Node)> {
    if !applies(np, dir) {
        return Vec::new();
    }
    let base = FieldPath::root().key("spec").key(dir.field());
    np.spec()
        .get(dir.field())
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, r)| (i, base.index(i), r))
        .collect()
}

/// The peers of a rule, or `None` when the rule admits every peer (the field absent, null or
/// an empty list: every pod of every namespace and every address).
pub fn peers(rule: &Node, dir: Direction) -> Option<&[Node]> {
    rule.get(dir.peers())
        .map(Node::items)
        .filter(|p| !p.is_empty())
}

/// Whether a rule admits every port (no `ports`, or an empty list).
pub fn every_port(rule: &Node) -> bool {
    rule.get("ports").is_none_or(|p| p.items().is_empty())
}

/// Whether a rule may admit `port`/`protocol`: every port, a number or range (`endPort`)
/// covering it, or a named port when `names` accepts the name (a name is resolved on the
/// destination pod, which the rules cannot always see). The protocol defaults to TCP.
pub fn may_admit_port(
    rule: &Node,
    port: i64,
    protocol: &str,
    names: impl Fn(&str) -> bool,
) -> bool {
    if every_port(rule) {
        return true;
    }
    rule.get("ports")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|p| {
            let proto = p.str_at("protocol").unwrap_or("TCP");
            if !proto.eq_ignore_ascii_case(protocol) {
                return false;
            }
            match p.get("port") {
                None => true,
                Some(n) if n.is_null() => true,
                Some(n) => match n.as_i64() {
                    Some(start) => {
                        let end = p.i64_at("endPort").unwrap_or(start);
                        (start..=end).contains(&port)
                    }
                    None => n.as_str().is_some_and(&names),
                },
            }
        })
}

/// `80/TCP, 8000-8080/TCP, http/TCP` for messages; `every port` when the rule has none.
pub fn describe_ports(rule: &Node) -> String {
    if every_port(rule) {
        return "every port".to_string();
    }
    let parts: Vec<String> = rule
        .get("ports")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(|p| {
            let proto = p.str_at("protocol").unwrap_or("TCP");
            let port = match p.get("port") {
                None => "every port".to_string(),
                Some(n) => match (n.as_i64(), p.i64_at("endPort")) {
                    (Some(a), Some(b)) => format!("{a}-{b}"),
                    _ => n.scalar_text().unwrap_or_else(|| "every port".into()),
                },
            };
            format!("{port}/{proto}")
        })
        .collect();
    crate::finding::bounded_list(parts)
}

/// A CIDR as the API server accepts it (`10.0.0.0/8`, `::/0`); `None` when malformed. A host
/// address with bits past the prefix (`10.1.2.3/8`) is taken as its network.
pub fn parse_cidr(s: &str) -> Option<IpNet> {
    s.trim().parse::<IpNet>().ok().map(|n| n.trunc())
}

/// The `ipBlock` of a peer: its CIDR and its `except` CIDRs (malformed ones left out).
pub fn ip_block(peer: &Node) -> Option<(IpNet, Vec<IpNet>)> {
    let b = peer.get("ipBlock")?;
    let cidr = parse_cidr(b.str_at("cidr")?)?;
    let except = b
        .get("except")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| e.as_str().and_then(parse_cidr))
        .collect();
    Some((cidr, except))
}

/// The NetworkPolicies of each namespace, and the namespaces (or the whole cluster) where
/// other policy engines isolate pods.
pub struct Policies<'s> {
    pub by_namespace: HashMap<Option<&'s str>, Vec<&'s Object>>,
    pub foreign: HashSet<Option<&'s str>>,
    pub cluster_wide: bool,
}

impl<'s> Policies<'s> {
    pub fn new(index: &Index<'s>) -> Self {
        let mut by_namespace: HashMap<Option<&'s str>, Vec<&'s Object>> = HashMap::new();
        let mut foreign = HashSet::new();
        for k in FOREIGN_NAMESPACED {
            for o in index.of_kind(k) {
                if is_network_policy(o) {
                    by_namespace
                        .entry(effective_namespace(o))
                        .or_default()
                        .push(o);
                } else {
                    foreign.insert(effective_namespace(o));
                }
            }
        }
        Policies {
            by_namespace,
            foreign,
            cluster_wide: CLUSTER_WIDE.iter().any(|k| index.has_kind(k)),
        }
    }

    /// The NetworkPolicies of a namespace.
    pub fn of(&self, ns: Option<&'s str>) -> &[&'s Object] {
        self.by_namespace.get(&ns).map_or(&[], Vec::as_slice)
    }

    /// Whether pods of the namespace may be isolated by policies of another engine.
    pub fn foreign_in(&self, ns: Option<&'s str>) -> bool {
        self.cluster_wide || self.foreign.contains(&ns)
    }
}

/// Which NetworkPolicies of one direction select each pod template, found through the
/// label index (not one match per template and policy).
pub struct Selecting<'s> {
    /// Policies with `podSelector: {}` (every pod of the namespace), by namespace.
    whole: HashMap<Option<&'s str>, Vec<&'s Object>>,
    /// Policies selecting a template, by [`super::util::template_id`].
    by_template: HashMap<usize, Vec<&'s Object>>,
}

impl<'s> Selecting<'s> {
    pub fn new(
        policies: &Policies<'s>,
        namespaces: &super::util::Namespaces<'_, 's>,
        dir: Direction,
    ) -> Self {
        let mut whole: HashMap<Option<&'s str>, Vec<&'s Object>> = HashMap::new();
        let mut by_template: HashMap<usize, Vec<&'s Object>> = HashMap::new();
        for (ns, nps) in &policies.by_namespace {
            for np in nps.iter().filter(|np| applies(np, dir)) {
                let sel = pod_selector(np);
                if sel.is_empty() {
                    whole.entry(*ns).or_default().push(np);
                    continue;
                }
                for t in namespaces.selected(*ns, &sel) {
                    by_template
                        .entry(super::util::template_id(t))
                        .or_default()
                        .push(np);
                }
            }
        }
        Selecting { whole, by_template }
    }

    /// The policies of the direction that select a pod template.
    pub fn of(&self, t: &kubeward_model::PodTemplate<'_>) -> Vec<&'s Object> {
        let ns = effective_namespace(t.object);
        let mut v: Vec<&'s Object> = self.whole.get(&ns).cloned().unwrap_or_default();
        if let Some(more) = self.by_template.get(&super::util::template_id(t)) {
            v.extend(more.iter().copied());
        }
        v
    }
}

/// The pod selector of a policy (`{}` when absent: every pod of the namespace).
pub fn pod_selector(np: &Object) -> Selector {
    Selector::from_label_selector(np.spec().get("podSelector").unwrap_or(Node::null()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::load_str;

    fn rule(yaml: &str) -> Node {
        let snap = load_str(
            "t.yaml",
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {yaml}\n"),
        );
        snap.objects[0].root.get("data").unwrap().clone()
    }

    #[test]
    fn ports_with_ranges_names_and_protocols() {
        let r = rule("{ports: [{port: 50, endPort: 60, protocol: UDP}, {port: dns-tcp}]}");
        assert!(may_admit_port(&r, 53, "UDP", |_| false));
        assert!(!may_admit_port(&r, 53, "TCP", |_| false));
        assert!(may_admit_port(&r, 53, "TCP", |n| n.starts_with("dns")));
        assert!(!may_admit_port(&r, 61, "UDP", |_| true));
        assert_eq!(describe_ports(&r), "50-60/UDP, dns-tcp/TCP");
        assert!(may_admit_port(&rule("{}"), 1, "SCTP", |_| false));
        assert!(may_admit_port(
            &rule("{ports: [{protocol: UDP}]}"),
            9,
            "UDP",
            |_| false
        ));
    }

    #[test]
    fn cidrs() {
        let any = parse_cidr("0.0.0.0/0").unwrap();
        let md: std::net::IpAddr = "169.254.169.254".parse().unwrap();
        assert!(any.contains(&md));
        assert!(parse_cidr("169.254.0.0/16").unwrap().contains(&md));
        assert!(!parse_cidr("10.0.0.0/8").unwrap().contains(&md));
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("nonsense").is_none());
    }
}
