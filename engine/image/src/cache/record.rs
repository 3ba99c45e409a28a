//! The stored form of one cached layer: a binary record, read back in one
//! pass with no parsing of text. Integers are little-endian; `varint` is an
//! unsigned LEB128 number, `str` a varint length and UTF-8 bytes, `bytes` a
//! varint length and raw bytes.
//!
//! ```text
//! header   magic b"WSPLAYER" | format u32 | payload length u64 | payload crc32 u32
//! payload  str digest | str fingerprint
//!          varint uncompressed size | varint other entries
//!          varint utility VM files | varint utility VM bytes
//!          varint entry count, each: u8 kind | str path | by kind:
//!            0 file: varint size, 32 bytes sha256    1 directory
//!            2 whiteout    3 opaque directory
//!            4 hard link: u8 has target, [str target], str raw target
//!            5 symbolic link: str target
//!          varint capture count, each: str rule | str path | varint size
//!            | str sha256 hex | u8 content | by content:
//!            0 bytes: bytes    1 artifact: str JSON    2 too large: varint limit
//!            3 failed: str reason    4 hard link: str target
//! ```
//!
//! A merged view (what a warm read of a whole image needs besides the
//! layers' captures) is a record of the same kind with magic b"WSPVIEW2":
//!
//! ```text
//! payload  str fingerprint | varint layer count, each: str digest
//!            | varint uncompressed size | varint utility VM files
//!            | varint utility VM bytes | varint capture count
//!          varint file count, each: str path | varint size
//!            | 32 bytes sha256 | varint layer index
//!          varint broken link count, each: varint layer index | str path
//!            | str target
//! ```
//!
//! The checksum catches a torn or damaged file; the digests and fingerprint
//! inside catch a file renamed to another key. Either way the entry is
//! treated as absent and the layers are read again.

use crate::capture::{Captured, CapturedEntry};
use crate::layer::{Entry, Kind, LayerSummary, UtilityVm};
use crate::merge::{BrokenLink, lower_hex};

const MAGIC: &[u8; 8] = b"WSPLAYER";
const VIEW_MAGIC: &[u8; 8] = b"WSPVIEW2";
/// Magic, format, payload length, checksum.
pub(super) const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// Why a stored record was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unusable {
    /// Not a record of this kind at all (e.g. a file of an older release).
    NotARecord,
    /// A record of another format version.
    OtherFormat(u32),
    /// Shorter or longer than its header says.
    WrongLength { expected: u64, actual: u64 },
    /// The payload does not match its checksum.
    Checksum,
    /// The payload is not what the format describes.
    Malformed(&'static str),
    /// A record of another layer or capture request.
    OtherKey,
}

/// The whole stored file for `summary`.
pub(super) fn encode(
    format: u32,
    digest: &str,
    fingerprint: &str,
    summary: &LayerSummary,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut payload = Vec::with_capacity(64 + summary.entries.len() * 96);
    let out = &mut payload;
    put_str(out, digest);
    put_str(out, fingerprint);
    put_varint(out, summary.uncompressed_size);
    put_varint(out, summary.other_entries);
    put_varint(out, summary.utility_vm.files);
    put_varint(out, summary.utility_vm.bytes);
    put_varint(out, summary.entries.len() as u64);
    for entry in &summary.entries {
        let tag = match entry.kind {
            Kind::File { .. } => 0,
            Kind::Dir => 1,
            Kind::Whiteout => 2,
            Kind::Opaque => 3,
            Kind::HardLink { .. } => 4,
            Kind::Symlink { .. } => 5,
        };
        out.push(tag);
        put_str(out, &entry.path);
        match &entry.kind {
            Kind::File { size, sha256 } => {
                put_varint(out, *size);
                out.extend_from_slice(sha256);
            }
            Kind::Dir | Kind::Whiteout | Kind::Opaque => {}
            Kind::HardLink { target, raw_target } => {
                match target {
                    Some(target) => {
                        out.push(1);
                        put_str(out, target);
                    }
                    None => out.push(0),
                }
                put_str(out, raw_target);
            }
            Kind::Symlink { target } => put_str(out, target),
        }
    }
    put_varint(out, summary.captures.len() as u64);
    for capture in &summary.captures {
        put_str(out, &capture.rule);
        put_str(out, &capture.path);
        put_varint(out, capture.size);
        put_str(out, &capture.sha256);
        match &capture.content {
            Captured::Bytes(bytes) => {
                out.push(0);
                put_bytes(out, bytes);
            }
            Captured::Artifact(value) => {
                out.push(1);
                put_str(out, &serde_json::to_string(value)?);
            }
            Captured::TooLarge { limit } => {
                out.push(2);
                put_varint(out, *limit);
            }
            Captured::Failed(reason) => {
                out.push(3);
                put_str(out, reason);
            }
            Captured::HardLink { target } => {
                out.push(4);
                put_str(out, target);
            }
        }
    }
    Ok(seal(MAGIC, format, &payload))
}

/// `payload` behind its header.
fn seal(magic: &[u8; 8], format: u32, payload: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(payload);
    let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
    file.extend_from_slice(magic);
    file.extend_from_slice(&format.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&crc.sum().to_le_bytes());
    file.extend_from_slice(payload);
    file
}

/// The payload of `file`, once its header and checksum say it is sound.
fn open<'a>(file: &'a [u8], magic: &[u8; 8], format: u32) -> Result<Reader<'a>, Unusable> {
    let (header, payload) = file
        .split_at_checked(HEADER_LEN)
        .ok_or(Unusable::NotARecord)?;
    let mut header = Reader { rest: header };
    if header.take(magic.len())? != magic {
        return Err(Unusable::NotARecord);
    }
    let found = u32::from_le_bytes(header.array()?);
    if found != format {
        return Err(Unusable::OtherFormat(found));
    }
    let expected = u64::from_le_bytes(header.array()?);
    if expected != payload.len() as u64 {
        return Err(Unusable::WrongLength {
            expected,
            actual: payload.len() as u64,
        });
    }
    let checksum = u32::from_le_bytes(header.array()?);
    let mut crc = flate2::Crc::new();
    crc.update(payload);
    if crc.sum() != checksum {
        return Err(Unusable::Checksum);
    }
    Ok(Reader { rest: payload })
}

/// The summary stored in `file`, if it is a sound record of format
/// `format` for this digest and fingerprint.
pub(super) fn decode(
    file: &[u8],
    format: u32,
    digest: &str,
    fingerprint: &str,
) -> Result<LayerSummary, Unusable> {
    let mut r = open(file, MAGIC, format)?;
    if r.str()? != digest || r.str()? != fingerprint {
        return Err(Unusable::OtherKey);
    }
    let uncompressed_size = r.varint()?;
    let other_entries = r.varint()?;
    let utility_vm = UtilityVm {
        files: r.varint()?,
        bytes: r.varint()?,
    };
    // Each entry takes at least two bytes, so a count cannot make us
    // reserve more than the file could hold.
    let count = r.count(2)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = r.byte()?;
        let path = r.str()?.to_owned();
        let kind = match tag {
            0 => Kind::File {
                size: r.varint()?,
                sha256: r.array()?,
            },
            1 => Kind::Dir,
            2 => Kind::Whiteout,
            3 => Kind::Opaque,
            4 => {
                let target = match r.byte()? {
                    0 => None,
                    1 => Some(r.str()?.to_owned()),
                    _ => return Err(Unusable::Malformed("hard link flag")),
                };
                Kind::HardLink {
                    target,
                    raw_target: r.str()?.to_owned(),
                }
            }
            5 => Kind::Symlink {
                target: r.str()?.to_owned(),
            },
            _ => return Err(Unusable::Malformed("entry kind")),
        };
        entries.push(Entry { path, kind });
    }
    let count = r.count(6)?;
    let mut captures = Vec::with_capacity(count);
    for _ in 0..count {
        let rule = r.str()?.to_owned();
        let path = r.str()?.to_owned();
        let size = r.varint()?;
        let sha256 = r.str()?.to_owned();
        let content = match r.byte()? {
            0 => Captured::Bytes(r.bytes()?.to_vec()),
            1 => Captured::Artifact(
                serde_json::from_str(r.str()?)
                    .map_err(|_| Unusable::Malformed("capture artifact"))?,
            ),
            2 => Captured::TooLarge { limit: r.varint()? },
            3 => Captured::Failed(r.str()?.to_owned()),
            4 => Captured::HardLink {
                target: r.str()?.to_owned(),
            },
            _ => return Err(Unusable::Malformed("capture content kind")),
        };
        captures.push(CapturedEntry {
            rule,
            path,
            size,
            sha256,
            content,
        });
    }
    if !r.rest.is_empty() {
        return Err(Unusable::Malformed("bytes after the last capture"));
    }
    Ok(LayerSummary {
        entries,
        captures,
        utility_vm,
        other_entries,
        uncompressed_size,
    })
}

/// One layer's part of a stored view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ViewLayer {
    pub uncompressed_size: u64,
    pub utility_vm: UtilityVm,
    /// How many captures the layer's own entry holds (they are not repeated
    /// in the view).
    pub captures: u64,
}

/// The merged view of an image: what its layers were and what it shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StoredView {
    pub layers: Vec<ViewLayer>,
    pub files: Vec<winspect_inventory::File>,
    pub broken_links: Vec<BrokenLink>,
}

/// The whole stored file for the view of the image whose layers are
/// `digests`; `None` when the view is not one the layers produced (a file
/// or link of a layer not in `digests`, a digest that is not hex).
pub(super) fn encode_view(
    format: u32,
    digests: &[&str],
    fingerprint: &str,
    layers: &[ViewLayer],
    files: &[winspect_inventory::File],
    broken_links: &[BrokenLink],
) -> Option<Vec<u8>> {
    let index_of = |digest: &Option<String>| {
        let digest = digest.as_deref()?;
        digests.iter().position(|d| *d == digest)
    };
    if digests.len() != layers.len() {
        return None;
    }
    let mut payload = Vec::with_capacity(64 + files.len() * 80);
    let out = &mut payload;
    put_str(out, fingerprint);
    put_varint(out, digests.len() as u64);
    for (digest, layer) in digests.iter().zip(layers) {
        put_str(out, digest);
        put_varint(out, layer.uncompressed_size);
        put_varint(out, layer.utility_vm.files);
        put_varint(out, layer.utility_vm.bytes);
        put_varint(out, layer.captures);
    }
    put_varint(out, files.len() as u64);
    for file in files {
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&file.sha256, &mut sha256).ok()?;
        put_str(out, &file.path);
        put_varint(out, file.size);
        out.extend_from_slice(&sha256);
        put_varint(out, index_of(&file.layer)? as u64);
    }
    put_varint(out, broken_links.len() as u64);
    for link in broken_links {
        put_varint(out, digests.iter().position(|d| *d == link.layer)? as u64);
        put_str(out, &link.path);
        put_str(out, &link.target);
    }
    Some(seal(VIEW_MAGIC, format, &payload))
}

/// The view stored in `file`, if it is a sound record of format `format`
/// for these layers and fingerprint.
pub(super) fn decode_view(
    file: &[u8],
    format: u32,
    digests: &[&str],
    fingerprint: &str,
) -> Result<StoredView, Unusable> {
    let mut r = open(file, VIEW_MAGIC, format)?;
    if r.str()? != fingerprint || r.varint()? != digests.len() as u64 {
        return Err(Unusable::OtherKey);
    }
    let mut layers = Vec::with_capacity(digests.len());
    for digest in digests {
        if r.str()? != *digest {
            return Err(Unusable::OtherKey);
        }
        layers.push(ViewLayer {
            uncompressed_size: r.varint()?,
            utility_vm: UtilityVm {
                files: r.varint()?,
                bytes: r.varint()?,
            },
            captures: r.varint()?,
        });
    }
    let layer_name = |r: &mut Reader<'_>| {
        let index = usize::try_from(r.varint()?).map_err(|_| Unusable::Malformed("layer"))?;
        digests
            .get(index)
            .map(|d| (*d).to_owned())
            .ok_or(Unusable::Malformed("layer index"))
    };
    // Each file takes at least 35 bytes (an empty path, a size, a digest
    // and a layer index).
    let count = r.count(35)?;
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        let path = r.str()?.to_owned();
        let size = r.varint()?;
        let sha256 = lower_hex(&r.array()?);
        files.push(winspect_inventory::File {
            path,
            size,
            sha256,
            layer: Some(layer_name(&mut r)?),
            ..winspect_inventory::File::default()
        });
    }
    let count = r.count(3)?;
    let mut broken_links = Vec::with_capacity(count);
    for _ in 0..count {
        broken_links.push(BrokenLink {
            layer: layer_name(&mut r)?,
            path: r.str()?.to_owned(),
            target: r.str()?.to_owned(),
        });
    }
    if !r.rest.is_empty() {
        return Err(Unusable::Malformed("bytes after the last broken link"));
    }
    Ok(StoredView {
        layers,
        files,
        broken_links,
    })
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Unusable> {
        let (taken, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or(Unusable::Malformed("ends early"))?;
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unusable> {
        let bytes = self.take(N)?;
        bytes
            .try_into()
            .map_err(|_| Unusable::Malformed("ends early"))
    }

    fn byte(&mut self) -> Result<u8, Unusable> {
        let [byte] = self.array()?;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, Unusable> {
        let mut value: u64 = 0;
        // A u64 needs at most ten 7-bit groups.
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(Unusable::Malformed("number too large"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Unusable::Malformed("number too long"))
    }

    /// A count of items each at least `min_len` bytes long, checked
    /// against what is left.
    fn count(&mut self, min_len: usize) -> Result<usize, Unusable> {
        let count = usize::try_from(self.varint()?).map_err(|_| Unusable::Malformed("count"))?;
        if count > self.rest.len() / min_len {
            return Err(Unusable::Malformed("count larger than the record"));
        }
        Ok(count)
    }

    fn bytes(&mut self) -> Result<&'a [u8], Unusable> {
        let len = usize::try_from(self.varint()?).map_err(|_| Unusable::Malformed("length"))?;
        self.take(len)
    }

    fn str(&mut self) -> Result<&'a str, Unusable> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Unusable::Malformed("text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A summary with every kind of entry and capture.
    fn every_kind() -> LayerSummary {
        let entry = |path: &str, kind: Kind| Entry {
            path: path.into(),
            kind,
        };
        let capture = |path: &str, content: Captured| CapturedEntry {
            rule: "rule".into(),
            path: path.into(),
            size: 300,
            sha256: "ab".repeat(32),
            content,
        };
        LayerSummary {
            entries: vec![
                entry(
                    "Windows/System32/kernel32.dll",
                    Kind::File {
                        size: 1 << 40,
                        sha256: [7; 32],
                    },
                ),
                entry(
                    "Program Files/Ünïcode ☃.txt",
                    Kind::File {
                        size: 0,
                        sha256: [0; 32],
                    },
                ),
                entry("Windows", Kind::Dir),
                entry("Windows/Temp", Kind::Whiteout),
                entry("app", Kind::Opaque),
                entry(
                    "link.dll",
                    Kind::HardLink {
                        target: Some("Windows/System32/kernel32.dll".into()),
                        raw_target: "Files/Windows/System32/kernel32.dll".into(),
                    },
                ),
                entry(
                    "vm.dll",
                    Kind::HardLink {
                        target: None,
                        raw_target: "UtilityVM/Files/vm.dll".into(),
                    },
                ),
                entry(
                    "Users/All Users",
                    Kind::Symlink {
                        target: "ProgramData".into(),
                    },
                ),
            ],
            captures: vec![
                capture("Hives/Software_Delta", Captured::Bytes((0..=255).collect())),
                capture(
                    "Files/a.dll",
                    Captured::Artifact(serde_json::json!({"version": [10, 0], "name": "a"})),
                ),
                capture("Files/big.dll", Captured::TooLarge { limit: u64::MAX }),
                capture("Files/bad.dll", Captured::Failed("not a PE file".into())),
                capture(
                    "Files/link.dll",
                    Captured::HardLink {
                        target: "Files/a.dll".into(),
                    },
                ),
            ],
            utility_vm: UtilityVm {
                files: 12,
                bytes: 345_678,
            },
            other_entries: 3,
            uncompressed_size: 987_654_321,
        }
    }

    #[test]
    fn every_kind_of_entry_and_capture_round_trips() {
        let summary = every_kind();
        let file = encode(5, DIGEST, "fp1", &summary).unwrap();
        assert_eq!(decode(&file, 5, DIGEST, "fp1").unwrap(), summary);
        let empty = LayerSummary::default();
        let file = encode(5, DIGEST, "none", &empty).unwrap();
        assert_eq!(decode(&file, 5, DIGEST, "none").unwrap(), empty);
    }

    #[test]
    fn varints_round_trip_at_their_edges() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut r = Reader { rest: &out };
            assert_eq!(r.varint().unwrap(), value);
            assert!(r.rest.is_empty());
        }
        // Eleven bytes, or a tenth byte above 1, do not fit in a u64.
        let mut r = Reader { rest: &[0xff; 11] };
        assert!(r.varint().is_err());
        let mut r = Reader {
            rest: &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        };
        assert!(r.varint().is_err());
    }

    #[test]
    fn damaged_records_are_refused_for_what_is_wrong() {
        let file = encode(5, DIGEST, "fp1", &every_kind()).unwrap();
        // Every truncation is refused, none panics.
        for len in 0..file.len() {
            let err = decode(file.get(..len).unwrap(), 5, DIGEST, "fp1").unwrap_err();
            let expected = if len < HEADER_LEN {
                Unusable::NotARecord
            } else {
                Unusable::WrongLength {
                    expected: (file.len() - HEADER_LEN) as u64,
                    actual: (len - HEADER_LEN) as u64,
                }
            };
            assert_eq!(err, expected, "truncated to {len} bytes");
        }
        // Every flipped payload byte is caught by the checksum.
        for at in HEADER_LEN..file.len() {
            let mut damaged = file.clone();
            damaged[at] ^= 0x20;
            assert_eq!(
                decode(&damaged, 5, DIGEST, "fp1").unwrap_err(),
                Unusable::Checksum,
                "byte {at} flipped"
            );
        }
        assert_eq!(
            decode(&file, 6, DIGEST, "fp1").unwrap_err(),
            Unusable::OtherFormat(5)
        );
        assert_eq!(
            decode(&file, 5, DIGEST, "fp2").unwrap_err(),
            Unusable::OtherKey
        );
        let other = DIGEST.replace('0', "f");
        assert_eq!(
            decode(&file, 5, &other, "fp1").unwrap_err(),
            Unusable::OtherKey
        );
        // A JSON entry of the first cache format is not a record.
        let json = br#"{"format":1,"digest":"sha256:00","fingerprint":"none","summary":{}}"#;
        assert_eq!(
            decode(json, 5, DIGEST, "none").unwrap_err(),
            Unusable::NotARecord
        );
    }

    #[test]
    fn a_sound_checksum_over_a_malformed_payload_is_still_refused() {
        // Lengths and counts that overrun the payload must fail cleanly even
        // when the checksum matches (a bug, not damage, would write them).
        let reseal = |payload: Vec<u8>| {
            let mut crc = flate2::Crc::new();
            crc.update(&payload);
            let mut file = Vec::new();
            file.extend_from_slice(MAGIC);
            file.extend_from_slice(&5u32.to_le_bytes());
            file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            file.extend_from_slice(&crc.sum().to_le_bytes());
            file.extend_from_slice(&payload);
            file
        };
        let mut payload = Vec::new();
        put_str(&mut payload, DIGEST);
        put_str(&mut payload, "fp1");
        for _ in 0..4 {
            put_varint(&mut payload, 0);
        }
        let mut huge_count = payload.clone();
        put_varint(&mut huge_count, u64::MAX);
        assert_eq!(
            decode(&reseal(huge_count), 5, DIGEST, "fp1").unwrap_err(),
            Unusable::Malformed("count larger than the record")
        );
        let mut long_path = payload.clone();
        put_varint(&mut long_path, 1);
        long_path.push(0);
        put_varint(&mut long_path, 1000);
        long_path.extend_from_slice(b"short");
        assert_eq!(
            decode(&reseal(long_path), 5, DIGEST, "fp1").unwrap_err(),
            Unusable::Malformed("ends early")
        );
        let mut bad_kind = payload.clone();
        put_varint(&mut bad_kind, 1);
        bad_kind.push(9);
        put_str(&mut bad_kind, "x");
        put_varint(&mut bad_kind, 0);
        assert_eq!(
            decode(&reseal(bad_kind), 5, DIGEST, "fp1").unwrap_err(),
            Unusable::Malformed("entry kind")
        );
        let mut trailing = payload;
        put_varint(&mut trailing, 0);
        put_varint(&mut trailing, 0);
        trailing.push(0);
        assert_eq!(
            decode(&reseal(trailing), 5, DIGEST, "fp1").unwrap_err(),
            Unusable::Malformed("bytes after the last capture")
        );
    }

    #[test]
    fn views_round_trip_and_refuse_other_keys_and_damage() {
        let other = DIGEST.replace('0', "e");
        let digests = [DIGEST, other.as_str()];
        let layers = [
            ViewLayer {
                uncompressed_size: 1 << 33,
                utility_vm: UtilityVm { files: 2, bytes: 3 },
                captures: 4,
            },
            ViewLayer::default(),
        ];
        let file = |path: &str, size: u64, layer: &str| winspect_inventory::File {
            path: path.into(),
            size,
            sha256: "5a".repeat(32),
            layer: Some(layer.into()),
            ..winspect_inventory::File::default()
        };
        let files = [
            file("Windows/System32/kernel32.dll", 770_136, DIGEST),
            file("Program Files/Ünïcode ☃.txt", 0, &other),
        ];
        let broken = [BrokenLink {
            layer: other.clone(),
            path: "gone.dll".into(),
            target: "Files/nothere.dll".into(),
        }];
        let stored = encode_view(5, &digests, "fp1", &layers, &files, &broken).unwrap();
        assert_eq!(
            decode_view(&stored, 5, &digests, "fp1").unwrap(),
            StoredView {
                layers: layers.to_vec(),
                files: files.to_vec(),
                broken_links: broken.to_vec(),
            }
        );
        // Another list of layers, order, fingerprint or format is not this view.
        for (digests, fingerprint, format, err) in [
            (&[DIGEST][..], "fp1", 5, Unusable::OtherKey),
            (&[other.as_str(), DIGEST][..], "fp1", 5, Unusable::OtherKey),
            (&digests[..], "fp2", 5, Unusable::OtherKey),
            (&digests[..], "fp1", 6, Unusable::OtherFormat(5)),
        ] {
            assert_eq!(
                decode_view(&stored, format, digests, fingerprint).unwrap_err(),
                err
            );
        }
        // A layer record is not a view, nor the other way round.
        let layer = encode(5, DIGEST, "fp1", &every_kind()).unwrap();
        assert_eq!(
            decode_view(&layer, 5, &digests, "fp1").unwrap_err(),
            Unusable::NotARecord
        );
        assert_eq!(
            decode(&stored, 5, DIGEST, "fp1").unwrap_err(),
            Unusable::NotARecord
        );
        for len in 0..stored.len() {
            assert!(decode_view(&stored[..len], 5, &digests, "fp1").is_err());
        }
        for at in HEADER_LEN..stored.len() {
            let mut damaged = stored.clone();
            damaged[at] ^= 0x04;
            assert_eq!(
                decode_view(&damaged, 5, &digests, "fp1").unwrap_err(),
                Unusable::Checksum
            );
        }
        // A view naming a layer the image does not have is not stored.
        let stray = [file("x", 1, "sha256:stray")];
        assert!(encode_view(5, &digests, "fp1", &layers, &stray, &[]).is_none());
        assert!(encode_view(5, &digests, "fp1", &layers[..1], &files, &[]).is_none());
    }
}
