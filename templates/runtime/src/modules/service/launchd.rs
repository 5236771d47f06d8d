//! `launchd` (macOS): the job's state from `launchctl list`, its plist found
//! in the usual LaunchAgents/LaunchDaemons folders, `RunAtLoad` read and set
//! with `plutil` for `enabled`, and load/unload/start/stop through
//! `launchctl`, as the launchd module of community.general does.

use super::{Request, Wanted};
use crate::json::{obj, Value};
use crate::modules::command::Captured;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::{target_path, Tool};
use crate::modules::{Outcome, Status};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long to wait for launchd to report a started or stopped job.
const SETTLE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    Unknown,
    Stopped,
    Started,
    Unloaded,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::Unknown => "unknown",
            JobState::Stopped => "stopped",
            JobState::Started => "started",
            JobState::Unloaded => "unloaded",
        }
    }
}

struct Launchd<'a> {
    label: &'a str,
    launchctl: Tool,
    plist: PathBuf,
}

pub(super) fn run(req: &mut Request) -> Outcome {
    match run_launchd(req) {
        Ok(out) | Err(out) => out,
    }
}

fn plist_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join("Library/LaunchAgents"));
    }
    for dir in [
        "/Library/LaunchAgents",
        "/Library/LaunchDaemons",
        "/System/Library/LaunchAgents",
        "/System/Library/LaunchDaemons",
    ] {
        dirs.push(target_path(dir));
    }
    dirs
}

fn run_launchd(req: &mut Request) -> Result<Outcome, Outcome> {
    let label = req.name.clone();
    let file_name = req
        .string("plist")?
        .unwrap_or_else(|| format!("{label}.plist"));
    let launchctl = Tool::require("launchctl", &[])?;
    let plist = plist_dirs()
        .into_iter()
        .map(|dir| dir.join(&file_name))
        .find(|p| p.is_file());
    let probe = Launchd {
        label: &label,
        launchctl: launchctl.clone(),
        plist: PathBuf::new(),
    };
    let (state_before, pid_before, _) = probe.list()?;
    let Some(plist) = plist else {
        let mut msg = format!("Unable to find the plist file {file_name} for service {label}");
        if pid_before == "-" && state_before == JobState::Unloaded {
            msg.push_str(" and it was not found among active services");
        }
        return Err(Outcome::failed(msg));
    };
    let job = Launchd {
        label: &label,
        launchctl,
        plist,
    };

    // `enabled` is the plist's RunAtLoad; launchctl cannot set it.
    let mut plist_changed = false;
    if let Some(want) = req.enabled {
        let plutil = Tool::require("plutil", &[])?;
        let path = job.plist.to_string_lossy().into_owned();
        let read = plutil.run(&["-extract", "RunAtLoad", "raw", "-o", "-", &path])?;
        let current = read.rc == 0 && matches!(read.stdout.trim(), "true" | "YES" | "1");
        if current != want {
            plist_changed = true;
            if !req.check_mode {
                let value = if want { "YES" } else { "NO" };
                let ran = plutil.run(&["-replace", "RunAtLoad", "-bool", value, &path])?;
                if ran.rc != 0 {
                    return Err(Outcome::failed(format!(
                        "Failed to write to plist file  {path} due to {}",
                        ran.stderr.trim()
                    )));
                }
            }
        }
    }
    if req.bool("force_stop", false)? {
        req.warnings
            .push("force_stop is not supported by this runtime; KeepAlive was left as is".into());
    }

    let mut after = (
        state_before,
        pid_before.clone(),
        "0".to_string(),
        String::new(),
    );
    if let Some(wanted) = req.state {
        if !req.check_mode {
            after = job.apply(wanted, state_before, plist_changed)?;
        }
    }
    let (state_after, pid_after, status_code, error) = after;
    let mut changed = plist_changed || state_after != state_before || pid_after != pid_before;
    if req.check_mode {
        if let Some(wanted) = req.state {
            changed = changed || state_after.as_str() != wanted.as_str();
        }
    }
    let mut out = Outcome::new(
        if changed { Status::Changed } else { Status::Ok },
        changed,
        "",
    );
    out.msg = Value::Null;
    out.extra.push(("name".into(), Value::str(&label)));
    if let Some(wanted) = req.state {
        out.extra
            .push(("state".into(), Value::str(wanted.as_str())));
    }
    if let Some(want) = req.enabled {
        out.extra.push(("enabled".into(), Value::Bool(want)));
    }
    out.extra.push((
        "status".into(),
        obj([
            ("previous_state", Value::str(state_before.as_str())),
            ("previous_pid", Value::str(&pid_before)),
            ("current_state", Value::str(state_after.as_str())),
            ("current_pid", Value::str(&pid_after)),
            ("status_code", Value::str(&status_code)),
            ("error", Value::str(&error)),
        ]),
    ));
    Ok(out)
}

impl Launchd<'_> {
    /// (state, pid, last exit status) from `launchctl list`.
    fn list(&self) -> Result<(JobState, String, String), Outcome> {
        let ran = self.launchctl.run(&["list"])?;
        if ran.rc != 0 {
            return Err(Outcome::failed(format!(
                "Failed to get status of {}",
                self.launchctl.path.to_string_lossy()
            )));
        }
        for line in ran.stdout.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let [pid, code, label] = fields.as_slice() else {
                continue;
            };
            if label.trim() != self.label {
                continue;
            }
            let state = if !["0", "-2", "-3", "-9", "-15"].contains(code) {
                JobState::Unknown
            } else if *pid != "-" {
                JobState::Started
            } else {
                JobState::Stopped
            };
            return Ok((state, pid.to_string(), code.to_string()));
        }
        Ok((JobState::Unloaded, "-".to_string(), String::new()))
    }

    fn launchctl(&self, command: &str) -> Result<Captured, Outcome> {
        let target = match command {
            "load" | "unload" => self.plist.to_string_lossy().into_owned(),
            _ => self.label.to_string(),
        };
        let ran = self.launchctl.run(&[command, target.as_str()])?;
        if ran.rc != 0 {
            return Err(Outcome::failed(format!(
                "Unable to {command} '{}' ({}): '{}'",
                self.label,
                self.plist.to_string_lossy(),
                ran.stderr
            )));
        }
        Ok(ran)
    }

    fn reload(&self) -> Result<(), Outcome> {
        self.launchctl("unload")?;
        self.launchctl("load").map(drop)
    }

    /// Waits (up to [`SETTLE`]) for launchd to report `want`, as launchctl
    /// returns before the job has really started or stopped.
    fn settle(&self, want: JobState) -> Result<(), Outcome> {
        let deadline = Instant::now() + SETTLE;
        while Instant::now() < deadline {
            if self.list()?.0 == want {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    fn start(&self) -> Result<(), Outcome> {
        self.launchctl("start")?;
        self.settle(JobState::Started)
    }

    fn stop(&self) -> Result<(), Outcome> {
        self.launchctl("stop")?;
        self.settle(JobState::Stopped)
    }

    fn apply(
        &self,
        wanted: Wanted,
        state: JobState,
        plist_changed: bool,
    ) -> Result<(JobState, String, String, String), Outcome> {
        match wanted {
            Wanted::Started => match state {
                JobState::Started if !plist_changed => {}
                JobState::Unloaded => {
                    self.launchctl("load")?;
                    self.start()?;
                }
                _ => {
                    self.reload()?;
                    self.start()?;
                }
            },
            Wanted::Stopped => match state {
                JobState::Stopped if plist_changed => {
                    self.reload()?;
                    self.stop()?;
                }
                JobState::Started => {
                    if plist_changed {
                        self.reload()?;
                    }
                    self.stop()?;
                }
                JobState::Unknown => {
                    self.reload()?;
                    self.stop()?;
                }
                _ => {}
            },
            Wanted::Reloaded | Wanted::Restarted => {
                if state == JobState::Unloaded {
                    self.launchctl("load")?;
                } else {
                    self.reload()?;
                }
                if wanted == Wanted::Restarted {
                    self.start()?;
                }
            }
            Wanted::Unloaded => {
                self.launchctl("unload")?;
            }
        }
        let (state, pid, code) = self.list()?;
        Ok((state, pid, code, String::new()))
    }
}
