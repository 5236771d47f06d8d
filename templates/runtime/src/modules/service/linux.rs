//! Ansible's `service` module on Linux: it finds the tools itself — systemctl
//! when systemd runs the machine, OpenRC's `rc-service` / `rc-update`, or a
//! SysV init script driven through `service` and enabled with `update-rc.d`,
//! `insserv` or `chkconfig` — then queries the status before changing it.

use super::{missing, Request, Wanted};
use crate::json::Value;
use crate::modules::command::{split_command, Captured};
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::{rc_link_exists, target_path, Tool};
use crate::modules::{Outcome, Status};
use std::path::PathBuf;

/// Where Ansible's service module looks for its tools besides `PATH`.
const TOOL_DIRS: [&str; 4] = ["/sbin", "/usr/sbin", "/bin", "/usr/bin"];

pub(super) fn run(req: &mut Request, openrc_only: bool) -> Outcome {
    match run_linux(req, openrc_only) {
        Ok(out) | Err(out) => out,
    }
}

/// What starts and stops the service.
enum Control {
    Systemctl(Tool),
    RcService(Tool),
    Service(Tool),
    Script(PathBuf),
}

/// What enables it at boot.
enum Enabler {
    Systemctl(Tool),
    RcUpdate(Tool),
    UpdateRcd(Tool),
    Insserv(Tool),
    Chkconfig(Tool),
}

struct Linux<'a> {
    name: String,
    control: Control,
    enabler: Option<Enabler>,
    arguments: Vec<String>,
    check_mode: bool,
    req: &'a Request<'a>,
}

fn locate(name: &str) -> Option<Tool> {
    Tool::locate(name, &TOOL_DIRS)
        .map(|t| t.with_env(&[("LANG", "C"), ("LC_ALL", "C"), ("LC_MESSAGES", "C")]))
}

/// Ansible's `is_systemd_managed`.
fn systemd_managed() -> bool {
    let booted = [
        "/run/systemd/system/",
        "/dev/.run/systemd/",
        "/dev/.systemd/",
    ]
    .iter()
    .any(|canary| target_path(canary).exists());
    booted
        || std::fs::read_to_string(target_path("/proc/1/comm"))
            .is_ok_and(|comm| comm.lines().next().unwrap_or("").trim() == "systemd")
}

fn run_linux(req: &mut Request, openrc_only: bool) -> Result<Outcome, Outcome> {
    let name = req.name.clone();
    let script = target_path(&format!("/etc/init.d/{name}"));
    let initscript = script.is_file().then_some(script);
    let systemctl = if openrc_only {
        None
    } else {
        locate("systemctl")
    };
    let rc_service = if openrc_only {
        Some(Tool::require("rc-service", &TOOL_DIRS)?)
    } else {
        locate("rc-service")
    };
    let (control, enabler) = match (systemctl, rc_service) {
        (Some(systemctl), _) if systemd_managed() => (
            Some(Control::Systemctl(systemctl.clone())),
            Some(Enabler::Systemctl(systemctl)),
        ),
        (_, Some(rc_service)) => {
            // rc-service knows whether the service exists; ask before acting.
            if rc_service.run(&["--exists", &name])?.rc != 0 {
                return Err(missing(&name));
            }
            (
                Some(Control::RcService(rc_service)),
                locate("rc-update").map(Enabler::RcUpdate),
            )
        }
        _ => {
            let enabler = if initscript.is_some() {
                locate("update-rc.d")
                    .map(Enabler::UpdateRcd)
                    .or_else(|| locate("insserv").map(Enabler::Insserv))
                    .or_else(|| locate("chkconfig").map(Enabler::Chkconfig))
            } else {
                None
            };
            if enabler.is_none() {
                return Err(missing(&name));
            }
            let control = locate("service")
                .map(Control::Service)
                .or_else(|| initscript.clone().map(Control::Script));
            (control, enabler)
        }
    };
    let Some(control) = control else {
        return Err(Outcome::failed(
            "cannot find 'service' binary or init script for service,  possible typo in \
             service name?, aborting",
        ));
    };
    let arguments = match req.string("arguments")?.or(req.string("args")?) {
        Some(text) => split_command(&text).map_err(Outcome::failed)?,
        None => Vec::new(),
    };
    let linux = Linux {
        name: name.clone(),
        control,
        enabler,
        arguments,
        check_mode: req.check_mode,
        req,
    };

    let mut enable_changed = false;
    if let Some(enable) = linux.req.enabled {
        enable_changed = linux.set_enabled(enable)?;
    }
    let mut out_extra = vec![("name".to_string(), Value::str(&name))];
    if let Some(enable) = linux.req.enabled {
        out_extra.push(("enabled".into(), Value::Bool(enable)));
    }
    let Some(wanted) = linux.req.state else {
        return Ok(result(enable_changed, out_extra));
    };

    let (running, crashed) = match linux.req.string("pattern")? {
        Some(pattern) => (linux.ps_running(&pattern)?, false),
        None => linux.status()?,
    };
    let Some(running) = running else {
        return Err(Outcome::failed(
            "failed determining service state, possible typo of service name?",
        ));
    };
    let state_change = match wanted {
        Wanted::Started => !running,
        Wanted::Stopped => running,
        Wanted::Reloaded | Wanted::Restarted | Wanted::Unloaded => true,
    };
    let reported = if wanted == Wanted::Stopped {
        "stopped"
    } else {
        "started"
    };
    out_extra.push(("state".into(), Value::str(reported)));
    if state_change {
        if linux.check_mode {
            let mut out = result(true, out_extra);
            out.msg = Value::str("service state changed");
            return Ok(out);
        }
        let action = match wanted {
            Wanted::Started => "start",
            Wanted::Reloaded if !running => "start",
            Wanted::Stopped => "stop",
            Wanted::Reloaded => "reload",
            Wanted::Restarted | Wanted::Unloaded => "restart",
        };
        let ran = linux.control(action, crashed)?;
        if ran.rc != 0 && !ran.stderr.contains("Job is already running") {
            let mut out = Outcome::failed(if ran.stderr.is_empty() {
                ran.stdout.clone()
            } else {
                ran.stderr.clone()
            });
            out.rc = Some(ran.rc);
            out.stdout = ran.stdout;
            out.stderr = ran.stderr;
            return Err(out);
        }
    }
    Ok(result(enable_changed || state_change, out_extra))
}

fn result(changed: bool, extra: Vec<(String, Value)>) -> Outcome {
    let mut out = Outcome::new(
        if changed { Status::Changed } else { Status::Ok },
        changed,
        "",
    );
    out.msg = Value::Null;
    out.extra = extra;
    out
}

impl Linux<'_> {
    /// The command line for `action` on the service.
    fn command(&self, action: &str) -> (Tool, Vec<String>) {
        let mut args = Vec::new();
        let tool = match &self.control {
            Control::Systemctl(tool) => {
                args.extend([action.to_string(), self.name.clone()]);
                tool.clone()
            }
            Control::RcService(tool) | Control::Service(tool) => {
                args.extend([self.name.clone(), action.to_string()]);
                tool.clone()
            }
            Control::Script(path) => {
                args.push(action.to_string());
                Tool::at(path)
            }
        };
        args.extend(self.arguments.iter().cloned());
        (tool, args)
    }

    fn control(&self, action: &str, crashed: bool) -> Result<Captured, Outcome> {
        let openrc = matches!(self.control, Control::RcService(_));
        if openrc && action == "start" && crashed {
            let (tool, args) = self.command("zap");
            tool.run_detached(&args)?;
        }
        if action != "restart" || openrc || matches!(self.control, Control::Systemctl(_)) {
            let (tool, args) = self.command(action);
            return tool.run_detached(&args);
        }
        // Not every init script has `restart`: stop, wait, start.
        let (tool, args) = self.command("stop");
        let first = tool.run_detached(&args)?;
        let sleep = params::int_arg(self.req.args, "sleep")
            .map_err(Outcome::failed)?
            .unwrap_or(0);
        if sleep > 0 {
            std::thread::sleep(std::time::Duration::from_secs(sleep as u64));
        }
        let (tool, args) = self.command("start");
        let second = tool.run_detached(&args)?;
        Ok(if first.rc != 0 && second.rc == 0 {
            second
        } else {
            Captured {
                rc: first.rc + second.rc,
                stdout: first.stdout + &second.stdout,
                stderr: first.stderr + &second.stderr,
            }
        })
    }

    /// (running, crashed); running is `None` when the answer is unclear.
    fn status(&self) -> Result<(Option<bool>, bool), Outcome> {
        if let Control::Systemctl(tool) = &self.control {
            let ran = tool.run(&["show", &self.name])?;
            if ran.rc != 0 {
                return Err(Outcome::failed(format!(
                    "failure {} running systemctl show for '{}': {}",
                    ran.rc, self.name, ran.stderr
                )));
            }
            if ran.stdout.contains("LoadState=not-found") {
                return Err(Outcome::failed(format!(
                    "systemd could not find the requested service \"'{}'\": {}",
                    self.name, ran.stderr
                )));
            }
            let active = ran
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("ActiveState="));
            return match active {
                Some("active") => Ok((Some(true), false)),
                Some("failed") => Ok((Some(false), true)),
                Some(_) => Ok((Some(false), false)),
                None => Err(Outcome::failed(format!(
                    "No ActiveState value in systemctl show output for '{}'",
                    self.name
                ))),
            };
        }
        let (tool, args) = self.command("status");
        let ran = tool.run(&args)?;
        if matches!(self.control, Control::RcService(_)) {
            return Ok((
                Some(ran.stdout.contains("started")),
                ran.stderr.contains("crashed"),
            ));
        }
        Ok((interpret_status(&self.name, &ran), false))
    }

    /// `ps auxww` lines containing `pattern` (Ansible's `check_ps`).
    fn ps_running(&self, pattern: &str) -> Result<Option<bool>, Outcome> {
        let ps = Tool::require("ps", &[])?;
        let ran = ps.run(&["auxww"])?;
        if ran.rc != 0 {
            return Ok(None);
        }
        Ok(Some(
            ran.stdout
                .lines()
                .any(|l| l.contains(pattern) && !l.contains("pattern=")),
        ))
    }

    /// Enables or disables the service; returns whether that changed anything.
    fn set_enabled(&self, enable: bool) -> Result<bool, Outcome> {
        let Some(enabler) = &self.enabler else {
            return Err(Outcome::failed(format!(
                "cannot detect command to enable service {}, typo or init system potentially \
                 unknown",
                self.name
            )));
        };
        let name = self.name.as_str();
        let (tool, action) = match enabler {
            Enabler::Systemctl(tool) => {
                let ran = tool.run(&["is-enabled", name])?;
                let enabled = if ran.rc == 0 {
                    true
                } else if ran.stdout.starts_with("disabled") {
                    false
                } else if is_executable(&target_path(&format!("/etc/init.d/{name}"))) {
                    rc_link_exists('S', name)
                } else {
                    false
                };
                if enabled == enable {
                    return Ok(false);
                }
                (tool, if enable { "enable" } else { "disable" })
            }
            Enabler::RcUpdate(tool) => {
                let runlevel = self
                    .req
                    .string("runlevel")?
                    .unwrap_or_else(|| "default".to_string());
                let ran = tool.run(&["show"])?;
                let mut changed = true;
                let mut listed = false;
                for line in ran.stdout.lines() {
                    let Some((service, runlevels)) = line.split_once('|') else {
                        continue;
                    };
                    if service.trim() != name {
                        continue;
                    }
                    listed = true;
                    let in_level = runlevels.split_whitespace().any(|r| r == runlevel);
                    if enable == in_level {
                        changed = false;
                    }
                    break;
                }
                if !listed && !enable {
                    changed = false;
                }
                if !changed {
                    return Ok(false);
                }
                if !self.check_mode {
                    let action = if enable { "add" } else { "delete" };
                    let ran = tool.run(&[action, name, &runlevel])?;
                    check_enable(&ran, action, name)?;
                }
                return Ok(true);
            }
            Enabler::UpdateRcd(tool) => {
                let enabled = rc_link_exists('S', name);
                if enabled == enable {
                    return Ok(false);
                }
                if !self.check_mode {
                    if enable && !rc_link_exists('K', name) {
                        let ran = tool.run(&[name, "defaults"])?;
                        check_update_rcd(&ran)?;
                    }
                    let ran = tool.run(&[name, if enable { "enable" } else { "disable" }])?;
                    check_update_rcd(&ran)?;
                }
                return Ok(true);
            }
            Enabler::Insserv(tool) => {
                let probe = if enable {
                    tool.run(&["-n", "-v", name])?
                } else {
                    tool.run(&["-n", "-r", "-v", name])?
                };
                let marker = if enable {
                    "enable service"
                } else {
                    "remove service"
                };
                if !probe.stderr.lines().any(|l| l.contains(marker)) {
                    return Ok(false);
                }
                if !self.check_mode {
                    let ran = if enable {
                        tool.run(&[name])?
                    } else {
                        tool.run(&["-r", name])?
                    };
                    if ran.rc != 0 || !ran.stderr.is_empty() {
                        return Err(Outcome::failed(format!(
                            "Failed to {} service. rc: {}, out: {}, err: {}",
                            if enable { "install" } else { "remove" },
                            ran.rc,
                            ran.stdout,
                            ran.stderr
                        )));
                    }
                }
                return Ok(true);
            }
            Enabler::Chkconfig(tool) => {
                let action = if enable { "on" } else { "off" };
                let mut listed = tool.run(&["--list", name])?;
                if listed.stderr.contains(&format!("chkconfig --add {name}")) {
                    tool.run(&["--add", name])?;
                    listed = tool.run(&["--list", name])?;
                }
                if !listed.stdout.contains(name) {
                    return Err(Outcome::failed(format!(
                        "service {name} does not support chkconfig"
                    )));
                }
                if listed.stdout.contains(&format!("3:{action}"))
                    && listed.stdout.contains(&format!("5:{action}"))
                {
                    return Ok(false);
                }
                (tool, action)
            }
        };
        if !self.check_mode {
            let ran = match enabler {
                Enabler::Systemctl(_) => tool.run(&[action, name])?,
                _ => tool.run(&[name, action])?,
            };
            check_enable(&ran, action, name)?;
        }
        Ok(true)
    }
}

fn check_enable(ran: &Captured, action: &str, name: &str) -> Result<(), Outcome> {
    if ran.rc == 0 {
        return Ok(());
    }
    Err(Outcome::failed(if ran.stderr.is_empty() {
        format!("Failure for {action} {name}: rc={} {}", ran.rc, ran.stdout)
    } else {
        format!(
            "Error when trying to {action} {name}: rc={} {}",
            ran.rc, ran.stderr
        )
    }))
}

fn check_update_rcd(ran: &Captured) -> Result<(), Outcome> {
    if ran.rc == 0 {
        return Ok(());
    }
    let mut out = Outcome::failed(if ran.stderr.is_empty() {
        ran.stdout.clone()
    } else {
        ran.stderr.clone()
    });
    out.rc = Some(ran.rc);
    Err(out)
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Ansible's reading of a SysV `status` answer: LSB exit codes first, then
/// keywords of a one-line output, then "exit 0 means running".
fn interpret_status(name: &str, ran: &Captured) -> Option<bool> {
    if [1, 2, 3, 4, 69].contains(&ran.rc) {
        return Some(false);
    }
    if ran.stdout.matches('\n').count() <= 1 {
        let clean = ran.stdout.to_lowercase().replace(&name.to_lowercase(), "");
        if clean.contains("stop") {
            return Some(false);
        } else if clean.contains("run") {
            return Some(!clean.contains("not "));
        } else if clean.contains("start") && !clean.contains("not ") {
            return Some(true);
        } else if [
            "could not access pid file",
            "is dead and pid file exists",
            "dead but subsys locked",
            "dead but pid file exists",
        ]
        .iter()
        .any(|k| clean.contains(k))
        {
            return Some(false);
        }
    }
    if ran.rc == 0 {
        return Some(true);
    }
    (name == "iptables" && ran.stdout.contains("ACCEPT")).then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(rc: i64, stdout: &str) -> Option<bool> {
        interpret_status(
            "foo",
            &Captured {
                rc,
                stdout: stdout.into(),
                stderr: String::new(),
            },
        )
    }

    #[test]
    fn reads_sysv_status_like_ansible() {
        assert_eq!(status(3, "foo is running"), Some(false));
        assert_eq!(status(0, "foo is running\n"), Some(true));
        assert_eq!(status(0, "foo is not running\n"), Some(false));
        assert_eq!(status(0, "foo stopped\n"), Some(false));
        assert_eq!(status(0, "ok\n"), Some(true));
        assert_eq!(status(5, "a\nb\nc\n"), None);
    }
}
