//! kubeward-supply: the build-stage pipe (image → SBOM → vulnerability matches → inventory).

pub mod catalog;
pub mod db;
pub mod image;
pub mod osv;
pub mod package;
pub mod sbom;
pub mod store;
pub mod version;

pub use catalog::{catalog_source, Catalog, CatalogOptions};
