//! Scans the real manifests of `testdata/real` (see its SOURCES.md): every valid
//! document loads, and the only errors are the two documents the API server itself rejects.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

#[test]
fn the_real_corpus_loads_completely() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real");
    assert!(corpus.is_dir(), "{} is missing", corpus.display());
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["scan", "--format", "json"])
        .arg(&corpus)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        v["summary"]["files"], 46,
        "every manifest file (SOURCES.md is not one)"
    );
    assert_eq!(
        v["summary"]["objects"], 2405,
        "every object of the corpus is loaded"
    );
    let mut errors: Vec<(String, u64, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap();
            let file = file[file.find("corpus/real/").map(|i| i + 12).unwrap_or(0)..].to_string();
            (
                file,
                e["line"].as_u64().unwrap(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    errors.sort();
    // Both are invalid for the API server too: an unsubstituted `PORT` placeholder in an
    // integer field, and a boolean env value (kubectl: "cannot unmarshal bool into ... string").
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].0, "gke-samples/networking.yaml");
    assert_eq!(errors[0].1, 1807);
    assert!(errors[0].2.contains("containerPort: expected an integer"));
    assert_eq!(errors[1].0, "ingress-nginx/docs-examples.yaml");
    assert_eq!(errors[1].1, 266);
    assert!(errors[1].2.contains("env[0].value: expected a string"));
    assert_eq!(
        out.status.code(),
        Some(2),
        "input errors make the exit code 2"
    );
    // the scan still judged everything else
    assert!(v["summary"]["findings"].as_u64().unwrap() > 1000);
}
