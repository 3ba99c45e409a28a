//! Broken and hostile inputs: each is a clear error naming what is wrong,
//! never a panic or a hang.

use std::net::TcpListener;
use std::path::Path;

use winspect_image::writer::{self, ImageBuilder, LayerBuilder};
use winspect_image::{
    CacheChoice, Compression, Credentials, Error, Limits, ReadOptions, read_image, sha256_digest,
};

use crate::fixtures;

fn options() -> ReadOptions {
    ReadOptions {
        cache: CacheChoice::Disabled,
        ..ReadOptions::default()
    }
}

fn layout_with(
    layer: Vec<u8>,
    compression: Compression,
) -> (tempfile::TempDir, writer::BuiltImage) {
    let image = ImageBuilder::windows("10.0.20348.1")
        .layer(layer, compression, "Apply image")
        .unwrap()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();
    (dir, image)
}

fn blob_path(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

fn read_err(dir: &Path, options: &ReadOptions) -> Error {
    read_image(dir.to_str().unwrap(), options).unwrap_err()
}

#[test]
fn a_blob_with_a_wrong_digest_is_named() {
    for compression in [Compression::Gzip, Compression::None] {
        let (dir, image) = layout_with(fixtures::base_layer(), compression);
        let path = blob_path(dir.path(), &image.layers[0].digest);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
        let err = read_err(dir.path(), &options());
        assert!(
            matches!(err, Error::DigestMismatch { .. }),
            "{compression:?}: {err}"
        );
        assert!(
            err.to_string().starts_with(&format!(
                "layer `{}` does not match its digest",
                image.layers[0].digest
            )),
            "{err}"
        );
    }
    // A config whose bytes changed.
    let (dir, image) = layout_with(fixtures::base_layer(), Compression::Gzip);
    let path = blob_path(dir.path(), &image.config_digest);
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    std::fs::write(
        &path,
        text.replace("ContainerUser", "ContainerAdmin")
            .replace("amd64", "AMD64"),
    )
    .unwrap();
    let err = read_err(dir.path(), &options());
    assert!(
        err.to_string()
            .contains(&format!("config `{}`", image.config_digest)),
        "{err}"
    );
}

#[test]
fn a_truncated_blob_is_named() {
    let (dir, image) = layout_with(fixtures::base_layer(), Compression::Gzip);
    let path = blob_path(dir.path(), &image.layers[0].digest);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let err = read_err(dir.path(), &options());
    assert!(matches!(err, Error::Truncated { .. }), "{err}");
    let expected = format!(
        "layer `{}` is truncated: expected {} bytes, got {}",
        image.layers[0].digest,
        bytes.len(),
        bytes.len() - 100
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn a_layer_over_the_size_limit_is_refused_before_reading() {
    let (dir, image) = layout_with(fixtures::base_layer(), Compression::Gzip);
    let mut opts = options();
    opts.limits = Limits {
        max_layer_bytes: 100,
        ..Limits::default()
    };
    let err = read_err(dir.path(), &opts);
    assert!(matches!(err, Error::TooLarge { limit: 100, .. }), "{err}");
    assert!(err.to_string().contains(&image.layers[0].digest), "{err}");
}

#[test]
fn entries_that_escape_the_layer_are_refused() {
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "Files/../../x",
        "Files/a/../../../x",
    ] {
        let mut layer = LayerBuilder::new();
        layer.file("ok.txt", b"ok").unwrap();
        layer.raw_entry(name, b"evil").unwrap();
        let (dir, image) = layout_with(layer.finish().unwrap(), Compression::Gzip);
        let err = read_err(dir.path(), &options());
        assert!(matches!(err, Error::UnsafePath { .. }), "{name}: {err}");
        assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
        assert!(err.to_string().contains(&image.layers[0].digest), "{err}");
    }
}

#[test]
fn a_decompression_bomb_stops_at_the_limits() {
    let zeros = vec![0u8; 16 << 20];
    let mut layer = LayerBuilder::new();
    layer.file("zeros.bin", &zeros).unwrap();
    let (dir, _) = layout_with(layer.finish().unwrap(), Compression::Gzip);
    // The defaults judge the ratio only past 64 MiB of output: this passes.
    read_image(dir.path().to_str().unwrap(), &options()).unwrap();
    let mut ratio = options();
    ratio.limits.ratio_floor = 1 << 20;
    let err = read_err(dir.path(), &ratio);
    assert!(matches!(err, Error::DecompressionBomb { .. }), "{err}");
    assert!(
        err.to_string().contains("ratio above the limit of 100:1"),
        "{err}"
    );
    let mut total = options();
    total.limits.max_uncompressed_bytes = 8 << 20;
    let err = read_err(dir.path(), &total);
    assert!(
        err.to_string()
            .contains("more than the limit of 8388608 uncompressed bytes"),
        "{err}"
    );
}

#[test]
fn a_config_that_is_not_windows_says_what_it_is() {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    tar.append_data(&mut h, "bin/sh", &b"sh"[..]).unwrap();
    let image = ImageBuilder::linux()
        .layer(tar.into_inner().unwrap(), Compression::Gzip, "ADD rootfs")
        .unwrap()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("linux.tar");
    writer::write_docker_save(&path, &image, "alpine:3", Compression::None).unwrap();
    let err = read_image(path.to_str().unwrap(), &options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is not a Windows image: its os is `linux` (architecture `amd64`)",
            path.display()
        )
    );
}

#[test]
fn registry_answers_401_403_404_and_500_are_clear_errors() {
    let mut opts = options();
    opts.registry.credentials = Credentials::Anonymous;
    for (status, expected) in [
        (
            401,
            "the registry refused the credentials (401 unauthorized)",
        ),
        (403, "access denied (403 forbidden)"),
        (404, "not found (404)"),
        (500, "the registry answered 500"),
    ] {
        let server = winspect_image::testing::stub_registry(status).unwrap();
        let address = server.address();
        let reference = format!("{address}/windows/servercore:ltsc2022");
        let err = read_image(&reference, &opts).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("`{reference}`: {expected}")),
            "{status}: {text}"
        );
    }
}

#[test]
fn a_refused_connection_is_a_clear_error() {
    let address = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let reference = format!("{address}/windows/servercore:ltsc2022");
    let err = read_image(&reference, &options()).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("`{reference}`: cannot connect to the registry")),
        "{err}"
    );
}

#[test]
fn the_digest_helper_matches_sha256sum() {
    assert_eq!(
        sha256_digest(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
