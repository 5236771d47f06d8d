//! The `package` module and the package managers behind it: `apt`, `dnf`,
//! `yum`, `apk`, `pacman`, `zypper` and `homebrew`.
//!
//! Every manager first asks the system what is installed (dpkg-query, rpm,
//! apk, pacman, brew), so a second run changes nothing; check mode stops after
//! those queries and reports what would change.

// Errors here are the task's final (failed) outcome, built once per task:
// their size does not matter.
#![allow(clippy::result_large_err)]

mod apk;
mod apt;
mod brew;
mod dnf;
mod pacman;
mod zypper;

use super::params;
use super::sysexec::Tool;
use super::{ModuleContext, Outcome};
use crate::json::Value;

/// A package manager this runtime drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Apt,
    Dnf,
    Yum,
    Apk,
    Pacman,
    Zypper,
    Homebrew,
}

impl Manager {
    /// The manager for an Ansible module or `pkg_mgr` fact name.
    pub fn from_name(name: &str) -> Option<Manager> {
        Some(match name {
            "apt" => Manager::Apt,
            "dnf" | "dnf5" => Manager::Dnf,
            "yum" => Manager::Yum,
            "apk" => Manager::Apk,
            "pacman" => Manager::Pacman,
            "zypper" => Manager::Zypper,
            "homebrew" | "brew" => Manager::Homebrew,
            _ => return None,
        })
    }

    fn module(self) -> &'static str {
        match self {
            Manager::Apt => "apt",
            Manager::Dnf => "dnf",
            Manager::Yum => "yum",
            Manager::Apk => "apk",
            Manager::Pacman => "pacman",
            Manager::Zypper => "zypper",
            Manager::Homebrew => "homebrew",
        }
    }

    /// Accepted `state` values (aliases included), as listed in messages.
    fn states(self) -> &'static [&'static str] {
        match self {
            Manager::Apt => &["absent", "latest", "present"],
            Manager::Homebrew => &[
                "absent",
                "installed",
                "latest",
                "present",
                "removed",
                "uninstalled",
                "upgraded",
            ],
            _ => &["absent", "installed", "latest", "present", "removed"],
        }
    }
}

/// The state a task asks for, aliases folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Present,
    Absent,
    Latest,
}

/// A package task's common arguments.
pub(crate) struct Request<'a> {
    pub names: Vec<String>,
    pub want: Want,
    pub update_cache: bool,
    pub args: &'a Value,
    pub check_mode: bool,
    pub diff_mode: bool,
}

impl params::ArgReader for Request<'_> {
    fn task_args(&self) -> &Value {
        self.args
    }
}

/// The `package` module: the manager named by `use`, else the `pkg_mgr` fact.
pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let chosen = match params::str_arg(args, "use") {
        Ok(value) => value.unwrap_or_else(|| "auto".to_string()),
        Err(msg) => return Outcome::failed(msg),
    };
    let name = if chosen == "auto" {
        match ctx.facts.get("pkg_mgr") {
            Some(Value::Str(mgr)) if !mgr.is_empty() && mgr != "unknown" => mgr,
            _ => {
                return Outcome::failed(
                    "Could not detect which package manager to use. Try gathering facts or \
                     setting the \"use\" option.",
                )
            }
        }
    } else {
        chosen
    };
    match Manager::from_name(&name) {
        Some(manager) => run_with(manager, args, ctx, true),
        None => Outcome::failed(format!(
            "Could not find a matching action for the \"{name}\" package manager."
        )),
    }
}

/// One of the manager modules (`apt`, `dnf`, ...).
pub fn run_manager(manager: Manager, args: &Value, ctx: &ModuleContext) -> Outcome {
    run_with(manager, args, ctx, false)
}

/// `generic`: called as `package`, whose `installed`/`removed` work with every manager.
fn run_with(manager: Manager, args: &Value, ctx: &ModuleContext, generic: bool) -> Outcome {
    let request = match parse_request(manager, args, ctx, generic) {
        Ok(request) => request,
        Err(out) => return out,
    };
    match manager {
        Manager::Apt => apt::run(&request),
        Manager::Dnf => dnf::run(&request, "dnf"),
        Manager::Yum => dnf::run(&request, "yum"),
        Manager::Apk => apk::run(&request),
        Manager::Pacman => pacman::run(&request),
        Manager::Zypper => zypper::run(&request),
        Manager::Homebrew => brew::run(&request),
    }
}

fn parse_request<'a>(
    manager: Manager,
    args: &'a Value,
    ctx: &ModuleContext,
    generic: bool,
) -> Result<Request<'a>, Outcome> {
    // The package managers' modules strip each name (`[p.strip() for p in names]`).
    let names: Vec<String> = params::list_arg(args, "name")
        .map_err(Outcome::failed)?
        .unwrap_or_default()
        .iter()
        .map(|n| n.trim().to_string())
        .collect();
    let mut state = params::str_arg(args, "state")
        .map_err(Outcome::failed)?
        .unwrap_or_else(|| "present".to_string());
    if generic {
        match state.as_str() {
            "installed" => state = "present".to_string(),
            "removed" => state = "absent".to_string(),
            _ => {}
        }
    }
    if !manager.states().contains(&state.as_str()) {
        return Err(Outcome::failed(format!(
            "value of state must be one of: {}, got: {state}",
            manager.states().join(", ")
        )));
    }
    let want = match state.as_str() {
        "absent" | "removed" | "uninstalled" => Want::Absent,
        "latest" | "upgraded" => Want::Latest,
        _ => Want::Present,
    };
    let update_cache = params::bool_arg(args, "update_cache")
        .map_err(Outcome::failed)?
        .unwrap_or(false);
    if let Some(bad) = names
        .iter()
        .find(|n| n.starts_with('-') || n.contains(char::is_whitespace))
    {
        return Err(Outcome::failed(format!(
            "{}: invalid package name '{bad}'",
            manager.module()
        )));
    }
    if names.is_empty() && !update_cache {
        return Err(Outcome::failed(format!(
            "{}: one of the following is required: name, update_cache",
            manager.module()
        )));
    }
    Ok(Request {
        names,
        want,
        update_cache,
        args,
        check_mode: ctx.check_mode,
        diff_mode: ctx.diff_mode,
    })
}

/// A failed task, unless this process is root: the managers need root to
/// change anything (Homebrew excepted).
pub(crate) fn require_root(tool: &Tool) -> Result<(), Outcome> {
    if super::sysexec::is_root() {
        return Ok(());
    }
    Err(Outcome::failed(format!(
        "This command has to be run under the root user. ({} needs root privileges to \
         install or remove packages)",
        tool.name()
    )))
}

/// A failed outcome carrying a command's output.
pub(crate) fn command_failed(msg: impl Into<String>, ran: &super::command::Captured) -> Outcome {
    let mut out = Outcome::failed(msg);
    out.rc = Some(ran.rc);
    out.stdout = ran.stdout.clone();
    out.stderr = ran.stderr.clone();
    out
}

pub(crate) fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(Value::str).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::modules::Status;

    fn run_args(module: Option<Manager>, args: &str, check: bool) -> Outcome {
        let lookup = |_: &str| None;
        crate::modules::with_test_context(check, 0, &lookup, |ctx| {
            let args = parse(args).unwrap();
            match module {
                Some(m) => run_manager(m, &args, ctx),
                None => run(&args, ctx),
            }
        })
    }

    #[test]
    fn manager_names() {
        assert_eq!(Manager::from_name("apt"), Some(Manager::Apt));
        assert_eq!(Manager::from_name("dnf5"), Some(Manager::Dnf));
        assert_eq!(Manager::from_name("homebrew"), Some(Manager::Homebrew));
        assert_eq!(Manager::from_name("portage"), None);
    }

    #[test]
    fn bad_requests_fail_clearly() {
        let o = run_args(
            Some(Manager::Apt),
            r#"{"name": "x", "state": "gone"}"#,
            true,
        );
        assert_eq!(o.status, Status::Failed);
        assert_eq!(
            o.msg.to_text(),
            "value of state must be one of: absent, latest, present, got: gone"
        );
        let o = run_args(Some(Manager::Dnf), r#"{"name": []}"#, true);
        assert_eq!(
            o.msg.to_text(),
            "dnf: one of the following is required: name, update_cache"
        );
        let o = run_args(Some(Manager::Apk), r#"{"name": "-rf"}"#, true);
        assert_eq!(o.msg.to_text(), "apk: invalid package name '-rf'");
        let o = run_args(None, r#"{"name": "x", "use": "portage"}"#, true);
        assert_eq!(
            o.msg.to_text(),
            "Could not find a matching action for the \"portage\" package manager."
        );
    }
}
