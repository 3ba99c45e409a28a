//! The layer cache: what reading a layer produced, keyed by the layer's
//! digest and the capture fingerprint, and the merged view of an image,
//! keyed by its layers' digests (in order) and the capture fingerprint: a
//! pure function of those layers, it spares a warm read the merge. Only
//! verified layers, and views of images whose every layer was verified, are
//! stored.
//! Every write goes to a temporary file in the cache directory and is
//! renamed into place, so a crash or a concurrent run leaves either the old
//! entry, the new one, or none — never a torn one. A cache entry that cannot
//! be read is treated as absent and rewritten.

mod record;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::layer::LayerSummary;
use crate::merge::BrokenLink;

pub(crate) use record::{StoredView, ViewLayer};

/// The environment variable that overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "WINSPECT_CACHE_DIR";

/// Bumped when the stored form or the meaning of a summary changes: an
/// entry of another format is ignored and rewritten. Format 1 was JSON
/// (`.layer.json`); format 2 is the binary record of [`record`].
const FORMAT: u32 = 2;
const SUFFIX: &str = ".layer.bin";
const VIEW_SUFFIX: &str = ".view.bin";
/// Entries of earlier formats: never read, still listed so that
/// `winspect cache prune` removes them.
const OLD_SUFFIXES: &[&str] = &[".layer.json"];

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// One cached layer, as `winspect cache ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The layer digest, `sha256:<hex>`; for a merged view (see
    /// [`Cache::views`]), the sha256 of its ordered list of layer digests.
    pub digest: String,
    /// The capture fingerprint the entry was made with.
    pub fingerprint: String,
    /// Bytes on disk.
    pub size: u64,
    /// When the entry was last written or read.
    pub last_used: SystemTime,
    pub path: PathBuf,
}

/// What [`Cache::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Layer entries removed, and their bytes.
    pub entries: u64,
    pub bytes: u64,
    /// Merged views removed, and their bytes.
    pub views: u64,
    pub view_bytes: u64,
}

impl Cache {
    /// The cache in `dir`, created when needed.
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The cache in `$WINSPECT_CACHE_DIR`, else the user's cache directory
    /// (`$XDG_CACHE_HOME/winspect`, `~/.cache/winspect`).
    pub fn user_default() -> Result<Cache, Error> {
        Ok(Cache::at(Cache::default_dir()?))
    }

    /// Where [`Cache::user_default`] keeps its entries.
    pub fn default_dir() -> Result<PathBuf, Error> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        dirs::cache_dir()
            .map(|d| d.join("winspect"))
            .ok_or_else(|| Error::Cache {
                path: PathBuf::from("~/.cache"),
                reason: format!("no user cache directory is known; set {CACHE_DIR_ENV}"),
            })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn layers_dir(&self) -> PathBuf {
        self.dir.join("layers")
    }

    fn views_dir(&self) -> PathBuf {
        self.dir.join("views")
    }

    /// Where the view of an image of these layers is kept.
    fn view_path(&self, digests: &[&str], fingerprint: &str) -> Option<PathBuf> {
        if digests.is_empty() || !is_safe_name(fingerprint) {
            return None;
        }
        let mut key = Sha256::new();
        key.update(b"winspect merged view\n");
        for digest in digests {
            key.update(digest.as_bytes());
            key.update(b"\n");
        }
        Some(self.views_dir().join(format!(
            "{}.{fingerprint}{VIEW_SUFFIX}",
            hex::encode(key.finalize())
        )))
    }

    fn entry_path(&self, digest: &str, fingerprint: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        if !is_safe_name(hex) || !is_safe_name(fingerprint) {
            return None;
        }
        Some(
            self.layers_dir()
                .join(format!("{hex}.{fingerprint}{SUFFIX}")),
        )
    }

    /// The summary stored for this layer and fingerprint, if any. Marks the
    /// entry as used. An entry that is damaged, of another format or of
    /// another key is treated as absent (the layer is read again and the
    /// entry rewritten). `scratch` holds the stored bytes while they are
    /// decoded; reused across layers, it saves the fresh pages each would
    /// cost.
    pub(crate) fn load(
        &self,
        digest: &str,
        fingerprint: &str,
        scratch: &mut Vec<u8>,
    ) -> Option<LayerSummary> {
        let path = self.entry_path(digest, fingerprint)?;
        let file = read_whole(&path, scratch)?;
        let summary = record::decode(scratch, FORMAT, digest, fingerprint).ok()?;
        let _ = file.set_modified(SystemTime::now());
        Some(summary)
    }

    /// Stores a verified layer's summary.
    pub(crate) fn store(
        &self,
        digest: &str,
        fingerprint: &str,
        summary: &LayerSummary,
    ) -> Result<(), Error> {
        let Some(path) = self.entry_path(digest, fingerprint) else {
            return Ok(());
        };
        let bytes =
            record::encode(FORMAT, digest, fingerprint, summary).map_err(|e| Error::Cache {
                path: path.clone(),
                reason: format!("cannot encode a captured artifact: {e}"),
            })?;
        write_atomically(&path, &bytes)
    }

    /// The merged view stored for an image of these layers (in order) and
    /// this fingerprint, if any; marks it as used. Like a layer's entry, a
    /// view that cannot be used is treated as absent.
    pub(crate) fn load_view(&self, digests: &[&str], fingerprint: &str) -> Option<StoredView> {
        let path = self.view_path(digests, fingerprint)?;
        let mut bytes = Vec::new();
        let file = read_whole(&path, &mut bytes)?;
        let view = record::decode_view(&bytes, FORMAT, digests, fingerprint).ok()?;
        let _ = file.set_modified(SystemTime::now());
        Some(view)
    }

    /// Stores the merged view of an image whose every layer was verified.
    pub(crate) fn store_view(
        &self,
        digests: &[&str],
        fingerprint: &str,
        layers: &[ViewLayer],
        files: &[winspect_inventory::File],
        broken_links: &[BrokenLink],
    ) -> Result<(), Error> {
        let Some(path) = self.view_path(digests, fingerprint) else {
            return Ok(());
        };
        let Some(bytes) =
            record::encode_view(FORMAT, digests, fingerprint, layers, files, broken_links)
        else {
            return Ok(());
        };
        write_atomically(&path, &bytes)
    }

    /// Every layer entry, oldest use first (entries of earlier formats
    /// too, so that they can be pruned).
    pub fn list(&self) -> Result<Vec<CacheEntry>, Error> {
        let suffixes: Vec<&str> = std::iter::once(SUFFIX)
            .chain(OLD_SUFFIXES.iter().copied())
            .collect();
        entries_in(&self.layers_dir(), &suffixes)
    }

    /// Every merged view of an image, oldest use first.
    pub fn views(&self) -> Result<Vec<CacheEntry>, Error> {
        entries_in(&self.views_dir(), &[VIEW_SUFFIX])
    }

    /// Removes every entry and view (`older_than` = `None`) or those last
    /// used longer ago than `older_than`. Leftover temporary files of crashed runs older
    /// than an hour go too.
    pub fn prune(&self, older_than: Option<Duration>) -> Result<Pruned, Error> {
        let now = SystemTime::now();
        let mut pruned = Pruned::default();
        let old = |entry: &CacheEntry| {
            let age = now.duration_since(entry.last_used).unwrap_or_default();
            older_than.is_none_or(|limit| age > limit)
        };
        for entry in self.list()?.into_iter().filter(old) {
            fs::remove_file(&entry.path).map_err(|e| Error::io(&entry.path, e))?;
            pruned.entries += 1;
            pruned.bytes += entry.size;
        }
        for view in self.views()?.into_iter().filter(old) {
            fs::remove_file(&view.path).map_err(|e| Error::io(&view.path, e))?;
            pruned.views += 1;
            pruned.view_bytes += view.size;
        }
        for dir in [self.layers_dir(), self.views_dir()] {
            let Ok(read) = fs::read_dir(dir) else {
                continue;
            };
            for item in read.flatten() {
                let stale = item
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|t| now.duration_since(t).unwrap_or_default() > Duration::from_secs(3600))
                    .unwrap_or(false);
                if item.file_name().to_string_lossy().starts_with(".tmp-") && stale {
                    let _ = fs::remove_file(item.path());
                }
            }
        }
        Ok(pruned)
    }
}

/// The entries in `dir` whose names end in one of `suffixes`, oldest use
/// first.
fn entries_in(dir: &Path, suffixes: &[&str]) -> Result<Vec<CacheEntry>, Error> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut entries = Vec::new();
    for item in read {
        let item = item.map_err(|e| Error::io(dir, e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        let Some(stem) = suffixes.iter().find_map(|suffix| name.strip_suffix(suffix)) else {
            continue;
        };
        let Some((hex, fingerprint)) = stem.split_once('.') else {
            continue;
        };
        let meta = item.metadata().map_err(|e| Error::io(item.path(), e))?;
        entries.push(CacheEntry {
            digest: format!("sha256:{hex}"),
            fingerprint: fingerprint.to_owned(),
            size: meta.len(),
            last_used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            path: item.path(),
        });
    }
    entries.sort_by(|a, b| a.last_used.cmp(&b.last_used).then(a.digest.cmp(&b.digest)));
    Ok(entries)
}

/// Reads the file at `path` into `bytes` in one go (sized from its length,
/// so the buffer is not grown and copied), and returns it open, to be
/// marked as used.
fn read_whole(path: &Path, bytes: &mut Vec<u8>) -> Option<fs::File> {
    let mut file = fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    bytes.clear();
    bytes.reserve(usize::try_from(len).ok()?);
    file.read_to_end(bytes).ok()?;
    Some(file)
}

fn is_safe_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// into place: readers see the old file, the new one, or none.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |reason: String| Error::Cache {
        path: dir.to_owned(),
        reason,
    };
    fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it: {e}")))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| fail(format!("cannot create a temporary file: {e}")))?;
    temp.write_all(bytes)
        .map_err(|e| fail(format!("cannot write: {e}")))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| fail(format!("cannot sync: {e}")))?;
    temp.persist(path)
        .map_err(|e| fail(format!("cannot rename into place: {}", e.error)))?;
    Ok(())
}

/// Reads a duration such as `30d`, `12h`, `90m`, `45s` or `2w` (for
/// `winspect cache prune --older-than`).
pub fn parse_age(text: &str) -> Result<Duration, Error> {
    let text = text.trim();
    let bad = || Error::Source {
        input: text.to_owned(),
        reason: "not an age: expected a number and a unit (s, m, h, d, w), e.g. `30d`".into(),
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_lists_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let digest = format!("sha256:{}", "a".repeat(64));
        assert!(cache.load(&digest, "none", &mut Vec::new()).is_none());
        let summary = LayerSummary {
            other_entries: 3,
            ..LayerSummary::default()
        };
        cache.store(&digest, "none", &summary).unwrap();
        assert_eq!(
            cache.load(&digest, "none", &mut Vec::new()).unwrap(),
            summary
        );
        assert!(cache.load(&digest, "other", &mut Vec::new()).is_none());
        let listed = cache.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].digest, digest);
        assert!(listed[0].size > 0);
        assert_eq!(
            cache
                .prune(Some(Duration::from_secs(3600)))
                .unwrap()
                .entries,
            0
        );
        assert_eq!(cache.prune(None).unwrap().entries, 1);
        assert!(cache.list().unwrap().is_empty());
        // A torn entry reads as absent.
        cache.store(&digest, "none", &summary).unwrap();
        fs::write(&listed[0].path, b"{\"format\":1,").unwrap();
        assert!(cache.load(&digest, "none", &mut Vec::new()).is_none());
    }

    #[test]
    fn entries_of_other_formats_are_ignored_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let digest = format!("sha256:{}", "b".repeat(64));
        let summary = LayerSummary {
            other_entries: 7,
            ..LayerSummary::default()
        };
        cache.store(&digest, "none", &summary).unwrap();
        let path = cache.entry_path(&digest, "none").unwrap();
        // The same record under an older format number is not read.
        fs::write(
            &path,
            record::encode(FORMAT - 1, &digest, "none", &summary).unwrap(),
        )
        .unwrap();
        assert!(cache.load(&digest, "none", &mut Vec::new()).is_none());
        // A JSON entry of format 1, under its own name, is never read but is
        // listed and pruned.
        let old = cache
            .layers_dir()
            .join(format!("{}.none.layer.json", "b".repeat(64)));
        fs::write(
            &old,
            format!(
                r#"{{"format":1,"digest":"{digest}","fingerprint":"none","summary":{{"entries":[],"captures":[],"utility_vm":{{"files":0,"bytes":0}},"other_entries":7,"uncompressed_size":0}}}}"#
            ),
        )
        .unwrap();
        fs::remove_file(&path).unwrap();
        assert!(cache.load(&digest, "none", &mut Vec::new()).is_none());
        assert_eq!(cache.list().unwrap().len(), 1);
        // Storing again writes the current format beside it; it reads back.
        cache.store(&digest, "none", &summary).unwrap();
        assert_eq!(
            cache.load(&digest, "none", &mut Vec::new()).unwrap(),
            summary
        );
        assert_eq!(cache.list().unwrap().len(), 2);
        assert_eq!(cache.prune(None).unwrap().entries, 2);
        assert!(!old.exists() && !path.exists());
    }

    #[test]
    fn ages_parse() {
        assert_eq!(parse_age("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(parse_age("45s").unwrap(), Duration::from_secs(45));
        assert!(parse_age("30").is_err());
        assert!(parse_age("d").is_err());
        assert!(parse_age("3y").is_err());
    }
}
