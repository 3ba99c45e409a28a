//! Reading an image end to end: resolve the manifest (choosing a platform
//! from an index), check the config says Windows, read each layer (from the
//! cache when it was read before), merge, and fill the inventory's `Image`
//! and `files`.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;
use winspect_inventory::{
    Completeness, Date, EnvVar, ExposedPort, Image, ImageLayer, Label, WindowsVersion,
};

use crate::cache::{Cache, ViewLayer};
use crate::capture::CapturedEntry;
use crate::digest::{Expect, read_verified, sha256_hex};
use crate::error::Error;
use crate::foreign::Fetcher;
use crate::format::{self, Config, Descriptor, Document, Platform};
use crate::layer::{Entry, LayerSummary, UtilityVm, read_layer_tar};
use crate::local::Local;
use crate::merge::{BrokenLink, merge};
use crate::options::{CacheChoice, PlatformChoice, ReadOptions};
use crate::progress::Progress;
use crate::registry::Registry;
use crate::source::Source;
use crate::stream::{BombLimits, pipe};

/// What reading an image produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRead {
    /// The image as its manifest and config describe it.
    pub image: Image,
    /// The merged view of `C:\` (regular files, hard links resolved), sorted
    /// case-insensitively by path.
    pub files: Vec<winspect_inventory::File>,
    /// Gaps: skipped foreign layers, layers read unverified.
    pub completeness: Completeness,
    /// Hard links whose target was absent.
    pub broken_links: Vec<BrokenLink>,
    /// What `UtilityVM/` holds, over all layers (counted, not listed).
    pub utility_vm: UtilityVm,
    /// Per layer, base first: what the capture request caught.
    pub layers: Vec<LayerRead>,
}

/// One layer's part of an [`ImageRead`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerRead {
    pub digest: String,
    /// False when the layer was skipped (foreign and not fetched).
    pub read: bool,
    /// The layer came from the cache (neither fetched nor read).
    pub from_cache: bool,
    /// Bytes of the uncompressed tar.
    pub uncompressed_size: u64,
    /// Captured entries in tar order.
    pub captures: Vec<CapturedEntry>,
}

/// A capture of a file the merged view still shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VisibleCapture<'a> {
    /// The visible entry's tar path (`Files/...`), original case.
    pub path: &'a str,
    /// The layer that last wrote the entry.
    pub layer: &'a str,
    /// What the rule captured; for a hard link, its target's capture.
    pub capture: &'a CapturedEntry,
}

impl ImageRead {
    /// Captures of files still visible in the merged view, each from the
    /// layer that last wrote the file, hard links followed to their
    /// target's capture when the target was captured by the same rule.
    /// Captures outside `Files/` (each layer's `Hives/*_Delta`) are in
    /// [`ImageRead::layers`], in layer order.
    pub fn visible_captures(&self) -> Vec<VisibleCapture<'_>> {
        let mut by_path: HashMap<String, VisibleCapture<'_>> = HashMap::new();
        let mut order = Vec::new();
        for layer in self.layers.iter().filter(|l| l.read) {
            for capture in &layer.captures {
                let Some(rest) = strip_files(&capture.path) else {
                    continue;
                };
                let key = format!("{}\u{0}{}", capture.rule, rest.to_lowercase());
                let content = match &capture.content {
                    crate::capture::Captured::HardLink { target } => strip_files(target)
                        .and_then(|t| {
                            by_path
                                .get(&format!("{}\u{0}{}", capture.rule, t.to_lowercase()))
                                .map(|v| v.capture)
                        })
                        .unwrap_or(capture),
                    _ => capture,
                };
                let visible = VisibleCapture {
                    path: &capture.path,
                    layer: &layer.digest,
                    capture: content,
                };
                if by_path.insert(key.clone(), visible).is_none() {
                    order.push(key);
                }
            }
        }
        let shown: std::collections::HashSet<String> =
            self.files.iter().map(|f| f.path.to_lowercase()).collect();
        order
            .into_iter()
            .filter_map(|key| by_path.get(&key).copied())
            .filter(|v| strip_files(v.path).is_some_and(|p| shown.contains(&p.to_lowercase())))
            .collect()
    }
}

fn strip_files(path: &str) -> Option<&str> {
    let (top, rest) = path.split_once('/')?;
    top.eq_ignore_ascii_case("Files").then_some(rest)
}

/// A layer as the manifest (or `docker save`) names it.
#[derive(Debug, Clone)]
pub(crate) struct PlannedLayer {
    pub digest: String,
    pub diff_id: String,
    pub media_type: String,
    pub size: Option<u64>,
    pub foreign: bool,
    pub urls: Vec<String>,
    /// What the raw bytes must hash to, and so the key of the layer's cache
    /// entry. The same as `digest`, but for a foreign layer left out of a
    /// `docker save` archive: `digest` is then its diff_id (as for the other
    /// layers of the archive) and `verify` the blob its urls serve.
    pub verify: String,
    /// Where a local source has it.
    pub member: Option<String>,
}

pub(crate) struct Plan {
    pub manifest_digest: String,
    pub config: Config,
    pub layers: Vec<PlannedLayer>,
}

pub(crate) enum Backend {
    Local(Local),
    Registry(Box<Registry>),
}

impl Backend {
    /// A manifest, index or config blob, verified against `desc`.
    pub(crate) fn small_blob(
        &self,
        desc: &Descriptor,
        what: &str,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let blob = format!("{what} `{}`", desc.digest);
        let hex = sha256_hex(&desc.digest, &blob)?;
        if let Some(size) = desc.size
            && size > limit
        {
            return Err(Error::TooLarge {
                blob,
                limit,
                what: "metadata size",
            });
        }
        let expect = Expect {
            blob: blob.clone(),
            digest: Some(desc.digest.clone()),
            size: desc.size,
            limit,
        };
        match self {
            Backend::Local(local) => {
                let name = format!("blobs/sha256/{hex}");
                let bytes = local.read_small(&name, limit)?.ok_or_else(|| {
                    Error::invalid(
                        &blob,
                        format!("`{name}` is missing from `{}`", local.describe()),
                    )
                })?;
                read_verified(bytes.as_slice(), expect)
            }
            Backend::Registry(registry) => {
                let bytes = if what == "config" {
                    registry.blob_bytes(desc, limit)?
                } else {
                    registry.manifest_bytes(&desc.digest, limit)?
                };
                read_verified(bytes.as_slice(), expect)
            }
        }
    }
}

/// Reads the image named by `input` (see [`Source::parse`]).
pub fn read_image(input: &str, options: &ReadOptions) -> Result<ImageRead, Error> {
    let source = Source::parse(input)?;
    read_source(&source, input, options)
}

/// Reads the image at `source`; `reference` is what the result reports as
/// the image's reference.
pub fn read_source(
    source: &Source,
    reference: &str,
    options: &ReadOptions,
) -> Result<ImageRead, Error> {
    let progress = Progress::new(options.progress);
    let backend = match source {
        Source::LayoutDir(path) | Source::Archive(path) => Backend::Local(Local::open(path)?),
        Source::Registry(r) => {
            Backend::Registry(Box::new(Registry::connect(r, &options.registry)?))
        }
    };
    let plan = match &backend {
        Backend::Local(local)
            if !local.contains("index.json") && local.contains("manifest.json") =>
        {
            plan_docker_save(local, reference, options)?
        }
        Backend::Local(local) => {
            let bytes = local
                .read_small("index.json", options.limits.max_metadata_bytes)?
                .ok_or_else(|| Error::Source {
                    input: reference.to_owned(),
                    reason: "neither an OCI layout (`index.json`) nor a `docker save` archive (`manifest.json`)"
                        .into(),
                })?;
            let root = Document::parse(&bytes, &format!("`index.json` of `{}`", local.describe()))?;
            plan_from_document(&backend, reference, root, None, options)?
        }
        Backend::Registry(registry) => {
            let (bytes, digest) = registry.root_manifest(options.limits.max_metadata_bytes)?;
            let root = Document::parse(&bytes, &format!("manifest `{digest}`"))?;
            plan_from_document(&backend, reference, root, Some(digest), options)?
        }
    };
    let config = &plan.config;
    if !config.os.eq_ignore_ascii_case("windows") {
        return Err(Error::NotWindows {
            reference: reference.to_owned(),
            os: if config.os.is_empty() {
                "(none)".into()
            } else {
                config.os.clone()
            },
            architecture: config.architecture.clone(),
        });
    }
    read_layers(&backend, reference, plan, options, &progress)
}

fn candidates(
    backend: &Backend,
    entries: Vec<Descriptor>,
    options: &ReadOptions,
    depth: usize,
    out: &mut Vec<(Descriptor, Platform, Option<Vec<u8>>)>,
) -> Result<(), Error> {
    const MAX_DEPTH: usize = 4;
    const MAX_ENTRIES: usize = 256;
    let limit = options.limits.max_metadata_bytes;
    for desc in entries.into_iter().take(MAX_ENTRIES) {
        let is_index =
            desc.media_type == format::OCI_INDEX || desc.media_type == format::DOCKER_LIST;
        if let Some(platform) = desc.platform.clone().filter(|_| !is_index) {
            out.push((desc, platform, None));
            continue;
        }
        let bytes = backend.small_blob(&desc, "manifest", limit)?;
        match Document::parse(&bytes, &format!("manifest `{}`", desc.digest))? {
            Document::Index(children) => {
                if depth >= MAX_DEPTH {
                    return Err(Error::invalid(
                        format!("index `{}`", desc.digest),
                        format!("indexes nest deeper than {MAX_DEPTH}"),
                    ));
                }
                candidates(backend, children, options, depth + 1, out)?;
            }
            Document::Manifest { config, .. } => {
                let config_bytes = backend.small_blob(&config, "config", limit)?;
                let platform =
                    Config::parse(&config_bytes, &format!("config `{}`", config.digest))?
                        .platform();
                out.push((desc, platform, Some(bytes)));
            }
        }
    }
    Ok(())
}

fn plan_from_document(
    backend: &Backend,
    reference: &str,
    root: Document,
    root_digest: Option<String>,
    options: &ReadOptions,
) -> Result<Plan, Error> {
    let limit = options.limits.max_metadata_bytes;
    let (manifest_digest, config_desc, layer_descs) = match root {
        Document::Manifest { config, layers } => (root_digest.unwrap_or_default(), config, layers),
        Document::Index(entries) => {
            let mut found = Vec::new();
            candidates(backend, entries, options, 0, &mut found)?;
            let chosen = select(reference, &options.platform, found)?;
            let (desc, bytes) = chosen;
            let bytes = match bytes {
                Some(b) => b,
                None => backend.small_blob(&desc, "manifest", limit)?,
            };
            match Document::parse(&bytes, &format!("manifest `{}`", desc.digest))? {
                Document::Manifest { config, layers } => (desc.digest.clone(), config, layers),
                Document::Index(_) => {
                    return Err(Error::invalid(
                        format!("manifest `{}`", desc.digest),
                        "an index where an image manifest was expected",
                    ));
                }
            }
        }
    };
    let config_bytes = backend.small_blob(&config_desc, "config", limit)?;
    let config = Config::parse(&config_bytes, &format!("config `{}`", config_desc.digest))?;
    if !config.os.eq_ignore_ascii_case("windows") {
        return Ok(Plan {
            manifest_digest,
            config,
            layers: Vec::new(),
        });
    }
    if config.diff_ids.len() != layer_descs.len() {
        return Err(Error::invalid(
            format!("config `{}`", config_desc.digest),
            format!(
                "rootfs.diff_ids has {} entries for the manifest's {} layers",
                config.diff_ids.len(),
                layer_descs.len()
            ),
        ));
    }
    let mut layers = Vec::new();
    for (desc, diff_id) in layer_descs.into_iter().zip(config.diff_ids.iter()) {
        let blob = format!("layer `{}`", desc.digest);
        let hex = sha256_hex(&desc.digest, &blob)?.to_owned();
        layers.push(PlannedLayer {
            foreign: format::is_foreign(&desc.media_type),
            verify: desc.digest.clone(),
            member: Some(format!("blobs/sha256/{hex}")),
            digest: desc.digest,
            diff_id: diff_id.clone(),
            media_type: desc.media_type,
            size: desc.size,
            urls: desc.urls,
        });
    }
    Ok(Plan {
        manifest_digest,
        config,
        layers,
    })
}

fn select(
    reference: &str,
    choice: &PlatformChoice,
    found: Vec<(Descriptor, Platform, Option<Vec<u8>>)>,
) -> Result<(Descriptor, Option<Vec<u8>>), Error> {
    let offered: Vec<String> = found.iter().map(|(_, p, _)| p.describe()).collect();
    found
        .into_iter()
        .find(|(_, p, _)| choice.matches(p))
        .map(|(d, _, b)| (d, b))
        .ok_or_else(|| Error::NoMatchingPlatform {
            reference: reference.to_owned(),
            wanted: choice.describe(),
            offered: if offered.is_empty() {
                "nothing".into()
            } else {
                offered.join(", ")
            },
        })
}

fn plan_docker_save(local: &Local, reference: &str, options: &ReadOptions) -> Result<Plan, Error> {
    let limit = options.limits.max_metadata_bytes;
    let bytes = local
        .read_small("manifest.json", limit)?
        .ok_or_else(|| Error::invalid("docker save `manifest.json`", "missing"))?;
    let entries = format::parse_save_manifest(&bytes)?;
    let mut found = Vec::new();
    for (index, entry) in entries.iter().enumerate().take(256) {
        let blob = format!("config `{}`", entry.config);
        let config_bytes = local
            .read_small(&entry.config, limit)?
            .ok_or_else(|| Error::invalid(&blob, format!("missing from `{}`", local.describe())))?;
        // The config's name is its digest (`<hex>.json` or `blobs/sha256/<hex>`).
        let canonical = local.canonical(&entry.config);
        let stem = canonical.rsplit('/').next().unwrap_or_default();
        let hex = stem.strip_suffix(".json").unwrap_or(stem);
        let digest = format!("sha256:{hex}");
        let verified = if sha256_hex(&digest, &blob).is_ok() {
            read_verified(
                config_bytes.as_slice(),
                Expect {
                    blob: blob.clone(),
                    digest: Some(digest),
                    size: None,
                    limit,
                },
            )?
        } else {
            config_bytes
        };
        let config = Config::parse(&verified, &blob)?;
        found.push((
            Descriptor {
                digest: index.to_string(),
                ..Descriptor::default()
            },
            config.platform(),
            None,
        ));
        let _ = config;
    }
    let chosen = if entries.len() == 1 {
        0
    } else {
        let (desc, _) = select(reference, &options.platform, found)?;
        desc.digest.parse::<usize>().unwrap_or(0)
    };
    let entry = entries
        .get(chosen)
        .ok_or_else(|| Error::invalid("docker save `manifest.json`", "lists no image"))?;
    let blob = format!("config `{}`", entry.config);
    let config_bytes = local
        .read_small(&entry.config, limit)?
        .ok_or_else(|| Error::invalid(&blob, "missing"))?;
    let config = Config::parse(&config_bytes, &blob)?;
    if !config.os.eq_ignore_ascii_case("windows") {
        return Ok(Plan {
            manifest_digest: String::new(),
            config,
            layers: Vec::new(),
        });
    }
    if config.diff_ids.len() != entry.layers.len() {
        return Err(Error::invalid(
            &blob,
            format!(
                "rootfs.diff_ids has {} entries for the {} layers of `manifest.json`",
                config.diff_ids.len(),
                entry.layers.len()
            ),
        ));
    }
    let sources = entry.layer_sources.clone().unwrap_or_default();
    let mut layers = Vec::new();
    for (name, diff_id) in entry.layers.iter().zip(config.diff_ids.iter()) {
        let canonical = local.canonical(name);
        // Newer `docker save` stores blobs by digest; older ones store the
        // uncompressed tar, whose digest is the diff_id.
        let by_digest = canonical
            .strip_prefix("blobs/sha256/")
            .map(|hex| format!("sha256:{hex}"));
        let digest = by_digest.clone().unwrap_or_else(|| diff_id.clone());
        let source = sources.get(diff_id);
        let media_type = source
            .map(|s| s.media_type.clone())
            .unwrap_or_else(|| format::DOCKER_LAYER_TAR.to_owned());
        let foreign = source.filter(|s| format::is_foreign(&s.media_type));
        // A foreign layer left out of the archive can only come from its
        // urls, as the compressed blob its source descriptor names.
        let (verify, size) = match foreign.filter(|_| !local.contains(name)) {
            Some(source) => {
                sha256_hex(
                    &source.digest,
                    &format!("`LayerSources` entry of layer `{diff_id}`"),
                )?;
                (source.digest.clone(), source.size)
            }
            None => (digest.clone(), local.size(name)),
        };
        layers.push(PlannedLayer {
            foreign: foreign.is_some(),
            urls: source.map(|s| s.urls.clone()).unwrap_or_default(),
            size,
            verify,
            member: Some(canonical),
            digest,
            diff_id: diff_id.clone(),
            media_type,
        });
    }
    Ok(Plan {
        manifest_digest: String::new(),
        config,
        layers,
    })
}

struct Outcome {
    summary: Option<LayerSummary>,
    from_cache: bool,
    /// The layer was read and matched its digest (or came from the cache,
    /// which holds only such layers).
    verified: bool,
}

fn read_layers(
    backend: &Backend,
    reference: &str,
    plan: Plan,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<ImageRead, Error> {
    let cache = match &options.cache {
        CacheChoice::UserDefault => Some(Cache::user_default()?),
        CacheChoice::Dir(dir) => Some(Cache::at(dir)),
        CacheChoice::Disabled => None,
    };
    let fingerprint = fingerprint(options);
    // Layers are cached under the digest their bytes were verified against.
    let digests: Vec<&str> = plan.layers.iter().map(|l| l.verify.as_str()).collect();
    if let Some(cache) = &cache
        && let Some(read) = read_from_view(cache, &digests, &fingerprint, reference, &plan)
    {
        return Ok(read);
    }
    let reading = LayerReading {
        options,
        progress,
        cache: cache.as_ref(),
        fingerprint: &fingerprint,
    };
    let mut completeness = Completeness::default();
    let mut outcomes: Vec<Option<Outcome>> = Vec::new();
    let mut deferred: HashMap<String, Vec<usize>> = HashMap::new();
    let mut scratch = Vec::new();
    let mut fetcher = None;
    for (index, layer) in plan.layers.iter().enumerate() {
        if let Some(summary) = cache
            .as_ref()
            .and_then(|c| c.load(&layer.verify, &fingerprint, &mut scratch))
        {
            outcomes.push(Some(Outcome {
                summary: Some(summary),
                from_cache: true,
                verified: true,
            }));
            continue;
        }
        let size_limit = options.limits.max_layer_bytes;
        if let Some(size) = layer.size
            && size > size_limit
        {
            return Err(Error::TooLarge {
                blob: format!("layer `{}`", layer.digest),
                limit: size_limit,
                what: "blob size",
            });
        }
        let outcome = match backend {
            Backend::Local(local) => {
                let member = layer.member.clone().unwrap_or_default();
                if !local.contains(&member) {
                    if !layer.foreign {
                        return Err(Error::invalid(
                            format!("layer `{}`", layer.digest),
                            format!("`{member}` is missing from `{}`", local.describe()),
                        ));
                    }
                    Some(reading.foreign(layer, backend, &mut fetcher, &mut completeness)?)
                } else {
                    match local.open_member(&member)? {
                        Some(reader) => Some(reading.read(
                            reader,
                            layer,
                            options.allow_unverified_layers,
                            &mut completeness,
                        )?),
                        None => {
                            deferred
                                .entry(local.canonical(&member))
                                .or_default()
                                .push(index);
                            None
                        }
                    }
                }
            }
            // Without the flag a foreign layer is not downloaded at all, not
            // even from a registry that holds it.
            Backend::Registry(_) if layer.foreign && !options.allow_foreign => {
                Some(reading.foreign(layer, backend, &mut fetcher, &mut completeness)?)
            }
            Backend::Registry(registry) => match registry.layer_reader(layer) {
                Ok(reader) => Some(reading.read(
                    reader,
                    layer,
                    options.allow_unverified_layers,
                    &mut completeness,
                )?),
                // A registry need not hold a foreign layer's blob.
                Err(Error::NotFound { .. }) if layer.foreign => {
                    Some(reading.foreign(layer, backend, &mut fetcher, &mut completeness)?)
                }
                Err(e) => return Err(e),
            },
        };
        outcomes.push(outcome);
    }
    if let Backend::Local(local) = backend
        && !deferred.is_empty()
    {
        let mut late: HashMap<usize, Outcome> = HashMap::new();
        local.stream_large(&deferred, |indexes, reader| {
            let Some(first) = indexes.first().and_then(|&i| plan.layers.get(i)) else {
                return Ok(());
            };
            let outcome = reading.read(
                reader,
                first,
                options.allow_unverified_layers,
                &mut completeness,
            )?;
            for &i in indexes {
                late.insert(
                    i,
                    Outcome {
                        summary: outcome.summary.clone(),
                        from_cache: false,
                        verified: outcome.verified,
                    },
                );
            }
            Ok(())
        })?;
        for (i, slot) in outcomes.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = late.remove(&i);
            }
        }
    }
    let mut layer_reads = Vec::new();
    let mut utility_vm = UtilityVm::default();
    // The summaries are taken apart: captures go to the result, entries to
    // the merge, so neither is copied.
    let mut merged_input: Vec<(&str, Vec<Entry>)> = Vec::new();
    let mut view_layers = Vec::new();
    let mut all_verified = true;
    for (layer, outcome) in plan.layers.iter().zip(outcomes) {
        let outcome = outcome.ok_or_else(|| {
            Error::invalid(
                format!("layer `{}`", layer.digest),
                "was not found in a second pass over the archive",
            )
        })?;
        let read = outcome.summary.is_some();
        all_verified &= read && outcome.verified;
        let mut uncompressed_size = 0;
        let mut captures = Vec::new();
        if let Some(summary) = outcome.summary {
            utility_vm.files += summary.utility_vm.files;
            utility_vm.bytes += summary.utility_vm.bytes;
            uncompressed_size = summary.uncompressed_size;
            view_layers.push(ViewLayer {
                uncompressed_size,
                utility_vm: summary.utility_vm,
                captures: summary.captures.len() as u64,
            });
            captures = summary.captures;
            merged_input.push((layer.digest.as_str(), summary.entries));
        }
        layer_reads.push(LayerRead {
            digest: layer.digest.clone(),
            read,
            from_cache: outcome.from_cache,
            uncompressed_size,
            captures,
        });
    }
    let (files, broken_links) = merge(merged_input);
    if all_verified && let Some(cache) = &cache {
        cache.store_view(&digests, &fingerprint, &view_layers, &files, &broken_links)?;
    }
    let image = describe_image(reference, &plan, &layer_reads, &mut completeness);
    Ok(ImageRead {
        image,
        files,
        completeness,
        broken_links,
        utility_vm,
        layers: layer_reads,
    })
}

/// The read of an image whose merged view is cached: the view, and the
/// captures of the layers that have any (from their own entries). `None`
/// when the view or one of those entries cannot be used; the layers are then
/// read as usual.
fn read_from_view(
    cache: &Cache,
    digests: &[&str],
    fingerprint: &str,
    reference: &str,
    plan: &Plan,
) -> Option<ImageRead> {
    let view = cache.load_view(digests, fingerprint)?;
    let mut layer_reads = Vec::new();
    let mut utility_vm = UtilityVm::default();
    let mut scratch = Vec::new();
    for (layer, part) in plan.layers.iter().zip(&view.layers) {
        let captures = if part.captures == 0 {
            Vec::new()
        } else {
            let summary = cache.load(&layer.verify, fingerprint, &mut scratch)?;
            if summary.captures.len() as u64 != part.captures {
                return None;
            }
            summary.captures
        };
        utility_vm.files += part.utility_vm.files;
        utility_vm.bytes += part.utility_vm.bytes;
        layer_reads.push(LayerRead {
            digest: layer.digest.clone(),
            read: true,
            from_cache: true,
            uncompressed_size: part.uncompressed_size,
            captures,
        });
    }
    let mut completeness = Completeness::default();
    let image = describe_image(reference, plan, &layer_reads, &mut completeness);
    Some(ImageRead {
        image,
        files: view.files,
        completeness,
        broken_links: view.broken_links,
        utility_vm,
        layers: layer_reads,
    })
}

fn fingerprint(options: &ReadOptions) -> String {
    // Limits change what a read yields only by failing it, so they are not part of the key.
    options.capture.fingerprint()
}

/// What reading any one layer needs besides its bytes.
struct LayerReading<'a> {
    options: &'a ReadOptions,
    progress: &'a Progress,
    cache: Option<&'a Cache>,
    fingerprint: &'a str,
}

impl LayerReading<'_> {
    /// Reads a layer's blob. `unverified_ok` reads a blob that does not
    /// match its digest as a gap instead of failing.
    fn read(
        &self,
        reader: impl Read,
        layer: &PlannedLayer,
        unverified_ok: bool,
        completeness: &mut Completeness,
    ) -> Result<Outcome, Error> {
        let LayerReading {
            options,
            progress,
            cache,
            fingerprint,
        } = *self;
        let blob = format!("layer `{}`", layer.digest);
        let limits = options.limits;
        let bar = progress.bar(&layer.digest, layer.size);
        let reader = bar.wrap(reader);
        let expect = Expect {
            blob: blob.clone(),
            digest: None,
            size: layer.size,
            limit: limits.max_layer_bytes,
        };
        let bomb = BombLimits {
            max_uncompressed: limits.max_uncompressed_bytes,
            max_ratio: limits.max_ratio,
            ratio_floor: limits.ratio_floor,
        };
        let piped = pipe(reader, expect, bomb, |tar| {
            read_layer_tar(tar, &blob, &options.capture, limits.max_entries)
        })
        .map_err(|failure| match failure.digest {
            // A blob that is not what the manifest says explains any other failure.
            Some(actual) if actual != layer.verify && !unverified_ok => Error::DigestMismatch {
                blob: blob.clone(),
                expected: layer.verify.clone(),
                actual,
            },
            _ => failure.error,
        })?;
        bar.finish();
        let mut summary = piped.value;
        summary.uncompressed_size = piped.uncompressed;
        let verified = piped.digest == layer.verify;
        if !verified {
            if !unverified_ok {
                return Err(Error::DigestMismatch {
                    blob,
                    expected: layer.verify.clone(),
                    actual: piped.digest,
                });
            }
            completeness.add_gap(
            "files",
            format!(
                "layer `{}` does not match its digest (its bytes hash to `{}`); read unverified",
                layer.verify, piped.digest
            ),
        );
        } else if let Some(cache) = cache {
            cache.store(&layer.verify, fingerprint, &summary)?;
        }
        Ok(Outcome {
            summary: Some(summary),
            from_cache: false,
            verified,
        })
    }
}

impl LayerReading<'_> {
    /// A foreign layer the source does not hold: fetched from its urls
    /// when the options allow it (never read unverified), else a gap.
    fn foreign(
        &self,
        layer: &PlannedLayer,
        backend: &Backend,
        fetcher: &mut Option<Fetcher>,
        completeness: &mut Completeness,
    ) -> Result<Outcome, Error> {
        let options = self.options;
        if !options.allow_foreign {
            let urls = layer.urls.join(", ");
            let (held, why) = match backend {
                Backend::Local(local) if layer.urls.is_empty() => (
                    format!(" is not in `{}` and", local.describe()),
                    "it lists no urls to fetch it from".to_owned(),
                ),
                Backend::Local(local) => (
                    format!(" is not in `{}` and", local.describe()),
                    format!("allow foreign layers to fetch it from {urls}"),
                ),
                Backend::Registry(registry) if layer.urls.is_empty() => (
                    String::new(),
                    format!(
                        "allow foreign layers to fetch it from `{}`",
                        registry.reference()
                    ),
                ),
                Backend::Registry(registry) => (
                    String::new(),
                    format!(
                        "allow foreign layers to fetch it from `{}` or its urls: {urls}",
                        registry.reference()
                    ),
                ),
            };
            completeness.add_gap(
                "files",
                format!(
                    "foreign layer `{}`{held} was not fetched ({why}); its files are missing",
                    layer.digest,
                ),
            );
            return Ok(Outcome {
                summary: None,
                from_cache: false,
                verified: false,
            });
        }
        let fetcher = match fetcher {
            Some(fetcher) => fetcher,
            None => {
                let runtime = match backend {
                    Backend::Registry(registry) => Some(registry.runtime()),
                    Backend::Local(_) => None,
                };
                let made = Fetcher::new(runtime, options.registry.insecure).map_err(|reason| {
                    Error::Download {
                        url: layer.urls.first().cloned().unwrap_or_default(),
                        reason,
                    }
                })?;
                fetcher.insert(made)
            }
        };
        fetcher.fetch(
            &layer.digest,
            &layer.urls,
            layer.size,
            options.limits.max_layer_bytes,
            |reader| self.read(reader, layer, false, completeness),
        )
    }
}

fn describe_image(
    reference: &str,
    plan: &Plan,
    reads: &[LayerRead],
    completeness: &mut Completeness,
) -> Image {
    let config = &plan.config;
    let os_version = config
        .os_version
        .as_deref()
        .and_then(|v| match WindowsVersion::parse(v) {
            Ok(version) => Some(version),
            Err(e) => {
                completeness.add_gap("image", format!("os.version: {e}"));
                None
            }
        });
    let mut history = config.history.iter().filter(|h| !h.empty_layer);
    let layers = plan
        .layers
        .iter()
        .zip(reads)
        .map(|(layer, read)| ImageLayer {
            digest: layer.digest.clone(),
            diff_id: layer.diff_id.clone(),
            media_type: layer.media_type.clone(),
            size: layer.size.unwrap_or(0),
            created_by: history
                .next()
                .map(|h| h.created_by.clone())
                .unwrap_or_default(),
            foreign: layer.foreign,
            read: read.read,
        })
        .collect();
    let mut exposed_ports: Vec<ExposedPort> = config
        .exposed_ports
        .iter()
        .filter_map(|p| {
            let (port, protocol) = p.split_once('/').unwrap_or((p.as_str(), "tcp"));
            Some(ExposedPort {
                port: port.parse().ok()?,
                protocol: protocol.to_owned(),
            })
        })
        .collect();
    exposed_ports.sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
    Image {
        reference: reference.to_owned(),
        digest: plan.manifest_digest.clone(),
        os: config.os.clone(),
        os_version,
        architecture: config.architecture.clone(),
        created: config.created.as_deref().and_then(|c| Date::parse(c).ok()),
        layers,
        user: config.user.clone(),
        env: config
            .env
            .iter()
            .map(|e| {
                let (name, value) = e.split_once('=').unwrap_or((e.as_str(), ""));
                EnvVar {
                    name: name.to_owned(),
                    value: value.to_owned(),
                }
            })
            .collect(),
        entrypoint: config.entrypoint.clone(),
        cmd: config.cmd.clone(),
        shell: config.shell.clone(),
        working_dir: config.working_dir.clone(),
        exposed_ports,
        labels: config
            .labels
            .iter()
            .map(|(name, value)| Label {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    }
}
