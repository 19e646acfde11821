//! Subcommands other than `scan`, `rules` and `explain`, one module each.

pub mod completions;
pub mod db;
pub mod inventory;
pub mod sbom;
pub mod vuln;
