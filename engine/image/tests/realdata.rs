//! Real third-party images, read from `/work/shared/realdata` or the
//! directory `WINSPECT_REALDATA` names (same layout). Absent data is said
//! and the test returns.

use std::path::PathBuf;

use winspect_image::{CacheChoice, Error, ReadOptions, read_image};

fn realdata(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("WINSPECT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/realdata"));
    let path = root.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "real data `{}` is missing: skipping this test",
            path.display()
        );
        None
    }
}

#[test]
fn the_container_inspector_windows_mini_image_reads_as_expected() {
    let Some(archive) = realdata("container-inspector/windows-mini-image.tar.gz") else {
        return;
    };
    let Some(expected) = realdata("container-inspector/windows-mini-image.tar.gz.expected.json")
    else {
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(expected).unwrap()).unwrap();
    let input = archive.to_str().unwrap();
    let options = ReadOptions {
        cache: CacheChoice::Disabled,
        ..ReadOptions::default()
    };
    // The image was trimmed after it was saved: its one layer no longer
    // hashes to the diff_id the config gives. A strict read says so.
    let err = read_image(input, &options).unwrap_err();
    let layer_id = expected["layers"][0]["layer_id"].as_str().unwrap();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "layer `sha256:{layer_id}` does not match its digest"
        )),
        "{err}"
    );

    let cache = tempfile::tempdir().unwrap();
    let lenient = ReadOptions {
        allow_unverified_layers: true,
        cache: CacheChoice::Dir(cache.path().to_owned()),
        ..ReadOptions::default()
    };
    let read = read_image(input, &lenient).unwrap();
    let image = &read.image;
    assert_eq!(image.os, expected["os"].as_str().unwrap());
    assert_eq!(
        image.os_version.as_ref().unwrap().as_str(),
        expected["os_version"].as_str().unwrap()
    );
    assert_eq!(
        image.os_version.as_ref().unwrap().parts(),
        [10, 0, 19042, 985]
    );
    assert_eq!(
        image.architecture,
        expected["architecture"].as_str().unwrap()
    );
    assert_eq!(
        image.created.unwrap().to_string(),
        &expected["created"].as_str().unwrap()[..10]
    );
    assert_eq!(image.user, "ContainerUser");
    assert_eq!(image.cmd, vec!["c:\\windows\\system32\\cmd.exe"]);
    // The config's misspelled `rootfS` still gives the diff_ids.
    assert_eq!(image.layers.len(), 1);
    assert_eq!(image.layers[0].diff_id, format!("sha256:{layer_id}"));
    assert_eq!(image.layers[0].digest, format!("sha256:{layer_id}"));
    assert_eq!(
        image.layers[0].created_by,
        expected["layers"][0]["created_by"].as_str().unwrap()
    );
    assert_eq!(
        image.layers[0].size,
        expected["layers"][0]["size"].as_u64().unwrap()
    );
    assert!(image.layers[0].read && !image.layers[0].foreign);

    // What the trimmed layer still holds.
    let files: Vec<(&str, u64)> = read
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.size))
        .collect();
    assert_eq!(files, vec![("License.txt", 5510)]);
    let mut broken: Vec<(&str, &str)> = read
        .broken_links
        .iter()
        .map(|b| (b.path.as_str(), b.target.as_str()))
        .collect();
    broken.sort();
    assert_eq!(
        broken,
        vec![
            (
                "Windows/System32/Licenses/neutral/Volume/ServerDatacenter/license.rtf",
                "Files/Windows/System32/en-US/Licenses/Volume/ServerDatacenter/license.rtf"
            ),
            (
                "Windows/System32/perfd009.dat",
                "Files/Windows/System32/perfc009.dat"
            ),
            (
                "Windows/System32/perfi009.dat",
                "Files/Windows/System32/perfh009.dat"
            ),
        ]
    );
    // UtilityVM/Files/License.txt is a hard link: counted, not listed.
    assert_eq!(read.utility_vm.files, 1);
    assert!(read.completeness.partial);
    assert!(read.completeness.gaps[0].reason.contains("read unverified"));
    // Nothing unverified enters the cache.
    assert!(
        winspect_image::Cache::at(cache.path())
            .list()
            .unwrap()
            .is_empty()
    );
}
