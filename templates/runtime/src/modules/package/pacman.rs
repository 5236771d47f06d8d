//! `pacman` (Arch): installed state from `pacman --query`, pending upgrades
//! from `pacman --query --upgrades`, changes through `pacman --sync` /
//! `--remove`, with the messages and `packages` key of Ansible's pacman module.

use super::{command_failed, require_root, strings, Request, Want};
use crate::json::{obj, Value};
use crate::modules::command::Captured;
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::Tool;
use crate::modules::Outcome;

pub(super) fn run(req: &Request) -> Outcome {
    let mut report = Report::default();
    match run_pacman(req, &mut report) {
        Ok(out) | Err(out) => report.finish(out),
    }
}

/// Messages and outputs collected along the way, joined as Ansible joins them.
#[derive(Default)]
struct Report {
    msgs: Vec<String>,
    stdouts: Vec<String>,
    stderrs: Vec<String>,
}

impl Report {
    fn add(&mut self, msg: &str, ran: Option<&Captured>) {
        if !msg.is_empty() {
            self.msgs.push(msg.to_string());
        }
        if let Some(ran) = ran {
            if !ran.stdout.is_empty() {
                self.stdouts.push(ran.stdout.clone());
            }
            if !ran.stderr.is_empty() {
                self.stderrs.push(ran.stderr.clone());
            }
        }
    }

    fn finish(self, mut out: Outcome) -> Outcome {
        let mut msgs = self.msgs;
        if let Some(extra) = out.msg.as_str().filter(|m| !m.is_empty()) {
            msgs.push(extra.to_string());
        }
        out.msg = Value::str(msgs.join("\n"));
        if out.stdout.is_empty() {
            out.stdout = self.stdouts.join("\n");
        }
        if out.stderr.is_empty() {
            out.stderr = self.stderrs.join("\n");
        }
        out
    }
}

struct Pacman<'r> {
    req: &'r Request<'r>,
    tool: Tool,
    extra_args: Vec<String>,
}

fn run_pacman(req: &Request, report: &mut Report) -> Result<Outcome, Outcome> {
    let executable = req
        .string("executable")?
        .unwrap_or_else(|| "pacman".to_string());
    let extra_args = match params::str_arg(req.args, "extra_args").map_err(Outcome::failed)? {
        Some(text) => crate::modules::command::split_command(&text).map_err(Outcome::failed)?,
        None => Vec::new(),
    };
    let pacman = Pacman {
        req,
        tool: Tool::require(&executable, &[])?.with_env(&[("LC_ALL", "C")]),
        extra_args,
    };
    let mut cache_updated = None;
    if req.update_cache {
        cache_updated = Some(pacman.update_db(report)?);
    }
    let mut out = if req.names.is_empty() {
        Outcome::finished(cache_updated == Some(true))
    } else {
        match req.want {
            Want::Absent => pacman.remove(report)?,
            Want::Present | Want::Latest => pacman.install(report)?,
        }
    };
    if let Some(updated) = cache_updated {
        if updated && !out.changed {
            out.changed = true;
            out.status = crate::modules::Status::Changed;
        }
        out.extra
            .push(("cache_updated".into(), Value::Bool(updated)));
    }
    Ok(out)
}

impl Pacman<'_> {
    fn query(&self, args: &[&str]) -> Result<Captured, Outcome> {
        self.tool.run(args)
    }

    /// `pacman --sync --refresh`; changed when the sync database listing changed.
    fn update_db(&self, report: &mut Report) -> Result<bool, Outcome> {
        if self.req.check_mode {
            report.add("Would have updated the package db", None);
            return Ok(true);
        }
        require_root(&self.tool)?;
        let before = self.query(&["--sync", "--list"])?.stdout;
        let ran = self.tool.run(&["--sync", "--refresh"])?;
        if ran.rc != 0 {
            return Err(command_failed("could not update package db", &ran));
        }
        let after = self.query(&["--sync", "--list"])?.stdout;
        report.add("Updated package db", Some(&ran));
        Ok(before != after)
    }

    /// Installed version, if any.
    fn installed(&self, name: &str) -> Result<Option<String>, Outcome> {
        let ran = self.query(&["--query", name])?;
        if ran.rc != 0 {
            return Ok(None);
        }
        Ok(ran
            .stdout
            .lines()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(name)).then(|| words.next().unwrap_or("").to_string())
            })
            .or(Some(String::new())))
    }

    /// (current, latest) when an upgrade is pending (ignored ones excluded).
    fn upgrade(&self, name: &str) -> Result<Option<(String, String)>, Outcome> {
        let ran = self.query(&["--query", "--upgrades", name])?;
        if ran.rc == 1 && ran.stdout.trim().is_empty() {
            return Ok(None);
        }
        if ran.rc != 0 {
            return Err(command_failed(
                "Couldn't get list of packages available for upgrade",
                &ran,
            ));
        }
        Ok(ran.stdout.lines().find_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words.as_slice() {
                [pkg, current, "->", latest] if *pkg == name => {
                    Some((current.to_string(), latest.to_string()))
                }
                _ => None,
            }
        }))
    }

    fn install(&self, report: &mut Report) -> Result<Outcome, Outcome> {
        let mut to_install = Vec::new();
        let mut before = Vec::new();
        let mut after = Vec::new();
        for name in &self.req.names {
            match self.installed(name)? {
                None => {
                    // Unknown to the sync databases: Ansible's "Failed to list package".
                    let ran = self.query(&["--sync", "--print-format", "%n %v", name])?;
                    if ran.rc != 0 {
                        let mut out =
                            command_failed(format!("Failed to list package {name}"), &ran);
                        out.extra.push((
                            "cmd".into(),
                            strings(&[
                                self.tool.path.to_string_lossy().into_owned(),
                                "--sync".into(),
                                "--print-format".into(),
                                "%n %v".into(),
                                name.clone(),
                            ]),
                        ));
                        return Err(out);
                    }
                    let version = ran
                        .stdout
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name} ")))
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    after.push(format!("{name}-{version}"));
                    to_install.push(name.clone());
                }
                Some(current) => {
                    if self.req.want == Want::Latest {
                        if let Some((old, new)) = self.upgrade(name)? {
                            before.push(format!("{name}-{old}"));
                            after.push(format!("{name}-{new}"));
                            to_install.push(name.clone());
                        }
                    }
                    let _ = current;
                }
            }
        }
        if to_install.is_empty() {
            let mut out = Outcome::finished(false);
            out.msg = Value::str("package(s) already installed");
            out.extra
                .push(("packages".into(), Value::Array(Vec::new())));
            return Ok(out);
        }
        to_install.sort();
        let mut out = Outcome::finished(true);
        if self.req.diff_mode {
            out.diff = Some(lines_diff(&before, &after));
        }
        if self.req.check_mode {
            report.add(
                &format!("Would have installed {} packages", to_install.len()),
                None,
            );
            out.extra.push(("packages".into(), strings(&to_install)));
            return Ok(out);
        }
        require_root(&self.tool)?;
        let mut args: Vec<String> = vec![
            "--noconfirm".into(),
            "--noprogressbar".into(),
            "--needed".into(),
        ];
        args.extend(self.extra_args.iter().cloned());
        args.push("--sync".into());
        args.extend(to_install.iter().cloned());
        let ran = self.tool.run(&args)?;
        if ran.rc != 0 {
            let mut failed = command_failed("Failed to install package(s)", &ran);
            failed.extra.push(("cmd".into(), strings(&args)));
            return Err(failed);
        }
        report.add("", Some(&ran));
        report.add(&format!("Installed {} package(s)", to_install.len()), None);
        out.extra.push(("packages".into(), strings(&to_install)));
        Ok(out)
    }

    fn remove(&self, report: &mut Report) -> Result<Outcome, Outcome> {
        let mut to_remove = Vec::new();
        let mut removed = Vec::new();
        for name in &self.req.names {
            if let Some(version) = self.installed(name)? {
                to_remove.push(name.clone());
                removed.push(format!("{name}-{version}"));
            }
        }
        if to_remove.is_empty() {
            let mut out = Outcome::finished(false);
            out.msg = Value::str("package(s) already absent");
            out.extra
                .push(("packages".into(), Value::Array(Vec::new())));
            return Ok(out);
        }
        let mut out = Outcome::finished(true);
        if self.req.diff_mode {
            out.diff = Some(lines_diff(&removed, &[]));
        }
        out.extra.push(("packages".into(), strings(&removed)));
        if self.req.check_mode {
            report.add(
                &format!("Would have removed {} packages", removed.len()),
                None,
            );
            return Ok(out);
        }
        require_root(&self.tool)?;
        let mut args: Vec<String> = vec![
            "--remove".into(),
            "--noconfirm".into(),
            "--noprogressbar".into(),
        ];
        args.extend(self.extra_args.iter().cloned());
        if self.req.bool("force", false)? {
            args.extend(["--nodeps".into(), "--nodeps".into()]);
        }
        if self.req.bool("remove_nosave", false)? {
            args.push("--nosave".into());
        }
        args.extend(to_remove);
        let ran = self.tool.run(&args)?;
        if ran.rc != 0 {
            let mut failed = command_failed("failed to remove package(s)", &ran);
            failed.extra.push(("cmd".into(), strings(&args)));
            return Err(failed);
        }
        report.add(&format!("Removed {} package(s)", removed.len()), Some(&ran));
        Ok(out)
    }
}

fn lines_diff(before: &[String], after: &[String]) -> Value {
    let text = |items: &[String]| {
        let mut sorted = items.to_vec();
        sorted.sort();
        if sorted.is_empty() {
            String::new()
        } else {
            sorted.join("\n") + "\n"
        }
    };
    obj([
        ("before", Value::str(text(before))),
        ("after", Value::str(text(after))),
    ])
}
