//! Writing REGF hives from a declarative tree: full base hives (REGF 1.5) and differencing delta
//! hives (REGF 1.6, base-block flag 0x2) with layer semantics, tombstone values, class names,
//! security cells, big data and `lh`/`ri` subkey lists.
//!
//! ```
//! use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
//! use winspect_hive::{Hive, LayerSemantics};
//!
//! let mut root = KeySpec::new("ROOT");
//! root.key_mut(r"Microsoft\Windows NT\CurrentVersion")
//!     .value(ValueSpec::string("CurrentBuild", "20348"))
//!     .value(ValueSpec::dword("UBR", 2655));
//! root.key_mut("Obsolete").semantics(LayerSemantics::Tombstone);
//! let bytes = HiveBuilder::new(HiveKind::Delta, root).to_bytes()?;
//! let hive = Hive::from_bytes(bytes)?;
//! let key = hive.open(r"Microsoft\Windows NT\CurrentVersion")?.expect("written");
//! assert_eq!(key.value("UBR")?.expect("written").as_u32()?, 2655);
//! # Ok::<(), winspect_hive::HiveError>(())
//! ```

use std::collections::{HashMap, HashSet};

use crate::error::HiveError;
use crate::regf::base_block::{self, BASE_BLOCK_SIZE, FLAG_LAYERED_KEYS};
use crate::regf::bytes::put;
use crate::regf::{LayerSemantics, MAX_DEPTH, ValueKind, fold_name, name_hash, path_components};

/// Largest data kept in one cell (and the size of each big-data segment).
const SEGMENT: usize = 16344;
/// Entries per `lh` leaf; longer subkey lists are split under an `ri` index root.
const LEAF_MAX: usize = 500;
const BIN: usize = 4096;
const BIN_HEADER: usize = 32;
const NONE: u32 = u32::MAX;

/// Which kind of hive to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiveKind {
    /// An ordinary hive (REGF 1.5), as found in a base layer. Layer semantics are not allowed.
    Base,
    /// A layer's differencing hive (REGF 1.6, base-block flag 0x2), as in `Hives/*_Delta`.
    Delta,
}

/// A value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSpec {
    name: String,
    kind: ValueKind,
    data: Vec<u8>,
    tombstone: bool,
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

impl ValueSpec {
    /// A value of any type with raw data (unknown type numbers included).
    pub fn raw(name: impl Into<String>, kind: ValueKind, data: Vec<u8>) -> Self {
        ValueSpec {
            name: name.into(),
            kind,
            data,
            tombstone: false,
        }
    }
    /// REG_SZ (NUL-terminated UTF-16LE).
    pub fn string(name: impl Into<String>, s: &str) -> Self {
        Self::raw(name, ValueKind::String, utf16z(s))
    }
    /// REG_EXPAND_SZ.
    pub fn expand_string(name: impl Into<String>, s: &str) -> Self {
        Self::raw(name, ValueKind::ExpandString, utf16z(s))
    }
    /// REG_LINK (UTF-16LE without terminator, as Windows stores link targets).
    pub fn link(name: impl Into<String>, target: &str) -> Self {
        Self::raw(
            name,
            ValueKind::Link,
            target.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        )
    }
    /// REG_MULTI_SZ.
    pub fn multi_string(name: impl Into<String>, list: &[&str]) -> Self {
        let mut data: Vec<u8> = list.iter().flat_map(|s| utf16z(s)).collect();
        data.extend([0, 0]);
        Self::raw(name, ValueKind::MultiString, data)
    }
    /// REG_DWORD.
    pub fn dword(name: impl Into<String>, n: u32) -> Self {
        Self::raw(name, ValueKind::Dword, n.to_le_bytes().to_vec())
    }
    /// REG_DWORD_BIG_ENDIAN.
    pub fn dword_big_endian(name: impl Into<String>, n: u32) -> Self {
        Self::raw(name, ValueKind::DwordBigEndian, n.to_be_bytes().to_vec())
    }
    /// REG_QWORD.
    pub fn qword(name: impl Into<String>, n: u64) -> Self {
        Self::raw(name, ValueKind::Qword, n.to_le_bytes().to_vec())
    }
    /// REG_BINARY.
    pub fn binary(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self::raw(name, ValueKind::Binary, data)
    }
    /// REG_NONE with data.
    pub fn none(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self::raw(name, ValueKind::None, data)
    }
    /// A tombstone value (delta hives): hides the same-named value of lower layers.
    pub fn tombstone(name: impl Into<String>) -> Self {
        ValueSpec {
            tombstone: true,
            ..Self::raw(name, ValueKind::None, Vec::new())
        }
    }
}

/// A key to write, with its values and subkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    name: String,
    class: Option<String>,
    semantics: LayerSemantics,
    inherit_class: bool,
    security: Option<Vec<u8>>,
    last_written: Option<u64>,
    values: Vec<ValueSpec>,
    subkeys: Vec<KeySpec>,
}

impl KeySpec {
    /// A key with no values or subkeys, merge semantics, the default security descriptor.
    pub fn new(name: impl Into<String>) -> Self {
        KeySpec {
            name: name.into(),
            class: None,
            semantics: LayerSemantics::Merge,
            inherit_class: false,
            security: None,
            last_written: None,
            values: Vec::new(),
            subkeys: Vec::new(),
        }
    }
    /// Sets the class name.
    pub fn class(&mut self, class: impl Into<String>) -> &mut Self {
        self.class = Some(class.into());
        self
    }
    /// Sets the layer semantics (delta hives only).
    pub fn semantics(&mut self, semantics: LayerSemantics) -> &mut Self {
        self.semantics = semantics;
        self
    }
    /// Sets the inherit-class bit (delta hives only).
    pub fn inherit_class(&mut self, inherit: bool) -> &mut Self {
        self.inherit_class = inherit;
        self
    }
    /// Sets a self-relative security descriptor (default: [`default_security_descriptor`]).
    pub fn security(&mut self, descriptor: Vec<u8>) -> &mut Self {
        self.security = Some(descriptor);
        self
    }
    /// Sets the last-written FILETIME (default: the builder's timestamp).
    pub fn last_written(&mut self, filetime: u64) -> &mut Self {
        self.last_written = Some(filetime);
        self
    }
    /// Adds a value.
    pub fn value(&mut self, value: ValueSpec) -> &mut Self {
        self.values.push(value);
        self
    }
    /// Adds a subkey.
    pub fn subkey(&mut self, key: KeySpec) -> &mut Self {
        self.subkeys.push(key);
        self
    }
    /// The key at `path` below this one (case-insensitive), created with merge semantics when
    /// missing, like `mkdir -p`.
    pub fn key_mut(&mut self, path: &str) -> &mut KeySpec {
        let mut key = self;
        for component in path_components(path) {
            key = key.child_mut(component);
        }
        key
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "the index comes from position() or the push just made"
    )]
    fn child_mut(&mut self, name: &str) -> &mut KeySpec {
        let folded = fold_name(name);
        let index = match self
            .subkeys
            .iter()
            .position(|k| fold_name(&k.name) == folded)
        {
            Some(index) => index,
            None => {
                self.subkeys.push(KeySpec::new(name));
                self.subkeys.len() - 1
            }
        };
        &mut self.subkeys[index]
    }
}

/// Writes a hive from a root [`KeySpec`].
#[derive(Debug, Clone)]
pub struct HiveBuilder {
    kind: HiveKind,
    root: KeySpec,
    file_name: String,
    timestamp: u64,
}

impl HiveBuilder {
    /// A builder for a hive of `kind` with `root` as its root key.
    pub fn new(kind: HiveKind, root: KeySpec) -> Self {
        HiveBuilder {
            kind,
            root,
            file_name: String::new(),
            timestamp: 0,
        }
    }

    /// Sets the debugging file name in the base block (at most 31 characters are kept).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Sets the FILETIME used for the base block and for keys without their own.
    pub fn timestamp(mut self, filetime: u64) -> Self {
        self.timestamp = filetime;
        self
    }

    /// Writes the hive: base block, hive bins and every cell, with correct checksum.
    pub fn to_bytes(&self) -> Result<Vec<u8>, HiveError> {
        let mut cells = Cells::new(self.timestamp);
        let mut security = Security::default();
        let root = cells.write_key(&self.root, NONE, true, self, &mut security, 0)?;
        security.link(&mut cells);
        let bins = cells.finish();
        let mut out = vec![0u8; BASE_BLOCK_SIZE];
        let minor: u32 = match self.kind {
            HiveKind::Base => 5,
            HiveKind::Delta => 6,
        };
        let data_size =
            u32::try_from(bins.len()).map_err(|_| write_error("the hive is larger than 4 GiB"))?;
        put(&mut out, 0, b"regf");
        put(&mut out, 4, &1u32.to_le_bytes());
        put(&mut out, 8, &1u32.to_le_bytes());
        put(&mut out, 12, &self.timestamp.to_le_bytes());
        put(&mut out, 20, &1u32.to_le_bytes());
        put(&mut out, 24, &minor.to_le_bytes());
        put(&mut out, 32, &1u32.to_le_bytes());
        put(&mut out, 36, &root.to_le_bytes());
        put(&mut out, 40, &data_size.to_le_bytes());
        put(&mut out, 44, &1u32.to_le_bytes());
        let name: Vec<u8> = self
            .file_name
            .encode_utf16()
            .take(31)
            .flat_map(u16::to_le_bytes)
            .collect();
        put(&mut out, 48, &name);
        if self.kind == HiveKind::Delta {
            put(&mut out, 144, &FLAG_LAYERED_KEYS.to_le_bytes());
        }
        let sum = base_block::checksum(&out);
        put(&mut out, 508, &sum.to_le_bytes());
        out.extend(bins);
        Ok(out)
    }
}

fn write_error(problem: impl Into<String>) -> HiveError {
    HiveError::Write {
        problem: problem.into(),
    }
}

/// A name as stored: Latin-1 bytes when every character fits ("compressed"), else UTF-16LE.
fn stored_name(name: &str) -> (Vec<u8>, bool) {
    if name.chars().all(|c| u32::from(c) < 0x100) {
        (
            name.chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            true,
        )
    } else {
        (
            name.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            false,
        )
    }
}

fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count() * 2).unwrap_or(u32::MAX)
}

/// Security cells, shared between keys with the same descriptor.
#[derive(Default)]
struct Security {
    by_descriptor: HashMap<Vec<u8>, usize>,
    cells: Vec<(u32, u32)>, // (offset, reference count)
}

impl Security {
    fn cell_for(&mut self, cells: &mut Cells, descriptor: &[u8]) -> Result<u32, HiveError> {
        if let Some(&i) = self.by_descriptor.get(descriptor)
            && let Some(entry) = self.cells.get_mut(i)
        {
            entry.1 += 1;
            return Ok(entry.0);
        }
        let size = u32::try_from(descriptor.len())
            .map_err(|_| write_error("security descriptor too large"))?;
        let offset = cells.alloc(20 + descriptor.len())?;
        cells.set(offset, 0, b"sk");
        cells.set(offset, 16, &size.to_le_bytes());
        cells.set(offset, 20, descriptor);
        self.by_descriptor
            .insert(descriptor.to_vec(), self.cells.len());
        self.cells.push((offset, 1));
        Ok(offset)
    }

    /// Links the cells into the circular doubly linked list Windows keeps, with reference counts.
    fn link(&self, cells: &mut Cells) {
        let n = self.cells.len();
        for (i, &(offset, refs)) in self.cells.iter().enumerate() {
            let next = self.cells.get((i + 1) % n).map_or(offset, |c| c.0);
            let prev = self.cells.get((i + n - 1) % n).map_or(offset, |c| c.0);
            cells.set(offset, 4, &next.to_le_bytes());
            cells.set(offset, 8, &prev.to_le_bytes());
            cells.set(offset, 12, &refs.to_le_bytes());
        }
    }
}

/// Hive bins under construction.
struct Cells {
    data: Vec<u8>,
    cursor: usize,
    bin_end: usize,
    timestamp: u64,
}

impl Cells {
    fn new(timestamp: u64) -> Self {
        Cells {
            data: Vec::new(),
            cursor: 0,
            bin_end: 0,
            timestamp,
        }
    }

    /// Allocates a cell for `len` bytes of cell data; returns its offset.
    fn alloc(&mut self, len: usize) -> Result<u32, HiveError> {
        let size = (len + 4).div_ceil(8) * 8;
        if self.cursor + size > self.bin_end {
            self.close_bin();
            let bin_size = (size + BIN_HEADER).div_ceil(BIN) * BIN;
            let start = self.data.len();
            self.data.resize(start + bin_size, 0);
            put(&mut self.data, start, b"hbin");
            put(
                &mut self.data,
                start + 4,
                &u32::try_from(start).unwrap_or(NONE).to_le_bytes(),
            );
            put(
                &mut self.data,
                start + 8,
                &u32::try_from(bin_size).unwrap_or(NONE).to_le_bytes(),
            );
            if start == 0 {
                put(&mut self.data, start + 20, &self.timestamp.to_le_bytes());
            }
            self.cursor = start + BIN_HEADER;
            self.bin_end = start + bin_size;
        }
        let offset =
            u32::try_from(self.cursor).map_err(|_| write_error("the hive is larger than 4 GiB"))?;
        let size_field =
            -i32::try_from(size).map_err(|_| write_error("a cell is larger than 2 GiB"))?;
        put(&mut self.data, self.cursor, &size_field.to_le_bytes());
        self.cursor += size;
        Ok(offset)
    }

    /// Marks the rest of the current bin as one free cell.
    fn close_bin(&mut self) {
        let rest = self.bin_end - self.cursor;
        if rest > 0 {
            let free = i32::try_from(rest).unwrap_or(0);
            put(&mut self.data, self.cursor, &free.to_le_bytes());
        }
        self.cursor = self.bin_end;
    }

    /// Writes `bytes` at `at` within the data of the cell at `offset`.
    fn set(&mut self, offset: u32, at: usize, bytes: &[u8]) {
        put(&mut self.data, offset as usize + 4 + at, bytes);
    }

    fn finish(mut self) -> Vec<u8> {
        self.close_bin();
        self.data
    }

    fn write_value(&mut self, value: &ValueSpec) -> Result<(u32, u32, u32), HiveError> {
        let (name, compressed) = stored_name(&value.name);
        let name_len = u16::try_from(name.len())
            .map_err(|_| write_error(format!("value name `{}` is too long", value.name)))?;
        let offset = self.alloc(20 + name.len())?;
        let mut flags: u16 = if compressed { 0x1 } else { 0 };
        let (size_field, data_field) = if value.tombstone {
            flags |= 0x2;
            (0u32, NONE)
        } else {
            let len = u32::try_from(value.data.len())
                .ok()
                .filter(|&n| n < 0x8000_0000 && value.data.len() <= SEGMENT * usize::from(u16::MAX))
                .ok_or_else(|| write_error(format!("value `{}` has too much data", value.name)))?;
            if value.data.len() <= 4 {
                let mut inline = [0u8; 4];
                put(&mut inline, 0, &value.data);
                (len | 0x8000_0000, u32::from_le_bytes(inline))
            } else if value.data.len() <= SEGMENT {
                let cell = self.alloc(value.data.len())?;
                self.set(cell, 0, &value.data);
                (len, cell)
            } else {
                (len, self.write_big_data(&value.data)?)
            }
        };
        self.set(offset, 0, b"vk");
        self.set(offset, 2, &name_len.to_le_bytes());
        self.set(offset, 4, &size_field.to_le_bytes());
        self.set(offset, 8, &data_field.to_le_bytes());
        self.set(offset, 12, &value.kind.to_u32().to_le_bytes());
        self.set(offset, 16, &flags.to_le_bytes());
        self.set(offset, 20, &name);
        let data_len = if value.tombstone {
            0
        } else {
            size_field & !0x8000_0000
        };
        Ok((offset, utf16_len(&value.name), data_len))
    }

    fn write_big_data(&mut self, data: &[u8]) -> Result<u32, HiveError> {
        let mut segments = Vec::new();
        for chunk in data.chunks(SEGMENT) {
            let cell = self.alloc(chunk.len())?;
            self.set(cell, 0, chunk);
            segments.push(cell);
        }
        let list = self.alloc(segments.len() * 4)?;
        for (i, segment) in segments.iter().enumerate() {
            self.set(list, i * 4, &segment.to_le_bytes());
        }
        let count =
            u16::try_from(segments.len()).map_err(|_| write_error("too many big-data segments"))?;
        let db = self.alloc(8)?;
        self.set(db, 0, b"db");
        self.set(db, 2, &count.to_le_bytes());
        self.set(db, 4, &list.to_le_bytes());
        Ok(db)
    }

    fn write_leaf(&mut self, entries: &[(u32, u32)]) -> Result<u32, HiveError> {
        let cell = self.alloc(4 + entries.len() * 8)?;
        self.set(cell, 0, b"lh");
        self.set(
            cell,
            2,
            &u16::try_from(entries.len()).unwrap_or(0).to_le_bytes(),
        );
        for (i, (offset, hash)) in entries.iter().enumerate() {
            self.set(cell, 4 + i * 8, &offset.to_le_bytes());
            self.set(cell, 8 + i * 8, &hash.to_le_bytes());
        }
        Ok(cell)
    }

    fn write_subkey_list(&mut self, entries: &[(u32, u32)]) -> Result<u32, HiveError> {
        if entries.len() <= LEAF_MAX {
            return self.write_leaf(entries);
        }
        let leaves = entries
            .chunks(LEAF_MAX)
            .map(|chunk| self.write_leaf(chunk))
            .collect::<Result<Vec<_>, _>>()?;
        let count = u16::try_from(leaves.len()).map_err(|_| write_error("too many subkeys"))?;
        let root = self.alloc(4 + leaves.len() * 4)?;
        self.set(root, 0, b"ri");
        self.set(root, 2, &count.to_le_bytes());
        for (i, leaf) in leaves.iter().enumerate() {
            self.set(root, 4 + i * 4, &leaf.to_le_bytes());
        }
        Ok(root)
    }

    fn write_key(
        &mut self,
        key: &KeySpec,
        parent: u32,
        is_root: bool,
        builder: &HiveBuilder,
        security: &mut Security,
        depth: usize,
    ) -> Result<u32, HiveError> {
        check_key(key, builder.kind, depth)?;
        let (name, compressed) = stored_name(&key.name);
        let name_len = u16::try_from(name.len())
            .map_err(|_| write_error(format!("key name `{}` is too long", key.name)))?;
        let offset = self.alloc(76 + name.len())?;

        let (class_offset, class_len) = match &key.class {
            Some(class) => {
                let bytes: Vec<u8> = class.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let len = u16::try_from(bytes.len())
                    .map_err(|_| write_error(format!("class of `{}` is too long", key.name)))?;
                let cell = self.alloc(bytes.len())?;
                self.set(cell, 0, &bytes);
                (cell, len)
            }
            None => (NONE, 0),
        };
        let descriptor = key
            .security
            .clone()
            .unwrap_or_else(default_security_descriptor);
        let security_offset = security.cell_for(self, &descriptor)?;

        let mut largest_value_name = 0;
        let mut largest_value_data = 0;
        let mut value_offsets = Vec::with_capacity(key.values.len());
        for value in &key.values {
            let (cell, name_len, data_len) = self.write_value(value)?;
            value_offsets.push(cell);
            largest_value_name = largest_value_name.max(name_len);
            largest_value_data = largest_value_data.max(data_len);
        }
        let values_list = if value_offsets.is_empty() {
            NONE
        } else {
            let list = self.alloc(value_offsets.len() * 4)?;
            for (i, v) in value_offsets.iter().enumerate() {
                self.set(list, i * 4, &v.to_le_bytes());
            }
            list
        };

        let mut children: Vec<&KeySpec> = key.subkeys.iter().collect();
        children.sort_by_cached_key(|k| fold_name(&k.name));
        let mut entries = Vec::with_capacity(children.len());
        let mut largest_subkey_name = 0;
        let mut largest_subkey_class = 0;
        for child in &children {
            let cell = self.write_key(child, offset, false, builder, security, depth + 1)?;
            entries.push((cell, name_hash(&child.name)));
            largest_subkey_name = largest_subkey_name.max(utf16_len(&child.name));
            largest_subkey_class =
                largest_subkey_class.max(child.class.as_deref().map_or(0, utf16_len));
        }
        let subkey_list = if entries.is_empty() {
            NONE
        } else {
            self.write_subkey_list(&entries)?
        };

        let mut flags: u16 = if compressed { 0x20 } else { 0 };
        if is_root {
            flags |= 0x4 | 0x8; // KEY_HIVE_ENTRY | KEY_NO_DELETE
        }
        let layer_bits = if builder.kind == HiveKind::Delta {
            key.semantics.bits() | if key.inherit_class { 0x80 } else { 0 }
        } else {
            0
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        self.set(offset, 0, b"nk");
        self.set(offset, 2, &flags.to_le_bytes());
        self.set(
            offset,
            4,
            &key.last_written.unwrap_or(builder.timestamp).to_le_bytes(),
        );
        self.set(offset, 12, &[0, layer_bits, 0, 0]);
        self.set(offset, 16, &parent.to_le_bytes());
        self.set(offset, 20, &count(entries.len()));
        self.set(offset, 24, &0u32.to_le_bytes());
        self.set(offset, 28, &subkey_list.to_le_bytes());
        self.set(offset, 32, &NONE.to_le_bytes());
        self.set(offset, 36, &count(value_offsets.len()));
        self.set(offset, 40, &values_list.to_le_bytes());
        self.set(offset, 44, &security_offset.to_le_bytes());
        self.set(offset, 48, &class_offset.to_le_bytes());
        self.set(offset, 52, &largest_subkey_name.to_le_bytes());
        self.set(offset, 56, &largest_subkey_class.to_le_bytes());
        self.set(offset, 60, &largest_value_name.to_le_bytes());
        self.set(offset, 64, &largest_value_data.to_le_bytes());
        self.set(offset, 72, &name_len.to_le_bytes());
        self.set(offset, 74, &class_len.to_le_bytes());
        self.set(offset, 76, &name);
        Ok(offset)
    }
}

fn check_key(key: &KeySpec, kind: HiveKind, depth: usize) -> Result<(), HiveError> {
    let fail = |problem: String| Err(write_error(format!("key `{}`: {problem}", key.name)));
    if depth >= MAX_DEPTH {
        return fail(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    if key.name.is_empty() || key.name.contains('\\') || key.name.chars().count() > 255 {
        return fail("a key name must be 1 to 255 characters without `\\`".into());
    }
    if kind == HiveKind::Base && (key.semantics != LayerSemantics::Merge || key.inherit_class) {
        return fail("layer semantics and inherit-class need a delta hive".into());
    }
    if key.semantics == LayerSemantics::Tombstone
        && (!key.values.is_empty() || !key.subkeys.is_empty() || key.class.is_some())
    {
        return fail("a tombstone key has no values, subkeys or class".into());
    }
    if key.semantics == LayerSemantics::SupersedeTree
        && let Some(child) = key.subkeys.iter().find(|k| {
            !matches!(
                k.semantics,
                LayerSemantics::SupersedeTree | LayerSemantics::Tombstone
            )
        })
    {
        return fail(format!(
            "subkey `{}` of a supersede-tree key must be supersede-tree or tombstone",
            child.name
        ));
    }
    let mut names = HashSet::new();
    if let Some(dup) = key
        .subkeys
        .iter()
        .find(|k| !names.insert(fold_name(&k.name)))
    {
        return fail(format!("two subkeys are named `{}`", dup.name));
    }
    let mut names = HashSet::new();
    if let Some(dup) = key
        .values
        .iter()
        .find(|v| !names.insert(fold_name(&v.name)))
    {
        return fail(format!("two values are named `{}`", dup.name));
    }
    if kind == HiveKind::Base && key.values.iter().any(|v| v.tombstone) {
        return fail("tombstone values need a delta hive".into());
    }
    Ok(())
}

/// A self-relative security descriptor like Windows gives machine keys: owner Administrators,
/// group SYSTEM, DACL granting full control to SYSTEM and Administrators and read to Users,
/// inherited by subkeys.
pub fn default_security_descriptor() -> Vec<u8> {
    const SYSTEM: [u8; 12] = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
    const ADMINISTRATORS: [u8; 16] = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0];
    const USERS: [u8; 16] = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0];
    const KEY_ALL_ACCESS: u32 = 0x000F_003F;
    const KEY_READ: u32 = 0x0002_0019;
    let aces: [(u32, &[u8]); 3] = [
        (KEY_ALL_ACCESS, &SYSTEM),
        (KEY_ALL_ACCESS, &ADMINISTRATORS),
        (KEY_READ, &USERS),
    ];
    let mut acl = Vec::new();
    for (mask, sid) in aces {
        let size = u16::try_from(8 + sid.len()).unwrap_or(0);
        acl.extend([0u8, 0x02]); // ACCESS_ALLOWED_ACE_TYPE, CONTAINER_INHERIT_ACE
        acl.extend(size.to_le_bytes());
        acl.extend(mask.to_le_bytes());
        acl.extend(sid);
    }
    let acl_size = u16::try_from(8 + acl.len()).unwrap_or(0);
    let dacl_offset: u32 = 20;
    let owner_offset = dacl_offset + u32::from(acl_size);
    let group_offset = owner_offset + u32::try_from(ADMINISTRATORS.len()).unwrap_or(0);
    let mut sd = vec![1u8, 0];
    sd.extend(0x8004u16.to_le_bytes()); // SE_SELF_RELATIVE | SE_DACL_PRESENT
    sd.extend(owner_offset.to_le_bytes());
    sd.extend(group_offset.to_le_bytes());
    sd.extend(0u32.to_le_bytes());
    sd.extend(dacl_offset.to_le_bytes());
    sd.extend([2u8, 0]);
    sd.extend(acl_size.to_le_bytes());
    sd.extend(3u16.to_le_bytes());
    sd.extend([0u8, 0]);
    sd.extend(acl);
    sd.extend(ADMINISTRATORS);
    sd.extend(SYSTEM);
    sd
}
