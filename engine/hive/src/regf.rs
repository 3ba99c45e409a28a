//! Reading one REGF hive: base block, hive bins, cells, keys, values, lists, security, logs.
//!
//! [`Hive`] owns the file's bytes; [`KeyNode`] and [`Value`] borrow from it and decode fields on
//! demand, so opening a 100 MB hive costs one pass over its bin headers and nothing more.

pub(crate) mod base_block;
pub(crate) mod bytes;
mod cell;
mod key;
mod list;
pub(crate) mod log;
mod value;

use std::collections::HashSet;

pub use base_block::BaseBlock;
pub use key::{KeyNode, LayerSemantics};
pub use log::LogReplay;
pub use value::{Value, ValueData, ValueKind};

use crate::error::HiveError;
use base_block::{BASE_BLOCK_SIZE, FILE_TYPE_PRIMARY};

/// Deepest key nesting accepted in walks (the limit Windows enforces).
pub const MAX_DEPTH: usize = 512;

/// A hive bin: `[start, end)` relative to the hive bins data.
#[derive(Debug, Clone, Copy)]
struct Bin {
    start: u32,
    end: u32,
}

/// One registry hive file, read into memory and indexed by hive bin.
///
/// Opening checks the base block (signature, version, file type) and indexes the hive bins; cells
/// are decoded only when a key or value is asked for. A hive with bad bins still opens: the bins
/// before the bad one stay readable and [`Hive::bin_errors`] tells what was cut off.
#[derive(Debug, Clone)]
pub struct Hive {
    data: Vec<u8>,
    base: BaseBlock,
    bins: Vec<Bin>,
    bin_errors: Vec<HiveError>,
    replay: Option<LogReplay>,
}

impl Hive {
    /// Opens a hive from the bytes of its primary file, as it is (no log replay).
    ///
    /// A dirty hive opens too; check [`Hive::is_dirty`] and report a possibly partial view.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, HiveError> {
        let base = BaseBlock::parse(&data)?;
        Self::index(data, base, None)
    }

    /// Opens a hive and, when it is dirty, replays its new-format transaction logs
    /// (`.LOG1`, `.LOG2`, in any order) onto it first.
    ///
    /// Each log's base-block checksum, each entry's Marvin32 hashes and the sequence numbers are
    /// verified; a log or entry that fails is skipped and recorded in [`LogReplay::problems`].
    /// A clean hive is returned unchanged (its logs only hold already-applied entries).
    pub fn from_bytes_with_logs(mut data: Vec<u8>, logs: &[&[u8]]) -> Result<Self, HiveError> {
        let base = BaseBlock::parse(&data)?;
        if !base.is_dirty() || logs.is_empty() {
            return Self::index(data, base, None);
        }
        let report = log::replay(&mut data, &base, logs);
        let base = BaseBlock::parse(&data)?;
        Self::index(data, base, Some(report))
    }

    fn index(data: Vec<u8>, base: BaseBlock, replay: Option<LogReplay>) -> Result<Self, HiveError> {
        if base.file_type != FILE_TYPE_PRIMARY {
            return Err(HiveError::NotPrimary {
                file_type: base.file_type,
            });
        }
        if data.len() < BASE_BLOCK_SIZE {
            return Err(HiveError::TooShort { len: data.len() });
        }
        let available = data.len() - BASE_BLOCK_SIZE;
        let declared = base.hive_bins_data_size as usize;
        let mut bin_errors = Vec::new();
        let limit = if declared > available {
            bin_errors.push(HiveError::BadBin {
                offset: u32::try_from(available).unwrap_or(u32::MAX),
                problem: format!(
                    "the base block declares {declared} bytes of hive bins but the file holds {available}"
                ),
            });
            available
        } else {
            declared
        };
        let mut bins = Vec::new();
        let mut at = 0usize;
        // Each bin is at least 4096 bytes, so this loop runs at most limit / 4096 times.
        while at < limit {
            let header = data
                .get(BASE_BLOCK_SIZE + at..BASE_BLOCK_SIZE + at + 32)
                .unwrap_or_default();
            let offset = u32::try_from(at).unwrap_or(u32::MAX);
            let problem = if header.get(..4) != Some(b"hbin".as_slice()) {
                Some("signature is not `hbin`".to_owned())
            } else {
                let stored_offset = bytes::u32_at(header, 4).unwrap_or(u32::MAX);
                let size = bytes::u32_at(header, 8).unwrap_or(0) as usize;
                if stored_offset as usize != at {
                    Some(format!("it says it is at {stored_offset:#x}"))
                } else if size == 0 || !size.is_multiple_of(4096) {
                    Some(format!("size {size} is not a positive multiple of 4096"))
                } else if at + size > limit {
                    Some(format!(
                        "size {size} runs past the end of the hive bins data"
                    ))
                } else {
                    bins.push(Bin {
                        start: offset,
                        end: u32::try_from(at + size).unwrap_or(u32::MAX),
                    });
                    at += size;
                    None
                }
            };
            if let Some(problem) = problem {
                bin_errors.push(HiveError::BadBin { offset, problem });
                // Resynchronise on the next page that holds a bin header naming its own offset,
                // so a damaged bin costs its own cells only.
                at = next_bin(&data, at + 4096, limit);
            }
        }
        Ok(Hive {
            data,
            base,
            bins,
            bin_errors,
            replay,
        })
    }

    /// The parsed base block (after log replay, if any).
    pub fn base_block(&self) -> &BaseBlock {
        &self.base
    }

    /// True when the hive still needs recovery: sequence numbers differ or the checksum is wrong.
    /// The view is then possibly partial (the newest writes may be missing or half-written).
    pub fn is_dirty(&self) -> bool {
        self.base.is_dirty()
    }

    /// True when the hive supports layered keys (base-block flag 0x2): a container layer's delta.
    pub fn supports_layered_keys(&self) -> bool {
        self.base.flags & base_block::FLAG_LAYERED_KEYS != 0
    }

    /// What log replay did, when [`Hive::from_bytes_with_logs`] replayed logs.
    pub fn log_replay(&self) -> Option<&LogReplay> {
        self.replay.as_ref()
    }

    /// Problems with hive bins found when opening; cells in the cut-off part are unreadable.
    pub fn bin_errors(&self) -> &[HiveError] {
        &self.bin_errors
    }

    /// The hive's bytes (after log replay, if any).
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The root key node.
    pub fn root(&self) -> Result<KeyNode<'_>, HiveError> {
        KeyNode::at(self, self.base.root_cell_offset)
    }

    /// Opens a key by its path below the root (`Microsoft\Windows NT\CurrentVersion`),
    /// comparing names case-insensitively. `Ok(None)` when a component does not exist.
    pub fn open(&self, path: &str) -> Result<Option<KeyNode<'_>>, HiveError> {
        let mut key = self.root()?;
        for component in path_components(path) {
            match key.subkey(component)? {
                Some(child) => key = child,
                None => return Ok(None),
            }
        }
        Ok(Some(key))
    }

    /// Visits every key reachable from the root, depth first, children in stored order.
    ///
    /// `visit` gets each key's path (empty for the root) and node. A key that cannot be read, a
    /// cycle in the subkey lists or nesting beyond [`MAX_DEPTH`] is recorded in the returned list
    /// and its subtree skipped; the walk itself never fails and visits each key node at most once.
    pub fn walk(&self, visit: impl FnMut(&str, &KeyNode<'_>)) -> Vec<HiveError> {
        match self.root() {
            Ok(root) => walk_from(root, visit),
            Err(err) => vec![err],
        }
    }

    /// Looks up the cell at `offset` and returns its data (without the size field).
    pub(crate) fn cell(&self, offset: u32) -> Result<&[u8], HiveError> {
        cell::cell_data(&self.data, &self.bins, offset)
    }

    pub(crate) fn minor_version(&self) -> u32 {
        self.base.minor_version
    }
}

/// Visits `start` and every key below it, depth first; paths are relative to `start`.
/// Same guarantees as [`Hive::walk`].
pub fn walk_from<'h>(
    start: KeyNode<'h>,
    mut visit: impl FnMut(&str, &KeyNode<'h>),
) -> Vec<HiveError> {
    let mut errors = Vec::new();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut stack: Vec<(String, KeyNode<'h>, usize)> = vec![(String::new(), start, 0)];
    seen.insert(start.offset());
    while let Some((path, node, depth)) = stack.pop() {
        visit(&path, &node);
        if depth >= MAX_DEPTH {
            errors.push(HiveError::TooDeep {
                path,
                limit: MAX_DEPTH,
            });
            continue;
        }
        let children = match node.subkeys() {
            Ok(children) => children,
            Err(err) => {
                errors.push(err);
                continue;
            }
        };
        for child in children.into_iter().rev() {
            if !seen.insert(child.offset()) {
                errors.push(HiveError::Cycle {
                    offset: child.offset(),
                    path: path.clone(),
                });
                continue;
            }
            let child_path = join_path(&path, &child.name());
            stack.push((child_path, child, depth + 1));
        }
    }
    errors
}

fn next_bin(data: &[u8], from: usize, limit: usize) -> usize {
    (from..limit)
        .step_by(4096)
        .find(|&at| {
            let header = data.get(BASE_BLOCK_SIZE + at..).unwrap_or_default();
            header.get(..4) == Some(b"hbin".as_slice())
                && bytes::u32_at(header, 4) == Some(at as u32)
        })
        .unwrap_or(limit)
}

/// Splits a registry path on backslashes, ignoring empty components (leading or doubled `\`).
pub fn path_components(path: &str) -> impl Iterator<Item = &str> {
    path.split('\\').filter(|c| !c.is_empty())
}

/// Joins a parent path and a child name with a backslash (the root's path is empty).
pub fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}\\{name}")
    }
}

/// Upper-cases one UTF-16 code unit the way the registry compares names (simple mapping only).
fn upcase_unit(unit: u16) -> u16 {
    if unit < 0x80 {
        return u16::from(u8::try_from(unit).unwrap_or(0).to_ascii_uppercase());
    }
    let Some(c) = char::from_u32(u32::from(unit)) else {
        return unit;
    };
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u16::try_from(u32::from(u)).unwrap_or(unit),
        _ => unit,
    }
}

/// Case-insensitive name equality as the registry defines it (code-unit upper-casing).
pub fn names_equal(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.encode_utf16()
        .map(upcase_unit)
        .eq(b.encode_utf16().map(upcase_unit))
}

/// The key under which a name is compared and sorted: its upper-cased form.
pub fn fold_name(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_uppercase();
    }
    let units: Vec<u16> = name.encode_utf16().map(upcase_unit).collect();
    String::from_utf16_lossy(&units)
}

/// The lh-list hash of a key name: `h = 37 * h + upcase(unit)` over UTF-16 code units.
pub fn name_hash(name: &str) -> u32 {
    name.encode_utf16().map(upcase_unit).fold(0u32, |h, unit| {
        h.wrapping_mul(37).wrapping_add(u32::from(unit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_like_the_registry() {
        assert!(names_equal("CurrentVersion", "CURRENTVERSION"));
        assert!(names_equal("Ключ", "КЛЮЧ"));
        assert!(!names_equal("Key", "Keys"));
        // ß upper-cases to two characters, so the registry leaves it alone.
        assert!(!names_equal("ß", "SS"));
        assert_eq!(fold_name("Straße"), "STRAßE");
        assert_eq!(path_components(r"\A\\B\").collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(join_path("", "A"), "A");
        assert_eq!(join_path("A", "B"), r"A\B");
    }

    #[test]
    fn lh_hash_is_case_insensitive() {
        // h = 37 * h + upcase(c) over "AB": 37 * 65 + 66.
        assert_eq!(name_hash("ab"), 37 * 65 + 66);
        assert_eq!(name_hash("ab"), name_hash("AB"));
    }

    #[test]
    fn checksum_remaps_its_reserved_results() {
        let mut header = vec![0u8; 512];
        assert_eq!(base_block::checksum(&header), 1);
        header[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(base_block::checksum(&header), u32::MAX - 1);
        header[4..8].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(base_block::checksum(&header), u32::MAX - 1);
        header[8..12].copy_from_slice(&0x10u32.to_le_bytes());
        assert_eq!(base_block::checksum(&header), (u32::MAX ^ 1) ^ 0x10);
    }
}
