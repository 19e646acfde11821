//! Every rule has a fixture folder `tests/fixtures/<rule>/` with `fire.yaml` (every object fires
//! the rule, except objects annotated `kubeward.test/role: context`) and `pass.yaml` (no object
//! fires it). Rules run with the image facts of [`kubeward_rules::testing::fixture_image_facts`]
//! (read by `vulnerable-image`).

use kubeward_model::load_str;
use kubeward_rules::{engine, registry, Settings};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn every_rule_fires_on_its_fixture_and_stays_quiet_on_the_pass_fixture() {
    let mut failures = Vec::new();
    // image facts for the rules that read them (vulnerable-image); the others ignore them
    let facts = kubeward_rules::testing::fixture_image_facts();
    for rule in registry::all() {
        let name = rule.meta().name;
        let dir = fixtures().join(name);
        for (file, must_fire) in [("fire.yaml", true), ("pass.yaml", false)] {
            let path = dir.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                failures.push(format!("{name}: missing {}", path.display()));
                continue;
            };
            let mut snap = load_str(&path.display().to_string(), &text);
            if name == "duplicate-field" {
                // its fixtures repeat keys on purpose: those load errors are expected
                snap.errors
                    .retain(|e| !e.message.starts_with("duplicate key"));
            }
            if !snap.errors.is_empty() {
                failures.push(format!("{name}/{file}: load errors {:?}", snap.errors));
                continue;
            }
            let findings =
                engine::analyze_with_facts(&snap, &Settings::default(), Some(&facts), &|m| {
                    m.name == name
                });
            let fired: BTreeSet<u32> = findings.iter().map(|f| f.object_id).collect();
            for o in &snap.objects {
                if o.annotation("kubeward.test/role") == Some("context") {
                    continue;
                }
                let did = fired.contains(&o.id);
                if did != must_fire {
                    failures.push(format!(
                        "{name}/{file}: {} {} fire",
                        o.oref.display(),
                        if must_fire { "does not" } else { "must not" }
                    ));
                }
            }
            if must_fire && snap.objects.is_empty() {
                failures.push(format!("{name}/{file}: no objects"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
