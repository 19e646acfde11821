//! End-to-end tests of `kubeward netpol suggest`: the YAML loads back as NetworkPolicies,
//! scanning the input plus the suggestion gives the intended matrix (the engine of
//! `netpol matrix` / `can-reach`), input errors exit 2, standard input is read.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

/// A shop with a web front end behind an Ingress, a database, a public LoadBalancer limited
/// to one range, the ingress-nginx controller, CoreDNS and a pod in another namespace.
const CLUSTER: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: admin, namespace: shop}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24]
  selector: {app: web}
  ports: [{port: 9000}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: ctl}}
  template:
    metadata: {labels: {app: ctl}}
    spec:
      containers: [{name: c, image: "registry.k8s.io/ingress-nginx/controller:v1.11.0"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: "coredns/coredns:1.11.1", ports: [{containerPort: 53, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: other}
spec: {containers: [{name: t, image: "busybox:1.36"}]}
"#;

fn suggestion(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let input = dir.join("cluster.yaml");
    std::fs::write(&input, CLUSTER).expect("write");
    let out = kubeward()
        .args(["netpol", "suggest"])
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).expect("utf-8");
    assert!(yaml.starts_with("# NetworkPolicies suggested by `kubeward netpol suggest`"));
    let sugg = dir.join("suggestion.yaml");
    std::fs::write(&sugg, &yaml).expect("write");
    (input, sugg)
}

#[test]
fn suggestion_loads_and_gives_the_intended_matrix() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, sugg) = suggestion(dir.path());
    // can-reach on input + suggestion: exit 0 allowed, 1 denied
    let verdict = |from: &str, to: &str, port: &str| {
        kubeward()
            .args(["netpol", "can-reach", from, to, "--port", port])
            .arg(&input)
            .arg(&sugg)
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(verdict("shop/web", "shop/db", "5432/TCP"), Some(0));
    assert_eq!(verdict("other/tool", "shop/db", "5432/TCP"), Some(1));
    assert_eq!(
        verdict("ingress-nginx/controller", "shop/web", "8080/TCP"),
        Some(0)
    );
    assert_eq!(
        verdict("ingress-nginx/controller", "shop/db", "5432/TCP"),
        Some(1)
    );
    assert_eq!(
        verdict("shop/web", "kube-system/coredns", "53/UDP"),
        Some(0)
    );
    assert_eq!(verdict("shop/web", "other/tool", "80/TCP"), Some(1));
    assert_eq!(verdict("ip:203.0.113.9", "shop/web", "9000/TCP"), Some(0));
    assert_eq!(verdict("ip:198.51.100.9", "shop/web", "9000/TCP"), Some(1));
    // without the suggestion everything is open
    let open = kubeward()
        .args([
            "netpol",
            "can-reach",
            "other/tool",
            "shop/db",
            "--port",
            "5432/TCP",
        ])
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(open.status.code(), Some(0));
    // the matrix of the database's port: only the shop's own pods reach it
    let out = kubeward()
        .args([
            "netpol", "matrix", "--ports", "5432/TCP", "--format", "json",
        ])
        .arg(&input)
        .arg(&sugg)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v["rows"].as_array().expect("rows");
    let to_db: Vec<(&str, bool)> = rows
        .iter()
        .filter(|r| r["to"] == "shop/db")
        .map(|r| {
            (
                r["from"].as_str().unwrap_or(""),
                r["allowed"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert!(!to_db.is_empty());
    for (from, allowed) in to_db {
        assert_eq!(allowed, from.starts_with("shop/"), "{from} -> shop/db");
    }
}

#[test]
fn standard_input_and_input_errors() {
    let out = kubeward()
        .args(["netpol", "suggest", "-"])
        .write_stdin(CLUSTER)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("name: \"suggested-allow-db\""), "{yaml}");
    assert!(yaml.contains("# ===== namespace shop ====="));
    // a malformed document: the rest is still suggested, exit 2, the error names its place
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, format!("{CLUSTER}---\nkind: [unclosed\n")).expect("write");
    let out = kubeward()
        .args(["netpol", "suggest"])
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("allow-web"));
}
