//! One test per edge family, positive and negative.

use crate::{Confidence, Graph, VertexKind};
use kubeward_model::{load_str, Index};
use kubeward_rbac::{Engine, Options};

fn graph(yaml: &str) -> Graph {
    let snap = load_str("t.yaml", yaml);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let index = Index::new(&snap);
    let rbac = Engine::new(&snap, Options::default());
    crate::analyse(&snap, &index, &rbac)
}

fn has(g: &Graph, attack: &str, from: &str, to: &str) -> bool {
    g.edges
        .iter()
        .any(|e| e.attack == attack && e.from == from && e.to == to)
}

fn edge<'g>(g: &'g Graph, attack: &str, from: &str, to: &str) -> &'g crate::Edge {
    g.edges
        .iter()
        .find(|e| e.attack == attack && e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no {attack} {from} -> {to} in {:#?}", g.edges))
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
      - name: app
        image: web:1
";

fn service(ty: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  type: {ty}\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n"
    )
}

const EP: &str = "endpoint:shop/Service/web";
const W: &str = "workload:shop/Deployment/web";
const C: &str = "container:shop/Deployment/web/app";
const SA: &str = "serviceaccount:shop/web";

#[test]
fn load_balancer_and_node_port_are_exposure_and_route_to_the_selected_workload() {
    for ty in ["LoadBalancer", "NodePort"] {
        let g = graph(&format!("{WEB}{}", service(ty)));
        let e = edge(&g, "EXPOSURE", "internet", EP);
        assert_eq!(e.evidence[0].path, "spec.type");
        assert_eq!(e.evidence[0].file, "t.yaml");
        assert!(e.evidence[0].line > 1);
        assert!(has(&g, "SERVICE_ROUTE", EP, W));
        assert!(has(&g, "ENDPOINT_EXPLOIT", W, C));
    }
}

#[test]
fn cluster_ip_is_not_exposure() {
    let g = graph(&format!("{WEB}{}", service("ClusterIP")));
    assert!(
        !g.edges.iter().any(|e| e.from == "internet"),
        "{:#?}",
        g.edges
    );
    assert!(g.paths.is_empty());
    assert!(g.vertex(EP).is_none());
}

#[test]
fn external_ips_are_exposure_and_a_selector_that_misses_routes_nowhere() {
    let yaml = format!(
        "{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  externalIPs: [1.2.3.4]\n  selector: {{app: other}}\n"
    );
    let g = graph(&yaml);
    assert_eq!(
        edge(&g, "EXPOSURE", "internet", EP).evidence[0].path,
        "spec.externalIPs"
    );
    assert!(!g.edges.iter().any(|e| e.attack == "SERVICE_ROUTE"));
}

#[test]
fn ingress_routes_through_its_backend_service() {
    let ing = "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        backend: {service: {name: web, port: {number: 80}}}\n";
    let g = graph(&format!("{WEB}{}{ing}", service("ClusterIP")));
    let ep = "endpoint:shop/Ingress/web";
    assert!(has(&g, "EXPOSURE", "internet", ep));
    let r = edge(&g, "SERVICE_ROUTE", ep, W);
    assert_eq!(r.evidence[0].path, "spec.rules[0].http.paths[0].backend");
    assert_eq!(r.evidence[1].object, "Service/shop/web");
    // an Ingress to a Service that is not there routes nowhere
    let g = graph(&format!("{WEB}{ing}"));
    assert!(has(&g, "EXPOSURE", "internet", ep));
    assert!(!has(&g, "SERVICE_ROUTE", ep, W));
}

#[test]
fn host_port_and_host_network_are_exposure() {
    let hp = WEB.replace(
        "image: web:1",
        "image: web:1\n        ports: [{containerPort: 80, hostPort: 8080}]",
    );
    let g = graph(&hp);
    let ep = "endpoint:shop/Deployment/web/hostPort/8080";
    let e = edge(&g, "EXPOSURE", "internet", ep);
    assert_eq!(e.confidence, Confidence::Medium);
    assert!(e.evidence[0].path.ends_with("ports[0].hostPort"));
    assert!(has(&g, "SERVICE_ROUTE", ep, W));
    let hn = WEB.replace(
        "serviceAccountName: web",
        "serviceAccountName: web\n      hostNetwork: true",
    );
    let g = graph(&hn);
    assert!(has(
        &g,
        "EXPOSURE",
        "internet",
        "endpoint:shop/Deployment/web/hostNetwork"
    ));
    let g = graph(WEB);
    assert!(!g.edges.iter().any(|e| e.from == "internet"));
}

#[test]
fn token_steal_needs_an_automounted_token() {
    let g = graph(WEB);
    let e = edge(&g, "TOKEN_STEAL", C, SA);
    assert!(e.fix.contains("automountServiceAccountToken"));
    assert!(has(&g, "TOKEN_STEAL", "node:any", SA));
    // the pod spec turns it off
    let off = WEB.replace(
        "serviceAccountName: web",
        "serviceAccountName: web\n      automountServiceAccountToken: false",
    );
    assert!(!has(&graph(&off), "TOKEN_STEAL", C, SA));
    // the ServiceAccount turns it off
    let sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\nautomountServiceAccountToken: false\n";
    assert!(!has(&graph(&format!("{WEB}{sa}")), "TOKEN_STEAL", C, SA));
    // the pod spec wins over the ServiceAccount
    let on = WEB.replace(
        "serviceAccountName: web",
        "serviceAccountName: web\n      automountServiceAccountToken: true",
    );
    let g = graph(&format!("{on}{sa}"));
    assert!(edge(&g, "TOKEN_STEAL", C, SA).evidence[0].object == "Deployment/shop/web");
}

fn role(rules: &str) -> String {
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: shop}}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: shop}}\nsubjects: [{{kind: ServiceAccount, name: web}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}\n"
    )
}

#[test]
fn create_pods_gives_the_node_and_every_account_of_the_namespace() {
    let other = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ci, namespace: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: elsewhere}\n";
    let g = graph(&format!(
        "{WEB}{other}{}",
        role("- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n")
    ));
    let gr = "grant:shop/create-pods";
    let e = edge(&g, "PERMISSION_DISCOVER", SA, gr);
    assert_eq!(e.evidence[0].object, "RoleBinding/shop/b");
    assert_eq!(e.evidence[0].path, "subjects[0]");
    assert_eq!(e.evidence[1].path, "rules[0]");
    assert!(has(&g, "POD_CREATE", gr, "node:any"));
    assert!(has(&g, "IDENTITY_ASSUME", gr, "serviceaccount:shop/ci"));
    assert!(!has(
        &g,
        "IDENTITY_ASSUME",
        gr,
        "serviceaccount:elsewhere/x"
    ));
    // the rights are in namespace shop only
    assert!(g.vertex("grant:create-pods").is_none());
    // get is not create
    let g = graph(&format!(
        "{WEB}{}",
        role("- {apiGroups: [\"\"], resources: [pods], verbs: [get, list]}\n")
    ));
    assert!(!g.edges.iter().any(|e| e.attack == "POD_CREATE"));
}

#[test]
fn pod_security_enforcement_is_a_condition_not_a_dropped_edge() {
    let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n";
    let rbac = role("- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n");
    let g = graph(&format!("{WEB}{ns}{rbac}"));
    let e = edge(&g, "POD_CREATE", "grant:shop/create-pods", "node:any");
    assert_eq!(e.confidence, Confidence::Low);
    assert!(e.conditions[0].contains("baseline"));
    let g = graph(&format!("{WEB}{rbac}"));
    let e = edge(&g, "POD_CREATE", "grant:shop/create-pods", "node:any");
    assert_eq!(e.confidence, Confidence::High);
}

#[test]
fn exec_and_secrets_and_tokens() {
    let db = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop}\nspec:\n  containers: [{name: pg, image: pg}]\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: pw, namespace: shop}\n";
    let g = graph(&format!(
        "{WEB}{db}{}",
        role("- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n- {apiGroups: [\"\"], resources: [secrets], verbs: [get]}\n- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create]}\n")
    ));
    assert!(has(
        &g,
        "POD_EXEC",
        "grant:shop/exec-pods",
        "container:shop/Pod/db/pg"
    ));
    assert!(has(
        &g,
        "SECRET_READ",
        "grant:shop/read-secrets",
        "secret:shop/pw"
    ));
    assert!(has(
        &g,
        "TOKEN_REQUEST",
        "grant:shop/request-tokens",
        "serviceaccount:shop/default"
    ));
    let g = graph(&format!("{WEB}{db}"));
    let bad: Vec<_> = g
        .edges
        .iter()
        .filter(|e| e.from.starts_with("serviceaccount"))
        .collect();
    assert!(
        !g.edges
            .iter()
            .any(|e| matches!(e.attack, "POD_EXEC" | "SECRET_READ" | "TOKEN_REQUEST")),
        "{bad:#?}"
    );
}

#[test]
fn cluster_admin_is_decided_by_effective_rules_not_names() {
    let crb = |role: &str| {
        format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nsubjects: [{{kind: ServiceAccount, name: web, namespace: shop}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n")
    };
    let god = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: innocent}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n";
    let g = graph(&format!("{WEB}{god}{}", crb("innocent")));
    assert!(has(&g, "PERMISSION_DISCOVER", SA, "cluster-admin"));
    let fake = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cluster-admin-ish}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n";
    let g = graph(&format!("{WEB}{fake}{}", crb("cluster-admin-ish")));
    assert!(!g.edges.iter().any(|e| e.to == "cluster-admin"));
    // the built-in cluster-admin through a RoleBinding is not cluster-admin
    let rb = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nsubjects: [{kind: ServiceAccount, name: web}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n";
    let g = graph(&format!("{WEB}{rb}"));
    assert!(!g.edges.iter().any(|e| e.to == "cluster-admin"));
    assert!(has(&g, "PERMISSION_DISCOVER", SA, "grant:shop/create-pods"));
}

#[test]
fn bind_capability_is_role_bind() {
    let rules = "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}\n";
    let cr = format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: binder}}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nsubjects: [{{kind: ServiceAccount, name: web, namespace: shop}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}}\n"
    );
    let g = graph(&format!("{WEB}{cr}"));
    assert!(has(&g, "ROLE_BIND", SA, "cluster-admin"), "{:#?}", g.edges);
    // create without bind is nothing
    let g = graph(&format!(
        "{WEB}{}",
        cr.replace("verbs: [bind]", "verbs: [get]")
    ));
    assert!(!g.edges.iter().any(|e| e.to == "cluster-admin"));
}

fn escape(spec: &str, sc: &str) -> Graph {
    graph(
        &WEB.replace(
            "serviceAccountName: web",
            &format!("serviceAccountName: web\n{spec}"),
        )
        .replace(
            "image: web:1",
            &format!("image: web:1\n        securityContext: {sc}"),
        ),
    )
}

#[test]
fn container_escapes() {
    let n = "node:any";
    let g = escape("", "{privileged: true}");
    assert!(has(&g, "CE_PRIV_MOUNT", C, n));
    assert!(!has(&g, "CE_NSENTER", C, n));
    let g = escape("      hostPID: true", "{privileged: true}");
    assert!(has(&g, "CE_NSENTER", C, n));
    let g = escape("", "{capabilities: {add: [SYS_MODULE]}}");
    assert!(has(&g, "CE_MODULE_LOAD", C, n));
    let g = escape("", "{capabilities: {add: [SYS_PTRACE]}}");
    assert!(!has(&g, "CE_SYS_PTRACE", C, n));
    let g = escape(
        "      hostPID: true",
        "{capabilities: {add: [CAP_SYS_PTRACE]}}",
    );
    let e = edge(&g, "CE_SYS_PTRACE", C, n);
    assert!(e.evidence[0].path.ends_with("capabilities.add[0]"));
    let g = escape("", "{privileged: false, capabilities: {add: [NET_ADMIN]}}");
    assert!(
        !g.edges.iter().any(|e| e.to == n && e.from == C),
        "{:#?}",
        g.edges
    );
}

fn host_path(host: &str, mount: &str, read_only: bool) -> Graph {
    graph(&WEB.replace(
        "image: web:1",
        &format!(
            "image: web:1\n        volumeMounts: [{{name: h, mountPath: {mount}, readOnly: {read_only}}}]\n      volumes: [{{name: h, hostPath: {{path: {host}}}}}]"
        ),
    ))
}

#[test]
fn host_paths_parents_cover_children_and_sockets_match_by_source() {
    let n = "node:any";
    let g = host_path("/", "/host", false);
    assert!(has(&g, "EXPLOIT_HOST_WRITE", C, n));
    assert!(has(&g, "CE_RUNTIME_SOCKET", C, n));
    let g = host_path("/var/lib/kubelet/pods", "/x", true);
    assert!(has(&g, "EXPLOIT_HOST_READ", C, n));
    assert!(!has(&g, "EXPLOIT_HOST_WRITE", C, n));
    // a socket under an innocent mount path is found by its source
    let g = host_path("/run/containerd/containerd.sock", "/tmp/x", true);
    assert!(has(&g, "CE_RUNTIME_SOCKET", C, n));
    // an innocent source under a socket-looking mount path is not
    let g = host_path("/data/cache", "/var/run/docker.sock", false);
    assert!(
        !g.edges.iter().any(|e| e.to == n && e.from == C),
        "{:#?}",
        g.edges
    );
    assert!(crate::build::host_path_is_sensitive("/etc/kubernetes"));
    assert!(!crate::build::host_path_is_sensitive("/data"));
    assert!(!crate::build::host_path_has_socket("/var/lib"));
}

#[test]
fn paths_and_choke_points() {
    let yaml = format!(
        "{}{}",
        WEB.replace(
            "image: web:1",
            "image: web:1\n        securityContext: {privileged: true}"
        ),
        service("LoadBalancer")
    );
    let g = graph(&yaml);
    let p = g.paths.iter().find(|p| p.to == "node:any").expect("a path");
    let hops: Vec<&str> = p.edges.iter().map(|&i| g.edges[i].attack).collect();
    assert_eq!(
        hops,
        [
            "EXPOSURE",
            "SERVICE_ROUTE",
            "ENDPOINT_EXPLOIT",
            "CE_PRIV_MOUNT"
        ]
    );
    assert_eq!(
        p.weight,
        p.edges.iter().map(|&i| g.edges[i].weight).sum::<u32>()
    );
    assert_eq!(g.vertex(&p.to).unwrap().kind, VertexKind::Node);
    let c = &g.choke_points[0];
    assert_eq!(c.paths_cut, 1);
    assert!(!c.fix.is_empty());
    // JSON contract
    let v = serde_json::to_value(&g).unwrap();
    for k in ["vertices", "edges", "paths", "choke_points"] {
        assert!(v[k].is_array(), "{k}");
    }
    assert_eq!(v["vertices"][0]["kind"], "cluster-admin");
    assert!(v["edges"][0]["evidence"].is_array());
    assert!(v["paths"][0]["edges"][0].is_u64());
    assert!(v["choke_points"][0]["paths_cut"].is_u64());
    // deterministic
    assert_eq!(
        serde_json::to_string(&graph(&yaml)).unwrap(),
        serde_json::to_string(&g).unwrap()
    );
}

#[test]
fn choke_points_are_recomputed_after_each_fix() {
    // privileged and a runtime socket: removing privileged alone leaves the socket's way
    let yaml = format!(
        "{}{}",
        WEB.replace(
            "image: web:1",
            "image: web:1\n        securityContext: {privileged: true}\n        volumeMounts: [{name: s, mountPath: /s}]\n      volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]"
        ),
        service("LoadBalancer")
    );
    let g = graph(&yaml);
    assert_eq!(g.paths.len(), 1);
    let c = &g.choke_points[0];
    // the Service type closes the way; privileged would leave the socket open
    assert_eq!(
        (c.object.as_str(), c.path.as_str()),
        ("Service/shop/web", "spec.type")
    );
    assert_eq!((c.paths_cut, c.paths_left), (1, 0));
    assert_eq!(g.choke_points.len(), 1);
    // without an exposure there is nothing to cut
    let g = graph(&yaml.replace("LoadBalancer", "ClusterIP"));
    assert!(g.paths.is_empty() && g.choke_points.is_empty());
}

#[test]
fn cron_job_templates_two_levels_down_escape() {
    let cj = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: ops}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: job\n            image: j\n            securityContext: {privileged: true}\n";
    let g = graph(cj);
    let e = edge(
        &g,
        "CE_PRIV_MOUNT",
        "container:ops/CronJob/nightly/job",
        "node:any",
    );
    assert_eq!(
        e.evidence[0].path,
        "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(e.evidence[0].line, 13);
}

#[test]
fn aggregated_cluster_role_through_a_role_binding_is_scoped() {
    let yaml = format!(
        "{WEB}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: agg}}\naggregationRule:\n  clusterRoleSelectors: [{{matchLabels: {{x: 'true'}}}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: part, labels: {{x: 'true'}}}}\nrules: [{{apiGroups: [''], resources: [pods], verbs: [create]}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: other}}\nsubjects: [{{kind: ServiceAccount, name: web, namespace: shop}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}}\n"
    );
    let g = graph(&yaml);
    let e = edge(&g, "PERMISSION_DISCOVER", SA, "grant:other/create-pods");
    // the rule is written in the aggregated part
    assert_eq!(e.evidence[1].object, "ClusterRole/part");
    assert!(g.vertex("grant:shop/create-pods").is_none());
    assert!(g.vertex("grant:create-pods").is_none());
}

#[test]
fn a_group_binding_of_the_input_covers_the_accounts() {
    let yaml = format!(
        "{WEB}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: all}}\nsubjects: [{{kind: Group, name: 'system:serviceaccounts:shop'}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\n"
    );
    let g = graph(&yaml);
    // the default `edit` role creates pods and execs into them, cluster-wide here
    assert!(has(&g, "PERMISSION_DISCOVER", SA, "grant:create-pods"));
    assert!(has(&g, "PERMISSION_DISCOVER", SA, "grant:exec-pods"));
    // a default binding's fix is not ours to make, this one is
    assert!(!edge(&g, "PERMISSION_DISCOVER", SA, "grant:create-pods")
        .fix
        .is_empty());
}

fn query(yaml: &str, q: &crate::Query) -> Result<Graph, String> {
    let snap = load_str("t.yaml", yaml);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let index = Index::new(&snap);
    let rbac = Engine::new(&snap, Options::default());
    crate::build_with(&snap, &index, &rbac, &q.assume).analyse_query(q)
}

#[test]
fn capability_escapes_beyond_privileged() {
    let n = "node:any";
    let g = escape("", "{capabilities: {add: [DAC_READ_SEARCH]}}");
    let e = edge(&g, "CE_DAC_READ_SEARCH", C, n);
    assert!(e.fix.contains("DAC_READ_SEARCH"));
    // seccomp RuntimeDefault makes SYS_ADMIN and DAC_READ_SEARCH escapes unlikely: a
    // condition and a weight, not a dropped edge
    let open = escape("", "{capabilities: {add: [SYS_ADMIN]}}");
    let confined = escape(
        "",
        "{seccompProfile: {type: RuntimeDefault}, capabilities: {add: [SYS_ADMIN]}}",
    );
    let (a, b) = (
        edge(&open, "CE_SYS_ADMIN", C, n),
        edge(&confined, "CE_SYS_ADMIN", C, n),
    );
    assert!(b.weight > a.weight);
    assert_eq!(b.confidence, Confidence::Low);
    assert!(b.conditions[0].contains("RuntimeDefault"));
    // the pod-level profile counts too
    let pod_level = escape(
        "      securityContext: {seccompProfile: {type: RuntimeDefault}}",
        "{capabilities: {add: [SYS_ADMIN]}}",
    );
    assert_eq!(
        edge(&pod_level, "CE_SYS_ADMIN", C, n).confidence,
        Confidence::Low
    );
    let assumed = query(
        &WEB.replace(
            "image: web:1",
            "image: web:1\n        securityContext: {seccompProfile: {type: RuntimeDefault}, capabilities: {add: [SYS_ADMIN]}}",
        ),
        &crate::Query {
            assume: crate::Assume {
                no_lsm: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(edge(&assumed, "CE_SYS_ADMIN", C, n).weight, a.weight);
    // other capabilities are no escape
    let g = escape("", "{capabilities: {add: [NET_BIND_SERVICE, CHOWN]}}");
    assert!(!g.edges.iter().any(|e| e.from == C && e.to == n));
}

#[test]
fn core_pattern_and_var_log_host_paths() {
    let n = "node:any";
    let g = host_path("/proc", "/host/proc", false);
    assert!(has(&g, "CE_UMH_CORE_PATTERN", C, n));
    let g = host_path("/proc/sys/kernel", "/x", false);
    assert!(has(&g, "CE_UMH_CORE_PATTERN", C, n));
    // read-only, or a sibling folder: no core_pattern write
    assert!(!has(
        &host_path("/proc", "/x", true),
        "CE_UMH_CORE_PATTERN",
        C,
        n
    ));
    assert!(!has(
        &host_path("/proc/sys/net", "/x", false),
        "CE_UMH_CORE_PATTERN",
        C,
        n
    ));
    let g = host_path("/var/log", "/logs", false);
    let e = edge(&g, "CE_VAR_LOG_SYMLINK", C, n);
    assert_eq!(e.confidence, Confidence::Medium);
    assert!(!e.conditions.is_empty());
    assert!(has(
        &host_path("/var/log/pods", "/x", false),
        "CE_VAR_LOG_SYMLINK",
        C,
        n
    ));
    assert!(!has(
        &host_path("/var/log", "/x", true),
        "CE_VAR_LOG_SYMLINK",
        C,
        n
    ));
    assert!(!has(
        &host_path("/var/lib/app", "/x", false),
        "CE_VAR_LOG_SYMLINK",
        C,
        n
    ));
}

#[test]
fn shared_process_namespace_links_the_containers_of_a_pod() {
    let two = WEB.replace(
        "      - name: app\n        image: web:1\n",
        "      - name: app\n        image: web:1\n      - name: side\n        image: side:1\n",
    );
    let shared = two.replace(
        "serviceAccountName: web",
        "serviceAccountName: web\n      shareProcessNamespace: true",
    );
    let g = graph(&shared);
    let side = "container:shop/Deployment/web/side";
    let e = edge(&g, "SHARE_PS_NAMESPACE", C, side);
    assert!(e.evidence[0].path.ends_with("shareProcessNamespace"));
    assert!(has(&g, "SHARE_PS_NAMESPACE", side, C));
    let g = graph(&two);
    assert!(!g.edges.iter().any(|e| e.attack == "SHARE_PS_NAMESPACE"));
}

#[test]
fn pod_patch_attach_and_ephemeral_containers() {
    let g = graph(&format!(
        "{WEB}{}",
        role("- {apiGroups: [\"\"], resources: [pods], verbs: [patch]}\n- {apiGroups: [\"\"], resources: [pods/attach], verbs: [create]}\n- {apiGroups: [\"\"], resources: [pods/ephemeralcontainers], verbs: [update]}\n")
    ));
    assert!(has(&g, "POD_PATCH", "grant:shop/patch-pods", C));
    assert!(has(&g, "POD_ATTACH", "grant:shop/attach-pods", C));
    assert!(has(
        &g,
        "POD_EPHEMERAL",
        "grant:shop/ephemeral-containers",
        C
    ));
    assert!(has(
        &g,
        "POD_EPHEMERAL",
        "grant:shop/ephemeral-containers",
        "node:any"
    ));
    // patching a pod is not creating one: no node edge, no other identity
    assert!(!has(&g, "POD_PATCH", "grant:shop/patch-pods", "node:any"));
    // patching a controller's template is
    let g = graph(&format!(
        "{WEB}{}",
        role("- {apiGroups: [apps], resources: [deployments], verbs: [patch]}\n")
    ));
    let gr = "grant:shop/patch-controllers";
    assert!(has(&g, "PERMISSION_DISCOVER", SA, gr));
    assert!(has(&g, "POD_PATCH", gr, "node:any"));
    assert!(has(&g, "IDENTITY_ASSUME", gr, SA));
    // get/list is none of these (`get pods/attach` is: WebSocket attach asks get)
    let g = graph(&format!(
        "{WEB}{}",
        role("- {apiGroups: [\"\", apps], resources: [pods, deployments, pods/ephemeralcontainers], verbs: [get, list]}\n")
    ));
    assert!(!g
        .edges
        .iter()
        .any(|e| matches!(e.attack, "POD_PATCH" | "POD_ATTACH" | "POD_EPHEMERAL")));
}

fn cluster_role(rules: &str) -> String {
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cr}}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb}}\nsubjects: [{{kind: ServiceAccount, name: web, namespace: shop}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}}\n"
    )
}

#[test]
fn cluster_rights_impersonate_csr_webhooks_and_volumes() {
    let cases = [
        ("- {apiGroups: [\"\"], resources: [groups], verbs: [impersonate]}\n", "IDENTITY_IMPERSONATE", "grant:impersonate", "cluster-admin"),
        ("- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n", "CSR_APPROVE", "grant:approve-csr", "cluster-admin"),
        ("- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create]}\n", "WEBHOOK_CONTROL", "grant:control-webhooks", "node:any"),
        ("- {apiGroups: [\"\"], resources: [persistentvolumes], verbs: [create]}\n", "PV_HOSTPATH", "grant:create-persistentvolumes", "node:any"),
    ];
    for (rules, attack, grant, to) in cases {
        let g = graph(&format!("{WEB}{}", cluster_role(rules)));
        assert!(has(&g, "PERMISSION_DISCOVER", SA, grant), "{attack}");
        assert!(has(&g, attack, grant, to), "{attack}: {:#?}", g.edges);
        // the same rules through a RoleBinding: cluster-scoped resources, no effect
        let rb = cluster_role(rules).replace(
            "kind: ClusterRoleBinding\nmetadata: {name: crb}",
            "kind: RoleBinding\nmetadata: {name: crb, namespace: shop}",
        );
        let g = graph(&format!("{WEB}{rb}"));
        assert!(
            !g.edges.iter().any(|e| e.attack == attack),
            "{attack} through a RoleBinding"
        );
    }
    // impersonating service accounts of a namespace is having their rights
    let g = graph(&format!(
        "{WEB}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: ci, namespace: shop}}\n{}",
        role("- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}\n")
    ));
    assert!(has(
        &g,
        "IDENTITY_IMPERSONATE",
        "grant:shop/impersonate-serviceaccounts",
        "serviceaccount:shop/ci"
    ));
}

#[test]
fn legacy_token_secrets_are_token_list() {
    let secrets = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ci-token\n  namespace: shop\n  annotations: {kubernetes.io/service-account.name: ci}\ntype: kubernetes.io/service-account-token\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: plain, namespace: shop}\ntype: Opaque\n";
    let g = graph(&format!(
        "{WEB}{secrets}{}",
        role("- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n")
    ));
    assert!(has(
        &g,
        "SECRET_READ",
        "grant:shop/read-secrets",
        "secret:shop/ci-token"
    ));
    assert!(has(
        &g,
        "TOKEN_LIST",
        "secret:shop/ci-token",
        "serviceaccount:shop/ci"
    ));
    assert!(!g.edges.iter().any(|e| e.from == "secret:shop/plain"));
}

#[test]
fn relabelling_namespaces_lifts_pod_security() {
    let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";
    let both = format!(
        "{WEB}{ns}{}{}",
        role("- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n"),
        cluster_role("- {apiGroups: [\"\"], resources: [namespaces], verbs: [patch]}\n")
    );
    let g = graph(&both);
    let e = edge(&g, "NS_RELABEL", SA, "node:any");
    assert_eq!(e.evidence[0].object, "ClusterRoleBinding/crb");
    assert!(!e.fix.is_empty());
    // relabelling without creating pods, or creating pods where nothing is enforced: no edge
    let g = graph(&format!(
        "{WEB}{ns}{}",
        cluster_role("- {apiGroups: [\"\"], resources: [namespaces], verbs: [patch]}\n")
    ));
    assert!(!g.edges.iter().any(|e| e.attack == "NS_RELABEL"));
    let g = graph(&format!(
        "{WEB}{}{}",
        role("- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n"),
        cluster_role("- {apiGroups: [\"\"], resources: [namespaces], verbs: [patch]}\n")
    ));
    assert!(!g.edges.iter().any(|e| e.attack == "NS_RELABEL"));
}

#[test]
fn namespace_admin_is_a_vertex_and_a_sink_on_request() {
    let rb = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nsubjects: [{kind: ServiceAccount, name: web}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n";
    let lb = service("LoadBalancer");
    let yaml = format!("{WEB}{lb}{rb}");
    let g = graph(&yaml);
    // the built-in admin role bound in a namespace: every right there, but not all of them
    // (admin lacks some), so judged by effective rules
    let god = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: god, namespace: shop}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: g, namespace: shop}\nsubjects: [{kind: ServiceAccount, name: web}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: god}\n";
    let g2 = graph(&format!("{WEB}{lb}{god}"));
    assert!(has(&g2, "PERMISSION_DISCOVER", SA, "namespace-admin:shop"));
    assert!(g2
        .vertex("namespace-admin:shop")
        .is_some_and(|v| v.kind == VertexKind::NamespaceAdmin));
    assert!(g.vertex("namespace-admin:shop").is_none());
    // not a default sink; `--to namespace-admin` makes it one
    assert!(!g2.paths.iter().any(|p| p.to == "namespace-admin:shop"));
    let q = crate::Query {
        to: Some("namespace-admin".into()),
        ..Default::default()
    };
    let g3 = query(&format!("{WEB}{lb}{god}"), &q).unwrap();
    assert_eq!(g3.paths.len(), 1, "{:#?}", g3.paths);
    assert_eq!(g3.paths[0].to, "namespace-admin:shop");
}

#[test]
fn from_and_to_narrow_the_paths() {
    let priv_web = WEB.replace(
        "image: web:1",
        "image: web:1\n        securityContext: {privileged: true}",
    );
    let yaml = format!("{priv_web}{}", service("ClusterIP"));
    // not exposed: no path from the internet
    let g = graph(&yaml);
    assert!(g.paths.is_empty());
    // assume the workload is breached: a path to the node
    let q = crate::Query {
        from: Some("shop/Deployment/web".into()),
        ..Default::default()
    };
    let g = query(&yaml, &q).unwrap();
    assert_eq!(g.paths.len(), 1, "{:#?}", g.paths);
    assert_eq!(g.paths[0].from, W);
    assert_eq!(g.paths[0].entry, None);
    assert_eq!(g.paths[0].to, "node:any");
    assert_eq!(g.choke_points.len(), 1);
    assert!(g.choke_points[0]
        .path
        .ends_with("securityContext.privileged"));
    // unknown and ambiguous names are errors that say why
    let q = crate::Query {
        from: Some("nothing/here".into()),
        ..Default::default()
    };
    assert!(query(&yaml, &q).unwrap_err().contains("no vertex"));
    let q = crate::Query {
        from: Some("web".into()),
        ..Default::default()
    };
    let err = query(&yaml, &q).unwrap_err();
    assert!(err.contains("vertices match"), "{err}");
    // --to a sink the paths do not reach
    let q = crate::Query {
        from: Some(W.into()),
        to: Some("cluster-admin".into()),
        ..Default::default()
    };
    assert!(query(&yaml, &q).unwrap().paths.is_empty());
}

#[test]
fn assumptions_lift_penalties_without_changing_edges() {
    let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n";
    let rbac = role("- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n");
    let yaml = format!("{WEB}{ns}{rbac}");
    let plain = graph(&yaml);
    let q = crate::Query {
        assume: crate::Assume {
            psa_bypassed: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let bypassed = query(&yaml, &q).unwrap();
    let a = edge(&plain, "POD_CREATE", "grant:shop/create-pods", "node:any");
    let b = edge(
        &bypassed,
        "POD_CREATE",
        "grant:shop/create-pods",
        "node:any",
    );
    assert!(b.weight < a.weight);
    assert!(b.conditions[0].contains("assumed"));
    assert_eq!(plain.edges.len(), bypassed.edges.len());
    // tokens: automount off is an edge only when assumed mounted
    let off = WEB.replace(
        "serviceAccountName: web",
        "serviceAccountName: web\n      automountServiceAccountToken: false",
    );
    assert!(!has(&graph(&off), "TOKEN_STEAL", C, SA));
    let q = crate::Query {
        assume: crate::Assume {
            tokens_mounted: true,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(has(&query(&off, &q).unwrap(), "TOKEN_STEAL", C, SA));
}

#[test]
fn gateway_routes_are_exposure_through_their_backend_services() {
    let gw = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: infra}\nspec:\n  gatewayClassName: x\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n";
    let route = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\nspec:\n  parentRefs: [{name: public, namespace: infra}]\n  rules:\n  - backendRefs: [{name: web, port: 80}]\n";
    let g = graph(&format!("{WEB}{}{gw}{route}", service("ClusterIP")));
    let ep = "endpoint:shop/HTTPRoute/web";
    let e = edge(&g, "EXPOSURE", "internet", ep);
    assert_eq!(e.confidence, Confidence::High);
    assert_eq!(e.evidence[0].path, "spec.parentRefs[0]");
    let r = edge(&g, "SERVICE_ROUTE", ep, W);
    assert_eq!(r.evidence[0].path, "spec.rules[0].backendRefs[0]");
    // the Gateway is not in the input: still exposure, less sure
    let g = graph(&format!("{WEB}{}{route}", service("ClusterIP")));
    assert_eq!(
        edge(&g, "EXPOSURE", "internet", ep).confidence,
        Confidence::Medium
    );
    // a route attached to something else than a Gateway, or to no parent, is not exposure
    let mesh = route.replace(
        "parentRefs: [{name: public, namespace: infra}]",
        "parentRefs: [{group: '', kind: Service, name: web}]",
    );
    let g = graph(&format!("{WEB}{}{mesh}", service("ClusterIP")));
    assert!(!g.edges.iter().any(|e| e.from == "internet"));
}

/// A privileged workload behind a ClusterIP Service, worth reaching from a foothold.
const AGENT: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent, namespace: ops}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers:\n      - name: a\n        image: agent:1\n        ports: [{containerPort: 9000}]\n        securityContext: {privileged: true}\n";

#[test]
fn lateral_movement_follows_network_policies() {
    let agent = "workload:ops/Deployment/agent";
    // no policy: every pod reaches the agent through the pod network
    let yaml = format!("{WEB}{}{AGENT}", service("LoadBalancer"));
    let g = net_graph(&yaml);
    assert!(has(&g, "NETWORK_REACH", C, "network:pods"));
    let e = edge(&g, "NETWORK_REACH", "network:pods", agent);
    assert_eq!(e.evidence[0].path, "spec.template.metadata.labels");
    assert!(e.fix.contains("NetworkPolicy"));
    // the exposed web reaches the node through the agent
    let p = g
        .paths
        .iter()
        .find(|p| p.entry.as_deref() == Some(EP) && p.to == "node:any")
        .expect("a lateral path");
    let hops: Vec<&str> = p.edges.iter().map(|&i| g.edges[i].attack).collect();
    assert!(hops.contains(&"NETWORK_REACH"), "{hops:?}");
    // a default-deny ingress policy in ops closes it
    let deny = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ops}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    let g = net_graph(&format!("{yaml}{deny}"));
    assert!(!g
        .edges
        .iter()
        .any(|e| e.to == agent && e.attack == "NETWORK_REACH"));
    assert!(!g.paths.iter().any(|p| p.to == "node:any"));
    // a policy admitting some pods only: not reachable by every pod, no edge from the network
    // (sources one by one are not modelled)
    let allow = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-web, namespace: ops}\nspec:\n  podSelector: {matchLabels: {app: agent}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}\n      podSelector: {matchLabels: {app: web}}\n";
    let g = net_graph(&format!("{yaml}{allow}"));
    assert!(!has(&g, "NETWORK_REACH", "network:pods", agent));
    // workloads with nothing to gain are no targets
    let plain = AGENT.replace("securityContext: {privileged: true}", "securityContext: {}");
    let g = net_graph(&format!("{WEB}{}{plain}", service("LoadBalancer")));
    assert!(!g.edges.iter().any(|e| e.attack == "NETWORK_REACH"));
}

#[test]
fn exposure_closed_by_policies_is_a_condition() {
    let priv_web = WEB.replace(
        "image: web:1",
        "image: web:1\n        securityContext: {privileged: true}",
    );
    let yaml = format!("{priv_web}{}", service("LoadBalancer"));
    let open = net_graph(&yaml);
    let a = edge(&open, "SERVICE_ROUTE", EP, W).clone();
    // only pods of the cluster may reach web: no outside address
    let pods_only = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: internal, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{podSelector: {}}]\n";
    let closed = net_graph(&format!("{yaml}{pods_only}"));
    let b = edge(&closed, "SERVICE_ROUTE", EP, W);
    assert!(b.weight > a.weight);
    assert_eq!(b.confidence, Confidence::Low);
    assert!(b.conditions.iter().any(|c| c.contains("NetworkPolicies")));
    // an ipBlock admitting the world keeps it open
    let world = pods_only.replace(
        "from: [{podSelector: {}}]",
        "from: [{ipBlock: {cidr: 0.0.0.0/0}}]",
    );
    let g = net_graph(&format!("{yaml}{world}"));
    assert_eq!(edge(&g, "SERVICE_ROUTE", EP, W).weight, a.weight);
}

fn net_graph(yaml: &str) -> Graph {
    let q = crate::Query {
        assume: crate::Assume {
            network: true,
            ..Default::default()
        },
        ..Default::default()
    };
    query(yaml, &q).unwrap()
}

#[test]
fn network_edges_only_on_request() {
    let yaml = format!("{WEB}{}{AGENT}", service("LoadBalancer"));
    assert!(!graph(&yaml)
        .edges
        .iter()
        .any(|e| e.attack == "NETWORK_REACH"));
    assert!(net_graph(&yaml)
        .edges
        .iter()
        .any(|e| e.attack == "NETWORK_REACH"));
}

#[test]
fn opened_since_keeps_only_the_paths_the_base_lacks() {
    let priv_web = WEB.replace(
        "image: web:1",
        "image: web:1\n        securityContext: {privileged: true}",
    );
    let head = graph(&format!("{priv_web}{}", service("LoadBalancer")));
    let base = graph(&format!("{WEB}{}", service("LoadBalancer")));
    let q = crate::Query::default();
    let opened = head.clone().opened_since(&base, &q).unwrap();
    assert_eq!(opened.paths.len(), 1);
    assert_eq!(opened.paths[0].to, "node:any");
    assert!(!opened.choke_points.is_empty());
    let same = head.clone().opened_since(&head, &q).unwrap();
    assert!(same.paths.is_empty() && same.choke_points.is_empty());
}
