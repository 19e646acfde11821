use super::util::{template_id, Namespaces};
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, Node, Object, Selector};
use std::collections::{HashMap, HashSet};

declare_rule! {
    /// ## What it does
    /// Reports a long-running workload (every pod template except Jobs, CronJobs and
    /// `hostNetwork` pods, which NetworkPolicies cannot isolate) that no NetworkPolicy
    /// isolates for ingress, in one of two situations:
    ///
    /// 1. its namespace has NetworkPolicies in the input, but none that applies to ingress
    ///    (`policyTypes` lists `Ingress`, or is absent) selects the pod template: the team
    ///    uses policies and this workload slipped through;
    /// 2. its namespace has no NetworkPolicy at all in the input and the workload is a data
    ///    store that listens (a container port is declared, or a Service selects it),
    ///    recognised by a container image whose name contains `postgres`, `mysql`,
    ///    `mariadb`, `mongo`, `redis`, `valkey`, `memcached`, `elasticsearch`, `opensearch`,
    ///    `cassandra`, `scylla`, `couchdb`, `couchbase`, `etcd`, `influxdb`, `clickhouse`,
    ///    `cockroach`, `neo4j`, `rabbitmq`, `kafka`, `zookeeper`, `minio`, `mssql`,
    ///    `timescale`, `vault` or `pgbouncer` (exporters and operators excluded), or by a
    ///    well-known port on a container or on a Service that selects it: PostgreSQL 5432,
    ///    MySQL 3306, Redis 6379, MongoDB 27017, Elasticsearch 9200/9300, Cassandra 9042,
    ///    Memcached 11211, etcd 2379.
    ///
    /// Other workloads in namespaces without any policy are not reported: the input often
    /// holds one application of a larger cluster, and reporting every pod of every upstream
    /// install would bury the findings that matter. Namespaces that hold Calico or Cilium
    /// policy objects are skipped, since those policies are not understood here. An
    /// allow-all rule (`ingress: [{}]`) in a selecting policy still counts as selecting; the
    /// reachability of each pod is the NetworkPolicy engine's job.
    ///
    /// ## Why it matters
    /// Without an ingress policy every pod in the cluster can connect to the workload. A
    /// single compromised pod (a vulnerable web front end, a malicious dependency) can then
    /// reach databases and internal APIs directly, which is how most lateral movement in
    /// Kubernetes happens.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: postgres, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: postgres}}
    ///   template:
    ///     metadata: {labels: {app: postgres}}
    ///     spec:
    ///       containers: [{name: db, image: "postgres:16", ports: [{containerPort: 5432}]}]
    /// ```
    ///
    /// ## Fix
    /// Add a default-deny ingress policy to the namespace (`podSelector: {}`,
    /// `policyTypes: [Ingress]`) and policies that allow each workload's legitimate clients,
    /// e.g. only the API pods on port 5432 for the database.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.3.2 "Ensure that all Namespaces have NetworkPolicies defined"
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies" (default deny)
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services; T1046 Network
    ///   Service Discovery
    /// - kube-linter `non-isolated-pod`
    pub struct MissingNetworkPolicy {
        name: "missing-network-policy",
        domain: Network,
        severity: Medium,
        summary: "Workload is not isolated by any ingress NetworkPolicy",
    }
}

const DATA_STORES: &[&str] = &[
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "valkey",
    "memcached",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "scylla",
    "couchdb",
    "couchbase",
    "etcd",
    "influxdb",
    "clickhouse",
    "cockroach",
    "neo4j",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "minio",
    "mssql",
    "timescale",
    "vault",
    "pgbouncer",
];

/// Words in an image name that mean the image is a companion of a data store, not one.
const NOT_DATA_STORES: &[&str] = &[
    "exporter",
    "operator",
    "dashboard",
    "client",
    "proxy-init",
    "ui",
];

/// Data stores by their well-known ports (an in-house image named `cache-store` serving 6379
/// is a Redis).
const DATA_STORE_PORTS: &[(i64, &str)] = &[
    (5432, "postgres"),
    (3306, "mysql"),
    (6379, "redis"),
    (27017, "mongo"),
    (9200, "elasticsearch"),
    (9300, "elasticsearch"),
    (9042, "cassandra"),
    (11211, "memcached"),
    (2379, "etcd"),
];

/// The data store a port number is the well-known port of.
pub(crate) fn data_store_port(port: i64) -> Option<&'static str> {
    DATA_STORE_PORTS
        .iter()
        .find(|(p, _)| *p == port)
        .map(|(_, d)| *d)
}

/// Kinds of third-party network policy engines whose rules we do not read.
const OTHER_POLICY_KINDS: &[&str] = &[
    "NetworkPolicy",
    "GlobalNetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
];

/// The data store an image runs, when its name (last path segment, no tag or digest) says so.
pub(crate) fn data_store(image: &str) -> Option<&'static str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    let name = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
    let words: Vec<&str> = name.split(['-', '_', '.']).collect();
    if NOT_DATA_STORES.iter().any(|w| words.contains(w)) {
        return None;
    }
    DATA_STORES.iter().copied().find(|d| name.contains(d))
}

/// Whether a NetworkPolicy restricts ingress.
fn applies_to_ingress(np: &Object) -> bool {
    match np.spec().get("policyTypes") {
        Some(types) if !types.items().is_empty() => {
            types.items().iter().any(|t| t.as_str() == Some("Ingress"))
        }
        _ => true,
    }
}

impl Rule for MissingNetworkPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let foreign_cluster_wide = cx.index.has_kind("GlobalNetworkPolicy")
            || cx.index.has_kind("CiliumClusterwideNetworkPolicy");
        // Namespaces with Calico or Cilium policies: not understood here, not judged.
        let foreign: HashSet<Option<&str>> = OTHER_POLICY_KINDS[1..]
            .iter()
            .flat_map(|k| cx.index.of_kind(k))
            .map(effective_namespace)
            .collect();
        // Which pod templates a Service or an ingress policy selects, found once through the
        // label index (not one match per template and policy: 4,000 of each in a namespace
        // were 16 million matches).
        let namespaces = Namespaces::new(cx.index);
        let mut served: HashSet<usize> = HashSet::new();
        // Service ports (port and numeric targetPort) in front of each template.
        let mut service_ports: HashMap<usize, Vec<i64>> = HashMap::new();
        for s in cx.index.of_kind("Service") {
            let Some(n) = s.spec().get("selector") else {
                continue;
            };
            let sel = Selector::from_map(n);
            if !sel.is_empty() {
                let ports: Vec<i64> = s
                    .spec()
                    .get("ports")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .flat_map(|p| [p.i64_at("port"), p.i64_at("targetPort")])
                    .flatten()
                    .collect();
                for id in namespaces
                    .selected(effective_namespace(s), &sel)
                    .map(template_id)
                {
                    served.insert(id);
                    if !ports.is_empty() {
                        service_ports.entry(id).or_default().extend(&ports);
                    }
                }
            }
        }
        let mut policies: HashMap<Option<&str>, Vec<&Object>> = HashMap::new();
        let mut isolated: HashSet<usize> = HashSet::new();
        let mut all_isolated: HashSet<Option<&str>> = HashSet::new();
        for p in cx.index.of_kind("NetworkPolicy") {
            if p.oref.group() != "networking.k8s.io" {
                continue;
            }
            let ns = effective_namespace(p);
            policies.entry(ns).or_default().push(p);
            if !applies_to_ingress(p) || all_isolated.contains(&ns) {
                continue;
            }
            let sel =
                Selector::from_label_selector(p.spec().get("podSelector").unwrap_or(Node::null()));
            if sel.is_empty() {
                all_isolated.insert(ns);
                continue;
            }
            isolated.extend(namespaces.selected(ns, &sel).map(template_id));
        }
        for t in cx.index.pod_templates() {
            if matches!(t.object.kind(), "Job" | "CronJob") || t.host_network() || t.spec.is_null()
            {
                continue;
            }
            let ns = effective_namespace(t.object);
            let in_ns: &[&Object] = policies.get(&ns).map_or(&[], Vec::as_slice);
            if all_isolated.contains(&ns) || isolated.contains(&template_id(t)) {
                continue;
            }
            let ns_name = ns.unwrap_or("default");
            let message = if in_ns.is_empty() {
                if foreign_cluster_wide || foreign.contains(&ns) {
                    continue;
                }
                let containers = t.containers();
                let by_image = containers.iter().find_map(|c| {
                    c.image()
                        .and_then(|i| data_store(i).map(|d| (d, i.to_string())))
                });
                let by_container_port = || {
                    containers.iter().find_map(|c| {
                        c.node
                            .get("ports")
                            .map(Node::items)
                            .unwrap_or(&[])
                            .iter()
                            .filter_map(|p| p.i64_at("containerPort"))
                            .find_map(|p| {
                                data_store_port(p).map(|d| (d, format!("container port {p}")))
                            })
                    })
                };
                let by_service_port = || {
                    service_ports.get(&template_id(t)).and_then(|ports| {
                        ports.iter().find_map(|&p| {
                            data_store_port(p).map(|d| (d, format!("Service port {p}")))
                        })
                    })
                };
                let Some((store, image)) =
                    by_image.or_else(by_container_port).or_else(by_service_port)
                else {
                    continue;
                };
                // Only data stores that listen: a declared port, or a Service in front.
                let ports = t
                    .containers()
                    .iter()
                    .any(|c| c.node.get("ports").is_some_and(|p| !p.items().is_empty()));
                if !ports && !served.contains(&template_id(t)) {
                    continue;
                }
                format!(
                    "{} {} runs data store {store} ({image}), which every pod in the cluster can connect to: namespace {ns_name} has no NetworkPolicy",
                    t.object.kind(),
                    t.object.name()
                )
            } else {
                format!(
                    "{} {} is not selected by any ingress NetworkPolicy of namespace {ns_name} (policies there: {}); every pod in the cluster can connect to it",
                    t.object.kind(),
                    t.object.name(),
                    bounded_list(in_ns.iter().map(|p| p.name()))
                )
            };
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.meta_path.key("labels"),
                message,
                "Add a default-deny ingress NetworkPolicy to the namespace and a policy allowing only this workload's clients.",
            );
            f.set_related(in_ns.iter().map(|p| &p.oref));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{data_store, data_store_port};

    #[test]
    fn data_store_ports() {
        assert_eq!(data_store_port(6379), Some("redis"));
        assert_eq!(data_store_port(5432), Some("postgres"));
        assert_eq!(data_store_port(9300), Some("elasticsearch"));
        assert_eq!(data_store_port(2379), Some("etcd"));
        assert_eq!(data_store_port(8080), None);
    }

    #[test]
    fn data_store_images() {
        assert_eq!(data_store("postgres:16"), Some("postgres"));
        assert_eq!(
            data_store("docker.io/bitnami/redis:7.2@sha256:abc"),
            Some("redis")
        );
        assert_eq!(
            data_store("quay.io/prometheuscommunity/postgres-exporter:v0.15"),
            None
        );
        assert_eq!(data_store("oliver006/redis_exporter"), None);
        assert_eq!(data_store("nginx:1.27"), None);
        assert_eq!(data_store("registry:5000/team/mysql"), Some("mysql"));
    }
}
