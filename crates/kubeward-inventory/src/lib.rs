//! kubeward-inventory: the SQLite image inventory (stored SBOMs, re-matched when the
//! vulnerability database changes) and the verified, bounded download of the OSV feeds.

pub mod db;
pub mod store;
