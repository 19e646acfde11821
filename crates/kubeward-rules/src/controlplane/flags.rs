//! The command lines of the control-plane components as kubeadm writes their static pods
//! (`/etc/kubernetes/manifests/kube-apiserver.yaml`, ...), read as the components' flag
//! parsers read them, and the `KubeletConfiguration` file with the kubelet's defaults.
//!
//! A container runs a component when the base name of `command[0]` is the component's binary
//! (`kube-apiserver`, `/usr/local/bin/kube-apiserver`; `hyperkube kube-apiserver` too), or when
//! it has no command and its image is the component's (`registry.k8s.io/kube-apiserver:v1.31.0`).
//! Flags are the rest of `command` then `args`: `--name=value`, `--name value` (a flag that is
//! not a boolean takes the next word), `-name` as Go's flag package allows (etcd), a bare
//! boolean flag (`--profiling`) meaning `true`. A repeated flag: the last value wins, except
//! for list flags, which [`Invocation::list`] reads from every occurrence, comma-separated.

use crate::rule::Context;
use kubeward_model::{FieldPath, Node, Object};

/// A control-plane component run from a static pod (or any pod template).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
}

impl Component {
    /// The binary's name.
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
        }
    }

    fn of_binary(name: &str) -> Option<Component> {
        [
            Component::ApiServer,
            Component::ControllerManager,
            Component::Scheduler,
            Component::Etcd,
        ]
        .into_iter()
        .find(|c| c.binary() == name)
    }
}

/// Flags that are booleans: they never take the next word as their value.
const BOOL_FLAGS: &[&str] = &[
    "anonymous-auth",
    "profiling",
    "service-account-lookup",
    "use-service-account-credentials",
    "client-cert-auth",
    "peer-client-cert-auth",
    "auto-tls",
    "peer-auto-tls",
    "allow-privileged",
    "enable-bootstrap-token-auth",
    "enable-aggregator-routing",
    "insecure-skip-tls-verify",
    "v",
];

/// One flag of a command line.
#[derive(Clone, Debug)]
pub struct Flag<'a> {
    /// Without its dashes.
    pub name: &'a str,
    /// `None` for a bare boolean flag (`--profiling`).
    pub value: Option<&'a str>,
    /// Path of the word that holds the flag, from the object's root.
    pub path: FieldPath,
}

/// One container running a component, with its flags in order.
pub struct Invocation<'a> {
    pub object: &'a Object,
    pub component: Component,
    /// Path of the container, from the object's root.
    pub container_path: FieldPath,
    pub flags: Vec<Flag<'a>>,
}

impl<'a> Invocation<'a> {
    /// The last occurrence of a flag.
    pub fn flag(&self, name: &str) -> Option<&Flag<'a>> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// The value of a flag (its last occurrence); a bare flag reads `true`.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.flag(name).map(|f| f.value.unwrap_or("true"))
    }

    /// A boolean flag as Go's `strconv.ParseBool` reads it; `default` when unset or
    /// unreadable.
    pub fn bool(&self, name: &str, default: bool) -> bool {
        match self.value(name).map(str::trim) {
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => true,
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => false,
            _ => default,
        }
    }

    /// Whether a flag is set to a non-empty value.
    pub fn is_set(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| !v.trim().is_empty())
    }

    /// Every item of a list flag: every occurrence, split at commas, trimmed, empty items
    /// dropped.
    pub fn list(&self, name: &str) -> Vec<&'a str> {
        self.flags
            .iter()
            .filter(|f| f.name == name)
            .filter_map(|f| f.value)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Where a finding about a flag points: the flag's word, else the container's command
    /// (or the container) when the flag is missing.
    pub fn path_of(&self, name: &str) -> FieldPath {
        match self.flag(name) {
            Some(f) => f.path.clone(),
            None => self.missing_path(),
        }
    }

    /// Where a finding about a missing flag points: the container's `command`, else its
    /// `args`, else the container.
    pub fn missing_path(&self) -> FieldPath {
        let c = self.object.root.lookup(&self.container_path);
        for key in ["command", "args"] {
            if c.and_then(|c| c.get(key)).is_some() {
                return self.container_path.key(key);
            }
        }
        self.container_path.clone()
    }

    /// The component's binary, which begins every message (the finding names the object).
    pub fn describe(&self) -> &'static str {
        self.component.binary()
    }
}

/// Input text quoted in a message, cut to 120 characters (`…` marks the cut): a value of
/// the input never makes a message unbounded.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

/// The base name of a path or image repository.
fn base(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The component an image runs, by its repository's last component
/// (`registry.k8s.io/kube-apiserver:v1.31.0`, `quay.io/coreos/etcd@sha256:...`).
fn image_component(image: &str) -> Option<Component> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let name = base(no_digest);
    let name = name.split(':').next().unwrap_or(name);
    Component::of_binary(name)
}

/// Every container of the input that runs `component`: found once per scan for every
/// control-plane rule ([`Context::control_plane`]).
pub fn invocations<'a, 's>(
    cx: &'a Context<'s>,
    component: Component,
) -> impl Iterator<Item = &'a Invocation<'s>> + 'a {
    cx.control_plane()
        .iter()
        .filter(move |i| i.component == component)
}

/// Every container of the snapshot that runs a control-plane component, in input order.
pub(crate) fn find_invocations<'s>(index: &kubeward_model::Index<'s>) -> Vec<Invocation<'s>> {
    let mut out = Vec::new();
    for t in index.pod_templates() {
        for c in t.containers() {
            let command = c.node.get("command").map(Node::items).unwrap_or(&[]);
            let word = |i: usize| command.get(i).and_then(Node::as_str).map(base);
            // (index in command where the flags start, the component); nothing is allocated
            // for the containers of ordinary workloads
            let start = match word(0) {
                Some("hyperkube") => word(1).and_then(Component::of_binary).map(|k| (2, k)),
                Some(w) => Component::of_binary(w).map(|k| (1, k)),
                None if command.is_empty() => c.image().and_then(image_component).map(|k| (0, k)),
                None => None,
            };
            let Some((first, component)) = start else {
                continue;
            };
            let container_path = t.path(&c.rel_path());
            let args = c.node.get("args").map(Node::items).unwrap_or(&[]);
            let mut tokens: Vec<(&Node, FieldPath)> = Vec::new();
            for (i, n) in command.iter().enumerate().skip(first) {
                tokens.push((n, container_path.key("command").index(i)));
            }
            for (i, n) in args.iter().enumerate() {
                tokens.push((n, container_path.key("args").index(i)));
            }
            out.push(Invocation {
                object: t.object,
                component,
                container_path,
                flags: parse(&tokens),
            });
        }
    }
    out
}

/// Reads the flags of a list of words.
fn parse<'a>(tokens: &[(&'a Node, FieldPath)]) -> Vec<Flag<'a>> {
    let mut flags = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (node, path) = &tokens[i];
        i += 1;
        let Some(word) = node.as_str() else {
            continue;
        };
        let Some(body) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            continue; // a positional argument
        };
        if body.is_empty() || body.starts_with('-') {
            continue; // `--` ends the flags of Go's parser; `---x` is not a flag
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None if BOOL_FLAGS.contains(&body) => (body, None),
            None => {
                // a non-boolean flag takes the next word
                let next = tokens
                    .get(i)
                    .and_then(|(n, _)| n.as_str())
                    .filter(|w| !w.starts_with('-'));
                if next.is_some() {
                    i += 1;
                }
                (body, next)
            }
        };
        flags.push(Flag {
            name,
            value,
            path: path.clone(),
        });
    }
    flags
}

/// The `KubeletConfiguration` objects of the input (`kubelet.config.k8s.io`).
pub fn kubelet_configs<'a, 's>(cx: &'a Context<'s>) -> impl Iterator<Item = &'s Object> + 'a {
    cx.index
        .of_kind("KubeletConfiguration")
        .filter(|o| o.oref.api_version.starts_with("kubelet.config.k8s.io/"))
}

/// A boolean field of a configuration file: `default` when absent or not a boolean.
pub fn bool_at(root: &Node, keys: &[&str], default: bool) -> bool {
    root.at(keys).and_then(Node::as_bool).unwrap_or(default)
}

/// The path of `keys` from the root, or of its closest existing parent.
pub fn existing(root: &Node, keys: &[&str]) -> FieldPath {
    let full = keys.iter().fold(FieldPath::root(), |p, k| p.key(k));
    root.existing_prefix(&full)
}

/// TLS versions below 1.2, as Go's crypto/tls names them for the components' flags and
/// `tlsMinVersion`.
pub fn weak_tls_version(v: &str) -> bool {
    matches!(v.trim(), "VersionTLS10" | "VersionTLS11")
}

/// A cipher suite that the CIS Kubernetes Benchmark's strong list leaves out: CBC mode, RC4,
/// 3DES, or RSA key exchange without forward secrecy (`TLS_RSA_...`).
pub fn weak_cipher(suite: &str) -> bool {
    let s = suite.trim();
    s.contains("_CBC_") || s.contains("RC4") || s.contains("3DES") || s.starts_with("TLS_RSA_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Settings;
    use kubeward_model::{load_str, Index};

    fn flags_of(yaml: &str, component: Component) -> Vec<(String, Option<String>)> {
        let snap = load_str("t.yaml", yaml);
        let index = Index::new(&snap);
        let settings = Settings::default();
        let cx = Context::new(&snap, &index, &settings, None);
        invocations(&cx, component)
            .flat_map(|i| i.flags.iter())
            .map(|f| (f.name.to_string(), f.value.map(str::to_string)))
            .collect()
    }

    #[test]
    fn flag_forms_are_read_as_the_parsers_read_them() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: kube-system}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - /usr/local/bin/kube-apiserver\n    - --anonymous-auth=false\n    - --authorization-mode\n    - Node,RBAC\n    - --profiling\n    - -v=2\n    - positional\n    - --enable-admission-plugins=NodeRestriction\n    args: [--enable-admission-plugins=PodSecurity]\n";
        let got = flags_of(pod, Component::ApiServer);
        let expect: Vec<(String, Option<String>)> = [
            ("anonymous-auth", Some("false")),
            ("authorization-mode", Some("Node,RBAC")),
            ("profiling", None),
            ("v", Some("2")),
            ("enable-admission-plugins", Some("NodeRestriction")),
            ("enable-admission-plugins", Some("PodSecurity")),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
        .collect();
        assert_eq!(got, expect);
        assert!(flags_of(pod, Component::Etcd).is_empty());
    }

    #[test]
    fn list_flags_join_every_occurrence_and_scalars_take_the_last() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [--authorization-mode=Node, \"--authorization-mode=RBAC, Webhook\", --anonymous-auth=true, --anonymous-auth=false]\n";
        let snap = load_str("t.yaml", pod);
        let index = Index::new(&snap);
        let settings = Settings::default();
        let cx = Context::new(&snap, &index, &settings, None);
        let inv: Vec<_> = invocations(&cx, Component::ApiServer).collect();
        assert_eq!(inv.len(), 1, "found by image without a command");
        assert_eq!(
            inv[0].list("authorization-mode"),
            ["Node", "RBAC", "Webhook"]
        );
        assert!(!inv[0].bool("anonymous-auth", true));
        assert!(inv[0].bool("profiling", true));
        assert_eq!(
            inv[0].path_of("anonymous-auth").as_str(),
            "spec.containers[0].args[3]"
        );
        assert_eq!(
            inv[0].path_of("profiling").as_str(),
            "spec.containers[0].args"
        );
    }

    #[test]
    fn hyperkube_and_other_shells() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: h, image: x, command: [/hyperkube, kube-scheduler, --profiling=false]}\n  - {name: s, image: registry.k8s.io/kube-scheduler:v1, command: [/bin/sh, -c, kube-scheduler --profiling]}\n";
        let got = flags_of(pod, Component::Scheduler);
        assert_eq!(got, [("profiling".to_string(), Some("false".to_string()))]);
    }

    #[test]
    fn quoted_input_is_clipped() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(500);
        let c = clip(&long);
        assert_eq!(c.chars().count(), 121);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn tls_strength() {
        assert!(weak_tls_version("VersionTLS11"));
        assert!(!weak_tls_version("VersionTLS12"));
        assert!(weak_cipher("TLS_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(weak_cipher("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
        assert!(!weak_cipher("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
    }
}
