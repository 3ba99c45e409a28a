//! `check`, `fmt`, `eval`, `test` and `schema` on the shipped packs and on
//! broken input.

use crate::support::{winspect, write};

const SAMPLE: &str = "tests/inventories/servercore-ltsc2019-iis.json";

#[test]
fn shipped_packs_and_policies_check_clean() {
    let run = winspect(&["check", "rules", "policies"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("0 errors, 0 warnings"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_typo_is_reported_with_its_place_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "pack/a.rules",
        "pack \"a\" version \"1.0.0\"\nrule A-1 {\n  title \"t\"\n  severity high\n  for s in iis.sites where s.directory_brows {\n    report \"{s.name}\"\n  }\n}\n",
    );
    let run = winspect(&["check", &file]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!("--> {file}:5:30")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`IisSite` has no field `directory_brows`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `directory_browse`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("for s in iis.sites where s.directory_brows {"),
        "the code frame: {}",
        run.stderr
    );

    let json = winspect(&["check", "--error-format", "json", &file]);
    assert_eq!(json.code, 1);
    let items: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let first = &items[0];
    assert_eq!(first["file"], file.as_str());
    assert_eq!(first["line"], 5);
    assert_eq!(first["column"], 30);
    assert_eq!(first["severity"], "error");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("directory_brows")
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "w.rules",
        "pack \"w\" version \"1.0.0\"\nlet unused = 1\n",
    );
    assert_eq!(winspect(&["check", &file]).code, 0);
    assert_eq!(winspect(&["check", "--deny-warnings", &file]).code, 1);
}

#[test]
fn unreadable_paths_are_errors_with_exit_2() {
    let run = winspect(&["check", "no/such/pack"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`no/such/pack` cannot be read"),
        "{}",
        run.stderr
    );
}

#[test]
fn eval_applies_the_policy_and_reports_json() {
    let run = winspect(&[
        "eval",
        "--inventory",
        SAMPLE,
        "--rules",
        "rules",
        "--policy",
        "policies/production.policy",
        "--format",
        "json",
        "--now",
        "2026-11-28",
    ]);
    assert_eq!(run.code, 1, "denied by policy: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["decision"], "deny");
    let findings = report["findings"].as_array().unwrap();
    let cve = findings
        .iter()
        .find(|f| f["rule"] == "CVE-2022-21907")
        .unwrap();
    assert_eq!(cve["severity"], "critical");
    assert_eq!(cve["verdict"], "deny");
    assert_eq!(
        cve["facts"][0]["layer"],
        "sha256:7d2a5a5e1f0c4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b"
    );
    let browse = findings.iter().find(|f| f["rule"] == "IIS-0001").unwrap();
    assert_eq!(
        browse["message"],
        "site `Default Web Site` lists its directories"
    );
    assert_eq!(browse["verdict"], "warn");

    let no_policy = winspect(&["eval", "--inventory", SAMPLE, "--rules", "rules"]);
    assert_eq!(no_policy.code, 0, "without a policy nothing is denied");
    assert!(
        no_policy.stdout.contains("SEVERITY  RULE"),
        "{}",
        no_policy.stdout
    );
}

#[test]
fn eval_explains_why() {
    let run = winspect(&[
        "eval",
        "--inventory",
        SAMPLE,
        "--rules",
        "rules/windows-hardening",
        "--explain",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("TLS-0001 fired 1 time"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("`p.enabled == true`: true == true is true"),
        "{}",
        run.stdout
    );
}

#[test]
fn eval_with_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.json", "{\"iis\": {\"sitez\": []}}");
    let run = winspect(&["eval", "--inventory", &bad, "--rules", "rules"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not a valid inventory") && run.stderr.contains("sitez"),
        "{}",
        run.stderr
    );
    let broken = write(
        dir.path(),
        "broken.rules",
        "pack \"b\" version \"1.0.0\"\nrule {",
    );
    let run = winspect(&["eval", "--inventory", SAMPLE, "--rules", &broken]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn test_runs_pack_tests_and_shows_diffs() {
    let run = winspect(&["test", "rules"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("0 failed"), "{}", run.stdout);

    let dir = tempfile::tempdir().unwrap();
    let pack = write(
        dir.path(),
        "p/p.rules",
        "pack \"p\" version \"1.0.0\"\nrule R { title \"t\" severity low when iis.installed { report \"iis is here\" } }\nrule Q { title \"q\" severity low when false { report \"never\" } }\ntest \"wrong message\" {\n  inventory { \"iis\": { \"installed\": true } }\n  expect R \"iis is there\"\n}\n",
    );
    let run = winspect(&["test", &pack]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("FAIL p / wrong message"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("- expected R \"iis is there\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+ unexpected R \"iis is here\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("rules without a test that expects them:\n  p / Q"),
        "{}",
        run.stdout
    );

    let none = write(dir.path(), "n/n.rules", "pack \"n\" version \"1.0.0\"\n");
    let run = winspect(&["test", &none]);
    assert_eq!(run.code, 1, "no test ran: {}", run.stdout);
    assert!(run.stdout.contains("no test ran"), "{}", run.stdout);
}

#[test]
fn fmt_formats_in_place_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "f.rules",
        "pack  \"f\"  version \"1.0.0\"\nrule A {severity low title \"t\" when true {report \"x\"}}",
    );
    let check = winspect(&["fmt", "--check", &file]);
    assert_eq!(check.code, 1);
    assert!(check.stdout.contains("is not formatted"));
    assert_eq!(winspect(&["fmt", &file]).code, 0);
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        formatted,
        "pack \"f\" version \"1.0.0\"\n\nrule A {\n  title \"t\"\n  severity low\n  when true {\n    report \"x\"\n  }\n}\n"
    );
    assert_eq!(winspect(&["fmt", "--check", &file]).code, 0);
    assert_eq!(
        winspect(&["fmt", "--check", "rules", "policies"]).code,
        0,
        "shipped files are formatted"
    );
}

#[test]
fn schema_is_the_inventory_json_schema() {
    let run = winspect(&["schema"]);
    assert_eq!(run.code, 0);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["title"], "Inventory");
    assert!(schema["properties"]["iis"].is_object());
}
