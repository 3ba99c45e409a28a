//! The language end to end through its public API: check, evaluate, decide, test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use winspect_inventory::{Date, Inventory};
use winspect_lang::{
    CheckOptions, Checked, EvalOptions, Evaluation, Explain, Level, SourceMap, VerdictKind, check,
    render,
};

const HEADER: &str = "pack \"test\" version \"1.0.0\"\n";

fn checked(files: &[(&str, &str)]) -> (SourceMap, Checked) {
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("test");
    for (path, text) in files {
        sources.add_pack_file(pack, *path, *text);
    }
    let today = Date::parse("2026-11-28").unwrap();
    let result = check(
        &sources,
        &CheckOptions {
            today: Some(today),
            ..CheckOptions::default()
        },
    );
    (sources, result)
}

fn program(text: &str) -> winspect_lang::Program {
    let src = format!("{HEADER}{text}");
    let (sources, result) = checked(&[("test.rules", &src)]);
    if result.program.is_none() {
        let rendered: Vec<String> = result
            .diagnostics
            .iter()
            .map(|d| render(&sources, d))
            .collect();
        panic!("{}", rendered.join("\n"));
    }
    result.program.unwrap()
}

fn errors(text: &str) -> Vec<String> {
    let src = format!("{HEADER}{text}");
    let (sources, result) = checked(&[("test.rules", &src)]);
    result
        .diagnostics
        .iter()
        .map(|d| render(&sources, d))
        .collect()
}

fn run(program: &winspect_lang::Program, inventory: &str) -> Evaluation {
    let inv = Inventory::from_json(inventory).unwrap();
    let options = EvalOptions {
        now: Date::parse("2026-11-28").unwrap(),
        explain: Explain::None,
        packs: None,
    };
    program.evaluate(&program.prepare(&inv), &options)
}

const IIS_RULE: &str = r#"
rule IIS-0001 {
  title    "IIS lists directory contents"
  severity medium
  controls ["CIS-IIS-10 1.3"]
  for site in iis.sites where site.directory_browse {
    report "site `{site.name}` lists its directories"
    fix powershell "Set-WebConfigurationProperty -PSPath 'IIS:\\Sites\\{site.name}' -Filter system.webServer/directoryBrowse -Name enabled -Value False"
  }
}
"#;

const SITES: &str = r#"{"iis": {"installed": true, "sites": [
    {"name": "Default Web Site", "directory_browse": false, "layer": "sha256:aaa"},
    {"name": "files", "directory_browse": true, "layer": "sha256:bbb"}]}}"#;

#[test]
fn a_for_rule_reports_each_matching_item_with_its_layer_and_fix() {
    let p = program(IIS_RULE);
    let result = run(&p, SITES);
    assert_eq!(result.findings.len(), 1);
    let f = &result.findings[0];
    assert_eq!(f.rule, "IIS-0001");
    assert_eq!(f.message, "site `files` lists its directories");
    assert_eq!(f.facts[0].path, "iis.sites[1]");
    assert_eq!(f.facts[0].layer.as_deref(), Some("sha256:bbb"));
    assert_eq!(f.remediation[0].kind, "powershell");
    assert!(
        f.remediation[0].text.contains(r"'IIS:\Sites\files'"),
        "{}",
        f.remediation[0].text
    );
    assert_eq!(f.location.line, 3);
}

#[test]
fn a_typo_in_a_field_names_the_place_and_the_fix() {
    let errs = errors(&IIS_RULE.replace("site.directory_browse", "site.directory_brows"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert!(
        e.starts_with(
            "error[unknown-name]: `IisSite` has no field `directory_brows`\n  --> test.rules:7:"
        ),
        "{e}"
    );
    assert!(e.contains("did you mean `directory_browse`?"), "{e}");
}

#[test]
fn typos_in_names_functions_and_severities_suggest_the_right_word() {
    let errs = errors(
        "rule A { title \"t\" severity hihg when lowr(windwos.product_name) == \"x\" { report \"x\" } }",
    );
    let all = errs.join("\n");
    assert!(all.contains("did you mean `high`?"), "{all}");
    assert!(all.contains("did you mean `lower`?"), "{all}");
    assert!(all.contains("did you mean `windows`?"), "{all}");
    assert_eq!(errs.len(), 3, "{all}");
}

#[test]
fn impossible_comparisons_are_errors() {
    let cases = [
        (
            "windows.build == \"17763\"",
            "cannot compare a number with a string",
        ),
        ("windows.version < \"10.0.x\"", "not a windows version"),
        (
            "any(b in iis.sites where any(x in b.bindings where x.port > 70000))",
            "can never hold",
        ),
        (
            "windows.version < dotnet.framework.release",
            "cannot compare",
        ),
        ("iis.installed < true", "has no order"),
        (
            "windows.version < semver(\"1.0.0\")",
            "cannot compare a windows version with a semver version",
        ),
    ];
    for (condition, expected) in cases {
        let errs = errors(&format!(
            "rule A {{ title \"t\" severity low when {condition} {{ report \"x\" }} }}"
        ));
        assert!(
            errs.iter().any(|e| e.contains(expected)),
            "{condition}: {errs:#?}"
        );
    }
}

#[test]
fn unused_bindings_and_constant_conditions_are_warnings() {
    let src = format!(
        "{HEADER}rule A {{ title \"t\" severity low let unused = 1 when 1 < 2 {{ report \"x\" }} }}"
    );
    let (_, result) = checked(&[("a.rules", &src)]);
    assert!(result.program.is_some());
    let warnings: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .map(|d| d.message.as_str())
        .collect();
    assert!(warnings.contains(&"`unused` is never used"), "{warnings:?}");
    assert!(
        warnings.contains(&"this condition is always true"),
        "{warnings:?}"
    );
}

#[test]
fn duplicate_ids_across_files_and_missing_parts_are_reported_together() {
    let a = format!("{HEADER}rule A {{ title \"t\" severity low when true {{ report \"x\" }} }}");
    let b = "rule A { severity low when iis.installed { report \"x\" } }\nadvisory CVE-1 { title \"t\" }";
    let (sources, result) = checked(&[("a.rules", &a), ("b.rules", b)]);
    let all: Vec<String> = result
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| render(&sources, d))
        .collect();
    let text = all.join("\n");
    assert!(text.contains("`A` is defined twice"), "{text}");
    assert!(text.contains("first defined at a.rules:2:6"), "{text}");
    assert!(text.contains("rule `A` has no `title`"), "{text}");
    assert!(text.contains("advisory `CVE-1` affects nothing"), "{text}");
    assert!(
        text.contains("advisory `CVE-1` has no `severity`"),
        "{text}"
    );
}

#[test]
fn packs_need_one_header_and_a_language_they_can_use() {
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("rules/x");
    sources.add_pack_file(
        pack,
        "x.rules",
        "rule A { title \"t\" severity low when true { report \"x\" } }",
    );
    let result = check(&sources, &CheckOptions::default());
    assert!(
        result
            .diagnostics
            .iter()
            .any(|d| d.message == "pack `rules/x` has no `pack` header")
    );
    let errs = errors("").join("");
    assert!(errs.is_empty(), "{errs}");
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("p");
    sources.add_pack_file(
        pack,
        "x.rules",
        "pack \"p\" version \"1.0.0\" requires winspect \">= 9.0\"",
    );
    let result = check(&sources, &CheckOptions::default());
    assert!(
        result
            .diagnostics
            .iter()
            .any(|d| d.message.contains("requires winspect `>= 9.0`")),
        "{:?}",
        result.diagnostics
    );
}

#[test]
fn versions_compare_by_their_own_rules() {
    let p = program(
        r#"
rule NET-OLD {
  title "old runtime"
  severity high
  for rt in dotnet.runtimes where rt.framework == "Microsoft.NETCore.App" and rt.version < "8.0.11" {
    report "{rt.framework} {rt.version}"
  }
}
rule PWSH {
  title "preview pwsh"
  severity low
  for p in powershell.installs where p.version < "7.4.0" { report "{p.version}" }
}
"#,
    );
    let result = run(
        &p,
        r#"{"dotnet": {"runtimes": [
            {"framework": "Microsoft.NETCore.App", "version": "8.0.2"},
            {"framework": "Microsoft.NETCore.App", "version": "8.0.11"},
            {"framework": "Microsoft.NETCore.App", "version": "8.0.11-rc.1.24431.7"},
            {"framework": "Microsoft.NETCore.App", "version": "10.0.0"}]},
            "powershell": {"installs": [{"version": "7.4.0-rc.1"}, {"version": "7.4.0"}]}}"#,
    );
    let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Microsoft.NETCore.App 8.0.2",
            "Microsoft.NETCore.App 8.0.11-rc.1.24431.7",
            "7.4.0-rc.1"
        ]
    );
}

#[test]
fn quantifiers_lets_strings_and_lists() {
    let p = program(
        r#"
let legacy = ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"]

rule TLS-LEGACY {
  title "legacy protocol enabled"
  severity high
  let enabled = count(p in schannel.protocols where p.name in legacy and p.side == "Server" and p.enabled == true)
  when enabled > 0 and not any(p in schannel.protocols where p.name == "TLS 1.3") {
    report "{enabled} legacy protocol(s) enabled: {join(legacy, '/')}"
  }
}
rule SVC {
  title "services as LocalSystem"
  severity low
  for s in services where lower(s.account) == "localsystem" and s.start_type != "disabled" and s.image_path matches r"(?i)\\inetsrv\\" {
    report "{s.name}"
  }
}
rule FILES {
  title "dlls in Program Files"
  severity info
  when count(f in files where f.path glob "Program Files/**/*.dll") >= 2 and file_exists(r"C:\Windows\System32\KERNEL32.dll") {
    report "many dlls"
  }
}
"#,
    );
    let result = run(
        &p,
        r#"{"schannel": {"protocols": [
              {"name": "TLS 1.0", "side": "Server", "enabled": true},
              {"name": "TLS 1.1", "side": "Server"},
              {"name": "TLS 1.2", "side": "Server", "enabled": true}]},
            "services": [
              {"name": "W3SVC", "account": "LocalSystem", "start_type": "auto", "image_path": "C:\\Windows\\system32\\inetsrv\\svchost.exe"},
              {"name": "WAS", "account": "LocalSystem", "start_type": "disabled", "image_path": "C:\\Windows\\system32\\inetsrv\\x.exe"},
              {"name": "Dnscache", "account": "NT AUTHORITY\\NetworkService", "start_type": "auto", "image_path": "x"}],
            "files": [
              {"path": "Program Files/App/a.DLL"}, {"path": "Program Files/App/sub/b.dll"},
              {"path": "Program Files/c.exe"}, {"path": "Windows/System32/kernel32.dll"}]}"#,
    );
    let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "1 legacy protocol(s) enabled: SSL 2.0/SSL 3.0/TLS 1.0/TLS 1.1",
            "W3SVC",
            "many dlls"
        ]
    );
    // A `when` finding names the records its condition read.
    let tls = &result.findings[0];
    assert!(
        tls.facts.iter().any(|f| f.path == "schannel"),
        "{:?}",
        tls.facts
    );
}

#[test]
fn registry_lookups_are_typed_and_declared_ahead() {
    let p = program(
        r#"
rule LSA-PPL {
  title "LSA protection off"
  severity medium
  let ppl = registry(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa", "RunAsPPL")
  when default(ppl.number, 0) != 1 {
    report "RunAsPPL is {default(ppl.data, 'unset')}"
  }
}
"#,
    );
    assert_eq!(
        p.registry_requests(),
        [(
            r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa".to_owned(),
            Some("RunAsPPL".to_owned())
        )]
    );
    let found = run(
        &p,
        r#"{"registry": [{"path": "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa", "name": "runasppl", "kind": "REG_DWORD", "data": "0", "number": 0, "layer": "sha256:ccc"}]}"#,
    );
    assert_eq!(found.findings[0].message, "RunAsPPL is 0");
    assert_eq!(
        found.findings[0].facts[0].layer.as_deref(),
        Some("sha256:ccc")
    );
    assert_eq!(run(&p, "{}").findings[0].message, "RunAsPPL is unset");
    let ok = run(
        &p,
        r#"{"registry": [{"path": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa", "name": "RunAsPPL", "number": 1}]}"#,
    );
    assert!(ok.findings.is_empty());

    let errs = errors(
        "rule A { title \"t\" severity low let k = \"HKLM\" when exists(registry(k, \"x\")) { report \"x\" } }",
    );
    assert!(
        errs.iter().any(|e| e.contains("must be constant strings")),
        "{errs:#?}"
    );
}

const ADVISORIES: &str = r#"
advisory CVE-2022-21907 {
  title "HTTP Protocol Stack Remote Code Execution Vulnerability"
  cvss 9.8 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
  published 2022-01-11
  affects windows 17763 below 2452 fixed_by KB5009557
  affects windows 20348 below 469 fixed_by KB5009555
}
advisory CVE-2024-21319 {
  title ".NET Denial of Service"
  severity medium
  published 2024-01-09
  affects dotnet "Microsoft.AspNetCore.App" ">= 6.0.0, < 6.0.26 || >= 8.0.0, < 8.0.1" fixed_by "8.0.1"
}
advisory GHSA-5crp-9r3c-p9vr {
  title "Newtonsoft.Json deep nesting DoS"
  severity high
  affects nuget "newtonsoft.json" "< 13.0.1" fixed_by "13.0.1"
}
advisory CVE-2020-0601 {
  title "CryptoAPI spoofing"
  cvss 8.1
  exploited true
  affects file r"C:\Windows\System32\crypt32.dll" ">= 10.0.17763.0, < 10.0.17763.973"
  fix text "install the January 2020 cumulative update"
}
"#;

#[test]
fn advisories_match_by_build_runtime_package_and_file() {
    let p = program(ADVISORIES);
    let result = run(
        &p,
        r#"{"windows": {"build": 17763, "ubr": 2000, "layer": "sha256:base"},
            "dotnet": {
              "runtimes": [{"framework": "Microsoft.AspNetCore.App", "version": "8.0.0"},
                           {"framework": "Microsoft.AspNetCore.App", "version": "7.0.3"}],
              "packages": [{"name": "Newtonsoft.Json", "version": "12.0.3", "deps_file": "app/App.deps.json", "layer": "sha256:app"}]},
            "files": [{"path": "Windows/System32/crypt32.dll", "file_version": "10.0.17763.1"}]}"#,
    );
    let got: Vec<(&str, &str)> = result
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(
        got[0],
        (
            "CVE-2022-21907",
            "Windows 10.0.17763.2000 is affected by CVE-2022-21907; fixed in 10.0.17763.2452 by KB5009557"
        )
    );
    assert_eq!(
        result.findings[0].severity,
        winspect_lang::Severity::Critical
    );
    assert_eq!(
        result.findings[0].facts[0].layer.as_deref(),
        Some("sha256:base")
    );
    assert!(
        got[1]
            .1
            .starts_with("runtime Microsoft.AspNetCore.App 8.0.0 is affected by CVE-2024-21319"),
        "{}",
        got[1].1
    );
    assert_eq!(
        result.findings[2].facts[0].layer.as_deref(),
        Some("sha256:app")
    );
    assert_eq!(got[3].0, "CVE-2020-0601");
    assert!(result.findings[3].exploited);
    assert_eq!(
        result.findings[3].remediation[0].text,
        "install the January 2020 cumulative update"
    );

    let patched = run(
        &p,
        r#"{"windows": {"build": 17763, "ubr": 2452}, "files": [{"path": "Windows/System32/crypt32.dll", "file_version": "10.0.17763.973"}]}"#,
    );
    assert!(patched.findings.is_empty(), "{:#?}", patched.findings);
}

#[test]
fn bad_advisory_ranges_are_reported_at_the_range() {
    let errs = errors(
        "advisory X { title \"t\" severity low affects dotnet \"A\" \">= 6.0.0, <\" affects nugget \"B\" \"< 1\" }",
    );
    let all = errs.join("\n");
    assert!(all.contains("not a dotnet version"), "{all}");
    assert!(all.contains("did you mean `nuget`?"), "{all}");
}

const POLICY: &str = r#"
policy production {
  deny when finding.severity >= high and finding.age > 30d because "high-severity fixes older than 30 days"
  deny when finding.exploited
  warn when finding.severity >= medium
  waive CVE-2024-21319 until 2027-01-31 because "no public endpoint"
  waive GHSA-5crp-9r3c-p9vr until 2025-01-01 because "expired long ago"
}
"#;

#[test]
fn policies_decide_with_ages_and_waivers() {
    let p = program(&format!("{ADVISORIES}{POLICY}"));
    let inv = Inventory::from_json(
        r#"{"windows": {"build": 17763, "ubr": 2000},
            "dotnet": {"runtimes": [{"framework": "Microsoft.AspNetCore.App", "version": "8.0.0"}],
                       "packages": [{"name": "Newtonsoft.Json", "version": "12.0.3"}]}}"#,
    )
    .unwrap();
    let prepared = p.prepare(&inv);
    let now = Date::parse("2026-11-28").unwrap();
    let eval = p.evaluate(
        &prepared,
        &EvalOptions {
            now,
            explain: Explain::None,
            packs: None,
        },
    );
    let decision = p
        .decide("production", &eval.findings, Some(&prepared), now)
        .unwrap();
    assert!(decision.denied);
    let verdicts: Vec<Option<VerdictKind>> = decision.outcomes.iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Some(VerdictKind::Deny),
            Some(VerdictKind::Warn),
            Some(VerdictKind::Warn)
        ]
    );
    assert!(decision.outcomes[1].waived.is_some());
    assert!(
        decision.outcomes[2].waived.is_none(),
        "an expired waiver does not apply"
    );
    assert_eq!(decision.expired_waivers[0].id, "GHSA-5crp-9r3c-p9vr");
    assert_eq!(
        decision.outcomes[0].because.as_deref(),
        Some("high-severity fixes older than 30 days")
    );

    // Before day 31 the Windows finding is only a warning; nothing is denied.
    let early = Date::parse("2022-01-20").unwrap();
    let decision = p
        .decide("production", &eval.findings, Some(&prepared), early)
        .unwrap();
    assert!(!decision.denied, "{decision:#?}");
    assert!(
        p.decide("staging", &eval.findings, None, now)
            .unwrap_err()
            .to_string()
            .contains("`production`")
    );
}

#[test]
fn waivers_of_unknown_ids_and_expired_waivers_are_reported() {
    let src = format!(
        "{HEADER}{ADVISORIES}{POLICY}policy other {{ waive CVE-2022-2190 until 2030-01-01 because \"x\" }}"
    );
    let (sources, result) = checked(&[("a.rules", &src)]);
    let text: Vec<String> = result
        .diagnostics
        .iter()
        .map(|d| render(&sources, d))
        .collect();
    let text = text.join("\n");
    assert!(
        text.contains("no rule or advisory is named `CVE-2022-2190`"),
        "{text}"
    );
    assert!(text.contains("did you mean `CVE-2022-21907`?"), "{text}");
    assert!(
        text.contains(
            "warning[expired]: the waiver of `GHSA-5crp-9r3c-p9vr` expired on 2025-01-01"
        ),
        "{text}"
    );
}

#[test]
fn rule_tests_pass_fail_and_list_untested_rules() {
    let src = format!(
        "{HEADER}{IIS_RULE}
rule OTHER {{ title \"t\" severity low when iis.installed {{ report \"iis\" }} }}
test \"browsing\" {{
  inventory {{ \"iis\": {{ \"sites\": [ {{ \"name\": \"a\", \"directory_browse\": true }} ] }} }}
  expect IIS-0001 \"site `a` lists its directories\"
}}
test \"wrong\" {{
  inventory {{ \"iis\": {{ \"installed\": true }} }}
  expect IIS-0001
}}
test \"clean\" {{
  inventory {{}}
  expect nothing
}}
"
    );
    let (sources, result) = checked(&[("a.rules", &src)]);
    let program = result.program.unwrap_or_else(|| {
        panic!(
            "{:?}",
            result
                .diagnostics
                .iter()
                .map(|d| render(&sources, d))
                .collect::<Vec<_>>()
        )
    });
    let report = program.run_tests(Date::parse("2026-11-28").unwrap());
    let outcome: Vec<(&str, bool)> = report
        .cases
        .iter()
        .map(|c| (c.name.as_str(), c.passed))
        .collect();
    assert_eq!(
        outcome,
        [("browsing", true), ("wrong", false), ("clean", true)]
    );
    assert_eq!(report.cases[1].missing, ["IIS-0001"]);
    assert_eq!(report.cases[1].unexpected, ["OTHER \"iis\""]);
    assert_eq!(report.untested, [("test".to_owned(), "OTHER".to_owned())]);
    assert!(!report.passed());
}

#[test]
fn test_inventories_are_checked_against_the_schema() {
    let errs = errors(&format!(
        "{IIS_RULE}test \"t\" {{ inventory {{ \"iis\": {{ \"sitez\": [] }} }} expect IIS-0001 }}"
    ));
    assert!(
        errs.iter()
            .any(|e| e.contains("this inventory cannot be read") && e.contains("sitez")),
        "{errs:#?}"
    );
}

#[test]
fn explain_shows_the_values_each_condition_compared() {
    let p = program(
        r#"
rule OS-OLD {
  title "old"
  severity high
  when windows.build == 17763 and windows.ubr < 2452 { report "old" }
}
rule IIS-0001 {
  title "browse"
  severity low
  for site in iis.sites where site.directory_browse and site.name != "x" { report "{site.name}" }
}
"#,
    );
    let inv = Inventory::from_json(&SITES.replace(
        "}]}}",
        "}]}, \"windows\": {\"build\": 17763, \"ubr\": 2000}}",
    ))
    .unwrap();
    let now = Date::parse("2026-11-28").unwrap();
    let all = p.evaluate(
        &p.prepare(&inv),
        &EvalOptions {
            now,
            explain: Explain::All,
            packs: None,
        },
    );
    let os = all
        .explanations
        .iter()
        .find(|e| e.rule == "OS-OLD")
        .unwrap();
    let text = os.lines.join("\n");
    assert!(
        text.contains("when `windows.build == 17763 and windows.ubr < 2452` is true"),
        "{text}"
    );
    assert!(
        text.contains("`windows.ubr < 2452`: 2000 < 2452 is true"),
        "{text}"
    );
    let iis = all
        .explanations
        .iter()
        .find(|e| e.rule == "IIS-0001")
        .unwrap();
    let text = iis.lines.join("\n");
    assert!(
        text.contains(
            "for site in `iis.sites` where site.directory_browse and site.name != \"x\": 2 items"
        ),
        "{text}"
    );
    assert!(
        text.contains("`site.name != \"x\"`: \"files\" != \"x\" is true"),
        "{text}"
    );
    assert!(text.contains("reports: files"), "{text}");
    let fired = p.evaluate(
        &p.prepare(&inv),
        &EvalOptions {
            now,
            explain: Explain::Fired,
            packs: None,
        },
    );
    assert_eq!(fired.explanations.len(), 2);
    assert_eq!(fired.findings, all.findings);
}

#[test]
fn dates_durations_and_arithmetic() {
    let p = program(
        r#"
rule OLD-IMAGE {
  title "image older than a year"
  severity low
  when exists(image.created) and now() - image.created > 365d { report "built {image.created}, {now() - image.created} ago" }
}
"#,
    );
    let result = run(&p, r#"{"image": {"created": "2024-06-01T10:00:00Z"}}"#);
    assert_eq!(result.findings[0].message, "built 2024-06-01, 910d ago");
    assert!(
        run(&p, r#"{"image": {"created": "2026-06-01"}}"#)
            .findings
            .is_empty()
    );
    assert!(run(&p, "{}").findings.is_empty());
}

#[test]
fn pack_filters_limit_evaluation() {
    let mut sources = SourceMap::new();
    for name in ["a", "b"] {
        let pack = sources.add_pack(name);
        sources.add_pack_file(pack, format!("{name}.rules"), format!("pack \"{name}\" version \"1.0.0\"\nrule R-{name} {{ title \"t\" severity low when true {{ report \"{name}\" }} }}"));
    }
    let program = check(&sources, &CheckOptions::default()).program.unwrap();
    let inv = program.prepare(&Inventory::default());
    let now = Date::parse("2026-01-01").unwrap();
    let only_b = program.evaluate(
        &inv,
        &EvalOptions {
            now,
            explain: Explain::None,
            packs: Some(vec!["b".into()]),
        },
    );
    assert_eq!(only_b.findings.len(), 1);
    assert_eq!(only_b.findings[0].pack, "b");
}

#[test]
fn membership_takes_the_type_of_its_item() {
    let p = program(
        r#"
rule IN-VERSIONS {
  title "known bad runtime builds"
  severity high
  for rt in dotnet.runtimes where rt.version in ["6.0.1", "8.0.0-rc.1"] and not (["x", "y"] contains rt.framework) {
    report "{rt.version}"
  }
}
policy strict { deny when finding.severity in ["high", "critical"] }
"#,
    );
    let inv = r#"{"dotnet": {"runtimes": [{"framework": "a", "version": "6.0.01"}, {"framework": "b", "version": "8.0.0-RC.1"}, {"framework": "c", "version": "6.0.2"}]}}"#;
    let result = run(&p, inv);
    let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["6.0.01", "8.0.0-RC.1"],
        "NuGet versions compare numerically and case-insensitively"
    );
    let decision = p
        .decide(
            "strict",
            &result.findings,
            None,
            Date::parse("2026-01-01").unwrap(),
        )
        .unwrap();
    assert!(decision.denied);
    let errs = errors(
        r#"rule A { title "t" severity low for rt in dotnet.runtimes where rt.version in ["six"] { report "x" } }"#,
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("`six` is not a dotnet version")),
        "{errs:#?}"
    );
}
