//! Class 4b: findings name a bounded number of related objects. 4,000 pods and 4,000
//! NetworkPolicies in one namespace wrote a 2.7 GB report (every finding listed every policy
//! of the namespace, in its message and in `related`); 10,000 Services and pods were matched
//! pairwise. The reports must stay small and every `related` list within the cap. The
//! timeout is only a safety net against a hang, not a speed requirement.

use crate::common::{kubeward, texts, write};
use std::fmt::Write as _;
use std::time::Duration;

/// The most related objects a finding names (`kubeward_rules::finding::MAX_RELATED`).
const CAP: usize = 5;

fn pods(out: &mut String, n: usize, ns: &str) {
    for i in 0..n {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, namespace: {ns}, labels: {{app: pod-{i}}}}}\nspec:\n  containers: [{{name: c, image: \"example/app:1.0\"}}]\n"
        );
    }
}

fn scan_json(input: &std::path::Path, report: &std::path::Path) -> serde_json::Value {
    let out = kubeward()
        .arg("scan")
        .arg(input)
        .args(["--select", "network", "--format", "json", "-o"])
        .arg(report)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
    let size = std::fs::metadata(report).expect("report").len();
    assert!(size < 16 << 20, "report of {size} bytes");
    serde_json::from_slice(&std::fs::read(report).expect("read")).expect("json")
}

#[test]
fn policies_of_a_crowded_namespace_are_not_listed_in_every_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    pods(&mut text, 4000, "crowded");
    for i in 0..4000 {
        let _ = write!(
            text,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: pol-{i}, namespace: crowded}}\nspec:\n  podSelector: {{matchLabels: {{app: other-{i}}}}}\n  policyTypes: [Ingress]\n"
        );
    }
    let input = write(dir.path(), "crowded.yaml", text);
    let v = scan_json(&input, &dir.path().join("report.json"));
    let findings = v["findings"].as_array().expect("findings");
    let missing: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule"] == "missing-network-policy")
        .collect();
    assert_eq!(missing.len(), 4000);
    for f in findings {
        let related = f["related"].as_array().map_or(0, Vec::len);
        assert!(related <= CAP, "{f}");
        assert!(f["message"].as_str().expect("message").len() < 1000, "{f}");
    }
    let f = missing[0];
    assert_eq!(f["related"].as_array().map(Vec::len), Some(CAP), "{f}");
    assert_eq!(f["related_total"], 4000, "{f}");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("and 3995 more"),
        "{f}"
    );
    let selects_nothing = findings
        .iter()
        .filter(|f| f["rule"] == "network-policy-selects-nothing")
        .count();
    assert_eq!(selects_nothing, 4000);
}

#[test]
fn many_services_and_pods_are_matched_through_an_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    pods(&mut text, 10_000, "big");
    for i in 0..10_000 {
        // every third Service selects its pod; the others have a mistyped value
        let app = if i % 3 == 0 {
            format!("pod-{i}")
        } else {
            format!("pdo-{i}")
        };
        let _ = write!(
            text,
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}, namespace: big}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80}}]\n"
        );
    }
    let input = write(dir.path(), "big.yaml", text);
    let v = scan_json(&input, &dir.path().join("report.json"));
    let findings = v["findings"].as_array().expect("findings");
    let dangling = findings
        .iter()
        .filter(|f| f["rule"] == "service-selects-nothing")
        .count();
    assert_eq!(dangling, 10_000 - 3334);
    for f in findings {
        assert!(f["related"].as_array().map_or(0, Vec::len) <= CAP, "{f}");
    }
}
