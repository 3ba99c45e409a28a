//! `winspect eval`: rule packs over an inventory, judged by a policy. The
//! judging itself ([`rule_sources`], [`compile_rules`], [`judge`]) is shared
//! with `winspect scan`.

use std::path::Path;

use winspect_inventory::{Date, Inventory};
use winspect_lang::{Program, SourceMap};

use super::{Error, Exit};
use crate::cli::{ExplainArg, Format, JudgeArgs};
use crate::output::Output;
use crate::report::{self, JsonFinding, JsonReport, Summary};

#[derive(Debug, thiserror::Error)]
enum PolicyChoice {
    #[error("`{0}` holds no policy")]
    NoPolicy(String),
    #[error("several policies are loaded ({0}); choose one with --policy-name")]
    Several(String),
}

pub fn run(inventory: &Path, args: &JudgeArgs, out: &mut Output) -> Result<Exit, Error> {
    let now = crate::load::date_or_today(args.now.as_deref())?;
    let sources = rule_sources(args)?;
    let loaded = crate::load::inventory(inventory)?;
    let Some(program) = compile_rules(&sources, now, out) else {
        return Ok(Exit::Error);
    };
    judge(
        &program,
        &loaded,
        &inventory.display().to_string(),
        args,
        now,
        out,
    )
}

/// Reads the packs and the policy file `args` name.
pub fn rule_sources(args: &JudgeArgs) -> Result<SourceMap, Error> {
    let mut paths = args.rules.clone();
    paths.extend(args.policy.iter().cloned());
    Ok(crate::load::sources(&paths)?)
}

/// Checks and compiles the rules, printing their diagnostics; `None` (said
/// on stderr) when they do not check.
pub fn compile_rules(sources: &SourceMap, now: Date, out: &mut Output) -> Option<Program> {
    let program = super::compile(sources, now, out);
    if program.is_none() {
        out.error("the rules do not check; nothing was evaluated");
    }
    program
}

/// Evaluates `program` over `inventory` (named `inventory_name` in the JSON
/// report), applies the policy, prints the report and gives the exit code.
pub fn judge(
    program: &Program,
    inventory: &Inventory,
    inventory_name: &str,
    args: &JudgeArgs,
    now: Date,
    out: &mut Output,
) -> Result<Exit, Error> {
    let policy = match (&args.policy_name, &args.policy) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(file)) => {
            let names: Vec<&str> = program.policy_names().collect();
            match names.as_slice() {
                [] => return Err(PolicyChoice::NoPolicy(file.display().to_string()).into()),
                [one] => Some((*one).to_owned()),
                many => return Err(PolicyChoice::Several(many.join(", ")).into()),
            }
        }
        (None, None) => None,
    };
    let packs = policy
        .as_deref()
        .and_then(|p| program.policy_uses(p))
        .filter(|uses| !uses.is_empty())
        .map(<[String]>::to_vec);
    let explain = match args.explain {
        None => winspect_lang::Explain::None,
        Some(ExplainArg::Fired) => winspect_lang::Explain::Fired,
        Some(ExplainArg::All) => winspect_lang::Explain::All,
    };
    let prepared = program.prepare(inventory);
    let options = winspect_lang::EvalOptions {
        now,
        explain,
        packs,
    };
    let evaluation = program.evaluate(&prepared, &options);
    let decision = match &policy {
        Some(name) => Some(program.decide(name, &evaluation.findings, Some(&prepared), now)?),
        None => None,
    };
    let partial = inventory.completeness.partial;
    match args.format {
        Format::Table => out.print_raw(&report::table(&evaluation, decision.as_ref(), partial)),
        Format::Json => {
            let findings = evaluation
                .findings
                .iter()
                .enumerate()
                .map(|(i, f)| JsonFinding {
                    finding: f,
                    outcome: decision.as_ref().and_then(|d| d.outcomes.get(i)),
                })
                .collect();
            let json = JsonReport {
                winspect: env!("CARGO_PKG_VERSION"),
                language: winspect_lang::LANGUAGE_VERSION,
                inventory: inventory_name.to_owned(),
                evaluated_at: now,
                partial,
                packs: program.packs(),
                policy: policy.as_deref(),
                decision: if decision.as_ref().is_some_and(|d| d.denied) {
                    "deny"
                } else {
                    "pass"
                },
                summary: Summary::new(&evaluation.findings, decision.as_ref()),
                findings,
                expired_waivers: decision
                    .as_ref()
                    .map(|d| d.expired_waivers.as_slice())
                    .unwrap_or(&[]),
                explanations: &evaluation.explanations,
            };
            out.print(&serde_json::to_string_pretty(&json)?);
        }
    }
    Ok(if decision.is_some_and(|d| d.denied) {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
