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

/// A table of modules by name: `(name, function)` pairs, one per name and alias.
pub type ModuleTable = &'static [(&'static str, ModuleFn)];

/// What a binary has compiled in: its plugin modules, the built-in modules its plan uses
/// and, when the plan reads facts, the fact gatherer. The generated `main.rs` names only
/// what its plan needs, so the linker leaves every other module out of the binary.
#[derive(Clone, Copy, Default)]
pub struct Extensions {
    modules: ModuleTable,
    builtins: ModuleTable,
    facts: Option<crate::facts::Gatherer>,
}

impl Extensions {
    /// Plugin `modules` (tried before the built-in ones; the first entry of a name wins)
    /// with every built-in module and the fact gatherer.
    pub const fn new(modules: ModuleTable) -> Extensions {
        Extensions::pruned(modules, entry::ALL, Some(crate::facts::HOST_FACTS))
    }

    /// Plugin `modules`, the built-in modules in `builtins` and the fact gatherer `facts`
    /// (`None`: every fact is undefined), and nothing else.
    pub const fn pruned(
        modules: ModuleTable,
        builtins: ModuleTable,
        facts: Option<crate::facts::Gatherer>,
    ) -> Extensions {
        Extensions {
            modules,
            builtins,
            facts,
        }
    }

    /// The plugin module registered under `name`.
    pub fn get(&self, name: &str) -> Option<ModuleFn> {
        find_in(self.modules, name)
    }

    /// The built-in module compiled in under `name`.
    pub fn builtin(&self, name: &str) -> Option<ModuleFn> {
        find_in(self.builtins, name)
    }

    /// The fact gatherer, if this binary has one.
    pub fn facts(&self) -> Option<crate::facts::Gatherer> {
        self.facts
    }

    /// The registered plugin module names, in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.modules.iter().map(|(name, _)| *name)
    }
}

fn find_in(table: ModuleTable, name: &str) -> Option<ModuleFn> {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, f)| *f)
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
    if args.as_object().is_none() {
        return Outcome::failed(format!(
            "{module}: arguments must be an object, found {}",
            args.type_name()
        ));
    }
    let Some(function) = extensions.get(module) else {
        return match extensions.builtin(module) {
            Some(builtin) => builtin(args, ctx),
            None => unsupported(module),
        };
    };
    let call = std::panic::AssertUnwindSafe(|| function(args, ctx));
    PLUGIN_RUNNING.with(|running| running.set(true));
    let result = std::panic::catch_unwind(call);
    PLUGIN_RUNNING.with(|running| running.set(false));
    result.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Outcome::failed(format!("module '{module}' panicked: {why}"))
    })
}

thread_local! {
    static PLUGIN_RUNNING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside a plugin module's call, whose panic [`dispatch`] turns
/// into a failed task (the binary's panic hook then stays quiet).
pub fn plugin_running() -> bool {
    PLUGIN_RUNNING.with(std::cell::Cell::get)
}

/// Runs the built-in `module` with its normalized `args`; never panics.
pub fn run(module: &str, args: &Value, ctx: &ModuleContext) -> Outcome {
    if args.as_object().is_none() {
        return Outcome::failed(format!(
            "{module}: arguments must be an object, found {}",
            args.type_name()
        ));
    }
    match find_in(entry::ALL, module) {
        Some(builtin) => builtin(args, ctx),
        None => unsupported(module),
    }
}

fn unsupported(module: &str) -> Outcome {
    Outcome::failed(format!(
        "unsupported module '{module}' (this runtime supports apk, apt, assert, command, \
         copy, debug, dnf, fail, file, homebrew, launchd, lineinfile, package, pacman, ping, \
         service, set_fact, setup, shell, stat, systemd, sysvinit, template, wait_for, yum \
         and zypper)"
    ))
}

/// The built-in modules as [`ModuleFn`]s, one function per short name (the generated
/// `main.rs` lists those its plan uses), and [`entry::ALL`], every name and alias.
pub mod entry {
    use super::{
        assertion, command, copy, debug, fail, file, lineinfile, package, ping, service, set_fact,
        setup, shell, stat, template, wait_for, ModuleContext, ModuleTable, Outcome,
    };
    use crate::json::Value;

    macro_rules! entries {
        ($($name:ident => |$args:ident, $ctx:ident| $body:expr;)*) => {
            $(
                #[doc = concat!("The `", stringify!($name), "` module.")]
                pub fn $name($args: &Value, $ctx: &ModuleContext) -> Outcome {
                    $body
                }
            )*
        };
    }

    entries! {
        debug => |args, ctx| debug::run(args, ctx);
        command => |args, ctx| command::run(args, ctx);
        shell => |args, ctx| shell::run(args, ctx);
        set_fact => |args, _ctx| set_fact::run(args);
        assert => |args, ctx| assertion::run(args, ctx);
        fail => |args, _ctx| fail::run(args);
        ping => |args, _ctx| ping::run(args);
        stat => |args, ctx| stat::run(args, ctx);
        wait_for => |args, ctx| wait_for::run(args, ctx);
        file => |args, ctx| file::run(args, ctx);
        copy => |args, ctx| copy::run(args, ctx);
        template => |args, ctx| template::run(args, ctx);
        lineinfile => |args, ctx| lineinfile::run(args, ctx);
        package => |args, ctx| package::run(args, ctx);
        apt => |args, ctx| package::run_manager(package::Manager::Apt, args, ctx);
        dnf => |args, ctx| package::run_manager(package::Manager::Dnf, args, ctx);
        yum => |args, ctx| package::run_manager(package::Manager::Yum, args, ctx);
        apk => |args, ctx| package::run_manager(package::Manager::Apk, args, ctx);
        pacman => |args, ctx| package::run_manager(package::Manager::Pacman, args, ctx);
        zypper => |args, ctx| package::run_manager(package::Manager::Zypper, args, ctx);
        homebrew => |args, ctx| package::run_manager(package::Manager::Homebrew, args, ctx);
        service => |args, ctx| service::run(args, ctx);
        systemd => |args, ctx| service::run_manager(service::Manager::Systemd, args, ctx);
        systemd_service => |args, ctx| service::run_manager(service::Manager::Systemd, args, ctx);
        sysvinit => |args, ctx| service::run_manager(service::Manager::Sysv, args, ctx);
        launchd => |args, ctx| service::run_manager(service::Manager::Launchd, args, ctx);
        setup => |args, ctx| setup::run(args, ctx);
        gather_facts => |args, ctx| setup::run(args, ctx);
    }

    /// Every built-in module by name and alias.
    pub static ALL: ModuleTable = &[
        ("debug", debug),
        ("ansible.builtin.debug", debug),
        ("command", command),
        ("ansible.builtin.command", command),
        ("shell", shell),
        ("ansible.builtin.shell", shell),
        ("set_fact", set_fact),
        ("ansible.builtin.set_fact", set_fact),
        ("assert", assert),
        ("ansible.builtin.assert", assert),
        ("fail", fail),
        ("ansible.builtin.fail", fail),
        ("ping", ping),
        ("ansible.builtin.ping", ping),
        ("stat", stat),
        ("ansible.builtin.stat", stat),
        ("wait_for", wait_for),
        ("ansible.builtin.wait_for", wait_for),
        ("file", file),
        ("ansible.builtin.file", file),
        ("copy", copy),
        ("ansible.builtin.copy", copy),
        ("template", template),
        ("ansible.builtin.template", template),
        ("lineinfile", lineinfile),
        ("ansible.builtin.lineinfile", lineinfile),
        ("package", package),
        ("ansible.builtin.package", package),
        ("apt", apt),
        ("ansible.builtin.apt", apt),
        ("dnf", dnf),
        ("ansible.builtin.dnf", dnf),
        ("yum", yum),
        ("ansible.builtin.yum", yum),
        ("apk", apk),
        ("pacman", pacman),
        ("zypper", zypper),
        ("homebrew", homebrew),
        ("service", service),
        ("ansible.builtin.service", service),
        ("systemd", systemd),
        ("ansible.builtin.systemd", systemd),
        ("systemd_service", systemd_service),
        ("ansible.builtin.systemd_service", systemd_service),
        ("sysvinit", sysvinit),
        ("ansible.builtin.sysvinit", sysvinit),
        ("launchd", launchd),
        ("setup", setup),
        ("ansible.builtin.setup", setup),
        ("gather_facts", gather_facts),
        ("ansible.builtin.gather_facts", gather_facts),
    ];
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

    #[test]
    fn a_pruned_binary_runs_only_the_modules_it_compiled_in() {
        let pruned = Extensions::pruned(&[], &[("debug", entry::debug)], None);
        with_test_context(false, 0, &|_| None, |ctx| {
            let said = dispatch("debug", &obj([("msg", Value::str("hi"))]), ctx, &pruned);
            assert_eq!(said.status, Status::Ok);
            let missing = dispatch("ping", &obj([]), ctx, &pruned);
            assert_eq!(missing.status, Status::Failed);
            assert!(missing
                .msg
                .as_str()
                .unwrap()
                .contains("unsupported module 'ping'"));
            let full = Extensions::new(&[]);
            assert_eq!(dispatch("ping", &obj([]), ctx, &full).status, Status::Ok);
        });
    }

    #[test]
    fn every_alias_runs_the_function_of_its_short_name() {
        for (name, function) in entry::ALL {
            let Some(short) = name.strip_prefix("ansible.builtin.") else {
                continue;
            };
            let plain = find_in(entry::ALL, short).expect(short);
            assert_eq!(plain as usize, *function as usize, "{name}");
        }
        assert!(entry::ALL.iter().any(|(name, _)| *name == "gather_facts"));
    }

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
