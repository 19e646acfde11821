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

/// The image facts the rule fixtures are run with (`tests/fixtures/vulnerable-image/`): a
/// web image with a high and a critical vulnerability, a worker image with a low one and
/// one of unknown severity without fix, a clean image, and nothing about any other image.
pub fn fixture_image_facts() -> std::collections::HashMap<String, crate::facts::ImageVulnerabilities>
{
    use crate::facts::{ImageVulnerabilities, ImageVulnerability, VulnerabilityLevel};
    let v =
        |id: &str, package: &str, version: &str, fixed: Option<&str>, level| ImageVulnerability {
            id: id.into(),
            package: package.into(),
            version: version.into(),
            fixed_in: fixed.map(str::to_string),
            severity: level,
        };
    let web = ImageVulnerabilities {
        reference: "registry.example/shop/web:1.0".into(),
        vulnerabilities: vec![
            v(
                "GHSA-p6mc-m468-83gw",
                "lodash",
                "4.17.15",
                Some("4.17.20"),
                Some(VulnerabilityLevel::High),
            ),
            v(
                "RUSTSEC-2021-0003",
                "smallvec",
                "1.6.0",
                Some("1.6.1"),
                Some(VulnerabilityLevel::Critical),
            ),
        ],
    };
    let worker = ImageVulnerabilities {
        reference: "registry.example/shop/worker:2.0".into(),
        vulnerabilities: vec![
            v(
                "KWTEST-NPM-1",
                "minimist",
                "1.2.5",
                None,
                Some(VulnerabilityLevel::Low),
            ),
            v(
                "KWTEST-DEB-1",
                "libssl3",
                "3.0.11-1",
                Some("3.0.11-2"),
                None,
            ),
        ],
    };
    let clean = ImageVulnerabilities {
        reference: "registry.example/shop/clean:1.0".into(),
        vulnerabilities: Vec::new(),
    };
    let digest = "registry.example/shop/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    [
        ("registry.example/shop/web:1.0", web.clone()),
        (digest, web),
        ("registry.example/shop/worker:2.0", worker),
        ("registry.example/shop/clean:1.0", clean),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
