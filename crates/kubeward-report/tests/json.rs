//! The JSON contract.

mod common;

use common::{render, Fixture};
use kubeward_report::Format;
use serde_json::{json, Value};

#[test]
fn json_follows_the_contract() {
    let fx = Fixture::new();
    let out = render(Format::Json, &fx.result(false), false);
    assert!(
        out.ends_with("}\n") && out.contains("\n  \"findings\": ["),
        "pretty-printed"
    );
    let v: Value = serde_json::from_str(&out).unwrap();

    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4);
    let first = &findings[0];
    assert_eq!(
        first,
        &json!({
            "rule": "privileged",
            "severity": "high",
            "object": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
            "location": {"file": "examples/shop.yaml", "line": 13, "column": 13},
            "path": "spec.template.spec.containers[0].securityContext.privileged",
            "message": "privileged (container \"web\" must not set securityContext.privileged=true)",
            "remediation": "set securityContext.privileged to false",
            "pod_security": {"check": "privileged", "level": "baseline", "policy": "restricted:latest", "version": "latest"},
            "fingerprint": fx.findings[0].fingerprint,
        })
    );
    // Non-PSS findings have no pod_security key at all.
    assert!(findings[1].get("pod_security").is_none());
    // Hostile text survives JSON escaping intact.
    assert_eq!(
        findings[3]["message"],
        "Service <web> is exposed & \"public\" \u{1b}[31m"
    );

    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    for key in ["file", "line", "column", "message"] {
        assert!(errors[0].get(key).is_some(), "errors[].{key}");
    }
    assert_eq!(errors[0]["file"], "examples/broken.yaml");
    assert_eq!(v["notes"].as_array().unwrap().len(), 1);

    assert_eq!(
        v["summary"],
        json!({
            "files": 3, "objects": 3, "findings": 4, "suppressed": 1, "errors": 1, "notes": 1,
            "objects_with_findings": 2,
            "by_severity": {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 0},
        })
    );
    assert_eq!(v["tool"], json!({"name": "kubeward", "version": "0.1.0"}));
    assert!(
        v.get("suppressed").is_none(),
        "suppressed findings are listed only on request"
    );
}

#[test]
fn suppressed_are_listed_with_their_reason() {
    let fx = Fixture::new();
    let v: Value = serde_json::from_str(&render(Format::Json, &fx.result(true), false)).unwrap();
    let sup = v["suppressed"].as_array().unwrap();
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0]["rule"], "rbac-wildcard");
    assert_eq!(sup[0]["object"]["namespace"], Value::Null);
    assert_eq!(
        sup[0]["reason"],
        "annotation kubeward.io/ignore: built-in role"
    );
    assert_eq!(v["summary"]["suppressed"], 1);
}

#[test]
fn json_is_deterministic() {
    let fx = Fixture::new();
    let a = render(Format::Json, &fx.result(true), false);
    let b = render(Format::Json, &fx.result(true), false);
    assert_eq!(a, b);
    assert_eq!(
        serde_json::from_str::<Value>(&a).unwrap(),
        kubeward_report::json::to_value(&fx.result(true))
    );
}
