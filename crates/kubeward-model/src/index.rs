//! Lookups over a snapshot: by kind/namespace/name, by kind, label selectors.

use crate::object::{Object, ObjectId, Snapshot};
use crate::pod::PodTemplate;
use crate::value::Node;
use std::collections::HashMap;

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

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
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
    templates: Vec<PodTemplate<'s>>,
}

impl<'s> Index<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut by_key = HashMap::with_capacity(snapshot.objects.len());
        let mut by_kind: HashMap<&str, Vec<ObjectId>> = HashMap::new();
        let mut templates = Vec::new();
        for o in &snapshot.objects {
            by_key.insert((o.kind(), effective_namespace(o), o.name()), o.id);
            by_kind.entry(o.kind()).or_default().push(o.id);
            if let Some(t) = PodTemplate::of(o) {
                templates.push(t);
            }
        }
        Index {
            snapshot,
            by_key,
            by_kind,
            templates,
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
        self.templates.iter().filter(move |t| {
            effective_namespace(t.object) == namespace
                && selector.matches(|k| t.labels().find(|(key, _)| *key == k).map(|(_, v)| v))
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
            && self.expressions.iter().all(|r| {
                let v = label(&r.key);
                match r.operator.as_str() {
                    "In" => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                    "NotIn" => v.is_none_or(|v| !r.values.iter().any(|x| x == v)),
                    "Exists" => v.is_some(),
                    "DoesNotExist" => v.is_none(),
                    _ => false,
                }
            })
    }
}
