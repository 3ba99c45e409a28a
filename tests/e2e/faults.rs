//! Every image fault through the command line: a clear error naming what is
//! wrong, and exit code 2.

use std::path::Path;

use winspect_image::Compression;
use winspect_image::writer::{BuiltImage, ImageBuilder, LayerBuilder, write_oci_layout};

use crate::support::{Run, winspect};

fn layout(dir: &Path, image: &BuiltImage) -> String {
    let path = dir.join("layout");
    write_oci_layout(&path, &[image], "latest").unwrap();
    path.display().to_string()
}

fn image(layer: Vec<u8>) -> BuiltImage {
    ImageBuilder::windows("10.0.20348.2655")
        .layer(layer, Compression::Gzip, "Apply image")
        .unwrap()
        .build()
        .unwrap()
}

fn small_layer() -> Vec<u8> {
    let mut layer = LayerBuilder::new();
    layer.file("License.txt", b"license").unwrap();
    layer.finish().unwrap()
}

fn inventory(image: &str, extra: &[&str]) -> Run {
    let mut args = vec!["inventory", image, "--no-cache"];
    args.extend_from_slice(extra);
    winspect(&args)
}

fn assert_fault(run: &Run, message: &str) {
    assert_eq!(run.code, 2, "exit code for `{message}`: {}", run.stderr);
    assert!(
        run.stderr.contains(message),
        "expected `{message}` in: {}",
        run.stderr
    );
    assert!(
        run.stdout.is_empty(),
        "no inventory on a fault: {}",
        run.stdout
    );
}

fn layer_blob(path: &str, image: &BuiltImage) -> std::path::PathBuf {
    let hex = image.layers[0].digest.trim_start_matches("sha256:");
    Path::new(path).join("blobs/sha256").join(hex)
}

#[test]
fn a_truncated_blob() {
    let dir = tempfile::tempdir().unwrap();
    let img = image(small_layer());
    let path = layout(dir.path(), &img);
    let blob = layer_blob(&path, &img);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    assert_fault(
        &inventory(&path, &[]),
        &format!("`{}`", img.layers[0].digest),
    );
}

#[test]
fn a_layer_over_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let img = image(small_layer());
    let path = layout(dir.path(), &img);
    let run = inventory(&path, &["--max-layer-size", "64"]);
    assert_fault(&run, &img.layers[0].digest);
    assert!(run.stderr.contains("64"), "names the limit: {}", run.stderr);
    let bad = winspect(&["inventory", &path, "--max-layer-size", "lots"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("`lots` is not a size"),
        "{}",
        bad.stderr
    );
}

#[test]
fn entries_that_escape_the_layer() {
    for name in [
        "../../Windows/System32/evil.dll",
        "/etc/passwd",
        "Files/../../x",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut layer = LayerBuilder::new();
        layer.file("ok.txt", b"ok").unwrap();
        layer.raw_entry(name, b"evil").unwrap();
        let path = layout(dir.path(), &image(layer.finish().unwrap()));
        assert_fault(&inventory(&path, &[]), &format!("`{name}`"));
    }
}

#[test]
fn a_decompression_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = LayerBuilder::new();
    layer.file("zeros.bin", &vec![0u8; 8 << 20]).unwrap();
    let img = image(layer.finish().unwrap());
    assert!(
        img.layers[0].blob.len() < 1 << 20,
        "8 MiB of zeros compress to well under 1 MiB"
    );
    let path = layout(dir.path(), &img);
    let run = inventory(&path, &["--max-unpacked-size", "1MiB"]);
    assert_fault(&run, &img.layers[0].digest);
}

#[test]
fn registry_answers_401_403_404_and_500() {
    for (status, words) in [(401, "401"), (403, "403"), (404, "404"), (500, "500")] {
        let server = winspect_image::testing::stub_registry(status).unwrap();
        let address = server.address();
        let reference = format!("{address}/shop/web:1.0");
        let run = winspect(&["inventory", &reference, "--no-cache"]);
        assert_fault(&run, words);
        assert!(
            run.stderr.contains(&reference) || run.stderr.contains("shop/web"),
            "names the image: {}",
            run.stderr
        );
    }
}

#[test]
fn a_refused_connection() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let reference = format!("127.0.0.1:{port}/shop/web:1.0");
    let run = winspect(&["inventory", &reference, "--no-cache"]);
    assert_fault(&run, &format!("127.0.0.1:{port}"));
}
