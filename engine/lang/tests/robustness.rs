//! Any bytes as a rule file give diagnostics, never a panic or a hang; and
//! formatting keeps meaning on whatever parses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use winspect_lang::{CheckOptions, SourceMap, check, fmt::format_source};

/// Real packs to mutate: the shipped ones.
fn seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut texts = Vec::new();
    for entry in walk(&root) {
        texts.push(std::fs::read_to_string(entry).unwrap());
    }
    assert!(!texts.is_empty(), "the shipped packs are the seeds");
    texts
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rules") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn check_text(text: &str) {
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("fuzz");
    sources.add_pack_file(pack, "fuzz.rules", text);
    let checked = check(&sources, &CheckOptions::default());
    // Every diagnostic renders, whatever its span.
    for d in &checked.diagnostics {
        let _ = winspect_lang::render(&sources, d);
        let _ = winspect_lang::JsonDiagnostic::new(&sources, d);
    }
    if let Some(program) = checked.program {
        let inventory = winspect_inventory::Inventory::default();
        let options = winspect_lang::EvalOptions {
            now: winspect_inventory::Date::parse("2026-01-01").unwrap(),
            explain: winspect_lang::Explain::All,
            packs: None,
        };
        let _ = program.evaluate(&program.prepare(&inventory), &options);
    }
}

/// Tokens that make mutations likely to reach deep into the grammar.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    "r\"",
    "r#\"",
    "\\",
    "#",
    "\n",
    " and ",
    " or ",
    " not ",
    " in ",
    "==",
    "<",
    ">=",
    " matches ",
    " glob ",
    "any(",
    "count(x in ",
    "for x in ",
    "when ",
    "report \"{x}\"",
    "{{",
    "}}",
    "{",
    "rule A {",
    "advisory B {",
    "policy p {",
    "test \"t\" {",
    "let y = ",
    "30d",
    "2024-02-30",
    "9999999999999999999999",
    "1.5",
    ".",
    "windows.ubr",
    "iis.sites",
    "registry(\"HKLM\\\\X\", \"Y\")",
    "\u{feff}",
    "é",
    "\u{0}",
    "affects windows 1 below 2",
    "waive A until 2020-01-01 because \"x\"",
];

fn mutate(seed: &str, ops: &[(usize, usize, usize)]) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for &(kind, at, token) in ops {
        let at = if text.is_empty() {
            0
        } else {
            at % (text.len() + 1)
        };
        match kind % 3 {
            0 => {
                let t = TOKENS[token % TOKENS.len()];
                for (i, c) in t.chars().enumerate() {
                    text.insert(at + i, c);
                }
            }
            1 => {
                let end = (at + token % 12).min(text.len());
                text.drain(at..end);
            }
            _ => {
                if at < text.len() {
                    let alphabet = b"{}()[]\"'#\\.=<>, \nax0";
                    text[at] = char::from(alphabet[token % alphabet.len()]);
                }
            }
        }
    }
    text.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup_never_panics(tokens in prop::collection::vec(0..TOKENS.len(), 0..80)) {
        let text: String = tokens.iter().map(|&t| TOKENS[t]).collect();
        check_text(&text);
    }

    #[test]
    fn mutated_real_packs_never_panic_and_format_faithfully(
        seed in 0usize..64,
        ops in prop::collection::vec((0usize..3, 0usize..100_000, 0usize..1000), 1..6),
    ) {
        let seeds = seeds();
        let text = mutate(&seeds[seed % seeds.len()], &ops);
        check_text(&text);
        if let Ok(once) = format_source(&text) {
            let twice = format_source(&once).expect("formatted text parses");
            prop_assert_eq!(&twice, &once, "formatting is idempotent");
            prop_assert_eq!(shape(&once), shape(&text), "formatting keeps meaning");
        }
    }
}

/// The parse tree of a text with positions erased.
fn shape(text: &str) -> String {
    let parsed = winspect_lang::syntax::parse_file(winspect_lang::FileId(0), text);
    let debug = format!("{:?}", parsed.items);
    let re = regex::Regex::new(r"Span \{ file: FileId\(\d+\), start: \d+, end: \d+ \}").unwrap();
    re.replace_all(&debug, "Span").into_owned()
}

#[test]
fn every_shipped_file_formats_to_itself() {
    for text in seeds() {
        assert_eq!(format_source(&text).unwrap(), text);
    }
}

#[test]
fn pathological_inputs_finish() {
    let cases = [
        "(".repeat(100_000),
        "[".repeat(100_000),
        "{".repeat(100_000),
        format!("let x = {}", "not ".repeat(50_000)),
        format!("let x = 1{}", " + 1".repeat(20_000)),
        format!("let x = a{}", " or a".repeat(20_000)),
        format!("let x = {}1{}", "-".repeat(20_000), ""),
        "\"".repeat(100_000),
        "r#\"".repeat(10_000),
        format!("rule A {{ title \"{}\" }}", "{".repeat(10_000)),
        format!("test \"t\" {{ inventory {} }}", "{\"a\": ".repeat(10_000)),
        "rule A { title \"t\" severity low when x matches \"(a+)+$\" { report \"x\" } }".to_owned(),
        format!(
            "rule A {{ title \"t\" severity low when \"x\" matches \"{}\" {{ report \"x\" }} }}",
            "a{1000}".repeat(100)
        ),
    ];
    for text in cases {
        check_text(&text);
    }
}
