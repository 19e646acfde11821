//! kubeward-vuln: vulnerability matching. Version ordering per ecosystem scheme (dpkg, apk,
//! rpm, PEP 440, SemVer, Go, Maven), the OSV record model and index, the matcher, CVSS scores
//! and OpenVEX, returning a typed report of matches, suppressions and errors
//! ([`report::assess`]).

pub mod osv;
pub mod report;
pub mod version;

pub use report::{assess, VulnOptions, VulnReport};
