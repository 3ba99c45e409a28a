//! Hives written by our writer, read back by python3-hivex and by our reader.

use winspect_hive::write::{
    HiveBuilder, HiveKind, KeySpec, ValueSpec, default_security_descriptor,
};
use winspect_hive::{Hive, LayerSemantics, ValueData, ValueKind};

use crate::support::{hivex_dump, our_dump};

const BIG: usize = 40_000;

fn big_data() -> Vec<u8> {
    (0..BIG).map(|i| (i * 7 % 251) as u8).collect()
}

/// A base hive using every feature the writer has.
pub fn full_base() -> KeySpec {
    let mut root = KeySpec::new("CsiTool-CreateHive-{00000000-0000-0000-0000-000000000000}");
    root.key_mut(r"Microsoft\Windows NT\CurrentVersion")
        .class("VersionClass")
        .value(ValueSpec::string("CurrentBuild", "20348"))
        .value(ValueSpec::dword("UBR", 2655))
        .value(ValueSpec::expand_string(
            "SystemRoot",
            r"%SystemDrive%\Windows",
        ))
        .value(ValueSpec::multi_string(
            "Features",
            &["a", "b", "Ünïcode €"],
        ))
        .value(ValueSpec::qword("InstallTime", 133_000_000_000_000_000))
        .value(ValueSpec::dword_big_endian("BigEndian", 0x0102_0304))
        .value(ValueSpec::binary(
            "DigitalProductId",
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
        ))
        .value(ValueSpec::binary("Tiny", vec![0xab]))
        .value(ValueSpec::none("Nothing", Vec::new()))
        .value(ValueSpec::raw(
            "Odd",
            ValueKind::Other(0x1234),
            vec![9, 8, 7, 6, 5],
        ))
        .value(ValueSpec::binary("Big", big_data()))
        .value(ValueSpec::string("", "default value"))
        .value(ValueSpec::string("Ключ", "UTF-16 name"));
    root.key_mut(r"Classes\Wow6432Node").value(ValueSpec::link(
        "SymbolicLinkValue",
        r"\REGISTRY\MACHINE\SOFTWARE\Classes",
    ));
    root.key_mut("Ключ ∑").value(ValueSpec::dword("x", 1));
    let mut custom = default_security_descriptor();
    custom.extend([0; 4]); // a distinct descriptor gets its own sk cell
    root.key_mut("Secured").security(custom);
    let many = root.key_mut("Many");
    for i in 0..1200 {
        many.subkey(KeySpec::new(format!("Key{i:05}")));
    }
    root
}

#[test]
fn written_base_hive_reads_back_in_hivex_and_ours() {
    let bytes = HiveBuilder::new(HiveKind::Base, full_base())
        .file_name(r"\??\C:\Windows\SOFTWARE")
        .timestamp(132_000_000_000_000_000)
        .to_bytes()
        .unwrap();
    let hive = Hive::from_bytes(bytes.clone()).unwrap();
    let base = hive.base_block();
    assert!(base.checksum_ok() && !hive.is_dirty() && !hive.supports_layered_keys());
    assert_eq!(
        (base.minor_version, base.file_name.as_str()),
        (5, r"\??\C:\Windows\SOFTWARE")
    );

    let ours = our_dump(&hive);
    assert_eq!(ours.len(), 1 + 3 + 2 + 1 + 1 + 1 + 1200);
    if let Some(theirs) = hivex_dump(&bytes) {
        assert_eq!(theirs, ours);
    }

    let cv = hive
        .open(r"microsoft\WINDOWS NT\currentversion")
        .unwrap()
        .unwrap();
    assert_eq!(cv.class_name().unwrap().as_deref(), Some("VersionClass"));
    assert_eq!(cv.last_written(), 132_000_000_000_000_000);
    let get = |name: &str| cv.value(name).unwrap().unwrap();
    assert_eq!(get("CurrentBuild").as_string().unwrap(), "20348");
    assert_eq!(get("UBR").as_u32().unwrap(), 2655);
    assert_eq!(
        get("systemroot").data().unwrap(),
        ValueData::ExpandString(r"%SystemDrive%\Windows".into())
    );
    assert_eq!(
        get("Features").as_multi_string().unwrap(),
        ["a", "b", "Ünïcode €"]
    );
    assert_eq!(
        get("InstallTime").as_u64().unwrap(),
        133_000_000_000_000_000
    );
    assert_eq!(get("BigEndian").as_u32().unwrap(), 0x0102_0304);
    assert_eq!(get("Tiny").bytes().unwrap(), [0xab]);
    assert_eq!(get("Odd").kind(), ValueKind::Other(0x1234));
    assert_eq!(get("Big").bytes().unwrap(), big_data());
    assert_eq!(get("").as_string().unwrap(), "default value");
    assert_eq!(get("ключ").as_string().unwrap(), "UTF-16 name");
    assert!(get("UBR").as_string().is_err());
    let link = hive.open(r"Classes\Wow6432Node").unwrap().unwrap();
    assert_eq!(
        link.value("SymbolicLinkValue")
            .unwrap()
            .unwrap()
            .data()
            .unwrap(),
        ValueData::Link(r"\REGISTRY\MACHINE\SOFTWARE\Classes".into())
    );
    let many = hive.open("Many").unwrap().unwrap().subkeys().unwrap();
    assert_eq!(many.len(), 1200);
    assert!(many.windows(2).all(|w| w[0].name() < w[1].name()));
    assert!(hive.open(r"Many\key00777").unwrap().is_some());
    let secured = hive.open("Secured").unwrap().unwrap();
    assert_eq!(
        secured.security_descriptor().unwrap().unwrap().len(),
        default_security_descriptor().len() + 4
    );
    assert_eq!(
        cv.security_descriptor().unwrap().unwrap(),
        default_security_descriptor()
    );
}

#[test]
fn written_delta_hive_keeps_semantics_and_tombstones() {
    let mut root = KeySpec::new("ROOT");
    root.key_mut("Merged")
        .value(ValueSpec::string("v", "1"))
        .value(ValueSpec::tombstone("gone"));
    root.key_mut("Deleted").semantics(LayerSemantics::Tombstone);
    root.key_mut("Local")
        .semantics(LayerSemantics::SupersedeLocal)
        .inherit_class(true);
    root.key_mut("Tree")
        .semantics(LayerSemantics::SupersedeTree)
        .subkey({
            let mut child = KeySpec::new("Child");
            child
                .semantics(LayerSemantics::SupersedeTree)
                .class("ChildClass");
            child
        });
    let bytes = HiveBuilder::new(HiveKind::Delta, root).to_bytes().unwrap();
    let hive = Hive::from_bytes(bytes.clone()).unwrap();
    assert!(hive.supports_layered_keys() && hive.base_block().is_differencing());
    assert_eq!(hive.base_block().minor_version, 6);
    let semantics = |path: &str| hive.open(path).unwrap().unwrap().layer_semantics();
    assert_eq!(semantics("Merged"), LayerSemantics::Merge);
    assert_eq!(semantics("Deleted"), LayerSemantics::Tombstone);
    assert_eq!(semantics("Local"), LayerSemantics::SupersedeLocal);
    assert_eq!(semantics(r"Tree\Child"), LayerSemantics::SupersedeTree);
    assert!(hive.open("Local").unwrap().unwrap().inherit_class());
    let gone = hive
        .open("Merged")
        .unwrap()
        .unwrap()
        .value("gone")
        .unwrap()
        .unwrap();
    assert!(gone.is_tombstone());
    if let Some(theirs) = hivex_dump(&bytes) {
        assert_eq!(theirs, our_dump(&hive));
    }
}

#[test]
fn writer_rejects_what_a_hive_cannot_hold() {
    let write = |root: KeySpec, kind| {
        HiveBuilder::new(kind, root)
            .to_bytes()
            .unwrap_err()
            .to_string()
    };
    let mut root = KeySpec::new("R");
    root.key_mut("A")
        .semantics(LayerSemantics::Tombstone)
        .value(ValueSpec::dword("x", 1));
    assert_eq!(
        write(root, HiveKind::Delta),
        "cannot write hive: key `A`: a tombstone key has no values, subkeys or class"
    );
    let mut root = KeySpec::new("R");
    root.subkey(KeySpec::new("Dup")).subkey(KeySpec::new("DUP"));
    assert_eq!(
        write(root, HiveKind::Base),
        "cannot write hive: key `R`: two subkeys are named `DUP`"
    );
    let mut root = KeySpec::new("R");
    root.key_mut("A").semantics(LayerSemantics::SupersedeLocal);
    assert_eq!(
        write(root, HiveKind::Base),
        "cannot write hive: key `A`: layer semantics and inherit-class need a delta hive"
    );
    let mut root = KeySpec::new("R");
    root.key_mut("T")
        .semantics(LayerSemantics::SupersedeTree)
        .subkey(KeySpec::new("M"));
    assert!(write(root, HiveKind::Delta).contains("must be supersede-tree or tombstone"));
}
