use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, Index, Node, Object, PodTemplate, Selector};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports a workload of a service mesh whose inbound traffic is not restricted to
    /// mutual TLS, and a workload that opts out of the mesh in a namespace that is in it.
    ///
    /// **Istio.** The mTLS mode of a pod template is resolved as Istio resolves
    /// `PeerAuthentication` (`security.istio.io/v1` and `v1beta1`): the policy of the
    /// workload (same namespace, `selector.matchLabels` matching the pod's labels), else the
    /// namespace's (no selector), else the mesh's (no selector, in the root namespace
    /// `istio-system`); a mode of `UNSET` or none inherits from the next level, and with no
    /// policy at all the mode is Istio's default `PERMISSIVE`. `portLevelMtls` of the
    /// workload policy sets a mode per port (`UNSET` inherits the workload's). It reports a
    /// mode other than `STRICT` (`PERMISSIVE` accepts plaintext, `DISABLE` turns mTLS off),
    /// naming the deciding policy and the ports. When several policies compete at one level
    /// Istio takes the oldest; the input has no creation times, so the first by name is taken.
    /// A pod template is in the mesh when it has an `istio-proxy` container, the label or
    /// annotation `sidecar.istio.io/inject: "true"`, or its Namespace object is labelled
    /// `istio-injection: enabled`, `istio.io/rev` or `istio.io/dataplane-mode: ambient`;
    /// `sidecar.istio.io/inject: "false"` (or `istio.io/dataplane-mode: none`) in such a
    /// namespace opts it out and is reported as plaintext.
    ///
    /// **Linkerd.** Meshed workloads (a `linkerd-proxy` container, or `linkerd.io/inject:
    /// enabled|ingress` on the pod template or its Namespace) are judged by
    /// `config.linkerd.io/default-inbound-policy` (pod template first, then Namespace):
    /// `all-authenticated`, `cluster-authenticated` and `deny` only admit mTLS-authenticated
    /// clients; `all-unauthenticated` (Linkerd's default), `cluster-unauthenticated` and
    /// `audit` also admit plaintext and are reported. `linkerd.io/inject: disabled` on a pod
    /// template in an injected namespace opts it out and is reported.
    ///
    /// **When a mesh counts as present.** Clusters without mesh resources are never
    /// reported: a workload is judged only when it is in a mesh by the signs above, and a
    /// default (no PeerAuthentication for the workload, no inbound-policy annotation) is
    /// applied only when the input holds the mesh's configuration — a PeerAuthentication or
    /// the `istio-system` namespace for Istio, the `linkerd` namespace for Linkerd. Otherwise
    /// the mesh-wide settings are elsewhere, and guessing them would be noise. Linkerd's
    /// `Server` and `AuthorizationPolicy` resources, which can tighten a port, are not read.
    ///
    /// ## Why it matters
    /// A mesh in permissive mode still accepts plaintext connections: any pod, meshed or not,
    /// can talk to the workload without a client identity, so the mesh's authorization
    /// policies are bypassed and traffic can be read or spoofed on the network. Teams adopt a
    /// mesh for encryption and identity, and permissive mode (the default of both meshes)
    /// silently keeps neither promise.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: istio-system}
    /// spec:
    ///   mtls: {mode: PERMISSIVE}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata:
    ///       labels: {app: web, sidecar.istio.io/inject: "true"}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Istio: a mesh-wide `PeerAuthentication` in `istio-system` with `mtls: {mode:
    /// STRICT}` once every client is meshed, and no namespace, workload or port policy that
    /// relaxes it. Linkerd: `config.linkerd.io/default-inbound-policy: all-authenticated` on
    /// the namespace (or `cluster-authenticated`), or the install value
    /// `proxy.defaultInboundPolicy`.
    ///
    /// ## References
    /// - Istio documentation: "PeerAuthentication", "Mutual TLS Migration"
    /// - Linkerd documentation: "Authorization Policy" (default policies)
    /// - NIST SP 800-204A: "Building Secure Microservices-based Applications Using
    ///   Service-Mesh Architecture"
    /// - MITRE ATT&CK for Containers: T1557 Adversary-in-the-Middle
    pub struct MeshMtlsNotStrict {
        name: "mesh-mtls-not-strict",
        domain: Network,
        severity: Medium,
        summary: "Workload in a service mesh accepts traffic without STRICT mTLS",
    }
}

const ISTIO_ROOT: &str = "istio-system";
const LINKERD_NS: &str = "linkerd";
const LINKERD_POLICY: &str = "config.linkerd.io/default-inbound-policy";
const LINKERD_STRICT: &[&str] = &["all-authenticated", "cluster-authenticated", "deny"];

/// Whether a namespace is present in the input: its Namespace object or an object in it.
fn namespace_present(index: &Index<'_>, ns: &str) -> bool {
    index.namespace(ns).is_some()
        || index
            .snapshot
            .objects
            .iter()
            .any(|o| o.namespace() == Some(ns))
}

/// A label of the pod template, or else its annotation.
fn pod_setting<'a>(t: &PodTemplate<'a>, key: &str) -> Option<&'a str> {
    t.meta
        .get("labels")
        .and_then(|l| l.str_at(key))
        .or_else(|| t.annotation(key))
}

fn has_container(t: &PodTemplate<'_>, name: &str) -> bool {
    t.containers().iter().any(|c| c.name == name)
}

/// The mode a PeerAuthentication sets at its level (`UNSET` when none).
fn mode_of(node: Option<&Node>) -> String {
    node.and_then(|m| m.str_at("mode"))
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "UNSET".to_string())
}

/// The workload selector of a PeerAuthentication, when it has a non-empty one.
fn pa_selector(pa: &Object) -> Option<Selector> {
    let s = Selector::from_map(pa.spec().get("selector")?.get("matchLabels")?);
    (!s.is_empty()).then_some(s)
}

enum Membership {
    In,
    OptedOut(String),
    Out,
}

impl Rule for MeshMtlsNotStrict {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let index = cx.index;
        let mut pas: Vec<&Object> = index
            .of_kind("PeerAuthentication")
            .filter(|o| o.oref.group() == "security.istio.io")
            .collect();
        pas.sort_by(|a, b| a.name().cmp(b.name()));
        let mut by_ns: HashMap<Option<&str>, Vec<&Object>> = HashMap::new();
        for pa in &pas {
            by_ns.entry(effective_namespace(pa)).or_default().push(pa);
        }
        let istio_config = !pas.is_empty() || namespace_present(index, ISTIO_ROOT);
        let linkerd_config = namespace_present(index, LINKERD_NS);
        let ns_label = |ns: Option<&str>, key: &str| -> Option<String> {
            let o = index.namespace(ns.unwrap_or("default"))?;
            o.labels()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        let ns_annotation = |ns: Option<&str>, key: &str| -> Option<String> {
            index
                .namespace(ns.unwrap_or("default"))?
                .annotation(key)
                .map(str::to_string)
        };
        let namespace_level = |ns: Option<&str>| -> Option<&Object> {
            by_ns
                .get(&ns)?
                .iter()
                .copied()
                .find(|pa| pa_selector(pa).is_none())
        };
        let mesh_level = namespace_level(Some(ISTIO_ROOT));
        for t in index.pod_templates() {
            if t.spec.is_null() || t.host_network() {
                continue;
            }
            let ns = effective_namespace(t.object);
            let what = format!("{} {}", t.object.kind(), t.object.name());
            // Istio membership
            let inject = pod_setting(t, "sidecar.istio.io/inject").map(str::to_ascii_lowercase);
            let ns_injected = ns_label(ns, "istio-injection").as_deref() == Some("enabled")
                || ns_label(ns, "istio.io/rev").is_some();
            let ns_ambient = ns_label(ns, "istio.io/dataplane-mode").as_deref() == Some("ambient");
            let istio = if has_container(t, "istio-proxy") || inject.as_deref() == Some("true") {
                Membership::In
            } else if ns_injected && inject.as_deref() == Some("false") {
                Membership::OptedOut("sidecar.istio.io/inject: \"false\"".into())
            } else if ns_ambient && pod_setting(t, "istio.io/dataplane-mode") == Some("none") {
                Membership::OptedOut("istio.io/dataplane-mode: none".into())
            } else if ns_injected || ns_ambient {
                Membership::In
            } else {
                Membership::Out
            };
            let mut problems: Vec<String> = Vec::new();
            let mut related: Vec<&Object> = Vec::new();
            match istio {
                Membership::OptedOut(how) => problems.push(format!(
                    "opts out of the Istio mesh of namespace {} ({how}): its traffic is plaintext",
                    ns.unwrap_or("default")
                )),
                Membership::In => {
                    let label = |k: &str| t.meta.get("labels").and_then(|l| l.str_at(k));
                    let workload = by_ns.get(&ns).and_then(|v| {
                        v.iter()
                            .copied()
                            .find(|pa| pa_selector(pa).is_some_and(|s| s.matches(label)))
                    });
                    let spec_mtls = |pa: &Object| mode_of(pa.spec().get("mtls"));
                    // (mode, source) through the levels
                    let mut levels: Vec<(&Object, &str)> = Vec::new();
                    if let Some(w) = workload {
                        levels.push((w, "workload"));
                    }
                    if let Some(n) = namespace_level(ns) {
                        levels.push((n, "namespace-wide"));
                    }
                    if let Some(m) = mesh_level.filter(|_| ns != Some(ISTIO_ROOT)) {
                        levels.push((m, "mesh-wide"));
                    }
                    let decided = levels
                        .iter()
                        .find(|(pa, _)| spec_mtls(pa) != "UNSET")
                        .map(|(pa, level)| (spec_mtls(pa), *pa, *level));
                    let mode = decided
                        .as_ref()
                        .map_or("PERMISSIVE".to_string(), |d| d.0.clone());
                    if decided.is_none() && !istio_config {
                        // the mesh's configuration is not in the input: not judged
                    } else {
                        if mode != "STRICT" {
                            problems.push(match &decided {
                                Some((m, pa, level)) => {
                                    related.push(pa);
                                    format!(
                                        "Istio mTLS mode is {m} (PeerAuthentication {}/{}, {level})",
                                        effective_namespace(pa).unwrap_or("default"),
                                        pa.name()
                                    )
                                }
                                None => "Istio mTLS mode is PERMISSIVE (no PeerAuthentication applies: Istio's default)".to_string(),
                            });
                        }
                        if let Some(w) = workload {
                            let ports = w
                                .spec()
                                .get("portLevelMtls")
                                .map(Node::entries)
                                .unwrap_or(&[]);
                            let loose: Vec<String> = ports
                                .iter()
                                .filter_map(|e| {
                                    let m = mode_of(Some(&e.value));
                                    let m = if m == "UNSET" { mode.clone() } else { m };
                                    (m != "STRICT").then(|| format!("{} {m}", e.key))
                                })
                                .collect();
                            if !loose.is_empty() && mode == "STRICT" {
                                related.push(w);
                                problems.push(format!(
                                    "Istio portLevelMtls of PeerAuthentication {}/{} relaxes port(s) {}",
                                    ns.unwrap_or("default"),
                                    w.name(),
                                    crate::finding::bounded_list(&loose)
                                ));
                            }
                        }
                    }
                }
                Membership::Out => {}
            }
            // Linkerd membership
            let l_inject = t
                .annotation("linkerd.io/inject")
                .map(str::to_ascii_lowercase);
            let ns_l_inject =
                ns_annotation(ns, "linkerd.io/inject").map(|s| s.to_ascii_lowercase());
            let ns_l_meshed = matches!(ns_l_inject.as_deref(), Some("enabled" | "ingress"));
            if has_container(t, "linkerd-proxy")
                || matches!(l_inject.as_deref(), Some("enabled" | "ingress"))
                || (ns_l_meshed && l_inject.as_deref() != Some("disabled"))
            {
                let pod_policy = t.annotation(LINKERD_POLICY).map(str::to_string);
                let (policy, source) = match (pod_policy, ns_annotation(ns, LINKERD_POLICY)) {
                    (Some(p), _) => (Some(p), "pod template annotation"),
                    (None, Some(p)) => (Some(p), "Namespace annotation"),
                    (None, None) => (None, "Linkerd's default"),
                };
                match policy {
                    Some(p) if LINKERD_STRICT.contains(&p.trim()) => {}
                    None if !linkerd_config => {}
                    p => problems.push(format!(
                        "Linkerd default inbound policy is {} ({source}): plaintext clients are admitted",
                        p.as_deref().unwrap_or("all-unauthenticated")
                    )),
                }
            } else if ns_l_meshed && l_inject.as_deref() == Some("disabled") {
                problems.push(format!(
                    "opts out of the Linkerd mesh of namespace {} (linkerd.io/inject: disabled): its traffic is plaintext",
                    ns.unwrap_or("default")
                ));
            }
            if problems.is_empty() {
                continue;
            }
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.meta_path,
                format!("{what} accepts traffic without STRICT mTLS: {}", problems.join("; ")),
                "Require mTLS: Istio PeerAuthentication mode STRICT (mesh-wide, without relaxing namespace, workload or port policies); Linkerd default-inbound-policy all-authenticated; keep the workload in the mesh.",
            );
            f.set_related(related.iter().map(|o| &o.oref));
            out.push(f);
        }
    }
}
