//! From a Windows container image to an inventory: the one crate that wires
//! image reading (`winspect-image`), hive merging (`winspect-hive`) and the
//! Windows extractors (`winspect-windows`) together. Policy lives in those
//! crates; this one only connects them.
//!
//! ```no_run
//! use winspect_scan::{ScanOptions, inventory_of};
//! let options = ScanOptions {
//!     registry_requests: vec![(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".into(), Some("UBR".into()))],
//!     ..ScanOptions::default()
//! };
//! let scan = inventory_of("mcr.microsoft.com/windows/servercore:ltsc2022", &options)?;
//! println!("{:?} partial={}", scan.inventory.windows.version, scan.inventory.completeness.partial);
//! # Ok::<(), winspect_scan::ScanError>(())
//! ```
//!
//! The steps, each in its module:
//! 1. [`capture`]: one capture request for every layer — the extractors'
//!    files ([`winspect_windows::CAPTURE_RULES`]), the hives and their logs,
//!    each layer's `Hives/*_Delta`, and an inspection hook that keeps only
//!    the version facts of PE files.
//! 2. [`winspect_image::read_image`] reads the image with it.
//! 3. [`registry`]: per hive, the base hive the merged view shows plus the
//!    delta hives of the layers above it, merged in layer order and labelled
//!    with the layer digests; served to the extractors as a
//!    [`RegistryView`](winspect_windows::RegistryView).
//! 4. [`files`]: the merged files with the captured bytes, as a
//!    [`FileSource`](winspect_windows::FileSource).
//! 5. [`winspect_windows::extract`] fills the sections; the PE facts fill
//!    `files`; [`requests`] fills `registry` with what the rules ask for.
//!
//! Every problem that loses facts (a missing, damaged or dirty hive, a PE
//! too large to inspect, a hard link to nothing) is a gap in
//! `inventory.completeness`; extraction of the rest goes on.

pub mod capture;
pub mod files;
pub mod registry;
pub mod requests;
mod scan;
#[cfg(feature = "test-support")]
pub mod testing;

pub use capture::{DEFAULT_MAX_PE_BYTES, MAX_HIVE_BYTES, PE_HOOK_ID, capture_request};
pub use files::ImageFiles;
pub use registry::{HiveName, ImageRegistry};
pub use scan::{Scan, ScanError, ScanOptions, inventory_from_read, inventory_of};
