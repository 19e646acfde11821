//! `kubeward pss preview`: the dry run before tightening a namespace. Which pods and pod
//! templates of the input a namespace labelled `pod-security.kubernetes.io/enforce: LEVEL`
//! (and `enforce-version`) would reject, with the messages the admission plugin writes.
//! The same evaluator as `scan` and `serve`.

use kubeward_model::{effective_namespace, PodTemplate, Snapshot};
use kubeward_rules::pss::{self, LevelVersion};
use serde::Serialize;

/// One pod or pod template the level rejects.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `pod` (the API server rejects it) or `template` (a controller's pods would be
    /// rejected; the controller itself only gets a warning).
    pub what: &'static str,
    /// Upstream check ids that fail.
    pub checks: Vec<&'static str>,
    /// The admission plugin's message: `pods "web" is forbidden: violates PodSecurity ...` for
    /// a pod, `violates PodSecurity ...` for a template.
    pub message: String,
}

/// What a preview found.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    /// `restricted:latest`.
    pub level: String,
    /// Pods and templates judged.
    pub checked: usize,
    pub rejected: Vec<Rejected>,
}

/// Judges every pod and pod template of the snapshot in `namespaces` (all when empty) at
/// `level` (`latest` resolves to `kubernetes_minor` when given).
pub fn preview(
    snap: &Snapshot,
    level: LevelVersion,
    namespaces: &[String],
    kubernetes_minor: Option<u32>,
) -> Preview {
    let mut out = Preview {
        level: level.to_string(),
        checked: 0,
        rejected: Vec::new(),
    };
    for obj in &snap.objects {
        let Some(ns) = effective_namespace(obj) else {
            continue;
        };
        if !namespaces.is_empty() && !namespaces.iter().any(|n| n == ns) {
            continue;
        }
        let templates = PodTemplate::all(obj);
        if templates.is_empty() {
            continue;
        }
        out.checked += 1;
        let results: Vec<_> = templates
            .iter()
            .flat_map(|t| {
                pss::evaluate_for_cluster(t, level.level, level.version, kubernetes_minor)
            })
            .collect();
        if results.is_empty() {
            continue;
        }
        let is_pod = obj.kind() == "Pod";
        let denial = pss::format_denial(level.level, level.version, &results);
        let (file, pos) = snap.location(obj, &templates[0].spec_path);
        out.rejected.push(Rejected {
            namespace: ns.to_string(),
            kind: obj.kind().to_string(),
            name: obj.name().to_string(),
            file,
            line: pos.line,
            column: pos.col,
            what: if is_pod { "pod" } else { "template" },
            checks: results.iter().map(|r| r.id).collect(),
            message: if is_pod {
                format!("pods {:?} is forbidden: {denial}", obj.name())
            } else {
                denial
            },
        });
    }
    out
}

impl Preview {
    /// One line per rejected pod or template, then a summary line. Input text is escaped for
    /// the terminal.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for r in &self.rejected {
            let lead = if r.what == "pod" {
                String::new()
            } else {
                "its pods would be rejected: ".to_string()
            };
            let _ = writeln!(
                s,
                "{}:{}:{}: {}/{}/{}: {lead}{}",
                r.file, r.line, r.column, r.namespace, r.kind, r.name, r.message
            );
        }
        let _ = writeln!(
            s,
            "{} of {} pods and pod templates would be rejected by enforce {}",
            self.rejected.len(),
            self.checked,
            self.level
        );
        kubeward_io::terminal::escape_multiline(&s).into_owned()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_rules::{Level, PolicyVersion};

    const INPUT: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext: {privileged: true}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers: [{name: api, image: api}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: other}\nspec:\n  containers: [{name: app, image: nginx}]\n";

    #[test]
    fn lists_what_the_level_rejects_with_the_plugin_messages() {
        let snap = kubeward_model::load_str("in.yaml", INPUT);
        let p = preview(
            &snap,
            LevelVersion::new(Level::Baseline, PolicyVersion::Latest),
            &[],
            None,
        );
        assert_eq!(p.checked, 3);
        assert_eq!(p.rejected.len(), 2);
        assert_eq!(
            p.rejected[0].message,
            "pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)"
        );
        assert_eq!(p.rejected[0].line, 4);
        assert_eq!(p.rejected[1].what, "template");
        assert_eq!(p.rejected[1].checks, ["hostNamespaces"]);
        assert!(p.text().ends_with(
            "2 of 3 pods and pod templates would be rejected by enforce baseline:latest\n"
        ));
        let only = preview(
            &snap,
            LevelVersion::new(Level::Baseline, PolicyVersion::Latest),
            &["other".to_string()],
            None,
        );
        assert_eq!((only.checked, only.rejected.len()), (1, 0));
    }
}
