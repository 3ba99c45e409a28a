//! Open + full walk of the largest real hive, and a merge of a written base with the real delta.
//! Needs the shared real data (`WINSPECT_REALDATA` or /work/shared/realdata); without it the
//! benchmarks that need it are skipped with a message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "benchmark harness: failing loudly is the point"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use winspect_hive::dump::dump_merged;
use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
use winspect_hive::{Hive, Layer, MergedRegistry};

fn realdata(rel: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("WINSPECT_REALDATA")
        .map_or_else(|| PathBuf::from("/work/shared/realdata"), PathBuf::from);
    let Ok(bytes) = std::fs::read(dir.join(rel)) else {
        println!("real data `{rel}` is missing: skipping its benchmark");
        return None;
    };
    if rel.ends_with(".xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut bytes.as_slice(), &mut out).unwrap();
        Some(out)
    } else {
        Some(bytes)
    }
}

fn walk_all(hive: &Hive) -> (usize, usize) {
    let (mut keys, mut values) = (0, 0);
    let errors = hive.walk(|_, key| {
        keys += 1;
        for value in key.values().unwrap() {
            values += 1;
            black_box(value.data().unwrap());
        }
    });
    assert!(errors.is_empty());
    (keys, values)
}

fn open_and_walk(c: &mut Criterion) {
    let Some(bytes) = realdata("regipy/SYSTEM_WIN_10_1709.xz") else {
        return;
    };
    c.bench_function("open + walk SYSTEM_WIN_10_1709 (15 MB)", |b| {
        b.iter(|| {
            let hive = Hive::from_bytes(bytes.clone()).unwrap();
            black_box(walk_all(&hive))
        });
    });
}

fn merge_real_delta(c: &mut Criterion) {
    let Some(delta) = realdata("scancode/Software_Delta") else {
        return;
    };
    let mut root = KeySpec::new("ROOT");
    for i in 0..2000 {
        root.key_mut(&format!(
            r"Microsoft\Windows\CurrentVersion\Uninstall\Program{i}"
        ))
        .value(ValueSpec::string("DisplayName", &format!("Program {i}")))
        .value(ValueSpec::dword("EstimatedSize", i));
    }
    let base = HiveBuilder::new(HiveKind::Base, root).to_bytes().unwrap();
    c.bench_function(
        "merge written base + Software_Delta, dump everything",
        |b| {
            b.iter(|| {
                let registry = MergedRegistry::new(vec![
                    Layer::new("base", Hive::from_bytes(base.clone()).unwrap()),
                    Layer::new("delta", Hive::from_bytes(delta.clone()).unwrap()),
                ])
                .unwrap();
                let dump = dump_merged(&registry, None).unwrap();
                assert!(dump.errors.is_empty());
                black_box(dump.keys.len())
            });
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = open_and_walk, merge_real_delta
}
criterion_main!(benches);
