//! kubeward-image: the image half of the build stage. Readers for OCI layouts and archives,
//! docker-save tarballs, root folders and (feature `registry`) registries, every blob
//! verified against its digest; the squashed file view; catalogers; the package model; SBOM
//! writers (CycloneDX 1.6, SPDX 2.3) and readers.
//!
//! Vulnerability matching is `kubeward-vuln`; the inventory store and the feed download are
//! `kubeward-inventory`.

pub mod catalog;
pub mod image;
pub mod package;
pub mod sbom;

pub use catalog::{catalog_source, Catalog, CatalogOptions};
