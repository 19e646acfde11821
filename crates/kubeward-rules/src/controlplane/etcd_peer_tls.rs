use super::etcd_tls::{check, Side};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads the `etcd` command line of a static pod and reports its peer side (the
    /// replication between etcd members):
    /// - no `--peer-cert-file`/`--peer-key-file`: high;
    /// - `--peer-client-cert-auth` not `true`: high;
    /// - `--peer-auto-tls=true`: medium.
    ///
    /// ## Why it matters
    /// A peer that is not authenticated can join the cluster and receive every write,
    /// Secrets included; replication in clear text shows them to anyone on the path.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: etcd, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     image: registry.k8s.io/etcd:3.5.15-0
    ///     command: [etcd, --peer-auto-tls=true]
    /// ```
    ///
    /// ## Fix
    /// `--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file` and
    /// `--peer-client-cert-auth=true` (kubeadm's defaults); no `--peer-auto-tls`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 2.4 "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate"
    /// - CIS Kubernetes Benchmark v1.10 2.5 "Ensure that the --peer-client-cert-auth argument is set to true"
    /// - CIS Kubernetes Benchmark v1.10 2.6 "Ensure that the --peer-auto-tls argument is not set to true"
    pub struct EtcdPeerTls {
        name: "etcd-peer-tls",
        domain: ControlPlane,
        severity: High,
        summary: "etcd members replicate without TLS or without peer certificates",
    }
}

impl Rule for EtcdPeerTls {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            Self::META.name,
            &Side {
                prefix: "peer-",
                severity: Severity::High,
                no_certificate: "has no --peer-cert-file/--peer-key-file",
                no_authentication: "does not set --peer-client-cert-auth to true: any peer may join",
                auto_tls: "sets --peer-auto-tls=true: self-signed peer certificates",
                remediation: "Set --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and set --peer-client-cert-auth to true; remove --peer-auto-tls.",
            },
            cx,
            out,
        );
    }
}
