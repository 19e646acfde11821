//! kubeward-rbac: effective Kubernetes RBAC permissions.
//!
//! The [`Engine`] reads the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of a
//! snapshot (plus, unless turned off, Kubernetes' built-in default ClusterRoles and
//! ClusterRoleBindings, [`defaults`]), resolves aggregated ClusterRoles and answers:
//! - [`Engine::who_can`]: which subjects may make a request, and through which binding, role
//!   and rule;
//! - [`Engine::can`]: may one identity make it (service accounts are in
//!   `system:serviceaccounts[:<ns>]` and `system:authenticated`);
//! - [`Engine::capabilities`]: what an identity can grant itself beyond its rules, as the API
//!   server authorises `bind` and `escalate`.
//!
//! The semantics are the API server's: `*` in verbs, groups and resources, `*/sub` for a
//! subresource of every resource, `resourceNames`, `nonResourceURLs` with a trailing `*`; a
//! RoleBinding grants only inside its namespace, and cluster-scoped resources or
//! non-resource URLs granted through it have no effect.

pub mod defaults;
pub mod model;
pub mod rule;

pub use model::{Binding, BindingKind, Role, RoleKey, RoleKind, Subject, RBAC_GROUP};
pub use rule::PolicyRule;

use kubeward_model::{effective_namespace, Node, Object, ObjectId, Selector, Snapshot};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// How the engine is built.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Add Kubernetes' default ClusterRoles and ClusterRoleBindings that the input lacks
    /// (turn off for a full dump of a cluster, which holds the real ones).
    pub defaults: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { defaults: true }
    }
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Target {
    /// A resource (`pods`, `pods/exec`, `deployments.apps`), optionally one named object.
    Resource {
        group: String,
        resource: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        subresource: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A non-resource URL (`/metrics`).
    Url { url: String },
}

/// A request: a verb on a target, in a namespace (`None`: cluster-wide, or every namespace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    pub verb: String,
    #[serde(flatten)]
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// API groups of the built-in resources a query may name without a group.
const RESOURCE_GROUPS: &[(&str, &str)] = &[
    ("deployments", "apps"),
    ("replicasets", "apps"),
    ("statefulsets", "apps"),
    ("daemonsets", "apps"),
    ("controllerrevisions", "apps"),
    ("jobs", "batch"),
    ("cronjobs", "batch"),
    ("roles", RBAC_GROUP),
    ("rolebindings", RBAC_GROUP),
    ("clusterroles", RBAC_GROUP),
    ("clusterrolebindings", RBAC_GROUP),
    ("ingresses", "networking.k8s.io"),
    ("networkpolicies", "networking.k8s.io"),
    ("ingressclasses", "networking.k8s.io"),
    ("horizontalpodautoscalers", "autoscaling"),
    ("poddisruptionbudgets", "policy"),
    ("certificatesigningrequests", "certificates.k8s.io"),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    ("customresourcedefinitions", "apiextensions.k8s.io"),
    ("storageclasses", "storage.k8s.io"),
    ("leases", "coordination.k8s.io"),
    ("endpointslices", "discovery.k8s.io"),
    ("priorityclasses", "scheduling.k8s.io"),
    ("runtimeclasses", "node.k8s.io"),
    ("tokenreviews", "authentication.k8s.io"),
    ("userextras", "authentication.k8s.io"),
    ("uids", "authentication.k8s.io"),
    ("subjectaccessreviews", "authorization.k8s.io"),
    ("selfsubjectaccessreviews", "authorization.k8s.io"),
];

impl Request {
    /// A request on a resource of the group the resource is known in (core otherwise).
    pub fn resource(verb: &str, resource: &str, namespace: Option<&str>) -> Request {
        Request::parse(verb, resource, namespace).unwrap_or_else(|_| Request {
            verb: verb.into(),
            target: Target::Resource {
                group: String::new(),
                resource: resource.into(),
                subresource: None,
                name: None,
            },
            namespace: namespace.map(str::to_string),
        })
    }

    /// Parses the `VERB RESOURCE` of `who-can` / `can-i`: `pods`, `pods/exec`,
    /// `deployments.apps`, `secrets/db` is not a name (use [`Request::named`]), `/metrics`
    /// is a non-resource URL. A known built-in resource without group gets its group.
    pub fn parse(verb: &str, resource: &str, namespace: Option<&str>) -> Result<Request, String> {
        if verb.is_empty() || verb.contains(char::is_whitespace) {
            return Err(format!("{verb:?} is not a verb"));
        }
        let namespace = namespace.map(str::to_string);
        if resource.starts_with('/') {
            return Ok(Request {
                verb: verb.into(),
                target: Target::Url {
                    url: resource.into(),
                },
                namespace,
            });
        }
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        let (res, group) = match res.split_once('.') {
            Some((r, g)) => (r.to_string(), g.to_string()),
            None => {
                let g = RESOURCE_GROUPS
                    .iter()
                    .find(|(r, _)| *r == res)
                    .map(|(_, g)| *g)
                    .unwrap_or("");
                (res.to_string(), g.to_string())
            }
        };
        if res.is_empty() || sub.is_some_and(|s| s.is_empty() || s.contains('/')) {
            return Err(format!(
                "{resource:?} is not RESOURCE[.GROUP][/SUBRESOURCE]"
            ));
        }
        Ok(Request {
            verb: verb.into(),
            target: Target::Resource {
                group,
                resource: res.to_lowercase(),
                subresource: sub.map(str::to_string),
                name: None,
            },
            namespace,
        })
    }

    /// Whether it asks for a non-resource URL.
    pub fn target_is_url(&self) -> bool {
        matches!(self.target, Target::Url { .. })
    }

    /// The request for one named object.
    pub fn named(mut self, object: &str) -> Request {
        if let Target::Resource { name, .. } = &mut self.target {
            *name = Some(object.into());
        }
        self
    }

    /// `get pods/exec`, `get /metrics`, with the namespace.
    pub fn display(&self) -> String {
        let what = match &self.target {
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                let mut s = resource.clone();
                if !group.is_empty() {
                    s = format!("{s}.{group}");
                }
                if let Some(sub) = subresource {
                    s = format!("{s}/{sub}");
                }
                if let Some(n) = name {
                    s = format!("{s} {n:?}");
                }
                s
            }
            Target::Url { url } => url.clone(),
        };
        match &self.namespace {
            Some(ns) => format!("{} {what} in namespace {ns}", self.verb),
            None => format!("{} {what}", self.verb),
        }
    }
}

/// Resources that live outside namespaces: granted through a RoleBinding they have no
/// effect. (`users`, `groups`, `uids`, `userextras` are the targets of `impersonate`.)
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "nodes"),
    ("", "namespaces"),
    ("", "persistentvolumes"),
    ("", "componentstatuses"),
    ("", "users"),
    ("", "groups"),
    (RBAC_GROUP, "clusterroles"),
    (RBAC_GROUP, "clusterrolebindings"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "volumeattachments"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "apiservices"),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
    ),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("certificates.k8s.io", "signers"),
    ("certificates.k8s.io", "clustertrustbundles"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("node.k8s.io", "runtimeclasses"),
    ("networking.k8s.io", "ingressclasses"),
    ("networking.k8s.io", "ipaddresses"),
    ("networking.k8s.io", "servicecidrs"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
    ),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authentication.k8s.io", "uids"),
    ("authentication.k8s.io", "userextras"),
    ("authorization.k8s.io", "subjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
];

/// Whether `verb` on (`group`, `resource`) is authorised cluster-wide, so that a RoleBinding
/// cannot grant it. `bind` on `clusterroles` is the exception: creating a RoleBinding to a
/// ClusterRole checks `bind` in the binding's namespace.
pub fn is_cluster_scoped(verb: &str, group: &str, resource: &str) -> bool {
    if verb == "bind" && group == RBAC_GROUP && resource == "clusterroles" {
        return false;
    }
    CLUSTER_SCOPED
        .iter()
        .any(|(g, r)| *g == group && *r == resource)
}

/// A role or binding as answers name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// A Kubernetes default the input does not contain.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// The object of the input.
    #[serde(skip)]
    pub object: Option<ObjectId>,
}

impl Ref {
    fn role(r: &Role) -> Ref {
        Ref {
            kind: r.key.kind.as_str().into(),
            namespace: r.key.namespace.clone(),
            name: r.key.name.clone(),
            default: r.is_default(),
            object: r.object,
        }
    }

    fn missing_role(key: &RoleKey) -> Ref {
        Ref {
            kind: key.kind.as_str().into(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            default: false,
            object: None,
        }
    }

    fn binding(b: &Binding) -> Ref {
        Ref {
            kind: b.kind.as_str().into(),
            namespace: b.namespace.clone(),
            name: b.name.clone(),
            default: b.is_default(),
            object: b.object,
        }
    }

    /// `ClusterRole/edit`, `RoleBinding/shop/ci` (with ` (Kubernetes default)`).
    pub fn display(&self) -> String {
        let base = match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        };
        if self.default {
            format!("{base} (Kubernetes default)")
        } else {
            base
        }
    }
}

/// One rule of a role's effective rules: written in the role itself, or in a ClusterRole it
/// aggregates.
#[derive(Clone, Copy, Debug)]
pub struct EffectiveRule<'e> {
    pub rule: &'e PolicyRule,
    /// The role the rule is written in.
    pub source: &'e Role,
    /// Index in the source's `rules`.
    pub index: usize,
    /// Whether it came through `aggregationRule`.
    pub aggregated: bool,
}

/// Why a subject may make a request: one binding, its role, one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The subject as the binding names it.
    pub subject: Subject,
    /// Its index in the binding's `subjects` (`None` for a default binding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_index: Option<usize>,
    pub binding: Ref,
    pub role: Ref,
    /// The role the matching rule is written in (differs from `role` when aggregated).
    pub rule_role: Ref,
    pub rule_index: usize,
    /// Where the grant applies: a namespace, or `None` for the whole cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The objects the rule is limited to (empty: every object).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    /// The rule matched through a wildcard.
    pub wildcard: bool,
}

impl Grant {
    /// `RoleBinding/shop/ci → ClusterRole/edit, rule 3 of ClusterRole/system:aggregate-to-edit`.
    pub fn explain(&self) -> String {
        let rule = if self.rule_role == self.role {
            format!("rule {}", self.rule_index)
        } else {
            format!(
                "rule {} of {} (aggregated)",
                self.rule_index,
                self.rule_role.display()
            )
        };
        let mut s = format!(
            "{} → {}, {rule}",
            self.binding.display(),
            self.role.display()
        );
        if !self.resource_names.is_empty() {
            s.push_str(&format!(
                ", only the objects named {}",
                self.resource_names.join(", ")
            ));
        }
        if self.wildcard {
            s.push_str(", through a wildcard");
        }
        s
    }

    /// `namespace shop` or `cluster-wide`.
    pub fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("namespace {ns}"),
            None => "cluster-wide".into(),
        }
    }
}

/// A right an identity can give itself beyond its own rules, as the API server authorises
/// `bind` and `escalate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Capability {
    /// May create a binding to `role` (`create` on the binding kind plus `bind` on the role,
    /// by name or for every role): it can give itself the role's rights in `namespace`
    /// (`None`: every namespace through RoleBindings, or the whole cluster when
    /// `binding_kind` is ClusterRoleBinding).
    Bind {
        role: Ref,
        binding_kind: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        create: Box<Grant>,
        bind: Box<Grant>,
    },
    /// May write any rule into the Roles of `namespace` (`None`: of every namespace) or,
    /// when `cluster_roles`, into ClusterRoles: `escalate` plus `create`/`update`/`patch`.
    Escalate {
        cluster_roles: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        escalate: Box<Grant>,
        write: Box<Grant>,
    },
}

impl Capability {
    /// One line for text output.
    pub fn explain(&self) -> String {
        match self {
            Capability::Bind {
                role,
                binding_kind,
                namespace,
                create,
                bind,
            } => {
                let place = match (binding_kind.as_str(), namespace) {
                    ("ClusterRoleBinding", _) => "on the whole cluster".to_string(),
                    (_, Some(ns)) => format!("in namespace {ns}"),
                    (_, None) => "in every namespace".to_string(),
                };
                format!(
                    "can bind {} {place} (create {}s: {}; bind: {})",
                    role.display(),
                    binding_kind.to_lowercase(),
                    create.explain(),
                    bind.explain()
                )
            }
            Capability::Escalate {
                cluster_roles,
                namespace,
                escalate,
                write,
            } => {
                let what = if *cluster_roles {
                    "ClusterRoles".to_string()
                } else {
                    match namespace {
                        Some(ns) => format!("Roles of namespace {ns}"),
                        None => "Roles of every namespace".to_string(),
                    }
                };
                format!(
                    "can write any rule into {what} (escalate: {}; write: {})",
                    escalate.explain(),
                    write.explain()
                )
            }
        }
    }
}

/// A right obtainable through a [`Capability`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Obtainable {
    pub subject: Subject,
    pub capability: Capability,
}

/// The answer to `who-can`.
#[derive(Clone, Debug, Serialize)]
pub struct WhoCan {
    pub request: Request,
    /// Direct grants, by subject.
    pub grants: Vec<Grant>,
    /// Subjects that can give themselves the right through `bind` or `escalate` (one way
    /// each).
    pub obtainable: Vec<Obtainable>,
}

/// The answer to `can-i`.
#[derive(Clone, Debug, Serialize)]
pub struct CanI {
    pub subject: Subject,
    pub request: Request,
    pub allowed: bool,
    /// The grants that allow it.
    pub grants: Vec<Grant>,
    /// Grants that match but do not allow the request as asked (limited to other objects
    /// by `resourceNames`, or in other namespaces).
    pub partial: Vec<Grant>,
    /// How the identity could give itself the right.
    pub obtainable: Vec<Capability>,
}

/// Effective permissions of a snapshot.
pub struct Engine {
    roles: Vec<Role>,
    role_index: HashMap<RoleKey, usize>,
    /// Per role: (role, rule index) of its effective rules.
    effective: Vec<Vec<(usize, usize, bool)>>,
    bindings: Vec<Binding>,
    /// Indices into `bindings` by the role they bind (a role is looked up per role and per
    /// request: a scan over every binding made the RBAC rules quadratic).
    bindings_by_role: HashMap<RoleKey, Vec<usize>>,
    by_object: HashMap<ObjectId, usize>,
}

fn is_rbac(obj: &Object) -> bool {
    obj.oref.group() == RBAC_GROUP
}

fn role_from_object(obj: &Object) -> Option<Role> {
    let key = match obj.kind() {
        "ClusterRole" => RoleKey::cluster(obj.name()),
        "Role" => RoleKey::namespaced(effective_namespace(obj).unwrap_or("default"), obj.name()),
        _ => return None,
    };
    let rules = obj
        .root
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(PolicyRule::from_node)
        .collect();
    let aggregation = (key.kind == RoleKind::ClusterRole)
        .then(|| obj.root.get("aggregationRule"))
        .flatten()
        .map(|a| {
            a.get("clusterRoleSelectors")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .map(Selector::from_label_selector)
                .collect()
        });
    Some(Role {
        key,
        object: Some(obj.id),
        rules,
        labels: obj
            .labels()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        aggregation,
    })
}

fn subject_from_node(node: &Node, binding_ns: Option<&str>) -> Option<Subject> {
    let name = node.str_at("name").filter(|n| !n.is_empty())?;
    match node.str_at("kind")? {
        "User" => Some(Subject::user(name)),
        "Group" => Some(Subject::group(name)),
        "ServiceAccount" => {
            // without namespace: the binding's (a ClusterRoleBinding has none: invalid)
            let ns = node
                .str_at("namespace")
                .filter(|n| !n.is_empty())
                .or(binding_ns)?;
            Some(Subject::service_account(ns, name))
        }
        _ => None,
    }
}

fn binding_from_object(obj: &Object) -> Option<Binding> {
    let kind = match obj.kind() {
        "ClusterRoleBinding" => BindingKind::ClusterRoleBinding,
        "RoleBinding" => BindingKind::RoleBinding,
        _ => return None,
    };
    let namespace = match kind {
        BindingKind::RoleBinding => Some(effective_namespace(obj).unwrap_or("default").to_string()),
        BindingKind::ClusterRoleBinding => None,
    };
    let role_ref = obj.root.get("roleRef")?;
    let role_name = role_ref.str_at("name")?;
    let role = match (role_ref.str_at("kind")?, &namespace) {
        ("ClusterRole", _) => RoleKey::cluster(role_name),
        // a ClusterRoleBinding cannot bind a Role
        ("Role", Some(ns)) => RoleKey::namespaced(ns, role_name),
        _ => return None,
    };
    let subjects = obj
        .root
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, s)| subject_from_node(s, namespace.as_deref()).map(|s| (i, s)))
        .collect();
    Some(Binding {
        kind,
        namespace,
        name: obj.name().to_string(),
        object: Some(obj.id),
        role,
        subjects,
    })
}

fn default_subject(kind: &str, name: &str) -> Subject {
    match kind {
        "User" => Subject::user(name),
        "Group" => Subject::group(name),
        _ => {
            let (ns, n) = name.split_once('/').unwrap_or(("kube-system", name));
            Subject::service_account(ns, n)
        }
    }
}

impl Engine {
    /// Reads the RBAC objects of a snapshot.
    pub fn new(snapshot: &Snapshot, options: Options) -> Engine {
        let objects: Vec<&Object> = snapshot.objects.iter().filter(|o| is_rbac(o)).collect();
        Engine::from_objects(&objects, options)
    }

    /// Reads the RBAC objects among `objects` (others are ignored).
    pub fn from_objects(objects: &[&Object], options: Options) -> Engine {
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for o in objects.iter().filter(|o| is_rbac(o)) {
            if let Some(r) = role_from_object(o) {
                roles.push(r);
            } else if let Some(b) = binding_from_object(o) {
                bindings.push(b);
            }
        }
        Engine::build(roles, bindings, options)
    }

    /// The engine of these roles and bindings (plus the defaults they lack, when asked).
    pub fn build(mut roles: Vec<Role>, mut bindings: Vec<Binding>, options: Options) -> Engine {
        if options.defaults {
            let have: BTreeSet<String> = roles
                .iter()
                .filter(|r| r.key.kind == RoleKind::ClusterRole)
                .map(|r| r.key.name.clone())
                .collect();
            for d in defaults::ROLES.iter().filter(|d| !have.contains(d.name)) {
                roles.push(Role {
                    key: RoleKey::cluster(d.name),
                    object: None,
                    rules: d.rules(),
                    labels: d
                        .labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    aggregation: (!d.aggregate_from.is_empty()).then(|| {
                        d.aggregate_from
                            .iter()
                            .map(|label| Selector {
                                labels: vec![(label.to_string(), "true".into())],
                                expressions: vec![],
                            })
                            .collect()
                    }),
                });
            }
            let have: BTreeSet<String> = bindings
                .iter()
                .filter(|b| b.kind == BindingKind::ClusterRoleBinding)
                .map(|b| b.name.clone())
                .collect();
            for d in defaults::BINDINGS.iter().filter(|d| !have.contains(d.name)) {
                bindings.push(Binding {
                    kind: BindingKind::ClusterRoleBinding,
                    namespace: None,
                    name: d.name.into(),
                    object: None,
                    role: RoleKey::cluster(d.role),
                    subjects: d
                        .subjects
                        .iter()
                        .map(|(k, n)| (usize::MAX, default_subject(k, n)))
                        .collect(),
                });
            }
        }
        let mut role_index = HashMap::new();
        let mut by_object = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            // the first of duplicates wins, as the index of the model does for objects
            role_index.entry(r.key.clone()).or_insert(i);
            if let Some(id) = r.object {
                by_object.insert(id, i);
            }
        }
        let effective = (0..roles.len())
            .map(|i| effective_rules_of(&roles, i))
            .collect();
        let mut bindings_by_role: HashMap<RoleKey, Vec<usize>> = HashMap::new();
        for (i, b) in bindings.iter().enumerate() {
            bindings_by_role.entry(b.role.clone()).or_default().push(i);
        }
        Engine {
            roles,
            role_index,
            effective,
            bindings,
            bindings_by_role,
            by_object,
        }
    }

    /// Every role (input first, then defaults).
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Every binding (input first, then defaults).
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    pub fn role(&self, key: &RoleKey) -> Option<&Role> {
        self.role_index.get(key).map(|&i| &self.roles[i])
    }

    /// The role read from an object of the input.
    pub fn role_of_object(&self, id: ObjectId) -> Option<&Role> {
        self.by_object.get(&id).map(|&i| &self.roles[i])
    }

    /// A role's effective rules: its own, then those of the ClusterRoles it aggregates
    /// (transitively, as the aggregation controller converges: `admin` gets `edit`'s, which
    /// gets `view`'s).
    pub fn effective_rules(&self, key: &RoleKey) -> Vec<EffectiveRule<'_>> {
        match self.role_index.get(key) {
            Some(&i) => self.effective_at(i),
            None => vec![],
        }
    }

    /// The effective rules of the role read from an object of the input (when several
    /// objects share a name, e.g. in different files, each has its own).
    pub fn effective_rules_of_object(&self, id: ObjectId) -> Vec<EffectiveRule<'_>> {
        match self.by_object.get(&id) {
            Some(&i) => self.effective_at(i),
            None => vec![],
        }
    }

    fn effective_at(&self, i: usize) -> Vec<EffectiveRule<'_>> {
        self.effective[i]
            .iter()
            .map(|&(r, index, aggregated)| EffectiveRule {
                rule: &self.roles[r].rules[index],
                source: &self.roles[r],
                index,
                aggregated,
            })
            .collect()
    }

    /// The bindings that bind `key`.
    pub fn bindings_of<'a>(&'a self, key: &'a RoleKey) -> impl Iterator<Item = &'a Binding> + 'a {
        self.bindings_by_role
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.bindings[i])
    }

    /// Every grant of one binding's role that matches the request, for each subject `keep`
    /// accepts. `any_namespace`: a request without namespace matches RoleBindings of every
    /// namespace (who-can); otherwise it asks for a cluster-wide right.
    fn binding_grants(
        &self,
        b: &Binding,
        req: &Request,
        any_namespace: bool,
        keep: &dyn Fn(&Subject) -> bool,
        out: &mut Vec<Grant>,
    ) {
        // scope
        if b.kind == BindingKind::RoleBinding {
            match &req.target {
                Target::Url { .. } => return,
                Target::Resource {
                    group, resource, ..
                } => {
                    if is_cluster_scoped(&req.verb, group, resource) {
                        return;
                    }
                }
            }
            match (&req.namespace, &b.namespace) {
                (Some(want), Some(ns)) if want == ns => {}
                (None, Some(_)) if any_namespace => {}
                _ => return,
            }
        }
        let subjects: Vec<&(usize, Subject)> = b.subjects.iter().filter(|(_, s)| keep(s)).collect();
        if subjects.is_empty() {
            return;
        }
        let role = self.role(&b.role);
        for er in self.effective_rules(&b.role) {
            let (matched, wildcard) = match &req.target {
                Target::Resource {
                    group,
                    resource,
                    subresource,
                    ..
                } => {
                    let sub = subresource.as_deref();
                    if !er.rule.non_resource_urls.is_empty() && er.rule.resources.is_empty() {
                        (false, false)
                    } else {
                        (
                            er.rule.grants_resource(&req.verb, group, resource, sub),
                            er.rule.matched_by_wildcard(&req.verb, group, resource, sub),
                        )
                    }
                }
                Target::Url { url } => (
                    er.rule.verb_matches(&req.verb) && er.rule.url_matches(url),
                    !er.rule.non_resource_urls.iter().any(|u| u == url)
                        || !er.rule.verbs.contains(&req.verb),
                ),
            };
            if !matched {
                continue;
            }
            for (index, s) in &subjects {
                out.push(Grant {
                    subject: s.clone(),
                    subject_index: (*index != usize::MAX).then_some(*index),
                    binding: Ref::binding(b),
                    role: role
                        .map(Ref::role)
                        .unwrap_or_else(|| Ref::missing_role(&b.role)),
                    rule_role: Ref::role(er.source),
                    rule_index: er.index,
                    namespace: b.namespace.clone(),
                    resource_names: er.rule.resource_names.clone(),
                    wildcard,
                });
            }
        }
    }

    fn grants(
        &self,
        req: &Request,
        any_namespace: bool,
        keep: &dyn Fn(&Subject) -> bool,
    ) -> Vec<Grant> {
        let mut out = Vec::new();
        for b in &self.bindings {
            self.binding_grants(b, req, any_namespace, keep, &mut out);
        }
        out
    }

    /// Every grant of `req` to `who` (through its implicit groups too) that lets it make the
    /// request as asked, and those that match but are limited elsewhere (`partial`: other
    /// objects by `resourceNames`, other namespaces).
    pub fn grants_for(&self, who: &Subject, req: &Request) -> (Vec<Grant>, Vec<Grant>) {
        let keep = |s: &Subject| s.covers(who);
        let name = match &req.target {
            Target::Resource { name, .. } => name.as_deref(),
            Target::Url { .. } => None,
        };
        let mut allowed = Vec::new();
        let mut partial = Vec::new();
        for g in self.grants(req, true, &keep) {
            let in_scope = g.namespace.is_none() || g.namespace == req.namespace;
            let names_ok = g.resource_names.is_empty()
                || name.is_some_and(|n| g.resource_names.iter().any(|r| r == n));
            if in_scope && names_ok {
                allowed.push(g);
            } else {
                partial.push(g);
            }
        }
        (allowed, partial)
    }

    /// The direct grants of `who-can` alone (every binding that grants the request, with where
    /// it applies), without working out who could obtain it through `bind` or `escalate`:
    /// for callers that only list the holders (the secrets rules name who can read a
    /// Secret).
    pub fn direct_grants(&self, req: &Request) -> Vec<Grant> {
        self.grants(req, true, &|_| true)
    }

    /// `who-can`: every subject a binding grants the request to (a request without
    /// namespace: RoleBindings of every namespace count, each grant says where it applies),
    /// and the subjects that can obtain it through `bind` or `escalate`.
    pub fn who_can(&self, req: &Request) -> WhoCan {
        let mut grants = self.grants(req, true, &|_| true);
        grants.sort_by(|a, b| {
            (&a.subject, &a.namespace, a.binding.display()).cmp(&(
                &b.subject,
                &b.namespace,
                b.binding.display(),
            ))
        });
        let direct: BTreeSet<&Subject> = grants
            .iter()
            .filter(|g| g.resource_names.is_empty())
            .map(|g| &g.subject)
            .collect();
        // one way per subject (a subject that may bind any role has one per role): binding
        // cluster-admin first, then writing roles, then the first other role
        let privileges = self.privileges(&|_| true);
        let mut obtainable = Vec::new();
        for s in self.subjects() {
            if direct.contains(&s) || !privileges.may_have(&s) {
                continue;
            }
            if let Some(c) = self
                .capabilities_with(&s, &privileges)
                .into_iter()
                .filter(|c| self.capability_grants(c, req))
                .min_by_key(|c| match c {
                    Capability::Bind { role, .. } if role.name == "cluster-admin" => 0,
                    Capability::Escalate { .. } => 1,
                    Capability::Bind { .. } => 2,
                })
            {
                obtainable.push(Obtainable {
                    subject: s.clone(),
                    capability: c,
                });
            }
        }
        WhoCan {
            request: req.clone(),
            grants,
            obtainable,
        }
    }

    /// `can-i`: may `who` make the request; which grants allow it; how it could obtain it.
    pub fn can(&self, who: &Subject, req: &Request) -> CanI {
        let (grants, partial) = self.grants_for(who, req);
        let allowed = !grants.is_empty();
        let obtainable = if allowed {
            vec![]
        } else {
            self.capabilities(who)
                .into_iter()
                .filter(|c| self.capability_grants(c, req))
                .collect()
        };
        CanI {
            subject: who.clone(),
            request: req.clone(),
            allowed,
            grants,
            partial,
            obtainable,
        }
    }

    /// Every distinct subject named by a binding.
    pub fn subjects(&self) -> Vec<Subject> {
        let set: BTreeSet<&Subject> = self
            .bindings
            .iter()
            .flat_map(|b| b.subjects.iter().map(|(_, s)| s))
            .collect();
        set.into_iter().cloned().collect()
    }

    /// Whether a capability lets its holder give itself the right `req` asks for.
    pub fn capability_grants(&self, c: &Capability, req: &Request) -> bool {
        match c {
            Capability::Bind {
                role,
                binding_kind,
                namespace,
                ..
            } => {
                let key = RoleKey {
                    kind: if role.kind == "Role" {
                        RoleKind::Role
                    } else {
                        RoleKind::ClusterRole
                    },
                    namespace: role.namespace.clone(),
                    name: role.name.clone(),
                };
                let cluster = binding_kind == "ClusterRoleBinding";
                let b = Binding {
                    kind: if cluster {
                        BindingKind::ClusterRoleBinding
                    } else {
                        BindingKind::RoleBinding
                    },
                    namespace: if cluster {
                        None
                    } else {
                        namespace.clone().or_else(|| req.namespace.clone())
                    },
                    name: String::new(),
                    object: None,
                    role: key,
                    subjects: vec![(0, Subject::user("-"))],
                };
                if !cluster && b.namespace.is_none() {
                    return false;
                }
                let mut out = Vec::new();
                self.binding_grants(&b, req, false, &|_| true, &mut out);
                out.iter().any(|g| g.resource_names.is_empty())
            }
            Capability::Escalate {
                cluster_roles,
                namespace,
                ..
            } => {
                if *cluster_roles {
                    return true;
                }
                match &req.target {
                    Target::Url { .. } => false,
                    Target::Resource {
                        group, resource, ..
                    } => {
                        !is_cluster_scoped(&req.verb, group, resource)
                            && req.namespace.is_some()
                            && (namespace.is_none() || *namespace == req.namespace)
                    }
                }
            }
        }
    }

    /// What `who` can grant itself beyond its own rules, as the API server authorises
    /// `bind` and `escalate`:
    /// - `create` on ClusterRoleBindings and `bind` on a ClusterRole (by name, or every
    ///   ClusterRole): bind it on the whole cluster;
    /// - `create` on RoleBindings in a namespace and `bind` on a Role or ClusterRole there:
    ///   bind it in that namespace (a namespaced Role can hold `bind` on `clusterroles`);
    /// - `escalate` and `create`/`update`/`patch` on roles (clusterroles): write any rule.
    pub fn capabilities(&self, who: &Subject) -> Vec<Capability> {
        let privileges = self.privileges(&|s: &Subject| s.covers(who));
        self.capabilities_with(who, &privileges)
    }

    /// [`Engine::capabilities`] for many subjects: the RBAC grants are gathered once.
    pub fn capability_finder(&self) -> impl Fn(&Subject) -> Vec<Capability> + '_ {
        let privileges = self.privileges(&|_| true);
        move |who: &Subject| {
            if privileges.may_have(who) {
                self.capabilities_with(who, &privileges)
            } else {
                Vec::new()
            }
        }
    }

    /// The grants of the RBAC verbs [`Engine::capabilities`] looks at, to the subjects `keep`
    /// accepts.
    fn privileges(&self, keep: &dyn Fn(&Subject) -> bool) -> Privileges {
        let mut map = HashMap::new();
        for (verb, resource) in PRIVILEGES {
            let req = Request {
                verb: verb.to_string(),
                target: Target::Resource {
                    group: RBAC_GROUP.into(),
                    resource: resource.to_string(),
                    subresource: None,
                    name: None,
                },
                namespace: None,
            };
            map.insert((*verb, *resource), self.grants(&req, true, keep));
        }
        Privileges(map)
    }

    fn capabilities_with(&self, who: &Subject, privileges: &Privileges) -> Vec<Capability> {
        let rbac = |verb: &'static str, resource: &'static str| -> Vec<Grant> {
            privileges
                .0
                .get(&(verb, resource))
                .map(|gs| {
                    gs.iter()
                        .filter(|g| g.subject.covers(who))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut out: Vec<Capability> = Vec::new();
        let mut seen: BTreeSet<(String, String, Option<String>)> = BTreeSet::new();
        let mut push_bind = |out: &mut Vec<Capability>,
                             role: &Role,
                             kind: &str,
                             ns: Option<String>,
                             create: &Grant,
                             bind: &Grant| {
            if seen.insert((role.key.display(), kind.to_string(), ns.clone())) {
                out.push(Capability::Bind {
                    role: Ref::role(role),
                    binding_kind: kind.into(),
                    namespace: ns,
                    create: Box::new(create.clone()),
                    bind: Box::new(bind.clone()),
                });
            }
        };
        let names_ok = |g: &Grant, r: &Role| {
            g.resource_names.is_empty() || g.resource_names.contains(&r.key.name)
        };
        // creating the binding: unrestricted by name (a binding's name is chosen at creation)
        let creates = |gs: Vec<Grant>| -> Vec<Grant> {
            gs.into_iter()
                .filter(|g| g.resource_names.is_empty())
                .collect()
        };
        // on the whole cluster
        let create_crb = creates(rbac("create", "clusterrolebindings"));
        let bind_cr = rbac("bind", "clusterroles");
        if let Some(create) = create_crb.first() {
            for bind in bind_cr.iter().filter(|g| g.namespace.is_none()) {
                for r in self
                    .roles
                    .iter()
                    .filter(|r| r.key.kind == RoleKind::ClusterRole)
                {
                    if names_ok(bind, r) {
                        push_bind(&mut out, r, "ClusterRoleBinding", None, create, bind);
                    }
                }
            }
        }
        // in namespaces
        let create_rb = creates(rbac("create", "rolebindings"));
        let bind_roles = rbac("bind", "roles");
        let meet = |a: &Option<String>, b: &Option<String>| -> Option<Option<String>> {
            match (a, b) {
                (None, x) | (x, None) => Some(x.clone()),
                (Some(x), Some(y)) if x == y => Some(Some(x.clone())),
                _ => None,
            }
        };
        for create in &create_rb {
            for bind in &bind_cr {
                let Some(ns) = meet(&create.namespace, &bind.namespace) else {
                    continue;
                };
                for r in self
                    .roles
                    .iter()
                    .filter(|r| r.key.kind == RoleKind::ClusterRole)
                {
                    if names_ok(bind, r) {
                        push_bind(&mut out, r, "RoleBinding", ns.clone(), create, bind);
                    }
                }
            }
            for bind in &bind_roles {
                let Some(ns) = meet(&create.namespace, &bind.namespace) else {
                    continue;
                };
                for r in self.roles.iter().filter(|r| {
                    r.key.kind == RoleKind::Role && (ns.is_none() || r.key.namespace == ns)
                }) {
                    if names_ok(bind, r) {
                        push_bind(
                            &mut out,
                            r,
                            "RoleBinding",
                            r.key.namespace.clone(),
                            create,
                            bind,
                        );
                    }
                }
            }
        }
        // escalate
        for (resource, cluster_roles) in [("clusterroles", true), ("roles", false)] {
            let escalate = rbac("escalate", resource);
            let writes: Vec<Grant> = ["create", "update", "patch"]
                .iter()
                .flat_map(|v| rbac(v, resource))
                .collect();
            let mut done: BTreeSet<Option<String>> = BTreeSet::new();
            for e in &escalate {
                for w in &writes {
                    let Some(ns) = meet(&e.namespace, &w.namespace) else {
                        continue;
                    };
                    if cluster_roles && ns.is_some() {
                        continue;
                    }
                    if done.insert(ns.clone()) {
                        out.push(Capability::Escalate {
                            cluster_roles,
                            namespace: ns,
                            escalate: Box::new(e.clone()),
                            write: Box::new(w.clone()),
                        });
                    }
                }
            }
        }
        out
    }
}

/// The RBAC rights behind `bind` and `escalate`.
const PRIVILEGES: &[(&str, &str)] = &[
    ("create", "clusterrolebindings"),
    ("create", "rolebindings"),
    ("bind", "clusterroles"),
    ("bind", "roles"),
    ("escalate", "clusterroles"),
    ("escalate", "roles"),
    ("create", "clusterroles"),
    ("update", "clusterroles"),
    ("patch", "clusterroles"),
    ("create", "roles"),
    ("update", "roles"),
    ("patch", "roles"),
];

/// Grants of [`PRIVILEGES`], by (verb, resource): what [`Engine::capabilities`] looks at,
/// gathered once for many subjects ([`Engine::capability_finder`]).
pub struct Privileges(HashMap<(&'static str, &'static str), Vec<Grant>>);

impl Privileges {
    /// Whether any grant of the creating or escalating rights covers `who` (else it has no
    /// capability).
    fn may_have(&self, who: &Subject) -> bool {
        [
            ("create", "clusterrolebindings"),
            ("create", "rolebindings"),
            ("escalate", "clusterroles"),
            ("escalate", "roles"),
        ]
        .iter()
        .filter_map(|k| self.0.get(k))
        .flatten()
        .any(|g| g.subject.covers(who))
    }
}

/// (role, rule index, aggregated) of role `i`'s effective rules.
fn effective_rules_of(roles: &[Role], i: usize) -> Vec<(usize, usize, bool)> {
    let mut out: Vec<(usize, usize, bool)> =
        (0..roles[i].rules.len()).map(|r| (i, r, false)).collect();
    if roles[i].aggregation.is_none() {
        return out;
    }
    let mut visited = vec![false; roles.len()];
    visited[i] = true;
    let mut stack = vec![i];
    while let Some(cur) = stack.pop() {
        for (j, other) in roles.iter().enumerate() {
            if !visited[j] && roles[cur].aggregates(other) {
                visited[j] = true;
                out.extend((0..other.rules.len()).map(|r| (j, r, true)));
                stack.push(j);
            }
        }
    }
    out
}
