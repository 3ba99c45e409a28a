//! `winspect registry`: dump a hive as stored, or a base hive merged with
//! layer delta hives, as text or JSON (the formats are the hive crate's
//! `dump` module's).

use std::path::{Path, PathBuf};

use winspect_hive::{Hive, HiveError, Layer, MergedRegistry, dump};

use super::{Error, Exit, plural};
use crate::output::Output;

#[derive(Debug, thiserror::Error)]
enum RegistryError {
    #[error("`{path}` cannot be read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}`: {source}")]
    Hive { path: String, source: HiveError },
}

pub fn run(
    hive: &Path,
    deltas: &[PathBuf],
    key: Option<&str>,
    json: bool,
    out: &mut Output,
) -> Result<Exit, Error> {
    let base = open(hive)?;
    let dump = if deltas.is_empty() {
        dump::dump_hive(&base, &hive.display().to_string(), key)?
    } else {
        let mut layers = vec![Layer::new(hive.display().to_string(), base)];
        for delta in deltas {
            layers.push(Layer::new(delta.display().to_string(), open(delta)?));
        }
        dump::dump_merged(&MergedRegistry::new(layers)?, key)?
    };
    if json {
        out.print(&dump.to_json());
    } else {
        out.print_raw(&dump.to_text());
    }
    if !dump.errors.is_empty() {
        out.error(&format!(
            "warning: {} met while dumping; the keys and values they concern are left out",
            plural(dump.errors.len(), "problem")
        ));
    }
    Ok(Exit::Ok)
}

fn open(path: &Path) -> Result<Hive, RegistryError> {
    let shown = || path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| RegistryError::Read {
        path: shown(),
        source,
    })?;
    Hive::from_bytes(bytes).map_err(|source| RegistryError::Hive {
        path: shown(),
        source,
    })
}
