//! Unit tests for what the upstream fixtures do not exercise: AppArmor fields, SELinux
//! `container_engine_t`, Windows exemptions, ephemeral containers, startupProbe/preStop hosts,
//! the `docker/default` seccomp annotation, `hostUsers: false`, namespace label modes and
//! invalid labels, `latest` resolution, odd input.

use super::*;
use crate::rule::{Level, PolicyVersion, Settings};
use crate::testing::run_with;
use kubeward_model::{load_str, PodTemplate, Snapshot};

fn snap(yaml: &str) -> Snapshot {
    load_str("test.yaml", yaml)
}

/// Evaluates the first object of `yaml` and returns the joined violation text.
fn detail(yaml: &str, level: Level, version: &str) -> String {
    let s = snap(yaml);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let t = PodTemplate::of(&s.objects[0]).expect("template");
    format_detail(&evaluate(&t, level, PolicyVersion::parse(version).unwrap()))
}

fn ids(yaml: &str, level: Level, version: &str) -> Vec<&'static str> {
    let s = snap(yaml);
    let t = PodTemplate::of(&s.objects[0]).expect("template");
    evaluate(&t, level, PolicyVersion::parse(version).unwrap())
        .iter()
        .map(|r| r.id)
        .collect()
}

const RESTRICTED_OK: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"#;

#[test]
fn restricted_baseline_pod_is_allowed_everywhere() {
    for minor in 0..=40 {
        assert_eq!(
            detail(RESTRICTED_OK, Level::Restricted, &format!("v1.{minor}")),
            "",
            "v1.{minor}"
        );
    }
    assert_eq!(detail(RESTRICTED_OK, Level::Restricted, "latest"), "");
}

#[test]
fn apparmor_profile_fields() {
    let pod = |pod_type: &str, container_type: &str, annotation: &str| {
        format!(
            r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {{{annotation}}}
spec:
  securityContext: {{appArmorProfile: {{type: {pod_type}}}}}
  containers:
  - name: c
    image: x
    securityContext: {{appArmorProfile: {{type: {container_type}}}}}
"#
        )
    };
    assert_eq!(
        detail(
            &pod("RuntimeDefault", "Localhost", ""),
            Level::Baseline,
            "latest"
        ),
        ""
    );
    assert_eq!(
        detail(&pod("Unconfined", "Unconfined", ""), Level::Baseline, "v1.30"),
        "forbidden AppArmor profile (pod and container \"c\" must not set AppArmor profile type to \"Unconfined\")"
    );
    assert_eq!(
        detail(
            &pod("RuntimeDefault", "Unconfined", "container.apparmor.security.beta.kubernetes.io/c: unconfined"),
            Level::Baseline,
            "v1.0"
        ),
        "forbidden AppArmor profiles (container \"c\" and annotation must not set AppArmor profile type to \
         \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\")"
    );
    // Allowed annotation values: empty, runtime/default, localhost/*.
    assert_eq!(
        detail(
            &pod(
                "RuntimeDefault",
                "RuntimeDefault",
                "container.apparmor.security.beta.kubernetes.io/c: localhost/x"
            ),
            Level::Baseline,
            "latest"
        ),
        ""
    );
}

#[test]
fn selinux_container_engine_t_from_v1_31() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext: {seLinuxOptions: {type: container_engine_t}}
"#;
    assert_eq!(
        detail(yaml, Level::Baseline, "v1.30"),
        "seLinuxOptions (container \"c\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\")"
    );
    assert_eq!(detail(yaml, Level::Baseline, "v1.31"), "");
    assert_eq!(detail(yaml, Level::Baseline, "latest"), "");
}

const WINDOWS: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: c, image: x}
"#;

#[test]
fn windows_exemptions_from_v1_25() {
    assert_eq!(
        ids(WINDOWS, Level::Restricted, "v1.24"),
        vec![
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "seccompProfile_restricted"
        ]
    );
    for v in ["v1.25", "v1.26", "v1.27", "v1.28", "latest"] {
        assert_eq!(detail(WINDOWS, Level::Restricted, v), "", "{v}");
    }
    // A Linux pod with the same spec is not exempt.
    let linux = WINDOWS.replace("windows", "linux");
    assert_eq!(ids(&linux, Level::Restricted, "v1.26").len(), 3);
}

#[test]
fn ephemeral_containers_are_visited_after_init_and_regular() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  ephemeralContainers:
  - {name: debug, image: x, securityContext: {privileged: true}}
  containers:
  - {name: c, image: x, securityContext: {privileged: true}}
  initContainers:
  - {name: i, image: x, securityContext: {privileged: true}}
"#;
    assert_eq!(
        detail(yaml, Level::Baseline, "latest"),
        "privileged (containers \"i\", \"c\", \"debug\" must not set securityContext.privileged=true)"
    );
    let s = snap(yaml);
    let t = PodTemplate::of(&s.objects[0]).unwrap();
    let r = &evaluate(&t, Level::Baseline, PolicyVersion::Latest)[0];
    let paths: Vec<&str> = r.paths.iter().map(|p| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "spec.initContainers[0].securityContext.privileged",
            "spec.containers[0].securityContext.privileged",
            "spec.ephemeralContainers[0].securityContext.privileged"
        ]
    );
}

#[test]
fn startup_probe_and_pre_stop_hosts_from_v1_34() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: b
    image: x
    startupProbe: {tcpSocket: {host: 10.0.0.1, port: 80}}
  - name: a
    image: x
    lifecycle:
      preStop: {httpGet: {host: example.com, port: 80}}
      postStart: {httpGet: {host: "", port: 80}}
"#;
    assert_eq!(detail(yaml, Level::Baseline, "v1.33"), "");
    assert_eq!(
        detail(yaml, Level::Baseline, "v1.34"),
        "probe or lifecycle host (containers \"a\", \"b\" use probe or lifecycle hosts \"10.0.0.1\", \"example.com\")"
    );
}

#[test]
fn seccomp_annotations_before_v1_19() {
    let pod = |value: &str| {
        format!(
            r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: {value}
    container.seccomp.security.alpha.kubernetes.io/c: unconfined
    container.seccomp.security.alpha.kubernetes.io/not-a-container: unconfined
spec:
  containers:
  - {{name: c, image: x}}
"#
        )
    };
    assert_eq!(
        detail(&pod("docker/default"), Level::Baseline, "v1.18"),
        "seccompProfile (forbidden annotation container.seccomp.security.alpha.kubernetes.io/c=\"unconfined\")"
    );
    assert_eq!(
        detail(&pod("unconfined"), Level::Baseline, "v1.0"),
        "seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/c=\"unconfined\", \
         seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
    );
    // From v1.19 the fields are checked, not the annotations.
    assert_eq!(detail(&pod("unconfined"), Level::Baseline, "v1.19"), "");
}

#[test]
fn host_users_false_relaxations_in_v1_35() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  securityContext: {runAsNonRoot: false, runAsUser: 0, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, procMount: Unmasked}
"#;
    assert_eq!(
        ids(yaml, Level::Restricted, "v1.34"),
        vec!["procMount", "runAsNonRoot", "runAsUser"]
    );
    // v1.35: runAsNonRoot and runAsUser relax; restricted replaces procMount with
    // procMount_restricted, which does not relax.
    assert_eq!(
        ids(yaml, Level::Restricted, "v1.35"),
        vec!["procMount_restricted"]
    );
    assert_eq!(detail(yaml, Level::Baseline, "v1.35"), "");
    assert_eq!(
        detail(yaml, Level::Baseline, "v1.34"),
        "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")"
    );
    // With hostUsers true nothing relaxes.
    let host = yaml.replace("hostUsers: false", "hostUsers: true");
    assert_eq!(
        ids(&host, Level::Restricted, "v1.35"),
        vec!["procMount_restricted", "runAsNonRoot", "runAsUser"]
    );
}

#[test]
fn message_wording_edge_cases() {
    // hostPorts sorts port numbers as strings, as upstream does.
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    ports: [{containerPort: 1, hostPort: 9}, {containerPort: 2, hostPort: 10}, {containerPort: 3, hostPort: 9}]
"#;
    assert_eq!(
        detail(yaml, Level::Baseline, "latest"),
        "hostPort (container \"c\" uses hostPorts 10, 9)"
    );
    // A sysctl without a name: upstream's detail is empty, so no parentheses.
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {sysctls: [{value: "1"}]}
  containers: [{name: c, image: x}]
"#;
    assert_eq!(detail(yaml, Level::Baseline, "latest"), "forbidden sysctls");
    // Safe sysctls by version.
    assert!(!safe_sysctl("net.ipv4.tcp_notsent_lowat", 36));
    assert!(safe_sysctl("net.ipv4.tcp_notsent_lowat", 37));
    assert!(safe_sysctl("net.ipv4.ip_local_reserved_ports", 27));
    assert!(!safe_sysctl("net.ipv4.ip_local_reserved_ports", 26));
    // Go's %q.
    assert_eq!(
        go_quote("a\"b\\c\n\u{1}é\u{a0}"),
        "\"a\\\"b\\\\c\\n\\x01é\\u00a0\""
    );
}

#[test]
fn host_network_defaults_host_ports_and_empty_volumes_default_to_empty_dir() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  volumes: [{name: a}, {name: b, emptyDir: null}, {name: c, hostPath: {path: /}}]
  containers:
  - name: c
    image: x
    ports: [{containerPort: 8080}]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"#;
    assert_eq!(
        detail(yaml, Level::Restricted, "latest"),
        "host namespaces (hostNetwork=true), hostPort (container \"c\" uses hostPort 8080), \
         restricted volume types (volume \"c\" uses restricted volume type \"hostPath\")"
    );
}

#[test]
fn latest_resolves_to_the_cluster_minor() {
    assert_eq!(resolve_minor(PolicyVersion::Latest, None), LATEST_MINOR);
    assert_eq!(resolve_minor(PolicyVersion::Latest, Some(30)), 30);
    assert_eq!(resolve_minor(PolicyVersion::Minor(40), None), LATEST_MINOR);
    assert_eq!(resolve_minor(PolicyVersion::Minor(33), Some(30)), 30);
    assert_eq!(resolve_minor(PolicyVersion::Minor(20), Some(30)), 20);
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: "4096 87380 6291456"}]}
  containers: [{name: c, image: x}]
"#;
    let s = snap(yaml);
    let t = PodTemplate::of(&s.objects[0]).unwrap();
    assert!(evaluate(&t, Level::Baseline, PolicyVersion::Latest).is_empty());
    let old = evaluate_for_cluster(&t, Level::Baseline, PolicyVersion::Latest, Some(31));
    assert_eq!(
        format_denial(Level::Baseline, PolicyVersion::Latest, &old),
        "violates PodSecurity \"baseline:latest\": forbidden sysctls (net.ipv4.tcp_rmem)"
    );
    // A newer version than implemented is evaluated as the newest and printed as labelled.
    let newer = evaluate(&t, Level::Baseline, PolicyVersion::Minor(40));
    assert_eq!(
        format_denial(Level::Baseline, PolicyVersion::Minor(40), &newer),
        "violates PodSecurity \"baseline:v1.40\": "
    );
}

#[test]
fn check_table_matches_upstream_overrides() {
    let ids = |level, minor| {
        checks_for(level, minor)
            .map(CheckId::as_str)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(Level::Privileged, 37), Vec::<&str>::new());
    assert_eq!(ids(Level::Baseline, 0).len(), 11);
    assert_eq!(ids(Level::Baseline, 34).len(), 12);
    assert_eq!(
        ids(Level::Restricted, 37),
        vec![
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "procMount_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted"
        ]
    );
    assert!(ids(Level::Restricted, 18).contains(&"seccompProfile_baseline"));
    assert!(ids(Level::Restricted, 21).contains(&"capabilities_baseline"));
    assert!(!ids(Level::Restricted, 7).contains(&"allowPrivilegeEscalation"));
    for c in CheckId::ALL {
        assert_eq!(CheckId::parse(c.as_str()), Some(c));
        assert!(crate::registry::find(c.rule_name()).is_some(), "{c}");
    }
}

fn labels(pairs: &[(&str, &str)]) -> Option<NamespacePolicy> {
    policy_from_labels(
        |k| {
            pairs
                .iter()
                .find(|(key, _)| format!("pod-security.kubernetes.io/{key}") == k)
                .map(|(_, v)| *v)
        },
        LevelVersion::PRIVILEGED_LATEST,
    )
}

#[test]
fn namespace_labels_parse_as_upstream() {
    assert_eq!(labels(&[]), None);
    let p = labels(&[("enforce", "baseline"), ("enforce-version", "v1.30")]).unwrap();
    assert_eq!(
        p.enforce,
        LevelVersion::new(Level::Baseline, PolicyVersion::Minor(30))
    );
    assert_eq!(p.audit, LevelVersion::PRIVILEGED_LATEST);
    // warn follows an explicit, stricter enforce level (and its version).
    assert_eq!(
        p.warn,
        LevelVersion::new(Level::Baseline, PolicyVersion::Minor(30))
    );
    let p = labels(&[("enforce", "restricted"), ("warn-version", "v1.20")]).unwrap();
    assert_eq!(
        p.warn,
        LevelVersion::new(Level::Restricted, PolicyVersion::Minor(20))
    );
    let p = labels(&[("enforce", "baseline"), ("warn", "privileged")]).unwrap();
    assert_eq!(p.warn.level, Level::Privileged);
    // Invalid enforce level: restricted (fail closed), warn not raised.
    let p = labels(&[("enforce", "Baseline")]).unwrap();
    assert_eq!(p.enforce.level, Level::Restricted);
    assert_eq!(p.warn.level, Level::Privileged);
    assert_eq!(p.errors.len(), 1);
    // Invalid audit/warn level: privileged (fail open); invalid version: latest.
    let p = labels(&[
        ("audit", "strict"),
        ("warn", "x"),
        ("enforce-version", "1.30"),
        ("audit-version", "v1.030"),
    ])
    .unwrap();
    assert_eq!(p.audit, LevelVersion::PRIVILEGED_LATEST);
    assert_eq!(p.warn.level, Level::Privileged);
    assert_eq!(p.enforce.version, PolicyVersion::Latest);
    assert_eq!(p.errors.len(), 4);
    assert_eq!(
        namespace::parse_version("v1.0"),
        Some(PolicyVersion::Minor(0))
    );
    assert_eq!(namespace::parse_version("v2.1"), None);
    assert_eq!(namespace::parse_version("v1.99999999999999"), None);
}

const SHOP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: v1.30
---
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: shop}
spec:
  containers:
  - {name: web, image: x, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - {name: web, image: x, securityContext: {privileged: true}}
"#;

#[test]
fn namespace_modes_and_enforce_message() {
    let findings = run_with("pod-security", SHOP, &Settings::default());
    let priv_pod: Vec<_> = findings
        .iter()
        .filter(|f| f.object.name == "priv")
        .collect();
    let privileged = priv_pod
        .iter()
        .find(|f| f.rule == "privileged-container")
        .unwrap();
    assert_eq!(
        privileged.message,
        "privileged (container \"web\" must not set securityContext.privileged=true); namespace \"shop\" enforces \
         baseline:latest: the API server rejects this pod"
    );
    assert_eq!(
        privileged.path,
        "spec.containers[0].securityContext.privileged"
    );
    let info = privileged.pod_security.as_ref().unwrap();
    assert_eq!(
        (
            info.level.as_str(),
            info.policy.as_str(),
            info.version.as_str()
        ),
        ("baseline", "restricted:latest", "latest")
    );
    // audit has no label: it takes the default level (restricted:latest), not warn's.
    assert_eq!(info.modes, vec!["enforce", "audit", "warn"]);
    // A restricted-only problem: only warn, no enforce suffix.
    let ape = priv_pod
        .iter()
        .find(|f| f.rule == "privilege-escalation-allowed")
        .unwrap();
    assert_eq!(
        ape.message,
        "allowPrivilegeEscalation != false (container \"web\" must set securityContext.allowPrivilegeEscalation=false)"
    );
    assert_eq!(ape.path, "spec.containers[0].securityContext");
    assert_eq!(
        ape.pod_security.as_ref().unwrap().modes,
        vec!["audit", "warn"]
    );
    let dep = findings
        .iter()
        .find(|f| f.object.name == "web" && f.rule == "privileged-container")
        .unwrap();
    assert!(dep.message.ends_with(
        "; namespace \"shop\" enforces baseline:latest: pods of this Deployment would be rejected"
    ));
    assert_eq!(
        dep.path,
        "spec.template.spec.containers[0].securityContext.privileged"
    );
}

#[test]
fn privileged_namespaces_and_default_level() {
    let yaml = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: system
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: system}
spec:
  containers: [{name: c, image: x, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: elsewhere}
spec:
  containers: [{name: c, image: x, securityContext: {privileged: true}}]
"#;
    let findings = run_with("pod-security", yaml, &Settings::default());
    // In "system", enforce is privileged by label: the checks still apply under audit and
    // warn (unlabelled, so the default level), and one info finding says what enforce admits.
    let p: Vec<_> = findings.iter().filter(|f| f.object.name == "p").collect();
    let admits = p
        .iter()
        .find(|f| f.rule == "privileged-namespace-admits")
        .expect("info finding for the privileged namespace");
    assert_eq!(admits.severity, crate::finding::Severity::Info);
    assert!(
        admits.message.starts_with(
            "namespace \"system\" enforces privileged:latest, so the API server admits this pod although it violates baseline: privileged (container \"c\""
        ),
        "{}",
        admits.message
    );
    let p_priv = p
        .iter()
        .find(|f| f.rule == "privileged-container")
        .expect("privileged-container under audit and warn");
    assert_eq!(
        p_priv.pod_security.as_ref().unwrap().modes,
        vec!["audit", "warn"]
    );
    assert!(!p_priv.message.contains("enforces"), "{}", p_priv.message);
    let f = findings
        .iter()
        .find(|f| f.object.name == "q" && f.rule == "privileged-container")
        .unwrap();
    assert!(f.pod_security.as_ref().unwrap().modes.is_empty());
    assert_eq!(f.pod_security.as_ref().unwrap().level, "baseline");
    assert_eq!(f.pod_security.as_ref().unwrap().policy, "restricted:latest");
    // The default level from settings.
    let baseline = Settings {
        pod_security: (Level::Baseline, PolicyVersion::Latest),
        ..Settings::default()
    };
    let findings = run_with("pod-security", yaml, &baseline);
    let rules: Vec<_> = findings
        .iter()
        .map(|f| (f.object.name.as_str(), f.rule))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("p", "privileged-container"),
            ("p", "privileged-namespace-admits"),
            ("q", "privileged-container")
        ]
    );
    let privileged = Settings {
        pod_security: (Level::Privileged, PolicyVersion::Latest),
        ..Settings::default()
    };
    let rules: Vec<_> = run_with("pod-security", yaml, &privileged)
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, vec!["privileged-namespace-admits"]);
}

#[test]
fn wrong_types_are_treated_as_absent_without_panicking() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: [1, 2]}
spec:
  hostNetwork: "yes please"
  securityContext: "strict"
  volumes: {a: b}
  os: windows
  containers:
  - name: 7
    securityContext: {privileged: "true", capabilities: {add: [1, SYS_ADMIN], drop: "ALL"}, seLinuxOptions: [x]}
    ports: [{hostPort: "80"}, 5]
    livenessProbe: {httpGet: "x"}
  - "not a container"
  initContainers: {x: y}
"#;
    let s = snap(yaml);
    assert!(!s.errors.is_empty());
    let t = PodTemplate::of(&s.objects[0]).unwrap();
    for minor in [0, 18, 19, 25, 35, 37] {
        for level in [Level::Baseline, Level::Restricted] {
            let _ = evaluate(&t, level, PolicyVersion::Minor(minor));
        }
    }
    let d = format_detail(&evaluate(&t, Level::Baseline, PolicyVersion::Latest));
    assert_eq!(
        d,
        "non-default capabilities (container \"\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)"
    );
}

/// Every combination of present, absent and invalid `enforce` / `audit` / `warn` labels and
/// versions, under two defaults, judged end to end through a baseline check: the modes a
/// `hostPID` pod is reported under are exactly the modes whose resolved level is at least
/// baseline, with each mode resolved on its own (issue 7).
#[test]
fn every_label_combination_resolves_each_mode_on_its_own() {
    #[derive(Clone, Copy, Debug)]
    enum L {
        Absent,
        Valid(Level),
        Invalid,
    }
    let levels = [
        L::Absent,
        L::Valid(Level::Privileged),
        L::Valid(Level::Baseline),
        L::Valid(Level::Restricted),
        L::Invalid,
    ];
    let versions: [Option<&str>; 4] = [None, Some("v1.20"), Some("latest"), Some("1.20")];
    let name = |l: Level| l.as_str();
    // The spec, stated independently of the implementation (upstream PolicyToEvaluate plus
    // the warn default): an unlabelled mode takes the default; an invalid enforce level is
    // restricted, an invalid audit/warn level privileged; warn follows a valid, stricter enforce.
    let resolve = |e: L, a: L, w: L, ev: Option<&str>, default: Level| -> [Level; 3] {
        let pick = |l: L, invalid: Level| match l {
            L::Absent => default,
            L::Valid(x) => x,
            L::Invalid => invalid,
        };
        let enforce = pick(e, Level::Restricted);
        let audit = pick(a, Level::Privileged);
        let mut warn = pick(w, Level::Privileged);
        if matches!(w, L::Absent) && matches!(e, L::Valid(_)) && enforce > warn {
            warn = enforce;
        }
        let _ = ev; // versions do not change a baseline check's verdict on hostPID
        [enforce, audit, warn]
    };
    let mut checked = 0;
    for default in [Level::Restricted, Level::Privileged] {
        let settings = Settings {
            pod_security: (default, PolicyVersion::Latest),
            ..Settings::default()
        };
        for e in levels {
            for a in levels {
                for w in levels {
                    for ev in versions {
                        let mut labels = String::new();
                        let mut label = |k: &str, v: &str| {
                            labels
                                .push_str(&format!("    pod-security.kubernetes.io/{k}: \"{v}\"\n"))
                        };
                        for (k, l) in [("enforce", e), ("audit", a), ("warn", w)] {
                            match l {
                                L::Absent => {}
                                L::Valid(x) => label(k, name(x)),
                                L::Invalid => label(k, "Strict"),
                            }
                        }
                        if let Some(v) = ev {
                            label("enforce-version", v);
                            label("warn-version", v);
                        }
                        let yaml = format!(
                            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  labels:\n    team: shop\n{labels}---\n\
                             apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns}}\n\
                             spec:\n  hostPID: true\n  containers: [{{name: c, image: x}}]\n"
                        );
                        let findings = run_with("host-namespaces", &yaml, &settings);
                        let labelled = labels.contains("pod-security");
                        let expected: Vec<&str> = if labelled {
                            let r = resolve(e, a, w, ev, default);
                            Mode::ALL
                                .iter()
                                .zip(r)
                                .filter(|(_, l)| *l >= Level::Baseline)
                                .map(|(m, _)| m.as_str())
                                .collect()
                        } else {
                            Vec::new()
                        };
                        let fires_expected = if labelled {
                            !expected.is_empty()
                        } else {
                            default >= Level::Baseline
                        };
                        assert_eq!(
                            !findings.is_empty(),
                            fires_expected,
                            "labels:\n{labels}default {default:?}: {findings:#?}"
                        );
                        if let Some(f) = findings.first() {
                            assert_eq!(
                                f.pod_security.as_ref().unwrap().modes,
                                expected,
                                "labels:\n{labels}default {default:?}"
                            );
                            let enforce_says = f.message.contains("enforces");
                            assert_eq!(
                                enforce_says,
                                !matches!(e, L::Absent) && expected.contains(&"enforce"),
                                "labels:\n{labels}: {}",
                                f.message
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * 5 * 5 * 5 * 4);
}

/// Versions: each mode keeps its own version, `warn` takes enforce's version only when it
/// follows enforce's level and has no version label of its own.
#[test]
fn label_versions_per_mode() {
    let lv = |l, v| LevelVersion::new(l, v);
    let defaults = lv(Level::Baseline, PolicyVersion::Minor(30));
    let get = |pairs: &'static [(&'static str, &'static str)]| {
        policy_from_labels(
            move |k| {
                pairs
                    .iter()
                    .find(|(key, _)| format!("pod-security.kubernetes.io/{key}") == k)
                    .map(|(_, v)| *v)
            },
            defaults,
        )
        .unwrap()
    };
    let p = get(&[("warn", "privileged")]);
    assert_eq!(p.enforce, defaults);
    assert_eq!(p.audit, defaults);
    assert_eq!(p.warn, lv(Level::Privileged, PolicyVersion::Minor(30)));
    assert!(!p.enforce_labelled);
    let p = get(&[("enforce", "restricted"), ("enforce-version", "v1.25")]);
    assert_eq!(p.enforce, lv(Level::Restricted, PolicyVersion::Minor(25)));
    assert_eq!(p.warn, lv(Level::Restricted, PolicyVersion::Minor(25)));
    assert_eq!(p.audit, defaults);
    assert!(p.enforce_labelled);
    let p = get(&[
        ("enforce", "restricted"),
        ("enforce-version", "v1.25"),
        ("warn-version", "v1.22"),
    ]);
    assert_eq!(p.warn, lv(Level::Restricted, PolicyVersion::Minor(22)));
    // enforce not stricter than the default warn: warn keeps the default.
    let p = get(&[("enforce", "baseline"), ("enforce-version", "v1.25")]);
    assert_eq!(p.warn, defaults);
    // Only versions labelled: levels from the defaults.
    let p = get(&[("audit-version", "v1.10")]);
    assert_eq!(p.audit, lv(Level::Baseline, PolicyVersion::Minor(10)));
    assert_eq!(p.enforce, defaults);
}

#[test]
fn lower_case_drop_all_is_explained() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {capabilities: {drop: [all]}}}
  - {name: b, image: x, securityContext: {capabilities: {drop: [ALL]}}}
"#;
    let findings = run_with("capabilities-not-dropped", yaml, &Settings::default());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].message,
        "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]); \
         container \"a\" drops \"all\" in another case: Pod Security accepts only the exact value \"ALL\""
    );
    // the exact value: no hint
    let ok = run_with(
        "capabilities-not-dropped",
        &yaml.replace("drop: [all]", "drop: [ALL]"),
        &Settings::default(),
    );
    assert!(ok.is_empty(), "{ok:#?}");
}
