//! Local sources: OCI layouts (directory and tar) and `docker save` archives.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use winspect_image::writer::{self, ImageBuilder, LayerBuilder};
use winspect_image::{
    Cache, CacheChoice, CaptureRequest, Captured, Compression, Error, ImageRead, PlatformChoice,
    ReadOptions, read_image,
};

use crate::fixtures::{self, DELTA_1, DELTA_2, SOFTWARE};

fn no_cache() -> ReadOptions {
    ReadOptions {
        cache: CacheChoice::Disabled,
        ..ReadOptions::default()
    }
}

fn read(path: &Path, options: &ReadOptions) -> ImageRead {
    read_image(path.to_str().unwrap(), options).unwrap()
}

/// Files as (path, size, sha256, index of the layer that wrote it).
fn files_by_layer_index(read: &ImageRead) -> Vec<(String, u64, String, usize)> {
    let index: HashMap<&str, usize> = read
        .image
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.digest.as_str(), i))
        .collect();
    read.files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                f.size,
                f.sha256.clone(),
                index[f.layer.as_deref().unwrap()],
            )
        })
        .collect()
}

/// The fixture image as an OCI layout in a temporary directory, and where
/// a cache may go beside it.
fn layout_and_cache_dir() -> (writer::BuiltImage, tempfile::TempDir, PathBuf, PathBuf) {
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let cache_dir = dir.path().join("cache");
    (image, dir, layout, cache_dir)
}

fn sha(bytes: &[u8]) -> String {
    winspect_image::sha256_digest(bytes)
        .trim_start_matches("sha256:")
        .to_owned()
}

#[test]
fn the_config_carries_the_creation_time_it_is_given() {
    let image = ImageBuilder::windows("10.0.20348.1")
        .created("2021-08-10T17:08:06Z")
        .layer(
            LayerBuilder::new().finish().unwrap(),
            Compression::None,
            "Apply image",
        )
        .unwrap()
        .build()
        .unwrap();
    let config: serde_json::Value = serde_json::from_slice(&image.config).unwrap();
    assert_eq!(config["created"], "2021-08-10T17:08:06Z");
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    let read = read(dir.path(), &no_cache());
    assert_eq!(read.image.created.unwrap().to_string(), "2021-08-10");
}

#[test]
fn the_merged_view_applies_layers_whiteouts_and_links() {
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    let read = read(dir.path(), &no_cache());
    let files: Vec<(&str, u64, usize)> = files_by_layer_index(&read)
        .iter()
        .map(|(p, s, _, l)| (p.as_str(), *s, *l))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(p, s, l)| (Box::leak(p.to_owned().into_boxed_str()) as &str, s, l))
        .collect();
    assert_eq!(
        files,
        vec![
            ("app.dll", 14, 2),
            ("Program Files/App/app.deps.json", 14, 2),
            ("Program Files/App/web.config", 16, 2),
            ("Windows/System32/config/SOFTWARE", SOFTWARE.len() as u64, 0),
            ("windows/system32/KERNEL32.DLL", 14, 1),
            ("Windows/System32/perfc009.dat", 13, 0),
            ("Windows/System32/perfd009.dat", 13, 0),
        ]
    );
    let by_path: HashMap<&str, &str> = read
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    // The hard link in the top layer has the content of kernel32 v2, which
    // the update layer wrote over the base layer's.
    assert_eq!(by_path["app.dll"], sha(b"MZ kernel32 v2"));
    assert_eq!(
        by_path["Windows/System32/perfd009.dat"],
        sha(b"perf counters")
    );
    assert_eq!(read.broken_links.len(), 1);
    assert_eq!(read.broken_links[0].path, "Windows/System32/trimmed.dat");
    assert_eq!(
        read.broken_links[0].target,
        "Files/Windows/System32/absent.dat"
    );
    assert_eq!(read.broken_links[0].layer, image.layers[0].digest);
    assert_eq!(read.utility_vm.files, 2);
    assert_eq!(read.utility_vm.bytes, 7 + 11);
    assert!(!read.completeness.partial);

    let img = &read.image;
    assert_eq!(img.digest, image.manifest_digest);
    assert_eq!(img.os, "windows");
    assert_eq!(img.os_version.as_ref().unwrap().as_str(), "10.0.20348.2655");
    assert_eq!(img.architecture, "amd64");
    assert_eq!(img.created.unwrap().to_string(), "2024-05-14");
    assert_eq!(img.user, "ContainerUser");
    assert_eq!(img.env[1].name, "PATH");
    assert_eq!(img.env[1].value, "C:\\Windows\\system32");
    assert_eq!(img.entrypoint, vec!["C:\\app.exe"]);
    assert_eq!(img.cmd, vec!["--serve"]);
    assert_eq!(img.shell, vec!["powershell", "-Command"]);
    assert_eq!(img.working_dir, "C:\\app");
    assert_eq!(img.exposed_ports.len(), 2);
    assert_eq!(img.exposed_ports[1].port, 443);
    assert_eq!(img.labels[0].value, "fixture");
    assert_eq!(img.layers.len(), 3);
    // History: the empty ENV entry is skipped when aligning.
    assert_eq!(img.layers[1].created_by, "Install update 10.0.20348.2655");
    assert_eq!(img.layers[2].created_by, "COPY app C:/Program Files/App");
    for (got, built) in img.layers.iter().zip(&image.layers) {
        assert_eq!(got.digest, built.digest);
        assert_eq!(got.diff_id, built.diff_id);
        assert_eq!(got.media_type, built.media_type);
        assert_eq!(got.size, built.blob.len() as u64);
        assert!(got.read && !got.foreign);
    }
}

#[test]
fn every_local_form_reads_alike() {
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let expected = files_by_layer_index(&read(&layout, &no_cache()));
    let forms = [
        ("oci.tar", false, Compression::None),
        ("oci.tar.gz", false, Compression::Gzip),
        ("oci.tar.zst", false, Compression::Zstd),
        ("save.tar", true, Compression::None),
        ("save.tar.gz", true, Compression::Gzip),
    ];
    for (name, docker, compression) in forms {
        let path = dir.path().join(name);
        if docker {
            writer::write_docker_save(&path, &image, "fixture:latest", compression).unwrap();
        } else {
            writer::write_oci_archive(&path, &[&image], "latest", compression).unwrap();
        }
        let got = read(&path, &no_cache());
        assert_eq!(files_by_layer_index(&got), expected, "{name}");
        assert_eq!(got.image.user, "ContainerUser", "{name}");
        assert_eq!(got.broken_links.len(), 1, "{name}");
        if docker {
            // `docker save` keeps uncompressed layers, named by diff_id.
            let diff_ids: Vec<&str> = image.layers.iter().map(|l| l.diff_id.as_str()).collect();
            let digests: Vec<&str> = got.image.layers.iter().map(|l| l.digest.as_str()).collect();
            assert_eq!(digests, diff_ids, "{name}");
        } else {
            assert_eq!(got.image.digest, image.manifest_digest, "{name}");
        }
    }
}

fn capture_request() -> CaptureRequest {
    CaptureRequest::new()
        .keep(
            "hives",
            &["Hives/*_Delta", "Files/Windows/System32/config/SOFTWARE"],
            1 << 20,
        )
        .unwrap()
        .keep(
            "configs",
            &["Files/**/web.config", "Files/**/*.deps.json"],
            1 << 20,
        )
        .unwrap()
        .inspect(
            "pe",
            &["Files/Windows/System32/*.dll", "Files/*.dll"],
            1 << 20,
            "test-pe/1",
            |path, bytes| {
                if bytes.starts_with(b"MZ") {
                    Ok(serde_json::json!({"path": path, "len": bytes.len()}))
                } else {
                    Err("not a PE".into())
                }
            },
        )
        .unwrap()
        .keep("tiny", &["Files/Windows/System32/perfc009.dat"], 4)
        .unwrap()
}

#[test]
fn captures_keep_bytes_run_hooks_and_keep_deltas_per_layer() {
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    let options = ReadOptions {
        capture: capture_request(),
        ..no_cache()
    };
    let read = read(dir.path(), &options);
    // Deltas: one per layer, in layer order, whatever their name's case.
    let deltas: Vec<(usize, &Captured)> = read
        .layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            l.captures
                .iter()
                .filter(|c| c.path.to_lowercase().starts_with("hives/"))
                .map(move |c| (i, &c.content))
        })
        .collect();
    assert_eq!(
        deltas,
        vec![
            (1, &Captured::Bytes(DELTA_1.to_vec())),
            (2, &Captured::Bytes(DELTA_2.to_vec()))
        ]
    );
    let visible = read.visible_captures();
    let find = |rule: &str, path: &str| {
        visible
            .iter()
            .find(|v| v.capture.rule == rule && v.path.eq_ignore_ascii_case(path))
            .map(|v| (v.layer, v.capture.content.clone()))
    };
    assert_eq!(
        find("hives", "Files/Windows/System32/config/SOFTWARE"),
        Some((
            image.layers[0].digest.as_str(),
            Captured::Bytes(SOFTWARE.to_vec())
        ))
    );
    assert_eq!(
        find("configs", "Files/Program Files/App/web.config").map(|(_, c)| c),
        Some(Captured::Bytes(b"<configuration/>".to_vec()))
    );
    // The hook saw kernel32 v2 (the update layer's), not v1.
    let (layer, content) = find("pe", "Files/Windows/System32/kernel32.dll").unwrap();
    assert_eq!(layer, image.layers[1].digest);
    assert_eq!(
        content,
        Captured::Artifact(
            serde_json::json!({"path": "Files/windows/system32/KERNEL32.DLL", "len": 14})
        )
    );
    // A hard link captured by a rule resolves to its target's capture.
    let (_, content) = find("pe", "Files/app.dll").unwrap();
    assert!(matches!(content, Captured::Artifact(_)), "{content:?}");
    assert_eq!(
        find("tiny", "Files/Windows/System32/perfc009.dat").map(|(_, c)| c),
        Some(Captured::TooLarge { limit: 4 })
    );
    // Whited-out and opaque-hidden files are not visible.
    assert!(visible.iter().all(|v| !v.path.contains("Temp")));
}

#[test]
fn a_warm_cache_reads_no_layer_and_a_new_capture_request_reads_again() {
    let (image, _dir, layout, cache_dir) = layout_and_cache_dir();
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        ..ReadOptions::default()
    };
    let first = read(&layout, &options);
    assert!(first.layers.iter().all(|l| !l.from_cache));
    // Remove the layer blobs: a warm read must not need them.
    for layer in &image.layers {
        std::fs::remove_file(
            layout
                .join("blobs/sha256")
                .join(layer.digest.trim_start_matches("sha256:")),
        )
        .unwrap();
    }
    let second = read(&layout, &options);
    assert!(second.layers.iter().all(|l| l.from_cache));
    assert_eq!(second.files, first.files);
    assert_eq!(second.image, first.image);
    assert_eq!(second.broken_links, first.broken_links);

    let with_captures = ReadOptions {
        capture: capture_request(),
        ..options.clone()
    };
    let err = read_image(layout.to_str().unwrap(), &with_captures).unwrap_err();
    assert!(err.to_string().contains("is missing"), "{err}");

    // Three layers, and the merged view beside them.
    let cache = Cache::at(&cache_dir);
    let entries = cache.list().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(cache.views().unwrap().len(), 1);
    assert!(
        entries
            .iter()
            .all(|e| e.fingerprint == "none" && e.size > 0)
    );
    assert_eq!(
        cache
            .prune(Some(std::time::Duration::from_secs(86_400)))
            .unwrap()
            .entries,
        0
    );
    let pruned = cache.prune(None).unwrap();
    assert_eq!((pruned.entries, pruned.views), (3, 1));
    assert!(pruned.bytes > 0 && pruned.view_bytes > 0);
    assert!(cache.list().unwrap().is_empty() && cache.views().unwrap().is_empty());
}

#[test]
fn damaged_cache_entries_are_detected_and_their_layers_read_again() {
    let (_image, _dir, layout, cache_dir) = layout_and_cache_dir();
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        capture: capture_request(),
        ..ReadOptions::default()
    };
    let first = read(&layout, &options);
    assert!(first.layers.iter().any(|l| !l.captures.is_empty()));
    let entry_of = |layer: usize| {
        Cache::at(&cache_dir)
            .list()
            .unwrap()
            .into_iter()
            .find(|e| e.digest == first.layers[layer].digest)
            .unwrap()
            .path
    };
    // Layer 0's entry loses its second half; one byte of layer 1's flips.
    let truncated = entry_of(0);
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let flipped = entry_of(1);
    let mut bytes = std::fs::read(&flipped).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&flipped, bytes).unwrap();

    let second = read(&layout, &options);
    let from_cache: Vec<bool> = second.layers.iter().map(|l| l.from_cache).collect();
    assert_eq!(from_cache, vec![false, false, true]);
    assert_eq!(second.files, first.files);
    assert_eq!(second.layers[0].captures, first.layers[0].captures);
    assert_eq!(second.layers[1].captures, first.layers[1].captures);
    // The layers read again were stored again, whole.
    let third = read(&layout, &options);
    assert!(third.layers.iter().all(|l| l.from_cache));
    assert_eq!(third.files, first.files);
    assert_eq!(third.layers, {
        let mut layers = first.layers.clone();
        layers.iter_mut().for_each(|l| l.from_cache = true);
        layers
    });
}

/// What a read says, but for where its layers came from.
fn ignoring_from_cache(read: &ImageRead) -> ImageRead {
    let mut read = read.clone();
    read.layers.iter_mut().for_each(|l| l.from_cache = false);
    read
}

fn views_of(cache_dir: &Path) -> Vec<PathBuf> {
    Cache::at(cache_dir)
        .views()
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect()
}

#[test]
fn a_warm_read_takes_the_merged_view_and_the_captures_from_the_layers() {
    let (_image, _dir, layout, cache_dir) = layout_and_cache_dir();
    let plain = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        ..ReadOptions::default()
    };
    let with_captures = ReadOptions {
        capture: capture_request(),
        ..plain.clone()
    };
    for options in [&plain, &with_captures] {
        let cold = read(&layout, options);
        let warm = read(&layout, options);
        assert!(warm.layers.iter().all(|l| l.from_cache));
        assert_eq!(ignoring_from_cache(&warm), ignoring_from_cache(&cold));
    }
    // One view per capture fingerprint.
    assert_eq!(views_of(&cache_dir).len(), 2);
    // Without captures the view alone suffices; with them, a layer whose
    // captures are gone is read again (and stored again).
    let layer_entries: Vec<PathBuf> = Cache::at(&cache_dir)
        .list()
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    for entry in &layer_entries {
        std::fs::remove_file(entry).unwrap();
    }
    let warm = read(&layout, &plain);
    assert!(warm.layers.iter().all(|l| l.from_cache));
    let again = read(&layout, &with_captures);
    assert!(again.layers.iter().all(|l| !l.from_cache));
    assert_eq!(again.files, warm.files);
    assert!(again.layers.iter().any(|l| !l.captures.is_empty()));
}

#[test]
fn a_damaged_merged_view_is_ignored_and_written_again() {
    let (_image, _dir, layout, cache_dir) = layout_and_cache_dir();
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        ..ReadOptions::default()
    };
    let cold = read(&layout, &options);
    let [view] = views_of(&cache_dir).try_into().unwrap();
    let sound = std::fs::read(&view).unwrap();
    let mut damaged = sound.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x40;
    for broken in [damaged, sound[..sound.len() - 1].to_vec(), b"{}".to_vec()] {
        std::fs::write(&view, &broken).unwrap();
        // The layers' own entries serve, and the view is written again.
        let warm = read(&layout, &options);
        assert!(warm.layers.iter().all(|l| l.from_cache));
        assert_eq!(ignoring_from_cache(&warm), ignoring_from_cache(&cold));
        assert_eq!(std::fs::read(&view).unwrap(), sound);
    }
}

#[test]
fn cache_entries_of_the_json_format_are_not_read() {
    let (image, _dir, layout, cache_dir) = layout_and_cache_dir();
    // What an earlier release stored, with a file list that is not the
    // layer's: were it read, the merged view would show it.
    std::fs::create_dir_all(cache_dir.join("layers")).unwrap();
    for layer in &image.layers {
        let hex = layer.digest.trim_start_matches("sha256:");
        std::fs::write(
            cache_dir.join(format!("layers/{hex}.none.layer.json")),
            format!(
                r#"{{"format":1,"digest":"{}","fingerprint":"none","summary":{{"entries":[{{"p":"planted.txt","t":"f","n":1,"h":"{}"}}],"captures":[],"utility_vm":{{"files":0,"bytes":0}},"other_entries":0,"uncompressed_size":0}}}}"#,
                layer.digest,
                "0".repeat(64)
            ),
        )
        .unwrap();
    }
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        ..ReadOptions::default()
    };
    let read_once = read(&layout, &options);
    assert!(read_once.layers.iter().all(|l| !l.from_cache));
    assert!(read_once.files.iter().all(|f| f.path != "planted.txt"));
    assert_eq!(read_once.files, read(&layout, &no_cache()).files);
    // Old entries are still listed, so that pruning removes them.
    let cache = Cache::at(&cache_dir);
    assert_eq!(cache.list().unwrap().len(), 6);
    assert_eq!(cache.prune(None).unwrap().entries, 6);
}

#[test]
fn two_concurrent_reads_share_one_cache_dir() {
    let (_image, _dir, layout, cache_dir) = layout_and_cache_dir();
    let options = ReadOptions {
        cache: CacheChoice::Dir(cache_dir.clone()),
        capture: capture_request(),
        ..ReadOptions::default()
    };
    let reads: Vec<ImageRead> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| read(&layout, &options)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(reads[0].files, reads[1].files);
    let third = read(&layout, &options);
    assert!(third.layers.iter().all(|l| l.from_cache));
    assert_eq!(third.files, reads[0].files);
    assert_eq!(third.layers[1].captures, reads[0].layers[1].captures);
    let names: Vec<String> = std::fs::read_dir(cache_dir.join("layers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
}

#[test]
fn foreign_layers_not_shipped_are_gaps() {
    let mut base = LayerBuilder::new();
    base.file("Windows/System32/ntdll.dll", b"MZ ntdll")
        .unwrap();
    let mut top = LayerBuilder::new();
    top.file("app.txt", b"app").unwrap();
    let image = ImageBuilder::windows("10.0.17763.2452")
        .docker_media_types()
        .foreign_layer(
            base.finish().unwrap(),
            &["https://example.invalid/base.tar.gz"],
            false,
            "Apply image",
        )
        .unwrap()
        .layer(top.finish().unwrap(), Compression::Gzip, "COPY app.txt")
        .unwrap()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    let got = read(dir.path(), &no_cache());
    assert!(got.completeness.partial);
    assert_eq!(got.completeness.gaps.len(), 1);
    assert!(
        got.completeness.gaps[0]
            .reason
            .contains(&image.layers[0].digest),
        "{:?}",
        got.completeness
    );
    assert!(got.image.layers[0].foreign && !got.image.layers[0].read);
    assert_eq!(
        got.image.layers[0].media_type,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    );
    assert_eq!(got.files.len(), 1);
    assert_eq!(got.files[0].path, "app.txt");

    // Shipped in the layout, a foreign layer is simply read.
    let mut base = LayerBuilder::new();
    base.file("Windows/System32/ntdll.dll", b"MZ ntdll")
        .unwrap();
    let shipped = ImageBuilder::windows("10.0.17763.2452")
        .foreign_layer(
            base.finish().unwrap(),
            &["https://example.invalid/base.tar.gz"],
            true,
            "Apply image",
        )
        .unwrap()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&shipped], "latest").unwrap();
    let shipped_read = read(dir.path(), &no_cache());
    assert!(!shipped_read.completeness.partial);
    assert!(shipped_read.image.layers[0].foreign && shipped_read.image.layers[0].read);
    assert_eq!(shipped_read.files.len(), 1);
}

fn small_windows(os_version: &str, marker: &str) -> writer::BuiltImage {
    let mut l = LayerBuilder::new();
    l.file("marker.txt", marker.as_bytes()).unwrap();
    ImageBuilder::windows(os_version)
        .layer(l.finish().unwrap(), Compression::Gzip, "Apply image")
        .unwrap()
        .build()
        .unwrap()
}

fn linux_image() -> writer::BuiltImage {
    let mut l = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    l.append_data(&mut h, "etc/hostname", &b"box\n"[..])
        .unwrap();
    ImageBuilder::linux()
        .layer(l.into_inner().unwrap(), Compression::Gzip, "ADD rootfs")
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn a_multi_platform_layout_selects_by_platform_and_os_version() {
    let ltsc2019 = small_windows("10.0.17763.5458", "2019");
    let ltsc2022 = small_windows("10.0.20348.2322", "2022");
    let linux = linux_image();
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&linux, &ltsc2019, &ltsc2022], "latest").unwrap();
    let marker = |read: &ImageRead| read.files[0].sha256.clone();
    let default = read(dir.path(), &no_cache());
    assert_eq!(marker(&default), sha(b"2019"));
    assert_eq!(default.image.digest, ltsc2019.manifest_digest);
    let mut options = no_cache();
    options.platform.os_version_prefix = Some("10.0.20348".into());
    let chosen = read(dir.path(), &options);
    assert_eq!(marker(&chosen), sha(b"2022"));
    assert_eq!(chosen.image.os_version.unwrap().as_str(), "10.0.20348.2322");

    options.platform.os_version_prefix = Some("10.0.26100".into());
    let err = read_image(dir.path().to_str().unwrap(), &options).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{text}");
    assert!(
        text.contains("windows/amd64 with os.version 10.0.26100*"),
        "{text}"
    );
    assert!(
        text.contains(
            "linux/amd64, windows/amd64 (10.0.17763.5458), windows/amd64 (10.0.20348.2322)"
        ),
        "{text}"
    );

    options.platform = PlatformChoice::parse("linux/amd64").unwrap();
    let err = read_image(dir.path().to_str().unwrap(), &options).unwrap_err();
    assert!(
        err.to_string()
            .contains("is not a Windows image: its os is `linux`"),
        "{err}"
    );
}
