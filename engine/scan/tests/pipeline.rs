//! The whole pipeline on small Windows images built with the image crate's
//! writers, the hive crate's writer and the PE fixture writer: facts, their
//! layers, gaps, the three local formats, the cache.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::path::{Path, PathBuf};

use winspect_image::writer::{
    BuiltImage, ImageBuilder, LayerBuilder, write_docker_save, write_oci_archive, write_oci_layout,
};
use winspect_image::{CacheChoice, Compression, ReadOptions};
use winspect_inventory::Inventory;
use winspect_scan::testing::{CURRENT_VERSION, UNINSTALL, sample_image, software_hive};
use winspect_scan::{ScanOptions, inventory_of};

fn options(cache: CacheChoice) -> ScanOptions {
    ScanOptions {
        read: ReadOptions {
            cache,
            ..ReadOptions::default()
        },
        registry_requests: vec![
            (
                format!(r"HKLM\SOFTWARE\{CURRENT_VERSION}"),
                Some("UBR".into()),
            ),
            (
                r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa".into(),
                Some("LmCompatibilityLevel".into()),
            ),
            (format!(r"HKLM\SOFTWARE\{UNINSTALL}\OldTool"), None),
        ],
        ..ScanOptions::default()
    }
}

fn layout(dir: &Path, image: &BuiltImage) -> PathBuf {
    let path = dir.join("layout");
    write_oci_layout(&path, &[image], "latest").unwrap();
    path
}

fn scan(input: &Path, options: &ScanOptions) -> winspect_scan::Scan {
    inventory_of(input.to_str().unwrap(), options).unwrap()
}

#[test]
fn facts_come_with_the_layer_that_wrote_them() {
    let built = sample_image().unwrap();
    let [base, update, app] = [0, 1, 2].map(|i| built.layers[i].digest.clone());
    let dir = tempfile::tempdir().unwrap();
    let scan = scan(&layout(dir.path(), &built), &options(CacheChoice::Disabled));
    let inv = &scan.inventory;
    assert!(!inv.completeness.partial, "{:#?}", inv.completeness.gaps);
    assert_eq!(scan.warnings, vec![]);

    // The image: config and layers, digests as `files[].layer` cites them.
    assert_eq!(
        inv.image.os_version.as_ref().unwrap().as_str(),
        "10.0.17763.5830"
    );
    assert_eq!(inv.image.user, "ContainerUser");
    let digests: Vec<&str> = inv.image.layers.iter().map(|l| l.digest.as_str()).collect();
    assert_eq!(digests, [base.as_str(), update.as_str(), app.as_str()]);

    // The UBR comes from the update layer's delta hive, the build from the base.
    assert_eq!(inv.windows.build, 17763);
    assert_eq!(inv.windows.ubr, 5830);
    assert_eq!(
        inv.windows.version.as_ref().unwrap().as_str(),
        "10.0.17763.5830"
    );
    assert_eq!(inv.windows.installation_type, "Server Core");
    assert_eq!(inv.windows.layer.as_deref(), Some(update.as_str()));

    // The program from its layer; the tombstoned one is gone.
    let programs: Vec<(&str, &str, Option<&str>)> = inv
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.layer.as_deref()))
        .collect();
    assert_eq!(
        programs,
        [("Contoso Agent", "2.4.1", Some(update.as_str()))]
    );
    assert_eq!(
        inv.programs[0].install_date.unwrap().to_string(),
        "2024-05-14"
    );

    // SYSTEM through Select\Current.
    let tls10 = inv
        .schannel
        .protocols
        .iter()
        .find(|p| p.name == "TLS 1.0" && p.side == "Server")
        .unwrap();
    assert_eq!(
        (tls10.enabled, tls10.disabled_by_default),
        (Some(false), Some(true))
    );
    assert_eq!(tls10.layer.as_deref(), Some(base.as_str()));
    assert_eq!(inv.lsa.lm_compatibility_level, Some(5));
    assert_eq!(inv.services[0].name, "W3SVC");
    assert_eq!(inv.services[0].start_type, "auto");

    // IIS from applicationHost.config; .NET packages from the deps.json.
    assert!(inv.iis.installed);
    assert_eq!(inv.iis.sites[0].name, "Default Web Site");
    assert!(inv.iis.sites[0].directory_browse);
    assert_eq!(inv.iis.sites[0].layer.as_deref(), Some(base.as_str()));
    let packages: Vec<(&str, &str, Option<&str>)> = inv
        .dotnet
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.kind.as_str(), p.layer.as_deref()))
        .collect();
    assert!(
        packages.contains(&("Newtonsoft.Json", "package", Some(app.as_str()))),
        "{packages:?}"
    );
    assert_eq!(
        inv.powershell.windows_powershell.as_ref().unwrap().as_str(),
        "5.1.17763.1"
    );

    // PE version facts, inspected where they lie; WinSxS is not inspected.
    let file = |path: &str| inv.files.iter().find(|f| f.path == path).unwrap();
    let kernel32 = file("Windows/System32/kernel32.dll");
    assert_eq!(
        kernel32.file_version.as_ref().unwrap().as_str(),
        "10.0.17763.5830"
    );
    assert_eq!(kernel32.company_name, "Microsoft Corporation");
    assert_eq!(kernel32.product_version, "10.0.17763.5830");
    assert_eq!(kernel32.layer.as_deref(), Some(update.as_str()));
    let app_dll = file("app/App.dll");
    assert_eq!(app_dll.file_version.as_ref().unwrap().as_str(), "1.2.3.0");
    assert_eq!(app_dll.product_name, "Contoso App");
    assert_eq!(app_dll.layer.as_deref(), Some(app.as_str()));
    let sxs = file("Windows/WinSxS/amd64_kernel32/kernel32.dll");
    assert!(sxs.file_version.is_none() && sxs.product_name.is_empty());
    assert!(file("License.txt").sha256.len() == 64);

    // The registry values the rules asked for, each with its layer; the
    // tombstoned key is not there; CurrentControlSet kept as written.
    let registry: Vec<(&str, &str, &str, Option<&str>)> = inv
        .registry
        .iter()
        .map(|v| {
            (
                v.path.as_str(),
                v.name.as_str(),
                v.data.as_str(),
                v.layer.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        registry,
        [
            (
                r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                "UBR",
                "5830",
                Some(update.as_str())
            ),
            (
                r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa",
                "LmCompatibilityLevel",
                "5",
                Some(base.as_str())
            ),
        ]
    );
    assert_eq!(inv.registry[0].number, Some(5830));
    assert_eq!(inv.registry[0].kind, "REG_DWORD");

    // The inventory is valid against its own schema.
    let text = serde_json::to_string(inv).unwrap();
    assert_eq!(&Inventory::from_json(&text).unwrap(), inv);
}

/// The inventory without what names the source: the reference, the manifest
/// digest (a `docker save` archive has none) and the layer media types.
fn comparable(mut inventory: Inventory) -> Inventory {
    inventory.image.reference.clear();
    inventory.image.digest.clear();
    for layer in &mut inventory.image.layers {
        layer.media_type.clear();
    }
    inventory
}

#[test]
fn the_three_local_formats_give_the_same_inventory_and_the_cache_changes_nothing() {
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let opts = options(CacheChoice::Dir(cache.clone()));
    let from_layout = scan(&layout(dir.path(), &built), &opts);
    assert_eq!(from_layout.cached_layers, 0);
    let archive = dir.path().join("image.oci.tar");
    write_oci_archive(&archive, &[&built], "latest", Compression::Gzip).unwrap();
    let from_archive = scan(&archive, &opts);
    let saved = dir.path().join("image.docker.tar");
    write_docker_save(&saved, &built, "contoso/app:1", Compression::None).unwrap();
    let from_save = scan(&saved, &opts);
    // The layers are stored uncompressed, so their digests are the same in all three.
    assert_eq!(
        from_archive.cached_layers, 3,
        "the archive's layers came from the cache"
    );
    assert_eq!(from_save.cached_layers, 3);
    let expected = comparable(from_layout.inventory.clone());
    assert!(!expected.files.is_empty());
    assert_eq!(comparable(from_archive.inventory), expected);
    assert_eq!(comparable(from_save.inventory), expected);

    // The cache holds one entry per layer; a read without it agrees.
    let entries = winspect_image::Cache::at(&cache).list().unwrap();
    assert_eq!(entries.len(), 3);
    let uncached = scan(&layout(dir.path(), &built), &options(CacheChoice::Disabled));
    assert_eq!(comparable(uncached.inventory), expected);
}

#[test]
fn a_missing_base_layer_leaves_the_deltas_and_says_so() {
    let built = sample_image().unwrap();
    // The base layer is foreign and not shipped, as older Windows images have it.
    let foreign = ImageBuilder::windows("10.0.17763.5830")
        .foreign_layer(
            built.layers[0].tar.clone(),
            &["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:0"],
            false,
            "Apply image 10.0.17763.1",
        )
        .unwrap()
        .layer(
            built.layers[1].tar.clone(),
            Compression::None,
            "Install update",
        )
        .unwrap()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = scan(
        &layout(dir.path(), &foreign),
        &options(CacheChoice::Disabled),
    );
    let inv = &scan.inventory;
    assert!(inv.completeness.partial);
    let reasons: Vec<&str> = inv
        .completeness
        .gaps
        .iter()
        .map(|g| g.reason.as_str())
        .collect();
    assert!(reasons[0].starts_with("foreign layer"), "{reasons:#?}");
    assert!(
        reasons.iter().any(|r| r.starts_with(
            "hive `SOFTWARE`: the base hive `Files/Windows/System32/config/SOFTWARE` is not in the layers read; only the delta hives of 1 layer(s) are merged"
        )),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("hive `SYSTEM` is not in the image")),
        "{reasons:#?}"
    );
    // The update layer's facts are still there, with their layer.
    let update = &foreign.layers[1].digest;
    assert_eq!(inv.registry[0].name, "UBR");
    assert_eq!(inv.registry[0].layer.as_ref(), Some(update));
    assert_eq!(inv.programs[0].name, "Contoso Agent");
    // Sections that need the missing hives are gaps of their own.
    let sections: Vec<&str> = inv
        .completeness
        .gaps
        .iter()
        .map(|g| g.section.as_str())
        .collect();
    assert!(sections.contains(&"services"), "{sections:?}");
    assert!(sections.contains(&"windows"), "{sections:?}");
}

#[test]
fn pe_files_over_the_limit_are_listed_without_versions_and_make_a_gap() {
    let built = sample_image().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ScanOptions {
        max_pe_bytes: 64,
        ..options(CacheChoice::Disabled)
    };
    let scan = scan(&layout(dir.path(), &built), &opts);
    let inv = &scan.inventory;
    let kernel32 = inv
        .files
        .iter()
        .find(|f| f.path == "Windows/System32/kernel32.dll")
        .unwrap();
    assert!(kernel32.file_version.is_none());
    assert_eq!(kernel32.sha256.len(), 64);
    let gap = inv
        .completeness
        .gaps
        .iter()
        .find(|g| g.reason.contains("too large to read their versions"))
        .unwrap();
    assert_eq!(gap.section, "files");
    assert!(
        gap.reason.starts_with(
            "2 PE files too large to read their versions: `Windows/System32/kernel32.dll` (1536 bytes, limit 64); `app/App.dll` ("
        ),
        "{}",
        gap.reason
    );
    assert!(gap.reason.contains("limit 64)"), "{}", gap.reason);
}

fn realdata(rel: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("WINSPECT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/realdata"));
    let dir = if dir.is_dir() {
        dir
    } else {
        PathBuf::from("/work/shared/realdata")
    };
    match std::fs::read(dir.join(rel)) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            println!("real data `{rel}` is missing ({e}): set WINSPECT_REALDATA; skipping");
            None
        }
    }
}

/// A real layer delta (scancode's `Software_Delta`, from a Windows container
/// layer that installed Python) over our base, and real PE files placed
/// where an image holds them.
#[test]
fn a_real_delta_hive_and_real_pe_files() {
    let (Some(delta), Some(pwsh), Some(monitor)) = (
        realdata("scancode/Software_Delta"),
        realdata("saferwall-pe/pwsh.exe"),
        realdata("iis-docker/ServiceMonitor.nanoserver-sac2016.exe"),
    ) else {
        return;
    };
    let built = sample_image().unwrap();
    let mut python = LayerBuilder::new().without_windows_records();
    python
        .hive("Software_Delta", &delta)
        .unwrap()
        .file("Program Files/PowerShell/7/pwsh.exe", &pwsh)
        .unwrap()
        .file("ServiceMonitor.exe", &monitor)
        .unwrap();
    let real = ImageBuilder::windows("10.0.17763.5830")
        .layer(built.layers[0].tar.clone(), Compression::None, "base")
        .unwrap()
        .layer(
            python.finish().unwrap(),
            Compression::Gzip,
            "RUN install python",
        )
        .unwrap()
        .build()
        .unwrap();
    let layer = real.layers[1].digest.clone();
    let dir = tempfile::tempdir().unwrap();
    let scan = scan(&layout(dir.path(), &real), &options(CacheChoice::Disabled));
    let inv = &scan.inventory;
    // scancode's expected output lists 7 Python 3.9.5150.0 installs.
    let python: Vec<&winspect_inventory::Program> = inv
        .programs
        .iter()
        .filter(|p| p.name.starts_with("Python 3.9.5"))
        .collect();
    assert_eq!(python.len(), 7, "{:#?}", inv.programs);
    assert!(python.iter().all(|p| p.version == "3.9.5150.0"));
    assert!(python.iter().all(|p| p.layer.as_ref() == Some(&layer)));
    // The base's program is still there: the real delta does not tombstone it.
    assert!(inv.programs.iter().any(|p| p.name == "Old Tool"));
    // PowerShell 7 from its real apphost, kept for the extractor and inspected.
    assert_eq!(
        inv.powershell.installs[0]
            .version
            .as_ref()
            .unwrap()
            .to_string(),
        "7.3.4"
    );
    let file = |path: &str| inv.files.iter().find(|f| f.path == path).unwrap();
    assert_eq!(
        file("Program Files/PowerShell/7/pwsh.exe")
            .file_version
            .as_ref()
            .unwrap()
            .as_str(),
        "7.3.4.500"
    );
    let monitor = file("ServiceMonitor.exe");
    assert_eq!(monitor.file_version.as_ref().unwrap().as_str(), "1.1.0.1");
    assert_eq!(monitor.product_version, "0.2.0.1");
    assert_eq!(monitor.layer.as_ref(), Some(&layer));
}

fn xz(rel: &str) -> Option<Vec<u8>> {
    let packed = realdata(rel)?;
    let mut out = Vec::new();
    lzma_rs::xz_decompress(&mut packed.as_slice(), &mut out).unwrap();
    Some(out)
}

/// A real dirty SYSTEM hive (regipy's `SYSTEM_B`) with its transaction logs
/// beside it, as an image's `config` folder would hold them: the logs are
/// captured and replayed, so nothing is lost; without them it is a gap.
#[test]
fn a_real_dirty_hive_is_recovered_from_its_logs() {
    let (Some(system), Some(log1), Some(log2)) = (
        xz("regipy/SYSTEM_B.xz"),
        xz("regipy/SYSTEM_B.LOG1.xz"),
        xz("regipy/SYSTEM_B.LOG2.xz"),
    ) else {
        return;
    };
    let built = |logs: bool| {
        let mut base = LayerBuilder::new().without_windows_records();
        base.file(
            "Windows/System32/config/SOFTWARE",
            &software_hive().unwrap(),
        )
        .unwrap()
        .file("Windows/System32/config/SYSTEM", &system)
        .unwrap();
        if logs {
            base.file("Windows/System32/config/SYSTEM.LOG1", &log1)
                .unwrap()
                .file("Windows/System32/config/system.log2", &log2)
                .unwrap();
        }
        ImageBuilder::windows("10.0.17763.1")
            .layer(base.finish().unwrap(), Compression::None, "base")
            .unwrap()
            .build()
            .unwrap()
    };
    let key = r"HKLM\SYSTEM\CurrentControlSet\Control\Class\{4D36E96C-E325-11CE-BFC1-08002BE10318}\0013\Drivers\wave\wdmaud.drv";
    let opts = ScanOptions {
        registry_requests: vec![(key.into(), None)],
        ..options(CacheChoice::Disabled)
    };
    let dir = tempfile::tempdir().unwrap();
    let with_logs = built(true);
    let path = dir.path().join("with");
    write_oci_layout(&path, &[&with_logs], "latest").unwrap();
    let recovered = scan(&path, &opts);
    let gaps: Vec<&str> = recovered
        .inventory
        .completeness
        .gaps
        .iter()
        .map(|g| g.reason.as_str())
        .collect();
    assert!(
        !gaps
            .iter()
            .any(|g| g.contains("SYSTEM") && g.contains("dirty")),
        "{gaps:#?}"
    );
    assert!(
        recovered.warnings.iter().any(|w| w
            .message
            .contains("was dirty and was recovered from its transaction logs (24 entries)")),
        "{:#?}",
        recovered.warnings
    );
    // A key only the logs hold, through CurrentControlSet.
    assert!(
        recovered.inventory.registry.iter().any(|v| v.path == key),
        "{:#?}",
        recovered.inventory.registry
    );
    assert!(!recovered.inventory.services.is_empty());

    let without_logs = built(false);
    let path = dir.path().join("without");
    write_oci_layout(&path, &[&without_logs], "latest").unwrap();
    let scanned = scan(&path, &opts);
    let inv = &scanned.inventory;
    assert!(inv.completeness.partial);
    assert!(
        inv.completeness.gaps.iter().any(|g| g.section == "registry"
            && g.reason
                .contains("`Files/Windows/System32/config/SYSTEM` of layer")
            && g.reason.contains("is dirty and has no transaction logs")),
        "{:#?}",
        inv.completeness.gaps
    );
    assert!(inv.registry.iter().all(|v| v.path != key));
    assert!(
        !inv.services.is_empty(),
        "extraction goes on over the hive as it is"
    );
}
