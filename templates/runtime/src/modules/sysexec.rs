//! What the package and service modules share: finding system tools on `PATH`,
//! running them, reading their (possibly templated) arguments, and the few
//! file-system probes they make.

// Errors here are the task's final (failed) outcome, built once per task:
// their size does not matter.
#![allow(clippy::result_large_err)]

use super::command::{capture, os_error, Captured};
use super::Outcome;
use crate::json::Value;
use std::path::{Path, PathBuf};

/// Directories Ansible's `get_bin_path` searches after `PATH`.
const SBIN_DIRS: [&str; 3] = ["/sbin", "/usr/sbin", "/usr/local/sbin"];

/// Environment variable that moves the files these modules probe (init
/// scripts, rc links, apt's cache stamps, launchd plists) under another root,
/// for chroot-like setups and tests. Programs are still found on `PATH`.
pub(crate) const TARGET_ROOT_ENV: &str = "RUSTLE_TARGET_ROOT";

/// A system program found on this host, with the environment it runs with.
#[derive(Debug, Clone)]
pub(crate) struct Tool {
    pub path: PathBuf,
    env: Vec<(String, String)>,
}

impl Tool {
    /// The program `name` on `PATH`, then in `extra` and the sbin directories.
    pub fn locate(name: &str, extra: &[&str]) -> Option<Tool> {
        search_dirs(extra)
            .into_iter()
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
            .map(|path| Tool {
                path,
                env: Vec::new(),
            })
    }

    /// Like [`Tool::locate`], failing as Ansible's `get_bin_path(required=True)` does.
    pub fn require(name: &str, extra: &[&str]) -> Result<Tool, Outcome> {
        Tool::locate(name, extra).ok_or_else(|| {
            let paths: Vec<String> = search_dirs(extra)
                .iter()
                .map(|d| d.to_string_lossy().into_owned())
                .collect();
            Outcome::failed(format!(
                "Failed to find required executable \"{name}\" in paths: {}",
                paths.join(":")
            ))
        })
    }

    /// A tool at a known path (an init script).
    pub fn at(path: &Path) -> Tool {
        Tool {
            path: path.to_path_buf(),
            env: Vec::new(),
        }
    }

    /// Adds environment variables for every run of this tool.
    pub fn with_env(mut self, pairs: &[(&str, &str)]) -> Tool {
        for (key, value) in pairs {
            self.env.push((key.to_string(), value.to_string()));
        }
        self
    }

    /// The program's file name (`apt-get`, `systemctl`).
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Runs the tool and waits for it; a program that cannot be started is a
    /// failed task.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<Captured, Outcome> {
        self.spawn(args, false)
    }

    /// Runs the tool with its output spooled through files and in its own
    /// process group (for commands that start daemons).
    pub fn run_detached<S: AsRef<str>>(&self, args: &[S]) -> Result<Captured, Outcome> {
        self.spawn(args, true)
    }

    fn spawn<S: AsRef<str>>(&self, args: &[S], detached: bool) -> Result<Captured, Outcome> {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
        capture(&self.path, &args, &self.env, detached).map_err(|e| {
            let mut out = Outcome::failed(os_error(&e, &self.path.to_string_lossy()));
            out.rc = Some(e.raw_os_error().map_or(1, i64::from));
            out
        })
    }

    /// The command line as text (for messages and the `cmd` result key).
    pub fn command_line<S: AsRef<str>>(&self, args: &[S]) -> String {
        let mut words = vec![quote(&self.path.to_string_lossy())];
        words.extend(args.iter().map(|a| quote(a.as_ref())));
        words.join(" ")
    }
}

fn search_dirs(extra: &[&str]) -> Vec<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path_var)
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    for dir in extra.iter().chain(SBIN_DIRS.iter()) {
        if !dirs.iter().any(|d| d == Path::new(dir)) {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A word quoted for a POSIX shell when it needs it.
pub(crate) fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\"'\"'"))
    }
}

/// Whether this process runs with an effective user id of 0.
pub(crate) fn is_root() -> bool {
    crate::facts::sys::ids().is_some_and(|(_, euid, _, _)| euid == 0)
}

/// `path` (absolute) under [`TARGET_ROOT_ENV`] when that is set.
pub(crate) fn target_path(path: &str) -> PathBuf {
    match std::env::var_os(TARGET_ROOT_ENV).filter(|v| !v.is_empty()) {
        Some(root) => PathBuf::from(root).join(path.trim_start_matches('/')),
        None => PathBuf::from(path),
    }
}

/// Whether a SysV runlevel link `/etc/rc?.d/<kind>??<name>` exists (Ansible's
/// `sysv_is_enabled` with `kind` 'S'; 'K' for the kill links), looking under
/// `/etc/init.d/rc?.d` on systems without `/etc/rc0.d`.
pub(crate) fn rc_link_exists(kind: char, name: &str) -> bool {
    let (base, prefix) = if target_path("/etc/rc0.d").is_dir() {
        (target_path("/etc"), "rc")
    } else {
        (target_path("/etc/init.d"), "rc")
    };
    let Ok(entries) = std::fs::read_dir(&base) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let dir_name = entry.file_name().to_string_lossy().into_owned();
        let is_rc_dir = dir_name.len() == prefix.len() + 3
            && dir_name.starts_with(prefix)
            && dir_name.ends_with(".d");
        if !is_rc_dir {
            return false;
        }
        let Ok(links) = std::fs::read_dir(entry.path()) else {
            return false;
        };
        links.flatten().any(|link| {
            let file = link.file_name().to_string_lossy().into_owned();
            let mut chars = file.chars();
            chars.next() == Some(kind)
                && chars.next().is_some()
                && chars.next().is_some()
                && chars.as_str() == name
        })
    })
}

// --- arguments that may have been templates ------------------------------------

/// Adds `("warnings", [...])` to an outcome when there are any.
pub(crate) fn add_warnings(out: &mut Outcome, warnings: Vec<String>) {
    if !warnings.is_empty() {
        out.extra.push((
            "warnings".to_string(),
            Value::Array(warnings.into_iter().map(Value::Str).collect()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("apt-get"), "apt-get");
        assert_eq!(quote("name=1.0*"), "'name=1.0*'");
        assert_eq!(quote("it's"), "'it'\"'\"'s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn finds_tools_and_reports_missing_ones() {
        let sh = Tool::locate("sh", &[]).expect("sh on PATH");
        assert_eq!(sh.name(), "sh");
        let ran = sh.run(&["-c", "printf x; printf y >&2; exit 3"]).unwrap();
        assert_eq!(
            (ran.rc, ran.stdout.as_str(), ran.stderr.as_str()),
            (3, "x", "y")
        );
        let ran = sh
            .with_env(&[("RUSTLE_SYSEXEC_T", "v")])
            .run_detached(&["-c", "printf %s \"$RUSTLE_SYSEXEC_T\""])
            .unwrap();
        assert_eq!((ran.rc, ran.stdout.as_str()), (0, "v"));
        let missing = Tool::require("rustle-no-such-tool", &[]).unwrap_err();
        let msg = missing.msg.to_text();
        assert!(
            msg.starts_with(
                "Failed to find required executable \"rustle-no-such-tool\" in paths: "
            ),
            "{msg}"
        );
        assert!(msg.contains("/usr/sbin"), "{msg}");
    }
}
