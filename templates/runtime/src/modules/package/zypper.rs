//! `zypper` (SUSE): installed state from `rpm -q`, pending upgrades from
//! `zypper list-updates`, changes through `zypper install` / `remove`, with the
//! result keys of Ansible's zypper module (`name`, `state`, `update_cache`,
//! `cmd`, `rc`).

use super::{command_failed, require_root, strings, Request, Want};
use crate::json::Value;
use crate::modules::command::Captured;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::Tool;
use crate::modules::Outcome;

const C_LOCALE: [(&str, &str); 3] = [("LANG", "C"), ("LC_ALL", "C"), ("LC_MESSAGES", "C")];

/// zypper exit codes that mean success (102: reboot needed).
const SUCCESS: [i64; 2] = [0, 102];

pub(super) fn run(req: &Request) -> Outcome {
    let out = match run_zypper(req) {
        Ok(out) | Err(out) => out,
    };
    with_request_keys(out, req)
}

fn with_request_keys(mut out: Outcome, req: &Request) -> Outcome {
    let state = match req.want {
        Want::Present => "present",
        Want::Absent => "absent",
        Want::Latest => "latest",
    };
    for (key, value) in [
        ("name", strings(&req.names)),
        ("state", Value::str(state)),
        ("update_cache", Value::Bool(req.update_cache)),
    ] {
        if !out.extra.iter().any(|(k, _)| k == key) {
            out.extra.push((key.to_string(), value));
        }
    }
    out
}

struct Zypper<'r> {
    req: &'r Request<'r>,
    tool: Tool,
    rpm: Tool,
}

fn run_zypper(req: &Request) -> Result<Outcome, Outcome> {
    let zypper = Zypper {
        req,
        tool: Tool::require("zypper", &[])?.with_env(&C_LOCALE),
        rpm: Tool::require("rpm", &[])?.with_env(&C_LOCALE),
    };
    if req.update_cache && !req.check_mode {
        require_root(&zypper.tool)?;
        let args = ["--non-interactive", "refresh"];
        let ran = zypper.tool.run(&args)?;
        if ran.rc != 0 {
            let mut out = command_failed("Zypper refresh run failed.", &ran);
            out.extra.push(("cmd".into(), zypper.cmd(&args)));
            return Err(out);
        }
    }
    let mut out = if req.names.is_empty() {
        Outcome::finished(false)
    } else {
        match req.want {
            Want::Absent => zypper.remove()?,
            Want::Present | Want::Latest => zypper.install()?,
        }
    };
    out.rc = Some(out.rc.unwrap_or(0));
    Ok(out)
}

impl Zypper<'_> {
    fn cmd<S: AsRef<str>>(&self, args: &[S]) -> Value {
        let mut words = vec![self.tool.path.to_string_lossy().into_owned()];
        words.extend(args.iter().map(|a| a.as_ref().to_string()));
        strings(&words)
    }

    fn installed(&self, name: &str) -> Result<bool, Outcome> {
        Ok(self.rpm.run(&["-q", name])?.rc == 0)
    }

    /// Package names `zypper list-updates` offers newer versions of.
    fn upgradable(&self) -> Result<Vec<String>, Outcome> {
        let args = [
            "--non-interactive",
            "--quiet",
            "list-updates",
            "--type",
            "package",
        ];
        let ran = self.tool.run(&args)?;
        if !SUCCESS.contains(&ran.rc) {
            let mut out = command_failed(
                format!("Zypper run command failed with return code {}.", ran.rc),
                &ran,
            );
            out.extra.push(("cmd".into(), self.cmd(&args)));
            return Err(out);
        }
        Ok(parse_updates(&ran.stdout))
    }

    fn available(&self, name: &str) -> Result<bool, Outcome> {
        let ran = self.tool.run(&[
            "--non-interactive",
            "--quiet",
            "search",
            "--match-exact",
            "--type",
            "package",
            name,
        ])?;
        Ok(ran.rc == 0)
    }

    fn install(&self) -> Result<Outcome, Outcome> {
        let mut targets = Vec::new();
        let updates = if self.req.want == Want::Latest {
            self.upgradable()?
        } else {
            Vec::new()
        };
        for name in &self.req.names {
            if !self.installed(name)? || updates.iter().any(|u| u == name) {
                targets.push(name.clone());
            }
        }
        if targets.is_empty() {
            return Ok(Outcome::finished(false));
        }
        if self.req.check_mode {
            for name in &targets {
                if !self.installed(name)? && !self.available(name)? {
                    return Err(Outcome::failed(format!("No provider of '{name}' found.")));
                }
            }
            return Ok(Outcome::finished(true));
        }
        require_root(&self.tool)?;
        let mut args: Vec<String> = [
            "--non-interactive",
            "--quiet",
            "install",
            "--type",
            "package",
        ]
        .map(String::from)
        .to_vec();
        args.push("--auto-agree-with-licenses".into());
        if self.req.bool("disable_recommends", true)? {
            args.push("--no-recommends".into());
        }
        for (key, flag) in [
            ("force", "--force"),
            ("force_resolution", "--force-resolution"),
            ("oldpackage", "--oldpackage"),
            ("replacefiles", "--replacefiles"),
        ] {
            if self.req.bool(key, false)? {
                args.push(flag.into());
            }
        }
        args.push("--".into());
        args.extend(targets);
        self.finish(&args)
    }

    fn remove(&self) -> Result<Outcome, Outcome> {
        let mut targets = Vec::new();
        for name in &self.req.names {
            if self.installed(name)? {
                targets.push(name.clone());
            }
        }
        if targets.is_empty() {
            return Ok(Outcome::finished(false));
        }
        if self.req.check_mode {
            return Ok(Outcome::finished(true));
        }
        require_root(&self.tool)?;
        let mut args: Vec<String> = [
            "--non-interactive",
            "--quiet",
            "remove",
            "--type",
            "package",
        ]
        .map(String::from)
        .to_vec();
        if self.req.bool("clean_deps", false)? {
            args.push("--clean-deps".into());
        }
        args.extend(targets);
        self.finish(&args)
    }

    fn finish(&self, args: &[String]) -> Result<Outcome, Outcome> {
        let ran: Captured = self.tool.run(args)?;
        if !SUCCESS.contains(&ran.rc) {
            let msg = if ran.rc == 104 {
                last_line(&ran.stderr)
                    .or_else(|| last_line(&ran.stdout))
                    .unwrap_or_else(|| "Zypper run failed.".to_string())
            } else {
                "Zypper run failed.".to_string()
            };
            let mut out = command_failed(msg, &ran);
            out.extra.push(("cmd".into(), self.cmd(args)));
            return Err(out);
        }
        let mut out = Outcome::finished(true);
        out.rc = Some(ran.rc);
        out.stdout = ran.stdout;
        out.stderr = ran.stderr;
        out.extra.push(("cmd".into(), self.cmd(args)));
        Ok(out)
    }
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(str::to_string)
}

/// Names from `zypper list-updates` table rows (`S | Repository | Name | ...`).
fn parse_updates(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            (cols.len() >= 5 && cols[0] != "S" && !cols[0].starts_with('-'))
                .then(|| cols[2].to_string())
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_update_table() {
        let text = "S | Repository | Name | Current Version | Available Version | Arch\n--+------------+------+---------+---------+-------\nv | Main | bash | 4.4-1 | 4.4-2 | x86_64\n";
        assert_eq!(parse_updates(text), ["bash"]);
    }
}
