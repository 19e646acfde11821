use super::common::{finding, label};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, Object, PodTemplate, Volume};

declare_rule! {
    /// A hostPath volume exposes a sensitive part of the node.
    ///
    /// ## What it does
    /// Reports `hostPath` volumes whose source path is, contains, or lies inside a sensitive host
    /// location: container runtime sockets (`/var/run/docker.sock`, `/run/containerd`, `/run/crio`,
    /// `/var/run/cri-dockerd.sock`, k3s and podman sockets), the runtime directory `/run` (`/var/run`),
    /// `/` itself, `/etc` (with `/etc/kubernetes`), `/proc`, `/sys`, `/dev`, `/boot`, `/root`,
    /// `/home`, `/var/lib/kubelet`, `/var/lib/docker`, `/var/lib/containerd`, `/var/lib/etcd`,
    /// `/var/log`, and the CNI configuration and plugins (`/etc/cni`, `/opt/cni/bin`). Matching is
    /// on the normalised *source* path (`//`, `/./`, `..` and trailing slashes removed; `/var/run`
    /// is `/run`), never on the `mountPath` inside the container: a mount of
    /// `/etc/kubernetes/pki` is inside `/etc/kubernetes`, and a mount of `/var` contains
    /// `/var/lib/kubelet`. Windows named pipes of Docker and containerd count as runtime sockets.
    /// The node's programs and libraries (`/usr`, `/lib`, `/lib64`, `/lib/modules`, `/bin`,
    /// `/sbin`) are reported when mounted writable: a write there is code the node runs as root
    /// (read-only mounts of `/lib/modules`, as kube-proxy and CNI agents do, are not reported).
    ///
    /// Host storage outside pod specs counts too: a `PersistentVolume` with a `hostPath` or a
    /// `local` volume on a sensitive path is reported on the volume, and every pod template
    /// whose `persistentVolumeClaim` binds to it (through the claim's `volumeName` or the
    /// volume's `claimRef`) is reported as mounting that host path.
    ///
    /// Severity: critical when any container mounts the volume writable (a `volumeMount` without
    /// `readOnly: true`) and always for runtime sockets, since a read-only mount does not stop a
    /// client from connecting to a socket; high when every mount is read-only (medium for
    /// `/var/log`). Read-only mounts of well-known harmless files (`/etc/localtime`,
    /// `/etc/timezone`, CA certificate directories such as `/etc/ssl/certs`) and any mount of the
    /// syslog socket `/dev/log` are not reported.
    ///
    /// ## Why it matters
    /// These paths are escapes to the node. The runtime socket lets a container start a privileged
    /// container with the host's root filesystem; `/var/lib/kubelet` holds the secrets and
    /// service-account tokens of every pod on the node; `/etc/kubernetes` holds kubeconfigs and the
    /// cluster's PKI; writable `/etc`, `/root` or `/` give root on the host through cron, systemd,
    /// SSH keys or `/etc/shadow`; `/proc` and `/sys` expose every host process and kernel
    /// interfaces; writable `/var/log` enables the kubelet log symlink attack that reads any host file.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: agent:1.0
    ///         volumeMounts: [{name: sock, mountPath: /sock, readOnly: true}]
    ///       volumes:
    ///       - name: sock
    ///         hostPath: {path: /var/run/docker.sock}
    /// ```
    ///
    /// ## Fix
    /// Remove the hostPath volume and use a ConfigMap, Secret, `emptyDir`, projected token or a CSI
    /// driver instead. If a node agent really needs host data, mount the narrowest path it needs with
    /// `readOnly: true`, run it in a dedicated namespace with restricted access, and record the
    /// exception with a suppression annotation.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.2.12 "Minimize the admission of HostPath volumes"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security: hostPath"
    /// - MITRE ATT&CK for containers: T1611 (Escape to Host), T1610 (Deploy Container), T1552.001 (Credentials in files)
    /// - KubeHound: `EXPLOIT_HOST_READ`, `EXPLOIT_HOST_WRITE`, `EXPLOIT_HOST_TRAVERSE`, `CE_VAR_LOG_SYMLINK`
    /// - kube-linter: `sensitive-host-mounts`, `docker-sock`; Checkov: `CKV_K8S_27` (Docker socket)
    pub struct SensitiveHostPath {
        name: "sensitive-host-path",
        domain: Workload,
        severity: Critical,
        summary: "hostPath volume exposes a sensitive host path (runtime socket, /etc, /proc, kubelet data...)",
    }
}

/// A sensitive host location.
struct Sensitive {
    /// Canonical path (`/run`, never `/var/run`).
    path: &'static str,
    /// Whether paths inside it are sensitive too (`/etc/shadow` inside `/etc`); `/` and `/run` are
    /// sensitive only as a whole.
    subtree: bool,
    /// A container runtime socket (or a directory holding one): read-only does not help.
    socket: bool,
    /// Severity when every mount is read-only.
    read_only: Severity,
    what: &'static str,
    /// Sensitive only when writable (the node's binaries and libraries).
    writable_only: bool,
}

const fn entry(
    path: &'static str,
    subtree: bool,
    socket: bool,
    read_only: Severity,
    what: &'static str,
) -> Sensitive {
    Sensitive {
        path,
        subtree,
        socket,
        read_only,
        what,
        writable_only: false,
    }
}

/// A location that is sensitive only when mounted writable: code the node runs as root.
const fn code(path: &'static str, what: &'static str) -> Sensitive {
    Sensitive {
        path,
        subtree: true,
        socket: false,
        read_only: High,
        what,
        writable_only: true,
    }
}

use Severity::{High, Medium};

/// Ordered by importance: when a source contains several, the first one names it.
#[rustfmt::skip]
const SENSITIVE: &[Sensitive] = &[
    entry("/run/docker.sock", true, true, High, "the Docker daemon socket"),
    entry("/run/containerd", true, true, High, "the containerd socket directory"),
    entry("/run/crio", true, true, High, "the CRI-O socket directory"),
    entry("/run/cri-dockerd.sock", true, true, High, "the cri-dockerd socket"),
    entry("/run/dockershim.sock", true, true, High, "the dockershim socket"),
    entry("/run/docker", true, true, High, "Docker's runtime directory (containerd shim sockets)"),
    entry("/run/k3s", true, true, High, "the k3s containerd socket directory"),
    entry("/run/podman", true, true, High, "the Podman socket directory"),
    entry("/var/lib/kubelet", true, false, High, "the kubelet's data: every pod's volumes, secrets and tokens"),
    entry("/etc/kubernetes", true, false, High, "Kubernetes configuration: kubeconfigs, PKI keys, static pods"),
    entry("/var/lib/etcd", true, false, High, "etcd's data: every Secret of the cluster"),
    entry("/etc/cni", true, false, High, "the CNI network configuration of every pod on the node"),
    entry("/opt/cni/bin", true, false, High, "the CNI plugin binaries, which the runtime runs as root"),
    entry("/var/lib/docker", true, false, High, "Docker's data: images and container filesystems"),
    entry("/var/lib/containerd", true, false, High, "containerd's data: images and container filesystems"),
    entry("/etc", true, false, High, "the host's configuration: passwd, shadow, sudoers, cron, systemd"),
    entry("/root", true, false, High, "root's home directory: SSH keys and credentials"),
    entry("/home", true, false, High, "users' home directories: SSH keys and credentials"),
    entry("/proc", true, false, High, "the host's /proc: every host process, its environment and memory"),
    entry("/sys", true, false, High, "the host's /sys: kernel, cgroup and device interfaces"),
    entry("/dev", true, false, High, "the host's devices: disks, memory, terminals"),
    entry("/boot", true, false, High, "the host's kernel and boot loader"),
    entry("/var/log", true, false, Medium, "the host's logs; writable, they allow the kubelet log symlink escape"),
    code("/lib/modules", "the host's kernel modules, which the kernel loads as code"),
    code("/usr", "the host's programs and libraries, run as root by the node"),
    code("/lib", "the host's libraries, loaded by every process of the node"),
    code("/lib64", "the host's libraries, loaded by every process of the node"),
    code("/bin", "the host's programs, run as root by the node"),
    code("/sbin", "the host's system programs, run as root by the node"),
    entry("/run", false, true, High, "the host's runtime directory with the container runtime sockets"),
    entry("/", false, true, High, "the host's whole filesystem"),
];

/// Host paths that are harmless however they are mounted: the syslog socket only accepts log lines.
const BENIGN: &[&str] = &["/dev/log"];

/// Read-only mounts of these are harmless (time zone, CA bundles, host identity).
const BENIGN_READ_ONLY: &[&str] = &[
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/ca-certificates",
    "/etc/machine-id",
    "/etc/os-release",
];

/// Normalises a host path: absolute, no empty, `.` or `..` segments, no trailing slash, and
/// `/var/run` (a symlink to `/run` on current distributions) spelled `/run`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.len() >= 2 && parts[0] == "var" && parts[1] == "run" {
        parts.remove(0);
    }
    format!("/{}", parts.join("/"))
}

/// Whether `inner` is `outer` or inside it.
fn within(inner: &str, outer: &str) -> bool {
    outer == "/"
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// How a source path relates to a sensitive location.
enum Match {
    /// The source is the location or inside it.
    Inside(&'static Sensitive),
    /// The source is a parent of the location.
    Contains(&'static Sensitive),
}

fn classify(path: &str) -> Option<Match> {
    let exact_or_inside = SENSITIVE
        .iter()
        .filter(|s| path == s.path || (s.subtree && within(path, s.path)))
        .max_by_key(|s| s.path.len());
    if let Some(s) = exact_or_inside {
        return Some(Match::Inside(s));
    }
    SENSITIVE
        .iter()
        .find(|s| s.path != path && within(s.path, path))
        .map(Match::Contains)
}

/// A Windows named pipe of a container runtime (`\\.\pipe\docker_engine`, `containerd-containerd`).
fn windows_runtime_pipe(path: &str) -> bool {
    let p = path.to_ascii_lowercase().replace('/', "\\");
    p.starts_with("\\\\.\\pipe\\") && (p.contains("docker_engine") || p.contains("containerd"))
}

/// Mounts of a volume: (container label, readOnly).
fn mounts(t: &PodTemplate<'_>, volume: &Volume<'_>) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for c in t.containers() {
        for m in c.node.get("volumeMounts").map(|n| n.items()).unwrap_or(&[]) {
            if m.str_at("name") == Some(volume.name) {
                out.push((label(&c), m.bool_at("readOnly") == Some(true)));
            }
        }
    }
    out
}

/// What a host path exposes and how badly, given the containers that mount it writable and
/// whether anything mounts it at all; `None` when the path is not sensitive that way.
fn judge(raw: &str, writers: &[&str], mounted: bool) -> Option<(Severity, String)> {
    let (what, socket, read_only) = if windows_runtime_pipe(raw) {
        ("a container runtime named pipe".to_string(), true, High)
    } else {
        let path = normalize(raw);
        match classify(&path)? {
            Match::Inside(s) => {
                let benign_ro =
                    writers.is_empty() && BENIGN_READ_ONLY.iter().any(|b| within(&path, b));
                if benign_ro
                    || BENIGN.iter().any(|b| within(&path, b))
                    || (s.writable_only && writers.is_empty())
                {
                    return None;
                }
                let what = if path == s.path {
                    s.what.to_string()
                } else {
                    format!("inside {} ({})", s.path, s.what)
                };
                (what, s.socket, s.read_only)
            }
            Match::Contains(s) => (
                format!("which contains {} ({})", s.path, s.what),
                s.socket,
                s.read_only,
            ),
        }
    };
    let (severity, access) = if !writers.is_empty() {
        (
            Severity::Critical,
            format!("mounted writable by {}", writers.join(", ")),
        )
    } else if !mounted {
        (
            if socket {
                Severity::Critical
            } else {
                read_only
            },
            "not mounted by any container yet".to_string(),
        )
    } else if socket {
        (
            Severity::Critical,
            "mounted read-only, which does not stop a client from connecting to a runtime socket"
                .to_string(),
        )
    } else {
        (read_only, "mounted read-only".to_string())
    };
    Some((severity, format!("{what}; {access}")))
}

/// The host path of a PersistentVolume (`hostPath` or `local`), with its field name.
fn pv_host_path(pv: &Object) -> Option<(&'static str, &str)> {
    let spec = pv.root.get("spec")?;
    ["hostPath", "local"]
        .into_iter()
        .find_map(|k| spec.get(k).and_then(|n| n.str_at("path")).map(|p| (k, p)))
}

/// Whether a PersistentVolume can only be mounted read-only (`ReadOnlyMany` alone).
fn pv_read_only(pv: &Object) -> bool {
    let modes: Vec<&str> = pv
        .root
        .at(&["spec", "accessModes"])
        .map(|m| m.items().iter().filter_map(|n| n.as_str()).collect())
        .unwrap_or_default();
    !modes.is_empty() && modes.iter().all(|m| *m == "ReadOnlyMany")
}

/// The PersistentVolume a claim binds to: the claim's `volumeName`, else the volume whose
/// `claimRef` names the claim.
fn bound_volume<'s>(cx: &Context<'s>, ns: Option<&str>, claim: &str) -> Option<&'s Object> {
    if let Some(pvc) = cx.index.get("PersistentVolumeClaim", ns, claim) {
        if let Some(name) = pvc
            .root
            .at(&["spec", "volumeName"])
            .and_then(|n| n.as_str())
        {
            return cx.index.get("PersistentVolume", None, name);
        }
    }
    cx.index.of_kind("PersistentVolume").find(|pv| {
        let r = pv.root.at(&["spec", "claimRef"]);
        r.and_then(|r| r.str_at("name")) == Some(claim)
            && r.and_then(|r| r.str_at("namespace")) == ns
    })
}

impl Rule for SensitiveHostPath {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            for v in t.volumes() {
                let mounts = mounts(t, &v);
                let writers: Vec<&str> = mounts
                    .iter()
                    .filter(|(_, ro)| !ro)
                    .map(|(c, _)| c.as_str())
                    .collect();
                if v.source_type == "persistentVolumeClaim" {
                    let Some(claim) = v.source.and_then(|s| s.str_at("claimName")) else {
                        continue;
                    };
                    let ns = effective_namespace(t.object);
                    let Some(pv) = bound_volume(cx, ns, claim) else {
                        continue;
                    };
                    let Some((_, raw)) = pv_host_path(pv) else {
                        continue;
                    };
                    let claim_ro = v.source.and_then(|s| s.bool_at("readOnly")) == Some(true)
                        || pv_read_only(pv);
                    let writers: &[&str] = if claim_ro { &[] } else { &writers };
                    let Some((severity, what)) = judge(raw, writers, !mounts.is_empty()) else {
                        continue;
                    };
                    let mut f = finding(
                        &Self::META,
                        severity,
                        cx,
                        t,
                        &v.rel_path().key("persistentVolumeClaim").key("claimName"),
                        format!(
                            "volume \"{}\" claims \"{claim}\", bound to PersistentVolume \"{}\" on host path {raw}, {what}",
                            v.name,
                            pv.name()
                        ),
                        format!(
                            "do not back claim \"{claim}\" with a hostPath or local volume on a sensitive path; use a storage class or a dedicated data directory"
                        ),
                    );
                    f.related.push(pv.oref.clone());
                    out.push(f);
                    continue;
                }
                if v.source_type != "hostPath" {
                    continue;
                }
                let Some(raw) = v.source.and_then(|s| s.str_at("path")) else {
                    continue;
                };
                let Some((severity, what)) = judge(raw, &writers, !mounts.is_empty()) else {
                    continue;
                };
                out.push(finding(
                    &Self::META,
                    severity,
                    cx,
                    t,
                    &v.rel_path().key("hostPath").key("path"),
                    format!("volume \"{}\" mounts host path {raw}, {what}", v.name),
                    format!(
                        "remove hostPath volume \"{}\" (use a ConfigMap, Secret, emptyDir or CSI volume); if a node agent needs it, narrow it to the exact file and mount it with readOnly: true",
                        v.name
                    ),
                ));
            }
        }
        for pv in cx.index.of_kind("PersistentVolume") {
            let Some((field, raw)) = pv_host_path(pv) else {
                continue;
            };
            // Its consumers are unknown here: judged writable unless only ReadOnlyMany.
            let writers: &[&str] = if pv_read_only(pv) {
                &[]
            } else {
                &["its claimants"]
            };
            let Some((severity, what)) = judge(raw, writers, true) else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                pv,
                &FieldPath::root().key("spec").key(field).key("path"),
                format!("PersistentVolume exposes host path {raw} through {field}, {what}"),
                "back the volume with a storage class or a dedicated data directory, never a system path of the node",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(p: &str) -> Option<(&'static str, bool)> {
        classify(&normalize(p)).map(|m| match m {
            Match::Inside(s) => (s.path, true),
            Match::Contains(s) => (s.path, false),
        })
    }

    #[test]
    fn normalises() {
        assert_eq!(normalize("/var/run/docker.sock"), "/run/docker.sock");
        assert_eq!(normalize("//etc/./kubernetes/"), "/etc/kubernetes");
        assert_eq!(normalize("/opt/../etc"), "/etc");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("/var/running"), "/var/running");
    }

    #[test]
    fn classifies() {
        assert_eq!(
            what("/var/run/docker.sock"),
            Some(("/run/docker.sock", true))
        );
        assert_eq!(
            what("/run/containerd/containerd.sock"),
            Some(("/run/containerd", true))
        );
        assert_eq!(what("/etc/kubernetes/pki"), Some(("/etc/kubernetes", true)));
        assert_eq!(what("/etc/passwd"), Some(("/etc", true)));
        assert_eq!(what("/var/run/"), Some(("/run", true)));
        assert_eq!(what("//"), Some(("/", true)));
        assert_eq!(what("/var"), Some(("/var/lib/kubelet", false)));
        assert_eq!(what("/var/lib"), Some(("/var/lib/kubelet", false)));
        assert_eq!(
            what("/var/lib/kubelet/pods"),
            Some(("/var/lib/kubelet", true))
        );
        assert_eq!(what("/run/xtables.lock"), None);
        assert_eq!(what("/var/lib/data"), None);
        assert_eq!(what("/etcd"), None);
        assert_eq!(what("/data"), None);
        assert_eq!(what("/lib/modules"), Some(("/lib/modules", true)));
        assert_eq!(what("/usr/lib/x86_64-linux-gnu"), Some(("/usr", true)));
        assert_eq!(what("/library"), None);
        assert_eq!(what("/etc/cni/net.d"), Some(("/etc/cni", true)));
        assert_eq!(what("/opt/cni/bin/"), Some(("/opt/cni/bin", true)));
        assert_eq!(what("/opt"), Some(("/opt/cni/bin", false)));
    }

    #[test]
    fn node_code_only_when_writable() {
        assert!(judge("/lib/modules", &[], true).is_none());
        let (sev, what) = judge("/lib/modules", &["container \"a\""], true).unwrap();
        assert_eq!(sev, Severity::Critical);
        assert!(what.contains("kernel modules"), "{what}");
        assert!(judge("/usr/bin", &["container \"a\""], true).is_some());
        assert!(judge("/usr/share/zoneinfo", &[], true).is_none());
    }

    #[test]
    fn windows_pipes() {
        assert!(windows_runtime_pipe(r"\\.\pipe\docker_engine"));
        assert!(windows_runtime_pipe(r"\\.\pipe\containerd-containerd"));
        assert!(!windows_runtime_pipe(r"C:\data"));
    }
}
