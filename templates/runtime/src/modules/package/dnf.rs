//! `dnf` and `yum`: installed state from `rpm -q`, pending upgrades from
//! `check-update`, changes through the manager's CLI. Results follow
//! Ansible's dnf module (`msg`, `results`, `rc`, `failures`).

use super::{command_failed, require_root, strings, Request, Want};
use crate::json::Value;
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::Tool;
use crate::modules::Outcome;

const C_LOCALE: [(&str, &str); 3] = [("LANG", "C"), ("LC_ALL", "C"), ("LC_MESSAGES", "C")];

const CHECK_MODE_MSG: &str = "Check mode: No changes made, but would have if not in check mode";
const INSTALL_FAILED: &str = "Failed to install some of the specified packages";

pub(super) fn run(req: &Request, program: &str) -> Outcome {
    match run_dnf(req, program) {
        Ok(out) | Err(out) => out,
    }
}

struct Dnf<'r> {
    req: &'r Request<'r>,
    tool: Tool,
    rpm: Tool,
    /// `yum` (3.x) spells some subcommands differently.
    yum: bool,
}

fn run_dnf(req: &Request, program: &str) -> Result<Outcome, Outcome> {
    let dnf = Dnf {
        req,
        tool: Tool::require(program, &[])?.with_env(&C_LOCALE),
        rpm: Tool::require("rpm", &[])?.with_env(&C_LOCALE),
        yum: program == "yum",
    };
    if req.update_cache && !req.check_mode {
        let mut args = dnf.global_options()?;
        args.push("makecache".to_string());
        let ran = dnf.tool.run(&args)?;
        if ran.rc != 0 {
            let mut out = command_failed(
                format!("Failed to synchronize repodata: {}", ran.stderr.trim()),
                &ran,
            );
            out.extra.push(("results".into(), Value::Array(Vec::new())));
            return Err(out);
        }
    }
    if req.names.is_empty() {
        return Ok(response(false, "Cache updated", Vec::new()));
    }
    match req.want {
        Want::Absent => dnf.remove(),
        Want::Present | Want::Latest => dnf.install(),
    }
}

fn response(changed: bool, msg: &str, results: Vec<String>) -> Outcome {
    let mut out = Outcome::finished(changed);
    out.msg = Value::str(msg);
    out.rc = Some(0);
    out.extra.push(("results".into(), strings(&results)));
    out
}

fn failure(msg: &str, failures: Vec<String>) -> Outcome {
    let mut out = Outcome::failed(msg);
    out.rc = Some(1);
    out.extra.push(("failures".into(), strings(&failures)));
    out.extra.push(("results".into(), Value::Array(Vec::new())));
    out
}

impl Dnf<'_> {
    /// Installed packages matching `name` as name-version-release.arch.
    fn installed(&self, name: &str) -> Result<Vec<String>, Outcome> {
        let mut args = vec!["-q", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n"];
        if name.starts_with('/') {
            args.push("--whatprovides");
        }
        args.push(name);
        let ran = self.rpm.run(&args)?;
        if ran.rc != 0 {
            return Ok(Vec::new());
        }
        Ok(ran
            .stdout
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect())
    }

    /// Options from the task that go before the subcommand.
    fn global_options(&self) -> Result<Vec<String>, Outcome> {
        let mut args = Vec::new();
        if self.req.bool("disable_gpg_check", false)? {
            args.push("--nogpgcheck".to_string());
        }
        for (key, flag) in [
            ("disablerepo", "--disablerepo"),
            ("enablerepo", "--enablerepo"),
        ] {
            for repo in params::list_arg(self.req.args, key)
                .map_err(Outcome::failed)?
                .unwrap_or_default()
            {
                args.push(format!("{flag}={repo}"));
            }
        }
        for pattern in params::list_arg(self.req.args, "exclude")
            .map_err(Outcome::failed)?
            .unwrap_or_default()
        {
            args.push(format!("--exclude={pattern}"));
        }
        if self.req.opt_bool("install_weak_deps")? == Some(false) {
            args.push("--setopt=install_weak_deps=False".to_string());
        }
        Ok(args)
    }

    /// Whether `check-update` lists an upgrade for an installed package.
    fn upgradable(&self, name: &str) -> Result<bool, Outcome> {
        let mut args = self.global_options()?;
        args.extend([
            "-q".to_string(),
            "check-update".to_string(),
            name.to_string(),
        ]);
        let ran = self.tool.run(&args)?;
        match ran.rc {
            0 => Ok(false),
            100 => Ok(true),
            _ => Err(command_failed(
                format!("Unknown Error occurred: {}", ran.stderr.trim()),
                &ran,
            )),
        }
    }

    /// Whether the repositories offer `name` (asked in check mode only).
    fn available(&self, name: &str) -> Result<bool, Outcome> {
        let mut args = self.global_options()?;
        args.push("-q".to_string());
        args.push("list".to_string());
        args.push(if self.yum { "available" } else { "--available" }.to_string());
        args.push(name.to_string());
        Ok(self.tool.run(&args)?.rc == 0)
    }

    fn install(&self) -> Result<Outcome, Outcome> {
        let mut to_install = Vec::new();
        let mut to_upgrade = Vec::new();
        for name in &self.req.names {
            if self.installed(name)?.is_empty() {
                to_install.push(name.clone());
            } else if self.req.want == Want::Latest && self.upgradable(name)? {
                to_upgrade.push(name.clone());
            }
        }
        if to_install.is_empty() && to_upgrade.is_empty() {
            return Ok(response(false, "Nothing to do", Vec::new()));
        }
        if self.req.check_mode {
            let mut failures = Vec::new();
            for name in &to_install {
                if !self.available(name)? {
                    failures.push(format!("No package {name} available."));
                }
            }
            if !failures.is_empty() {
                return Err(failure(INSTALL_FAILED, failures));
            }
            let results = to_install
                .iter()
                .chain(&to_upgrade)
                .map(|n| format!("Installed: {n}"))
                .collect();
            return Ok(response(true, CHECK_MODE_MSG, results));
        }
        require_root(&self.tool)?;
        let mut stdout = String::new();
        let mut stderr = String::new();
        for (verb, names) in [("install", &to_install), ("upgrade", &to_upgrade)] {
            if names.is_empty() {
                continue;
            }
            let mut args = vec!["-y".to_string()];
            args.extend(self.global_options()?);
            args.push(verb.to_string());
            args.extend(names.iter().cloned());
            let ran = self.tool.run(&args)?;
            stdout.push_str(&ran.stdout);
            stderr.push_str(&ran.stderr);
            if ran.rc != 0 {
                let text = format!("{}\n{}", ran.stdout, ran.stderr);
                let mut failures: Vec<String> = names
                    .iter()
                    .filter(|n| no_match(&text, n))
                    .map(|n| format!("No package {n} available."))
                    .collect();
                if failures.is_empty() {
                    failures.push(ran.stderr.trim().to_string());
                }
                let mut out = failure(INSTALL_FAILED, failures);
                out.stdout = stdout;
                out.stderr = stderr;
                return Err(out);
            }
        }
        let mut results = Vec::new();
        for name in to_install.iter().chain(&to_upgrade) {
            for nevra in self.installed(name)? {
                results.push(format!("Installed: {nevra}"));
            }
        }
        let mut out = response(true, "", results);
        out.stdout = stdout;
        out.stderr = stderr;
        Ok(out)
    }

    fn remove(&self) -> Result<Outcome, Outcome> {
        let mut to_remove = Vec::new();
        let mut results = Vec::new();
        for name in &self.req.names {
            let found = self.installed(name)?;
            if !found.is_empty() {
                to_remove.push(name.clone());
                results.extend(found.into_iter().map(|n| format!("Removed: {n}")));
            }
        }
        if to_remove.is_empty() {
            return Ok(response(false, "Nothing to do", Vec::new()));
        }
        if self.req.check_mode {
            return Ok(response(true, CHECK_MODE_MSG, results));
        }
        require_root(&self.tool)?;
        let mut args = vec!["-y".to_string()];
        args.extend(self.global_options()?);
        args.push("remove".to_string());
        if self.req.bool("autoremove", false)? && !self.yum {
            args.push("--setopt=clean_requirements_on_remove=True".to_string());
        }
        args.extend(to_remove);
        let ran = self.tool.run(&args)?;
        if ran.rc != 0 {
            let mut out = command_failed(
                format!("Unknown Error occurred: {}", ran.stderr.trim()),
                &ran,
            );
            out.extra.push(("results".into(), Value::Array(Vec::new())));
            return Err(out);
        }
        let mut out = response(true, "", results);
        out.stdout = ran.stdout;
        out.stderr = ran.stderr;
        Ok(out)
    }
}

/// Whether dnf/yum output says `name` matched nothing.
fn no_match(output: &str, name: &str) -> bool {
    output.lines().any(|line| {
        let line = line.trim();
        [
            "No match for argument:",
            "No package ",
            "Argument not available:",
        ]
        .iter()
        .any(|prefix| line.starts_with(prefix))
            && line
                .split(|c: char| c.is_whitespace() || c == ':')
                .any(|word| word == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_missing_packages() {
        assert!(no_match(
            "Error: Unable to find a match\nNo match for argument: nosuch\n",
            "nosuch"
        ));
        assert!(no_match("No package nosuch available.\n", "nosuch"));
        assert!(!no_match("No match for argument: other\n", "nosuch"));
    }
}
