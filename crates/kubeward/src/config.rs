//! `kubeward.yaml`: project configuration, read with the same loader as manifests so that every
//! error has a position.

use clap::ValueEnum;
use kubeward_model::{Node, Value};
use kubeward_rules::registry::RuleSelector;
use kubeward_rules::{Level, PolicyVersion, Severity};
use std::collections::HashMap;

/// The project configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: HashMap<RuleSelector, Severity>,
    pub exclude_paths: Vec<String>,
    pub exclude_namespaces: Vec<String>,
    pub kubernetes_version: Option<u32>,
    pub pod_security: Option<(Level, PolicyVersion)>,
    pub fail_on: Option<FailOn>,
}

/// `--fail-on` and `failOn:`: the lowest severity that fails the run, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    #[value(alias = "none")]
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run; `None` for never.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    /// Parses the configuration's `failOn` as the flag does (any case, `none` for never).
    pub fn parse(s: &str) -> std::result::Result<FailOn, String> {
        FailOn::from_str(s, true).map_err(|_| {
            format!("unknown severity {s:?} (critical, high, medium, low, info, never)")
        })
    }
}

/// The level part of `--pod-security LEVEL[:VERSION]` and `podSecurity:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PodSecurityLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl From<PodSecurityLevel> for Level {
    fn from(l: PodSecurityLevel) -> Level {
        match l {
            PodSecurityLevel::Privileged => Level::Privileged,
            PodSecurityLevel::Baseline => Level::Baseline,
            PodSecurityLevel::Restricted => Level::Restricted,
        }
    }
}

/// Parses `LEVEL[:VERSION]` (`baseline`, `restricted:v1.30`): the flag's value parser and
/// the configuration's reader.
pub fn parse_pod_security(s: &str) -> std::result::Result<(Level, PolicyVersion), String> {
    let (level, version) = s.split_once(':').unwrap_or((s, "latest"));
    let level = PodSecurityLevel::from_str(level, false).map_err(|_| {
        format!("unknown Pod Security level {level:?} (privileged, baseline, restricted)")
    })?;
    let version = PolicyVersion::parse(version)
        .ok_or_else(|| format!("unknown Pod Security version {version:?} (latest or v1.N)"))?;
    Ok((level.into(), version))
}

/// Parses `1.30` / `v1.30` / `1.30.2` into the minor number.
pub fn parse_kubernetes_version(s: &str) -> Result<u32, String> {
    let t = s.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    match (parts.next(), parts.next()) {
        (Some("1"), Some(minor)) => minor
            .parse()
            .map_err(|_| format!("invalid Kubernetes version {s:?}")),
        _ => Err(format!("invalid Kubernetes version {s:?} (expected 1.N)")),
    }
}

const KEYS: &[&str] = &[
    "select",
    "ignore",
    "severity",
    "exclude",
    "kubernetesVersion",
    "podSecurity",
    "failOn",
];

/// Reads a configuration text; errors are `file:line:col: message`.
pub fn parse(name: &str, text: &str) -> Result<Config, Vec<String>> {
    let snap_errors;
    let mut duplicates = Vec::new();
    let root = {
        let limits = kubeward_model::Limits::default();
        let stream = kubeward_model::yaml::parse_stream(text, &limits);
        snap_errors = stream.errors;
        stream.documents.into_iter().next().map(|d| {
            duplicates = d.duplicates;
            d.root
        })
    };
    let mut errors: Vec<String> = snap_errors
        .iter()
        .map(|e| format!("{name}:{}:{}: {}", e.pos.line, e.pos.col, e.message))
        .collect();
    // a repeated key would silently override the first (`failOn: high` then `failOn: never`)
    errors.extend(duplicates.iter().map(|d| {
        format!(
            "{name}:{}:{}: {}; a configuration key may be written only once",
            d.second.line,
            d.second.col,
            d.message()
        )
    }));
    let mut cfg = Config::default();
    let Some(root) = root else {
        return if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        };
    };
    if root.is_null() {
        return Ok(cfg);
    }
    let at = |n: &Node, msg: String| format!("{name}:{}:{}: {msg}", n.pos.line, n.pos.col);
    if root.as_map().is_none() {
        errors.push(at(&root, "the configuration must be a mapping".into()));
        return Err(errors);
    }
    for e in root.entries() {
        let v = &e.value;
        let key_node = Node::new(Value::Null, e.key_pos);
        match e.key.as_str() {
            "select" => cfg.select = strings(v, &mut errors, &at),
            "ignore" => cfg.ignore = strings(v, &mut errors, &at),
            "severity" => {
                for s in v.entries() {
                    let Some(target) = RuleSelector::parse(&s.key) else {
                        errors.push(at(
                            &Node::new(Value::Null, s.key_pos),
                            format!(
                                "unknown rule or domain {:?} in severity (see `kubeward rules`)",
                                s.key.as_str()
                            ),
                        ));
                        continue;
                    };
                    match s.value.as_str().and_then(Severity::parse) {
                        Some(sev) => {
                            cfg.severity.insert(target, sev);
                        }
                        None => errors.push(at(
                            &s.value,
                            format!(
                                "severity of {} must be critical, high, medium, low or info",
                                s.key
                            ),
                        )),
                    }
                }
                if v.as_map().is_none() && !v.is_null() {
                    errors.push(at(
                        v,
                        "severity must map rule names or domains to severities".into(),
                    ));
                }
            }
            "exclude" => {
                for x in v.entries() {
                    match x.key.as_str() {
                        "paths" => cfg.exclude_paths = strings(&x.value, &mut errors, &at),
                        "namespaces" => {
                            cfg.exclude_namespaces = strings(&x.value, &mut errors, &at)
                        }
                        other => errors.push(at(
                            &Node::new(Value::Null, x.key_pos),
                            format!("unknown key exclude.{other} (paths, namespaces)"),
                        )),
                    }
                }
            }
            "kubernetesVersion" => match v.scalar_text().map(|s| parse_kubernetes_version(&s)) {
                Some(Ok(m)) => cfg.kubernetes_version = Some(m),
                Some(Err(m)) => errors.push(at(v, m)),
                None => errors.push(at(
                    v,
                    "kubernetesVersion must be a string like \"1.30\"".into(),
                )),
            },
            "podSecurity" => match v.as_str().map(parse_pod_security) {
                Some(Ok(p)) => cfg.pod_security = Some(p),
                Some(Err(m)) => errors.push(at(v, m)),
                None => errors.push(at(
                    v,
                    "podSecurity must be a string like \"baseline:v1.30\"".into(),
                )),
            },
            "failOn" => match v.scalar_text().map(|s| FailOn::parse(&s)) {
                Some(Ok(f)) => cfg.fail_on = Some(f),
                Some(Err(m)) => errors.push(at(v, m)),
                None => errors.push(at(v, "failOn must be a severity".into())),
            },
            other => errors.push(at(
                &key_node,
                format!("unknown key {other:?} (known: {})", KEYS.join(", ")),
            )),
        }
    }
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors)
    }
}

fn strings(
    v: &Node,
    errors: &mut Vec<String>,
    at: &dyn Fn(&Node, String) -> String,
) -> Vec<String> {
    match &v.value {
        Value::Null => vec![],
        Value::Str(s) => vec![s.to_string()],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match i.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    errors.push(at(i, "expected a string".into()));
                    None
                }
            })
            .collect(),
        _ => {
            errors.push(at(v, "expected a list of strings".into()));
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = parse(
            "kubeward.yaml",
            "select: [pod-security, workload]\nignore: image-tag-latest\nseverity:\n  missing-cpu-limits: info\nexclude:\n  paths: [\"charts/**\"]\n  namespaces: [kube-system]\nkubernetesVersion: \"1.30\"\npodSecurity: baseline:v1.29\nfailOn: high\n",
        )
        .unwrap();
        assert_eq!(c.select, vec!["pod-security", "workload"]);
        assert_eq!(c.ignore, vec!["image-tag-latest"]);
        assert_eq!(
            c.severity.get(&RuleSelector::Rule("missing-cpu-limits")),
            Some(&Severity::Info)
        );
        assert_eq!(c.exclude_paths, vec!["charts/**"]);
        assert_eq!(c.exclude_namespaces, vec!["kube-system"]);
        assert_eq!(c.kubernetes_version, Some(30));
        assert_eq!(
            c.pod_security,
            Some((Level::Baseline, PolicyVersion::Minor(29)))
        );
        assert_eq!(c.fail_on, Some(FailOn::High));
    }

    #[test]
    fn fail_on_reads_like_the_flag() {
        assert_eq!(FailOn::parse("HIGH"), Ok(FailOn::High));
        assert_eq!(FailOn::parse("none"), Ok(FailOn::Never));
        assert_eq!(FailOn::Info.threshold(), Some(Severity::Info));
        assert_eq!(FailOn::Never.threshold(), None);
        assert_eq!(
            FailOn::parse("severe").unwrap_err(),
            "unknown severity \"severe\" (critical, high, medium, low, info, never)"
        );
    }

    #[test]
    fn pod_security_level_and_version() {
        assert_eq!(
            parse_pod_security("baseline:v1.29"),
            Ok((Level::Baseline, PolicyVersion::Minor(29)))
        );
        assert_eq!(
            parse_pod_security("restricted"),
            Ok((Level::Restricted, PolicyVersion::Latest))
        );
        assert!(parse_pod_security("strict")
            .unwrap_err()
            .starts_with("unknown Pod Security level \"strict\""));
        assert!(parse_pod_security("baseline:2")
            .unwrap_err()
            .starts_with("unknown Pod Security version"));
    }

    #[test]
    fn a_repeated_key_is_an_error_at_the_repeat() {
        let e = parse("k.yaml", "failOn: high\nfailOn: never\n").unwrap_err();
        assert_eq!(
            e,
            vec![
                "k.yaml:2:1: duplicate key \"failOn\" (first at 1:1); a configuration key may be written only once"
            ]
        );
        let e = parse(
            "k.yaml",
            "severity:\n  privileged-container: info\n  privileged-container: critical\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("k.yaml:3:3: duplicate key"), "{e:?}");
    }

    #[test]
    fn severity_keys_are_rules_or_domains() {
        let c = parse("k.yaml", "severity:\n  rbac: low\n  all: info\n").unwrap();
        assert_eq!(
            c.severity
                .get(&RuleSelector::Domain(kubeward_rules::Domain::Rbac)),
            Some(&Severity::Low)
        );
        assert_eq!(c.severity.get(&RuleSelector::All), Some(&Severity::Info));
        let e = parse("k.yaml", "severity:\n  privileged-containr: info\n").unwrap_err();
        assert_eq!(
            e,
            vec!["k.yaml:2:3: unknown rule or domain \"privileged-containr\" in severity (see `kubeward rules`)"]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("k.yaml", "select: [a]\nselct: [b]\nfailOn: bad\n").unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(
            e[0].starts_with("k.yaml:2:1: unknown key \"selct\""),
            "{e:?}"
        );
        assert!(e[1].starts_with("k.yaml:3:9: unknown severity"), "{e:?}");
    }
}
