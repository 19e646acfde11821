//! Pod templates of every workload kind, with the API server's defaults a static reader needs.

use crate::object::Object;
use crate::value::{FieldPath, Node};

/// Where a kind keeps its pod template: (metadata path, spec path).
pub fn template_paths(
    kind: &str,
    root: &Node,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const POD: (&[&str], &[&str]) = (&["metadata"], &["spec"]);
    const TEMPLATE: (&[&str], &[&str]) = (
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
    );
    const JOB_TEMPLATE: (&[&str], &[&str]) = (
        &["spec", "jobTemplate", "spec", "template", "metadata"],
        &["spec", "jobTemplate", "spec", "template", "spec"],
    );
    const POD_TEMPLATE: (&[&str], &[&str]) = (&["template", "metadata"], &["template", "spec"]);
    match kind {
        "Pod" => Some(POD),
        "PodTemplate" => Some(POD_TEMPLATE),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicationController"
        | "Job" => Some(TEMPLATE),
        "CronJob" => Some(JOB_TEMPLATE),
        _ => {
            // Custom resources that embed a pod template: Argo Rollout, OpenShift
            // DeploymentConfig, Knative Service, and anything shaped like them.
            if root
                .at(&["spec", "template", "spec", "containers"])
                .is_some()
            {
                Some(TEMPLATE)
            } else if root
                .at(&["spec", "jobTemplate", "spec", "template", "spec"])
                .is_some()
            {
                Some(JOB_TEMPLATE)
            } else {
                None
            }
        }
    }
}

fn path_of(keys: &[&str]) -> FieldPath {
    keys.iter().fold(FieldPath::root(), |p, k| p.key(k))
}

/// Which list a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// Where a template keeps its containers: a Kubernetes pod spec (`initContainers`,
/// `containers`, `ephemeralContainers`), or the container-bearing shapes of custom resources
/// that are not pod specs but become one at run time (Argo Workflows templates, Tekton steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    PodSpec,
    /// An Argo Workflows template: `initContainers`, `container`, `script`,
    /// `containerSet.containers`, `sidecars`; pod-level fields (`securityContext`, `volumes`)
    /// on the template itself.
    ArgoTemplate,
    /// A Tekton task spec: `steps` and `sidecars` (pod-level settings come from the run's
    /// `podTemplate`).
    TektonSteps,
}

/// One place containers are listed: (kind, key path from the spec, single container or list).
type ContainerSource = (ContainerKind, &'static [&'static str], bool);

impl Shape {
    /// The container lists of this shape, in the order Pod Security visits them.
    pub fn sources(self) -> &'static [ContainerSource] {
        match self {
            Shape::PodSpec => &[
                (ContainerKind::Init, &["initContainers"], false),
                (ContainerKind::Regular, &["containers"], false),
                (ContainerKind::Ephemeral, &["ephemeralContainers"], false),
            ],
            Shape::ArgoTemplate => &[
                (ContainerKind::Init, &["initContainers"], false),
                (ContainerKind::Regular, &["container"], true),
                (ContainerKind::Regular, &["script"], true),
                (
                    ContainerKind::Regular,
                    &["containerSet", "containers"],
                    false,
                ),
                (ContainerKind::Regular, &["sidecars"], false),
            ],
            Shape::TektonSteps => &[
                (ContainerKind::Regular, &["steps"], false),
                (ContainerKind::Regular, &["sidecars"], false),
            ],
        }
    }
}

/// One container of a pod template.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    /// Position in its list (0 for a single container such as Argo's `container`).
    pub index: usize,
    pub node: &'a Node,
    pub name: &'a str,
    /// The key path of its list (or of the single container) from the pod spec.
    source: &'static [&'static str],
    single: bool,
}

impl<'a> Container<'a> {
    /// Path of this container relative to the pod spec: `containers[0]` (for custom shapes
    /// `steps[2]`, `script`, `containerSet.containers[1]`).
    pub fn rel_path(&self) -> FieldPath {
        let p = self.source.iter().fold(FieldPath::root(), |p, k| p.key(k));
        if self.single {
            p
        } else {
            p.index(self.index)
        }
    }

    pub fn security_context(&self) -> &'a Node {
        self.node.get("securityContext").unwrap_or(Node::null())
    }

    pub fn image(&self) -> Option<&'a str> {
        self.node.str_at("image")
    }

    /// The `env` entries (empty when unset).
    pub fn env(&self) -> &'a [Node] {
        self.node.get("env").map(Node::items).unwrap_or(&[])
    }
}

/// The pod template of a workload (or the spec of a Pod).
#[derive(Clone, Debug)]
pub struct PodTemplate<'a> {
    pub object: &'a Object,
    /// Template metadata (the object's own for a Pod); null when absent.
    pub meta: &'a Node,
    /// The pod spec; null when absent (a fragment).
    pub spec: &'a Node,
    pub meta_path: FieldPath,
    pub spec_path: FieldPath,
    /// Where the containers are.
    pub shape: Shape,
}

impl<'a> PodTemplate<'a> {
    /// The first pod template of an object (see [`PodTemplate::all`]).
    pub fn of(object: &'a Object) -> Option<Self> {
        if let Some((meta, spec)) = template_paths(object.kind(), &object.root) {
            return Some(Self::at(object, meta, spec));
        }
        Self::all(object).into_iter().next()
    }

    fn at(object: &'a Object, meta: &[&str], spec: &[&str]) -> Self {
        PodTemplate {
            object,
            meta: object.root.at(meta).unwrap_or(Node::null()),
            spec: object.root.at(spec).unwrap_or(Node::null()),
            meta_path: path_of(meta),
            spec_path: path_of(spec),
            shape: Shape::PodSpec,
        }
    }

    /// Every pod template of an object. Core workload kinds have theirs at a fixed place;
    /// any other object is searched (to a depth of 24) for what the API server or an operator
    /// turns into pods: a pod template (a mapping whose `spec` holds `containers`), a pod spec
    /// (`containers` with at least one `image`), an Argo Workflows template (`container`,
    /// `script`, `containerSet`), a Tekton task spec (`steps` of which one carries a
    /// `securityContext`). That covers Ray head and worker groups, JobSet replicated jobs,
    /// LeaderWorkerSet leader and worker templates, Kubeflow replica specs, Argo and Tekton,
    /// and operators not known by name. Policy objects (Kyverno, Gatekeeper, Kubewarden, GKE
    /// Autopilot allowlists) hold
    /// patterns, not pods, and are not searched.
    pub fn all(object: &'a Object) -> Vec<Self> {
        if let Some((meta, spec)) = template_paths(object.kind(), &object.root) {
            return vec![Self::at(object, meta, spec)];
        }
        let group = object.oref.group();
        // Built-in kinds without a pod template (ConfigMaps, Services, RBAC...) are not
        // searched: only custom resources embed templates in places no list names.
        let policy_group = |g: &&str| {
            group == *g
                || group
                    .strip_suffix(*g)
                    .is_some_and(|rest| rest.ends_with('.'))
        };
        if crate::index::BUILTIN_API_GROUPS.contains(&group) || NOT_PODS.iter().any(policy_group) {
            return Vec::new();
        }
        let family = if group == "argoproj.io" {
            Family::Argo
        } else if group == "tekton.dev" {
            Family::Tekton
        } else {
            Family::Other
        };
        let mut out = Vec::new();
        for e in object.root.entries() {
            if matches!(
                e.key.as_str(),
                "metadata" | "status" | "apiVersion" | "kind"
            ) {
                continue;
            }
            let path = FieldPath::root().key(&e.key);
            find_templates(object, &e.value, path, family, 0, &mut out);
        }
        out
    }

    /// A path under the pod spec, relative to the object root.
    pub fn path(&self, rel: &FieldPath) -> FieldPath {
        if rel.is_root() {
            return self.spec_path.clone();
        }
        let sep = if rel.as_str().starts_with('[') {
            ""
        } else {
            "."
        };
        FieldPath::parse(&format!("{}{}{}", self.spec_path, sep, rel))
    }

    /// Whether this is a bare Pod (not a template a controller stamps out).
    pub fn is_pod(&self) -> bool {
        self.object.kind() == "Pod"
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.meta.get("annotations").and_then(|a| a.str_at(key))
    }

    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        crate::object::string_pairs(self.meta.get("labels"))
    }

    pub fn security_context(&self) -> &'a Node {
        self.spec.get("securityContext").unwrap_or(Node::null())
    }

    /// Containers in the order the Pod Security admission visits them: init containers,
    /// containers, ephemeral containers.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for &(kind, source, single) in self.shape.sources() {
            let Some(list) = self.spec.at(source) else {
                continue;
            };
            let nodes: &[Node] = if single {
                if !matches!(list.value, crate::value::Value::Map(_)) {
                    continue;
                }
                std::slice::from_ref(list)
            } else {
                list.items()
            };
            for (index, node) in nodes.iter().enumerate() {
                out.push(Container {
                    kind,
                    index,
                    node,
                    name: node.str_at("name").unwrap_or(""),
                    source,
                    single,
                });
            }
        }
        out
    }

    pub fn host_network(&self) -> bool {
        self.spec.bool_at("hostNetwork") == Some(true)
    }

    /// `hostPort` of a container port, as the API server defaults it: with `hostNetwork`,
    /// an unset host port equals the container port.
    pub fn host_port(&self, port: &Node) -> Option<i64> {
        match port.i64_at("hostPort") {
            Some(p) if p != 0 => Some(p),
            _ if self.host_network() => port.i64_at("containerPort"),
            p => p,
        }
    }

    /// Volumes with their source type, defaulted like the API server: a volume with no source
    /// is an `emptyDir`.
    pub fn volumes(&self) -> Vec<Volume<'a>> {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let source = node.entries().iter().find(|e| e.key != "name");
                Volume {
                    index,
                    node,
                    name: node.str_at("name").unwrap_or(""),
                    source_type: source.map(|e| e.key.as_str()).unwrap_or("emptyDir"),
                    source: source.map(|e| &e.value),
                }
            })
            .collect()
    }

    /// The service account the pods run as (`default` when unset).
    pub fn service_account(&self) -> &'a str {
        self.spec
            .str_at("serviceAccountName")
            .or_else(|| self.spec.str_at("serviceAccount"))
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }
}

/// One volume of a pod template.
#[derive(Clone, Copy, Debug)]
pub struct Volume<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub name: &'a str,
    /// `hostPath`, `secret`, `emptyDir`, ... (defaulted).
    pub source_type: &'a str,
    pub source: Option<&'a Node>,
}

impl Volume<'_> {
    pub fn rel_path(&self) -> FieldPath {
        FieldPath::root().key("volumes").index(self.index)
    }
}

/// API groups whose objects hold pod *patterns* (policies), never pods.
const NOT_PODS: &[&str] = &[
    "kyverno.io",
    "gatekeeper.sh",
    "kubewarden.io",
    "wgpolicyk8s.io",
    "admissionregistration.k8s.io",
    // GKE Autopilot WorkloadAllowlist: `matchingCriteria` is a pattern of allowed pods.
    "auto.gke.io",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Argo,
    Tekton,
    Other,
}

/// How deep the search for embedded templates goes (RayService nests five levels, JobSet
/// four; 24 leaves room without walking arbitrarily deep documents).
const MAX_TEMPLATE_DEPTH: usize = 24;

fn is_map(n: &Node) -> bool {
    matches!(n.value, crate::value::Value::Map(_))
}

/// A list of containers that looks real: mappings, at least one with a string `image`.
fn has_image_containers(n: Option<&Node>) -> bool {
    let Some(list) = n else { return false };
    let items = list.items();
    !items.is_empty()
        && items.iter().all(is_map)
        && items.iter().any(|c| c.str_at("image").is_some())
}

fn find_templates<'a>(
    object: &'a Object,
    node: &'a Node,
    path: FieldPath,
    family: Family,
    depth: usize,
    out: &mut Vec<PodTemplate<'a>>,
) {
    if depth > MAX_TEMPLATE_DEPTH {
        return;
    }
    match &node.value {
        crate::value::Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                find_templates(object, item, path.index(i), family, depth + 1, out);
            }
        }
        crate::value::Value::Map(_) => {
            // A pod template: `{metadata, spec: {containers}}`.
            if let Some(spec) = node.get("spec").filter(|s| is_map(s)) {
                if has_image_containers(spec.get("containers")) {
                    out.push(PodTemplate {
                        object,
                        meta: node.get("metadata").unwrap_or(Node::null()),
                        spec,
                        meta_path: path.key("metadata"),
                        spec_path: path.key("spec"),
                        shape: Shape::PodSpec,
                    });
                    return;
                }
            }
            // A bare pod spec.
            if has_image_containers(node.get("containers")) {
                out.push(PodTemplate {
                    object,
                    meta: Node::null(),
                    spec: node,
                    meta_path: path.clone(),
                    spec_path: path,
                    shape: Shape::PodSpec,
                });
                return;
            }
            match family {
                Family::Argo
                    if node.get("container").is_some_and(is_map)
                        || node.get("script").is_some_and(is_map)
                        || node.at(&["containerSet", "containers"]).is_some() =>
                {
                    out.push(PodTemplate {
                        object,
                        meta: node.get("metadata").unwrap_or(Node::null()),
                        spec: node,
                        meta_path: path.key("metadata"),
                        spec_path: path,
                        shape: Shape::ArgoTemplate,
                    });
                    return;
                }
                Family::Tekton
                    if node.get("steps").is_some_and(|steps| {
                        steps
                            .items()
                            .iter()
                            .chain(node.get("sidecars").map(Node::items).unwrap_or(&[]))
                            .any(|c| c.get("securityContext").is_some_and(is_map))
                    }) =>
                {
                    out.push(PodTemplate {
                        object,
                        meta: Node::null(),
                        spec: node,
                        meta_path: path.clone(),
                        spec_path: path,
                        shape: Shape::TektonSteps,
                    });
                    return;
                }
                _ => {}
            }
            for e in node.entries() {
                find_templates(object, &e.value, path.key(&e.key), family, depth + 1, out);
            }
        }
        _ => {}
    }
}
