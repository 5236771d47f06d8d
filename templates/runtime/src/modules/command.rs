//! The `command` module, plus the process execution shared with `shell`.

use super::{ModuleContext, Outcome, Status};
use crate::json::Value;
use std::io::{self, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

/// Everything needed to run one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    pub argv: Vec<String>,
    pub chdir: Option<String>,
    pub creates: Option<String>,
    pub removes: Option<String>,
    pub stdin: Option<String>,
    pub stdin_add_newline: bool,
    pub strip_empty_ends: bool,
}

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let argv = match args.get("argv") {
        // A templated command string arrives rendered; split it as Ansible does.
        None | Some(Value::Null) => match args.get("cmd") {
            Some(Value::Str(text)) => match split_command(text) {
                Ok(words) => words,
                Err(msg) => return Outcome::failed(format!("cannot split the command: {msg}")),
            },
            _ => Vec::new(),
        },
        Some(Value::Array(items)) => {
            let strings: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Value::Str(s) => Some(s.clone()),
                    Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some(i.to_text()),
                    _ => None,
                })
                .collect();
            match strings {
                Some(argv) => argv,
                None => return Outcome::failed("command: argv must be a list of strings"),
            }
        }
        Some(other) => {
            return Outcome::failed(format!(
                "command: argv must be a list of strings, got {}",
                other.type_name()
            ))
        }
    };
    if argv.is_empty() {
        return Outcome::failed("no command given");
    }
    let argv = match args.get("expand_argument_vars") {
        Some(Value::Bool(false)) => argv,
        _ => argv.iter().map(|a| expand_user(&expand_vars(a))).collect(),
    };
    match exec_spec(args, argv) {
        Ok(spec) => execute(&spec, ctx.check_mode),
        Err(msg) => Outcome::failed(msg),
    }
}

/// Splits a command line as Python's `shlex.split` does (Ansible's command module uses
/// it): space, tab, CR and LF separate words, `'...'` is literal, inside `"..."` a
/// backslash escapes only `\\` and `"`, outside quotes it escapes any character.
pub fn split_command(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('\\' | '"')) => word.push(ch),
                            Some(ch) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return Err("No closing quotation".to_string()),
                        },
                        Some(ch) => word.push(ch),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(ch) => word.push(ch),
                    None => return Err("No escaped character".to_string()),
                }
            }
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads the options shared by `command` and `shell`.
pub fn exec_spec(args: &Value, argv: Vec<String>) -> Result<ExecSpec, String> {
    Ok(ExecSpec {
        argv,
        chdir: opt_path(args, "chdir")?,
        creates: opt_path(args, "creates")?,
        removes: opt_path(args, "removes")?,
        stdin: match args.get("stdin") {
            None | Some(Value::Null) => None,
            Some(Value::Str(s)) => Some(s.clone()),
            Some(other) => {
                return Err(format!("stdin must be a string, got {}", other.type_name()))
            }
        },
        stdin_add_newline: !matches!(args.get("stdin_add_newline"), Some(Value::Bool(false))),
        strip_empty_ends: match args.get("strip_empty_ends") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "strip_empty_ends must be a boolean, got {}",
                    other.type_name()
                ))
            }
        },
    })
}

/// `$NAME` and `${NAME}` replaced from the environment, as Python's
/// `os.path.expandvars` does: unknown variables are left as written.
pub fn expand_vars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match std::env::var(name) {
            Ok(value) if !name.is_empty() => out.push_str(&value),
            _ => out.push_str(&rest[pos..pos + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// A leading `~` (alone or before `/`) replaced by `$HOME`, as Python's
/// `os.path.expanduser` does for the current user.
pub fn expand_user(text: &str) -> String {
    match (text.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
            let home = if home.len() > 1 {
                home.trim_end_matches('/')
            } else {
                &home
            };
            format!("{home}{rest}")
        }
        _ => text.to_string(),
    }
}

/// An optional string option; an empty string counts as absent.
pub fn opt_path(args: &Value, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) if s.is_empty() => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{key} must be a string, got {}", other.type_name())),
    }
}

/// Applies chdir/creates/removes/check mode, then runs the command.
pub fn execute(spec: &ExecSpec, check_mode: bool) -> Outcome {
    if let Some(dir) = &spec.chdir {
        if let Err(reason) = check_dir(dir) {
            return Outcome::failed(format!(
                "Unable to change directory before execution: {reason}"
            ));
        }
    }
    let base = spec.chdir.as_deref().map(Path::new);
    if let Some(path) = &spec.creates {
        if exists(base, path) {
            return not_run(format!("Did not run command since '{path}' exists"));
        }
    }
    if let Some(path) = &spec.removes {
        if !exists(base, path) {
            return not_run(format!("Did not run command since '{path}' does not exist"));
        }
    }
    if check_mode {
        return Outcome::skipped("Command would have run if not in check mode");
    }
    run_process(spec)
}

fn not_run(msg: String) -> Outcome {
    let mut out = Outcome::ok(msg);
    out.rc = Some(0);
    out
}

/// Relative paths are taken relative to chdir, as Ansible changes directory
/// before checking `creates`/`removes`.
fn exists(base: Option<&Path>, path: &str) -> bool {
    let full: PathBuf = match base {
        Some(dir) => dir.join(path),
        None => PathBuf::from(path),
    };
    std::fs::symlink_metadata(full).is_ok()
}

fn check_dir(dir: &str) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("[Errno 20] Not a directory: '{dir}'")),
        Err(e) => Err(os_error(&e, dir)),
    }
}

/// Python-style text for an OS error: `[Errno 2] No such file or directory: 'x'`.
pub fn os_error(e: &io::Error, subject: &str) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let suffix = format!(" (os error {code})");
            let reason = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("[Errno {code}] {reason}: '{subject}'")
        }
        None => format!("{text}: '{subject}'"),
    }
}

fn run_process(spec: &ExecSpec) -> Outcome {
    let Some((program, rest)) = spec.argv.split_first() else {
        return Outcome::failed("no command given");
    };
    let mut command = Command::new(program);
    command
        .args(rest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    if let Some(dir) = &spec.chdir {
        command.current_dir(dir);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let not_found = e.kind() == io::ErrorKind::NotFound;
            let rc = e
                .raw_os_error()
                .map_or(if not_found { 2 } else { 1 }, i64::from);
            let mut out = Outcome::failed(os_error(&e, program));
            out.rc = Some(rc);
            return out;
        }
    };
    // Feed stdin from a thread while stdout/stderr are drained concurrently
    // by wait_with_output, so no pipe can fill up and deadlock.
    let mut feeder = None;
    if let (Some(text), Some(mut pipe)) = (&spec.stdin, child.stdin.take()) {
        let mut data = text.clone().into_bytes();
        if !data.is_empty() && spec.stdin_add_newline {
            data.push(b'\n');
        }
        let spawned = thread::Builder::new()
            .name("stdin-feeder".to_string())
            .spawn(move || {
                // The child may exit without reading; that is not an error.
                let _ = pipe.write_all(&data);
            });
        match spawned {
            Ok(handle) => feeder = Some(handle),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::failed(format!("unable to feed stdin: {e}"));
            }
        }
    }
    let output = child.wait_with_output();
    if let Some(handle) = feeder {
        let _ = handle.join();
    }
    let output = match output {
        Ok(output) => output,
        Err(e) => return Outcome::failed(format!("failed to collect command output: {e}")),
    };
    let rc = exit_code(&output.status);
    let mut stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if spec.strip_empty_ends {
        strip_end(&mut stdout);
        strip_end(&mut stderr);
    }
    let failed = rc != 0;
    let mut out = Outcome::new(
        if failed {
            Status::Failed
        } else {
            Status::Changed
        },
        true,
        if failed { "non-zero return code" } else { "" },
    );
    out.rc = Some(rc);
    out.stdout = stdout;
    out.stderr = stderr;
    out
}

/// The exit code as Ansible reports it: the code, or minus the signal number.
pub(crate) fn exit_code(status: &std::process::ExitStatus) -> i64 {
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => -i64::from(signal),
        (None, None) => -1,
    }
}

/// A finished program: exit code and output (lossy UTF-8, as produced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Captured {
    pub rc: i64,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program` with `args` (no shell, stdin from /dev/null) and extra
/// environment variables, and captures its output. With `detached` the output
/// goes through temporary files and the child gets its own process group, so a
/// daemon it leaves running (an init script's `start`) can neither hold our
/// pipes open nor be hit by signals sent to our group.
pub(crate) fn capture(
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    detached: bool,
) -> io::Result<Captured> {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    if !detached {
        let output = command.output()?;
        return Ok(Captured {
            rc: exit_code(&output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    use std::os::unix::process::CommandExt;
    let out = SpoolFile::create("out")?;
    let err = SpoolFile::create("err")?;
    command
        .stdout(out.file.try_clone()?)
        .stderr(err.file.try_clone()?)
        .process_group(0);
    let status = command.spawn()?.wait()?;
    Ok(Captured {
        rc: exit_code(&status),
        stdout: out.read()?,
        stderr: err.read()?,
    })
}

/// A temporary file that receives a child's output; removed when dropped.
struct SpoolFile {
    path: PathBuf,
    file: std::fs::File,
}

impl SpoolFile {
    fn create(kind: &str) -> io::Result<SpoolFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(".rustle-{}-{n}-{kind}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(SpoolFile { path, file })
    }

    fn read(&self) -> io::Result<String> {
        let bytes = std::fs::read(&self.path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes trailing `\r` and `\n` characters.
fn strip_end(text: &mut String) {
    let keep = text.trim_end_matches(['\r', '\n']).len();
    text.truncate(keep);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run_args(args: &str, check_mode: bool) -> Outcome {
        let lookup = |_: &str| None;
        crate::modules::with_test_context(check_mode, 0, &lookup, |ctx| {
            run(&parse(args).unwrap(), ctx)
        })
    }

    #[test]
    fn splits_like_python_shlex() {
        let split = |s: &str| split_command(s).unwrap();
        assert_eq!(
            split("echo  a 'b c' \"d \\\" e\" f\\ g"),
            ["echo", "a", "b c", "d \" e", "f g"]
        );
        assert_eq!(split("a'b'\"c\" ''"), ["abc", ""]);
        assert_eq!(split("\"\\n\\$x\""), ["\\n\\$x"]);
        assert_eq!(split("a\u{a0}b\\\nc"), ["a\u{a0}b\nc"]);
        assert!(split("   ").is_empty());
        assert_eq!(split_command("'open").unwrap_err(), "No closing quotation");
        assert_eq!(split_command("x\\").unwrap_err(), "No escaped character");
    }

    #[test]
    fn runs_argv_without_a_shell() {
        let o = run_args(
            r#"{"argv": ["printf", "%s|%s\n\n", "a \"b\" $RUSTLE_UNSET_VAR", "it's"]}"#,
            false,
        );
        assert_eq!(o.status, Status::Changed);
        assert!(o.changed);
        assert_eq!(o.rc, Some(0));
        assert_eq!(o.stdout, "a \"b\" $RUSTLE_UNSET_VAR|it's");
        assert_eq!(o.msg, Value::str(""));
    }

    #[test]
    fn keeps_trailing_newlines_when_asked() {
        let o = run_args(
            r#"{"argv": ["printf", "x\r\n\n"], "strip_empty_ends": false}"#,
            false,
        );
        assert_eq!(o.stdout, "x\r\n\n");
    }

    #[test]
    fn non_zero_exit_fails() {
        let o = run_args(r#"{"argv": ["false"]}"#, false);
        assert_eq!(o.status, Status::Failed);
        assert!(o.changed);
        assert_eq!(o.rc, Some(1));
        assert_eq!(o.msg, Value::str("non-zero return code"));
    }

    #[test]
    fn missing_program() {
        let o = run_args(r#"{"argv": ["rustle-no-such-program-xyz", "a"]}"#, false);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(o.rc, Some(2));
        assert_eq!(
            o.msg,
            Value::str("[Errno 2] No such file or directory: 'rustle-no-such-program-xyz'")
        );
    }

    #[test]
    fn arguments_expand_variables_and_home_like_python() {
        std::env::set_var("RUSTLE_TEST_EXPAND", "value");
        assert_eq!(expand_vars("a $RUSTLE_TEST_EXPAND b"), "a value b");
        assert_eq!(expand_vars("${RUSTLE_TEST_EXPAND}x"), "valuex");
        assert_eq!(
            expand_vars("$RUSTLE_TEST_UNSET_X and $"),
            "$RUSTLE_TEST_UNSET_X and $"
        );
        assert_eq!(expand_vars("${unterminated"), "${unterminated");
        let home = std::env::var("HOME").unwrap_or_default();
        if home.len() > 1 {
            assert_eq!(
                expand_user("~/x"),
                format!("{}/x", home.trim_end_matches('/'))
            );
        }
        assert_eq!(expand_user("a~/x"), "a~/x");
        assert_eq!(expand_user("~other/x"), "~other/x");
        let o = run_args(
            r#"{"argv": ["printf", "%s", "$RUSTLE_TEST_EXPAND"]}"#,
            false,
        );
        assert_eq!(o.stdout, "value");
        let o = run_args(
            r#"{"argv": ["printf", "%s", "$RUSTLE_TEST_EXPAND"], "expand_argument_vars": false}"#,
            false,
        );
        assert_eq!(o.stdout, "$RUSTLE_TEST_EXPAND");
    }

    #[test]
    fn stdin_newline_can_be_turned_off() {
        let o = run_args(
            r#"{"argv": ["od", "-An", "-c"], "stdin": "hi", "stdin_add_newline": false}"#,
            false,
        );
        assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["h", "i"]);
    }

    #[test]
    fn stdin_gets_a_trailing_newline() {
        let o = run_args(
            r#"{"argv": ["od", "-An", "-c"], "stdin": "hi", "strip_empty_ends": true}"#,
            false,
        );
        assert_eq!(
            o.stdout.split_whitespace().collect::<Vec<_>>(),
            ["h", "i", "\\n"]
        );
        let o = run_args(r#"{"argv": ["cat"], "stdin": ""}"#, false);
        assert_eq!((o.rc, o.stdout.as_str()), (Some(0), ""));
        let o = run_args(r#"{"argv": ["cat"]}"#, false);
        assert_eq!((o.rc, o.stdout.as_str()), (Some(0), ""));
    }

    #[test]
    fn invalid_arguments_fail_cleanly() {
        let cases = [
            (r#"{}"#, "no command given"),
            (r#"{"argv": []}"#, "no command given"),
            (r#"{"argv": "ls"}"#, "argv must be a list of strings"),
            (r#"{"argv": ["ls", [1]]}"#, "argv must be a list of strings"),
            (r#"{"argv": ["ls"], "chdir": 5}"#, "chdir must be a string"),
            (r#"{"argv": ["ls"], "stdin": []}"#, "stdin must be a string"),
            (
                r#"{"argv": ["ls"], "strip_empty_ends": "yes"}"#,
                "strip_empty_ends must be a boolean",
            ),
            (r#"{"argv": ["a\u0000b"]}"#, "nul byte"),
        ];
        for (args, expected) in cases {
            let o = run_args(args, false);
            assert_eq!(o.status, Status::Failed, "{args}");
            assert!(o.msg.to_text().contains(expected), "{args}: {:?}", o.msg);
        }
    }

    #[test]
    fn os_error_text() {
        let e = io::Error::from_raw_os_error(13);
        assert_eq!(os_error(&e, "/x"), "[Errno 13] Permission denied: '/x'");
        let e = io::Error::other("boom");
        assert_eq!(os_error(&e, "y"), "boom: 'y'");
    }
}
