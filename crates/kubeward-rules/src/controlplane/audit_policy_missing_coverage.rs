use super::audit::{level_for_everyone, matching_rules, policies, Level};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reads an audit `Policy` (`audit.k8s.io/v1`) and reports the security-relevant requests
    /// it does not record for every user: `create` on `pods/exec`, `pods/attach`,
    /// `pods/portforward` and `pods/ephemeralcontainers` (`patch`/`update`), and
    /// `create`, `update`, `patch`, `delete` on `roles`, `rolebindings`, `clusterroles`,
    /// `clusterrolebindings` (`rbac.authorization.k8s.io`). A request is recorded when the
    /// first rule that matches it for every user (first match wins; rules limited to some
    /// users, groups or namespaces do not count) has a level above `None` and does not omit
    /// every stage.
    ///
    /// ## Why it matters
    /// `kubectl exec` into a pod and a new ClusterRoleBinding are the two steps of most
    /// intrusions into a cluster; without them in the audit log nobody can tell who took them,
    /// or even that they happened.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: None
    ///   resources: [{group: "", resources: ["pods/exec", "pods/attach"]}]
    /// - level: Metadata
    ///   resources: [{group: ""}]
    /// ```
    ///
    /// ## Fix
    /// Add, before any `None` rule that covers them:
    /// `- level: Metadata` with `resources: [{group: "", resources: ["pods/exec", "pods/attach",
    /// "pods/portforward", "pods/ephemeralcontainers"]}, {group: rbac.authorization.k8s.io}]`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 3.2.2 "Ensure that the audit policy covers key security concerns"
    /// - Kubernetes documentation: "Auditing"
    /// - MITRE ATT&CK for Containers: T1609 Container Administration Command; T1098 Account Manipulation
    pub struct AuditPolicyMissingCoverage {
        name: "audit-policy-missing-coverage",
        domain: ControlPlane,
        severity: Medium,
        summary: "Audit policy does not record exec, attach or RBAC changes",
    }
}

/// (group, resource, verbs) of the requests every policy must record.
const REQUIRED: &[(&str, &str, &[&str])] = &[
    ("", "pods/exec", &["create"]),
    ("", "pods/attach", &["create"]),
    ("", "pods/portforward", &["create"]),
    ("", "pods/ephemeralcontainers", &["patch", "update"]),
    (
        "rbac.authorization.k8s.io",
        "roles",
        &["create", "update", "patch", "delete"],
    ),
    (
        "rbac.authorization.k8s.io",
        "rolebindings",
        &["create", "update", "patch", "delete"],
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterroles",
        &["create", "update", "patch", "delete"],
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        &["create", "update", "patch", "delete"],
    ),
];

impl Rule for AuditPolicyMissingCoverage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for policy in policies(cx) {
            let mut missing: Vec<String> = Vec::new();
            let mut first_rule: Option<usize> = None;
            for (group, resource, verbs) in REQUIRED {
                let rules = matching_rules(policy, group, resource);
                let silent: Vec<&str> = verbs
                    .iter()
                    .copied()
                    .filter(|v| {
                        let (level, by) = level_for_everyone(&rules, v);
                        if level == Level::None {
                            if let Some(i) = by {
                                first_rule = Some(first_rule.map_or(i, |f: usize| f.min(i)));
                            }
                            true
                        } else {
                            false
                        }
                    })
                    .collect();
                if !silent.is_empty() {
                    missing.push(format!("{} {resource}", silent.join("/")));
                }
            }
            if missing.is_empty() {
                continue;
            }
            let path = match first_rule {
                Some(i) => FieldPath::root().key("rules").index(i),
                None => policy.root.existing_prefix(&FieldPath::root().key("rules")),
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                policy,
                &path,
                format!(
                    "audit Policy {} does not record {} for every user",
                    policy.oref.name,
                    crate::finding::bounded_list(&missing)
                ),
                "Record pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers and every change in rbac.authorization.k8s.io at Metadata or above, before any None rule that covers them.",
            ));
        }
    }
}
