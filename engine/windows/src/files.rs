//! The image's files as the extractors see them: the merged view of every
//! layer, with the bytes of the files the capture request asked for.
//!
//! Paths are relative to `C:\`, with `/` separators and no leading slash
//! (`Windows/System32/kernel32.dll`), and compare case-insensitively.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use winspect_inventory::Layer;

use crate::fold_name;

/// One file of the merged view.
#[derive(Debug, Clone, Copy)]
pub struct FileRef<'a> {
    pub path: &'a str,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: &'a str,
    /// The layer the file's content comes from.
    pub layer: Option<&'a str>,
    /// The content, when it was captured.
    pub bytes: Option<&'a [u8]>,
}

impl FileRef<'_> {
    pub fn layer(&self) -> Layer {
        self.layer.map(str::to_owned)
    }
}

/// A read-only view of the merged files.
pub trait FileSource {
    /// Every regular file, in any order.
    fn files(&self) -> Box<dyn Iterator<Item = FileRef<'_>> + '_>;

    /// The file at `path`, compared case-insensitively. The default scans
    /// [`FileSource::files`]; a source with an index should answer directly.
    fn file(&self, path: &str) -> Option<FileRef<'_>> {
        self.files().find(|f| crate::names_equal(f.path, path))
    }
}

/// Files held in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    files: Vec<StoredFile>,
    by_name: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
struct StoredFile {
    path: String,
    size: u64,
    sha256: String,
    layer: Layer,
    bytes: Option<Vec<u8>>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        MemoryFiles::default()
    }

    /// Adds a captured file; size and digest come from `bytes`. A file at
    /// the same path (any case) is replaced, as an upper layer replaces it.
    pub fn add(&mut self, path: &str, bytes: Vec<u8>, layer: Layer) {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        self.insert(StoredFile {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256,
            layer,
            bytes: Some(bytes),
        });
    }

    /// Adds a file whose content was not captured.
    pub fn add_listed(&mut self, path: &str, size: u64, sha256: &str, layer: Layer) {
        self.insert(StoredFile {
            path: path.to_owned(),
            size,
            sha256: sha256.to_owned(),
            layer,
            bytes: None,
        });
    }

    fn insert(&mut self, file: StoredFile) {
        let key = fold_name(&file.path);
        match self.by_name.get(&key).copied() {
            Some(index) => {
                if let Some(slot) = self.files.get_mut(index) {
                    *slot = file;
                }
            }
            None => {
                self.by_name.insert(key, self.files.len());
                self.files.push(file);
            }
        }
    }
}

impl StoredFile {
    fn as_ref(&self) -> FileRef<'_> {
        FileRef {
            path: &self.path,
            size: self.size,
            sha256: &self.sha256,
            layer: self.layer.as_deref(),
            bytes: self.bytes.as_deref(),
        }
    }
}

impl FileSource for MemoryFiles {
    fn files(&self) -> Box<dyn Iterator<Item = FileRef<'_>> + '_> {
        Box::new(self.files.iter().map(StoredFile::as_ref))
    }

    fn file(&self, path: &str) -> Option<FileRef<'_>> {
        self.by_name
            .get(&fold_name(path))
            .and_then(|&i| self.files.get(i))
            .map(StoredFile::as_ref)
    }
}

/// The file's name: the part after the last `/`.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The captured bytes of `file`, or an error saying they were not captured.
pub(crate) fn captured<'a>(file: &FileRef<'a>) -> Result<&'a [u8], String> {
    file.bytes
        .ok_or_else(|| format!("`{}`: the file's content was not captured", file.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_whatever_the_case_and_replaced_by_later_adds() {
        let mut files = MemoryFiles::new();
        files.add("Windows/System32/a.dll", b"abc".to_vec(), Some("l1".into()));
        files.add_listed("Windows/b.txt", 10, "00", None);
        files.add(
            "WINDOWS/system32/A.DLL",
            b"abcd".to_vec(),
            Some("l2".into()),
        );
        assert_eq!(files.files().count(), 2);
        let a = files.file("windows/system32/a.dll").unwrap();
        assert_eq!(a.size, 4);
        assert_eq!(a.layer, Some("l2"));
        assert_eq!(
            a.sha256,
            "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"
        );
        let b = files.file("Windows/B.txt").unwrap();
        assert!(b.bytes.is_none());
        assert_eq!(
            captured(&b).unwrap_err(),
            "`Windows/b.txt`: the file's content was not captured"
        );
        assert_eq!(file_name("a/b/c.json"), "c.json");
        assert_eq!(file_name("c.json"), "c.json");
    }
}
