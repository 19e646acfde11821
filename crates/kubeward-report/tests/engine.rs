//! Every format over real findings: the whole catalogue run on a small insecure manifest.

mod common;

use common::render;
use kubeward_model::load_str;
use kubeward_report::{Format, ScanResult};
use kubeward_rules::{engine, Settings};
use serde_json::Value;

const INSECURE: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: monitor
  namespace: shop
spec:
  selector:
    matchLabels: {app: monitor}
  template:
    metadata:
      labels: {app: monitor}
    spec:
      hostPID: true
      containers:
        - name: agent
          image: agent:latest
          securityContext:
            privileged: yes
          volumeMounts:
            - {name: docker, mountPath: /var/run/docker.sock}
      volumes:
        - name: docker
          hostPath: {path: /var/run/docker.sock}
"#;

#[test]
fn all_formats_over_engine_findings() {
    let snapshot = load_str("insecure.yaml", INSECURE);
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);
    let findings = engine::analyze(&snapshot, &Settings::default(), &|_| true);
    assert!(
        !findings.is_empty(),
        "the catalogue finds something in a privileged DaemonSet"
    );
    let result = ScanResult {
        snapshot: &snapshot,
        findings: &findings,
        suppressed: &[],
        show_suppressed: false,
        files: 1,
        tool_version: "0.1.0",
    };

    let text = render(Format::Text, &result, false);
    assert!(!text.contains('\u{1b}'));
    assert!(
        text.contains("DaemonSet/shop/monitor  (insecure.yaml:6)"),
        "{text}"
    );
    assert!(
        text.contains("privileged: yes\n"),
        "the offending line is shown:\n{text}"
    );

    let json: Value = serde_json::from_str(&render(Format::Json, &result, false)).unwrap();
    assert_eq!(json["summary"]["findings"], findings.len());
    assert_eq!(json["summary"]["objects"], 2);
    let pss = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.get("pod_security").is_some());
    let pss = pss.expect("a Pod Security finding");
    assert!(pss["pod_security"]["check"].is_string() && pss["pod_security"]["level"].is_string());

    let sarif: Value = serde_json::from_str(&render(Format::Sarif, &result, false)).unwrap();
    let schema: Value =
        serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler
        .add_resource("https://kubeward.invalid/sarif.json", schema)
        .unwrap();
    let index = compiler
        .compile("https://kubeward.invalid/sarif.json", &mut schemas)
        .unwrap();
    if let Err(e) = schemas.validate(&sarif, index) {
        panic!("invalid SARIF: {e:#}");
    }
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        kubeward_rules::registry::all().len(),
        "every finding's rule is in the catalogue"
    );
    for r in run["results"].as_array().unwrap() {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }

    let junit = render(Format::Junit, &result, false);
    let mut reader = quick_xml::Reader::from_str(&junit);
    while !matches!(
        reader.read_event().expect("well-formed XML"),
        quick_xml::events::Event::Eof
    ) {}
}
