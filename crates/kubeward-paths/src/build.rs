//! Building the graph: one pass per family of edges (see the crate documentation).

use crate::{Assume, Confidence, Edge, Evidence, Graph, Vertex, VertexKind};
use kubeward_model::{
    effective_namespace, Container, FieldPath, Index, Node, Object, PodTemplate, Selector, Snapshot,
};
use kubeward_rbac::{Capability, Engine, Grant, Request, RoleKey, Subject, Target};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Weight (difficulty) and ATT&CK technique of each attack.
fn attack_info(attack: &str) -> (u32, &'static str) {
    match attack {
        "EXPOSURE" => (1, "T1133"),
        "SERVICE_ROUTE" => (0, "T1133"),
        "ENDPOINT_EXPLOIT" => (3, "T1190"),
        "TOKEN_STEAL" => (1, "T1528"),
        "PERMISSION_DISCOVER" => (1, "T1613"),
        "ROLE_BIND" => (2, "T1098"),
        "ROLE_ESCALATE" => (2, "T1098"),
        "POD_CREATE" => (3, "T1610"),
        "IDENTITY_ASSUME" => (2, "T1078.004"),
        "POD_EXEC" => (1, "T1609"),
        "SECRET_READ" => (1, "T1552.007"),
        "TOKEN_REQUEST" => (1, "T1528"),
        "NODES_PROXY" => (2, "T1609"),
        "CE_NSENTER" => (1, "T1611"),
        "CE_PRIV_MOUNT" => (2, "T1611"),
        "CE_RUNTIME_SOCKET" => (1, "T1611"),
        "EXPLOIT_HOST_WRITE" => (2, "T1611"),
        "EXPLOIT_HOST_READ" => (5, "T1611"),
        "CE_MODULE_LOAD" => (3, "T1611"),
        "CE_SYS_PTRACE" => (3, "T1611"),
        "CE_SYS_ADMIN" => (4, "T1611"),
        "CE_DAC_READ_SEARCH" => (4, "T1611"),
        "CE_UMH_CORE_PATTERN" => (2, "T1611"),
        "CE_VAR_LOG_SYMLINK" => (3, "T1611"),
        "SHARE_PS_NAMESPACE" => (1, "T1055"),
        "POD_PATCH" => (2, "T1610"),
        "POD_ATTACH" => (1, "T1609"),
        "POD_EPHEMERAL" => (2, "T1609"),
        "IDENTITY_IMPERSONATE" => (1, "T1078"),
        "CSR_APPROVE" => (4, "T1649"),
        "WEBHOOK_CONTROL" => (5, "T1610"),
        "PV_HOSTPATH" => (4, "T1611"),
        "NS_RELABEL" => (3, "T1562.001"),
        "TOKEN_LIST" => (0, "T1528"),
        "NETWORK_REACH" => (1, "T1210"),
        _ => (5, ""),
    }
}

/// The one node vertex: every pod template is assumed schedulable on it.
pub(crate) const NODE: &str = "any";

pub(crate) struct Builder<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) assume: &'a Assume,
    pub(crate) vertices: BTreeMap<String, Vertex>,
    pub(crate) edges: Vec<Edge>,
}

impl<'a> Builder<'a> {
    pub(crate) fn vertex(&mut self, kind: VertexKind, ns: Option<&str>, name: &str) -> String {
        let v = Vertex::new(kind, ns, name);
        let id = v.id.clone();
        self.vertices.entry(id.clone()).or_insert(v);
        id
    }

    pub(crate) fn evidence(&self, obj: &Object, path: &FieldPath) -> Evidence {
        let (file, pos) = self.snapshot.location(obj, path);
        Evidence {
            file,
            line: pos.line,
            col: pos.col,
            object: obj.oref.display(),
            path: path.to_string(),
            object_id: obj.id,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn edge(
        &mut self,
        attack: &'static str,
        from: &str,
        to: &str,
        evidence: Vec<Evidence>,
        confidence: Confidence,
        fix: String,
        conditions: Vec<String>,
        extra_weight: u32,
    ) {
        let (weight, technique) = attack_info(attack);
        self.edges.push(Edge {
            attack,
            from: from.to_string(),
            to: to.to_string(),
            evidence,
            weight: weight + extra_weight,
            confidence,
            technique,
            fix,
            conditions,
        });
    }
}

fn ns_of(obj: &Object) -> &str {
    effective_namespace(obj).unwrap_or("default")
}

fn workload_id(b: &mut Builder<'_>, t: &PodTemplate<'_>) -> String {
    let o = t.object;
    b.vertex(
        VertexKind::Workload,
        Some(ns_of(o)),
        &format!("{}/{}", o.kind(), o.name()),
    )
}

fn container_id(b: &mut Builder<'_>, t: &PodTemplate<'_>, c: &Container<'_>) -> String {
    let o = t.object;
    b.vertex(
        VertexKind::Container,
        Some(ns_of(o)),
        &format!("{}/{}/{}", o.kind(), o.name(), c.name),
    )
}

/// Builds the attack graph (no paths yet: see [`Graph::analyse`]).
pub fn build(snapshot: &Snapshot, index: &Index<'_>, rbac: &Engine) -> Graph {
    build_with(snapshot, index, rbac, &Assume::default())
}

/// Builds the attack graph with conditions taken as given.
pub fn build_with(snapshot: &Snapshot, index: &Index<'_>, rbac: &Engine, assume: &Assume) -> Graph {
    let mut b = Builder {
        snapshot,
        assume,
        vertices: BTreeMap::new(),
        edges: Vec::new(),
    };
    let internet = b.vertex(VertexKind::Internet, None, "internet");
    exposure(&mut b, index, &internet);
    containers(&mut b, index);
    identities(&mut b, index, rbac);
    if assume.network {
        crate::network::reachability(&mut b, index);
    }
    let mut edges = b.edges;
    // deterministic order, one edge per (from, to, attack): the first built keeps its evidence
    edges.sort_by(|x, y| (&x.from, &x.to, x.attack).cmp(&(&y.from, &y.to, y.attack)));
    edges.dedup_by(|x, y| x.from == y.from && x.to == y.to && x.attack == y.attack);
    Graph {
        vertices: b.vertices.into_values().collect(),
        edges,
        paths: vec![],
        choke_points: vec![],
    }
}

/// Pod templates a Service selects (a Service without selector has manual endpoints: none).
fn selected<'s, 'i>(index: &'i Index<'s>, svc: &'s Object) -> Vec<&'i PodTemplate<'s>> {
    let Some(sel) = svc.spec().get("selector") else {
        return vec![];
    };
    let selector = Selector::from_map(sel);
    if selector.is_empty() {
        return vec![];
    }
    let ns = ns_of(svc);
    index
        .pod_templates_in(Some(ns))
        .filter(|t| selector.matches(|k| t.labels().find(|(key, _)| *key == k).map(|(_, v)| v)))
        .collect()
}

fn route(
    b: &mut Builder<'_>,
    index: &Index<'_>,
    endpoint: &str,
    svc: &Object,
    via: Option<Evidence>,
) {
    let sel = FieldPath::parse("spec.selector");
    for t in selected(index, svc) {
        let w = workload_id(b, t);
        let mut ev: Vec<Evidence> = via.iter().cloned().collect();
        ev.push(b.evidence(svc, &sel));
        b.edge(
            "SERVICE_ROUTE",
            endpoint,
            &w,
            ev,
            Confidence::High,
            String::new(),
            vec![],
            0,
        );
    }
}

/// internet → endpoint → workload.
fn exposure(b: &mut Builder<'_>, index: &Index<'_>, internet: &str) {
    for svc in index.of_kind("Service") {
        let ns = ns_of(svc);
        let spec = svc.spec();
        let ty = spec.str_at("type").unwrap_or("ClusterIP");
        let mut why = Vec::new();
        if matches!(ty, "LoadBalancer" | "NodePort") {
            why.push((
                FieldPath::parse("spec.type"),
                format!("make Service {} type ClusterIP (it is {ty})", svc.name()),
            ));
        }
        if spec
            .get("externalIPs")
            .is_some_and(|n| !n.items().is_empty())
        {
            why.push((
                FieldPath::parse("spec.externalIPs"),
                format!("remove the externalIPs of Service {}", svc.name()),
            ));
        }
        if why.is_empty() {
            continue;
        }
        let ep = b.vertex(
            VertexKind::Endpoint,
            Some(ns),
            &format!("Service/{}", svc.name()),
        );
        for (path, fix) in why {
            let ev = vec![b.evidence(svc, &path)];
            b.edge(
                "EXPOSURE",
                internet,
                &ep,
                ev,
                Confidence::High,
                fix,
                vec![],
                0,
            );
        }
        route(b, index, &ep, svc, None);
    }
    for ing in index.of_kind("Ingress") {
        let ns = ns_of(ing);
        let mut backends: Vec<(FieldPath, &str)> = Vec::new();
        let spec = ing.spec();
        fn backend_service(backend: &Node) -> Option<&str> {
            backend
                .at(&["service", "name"])
                .or_else(|| backend.get("serviceName"))
                .and_then(Node::as_str)
        }
        let mut push = |path: FieldPath, backend| {
            if let Some(n) = backend_service(backend) {
                backends.push((path, n));
            }
        };
        if let Some(d) = spec.get("defaultBackend").or_else(|| spec.get("backend")) {
            let key = if spec.get("defaultBackend").is_some() {
                "defaultBackend"
            } else {
                "backend"
            };
            push(FieldPath::root().key("spec").key(key), d);
        }
        for (i, rule) in spec
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let paths = rule.at(&["http", "paths"]).map(Node::items).unwrap_or(&[]);
            for (j, p) in paths.iter().enumerate() {
                if let Some(backend) = p.get("backend") {
                    let fp = FieldPath::parse("spec.rules")
                        .index(i)
                        .key("http")
                        .key("paths")
                        .index(j)
                        .key("backend");
                    push(fp, backend);
                }
            }
        }
        if backends.is_empty() {
            continue;
        }
        let ep = b.vertex(
            VertexKind::Endpoint,
            Some(ns),
            &format!("Ingress/{}", ing.name()),
        );
        let ev = vec![b.evidence(ing, &backends[0].0)];
        let fix = format!(
            "remove Ingress {} or put authentication in front of it",
            ing.name()
        );
        b.edge(
            "EXPOSURE",
            internet,
            &ep,
            ev,
            Confidence::High,
            fix,
            vec![],
            0,
        );
        for (path, name) in backends {
            if let Some(svc) = index.get("Service", Some(ns), name) {
                let via = b.evidence(ing, &path);
                route(b, index, &ep, svc, Some(via));
            }
        }
    }
    gateway_routes(b, index, internet);
    for t in index.pod_templates() {
        let o = t.object;
        let ns = ns_of(o);
        let base = format!("{}/{}", o.kind(), o.name());
        if t.host_network() {
            let ep = b.vertex(
                VertexKind::Endpoint,
                Some(ns),
                &format!("{base}/hostNetwork"),
            );
            let path = t.path(&FieldPath::root().key("hostNetwork"));
            let fix = format!("remove hostNetwork from {}", o.oref.display());
            host_exposure(b, internet, &ep, t, &path, fix);
            // with hostNetwork every port is on the node already
            continue;
        }
        for c in t.containers() {
            for (k, port) in c
                .node
                .get("ports")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                let Some(hp) = t.host_port(port) else {
                    continue;
                };
                let ep = b.vertex(
                    VertexKind::Endpoint,
                    Some(ns),
                    &format!("{base}/hostPort/{hp}"),
                );
                let path = t.path(&c.rel_path().key("ports").index(k).key("hostPort"));
                let fix = format!("remove hostPort {hp} from {}", o.oref.display());
                host_exposure(b, internet, &ep, t, &path, fix);
            }
        }
    }
}

/// Gateway API routes attached to a Gateway: internet → route → the workloads of its backend
/// Services. A route whose Gateway is in the input is high confidence (the Gateway's address
/// may still be internal: the condition says so), one whose Gateway is not, medium.
fn gateway_routes(b: &mut Builder<'_>, index: &Index<'_>, internet: &str) {
    for kind in ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"] {
        for route_obj in index.of_kind(kind) {
            let ns = ns_of(route_obj);
            let spec = route_obj.spec();
            let parents = spec.get("parentRefs").map(Node::items).unwrap_or(&[]);
            let Some((pi, gw)) = parents.iter().enumerate().find(|(_, p)| {
                p.str_at("kind").unwrap_or("Gateway") == "Gateway"
                    && p.str_at("group").unwrap_or("gateway.networking.k8s.io")
                        == "gateway.networking.k8s.io"
            }) else {
                continue;
            };
            let gw_ns = gw.str_at("namespace").unwrap_or(ns);
            let gw_name = gw.str_at("name").unwrap_or("");
            let known = index.get("Gateway", Some(gw_ns), gw_name).is_some();
            let ep = b.vertex(
                VertexKind::Endpoint,
                Some(ns),
                &format!("{kind}/{}", route_obj.name()),
            );
            let path = FieldPath::parse("spec.parentRefs").index(pi);
            let ev = vec![b.evidence(route_obj, &path)];
            let fix = format!(
                "detach {kind} {} from Gateway {gw_ns}/{gw_name} or put authentication in front of it",
                route_obj.name()
            );
            let conf = if known {
                Confidence::High
            } else {
                Confidence::Medium
            };
            b.edge(
                "EXPOSURE",
                internet,
                &ep,
                ev,
                conf,
                fix,
                vec![format!(
                    "Gateway {gw_ns}/{gw_name} has an address reachable from the internet"
                )],
                0,
            );
            let rules = spec.get("rules").map(Node::items).unwrap_or(&[]);
            for (i, rule) in rules.iter().enumerate() {
                let refs = rule.get("backendRefs").map(Node::items).unwrap_or(&[]);
                for (j, r) in refs.iter().enumerate() {
                    if r.str_at("kind").unwrap_or("Service") != "Service"
                        || !r.str_at("group").unwrap_or("").is_empty()
                    {
                        continue;
                    }
                    let Some(name) = r.str_at("name") else {
                        continue;
                    };
                    let svc_ns = r.str_at("namespace").unwrap_or(ns);
                    if let Some(svc) = index.get("Service", Some(svc_ns), name) {
                        let fp = FieldPath::parse("spec.rules")
                            .index(i)
                            .key("backendRefs")
                            .index(j);
                        let via = b.evidence(route_obj, &fp);
                        route(b, index, &ep, svc, Some(via));
                    }
                }
            }
        }
    }
}

/// A port on the node itself (hostNetwork, hostPort): internet → endpoint, when the node's
/// addresses are reachable, then endpoint → the workload, both resting on the field at `path`.
fn host_exposure(
    b: &mut Builder<'_>,
    internet: &str,
    ep: &str,
    t: &PodTemplate<'_>,
    path: &FieldPath,
    fix: String,
) {
    let ev = vec![b.evidence(t.object, path)];
    let cond = vec!["the node's addresses are reachable from the internet".to_string()];
    b.edge(
        "EXPOSURE",
        internet,
        ep,
        ev.clone(),
        Confidence::Medium,
        fix,
        cond,
        0,
    );
    let w = workload_id(b, t);
    b.edge(
        "SERVICE_ROUTE",
        ep,
        &w,
        ev,
        Confidence::High,
        String::new(),
        vec![],
        0,
    );
}

/// Whether the pods of a template get their service-account token, and the field deciding it.
fn automount<'s>(
    index: &Index<'s>,
    t: &PodTemplate<'s>,
) -> (bool, Option<(&'s Object, FieldPath)>) {
    let key = "automountServiceAccountToken";
    if let Some(v) = t.spec.bool_at(key) {
        return (v, Some((t.object, t.path(&FieldPath::root().key(key)))));
    }
    let ns = ns_of(t.object);
    if let Some(sa) = index.get("ServiceAccount", Some(ns), t.service_account()) {
        if let Some(v) = sa.root.bool_at(key) {
            return (v, Some((sa, FieldPath::root().key(key))));
        }
    }
    (true, None)
}

fn sa_field(t: &PodTemplate<'_>) -> FieldPath {
    if t.spec.get("serviceAccountName").is_some() {
        t.path(&FieldPath::root().key("serviceAccountName"))
    } else if t.spec.get("serviceAccount").is_some() {
        t.path(&FieldPath::root().key("serviceAccount"))
    } else {
        t.spec_path.clone()
    }
}

/// The evidence and fix of a token edge, `None` when the token is not mounted.
fn token_evidence(
    b: &Builder<'_>,
    index: &Index<'_>,
    t: &PodTemplate<'_>,
) -> Option<(Vec<Evidence>, String)> {
    let (mounted, field) = automount(index, t);
    if !mounted && !b.assume.tokens_mounted {
        return None;
    }
    let o = t.object;
    let mut ev = Vec::new();
    match field {
        Some((obj, path)) => ev.push(b.evidence(obj, &path)),
        None => ev.push(b.evidence(
            o,
            &t.path(&FieldPath::root().key("automountServiceAccountToken")),
        )),
    }
    ev.push(b.evidence(o, &sa_field(t)));
    let fix = format!(
        "set automountServiceAccountToken: false in {} (or mount a token only where the API is needed)",
        o.oref.display()
    );
    Some((ev, fix))
}

/// Whether seccomp stops a capability escape: extra weight, confidence, conditions.
fn lsm(t: &PodTemplate<'_>, c: &Container<'_>, assume: &Assume) -> (u32, Confidence, Vec<String>) {
    fn ty(n: &Node) -> Option<&str> {
        n.at(&["seccompProfile", "type"]).and_then(Node::as_str)
    }
    let pod = t.spec.get("securityContext");
    let profile = ty(c.security_context()).or_else(|| pod.and_then(ty));
    match profile {
        Some(p @ ("RuntimeDefault" | "Localhost")) if assume.no_lsm => (
            0,
            Confidence::Medium,
            vec![format!(
                "assumed (--assume no-lsm): the seccomp profile {p} does not stop the escape"
            )],
        ),
        Some(p @ ("RuntimeDefault" | "Localhost")) => (
            6,
            Confidence::Low,
            vec![format!(
                "seccomp profile {p}: the default profile blocks the mount and open_by_handle_at calls this escape needs"
            )],
        ),
        _ => (
            0,
            Confidence::Medium,
            vec!["no seccomp profile: Unconfined unless the kubelet defaults to RuntimeDefault".into()],
        ),
    }
}

fn cap_added(c: &Container<'_>, cap: &str) -> Option<usize> {
    c.security_context()
        .at(&["capabilities", "add"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .position(|n| {
            n.as_str().is_some_and(|s| {
                let s = s.to_ascii_uppercase();
                s == cap || s.strip_prefix("CAP_") == Some(cap) || s == "ALL"
            })
        })
}

/// Host directories whose write (or read) gives the node: kubelet and runtime state,
/// configuration, credentials, binaries, logs (CE_VAR_LOG_SYMLINK), kernel interfaces.
const SENSITIVE: &[&str] = &[
    "/etc",
    "/root",
    "/home",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/run",
    "/run",
    "/var/log",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/opt/cni",
];

/// Runtime sockets, by the host path they live at.
const SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
];

fn normalize(path: &str) -> String {
    let t = path.trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.into()
    }
}

/// `a` is `b` or one of its parents.
fn covers(a: &str, b: &str) -> bool {
    a == "/" || a == b || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
}

pub(crate) fn host_path_is_sensitive(path: &str) -> bool {
    let p = normalize(path);
    SENSITIVE.iter().any(|s| covers(&p, s) || covers(s, &p))
}

pub(crate) fn host_path_has_socket(path: &str) -> bool {
    let p = normalize(path);
    p.ends_with(".sock") && (p.contains("docker") || p.contains("containerd") || p.contains("crio"))
        || SOCKETS.iter().any(|s| covers(&p, s))
}

/// workload → container, container → serviceaccount, container → node, node → serviceaccount.
fn containers(b: &mut Builder<'_>, index: &Index<'_>) {
    let node = b.vertex(VertexKind::Node, None, NODE);
    for t in index.pod_templates() {
        let o = t.object;
        let ns = ns_of(o);
        let w = workload_id(b, t);
        let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), t.service_account());
        let token = token_evidence(b, index, t);
        if let Some((ev, fix)) = &token {
            let conf = if o.kind() == "DaemonSet" {
                Confidence::High
            } else {
                Confidence::Medium
            };
            b.edge(
                "TOKEN_STEAL",
                &node,
                &sa,
                ev.clone(),
                conf,
                fix.clone(),
                vec![],
                1,
            );
        }
        let host_pid = t.spec.bool_at("hostPID") == Some(true);
        let pid_path = t.path(&FieldPath::root().key("hostPID"));
        let volumes = t.volumes();
        if t.spec.bool_at("shareProcessNamespace") == Some(true) {
            let path = t.path(&FieldPath::root().key("shareProcessNamespace"));
            let ev = vec![b.evidence(o, &path)];
            let fix = format!("remove shareProcessNamespace from {}", o.oref.display());
            let ids: Vec<String> = t
                .containers()
                .iter()
                .map(|c| container_id(b, t, c))
                .collect();
            for x in &ids {
                for y in ids.iter().filter(|y| *y != x) {
                    b.edge(
                        "SHARE_PS_NAMESPACE",
                        x,
                        y,
                        ev.clone(),
                        Confidence::High,
                        fix.clone(),
                        vec![],
                        0,
                    );
                }
            }
        }
        for c in t.containers() {
            let cid = container_id(b, t, &c);
            let ev = vec![b.evidence(o, &t.path(&c.rel_path()))];
            b.edge(
                "ENDPOINT_EXPLOIT",
                &w,
                &cid,
                ev,
                Confidence::Medium,
                String::new(),
                vec![],
                0,
            );
            if let Some((ev, fix)) = &token {
                b.edge(
                    "TOKEN_STEAL",
                    &cid,
                    &sa,
                    ev.clone(),
                    Confidence::High,
                    fix.clone(),
                    vec![],
                    0,
                );
            }
            let sc = c.rel_path().key("securityContext");
            let disp = o.oref.display();
            if c.security_context().bool_at("privileged") == Some(true) {
                let p = t.path(&sc.key("privileged"));
                let fix = format!(
                    "remove privileged: true from container {} of {disp}",
                    c.name
                );
                let ev = vec![b.evidence(o, &p)];
                b.edge(
                    "CE_PRIV_MOUNT",
                    &cid,
                    &node,
                    ev.clone(),
                    Confidence::High,
                    fix.clone(),
                    vec![],
                    0,
                );
                if host_pid {
                    let mut ev = ev;
                    ev.push(b.evidence(o, &pid_path));
                    b.edge(
                        "CE_NSENTER",
                        &cid,
                        &node,
                        ev,
                        Confidence::High,
                        fix,
                        vec![],
                        0,
                    );
                }
            }
            let caps: [(&str, &'static str, bool); 4] = [
                ("SYS_MODULE", "CE_MODULE_LOAD", true),
                ("SYS_PTRACE", "CE_SYS_PTRACE", host_pid),
                ("SYS_ADMIN", "CE_SYS_ADMIN", true),
                ("DAC_READ_SEARCH", "CE_DAC_READ_SEARCH", true),
            ];
            for (cap, attack, applies) in caps {
                if !applies {
                    continue;
                }
                if let Some(i) = cap_added(&c, cap) {
                    let p = t.path(&sc.key("capabilities").key("add").index(i));
                    let mut ev = vec![b.evidence(o, &p)];
                    if attack == "CE_SYS_PTRACE" {
                        ev.push(b.evidence(o, &pid_path));
                    }
                    let fix = format!("drop capability {cap} from container {} of {disp}", c.name);
                    let (extra, conf, cond) = match attack {
                        // both escapes mount or open_by_handle_at: seccomp's default
                        // profile blocks them
                        "CE_SYS_ADMIN" | "CE_DAC_READ_SEARCH" => lsm(t, &c, b.assume),
                        _ => (0, Confidence::High, vec![]),
                    };
                    b.edge(attack, &cid, &node, ev, conf, fix, cond, extra);
                }
            }
            let mounts = c.node.get("volumeMounts").map(Node::items).unwrap_or(&[]);
            for (m, mount) in mounts.iter().enumerate() {
                let Some(v) = mount
                    .str_at("name")
                    .and_then(|n| volumes.iter().find(|v| v.name == n))
                else {
                    continue;
                };
                if v.source_type != "hostPath" {
                    continue;
                }
                let Some(host) = v.source.and_then(|s| s.str_at("path")) else {
                    continue;
                };
                let vpath = t.path(&v.rel_path().key("hostPath").key("path"));
                let mpath = t.path(&c.rel_path().key("volumeMounts").index(m));
                let ev = vec![b.evidence(o, &vpath), b.evidence(o, &mpath)];
                let fix = format!("remove hostPath volume {} ({host}) from {disp}", v.name);
                if host_path_has_socket(host) {
                    b.edge(
                        "CE_RUNTIME_SOCKET",
                        &cid,
                        &node,
                        ev.clone(),
                        Confidence::High,
                        fix.clone(),
                        vec![],
                        0,
                    );
                }
                let p = normalize(host);
                let writable = mount.bool_at("readOnly") != Some(true);
                if writable && covers(&p, "/proc/sys/kernel/core_pattern") {
                    b.edge(
                        "CE_UMH_CORE_PATTERN",
                        &cid,
                        &node,
                        ev.clone(),
                        Confidence::High,
                        fix.clone(),
                        vec![],
                        0,
                    );
                }
                if writable && (covers(&p, "/var/log") || covers("/var/log", &p)) {
                    b.edge(
                        "CE_VAR_LOG_SYMLINK",
                        &cid,
                        &node,
                        ev.clone(),
                        Confidence::Medium,
                        fix.clone(),
                        vec![
                            "the symlink is followed when someone reads the pod's logs through the kubelet (kubectl logs, nodes/log)".into(),
                        ],
                        0,
                    );
                }
                if host_path_is_sensitive(host) {
                    if mount.bool_at("readOnly") == Some(true) {
                        b.edge(
                            "EXPLOIT_HOST_READ",
                            &cid,
                            &node,
                            ev,
                            Confidence::Medium,
                            fix,
                            vec![],
                            0,
                        );
                    } else {
                        b.edge(
                            "EXPLOIT_HOST_WRITE",
                            &cid,
                            &node,
                            ev,
                            Confidence::High,
                            fix,
                            vec![],
                            0,
                        );
                    }
                }
            }
        }
    }
}

/// The rights the graph follows: name, requests (any one suffices), namespaced.
/// A right the graph follows: its name, the requests granting it (any one), namespaced.
type Right = (&'static str, &'static [(&'static str, &'static str)], bool);

const RIGHTS: &[Right] = &[
    (
        "create-pods",
        &[
            ("create", "pods"),
            ("create", "deployments"),
            ("create", "daemonsets"),
            ("create", "statefulsets"),
            ("create", "replicasets"),
            ("create", "jobs"),
            ("create", "cronjobs"),
        ],
        true,
    ),
    (
        "exec-pods",
        &[("create", "pods/exec"), ("get", "pods/exec")],
        true,
    ),
    (
        "read-secrets",
        &[("get", "secrets"), ("list", "secrets")],
        true,
    ),
    (
        "request-tokens",
        &[("create", "serviceaccounts/token")],
        true,
    ),
    (
        "nodes-proxy",
        &[("get", "nodes/proxy"), ("create", "nodes/proxy")],
        false,
    ),
    ("patch-pods", &[("patch", "pods"), ("update", "pods")], true),
    (
        "patch-controllers",
        &[
            ("patch", "deployments"),
            ("update", "deployments"),
            ("patch", "daemonsets"),
            ("update", "daemonsets"),
            ("patch", "statefulsets"),
            ("update", "statefulsets"),
            ("patch", "replicasets"),
            ("update", "replicasets"),
            ("patch", "cronjobs"),
            ("update", "cronjobs"),
        ],
        true,
    ),
    (
        "attach-pods",
        &[("create", "pods/attach"), ("get", "pods/attach")],
        true,
    ),
    (
        "ephemeral-containers",
        &[
            ("patch", "pods/ephemeralcontainers"),
            ("update", "pods/ephemeralcontainers"),
        ],
        true,
    ),
    (
        "impersonate",
        &[("impersonate", "users"), ("impersonate", "groups")],
        false,
    ),
    (
        "impersonate-serviceaccounts",
        &[("impersonate", "serviceaccounts")],
        true,
    ),
    (
        "approve-csr",
        &[("update", "certificatesigningrequests/approval")],
        false,
    ),
    (
        "control-webhooks",
        &[
            ("create", "mutatingwebhookconfigurations"),
            ("update", "mutatingwebhookconfigurations"),
            ("patch", "mutatingwebhookconfigurations"),
        ],
        false,
    ),
    (
        "create-persistentvolumes",
        &[("create", "persistentvolumes")],
        false,
    ),
    (
        "relabel-namespaces",
        &[("patch", "namespaces"), ("update", "namespaces")],
        false,
    ),
];

fn grant_evidence(b: &Builder<'_>, g: &Grant) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if let (Some(id), Some(i)) = (g.binding.object, g.subject_index) {
        let obj = b.snapshot.object(id);
        ev.push(b.evidence(obj, &FieldPath::root().key("subjects").index(i)));
    }
    if let Some(id) = g.rule_role.object {
        let obj = b.snapshot.object(id);
        ev.push(b.evidence(obj, &FieldPath::root().key("rules").index(g.rule_index)));
    }
    ev
}

fn grant_fix(who: &Subject, g: &Grant) -> String {
    if g.binding.object.is_none() && g.rule_role.object.is_none() {
        // a Kubernetes default: nothing in the input to fix
        return String::new();
    }
    format!(
        "remove {} from {} or the rule from {}",
        who.display(),
        g.binding.display(),
        g.rule_role.display()
    )
}

/// The grants of a request, in `who-can`'s order; who could obtain it through bind or
/// escalate is asked account by account (asking it of every subject per request is what
/// `who-can` does, and too slow here).
fn grants_of(rbac: &Engine, req: &Request) -> Vec<Grant> {
    let mut grants = rbac.direct_grants(req);
    grants.sort_by(|a, b| {
        (&a.subject, &a.namespace, a.binding.display()).cmp(&(
            &b.subject,
            &b.namespace,
            b.binding.display(),
        ))
    });
    grants
}

/// What decides whether binding a role gives a request (see [`Engine::capability_grants`]).
#[derive(Hash, PartialEq, Eq)]
struct BindKey {
    role: (String, Option<String>, String),
    cluster: bool,
    namespace: Option<String>,
    verb: String,
    target: String,
}

/// Every verb on every resource: cluster-admin (cluster-wide) or namespace-admin.
fn everything() -> Request {
    Request {
        verb: "*".into(),
        target: Target::Resource {
            group: "*".into(),
            resource: "*".into(),
            subresource: None,
            name: None,
        },
        namespace: None,
    }
}

/// serviceaccount → grant / cluster-admin, and the edges out of grants.
fn identities(b: &mut Builder<'_>, index: &Index<'_>, rbac: &Engine) {
    let snapshot = b.snapshot;
    let mut namespaces: BTreeSet<String> = BTreeSet::new();
    let mut accounts: BTreeSet<(String, String)> = BTreeSet::new();
    for o in &snapshot.objects {
        if o.kind() == "Namespace" {
            namespaces.insert(o.name().to_string());
        } else if let Some(ns) = effective_namespace(o) {
            namespaces.insert(ns.to_string());
        }
        if o.kind() == "ServiceAccount" {
            accounts.insert((ns_of(o).to_string(), o.name().to_string()));
        }
    }
    for t in index.pod_templates() {
        accounts.insert((ns_of(t.object).to_string(), t.service_account().to_string()));
    }
    // the accounts of Kubernetes' default bindings (controllers of the control plane) run no
    // pod of the input: they are left out unless the input names them
    for bd in rbac.bindings().iter().filter(|bd| !bd.is_default()) {
        for (_, s) in &bd.subjects {
            if let Subject::ServiceAccount { namespace, name } = s {
                accounts.insert((namespace.clone(), name.clone()));
            }
        }
    }
    for (ns, _) in &accounts {
        namespaces.insert(ns.clone());
    }
    let admin = b.vertex(VertexKind::ClusterAdmin, None, "cluster-admin");
    // grant vertex id → (right, namespace)
    let mut grants: BTreeMap<String, (&'static str, Option<String>)> = BTreeMap::new();
    // Direct rights: one who-can query per request (a scan of the bindings each), turned
    // around to the accounts its subjects cover. Kubernetes' default bindings give service
    // accounts nothing the graph follows through their groups (discovery, basic-user): a
    // default binding counts only when it names the account.
    let covered = |g: &Grant| -> Vec<&(String, String)> {
        match &g.subject {
            Subject::Group { .. } if g.binding.default => vec![],
            Subject::ServiceAccount { namespace, name } => accounts
                .get(&(namespace.clone(), name.clone()))
                .into_iter()
                .collect(),
            // the groups every service account is in (system:serviceaccounts[:<ns>],
            // system:authenticated), without building each account's group list
            Subject::Group { name } => match name.as_str() {
                "system:serviceaccounts" | "system:authenticated" => accounts.iter().collect(),
                n => match n.strip_prefix("system:serviceaccounts:") {
                    Some(ns) => accounts
                        .range((ns.to_string(), String::new())..)
                        .take_while(|(n, _)| n == ns)
                        .collect(),
                    None => vec![],
                },
            },
            s => accounts
                .iter()
                .filter(|(n, a)| s.covers(&Subject::service_account(n, a)))
                .collect(),
        }
    };
    let mut done: BTreeSet<(String, String)> = BTreeSet::new();
    let all = grants_of(rbac, &everything());
    // everything in one namespace: namespace-admin (a sink on request, `--to namespace-admin`)
    for g in all.iter().filter(|g| g.resource_names.is_empty()) {
        let Some(scope) = g.namespace.as_deref() else {
            continue;
        };
        for (ns, name) in covered(g) {
            let who = Subject::service_account(ns, name);
            let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
            let nsa = b.vertex(VertexKind::NamespaceAdmin, None, scope);
            let (ev, fix) = (grant_evidence(b, g), grant_fix(&who, g));
            b.edge(
                "PERMISSION_DISCOVER",
                &sa,
                &nsa,
                ev,
                Confidence::High,
                fix,
                vec![],
                0,
            );
        }
    }
    for g in all {
        if g.namespace.is_some() || !g.resource_names.is_empty() {
            continue;
        }
        for (ns, name) in covered(&g) {
            if done.insert((ns.clone(), name.clone())) {
                let who = Subject::service_account(ns, name);
                let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
                let (ev, fix) = (grant_evidence(b, &g), grant_fix(&who, &g));
                b.edge(
                    "PERMISSION_DISCOVER",
                    &sa,
                    &admin,
                    ev,
                    Confidence::High,
                    fix,
                    vec![],
                    0,
                );
            }
        }
    }
    // (account, right) → scopes held, with the first grant's evidence
    type Held = BTreeMap<Option<String>, (Vec<Evidence>, String)>;
    let mut direct: BTreeMap<(&(String, String), &'static str), Held> = BTreeMap::new();
    for (right, reqs, _) in RIGHTS {
        for (verb, res) in reqs.iter() {
            for g in grants_of(rbac, &Request::resource(verb, res, None)) {
                if !g.resource_names.is_empty() {
                    continue;
                }
                for acc in covered(&g) {
                    if done.contains(acc) {
                        continue;
                    }
                    let who = Subject::service_account(&acc.0, &acc.1);
                    direct
                        .entry((acc, right))
                        .or_default()
                        .entry(g.namespace.clone())
                        .or_insert_with(|| (grant_evidence(b, &g), grant_fix(&who, &g)));
                }
            }
        }
    }
    // relabelling namespaces lifts Pod Security: with create-pods where it is enforced, the
    // pod is privileged after all
    for ((acc, right), held) in &direct {
        if *right != "relabel-namespaces" {
            continue;
        }
        let Some((ev, fix)) = held.get(&None) else {
            continue;
        };
        let Some(create) = direct.get(&(*acc, "create-pods")) else {
            continue;
        };
        let enforced = |ns: &str| psa_blocks(index, Some(ns), &Assume::default()).0 > 0;
        let hit = create.iter().find_map(|(scope, (cev, _))| {
            let ns = match scope {
                Some(ns) => enforced(ns).then_some(ns.clone()),
                None => namespaces.iter().find(|n| enforced(n)).cloned(),
            }?;
            Some((ns, cev))
        });
        let Some((ns, cev)) = hit else { continue };
        let sa = b.vertex(VertexKind::Serviceaccount, Some(&acc.0), &acc.1);
        let node = b.vertex(VertexKind::Node, None, NODE);
        let mut ev = ev.clone();
        ev.extend(cev.iter().cloned());
        b.edge(
            "NS_RELABEL",
            &sa,
            &node,
            ev,
            Confidence::High,
            fix.clone(),
            vec![format!(
                "removes the pod-security.kubernetes.io/enforce label of namespace {ns}, then creates a privileged pod there"
            )],
            0,
        );
    }
    for ((acc, right), held) in direct {
        let sa = b.vertex(VertexKind::Serviceaccount, Some(&acc.0), &acc.1);
        for (scope, (ev, fix)) in held {
            let g = b.vertex(VertexKind::Grant, scope.as_deref(), right);
            grants.insert(g.clone(), (right, scope.clone()));
            b.edge(
                "PERMISSION_DISCOVER",
                &sa,
                &g,
                ev,
                Confidence::High,
                fix,
                vec![],
                0,
            );
            if scope.is_none() {
                // cluster-wide covers every namespace
                break;
            }
        }
    }
    // Rights obtainable through bind/escalate: asked account by account, only for the
    // accounts that hold a bind or escalate right somewhere.
    let mut capable: BTreeSet<&(String, String)> = BTreeSet::new();
    for (verb, res) in [
        ("bind", "clusterroles"),
        ("bind", "roles"),
        ("escalate", "clusterroles"),
        ("escalate", "roles"),
    ] {
        for g in grants_of(rbac, &Request::resource(verb, res, None)) {
            capable.extend(covered(&g).into_iter().filter(|a| !done.contains(*a)));
        }
    }
    // Binding cluster-admin (or writing any rule into ClusterRoles) is decided first, from
    // the account's own grants: an account that may bind every role would otherwise list a
    // capability per role of the cluster before the one that matters is found.
    let admin_role = RoleKey::cluster("cluster-admin");
    let admin_is_everything = rbac.effective_rules(&admin_role).iter().any(|r| {
        let p = r.rule;
        p.resource_names.is_empty()
            && p.verb_matches("*")
            && p.group_matches("*")
            && p.resource_matches("*", None)
            && p.verbs.iter().any(|v| v == "*")
            && p.api_groups.iter().any(|g| g == "*")
            && p.resources.iter().any(|r| r == "*")
    });
    let unnamed = |who: &Subject, req: Request| -> Option<Grant> {
        rbac.grants_for(who, &req)
            .0
            .into_iter()
            .find(|g| g.resource_names.is_empty())
    };
    let holds =
        |who: &Subject, verb: &str, res: &str| unnamed(who, Request::resource(verb, res, None));
    let to_admin = |who: &Subject| -> Option<(&'static str, Grant)> {
        if admin_is_everything && holds(who, "create", "clusterrolebindings").is_some() {
            let bind = rbac
                .grants_for(
                    who,
                    &Request::resource("bind", "clusterroles", None).named("cluster-admin"),
                )
                .0
                .into_iter()
                .next();
            if let Some(g) = bind {
                return Some(("ROLE_BIND", g));
            }
        }
        let esc = holds(who, "escalate", "clusterroles")?;
        ["create", "update", "patch"]
            .iter()
            .any(|v| holds(who, v, "clusterroles").is_some())
            .then_some(("ROLE_ESCALATE", esc))
    };
    let capabilities = rbac.capability_finder();
    let judged: std::cell::RefCell<HashMap<BindKey, bool>> = Default::default();
    for (ns, name) in capable {
        let who = Subject::service_account(ns, name);
        let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
        if let Some((attack, g)) = to_admin(&who) {
            let (ev, fix) = (grant_evidence(b, &g), grant_fix(&who, &g));
            b.edge(attack, &sa, &admin, ev, Confidence::High, fix, vec![], 0);
            continue;
        }
        let caps = capabilities(&who);
        let via = |req: &Request| -> Option<(&'static str, &Grant)> {
            caps.iter()
                .find(|c| {
                    // accounts that may bind any role share the (role, binding) pairs:
                    // each is judged once per request
                    let Capability::Bind {
                        role,
                        binding_kind,
                        namespace,
                        ..
                    } = c
                    else {
                        return rbac.capability_grants(c, req);
                    };
                    let key = BindKey {
                        role: (role.kind.clone(), role.namespace.clone(), role.name.clone()),
                        cluster: binding_kind == "ClusterRoleBinding",
                        namespace: namespace.clone().or_else(|| req.namespace.clone()),
                        verb: req.verb.clone(),
                        target: format!("{:?}", req.target),
                    };
                    *judged
                        .borrow_mut()
                        .entry(key)
                        .or_insert_with(|| rbac.capability_grants(c, req))
                })
                .map(|c| match c {
                    Capability::Bind { bind, .. } => ("ROLE_BIND", bind.as_ref()),
                    Capability::Escalate { escalate, .. } => ("ROLE_ESCALATE", escalate.as_ref()),
                })
        };
        if let Some((attack, g)) = via(&everything()) {
            let (ev, fix) = (grant_evidence(b, g), grant_fix(&who, g));
            b.edge(attack, &sa, &admin, ev, Confidence::High, fix, vec![], 0);
            continue;
        }
        // Where each capability can give anything: one namespace, or every namespace alike
        // (a RoleBinding to a ClusterRole anywhere, escalate on the Roles of every
        // namespace), asked once in a representative namespace instead of each.
        let mut only: BTreeSet<&str> = BTreeSet::new();
        let mut everywhere = false;
        for c in &caps {
            match c {
                Capability::Bind {
                    binding_kind,
                    namespace,
                    role,
                    ..
                } if binding_kind != "ClusterRoleBinding" => {
                    match (namespace.as_deref(), role.namespace.as_deref()) {
                        (Some(n), _) | (None, Some(n)) => {
                            only.insert(n);
                        }
                        (None, None) => everywhere = true,
                    }
                }
                Capability::Escalate {
                    cluster_roles: false,
                    namespace,
                    ..
                } => match namespace.as_deref() {
                    Some(n) => {
                        only.insert(n);
                    }
                    None => everywhere = true,
                },
                _ => {}
            }
        }
        let sample = namespaces.iter().next().map(String::as_str);
        for (right, reqs, namespaced) in RIGHTS {
            let ask = |scope: Option<&str>| {
                reqs.iter()
                    .find_map(|(verb, res)| via(&Request::resource(verb, res, scope)))
            };
            let mut held: Vec<(Option<&str>, (&'static str, &Grant))> = Vec::new();
            if let Some(found) = ask(None) {
                held.push((None, found));
            } else if *namespaced {
                let every = if everywhere {
                    sample.and_then(|n| ask(Some(n)))
                } else {
                    None
                };
                for n in namespaces.iter().map(String::as_str) {
                    let found = every.or_else(|| only.contains(n).then(|| ask(Some(n))).flatten());
                    if let Some(found) = found {
                        held.push((Some(n), found));
                    }
                }
            }
            for (scope, (attack, g)) in held {
                let (ev, fix) = (grant_evidence(b, g), grant_fix(&who, g));
                let gid = b.vertex(VertexKind::Grant, scope, right);
                grants.insert(gid.clone(), (right, scope.map(str::to_string)));
                b.edge(attack, &sa, &gid, ev, Confidence::High, fix, vec![], 0);
            }
        }
    }
    let node = b.vertex(VertexKind::Node, None, NODE);
    // container ids per namespace, built once for the exec/attach/patch/ephemeral edges
    let mut cids: HashMap<Option<String>, Rc<Vec<String>>> = HashMap::new();
    for (g, (right, scope)) in grants {
        let in_scope = |n: &str| scope.as_deref().is_none_or(|s| s == n);
        match right {
            "create-pods" | "patch-controllers" => {
                // a pod (or a controller's template, patched) that is privileged and runs
                // as any service account of the namespace
                let attack = if right == "create-pods" {
                    "POD_CREATE"
                } else {
                    "POD_PATCH"
                };
                let (extra, conf, cond) = psa_blocks(index, scope.as_deref(), b.assume);
                step(b, attack, &g, &node, conf, cond, extra);
                for (ns, name) in accounts.iter().filter(|(n, _)| in_scope(n)) {
                    let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
                    step(b, "IDENTITY_ASSUME", &g, &sa, Confidence::High, vec![], 0);
                }
            }
            "patch-pods" | "attach-pods" | "ephemeral-containers" => {
                // patch: a new image in a running pod; attach: its console; ephemeral: a
                // debug container beside it (and, privileged, on the node)
                let attack = match right {
                    "patch-pods" => "POD_PATCH",
                    "attach-pods" => "POD_ATTACH",
                    _ => "POD_EPHEMERAL",
                };
                if right == "ephemeral-containers" {
                    let (extra, conf, cond) = psa_blocks(index, scope.as_deref(), b.assume);
                    step(b, attack, &g, &node, conf, cond, extra);
                }
                for cid in containers_in(&mut cids, b, index, scope.as_deref()).iter() {
                    step(b, attack, &g, cid, Confidence::High, vec![], 0);
                }
            }
            "impersonate" => step(
                b,
                "IDENTITY_IMPERSONATE",
                &g,
                &admin,
                Confidence::High,
                vec!["impersonates a member of system:masters (or any user bound to cluster-admin)".into()],
                0,
            ),
            "impersonate-serviceaccounts" => {
                for (ns, name) in accounts.iter().filter(|(n, _)| in_scope(n)) {
                    let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
                    step(b, "IDENTITY_IMPERSONATE", &g, &sa, Confidence::High, vec![], 0);
                }
            }
            "approve-csr" => step(
                b,
                "CSR_APPROVE",
                &g,
                &admin,
                Confidence::Medium,
                vec!["also needs create on certificatesigningrequests and approve on the kubernetes.io/kube-apiserver-client signer: a client certificate for group system:masters".into()],
                0,
            ),
            "control-webhooks" => step(
                b,
                "WEBHOOK_CONTROL",
                &g,
                &node,
                Confidence::Medium,
                vec!["a mutating webhook served by the intruder rewrites every new pod (privileged, host mounts)".into()],
                0,
            ),
            "create-persistentvolumes" => step(
                b,
                "PV_HOSTPATH",
                &g,
                &node,
                Confidence::Medium,
                vec!["also needs to create a PersistentVolumeClaim and a pod that mounts it: a hostPath volume of the node's root".into()],
                0,
            ),
            "request-tokens" => {
                for (ns, name) in accounts.iter().filter(|(n, _)| in_scope(n)) {
                    let sa = b.vertex(VertexKind::Serviceaccount, Some(ns), name);
                    b.edge(
                        "TOKEN_REQUEST",
                        &g,
                        &sa,
                        vec![],
                        Confidence::High,
                        String::new(),
                        vec![],
                        0,
                    );
                }
            }
            "exec-pods" => {
                for cid in containers_in(&mut cids, b, index, scope.as_deref()).iter() {
                    {
                        b.edge(
                            "POD_EXEC",
                            &g,
                            cid,
                            vec![],
                            Confidence::High,
                            String::new(),
                            vec![],
                            0,
                        );
                    }
                }
            }
            "read-secrets" => {
                let mut any = BTreeSet::new();
                for s in index.of_kind("Secret").filter(|s| in_scope(ns_of(s))) {
                    let sid = b.vertex(VertexKind::Secret, Some(ns_of(s)), s.name());
                    any.insert(ns_of(s).to_string());
                    step(b, "SECRET_READ", &g, &sid, Confidence::High, vec![], 0);
                    // a legacy token Secret holds its account's long-lived token
                    let account = s
                        .annotation("kubernetes.io/service-account.name")
                        .map(str::to_string);
                    if s.root.str_at("type") == Some("kubernetes.io/service-account-token") {
                        if let Some(account) = account {
                            let sa = b.vertex(VertexKind::Serviceaccount, Some(ns_of(s)), &account);
                            let ev = vec![b.evidence(s, &FieldPath::parse("type"))];
                            let fix = format!(
                                "delete the legacy token Secret {} (use short-lived projected tokens)",
                                s.oref.display()
                            );
                            b.edge("TOKEN_LIST", &sid, &sa, ev, Confidence::High, fix, vec![], 0);
                        }
                    }
                }
                // the secrets the input does not hold: one vertex per namespace
                for ns in namespaces
                    .iter()
                    .filter(|n| in_scope(n) && !any.contains(*n))
                {
                    let sid = b.vertex(VertexKind::Secret, Some(ns), "*");
                    b.edge(
                        "SECRET_READ",
                        &g,
                        &sid,
                        vec![],
                        Confidence::Medium,
                        String::new(),
                        vec![],
                        0,
                    );
                }
            }
            "nodes-proxy" => {
                b.edge(
                    "NODES_PROXY",
                    &g,
                    &node,
                    vec![],
                    Confidence::High,
                    String::new(),
                    vec![],
                    0,
                );
            }
            _ => {}
        }
    }
}

/// The container vertex ids of a namespace (`None`: all), computed once per namespace.
fn containers_in(
    cache: &mut HashMap<Option<String>, Rc<Vec<String>>>,
    b: &mut Builder<'_>,
    index: &Index<'_>,
    scope: Option<&str>,
) -> Rc<Vec<String>> {
    if let Some(v) = cache.get(&scope.map(str::to_string)) {
        return v.clone();
    }
    let mut ids = Vec::new();
    for t in templates_in(index, scope) {
        for c in t.containers() {
            ids.push(container_id(b, t, &c));
        }
    }
    let v = Rc::new(ids);
    cache.insert(scope.map(str::to_string), v.clone());
    v
}

/// The pod templates of a namespace (`None`: all of them).
fn templates_in<'i, 's>(
    index: &'i Index<'s>,
    scope: Option<&'i str>,
) -> Box<dyn Iterator<Item = &'i PodTemplate<'s>> + 'i> {
    match scope {
        None => Box::new(index.pod_templates().iter()),
        // objects without a namespace are in `default`
        Some(ns) => Box::new(
            index.pod_templates_in(Some(ns)).chain(
                index
                    .pod_templates_in(None)
                    .filter(move |_| ns == "default"),
            ),
        ),
    }
}

/// An edge out of a grant: no evidence of its own (the grant's edge carries it), no fix.
fn step(
    b: &mut Builder<'_>,
    attack: &'static str,
    from: &str,
    to: &str,
    confidence: Confidence,
    conditions: Vec<String>,
    extra: u32,
) {
    b.edge(
        attack,
        from,
        to,
        vec![],
        confidence,
        String::new(),
        conditions,
        extra,
    );
}

/// Whether Pod Security admission stops a privileged pod in the namespace: extra weight,
/// confidence, conditions. Cluster-wide: every namespace, so not blocked.
fn psa_blocks(
    index: &Index<'_>,
    ns: Option<&str>,
    assume: &Assume,
) -> (u32, Confidence, Vec<String>) {
    let Some(ns) = ns else {
        return (0, Confidence::High, vec![]);
    };
    let level = index.namespace(ns).and_then(|n| {
        n.labels()
            .find(|(k, _)| *k == "pod-security.kubernetes.io/enforce")
            .map(|(_, v)| v.to_string())
    });
    match level.as_deref() {
        Some(l @ ("baseline" | "restricted")) if assume.psa_bypassed => (
            0,
            Confidence::Medium,
            vec![format!(
                "assumed (--assume psa-bypassed): Pod Security admission enforces {l} in namespace {ns} but is bypassed"
            )],
        ),
        Some(l @ ("baseline" | "restricted")) => (
            15,
            Confidence::Low,
            vec![format!(
                "Pod Security admission enforces {l} in namespace {ns}: a privileged pod is rejected unless admission is bypassed or the label changes"
            )],
        ),
        _ => (
            0,
            Confidence::High,
            vec![format!("no Pod Security enforcement known for namespace {ns}")],
        ),
    }
}
