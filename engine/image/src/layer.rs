//! One Windows layer tar, read as it streams: every entry under `Files/`
//! recorded with its size and sha256, whiteouts and hard links kept for the
//! merge, `UtilityVM/` counted, requested entries captured.

use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::capture::{CaptureRequest, CapturedEntry};
use crate::error::{Error, from_io};

/// What one layer contributes, in tar order. This is what the cache keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LayerSummary {
    pub entries: Vec<Entry>,
    pub captures: Vec<CapturedEntry>,
    pub utility_vm: UtilityVm,
    /// Entries outside `Files/`, `Hives/` and `UtilityVM/`.
    pub other_entries: u64,
    pub uncompressed_size: u64,
}

/// The utility VM's share of a layer: counted, never listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtilityVm {
    pub files: u64,
    pub bytes: u64,
}

/// An entry under `Files/`; `path` is relative to `Files/` (the container's
/// `C:\`), `/`-separated, in its original case.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub path: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A regular file. The digest stays binary until the merged view is
    /// built: most entries of lower layers are never shown.
    File {
        size: u64,
        sha256: [u8; 32],
    },
    Dir,
    /// `.wh.NAME`: `path` (and anything below it) is removed from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: everything below directory `path` in lower layers is removed.
    Opaque,
    /// A hard link to `target` (relative to `Files/`, or `None` when the
    /// target lies outside `Files/`).
    HardLink {
        target: Option<String>,
        raw_target: String,
    },
    Symlink {
        target: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Files,
    Hives,
    UtilityVm,
    Other,
}

/// Splits a tar name into its area and the path below it, refusing names
/// that could escape the layer root.
fn split_name(raw: &str, blob: &str) -> Result<(Area, String), Error> {
    let unsafe_path = |reason| Error::UnsafePath {
        blob: blob.to_owned(),
        path: raw.to_owned(),
        reason,
    };
    let normalized = raw.replace('\\', "/");
    if normalized.starts_with('/') {
        return Err(unsafe_path("absolute name"));
    }
    let bytes = normalized.as_bytes();
    if bytes.len() >= 2 && bytes.get(1) == Some(&b':') {
        return Err(unsafe_path("name with a drive letter"));
    }
    let mut parts = Vec::new();
    for part in normalized.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_path("name with a `..` component")),
            other => parts.push(other),
        }
    }
    let Some((top, rest)) = parts.split_first() else {
        return Ok((Area::Other, String::new()));
    };
    let area = if top.eq_ignore_ascii_case("Files") {
        Area::Files
    } else if top.eq_ignore_ascii_case("Hives") {
        Area::Hives
    } else if top.eq_ignore_ascii_case("UtilityVM") {
        Area::UtilityVm
    } else {
        Area::Other
    };
    Ok((area, rest.join("/")))
}

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// Reads a whole (uncompressed) layer tar.
pub(crate) fn read_layer_tar(
    tar_stream: &mut dyn Read,
    blob: &str,
    capture: &CaptureRequest,
    max_entries: u64,
) -> Result<LayerSummary, Error> {
    let mut summary = LayerSummary::default();
    let mut archive = tar::Archive::new(tar_stream);
    let entries = archive.entries().map_err(|e| from_io(e, blob))?;
    let mut buffer = vec![0u8; 128 * 1024];
    let mut count: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(|e| from_io(e, blob))?;
        count += 1;
        if count > max_entries {
            return Err(Error::TooLarge {
                blob: blob.to_owned(),
                limit: max_entries,
                what: "number of tar entries",
            });
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (area, path) = split_name(&raw_name, blob)?;
        let kind = entry.header().entry_type();
        let size = entry.size();
        summary.uncompressed_size += size;
        if kind.is_hard_link() || kind.is_symlink() {
            let raw_target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if area != Area::Files {
                if area == Area::UtilityVm {
                    summary.utility_vm.files += 1;
                } else {
                    summary.other_entries += 1;
                }
                continue;
            }
            let rules = capture.matching(&raw_name);
            if kind.is_hard_link() {
                let (target_area, target_path) = split_name(&raw_target, blob)?;
                if !rules.is_empty() {
                    summary
                        .captures
                        .extend(capture.capture_link(&rules, &raw_name, &raw_target));
                }
                summary.entries.push(Entry {
                    path,
                    kind: Kind::HardLink {
                        target: (target_area == Area::Files).then_some(target_path),
                        raw_target,
                    },
                });
            } else {
                summary.entries.push(Entry {
                    path,
                    kind: Kind::Symlink { target: raw_target },
                });
            }
            continue;
        }
        if kind.is_dir() {
            if area == Area::Files && !path.is_empty() {
                summary.entries.push(Entry {
                    path,
                    kind: Kind::Dir,
                });
            }
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            summary.other_entries += 1;
            continue;
        }
        if area == Area::Files {
            let (dir, name) = match path.rsplit_once('/') {
                Some((dir, name)) => (Some(dir), name),
                None => (None, path.as_str()),
            };
            if let Some(hidden) = name.strip_prefix(WHITEOUT) {
                let join = |leaf: &str| match dir {
                    Some(dir) if leaf.is_empty() => dir.to_owned(),
                    Some(dir) => format!("{dir}/{leaf}"),
                    None => leaf.to_owned(),
                };
                if name.eq_ignore_ascii_case(OPAQUE) {
                    summary.entries.push(Entry {
                        path: join(""),
                        kind: Kind::Opaque,
                    });
                } else if !hidden.starts_with(WHITEOUT) && !hidden.is_empty() {
                    summary.entries.push(Entry {
                        path: join(hidden),
                        kind: Kind::Whiteout,
                    });
                }
                continue;
            }
        }
        let rules = if area == Area::Files || area == Area::Hives {
            capture.matching(&raw_name)
        } else {
            Vec::new()
        };
        let keep = !rules.is_empty() && size <= capture.max_bytes(&rules);
        let mut kept = Vec::new();
        let mut hasher = Sha256::new();
        let mut read: u64 = 0;
        loop {
            let n = entry.read(&mut buffer).map_err(|e| from_io(e, blob))?;
            if n == 0 {
                break;
            }
            let chunk = buffer.get(..n).unwrap_or_default();
            hasher.update(chunk);
            if keep {
                kept.extend_from_slice(chunk);
            }
            read += n as u64;
        }
        if read != size {
            return Err(Error::invalid(
                blob,
                format!("tar entry `{raw_name}` ends after {read} of its {size} bytes"),
            ));
        }
        let sha256: [u8; 32] = hasher.finalize().into();
        if !rules.is_empty() {
            let bytes = keep.then_some(kept.as_slice());
            summary.captures.extend(capture.capture(
                &rules,
                &raw_name,
                size,
                &hex::encode(sha256),
                bytes,
            ));
        }
        match area {
            Area::Files => summary.entries.push(Entry {
                path,
                kind: Kind::File { size, sha256 },
            }),
            Area::UtilityVm => {
                summary.utility_vm.files += 1;
                summary.utility_vm.bytes += size;
            }
            Area::Hives | Area::Other => summary.other_entries += 1,
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_and_unsafe_ones_refused() {
        assert_eq!(
            split_name("Files/Windows/x.dll", "b").unwrap(),
            (Area::Files, "Windows/x.dll".into())
        );
        assert_eq!(
            split_name("./files\\a/./b", "b").unwrap(),
            (Area::Files, "a/b".into())
        );
        assert_eq!(split_name("Hives/Sam_Delta", "b").unwrap().0, Area::Hives);
        assert_eq!(
            split_name("UtilityVM/Files/x", "b").unwrap().0,
            Area::UtilityVm
        );
        for bad in ["/Files/a", "Files/../../etc/passwd", "C:/Windows", "../x"] {
            let err = split_name(bad, "layer `l`").unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{bad}`"))
                    && err.to_string().contains("layer `l`"),
                "{err}"
            );
        }
    }
}
