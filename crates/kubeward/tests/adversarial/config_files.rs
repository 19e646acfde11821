//! Node configuration folders as inputs (`kubeward scan /etc/kubernetes`, issue 11): `*.conf`
//! files are read only when they are kubeconfigs, so binary, huge or unrelated `*.conf`
//! files neither fail the scan nor slow it, the credentials of the kubeconfigs never reach
//! any report, and a static pod with an enormous command line is read in one pass.

use super::common::{kubeward, texts, write};

const TOKEN: &str = "FAKE-kubeward-token-7f3a9c1e5b";
const KEY: &str = "RkFLRS1rdWJld2FyZC1jbGllbnQta2V5LTQ0MjE=";

fn node_folder(dir: &std::path::Path) {
    write(
        dir,
        "admin.conf",
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster: {{server: \"http://10.0.0.1:8080\"}}\nusers:\n- name: ci\n  user:\n    token: {TOKEN}\n- name: admin\n  user:\n    client-key-data: {KEY}\n"
        ),
    );
    // not kubeconfigs: skipped without an error or a note
    write(
        dir,
        "nginx.conf",
        "events {}\nhttp { server { listen 80; } }\n",
    );
    write(dir, "binary.conf", [0u8, 159, 146, 150, 0, 255, 0, 1]);
    write(dir, "empty.conf", "");
    let big = std::fs::File::create(dir.join("huge.conf")).expect("create");
    big.set_len(1 << 30).expect("a sparse 1 GiB file");
    write(
        dir,
        "systemd/10-kubeadm.conf",
        "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--kubeconfig=/etc/kubernetes/kubelet.conf\"\n",
    );
}

#[test]
fn conf_files_that_are_not_kubeconfigs_are_skipped_and_credentials_never_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    node_folder(dir.path());
    for format in ["text", "json", "sarif", "junit"] {
        let out = kubeward()
            .args(["scan", "--color", "never", "--format", format])
            .arg(dir.path())
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("run");
        let (stdout, stderr) = texts(&out);
        // findings (the kubeconfig's), no input error: exit 1, not 2
        assert_eq!(out.status.code(), Some(1), "{format}: {stdout}\n{stderr}");
        assert!(
            stdout.contains("kubeconfig-static-credentials")
                && stdout.contains("kubeconfig-insecure-server"),
            "{format}: {stdout}"
        );
        for secret in [TOKEN, KEY] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{format} shows a credential: {stdout}\n{stderr}"
            );
        }
        for skipped in ["nginx.conf", "binary.conf", "huge.conf", "10-kubeadm.conf"] {
            assert!(
                !stdout.contains(skipped) && !stderr.contains(skipped),
                "{format} mentions {skipped}: {stdout}\n{stderr}"
            );
        }
    }
}

#[test]
fn a_conf_file_named_on_the_command_line_is_read_as_a_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nginx = write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp { server { listen 80; } }\n",
    );
    let out = kubeward()
        .args(["scan", "--color", "never"])
        .arg(&nginx)
        .output()
        .expect("run");
    let (stdout, stderr) = texts(&out);
    // what the user named is read and accounted for (a note: not a Kubernetes object), not
    // silently dropped as a folder's unrelated *.conf files are
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("from 1 file"), "{stdout}");
    assert!(
        format!("{stdout}{stderr}").contains("skipped (not Kubernetes objects)"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn a_static_pod_with_a_huge_command_line_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pod = String::from("apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n");
    for i in 0..200_000 {
        pod.push_str(&format!("    - --authorization-mode=Node{i}\n"));
    }
    // a flag without its value at the very end, and a lone `--`
    pod.push_str("    - --\n    - --authorization-mode\n");
    write(dir.path(), "manifests/kube-apiserver.yaml", pod);
    let out = kubeward()
        .args(["scan", "--select", "control-plane", "--format", "json"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .expect("run");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    // 200,000 modes without RBAC: one finding for the whole command line, not one per flag
    assert_eq!(
        rules
            .iter()
            .filter(|r| **r == "apiserver-authorization-mode")
            .count(),
        1,
        "{rules:?}"
    );
    // the message lists the modes it read but stays bounded
    let longest = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 10_000, "a message of {longest} bytes");
}
