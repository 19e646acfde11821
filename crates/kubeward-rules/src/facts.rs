//! Facts about container images that manifests do not hold, given to the engine by its
//! caller: the CLI adapts the image inventory to [`ImageFacts`] (`kubeward scan
//! --inventory`), tests give a table. Rules read them through [`Context::image_facts`]
//! (crate::rule::Context) and stay silent without them.

use std::fmt;

/// The qualitative severity of a vulnerability (the CVSS rating scale), as the image facts
/// give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VulnerabilityLevel {
    /// Score 0, or "negligible".
    None,
    /// 0.1 to 3.9.
    Low,
    /// 4.0 to 6.9.
    Medium,
    /// 7.0 to 8.9.
    High,
    /// 9.0 to 10.0.
    Critical,
}

impl VulnerabilityLevel {
    /// The lowercase name (`critical`, `high`, `medium`, `low`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            VulnerabilityLevel::None => "none",
            VulnerabilityLevel::Low => "low",
            VulnerabilityLevel::Medium => "medium",
            VulnerabilityLevel::High => "high",
            VulnerabilityLevel::Critical => "critical",
        }
    }
}

impl fmt::Display for VulnerabilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One known vulnerability of a package in an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageVulnerability {
    /// The vulnerability id (`GHSA-...`, `CVE-...`).
    pub id: String,
    /// The affected package's name.
    pub package: String,
    /// Its installed version.
    pub version: String,
    /// The first fixed version, when a fix is known.
    pub fixed_in: Option<String>,
    /// The severity; `None` when the advisories give none.
    pub severity: Option<VulnerabilityLevel>,
}

/// What is known of one image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageVulnerabilities {
    /// The image's reference as recorded (normalised: `registry/repo:tag`).
    pub reference: String,
    /// Its known vulnerabilities (empty when it was matched and none was found, or never
    /// matched).
    pub vulnerabilities: Vec<ImageVulnerability>,
}

/// Image facts, looked up by the image a container names (`image:` as written in the
/// manifest). Rules run in parallel: implementations are `Sync`.
pub trait ImageFacts: Sync {
    /// The vulnerabilities known for `image`, or `None` when the image is unknown.
    fn vulnerabilities(&self, image: &str) -> Option<ImageVulnerabilities>;
}

/// A fixed table of image facts (tests, examples).
impl ImageFacts for std::collections::HashMap<String, ImageVulnerabilities> {
    fn vulnerabilities(&self, image: &str) -> Option<ImageVulnerabilities> {
        self.get(image).cloned()
    }
}
