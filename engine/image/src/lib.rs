//! Reading Windows container images on Linux: from an OCI layout, a
//! `docker save` archive or a registry; every blob verified against its
//! digest as it streams; layers read without unpacking them to disk; one
//! merged view of `C:\` with the layer that wrote each file; a layer cache.
//!
//! The one entry point is [`read_image`]:
//!
//! ```no_run
//! use winspect_image::{read_image, ReadOptions};
//! let read = read_image("mcr.microsoft.com/windows/nanoserver:ltsc2022", &ReadOptions::default())?;
//! println!("{} files, os.version {:?}", read.files.len(), read.image.os_version);
//! # Ok::<(), winspect_image::Error>(())
//! ```
//!
//! What the Windows extractors need from the layers (hives, configs, PE
//! version resources) they ask for with a [`CaptureRequest`]. The cache is
//! managed with [`Cache`]. [`writer`] builds Windows-style layers and images
//! for tests and fixtures.

mod cache;
mod capture;
mod digest;
mod error;
mod foreign;
mod format;
mod layer;
mod local;
mod merge;
mod net;
mod options;
mod progress;
mod read;
mod registry;
mod source;
mod stream;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod writer;

pub use cache::{CACHE_DIR_ENV, Cache, CacheEntry, Pruned, parse_age};
pub use capture::{CaptureAction, CaptureRequest, Captured, CapturedEntry, Hook};
pub use digest::sha256_digest;
pub use error::{Error, FetchAttempt};
pub use layer::UtilityVm;
pub use merge::BrokenLink;
pub use options::{
    CacheChoice, Credentials, Limits, PASSWORD_ENV, PlatformChoice, ReadOptions, RegistryOptions,
    TOKEN_ENV, USERNAME_ENV,
};
pub use read::{ImageRead, LayerRead, VisibleCapture, read_image, read_source};
pub use source::Source;
pub use stream::Compression;
