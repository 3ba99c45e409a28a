//! New-format (HvLE) transaction logs (`.LOG1`, `.LOG2`) and their replay onto a dirty hive.
//!
//! A log holds a partial copy of the base block (first 512 bytes, file type 6) and log entries from
//! offset 512, each with consecutive sequence numbers and two Marvin32 hashes. Replay starts at the
//! primary file's secondary sequence number, takes the log whose entries come first, and continues
//! in the next log with the next sequence number; a bad hash, size or sequence gap ends it.

use super::base_block::{self, BASE_BLOCK_SIZE, BaseBlock, FILE_TYPE_LOG_NEW};
use super::bytes::{put, u32_at, u64_at};
use crate::error::HiveError;

/// Marvin32 seed used by the registry for log-entry hashes (bytes 82 EF 4D 88 7A 4E 55 C5).
const MARVIN_SEED: u64 = 0x82EF_4D88_7A4E_55C5;
const ENTRY_HEADER: usize = 40;
const SECTOR: usize = 512;
const PAGE: u32 = 4096;

/// What log replay did to a dirty hive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogReplay {
    /// Log entries applied, over all logs.
    pub entries_applied: usize,
    /// Dirty pages written into the hive.
    pub pages_applied: usize,
    /// Sequence number of the first and last entry applied.
    pub sequence_range: Option<(u32, u32)>,
    /// Index (in the caller's list) of each log that contributed entries, in replay order.
    pub logs_used: Vec<usize>,
    /// Logs or entries that were skipped, and why.
    pub problems: Vec<HiveError>,
}

struct Entry<'a> {
    sequence: u32,
    flags: u32,
    hive_bins_data_size: u32,
    /// (offset in hive bins data, page bytes)
    pages: Vec<(u32, &'a [u8])>,
}

struct ParsedLog<'a> {
    index: usize,
    base: BaseBlock,
    header: &'a [u8],
    entries: Vec<Entry<'a>>,
}

/// Marvin32 (the hash of .NET string hashing), as used for HvLE entries.
pub(crate) fn marvin32(data: &[u8], seed: u64) -> u64 {
    fn block(p0: &mut u32, p1: &mut u32) {
        *p1 ^= *p0;
        *p0 = p0.rotate_left(20);
        *p0 = p0.wrapping_add(*p1);
        *p1 = p1.rotate_left(9);
        *p1 ^= *p0;
        *p0 = p0.rotate_left(27);
        *p0 = p0.wrapping_add(*p1);
        *p1 = p1.rotate_left(19);
    }
    let mut p0 = seed as u32;
    let mut p1 = (seed >> 32) as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        p0 = p0.wrapping_add(u32::from_le_bytes(chunk.try_into().unwrap_or([0; 4])));
        block(&mut p0, &mut p1);
    }
    let tail = chunks.remainder();
    let byte = |i: usize| u32::from(tail.get(i).copied().unwrap_or(0));
    let last = match tail.len() {
        0 => 0x80,
        1 => 0x8000 | byte(0),
        2 => 0x0080_0000 | byte(0) | (byte(1) << 8),
        _ => 0x8000_0000 | byte(0) | (byte(1) << 8) | (byte(2) << 16),
    };
    p0 = p0.wrapping_add(last);
    block(&mut p0, &mut p1);
    block(&mut p0, &mut p1);
    (u64::from(p1) << 32) | u64::from(p0)
}

fn bad(log: usize, problem: impl Into<String>) -> HiveError {
    HiveError::BadLog {
        log,
        problem: problem.into(),
    }
}

fn parse_log<'a>(
    index: usize,
    bytes: &'a [u8],
    problems: &mut Vec<HiveError>,
) -> Option<ParsedLog<'a>> {
    let base = match BaseBlock::parse(bytes) {
        Ok(base) => base,
        Err(err) => {
            problems.push(bad(index, format!("its base block is unreadable: {err}")));
            return None;
        }
    };
    if base.file_type != FILE_TYPE_LOG_NEW {
        problems.push(bad(
            index,
            format!(
                "file type {} is not a new-format (HvLE) log; old-format logs are not supported",
                base.file_type
            ),
        ));
        return None;
    }
    if !base.checksum_ok() || base.primary_sequence != base.secondary_sequence {
        problems.push(bad(
            index,
            "its base block has a wrong checksum or unequal sequence numbers",
        ));
        return None;
    }
    let mut entries = Vec::new();
    let mut at = SECTOR;
    // Each iteration advances by at least one sector, so this ends within len / 512 steps.
    while let Some(header) = bytes.get(at..at.saturating_add(ENTRY_HEADER)) {
        if header.get(..4) != Some(b"HvLE".as_slice()) {
            break;
        }
        match parse_entry(bytes, at) {
            Ok(entry) => {
                let size = u32_at(header, 4).unwrap_or(0) as usize;
                if let Some(previous) = entries.last().map(|e: &Entry<'_>| e.sequence)
                    && entry.sequence != previous.wrapping_add(1)
                {
                    break;
                }
                entries.push(entry);
                at = at.saturating_add(size);
            }
            Err(problem) => {
                problems.push(bad(
                    index,
                    format!("log entry at {at:#x}: {problem}; replay stops there"),
                ));
                break;
            }
        }
    }
    Some(ParsedLog {
        index,
        header: bytes.get(..SECTOR).unwrap_or_default(),
        base,
        entries,
    })
}

fn parse_entry(bytes: &[u8], at: usize) -> Result<Entry<'_>, String> {
    let field = |rel: usize| u32_at(bytes, at + rel).unwrap_or(0);
    let size = field(4) as usize;
    if size < ENTRY_HEADER || !size.is_multiple_of(SECTOR) {
        return Err(format!("size {size} is not a positive multiple of 512"));
    }
    let entry = bytes
        .get(at..at.saturating_add(size))
        .ok_or_else(|| format!("size {size} runs past the end of the log"))?;
    let hive_bins_data_size = field(16);
    if !hive_bins_data_size.is_multiple_of(PAGE) || hive_bins_data_size == 0 {
        return Err(format!(
            "hive bins data size {hive_bins_data_size} is not a multiple of 4096"
        ));
    }
    let hash1 = u64_at(entry, 24).unwrap_or(0);
    let hash2 = u64_at(entry, 32).unwrap_or(0);
    if marvin32(entry.get(ENTRY_HEADER..).unwrap_or_default(), MARVIN_SEED) != hash1 {
        return Err("hash-1 does not match its data".into());
    }
    if marvin32(entry.get(..32).unwrap_or_default(), MARVIN_SEED) != hash2 {
        return Err("hash-2 does not match its header".into());
    }
    let count = field(20) as usize;
    let refs_end = count
        .checked_mul(8)
        .and_then(|n| n.checked_add(ENTRY_HEADER))
        .filter(|&end| end <= size)
        .ok_or_else(|| format!("{count} dirty page references do not fit in {size} bytes"))?;
    let mut pages = Vec::with_capacity(count);
    let mut data_at = refs_end;
    for i in 0..count {
        let page_offset = u32_at(entry, ENTRY_HEADER + i * 8).unwrap_or(u32::MAX);
        let page_size = u32_at(entry, ENTRY_HEADER + i * 8 + 4).unwrap_or(u32::MAX);
        let page_end = page_offset.checked_add(page_size);
        if page_end.is_none_or(|end| end > hive_bins_data_size) {
            return Err(format!(
                "dirty page at {page_offset:#x} of {page_size} bytes lies outside the hive bins data"
            ));
        }
        let page = entry
            .get(data_at..data_at.saturating_add(page_size as usize))
            .ok_or_else(|| format!("dirty page {i} runs past the end of its entry"))?;
        pages.push((page_offset, page));
        data_at += page_size as usize;
    }
    Ok(Entry {
        sequence: field(12),
        flags: field(8),
        hive_bins_data_size,
        pages,
    })
}

/// Replays `logs` onto the primary hive `data` (whole file) in place.
///
/// `primary` is the primary file's parsed base block. Returns what was applied; a log that
/// cannot be used is recorded in `problems`, not an error, so that the other log still counts.
pub(crate) fn replay(data: &mut Vec<u8>, primary: &BaseBlock, logs: &[&[u8]]) -> LogReplay {
    let mut report = LogReplay::default();
    let mut parsed: Vec<ParsedLog<'_>> = logs
        .iter()
        .enumerate()
        .filter_map(|(i, bytes)| parse_log(i, bytes, &mut report.problems))
        .collect();
    let start = if primary.checksum_ok() {
        primary.secondary_sequence
    } else {
        // The primary base block is unusable: recover it from the log with the latest entries
        // and replay that log only.
        let Some(latest) = parsed.iter().max_by_key(|log| log.base.primary_sequence) else {
            return report;
        };
        let start = latest.base.primary_sequence;
        let header = latest.header;
        let keep = latest.index;
        if let Some(block) = data.get_mut(..BASE_BLOCK_SIZE) {
            block.fill(0);
            put(block, 0, header);
            put(block, 28, &base_block::FILE_TYPE_PRIMARY.to_le_bytes());
        }
        parsed.retain(|log| log.index == keep);
        start
    };
    for log in &mut parsed {
        log.entries.retain(|entry| entry.sequence >= start);
    }
    parsed.retain(|log| !log.entries.is_empty());
    parsed.sort_by_key(|log| log.entries.first().map(|e| e.sequence));

    // Growth is bounded by what the inputs could hold: a log cannot describe more data than it has.
    let growth_limit = logs
        .iter()
        .fold(data.len(), |acc, log| acc.saturating_add(log.len()));
    let mut expected: Option<u32> = None;
    let mut last: Option<&Entry<'_>> = None;
    'logs: for log in &parsed {
        let mut used = false;
        for entry in &log.entries {
            match expected {
                // Already applied from the previous log.
                Some(want) if entry.sequence < want => continue,
                // A gap: recovery stops after the last consecutive entry.
                Some(want) if entry.sequence > want => break 'logs,
                _ => {}
            }
            let new_len = BASE_BLOCK_SIZE + entry.hive_bins_data_size as usize;
            if new_len > growth_limit {
                report.problems.push(bad(
                    log.index,
                    format!(
                        "entry {} grows the hive to {} bytes, more than the inputs hold; replay stops there",
                        entry.sequence, entry.hive_bins_data_size
                    ),
                ));
                break 'logs;
            }
            if new_len > data.len() {
                data.resize(new_len, 0);
            }
            for (offset, page) in &entry.pages {
                put(data, BASE_BLOCK_SIZE + *offset as usize, page);
            }
            report.entries_applied += 1;
            report.pages_applied += entry.pages.len();
            report.sequence_range = Some(match report.sequence_range {
                Some((first, _)) => (first, entry.sequence),
                None => (entry.sequence, entry.sequence),
            });
            if !used {
                report.logs_used.push(log.index);
                used = true;
            }
            expected = Some(entry.sequence.wrapping_add(1));
            last = Some(entry);
        }
    }
    if let Some(entry) = last {
        finish_base_block(data, entry);
    }
    report
}

/// Writes the replayed state into the base block so the hive reads as clean.
fn finish_base_block(data: &mut [u8], entry: &Entry<'_>) {
    let Some(block) = data.get_mut(..BASE_BLOCK_SIZE) else {
        return;
    };
    put(block, 4, &entry.sequence.to_le_bytes());
    put(block, 8, &entry.sequence.to_le_bytes());
    put(block, 40, &entry.hive_bins_data_size.to_le_bytes());
    let flags = u32_at(block, 144).unwrap_or(0) & !base_block::FLAG_KTM_LOCKED
        | (entry.flags & base_block::FLAG_KTM_LOCKED);
    put(block, 144, &flags.to_le_bytes());
    let sum = base_block::checksum(block);
    put(block, 508, &sum.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from an independent implementation whose hashes match every HvLE entry of the
    /// regipy logs; they cover each tail length (0 to 3 bytes).
    #[test]
    fn marvin32_matches_known_vectors() {
        let cases: [(&[u8], u64); 5] = [
            (b"", 0xb39e_fca4_0396_6e08),
            (b"a", 0x21a0_13c7_26f2_92f4),
            (b"abc", 0xb9cf_3dfc_a419_14f7),
            (b"abcd", 0x2009_4fb1_1a6c_d086),
            (b"abcdefg", 0x0c00_597a_c6bf_45f2),
        ];
        for (data, hash) in cases {
            assert_eq!(marvin32(data, MARVIN_SEED), hash, "{data:?}");
        }
    }
}
