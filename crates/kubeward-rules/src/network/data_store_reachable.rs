use super::missing_network_policy::{data_store, data_store_port};
use super::util::{exposes_publicly, ingress_backends, service_selector, template_id, Namespaces};
use crate::declare_rule;
use crate::finding::{bounded_list, Finding, MAX_RELATED};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, PodTemplate};
use kubeward_netpol::{Endpoint, Network, Protocol, Reason};
use std::collections::{BTreeMap, HashMap, HashSet};

declare_rule! {
    /// ## What it does
    /// Reports a data store that policies isolate for ingress, but whose port the
    /// reachability engine (`kubeward-netpol`, the one behind `kubeward netpol matrix`) still
    /// finds open to
    ///
    /// 1. pods of every namespace of the input (when the input has pods in at least two
    ///    namespaces), or
    /// 2. an internet-exposed workload of another name: one selected by a `LoadBalancer`
    ///    Service reachable from any address, a `NodePort` Service, or a Service an Ingress
    ///    routes to.
    ///
    /// Data stores are recognised as `missing-network-policy` recognises them: the image
    /// name (`postgres`, `mysql`, `redis`, `mongo`, `elasticsearch`, `etcd`... exporters and
    /// operators excluded) or a well-known container port (PostgreSQL 5432, MySQL 3306,
    /// Redis 6379, MongoDB 27017, Elasticsearch 9200/9300, Cassandra 9042, Memcached 11211,
    /// etcd 2379). The port checked is the first declared container port that is a
    /// well-known data store port, else the first declared TCP port, else the store's
    /// well-known port. Every policy kind the engine reads counts: NetworkPolicy (exact
    /// semantics: peers, `namespaceSelector` AND `podSelector`, `ipBlock`, named ports,
    /// `endPort`), AdminNetworkPolicy / ClusterNetworkPolicy tiers and Cilium L3/L4.
    /// `hostNetwork` pods are left alone (no policy applies to them), and so are data stores
    /// that no policy isolates for ingress: every pod reaches those, and
    /// `missing-network-policy` reports them. This rule finds the stores whose policies do
    /// not protect them as intended (`namespaceSelector: {}`, a peer that admits the web
    /// tier that faces the internet, an allow-all rule in another policy).
    ///
    /// ## Why it matters
    /// A database open to every namespace is one compromised pod away from a data breach;
    /// open to an internet-facing workload, it is one remote-code-execution away. Data stores
    /// often trust the network (Redis and Memcached without authentication, etcd without
    /// client certificates), so reachability is access.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: redis, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: redis}}
    ///   ingress: [{from: [{namespaceSelector: {}}]}]   # every pod of every namespace
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: redis, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: redis}}
    ///   serviceName: redis
    ///   template:
    ///     metadata: {labels: {app: redis}}
    ///     spec:
    ///       containers: [{name: redis, image: "redis:7", ports: [{containerPort: 6379}]}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: tool, namespace: other}
    /// spec:
    ///   containers: [{name: tool, image: "busybox:1.36"}]
    /// ```
    ///
    /// ## Fix
    /// Select the data store with an ingress NetworkPolicy that admits only its clients on
    /// its port (`from:` their `podSelector`, in their namespace), and keep internet-facing
    /// workloads out of that list unless they are the store's real clients.
    /// `kubeward netpol can-reach FROM TO --port N/TCP` shows which rule decides.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening"
    /// - CIS Kubernetes Benchmark v1.10 5.3.2 "Ensure that all Namespaces have NetworkPolicies defined"
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services; T1530 Data from
    ///   Cloud Storage
    pub struct DataStoreReachable {
        name: "data-store-reachable",
        domain: Network,
        severity: Medium,
        summary: "Data store reachable from every namespace or from an internet-exposed workload",
    }
}

/// The well-known port of a data store kind found by image name.
fn default_port(store: &str) -> Option<u16> {
    Some(match store {
        "postgres" | "timescale" | "pgbouncer" | "cockroach" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" | "valkey" => 6379,
        "mongo" => 27017,
        "elasticsearch" | "opensearch" => 9200,
        "cassandra" | "scylla" => 9042,
        "memcached" => 11211,
        "etcd" => 2379,
        _ => return None,
    })
}

/// The data store a template runs and the port to check, if it is one.
fn store_and_port(t: &PodTemplate<'_>) -> Option<(&'static str, u16)> {
    let containers = t.containers();
    let ports: Vec<(u16, Protocol)> = containers
        .iter()
        .flat_map(|c| c.node.get("ports").map(|p| p.items()).unwrap_or(&[]).iter())
        .filter_map(|p| {
            let n = u16::try_from(p.i64_at("containerPort")?).ok()?;
            let proto = Protocol::parse(p.str_at("protocol").unwrap_or("TCP"))?;
            Some((n, proto))
        })
        .collect();
    let by_image = containers
        .iter()
        .find_map(|c| c.image().and_then(data_store));
    let well_known = ports
        .iter()
        .find(|(p, pr)| *pr == Protocol::Tcp && data_store_port(i64::from(*p)).is_some());
    match (by_image, well_known) {
        (_, Some(&(p, _))) => Some((by_image.or(data_store_port(i64::from(p)))?, p)),
        (Some(store), None) => {
            let p = ports
                .iter()
                .find(|(_, pr)| *pr == Protocol::Tcp)
                .map(|(p, _)| *p)
                .or_else(|| default_port(store))?;
            Some((store, p))
        }
        (None, None) => None,
    }
}

impl Rule for DataStoreReachable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // data stores first: no engine for inputs without any
        let mut ordinal: HashMap<u32, usize> = HashMap::new();
        let mut stores = Vec::new();
        for t in cx.index.pod_templates() {
            let i = ordinal.entry(t.object.id).or_insert(0);
            let nth = *i;
            *i += 1;
            if t.host_network() || t.spec.is_null() {
                continue;
            }
            if let Some((store, port)) = store_and_port(t) {
                stores.push((t, nth, store, port));
            }
        }
        if stores.is_empty() {
            return;
        }
        let net = Network::new(cx.snapshot);
        let mut pod_of: HashMap<(String, usize), usize> = HashMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, p) in net.pods().iter().enumerate() {
            let n = seen.entry(p.object.clone()).or_insert(0);
            pod_of.insert((p.object.clone(), *n), i);
            *n += 1;
        }
        let ns_of = |name: &str| name.split('/').next().unwrap_or("").to_string();
        // internet-exposed pod templates, with what exposes them
        let namespaces = Namespaces::new(cx.index);
        let mut exposed: HashMap<usize, String> = HashMap::new();
        let mut routed: HashSet<(Option<&str>, &str)> = HashSet::new();
        for ing in cx.index.of_kind("Ingress") {
            for b in ingress_backends(ing) {
                routed.insert((effective_namespace(ing), b));
            }
        }
        for svc in cx.index.of_kind("Service") {
            let ns = effective_namespace(svc);
            let how = if exposes_publicly(svc) {
                format!(
                    "Service {} ({})",
                    svc.name(),
                    super::util::service_type(svc)
                )
            } else if routed.contains(&(ns, svc.name())) {
                format!("Ingress to Service {}", svc.name())
            } else {
                continue;
            };
            let Some(sel) = service_selector(svc) else {
                continue;
            };
            for t in namespaces.selected(ns, &sel) {
                exposed.entry(template_id(t)).or_insert_with(|| how.clone());
            }
        }
        let mut exposed_pods: HashMap<usize, (String, &String)> = HashMap::new();
        let mut ordinal: HashMap<u32, usize> = HashMap::new();
        for t in cx.index.pod_templates() {
            let i = ordinal.entry(t.object.id).or_insert(0);
            let nth = *i;
            *i += 1;
            if let Some(how) = exposed.get(&template_id(t)) {
                if let Some(&p) = pod_of.get(&(t.object.oref.display(), nth)) {
                    exposed_pods.insert(p, (net.pods()[p].name.clone(), how));
                }
            }
        }
        // one representative pod per class, by namespace; the exposed pods' classes
        let mut reps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut seen_class: HashSet<usize> = HashSet::new();
        for (i, p) in net.pods().iter().enumerate() {
            if !p.host_network && seen_class.insert(net.class_of(i)) {
                reps.entry(ns_of(&p.name)).or_default().push(i);
            }
        }
        let mut exposed_reps: Vec<usize> = Vec::new();
        let mut seen_class: HashSet<usize> = HashSet::new();
        let mut exposed_list: Vec<usize> = exposed_pods.keys().copied().collect();
        exposed_list.sort_unstable();
        for &e in &exposed_list {
            if seen_class.insert(net.class_of(e)) {
                exposed_reps.push(e);
            }
        }
        let reaches = |from: usize, to: usize, port: u16| {
            net.can_reach(
                &Endpoint::Pod(from),
                &Endpoint::Pod(to),
                port,
                Protocol::Tcp,
            )
            .allowed
        };
        // pods of one class with the same port answer alike: (every namespace, exposed
        // classes that reach)
        let mut cache: HashMap<(usize, u16), (bool, Vec<usize>)> = HashMap::new();
        for (t, nth, store, port) in stores {
            let Some(&pod) = pod_of.get(&(t.object.oref.display(), nth)) else {
                continue;
            };
            let (every_ns, exposed_classes) =
                cache.entry((net.class_of(pod), port)).or_insert_with(|| {
                    // no policy isolates it for ingress: missing-network-policy's
                    let own = net.can_reach(
                        &Endpoint::Pod(pod),
                        &Endpoint::Pod(pod),
                        port,
                        Protocol::Tcp,
                    );
                    if own.ingress.reason == Reason::NotIsolated {
                        return (false, Vec::new());
                    }
                    let every = reps.len() >= 2
                        && reps
                            .values()
                            .all(|r| r.iter().any(|&from| reaches(from, pod, port)));
                    let exposed = exposed_reps
                        .iter()
                        .filter(|&&e| reaches(e, pod, port))
                        .map(|&e| net.class_of(e))
                        .take(MAX_RELATED)
                        .collect();
                    (every, exposed)
                });
            let mut reasons = Vec::new();
            if *every_ns {
                reasons.push(format!(
                    "pods of every namespace of the input ({})",
                    bounded_list(reps.keys())
                ));
            }
            let exposed_sources: Vec<String> = exposed_list
                .iter()
                .filter(|&&e| e != pod && exposed_classes.contains(&net.class_of(e)))
                .filter_map(|e| exposed_pods.get(e))
                .map(|(name, how)| format!("{name} (exposed by {how})"))
                .collect();
            if !exposed_sources.is_empty() {
                reasons.push(format!(
                    "internet-exposed workload(s) {}",
                    bounded_list(&exposed_sources)
                ));
            }
            if reasons.is_empty() {
                continue;
            }
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.meta_path.key("labels"),
                format!(
                    "{} {} runs data store {store}, and its port {port}/TCP is reachable from {}",
                    t.object.kind(),
                    t.object.name(),
                    reasons.join(" and from ")
                ),
                "Add an ingress NetworkPolicy selecting the data store that admits only its clients on its port.",
            ));
        }
    }
}
