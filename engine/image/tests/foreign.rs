//! Foreign (non-distributable) layers that a local source does not hold:
//! a gap without `allow_foreign`; with it, fetched from their urls, here
//! served by a small loopback HTTP server the test runs, verified and
//! cached like any other layer.

use std::path::Path;

use winspect_image::testing::{Answer, StubServer};
use winspect_image::writer;
use winspect_image::{Cache, CacheChoice, Compression, Error, ImageRead, ReadOptions, read_image};

use crate::fixtures;

const BASE: &str = "/layers/base.tar.gz";

fn options(cache: Option<&Path>, allow_foreign: bool) -> ReadOptions {
    ReadOptions {
        allow_foreign,
        cache: cache.map_or(CacheChoice::Disabled, |dir| {
            CacheChoice::Dir(dir.to_owned())
        }),
        ..ReadOptions::default()
    }
}

fn read(source: &Path, options: &ReadOptions) -> Result<ImageRead, Error> {
    read_image(source.to_str().unwrap(), options)
}

/// A read without what says where and how it was read.
fn comparable(mut read: ImageRead) -> ImageRead {
    read.image.reference.clear();
    for layer in &mut read.layers {
        layer.from_cache = false;
    }
    read
}

/// The digests of the cached layers, and the number of cached views.
fn cached(dir: &Path) -> (Vec<String>, usize) {
    let cache = Cache::at(dir);
    let layers = cache
        .list()
        .unwrap()
        .into_iter()
        .map(|e| e.digest)
        .collect();
    (layers, cache.views().unwrap().len())
}

/// A loopback url where nothing listens: the port was free a moment ago.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/base.tar.gz", listener.local_addr().unwrap())
}

#[test]
fn a_foreign_layer_missing_from_a_layout_is_a_gap_or_is_fetched_and_cached() {
    let server = StubServer::start(
        vec![(BASE.into(), Answer::Bytes(fixtures::foreign_base_blob()))],
        Answer::Status(404),
    )
    .unwrap();
    let url = server.url(BASE);
    let image = fixtures::foreign_base_image(&[&url], false, false);
    let shipped = fixtures::foreign_base_image(&[&url], true, false);
    assert_eq!(image.manifest_digest, shipped.manifest_digest);
    let base = image.layers[0].digest.clone();
    assert_eq!(
        image.layers[0].media_type,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    );
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let hex = base.trim_start_matches("sha256:");
    assert!(!layout.join("blobs/sha256").join(hex).exists());
    let full = dir.path().join("full");
    writer::write_oci_layout(&full, &[&shipped], "latest").unwrap();
    let cache = dir.path().join("cache");

    // Without the flag: a gap naming the layer and its url; nothing asked.
    let partial = read(&layout, &options(Some(&cache), false)).unwrap();
    assert!(partial.completeness.partial);
    assert_eq!(partial.completeness.gaps.len(), 1);
    let reason = &partial.completeness.gaps[0].reason;
    assert!(
        reason.contains(&format!("foreign layer `{base}`")),
        "{reason}"
    );
    assert!(reason.contains(&url), "{reason}");
    assert!(partial.image.layers[0].foreign && !partial.image.layers[0].read);
    assert!(server.requests().is_empty());
    assert_eq!(cached(&cache).1, 0, "a partial view is not cached");

    // With it: fetched once, and read as from a layout that holds the blob.
    let fetched = read(&layout, &options(Some(&cache), true)).unwrap();
    assert!(!fetched.completeness.partial, "{:?}", fetched.completeness);
    assert!(fetched.image.layers[0].foreign && fetched.image.layers[0].read);
    assert_eq!(server.requests(), vec![BASE.to_owned()]);
    let expected = read(&full, &options(None, false)).unwrap();
    assert_eq!(comparable(fetched.clone()), comparable(expected));

    // Cached like any other layer: a second read does not ask the server,
    // from the merged view or, without it, from the layers' entries.
    let (layers, views) = cached(&cache);
    assert!(layers.contains(&base), "{layers:?}");
    assert_eq!(views, 1);
    let again = read(&layout, &options(Some(&cache), true)).unwrap();
    assert!(again.layers.iter().all(|l| l.from_cache));
    assert_eq!(comparable(again), comparable(fetched.clone()));
    for view in Cache::at(&cache).views().unwrap() {
        std::fs::remove_file(view.path).unwrap();
    }
    let from_layers = read(&layout, &options(Some(&cache), true)).unwrap();
    assert!(from_layers.layers.iter().all(|l| l.from_cache));
    assert_eq!(comparable(from_layers), comparable(fetched.clone()));
    // Once cached, the layer is read without the flag too: nothing is fetched.
    let cached_read = read(&layout, &options(Some(&cache), false)).unwrap();
    assert!(!cached_read.completeness.partial);
    assert_eq!(comparable(cached_read), comparable(fetched.clone()));
    assert_eq!(server.requests().len(), 1);

    // A compressed tar of the layout fetches it the same way.
    let archive = dir.path().join("image.tar.zst");
    writer::write_oci_archive(&archive, &[&image], "latest", Compression::Zstd).unwrap();
    let from_tar = read(&archive, &options(None, true)).unwrap();
    assert_eq!(comparable(from_tar), comparable(fetched));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn urls_are_tried_in_order_and_each_failure_is_named() {
    let blob = fixtures::foreign_base_blob();
    let mut wrong = blob.clone();
    let middle = wrong.len() / 2;
    wrong[middle] ^= 0x55;
    let short = blob[..blob.len() - 10].to_vec();
    let server = StubServer::start(
        vec![
            ("/good".into(), Answer::Bytes(blob)),
            ("/wrong".into(), Answer::Bytes(wrong)),
            ("/short".into(), Answer::Bytes(short)),
            ("/hop".into(), Answer::Redirect("/good".into())),
            (
                "/away".into(),
                Answer::Redirect("http://example.invalid/base.tar.gz".into()),
            ),
        ],
        Answer::Status(404),
    )
    .unwrap();
    let refused = refused_url();
    let urls = [
        server.url("/missing"),
        refused.clone(),
        "http://example.invalid/base.tar.gz".to_owned(),
        "ftp://127.0.0.1/base.tar.gz".to_owned(),
        server.url("/away"),
        server.url("/short"),
        server.url("/wrong"),
    ];
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let image = fixtures::foreign_base_image(&url_refs, false, false);
    let base = image.layers[0].digest.clone();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let cache = dir.path().join("cache");

    let err = read(&layout, &options(Some(&cache), true)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "foreign layer `{base}` could not be fetched from its urls: "
        )),
        "{text}"
    );
    for url in &urls {
        assert!(text.contains(&format!("`{url}`")), "{url}: {text}");
    }
    let Error::ForeignLayer { layer, attempts } = err else {
        panic!("{text}")
    };
    assert_eq!(layer, base);
    let got: Vec<(&str, String)> = attempts
        .iter()
        .map(|a| (a.url.as_str(), a.error.to_string()))
        .collect();
    assert_eq!(got.len(), urls.len(), "{got:?}");
    for ((url, error), (wanted_url, says)) in got.iter().zip(urls.iter().zip([
        "the server answered 404 Not Found",
        "cannot connect",
        "plain HTTP is allowed only for loopback hosts or with the insecure option",
        "the scheme `ftp` is not fetched",
        "redirected to `http://example.invalid/base.tar.gz`: plain HTTP is allowed only",
        "bytes where the layer has",
        "does not match its digest",
    ])) {
        assert_eq!(url, wanted_url);
        assert!(error.contains(says), "{url}: wanted {says:?} in {error}");
    }
    assert!(
        matches!(attempts[6].error, Error::DigestMismatch { .. }),
        "{:?}",
        attempts[6]
    );
    assert!(attempts[6].error.to_string().contains(&base));
    // Only the loopback server was asked: not the plain-HTTP host, nor where
    // the refused redirect led.
    assert_eq!(server.requests(), ["/missing", "/away", "/short", "/wrong"]);
    // Nothing unverified is cached.
    assert_eq!(cached(&cache), (Vec::new(), 0));

    // A good url after a bad one is reached, through a redirect.
    let image =
        fixtures::foreign_base_image(&[&server.url("/wrong"), &server.url("/hop")], false, false);
    let layout = dir.path().join("second");
    writer::write_oci_layout(&layout, &[&image], "latest").unwrap();
    let fetched = read(&layout, &options(Some(&cache), true)).unwrap();
    assert!(!fetched.completeness.partial, "{:?}", fetched.completeness);
    assert!(fetched.layers[0].read);
    assert!(cached(&cache).0.contains(&base));
    assert_eq!(
        server.requests()[4..],
        ["/wrong", "/hop", "/good"].map(String::from)
    );
}

#[test]
fn a_docker_save_archive_without_its_foreign_layer_behaves_the_same() {
    let blob = fixtures::foreign_base_blob();
    let mut wrong = blob.clone();
    wrong[100] ^= 0x01;
    let server = StubServer::start(
        vec![
            (BASE.into(), Answer::Bytes(blob)),
            ("/wrong".into(), Answer::Bytes(wrong)),
        ],
        Answer::Status(404),
    )
    .unwrap();
    let url = server.url(BASE);
    let image = fixtures::foreign_base_image(&[&url], false, true);
    let shipped = fixtures::foreign_base_image(&[&url], true, true);
    assert_eq!(
        image.layers[0].media_type,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    );
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.tar");
    writer::write_docker_save(&saved, &image, "contoso/old:1", Compression::None).unwrap();
    let full = dir.path().join("full.tar");
    writer::write_docker_save(&full, &shipped, "contoso/old:1", Compression::None).unwrap();
    let cache = dir.path().join("cache");
    // A classic `docker save` names its layers by diff_id.
    let diff_id = image.layers[0].diff_id.clone();

    let partial = read(&saved, &options(Some(&cache), false)).unwrap();
    assert!(partial.completeness.partial);
    let reason = &partial.completeness.gaps[0].reason;
    assert!(
        reason.contains(&format!("foreign layer `{diff_id}`")),
        "{reason}"
    );
    assert!(reason.contains(&url), "{reason}");
    assert!(!partial.image.layers[0].read);
    assert!(server.requests().is_empty());

    let fetched = read(&saved, &options(Some(&cache), true)).unwrap();
    assert!(!fetched.completeness.partial, "{:?}", fetched.completeness);
    assert_eq!(server.requests().len(), 1);
    let expected = read(&full, &options(None, false)).unwrap();
    let (mut fetched_image, expected_image) = (fetched.image.clone(), expected.image.clone());
    // What was read is the compressed blob of the urls, not the archive's tar.
    assert_eq!(
        fetched_image.layers[0].size,
        image.layers[0].blob.len() as u64
    );
    assert_eq!(
        expected_image.layers[0].size,
        image.layers[0].tar.len() as u64
    );
    fetched_image.layers[0].size = expected_image.layers[0].size;
    fetched_image.reference = expected_image.reference.clone();
    assert_eq!(fetched_image, expected_image);
    assert_eq!(fetched.files, expected.files);
    assert_eq!(
        comparable(fetched.clone()).layers,
        comparable(expected).layers
    );

    // Cached under the digest it was verified against, the blob's; read
    // again without asking.
    assert!(cached(&cache).0.contains(&image.layers[0].digest));
    let again = read(&saved, &options(Some(&cache), true)).unwrap();
    assert!(again.layers.iter().all(|l| l.from_cache));
    assert_eq!(again.files, fetched.files);
    assert_eq!(server.requests().len(), 1);

    // Wrong bytes: a digest error naming the layer and the url; not cached.
    let image = fixtures::foreign_base_image(&[&server.url("/wrong")], false, true);
    let saved = dir.path().join("wrong.tar.gz");
    writer::write_docker_save(&saved, &image, "contoso/old:1", Compression::Gzip).unwrap();
    let fresh = dir.path().join("fresh-cache");
    let err = read(&saved, &options(Some(&fresh), true)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("foreign layer `{diff_id}`")),
        "{text}"
    );
    assert!(
        text.contains(&format!("`{}`", server.url("/wrong"))),
        "{text}"
    );
    assert!(text.contains("does not match its digest"), "{text}");
    assert_eq!(cached(&fresh), (Vec::new(), 0));
}

#[test]
fn a_foreign_layer_without_urls_is_a_gap_or_an_error() {
    let image = fixtures::foreign_base_image(&[], false, false);
    let base = image.layers[0].digest.clone();
    let dir = tempfile::tempdir().unwrap();
    writer::write_oci_layout(dir.path(), &[&image], "latest").unwrap();

    let partial = read(dir.path(), &options(None, false)).unwrap();
    let reason = &partial.completeness.gaps[0].reason;
    assert!(
        reason.ends_with(
            "was not fetched (it lists no urls to fetch it from); its files are missing"
        ),
        "{reason}"
    );
    let err = read(dir.path(), &options(None, true)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("foreign layer `{base}` could not be fetched from its urls: it lists none")
    );
}
