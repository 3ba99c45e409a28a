//! Source files, spans and line/column look-up.

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What a file is to the loader: part of a rule pack, or a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// A `*.rules` file of the pack with this index in [`SourceMap::packs`].
    Pack(usize),
    Policy,
}

/// One source file: its display path, text and where each line starts.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    pub role: FileRole,
    line_starts: Vec<u32>,
}

impl SourceFile {
    fn new(path: String, text: Arc<str>, role: FileRole) -> SourceFile {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        SourceFile {
            path,
            text,
            role,
            line_starts,
        }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        let column = self
            .text
            .get(start..end)
            .map(|s| s.chars().count())
            .unwrap_or(end.saturating_sub(start));
        (line + 1, column + 1)
    }

    /// The text a span covers, or "" if it does not fall on char boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// A rule pack as the loader found it: a name for messages and its files.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// Where the pack came from (its directory or file), for messages.
    pub origin: String,
    pub files: Vec<FileId>,
}

/// All sources of one check: rule packs and policies.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    pub packs: Vec<PackSource>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Starts a new pack; add its files with [`SourceMap::add_pack_file`].
    pub fn add_pack(&mut self, origin: impl Into<String>) -> usize {
        self.packs.push(PackSource {
            origin: origin.into(),
            files: Vec::new(),
        });
        self.packs.len() - 1
    }

    pub fn add_pack_file(
        &mut self,
        pack: usize,
        path: impl Into<String>,
        text: impl Into<Arc<str>>,
    ) -> FileId {
        let id = self.push(path.into(), text.into(), FileRole::Pack(pack));
        if let Some(p) = self.packs.get_mut(pack) {
            p.files.push(id);
        }
        id
    }

    pub fn add_policy_file(
        &mut self,
        path: impl Into<String>,
        text: impl Into<Arc<str>>,
    ) -> FileId {
        self.push(path.into(), text.into(), FileRole::Policy)
    }

    fn push(&mut self, path: String, text: Arc<str>, role: FileRole) -> FileId {
        self.files.push(SourceFile::new(path, text, role));
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// The text of a span, or "" when the span is not in this map.
    pub fn slice(&self, span: Span) -> &str {
        self.file(span.file).map(|f| f.slice(span)).unwrap_or("")
    }

    /// `path:line:col` of a span's start.
    pub fn location(&self, span: Span) -> Location {
        match self.file(span.file) {
            Some(f) => {
                let (line, column) = f.line_col(span.start);
                Location {
                    file: f.path.clone(),
                    line,
                    column,
                }
            }
            None => Location::default(),
        }
    }
}

/// A resolved position for people: file, one-based line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let mut map = SourceMap::new();
        let p = map.add_pack("p");
        let id = map.add_pack_file(p, "a.rules", "ab\nçd\n");
        let f = map.file(id).unwrap();
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // `d` is the second character of line 2, after a two-byte `ç`.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(map.location(Span::new(id, 3, 4)).to_string(), "a.rules:2:1");
    }
}
