//! Network reachability in the graph, from the NetworkPolicy engine (`kubeward-netpol`):
//!
//! - **Exposure through isolation.** A LoadBalancer, NodePort, externalIPs or hostPort route
//!   into a workload that no address outside the cluster may reach (its NetworkPolicies admit
//!   none) keeps its edge, with a condition and a heavier weight: the policy is the reason the
//!   path is unlikely, and it is named.
//! - **Lateral movement** (`NETWORK_REACH`). From a foothold in one container, the workloads
//!   worth reaching (a container escape, or a token with rights) are reached over the pod
//!   network: container → `network:pods` (the pod network) → workload, when the policies let
//!   every pod reach it. The fix named is a NetworkPolicy that selects the target and admits
//!   only its clients. A target that admits only some sources gets no edge (an
//!   under-approximation: naming every allowed source one by one costs a quadratic number of
//!   edges on large clusters; the `netpol can-reach` query answers for one pair).
//!
//! Host-network pods are node traffic (no pod policy applies to them) and are left out.

use crate::build::Builder;
use crate::{Confidence, VertexKind};
use kubeward_model::{FieldPath, Index, PodTemplate};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A reach edge to add: from, to, the field to fix (object id, path), conditions.
type Reach = (String, String, Option<(u32, FieldPath)>, Vec<String>);

/// `workload:<ns>/<Kind>/<name>` of a netpol pod's object (`Kind/ns/name`).
fn workload_of(object: &str) -> Option<String> {
    let mut it = object.splitn(3, '/');
    let (kind, ns, name) = (it.next()?, it.next()?, it.next()?);
    Some(format!("workload:{ns}/{kind}/{name}"))
}

/// The workload of a container vertex id (`container:<ns>/<Kind>/<name>/<container>`).
fn workload_of_container(id: &str) -> Option<String> {
    let rest = id.strip_prefix("container:")?;
    let (w, _) = rest.rsplit_once('/')?;
    Some(format!("workload:{w}"))
}

pub(crate) fn reachability(b: &mut Builder<'_>, index: &Index<'_>) {
    let net = kubeward_netpol::Network::new(b.snapshot);
    let pods = net.pods();
    if pods.is_empty() {
        return;
    }
    let wid: Vec<Option<String>> = pods
        .iter()
        .map(|p| {
            if p.host_network {
                return None;
            }
            workload_of(&p.object).filter(|id| b.vertices.contains_key(id))
        })
        .collect();
    let mut pods_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in wid.iter().enumerate() {
        if let Some(w) = w {
            pods_of.entry(w.as_str()).or_default().push(i);
        }
    }
    // containers per workload
    let mut containers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in b.vertices.keys().filter(|k| k.starts_with("container:")) {
        if let Some(w) = workload_of_container(id) {
            containers.entry(w).or_default().push(id.clone());
        }
    }

    // exposure that the policies close: a condition and a weight, not a dropped edge
    for e in b.edges.iter_mut() {
        if e.attack != "SERVICE_ROUTE"
            || !(e.from.contains("/Service/") || e.from.contains("/hostPort/"))
        {
            continue;
        }
        let Some(ps) = pods_of.get(e.to.as_str()) else {
            continue;
        };
        if ps.iter().all(|&i| !net.external_can_reach(i, None)) {
            e.weight += 10;
            e.confidence = Confidence::Low;
            e.conditions.push(format!(
                "NetworkPolicies admit no address outside the cluster to {} on its ports",
                e.to.trim_start_matches("workload:")
            ));
        }
    }

    // the workloads worth reaching: an escape to the node, or a token that holds rights
    let holding: BTreeSet<&str> = b
        .edges
        .iter()
        .filter(|e| e.from.starts_with("serviceaccount:"))
        .map(|e| e.from.as_str())
        .collect();
    let mut targets: BTreeSet<String> = BTreeSet::new();
    for e in &b.edges {
        let worth = (e.from.starts_with("container:") && e.to.starts_with("node:"))
            || (e.attack == "TOKEN_STEAL"
                && e.from.starts_with("container:")
                && holding.contains(e.to.as_str()));
        if worth {
            if let Some(w) = workload_of_container(&e.from) {
                targets.insert(w);
            }
        }
    }
    if targets.is_empty() {
        return;
    }
    let everyone = wid.iter().filter(|w| w.is_some()).count();
    let hub = b.vertex(VertexKind::Network, None, "pods");
    let mut hub_used = false;
    let mut added: Vec<Reach> = Vec::new();
    // whether every pod may reach a pod of this class (targets of one class answer alike)
    let mut open: HashMap<usize, bool> = HashMap::new();
    for target in &targets {
        let Some(ps) = pods_of.get(target.as_str()) else {
            continue;
        };
        let reached = ps.iter().any(|&i| {
            *open
                .entry(net.class_of(i))
                .or_insert_with(|| net.sources_reaching(i, None).len() >= everyone)
        });
        if reached {
            hub_used = true;
            added.push((
                hub.clone(),
                target.clone(),
                fix_field(index, target),
                vec![],
            ));
        }
    }
    if hub_used {
        for (w, cs) in &containers {
            if pods_of.contains_key(w.as_str()) {
                for c in cs {
                    b.edge(
                        "NETWORK_REACH",
                        c,
                        &hub,
                        vec![],
                        Confidence::High,
                        String::new(),
                        vec![],
                        0,
                    );
                }
            }
        }
    } else {
        b.vertices.remove(&hub);
    }
    for (from, to, field, cond) in added {
        let (ev, fix) = match field {
            Some((id, path)) => {
                let obj = b.snapshot.object(id);
                (
                    vec![b.evidence(obj, &path)],
                    format!(
                        "add a NetworkPolicy that selects {} and admits only the clients it needs",
                        obj.oref.display()
                    ),
                )
            }
            None => (vec![], String::new()),
        };
        let via_hub = from == hub;
        b.edge(
            "NETWORK_REACH",
            &from,
            &to,
            ev,
            Confidence::Medium,
            fix,
            cond,
            if via_hub { 1 } else { 0 },
        );
    }
}

/// The labels of a workload's pod template: where a NetworkPolicy's selector would point.
fn fix_field(index: &Index<'_>, workload: &str) -> Option<(u32, FieldPath)> {
    let rest = workload.strip_prefix("workload:")?;
    let mut it = rest.splitn(3, '/');
    let (ns, kind, name) = (it.next()?, it.next()?, it.next()?);
    let o = index.get(kind, Some(ns), name)?;
    let t = PodTemplate::all(o).into_iter().next()?;
    let spec = t.spec_path.to_string();
    let labels = match spec.strip_suffix("spec") {
        Some(p) => format!("{p}metadata.labels"),
        None => "metadata.labels".to_string(),
    };
    Some((o.id, FieldPath::parse(&labels)))
}
