//! The engine's semantics, positive and negative, on small manifests.

use kubeward_model::load_str;
use kubeward_rbac::{Capability, Engine, Options, Request, Subject};

fn engine(yaml: &str) -> Engine {
    let snap = load_str("test.yaml", yaml);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    Engine::new(&snap, Options::default())
}

fn bare(yaml: &str) -> Engine {
    let snap = load_str("test.yaml", yaml);
    Engine::new(&snap, Options { defaults: false })
}

fn can(e: &Engine, who: &str, verb: &str, res: &str, ns: Option<&str>) -> bool {
    let who = Subject::parse(who).unwrap();
    e.can(&who, &Request::parse(verb, res, ns).unwrap()).allowed
}

const SA_READER: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
- apiGroups: [""]
  resources: [nodes]
  verbs: [get]
- nonResourceURLs: ["/metrics"]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: web}
"#;

#[test]
fn cluster_role_through_role_binding_grants_only_in_its_namespace() {
    let e = engine(SA_READER);
    let sa = "system:serviceaccount:shop:web";
    assert!(can(&e, sa, "get", "secrets", Some("shop")));
    assert!(can(&e, sa, "list", "secrets", Some("shop")));
    assert!(!can(&e, sa, "get", "secrets", Some("other")));
    assert!(!can(&e, sa, "get", "secrets", None), "not cluster-wide");
    assert!(!can(&e, sa, "watch", "secrets", Some("shop")));
    // cluster-scoped resources and URLs through a RoleBinding: no effect
    assert!(!can(&e, sa, "get", "nodes", None));
    assert!(!can(&e, sa, "get", "nodes", Some("shop")));
    assert!(!can(&e, sa, "get", "/metrics", None));
}

#[test]
fn service_account_subject_without_namespace_is_in_the_binding_namespace() {
    let e = engine(SA_READER);
    assert!(can(
        &e,
        "system:serviceaccount:shop:web",
        "get",
        "secrets",
        Some("shop")
    ));
    assert!(!can(
        &e,
        "system:serviceaccount:other:web",
        "get",
        "secrets",
        Some("shop")
    ));
    let who = e.who_can(&Request::parse("get", "secrets", Some("shop")).unwrap());
    let subjects: Vec<String> = who.grants.iter().map(|g| g.subject.display()).collect();
    assert!(
        subjects.contains(&"ServiceAccount shop/web".to_string()),
        "{subjects:?}"
    );
}

#[test]
fn cluster_role_binding_grants_everywhere_and_urls() {
    let e = engine(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- {apiGroups: [""], resources: [nodes, secrets], verbs: [get]}
- {nonResourceURLs: ["/metrics", "/debug/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: r}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
- {kind: User, name: alice}
"#,
    );
    assert!(can(&e, "user:alice", "get", "nodes", None));
    assert!(can(&e, "user:alice", "get", "secrets", Some("any")));
    assert!(can(&e, "user:alice", "get", "secrets", None));
    assert!(can(&e, "user:alice", "get", "/metrics", None));
    assert!(can(&e, "user:alice", "get", "/debug/pprof", None));
    assert!(!can(&e, "user:alice", "get", "/healthz/x", None));
    assert!(!can(&e, "user:bob", "get", "nodes", None));
}

#[test]
fn groups_every_service_account_is_in() {
    let e = engine(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods}
rules:
- {apiGroups: [""], resources: [pods], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods}
subjects:
- {kind: Group, name: "system:serviceaccounts:shop"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-authenticated}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm}
subjects:
- {kind: Group, name: "system:authenticated"}
"#,
    );
    assert!(can(
        &e,
        "system:serviceaccount:shop:x",
        "list",
        "pods",
        None
    ));
    assert!(!can(
        &e,
        "system:serviceaccount:other:x",
        "list",
        "pods",
        None
    ));
    assert!(!can(&e, "user:alice", "list", "pods", None));
    assert!(can(
        &e,
        "system:serviceaccount:other:x",
        "list",
        "configmaps",
        None
    ));
    assert!(can(&e, "user:alice", "list", "configmaps", None));
    assert!(!can(
        &e,
        "user:system:anonymous",
        "list",
        "configmaps",
        None
    ));
}

#[test]
fn aggregated_cluster_roles() {
    let e = engine(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secrets-part
  labels: {example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: unrelated
  labels: {example.com/aggregate-to-monitoring: "false"}
rules:
- {apiGroups: [""], resources: [pods], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mon}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects:
- {kind: ServiceAccount, name: prom, namespace: mon}
"#,
    );
    let sa = "system:serviceaccount:mon:prom";
    assert!(can(&e, sa, "get", "secrets", Some("x")));
    assert!(!can(&e, sa, "delete", "pods", Some("x")));
    let answer = e.can(
        &Subject::parse(sa).unwrap(),
        &Request::parse("get", "secrets", Some("x")).unwrap(),
    );
    let g = &answer.grants[0];
    assert_eq!(g.role.name, "monitoring");
    assert_eq!(g.rule_role.name, "secrets-part");
    assert_eq!(g.rule_index, 0);
    assert!(g.explain().contains("aggregated"), "{}", g.explain());
}

#[test]
fn default_roles_are_known_and_can_be_turned_off() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: devs}
"#;
    let e = engine(yaml);
    // edit = aggregate-to-edit + view (aggregated twice over)
    assert!(can(&e, "group:devs", "create", "pods/exec", Some("shop")));
    assert!(can(&e, "group:devs", "get", "secrets", Some("shop")));
    assert!(can(&e, "group:devs", "list", "deployments", Some("shop")));
    assert!(can(
        &e,
        "group:devs",
        "create",
        "serviceaccounts/token",
        Some("shop")
    ));
    assert!(
        !can(&e, "group:devs", "create", "rolebindings", Some("shop")),
        "admin only"
    );
    assert!(!can(&e, "group:devs", "get", "secrets", Some("other")));
    // default bindings: everyone authenticated can discover the API
    assert!(can(&e, "user:alice", "get", "/apis/apps", None));
    assert!(can(&e, "user:system:anonymous", "get", "/version", None));
    assert!(!can(&e, "user:system:anonymous", "get", "/apis", None));
    assert!(can(&e, "group:system:masters", "delete", "nodes", None));
    assert!(can(&e, "user:system:kube-proxy", "list", "endpoints", None));
    let off = bare(yaml);
    assert!(!can(
        &off,
        "group:devs",
        "create",
        "pods/exec",
        Some("shop")
    ));
    assert!(!can(&off, "user:alice", "get", "/apis", None));
}

#[test]
fn input_overrides_a_default_role() {
    let e = engine(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: v}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice}
"#,
    );
    assert!(can(&e, "user:alice", "get", "configmaps", None));
    assert!(!can(&e, "user:alice", "get", "pods", None));
}

#[test]
fn wildcards_subresources_and_resource_names() {
    let e = bare(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: ns}
rules:
- {apiGroups: ["*"], resources: ["*/scale"], verbs: [update]}
- {apiGroups: [""], resources: ["pods/*"], verbs: [create]}
- {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [db]}
- {apiGroups: [apps], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r, namespace: ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: User, name: u}
"#,
    );
    let ns = Some("ns");
    assert!(can(&e, "user:u", "update", "deployments/scale", ns));
    assert!(can(
        &e,
        "user:u",
        "update",
        "replicationcontrollers/scale",
        ns
    ));
    assert!(!can(&e, "user:u", "update", "replicationcontrollers", ns));
    assert!(
        !can(&e, "user:u", "create", "pods/exec", ns),
        "pods/* is no pattern"
    );
    assert!(can(&e, "user:u", "delete", "deployments", ns));
    assert!(can(&e, "user:u", "patch", "statefulsets", ns));
    assert!(!can(&e, "user:u", "delete", "pods", ns));
    let u = Subject::user("u");
    let named = e.can(
        &u,
        &Request::parse("get", "secrets", ns).unwrap().named("db"),
    );
    assert!(named.allowed);
    let other = e.can(
        &u,
        &Request::parse("get", "secrets", ns).unwrap().named("api"),
    );
    assert!(!other.allowed);
    let any = e.can(&u, &Request::parse("get", "secrets", ns).unwrap());
    assert!(
        !any.allowed,
        "resourceNames does not allow an unnamed request"
    );
    assert_eq!(any.partial.len(), 1);
    assert_eq!(any.partial[0].resource_names, ["db"]);
}

#[test]
fn role_binding_to_missing_or_foreign_role_grants_nothing() {
    let e = bare(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: User, name: u}
"#,
    );
    assert!(!can(&e, "user:u", "get", "pods", Some("a")));
    assert!(!can(&e, "user:u", "get", "pods", Some("b")));
}

const BINDER: &str = r#"
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
- {kind: ServiceAccount, name: ci, namespace: shop}
"#;

#[test]
fn a_role_that_may_bind_a_cluster_role_can_grant_it_in_its_namespace() {
    let e = engine(BINDER);
    let ci = Subject::service_account("shop", "ci");
    let caps = e.capabilities(&ci);
    let binds: Vec<String> = caps
        .iter()
        .filter_map(|c| match c {
            Capability::Bind {
                role, namespace, ..
            } => Some(format!("{}@{namespace:?}", role.name)),
            _ => None,
        })
        .collect();
    assert_eq!(binds, ["cluster-admin@Some(\"shop\")"], "{caps:?}");
    // it cannot read secrets itself, but can obtain it in shop, not elsewhere
    let req = Request::parse("get", "secrets", Some("shop")).unwrap();
    let answer = e.can(&ci, &req);
    assert!(!answer.allowed);
    assert_eq!(answer.obtainable.len(), 1);
    let elsewhere = e.can(
        &ci,
        &Request::parse("get", "secrets", Some("kube-system")).unwrap(),
    );
    assert!(elsewhere.obtainable.is_empty());
    // nodes are cluster-scoped: a RoleBinding to cluster-admin does not reach them
    assert!(e
        .can(&ci, &Request::parse("get", "nodes", None).unwrap())
        .obtainable
        .is_empty());
    let who = e.who_can(&req);
    assert!(who.obtainable.iter().any(|o| o.subject == ci));
}

#[test]
fn bind_without_create_or_limited_to_other_roles_is_inert() {
    let no_create = BINDER.replace("verbs: [create]", "verbs: [get]");
    assert!(engine(&no_create)
        .capabilities(&Subject::service_account("shop", "ci"))
        .is_empty());
    let other = BINDER.replace("resourceNames: [cluster-admin]", "resourceNames: [view]");
    let caps = engine(&other).capabilities(&Subject::service_account("shop", "ci"));
    assert_eq!(caps.len(), 1);
    assert!(matches!(&caps[0], Capability::Bind { role, .. } if role.name == "view"));
    // bind on clusterroles through a ClusterRoleBinding and create clusterrolebindings
    let cluster = engine(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: granter}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: granter}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: granter}
subjects:
- {kind: User, name: g}
"#,
    );
    let g = Subject::user("g");
    let nodes = cluster.can(&g, &Request::parse("delete", "nodes", None).unwrap());
    assert!(!nodes.allowed);
    assert!(nodes.obtainable.iter().any(|c| matches!(c,
        Capability::Bind { role, binding_kind, .. } if role.name == "cluster-admin" && binding_kind == "ClusterRoleBinding")));
}

#[test]
fn escalate_on_roles_writes_any_rule_in_the_namespace() {
    let e = bare(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: esc, namespace: shop}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, update]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: esc, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: esc}
subjects:
- {kind: User, name: u}
"#,
    );
    let u = Subject::user("u");
    let caps = e.capabilities(&u);
    assert_eq!(
        caps.len(),
        1,
        "clusterroles through a RoleBinding are inert: {caps:?}"
    );
    assert!(
        matches!(&caps[0], Capability::Escalate { cluster_roles: false, namespace: Some(ns), .. } if ns == "shop")
    );
    let r = e.can(&u, &Request::parse("create", "pods", Some("shop")).unwrap());
    assert!(!r.allowed && !r.obtainable.is_empty());
    let r = e.can(
        &u,
        &Request::parse("create", "pods", Some("other")).unwrap(),
    );
    assert!(r.obtainable.is_empty());
}

#[test]
fn who_can_lists_subjects_with_explanations() {
    let e = engine(SA_READER);
    let who = e.who_can(&Request::parse("get", "secrets", None).unwrap());
    let lines: Vec<String> = who
        .grants
        .iter()
        .map(|g| format!("{} {} {}", g.subject.display(), g.scope(), g.explain()))
        .collect();
    assert!(lines.contains(&"ServiceAccount shop/web namespace shop RoleBinding/shop/read → ClusterRole/secret-reader, rule 0".to_string()), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("Group system:masters cluster-wide ClusterRoleBinding/cluster-admin (Kubernetes default)")), "{lines:#?}");
    let json = serde_json::to_value(&who).unwrap();
    assert_eq!(json["request"]["verb"], "get");
    assert_eq!(json["request"]["resource"], "secrets");
}

#[test]
fn request_parsing() {
    let r = Request::parse("create", "deployments/scale", Some("x")).unwrap();
    assert_eq!(r.display(), "create deployments.apps/scale in namespace x");
    let r = Request::parse("get", "widgets.example.com", None).unwrap();
    assert_eq!(r.display(), "get widgets.example.com");
    assert_eq!(
        Request::parse("get", "/metrics", None).unwrap().display(),
        "get /metrics"
    );
    assert!(Request::parse("get", "pods/", None).is_err());
    assert!(Request::parse("", "pods", None).is_err());
}

#[test]
fn objects_of_one_name_keep_their_own_rules_and_invalid_subjects_are_ignored() {
    let snap = load_str(
        "test.yaml",
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: dup}
rules:
- {apiGroups: [""], resources: [pods], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: dup}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dup}
subjects:
- {kind: ServiceAccount, name: no-namespace}
- {kind: Robot, name: r2}
- {kind: User, name: ""}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: role-in-crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dup}
subjects:
- {kind: User, name: u}
"#,
    );
    let e = Engine::new(&snap, Options { defaults: false });
    let first = e.effective_rules_of_object(snap.objects[0].id);
    let second = e.effective_rules_of_object(snap.objects[1].id);
    assert_eq!(first[0].rule.resources, ["pods"]);
    assert_eq!(second[0].rule.resources, ["secrets"]);
    // a ServiceAccount without namespace in a ClusterRoleBinding, an unknown kind and an
    // empty name name nobody; a ClusterRoleBinding cannot bind a Role
    assert!(e.subjects().is_empty(), "{:?}", e.subjects());
    assert_eq!(e.bindings().len(), 1);
}
