//! kubeward-netpol: who can reach whom, on which port, as a conformant CNI enforces the
//! policies of the input.
//!
//! - [`parse`] reads a [`Model`] from a snapshot: namespaces (always labelled
//!   `kubernetes.io/metadata.name`), pod endpoints from Pods and every workload's pod template
//!   (named ports, `status.podIP`), and every policy kind reduced to tiers of ordered rules:
//!   `networking.k8s.io/v1` NetworkPolicy, `ClusterNetworkPolicy` (tiers Admin and Baseline),
//!   AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1), CiliumNetworkPolicy and
//!   CiliumClusterwideNetworkPolicy (L3/L4).
//! - [`Network`] groups pods into equivalence classes (namespace, labels, named ports, the
//!   address blocks their IPs fall in) and indexes which policies select each class; it
//!   answers [`Network::can_reach`] with the deciding policies and rules on each side, and
//!   class-level queries ([`Network::sources_reaching`], [`Network::external_can_reach`],
//!   [`Network::destinations_from`]).
//! - [`Matrix`] computes the full matrix of some ports as bit rows over the classes, and its
//!   [`Matrix::summary`] counts allowed and denied pairs per namespace pair and per class.
//! - [`render`] writes matrices, summaries and verdicts as text, JSON, CSV and DOT; every
//!   string from input passes through `kubeward_io::terminal::escape`.
//!
//! The evaluation order: Admin tier (first matching rule by priority then rule order:
//! Accept/Allow, Deny, or Pass to the next tier), then the NetworkPolicy tier (a pod selected
//! in a direction is isolated and admits only the union of its policies' rules; Cilium deny
//! rules win), then the Baseline tier, then the default: allowed. A connection needs egress
//! allowed at the source and ingress allowed at the destination.

pub mod engine;
pub mod matrix;
pub mod model;
pub mod parse;
pub mod render;
pub mod suggest;

pub use engine::{Endpoint, Network, Reason, RuleRef, SideVerdict, Verdict};
pub use matrix::{Matrix, Summary};
pub use model::{Model, PortProto, Protocol};
