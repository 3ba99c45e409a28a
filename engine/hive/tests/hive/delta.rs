//! The real Windows-container delta hive from scancode-toolkit's test data.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
use winspect_hive::{Hive, Layer, LayerSemantics, MergedRegistry};

use crate::support::load;

const UNINSTALL: &str = r"Microsoft\Windows\CurrentVersion\Uninstall";

fn software_delta() -> Option<Hive> {
    let bytes = load("scancode/Software_Delta")?;
    Some(Hive::from_bytes(bytes).expect("Software_Delta opens"))
}

/// Counts cross-checked with an independent Python walk (python3-hivex for the tree, the raw
/// byte at key-node offset 13 and value flag 0x0002 read with `struct`).
#[test]
fn software_delta_layer_semantics_counts() {
    let Some(hive) = software_delta() else { return };
    let base = hive.base_block();
    assert_eq!(base.minor_version, 6);
    assert!(base.is_differencing() && hive.supports_layered_keys());
    assert!(!hive.is_dirty());
    let mut semantics = BTreeMap::new();
    let (mut keys, mut values, mut tombstones, mut inherit) = (0, 0, 0, 0);
    let errors = hive.walk(|_, key| {
        keys += 1;
        *semantics.entry(key.layer_semantics().as_str()).or_insert(0) += 1;
        inherit += usize::from(key.inherit_class());
        for value in key.values().unwrap() {
            values += 1;
            tombstones += usize::from(value.is_tombstone());
            if value.is_tombstone() {
                assert_eq!(value.kind().to_u32(), 0);
                assert_eq!(value.data_size(), 0);
            }
        }
    });
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((keys, values), (2946, 3871));
    let expected = [
        ("merge", 2842),
        ("supersede-local", 74),
        ("supersede-tree", 13),
        ("tombstone", 17),
    ];
    assert_eq!(semantics, expected.into_iter().collect());
    assert_eq!(inherit, 112);
    assert_eq!(tombstones, 2);
}

/// The seven Python 3.9 MSI entries, checked against scancode's expected packages and against
/// the regipy JSON dump of the same keys from a real container SOFTWARE hive.
#[test]
fn software_delta_python_uninstall_entries() {
    let Some(hive) = software_delta() else { return };
    let Some(expected) = load("scancode/Software_Delta.expected") else {
        return;
    };
    let Some(dump) = load("scancode/SOFTWARE-registry-entries.json") else {
        return;
    };
    let expected: Vec<Json> = serde_json::from_slice(&expected).unwrap();
    let dump: Vec<Json> = serde_json::from_slice(&dump).unwrap();

    let uninstall = hive.open(UNINSTALL).unwrap().unwrap();
    let entries = uninstall.subkeys().unwrap();
    let mut names = Vec::new();
    for entry in &entries {
        let get = |name: &str| entry.value(name).unwrap().unwrap().as_string().unwrap();
        assert_eq!(get("DisplayVersion"), "3.9.5150.0");
        assert_eq!(get("Publisher"), "Python Software Foundation");
        assert_eq!(get("InstallDate"), "20210609");
        assert_eq!(
            entry
                .value("WindowsInstaller")
                .unwrap()
                .unwrap()
                .as_u32()
                .unwrap(),
            1
        );
        names.push(get("DisplayName"));
    }
    let mut expected_names: Vec<String> = expected
        .iter()
        .map(|p| {
            assert_eq!(p["version"], "3.9.5150.0");
            assert_eq!(p["parties"][0]["name"], "Python Software Foundation");
            p["name"].as_str().unwrap().to_owned()
        })
        .collect();
    names.sort();
    expected_names.sort();
    assert_eq!(names.len(), 7);
    assert_eq!(names, expected_names);

    // Every value of the regipy dump's Uninstall entries equals ours.
    let mut compared = 0;
    for key in dump
        .iter()
        .filter(|k| k["path"].as_str().unwrap().contains("Uninstall\\"))
    {
        let path = key["path"].as_str().unwrap();
        let ours = hive
            .open(path)
            .unwrap()
            .unwrap_or_else(|| panic!("`{path}` missing"));
        for value in key["values"].as_array().unwrap() {
            let name = value["name"].as_str().unwrap();
            let mine = ours.value(name).unwrap().unwrap();
            assert_eq!(
                mine.kind().name(),
                value["value_type"].as_str().unwrap(),
                "{path}\\{name}"
            );
            match &value["value"] {
                Json::String(s) => assert_eq!(&mine.as_string().unwrap(), s, "{path}\\{name}"),
                // regipy writes 0 for a string value without data.
                Json::Number(n) if mine.kind().name() == "REG_SZ" => {
                    assert_eq!(
                        (n.as_u64(), mine.as_string().unwrap().as_str()),
                        (Some(0), "")
                    );
                }
                Json::Number(n) => {
                    assert_eq!(u64::from(mine.as_u32().unwrap()), n.as_u64().unwrap())
                }
                other => panic!("unexpected JSON value {other}"),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 7 * 24);
}

/// A base hive we write, with the real delta on top: the delta's entries appear with its layer,
/// base entries survive, and the delta's tombstones hide what they name.
#[test]
fn real_delta_merges_over_a_written_base() {
    let Some(delta) = software_delta() else {
        return;
    };
    // Find the keys the delta deletes, to place them in the base.
    let mut tombstoned = Vec::new();
    delta.walk(|path, key| {
        if key.layer_semantics() == LayerSemantics::Tombstone {
            tombstoned.push(path.to_owned());
        }
    });
    assert_eq!(tombstoned.len(), 17);

    let mut root = KeySpec::new("ROOT");
    root.key_mut(r"Microsoft\Windows NT\CurrentVersion")
        .value(ValueSpec::string("CurrentBuild", "17763"))
        .value(ValueSpec::dword("UBR", 1935));
    root.key_mut(&format!(r"{UNINSTALL}\BaseOnlyProgram"))
        .value(ValueSpec::string("DisplayName", "Base Program"));
    for path in &tombstoned {
        root.key_mut(path)
            .value(ValueSpec::string("FromBase", "yes"));
    }
    let base =
        Hive::from_bytes(HiveBuilder::new(HiveKind::Base, root).to_bytes().unwrap()).unwrap();
    let registry = MergedRegistry::new(vec![
        Layer::new("sha256:base", base),
        Layer::new("sha256:python", delta),
    ])
    .unwrap();

    let uninstall = registry.open(UNINSTALL).unwrap().unwrap();
    let entries = uninstall.subkeys().unwrap();
    assert_eq!(entries.len(), 8);
    let python: Vec<_> = entries.iter().filter(|k| k.layer().index == 1).collect();
    assert_eq!(python.len(), 7);
    for entry in python {
        let version = entry.value("DisplayVersion").unwrap().unwrap();
        assert_eq!(version.as_string().unwrap(), "3.9.5150.0");
        assert_eq!(version.layer().label, "sha256:python");
    }
    let base_only = registry
        .open(&format!(r"{UNINSTALL}\baseonlyprogram"))
        .unwrap()
        .unwrap();
    assert_eq!(base_only.layer().label, "sha256:base");
    let build = registry
        .open(r"Microsoft\Windows NT\CurrentVersion")
        .unwrap()
        .unwrap();
    assert_eq!(
        build.value("CurrentBuild").unwrap().unwrap().layer().index,
        0
    );
    for path in &tombstoned {
        assert!(
            registry.open(path).unwrap().is_none(),
            "`{path}` should be deleted by the delta"
        );
    }
}
