//! Kubernetes' built-in ClusterRoles and ClusterRoleBindings (the API server's bootstrap RBAC
//! policy), written as data: the ones that matter for what a subject can reach. The API
//! server (re)creates them at start-up, so a manifest set that binds `edit` or relies on
//! `system:authenticated` being able to discover the API is judged with them.
//!
//! Left out: `system:node` (nodes are authorised by the Node authorizer, its binding has no
//! subjects) and controller roles that grant nothing an attacker could use.

use crate::rule::PolicyRule;

/// `get`, `list`, `watch`.
const READ: &[&str] = &["get", "list", "watch"];
/// `create`, `update`, `patch`, `delete`, `deletecollection`.
const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
/// [`READ`] and [`WRITE`].
const READ_WRITE: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

const RBAC: &str = "rbac.authorization.k8s.io";

/// One rule of a default role: groups, resources, verbs, resourceNames, nonResourceURLs.
type R = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// A default ClusterRole.
pub struct DefaultRole {
    pub name: &'static str,
    /// Labels (`aggregate-to-*`).
    pub labels: &'static [(&'static str, &'static str)],
    /// `aggregationRule.clusterRoleSelectors`, each one `matchLabels` with one label = "true".
    pub aggregate_from: &'static [&'static str],
    rules: &'static [R],
}

impl DefaultRole {
    /// Its rules.
    pub fn rules(&self) -> Vec<PolicyRule> {
        self.rules
            .iter()
            .map(|(groups, resources, verbs, names, urls)| {
                if urls.is_empty() {
                    PolicyRule::resource(groups, resources, verbs).named(names)
                } else {
                    PolicyRule::urls(urls, verbs)
                }
            })
            .collect()
    }
}

/// A subject of a default binding: `User`, `Group` or `ServiceAccount` (`namespace/name`).
pub type DefaultSubject = (&'static str, &'static str);

/// A default ClusterRoleBinding: name, ClusterRole, subjects.
pub struct DefaultBinding {
    pub name: &'static str,
    pub role: &'static str,
    pub subjects: &'static [DefaultSubject],
}

const fn res(
    g: &'static [&'static str],
    r: &'static [&'static str],
    v: &'static [&'static str],
) -> R {
    (g, r, v, &[], &[])
}

const fn url(u: &'static [&'static str], v: &'static [&'static str]) -> R {
    (&[], &[], v, &[], u)
}

const AGG_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGG_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// The default ClusterRoles.
pub const ROLES: &[DefaultRole] = &[
    DefaultRole {
        name: "cluster-admin",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(&["*"], &["*"], &["*"]), url(&["*"], &["*"])],
    },
    DefaultRole {
        name: "admin",
        labels: &[],
        aggregate_from: &[AGG_ADMIN],
        rules: &[],
    },
    DefaultRole {
        name: "edit",
        labels: &[(AGG_ADMIN, "true")],
        aggregate_from: &[AGG_EDIT],
        rules: &[],
    },
    DefaultRole {
        name: "view",
        labels: &[(AGG_ADMIN, "true"), (AGG_EDIT, "true")],
        aggregate_from: &[AGG_VIEW],
        rules: &[],
    },
    DefaultRole {
        name: "system:aggregate-to-admin",
        labels: &[(AGG_ADMIN, "true")],
        aggregate_from: &[],
        rules: &[
            res(
                &["authorization.k8s.io"],
                &["localsubjectaccessreviews"],
                &["create"],
            ),
            res(&[RBAC], &["roles", "rolebindings"], READ_WRITE),
        ],
    },
    DefaultRole {
        name: "system:aggregate-to-edit",
        labels: &[(AGG_EDIT, "true")],
        aggregate_from: &[],
        rules: &[
            res(
                &[""],
                &[
                    "pods/attach",
                    "pods/proxy",
                    "pods/exec",
                    "pods/portforward",
                    "secrets",
                    "services/proxy",
                ],
                READ,
            ),
            res(&[""], &["serviceaccounts"], &["impersonate"]),
            res(
                &[""],
                &[
                    "pods",
                    "pods/attach",
                    "pods/proxy",
                    "pods/exec",
                    "pods/portforward",
                ],
                WRITE,
            ),
            res(&[""], &["pods/eviction"], &["create"]),
            res(
                &[""],
                &[
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                    "persistentvolumeclaims",
                    "configmaps",
                    "secrets",
                    "events",
                ],
                WRITE,
            ),
            res(&[""], &["serviceaccounts/token"], &["create"]),
            res(
                &["apps"],
                &[
                    "statefulsets",
                    "statefulsets/scale",
                    "daemonsets",
                    "deployments",
                    "deployments/scale",
                    "deployments/rollback",
                    "replicasets",
                    "replicasets/scale",
                ],
                WRITE,
            ),
            res(&["autoscaling"], &["horizontalpodautoscalers"], WRITE),
            res(&["batch"], &["jobs", "cronjobs"], WRITE),
            res(
                &["extensions"],
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/scale",
                    "deployments/rollback",
                    "ingresses",
                    "replicasets",
                    "replicasets/scale",
                    "replicationcontrollers/scale",
                    "networkpolicies",
                ],
                WRITE,
            ),
            res(&["policy"], &["poddisruptionbudgets"], WRITE),
            res(
                &["networking.k8s.io"],
                &["networkpolicies", "ingresses"],
                WRITE,
            ),
            res(&["coordination.k8s.io"], &["leases"], READ_WRITE),
        ],
    },
    DefaultRole {
        name: "system:aggregate-to-view",
        labels: &[(AGG_VIEW, "true")],
        aggregate_from: &[],
        rules: &[
            res(
                &[""],
                &[
                    "pods",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/status",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "configmaps",
                ],
                READ,
            ),
            res(
                &[""],
                &[
                    "limitranges",
                    "resourcequotas",
                    "bindings",
                    "events",
                    "pods/status",
                    "resourcequotas/status",
                    "namespaces/status",
                    "replicationcontrollers/status",
                    "pods/log",
                ],
                READ,
            ),
            res(&[""], &["namespaces"], READ),
            res(&["discovery.k8s.io"], &["endpointslices"], READ),
            res(
                &["apps"],
                &[
                    "controllerrevisions",
                    "statefulsets",
                    "statefulsets/status",
                    "statefulsets/scale",
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/status",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/status",
                    "replicasets/scale",
                ],
                READ,
            ),
            res(
                &["autoscaling"],
                &[
                    "horizontalpodautoscalers",
                    "horizontalpodautoscalers/status",
                ],
                READ,
            ),
            res(
                &["batch"],
                &["jobs", "jobs/status", "cronjobs", "cronjobs/status"],
                READ,
            ),
            res(
                &["extensions"],
                &[
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "ingresses",
                    "ingresses/status",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "replicationcontrollers/scale",
                    "networkpolicies",
                ],
                READ,
            ),
            res(
                &["policy"],
                &["poddisruptionbudgets", "poddisruptionbudgets/status"],
                READ,
            ),
            res(
                &["networking.k8s.io"],
                &["ingresses", "ingresses/status", "networkpolicies"],
                READ,
            ),
        ],
    },
    DefaultRole {
        name: "system:discovery",
        labels: &[],
        aggregate_from: &[],
        rules: &[url(
            &[
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ],
            &["get"],
        )],
    },
    DefaultRole {
        name: "system:public-info-viewer",
        labels: &[],
        aggregate_from: &[],
        rules: &[url(
            &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            &["get"],
        )],
    },
    DefaultRole {
        name: "system:basic-user",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["authorization.k8s.io"],
                &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                &["create"],
            ),
            res(
                &["authentication.k8s.io"],
                &["selfsubjectreviews"],
                &["create"],
            ),
        ],
    },
    DefaultRole {
        name: "system:monitoring",
        labels: &[],
        aggregate_from: &[],
        rules: &[url(
            &[
                "/metrics",
                "/metrics/slis",
                "/livez",
                "/readyz",
                "/healthz",
                "/livez/*",
                "/readyz/*",
                "/healthz/*",
            ],
            &["get"],
        )],
    },
    DefaultRole {
        name: "system:node-proxier",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&[""], &["services", "endpoints"], &["list", "watch"]),
            res(&[""], &["nodes"], READ),
            res(
                &["", "events.k8s.io"],
                &["events"],
                &["create", "update", "patch"],
            ),
            res(
                &["discovery.k8s.io"],
                &["endpointslices"],
                &["list", "watch"],
            ),
        ],
    },
    DefaultRole {
        name: "system:kube-dns",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(&[""], &["endpoints", "services"], &["list", "watch"])],
    },
    DefaultRole {
        name: "system:kube-scheduler",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["", "events.k8s.io"],
                &["events"],
                &["create", "patch", "update"],
            ),
            res(&["coordination.k8s.io"], &["leases"], &["create"]),
            (
                &["coordination.k8s.io"],
                &["leases"],
                &["get", "update"],
                &["kube-scheduler"],
                &[],
            ),
            res(&[""], &["nodes"], READ),
            res(&[""], &["pods"], &["get", "list", "watch", "delete"]),
            res(&[""], &["bindings", "pods/binding"], &["create"]),
            res(&[""], &["pods/status"], &["patch", "update"]),
            res(
                &["", "apps", "policy"],
                &[
                    "replicationcontrollers",
                    "services",
                    "replicasets",
                    "statefulsets",
                    "poddisruptionbudgets",
                ],
                READ,
            ),
            res(
                &["", "storage.k8s.io"],
                &["persistentvolumeclaims", "persistentvolumes"],
                READ,
            ),
            res(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
            res(
                &["authorization.k8s.io"],
                &["subjectaccessreviews"],
                &["create"],
            ),
            res(
                &["storage.k8s.io"],
                &["csinodes", "csidrivers", "csistoragecapacities"],
                READ,
            ),
        ],
    },
    DefaultRole {
        name: "system:volume-scheduler",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &[""],
                &["persistentvolumes"],
                &["get", "list", "watch", "patch", "update"],
            ),
            res(&["storage.k8s.io"], &["storageclasses"], READ),
            res(
                &[""],
                &["persistentvolumeclaims"],
                &["get", "list", "watch", "patch", "update"],
            ),
        ],
    },
    DefaultRole {
        name: "system:kube-controller-manager",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["", "events.k8s.io"],
                &["events"],
                &["create", "patch", "update"],
            ),
            res(
                &["coordination.k8s.io"],
                &["leases"],
                &["create", "get", "update"],
            ),
            res(&[""], &["secrets", "serviceaccounts"], &["create"]),
            res(&[""], &["secrets"], &["delete"]),
            res(
                &[""],
                &["configmaps", "namespaces", "secrets", "serviceaccounts"],
                &["get"],
            ),
            res(&[""], &["secrets", "serviceaccounts"], &["update"]),
            res(&[""], &["serviceaccounts/token"], &["create"]),
            res(&["*"], &["*"], &["list", "watch"]),
            res(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
            res(
                &["authorization.k8s.io"],
                &["subjectaccessreviews"],
                &["create"],
            ),
        ],
    },
    DefaultRole {
        name: "system:kubelet-api-admin",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&[""], &["nodes"], &["get", "list", "watch", "proxy"]),
            res(
                &[""],
                &["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"],
                &["*"],
            ),
        ],
    },
    DefaultRole {
        name: "system:node-bootstrapper",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
            &["create", "get", "list", "watch"],
        )],
    },
    DefaultRole {
        name: "system:auth-delegator",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
            res(
                &["authorization.k8s.io"],
                &["subjectaccessreviews"],
                &["create"],
            ),
        ],
    },
    // controller roles, bound to the controllers' service accounts in kube-system
    DefaultRole {
        name: "system:controller:clusterrole-aggregation-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(
            &[RBAC],
            &["clusterroles"],
            &["escalate", "get", "list", "patch", "update", "watch"],
        )],
    },
    DefaultRole {
        name: "system:controller:replicaset-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["apps", "extensions"],
                &["replicasets"],
                &["get", "list", "watch", "update"],
            ),
            res(
                &[""],
                &["pods"],
                &["create", "delete", "list", "patch", "watch"],
            ),
        ],
    },
    DefaultRole {
        name: "system:controller:replication-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &[""],
                &["replicationcontrollers"],
                &["get", "list", "watch", "update"],
            ),
            res(
                &[""],
                &["pods"],
                &["create", "delete", "list", "patch", "watch"],
            ),
        ],
    },
    DefaultRole {
        name: "system:controller:daemon-set-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&["apps", "extensions"], &["daemonsets"], READ),
            res(
                &[""],
                &["pods"],
                &["create", "delete", "list", "patch", "watch"],
            ),
            res(&[""], &["pods/binding"], &["create"]),
        ],
    },
    DefaultRole {
        name: "system:controller:job-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["batch"],
                &["jobs"],
                &["get", "list", "watch", "update", "patch"],
            ),
            res(
                &[""],
                &["pods"],
                &["create", "delete", "list", "patch", "watch"],
            ),
        ],
    },
    DefaultRole {
        name: "system:controller:statefulset-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&["apps"], &["statefulsets"], READ),
            res(
                &[""],
                &["pods"],
                &["get", "create", "delete", "update", "patch"],
            ),
            res(&[""], &["persistentvolumeclaims"], &["get", "create"]),
        ],
    },
    DefaultRole {
        name: "system:controller:deployment-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["apps", "extensions"],
                &["deployments"],
                &["get", "list", "watch", "update"],
            ),
            res(
                &["apps", "extensions"],
                &["replicasets"],
                &[
                    "create", "delete", "get", "list", "patch", "update", "watch",
                ],
            ),
            res(&[""], &["pods"], &["get", "list", "watch", "update"]),
        ],
    },
    DefaultRole {
        name: "system:controller:cronjob-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["batch"],
                &["cronjobs"],
                &["get", "list", "watch", "update"],
            ),
            res(
                &["batch"],
                &["jobs"],
                &[
                    "get", "list", "watch", "create", "update", "delete", "patch",
                ],
            ),
            res(&[""], &["pods"], &["list", "delete"]),
        ],
    },
    DefaultRole {
        name: "system:controller:generic-garbage-collector",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(
            &["*"],
            &["*"],
            &["delete", "get", "list", "patch", "update", "watch"],
        )],
    },
    DefaultRole {
        name: "system:controller:namespace-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(&[""], &["namespaces"], &["get", "list", "watch", "delete"]),
            res(
                &[""],
                &["namespaces/finalize", "namespaces/status"],
                &["update"],
            ),
            res(
                &["*"],
                &["*"],
                &["get", "list", "delete", "deletecollection"],
            ),
        ],
    },
    DefaultRole {
        name: "system:controller:horizontal-pod-autoscaler",
        labels: &[],
        aggregate_from: &[],
        rules: &[
            res(
                &["autoscaling"],
                &["horizontalpodautoscalers"],
                &["get", "list", "watch"],
            ),
            res(
                &["autoscaling"],
                &["horizontalpodautoscalers/status"],
                &["update"],
            ),
            res(&["*"], &["*/scale"], &["get", "update"]),
            res(&[""], &["pods"], &["list"]),
        ],
    },
    DefaultRole {
        name: "system:controller:service-account-controller",
        labels: &[],
        aggregate_from: &[],
        rules: &[res(&[""], &["serviceaccounts"], &["create"])],
    },
];

/// The default ClusterRoleBindings.
pub const BINDINGS: &[DefaultBinding] = &[
    DefaultBinding {
        name: "cluster-admin",
        role: "cluster-admin",
        subjects: &[("Group", "system:masters")],
    },
    DefaultBinding {
        name: "system:discovery",
        role: "system:discovery",
        subjects: &[("Group", "system:authenticated")],
    },
    DefaultBinding {
        name: "system:basic-user",
        role: "system:basic-user",
        subjects: &[("Group", "system:authenticated")],
    },
    DefaultBinding {
        name: "system:public-info-viewer",
        role: "system:public-info-viewer",
        subjects: &[
            ("Group", "system:authenticated"),
            ("Group", "system:unauthenticated"),
        ],
    },
    DefaultBinding {
        name: "system:monitoring",
        role: "system:monitoring",
        subjects: &[("Group", "system:monitoring")],
    },
    DefaultBinding {
        name: "system:node-proxier",
        role: "system:node-proxier",
        subjects: &[("User", "system:kube-proxy")],
    },
    DefaultBinding {
        name: "system:kube-dns",
        role: "system:kube-dns",
        subjects: &[("ServiceAccount", "kube-system/kube-dns")],
    },
    DefaultBinding {
        name: "system:kube-scheduler",
        role: "system:kube-scheduler",
        subjects: &[("User", "system:kube-scheduler")],
    },
    DefaultBinding {
        name: "system:volume-scheduler",
        role: "system:volume-scheduler",
        subjects: &[("User", "system:kube-scheduler")],
    },
    DefaultBinding {
        name: "system:kube-controller-manager",
        role: "system:kube-controller-manager",
        subjects: &[("User", "system:kube-controller-manager")],
    },
    DefaultBinding {
        name: "system:controller:clusterrole-aggregation-controller",
        role: "system:controller:clusterrole-aggregation-controller",
        subjects: &[(
            "ServiceAccount",
            "kube-system/clusterrole-aggregation-controller",
        )],
    },
    DefaultBinding {
        name: "system:controller:replicaset-controller",
        role: "system:controller:replicaset-controller",
        subjects: &[("ServiceAccount", "kube-system/replicaset-controller")],
    },
    DefaultBinding {
        name: "system:controller:replication-controller",
        role: "system:controller:replication-controller",
        subjects: &[("ServiceAccount", "kube-system/replication-controller")],
    },
    DefaultBinding {
        name: "system:controller:daemon-set-controller",
        role: "system:controller:daemon-set-controller",
        subjects: &[("ServiceAccount", "kube-system/daemon-set-controller")],
    },
    DefaultBinding {
        name: "system:controller:job-controller",
        role: "system:controller:job-controller",
        subjects: &[("ServiceAccount", "kube-system/job-controller")],
    },
    DefaultBinding {
        name: "system:controller:statefulset-controller",
        role: "system:controller:statefulset-controller",
        subjects: &[("ServiceAccount", "kube-system/statefulset-controller")],
    },
    DefaultBinding {
        name: "system:controller:deployment-controller",
        role: "system:controller:deployment-controller",
        subjects: &[("ServiceAccount", "kube-system/deployment-controller")],
    },
    DefaultBinding {
        name: "system:controller:cronjob-controller",
        role: "system:controller:cronjob-controller",
        subjects: &[("ServiceAccount", "kube-system/cronjob-controller")],
    },
    DefaultBinding {
        name: "system:controller:generic-garbage-collector",
        role: "system:controller:generic-garbage-collector",
        subjects: &[("ServiceAccount", "kube-system/generic-garbage-collector")],
    },
    DefaultBinding {
        name: "system:controller:namespace-controller",
        role: "system:controller:namespace-controller",
        subjects: &[("ServiceAccount", "kube-system/namespace-controller")],
    },
    DefaultBinding {
        name: "system:controller:horizontal-pod-autoscaler",
        role: "system:controller:horizontal-pod-autoscaler",
        subjects: &[("ServiceAccount", "kube-system/horizontal-pod-autoscaler")],
    },
    DefaultBinding {
        name: "system:controller:service-account-controller",
        role: "system:controller:service-account-controller",
        subjects: &[("ServiceAccount", "kube-system/service-account-controller")],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_binding_names_a_default_role() {
        for b in BINDINGS {
            assert!(ROLES.iter().any(|r| r.name == b.role), "{}", b.name);
        }
        let mut names: Vec<&str> = ROLES.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROLES.len());
    }
}
