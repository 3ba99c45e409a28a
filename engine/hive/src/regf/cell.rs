//! Cells: the size-prefixed records that fill hive bins.

use super::Bin;
use super::base_block::BASE_BLOCK_SIZE;
use super::bytes::i32_at;
use crate::error::HiveError;

/// Offset value meaning "no cell".
pub(crate) const NONE: u32 = u32::MAX;

fn bad(offset: u32, problem: impl Into<String>) -> HiveError {
    HiveError::BadCell {
        offset,
        problem: problem.into(),
    }
}

/// The data of the allocated cell at `offset` (relative to the hive bins data).
///
/// The cell must start inside a known bin, after its header, on an 8-byte boundary, be marked
/// allocated (negative size), and end inside the same bin.
pub(crate) fn cell_data<'a>(
    data: &'a [u8],
    bins: &[Bin],
    offset: u32,
) -> Result<&'a [u8], HiveError> {
    if offset == NONE {
        return Err(bad(offset, "the reference is empty (0xffffffff)"));
    }
    if !offset.is_multiple_of(8) {
        return Err(bad(offset, "the offset is not 8-byte aligned"));
    }
    let index = bins.partition_point(|bin| bin.end <= offset);
    let bin = bins
        .get(index)
        .filter(|bin| bin.start <= offset)
        .ok_or_else(|| bad(offset, "the offset lies outside the hive bins"))?;
    if offset < bin.start + 32 {
        return Err(bad(offset, "the offset points into a hive bin header"));
    }
    let at = BASE_BLOCK_SIZE + offset as usize;
    let size =
        i32_at(data, at).ok_or_else(|| bad(offset, "the cell runs past the end of the file"))?;
    if size >= 0 {
        return Err(bad(offset, "the cell is not allocated"));
    }
    let size = size.unsigned_abs();
    if size < 8 {
        return Err(bad(offset, format!("cell size {size} is too small")));
    }
    let end = offset
        .checked_add(size)
        .filter(|&end| end <= bin.end)
        .ok_or_else(|| {
            bad(
                offset,
                format!("cell size {size} runs past the end of its hive bin"),
            )
        })?;
    data.get(at + 4..BASE_BLOCK_SIZE + end as usize)
        .ok_or_else(|| bad(offset, "the cell runs past the end of the file"))
}
