use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;
use kubeward_paths::{Graph, Path, VertexKind};
use std::collections::BTreeMap;

declare_rule! {
    /// ## What it does
    /// Builds the attack graph of the input (exposed endpoints, the workloads behind them,
    /// their containers and service-account tokens, the RBAC rights of those accounts,
    /// container escapes) and reports each way from the internet to root on a node or to
    /// cluster-admin. The finding sits on the field whose fix cuts the most of these paths
    /// (a `securityContext` line, a binding subject, a Service type), and its message tells
    /// the whole path: `internet → Service shop/frontend → … → node root (6 hops)`. Paths
    /// that share that field are reported once, with their count.
    ///
    /// `kubeward paths` shows every hop with its evidence, the conditions each hop depends
    /// on, and the ranked choke points; this rule puts the paths into the scan report (and
    /// at the top of its text form).
    ///
    /// ## Why it matters
    /// Intrusions are chains: an exposed workload is exploited, its token read, its rights
    /// used to create a privileged pod, the pod escapes to the node, the node's tokens give
    /// cluster-admin. Each link alone looks minor in a list of findings; together they are
    /// the breach. Cutting one link on every chain is the cheapest fix.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web, namespace: shop}
    /// spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers:
    ///       - name: app
    ///         image: web:1.0
    ///         securityContext: {privileged: true}   # internet → web → node root
    /// ```
    ///
    /// ## Fix
    /// Apply the fix the finding names (it cuts the most paths), then scan again: paths that
    /// went around it appear with their own fix. `kubeward paths` lists the smallest ranked
    /// set of fixes that cuts every path.
    ///
    /// ## References
    /// - MITRE ATT&CK for Containers: T1190 Exploit Public-Facing Application, T1528 Steal Application Access Token, T1611 Escape to Host
    /// - DataDog KubeHound attack catalogue (attack identifiers)
    /// - Kubernetes documentation: "RBAC Good Practices" (privilege escalation risks)
    pub struct AttackPath {
        name: "attack-path",
        domain: AttackPath,
        severity: Critical,
        summary: "A path leads from the internet to root on a node or to cluster-admin",
    }
}

/// How a vertex reads in a path line.
fn label(g: &Graph, id: &str) -> String {
    let Some(v) = g.vertex(id) else {
        return id.to_string();
    };
    let ns = v.namespace.as_deref().unwrap_or("");
    match v.kind {
        VertexKind::Internet => "internet".into(),
        VertexKind::Node => "node root".into(),
        VertexKind::ClusterAdmin => "cluster-admin".into(),
        VertexKind::NamespaceAdmin => format!("admin of namespace {}", v.name),
        VertexKind::Endpoint | VertexKind::Workload => match v.name.split_once('/') {
            Some((kind, rest)) => format!("{kind} {ns}/{rest}"),
            None => format!("{ns}/{}", v.name),
        },
        VertexKind::Container => {
            let name = v.name.rsplit('/').next().unwrap_or(&v.name);
            format!("container {name}")
        }
        VertexKind::Serviceaccount => format!("ServiceAccount {ns}/{}", v.name),
        VertexKind::Grant if ns.is_empty() => format!("{} (cluster-wide)", v.name),
        VertexKind::Grant => format!("{} in {ns}", v.name),
        VertexKind::Secret => format!("Secret {ns}/{}", v.name),
        VertexKind::Network => "the pod network".into(),
        _ => v.id.clone(),
    }
}

/// The path as one line: every vertex, then the hop count.
pub fn line(g: &Graph, p: &Path) -> String {
    let mut parts = vec![label(g, &p.from)];
    for &e in &p.edges {
        if let Some(edge) = g.edges.get(e) {
            parts.push(label(g, &edge.to));
        }
    }
    format!("{} ({} hops)", parts.join(" → "), p.edges.len())
}

impl Rule for AttackPath {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = kubeward_paths::build(cx.snapshot, cx.index, cx.rbac());
        let paths = kubeward_paths::shortest_paths(&graph);
        if paths.is_empty() {
            return;
        }
        // the fixable field of each edge, and how many paths each field lies on
        let field = |e: usize| -> Option<(u32, &str)> {
            let edge = &graph.edges[e];
            if edge.fix.is_empty() {
                return None;
            }
            edge.evidence
                .first()
                .map(|ev| (ev.object_id, ev.path.as_str()))
        };
        let mut count: BTreeMap<(u32, &str), usize> = BTreeMap::new();
        for p in &paths {
            let mut seen: Vec<(u32, &str)> = p.edges.iter().filter_map(|&e| field(e)).collect();
            seen.sort_unstable();
            seen.dedup();
            for f in seen {
                *count.entry(f).or_default() += 1;
            }
        }
        // each path at its most shared fixable field (the first one on the path among equals)
        let mut at: BTreeMap<(u32, &str), Vec<(&Path, usize)>> = BTreeMap::new();
        for p in &paths {
            let best = p
                .edges
                .iter()
                .filter_map(|&e| field(e).map(|f| (f, e)))
                .fold(None::<((u32, &str), usize)>, |best, (f, e)| match best {
                    Some((b, _)) if count[&b] >= count[&f] => best,
                    _ => Some((f, e)),
                });
            if let Some((f, e)) = best {
                at.entry(f).or_default().push((p, e));
            }
        }
        for ((object_id, path), ps) in at {
            let (p, e) = ps[0];
            let obj = cx.snapshot.object(object_id);
            let sink = match graph.vertex(&p.to).map(|v| v.kind) {
                Some(VertexKind::ClusterAdmin) => "cluster-admin",
                _ => "root on a node",
            };
            let more = match ps.len() {
                1 => String::new(),
                n => format!(" (and {} more paths through this field)", n - 1),
            };
            let mut f = Finding::new(
                Self::META.name,
                Severity::Critical,
                cx.snapshot,
                obj,
                &FieldPath::parse(path),
                format!("attack path to {sink}: {}{more}", line(&graph, p)),
                format!(
                    "{} (cuts this path; `kubeward paths` shows every hop with its evidence and the other fixes)",
                    graph.edges[e].fix
                ),
            );
            let mut related: Vec<u32> = Vec::new();
            for &(q, _) in &ps {
                for &h in &q.edges {
                    for ev in &graph.edges[h].evidence {
                        if ev.object_id != object_id && !related.contains(&ev.object_id) {
                            related.push(ev.object_id);
                        }
                    }
                }
            }
            f.set_related(related.iter().map(|&id| &cx.snapshot.object(id).oref));
            out.push(f);
        }
    }
}
