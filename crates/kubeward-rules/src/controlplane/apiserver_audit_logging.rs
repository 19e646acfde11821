use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads the audit flags of the `kube-apiserver` command line and reports:
    /// - no audit backend (`--audit-log-path` or `--audit-webhook-config-file`): medium;
    /// - no `--audit-policy-file`: medium (without a policy nothing is recorded);
    /// - with a log file, `--audit-log-maxage` below 30 days, `--audit-log-maxbackup` below 10
    ///   files or `--audit-log-maxsize` below 100 MB (unset means no limit on age and count,
    ///   which is kept): low.
    ///
    /// The policy itself is judged by `audit-policy-logs-secrets` and
    /// `audit-policy-missing-coverage` when its file is in the input.
    ///
    /// ## Why it matters
    /// The audit log is the only record of who read which Secret, who exec'd into which pod
    /// and who bound which role. Without it an intrusion cannot be traced or even noticed;
    /// with too short a retention the trace is gone before anyone looks.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command: [kube-apiserver, --audit-log-path=/var/log/kubernetes/audit.log, --audit-log-maxage=7]
    /// ```
    ///
    /// ## Fix
    /// `--audit-policy-file=/etc/kubernetes/audit-policy.yaml`,
    /// `--audit-log-path=/var/log/kubernetes/audit/audit.log`, `--audit-log-maxage=30`,
    /// `--audit-log-maxbackup=10`, `--audit-log-maxsize=100` (mount both paths into the static
    /// pod), or ship events with `--audit-webhook-config-file`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.16 "Ensure that the --audit-log-path argument is set"
    /// - CIS Kubernetes Benchmark v1.10 1.2.17 "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate"
    /// - CIS Kubernetes Benchmark v1.10 1.2.18 "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate"
    /// - CIS Kubernetes Benchmark v1.10 1.2.19 "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate"
    /// - CIS Kubernetes Benchmark v1.10 3.2.1 "Ensure that a minimal audit policy is created"
    /// - Kubernetes documentation: "Auditing"
    pub struct ApiserverAuditLogging {
        name: "apiserver-audit-logging",
        domain: ControlPlane,
        severity: Medium,
        summary: "API server does not audit, or keeps its audit log too briefly",
    }
}

impl Rule for ApiserverAuditLogging {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            let mut problems: Vec<(Severity, &str, String)> = Vec::new();
            let log = inv.is_set("audit-log-path");
            if !log && !inv.is_set("audit-webhook-config-file") {
                problems.push((
                    Severity::Medium,
                    "audit-log-path",
                    "writes no audit log (no --audit-log-path or --audit-webhook-config-file)"
                        .into(),
                ));
            }
            if !inv.is_set("audit-policy-file") {
                problems.push((
                    Severity::Medium,
                    "audit-policy-file",
                    "has no --audit-policy-file: no event is recorded".into(),
                ));
            }
            if log && inv.value("audit-log-path") != Some("-") {
                for (flag, min, unit) in [
                    ("audit-log-maxage", 30, "days"),
                    ("audit-log-maxbackup", 10, "files"),
                    ("audit-log-maxsize", 100, "MB"),
                ] {
                    let Some(v) = inv.value(flag) else { continue };
                    match v.trim().parse::<i64>() {
                        // 0 means no limit for maxage and maxbackup
                        Ok(0) if flag != "audit-log-maxsize" => {}
                        Ok(n) if n < min => problems.push((
                            Severity::Low,
                            flag,
                            format!("keeps --{flag}={n} (below {min} {unit})"),
                        )),
                        Ok(_) => {}
                        Err(_) => problems.push((
                            Severity::Low,
                            flag,
                            format!("has --{flag} {:?}, not a number", super::flags::clip(v)),
                        )),
                    }
                }
            }
            let Some(severity) = problems.iter().map(|p| p.0).max() else {
                continue;
            };
            let first = problems
                .iter()
                .find(|p| p.0 == severity)
                .map_or("", |p| p.1);
            let text: Vec<&str> = problems.iter().map(|p| p.2.as_str()).collect();
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                inv.object,
                &inv.path_of(first),
                format!("{} {}", inv.describe(), text.join("; ")),
                "Set --audit-policy-file and --audit-log-path (or --audit-webhook-config-file), with --audit-log-maxage=30, --audit-log-maxbackup=10 and --audit-log-maxsize=100.",
            ));
        }
    }
}
