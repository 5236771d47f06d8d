//! The `service` module and the service managers behind it: systemd
//! (`systemd` / `systemd_service`), SysV init scripts (`sysvinit`), the
//! generic Linux `service` logic (SysV scripts through `service`, OpenRC
//! through `rc-service` / `rc-update`), and launchd.
//!
//! Each one queries the current state first, so a service that is already as
//! asked is reported unchanged; check mode stops after the queries.

// Errors here are the task's final (failed) outcome, built once per task:
// their size does not matter.
#![allow(clippy::result_large_err)]

mod launchd;
mod linux;
mod systemd;
mod sysv;

use super::params;
use super::{ModuleContext, Outcome};
use crate::json::Value;

/// A service manager this runtime drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// Ansible's `service` module on Linux: picks systemctl, OpenRC or SysV itself.
    Linux,
    /// The same, but OpenRC's tools are required.
    OpenRc,
    Systemd,
    Sysv,
    Launchd,
}

impl Manager {
    /// The manager for a module name.
    pub fn from_name(name: &str) -> Option<Manager> {
        Some(match name {
            "service" => Manager::Linux,
            "openrc" => Manager::OpenRc,
            "systemd" | "systemd_service" => Manager::Systemd,
            "sysvinit" => Manager::Sysv,
            "launchd" => Manager::Launchd,
            _ => return None,
        })
    }

    /// What `service` runs for a `service_mgr` fact (or `use`) value, as
    /// Ansible's service action picks a module (unknown ones use `service`).
    fn for_service_mgr(name: &str) -> Manager {
        match name {
            "systemd" => Manager::Systemd,
            "sysvinit" => Manager::Sysv,
            "openrc" => Manager::OpenRc,
            "launchd" => Manager::Launchd,
            _ => Manager::Linux,
        }
    }
}

/// The state a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    Started,
    Stopped,
    Restarted,
    Reloaded,
    /// launchd only.
    Unloaded,
}

impl Wanted {
    pub fn as_str(self) -> &'static str {
        match self {
            Wanted::Started => "started",
            Wanted::Stopped => "stopped",
            Wanted::Restarted => "restarted",
            Wanted::Reloaded => "reloaded",
            Wanted::Unloaded => "unloaded",
        }
    }
}

/// A service task's common arguments.
pub(crate) struct Request<'a> {
    pub name: String,
    pub state: Option<Wanted>,
    pub enabled: Option<bool>,
    pub args: &'a Value,
    pub check_mode: bool,
    pub warnings: Vec<String>,
}

impl params::ArgReader for Request<'_> {
    fn task_args(&self) -> &Value {
        self.args
    }
}

/// The `service` module: the manager named by `use`, else the `service_mgr` fact.
pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let chosen = match params::str_arg(args, "use") {
        Ok(value) => value
            .unwrap_or_else(|| "auto".to_string())
            .to_ascii_lowercase(),
        Err(msg) => return Outcome::failed(msg),
    };
    let name = if chosen == "auto" {
        match ctx.facts.get("service_mgr") {
            Some(Value::Str(mgr)) => mgr,
            _ => "service".to_string(),
        }
    } else {
        chosen
    };
    let manager = Manager::for_service_mgr(&name);
    let mut warnings = Vec::new();
    let mut args = args.clone();
    if manager == Manager::Systemd {
        // Ansible's service action drops what systemd does not use.
        if let Value::Object(members) = &mut args {
            members.retain(|(key, value)| {
                let unused = ["pattern", "runlevel", "sleep", "arguments", "args"]
                    .contains(&key.as_str())
                    && !value.is_null()
                    && value.as_str() != Some("");
                if unused {
                    warnings.push(format!(
                        "Ignoring \"{key}\" as it is not used in \"systemd\""
                    ));
                }
                !unused
            });
        }
    }
    run_inner(manager, &args, ctx, warnings)
}

/// One of the manager modules (`systemd`, `sysvinit`, ...).
pub fn run_manager(manager: Manager, args: &Value, ctx: &ModuleContext) -> Outcome {
    run_inner(manager, args, ctx, Vec::new())
}

fn run_inner(
    manager: Manager,
    args: &Value,
    ctx: &ModuleContext,
    warnings: Vec<String>,
) -> Outcome {
    let request = match parse_request(manager, args, ctx, warnings) {
        Ok(request) => request,
        Err(out) => return out,
    };
    let mut request = request;
    let mut out = match manager {
        Manager::Systemd => systemd::run(&mut request),
        Manager::Linux => linux::run(&mut request, false),
        Manager::OpenRc => linux::run(&mut request, true),
        Manager::Sysv => sysv::run(&mut request),
        Manager::Launchd => launchd::run(&mut request),
    };
    super::sysexec::add_warnings(&mut out, std::mem::take(&mut request.warnings));
    out
}

fn parse_request<'a>(
    manager: Manager,
    args: &'a Value,
    ctx: &ModuleContext,
    warnings: Vec<String>,
) -> Result<Request<'a>, Outcome> {
    let name = params::str_arg(args, "name")
        .map_err(Outcome::failed)?
        .unwrap_or_default();
    let state = match params::str_arg(args, "state").map_err(Outcome::failed)? {
        None => None,
        Some(text) => Some(match text.as_str() {
            "started" => Wanted::Started,
            "stopped" => Wanted::Stopped,
            "restarted" => Wanted::Restarted,
            "reloaded" => Wanted::Reloaded,
            "unloaded" if manager == Manager::Launchd => Wanted::Unloaded,
            other => {
                let choices = if manager == Manager::Launchd {
                    "reloaded, restarted, started, stopped, unloaded"
                } else {
                    "reloaded, restarted, started, stopped"
                };
                return Err(Outcome::failed(format!(
                    "value of state must be one of: {choices}, got: {other}"
                )));
            }
        }),
    };
    let enabled = params::bool_arg(args, "enabled").map_err(Outcome::failed)?;
    if manager == Manager::Systemd {
        let any_action = state.is_some()
            || enabled.is_some()
            || params::bool_arg(args, "masked")
                .map_err(Outcome::failed)?
                .is_some()
            || params::bool_arg(args, "daemon_reload").map_err(Outcome::failed)? == Some(true)
            || params::bool_arg(args, "daemon_reexec").map_err(Outcome::failed)? == Some(true);
        if !any_action {
            return Err(Outcome::failed(
                "one of the following is required: state, enabled, masked, daemon_reload, \
                 daemon_reexec",
            ));
        }
        for (key, given) in [
            ("state", state.is_some()),
            ("enabled", enabled.is_some()),
            (
                "masked",
                !matches!(args.get("masked"), None | Some(Value::Null)),
            ),
        ] {
            if given && name.is_empty() {
                return Err(Outcome::failed(format!(
                    "missing parameter(s) required by '{key}': name"
                )));
            }
        }
    } else {
        if name.is_empty() {
            return Err(Outcome::failed("missing required arguments: name"));
        }
        if state.is_none() && enabled.is_none() {
            return Err(Outcome::failed(
                "one of the following is required: state, enabled",
            ));
        }
    }
    Ok(Request {
        name,
        state,
        enabled,
        args,
        check_mode: ctx.check_mode,
        warnings,
    })
}

/// Ansible's `fail_if_missing`.
pub(crate) fn missing(name: &str) -> Outcome {
    Outcome::failed(format!("Could not find the requested service {name}: host"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run_args(manager: Manager, args: &str) -> Outcome {
        let lookup = |_: &str| None;
        crate::modules::with_test_context(true, 0, &lookup, |ctx| {
            run_manager(manager, &parse(args).unwrap(), ctx)
        })
    }

    #[test]
    fn argument_errors() {
        let o = run_args(Manager::Linux, r#"{"name": "x"}"#);
        assert_eq!(
            o.msg.to_text(),
            "one of the following is required: state, enabled"
        );
        let o = run_args(Manager::Linux, r#"{"state": "started"}"#);
        assert_eq!(o.msg.to_text(), "missing required arguments: name");
        let o = run_args(Manager::Systemd, r#"{"state": "started"}"#);
        assert_eq!(
            o.msg.to_text(),
            "missing parameter(s) required by 'state': name"
        );
        let o = run_args(Manager::Systemd, r#"{"name": "x", "state": "up"}"#);
        assert_eq!(
            o.msg.to_text(),
            "value of state must be one of: reloaded, restarted, started, stopped, got: up"
        );
        let o = run_args(Manager::Linux, r#"{"name": "x", "enabled": "maybe"}"#);
        assert!(o.msg.to_text().contains("not a valid boolean"));
    }

    #[test]
    fn fact_values_pick_managers() {
        assert_eq!(Manager::for_service_mgr("systemd"), Manager::Systemd);
        assert_eq!(Manager::for_service_mgr("openrc"), Manager::OpenRc);
        assert_eq!(Manager::for_service_mgr("upstart"), Manager::Linux);
        assert_eq!(
            Manager::from_name("systemd_service"),
            Some(Manager::Systemd)
        );
    }
}
