//! Who can read a Secret, from the RBAC engine (`Context::rbac`): the subjects that hold
//! `get`, `list` or `watch` on it through the input's bindings, for the messages and related
//! objects of findings on Secret objects.
//!
//! Three direct-grant queries cover the whole input (each grant says where it applies); the
//! readers of every Secret of a namespace are worked out once, and only grants limited by
//! `resourceNames` are looked at per Secret, so a dump with thousands of Secrets and
//! bindings stays linear.

use crate::finding::bounded_list;
use crate::rule::Context;
use kubeward_model::{Object, ObjectId, ObjectRef};
use kubeward_rbac::{Grant, Request};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// The verbs that reveal a Secret's data.
const VERBS: [&str; 3] = ["get", "list", "watch"];

/// Subjects (with their verbs) and the bindings that grant them.
#[derive(Clone, Default)]
struct Holders {
    subjects: BTreeMap<String, Vec<&'static str>>,
    bindings: Vec<ObjectId>,
    seen: HashSet<ObjectId>,
    /// The message part, written once (the Secrets of a namespace share it).
    sentence: OnceLock<String>,
}

impl Holders {
    fn add(&mut self, verb: &'static str, g: &Grant) {
        let verbs = self.subjects.entry(g.subject.display()).or_default();
        if !verbs.contains(&verb) {
            verbs.push(verb);
        }
        if let Some(id) = g.binding.object.filter(|id| self.seen.insert(*id)) {
            self.bindings.push(id);
        }
    }
}

/// The input's grants on secrets, by the namespace they apply in (`None`: cluster-wide):
/// those for every Secret, and those limited to named ones.
#[derive(Default)]
struct Grants {
    all: HashMap<Option<String>, Vec<(&'static str, Grant)>>,
    named: HashMap<Option<String>, Vec<(&'static str, Grant)>>,
}

/// Who-can answers, asked once per rule run.
#[derive(Default)]
pub(crate) struct Readers {
    grants: OnceLock<Grants>,
    /// The holders of cluster-wide grants, the start of every namespace's.
    cluster: OnceLock<Holders>,
    by_namespace: Mutex<HashMap<String, Arc<Holders>>>,
}

/// The readers of one Secret.
pub(crate) struct SecretReaders {
    holders: Arc<Holders>,
}

impl SecretReaders {
    /// `; readable through the input's RBAC by ServiceAccount shop/web (get), ...` or an
    /// empty string when no binding of the input grants it.
    pub fn sentence(&self) -> String {
        let h = &self.holders;
        h.sentence
            .get_or_init(|| {
                if h.subjects.is_empty() {
                    return String::new();
                }
                format!(
                    "; readable through the input's RBAC by {} (besides Kubernetes' default administrators and controllers)",
                    bounded_list(h.subjects.iter().map(|(s, v)| format!("{s} ({})", v.join(", "))))
                )
            })
            .clone()
    }

    /// The bindings that grant the reads (for `Finding::set_related`).
    pub fn bindings<'a>(
        &'a self,
        snapshot: &'a kubeward_model::Snapshot,
    ) -> impl Iterator<Item = &'a ObjectRef> + 'a {
        self.holders
            .bindings
            .iter()
            .map(move |id| &snapshot.object(*id).oref)
    }
}

impl Readers {
    /// The subjects that may read `secret` through bindings of the input (Kubernetes' default
    /// bindings are left out): grants in its namespace or cluster-wide, for every Secret or
    /// naming this one.
    pub fn of(&self, cx: &Context<'_>, secret: &Object) -> SecretReaders {
        let ns = kubeward_model::effective_namespace(secret).unwrap_or("default");
        let grants = self.grants.get_or_init(|| {
            let mut g = Grants::default();
            for v in VERBS {
                let req = Request::resource(v, "secrets", None);
                for grant in cx.rbac().direct_grants(&req) {
                    if grant.binding.default {
                        continue;
                    }
                    let map = if grant.resource_names.is_empty() {
                        &mut g.all
                    } else {
                        &mut g.named
                    };
                    map.entry(grant.namespace.clone())
                        .or_default()
                        .push((v, grant));
                }
            }
            g
        });
        let here = [None, Some(ns.to_string())];
        let base = {
            let mut cache = self.by_namespace.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .entry(ns.to_string())
                .or_insert_with(|| {
                    let mut h = self
                        .cluster
                        .get_or_init(|| {
                            let mut h = Holders::default();
                            for (verb, g) in grants.all.get(&None).into_iter().flatten() {
                                h.add(verb, g);
                            }
                            h
                        })
                        .clone();
                    for (verb, g) in grants.all.get(&here[1]).into_iter().flatten() {
                        h.add(verb, g);
                    }
                    Arc::new(h)
                })
                .clone()
        };
        let mut named = here
            .iter()
            .filter_map(|k| grants.named.get(k))
            .flatten()
            .filter(|(_, g)| g.resource_names.iter().any(|n| n == secret.name()))
            .peekable();
        if named.peek().is_none() {
            return SecretReaders { holders: base };
        }
        let mut h = (*base).clone();
        h.sentence = OnceLock::new();
        for (verb, g) in named {
            h.add(verb, g);
        }
        SecretReaders {
            holders: Arc::new(h),
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
