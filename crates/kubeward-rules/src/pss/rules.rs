//! One rule per Pod Security check, and the driver that decides at which level and version a
//! pod template is judged (namespace labels or the configured default).

use super::admission::cluster_pod_security;
use super::checks::Pod;
use super::namespace::{policy_from_labels_with, LevelVersion, Mode, NamespacePolicy};
use super::policy::{resolve_minor, CheckId, CheckResult};
use crate::finding::{Finding, PodSecurityInfo, Severity};
use crate::rule::{Context, Level, Rule, RuleMeta};
use kubeward_model::{effective_namespace, PodTemplate};
use std::collections::HashMap;

/// The concrete change that fixes a failed check.
fn remediation(check: CheckId) -> &'static str {
    match check {
        CheckId::AppArmorProfile => "Remove the AppArmor override, or set securityContext.appArmorProfile.type to RuntimeDefault (or Localhost with a reviewed profile); for the beta annotation use runtime/default or localhost/<profile>.",
        CheckId::CapabilitiesBaseline => "Remove the listed capabilities from securityContext.capabilities.add; only the container runtime's default set may be added.",
        CheckId::HostNamespaces => "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
        CheckId::HostPathVolumes => "Replace the hostPath volume with a persistentVolumeClaim, configMap, secret or emptyDir volume.",
        CheckId::HostPorts => "Remove hostPort from the container ports (and hostNetwork, which implies it); expose the pod through a Service instead.",
        CheckId::HostProbesAndHostLifecycle => "Remove the host field from the probe or lifecycle handler: the kubelet then targets the pod's own IP.",
        CheckId::Privileged => "Remove securityContext.privileged or set it to false; grant only the specific capabilities the container needs.",
        CheckId::ProcMount | CheckId::ProcMountRestricted => "Remove securityContext.procMount or set it to Default.",
        CheckId::SeLinuxOptions => "Remove seLinuxOptions.user and seLinuxOptions.role, and set seLinuxOptions.type only to container_t, container_init_t, container_kvm_t or container_engine_t (or leave it unset).",
        CheckId::SeccompProfileBaseline => "Set securityContext.seccompProfile.type to RuntimeDefault or Localhost instead of Unconfined (before v1.19: seccomp annotation runtime/default).",
        CheckId::Sysctls => "Remove the unsafe sysctls from spec.securityContext.sysctls (only namespaced, isolated sysctls such as net.ipv4.ip_local_port_range are allowed).",
        CheckId::WindowsHostProcess => "Remove securityContext.windowsOptions.hostProcess or set it to false.",
        CheckId::AllowPrivilegeEscalation => "Set securityContext.allowPrivilegeEscalation: false in every container.",
        CheckId::CapabilitiesRestricted => "Set securityContext.capabilities.drop: [\"ALL\"] in every container and add at most NET_BIND_SERVICE.",
        CheckId::RestrictedVolumes => "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes; mount other storage through a PersistentVolumeClaim.",
        CheckId::RunAsNonRoot => "Set spec.securityContext.runAsNonRoot: true (and remove runAsNonRoot: false from containers), with an image that runs as a non-zero UID.",
        CheckId::RunAsUser => "Remove runAsUser: 0 or set a non-zero UID.",
        CheckId::SeccompProfileRestricted => "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost) for the pod, and remove Unconfined from containers.",
    }
}

/// The level and version of every mode a namespace leaves unlabelled: `--pod-security`.
pub(crate) fn default_policy(cx: &Context<'_>) -> LevelVersion {
    let (level, version) = cx.settings.pod_security;
    LevelVersion::new(level, version)
}

/// The rule that reports a check.
fn meta_of(check: CheckId) -> &'static RuleMeta {
    match check {
        CheckId::AppArmorProfile => &ApparmorProfileForbidden::META,
        CheckId::CapabilitiesBaseline => &NonDefaultCapabilities::META,
        CheckId::HostNamespaces => &HostNamespaces::META,
        CheckId::HostPathVolumes => &HostPathVolumes::META,
        CheckId::HostPorts => &HostPorts::META,
        CheckId::HostProbesAndHostLifecycle => &HostProbesAndLifecycle::META,
        CheckId::Privileged => &PrivilegedContainer::META,
        CheckId::ProcMount => &UnmaskedProcMount::META,
        CheckId::SeLinuxOptions => &SelinuxOptionsForbidden::META,
        CheckId::SeccompProfileBaseline => &SeccompProfileUnconfined::META,
        CheckId::Sysctls => &UnsafeSysctls::META,
        CheckId::WindowsHostProcess => &WindowsHostProcess::META,
        CheckId::AllowPrivilegeEscalation => &PrivilegeEscalationAllowed::META,
        CheckId::CapabilitiesRestricted => &CapabilitiesNotDropped::META,
        CheckId::ProcMountRestricted => &UnmaskedProcMountRestricted::META,
        CheckId::RestrictedVolumes => &RestrictedVolumeTypes::META,
        CheckId::RunAsNonRoot => &RunAsNonRootNotSet::META,
        CheckId::RunAsUser => &RunAsUserRoot::META,
        CheckId::SeccompProfileRestricted => &SeccompProfileNotSet::META,
    }
}

/// Capabilities that, with the host's PID namespace, reach into every process of the node.
const HOST_PID_ESCAPE_CAPS: &[&str] = &["SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE"];

/// The severity of a failed check on the scale of `docs/severity.md`:
/// - a restricted check that stands in for a baseline one at this version (capabilities,
///   procMount, volume types, seccomp) keeps the baseline rule's severity when the baseline
///   check fails too, so `restricted` does not soften an added `SYS_ADMIN` or a hostPath;
/// - `hostNamespaces` is critical when `hostPID` comes with a privileged container or one of
///   SYS_ADMIN, SYS_PTRACE, SYS_MODULE (every process of the node is then open to the pod);
/// - otherwise the rule's own severity.
fn calibrated_severity(
    check: CheckId,
    meta: &'static RuleMeta,
    pod: &Pod<'_, '_>,
    minor: u32,
) -> Severity {
    if let Some(baseline) = check.overrides(minor) {
        if baseline.run(pod, minor).is_some() {
            return meta_of(baseline).severity.max(meta.severity);
        }
    }
    if check == CheckId::HostNamespaces && pod.t.spec.bool_at("hostPID") == Some(true) {
        let escapes = pod.containers.iter().any(|c| {
            let sc = c.security_context();
            sc.bool_at("privileged") == Some(true)
                || sc
                    .at(&["capabilities", "add"])
                    .map(|a| a.items())
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|n| n.as_str())
                    .any(|cap| {
                        let upper = cap.trim().to_ascii_uppercase();
                        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
                        HOST_PID_ESCAPE_CAPS.contains(&bare)
                    })
        });
        if escapes {
            return Severity::Critical;
        }
    }
    meta.severity
}

/// `drop: [all]` (any case but `ALL`) is a common near miss: the container runtime accepts it,
/// Pod Security does not. Says so, naming the containers.
fn drop_all_case_hint(t: &PodTemplate<'_>) -> Option<String> {
    let near: Vec<String> = t
        .containers()
        .iter()
        .filter(|c| {
            let drops = c
                .security_context()
                .at(&["capabilities", "drop"])
                .map(|d| d.items())
                .unwrap_or(&[]);
            let names: Vec<&str> = drops.iter().filter_map(|n| n.as_str()).collect();
            !names.contains(&"ALL") && names.iter().any(|n| n.eq_ignore_ascii_case("all"))
        })
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    if near.is_empty() {
        return None;
    }
    Some(format!(
        "; {} {} {} \"all\" in another case: Pod Security accepts only the exact value \"ALL\"",
        if near.len() == 1 {
            "container"
        } else {
            "containers"
        },
        near.join(", "),
        if near.len() == 1 { "drops" } else { "drop" }
    ))
}

/// Runs one check over every pod template of the snapshot.
fn run_rule(cx: &Context<'_>, check: CheckId, meta: &'static RuleMeta, out: &mut Vec<Finding>) {
    // Namespace labels are parsed once per namespace, not once per template.
    let mut policies: HashMap<Option<&str>, Option<NamespacePolicy>> = HashMap::new();
    // the input's AdmissionConfiguration, when it has one, replaces --pod-security
    let cluster = cluster_pod_security(cx);
    let defaults = match &cluster {
        Some(c) => c.defaults,
        None => [default_policy(cx); 3],
    };
    for t in cx.index.pod_templates() {
        let ns = effective_namespace(t.object);
        if cluster.as_ref().is_some_and(|c| c.exempts(ns, t)) {
            continue;
        }
        let policy = policies.entry(ns).or_insert_with(|| {
            ns.and_then(|n| cx.index.namespace(n))
                .and_then(|o| {
                    policy_from_labels_with(
                        |k| o.metadata().get("labels").and_then(|l| l.str_at(k)),
                        defaults,
                    )
                })
                .or_else(|| {
                    cluster.as_ref().map(|c| NamespacePolicy {
                        enforce: c.defaults[0],
                        audit: c.defaults[1],
                        warn: c.defaults[2],
                        errors: Vec::new(),
                        enforce_labelled: false,
                    })
                })
        });
        if let Some(f) = finding_for(cx, t, check, meta, ns, policy.as_ref()) {
            out.push(f);
        }
    }
}

fn finding_for(
    cx: &Context<'_>,
    t: &PodTemplate<'_>,
    check: CheckId,
    meta: &'static RuleMeta,
    ns: Option<&str>,
    policy: Option<&NamespacePolicy>,
) -> Option<Finding> {
    let targets: Vec<(Option<Mode>, LevelVersion)> = match policy {
        Some(p) => Mode::ALL.iter().map(|m| (Some(*m), p.mode(*m))).collect(),
        None => {
            let (level, version) = cx.settings.pod_security;
            vec![(None, LevelVersion::new(level, version))]
        }
    };
    let mut pod: Option<Pod<'_, '_>> = None;
    let mut cache: Vec<(u32, Option<CheckResult>)> = Vec::new();
    // (mode, level+version, index into cache) of every mode this check fails.
    let mut violated: Vec<(Option<Mode>, LevelVersion, usize)> = Vec::new();
    for (mode, lv) in targets {
        if lv.level == Level::Privileged {
            continue;
        }
        let minor = resolve_minor(lv.version, cx.settings.kubernetes_minor);
        if !check.applies(lv.level, minor) {
            continue;
        }
        let i = match cache.iter().position(|(m, _)| *m == minor) {
            Some(i) => i,
            None => {
                let pod = pod.get_or_insert_with(|| Pod::new(t));
                cache.push((minor, check.run(pod, minor)));
                cache.len() - 1
            }
        };
        if cache[i].1.is_some() {
            violated.push((mode, lv, i));
        }
    }
    // The strictest violated mode (the first one, enforce before audit before warn, on ties).
    let (_, strictest, i) = *violated
        .iter()
        .reduce(|a, b| if b.1.level > a.1.level { b } else { a })?;
    let result = cache[i].1.as_ref()?;
    let severity = {
        let pod = pod.get_or_insert_with(|| Pod::new(t));
        calibrated_severity(check, meta, pod, cache[i].0)
    };
    let mut message = result.message();
    if check == CheckId::CapabilitiesRestricted {
        if let Some(hint) = drop_all_case_hint(t) {
            message.push_str(&hint);
        }
    }
    if let (Some(p), Some(ns)) = (policy, ns) {
        if p.enforce_labelled && violated.iter().any(|v| v.0 == Some(Mode::Enforce)) {
            let consequence = if t.is_pod() {
                "the API server rejects this pod".to_string()
            } else {
                format!("pods of this {} would be rejected", t.object.kind())
            };
            message.push_str(&format!(
                "; namespace \"{ns}\" enforces {}: {consequence}",
                p.enforce
            ));
        }
    }
    let path = result
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| t.spec_path.clone());
    let mut finding = Finding::new(
        meta.name,
        severity,
        cx.snapshot,
        t.object,
        &path,
        message,
        remediation(check),
    );
    finding.pod_security = Some(PodSecurityInfo {
        check: check.as_str().to_string(),
        level: check.level().as_str().to_string(),
        policy: format!(
            "{}:{}",
            strictest.level.as_str(),
            strictest.version.display()
        ),
        version: strictest.version.display(),
        modes: violated
            .iter()
            .filter_map(|v| v.0.map(|m| m.as_str().to_string()))
            .collect(),
    });
    Some(finding)
}

macro_rules! pss_rule {
    (
        $(#[doc = $doc:literal])*
        $ty:ident { name: $name:literal, severity: $sev:ident, summary: $summary:literal, check: $check:ident $(,)? }
    ) => {
        crate::declare_rule! {
            $(#[doc = $doc])*
            pub struct $ty {
                name: $name,
                domain: PodSecurity,
                severity: $sev,
                summary: $summary,
            }
        }
        impl Rule for $ty {
            fn meta(&self) -> &'static RuleMeta {
                &Self::META
            }
            fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
                run_rule(cx, CheckId::$check, &Self::META, out)
            }
        }
    };
}

pss_rule! {
    /// Pod Security check `privileged` (baseline): no container may run privileged.
    ///
    /// ## What it does
    /// Flags pods and workload templates where a container (init, regular or ephemeral) sets
    /// `securityContext.privileged: true`.
    ///
    /// ## Why it matters
    /// A privileged container has every capability, sees every host device and is not confined
    /// by seccomp or AppArmor: mounting the host disk or loading a kernel module is one command
    /// away, so a compromise of the container is a compromise of the node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: agent
    ///   securityContext:
    ///     privileged: true
    /// ```
    ///
    /// ## Fix
    /// Remove `privileged` (or set it to `false`) and add only the capabilities the workload
    /// needs.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Privileged Containers" (check `privileged`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.2 "Minimize the admission of privileged containers"
    /// - NSA/CISA Kubernetes Hardening Guide, "Pod security"
    /// - MITRE ATT&CK T1611 (Escape to Host); KubeHound `CE_PRIV_MOUNT`
    PrivilegedContainer { name: "privileged-container", severity: Critical, summary: "Container runs privileged", check: Privileged }
}

pss_rule! {
    /// Pod Security check `hostNamespaces` (baseline): the pod must not share the host's
    /// network, PID or IPC namespace.
    ///
    /// ## What it does
    /// Flags pods that set `hostNetwork`, `hostPID` or `hostIPC` to `true`.
    ///
    /// ## Why it matters
    /// `hostPID` lets a container see and signal (with ptrace, enter) every process on the node;
    /// `hostNetwork` bypasses NetworkPolicy and exposes node-local services such as the kubelet
    /// and cloud metadata; `hostIPC` gives access to host shared memory.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostPID: true
    ///   hostNetwork: true
    /// ```
    ///
    /// ## Fix
    /// Remove the three fields (or set them to `false`).
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Host Namespaces" (check `hostNamespaces`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.3 "Minimize the admission of containers wishing to share the host process ID namespace"
    /// - CIS Kubernetes Benchmark v1.10 5.2.4 "Minimize the admission of containers wishing to share the host IPC namespace"
    /// - CIS Kubernetes Benchmark v1.10 5.2.5 "Minimize the admission of containers wishing to share the host network namespace"
    /// - MITRE ATT&CK T1611 (Escape to Host); KubeHound `CE_NSENTER`
    HostNamespaces { name: "host-namespaces", severity: High, summary: "Pod shares host namespaces", check: HostNamespaces }
}

pss_rule! {
    /// Pod Security check `hostPathVolumes` (baseline): no `hostPath` volumes.
    ///
    /// ## What it does
    /// Flags pods that declare a `hostPath` volume. (The restricted level replaces this check
    /// with `restricted-volume-types`.)
    ///
    /// ## Why it matters
    /// A hostPath volume exposes node files to the container: the container runtime socket,
    /// kubelet credentials or `/etc` give control of the node and of every pod on it.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## Fix
    /// Use a PersistentVolumeClaim, ConfigMap, Secret or emptyDir volume instead.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "HostPath Volumes" (check `hostPathVolumes`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.12 "Minimize the admission of HostPath volumes"
    /// - MITRE ATT&CK T1611 (Escape to Host); KubeHound `EXPLOIT_HOST_READ`, `EXPLOIT_HOST_WRITE`
    HostPathVolumes { name: "host-path-volumes", severity: High, summary: "Pod mounts a hostPath volume", check: HostPathVolumes }
}

pss_rule! {
    /// Pod Security check `hostPorts` (baseline): no container port bound on the host.
    ///
    /// ## What it does
    /// Flags containers whose ports set a non-zero `hostPort` (with `hostNetwork: true` the API
    /// server sets `hostPort` to the container port, so those count too).
    ///
    /// ## Why it matters
    /// A host port exposes the pod on the node's address, outside Service and NetworkPolicy
    /// control, and ties the pod to nodes where the port is free.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    /// - containerPort: 8080
    ///   hostPort: 8080
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and expose the pod through a Service.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Host Ports" (check `hostPorts`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.13 "Minimize the admission of containers which use HostPorts"
    HostPorts { name: "host-ports", severity: Medium, summary: "Container uses a host port", check: HostPorts }
}

pss_rule! {
    /// Pod Security check `capabilities_baseline` (baseline): containers may add only the
    /// runtime's default capabilities.
    ///
    /// ## What it does
    /// Flags containers whose `securityContext.capabilities.add` lists anything outside
    /// AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP,
    /// SETGID, SETPCAP, SETUID, SYS_CHROOT. (The restricted level replaces it with
    /// `capabilities-not-dropped` from v1.22.)
    ///
    /// ## Why it matters
    /// SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN and friends are container escapes or
    /// network takeovers in one step.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// Remove the capability; redesign the workload so it does not need it.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Capabilities" (check `capabilities_baseline`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.8 "Minimize the admission of containers with the NET_RAW capability"
    /// - CIS Kubernetes Benchmark v1.10 5.2.9 "Minimize the admission of containers with added capabilities"
    /// - MITRE ATT&CK T1611; KubeHound `CE_SYS_PTRACE`, `CE_MODULE_LOAD`
    NonDefaultCapabilities { name: "non-default-capabilities", severity: High, summary: "Container adds non-default capabilities", check: CapabilitiesBaseline }
}

pss_rule! {
    /// Pod Security check `capabilities_restricted` (restricted, v1.22+): containers must drop
    /// ALL capabilities and may add back only NET_BIND_SERVICE.
    ///
    /// ## What it does
    /// Flags containers that do not list `ALL` in `securityContext.capabilities.drop`, or add any
    /// capability other than `NET_BIND_SERVICE`. Windows pods (`spec.os.name: windows`) are
    /// exempt from v1.25.
    ///
    /// ## Why it matters
    /// The default set still holds capabilities such as NET_RAW (ARP and DNS spoofing) and
    /// SETUID/SETGID; dropping everything removes them from an attacker who gets code execution.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext: {}
    /// ```
    ///
    /// ## Fix
    /// `securityContext.capabilities.drop: ["ALL"]` in every container.
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Capabilities" (check `capabilities_restricted`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.9 "Minimize the admission of containers with added capabilities"
    /// - CIS Kubernetes Benchmark v1.10 5.2.10 "Minimize the admission of containers with capabilities assigned"
    CapabilitiesNotDropped { name: "capabilities-not-dropped", severity: Medium, summary: "Container does not drop all capabilities", check: CapabilitiesRestricted }
}

pss_rule! {
    /// Pod Security check `allowPrivilegeEscalation` (restricted, v1.8+): every container must
    /// set `allowPrivilegeEscalation: false`.
    ///
    /// ## What it does
    /// Flags containers where `securityContext.allowPrivilegeEscalation` is unset or `true`.
    /// Windows pods are exempt from v1.25.
    ///
    /// ## Why it matters
    /// Without `no_new_privs`, a process can gain privileges through setuid binaries or file
    /// capabilities inside the image.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx
    /// ```
    ///
    /// ## Fix
    /// `securityContext.allowPrivilegeEscalation: false` in every container.
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Privilege Escalation" (check `allowPrivilegeEscalation`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.6 "Minimize the admission of containers with allowPrivilegeEscalation"
    /// - MITRE ATT&CK T1548 (Abuse Elevation Control Mechanism)
    PrivilegeEscalationAllowed { name: "privilege-escalation-allowed", severity: Medium, summary: "Container allows privilege escalation", check: AllowPrivilegeEscalation }
}

pss_rule! {
    /// Pod Security check `runAsNonRoot` (restricted): the pod must require a non-root user.
    ///
    /// ## What it does
    /// Flags pods where neither the pod nor every container sets `runAsNonRoot: true`, or where
    /// the pod or a container sets it to `false`. From v1.35 any value is allowed for pods with
    /// `hostUsers: false` (user namespaces).
    ///
    /// ## Why it matters
    /// Root in a container is root on the node's kernel: every kernel or runtime escape starts
    /// from a stronger position, and writable host mounts become owned by root.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: nginx
    /// ```
    ///
    /// ## Fix
    /// `spec.securityContext.runAsNonRoot: true` with an image that runs as a non-zero UID.
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Running as Non-root" (check `runAsNonRoot`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.7 "Minimize the admission of root containers"
    /// - NSA/CISA Kubernetes Hardening Guide, "Non-root containers"
    RunAsNonRootNotSet { name: "run-as-non-root-not-set", severity: Medium, summary: "Pod does not require a non-root user", check: RunAsNonRoot }
}

pss_rule! {
    /// Pod Security check `runAsUser` (restricted, v1.23+): no `runAsUser: 0`.
    ///
    /// ## What it does
    /// Flags pods and containers that set `securityContext.runAsUser: 0`. From v1.35 any value is
    /// allowed for pods with `hostUsers: false`.
    ///
    /// ## Why it matters
    /// UID 0 is root on the node kernel (without user namespaces).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// ## Fix
    /// Use a non-zero UID (or leave it to the image).
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Running as Non-root user" (check `runAsUser`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.7 "Minimize the admission of root containers"
    RunAsUserRoot { name: "run-as-user-root", severity: Medium, summary: "Pod or container runs as UID 0", check: RunAsUser }
}

pss_rule! {
    /// Pod Security check `seccompProfile_baseline` (baseline): no unconfined seccomp profile.
    ///
    /// ## What it does
    /// Before v1.19, flags the seccomp annotations (`seccomp.security.alpha.kubernetes.io/pod`,
    /// `container.seccomp.security.alpha.kubernetes.io/<name>`) with values other than
    /// `runtime/default`, `docker/default` or `localhost/*`; from v1.19, flags
    /// `seccompProfile.type` values other than `RuntimeDefault` and `Localhost`. (The restricted
    /// level replaces it with `seccomp-profile-not-set` from v1.19.)
    ///
    /// ## Why it matters
    /// Without seccomp every syscall reaches the kernel, including the rarely used ones most
    /// kernel exploits need.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// `seccompProfile.type: RuntimeDefault`.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Seccomp" (check `seccompProfile_baseline`)
    /// - CIS Kubernetes Benchmark v1.10 5.7.2 "Ensure that the seccomp profile is set to docker/default in your Pod definitions"
    SeccompProfileUnconfined { name: "seccomp-profile-unconfined", severity: High, summary: "Pod or container disables seccomp", check: SeccompProfileBaseline }
}

pss_rule! {
    /// Pod Security check `seccompProfile_restricted` (restricted, v1.19+): a seccomp profile
    /// must be set.
    ///
    /// ## What it does
    /// Flags pods where neither the pod nor every container sets `seccompProfile.type` to
    /// `RuntimeDefault` or `Localhost`, or where one sets another type. Windows pods are exempt
    /// from v1.25.
    ///
    /// ## Why it matters
    /// Kubernetes runs containers unconfined by default; the runtime's default profile blocks
    /// dozens of dangerous syscalls at no cost to normal workloads.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: nginx
    /// ```
    ///
    /// ## Fix
    /// `spec.securityContext.seccompProfile.type: RuntimeDefault`.
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Seccomp" (check `seccompProfile_restricted`)
    /// - CIS Kubernetes Benchmark v1.10 5.7.2 "Ensure that the seccomp profile is set to docker/default in your Pod definitions"
    SeccompProfileNotSet { name: "seccomp-profile-not-set", severity: Medium, summary: "Pod does not set a seccomp profile", check: SeccompProfileRestricted }
}

pss_rule! {
    /// Pod Security check `restrictedVolumes` (restricted): only safe inline volume types.
    ///
    /// ## What it does
    /// Flags volumes other than configMap, csi, downwardAPI, emptyDir, ephemeral, image,
    /// persistentVolumeClaim, projected and secret (a volume with no source is an emptyDir, as the
    /// API server defaults it).
    ///
    /// ## Why it matters
    /// Inline hostPath, NFS, iSCSI, RBD and cloud disk volumes bypass the storage administrator:
    /// a pod author can mount node files or any share the node can reach.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   nfs:
    ///     server: 10.0.0.5
    ///     path: /exports
    /// ```
    ///
    /// ## Fix
    /// Use a PersistentVolumeClaim bound to an administrator-provided PersistentVolume.
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "Volume Types" (check `restrictedVolumes`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.12 "Minimize the admission of HostPath volumes"
    RestrictedVolumeTypes { name: "restricted-volume-types", severity: Medium, summary: "Pod uses a restricted volume type", check: RestrictedVolumes }
}

pss_rule! {
    /// Pod Security check `procMount` (baseline): the default masked `/proc` only.
    ///
    /// ## What it does
    /// Flags containers that set `securityContext.procMount` to anything but `Default`. From
    /// v1.35 any value is allowed at baseline for pods with `hostUsers: false`. (The restricted
    /// level replaces it with `unmasked-proc-mount-restricted` from v1.35.)
    ///
    /// ## Why it matters
    /// An unmasked `/proc` exposes kernel interfaces (`/proc/sys`, `/proc/sysrq-trigger`) that
    /// the runtime normally hides.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` (or set `Default`).
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "/proc Mount Type" (check `procMount`)
    UnmaskedProcMount { name: "unmasked-proc-mount", severity: High, summary: "Container unmasks /proc", check: ProcMount }
}

pss_rule! {
    /// Pod Security check `procMount_restricted` (restricted, v1.35+): the default masked
    /// `/proc` only, even in user namespaces.
    ///
    /// ## What it does
    /// Flags containers that set `securityContext.procMount` to anything but `Default`, whatever
    /// `hostUsers` says.
    ///
    /// ## Why it matters
    /// An unmasked `/proc` exposes kernel interfaces the runtime normally hides; restricted does
    /// not accept it even with user namespaces.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: web
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` (or set `Default`).
    ///
    /// ## References
    /// - Pod Security Standards, Restricted, "/proc Mount Type" (check `procMount_restricted`)
    UnmaskedProcMountRestricted { name: "unmasked-proc-mount-restricted", severity: Medium, summary: "Container unmasks /proc (restricted)", check: ProcMountRestricted }
}

pss_rule! {
    /// Pod Security check `seLinuxOptions` (baseline): no custom SELinux user, role or type.
    ///
    /// ## What it does
    /// Flags pod or container `seLinuxOptions` that set `user` or `role`, or a `type` other than
    /// `container_t`, `container_init_t`, `container_kvm_t` (and `container_engine_t` from v1.31).
    ///
    /// ## Why it matters
    /// A privileged SELinux type such as `spc_t` turns SELinux confinement off for the container.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// ## Fix
    /// Remove `user` and `role`; use an allowed type or none.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "SELinux" (check `seLinuxOptions`)
    SelinuxOptionsForbidden { name: "selinux-options-forbidden", severity: High, summary: "Pod sets forbidden SELinux options", check: SeLinuxOptions }
}

pss_rule! {
    /// Pod Security check `sysctls` (baseline): only the safe, namespaced sysctls.
    ///
    /// ## What it does
    /// Flags `spec.securityContext.sysctls` outside the safe set of the policy version (which
    /// grew at v1.27, v1.29, v1.32 and v1.37).
    ///
    /// ## Why it matters
    /// Unsafe sysctls change kernel settings shared with every pod on the node, or weaken its
    /// defences.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: kernel.msgmax
    ///     value: "65536"
    /// ```
    ///
    /// ## Fix
    /// Remove the sysctl, or tune it on the node.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Sysctls" (check `sysctls`)
    UnsafeSysctls { name: "unsafe-sysctls", severity: High, summary: "Pod sets unsafe sysctls", check: Sysctls }
}

pss_rule! {
    /// Pod Security check `windowsHostProcess` (baseline): no Windows HostProcess containers.
    ///
    /// ## What it does
    /// Flags pods and containers that set `securityContext.windowsOptions.hostProcess: true`.
    ///
    /// ## Why it matters
    /// A HostProcess container runs directly on the Windows node with host privileges: full node
    /// access.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     hostProcess: true
    /// ```
    ///
    /// ## Fix
    /// Remove `hostProcess` (or set it to `false`).
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "HostProcess" (check `windowsHostProcess`)
    /// - CIS Kubernetes Benchmark v1.10 5.2.11 "Minimize the admission of Windows HostProcess containers"
    /// - MITRE ATT&CK T1611 (Escape to Host)
    WindowsHostProcess { name: "windows-host-process", severity: Critical, summary: "Pod runs Windows HostProcess containers", check: WindowsHostProcess }
}

pss_rule! {
    /// Pod Security check `appArmorProfile` (baseline): no AppArmor override that disables the
    /// default profile.
    ///
    /// ## What it does
    /// Flags `securityContext.appArmorProfile.type` values other than `RuntimeDefault` and
    /// `Localhost` (pod or container), and `container.apparmor.security.beta.kubernetes.io/*`
    /// annotations other than `runtime/default`, `localhost/*` or empty.
    ///
    /// ## Why it matters
    /// `Unconfined` removes the AppArmor confinement that blocks mounts, raw `/proc` writes and
    /// other escape steps.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// `appArmorProfile.type: RuntimeDefault` or a reviewed `Localhost` profile.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "AppArmor" (check `appArmorProfile`)
    /// - NSA/CISA Kubernetes Hardening Guide, "Pod security"
    ApparmorProfileForbidden { name: "apparmor-profile-forbidden", severity: High, summary: "Pod disables AppArmor", check: AppArmorProfile }
}

pss_rule! {
    /// Pod Security check `hostProbesAndHostLifecycle` (baseline, v1.34+): probes and lifecycle
    /// handlers must not set `host`.
    ///
    /// ## What it does
    /// Flags `httpGet.host` and `tcpSocket.host` in liveness, readiness and startup probes and in
    /// `postStart`/`preStop` handlers.
    ///
    /// ## Why it matters
    /// The kubelet makes those requests from the node: a pod author can make the node reach
    /// addresses the pod cannot (server-side request forgery against node-local or internal
    /// services).
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254
    ///     port: 80
    /// ```
    ///
    /// ## Fix
    /// Remove `host`; the kubelet then probes the pod's own IP.
    ///
    /// ## References
    /// - Pod Security Standards, Baseline, "Host Probes / Lifecycle Hooks" (check `hostProbesAndHostLifecycle`)
    /// - MITRE ATT&CK T1090 (Proxy)
    HostProbesAndLifecycle { name: "host-probes-and-lifecycle", severity: Medium, summary: "Probe or lifecycle handler targets another host", check: HostProbesAndHostLifecycle }
}

/// The rules, in upstream check order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &ApparmorProfileForbidden,
        &NonDefaultCapabilities,
        &HostNamespaces,
        &HostPathVolumes,
        &HostPorts,
        &HostProbesAndLifecycle,
        &PrivilegedContainer,
        &UnmaskedProcMount,
        &SelinuxOptionsForbidden,
        &SeccompProfileUnconfined,
        &UnsafeSysctls,
        &WindowsHostProcess,
        &PrivilegeEscalationAllowed,
        &CapabilitiesNotDropped,
        &UnmaskedProcMountRestricted,
        &RestrictedVolumeTypes,
        &RunAsNonRootNotSet,
        &RunAsUserRoot,
        &SeccompProfileNotSet,
    ]
}
