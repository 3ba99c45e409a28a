//! The 4096-byte base block (file header) of a primary hive or a transaction log.

use super::bytes::{u32_at, u64_at, utf16le};
use crate::error::HiveError;

/// Size of the base block; hive bins data starts right after it.
pub const BASE_BLOCK_SIZE: usize = 4096;
/// Bytes covered by the XOR-32 checksum.
const CHECKSUM_SPAN: usize = 508;
/// Base-block flag: the hive supports layered keys (a differencing / delta hive).
pub const FLAG_LAYERED_KEYS: u32 = 0x2;
/// Base-block flag: the kernel transaction manager locked the hive.
pub const FLAG_KTM_LOCKED: u32 = 0x1;

/// File types found in the base block.
pub(crate) const FILE_TYPE_PRIMARY: u32 = 0;
pub(crate) const FILE_TYPE_LOG_NEW: u32 = 6;

/// The parsed fields of a base block that matter to a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseBlock {
    /// Incremented at the start of a write.
    pub primary_sequence: u32,
    /// Incremented at the end of a write; differs from `primary_sequence` in a dirty hive.
    pub secondary_sequence: u32,
    /// FILETIME of the last write (often zero in container hives).
    pub last_written: u64,
    /// Always 1.
    pub major_version: u32,
    /// 3 to 6; 6 is used by differencing (layered) hives.
    pub minor_version: u32,
    /// 0 for a primary file, 1 or 6 for a transaction log.
    pub file_type: u32,
    /// Offset of the root key node, relative to the hive bins data.
    pub root_cell_offset: u32,
    /// Size of the hive bins data in bytes.
    pub hive_bins_data_size: u32,
    /// The debugging file name stored in the header (UTF-16LE, up to 32 characters).
    pub file_name: String,
    /// Base-block flags (`FLAG_*`).
    pub flags: u32,
    /// The checksum stored in the file.
    pub stored_checksum: u32,
    /// The checksum computed over the first 508 bytes.
    pub computed_checksum: u32,
}

impl BaseBlock {
    /// Parses the base block at the start of `bytes`; checks signature and version only.
    pub fn parse(bytes: &[u8]) -> Result<Self, HiveError> {
        // A transaction log only carries the first sector (512 bytes) of the base block.
        let header = bytes
            .get(..512)
            .ok_or(HiveError::TooShort { len: bytes.len() })?;
        let signature = header.get(..4).unwrap_or_default();
        if signature != b"regf" {
            return Err(HiveError::BadSignature {
                found: String::from_utf8_lossy(signature).into_owned(),
            });
        }
        let field = |at: usize| u32_at(header, at).unwrap_or(0);
        let block = BaseBlock {
            primary_sequence: field(4),
            secondary_sequence: field(8),
            last_written: u64_at(header, 12).unwrap_or(0),
            major_version: field(20),
            minor_version: field(24),
            file_type: field(28),
            root_cell_offset: field(36),
            hive_bins_data_size: field(40),
            file_name: trim_nul(&utf16le(header.get(48..112).unwrap_or_default())),
            flags: field(144),
            stored_checksum: field(508),
            computed_checksum: checksum(header),
        };
        if block.major_version != 1 || !(3..=6).contains(&block.minor_version) {
            return Err(HiveError::UnsupportedVersion {
                major: block.major_version,
                minor: block.minor_version,
            });
        }
        Ok(block)
    }

    /// True when the stored checksum matches the computed one.
    pub fn checksum_ok(&self) -> bool {
        self.stored_checksum == self.computed_checksum
    }

    /// True for a differencing hive (base-block flag 0x2 on a 1.6 hive): a layer's delta hive.
    pub fn is_differencing(&self) -> bool {
        self.flags & FLAG_LAYERED_KEYS != 0 && self.minor_version >= 6
    }

    /// A hive is dirty when its sequence numbers differ or its checksum is wrong.
    pub fn is_dirty(&self) -> bool {
        self.primary_sequence != self.secondary_sequence || !self.checksum_ok()
    }
}

/// The XOR-32 checksum of the first 508 bytes, with the two reserved results remapped.
pub fn checksum(header: &[u8]) -> u32 {
    let span = header.get(..CHECKSUM_SPAN).unwrap_or(header);
    let sum = span
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
        .fold(0u32, |acc, word| acc ^ word);
    match sum {
        u32::MAX => u32::MAX - 1,
        0 => 1,
        other => other,
    }
}

fn trim_nul(s: &str) -> String {
    s.split('\0').next().unwrap_or_default().to_owned()
}
