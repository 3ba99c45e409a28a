//! Builds Windows-style layers and images, for tests and fixtures:
//! layer tars with `Files/`, `Hives/`, `UtilityVM/`, whiteouts, hard links
//! and PAX `MSWINDOWS.*` records as Windows writes them; images with a
//! correct config (`os: windows`, `os.version`, history), manifest and
//! digests; written as an OCI layout (directory or tar), optionally as a
//! multi-platform index, or as a `docker save` archive.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::digest::sha256_digest;
use crate::error::Error;
use crate::format;
use crate::stream::Compression;

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("fixture {what}"), e.to_string())
}

/// A minimal self-relative security descriptor (owner/group absent, empty
/// DACL), as `MSWINDOWS.rawsd` carries one.
const RAW_SD: [u8; 28] = [
    1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0, 0,
];
const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x20;

/// A Windows layer tar under construction. Paths are relative to `Files/`
/// (the container's `C:\`) with `/` separators.
pub struct LayerBuilder {
    tar: tar::Builder<Vec<u8>>,
    windows_records: bool,
}

impl std::fmt::Debug for LayerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerBuilder").finish_non_exhaustive()
    }
}

impl Default for LayerBuilder {
    fn default() -> Self {
        LayerBuilder::new()
    }
}

impl LayerBuilder {
    /// A layer that starts with the `Files/` directory, as Windows writes it,
    /// and gives every entry PAX `MSWINDOWS.fileattr` and `MSWINDOWS.rawsd`
    /// records.
    pub fn new() -> LayerBuilder {
        let mut builder = LayerBuilder {
            tar: tar::Builder::new(Vec::new()),
            windows_records: true,
        };
        let _ = builder.raw_dir("Files");
        builder
    }

    /// Leaves out the PAX `MSWINDOWS.*` records (smaller, faster fixtures).
    pub fn without_windows_records(mut self) -> Self {
        self.windows_records = false;
        self
    }

    fn pax(&mut self, attributes: u32) -> Result<(), Error> {
        if !self.windows_records {
            return Ok(());
        }
        let mut data = Vec::new();
        let sd = base64::engine::general_purpose::STANDARD.encode(RAW_SD);
        for (key, value) in [
            ("MSWINDOWS.fileattr", attributes.to_string()),
            ("MSWINDOWS.rawsd", sd),
        ] {
            // A record is "<len> <key>=<value>\n", <len> counting itself.
            let body = format!(" {key}={value}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::XHeader);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header
            .set_path("PaxHeaders/entry")
            .map_err(|e| fail("pax header", e))?;
        header.set_cksum();
        self.tar
            .append(&header, data.as_slice())
            .map_err(|e| fail("pax header", e))
    }

    fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(mode);
        header.set_mtime(1_600_000_000);
        header
    }

    fn raw_dir(&mut self, name: &str) -> Result<&mut Self, Error> {
        self.pax(FILE_ATTRIBUTE_DIRECTORY)?;
        let mut header = Self::header(tar::EntryType::Directory, 0, 0o755);
        self.tar
            .append_data(&mut header, format!("{name}/"), std::io::empty())
            .map_err(|e| fail(name, e))?;
        Ok(self)
    }

    fn raw_file(&mut self, name: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.pax(FILE_ATTRIBUTE_ARCHIVE)?;
        let mut header = Self::header(tar::EntryType::Regular, bytes.len() as u64, 0o644);
        self.tar
            .append_data(&mut header, name, bytes)
            .map_err(|e| fail(name, e))?;
        Ok(self)
    }

    /// A file of `C:\`.
    pub fn file(&mut self, path: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.raw_file(&format!("Files/{path}"), bytes)
    }

    /// A file of `C:\` whose content streams from `reader` (`size` bytes).
    pub fn file_from(
        &mut self,
        path: &str,
        size: u64,
        reader: impl std::io::Read,
    ) -> Result<&mut Self, Error> {
        self.pax(FILE_ATTRIBUTE_ARCHIVE)?;
        let mut header = Self::header(tar::EntryType::Regular, size, 0o644);
        self.tar
            .append_data(&mut header, format!("Files/{path}"), reader)
            .map_err(|e| fail(path, e))?;
        Ok(self)
    }

    /// A directory of `C:\`.
    pub fn dir(&mut self, path: &str) -> Result<&mut Self, Error> {
        self.raw_dir(&format!("Files/{path}"))
    }

    /// Deletes `path` (and what lies below it) of the layers underneath.
    pub fn whiteout(&mut self, path: &str) -> Result<&mut Self, Error> {
        let name = match path.rsplit_once('/') {
            Some((dir, leaf)) => format!("Files/{dir}/.wh.{leaf}"),
            None => format!("Files/.wh.{path}"),
        };
        self.raw_file(&name, b"")
    }

    /// Hides everything the layers underneath have below directory `path`.
    pub fn opaque(&mut self, path: &str) -> Result<&mut Self, Error> {
        self.raw_file(&format!("Files/{path}/.wh..wh..opq"), b"")
    }

    /// A hard link at `path` to `target` (both relative to `C:\`); the
    /// target may be in this layer (written earlier) or a lower one.
    pub fn hard_link(&mut self, path: &str, target: &str) -> Result<&mut Self, Error> {
        self.pax(FILE_ATTRIBUTE_ARCHIVE)?;
        let mut header = Self::header(tar::EntryType::Link, 0, 0o644);
        self.tar
            .append_link(
                &mut header,
                format!("Files/{path}"),
                format!("Files/{target}"),
            )
            .map_err(|e| fail(path, e))?;
        Ok(self)
    }

    /// A differencing hive, `Hives/<name>` (e.g. `Software_Delta`).
    pub fn hive(&mut self, name: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.raw_file(&format!("Hives/{name}"), bytes)
    }

    /// A file of the utility VM, `UtilityVM/Files/<path>`.
    pub fn utility_vm_file(&mut self, path: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.raw_file(&format!("UtilityVM/Files/{path}"), bytes)
    }

    /// An entry with exactly this tar name, unchecked: for tests of hostile
    /// layers (`../x`, `/etc/passwd`).
    pub fn raw_entry(&mut self, name: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        let mut header = Self::header(tar::EntryType::Regular, bytes.len() as u64, 0o644);
        let field = &mut header.as_old_mut().name;
        let src = name.as_bytes();
        if src.len() > field.len() {
            return Err(fail(name, "name longer than 100 bytes"));
        }
        for (dst, b) in field
            .iter_mut()
            .zip(src.iter().chain(std::iter::repeat(&0u8)))
        {
            *dst = *b;
        }
        header.set_cksum();
        self.tar.append(&header, bytes).map_err(|e| fail(name, e))?;
        Ok(self)
    }

    /// The finished, uncompressed layer tar.
    pub fn finish(self) -> Result<Vec<u8>, Error> {
        self.tar.into_inner().map_err(|e| fail("layer", e))
    }
}

/// Compresses a layer tar.
pub fn compress(tar: &[u8], compression: Compression) -> Result<Vec<u8>, Error> {
    match compression {
        Compression::None => Ok(tar.to_vec()),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(tar).map_err(|e| fail("gzip", e))?;
            encoder.finish().map_err(|e| fail("gzip", e))
        }
        Compression::Zstd => zstd::stream::encode_all(tar, 3).map_err(|e| fail("zstd", e)),
    }
}

/// A layer as an image carries it.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    pub digest: String,
    pub diff_id: String,
    pub media_type: String,
    /// The blob as stored (compressed or not).
    pub blob: Vec<u8>,
    /// The uncompressed tar.
    pub tar: Vec<u8>,
    pub urls: Vec<String>,
    /// Leave the blob out of written layouts and archives (a foreign layer
    /// not shipped).
    pub omit_blob: bool,
}

/// An image: config, manifest and layers, with their digests.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    pub os: String,
    pub architecture: String,
    pub os_version: Option<String>,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub layers: Vec<BuiltLayer>,
}

/// Builds an image. Starts from [`ImageBuilder::windows`] or [`ImageBuilder::linux`].
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    config: Value,
    history: Vec<Value>,
    layers: Vec<BuiltLayer>,
    docker_media_types: bool,
}

impl ImageBuilder {
    /// A Windows amd64 image with this `os.version` (e.g. `10.0.20348.2655`).
    pub fn windows(os_version: &str) -> ImageBuilder {
        ImageBuilder::new(json!({
            "architecture": "amd64",
            "os": "windows",
            "os.version": os_version,
            "created": "2024-05-14T19:20:30.4345264Z",
            "config": {},
        }))
    }

    /// A Linux amd64 image (for multi-platform indexes and the not-Windows error).
    pub fn linux() -> ImageBuilder {
        ImageBuilder::new(json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-05-14T19:20:30Z",
            "config": {},
        }))
    }

    fn new(config: Value) -> ImageBuilder {
        ImageBuilder {
            config,
            history: Vec::new(),
            layers: Vec::new(),
            docker_media_types: false,
        }
    }

    /// Uses Docker's media types (manifest v2 schema 2) instead of OCI's.
    pub fn docker_media_types(mut self) -> Self {
        self.docker_media_types = true;
        self
    }

    fn run_config(&mut self, key: &str, value: Value) {
        if let Some(run) = self.config.get_mut("config").and_then(Value::as_object_mut) {
            run.insert(key.to_owned(), value);
        }
    }

    /// Sets the config's `created` time (RFC 3339), which is otherwise a
    /// fixed time in 2024.
    pub fn created(mut self, created: &str) -> Self {
        if let Some(config) = self.config.as_object_mut() {
            config.insert("created".into(), json!(created));
        }
        self
    }

    pub fn user(mut self, user: &str) -> Self {
        self.run_config("User", json!(user));
        self
    }
    pub fn env(mut self, vars: &[&str]) -> Self {
        self.run_config("Env", json!(vars));
        self
    }
    pub fn entrypoint(mut self, args: &[&str]) -> Self {
        self.run_config("Entrypoint", json!(args));
        self
    }
    pub fn cmd(mut self, args: &[&str]) -> Self {
        self.run_config("Cmd", json!(args));
        self
    }
    pub fn shell(mut self, args: &[&str]) -> Self {
        self.run_config("Shell", json!(args));
        self
    }
    pub fn working_dir(mut self, dir: &str) -> Self {
        self.run_config("WorkingDir", json!(dir));
        self
    }
    pub fn expose(mut self, ports: &[&str]) -> Self {
        let map: serde_json::Map<String, Value> =
            ports.iter().map(|p| ((*p).to_owned(), json!({}))).collect();
        self.run_config("ExposedPorts", Value::Object(map));
        self
    }
    pub fn label(mut self, name: &str, value: &str) -> Self {
        if let Some(run) = self.config.get_mut("config").and_then(Value::as_object_mut) {
            let labels = run.entry("Labels").or_insert_with(|| json!({}));
            if let Some(labels) = labels.as_object_mut() {
                labels.insert(name.to_owned(), json!(value));
            }
        }
        self
    }

    /// A history entry without a layer (`ENV`, `LABEL`, ...).
    pub fn empty_history(mut self, created_by: &str) -> Self {
        self.history
            .push(json!({"created_by": created_by, "empty_layer": true}));
        self
    }

    /// Adds a layer made by `created_by`.
    pub fn layer(
        mut self,
        tar: Vec<u8>,
        compression: Compression,
        created_by: &str,
    ) -> Result<Self, Error> {
        let blob = compress(&tar, compression)?;
        let media_type = self.layer_media_type(compression, false);
        self.history.push(json!({"created_by": created_by}));
        self.layers.push(BuiltLayer {
            digest: sha256_digest(&blob),
            diff_id: sha256_digest(&tar),
            media_type,
            blob,
            tar,
            urls: Vec::new(),
            omit_blob: false,
        });
        Ok(self)
    }

    /// Adds a foreign (non-distributable) gzip layer, fetched from `urls`;
    /// `ship_blob` says whether written layouts include its bytes.
    pub fn foreign_layer(
        mut self,
        tar: Vec<u8>,
        urls: &[&str],
        ship_blob: bool,
        created_by: &str,
    ) -> Result<Self, Error> {
        let blob = compress(&tar, Compression::Gzip)?;
        let media_type = self.layer_media_type(Compression::Gzip, true);
        self.history.push(json!({"created_by": created_by}));
        self.layers.push(BuiltLayer {
            digest: sha256_digest(&blob),
            diff_id: sha256_digest(&tar),
            media_type,
            blob,
            tar,
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            omit_blob: !ship_blob,
        });
        Ok(self)
    }

    fn layer_media_type(&self, compression: Compression, foreign: bool) -> String {
        match (self.docker_media_types, foreign, compression) {
            (true, true, _) => format::DOCKER_FOREIGN.into(),
            (true, false, Compression::None) => format::DOCKER_LAYER_TAR.into(),
            (true, false, _) => "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
            (false, true, _) => {
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip".into()
            }
            (false, false, Compression::None) => "application/vnd.oci.image.layer.v1.tar".into(),
            (false, false, Compression::Gzip) => {
                "application/vnd.oci.image.layer.v1.tar+gzip".into()
            }
            (false, false, Compression::Zstd) => {
                "application/vnd.oci.image.layer.v1.tar+zstd".into()
            }
        }
    }

    /// Computes config, manifest and digests.
    pub fn build(&self) -> Result<BuiltImage, Error> {
        let mut config = self.config.clone();
        if let Some(object) = config.as_object_mut() {
            object.insert("history".into(), Value::Array(self.history.clone()));
            object.insert(
                "rootfs".into(),
                json!({"type": "layers", "diff_ids": self.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()}),
            );
        }
        let config_bytes = serde_json::to_vec(&config).map_err(|e| fail("config", e))?;
        let config_digest = sha256_digest(&config_bytes);
        let (manifest_type, config_type) = if self.docker_media_types {
            (
                format::DOCKER_MANIFEST,
                "application/vnd.docker.container.image.v1+json",
            )
        } else {
            (
                format::OCI_MANIFEST,
                "application/vnd.oci.image.config.v1+json",
            )
        };
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| {
                let mut d =
                    json!({"mediaType": l.media_type, "digest": l.digest, "size": l.blob.len()});
                if !l.urls.is_empty()
                    && let Some(o) = d.as_object_mut()
                {
                    o.insert("urls".into(), json!(l.urls));
                }
                d
            })
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {"mediaType": config_type, "digest": config_digest, "size": config_bytes.len()},
            "layers": layers,
        });
        let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| fail("manifest", e))?;
        let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(BuiltImage {
            os: text("os").unwrap_or_default(),
            architecture: text("architecture").unwrap_or_default(),
            os_version: text("os.version"),
            manifest_digest: sha256_digest(&manifest_bytes),
            manifest: manifest_bytes,
            config_digest,
            config: config_bytes,
            layers: self.layers.clone(),
        })
    }
}

impl BuiltImage {
    fn descriptor(&self) -> Value {
        let mut platform = json!({"os": self.os, "architecture": self.architecture});
        if let (Some(v), Some(o)) = (&self.os_version, platform.as_object_mut()) {
            o.insert("os.version".into(), json!(v));
        }
        let media = serde_json::from_slice::<Value>(&self.manifest)
            .ok()
            .and_then(|m| {
                m.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format::OCI_MANIFEST.into());
        json!({"mediaType": media, "digest": self.manifest_digest, "size": self.manifest.len(), "platform": platform})
    }
}

/// The blobs and `index.json` of an OCI layout holding `images`: one image
/// is listed directly; several go into a multi-platform index blob that
/// `index.json` lists (as `skopeo copy --all` expects).
fn layout_files(images: &[&BuiltImage], tag: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let add_blob = |files: &mut Vec<(String, Vec<u8>)>, digest: &str, bytes: &[u8]| {
        let name = format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
        if !files.iter().any(|(n, _)| *n == name) {
            files.push((name, bytes.to_vec()));
        }
    };
    for image in images {
        add_blob(&mut files, &image.manifest_digest, &image.manifest);
        add_blob(&mut files, &image.config_digest, &image.config);
        for layer in image.layers.iter().filter(|l| !l.omit_blob) {
            add_blob(&mut files, &layer.digest, &layer.blob);
        }
    }
    let annotation = json!({"org.opencontainers.image.ref.name": tag});
    let top = match images {
        [one] => {
            let mut d = one.descriptor();
            if let Some(o) = d.as_object_mut() {
                o.insert("annotations".into(), annotation);
            }
            d
        }
        many => {
            let index = json!({
                "schemaVersion": 2,
                "mediaType": format::OCI_INDEX,
                "manifests": many.iter().map(|i| i.descriptor()).collect::<Vec<_>>(),
            });
            let bytes = serde_json::to_vec(&index).map_err(|e| fail("index", e))?;
            let digest = sha256_digest(&bytes);
            add_blob(&mut files, &digest, &bytes);
            json!({"mediaType": format::OCI_INDEX, "digest": digest, "size": bytes.len(), "annotations": annotation})
        }
    };
    let index = json!({"schemaVersion": 2, "mediaType": format::OCI_INDEX, "manifests": [top]});
    files.push((
        "index.json".into(),
        serde_json::to_vec(&index).map_err(|e| fail("index", e))?,
    ));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    Ok(files)
}

/// Writes `images` as an OCI layout directory (see [`write_oci_archive`] for a tar).
pub fn write_oci_layout(dir: &Path, images: &[&BuiltImage], tag: &str) -> Result<(), Error> {
    for (name, bytes) in layout_files(images, tag)? {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

fn write_tar(
    path: &Path,
    files: &[(String, Vec<u8>)],
    compression: Compression,
) -> Result<(), Error> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_600_000_000);
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .map_err(|e| fail(name, e))?;
    }
    let tar = builder.into_inner().map_err(|e| fail("archive", e))?;
    let bytes = compress(&tar, compression)?;
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Writes `images` as a tar of an OCI layout.
pub fn write_oci_archive(
    path: &Path,
    images: &[&BuiltImage],
    tag: &str,
    compression: Compression,
) -> Result<(), Error> {
    write_tar(path, &layout_files(images, tag)?, compression)
}

/// Writes `image` as `docker save` does (the classic layout: `manifest.json`,
/// `<config hex>.json`, `<id>/layer.tar` with uncompressed layers, and
/// `repositories`), optionally compressed as a whole. A foreign layer is
/// described in `LayerSources`; one built not to ship its blob is listed
/// but its `layer.tar` left out.
pub fn write_docker_save(
    path: &Path,
    image: &BuiltImage,
    tag: &str,
    compression: Compression,
) -> Result<(), Error> {
    let config_hex = image.config_digest.trim_start_matches("sha256:").to_owned();
    let mut files = vec![(format!("{config_hex}.json"), image.config.clone())];
    let mut names = Vec::new();
    let mut sources = serde_json::Map::new();
    for layer in &image.layers {
        let id = layer.diff_id.trim_start_matches("sha256:");
        let name = format!("{id}/layer.tar");
        if !layer.omit_blob {
            files.push((name.clone(), layer.tar.clone()));
        }
        files.push((format!("{id}/VERSION"), b"1.0".to_vec()));
        names.push(name);
        if !layer.urls.is_empty() {
            sources.insert(
                layer.diff_id.clone(),
                json!({"mediaType": format::DOCKER_FOREIGN, "digest": layer.digest, "size": layer.blob.len(), "urls": layer.urls}),
            );
        }
    }
    let mut entry =
        json!({"Config": format!("{config_hex}.json"), "RepoTags": [tag], "Layers": names});
    if !sources.is_empty()
        && let Some(o) = entry.as_object_mut()
    {
        o.insert("LayerSources".into(), Value::Object(sources));
    }
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&json!([entry])).map_err(|e| fail("manifest.json", e))?,
    ));
    let (repo, t) = tag.rsplit_once(':').unwrap_or((tag, "latest"));
    files.push((
        "repositories".into(),
        serde_json::to_vec(&json!({repo: {t: image.layers.last().map(|l| l.diff_id.trim_start_matches("sha256:")).unwrap_or_default()}}))
            .map_err(|e| fail("repositories", e))?,
    ));
    write_tar(path, &files, compression)
}
