use super::*;

fn parse(text: &str) -> Parsed {
    parse_file(FileId(0), text)
}

const SAMPLE: &str = r#"
pack "windows-hardening" version "1.0.0" requires winspect ">= 0.1"

# Legacy protocols nobody should serve.
let legacy = ["SSL 2.0", "SSL 3.0", "TLS 1.0"]

rule IIS-0001 {
  title    "IIS lists directory contents"
  severity medium
  controls ["CIS-IIS-10 1.3", "NIST-800-190 4.4.3"]
  for site in iis.sites where site.directory_browse {
    report "site `{site.name}` lists its directories"
    fix powershell "Set-WebConfigurationProperty -PSPath 'IIS:\\Sites\\{site.name}' -Name enabled -Value False"
  }
}

advisory CVE-2022-21907 {
  title "HTTP Protocol Stack Remote Code Execution Vulnerability"
  cvss 9.8 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
  published 2022-01-11
  affects windows 17763 below 2452 fixed_by KB5009557
  affects nuget "System.Text.Encodings.Web" ">= 4.0.0, < 4.5.1" fixed_by "4.5.1"
}

policy production {
  deny  when finding.severity >= high and finding.age > 30d
  warn  when finding.severity >= medium
  waive CVE-2023-44487 until 2027-01-31 because "HTTP/2 is disabled at the gateway"
}

test "browsing site" {
  inventory { "iis": { "sites": [ { "name": "a", "directory_browse": true } ] } }
  expect IIS-0001 "site `a` lists its directories"
}
"#;

#[test]
fn parses_every_kind_of_item() {
    let parsed = parse(SAMPLE);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.items.len(), 6);
    let Item::Rule(rule) = &parsed.items[2] else {
        panic!()
    };
    assert_eq!(rule.id.name, "IIS-0001");
    assert_eq!(rule.meta.controls.len(), 2);
    let BodyKind::Blocks(blocks) = &rule.body.kind else {
        panic!()
    };
    let Block::For { body, .. } = &blocks[0] else {
        panic!()
    };
    let BodyKind::Action(action) = &body.kind else {
        panic!()
    };
    assert_eq!(action.report.parts.len(), 3);
    assert!(matches!(&action.report.parts[0], MessagePart::Literal(s) if s == "site `"));
    assert!(
        matches!(&action.fixes[0].message.parts[0], MessagePart::Literal(s) if s.contains(r"'IIS:\Sites\"))
    );
    let Item::Policy(policy) = &parsed.items[4] else {
        panic!()
    };
    assert_eq!(policy.items.len(), 3);
}

#[test]
fn and_chains_are_flat_and_precedence_holds() {
    let e = parse_expr(FileId(0), "a and b and c or not d == 1 + 2 * 3").unwrap();
    let ExprKind::Logic(LogicOp::Or, ops) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(matches!(&ops[0].kind, ExprKind::Logic(LogicOp::And, v) if v.len() == 3));
    let ExprKind::Unary(UnaryOp::Not, cmp) = &ops[1].kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Eq, _, sum) = &cmp.kind else {
        panic!()
    };
    assert!(
        matches!(&sum.kind, ExprKind::Binary(BinaryOp::Add, _, prod) if matches!(prod.kind, ExprKind::Binary(BinaryOp::Mul, ..)))
    );
}

#[test]
fn reports_syntax_errors_in_several_items_at_once() {
    let text = "rule A {\n  title \"x\"\n  severity high\n  when windows.build ==\n}\n\nrule B {\n  title\n}\n\nrule C {\n  title \"ok\"\n  severity low\n  when true { report \"fine\" }\n}\n";
    let parsed = parse(text);
    assert_eq!(parsed.diagnostics.len(), 2, "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.items.len(), 1);
    assert!(
        parsed.diagnostics[0].message.starts_with("expected"),
        "{}",
        parsed.diagnostics[0].message
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let parsed = parse(&deep);
    assert_eq!(parsed.diagnostics[0].code, Code::TooDeep);
    let nots = format!("let x = {}true", "not ".repeat(100));
    assert_eq!(parse(&nots).diagnostics[0].code, Code::TooDeep);
    let long = format!("let x = 1{}", " + 1".repeat(5_000));
    assert_eq!(parse(&long).diagnostics[0].code, Code::TooDeep);
    let wide = format!("let x = a{}", " and a".repeat(5_000));
    assert!(parse(&wide).diagnostics.is_empty());
}

#[test]
fn chained_comparisons_and_bad_interpolations_are_reported() {
    assert!(parse_expr(FileId(0), "1 < 2 < 3").is_err());
    let parsed = parse("rule A { title \"t\" severity low when true { report \"a {b\" } }");
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.message.contains("never closed")),
        "{:#?}",
        parsed.diagnostics
    );
    let parsed =
        parse("rule A { title \"t\" severity low when true { report \"{{literal}} {x.}\" } }");
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
}

#[test]
fn repeated_metadata_is_reported() {
    let parsed =
        parse("rule A { title \"a\" title \"b\" severity low when true { report \"x\" } }");
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, Code::Duplicate);
}

#[test]
fn whitespace_and_comments_after_the_last_item_end_the_file() {
    let item = "let a = 1";
    for tail in [
        "",
        "\n",
        "\r\n\t \n",
        "# a comment",
        "# a comment\n",
        "\n# one\n   # two\n\n",
        "# ends in a comment with no newline #",
        "\u{FEFF}\n",
    ] {
        let parsed = parse(&format!("{item}\n{tail}"));
        assert!(
            parsed.diagnostics.is_empty(),
            "{tail:?}: {:#?}",
            parsed.diagnostics
        );
        assert_eq!(parsed.items.len(), 1, "{tail:?}");
    }
    for text in ["", "# only a comment", "\n\n# one\n# two\n"] {
        let parsed = parse(text);
        assert!(
            parsed.items.is_empty() && parsed.diagnostics.is_empty(),
            "{text:?}"
        );
    }
    // Anything else after the last item is still a syntax error.
    for tail in ["}", "# comment\n42", "let"] {
        let parsed = parse(&format!("{item}\n{tail}"));
        assert_eq!(parsed.items.len(), 1, "{tail:?}");
        assert_eq!(
            parsed.diagnostics.len(),
            1,
            "{tail:?}: {:#?}",
            parsed.diagnostics
        );
        assert_eq!(parsed.diagnostics[0].code, Code::Syntax, "{tail:?}");
    }
}

#[test]
fn a_file_of_thousands_of_items_parses_whole() {
    // Parsing was quadratic in the file's length (see `only_trivia`); this is
    // the size where that showed: every item, and nothing else, is read.
    let mut text = String::new();
    for i in 0..3_000 {
        text.push_str(&format!(
            "# advisory {i}\nadvisory CVE-2024-{i} {{\n  title \"t\"\n  cvss 7.5\n  affects windows 17763 below {i} fixed_by KB5{i:06}\n}}\n\n"
        ));
    }
    let parsed = parse(&text);
    assert!(
        parsed.diagnostics.is_empty(),
        "{:#?}",
        parsed.diagnostics.first()
    );
    assert_eq!(parsed.items.len(), 3_000);
}
