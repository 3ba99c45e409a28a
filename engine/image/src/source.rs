//! Where an image comes from, told from one argument string.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// An image source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An OCI image layout directory.
    LayoutDir(PathBuf),
    /// A tar (plain, gzip or zstd) of an OCI layout or of `docker save`.
    Archive(PathBuf),
    /// A registry reference, `REGISTRY/REPO:TAG` or `REGISTRY/REPO@sha256:...`.
    Registry(String),
}

impl Source {
    /// Tells the source from `input`:
    /// - `oci:PATH`, `oci-archive:PATH`, `docker-archive:PATH` name a local
    ///   layout or archive; `docker://REF` names a registry reference;
    /// - otherwise an existing directory is an OCI layout, an existing file
    ///   an archive, and anything else that looks like a reference is one.
    pub fn parse(input: &str) -> Result<Source, Error> {
        let local = |path: &str| -> Result<Source, Error> {
            let p = Path::new(path);
            match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => Ok(Source::LayoutDir(p.to_owned())),
                Ok(_) => Ok(Source::Archive(p.to_owned())),
                Err(e) => Err(Error::io(p, e)),
            }
        };
        for prefix in ["oci:", "oci-archive:", "docker-archive:"] {
            if let Some(path) = input.strip_prefix(prefix) {
                return local(path);
            }
        }
        if let Some(reference) = input.strip_prefix("docker://") {
            return registry(input, reference);
        }
        if Path::new(input).exists() {
            return local(input);
        }
        registry(input, input).map_err(|_| Error::Source {
            input: input.to_owned(),
            reason: "no such file or directory, and not a registry reference \
                     (`REGISTRY/REPO:TAG` or `REGISTRY/REPO@sha256:...`)"
                .into(),
        })
    }
}

fn registry(input: &str, reference: &str) -> Result<Source, Error> {
    let looks_like = !reference.is_empty()
        && !reference.chars().any(char::is_whitespace)
        && !reference.starts_with(['/', '.', '-'])
        && (reference.contains('/') || reference.contains(':') || reference.contains('@'));
    if !looks_like {
        return Err(Error::Source {
            input: input.to_owned(),
            reason: "not a registry reference".into(),
        });
    }
    reference
        .parse::<oci_client::Reference>()
        .map_err(|e| Error::Source {
            input: input.to_owned(),
            reason: format!("not a registry reference: {e}"),
        })?;
    Ok(Source::Registry(reference.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            Source::parse(d).unwrap(),
            Source::LayoutDir(dir.path().into())
        );
        let file = dir.path().join("image.tar");
        std::fs::write(&file, b"").unwrap();
        let f = file.to_str().unwrap();
        assert_eq!(Source::parse(f).unwrap(), Source::Archive(file.clone()));
        assert_eq!(
            Source::parse(&format!("docker-archive:{f}")).unwrap(),
            Source::Archive(file)
        );
        assert_eq!(
            Source::parse("mcr.microsoft.com/windows/servercore:ltsc2022").unwrap(),
            Source::Registry("mcr.microsoft.com/windows/servercore:ltsc2022".into())
        );
        assert!(Source::parse("docker://localhost:5000/a/b@sha256:").is_err());
        let err = Source::parse("./missing.tar").unwrap_err();
        assert!(err.to_string().contains("`./missing.tar`"), "{err}");
        assert!(Source::parse("oci:/nonexistent/dir").is_err());
    }
}
