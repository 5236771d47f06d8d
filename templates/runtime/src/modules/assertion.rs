//! `assert`: every expression in `that` must hold.

use super::{ModuleContext, Outcome, Status};
use crate::jinja;
use crate::json::Value;

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let Some(that) = ctx.expression("that") else {
        return Outcome::failed("assert: missing required arguments: that");
    };
    for (index, source) in that.sources.iter().enumerate() {
        let holds = (ctx.evaluate)("that", index)
            .and_then(|v| jinja::Value::from_json(&v).truthy().map_err(|e| e.message));
        match holds {
            Ok(true) => {}
            Ok(false) => {
                let mut out = Outcome::failed("");
                out.msg = args
                    .get("fail_msg")
                    .cloned()
                    .unwrap_or_else(|| Value::str("Assertion failed"));
                out.extra
                    .push(("assertion".to_string(), Value::str(source)));
                out.extra
                    .push(("evaluated_to".to_string(), Value::Bool(false)));
                return out;
            }
            Err(e) => {
                return Outcome::failed(format!(
                    "The conditional check '{source}' failed. The error was: error while \
                     evaluating conditional ({source}): {e}"
                ))
            }
        }
    }
    let mut out = Outcome::new(Status::Ok, false, "");
    out.msg = args
        .get("success_msg")
        .cloned()
        .unwrap_or_else(|| Value::str("All assertions passed"));
    let quiet = matches!(args.get("quiet"), Some(Value::Bool(true)));
    if !quiet {
        out.display = Some(Value::Object(vec![
            ("changed".to_string(), Value::Bool(false)),
            ("msg".to_string(), out.msg.clone()),
        ]));
    }
    out
}
