//! Deny by default, bounded, contained: what a plugin cannot do to the host.

use std::sync::Arc;

use winspect_plugins::{
    CallError, HostConfig, LoadError, PluginHost, Sections, Severity, TypedValue, ValueType,
};

use crate::{fixture, host, sha256_of, short_deadline};

fn files_section(json: &str) -> Sections {
    let mut s = Sections::new();
    s.insert("files", json.as_bytes().to_vec());
    s
}

#[test]
fn a_well_behaved_plugin_declares_itself_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "check");
    let plugin = host(HostConfig::default())
        .load(&path, Some(&sha256_of(&path)))
        .unwrap();
    let m = plugin.manifest();
    assert_eq!(
        (m.name.as_str(), m.version.as_str(), m.interface),
        ("fixture-check", "1.0.0", 1)
    );
    assert_eq!(m.sections, ["files"]);
    assert!(m.check);
    let f = m.function("input_length").unwrap();
    assert_eq!(f.params[0].name, "text");
    assert_eq!(f.params[0].ty, ValueType::String);
    assert_eq!(f.result, ValueType::Int);

    let findings = plugin
        .run_check(&files_section(r#"[{"path":"a"}]"#))
        .unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "FIXTURE-NONEMPTY");
    assert_eq!(findings[0].severity, Severity::Low);
    assert_eq!(findings[0].subject.as_deref(), Some("files"));
    assert!(plugin.run_check(&files_section("[]")).unwrap().is_empty());

    // `["abc"]` is 7 bytes.
    let len = plugin
        .call("input_length", &[TypedValue::String("abc".into())])
        .unwrap();
    assert_eq!(len, TypedValue::Int(7));
    let handle = plugin.function("input_length").unwrap();
    let long = "x".repeat(100_000);
    assert_eq!(
        handle.call(&[TypedValue::String(long)]).unwrap(),
        TypedValue::Int(100_004)
    );
}

#[test]
fn calls_are_checked_against_the_declared_signature() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = host(HostConfig::default())
        .load(fixture(dir.path(), "check"), None)
        .unwrap();
    let err = plugin
        .call("input_length", &[TypedValue::Int(1)])
        .unwrap_err();
    assert!(matches!(err, CallError::BadArguments { .. }), "{err}");
    assert!(
        err.to_string().contains("argument `text` should be string"),
        "{err}"
    );
    let err = plugin.call("input_length", &[]).unwrap_err();
    assert!(
        err.to_string().contains("expected 1 arguments, got 0"),
        "{err}"
    );
    let err = plugin.call("wrong_result", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `fixture-check` returned malformed output: value should be int but is the string `not a number`"
    );
    let err = plugin.call("nope", &[]).unwrap_err();
    assert!(matches!(err, CallError::NoFunction { .. }), "{err}");
    let err = plugin.run_check(&Sections::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `fixture-check` needs inventory section `files`, which the caller did not provide"
    );
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline_and_the_host_stays_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(short_deadline());
    let looping = host
        .load(fixture(dir.path(), "infinite_loop"), None)
        .unwrap();
    let err = looping.run_check(&Sections::new()).unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");
    assert!(
        err.to_string().contains("ran past its deadline of 200ms"),
        "{err}"
    );
    // The same plugin can be called again, and is stopped again.
    let err = looping.run_check(&Sections::new()).unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");
    // Other plugins of the same host still work.
    let good = host.load(fixture(dir.path(), "check"), None).unwrap();
    assert!(good.run_check(&files_section("[]")).unwrap().is_empty());
}

#[test]
fn a_fuel_budget_stops_an_infinite_loop_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(HostConfig {
        fuel: Some(1_000_000),
        ..HostConfig::default()
    });
    let looping = host
        .load(fixture(dir.path(), "infinite_loop"), None)
        .unwrap();
    let err = looping.run_check(&Sections::new()).unwrap_err();
    assert_eq!(
        err,
        CallError::FuelExhausted {
            plugin: "fixture-loop".into(),
            fuel: 1_000_000
        }
    );
    // A plugin that finishes within the budget is unaffected.
    let good = host.load(fixture(dir.path(), "check"), None).unwrap();
    assert_eq!(good.run_check(&files_section("[1]")).unwrap().len(), 1);
}

#[test]
fn a_memory_bomb_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(HostConfig {
        memory_limit: 16 * 1024 * 1024,
        ..HostConfig::default()
    });
    let bomb = host.load(fixture(dir.path(), "memory_bomb"), None).unwrap();
    let err = bomb.run_check(&Sections::new()).unwrap_err();
    assert_eq!(
        err,
        CallError::OutOfMemory {
            plugin: "fixture-memory-bomb".into(),
            limit: 16 * 1024 * 1024
        }
    );
    // Input larger than the cap cannot be allocated either.
    let good = host.load(fixture(dir.path(), "check"), None).unwrap();
    let huge = format!("[\"{}\"]", "x".repeat(20 * 1024 * 1024));
    let err = good.run_check(&files_section(&huge)).unwrap_err();
    assert!(matches!(err, CallError::OutOfMemory { .. }), "{err}");
    assert!(good.run_check(&files_section("[]")).unwrap().is_empty());
}

#[test]
fn a_trap_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = host(HostConfig::default())
        .load(fixture(dir.path(), "trap"), None)
        .unwrap();
    let err = plugin.run_check(&Sections::new()).unwrap_err();
    match &err {
        CallError::Trap { plugin, message } => {
            assert_eq!(plugin, "fixture-trap");
            assert!(message.contains("unreachable"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn garbage_oversized_and_out_of_bounds_output_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = host(HostConfig::default())
        .load(fixture(dir.path(), "bad_output"), None)
        .unwrap();
    let err = plugin.run_check(&Sections::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `fixture-bad-output` returned malformed output: expected ident at line 1 column 2"
    );
    let err = plugin.call("too_large", &[]).unwrap_err();
    assert_eq!(
        err,
        CallError::OutputTooLarge {
            plugin: "fixture-bad-output".into(),
            size: 2 * 1024 * 1024,
            limit: 1024 * 1024
        }
    );
    let err = plugin.call("out_of_bounds", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("lies outside the memory of 65536 bytes"),
        "{err}"
    );
}

#[test]
fn interface_mismatches_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(HostConfig::default());
    let err = host
        .load(fixture(dir.path(), "interface_v2"), None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Interface {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("speaks plugin interface version 2, but this winspect supports version 1")
    );

    let err = host
        .load(fixture(dir.path(), "missing_alloc"), None)
        .unwrap_err();
    assert!(matches!(err, LoadError::MissingExport { .. }), "{err}");
    assert!(err.to_string().contains(
        "does not export `winspect_alloc` (a function (i32) -> i32), which interface version 1 requires"
    ));

    let err = host
        .load(fixture(dir.path(), "check_not_exported"), None)
        .unwrap_err();
    assert!(
        err.to_string().contains("does not export `winspect_check`"),
        "{err}"
    );

    std::fs::write(dir.path().join("not-wasm.wasm"), b"\0asm but not really").unwrap();
    let err = host
        .load(dir.path().join("not-wasm.wasm"), None)
        .unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err}");
    let err = host.load(dir.path().join("absent.wasm"), None).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
}

#[test]
fn imports_are_refused_whatever_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(HostConfig::default());
    let path = fixture(dir.path(), "imports_wasi");
    let err = host.load(&path, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "plugin `{}` imports `wasi_snapshot_preview1::fd_write` (a function), but plugins are granted no imports: no WASI, no host functions",
            path.display()
        )
    );
    let err = host
        .load(fixture(dir.path(), "imports_host"), None)
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::ForbiddenImport { module, name, .. } if module == "env" && name == "read_file"),
        "{err}"
    );
}

#[test]
fn a_pinned_hash_mismatch_names_the_file_and_both_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "check");
    let actual = sha256_of(&path);
    let pinned = "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd";
    let err = host(HostConfig::default())
        .load(&path, Some(pinned))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "plugin `{}` has sha256 {actual} but the rule pack pins {pinned}: refusing to load it",
            path.display()
        )
    );
    let err = host(HostConfig::default())
        .load(&path, Some("abc"))
        .unwrap_err();
    assert!(matches!(err, LoadError::InvalidPin { .. }), "{err}");
    // The same pin in upper case with the `sha256:` prefix is accepted.
    let upper = format!("sha256:{}", actual.to_ascii_uppercase());
    assert!(
        host(HostConfig::default())
            .load(&path, Some(&upper))
            .is_ok()
    );
}

#[test]
fn one_compiled_plugin_serves_many_threads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let host: Arc<PluginHost> = Arc::new(host(HostConfig::default()));
    let plugin = host.load(fixture(dir.path(), "check"), None).unwrap();
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let plugin = plugin.clone();
            std::thread::spawn(move || {
                let text = "y".repeat(i * 37);
                let expected = i64::try_from(text.len() + 4).unwrap();
                let len = plugin
                    .call("input_length", &[TypedValue::String(text)])
                    .unwrap();
                assert_eq!(len, TypedValue::Int(expected));
                let section = if i % 2 == 0 { "[]" } else { "[{}]" };
                let findings = plugin.run_check(&files_section(section)).unwrap();
                assert_eq!(findings.len(), i % 2);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
