//! Windows registry hives for winspect: read REGF files (with transaction-log replay), merge a
//! container image's base hive with its layers' delta hives the way Windows does, dump the result,
//! and write hives for test fixtures.
//!
//! - [`Hive`]: one hive file; [`KeyNode`] / [`Value`] borrow from it.
//! - [`MergedRegistry`]: a base hive plus delta hives in layer order; [`MergedKey`] /
//!   [`MergedValue`] tell which layer each key and value came from.
//! - [`dump`]: text and JSON dumps with layer semantics and provenance.
//! - [`write`]: a declarative builder that writes base and delta hives.
//!
//! Nothing here panics or loops on bad input: offsets, counts and sizes are checked against the
//! cells that hold them, walks keep a visited set and a depth limit, and problems come back as
//! [`HiveError`] values.

pub mod dump;
mod error;
mod machine;
pub mod merge;
pub mod regf;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod write;

pub use error::HiveError;
pub use machine::HiveName;
pub use merge::{Layer, LayerRef, MergedKey, MergedRegistry, MergedValue};
pub use regf::{
    BaseBlock, Hive, KeyNode, LayerSemantics, LogReplay, Value, ValueData, ValueKind, fold_name,
    join_path, name_hash, names_equal, path_components,
};
