//! kubeward-report
