//! kubeward-admission: the admission webhook (`kubeward serve`) and `kubeward pss preview`.
//!
//! - [`decide`]: the pure decision core. An `admission.k8s.io/v1` AdmissionReview body in, the
//!   answer out ([`Webhook::decide`]): Pod Security admission's verdicts, exemptions and exact
//!   messages (the evaluator of `kubeward-rules::pss`, shared with `scan`), then the rest of
//!   the catalogue with the action the configuration gives each rule. The request's object
//!   goes through the same loader as a manifest file, so findings are the same as a scan's.
//! - [`config`]: the configuration file; [`review`]: the wire format; [`warnings`]: the API
//!   server's limits on warnings; [`preview`]: which pods a namespace label would reject.
//! - [`server`] (feature `server`): HTTPS on rustls, health, readiness, Prometheus metrics,
//!   JSON logs, limits, deadline, graceful shutdown, certificate and configuration reload,
//!   development certificates.

pub mod config;
pub mod date;
pub mod decide;
pub mod metrics;
pub mod preview;
pub mod review;
#[cfg(feature = "server")]
pub mod server;
pub mod warnings;

pub use config::{Action, Config, FailurePolicy};
pub use date::Date;
pub use decide::{Class, Decision, NamespaceLabels, NamespaceUpdate, Webhook};
