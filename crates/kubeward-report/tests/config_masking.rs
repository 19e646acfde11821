//! Node and cluster configuration files (`kubeward scan /etc/kubernetes`) hold credentials:
//! kubeconfig client keys and tokens, auth-provider secrets, EncryptionConfiguration keys.
//! Every source line a report can show has them masked (issue 11, item 6).

use kubeward_model::load_str;
use kubeward_report::mask::{Masked, MASK};
use kubeward_report::ScanResult;

const KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    certificate-authority-data: RkFLRS1DQQ==
    server: https://10.0.0.1:6443
users:
- name: kubernetes-admin
  user:
    client-certificate-data: RkFLRS1DRVJU
    client-key-data: S0VZLXZhbHVlLTAwMQ==
- name: ci
  user: {token: TOKEN-value-0002}
- name: basic
  user:
    username: admin
    password: PASSWORD-value-0003
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-secret: CLIENT-SECRET-0004
        id-token: ID-TOKEN-value-0005
        refresh-token: REFRESH-value-0006
---
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: RU5DLUtFWS0wMDA3
  - secretbox:
      keys: [{name: key2, secret: RU5DLUtFWS0wMDA4}]
"#;

const SECRETS: &[&str] = &[
    "S0VZLXZhbHVlLTAwMQ==",
    "TOKEN-value-0002",
    "PASSWORD-value-0003",
    "CLIENT-SECRET-0004",
    "ID-TOKEN-value-0005",
    "REFRESH-value-0006",
    "RU5DLUtFWS0wMDA3",
    "RU5DLUtFWS0wMDA4",
];

#[test]
fn kubeconfig_and_encryption_keys_never_show_in_source_lines() {
    let snap = load_str("/etc/kubernetes/admin.conf", KUBECONFIG);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    assert_eq!(snap.objects.len(), 2);
    let result = ScanResult {
        snapshot: &snap,
        findings: &[],
        suppressed: &[],
        show_suppressed: false,
        files: 1,
        tool_version: "t",
    };
    let m = Masked::new(&result);
    let lines: Vec<String> = (1..=KUBECONFIG.lines().count() as u32)
        .map(|l| m.line(0, l, 1).expect("line").line)
        .collect();
    for secret in SECRETS {
        assert!(
            lines.iter().all(|l| !l.contains(secret)),
            "{secret} shows in {lines:#?}"
        );
    }
    // each credential line keeps its key and shows the mask
    for key in [
        "client-key-data:",
        "user: {token:",
        "password:",
        "client-secret:",
        "id-token:",
        "refresh-token:",
        "secret: ",
    ] {
        let line = lines.iter().find(|l| l.contains(key)).expect(key);
        assert!(line.contains(MASK), "{key}: {line}");
    }
    // what is not a credential stays readable
    assert!(lines
        .iter()
        .any(|l| l.contains("server: https://10.0.0.1:6443")));
    assert!(lines.iter().any(|l| l.contains("name: key1")));
}
