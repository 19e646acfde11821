//! End-to-end: the text report of `kubeward scan` ends with the "scale ceiling" table when the
//! input has HorizontalPodAutoscalers (issue 11 item 4), computed as the API server and the
//! quota controller count resources; other formats and inputs without HPAs have no table.

use assert_cmd::Command;
use std::path::Path;

fn scan(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("kubeward")
        .expect("binary")
        .env("NO_COLOR", "1")
        .arg("scan")
        .args(args)
        .arg(dir)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const SHOP: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        image: example/web:1.0
        resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 40
  behavior: {scaleUp: {stabilizationWindowSeconds: 0}}
"#;

const EDGE: &str = r#"apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: edge}
spec:
  limits: [{type: Container, default: {cpu: 500m, memory: 1Gi}, defaultRequest: {cpu: 100m, memory: 256Mi}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: edge}
spec:
  hard: {limits.cpu: "8", limits.memory: 16Gi}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: gateway, namespace: edge}
spec:
  template:
    spec:
      containers: [{name: gateway, image: example/gateway:1.0}]
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: gateway, namespace: edge}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: gateway}
  maxReplicas: 30
"#;

#[test]
fn the_text_report_prints_the_scale_ceiling_per_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("shop.yaml"), SHOP).unwrap();
    std::fs::write(dir.path().join("edge.yaml"), EDGE).unwrap();
    let (code, text) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("scale ceiling"))
        .take(4)
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    assert!(
        table[1].contains("namespace") && table[1].contains("capped"),
        "{text}"
    );
    // edge: 30 × (LimitRange defaults: 100m/256Mi requests, 500m/1Gi limits), capped by the quota
    assert!(table[2].starts_with("  edge "), "{text}");
    assert!(
        table[2].contains("3 / 7.5Gi") && table[2].contains("15 / 30Gi"),
        "{text}"
    );
    assert!(
        table[2].contains("limits.cpu 8, limits.memory 16Gi") && table[2].ends_with("yes"),
        "{text}"
    );
    // shop: 40 × 250m/256Mi requests and 1/512Mi limits, no quota
    assert!(table[3].starts_with("  shop "), "{text}");
    assert!(
        table[3].contains("10 / 10Gi") && table[3].contains("40 / 20Gi"),
        "{text}"
    );
    assert!(
        table[3].contains("none") && table[3].ends_with("no"),
        "{text}"
    );
    assert!(text.contains("hpa-scale-ceiling-uncapped"), "{text}");
    // the table comes before the closing summary line
    let last = text.lines().last().unwrap_or("");
    assert!(last.contains("findings"), "{text}");
}

#[test]
fn no_table_without_autoscalers_or_in_other_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("shop.yaml"), SHOP).unwrap();
    let (_, json) = scan(dir.path(), &["--format", "json"]);
    assert!(!json.contains("scale ceiling"), "{json}");
    assert!(json.contains("hpa-scale-ceiling-uncapped"), "{json}");
    let only_deployment = SHOP.split("---").next().unwrap();
    std::fs::write(dir.path().join("shop.yaml"), only_deployment).unwrap();
    let (_, text) = scan(dir.path(), &[]);
    assert!(!text.contains("scale ceiling"), "{text}");
}
