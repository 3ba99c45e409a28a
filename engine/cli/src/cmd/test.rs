//! `winspect test`: the tests rule packs carry, with a diff for each failure.

use std::path::PathBuf;

use super::{Error, Exit, plural};
use crate::output::Output;

pub fn run(paths: &[PathBuf], now: Option<&str>, out: &mut Output) -> Result<Exit, Error> {
    let sources = crate::load::sources(paths)?;
    let today = crate::load::date_or_today(now)?;
    let Some(program) = super::compile(&sources, today, out) else {
        return Ok(Exit::Failed);
    };
    let report = program.run_tests(today);
    for case in &report.cases {
        if case.passed {
            out.print(&format!("PASS {} / {}", case.pack, case.name));
        } else {
            out.print(&format!(
                "FAIL {} / {} ({})",
                case.pack, case.name, case.location
            ));
            for m in &case.missing {
                out.print(&format!("  - expected {m}"));
            }
            for u in &case.unexpected {
                out.print(&format!("  + unexpected {u}"));
            }
        }
    }
    if !report.untested.is_empty() {
        out.print("");
        out.print("rules without a test that expects them:");
        for (pack, rule) in &report.untested {
            out.print(&format!("  {pack} / {rule}"));
        }
    }
    let failed = report.cases.iter().filter(|c| !c.passed).count();
    out.print("");
    if report.cases.is_empty() {
        out.print("no test ran: add `test` blocks to the packs");
        return Ok(Exit::Failed);
    }
    out.print(&format!(
        "{}: {} passed, {} failed",
        plural(report.cases.len(), "test"),
        report.cases.len() - failed,
        failed
    ));
    Ok(if failed > 0 { Exit::Failed } else { Exit::Ok })
}
