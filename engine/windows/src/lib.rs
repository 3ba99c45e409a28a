//! The Windows extractors: they turn an image's merged registry and files
//! into inventory facts.
//!
//! Inputs are two small views, so any reader can feed them:
//! [`RegistryView`] (keys by path, typed values, the layer of each) and
//! [`FileSource`] (the merged files, with the bytes of the captured ones).
//! Each extractor lives in its own module and can be called alone;
//! [`extract`] runs them all.

pub mod files;
pub mod pe;
pub mod registry;

#[cfg(test)]
mod test_support;

pub use files::{FileRef, FileSource, MemoryFiles};
pub use registry::{MemoryRegistry, RegData, RegKey, RegValue, RegistryError, RegistryView};

/// A name folded for case-insensitive comparison, as NTFS and the registry
/// compare names.
pub(crate) fn fold_name(name: &str) -> String {
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
}

/// Whether two names are equal ignoring case.
pub(crate) fn names_equal(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}
