//! Type checks for the fields kubeward reads. The API server would reject an object whose
//! `privileged` is a string or whose `containers` is a mapping; we report such a field as an
//! input error at its position (exit code 2) and analyse the rest of the object.

use crate::pod::template_paths;
use crate::value::{type_name, Node, Pos, Value};

/// A field of the wrong type.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaIssue {
    pub pos: Pos,
    pub message: String,
}

#[derive(Clone, Copy)]
enum T {
    Bool,
    Int,
    Str,
    Map,
    Seq,
    /// A mapping whose values are strings (labels, annotations).
    StrMap,
    SeqOfStr,
    /// A sequence of mappings checked with the given fields.
    SeqOf(&'static [(&'static str, T)]),
    /// A mapping checked with the given fields.
    Fields(&'static [(&'static str, T)]),
}

const METADATA: &[(&str, T)] = &[
    ("name", T::Str),
    ("namespace", T::Str),
    ("generateName", T::Str),
    ("labels", T::StrMap),
    ("annotations", T::StrMap),
];

const SECCOMP: &[(&str, T)] = &[("type", T::Str), ("localhostProfile", T::Str)];
const SELINUX: &[(&str, T)] = &[
    ("type", T::Str),
    ("user", T::Str),
    ("role", T::Str),
    ("level", T::Str),
];
const WINDOWS: &[(&str, T)] = &[("hostProcess", T::Bool)];
const CAPS: &[(&str, T)] = &[("add", T::SeqOfStr), ("drop", T::SeqOfStr)];

const CONTAINER_SC: &[(&str, T)] = &[
    ("privileged", T::Bool),
    ("allowPrivilegeEscalation", T::Bool),
    ("readOnlyRootFilesystem", T::Bool),
    ("runAsNonRoot", T::Bool),
    ("runAsUser", T::Int),
    ("runAsGroup", T::Int),
    ("procMount", T::Str),
    ("capabilities", T::Fields(CAPS)),
    ("seccompProfile", T::Fields(SECCOMP)),
    ("seLinuxOptions", T::Fields(SELINUX)),
    ("windowsOptions", T::Fields(WINDOWS)),
    ("appArmorProfile", T::Fields(SECCOMP)),
];

const POD_SC: &[(&str, T)] = &[
    ("runAsNonRoot", T::Bool),
    ("runAsUser", T::Int),
    ("runAsGroup", T::Int),
    ("fsGroup", T::Int),
    ("supplementalGroups", T::Seq),
    ("sysctls", T::SeqOf(&[("name", T::Str), ("value", T::Str)])),
    ("seccompProfile", T::Fields(SECCOMP)),
    ("seLinuxOptions", T::Fields(SELINUX)),
    ("windowsOptions", T::Fields(WINDOWS)),
    ("appArmorProfile", T::Fields(SECCOMP)),
];

const CONTAINER: &[(&str, T)] = &[
    ("name", T::Str),
    ("image", T::Str),
    ("imagePullPolicy", T::Str),
    ("securityContext", T::Fields(CONTAINER_SC)),
    (
        "ports",
        T::SeqOf(&[
            ("containerPort", T::Int),
            ("hostPort", T::Int),
            ("name", T::Str),
            ("protocol", T::Str),
        ]),
    ),
    (
        "env",
        T::SeqOf(&[("name", T::Str), ("value", T::Str), ("valueFrom", T::Map)]),
    ),
    ("envFrom", T::Seq),
    (
        "resources",
        T::Fields(&[("limits", T::Map), ("requests", T::Map)]),
    ),
    (
        "volumeMounts",
        T::SeqOf(&[
            ("name", T::Str),
            ("mountPath", T::Str),
            ("readOnly", T::Bool),
        ]),
    ),
    ("command", T::SeqOfStr),
    ("args", T::SeqOfStr),
];

const POD_SPEC: &[(&str, T)] = &[
    ("hostNetwork", T::Bool),
    ("hostPID", T::Bool),
    ("hostIPC", T::Bool),
    ("hostUsers", T::Bool),
    ("shareProcessNamespace", T::Bool),
    ("automountServiceAccountToken", T::Bool),
    ("serviceAccountName", T::Str),
    ("serviceAccount", T::Str),
    ("securityContext", T::Fields(POD_SC)),
    ("containers", T::SeqOf(CONTAINER)),
    ("initContainers", T::SeqOf(CONTAINER)),
    ("ephemeralContainers", T::SeqOf(CONTAINER)),
    (
        "volumes",
        T::SeqOf(&[
            ("name", T::Str),
            ("hostPath", T::Fields(&[("path", T::Str), ("type", T::Str)])),
        ]),
    ),
    ("os", T::Fields(&[("name", T::Str)])),
];

/// Checks the metadata and the pod template (if any) of an object.
pub fn check(root: &Node) -> Vec<SchemaIssue> {
    let mut out = Vec::new();
    if let Some(m) = root.get("metadata") {
        check_node("metadata", m, T::Fields(METADATA), &mut out);
    }
    if let Some(kind) = root.str_at("kind") {
        if let Some((meta, spec)) = template_paths(kind, root) {
            let join = |p: &[&str]| p.join(".");
            // the template's containers path can be reached only through mappings
            let mut cur = root;
            for (i, k) in spec.iter().enumerate() {
                match cur.get(k) {
                    Some(n) if matches!(n.value, Value::Map(_)) => cur = n,
                    Some(n) if n.is_null() => break,
                    Some(n) => {
                        out.push(wrong(&join(&spec[..=i]), "mapping", n));
                        break;
                    }
                    None => break,
                }
                if i == spec.len() - 1 {
                    check_node(&join(spec), cur, T::Fields(POD_SPEC), &mut out);
                }
            }
            if meta.len() > 1 {
                if let Some(m) = root.at(meta) {
                    check_node(&join(meta), m, T::Fields(METADATA), &mut out);
                }
            }
        }
    }
    out
}

fn wrong(path: &str, expected: &str, n: &Node) -> SchemaIssue {
    SchemaIssue {
        pos: n.pos,
        message: format!(
            "{path}: expected {}, found {} ({})",
            with_article(expected),
            with_article(type_name(&n.value)),
            short(n)
        ),
    }
}

/// `an integer`, `a string`.
fn with_article(word: &str) -> String {
    let an = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if an { "an" } else { "a" })
}

fn short(n: &Node) -> String {
    match n.scalar_text() {
        Some(s) if s.chars().count() > 40 => {
            format!("{:?}…", s.chars().take(40).collect::<String>())
        }
        Some(s) => format!("{s:?}"),
        None => type_name(&n.value).to_string(),
    }
}

fn check_node(path: &str, n: &Node, t: T, out: &mut Vec<SchemaIssue>) {
    if n.is_null() {
        return; // an explicit null is the same as leaving the field out
    }
    match t {
        T::Bool if !matches!(n.value, Value::Bool(_)) => out.push(wrong(path, "boolean", n)),
        T::Int if n.as_i64().is_none() => out.push(wrong(path, "integer", n)),
        T::Str if !matches!(n.value, Value::Str(_)) => out.push(wrong(path, "string", n)),
        T::Map if !matches!(n.value, Value::Map(_)) => out.push(wrong(path, "mapping", n)),
        T::Seq if !matches!(n.value, Value::Seq(_)) => out.push(wrong(path, "sequence", n)),
        T::StrMap => match &n.value {
            Value::Map(entries) => {
                for e in entries {
                    if !matches!(e.value.value, Value::Str(_) | Value::Null) {
                        out.push(wrong(&format!("{path}.{}", e.key), "string", &e.value));
                    }
                }
            }
            _ => out.push(wrong(path, "mapping", n)),
        },
        T::SeqOfStr => match &n.value {
            Value::Seq(items) => {
                for (i, x) in items.iter().enumerate() {
                    check_node(&format!("{path}[{i}]"), x, T::Str, out);
                }
            }
            _ => out.push(wrong(path, "sequence", n)),
        },
        T::SeqOf(fields) => match &n.value {
            Value::Seq(items) => {
                for (i, x) in items.iter().enumerate() {
                    check_node(&format!("{path}[{i}]"), x, T::Fields(fields), out);
                }
            }
            _ => out.push(wrong(path, "sequence", n)),
        },
        T::Fields(fields) => match &n.value {
            Value::Map(_) => {
                for (k, ft) in fields {
                    if let Some(v) = n.get(k) {
                        check_node(&format!("{path}.{k}"), v, *ft, out);
                    }
                }
            }
            _ => out.push(wrong(path, "mapping", n)),
        },
        _ => {}
    }
}
