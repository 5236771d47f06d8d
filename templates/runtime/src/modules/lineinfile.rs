//! `lineinfile`: makes sure a line is in a file (or is not), as Ansible's module does.
//!
//! Like Ansible, the file is handled as bytes: it is split after each `\n` (each line keeps
//! its own ending), `regexp` / `insertafter` / `insertbefore` are bytes patterns searched in
//! each line (ending included) and `backrefs` expands the line with `Match.expand`. The
//! regexes were parsed and lowered on the controller (`_regexp`, `_insertafter`,
//! `_insertbefore`; see `docs/regex-ir.md`). New lines end with `\n`; a file whose last line
//! has no line ending gets one before a line is appended. Messages, `backup`, `found`,
//! check mode and the `diff` list follow Ansible's module.

use std::fs;
use std::path::Path;

use super::command::{expand_user, expand_vars, os_error};
use super::fsutil::{self, AttrDiff, FileAttrs, PendingWrite};
use super::{params, ModuleContext, Outcome, Status};
use crate::json::Value;
use crate::regex::Regex;

const LINESEP: &[u8] = b"\n";

const EMPTY_REGEXP_WARNING: &str = "The regular expression is an empty string, which will match \
every line in the file. This may have unintended consequences, such as replacing the last line \
in the file rather than appending. If this is desired, use '^' to match every line in the file \
and avoid this warning.";
const EMPTY_SEARCH_WARNING: &str = "The search string is an empty string, which will match \
every line in the file. This may have unintended consequences, such as replacing the last line \
in the file rather than appending.";

/// The module's arguments, checked.
pub(crate) struct Params {
    pub path: String,
    pub present: bool,
    pub regexp: Option<Regex>,
    pub search_string: Option<Vec<u8>>,
    pub line: Option<Vec<u8>>,
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
    /// The compiled `insertafter` or `insertbefore` when it is a regex.
    pub insert_re: Option<Regex>,
    pub backrefs: bool,
    pub create: bool,
    pub backup: bool,
    pub firstmatch: bool,
    pub validate: Option<String>,
    pub attrs: FileAttrs,
    pub warnings: Vec<String>,
}

fn flag(args: &Value, key: &str) -> Result<bool, String> {
    Ok(params::bool_arg(args, key)?.unwrap_or(false))
}

fn lowered(args: &Value, key: &str, what: &str) -> Result<Option<Regex>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(ir) => Regex::decode(ir)
            .map(Some)
            .map_err(|e| format!("{what}: {e}")),
    }
}

pub(crate) fn params(args: &Value) -> Result<Params, String> {
    let path = params::str_arg(args, "path")?.ok_or("missing required arguments: path")?;
    let path = expand_user(&expand_vars(&path));
    let state = params::str_arg(args, "state")?.unwrap_or_else(|| "present".to_string());
    let present = match state.as_str() {
        "present" => true,
        "absent" => false,
        other => {
            return Err(format!(
                "value of state must be one of: absent, present, got: {other}"
            ))
        }
    };
    let regexp_text = params::str_arg(args, "regexp")?;
    let search_string = params::str_arg(args, "search_string")?;
    let insertafter = params::str_arg(args, "insertafter")?;
    let insertbefore = params::str_arg(args, "insertbefore")?;
    let backrefs = flag(args, "backrefs")?;
    for (a, b, both) in [
        (
            insertbefore.is_some(),
            insertafter.is_some(),
            "insertbefore|insertafter",
        ),
        (
            regexp_text.is_some(),
            search_string.is_some(),
            "regexp|search_string",
        ),
        (backrefs, search_string.is_some(), "backrefs|search_string"),
    ] {
        if a && b {
            return Err(format!("parameters are mutually exclusive: {both}"));
        }
    }
    let regexp = match &regexp_text {
        None => None,
        Some(_) => Some(
            lowered(args, "_regexp", "regexp")?
                .ok_or("regexp: the controller did not lower this regular expression")?,
        ),
    };
    let insert_re = match (&insertafter, &insertbefore) {
        (Some(after), _) if after != "BOF" && after != "EOF" => Some(
            lowered(args, "_insertafter", "insertafter")?
                .ok_or("insertafter: the controller did not lower this regular expression")?,
        ),
        (_, Some(before)) if before != "BOF" => Some(
            lowered(args, "_insertbefore", "insertbefore")?
                .ok_or("insertbefore: the controller did not lower this regular expression")?,
        ),
        _ => None,
    };
    let mut warnings = Vec::new();
    if regexp_text.as_deref() == Some("") {
        warnings.push(EMPTY_REGEXP_WARNING.to_string());
    } else if search_string.as_deref() == Some("") {
        warnings.push(EMPTY_SEARCH_WARNING.to_string());
    }
    Ok(Params {
        path,
        present,
        regexp,
        search_string: search_string.map(String::into_bytes),
        line: params::str_arg(args, "line")?.map(String::into_bytes),
        insertafter,
        insertbefore,
        insert_re,
        backrefs,
        create: flag(args, "create")?,
        backup: flag(args, "backup")?,
        firstmatch: flag(args, "firstmatch")?,
        validate: params::str_arg(args, "validate")?,
        attrs: FileAttrs::from_args(args)?,
        warnings,
    })
}

/// Splits like Python's `bytes.readlines()`: after each `\n`, endings kept.
pub(crate) fn split_lines(content: &[u8]) -> Vec<Vec<u8>> {
    content
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Python's `line.rstrip(b'\r\n')`.
fn strip_ending(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

fn ends_with_newline(line: &[u8]) -> bool {
    matches!(line.last(), Some(b'\n' | b'\r'))
}

fn with_sep(line: &[u8]) -> Vec<u8> {
    let mut out = line.to_vec();
    out.extend_from_slice(LINESEP);
    out
}

/// What `state=present` does to the lines: the new lines, whether they changed, the message.
pub(crate) fn present_lines(
    mut lines: Vec<Vec<u8>>,
    p: &Params,
) -> Result<(Vec<Vec<u8>>, bool, &'static str), String> {
    let line: &[u8] = p.line.as_deref().unwrap_or_default();
    // Deal with the insertafter default value as Ansible does.
    let (insertafter, insertbefore) = match (&p.insertafter, &p.insertbefore) {
        (None, None) => (Some("EOF"), None),
        (a, b) => (a.as_deref(), b.as_deref()),
    };
    let mut index = [-1isize, -1isize];
    // The regexp's match: the line it was found in and its groups.
    let mut found: Option<(usize, crate::regex::Spans)> = None;
    let mut search_found = false;
    if let Some(re) = &p.regexp {
        for (lineno, cur) in lines.iter().enumerate() {
            if let Some(spans) = re.search_bytes(cur)? {
                index[0] = lineno as isize;
                found = Some((lineno, spans));
                if p.firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(needle) = &p.search_string {
        for (lineno, cur) in lines.iter().enumerate() {
            if contains(cur, needle) {
                index[0] = lineno as isize;
                search_found = true;
                if p.firstmatch {
                    break;
                }
            }
        }
    }
    if found.is_none() && !search_found {
        for (lineno, cur) in lines.iter().enumerate() {
            if line == strip_ending(cur) {
                index[0] = lineno as isize;
            } else if let Some(ins) = &p.insert_re {
                if ins.search_bytes(cur)?.is_some() {
                    if insertafter.is_some_and(|s| !s.is_empty()) {
                        index[1] = lineno as isize + 1;
                        if p.firstmatch {
                            break;
                        }
                    }
                    if insertbefore.is_some_and(|s| !s.is_empty()) {
                        index[1] = lineno as isize;
                        if p.firstmatch {
                            break;
                        }
                    }
                }
            }
        }
    }
    let mut changed = false;
    let mut msg = "";
    if index[0] != -1 {
        let at = index[0] as usize;
        let mut new_line = match (&found, &p.regexp) {
            (Some((lineno, spans)), Some(re)) if p.backrefs => {
                re.expand_bytes(line, &lines[*lineno], spans)?
            }
            _ => line.to_vec(),
        };
        if !new_line.ends_with(LINESEP) {
            new_line.extend_from_slice(LINESEP);
        }
        if lines[at] != new_line {
            lines[at] = new_line;
            msg = "line replaced";
            changed = true;
        }
    } else if p.backrefs {
        // Nothing: the line cannot be built without a match for the backrefs.
    } else if insertbefore == Some("BOF") || insertafter == Some("BOF") {
        lines.insert(0, with_sep(line));
        msg = "line added";
        changed = true;
    } else if insertafter == Some("EOF") || index[1] == -1 {
        if lines.last().is_some_and(|last| !ends_with_newline(last)) {
            lines.push(LINESEP.to_vec());
        }
        lines.push(with_sep(line));
        msg = "line added";
        changed = true;
    } else if insertafter.is_some_and(|s| !s.is_empty()) {
        let at = index[1] as usize;
        if lines.len() == at {
            if strip_ending(&lines[at - 1]) != line {
                lines.push(with_sep(line));
                msg = "line added";
                changed = true;
            }
        } else if line != strip_ending(&lines[at]) {
            lines.insert(at, with_sep(line));
            msg = "line added";
            changed = true;
        }
    } else {
        lines.insert(index[1] as usize, with_sep(line));
        msg = "line added";
        changed = true;
    }
    Ok((lines, changed, msg))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// What `state=absent` does to the lines: the lines kept and how many were removed.
pub(crate) fn absent_lines(
    lines: Vec<Vec<u8>>,
    p: &Params,
) -> Result<(Vec<Vec<u8>>, usize), String> {
    let line: &[u8] = p.line.as_deref().unwrap_or_default();
    let mut kept = Vec::with_capacity(lines.len());
    let mut found = 0;
    for cur in lines {
        let matched = if let Some(re) = &p.regexp {
            re.search_bytes(&cur)?.is_some()
        } else if let Some(needle) = &p.search_string {
            contains(&cur, needle)
        } else {
            line == strip_ending(&cur)
        };
        if matched {
            found += 1;
        } else {
            kept.push(cur);
        }
    }
    Ok((kept, found))
}

fn text(bytes: &[u8]) -> Value {
    Value::str(String::from_utf8_lossy(bytes))
}

fn content_diff(dest: &str) -> Vec<(String, Value)> {
    vec![
        ("before".into(), Value::str("")),
        ("after".into(), Value::str("")),
        (
            "before_header".into(),
            Value::str(format!("{dest} (content)")),
        ),
        (
            "after_header".into(),
            Value::str(format!("{dest} (content)")),
        ),
    ]
}

fn set(members: &mut [(String, Value)], key: &str, value: Value) {
    if let Some(slot) = members.iter_mut().find(|(k, _)| k == key) {
        slot.1 = value;
    }
}

fn fail_rc(msg: String, rc: i64) -> Outcome {
    let mut out = Outcome::failed(msg);
    out.rc = Some(rc);
    out
}

/// Writes the new contents: a temporary file beside the real destination, `validate` on it,
/// then renamed over it (Ansible's `write_changes`).
fn write_changes(lines: &[Vec<u8>], dest: &str, validate: Option<&str>) -> Result<(), String> {
    let target = fsutil::realpath(Path::new(dest));
    let content = lines.concat();
    let pending = PendingWrite::create(&target, &content)?;
    if let Some(cmd) = validate {
        if let Err(failed) = fsutil::validate_outcome(cmd, pending.path()) {
            let rc = failed
                .extra
                .iter()
                .find(|(key, _)| key == "exit_status")
                .map(|(_, v)| v.to_text());
            let msg = match rc {
                Some(rc) => format!("failed to validate: rc:{rc} error:{}", failed.stderr),
                None => failed.msg.to_text(),
            };
            return Err(msg);
        }
    }
    pending.commit(&target, true)
}

/// Applies mode/owner/group (Ansible's `check_file_attrs`): the message and `changed` after.
fn check_file_attrs(
    p: &Params,
    mut changed: bool,
    mut msg: String,
    check_mode: bool,
    diff: &mut AttrDiff,
) -> Result<(String, bool), String> {
    if fsutil::apply_attrs_diff(Path::new(&p.path), &p.attrs, check_mode, Some(diff))? {
        if changed {
            msg.push_str(" and ");
        }
        changed = true;
        msg.push_str("ownership, perms or SE linux context changed");
    }
    Ok((msg, changed))
}

fn attr_diff_value(dest: &str, diff: AttrDiff) -> Value {
    let mut members = Vec::new();
    if !diff.before.is_empty() || !diff.after.is_empty() {
        members.push(("before".to_string(), Value::Object(diff.before)));
        members.push(("after".to_string(), Value::Object(diff.after)));
    }
    members.push((
        "before_header".into(),
        Value::str(format!("{dest} (file attributes)")),
    ));
    members.push((
        "after_header".into(),
        Value::str(format!("{dest} (file attributes)")),
    ));
    Value::Object(members)
}

fn finish(
    changed: bool,
    msg: String,
    backup: String,
    extra: Vec<(String, Value)>,
    diff: Option<Value>,
) -> Outcome {
    let status = if changed { Status::Changed } else { Status::Ok };
    let mut out = Outcome::new(status, changed, msg);
    out.extra.extend(extra);
    out.extra.push(("backup".into(), Value::str(backup)));
    out.diff = diff;
    out
}

fn present(p: &Params, ctx: &ModuleContext) -> Outcome {
    let dest = p.path.as_str();
    let mut diff = content_diff(dest);
    let exists = Path::new(dest).exists();
    let lines = if !exists {
        if !p.create {
            return fail_rc(format!("Destination {dest} does not exist !"), 257);
        }
        if let Some(parent) = Path::new(dest).parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() && !ctx.check_mode {
                if let Err(e) = fs::create_dir_all(parent) {
                    return Outcome::failed(format!(
                        "Error creating {} ({})",
                        parent.display(),
                        os_error(&e, &parent.to_string_lossy())
                    ));
                }
            }
        }
        Vec::new()
    } else {
        match fs::read(dest) {
            Ok(content) => split_lines(&content),
            Err(e) => return Outcome::failed(os_error(&e, dest)),
        }
    };
    if ctx.diff_mode {
        set(&mut diff, "before", text(&lines.concat()));
    }
    let (lines, changed, msg) = match present_lines(lines, p) {
        Ok(result) => result,
        Err(e) => return Outcome::failed(e),
    };
    if ctx.diff_mode {
        set(&mut diff, "after", text(&lines.concat()));
    }
    let mut backup = String::new();
    if changed && !ctx.check_mode {
        if p.backup && Path::new(dest).exists() {
            match fsutil::backup_file(Path::new(dest)) {
                Ok(name) => backup = name,
                Err(e) => return Outcome::failed(e),
            }
        }
        if let Err(e) = write_changes(&lines, dest, p.validate.as_deref()) {
            return Outcome::failed(e);
        }
    }
    let mut extra = Vec::new();
    if !p.warnings.is_empty() {
        extra.push((
            "warnings".to_string(),
            Value::Array(p.warnings.iter().map(Value::str).collect()),
        ));
    }
    if ctx.check_mode && !Path::new(dest).exists() {
        let diff = ctx.diff_mode.then_some(Value::Object(diff));
        return finish(changed, msg.to_string(), backup, extra, diff);
    }
    let mut attr_diff = AttrDiff::default();
    let (msg, changed) =
        match check_file_attrs(p, changed, msg.to_string(), ctx.check_mode, &mut attr_diff) {
            Ok(result) => result,
            Err(e) => return Outcome::failed(e),
        };
    let diff = ctx
        .diff_mode
        .then(|| Value::Array(vec![Value::Object(diff), attr_diff_value(dest, attr_diff)]));
    finish(changed, msg, backup, extra, diff)
}

fn absent(p: &Params, ctx: &ModuleContext) -> Outcome {
    let dest = p.path.as_str();
    if !Path::new(dest).exists() {
        let mut out = Outcome::ok("file not present");
        if !p.warnings.is_empty() {
            out.extra.push((
                "warnings".to_string(),
                Value::Array(p.warnings.iter().map(Value::str).collect()),
            ));
        }
        return out;
    }
    let mut diff = content_diff(dest);
    let lines = match fs::read(dest) {
        Ok(content) => split_lines(&content),
        Err(e) => return Outcome::failed(os_error(&e, dest)),
    };
    if ctx.diff_mode {
        set(&mut diff, "before", text(&lines.concat()));
    }
    let (lines, found) = match absent_lines(lines, p) {
        Ok(result) => result,
        Err(e) => return Outcome::failed(e),
    };
    let changed = found > 0;
    if ctx.diff_mode {
        set(&mut diff, "after", text(&lines.concat()));
    }
    let mut backup = String::new();
    if changed && !ctx.check_mode {
        if p.backup {
            match fsutil::backup_file(Path::new(dest)) {
                Ok(name) => backup = name,
                Err(e) => return Outcome::failed(e),
            }
        }
        if let Err(e) = write_changes(&lines, dest, p.validate.as_deref()) {
            return Outcome::failed(e);
        }
    }
    let msg = if changed {
        format!("{found} line(s) removed")
    } else {
        String::new()
    };
    let mut attr_diff = AttrDiff::default();
    let (msg, changed) = match check_file_attrs(p, changed, msg, ctx.check_mode, &mut attr_diff) {
        Ok(result) => result,
        Err(e) => return Outcome::failed(e),
    };
    let mut extra = vec![("found".to_string(), Value::Int(found as i64))];
    if !p.warnings.is_empty() {
        extra.push((
            "warnings".to_string(),
            Value::Array(p.warnings.iter().map(Value::str).collect()),
        ));
    }
    let diff = ctx
        .diff_mode
        .then(|| Value::Array(vec![Value::Object(diff), attr_diff_value(dest, attr_diff)]));
    finish(changed, msg, backup, extra, diff)
}

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    let p = match params(args) {
        Ok(p) => p,
        Err(msg) => return Outcome::failed(msg),
    };
    if Path::new(&p.path).is_dir() {
        return fail_rc(format!("Path {} is a directory !", p.path), 256);
    }
    if p.present {
        if p.backrefs && p.regexp.is_none() {
            return Outcome::failed("regexp is required with backrefs=true");
        }
        if p.line.is_none() {
            return Outcome::failed("line is required with state=present");
        }
        present(&p, ctx)
    } else {
        if p.regexp.is_none() && p.search_string.is_none() && p.line.is_none() {
            return Outcome::failed(
                "one of line, search_string, or regexp is required with state=absent",
            );
        }
        absent(&p, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::modules::with_test_context;

    // Arguments as the controller's normalizer writes them (lowered regexes included).
    const PORT: &str = r#"{"path":"/f","state":"present","regexp":"^#?Port ","line":"Port 2222","_regexp":{"v":1,"mode":"bytes","groups":0,"names":{},"re":["seq",["at","beginning"],["repeat",0,1,"greedy",["char",35]],["char",80],["char",111],["char",114],["char",116],["char",32]]}}"#;
    const LISTEN: &str = r#"{"path":"/f","state":"present","regexp":"^(\\s*)#?ListenAddress\\s","line":"\\1ListenAddress 0.0.0.0","backrefs":true,"_regexp":{"v":1,"mode":"bytes","groups":1,"names":{},"re":["seq",["at","beginning"],["group",1,["repeat",0,null,"greedy",["set",null,false,["space"]]]],["repeat",0,1,"greedy",["char",35]],["char",76],["char",105],["char",115],["char",116],["char",101],["char",110],["char",65],["char",100],["char",100],["char",114],["char",101],["char",115],["char",115],["set",null,false,["space"]]]}}"#;
    const AFTER: &str = r#"{"path":"/f","state":"present","line":"after","insertafter":"^\\[main\\]","_insertafter":{"v":1,"mode":"bytes","groups":0,"names":{},"re":["seq",["at","beginning"],["char",91],["char",109],["char",97],["char",105],["char",110],["char",93]]}}"#;
    const BEFORE: &str = r#"{"path":"/f","state":"present","line":"before","insertbefore":"^\\[main\\]","firstmatch":true,"_insertbefore":{"v":1,"mode":"bytes","groups":0,"names":{},"re":["seq",["at","beginning"],["char",91],["char",109],["char",97],["char",105],["char",110],["char",93]]}}"#;
    const ABSENT: &str = r#"{"path":"/f","state":"absent","regexp":"^#","_regexp":{"v":1,"mode":"bytes","groups":0,"names":{},"re":["seq",["at","beginning"],["char",35]]}}"#;

    fn with(args: &str, edit: impl FnOnce(&mut Value)) -> Params {
        let mut v = parse(args).unwrap();
        edit(&mut v);
        params(&v).unwrap()
    }

    fn put(v: &mut Value, key: &str, value: Value) {
        if let Value::Object(members) = v {
            members.retain(|(k, _)| k != key);
            members.push((key.to_string(), value));
        }
    }

    fn present_text(p: &Params, before: &str) -> (String, bool, &'static str) {
        let (lines, changed, msg) = present_lines(split_lines(before.as_bytes()), p).unwrap();
        (String::from_utf8(lines.concat()).unwrap(), changed, msg)
    }

    #[test]
    fn splits_like_readlines() {
        assert_eq!(split_lines(b""), Vec::<Vec<u8>>::new());
        assert_eq!(
            split_lines(b"a\r\nb\rc"),
            vec![b"a\r\n".to_vec(), b"b\rc".to_vec()]
        );
        assert_eq!(strip_ending(b"x\r\r\n"), b"x");
    }

    #[test]
    fn regexp_replaces_the_last_match_or_the_first() {
        let p = with(PORT, |_| {});
        let text = "Port 22\n#Port 1\nother\n";
        assert_eq!(
            present_text(&p, text),
            ("Port 22\nPort 2222\nother\n".into(), true, "line replaced")
        );
        let p = with(PORT, |v| put(v, "firstmatch", Value::Bool(true)));
        assert_eq!(
            present_text(&p, text),
            ("Port 2222\n#Port 1\nother\n".into(), true, "line replaced")
        );
        let p = with(PORT, |_| {});
        assert_eq!(
            present_text(&p, "Port 2222\n"),
            ("Port 2222\n".into(), false, "")
        );
        // A CRLF line is replaced by the line and "\n", as Ansible writes it.
        assert_eq!(
            present_text(&p, "Port 22\r\nx\r\n"),
            ("Port 2222\nx\r\n".into(), true, "line replaced")
        );
        // No match: appended, after a newline for a last line without one.
        assert_eq!(
            present_text(&p, "a"),
            ("a\nPort 2222\n".into(), true, "line added")
        );
        assert_eq!(
            present_text(&p, ""),
            ("Port 2222\n".into(), true, "line added")
        );
    }

    #[test]
    fn backrefs_expand_or_leave_the_file_alone() {
        let p = with(LISTEN, |_| {});
        assert_eq!(
            present_text(&p, "  #ListenAddress 1.2.3.4\n"),
            ("  ListenAddress 0.0.0.0\n".into(), true, "line replaced")
        );
        assert_eq!(
            present_text(&p, "Port 22\n"),
            ("Port 22\n".into(), false, "")
        );
    }

    #[test]
    fn insertafter_and_insertbefore() {
        let p = with(AFTER, |_| {});
        assert_eq!(
            present_text(&p, "[main]\nx=1\n"),
            ("[main]\nafter\nx=1\n".into(), true, "line added")
        );
        assert_eq!(
            present_text(&p, "[main]\nafter\n"),
            ("[main]\nafter\n".into(), false, "")
        );
        // Ansible's own quirk: after a last line without a newline, the line is glued on.
        assert_eq!(
            present_text(&p, "[main]"),
            ("[main]after\n".into(), true, "line added")
        );
        assert_eq!(
            present_text(&p, "x\n"),
            ("x\nafter\n".into(), true, "line added")
        );
        let p = with(BEFORE, |_| {});
        assert_eq!(
            present_text(&p, "a\n[main]\n[main]\n"),
            ("a\nbefore\n[main]\n[main]\n".into(), true, "line added")
        );
        let p = with(BEFORE, |v| {
            put(v, "insertbefore", Value::str("BOF"));
            put(v, "_insertbefore", Value::Null);
        });
        assert_eq!(
            present_text(&p, "a\n"),
            ("before\na\n".into(), true, "line added")
        );
    }

    #[test]
    fn absent_counts_removed_lines() {
        let p = with(ABSENT, |_| {});
        let (lines, found) = absent_lines(split_lines(b"#a\nb\n#c"), &p).unwrap();
        assert_eq!((lines.concat(), found), (b"b\n".to_vec(), 2));
        let p = with(ABSENT, |v| {
            put(v, "regexp", Value::Null);
            put(v, "_regexp", Value::Null);
            put(v, "line", Value::str("b"));
        });
        let (lines, found) = absent_lines(split_lines(b"b\r\nbb\nb"), &p).unwrap();
        assert_eq!((lines.concat(), found), (b"bb\n".to_vec(), 2));
    }

    #[test]
    fn argument_errors_are_ansibles() {
        let bad = |edit: &dyn Fn(&mut Value)| {
            let mut v = parse(PORT).unwrap();
            edit(&mut v);
            params(&v).err().unwrap_or_default()
        };
        assert_eq!(
            bad(&|v| put(v, "state", Value::str("gone"))),
            "value of state must be one of: absent, present, got: gone"
        );
        assert_eq!(
            bad(&|v| put(v, "search_string", Value::str("x"))),
            "parameters are mutually exclusive: regexp|search_string"
        );
        assert!(bad(&|v| put(v, "_regexp", Value::Null)).contains("did not lower"));
    }

    #[test]
    fn runs_on_real_files_with_check_mode_and_diff() {
        let dir = std::env::temp_dir().join(format!("rustle-lineinfile-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("sshd_config");
        fs::write(&file, "Port 22\n").unwrap();
        let mut args = parse(PORT).unwrap();
        put(&mut args, "path", Value::str(file.to_string_lossy()));
        let lookup = |_: &str| None;
        let out = with_test_context(true, 0, &lookup, |ctx| run(&args, ctx));
        assert_eq!(
            (out.status, out.msg.to_text()),
            (Status::Changed, "line replaced".into())
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), "Port 22\n");
        let out = with_test_context(false, 0, &lookup, |ctx| run(&args, ctx));
        assert_eq!(out.status, Status::Changed);
        assert_eq!(fs::read_to_string(&file).unwrap(), "Port 2222\n");
        let again = with_test_context(false, 0, &lookup, |ctx| run(&args, ctx));
        assert_eq!(
            (again.status, again.msg.to_text()),
            (Status::Ok, String::new())
        );
        let missing = dir.join("missing");
        put(&mut args, "path", Value::str(missing.to_string_lossy()));
        let out = with_test_context(false, 0, &lookup, |ctx| run(&args, ctx));
        assert_eq!(out.status, Status::Failed);
        assert_eq!(out.rc, Some(257));
        assert_eq!(
            out.msg.to_text(),
            format!("Destination {} does not exist !", missing.display())
        );
        put(&mut args, "path", Value::str(dir.to_string_lossy()));
        let out = with_test_context(false, 0, &lookup, |ctx| run(&args, ctx));
        assert_eq!(out.rc, Some(256));
        fs::remove_dir_all(&dir).unwrap();
    }
}
