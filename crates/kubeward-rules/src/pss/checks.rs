//! The 19 Pod Security checks, one function each, with upstream's semantics and wording.
//!
//! Each function reads the pod template as the API server would decode it: a field of the
//! wrong type counts as absent (the loader reports it), `null` counts as unset. Containers are
//! visited in upstream order (init, regular, ephemeral).

use super::policy::{CheckId, CheckResult};
use kubeward_model::{Container, FieldPath, Node, PodTemplate};
use std::collections::BTreeSet;

/// A pod template prepared for the checks.
pub(crate) struct Pod<'t, 'a> {
    pub t: &'t PodTemplate<'a>,
    pub containers: Vec<Container<'a>>,
}

impl<'t, 'a> Pod<'t, 'a> {
    pub fn new(t: &'t PodTemplate<'a>) -> Self {
        Pod {
            t,
            containers: t.containers(),
        }
    }

    /// The pod-level securityContext, when it is a mapping.
    fn pod_sc(&self) -> Option<&'a Node> {
        map_at(self.t.spec, "securityContext")
    }

    fn windows(&self) -> bool {
        self.t.spec.get("os").and_then(|o| o.str_at("name")) == Some("windows")
    }

    /// `hostUsers: false`: the pod runs in a user namespace.
    fn user_namespace(&self) -> bool {
        self.t.spec.bool_at("hostUsers") == Some(false)
    }

    /// A path under the pod spec (relative to the object root), cut back to the deepest field
    /// that exists.
    fn spec_path(&self, keys: &[&str]) -> FieldPath {
        let rel = keys.iter().fold(FieldPath::root(), |p, k| p.key(k));
        self.existing(self.t.path(&rel))
    }

    /// A path under a container, cut back to the deepest field that exists.
    fn container_path(&self, c: &Container<'_>, keys: &[&str]) -> FieldPath {
        let rel = keys.iter().fold(c.rel_path(), |p, k| p.key(k));
        self.existing(self.t.path(&rel))
    }

    fn annotation_path(&self, key: &str) -> FieldPath {
        self.existing(self.t.meta_path.key("annotations").key(key))
    }

    fn existing(&self, full: FieldPath) -> FieldPath {
        self.t.object.root.existing_prefix(&full)
    }
}

/// The value under `key` when it is a mapping (a Go pointer to a struct that is set).
fn map_at<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.get(key).filter(|n| n.as_map().is_some())
}

/// A container's securityContext, when it is a mapping.
fn sc<'a>(c: &Container<'a>) -> Option<&'a Node> {
    map_at(c.node, "securityContext")
}

/// String items of a sequence field (other items are type errors the loader reports).
fn strings<'a>(node: Option<&'a Node>, key: &str) -> impl Iterator<Item = &'a str> {
    node.and_then(|n| n.get(key))
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
}

/// `"a", "b"` as upstream's `joinQuote` (no escaping).
fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = String::from("\"");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push_str("\", \"");
        }
        s.push_str(item.as_ref());
    }
    s.push('"');
    s
}

fn plural(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

fn sorted(set: &BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        plural("container", "containers", names.len()),
        join_quote(names)
    )
}

/// Go's `%q` for a string (strconv.Quote): printable characters as they are, the rest escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c == ' ' || !(c.is_control() || c.is_whitespace() || is_format_char(c)) => {
                out.push(c)
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Unicode format characters (category Cf) that Go does not print literally (common ones).
fn is_format_char(c: char) -> bool {
    matches!(c as u32, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e
        | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb)
}

fn result(
    id: CheckId,
    reason: impl Into<String>,
    detail: String,
    paths: Vec<FieldPath>,
) -> Option<CheckResult> {
    Some(CheckResult {
        id: id.as_str(),
        check: id,
        reason: reason.into(),
        detail,
        paths,
    })
}

/// `privileged`: containers must not set `securityContext.privileged=true`.
pub(crate) fn privileged(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        if sc(c).and_then(|s| s.bool_at("privileged")) == Some(true) {
            bad.push(c.name);
            paths.push(pod.container_path(c, &["securityContext", "privileged"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.privileged=true",
        containers_phrase(&bad)
    );
    result(CheckId::Privileged, "privileged", detail, paths)
}

/// `hostNamespaces`: no `hostNetwork`, `hostPID`, `hostIPC`.
pub(crate) fn host_namespaces(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut set = Vec::new();
    let mut paths = Vec::new();
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod.t.spec.bool_at(field) == Some(true) {
            set.push(format!("{field}=true"));
            paths.push(pod.spec_path(&[field]));
        }
    }
    if set.is_empty() {
        return None;
    }
    result(
        CheckId::HostNamespaces,
        "host namespaces",
        set.join(", "),
        paths,
    )
}

/// Volume source keys, as the API knows them. A volume with none of them set is an `emptyDir`
/// after defaulting; unknown keys are dropped by the API server.
const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Restricted volume sources, in the order upstream tests them.
const RESTRICTED_VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn volumes<'a>(pod: &Pod<'_, 'a>) -> impl Iterator<Item = (usize, &'a Node)> {
    pod.t
        .spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
}

/// `hostPathVolumes`: no `hostPath` volumes.
pub(crate) fn host_path_volumes(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for (i, v) in volumes(pod) {
        if map_at(v, "hostPath").is_some() {
            bad.push(v.str_at("name").unwrap_or(""));
            paths.push(pod.spec_path(&["volumes"]).index(i).key("hostPath"));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {}",
        plural("volume", "volumes", bad.len()),
        join_quote(&bad)
    );
    result(CheckId::HostPathVolumes, "hostPath volumes", detail, paths)
}

/// `restrictedVolumes`: only the listed inline volume types.
pub(crate) fn restricted_volumes(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut paths = Vec::new();
    for (i, v) in volumes(pod) {
        if ALLOWED_VOLUME_SOURCES
            .iter()
            .any(|k| map_at(v, k).is_some())
        {
            continue;
        }
        let restricted = RESTRICTED_VOLUME_SOURCES
            .iter()
            .find(|k| map_at(v, k).is_some());
        let Some(kind) = restricted else {
            // No source set: the API server defaults it to emptyDir.
            continue;
        };
        bad.push(v.str_at("name").unwrap_or(""));
        types.insert(kind.to_string());
        paths.push(pod.spec_path(&["volumes"]).index(i).key(kind));
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} {} {} {}",
        plural("volume", "volumes", bad.len()),
        join_quote(&bad),
        plural("uses", "use", bad.len()),
        plural(
            "restricted volume type",
            "restricted volume types",
            types.len()
        ),
        join_quote(&sorted(&types)),
    );
    result(
        CheckId::RestrictedVolumes,
        "restricted volume types",
        detail,
        paths,
    )
}

/// `hostPorts`: no container port with a host port (defaulted under `hostNetwork`).
pub(crate) fn host_ports(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = Vec::new();
    let mut ports = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let mut uses = false;
        for (j, port) in c
            .node
            .get("ports")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let hp = if c.kind == kubeward_model::ContainerKind::Ephemeral {
                port.i64_at("hostPort")
            } else {
                pod.t.host_port(port)
            };
            if let Some(p) = hp.filter(|p| *p != 0) {
                uses = true;
                ports.insert(p.to_string());
                let rel = c.rel_path().key("ports").index(j);
                let field = if port.get("hostPort").is_some() {
                    "hostPort"
                } else {
                    "containerPort"
                };
                paths.push(pod.existing(pod.t.path(&rel.key(field))));
            }
        }
        if uses {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports = sorted(&ports);
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&bad),
        plural("uses", "use", bad.len()),
        plural("hostPort", "hostPorts", ports.len()),
        ports.join(", "),
    );
    result(CheckId::HostPorts, "hostPort", detail, paths)
}

const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// `capabilities_baseline`: only default capabilities may be added.
pub(crate) fn capabilities_baseline(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = Vec::new();
    let mut caps = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let Some(capabilities) = sc(c).and_then(|s| map_at(s, "capabilities")) else {
            continue;
        };
        let mut valid = true;
        for (k, cap) in capabilities
            .get("add")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(cap) = cap.as_str() else { continue };
            if !DEFAULT_CAPABILITIES.contains(&cap) {
                valid = false;
                caps.insert(cap.to_string());
                paths.push(
                    pod.container_path(c, &["securityContext", "capabilities", "add"])
                        .index(k),
                );
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not include {} in securityContext.capabilities.add",
        containers_phrase(&bad),
        join_quote(&sorted(&caps))
    );
    result(
        CheckId::CapabilitiesBaseline,
        "non-default capabilities",
        detail,
        paths,
    )
}

/// `capabilities_restricted`: drop `ALL`, add nothing but `NET_BIND_SERVICE`; Windows pods are
/// exempt from v1.25.
pub(crate) fn capabilities_restricted(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor >= 25 && pod.windows() {
        return None;
    }
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut forbidden = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let Some(capabilities) = sc(c).and_then(|s| map_at(s, "capabilities")) else {
            missing_drop.push(c.name);
            paths.push(pod.container_path(c, &["securityContext", "capabilities", "drop"]));
            continue;
        };
        if !strings(Some(capabilities), "drop").any(|d| d == "ALL") {
            missing_drop.push(c.name);
            paths.push(pod.container_path(c, &["securityContext", "capabilities", "drop"]));
        }
        let mut added = false;
        for (k, cap) in capabilities
            .get("add")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(cap) = cap.as_str() else { continue };
            if cap != "NET_BIND_SERVICE" {
                added = true;
                forbidden.insert(cap.to_string());
                paths.push(
                    pod.container_path(c, &["securityContext", "capabilities", "add"])
                        .index(k),
                );
            }
        }
        if added {
            adding.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&sorted(&forbidden))
        ));
    }
    if details.is_empty() {
        return None;
    }
    result(
        CheckId::CapabilitiesRestricted,
        "unrestricted capabilities",
        details.join("; "),
        paths,
    )
}

/// `allowPrivilegeEscalation`: every container sets it to false; Windows pods are exempt from
/// v1.25.
pub(crate) fn allow_privilege_escalation(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor >= 25 && pod.windows() {
        return None;
    }
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        if sc(c).and_then(|s| s.bool_at("allowPrivilegeEscalation")) != Some(false) {
            bad.push(c.name);
            paths.push(pod.container_path(c, &["securityContext", "allowPrivilegeEscalation"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must set securityContext.allowPrivilegeEscalation=false",
        containers_phrase(&bad)
    );
    result(
        CheckId::AllowPrivilegeEscalation,
        "allowPrivilegeEscalation != false",
        detail,
        paths,
    )
}

/// `runAsNonRoot`: the pod or every container sets `runAsNonRoot: true`, none sets false;
/// from v1.35 any value is allowed with `hostUsers: false`.
pub(crate) fn run_as_non_root(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor >= 35 && pod.user_namespace() {
        return None;
    }
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    let mut pod_true = false;
    match pod.pod_sc().and_then(|s| s.bool_at("runAsNonRoot")) {
        Some(false) => {
            setters.push("pod".to_string());
            paths.push(pod.spec_path(&["securityContext", "runAsNonRoot"]));
        }
        Some(true) => pod_true = true,
        None => {}
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_paths = Vec::new();
    for c in &pod.containers {
        match sc(c).and_then(|s| s.bool_at("runAsNonRoot")) {
            Some(false) => {
                explicit.push(c.name);
                paths.push(pod.container_path(c, &["securityContext", "runAsNonRoot"]));
            }
            Some(true) => {}
            None if !pod_true => {
                implicit.push(c.name);
                implicit_paths.push(pod.container_path(c, &["securityContext", "runAsNonRoot"]));
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        let detail = format!(
            "{} must not set securityContext.runAsNonRoot=false",
            setters.join(" and ")
        );
        return result(CheckId::RunAsNonRoot, "runAsNonRoot != true", detail, paths);
    }
    if !implicit.is_empty() {
        let detail = format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_phrase(&implicit)
        );
        return result(
            CheckId::RunAsNonRoot,
            "runAsNonRoot != true",
            detail,
            implicit_paths,
        );
    }
    None
}

/// `runAsUser`: neither the pod nor a container sets `runAsUser: 0` (from v1.23); from v1.35
/// any value is allowed with `hostUsers: false`.
pub(crate) fn run_as_user(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor >= 35 && pod.user_namespace() {
        return None;
    }
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    if pod.pod_sc().and_then(|s| s.i64_at("runAsUser")) == Some(0) {
        setters.push("pod".to_string());
        paths.push(pod.spec_path(&["securityContext", "runAsUser"]));
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if sc(c).and_then(|s| s.i64_at("runAsUser")) == Some(0) {
            bad.push(c.name);
            paths.push(pod.container_path(c, &["securityContext", "runAsUser"]));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let detail = format!("{} must not set runAsUser=0", setters.join(" and "));
    result(CheckId::RunAsUser, "runAsUser=0", detail, paths)
}

/// `seLinuxOptions`: type from the allowed list, no user or role.
pub(crate) fn se_linux_options(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
    const TYPES_1_31: &[&str] = &[
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
        "container_engine_t",
    ];
    let allowed = if minor >= 31 { TYPES_1_31 } else { TYPES_1_0 };
    let mut bad_types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut valid = |opts: &Node| {
        let mut ok = true;
        let ty = opts.str_at("type").unwrap_or("");
        if !allowed.contains(&ty) {
            ok = false;
            bad_types.insert(ty.to_string());
        }
        if !opts.str_at("user").unwrap_or("").is_empty() {
            ok = false;
            set_user = true;
        }
        if !opts.str_at("role").unwrap_or("").is_empty() {
            ok = false;
            set_role = true;
        }
        ok
    };
    let mut setters = Vec::new();
    let mut paths = Vec::new();
    if let Some(opts) = pod.pod_sc().and_then(|s| map_at(s, "seLinuxOptions")) {
        if !valid(opts) {
            setters.push("pod".to_string());
            paths.push(pod.spec_path(&["securityContext", "seLinuxOptions"]));
        }
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(opts) = sc(c).and_then(|s| map_at(s, "seLinuxOptions")) {
            if !valid(opts) {
                bad.push(c.name);
                paths.push(pod.container_path(c, &["securityContext", "seLinuxOptions"]));
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            plural("type", "types", bad_types.len()),
            join_quote(&sorted(&bad_types))
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    let detail = format!(
        "{} set forbidden securityContext.seLinuxOptions: {}",
        setters.join(" and "),
        data.join("; ")
    );
    result(CheckId::SeLinuxOptions, "seLinuxOptions", detail, paths)
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn valid_seccomp_type(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn seccomp_type(sc: Option<&Node>) -> Option<&str> {
    sc.and_then(|s| map_at(s, "seccompProfile"))
        .map(|p| p.str_at("type").unwrap_or(""))
}

/// `seccompProfile_baseline`: annotations before v1.19, the fields from v1.19: no
/// `Unconfined` (or other unknown) profile.
pub(crate) fn seccomp_profile_baseline(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor < 19 {
        return seccomp_annotations(pod);
    }
    seccomp_fields(pod, false, CheckId::SeccompProfileBaseline)
}

fn seccomp_annotations(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let mut forbidden = BTreeSet::new();
    let mut paths = Vec::new();
    if let Some(v) = pod.t.annotation(SECCOMP_POD_ANNOTATION) {
        if !valid(v) {
            forbidden.insert(format!("{SECCOMP_POD_ANNOTATION}={}", go_quote(v)));
            paths.push(pod.annotation_path(SECCOMP_POD_ANNOTATION));
        }
    }
    for c in &pod.containers {
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION}{}", c.name);
        if let Some(v) = pod.t.annotation(&key) {
            if !valid(v) {
                forbidden.insert(format!("{key}={}", go_quote(v)));
                paths.push(pod.annotation_path(&key));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    let detail = format!(
        "forbidden {} {}",
        plural("annotation", "annotations", forbidden.len()),
        sorted(&forbidden).join(", ")
    );
    result(
        CheckId::SeccompProfileBaseline,
        "seccompProfile",
        detail,
        paths,
    )
}

fn seccomp_fields(pod: &Pod<'_, '_>, required: bool, id: CheckId) -> Option<CheckResult> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut paths = Vec::new();
    let mut pod_set = false;
    match seccomp_type(pod.pod_sc()) {
        Some(t) if !valid_seccomp_type(t) => {
            setters.push("pod".to_string());
            values.insert(t.to_string());
            paths.push(pod.spec_path(&["securityContext", "seccompProfile", "type"]));
        }
        Some(_) => pod_set = true,
        None => {}
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_paths = Vec::new();
    for c in &pod.containers {
        match seccomp_type(sc(c)) {
            Some(t) if !valid_seccomp_type(t) => {
                explicit.push(c.name);
                values.insert(t.to_string());
                paths.push(pod.container_path(c, &["securityContext", "seccompProfile", "type"]));
            }
            Some(_) => {}
            None if required && !pod_set => {
                implicit.push(c.name);
                implicit_paths.push(pod.container_path(c, &["securityContext", "seccompProfile"]));
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        let detail = format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&sorted(&values))
        );
        return result(id, "seccompProfile", detail, paths);
    }
    if !implicit.is_empty() {
        let detail = format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            containers_phrase(&implicit)
        );
        return result(id, "seccompProfile", detail, implicit_paths);
    }
    None
}

/// `seccompProfile_restricted` (v1.19+): the pod or every container sets `RuntimeDefault` or
/// `Localhost`; Windows pods are exempt from v1.25.
pub(crate) fn seccomp_profile_restricted(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    if minor >= 25 && pod.windows() {
        return None;
    }
    seccomp_fields(pod, true, CheckId::SeccompProfileRestricted)
}

/// `procMount` / `procMount_restricted`: only the `Default` proc mount. `relax` applies the
/// baseline v1.35 rule (any value with `hostUsers: false`).
pub(crate) fn proc_mount(pod: &Pod<'_, '_>, relax: bool, id: CheckId) -> Option<CheckResult> {
    if relax && pod.user_namespace() {
        return None;
    }
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        if let Some(pm) = sc(c).and_then(|s| s.str_at("procMount")) {
            if pm != "Default" {
                bad.push(c.name);
                types.insert(pm.to_string());
                paths.push(pod.container_path(c, &["securityContext", "procMount"]));
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.procMount to {}",
        containers_phrase(&bad),
        join_quote(&sorted(&types))
    );
    result(id, "procMount", detail, paths)
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

/// Whether a sysctl is in the safe set of a policy version.
pub fn safe_sysctl(name: &str, minor: u32) -> bool {
    [
        (0, SYSCTLS_1_0),
        (27, SYSCTLS_1_27),
        (29, SYSCTLS_1_29),
        (32, SYSCTLS_1_32),
        (37, SYSCTLS_1_37),
    ]
    .iter()
    .any(|(from, set)| minor >= *from && set.contains(&name))
}

/// `sysctls`: only the safe set of the version.
pub(crate) fn sysctls(pod: &Pod<'_, '_>, minor: u32) -> Option<CheckResult> {
    let psc = pod.pod_sc()?;
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for (i, s) in psc
        .get("sysctls")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let name = s.str_at("name").unwrap_or("");
        if !safe_sysctl(name, minor) {
            bad.push(name);
            paths.push(pod.spec_path(&["securityContext", "sysctls"]).index(i));
        }
    }
    if bad.is_empty() {
        return None;
    }
    result(CheckId::Sysctls, "forbidden sysctls", bad.join(", "), paths)
}

/// `windowsHostProcess`: no `windowsOptions.hostProcess: true`.
pub(crate) fn windows_host_process(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let host_process = |s: Option<&Node>| {
        s.and_then(|s| map_at(s, "windowsOptions"))
            .and_then(|w| w.bool_at("hostProcess"))
            == Some(true)
    };
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        if host_process(sc(c)) {
            bad.push(c.name);
            paths
                .push(pod.container_path(c, &["securityContext", "windowsOptions", "hostProcess"]));
        }
    }
    let mut setters = Vec::new();
    if host_process(pod.pod_sc()) {
        setters.push("pod".to_string());
        paths.insert(
            0,
            pod.spec_path(&["securityContext", "windowsOptions", "hostProcess"]),
        );
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.windowsOptions.hostProcess=true",
        setters.join(" and ")
    );
    result(CheckId::WindowsHostProcess, "hostProcess", detail, paths)
}

const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

/// `appArmorProfile`: the fields allow `RuntimeDefault` and `Localhost`; the beta annotations
/// allow `runtime/default`, `localhost/*` and empty.
pub(crate) fn app_armor_profile<'a>(pod: &Pod<'_, 'a>) -> Option<CheckResult> {
    let profile_type = |s: Option<&'a Node>| -> Option<&'a str> {
        s.and_then(|s| map_at(s, "appArmorProfile"))
            .map(|p| p.str_at("type").unwrap_or(""))
    };
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut paths = Vec::new();
    if let Some(t) = profile_type(pod.pod_sc()) {
        if !valid_seccomp_type(t) {
            setters.push("pod".to_string());
            values.insert(t.to_string());
            paths.push(pod.spec_path(&["securityContext", "appArmorProfile", "type"]));
        }
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(t) = profile_type(sc(c)) {
            if !valid_seccomp_type(t) {
                bad.push(c.name);
                values.insert(t.to_string());
                paths.push(pod.container_path(c, &["securityContext", "appArmorProfile", "type"]));
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    let mut annotations = Vec::new();
    if let Some(a) = pod.t.meta.get("annotations") {
        for e in a.entries() {
            let Some(v) = e.value.as_str() else { continue };
            let allowed = v.is_empty() || v == "runtime/default" || v.starts_with("localhost/");
            if e.key.starts_with(APPARMOR_ANNOTATION) && !allowed {
                annotations.push(format!("{}={}", e.key, go_quote(v)));
                paths.push(pod.annotation_path(&e.key));
            }
        }
    }
    let mut list: Vec<String> = values.into_iter().collect();
    if !annotations.is_empty() {
        annotations.sort();
        setters.push(plural("annotation", "annotations", annotations.len()).to_string());
        list.extend(annotations);
    }
    if setters.is_empty() {
        return None;
    }
    let reason = plural(
        "forbidden AppArmor profile",
        "forbidden AppArmor profiles",
        list.len(),
    );
    let detail = format!(
        "{} must not set AppArmor profile type to {}",
        setters.join(" and "),
        join_quote(&list)
    );
    result(CheckId::AppArmorProfile, reason, detail, paths)
}

/// `hostProbesAndHostLifecycle` (v1.34+): probes and lifecycle handlers must not set `host`.
pub(crate) fn host_probes_and_lifecycle(pod: &Pod<'_, '_>) -> Option<CheckResult> {
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut paths = Vec::new();
    for c in &pod.containers {
        let handlers: [&[&str]; 5] = [
            &["livenessProbe"],
            &["readinessProbe"],
            &["startupProbe"],
            &["lifecycle", "postStart"],
            &["lifecycle", "preStop"],
        ];
        for keys in handlers {
            let mut node = Some(c.node);
            for k in keys {
                node = node.and_then(|n| map_at(n, k));
            }
            let Some(handler) = node else { continue };
            for action in ["httpGet", "tcpSocket"] {
                let host = map_at(handler, action)
                    .and_then(|a| a.str_at("host"))
                    .unwrap_or("");
                if !host.is_empty() {
                    bad.insert(c.name.to_string());
                    hosts.insert(host.to_string());
                    let mut full: Vec<&str> = keys.to_vec();
                    full.extend([action, "host"]);
                    paths.push(pod.container_path(c, &full));
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&sorted(&bad)),
        plural("uses", "use", bad.len()),
        plural(
            "probe or lifecycle host",
            "probe or lifecycle hosts",
            hosts.len()
        ),
        join_quote(&sorted(&hosts)),
    );
    result(
        CheckId::HostProbesAndHostLifecycle,
        "probe or lifecycle host",
        detail,
        paths,
    )
}
