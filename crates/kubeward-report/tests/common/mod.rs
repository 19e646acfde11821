//! A small scan result shared by the reporter tests: two files, three objects, a skipped
//! document, a load error, hand-made findings (one Pod Security finding, two findings of one
//! rule on one object, one with XML/JSON-hostile text) and a suppressed finding.

#![allow(dead_code)]

use kubeward_model::{FieldPath, Input, Loader, Snapshot};
use kubeward_report::{ScanResult, Suppressed};
use kubeward_rules::{Finding, PodSecurityInfo, Severity};

pub const SHOP: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            privileged: true
        - name: sidecar
          image: "busybox"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    note: "<&> \"quoted\""
spec:
  type: LoadBalancer
---
just: a config file
"#;

pub const BROKEN: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n";

pub const CLUSTER: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin\nrules: []\n";

/// The loaded snapshot and the findings made on it.
pub struct Fixture {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let snapshot = Loader::default().load(vec![
            Input::Bytes {
                name: "examples/shop.yaml".into(),
                bytes: SHOP.as_bytes().to_vec(),
            },
            Input::Bytes {
                name: "examples/broken.yaml".into(),
                bytes: BROKEN.as_bytes().to_vec(),
            },
            Input::Bytes {
                name: "examples/cluster.yaml".into(),
                bytes: CLUSTER.as_bytes().to_vec(),
            },
        ]);
        let deploy = &snapshot.objects[0];
        let service = &snapshot.objects[1];
        let role = &snapshot.objects[2];
        let c0 = FieldPath::parse("spec.template.spec.containers[0]");
        let c1 = FieldPath::parse("spec.template.spec.containers[1]");
        let mut privileged = Finding::new(
            "privileged",
            Severity::High,
            &snapshot,
            deploy,
            &c0.key("securityContext").key("privileged"),
            "privileged (container \"web\" must not set securityContext.privileged=true)",
            "set securityContext.privileged to false",
        );
        privileged.pod_security = Some(PodSecurityInfo {
            check: "privileged".into(),
            level: "baseline".into(),
            policy: "restricted:latest".into(),
            version: "latest".into(),
            modes: vec![],
        });
        let findings = vec![
            privileged,
            Finding::new(
                "image-tag-latest",
                Severity::Medium,
                &snapshot,
                deploy,
                &c0.key("image"),
                "container \"web\" uses image nginx:latest",
                "pin the image by digest",
            ),
            Finding::new(
                "image-tag-latest",
                Severity::Low,
                &snapshot,
                deploy,
                &c1.key("image"),
                "container \"sidecar\" uses image busybox without a tag",
                "pin the image by digest",
            ),
            Finding::new(
                "service-load-balancer",
                Severity::Critical,
                &snapshot,
                service,
                &FieldPath::parse("spec.type"),
                "Service <web> is exposed & \"public\" \u{1b}[31m",
                "use type: ClusterIP behind an Ingress",
            ),
        ];
        let suppressed = vec![Suppressed {
            finding: Finding::new(
                "rbac-wildcard",
                Severity::Info,
                &snapshot,
                role,
                &FieldPath::parse("rules"),
                "ClusterRole admin grants everything",
                "",
            ),
            reason: kubeward_rules::filter::SuppressionReason::Annotation {
                reason: Some("built-in role".into()),
            },
        }];
        Fixture {
            snapshot,
            findings,
            suppressed,
        }
    }

    pub fn result(&self, show_suppressed: bool) -> ScanResult<'_> {
        ScanResult {
            snapshot: &self.snapshot,
            findings: &self.findings,
            suppressed: &self.suppressed,
            show_suppressed,
            files: 3,
            tool_version: "0.1.0",
        }
    }
}

/// Renders `result` in `format` to a string.
pub fn render(format: kubeward_report::Format, result: &ScanResult<'_>, color: bool) -> String {
    let mut out = Vec::new();
    kubeward_report::write(format, result, &mut out, color).expect("writing to a Vec");
    String::from_utf8(out).expect("reports are UTF-8")
}
