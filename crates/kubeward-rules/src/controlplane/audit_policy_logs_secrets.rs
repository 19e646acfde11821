use super::audit::{matching_rules, policies, Level};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reads an audit `Policy` (`audit.k8s.io/v1`) and reports every rule that records
    /// `secrets`, `configmaps` (core group) or `tokenreviews` (`authentication.k8s.io`) at
    /// level `Request` or `RequestResponse`, before a rule that decides those resources for
    /// every request at a lower level (first match wins, as in the API server). A rule that
    /// omits every stage records nothing and is left alone; rules limited to some users or
    /// verbs still leak for those and are reported.
    ///
    /// ## Why it matters
    /// At `Request` level the audit log holds the body of every write (a Secret's data, the
    /// token of a TokenReview); at `RequestResponse` also every read. The log is then a copy
    /// of every credential of the cluster, kept for weeks, shipped to a log platform that
    /// many more people can read than can read Secrets.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: RequestResponse
    /// ```
    ///
    /// ## Fix
    /// Put a rule that logs `secrets`, `configmaps` and `tokenreviews` at `Metadata` before
    /// the detailed rules:
    /// `- level: Metadata` with `resources: [{group: "", resources: [secrets, configmaps]},
    /// {group: authentication.k8s.io, resources: [tokenreviews]}]`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 3.2.2 "Ensure that the audit policy covers key security concerns"
    /// - Kubernetes documentation: "Auditing" (audit policy: "log Secret changes at Metadata level")
    /// - MITRE ATT&CK: T1552 Unsecured Credentials
    pub struct AuditPolicyLogsSecrets {
        name: "audit-policy-logs-secrets",
        domain: ControlPlane,
        severity: High,
        summary: "Audit policy writes Secret or token contents to the audit log",
    }
}

/// Resources whose request or response bodies hold credentials.
const SENSITIVE: &[(&str, &str)] = &[
    ("", "secrets"),
    ("", "configmaps"),
    ("authentication.k8s.io", "tokenreviews"),
];

/// The verbs whose bodies carry the values.
const VERBS: &[&str] = &["get", "list", "watch", "create", "update", "patch"];

impl Rule for AuditPolicyLogsSecrets {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for policy in policies(cx) {
            // rule index -> the resources it leaks
            let mut leaks: Vec<(usize, Level, Vec<&str>)> = Vec::new();
            for (group, resource) in SENSITIVE {
                for r in matching_rules(policy, group, resource) {
                    let touches = r.verbs.is_empty() || r.verbs.iter().any(|v| VERBS.contains(v));
                    if !touches {
                        continue;
                    }
                    if r.level >= Level::Request && !r.silent {
                        match leaks.iter_mut().find(|l| l.0 == r.index) {
                            Some(l) => l.2.push(resource),
                            None => leaks.push((r.index, r.level, vec![resource])),
                        }
                    }
                    // a rule for every request decides: the later ones are never reached
                    if !r.conditional && r.verbs.is_empty() {
                        break;
                    }
                }
            }
            leaks.sort_by_key(|l| l.0);
            for (index, level, resources) in leaks {
                let what = if level == Level::RequestResponse {
                    "request and response bodies"
                } else {
                    "request bodies"
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    policy,
                    &FieldPath::root().key("rules").index(index).key("level"),
                    format!(
                        "audit Policy {} rule {index} records {} at level {}: their {what} (credentials) are written to the audit log",
                        policy.oref.name,
                        resources.join(", "),
                        level.as_str()
                    ),
                    "Log secrets, configmaps and tokenreviews at Metadata in a rule placed before this one.",
                ));
            }
        }
    }
}
