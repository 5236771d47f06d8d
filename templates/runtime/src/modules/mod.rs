//! Task modules and their common result type.
//!
//! # Modules from plugins
//!
//! A plugin module is a function of type [`ModuleFn`]:
//! `pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome`. The generated plan crate
//! compiles it in and hands a table of them to [`crate::run_main_with_modules`]; the
//! executor looks a task's module up in that table ([`Extensions`]) before the built-in
//! modules, so a plugin can also replace a built-in module. `args` is the task's
//! arguments as the plugin's Python validator normalized them, with every template
//! already rendered (always a JSON object); the readers in [`params`] convert values
//! the way Ansible's argument specs do. A module honours [`ModuleContext::check_mode`]
//! (report what would change, change nothing), fills [`Outcome::diff`] under
//! [`ModuleContext::diff_mode`], and returns one of [`Outcome::ok`], [`Outcome::changed`],
//! [`Outcome::finished`] or [`Outcome::failed`]. See docs/plugin-modules.md.

pub mod assertion;
pub mod command;
pub mod copy;
pub mod debug;
pub mod fail;
pub mod file;
pub mod fsutil;
pub mod lineinfile;
pub mod package;
pub mod params;
pub mod ping;
pub mod service;
pub mod set_fact;
pub mod setup;
pub mod shell;
pub mod stat;
pub mod sysexec;
pub mod template;
pub mod wait_for;

use crate::facts::FactCache;
use crate::json::{obj, Value};
use crate::payload::{Blobs, ExprArg};

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
    /// Module-specific members of the result object (`ansible_facts`, `ping`, ...).
    pub extra: Vec<(String, Value)>,
    /// Ansible's `diff` result: an object `{before, after, before_header?, after_header?}`
    /// or a list of them; shown as a unified diff under `--diff`.
    pub diff: Option<Value>,
}

impl Outcome {
    /// An outcome with `status`, `changed` and a string `msg`; the other fields empty.
    pub fn new(status: Status, changed: bool, msg: impl Into<String>) -> Outcome {
        Outcome {
            status,
            changed,
            msg: Value::Str(msg.into()),
            rc: None,
            stdout: String::new(),
            stderr: String::new(),
            display: None,
            extra: Vec::new(),
            diff: None,
        }
    }

    /// A changed or unchanged result without `msg`, as Ansible's modules end on success.
    pub fn finished(changed: bool) -> Outcome {
        let mut out = Outcome::new(
            if changed { Status::Changed } else { Status::Ok },
            changed,
            "",
        );
        out.msg = Value::Null;
        out
    }

    /// Nothing needed changing.
    pub fn ok(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Ok, false, msg)
    }

    /// Something was changed (or, in check mode, would have been).
    pub fn changed(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Changed, true, msg)
    }

    /// The task failed; `msg` says why.
    pub fn failed(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Failed, false, msg)
    }

    /// The task was skipped (it reports `skipped`, and `changed_when`/`failed_when` do
    /// not apply).
    pub fn skipped(msg: impl Into<String>) -> Outcome {
        Outcome::new(Status::Skipped, false, msg)
    }

    /// The result object stored by `register`.
    pub fn result_object(&self) -> Value {
        let mut result = obj([
            ("changed", Value::Bool(self.changed)),
            ("failed", Value::Bool(self.status == Status::Failed)),
            ("skipped", Value::Bool(self.status == Status::Skipped)),
            ("msg", self.msg.clone()),
            ("rc", self.rc.map_or(Value::Null, Value::Int)),
            ("stdout", Value::str(&self.stdout)),
            ("stderr", Value::str(&self.stderr)),
            ("stdout_lines", lines(&self.stdout)),
            ("stderr_lines", lines(&self.stderr)),
        ]);
        if let Value::Object(members) = &mut result {
            if let Some(diff) = &self.diff {
                members.push(("diff".to_string(), diff.clone()));
            }
            for (key, value) in &self.extra {
                match members.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = value.clone(),
                    None => members.push((key.clone(), value.clone())),
                }
            }
        }
        result
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

/// Renders embedded template number `index` with extra local variables.
pub type TemplateRenderer<'a> = dyn Fn(usize, &[(String, Value)]) -> Result<String, String> + 'a;

/// What a module needs to know about the run.
pub struct ModuleContext<'a> {
    /// Check mode (`--check`, or the task's `check_mode:`): report what would change,
    /// change nothing.
    pub check_mode: bool,
    /// `--diff`: modules fill [`Outcome::diff`] for what they change.
    pub diff_mode: bool,
    /// How many `-v` the binary was given.
    pub verbosity: u32,
    /// The host's name (`inventory_hostname`).
    pub host: &'a str,
    /// Variable lookup with Ansible's precedence (rendered values).
    pub lookup: &'a dyn Fn(&str) -> Option<Value>,
    /// Evaluates the `index`th expression of argument `key` (see [`ModuleContext::expressions`]).
    pub evaluate: &'a dyn Fn(&str, usize) -> Result<Value, String>,
    /// Arguments that hold bare expressions (`assert`'s `that`, `debug`'s `var`).
    pub expressions: &'a [ExprArg],
    /// Facts, gathered on first use.
    pub facts: &'a FactCache,
    /// Files embedded at build time, by SHA-256 digest.
    pub blobs: Blobs,
    /// Renders an embedded template (the `template` module's sources).
    pub render_template: &'a TemplateRenderer<'a>,
}

impl ModuleContext<'_> {
    /// The expression argument `key`, if the task has one.
    pub fn expression(&self, key: &str) -> Option<&ExprArg> {
        self.expressions.iter().find(|e| e.key == key)
    }
}

/// A module compiled into the plan crate by a plugin (see the module docs above).
pub type ModuleFn = fn(&Value, &ModuleContext) -> Outcome;

/// The plugin modules of a binary, by name: consulted before the built-in modules.
#[derive(Clone, Copy, Default)]
pub struct Extensions {
    modules: &'static [(&'static str, ModuleFn)],
}

impl Extensions {
    /// The table the generated `main.rs` builds: `(name, function)` pairs, one per name
    /// and alias; the first entry of a name wins.
    pub const fn new(modules: &'static [(&'static str, ModuleFn)]) -> Extensions {
        Extensions { modules }
    }

    /// The function registered under `name`.
    pub fn get(&self, name: &str) -> Option<ModuleFn> {
        self.modules
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, f)| *f)
    }

    /// The registered names, in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.modules.iter().map(|(name, _)| *name)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Runs `module`: a plugin module from `extensions` when one has that name, else a
/// built-in one. A plugin module that panics fails its task with the panic's message
/// (unless the binary was built with `panic = "abort"`).
pub fn dispatch(
    module: &str,
    args: &Value,
    ctx: &ModuleContext,
    extensions: &Extensions,
) -> Outcome {
    let Some(function) = extensions.get(module) else {
        return run(module, args, ctx);
    };
    if args.as_object().is_none() {
        return Outcome::failed(format!(
            "{module}: arguments must be an object, found {}",
            args.type_name()
        ));
    }
    let call = std::panic::AssertUnwindSafe(|| function(args, ctx));
    std::panic::catch_unwind(call).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Outcome::failed(format!("module '{module}' panicked: {why}"))
    })
}

/// Runs the built-in `module` with its normalized `args`; never panics.
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
        "set_fact" | "ansible.builtin.set_fact" => set_fact::run(args),
        "assert" | "ansible.builtin.assert" => assertion::run(args, ctx),
        "fail" | "ansible.builtin.fail" => fail::run(args),
        "ping" | "ansible.builtin.ping" => ping::run(args),
        "stat" | "ansible.builtin.stat" => stat::run(args, ctx),
        "wait_for" | "ansible.builtin.wait_for" => wait_for::run(args, ctx),
        "file" | "ansible.builtin.file" => file::run(args, ctx),
        "copy" | "ansible.builtin.copy" => copy::run(args, ctx),
        "template" | "ansible.builtin.template" => template::run(args, ctx),
        "lineinfile" | "ansible.builtin.lineinfile" => lineinfile::run(args, ctx),
        "package" | "ansible.builtin.package" => package::run(args, ctx),
        "apt"
        | "dnf"
        | "yum"
        | "apk"
        | "pacman"
        | "zypper"
        | "homebrew"
        | "ansible.builtin.apt"
        | "ansible.builtin.dnf"
        | "ansible.builtin.yum" => {
            let short = module.rsplit('.').next().unwrap_or(module);
            match package::Manager::from_name(short) {
                Some(manager) => package::run_manager(manager, args, ctx),
                None => Outcome::failed(format!("unsupported module '{module}'")),
            }
        }
        "service" | "ansible.builtin.service" => service::run(args, ctx),
        "systemd"
        | "systemd_service"
        | "sysvinit"
        | "launchd"
        | "ansible.builtin.systemd"
        | "ansible.builtin.systemd_service"
        | "ansible.builtin.sysvinit" => {
            let short = module.rsplit('.').next().unwrap_or(module);
            match service::Manager::from_name(short) {
                Some(manager) => service::run_manager(manager, args, ctx),
                None => Outcome::failed(format!("unsupported module '{module}'")),
            }
        }
        "setup" | "gather_facts" | "ansible.builtin.setup" | "ansible.builtin.gather_facts" => {
            setup::run(args, ctx)
        }
        other => Outcome::failed(format!(
            "unsupported module '{other}' (this runtime supports apk, apt, assert, command, \
             copy, debug, dnf, fail, file, homebrew, launchd, lineinfile, package, pacman, ping, \
             service, set_fact, setup, shell, stat, systemd, sysvinit, template, wait_for, yum \
             and zypper)"
        )),
    }
}

/// Runs `f` with a context that has no expressions and no gathered facts.
#[cfg(test)]
pub fn with_test_context<R>(
    check_mode: bool,
    verbosity: u32,
    lookup: &dyn Fn(&str) -> Option<Value>,
    f: impl FnOnce(&ModuleContext) -> R,
) -> R {
    let facts = FactCache::new();
    let evaluate = |_: &str, _: usize| Err("no expressions in this test".to_string());
    let render = |_: usize, _: &[(String, Value)]| Err("no templates in this test".to_string());
    let ctx = ModuleContext {
        check_mode,
        diff_mode: false,
        verbosity,
        host: "localhost",
        lookup,
        evaluate: &evaluate,
        expressions: &[],
        facts: &facts,
        blobs: Blobs::default(),
        render_template: &render,
    };
    f(&ctx)
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
        let o = with_test_context(false, 0, &lookup, |ctx| {
            run("no_such_module", &Value::Object(vec![]), ctx)
        });
        assert_eq!(o.status, Status::Failed);
        assert!(o
            .msg
            .to_text()
            .contains("unsupported module 'no_such_module'"));
        let o = with_test_context(false, 0, &lookup, |ctx| {
            run("debug", &Value::Array(vec![]), ctx)
        });
        assert_eq!(o.status, Status::Failed);
        assert_eq!(
            o.msg.to_text(),
            "debug: arguments must be an object, found array"
        );
    }
}
