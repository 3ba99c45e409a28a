//! Any bytes as a rule file: parse, check, format, and evaluate what checks.
//! Nothing may panic, hang or grow without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winspect_lang::{CheckOptions, EvalOptions, Explain, SourceMap, check, fmt::format_source};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let pack = sources.add_pack("fuzz");
    sources.add_pack_file(pack, "fuzz.rules", text.as_ref());
    let checked = check(&sources, &CheckOptions::default());
    for d in &checked.diagnostics {
        let _ = winspect_lang::render(&sources, d);
    }
    if let Some(program) = checked.program {
        let inventory = winspect_inventory::Inventory::default();
        if let Ok(now) = winspect_inventory::Date::parse("2026-01-01") {
            let options = EvalOptions { now, explain: Explain::All, packs: None };
            let _ = program.evaluate(&program.prepare(&inventory), &options);
        }
    }
    if let Ok(once) = format_source(&text) {
        // Formatting is idempotent on whatever it accepts.
        assert_eq!(format_source(&once).ok().as_deref(), Some(once.as_str()));
    }
});
