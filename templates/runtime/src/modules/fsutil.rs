//! File-writing layer shared by the file-changing modules (`file`, `copy`,
//! `template`, `lineinfile`, ...): atomic writes, Ansible-named backups,
//! mode/owner/group handling, `validate` and the path keys of results.

use super::command::{execute, os_error, split_command, ExecSpec};
use super::Outcome;
use crate::facts::sys;
use crate::json::Value;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// `ENOENT`, `EPERM` and `ELOOP` (the same numbers on Linux and macOS, except
/// `ELOOP`, which is 62 on macOS).
const EPERM: i32 = 1;
const ENOENT: i32 = 2;
#[cfg(target_os = "macos")]
const ELOOP: i32 = 62;
#[cfg(not(target_os = "macos"))]
const ELOOP: i32 = 40;

/// Every permission bit (`0o7777`).
pub const PERM_BITS: u32 = 0o7777;

/// The process umask (read without a race where the system allows it).
pub fn umask() -> u32 {
    sys::umask()
}

/// Mode of newly created files: `0666 & !umask`.
pub fn default_file_mode() -> u32 {
    0o666 & !umask()
}

/// Prefix of the temporary files [`PendingWrite`] creates beside a destination.
const TMP_PREFIX: &str = ".rustle_tmp";

/// `ESRCH`: no such process (3 on every Unix).
const ESRCH: i32 = 3;

extern "C" {
    fn kill(pid: i32, signal: std::ffi::c_int) -> std::ffi::c_int;
}

/// The process id in a temporary file name `.rustle_tmp<pid>_<n>_<hex>...` made by
/// [`tmp_name`], or None for any other name.
fn tmp_owner(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(TMP_PREFIX)?;
    let (pid, rest) = rest.split_once('_')?;
    let (counter, rest) = rest.split_once('_')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(counter) || !rest.starts_with(|c: char| c.is_ascii_hexdigit()) {
        return None;
    }
    pid.parse().ok().filter(|p| *p > 0)
}

/// Whether no process `pid` exists (a process of another user still counts as alive).
fn process_gone(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { kill(pid, 0) };
    rc != 0 && io::Error::last_os_error().raw_os_error() == Some(ESRCH)
}

/// Removes the temporary files a killed run left in `dir` (named by [`tmp_name`] with
/// the id of a process that no longer exists). Errors are ignored: this is tidying.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(tmp_owner) else {
            continue;
        };
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file && process_gone(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn tmp_name(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let base = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("{TMP_PREFIX}{}_{n}_{nanos:x}{base}", std::process::id());
    match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

/// Writes `content` to `dest` atomically: a temporary file in dest's folder is
/// written and synced, given an existing dest's mode, owner and group (as
/// Ansible's `atomic_move` does; owner changes that are not permitted are
/// skipped) or `0666 & !umask` for a new file, then renamed over `dest`.
/// The temporary file never outlives an error.
pub fn atomic_write(dest: &Path, content: &[u8]) -> Result<(), String> {
    PendingWrite::create(dest, content)?.commit(dest, true)
}

/// New contents of a file, written and synced to a temporary file in the
/// destination's folder, not yet in place (so `validate` can check it).
/// Dropping it without [`PendingWrite::commit`] removes the temporary file; one a
/// killed process left behind is removed by the next write into the same folder
/// ([`remove_stale_temps`]).
pub struct PendingWrite {
    tmp: PathBuf,
    file: Option<File>,
}

impl PendingWrite {
    /// Writes `content` to a new temporary file beside `dest` (mode 0600).
    pub fn create(dest: &Path, content: &[u8]) -> Result<PendingWrite, String> {
        let tmp = tmp_name(dest);
        remove_stale_temps(
            tmp.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        );
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| {
                let dir = dest.parent().unwrap_or(Path::new("."));
                format!(
                    "The destination directory ({}) is not writable by the current user. \
                     Error was: {}",
                    dir.display(),
                    os_error(&e, &tmp.to_string_lossy())
                )
            })?;
        let mut pending = PendingWrite {
            tmp,
            file: Some(file),
        };
        let written = match pending.file.as_mut() {
            Some(f) => f.write_all(content).and_then(|()| f.sync_all()),
            None => Ok(()),
        };
        written.map_err(|e| pending.io_fail(dest, &e))?;
        Ok(pending)
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    fn io_fail(&self, dest: &Path, e: &io::Error) -> String {
        format!(
            "Could not write data to file ({}): {}",
            dest.display(),
            os_error(e, &self.tmp.to_string_lossy())
        )
    }

    /// Sets the temporary file's permission bits.
    pub fn set_mode(&self, mode: u32) -> Result<(), String> {
        fs::set_permissions(&self.tmp, fs::Permissions::from_mode(mode & PERM_BITS)).map_err(|e| {
            format!(
                "chmod failed: {}",
                os_error(&e, &self.tmp.to_string_lossy())
            )
        })
    }

    /// Renames the temporary file over `dest`. With `keep_dest_attrs`, an
    /// existing dest's mode, owner and group carry over (owner changes that
    /// are not permitted are skipped); a new dest gets `0666 & !umask`, as
    /// Ansible's `atomic_move` leaves it.
    pub fn commit(mut self, dest: &Path, keep_dest_attrs: bool) -> Result<(), String> {
        let existing = fs::metadata(dest).ok();
        if let (Some(meta), true) = (&existing, keep_dest_attrs) {
            if let Some(file) = &self.file {
                let own = file.metadata().map_err(|e| self.io_fail(dest, &e))?;
                if own.uid() != meta.uid() || own.gid() != meta.gid() {
                    if let Err(e) =
                        std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()))
                    {
                        if e.raw_os_error() != Some(EPERM) {
                            return Err(self.io_fail(dest, &e));
                        }
                    }
                }
            }
            self.set_mode(meta.mode())?;
        } else if existing.is_none() {
            self.set_mode(default_file_mode())?;
        }
        self.file = None;
        fs::rename(&self.tmp, dest).map_err(|e| {
            format!(
                "Could not replace file: {} to {}: {}",
                self.tmp.display(),
                dest.display(),
                os_error(&e, &dest.to_string_lossy())
            )
        })?;
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for PendingWrite {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Makes a backup copy of `path` named as Ansible's `backup_local` does,
/// `<path>.<pid>.<YYYY-MM-DD@HH:MM:SS~>` in local time, with the contents,
/// permission bits, access and modification times and (where permitted)
/// owner and group of the original. Returns the backup's path, or an empty
/// string when `path` does not exist (nothing to back up).
pub fn backup_file(path: &Path) -> Result<String, String> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Ok(String::new()),
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let stamp = match sys::local_time(now) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}@{:02}:{:02}:{:02}~",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        ),
        None => {
            let (y, m, d) = crate::time::civil_from_days(now.div_euclid(86_400));
            let s = now.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}@{:02}:{:02}:{:02}~",
                s / 3600,
                s % 3600 / 60,
                s % 60
            )
        }
    };
    let backup = format!("{}.{}.{stamp}", path.display(), std::process::id());
    let fail = |e: io::Error| {
        format!(
            "Could not make backup of {} to {backup}: {}",
            path.display(),
            os_error(&e, &backup)
        )
    };
    fs::copy(path, &backup).map_err(fail)?;
    let copy = OpenOptions::new().write(true).open(&backup).map_err(fail)?;
    copy.set_permissions(fs::Permissions::from_mode(meta.mode() & PERM_BITS))
        .map_err(fail)?;
    let mut times = fs::FileTimes::new();
    if let Ok(t) = meta.accessed() {
        times = times.set_accessed(t);
    }
    if let Ok(t) = meta.modified() {
        times = times.set_modified(t);
    }
    copy.set_times(times).map_err(fail)?;
    let cmeta = copy.metadata().map_err(fail)?;
    if cmeta.uid() != meta.uid() || cmeta.gid() != meta.gid() {
        if let Err(e) = std::os::unix::fs::fchown(&copy, Some(meta.uid()), Some(meta.gid())) {
            if e.raw_os_error() != Some(EPERM) {
                return Err(fail(e));
            }
        }
    }
    Ok(backup)
}

/// A requested mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeSpec {
    /// An absolute mode (octal string or integer).
    Octal(u32),
    /// A symbolic mode such as `u=rw,g=r,o=` or `a+X`.
    Symbolic(String),
    /// `preserve` (copy/template): the source's mode.
    Preserve,
}

/// Requested mode, owner and group of a path (Ansible's file arguments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileAttrs {
    pub mode: Option<ModeSpec>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

/// The text of an owner/group argument: a string or an integer id.
fn id_arg(args: &Value, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(Value::Int(i)) => Ok(Some(i.to_string())),
        Some(other) => Err(format!(
            "argument '{key}' is of type {} and we were unable to convert to str",
            other.type_name()
        )),
    }
}

/// Python's `int(text, 8)`: optional sign, optional `0o`, digits with single
/// underscores between them, surrounding whitespace.
fn parse_octal(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .map(|r| r.strip_prefix('_').unwrap_or(r))
        .unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let mut value: i64 = 0;
    for c in t.chars() {
        if c == '_' {
            continue;
        }
        let digit = c.to_digit(8)?;
        value = value.checked_mul(8)?.checked_add(i64::from(digit))?;
    }
    Some(if neg { -value } else { value })
}

impl ModeSpec {
    /// Reads a mode argument: an integer is the mode itself, a string is
    /// octal when it parses as octal, `preserve`, or symbolic (syntax
    /// checked here; applied to the path's current mode later).
    pub fn parse(value: &Value) -> Result<Option<ModeSpec>, String> {
        match value {
            Value::Null => Ok(None),
            Value::Int(i) => {
                if *i < 0 || *i > i64::from(u32::MAX) {
                    return Err(format!(
                        "Invalid mode supplied, only permission info is allowed: {i}"
                    ));
                }
                Ok(Some(ModeSpec::Octal(*i as u32)))
            }
            Value::Str(s) => {
                if let Some(n) = parse_octal(s) {
                    if !(0..=i64::from(PERM_BITS)).contains(&n) {
                        return Err(
                            "Invalid mode supplied, only permission info is allowed".to_string()
                        );
                    }
                    return Ok(Some(ModeSpec::Octal(n as u32)));
                }
                if s == "preserve" {
                    return Ok(Some(ModeSpec::Preserve));
                }
                symbolic_mode(0o644, false, s)
                    .map_err(|e| format!("mode must be in octal or symbolic form: {e}"))?;
                Ok(Some(ModeSpec::Symbolic(s.clone())))
            }
            other => Err(format!(
                "mode must be in octal or symbolic form, got {}",
                other.type_name()
            )),
        }
    }

    /// The mode this spec gives a path whose current permission bits are
    /// `current` (`is_dir` matters for `X`). `Preserve` is resolved by the
    /// caller; here it keeps `current`.
    pub fn resolve(&self, current: u32, is_dir: bool) -> Result<u32, String> {
        match self {
            ModeSpec::Octal(m) => Ok(*m),
            ModeSpec::Symbolic(s) => {
                let m = symbolic_mode(current, is_dir, s)
                    .map_err(|e| format!("mode must be in octal or symbolic form: {e}"))?;
                if m & !PERM_BITS != 0 {
                    return Err(
                        "Invalid mode supplied, only permission info is allowed".to_string()
                    );
                }
                Ok(m)
            }
            ModeSpec::Preserve => Ok(current),
        }
    }
}

impl FileAttrs {
    /// Reads `mode`, `owner` and `group` from module arguments.
    pub fn from_args(args: &Value) -> Result<FileAttrs, String> {
        let mode = match args.get("mode") {
            None => None,
            Some(v) => ModeSpec::parse(v)?,
        };
        let owner = id_arg(args, "owner")?.filter(|s| !s.is_empty());
        let group = id_arg(args, "group")?.filter(|s| !s.is_empty());
        Ok(FileAttrs { mode, owner, group })
    }

    /// Nothing requested.
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}

/// Ansible's symbolic mode arithmetic (`_symbolic_mode_to_octal`): each
/// comma-separated clause is `[ugoa]*` followed by operator/permission
/// pairs; an empty `who` means all, limited by the umask for r, w and x.
pub fn symbolic_mode(current: u32, is_dir: bool, text: &str) -> Result<u32, String> {
    let mut mode = current & PERM_BITS;
    for clause in text.split(',') {
        let bad = || format!("bad symbolic permission for mode: {clause}");
        let first_op = clause.find(['+', '-', '=']).unwrap_or(clause.len());
        let who = &clause[..first_op];
        let use_umask = who.is_empty();
        let users = if who.is_empty() || who == "a" {
            "ugo"
        } else {
            who
        };
        if !users.chars().all(|c| matches!(c, 'u' | 'g' | 'o')) {
            return Err(bad());
        }
        let mut rest = &clause[first_op..];
        while let Some(op) = rest.chars().next() {
            let after = &rest[1..];
            let end = after.find(['+', '-', '=']).unwrap_or(after.len());
            let perms = &after[..end];
            rest = &after[end..];
            if !perms
                .chars()
                .all(|c| matches!(c, 'r' | 'w' | 'x' | 'X' | 's' | 't' | 'u' | 'g' | 'o'))
            {
                return Err(bad());
            }
            for user in users.chars() {
                let bits = perm_bits(user, perms, use_umask, mode, is_dir);
                mode = match op {
                    '=' => {
                        let mask = match user {
                            'u' => 0o4700,
                            'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & (mask ^ PERM_BITS)) | bits
                    }
                    '+' => mode | bits,
                    _ => mode & !bits,
                };
            }
        }
    }
    Ok(mode)
}

fn perm_bits(user: char, perms: &str, use_umask: bool, prev: u32, is_dir: bool) -> u32 {
    let rev_umask = if use_umask {
        umask() ^ PERM_BITS
    } else {
        PERM_BITS
    };
    let apply_x = is_dir || prev & 0o111 != 0;
    let shift = match user {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let mut bits = 0;
    for p in perms.chars() {
        bits |= match p {
            'r' => rev_umask & (0o4 << shift),
            'w' => rev_umask & (0o2 << shift),
            'x' => rev_umask & (0o1 << shift),
            'X' if apply_x => 0o1 << shift,
            'X' => 0,
            's' => match user {
                'u' => 0o4000,
                'g' => 0o2000,
                _ => 0,
            },
            't' if user == 'o' => 0o1000,
            't' => 0,
            // Copy another class's bits into this one.
            'u' => ((prev >> 6) & 0o7) << shift,
            'g' => ((prev >> 3) & 0o7) << shift,
            'o' => (prev & 0o7) << shift,
            _ => 0,
        };
    }
    bits
}

/// Resolves an owner (name or numeric id) to a uid.
pub fn lookup_uid(owner: &str) -> Result<u32, String> {
    if let Some(id) = parse_id(owner) {
        return Ok(id);
    }
    sys::passwd_by_name(owner)
        .map(|p| p.uid)
        .ok_or_else(|| format!("chown failed: failed to look up user {owner}"))
}

/// Resolves a group (name or numeric id) to a gid.
pub fn lookup_gid(group: &str) -> Result<u32, String> {
    if let Some(id) = parse_id(group) {
        return Ok(id);
    }
    sys::group_by_name(group)
        .map(|g| g.gid)
        .ok_or_else(|| format!("chgrp failed: failed to look up group {group}"))
}

/// Python's `int(text)` for ids: decimal with optional sign and whitespace.
fn parse_id(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// Before/after values of the attributes [`apply_attrs_diff`] changed, as
/// Ansible records them in a file result's `diff` (`owner`, `group`, `mode`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrDiff {
    pub before: Vec<(String, Value)>,
    pub after: Vec<(String, Value)>,
}

/// Applies `attrs` to `path` (the path itself, not a symlink's target) and
/// returns whether anything changed (in check mode: would change). A path
/// missing in check mode counts as changed, as Ansible assumes it would have
/// been created.
pub fn apply_attrs(path: &Path, attrs: &FileAttrs, check_mode: bool) -> Result<bool, String> {
    apply_attrs_diff(path, attrs, check_mode, None)
}

/// [`apply_attrs`] that also records the before/after values in `diff`.
pub fn apply_attrs_diff(
    path: &Path,
    attrs: &FileAttrs,
    check_mode: bool,
    mut diff: Option<&mut AttrDiff>,
) -> Result<bool, String> {
    if attrs.is_empty() {
        return Ok(false);
    }
    if check_mode && fs::metadata(path).is_err() {
        return Ok(true);
    }
    let shown = path.display().to_string();
    let mut changed = false;
    let meta = fs::symlink_metadata(path).map_err(|e| os_error(&e, &shown))?;
    if let Some(owner) = &attrs.owner {
        let uid = lookup_uid(owner)?;
        if meta.uid() != uid {
            if let Some(d) = diff.as_mut() {
                d.before
                    .push(("owner".into(), Value::Int(i64::from(meta.uid()))));
                d.after.push(("owner".into(), Value::Int(i64::from(uid))));
            }
            if check_mode {
                return Ok(true);
            }
            std::os::unix::fs::lchown(path, Some(uid), None)
                .map_err(|e| format!("chown failed: {}", os_error(&e, &shown)))?;
            changed = true;
        }
    }
    if let Some(group) = &attrs.group {
        let gid = lookup_gid(group)?;
        let current = fs::symlink_metadata(path).map_err(|e| os_error(&e, &shown))?;
        if current.gid() != gid {
            if let Some(d) = diff.as_mut() {
                d.before
                    .push(("group".into(), Value::Int(i64::from(current.gid()))));
                d.after.push(("group".into(), Value::Int(i64::from(gid))));
            }
            if check_mode {
                return Ok(true);
            }
            std::os::unix::fs::lchown(path, None, Some(gid))
                .map_err(|_| "chgrp failed".to_string())?;
            changed = true;
        }
    }
    if let Some(spec) = &attrs.mode {
        let current = fs::symlink_metadata(path).map_err(|e| os_error(&e, &shown))?;
        let prev = current.mode() & PERM_BITS;
        let is_dir = current.is_dir();
        let mode = spec.resolve(prev, is_dir)?;
        if prev != mode {
            if let Some(d) = diff.as_mut() {
                d.before.push(("mode".into(), Value::str(octal_mode(prev))));
                d.after.push(("mode".into(), Value::str(octal_mode(mode))));
            }
            if check_mode {
                return Ok(true);
            }
            if current.file_type().is_symlink() {
                // Linux has no lchmod; Ansible's dance (chmod through the
                // link, then restore the target) leaves everything as it
                // was, so there is nothing to do.
            } else if let Err(e) = fs::set_permissions(path, fs::Permissions::from_mode(mode)) {
                if !matches!(e.raw_os_error(), Some(ENOENT) | Some(ELOOP)) {
                    return Err(format!("chmod failed: {}", os_error(&e, &shown)));
                }
            }
            let after = fs::symlink_metadata(path).map_err(|e| os_error(&e, &shown))?;
            if after.mode() & PERM_BITS != prev {
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// Ansible's mode text: `'0%03o'` of the permission bits.
pub fn octal_mode(mode: u32) -> String {
    format!("0{:03o}", mode & PERM_BITS)
}

/// Ansible's `validate`: `cmd` must contain `%s`, which is replaced by
/// `path` (Python `%` formatting: `%%` is a literal `%`); the command is
/// split like the command module's and run without a shell. A non-zero exit
/// fails with "failed to validate".
pub fn run_validate(cmd: &str, path: &Path) -> Result<(), String> {
    validate_outcome(cmd, path).map_err(|o| o.msg.to_text())
}

/// [`run_validate`] that returns the failed outcome with Ansible's keys
/// (`exit_status`, `stdout`, `stderr`).
pub fn validate_outcome(cmd: &str, path: &Path) -> Result<(), Box<Outcome>> {
    if !cmd.contains("%s") {
        return Err(Box::new(Outcome::failed(format!(
            "validate must contain %s: {cmd}"
        ))));
    }
    let mut line = String::new();
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    line.push_str(&path.to_string_lossy());
                    continue;
                }
                Some('%') => {
                    chars.next();
                    line.push('%');
                    continue;
                }
                _ => {}
            }
        }
        line.push(c);
    }
    let argv = split_command(&line)
        .map_err(|e| Box::new(Outcome::failed(format!("failed to validate: {e}"))))?;
    let spec = ExecSpec {
        argv,
        chdir: None,
        creates: None,
        removes: None,
        stdin: None,
        stdin_add_newline: false,
        strip_empty_ends: false,
    };
    let run = execute(&spec, false);
    let rc = run.rc.unwrap_or(1);
    if rc == 0 && run.status != super::Status::Failed {
        return Ok(());
    }
    let mut out = Outcome::failed("failed to validate");
    out.extra.push(("exit_status".into(), Value::Int(rc)));
    out.extra.push(("stdout".into(), Value::str(&run.stdout)));
    out.extra.push(("stderr".into(), Value::str(&run.stderr)));
    if run.stderr.is_empty() && run.status == super::Status::Failed {
        out.extra.push(("stderr".into(), run.msg.clone()));
    }
    out.stdout = run.stdout;
    out.stderr = run.stderr;
    out.rc = None;
    Err(Box::new(out))
}

/// Owner name of `uid`, or the number as text.
pub fn user_name(uid: u32) -> String {
    sys::passwd_by_uid(uid)
        .map(|p| p.name)
        .unwrap_or_else(|| uid.to_string())
}

/// Group name of `gid`, or the number as text.
pub fn group_name(gid: u32) -> String {
    sys::group_by_gid(gid)
        .map(|g| g.name)
        .unwrap_or_else(|| gid.to_string())
}

/// The keys Ansible's `add_path_info` adds to a file result: uid, gid,
/// owner, group, mode (`'0644'`), state (link, directory, hard, file) and
/// size. Empty when the path does not exist (a dangling link counts as
/// missing, as `os.path.exists` says).
pub fn path_facts(path: &Path) -> Vec<(String, Value)> {
    let Ok(target) = fs::metadata(path) else {
        return Vec::new();
    };
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Vec::new();
    };
    let state = if meta.file_type().is_symlink() {
        "link"
    } else if meta.is_dir() {
        "directory"
    } else if target.nlink() > 1 {
        "hard"
    } else {
        "file"
    };
    vec![
        ("uid".into(), Value::Int(i64::from(meta.uid()))),
        ("gid".into(), Value::Int(i64::from(meta.gid()))),
        ("owner".into(), Value::str(user_name(meta.uid()))),
        ("group".into(), Value::str(group_name(meta.gid()))),
        ("mode".into(), Value::str(octal_mode(meta.mode()))),
        ("state".into(), Value::str(state)),
        ("size".into(), Value::Int(meta.size() as i64)),
    ]
}

/// Python's `os.path.realpath` (non-strict): the absolute path with every
/// symbolic link resolved as far as the links exist; missing parts are kept.
pub fn realpath(path: &Path) -> PathBuf {
    let start = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut pending: Vec<std::ffi::OsString> = start
        .components()
        .rev()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_os_string()),
            std::path::Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut resolved = PathBuf::from("/");
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&part);
        match fs::read_link(&candidate) {
            Ok(target) if hops < 40 => {
                hops += 1;
                if target.is_absolute() {
                    resolved = PathBuf::from("/");
                }
                for c in target.components().rev() {
                    match c {
                        std::path::Component::Normal(n) => pending.push(n.to_os_string()),
                        std::path::Component::ParentDir => pending.push("..".into()),
                        _ => {}
                    }
                }
            }
            _ => resolved = candidate,
        }
    }
    resolved
}

/// Python's `os.path.basename`.
pub(crate) fn python_basename(p: &str) -> String {
    p.rsplit('/').next().unwrap_or("").to_string()
}

/// Python's `os.path.join` of two parts.
pub(crate) fn python_join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// Python's `os.path.dirname`.
pub(crate) fn python_dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => {
            let head = &p[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head.to_string()
            } else {
                trimmed.to_string()
            }
        }
        None => String::new(),
    }
}

/// Opens `path` (following links) to set its access and modification times.
pub fn set_times(path: &Path, atime: SystemTime, mtime: SystemTime) -> io::Result<()> {
    let file = File::open(path)?;
    file.set_times(fs::FileTimes::new().set_accessed(atime).set_modified(mtime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmpdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rustle-fsutil-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode_of(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().mode() & PERM_BITS
    }

    #[test]
    fn octal_strings_like_python_int_base_8() {
        assert_eq!(parse_octal("0644"), Some(0o644));
        assert_eq!(parse_octal("644"), Some(0o644));
        assert_eq!(parse_octal("01777"), Some(0o1777));
        assert_eq!(parse_octal("0o755"), Some(0o755));
        assert_eq!(parse_octal(" 7_55 "), Some(0o755));
        assert_eq!(parse_octal("u+x"), None);
        assert_eq!(parse_octal("8"), None);
        assert_eq!(parse_octal(""), None);
    }

    #[test]
    fn mode_specs() {
        assert_eq!(
            ModeSpec::parse(&Value::Int(420)).unwrap(),
            Some(ModeSpec::Octal(0o644))
        );
        assert_eq!(
            ModeSpec::parse(&Value::str("0755")).unwrap(),
            Some(ModeSpec::Octal(0o755))
        );
        assert_eq!(
            ModeSpec::parse(&Value::str("preserve")).unwrap(),
            Some(ModeSpec::Preserve)
        );
        assert!(ModeSpec::parse(&Value::str("u=rwz")).is_err());
        assert!(ModeSpec::parse(&Value::str("17777")).is_err());
        assert!(ModeSpec::parse(&Value::Bool(true)).is_err());
    }

    #[test]
    fn symbolic_modes_follow_ansible() {
        assert_eq!(symbolic_mode(0o777, false, "u=rw,g=r,o=").unwrap(), 0o640);
        assert_eq!(symbolic_mode(0o644, false, "u+x,go-w").unwrap(), 0o744);
        assert_eq!(symbolic_mode(0o644, false, "a+X").unwrap(), 0o644);
        assert_eq!(symbolic_mode(0o744, false, "a+X").unwrap(), 0o755);
        assert_eq!(symbolic_mode(0o600, true, "a+X").unwrap(), 0o711);
        assert_eq!(symbolic_mode(0o640, false, "o=g").unwrap(), 0o644);
        assert_eq!(symbolic_mode(0o755, false, "u+s,g+s,o+t").unwrap(), 0o7755);
        assert_eq!(symbolic_mode(0o4755, false, "u=rwx").unwrap(), 0o755);
        assert_eq!(symbolic_mode(0o644, false, "u-w+x").unwrap(), 0o544);
        let m = umask();
        assert_eq!(symbolic_mode(0, false, "=rw").unwrap(), 0o666 & !m);
        assert_eq!(symbolic_mode(0o644, false, "u").unwrap(), 0o644);
        assert!(symbolic_mode(0o644, false, "rw").is_err());
        assert!(symbolic_mode(0o644, false, "ua+x").is_err());
        assert!(symbolic_mode(0o644, false, "u+q").is_err());
    }

    #[test]
    fn atomic_write_creates_and_keeps_mode() {
        let dir = tmpdir("aw");
        let dest = dir.join("f.txt");
        atomic_write(&dest, b"one\n").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"one\n");
        assert_eq!(mode_of(&dest), default_file_mode());
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o600)).unwrap();
        atomic_write(&dest, b"two\n").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two\n");
        assert_eq!(mode_of(&dest), 0o600);
        let err = atomic_write(&dir.join("missing/x"), b"x").unwrap_err();
        assert!(err.contains("not writable"), "{err}");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_temps_of_dead_processes_are_removed() {
        assert_eq!(tmp_owner(".rustle_tmp123_0_1fa.txt"), Some(123));
        assert_eq!(tmp_owner(".rustle_tmp123_4_f"), Some(123));
        for other in [
            ".rustle_tmp_0_1f",
            ".rustle_tmp12_x_1f",
            ".rustle_tmp12_0_",
            ".rustle_tmp12_0_.txt",
            ".rustle_tmp0_0_1",
            "rustle_tmp12_0_1",
            "a.txt",
        ] {
            assert_eq!(tmp_owner(other), None, "{other}");
        }
        let dir = tmpdir("stale");
        // pid_max is at most 2^22 on Linux; 2^30 is never a live process.
        let dead = dir.join(".rustle_tmp1073741824_0_abcf.txt");
        let alive = dir.join(format!(".rustle_tmp{}_7_abcf.txt", std::process::id()));
        let unrelated = dir.join(".rustle_tmpx");
        for p in [&dead, &alive, &unrelated] {
            fs::write(p, b"partial").unwrap();
        }
        atomic_write(&dir.join("f.txt"), b"new\n").unwrap();
        assert!(!dead.exists());
        assert!(alive.exists() && unrelated.exists());
        assert_eq!(fs::read(dir.join("f.txt")).unwrap(), b"new\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn backups_are_named_like_ansible() {
        let dir = tmpdir("bk");
        let src = dir.join("conf");
        fs::write(&src, b"data").unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
        let backup = backup_file(&src).unwrap();
        let prefix = format!("{}.{}.", src.display(), std::process::id());
        assert!(backup.starts_with(&prefix), "{backup}");
        let stamp = &backup[prefix.len()..];
        assert_eq!(stamp.len(), 20, "{stamp}");
        assert!(stamp.ends_with('~') && stamp.as_bytes()[10] == b'@');
        assert_eq!(fs::read(&backup).unwrap(), b"data");
        assert_eq!(mode_of(Path::new(&backup)), 0o640);
        assert_eq!(
            fs::metadata(&backup).unwrap().mtime(),
            fs::metadata(&src).unwrap().mtime()
        );
        assert_eq!(backup_file(&dir.join("nope")).unwrap(), "");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn attrs_apply_and_report_changes() {
        let dir = tmpdir("attrs");
        let f = dir.join("f");
        fs::write(&f, b"").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        let args = crate::json::obj([("mode", Value::str("u=rw,g=,o="))]);
        let attrs = FileAttrs::from_args(&args).unwrap();
        assert!(apply_attrs(&f, &attrs, true).unwrap());
        assert_eq!(mode_of(&f), 0o644);
        let mut diff = AttrDiff::default();
        assert!(apply_attrs_diff(&f, &attrs, false, Some(&mut diff)).unwrap());
        assert_eq!(mode_of(&f), 0o600);
        assert_eq!(diff.before, vec![("mode".to_string(), Value::str("0644"))]);
        assert!(!apply_attrs(&f, &attrs, false).unwrap());
        // Own uid/gid by number: no change.
        let meta = fs::metadata(&f).unwrap();
        let same = FileAttrs {
            mode: None,
            owner: Some(meta.uid().to_string()),
            group: Some(meta.gid().to_string()),
        };
        assert!(!apply_attrs(&f, &same, false).unwrap());
        let bad = FileAttrs {
            owner: Some("nobodyx-no-such".into()),
            ..FileAttrs::default()
        };
        assert_eq!(
            apply_attrs(&f, &bad, false).unwrap_err(),
            "chown failed: failed to look up user nobodyx-no-such"
        );
        // Missing path in check mode: would change.
        assert!(apply_attrs(&dir.join("none"), &attrs, true).unwrap());
        // Symlink: mode is never changed through it.
        let link = dir.join("l");
        symlink(&f, &link).unwrap();
        let m = FileAttrs {
            mode: Some(ModeSpec::Octal(0o644)),
            ..FileAttrs::default()
        };
        assert!(!apply_attrs(&link, &m, false).unwrap());
        assert_eq!(mode_of(&f), 0o600);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn path_facts_keys() {
        let dir = tmpdir("pf");
        let f = dir.join("f");
        fs::write(&f, b"abc").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).unwrap();
        let facts = path_facts(&f);
        let get = |k: &str| facts.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("mode"), Some(Value::str("0640")));
        assert_eq!(get("state"), Some(Value::str("file")));
        assert_eq!(get("size"), Some(Value::Int(3)));
        fs::hard_link(&f, dir.join("h")).unwrap();
        let facts = path_facts(&f);
        assert!(facts.contains(&("state".to_string(), Value::str("hard"))));
        symlink(dir.join("nothing"), dir.join("dangling")).unwrap();
        assert!(path_facts(&dir.join("dangling")).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn validate_runs_the_command() {
        let dir = tmpdir("val");
        let f = dir.join("f");
        fs::write(&f, b"abc").unwrap();
        assert!(run_validate("test -s %s", &f).is_ok());
        assert_eq!(
            run_validate("grep -q zzz %s", &f).unwrap_err(),
            "failed to validate"
        );
        let err = run_validate("true", &f).unwrap_err();
        assert!(err.starts_with("validate must contain %s"), "{err}");
        let o = validate_outcome("sh -c 'echo oops >&2; exit 3' %s", &f).unwrap_err();
        assert!(o
            .extra
            .contains(&("exit_status".to_string(), Value::Int(3))));
        fs::remove_dir_all(&dir).unwrap();
    }
}
