use super::etcd_tls::{check, Side};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads the `etcd` command line of a static pod and reports its client side:
    /// - no `--cert-file`/`--key-file` (etcd serves clients in plain HTTP unless
    ///   `--auto-tls`): critical;
    /// - `--client-cert-auth` not `true` (any client that reaches the port reads and writes
    ///   every key): critical;
    /// - `--auto-tls=true` (a self-signed certificate nobody can verify): medium.
    ///
    /// The peer side is `etcd-peer-tls`.
    ///
    /// ## Why it matters
    /// etcd holds the whole cluster state, every Secret included. Whoever talks to it
    /// bypasses the API server's authentication, authorisation, admission and audit: a write
    /// can create a privileged pod or a cluster-admin binding unseen.
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
    ///     command: [etcd, --listen-client-urls=http://0.0.0.0:2379]
    /// ```
    ///
    /// ## Fix
    /// `--cert-file`, `--key-file`, `--trusted-ca-file` and `--client-cert-auth=true`
    /// (kubeadm's defaults, with `/etc/kubernetes/pki/etcd/`), and no `--auto-tls`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 2.1 "Ensure that the --cert-file and --key-file arguments are set as appropriate"
    /// - CIS Kubernetes Benchmark v1.10 2.2 "Ensure that the --client-cert-auth argument is set to true"
    /// - CIS Kubernetes Benchmark v1.10 2.3 "Ensure that the --auto-tls argument is not set to true"
    /// - etcd documentation: "Transport security model"
    pub struct EtcdClientTls {
        name: "etcd-client-tls",
        domain: ControlPlane,
        severity: Critical,
        summary: "etcd serves clients without TLS or without client certificates",
    }
}

impl Rule for EtcdClientTls {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            Self::META.name,
            &Side {
                prefix: "",
                severity: Severity::Critical,
                no_certificate: "has no --cert-file/--key-file: clients are served without verifiable TLS",
                no_authentication: "does not set --client-cert-auth to true: any client that reaches it reads and writes every key",
                auto_tls: "sets --auto-tls=true: self-signed certificates",
                remediation: "Set --cert-file, --key-file, --trusted-ca-file and set --client-cert-auth to true; remove --auto-tls.",
            },
            cx,
            out,
        );
    }
}
