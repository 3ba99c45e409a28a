//! Plugins as the language sees them.
//!
//! A pack declares `plugin NAME { path "x.wasm" sha256 "..." }`; a rule uses
//! it as a check (`check NAME`: the plugin's findings become the rule's) or
//! calls its functions (`NAME.function(args)`), typed from the plugin's
//! manifest. The language does no IO and runs no WebAssembly: the caller
//! loads plugins (verifying the pinned hash) and hands them over through
//! [`PluginHandle`]; the CLI adapts the sandboxed host to it.

use std::fmt;
use std::sync::Arc;

use crate::types::Ty;
use crate::value::{Severity, Value};

/// A function a plugin offers, with the language types of its parameters
/// and result.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginFunction {
    pub name: String,
    pub params: Vec<Ty>,
    pub result: Ty,
}

/// A finding a plugin's check reported.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginFinding {
    /// The plugin's own id for this kind of finding.
    pub id: String,
    pub severity: Severity,
    pub message: String,
    pub remediation: Option<String>,
    /// What the finding is about: a path, a site name, ...
    pub subject: Option<String>,
    /// The layer that introduced the subject.
    pub layer: Option<String>,
}

/// A loaded, verified plugin. Calls may fail (a timeout, a trap, malformed
/// output): the evaluation then reports an error finding for the rule that
/// used it and goes on.
pub trait PluginHandle: Send + Sync + fmt::Debug {
    fn name(&self) -> &str;
    /// The inventory sections its check reads (`iis`, `dotnet.packages`).
    fn sections(&self) -> &[String];
    fn has_check(&self) -> bool;
    fn functions(&self) -> &[PluginFunction];
    /// Runs the check over the named sections, each serialized once per
    /// evaluation as the inventory's JSON.
    fn run_check(&self, sections: &[(String, Arc<[u8]>)]) -> Result<Vec<PluginFinding>, String>;
    /// Calls a function; arguments have the declared types.
    fn call(&self, function: &str, args: &[Value]) -> Result<Value, String>;
}

/// Loads the plugin a pack declares: (naming file, path as written, pinned
/// sha256) to a handle, or the reason it cannot be loaded.
pub type LoadPlugin<'a> = &'a dyn Fn(&str, &str, &str) -> Result<Arc<dyn PluginHandle>, String>;
