//! The parsed network model: namespaces, pods (endpoints), and every policy kind reduced to
//! one shape (tiers of ordered rules whose peers and ports are matched the same way).

use ipnet::IpNet;
use std::net::IpAddr;

/// A transport protocol NetworkPolicy can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// `TCP`, `UDP`, `SCTP` (any case).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One destination port of a query: `80/TCP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortProto {
    pub port: u16,
    pub protocol: Protocol,
}

impl PortProto {
    /// `80/TCP`, `53/udp`, `8080` (TCP).
    pub fn parse(s: &str) -> Result<PortProto, String> {
        let (p, proto) = match s.split_once('/') {
            Some((p, proto)) => (
                p,
                Protocol::parse(proto).ok_or_else(|| {
                    format!("unknown protocol {proto:?} in {s:?} (TCP, UDP, SCTP)")
                })?,
            ),
            None => (s, Protocol::Tcp),
        };
        let port: u16 = p
            .trim()
            .parse()
            .ok()
            .filter(|&n| n != 0)
            .ok_or_else(|| format!("port {p:?} in {s:?} is not a number from 1 to 65535"))?;
        Ok(PortProto {
            port,
            protocol: proto,
        })
    }
}

impl std::fmt::Display for PortProto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

/// A label selector operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    /// An operator the API server would reject: the selector matches nothing.
    Invalid,
}

/// Where a label key of a selector is looked up. NetworkPolicy selectors read pod labels (or
/// namespace labels); Cilium endpoint selectors also reach the namespace through reserved keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Label(String),
    /// Cilium `io.kubernetes.pod.namespace`: the namespace's name.
    NamespaceName,
    /// Cilium `io.cilium.k8s.namespace.labels.KEY`: a label of the namespace.
    NamespaceLabel(String),
}

/// A label selector (`matchLabels` are `In` requirements with one value). Empty selects all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sel {
    pub reqs: Vec<(Key, Op, Vec<String>)>,
}

impl Sel {
    pub fn everything() -> Sel {
        Sel::default()
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    /// Whether a pod (its labels) in a namespace (its name and labels) matches.
    pub fn matches(&self, labels: &Labels, ns: &Namespace) -> bool {
        self.reqs.iter().all(|(key, op, values)| {
            let v = match key {
                Key::Label(k) => labels.get(k),
                Key::NamespaceName => Some(ns.name.as_str()),
                Key::NamespaceLabel(k) => ns.labels.get(k),
            };
            match op {
                Op::In => v.is_some_and(|v| values.iter().any(|x| x == v)),
                Op::NotIn => v.is_none_or(|v| !values.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
                Op::Invalid => false,
            }
        })
    }

    /// Whether a namespace matches, as a namespace selector (keys are namespace labels).
    pub fn matches_namespace(&self, ns: &Namespace) -> bool {
        self.matches(&ns.labels, ns)
    }

    /// Whether the selector names the namespace itself (Cilium: then a namespaced policy's
    /// endpoint selector is not limited to its own namespace).
    pub fn names_namespace(&self) -> bool {
        self.reqs
            .iter()
            .any(|(k, _, _)| matches!(k, Key::NamespaceName | Key::NamespaceLabel(_)))
    }
}

/// Labels, sorted by key (keys are unique).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(pub Vec<(String, String)>);

impl Labels {
    pub fn new(mut pairs: Vec<(String, String)>) -> Labels {
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        Labels(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }
}

impl std::fmt::Display for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("{}");
        }
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// A namespace: from a Namespace object, or named by an object of the input. It always carries
/// `kubernetes.io/metadata.name`, as the API server sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    /// Whether a Namespace object of this name is in the input.
    pub declared: bool,
}

/// A named container port: name, protocol, number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamedPort {
    pub name: String,
    pub protocol: Protocol,
    pub port: u16,
}

/// A pod endpoint: a Pod, or the pod template of a workload (its replicas behave alike).
#[derive(Clone, Debug)]
pub struct Pod {
    /// `namespace/name` (a workload with several templates: `namespace/name#2`...).
    pub name: String,
    /// Index into [`Model::namespaces`].
    pub namespace: usize,
    pub labels: Labels,
    /// Named container ports (sorted).
    pub named_ports: Vec<NamedPort>,
    /// Every declared container port, named or not (sorted).
    pub container_ports: Vec<PortProto>,
    /// `status.podIP` / `status.podIPs` when present.
    pub ips: Vec<IpAddr>,
    /// `Kind/namespace/name` of the object it comes from, and `file:line:col`.
    pub object: String,
    pub location: String,
    pub host_network: bool,
}

impl Pod {
    /// The container port named `name` with that protocol (`None`: any protocol).
    pub fn named_port(
        &self,
        name: &str,
        protocol: Option<Protocol>,
    ) -> impl Iterator<Item = u16> + '_ {
        let name = name.to_string();
        self.named_ports
            .iter()
            .filter(move |p| p.name == name && protocol.is_none_or(|pr| pr == p.protocol))
            .map(|p| p.port)
    }
}

/// Which namespaces a pod peer or subject covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NsSel {
    /// Only this namespace (index into [`Model::namespaces`]): a NetworkPolicy `podSelector`
    /// peer without `namespaceSelector`, a namespaced policy's subject.
    Same(usize),
    /// Namespaces whose labels match.
    Match(Sel),
}

/// One peer of a rule: who is on the other side.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Pods of the namespaces matched, whose labels (Cilium: and namespace keys) match.
    Pods { ns: NsSel, pods: Sel },
    /// Addresses in `net` but in none of `except`: external IPs, and pods by `status.podIP`.
    Cidr { net: IpNet, except: Vec<IpNet> },
    /// Every pod and every address (an empty or missing `from`/`to`; Cilium entity `all`).
    All,
    /// Every address outside the cluster (Cilium entity `world`).
    World,
    /// Matches nothing (a peer kubeward cannot see: nodes, domain names, a malformed peer of
    /// an allowing rule).
    Nothing,
}

/// What ports a rule covers; a rule with none covers every port and protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortMatch {
    /// `port`..=`end` of a protocol (`protocol` `None`: any protocol, Cilium `ANY`).
    Range {
        protocol: Option<Protocol>,
        start: u16,
        end: u16,
    },
    /// A named container port, resolved on each destination pod.
    Named {
        protocol: Option<Protocol>,
        name: String,
    },
}

impl PortMatch {
    /// Whether the destination port `q` on destination `dest` (`None`: an external address,
    /// which has no named ports) is covered.
    pub fn matches(&self, q: PortProto, dest: Option<&Pod>) -> bool {
        match self {
            PortMatch::Range {
                protocol,
                start,
                end,
            } => protocol.is_none_or(|p| p == q.protocol) && *start <= q.port && q.port <= *end,
            PortMatch::Named { protocol, name } => {
                protocol.is_none_or(|p| p == q.protocol)
                    && dest.is_some_and(|d| {
                        d.named_ports.iter().any(|np| {
                            np.name == *name && np.protocol == q.protocol && np.port == q.port
                        })
                    })
            }
        }
    }
}

impl std::fmt::Display for PortMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proto = |p: &Option<Protocol>| p.map(|p| p.as_str()).unwrap_or("ANY");
        match self {
            PortMatch::Range {
                protocol,
                start,
                end,
            } if start == end => write!(f, "{start}/{}", proto(protocol)),
            PortMatch::Range {
                protocol,
                start: 1,
                end: 65535,
            } => write!(f, "*/{}", proto(protocol)),
            PortMatch::Range {
                protocol,
                start,
                end,
            } => write!(f, "{start}-{end}/{}", proto(protocol)),
            PortMatch::Named { protocol, name } => write!(f, "{name}/{}", proto(protocol)),
        }
    }
}

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Action {
    Allow,
    Deny,
    /// Skip the rest of the tier (AdminNetworkPolicy / ClusterNetworkPolicy).
    Pass,
}

/// The tiers, evaluated in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Tier {
    /// ClusterNetworkPolicy `tier: Admin`, AdminNetworkPolicy: first matching rule by
    /// priority then rule order decides; Pass goes on to the NetworkPolicy tier.
    Admin,
    /// NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy: a pod selected in a
    /// direction is isolated; allows are a union; Cilium deny rules win over allows.
    NetworkPolicy,
    /// ClusterNetworkPolicy `tier: Baseline`, BaselineAdminNetworkPolicy: for traffic the
    /// NetworkPolicy tier left open.
    Baseline,
}

/// Ingress or egress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `ingress[0]`, `egressDeny[1]` (and the rule's `name` when it has one).
    pub label: String,
    pub action: Action,
    /// Any peer matching is enough; empty matches nothing.
    pub peers: Vec<Peer>,
    /// Any port matching is enough; empty covers every port and protocol.
    pub ports: Vec<PortMatch>,
    /// `file:line:col` of the rule.
    pub location: String,
}

impl Rule {
    pub fn covers_port(&self, q: PortProto, dest: Option<&Pod>) -> bool {
        self.ports.is_empty() || self.ports.iter().any(|p| p.matches(q, dest))
    }
}

/// One direction of a policy.
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// Whether selected pods are isolated in this direction (NetworkPolicy tier only: a pod
    /// selected by an isolating policy is denied what no rule allows).
    pub isolates: bool,
    pub rules: Vec<Rule>,
}

/// Which pods a policy applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    pub ns: NsSel,
    pub pods: Sel,
}

/// A policy of any kind.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `NetworkPolicy`, `AdminNetworkPolicy`, `ClusterNetworkPolicy`, `CiliumNetworkPolicy`...
    pub kind: String,
    /// `namespace/name` or `name` for cluster-scoped kinds.
    pub name: String,
    pub tier: Tier,
    /// Lower first (Admin and Baseline tiers).
    pub priority: i64,
    pub subject: Subject,
    pub ingress: Option<Side>,
    pub egress: Option<Side>,
    pub location: String,
}

impl Policy {
    pub fn side(&self, dir: Direction) -> Option<&Side> {
        match dir {
            Direction::Ingress => self.ingress.as_ref(),
            Direction::Egress => self.egress.as_ref(),
        }
    }

    /// `NetworkPolicy default/web-deny-all`.
    pub fn display(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

/// A problem met while reading policies (the object is still used where it can be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// `file:line:col`.
    pub location: String,
    pub message: String,
}

/// Everything the engine reads from a snapshot.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub namespaces: Vec<Namespace>,
    pub pods: Vec<Pod>,
    /// Sorted in evaluation order: tier, priority, kind, name.
    pub policies: Vec<Policy>,
    pub warnings: Vec<Warning>,
}

impl Model {
    pub fn namespace_index(&self, name: &str) -> Option<usize> {
        self.namespaces.iter().position(|n| n.name == name)
    }
}

/// Whether an address is in a CIDR peer (`net` minus `except`).
pub fn in_cidr(ip: IpAddr, net: &IpNet, except: &[IpNet]) -> bool {
    net.contains(&ip) && !except.iter().any(|e| e.contains(&ip))
}
