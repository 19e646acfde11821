use super::common::{finding, is_windows, label};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::Node;

declare_rule! {
    /// A container adds a dangerous Linux capability.
    ///
    /// ## What it does
    /// Reports every entry of `securityContext.capabilities.add` (init, regular and ephemeral
    /// containers) that names a capability useful to an attacker. Names are compared
    /// case-insensitively, with or without the `CAP_` prefix (`cap_sys_admin` is `SYS_ADMIN`).
    /// Critical for `SYS_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `DAC_READ_SEARCH`, `BPF` and `ALL`,
    /// which alone lead to a node escape or host-wide data access; high for `NET_ADMIN`, `NET_RAW`,
    /// `DAC_OVERRIDE`, `SETUID`, `SETGID`, `SETPCAP`, `SETFCAP`, `SYS_CHROOT`, `SYS_RAWIO`, `SYS_BOOT`,
    /// `SYS_TIME`, `MKNOD`, `PERFMON`, `SYSLOG`, `MAC_ADMIN`, `MAC_OVERRIDE`, `LINUX_IMMUTABLE`,
    /// `AUDIT_CONTROL` and `CHECKPOINT_RESTORE`. Windows pods are skipped. The Pod Security rules
    /// report non-default capabilities as a policy matter; this rule ranks them by what they give an
    /// attacker.
    ///
    /// ## Why it matters
    /// `SYS_ADMIN` allows mounting filesystems and the cgroup `release_agent` escape; `SYS_MODULE`
    /// loads kernel modules (kernel code execution); `SYS_PTRACE` injects into other processes, on the
    /// host too when combined with `hostPID`; `DAC_READ_SEARCH` enables the `open_by_handle_at`
    /// ("shocker") read of any host file; `BPF` and `PERFMON` load programs that read kernel memory;
    /// `NET_ADMIN` and `NET_RAW` allow traffic interception and spoofing (ARP/DNS poisoning) on the
    /// node network; `SETUID`/`SETGID`/`SETFCAP` undo a non-root user.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: tool}
    /// spec:
    ///   containers:
    ///   - name: tool
    ///     image: tool:1.0
    ///     securityContext:
    ///       capabilities: {add: [CAP_SYS_ADMIN, net_raw]}
    /// ```
    ///
    /// ## Fix
    /// Drop `ALL` and add back only what the process needs (commonly nothing, or `NET_BIND_SERVICE`
    /// to bind ports below 1024). Move node-level tasks that truly need these capabilities to a
    /// reviewed, isolated DaemonSet.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.2.8 "Minimize the admission of containers with the NET_RAW capability"
    /// - CIS Kubernetes Benchmark v1.10 5.2.9 "Minimize the admission of containers with added capabilities"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security: Linux capabilities"
    /// - MITRE ATT&CK for containers: T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation), T1557 (Adversary-in-the-Middle)
    /// - KubeHound: `CE_PRIV_MOUNT`, `CE_MODULE_LOAD`, `CE_SYS_PTRACE`
    /// - kube-linter: `drop-net-raw-capability`; Checkov: `CKV_K8S_28` (NET_RAW), `CKV_K8S_39` (SYS_ADMIN)
    pub struct DangerousCapabilities {
        name: "dangerous-capabilities",
        domain: Workload,
        severity: High,
        summary: "Container adds a dangerous Linux capability (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...)",
    }
}

/// (capability without `CAP_`, critical, what it gives an attacker).
const DANGEROUS: &[(&str, bool, &str)] = &[
    (
        "ALL",
        true,
        "every capability, equivalent to root on the node in most escapes",
    ),
    (
        "SYS_ADMIN",
        true,
        "mount, namespaces and cgroup release_agent: a known container escape",
    ),
    (
        "SYS_MODULE",
        true,
        "loading kernel modules: code execution in the host kernel",
    ),
    (
        "SYS_PTRACE",
        true,
        "tracing and injecting code into other processes",
    ),
    (
        "DAC_READ_SEARCH",
        true,
        "open_by_handle_at, which reads any file of the host filesystem",
    ),
    (
        "BPF",
        true,
        "loading eBPF programs that can read kernel memory and tamper with traffic",
    ),
    (
        "NET_ADMIN",
        false,
        "reconfiguring interfaces, routes and firewall rules to intercept traffic",
    ),
    (
        "NET_RAW",
        false,
        "raw packets: ARP and DNS spoofing on the node network",
    ),
    ("DAC_OVERRIDE", false, "bypassing file permission checks"),
    ("SETUID", false, "switching to any user ID, including root"),
    ("SETGID", false, "switching to any group ID, including root"),
    ("SETPCAP", false, "changing process capability sets"),
    ("SETFCAP", false, "granting file capabilities to binaries"),
    (
        "SYS_CHROOT",
        false,
        "chroot, a building block of escapes from weak confinement",
    ),
    ("SYS_RAWIO", false, "raw I/O ports and device memory access"),
    ("SYS_BOOT", false, "rebooting the node"),
    (
        "SYS_TIME",
        false,
        "setting the node's clock (breaks certificate and token validity)",
    ),
    (
        "MKNOD",
        false,
        "creating device files that reach host devices",
    ),
    (
        "PERFMON",
        false,
        "performance monitoring that can leak kernel and other processes' data",
    ),
    ("SYSLOG", false, "reading kernel logs with kernel addresses"),
    (
        "MAC_ADMIN",
        false,
        "changing the mandatory access control (AppArmor, SELinux) policy",
    ),
    ("MAC_OVERRIDE", false, "bypassing mandatory access control"),
    (
        "LINUX_IMMUTABLE",
        false,
        "changing immutable and append-only file flags (log tampering)",
    ),
    ("AUDIT_CONTROL", false, "disabling kernel auditing"),
    (
        "CHECKPOINT_RESTORE",
        false,
        "checkpointing and restoring processes, reading their state",
    ),
];

/// The entry of a capability name, compared case-insensitively with or without `CAP_`.
fn lookup(name: &str) -> Option<&'static (&'static str, bool, &'static str)> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    DANGEROUS.iter().find(|(n, _, _)| *n == bare)
}

impl Rule for DangerousCapabilities {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if is_windows(t) {
                continue;
            }
            for c in t.containers() {
                let added = c
                    .security_context()
                    .at(&["capabilities", "add"])
                    .map(Node::items)
                    .unwrap_or(&[]);
                for (i, cap) in added.iter().enumerate() {
                    let Some(name) = cap.as_str() else { continue };
                    let Some(&(canonical, critical, why)) = lookup(name) else {
                        continue;
                    };
                    let who = label(&c);
                    out.push(finding(
                        &Self::META,
                        if critical { Severity::Critical } else { Severity::High },
                        cx,
                        t,
                        &c.rel_path().key("securityContext").key("capabilities").key("add").index(i),
                        format!("{who} adds capability {name}: {why}"),
                        format!(
                            "remove {canonical} from securityContext.capabilities.add of {who}; drop ALL and add back only what the process needs"
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lookup;

    #[test]
    fn names() {
        assert_eq!(lookup("CAP_SYS_ADMIN").map(|e| e.0), Some("SYS_ADMIN"));
        assert_eq!(lookup("sys_admin").map(|e| e.0), Some("SYS_ADMIN"));
        assert_eq!(
            lookup("cap_net_raw").map(|e| (e.0, e.1)),
            Some(("NET_RAW", false))
        );
        assert_eq!(lookup("all").map(|e| e.1), Some(true));
        assert!(lookup("NET_BIND_SERVICE").is_none());
        assert!(lookup("CHOWN").is_none());
    }
}
