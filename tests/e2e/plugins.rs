//! WebAssembly plugins from a pack: the shipped example built from this
//! repository's sources, a changed module refused by its pin, and a hostile
//! module stopped at its deadline while the rest of the evaluation goes on.

use sha2::{Digest, Sha256};

use crate::support::{root, winspect_env, write};

fn dist(name: &str) -> (String, String) {
    let path = root().join("wasm-plugins/dist").join(name);
    let bytes = std::fs::read(&path).unwrap();
    (
        path.canonicalize().unwrap().display().to_string(),
        hex::encode(Sha256::digest(&bytes)),
    )
}

const INVENTORY: &str = r#"{"iis": {"web_configs": [
  {"path": "inetpub/wwwroot/web.config", "debug": true, "custom_errors": "RemoteOnly", "target_framework": "4.5", "version_header": false, "layer": "sha256:app"},
  {"path": "admin/web.config", "debug": false, "custom_errors": "RemoteOnly", "target_framework": "4.8", "version_header": false}]}}"#;

fn pack(dir: &std::path::Path, path: &str, sha: &str) -> String {
    write(
        dir,
        "pack/web.rules",
        &format!(
            r#"pack "web" version "1.0.0"

plugin webconfig {{
  path "{path}"
  sha256 "{sha}"
}}

rule WEB-AUDIT {{
  title "web.config audit by plugin"
  severity medium
  check webconfig
}}

rule WEB-OLD-FRAMEWORK {{
  title "application targets an old .NET Framework"
  severity low
  for c in iis.web_configs where webconfig.target_framework_version(c.target_framework) < "4.8" {{
    report "{{c.path}} targets .NET Framework {{c.target_framework}}"
  }}
}}
"#
        ),
    );
    dir.join("pack").display().to_string()
}

#[test]
fn a_pinned_plugin_runs_as_a_check_and_as_a_function() {
    let dir = tempfile::tempdir().unwrap();
    let (wasm, sha) = dist("webconfig-audit.wasm");
    let pack = pack(dir.path(), &wasm, &sha);
    let inventory = write(dir.path(), "inv.json", INVENTORY);
    let cache = dir.path().join("cache").display().to_string();
    let env = [("WINSPECT_CACHE_DIR", cache.as_str())];
    let run = winspect_env(
        &[
            "eval",
            "--inventory",
            &inventory,
            "--rules",
            &pack,
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(findings[0].0, "WEB-AUDIT");
    assert!(
        findings[0]
            .1
            .contains("`inetpub/wwwroot/web.config` compiles with debug=\"true\""),
        "{}",
        findings[0].1
    );
    assert_eq!(report["findings"][0]["facts"][0]["layer"], "sha256:app");
    assert_eq!(
        findings[1],
        (
            "WEB-OLD-FRAMEWORK".to_owned(),
            "inetpub/wwwroot/web.config targets .NET Framework 4.5".to_owned()
        )
    );
    // The second run loads the compiled module from the cache and agrees.
    let again = winspect_env(
        &[
            "eval",
            "--inventory",
            &inventory,
            "--rules",
            &pack,
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn a_changed_module_is_refused_by_its_pin() {
    let dir = tempfile::tempdir().unwrap();
    let (wasm, sha) = dist("webconfig-audit.wasm");
    let wrong = format!("{}{}", &sha[..60], "0000");
    let pack = pack(dir.path(), &wasm, &wrong);
    let cache = dir.path().join("cache").display().to_string();
    let run = winspect_env(&["check", &pack], &[("WINSPECT_CACHE_DIR", cache.as_str())]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("plugin `webconfig` cannot be loaded"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("webconfig-audit.wasm"),
        "names the file: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&sha) && run.stderr.contains(&wrong),
        "both hashes: {}",
        run.stderr
    );
}

#[test]
fn a_hostile_plugin_is_stopped_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("engine/plugins/tests/fixtures");
    let body = std::fs::read_to_string(fixtures.join("infinite_loop.wat")).unwrap();
    let prelude = std::fs::read_to_string(fixtures.join("prelude.wat")).unwrap();
    let wasm = wat::parse_str(format!("(module {body} {prelude})")).unwrap();
    let sha = hex::encode(Sha256::digest(&wasm));
    std::fs::write(dir.path().join("loop.wasm"), &wasm).unwrap();
    let pack = write(
        dir.path(),
        "pack/hostile.rules",
        &format!(
            "pack \"hostile\" version \"1.0.0\"\nplugin spin {{\n  path \"../loop.wasm\"\n  sha256 \"{sha}\"\n}}\nrule SPIN {{ title \"spins\" severity high check spin }}\nrule FINE {{ title \"fine\" severity low when true {{ report \"still evaluated\" }} }}\n"
        ),
    );
    let inventory = write(dir.path(), "inv.json", "{}");
    let cache = dir.path().join("cache").display().to_string();
    let run = winspect_env(
        &[
            "eval",
            "--inventory",
            &inventory,
            "--rules",
            &pack,
            "--format",
            "json",
        ],
        &[
            ("WINSPECT_CACHE_DIR", cache.as_str()),
            ("WINSPECT_PLUGIN_DEADLINE", "200ms"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings[0]["rule"], "SPIN");
    assert_eq!(findings[0]["kind"], "error");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("plugin `fixture-loop` could not run its check:"),
        "{message}"
    );
    assert_eq!(findings[1]["message"], "still evaluated");
}
