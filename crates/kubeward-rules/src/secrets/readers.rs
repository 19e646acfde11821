//! Who can read a Secret, from the RBAC engine (`Context::rbac`): the subjects that hold
//! `get`, `list` or `watch` on it through the input's bindings, for the messages and related
//! objects of findings on Secret objects.

use crate::finding::bounded_list;
use crate::rule::Context;
use kubeward_model::{Object, ObjectId, ObjectRef};
use kubeward_rbac::{Grant, Request};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

/// The verbs that reveal a Secret's data.
const VERBS: [&str; 3] = ["get", "list", "watch"];

/// Who-can answers for `get`, `list` and `watch` on secrets in every namespace (one query
/// per verb: each grant says where it applies), asked once per rule run.
#[derive(Default)]
pub(crate) struct Readers {
    /// Grants by the namespace they apply in (`None`: cluster-wide), with their verb.
    answers: OnceLock<HashMap<Option<String>, Vec<(&'static str, Grant)>>>,
}

/// The readers of one Secret: `ServiceAccount shop/web (get, list)` entries and the bindings
/// that grant them.
pub(crate) struct SecretReaders {
    pub subjects: Vec<String>,
    pub bindings: Vec<ObjectRef>,
}

impl SecretReaders {
    /// `; readable through the input's bindings by ServiceAccount shop/web (get), ...` or an
    /// empty string when no binding of the input grants it.
    pub fn sentence(&self) -> String {
        if self.subjects.is_empty() {
            return String::new();
        }
        format!(
            "; readable through the input's RBAC by {} (besides Kubernetes' default administrators and controllers)",
            bounded_list(&self.subjects)
        )
    }
}

impl Readers {
    /// The subjects that may read `secret` (its namespace; the named object or all of them),
    /// through bindings of the input (Kubernetes' default bindings are left out).
    pub fn of(&self, cx: &Context<'_>, secret: &Object) -> SecretReaders {
        let ns = kubeward_model::effective_namespace(secret).unwrap_or("default");
        let answers = self.answers.get_or_init(|| {
            let mut by_ns: HashMap<Option<String>, Vec<(&'static str, Grant)>> = HashMap::new();
            for v in VERBS {
                let req = Request::resource(v, "secrets", None);
                for g in cx.rbac().direct_grants(&req) {
                    if !g.binding.default {
                        by_ns.entry(g.namespace.clone()).or_default().push((v, g));
                    }
                }
            }
            by_ns
        });
        let mut by_subject: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut bindings: Vec<ObjectRef> = Vec::new();
        let here = [None, Some(ns.to_string())];
        let mut seen: HashSet<ObjectId> = HashSet::new();
        for (verb, g) in here.iter().filter_map(|k| answers.get(k)).flatten() {
            if !g.resource_names.is_empty() && !g.resource_names.iter().any(|n| n == secret.name())
            {
                continue;
            }
            let verbs = by_subject.entry(g.subject.display()).or_default();
            if !verbs.contains(verb) {
                verbs.push(verb);
            }
            if let Some(id) = g.binding.object.filter(|id| seen.insert(*id)) {
                bindings.push(cx.snapshot.object(id).oref.clone());
            }
        }
        SecretReaders {
            subjects: by_subject
                .into_iter()
                .map(|(s, v)| format!("{s} ({})", v.join(", ")))
                .collect(),
            bindings,
        }
    }
}

/// Whether an object carries the metadata the API server sets (`uid`, `resourceVersion`,
/// `creationTimestamp`): it was dumped from a cluster (`kubectl get -o yaml`), not written
/// as a manifest.
pub(crate) fn from_cluster(o: &Object) -> bool {
    let m = o.metadata();
    ["uid", "resourceVersion", "creationTimestamp"]
        .iter()
        .any(|k| m.get(k).is_some_and(|n| !n.is_null()))
}
