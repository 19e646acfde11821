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
