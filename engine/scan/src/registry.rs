//! The image's registry: per machine hive, the base hive the merged file
//! view shows, with the delta hives (`Hives/*_Delta`) of the layers above it
//! merged on top in layer order, each labelled with its layer's digest. The
//! extractors see it through the [`RegistryView`] trait of
//! `winspect-windows`, implemented here on [`ImageRegistry`] (a set of
//! [`MergedRegistry`]s by root name: the view's paths name the hive first,
//! and neither the trait nor the hive crate knows about the other).

pub use winspect_hive::HiveName;
use winspect_hive::{Hive, HiveError, MergedKey, MergedRegistry, Value, ValueData, ValueKind};
use winspect_image::Captured;
use winspect_windows::{RegData, RegKey, RegValue, RegistryError, RegistryView, Report};

/// One hive file taken from the image.
#[derive(Debug)]
pub(crate) struct HiveFile {
    /// Digest of the layer that wrote it: the label of its merged layer.
    pub layer: String,
    /// That layer's index, base first.
    pub layer_index: usize,
    /// The tar path, for messages.
    pub path: String,
    pub content: Captured,
}

/// What the image holds of one hive.
#[derive(Debug, Default)]
pub(crate) struct HiveInputs {
    /// The base hive the merged view shows, if any.
    pub base: Option<HiveFile>,
    /// Its transaction logs (`.LOG1`, `.LOG2`) the merged view shows.
    pub logs: Vec<HiveFile>,
    /// Every read layer's delta hive, in layer order.
    pub deltas: Vec<HiveFile>,
}

/// The merged machine hives of an image, by root name.
#[derive(Debug, Default)]
pub struct ImageRegistry {
    hives: Vec<(HiveName, MergedRegistry)>,
}

impl ImageRegistry {
    /// A registry of hives already merged (one per name; a later duplicate
    /// is ignored).
    pub fn new(hives: Vec<(HiveName, MergedRegistry)>) -> ImageRegistry {
        let mut registry = ImageRegistry::default();
        for (name, merged) in hives {
            if registry.hive(name).is_none() {
                registry.hives.push((name, merged));
            }
        }
        registry
    }

    /// The merged hive `name`, when the image has it.
    pub fn hive(&self, name: HiveName) -> Option<&MergedRegistry> {
        self.hives.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
    }

    /// Opens and merges every hive of `inputs`. What cannot be read, and a
    /// base hive missing under its deltas, are gaps in `report`; the hive is
    /// still merged from what could be read.
    pub(crate) fn build(inputs: Vec<(HiveName, HiveInputs)>, report: &mut Report) -> ImageRegistry {
        let mut hives = Vec::new();
        for (name, input) in inputs {
            if let Some(merged) = merge_hive(name, input, report) {
                hives.push((name, merged));
            }
        }
        ImageRegistry::new(hives)
    }
}

const SECTION: &str = "registry";

fn merge_hive(name: HiveName, input: HiveInputs, report: &mut Report) -> Option<MergedRegistry> {
    let root = name.root();
    let HiveInputs { base, logs, deltas } = input;
    let mut layers = Vec::new();
    let base_index = base.as_ref().map(|b| b.layer_index);
    match base {
        Some(file) => {
            let logs: Vec<Vec<u8>> = logs
                .into_iter()
                .filter_map(|log| match log.content {
                    Captured::Bytes(bytes) => Some(bytes),
                    _ => None,
                })
                .collect();
            if let Some(hive) = open(root, file.path.as_str(), &file.layer, file.content, &logs, report)
            {
                layers.push(winspect_hive::Layer::new(file.layer, hive));
            }
        }
        None if deltas.is_empty() => {
            report.gap(
                SECTION,
                format!(
                    "hive `{root}` is not in the image: no layer read holds `Files/Windows/System32/config/{root}` or `Hives/{}`",
                    name.delta_file()
                ),
            );
            return None;
        }
        None => report.gap(
            SECTION,
            format!(
                "hive `{root}`: the base hive `Files/Windows/System32/config/{root}` is not in the layers read; only the delta hives of {} layer(s) are merged, so keys only the base holds are missing",
                deltas.len()
            ),
        ),
    }
    for delta in deltas {
        if base_index.is_some_and(|b| delta.layer_index <= b) {
            // The full hive of a layer at or above this one already holds
            // what the delta changed.
            report.warn(
                SECTION,
                format!(
                    "hive `{root}`: `{}` of layer `{}` is ignored: the base hive comes from the same or a later layer",
                    delta.path, delta.layer
                ),
            );
            continue;
        }
        if let Some(hive) = open(root, &delta.path, &delta.layer, delta.content, &[], report) {
            layers.push(winspect_hive::Layer::new(delta.layer, hive));
        }
    }
    // Only empty when nothing could be read, which `open` reported.
    MergedRegistry::new(layers).ok()
}

/// Opens one hive file, replaying `logs` when it is dirty. Problems that
/// lose keys are gaps; a file that cannot be opened at all is `None`.
fn open(
    root: &str,
    path: &str,
    layer: &str,
    content: Captured,
    logs: &[Vec<u8>],
    report: &mut Report,
) -> Option<Hive> {
    let what = format!("hive `{root}`: `{path}` of layer `{layer}`");
    let bytes = match content {
        Captured::Bytes(bytes) => bytes,
        Captured::TooLarge { limit } => {
            report.gap(
                SECTION,
                format!("{what} is larger than the limit of {limit} bytes and was not read"),
            );
            return None;
        }
        Captured::HardLink { target } => {
            report.gap(
                SECTION,
                format!("{what} is a hard link to `{target}`, whose content no layer read holds"),
            );
            return None;
        }
        Captured::Failed(reason) => {
            report.gap(SECTION, format!("{what} could not be captured: {reason}"));
            return None;
        }
        Captured::Artifact(_) => {
            report.gap(SECTION, format!("{what} was inspected instead of kept"));
            return None;
        }
    };
    let log_refs: Vec<&[u8]> = logs.iter().map(Vec::as_slice).collect();
    let hive = match Hive::from_bytes_with_logs(bytes, &log_refs) {
        Ok(hive) => hive,
        Err(e) => {
            report.gap(SECTION, format!("{what} cannot be read: {e}"));
            return None;
        }
    };
    if hive.is_dirty() {
        report.gap(
            SECTION,
            format!(
                "{what} is dirty and {}; it was read as it is, so its newest changes may be missing",
                if logs.is_empty() {
                    "has no transaction logs"
                } else {
                    "its transaction logs did not recover it"
                }
            ),
        );
    } else if let Some(replay) = hive.log_replay() {
        report.warn(
            SECTION,
            format!(
                "{what} was dirty and was recovered from its transaction logs ({} entries)",
                replay.entries_applied
            ),
        );
    }
    if let Some(first) = hive.bin_errors().first() {
        report.gap(
            SECTION,
            format!(
                "{what} is damaged ({} problem(s), the first: {first}); the keys in the damaged bins are missing",
                hive.bin_errors().len()
            ),
        );
    }
    Some(hive)
}

impl ImageRegistry {
    /// The hive of a view path and the path below its root.
    fn locate<'p>(&self, path: &'p str) -> Result<Option<(HiveName, &'p str)>, RegistryError> {
        let trimmed = path.trim_start_matches('\\');
        let (root, rest) = trimmed.split_once('\\').unwrap_or((trimmed, ""));
        if root.is_empty() {
            return Err(RegistryError::new(path, "a path must name a hive root"));
        }
        Ok(HiveName::from_root(root).map(|name| (name, rest)))
    }
}

impl RegistryView for ImageRegistry {
    fn key(&self, path: &str) -> Result<Option<RegKey>, RegistryError> {
        let Some((name, rest)) = self.locate(path)? else {
            return Ok(None);
        };
        let Some(hive) = self.hive(name) else {
            return Ok(None);
        };
        let fail = |e: HiveError| RegistryError::new(path, e.to_string());
        let Some(key) = hive.open(rest).map_err(fail)? else {
            return Ok(None);
        };
        reg_key(name, &key).map(Some).map_err(fail)
    }
}

fn label(layer: winspect_hive::LayerRef<'_>) -> Option<String> {
    (!layer.label.is_empty()).then(|| layer.label.to_owned())
}

fn reg_key(name: HiveName, key: &MergedKey<'_>) -> Result<RegKey, HiveError> {
    let path = if key.path().is_empty() {
        name.root().to_owned()
    } else {
        format!("{}\\{}", name.root(), key.path())
    };
    let subkeys = key.subkeys()?.iter().map(MergedKey::name).collect();
    let values = key
        .values()?
        .iter()
        .map(|v| {
            Ok(RegValue {
                name: v.name().into_owned(),
                data: reg_data(v)?,
                layer: label(v.layer()),
            })
        })
        .collect::<Result<_, HiveError>>()?;
    Ok(RegKey {
        path,
        layer: label(key.layer()),
        subkeys,
        values,
    })
}

/// A hive value as the extractors type it.
fn reg_data(value: &Value<'_>) -> Result<RegData, HiveError> {
    let kind = value.kind();
    Ok(match value.data()? {
        ValueData::String(s) => RegData::String(s),
        ValueData::ExpandString(s) => RegData::ExpandString(s),
        ValueData::MultiString(list) => RegData::MultiString(list),
        ValueData::Dword(n) | ValueData::DwordBigEndian(n) => RegData::Dword(n),
        ValueData::Qword(n) => RegData::Qword(n),
        ValueData::Bytes(bytes) if kind == ValueKind::Binary => RegData::Binary(bytes),
        // Links, REG_NONE, resource lists, unknown types and numbers too
        // short for their type: raw, so typed getters refuse them.
        ValueData::Link(_) | ValueData::Bytes(_) => RegData::Other {
            kind: kind.to_u32(),
            bytes: value.bytes()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use winspect_hive::LayerSemantics;
    use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};

    fn hive(kind: HiveKind, root: KeySpec) -> Vec<u8> {
        HiveBuilder::new(kind, root).to_bytes().unwrap()
    }

    fn file(layer: usize, path: &str, bytes: Vec<u8>) -> HiveFile {
        HiveFile {
            layer: format!("sha256:{layer}"),
            layer_index: layer,
            path: path.to_owned(),
            content: Captured::Bytes(bytes),
        }
    }

    fn software_base() -> Vec<u8> {
        let mut root = KeySpec::new("ROOT");
        root.key_mut(r"Microsoft\Windows NT\CurrentVersion")
            .value(ValueSpec::string("CurrentBuildNumber", "17763"))
            .value(ValueSpec::dword("UBR", 1))
            .value(ValueSpec::expand_string("PathName", "%SystemRoot%"))
            .value(ValueSpec::multi_string("List", &["a", "b"]))
            .value(ValueSpec::qword("InstallTime", 1 << 40))
            .value(ValueSpec::binary("DigitalProductId", vec![0xde, 0xad]))
            .value(ValueSpec::dword_big_endian("Big", 7))
            .value(ValueSpec::link("SymbolicLinkValue", r"\Registry\Machine\X"));
        root.key_mut(r"Microsoft\Old")
            .value(ValueSpec::dword("X", 1));
        hive(HiveKind::Base, root)
    }

    fn software_delta() -> Vec<u8> {
        let mut root = KeySpec::new("ROOT");
        root.key_mut(r"Microsoft\Windows NT\CurrentVersion")
            .value(ValueSpec::dword("UBR", 5830));
        root.key_mut(r"Microsoft\Old")
            .semantics(LayerSemantics::Tombstone);
        hive(HiveKind::Delta, root)
    }

    /// The base `SOFTWARE` hive from layer `base_layer`, the delta from layer 1.
    fn software(base_layer: usize) -> (ImageRegistry, Report) {
        let mut report = Report::default();
        let inputs = HiveInputs {
            base: Some(file(
                base_layer,
                "Files/Windows/System32/config/SOFTWARE",
                software_base(),
            )),
            logs: Vec::new(),
            deltas: vec![file(1, "Hives/Software_Delta", software_delta())],
        };
        let registry = ImageRegistry::build(vec![(HiveName::Software, inputs)], &mut report);
        (registry, report)
    }

    #[test]
    fn the_view_merges_layers_and_tells_each_values_layer() {
        let (registry, report) = software(0);
        assert_eq!(report, Report::default());
        let key = registry
            .key(r"software\MICROSOFT\Windows NT\CurrentVersion")
            .unwrap()
            .unwrap();
        assert_eq!(key.path, r"SOFTWARE\Microsoft\Windows NT\CurrentVersion");
        assert_eq!(key.layer.as_deref(), Some("sha256:1"));
        assert_eq!(key.dword("UBR").unwrap(), Some(5830));
        assert_eq!(key.layer_of("UBR").as_deref(), Some("sha256:1"));
        assert_eq!(key.string("CurrentBuildNumber").unwrap(), Some("17763"));
        assert_eq!(
            key.layer_of("CurrentBuildNumber").as_deref(),
            Some("sha256:0")
        );
        let data = |name: &str| key.value(name).unwrap().data.clone();
        assert_eq!(
            data("PathName"),
            RegData::ExpandString("%SystemRoot%".into())
        );
        assert_eq!(
            data("List"),
            RegData::MultiString(vec!["a".into(), "b".into()])
        );
        assert_eq!(data("InstallTime"), RegData::Qword(1 << 40));
        assert_eq!(data("DigitalProductId"), RegData::Binary(vec![0xde, 0xad]));
        assert_eq!(data("Big"), RegData::Dword(7));
        assert!(matches!(
            data("SymbolicLinkValue"),
            RegData::Other { kind: 6, .. }
        ));

        let microsoft = registry.key(r"SOFTWARE\Microsoft").unwrap().unwrap();
        assert_eq!(microsoft.subkeys, vec!["Windows NT"]);
        assert!(registry.key(r"SOFTWARE\Microsoft\Old").unwrap().is_none());
        assert_eq!(
            registry.key("SOFTWARE").unwrap().unwrap().subkeys,
            vec!["Microsoft"]
        );
        // Hives the image lacks, and unknown roots, are absent keys.
        assert!(registry.key(r"SYSTEM\Select").unwrap().is_none());
        assert!(registry.key(r"HARDWARE\X").unwrap().is_none());
        assert!(registry.key("").is_err());
    }

    #[test]
    fn missing_damaged_and_dirty_hives_are_gaps() {
        let mut report = Report::default();
        let mut dirty = software_base();
        // Primary and secondary sequence numbers differ: a dirty hive.
        dirty[4] = dirty[4].wrapping_add(1);
        let inputs = vec![
            (
                HiveName::Software,
                HiveInputs {
                    base: None,
                    logs: Vec::new(),
                    deltas: vec![file(1, "Hives/Software_Delta", software_delta())],
                },
            ),
            (HiveName::Sam, HiveInputs::default()),
            (
                HiveName::Security,
                HiveInputs {
                    base: Some(file(
                        0,
                        "Files/Windows/System32/config/SECURITY",
                        b"not a hive".to_vec(),
                    )),
                    ..HiveInputs::default()
                },
            ),
            (
                HiveName::Default,
                HiveInputs {
                    base: Some(HiveFile {
                        content: Captured::TooLarge { limit: 10 },
                        ..file(0, "Files/Windows/System32/config/DEFAULT", Vec::new())
                    }),
                    ..HiveInputs::default()
                },
            ),
            (
                HiveName::System,
                HiveInputs {
                    base: Some(file(0, "Files/Windows/System32/config/SYSTEM", dirty)),
                    ..HiveInputs::default()
                },
            ),
        ];
        let registry = ImageRegistry::build(inputs, &mut report);
        let reasons: Vec<&str> = report.gaps.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(reasons.len(), 5, "{reasons:#?}");
        assert!(
            reasons[0].contains("only the delta hives of 1 layer(s) are merged"),
            "{}",
            reasons[0]
        );
        assert!(
            reasons[1].starts_with("hive `SAM` is not in the image"),
            "{}",
            reasons[1]
        );
        assert!(reasons[2].contains("`Files/Windows/System32/config/SECURITY` of layer `sha256:0` cannot be read: file is too short for a registry hive"), "{}", reasons[2]);
        assert!(
            reasons[3].contains("larger than the limit of 10 bytes"),
            "{}",
            reasons[3]
        );
        assert!(
            reasons[4].contains("is dirty and has no transaction logs"),
            "{}",
            reasons[4]
        );
        assert!(report.gaps.iter().all(|g| g.section == "registry"));
        // What could be read is still served: the delta alone, and the dirty hive as it is.
        let cv = registry
            .key(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion")
            .unwrap()
            .unwrap();
        assert_eq!(cv.dword("UBR").unwrap(), Some(5830));
        assert!(registry.hive(HiveName::System).is_some());
        assert!(registry.hive(HiveName::Security).is_none());
    }

    #[test]
    fn deltas_below_the_base_hive_are_ignored() {
        let (registry, report) = software(1);
        assert!(report.gaps.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert!(report.warnings[0].message.contains("is ignored"));
        let cv = registry
            .key(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion")
            .unwrap()
            .unwrap();
        assert_eq!(cv.dword("UBR").unwrap(), Some(1));
    }
}
