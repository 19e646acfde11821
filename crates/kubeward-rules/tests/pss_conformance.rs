//! Pod Security Standards conformance: every upstream pod-security-admission fixture in
//! `testdata/pss` (4,537 pods) gets the upstream verdict, the expected message
//! substring, and the full denial text of `index.json`'s `derivedDetail`; each pod wrapped in a
//! Deployment template gets the same violations.

use kubeward_model::{load_str, PodTemplate};
use kubeward_rules::pss::{evaluate, format_denial, format_detail};
use kubeward_rules::{Level, PolicyVersion};
use serde_json::{json, Value};
use std::path::PathBuf;

fn conformance_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/pss"))
}

/// The pod's metadata and spec as the pod template of a Deployment (JSON, which the loader
/// reads as YAML).
fn as_deployment(pod: &Value) -> String {
    let name = pod["metadata"]["name"].as_str().unwrap_or("wrapped");
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "conformance"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()},
        },
    })
    .to_string()
}

#[test]
fn upstream_fixtures_match_verdict_substring_and_derived_detail() {
    let dir = conformance_dir();
    let index_text =
        std::fs::read_to_string(dir.join("index.json")).expect("conformance index.json");
    let index: Value = serde_json::from_str(&index_text).expect("index.json parses");
    let fixtures = index["fixtures"].as_array().expect("fixtures array");
    let mut failures = Vec::new();
    let (mut allow, mut deny, mut detail_equal) = (0usize, 0usize, 0usize);
    for fx in fixtures {
        let rel = fx["path"].as_str().unwrap();
        let level = Level::parse(fx["level"].as_str().unwrap()).unwrap();
        let version = PolicyVersion::parse(fx["version"].as_str().unwrap()).unwrap();
        let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let snap = load_str(rel, &text);
        if !snap.errors.is_empty() || snap.objects.len() != 1 {
            failures.push(format!("{rel}: load errors {:?}", snap.errors));
            continue;
        }
        let obj = &snap.objects[0];
        let template = PodTemplate::of(obj).expect("a Pod has a template");
        let results = evaluate(&template, level, version);
        let detail = format_detail(&results);
        match fx["expect"].as_str().unwrap() {
            "allow" => {
                allow += 1;
                if !results.is_empty() {
                    failures.push(format!("{rel}: expected allow, got: {detail}"));
                }
            }
            _ => {
                deny += 1;
                let substring = fx["expectSubstring"].as_str().unwrap();
                let denial = format_denial(level, version, &results);
                if results.is_empty() {
                    failures.push(format!("{rel}: expected deny, got allow"));
                    continue;
                }
                if !denial.contains(substring) {
                    failures.push(format!("{rel}: {denial:?} lacks {substring:?}"));
                }
                let prefix = format!(
                    "violates PodSecurity \"{}:{}\": ",
                    fx["level"].as_str().unwrap(),
                    fx["version"].as_str().unwrap()
                );
                if !denial.starts_with(&prefix) {
                    failures.push(format!(
                        "{rel}: denial {denial:?} does not start with {prefix:?}"
                    ));
                }
                let derived = fx["derivedDetail"].as_str().unwrap();
                if detail == derived {
                    detail_equal += 1;
                } else {
                    failures.push(format!(
                        "{rel}: detail differs\n  ours:    {detail}\n  derived: {derived}"
                    ));
                }
                let ids: Vec<&str> = results.iter().map(|r| r.id).collect();
                let firing: Vec<&str> = fx["firingChecks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                if ids != firing {
                    failures.push(format!("{rel}: checks {ids:?} != firingChecks {firing:?}"));
                }
            }
        }
        // The same pod as a Deployment's template gives the same violations.
        let wrapped = load_str("deployment.json", &as_deployment(&obj.root.to_json()));
        let dep = wrapped.objects.first().and_then(PodTemplate::of);
        match dep {
            Some(t) if wrapped.errors.is_empty() => {
                let dep_detail = format_detail(&evaluate(&t, level, version));
                if dep_detail != detail {
                    failures.push(format!(
                        "{rel}: as a Deployment: {dep_detail:?} != {detail:?}"
                    ));
                }
            }
            _ => failures.push(format!(
                "{rel}: wrapping in a Deployment failed: {:?}",
                wrapped.errors
            )),
        }
    }
    eprintln!(
        "PSS conformance: {} fixtures ({allow} allow, {deny} deny), {detail_equal} denials equal to derivedDetail, {} failures",
        fixtures.len(),
        failures.len()
    );
    assert_eq!(fixtures.len(), 4537, "fixture count");
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every pod template of the real-manifest corpus evaluates at every level and version without
/// panicking, and the rules run over it.
#[test]
fn real_corpus_evaluates_without_panicking() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/real"));
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let (mut templates, mut findings) = (0, 0);
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let snap = load_str(&path.display().to_string(), &text);
        for obj in &snap.objects {
            let Some(t) = PodTemplate::of(obj) else {
                continue;
            };
            templates += 1;
            for level in [Level::Baseline, Level::Restricted] {
                for minor in [0, 8, 18, 19, 22, 23, 25, 31, 34, 35, 37] {
                    let _ = evaluate(&t, level, PolicyVersion::Minor(minor));
                }
            }
        }
        let settings = kubeward_rules::Settings::default();
        let found =
            kubeward_rules::engine::analyze(&snap, &settings, &|m| m.domain == "pod-security");
        if std::env::var_os("PSS_SAMPLE").is_some() {
            for f in found.iter().step_by(40) {
                eprintln!(
                    "{} {} {}: {}",
                    f.rule,
                    f.object.display(),
                    f.path,
                    f.message
                );
            }
        }
        findings += found.len();
    }
    eprintln!("real corpus: {templates} pod templates, {findings} pod-security findings");
}
