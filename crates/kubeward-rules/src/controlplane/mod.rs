//! Rules of the `control-plane` domain: the settings of the API server, controller manager,
//! scheduler and etcd read from their static pod manifests (`/etc/kubernetes/manifests`), the
//! kubelet's `KubeletConfiguration`, the audit `Policy`, kubeconfig files, and where the
//! Kubernetes API is published. Each rule names the CIS Kubernetes Benchmark items it checks
//! (listed in `testdata/cis/items.tsv`, from kube-bench's check definitions).

mod api_server_exposed;
mod apiserver_admission_plugins;
mod apiserver_anonymous_auth;
mod apiserver_audit_logging;
mod apiserver_authorization_mode;
mod apiserver_encryption_provider_config;
mod apiserver_service_account_tokens;
mod apiserver_static_token_file;
pub mod audit;
mod audit_policy_logs_secrets;
mod audit_policy_missing_coverage;
mod control_plane_bind_address;
mod control_plane_profiling;
mod control_plane_weak_tls;
mod controller_manager_service_account_credentials;
mod etcd_client_tls;
mod etcd_peer_tls;
mod etcd_tls;
pub mod flags;
mod kubeconfig_insecure_server;
mod kubeconfig_static_credentials;
mod kubelet_anonymous_auth;
mod kubelet_certificate_rotation;
mod kubelet_protect_kernel_defaults;
mod kubelet_read_only_port;
mod kubelet_webhook_auth;

pub use api_server_exposed::ApiServerExposed;
pub use apiserver_admission_plugins::ApiserverAdmissionPlugins;
pub use apiserver_anonymous_auth::ApiserverAnonymousAuth;
pub use apiserver_audit_logging::ApiserverAuditLogging;
pub use apiserver_authorization_mode::ApiserverAuthorizationMode;
pub use apiserver_encryption_provider_config::ApiserverEncryptionProviderConfig;
pub use apiserver_service_account_tokens::ApiserverServiceAccountTokens;
pub use apiserver_static_token_file::ApiserverStaticTokenFile;
pub use audit_policy_logs_secrets::AuditPolicyLogsSecrets;
pub use audit_policy_missing_coverage::AuditPolicyMissingCoverage;
pub use control_plane_bind_address::ControlPlaneBindAddress;
pub use control_plane_profiling::ControlPlaneProfiling;
pub use control_plane_weak_tls::ControlPlaneWeakTls;
pub use controller_manager_service_account_credentials::ControllerManagerServiceAccountCredentials;
pub use etcd_client_tls::EtcdClientTls;
pub use etcd_peer_tls::EtcdPeerTls;
pub use kubeconfig_insecure_server::KubeconfigInsecureServer;
pub use kubeconfig_static_credentials::KubeconfigStaticCredentials;
pub use kubelet_anonymous_auth::KubeletAnonymousAuth;
pub use kubelet_certificate_rotation::KubeletCertificateRotation;
pub use kubelet_protect_kernel_defaults::KubeletProtectKernelDefaults;
pub use kubelet_read_only_port::KubeletReadOnlyPort;
pub use kubelet_webhook_auth::KubeletWebhookAuth;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &ApiserverAnonymousAuth,
        &ApiserverStaticTokenFile,
        &ApiserverAuthorizationMode,
        &ApiserverAdmissionPlugins,
        &ApiserverAuditLogging,
        &ApiserverEncryptionProviderConfig,
        &ApiserverServiceAccountTokens,
        &ControlPlaneProfiling,
        &ControlPlaneBindAddress,
        &ControlPlaneWeakTls,
        &ControllerManagerServiceAccountCredentials,
        &EtcdClientTls,
        &EtcdPeerTls,
        &KubeletAnonymousAuth,
        &KubeletWebhookAuth,
        &KubeletReadOnlyPort,
        &KubeletCertificateRotation,
        &KubeletProtectKernelDefaults,
        &AuditPolicyLogsSecrets,
        &AuditPolicyMissingCoverage,
        &KubeconfigInsecureServer,
        &KubeconfigStaticCredentials,
        &ApiServerExposed,
    ]
}
