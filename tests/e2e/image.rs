//! `inventory`, `cache`, `registry` and `scan`: images in every local
//! format and from a real registry, foreign layers fetched from a loopback
//! server, image faults, the real trimmed Windows image, the real layer
//! delta hive.

use std::path::{Path, PathBuf};

use serde_json::Value;
use winspect_image::Compression;
use winspect_image::testing::{Answer, StubServer, TestRegistry, TestRegistryError};
use winspect_image::writer::{
    self, BuiltImage, ImageBuilder, LayerBuilder, write_docker_save, write_oci_archive,
    write_oci_layout,
};
use winspect_scan::testing::{sample_image, software_hive};

use crate::support::{Run, realdata, winspect, winspect_env, winspect_with};

/// The sample image written as an OCI layout directory under `dir`.
fn layout(dir: &Path, image: &BuiltImage) -> String {
    let path = dir.join("layout");
    write_oci_layout(&path, &[image], "latest").unwrap();
    path.display().to_string()
}

fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Asserts that `run` failed as a fault (exit 2, nothing on stdout) saying `message`.
fn assert_fault(run: &Run, message: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(message),
        "wanted {message:?} in: {}",
        run.stderr
    );
}

/// The inventory without what names the source.
fn comparable(mut inventory: Value) -> Value {
    inventory["image"]["reference"] = Value::Null;
    inventory["image"]["digest"] = Value::Null;
    for layer in inventory["image"]["layers"].as_array_mut().unwrap() {
        layer["media_type"] = Value::Null;
    }
    inventory
}

fn inventory(image: &str, cache: &Path) -> Run {
    let cache = cache.display().to_string();
    winspect(&["inventory", image, "--cache-dir", &cache])
}

#[test]
fn inventory_is_the_same_from_a_layout_an_oci_tar_and_a_docker_save() {
    let built = sample_image().unwrap();
    let update = &built.layers[1].digest;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let archive = dir.path().join("image.tar.gz");
    write_oci_archive(&archive, &[&built], "latest", Compression::Gzip).unwrap();
    let saved = dir.path().join("saved.tar");
    write_docker_save(&saved, &built, "contoso/app:1", Compression::None).unwrap();

    let first = inventory(&layout(dir.path(), &built), &cache);
    assert!(
        first.stderr.contains("3 layers (0 from the cache)"),
        "{}",
        first.stderr
    );
    let expected = json(&first);
    assert_eq!(expected["windows"]["version"], "10.0.17763.5830");
    assert_eq!(expected["windows"]["layer"], update.as_str());
    assert_eq!(expected["programs"][0]["name"], "Contoso Agent");
    assert_eq!(expected["completeness"]["partial"], false);
    let expected = comparable(expected);
    for input in [&archive, &saved] {
        let run = inventory(input.to_str().unwrap(), &cache);
        assert!(
            run.stderr.contains("3 layers (3 from the cache)"),
            "{}",
            run.stderr
        );
        assert_eq!(comparable(json(&run)), expected, "{}", input.display());
    }

    // `-o` writes what stdout would show.
    let out = dir.path().join("inventory.json");
    let run = winspect(&[
        "inventory",
        archive.to_str().unwrap(),
        "--no-cache",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(comparable(written), expected);
}

#[test]
fn image_faults_exit_2_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");

    // A layer blob that does not match its digest.
    let built = sample_image().unwrap();
    let path = layout(dir.path(), &built);
    let hex = built.layers[2].digest.trim_start_matches("sha256:");
    let blob = Path::new(&path).join("blobs/sha256").join(hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let run = inventory(&path, &cache);
    assert_fault(
        &run,
        &format!(
            "error: layer `{}` does not match its digest",
            built.layers[2].digest
        ),
    );
    assert!(
        run.stderr
            .contains("help: `--allow-unverified-layers` reads such a layer anyway"),
        "{}",
        run.stderr
    );

    // Not a Windows image.
    let linux = ImageBuilder::linux()
        .layer(
            LayerBuilder::new().finish().unwrap(),
            Compression::Gzip,
            "ADD rootfs",
        )
        .unwrap()
        .build()
        .unwrap();
    let linux_save = dir.path().join("linux.tar");
    write_docker_save(&linux_save, &linux, "debian:12", Compression::None).unwrap();
    let run = inventory(linux_save.to_str().unwrap(), &cache);
    assert_fault(
        &run,
        &format!(
            "error: `{}` is not a Windows image: its os is `linux`",
            linux_save.display()
        ),
    );
    // In a layout, the platform choice says what there is instead.
    let linux_dir = dir.path().join("linux");
    write_oci_layout(&linux_dir, &[&linux], "latest").unwrap();
    let run = inventory(linux_dir.to_str().unwrap(), &cache);
    assert_fault(
        &run,
        "has no image for windows/amd64; it offers: linux/amd64",
    );

    // A path that is not there.
    let missing = dir.path().join("no-such-image.tar");
    let run = inventory(missing.to_str().unwrap(), &cache);
    assert_fault(
        &run,
        &format!("error: `{}` is not an image source", missing.display()),
    );

    // Options that make no sense.
    let run = winspect(&["inventory", &path, "--platform", "windows"]);
    assert_fault(&run, "`windows` is not a platform: write OS/ARCH");
    let run = winspect(&["inventory", &path, "--username", "me"]);
    assert_fault(&run, "--password-stdin");
    // The layers read before the bad one are cached; the bad one is not.
    let cached: Vec<String> = winspect_image::Cache::at(&cache)
        .list()
        .unwrap()
        .into_iter()
        .map(|e| e.digest)
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert!(!cached.contains(&built.layers[2].digest));
}

#[test]
fn the_cache_is_listed_and_pruned() {
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let path = layout(dir.path(), &built);
    // The cache directory from the environment, as a user would set it.
    let cache_dir = cache.display().to_string();
    let env = [("WINSPECT_CACHE_DIR", cache_dir.as_str())];
    let run = winspect_env(&["inventory", &path], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let ls = winspect_env(&["cache", "ls"], &env);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    for layer in &built.layers {
        assert!(ls.stdout.contains(&layer.digest), "{}", ls.stdout);
    }
    // The merged view of the image is listed after the layers.
    let lines: Vec<&str> = ls.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "a header and 3 layers, a header and 1 view");
    assert!(lines[0].starts_with("LAYER "), "{}", ls.stdout);
    assert!(lines[4].starts_with("VIEW OF LAYERS "), "{}", ls.stdout);
    let views = winspect_image::Cache::at(&cache).views().unwrap();
    assert_eq!(views.len(), 1);
    assert!(lines[5].starts_with(&views[0].digest), "{}", ls.stdout);
    assert!(
        ls.stderr.contains("3 cached layers, 1 cached view, "),
        "{}",
        ls.stderr
    );
    let same = winspect(&["cache", "ls", "--cache-dir", &cache_dir]);
    assert_eq!(same.stdout, ls.stdout);

    let recent = winspect(&[
        "cache",
        "prune",
        "--older-than",
        "30d",
        "--cache-dir",
        &cache_dir,
    ]);
    assert_eq!(recent.code, 0, "{}", recent.stderr);
    assert!(
        recent
            .stdout
            .starts_with("removed 0 cached layers and 0 cached views (0 B)"),
        "{}",
        recent.stdout
    );
    assert!(
        recent.stdout.ends_with("; 3 layers and 1 view left\n"),
        "{}",
        recent.stdout
    );
    let all = winspect(&["cache", "prune", "--cache-dir", &cache_dir]);
    assert_eq!(all.code, 0);
    assert!(
        all.stdout
            .starts_with("removed 3 cached layers and 1 cached view ("),
        "{}",
        all.stdout
    );
    let empty = winspect(&["cache", "ls", "--cache-dir", &cache_dir]);
    assert_eq!(empty.stdout, "");
    assert!(
        empty
            .stderr
            .starts_with("0 cached layers, 0 cached views, 0 B"),
        "{}",
        empty.stderr
    );

    let bad = winspect(&[
        "cache",
        "prune",
        "--older-than",
        "3y",
        "--cache-dir",
        &cache_dir,
    ]);
    assert_fault(&bad, "not an age");
}

#[test]
fn registry_dumps_the_real_layer_delta_hive_alone_and_merged() {
    let Some(delta) = realdata("scancode/Software_Delta") else {
        return;
    };
    let delta = delta.display().to_string();
    let uninstall = r"Microsoft\Windows\CurrentVersion\Uninstall";
    let text = winspect(&["registry", &delta, "--key", uninstall]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .starts_with(&format!("# layer 0 `{delta}`: REGF 1.6, layered keys\n")),
        "{}",
        text.stdout
    );
    assert_eq!(
        text.stdout
            .matches(r#""DisplayVersion" = REG_SZ "3.9.5150.0""#)
            .count(),
        7,
        "scancode lists 7 Python 3.9.5150.0 installs"
    );
    let dump = json(&winspect(&["registry", &delta, "--json"]));
    assert_eq!(dump["layers"][0]["minor_version"], 6);
    assert_eq!(dump["layers"][0]["layered_keys"], true);
    let roots: Vec<&str> = dump["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["path"].as_str().unwrap())
        .filter(|p| !p.is_empty() && !p.contains('\\'))
        .collect();
    assert_eq!(
        roots,
        ["Classes", "Microsoft", "Policies", "Python", "WOW6432Node"]
    );

    // Merged over a base hive: each value tells its layer.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("SOFTWARE");
    std::fs::write(&base, software_hive().unwrap()).unwrap();
    let base = base.display().to_string();
    let merged = winspect(&["registry", &base, "--delta", &delta, "--key", uninstall]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        merged
            .stdout
            .contains(r#""DisplayName" = REG_SZ "Old Tool"  (layer 0)"#),
        "{}",
        merged.stdout
    );
    assert!(
        merged
            .stdout
            .contains(r#""DisplayVersion" = REG_SZ "3.9.5150.0"  (layer 1)"#),
        "{}",
        merged.stdout
    );

    let missing = winspect(&["registry", &delta, "--key", "No\\Such\\Key"]);
    assert_fault(&missing, r"error: key `No\Such\Key` does not exist");
    let not_hive = winspect(&["registry", "README.md"]);
    assert_fault(&not_hive, "error: `README.md`: not a registry hive");
}

#[test]
fn scan_judges_an_image_as_eval_judges_its_inventory() {
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = layout(dir.path(), &built);
    let kept = dir.path().join("kept.json");
    let judge = [
        "--rules",
        "rules",
        "--policy",
        "policies/production.policy",
        "--now",
        "2026-06-01",
    ];
    let mut args = vec!["scan", path.as_str(), "--no-cache", "--format", "json"];
    args.extend(judge);
    args.extend(["--inventory-out", kept.to_str().unwrap()]);
    let scan = winspect(&args);
    assert!(
        scan.stderr.contains("3 layers (0 from the cache)"),
        "{}",
        scan.stderr
    );
    let report: Value = serde_json::from_str(&scan.stdout).unwrap();
    // The sample's IIS site lists its directories, from the base layer.
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"IIS-0001"), "{rules:?}");
    let iis = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "IIS-0001")
        .unwrap();
    assert_eq!(
        iis["facts"][0]["layer"],
        built.layers[0].digest.as_str(),
        "{iis}"
    );
    assert_eq!(report["inventory"], path.as_str());
    assert_eq!(report["partial"], false);
    // Windows advisories fixed after the sample's revision 5830 fire, and
    // cite the update layer that set the revision; the policy denies them.
    let advisory = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "CVE-2024-38063")
        .unwrap();
    assert_eq!(advisory["verdict"], "deny");
    assert_eq!(
        advisory["facts"][0]["layer"],
        built.layers[1].digest.as_str(),
        "{advisory}"
    );
    assert_eq!(report["decision"], "deny");
    assert_eq!(scan.code, 1, "{}", scan.stderr);

    // `eval` over the kept inventory decides the same.
    let mut args = vec![
        "eval",
        "--inventory",
        kept.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(judge);
    let eval = winspect(&args);
    assert_eq!(eval.code, scan.code, "{}", eval.stderr);
    let mut from_eval: Value = serde_json::from_str(&eval.stdout).unwrap();
    from_eval["inventory"] = report["inventory"].clone();
    assert_eq!(from_eval, report);

    // Rules that do not check stop before the image is read.
    let broken = dir.path().join("broken.rules");
    std::fs::write(&broken, "pack \"b\" version \"1.0.0\"\nrule B-1 { title \"t\" severity high when nope { report \"x\" } }\n").unwrap();
    let run = winspect(&[
        "scan",
        "/no/such/image",
        "--rules",
        broken.to_str().unwrap(),
    ]);
    assert_fault(&run, "the rules do not check; nothing was evaluated");
    assert!(
        !run.stderr.contains("not an image source"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_real_trimmed_windows_image_is_refused_unless_unverified_layers_are_allowed() {
    let Some(archive) = realdata("container-inspector/windows-mini-image.tar.gz") else {
        return;
    };
    let archive = archive.display().to_string();
    let strict = winspect(&["inventory", &archive, "--no-cache"]);
    assert_fault(
        &strict,
        "error: layer `sha256:e4e02f4caaa37d28ad4b66babf9d64098e81f08c0be24ea427614eafcbbdc3de` does not match its digest",
    );
    assert!(
        strict.stderr.contains("--allow-unverified-layers"),
        "{}",
        strict.stderr
    );

    let lenient = winspect(&[
        "inventory",
        &archive,
        "--no-cache",
        "--allow-unverified-layers",
    ]);
    let inventory = json(&lenient);
    assert_eq!(inventory["image"]["os"], "windows");
    assert_eq!(inventory["image"]["os_version"], "10.0.19042.985");
    assert_eq!(inventory["image"]["user"], "ContainerUser");
    assert_eq!(inventory["completeness"]["partial"], true);
    let gaps: Vec<&str> = inventory["completeness"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap())
        .collect();
    assert!(gaps[0].ends_with("read unverified"), "{gaps:#?}");
    // The trimmed hard links are reported, not fatal.
    assert!(
        gaps[1].starts_with("3 hard links to files no layer read holds"),
        "{gaps:#?}"
    );
    assert!(
        gaps[1].contains("`Windows/System32/perfd009.dat`"),
        "{}",
        gaps[1]
    );
    assert!(
        lenient.stderr.contains("the inventory is partial"),
        "{}",
        lenient.stderr
    );
    assert_eq!(inventory["files"][0]["path"], "License.txt");
}

#[test]
fn inventory_pulls_from_a_registry_with_credentials_from_stdin() {
    let registry = match TestRegistry::start() {
        Ok(registry) => registry,
        Err(TestRegistryError::Skipped) => {
            println!("registry test skipped (WINSPECT_SKIP_REGISTRY_TESTS=1)");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = PathBuf::from(layout(dir.path(), &built));
    registry
        .push(&path, "latest", "contoso/app", "1.0", false)
        .unwrap();
    let reference = registry.reference("contoso/app", "1.0");
    let pull = |password: &str| {
        winspect_with(
            &[
                "inventory",
                &reference,
                "--no-cache",
                "--username",
                &registry.username,
                "--password-stdin",
            ],
            &[],
            Some(&format!("{password}\n")),
        )
    };
    let inventory = json(&pull(&registry.password));
    assert_eq!(inventory["image"]["reference"], reference.as_str());
    assert_eq!(inventory["image"]["digest"], built.manifest_digest.as_str());
    assert_eq!(inventory["windows"]["version"], "10.0.17763.5830");
    assert_eq!(
        inventory["windows"]["layer"],
        built.layers[1].digest.as_str()
    );

    let refused = pull("wrong-password");
    assert_fault(&refused, "refused the credentials");
}

#[test]
fn scan_reads_the_registry_values_the_rules_ask_for() {
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = layout(dir.path(), &built);
    let rules = dir.path().join("probe.rules");
    std::fs::write(
        &rules,
        r#"pack "registry-probe" version "1.0.0"

rule REG-UBR {
  title "the update revision"
  severity low
  let ubr = registry(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "UBR")
  when default(ubr.number, 0) > 0 {
    report "UBR is {ubr.data}"
  }
}

rule REG-LSA {
  title "the LM compatibility level"
  severity low
  let level = registry(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa", "LmCompatibilityLevel")
  when default(level.number, 0) >= 5 {
    report "LmCompatibilityLevel is {level.data}"
  }
}

rule REG-OLD {
  title "the old tool is installed"
  severity low
  when registry_key_exists(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\OldTool") {
    report "the old tool is there"
  }
}
"#,
    )
    .unwrap();
    let run = winspect(&[
        "scan",
        &path,
        "--no-cache",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings: Vec<(&str, &str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
                f["facts"][0]["layer"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // The UBR from the update layer's delta, the level through
    // `Select\Current`; the key the update tombstoned does not exist.
    assert_eq!(
        findings,
        [
            ("REG-UBR", "UBR is 5830", built.layers[1].digest.as_str()),
            (
                "REG-LSA",
                "LmCompatibilityLevel is 5",
                built.layers[0].digest.as_str()
            ),
        ]
    );
}

/// Replaces every string `from` in `value` with `to`.
fn rename(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) if text == from => *text = to.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| rename(v, from, to)),
        _ => {}
    }
}

/// The sample image with its base layer foreign: distributed from `urls`,
/// and in written layouts and archives only when `ship`.
fn foreign_base_sample(urls: &[&str], ship: bool) -> BuiltImage {
    let sample = sample_image().unwrap();
    let layer = |i: usize| sample.layers[i].tar.clone();
    ImageBuilder::windows("10.0.17763.5830")
        .user("ContainerUser")
        .foreign_layer(layer(0), urls, ship, "Apply image 10.0.17763.1")
        .unwrap()
        .layer(
            layer(1),
            Compression::None,
            "Install update 10.0.17763.5830",
        )
        .unwrap()
        .layer(layer(2), Compression::None, "COPY app C:/app")
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn inventory_fetches_a_foreign_base_layer_only_with_allow_foreign() {
    let blob = writer::compress(&sample_image().unwrap().layers[0].tar, Compression::Gzip).unwrap();
    let mut wrong = blob.clone();
    wrong[blob.len() / 2] ^= 0x20;
    let server = StubServer::start(
        vec![
            ("/base.tar.gz".into(), Answer::Bytes(blob)),
            ("/wrong".into(), Answer::Bytes(wrong)),
        ],
        Answer::Status(404),
    )
    .unwrap();
    let url = server.url("/base.tar.gz");
    let image = foreign_base_sample(&[&url], false);
    let base = image.layers[0].digest.clone();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_dir = cache.display().to_string();
    let without = dir.path().join("without");
    write_oci_layout(&without, &[&image], "latest").unwrap();
    let with = dir.path().join("with");
    write_oci_layout(&with, &[&foreign_base_sample(&[&url], true)], "latest").unwrap();
    let without = without.display().to_string();
    let fetch = |source: &str| {
        winspect(&[
            "inventory",
            source,
            "--cache-dir",
            &cache_dir,
            "--allow-foreign",
        ])
    };

    // Without the flag: a partial inventory, the gap on stderr, nothing fetched.
    let run = inventory(&without, &cache);
    let partial = json(&run);
    assert_eq!(partial["completeness"]["partial"], true);
    assert_eq!(partial["image"]["layers"][0]["read"], false);
    // Without its base layer, the image's hives are missing too.
    assert!(
        run.stderr.contains("the inventory is partial ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("  files: foreign layer `{base}` is not in `{without}` and was not fetched (allow foreign layers to fetch it from {url})")),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty());

    // With it: complete, and the inventory of the layout that holds the blob.
    let run = fetch(&without);
    let fetched = json(&run);
    assert!(!run.stderr.contains("partial"), "{}", run.stderr);
    assert_eq!(fetched["completeness"]["partial"], false);
    assert_eq!(fetched["image"]["layers"][0]["read"], true);
    assert_eq!(fetched["windows"]["version"], "10.0.17763.5830");
    assert_eq!(server.requests().len(), 1);
    let expected = json(&winspect(&[
        "inventory",
        with.to_str().unwrap(),
        "--no-cache",
    ]));
    assert_eq!(comparable(fetched.clone()), comparable(expected.clone()));

    // Cached: the second read does not ask the server.
    let run = fetch(&without);
    assert!(
        run.stderr.contains("3 layers (3 from the cache)"),
        "{}",
        run.stderr
    );
    assert_eq!(comparable(json(&run)), comparable(fetched));
    assert_eq!(server.requests().len(), 1);

    // A docker save archive without the layer: the same.
    let saved = dir.path().join("saved.tar");
    write_docker_save(&saved, &image, "contoso/old:1", Compression::None).unwrap();
    let saved = saved.display().to_string();
    let run = winspect(&["inventory", &saved, "--no-cache"]);
    assert_eq!(json(&run)["completeness"]["partial"], true);
    assert!(
        run.stderr.contains(&format!(
            "foreign layer `{}` is not in `{saved}`",
            image.layers[0].diff_id
        )),
        "{}",
        run.stderr
    );
    let run = winspect(&["inventory", &saved, "--no-cache", "--allow-foreign"]);
    let mut from_save = comparable(json(&run));
    assert_eq!(server.requests().len(), 2);
    // A classic `docker save` names its layers by diff_id, and sizes them
    // by what it read; only the foreign layer's two differ.
    rename(&mut from_save, &image.layers[0].diff_id, &base);
    from_save["image"]["layers"][0]["diff_id"] = image.layers[0].diff_id.as_str().into();
    let mut expected = comparable(expected);
    for inventory in [&mut from_save, &mut expected] {
        inventory["image"]["layers"][0]["size"] = Value::Null;
    }
    assert_eq!(from_save, expected);

    // A failed fetch exits 2, naming the layer and each url with its failure.
    let missing = server.url("/missing");
    let wrong_url = server.url("/wrong");
    let broken = foreign_base_sample(&[&missing, &wrong_url], false);
    let layout = dir.path().join("broken");
    write_oci_layout(&layout, &[&broken], "latest").unwrap();
    let run = winspect(&[
        "inventory",
        layout.to_str().unwrap(),
        "--no-cache",
        "--allow-foreign",
    ]);
    assert_fault(
        &run,
        &format!(
            "error: foreign layer `{base}` could not be fetched from its urls: `{missing}`: the server answered 404 Not Found; `{wrong_url}`: layer `{base}` does not match its digest"
        ),
    );
    assert!(
        run.stderr
            .contains("help: without `--allow-foreign` the layer is skipped"),
        "{}",
        run.stderr
    );
}
