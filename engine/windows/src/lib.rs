//! The Windows extractors: they turn an image's merged registry and files
//! into inventory facts.
//!
//! Inputs are two small views, so any reader can feed them:
//! [`RegistryView`] (keys by path, typed values, the layer of each) and
//! [`FileSource`] (the merged files, with the bytes of the captured ones).
//! Each extractor lives in its own module and can be called alone;
//! [`extract`] runs them all.
//!
//! ```
//! use winspect_inventory::Inventory;
//! use winspect_windows::{MemoryFiles, MemoryRegistry, RegData, extract};
//!
//! let mut registry = MemoryRegistry::new();
//! let key = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
//! registry.set(key, "CurrentBuildNumber", RegData::String("20348".into()), None);
//! registry.set(key, "CurrentMajorVersionNumber", RegData::Dword(10), None);
//! registry.set(key, "UBR", RegData::Dword(2655), Some("sha256:update".into()));
//! let mut files = MemoryFiles::new();
//! files.add("app/App.deps.json", br#"{"libraries": {}}"#.to_vec(), None);
//!
//! let mut inventory = Inventory::default();
//! let warnings = extract(&registry, &files, &mut inventory);
//! assert!(warnings.is_empty());
//! assert_eq!(inventory.windows.version.unwrap().as_str(), "10.0.20348.2655");
//! // No SYSTEM hive here: the sections that need it are gaps.
//! assert!(inventory.completeness.gaps.iter().any(|g| g.section == "services"));
//! ```

pub mod capture;
pub mod defender;
pub mod deps_json;
pub mod dotnet_framework;
pub mod dotnet_runtimes;
mod extract;
pub mod files;
pub mod iis;
pub mod lsa;
pub mod os;
pub mod pe;
pub mod powershell;
pub mod programs;
pub mod registry;
pub mod schannel;
pub mod services;
pub mod updates;

#[cfg(test)]
mod test_support;

pub use capture::{CAPTURE_RULES, CaptureRequest, CaptureRule};
pub use extract::extract;
pub use files::{FileRef, FileSource, MemoryFiles};
pub use registry::{MemoryRegistry, RegData, RegKey, RegValue, RegistryError, RegistryView};

/// Something an extractor noticed that does not stop it: the facts it
/// reports are still whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The inventory section concerned, e.g. `windows`.
    pub section: String,
    pub message: String,
}

/// What the extractors could not read ([`Gap`](winspect_inventory::Gap)s, which make the inventory
/// partial) and what they noticed ([`Warning`]s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub gaps: Vec<winspect_inventory::Gap>,
    pub warnings: Vec<Warning>,
}

impl Report {
    pub fn gap(&mut self, section: &str, reason: impl Into<String>) {
        self.gaps.push(winspect_inventory::Gap {
            section: section.to_owned(),
            reason: reason.into(),
        });
    }

    pub fn warn(&mut self, section: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            section: section.to_owned(),
            message: message.into(),
        });
    }
}

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
