//! Key nodes (`nk`).

use std::borrow::Cow;

use super::bytes::{stored_name, u16_at, u32_at, u64_at, utf16le};
use super::cell::NONE;
use super::value::Value;
use super::{Hive, list, names_equal};
use crate::error::HiveError;

const HEADER: usize = 76;
const FLAG_COMP_NAME: u16 = 0x0020;
const LAYER_SEMANTICS_MASK: u8 = 0x03;
const INHERIT_CLASS: u8 = 0x80;

/// How a key node in a differencing (delta) hive combines with the same key in lower layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerSemantics {
    /// 0: the key's values merge with the lower layers' (this layer's win), subkeys merge too.
    Merge,
    /// 1: the key and everything below it is deleted; lower layers' copies are hidden.
    Tombstone,
    /// 2: the key's own values and class replace the lower layers'; subkeys still merge.
    SupersedeLocal,
    /// 3: the whole subtree replaces the lower layers' subtree.
    SupersedeTree,
}

impl LayerSemantics {
    fn from_bits(bits: u8) -> Self {
        match bits & LAYER_SEMANTICS_MASK {
            1 => LayerSemantics::Tombstone,
            2 => LayerSemantics::SupersedeLocal,
            3 => LayerSemantics::SupersedeTree,
            _ => LayerSemantics::Merge,
        }
    }

    /// The 2-bit value stored in the key node.
    pub fn bits(self) -> u8 {
        match self {
            LayerSemantics::Merge => 0,
            LayerSemantics::Tombstone => 1,
            LayerSemantics::SupersedeLocal => 2,
            LayerSemantics::SupersedeTree => 3,
        }
    }

    /// Short lowercase name used in dumps: `merge`, `tombstone`, `supersede-local`, `supersede-tree`.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerSemantics::Merge => "merge",
            LayerSemantics::Tombstone => "tombstone",
            LayerSemantics::SupersedeLocal => "supersede-local",
            LayerSemantics::SupersedeTree => "supersede-tree",
        }
    }
}

impl std::fmt::Display for LayerSemantics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key node of one hive, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct KeyNode<'h> {
    hive: &'h Hive,
    offset: u32,
    cell: &'h [u8],
}

impl<'h> KeyNode<'h> {
    /// Reads the key node at `offset`, checking its signature and that its name fits its cell.
    pub(crate) fn at(hive: &'h Hive, offset: u32) -> Result<Self, HiveError> {
        let cell = hive.cell(offset)?;
        if cell.len() < HEADER || cell.get(..2) != Some(b"nk".as_slice()) {
            return Err(HiveError::record(
                "key node",
                offset,
                "the cell does not hold an `nk` record",
            ));
        }
        let node = KeyNode { hive, offset, cell };
        let name_len = usize::from(node.u16(72));
        if HEADER + name_len > cell.len() {
            return Err(HiveError::record(
                "key node",
                offset,
                format!("name length {name_len} runs past the end of the cell"),
            ));
        }
        Ok(node)
    }

    fn u16(&self, at: usize) -> u16 {
        u16_at(self.cell, at).unwrap_or(0)
    }

    fn u32(&self, at: usize) -> u32 {
        u32_at(self.cell, at).unwrap_or(NONE)
    }

    /// Offset of this key node's cell (relative to the hive bins data): its identity in the hive.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// The hive this key belongs to.
    pub fn hive(&self) -> &'h Hive {
        self.hive
    }

    /// The key's name, decoded from Latin-1 (compressed) or UTF-16LE.
    pub fn name(&self) -> Cow<'h, str> {
        let len = usize::from(self.u16(72));
        let raw = self.cell.get(HEADER..HEADER + len).unwrap_or_default();
        Cow::Owned(stored_name(raw, self.flags() & FLAG_COMP_NAME != 0))
    }

    /// The raw key-node flags (`KEY_*` bits).
    pub fn flags(&self) -> u16 {
        self.u16(2)
    }

    /// Last written time as a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
    pub fn last_written(&self) -> u64 {
        u64_at(self.cell, 4).unwrap_or(0)
    }

    fn layer_bits(&self) -> u8 {
        if self.hive.supports_layered_keys() {
            self.cell.get(13).copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// The key's layer semantics; always [`LayerSemantics::Merge`] in a hive without layered keys.
    pub fn layer_semantics(&self) -> LayerSemantics {
        LayerSemantics::from_bits(self.layer_bits())
    }

    /// True when the key takes its class name from the layer below (layered hives only).
    pub fn inherit_class(&self) -> bool {
        self.layer_bits() & INHERIT_CLASS != 0
    }

    /// Number of subkeys the node declares (the lists are what counts when reading them).
    pub fn subkey_count(&self) -> u32 {
        self.u32(20)
    }

    /// Number of values the node declares.
    pub fn value_count(&self) -> u32 {
        self.u32(36)
    }

    /// The class name, if the key has one.
    pub fn class_name(&self) -> Result<Option<String>, HiveError> {
        let offset = self.u32(48);
        let len = usize::from(self.u16(74));
        if offset == NONE || len == 0 {
            return Ok(None);
        }
        let cell = self.hive.cell(offset)?;
        let raw = cell.get(..len).ok_or_else(|| {
            HiveError::record(
                "key node",
                self.offset,
                format!("class name length {len} exceeds its cell at {offset:#x}"),
            )
        })?;
        Ok(Some(utf16le(raw)))
    }

    /// The self-relative security descriptor of the key's `sk` cell, if it has one.
    pub fn security_descriptor(&self) -> Result<Option<&'h [u8]>, HiveError> {
        let offset = self.u32(44);
        if offset == NONE {
            return Ok(None);
        }
        let cell = self.hive.cell(offset)?;
        if cell.get(..2) != Some(b"sk".as_slice()) {
            return Err(HiveError::record(
                "security cell",
                offset,
                "the cell does not hold an `sk` record",
            ));
        }
        let size = u32_at(cell, 16).unwrap_or(0) as usize;
        cell.get(20..20usize.saturating_add(size))
            .map(Some)
            .ok_or_else(|| {
                HiveError::record(
                    "security cell",
                    offset,
                    format!("descriptor size {size} runs past the end of the cell"),
                )
            })
    }

    /// The key's subkeys in stored order (sorted by upper-cased name in a well-formed hive).
    pub fn subkeys(&self) -> Result<Vec<KeyNode<'h>>, HiveError> {
        let list_offset = self.u32(28);
        if self.subkey_count() == 0 || list_offset == NONE {
            return Ok(Vec::new());
        }
        list::subkey_offsets(self.hive, list_offset, None)?
            .into_iter()
            .map(|offset| KeyNode::at(self.hive, offset))
            .collect()
    }

    /// The subkey named `name` (case-insensitive), if any.
    pub fn subkey(&self, name: &str) -> Result<Option<KeyNode<'h>>, HiveError> {
        let list_offset = self.u32(28);
        if self.subkey_count() == 0 || list_offset == NONE {
            return Ok(None);
        }
        for offset in list::subkey_offsets(self.hive, list_offset, Some(name))? {
            let node = KeyNode::at(self.hive, offset)?;
            if names_equal(&node.name(), name) {
                return Ok(Some(node));
            }
        }
        Ok(None)
    }

    /// The key's values in stored order, tombstone values included.
    pub fn values(&self) -> Result<Vec<Value<'h>>, HiveError> {
        let count = self.value_count() as usize;
        let list_offset = self.u32(40);
        if count == 0 || list_offset == NONE {
            return Ok(Vec::new());
        }
        let cell = self.hive.cell(list_offset)?;
        let needed = count
            .checked_mul(4)
            .filter(|&n| n <= cell.len())
            .ok_or_else(|| {
                HiveError::record(
                    "value list",
                    list_offset,
                    format!("{count} values do not fit in a {}-byte cell", cell.len()),
                )
            })?;
        cell.get(..needed)
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|c| {
                Value::at(
                    self.hive,
                    u32::from_le_bytes(c.try_into().unwrap_or([0xff; 4])),
                )
            })
            .collect()
    }

    /// The value named `name` (case-insensitive; empty for the default value), if any.
    pub fn value(&self, name: &str) -> Result<Option<Value<'h>>, HiveError> {
        Ok(self
            .values()?
            .into_iter()
            .find(|value| names_equal(&value.name(), name)))
    }
}
