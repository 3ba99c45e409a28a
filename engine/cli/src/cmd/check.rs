//! `winspect check`: every diagnostic of every pack and policy, at once.

use std::path::PathBuf;

use super::{Error, Exit, plural, print_diagnostics};
use crate::cli::ErrorFormat;
use crate::output::Output;

pub fn run(
    paths: &[PathBuf],
    format: ErrorFormat,
    deny_warnings: bool,
    out: &mut Output,
) -> Result<Exit, Error> {
    let sources = crate::load::sources(paths)?;
    let today = crate::load::date_or_today(None)?;
    let checked = super::check_sources(&sources, today);
    let (errors, warnings) = print_diagnostics(&sources, &checked.diagnostics, format, out);
    if format == ErrorFormat::Human {
        let summary = match &checked.program {
            Some(p) => format!(
                "checked {}: {}, {}, {}",
                plural(p.packs().len(), "pack"),
                plural(p.rule_count(), "rule"),
                plural(p.advisory_count(), "advisory").replace("advisorys", "advisories"),
                plural(p.policy_names().count(), "policy").replace("policys", "policies"),
            ),
            None => "check failed".to_owned(),
        };
        out.error(&format!(
            "{summary}; {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
    }
    Ok(if errors > 0 || (deny_warnings && warnings > 0) {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
