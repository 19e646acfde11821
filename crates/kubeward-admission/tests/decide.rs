//! The decision core on the admission corpus (`testdata/admission/`) and on hand-written
//! requests: Pod Security admission's verdicts and messages, exemptions, updates, namespaces,
//! rule actions and exceptions.

use kubeward_admission::review::Response;
use kubeward_admission::{Action, Class, Config, Date, NamespaceUpdate, Webhook};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/admission")
        .join(rel)
}

fn today() -> Date {
    Date::parse("2026-12-03").unwrap()
}

type Labels = HashMap<String, BTreeMap<String, String>>;

fn labels(pairs: &[(&str, &[(&str, &str)])]) -> Labels {
    pairs
        .iter()
        .map(|(ns, l)| {
            (
                ns.to_string(),
                l.iter()
                    .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

fn webhook(yaml: &str) -> Webhook {
    Webhook::new(Config::parse("test.yaml", yaml).unwrap())
}

fn review(
    op: &str,
    resource: (&str, &str),
    sub: &str,
    ns: &str,
    object: Value,
    old: Value,
) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "uid-1",
            "kind": {"group": resource.0, "version": "v1", "kind": "X"},
            "resource": {"group": resource.0, "version": "v1", "resource": resource.1},
            "subResource": sub,
            "name": object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""),
            "namespace": ns,
            "operation": op,
            "userInfo": {"username": "jane"},
            "object": object,
            "oldObject": old,
        }
    }))
    .unwrap()
}

fn pod(name: &str, sc: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": sc}]}})
}

fn decide(w: &Webhook, body: &[u8], l: &Labels) -> kubeward_admission::Decision {
    w.decide(body, l, today())
}

#[test]
fn the_synthetic_corpus_gets_its_stated_outcomes() {
    let w = webhook("rules: {default: off}\n");
    let l = labels(&[("team-a", &[("enforce", "baseline")])]);
    let read = |f: &str| std::fs::read(corpus(&format!("synthetic/{f}"))).unwrap();

    let d = decide(&w, &read("request-create-pod-privileged-dryrun.json"), &l);
    assert!(!d.response.allowed);
    assert!(d.dry_run);
    let s = d.response.status.as_ref().unwrap();
    assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
    assert!(
        s.message.contains(
            "is forbidden: violates PodSecurity \"baseline:latest\": privileged (container "
        ),
        "{}",
        s.message
    );
    assert_eq!(d.response.uid, "11111111-1111-4111-8111-111111111111");

    let d = decide(&w, &read("request-update-pod-image-change.json"), &l);
    assert!(d.response.allowed, "{:?}", d.response);

    let d = decide(&w, &read("request-connect-pod-exec.json"), &l);
    assert!(d.response.allowed);
    assert_eq!(d.class, Class::Other);

    let d = decide(&w, &read("request-update-pod-ephemeralcontainers.json"), &l);
    assert!(!d.response.allowed);
    assert_eq!(
        d.response.status.unwrap().message,
        "pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"debugger\" must not set securityContext.privileged=true)"
    );

    let d = decide(&w, &read("request-create-deployment-hostnetwork.json"), &l);
    assert!(d.response.allowed);
    assert_eq!(d.class, Class::Controller);
    assert_eq!(
        d.response.warnings,
        ["would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)"]
    );
    // audit is not labelled: the default (privileged) audits nothing
    assert!(!d
        .response
        .audit_annotations
        .contains_key("audit-violations"));
    assert!(
        !d.response.audit_annotations.contains_key("enforce-policy"),
        "controllers are not enforced"
    );

    let d = decide(&w, &read("request-delete-pod.json"), &l);
    assert!(d.response.allowed);
    assert!(d.response.warnings.is_empty());
}

#[test]
fn every_uid_is_echoed() {
    let w = webhook("");
    for dir in [
        "synthetic",
        "kubewarden-policy-server",
        "gatekeeper-docs",
        "k8s-docs",
    ] {
        for e in std::fs::read_dir(corpus(dir)).unwrap() {
            let path = e.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            let sent: Value = serde_json::from_slice(&body).unwrap();
            let d = decide(&w, &body, &Labels::new());
            match sent.pointer("/request/uid").and_then(Value::as_str) {
                Some(uid) => {
                    assert_eq!(d.response.uid, uid, "{}", path.display());
                    assert_eq!(d.http_status, 200, "{}", path.display());
                }
                None => {
                    // the documentation's response examples: not a request
                    assert_eq!(d.http_status, 400, "{}", path.display());
                    assert!(!d.response.allowed);
                    // and they read as our response type does
                    let r: Response = serde_json::from_value(sent["response"].clone()).unwrap();
                    assert!(!r.uid.is_empty());
                }
            }
        }
    }
}

#[test]
fn the_kubewarden_requests_under_baseline() {
    let w = webhook("rules: {default: off}\n");
    let l = labels(&[("default", &[("enforce", "baseline")])]);
    for (file, allowed) in [
        ("pod_with_privileged_containers.json", false),
        ("pod_without_privileged_containers.json", true),
        ("pod_sleep_100ms.json", true),
        ("pod_sleep_4s.json", true),
    ] {
        let body = std::fs::read(corpus(&format!("kubewarden-policy-server/{file}"))).unwrap();
        let d = decide(&w, &body, &l);
        assert_eq!(d.response.allowed, allowed, "{file}: {:?}", d.response);
        assert_eq!(
            d.response.audit_annotations["enforce-policy"],
            "baseline:latest"
        );
    }
}

#[test]
fn the_conformance_fixtures_pass_and_fail_as_their_folder_says() {
    let w = webhook("rules: {default: off}\n");
    let mut count = 0;
    for level in ["baseline", "restricted"] {
        let l = labels(&[("ns", &[("enforce", level), ("enforce-version", "v1.37")])]);
        for outcome in ["pass", "fail"] {
            let dir = corpus(&format!("pss-fixtures/{level}/v1.37/{outcome}"));
            for e in std::fs::read_dir(dir).unwrap() {
                let path = e.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                // the fixture as the API server sends it: JSON, through the same loader
                let snap = kubeward_model::load_str("f.yaml", &text);
                let object = snap.objects[0].root.to_json();
                let body = review("CREATE", ("", "pods"), "", "ns", object, Value::Null);
                let d = decide(&w, &body, &l);
                assert_eq!(
                    d.response.allowed,
                    outcome == "pass",
                    "{}: {:?}",
                    path.display(),
                    d.response
                );
                if outcome == "fail" {
                    let msg = &d.response.status.as_ref().unwrap().message;
                    assert!(
                        msg.contains(&format!("violates PodSecurity \"{level}:v1.37\": ")),
                        "{msg}"
                    );
                }
                count += 1;
            }
        }
    }
    assert!(count > 100, "{count}");
}

#[test]
fn modes_versions_and_warn_defaulting_follow_the_plugin() {
    let w = webhook("rules: {default: off}\n");
    let l = labels(&[
        (
            "a",
            &[
                ("enforce", "baseline"),
                ("audit", "restricted"),
                ("warn", "restricted"),
                ("warn-version", "v1.24"),
            ],
        ),
        ("b", &[("enforce", "nonsense")]),
        ("c", &[("warn", "baseline")]),
    ]);
    let root = pod("p", json!({"runAsUser": 0}));
    let d = decide(
        &w,
        &review("CREATE", ("", "pods"), "", "a", root.clone(), Value::Null),
        &l,
    );
    assert!(d.response.allowed);
    assert_eq!(
        d.response.audit_annotations["enforce-policy"],
        "baseline:latest"
    );
    assert!(
        d.response.audit_annotations["audit-violations"].starts_with(
            "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false"
        )
    );
    assert_eq!(d.response.warnings.len(), 1);
    assert!(
        d.response.warnings[0].starts_with("would violate PodSecurity \"restricted:v1.24\": "),
        "{:?}",
        d.response.warnings
    );
    assert!(d.response.warnings[0].contains("runAsUser=0"));
    // an invalid enforce level means restricted, and says so in the error annotation
    let d = decide(
        &w,
        &review("CREATE", ("", "pods"), "", "b", root.clone(), Value::Null),
        &l,
    );
    assert!(!d.response.allowed);
    assert!(d
        .response
        .status
        .as_ref()
        .unwrap()
        .message
        .contains("\"restricted:latest\""));
    assert!(d.response.audit_annotations["error"].starts_with("Failed to parse policy: "));
    // warn alone: the defaults (privileged) enforce
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "c",
            pod("p", json!({"privileged": true})),
            Value::Null,
        ),
        &l,
    );
    assert!(d.response.allowed);
    assert_eq!(d.response.warnings.len(), 1);
    // unknown namespace, stock defaults: privileged, nothing said
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "zz",
            pod("p", json!({"privileged": true})),
            Value::Null,
        ),
        &l,
    );
    assert!(
        d.response.allowed
            && d.response.warnings.is_empty()
            && d.response.audit_annotations.is_empty()
    );
    // configured defaults
    let strict =
        webhook("podSecurity: {defaults: {enforce: 'baseline:v1.37'}}\nrules: {default: off}\n");
    let d = decide(
        &strict,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "zz",
            pod("p", json!({"privileged": true})),
            Value::Null,
        ),
        &l,
    );
    assert!(!d.response.allowed);
    assert!(d
        .response
        .status
        .unwrap()
        .message
        .contains("\"baseline:v1.37\""));
}

#[test]
fn exemptions_by_user_namespace_and_runtime_class() {
    let w = webhook("podSecurity:\n  defaults: {enforce: restricted}\n  exemptions: {usernames: [jane], namespaces: [kube-system], runtimeClasses: [kata]}\nrules: {default: deny}\n");
    let bad = pod("p", json!({"privileged": true}));
    let d = decide(
        &w,
        &review("CREATE", ("", "pods"), "", "x", bad.clone(), Value::Null),
        &Labels::new(),
    );
    assert!(d.response.allowed, "user jane is exempt");
    assert_eq!(d.response.audit_annotations["exempt"], "user");
    let other = webhook("podSecurity:\n  defaults: {enforce: restricted}\n  exemptions: {namespaces: [kube-system], runtimeClasses: [kata]}\nrules: {default: off}\n");
    let d = decide(
        &other,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "kube-system",
            bad.clone(),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert_eq!(d.response.audit_annotations["exempt"], "namespace");
    let mut kata = bad.clone();
    kata["spec"]["runtimeClassName"] = json!("kata");
    let d = decide(
        &other,
        &review("CREATE", ("", "pods"), "", "x", kata, Value::Null),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    assert_eq!(d.response.audit_annotations["exempt"], "runtimeClass");
    let d = decide(
        &other,
        &review("CREATE", ("", "pods"), "", "x", bad, Value::Null),
        &Labels::new(),
    );
    assert!(!d.response.allowed);
}

#[test]
fn updates_are_judged_again_only_when_the_plugin_would() {
    let w = webhook(
        "podSecurity: {defaults: {enforce: baseline, warn: baseline}}\nrules: {default: off}\n",
    );
    let old = pod("p", json!({"privileged": true}));
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"tier": "web"});
    let d = decide(
        &w,
        &review("UPDATE", ("", "pods"), "", "x", relabelled, old.clone()),
        &Labels::new(),
    );
    assert!(
        d.response.allowed,
        "a label change of a running pod is not judged"
    );
    let mut new_image = old.clone();
    new_image["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let d = decide(
        &w,
        &review("UPDATE", ("", "pods"), "", "x", new_image, old.clone()),
        &Labels::new(),
    );
    assert!(!d.response.allowed, "an image change is");
    let d = decide(
        &w,
        &review("UPDATE", ("", "pods"), "", "x", old.clone(), Value::Null),
        &Labels::new(),
    );
    assert_eq!(
        d.response.status.unwrap().message,
        "failed to decode old object"
    );
    for sub in ["status", "exec", "binding", "eviction"] {
        let d = decide(
            &w,
            &review("UPDATE", ("", "pods"), sub, "x", old.clone(), old.clone()),
            &Labels::new(),
        );
        assert!(d.response.allowed, "{sub}");
    }
    // controllers: subresources are not judged, updates always are
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "a", "image": "a"}]}}}});
    let d = decide(
        &w,
        &review(
            "UPDATE",
            ("apps", "deployments"),
            "scale",
            "x",
            json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "d"}}),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed && d.response.warnings.is_empty());
    let d = decide(
        &w,
        &review(
            "UPDATE",
            ("apps", "deployments"),
            "",
            "x",
            deploy.clone(),
            deploy,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    assert_eq!(
        d.response.warnings,
        ["would violate PodSecurity \"baseline:latest\": host namespaces (hostPID=true)"]
    );
}

#[test]
fn namespaces_are_validated_and_teach_the_label_cache() {
    let w = webhook("rules: {default: off}\n");
    let ns = |labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}});
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "namespaces"),
            "",
            "",
            ns(json!({"pod-security.kubernetes.io/enforce": "restricted"})),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    let Some(NamespaceUpdate::Set(name, l)) = d.namespace_update else {
        panic!("no update")
    };
    assert_eq!(
        (
            name.as_str(),
            l["pod-security.kubernetes.io/enforce"].as_str()
        ),
        ("shop", "restricted")
    );
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "namespaces"),
            "",
            "",
            ns(json!({"pod-security.kubernetes.io/enforce": "strict"})),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(!d.response.allowed);
    let s = d.response.status.unwrap();
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert_eq!(s.message, "Namespace \"shop\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted");
    assert!(d.namespace_update.is_none());
    // an invalid label that was already there does not block other changes
    let old = ns(json!({"pod-security.kubernetes.io/enforce": "strict"}));
    let mut new = old.clone();
    new["metadata"]["labels"]["team"] = json!("a");
    let d = decide(
        &w,
        &review("UPDATE", ("", "namespaces"), "", "", new, old),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    // dry run: allowed, nothing learnt
    let mut body: Value = serde_json::from_slice(&review(
        "CREATE",
        ("", "namespaces"),
        "",
        "",
        ns(json!({})),
        Value::Null,
    ))
    .unwrap();
    body["request"]["dryRun"] = json!(true);
    let d = decide(&w, &serde_json::to_vec(&body).unwrap(), &Labels::new());
    assert!(d.response.allowed && d.namespace_update.is_none());
    let d = decide(
        &w,
        &review(
            "DELETE",
            ("", "namespaces"),
            "",
            "",
            Value::Null,
            ns(json!({})),
        ),
        &Labels::new(),
    );
    assert!(matches!(
        d.namespace_update,
        Some(NamespaceUpdate::Remove(_))
    ));
}

#[test]
fn the_catalogue_runs_with_actions_overrides_and_exceptions() {
    let cfg = "rules:\n  default: warn\n  actions: {sensitive-host-path: deny}\n  namespaces:\n    legacy: {sensitive-host-path: audit}\nexceptions:\n  - {rule: sensitive-host-path, namespace: mon, name: 'node-agent*', reason: reviewed by platform, expires: 2026-12-31}\n  - {rule: sensitive-host-path, namespace: old, reason: migration, expires: 2026-01-31}\n";
    let w = webhook(cfg);
    let root_mount = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "node-agent-x1"},
        "spec": {"automountServiceAccountToken": false, "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                 "containers": [{"name": "a", "image": "a", "volumeMounts": [{"name": "root", "mountPath": "/host"}]}]}});
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "prod",
            root_mount.clone(),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(!d.response.allowed);
    let msg = d.response.status.as_ref().unwrap().message.clone();
    assert!(
        msg.starts_with(
            "pods \"node-agent-x1\" is forbidden: kubeward: sensitive-host-path (critical): "
        ),
        "{msg}"
    );
    assert!(d.rules.contains(&("sensitive-host-path", Action::Deny)));
    assert!(
        d.response.warnings.is_empty(),
        "no warnings on a denied request"
    );
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "legacy",
            root_mount.clone(),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    assert!(d.response.audit_annotations["rule-violations"].contains("sensitive-host-path"));
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "mon",
            root_mount.clone(),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed, "{:?}", d.response);
    assert!(d.response.audit_annotations["exceptions"].contains("reviewed by platform"));
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("", "pods"),
            "",
            "old",
            root_mount.clone(),
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(
        !d.response.allowed,
        "an expired exception lets nothing through"
    );
    assert!(
        d.response.audit_annotations["expired-exceptions"].contains("until 2026-01-31: migration")
    );
    // rules that need the rest of the cluster stay silent; others warn
    let plain = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a"}]}}}});
    let d = decide(
        &w,
        &review(
            "CREATE",
            ("apps", "deployments"),
            "",
            "prod",
            plain,
            Value::Null,
        ),
        &Labels::new(),
    );
    assert!(d.response.allowed);
    assert!(
        d.rules
            .iter()
            .all(|(r, _)| !["missing-network-policy", "missing-service-account"].contains(r)),
        "{:?}",
        d.rules
    );
    assert!(
        d.response
            .warnings
            .iter()
            .any(|w| w.starts_with("kubeward service-account-token-automount")),
        "{:?}",
        d.response.warnings
    );
}

#[test]
fn broken_requests_get_clear_answers_with_their_uid() {
    let w = webhook("");
    let l = Labels::new();
    let d = decide(&w, b"{\"request\": {\"uid\": \"u-9\", ", &l);
    assert_eq!(
        (d.http_status, d.response.uid.as_str(), d.response.allowed),
        (400, "u-9", false)
    );
    assert!(d
        .response
        .status
        .unwrap()
        .message
        .starts_with("the body is not an AdmissionReview: "));
    let d = decide(&w, br#"{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u-8"}}"#, &l);
    assert_eq!((d.http_status, d.response.uid.as_str()), (400, "u-8"));
    assert!(d
        .response
        .status
        .unwrap()
        .message
        .contains("admission.k8s.io/v1beta1"));
    let d = decide(&w, br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-7", "operation": "CREATE", "resource": {"resource": "pods"}, "namespace": "x"}}"#, &l);
    assert_eq!((d.http_status, d.response.uid.as_str()), (200, "u-7"));
    assert_eq!(
        d.response.status.unwrap().message,
        "failed to decode object: the request has no object"
    );
    let d = decide(&w, br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-6", "operation": "CREATE", "resource": {"resource": "pods"}, "object": {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s"}}}}"#, &l);
    assert_eq!(d.response.status.unwrap().message, "failed to decode pod");
    let d = decide(&w, br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}}"#, &l);
    assert_eq!(d.http_status, 400);
    let d = decide(&w, b"[1, 2", &l);
    assert_eq!((d.http_status, d.response.uid.as_str()), (400, ""));
    // terminal escapes in names never reach a terminal raw
    let evil = pod("e\u{1b}[2J", json!({"privileged": true}));
    let strict = webhook("podSecurity: {defaults: {enforce: baseline}}\n");
    let d = decide(
        &strict,
        &review("CREATE", ("", "pods"), "", "x", evil, Value::Null),
        &l,
    );
    let msg = d.response.status.unwrap().message;
    assert!(!msg.contains('\u{1b}') && msg.contains("\\u{1b}"), "{msg}");
}

#[test]
fn hostile_objects_are_answered_not_crashed_on() {
    let w = webhook("podSecurity: {defaults: {enforce: baseline}}\n");
    let l = Labels::new();
    // nesting past serde_json's recursion limit in the review itself
    let mut deep = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-deep", "object": "#.to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    let d = decide(&w, &deep, &l);
    assert_eq!((d.http_status, d.response.uid.as_str()), (400, "u-deep"));
    // nesting within serde_json's limit but past the loader's (50): not a pod it can read
    let mut nested = json!("x");
    for _ in 0..80 {
        nested = json!({ "a": nested });
    }
    let mut p = pod("p", json!({}));
    p["metadata"]["annotations"] = json!({ "n": nested });
    let d = decide(
        &w,
        &review("CREATE", ("", "pods"), "", "x", p, Value::Null),
        &l,
    );
    assert_eq!(d.response.uid, "uid-1");
    assert!(!d.response.allowed);
    // a pod with thousands of privileged containers: one bounded message
    let containers: Vec<Value> = (0..5000)
        .map(|i| json!({"name": format!("c{i}"), "image": "x", "securityContext": {"privileged": true}}))
        .collect();
    let big = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"}, "spec": {"containers": containers}});
    let d = decide(
        &w,
        &review("CREATE", ("", "pods"), "", "x", big, Value::Null),
        &l,
    );
    assert!(!d.response.allowed);
    let warnings: usize = d.response.warnings.iter().map(|w| w.chars().count()).sum();
    assert!(warnings <= kubeward_admission::warnings::MAX_TOTAL_CHARS);
}
