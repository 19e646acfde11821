//! The catalogue: every rule, in a stable order.

use crate::rule::{Rule, RuleMeta};

/// Every rule, grouped by domain.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut v = Vec::new();
    v.extend(crate::pss::rules());
    v.extend(crate::workload::rules());
    v.extend(crate::network::rules());
    v.extend(crate::secrets::rules());
    v.extend(crate::rbac::rules());
    v.extend(crate::supply::rules());
    v.extend(crate::hygiene::rules());
    v.extend(crate::manifest::rules());
    v
}

/// Domains that run only when selected by name (or with `all`): good practice that is not a
/// security control.
pub const OFF_BY_DEFAULT: &[&str] = &["hygiene"];

/// Whether a rule runs when nothing is selected.
pub fn on_by_default(meta: &RuleMeta) -> bool {
    !OFF_BY_DEFAULT.contains(&meta.domain)
}

/// Finds a rule by name.
pub fn find(name: &str) -> Option<&'static dyn Rule> {
    all().into_iter().find(|r| r.meta().name == name)
}

/// The domains, in catalogue order.
pub fn domains() -> Vec<&'static str> {
    let mut d: Vec<&'static str> = Vec::new();
    for r in all() {
        if !d.contains(&r.meta().domain) {
            d.push(r.meta().domain);
        }
    }
    d
}

/// Whether `selector` (a rule name or a domain) names this rule.
pub fn selects(selector: &str, meta: &RuleMeta) -> bool {
    selector == meta.name || selector == meta.domain || selector == "all"
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
                !domains().contains(&m.name),
                "rule {} has a domain's name",
                m.name
            );
        }
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate rule names");
    }
}
