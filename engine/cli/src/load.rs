//! Finding rule packs and policies on disk and reading them into a
//! [`SourceMap`]. The language itself does no IO; this is where it happens.
//!
//! A folder that directly holds `.rules` files is one pack, with every
//! `.rules` file below it. Other folders are searched for such packs. A
//! `.rules` file named on the command line is a pack of its own. `.policy`
//! files are policies wherever they are found.

use std::path::{Path, PathBuf};

use winspect_inventory::{Date, Inventory};
use winspect_lang::SourceMap;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{path}` cannot be read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` is neither a folder nor a `.rules` or `.policy` file")]
    NotRules(String),
    #[error("`{0}` holds no `.rules` or `.policy` files")]
    Empty(String),
    #[error("`{path}` is not a valid inventory: {message}")]
    Inventory { path: String, message: String },
    #[error("`{0}` is not a date: write YYYY-MM-DD")]
    Date(String),
}

pub fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Rule files below `dir`, sorted, so packs load in a stable order.
fn files_below(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| LoadError::Read {
            path: e.path().unwrap_or(dir).display().to_string(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("a loop of links")),
        })?;
        if entry.file_type().is_file() && has_ext(entry.path(), ext) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Packs under `dir`: itself if it directly holds `.rules` files, else the
/// packs in its subfolders.
fn packs_below(dir: &Path, packs: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut children: Vec<PathBuf> = Vec::new();
    let mut direct_rules = false;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            children.push(path);
        } else if has_ext(&path, "rules") {
            direct_rules = true;
        }
    }
    if direct_rules {
        packs.push(dir.to_path_buf());
        return Ok(());
    }
    children.sort();
    for child in children {
        packs_below(&child, packs)?;
    }
    Ok(())
}

/// Reads every pack and policy the paths name.
pub fn sources(paths: &[PathBuf]) -> Result<SourceMap, LoadError> {
    let mut map = SourceMap::new();
    for path in paths {
        let shown = path.display().to_string();
        if path.is_dir() {
            let mut packs = Vec::new();
            packs_below(path, &mut packs)?;
            let policies = files_below(path, "policy")?;
            if packs.is_empty() && policies.is_empty() {
                return Err(LoadError::Empty(shown));
            }
            for pack in packs {
                let id = map.add_pack(pack.display().to_string());
                for file in files_below(&pack, "rules")? {
                    let text = read(&file)?;
                    map.add_pack_file(id, file.display().to_string(), text);
                }
            }
            for policy in policies {
                let text = read(&policy)?;
                map.add_policy_file(policy.display().to_string(), text);
            }
        } else if has_ext(path, "rules") {
            let text = read(path)?;
            let id = map.add_pack(shown.clone());
            map.add_pack_file(id, shown, text);
        } else if has_ext(path, "policy") {
            let text = read(path)?;
            map.add_policy_file(shown, text);
        } else if !path.exists() {
            return Err(LoadError::Read {
                path: shown,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        } else {
            return Err(LoadError::NotRules(shown));
        }
    }
    Ok(map)
}

/// Reads `inventory file "..."` of a rule test, relative to the rule file.
pub fn test_inventory(naming_file: &str, path: &str) -> Result<String, String> {
    let base = Path::new(naming_file).parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(base.join(path)).map_err(|e| e.to_string())
}

pub fn inventory(path: &Path) -> Result<Inventory, LoadError> {
    let text = read(path)?;
    Inventory::from_json(&text).map_err(|e| LoadError::Inventory {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// `--now`, or today's date (UTC).
pub fn date_or_today(arg: Option<&str>) -> Result<Date, LoadError> {
    match arg {
        Some(text) => Date::parse(text).map_err(|_| LoadError::Date(text.to_owned())),
        None => {
            let today = jiff::Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date();
            Ok(Date::from_civil(today))
        }
    }
}
