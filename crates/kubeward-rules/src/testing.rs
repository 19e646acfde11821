//! Helpers for rule tests: run rules over YAML text.

use crate::finding::Finding;
use crate::rule::Settings;
use kubeward_model::load_str;

/// Runs the rules whose name (or domain) is `selector` over `yaml` with default settings.
/// Panics on load errors, so that a broken fixture is noticed.
pub fn run(selector: &str, yaml: &str) -> Vec<Finding> {
    run_with(selector, yaml, &Settings::default())
}

/// As [`run`] with explicit settings.
pub fn run_with(selector: &str, yaml: &str, settings: &Settings) -> Vec<Finding> {
    let snap = load_str("fixture.yaml", yaml);
    assert!(
        snap.errors.is_empty(),
        "fixture does not load: {:?}",
        snap.errors
    );
    crate::engine::analyze(&snap, settings, &|m| crate::registry::selects(selector, m))
}
