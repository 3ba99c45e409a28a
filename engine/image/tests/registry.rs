//! Reading from a real registry (Debian's `docker-registry`) that the test
//! starts, with images pushed by `skopeo`. Without those tools the tests
//! fail saying what to install, unless WINSPECT_SKIP_REGISTRY_TESTS=1.

use winspect_image::testing::{TestRegistry, TestRegistryError};
use winspect_image::writer;
use winspect_image::{
    CacheChoice, Credentials, Error, ImageRead, PlatformChoice, ReadOptions, RegistryOptions,
    read_image,
};

use crate::fixtures;

/// The registry, or `None` when registry tests are skipped on purpose.
fn registry() -> Option<TestRegistry> {
    match TestRegistry::start() {
        Ok(r) => Some(r),
        Err(TestRegistryError::Skipped) => {
            eprintln!("skipped: WINSPECT_SKIP_REGISTRY_TESTS=1");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn options(registry: &TestRegistry, cache: CacheChoice) -> ReadOptions {
    ReadOptions {
        cache,
        registry: RegistryOptions {
            credentials: Credentials::Basic {
                username: registry.username.clone(),
                password: registry.password.clone(),
            },
            ..RegistryOptions::default()
        },
        ..ReadOptions::default()
    }
}

fn without_reference(mut read: ImageRead) -> ImageRead {
    read.image.reference.clear();
    read
}

#[test]
fn a_pulled_image_reads_as_its_local_layout() {
    let Some(registry) = registry() else { return };
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    registry
        .push(&layout, "latest", "windows/fixture", "ltsc2022", false)
        .unwrap();

    let local = read_image(
        layout.to_str().unwrap(),
        &ReadOptions {
            cache: CacheChoice::Disabled,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let reference = registry.reference("windows/fixture", "ltsc2022");
    let cache = CacheChoice::Dir(dir.path().join("cache"));
    let pulled = read_image(&reference, &options(&registry, cache.clone())).unwrap();
    assert_eq!(pulled.image.reference, reference);
    assert_eq!(pulled.image.digest, image.manifest_digest);
    assert!(pulled.layers.iter().all(|l| !l.from_cache));
    assert_eq!(without_reference(pulled.clone()), without_reference(local));

    // By digest, and from the cache the second time.
    let by_digest = format!(
        "{}/windows/fixture@{}",
        registry.address, image.manifest_digest
    );
    let again = read_image(&by_digest, &options(&registry, cache)).unwrap();
    assert!(again.layers.iter().all(|l| l.from_cache));
    assert_eq!(again.files, pulled.files);

    // Credentials from a Docker config's `auths`.
    let config = dir.path().join("docker-config.json");
    let auth = base64_encode(&format!("{}:{}", registry.username, registry.password));
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
            registry.address
        ),
    )
    .unwrap();
    let from_config = ReadOptions {
        cache: CacheChoice::Disabled,
        registry: RegistryOptions {
            docker_config: Some(config),
            ..RegistryOptions::default()
        },
        ..ReadOptions::default()
    };
    assert_eq!(
        read_image(&reference, &from_config).unwrap().files,
        pulled.files
    );
}

fn base64_encode(text: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn credentials_and_missing_images_are_clear_errors() {
    let Some(registry) = registry() else { return };
    let image = fixtures::windows_image("10.0.20348.2655");
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    registry
        .push(dir.path(), "latest", "windows/auth", "v1", false)
        .unwrap();
    let reference = registry.reference("windows/auth", "v1");

    let mut anonymous = options(&registry, CacheChoice::Disabled);
    anonymous.registry.credentials = Credentials::Anonymous;
    let err = read_image(&reference, &anonymous).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains(&format!("`{reference}`")), "{err}");
    assert!(err.to_string().contains("401"), "{err}");

    let mut wrong = options(&registry, CacheChoice::Disabled);
    wrong.registry.credentials = Credentials::Basic {
        username: registry.username.clone(),
        password: "wrong".into(),
    };
    let err = read_image(&reference, &wrong).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");

    let missing = registry.reference("windows/auth", "nope");
    let err = read_image(&missing, &options(&registry, CacheChoice::Disabled)).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("windows/auth:nope"), "{err}");
}

#[test]
fn a_multi_platform_index_selects_windows_and_the_os_version_asked_for() {
    let Some(registry) = registry() else { return };
    let ltsc2019 = fixtures::windows_image("10.0.17763.5458");
    let ltsc2022 = fixtures::windows_image("10.0.20348.2322");
    let linux = {
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(4);
        h.set_mode(0o644);
        tar.append_data(&mut h, "etc/hostname", &b"box\n"[..])
            .unwrap();
        writer::ImageBuilder::linux()
            .layer(
                tar.into_inner().unwrap(),
                winspect_image::Compression::Gzip,
                "ADD rootfs",
            )
            .unwrap()
            .build()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&linux, &ltsc2019, &ltsc2022], "latest").unwrap();
    registry
        .push(dir.path(), "latest", "windows/multi", "latest", true)
        .unwrap();
    let reference = registry.reference("windows/multi", "latest");

    let default = read_image(&reference, &options(&registry, CacheChoice::Disabled)).unwrap();
    assert_eq!(default.image.digest, ltsc2019.manifest_digest);
    assert_eq!(
        default.image.os_version.unwrap().as_str(),
        "10.0.17763.5458"
    );

    let mut pick = options(&registry, CacheChoice::Disabled);
    pick.platform.os_version_prefix = Some("10.0.20348".into());
    let chosen = read_image(&reference, &pick).unwrap();
    assert_eq!(chosen.image.digest, ltsc2022.manifest_digest);

    pick.platform.os_version_prefix = Some("10.0.26100".into());
    let err = read_image(&reference, &pick).unwrap_err();
    assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{err}");
    assert!(
        err.to_string().contains("windows/amd64 (10.0.20348.2322)"),
        "{err}"
    );
    assert!(err.to_string().contains("linux/amd64"), "{err}");

    pick.platform = PlatformChoice::parse("linux/amd64").unwrap();
    let err = read_image(&reference, &pick).unwrap_err();
    assert!(matches!(err, Error::NotWindows { .. }), "{err}");
    assert!(err.to_string().contains("its os is `linux`"), "{err}");
}

#[test]
fn a_foreign_base_layer_is_fetched_from_its_urls_only_when_allowed() {
    use winspect_image::testing::{Answer, StubServer};
    let Some(registry) = registry() else { return };
    let server = StubServer::start(
        vec![(
            "/layers/base.tar.gz".into(),
            Answer::Bytes(fixtures::foreign_base_blob()),
        )],
        Answer::Status(404),
    )
    .unwrap();
    let url = server.url("/layers/base.tar.gz");
    let image = fixtures::foreign_base_image(&[&url], false, false);
    let base = image.layers[0].digest.clone();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let shipped = dir.path().join("shipped");
    writer::write_oci_layout(
        &shipped,
        &[&fixtures::foreign_base_image(&[&url], true, false)],
        "latest",
    )
    .unwrap();
    let local = read_image(
        shipped.to_str().unwrap(),
        &ReadOptions {
            cache: CacheChoice::Disabled,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    // skopeo copies the manifest with the layer's urls and skips its blob,
    // which the layout does not even hold: the registry never has it. The
    // same image goes as it is (OCI) and converted to Docker's media types.
    registry
        .push(&layout, "latest", "windows/old", "oci", false)
        .unwrap();
    registry
        .push_as_docker(&layout, "latest", "windows/old", "docker")
        .unwrap();
    for tag in ["oci", "docker"] {
        let reference = registry.reference("windows/old", tag);
        let cache = dir.path().join(format!("cache-{tag}"));
        let before = server.requests().len();

        let partial = read_image(
            &reference,
            &options(&registry, CacheChoice::Dir(cache.clone())),
        )
        .unwrap();
        assert_eq!(
            partial.image.layers[0].media_type,
            if tag == "oci" {
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            } else {
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
            }
        );
        assert!(partial.completeness.partial);
        let reason = &partial.completeness.gaps[0].reason;
        assert!(
            reason.contains(&format!("foreign layer `{base}`")),
            "{reason}"
        );
        assert!(reason.contains(&url), "{reason}");
        assert!(!partial.image.layers[0].read && partial.image.layers[1].read);
        assert_eq!(
            server.requests().len(),
            before,
            "not fetched without the flag"
        );

        let mut allowed = options(&registry, CacheChoice::Dir(cache.clone()));
        allowed.allow_foreign = true;
        let pulled = read_image(&reference, &allowed).unwrap();
        assert!(!pulled.completeness.partial, "{:?}", pulled.completeness);
        assert!(pulled.image.layers[0].read && pulled.image.layers[0].foreign);
        assert_eq!(server.requests().len(), before + 1);
        assert_eq!(pulled.files, local.files, "{tag}");
        let sizes = |read: &ImageRead| -> Vec<(String, u64)> {
            read.layers
                .iter()
                .map(|l| (l.digest.clone(), l.uncompressed_size))
                .collect()
        };
        assert_eq!(sizes(&pulled), sizes(&local), "{tag}");
        let again = read_image(&reference, &allowed).unwrap();
        assert!(again.layers.iter().all(|l| l.from_cache));
        assert_eq!(again.files, local.files);
        assert_eq!(server.requests().len(), before + 1, "cached");
    }
    let oci = read_image(
        &registry.reference("windows/old", "oci"),
        &options(&registry, CacheChoice::Disabled),
    )
    .unwrap();
    assert_eq!(oci.image.digest, image.manifest_digest);
}
