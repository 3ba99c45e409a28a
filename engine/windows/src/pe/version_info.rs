//! The `VS_VERSIONINFO` block tree.
//!
//! Every node is `wLength, wValueLength, wType, szKey (UTF-16, NUL), padding
//! to 4, Value, padding to 4, Children`, with offsets aligned to 4 bytes from
//! the start of the resource. The root's value is `VS_FIXEDFILEINFO`; its
//! children are `StringFileInfo` (tables of strings) and `VarFileInfo`.
//! See "VS_VERSIONINFO structure" in Microsoft's Win32 documentation.

use winspect_inventory::WindowsVersion;

use super::{PeError, StringTable, VersionInfo};

const FIXED_FILE_INFO_SIGNATURE: u32 = 0xFEEF_04BD;
const FIXED_FILE_INFO_SIZE: usize = 52;
const HEADER_SIZE: usize = 6;

/// Parses a `VS_VERSIONINFO` resource (named `path` in errors).
pub fn parse_version_info(path: &str, data: &[u8]) -> Result<VersionInfo, PeError> {
    parse_root(data).map_err(|reason| PeError {
        path: path.to_owned(),
        reason: format!("damaged version resource: {reason}"),
    })
}

fn parse_root(data: &[u8]) -> Result<VersionInfo, String> {
    let root = Block::parse(data, 0)?;
    if root.key != "VS_VERSION_INFO" {
        return Err(format!(
            "the root block is `{}`, not `VS_VERSION_INFO`",
            root.key
        ));
    }
    let mut info = VersionInfo::default();
    let fixed_end = root.value_start + usize::from(root.value_length);
    let fixed = data
        .get(root.value_start..fixed_end)
        .filter(|_| fixed_end <= root.end)
        .ok_or("the fixed file info runs past the root block")?;
    if !fixed.is_empty() {
        if fixed.len() < FIXED_FILE_INFO_SIZE {
            return Err(format!(
                "the fixed file info is {} bytes, expected {FIXED_FILE_INFO_SIZE}",
                fixed.len()
            ));
        }
        let signature = u32_at(fixed, 0)?;
        if signature != FIXED_FILE_INFO_SIGNATURE {
            return Err(format!(
                "the fixed file info signature is {signature:#010x}, expected {FIXED_FILE_INFO_SIGNATURE:#010x}"
            ));
        }
        info.file_version = Some(version(u32_at(fixed, 8)?, u32_at(fixed, 12)?));
        info.product_version = Some(version(u32_at(fixed, 16)?, u32_at(fixed, 20)?));
    }
    let children_start = align4(root.value_start + usize::from(root.value_length));
    for child in root.children(data, children_start) {
        let child = child?;
        if child.key == "StringFileInfo" {
            for table in child.children(data, child.value_start) {
                let table = table?;
                let mut strings = Vec::new();
                for string in table.children(data, table.value_start) {
                    let string = string?;
                    // The value runs to the block's end: writers disagree on
                    // whether wValueLength counts characters or bytes.
                    let value = data.get(string.value_start..string.end).unwrap_or_default();
                    strings.push((string.key, utf16_until_nul(value)));
                }
                info.tables.push(StringTable {
                    key: table.key,
                    strings,
                });
            }
        }
    }
    Ok(info)
}

/// One node of the tree, located in the whole resource.
struct Block {
    key: String,
    value_length: u16,
    /// Where the value starts (aligned), in the whole resource.
    value_start: usize,
    /// One past the last byte of the block (`start + wLength`).
    end: usize,
}

impl Block {
    fn parse(data: &[u8], start: usize) -> Result<Block, String> {
        let length = usize::from(u16_at(data, start)?);
        let value_length = u16_at(data, start + 2)?;
        if length < HEADER_SIZE {
            return Err(format!("a block at offset {start} has length {length}"));
        }
        let end = start + length;
        if end > data.len() {
            return Err(format!(
                "a block at offset {start} ({length} bytes) runs past the resource ({} bytes)",
                data.len()
            ));
        }
        let key_bytes = data.get(start + HEADER_SIZE..end).unwrap_or_default();
        let key_units = utf16_until_nul_units(key_bytes);
        if key_units.len() * 2 >= key_bytes.len() {
            return Err(format!("the key of the block at offset {start} has no end"));
        }
        let key = String::from_utf16_lossy(&key_units);
        let value_start = align4(start + HEADER_SIZE + (key_units.len() + 1) * 2);
        Ok(Block {
            key,
            value_length,
            value_start: value_start.min(end),
            end,
        })
    }

    /// The child blocks from `from` (aligned) to the block's end. Each step
    /// moves at least 8 bytes forward, so the walk ends.
    fn children<'a>(
        &self,
        data: &'a [u8],
        from: usize,
    ) -> impl Iterator<Item = Result<Block, String>> + 'a {
        let end = self.end;
        let mut offset = align4(from);
        std::iter::from_fn(move || {
            if offset + HEADER_SIZE > end {
                return None;
            }
            // Trailing zero padding inside the parent ends the list.
            if data
                .get(offset..end)
                .is_some_and(|rest| rest.iter().all(|&b| b == 0))
            {
                return None;
            }
            let start = offset;
            let block = Block::parse(data, start).and_then(|child| {
                if child.end > end {
                    Err(format!(
                        "the block `{}` at offset {start} runs past its parent",
                        child.key
                    ))
                } else {
                    Ok(child)
                }
            });
            offset = match &block {
                Ok(child) => align4(child.end),
                Err(_) => end,
            };
            Some(block)
        })
    }
}

fn version(most: u32, least: u32) -> WindowsVersion {
    WindowsVersion::from_parts(most >> 16, most & 0xFFFF, least >> 16, least & 0xFFFF)
}

fn align4(offset: usize) -> usize {
    offset.saturating_add(3) & !3
}

fn u16_at(data: &[u8], offset: usize) -> Result<u16, String> {
    data.get(offset..offset + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| format!("it ends at offset {offset} inside a block header"))
}

fn u32_at(data: &[u8], offset: usize) -> Result<u32, String> {
    data.get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| format!("it ends at offset {offset} inside the fixed file info"))
}

fn utf16_until_nul_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| <[u8; 2]>::try_from(pair).map_or(0, u16::from_le_bytes))
        .take_while(|&unit| unit != 0)
        .collect()
}

fn utf16_until_nul(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_until_nul_units(bytes))
}
