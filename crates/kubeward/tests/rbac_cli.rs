//! End-to-end tests of `kubeward who-can` and `kubeward can-i`: answers, explanations, JSON,
//! exit codes (0 yes/answer, 1 can-i no, 2 errors), standard input, terminal escaping.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

const RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
- {apiGroups: [""], resources: [nodes], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: binder, namespace: shop}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: binder, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: binder}
subjects:
- {kind: ServiceAccount, name: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: "devs\u001b[31m"}
"#;

fn fixture(dir: &Path) -> PathBuf {
    let p = dir.join("rbac.yaml");
    std::fs::write(&p, RBAC).expect("write");
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
fn who_can_names_binding_role_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, err) = run(&["who-can", "get", "secrets", "-n", "shop"], &f);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("who can get secrets in namespace shop:\n"),
        "{out}"
    );
    assert!(
        out.contains("ServiceAccount shop/web")
            && out.contains("namespace shop")
            && out.contains("RoleBinding/shop/read → ClusterRole/secret-reader, rule 0"),
        "{out}"
    );
    // the default edit role, aggregated from system:aggregate-to-edit
    assert!(out.contains("ClusterRole/edit (Kubernetes default), rule 0 of ClusterRole/system:aggregate-to-edit (Kubernetes default) (aggregated)"), "{out}");
    // defaults bind cluster-admin to system:masters
    assert!(out.contains("Group system:masters"), "{out}");
    // the binder can give itself the right
    assert!(out.contains("can obtain it (bind or escalate):"), "{out}");
    assert!(
        out.contains("ServiceAccount shop/ci")
            && out.contains(
                "can bind ClusterRole/cluster-admin (Kubernetes default) in namespace shop"
            ),
        "{out}"
    );
    // input strings are escaped
    assert!(!out.contains('\u{1b}'), "{out:?}");
    // elsewhere: the RoleBinding does not reach
    let (_, other, _) = run(&["who-can", "get", "secrets", "-n", "other"], &f);
    assert!(!other.contains("shop/web"), "{other}");
    // a cluster-scoped resource through a RoleBinding: no effect
    let (_, nodes, _) = run(&["who-can", "get", "nodes"], &f);
    assert!(!nodes.contains("shop/web"), "{nodes}");
}

#[test]
fn who_can_json_and_no_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(
        &[
            "who-can",
            "list",
            "secrets",
            "-n",
            "shop",
            "--format",
            "json",
            "--no-defaults",
        ],
        &f,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["request"]["verb"], "list");
    assert_eq!(v["request"]["resource"], "secrets");
    assert_eq!(v["request"]["namespace"], "shop");
    let grants = v["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{out}");
    assert_eq!(grants[0]["subject"]["kind"], "ServiceAccount");
    assert_eq!(grants[0]["subject"]["namespace"], "shop");
    assert_eq!(grants[0]["binding"]["name"], "read");
    assert_eq!(grants[0]["role"]["name"], "secret-reader");
    assert_eq!(grants[0]["rule_index"], 0);
    // without defaults the ClusterRole cluster-admin is unknown: nothing to obtain
    assert_eq!(v["obtainable"].as_array().unwrap().len(), 0, "{out}");
}

#[test]
fn can_i_yes_no_and_obtainable() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, out, _) = run(
        &[
            "can-i",
            "get",
            "secrets",
            "--as",
            "system:serviceaccount:shop:web",
            "-n",
            "shop",
        ],
        &f,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("yes: can ServiceAccount shop/web get secrets in namespace shop"),
        "{out}"
    );
    assert!(
        out.contains("RoleBinding/shop/read → ClusterRole/secret-reader, rule 0"),
        "{out}"
    );
    let (code, out, _) = run(
        &[
            "can-i",
            "get",
            "secrets",
            "--as",
            "system:serviceaccount:other:web",
            "-n",
            "shop",
        ],
        &f,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("no:"), "{out}");
    // not cluster-wide: the grant is shown as not covering the request
    let (code, out, _) = run(
        &[
            "can-i",
            "get",
            "secrets",
            "--as",
            "system:serviceaccount:shop:web",
        ],
        &f,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("matching grants that do not cover this request"),
        "{out}"
    );
    // bind: no, but it can obtain it
    let (code, out, _) = run(
        &[
            "can-i",
            "create",
            "pods",
            "--as",
            "system:serviceaccount:shop:ci",
            "-n",
            "shop",
            "--format",
            "json",
        ],
        &f,
    );
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["obtainable"][0]["kind"], "bind");
    assert_eq!(v["obtainable"][0]["role"]["name"], "cluster-admin");
    assert_eq!(v["obtainable"][0]["namespace"], "shop");
    // groups: every authenticated user may discover the API (default binding)
    let (code, _, _) = run(&["can-i", "get", "/apis", "--as", "user:alice"], &f);
    assert_eq!(code, 0);
    let (code, _, _) = run(
        &[
            "can-i",
            "get",
            "/apis",
            "--as",
            "user:alice",
            "--no-defaults",
        ],
        &f,
    );
    assert_eq!(code, 1);
}

#[test]
fn errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path());
    let (code, _, err) = run(&["can-i", "get", "secrets", "--as", "bob"], &f);
    assert_eq!(code, 2);
    assert!(err.contains("is not a subject"), "{err}");
    let (code, _, err) = run(&["who-can", "get", "pods/"], &f);
    assert_eq!(code, 2, "{err}");
    // a missing file: the answer is printed, exit 2
    let (code, out, err) = run(
        &["who-can", "get", "secrets"],
        &dir.path().join("missing.yaml"),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.starts_with("who can get secrets"), "{out}");
    assert!(err.contains("missing.yaml"), "{err}");
}

#[test]
fn standard_input() {
    let out = kubeward()
        .args([
            "can-i",
            "list",
            "secrets",
            "--as",
            "system:serviceaccount:shop:web",
            "-n",
            "shop",
            "-",
        ])
        .write_stdin(RBAC)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}
