//! Layer semantics of the merged view, on hives written for the purpose.

use winspect_hive::dump::{DumpData, dump_hive, dump_merged};
use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
use winspect_hive::{Hive, Layer, LayerSemantics, MergedRegistry};

use crate::support::{hivex_dump, our_dump};

fn hive(kind: HiveKind, root: KeySpec) -> Hive {
    let bytes = HiveBuilder::new(kind, root).to_bytes().unwrap();
    let hive = Hive::from_bytes(bytes.clone()).unwrap();
    if let Some(theirs) = hivex_dump(&bytes) {
        assert_eq!(theirs, our_dump(&hive));
    }
    hive
}

/// base, then delta 1, then delta 2.
fn stack() -> MergedRegistry {
    let mut base = KeySpec::new("ROOT");
    base.key_mut("A")
        .value(ValueSpec::dword("v1", 1))
        .value(ValueSpec::dword("v2", 2));
    base.key_mut(r"A\A1").value(ValueSpec::string("x", "base"));
    base.key_mut("B").value(ValueSpec::string("b", "base"));
    base.key_mut(r"B\B1");
    base.key_mut("C").value(ValueSpec::dword("c", 1));
    base.key_mut(r"C\C1").value(ValueSpec::dword("c1", 1));
    base.key_mut("D")
        .class("BaseClass")
        .value(ValueSpec::dword("d", 1));
    base.key_mut(r"E\E1").value(ValueSpec::dword("e1", 1));

    let mut d1 = KeySpec::new("ROOT");
    d1.key_mut("a")
        .value(ValueSpec::tombstone("V2"))
        .value(ValueSpec::dword("v3", 3));
    d1.key_mut("B").semantics(LayerSemantics::Tombstone);
    d1.key_mut("C")
        .semantics(LayerSemantics::SupersedeLocal)
        .value(ValueSpec::dword("c2", 2));
    d1.key_mut("D")
        .inherit_class(true)
        .value(ValueSpec::dword("d", 10));
    d1.key_mut("New").value(ValueSpec::string("n", "d1"));

    let mut d2 = KeySpec::new("ROOT");
    d2.key_mut("B").value(ValueSpec::string("b", "d2"));
    d2.key_mut("E")
        .semantics(LayerSemantics::SupersedeTree)
        .subkey({
            let mut k = KeySpec::new("E2");
            k.semantics(LayerSemantics::SupersedeTree)
                .value(ValueSpec::dword("e2", 2));
            k
        });
    d2.key_mut("A")
        .value(ValueSpec::tombstone("v3"))
        .value(ValueSpec::dword("V2", 22));

    MergedRegistry::new(vec![
        Layer::new("base", hive(HiveKind::Base, base)),
        Layer::new("d1", hive(HiveKind::Delta, d1)),
        Layer::new("d2", hive(HiveKind::Delta, d2)),
    ])
    .unwrap()
}

fn values(registry: &MergedRegistry, path: &str) -> Vec<(String, u64, usize)> {
    let key = registry.open(path).unwrap().unwrap();
    key.values()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v.name().into_owned(),
                v.as_u64().unwrap_or(0),
                v.layer().index,
            )
        })
        .collect()
}

fn subkeys(registry: &MergedRegistry, path: &str) -> Vec<String> {
    let key = registry.open(path).unwrap().unwrap();
    key.subkeys().unwrap().iter().map(|k| k.name()).collect()
}

#[test]
fn merge_semantics_follow_the_layers() {
    let r = stack();
    assert_eq!(subkeys(&r, ""), ["A", "B", "C", "D", "E", "New"]);
    // A: merged; v2 deleted by d1 then re-added by d2, v3 added by d1 then deleted by d2.
    assert_eq!(values(&r, "A"), [("v1".into(), 1, 0), ("V2".into(), 22, 2)]);
    assert_eq!(subkeys(&r, "A"), ["A1"]);
    let a = r.open("a").unwrap().unwrap();
    assert_eq!(
        a.layers().iter().map(|l| l.label).collect::<Vec<_>>(),
        ["d2", "d1", "base"]
    );
    // B: tombstoned in d1, recreated in d2: only d2's content, no base subkey.
    let b = r.open("B").unwrap().unwrap();
    assert_eq!(b.value("b").unwrap().unwrap().as_string().unwrap(), "d2");
    assert_eq!(b.layers().len(), 1);
    assert!(r.open(r"B\B1").unwrap().is_none());
    // C: supersede-local: base values gone, base subkeys kept.
    assert_eq!(values(&r, "C"), [("c2".into(), 2, 1)]);
    assert_eq!(values(&r, r"C\C1"), [("c1".into(), 1, 0)]);
    assert_eq!(
        r.open("C").unwrap().unwrap().semantics(),
        LayerSemantics::SupersedeLocal
    );
    // D: inherit-class takes the base class; d1's value wins.
    let d = r.open("D").unwrap().unwrap();
    assert_eq!(d.class_name().unwrap().as_deref(), Some("BaseClass"));
    assert!(d.inherit_class());
    assert_eq!(values(&r, "D"), [("d".into(), 10, 1)]);
    // E: supersede-tree in d2 replaces the whole subtree.
    assert_eq!(subkeys(&r, "E"), ["E2"]);
    assert!(r.open(r"E\E1").unwrap().is_none());
    assert_eq!(values(&r, r"E\E2"), [("e2".into(), 2, 2)]);
    assert_eq!(r.open("New").unwrap().unwrap().layer().label, "d1");
}

#[test]
fn dumps_show_semantics_and_provenance() {
    let r = stack();
    let dump = dump_merged(&r, None).unwrap();
    assert!(dump.errors.is_empty());
    assert_eq!(dump.keys.len(), 1 + 6 + 1 + 1 + 1);
    let c = dump.keys.iter().find(|k| k.path == "C").unwrap();
    assert_eq!(
        (c.layer, c.layers.clone(), c.semantics),
        (1, vec![1, 0], LayerSemantics::SupersedeLocal)
    );
    let text = dump.to_text();
    assert!(
        text.contains("# layer 1 `d1`: REGF 1.6, layered keys\n"),
        "{text}"
    );
    assert!(text.contains("[C]  layer 1, supersede-local, from layers 1,0\n  \"c2\" = REG_DWORD 2 (0x2)  (layer 1)\n"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
    assert_eq!(json["keys"][1]["path"], "A");
    assert_eq!(json["keys"][1]["values"][1]["data"], 22);
    assert_eq!(json["keys"][1]["values"][1]["layer"], 2);

    // A raw dump of one delta shows its tombstones.
    let delta = r.layers()[1].hive();
    let raw = dump_hive(delta, "d1", Some("A")).unwrap();
    assert_eq!(raw.keys.len(), 1);
    let gone = raw.keys[0].values.iter().find(|v| v.name == "V2").unwrap();
    assert!(gone.tombstone);
    assert!(raw.to_text().contains("  \"V2\" = tombstone  (layer 0)\n"));
    let b = dump_hive(delta, "d1", Some("b")).unwrap();
    assert_eq!(b.keys[0].semantics, LayerSemantics::Tombstone);
    assert_eq!(b.keys[0].path, "b");

    let one = dump_merged(&r, Some(r"E\E2")).unwrap();
    assert_eq!(one.keys[0].values[0].data, DumpData::Number(2));
    let missing = dump_merged(&r, Some(r"B\B1")).unwrap_err();
    assert_eq!(missing.to_string(), r"key `B\B1` does not exist");
}
