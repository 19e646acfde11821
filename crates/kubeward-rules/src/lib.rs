//! kubeward-rules: the rule catalogue and the engine that runs it.
//!
//! One module per rule, grouped by domain (`pss/`, `workload/`, `network/`, `secrets/`); each
//! rule's doc comment is its documentation. [`registry::all`] lists the catalogue and
//! [`engine::analyze`] runs a selection of it over a snapshot.

pub mod attack;
pub mod controlplane;
pub mod engine;
pub mod facts;
pub mod filter;
pub mod finding;
pub mod hygiene;
pub mod manifest;
pub mod merge;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod registry;
pub mod resources;
pub mod rule;
pub mod secrets;
pub mod supply;
pub mod testing;
pub mod workload;

pub use finding::{Finding, Location, PodSecurityInfo, Severity};
pub use rule::{Context, Domain, Level, PolicyVersion, Rule, RuleMeta, Settings};
