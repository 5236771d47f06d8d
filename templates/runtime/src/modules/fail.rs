//! `fail`: fails with `msg`.

use super::Outcome;
use crate::json::Value;

pub fn run(args: &Value) -> Outcome {
    let mut out = Outcome::failed("");
    out.msg = args
        .get("msg")
        .cloned()
        .unwrap_or_else(|| Value::str("Failed as requested from task"));
    out
}
