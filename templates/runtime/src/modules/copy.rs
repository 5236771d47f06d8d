//! The `copy` module: files and folders embedded at build time, `content`,
//! and `remote_src` copies on the target, with the decisions of Ansible's copy
//! action plugin and module (checksums, trailing-slash rules, backups,
//! `validate`, `force`, `directory_mode`, check mode and `--diff`).
//!
//! [`deploy_bytes`] is the one code path that puts bytes at a destination; the
//! `template` module uses it for its rendered text.

use super::command::{expand_user, expand_vars, os_error};
use super::fsutil::{self, FileAttrs, ModeSpec, PendingWrite};
use super::{file, params, ModuleContext, Outcome, Status};
use crate::digest::{file_sha1_hex, md5_hex, sha1_hex};
use crate::json::Value;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Ansible's `MAX_FILE_SIZE_FOR_DIFF` default.
pub const MAX_DIFF_SIZE: usize = 104_448;

/// Names `filecmp.dircmp` ignores (remote folder copies skip them).
const DIRCMP_IGNORES: [&str; 8] = [
    "RCS",
    "CVS",
    "tags",
    ".git",
    ".hg",
    ".bzr",
    "_darcs",
    "__pycache__",
];

/// Options shared by copy and template.
pub struct CopyOptions {
    pub dest: String,
    pub mode: Option<ModeSpec>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub backup: bool,
    pub force: bool,
    /// `force` exactly as given (passed on to the file module).
    pub force_arg: Option<bool>,
    pub validate: Option<String>,
    pub directory_mode: Option<Value>,
    pub follow: bool,
    pub local_follow: Option<bool>,
    pub checksum: Option<String>,
}

impl CopyOptions {
    /// Reads the options from (rendered) module arguments.
    pub fn from_args(args: &Value) -> Result<CopyOptions, String> {
        let dest = match params::str_arg(args, "dest")? {
            Some(d) if !d.is_empty() => expand_user(&expand_vars(&d)),
            _ => return Err("dest is required".to_string()),
        };
        let attrs = FileAttrs::from_args(args)?;
        let directory_mode = match args.get("directory_mode") {
            None | Some(Value::Null) => None,
            Some(v) => {
                ModeSpec::parse(v)?;
                Some(v.clone())
            }
        };
        let force_arg = params::bool_arg(args, "force")?;
        Ok(CopyOptions {
            dest,
            mode: attrs.mode,
            owner: attrs.owner,
            group: attrs.group,
            backup: params::bool_arg(args, "backup")?.unwrap_or(false),
            force: force_arg.unwrap_or(true),
            force_arg,
            validate: params::str_arg(args, "validate")?.filter(|v| !v.is_empty()),
            directory_mode,
            follow: params::bool_arg(args, "follow")?.unwrap_or(false),
            local_follow: params::bool_arg(args, "local_follow")?,
            checksum: params::str_arg(args, "checksum")?.filter(|c| !c.is_empty()),
        })
    }

    fn attrs(&self, mode: Option<ModeSpec>) -> FileAttrs {
        FileAttrs {
            mode,
            owner: self.owner.clone(),
            group: self.group.clone(),
        }
    }

    /// The file-module arguments Ansible's copy action passes on
    /// (`_create_remote_file_args`).
    fn file_args(&self, mode: Option<Value>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        if let Some(m) = mode {
            out.push(("mode".to_string(), m));
        }
        if let Some(o) = &self.owner {
            out.push(("owner".to_string(), Value::str(o)));
        }
        if let Some(g) = &self.group {
            out.push(("group".to_string(), Value::str(g)));
        }
        if let Some(f) = self.force_arg {
            out.push(("force".to_string(), Value::Bool(f)));
        }
        out
    }
}

fn mode_value(mode: &ModeSpec) -> Value {
    match mode {
        ModeSpec::Octal(m) => Value::str(fsutil::octal_mode(*m)),
        ModeSpec::Symbolic(s) => Value::str(s),
        ModeSpec::Preserve => Value::str("preserve"),
    }
}

/// Bytes to put at a destination, with what Ansible knows about their source.
pub struct Payload<'a> {
    pub bytes: &'a [u8],
    /// The source's name relative to the copy (`_original_basename`).
    pub rel: String,
    /// What results call the source (`src`, the diff's `after_header`).
    pub label: String,
    /// The source file's permission bits (`mode: preserve`).
    pub source_mode: Option<u32>,
    /// `content` (a destination folder is an error; the diff header is dest).
    pub is_content: bool,
}

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    match run_inner(args, ctx) {
        Ok(o) => o,
        Err(msg) => Outcome::failed(msg),
    }
}

fn run_inner(args: &Value, ctx: &ModuleContext) -> Result<Outcome, String> {
    let source = args.get("_source").filter(|v| !v.is_null());
    let content = args.get("content").filter(|v| !v.is_null());
    let remote_src = params::bool_arg(args, "remote_src")?.unwrap_or(false);
    let src = params::str_arg(args, "src")?.filter(|s| !s.is_empty());
    if source.is_none() && content.is_none() && src.is_none() {
        return Err("src (or content) is required".to_string());
    }
    if params::str_arg(args, "dest")?.is_none_or(|d| d.is_empty()) {
        return Err("dest is required".to_string());
    }
    if (source.is_some() || src.is_some()) && content.is_some() {
        return Err("src and content are mutually exclusive".to_string());
    }
    let opts = CopyOptions::from_args(args)?;
    if content.is_some() && opts.dest.ends_with('/') {
        return Err("can not use content with a dir as dest".to_string());
    }
    if let Some(content) = content {
        let bytes = content_bytes(content);
        let payload = Payload {
            bytes: &bytes,
            rel: ".content".to_string(),
            label: opts.dest.clone(),
            // Ansible's content goes through a 0600 temporary file.
            source_mode: Some(0o600),
            is_content: true,
        };
        return Ok(deploy_bytes(&payload, &opts, ctx));
    }
    if remote_src {
        let src = src.ok_or_else(|| "src (or content) is required".to_string())?;
        let src = expand_user(&expand_vars(&src));
        return Ok(remote_copy(&src, &opts, ctx));
    }
    let Some(source) = source else {
        return Err(format!(
            "src {} was not embedded at build time",
            src.unwrap_or_default()
        ));
    };
    let label = src.unwrap_or_default();
    match source.get("type").and_then(Value::as_str) {
        Some("file") => {
            let bytes = blob(source, ctx)?;
            let payload = Payload {
                bytes,
                rel: fsutil::python_basename(label.trim_end_matches('/')),
                label: source
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or(&label)
                    .to_string(),
                source_mode: source_mode(source),
                is_content: false,
            };
            Ok(deploy_bytes(&payload, &opts, ctx))
        }
        Some("tree") => tree_copy(source, &label, &opts, ctx),
        _ => Err("copy: the embedded source is malformed".to_string()),
    }
}

fn blob<'a>(entry: &Value, ctx: &ModuleContext<'a>) -> Result<&'static [u8], String> {
    let digest = entry.get("blob").and_then(Value::as_str).unwrap_or("");
    ctx.blobs
        .get(digest)
        .ok_or_else(|| format!("copy: embedded file {digest} is missing from the binary"))
}

fn source_mode(entry: &Value) -> Option<u32> {
    entry
        .get("mode")
        .and_then(Value::as_str)
        .and_then(|m| u32::from_str_radix(m, 8).ok())
}

/// `content` as Ansible writes it: strings as they are, lists and objects as
/// `json.dumps` text, other scalars as Python's `str()`.
pub fn content_bytes(content: &Value) -> Vec<u8> {
    match content {
        Value::Str(s) => s.clone().into_bytes(),
        Value::Array(_) | Value::Object(_) => {
            let mut out = String::new();
            python_json(&mut out, content);
            out.into_bytes()
        }
        Value::Bool(true) => b"True".to_vec(),
        Value::Bool(false) => b"False".to_vec(),
        Value::Null => b"None".to_vec(),
        other => other.to_text().into_bytes(),
    }
}

/// `json.dumps(v)` with Python's defaults (`", "`, `": "`, ASCII only).
fn python_json(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => crate::json::write_string_with(out, s, true),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_json(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                crate::json::write_string_with(out, k, true);
                out.push_str(": ");
                python_json(out, item);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_compact()),
    }
}

fn exists(p: &str) -> bool {
    fs::metadata(p).is_ok()
}

fn is_link(p: &str) -> bool {
    Path::new(p).is_symlink()
}

fn is_dir(p: &str) -> bool {
    Path::new(p).is_dir()
}

fn set_extra(out: &mut Outcome, key: &str, value: Value) {
    match out.extra.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => out.extra.push((key.to_string(), value)),
    }
}

/// Ansible's copy action: a single-file result without `dest` reports its `path` as `dest`.
fn dest_from_path(out: &mut Outcome) {
    if !has_extra(out, "dest") {
        if let Some(path) = out
            .extra
            .iter()
            .find(|(k, _)| k == "path")
            .map(|(_, v)| v.clone())
        {
            set_extra(out, "dest", path);
        }
    }
}

fn has_extra(out: &Outcome, key: &str) -> bool {
    out.extra.iter().any(|(k, v)| k == key && !v.is_null())
}

/// One file from bytes, with the result Ansible's copy action gives for a
/// single-file copy. Used by `copy` (file source or content) and `template`.
pub fn deploy_bytes(payload: &Payload, opts: &CopyOptions, ctx: &ModuleContext) -> Outcome {
    match copy_file(payload, &opts.dest, opts.follow, opts, ctx) {
        Some(mut out) => {
            dest_from_path(&mut out);
            out
        }
        None => {
            let mut out = Outcome::finished(false);
            out.extra.push(("dest".into(), Value::str(&opts.dest)));
            out.extra.push(("src".into(), Value::str(&payload.label)));
            out
        }
    }
}

/// What the copy action's remote `stat` says about a destination.
struct DestStat {
    exists: bool,
    is_dir: bool,
    checksum: Option<String>,
}

fn stat_dest(path: &str, follow: bool) -> DestStat {
    let meta = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    };
    match meta {
        Err(_) => DestStat {
            exists: false,
            is_dir: false,
            checksum: None,
        },
        Ok(m) => DestStat {
            exists: true,
            is_dir: m.is_dir(),
            checksum: if m.is_file() {
                file_sha1_hex(Path::new(path)).ok()
            } else {
                None
            },
        },
    }
}

/// The action plugin's `_copy_file` for one file: `None` when an existing
/// destination is left alone (`force: false`).
fn copy_file(
    payload: &Payload,
    dest: &str,
    follow: bool,
    opts: &CopyOptions,
    ctx: &ModuleContext,
) -> Option<Outcome> {
    let mode = match &opts.mode {
        Some(ModeSpec::Preserve) => payload.source_mode.map(ModeSpec::Octal),
        other => other.clone(),
    };
    let mut dest_file = if dest.ends_with('/') {
        fsutil::python_join(dest, &payload.rel)
    } else {
        dest.to_string()
    };
    let mut st = stat_dest(&dest_file, follow);
    if st.exists && st.is_dir {
        if payload.is_content {
            return Some(Outcome::failed("can not use content with a dir as dest"));
        }
        dest_file = fsutil::python_join(dest, &payload.rel);
        st = stat_dest(&dest_file, follow);
    }
    if st.exists && !opts.force {
        return None;
    }
    let local = sha1_hex(payload.bytes);
    if st.checksum.as_deref() != Some(local.as_str()) {
        let diff = if ctx.diff_mode {
            let header = if payload.is_content {
                dest_file.clone()
            } else {
                payload.label.clone()
            };
            Some(diff_data(&dest_file, payload.bytes, &header))
        } else {
            None
        };
        if ctx.check_mode {
            // The action plugin returns before the module (and the checksum) in check mode.
            let mut out = Outcome::finished(true);
            out.diff = diff.map(|d| Value::Array(vec![d]));
            return Some(out);
        }
        let mut out = {
            let module = ModuleCopy {
                src: CopySrc::Bytes(payload.bytes),
                label: payload.label.clone(),
                original_basename: Some(payload.rel.clone()),
                dest: dest.to_string(),
                mode,
            };
            module_copy(&module, opts, ctx)
        };
        if out.status != Status::Failed {
            out.diff = diff.map(|d| Value::Array(vec![d]));
        }
        if !has_extra(&out, "checksum") {
            set_extra(&mut out, "checksum", Value::str(&local));
        }
        return Some(out);
    }
    // Same content: the file module settles the attributes.
    let mut target = dest.to_string();
    if follow && is_link(&dest_file) {
        target = fsutil::realpath(Path::new(&dest_file))
            .to_string_lossy()
            .into_owned();
    }
    let mut args = vec![
        ("path".to_string(), Value::str(&target)),
        ("_original_basename".to_string(), Value::str(&payload.rel)),
        ("state".to_string(), Value::str("file")),
        ("recurse".to_string(), Value::Bool(false)),
    ];
    args.extend(opts.file_args(mode.as_ref().map(mode_value)));
    let mut out = file::run(&Value::Object(args), ctx);
    if !has_extra(&out, "checksum") {
        set_extra(&mut out, "checksum", Value::str(&local));
    }
    Some(out)
}

/// The text diff Ansible's `_get_diff_data` builds for a file that changes.
fn diff_data(dest_file: &str, src: &[u8], after_header: &str) -> Value {
    let mut members: Vec<(String, Value)> = Vec::new();
    match fs::read(dest_file) {
        _ if !exists(dest_file) => members.push(("before".into(), Value::str(""))),
        Ok(before) => {
            if before[..before.len().min(8192)].contains(&0) {
                members.push(("dst_binary".into(), Value::Int(1)));
            } else if before.len() > MAX_DIFF_SIZE {
                members.push(("dst_larger".into(), Value::Int(MAX_DIFF_SIZE as i64)));
            } else {
                members.push(("before_header".into(), Value::str(dest_file)));
                members.push((
                    "before".into(),
                    Value::str(String::from_utf8_lossy(&before)),
                ));
            }
        }
        Err(_) => return Value::Object(Vec::new()),
    }
    if src.len() > MAX_DIFF_SIZE {
        members.push(("src_larger".into(), Value::Int(MAX_DIFF_SIZE as i64)));
    } else if src.contains(&0) {
        members.push(("src_binary".into(), Value::Int(1)));
    } else {
        members.push(("after_header".into(), Value::str(after_header)));
        members.push(("after".into(), Value::str(String::from_utf8_lossy(src))));
    }
    Value::Object(members)
}

#[derive(Clone, Copy)]
enum CopySrc<'a> {
    Bytes(&'a [u8]),
    /// `remote_src`: a regular file on the target.
    Path(&'a str),
}

/// What the copy module itself receives.
struct ModuleCopy<'a> {
    src: CopySrc<'a>,
    label: String,
    original_basename: Option<String>,
    dest: String,
    mode: Option<ModeSpec>,
}

/// `split_pre_existing_dir`: the nearest existing ancestor of `dir` and the
/// folders below it that must be created.
fn split_pre_existing(dir: &str) -> (String, Vec<String>) {
    let (head, tail) = match dir.rfind('/') {
        Some(i) => {
            let head = dir[..=i].trim_end_matches('/');
            let head = if head.is_empty() { "/" } else { head };
            (head.to_string(), dir[i + 1..].to_string())
        }
        None => (String::new(), dir.to_string()),
    };
    if head.is_empty() {
        return (".".to_string(), vec![tail]);
    }
    if !exists(&head) && head != "/" {
        let (pre, mut list) = split_pre_existing(&head);
        list.push(tail);
        (pre, list)
    } else {
        (head, vec![tail])
    }
}

/// The copy module (`ansible.legacy.copy`) for one regular file.
/// For a `dest` ending in `/`: creates its missing directory levels with `directory_mode`
/// and the other attributes (in check mode, the changed result saying it would);
/// `Ok(true)` when something was created. `label` names the source, `shown_dest` the
/// destination in a failure.
#[allow(clippy::result_large_err)] // an early return carrying the finished result
fn create_dest_dir(
    label: &str,
    dest: &str,
    shown_dest: &str,
    opts: &CopyOptions,
    check: bool,
) -> Result<bool, Outcome> {
    let dirname = fsutil::python_dirname(dest);
    if exists(&dirname) {
        return Ok(false);
    }
    let (pre, new_dirs) = split_pre_existing(&dirname);
    if check {
        let mut out = Outcome::new(Status::Changed, true, "");
        out.msg = Value::str(format!("dest directory {dirname} would be created"));
        out.extra.push(("src".into(), Value::str(label)));
        return Err(out);
    }
    fs::create_dir_all(&dirname).map_err(|e| {
        Outcome::failed(format!(
            "failed to copy: {label} to {shown_dest}: {}",
            os_error(&e, &dirname)
        ))
    })?;
    let dir_mode = match &opts.directory_mode {
        Some(v) => ModeSpec::parse(v).map_err(Outcome::failed)?,
        None => None,
    };
    let attrs = opts.attrs(dir_mode);
    let mut working = pre;
    for part in new_dirs {
        working = fsutil::python_join(&working, &part);
        fsutil::apply_attrs(Path::new(&working), &attrs, false).map_err(Outcome::failed)?;
    }
    Ok(true)
}

/// Fails as Ansible does when the directory that would hold a new `dest` is missing
/// or not accessible.
#[allow(clippy::result_large_err)] // an early return carrying the finished result
fn check_dest_parent(dest: &str) -> Result<(), Outcome> {
    let dirname = fsutil::python_dirname(dest);
    match fs::metadata(if dirname.is_empty() { "." } else { &dirname }) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(Outcome::failed(
            format!("Destination directory {dirname} is not accessible"),
        )),
        Err(_) => Err(Outcome::failed(format!(
            "Destination directory {dirname} does not exist"
        ))),
    }
}

fn module_copy(m: &ModuleCopy, opts: &CopyOptions, ctx: &ModuleContext) -> Outcome {
    match module_copy_inner(m, opts, ctx) {
        Ok(out) => out,
        Err(out) => out,
    }
}

// Both arms carry a finished result; the error arm is only an early return.
#[allow(clippy::result_large_err)]
fn module_copy_inner(
    m: &ModuleCopy,
    opts: &CopyOptions,
    ctx: &ModuleContext,
) -> Result<Outcome, Outcome> {
    let fail = |msg: String| Outcome::failed(msg);
    let mut dest = m.dest.clone();
    if !dest.contains('/') {
        dest = format!("./{dest}");
    }
    let remote = matches!(m.src, CopySrc::Path(_));
    let (checksum_src, md5_src) = match m.src {
        CopySrc::Bytes(b) => (Some(sha1_hex(b)), Some(md5_hex(b))),
        CopySrc::Path(p) => match fs::read(p) {
            Ok(b) => (Some(sha1_hex(&b)), Some(md5_hex(&b))),
            Err(_) => (None, None),
        },
    };
    if let Some(expected) = &opts.checksum {
        if checksum_src.as_deref() != Some(expected.as_str()) {
            let mut out =
                fail("Copied file does not match the expected checksum. Transfer failed.".into());
            out.extra.push((
                "checksum".into(),
                checksum_src.clone().map_or(Value::Null, Value::str),
            ));
            out.extra
                .push(("expected_checksum".into(), Value::str(expected)));
            return Err(out);
        }
    }
    let mut changed = false;
    if dest.ends_with('/') {
        if let Some(base) = &m.original_basename {
            dest = fsutil::python_join(&dest, base);
        }
        changed = create_dest_dir(&m.label, &dest, &dest, opts, ctx.check_mode)?;
    }
    if is_dir(&dest) {
        let base = match (&m.original_basename, m.src) {
            (Some(b), _) => b.clone(),
            (None, CopySrc::Path(p)) => fsutil::python_basename(p),
            (None, CopySrc::Bytes(_)) => String::new(),
        };
        dest = fsutil::python_join(&dest, &base);
    }
    let mut checksum_dest = None;
    if exists(&dest) {
        if is_link(&dest) && opts.follow {
            dest = fsutil::realpath(Path::new(&dest))
                .to_string_lossy()
                .into_owned();
        }
        if !opts.force {
            let mut out = Outcome::finished(false);
            out.msg = Value::str("file already exists");
            out.extra.push(("src".into(), Value::str(&m.label)));
            out.extra.push(("dest".into(), Value::str(&dest)));
            return Err(out);
        }
        if Path::new(&dest).is_file() {
            checksum_dest = file_sha1_hex(Path::new(&dest)).ok();
        }
    } else {
        check_dest_parent(&dest)?;
    }
    let mut backup_file = String::new();
    if checksum_src != checksum_dest || is_link(&dest) {
        if !ctx.check_mode {
            let failed_copy =
                |detail: String| fail(format!("failed to copy: {} to {dest}: {detail}", m.label));
            if opts.backup && exists(&dest) {
                backup_file = fsutil::backup_file(Path::new(&dest)).map_err(fail)?;
            }
            if is_link(&dest) {
                fs::remove_file(&dest)
                    .and_then(|()| fs::File::create(&dest).map(drop))
                    .map_err(|e| failed_copy(os_error(&e, &dest)))?;
            }
            let (bytes, src_meta) = match m.src {
                CopySrc::Bytes(b) => (b.to_vec(), None),
                CopySrc::Path(p) => {
                    let b = fs::read(p).map_err(|e| failed_copy(os_error(&e, p)))?;
                    (b, fs::metadata(p).ok())
                }
            };
            let pending = PendingWrite::create(Path::new(&dest), &bytes).map_err(failed_copy)?;
            if let Some(meta) = &src_meta {
                // copystat of the remote source onto the temporary file.
                pending.set_mode(meta.mode()).map_err(failed_copy)?;
            }
            if let Some(cmd) = &opts.validate {
                let attrs = opts.attrs(m.mode.clone());
                fsutil::apply_attrs(pending.path(), &attrs, false).map_err(fail)?;
                fsutil::validate_outcome(cmd, pending.path()).map_err(|o| *o)?;
            }
            pending
                .commit(Path::new(&dest), !remote)
                .map_err(failed_copy)?;
        }
        changed = true;
    }
    let mut out = Outcome::finished(changed);
    out.extra.push(("dest".into(), Value::str(&dest)));
    out.extra.push(("src".into(), Value::str(&m.label)));
    out.extra
        .push(("md5sum".into(), md5_src.map_or(Value::Null, Value::str)));
    out.extra.push((
        "checksum".into(),
        checksum_src.map_or(Value::Null, Value::str),
    ));
    if !backup_file.is_empty() {
        out.extra
            .push(("backup_file".into(), Value::str(&backup_file)));
    }
    let attrs = opts.attrs(m.mode.clone());
    let attr_changed =
        fsutil::apply_attrs(Path::new(&dest), &attrs, ctx.check_mode).map_err(|msg| {
            let mut o = fail(msg);
            o.extra.push(("path".into(), Value::str(&dest)));
            o
        })?;
    if attr_changed && !out.changed {
        out = Outcome {
            status: Status::Changed,
            changed: true,
            ..out
        };
    }
    for (k, v) in fsutil::path_facts(Path::new(&dest)) {
        set_extra(&mut out, &k, v);
    }
    Ok(out)
}

/// A folder embedded at build time (`_source.type == "tree"`).
fn tree_copy(
    source: &Value,
    label: &str,
    opts: &CopyOptions,
    ctx: &ModuleContext,
) -> Result<Outcome, String> {
    let name = source.get("name").and_then(Value::as_str);
    let entries = source
        .get("entries")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    let rel = |p: &str| match name {
        Some(n) => format!("{n}/{p}"),
        None => p.to_string(),
    };
    let mut dest = opts.dest.clone();
    if !dest.ends_with('/') {
        dest.push('/');
    }
    let files: Vec<&Value> = entries
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("file"))
        .collect();
    let dirs: Vec<&Value> = entries
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("directory"))
        .collect();
    let follow = if dirs.is_empty() { opts.follow } else { false };
    let mut changed = false;
    let mut last: Option<Outcome> = None;
    for entry in &files {
        let path = entry.get("path").and_then(Value::as_str).unwrap_or("");
        let bytes = blob(entry, ctx)?;
        let payload = Payload {
            bytes,
            rel: rel(path),
            label: fsutil::python_join(
                source.get("path").and_then(Value::as_str).unwrap_or(label),
                path,
            ),
            source_mode: source_mode(entry),
            is_content: false,
        };
        let Some(out) = copy_file(&payload, &dest, follow, opts, ctx) else {
            continue;
        };
        if out.status == Status::Failed {
            return Ok(out);
        }
        changed |= out.changed;
        last = Some(out);
    }
    for entry in &dirs {
        let path = entry.get("path").and_then(Value::as_str).unwrap_or("");
        let mut args = vec![
            (
                "path".to_string(),
                Value::str(fsutil::python_join(&dest, &rel(path))),
            ),
            ("state".to_string(), Value::str("directory")),
            ("recurse".to_string(), Value::Bool(false)),
        ];
        args.extend(opts.file_args(opts.directory_mode.clone()));
        let out = file::run(&Value::Object(args), ctx);
        if out.status == Status::Failed {
            return Ok(out);
        }
        changed |= out.changed;
        last = Some(out);
    }
    match last {
        Some(mut out) if files.len() == 1 => {
            dest_from_path(&mut out);
            Ok(out)
        }
        _ => {
            let mut out = Outcome::finished(changed);
            out.extra.push(("dest".into(), Value::str(&dest)));
            out.extra.push(("src".into(), Value::str(label)));
            Ok(out)
        }
    }
}

// --- remote_src -------------------------------------------------------------

/// `remote_src: true`: the copy module on the target, for a file or a folder.
fn remote_copy(src: &str, opts: &CopyOptions, ctx: &ModuleContext) -> Outcome {
    if fs::metadata(src).is_err() {
        return Outcome::failed(format!("Source {src} not found"));
    }
    if fs::File::open(src).is_err() && !is_dir(src) {
        return Outcome::failed(format!("Source {src} not readable"));
    }
    let mode = match &opts.mode {
        Some(ModeSpec::Preserve) => fs::metadata(src)
            .ok()
            .map(|m| ModeSpec::Octal(m.mode() & fsutil::PERM_BITS)),
        other => other.clone(),
    };
    if Path::new(src).is_file() {
        let module = ModuleCopy {
            src: CopySrc::Path(src),
            label: src.to_string(),
            original_basename: None,
            dest: opts.dest.clone(),
            mode,
        };
        return module_copy(&module, opts, ctx);
    }
    if !is_dir(src) {
        return Outcome::failed(format!("Cannot copy invalid source '{src}': not a file"));
    }
    match remote_tree(src, mode, opts, ctx) {
        Ok(out) | Err(out) => out,
    }
}

// Both arms carry a finished result; the error arm is only an early return.
#[allow(clippy::result_large_err)]
fn remote_tree(
    src: &str,
    mode: Option<ModeSpec>,
    opts: &CopyOptions,
    ctx: &ModuleContext,
) -> Result<Outcome, Outcome> {
    let fail = |msg: String| Outcome::failed(msg);
    let io = |e: std::io::Error, p: &str| {
        fail(format!(
            "failed to copy: {src} to {}: {}",
            opts.dest,
            os_error(&e, p)
        ))
    };
    let param_dest = opts.dest.clone();
    let mut dest = param_dest.clone();
    if !dest.contains('/') {
        dest = format!("./{dest}");
    }
    let mut changed = false;
    if dest.ends_with('/') {
        changed = create_dest_dir(src, &dest, &opts.dest, opts, ctx.check_mode)?;
    }
    if is_dir(&dest) {
        dest = fsutil::python_join(&dest, &fsutil::python_basename(src));
    }
    if !exists(&dest) {
        check_dest_parent(&dest)?;
    }
    let tree = RemoteTree {
        opts,
        check: ctx.check_mode,
    };
    let src_slash = src.ends_with('/');
    let with_slash = |p: &str| {
        if p.ends_with('/') {
            p.to_string()
        } else {
            format!("{p}/")
        }
    };
    if src_slash && is_dir(&param_dest) {
        changed |= tree
            .sync(src, &param_dest)
            .map_err(|e| io(e, &param_dest))?;
    }
    if src_slash && !exists(&param_dest) {
        let target = with_slash(&param_dest);
        if !ctx.check_mode {
            tree.copytree(src, &target).map_err(|e| io(e, &target))?;
        }
        tree.chown_recursive(&param_dest).map_err(fail)?;
        changed = true;
    }
    if !src_slash && is_dir(&param_dest) {
        let target = fsutil::python_join(&param_dest, &fsutil::python_basename(src));
        let src_dir = with_slash(src);
        if !ctx.check_mode && !exists(&target) {
            tree.copytree(&src_dir, &target)
                .map_err(|e| io(e, &target))?;
            changed = true;
            tree.chown_recursive(&dest).map_err(fail)?;
        }
        if ctx.check_mode && !exists(&target) {
            changed = true;
        }
        if exists(&target) {
            changed |= tree.sync(&src_dir, &target).map_err(|e| io(e, &target))?;
        }
    } else if !src_slash && !exists(&param_dest) {
        let target = fsutil::python_join(&param_dest, &fsutil::python_basename(src));
        if !ctx.check_mode && !exists(&target) {
            fs::create_dir_all(&target).map_err(|e| io(e, &target))?;
            changed = true;
            changed |= tree
                .sync(&with_slash(src), &target)
                .map_err(|e| io(e, &target))?;
        }
        if ctx.check_mode && !exists(&target) {
            changed = true;
        }
    }
    let mut out = Outcome::finished(changed);
    out.extra.push(("dest".into(), Value::str(&dest)));
    out.extra.push(("src".into(), Value::str(src)));
    out.extra.push(("md5sum".into(), Value::Null));
    out.extra.push(("checksum".into(), Value::Null));
    let attrs = opts.attrs(mode);
    let attr_changed =
        fsutil::apply_attrs(Path::new(&dest), &attrs, ctx.check_mode).map_err(fail)?;
    if attr_changed && !out.changed {
        out.status = Status::Changed;
        out.changed = true;
    }
    for (k, v) in fsutil::path_facts(Path::new(&dest)) {
        set_extra(&mut out, &k, v);
    }
    Ok(out)
}

/// The folder-copy helpers of Ansible's copy module (`copy_diff_files`,
/// `copy_left_only`, `copy_common_dirs`, `chown_recursive`).
struct RemoteTree<'a> {
    opts: &'a CopyOptions,
    check: bool,
}

/// `filecmp.dircmp` of two folders: names of differing common files, names
/// only in the left folder, and common sub-folders.
struct DirCmp {
    diff_files: Vec<String>,
    left_only: Vec<String>,
    common_dirs: Vec<String>,
}

fn names(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !DIRCMP_IGNORES.contains(&n.as_str()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn dircmp(left: &str, right: &str) -> DirCmp {
    let l = names(left);
    let r = names(right);
    let mut cmp = DirCmp {
        diff_files: Vec::new(),
        left_only: Vec::new(),
        common_dirs: Vec::new(),
    };
    for name in l {
        if !r.contains(&name) {
            cmp.left_only.push(name);
            continue;
        }
        let (a, b) = (
            fsutil::python_join(left, &name),
            fsutil::python_join(right, &name),
        );
        match (fs::metadata(&a), fs::metadata(&b)) {
            (Ok(ma), Ok(mb)) if ma.is_dir() && mb.is_dir() => cmp.common_dirs.push(name),
            (Ok(ma), Ok(mb)) if ma.is_file() && mb.is_file() => {
                let same = ma.len() == mb.len()
                    && matches!((fs::read(&a), fs::read(&b)), (Ok(x), Ok(y)) if x == y);
                if !same {
                    cmp.diff_files.push(name);
                }
            }
            _ => {}
        }
    }
    cmp
}

impl RemoteTree<'_> {
    fn set_owner_group(&self, path: &str) -> std::io::Result<()> {
        let attrs = self.opts.attrs(None);
        fsutil::apply_attrs(Path::new(path), &attrs, false)
            .map(drop)
            .map_err(std::io::Error::other)
    }

    /// `copy_diff_files` + `copy_left_only` + `copy_common_dirs` +
    /// `chown_recursive` of `src` into the existing folder `dest`.
    fn sync(&self, src: &str, dest: &str) -> std::io::Result<bool> {
        let mut changed = self.diff_files(src, dest)?;
        changed |= self.left_only(src, dest)?;
        changed |= self.common_dirs(src, dest)?;
        changed |= self.chown_recursive(dest).map_err(std::io::Error::other)?;
        Ok(changed)
    }

    fn diff_files(&self, src: &str, dest: &str) -> std::io::Result<bool> {
        let diff = dircmp(src, dest).diff_files;
        let changed = !diff.is_empty();
        if !self.check {
            for item in diff {
                let (s, d) = (
                    fsutil::python_join(src, &item),
                    fsutil::python_join(dest, &item),
                );
                if is_link(&s) && self.opts.local_follow == Some(false) {
                    std::os::unix::fs::symlink(fs::read_link(&s)?, &d)?;
                } else {
                    copy_file_mode(&s, &d)?;
                }
                self.set_owner_group(&d)?;
            }
        }
        Ok(changed)
    }

    fn left_only(&self, src: &str, dest: &str) -> std::io::Result<bool> {
        let left = dircmp(src, dest).left_only;
        let changed = !left.is_empty();
        if self.check {
            return Ok(changed);
        }
        let local_follow = self.opts.local_follow;
        for item in left {
            let (s, d) = (
                fsutil::python_join(src, &item),
                fsutil::python_join(dest, &item),
            );
            let link = is_link(&s);
            let (dir, file) = (is_dir(&s), Path::new(&s).is_file());
            if link && dir && local_follow == Some(true) {
                self.copytree(&s, &d)?;
                self.chown_recursive(&d).map_err(std::io::Error::other)?;
            }
            if link && dir && local_follow == Some(false) {
                std::os::unix::fs::symlink(fs::read_link(&s)?, &d)?;
            }
            if link && file && local_follow == Some(true) {
                fs::copy(&s, &d)?;
                self.set_owner_group(&d)?;
            }
            if link && file && local_follow == Some(false) {
                std::os::unix::fs::symlink(fs::read_link(&s)?, &d)?;
            }
            if !link && file {
                copy_file_mode(&s, &d)?;
                self.set_owner_group(&d)?;
            }
            if !link && dir {
                self.copytree(&s, &d)?;
                self.chown_recursive(&d).map_err(std::io::Error::other)?;
            }
        }
        Ok(changed)
    }

    fn common_dirs(&self, src: &str, dest: &str) -> std::io::Result<bool> {
        let mut changed = false;
        for item in dircmp(src, dest).common_dirs {
            let (s, d) = (
                fsutil::python_join(src, &item),
                fsutil::python_join(dest, &item),
            );
            changed |= self.diff_files(&s, &d)?;
            changed |= self.left_only(&s, &d)?;
            changed |= self.common_dirs(&s, &d)?;
        }
        Ok(changed)
    }

    /// `shutil.copytree(src, dest, symlinks=not local_follow)`.
    fn copytree(&self, src: &str, dest: &str) -> std::io::Result<()> {
        let keep_links = self.opts.local_follow != Some(true);
        copytree(Path::new(src), Path::new(dest), keep_links)
    }

    /// Owner and group applied to everything below `path` (a report of
    /// whether anything differs in check mode).
    fn chown_recursive(&self, path: &str) -> Result<bool, String> {
        if self.opts.owner.is_none() && self.opts.group.is_none() {
            return Ok(false);
        }
        let attrs = self.opts.attrs(None);
        let mut changed = false;
        let mut stack = vec![path.to_string()];
        while let Some(dir) = stack.pop() {
            if !exists(&dir) {
                continue;
            }
            changed |= fsutil::apply_attrs(Path::new(&dir), &attrs, self.check)?;
            for name in fs::read_dir(&dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
            {
                let p = fsutil::python_join(&dir, &name);
                if is_dir(&p) && !is_link(&p) {
                    stack.push(p);
                } else {
                    changed |= fsutil::apply_attrs(Path::new(&p), &attrs, self.check)?;
                }
            }
        }
        Ok(changed)
    }
}

/// `shutil.copyfile` + `shutil.copymode`.
fn copy_file_mode(src: &str, dest: &str) -> std::io::Result<()> {
    let data = fs::read(src)?;
    fs::write(dest, data)?;
    let mode = fs::metadata(src)?.mode() & fsutil::PERM_BITS;
    fs::set_permissions(dest, fs::Permissions::from_mode(mode))
}

/// `shutil.copytree` with `copy2` (contents, mode and times) and the folders'
/// modes and times; links kept as links when `keep_links`.
fn copytree(src: &Path, dest: &Path, keep_links: bool) -> std::io::Result<()> {
    fs::create_dir_all(dest)?;
    let mut names: Vec<_> = fs::read_dir(src)?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let (s, d) = (src.join(&name), dest.join(&name));
        if s.is_symlink() && keep_links {
            std::os::unix::fs::symlink(fs::read_link(&s)?, &d)?;
        } else if s.is_dir() {
            copytree(&s, &d, keep_links)?;
        } else {
            copy_with_stat(&s, &d)?;
        }
    }
    copy_stat(src, dest)
}

fn copy_stat(src: &Path, dest: &Path) -> std::io::Result<()> {
    let meta = fs::metadata(src)?;
    fs::set_permissions(
        dest,
        fs::Permissions::from_mode(meta.mode() & fsutil::PERM_BITS),
    )?;
    let (Ok(a), Ok(m)) = (meta.accessed(), meta.modified()) else {
        return Ok(());
    };
    let _ = fsutil::set_times(dest, a, m);
    Ok(())
}

fn copy_with_stat(src: &Path, dest: &Path) -> std::io::Result<()> {
    fs::copy(src, dest)?;
    copy_stat(src, dest)
}

/// A result object for `copy` unit tests.
#[cfg(test)]
fn extra<'a>(o: &'a Outcome, key: &str) -> Option<&'a Value> {
    o.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::obj;
    use crate::modules::with_test_context;
    use std::path::PathBuf;

    fn tmpdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rustle-copy-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn run_copy(args: Value, check: bool) -> Outcome {
        let lookup = |_: &str| None;
        with_test_context(check, 0, &lookup, |ctx| run(&args, ctx))
    }

    #[test]
    fn content_is_written_once() {
        let dir = tmpdir("content");
        let dest = dir.join("c.txt").to_string_lossy().into_owned();
        let args = obj([
            ("content", Value::str("hello\n")),
            ("dest", Value::str(&dest)),
            ("mode", Value::str("0640")),
        ]);
        let o = run_copy(args.clone(), true);
        assert!(o.changed);
        assert!(!Path::new(&dest).exists());
        let o = run_copy(args.clone(), false);
        assert!(o.changed, "{:?}", o.msg);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "hello\n");
        assert_eq!(extra(&o, "mode"), Some(&Value::str("0640")));
        assert_eq!(
            extra(&o, "checksum"),
            Some(&Value::str(sha1_hex(b"hello\n")))
        );
        assert_eq!(extra(&o, "md5sum"), Some(&Value::str(md5_hex(b"hello\n"))));
        let o = run_copy(args, false);
        assert!(!o.changed);
        assert_eq!(extra(&o, "dest"), Some(&Value::str(&dest)));
        let keep = obj([
            ("content", Value::str("other\n")),
            ("dest", Value::str(&dest)),
            ("force", Value::Bool(false)),
        ]);
        assert!(!run_copy(keep, false).changed);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "hello\n");
        let backup = obj([
            ("content", Value::str("new\n")),
            ("dest", Value::str(&dest)),
            ("backup", Value::Bool(true)),
        ]);
        let o = run_copy(backup, false);
        let b = extra(&o, "backup_file")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(fs::read_to_string(b).unwrap(), "hello\n");
        assert_eq!(fs::read_to_string(&dest).unwrap(), "new\n");
        let bad = obj([
            ("content", Value::str("x")),
            ("dest", Value::str(format!("{}/", dir.display()))),
        ]);
        assert_eq!(
            run_copy(bad, false).msg.to_text(),
            "can not use content with a dir as dest"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn json_content_like_python() {
        let v = obj([
            ("a", Value::Array(vec![Value::Int(1), Value::str("é")])),
            ("b", Value::Null),
        ]);
        assert_eq!(
            String::from_utf8(content_bytes(&v)).unwrap(),
            r#"{"a": [1, "\u00e9"], "b": null}"#
        );
        assert_eq!(content_bytes(&Value::Bool(true)), b"True");
    }

    #[test]
    fn validate_failure_leaves_dest_alone() {
        let dir = tmpdir("validate");
        let dest = dir.join("v.txt").to_string_lossy().into_owned();
        let args = obj([
            ("content", Value::str("abc")),
            ("dest", Value::str(&dest)),
            ("validate", Value::str("grep -q zzz %s")),
        ]);
        let o = run_copy(args, false);
        assert_eq!(o.status, Status::Failed);
        assert_eq!(o.msg.to_text(), "failed to validate");
        assert!(!Path::new(&dest).exists());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn remote_src_folder() {
        let dir = tmpdir("remote");
        let src = dir.join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("a.txt"), b"a").unwrap();
        fs::write(src.join("sub/b.txt"), b"b").unwrap();
        let dest = dir.join("out").to_string_lossy().into_owned();
        let args = obj([
            ("src", Value::str(src.to_string_lossy())),
            ("dest", Value::str(&dest)),
            ("remote_src", Value::Bool(true)),
        ]);
        let o = run_copy(args.clone(), false);
        assert!(o.changed, "{:?}", o.msg);
        assert_eq!(fs::read(dir.join("out/src/sub/b.txt")).unwrap(), b"b");
        assert!(!run_copy(args, false).changed);
        let file_args = obj([
            ("src", Value::str(src.join("a.txt").to_string_lossy())),
            ("dest", Value::str(dir.join("copy.txt").to_string_lossy())),
            ("remote_src", Value::Bool(true)),
        ]);
        assert!(run_copy(file_args.clone(), false).changed);
        assert!(!run_copy(file_args, false).changed);
        fs::remove_dir_all(&dir).unwrap();
    }
}
