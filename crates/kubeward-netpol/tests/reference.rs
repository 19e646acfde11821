//! A naive reference evaluator (pairwise, no classes, no index, no bit rows), checked against
//! the engine's matrix and `can_reach` on random clusters and policies (proptest).
//!
//! Clusters are decoded from a byte string, so proptest shrinks a failing case to a small
//! cluster. The reference reads the parsed model (`kubeward_netpol::model`), so parsing is
//! checked by the recipe and trap tests, and evaluation here.

use kubeward_netpol::model::*;
use kubeward_netpol::{Endpoint, Matrix, Network};
use proptest::prelude::*;
use std::net::IpAddr;

// ---------------------------------------------------------------- the reference evaluator

#[derive(Clone, Copy)]
enum Ep<'a> {
    Pod(&'a Pod),
    Ip(IpAddr),
}

fn ns_ok(m: &Model, sel: &NsSel, pod: &Pod) -> bool {
    match sel {
        NsSel::Same(n) => m.namespaces[*n].name == m.namespaces[pod.namespace].name,
        NsSel::Match(s) => s.matches(
            &m.namespaces[pod.namespace].labels,
            &m.namespaces[pod.namespace],
        ),
    }
}

fn peer_ok(m: &Model, peer: &Peer, other: Ep) -> bool {
    match (peer, other) {
        (Peer::All, _) => true,
        (Peer::Nothing, _) => false,
        (Peer::World, e) => matches!(e, Ep::Ip(_)),
        (Peer::Cidr { net, except }, Ep::Ip(ip)) => {
            net.contains(&ip) && except.iter().all(|e| !e.contains(&ip))
        }
        (Peer::Cidr { net, except }, Ep::Pod(p)) => p
            .ips
            .iter()
            .any(|ip| net.contains(ip) && except.iter().all(|e| !e.contains(ip))),
        (Peer::Pods { .. }, Ep::Ip(_)) => false,
        (Peer::Pods { .. }, Ep::Pod(p)) if p.host_network => false,
        (Peer::Pods { ns, pods }, Ep::Pod(p)) => {
            ns_ok(m, ns, p) && pods.matches(&p.labels, &m.namespaces[p.namespace])
        }
    }
}

fn port_ok(pm: &PortMatch, q: PortProto, dest: Option<&Pod>) -> bool {
    match pm {
        PortMatch::Range {
            protocol,
            start,
            end,
        } => {
            (protocol.is_none() || *protocol == Some(q.protocol))
                && (*start..=*end).contains(&q.port)
        }
        PortMatch::Named { protocol, name } => {
            (protocol.is_none() || *protocol == Some(q.protocol))
                && dest.is_some_and(|d| {
                    d.named_ports
                        .iter()
                        .any(|n| &n.name == name && n.protocol == q.protocol && n.port == q.port)
                })
        }
    }
}

fn rule_ok(m: &Model, r: &Rule, other: Ep, q: PortProto, dest: Option<&Pod>) -> bool {
    (r.ports.is_empty() || r.ports.iter().any(|p| port_ok(p, q, dest)))
        && r.peers.iter().any(|p| peer_ok(m, p, other))
}

/// Whether `subject` admits (ingress) or may open (egress) a connection with `other`.
fn side_ok(
    m: &Model,
    subject: &Pod,
    dir: Direction,
    other: Ep,
    q: PortProto,
    dest: Option<&Pod>,
) -> bool {
    let applies = |p: &Policy| {
        p.side(dir).is_some()
            && !subject.host_network
            && ns_ok(m, &p.subject.ns, subject)
            && p.subject
                .pods
                .matches(&subject.labels, &m.namespaces[subject.namespace])
    };
    let tier = |t: Tier| {
        let mut v: Vec<&Policy> = m
            .policies
            .iter()
            .filter(|p| p.tier == t && applies(p))
            .collect();
        v.sort_by_key(|p| p.priority);
        v
    };
    'admin: for p in tier(Tier::Admin) {
        for r in &p.side(dir).unwrap().rules {
            if rule_ok(m, r, other, q, dest) {
                match r.action {
                    Action::Allow => return true,
                    Action::Deny => return false,
                    Action::Pass => break 'admin,
                }
            }
        }
    }
    let np = tier(Tier::NetworkPolicy);
    let matching = |a: Action| {
        np.iter().any(|p| {
            p.side(dir)
                .unwrap()
                .rules
                .iter()
                .any(|r| (r.action == a) && rule_ok(m, r, other, q, dest))
        })
    };
    if matching(Action::Deny) {
        return false;
    }
    if np.iter().any(|p| p.side(dir).unwrap().isolates) {
        return matching(Action::Allow);
    }
    for p in tier(Tier::Baseline) {
        for r in &p.side(dir).unwrap().rules {
            if rule_ok(m, r, other, q, dest) {
                return r.action != Action::Deny;
            }
        }
    }
    true
}

fn reference(m: &Model, from: Ep, to: Ep, q: PortProto) -> bool {
    let dest = match to {
        Ep::Pod(p) => Some(p),
        Ep::Ip(_) => None,
    };
    let eg = match from {
        Ep::Pod(p) => side_ok(m, p, Direction::Egress, to, q, dest),
        Ep::Ip(_) => true,
    };
    let ing = match to {
        Ep::Pod(p) => side_ok(m, p, Direction::Ingress, from, q, dest),
        Ep::Ip(_) => true,
    };
    eg && ing
}

// ---------------------------------------------------------------- random clusters

struct Dice<'a>(&'a [u8], usize);

impl Dice<'_> {
    fn roll(&mut self, n: usize) -> usize {
        let b = self.0.get(self.1).copied().unwrap_or(0) as usize;
        self.1 += 1;
        b % n
    }
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.roll(xs.len())]
    }
}

const NAMESPACES: &[&str] = &["a", "b", "c"];
const KEYS: &[&str] = &["app", "tier"];
// not `y`/`n`: YAML 1.1 reads them as booleans, and a label must be a string
const VALUES: &[&str] = &["x", "v", "z"];
const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "0.0.0.0/0",
    "192.0.2.0/24",
    "10.0.0.4/30",
    "203.0.113.0/25",
];

fn labels(d: &mut Dice, indent: &str, keys: &[&str]) -> String {
    let mut s = String::new();
    for k in keys {
        if d.roll(3) > 0 {
            s.push_str(&format!("{indent}{k}: {}\n", d.pick(VALUES)));
        }
    }
    s
}

fn selector(d: &mut Dice, indent: &str, keys: &[&str]) -> String {
    match d.roll(4) {
        0 => " {}\n".to_string(),
        1 => format!(
            "\n{indent}matchExpressions:\n{indent}- key: {}\n{indent}  operator: {}\n{indent}  values: [{}]\n",
            d.pick(keys),
            d.pick(&["In", "NotIn"]),
            d.pick(VALUES)
        ),
        2 => format!(
            "\n{indent}matchExpressions:\n{indent}- key: {}\n{indent}  operator: {}\n",
            d.pick(keys),
            d.pick(&["Exists", "DoesNotExist"])
        ),
        _ => {
            let l = labels(d, &format!("{indent}  "), keys);
            if l.is_empty() {
                " {}\n".to_string()
            } else {
                format!("\n{indent}matchLabels:\n{l}")
            }
        }
    }
}

fn np_rule(d: &mut Dice, peer_key: &str) -> String {
    let mut s = String::from("  - ");
    let mut first = true;
    let mut field = |s: &mut String, text: &str| {
        if !first {
            s.push_str("    ");
        }
        first = false;
        s.push_str(text);
    };
    match d.roll(4) {
        0 => {}
        1 => field(&mut s, &format!("{peer_key}: []\n")),
        _ => {
            let mut peers = format!("{peer_key}:\n");
            for _ in 0..1 + d.roll(2) {
                match d.roll(4) {
                    0 => {
                        let c = d.pick(CIDRS);
                        peers.push_str(&format!("    - ipBlock:\n        cidr: {c}\n"));
                        if d.roll(2) == 0 {
                            peers.push_str("        except: [10.0.0.0/28, 192.0.2.128/25]\n");
                        }
                    }
                    1 => peers.push_str(&format!(
                        "    - podSelector:{}",
                        selector(d, "        ", KEYS)
                    )),
                    2 => peers.push_str(&format!(
                        "    - namespaceSelector:{}",
                        selector(d, "        ", &["env", "kubernetes.io/metadata.name"])
                    )),
                    _ => peers.push_str(&format!(
                        "    - podSelector:{}      namespaceSelector:{}",
                        selector(d, "        ", KEYS),
                        selector(d, "        ", &["env"])
                    )),
                }
            }
            field(&mut s, &peers);
        }
    }
    if d.roll(2) == 0 {
        let mut ports = String::from("ports:\n");
        for _ in 0..1 + d.roll(2) {
            ports.push_str(match d.roll(7) {
                0 => "    - port: 80\n",
                1 => "    - port: 53\n      protocol: UDP\n",
                2 => "    - port: http\n",
                3 => "    - port: dns\n      protocol: UDP\n",
                4 => "    - port: 79\n      endPort: 8080\n",
                5 => "    - protocol: UDP\n",
                _ => "    - port: 8080\n      protocol: TCP\n",
            });
        }
        field(&mut s, &ports);
    }
    if first {
        s.push_str("{}\n");
    }
    s
}

fn network_policy(d: &mut Dice, i: usize) -> String {
    let ns = d.pick(NAMESPACES);
    let mut s = format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{i}\n  namespace: {ns}\nspec:\n  podSelector:{}",
        selector(d, "    ", KEYS)
    );
    match d.roll(4) {
        0 => {}
        1 => s.push_str("  policyTypes: [Ingress]\n"),
        2 => s.push_str("  policyTypes: [Egress]\n"),
        _ => s.push_str("  policyTypes: [Ingress, Egress]\n"),
    }
    for (key, peer) in [("ingress", "from"), ("egress", "to")] {
        match d.roll(3) {
            0 => {}
            1 => s.push_str(&format!("  {key}: []\n")),
            _ => {
                s.push_str(&format!("  {key}:\n"));
                for _ in 0..1 + d.roll(2) {
                    s.push_str(&np_rule(d, peer));
                }
            }
        }
    }
    s
}

fn cluster_policy(d: &mut Dice, i: usize) -> String {
    let tier = d.pick(&["Admin", "Baseline"]);
    let mut s = format!(
        "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: cnp{i}\nspec:\n  tier: {tier}\n  priority: {}\n  subject:\n",
        d.roll(3)
    );
    if d.roll(2) == 0 {
        s.push_str(&format!(
            "    namespaces:{}",
            selector(d, "      ", &["env"])
        ));
    } else {
        s.push_str(&format!(
            "    pods:\n      namespaceSelector:{}      podSelector:{}",
            selector(d, "        ", &["env"]),
            selector(d, "        ", KEYS)
        ));
    }
    for (key, peer) in [("ingress", "from"), ("egress", "to")] {
        if d.roll(3) == 0 {
            continue;
        }
        s.push_str(&format!("  {key}:\n"));
        for _ in 0..1 + d.roll(3) {
            s.push_str(&format!(
                "  - action: {}\n    {peer}:\n",
                d.pick(&["Accept", "Deny", "Pass"])
            ));
            match d.roll(3) {
                0 => s.push_str(&format!(
                    "    - namespaces:{}",
                    selector(d, "        ", &["env"])
                )),
                1 if key == "egress" => {
                    s.push_str(&format!("    - networks: [{}]\n", d.pick(CIDRS)))
                }
                _ => s.push_str(&format!(
                    "    - pods:\n        namespaceSelector:{}        podSelector:{}",
                    selector(d, "          ", &["env"]),
                    selector(d, "          ", KEYS)
                )),
            }
            match d.roll(4) {
                0 => s.push_str("    protocols:\n    - tcp:\n        destinationPort:\n          number: 80\n"),
                1 => s.push_str("    protocols:\n    - udp:\n        destinationPort:\n          range:\n            start: 50\n            end: 60\n"),
                2 => s.push_str("    protocols:\n    - destinationNamedPort: http\n"),
                _ => {}
            }
        }
    }
    s
}

fn cilium_policy(d: &mut Dice, i: usize) -> String {
    let clusterwide = d.roll(2) == 0;
    let mut s = if clusterwide {
        format!("---\napiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: ccnp{i}\n")
    } else {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: cnp{i}\n  namespace: {}\n",
            d.pick(NAMESPACES)
        )
    };
    s.push_str(&format!(
        "spec:\n  endpointSelector:{}",
        selector(d, "    ", KEYS)
    ));
    for (key, from) in [
        ("ingress", "from"),
        ("egress", "to"),
        ("ingressDeny", "from"),
        ("egressDeny", "to"),
    ] {
        if d.roll(3) == 0 {
            continue;
        }
        s.push_str(&format!("  {key}:\n"));
        for _ in 0..1 + d.roll(2) {
            let mut first = true;
            let mut line = |s: &mut String, t: String| {
                s.push_str(if first { "  - " } else { "    " });
                first = false;
                s.push_str(&t);
            };
            match d.roll(5) {
                0 => line(&mut s, format!("{from}Endpoints:\n    -{}", selector(d, "      ", KEYS))),
                1 => line(&mut s, format!("{from}CIDR: [{}]\n", d.pick(CIDRS))),
                2 => line(&mut s, format!("{from}Entities: [{}]\n", d.pick(&["world", "cluster", "all"]))),
                3 => line(
                    &mut s,
                    format!("{from}Endpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: {}\n", d.pick(NAMESPACES)),
                ),
                _ => {}
            }
            if d.roll(2) == 0 {
                let p = d.pick(&["\"80\"", "\"53\"", "\"8080\"", "http"]);
                let proto = d.pick(&["TCP", "UDP", "ANY"]);
                line(
                    &mut s,
                    format!(
                        "toPorts:\n    - ports:\n      - port: {p}\n        protocol: {proto}\n"
                    ),
                );
            }
            if first {
                s.push_str("  - {}\n");
            }
        }
    }
    s
}

fn cluster(bytes: &[u8]) -> String {
    let mut d = Dice(bytes, 0);
    let mut y = String::new();
    for ns in NAMESPACES {
        if d.roll(4) > 0 {
            y.push_str(&format!(
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
            ));
            let l = labels(&mut d, "    ", &["env"]);
            if !l.is_empty() {
                y.push_str(&format!("  labels:\n{l}"));
            }
        }
    }
    for i in 0..1 + d.roll(8) {
        let ns = d.pick(NAMESPACES);
        y.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: {ns}\n"
        ));
        let l = labels(&mut d, "    ", KEYS);
        if !l.is_empty() {
            y.push_str(&format!("  labels:\n{l}"));
        }
        y.push_str("spec:\n");
        if d.roll(6) == 0 {
            y.push_str("  hostNetwork: true\n");
        }
        y.push_str("  containers:\n  - name: c\n    image: x\n");
        match d.roll(4) {
            0 => y.push_str("    ports:\n    - name: http\n      containerPort: 80\n"),
            1 => y.push_str("    ports:\n    - name: http\n      containerPort: 8080\n    - name: dns\n      containerPort: 53\n      protocol: UDP\n"),
            _ => {}
        }
        if d.roll(2) == 0 {
            y.push_str(&format!("status:\n  podIP: 10.0.0.{}\n", d.roll(12)));
        }
    }
    for i in 0..d.roll(7) {
        y.push_str(&match d.roll(5) {
            0 => cluster_policy(&mut d, i),
            1 => cilium_policy(&mut d, i),
            _ => network_policy(&mut d, i),
        });
    }
    y
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let yaml = cluster(bytes);
    let snap = kubeward_model::load_str("random.yaml", &yaml);
    prop_assert!(snap.errors.is_empty(), "{:?}\n{yaml}", snap.errors);
    let net = Network::new(&snap);
    let m = &net.model;
    let externals: Vec<IpAddr> = ["192.0.2.10", "203.0.113.5", "10.0.0.3", "10.0.0.200"]
        .iter()
        .map(|s| s.parse().unwrap())
        .filter(|ip| !m.pods.iter().any(|p| p.ips.contains(ip)))
        .collect();
    let ports: Vec<PortProto> = ["80/TCP", "53/UDP", "8080/TCP", "55/UDP"]
        .iter()
        .map(|s| PortProto::parse(s).unwrap())
        .collect();
    let matrix = Matrix::new(&net, &ports, &externals);
    let eps: Vec<(Endpoint, Ep)> = (0..m.pods.len())
        .map(|i| (Endpoint::Pod(i), Ep::Pod(&m.pods[i])))
        .chain(
            externals
                .iter()
                .map(|&ip| (Endpoint::External(ip), Ep::Ip(ip))),
        )
        .collect();
    let mut allowed = 0u64;
    let mut total = 0u64;
    for (pi, &q) in ports.iter().enumerate() {
        for (fa, fr) in &eps {
            for (ta, tr) in &eps {
                let both_ext =
                    matches!(fa, Endpoint::External(_)) && matches!(ta, Endpoint::External(_));
                let got = matrix.allowed(&net, pi, fa, ta);
                if both_ext {
                    prop_assert_eq!(got, None);
                    continue;
                }
                let want = reference(m, *fr, *tr, q);
                prop_assert_eq!(
                    got,
                    Some(want),
                    "matrix {} -> {} {}\n{}",
                    net.endpoint_name(fa),
                    net.endpoint_name(ta),
                    q,
                    yaml
                );
                let v = net.can_reach(fa, ta, q.port, q.protocol);
                prop_assert_eq!(
                    v.allowed,
                    want,
                    "can_reach {} -> {} {}\n{}",
                    net.endpoint_name(fa),
                    net.endpoint_name(ta),
                    q,
                    yaml
                );
                total += 1;
                allowed += want as u64;
            }
        }
    }
    // the summary counts the same pairs
    let s = matrix.summary(&net);
    let sum_allowed: u64 = s.ports.iter().map(|p| p.allowed).sum();
    let sum_pairs: u64 = s.ports.iter().map(|p| p.pairs).sum();
    prop_assert_eq!(sum_allowed, allowed);
    prop_assert_eq!(sum_pairs, total);
    // class-level queries agree with the pairs
    for (pi, &q) in ports.iter().enumerate() {
        for to in 0..m.pods.len() {
            let want: Vec<usize> = (0..m.pods.len())
                .filter(|&f| reference(m, Ep::Pod(&m.pods[f]), Ep::Pod(&m.pods[to]), q))
                .collect();
            prop_assert_eq!(&net.sources_reaching(to, Some(q)), &want);
            prop_assert_eq!(&matrix.sources_of(&net, pi, to), &want);
            // on some port: the declared ports, or (none declared) every port
            let some: Vec<usize> = (0..m.pods.len())
                .filter(|&f| {
                    let declared = &m.pods[to].container_ports;
                    let probe: Vec<PortProto> = if declared.is_empty() {
                        Protocol::ALL
                            .iter()
                            .flat_map(|&protocol| {
                                [
                                    1u16, 52, 53, 54, 60, 61, 78, 79, 80, 81, 8079, 8080, 8081,
                                    65535,
                                ]
                                .into_iter()
                                .map(move |port| PortProto { port, protocol })
                            })
                            .collect()
                    } else {
                        declared.clone()
                    };
                    probe
                        .iter()
                        .any(|&q| reference(m, Ep::Pod(&m.pods[f]), Ep::Pod(&m.pods[to]), q))
                })
                .collect();
            let got = net.sources_reaching(to, None);
            if m.pods[to].container_ports.is_empty() {
                prop_assert!(
                    some.iter().all(|s| got.contains(s)),
                    "{some:?} {got:?}\n{yaml}"
                );
            } else {
                prop_assert_eq!(&got, &some, "{}", yaml);
            }
            let from_ext = externals
                .iter()
                .any(|&ip| reference(m, Ep::Ip(ip), Ep::Pod(&m.pods[to]), q));
            if from_ext {
                prop_assert!(net.external_can_reach(to, Some(q)), "{}", yaml);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_naive_reference(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&bytes)?;
    }
}

#[test]
fn the_generator_makes_policies_of_every_kind() {
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 0..200u32 {
        let bytes: Vec<u8> = (0..400u32)
            .map(|i| {
                (i.wrapping_mul(2654435761)
                    .wrapping_add(seed.wrapping_mul(40503))
                    >> 13) as u8
            })
            .collect();
        let snap = kubeward_model::load_str("g.yaml", &cluster(&bytes));
        let net = Network::new(&snap);
        for p in &net.model.policies {
            kinds.insert(p.kind.clone());
        }
        check(&bytes).unwrap();
    }
    for k in [
        "NetworkPolicy",
        "ClusterNetworkPolicy",
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy",
    ] {
        assert!(kinds.contains(k), "{k} never generated: {kinds:?}");
    }
}
