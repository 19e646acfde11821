//! Rules of the `network` domain: how workloads are exposed (Services, Ingresses), how they
//! are isolated (NetworkPolicies), and cross-object consistency of the objects that connect
//! them (selectors, service accounts).

mod cilium_l7_http_policy;
mod data_store_reachable;
mod ingress_without_tls;
mod mesh_mtls_not_strict;
mod missing_egress_network_policy;
mod missing_network_policy;
mod missing_service_account;
mod namespace_without_network_policy;
mod network_policy_allow_all;
mod network_policy_blocks_dns;
mod network_policy_egress_internet;
mod network_policy_egress_metadata;
mod network_policy_selects_nothing;
pub(crate) mod policy;
mod service_external_ips;
mod service_load_balancer;
mod service_node_port;
mod service_selects_nothing;
pub(crate) mod util;

pub use cilium_l7_http_policy::CiliumL7HttpPolicy;
pub use data_store_reachable::DataStoreReachable;
pub use ingress_without_tls::IngressWithoutTls;
pub use mesh_mtls_not_strict::MeshMtlsNotStrict;
pub use missing_egress_network_policy::MissingEgressNetworkPolicy;
pub use missing_network_policy::MissingNetworkPolicy;
pub use missing_service_account::MissingServiceAccount;
pub use namespace_without_network_policy::NamespaceWithoutNetworkPolicy;
pub use network_policy_allow_all::NetworkPolicyAllowAll;
pub use network_policy_blocks_dns::NetworkPolicyBlocksDns;
pub use network_policy_egress_internet::NetworkPolicyEgressInternet;
pub use network_policy_egress_metadata::NetworkPolicyEgressMetadata;
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
        &NamespaceWithoutNetworkPolicy,
        &MissingEgressNetworkPolicy,
        &NetworkPolicyAllowAll,
        &NetworkPolicyEgressInternet,
        &NetworkPolicyEgressMetadata,
        &NetworkPolicyBlocksDns,
        &MeshMtlsNotStrict,
        &CiliumL7HttpPolicy,
        &DataStoreReachable,
    ]
}
