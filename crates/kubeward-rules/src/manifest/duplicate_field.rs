use crate::declare_rule;
use crate::finding::{fingerprint, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// A key is written twice in one mapping: the second hides the first.
    ///
    /// ## What it does
    /// Reports every key that appears a second time in the same mapping of an object, in YAML
    /// and JSON alike and at any depth, at the repeated key, naming the earlier key
    /// (`line:col`) whose value it hides. kubeward, like the API server's default decoding,
    /// analyses the object with the last value; this finding says that a first one existed.
    /// Keys brought in by a YAML merge (`<<: *defaults`) are not repeats: a mapping's own keys
    /// override merged ones by design. Each repeat is also an input error (exit code 2) at
    /// the same position.
    ///
    /// ## Why it matters
    /// YAML and JSON require the keys of a mapping to be unique, but readers disagree on what
    /// to do when they are not: the API server's default field validation (`Warn`) and
    /// `kubectl apply --validate=false` keep the last value, some YAML libraries keep the first,
    /// others refuse the file. A second `securityContext:` forty lines below the first lets a
    /// reviewer, a policy engine or a scanner read `privileged: false` while the cluster runs
    /// the container privileged. Strict field validation (`kubectl --validate=strict`, the
    /// `fieldValidation=Strict` API parameter) rejects such an object: no legitimate manifest
    /// needs one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: registry.example/web:1.0
    ///     securityContext:          # what a reviewer reads
    ///       privileged: false
    ///     securityContext:          # what the API server keeps
    ///       privileged: true
    /// ```
    /// `duplicate-field` reports the second `securityContext` (it hides the one at 8:5), and
    /// `privileged-container` reports the privileged container the cluster would run.
    ///
    /// ## Fix
    /// Keep one key: merge the two values into it, or delete the one that is not meant. Find
    /// repeats before they reach a cluster with `kubectl apply --dry-run=server
    /// --validate=strict` or `yamllint` (rule `key-duplicates`).
    ///
    /// ## References
    /// - Kubernetes API concepts, "Field validation":
    ///   <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    /// - YAML 1.2.2, 3.2.1.1 "Nodes": the keys of a mapping are unique
    /// - RFC 8259, section 4: the names within a JSON object should be unique, and
    ///   implementations differ when they are not
    pub struct DuplicateField {
        name: "duplicate-field",
        domain: Manifest,
        severity: High,
        summary: "A key is repeated in one mapping, hiding its first value",
    }
}

impl Rule for DuplicateField {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for d in &cx.snapshot.duplicates {
            let obj = cx.snapshot.object(d.object);
            // the position is known: made at the root (locating a key walks its mapping,
            // quadratic over the repeats of one huge mapping), then moved to the repeat, which
            // a third repeat of the same key would not be found at by its path anyway
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                obj,
                &FieldPath::root(),
                format!(
                    "{:?} is repeated here and hides the earlier {:?} at {}:{}: the API server's default decoding keeps only this last value (strict field validation rejects the object), so whoever reads the first sees another object than the cluster runs",
                    d.key, d.key, d.first.line, d.first.col
                ),
                format!(
                    "keep one {:?} key: merge the two values, or delete the one that is not meant",
                    d.key
                ),
            );
            f.path = d.path.to_string();
            f.fingerprint = fingerprint(Self::META.name, &obj.oref, d.path.as_str());
            f.location.line = d.second.line;
            f.location.column = d.second.col;
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Settings;

    #[test]
    fn each_repeat_is_reported_where_it_is_with_the_path_fingerprint() {
        let snap = kubeward_model::load_str(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: 1\n  a: 2\n  a: 3\n",
        );
        let f = crate::engine::analyze(&snap, &Settings::default(), &|m| {
            m.name == DuplicateField::META.name
        });
        let at: Vec<_> = f
            .iter()
            .map(|f| (f.location.line, f.location.column, f.path.as_str()))
            .collect();
        assert_eq!(at, vec![(6, 3, "data.a"), (7, 3, "data.a")]);
        assert!(
            f[0].message.contains("earlier \"a\" at 5:3"),
            "{}",
            f[0].message
        );
        assert!(
            f[1].message.contains("earlier \"a\" at 6:3"),
            "{}",
            f[1].message
        );
        assert_eq!(
            f[0].fingerprint,
            fingerprint("duplicate-field", &snap.objects[0].oref, "data.a")
        );
    }
}
