//! One fixture per semantic trap of NetworkPolicy (issue 10), and the cluster-scoped tiers
//! (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) and Cilium L3/L4.

mod common;
use common::*;
use kubeward_netpol::{Endpoint, Protocol, Reason};

fn np(name: &str, namespace: &str, spec: &str) -> String {
    format!("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n{spec}")
}

fn two_ns() -> String {
    [
        ns("a", &[]),
        ns("b", &[("team", "x")]),
        pod("a", "web", &[("app", "web")]),
        pod("a", "client", &[("role", "client")]),
        pod("b", "client", &[("role", "client")]),
    ]
    .concat()
}

#[test]
fn trap_empty_from_admits_external_ips_but_namespace_selector_does_not() {
    let open = np("open", "a", "  podSelector: {}\n  ingress:\n  - from: []\n");
    let n = net(&(two_ns() + &open));
    expect(&n, &[("ip:198.51.100.1", "a/web", "80/TCP", true)]);
    let ns_all = np(
        "ns",
        "a",
        "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n",
    );
    let n = net(&(two_ns() + &ns_all));
    expect(
        &n,
        &[
            ("ip:198.51.100.1", "a/web", "80/TCP", false),
            ("b/client", "a/web", "80/TCP", true),
        ],
    );
}

#[test]
fn trap_peer_with_both_selectors_is_an_and() {
    let and = np(
        "and",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: x\n      podSelector:\n        matchLabels:\n          role: client\n",
    );
    let extra = pod("b", "other", &[]);
    let n = net(&(two_ns() + &extra + &and));
    expect(
        &n,
        &[
            ("b/client", "a/web", "80/TCP", true),
            ("b/other", "a/web", "80/TCP", false),
            ("a/client", "a/web", "80/TCP", false),
        ],
    );
}

#[test]
fn trap_policy_types_default_egress_only_when_egress_rules_exist() {
    // egress rules, no policyTypes: Ingress and Egress both isolated
    let with_rules = np(
        "eg",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          role: client\n",
    );
    let n = net(&(two_ns() + &with_rules));
    expect(
        &n,
        &[
            ("a/web", "a/client", "80/TCP", true),
            ("a/web", "b/client", "80/TCP", false),
            // Ingress was defaulted in, with no ingress rule: nothing comes in
            ("a/client", "a/web", "80/TCP", false),
        ],
    );
    // `egress: []` and no policyTypes: egress is not isolated
    let empty = np(
        "eg",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  egress: []\n",
    );
    let n = net(&(two_ns() + &empty));
    expect(
        &n,
        &[
            ("a/web", "b/client", "80/TCP", true),
            ("a/client", "a/web", "80/TCP", false),
        ],
    );
    // policyTypes [Egress] only: ingress stays open
    let egress_only = np(
        "eg",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Egress]\n",
    );
    let n = net(&(two_ns() + &egress_only));
    expect(
        &n,
        &[
            ("a/web", "b/client", "80/TCP", false),
            ("a/client", "a/web", "80/TCP", true),
        ],
    );
}

#[test]
fn trap_named_port_resolves_on_each_destination_for_egress() {
    let cluster = [
        ns("a", &[]),
        pod("a", "client", &[("role", "client")]),
        pod_with(
            "a",
            "api1",
            &[("app", "api")],
            "    ports:\n    - name: http\n      containerPort: 8080\n",
            None,
        ),
        pod_with(
            "a",
            "api2",
            &[("app", "api")],
            "    ports:\n    - name: http\n      containerPort: 9090\n",
            None,
        ),
        pod_with(
            "a",
            "udp",
            &[("app", "api")],
            "    ports:\n    - name: http\n      containerPort: 8080\n      protocol: UDP\n",
            None,
        ),
    ]
    .concat();
    let p = np(
        "eg",
        "a",
        "  podSelector:\n    matchLabels:\n      role: client\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - port: http\n",
    );
    let n = net(&(cluster + &p));
    expect(
        &n,
        &[
            ("a/client", "a/api1", "8080/TCP", true),
            ("a/client", "a/api1", "9090/TCP", false),
            ("a/client", "a/api2", "9090/TCP", true),
            ("a/client", "a/api2", "8080/TCP", false),
            // the rule's protocol defaults to TCP; the UDP port named http does not match
            ("a/client", "a/udp", "8080/UDP", false),
            // external addresses have no named ports
            ("a/client", "ip:192.0.2.1", "8080/TCP", false),
        ],
    );
}

#[test]
fn trap_end_port_is_a_range() {
    let p = np(
        "range",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - ports:\n    - port: 32000\n      endPort: 32768\n      protocol: TCP\n",
    );
    let n = net(&(two_ns() + &p));
    expect(
        &n,
        &[
            ("b/client", "a/web", "31999/TCP", false),
            ("b/client", "a/web", "32000/TCP", true),
            ("b/client", "a/web", "32400/TCP", true),
            ("b/client", "a/web", "32768/TCP", true),
            ("b/client", "a/web", "32769/TCP", false),
            ("b/client", "a/web", "32400/UDP", false),
        ],
    );
}

#[test]
fn trap_ip_block_except() {
    let p = np(
        "cidr",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 172.17.0.0/16\n        except:\n        - 172.17.1.0/24\n",
    );
    let n = net(&(two_ns() + &p));
    expect(
        &n,
        &[
            ("ip:172.17.0.9", "a/web", "80/TCP", true),
            ("ip:172.17.1.9", "a/web", "80/TCP", false),
            ("ip:172.18.0.1", "a/web", "80/TCP", false),
            ("b/client", "a/web", "80/TCP", false),
        ],
    );
    assert!(n.external_can_reach(n.endpoint("a/web").map(pod_index).unwrap(), None));
}

fn pod_index(e: Endpoint) -> usize {
    match e {
        Endpoint::Pod(p) => p,
        Endpoint::External(_) => panic!("not a pod"),
    }
}

#[test]
fn trap_ip_block_matches_pods_by_pod_ip() {
    let cluster = [
        ns("a", &[]),
        pod("a", "web", &[("app", "web")]),
        pod_with("a", "in", &[], "", Some("10.1.0.5")),
        pod_with("a", "out", &[], "", Some("10.2.0.5")),
    ]
    .concat();
    let p = np(
        "cidr",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.1.0.0/16\n",
    );
    let n = net(&(cluster + &p));
    expect(
        &n,
        &[
            ("a/in", "a/web", "80/TCP", true),
            ("a/out", "a/web", "80/TCP", false),
            // the pod's address names the pod
            ("ip:10.1.0.5", "a/web", "80/TCP", true),
        ],
    );
    assert_eq!(
        n.endpoint("ip:10.1.0.5").unwrap(),
        n.endpoint("a/in").unwrap()
    );
}

#[test]
fn trap_egress_isolation_without_dns_breaks_dns() {
    let cluster = [
        ns("a", &[]),
        ns("kube-system", &[]),
        pod("a", "app", &[("app", "x")]),
        pod("a", "db", &[("app", "db")]),
        pod("kube-system", "coredns", &[("k8s-app", "kube-dns")]),
    ]
    .concat();
    let p = np(
        "only-db",
        "a",
        "  podSelector:\n    matchLabels:\n      app: x\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          app: db\n",
    );
    let n = net(&(cluster + &p));
    expect(
        &n,
        &[
            ("a/app", "a/db", "5432/TCP", true),
            ("a/app", "kube-system/coredns", "53/UDP", false),
            ("a/app", "kube-system/coredns", "53/TCP", false),
        ],
    );
}

#[test]
fn trap_namespace_selector_reads_namespace_labels_and_the_name_label() {
    // `kube-system` has no Namespace object: it still carries kubernetes.io/metadata.name
    let cluster = [
        ns("a", &[]),
        pod("a", "web", &[("app", "web")]),
        pod("kube-system", "agent", &[("team", "x")]),
        ns("b", &[("team", "x")]),
        pod("b", "plain", &[]),
    ]
    .concat();
    let p = np(
        "by-name",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n    - namespaceSelector:\n        matchExpressions:\n        - key: team\n          operator: In\n          values: [x]\n",
    );
    let n = net(&(cluster + &p));
    expect(
        &n,
        &[
            ("kube-system/agent", "a/web", "80/TCP", true),
            // b is labelled team=x: the namespace's label counts, not the pod's
            ("b/plain", "a/web", "80/TCP", true),
        ],
    );
}

#[test]
fn trap_pod_selected_by_no_policy_is_not_isolated() {
    let p = np(
        "web-only",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress: []\n",
    );
    let n = net(&(two_ns() + &p));
    expect(
        &n,
        &[
            ("b/client", "a/client", "80/TCP", true),
            ("ip:192.0.2.9", "a/client", "22/TCP", true),
        ],
    );
    let v = n.can_reach(
        &n.endpoint("b/client").unwrap(),
        &n.endpoint("a/client").unwrap(),
        80,
        Protocol::Tcp,
    );
    assert_eq!(v.ingress.reason, Reason::NotIsolated);
}

#[test]
fn trap_policies_are_a_union() {
    let p1 = np(
        "from-a",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - podSelector: {}\n    ports:\n    - port: 80\n",
    );
    let p2 = np(
        "from-b",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: x\n    ports:\n    - port: 443\n",
    );
    let n = net(&(two_ns() + &p1 + &p2));
    expect(
        &n,
        &[
            ("a/client", "a/web", "80/TCP", true),
            ("a/client", "a/web", "443/TCP", false),
            ("b/client", "a/web", "443/TCP", true),
            ("b/client", "a/web", "80/TCP", false),
        ],
    );
    let v = n.can_reach(
        &n.endpoint("a/client").unwrap(),
        &n.endpoint("a/web").unwrap(),
        443,
        Protocol::Tcp,
    );
    assert_eq!(v.ingress.reason, Reason::NoRuleAllows);
    assert_eq!(v.ingress.policies.len(), 2, "both policies isolate web");
}

#[test]
fn trap_match_expressions_and_protocols() {
    let p = np(
        "expr",
        "a",
        "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n  ingress:\n  - from:\n    - podSelector:\n        matchExpressions:\n        - key: role\n          operator: NotIn\n          values: [client]\n    ports:\n    - protocol: SCTP\n",
    );
    let extra = pod("a", "nolabel", &[]);
    let n = net(&(two_ns() + &extra + &p));
    expect(
        &n,
        &[
            ("a/nolabel", "a/web", "7/SCTP", true),
            ("a/nolabel", "a/web", "7/TCP", false),
            ("a/client", "a/web", "7/SCTP", false),
            // nolabel has no app label: not selected, open
            ("a/client", "a/nolabel", "7/TCP", true),
        ],
    );
}

#[test]
fn workloads_are_endpoints_with_their_template_labels() {
    let y = [
        ns("a", &[]),
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: a\nspec:\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n      - name: c\n        image: x\n        ports:\n        - name: http\n          containerPort: 8080\n".to_string(),
        "---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job\n  namespace: a\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n            app: job\n        spec:\n          containers:\n          - name: c\n            image: x\n".to_string(),
        np("api", "a", "  podSelector:\n    matchLabels:\n      app: api\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: job\n    ports:\n    - port: http\n"),
    ]
    .concat();
    let n = net(&y);
    expect(
        &n,
        &[
            ("a/job", "a/api", "8080/TCP", true),
            ("a/job", "a/api", "8081/TCP", false),
            ("a/api", "a/job", "80/TCP", true),
        ],
    );
    let api = pod_index(n.endpoint("a/api").unwrap());
    let job = pod_index(n.endpoint("a/job").unwrap());
    assert_eq!(n.sources_reaching(api, None), vec![job]);
    assert!(!n.external_can_reach(api, None));
    assert!(n.external_can_reach(job, None));
}

#[test]
fn same_name_in_two_kinds_is_told_apart() {
    let y = [
        ns("a", &[]),
        pod("a", "db", &[("k", "pod")]),
        "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: a\nspec:\n  template:\n    metadata:\n      labels:\n        k: sts\n    spec:\n      containers:\n      - name: c\n        image: x\n".to_string(),
    ]
    .concat();
    let n = net(&y);
    assert!(n.endpoint("a/pod/db").is_ok());
    assert!(n.endpoint("a/statefulset/db").is_ok());
    let err = n.endpoint("a/db").unwrap_err();
    assert!(err.contains("ambiguous"), "{err}");
    assert!(n.endpoint("a/nothing").is_err());
    assert!(n.endpoint("ip:not-an-ip").is_err());
}

// ---- cluster-scoped tiers ----

fn tiers_cluster() -> String {
    [
        ns("a", &[("env", "prod")]),
        ns("b", &[("env", "dev")]),
        pod("a", "web", &[("app", "web")]),
        pod("a", "client", &[]),
        pod("b", "client", &[]),
    ]
    .concat()
}

#[test]
fn cluster_network_policy_admin_deny_beats_network_policy_allow() {
    let cnp = "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: no-dev\nspec:\n  tier: Admin\n  priority: 10\n  subject:\n    namespaces:\n      matchLabels:\n        env: prod\n  ingress:\n  - name: deny-dev\n    action: Deny\n    from:\n    - namespaces:\n        matchLabels:\n          env: dev\n";
    let allow_all = np("all", "a", "  podSelector: {}\n  ingress:\n  - {}\n");
    let n = net(&(tiers_cluster() + cnp + &allow_all));
    expect(
        &n,
        &[
            ("b/client", "a/web", "80/TCP", false),
            ("a/client", "a/web", "80/TCP", true),
        ],
    );
    let v = n.can_reach(
        &n.endpoint("b/client").unwrap(),
        &n.endpoint("a/web").unwrap(),
        80,
        Protocol::Tcp,
    );
    assert_eq!(v.ingress.reason, Reason::TierRule);
}

#[test]
fn cluster_network_policy_priority_then_rule_order_and_pass() {
    // priority 5 passes dev traffic on port 80 to the NetworkPolicy tier; priority 10 denies
    // all of dev; within priority 5, the first rule (Accept TCP 22) wins over the second
    let high = "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: high\nspec:\n  tier: Admin\n  priority: 5\n  subject:\n    namespaces: {}\n  ingress:\n  - action: Accept\n    from:\n    - namespaces:\n        matchLabels:\n          env: dev\n    protocols:\n    - tcp:\n        destinationPort:\n          number: 22\n  - action: Deny\n    from:\n    - namespaces: {}\n    protocols:\n    - tcp:\n        destinationPort:\n          number: 22\n  - action: Pass\n    from:\n    - namespaces:\n        matchLabels:\n          env: dev\n    protocols:\n    - tcp:\n        destinationPort:\n          range:\n            start: 80\n            end: 81\n";
    let low = "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: low\nspec:\n  tier: Admin\n  priority: 10\n  subject:\n    namespaces: {}\n  ingress:\n  - action: Deny\n    from:\n    - namespaces:\n        matchLabels:\n          env: dev\n";
    let n = net(&(tiers_cluster() + high + low));
    expect(
        &n,
        &[
            ("b/client", "a/web", "22/TCP", true),
            ("a/client", "a/web", "22/TCP", false),
            // passed: no NetworkPolicy selects web, so open
            ("b/client", "a/web", "80/TCP", true),
            ("b/client", "a/web", "81/TCP", true),
            ("b/client", "a/web", "82/TCP", false),
            ("a/client", "a/web", "82/TCP", true),
        ],
    );
    // with a NetworkPolicy isolating web, the passed traffic is judged by it
    let iso = np(
        "iso",
        "a",
        "  podSelector:\n    matchLabels:\n      app: web\n  ingress: []\n",
    );
    let n = net(&(tiers_cluster() + high + low + &iso));
    expect(
        &n,
        &[
            ("b/client", "a/web", "80/TCP", false),
            ("b/client", "a/web", "22/TCP", true),
        ],
    );
}

#[test]
fn baseline_tier_applies_only_where_no_network_policy_selects() {
    let baseline = "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: base\nspec:\n  tier: Baseline\n  priority: 0\n  subject:\n    namespaces: {}\n  ingress:\n  - action: Deny\n    from:\n    - namespaces: {}\n";
    let allow = np("web", "a", "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - namespaceSelector: {}\n");
    let n = net(&(tiers_cluster() + baseline + &allow));
    expect(
        &n,
        &[
            ("b/client", "a/web", "80/TCP", true),
            ("b/client", "a/client", "80/TCP", false),
            // the baseline denies pods only; external addresses are not a namespaces peer
            ("ip:192.0.2.1", "a/client", "80/TCP", true),
        ],
    );
}

#[test]
fn admin_network_policy_v1alpha1_and_baseline() {
    let anp = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: anp\nspec:\n  priority: 1\n  subject:\n    pods:\n      namespaceSelector:\n        matchLabels:\n          env: prod\n      podSelector:\n        matchLabels:\n          app: web\n  ingress:\n  - name: allow-dev-8080\n    action: Allow\n    from:\n    - pods:\n        namespaceSelector:\n          matchLabels:\n            env: dev\n        podSelector: {}\n    ports:\n    - portNumber:\n        protocol: TCP\n        port: 8080\n  egress:\n  - action: Deny\n    to:\n    - networks: [0.0.0.0/0]\n    ports:\n    - portRange:\n        protocol: TCP\n        start: 25\n        end: 26\n";
    let banp = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n  subject:\n    namespaces: {}\n  ingress:\n  - action: Deny\n    from:\n    - namespaces:\n        matchLabels:\n          env: dev\n";
    let n = net(&(tiers_cluster() + anp + banp));
    expect(
        &n,
        &[
            ("b/client", "a/web", "8080/TCP", true),
            ("b/client", "a/web", "80/TCP", false),
            ("a/client", "a/web", "80/TCP", true),
            ("a/web", "ip:192.0.2.1", "25/TCP", false),
            ("a/web", "ip:192.0.2.1", "443/TCP", true),
            // networks match pod addresses too; this pod has none
            ("a/web", "a/client", "25/TCP", true),
        ],
    );
}

// ---- Cilium ----

#[test]
fn cilium_network_policy_l3_l4_entities_and_deny() {
    let cnp = "---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: web\n  namespace: a\nspec:\n  endpointSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - fromEndpoints:\n    - {}\n    toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: TCP\n  - fromEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: b\n  - fromEntities: [world]\n    toPorts:\n    - ports:\n      - port: \"443\"\n  ingressDeny:\n  - fromCIDRSet:\n    - cidr: 198.51.100.0/24\n";
    let n = net(&(tiers_cluster() + cnp));
    expect(
        &n,
        &[
            // fromEndpoints {} in a namespaced policy: its own namespace only
            ("a/client", "a/web", "80/TCP", true),
            ("a/client", "a/web", "81/TCP", false),
            ("b/client", "a/web", "9999/UDP", true),
            ("ip:192.0.2.1", "a/web", "443/TCP", true),
            ("ip:192.0.2.1", "a/web", "443/UDP", true),
            ("ip:192.0.2.1", "a/web", "80/TCP", false),
            // deny wins over the world allow
            ("ip:198.51.100.7", "a/web", "443/TCP", false),
        ],
    );
}

#[test]
fn cilium_clusterwide_egress_and_union_with_network_policy() {
    let ccnp = "---\napiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: egress\nspec:\n  endpointSelector:\n    matchLabels:\n      k8s:io.kubernetes.pod.namespace: b\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        app: web\n    toPorts:\n    - ports:\n      - port: \"8000\"\n        endPort: 8100\n        protocol: TCP\n  - toCIDR: [192.0.2.0/24]\n";
    let np_eg = np("b-dns", "b", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - port: 53\n      protocol: UDP\n");
    let n = net(&(tiers_cluster() + ccnp + &np_eg));
    expect(
        &n,
        &[
            ("b/client", "a/web", "8050/TCP", true),
            ("b/client", "a/web", "8101/TCP", false),
            ("b/client", "ip:192.0.2.77", "443/TCP", true),
            ("b/client", "ip:203.0.113.1", "443/TCP", false),
            // the NetworkPolicy's allow adds to Cilium's
            ("b/client", "ip:203.0.113.1", "53/UDP", true),
            ("a/client", "b/client", "80/TCP", true),
        ],
    );
}

#[test]
fn malformed_fields_are_warnings_not_panics() {
    let y = [
        ns("a", &[]),
        pod("a", "web", &[("app", "web")]),
        np("bad", "a", "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Sometimes\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: not-a-cidr\n    - {}\n    ports:\n    - port: 70000\n    - protocol: ICMP\n    - port: 80\n      endPort: 10\n"),
        "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: x\nspec:\n  tier: Middle\n".to_string(),
    ]
    .concat();
    let snap = kubeward_model::load_str("bad.yaml", &y);
    let n = kubeward_netpol::Network::new(&snap);
    let w: Vec<String> = n
        .model
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.location, w.message))
        .collect();
    assert!(w.iter().any(|m| m.contains("Sometimes")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("not-a-cidr")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("ICMP")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("endPort 10")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("Middle")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("70000")), "{w:?}");
    assert!(
        w.iter()
            .any(|m| m.contains("matches nothing") && m.contains("peer")),
        "{w:?}"
    );
    assert!(w.iter().all(|m| m.starts_with("bad.yaml:")), "{w:?}");
    // the policy with the impossible selector selects nothing: web stays open
    let (a, b) = (
        n.endpoint("ip:192.0.2.1").unwrap(),
        n.endpoint("a/web").unwrap(),
    );
    assert!(n.can_reach(&a, &b, 80, Protocol::Tcp).allowed);
}

#[test]
fn cluster_network_policy_unreadable_peers_fail_closed() {
    // Accept with an unknown peer matches nothing; Pass with one becomes Deny-all
    let accept = "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata:\n  name: a\nspec:\n  tier: Admin\n  priority: 1\n  subject:\n    namespaces: {}\n  ingress:\n  - action: Accept\n    from:\n    - serviceAccounts: {}\n";
    let iso = np("iso", "a", "  podSelector: {}\n  ingress: []\n");
    let snap = kubeward_model::load_str("t.yaml", &(tiers_cluster() + accept + &iso));
    let n = kubeward_netpol::Network::new(&snap);
    assert_eq!(n.model.warnings.len(), 1, "{:?}", n.model.warnings);
    let (c, w) = (
        n.endpoint("b/client").unwrap(),
        n.endpoint("a/web").unwrap(),
    );
    assert!(!n.can_reach(&c, &w, 80, Protocol::Tcp).allowed);
    let pass = accept.replace("action: Accept", "action: Pass");
    let snap = kubeward_model::load_str("t.yaml", &(tiers_cluster() + &pass));
    let n = kubeward_netpol::Network::new(&snap);
    let (c, w) = (
        n.endpoint("b/client").unwrap(),
        n.endpoint("a/web").unwrap(),
    );
    let v = n.can_reach(&c, &w, 80, Protocol::Tcp);
    assert!(!v.allowed);
    assert_eq!(v.ingress.reason, Reason::TierRule);
}

#[test]
fn a_dump_with_controllers_and_their_pods_has_one_endpoint_per_workload() {
    let owner = |kind: &str, name: &str| {
        format!("  ownerReferences:\n  - apiVersion: apps/v1\n    kind: {kind}\n    name: {name}\n    uid: u-{name}\n    controller: true\n")
    };
    let pod_owned = |name: &str, ip: &str, rs: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: a\n  labels:\n    app: web\n{}spec:\n  containers:\n  - name: c\n    image: x\nstatus:\n  podIP: {ip}\n",
            owner("ReplicaSet", rs)
        )
    };
    let y = [
        ns("a", &[]),
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: a\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: x\n".to_string(),
        format!(
            "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-1\n  namespace: a\n{}spec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: x\n",
            owner("Deployment", "web")
        ),
        pod_owned("web-1-x", "10.0.0.5", "web-1"),
        pod_owned("web-1-y", "10.0.0.6", "web-1"),
        // its ReplicaSet is not in the input: the Pod is an endpoint of its own
        pod_owned("orphan", "10.0.0.7", "gone"),
        pod("a", "client", &[]),
    ]
    .concat();
    let n = net(&y);
    let names: Vec<&str> = n.pods().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a/web", "a/orphan", "a/client"]);
    assert_eq!(
        n.endpoint("ip:10.0.0.6").unwrap(),
        n.endpoint("a/web").unwrap()
    );
    assert_eq!(n.pods()[0].ips.len(), 2);
}

#[test]
fn host_network_pods_are_node_traffic_to_selectors() {
    let host = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  namespace: a\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x\nstatus:\n  podIP: 192.168.1.10\n".to_string();
    let y = [
        ns("a", &[]),
        host,
        pod("a", "web", &[("app", "web")]),
        np(
            "deny",
            "a",
            "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n",
        ),
    ]
    .concat();
    let n = net(&y);
    expect(
        &n,
        &[
            // not selected by the namespace's default deny
            ("ip:203.0.113.1", "a/agent", "80/TCP", true),
            // not matched by podSelector {} either: its traffic is the node's
            ("a/agent", "a/web", "80/TCP", false),
        ],
    );
    let by_ip = np(
        "node",
        "a",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 192.168.1.0/24\n",
    );
    let n = net(&(y + &by_ip));
    expect(&n, &[("a/agent", "a/web", "80/TCP", true)]);
}
