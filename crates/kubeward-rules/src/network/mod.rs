//! Rules of the `network` domain: how workloads are exposed (Services, Ingresses), how they
//! are isolated (NetworkPolicies), and cross-object consistency of the objects that connect
//! them (selectors, service accounts).

mod ingress_without_tls;
mod missing_network_policy;
mod missing_service_account;
mod network_policy_selects_nothing;
mod service_external_ips;
mod service_load_balancer;
mod service_node_port;
mod service_selects_nothing;
pub(crate) mod util;

pub use ingress_without_tls::IngressWithoutTls;
pub use missing_network_policy::MissingNetworkPolicy;
pub use missing_service_account::MissingServiceAccount;
pub use network_policy_selects_nothing::NetworkPolicySelectsNothing;
pub use service_external_ips::ServiceExternalIps;
pub use service_load_balancer::ServiceLoadBalancer;
pub use service_node_port::ServiceNodePort;
pub use service_selects_nothing::ServiceSelectsNothing;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &ServiceLoadBalancer,
        &ServiceNodePort,
        &ServiceExternalIps,
        &IngressWithoutTls,
        &ServiceSelectsNothing,
        &NetworkPolicySelectsNothing,
        &MissingNetworkPolicy,
        &MissingServiceAccount,
    ]
}
