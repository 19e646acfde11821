//! The cluster's Pod Security defaults and exemptions, when the input holds the API server's
//! `AdmissionConfiguration` (`apiserver.config.k8s.io/v1`, a `PodSecurity` plugin entry with
//! an embedded `PodSecurityConfiguration`) or a `PodSecurityConfiguration`
//! (`pod-security.admission.config.k8s.io/v1`) on its own (the file a plugin's `path` names).
//!
//! They replace `--pod-security` (`Settings::pod_security`) for the modes a namespace does not
//! label: each mode takes its own default (`enforce`, `audit`, `warn` and their `-version`;
//! a missing level is `privileged`, a missing version `latest`, as upstream defaults them).
//! Pods in an exempt namespace, or whose `runtimeClassName` is exempt, are not judged
//! (`usernames` exemptions depend on who creates the pod and cannot be judged from files).
//!
//! Several configurations in one scan (a folder of several clusters) are combined on the
//! safe side: each mode takes the strictest default, and only exemptions that every
//! configuration grants apply.

use super::namespace::{parse_level, parse_version, LevelVersion};
use crate::rule::{Context, Level, PolicyVersion};
use kubeward_model::{Node, PodTemplate};

/// Pod Security defaults and exemptions read from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterPodSecurity {
    /// `[enforce, audit, warn]`.
    pub defaults: [LevelVersion; 3],
    pub exempt_namespaces: Vec<String>,
    pub exempt_runtime_classes: Vec<String>,
}

impl ClusterPodSecurity {
    /// Whether the admission plugin skips this pod template.
    pub fn exempts(&self, namespace: Option<&str>, t: &PodTemplate<'_>) -> bool {
        namespace.is_some_and(|ns| self.exempt_namespaces.iter().any(|e| e == ns))
            || t.spec
                .str_at("runtimeClassName")
                .is_some_and(|rc| self.exempt_runtime_classes.iter().any(|e| e == rc))
    }
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_string)
        .collect()
}

/// One `PodSecurityConfiguration` body.
fn read(cfg: &Node) -> ClusterPodSecurity {
    let d = cfg.get("defaults");
    let get = |k: &str| d.and_then(|d| d.str_at(k));
    let mode = |level: &str, version: &str| {
        LevelVersion::new(
            // an invalid level is rejected by the API server; kubeward judges it as the
            // namespace labels' enforce fallback does: restricted (fail closed)
            get(level).map_or(Level::Privileged, |l| {
                parse_level(l).unwrap_or(Level::Restricted)
            }),
            get(version).map_or(PolicyVersion::Latest, |v| {
                parse_version(v).unwrap_or(PolicyVersion::Latest)
            }),
        )
    };
    let ex = cfg.get("exemptions");
    ClusterPodSecurity {
        defaults: [
            mode("enforce", "enforce-version"),
            mode("audit", "audit-version"),
            mode("warn", "warn-version"),
        ],
        exempt_namespaces: strings(ex.and_then(|e| e.get("namespaces"))),
        exempt_runtime_classes: strings(ex.and_then(|e| e.get("runtimeClasses"))),
    }
}

/// The stricter of two defaults: the higher level; on equal levels the newer version
/// (`latest` is newest).
fn stricter(a: LevelVersion, b: LevelVersion) -> LevelVersion {
    if (b.level, b.version) > (a.level, a.version) {
        b
    } else {
        a
    }
}

/// The Pod Security configuration of the input, `None` when it has none.
pub fn cluster_pod_security(cx: &Context<'_>) -> Option<ClusterPodSecurity> {
    let mut found: Vec<ClusterPodSecurity> = Vec::new();
    for o in cx.index.of_kind("AdmissionConfiguration") {
        if !o.oref.api_version.starts_with("apiserver.config.k8s.io/") {
            continue;
        }
        for p in o.root.get("plugins").map(Node::items).unwrap_or(&[]) {
            if p.str_at("name") != Some("PodSecurity") {
                continue;
            }
            if let Some(c) = p.get("configuration") {
                found.push(read(c));
            }
        }
    }
    for o in cx.index.of_kind("PodSecurityConfiguration") {
        if o.oref
            .api_version
            .starts_with("pod-security.admission.config.k8s.io/")
        {
            found.push(read(&o.root));
        }
    }
    let first = found.first()?.clone();
    Some(found.iter().skip(1).fold(first, |acc, c| {
        ClusterPodSecurity {
            defaults: [0, 1, 2].map(|i| stricter(acc.defaults[i], c.defaults[i])),
            exempt_namespaces: acc
                .exempt_namespaces
                .into_iter()
                .filter(|n| c.exempt_namespaces.contains(n))
                .collect(),
            exempt_runtime_classes: acc
                .exempt_runtime_classes
                .into_iter()
                .filter(|n| c.exempt_runtime_classes.contains(n))
                .collect(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use crate::engine;
    use crate::rule::Settings;
    use kubeward_model::load_str;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: kata, namespace: app}\nspec:\n  runtimeClassName: kata\n  hostNetwork: true\n  containers: [{name: c, image: nginx}]\n";

    fn admission(defaults: &str, exemptions: &str) -> String {
        format!("---\napiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults: {defaults}\n    exemptions: {exemptions}\n")
    }

    /// (rule, pod, modes) of every Pod Security finding.
    fn findings(text: &str) -> Vec<(String, String, Vec<String>)> {
        let snap = load_str("t.yaml", text);
        assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        engine::analyze(&snap, &Settings::default(), &|m| {
            m.domain == crate::rule::Domain::PodSecurity
        })
        .into_iter()
        .map(|f| {
            let modes = f.pod_security.map(|p| p.modes).unwrap_or_default();
            (f.rule.to_string(), f.object.name, modes)
        })
        .collect()
    }

    #[test]
    fn admission_defaults_replace_the_scan_default_mode_by_mode() {
        let text = format!(
            "{POD}{}",
            admission(
                "{enforce: baseline, audit: restricted, warn: restricted}",
                "{}"
            )
        );
        let got = findings(&text);
        let host = got
            .iter()
            .find(|f| f.0 == "host-namespaces" && f.1 == "p")
            .expect("baseline check fails");
        assert_eq!(host.2, ["enforce", "audit", "warn"]);
        let non_root = got
            .iter()
            .find(|f| f.0 == "run-as-non-root-not-set" && f.1 == "p")
            .expect("restricted check fails");
        assert_eq!(non_root.2, ["audit", "warn"], "enforce is only baseline");
        // without the configuration: one level for every mode, no modes named
        let plain = findings(POD);
        assert!(plain.iter().all(|f| f.2.is_empty()));
        assert!(plain.iter().any(|f| f.0 == "run-as-non-root-not-set"));
    }

    #[test]
    fn privileged_defaults_and_exemptions_judge_nothing() {
        // a stock API server: every mode privileged (missing levels default to privileged)
        assert!(findings(&format!("{POD}{}", admission("{}", "{}"))).is_empty());
        let exempt_ns = admission(
            "{enforce: restricted, enforce-version: v1.30}",
            "{namespaces: [app]}",
        );
        assert!(findings(&format!("{POD}{exempt_ns}")).is_empty());
        let exempt_rc = admission("{enforce: baseline}", "{runtimeClasses: [kata]}");
        let got = findings(&format!("{POD}{exempt_rc}"));
        assert!(got.iter().all(|f| f.1 == "p"), "{got:?}");
        assert!(got.iter().any(|f| f.0 == "host-namespaces"));
    }

    #[test]
    fn several_configurations_take_the_strictest_and_common_exemptions() {
        let text = format!(
            "{POD}{}{}---\napiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {{enforce: privileged}}\nexemptions: {{runtimeClasses: [kata]}}\n",
            admission("{enforce: baseline}", "{runtimeClasses: [kata, gvisor]}"),
            admission(
                "{audit: restricted}",
                "{namespaces: [app], runtimeClasses: [kata]}"
            ),
        );
        let snap = load_str("t.yaml", &text);
        let index = kubeward_model::Index::new(&snap);
        let settings = Settings::default();
        let cx = crate::rule::Context::new(&snap, &index, &settings, None);
        let c = super::cluster_pod_security(&cx).expect("configured");
        assert_eq!(c.defaults[0].to_string(), "baseline:latest");
        assert_eq!(c.defaults[1].to_string(), "restricted:latest");
        assert_eq!(c.defaults[2].to_string(), "privileged:latest");
        assert!(c.exempt_namespaces.is_empty());
        assert_eq!(c.exempt_runtime_classes, ["kata"]);
    }
}
