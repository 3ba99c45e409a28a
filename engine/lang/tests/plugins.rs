//! Plugins in the language: declared and pinned in a pack, used as a check
//! or as typed functions, failures turned into error findings. The plugin
//! here is an in-process stand-in for the WebAssembly host (tested in
//! `engine/plugins` and end to end in `tests/e2e`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use winspect_inventory::{Date, Inventory, VersionKind};
use winspect_lang::types::Ty;
use winspect_lang::value::Value;
use winspect_lang::{
    CheckOptions, EvalOptions, Explain, FindingKind, PluginFinding, PluginFunction, PluginHandle,
    Severity, SourceMap, check, render,
};

#[derive(Debug)]
struct Fake {
    sections: Vec<String>,
    functions: Vec<PluginFunction>,
    fail: bool,
}

impl PluginHandle for Fake {
    fn name(&self) -> &str {
        "audit"
    }
    fn sections(&self) -> &[String] {
        &self.sections
    }
    fn has_check(&self) -> bool {
        true
    }
    fn functions(&self) -> &[PluginFunction] {
        &self.functions
    }
    fn run_check(&self, sections: &[(String, Arc<[u8]>)]) -> Result<Vec<PluginFinding>, String> {
        if self.fail {
            return Err("timed out after 1s".to_owned());
        }
        let (name, bytes) = &sections[0];
        assert_eq!(name, "iis");
        let iis: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        Ok(iis["web_configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["debug"] == true)
            .map(|c| PluginFinding {
                id: "DEBUG".into(),
                severity: Severity::High,
                message: format!("{} has debug on", c["path"].as_str().unwrap()),
                remediation: Some("turn it off".into()),
                subject: Some(c["path"].as_str().unwrap().into()),
                layer: c["layer"].as_str().map(str::to_owned),
            })
            .collect())
    }
    fn call(&self, function: &str, args: &[Value]) -> Result<Value, String> {
        assert_eq!(function, "framework_version");
        if self.fail {
            return Err("trapped: unreachable".to_owned());
        }
        let text = args[0].as_str().unwrap();
        let v =
            winspect_inventory::Version::parse(VersionKind::Windows, text.trim_start_matches('v'))
                .map_err(|e| e.to_string())?;
        Ok(Value::Version(Arc::new(v)))
    }
}

const PACK: &str = r#"pack "p" version "1.0.0"
plugin audit {
  path "audit.wasm"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
}
rule WEB-AUDIT {
  title "web.config audit"
  severity medium
  check audit
}
rule OLD-FRAMEWORK {
  title "old target framework"
  severity low
  for c in iis.web_configs where audit.framework_version(c.target_framework) < "4.8" {
    report "{c.path} targets {c.target_framework}"
  }
}
"#;

fn load(text: &str, fail: bool) -> (SourceMap, winspect_lang::Checked) {
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("p");
    sources.add_pack_file(pack, "rules/p.rules", text);
    let loader =
        move |naming: &str, path: &str, sha: &str| -> Result<Arc<dyn PluginHandle>, String> {
            assert_eq!(naming, "rules/p.rules");
            if sha.starts_with("bad") {
                return Err(format!("`{path}` has sha256 1234..., not the pinned {sha}"));
            }
            Ok(Arc::new(Fake {
                sections: vec!["iis".into()],
                functions: vec![PluginFunction {
                    name: "framework_version".into(),
                    params: vec![Ty::Str],
                    result: Ty::Version(VersionKind::Windows),
                }],
                fail,
            }))
        };
    let options = CheckOptions {
        load_plugin: Some(&loader),
        ..CheckOptions::default()
    };
    let checked = check(&sources, &options);
    (sources, checked)
}

const INVENTORY: &str = r#"{"iis": {"web_configs": [
    {"path": "a/web.config", "debug": true, "target_framework": "4.5", "layer": "sha256:aa"},
    {"path": "b/web.config", "debug": false, "target_framework": "4.8"}]}}"#;

fn run(program: &winspect_lang::Program) -> winspect_lang::Evaluation {
    let inv = Inventory::from_json(INVENTORY).unwrap();
    let options = EvalOptions {
        now: Date::parse("2026-01-01").unwrap(),
        explain: Explain::None,
        packs: None,
    };
    program.evaluate(&program.prepare(&inv), &options)
}

#[test]
fn a_plugin_check_and_a_typed_plugin_function() {
    let (sources, checked) = load(PACK, false);
    let program = checked.program.unwrap_or_else(|| {
        panic!(
            "{:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| render(&sources, d))
                .collect::<Vec<_>>()
        )
    });
    let result = run(&program);
    let got: Vec<(&str, &str, Severity)> = result
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("WEB-AUDIT", "a/web.config has debug on", Severity::High),
            ("OLD-FRAMEWORK", "a/web.config targets 4.5", Severity::Low)
        ]
    );
    let audit = &result.findings[0];
    assert_eq!(audit.facts[0].path, "a/web.config");
    assert_eq!(audit.facts[0].layer.as_deref(), Some("sha256:aa"));
    assert_eq!(audit.remediation[0].text, "turn it off");
    assert!(audit.tags.contains(&"plugin:audit/DEBUG".to_owned()));
}

#[test]
fn plugin_failures_become_error_findings_and_evaluation_goes_on() {
    let text = format!(
        "{PACK}rule OTHER {{ title \"t\" severity low when true {{ report \"still here\" }} }}"
    );
    let (_, checked) = load(&text, true);
    let result = run(&checked.program.unwrap());
    let got: Vec<(&str, FindingKind, &str)> = result
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.kind, f.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "WEB-AUDIT",
                FindingKind::Error,
                "plugin `audit` could not run its check: timed out after 1s"
            ),
            (
                "OLD-FRAMEWORK",
                FindingKind::Error,
                "plugin `audit` failed in `framework_version`: trapped: unreachable"
            ),
            ("OTHER", FindingKind::Rule, "still here"),
        ]
    );
}

#[test]
fn the_checker_knows_plugin_types_names_and_pins() {
    let cases = [
        (
            PACK.replace(
                "audit.framework_version(c.target_framework) < \"4.8\"",
                "audit.framework_version(c.target_framework) < 4.8",
            ),
            "cannot compare a windows version with a number",
        ),
        (
            PACK.replace(
                "audit.framework_version(c.target_framework)",
                "audit.framework_versoin(c.target_framework)",
            ),
            "did you mean `framework_version`?",
        ),
        (
            PACK.replace(
                "audit.framework_version(c.target_framework)",
                "audit.framework_version(c.debug)",
            ),
            "expected a string, found a boolean",
        ),
        (
            PACK.replace("check audit", "check audti"),
            "did you mean `audit`?",
        ),
        (
            PACK.replace("sha256 \"0000", "sha256 \"bad0"),
            "plugin `audit` cannot be loaded: `audit.wasm` has sha256 1234..., not the pinned bad0",
        ),
        (
            PACK.replace(
                "  sha256 \"0000000000000000000000000000000000000000000000000000000000000000\"\n",
                "",
            ),
            "needs a `path` and a pinned `sha256`",
        ),
    ];
    for (text, expected) in cases {
        let (sources, checked) = load(&text, false);
        let all: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| render(&sources, d))
            .collect();
        assert!(
            all.iter().any(|d| d.contains(expected)),
            "{expected}: {all:#?}"
        );
        assert!(checked.program.is_none());
    }
}

#[test]
fn without_a_loader_a_plugin_is_an_error_and_formatting_keeps_plugins() {
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("p");
    sources.add_pack_file(pack, "p.rules", PACK);
    let checked = check(&sources, &CheckOptions::default());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.message == "plugins cannot be loaded here")
    );
    let formatted = winspect_lang::fmt::format_source(PACK).unwrap();
    assert_eq!(formatted.replace("\n\n", "\n"), PACK);
}
