//! `apk` (Alpine): installed state from `apk info -e`, pending upgrades from
//! `apk version`, changes through `apk add` / `apk del`, with the messages of
//! Ansible's apk module.

use super::{command_failed, require_root, strings, Request, Want};
use crate::json::Value;
use crate::modules::command::Captured;
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::Tool;
use crate::modules::Outcome;

const C_LOCALE: [(&str, &str); 4] = [
    ("LANG", "C"),
    ("LC_ALL", "C"),
    ("LC_MESSAGES", "C"),
    ("LC_CTYPE", "C"),
];

pub(super) fn run(req: &Request) -> Outcome {
    match run_apk(req) {
        Ok(out) | Err(out) => out,
    }
}

struct Apk<'r> {
    req: &'r Request<'r>,
    tool: Tool,
    /// Options every apk command gets (`--no-cache`, `--repository`).
    base: Vec<String>,
}

fn run_apk(req: &Request) -> Result<Outcome, Outcome> {
    let mut base = Vec::new();
    if req.bool("no_cache", false)? {
        base.push("--no-cache".to_string());
    }
    for repo in params::list_arg(req.args, "repository")
        .map_err(Outcome::failed)?
        .unwrap_or_default()
    {
        base.extend([
            "--repository".to_string(),
            repo,
            "--repositories-file".to_string(),
            "/dev/null".to_string(),
        ]);
    }
    let apk = Apk {
        req,
        tool: Tool::require("apk", &[])?.with_env(&C_LOCALE),
        base,
    };
    if req.update_cache {
        if !req.check_mode {
            require_root(&apk.tool)?;
            let ran = apk.run(&["update"])?;
            if ran.rc != 0 {
                return Err(command_failed("could not update package db", &ran));
            }
            if req.names.is_empty() {
                return Ok(message(true, "updated repository indexes", Some(&ran)));
            }
        } else if req.names.is_empty() {
            return Ok(message(true, "updated repository indexes", None));
        }
    }
    if req.names.iter().all(|n| n.trim().is_empty()) {
        return Err(Outcome::failed(
            "Package name(s) cannot be empty or whitespace-only",
        ));
    }
    match req.want {
        Want::Absent => apk.remove(),
        Want::Present | Want::Latest => apk.install(),
    }
}

fn message(changed: bool, msg: &str, ran: Option<&Captured>) -> Outcome {
    let mut out = Outcome::finished(changed);
    out.msg = Value::str(msg);
    if let Some(ran) = ran {
        out.stdout = ran.stdout.clone();
        out.stderr = ran.stderr.clone();
        out.extra
            .push(("packages".into(), strings(&changed_packages(&ran.stdout))));
    }
    out
}

impl Apk<'_> {
    fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<Captured, Outcome> {
        let mut full = self.base.clone();
        full.extend(args.iter().map(|a| a.as_ref().to_string()));
        self.tool.run(&full)
    }

    fn installed(&self, name: &str) -> Result<bool, Outcome> {
        let ran = self.run(&["info", "-e", name])?;
        Ok(ran.rc == 0 && !ran.stdout.trim().is_empty())
    }

    /// Ansible's `query_latest`: `apk version` marks an older installed version with `<`.
    fn outdated(&self, name: &str) -> Result<bool, Outcome> {
        let ran = self.run(&["version", name])?;
        Ok(ran.stdout.lines().any(|line| {
            let mut words = line.split_whitespace();
            let installed = words.next().unwrap_or("");
            let relation = words.next().unwrap_or("");
            relation == "<"
                && installed
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        }))
    }

    fn available(&self, name: &str) -> Result<bool, Outcome> {
        let ran = self.run(&["search", "--exact", name])?;
        Ok(ran.rc == 0 && !ran.stdout.trim().is_empty())
    }

    fn install(&self) -> Result<Outcome, Outcome> {
        let mut to_install = Vec::new();
        let mut to_upgrade = Vec::new();
        for name in &self.req.names {
            if !self.installed(name)? {
                to_install.push(name.clone());
            } else if self.req.want == Want::Latest && self.outdated(name)? {
                to_upgrade.push(name.clone());
            }
        }
        if to_install.is_empty() && to_upgrade.is_empty() {
            return Ok(message(false, "package(s) already installed", None));
        }
        let mut all = to_install.clone();
        all.extend(to_upgrade.iter().cloned());
        let packages = all.join(" ");
        if self.req.check_mode {
            for name in &to_install {
                if !self.available(name)? {
                    return Err(Outcome::failed(format!("failed to install {packages}")));
                }
            }
            return Ok(message(
                true,
                &format!("installed {packages} package(s)"),
                None,
            ));
        }
        require_root(&self.tool)?;
        let mut args = vec!["add".to_string()];
        if !to_upgrade.is_empty() {
            args.push("--upgrade".to_string());
        }
        args.extend(all);
        let ran = self.run(&args)?;
        if ran.rc != 0 {
            let mut out = command_failed(format!("failed to install {packages}"), &ran);
            out.extra
                .push(("packages".into(), strings(&changed_packages(&ran.stdout))));
            return Err(out);
        }
        Ok(message(
            true,
            &format!("installed {packages} package(s)"),
            Some(&ran),
        ))
    }

    fn remove(&self) -> Result<Outcome, Outcome> {
        let mut installed = Vec::new();
        for name in &self.req.names {
            if self.installed(name)? {
                installed.push(name.clone());
            }
        }
        if installed.is_empty() {
            return Ok(message(false, "package(s) already removed", None));
        }
        let names = installed.join(" ");
        if self.req.check_mode {
            return Ok(message(true, &format!("removed {names} package(s)"), None));
        }
        require_root(&self.tool)?;
        let mut args = vec!["del".to_string(), "--purge".to_string()];
        args.extend(installed.iter().cloned());
        let mut ran = self.run(&args)?;
        // Still present (something depends on it): a failure, as in Ansible.
        for name in &installed {
            if self.installed(name)? {
                ran.rc = if ran.rc == 0 { 1 } else { ran.rc };
            }
        }
        if ran.rc != 0 {
            return Err(command_failed(
                format!("failed to remove {names} package(s)"),
                &ran,
            ));
        }
        Ok(message(
            true,
            &format!("removed {names} package(s)"),
            Some(&ran),
        ))
    }
}

/// Package names from apk's `(1/2) Installing name (version)` lines.
fn changed_packages(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let counter = words.next()?;
            let is_counter =
                counter.starts_with('(') && counter.ends_with(')') && counter.contains('/');
            let _verb = words.next()?;
            let name = words.next()?;
            is_counter.then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_changed_packages() {
        let out = "(1/2) Installing ncurses-terminfo-base (6.4-r2)\n(2/2) Installing htop (3.2-r0)\nOK: 10 MiB in 20 packages\n";
        assert_eq!(changed_packages(out), ["ncurses-terminfo-base", "htop"]);
    }
}
