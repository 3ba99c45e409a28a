//! Sandboxed WebAssembly plugins for checks the rule language cannot express.
//!
//! A plugin is a core WebAssembly module speaking the interface of
//! `wasm-plugins/ABI.md` (version 1, frozen). The host loads it (verifying a
//! pinned sha256, compiling it or fetching it from an on-disk cache,
//! checking its exports and manifest), then runs its check or its functions,
//! each call in a fresh sandbox:
//!
//! - **deny by default**: a module that imports anything (WASI, any host
//!   function) is refused; a plugin sees only the bytes it is given;
//! - **bounded**: a wall-clock deadline (epoch interruption), an optional
//!   fuel budget, a memory cap and an output size cap apply to every call;
//! - **contained**: a trap, a timeout, running out of memory, malformed or
//!   oversized output is a [`CallError`] for that call, never a panic, and
//!   the plugin stays usable.
//!
//! ```no_run
//! use winspect_plugins::{HostConfig, PluginHost, Sections, TypedValue};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let inventory = winspect_inventory::Inventory::default();
//! let host = PluginHost::new(HostConfig::default())?;
//! let plugin = host.load("banned-hashes.wasm", Some("sha256:0123..."))?;
//! let sections = Sections::from_inventory(&inventory, plugin.manifest().sections.iter().map(String::as_str))?;
//! for finding in plugin.run_check(&sections)? {
//!     println!("{} {} {}", finding.severity, finding.id, finding.message);
//! }
//! let banned = plugin.call("is_banned", &[TypedValue::String("01aa...".into())])?;
//! # Ok(()) }
//! ```

mod cache;
mod error;
mod host;
mod manifest;
mod output;
mod plugin;
mod sections;
mod value;

pub use cache::CacheOutcome;
pub use error::{CallError, HostError, LoadError};
pub use host::{HostConfig, PluginHost};
pub use manifest::{FunctionSig, INTERFACE_VERSION, Manifest, Param};
pub use output::{PluginFinding, Severity};
pub use plugin::{Function, Plugin};
pub use sections::{SectionError, Sections};
pub use value::{TypedValue, ValueType};
