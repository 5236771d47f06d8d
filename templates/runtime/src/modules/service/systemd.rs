//! `systemd` / `systemd_service`: units queried with `systemctl show` and
//! `is-enabled`, changed with start/stop/restart/reload, enable/disable and
//! mask/unmask, following Ansible's systemd_service module.

use super::{missing, Request, Wanted};
use crate::json::Value;
use crate::modules::command::Captured;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::{rc_link_exists, target_path, Tool};
use crate::modules::{Outcome, Status};

/// `systemctl is-enabled` answers that name a unit systemd knows (systemd 244).
const ENABLED_STATES: [&str; 11] = [
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "masked",
    "masked-runtime",
    "static",
    "indirect",
    "disabled",
    "generated",
    "transient",
];

pub(super) fn run(req: &mut Request) -> Outcome {
    match run_systemd(req) {
        Ok(out) | Err(out) => out,
    }
}

struct Systemctl {
    tool: Tool,
    prefix: Vec<String>,
}

impl Systemctl {
    fn run(&self, args: &[&str]) -> Result<Captured, Outcome> {
        let mut full = self.prefix.clone();
        full.extend(args.iter().map(|a| a.to_string()));
        self.tool.run(&full)
    }
}

fn offline() -> bool {
    std::env::var("SYSTEMD_OFFLINE").as_deref() == Ok("1")
}

fn run_systemd(req: &mut Request) -> Result<Outcome, Outcome> {
    let unit = req.name.clone();
    for pattern in ["*", "?", "["] {
        if unit.contains(pattern) {
            return Err(Outcome::failed(format!(
                "This module does not currently support using glob patterns, found '{pattern}' \
                 in service name: {unit}"
            )));
        }
    }
    let mut tool = Tool::require("systemctl", &[])?;
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let euid = crate::facts::sys::ids().map_or(0, |(_, euid, _, _)| euid);
        tool = tool.with_env(&[("XDG_RUNTIME_DIR", &format!("/run/user/{euid}"))]);
    }
    let scope = req.string("scope")?.unwrap_or_else(|| "system".to_string());
    let mut prefix = Vec::new();
    match scope.as_str() {
        "system" => {}
        "user" | "global" => prefix.push(format!("--{scope}")),
        other => {
            return Err(Outcome::failed(format!(
                "value of scope must be one of: system, user, global, got: {other}"
            )))
        }
    }
    if req.bool("no_block", false)? {
        prefix.push("--no-block".to_string());
    }
    if req.bool("force", false)? {
        prefix.push("--force".to_string());
    }
    let systemctl = Systemctl { tool, prefix };

    for (key, verb) in [
        ("daemon_reload", "daemon-reload"),
        ("daemon_reexec", "daemon-reexec"),
    ] {
        if req.bool(key, false)? && !req.check_mode {
            let ran = systemctl.run(&[verb])?;
            if ran.rc != 0 {
                if offline() {
                    req.warnings.push(format!(
                        "{verb} failed, but target is a chroot or systemd is offline. \
                         Continuing. Error was: {} / {}",
                        ran.rc, ran.stderr
                    ));
                } else {
                    return Err(Outcome::failed(format!(
                        "failure {} during {verb}: {}",
                        ran.rc, ran.stderr
                    )));
                }
            }
        }
    }

    let mut changed = false;
    let mut status: Vec<(String, String)> = Vec::new();
    let mut extra: Vec<(String, Value)> = Vec::new();
    if !unit.is_empty() {
        let script = if unit.starts_with('/') {
            std::path::PathBuf::from(&unit)
        } else {
            target_path(&format!("/etc/init.d/{unit}"))
        };
        let is_initd = script.exists();
        let mut is_systemd = false;

        let show = systemctl.run(&["show", &unit])?;
        if show.rc == 0 && !ignored(&show.stdout) && !ignored(&show.stderr) {
            if !show.stdout.is_empty() {
                status = parse_show(&show.stdout);
                let load_state = field(&status, "LoadState");
                is_systemd = load_state.is_some_and(|s| s != "not-found");
                let is_masked = load_state == Some("masked");
                if is_systemd && !is_masked {
                    if let Some(error) = field(&status, "LoadError") {
                        return Err(Outcome::failed(format!(
                            "Error loading unit file '{unit}': {error}"
                        )));
                    }
                }
            }
        } else if show.rc == 1 && show.stderr.contains("Failed to parse bus message") {
            status = parse_show(&show.stdout);
            let (base, sep) = match unit.split_once('@') {
                Some((base, _)) => (base, "@"),
                None => (unit.as_str(), ""),
            };
            let search = format!("{base}{sep}");
            let listed = systemctl.run(&["list-unit-files", &format!("{search}*")])?;
            is_systemd = listed.stdout.contains(&search);
            let active = systemctl.run(&["is-active", &unit])?;
            set_field(
                &mut status,
                "ActiveState",
                active.stdout.trim_end_matches('\n'),
            );
        } else {
            let enabled = systemctl.run(&["is-enabled", &unit])?;
            // list-unit-files is the fallback where `show` fails (chroots).
            if ENABLED_STATES.contains(&enabled.stdout.trim())
                || systemctl.run(&["list-unit-files", &unit])?.rc == 0
            {
                is_systemd = true;
            } else {
                let bare = systemctl.run(&[])?;
                if bare.rc != 0 {
                    let mut out = Outcome::failed(bare.stderr.trim_end());
                    out.rc = Some(bare.rc);
                    out.stdout = bare.stdout;
                    out.stderr = bare.stderr;
                    return Err(out);
                }
            }
        }

        let found = is_systemd || is_initd;
        if is_initd && !is_systemd {
            req.warnings.push(format!(
                "The service ({unit}) is actually an init script but the system is managed by \
                 systemd"
            ));
        }

        if let Some(want_masked) = req.opt_bool("masked")? {
            let ran = systemctl.run(&["is-enabled", &unit])?;
            let masked = ran.stdout.trim() == "masked";
            if masked != want_masked {
                changed = true;
                let action = if want_masked { "mask" } else { "unmask" };
                if !req.check_mode {
                    let ran = systemctl.run(&[action, &unit])?;
                    if ran.rc != 0 {
                        if !found {
                            return Err(missing(&unit));
                        }
                        return Err(Outcome::failed(format!(
                            "Failed to {action} the service ({unit}): {}",
                            ran.stderr.trim()
                        )));
                    }
                }
            }
        }

        if let Some(want_enabled) = req.enabled {
            if !found {
                return Err(missing(&unit));
            }
            let action = if want_enabled { "enable" } else { "disable" };
            let ran = systemctl.run(&["is-enabled", &unit, "-l"])?;
            let mut enabled = false;
            if ran.rc == 0 {
                // Asked to enable a unit that is only enabled transiently,
                // indirectly or through an alias: let systemctl do it.
                enabled =
                    !["enabled-runtime", "indirect", "alias"].contains(&ran.stdout.trim_end());
            } else if ran.rc == 1
                && scope == "system"
                && is_initd
                && !ran.stdout.trim().ends_with("disabled")
                && rc_link_exists('S', &unit)
            {
                enabled = true;
            }
            let mut reported = enabled;
            if enabled != want_enabled {
                changed = true;
                if !req.check_mode {
                    let ran = systemctl.run(&[action, &unit])?;
                    if ran.rc != 0 {
                        return Err(Outcome::failed(format!(
                            "Unable to {action} service {unit}: {}{}",
                            ran.stdout, ran.stderr
                        )));
                    }
                }
                reported = !enabled;
            }
            extra.push(("enabled".into(), Value::Bool(reported)));
        }

        if let Some(wanted) = req.state {
            if !found {
                return Err(missing(&unit));
            }
            let mut reported = wanted.as_str();
            match field(&status, "ActiveState") {
                Some(active) => {
                    let running = active == "active" || active == "activating";
                    let action = match wanted {
                        Wanted::Started => (!running).then_some("start"),
                        Wanted::Stopped => (running || active == "deactivating").then_some("stop"),
                        Wanted::Restarted | Wanted::Reloaded | Wanted::Unloaded => {
                            reported = "started";
                            Some(if !running {
                                "start"
                            } else if wanted == Wanted::Restarted {
                                "restart"
                            } else {
                                "reload"
                            })
                        }
                    };
                    if let Some(action) = action {
                        changed = true;
                        if !req.check_mode {
                            let ran = systemctl.run(&[action, &unit])?;
                            if ran.rc != 0 {
                                return Err(Outcome::failed(format!(
                                    "Unable to {action} service {unit}: {}",
                                    ran.stderr
                                )));
                            }
                        }
                    }
                }
                None if offline() => req.warnings.push(
                    "Target is a chroot or systemd is offline. This can lead to false \
                     positives or prevent the init system tools from working."
                        .to_string(),
                ),
                None => {
                    let mut out = Outcome::failed("Service is in unknown state");
                    out.extra.push(("status".into(), status_value(&status)));
                    return Err(out);
                }
            }
            extra.push(("state".into(), Value::str(reported)));
        }
    }
    let mut out = Outcome::new(
        if changed { Status::Changed } else { Status::Ok },
        changed,
        "",
    );
    out.msg = Value::Null;
    out.extra.push((
        "name".into(),
        if unit.is_empty() {
            Value::Null
        } else {
            Value::str(&unit)
        },
    ));
    out.extra.push(("status".into(), status_value(&status)));
    out.extra.extend(extra);
    Ok(out)
}

/// systemctl refused the request (an old systemd without the unit's type).
fn ignored(text: &str) -> bool {
    !text.contains('=') && (text.contains("ignoring request") || text.contains("ignoring command"))
}

fn field<'a>(status: &'a [(String, String)], key: &str) -> Option<&'a str> {
    status
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn set_field(status: &mut Vec<(String, String)>, key: &str, value: &str) {
    match status.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value.to_string(),
        None => status.push((key.to_string(), value.to_string())),
    }
}

fn status_value(status: &[(String, String)]) -> Value {
    Value::Object(
        status
            .iter()
            .map(|(k, v)| (k.clone(), Value::str(v)))
            .collect(),
    )
}

/// `systemctl show` output as key/value pairs; only `Exec*` values that
/// start with `{` may continue over several lines (as in Ansible).
fn parse_show(text: &str) -> Vec<(String, String)> {
    let mut parsed: Vec<(String, String)> = Vec::new();
    let mut pending: Option<(String, Vec<String>)> = None;
    for line in text.split('\n') {
        match pending.take() {
            None => {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                if key.starts_with("Exec")
                    && value.trim_start().starts_with('{')
                    && !value.trim_end().ends_with('}')
                {
                    pending = Some((key.to_string(), vec![value.to_string()]));
                    continue;
                }
                set_field(&mut parsed, key, value.trim());
            }
            Some((key, mut values)) => {
                values.push(line.to_string());
                if line.trim_end().ends_with('}') {
                    set_field(&mut parsed, &key, values.join("\n").trim());
                } else {
                    pending = Some((key, values));
                }
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_show_output() {
        let text = "Id=cron.service\nExecStart={ path=/usr/sbin/cron ; argv[]=/usr/sbin/cron -f\n  ; ignore_errors=no }\nDescription={weird\nActiveState=active\n";
        let parsed = parse_show(text);
        assert_eq!(field(&parsed, "Id"), Some("cron.service"));
        assert_eq!(
            field(&parsed, "ExecStart"),
            Some("{ path=/usr/sbin/cron ; argv[]=/usr/sbin/cron -f\n  ; ignore_errors=no }")
        );
        assert_eq!(field(&parsed, "Description"), Some("{weird"));
        assert_eq!(field(&parsed, "ActiveState"), Some("active"));
        assert!(ignored("Unknown unit type, ignoring request"));
        assert!(!ignored("X=ignoring request"));
    }
}
