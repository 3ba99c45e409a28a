//! The winspect rule language: rule packs and policies are parsed (pest),
//! checked against the inventory schema, compiled to a program that does no
//! name look-ups, and evaluated over an image inventory.
//!
//! This crate does no IO: callers hand it source texts and inventories.
//!
//! ```
//! use winspect_lang::{SourceMap, check, CheckOptions, EvalOptions, Explain};
//! use winspect_inventory::{Date, Inventory};
//!
//! let mut sources = SourceMap::new();
//! let pack = sources.add_pack("example");
//! sources.add_pack_file(pack, "example.rules", r#"
//! pack "example" version "1.0.0"
//! rule OS-0001 {
//!   title "Windows Server 2019 is older than the 2022 update"
//!   severity high
//!   when windows.build == 17763 and windows.ubr < 2452 {
//!     report "UBR {windows.ubr} is below 2452"
//!   }
//! }
//! "#);
//! let checked = check(&sources, &CheckOptions::default());
//! let program = checked.program.expect("no errors");
//! let inventory = Inventory::from_json(r#"{"windows": {"build": 17763, "ubr": 2000}}"#).unwrap();
//! let options = EvalOptions { now: Date::parse("2026-01-01").unwrap(), explain: Explain::None, packs: None };
//! let result = program.evaluate(&program.prepare(&inventory), &options);
//! assert_eq!(result.findings[0].message, "UBR 2000 is below 2452");
//! ```

pub mod advisory;
mod check;
pub mod diag;
mod eval;
pub mod fmt;
mod ir;
pub mod plugin;
mod policy;
mod program;
pub mod schema;
pub mod source;
pub mod syntax;
mod testing;
pub mod types;
pub mod value;

pub use check::{
    BUILTINS, CheckOptions, Checked, FIX_KINDS, LANGUAGE_VERSION, LoadInventory, check,
};
pub use diag::{Diagnostic, JsonDiagnostic, Level, render};
pub use plugin::{LoadPlugin, PluginFinding, PluginFunction, PluginHandle};
pub use policy::{Decision, ExpiredWaiver, Outcome, UnknownPolicy, WaiverUse};
pub use program::{
    EvalOptions, Evaluation, Explain, Explanation, Fact, Finding, FindingKind, PackInfo, Program,
    Remediation, TestCase,
};
pub use source::{FileId, Location, SourceMap, Span};
pub use syntax::ast::VerdictKind;
pub use testing::{CaseResult, TestReport};
pub use value::{PreparedInventory, Severity};
