//! The catalogue: every rule, in a stable order.

use crate::rule::{Domain, Rule, RuleMeta};

/// Every rule, grouped by domain.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut v = Vec::new();
    v.extend(crate::pss::rules());
    v.extend(crate::workload::rules());
    v.extend(crate::network::rules());
    v.extend(crate::secrets::rules());
    v.extend(crate::rbac::rules());
    v.extend(crate::attack::rules());
    v.extend(crate::supply::rules());
    v.extend(crate::resources::rules());
    v.extend(crate::controlplane::rules());
    v.extend(crate::hygiene::rules());
    v.extend(crate::manifest::rules());
    v
}

/// Domains that run only when selected by name (or with `all`): good practice that is not a
/// security control.
pub const OFF_BY_DEFAULT: &[Domain] = &[Domain::Hygiene];

/// Whether a rule runs when nothing is selected.
pub fn on_by_default(meta: &RuleMeta) -> bool {
    !OFF_BY_DEFAULT.contains(&meta.domain)
}

/// Finds a rule by name.
pub fn find(name: &str) -> Option<&'static dyn Rule> {
    all().into_iter().find(|r| r.meta().name == name)
}

/// The domains that hold rules, in catalogue order.
pub fn domains() -> Vec<Domain> {
    let mut d: Vec<Domain> = Vec::new();
    for r in all() {
        if !d.contains(&r.meta().domain) {
            d.push(r.meta().domain);
        }
    }
    d
}

/// What `--select`, `--ignore` and `kubeward.yaml` name: every rule, a domain, or one rule.
/// User text is parsed into it once ([`RuleSelector::parse`]); matching is then by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleSelector {
    /// `all`.
    All,
    /// A domain (`workload`).
    Domain(Domain),
    /// One rule, by its catalogue name.
    Rule(&'static str),
}

impl RuleSelector {
    /// `all`, a domain's name or a rule's name; `None` for anything else (a typo).
    pub fn parse(s: &str) -> Option<RuleSelector> {
        if s == "all" {
            return Some(RuleSelector::All);
        }
        if let Some(d) = Domain::parse(s) {
            return Some(RuleSelector::Domain(d));
        }
        find(s).map(|r| RuleSelector::Rule(r.meta().name))
    }

    /// Whether this selector names the rule.
    pub fn selects(self, meta: &RuleMeta) -> bool {
        match self {
            RuleSelector::All => true,
            RuleSelector::Domain(d) => meta.domain == d,
            RuleSelector::Rule(name) => meta.name == name,
        }
    }

    /// The text users write for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSelector::All => "all",
            RuleSelector::Domain(d) => d.as_str(),
            RuleSelector::Rule(name) => name,
        }
    }
}

impl std::fmt::Display for RuleSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Whether `selector` (a rule name, a domain or `all`) names this rule; text that names
/// nothing selects nothing.
pub fn selects(selector: &str, meta: &RuleMeta) -> bool {
    RuleSelector::parse(selector).is_some_and(|s| s.selects(meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_documented() {
        let rules = all();
        let mut names: Vec<_> = rules.iter().map(|r| r.meta().name).collect();
        for r in &rules {
            let m = r.meta();
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                m.name
            );
            for section in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## Fix",
                "## References",
            ] {
                assert!(
                    m.doc.contains(section),
                    "rule {} lacks '{section}' in its doc comment",
                    m.name
                );
            }
            assert!(
                Domain::parse(m.name).is_none() && m.name != "all",
                "rule {} has a domain's name",
                m.name
            );
        }
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate rule names");
    }

    #[test]
    fn domains_and_selectors_round_trip() {
        for d in Domain::ALL {
            assert_eq!(Domain::parse(d.as_str()), Some(d));
            assert_eq!(
                RuleSelector::parse(d.as_str()),
                Some(RuleSelector::Domain(d))
            );
        }
        // every domain of the catalogue is a known one, in catalogue order
        let used = domains();
        let order: Vec<Domain> = Domain::ALL
            .into_iter()
            .filter(|d| used.contains(d))
            .collect();
        assert_eq!(used, order);
        let pc = find("privileged-container").unwrap().meta();
        assert_eq!(
            RuleSelector::parse("privileged-container"),
            Some(RuleSelector::Rule("privileged-container"))
        );
        assert!(RuleSelector::parse("pod-security").unwrap().selects(pc));
        assert!(RuleSelector::parse("all").unwrap().selects(pc));
        assert!(!RuleSelector::parse("rbac").unwrap().selects(pc));
        assert_eq!(RuleSelector::parse("no-such-rule"), None);
        assert_eq!(RuleSelector::parse("Workload"), None);
        // Display pads like a string (the `kubeward rules` table aligns domains with it)
        assert_eq!(format!("{:8}|", Domain::Rbac), "rbac    |");
    }
}
