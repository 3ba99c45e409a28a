//! Subkey lists: index leaf (`li`), fast leaf (`lf`), hash leaf (`lh`) and index root (`ri`).

use super::bytes::{u16_at, u32_at};
use super::{Hive, name_hash};
use crate::error::HiveError;

fn bad(offset: u32, problem: impl Into<String>) -> HiveError {
    HiveError::record("subkey list", offset, problem)
}

/// The key-node offsets listed by the subkey list at `offset`, following one `ri` level.
///
/// With `lookup`, entries of `lh` lists whose hash cannot match that (ASCII) name are skipped, so
/// a lookup in a list of thousands of keys reads only the few candidate key nodes.
pub(crate) fn subkey_offsets(
    hive: &Hive,
    offset: u32,
    lookup: Option<&str>,
) -> Result<Vec<u32>, HiveError> {
    let hash = lookup.filter(|name| name.is_ascii()).map(name_hash);
    let cell = hive.cell(offset)?;
    let mut out = Vec::new();
    if cell.get(..2) == Some(b"ri".as_slice()) {
        for sub in elements(cell, offset, 4)? {
            let sub_cell = hive.cell(sub)?;
            if sub_cell.get(..2) == Some(b"ri".as_slice()) {
                return Err(bad(sub, "an index root points to another index root"));
            }
            leaf(sub_cell, sub, hash, &mut out)?;
        }
    } else {
        leaf(cell, offset, hash, &mut out)?;
    }
    Ok(out)
}

fn leaf(cell: &[u8], offset: u32, hash: Option<u32>, out: &mut Vec<u32>) -> Result<(), HiveError> {
    match cell.get(..2) {
        Some(b"li") => out.extend(elements(cell, offset, 4)?),
        Some(b"lf") => out.extend(elements(cell, offset, 8)?),
        Some(b"lh") => {
            let count = count(cell, offset, 8)?;
            for i in 0..count {
                let at = 4 + i * 8;
                let key = u32_at(cell, at).unwrap_or(u32::MAX);
                let stored = u32_at(cell, at + 4).unwrap_or(0);
                if hash.is_none_or(|h| h == stored) {
                    out.push(key);
                }
            }
        }
        _ => {
            return Err(bad(
                offset,
                format!(
                    "signature `{}` is not li, lf, lh or ri",
                    String::from_utf8_lossy(cell.get(..2).unwrap_or_default())
                ),
            ));
        }
    }
    Ok(())
}

fn count(cell: &[u8], offset: u32, element: usize) -> Result<usize, HiveError> {
    let count = usize::from(u16_at(cell, 2).unwrap_or(0));
    if 4 + count * element > cell.len() {
        return Err(bad(
            offset,
            format!("{count} elements do not fit in a {}-byte cell", cell.len()),
        ));
    }
    Ok(count)
}

/// The first 4 bytes of each `element`-sized entry: the offsets.
fn elements(cell: &[u8], offset: u32, element: usize) -> Result<Vec<u32>, HiveError> {
    let count = count(cell, offset, element)?;
    Ok((0..count)
        .map(|i| u32_at(cell, 4 + i * element).unwrap_or(u32::MAX))
        .collect())
}
