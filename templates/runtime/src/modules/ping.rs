//! `ping`: answers `pong` (or `data`); `data: crash` fails, as Ansible's does.

use super::{Outcome, Status};
use crate::json::Value;

pub fn run(args: &Value) -> Outcome {
    let data = args
        .get("data")
        .cloned()
        .unwrap_or_else(|| Value::str("pong"));
    if data.as_str() == Some("crash") {
        return Outcome::failed("boom");
    }
    let mut out = Outcome::new(Status::Ok, false, "");
    out.extra.push(("ping".to_string(), data));
    out
}
