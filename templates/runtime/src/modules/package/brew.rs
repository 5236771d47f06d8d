//! `homebrew`: installed state from `brew info --json=v2`, outdated ones from
//! `brew outdated`, changes through `brew install` / `upgrade` / `uninstall`,
//! package by package with the messages of Ansible's homebrew module.

use super::{strings, Request, Want};
use crate::json::{parse, Value};
use crate::modules::params;
use crate::modules::params::ArgReader;
use crate::modules::sysexec::Tool;
use crate::modules::Outcome;

const DEFAULT_PATH: &str = "/usr/local/bin:/opt/homebrew/bin:/home/linuxbrew/.linuxbrew/bin";

pub(super) fn run(req: &Request) -> Outcome {
    let mut brew = match Brew::new(req) {
        Ok(brew) => brew,
        Err(out) => return out,
    };
    let result = brew.run_all();
    let total = brew.changed_pkgs.len() + brew.unchanged_pkgs.len();
    let mut out = match result {
        Err(failed) => return failed,
        Ok(()) => {
            if total > 1 {
                brew.message = format!(
                    "Changed: {}, Unchanged: {}",
                    brew.changed_pkgs.len(),
                    brew.unchanged_pkgs.len()
                );
            }
            Outcome::finished(brew.changed)
        }
    };
    out.msg = Value::str(&brew.message);
    out.extra
        .push(("changed_pkgs".into(), strings(&brew.changed_pkgs)));
    out.extra
        .push(("unchanged_pkgs".into(), strings(&brew.unchanged_pkgs)));
    out
}

struct Brew<'r> {
    req: &'r Request<'r>,
    tool: Tool,
    install_options: Vec<String>,
    changed: bool,
    message: String,
    changed_pkgs: Vec<String>,
    unchanged_pkgs: Vec<String>,
}

/// Stops the run early, as the module's exception does: `Ok` for check mode's
/// "would" messages, `Err` for failures.
type Step = Result<bool, Outcome>;

impl<'r> Brew<'r> {
    fn new(req: &'r Request<'r>) -> Result<Brew<'r>, Outcome> {
        let path = req
            .string("path")?
            .unwrap_or_else(|| DEFAULT_PATH.to_string());
        let extra: Vec<&str> = path.split(':').filter(|p| !p.is_empty()).collect();
        let mut install_options = Vec::new();
        for option in params::list_arg(req.args, "install_options")
            .map_err(Outcome::failed)?
            .unwrap_or_default()
        {
            install_options.push(if option.starts_with("--") {
                option
            } else {
                format!("--{option}")
            });
        }
        Ok(Brew {
            req,
            tool: Tool::require("brew", &extra)?,
            install_options,
            changed: false,
            message: String::new(),
            changed_pkgs: Vec::new(),
            unchanged_pkgs: Vec::new(),
        })
    }

    fn run_all(&mut self) -> Result<(), Outcome> {
        if self.req.update_cache && !self.update()? {
            return Ok(());
        }
        let names = self.req.names.clone();
        for name in &names {
            let go_on = match self.req.want {
                Want::Present => self.install(name)?,
                Want::Latest => self.upgrade(name)?,
                Want::Absent => self.uninstall(name)?,
            };
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    fn fail(&self, stderr: &str, rc: i64) -> Outcome {
        let mut out = Outcome::failed(stderr.trim());
        out.rc = Some(rc);
        out
    }

    /// `brew update`; `Ok(false)` stops (check mode).
    fn update(&mut self) -> Step {
        if self.req.check_mode {
            self.changed = true;
            self.message = "Homebrew would be updated.".into();
            return Ok(false);
        }
        let ran = self.tool.run(&["update"])?;
        if ran.rc != 0 {
            return Err(self.fail(&ran.stderr, ran.rc));
        }
        let current = ran.stdout.lines().any(|l| {
            l.trim()
                .to_ascii_lowercase()
                .contains("already up-to-date.")
        });
        if current {
            self.message = "Homebrew already up-to-date.".into();
        } else {
            self.changed = true;
            self.message = "Homebrew updated successfully.".into();
        }
        Ok(true)
    }

    fn installed(&self, name: &str) -> Result<bool, Outcome> {
        let ran = self.tool.run(&["info", "--json=v2", name])?;
        if ran.rc != 0 {
            let text = if ran.stderr.trim().is_empty() {
                format!("Unknown failure with exit code {}", ran.rc)
            } else {
                ran.stderr.clone()
            };
            return Err(self.fail(&text, ran.rc));
        }
        let data = parse(&ran.stdout)
            .map_err(|e| Outcome::failed(format!("brew info printed invalid JSON: {e:?}")))?;
        let first_installed = |kind: &str| {
            data.get(kind)
                .and_then(Value::as_array)
                .and_then(|items| items.first())
                .and_then(|item| item.get("installed"))
                .is_some_and(|v| match v {
                    Value::Null => false,
                    Value::Bool(b) => *b,
                    Value::Str(s) => !s.is_empty(),
                    Value::Array(items) => !items.is_empty(),
                    _ => true,
                })
        };
        Ok(first_installed("formulae") || first_installed("casks"))
    }

    fn outdated(&self, name: &str) -> Result<bool, Outcome> {
        Ok(self.tool.run(&["outdated", name])?.rc != 0)
    }

    fn act(&mut self, verb: &str, name: &str, done: &str) -> Step {
        let mut args = vec![verb.to_string()];
        if verb == "uninstall" {
            args.push("--force".into());
        }
        args.extend(self.install_options.iter().cloned());
        args.push(name.to_string());
        let ran = self.tool.run(&args)?;
        let ok = if verb == "uninstall" {
            !self.installed(name)?
        } else {
            ran.rc == 0
        };
        if !ok {
            let mut out = self.fail(&ran.stderr, ran.rc);
            out.stdout = ran.stdout;
            return Err(out);
        }
        self.changed_pkgs.push(name.to_string());
        self.changed = true;
        self.message = format!("{done}: {name}");
        Ok(true)
    }

    fn would(&mut self, what: &str, name: &str) -> Step {
        self.changed = true;
        self.message = format!("Package would be {what}: {name}");
        Ok(false)
    }

    fn unchanged(&mut self, text: &str, name: &str) -> Step {
        self.unchanged_pkgs.push(name.to_string());
        self.message = format!("{text}: {name}");
        Ok(true)
    }

    fn install(&mut self, name: &str) -> Step {
        if self.installed(name)? {
            return self.unchanged("Package already installed", name);
        }
        if self.req.check_mode {
            return self.would("installed", name);
        }
        self.act("install", name, "Package installed")
    }

    fn upgrade(&mut self, name: &str) -> Step {
        let installed = self.installed(name)?;
        if installed && !self.outdated(name)? {
            return self.unchanged("Package is already upgraded", name);
        }
        if self.req.check_mode {
            return self.would("upgraded", name);
        }
        let verb = if installed { "upgrade" } else { "install" };
        self.act(verb, name, "Package upgraded")
    }

    fn uninstall(&mut self, name: &str) -> Step {
        if !self.installed(name)? {
            return self.unchanged("Package already uninstalled", name);
        }
        if self.req.check_mode {
            return self.would("uninstalled", name);
        }
        self.act("uninstall", name, "Package uninstalled")
    }
}
