//! End-to-end tests of `kubeward paths`: the story and its exit codes (0 no breach, 1 the
//! internet reaches a node or cluster-admin, 2 input or usage errors), every format, the
//! pull-request mode (`--diff`), `--from` / `--to`, `--assume`, `--timings`, and the attack
//! paths at the top of `kubeward scan`'s text report.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop")
}

/// An exposed web workload; `privileged` decides whether its container escapes.
fn web(privileged: bool) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{port: 80}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: web:1.0
        securityContext: {{privileged: {privileged}}}
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = kubeward().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_examples_tell_the_story_and_fail_the_gate() {
    let ex = examples();
    let (code, out, _) = run(&["paths", ex.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("to cluster-admin"), "{out}");
    assert!(out.contains("internet → Service/shop/frontend"), "{out}");
    assert!(out.contains("TOKEN_STEAL"), "{out}");
    assert!(out.contains("examples/shop/10-frontend.yaml:"), "{out}");
    assert!(out.contains("choke points"), "{out}");
    assert!(out.contains("automountServiceAccountToken"), "{out}");
}

#[test]
fn json_follows_the_contract() {
    let ex = examples();
    let (code, out, _) = run(&["paths", ex.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let vertices = v["vertices"].as_array().unwrap();
    let edges = v["edges"].as_array().unwrap();
    let ids: Vec<&str> = vertices.iter().map(|x| x["id"].as_str().unwrap()).collect();
    for x in vertices {
        assert!(x["kind"].is_string() && x["name"].is_string());
    }
    assert!(ids.contains(&"internet") && ids.contains(&"cluster-admin"));
    assert!(ids.contains(&"workload:shop/Deployment/frontend"));
    assert!(ids.contains(&"container:shop/Deployment/frontend/web"));
    for e in edges {
        for k in ["attack", "from", "to", "evidence", "weight", "confidence"] {
            assert!(!e[k].is_null(), "{k} in {e}");
        }
        assert!(ids.contains(&e["from"].as_str().unwrap()));
        assert!(ids.contains(&e["to"].as_str().unwrap()));
    }
    for p in v["paths"].as_array().unwrap() {
        let hops = p["edges"].as_array().unwrap();
        assert_eq!(
            edges[hops[0].as_u64().unwrap() as usize]["from"],
            "internet"
        );
        let last = &edges[hops.last().unwrap().as_u64().unwrap() as usize];
        assert_eq!(last["to"], p["to"]);
    }
    let cp = &v["choke_points"][0];
    for k in ["fix", "object", "path", "paths_cut"] {
        assert!(!cp[k].is_null(), "{k}");
    }
}

#[test]
fn every_format_renders() {
    let ex = examples();
    let ex = ex.to_str().unwrap();
    let (_, sarif, _) = run(&["paths", ex, "--format", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results[0]["ruleId"]
        .as_str()
        .unwrap()
        .starts_with("attack-path"));
    let (_, dot, _) = run(&["paths", ex, "--format", "dot"]);
    assert!(dot.contains("digraph") && dot.contains("->"), "{dot}");
    let (_, mermaid, _) = run(&["paths", ex, "--format", "mermaid"]);
    assert!(mermaid.contains("flowchart"), "{mermaid}");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("paths.html");
    let (code, _, _) = run(&[
        "paths",
        ex,
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let page = std::fs::read_to_string(&html).unwrap();
    // self-contained: nothing fetched (the SVG namespace URI is a name, not a fetch)
    assert!(page.contains("<svg"));
    for fetch in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script src",
        "url(http",
    ] {
        assert!(!page.contains(fetch), "{fetch}");
    }
}

#[test]
fn no_exposure_is_exit_zero_and_a_breach_is_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let safe = write(dir.path(), "safe.yaml", &web(false));
    let (code, out, _) = run(&["paths", safe.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no path"), "{out}");
    let bad = write(dir.path(), "bad.yaml", &web(true));
    let (code, out, _) = run(&["paths", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("node root"), "{out}");
    assert!(out.contains("privileged"), "{out}");
}

#[test]
fn diff_reports_only_the_paths_a_change_opens() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(&dir.path().join("base"), "app.yaml", &web(false));
    let head = write(&dir.path().join("head"), "app.yaml", &web(true));
    // the change opens a path: exit 1, the path is printed
    let (code, out, _) = run(&[
        "paths",
        head.to_str().unwrap(),
        "--diff",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["paths"].as_array().unwrap().len(), 1);
    // a path that was already there is not the change's: exit 0, nothing reported
    let (code, out, _) = run(&[
        "paths",
        head.to_str().unwrap(),
        "--diff",
        head.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["paths"].as_array().unwrap().is_empty());
    assert!(v["choke_points"].as_array().unwrap().is_empty());
    // the fix closes it
    let (code, _, _) = run(&[
        "paths",
        base.to_str().unwrap(),
        "--diff",
        head.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
}

#[test]
fn from_to_and_assume() {
    let dir = tempfile::tempdir().unwrap();
    // not exposed, but privileged: a breach of the pod reaches the node
    let internal = web(true).replace("type: LoadBalancer", "type: ClusterIP");
    let f = write(dir.path(), "internal.yaml", &internal);
    let f = f.to_str().unwrap();
    let (code, _, _) = run(&["paths", f]);
    assert_eq!(code, 0);
    let (code, out, _) = run(&[
        "paths",
        f,
        "--from",
        "shop/Deployment/web",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["paths"][0]["from"], "workload:shop/Deployment/web");
    assert_eq!(v["paths"][0]["to"], "node:any");
    // --to a sink the query does not reach: no path
    let (code, _, _) = run(&[
        "paths",
        f,
        "--from",
        "workload:shop/Deployment/web",
        "--to",
        "cluster-admin",
    ]);
    assert_eq!(code, 0);
    // a name that matches nothing is a usage error that says so
    let (code, _, err) = run(&["paths", f, "--from", "nope/nothing"]);
    assert_eq!(code, 2);
    assert!(err.contains("no vertex"), "{err}");
    // --assume lifts a penalty: the weight of the Pod Security condition
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules: [{apiGroups: [''], resources: [pods], verbs: [create]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nsubjects: [{kind: ServiceAccount, name: ci}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n";
    let g = write(dir.path(), "ns.yaml", ns);
    let weight = |extra: &[&str]| -> u64 {
        let mut args = vec![
            "paths",
            g.to_str().unwrap(),
            "--from",
            "serviceaccount:shop/ci",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (_, out, _) = run(&args);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["paths"][0]["weight"].as_u64().unwrap()
    };
    assert!(weight(&["--assume", "psa-bypassed"]) < weight(&[]));
}

#[test]
fn timings_and_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.yaml", &web(true));
    write(dir.path(), "broken.yaml", "kind: [\n");
    let (code, out, err) = run(&["paths", dir.path().to_str().unwrap(), "--timings"]);
    // the paths are printed, but an input could not be read: exit 2
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("node root"));
    assert!(err.contains("broken.yaml:"), "{err}");
    for phase in ["load", "rbac", "graph", "paths+choke", "total"] {
        assert!(err.contains(&format!("timing {phase}")), "{phase}: {err}");
    }
    let _ = f;
}

#[test]
fn hostile_names_are_escaped_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let evil = web(true).replace("name: app", "name: \"app\\e[31mred\\u202e\"");
    let f = write(dir.path(), "evil.yaml", &evil);
    let (code, out, _) = run(&["paths", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
}

#[test]
fn scan_opens_with_the_attack_paths() {
    let ex = examples();
    let (code, out, _) = run(&["scan", ex.to_str().unwrap()]);
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap_or("");
    assert!(first.contains("attack path"), "{out}");
    assert!(out.contains("cut by: "), "{out}");
    let (_, json, _) = run(&[
        "scan",
        ex.to_str().unwrap(),
        "--format",
        "json",
        "--select",
        "attack-path",
    ]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings
        .iter()
        .all(|f| f["rule"] == "attack-path" && f["severity"] == "critical"));
    assert!(findings
        .iter()
        .any(|f| f["message"].as_str().unwrap().contains("cluster-admin")));
}

#[test]
fn network_reach_is_judged_on_request() {
    let dir = tempfile::tempdir().unwrap();
    // web is exposed but harmless; the privileged agent behind a ClusterIP Service is reached
    // over the pod network, unless a NetworkPolicy closes it
    let agent = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent, namespace: ops}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers:\n      - {name: a, image: agent:1, ports: [{containerPort: 9000}], securityContext: {privileged: true}}\n";
    let yaml = format!("{}{agent}", web(false));
    let f = write(dir.path(), "lateral.yaml", &yaml);
    let f = f.to_str().unwrap();
    let (code, _, _) = run(&["paths", f]);
    assert_eq!(code, 0);
    let (code, out, _) = run(&["paths", f, "--network"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NETWORK_REACH"), "{out}");
    let deny = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ops}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n";
    let g = write(dir.path(), "deny.yaml", &format!("{yaml}{deny}"));
    let (code, out, _) = run(&["paths", g.to_str().unwrap(), "--network"]);
    assert_eq!(code, 0, "{out}");
}
