//! Image reading against its floor, on the same bytes in the same run.
//!
//! `cargo bench -p winspect-image --bench image_read` generates an image
//! (`WINSPECT_BENCH_MIB`, default 1024 MiB uncompressed: many small files
//! and a few large ones, gzip layers, as an OCI layout), then times, as
//! medians of `WINSPECT_BENCH_RUNS` (default 5) interleaved runs:
//! - floor: read each layer blob, sha256 it, gunzip it (to nothing);
//! - floor+: the same, also hashing the uncompressed tar;
//! - cold: `read_image` with an empty cache;
//! - warm: `read_image` again with the cache the cold read filled.
//!
//! `scripts/bench-image.sh` runs single modes in their own process
//! (`WINSPECT_BENCH_MODE=generate|floor|floor-tar|cold|warm`,
//! `WINSPECT_BENCH_DIR`)
//! under `/usr/bin/time`, for CPU time and peak memory too: that is where
//! the figures in BENCHMARKS.md come from.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark driver"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use winspect_image::writer::{ImageBuilder, LayerBuilder, write_oci_layout};
use winspect_image::{CacheChoice, Compression, ReadOptions, read_image};

/// Deterministic bytes that compress about 2.5:1 with gzip, as Windows
/// binaries do: three in four 8-byte words come from a 256-word table, the
/// rest are random.
struct Filler(u64);

impl Filler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let r = self.next();
            let word = if r & 3 == 0 {
                self.next()
            } else {
                ((r >> 8) & 0xff).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            };
            let bytes = word.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

fn generate(dir: &Path, mib: u64) {
    let total = mib << 20;
    let large = 4u64;
    let large_size = total * 3 / 8 / large;
    let small_budget = total - large * large_size;
    let small_size = 16 * 1024u64;
    let small_count = small_budget / small_size;
    let mut filler = Filler(0x9e37_79b9_7f4a_7c15);
    let layers = 3u64;
    let mut builder = ImageBuilder::windows("10.0.20348.2655");
    for layer_index in 0..layers {
        let mut layer = LayerBuilder::new();
        let mut buf = vec![0u8; small_size as usize];
        for i in (layer_index..small_count).step_by(layers as usize) {
            filler.fill(&mut buf);
            let size = (small_size / 2 + (i * 7919) % small_size) as usize;
            let size = size.min(buf.len());
            layer
                .file(
                    &format!("Windows/System32/dir{:03}/file{i:06}.dll", i % 500),
                    &buf[..size],
                )
                .unwrap();
        }
        for i in (layer_index..large).step_by(layers as usize) {
            let mut big = vec![0u8; large_size as usize];
            filler.fill(&mut big);
            layer
                .file(&format!("Program Files/Big/blob{i}.bin"), &big)
                .unwrap();
        }
        builder = builder
            .layer(
                layer.finish().unwrap(),
                Compression::Gzip,
                &format!("layer {layer_index}"),
            )
            .unwrap();
    }
    let image = builder.build().unwrap();
    write_oci_layout(dir, &[&image], "latest").unwrap();
    let bytes: usize = image.layers.iter().map(|l| l.blob.len()).sum();
    let tars: usize = image.layers.iter().map(|l| l.tar.len()).sum();
    eprintln!(
        "generated {} layers: {} MiB compressed, {} MiB of tar, {} small files",
        image.layers.len(),
        bytes >> 20,
        tars >> 20,
        small_count
    );
}

fn layer_blobs(dir: &Path) -> Vec<PathBuf> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest)).unwrap()).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| blob(l["digest"].as_str().unwrap()))
        .collect()
}

/// The least any verified read must do: hash the blob and decompress it.
fn floor(dir: &Path, hash_tar: bool) {
    for path in layer_blobs(dir) {
        let file = std::fs::File::open(&path).unwrap();
        let mut hashing = HashRead(file, Sha256::new());
        let mut gz = flate2::read::MultiGzDecoder::new(&mut hashing);
        let mut buf = vec![0u8; 256 * 1024];
        let mut tar_hash = Sha256::new();
        loop {
            let n = gz.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            if hash_tar {
                tar_hash.update(&buf[..n]);
            }
        }
        std::hint::black_box((hashing.1.finalize(), tar_hash.finalize()));
    }
}

struct HashRead<R>(R, Sha256);

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.update(&buf[..n]);
        Ok(n)
    }
}

fn read(dir: &Path, cache: &Path) -> usize {
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache.to_owned()),
        ..ReadOptions::default()
    };
    read_image(dir.to_str().unwrap(), &options)
        .unwrap()
        .files
        .len()
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mode = std::env::var("WINSPECT_BENCH_MODE").unwrap_or_default();
    let mib: u64 = std::env::var("WINSPECT_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let runs: usize = std::env::var("WINSPECT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    if !mode.is_empty() {
        let dir = PathBuf::from(std::env::var("WINSPECT_BENCH_DIR").expect("WINSPECT_BENCH_DIR"));
        let cache = dir.with_extension("cache");
        // Each timed mode prints its own wall time (the process's start and
        // exit are not part of a read).
        let timed = match mode.as_str() {
            "generate" => {
                generate(&dir, mib);
                return;
            }
            "floor" => time(|| floor(&dir, false)),
            "floor-tar" => time(|| floor(&dir, true)),
            "cold" => {
                let _ = std::fs::remove_dir_all(&cache);
                time(|| {
                    read(&dir, &cache);
                })
            }
            "warm" => time(|| {
                read(&dir, &cache);
            }),
            other => panic!("unknown mode `{other}`"),
        };
        println!("elapsed {:.6}", timed.as_secs_f64());
        return;
    }
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_before = load();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("image");
    let t = time(|| generate(&dir, mib));
    eprintln!("generation took {t:.2?}");
    let mut floors = Vec::new();
    let mut floors_plus = Vec::new();
    let mut colds = Vec::new();
    let mut warms = Vec::new();
    for run in 0..runs {
        floors.push(time(|| floor(&dir, false)));
        floors_plus.push(time(|| floor(&dir, true)));
        let cache = work.path().join(format!("cache{run}"));
        colds.push(time(|| {
            read(&dir, &cache);
        }));
        warms.push(time(|| {
            read(&dir, &cache);
        }));
    }
    let load_after = load();
    let (f, fp, c, w) = (
        median(floors),
        median(floors_plus),
        median(colds),
        median(warms),
    );
    println!(
        "image_read {mib} MiB, median of {runs}; load average before {}",
        load_before.trim()
    );
    println!("  floor (sha256 blob + gunzip)          {f:>10.3?}");
    println!("  floor+ (also sha256 of the tar)       {fp:>10.3?}");
    println!(
        "  cold read                             {c:>10.3?}  = {:.2}x floor, {:.2}x floor+",
        c.as_secs_f64() / f.as_secs_f64(),
        c.as_secs_f64() / fp.as_secs_f64()
    );
    println!(
        "  warm read (cache)                     {w:>10.3?}  = {:.2}% of cold",
        100.0 * w.as_secs_f64() / c.as_secs_f64()
    );
    println!("  load average after {}", load_after.trim());
}
