//! Lookups over a snapshot: by kind/namespace/name, by kind, label selectors.

use crate::object::{Object, ObjectId, Snapshot};
use crate::pod::PodTemplate;
use crate::value::Node;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Kinds that live outside namespaces (the rest are namespaced; a namespaced object without
/// `metadata.namespace` is in `default`).
pub const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "PodSecurityPolicy",
    "CSIDriver",
    "CSINode",
    "VolumeSnapshotClass",
    "ClusterIssuer",
    "GatewayClass",
    "SecurityContextConstraints",
    "ClusterPolicy",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
];

/// API groups served by Kubernetes itself (the rest belong to custom resources).
pub const BUILTIN_API_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "extensions",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "autoscaling",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
];

pub fn is_cluster_scoped(kind: &str) -> bool {
    // a match compiles to a switch on length, then one comparison: this runs for every
    // template of every rule
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "APIService"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "PriorityClass"
            | "IngressClass"
            | "RuntimeClass"
            | "PodSecurityPolicy"
            | "CSIDriver"
            | "CSINode"
            | "VolumeSnapshotClass"
            | "ClusterIssuer"
            | "GatewayClass"
            | "SecurityContextConstraints"
            | "ClusterPolicy"
            | "MutatingAdmissionPolicy"
            | "MutatingAdmissionPolicyBinding"
    )
}

#[cfg(test)]
mod scope_tests {
    #[test]
    fn the_match_and_the_list_agree() {
        for k in super::CLUSTER_SCOPED {
            assert!(super::is_cluster_scoped(k), "{k}");
        }
        for k in [
            "Pod",
            "Deployment",
            "Role",
            "RoleBinding",
            "Service",
            "Namespaces",
            "",
        ] {
            assert!(!super::is_cluster_scoped(k), "{k}");
        }
    }
}

/// The namespace an object lives in (`default` when a namespaced object names none).
pub fn effective_namespace(obj: &Object) -> Option<&str> {
    if is_cluster_scoped(obj.kind()) {
        None
    } else {
        Some(obj.namespace().unwrap_or("default"))
    }
}

/// Lookups built once per snapshot.
pub struct Index<'s> {
    pub snapshot: &'s Snapshot,
    by_key: HashMap<(&'s str, Option<&'s str>, &'s str), ObjectId>,
    by_kind: HashMap<&'s str, Vec<ObjectId>>,
    by_kind_ns: HashMap<(&'s str, Option<&'s str>), Vec<ObjectId>>,
    templates: Vec<PodTemplate<'s>>,
    templates_by_ns: HashMap<Option<&'s str>, Vec<u32>>,
    /// `namespace/name` of bound ServiceAccounts (owned: a OnceLock of borrows would make
    /// the index invariant in its lifetime).
    bound_accounts: OnceLock<HashSet<String>>,
}

impl<'s> Index<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut by_key = HashMap::with_capacity(snapshot.objects.len());
        let mut by_kind: HashMap<&str, Vec<ObjectId>> = HashMap::new();
        let mut by_kind_ns: HashMap<(&str, Option<&str>), Vec<ObjectId>> = HashMap::new();
        let mut templates = Vec::new();
        let mut templates_by_ns: HashMap<Option<&str>, Vec<u32>> = HashMap::new();
        for o in &snapshot.objects {
            let ns = effective_namespace(o);
            by_key.insert((o.kind(), ns, o.name()), o.id);
            by_kind.entry(o.kind()).or_default().push(o.id);
            by_kind_ns.entry((o.kind(), ns)).or_default().push(o.id);
            for t in PodTemplate::all(o) {
                templates_by_ns
                    .entry(ns)
                    .or_default()
                    .push(templates.len() as u32);
                templates.push(t);
            }
        }
        Index {
            snapshot,
            by_key,
            by_kind,
            by_kind_ns,
            templates,
            templates_by_ns,
            bound_accounts: OnceLock::new(),
        }
    }

    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&'s Object> {
        let ns = if is_cluster_scoped(kind) {
            None
        } else {
            Some(namespace.unwrap_or("default"))
        };
        self.by_key
            .get(&(kind, ns, name))
            .map(|&id| self.snapshot.object(id))
    }

    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = &'s Object> + '_ {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&id| self.snapshot.object(id))
    }

    /// Objects of a kind in one namespace (`None`: cluster-scoped).
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'s Object> + 'a {
        let map: &'a HashMap<(&str, Option<&str>), Vec<ObjectId>> = &self.by_kind_ns;
        let ids = map
            .get(&(kind, namespace))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        ids.iter().map(|&id| self.snapshot.object(id))
    }

    /// Pod templates in one namespace.
    pub fn pod_templates_in<'a>(
        &'a self,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a PodTemplate<'s>> + 'a {
        let map: &'a HashMap<Option<&str>, Vec<u32>> = &self.templates_by_ns;
        let ids = map.get(&namespace).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().map(|&i| &self.templates[i as usize])
    }

    /// Whether ServiceAccount `name` of `namespace` is a subject of some RoleBinding or
    /// ClusterRoleBinding in the input (a subject without a namespace in a RoleBinding is in
    /// the binding's namespace). Computed once.
    pub fn is_bound_service_account(&self, namespace: &str, name: &str) -> bool {
        self.bound_accounts
            .get_or_init(|| {
                let mut set = HashSet::new();
                for kind in ["RoleBinding", "ClusterRoleBinding"] {
                    for b in self.of_kind(kind) {
                        let own = effective_namespace(b);
                        for s in b.root.get("subjects").map(Node::items).unwrap_or(&[]) {
                            if s.str_at("kind") != Some("ServiceAccount") {
                                continue;
                            }
                            if let (Some(n), Some(ns)) =
                                (s.str_at("name"), s.str_at("namespace").or(own))
                            {
                                set.insert(format!("{ns}/{n}"));
                            }
                        }
                    }
                }
                set
            })
            .contains(&format!("{namespace}/{name}"))
    }

    /// Whether any object of this kind was loaded.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind)
    }

    /// The Namespace object of that name, when it is in the input.
    pub fn namespace(&self, name: &str) -> Option<&'s Object> {
        self.get("Namespace", None, name)
    }

    /// Every pod template (Pods and workloads).
    pub fn pod_templates(&self) -> &[PodTemplate<'s>] {
        &self.templates
    }

    /// Pod templates in `namespace` whose labels a selector matches.
    pub fn select_pods<'a>(
        &'a self,
        namespace: Option<&'a str>,
        selector: &'a Selector,
    ) -> impl Iterator<Item = &'a PodTemplate<'s>> + 'a {
        self.pod_templates_in(namespace).filter(move |t| {
            selector.matches(|k| t.labels().find(|(key, _)| *key == k).map(|(_, v)| v))
        })
    }
}

/// A label selector: `matchLabels` and `matchExpressions`, or a Service's plain map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector {
    pub labels: Vec<(String, String)>,
    pub expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether a label value (`None`: the label is absent) satisfies this requirement.
    pub fn matches(&self, v: Option<&str>) -> bool {
        match self.operator.as_str() {
            "In" => v.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "NotIn" => v.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            "Exists" => v.is_some(),
            "DoesNotExist" => v.is_none(),
            _ => false,
        }
    }
}

impl Selector {
    /// A `LabelSelector` (`matchLabels` / `matchExpressions`).
    pub fn from_label_selector(node: &Node) -> Selector {
        let labels = crate::object::string_pairs(node.get("matchLabels"))
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let expressions = node
            .get("matchExpressions")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(|e| Requirement {
                key: e.str_at("key").unwrap_or("").into(),
                operator: e.str_at("operator").unwrap_or("").into(),
                values: e
                    .get("values")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|v| v.scalar_text())
                    .collect(),
            })
            .collect();
        Selector {
            labels,
            expressions,
        }
    }

    /// A plain map selector (Service `spec.selector`, ReplicationController).
    pub fn from_map(node: &Node) -> Selector {
        Selector {
            labels: crate::object::string_pairs(Some(node))
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            expressions: vec![],
        }
    }

    /// An empty selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| label(k) == Some(v.as_str()))
            && self.expressions.iter().all(|r| r.matches(label(&r.key)))
    }
}
