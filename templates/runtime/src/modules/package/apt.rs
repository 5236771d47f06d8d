//! `apt`: installed state from `dpkg-query`, candidates from `apt-cache
//! policy`, changes through `apt-get`, as Ansible's apt module decides them.

use super::{command_failed, require_root, Request, Want};
use crate::hosts::glob;
use crate::json::Value;
use crate::modules::command::Captured;
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::{target_path, Tool};
use crate::modules::Outcome;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const C_LOCALE: [(&str, &str); 5] = [
    ("LANG", "C"),
    ("LC_ALL", "C"),
    ("LC_MESSAGES", "C"),
    ("LC_CTYPE", "C"),
    ("LANGUAGE", "C"),
];

/// How dpkg knows a package.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Installed {
    /// Installed version (`None`: not installed).
    version: Option<String>,
    /// Files left on disk (config files of a removed package), for `purge`.
    has_files: bool,
}

/// What `apt-cache policy` says about a name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Policy {
    candidate: Option<String>,
    /// Versions in the version table, highest first.
    versions: Vec<String>,
}

struct Apt<'r> {
    req: &'r Request<'r>,
    apt_get: Tool,
    dpkg_query: Tool,
    apt_cache: Tool,
}

pub(super) fn run(req: &Request) -> Outcome {
    match run_apt(req) {
        Ok(out) | Err(out) => out,
    }
}

fn run_apt(req: &Request) -> Result<Outcome, Outcome> {
    let mut env: Vec<(&str, &str)> = vec![
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("DEBIAN_PRIORITY", "critical"),
    ];
    env.extend(C_LOCALE);
    let apt = Apt {
        req,
        apt_get: Tool::require("apt-get", &[])?.with_env(&env),
        dpkg_query: Tool::require("dpkg-query", &[])?.with_env(&C_LOCALE),
        apt_cache: Tool::require("apt-cache", &[])?.with_env(&C_LOCALE),
    };
    for spec in &req.names {
        if spec.matches('=').count() > 1 {
            return Err(Outcome::failed(format!("invalid package spec: {spec}")));
        }
        if spec.contains(">=") || split_spec(spec).0.contains(['*', '?', '[', ']', '!']) {
            return Err(Outcome::failed(format!(
                "apt: '{spec}' uses a version comparison or a name pattern, which this runtime \
                 does not support; name packages exactly (a version pin 'name=1.2*' is fine)"
            )));
        }
    }
    let (cache_updated, cache_time) = apt.update_cache()?;
    let cache_keys = [
        ("cache_updated".to_string(), Value::Bool(cache_updated)),
        ("cache_update_time".to_string(), Value::Int(cache_time)),
    ];
    if req.names.is_empty() {
        let mut out = Outcome::finished(cache_updated);
        out.extra.extend(cache_keys);
        return Ok(out);
    }
    match req.want {
        Want::Absent => apt.remove(),
        Want::Present | Want::Latest => {
            let mut out = apt.install()?;
            out.extra.extend(cache_keys);
            Ok(out)
        }
    }
}

impl Apt<'_> {
    /// Ansible's cache handling: update when asked and the cache is older
    /// than `cache_valid_time`; returns (cache_updated, cache_update_time).
    fn update_cache(&self) -> Result<(bool, i64), Outcome> {
        let valid_time = params::int_arg(self.req.args, "cache_valid_time")
            .map_err(Outcome::failed)?
            .unwrap_or(0);
        let before = cache_mtime();
        if !self.req.update_cache && valid_time <= 0 {
            return Ok((false, before as i64));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if before + valid_time as f64 >= now {
            return Ok((false, before as i64));
        }
        if !self.req.check_mode {
            require_root(&self.apt_get)?;
            let retries = params::int_arg(self.req.args, "update_cache_retries")
                .map_err(Outcome::failed)?
                .unwrap_or(5)
                .max(1);
            let max_delay = params::int_arg(self.req.args, "update_cache_retry_max_delay")
                .map_err(Outcome::failed)?
                .unwrap_or(12)
                .max(0);
            let mut last_error = String::new();
            let mut updated = false;
            for attempt in 0..retries {
                let ran = self.apt_get.run(&["update", "-q"])?;
                if ran.rc == 0 {
                    updated = true;
                    break;
                }
                last_error = ran.stderr.trim().to_string();
                if attempt + 1 < retries {
                    let delay = 2_i64.saturating_pow(attempt.min(30) as u32).min(max_delay);
                    std::thread::sleep(Duration::from_secs(delay.max(0) as u64));
                }
            }
            if !updated {
                let reason = if last_error.is_empty() {
                    "unknown reason".to_string()
                } else {
                    last_error
                };
                return Err(Outcome::failed(format!(
                    "Failed to update apt cache after {retries} retries: {reason}"
                )));
            }
        }
        let after = cache_mtime();
        Ok((
            self.req.check_mode || after as i64 != before as i64,
            after as i64,
        ))
    }

    fn dpkg_status(&self, name: &str) -> Result<Installed, Outcome> {
        let ran = self
            .dpkg_query
            .run(&["-W", "-f=${Status}\t${Version}\n", name])?;
        Ok(parse_dpkg_status(&ran.stdout))
    }

    fn policy(&self, name: &str) -> Result<Policy, Outcome> {
        let mut args = Vec::new();
        if let Some(release) = self.req.string("default_release")? {
            args.push("-o".to_string());
            args.push(format!("APT::Default-Release={release}"));
        }
        args.push("policy".to_string());
        args.push(name.to_string());
        let ran = self.apt_cache.run(&args)?;
        if ran.rc != 0 {
            return Err(command_failed(
                format!(
                    "'{}' failed: {}",
                    self.apt_cache.command_line(&args),
                    ran.stderr.trim()
                ),
                &ran,
            ));
        }
        Ok(parse_policy(&ran.stdout))
    }

    fn providers(&self, name: &str) -> Result<Vec<String>, Outcome> {
        let ran = self.apt_cache.run(&["showpkg", name])?;
        Ok(parse_providers(&ran.stdout))
    }

    /// Ansible's `install`: which specs need apt-get, then one apt-get run.
    fn install(&self) -> Result<Outcome, Outcome> {
        let latest = self.req.want == Want::Latest;
        let only_upgrade = self.req.bool("only_upgrade", false)?;
        let mut to_install: Vec<String> = Vec::new();
        let mut to_mark: Vec<String> = Vec::new();
        for spec in &self.req.names {
            let (name, version) = split_spec(spec);
            match self.install_decision(name, version, latest, only_upgrade)? {
                Decision::Nothing { mark } => {
                    if mark {
                        to_mark.push(name.to_string());
                    }
                }
                Decision::Install(word) => {
                    to_install.push(word);
                    to_mark.push(name.to_string());
                }
                Decision::InstallVirtual(word) => to_install.push(word),
                Decision::NoCandidate => {
                    return Err(Outcome::failed(format!(
                        "no available installation candidate for {spec}"
                    )))
                }
            }
        }
        if to_install.is_empty() {
            if !self.req.check_mode {
                self.mark_manual(&to_mark)?;
            }
            return Ok(Outcome::finished(false));
        }
        if self.req.check_mode {
            return Ok(Outcome::finished(true));
        }
        require_root(&self.apt_get)?;
        let mut args: Vec<String> = vec!["-y".into()];
        args.extend(self.dpkg_options()?);
        for (key, flag) in [
            ("only_upgrade", "--only-upgrade"),
            ("force", "--force-yes"),
            ("autoremove", "--auto-remove"),
            ("fail_on_autoremove", "--no-remove"),
        ] {
            if self.req.bool(key, false)? {
                args.push(flag.into());
            }
        }
        args.push("install".into());
        args.extend(to_install.iter().cloned());
        if let Some(release) = self.req.string("default_release")? {
            args.push("-t".into());
            args.push(release);
        }
        match self.req.opt_bool("install_recommends")? {
            Some(true) => args.extend(["-o".into(), "APT::Install-Recommends=yes".into()]),
            Some(false) => args.extend(["-o".into(), "APT::Install-Recommends=no".into()]),
            None => {}
        }
        for (key, flag) in [
            ("allow_unauthenticated", "--allow-unauthenticated"),
            ("allow_downgrade", "--allow-downgrades"),
            ("allow_change_held_packages", "--allow-change-held-packages"),
        ] {
            if self.req.bool(key, false)? {
                args.push(flag.into());
            }
        }
        let ran = self.apt_get.run(&args)?;
        if ran.rc != 0 {
            return Err(command_failed(
                format!(
                    "'{}' failed: {}",
                    self.apt_get.command_line(&args),
                    ran.stderr
                ),
                &ran,
            ));
        }
        self.mark_manual(&to_mark)?;
        Ok(self.changed_with(&ran))
    }

    fn install_decision(
        &self,
        name: &str,
        version: Option<&str>,
        latest: bool,
        only_upgrade: bool,
    ) -> Result<Decision, Outcome> {
        let status = self.dpkg_status(name)?;
        let installed = status.version.is_some();
        if !installed && only_upgrade {
            return Ok(Decision::Nothing { mark: false });
        }
        let version_installed = match (&status.version, version) {
            (Some(_), None) => true,
            (Some(have), Some(want)) => glob(want, have),
            (None, _) => false,
        };
        // Installed and nothing more asked for: no need to ask apt.
        if version_installed && !latest && version.is_none() {
            return Ok(Decision::Nothing { mark: true });
        }
        let policy = self.policy(name)?;
        if policy.versions.is_empty() && !installed {
            // Not a real package: a virtual one, or unknown.
            let mut providers = self.providers(name)?;
            providers.dedup();
            if providers.is_empty() {
                return Err(Outcome::failed(format!(
                    "No package matching '{name}' is available"
                )));
            }
            if providers.len() == 1 {
                let provider = &providers[0];
                if self.dpkg_status(provider)?.version.is_some() {
                    // Decided for the provider; apt-mark cannot mark a virtual name.
                    return Ok(
                        match self.install_decision(provider, None, latest, only_upgrade)? {
                            Decision::Nothing { .. } => Decision::Nothing { mark: false },
                            Decision::Install(word) => Decision::InstallVirtual(word),
                            other => other,
                        },
                    );
                }
            }
            return Ok(Decision::InstallVirtual(pin(name, version)));
        }
        let best = match version {
            Some(want) => policy.versions.iter().find(|v| glob(want, v)).cloned(),
            None => policy.candidate.clone(),
        };
        let installable = match &status.version {
            Some(have) => best.filter(|b| b != have),
            None => best,
        };
        Ok(match installable {
            None if !version_installed => Decision::NoCandidate,
            Some(candidate) if !installed || latest || !version_installed => {
                Decision::Install(format!("{name}={candidate}"))
            }
            // Ansible's legacy case: an installed version matches the pin's
            // pattern and a newer one matches it too.
            Some(_) if version.is_some() => Decision::Install(pin(name, version)),
            _ => Decision::Nothing { mark: true },
        })
    }

    /// `apt-mark manual` for the named packages that are not marked yet, as
    /// Ansible marks every package it was asked to install.
    fn mark_manual(&self, names: &[String]) -> Result<(), Outcome> {
        if names.is_empty() {
            return Ok(());
        }
        let Some(apt_mark) = Tool::locate("apt-mark", &[]) else {
            return Ok(());
        };
        let apt_mark = apt_mark.with_env(&C_LOCALE);
        let mut args = vec!["showmanual".to_string()];
        args.extend(names.iter().cloned());
        let shown = apt_mark.run(&args)?;
        let manual: Vec<&str> = shown.stdout.lines().map(str::trim).collect();
        let pending: Vec<String> = names
            .iter()
            .filter(|n| !manual.contains(&n.as_str()))
            .cloned()
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        require_root(&apt_mark)?;
        let mut args = vec!["manual".to_string()];
        args.extend(pending);
        let ran = apt_mark.run(&args)?;
        if ran.rc != 0 {
            return Err(command_failed(
                format!("'{}' failed: {}", apt_mark.command_line(&args), ran.stderr),
                &ran,
            ));
        }
        Ok(())
    }

    /// Ansible's `remove`: installed (or, with purge, leftover) packages go.
    fn remove(&self) -> Result<Outcome, Outcome> {
        let purge = self.req.bool("purge", false)?;
        let mut targets = Vec::new();
        for spec in &self.req.names {
            let (name, version) = split_spec(spec);
            let status = self.dpkg_status(name)?;
            let version_installed = match (&status.version, version) {
                (Some(_), None) => true,
                (Some(have), Some(want)) => glob(want, have),
                (None, _) => false,
            };
            if version_installed || (status.has_files && purge) {
                targets.push(spec.clone());
            }
        }
        if targets.is_empty() {
            return Ok(Outcome::finished(false));
        }
        if self.req.check_mode {
            return Ok(Outcome::finished(true));
        }
        require_root(&self.apt_get)?;
        let mut args: Vec<String> = vec!["-q".into(), "-y".into()];
        args.extend(self.dpkg_options()?);
        for (key, flag) in [
            ("purge", "--purge"),
            ("force", "--force-yes"),
            ("autoremove", "--auto-remove"),
            ("allow_change_held_packages", "--allow-change-held-packages"),
        ] {
            if self.req.bool(key, false)? {
                args.push(flag.into());
            }
        }
        args.push("remove".into());
        args.extend(targets.iter().cloned());
        let ran = self.apt_get.run(&args)?;
        if ran.rc != 0 {
            let quoted: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
            return Err(command_failed(
                format!(
                    "'apt-get remove {}' failed: {}",
                    quoted.join(" "),
                    ran.stderr
                ),
                &ran,
            ));
        }
        Ok(self.changed_with(&ran))
    }

    fn dpkg_options(&self) -> Result<Vec<String>, Outcome> {
        let options = self
            .req
            .string("dpkg_options")?
            .unwrap_or_else(|| "force-confdef,force-confold".to_string());
        let mut args = Vec::new();
        for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            args.push("-o".to_string());
            args.push(format!("Dpkg::Options::=--{option}"));
        }
        if let Some(timeout) =
            params::int_arg(self.req.args, "lock_timeout").map_err(Outcome::failed)?
        {
            args.push("-o".to_string());
            args.push(format!("DPkg::Lock::Timeout={timeout}"));
        }
        Ok(args)
    }

    fn changed_with(&self, ran: &Captured) -> Outcome {
        let mut out = Outcome::finished(true);
        out.stdout = ran.stdout.clone();
        out.stderr = ran.stderr.clone();
        if self.req.diff_mode {
            out.diff = Some(crate::json::obj([(
                "prepared",
                Value::str(prepared_diff(&ran.stdout)),
            )]));
        }
        out
    }
}

enum Decision {
    Nothing { mark: bool },
    Install(String),
    InstallVirtual(String),
    NoCandidate,
}

fn pin(name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{name}={v}"),
        None => name.to_string(),
    }
}

/// `name=version` → (name, Some(version)).
fn split_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('=') {
        Some((name, version)) => (name, Some(version)),
        None => (spec, None),
    }
}

/// Seconds since the epoch of apt's last successful update (0 when unknown).
fn cache_mtime() -> f64 {
    let stamp = target_path("/var/lib/apt/periodic/update-success-stamp");
    let lists = target_path("/var/lib/apt/lists");
    let path = if stamp.exists() { stamp } else { lists };
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `dpkg-query -W -f '${Status}\t${Version}\n'` output (one line per architecture).
fn parse_dpkg_status(text: &str) -> Installed {
    let mut found = Installed::default();
    for line in text.lines() {
        let (status, version) = line.split_once('\t').unwrap_or((line, ""));
        let state = status.split_whitespace().nth(2).unwrap_or("");
        if state == "installed" {
            found.version = Some(version.trim().to_string());
            found.has_files = true;
        } else if !state.is_empty() && state != "not-installed" {
            found.has_files = true;
        }
    }
    found
}

fn parse_policy(text: &str) -> Policy {
    let mut policy = Policy::default();
    let mut in_table = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(candidate) = trimmed.strip_prefix("Candidate:") {
            let candidate = candidate.trim();
            if candidate != "(none)" && !candidate.is_empty() {
                policy.candidate = Some(candidate.to_string());
            }
        } else if trimmed == "Version table:" {
            in_table = true;
        } else if in_table {
            let indent = line.len() - line.trim_start().len();
            let words: Vec<&str> = trimmed.split_whitespace().collect();
            let version = match words.as_slice() {
                ["***", version, ..] => Some(*version),
                [version, _priority] if indent <= 5 => Some(*version),
                _ => None,
            };
            if let Some(version) = version {
                policy.versions.push(version.to_string());
            }
        }
    }
    policy
}

/// Package names under `Reverse Provides:` in `apt-cache showpkg` output.
fn parse_providers(text: &str) -> Vec<String> {
    let mut providers = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if line.starts_with("Reverse Provides:") {
            in_section = true;
            continue;
        }
        if in_section {
            if let Some(name) = line.split_whitespace().next() {
                if !providers.iter().any(|p| p == name) {
                    providers.push(name.to_string());
                }
            }
        }
    }
    providers
}

/// Ansible's `parse_diff`: the apt-get output between "Reading state
/// information..." and the "N upgraded" line.
fn prepared_diff(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Resolving dependencies..." || *l == "Reading state information...")
        .map_or(0, |i| i + 1);
    let end = lines
        .iter()
        .position(|l| {
            let mut words = l.split_whitespace();
            let count = words
                .next()
                .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
            let rest: Vec<&str> = words.take(2).collect();
            count && (rest.first() == Some(&"upgraded,") || rest == ["packages", "upgraded,"])
        })
        .map_or(lines.len(), |i| i + 1);
    lines
        .get(start..end.max(start))
        .unwrap_or_default()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dpkg_status() {
        let s = parse_dpkg_status("install ok installed\t5.2.15-2+b8\n");
        assert_eq!(s.version.as_deref(), Some("5.2.15-2+b8"));
        let s = parse_dpkg_status("deinstall ok config-files\t1.0\n");
        assert_eq!((s.version, s.has_files), (None, true));
        let s = parse_dpkg_status("unknown ok not-installed\t\n");
        assert_eq!((s.version, s.has_files), (None, false));
        assert_eq!(parse_dpkg_status(""), Installed::default());
    }

    #[test]
    fn parses_policy() {
        let text = "bash:\n  Installed: 5.2.15-2+b8\n  Candidate: 5.2.15-2+b13\n  Version table:\n     5.2.15-2+b13 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n *** 5.2.15-2+b8 100\n        100 /var/lib/dpkg/status\n";
        let p = parse_policy(text);
        assert_eq!(p.candidate.as_deref(), Some("5.2.15-2+b13"));
        assert_eq!(p.versions, ["5.2.15-2+b13", "5.2.15-2+b8"]);
        let p = parse_policy("awk:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n");
        assert_eq!(p, Policy::default());
    }

    #[test]
    fn parses_providers_and_diffs() {
        let text = "Package: awk\nReverse Provides: \noriginal-awk 2022 (= )\nmawk 1.3 (= )\n";
        assert_eq!(parse_providers(text), ["original-awk", "mawk"]);
        let out = "Reading package lists...\nReading state information...\nThe following NEW packages will be installed:\n  cowsay\n0 upgraded, 1 newly installed, 0 to remove and 1 not upgraded.\nInst cowsay\n";
        assert_eq!(
            prepared_diff(out),
            "The following NEW packages will be installed:\n  cowsay\n0 upgraded, 1 newly installed, 0 to remove and 1 not upgraded."
        );
        assert_eq!(split_spec("bash=5.*"), ("bash", Some("5.*")));
        assert_eq!(split_spec("bash"), ("bash", None));
    }
}
