//! The Pod Security policy: which checks run at a level and version, in which order, and the
//! denial message the API server writes.

use super::checks::{self, Pod};
use crate::rule::{Level, PolicyVersion};
use kubeward_model::{FieldPath, PodTemplate};

/// The newest policy version implemented: `latest` means `v1.<LATEST_MINOR>` unless the target
/// cluster is older.
pub const LATEST_MINOR: u32 = 37;

/// The 19 upstream checks, in the order upstream evaluates them (baseline IDs sorted, then
/// restricted IDs sorted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckId {
    AppArmorProfile,
    CapabilitiesBaseline,
    HostNamespaces,
    HostPathVolumes,
    HostPorts,
    HostProbesAndHostLifecycle,
    Privileged,
    ProcMount,
    SeLinuxOptions,
    SeccompProfileBaseline,
    Sysctls,
    WindowsHostProcess,
    AllowPrivilegeEscalation,
    CapabilitiesRestricted,
    ProcMountRestricted,
    RestrictedVolumes,
    RunAsNonRoot,
    RunAsUser,
    SeccompProfileRestricted,
}

impl CheckId {
    pub const ALL: [CheckId; 19] = [
        CheckId::AppArmorProfile,
        CheckId::CapabilitiesBaseline,
        CheckId::HostNamespaces,
        CheckId::HostPathVolumes,
        CheckId::HostPorts,
        CheckId::HostProbesAndHostLifecycle,
        CheckId::Privileged,
        CheckId::ProcMount,
        CheckId::SeLinuxOptions,
        CheckId::SeccompProfileBaseline,
        CheckId::Sysctls,
        CheckId::WindowsHostProcess,
        CheckId::AllowPrivilegeEscalation,
        CheckId::CapabilitiesRestricted,
        CheckId::ProcMountRestricted,
        CheckId::RestrictedVolumes,
        CheckId::RunAsNonRoot,
        CheckId::RunAsUser,
        CheckId::SeccompProfileRestricted,
    ];

    /// The upstream check ID.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::AppArmorProfile => "appArmorProfile",
            CheckId::CapabilitiesBaseline => "capabilities_baseline",
            CheckId::HostNamespaces => "hostNamespaces",
            CheckId::HostPathVolumes => "hostPathVolumes",
            CheckId::HostPorts => "hostPorts",
            CheckId::HostProbesAndHostLifecycle => "hostProbesAndHostLifecycle",
            CheckId::Privileged => "privileged",
            CheckId::ProcMount => "procMount",
            CheckId::SeLinuxOptions => "seLinuxOptions",
            CheckId::SeccompProfileBaseline => "seccompProfile_baseline",
            CheckId::Sysctls => "sysctls",
            CheckId::WindowsHostProcess => "windowsHostProcess",
            CheckId::AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            CheckId::CapabilitiesRestricted => "capabilities_restricted",
            CheckId::ProcMountRestricted => "procMount_restricted",
            CheckId::RestrictedVolumes => "restrictedVolumes",
            CheckId::RunAsNonRoot => "runAsNonRoot",
            CheckId::RunAsUser => "runAsUser",
            CheckId::SeccompProfileRestricted => "seccompProfile_restricted",
        }
    }

    /// The kubeward rule that reports this check.
    pub fn rule_name(self) -> &'static str {
        match self {
            CheckId::AppArmorProfile => "apparmor-profile-forbidden",
            CheckId::CapabilitiesBaseline => "non-default-capabilities",
            CheckId::HostNamespaces => "host-namespaces",
            CheckId::HostPathVolumes => "host-path-volumes",
            CheckId::HostPorts => "host-ports",
            CheckId::HostProbesAndHostLifecycle => "host-probes-and-lifecycle",
            CheckId::Privileged => "privileged-container",
            CheckId::ProcMount => "unmasked-proc-mount",
            CheckId::SeLinuxOptions => "selinux-options-forbidden",
            CheckId::SeccompProfileBaseline => "seccomp-profile-unconfined",
            CheckId::Sysctls => "unsafe-sysctls",
            CheckId::WindowsHostProcess => "windows-host-process",
            CheckId::AllowPrivilegeEscalation => "privilege-escalation-allowed",
            CheckId::CapabilitiesRestricted => "capabilities-not-dropped",
            CheckId::ProcMountRestricted => "unmasked-proc-mount-restricted",
            CheckId::RestrictedVolumes => "restricted-volume-types",
            CheckId::RunAsNonRoot => "run-as-non-root-not-set",
            CheckId::RunAsUser => "run-as-user-root",
            CheckId::SeccompProfileRestricted => "seccomp-profile-not-set",
        }
    }

    /// The check with this upstream ID.
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == id)
    }

    /// The level that introduces the check.
    pub fn level(self) -> Level {
        if self >= CheckId::AllowPrivilegeEscalation {
            Level::Restricted
        } else {
            Level::Baseline
        }
    }

    /// The first policy minor version (1.N) that has the check.
    pub fn since(self) -> u32 {
        match self {
            CheckId::HostProbesAndHostLifecycle => 34,
            CheckId::AllowPrivilegeEscalation => 8,
            CheckId::CapabilitiesRestricted => 22,
            CheckId::ProcMountRestricted => 35,
            CheckId::RunAsUser => 23,
            CheckId::SeccompProfileRestricted => 19,
            _ => 0,
        }
    }

    /// The baseline check a restricted check replaces at a version, if any.
    pub fn overrides(self, minor: u32) -> Option<CheckId> {
        if minor < self.since() {
            return None;
        }
        match self {
            CheckId::CapabilitiesRestricted => Some(CheckId::CapabilitiesBaseline),
            CheckId::ProcMountRestricted => Some(CheckId::ProcMount),
            CheckId::RestrictedVolumes => Some(CheckId::HostPathVolumes),
            CheckId::SeccompProfileRestricted => Some(CheckId::SeccompProfileBaseline),
            _ => None,
        }
    }

    /// Whether the check is part of the policy of `level` at version 1.`minor`.
    pub fn applies(self, level: Level, minor: u32) -> bool {
        if level == Level::Privileged || minor < self.since() || self.level() > level {
            return false;
        }
        if level == Level::Restricted && self.level() == Level::Baseline {
            return !CheckId::ALL
                .iter()
                .any(|r| r.overrides(minor) == Some(self));
        }
        true
    }

    /// Runs this check alone at version 1.`minor` (whether or not the check is part of a
    /// level's policy at that version). `None` when the pod passes.
    pub fn evaluate(self, template: &PodTemplate<'_>, minor: u32) -> Option<CheckResult> {
        self.run(&Pod::new(template), minor)
    }

    pub(crate) fn run(self, pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
        match self {
            CheckId::AppArmorProfile => checks::app_armor_profile(pod),
            CheckId::CapabilitiesBaseline => checks::capabilities_baseline(pod),
            CheckId::HostNamespaces => checks::host_namespaces(pod),
            CheckId::HostPathVolumes => checks::host_path_volumes(pod),
            CheckId::HostPorts => checks::host_ports(pod),
            CheckId::HostProbesAndHostLifecycle => checks::host_probes_and_lifecycle(pod),
            CheckId::Privileged => checks::privileged(pod),
            CheckId::ProcMount => checks::proc_mount(pod, minor >= 35, self),
            CheckId::SeLinuxOptions => checks::se_linux_options(pod, minor),
            CheckId::SeccompProfileBaseline => checks::seccomp_profile_baseline(pod, minor),
            CheckId::Sysctls => checks::sysctls(pod, minor),
            CheckId::WindowsHostProcess => checks::windows_host_process(pod),
            CheckId::AllowPrivilegeEscalation => checks::allow_privilege_escalation(pod, minor),
            CheckId::CapabilitiesRestricted => checks::capabilities_restricted(pod, minor),
            CheckId::ProcMountRestricted => checks::proc_mount(pod, false, self),
            CheckId::RestrictedVolumes => checks::restricted_volumes(pod),
            CheckId::RunAsNonRoot => checks::run_as_non_root(pod, minor),
            CheckId::RunAsUser => checks::run_as_user(pod, minor),
            CheckId::SeccompProfileRestricted => checks::seccomp_profile_restricted(pod, minor),
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// Upstream check ID (`privileged`, `runAsNonRoot`, ...).
    pub id: &'static str,
    pub check: CheckId,
    /// Upstream forbidden reason (`allowPrivilegeEscalation != false`).
    pub reason: String,
    /// Upstream forbidden detail (`container "web" must set ...`); may be empty.
    pub detail: String,
    /// The offending fields, relative to the object root (cut back to the deepest field that
    /// exists when the problem is a missing field).
    pub paths: Vec<FieldPath>,
}

impl CheckResult {
    /// `reason (detail)`, or the reason alone when the detail is empty (as upstream joins it).
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// The policy minor version a level label's version means: `latest` is the newest implemented
/// version, or the cluster's minor when given; newer versions are evaluated as that one.
pub fn resolve_minor(version: PolicyVersion, kubernetes_minor: Option<u32>) -> u32 {
    let max = kubernetes_minor.map_or(LATEST_MINOR, |k| k.min(LATEST_MINOR));
    match version {
        PolicyVersion::Latest => max,
        PolicyVersion::Minor(m) => m.min(max),
    }
}

/// The checks of a level at version 1.`minor`, in upstream order.
pub fn checks_for(level: Level, minor: u32) -> impl Iterator<Item = CheckId> {
    CheckId::ALL
        .into_iter()
        .filter(move |c| c.applies(level, minor))
}

/// Evaluates a pod template at a level and version (`latest` = v1.37), as the Pod Security
/// admission does: the failed checks, in upstream order. Empty when the pod is allowed.
pub fn evaluate(
    template: &PodTemplate<'_>,
    level: Level,
    version: PolicyVersion,
) -> Vec<CheckResult> {
    evaluate_for_cluster(template, level, version, None)
}

/// As [`evaluate`] for a cluster of Kubernetes minor version `kubernetes_minor`: `latest` and
/// newer versions resolve to it.
pub fn evaluate_for_cluster(
    template: &PodTemplate<'_>,
    level: Level,
    version: PolicyVersion,
    kubernetes_minor: Option<u32>,
) -> Vec<CheckResult> {
    let minor = resolve_minor(version, kubernetes_minor);
    let pod = Pod::new(template);
    checks_for(level, minor)
        .filter_map(|c| c.run(&pod, minor))
        .collect()
}

/// The joined violation text: `reason (detail), reason (detail)`.
pub fn format_detail(results: &[CheckResult]) -> String {
    results
        .iter()
        .map(CheckResult::message)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The API server's denial text: `violates PodSecurity "<level>:<version>": <reasons>`.
/// (Warnings and audit annotations put `would ` in front of it.)
pub fn format_denial(level: Level, version: PolicyVersion, results: &[CheckResult]) -> String {
    format!(
        "violates PodSecurity \"{}:{}\": {}",
        level.as_str(),
        version.display(),
        format_detail(results)
    )
}
