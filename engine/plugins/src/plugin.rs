//! A loaded plugin and the calls into it: a fresh store and instance per
//! call, input copied into guest memory, output read back and validated,
//! every failure classified.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Extern, InstancePre, Memory, ModuleExport, ResourceLimiter, Store, Trap};

use crate::cache::CacheOutcome;
use crate::error::CallError;
use crate::manifest::{FunctionSig, Manifest};
use crate::output::{self, Outcome, PluginFinding};
use crate::sections::Sections;
use crate::value::TypedValue;

/// Tables a plugin may have and elements each may grow to.
const MAX_TABLES: usize = 4;
const MAX_TABLE_ELEMENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub deadline: Duration,
    pub deadline_ticks: u64,
    pub fuel: Option<u64>,
    pub memory_limit: usize,
    pub max_output: usize,
}

/// The data of one call's store: the memory cap, and whether the plugin
/// hit it (so a trap it caused is reported as running out of memory).
pub(crate) struct CallState {
    memory_limit: usize,
    memory_exceeded: bool,
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            // Trapping at once, rather than letting `memory.grow` return -1,
            // gives a clear out-of-memory error instead of whatever the
            // plugin does next (often spinning until the deadline).
            self.memory_exceeded = true;
            return Err(wasmtime::Error::msg("plugin memory limit reached"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        1
    }
}

/// What every call needs: the pre-linked module, the memory and allocator
/// exports, the limits.
pub(crate) struct Runner {
    pub pre: InstancePre<CallState>,
    pub memory: ModuleExport,
    pub alloc: ModuleExport,
    pub limits: Limits,
}

pub(crate) struct Exports {
    pub check: Option<ModuleExport>,
    pub functions: Vec<ModuleExport>,
}

pub(crate) struct PluginInner {
    pub path: PathBuf,
    pub sha256: String,
    pub manifest: Manifest,
    pub cache: CacheOutcome,
    pub runner: Runner,
    pub exports: Exports,
}

/// A loaded, verified plugin. Cheap to clone; `Send + Sync`: any number of
/// threads may call it at once, each call in its own sandbox.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.inner.path)
            .field("sha256", &self.inner.sha256)
            .field("manifest", &self.inner.manifest)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub(crate) fn new(inner: PluginInner) -> Plugin {
        Plugin {
            inner: Arc::new(inner),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The plugin's name, as its manifest gives it.
    pub fn name(&self) -> &str {
        &self.inner.manifest.name
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The sha256 of the module file, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// Whether this load compiled the module or took it from the cache.
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.inner.cache
    }

    /// Runs the plugin's check on the sections it declared, taken from
    /// `sections`.
    pub fn run_check(&self, sections: &Sections) -> Result<Vec<PluginFinding>, CallError> {
        let name = self.name();
        let export = self
            .inner
            .exports
            .check
            .as_ref()
            .ok_or_else(|| CallError::NoCheck {
                plugin: name.to_owned(),
            })?;
        let declared = &self.inner.manifest.sections;
        let mut quoted = Vec::with_capacity(declared.len());
        for section in declared {
            let bytes = sections
                .get(section)
                .ok_or_else(|| CallError::MissingSection {
                    plugin: name.to_owned(),
                    section: section.clone(),
                })?;
            quoted.push((format!("\"{section}\":"), bytes));
        }
        // The input is `{"a":<bytes>,"b":<bytes>}`, written piece by piece
        // straight into guest memory: the section bytes are never re-encoded.
        let mut pieces: Vec<&[u8]> = Vec::with_capacity(quoted.len() * 3 + 1);
        pieces.push(b"{");
        for (i, (key, bytes)) in quoted.iter().enumerate() {
            if i > 0 {
                pieces.push(b",");
            }
            pieces.push(key.as_bytes());
            pieces.push(bytes);
        }
        pieces.push(b"}");
        let out = self.inner.runner.call_with_input(name, export, &pieces)?;
        into_result(output::check_output(&out), name)
    }

    /// A handle on one of the plugin's functions, to resolve once and call
    /// many times.
    pub fn function(&self, name: &str) -> Option<Function> {
        let index = self
            .inner
            .manifest
            .functions
            .iter()
            .position(|f| f.name == name)?;
        Some(Function {
            plugin: self.clone(),
            index,
        })
    }

    /// Calls the function `function` with `args`; the result has the
    /// declared result type.
    pub fn call(&self, function: &str, args: &[TypedValue]) -> Result<TypedValue, CallError> {
        self.function(function)
            .ok_or_else(|| CallError::NoFunction {
                plugin: self.name().to_owned(),
                function: function.to_owned(),
            })?
            .call(args)
    }
}

/// A plugin function, resolved.
#[derive(Clone)]
pub struct Function {
    plugin: Plugin,
    index: usize,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("plugin", &self.plugin.name())
            .field("signature", &self.signature())
            .finish()
    }
}

impl Function {
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    pub fn signature(&self) -> Option<&FunctionSig> {
        self.plugin.inner.manifest.functions.get(self.index)
    }

    /// Calls the function. Arguments are checked against the signature
    /// first; the result is checked against the declared result type.
    pub fn call(&self, args: &[TypedValue]) -> Result<TypedValue, CallError> {
        let inner = &self.plugin.inner;
        let plugin = inner.manifest.name.as_str();
        let (sig, export) = match (
            inner.manifest.functions.get(self.index),
            inner.exports.functions.get(self.index),
        ) {
            (Some(sig), Some(export)) => (sig, export),
            _ => {
                return Err(CallError::Host {
                    plugin: plugin.to_owned(),
                    message: "function handle does not match the plugin".to_owned(),
                });
            }
        };
        let bad = |reason: String| CallError::BadArguments {
            plugin: plugin.to_owned(),
            function: sig.name.clone(),
            reason,
        };
        if args.len() != sig.params.len() {
            return Err(bad(format!(
                "expected {} arguments, got {}",
                sig.params.len(),
                args.len()
            )));
        }
        for (param, arg) in sig.params.iter().zip(args) {
            if !arg.has_type(&param.ty) {
                return Err(bad(format!(
                    "argument `{}` should be {}, got {arg:?}",
                    param.name, param.ty
                )));
            }
        }
        let json = serde_json::Value::Array(args.iter().map(TypedValue::to_json).collect());
        let input = serde_json::to_vec(&json).map_err(|e| bad(e.to_string()))?;
        let out = inner.runner.call_with_input(plugin, export, &[&input])?;
        into_result(output::function_output(&out, sig), plugin)
    }
}

impl Runner {
    /// A store with this call's limits, and the instance in it.
    fn instantiate(
        &self,
        label: &str,
    ) -> Result<(Store<CallState>, wasmtime::Instance), CallError> {
        let engine = self.pre.module().engine();
        let state = CallState {
            memory_limit: self.limits.memory_limit,
            memory_exceeded: false,
        };
        let mut store = Store::try_new(engine, state).map_err(|e| CallError::Host {
            plugin: label.to_owned(),
            message: e.to_string(),
        })?;
        store.limiter(|state| state);
        store.set_epoch_deadline(self.limits.deadline_ticks);
        store.epoch_deadline_trap();
        if let Some(fuel) = self.limits.fuel {
            store.set_fuel(fuel).map_err(|e| CallError::Host {
                plugin: label.to_owned(),
                message: e.to_string(),
            })?;
        }
        let instance = match self.pre.instantiate(&mut store) {
            Ok(instance) => instance,
            Err(e) => return Err(self.classify(e, &store, label)),
        };
        Ok((store, instance))
    }

    pub(crate) fn call_manifest(
        &self,
        label: &str,
        export: &ModuleExport,
    ) -> Result<Vec<u8>, CallError> {
        let (mut store, instance) = self.instantiate(label)?;
        let func = instance
            .get_module_export(&mut store, export)
            .and_then(Extern::into_func)
            .and_then(|f| f.typed::<(), i64>(&store).ok())
            .ok_or_else(|| host_error(label, "`winspect_manifest` is not callable"))?;
        let packed = match func.call(&mut store, ()) {
            Ok(packed) => packed,
            Err(e) => return Err(self.classify(e, &store, label)),
        };
        let memory = self.memory(&mut store, &instance, label)?;
        self.read_output(&store, memory, packed, label)
    }

    fn memory(
        &self,
        store: &mut Store<CallState>,
        instance: &wasmtime::Instance,
        label: &str,
    ) -> Result<Memory, CallError> {
        instance
            .get_module_export(store, &self.memory)
            .and_then(Extern::into_memory)
            .ok_or_else(|| host_error(label, "`memory` is not a memory"))
    }

    /// Calls `export(ptr, len)` with the concatenation of `pieces` as input.
    pub(crate) fn call_with_input(
        &self,
        label: &str,
        export: &ModuleExport,
        pieces: &[&[u8]],
    ) -> Result<Vec<u8>, CallError> {
        let (mut store, instance) = self.instantiate(label)?;
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        let len_i32 = i32::try_from(len)
            .map_err(|_| host_error(label, &format!("an input of {len} bytes is too large")))?;
        let alloc = instance
            .get_module_export(&mut store, &self.alloc)
            .and_then(Extern::into_func)
            .and_then(|f| f.typed::<i32, i32>(&store).ok())
            .ok_or_else(|| host_error(label, "`winspect_alloc` is not callable"))?;
        let func = instance
            .get_module_export(&mut store, export)
            .and_then(Extern::into_func)
            .and_then(|f| f.typed::<(i32, i32), i64>(&store).ok())
            .ok_or_else(|| host_error(label, "the export to call is not callable"))?;
        let memory = self.memory(&mut store, &instance, label)?;
        let ptr = match alloc.call(&mut store, len_i32) {
            Ok(ptr) => ptr,
            Err(e) => return Err(self.classify(e, &store, label)),
        };
        // The guest's i32 is an unsigned address.
        let start = ptr as u32 as usize;
        let data = memory.data_mut(&mut store);
        let memory_size = data.len();
        let target = start
            .checked_add(len)
            .filter(|_| start != 0 || len == 0)
            .and_then(|end| data.get_mut(start..end))
            .ok_or_else(|| CallError::MalformedOutput {
                plugin: label.to_owned(),
                reason: format!(
                    "`winspect_alloc({len})` returned address {start}, which does not hold {len} \
                     bytes in a memory of {memory_size} bytes"
                ),
            })?;
        let mut at = 0;
        for piece in pieces {
            if let Some(dst) = target.get_mut(at..at + piece.len()) {
                dst.copy_from_slice(piece);
            }
            at += piece.len();
        }
        let packed = match func.call(&mut store, (ptr, len_i32)) {
            Ok(packed) => packed,
            Err(e) => return Err(self.classify(e, &store, label)),
        };
        self.read_output(&store, memory, packed, label)
    }

    fn read_output(
        &self,
        store: &Store<CallState>,
        memory: Memory,
        packed: i64,
        label: &str,
    ) -> Result<Vec<u8>, CallError> {
        // The guest packs two unsigned 32-bit numbers: `(ptr << 32) | len`.
        let packed = packed as u64;
        let ptr = (packed >> 32) as usize;
        let len = (packed & 0xffff_ffff) as usize;
        if len > self.limits.max_output {
            return Err(CallError::OutputTooLarge {
                plugin: label.to_owned(),
                size: len as u64,
                limit: self.limits.max_output,
            });
        }
        let data = memory.data(store);
        ptr.checked_add(len)
            .and_then(|end| data.get(ptr..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| CallError::MalformedOutput {
                plugin: label.to_owned(),
                reason: format!(
                    "the output at address {ptr} of {len} bytes lies outside the memory of {} bytes",
                    data.len()
                ),
            })
    }

    fn classify(&self, error: wasmtime::Error, store: &Store<CallState>, label: &str) -> CallError {
        let plugin = label.to_owned();
        if store.data().memory_exceeded {
            return CallError::OutOfMemory {
                plugin,
                limit: self.limits.memory_limit,
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Timeout {
                plugin,
                deadline: self.limits.deadline,
            },
            Some(Trap::OutOfFuel) => CallError::FuelExhausted {
                plugin,
                fuel: self.limits.fuel.unwrap_or(0),
            },
            Some(trap) => {
                let text = trap.to_string();
                let message = text.strip_prefix("wasm trap: ").unwrap_or(&text).to_owned();
                CallError::Trap { plugin, message }
            }
            None => CallError::Trap {
                plugin,
                message: format!("{error:#}"),
            },
        }
    }
}

/// A read output as the caller sees it: the value, or the error the plugin
/// reported, or why its output was malformed.
fn into_result<T>(read: Result<Outcome<T>, String>, plugin: &str) -> Result<T, CallError> {
    match read {
        Ok(Outcome::Ok(value)) => Ok(value),
        Ok(Outcome::Reported(message)) => Err(CallError::Reported {
            plugin: plugin.to_owned(),
            message,
        }),
        Err(reason) => Err(CallError::MalformedOutput {
            plugin: plugin.to_owned(),
            reason,
        }),
    }
}

fn host_error(label: &str, message: &str) -> CallError {
    CallError::Host {
        plugin: label.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_and_functions_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Plugin>();
        shareable::<Function>();
        shareable::<crate::PluginHost>();
    }
}
