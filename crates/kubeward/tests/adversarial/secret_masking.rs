//! Class 2: credentials must never be printed. Messages masked the value, but the text
//! report's source line under a finding printed it in full, and a one-line JSON List printed a
//! Secret's `data`/`stringData` in the snippet of every finding on that line. Every format is
//! checked, on standard output and standard error.

use crate::common::{kubeward, texts, write};

/// Values that must never appear in any output.
const SECRETS: &[&str] = &[
    "Zq8hunterPW42",
    "Pg5ecretURLpw",
    "Xk9ConfigSecret7",
    "InBlockPw88",
    "U2VjcmV0QmFzZTY0VmFsdWU",
    "StrDataTok3n99",
    "Mssql9Pw",
    "AnnotTok3nValue",
    "BlockSecretLine2",
    "NoApiVers1onTok",
];

const MANIFESTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}, annotations: {example.com/api-token: AnnotTok3nValue}}
    spec:
      containers:
      - name: api
        image: example/api:1.0
        env:
        - name: DB_PASSWORD
          value: "Zq8hunterPW42"
        - name: DATABASE_URL
          value: postgres://app:Pg5ecretURLpw@db:5432/app
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data:
  DB_PASSWORD: Xk9ConfigSecret7
  app.conf: |
    password = "InBlockPw88"
---
apiVersion: v1
kind: Secret
metadata: {name: block, namespace: shop, labels: {app: x}}
stringData:
  key: |
    BlockSecretLine2
"#;

/// A Secret, a ConfigMap with a connection string, a privileged Pod and a Secret that is not
/// loaded as an object (no apiVersion) on one line.
const ONE_LINE_LIST: &str = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"},"data":{"password":"U2VjcmV0QmFzZTY0VmFsdWU="},"stringData":{"token":"StrDataTok3n99"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"},"data":{"conn":"Server=db;User Id=sa;Password=Mssql9Pw;"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","annotations":{"example.com/api-token":"AnnotTok3nValue"}},"spec":{"containers":[{"name":"c","image":"x:latest","securityContext":{"privileged":true}}]}},{"kind":"Secret","metadata":{"name":"no-api-version","namespace":"n"},"stringData":{"token":"NoApiVers1onTok"}}]}
"#;

fn assert_no_secret(format: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", MANIFESTS);
    let b = write(dir.path(), "list.json", ONE_LINE_LIST);
    let out = kubeward()
        .arg("scan")
        .arg(&a)
        .arg(&b)
        .args(["--format", format, "--show-suppressed"])
        .args(extra)
        .output()
        .expect("run");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
    // the findings are there (the masking hides values, not findings)
    for rule in [
        "secret-in-env-literal",
        "secret-in-configmap",
        "privileged-container",
    ] {
        assert!(stdout.contains(rule), "{format}: no {rule} in\n{stdout}");
    }
    for s in SECRETS {
        assert!(!stdout.contains(s), "{format}: {s} printed:\n{stdout}");
        assert!(!stderr.contains(s), "{format}: {s} on stderr:\n{stderr}");
    }
}

#[test]
fn text_report_masks_snippets() {
    assert_no_secret("text", &[]);
    // the masked line keeps its key
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", MANIFESTS);
    let out = kubeward().arg("scan").arg(&a).output().expect("run");
    let (stdout, _) = texts(&out);
    assert!(stdout.contains("DB_PASSWORD: ****"), "{stdout}");
    assert!(
        stdout.contains("postgres://app:****@db:5432/app"),
        "{stdout}"
    );
}

#[test]
fn text_report_with_colour_masks_snippets() {
    assert_no_secret("text", &["--color", "always"]);
}

#[test]
fn json_report_prints_no_secret() {
    assert_no_secret("json", &[]);
}

#[test]
fn sarif_report_prints_no_secret() {
    assert_no_secret("sarif", &[]);
}

#[test]
fn junit_report_prints_no_secret() {
    assert_no_secret("junit", &[]);
}

/// A repeated key hides its first value from the document tree (the API server keeps the
/// last); the hidden value is still in the source line that the duplicate-key error and the
/// findings of the object point at.
#[test]
fn a_value_hidden_by_a_repeated_key_is_not_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "dup.json",
        r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"},"data":{"DB_PASSWORD":"DupHiddenS3cret","DB_PASSWORD":"changeme1"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[{"name":"c","image":"x:latest","securityContext":{"privileged":true}}]}}]}
"#,
    );
    for format in ["text", "json", "sarif", "junit"] {
        let out = kubeward()
            .arg("scan")
            .arg(&f)
            .args(["--format", format])
            .output()
            .expect("run");
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        for s in ["DupHiddenS3cret", "changeme1"] {
            assert!(!stdout.contains(s), "{format}: {s} printed:\n{stdout}");
            assert!(!stderr.contains(s), "{format}: {s} on stderr:\n{stderr}");
        }
    }
}

/// Values the secrets rules of issue 11 find in command lines, probes, hooks, annotations,
/// committed Secrets and legacy token Secrets: never printed, in any format.
const COMMAND_SECRETS: &[&str] = &[
    "CmdPw7788x",
    "SepArgTok99x",
    "ScriptPw55x",
    "ProbePw66x",
    "BlockCmdPw42",
    "HookGlued31x",
    "AnnotPlain4Key",
    "CommittedSec77",
    "Q29tbWl0dGVkQjY0",
    "LegacyTok3nData",
];

const COMMAND_MANIFESTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations:
    example.com/db-password: AnnotPlain4Key
spec:
  template:
    spec:
      containers:
      - name: api
        image: example/api:1.0
        command: [mysql]
        args: ["-uroot", "-pCmdPw7788x", "--api-token", "SepArgTok99x"]
        livenessProbe:
          exec: {command: ["redis-cli", "-a", "ProbePw66x", "ping"]}
        lifecycle:
          preStop:
            exec:
              command: ["sh", "-c", "PGPASSWORD=ScriptPw55x psql -h db"]
      - name: backup
        image: mysql:8.4
        command:
        - sh
        - -c
        - |
          mysqldump -uroot -pBlockCmdPw42 shop > /backup/shop.sql
        lifecycle:
          postStart:
            exec:
              command:
              - mysql
              - -pHookGlued31x
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: CommittedSec77}
data:
  token: Q29tbWl0dGVkQjY0
---
apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  namespace: shop
  annotations: {kubernetes.io/service-account.name: ci}
type: kubernetes.io/service-account-token
stringData: {token: LegacyTok3nData}
"#;

fn assert_no_command_secret(format: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", COMMAND_MANIFESTS);
    let out = kubeward()
        .arg("scan")
        .arg(&a)
        .args(["--format", format, "--show-suppressed"])
        .args(extra)
        .output()
        .expect("run");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
    for rule in [
        "secret-in-command",
        "secret-in-annotation",
        "secret-committed-in-manifest",
        "legacy-service-account-token-secret",
    ] {
        assert!(stdout.contains(rule), "{format}: no {rule} in\n{stdout}");
    }
    for s in COMMAND_SECRETS {
        assert!(!stdout.contains(s), "{format}: {s} printed:\n{stdout}");
        assert!(!stderr.contains(s), "{format}: {s} on stderr:\n{stderr}");
    }
    stdout
}

#[test]
fn command_line_credentials_are_masked_in_every_format() {
    let text = assert_no_command_secret("text", &[]);
    // the masked source line keeps the command's shape
    assert!(
        text.contains(r#"args: ["-uroot", "****", "--api-token", "****"]"#),
        "{text}"
    );
    assert_no_command_secret("text", &["--group-by", "rule", "--color", "always"]);
    assert_no_command_secret("json", &[]);
    assert_no_command_secret("sarif", &[]);
    assert_no_command_secret("junit", &[]);
}
