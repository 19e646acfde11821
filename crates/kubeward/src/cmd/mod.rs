//! One module per subcommand, and what they share.
//!
//! `settings` resolves the flags and `kubeward.yaml` of `scan`; `error` holds the one error
//! type and the exit code of every outcome; `common` the helpers several subcommands use
//! (image sources, the vulnerability database, output, tables) and imports no subcommand, so
//! the imports between these modules have no cycle.

pub mod can_i;
pub mod common;
pub mod completions;
pub mod db;
pub mod error;
pub mod explain;
pub mod inventory;
pub mod netpol;
pub mod paths;
pub mod pss;
pub mod rules;
pub mod sbom;
pub mod scan;
pub mod serve;
pub mod settings;
pub mod vuln;
pub mod who_can;
