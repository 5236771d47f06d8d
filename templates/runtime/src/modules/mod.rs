//! Task modules and their common result type.

pub mod command;
pub mod debug;
pub mod shell;

use crate::json::{obj, Value};

/// Final state of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// What a module produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub changed: bool,
    /// Usually a string; debug may carry any value.
    pub msg: Value,
    pub rc: Option<i64>,
    pub stdout: String,
    pub stderr: String,
    /// Object printed after `ok: [host] => ` in text output (debug).
    pub display: Option<Value>,
}

impl Outcome {
    pub fn new(status: Status, changed: bool, msg: impl Into<String>) -> Outcome {
        Outcome {
            status,
            changed,
            msg: Value::Str(msg.into()),
            rc: None,
            stdout: String::new(),
            stderr: String::new(),
            display: None,
        }
    }

    pub fn ok(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Ok, false, msg)
    }

    pub fn failed(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Failed, false, msg)
    }

    pub fn skipped(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Skipped, false, msg)
    }

    /// The result object stored by `register`.
    pub fn result_object(&self) -> Value {
        obj([
            ("changed", Value::Bool(self.changed)),
            ("failed", Value::Bool(self.status == Status::Failed)),
            ("skipped", Value::Bool(self.status == Status::Skipped)),
            ("msg", self.msg.clone()),
            ("rc", self.rc.map_or(Value::Null, Value::Int)),
            ("stdout", Value::str(&self.stdout)),
            ("stderr", Value::str(&self.stderr)),
            ("stdout_lines", lines(&self.stdout)),
            ("stderr_lines", lines(&self.stderr)),
        ])
    }
}

/// Splits text into lines like Python's `str.splitlines()` for `\n`, `\r\n`
/// and `\r` (no trailing empty line).
pub fn lines(text: &str) -> Value {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                out.push(Value::str(&rest[..i]));
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                out.push(Value::str(rest));
                rest = "";
            }
        }
    }
    Value::Array(out)
}

/// What a module needs to know about the run.
pub struct ModuleContext<'a> {
    pub check_mode: bool,
    pub verbosity: u32,
    /// Variable lookup (extra vars > registered results > plan variables).
    pub lookup: &'a dyn Fn(&str) -> Option<Value>,
}

/// Runs `module` with its normalized `args`; never panics.
pub fn run(module: &str, args: &Value, ctx: &ModuleContext) -> Outcome {
    if args.as_object().is_none() {
        return Outcome::failed(format!(
            "{module}: arguments must be an object, found {}",
            args.type_name()
        ));
    }
    match module {
        "debug" | "ansible.builtin.debug" => debug::run(args, ctx),
        "command" | "ansible.builtin.command" => command::run(args, ctx),
        "shell" | "ansible.builtin.shell" => shell::run(args, ctx),
        other => Outcome::failed(format!(
            "unsupported module '{other}' (this runtime supports debug, command and shell)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn splits_lines_like_python() {
        assert!(strs(&lines("")).is_empty());
        assert_eq!(strs(&lines("a")), ["a"]);
        assert_eq!(strs(&lines("a\n")), ["a"]);
        assert_eq!(strs(&lines("a\r\nb\rc\n\nd")), ["a", "b", "c", "", "d"]);
        assert_eq!(strs(&lines("\n")), [""]);
    }

    #[test]
    fn result_object_shape() {
        let mut o = Outcome::new(Status::Changed, true, "");
        o.rc = Some(0);
        o.stdout = "x\ny".into();
        let r = o.result_object();
        let keys: Vec<&str> = r
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "changed",
                "failed",
                "skipped",
                "msg",
                "rc",
                "stdout",
                "stderr",
                "stdout_lines",
                "stderr_lines"
            ]
        );
        assert_eq!(r.get("rc"), Some(&Value::Int(0)));
        assert_eq!(r.get("stdout_lines").unwrap().to_compact(), r#"["x","y"]"#);
    }

    #[test]
    fn unknown_module_and_bad_args_fail_cleanly() {
        let lookup = |_: &str| None;
        let ctx = ModuleContext {
            check_mode: false,
            verbosity: 0,
            lookup: &lookup,
        };
        let o = run("copy", &Value::Object(vec![]), &ctx);
        assert_eq!(o.status, Status::Failed);
        assert!(o.msg.to_text().contains("unsupported module 'copy'"));
        let o = run("debug", &Value::Array(vec![]), &ctx);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(
            o.msg.to_text(),
            "debug: arguments must be an object, found array"
        );
    }
}
