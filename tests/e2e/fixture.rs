//! `fixture build`: the shipped samples come out of their specs byte for
//! byte, in every format, and a bad spec is an error naming its place.

use std::path::Path;

use crate::support::{Run, root, winspect, write};

fn build(spec: &str, out: &Path, format: &str) -> Run {
    let out = out.to_str().unwrap();
    winspect(&["fixture", "build", spec, "-o", out, "--format", format])
}

const SAMPLES: [&str; 3] = [
    "servercore-ltsc2019-iis",
    "aspnet-ltsc2022",
    "nanoserver-ltsc2022",
];

#[test]
fn fixture_build_makes_the_committed_samples() {
    let dir = tempfile::tempdir().unwrap();
    for name in SAMPLES {
        let out = dir.path().join(format!("{name}.oci.tar"));
        let spec = format!("samples/{name}.toml");
        let run = winspect(&["fixture", "build", &spec, "-o", out.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.starts_with(&format!(
                "wrote `{}` (oci-tar): os.version 10.0.",
                out.display()
            )),
            "{}",
            run.stdout
        );
        let committed = std::fs::read(root().join(format!("samples/{name}.oci.tar"))).unwrap();
        assert!(
            std::fs::read(&out).unwrap() == committed,
            "samples/{name}.oci.tar is not what `winspect fixture build {spec}` makes; rebuild it with \
             `winspect fixture build {spec} -o samples/{name}.oci.tar` and commit it with its spec"
        );
    }
}

#[test]
fn fixture_build_writes_a_layout_folder_and_a_docker_archive() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let spec = "samples/nanoserver-ltsc2022.toml";
    let run = build(spec, &layout, "oci-dir");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("(oci-dir): os.version 10.0.20348.2655, 1 layer, manifest sha256:")
    );
    assert!(layout.join("oci-layout").is_file() && layout.join("index.json").is_file());

    let archive = dir.path().join("docker.tar");
    let run = build(spec, &archive, "docker-archive");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    let names: Vec<String> = tar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.contains(&"manifest.json".to_owned()), "{names:?}");

    // The layout folder is not empty now: building into it again is refused.
    let again = build(spec, &layout, "oci-dir");
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("is a folder that is not empty"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_bad_spec_is_an_error_naming_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "bad.toml",
        "[base]\ncreated_by = \"Apply image\"\nos = { product_name = \"P\", edition = \"E\", installation_type = \"I\", build = 1, ubr = 1 }\n\n[[layers]]\ncreated_by = \"update\"\n[layers.registry.'SOFTWARE\\X']\nA = -1\n",
    );
    let out = dir.path().join("out.tar");
    let run = winspect(&["fixture", "build", &spec, "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: spec `{spec}`: layers[0].registry.'SOFTWARE\\X'.A: -1 does not fit a REG_DWORD (0 to 4294967295); write `{{ qword = -1 }}` for a REG_QWORD"
        )
    );
    assert!(!out.exists());

    let run = winspect(&[
        "fixture",
        "build",
        "samples/none.toml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot read spec `samples/none.toml`: "),
        "{}",
        run.stderr
    );
}
