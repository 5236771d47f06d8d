//! The `file` module: files, directories, symbolic and hard links, touch and
//! removal with Ansible's decisions, messages and result keys.

use super::command::{expand_user, expand_vars, os_error};
use super::fsutil::{self, AttrDiff, FileAttrs};
use super::{params, ModuleContext, Outcome, Status};
use crate::facts::sys;
use crate::json::Value;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A failed run: the message and the extra keys Ansible returns with it.
struct Failure {
    msg: String,
    extra: Vec<(String, Value)>,
}

impl Failure {
    fn new(msg: impl Into<String>) -> Failure {
        Failure {
            msg: msg.into(),
            extra: Vec::new(),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Failure {
        self.extra.push((key.to_string(), value));
        self
    }

    fn path(self, path: &str) -> Failure {
        self.with("path", Value::str(path))
    }
}

impl From<String> for Failure {
    fn from(msg: String) -> Failure {
        Failure::new(msg)
    }
}

/// Before/after objects of a file result's `diff`.
#[derive(Default)]
struct Diff {
    before: Vec<(String, Value)>,
    after: Vec<(String, Value)>,
}

impl Diff {
    fn initial(path: &str, state: &str, prev_state: &str) -> Diff {
        let mut d = Diff {
            before: vec![("path".into(), Value::str(path))],
            after: vec![("path".into(), Value::str(path))],
        };
        if prev_state != state {
            d.before.push(("state".into(), Value::str(prev_state)));
            d.after.push(("state".into(), Value::str(state)));
            if state == "absent" && prev_state == "directory" {
                let mut dirs = Vec::new();
                let mut files = Vec::new();
                walk_listing(Path::new(path), &mut dirs, &mut files);
                d.before.push((
                    "path_content".into(),
                    crate::json::obj([
                        ("directories", Value::Array(dirs)),
                        ("files", Value::Array(files)),
                    ]),
                ));
            }
        }
        d
    }

    fn set(side: &mut Vec<(String, Value)>, key: &str, value: Value) {
        match side.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => side.push((key.to_string(), value)),
        }
    }

    fn absorb(&mut self, attrs: AttrDiff) {
        for (k, v) in attrs.before {
            Diff::set(&mut self.before, &k, v);
        }
        for (k, v) in attrs.after {
            Diff::set(&mut self.after, &k, v);
        }
    }

    fn value(self) -> Value {
        crate::json::obj([
            ("before", Value::Object(self.before)),
            ("after", Value::Object(self.after)),
        ])
    }
}

/// `os.walk` order: each folder's sub-folders and files, top down, without
/// descending into linked folders.
fn walk_listing(dir: &Path, dirs: &mut Vec<Value>, files: &mut Vec<Value>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            dirs.push(Value::str(p.to_string_lossy()));
            if !p.is_symlink() {
                subdirs.push(p);
            }
        } else {
            files.push(Value::str(p.to_string_lossy()));
        }
    }
    for sub in subdirs {
        walk_listing(&sub, dirs, files);
    }
}

/// What a state function returns.
struct FileResult {
    /// `path` or `dest`: the key Ansible names the path with.
    key: &'static str,
    path: String,
    changed: bool,
    diff: Option<Diff>,
    /// `src` key (link states): `Some(None)` is a null src.
    src: Option<Option<String>>,
    state: Option<&'static str>,
}

impl FileResult {
    fn new(key: &'static str, path: &str, changed: bool, diff: Option<Diff>) -> FileResult {
        FileResult {
            key,
            path: path.to_string(),
            changed,
            diff,
            src: None,
            state: None,
        }
    }
}

/// A timestamp argument after `get_timestamp_for_time`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    Preserve,
    Now,
    At(f64),
}

struct Options {
    follow: bool,
    force: bool,
    recurse: bool,
    attrs: FileAttrs,
    mtime: Stamp,
    atime: Stamp,
    check: bool,
}

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    match run_inner(args, ctx) {
        Ok(result) => outcome(result, ctx),
        Err(f) => {
            let mut out = Outcome::failed(f.msg);
            out.extra = f.extra;
            out
        }
    }
}

fn outcome(result: FileResult, ctx: &ModuleContext) -> Outcome {
    let status = if result.changed {
        Status::Changed
    } else {
        Status::Ok
    };
    let mut out = Outcome::new(status, result.changed, "");
    out.msg = Value::Null;
    out.extra
        .push((result.key.to_string(), Value::str(&result.path)));
    if let Some(src) = result.src {
        out.extra
            .push(("src".into(), src.map_or(Value::Null, Value::str)));
    }
    if let Some(state) = result.state {
        out.extra.push(("state".into(), Value::str(state)));
    }
    for (k, v) in fsutil::path_facts(Path::new(&result.path)) {
        match out.extra.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => out.extra.push((k, v)),
        }
    }
    if ctx.diff_mode {
        if let Some(diff) = result.diff {
            out.diff = Some(diff.value());
        }
    }
    out
}

/// A path argument: a string with `~` and `$VARS` expanded (Ansible's
/// `type='path'`).
fn path_arg(args: &Value, key: &str) -> Result<Option<String>, String> {
    Ok(params::str_arg(args, key)?.map(|p| expand_user(&expand_vars(&p))))
}

fn run_inner(args: &Value, ctx: &ModuleContext) -> Result<FileResult, Failure> {
    let mut path = match path_arg(args, "path")? {
        Some(p) if !p.is_empty() => p,
        _ => return Err(Failure::new("missing required arguments: path")),
    };
    let mut state = params::str_arg(args, "state")?;
    if let Some(s) = &state {
        if !["absent", "directory", "file", "hard", "link", "touch"].contains(&s.as_str()) {
            return Err(Failure::new(format!(
                "value of state must be one of: absent, directory, file, hard, link, touch, \
                 got: {s}"
            )));
        }
    }
    let src = path_arg(args, "src")?.filter(|s| !s.is_empty());
    let recurse = params::bool_arg(args, "recurse")?.unwrap_or(false);
    let force = params::bool_arg(args, "force")?.unwrap_or(false);
    let follow = params::bool_arg(args, "follow")?.unwrap_or(true);
    let attrs = FileAttrs::from_args(args).map_err(|m| Failure::new(m).path(&path))?;

    // additional_parameter_handling: a folder path means the file inside it.
    if !matches!(state.as_deref(), Some("link") | Some("absent")) && Path::new(&path).is_dir() {
        let base = params::str_arg(args, "_original_basename")?
            .filter(|b| !b.is_empty())
            .or_else(|| src.as_deref().map(fsutil::python_basename));
        if let Some(base) = base.filter(|b| !b.is_empty()) {
            path = fsutil::python_join(&path, &base);
        }
    }
    let prev_state = get_state(Path::new(&path));
    let state = match state.take() {
        Some(s) => s,
        None if prev_state != "absent" => prev_state.to_string(),
        None if recurse => "directory".to_string(),
        None => "file".to_string(),
    };
    if recurse && state != "directory" {
        return Err(Failure::new("recurse option requires state to be 'directory'").path(&path));
    }
    if src.is_some() && state != "link" && state != "hard" {
        return Err(Failure::new("src option requires state to be 'link' or 'hard'").path(&path));
    }
    let mtime_format = params::str_arg(args, "modification_time_format")?
        .unwrap_or_else(|| "%Y%m%d%H%M.%S".to_string());
    let atime_format =
        params::str_arg(args, "access_time_format")?.unwrap_or_else(|| "%Y%m%d%H%M.%S".to_string());
    let default_stamp = if state == "touch" { "now" } else { "preserve" };
    let mtime_text =
        params::str_arg(args, "modification_time")?.unwrap_or_else(|| default_stamp.into());
    let atime_text = params::str_arg(args, "access_time")?.unwrap_or_else(|| default_stamp.into());
    let opts = Options {
        follow,
        force,
        recurse,
        attrs,
        mtime: stamp(&mtime_text, &mtime_format)?,
        atime: stamp(&atime_text, &atime_format)?,
        check: ctx.check_mode,
    };
    match state.as_str() {
        "file" => ensure_file(&path, &opts),
        "directory" => ensure_directory(&path, &opts),
        "link" => ensure_symlink(&path, src, &opts),
        "hard" => ensure_hardlink(&path, src, &opts),
        "touch" => touch(&path, &opts),
        _ => ensure_absent(&path, &opts),
    }
}

/// Ansible's `get_state`: link, directory, hard (a file with more than one
/// name), file, or absent.
fn get_state(path: &Path) -> &'static str {
    match fs::symlink_metadata(path) {
        Err(_) => "absent",
        Ok(meta) if meta.file_type().is_symlink() => "link",
        Ok(meta) if meta.is_dir() => "directory",
        Ok(meta) if meta.nlink() > 1 => "hard",
        Ok(_) => "file",
    }
}

fn exists(path: &Path) -> bool {
    fs::metadata(path).is_ok()
}

fn stamp(text: &str, format: &str) -> Result<Stamp, Failure> {
    match text {
        "preserve" => Ok(Stamp::Preserve),
        "now" => Ok(Stamp::Now),
        _ => match strptime(text, format).and_then(|fields| mktime(&fields)) {
            Ok(t) => Ok(Stamp::At(t)),
            Err(e) => Err(Failure::new(format!(
                "Error while obtaining timestamp for time {text} using format {format}: {e}"
            ))),
        },
    }
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn system_time(secs: f64) -> SystemTime {
    if secs >= 0.0 {
        UNIX_EPOCH + Duration::from_secs_f64(secs)
    } else {
        UNIX_EPOCH - Duration::from_secs_f64(-secs)
    }
}

/// Python's float `st_mtime` / `st_atime`.
fn float_times(meta: &fs::Metadata) -> (f64, f64) {
    let m = meta.mtime() as f64 + meta.mtime_nsec() as f64 * 1e-9;
    let a = meta.atime() as f64 + meta.atime_nsec() as f64 * 1e-9;
    (m, a)
}

/// Ansible's `update_timestamp_for_file`.
fn update_timestamps(path: &str, opts: &Options, diff: Option<&mut Diff>) -> Result<bool, Failure> {
    let (mtime, atime) = (opts.mtime, opts.atime);
    if mtime == Stamp::Preserve && atime == Stamp::Preserve {
        return Ok(false);
    }
    let fail = |e: std::io::Error| {
        Failure::new(format!(
            "Error while updating modification or access time: {}",
            os_error(&e, path)
        ))
        .path(path)
    };
    let meta = fs::metadata(path).map_err(fail)?;
    let (prev_m, prev_a) = float_times(&meta);
    let (new_m, new_a) = if mtime == Stamp::Now && atime == Stamp::Now {
        let now = now_secs();
        (now, now)
    } else {
        let pick = |s: Stamp, prev: f64| match s {
            Stamp::Preserve => prev,
            Stamp::Now => now_secs(),
            Stamp::At(t) => t,
        };
        let (m, a) = (pick(mtime, prev_m), pick(atime, prev_a));
        if m == prev_m && a == prev_a {
            return Ok(false);
        }
        (m, a)
    };
    if !opts.check {
        fsutil::set_times(Path::new(path), system_time(new_a), system_time(new_m)).map_err(fail)?;
    }
    if let Some(d) = diff {
        if new_m != prev_m {
            Diff::set(&mut d.before, "mtime", Value::Float(prev_m));
            Diff::set(&mut d.after, "mtime", Value::Float(new_m));
        }
        if new_a != prev_a {
            Diff::set(&mut d.before, "atime", Value::Float(prev_a));
            Diff::set(&mut d.after, "atime", Value::Float(new_a));
        }
    }
    Ok(true)
}

/// `set_fs_attributes_if_different` on one path, recording the diff.
fn set_attrs(path: &str, opts: &Options, diff: Option<&mut Diff>) -> Result<bool, Failure> {
    let mut attr_diff = AttrDiff::default();
    let changed = fsutil::apply_attrs_diff(
        Path::new(path),
        &opts.attrs,
        opts.check,
        Some(&mut attr_diff),
    )
    .map_err(|m| Failure::new(m).path(path))?;
    if let Some(d) = diff {
        d.absorb(attr_diff);
    }
    Ok(changed)
}

/// The path attributes apply to: a followed link's final target.
fn attr_path(path: &str, follow: bool) -> String {
    if follow && Path::new(path).is_symlink() {
        fsutil::realpath(Path::new(path))
            .to_string_lossy()
            .into_owned()
    } else {
        path.to_string()
    }
}

fn ensure_absent(path: &str, opts: &Options) -> Result<FileResult, Failure> {
    let prev_state = get_state(Path::new(path));
    if prev_state == "absent" {
        let mut r = FileResult::new("path", path, false, None);
        r.state = Some("absent");
        return Ok(r);
    }
    let diff = Diff::initial(path, "absent", prev_state);
    if !opts.check {
        if prev_state == "directory" {
            fs::remove_dir_all(path)
                .map_err(|e| Failure::new(format!("rmtree failed: {}", os_error(&e, path))))?;
        } else if let Err(e) = fs::remove_file(path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(
                    Failure::new(format!("unlinking failed: {} ", os_error(&e, path))).path(path),
                );
            }
        }
    }
    let mut r = FileResult::new("path", path, true, Some(diff));
    r.state = Some("absent");
    Ok(r)
}

fn touch(path: &str, opts: &Options) -> Result<FileResult, Failure> {
    let prev_state = get_state(Path::new(path));
    let mut changed = false;
    if prev_state == "absent" {
        if opts.check {
            return Ok(FileResult::new("dest", path, true, None));
        }
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| {
                Failure::new(format!(
                    "Error, could not touch target: {}",
                    os_error(&e, path)
                ))
                .path(path)
            })?;
        changed = true;
    }
    let mut diff = Diff::initial(path, "touch", prev_state);
    let target = attr_path(path, opts.follow);
    let applied = set_attrs(&target, opts, Some(&mut diff))
        .and_then(|c| Ok(c | update_timestamps(&target, opts, Some(&mut diff))?));
    match applied {
        Ok(c) => changed |= c,
        Err(f) => {
            if prev_state == "absent" {
                let _ = fs::remove_file(path);
            }
            return Err(f);
        }
    }
    Ok(FileResult::new("dest", path, changed, Some(diff)))
}

fn ensure_file(path: &str, opts: &Options) -> Result<FileResult, Failure> {
    let mut path = path.to_string();
    let mut prev_state = get_state(Path::new(&path));
    if prev_state != "file" && opts.follow && prev_state == "link" {
        path = fsutil::realpath(Path::new(&path))
            .to_string_lossy()
            .into_owned();
        prev_state = get_state(Path::new(&path));
    }
    if prev_state != "file" && prev_state != "hard" {
        return Err(
            Failure::new(format!("file ({path}) is {prev_state}, cannot continue"))
                .path(&path)
                .with("state", Value::str(prev_state)),
        );
    }
    let mut diff = Diff::initial(&path, "file", prev_state);
    let mut changed = set_attrs(&path, opts, Some(&mut diff))?;
    changed |= update_timestamps(&path, opts, Some(&mut diff))?;
    Ok(FileResult::new("path", &path, changed, Some(diff)))
}

fn ensure_directory(path: &str, opts: &Options) -> Result<FileResult, Failure> {
    let mut path = path.to_string();
    let mut prev_state = get_state(Path::new(&path));
    if opts.follow && prev_state == "link" {
        path = fsutil::realpath(Path::new(&path))
            .to_string_lossy()
            .into_owned();
        prev_state = get_state(Path::new(&path));
    }
    let mut diff = Diff::initial(&path, "directory", prev_state);
    let mut changed = false;
    if prev_state == "absent" {
        if opts.check {
            return Ok(FileResult::new("path", &path, true, Some(diff)));
        }
        let absolute = path.starts_with('/');
        let mut curpath = String::new();
        for part in path.trim_matches('/').split('/') {
            curpath = format!("{curpath}/{part}");
            if !absolute {
                curpath = curpath.trim_start_matches('/').to_string();
            }
            if exists(Path::new(&curpath)) {
                continue;
            }
            let issue = |msg: String| {
                Failure::new(format!(
                    "There was an issue creating {curpath} as requested: {msg}"
                ))
                .path(&path)
            };
            if let Err(e) = fs::create_dir(&curpath) {
                if !(e.kind() == std::io::ErrorKind::AlreadyExists && Path::new(&curpath).is_dir())
                {
                    return Err(issue(os_error(&e, &curpath)));
                }
            } else {
                changed = true;
            }
            let mut attr_diff = AttrDiff::default();
            changed |= fsutil::apply_attrs_diff(
                Path::new(&curpath),
                &opts.attrs,
                false,
                Some(&mut attr_diff),
            )
            .map_err(issue)?;
            diff.absorb(attr_diff);
            changed |= update_timestamps(&path, opts, Some(&mut diff)).map_err(|f| issue(f.msg))?;
        }
        return Ok(FileResult::new("path", &path, changed, Some(diff)));
    }
    if prev_state != "directory" {
        return Err(Failure::new(format!("{path} already exists as a {prev_state}")).path(&path));
    }
    changed |= set_attrs(&path, opts, Some(&mut diff))?;
    changed |= update_timestamps(&path, opts, Some(&mut diff))?;
    if opts.recurse {
        changed |= recursive_attrs(Path::new(&path), opts, 0)?;
    }
    Ok(FileResult::new("path", &path, changed, Some(diff)))
}

/// Ansible's `recursive_set_attributes`: everything below `dir`, links
/// themselves, and with `follow` the targets of links (descending into
/// linked folders).
fn recursive_attrs(dir: &Path, opts: &Options, depth: usize) -> Result<bool, Failure> {
    if depth > 256 {
        return Err(Failure::new(format!(
            "Could not recursively set attributes on {}. Original error was: \
             'maximum recursion depth exceeded'",
            dir.display()
        )));
    }
    let mut changed = false;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(root) = stack.pop() {
        let Ok(entries) = fs::read_dir(&root) else {
            continue;
        };
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
        for p in dirs.iter().chain(files.iter()) {
            let name = p.to_string_lossy().into_owned();
            changed |= set_attrs(&name, opts, None)?;
            changed |= update_timestamps(&name, opts, None)?;
            if p.is_symlink() && opts.follow {
                let Ok(link) = fs::read_link(p) else {
                    continue;
                };
                let target = root.join(link);
                if exists(&target) {
                    if target.is_dir() {
                        changed |= recursive_attrs(&target, opts, depth + 1)?;
                    }
                    let t = target.to_string_lossy().into_owned();
                    changed |= set_attrs(&t, opts, None)?;
                    changed |= update_timestamps(&t, opts, None)?;
                }
            }
        }
        // os.walk descends top-down into real folders only.
        for d in dirs.into_iter().rev() {
            if !d.is_symlink() {
                stack.push(d);
            }
        }
    }
    Ok(changed)
}

fn ensure_symlink(path: &str, src: Option<String>, opts: &Options) -> Result<FileResult, Failure> {
    let p = Path::new(path);
    let prev_state = get_state(p);
    let mut src = src;
    if src.is_none() && opts.follow && exists(p) {
        if let Ok(target) = fs::read_link(p) {
            src = Some(target.to_string_lossy().into_owned());
        }
    }
    let relpath = if !p.is_symlink() && p.is_dir() {
        path.to_string()
    } else {
        fsutil::python_dirname(path)
    };
    if let Some(s) = &src {
        let absrc = fsutil::python_join(&relpath, s);
        if !opts.force && !exists(Path::new(&absrc)) {
            return Err(Failure::new(format!(
                "src file does not exist, use \"force=yes\" if you really want to create \
                 the link: {absrc}"
            ))
            .path(path)
            .with("src", Value::str(s)));
        }
    }
    if prev_state == "directory" {
        if !opts.force {
            return Err(Failure::new(format!(
                "refusing to convert from {prev_state} to symlink for {path}"
            ))
            .path(path));
        }
        if fs::read_dir(p)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
        {
            return Err(Failure::new(format!(
                "the directory {path} is not empty, refusing to convert it"
            ))
            .path(path));
        }
    } else if (prev_state == "file" || prev_state == "hard") && !opts.force {
        return Err(Failure::new(format!(
            "refusing to convert from {prev_state} to symlink for {path}"
        ))
        .path(path));
    }
    let mut diff = Diff::initial(path, "link", prev_state);
    let mut changed = false;
    if prev_state == "link" {
        if let Some(s) = &src {
            let old = fs::read_link(p)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            if &old != s {
                Diff::set(&mut diff.before, "src", Value::str(old));
                Diff::set(&mut diff.after, "src", Value::str(s));
                changed = true;
            }
        }
    } else {
        if src.is_none() {
            return Err(Failure::new("src is required for creating new symlinks"));
        }
        changed = true;
    }
    if changed && !opts.check {
        let s = src.as_deref().unwrap_or_default();
        let clear = || match prev_state {
            "directory" => fs::remove_dir(p),
            _ => Ok(()),
        };
        place_link(path, prev_state, clear, |at| {
            std::os::unix::fs::symlink(s, at)
        })?;
    }
    let mut result = FileResult::new("dest", path, changed, None);
    result.src = Some(src.clone());
    if opts.check && !exists(p) {
        result.diff = Some(diff);
        return Ok(result);
    }
    let target = attr_path(path, opts.follow);
    if opts.follow && p.is_symlink() && !exists(Path::new(&target)) {
        // Ansible warns: attributes cannot be set on a missing link target.
    } else {
        changed |= set_attrs(&target, opts, Some(&mut diff))?;
        changed |= update_timestamps(&target, opts, Some(&mut diff))?;
    }
    result.changed = changed;
    result.diff = Some(diff);
    Ok(result)
}

fn same_inode(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.ino() == y.ino() && x.dev() == y.dev(),
        _ => false,
    }
}

/// `os.link` follows a symbolic link given as the source; std's does not.
/// Makes the link at `path` with `link`: directly when nothing is there, otherwise at a
/// temporary name beside it that is renamed over it once `clear` has removed what a
/// rename cannot replace (as Ansible's file module does for both kinds of link).
fn place_link(
    path: &str,
    prev_state: &str,
    clear: impl FnOnce() -> std::io::Result<()>,
    link: impl Fn(&Path) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let p = Path::new(path);
    if prev_state == "absent" {
        return link(p).map_err(|e| {
            Failure::new(format!("Error while linking: {}", os_error(&e, path))).path(path)
        });
    }
    let tmp = fsutil::python_join(
        &fsutil::python_dirname(path),
        &format!(".{}.{}.tmp", std::process::id(), now_secs()),
    );
    let replaced = clear()
        .and_then(|()| link(Path::new(&tmp)))
        .and_then(|()| fs::rename(&tmp, p));
    if let Err(e) = replaced {
        let _ = fs::remove_file(&tmp);
        return Err(
            Failure::new(format!("Error while replacing: {}", os_error(&e, path))).path(path),
        );
    }
    Ok(())
}

fn hard_link(src: &str, dest: &Path) -> std::io::Result<()> {
    let s = Path::new(src);
    if s.is_symlink() {
        fs::hard_link(fs::canonicalize(s)?, dest)
    } else {
        fs::hard_link(s, dest)
    }
}

fn ensure_hardlink(path: &str, src: Option<String>, opts: &Options) -> Result<FileResult, Failure> {
    let p = Path::new(path);
    let prev_state = get_state(p);
    if prev_state != "hard" && src.is_none() {
        return Err(Failure::new("src is required for creating new hardlinks"));
    }
    if let Some(s) = &src {
        if !exists(Path::new(s)) {
            return Err(Failure::new("src does not exist")
                .with("dest", Value::str(path))
                .with("src", Value::str(s)));
        }
    }
    let conflict = |msg: String| {
        Failure::new(msg)
            .with("dest", Value::str(path))
            .with("src", src.as_deref().map_or(Value::Null, Value::str))
    };
    let mut diff = Diff::initial(path, "hard", prev_state);
    let mut changed = false;
    match prev_state {
        "absent" => changed = true,
        "link" => {
            let old = fs::read_link(p)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            if Some(&old) != src.as_ref() {
                Diff::set(&mut diff.before, "src", Value::str(old));
                Diff::set(
                    &mut diff.after,
                    "src",
                    src.as_deref().map_or(Value::Null, Value::str),
                );
                changed = true;
            }
        }
        "hard" => {
            if let Some(s) = &src {
                if !same_inode(p, Path::new(s)) {
                    changed = true;
                    if !opts.force {
                        return Err(conflict(
                            "Cannot link, different hard link exists at destination".into(),
                        ));
                    }
                }
            }
        }
        "file" => {
            changed = true;
            if !opts.force {
                return Err(conflict(format!(
                    "Cannot link, {prev_state} exists at destination"
                )));
            }
        }
        _ => {
            // directory
            changed = true;
            if exists(p) {
                if same_inode(p, Path::new(src.as_deref().unwrap_or_default())) {
                    return Ok(FileResult::new("path", path, false, None));
                } else if !opts.force {
                    return Err(conflict(
                        "Cannot link: different hard link exists at destination".into(),
                    ));
                }
            }
        }
    }
    let s = src.clone().unwrap_or_default();
    if changed && !opts.check {
        let clear = || {
            if prev_state == "directory" && exists(p) {
                if let Err(e) = fs::remove_file(p) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        return Err(e);
                    }
                }
            }
            Ok(())
        };
        place_link(path, prev_state, clear, |at| hard_link(&s, at))?;
    }
    let mut result = FileResult::new("dest", path, changed, None);
    result.src = Some(src.clone());
    if opts.check && !exists(p) {
        result.diff = Some(diff);
        return Ok(result);
    }
    let target = attr_path(path, opts.follow);
    changed |= set_attrs(&target, opts, Some(&mut diff))?;
    changed |= update_timestamps(&target, opts, Some(&mut diff))?;
    result.changed = changed;
    result.diff = Some(diff);
    Ok(result)
}

// --- time.strptime / time.mktime ---------------------------------------------

/// Fields of a parsed time (Python's defaults: 1900-01-01 00:00:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimeFields {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    yday: Option<u32>,
    pm: Option<bool>,
    hour12: bool,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// One element of a strptime format.
#[derive(Debug, Clone)]
enum Piece {
    Literal(char),
    Space,
    Directive(char),
}

fn pieces(format: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('%') => out.push(Piece::Literal('%')),
                Some(d) if "YmdHMSyjbBhaApIf".contains(d) => out.push(Piece::Directive(d)),
                Some(d) => return Err(format!("'{d}' is a bad directive in format '%{d}'")),
                None => return Err("stray % in format".to_string()),
            }
        } else if c.is_whitespace() {
            if !matches!(out.last(), Some(Piece::Space)) {
                out.push(Piece::Space);
            }
        } else {
            out.push(Piece::Literal(c));
        }
    }
    Ok(out)
}

/// Candidate (value, length) matches of a numeric directive, in the order of
/// Python's `_strptime` regex alternatives.
fn numeric_candidates(d: char, s: &str) -> Vec<(i64, usize)> {
    let digits: Vec<u32> = s.chars().take(4).map_while(|c| c.to_digit(10)).collect();
    let num = |n: usize| -> Option<i64> {
        if digits.len() >= n {
            Some(digits[..n].iter().fold(0i64, |a, &x| a * 10 + i64::from(x)))
        } else {
            None
        }
    };
    let mut out = Vec::new();
    let mut push = |n: usize, ok: &dyn Fn(i64) -> bool| {
        if let Some(v) = num(n) {
            if ok(v) {
                out.push((v, n));
            }
        }
    };
    match d {
        'Y' => push(4, &|_| true),
        'y' => push(2, &|_| true),
        'm' => {
            push(2, &|v| (1..=12).contains(&v));
            push(1, &|v| (1..=9).contains(&v));
        }
        'd' => {
            push(2, &|v| (1..=31).contains(&v));
            push(1, &|v| (1..=9).contains(&v));
        }
        'H' => {
            push(2, &|v| v <= 23);
            push(1, &|_| true);
        }
        'I' => {
            push(2, &|v| (1..=12).contains(&v));
            push(1, &|v| (1..=9).contains(&v));
        }
        'M' => {
            push(2, &|v| v <= 59);
            push(1, &|_| true);
        }
        'S' => {
            push(2, &|v| v <= 61);
            push(1, &|_| true);
        }
        'j' => {
            push(3, &|v| (1..=366).contains(&v));
            push(2, &|v| (1..=99).contains(&v));
            push(1, &|v| (1..=9).contains(&v));
        }
        'f' => {
            for n in (1..=digits.len().min(6)).rev() {
                push(n, &|_| true);
            }
        }
        _ => {}
    }
    out
}

fn match_pieces(pieces: &[Piece], s: &str, fields: TimeFields) -> Option<(TimeFields, usize)> {
    let Some((first, rest)) = pieces.split_first() else {
        return Some((fields, 0));
    };
    let tail = |consumed: usize, f: TimeFields| {
        match_pieces(rest, &s[consumed..], f).map(|(f, n)| (f, n + consumed))
    };
    match first {
        Piece::Literal(c) => {
            if s.starts_with(*c) {
                tail(c.len_utf8(), fields)
            } else {
                None
            }
        }
        Piece::Space => {
            let n = s.len() - s.trim_start().len();
            if n == 0 {
                None
            } else {
                tail(n, fields)
            }
        }
        Piece::Directive(d @ ('b' | 'B' | 'h' | 'a' | 'A')) => {
            let lower = s.to_lowercase();
            let names: &[&str] = if matches!(d, 'a' | 'A') {
                &DAYS
            } else {
                &MONTHS
            };
            for (i, name) in names.iter().enumerate() {
                let full = matches!(d, 'B' | 'A');
                let text = if full { name } else { &name[..3] };
                if lower.starts_with(text) {
                    let mut f = fields;
                    if !matches!(d, 'a' | 'A') {
                        f.month = i as u32 + 1;
                    }
                    if let Some(r) = tail(text.len(), f) {
                        return Some(r);
                    }
                }
            }
            None
        }
        Piece::Directive('p') => {
            let lower = s.to_lowercase();
            for (text, pm) in [("am", false), ("pm", true)] {
                if lower.starts_with(text) {
                    let mut f = fields;
                    f.pm = Some(pm);
                    if let Some(r) = tail(2, f) {
                        return Some(r);
                    }
                }
            }
            None
        }
        Piece::Directive(d) => {
            for (v, n) in numeric_candidates(*d, s) {
                let mut f = fields;
                match d {
                    'Y' => f.year = v,
                    'y' => f.year = if v <= 68 { 2000 + v } else { 1900 + v },
                    'm' => f.month = v as u32,
                    'd' => f.day = v as u32,
                    'H' => f.hour = v as u32,
                    'I' => {
                        f.hour = v as u32;
                        f.hour12 = true;
                    }
                    'M' => f.minute = v as u32,
                    'S' => f.second = v as u32,
                    'j' => f.yday = Some(v as u32),
                    _ => {}
                }
                if let Some(r) = tail(n, f) {
                    return Some(r);
                }
            }
            None
        }
    }
}

/// Python's `time.strptime` for the common directives.
fn strptime(text: &str, format: &str) -> Result<TimeFields, String> {
    let ps = pieces(format)?;
    let start = TimeFields {
        year: 1900,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        yday: None,
        pm: None,
        hour12: false,
    };
    let Some((mut f, used)) = match_pieces(&ps, text, start) else {
        return Err(format!(
            "time data '{text}' does not match format '{format}'"
        ));
    };
    if used != text.len() {
        return Err(format!("unconverted data remains: {}", &text[used..]));
    }
    if f.hour12 {
        let pm = f.pm.unwrap_or(false);
        f.hour = match (f.hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    if let Some(yday) = f.yday {
        let base = days_from_civil(f.year, 1, 1) + i64::from(yday) - 1;
        let (y, m, d) = crate::time::civil_from_days(base);
        f.year = y;
        f.month = m;
        f.day = d;
    }
    let leap = (f.year % 4 == 0 && f.year % 100 != 0) || f.year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if f.day > month_days[(f.month - 1) as usize] {
        return Err("day is out of range for month".to_string());
    }
    Ok(f)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Python's `time.mktime` of local-time fields (isdst unknown).
fn mktime(f: &TimeFields) -> Result<f64, String> {
    let wall = days_from_civil(f.year, f.month, f.day) * 86_400
        + i64::from(f.hour) * 3600
        + i64::from(f.minute) * 60
        + i64::from(f.second);
    let offset_at = |t: i64| sys::local_time(t).map(|l| l.gmtoff).unwrap_or(0);
    let mut guess = wall - offset_at(wall);
    for _ in 0..3 {
        let next = wall - offset_at(guess);
        if next == guess {
            break;
        }
        guess = next;
    }
    Ok(guess as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::obj;
    use crate::modules::with_test_context;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    fn tmpdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rustle-file-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn run_file(args: Value, check: bool) -> Outcome {
        let lookup = |_: &str| None;
        with_test_context(check, 0, &lookup, |ctx| run(&args, ctx))
    }

    fn extra<'a>(o: &'a Outcome, key: &str) -> Option<&'a Value> {
        o.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn strptime_default_format() {
        let f = strptime("202301021530.45", "%Y%m%d%H%M.%S").unwrap();
        assert_eq!((f.year, f.month, f.day), (2023, 1, 2));
        assert_eq!((f.hour, f.minute, f.second), (15, 30, 45));
        assert!(strptime("2023", "%Y%m%d%H%M.%S")
            .unwrap_err()
            .starts_with("time data '2023' does not match format"));
        assert_eq!(strptime("2023-1-5 7:04", "%Y-%m-%d %H:%M").unwrap().day, 5);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn directory_touch_absent_cycle() {
        let dir = tmpdir("cycle");
        let d = dir.join("a/b/c");
        let ds = d.to_string_lossy().into_owned();
        let args = obj([
            ("path", Value::str(&ds)),
            ("state", Value::str("directory")),
            ("mode", Value::str("0750")),
        ]);
        let o = run_file(args.clone(), true);
        assert!(o.changed);
        assert!(!d.exists());
        let o = run_file(args.clone(), false);
        assert!(o.changed, "{:?}", o.msg);
        assert_eq!(
            fs::metadata(dir.join("a")).unwrap().permissions().mode() & 0o7777,
            0o750
        );
        assert_eq!(extra(&o, "mode"), Some(&Value::str("0750")));
        assert_eq!(extra(&o, "state"), Some(&Value::str("directory")));
        assert!(!run_file(args, false).changed);

        let f = d.join("t").to_string_lossy().into_owned();
        let touch = obj([
            ("path", Value::str(&f)),
            ("state", Value::str("touch")),
            ("modification_time", Value::str("preserve")),
            ("access_time", Value::str("preserve")),
        ]);
        assert!(run_file(touch.clone(), false).changed);
        assert!(!run_file(touch, false).changed);
        let stamped = obj([
            ("path", Value::str(&f)),
            ("state", Value::str("touch")),
            ("modification_time", Value::str("202001021530.45")),
        ]);
        assert!(run_file(stamped.clone(), false).changed);
        let mtime = fs::metadata(&f).unwrap().mtime();
        let expected = mktime(&strptime("202001021530.45", "%Y%m%d%H%M.%S").unwrap()).unwrap();
        assert_eq!(mtime as f64, expected);

        let missing = run_file(obj([("path", Value::str(format!("{ds}/nope")))]), false);
        assert_eq!(missing.status, Status::Failed);
        assert_eq!(
            missing.msg.to_text(),
            format!("file ({ds}/nope) is absent, cannot continue")
        );

        let absent = obj([
            ("path", Value::str(dir.join("a").to_string_lossy())),
            ("state", Value::str("absent")),
        ]);
        assert!(run_file(absent.clone(), true).changed);
        assert!(dir.join("a").exists());
        assert!(run_file(absent.clone(), false).changed);
        assert!(!dir.join("a").exists());
        let o = run_file(absent, false);
        assert!(!o.changed);
        assert_eq!(extra(&o, "state"), Some(&Value::str("absent")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links() {
        let dir = tmpdir("links");
        let target = dir.join("target");
        fs::write(&target, b"x").unwrap();
        let link = dir.join("l").to_string_lossy().into_owned();
        let args = obj([
            ("path", Value::str(&link)),
            ("src", Value::str("target")),
            ("state", Value::str("link")),
        ]);
        let o = run_file(args.clone(), false);
        assert!(o.changed, "{:?}", o.msg);
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("target"));
        assert_eq!(extra(&o, "state"), Some(&Value::str("link")));
        assert!(!run_file(args, false).changed);
        let dangling = obj([
            ("path", Value::str(dir.join("d").to_string_lossy())),
            ("src", Value::str("missing")),
            ("state", Value::str("link")),
        ]);
        let o = run_file(dangling, false);
        assert_eq!(o.status, Status::Failed);
        assert!(o.msg.to_text().starts_with("src file does not exist"));

        let hard = dir.join("h").to_string_lossy().into_owned();
        let args = obj([
            ("path", Value::str(&hard)),
            ("src", Value::str(target.to_string_lossy())),
            ("state", Value::str("hard")),
        ]);
        assert!(run_file(args.clone(), false).changed);
        assert!(same_inode(Path::new(&hard), &target));
        let o = run_file(args, false);
        assert!(!o.changed);
        assert_eq!(extra(&o, "state"), Some(&Value::str("hard")));
        fs::remove_dir_all(&dir).unwrap();
    }
}
