//! `winspect schema`: the inventory's JSON Schema.

use super::{Error, Exit};
use crate::output::Output;

pub fn run(out: &mut Output) -> Result<Exit, Error> {
    let schema = winspect_inventory::Inventory::json_schema();
    out.print(&serde_json::to_string_pretty(&schema)?);
    Ok(Exit::Ok)
}
