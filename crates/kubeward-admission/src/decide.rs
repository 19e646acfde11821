//! The decision: one AdmissionReview body in, one answer out. Pure: no clock (the day is given),
//! no I/O, no state but what the caller passes (the namespace labels it knows); the server,
//! `pss preview` and the tests call the same function.
//!
//! Pod Security follows the admission plugin (`pod-security-admission/admission`): requests
//! are routed by resource (namespaces, pods, anything else as a pod controller); pods are
//! judged in `enforce`, `audit` and `warn` mode, controllers only in `audit` and `warn`; pod
//! subresources other than `exec`, `attach`, `binding`, `eviction`, `log`, `portforward`,
//! `proxy` and `status` are judged as the pod (`ephemeralcontainers`, `resize`), controller
//! and namespace subresources are not; a pod UPDATE is judged again only when an image, the
//! number of containers, a seccomp annotation or the ephemeral containers change; exemptions by
//! namespace, user and runtime class; namespace label values are validated on CREATE and on
//! UPDATE when they change. The rest of the catalogue then runs on the object, each rule with
//! the action the configuration gives it.

use crate::config::{Action, Config, FailurePolicy};
use crate::date::Date;
use crate::review::{salvage_uid, Request, Response, ReviewIn, API_VERSION, KIND, MAX_UID_LEN};
use crate::warnings;
use kubeward_model::{load_str, Index, Object, PodTemplate, Snapshot};
use kubeward_rules::pss::{self, CheckResult, LevelVersion, NamespacePolicy};
use kubeward_rules::{Context, Finding, Level, PolicyVersion, Rule, Settings};
use std::collections::{BTreeMap, HashMap};

/// Audit annotation keys. The API server records each as `<webhook name>/<key>`, so they hold
/// no `/` (the Pod Security plugin's keys: `enforce-policy`, `audit-violations`, `exempt`,
/// `error`).
pub mod annotation {
    pub const ENFORCE_POLICY: &str = "enforce-policy";
    pub const AUDIT_VIOLATIONS: &str = "audit-violations";
    pub const EXEMPT: &str = "exempt";
    pub const ERROR: &str = "error";
    /// kubeward rules whose action is `audit` or `warn` (`rule: message; ...`).
    pub const RULE_VIOLATIONS: &str = "rule-violations";
    /// Exceptions that let a finding through.
    pub const EXCEPTIONS: &str = "exceptions";
    /// Exceptions past their date that no longer let a finding through.
    pub const EXPIRED_EXCEPTIONS: &str = "expired-exceptions";
}

/// Pod subresources the Pod Security plugin does not judge; any other is a pod.
pub const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// What a request was, for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Pod,
    Controller,
    Namespace,
    /// Not judged (another operation, an ignored subresource, an object without pods).
    Other,
    /// Not a usable AdmissionReview.
    Invalid,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Pod => "pod",
            Class::Controller => "controller",
            Class::Namespace => "namespace",
            Class::Other => "other",
            Class::Invalid => "invalid",
        }
    }
}

/// What the caller's namespace cache should learn from an allowed Namespace request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceUpdate {
    Set(String, BTreeMap<String, String>),
    Remove(String),
}

/// The answer and what it was made of.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The response, `uid` filled in.
    pub response: Response,
    /// 200 for every AdmissionReview the webhook could read; 400 for a body that is not one
    /// (the body is still an AdmissionReview with the uid when one could be read).
    pub http_status: u16,
    pub class: Class,
    pub operation: String,
    pub namespace: String,
    pub name: String,
    pub dry_run: bool,
    /// kubeward rules that fired, with the action taken (exceptions applied).
    pub rules: Vec<(&'static str, Action)>,
    /// Pod Security modes that found violations (`enforce` means denied).
    pub pod_security: Vec<&'static str>,
    pub namespace_update: Option<NamespaceUpdate>,
    /// Why the request could not be judged, for the error metric.
    pub error: Option<&'static str>,
}

impl Decision {
    fn new(class: Class, response: Response) -> Self {
        Decision {
            response,
            http_status: 200,
            class,
            operation: String::new(),
            namespace: String::new(),
            name: String::new(),
            dry_run: false,
            rules: Vec::new(),
            pod_security: Vec::new(),
            namespace_update: None,
            error: None,
        }
    }
}

/// Namespace labels the caller knows (Namespace objects it was shown, the configuration).
pub trait NamespaceLabels {
    fn labels(&self, namespace: &str) -> Option<BTreeMap<String, String>>;
}

impl NamespaceLabels for HashMap<String, BTreeMap<String, String>> {
    fn labels(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        self.get(namespace).cloned()
    }
}

/// The decision core: the configuration and the rules it runs.
pub struct Webhook {
    pub config: Config,
    rules: Vec<&'static dyn Rule>,
    settings: Settings,
}

impl Webhook {
    pub fn new(config: Config) -> Self {
        let settings = Settings {
            pod_security: (Level::Privileged, PolicyVersion::Latest),
            kubernetes_minor: config.kubernetes_minor,
        };
        Webhook {
            rules: kubeward_rules::registry::all()
                .into_iter()
                .filter(|r| crate::config::admissible(r.meta()))
                .collect(),
            config,
            settings,
        }
    }

    /// Decides one AdmissionReview body. `today` dates the exceptions; `labels` are the
    /// namespace labels the caller knows, which the configuration's complete.
    pub fn decide(&self, body: &[u8], labels: &dyn NamespaceLabels, today: Date) -> Decision {
        let review: ReviewIn<'_> = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => {
                return bad_review(
                    salvage_uid(body),
                    format!("the body is not an AdmissionReview: {e}"),
                    "malformed",
                )
            }
        };
        let uid = review.request.as_ref().and_then(|r| r.uid.clone());
        if review.api_version.as_deref() != Some(API_VERSION)
            || review.kind.as_deref() != Some(KIND)
        {
            return bad_review(
                uid,
                format!(
                    "expected apiVersion {API_VERSION:?} and kind {KIND:?}, got {:?} and {:?}",
                    review.api_version.as_deref().unwrap_or(""),
                    review.kind.as_deref().unwrap_or("")
                ),
                "version",
            );
        }
        let Some(req) = review.request else {
            return bad_review(
                None,
                "the AdmissionReview has no request".into(),
                "malformed",
            );
        };
        let Some(uid) = req
            .uid
            .clone()
            .filter(|u| !u.is_empty() && u.len() <= MAX_UID_LEN)
        else {
            return bad_review(
                None,
                format!("the request has no uid (or one over {MAX_UID_LEN} characters)"),
                "malformed",
            );
        };
        let mut d = self.route(&req, labels, today);
        d.response.uid = uid;
        d.operation = req.operation.clone();
        d.namespace = req.namespace.clone();
        if d.name.is_empty() {
            d.name = req.name.clone();
        }
        d.dry_run = req.dry_run == Some(true);
        if d.dry_run || !d.response.allowed {
            // a dry run changes nothing, a denied request neither
            d.namespace_update = None;
        }
        for w in &mut d.response.warnings {
            if let std::borrow::Cow::Owned(e) = kubeward_io::terminal::escape(w) {
                *w = e;
            }
        }
        if let Some(s) = &mut d.response.status {
            if let std::borrow::Cow::Owned(e) = kubeward_io::terminal::escape(&s.message) {
                s.message = e;
            }
        }
        d.response.warnings = warnings::bound(std::mem::take(&mut d.response.warnings));
        d
    }

    fn route(&self, req: &Request<'_>, labels: &dyn NamespaceLabels, today: Date) -> Decision {
        let op = req.operation.as_str();
        let core = req.resource.group.is_empty();
        if core && req.resource.resource == "namespaces" {
            return self.namespace(req, labels);
        }
        if op != "CREATE" && op != "UPDATE" {
            return Decision::new(Class::Other, Response::allow());
        }
        if core && req.resource.resource == "pods" {
            if IGNORED_POD_SUBRESOURCES.contains(&req.sub_resource.as_str()) {
                return Decision::new(Class::Other, Response::allow());
            }
            return self.object(req, labels, today, true);
        }
        if !req.sub_resource.is_empty() {
            return Decision::new(Class::Other, Response::allow());
        }
        self.object(req, labels, today, false)
    }

    /// The Pod Security policy of a namespace: its labels (seen or configured) over the
    /// configured defaults.
    pub fn policy(&self, namespace: &str, labels: &dyn NamespaceLabels) -> NamespacePolicy {
        let known = labels
            .labels(namespace)
            .or_else(|| self.config.namespaces.get(namespace).cloned());
        self.policy_of(known.as_ref())
    }

    fn policy_of(&self, labels: Option<&BTreeMap<String, String>>) -> NamespacePolicy {
        let defaults = self.config.defaults;
        labels
            .and_then(|l| pss::policy_from_labels_with(|k| l.get(k).map(String::as_str), defaults))
            .unwrap_or(NamespacePolicy {
                enforce: defaults[0],
                audit: defaults[1],
                warn: defaults[2],
                errors: Vec::new(),
                enforce_labelled: false,
            })
    }

    fn exempt(&self, req: &Request<'_>) -> Option<Response> {
        let ex = &self.config.exemptions;
        let reason = if !req.namespace.is_empty() && ex.namespaces.contains(&req.namespace) {
            "namespace"
        } else if !req.user_info.username.is_empty()
            && ex.usernames.contains(&req.user_info.username)
        {
            "user"
        } else {
            return None;
        };
        Some(Response::allow_annotated(annotation::EXEMPT, reason.into()))
    }

    /// Namespaces: valid Pod Security labels, and the label cache.
    fn namespace(&self, req: &Request<'_>, _labels: &dyn NamespaceLabels) -> Decision {
        let op = req.operation.as_str();
        if !req.sub_resource.is_empty() {
            return Decision::new(Class::Other, Response::allow());
        }
        if op == "DELETE" {
            let mut d = Decision::new(Class::Namespace, Response::allow());
            d.namespace_update = Some(NamespaceUpdate::Remove(req.name.clone()));
            return d;
        }
        if op != "CREATE" && op != "UPDATE" {
            return Decision::new(Class::Other, Response::allow());
        }
        let Some(new) = req.object().and_then(namespace_labels) else {
            return bad_request(Class::Namespace, "failed to decode namespace");
        };
        let name = if req.name.is_empty() {
            new.0.clone()
        } else {
            req.name.clone()
        };
        let new_policy = self.policy_of(Some(&new.1));
        let invalid = |errors: &[String]| {
            let fields: Vec<String> = errors.iter().map(|e| field_error(e)).collect();
            let joined = if fields.len() == 1 {
                fields[0].clone()
            } else {
                format!("[{}]", fields.join(", "))
            };
            let mut d = Decision::new(
                Class::Namespace,
                Response::deny(
                    422,
                    "Invalid",
                    format!("Namespace {name:?} is invalid: {joined}"),
                ),
            );
            d.name = name.clone();
            d
        };
        let mut d = match op {
            "CREATE" if !new_policy.errors.is_empty() => return invalid(&new_policy.errors),
            "CREATE" => Decision::new(Class::Namespace, Response::allow()),
            _ => {
                let Some(old) = req.old_object().and_then(namespace_labels) else {
                    return bad_request(Class::Namespace, "failed to decode old namespace");
                };
                let old_policy = self.policy_of(Some(&old.1));
                if !new_policy.errors.is_empty()
                    && (old_policy.errors.is_empty() || old_policy.errors != new_policy.errors)
                {
                    return invalid(&new_policy.errors);
                }
                // Existing pods are not known to the webhook, so a tightened enforce level
                // is not checked against them (`kubeward pss preview` does that).
                let (new_e, old_e) = (new_policy.enforce, old_policy.enforce);
                let unchanged_or_relaxed = new_e == old_e
                    || new_e.level == Level::Privileged
                    || (new_e.version == old_e.version && new_e.level <= old_e.level);
                let exempt = self.config.exemptions.namespaces.contains(&req.namespace);
                if !unchanged_or_relaxed && exempt {
                    Decision::new(
                        Class::Namespace,
                        Response::allow_annotated(annotation::EXEMPT, "namespace".into()),
                    )
                } else {
                    Decision::new(Class::Namespace, Response::allow())
                }
            }
        };
        d.name = name.clone();
        d.namespace_update = Some(NamespaceUpdate::Set(name, new.1));
        d
    }

    /// Pods (`enforce`) and everything else (controllers: `audit` and `warn` only), then the
    /// catalogue.
    fn object(
        &self,
        req: &Request<'_>,
        labels: &dyn NamespaceLabels,
        today: Date,
        is_pod: bool,
    ) -> Decision {
        let class = if is_pod {
            Class::Pod
        } else {
            Class::Controller
        };
        if let Some(r) = self.exempt(req) {
            return Decision::new(class, r);
        }
        let Some(json) = req.object() else {
            return bad_request(class, "failed to decode object: the request has no object");
        };
        let mut snap = load_str("request.object", json);
        if snap.objects.is_empty() {
            // an object without apiVersion and kind (documentation examples elide them): the
            // request says what it is, as the API server's decoder would read it
            if let Some(typed) = typed_object(json, &req.kind) {
                snap = load_str("request.object", &typed);
            }
        }
        let Some(obj) = snap.objects.first() else {
            return bad_request(class, "failed to decode object: not a Kubernetes object");
        };
        if is_pod && obj.kind() != "Pod" {
            return bad_request(class, "failed to decode pod");
        }
        let old_snap;
        if is_pod && req.operation == "UPDATE" {
            let Some(old_json) = req.old_object() else {
                return bad_request(class, "failed to decode old object");
            };
            old_snap = load_str("request.oldObject", old_json);
            let Some(old) = old_snap.objects.first().filter(|o| o.kind() == "Pod") else {
                return bad_request(class, "failed to decode old pod");
            };
            if !significant_pod_update(obj, old) {
                return Decision::new(class, Response::allow());
            }
        }
        let name = if req.name.is_empty() {
            obj.name().to_string()
        } else {
            req.name.clone()
        };
        let resource = if req.resource.group.is_empty() {
            req.resource.resource.clone()
        } else {
            format!("{}.{}", req.resource.resource, req.resource.group)
        };
        let denied_as = format!("{resource} {name:?} is forbidden");
        let policy = self.policy(&req.namespace, labels);
        let templates = PodTemplate::all(obj);
        let mut d = Decision::new(class, Response::allow());
        d.name = name.clone();
        if !templates.is_empty() {
            self.pod_security(&policy, &templates, is_pod, &denied_as, &mut d);
        } else if !is_pod {
            d.class = Class::Other;
        }
        if !d
            .response
            .audit_annotations
            .contains_key(annotation::EXEMPT)
        {
            self.catalogue(&snap, &req.namespace, &name, today, &denied_as, &mut d);
        }
        d
    }

    /// `EvaluatePod` of the admission plugin.
    fn pod_security(
        &self,
        policy: &NamespacePolicy,
        templates: &[PodTemplate<'_>],
        enforce: bool,
        denied_as: &str,
        d: &mut Decision,
    ) {
        if !policy.errors.is_empty() {
            // checked first: the plugin judges nothing else before it
        } else if policy.fully_privileged()
            || (!enforce
                && policy.audit.level == Level::Privileged
                && policy.warn.level == Level::Privileged)
        {
            return;
        }
        let runtime_class = templates[0].spec.str_at("runtimeClassName").unwrap_or("");
        if !runtime_class.is_empty()
            && self
                .config
                .exemptions
                .runtime_classes
                .iter()
                .any(|r| r == runtime_class)
        {
            d.response = Response::allow_annotated(annotation::EXEMPT, "runtimeClass".into());
            return;
        }
        let mut modes = Vec::new();
        let r = &mut d.response;
        if !policy.errors.is_empty() {
            r.audit_annotations.insert(
                annotation::ERROR.into(),
                format!("Failed to parse policy: {}", policy.errors.join(", ")),
            );
        }
        let minor = self.config.kubernetes_minor;
        let mut cache: Vec<(LevelVersion, Vec<CheckResult>)> = Vec::new();
        let mut eval = |lv: LevelVersion| -> Vec<CheckResult> {
            if let Some((_, res)) = cache.iter().find(|(k, _)| *k == lv) {
                return res.clone();
            }
            let res: Vec<CheckResult> = templates
                .iter()
                .flat_map(|t| pss::evaluate_for_cluster(t, lv.level, lv.version, minor))
                .collect();
            cache.push((lv, res.clone()));
            res
        };
        if enforce {
            r.audit_annotations.insert(
                annotation::ENFORCE_POLICY.into(),
                policy.enforce.to_string(),
            );
            let res = eval(policy.enforce);
            if !res.is_empty() {
                *r = Response {
                    audit_annotations: std::mem::take(&mut r.audit_annotations),
                    ..Response::deny(
                        403,
                        "Forbidden",
                        format!("{denied_as}: violates {}", denial(policy.enforce, &res)),
                    )
                };
                modes.push("enforce");
            }
        }
        let res = eval(policy.audit);
        if !res.is_empty() {
            r.audit_annotations.insert(
                annotation::AUDIT_VIOLATIONS.into(),
                format!("would violate {}", denial(policy.audit, &res)),
            );
            modes.push("audit");
        }
        if r.allowed {
            let res = eval(policy.warn);
            if !res.is_empty() {
                r.warnings
                    .push(format!("would violate {}", denial(policy.warn, &res)));
                modes.push("warn");
            }
        }
        d.pod_security = modes;
    }

    /// The rest of the catalogue, each rule with its configured action.
    fn catalogue(
        &self,
        snap: &Snapshot,
        namespace: &str,
        name: &str,
        today: Date,
        denied_as: &str,
        d: &mut Decision,
    ) {
        let index = Index::new(snap);
        let cx = Context::new(snap, &index, &self.settings, None);
        let mut denials = Vec::new();
        let mut audits = Vec::new();
        let mut excepted = Vec::new();
        let mut expired = Vec::new();
        let mut findings: Vec<Finding> = Vec::new();
        for rule in &self.rules {
            let meta = rule.meta();
            let action = self.config.action(meta, namespace);
            if action == Action::Off {
                continue;
            }
            findings.clear();
            rule.check(&cx, &mut findings);
            for f in &findings {
                let exception = self
                    .config
                    .exceptions
                    .iter()
                    .find(|e| e.covers(meta, namespace, name));
                if let Some(e) = exception {
                    if !e.expired(today) {
                        excepted.push(e.describe());
                        continue;
                    }
                    expired.push(e.describe());
                }
                let text = format!("{} ({}): {}", meta.name, f.severity.as_str(), f.message);
                match action {
                    Action::Deny => denials.push(text),
                    Action::Warn => {
                        d.response.warnings.push(format!("kubeward {text}"));
                        audits.push(text);
                    }
                    Action::Audit => audits.push(text),
                    Action::Off => {}
                }
                d.rules.push((meta.name, action));
            }
        }
        let r = &mut d.response;
        let mut put = |key: &str, mut list: Vec<String>| {
            list.dedup();
            if !list.is_empty() {
                r.audit_annotations.insert(key.into(), list.join("; "));
            }
        };
        put(annotation::RULE_VIOLATIONS, audits);
        put(annotation::EXCEPTIONS, excepted);
        put(annotation::EXPIRED_EXCEPTIONS, expired.clone());
        for e in expired {
            r.warnings.push(format!(
                "kubeward exception expired, the rule applies again: {e}"
            ));
        }
        if !denials.is_empty() {
            let text = format!("kubeward: {}", denials.join("; "));
            match &mut r.status {
                Some(s) if !r.allowed => {
                    s.message.push_str("; ");
                    s.message.push_str(&text);
                }
                _ => {
                    let annotations = std::mem::take(&mut r.audit_annotations);
                    *r = Response::deny(403, "Forbidden", format!("{denied_as}: {text}"));
                    r.audit_annotations = annotations;
                }
            }
        }
        if !r.allowed {
            // the plugin adds no warning to a request it rejects
            r.warnings.clear();
        }
    }

    /// What the webhook answers when it cannot decide (its deadline passed, it failed
    /// inside), by its `failurePolicy`.
    pub fn failure(&self, body: &[u8], why: &str) -> Response {
        let uid = salvage_uid(body).unwrap_or_default();
        let mut r = match self.config.failure_policy {
            FailurePolicy::Ignore => {
                let mut r = Response::allow_annotated(
                    annotation::ERROR,
                    format!("kubeward could not decide, allowed (failurePolicy Ignore): {why}"),
                );
                r.warnings
                    .push(format!("kubeward could not judge this request: {why}"));
                r
            }
            FailurePolicy::Fail => Response::deny(
                500,
                "InternalError",
                format!("kubeward could not judge this request: {why}"),
            ),
        };
        r.uid = uid;
        r
    }
}

/// `PodSecurity "level:version": reason (detail), ...`, after `violates` or `would violate`.
fn denial(lv: LevelVersion, results: &[CheckResult]) -> String {
    format!("PodSecurity \"{lv}\": {}", pss::format_detail(results))
}

/// `metadata.labels[KEY]: Invalid value: "v": reason` from a label error `KEY: "v": reason`.
fn field_error(e: &str) -> String {
    match e.split_once(": ") {
        Some((key, rest)) => format!("metadata.labels[{key}]: Invalid value: {rest}"),
        None => e.to_string(),
    }
}

/// A namespace object's name and string labels.
fn namespace_labels(json: &str) -> Option<(String, BTreeMap<String, String>)> {
    let snap = load_str("request.object", json);
    let obj = snap.objects.first().filter(|o| o.kind() == "Namespace")?;
    Some((
        obj.name().to_string(),
        obj.labels()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    ))
}

/// `isSignificantPodUpdate` of the admission plugin: images, container counts, seccomp
/// annotations (pod and per container) and ephemeral containers added or changed.
pub fn significant_pod_update(pod: &Object, old: &Object) -> bool {
    const POD_SECCOMP: &str = "seccomp.security.alpha.kubernetes.io/pod";
    const CONTAINER_SECCOMP: &str = "container.seccomp.security.alpha.kubernetes.io/";
    if pod.annotation(POD_SECCOMP) != old.annotation(POD_SECCOMP) {
        return true;
    }
    let list = |o: &Object, key: &str| -> Vec<kubeward_model::Node> {
        o.spec()
            .get(key)
            .map(|n| n.items().to_vec())
            .unwrap_or_default()
    };
    let changed = |c: &kubeward_model::Node, oc: &kubeward_model::Node| {
        let name = c.str_at("name").unwrap_or("");
        let key = format!("{CONTAINER_SECCOMP}{name}");
        c.str_at("image") != oc.str_at("image") || pod.annotation(&key) != old.annotation(&key)
    };
    for key in ["containers", "initContainers"] {
        let (new, prev) = (list(pod, key), list(old, key));
        if new.len() != prev.len() || new.iter().zip(&prev).any(|(c, oc)| changed(c, oc)) {
            return true;
        }
    }
    let prev = list(old, "ephemeralContainers");
    list(pod, "ephemeralContainers").iter().any(|c| {
        let name = c.str_at("name");
        match prev.iter().find(|oc| oc.str_at("name") == name) {
            None => true,
            Some(oc) => changed(c, oc),
        }
    })
}

/// The object with `apiVersion` and `kind` from the request's `kind`, when it lacks them.
fn typed_object(json: &str, kind: &crate::review::Gvk) -> Option<String> {
    if kind.kind.is_empty() || kind.version.is_empty() {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    let map = v.as_object_mut()?;
    let api_version = if kind.group.is_empty() {
        kind.version.clone()
    } else {
        format!("{}/{}", kind.group, kind.version)
    };
    map.entry("apiVersion").or_insert(api_version.into());
    map.entry("kind").or_insert(kind.kind.clone().into());
    serde_json::to_string(&v).ok()
}

fn bad_review(uid: Option<String>, message: String, error: &'static str) -> Decision {
    let mut d = Decision::new(Class::Invalid, Response::deny(400, "BadRequest", message));
    d.response.uid = uid.unwrap_or_default();
    d.http_status = 400;
    d.error = Some(error);
    d
}

fn bad_request(class: Class, message: &str) -> Decision {
    let mut d = Decision::new(class, Response::deny(400, "BadRequest", message.into()));
    d.error = Some("decode");
    d
}
