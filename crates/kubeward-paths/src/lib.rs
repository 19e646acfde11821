//! kubeward-paths: the attack graph of a snapshot, its shortest paths and choke points.
//!
//! # The model
//! Vertices ([`Vertex`]) are what an intruder can stand on or take: the `internet`, the
//! `endpoint`s that expose something to it, `workload`s (a Pod or a controller's pod
//! template, `workload:<ns>/<Kind>/<name>`) and their `container`s
//! (`container:<ns>/<Kind>/<name>/<container>`), `serviceaccount`s, permission `grant`s
//! (`grant:<ns>/<right>`, `grant:<right>` when cluster-wide), `secret`s, the `node` and the
//! sink `cluster-admin`. Edges ([`Edge`]) are one attack step each, named with KubeHound's
//! attack id where the meaning is the same, with the evidence (file:line:col and field path
//! of every field used), a difficulty weight (lower is easier), a confidence and an ATT&CK
//! technique.
//!
//! The edges built today (see [`build`]):
//! - `EXPOSURE` internet → endpoint: a LoadBalancer or NodePort Service, a Service with
//!   `externalIPs`, an Ingress rule's backend Service, a container `hostPort`, a pod on the
//!   `hostNetwork`. A ClusterIP Service is not exposure.
//! - `SERVICE_ROUTE` endpoint → workload: the Service selects the pod template (for an
//!   Ingress, the backend Service does); host ports and host network route to their pod.
//! - `ENDPOINT_EXPLOIT` workload → container.
//! - `TOKEN_STEAL` container → serviceaccount when the token is automounted (the pod spec's
//!   `automountServiceAccountToken` wins over the ServiceAccount's).
//! - `PERMISSION_DISCOVER` serviceaccount → grant (or → cluster-admin when the effective
//!   rules allow `*` on `*` in `*` cluster-wide; not decided by role names), `ROLE_BIND` /
//!   `ROLE_ESCALATE` when the right is obtainable through `bind` / `escalate`, as the RBAC
//!   engine authorises them.
//! - from grants: `POD_CREATE` → node (a privileged pod; attribute: the namespace's Pod
//!   Security enforce level), `IDENTITY_ASSUME` → every service account of the namespace (a
//!   pod may run as any of them), `POD_EXEC` → every container of the namespace,
//!   `SECRET_READ` → the namespace's secrets, `TOKEN_REQUEST` → every service account of the
//!   namespace, `NODES_PROXY` → node.
//! - container → node escapes: `CE_PRIV_MOUNT` (privileged), `CE_NSENTER` (privileged and
//!   hostPID), `CE_MODULE_LOAD` (SYS_MODULE), `CE_SYS_PTRACE` (hostPID and SYS_PTRACE),
//!   `CE_SYS_ADMIN` (SYS_ADMIN), `EXPLOIT_HOST_WRITE` / `EXPLOIT_HOST_READ` (a sensitive
//!   hostPath, parents covering children), `CE_RUNTIME_SOCKET` (a container runtime socket,
//!   matched by the hostPath source, not the mount path).
//! - `TOKEN_STEAL` node → serviceaccount: root on a node reads every token mounted there.
//!   Nodes are not modelled one by one: one vertex `node:any` stands for "a node" and every
//!   pod template is assumed schedulable on it (DaemonSets surely are: high confidence,
//!   other workloads medium).
//!
//! # Not modelled yet
//! Users and groups as starting points, impersonation, CSR approval, webhooks, pod
//! patching, ephemeral containers, attach, PersistentVolume hostPaths, namespace relabelling,
//! network reachability between workloads (NetworkPolicy), node names and scheduling
//! constraints, control-plane credentials on nodes (`admin.conf`), legacy token Secrets,
//! the NamespaceAdmin sink, and `--assume` toggles: conditions are kept as attributes
//! ([`Edge::conditions`]) and edges are never dropped for them, except the token edge which
//! needs an automounted token.

mod build;
mod network;
mod paths;

pub use build::{build, build_with};
pub use paths::{choke_points, shortest_paths};

use serde::Serialize;

/// What a vertex is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VertexKind {
    Internet,
    Endpoint,
    Workload,
    Container,
    Volume,
    Serviceaccount,
    User,
    Group,
    Grant,
    Node,
    ClusterAdmin,
    NamespaceAdmin,
    Secret,
    Network,
}

impl VertexKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VertexKind::Internet => "internet",
            VertexKind::Endpoint => "endpoint",
            VertexKind::Workload => "workload",
            VertexKind::Container => "container",
            VertexKind::Volume => "volume",
            VertexKind::Serviceaccount => "serviceaccount",
            VertexKind::User => "user",
            VertexKind::Group => "group",
            VertexKind::Grant => "grant",
            VertexKind::Node => "node",
            VertexKind::ClusterAdmin => "cluster-admin",
            VertexKind::NamespaceAdmin => "namespace-admin",
            VertexKind::Secret => "secret",
            VertexKind::Network => "network",
        }
    }

    /// Whether paths end here by default (`--to` chooses others).
    pub fn is_sink(self) -> bool {
        self.is_breach()
    }

    /// Whether reaching this vertex is a breach of the cluster: root on a node, or
    /// cluster-admin (what makes `kubeward paths` exit 1).
    pub fn is_breach(self) -> bool {
        matches!(self, VertexKind::ClusterAdmin | VertexKind::Node)
    }
}

/// One vertex: `<kind>:<namespace>/<name>`, `<kind>:<name>` when cluster-scoped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Vertex {
    pub id: String,
    pub kind: VertexKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Vertex {
    pub fn new(kind: VertexKind, namespace: Option<&str>, name: &str) -> Vertex {
        let id = match (kind, namespace) {
            (VertexKind::Internet, _) => "internet".to_string(),
            (VertexKind::ClusterAdmin, _) => "cluster-admin".to_string(),
            (_, Some(ns)) => format!("{}:{ns}/{name}", kind.as_str()),
            (_, None) => format!("{}:{name}", kind.as_str()),
        };
        Vertex {
            id,
            kind,
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
        }
    }
}

/// One field an edge relies on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// `Deployment/shop/frontend`.
    pub object: String,
    /// `spec.template.spec.containers[0].securityContext.privileged`.
    pub path: String,
    /// The object's id in the snapshot (for findings placed at this field).
    #[serde(skip)]
    pub object_id: u32,
}

/// How sure an edge is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// One attack step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    /// KubeHound's attack id where the meaning is the same (`TOKEN_STEAL`), ours otherwise.
    pub attack: &'static str,
    pub from: String,
    pub to: String,
    /// The fields the step relies on; the first is the one to fix.
    pub evidence: Vec<Evidence>,
    /// Difficulty: lower is easier.
    pub weight: u32,
    pub confidence: Confidence,
    /// MITRE ATT&CK technique.
    pub technique: &'static str,
    /// What removes this step.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
    /// What the step depends on that the input may not tell (Pod Security enforcement...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

/// A shortest path from an entry point to a sink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    pub from: String,
    /// The endpoint through which it enters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    pub to: String,
    /// Indices into [`Graph::edges`], in order.
    pub edges: Vec<usize>,
    /// Sum of the edges' weights.
    pub weight: u32,
}

/// A fixable field whose fix cuts paths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChokePoint {
    pub fix: String,
    /// The object holding the field.
    pub object: String,
    /// Field path.
    pub path: String,
    pub file: String,
    pub line: u32,
    /// Shortest paths this fix cuts, once the choke points ranked before it are applied.
    pub paths_cut: usize,
    /// Shortest paths left (recomputed) once this fix and those before it are applied.
    pub paths_left: usize,
    /// The edges that the fix removes.
    pub edges: Vec<usize>,
}

/// The JSON contract: vertices and edges sorted by id, paths by (from, entry, to), choke
/// points by rank.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Graph {
    pub vertices: Vec<Vertex>,
    pub edges: Vec<Edge>,
    pub paths: Vec<Path>,
    pub choke_points: Vec<ChokePoint>,
}

impl Graph {
    pub fn vertex(&self, id: &str) -> Option<&Vertex> {
        self.vertices
            .binary_search_by(|v| v.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.vertices[i])
    }

    /// Computes the paths and the choke points of a built graph.
    pub fn analyse(self) -> Graph {
        self.analyse_query(&Query::default())
            .expect("the default query names no vertex")
    }

    /// Computes the paths of a query (`--from`, `--to`) and their choke points. An error
    /// says which name matched no vertex, or several.
    pub fn analyse_query(mut self, query: &Query) -> Result<Graph, String> {
        let ends = paths::Ends::resolve(&self, query)?;
        let (paths, choke_points) = paths::paths_and_choke_points(&self, &ends);
        self.paths = paths;
        self.choke_points = choke_points;
        Ok(self)
    }

    /// Keeps the paths `keep` accepts and recomputes the choke points over them (the
    /// pull-request mode keeps the paths the base lacked). The query must be the one the
    /// paths were computed with.
    pub fn only_paths(
        mut self,
        query: &Query,
        keep: &dyn Fn(&Path) -> bool,
    ) -> Result<Graph, String> {
        let ends = paths::Ends::resolve(&self, query)?;
        self.paths.retain(|p| keep(p));
        self.choke_points = paths::choke_points_of(&self, &ends, &self.paths, keep);
        Ok(self)
    }
}

impl Graph {
    /// Pull-request mode: only the paths whose (start, entry, sink) the `base` graph (the
    /// same query on the manifests before the change) lacks, with the choke points over them.
    pub fn opened_since(self, base: &Graph, query: &Query) -> Result<Graph, String> {
        let key = |p: &Path| (p.from.clone(), p.entry.clone(), p.to.clone());
        let before: std::collections::BTreeSet<_> = base.paths.iter().map(key).collect();
        self.only_paths(query, &|p| !before.contains(&key(p)))
    }
}

/// Conditions taken as given (`kubeward paths --assume`): edges that depend on them lose
/// their penalty, instead of being dropped or added silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assume {
    /// Pod Security `enforce` labels are not effective: a privileged pod can be created in
    /// every namespace.
    pub psa_bypassed: bool,
    /// Every service-account token is mounted (`automountServiceAccountToken: false` ignored).
    pub tokens_mounted: bool,
    /// seccomp and AppArmor profiles do not stop escapes (`RuntimeDefault` ignored).
    pub no_lsm: bool,
    /// Not an assumption but a model switch (`kubeward paths --network`): judge exposure and
    /// lateral movement with the NetworkPolicy engine (see the `network` module). Off by
    /// default: on large clusters it multiplies the paths and the time.
    pub network: bool,
}

/// What paths to compute: from the internet (or `from`, a vertex id or a unique suffix of
/// one) to the breach sinks (or `to`: `node`, `cluster-admin`, `namespace-admin`, `secret`,
/// or a vertex id or unique suffix).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub from: Option<String>,
    pub to: Option<String>,
    pub assume: Assume,
}

/// Builds the graph of a snapshot and computes its paths and choke points.
pub fn analyse(
    snapshot: &kubeward_model::Snapshot,
    index: &kubeward_model::Index<'_>,
    rbac: &kubeward_rbac::Engine,
) -> Graph {
    build(snapshot, index, rbac).analyse()
}

#[cfg(test)]
mod tests;
