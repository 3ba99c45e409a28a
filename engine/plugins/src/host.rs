//! The host: one wasmtime engine, its deadline ticker, the compiled-module
//! cache, and loading (verify, compile or fetch, check the interface).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Engine, ExternType, FuncType, InstanceAllocationStrategy, Linker, Module, OptLevel,
    PoolingAllocationConfig, WasmFeatures,
};

use crate::cache::{self, Cache, CacheOutcome};
use crate::error::{HostError, LoadError};
use crate::manifest::{self, INTERFACE_VERSION, ManifestError};
use crate::plugin::{CallState, Exports, Limits, Plugin, PluginInner, Runner};

/// A plugin file larger than this is refused before it is read.
const MAX_MODULE_SIZE: u64 = 64 * 1024 * 1024;

/// Calls that may run at once on one host; one more fails with a
/// [`CallError::Host`](crate::CallError::Host) until another ends. Each
/// slot reserves address space (not memory) for the largest memory.
const MAX_CONCURRENT_CALLS: u32 = 256;
/// Memory of a pooled slot kept resident (and zeroed) between calls.
const KEEP_RESIDENT: usize = 2 * 1024 * 1024;

const ALLOC: &str = "winspect_alloc";
const MANIFEST: &str = "winspect_manifest";
const CHECK: &str = "winspect_check";
const FUNCTION_PREFIX: &str = "winspect_fn_";
const RESERVED_PREFIX: &str = "winspect_";
const BYTES_TO_BYTES: &str = "(i32, i32) -> i64";

/// How plugins are run. Every call gets these limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Wall-clock time one call may take (epoch interruption).
    pub deadline: Duration,
    /// A deterministic instruction budget per call; `None` for none.
    /// Setting it compiles plugins with fuel metering, a little slower.
    pub fuel: Option<u64>,
    /// Linear memory a plugin may grow to, in bytes.
    pub memory_limit: usize,
    /// The largest output (findings, manifest, value) a plugin may return, in bytes.
    pub max_output: usize,
    /// Where compiled plugins are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            deadline: Duration::from_secs(1),
            fuel: None,
            memory_limit: 64 * 1024 * 1024,
            max_output: 1024 * 1024,
            cache_dir: None,
        }
    }
}

/// Loads and runs sandboxed plugins. Create one per process (it owns a
/// compiler and a ticker thread) and share it; plugins it loads are
/// independent of it afterwards.
pub struct PluginHost {
    engine: Engine,
    config: HostConfig,
    limits: Limits,
    cache: Option<Cache>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    pub fn new(config: HostConfig) -> Result<PluginHost, HostError> {
        if config.deadline.is_zero() {
            return Err(HostError::InvalidConfig("the deadline is zero".to_owned()));
        }
        if config.memory_limit < 64 * 1024 {
            return Err(HostError::InvalidConfig(format!(
                "a memory limit of {} bytes is less than one WebAssembly page (65536 bytes)",
                config.memory_limit
            )));
        }
        if config.fuel == Some(0) {
            return Err(HostError::InvalidConfig(
                "the fuel budget is zero".to_owned(),
            ));
        }
        let engine =
            Engine::new(&engine_config(&config)).map_err(|e| HostError::Engine(e.to_string()))?;
        // The deadline is counted in ticks of a background thread; a tick
        // of a twentieth of the deadline stops a runaway call between 95%
        // and 100% of it, at twenty wake-ups per deadline.
        let tick =
            (config.deadline / 20).clamp(Duration::from_millis(1), Duration::from_millis(50));
        let deadline_ticks = config.deadline.as_nanos().div_ceil(tick.as_nanos().max(1));
        let deadline_ticks = u64::try_from(deadline_ticks).unwrap_or(u64::MAX).max(1);
        start_ticker(&engine, tick)?;
        let cache = match &config.cache_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| HostError::CacheDir {
                    path: dir.clone(),
                    source,
                })?;
                Some(Cache::new(dir.clone(), cache::engine_key(&engine)))
            }
            None => None,
        };
        let limits = Limits {
            deadline: config.deadline,
            deadline_ticks,
            fuel: config.fuel,
            memory_limit: config.memory_limit,
            max_output: config.max_output,
        };
        Ok(PluginHost {
            engine,
            config,
            limits,
            cache,
        })
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Loads the plugin at `path`. With `pinned_sha256` (64 hex digits, an
    /// optional `sha256:` prefix), a file with any other content is refused.
    /// The module is compiled, or fetched from the cache, and checked
    /// against the interface; its manifest is read and validated.
    pub fn load(
        &self,
        path: impl AsRef<Path>,
        pinned_sha256: Option<&str>,
    ) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        let wasm = read_module(path)?;
        let sha256 = hex::encode(Sha256::digest(&wasm));
        if let Some(pin) = pinned_sha256 {
            let expected = normalize_pin(pin).ok_or_else(|| LoadError::InvalidPin {
                path: path.to_owned(),
                pin: pin.to_owned(),
            })?;
            if expected != sha256 {
                return Err(LoadError::HashMismatch {
                    path: path.to_owned(),
                    expected,
                    actual: sha256,
                });
            }
        }
        let compile_error = |e: wasmtime::Error| LoadError::Compile {
            path: path.to_owned(),
            message: format!("{e:#}"),
        };
        let (module, cache) = match &self.cache {
            Some(cache) => cache
                .get_or_compile(&self.engine, &sha256, &wasm)
                .map_err(compile_error)?,
            None => (
                Module::from_binary(&self.engine, &wasm).map_err(compile_error)?,
                CacheOutcome::Disabled,
            ),
        };
        refuse_imports(path, &module)?;
        let exports = base_exports(path, &module)?;
        let pre = Linker::<CallState>::new(&self.engine)
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Prepare {
                path: path.to_owned(),
                message: format!("{e:#}"),
            })?;
        let runner = Runner {
            pre,
            memory: exports.memory,
            alloc: exports.alloc,
            limits: self.limits,
        };
        let label = path.display().to_string();
        let manifest_bytes = runner
            .call_manifest(&label, &exports.manifest)
            .map_err(|source| LoadError::ManifestCall {
                path: path.to_owned(),
                source,
            })?;
        let manifest = manifest::parse(&manifest_bytes).map_err(|e| match e {
            ManifestError::Interface(found) => LoadError::Interface {
                path: path.to_owned(),
                found,
                supported: INTERFACE_VERSION,
            },
            ManifestError::Invalid(message) => LoadError::Manifest {
                path: path.to_owned(),
                message,
            },
            ManifestError::UnknownSection {
                section,
                suggestion,
            } => LoadError::UnknownSection {
                path: path.to_owned(),
                section,
                suggestion,
            },
        })?;
        let check = if manifest.check {
            Some(func_export(path, &module, CHECK, BYTES_TO_BYTES)?)
        } else {
            None
        };
        let mut functions = Vec::with_capacity(manifest.functions.len());
        for f in &manifest.functions {
            let name = format!("{FUNCTION_PREFIX}{}", f.name);
            functions.push(func_export(path, &module, &name, BYTES_TO_BYTES)?);
        }
        for export in module.exports() {
            let name = export.name();
            let declared = name == ALLOC
                || name == MANIFEST
                || (name == CHECK && manifest.check)
                || name
                    .strip_prefix(FUNCTION_PREFIX)
                    .is_some_and(|f| manifest.function(f).is_some());
            if name.starts_with(RESERVED_PREFIX) && !declared {
                return Err(LoadError::Manifest {
                    path: path.to_owned(),
                    message: format!(
                        "the module exports `{name}`, which its manifest does not declare"
                    ),
                });
            }
        }
        Ok(Plugin::new(PluginInner {
            path: path.to_owned(),
            sha256,
            manifest,
            cache,
            runner,
            exports: Exports { check, functions },
        }))
    }
}

fn engine_config(host: &HostConfig) -> Config {
    // Every call instantiates afresh, so instances come from a pool of
    // slots whose first pages stay resident between calls: no mmap, no
    // page faults for a typical input on the hot path.
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(MAX_CONCURRENT_CALLS)
        .total_memories(MAX_CONCURRENT_CALLS)
        .total_tables(MAX_CONCURRENT_CALLS * 4)
        .max_memory_size(host.memory_limit)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .epoch_interruption(true)
        .consume_fuel(host.fuel.is_some())
        .cranelift_opt_level(OptLevel::Speed)
        // One 32-bit memory the limiter can see: shared memories escape
        // the limiter, and the interface has exactly one memory.
        .wasm_features(
            WasmFeatures::THREADS
                | WasmFeatures::SHARED_EVERYTHING_THREADS
                | WasmFeatures::MEMORY64
                | WasmFeatures::MULTI_MEMORY,
            false,
        );
    config
}

/// One thread per engine advances its epoch; it holds only a weak handle,
/// so it ends once the host and every plugin it loaded are gone.
fn start_ticker(engine: &Engine, tick: Duration) -> Result<(), HostError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("winspect-plugin-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map_err(HostError::Ticker)?;
    Ok(())
}

fn read_module(path: &Path) -> Result<Vec<u8>, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_MODULE_SIZE {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_MODULE_SIZE,
        });
    }
    std::fs::read(path).map_err(read_error)
}

fn normalize_pin(pin: &str) -> Option<String> {
    let hex = pin.strip_prefix("sha256:").unwrap_or(pin);
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

fn refuse_imports(path: &Path, module: &Module) -> Result<(), LoadError> {
    if let Some(import) = module.imports().next() {
        let kind = match import.ty() {
            ExternType::Func(_) => "a function",
            ExternType::Memory(_) => "a memory",
            ExternType::Table(_) => "a table",
            ExternType::Global(_) => "a global",
            _ => "an import",
        };
        return Err(LoadError::ForbiddenImport {
            path: path.to_owned(),
            module: import.module().to_owned(),
            name: import.name().to_owned(),
            kind: kind.to_owned(),
        });
    }
    Ok(())
}

struct BaseExports {
    memory: wasmtime::ModuleExport,
    alloc: wasmtime::ModuleExport,
    manifest: wasmtime::ModuleExport,
}

fn base_exports(path: &Path, module: &Module) -> Result<BaseExports, LoadError> {
    let memory = match module.get_export("memory") {
        Some(ExternType::Memory(_)) => module.get_export_index("memory"),
        Some(other) => {
            return Err(LoadError::ExportType {
                path: path.to_owned(),
                export: "memory".to_owned(),
                expected: "a memory".to_owned(),
                found: describe_extern(&other),
            });
        }
        None => None,
    }
    .ok_or_else(|| LoadError::MissingExport {
        path: path.to_owned(),
        export: "memory".to_owned(),
        expected: "a memory".to_owned(),
    })?;
    Ok(BaseExports {
        memory,
        alloc: func_export(path, module, ALLOC, "(i32) -> i32")?,
        manifest: func_export(path, module, MANIFEST, "() -> i64")?,
    })
}

fn func_export(
    path: &Path,
    module: &Module,
    name: &str,
    expected: &str,
) -> Result<wasmtime::ModuleExport, LoadError> {
    let missing = || LoadError::MissingExport {
        path: path.to_owned(),
        export: name.to_owned(),
        expected: format!("a function {expected}"),
    };
    let found = match module.get_export(name).ok_or_else(missing)? {
        ExternType::Func(ty) => {
            let sig = signature(&ty);
            if sig == expected {
                return module.get_export_index(name).ok_or_else(missing);
            }
            format!("a function {sig}")
        }
        other => describe_extern(&other),
    };
    Err(LoadError::ExportType {
        path: path.to_owned(),
        export: name.to_owned(),
        expected: format!("a function {expected}"),
        found,
    })
}

fn signature(ty: &FuncType) -> String {
    let list = |types: Vec<String>| types.join(", ");
    let params = list(ty.params().map(|t| t.to_string()).collect());
    let results: Vec<String> = ty.results().map(|t| t.to_string()).collect();
    match results.as_slice() {
        [] => format!("({params}) -> ()"),
        [one] => format!("({params}) -> {one}"),
        _ => format!("({params}) -> ({})", list(results)),
    }
}

fn describe_extern(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("a function {}", signature(f)),
        ExternType::Memory(_) => "a memory".to_owned(),
        ExternType::Table(_) => "a table".to_owned(),
        ExternType::Global(_) => "a global".to_owned(),
        _ => "another kind of export".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_64_hex_digits_with_an_optional_prefix() {
        let hex = "01AA278B07B58DC46C84BD0B1B5C8E9EE4E62EA0BF7A695862444AF32E87F1FD";
        assert_eq!(normalize_pin(hex).unwrap(), hex.to_ascii_lowercase());
        assert_eq!(
            normalize_pin(&format!("sha256:{hex}")).unwrap(),
            hex.to_ascii_lowercase()
        );
        assert!(normalize_pin("01aa").is_none());
        assert!(normalize_pin(&"g".repeat(64)).is_none());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let zero = HostConfig {
            deadline: Duration::ZERO,
            ..HostConfig::default()
        };
        assert!(
            PluginHost::new(zero)
                .unwrap_err()
                .to_string()
                .contains("deadline is zero")
        );
        let tiny = HostConfig {
            memory_limit: 1000,
            ..HostConfig::default()
        };
        assert!(
            PluginHost::new(tiny)
                .unwrap_err()
                .to_string()
                .contains("one WebAssembly page")
        );
    }
}
