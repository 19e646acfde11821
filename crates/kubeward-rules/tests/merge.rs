//! One cause, one finding (issue 7): facets folded into their primary, with baselines and
//! suppressions that keep working.

use kubeward_model::load_str;
use kubeward_rules::filter::{apply, Baseline, Filters};
use kubeward_rules::finding::Severity;
use kubeward_rules::{engine, registry, Settings};

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
"#;

const ROLE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
"#;

/// The facets of a `*/*/*` ClusterRole, sorted.
const STAR_FACETS: &[&str] = &[
    "rbac-create-pods",
    "rbac-csr-approval",
    "rbac-escalate-bind-impersonate",
    "rbac-namespace-relabel",
    "rbac-patch-pods",
    "rbac-persistent-volumes",
    "rbac-pod-exec",
    "rbac-secrets-access",
    "rbac-webhook-configuration",
];

fn run(yaml: &str, filters: &Filters) -> kubeward_rules::filter::Filtered {
    let snap = load_str("t.yaml", yaml);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    let findings = engine::analyze(&snap, &Settings::default(), &|m| {
        matches!(
            m.domain,
            kubeward_rules::Domain::Workload | kubeward_rules::Domain::Rbac
        )
    });
    apply(&snap, findings, filters)
}

fn rules(f: &kubeward_rules::filter::Filtered) -> Vec<&str> {
    f.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn default_service_account_and_token_automount_are_one_finding() {
    let out = run(POD, &Filters::default());
    let sa: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.rule.contains("service-account"))
        .collect();
    assert_eq!(sa.len(), 1, "{:#?}", out.findings);
    let f = sa[0];
    assert_eq!(f.rule, "service-account-token-automount");
    assert_eq!(f.facets.len(), 1);
    assert_eq!(f.facets[0].rule, "default-service-account");
    assert!(f.severity >= f.facets[0].severity);
}

#[test]
fn a_star_role_is_one_finding_with_its_facets() {
    let out = run(ROLE, &Filters::default());
    assert_eq!(
        rules(&out),
        vec!["rbac-wildcard-permissions"],
        "{:#?}",
        out.findings
    );
    let f = &out.findings[0];
    let mut facets: Vec<&str> = f.facets.iter().map(|x| x.rule).collect();
    facets.sort();
    assert_eq!(facets, STAR_FACETS.to_vec());
    // the merged finding is as severe as its worst facet
    let worst = f.facets.iter().map(|x| x.severity).max().unwrap();
    assert!(f.severity >= worst);
    assert_eq!(f.severity, Severity::Critical);
}

#[test]
fn baselines_written_before_the_merge_still_match() {
    // A baseline of the raw (unmerged) findings, as an older kubeward wrote it.
    let snap = load_str("t.yaml", ROLE);
    let raw = engine::analyze(&snap, &Settings::default(), &|m| m.domain == "rbac");
    assert_eq!(raw.len(), STAR_FACETS.len() + 1, "{raw:#?}");
    let old = Baseline::from_findings(&raw);
    let filters = Filters {
        baseline: old.fingerprints(),
        ..Filters::default()
    };
    let out = run(ROLE, &filters);
    assert!(
        out.findings.iter().all(|f| f.object.name != "everything"),
        "{:#?}",
        out.findings
    );
    // A baseline written from the merged finding holds every facet's fingerprint too.
    let merged = run(ROLE, &Filters::default());
    let new = Baseline::from_findings(&merged.findings);
    assert_eq!(new.findings.len(), STAR_FACETS.len() + 1);
    let only_primary = Filters {
        baseline: [merged.findings[0].fingerprint.clone()]
            .into_iter()
            .collect(),
        ..Filters::default()
    };
    let out = run(ROLE, &only_primary);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.suppressed.len(), STAR_FACETS.len() + 1);
}

#[test]
fn suppressing_the_primary_suppresses_the_whole_finding() {
    let annotated = POD.replace(
        "metadata: {name: web, namespace: shop}",
        "metadata:\n  name: web\n  namespace: shop\n  annotations: {kubeward.io/ignore: service-account-token-automount}",
    );
    let out = run(&annotated, &Filters::default());
    assert!(
        !out.findings
            .iter()
            .any(|f| f.rule.contains("service-account")),
        "{:#?}",
        out.findings
    );
    let facet = out
        .suppressed
        .iter()
        .find(|(f, _)| f.rule == "default-service-account")
        .expect("the facet is suppressed with the primary");
    assert!(
        facet
            .1
            .to_string()
            .contains("merged into service-account-token-automount"),
        "{}",
        facet.1
    );
    // Naming only the facet suppresses only the facet.
    let facet_only = annotated.replace(
        "kubeward.io/ignore: service-account-token-automount",
        "kubeward.io/ignore: default-service-account",
    );
    let out = run(&facet_only, &Filters::default());
    let f = out
        .findings
        .iter()
        .find(|f| f.rule == "service-account-token-automount")
        .unwrap();
    assert!(f.facets.is_empty());
    assert!(out
        .suppressed
        .iter()
        .any(|(f, _)| f.rule == "default-service-account"));
}

#[test]
fn a_facet_without_its_primary_stands_alone() {
    let snap = load_str("t.yaml", POD);
    let findings = engine::analyze(&snap, &Settings::default(), &|m| {
        registry::selects("default-service-account", m)
    });
    let out = apply(&snap, findings, &Filters::default());
    assert_eq!(rules(&out), vec!["default-service-account"]);
}

#[test]
fn facets_merge_within_their_own_pod_template() {
    // two templates in one custom resource: each keeps its own merged finding
    let ray = r#"
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: rc, namespace: ml}
spec:
  headGroupSpec:
    template:
      spec:
        containers: [{name: head, image: "rayproject/ray:2.9.0"}]
  workerGroupSpecs:
  - groupName: w
    template:
      spec:
        containers: [{name: worker, image: "rayproject/ray:2.9.0"}]
"#;
    let out = run(ray, &Filters::default());
    let merged: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.rule == "service-account-token-automount")
        .collect();
    assert_eq!(merged.len(), 2, "{:#?}", out.findings);
    for f in &merged {
        assert_eq!(f.facets.len(), 1, "{f:#?}");
        let template = f.path.split(".spec.").next().unwrap_or("");
        assert!(
            f.facets[0].path.starts_with(template),
            "{} / {}",
            f.path,
            f.facets[0].path
        );
    }
    assert!(!out
        .findings
        .iter()
        .any(|f| f.rule == "default-service-account"));
}

#[test]
fn a_load_balancer_in_front_of_the_api_is_one_finding() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: kube-system}\nspec:\n  type: LoadBalancer\n  selector: {component: kube-apiserver}\n  ports: [{port: 443, targetPort: 6443}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 443}]\n";
    let snap = load_str("t.yaml", yaml);
    let findings = engine::analyze(&snap, &Settings::default(), &|m| {
        matches!(
            m.domain,
            kubeward_rules::Domain::Network | kubeward_rules::Domain::ControlPlane
        )
    });
    let out = apply(&snap, findings, &Filters::default());
    let api: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.object.name == "api")
        .collect();
    assert_eq!(api.len(), 1, "{:#?}", out.findings);
    assert_eq!(api[0].rule, "api-server-exposed");
    assert_eq!(api[0].facets.len(), 1);
    assert_eq!(api[0].facets[0].rule, "service-load-balancer");
    // an ordinary LoadBalancer keeps its own finding
    assert!(out
        .findings
        .iter()
        .any(|f| f.object.name == "web" && f.rule == "service-load-balancer"));
}
