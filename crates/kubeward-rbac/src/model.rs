//! Roles, bindings and subjects as the engine holds them, and who a subject is.

use crate::rule::PolicyRule;
use kubeward_model::{ObjectId, Selector};
use serde::Serialize;

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// `Role` or `ClusterRole`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

impl BindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// The name of a role: a Role lives in a namespace, a ClusterRole does not.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RoleKey {
    pub kind: RoleKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl RoleKey {
    pub fn cluster(name: &str) -> RoleKey {
        RoleKey {
            kind: RoleKind::ClusterRole,
            namespace: None,
            name: name.into(),
        }
    }

    pub fn namespaced(namespace: &str, name: &str) -> RoleKey {
        RoleKey {
            kind: RoleKind::Role,
            namespace: Some(namespace.into()),
            name: name.into(),
        }
    }

    /// `ClusterRole/edit`, `Role/shop/deployer`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind.as_str(), self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }
}

/// A Role or ClusterRole: of the input, or one of Kubernetes' defaults.
#[derive(Clone, Debug)]
pub struct Role {
    pub key: RoleKey,
    /// The object of the input; `None` for a built-in default.
    pub object: Option<ObjectId>,
    /// The rules written in the role.
    pub rules: Vec<PolicyRule>,
    pub labels: Vec<(String, String)>,
    /// `aggregationRule.clusterRoleSelectors` of a ClusterRole.
    pub aggregation: Option<Vec<Selector>>,
}

impl Role {
    pub fn is_default(&self) -> bool {
        self.object.is_none()
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether one of this role's aggregation selectors selects `other`.
    pub fn aggregates(&self, other: &Role) -> bool {
        other.key.kind == RoleKind::ClusterRole
            && other.key != self.key
            && self.aggregation.as_ref().is_some_and(|selectors| {
                selectors
                    .iter()
                    // an empty selector in clusterRoleSelectors selects nothing useful; the
                    // controller skips it (it would aggregate every role)
                    .any(|s| !s.is_empty() && s.matches(|k| other.label(k)))
            })
    }
}

/// A subject of a binding, or the identity a query asks about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind")]
pub enum Subject {
    User { name: String },
    Group { name: String },
    ServiceAccount { namespace: String, name: String },
}

impl Subject {
    pub fn user(name: &str) -> Subject {
        Subject::User { name: name.into() }
    }

    pub fn group(name: &str) -> Subject {
        Subject::Group { name: name.into() }
    }

    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject::ServiceAccount {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Parses `system:serviceaccount:NS:NAME`, `serviceaccount:NS/NAME`, `user:NAME` or
    /// `group:NAME` (the `--as` argument of `can-i`).
    pub fn parse(text: &str) -> Result<Subject, String> {
        let bad = || {
            format!(
                "{text:?} is not a subject: use system:serviceaccount:NAMESPACE:NAME, user:NAME or group:NAME"
            )
        };
        if let Some(rest) = text.strip_prefix("system:serviceaccount:") {
            let (ns, name) = rest.split_once(':').ok_or_else(bad)?;
            if ns.is_empty() || name.is_empty() || name.contains(':') {
                return Err(bad());
            }
            return Ok(Subject::service_account(ns, name));
        }
        if let Some(rest) = text.strip_prefix("serviceaccount:") {
            let (ns, name) = rest.split_once('/').ok_or_else(bad)?;
            if ns.is_empty() || name.is_empty() {
                return Err(bad());
            }
            return Ok(Subject::service_account(ns, name));
        }
        if let Some(name) = text.strip_prefix("user:").filter(|n| !n.is_empty()) {
            return Ok(Subject::user(name));
        }
        if let Some(name) = text.strip_prefix("group:").filter(|n| !n.is_empty()) {
            return Ok(Subject::group(name));
        }
        Err(bad())
    }

    /// `ServiceAccount shop/web`, `User alice`, `Group devs`.
    pub fn display(&self) -> String {
        match self {
            Subject::User { name } => format!("User {name}"),
            Subject::Group { name } => format!("Group {name}"),
            Subject::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
        }
    }

    /// The groups an identity is in without being named in them: every service account is
    /// in `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`;
    /// every user but `system:anonymous` is authenticated; a member of a group other than
    /// `system:unauthenticated` is authenticated too.
    pub fn implicit_groups(&self) -> Vec<String> {
        match self {
            Subject::ServiceAccount { namespace, .. } => vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
            Subject::User { name } if name == "system:anonymous" => {
                vec!["system:unauthenticated".into()]
            }
            Subject::User { .. } => vec!["system:authenticated".into()],
            Subject::Group { name } if name == "system:unauthenticated" => vec![],
            Subject::Group { name } if name.starts_with("system:serviceaccounts:") => {
                vec![
                    "system:serviceaccounts".into(),
                    "system:authenticated".into(),
                ]
            }
            Subject::Group { .. } => vec!["system:authenticated".into()],
        }
    }

    /// Whether the binding subject `self` applies to the identity `who`.
    pub fn covers(&self, who: &Subject) -> bool {
        if self == who {
            return true;
        }
        match self {
            Subject::Group { name } => who.implicit_groups().iter().any(|g| g == name),
            // a service account's user name is system:serviceaccount:<ns>:<name>
            Subject::User { name } => match who {
                Subject::ServiceAccount {
                    namespace,
                    name: sa,
                } => *name == format!("system:serviceaccount:{namespace}:{sa}"),
                _ => false,
            },
            Subject::ServiceAccount { .. } => false,
        }
    }
}

/// A RoleBinding or ClusterRoleBinding: of the input, or one of Kubernetes' defaults.
#[derive(Clone, Debug)]
pub struct Binding {
    pub kind: BindingKind,
    /// The namespace of a RoleBinding.
    pub namespace: Option<String>,
    pub name: String,
    pub object: Option<ObjectId>,
    /// The role it binds (a RoleBinding's `Role` is in the binding's namespace).
    pub role: RoleKey,
    /// Subjects with their index in `subjects` (a ServiceAccount without namespace is in
    /// the binding's namespace; subjects that name nobody are left out).
    pub subjects: Vec<(usize, Subject)>,
}

impl Binding {
    pub fn is_default(&self) -> bool {
        self.object.is_none()
    }

    /// `ClusterRoleBinding/x`, `RoleBinding/ns/x`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind.as_str(), self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_subjects() {
        assert_eq!(
            Subject::parse("system:serviceaccount:shop:web"),
            Ok(Subject::service_account("shop", "web"))
        );
        assert_eq!(
            Subject::parse("serviceaccount:shop/web"),
            Ok(Subject::service_account("shop", "web"))
        );
        assert_eq!(Subject::parse("user:alice"), Ok(Subject::user("alice")));
        assert_eq!(Subject::parse("group:devs"), Ok(Subject::group("devs")));
        for bad in ["alice", "user:", "system:serviceaccount:shop", "group:", ""] {
            assert!(Subject::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn implicit_groups() {
        let sa = Subject::service_account("shop", "web");
        assert!(Subject::group("system:serviceaccounts").covers(&sa));
        assert!(Subject::group("system:serviceaccounts:shop").covers(&sa));
        assert!(!Subject::group("system:serviceaccounts:other").covers(&sa));
        assert!(Subject::group("system:authenticated").covers(&sa));
        assert!(!Subject::group("system:unauthenticated").covers(&sa));
        assert!(Subject::user("system:serviceaccount:shop:web").covers(&sa));
        assert!(!Subject::user("web").covers(&sa));
        assert!(!Subject::service_account("other", "web").covers(&sa));
        let alice = Subject::user("alice");
        assert!(Subject::group("system:authenticated").covers(&alice));
        assert!(!Subject::group("system:serviceaccounts").covers(&alice));
        let anon = Subject::user("system:anonymous");
        assert!(!Subject::group("system:authenticated").covers(&anon));
        assert!(Subject::group("system:unauthenticated").covers(&anon));
        assert!(Subject::group("system:authenticated").covers(&Subject::group("devs")));
    }
}
