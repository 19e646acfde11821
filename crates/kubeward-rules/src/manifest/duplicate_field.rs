use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

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
        domain: "manifest",
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
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                obj,
                &d.path,
                format!(
                    "{:?} is repeated here and hides the earlier {:?} at {}:{}: the API server's default decoding keeps only this last value (strict field validation rejects the object), so whoever reads the first sees another object than the cluster runs",
                    d.key, d.key, d.first.line, d.first.col
                ),
                format!(
                    "keep one {:?} key: merge the two values, or delete the one that is not meant",
                    d.key
                ),
            );
            // the path leads to the kept entry; a third repeat has the same path, so point at
            // this repeat itself
            f.location.line = d.second.line;
            f.location.column = d.second.col;
            out.push(f);
        }
    }
}
