//! The image's files as the extractors see them: the merged view the image
//! reader produced, with the bytes of the files the extractors' capture
//! rules kept, as a [`FileSource`].

use std::collections::HashMap;

use winspect_inventory::File;
use winspect_windows::{FileRef, FileSource};

/// The merged files of an image and the captured bytes of some of them.
#[derive(Debug, Default)]
pub struct ImageFiles {
    files: Vec<File>,
    bytes: Vec<Option<Vec<u8>>>,
    /// Lower-cased path to index.
    index: HashMap<String, usize>,
}

impl ImageFiles {
    /// The merged view `files` (paths relative to `C:\`); `captured` gives
    /// the bytes of some of them by path (compared case-insensitively; a
    /// path not in `files` is ignored).
    pub fn new(files: Vec<File>, captured: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let mut index = HashMap::with_capacity(files.len());
        for (i, file) in files.iter().enumerate() {
            index.insert(file.path.to_lowercase(), i);
        }
        let mut bytes = vec![None; files.len()];
        for (path, content) in captured {
            if let Some(slot) = index
                .get(&path.to_lowercase())
                .and_then(|&i| bytes.get_mut(i))
            {
                *slot = Some(content);
            }
        }
        ImageFiles {
            files,
            bytes,
            index,
        }
    }

    fn at(&self, i: usize) -> Option<FileRef<'_>> {
        let file = self.files.get(i)?;
        Some(FileRef {
            path: &file.path,
            size: file.size,
            sha256: &file.sha256,
            layer: file.layer.as_deref(),
            bytes: self.bytes.get(i).and_then(Option::as_deref),
        })
    }
}

impl FileSource for ImageFiles {
    fn files(&self) -> Box<dyn Iterator<Item = FileRef<'_>> + '_> {
        Box::new((0..self.files.len()).filter_map(|i| self.at(i)))
    }

    fn file(&self, path: &str) -> Option<FileRef<'_>> {
        let key = path.trim_start_matches('/').to_lowercase();
        self.index.get(&key).and_then(|&i| self.at(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, layer: &str) -> File {
        File {
            path: path.to_owned(),
            size: 3,
            sha256: "ab".into(),
            layer: Some(layer.to_owned()),
            ..File::default()
        }
    }

    #[test]
    fn files_are_found_whatever_the_case_with_their_captured_bytes() {
        let files = ImageFiles::new(
            vec![
                file("inetpub/wwwroot/web.config", "sha256:app"),
                file("Windows/System32/kernel32.dll", "sha256:base"),
            ],
            vec![
                ("INETPUB/wwwroot/Web.config".to_owned(), b"<c/>".to_vec()),
                ("not/listed.json".to_owned(), b"{}".to_vec()),
            ],
        );
        assert_eq!(files.files().count(), 2);
        let config = files.file("inetpub/WWWROOT/web.config").unwrap();
        assert_eq!(config.bytes, Some(b"<c/>".as_slice()));
        assert_eq!(config.layer, Some("sha256:app"));
        assert_eq!(config.path, "inetpub/wwwroot/web.config");
        let dll = files.file("/windows/system32/KERNEL32.DLL").unwrap();
        assert!(dll.bytes.is_none());
        assert_eq!((dll.size, dll.sha256), (3, "ab"));
        assert!(files.file("not/listed.json").is_none());
    }
}
