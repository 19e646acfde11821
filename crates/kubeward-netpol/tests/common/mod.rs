//! What the tests share: small clusters written as YAML, recipe files, and a check that the
//! one-pair answer (`can_reach`) and the matrix agree on every question asked.
#![allow(dead_code)]

use kubeward_netpol::{Endpoint, Matrix, Network, PortProto};

/// A vendored recipe file (testdata/netpol-recipes).
pub fn recipe(name: &str) -> String {
    let path = format!(
        "{}/../../testdata/netpol-recipes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fragment re-indented to sit under `spec:` (or a pod spec) at two spaces; comments dropped.
pub fn fragment(name: &str) -> String {
    let text = recipe(name);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    let min = lines
        .iter()
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines.iter().map(|l| format!("  {}\n", &l[min..])).collect()
}

/// A Namespace with labels (`kubernetes.io/metadata.name` is added by the model).
pub fn ns(name: &str, labels: &[(&str, &str)]) -> String {
    let mut s = format!("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in labels {
            s.push_str(&format!("    {k}: \"{v}\"\n"));
        }
    }
    s
}

/// A Pod with labels.
pub fn pod(namespace: &str, name: &str, labels: &[(&str, &str)]) -> String {
    pod_with(namespace, name, labels, "", None)
}

/// A Pod with labels, extra container YAML (under the container, e.g. ports) and a pod IP.
pub fn pod_with(
    namespace: &str,
    name: &str,
    labels: &[(&str, &str)],
    container_extra: &str,
    ip: Option<&str>,
) -> String {
    let mut s = format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
    );
    if !labels.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in labels {
            s.push_str(&format!("    {k}: \"{v}\"\n"));
        }
    }
    s.push_str("spec:\n  containers:\n  - name: c\n    image: registry.example/app:1\n");
    s.push_str(container_extra);
    if let Some(ip) = ip {
        s.push_str(&format!("status:\n  podIP: {ip}\n"));
    }
    s
}

pub fn net(yaml: &str) -> Network {
    let snap = kubeward_model::load_str("test.yaml", yaml);
    assert!(snap.errors.is_empty(), "load errors: {:?}", snap.errors);
    let n = Network::new(&snap);
    assert!(
        n.model.warnings.is_empty(),
        "warnings: {:?}",
        n.model.warnings
    );
    n
}

pub fn endpoint(net: &Network, name: &str) -> Endpoint {
    net.endpoint(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether `from` reaches `to` on `port` (`80/TCP`); the matrix must agree with can_reach.
pub fn reach(net: &Network, from: &str, to: &str, port: &str) -> bool {
    let q = PortProto::parse(port).unwrap();
    let (a, b) = (endpoint(net, from), endpoint(net, to));
    let v = net.can_reach(&a, &b, q.port, q.protocol);
    let externals: Vec<_> = [&a, &b]
        .iter()
        .filter_map(|e| match e {
            Endpoint::External(ip) => Some(*ip),
            _ => None,
        })
        .collect();
    let m = Matrix::new(net, &[q], &externals);
    assert_eq!(
        m.allowed(net, 0, &a, &b),
        Some(v.allowed),
        "matrix and can_reach disagree on {from} -> {to} {port}: {v:?}"
    );
    v.allowed
}

/// Asserts a list of (from, to, port, expected).
pub fn expect(net: &Network, cases: &[(&str, &str, &str, bool)]) {
    let mut wrong = Vec::new();
    for &(f, t, p, want) in cases {
        let got = reach(net, f, t, p);
        if got != want {
            wrong.push(format!("{f} -> {t} {p}: got {got}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
