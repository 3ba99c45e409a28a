//! The pipeline: read the image with the scan's capture request, hand the
//! captures to the hive merge and the extractors, and assemble the
//! inventory.

use std::collections::{HashMap, HashSet};

use winspect_image::{BrokenLink, Captured, CapturedEntry, ImageRead, ReadOptions};
use winspect_inventory::{Inventory, WindowsVersion};
use winspect_windows::{Report, Warning};

use crate::capture::{
    DEFAULT_MAX_PE_BYTES, HIVE_RULE, PE_RULE, PeFacts, WINDOWS_RULE_PREFIX, capture_request,
    pe_facts,
};
use crate::files::ImageFiles;
use crate::registry::{HiveFile, HiveInputs, HiveName, ImageRegistry};
use crate::requests::registry_values;

/// How to scan an image.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// How to read the image: platform, limits, cache, registry access,
    /// foreign and unverified layers. Its `capture` is replaced by the
    /// scan's own request.
    pub read: ReadOptions,
    /// Registry values to record in `inventory.registry`, as
    /// `winspect_lang::Program::registry_requests` gives them.
    pub registry_requests: Vec<(String, Option<String>)>,
    /// Largest PE file whose version resource is read.
    pub max_pe_bytes: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            read: ReadOptions::default(),
            registry_requests: Vec::new(),
            max_pe_bytes: DEFAULT_MAX_PE_BYTES,
        }
    }
}

/// What a scan produced.
#[derive(Debug, Clone)]
pub struct Scan {
    pub inventory: Inventory,
    /// What was noticed without losing facts: the config and the registry
    /// disagreeing, a hive recovered from its logs, a request for a key no
    /// image has.
    pub warnings: Vec<Warning>,
    /// Hard links whose target no layer read holds (trimmed images, skipped
    /// foreign layers). Also a gap of the inventory.
    pub broken_links: Vec<BrokenLink>,
    /// How many layers came from the cache.
    pub cached_layers: usize,
}

/// Why an image could not be scanned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The image could not be read: a bad source, a digest mismatch, not a
    /// Windows image, a registry refusing access...
    #[error(transparent)]
    Image(#[from] winspect_image::Error),
}

/// Reads the image named by `input` (a registry reference, an OCI layout
/// directory or tar, a `docker save` archive) and builds its inventory.
pub fn inventory_of(input: &str, options: &ScanOptions) -> Result<Scan, ScanError> {
    let mut read_options = options.read.clone();
    read_options.capture = capture_request(options.max_pe_bytes)?;
    let read = winspect_image::read_image(input, &read_options)?;
    Ok(inventory_from_read(read, &options.registry_requests))
}

/// Builds the inventory of an image already read with
/// [`capture_request`](crate::capture_request). No IO.
pub fn inventory_from_read(mut read: ImageRead, requests: &[(String, Option<String>)]) -> Scan {
    let mut report = Report::default();
    let mut inventory = Inventory {
        image: std::mem::take(&mut read.image),
        completeness: std::mem::take(&mut read.completeness),
        ..Inventory::default()
    };
    let broken_links = std::mem::take(&mut read.broken_links);
    report_broken_links(&broken_links, &mut report);
    let cached_layers = read.layers.iter().filter(|l| l.from_cache).count();

    let gathered = gather(&mut read);
    let registry = ImageRegistry::build(gathered.hives, &mut report);
    flush_gaps(&mut report, &mut inventory);

    let kept_paths: HashSet<String> = gathered
        .kept
        .iter()
        .map(|(path, _)| path.to_lowercase())
        .collect();
    let files = ImageFiles::new(std::mem::take(&mut read.files), gathered.kept);
    let mut warnings = winspect_windows::extract(&registry, &files, &mut inventory);
    drop(files);

    apply_pe_facts(&mut inventory, &gathered.pe, &kept_paths, &mut report);
    inventory.registry = registry_values(&registry, requests, &mut report);
    flush_gaps(&mut report, &mut inventory);
    report.warnings.append(&mut warnings);
    Scan {
        inventory,
        warnings: report.warnings,
        broken_links,
        cached_layers,
    }
}

fn flush_gaps(report: &mut Report, inventory: &mut Inventory) {
    for gap in report.gaps.drain(..) {
        inventory.completeness.add_gap(gap.section, gap.reason);
    }
}

/// Examples named in a gap that stands for many files.
const EXAMPLES: usize = 5;

/// One gap for `items` of one kind: the count, and the first few. `what`
/// names the kind in the singular and the plural.
fn batch_gap(report: &mut Report, section: &str, items: &[String], what: [&str; 2]) {
    let [one, many] = what;
    let Some(first) = items.first() else {
        return;
    };
    let reason = if items.len() == 1 {
        format!("1 {one}: {first}")
    } else {
        let shown: Vec<&str> = items.iter().take(EXAMPLES).map(String::as_str).collect();
        let more = items.len().saturating_sub(EXAMPLES);
        format!(
            "{} {many}: {}{}",
            items.len(),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )
    };
    report.gap(section, reason);
}

fn report_broken_links(links: &[BrokenLink], report: &mut Report) {
    let items: Vec<String> = links
        .iter()
        .map(|l| {
            format!(
                "`{}` of layer `{}` links to `{}`",
                l.path, l.layer, l.target
            )
        })
        .collect();
    batch_gap(
        report,
        "files",
        &items,
        [
            "hard link to a file no layer read holds, left out of the files",
            "hard links to files no layer read holds, left out of the files",
        ],
    );
}

/// What the PE hook said about one visible file.
#[derive(Debug, Clone)]
enum PeOutcome {
    Facts(Option<PeFacts>),
    TooLarge(u64),
    Failed(String),
    /// A hard link to a file the hook did not inspect.
    Link(String),
}

impl PeOutcome {
    fn of(content: &Captured) -> PeOutcome {
        match content {
            Captured::Artifact(artifact) => match pe_facts(artifact) {
                Ok(facts) => PeOutcome::Facts(facts),
                Err(reason) => PeOutcome::Failed(reason),
            },
            Captured::TooLarge { limit } => PeOutcome::TooLarge(*limit),
            Captured::Failed(reason) => PeOutcome::Failed(reason.clone()),
            Captured::HardLink { target } => PeOutcome::Link(target.clone()),
            Captured::Bytes(_) => PeOutcome::Failed("kept instead of inspected".into()),
        }
    }
}

/// What the scan takes out of an image read.
#[derive(Debug, Default)]
struct Gathered {
    /// PE outcomes by lower-cased path relative to `C:\`.
    pe: HashMap<String, PeOutcome>,
    /// Bytes the extractors' rules kept, by path relative to `C:\`.
    kept: Vec<(String, Vec<u8>)>,
    hives: Vec<(HiveName, HiveInputs)>,
}

/// A visible capture to take out of the read: the visible tar path, its
/// layer's index and the capture's position.
struct Wanted {
    path: String,
    layer_index: usize,
    rule: String,
    at: (usize, usize),
}

fn under_files(tar_path: &str) -> Option<&str> {
    let (top, rest) = tar_path.split_once('/')?;
    top.eq_ignore_ascii_case("Files").then_some(rest)
}

/// Takes the captures the scan needs out of `read`: big contents (hives)
/// are moved, not copied; a capture two visible paths share (a hard link)
/// is copied for all but the last.
fn gather(read: &mut ImageRead) -> Gathered {
    let mut gathered = Gathered::default();
    let takes_bytes = |rule: &str| rule == HIVE_RULE || rule.starts_with(WINDOWS_RULE_PREFIX);
    let mut wanted = Vec::new();
    {
        let mut position: HashMap<*const CapturedEntry, (usize, usize)> = HashMap::new();
        for (li, layer) in read.layers.iter().enumerate() {
            for (ci, capture) in layer.captures.iter().enumerate() {
                if takes_bytes(&capture.rule) {
                    position.insert(std::ptr::from_ref(capture), (li, ci));
                }
            }
        }
        let layer_index: HashMap<&str, usize> = read
            .layers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, l)| (l.digest.as_str(), i))
            .collect();
        for visible in read.visible_captures() {
            let rule = visible.capture.rule.as_str();
            let Some(path) = under_files(visible.path) else {
                continue;
            };
            if rule == PE_RULE {
                gathered
                    .pe
                    .insert(path.to_lowercase(), PeOutcome::of(&visible.capture.content));
            } else if let Some(&at) = position.get(&std::ptr::from_ref(visible.capture)) {
                wanted.push(Wanted {
                    path: visible.path.to_owned(),
                    layer_index: layer_index.get(visible.layer).copied().unwrap_or(0),
                    rule: rule.to_owned(),
                    at,
                });
            }
        }
    }
    let mut uses: HashMap<(usize, usize), usize> = HashMap::new();
    for w in &wanted {
        *uses.entry(w.at).or_default() += 1;
    }
    let mut inputs: HashMap<HiveName, HiveInputs> = HashMap::new();
    for w in wanted {
        let Some(content) = take(read, w.at, &mut uses) else {
            continue;
        };
        let layer = read
            .layers
            .get(w.layer_index)
            .map(|l| l.digest.clone())
            .unwrap_or_default();
        if w.rule == HIVE_RULE {
            let name = w.path.rsplit('/').next().unwrap_or_default();
            let (stem, is_log) = match name.rsplit_once('.') {
                Some((stem, ext))
                    if ext.eq_ignore_ascii_case("LOG1") || ext.eq_ignore_ascii_case("LOG2") =>
                {
                    (stem, true)
                }
                _ => (name, false),
            };
            let Some(hive) = HiveName::from_root(stem) else {
                continue;
            };
            let file = HiveFile {
                layer,
                layer_index: w.layer_index,
                path: w.path.clone(),
                content,
            };
            let entry = inputs.entry(hive).or_default();
            if is_log {
                entry.logs.push(file);
            } else {
                entry.base = Some(file);
            }
        } else if let (Captured::Bytes(bytes), Some(path)) = (content, under_files(&w.path)) {
            gathered.kept.push((path.to_owned(), bytes));
        }
    }
    // Delta hives live outside `Files/`, one per layer, applied in layer order.
    for (li, layer) in read.layers.iter_mut().enumerate() {
        if !layer.read {
            continue;
        }
        for capture in &mut layer.captures {
            if capture.rule != HIVE_RULE {
                continue;
            }
            let Some((top, name)) = capture.path.split_once('/') else {
                continue;
            };
            let Some(hive) =
                HiveName::from_delta_file(name).filter(|_| top.eq_ignore_ascii_case("Hives"))
            else {
                continue;
            };
            inputs.entry(hive).or_default().deltas.push(HiveFile {
                layer: layer.digest.clone(),
                layer_index: li,
                path: capture.path.clone(),
                content: std::mem::replace(&mut capture.content, Captured::Bytes(Vec::new())),
            });
        }
    }
    gathered.hives = HiveName::ALL
        .into_iter()
        .map(|name| (name, inputs.remove(&name).unwrap_or_default()))
        .collect();
    gathered
}

/// The content at `at`, moved out when this is its last use, else copied.
fn take(
    read: &mut ImageRead,
    at: (usize, usize),
    uses: &mut HashMap<(usize, usize), usize>,
) -> Option<Captured> {
    let capture = read.layers.get_mut(at.0)?.captures.get_mut(at.1)?;
    let left = uses.get_mut(&at)?;
    *left = left.saturating_sub(1);
    Some(if *left == 0 {
        std::mem::replace(&mut capture.content, Captured::Bytes(Vec::new()))
    } else {
        capture.content.clone()
    })
}

/// Fills the version facts of the inspected PE files into `files`; files
/// whose version could not be read are gaps, one per kind of problem.
fn apply_pe_facts(
    inventory: &mut Inventory,
    pe: &HashMap<String, PeOutcome>,
    kept_paths: &HashSet<String>,
    report: &mut Report,
) {
    let mut too_large = Vec::new();
    let mut failed = Vec::new();
    let mut links = Vec::new();
    for record in &mut inventory.files {
        let key = record.path.to_lowercase();
        let Some(outcome) = pe.get(&key) else {
            continue;
        };
        match outcome {
            PeOutcome::Facts(Some(facts)) => {
                if record.file_version.is_none() {
                    record.file_version = facts
                        .file_version
                        .as_deref()
                        .and_then(|v| WindowsVersion::parse(v).ok());
                }
                if record.product_version.is_empty() {
                    record.product_version.clone_from(&facts.product_version);
                }
                if record.product_name.is_empty() {
                    record.product_name.clone_from(&facts.product_name);
                }
                if record.company_name.is_empty() {
                    record.company_name.clone_from(&facts.company_name);
                }
            }
            PeOutcome::Facts(None) => {}
            PeOutcome::TooLarge(limit) => too_large.push(format!(
                "`{}` ({} bytes, limit {limit})",
                record.path, record.size
            )),
            // The extractors already reported the PE files whose bytes they kept.
            PeOutcome::Failed(_) if kept_paths.contains(&key) => {}
            PeOutcome::Failed(reason) => failed.push(format!("`{}`: {reason}", record.path)),
            PeOutcome::Link(target) => links.push(format!("`{}` links to `{target}`", record.path)),
        }
    }
    batch_gap(
        report,
        "files",
        &too_large,
        [
            "PE file too large to read its version",
            "PE files too large to read their versions",
        ],
    );
    batch_gap(
        report,
        "files",
        &failed,
        [
            "PE file whose version cannot be read",
            "PE files whose versions cannot be read",
        ],
    );
    batch_gap(
        report,
        "files",
        &links,
        [
            "PE file that is a hard link to a file outside the inspected folders, whose version was not read",
            "PE files that are hard links to files outside the inspected folders, whose versions were not read",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_problems_of_one_kind_make_one_gap_with_examples() {
        let mut report = Report::default();
        let items: Vec<String> = (0..8).map(|i| format!("`f{i}`")).collect();
        let what = ["odd file", "odd files"];
        batch_gap(&mut report, "files", &items, what);
        batch_gap(&mut report, "files", &items[..1], what);
        batch_gap(&mut report, "files", &[], what);
        let reasons: Vec<&str> = report.gaps.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "8 odd files: `f0`; `f1`; `f2`; `f3`; `f4`; and 3 more",
                "1 odd file: `f0`"
            ]
        );
    }
}
