//! The on-disk cache of compiled plugins.
//!
//! An entry is the output of `Module::serialize`, named by the plugin's
//! sha256 and a key of the engine configuration, with the sha256 of the
//! entry's own bytes in a file beside it. A missing, corrupt or incompatible
//! entry is never an error: the plugin is compiled and the entry rewritten.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Bumped when what we store, or how we check it, changes.
const CACHE_FORMAT: &str = "winspect-plugins-cache-1";

/// How a load got its compiled code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No cache directory is configured: the plugin was compiled.
    Disabled,
    /// A verified entry was loaded: nothing was compiled.
    Hit,
    /// No entry existed: the plugin was compiled and stored.
    Stored,
    /// An entry existed but was corrupt or made by another engine
    /// configuration: the plugin was compiled and the entry replaced.
    Replaced { reason: String },
    /// The plugin was compiled but could not be stored (the load still
    /// succeeded).
    StoreFailed { reason: String },
}

impl CacheOutcome {
    /// Whether this load compiled the plugin.
    pub fn compiled(&self) -> bool {
        !matches!(self, CacheOutcome::Hit)
    }
}

/// Feeds what `Hash` writes into a sha256, so the engine key is stable
/// across processes and Rust versions (std's hashers promise neither).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// A key for everything about the engine that decides whether compiled code
/// can be reused: wasmtime's version, the target and its CPU features, and
/// every compilation setting (fuel, epochs, wasm features), as wasmtime's
/// own compatibility hash covers them, plus our cache format.
pub(crate) fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.write(CACHE_FORMAT.as_bytes());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    let digest = hex::encode(hasher.0.finalize());
    digest.get(..16).unwrap_or(&digest).to_owned()
}

pub(crate) struct Cache {
    dir: PathBuf,
    engine_key: String,
}

enum Lookup {
    Missing,
    Unusable(String),
    Found(Module),
}

impl Cache {
    pub(crate) fn new(dir: PathBuf, engine_key: String) -> Cache {
        Cache { dir, engine_key }
    }

    fn entry(&self, module_sha256: &str) -> (PathBuf, PathBuf) {
        let base = format!("{module_sha256}-{}.cwasm", self.engine_key);
        (
            self.dir.join(&base),
            self.dir.join(format!("{base}.sha256")),
        )
    }

    /// The compiled module for `wasm` (whose sha256 is `module_sha256`),
    /// from the cache or compiled now; and how it was obtained.
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        module_sha256: &str,
        wasm: &[u8],
    ) -> Result<(Module, CacheOutcome), wasmtime::Error> {
        let (entry, sidecar) = self.entry(module_sha256);
        let stale = match lookup(engine, &entry, &sidecar) {
            Lookup::Found(module) => return Ok((module, CacheOutcome::Hit)),
            Lookup::Missing => None,
            Lookup::Unusable(reason) => Some(reason),
        };
        let module = Module::from_binary(engine, wasm)?;
        let outcome = match store(&module, &entry, &sidecar) {
            Ok(()) => match stale {
                Some(reason) => CacheOutcome::Replaced { reason },
                None => CacheOutcome::Stored,
            },
            Err(reason) => CacheOutcome::StoreFailed { reason },
        };
        Ok((module, outcome))
    }
}

fn lookup(engine: &Engine, entry: &Path, sidecar: &Path) -> Lookup {
    let bytes = match std::fs::read(entry) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
        Err(e) => return Lookup::Unusable(format!("cannot read `{}`: {e}", entry.display())),
    };
    let recorded = match std::fs::read_to_string(sidecar) {
        Ok(text) => text.trim().to_owned(),
        Err(e) => {
            return Lookup::Unusable(format!("cannot read `{}`: {e}", sidecar.display()));
        }
    };
    let actual = hex::encode(Sha256::digest(&bytes));
    if recorded != actual {
        return Lookup::Unusable(format!(
            "`{}` has sha256 {actual} but {recorded} was recorded for it: the file is corrupt",
            entry.display()
        ));
    }
    match deserialize_verified(engine, &bytes) {
        Ok(module) => Lookup::Found(module),
        Err(e) => Lookup::Unusable(format!(
            "`{}` cannot be used by this engine: {e}",
            entry.display()
        )),
    }
}

/// Turns a verified cache entry back into a module.
///
/// `Module::deserialize` is `unsafe` because wasmtime cannot fully validate
/// precompiled code: bytes from anyone else would be native code run as is.
/// It is sound here because of how these bytes got here:
/// - the entry is ours: only [`store`] writes into the cache directory, and it
///   writes exactly what `Module::serialize` produced for a module this crate
///   compiled from a wasm file whose sha256 is in the entry's name;
/// - it is written atomically (a temporary file in the same directory, synced,
///   then renamed over the entry), so a reader never sees a partial entry;
/// - the sha256 of the entry's bytes, recorded beside it when it was written,
///   was compared with the bytes just read, so a truncated, bit-rotted or
///   half-replaced entry is rejected before it gets here;
/// - wasmtime itself checks the header: its version and the engine
///   configuration the code was compiled for (and the file name carries a
///   key of that configuration too).
///
/// What this does not defend against is someone who can write the cache
/// directory on purpose: such a person can already replace the winspect
/// binary, so the cache directory must be as private as the binary (the
/// README says so).
#[allow(unsafe_code)]
fn deserialize_verified(engine: &Engine, bytes: &[u8]) -> Result<Module, wasmtime::Error> {
    // SAFETY: see above: the bytes are a verified `Module::serialize` output we wrote.
    unsafe { Module::deserialize(engine, bytes) }
}

fn store(module: &Module, entry: &Path, sidecar: &Path) -> Result<(), String> {
    let bytes = module
        .serialize()
        .map_err(|e| format!("cannot serialize the compiled module: {e}"))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    write_atomically(entry, &bytes)?;
    write_atomically(sidecar, digest.as_bytes())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
