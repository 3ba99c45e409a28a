//! Files of an image on disk: an OCI layout directory, or a tar of an OCI
//! layout or of `docker save`, plain or compressed. A plain tar is indexed
//! once (headers only) and its members are read in place; a compressed tar
//! cannot be seeked, so its small members are kept from a first pass and
//! its layers are read in a second pass, in whatever order the tar has them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, from_io};
use crate::stream::Compression;

/// Members up to this size are kept in memory by the first pass over a
/// compressed archive: manifests, configs and small layers.
const SMALL_MEMBER: u64 = 4 * 1024 * 1024;
const MAX_MEMBERS: u64 = 1_000_000;
const MAX_SYMLINK_HOPS: usize = 8;

pub(crate) enum Local {
    Dir(PathBuf),
    /// A plain tar: member name -> (offset, size) of its data.
    Tar {
        path: PathBuf,
        members: HashMap<String, (u64, u64)>,
        links: HashMap<String, String>,
    },
    /// A compressed tar: small members in memory, large ones by size.
    Packed {
        path: PathBuf,
        small: HashMap<String, Vec<u8>>,
        large: HashMap<String, u64>,
        links: HashMap<String, String>,
    },
}

fn clean(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn resolve_link(base: &str, target: &str) -> String {
    if target.starts_with('/') {
        return clean(target);
    }
    let dir = base.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    clean(&format!("{dir}/{target}"))
}

/// The link target a tar link entry points at, as a member name.
fn link_target<R: Read>(entry: &tar::Entry<'_, R>, name: &str) -> Option<String> {
    let kind = entry.header().entry_type();
    if !(kind.is_symlink() || kind.is_hard_link()) {
        return None;
    }
    let target = String::from_utf8_lossy(&entry.link_name_bytes()?).into_owned();
    Some(if kind.is_symlink() {
        resolve_link(name, &target)
    } else {
        clean(&target)
    })
}

fn check_count(count: usize, blob: &str) -> Result<(), Error> {
    if count as u64 > MAX_MEMBERS {
        return Err(Error::TooLarge {
            blob: blob.to_owned(),
            limit: MAX_MEMBERS,
            what: "number of members",
        });
    }
    Ok(())
}

pub(crate) fn open_file(path: &Path) -> Result<File, Error> {
    File::open(path).map_err(|e| Error::io(path, e))
}

fn sniff(path: &Path) -> Result<Compression, Error> {
    let mut file = BufReader::new(open_file(path)?);
    let first = file.fill_buf().map_err(|e| Error::io(path, e))?;
    Ok(Compression::detect(first))
}

pub(crate) fn decompressed(path: &Path) -> Result<Box<dyn Read + Send>, Error> {
    let file = BufReader::with_capacity(256 * 1024, open_file(path)?);
    Ok(match sniff(path)? {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(file).map_err(|e| Error::io(path, e))?,
        ),
        Compression::None => Box::new(file),
    })
}

impl Local {
    pub fn open(path: &Path) -> Result<Local, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Ok(Local::Dir(path.to_owned()));
        }
        let what = path.display().to_string();
        let blob = format!("archive `{what}`");
        match sniff(path)? {
            Compression::None => {
                let mut archive = tar::Archive::new(open_file(path)?);
                let mut members = HashMap::new();
                let mut links = HashMap::new();
                let entries = archive.entries_with_seek().map_err(|e| from_io(e, &blob))?;
                for (count, entry) in entries.enumerate() {
                    check_count(count, &blob)?;
                    let entry = entry.map_err(|e| from_io(e, &blob))?;
                    let name = clean(&String::from_utf8_lossy(&entry.path_bytes()));
                    let kind = entry.header().entry_type();
                    if let Some(target) = link_target(&entry, &name) {
                        links.insert(name, target);
                    } else if kind.is_file() || kind.is_contiguous() {
                        members.insert(name, (entry.raw_file_position(), entry.size()));
                    }
                }
                Ok(Local::Tar {
                    path: path.to_owned(),
                    members,
                    links,
                })
            }
            Compression::Gzip | Compression::Zstd => {
                let mut archive = tar::Archive::new(decompressed(path)?);
                let mut small = HashMap::new();
                let mut large = HashMap::new();
                let mut links = HashMap::new();
                let entries = archive.entries().map_err(|e| from_io(e, &blob))?;
                for (count, entry) in entries.enumerate() {
                    check_count(count, &blob)?;
                    let mut entry = entry.map_err(|e| from_io(e, &blob))?;
                    let name = clean(&String::from_utf8_lossy(&entry.path_bytes()));
                    let kind = entry.header().entry_type();
                    if let Some(target) = link_target(&entry, &name) {
                        links.insert(name, target);
                    } else if kind.is_file() || kind.is_contiguous() {
                        let size = entry.size();
                        if size <= SMALL_MEMBER {
                            let mut bytes = Vec::new();
                            entry
                                .read_to_end(&mut bytes)
                                .map_err(|e| from_io(e, &blob))?;
                            small.insert(name, bytes);
                        } else {
                            large.insert(name, size);
                        }
                    }
                }
                Ok(Local::Packed {
                    path: path.to_owned(),
                    small,
                    large,
                    links,
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Local::Dir(p) => p.display().to_string(),
            Local::Tar { path, .. } | Local::Packed { path, .. } => path.display().to_string(),
        }
    }

    fn follow(&self, name: &str) -> String {
        let links = match self {
            Local::Dir(_) => return clean(name),
            Local::Tar { links, .. } | Local::Packed { links, .. } => links,
        };
        let mut name = clean(name);
        for _ in 0..MAX_SYMLINK_HOPS {
            match links.get(&name) {
                Some(next) => name = next.clone(),
                None => break,
            }
        }
        name
    }

    pub fn contains(&self, name: &str) -> bool {
        let name = self.follow(name);
        match self {
            Local::Dir(dir) => dir.join(&name).is_file(),
            Local::Tar { members, .. } => members.contains_key(&name),
            Local::Packed { small, large, .. } => {
                small.contains_key(&name) || large.contains_key(&name)
            }
        }
    }

    /// The size of a member, when it exists.
    pub fn size(&self, name: &str) -> Option<u64> {
        let name = self.follow(name);
        match self {
            Local::Dir(dir) => std::fs::metadata(dir.join(&name)).ok().map(|m| m.len()),
            Local::Tar { members, .. } => members.get(&name).map(|(_, size)| *size),
            Local::Packed { small, large, .. } => small
                .get(&name)
                .map(|b| b.len() as u64)
                .or_else(|| large.get(&name).copied()),
        }
    }

    /// Opens a member for reading; `None` when it exists but can only be
    /// read by [`Local::stream_large`] (a large member of a compressed tar)
    /// or does not exist at all (tell the two apart with [`Local::contains`]).
    pub fn open_member(&self, name: &str) -> Result<Option<Box<dyn Read + Send + '_>>, Error> {
        let name = self.follow(name);
        match self {
            Local::Dir(dir) => {
                let path = dir.join(&name);
                match File::open(&path) {
                    Ok(file) => Ok(Some(Box::new(file))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io(path, e)),
                }
            }
            Local::Tar { path, members, .. } => match members.get(&name) {
                Some(&(offset, size)) => {
                    let mut file = open_file(path)?;
                    file.seek(SeekFrom::Start(offset))
                        .map_err(|e| Error::io(path, e))?;
                    Ok(Some(Box::new(file.take(size))))
                }
                None => Ok(None),
            },
            Local::Packed { small, .. } => Ok(small
                .get(&name)
                .map(|bytes| Box::new(bytes.as_slice()) as Box<dyn Read + Send + '_>)),
        }
    }

    /// Reads a whole small member (index, manifest, config).
    pub fn read_small(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, Error> {
        let blob = format!("`{name}` in `{}`", self.describe());
        let Some(reader) = self.open_member(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| from_io(e, &blob))?;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                blob,
                limit,
                what: "metadata size",
            });
        }
        Ok(Some(bytes))
    }

    /// One more pass over a compressed archive: `visit` gets each wanted
    /// large member as it streams by.
    pub fn stream_large(
        &self,
        wanted: &HashMap<String, Vec<usize>>,
        mut visit: impl FnMut(&[usize], &mut dyn Read) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let Local::Packed { path, .. } = self else {
            return Ok(());
        };
        if wanted.is_empty() {
            return Ok(());
        }
        let blob = format!("archive `{}`", path.display());
        let mut archive = tar::Archive::new(decompressed(path)?);
        let entries = archive.entries().map_err(|e| from_io(e, &blob))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| from_io(e, &blob))?;
            let name = clean(&String::from_utf8_lossy(&entry.path_bytes()));
            if let Some(layers) = wanted.get(&name) {
                visit(layers, &mut entry)?;
            }
        }
        Ok(())
    }

    /// The canonical member name `name` resolves to (through symlinks).
    pub fn canonical(&self, name: &str) -> String {
        self.follow(name)
    }
}
