//! `sysvinit`: a SysV init script run directly, its status read through
//! `service NAME status` (or the script), boot links managed with
//! `update-rc.d` or `chkconfig`, as Ansible's sysvinit module does.

use super::{missing, Request, Wanted};
use crate::json::{obj, Value};
use crate::modules::command::{split_command, Captured};
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::{rc_link_exists, target_path, Tool};
use crate::modules::{Outcome, Status};

const TOOL_DIRS: [&str; 4] = ["/sbin", "/usr/sbin", "/bin", "/usr/bin"];

pub(super) fn run(req: &mut Request) -> Outcome {
    match run_sysv(req) {
        Ok(out) | Err(out) => out,
    }
}

fn locate(name: &str) -> Option<Tool> {
    Tool::locate(name, &TOOL_DIRS)
}

/// `{changed, rc, stdout, stderr}` of one part of the work.
fn step(changed: bool, ran: Option<&Captured>) -> Value {
    obj([
        ("changed", Value::Bool(changed)),
        ("rc", ran.map_or(Value::Null, |r| Value::Int(r.rc))),
        ("stdout", ran.map_or(Value::Null, |r| Value::str(&r.stdout))),
        ("stderr", ran.map_or(Value::Null, |r| Value::str(&r.stderr))),
    ])
}

fn run_sysv(req: &mut Request) -> Result<Outcome, Outcome> {
    let name = req.name.clone();
    let script_path = if name.starts_with('/') {
        std::path::PathBuf::from(&name)
    } else {
        target_path(&format!("/etc/init.d/{name}"))
    };
    if !script_path.exists() {
        return Err(missing(&name));
    }
    let script = Tool::at(&script_path);
    let runlevels = params::list_arg(req.args, "runlevels")
        .map_err(Outcome::failed)?
        .unwrap_or_default();
    let enabled_now: Vec<bool> = if runlevels.is_empty() {
        vec![rc_link_exists('S', &name)]
    } else {
        runlevels
            .iter()
            .map(|level| runlevel_enabled(&name, level))
            .collect()
    };

    // Is it running?
    let started = match req.string("pattern")? {
        Some(pattern) => ps_matches(&pattern)?,
        None => {
            let ran = match locate("service") {
                Some(service) => service.run(&[name.as_str(), "status"])?,
                None => script.run(&["status"])?,
            };
            match interpret(&name, &ran) {
                Some(started) => started,
                None if ran.rc == 0 => true,
                None if ps_matches(&name)? => {
                    req.warnings.push(
                        "Used ps output to match service name and determine it is up, this is \
                         very unreliable"
                            .to_string(),
                    );
                    true
                }
                None => {
                    req.warnings
                        .push("Unable to determine if service is up, assuming it is down".into());
                    false
                }
            }
        }
    };

    let mut changed = false;
    let mut status: Vec<(String, Value)> = Vec::new();

    // Boot links.
    let mut enable_ran = None;
    let enable_changed = match req.enabled {
        Some(want) => enabled_now.iter().any(|now| *now != want),
        None => false,
    };
    if enable_changed {
        changed = true;
        if !req.check_mode {
            let want = req.enabled == Some(true);
            let ran = if let Some(tool) = locate("update-rc.d") {
                let mut args = vec![name.clone()];
                if runlevels.is_empty() {
                    args.push(if want { "defaults" } else { "disable" }.to_string());
                } else {
                    args.push(if want { "enable" } else { "disable" }.to_string());
                    args.extend(runlevels.iter().cloned());
                }
                Some(tool.run(&args)?)
            } else if let Some(tool) = locate("chkconfig") {
                let action = if want { "on" } else { "off" };
                let mut args = Vec::new();
                if !runlevels.is_empty() {
                    args.extend(["--level".to_string(), runlevels.concat()]);
                }
                args.extend([name.clone(), action.to_string()]);
                Some(tool.run(&args)?)
            } else {
                None
            };
            if let Some(ran) = &ran {
                if ran.stderr.contains("illegal runlevel specified") {
                    return Err(Outcome::failed(format!(
                        "Illegal runlevel specified for enable operation on service {name}"
                    )));
                }
            }
            enable_ran = ran;
        }
    }
    let mut enabled_step = step(enable_changed, enable_ran.as_ref());
    if !runlevels.is_empty() {
        if let Value::Object(members) = &mut enabled_step {
            members.push((
                "runlevels".into(),
                Value::Array(runlevels.iter().map(Value::str).collect()),
            ));
        }
    }
    status.push(("enabled".into(), enabled_step));

    // Running state.
    if let Some(wanted) = req.state {
        let action = match wanted {
            Wanted::Started => "start",
            Wanted::Stopped => "stop",
            Wanted::Restarted => "restart",
            Wanted::Reloaded | Wanted::Unloaded => "reload",
        };
        let arguments = match req.string("arguments")?.or(req.string("args")?) {
            Some(text) => split_command(&text).map_err(Outcome::failed)?,
            None => Vec::new(),
        };
        let run_script = |verb: &str| -> Result<Captured, Outcome> {
            let mut args = vec![verb.to_string()];
            args.extend(arguments.iter().cloned());
            let ran = script.run_detached(&args)?;
            if ran.rc != 0 {
                let mut out = Outcome::failed(format!("Failed to {action} service: {name}"));
                out.rc = Some(ran.rc);
                out.stdout = ran.stdout;
                out.stderr = ran.stderr;
                return Err(out);
            }
            Ok(ran)
        };
        let state_changed =
            action == "restart" || started != (action == "start") || started == (action == "stop");
        let mut ran = None;
        if state_changed {
            changed = true;
            if !req.check_mode {
                if action == "restart" {
                    // Init scripts' own restart is not trusted: stop, then start.
                    let sleep = params::int_arg(req.args, "sleep")
                        .map_err(Outcome::failed)?
                        .unwrap_or(1);
                    for verb in ["stop", "start"] {
                        ran = Some(run_script(verb)?);
                        if sleep > 0 {
                            std::thread::sleep(std::time::Duration::from_secs(sleep as u64));
                        }
                    }
                } else {
                    ran = Some(run_script(action)?);
                }
            }
        }
        status.push((
            wanted.as_str().to_string(),
            step(state_changed, ran.as_ref()),
        ));
    }

    let mut out = Outcome::new(
        if changed { Status::Changed } else { Status::Ok },
        changed,
        "",
    );
    out.msg = Value::Null;
    out.extra.push(("name".into(), Value::str(&name)));
    out.extra.push(("status".into(), Value::Object(status)));
    Ok(out)
}

/// Ansible's sysvinit reading of a status answer (keywords of a one-line
/// output, then the usual "not running" exit codes); `None` when unclear.
fn interpret(name: &str, ran: &Captured) -> Option<bool> {
    if name == "iptables" && ran.stdout.contains("ACCEPT") {
        return Some(true);
    }
    if ran.stdout.matches('\n').count() <= 1 {
        let clean = ran.stdout.to_lowercase().replace(&name.to_lowercase(), "");
        let stopped = [
            "stop",
            "is dead ",
            "dead but ",
            "could not access pid file",
            "inactive",
        ];
        if stopped.iter().any(|k| clean.contains(k)) {
            return Some(false);
        }
        if ["run", "start", "active"].iter().any(|k| clean.contains(k)) && !clean.contains("not ") {
            return Some(true);
        }
    }
    [1, 2, 3, 4, 69].contains(&ran.rc).then_some(false)
}

fn runlevel_enabled(name: &str, level: &str) -> bool {
    let dir = if target_path("/etc/rc0.d").is_dir() {
        target_path(&format!("/etc/rc{level}.d"))
    } else {
        target_path(&format!("/etc/init.d/rc{level}.d"))
    };
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            file.len() == name.len() + 3 && file.starts_with('S') && file.ends_with(name)
        })
    })
}

fn ps_matches(pattern: &str) -> Result<bool, Outcome> {
    let ps = Tool::require("ps", &[])?;
    let ran = ps.run(&["auxww"])?;
    Ok(ran.rc == 0 && ran.stdout.lines().any(|l| l.contains(pattern)))
}
