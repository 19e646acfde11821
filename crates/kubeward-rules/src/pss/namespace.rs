//! Namespace labels `pod-security.kubernetes.io/{enforce,audit,warn}[-version]`, read as the
//! Pod Security admission reads them.

use crate::rule::{Level, PolicyVersion};
use kubeward_model::Object;

pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// A level and a policy version, as labelled (`restricted:latest`, `baseline:v1.30`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: PolicyVersion,
}

impl LevelVersion {
    pub const PRIVILEGED_LATEST: LevelVersion = LevelVersion {
        level: Level::Privileged,
        version: PolicyVersion::Latest,
    };

    pub fn new(level: Level, version: PolicyVersion) -> Self {
        LevelVersion { level, version }
    }
}

impl std::fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.level.as_str(), self.version.display())
    }
}

/// A Pod Security admission mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Enforce,
    Audit,
    Warn,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }
}

/// The policy of a namespace: one level and version per mode, plus the label errors found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
    /// Invalid label values, as `label: reason` (the policy falls back as upstream does).
    pub errors: Vec<String>,
    /// Whether the namespace sets the `enforce` label (valid or not): only then does the
    /// enforce level come from the namespace rather than the cluster's default.
    pub enforce_labelled: bool,
}

impl NamespacePolicy {
    pub fn mode(&self, mode: Mode) -> LevelVersion {
        match mode {
            Mode::Enforce => self.enforce,
            Mode::Audit => self.audit,
            Mode::Warn => self.warn,
        }
    }

    /// Whether every mode is privileged (nothing to check).
    pub fn fully_privileged(&self) -> bool {
        Mode::ALL
            .iter()
            .all(|m| self.mode(*m).level == Level::Privileged)
    }
}

/// Upstream `ParseLevel`: an unknown level is an error (callers pick the fallback).
pub fn parse_level(s: &str) -> Option<Level> {
    Level::parse(s)
}

/// Upstream `ParseVersion`: `latest` or `v1.<N>` (no leading zeros, no other forms); anything
/// else is an error and means `latest`.
pub fn parse_version(s: &str) -> Option<PolicyVersion> {
    if s == "latest" {
        return Some(PolicyVersion::Latest);
    }
    let minor = s.strip_prefix("v1.")?;
    let digits_ok = !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
        && (minor == "0" || !minor.starts_with('0'));
    if !digits_ok {
        return None;
    }
    minor.parse().ok().map(PolicyVersion::Minor)
}

/// Reads a namespace's Pod Security labels as upstream `PolicyToEvaluate` does, with
/// `defaults` for modes without a label. `None` when the namespace has no Pod Security label
/// at all (the caller's default applies).
///
/// Invalid values: an invalid `enforce` level means `restricted` (fail closed) and does not
/// raise `warn`; an invalid `audit` or `warn` level means `privileged` (fail open); an invalid
/// version means `latest`. When `enforce` is set and `warn` is not, `warn` is raised to the
/// enforce level (and version, unless `warn-version` is set).
pub fn policy_from_labels<'a>(
    label: impl Fn(&str) -> Option<&'a str>,
    defaults: LevelVersion,
) -> Option<NamespacePolicy> {
    policy_from_labels_with(label, [defaults; 3])
}

/// As [`policy_from_labels`] with one default per mode, `[enforce, audit, warn]` (the
/// `defaults` of the admission plugin's `PodSecurityConfiguration`, which the admission
/// webhook reads from its configuration).
pub fn policy_from_labels_with<'a>(
    label: impl Fn(&str) -> Option<&'a str>,
    defaults: [LevelVersion; 3],
) -> Option<NamespacePolicy> {
    let key = |suffix: &str| format!("{LABEL_PREFIX}{suffix}");
    let get = |suffix: &str| label(&key(suffix));
    if [
        "enforce",
        "enforce-version",
        "audit",
        "audit-version",
        "warn",
        "warn-version",
    ]
    .iter()
    .all(|s| get(s).is_none())
    {
        return None;
    }
    let mut p = NamespacePolicy {
        enforce: defaults[0],
        audit: defaults[1],
        warn: defaults[2],
        errors: Vec::new(),
        enforce_labelled: get("enforce").is_some(),
    };
    let mut errors = Vec::new();
    let mut level_of = |suffix: &str, fallback: Level| -> Option<Level> {
        let v = get(suffix)?;
        Some(parse_level(v).unwrap_or_else(|| {
            errors.push(format!(
                "{}: {v:?}: must be one of privileged, baseline, restricted",
                key(suffix)
            ));
            fallback
        }))
    };
    let enforce_level = level_of("enforce", Level::Restricted);
    let audit_level = level_of("audit", Level::Privileged);
    let warn_level = level_of("warn", Level::Privileged);
    let mut version_of = |suffix: &str| -> Option<PolicyVersion> {
        let v = get(suffix)?;
        Some(parse_version(v).unwrap_or_else(|| {
            errors.push(format!(
                "{}: {v:?}: must be \"latest\" or \"v1.x\"",
                key(suffix)
            ));
            PolicyVersion::Latest
        }))
    };
    let enforce_version = version_of("enforce-version");
    let audit_version = version_of("audit-version");
    let warn_version = version_of("warn-version");
    let has_enforce_level = get("enforce").and_then(parse_level).is_some();
    if let Some(l) = enforce_level {
        p.enforce.level = l;
    }
    if let Some(v) = enforce_version {
        p.enforce.version = v;
    }
    if let Some(l) = audit_level {
        p.audit.level = l;
    }
    if let Some(v) = audit_version {
        p.audit.version = v;
    }
    if let Some(l) = warn_level {
        p.warn.level = l;
    }
    if let Some(v) = warn_version {
        p.warn.version = v;
    }
    if warn_level.is_none() && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if warn_version.is_none() {
            p.warn.version = p.enforce.version;
        }
    }
    p.errors = errors;
    Some(p)
}

/// The policy of a Namespace object from its labels. Each mode without a label takes
/// `defaults` (the cluster's `AdmissionConfiguration` defaults: `privileged:latest` on a stock
/// API server, kubeward's `--pod-security` level in a scan), except that `warn` follows an
/// explicit, stricter `enforce`. No mode takes its level from `audit` or `warn`. `None` without
/// Pod Security labels.
pub fn namespace_policy(ns: &Object, defaults: LevelVersion) -> Option<NamespacePolicy> {
    policy_from_labels(
        |k| ns.metadata().get("labels").and_then(|l| l.str_at(k)),
        defaults,
    )
}
