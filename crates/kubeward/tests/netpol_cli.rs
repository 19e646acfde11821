//! End-to-end tests of `kubeward netpol matrix` and `kubeward netpol can-reach`: the JSON
//! contract, CSV and DOT escaping, terminal escaping of names from input, summaries, exit
//! codes (can-reach: 0 allowed, 1 denied, 2 errors), standard input, timings.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

/// A namespace whose pods may only be reached from `role=client` on 8080 (the port named
/// `http` of api), a client, and a pod whose name holds a comma, a quote and an escape.
const CLUSTER: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: c
        image: x
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {role: client}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: "we,ird\"\u001b[31m", namespace: shop}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{port: http}]
"#;

fn fixture(dir: &Path) -> PathBuf {
    let p = dir.join("cluster.yaml");
    std::fs::write(&p, CLUSTER).expect("write");
    p
}

fn run(args: &[&str], file: &Path) -> (i32, String, String) {
    let out = kubeward().args(args).arg(file).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_contract_one_row_per_ordered_pair_and_port() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, err) = run(
        &[
            "netpol",
            "matrix",
            "--ports",
            "8080/TCP,53/UDP",
            "--external",
            "203.0.113.9",
            "--format",
            "json",
        ],
        &f,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let rows = v["rows"].as_array().expect("rows");
    // 3 pods + 1 external: 16 ordered pairs minus the external to itself, per port
    assert_eq!(rows.len(), 15 * 2);
    for r in rows {
        for k in ["from", "to", "port", "protocol", "allowed"] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
    }
    let find = |from: &str, to: &str, port: u64| {
        rows.iter()
            .find(|r| r["from"] == from && r["to"] == to && r["port"] == port)
            .unwrap_or_else(|| panic!("{from} -> {to} {port}"))["allowed"]
            .as_bool()
            .unwrap()
    };
    assert!(find("shop/client", "shop/api", 8080));
    assert!(!find("ip:203.0.113.9", "shop/api", 8080));
    assert!(!find("shop/client", "shop/api", 53));
    assert!(find("ip:203.0.113.9", "shop/client", 53));
    // the escape character of the hostile name is a JSON escape, not a raw byte
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("\\u001b"), "{out}");
}

#[test]
fn csv_quotes_fields_and_escapes_controls() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(
        &["netpol", "matrix", "--ports", "8080", "--format", "csv"],
        &f,
    );
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("from,to,port,protocol,allowed"));
    assert!(
        out.contains("shop/client,shop/api,8080,TCP,true\n"),
        "{out}"
    );
    // comma and quote: quoted with the quote doubled; the escape character made visible
    assert!(
        out.contains("\"shop/we,ird\"\"\\u{1b}[31m\",shop/api,8080,TCP,false"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
    assert_eq!(out.lines().count(), 1 + 9);
}

#[test]
fn dot_labels_are_quoted_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(
        &["netpol", "matrix", "--ports", "8080", "--format", "dot"],
        &f,
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph netpol {"), "{out}");
    assert!(
        out.contains("\"shop/client\" -> \"shop/api\" [label=\"8080/TCP\"];"),
        "{out}"
    );
    // the quote escaped for DOT, the escape character made visible (its backslash doubled)
    assert!(out.contains("\"shop/we,ird\\\"\\\\u{1b}[31m\";"), "{out}");
    assert!(!out.contains('\u{1b}'));
    // no edge into api from anything but the client
    assert_eq!(out.matches("-> \"shop/api\"").count(), 1, "{out}");
}

#[test]
fn text_grid_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(&["netpol", "matrix", "--ports", "8080/TCP"], &f);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("8080/TCP: 7 of 9 ordered pairs allowed"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
    let (code, out, err) = run(
        &[
            "netpol",
            "matrix",
            "--ports",
            "8080/TCP",
            "--format",
            "summary",
            "--timings",
        ],
        &f,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("3 endpoints in 3 classes; 9 ordered pairs: 7 allowed, 2 denied"),
        "{out}"
    );
    assert!(out.contains("shop -> shop: 7 allowed, 2 denied"), "{out}");
    assert!(
        err.contains("timings: load") && err.contains("peer sets"),
        "{err}"
    );
    let (code, out, _) = run(
        &[
            "netpol", "matrix", "--ports", "8080/TCP", "--format", "summary", "--json",
        ],
        &f,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["ports"][0]["allowed"], 7);
    assert_eq!(v["ports"][0]["denied"], 2);
}

#[test]
fn default_ports_are_the_declared_container_ports() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(&["netpol", "matrix", "--format", "json"], &f);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    let rows = v["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["port"] == 8080 && r["protocol"] == "TCP"));
}

#[test]
fn can_reach_explains_both_sides_and_exits_by_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(
        &[
            "netpol",
            "can-reach",
            "shop/client",
            "shop/api",
            "--port",
            "8080/TCP",
        ],
        &f,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("shop/client -> shop/api on 8080/TCP: ALLOWED"),
        "{out}"
    );
    assert!(
        out.contains("egress at shop/client: allowed: no policy isolates it"),
        "{out}"
    );
    assert!(
        out.contains("NetworkPolicy shop/api-from-client ingress[0]"),
        "{out}"
    );
    assert!(out.contains("cluster.yaml:"), "{out}");

    let (code, out, _) = run(
        &[
            "netpol",
            "can-reach",
            "ip:198.51.100.1",
            "shop/api",
            "--port",
            "8080",
        ],
        &f,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DENIED"), "{out}");
    assert!(out.contains("isolated for ingress by"), "{out}");

    let (code, out, _) = run(
        &[
            "netpol",
            "can-reach",
            "shop/client",
            "shop/api",
            "--port",
            "8080",
            "--format",
            "json",
        ],
        &f,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["allowed"], true);
    assert_eq!(v["ingress"]["reason"], "allowed-by-rules");
    assert_eq!(
        v["ingress"]["rules"][0]["policy"],
        "NetworkPolicy shop/api-from-client"
    );
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    for (args, want) in [
        (
            vec![
                "netpol",
                "can-reach",
                "shop/nope",
                "shop/api",
                "--port",
                "80",
            ],
            "no pod or workload",
        ),
        (
            vec![
                "netpol",
                "can-reach",
                "shop/client",
                "shop/api",
                "--port",
                "http",
            ],
            "not a number",
        ),
        (
            vec![
                "netpol",
                "can-reach",
                "shop/client",
                "shop/api",
                "--port",
                "80/ICMP",
            ],
            "unknown protocol",
        ),
        (
            vec![
                "netpol",
                "can-reach",
                "ip:1.1.1.1",
                "ip:2.2.2.2",
                "--port",
                "80",
            ],
            "both endpoints",
        ),
        (
            vec!["netpol", "matrix", "--ports", "0/TCP"],
            "not a number from 1",
        ),
        (
            vec!["netpol", "matrix", "--external", "nope"],
            "not an IP address",
        ),
    ] {
        let (code, out, err) = run(&args, &f);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn standard_input_and_input_errors() {
    let out = kubeward()
        .args([
            "netpol",
            "can-reach",
            "shop/client",
            "shop/api",
            "--port",
            "8080",
            "-",
        ])
        .write_stdin(CLUSTER)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // a broken document: the answer is still printed, the exit code says it may be incomplete
    let broken = format!("{CLUSTER}---\nkind: [\n");
    let out = kubeward()
        .args([
            "netpol", "matrix", "--ports", "8080", "--format", "csv", "-",
        ])
        .write_stdin(broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("shop/client,shop/api,8080,TCP,true"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubeward: "));
}

#[test]
fn malformed_policy_fields_are_reported_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.yaml");
    std::fs::write(
        &p,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: a}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: \"10.0.0.0/33\\u001b[2J\"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: x}]}\n",
    )
    .unwrap();
    let (code, out, err) = run(&["netpol", "matrix", "--ports", "80"], &p);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("bad.yaml:8:"), "{err}");
    assert!(err.contains("is not a CIDR"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    // the unreadable block admits nothing: the pod is isolated
    assert!(out.contains("0 of 1 ordered pairs allowed"), "{out}");
}

/// Graphviz reads the DOT output and sees exactly one node per endpoint, even for a name with
/// quotes, backslashes, a line break and `->` (with CI set, a missing `dot` fails the test).
#[test]
fn dot_output_parses_in_graphviz_without_injected_nodes() {
    if !Path::new("/usr/bin/dot").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs /usr/bin/dot (graphviz)"
        );
        eprintln!("skipped: /usr/bin/dot not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("hostile.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: \"we,ird\\\"\\\\\\u001b[31m\\u202e\\n-> x\", namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &["netpol", "matrix", "--ports", "80", "--format", "dot"],
        &f,
    );
    assert_eq!(code, 0, "{err}");
    let dot = dir.path().join("m.dot");
    std::fs::write(&dot, &out).unwrap();
    let svg = std::process::Command::new("/usr/bin/dot")
        .arg("-Tsvg")
        .arg(&dot)
        .output()
        .expect("dot");
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert_eq!(svg.matches("class=\"node\"").count(), 2, "{svg}");
    assert_eq!(svg.matches("class=\"edge\"").count(), 4, "{svg}");
}

/// Per-pair formats stop past 2,000,000 rows and point to the summary, which still works.
#[test]
fn large_matrices_need_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("many.yaml");
    let mut y = String::new();
    for i in 0..1500 {
        y.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: n{}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n",
            i % 7
        ));
    }
    std::fs::write(&f, y).unwrap();
    let (code, out, err) = run(
        &["netpol", "matrix", "--ports", "80", "--format", "json"],
        &f,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty());
    assert!(
        err.contains("2250000 rows") && err.contains("--format summary"),
        "{err}"
    );
    let (code, out, _) = run(
        &["netpol", "matrix", "--ports", "80", "--format", "summary"],
        &f,
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with(
            "80/TCP: 1500 endpoints in 7 classes; 2250000 ordered pairs: 2250000 allowed, 0 denied"
        ),
        "{out}"
    );
}
