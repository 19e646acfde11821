//! kubeward-supply: the build-stage pipe (image → SBOM → vulnerability matches → inventory).

pub mod version;
