//! A small generated Windows image with every layer feature the reader
//! handles, shared by the tests.

use winspect_image::Compression;
use winspect_image::writer::{BuiltImage, ImageBuilder, LayerBuilder};

pub const SOFTWARE: &[u8] = b"regf-base-software-hive";
pub const DELTA_1: &[u8] = b"regf-delta-one";
pub const DELTA_2: &[u8] = b"regf-delta-two";

pub fn base_layer() -> Vec<u8> {
    let mut l = LayerBuilder::new();
    l.dir("Windows").unwrap();
    l.dir("Windows/System32").unwrap();
    l.file("Windows/System32/kernel32.dll", b"MZ kernel32 v1")
        .unwrap();
    l.file("Windows/System32/perfc009.dat", b"perf counters")
        .unwrap();
    l.hard_link(
        "Windows/System32/perfd009.dat",
        "Windows/System32/perfc009.dat",
    )
    .unwrap();
    l.hard_link(
        "Windows/System32/trimmed.dat",
        "Windows/System32/absent.dat",
    )
    .unwrap();
    l.file("Windows/System32/config/SOFTWARE", SOFTWARE)
        .unwrap();
    l.file("Windows/Temp/setup.log", b"log").unwrap();
    l.file("Program Files/App/old.txt", b"old").unwrap();
    l.file("Program Files/App/keep.txt", b"keep").unwrap();
    l.utility_vm_file("Windows/System32/vmcompute.dll", b"uvm-dll")
        .unwrap();
    l.utility_vm_file("License.txt", b"uvm-license").unwrap();
    l.finish().unwrap()
}

pub fn update_layer() -> Vec<u8> {
    let mut l = LayerBuilder::new();
    l.hive("Software_Delta", DELTA_1).unwrap();
    l.file("windows/system32/KERNEL32.DLL", b"MZ kernel32 v2")
        .unwrap();
    l.whiteout("Windows/Temp").unwrap();
    l.finish().unwrap()
}

pub fn app_layer() -> Vec<u8> {
    let mut l = LayerBuilder::new().without_windows_records();
    l.hive("SOFTWARE_DELTA", DELTA_2).unwrap();
    l.opaque("Program Files/App").unwrap();
    l.file("Program Files/App/app.deps.json", br#"{"targets":{}}"#)
        .unwrap();
    l.file("Program Files/App/web.config", b"<configuration/>")
        .unwrap();
    l.hard_link("app.dll", "Windows/System32/kernel32.dll")
        .unwrap();
    l.finish().unwrap()
}

pub fn windows_image(os_version: &str) -> BuiltImage {
    ImageBuilder::windows(os_version)
        .layer(base_layer(), Compression::Gzip, "Apply image 10.0.20348.1")
        .unwrap()
        .layer(
            update_layer(),
            Compression::Zstd,
            "Install update 10.0.20348.2655",
        )
        .unwrap()
        .empty_history("ENV APP=1")
        .layer(
            app_layer(),
            Compression::None,
            "COPY app C:/Program Files/App",
        )
        .unwrap()
        .user("ContainerUser")
        .env(&["APP=1", "PATH=C:\\Windows\\system32"])
        .entrypoint(&["C:\\app.exe"])
        .cmd(&["--serve"])
        .shell(&["powershell", "-Command"])
        .working_dir("C:\\app")
        .expose(&["80/tcp", "443/tcp"])
        .label("org.opencontainers.image.title", "fixture")
        .build()
        .unwrap()
}

/// The blob of the fixture's base layer as a foreign layer's urls serve
/// it: the gzip of [`base_layer`].
pub fn foreign_base_blob() -> Vec<u8> {
    winspect_image::writer::compress(&base_layer(), Compression::Gzip).unwrap()
}

/// The fixture image with its base layer foreign, distributed from `urls`,
/// its blob shipped in written layouts and archives only when `ship`; with
/// Docker's media types when `docker`, else OCI's.
pub fn foreign_base_image(urls: &[&str], ship: bool, docker: bool) -> BuiltImage {
    let builder = ImageBuilder::windows("10.0.17763.2452");
    let builder = if docker {
        builder.docker_media_types()
    } else {
        builder
    };
    builder
        .foreign_layer(base_layer(), urls, ship, "Apply image 10.0.17763.2452")
        .unwrap()
        .layer(
            update_layer(),
            Compression::Gzip,
            "Install update 10.0.17763.5458",
        )
        .unwrap()
        .layer(
            app_layer(),
            Compression::None,
            "COPY app C:/Program Files/App",
        )
        .unwrap()
        .build()
        .unwrap()
}
