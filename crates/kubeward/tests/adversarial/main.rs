//! The adversarial suite (issue 6): one module per class of hostile input, each test building
//! its own small input in a temporary folder. A class that broke once has a test that failed
//! before its fix; a class that held has a test so it keeps holding. See `SECURITY.md`.

mod common;
mod config_files;
#[cfg(feature = "download")]
mod downloads;
mod duplicate_keys;
mod fail_open;
mod file_caps;
mod finding_bounds;
mod image_archives;
mod image_blobs;
mod loader_bounds;
mod secret_masking;
mod store;
#[path = "../support/mod.rs"]
mod support;
mod terminal_escape;
