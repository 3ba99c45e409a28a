//! Key values (`vk`), their data (inline, in a cell, or big data `db`) and typed decoding.

use std::borrow::Cow;
use std::collections::HashSet;

use super::Hive;
use super::bytes::{stored_name, u16_at, u32_at};
use crate::error::HiveError;

const HEADER: usize = 20;
const FLAG_COMP_NAME: u16 = 0x0001;
/// Value flag: a tombstone value hides the same-named value of lower layers.
pub(crate) const FLAG_TOMBSTONE: u16 = 0x0002;
const INLINE: u32 = 0x8000_0000;
/// Largest data segment of a big-data record, and the largest data kept in one cell.
pub(crate) const SEGMENT: usize = 16344;

/// A registry value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// REG_NONE (0).
    None,
    /// REG_SZ (1).
    String,
    /// REG_EXPAND_SZ (2).
    ExpandString,
    /// REG_BINARY (3).
    Binary,
    /// REG_DWORD (4), little-endian.
    Dword,
    /// REG_DWORD_BIG_ENDIAN (5).
    DwordBigEndian,
    /// REG_LINK (6): a symbolic link target, UTF-16LE.
    Link,
    /// REG_MULTI_SZ (7).
    MultiString,
    /// REG_RESOURCE_LIST (8).
    ResourceList,
    /// REG_FULL_RESOURCE_DESCRIPTOR (9).
    FullResourceDescriptor,
    /// REG_RESOURCE_REQUIREMENTS_LIST (10).
    ResourceRequirementsList,
    /// REG_QWORD (11), little-endian.
    Qword,
    /// Any other type number (kept as is; data stays raw bytes).
    Other(u32),
}

impl ValueKind {
    /// The kind for a stored type number.
    pub fn from_u32(raw: u32) -> Self {
        match raw {
            0 => ValueKind::None,
            1 => ValueKind::String,
            2 => ValueKind::ExpandString,
            3 => ValueKind::Binary,
            4 => ValueKind::Dword,
            5 => ValueKind::DwordBigEndian,
            6 => ValueKind::Link,
            7 => ValueKind::MultiString,
            8 => ValueKind::ResourceList,
            9 => ValueKind::FullResourceDescriptor,
            10 => ValueKind::ResourceRequirementsList,
            11 => ValueKind::Qword,
            other => ValueKind::Other(other),
        }
    }

    /// The stored type number.
    pub fn to_u32(self) -> u32 {
        match self {
            ValueKind::None => 0,
            ValueKind::String => 1,
            ValueKind::ExpandString => 2,
            ValueKind::Binary => 3,
            ValueKind::Dword => 4,
            ValueKind::DwordBigEndian => 5,
            ValueKind::Link => 6,
            ValueKind::MultiString => 7,
            ValueKind::ResourceList => 8,
            ValueKind::FullResourceDescriptor => 9,
            ValueKind::ResourceRequirementsList => 10,
            ValueKind::Qword => 11,
            ValueKind::Other(raw) => raw,
        }
    }

    /// The Windows name (`REG_SZ`, ...), or `REG_0x1234` for unknown types.
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ValueKind::None => "REG_NONE",
            ValueKind::String => "REG_SZ",
            ValueKind::ExpandString => "REG_EXPAND_SZ",
            ValueKind::Binary => "REG_BINARY",
            ValueKind::Dword => "REG_DWORD",
            ValueKind::DwordBigEndian => "REG_DWORD_BIG_ENDIAN",
            ValueKind::Link => "REG_LINK",
            ValueKind::MultiString => "REG_MULTI_SZ",
            ValueKind::ResourceList => "REG_RESOURCE_LIST",
            ValueKind::FullResourceDescriptor => "REG_FULL_RESOURCE_DESCRIPTOR",
            ValueKind::ResourceRequirementsList => "REG_RESOURCE_REQUIREMENTS_LIST",
            ValueKind::Qword => "REG_QWORD",
            ValueKind::Other(raw) => return Cow::Owned(format!("REG_{raw:#x}")),
        })
    }
}

impl std::fmt::Display for ValueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A value's data decoded according to its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueData {
    /// REG_SZ, up to the first NUL.
    String(String),
    /// REG_EXPAND_SZ, unexpanded, up to the first NUL.
    ExpandString(String),
    /// REG_LINK target.
    Link(String),
    /// REG_MULTI_SZ, split at NULs, ending at the first empty string.
    MultiString(Vec<String>),
    /// REG_DWORD.
    Dword(u32),
    /// REG_DWORD_BIG_ENDIAN.
    DwordBigEndian(u32),
    /// REG_QWORD.
    Qword(u64),
    /// REG_BINARY, REG_NONE, resource lists and unknown types: the raw bytes.
    Bytes(Vec<u8>),
}

/// A key value of one hive, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Value<'h> {
    hive: &'h Hive,
    offset: u32,
    cell: &'h [u8],
}

impl<'h> Value<'h> {
    pub(crate) fn at(hive: &'h Hive, offset: u32) -> Result<Self, HiveError> {
        let cell = hive.cell(offset)?;
        if cell.len() < HEADER || cell.get(..2) != Some(b"vk".as_slice()) {
            return Err(HiveError::record(
                "value",
                offset,
                "the cell does not hold a `vk` record",
            ));
        }
        let name_len = usize::from(u16_at(cell, 2).unwrap_or(0));
        if HEADER + name_len > cell.len() {
            return Err(HiveError::record(
                "value",
                offset,
                format!("name length {name_len} runs past the end of the cell"),
            ));
        }
        Ok(Value { hive, offset, cell })
    }

    /// Offset of this value's cell (relative to the hive bins data).
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// The value's name; empty for a key's default value.
    pub fn name(&self) -> Cow<'h, str> {
        let len = usize::from(u16_at(self.cell, 2).unwrap_or(0));
        let raw = self.cell.get(HEADER..HEADER + len).unwrap_or_default();
        Cow::Owned(stored_name(raw, self.flags() & FLAG_COMP_NAME != 0))
    }

    /// The raw value flags.
    pub fn flags(&self) -> u16 {
        u16_at(self.cell, 16).unwrap_or(0)
    }

    /// True for a tombstone value (flag 0x0002): it deletes the same-named value of lower layers.
    pub fn is_tombstone(&self) -> bool {
        self.flags() & FLAG_TOMBSTONE != 0
    }

    /// The value's type.
    pub fn kind(&self) -> ValueKind {
        ValueKind::from_u32(u32_at(self.cell, 12).unwrap_or(0))
    }

    /// Declared size of the data in bytes.
    pub fn data_size(&self) -> u32 {
        u32_at(self.cell, 4).unwrap_or(0) & !INLINE
    }

    fn bad(&self, problem: impl Into<String>) -> HiveError {
        HiveError::record("value", self.offset, problem)
    }

    /// The raw data bytes (inline, from one cell, or joined from big-data segments).
    pub fn raw_data(&self) -> Result<Cow<'h, [u8]>, HiveError> {
        let raw_size = u32_at(self.cell, 4).unwrap_or(0);
        let size = (raw_size & !INLINE) as usize;
        let data_offset = u32_at(self.cell, 8).unwrap_or(u32::MAX);
        if raw_size & INLINE != 0 {
            if size > 4 {
                return Err(self.bad(format!("inline data size {size} is larger than 4 bytes")));
            }
            return Ok(Cow::Borrowed(
                self.cell.get(8..8 + size).unwrap_or_default(),
            ));
        }
        if size == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let cell = self.hive.cell(data_offset)?;
        if size > SEGMENT
            && self.hive.minor_version() > 3
            && cell.get(..2) == Some(b"db".as_slice())
        {
            return self.big_data(data_offset, cell, size).map(Cow::Owned);
        }
        cell.get(..size).map(Cow::Borrowed).ok_or_else(|| {
            self.bad(format!(
                "data size {size} exceeds its {}-byte cell at {data_offset:#x}",
                cell.len()
            ))
        })
    }

    fn big_data(&self, db_offset: u32, db: &[u8], size: usize) -> Result<Vec<u8>, HiveError> {
        let segments = usize::from(u16_at(db, 2).unwrap_or(0));
        let list_offset = u32_at(db, 4).unwrap_or(u32::MAX);
        let bad = |problem: String| HiveError::record("big data", db_offset, problem);
        if size > self.hive.as_bytes().len() {
            return Err(bad(format!(
                "data size {size} is larger than the whole hive"
            )));
        }
        let list = self.hive.cell(list_offset)?;
        if segments * 4 > list.len() || segments * SEGMENT < size {
            return Err(bad(format!(
                "{segments} segments cannot hold {size} bytes in a {}-byte list",
                list.len()
            )));
        }
        let mut data = Vec::new();
        let mut seen = HashSet::new();
        for i in 0..segments {
            if data.len() >= size {
                break;
            }
            let segment_offset = u32_at(list, i * 4).unwrap_or(u32::MAX);
            if !seen.insert(segment_offset) {
                return Err(bad(format!("segment {segment_offset:#x} is listed twice")));
            }
            let segment = self.hive.cell(segment_offset)?;
            let want = (size - data.len()).min(SEGMENT);
            let part = segment.get(..want).ok_or_else(|| {
                bad(format!(
                    "segment {segment_offset:#x} holds {} bytes, {want} expected",
                    segment.len()
                ))
            })?;
            data.extend_from_slice(part);
        }
        Ok(data)
    }

    /// The data decoded according to the value's type.
    pub fn data(&self) -> Result<ValueData, HiveError> {
        let raw = self.raw_data()?;
        let kind = self.kind();
        // Numbers shorter than their type are kept as bytes: SAM and SECURITY hives store
        // zero-length REG_DWORD values whose type field is the payload.
        let fixed = |n: usize| raw.get(..n).and_then(|b| b.try_into().ok());
        Ok(match kind {
            ValueKind::String => ValueData::String(utf16_string(&raw)),
            ValueKind::ExpandString => ValueData::ExpandString(utf16_string(&raw)),
            ValueKind::Link => ValueData::Link(utf16_string(&raw)),
            ValueKind::MultiString => ValueData::MultiString(utf16_multi(&raw)),
            ValueKind::Dword => match fixed(4) {
                Some(b) => ValueData::Dword(u32::from_le_bytes(b)),
                None => ValueData::Bytes(raw.into_owned()),
            },
            ValueKind::DwordBigEndian => match fixed(4) {
                Some(b) => ValueData::DwordBigEndian(u32::from_be_bytes(b)),
                None => ValueData::Bytes(raw.into_owned()),
            },
            ValueKind::Qword => match raw.get(..8).and_then(|b| b.try_into().ok()) {
                Some(b) => ValueData::Qword(u64::from_le_bytes(b)),
                None => ValueData::Bytes(raw.into_owned()),
            },
            _ => ValueData::Bytes(raw.into_owned()),
        })
    }

    fn wrong_type(&self, expected: &'static str, data: &ValueData) -> HiveError {
        let kind = self.kind();
        let numeric = matches!(
            kind,
            ValueKind::Dword | ValueKind::DwordBigEndian | ValueKind::Qword
        );
        if let (true, ValueData::Bytes(bytes)) = (numeric, data) {
            return HiveError::BadData {
                name: self.name().into_owned(),
                kind: kind.name().into_owned(),
                problem: format!("{} bytes are too few for its type", bytes.len()),
            };
        }
        HiveError::WrongType {
            name: self.name().into_owned(),
            expected,
            found: kind.name().into_owned(),
        }
    }

    /// The data as a string: REG_SZ, REG_EXPAND_SZ (unexpanded) or REG_LINK.
    pub fn as_string(&self) -> Result<String, HiveError> {
        match self.data()? {
            ValueData::String(s) | ValueData::ExpandString(s) | ValueData::Link(s) => Ok(s),
            other => Err(self.wrong_type("a string", &other)),
        }
    }

    /// The data as a 32-bit number: REG_DWORD or REG_DWORD_BIG_ENDIAN.
    pub fn as_u32(&self) -> Result<u32, HiveError> {
        match self.data()? {
            ValueData::Dword(n) | ValueData::DwordBigEndian(n) => Ok(n),
            other => Err(self.wrong_type("a 32-bit number", &other)),
        }
    }

    /// The data as a 64-bit number: REG_QWORD, or a REG_DWORD widened.
    pub fn as_u64(&self) -> Result<u64, HiveError> {
        match self.data()? {
            ValueData::Qword(n) => Ok(n),
            ValueData::Dword(n) | ValueData::DwordBigEndian(n) => Ok(u64::from(n)),
            other => Err(self.wrong_type("a 64-bit number", &other)),
        }
    }

    /// The data as a list of strings: REG_MULTI_SZ.
    pub fn as_multi_string(&self) -> Result<Vec<String>, HiveError> {
        match self.data()? {
            ValueData::MultiString(list) => Ok(list),
            other => Err(self.wrong_type("a multi-string", &other)),
        }
    }

    /// The raw data bytes, whatever the type.
    pub fn bytes(&self) -> Result<Vec<u8>, HiveError> {
        self.raw_data().map(Cow::into_owned)
    }
}

fn utf16_units(raw: &[u8]) -> Vec<u16> {
    raw.chunks_exact(2)
        .map(|c| u16::from_le_bytes(c.try_into().unwrap_or([0; 2])))
        .collect()
}

/// Decodes a UTF-16LE string up to its first NUL (data after it is not part of the string).
pub(crate) fn utf16_string(raw: &[u8]) -> String {
    let units = utf16_units(raw);
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(units.get(..end).unwrap_or_default())
}

fn utf16_multi(raw: &[u8]) -> Vec<String> {
    utf16_units(raw)
        .split(|&u| u == 0)
        .take_while(|part| !part.is_empty())
        .map(String::from_utf16_lossy)
        .collect()
}
