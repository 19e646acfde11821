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

/// One container of a pod template.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    pub node: &'a Node,
    pub name: &'a str,
}

impl<'a> Container<'a> {
    /// Path of this container relative to the pod spec: `containers[0]`.
    pub fn rel_path(&self) -> FieldPath {
        FieldPath::root().key(self.kind.field()).index(self.index)
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
}

impl<'a> PodTemplate<'a> {
    /// The pod template of an object, if its kind has one.
    pub fn of(object: &'a Object) -> Option<Self> {
        let (meta, spec) = template_paths(object.kind(), &object.root)?;
        Some(PodTemplate {
            object,
            meta: object.root.at(meta).unwrap_or(Node::null()),
            spec: object.root.at(spec).unwrap_or(Node::null()),
            meta_path: path_of(meta),
            spec_path: path_of(spec),
        })
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
        for kind in [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ] {
            for (index, node) in self
                .spec
                .get(kind.field())
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                out.push(Container {
                    kind,
                    index,
                    node,
                    name: node.str_at("name").unwrap_or(""),
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
