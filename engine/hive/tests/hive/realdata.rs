//! Real hives from regipy's and scancode's test data (see the real-data MANIFEST.md).

use winspect_hive::{Hive, HiveError};

use crate::support::regipy;

/// Walks a hive fully, decoding every value; returns (keys, values, errors).
pub fn walk_counts(hive: &Hive) -> (usize, usize, Vec<HiveError>) {
    let (mut keys, mut values) = (0, 0);
    let mut errors = Vec::new();
    let walk_errors = hive.walk(|_, key| {
        keys += 1;
        match key.values() {
            Ok(list) => {
                values += list.len();
                errors.extend(list.iter().filter_map(|v| v.data().err()));
            }
            Err(err) => errors.push(err),
        }
    });
    errors.extend(walk_errors);
    (keys, values, errors)
}

/// Key and value counts of each regipy hive, cross-checked with python3-hivex (and, for
/// NTUSER.DAT, amcache.hve and ntuser_software_partial, with regipy's own tests).
#[test]
fn every_regipy_hive_walks_fully() {
    let expected: &[(&str, usize, usize, bool)] = &[
        ("BCD", 132, 103, false),
        ("NTUSER-WSL.DAT", 3074, 4949, false),
        ("NTUSER.DAT", 1812, 4094, false),
        ("NTUSER_BAGMRU.DAT", 6279, 15912, true),
        ("NTUSER_modified.DAT", 1808, 4090, false),
        ("NTUSER_with_winscp.DAT", 5328, 12014, true),
        ("SAM", 65, 70, false),
        ("SECURITY", 100, 109, true),
        ("SYSTEM", 30756, 73456, false),
        ("SYSTEM_2", 20015, 49779, true),
        ("SYSTEM_B", 33123, 74957, true),
        ("SYSTEM_WIN_10_1709", 43211, 90307, true),
        ("UsrClass.dat", 6205, 12369, true),
        ("amcache.hve", 2105, 17539, true),
        ("ntuser_software_partial", 6396, 19990, false),
        ("transactions_NTUSER.DAT", 2590, 4119, true),
    ];
    for &(name, keys, values, dirty) in expected {
        let Some(bytes) = regipy(name) else { return };
        let hive = Hive::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (k, v, errors) = walk_counts(&hive);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(hive.bin_errors().is_empty(), "{name}");
        assert_eq!((k, v), (keys, values), "{name}");
        assert_eq!(hive.is_dirty(), dirty, "{name}");
    }
}

#[test]
fn ntuser_value_types_match_regipy() {
    let Some(bytes) = regipy("NTUSER.DAT") else {
        return;
    };
    let hive = Hive::from_bytes(bytes).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    hive.walk(|_, key| {
        for value in key.values().unwrap() {
            *counts.entry(value.kind().name().into_owned()).or_insert(0) += 1;
        }
    });
    let expected = [
        ("REG_BINARY", 531),
        ("REG_DWORD", 1336),
        ("REG_EXPAND_SZ", 93),
        ("REG_MULTI_SZ", 303),
        ("REG_NONE", 141),
        ("REG_QWORD", 54),
        ("REG_SZ", 1636),
    ];
    assert_eq!(
        counts,
        expected.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    );
    let base = hive.base_block();
    assert_eq!(
        (
            base.primary_sequence,
            base.minor_version,
            base.root_cell_offset
        ),
        (749, 3, 32)
    );
    assert_eq!(base.file_name, "?\\C:\\Users\\vibranium\\ntuser.dat");
    assert!(base.checksum_ok());
    assert_eq!(base.stored_checksum, 476_614_345);
    let run = hive
        .open(r"Software\Microsoft\Windows\CurrentVersion\Run")
        .unwrap()
        .unwrap();
    assert_eq!(run.last_written(), 129_779_615_948_377_168);
    let first = &run.values().unwrap()[0];
    assert_eq!(
        (first.name().as_ref(), first.kind().name().as_ref()),
        ("Sidebar", "REG_EXPAND_SZ")
    );
    // The Run key's security descriptor: owner and group S-1-5-18 (regipy's test).
    let sd = run.security_descriptor().unwrap().unwrap();
    let owner = u32::from_le_bytes(sd[4..8].try_into().unwrap()) as usize;
    assert_eq!(
        &sd[owner..owner + 12],
        &[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
    );
}

#[test]
fn utf16_key_names_decode() {
    let Some(bytes) = regipy("transactions_NTUSER.DAT") else {
        return;
    };
    let hive = Hive::from_bytes(bytes).unwrap();
    let international = hive.open(r"Control Panel\International").unwrap().unwrap();
    let names: Vec<String> = international
        .subkeys()
        .unwrap()
        .iter()
        .map(|k| k.name().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "Geo",
            "User Profile",
            "User Profile System Backup",
            "🌎🌏🌍"
        ]
    );
    assert!(
        hive.open(r"control panel\INTERNATIONAL\🌎🌏🌍")
            .unwrap()
            .is_some()
    );
}

#[test]
fn corrupted_hive_reports_its_bad_bins_and_cells() {
    let Some(bytes) = regipy("corrupted_system_hive") else {
        return;
    };
    let hive = Hive::from_bytes(bytes).expect("the base block is intact");
    assert_eq!(hive.bin_errors().len(), 30);
    assert!(matches!(
        hive.bin_errors()[0],
        HiveError::BadBin {
            offset: 102_400,
            ..
        }
    ));
    let (keys, values, errors) = walk_counts(&hive);
    assert_eq!((keys, values), (501, 1383));
    assert_eq!(errors.len(), 9);
    let message = errors[0].to_string();
    assert!(message.contains("lies outside the hive bins"), "{message}");
}
