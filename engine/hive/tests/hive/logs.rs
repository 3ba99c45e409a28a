//! Transaction-log replay on regipy's dirty hives.

use std::collections::HashSet;

use winspect_hive::{Hive, HiveError};

use crate::support::{hivex_dump, load, our_dump, regipy};

fn key_paths(hive: &Hive) -> HashSet<String> {
    let mut paths = HashSet::new();
    let errors = hive.walk(|path, _| {
        paths.insert(path.to_uppercase());
    });
    assert!(errors.is_empty(), "{errors:?}");
    paths
}

fn replayed(name: &str, logs: [&str; 2]) -> Option<(Hive, Hive)> {
    let primary = regipy(name)?;
    let log1 = regipy(logs[0])?;
    let log2 = regipy(logs[1])?;
    let dirty = Hive::from_bytes(primary.clone()).unwrap();
    let clean = Hive::from_bytes_with_logs(primary, &[&log1, &log2]).unwrap();
    Some((dirty, clean))
}

/// regipy's test for these logs recovers 315 dirty pages and finds 2458 new keys.
#[test]
fn system_b_logs_replay() {
    let Some((dirty, clean)) = replayed("SYSTEM_B", ["SYSTEM_B.LOG1", "SYSTEM_B.LOG2"]) else {
        return;
    };
    assert!(dirty.is_dirty());
    assert!(!clean.is_dirty());
    let replay = clean.log_replay().unwrap();
    assert!(replay.problems.is_empty(), "{:?}", replay.problems);
    assert_eq!(replay.pages_applied, 315);
    assert_eq!(replay.entries_applied, 24);
    assert_eq!(replay.sequence_range, Some((2107, 2130)));
    assert_eq!(replay.logs_used, [0, 1]);
    assert_eq!(clean.base_block().hive_bins_data_size, 12_591_104);
    let before = key_paths(&dirty);
    let after = key_paths(&clean);
    // regipy counts 2458 new subkeys, but it applies LOG2 before LOG1 (older pages last).
    assert_eq!(after.difference(&before).count(), 2472);
    let added = r"ControlSet001\Control\Class\{4D36E96C-E325-11CE-BFC1-08002BE10318}\0013\Drivers\wave\wdmaud.drv";
    assert!(dirty.open(added).unwrap().is_none());
    assert!(clean.open(added).unwrap().is_some());
    // An independent reader sees the replayed hive exactly as we do.
    if let Some(theirs) = hivex_dump(clean.as_bytes()) {
        assert_eq!(theirs, our_dump(&clean));
    }
    // The logs may be given in either order.
    let (_, swapped) = replayed("SYSTEM_B", ["SYSTEM_B.LOG2", "SYSTEM_B.LOG1"]).unwrap();
    assert_eq!(swapped.as_bytes(), clean.as_bytes());
}

/// regipy: 158 pages, 93 new keys.
#[test]
fn usrclass_logs_replay() {
    let Some((dirty, clean)) = replayed("UsrClass.dat", ["UsrClass.dat.LOG1", "UsrClass.dat.LOG2"])
    else {
        return;
    };
    let replay = clean.log_replay().unwrap();
    assert_eq!((replay.pages_applied, replay.entries_applied), (158, 14));
    assert!(!clean.is_dirty());
    // regipy counts 93 new subkeys, applying LOG2 before LOG1.
    assert_eq!(key_paths(&clean).difference(&key_paths(&dirty)).count(), 33);
    if let Some(theirs) = hivex_dump(clean.as_bytes()) {
        assert_eq!(theirs, our_dump(&clean));
    }
}

/// regipy applies only the first log here: 132 pages, 527 new keys. The second log holds one
/// entry older than the primary's sequence number, which must be skipped.
#[test]
fn transactions_ntuser_logs_replay() {
    let Some((dirty, clean)) = replayed(
        "transactions_NTUSER.DAT",
        [
            "transactions_ntuser.dat.log1",
            "transactions_ntuser.dat.log2",
        ],
    ) else {
        return;
    };
    let replay = clean.log_replay().unwrap();
    assert_eq!((replay.pages_applied, replay.entries_applied), (132, 23));
    assert_eq!(replay.logs_used, [0]);
    assert_eq!(replay.sequence_range, Some((566, 588)));
    assert!(!clean.is_dirty());
    // regipy's comparison reports 527 new subkeys; its diff counts differently from paths.
    assert_eq!(
        key_paths(&clean).difference(&key_paths(&dirty)).count(),
        521
    );
    if let Some(theirs) = hivex_dump(clean.as_bytes()) {
        assert_eq!(theirs, our_dump(&clean));
    }
}

#[test]
fn a_corrupted_log_entry_stops_replay_there() {
    let Some(primary) = regipy("UsrClass.dat") else {
        return;
    };
    let Some(mut log1) = regipy("UsrClass.dat.LOG1") else {
        return;
    };
    let Some(log2) = regipy("UsrClass.dat.LOG2") else {
        return;
    };
    // Flip a byte inside the second entry's dirty pages (entry at 16384, 16384 bytes long).
    log1[16384 + 4096] ^= 0xff;
    let hive = Hive::from_bytes_with_logs(primary, &[&log1, &log2]).unwrap();
    let replay = hive.log_replay().unwrap();
    assert_eq!(replay.entries_applied, 1);
    assert_eq!(replay.sequence_range, Some((287, 287)));
    assert!(matches!(
        &replay.problems[..],
        [HiveError::BadLog { log: 0, problem }] if problem.contains("hash-1")
    ));
}

#[test]
fn a_log_with_a_bad_base_block_is_skipped() {
    let Some(primary) = regipy("UsrClass.dat") else {
        return;
    };
    let Some(mut log1) = regipy("UsrClass.dat.LOG1") else {
        return;
    };
    let Some(log2) = regipy("UsrClass.dat.LOG2") else {
        return;
    };
    log1[100] ^= 1; // breaks the base-block checksum
    let hive = Hive::from_bytes_with_logs(primary, &[&log1, &log2]).unwrap();
    let replay = hive.log_replay().unwrap();
    // LOG2's first entry (291) equals its base block's sequence number and is not below the
    // primary's (255), so replay starts there, as the format specification says.
    assert_eq!(replay.logs_used, [1]);
    assert!(matches!(
        &replay.problems[..],
        [HiveError::BadLog { log: 0, .. }]
    ));
}

#[test]
fn a_clean_hive_ignores_its_logs() {
    let Some(primary) = regipy("SYSTEM") else {
        return;
    };
    let Some(log) = load("regipy/SYSTEM_B.LOG1.xz") else {
        return;
    };
    let hive = Hive::from_bytes_with_logs(primary.clone(), &[&log]).unwrap();
    assert!(hive.log_replay().is_none());
    assert_eq!(hive.as_bytes(), primary.as_slice());
}
