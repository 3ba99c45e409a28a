//! Bad input never panics or loops: mutated written and real hives, mutated logs, crafted cycles.
//! Time is bounded by construction (visited sets, depth limit, counts checked against cells),
//! so these tests assert termination and errors, never durations.

use proptest::prelude::*;
use winspect_hive::dump::{dump_hive, dump_merged};
use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
use winspect_hive::{Hive, HiveError, Layer, MergedRegistry};

use crate::roundtrip::full_base;
use crate::support::regipy;

/// Reads everything reachable, through every API, ignoring errors.
fn exercise(bytes: Vec<u8>, logs: &[&[u8]]) {
    let Ok(hive) = Hive::from_bytes_with_logs(bytes, logs) else {
        return;
    };
    let _ = hive.walk(|_, key| {
        let _ = key.class_name();
        let _ = key.security_descriptor();
        let _ = key.subkey("Key00042");
        if let Ok(values) = key.values() {
            for value in values {
                let _ = value.data();
                let _ = value.as_string();
            }
        }
    });
    let _ = dump_hive(&hive, "mutated", None);
    let base = Hive::from_bytes(
        HiveBuilder::new(HiveKind::Base, full_base())
            .to_bytes()
            .unwrap(),
    )
    .unwrap();
    let Ok(registry) =
        MergedRegistry::new(vec![Layer::new("base", base), Layer::new("mutated", hive)])
    else {
        return;
    };
    let _ = dump_merged(&registry, None);
    let _ = registry.current_control_set();
}

fn written() -> Vec<u8> {
    let mut root = full_base();
    root.key_mut("Deep\\Er\\Still")
        .value(ValueSpec::dword("x", 1));
    HiveBuilder::new(HiveKind::Delta, root).to_bytes().unwrap()
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    let len = bytes.len();
    for &(at, byte) in edits {
        bytes[at % len] = byte;
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_written_hives_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..64)) {
        exercise(mutate(written(), &edits), &[]);
    }

    #[test]
    fn mutated_headers_and_cells_never_panic(edits in prop::collection::vec((0usize..12_288, any::<u8>()), 1..16)) {
        exercise(mutate(written(), &edits), &[]);
    }

    #[test]
    fn truncated_hives_never_panic(cut in 0usize..40_000) {
        let mut bytes = written();
        bytes.truncate(cut);
        exercise(bytes, &[]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_hives_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..64)) {
        let Some(sam) = regipy("SAM") else { return Ok(()) };
        exercise(mutate(sam, &edits), &[]);
    }

    #[test]
    fn mutated_logs_never_panic(edits in prop::collection::vec((0usize..300_000, any::<u8>()), 1..32)) {
        let (Some(primary), Some(log1), Some(log2)) =
            (regipy("UsrClass.dat"), regipy("UsrClass.dat.LOG1"), regipy("UsrClass.dat.LOG2"))
        else {
            return Ok(());
        };
        let log1 = mutate(log1, &edits);
        exercise(primary, &[&log1, &log2]);
    }
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// The file position of a key node's field.
fn nk_field(offset: u32, field: usize) -> usize {
    4096 + offset as usize + 4 + field
}

#[test]
fn a_subkey_list_cycle_is_reported_not_followed() {
    let mut root = KeySpec::new("R");
    root.key_mut(r"A\B");
    let mut bytes = HiveBuilder::new(HiveKind::Base, root).to_bytes().unwrap();
    let hive = Hive::from_bytes(bytes.clone()).unwrap();
    let root_offset = hive.root().unwrap().offset();
    let b = hive.open(r"A\B").unwrap().unwrap().offset();
    // B's subkey list becomes the root's list, which holds A: R -> A -> B -> A -> ...
    let root_list = u32_at(&bytes, nk_field(root_offset, 28));
    put_u32(&mut bytes, nk_field(b, 20), 1);
    put_u32(&mut bytes, nk_field(b, 28), root_list);
    let hive = Hive::from_bytes(bytes).unwrap();
    let mut visited = 0;
    let errors = hive.walk(|_, _| visited += 1);
    assert_eq!(visited, 3);
    assert!(
        matches!(&errors[..], [HiveError::Cycle { path, .. }] if path == r"A\B"),
        "{errors:?}"
    );
    // Path lookups are bounded by the path, so they may go round the loop without harm.
    assert!(hive.open(r"A\B\A\B\A\B").unwrap().is_some());

    let registry = MergedRegistry::new(vec![Layer::new("cyclic", hive)]).unwrap();
    let dump = dump_merged(&registry, None).unwrap();
    assert_eq!(dump.keys.len(), 3);
    assert_eq!(dump.errors.len(), 1);
    assert!(
        dump.errors[0].contains("the subkey lists form a cycle"),
        "{:?}",
        dump.errors
    );
}

#[test]
fn an_index_root_pointing_to_itself_is_an_error() {
    let mut root = KeySpec::new("R");
    for i in 0..600 {
        root.subkey(KeySpec::new(format!("K{i}")));
    }
    let mut bytes = HiveBuilder::new(HiveKind::Base, root).to_bytes().unwrap();
    let hive = Hive::from_bytes(bytes.clone()).unwrap();
    let root_offset = hive.root().unwrap().offset();
    let ri = u32_at(&bytes, nk_field(root_offset, 28));
    assert_eq!(&bytes[4096 + ri as usize + 4..][..2], b"ri");
    put_u32(&mut bytes, 4096 + ri as usize + 8, ri);
    let hive = Hive::from_bytes(bytes).unwrap();
    let err = hive.root().unwrap().subkeys().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("subkey list at {ri:#x}: an index root points to another index root")
    );
}

#[test]
fn huge_counts_are_checked_against_their_cells() {
    let mut root = KeySpec::new("R");
    root.key_mut("A").value(ValueSpec::dword("x", 1));
    let mut bytes = HiveBuilder::new(HiveKind::Base, root).to_bytes().unwrap();
    let a = Hive::from_bytes(bytes.clone())
        .unwrap()
        .open("A")
        .unwrap()
        .unwrap()
        .offset();
    put_u32(&mut bytes, nk_field(a, 36), u32::MAX);
    let hive = Hive::from_bytes(bytes).unwrap();
    let err = hive.open("A").unwrap().unwrap().values().unwrap_err();
    assert!(
        err.to_string()
            .contains("4294967295 values do not fit in a"),
        "{err}"
    );
}

#[test]
fn bad_headers_are_clear_errors() {
    assert_eq!(
        Hive::from_bytes(b"regf".to_vec()).unwrap_err().to_string(),
        "file is too short for a registry hive: 4 bytes"
    );
    let mut bytes = written();
    bytes[0] = b'R';
    assert_eq!(
        Hive::from_bytes(bytes).unwrap_err().to_string(),
        "not a registry hive: signature is `Regf`, expected `regf`"
    );
    let mut bytes = written();
    bytes[24] = 7;
    assert_eq!(
        Hive::from_bytes(bytes).unwrap_err().to_string(),
        "unsupported hive format version 1.7 (supported: 1.3 to 1.6)"
    );
    let Some(log) = regipy("UsrClass.dat.LOG1") else {
        return;
    };
    assert_eq!(
        Hive::from_bytes(log).unwrap_err().to_string(),
        "file type 6 is not a primary hive (transaction logs have type 1 or 6)"
    );
}
