//! Small helpers shared by the network rules.

use kubeward_model::{effective_namespace, Index, Object, PodTemplate, Selector};

/// `spec.type` of a Service (`ClusterIP` when unset).
pub fn service_type(svc: &Object) -> &str {
    svc.spec().str_at("type").unwrap_or("ClusterIP")
}

/// Whether the input holds at least one pod template in `namespace`: only then can a
/// selector be said to select nothing.
pub fn has_pods_in(index: &Index<'_>, namespace: Option<&str>) -> bool {
    index
        .pod_templates()
        .iter()
        .any(|t| effective_namespace(t.object) == namespace)
}

/// Pod templates of `namespace` a selector matches.
pub fn selected<'a, 's>(
    index: &'a Index<'s>,
    namespace: Option<&'a str>,
    sel: &'a Selector,
) -> impl Iterator<Item = &'a PodTemplate<'s>> + 'a {
    index.select_pods(namespace, sel)
}

/// `app=web, tier in (a,b)` for messages.
pub fn describe_selector(sel: &Selector) -> String {
    let mut parts: Vec<String> = sel.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for r in &sel.expressions {
        parts.push(match r.operator.as_str() {
            "Exists" => r.key.clone(),
            "DoesNotExist" => format!("!{}", r.key),
            op => format!("{} {} ({})", r.key, op.to_lowercase(), r.values.join(",")),
        });
    }
    parts.join(", ")
}
