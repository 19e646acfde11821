//! Rule metadata, the rule trait and the context rules read.

use crate::finding::{Finding, Severity};
use kubeward_model::{Index, Snapshot};

/// Static description of a rule. `doc` is the rule's doc comment (Markdown): what it checks,
/// why it matters, an example, the fix, references. It is the single source of the rule's
/// documentation (`kubeward explain`, generated docs, SARIF help).
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// The domain the rule belongs to (`--select`, `kubeward.yaml`, reports).
    pub domain: Domain,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    pub doc: &'static str,
}

/// The domains of the catalogue. `--select`, `--ignore`, `kubeward.yaml` and the
/// `kubeward.io/ignore` annotation name them by [`Domain::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    /// `pod-security`: the Pod Security Standards checks.
    PodSecurity,
    /// `workload`: hardening of pod templates beyond the Pod Security Standards.
    Workload,
    /// `network`: exposure (Services, Ingresses) and network policies.
    Network,
    /// `secrets`: credentials where they should not be.
    Secrets,
    /// `rbac`: roles and bindings.
    Rbac,
    /// `attack-graph`: paths of the attack graph from the internet to a node or cluster-admin.
    AttackPath,
    /// `supply-chain`: what runs inside the images.
    SupplyChain,
    /// `resources`: quotas, limits, autoscaler ceilings, disruption budgets and rate limits
    /// against denial of service.
    Resources,
    /// `control-plane`: API server, controller manager, scheduler, etcd and kubelet settings,
    /// audit policy, kubeconfig files, API exposure.
    ControlPlane,
    /// `manifest`: how the manifest text itself is written.
    Manifest,
    /// `hygiene`: good practice that is not a security control (off by default).
    Hygiene,
}

impl Domain {
    /// Every domain, in catalogue order.
    pub const ALL: [Domain; 11] = [
        Domain::PodSecurity,
        Domain::Workload,
        Domain::Network,
        Domain::Secrets,
        Domain::Rbac,
        Domain::AttackPath,
        Domain::SupplyChain,
        Domain::Resources,
        Domain::ControlPlane,
        Domain::Hygiene,
        Domain::Manifest,
    ];

    /// The name users write (`pod-security`, `supply-chain`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::PodSecurity => "pod-security",
            Domain::Workload => "workload",
            Domain::Network => "network",
            Domain::Secrets => "secrets",
            Domain::Rbac => "rbac",
            Domain::AttackPath => "attack-graph",
            Domain::SupplyChain => "supply-chain",
            Domain::Resources => "resources",
            Domain::ControlPlane => "control-plane",
            Domain::Manifest => "manifest",
            Domain::Hygiene => "hygiene",
        }
    }

    /// The domain of a name written by [`Domain::as_str`].
    pub fn parse(s: &str) -> Option<Domain> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl std::fmt::Display for Domain {
    /// The name, padded to the width asked for (`{:12}`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Domain {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Domain {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Pod Security level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

/// A Pod Security policy version: `latest` or `v1.N` (minor number kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyVersion {
    Minor(u32),
    Latest,
}

impl PolicyVersion {
    /// Parses `latest`, `v1.30`, `1.30`.
    pub fn parse(s: &str) -> Option<PolicyVersion> {
        if s == "latest" {
            return Some(PolicyVersion::Latest);
        }
        let s = s.strip_prefix('v').unwrap_or(s);
        let minor = s.strip_prefix("1.")?;
        minor.parse().ok().map(PolicyVersion::Minor)
    }

    pub fn display(self) -> String {
        match self {
            PolicyVersion::Latest => "latest".into(),
            PolicyVersion::Minor(m) => format!("v1.{m}"),
        }
    }
}

/// Analysis settings every rule may read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Pod Security level and version assumed where a namespace has no labels.
    pub pod_security: (Level, PolicyVersion),
    /// Kubernetes minor version of the target cluster (1.N); `latest` policies resolve to it.
    pub kubernetes_minor: Option<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pod_security: (Level::Restricted, PolicyVersion::Latest),
            kubernetes_minor: None,
        }
    }
}

/// What a rule sees.
pub struct Context<'s> {
    pub snapshot: &'s Snapshot,
    pub index: &'s Index<'s>,
    pub settings: &'s Settings,
    /// Facts about the container images (their known vulnerabilities), when the caller has
    /// them (`kubeward scan --inventory`); rules that need them are silent without.
    pub image_facts: Option<&'s dyn crate::facts::ImageFacts>,
    /// The RBAC engine of the snapshot, built once on first use and shared by every RBAC
    /// rule (see [`Context::rbac`]).
    rbac: std::sync::OnceLock<kubeward_rbac::Engine>,
    /// The containers that run a control-plane component, with their flags, found once for
    /// every control-plane rule (see [`Context::control_plane`]).
    control_plane: std::sync::OnceLock<Vec<crate::controlplane::flags::Invocation<'s>>>,
}

impl<'s> Context<'s> {
    /// What rules see of one scan.
    pub fn new(
        snapshot: &'s Snapshot,
        index: &'s Index<'s>,
        settings: &'s Settings,
        image_facts: Option<&'s dyn crate::facts::ImageFacts>,
    ) -> Self {
        Context {
            snapshot,
            index,
            settings,
            image_facts,
            rbac: std::sync::OnceLock::new(),
            control_plane: std::sync::OnceLock::new(),
        }
    }

    /// The effective-permission engine of the input's Roles, ClusterRoles and bindings (with
    /// Kubernetes' default roles), built by the first rule that asks.
    pub fn rbac(&self) -> &kubeward_rbac::Engine {
        self.rbac
            .get_or_init(|| crate::rbac::grants::engine_of(self.index))
    }

    /// The containers of the snapshot that run `kube-apiserver`, `kube-controller-manager`,
    /// `kube-scheduler` or `etcd`, with their flags, found by the first rule that asks.
    pub fn control_plane(&self) -> &[crate::controlplane::flags::Invocation<'s>] {
        self.control_plane
            .get_or_init(|| crate::controlplane::flags::find_invocations(self.index))
    }
}

/// A rule of the catalogue.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    /// Appends this rule's findings over the whole snapshot.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Declares a rule type whose doc comment becomes its `RuleMeta::doc`.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct PrivilegedContainer {
///         name: "privileged-container",
///         domain: Workload,
///         severity: Critical,
///         summary: "Container runs privileged",
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $ty:ident {
            name: $name:literal,
            domain: $domain:ident,
            severity: $sev:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $ty;
        impl $ty {
            pub const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                name: $name,
                domain: $crate::rule::Domain::$domain,
                severity: $crate::finding::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}
