//! Reading the model from a snapshot: namespaces, pods from Pods and workload templates, and
//! every policy kind (NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy,
//! ClusterNetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy).
//!
//! Malformed fields never stop the reading: each is a [`Warning`] at its `file:line:col`, and
//! the part it belongs to is read the way the semantics fail closed (an allowing peer or port
//! that cannot be read matches nothing; a denying one matches everything).

use crate::model::*;
use ipnet::IpNet;
use kubeward_model::{effective_namespace, Node, Object, PodTemplate, Snapshot, Value};
use std::collections::HashMap;
use std::net::IpAddr;

/// The label the API server puts on every namespace.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

struct Ctx<'s> {
    snapshot: &'s Snapshot,
    namespaces: Vec<Namespace>,
    ns_index: HashMap<String, usize>,
    warnings: Vec<Warning>,
}

impl Ctx<'_> {
    fn loc(&self, obj: &Object, node: &Node) -> String {
        let pos = if node.pos.line == 0 {
            obj.root.pos
        } else {
            node.pos
        };
        format!(
            "{}:{}:{}",
            self.snapshot.source(obj.source).name,
            pos.line,
            pos.col
        )
    }

    fn warn(&mut self, obj: &Object, node: &Node, message: String) {
        let location = self.loc(obj, node);
        self.warnings.push(Warning { location, message });
    }

    fn namespace(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ns_index.get(name) {
            return i;
        }
        let i = self.namespaces.len();
        self.namespaces.push(Namespace {
            name: name.to_string(),
            labels: Labels::new(vec![(NAME_LABEL.into(), name.into())]),
            declared: false,
        });
        self.ns_index.insert(name.to_string(), i);
        i
    }
}

/// Reads the model of a snapshot.
pub fn model(snapshot: &Snapshot) -> Model {
    let mut cx = Ctx {
        snapshot,
        namespaces: Vec::new(),
        ns_index: HashMap::new(),
        warnings: Vec::new(),
    };
    // namespaces first, so their labels are known
    for o in &snapshot.objects {
        if o.kind() == "Namespace" && o.oref.api_version == "v1" {
            let mut labels: Vec<(String, String)> = o
                .labels()
                .filter(|(k, _)| *k != NAME_LABEL)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            labels.push((NAME_LABEL.into(), o.name().to_string()));
            let i = cx.namespace(o.name());
            cx.namespaces[i].labels = Labels::new(labels);
            cx.namespaces[i].declared = true;
        }
    }
    // controllers present in the input stand for what they own (a Deployment for its
    // ReplicaSets and their Pods): owned objects are not endpoints of their own, and the
    // addresses of owned Pods become the addresses of the topmost owner
    let mut by_key: HashMap<(&str, &str, &str), &Object> = HashMap::new();
    for o in &snapshot.objects {
        if let Some(ns) = effective_namespace(o) {
            by_key.insert((ns, o.kind(), o.name()), o);
        }
    }
    let root_of = |o: &Object| -> Option<(String, String, String)> {
        let ns = effective_namespace(o)?;
        let mut cur = o;
        let mut root = None;
        for _ in 0..8 {
            let owner = cur
                .metadata()
                .get("ownerReferences")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .find(|r| r.bool_at("controller") == Some(true))
                .and_then(|r| Some((r.str_at("kind")?, r.str_at("name")?)))
                .and_then(|(k, n)| by_key.get(&(ns, k, n)).copied());
            match owner {
                Some(next) if !std::ptr::eq(next, o) => {
                    root = Some((
                        ns.to_string(),
                        next.kind().to_string(),
                        next.name().to_string(),
                    ));
                    cur = next;
                }
                _ => break,
            }
        }
        root
    };
    let mut owned_ips: HashMap<(String, String, String), Vec<IpAddr>> = HashMap::new();
    let mut owned: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for (i, o) in snapshot.objects.iter().enumerate() {
        if PodTemplate::of(o).is_none() {
            continue;
        }
        if let Some(root) = root_of(o) {
            owned.insert(i);
            if o.kind() == "Pod" && !finished(o) {
                let ips = pod_ips(&mut cx, o);
                owned_ips.entry(root).or_default().extend(ips);
            }
        }
    }
    let mut pods = Vec::new();
    let mut policies = Vec::new();
    for (i, o) in snapshot.objects.iter().enumerate() {
        if owned.contains(&i) {
            continue;
        }
        let group = o.oref.group();
        match (group, o.kind()) {
            ("networking.k8s.io" | "extensions", "NetworkPolicy") => {
                policies.push(network_policy(&mut cx, o))
            }
            ("policy.networking.k8s.io", "AdminNetworkPolicy") => {
                policies.extend(cluster_policy(&mut cx, o, Some(Tier::Admin)))
            }
            ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy") => {
                policies.extend(cluster_policy(&mut cx, o, Some(Tier::Baseline)))
            }
            ("policy.networking.k8s.io", "ClusterNetworkPolicy") => {
                policies.extend(cluster_policy(&mut cx, o, None))
            }
            ("cilium.io", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
                policies.extend(cilium_policies(&mut cx, o))
            }
            ("", "PodTemplate") => {}
            _ => {
                let key = effective_namespace(o)
                    .map(|ns| (ns.to_string(), o.kind().to_string(), o.name().to_string()));
                let extra = key.and_then(|k| owned_ips.remove(&k)).unwrap_or_default();
                pods_of(&mut cx, o, &mut pods, extra)
            }
        }
    }
    // names: `namespace/name`, or `namespace/kind/name` where two objects share one
    let mut count: HashMap<String, usize> = HashMap::new();
    for p in &pods {
        *count.entry(p.name.clone()).or_default() += 1;
    }
    for p in &mut pods {
        if count[&p.name] > 1 {
            let (kind, rest) = p.object.split_once('/').unwrap_or(("", ""));
            let name = rest.split_once('/').map(|x| x.1).unwrap_or(rest);
            let ns = &cx.namespaces[p.namespace].name;
            let suffix = p.name.rsplit_once('#').map(|x| format!("#{}", x.1));
            p.name = format!(
                "{ns}/{}/{name}{}",
                kind.to_ascii_lowercase(),
                suffix.unwrap_or_default()
            );
        }
    }
    policies.sort_by(|a: &Policy, b: &Policy| {
        (a.tier, a.priority, &a.kind, &a.name).cmp(&(b.tier, b.priority, &b.kind, &b.name))
    });
    Model {
        namespaces: cx.namespaces,
        pods,
        policies,
        warnings: cx.warnings,
    }
}

/// Whether a Pod has finished (it holds no address any more).
fn finished(o: &Object) -> bool {
    o.kind() == "Pod"
        && matches!(
            o.root.at(&["status", "phase"]).and_then(Node::as_str),
            Some("Succeeded" | "Failed")
        )
}

/// `status.podIP` and `status.podIPs` of a Pod.
fn pod_ips(cx: &mut Ctx, o: &Object) -> Vec<IpAddr> {
    let mut ips = Vec::new();
    let status = o.root.get("status");
    if let Some(ip) = status.and_then(|s| s.str_at("podIP")) {
        match ip.parse::<IpAddr>() {
            Ok(a) => ips.push(a),
            Err(_) => cx.warn(
                o,
                status.unwrap_or(&o.root),
                format!("podIP {ip:?} is not an address"),
            ),
        }
    }
    for e in status
        .and_then(|s| s.get("podIPs"))
        .map(Node::items)
        .unwrap_or(&[])
    {
        if let Some(a) = e.str_at("ip").and_then(|s| s.parse::<IpAddr>().ok()) {
            if !ips.contains(&a) {
                ips.push(a);
            }
        }
    }
    ips
}

fn pods_of(cx: &mut Ctx, o: &Object, pods: &mut Vec<Pod>, owned_ips: Vec<IpAddr>) {
    let Some(ns_name) = effective_namespace(o) else {
        return;
    };
    let templates = PodTemplate::all(o);
    if templates.is_empty() {
        return;
    }
    if finished(o) {
        return;
    }
    let ns = cx.namespace(ns_name);
    let object = o.oref.display();
    for (i, t) in templates.iter().enumerate() {
        let mut named_ports = Vec::new();
        let mut container_ports = Vec::new();
        for c in t.containers() {
            if c.kind == kubeward_model::ContainerKind::Ephemeral {
                continue;
            }
            for p in c.node.get("ports").map(Node::items).unwrap_or(&[]) {
                let Some(num) = p.i64_at("containerPort") else {
                    continue;
                };
                let Ok(port) = u16::try_from(num) else {
                    cx.warn(o, p, format!("containerPort {num} is out of range"));
                    continue;
                };
                let protocol = match p.str_at("protocol") {
                    None => Protocol::Tcp,
                    Some(s) => match Protocol::parse(s) {
                        Some(pr) => pr,
                        None => {
                            cx.warn(o, p, format!("unknown protocol {s:?}"));
                            continue;
                        }
                    },
                };
                container_ports.push(PortProto { port, protocol });
                if let Some(name) = p.str_at("name") {
                    named_ports.push(NamedPort {
                        name: name.to_string(),
                        protocol,
                        port,
                    });
                }
            }
        }
        named_ports.sort();
        named_ports.dedup();
        container_ports.sort();
        container_ports.dedup();
        let mut ips = if t.is_pod() {
            pod_ips(cx, o)
        } else {
            Vec::new()
        };
        if i == 0 {
            for ip in &owned_ips {
                if !ips.contains(ip) {
                    ips.push(*ip);
                }
            }
        }
        let name = if i == 0 {
            format!("{ns_name}/{}", o.name())
        } else {
            format!("{ns_name}/{}#{}", o.name(), i + 1)
        };
        pods.push(Pod {
            name,
            namespace: ns,
            labels: Labels::new(
                t.labels()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            named_ports,
            container_ports,
            ips,
            object: object.clone(),
            location: cx.loc(o, t.meta),
            host_network: t.host_network(),
        });
    }
}

/// A `LabelSelector`; null or `{}` selects everything. `cilium`: keys may carry a source
/// prefix (`k8s:`, `any:`) and name the namespace.
fn selector(cx: &mut Ctx, o: &Object, node: Option<&Node>, cilium: bool) -> Sel {
    let Some(node) = node else {
        return Sel::everything();
    };
    if node.is_null() {
        return Sel::everything();
    }
    if node.as_map().is_none() {
        cx.warn(
            o,
            node,
            "a label selector must be a mapping: it selects nothing".into(),
        );
        return nothing();
    }
    let key = |k: &str| -> Key {
        if !cilium {
            return Key::Label(k.to_string());
        }
        let k = k
            .strip_prefix("k8s:")
            .or_else(|| k.strip_prefix("any:"))
            .unwrap_or(k);
        if k == "io.kubernetes.pod.namespace" {
            Key::NamespaceName
        } else if let Some(l) = k.strip_prefix("io.cilium.k8s.namespace.labels.") {
            Key::NamespaceLabel(l.to_string())
        } else {
            Key::Label(k.to_string())
        }
    };
    let mut reqs = Vec::new();
    if let Some(ml) = node.get("matchLabels") {
        for e in ml.entries() {
            let v = e.value.scalar_text().unwrap_or_default();
            reqs.push((key(&e.key), Op::In, vec![v]));
        }
    }
    for e in node.get("matchExpressions").map(Node::items).unwrap_or(&[]) {
        let op = match e.str_at("operator") {
            Some("In") => Op::In,
            Some("NotIn") => Op::NotIn,
            Some("Exists") => Op::Exists,
            Some("DoesNotExist") => Op::DoesNotExist,
            other => {
                cx.warn(
                    o,
                    e,
                    format!("unknown selector operator {other:?}: it matches nothing"),
                );
                Op::Invalid
            }
        };
        let values = e
            .get("values")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        reqs.push((key(e.str_at("key").unwrap_or("")), op, values));
    }
    Sel { reqs }
}

fn nothing() -> Sel {
    Sel {
        reqs: vec![(Key::Label(String::new()), Op::Invalid, vec![])],
    }
}

fn cidr(cx: &mut Ctx, o: &Object, node: &Node) -> Option<IpNet> {
    let text = node.as_str().unwrap_or("");
    match text.parse::<IpNet>() {
        Ok(n) => Some(n.trunc()),
        Err(_) => match text.parse::<IpAddr>() {
            // Cilium accepts a bare address
            Ok(a) => Some(IpNet::from(a)),
            Err(_) => {
                cx.warn(o, node, format!("{text:?} is not a CIDR"));
                None
            }
        },
    }
}

fn ip_block(cx: &mut Ctx, o: &Object, node: &Node) -> Peer {
    let Some(net) = node.get("cidr").and_then(|c| cidr(cx, o, c)) else {
        if node.get("cidr").is_none() {
            cx.warn(o, node, "ipBlock without cidr matches nothing".into());
        }
        return Peer::Nothing;
    };
    let mut except = Vec::new();
    for e in node.get("except").map(Node::items).unwrap_or(&[]) {
        if let Some(x) = cidr(cx, o, e) {
            except.push(x);
        }
    }
    Peer::Cidr { net, except }
}

fn seq(node: Option<&Node>) -> &[Node] {
    node.map(Node::items).unwrap_or(&[])
}

/// Whether a list field is present with at least one item.
fn non_empty(node: Option<&Node>) -> bool {
    matches!(node.map(|n| &n.value), Some(Value::Seq(v)) if !v.is_empty())
}

/// A port field: a number, a name, or something the API server rejects.
enum PortVal {
    Num(u16),
    Name(String),
    Bad(String),
}

fn port_number(node: &Node) -> Option<PortVal> {
    match &node.value {
        Value::Int(i) => Some(match u16::try_from(*i) {
            Ok(p) => PortVal::Num(p),
            Err(_) => PortVal::Bad(format!("port {i} is out of range")),
        }),
        Value::Str(s) => Some(match s.parse::<u16>() {
            Ok(p) => PortVal::Num(p),
            Err(_) if s.is_empty() => PortVal::Bad("an empty port".into()),
            Err(_) => PortVal::Name(s.to_string()),
        }),
        Value::Null => None,
        _ => Some(PortVal::Bad("port is neither a number nor a name".into())),
    }
}

fn network_policy(cx: &mut Ctx, o: &Object) -> Policy {
    let ns_name = effective_namespace(o).unwrap_or("default");
    let ns = cx.namespace(ns_name);
    let spec = o.spec();
    let pods = selector(cx, o, spec.get("podSelector"), false);
    let (ing, eg) = match spec.get("policyTypes").and_then(Node::as_seq) {
        Some(types) => {
            let has = |t: &str| types.iter().any(|n| n.as_str() == Some(t));
            (has("Ingress"), has("Egress"))
        }
        // the API server's defaulting: Ingress always, Egress when there are egress rules
        None => (true, non_empty(spec.get("egress"))),
    };
    let side = |cx: &mut Ctx, key: &str, peers_key: &str| -> Side {
        let mut rules = Vec::new();
        for (i, r) in seq(spec.get(key)).iter().enumerate() {
            let peer_nodes = seq(r.get(peers_key));
            let peers = if peer_nodes.is_empty() {
                vec![Peer::All]
            } else {
                peer_nodes.iter().map(|p| np_peer(cx, o, p, ns)).collect()
            };
            let mut ports = Vec::new();
            for p in seq(r.get("ports")) {
                ports.push(np_port(cx, o, p));
            }
            rules.push(Rule {
                label: format!("{key}[{i}]"),
                action: Action::Allow,
                peers,
                ports,
                location: cx.loc(o, r),
            });
        }
        Side {
            isolates: true,
            rules,
        }
    };
    let ingress = ing.then(|| side(cx, "ingress", "from"));
    let egress = eg.then(|| side(cx, "egress", "to"));
    Policy {
        kind: o.kind().to_string(),
        name: format!("{ns_name}/{}", o.name()),
        tier: Tier::NetworkPolicy,
        priority: 0,
        subject: Subject {
            ns: NsSel::Same(ns),
            pods,
        },
        ingress,
        egress,
        location: cx.loc(o, &o.root),
    }
}

fn np_peer(cx: &mut Ctx, o: &Object, p: &Node, own_ns: usize) -> Peer {
    if let Some(b) = p.get("ipBlock") {
        return ip_block(cx, o, b);
    }
    let pod_sel = p.get("podSelector");
    let ns_sel = p.get("namespaceSelector");
    match (pod_sel, ns_sel) {
        (None, None) => {
            cx.warn(
                o,
                p,
                "a peer without podSelector, namespaceSelector or ipBlock matches nothing".into(),
            );
            Peer::Nothing
        }
        (pods, None) => Peer::Pods {
            ns: NsSel::Same(own_ns),
            pods: selector(cx, o, pods, false),
        },
        (pods, Some(n)) => Peer::Pods {
            ns: NsSel::Match(selector(cx, o, Some(n), false)),
            pods: selector(cx, o, pods, false),
        },
    }
}

fn np_port(cx: &mut Ctx, o: &Object, p: &Node) -> PortMatch {
    let protocol = match p.get("protocol").and_then(Node::as_str) {
        None => Protocol::Tcp,
        Some(s) => match Protocol::parse(s) {
            Some(pr) => pr,
            None => {
                cx.warn(
                    o,
                    p,
                    format!("unknown protocol {s:?}: the port matches nothing"),
                );
                return PortMatch::Range {
                    protocol: None,
                    start: 1,
                    end: 0,
                };
            }
        },
    };
    match p.get("port").and_then(port_number) {
        None => PortMatch::Range {
            protocol: Some(protocol),
            start: 1,
            end: 65535,
        },
        Some(PortVal::Num(0)) => {
            cx.warn(o, p, "port 0 is out of range: it matches nothing".into());
            PortMatch::Range {
                protocol: None,
                start: 1,
                end: 0,
            }
        }
        Some(PortVal::Num(start)) => {
            let end = match p.get("endPort").and_then(Node::as_i64) {
                Some(e) if e >= start as i64 && e <= 65535 => e as u16,
                Some(e) => {
                    cx.warn(o, p, format!("endPort {e} is below port {start} or out of range: the API server rejects it; only port {start} is counted"));
                    start
                }
                None => start,
            };
            PortMatch::Range {
                protocol: Some(protocol),
                start,
                end,
            }
        }
        Some(PortVal::Name(name)) => PortMatch::Named {
            protocol: Some(protocol),
            name,
        },
        Some(PortVal::Bad(why)) => {
            cx.warn(o, p, format!("{why}: the port matches nothing"));
            PortMatch::Range {
                protocol: None,
                start: 1,
                end: 0,
            }
        }
    }
}

/// AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
/// (`tier: Admin | Baseline`).
fn cluster_policy(cx: &mut Ctx, o: &Object, tier: Option<Tier>) -> Option<Policy> {
    let spec = o.spec();
    let tier = match tier {
        Some(t) => t,
        None => match spec.str_at("tier") {
            Some("Admin") => Tier::Admin,
            Some("Baseline") => Tier::Baseline,
            other => {
                cx.warn(o, spec, format!("ClusterNetworkPolicy tier {other:?} is not Admin or Baseline: the policy is skipped"));
                return None;
            }
        },
    };
    let priority = spec.i64_at("priority").unwrap_or(0);
    let subject = match spec.get("subject") {
        Some(s) if s.get("namespaces").is_some() => Subject {
            ns: NsSel::Match(selector(cx, o, s.get("namespaces"), false)),
            pods: Sel::everything(),
        },
        Some(s) if s.get("pods").is_some() => {
            let p = s.get("pods").unwrap_or(Node::null());
            Subject {
                ns: NsSel::Match(selector(cx, o, p.get("namespaceSelector"), false)),
                pods: selector(cx, o, p.get("podSelector"), false),
            }
        }
        _ => {
            cx.warn(
                o,
                spec,
                "subject selects neither namespaces nor pods: the policy applies to nothing".into(),
            );
            Subject {
                ns: NsSel::Match(nothing()),
                pods: nothing(),
            }
        }
    };
    let side = |cx: &mut Ctx, key: &str, peers_key: &str| -> Option<Side> {
        let rules_nodes = seq(spec.get(key));
        if rules_nodes.is_empty() {
            return None;
        }
        let mut rules = Vec::new();
        for (i, r) in rules_nodes.iter().enumerate() {
            let mut action = match r.str_at("action") {
                Some("Allow" | "Accept") => Action::Allow,
                Some("Deny") => Action::Deny,
                Some("Pass") => Action::Pass,
                other => {
                    cx.warn(
                        o,
                        r,
                        format!("unknown action {other:?}: the rule is skipped"),
                    );
                    continue;
                }
            };
            // fail closed: an unreadable peer matches nothing in an allowing rule, everything
            // in a denying or passing one
            let unknown = if action == Action::Allow {
                Peer::Nothing
            } else {
                Peer::All
            };
            let mut peers = Vec::new();
            let mut fail_closed = false;
            for p in seq(r.get(peers_key)) {
                if let Some(n) = p.get("namespaces") {
                    peers.push(Peer::Pods {
                        ns: NsSel::Match(selector(cx, o, Some(n), false)),
                        pods: Sel::everything(),
                    });
                } else if let Some(pp) = p.get("pods") {
                    peers.push(Peer::Pods {
                        ns: NsSel::Match(selector(cx, o, pp.get("namespaceSelector"), false)),
                        pods: selector(cx, o, pp.get("podSelector"), false),
                    });
                } else if let Some(nets) = p.get("networks") {
                    for n in seq(Some(nets)) {
                        match cidr(cx, o, n) {
                            Some(net) => peers.push(Peer::Cidr {
                                net,
                                except: vec![],
                            }),
                            None => {
                                peers.push(unknown.clone());
                                fail_closed = true;
                            }
                        }
                    }
                } else if p.get("nodes").is_some() || p.get("domainNames").is_some() {
                    // node addresses and domain names are not in the model
                    peers.push(Peer::Nothing);
                } else {
                    cx.warn(o, p, "unknown peer: treated as failing closed".into());
                    peers.push(unknown.clone());
                    fail_closed = true;
                }
            }
            // the API: a Deny or Pass rule with a peer it cannot read is a Deny-all rule
            if fail_closed && action == Action::Pass {
                action = Action::Deny;
            }
            let mut ports = Vec::new();
            // v1alpha1: ports [{portNumber}|{portRange}|{namedPort}]
            for p in seq(r.get("ports")) {
                if let Some(n) = p.get("portNumber") {
                    let proto = n
                        .str_at("protocol")
                        .map(Protocol::parse)
                        .unwrap_or(Some(Protocol::Tcp));
                    match (proto, n.i64_at("port").and_then(|x| u16::try_from(x).ok())) {
                        (Some(pr), Some(port)) => ports.push(PortMatch::Range {
                            protocol: Some(pr),
                            start: port,
                            end: port,
                        }),
                        _ => cx.warn(o, n, "portNumber needs a protocol and a port".into()),
                    }
                } else if let Some(n) = p.get("portRange") {
                    let proto = n
                        .str_at("protocol")
                        .map(Protocol::parse)
                        .unwrap_or(Some(Protocol::Tcp));
                    let s = n.i64_at("start").and_then(|x| u16::try_from(x).ok());
                    let e = n.i64_at("end").and_then(|x| u16::try_from(x).ok());
                    match (proto, s, e) {
                        (Some(pr), Some(start), Some(end)) => ports.push(PortMatch::Range {
                            protocol: Some(pr),
                            start,
                            end,
                        }),
                        _ => cx.warn(o, n, "portRange needs a protocol, start and end".into()),
                    }
                } else if let Some(n) = p.str_at("namedPort") {
                    ports.push(PortMatch::Named {
                        protocol: None,
                        name: n.to_string(),
                    });
                }
            }
            // v1beta1 / v1alpha2: protocols [{tcp|udp|sctp: {destinationPort}}|{destinationNamedPort}]
            for p in seq(r.get("protocols")) {
                if let Some(n) = p.str_at("destinationNamedPort") {
                    ports.push(PortMatch::Named {
                        protocol: None,
                        name: n.to_string(),
                    });
                    continue;
                }
                for (key, pr) in [
                    ("tcp", Protocol::Tcp),
                    ("udp", Protocol::Udp),
                    ("sctp", Protocol::Sctp),
                ] {
                    let Some(t) = p.get(key) else { continue };
                    let dp = t.get("destinationPort");
                    let (start, end) = match dp {
                        None => (1, 65535),
                        Some(d) => {
                            if let Some(n) = d.i64_at("number").and_then(|x| u16::try_from(x).ok())
                            {
                                (n, n)
                            } else if let Some(rg) = d.get("range") {
                                let s = rg.i64_at("start").and_then(|x| u16::try_from(x).ok());
                                let e = rg.i64_at("end").and_then(|x| u16::try_from(x).ok());
                                match (s, e) {
                                    (Some(s), Some(e)) => (s, e),
                                    _ => {
                                        cx.warn(o, rg, "range needs start and end".into());
                                        (1, 0)
                                    }
                                }
                            } else {
                                cx.warn(o, d, "destinationPort needs number or range".into());
                                (1, 0)
                            }
                        }
                    };
                    ports.push(PortMatch::Range {
                        protocol: Some(pr),
                        start,
                        end,
                    });
                }
            }
            let name = r
                .str_at("name")
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            rules.push(Rule {
                label: format!("{key}[{i}]{name}"),
                action,
                peers,
                ports,
                location: cx.loc(o, r),
            });
        }
        Some(Side {
            isolates: false,
            rules,
        })
    };
    let ingress = side(cx, "ingress", "from");
    let egress = side(cx, "egress", "to");
    Some(Policy {
        kind: o.kind().to_string(),
        name: o.name().to_string(),
        tier,
        priority,
        subject,
        ingress,
        egress,
        location: cx.loc(o, &o.root),
    })
}

/// CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy: `spec` and each of `specs`, L3/L4
/// (L7 rules only restrict further inside an allowed port: the port counts as allowed).
fn cilium_policies(cx: &mut Ctx, o: &Object) -> Vec<Policy> {
    let clusterwide = o.kind() == "CiliumClusterwideNetworkPolicy";
    let ns_name = if clusterwide {
        None
    } else {
        Some(o.namespace().unwrap_or("default"))
    };
    let ns = ns_name.map(|n| cx.namespace(n));
    let mut specs: Vec<(String, &Node)> = Vec::new();
    if let Some(s) = o.root.get("spec") {
        specs.push((String::new(), s));
    }
    for (i, s) in seq(o.root.get("specs")).iter().enumerate() {
        specs.push((format!(" specs[{i}]"), s));
    }
    let base = match ns_name {
        Some(n) => format!("{n}/{}", o.name()),
        None => o.name().to_string(),
    };
    let mut out = Vec::new();
    for (suffix, spec) in specs {
        let Some(es) = spec.get("endpointSelector") else {
            // nodeSelector: host policies, not about pods
            continue;
        };
        let pods = selector(cx, o, Some(es), true);
        let subject = Subject {
            ns: match ns {
                Some(n) => NsSel::Same(n),
                None => NsSel::Match(Sel::everything()),
            },
            pods,
        };
        let default_deny = spec.get("enableDefaultDeny");
        let side = |cx: &mut Ctx, dir: &str, from: &str| -> Option<Side> {
            let allow_key = dir.to_string();
            let deny_key = format!("{dir}Deny");
            if !non_empty(spec.get(&allow_key)) && !non_empty(spec.get(&deny_key)) {
                return None;
            }
            let mut rules = Vec::new();
            for (key, action) in [(&allow_key, Action::Allow), (&deny_key, Action::Deny)] {
                for (i, r) in seq(spec.get(key)).iter().enumerate() {
                    let mut peers = Vec::new();
                    let mut l3 = false;
                    for s in seq(r.get(&format!("{from}Endpoints"))) {
                        l3 = true;
                        let sel = selector(cx, o, Some(s), true);
                        let ns_sel = match ns {
                            Some(n) if !sel.names_namespace() => NsSel::Same(n),
                            _ => NsSel::Match(Sel::everything()),
                        };
                        peers.push(Peer::Pods {
                            ns: ns_sel,
                            pods: sel,
                        });
                    }
                    for c in seq(r.get(&format!("{from}CIDR"))) {
                        l3 = true;
                        if let Some(net) = cidr(cx, o, c) {
                            peers.push(Peer::Cidr {
                                net,
                                except: vec![],
                            });
                        }
                    }
                    for c in seq(r.get(&format!("{from}CIDRSet"))) {
                        l3 = true;
                        if c.get("cidr").is_some() {
                            peers.push(ip_block(cx, o, c));
                        } else {
                            // cidrGroupRef and selectors name objects kubeward does not read
                            peers.push(Peer::Nothing);
                        }
                    }
                    for e in seq(r.get(&format!("{from}Entities"))) {
                        l3 = true;
                        peers.push(match e.as_str().unwrap_or("") {
                            "all" => Peer::All,
                            "world" | "world-ipv4" | "world-ipv6" => Peer::World,
                            "cluster" => Peer::Pods {
                                ns: NsSel::Match(Sel::everything()),
                                pods: Sel::everything(),
                            },
                            _ => Peer::Nothing, // host, remote-node, kube-apiserver, health...
                        });
                    }
                    for k in ["Requires", "FQDNs", "Services", "Groups", "Nodes"] {
                        if r.get(&format!("{from}{k}")).is_some() {
                            l3 = true;
                            peers.push(Peer::Nothing);
                        }
                    }
                    let mut ports = Vec::new();
                    let to_ports = seq(r.get("toPorts"));
                    for tp in to_ports {
                        for p in seq(tp.get("ports")) {
                            let protocol = match p.str_at("protocol") {
                                None | Some("ANY" | "any") => None,
                                Some(s) => match Protocol::parse(s) {
                                    Some(pr) => Some(pr),
                                    None => {
                                        // ICMP and others: no TCP/UDP/SCTP port matches
                                        ports.push(PortMatch::Range {
                                            protocol: None,
                                            start: 1,
                                            end: 0,
                                        });
                                        continue;
                                    }
                                },
                            };
                            match p.get("port").and_then(port_number) {
                                None | Some(PortVal::Num(0)) => ports.push(PortMatch::Range {
                                    protocol,
                                    start: 1,
                                    end: 65535,
                                }),
                                Some(PortVal::Num(start)) => {
                                    let end = p
                                        .i64_at("endPort")
                                        .and_then(|e| u16::try_from(e).ok())
                                        .filter(|&e| e >= start)
                                        .unwrap_or(start);
                                    ports.push(PortMatch::Range {
                                        protocol,
                                        start,
                                        end,
                                    })
                                }
                                Some(PortVal::Name(name)) => {
                                    ports.push(PortMatch::Named { protocol, name })
                                }
                                Some(PortVal::Bad(why)) => {
                                    cx.warn(o, p, format!("{why}: the port matches nothing"));
                                    ports.push(PortMatch::Range {
                                        protocol: None,
                                        start: 1,
                                        end: 0,
                                    })
                                }
                            }
                        }
                    }
                    if !l3 && !to_ports.is_empty() {
                        // an L4-only rule: every peer on those ports
                        peers.push(Peer::All);
                    }
                    if !to_ports.is_empty() && ports.is_empty() {
                        // toPorts without ports: every port
                    }
                    rules.push(Rule {
                        label: format!("{key}[{i}]{suffix}"),
                        action,
                        peers,
                        ports,
                        location: cx.loc(o, r),
                    });
                }
            }
            let isolates = default_deny.and_then(|d| d.bool_at(dir)).unwrap_or(true)
                && non_empty(spec.get(&allow_key)) | non_empty(spec.get(&deny_key));
            Some(Side { isolates, rules })
        };
        let ingress = side(cx, "ingress", "from");
        let egress = side(cx, "egress", "to");
        out.push(Policy {
            kind: o.kind().to_string(),
            name: format!("{base}{suffix}"),
            tier: Tier::NetworkPolicy,
            priority: 0,
            subject,
            ingress,
            egress,
            location: cx.loc(o, spec),
        });
    }
    out
}
