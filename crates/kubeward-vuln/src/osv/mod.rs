//! OSV vulnerability records and matching.
//!
//! - [`Database`] loads records from folders of JSON files and from osv.dev `all.zip`
//!   exports, and indexes them by (ecosystem, normalised package name).
//! - [`Database::matches`] evaluates a [`PackageQuery`] against the records with the
//!   ecosystem's own version ordering ([`crate::version`]), merges aliases, and reports
//!   versions it cannot compare instead of calling them "not affected".
//! - [`cvss`] turns CVSS vectors and database labels into a [`Severity`].
//! - [`vex`] reads OpenVEX documents and suppresses matches with a recorded reason.

pub mod cvss;
pub mod db;
pub mod matcher;
pub mod model;
pub mod vex;

pub use cvss::{CvssLevel, Severity};
pub use db::{normalize_name, Database, LoadError, OsvName};
pub use matcher::{FixState, Match, MatchError, MatchReport, MatchedPackage, PackageQuery};
pub use model::Record;
pub use vex::{Suppressed, Suppression, VexDocument, VexStatus};
