//! The `shell` module: run a command line through `/bin/sh -c` (or the
//! given executable).

use super::command::{exec_spec, execute, opt_path};
use super::{ModuleContext, Outcome};
use crate::json::Value;

/// Shell used when no `executable` is given.
pub const DEFAULT_SHELL: &str = "/bin/sh";

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let cmd = match args.get("cmd") {
        Some(Value::Str(s)) if !s.trim().is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::Str(_)) => {
            return Outcome::failed("no command given")
        }
        Some(other) => {
            return Outcome::failed(format!(
                "shell: cmd must be a string, got {}",
                other.type_name()
            ))
        }
    };
    let executable = match opt_path(args, "executable") {
        Ok(exe) => exe.unwrap_or_else(|| DEFAULT_SHELL.to_string()),
        Err(msg) => return Outcome::failed(msg),
    };
    match exec_spec(args, vec![executable, "-c".to_string(), cmd]) {
        Ok(spec) => execute(&spec, ctx.check_mode),
        Err(msg) => Outcome::failed(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::modules::Status;

    fn run_args(args: &str) -> Outcome {
        let lookup = |_: &str| None;
        crate::modules::with_test_context(false, 0, &lookup, |ctx| run(&parse(args).unwrap(), ctx))
    }

    #[test]
    fn runs_through_sh_and_captures_both_streams() {
        let o = run_args(r#"{"cmd": "echo out; echo err >&2; exit 3"}"#);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(o.rc, Some(3));
        assert_eq!(o.stdout, "out");
        assert_eq!(o.stderr, "err");
    }

    #[test]
    fn custom_executable() {
        let o = run_args(r#"{"cmd": "echo $0", "executable": "/bin/bash"}"#);
        assert_eq!((o.rc, o.stdout.as_str()), (Some(0), "/bin/bash"));
    }

    #[test]
    fn large_outputs_on_both_streams_do_not_deadlock() {
        let o = run_args(
            r#"{"cmd": "head -c 400000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2; cat", "stdin": "tail"}"#,
        );
        assert_eq!(o.rc, Some(0));
        assert_eq!(o.stdout.len(), 400_004);
        assert!(o.stdout.ends_with("atail"));
        assert_eq!(o.stderr.len(), 300_000);
    }

    #[test]
    fn large_stdin_is_fed_concurrently() {
        let text = "z".repeat(1_000_000);
        let args = format!(r#"{{"cmd": "cat; cat >&2 </dev/null", "stdin": "{text}"}}"#);
        let o = run_args(&args);
        assert_eq!(o.rc, Some(0));
        assert_eq!(o.stdout.len(), 1_000_000);
    }

    #[test]
    fn signal_gives_negative_rc() {
        let o = run_args(r#"{"cmd": "kill -9 $$"}"#);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(o.rc, Some(-9));
    }

    #[test]
    fn bad_cmd() {
        assert_eq!(
            run_args(r#"{"cmd": "  "}"#).msg,
            Value::str("no command given")
        );
        assert_eq!(run_args(r#"{"cmd": ["ls"]}"#).status, Status::Failed);
        let o = run_args(r#"{"cmd": "true", "executable": "/nonexistent/shell"}"#);
        assert_eq!(o.rc, Some(2));
        assert_eq!(
            o.msg,
            Value::str("[Errno 2] No such file or directory: '/nonexistent/shell'")
        );
    }
}
