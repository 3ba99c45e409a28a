//! PE version resources: the `VS_FIXEDFILEINFO` versions and the
//! `StringFileInfo` strings of an executable, DLL or driver, PE32 or PE32+.
//!
//! The `object` crate reads the PE headers, sections and resource tree (it is
//! fuzzed and maintained with rustc's toolchain); the version resource itself
//! is read here ([`parse_version_info`]), because the crates that parse it either
//! panic on damaged input (pelite 0.10 slices out of bounds) or report a
//! wrong fixed file version (goblin 0.10 builds it from the file date).

pub mod fixture;
mod version_info;

use object::pe::{ImageNtHeaders32, ImageNtHeaders64, RT_VERSION};
use object::read::pe::{ImageNtHeaders, PeFile, ResourceDirectoryEntryData};
use object::{FileKind, LittleEndian as LE};
use winspect_inventory::WindowsVersion;

pub use version_info::parse_version_info;

/// Why a file's version resource could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}`: {reason}")]
pub struct PeError {
    pub path: String,
    pub reason: String,
}

/// The version resource of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// `VS_FIXEDFILEINFO` `dwFileVersionMS/LS`; `None` when the resource has
    /// no fixed part.
    pub file_version: Option<WindowsVersion>,
    /// `VS_FIXEDFILEINFO` `dwProductVersionMS/LS`.
    pub product_version: Option<WindowsVersion>,
    /// The `StringFileInfo` tables, in file order.
    pub tables: Vec<StringTable>,
}

/// One language's strings, e.g. key `040904B0` (US English, UTF-16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringTable {
    pub key: String,
    /// Name and value pairs (`FileVersion`, `ProductName`, ...), in file order.
    pub strings: Vec<(String, String)>,
}

impl VersionInfo {
    /// The string `name` (e.g. `ProductVersion`) from the first table that
    /// has it; names compare case-insensitively.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.tables.iter().find_map(|table| {
            table
                .strings
                .iter()
                .find(|(key, _)| crate::names_equal(key, name))
                .map(|(_, value)| value.as_str())
        })
    }
}

/// Reads the version resource of the PE file `bytes` (named `path` in
/// errors). A PE without a version resource gives `Ok(None)`; a file that is
/// not a PE, or whose headers or resource tree are damaged, is an error.
pub fn read_version_info(path: &str, bytes: &[u8]) -> Result<Option<VersionInfo>, PeError> {
    let fail = |reason: String| PeError {
        path: path.to_owned(),
        reason,
    };
    let resource = match FileKind::parse(bytes) {
        Ok(FileKind::Pe32) => version_resource::<ImageNtHeaders32>(bytes),
        Ok(FileKind::Pe64) => version_resource::<ImageNtHeaders64>(bytes),
        Ok(other) => return Err(fail(format!("not a PE file (it looks like {other:?})"))),
        Err(e) => {
            return Err(fail(format!(
                "not a PE file: {}",
                lower_first(&e.to_string())
            )));
        }
    }
    .map_err(fail)?;
    match resource {
        None => Ok(None),
        Some(data) => parse_version_info(path, data).map(Some),
    }
}

/// The bytes of the first `RT_VERSION` resource, if any.
fn version_resource<Pe: ImageNtHeaders>(bytes: &[u8]) -> Result<Option<&[u8]>, String> {
    let damaged = |e: object::read::Error| format!("damaged PE: {}", lower_first(&e.to_string()));
    let file = PeFile::<Pe, &[u8]>::parse(bytes).map_err(damaged)?;
    let sections = file.section_table();
    let Some(directory) = file
        .data_directories()
        .resource_directory(bytes, &sections)
        .map_err(damaged)?
    else {
        return Ok(None);
    };
    let root = directory.root().map_err(damaged)?;
    let Some(by_type) = root
        .entries
        .iter()
        .find(|e| e.name_or_id().id() == Some(RT_VERSION))
    else {
        return Ok(None);
    };
    // Type, then name (ID 1 by convention), then language: three levels.
    let mut entry = by_type;
    for _ in 0..2 {
        let table = match entry.data(directory).map_err(damaged)? {
            ResourceDirectoryEntryData::Table(table) => table,
            ResourceDirectoryEntryData::Data(_) => {
                return Err("damaged PE: the version resource tree is too shallow".to_owned());
            }
        };
        entry = match table.entries.first() {
            Some(first) => first,
            None => return Ok(None),
        };
    }
    let data_entry = match entry.data(directory).map_err(damaged)? {
        ResourceDirectoryEntryData::Data(data) => data,
        ResourceDirectoryEntryData::Table(_) => {
            return Err("damaged PE: the version resource tree is too deep".to_owned());
        }
    };
    let rva = data_entry.offset_to_data.get(LE);
    let size = data_entry.size.get(LE) as usize;
    let data = sections.pe_data_at(bytes, rva).ok_or_else(|| {
        format!("damaged PE: the version resource at RVA {rva:#x} is in no section")
    })?;
    data.get(..size).map(Some).ok_or_else(|| {
        format!(
            "damaged PE: the version resource ({size} bytes at RVA {rva:#x}) runs past its section"
        )
    })
}

/// `object`'s messages start with a capital; ours do not.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
