//! `setup` / `gather_facts`: every fact this runtime knows, under `ansible_facts`.

use super::{ModuleContext, Outcome, Status};
use crate::hosts::glob;
use crate::json::Value;

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let patterns: Vec<&str> = args
        .get("filter")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let facts: Vec<(String, Value)> = ctx
        .facts
        .all()
        .into_iter()
        .map(|(name, value)| (format!("ansible_{name}"), value))
        .filter(|(name, _)| patterns.is_empty() || patterns.iter().any(|p| glob(p, name)))
        .collect();
    let mut out = Outcome::new(Status::Ok, false, "");
    out.extra
        .push(("ansible_facts".to_string(), Value::Object(facts)));
    out
}
