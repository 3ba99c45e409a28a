//! `winspect eval`: rule packs over an inventory, judged by a policy.

use std::path::PathBuf;

use super::{Error, Exit};
use crate::cli::{ExplainArg, Format};
use crate::output::Output;
use crate::report::{self, JsonFinding, JsonReport, Summary};

pub struct Args {
    pub inventory: PathBuf,
    pub rules: Vec<PathBuf>,
    pub policy: Option<PathBuf>,
    pub policy_name: Option<String>,
    pub format: Format,
    pub explain: Option<ExplainArg>,
    pub now: Option<String>,
}

#[derive(Debug, thiserror::Error)]
enum PolicyChoice {
    #[error("`{0}` holds no policy")]
    NoPolicy(String),
    #[error("several policies are loaded ({0}); choose one with --policy-name")]
    Several(String),
}

pub fn run(args: &Args, out: &mut Output) -> Result<Exit, Error> {
    let now = crate::load::date_or_today(args.now.as_deref())?;
    let mut paths = args.rules.clone();
    paths.extend(args.policy.iter().cloned());
    let sources = crate::load::sources(&paths)?;
    let inventory = crate::load::inventory(&args.inventory)?;
    let Some(program) = super::compile(&sources, now, out) else {
        out.error("the rules do not check; nothing was evaluated");
        return Ok(Exit::Error);
    };

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
    let prepared = program.prepare(&inventory);
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
                inventory: args.inventory.display().to_string(),
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
