//! The NetworkPolicy recipes (testdata/netpol-recipes) with the behaviour EXPECTED.md states.
//! Where the recipe prose and its YAML disagree (recipe 14, the "empty from" remarks of 02a
//! and 05), the YAML is judged, as EXPECTED.md says.

mod common;
use common::*;

const EXT: &str = "ip:203.0.113.7";

fn with(policy: &str, rest: &[String]) -> kubeward_netpol::Network {
    let mut y = String::new();
    for r in rest {
        y.push_str(r);
    }
    y.push_str("---\n");
    y.push_str(policy);
    net(&y)
}

fn base() -> Vec<String> {
    vec![
        ns("default", &[]),
        ns("other", &[]),
        pod("default", "web", &[("app", "web")]),
        pod("default", "client", &[]),
        pod("other", "client", &[]),
    ]
}

#[test]
fn r01_deny_all_to_web() {
    let n = with(&recipe("01-web-deny-all.yaml"), &base());
    expect(
        &n,
        &[
            ("default/client", "default/web", "80/TCP", false),
            ("other/client", "default/web", "80/TCP", false),
            (EXT, "default/web", "443/TCP", false),
            ("default/client", "default/web", "53/UDP", false),
            // egress of web is not isolated; other pods are unaffected
            ("default/web", "other/client", "80/TCP", true),
            ("default/web", EXT, "80/TCP", true),
            ("other/client", "default/client", "80/TCP", true),
        ],
    );
}

#[test]
fn r01_missing_or_null_ingress_is_the_same() {
    for ingress in ["", "  ingress:\n", "  ingress: []\n"] {
        let p = format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: d\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n{ingress}");
        let n = with(&p, &base());
        expect(&n, &[("default/client", "default/web", "80/TCP", false)]);
    }
}

#[test]
fn r02_limit_to_bookstore() {
    let rest = vec![
        ns("default", &[]),
        ns("other", &[]),
        pod(
            "default",
            "apiserver",
            &[("app", "bookstore"), ("role", "api")],
        ),
        pod(
            "default",
            "frontend",
            &[("app", "bookstore"), ("role", "frontend")],
        ),
        pod("default", "plain", &[]),
        pod("other", "bookstore", &[("app", "bookstore")]),
    ];
    let n = with(&recipe("02-api-allow.yaml"), &rest);
    expect(
        &n,
        &[
            ("default/frontend", "default/apiserver", "80/TCP", true),
            ("default/frontend", "default/apiserver", "9999/UDP", true),
            ("default/plain", "default/apiserver", "80/TCP", false),
            ("other/bookstore", "default/apiserver", "80/TCP", false),
            (EXT, "default/apiserver", "80/TCP", false),
        ],
    );
}

#[test]
fn r02a_allow_all_admits_external_and_unions_with_01() {
    let n = with(&recipe("02a-web-allow-all.yaml"), &base());
    let cases = [
        ("default/client", "default/web", "80/TCP", true),
        ("other/client", "default/web", "8080/UDP", true),
        (EXT, "default/web", "443/TCP", true),
    ];
    expect(&n, &cases);
    let both = format!(
        "{}\n---\n{}",
        recipe("01-web-deny-all.yaml"),
        recipe("02a-web-allow-all.yaml")
    );
    expect(&with(&both, &base()), &cases);
}

#[test]
fn r03_default_deny_namespace() {
    let n = with(&recipe("03-default-deny-all.yaml"), &base());
    expect(
        &n,
        &[
            ("default/client", "default/web", "80/TCP", false),
            ("other/client", "default/web", "80/TCP", false),
            (EXT, "default/client", "80/TCP", false),
            ("default/web", "other/client", "80/TCP", true),
        ],
    );
}

#[test]
fn r04_deny_from_other_namespaces() {
    let rest = vec![
        ns("default", &[]),
        ns("foo", &[]),
        pod("default", "a", &[]),
        pod("default", "b", &[("x", "y")]),
        pod("foo", "c", &[]),
    ];
    let n = with(&recipe("04-deny-from-other-namespaces.yaml"), &rest);
    expect(
        &n,
        &[
            ("default/a", "default/b", "80/TCP", true),
            ("default/b", "default/a", "5432/TCP", true),
            ("foo/c", "default/a", "80/TCP", false),
            (EXT, "default/a", "80/TCP", false),
            ("default/a", "foo/c", "80/TCP", true),
        ],
    );
}

#[test]
fn r05_all_namespaces_but_not_external() {
    let mut rest = base();
    rest.push(ns("secondary", &[]));
    rest.push(pod("secondary", "s", &[]));
    let n = with(&recipe("05-web-allow-all-namespaces.yaml"), &rest);
    expect(
        &n,
        &[
            ("secondary/s", "default/web", "80/TCP", true),
            ("other/client", "default/web", "80/TCP", true),
            ("default/client", "default/web", "80/TCP", true),
            (EXT, "default/web", "80/TCP", false),
        ],
    );
}

#[test]
fn r06_from_production_namespace_only() {
    let rest = vec![
        ns("default", &[]),
        ns("prod", &[("purpose", "production")]),
        ns("dev", &[("purpose", "testing")]),
        pod("default", "web", &[("app", "web")]),
        pod("default", "neighbour", &[]),
        pod("prod", "p", &[]),
        pod("dev", "d", &[]),
    ];
    let n = with(&recipe("06-web-allow-prod.yaml"), &rest);
    expect(
        &n,
        &[
            ("prod/p", "default/web", "80/TCP", true),
            ("dev/d", "default/web", "80/TCP", false),
            ("default/neighbour", "default/web", "80/TCP", false),
            (EXT, "default/web", "80/TCP", false),
        ],
    );
}

fn r07_pods() -> Vec<String> {
    vec![
        ns("default", &[]),
        ns("other", &[("team", "operations")]),
        pod("default", "web", &[("app", "web")]),
        pod("default", "t1", &[]),
        pod("default", "t2", &[("type", "monitoring")]),
        pod("other", "t3", &[]),
        pod("other", "t4", &[("type", "monitoring")]),
    ]
}

fn r07_policy(fragment_file: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: f\n  namespace: default\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n{}",
        fragment(fragment_file)
    )
}

#[test]
fn r07_both_selectors_in_one_peer_are_anded() {
    let table = [
        ("default/t1", "default/web", "80/TCP", false),
        ("default/t2", "default/web", "80/TCP", false),
        ("other/t3", "default/web", "80/TCP", false),
        ("other/t4", "default/web", "80/TCP", true),
        (EXT, "default/web", "80/TCP", false),
    ];
    expect(
        &with(&recipe("07-web-allow-all-ns-monitoring.yaml"), &r07_pods()),
        &table,
    );
    // the "and" fragment is the same as the full manifest
    expect(
        &with(&r07_policy("07-fragment-and-one-peer.yaml"), &r07_pods()),
        &table,
    );
}

#[test]
fn r07_two_peers_are_ored() {
    let n = with(&r07_policy("07-fragment-or-two-peers.yaml"), &r07_pods());
    expect(
        &n,
        &[
            ("default/t1", "default/web", "80/TCP", false),
            ("default/t2", "default/web", "80/TCP", true),
            ("other/t3", "default/web", "80/TCP", true),
            ("other/t4", "default/web", "80/TCP", true),
        ],
    );
}

#[test]
fn r08_external_clients_and_the_port_80_fragment() {
    let n = with(&recipe("08-web-allow-external.yaml"), &base());
    expect(
        &n,
        &[
            (EXT, "default/web", "80/TCP", true),
            (EXT, "default/web", "8443/TCP", true),
            ("other/client", "default/web", "80/TCP", true),
        ],
    );
    let p = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p80\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n{}",
        fragment("08-fragment-ingress-port-80.yaml")
    );
    let n = with(&p, &base());
    expect(
        &n,
        &[
            (EXT, "default/web", "80/TCP", true),
            ("other/client", "default/web", "80/TCP", true),
            (EXT, "default/web", "443/TCP", false),
            (EXT, "default/web", "80/UDP", false),
        ],
    );
}

#[test]
fn r09_only_port_5000() {
    let rest = vec![
        ns("default", &[]),
        ns("other", &[]),
        pod_with(
            "default",
            "apiserver",
            &[("app", "apiserver")],
            "    ports:\n    - name: http\n      containerPort: 8000\n    - name: metrics\n      containerPort: 5000\n",
            None,
        ),
        pod("default", "mon", &[("role", "monitoring")]),
        pod("default", "plain", &[]),
        pod("other", "mon", &[("role", "monitoring")]),
    ];
    let n = with(&recipe("09-api-allow-5000.yaml"), &rest);
    expect(
        &n,
        &[
            ("default/mon", "default/apiserver", "5000/TCP", true),
            ("default/mon", "default/apiserver", "8000/TCP", false),
            // judged after DNAT: the Service port 5001 is not the pod's port
            ("default/mon", "default/apiserver", "5001/TCP", false),
            ("default/plain", "default/apiserver", "5000/TCP", false),
            ("other/mon", "default/apiserver", "5000/TCP", false),
            (EXT, "default/apiserver", "5000/TCP", false),
        ],
    );
}

#[test]
fn r09_named_port_is_resolved_per_destination_pod() {
    let container = fragment("09-fragment-container-named-port.yaml");
    // the fragment's containers list, as the pod spec
    let with_port = format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: default\n  labels:\n    app: api\nspec:\n{container}"
    );
    let rest = vec![
        ns("default", &[]),
        with_port,
        // same labels, but no port named api-port
        pod_with(
            "default",
            "api-other",
            &[("app", "api")],
            "    ports:\n    - name: web\n      containerPort: 5000\n",
            None,
        ),
        pod("default", "client", &[]),
    ];
    let p = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: named\nspec:\n  podSelector:\n    matchLabels:\n      app: api\n{}",
        fragment("09-fragment-named-port-rule.yaml")
    );
    let n = with(&p, &rest);
    expect(
        &n,
        &[
            ("default/client", "default/api", "5000/TCP", true),
            ("default/client", "default/api", "5000/UDP", false),
            ("default/client", "default/api", "5001/TCP", false),
            ("default/client", "default/api-other", "5000/TCP", false),
        ],
    );
}

#[test]
fn r10_multiple_selectors() {
    let rest = vec![
        ns("default", &[]),
        ns("other", &[]),
        pod("default", "db", &[("app", "bookstore"), ("role", "db")]),
        pod("default", "db2", &[("app", "bookstore"), ("role", "db")]),
        pod(
            "default",
            "search",
            &[("app", "bookstore"), ("role", "search")],
        ),
        pod("default", "api", &[("app", "bookstore"), ("role", "api")]),
        pod("default", "inv", &[("app", "inventory"), ("role", "web")]),
        pod("default", "other-app", &[("app", "other")]),
        pod("default", "norole", &[("app", "bookstore")]),
        pod("other", "api", &[("app", "bookstore"), ("role", "api")]),
    ];
    let n = with(&recipe("10-redis-allow-services.yaml"), &rest);
    expect(
        &n,
        &[
            ("default/search", "default/db", "6379/TCP", true),
            ("default/api", "default/db", "6379/TCP", true),
            ("default/inv", "default/db", "6379/TCP", true),
            ("default/inv", "default/db", "1/UDP", true),
            ("default/other-app", "default/db", "6379/TCP", false),
            ("default/norole", "default/db", "6379/TCP", false),
            ("default/db2", "default/db", "6379/TCP", false),
            ("other/api", "default/db", "6379/TCP", false),
        ],
    );
}

fn dns_cluster() -> Vec<String> {
    vec![
        ns("default", &[]),
        ns("kube-system", &[]),
        pod("default", "test", &[("app", "foo")]),
        pod("default", "web", &[("app", "web")]),
        pod("kube-system", "coredns", &[("k8s-app", "kube-dns")]),
        pod("kube-system", "metrics", &[("k8s-app", "metrics-server")]),
    ]
}

#[test]
fn r11_deny_egress_breaks_dns() {
    let n = with(&recipe("11-foo-deny-egress.yaml"), &dns_cluster());
    expect(
        &n,
        &[
            ("default/test", "default/web", "80/TCP", false),
            ("default/test", "kube-system/coredns", "53/UDP", false),
            ("default/test", "ip:93.184.216.34", "80/TCP", false),
            // ingress to foo is not isolated
            ("default/web", "default/test", "80/TCP", true),
        ],
    );
}

#[test]
fn r11_deny_egress_allow_dns() {
    let n = with(&recipe("11-foo-deny-egress-allow-dns.yaml"), &dns_cluster());
    expect(
        &n,
        &[
            ("default/test", "kube-system/coredns", "53/UDP", true),
            ("default/test", "kube-system/coredns", "53/TCP", true),
            ("default/test", "kube-system/coredns", "80/TCP", false),
            ("default/test", "default/web", "80/TCP", false),
            ("default/test", "ip:93.184.216.34", "80/TCP", false),
            ("default/test", "ip:8.8.8.8", "53/UDP", false),
            ("default/test", "kube-system/metrics", "53/UDP", false),
        ],
    );
}

#[test]
fn r12_default_deny_egress_namespace() {
    let mut rest = dns_cluster();
    rest.push(ns("other", &[]));
    rest.push(pod("other", "x", &[]));
    let n = with(&recipe("12-default-deny-all-egress.yaml"), &rest);
    expect(
        &n,
        &[
            ("default/test", "default/web", "80/TCP", false),
            ("default/web", "kube-system/coredns", "53/UDP", false),
            ("default/web", "ip:1.1.1.1", "443/TCP", false),
            ("other/x", "default/web", "80/TCP", true),
        ],
    );
}

#[test]
fn r14_current_yaml_denies_web_though_the_prose_says_it_works() {
    let n = with(&recipe("14-foo-deny-external-egress.yaml"), &dns_cluster());
    expect(
        &n,
        &[
            ("default/test", "kube-system/coredns", "53/UDP", true),
            ("default/test", "kube-system/coredns", "53/TCP", true),
            ("default/test", "ip:93.184.216.34", "80/TCP", false),
            // the prose: "able to connect to web Service"; the YAML: denied
            ("default/test", "default/web", "80/TCP", false),
        ],
    );
}

#[test]
fn r14_original_2017_form() {
    let n = with(
        &recipe("14-foo-deny-external-egress.original-2017.yaml"),
        &dns_cluster(),
    );
    expect(
        &n,
        &[
            ("default/test", "default/web", "80/TCP", true),
            ("default/test", "ip:8.8.8.8", "53/UDP", true),
            ("default/test", "ip:93.184.216.34", "80/TCP", false),
            ("default/test", "ip:93.184.216.34", "443/TCP", false),
            ("default/test", "kube-system/coredns", "53/UDP", true),
        ],
    );
}

#[test]
fn r14_2022_form_dns_ports_to_kube_system_only() {
    let n = with(
        &recipe("14-foo-deny-external-egress.2022-03-to-2022-12.yaml"),
        &dns_cluster(),
    );
    expect(
        &n,
        &[
            ("default/test", "kube-system/coredns", "53/UDP", true),
            ("default/test", "kube-system/metrics", "53/TCP", true),
            ("default/test", "kube-system/metrics", "443/TCP", false),
            ("default/test", "default/web", "80/TCP", false),
        ],
    );
}

#[test]
fn cross_03_plus_02_only_bookstore_reaches_apiserver() {
    let rest = vec![
        ns("default", &[]),
        pod(
            "default",
            "apiserver",
            &[("app", "bookstore"), ("role", "api")],
        ),
        pod(
            "default",
            "frontend",
            &[("app", "bookstore"), ("role", "frontend")],
        ),
        pod("default", "plain", &[]),
    ];
    let both = format!(
        "{}\n---\n{}",
        recipe("03-default-deny-all.yaml"),
        recipe("02-api-allow.yaml")
    );
    let n = with(&both, &rest);
    expect(
        &n,
        &[
            ("default/frontend", "default/apiserver", "80/TCP", true),
            ("default/plain", "default/apiserver", "80/TCP", false),
            ("default/apiserver", "default/frontend", "80/TCP", false),
            ("default/apiserver", "default/plain", "80/TCP", false),
        ],
    );
}

#[test]
fn cross_12_plus_03_fully_isolated() {
    let rest = vec![
        ns("default", &[]),
        pod("default", "a", &[]),
        pod("default", "b", &[]),
    ];
    let both = format!(
        "{}\n---\n{}",
        recipe("12-default-deny-all-egress.yaml"),
        recipe("03-default-deny-all.yaml")
    );
    let n = with(&both, &rest);
    expect(
        &n,
        &[
            ("default/a", "default/b", "80/TCP", false),
            ("default/b", "default/a", "80/TCP", false),
        ],
    );
}
