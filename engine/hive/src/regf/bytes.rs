//! Little-endian field access on byte slices that never panics.

pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

pub(crate) fn i32_at(bytes: &[u8], at: usize) -> Option<i32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(i32::from_le_bytes(b.try_into().ok()?))
}

pub(crate) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// Decodes UTF-16LE, replacing unpaired surrogates; an odd final byte is ignored.
pub(crate) fn utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        u16::from_le_bytes([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Decodes an "extended ASCII" name: each byte is the low byte of a UTF-16 code unit (Latin-1).
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Decodes a stored key or value name: Latin-1 when the compressed-name flag is set, else UTF-16LE.
pub(crate) fn stored_name(raw: &[u8], compressed: bool) -> String {
    if compressed {
        latin1(raw)
    } else {
        utf16le(raw)
    }
}

/// Writes `value` at `at`, growing nothing: callers size the buffer first.
pub(crate) fn put(buf: &mut [u8], at: usize, value: &[u8]) {
    if let Some(slot) = at
        .checked_add(value.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        slot.copy_from_slice(value);
    }
}
