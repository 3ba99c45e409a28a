//! The one error type of this crate.

/// What went wrong reading, replaying, merging or writing a hive.
///
/// Offsets are relative to the hive bins data (as stored in the file), printed in hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HiveError {
    /// The input cannot hold a base block.
    #[error("file is too short for a registry hive: {len} bytes")]
    TooShort {
        /// Length of the input.
        len: usize,
    },
    /// The first four bytes are not `regf`.
    #[error("not a registry hive: signature is `{found}`, expected `regf`")]
    BadSignature {
        /// The bytes found, lossily decoded.
        found: String,
    },
    /// Major version other than 1 or minor version outside 3–6.
    #[error("unsupported hive format version {major}.{minor} (supported: 1.3 to 1.6)")]
    UnsupportedVersion {
        /// Major version.
        major: u32,
        /// Minor version.
        minor: u32,
    },
    /// The file is a transaction log or another non-primary file.
    #[error("file type {file_type} is not a primary hive (transaction logs have type 1 or 6)")]
    NotPrimary {
        /// The file type field.
        file_type: u32,
    },
    /// A hive bin header is wrong; bins from here on are not readable.
    #[error("hive bin at {offset:#x}: {problem}")]
    BadBin {
        /// Offset of the bin.
        offset: u32,
        /// What is wrong.
        problem: String,
    },
    /// A cell reference points nowhere sensible.
    #[error("cell at {offset:#x}: {problem}")]
    BadCell {
        /// Offset of the cell.
        offset: u32,
        /// What is wrong.
        problem: String,
    },
    /// A cell does not hold the record its referrer expects.
    #[error("{record} at {offset:#x}: {problem}")]
    BadRecord {
        /// Record kind: `key node`, `value`, `subkey list`, `value list`, `security cell`, `big data`.
        record: &'static str,
        /// Offset of the cell.
        offset: u32,
        /// What is wrong.
        problem: String,
    },
    /// A key appears twice on one path or in one walk: the hive's subkey lists form a cycle.
    #[error(
        "key node at {offset:#x} is reached twice under `{path}`: the subkey lists form a cycle"
    )]
    Cycle {
        /// Offset of the key node reached again.
        offset: u32,
        /// Path of the key under which it was reached.
        path: String,
    },
    /// The key tree is deeper than any real hive (Windows allows 512 levels).
    #[error("key `{path}` is nested more than {limit} levels deep")]
    TooDeep {
        /// Path of the key at the limit.
        path: String,
        /// The depth limit.
        limit: usize,
    },
    /// A transaction log cannot be used.
    #[error("transaction log {log}: {problem}")]
    BadLog {
        /// Position of the log in the list the caller gave (0-based).
        log: usize,
        /// What is wrong.
        problem: String,
    },
    /// A value's data does not fit the type the caller asked for.
    #[error("value `{name}` is {found}, not {expected}")]
    WrongType {
        /// Value name.
        name: String,
        /// The type asked for.
        expected: &'static str,
        /// The value's registry type.
        found: String,
    },
    /// A value's data is malformed for its registry type.
    #[error("value `{name}` of type {kind} has malformed data: {problem}")]
    BadData {
        /// Value name.
        name: String,
        /// The value's registry type.
        kind: String,
        /// What is wrong.
        problem: String,
    },
    /// A key path asked for does not exist.
    #[error("key `{path}` does not exist")]
    KeyNotFound {
        /// The path asked for.
        path: String,
    },
    /// A merged registry needs at least one hive.
    #[error("a merged registry needs at least one hive")]
    NoLayers,
    /// `Select\Current` is missing or names no existing control set.
    #[error("no current control set: {problem}")]
    NoControlSet {
        /// What is missing.
        problem: String,
    },
    /// The writer was given something a hive cannot hold.
    #[error("cannot write hive: {problem}")]
    Write {
        /// What is wrong.
        problem: String,
    },
}

impl HiveError {
    pub(crate) fn record(record: &'static str, offset: u32, problem: impl Into<String>) -> Self {
        HiveError::BadRecord {
            record,
            offset,
            problem: problem.into(),
        }
    }
}
