//! `stat`: facts about a path, with the keys and types Ansible's module returns.
//!
//! Never changes anything (check mode runs it as usual). A missing path is
//! `{"exists": false}`; any other failure of `stat(2)` is a failed task with the
//! system's message (`Not a directory`). `mimetype`/`charset` come from the
//! `file` tool and `attributes`/`version` from `lsattr` when they are installed,
//! as Ansible gets them; without the tools the keys keep Ansible's defaults
//! (`unknown`, `null`, `[]`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::command::{expand_user, expand_vars, Captured};
use super::params;
use super::sysexec::Tool;
use super::{ModuleContext, Outcome, Status};
use crate::digest::Algorithm;
use crate::json::Value;

/// Ansible's `FILE_ATTRIBUTES`: lsattr flag letters and their names.
const FILE_ATTRIBUTES: [(char, &str); 20] = [
    ('A', "noatime"),
    ('a', "append"),
    ('c', "compressed"),
    ('C', "nocow"),
    ('d', "nodump"),
    ('D', "dirsync"),
    ('e', "extents"),
    ('E', "encrypted"),
    ('h', "blocksize"),
    ('i', "immutable"),
    ('I', "indexed"),
    ('j', "journalled"),
    ('N', "inline"),
    ('s', "zero"),
    ('S', "synchronous"),
    ('t', "notail"),
    ('T', "blockroot"),
    ('u', "undelete"),
    ('X', "compressedraw"),
    ('Z', "compresseddirty"),
];

/// The module's arguments, checked.
struct Args {
    path: String,
    follow: bool,
    get_checksum: bool,
    algorithm: Algorithm,
    get_mime: bool,
    get_attributes: bool,
}

fn parse_args(args: &Value) -> Result<Args, String> {
    let path = params::str_arg(args, "path")?.ok_or("missing required arguments: path")?;
    let algorithm = match params::str_arg(args, "checksum_algorithm")? {
        None => Algorithm::Sha1,
        Some(name) => Algorithm::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
            format!(
                "value of checksum_algorithm must be one of: {}, got: {name}",
                names.join(", ")
            )
        })?,
    };
    Ok(Args {
        // Ansible's `path` type: environment variables, then `~`.
        path: expand_user(&expand_vars(&path)),
        follow: params::bool_arg(args, "follow")?.unwrap_or(false),
        get_checksum: params::bool_arg(args, "get_checksum")?.unwrap_or(true),
        algorithm,
        get_mime: params::bool_arg(args, "get_mime")?.unwrap_or(true),
        get_attributes: params::bool_arg(args, "get_attributes")?.unwrap_or(true),
    })
}

pub fn run(args: &Value, _ctx: &ModuleContext) -> Outcome {
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(msg) => return Outcome::failed(msg),
    };
    match stat_path(&args) {
        Ok(stat) => {
            let mut out = Outcome::new(Status::Ok, false, "");
            out.msg = Value::Null;
            out.extra.push(("stat".to_string(), stat));
            out
        }
        Err(msg) => Outcome::failed(msg),
    }
}

/// The `stat` result object for `args.path`.
fn stat_path(args: &Args) -> Result<Value, String> {
    let path = Path::new(&args.path);
    let found = if args.follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let md = match found {
        Ok(md) => md,
        Err(e) if e.raw_os_error() == Some(ENOENT) => {
            return Ok(Value::Object(vec![("exists".into(), Value::Bool(false))]));
        }
        Err(e) => return Err(strerror(&e)),
    };
    let mut out = format_output(&args.path, &md);
    let readable = access(path, R_OK);
    out.push(("readable".into(), Value::Bool(readable)));
    out.push(("writeable".into(), Value::Bool(access(path, W_OK))));
    out.push(("executable".into(), Value::Bool(access(path, X_OK))));
    let is_link = md.file_type().is_symlink();
    if is_link {
        out.push(("lnk_source".into(), Value::str(lossy(&realpath(path)))));
        let target = std::fs::read_link(path).map_err(|e| strerror(&e))?;
        out.push(("lnk_target".into(), Value::str(lossy(target.as_os_str()))));
    }
    if let Some(pw) = crate::facts::sys::passwd_by_uid(md.uid()) {
        out.push(("pw_name".into(), Value::str(pw.name)));
    }
    if let Some(gr) = crate::facts::sys::group_by_gid(md.gid()) {
        out.push(("gr_name".into(), Value::str(gr.name)));
    }
    if md.file_type().is_file() && readable && args.get_checksum {
        // Ansible reads the file through its resolved path.
        let digest = args
            .algorithm
            .file_hex(path)
            .map_err(|e| format!("cannot read {}: {}", args.path, strerror(&e)))?;
        out.push(("checksum".into(), Value::str(digest)));
    }
    if args.get_mime {
        let (mimetype, charset) = mime_type(&args.path);
        out.push(("mimetype".into(), Value::str(mimetype)));
        out.push(("charset".into(), Value::str(charset)));
    }
    if args.get_attributes {
        let (version, flags) = file_attributes(&args.path);
        let attributes: Vec<Value> = flags
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter_map(|c| FILE_ATTRIBUTES.iter().find(|(f, _)| *f == c))
            .map(|(_, name)| Value::str(*name))
            .collect();
        out.push(("version".into(), version.map_or(Value::Null, Value::Str)));
        out.push(("attributes".into(), Value::Array(attributes)));
        out.push(("attr_flags".into(), Value::str(flags.unwrap_or_default())));
    }
    Ok(Value::Object(out))
}

/// The keys of Ansible's `format_output`, in its order.
fn format_output(path: &str, md: &std::fs::Metadata) -> Vec<(String, Value)> {
    let mode = md.mode();
    let ft = md.file_type();
    let bit = |mask: u32| Value::Bool(mode & mask != 0);
    let mut out: Vec<(String, Value)> = vec![
        ("exists".into(), Value::Bool(true)),
        ("path".into(), Value::str(path)),
        ("mode".into(), Value::str(format!("{:04o}", mode & 0o7777))),
        ("isdir".into(), Value::Bool(ft.is_dir())),
        ("ischr".into(), Value::Bool(is_type(mode, S_IFCHR))),
        ("isblk".into(), Value::Bool(is_type(mode, S_IFBLK))),
        ("isreg".into(), Value::Bool(ft.is_file())),
        ("isfifo".into(), Value::Bool(is_type(mode, S_IFIFO))),
        ("islnk".into(), Value::Bool(ft.is_symlink())),
        ("issock".into(), Value::Bool(is_type(mode, S_IFSOCK))),
        ("uid".into(), Value::Int(md.uid().into())),
        ("gid".into(), Value::Int(md.gid().into())),
        ("size".into(), int(md.size())),
        ("inode".into(), int(md.ino())),
        ("dev".into(), int(md.dev())),
        ("nlink".into(), int(md.nlink())),
        ("atime".into(), time(md.atime(), md.atime_nsec())),
        ("mtime".into(), time(md.mtime(), md.mtime_nsec())),
        ("ctime".into(), time(md.ctime(), md.ctime_nsec())),
        ("wusr".into(), bit(0o200)),
        ("rusr".into(), bit(0o400)),
        ("xusr".into(), bit(0o100)),
        ("wgrp".into(), bit(0o020)),
        ("rgrp".into(), bit(0o040)),
        ("xgrp".into(), bit(0o010)),
        ("woth".into(), bit(0o002)),
        ("roth".into(), bit(0o004)),
        ("xoth".into(), bit(0o001)),
        ("isuid".into(), bit(0o4000)),
        ("isgid".into(), bit(0o2000)),
        ("blocks".into(), int(md.blocks())),
        ("block_size".into(), int(md.blksize())),
        ("device_type".into(), int(md.rdev())),
    ];
    platform_keys(md, &mut out);
    out
}

/// The BSD fields Python's `os.stat` has on macOS (`st_flags`, `st_gen`, `st_birthtime`).
#[cfg(target_os = "macos")]
fn platform_keys(md: &std::fs::Metadata, out: &mut Vec<(String, Value)>) {
    use std::os::macos::fs::MetadataExt as _;
    out.push(("flags".into(), int(md.st_flags().into())));
    out.push(("generation".into(), int(md.st_gen().into())));
    out.push((
        "birthtime".into(),
        time(md.st_birthtime(), md.st_birthtime_nsec()),
    ));
}

#[cfg(not(target_os = "macos"))]
fn platform_keys(_md: &std::fs::Metadata, _out: &mut [(String, Value)]) {}

const S_IFMT: u32 = 0o170000;
const S_IFSOCK: u32 = 0o140000;
const S_IFBLK: u32 = 0o060000;
const S_IFCHR: u32 = 0o020000;
const S_IFIFO: u32 = 0o010000;
const ENOENT: i32 = 2;

fn is_type(mode: u32, kind: u32) -> bool {
    mode & S_IFMT == kind
}

fn int(n: u64) -> Value {
    i64::try_from(n).map_or(Value::Float(n as f64), Value::Int)
}

/// Python's float timestamp: `sec + nsec * 1e-9`.
fn time(sec: i64, nsec: i64) -> Value {
    Value::Float(sec as f64 + nsec as f64 * 1e-9)
}

fn lossy(s: &OsStr) -> String {
    s.to_string_lossy().into_owned()
}

/// The C library's message for an OS error (Python's `strerror`), without Rust's
/// ` (os error N)` suffix.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(pos) if e.raw_os_error().is_some() => text[..pos].to_string(),
        _ => text,
    }
}

const R_OK: i32 = 4;
const W_OK: i32 = 2;
const X_OK: i32 = 1;

/// `access(2)` for the real user and group (Python's `os.access`).
#[cfg(unix)]
fn access(path: &Path, mode: i32) -> bool {
    use std::ffi::{c_char, c_int, CString};
    extern "C" {
        fn access(path: *const c_char, mode: c_int) -> c_int;
    }
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call;
    // access(2) only reads it.
    unsafe { access(c_path.as_ptr(), mode) == 0 }
}

#[cfg(not(unix))]
fn access(_path: &Path, _mode: i32) -> bool {
    false
}

/// Python's `os.path.realpath` (non-strict): every symlink resolved as far as the
/// file system allows, missing components kept as written, then made absolute.
fn realpath(path: &Path) -> std::ffi::OsString {
    let mut seen = Vec::new();
    let (joined, _) = join_realpath(Vec::new(), path.as_os_str().as_bytes(), &mut seen);
    OsStr::from_bytes(&abspath(joined)).to_os_string()
}

type Seen = Vec<(Vec<u8>, Option<Vec<u8>>)>;

fn join_realpath(mut path: Vec<u8>, rest: &[u8], seen: &mut Seen) -> (Vec<u8>, bool) {
    let mut rest = rest;
    if rest.starts_with(b"/") {
        rest = &rest[1..];
        path = b"/".to_vec();
    }
    while !rest.is_empty() {
        let (name, tail) = match rest.iter().position(|&b| b == b'/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b""[..]),
        };
        rest = tail;
        if name.is_empty() || name == b"." {
            continue;
        }
        if name == b".." {
            if path.is_empty() {
                path = b"..".to_vec();
            } else {
                let (head, last) = split(&path);
                path = head;
                if last == b".." {
                    path = join(&join(&path, b".."), b"..");
                }
            }
            continue;
        }
        let newpath = join(&path, name);
        let is_link = std::fs::symlink_metadata(OsStr::from_bytes(&newpath))
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link {
            path = newpath;
            continue;
        }
        if let Some((_, resolved)) = seen.iter().find(|(p, _)| *p == newpath) {
            match resolved {
                Some(resolved) => {
                    path = resolved.clone();
                    continue;
                }
                // A symlink loop: the resolved part and the rest unchanged.
                None => return (join(&newpath, rest), false),
            }
        }
        seen.push((newpath.clone(), None));
        let target = match std::fs::read_link(OsStr::from_bytes(&newpath)) {
            Ok(t) => t.into_os_string().into_vec(),
            // Python would raise; keep the path as it is.
            Err(_) => {
                path = newpath;
                continue;
            }
        };
        let (resolved, ok) = join_realpath(path, &target, seen);
        if !ok {
            return (join(&resolved, rest), false);
        }
        if let Some(slot) = seen.iter_mut().find(|(p, _)| *p == newpath) {
            slot.1 = Some(resolved.clone());
        }
        path = resolved;
    }
    (path, true)
}

use std::os::unix::ffi::OsStringExt;

/// `posixpath.join(a, b)`.
fn join(a: &[u8], b: &[u8]) -> Vec<u8> {
    if b.starts_with(b"/") {
        return b.to_vec();
    }
    let mut out = a.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(b);
    out
}

/// `posixpath.split(p)`.
fn split(p: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let i = p.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (mut head, tail) = (p[..i].to_vec(), p[i..].to_vec());
    if !head.is_empty() && head.iter().any(|&b| b != b'/') {
        while head.ends_with(b"/") {
            head.pop();
        }
    }
    (head, tail)
}

/// `posixpath.abspath(p)`.
fn abspath(p: Vec<u8>) -> Vec<u8> {
    if p.starts_with(b"/") {
        return normpath(&p);
    }
    let cwd = std::env::current_dir()
        .map(|c| c.into_os_string().into_vec())
        .unwrap_or_else(|_| b"/".to_vec());
    normpath(&join(&cwd, &p))
}

/// `posixpath.normpath(p)`.
fn normpath(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let initial = if p.starts_with(b"//") && !p.starts_with(b"///") {
        2
    } else if p.starts_with(b"/") {
        1
    } else {
        0
    };
    let mut comps: Vec<&[u8]> = Vec::new();
    for comp in p.split(|&b| b == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp != b".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&&b".."[..])
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = vec![b'/'; initial];
    out.extend_from_slice(&comps.join(&b'/'));
    if out.is_empty() {
        return b".".to_vec();
    }
    out
}

/// `mimetype` and `charset` as Ansible reads them from `file --mime-type
/// --mime-encoding PATH`; `unknown` when the tool is missing or its output does not
/// parse.
fn mime_type(path: &str) -> (String, String) {
    let unknown = || "unknown".to_string();
    let Ok(ran) = run_tool("file", &["--mime-type", "--mime-encoding", path]) else {
        return (unknown(), unknown());
    };
    if ran.rc != 0 {
        return (unknown(), unknown());
    }
    let Some((_, last)) = ran.stdout.rsplit_once(':') else {
        return (unknown(), unknown());
    };
    let parts: Vec<&str> = last.split(';').collect();
    let [mimetype, charset] = parts.as_slice() else {
        return (unknown(), unknown());
    };
    // Python sets `mimetype` before failing on a `charset` without `=`.
    let charset = charset
        .split('=')
        .nth(1)
        .map_or_else(unknown, |c| python_strip(c).to_string());
    (python_strip(mimetype).to_string(), charset)
}

/// `version` and `attr_flags` from `lsattr -vd PATH`, as Ansible's
/// `get_file_attributes` reads them (`None` where it has nothing).
fn file_attributes(path: &str) -> (Option<String>, Option<String>) {
    let Ok(ran) = run_tool("lsattr", &["-vd", path]) else {
        return (None, None);
    };
    if ran.rc != 0 {
        return (None, None);
    }
    let words: Vec<&str> = ran.stdout.split_whitespace().collect();
    let version = words.first().map(|w| w.to_string());
    let flags = words.get(1).map(|w| w.replace('-', ""));
    (version, flags)
}

/// Runs the program `name` found as Ansible's `get_bin_path` finds it (`PATH`, then the
/// sbin directories); `Err` when it is missing or cannot start.
fn run_tool(name: &str, args: &[&str]) -> Result<Captured, ()> {
    let tool = Tool::locate(name, &[]).ok_or(())?;
    tool.run(args).map_err(|_| ())
}

/// Python's `str.strip()` for the whitespace `file` prints.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::modules::with_test_context;

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rustle-stat-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn stat_of(args: &str) -> Outcome {
        let lookup = |_: &str| None;
        with_test_context(false, 0, &lookup, |ctx| run(&parse(args).unwrap(), ctx))
    }

    fn stat_value(out: &Outcome) -> &Value {
        &out.extra.iter().find(|(k, _)| k == "stat").unwrap().1
    }

    #[test]
    fn regular_file_keys() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tmpdir("file");
        let file = dir.join("f");
        std::fs::write(&file, "hello\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = stat_of(&format!(
            r#"{{"path": "{}", "checksum_algorithm": "sha256", "get_mime": false}}"#,
            file.display()
        ));
        assert_eq!(out.status, Status::Ok);
        assert!(!out.changed);
        let st = stat_value(&out);
        assert_eq!(st.get("exists"), Some(&Value::Bool(true)));
        assert_eq!(st.get("mode"), Some(&Value::str("0640")));
        assert_eq!(st.get("isreg"), Some(&Value::Bool(true)));
        assert_eq!(st.get("size"), Some(&Value::Int(6)));
        assert_eq!(st.get("rgrp"), Some(&Value::Bool(true)));
        assert_eq!(st.get("roth"), Some(&Value::Bool(false)));
        assert_eq!(
            st.get("checksum"),
            Some(&Value::str(crate::digest::sha256_hex(b"hello\n")))
        );
        assert!(matches!(st.get("mtime"), Some(Value::Float(_))));
        assert!(st.get("mimetype").is_none());
        let keys: Vec<&str> = st
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(&keys[..3], &["exists", "path", "mode"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_missing_paths_and_errors() {
        let dir = tmpdir("link");
        std::fs::write(dir.join("target"), "x").unwrap();
        std::os::unix::fs::symlink("target", dir.join("lnk")).unwrap();
        std::os::unix::fs::symlink("nowhere/deeper", dir.join("dangling")).unwrap();
        let out = stat_of(&format!(r#"{{"path": "{}/lnk"}}"#, dir.display()));
        let st = stat_value(&out);
        assert_eq!(st.get("islnk"), Some(&Value::Bool(true)));
        assert_eq!(st.get("lnk_target"), Some(&Value::str("target")));
        let resolved = dir.canonicalize().unwrap().join("target");
        assert_eq!(
            st.get("lnk_source"),
            Some(&Value::str(resolved.display().to_string()))
        );
        assert!(st.get("checksum").is_none());
        let out = stat_of(&format!(
            r#"{{"path": "{}/lnk", "follow": "yes"}}"#,
            dir.display()
        ));
        let st = stat_value(&out);
        assert_eq!(st.get("islnk"), Some(&Value::Bool(false)));
        assert_eq!(
            st.get("checksum"),
            Some(&Value::str(crate::digest::sha1_hex(b"x")))
        );
        let out = stat_of(&format!(r#"{{"path": "{}/dangling"}}"#, dir.display()));
        let canon = dir.canonicalize().unwrap();
        assert_eq!(
            stat_value(&out).get("lnk_source"),
            Some(&Value::str(format!("{}/nowhere/deeper", canon.display())))
        );
        let out = stat_of(&format!(
            r#"{{"path": "{}/dangling", "follow": true}}"#,
            dir.display()
        ));
        assert_eq!(stat_value(&out).to_compact(), r#"{"exists":false}"#);
        let out = stat_of(&format!(r#"{{"path": "{}/target/x"}}"#, dir.display()));
        assert_eq!(out.status, Status::Failed);
        assert_eq!(out.msg, Value::str("Not a directory"));
        let out = stat_of(r#"{"path": "/x", "checksum_algorithm": "crc32"}"#);
        assert_eq!(
            out.msg,
            Value::str(
                "value of checksum_algorithm must be one of: md5, sha1, sha224, sha256, \
                 sha384, sha512, got: crc32"
            )
        );
        let out = stat_of(r#"{"follow": true}"#);
        assert_eq!(out.msg, Value::str("missing required arguments: path"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn path_helpers_match_posixpath() {
        assert_eq!(normpath(b"//a/../b/./c//"), b"//b/c");
        assert_eq!(normpath(b"///a"), b"/a");
        assert_eq!(normpath(b"a/../.."), b"..");
        assert_eq!(normpath(b"/.."), b"/");
        assert_eq!(normpath(b""), b".");
        assert_eq!(split(b"/a/b"), (b"/a".to_vec(), b"b".to_vec()));
        assert_eq!(split(b"//b"), (b"//".to_vec(), b"b".to_vec()));
        assert_eq!(join(b"a", b"/b"), b"/b");
        assert_eq!(join(b"a/", b"b"), b"a/b");
        assert_eq!(realpath(Path::new("/no/such/../thing")), "/no/thing");
    }
}
