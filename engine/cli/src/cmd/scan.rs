//! `winspect scan`: read an image, build its inventory with the registry
//! values the rules ask for, and judge it as `winspect eval` does.

use super::{Error, Exit, eval, inventory};
use crate::cli::{ImageArgs, JudgeArgs};
use crate::output::Output;

pub struct Args<'a> {
    pub image: &'a str,
    pub judge: &'a JudgeArgs,
    pub inventory_out: Option<&'a std::path::Path>,
    pub image_args: &'a ImageArgs,
}

pub fn run(args: &Args<'_>, out: &mut Output) -> Result<Exit, Error> {
    let now = crate::load::date_or_today(args.judge.now.as_deref())?;
    // The rules first: they say which registry values to read, and a typo
    // should not wait for a multi-gigabyte pull.
    let sources = eval::rule_sources(args.judge)?;
    let Some(program) = eval::compile_rules(&sources, now, out) else {
        return Ok(Exit::Error);
    };
    let requests = program.registry_requests().to_vec();
    let scan = inventory::read(args.image, args.image_args, requests, out)?;
    if let Some(path) = args.inventory_out {
        inventory::write(path, &scan.inventory)?;
    }
    eval::judge(&program, &scan.inventory, args.image, args.judge, now, out)
}
