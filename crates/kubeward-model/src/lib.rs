//! kubeward-model: loading and indexing.
//!
//! Inputs (files, folders, standard input) are read into a [`Snapshot`] of [`Object`]s whose
//! every field keeps its source position; an [`Index`] gives lookups by kind, name and labels,
//! and [`PodTemplate`] reads the pod template of every workload kind.

pub mod index;
pub mod load;
pub mod object;
pub mod pod;
pub mod schema;
pub mod value;
pub mod yaml;

pub use index::{effective_namespace, Index, Selector};
pub use load::{load_str, Input, Loader};
pub use object::{
    DuplicateField, LoadError, LoadNote, Object, ObjectId, ObjectRef, Snapshot, Source, SourceId,
};
pub use pod::{Container, ContainerKind, PodTemplate, Shape, Volume};
pub use value::{Entry, FieldPath, Node, Pos, Value};
pub use yaml::Limits;
