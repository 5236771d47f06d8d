//! The file-system view fact collectors read through.
//!
//! Collectors that look at several files (distribution detection, package and
//! service manager probing) take a [`Host`] so tests can hand them a fixture
//! tree instead of the real machine.

use std::fs;
use std::path::Path;

/// Read-only access to the files a collector looks at.
pub(crate) trait Host {
    /// Whole file as text (invalid UTF-8 replaced); `None` when unreadable.
    fn read(&self, path: &str) -> Option<String>;
    /// Whether the path exists (symlinks followed, like `os.path.exists`).
    fn exists(&self, path: &str) -> bool;
    /// Size in bytes of the file behind the path.
    fn file_size(&self, path: &str) -> Option<u64>;
    /// Whether the path is a regular file (symlinks followed).
    fn is_file(&self, path: &str) -> bool;
    /// Whether the path itself is a symbolic link.
    fn is_symlink(&self, path: &str) -> bool;
    /// Target of a symbolic link, as stored.
    fn read_link(&self, path: &str) -> Option<String>;
    /// Canonical path with every symlink resolved (`os.path.realpath`).
    fn real_path(&self, path: &str) -> Option<String>;
    /// Names in a directory, in the order the system lists them.
    fn list_dir(&self, path: &str) -> Option<Vec<String>>;
    /// Ansible's `get_bin_path`: `PATH` plus the sbin directories.
    fn which(&self, name: &str) -> Option<String>;
}

/// Ansible's `get_file_content`: the stripped text, `None` when the file is
/// missing, unreadable or blank.
pub(crate) fn content(host: &dyn Host, path: &str) -> Option<String> {
    let text = host.read(path)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

/// Directories `get_bin_path` always searches besides `PATH`.
pub(crate) const SBIN_DIRS: [&str; 3] = ["/sbin", "/usr/sbin", "/usr/local/sbin"];

/// The machine this process runs on.
pub(crate) struct RealHost;

impl Host for RealHost {
    fn read(&self, path: &str) -> Option<String> {
        fs::read(path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    fn exists(&self, path: &str) -> bool {
        Path::new(path).exists()
    }

    fn file_size(&self, path: &str) -> Option<u64> {
        fs::metadata(path).ok().map(|m| m.len())
    }

    fn is_file(&self, path: &str) -> bool {
        Path::new(path).is_file()
    }

    fn is_symlink(&self, path: &str) -> bool {
        fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
    }

    fn read_link(&self, path: &str) -> Option<String> {
        fs::read_link(path)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    fn real_path(&self, path: &str) -> Option<String> {
        fs::canonicalize(path)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    fn list_dir(&self, path: &str) -> Option<Vec<String>> {
        let entries = fs::read_dir(path).ok()?;
        Some(
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
        )
    }

    fn which(&self, name: &str) -> Option<String> {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<std::path::PathBuf> = std::env::split_paths(&path_var).collect();
        for extra in SBIN_DIRS {
            if !dirs.iter().any(|d| d == Path::new(extra)) {
                dirs.push(extra.into());
            }
        }
        dirs.iter()
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable_file(candidate))
            .map(|p| p.to_string_lossy().into_owned())
    }
}

#[cfg(unix)]
fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable_file(path: &Path) -> bool {
    path.is_file()
}

/// An in-memory file tree for tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct FakeHost {
    pub files: std::collections::BTreeMap<String, String>,
    pub links: std::collections::BTreeMap<String, String>,
    pub dirs: std::collections::BTreeMap<String, Vec<String>>,
    pub bins: Vec<String>,
}

#[cfg(test)]
impl FakeHost {
    pub fn new() -> FakeHost {
        FakeHost::default()
    }

    pub fn file(mut self, path: &str, text: &str) -> FakeHost {
        self.files.insert(path.to_string(), text.to_string());
        self
    }

    pub fn link(mut self, path: &str, target: &str) -> FakeHost {
        self.links.insert(path.to_string(), target.to_string());
        self
    }

    pub fn dir(mut self, path: &str, names: &[&str]) -> FakeHost {
        self.dirs.insert(
            path.to_string(),
            names.iter().map(|s| s.to_string()).collect(),
        );
        self
    }

    pub fn bin(mut self, path: &str) -> FakeHost {
        self.bins.push(path.to_string());
        self.files.insert(path.to_string(), "#!bin".to_string());
        self
    }

    fn resolve(&self, path: &str) -> String {
        let mut current = path.to_string();
        for _ in 0..16 {
            match self.links.get(&current) {
                Some(target) if target.starts_with('/') => current = target.clone(),
                Some(target) => {
                    let parent = current.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                    current = format!("{parent}/{target}");
                }
                None => break,
            }
        }
        current
    }
}

#[cfg(test)]
impl Host for FakeHost {
    fn read(&self, path: &str) -> Option<String> {
        self.files.get(&self.resolve(path)).cloned()
    }

    fn exists(&self, path: &str) -> bool {
        let p = self.resolve(path);
        let trimmed = p.trim_end_matches('/');
        self.files.contains_key(trimmed) || self.dirs.contains_key(trimmed)
    }

    fn file_size(&self, path: &str) -> Option<u64> {
        self.files.get(&self.resolve(path)).map(|t| t.len() as u64)
    }

    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(&self.resolve(path))
    }

    fn is_symlink(&self, path: &str) -> bool {
        self.links.contains_key(path)
    }

    fn read_link(&self, path: &str) -> Option<String> {
        self.links.get(path).cloned()
    }

    fn real_path(&self, path: &str) -> Option<String> {
        Some(self.resolve(path))
    }

    fn list_dir(&self, path: &str) -> Option<Vec<String>> {
        self.dirs.get(path).cloned()
    }

    fn which(&self, name: &str) -> Option<String> {
        self.bins
            .iter()
            .find(|b| b.rsplit('/').next() == Some(name))
            .cloned()
    }
}
