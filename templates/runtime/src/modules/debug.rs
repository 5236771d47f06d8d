//! The `debug` module: print a message or a variable.

use super::{ModuleContext, Outcome, Status};
use crate::json::Value;

/// Value Ansible shows for an undefined variable.
pub const UNDEFINED: &str = "VARIABLE IS NOT DEFINED!";

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let verbosity = match args.get("verbosity") {
        None | Some(Value::Null) => 0,
        Some(Value::Int(n)) => *n,
        Some(Value::Str(s)) => match s.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                return Outcome::failed(format!("debug: verbosity must be an integer, got '{s}'"))
            }
        },
        Some(other) => {
            return Outcome::failed(format!(
                "debug: verbosity must be an integer, got {}",
                other.type_name()
            ))
        }
    };
    if verbosity > i64::from(ctx.verbosity) {
        return Outcome::skipped("Verbosity threshold not met.");
    }
    let var = args.get("var").filter(|v| !v.is_null());
    // A null msg next to a var is treated as absent.
    let msg = args.get("msg").filter(|m| var.is_none() || !m.is_null());
    let (key, value) = match (msg, var) {
        (Some(_), Some(_)) => return Outcome::failed("'msg' and 'var' are incompatible options"),
        (None, Some(Value::Str(name))) => {
            let value = match ctx.expression("var") {
                Some(_) => (ctx.evaluate)("var", 0).unwrap_or_else(|e| {
                    if e.contains("is undefined") {
                        Value::str(UNDEFINED)
                    } else {
                        Value::str(e)
                    }
                }),
                None => resolve(name.trim(), ctx.lookup).unwrap_or_else(|| Value::str(UNDEFINED)),
            };
            (name.clone(), value)
        }
        (None, Some(other)) => {
            return Outcome::failed(format!(
                "debug: var must be a string, got {}",
                other.type_name()
            ))
        }
        (Some(m), None) => ("msg".to_string(), m.clone()),
        (None, None) => ("msg".to_string(), Value::str("Hello world!")),
    };
    let mut out = Outcome::new(Status::Ok, false, "");
    out.display = Some(Value::Object(vec![(key.clone(), value.clone())]));
    if key != "msg" {
        // Ansible's result holds the variable under its own name.
        out.extra.push((key, value.clone()));
    }
    out.msg = value;
    out
}

/// Looks a variable up by name; falls back to a dotted path such as
/// `result.stdout_lines.0`.
pub fn resolve(name: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> Option<Value> {
    if let Some(v) = lookup(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut current = lookup(parts.next()?.trim())?;
    for part in parts {
        let part = part.trim();
        current = match &current {
            Value::Object(_) => current.get(part)?.clone(),
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?.clone(),
            _ => return None,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn ctx_run(args: &str, verbosity: u32) -> Outcome {
        let vars = parse(r#"{"name": "world", "res": {"stdout_lines": ["a", "b"]}}"#).unwrap();
        let lookup = move |n: &str| vars.get(n).cloned();
        crate::modules::with_test_context(false, verbosity, &lookup, |ctx| {
            run(&parse(args).unwrap(), ctx)
        })
    }

    #[test]
    fn msg_of_any_type() {
        let o = ctx_run(r#"{"msg": "hello", "verbosity": 0}"#, 0);
        assert_eq!(o.status, Status::Ok);
        assert!(!o.changed);
        assert_eq!(o.msg, Value::str("hello"));
        assert_eq!(o.display.unwrap().to_compact(), r#"{"msg":"hello"}"#);
        let o = ctx_run(r#"{"msg": {"a": [1, true]}}"#, 0);
        assert_eq!(o.msg.to_text(), r#"{"a":[1,true]}"#);
        let o = ctx_run(r#"{}"#, 0);
        assert_eq!(o.msg, Value::str("Hello world!"));
        assert_eq!(o.rc, None);
    }

    #[test]
    fn var_lookup_with_paths_and_undefined() {
        let o = ctx_run(r#"{"var": "name"}"#, 0);
        assert_eq!(o.display.unwrap().to_compact(), r#"{"name":"world"}"#);
        let o = ctx_run(r#"{"var": "res.stdout_lines.1"}"#, 0);
        assert_eq!(o.msg, Value::str("b"));
        let o = ctx_run(r#"{"var": "missing"}"#, 0);
        assert_eq!(o.msg, Value::str(UNDEFINED));
        assert_eq!(
            o.display.unwrap().to_compact(),
            r#"{"missing":"VARIABLE IS NOT DEFINED!"}"#
        );
        let o = ctx_run(r#"{"var": "res.nope.x"}"#, 0);
        assert_eq!(o.msg, Value::str(UNDEFINED));
    }

    #[test]
    fn verbosity_threshold() {
        assert_eq!(
            ctx_run(r#"{"msg": "x", "verbosity": 2}"#, 1).status,
            Status::Skipped
        );
        assert_eq!(
            ctx_run(r#"{"msg": "x", "verbosity": 2}"#, 2).status,
            Status::Ok
        );
        assert_eq!(
            ctx_run(r#"{"msg": "x", "verbosity": "1"}"#, 1).status,
            Status::Ok
        );
    }

    #[test]
    fn bad_arguments_fail() {
        let o = ctx_run(r#"{"msg": "x", "var": "name"}"#, 0);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(ctx_run(r#"{"var": 3}"#, 0).status, Status::Failed);
        assert_eq!(
            ctx_run(r#"{"msg": "x", "verbosity": [1]}"#, 0).status,
            Status::Failed
        );
        assert_eq!(
            ctx_run(r#"{"msg": "x", "verbosity": "lots"}"#, 0).status,
            Status::Failed
        );
    }
}
