//! The webhook's configuration file (`kubeward serve --config FILE`): Pod Security defaults
//! and exemptions, namespace labels the webhook has not been shown, the action of every other
//! rule (per namespace too), exceptions with a reason and an expiry date, and what to answer
//! when the webhook itself fails.
//!
//! ```yaml
//! podSecurity:
//!   defaults: {enforce: privileged, audit: restricted, warn: restricted}   # level[:version]
//!   exemptions:
//!     usernames: [system:serviceaccount:kube-system:replicaset-controller]
//!     namespaces: [kube-system]
//!     runtimeClasses: [kata]
//! kubernetesVersion: "1.31"
//! namespaces:                      # labels of namespaces (Namespace objects shown win)
//!   shop: {pod-security.kubernetes.io/enforce: restricted}
//! rules:
//!   default: audit                 # deny | warn | audit | off, for rules not named below
//!   actions: {sensitive-host-path: deny, rbac: audit}   # rules or domains
//!   namespaces:
//!     legacy: {sensitive-host-path: audit}
//! exceptions:
//!   - {rule: sensitive-host-path, namespace: monitoring, name: node-exporter,
//!      reason: "reads /proc, reviewed 2026-11", expires: 2027-03-31}
//! failurePolicy: Ignore            # Ignore (allow) or Fail (deny) when the webhook fails
//! ```

use crate::date::Date;
use kubeward_model::{Node, Value};
use kubeward_rules::pss::LevelVersion;
use kubeward_rules::registry::RuleSelector;
use kubeward_rules::{Domain, Level, PolicyVersion, RuleMeta};
use std::collections::{BTreeMap, HashMap};

/// What happens when a rule of the catalogue fires on an admitted object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Not evaluated.
    Off,
    /// An audit annotation.
    Audit,
    /// A warning to the client (and an audit annotation).
    Warn,
    /// The request is denied.
    Deny,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "off" => Some(Action::Off),
            "audit" => Some(Action::Audit),
            "warn" => Some(Action::Warn),
            "deny" => Some(Action::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Off => "off",
            Action::Audit => "audit",
            Action::Warn => "warn",
            Action::Deny => "deny",
        }
    }
}

/// What the webhook answers when it cannot decide in time or fails inside (its own
/// `failurePolicy`; the API server's applies when the webhook cannot be reached).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Allow, with a warning and an `error` audit annotation (fail open).
    Ignore,
    /// Deny with status 500 (fail closed).
    Fail,
}

/// PodSecurityConfiguration `exemptions`.
#[derive(Clone, Debug, Default)]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub namespaces: Vec<String>,
    pub runtime_classes: Vec<String>,
}

/// An exception to one rule: its scope, why, and until when.
#[derive(Clone, Debug)]
pub struct Exception {
    pub rule: RuleSelector,
    pub namespace: String,
    /// The object's name; `None` for every object of the namespace. A trailing `*` matches a
    /// prefix (the pods of a controller).
    pub name: Option<String>,
    pub reason: String,
    /// The last day it holds.
    pub expires: Date,
}

impl Exception {
    pub fn covers(&self, meta: &RuleMeta, namespace: &str, name: &str) -> bool {
        self.rule.selects(meta)
            && self.namespace == namespace
            && match &self.name {
                None => true,
                Some(n) => match n.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => n == name,
                },
            }
    }

    pub fn expired(&self, today: Date) -> bool {
        today > self.expires
    }

    /// `rule in namespace/name (until DATE: reason)`.
    pub fn describe(&self) -> String {
        format!(
            "{} in {}/{} (until {}: {})",
            self.rule,
            self.namespace,
            self.name.as_deref().unwrap_or("*"),
            self.expires,
            self.reason
        )
    }
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// PodSecurityConfiguration `defaults`: `[enforce, audit, warn]`.
    pub defaults: [LevelVersion; 3],
    pub exemptions: Exemptions,
    pub kubernetes_minor: Option<u32>,
    /// Namespace labels from the configuration.
    pub namespaces: HashMap<String, BTreeMap<String, String>>,
    pub default_action: Action,
    pub actions: Vec<(RuleSelector, Action)>,
    pub namespace_actions: HashMap<String, Vec<(RuleSelector, Action)>>,
    pub exceptions: Vec<Exception>,
    pub failure_policy: FailurePolicy,
}

impl Default for Config {
    /// A stock API server's Pod Security defaults (`privileged:latest` for every mode), every
    /// other default rule as an audit annotation (the first step of a rollout), fail open.
    fn default() -> Self {
        Config {
            defaults: [LevelVersion::PRIVILEGED_LATEST; 3],
            exemptions: Exemptions::default(),
            kubernetes_minor: None,
            namespaces: HashMap::new(),
            default_action: Action::Audit,
            actions: Vec::new(),
            namespace_actions: HashMap::new(),
            exceptions: Vec::new(),
            failure_policy: FailurePolicy::Ignore,
        }
    }
}

/// Rules that judge an object against the rest of the cluster (the NetworkPolicies, Services,
/// ServiceAccounts, Namespace or image inventory it would be judged with): an admission
/// request shows one object, so they would report what is merely unseen. Pod Security rules
/// are not run as rules either: Pod Security admission decides with the namespace's labels.
pub const CLUSTER_CONTEXT_RULES: &[&str] = &[
    "privileged-namespace-admits",
    "service-selects-nothing",
    "network-policy-selects-nothing",
    "missing-network-policy",
    "missing-service-account",
    "vulnerable-image",
];

/// Whether a rule can run on a single admitted object.
pub fn admissible(meta: &RuleMeta) -> bool {
    // attack paths need the whole cluster's graph
    meta.domain != Domain::PodSecurity
        && meta.domain != Domain::AttackPath
        && !CLUSTER_CONTEXT_RULES.contains(&meta.name)
}

fn most_specific(list: &[(RuleSelector, Action)], meta: &RuleMeta) -> Option<Action> {
    let rank = |s: &RuleSelector| match s {
        RuleSelector::Rule(_) => 0,
        RuleSelector::Domain(_) => 1,
        RuleSelector::All => 2,
    };
    list.iter()
        .filter(|(s, _)| s.selects(meta))
        .min_by_key(|(s, _)| rank(s))
        .map(|(_, a)| *a)
}

impl Config {
    /// The action of a rule in a namespace: the namespace's override, else `rules.actions`
    /// (the rule before its domain before `all`), else `rules.default` for rules on by default
    /// (`off` for the hygiene domain unless named).
    pub fn action(&self, meta: &RuleMeta, namespace: &str) -> Action {
        if !admissible(meta) {
            return Action::Off;
        }
        if let Some(a) = self
            .namespace_actions
            .get(namespace)
            .and_then(|l| most_specific(l, meta))
        {
            return a;
        }
        if let Some(a) = most_specific(&self.actions, meta) {
            return a;
        }
        if kubeward_rules::registry::on_by_default(meta) {
            self.default_action
        } else {
            Action::Off
        }
    }

    /// Exceptions past their expiry date.
    pub fn expired(&self, today: Date) -> impl Iterator<Item = &Exception> {
        self.exceptions.iter().filter(move |e| e.expired(today))
    }

    /// Reads a configuration text; errors are `name:line:col: message`.
    pub fn parse(name: &str, text: &str) -> Result<Config, Vec<String>> {
        let limits = kubeward_model::Limits::default();
        let stream = kubeward_model::yaml::parse_stream(text, &limits);
        let mut errors: Vec<String> = stream
            .errors
            .iter()
            .map(|e| format!("{name}:{}:{}: {}", e.pos.line, e.pos.col, e.message))
            .collect();
        let mut cfg = Config::default();
        let mut docs = stream.documents.into_iter();
        let Some(doc) = docs.next() else {
            return if errors.is_empty() {
                Ok(cfg)
            } else {
                Err(errors)
            };
        };
        for d in &doc.duplicates {
            errors.push(format!(
                "{name}:{}:{}: {}; a configuration key may be written only once",
                d.second.line,
                d.second.col,
                d.message()
            ));
        }
        let mut p = Parser {
            name,
            errors: &mut errors,
        };
        if !doc.root.is_null() {
            p.root(&doc.root, &mut cfg);
        }
        if docs.next().is_some() {
            errors.push(format!(
                "{name}: the configuration must be one YAML document"
            ));
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }
}

struct Parser<'e> {
    name: &'e str,
    errors: &'e mut Vec<String>,
}

impl Parser<'_> {
    fn err(&mut self, n: &Node, msg: impl Into<String>) {
        self.errors.push(format!(
            "{}:{}:{}: {}",
            self.name,
            n.pos.line,
            n.pos.col,
            msg.into()
        ));
    }

    fn key_err(&mut self, e: &kubeward_model::Entry, msg: impl Into<String>) {
        let n = Node::new(Value::Null, e.key_pos);
        self.err(&n, msg);
    }

    fn map<'n>(&mut self, n: &'n Node, what: &str) -> &'n [kubeward_model::Entry] {
        if n.as_map().is_none() && !n.is_null() {
            self.err(n, format!("{what} must be a mapping"));
        }
        n.entries()
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.value {
            Value::Str(s) => Some(s.to_string()),
            Value::Int(i) => Some(i.to_string()),
            _ => {
                self.err(n, format!("{what} must be a string"));
                None
            }
        }
    }

    fn strings(&mut self, n: &Node, what: &str) -> Vec<String> {
        if n.is_null() {
            return Vec::new();
        }
        if n.as_seq().is_none() {
            self.err(n, format!("{what} must be a list of strings"));
            return Vec::new();
        }
        n.items()
            .iter()
            .filter_map(|i| self.string(i, what))
            .collect()
    }

    fn root(&mut self, root: &Node, cfg: &mut Config) {
        for e in self.map(root, "the configuration") {
            let v = &e.value;
            match e.key.as_str() {
                "podSecurity" => self.pod_security(v, cfg),
                "kubernetesVersion" => {
                    let text = match &v.value {
                        Value::Float(f) => Some(format!("{f}")),
                        _ => self.string(v, "kubernetesVersion"),
                    };
                    if let Some(t) = text {
                        let minor = t
                            .strip_prefix('v')
                            .unwrap_or(&t)
                            .strip_prefix("1.")
                            .and_then(|m| m.parse::<u32>().ok());
                        match minor {
                            Some(m) => cfg.kubernetes_minor = Some(m),
                            None => self.err(v, "kubernetesVersion must be 1.N (\"1.31\")"),
                        }
                    }
                }
                "namespaces" => {
                    for ns in self.map(v, "namespaces") {
                        let mut labels = BTreeMap::new();
                        for l in self.map(&ns.value, "namespace labels") {
                            if let Some(s) = self.string(&l.value, "a label value") {
                                labels.insert(l.key.to_string(), s);
                            }
                        }
                        cfg.namespaces.insert(ns.key.to_string(), labels);
                    }
                }
                "rules" => self.rules(v, cfg),
                "exceptions" => self.exceptions(v, cfg),
                "failurePolicy" => match v.as_str() {
                    Some("Ignore") => cfg.failure_policy = FailurePolicy::Ignore,
                    Some("Fail") => cfg.failure_policy = FailurePolicy::Fail,
                    _ => self.err(v, "failurePolicy must be Ignore or Fail"),
                },
                other => self.key_err(
                    e,
                    format!("unknown key {other:?} (podSecurity, kubernetesVersion, namespaces, rules, exceptions, failurePolicy)"),
                ),
            }
        }
    }

    fn pod_security(&mut self, v: &Node, cfg: &mut Config) {
        for e in self.map(v, "podSecurity") {
            match e.key.as_str() {
                "defaults" => {
                    for d in self.map(&e.value, "podSecurity.defaults") {
                        let i = match d.key.as_str() {
                            "enforce" => 0,
                            "audit" => 1,
                            "warn" => 2,
                            other => {
                                self.key_err(d, format!("unknown mode {other:?} (enforce, audit, warn; write level:version)"));
                                continue;
                            }
                        };
                        let Some(s) = self.string(&d.value, "a level") else {
                            continue;
                        };
                        match parse_level_version(&s) {
                            Some(lv) => cfg.defaults[i] = lv,
                            None => self.err(
                                &d.value,
                                format!("{s:?}: must be privileged, baseline or restricted, optionally :latest or :v1.N"),
                            ),
                        }
                    }
                }
                "exemptions" => {
                    for x in self.map(&e.value, "podSecurity.exemptions") {
                        match x.key.as_str() {
                            "usernames" => {
                                cfg.exemptions.usernames = self.strings(&x.value, "usernames")
                            }
                            "namespaces" => {
                                cfg.exemptions.namespaces = self.strings(&x.value, "namespaces")
                            }
                            "runtimeClasses" => {
                                cfg.exemptions.runtime_classes =
                                    self.strings(&x.value, "runtimeClasses")
                            }
                            other => self.key_err(
                                x,
                                format!("unknown key exemptions.{other} (usernames, namespaces, runtimeClasses)"),
                            ),
                        }
                    }
                }
                other => self.key_err(
                    e,
                    format!("unknown key podSecurity.{other} (defaults, exemptions)"),
                ),
            }
        }
    }

    fn action_list(&mut self, v: &Node, what: &str) -> Vec<(RuleSelector, Action)> {
        let mut out = Vec::new();
        for a in self.map(v, what) {
            let Some(sel) = RuleSelector::parse(&a.key) else {
                self.key_err(
                    a,
                    format!(
                        "unknown rule or domain {:?} (see `kubeward rules`)",
                        a.key.as_str()
                    ),
                );
                continue;
            };
            if let RuleSelector::Domain(Domain::PodSecurity) = sel {
                self.key_err(a, "pod-security is decided by the namespace labels (podSecurity, namespaces), not by rule actions");
                continue;
            }
            if let RuleSelector::Rule(r) = sel {
                let meta = kubeward_rules::registry::find(r).map(|r| r.meta());
                if meta.is_some_and(|m| !admissible(m)) {
                    self.key_err(
                        a,
                        format!("{r} does not run in the webhook: it needs the rest of the cluster or is a Pod Security check"),
                    );
                    continue;
                }
            }
            match action_of(&a.value) {
                Some(act) => out.push((sel, act)),
                None => self.err(&a.value, "an action must be deny, warn, audit or off"),
            }
        }
        out
    }

    fn rules(&mut self, v: &Node, cfg: &mut Config) {
        for e in self.map(v, "rules") {
            match e.key.as_str() {
                "default" => match action_of(&e.value) {
                    Some(a) => cfg.default_action = a,
                    None => self.err(&e.value, "rules.default must be deny, warn, audit or off"),
                },
                "actions" => cfg.actions = self.action_list(&e.value, "rules.actions"),
                "namespaces" => {
                    for ns in self.map(&e.value, "rules.namespaces") {
                        let list = self.action_list(&ns.value, "a namespace's actions");
                        cfg.namespace_actions.insert(ns.key.to_string(), list);
                    }
                }
                other => self.key_err(
                    e,
                    format!("unknown key rules.{other} (default, actions, namespaces)"),
                ),
            }
        }
    }

    fn exceptions(&mut self, v: &Node, cfg: &mut Config) {
        if v.as_seq().is_none() && !v.is_null() {
            self.err(v, "exceptions must be a list");
            return;
        }
        for item in v.items() {
            let (mut rule, mut namespace, mut name, mut reason, mut expires) =
                (None, None, None, None, None);
            for f in self.map(item, "an exception") {
                match f.key.as_str() {
                    "rule" => {
                        if let Some(s) = self.string(&f.value, "rule") {
                            match RuleSelector::parse(&s) {
                                Some(r) => rule = Some(r),
                                None => self.err(&f.value, format!("unknown rule or domain {s:?}")),
                            }
                        }
                    }
                    "namespace" => namespace = self.string(&f.value, "namespace"),
                    "name" => name = self.string(&f.value, "name"),
                    "reason" => reason = self.string(&f.value, "reason"),
                    "expires" => {
                        if let Some(s) = self.string(&f.value, "expires") {
                            match Date::parse(&s) {
                                Some(d) => expires = Some(d),
                                None => self.err(&f.value, format!("expires {s:?}: must be a date YYYY-MM-DD")),
                            }
                        }
                    }
                    other => self.key_err(
                        f,
                        format!("unknown key {other:?} in an exception (rule, namespace, name, reason, expires)"),
                    ),
                }
            }
            let missing: Vec<&str> = [
                ("rule", rule.is_none()),
                ("namespace", namespace.is_none()),
                (
                    "reason",
                    reason.as_deref().is_none_or(|r| r.trim().is_empty()),
                ),
                ("expires", expires.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(k, _)| *k)
            .collect();
            if !missing.is_empty() {
                self.err(
                    item,
                    format!(
                        "an exception needs {} (every exception says why and until when)",
                        missing.join(", ")
                    ),
                );
                continue;
            }
            if let (Some(rule), Some(namespace), Some(reason), Some(expires)) =
                (rule, namespace, reason, expires)
            {
                cfg.exceptions.push(Exception {
                    rule,
                    namespace,
                    name,
                    reason,
                    expires,
                });
            }
        }
    }
}

/// An action; `off` unquoted is YAML 1.1's `false`, read as `off`.
fn action_of(n: &Node) -> Option<Action> {
    match &n.value {
        Value::Bool(false) => Some(Action::Off),
        _ => n.as_str().and_then(Action::parse),
    }
}

/// `restricted`, `baseline:latest`, `restricted:v1.30`.
pub fn parse_level_version(s: &str) -> Option<LevelVersion> {
    let (level, version) = match s.split_once(':') {
        Some((l, v)) => (l, kubeward_rules::pss::namespace::parse_version(v)?),
        None => (s, PolicyVersion::Latest),
    };
    Some(LevelVersion::new(Level::parse(level)?, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> &'static RuleMeta {
        kubeward_rules::registry::find(name).unwrap().meta()
    }

    #[test]
    fn a_full_configuration_parses() {
        let cfg = Config::parse(
            "c.yaml",
            "podSecurity:\n  defaults: {enforce: baseline, audit: 'restricted:v1.30', warn: restricted}\n  exemptions: {usernames: [admin], namespaces: [kube-system], runtimeClasses: [kata]}\nkubernetesVersion: \"1.31\"\nnamespaces:\n  shop: {pod-security.kubernetes.io/enforce: restricted}\nrules:\n  default: audit\n  actions: {sensitive-host-path: deny, rbac: off}\n  namespaces:\n    legacy: {sensitive-host-path: warn}\nexceptions:\n  - {rule: dangerous-capabilities, namespace: mon, name: 'node-exporter-*', reason: reviewed, expires: 2027-01-31}\nfailurePolicy: Fail\n",
        )
        .unwrap();
        assert_eq!(cfg.defaults[0].level, Level::Baseline);
        assert_eq!(cfg.defaults[1].version, PolicyVersion::Minor(30));
        assert_eq!(cfg.exemptions.runtime_classes, ["kata"]);
        assert_eq!(cfg.kubernetes_minor, Some(31));
        assert_eq!(
            cfg.namespaces["shop"]["pod-security.kubernetes.io/enforce"],
            "restricted"
        );
        assert_eq!(cfg.failure_policy, FailurePolicy::Fail);
        let hp = meta("sensitive-host-path");
        assert_eq!(cfg.action(hp, "default"), Action::Deny);
        assert_eq!(cfg.action(hp, "legacy"), Action::Warn);
        assert_eq!(cfg.action(meta("rbac-secrets-access"), "x"), Action::Off);
        assert_eq!(
            cfg.action(meta("dangerous-capabilities"), "x"),
            Action::Audit
        );
        assert_eq!(
            cfg.action(meta("image-tag-latest"), "x"),
            Action::Off,
            "hygiene is off unless named"
        );
        assert_eq!(
            cfg.action(meta("privileged-container"), "x"),
            Action::Off,
            "PSA decides"
        );
        let ex = &cfg.exceptions[0];
        assert!(ex.covers(meta("dangerous-capabilities"), "mon", "node-exporter-abc12"));
        assert!(!ex.covers(
            meta("dangerous-capabilities"),
            "other",
            "node-exporter-abc12"
        ));
        assert!(!ex.expired(Date::parse("2027-01-31").unwrap()));
        assert!(ex.expired(Date::parse("2027-02-01").unwrap()));
    }

    #[test]
    fn mistakes_are_errors_with_positions() {
        let errs = Config::parse(
            "c.yaml",
            "rules:\n  actions: {no-such-rule: deny, privileged-container: deny, workload: maybe}\nexceptions:\n  - {rule: workload, namespace: a}\nfailurePolicy: open\nbogus: 1\n",
        )
        .unwrap_err();
        let all = errs.join("\n");
        assert!(
            all.contains("c.yaml:2:13: unknown rule or domain \"no-such-rule\""),
            "{all}"
        );
        assert!(
            all.contains("privileged-container does not run in the webhook"),
            "{all}"
        );
        assert!(
            all.contains("an action must be deny, warn, audit or off"),
            "{all}"
        );
        assert!(all.contains("an exception needs reason, expires"), "{all}");
        assert!(
            all.contains("c.yaml:5:16: failurePolicy must be Ignore or Fail"),
            "{all}"
        );
        assert!(all.contains("c.yaml:6:1: unknown key \"bogus\""), "{all}");
    }

    #[test]
    fn level_versions_parse_as_labels_do() {
        assert_eq!(
            parse_level_version("restricted:v1.30"),
            Some(LevelVersion::new(
                Level::Restricted,
                PolicyVersion::Minor(30)
            ))
        );
        assert_eq!(
            parse_level_version("baseline").map(|l| l.version),
            Some(PolicyVersion::Latest)
        );
        assert_eq!(parse_level_version("strict"), None);
        assert_eq!(parse_level_version("baseline:1.30"), None);
    }
}
