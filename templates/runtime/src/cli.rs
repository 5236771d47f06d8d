//! Command-line parsing for the generated binary.

use crate::inventory::Inventory;
use crate::json::{self, Value};

/// The token that stands for the program name in [`SHORT_USAGE`] and [`HELP`].
pub const PROGRAM_TOKEN: &str = "PROG";

/// Short usage shown after a usage error.
pub const SHORT_USAGE: &str = "\
usage: PROG [--check] [--diff] [--tags TAGS] [--skip-tags TAGS] [--format text|json]
         [--list-tasks] [-e KEY=VALUE|JSON]... [--host NAME] [--inventory JSON]
         [-v|-vv|-vvv] [--version] [--dump-plan] [--help]
";

/// Full help text for `--help`.
pub const HELP: &str = "\
usage: PROG [options]

Runs the execution plan embedded in this binary.

options:
  -C, --check             run in check mode: commands are not executed
  -D, --diff              show the differences a changed task makes (diffs of files)
  -t, --tags TAGS         only run tasks tagged with these tags (comma separated)
      --skip-tags TAGS    skip tasks tagged with these tags (comma separated)
      --format FORMAT     output format: text (default) or json
      --list-tasks        list the selected tasks and exit
  -e, --extra-vars VARS   set variables: KEY=VALUE, a JSON object or @FILE (repeatable)
      --host NAME         inventory hostname to run as (default: localhost)
      --inventory JSON    the host's inventory variables and groups: JSON or @FILE
                          (lowest precedence; the deploy task passes it)
  -v, --verbose           more output (repeat or use -vv, -vvv)
      --version           print version information and exit
      --dump-plan         print the embedded plan as JSON and exit
  -h, --help              print this help and exit

exit codes: 0 success, 1 usage or internal error, 2 a task failed,
            130/143 stopped by SIGINT/SIGTERM after the running task
";

/// `text` (SHORT_USAGE or HELP) with the program name filled in.
pub fn usage_for(text: &str, program: &str) -> String {
    text.replace(PROGRAM_TOKEN, program)
}

/// Output format of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Parsed command-line options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    pub check: bool,
    pub diff: bool,
    /// Requested tags; empty means "all".
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub format: Format,
    pub list_tasks: bool,
    /// Extra variables, later settings override earlier ones.
    pub extra_vars: Vec<(String, Value)>,
    /// Host given with `--host`, if any.
    pub host: Option<String>,
    /// The `--inventory` document (checked by [`Inventory::decode`]), if any.
    pub inventory: Option<Value>,
    pub verbosity: u32,
    pub version: bool,
    pub dump_plan: bool,
    pub help: bool,
}

impl Options {
    /// The inventory hostname for this run.
    pub fn host_name(&self) -> &str {
        self.host.as_deref().unwrap_or("localhost")
    }
}

/// Parses the arguments (without argv\[0\]). Errors are messages without
/// the `error:` prefix.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = split_inline(arg);
        let mut value = || take_value(name, inline, &mut rest);
        match name {
            "-C" | "--check" => flag(name, inline, &mut opts.check)?,
            "-D" | "--diff" => flag(name, inline, &mut opts.diff)?,
            "--list-tasks" => flag(name, inline, &mut opts.list_tasks)?,
            "--version" => flag(name, inline, &mut opts.version)?,
            "--dump-plan" => flag(name, inline, &mut opts.dump_plan)?,
            "-h" | "--help" => flag(name, inline, &mut opts.help)?,
            "--verbose" => {
                let mut seen = false;
                flag(name, inline, &mut seen)?;
                opts.verbosity = opts.verbosity.saturating_add(1);
            }
            "-t" | "--tags" => opts.tags.extend(split_tags(&value()?)),
            "--skip-tags" => opts.skip_tags.extend(split_tags(&value()?)),
            "--format" => {
                opts.format = match value()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    other => {
                        return Err(format!(
                            "invalid value '{}' for --format (expected text or json)",
                            quote(other)
                        ))
                    }
                }
            }
            "-e" | "--extra-vars" => parse_extra_vars(&value()?, &mut opts.extra_vars)?,
            "--host" => {
                let host = value()?;
                if host.is_empty() {
                    return Err("option --host requires a non-empty name".to_string());
                }
                opts.host = Some(host);
            }
            "--inventory" => {
                let text = value()?;
                let document = parse_inventory(&text)?;
                Inventory::decode(&document)?;
                opts.inventory = Some(document);
            }
            _ => {
                if let Some(count) = verbosity_cluster(name) {
                    opts.verbosity = opts.verbosity.saturating_add(count);
                } else if let Some(text) = name.strip_prefix("-e") {
                    parse_extra_vars(text, &mut opts.extra_vars)?;
                } else if name.starts_with('-') && name.len() > 1 {
                    return Err(format!("unknown option '{}'", quote(arg)));
                } else {
                    return Err(format!("unexpected argument '{}'", quote(arg)));
                }
            }
        }
    }
    Ok(opts)
}

/// Splits `--name=value` into its parts; other arguments are returned whole.
fn split_inline(arg: &str) -> (&str, Option<&str>) {
    if arg.starts_with("--") {
        if let Some((name, value)) = arg.split_once('=') {
            return (name, Some(value));
        }
    }
    (arg, None)
}

fn flag(name: &str, inline: Option<&str>, target: &mut bool) -> Result<(), String> {
    if inline.is_some() {
        return Err(format!("option {name} does not take a value"));
    }
    *target = true;
    Ok(())
}

fn take_value<'a>(
    name: &str,
    inline: Option<&str>,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<String, String> {
    match inline {
        Some(v) => Ok(v.to_string()),
        None => rest
            .next()
            .cloned()
            .ok_or_else(|| format!("option {name} requires a value")),
    }
}

/// Number of `v`s in `-v`, `-vv`, `-vvv`, ...
fn verbosity_cluster(name: &str) -> Option<u32> {
    let vs = name.strip_prefix('-')?;
    if vs.is_empty() || !vs.bytes().all(|b| b == b'v') {
        return None;
    }
    Some(u32::try_from(vs.len()).unwrap_or(u32::MAX))
}

/// Splits a comma separated tag list, dropping empty entries.
pub fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Sets (or overrides) a variable, keeping first-seen order.
pub fn set_var(vars: &mut Vec<(String, Value)>, key: String, value: Value) {
    match vars.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => vars.push((key, value)),
    }
}

/// Largest `-e @FILE` read (a larger file, or an endless one such as `/dev/zero`, is
/// refused rather than filling memory).
pub const MAX_EXTRA_VARS_FILE: u64 = 64 * 1024 * 1024;

/// Longest piece of an argument quoted back in an error message.
const QUOTE_LIMIT: usize = 80;

/// `text` for an error message: at most [`QUOTE_LIMIT`] characters, then `...`.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// Parses one `-e` value: `key=value`, a JSON object, or `@file` holding a
/// JSON object.
pub fn parse_extra_vars(text: &str, vars: &mut Vec<(String, Value)>) -> Result<(), String> {
    if let Some(path) = text.strip_prefix('@') {
        let contents = read_vars_file(path, "extra vars")?;
        let value = json::parse_bytes(&contents)
            .map_err(|e| format!("invalid JSON in extra vars file '{}': {e}", quote(path)))?;
        return merge_object(value, vars, text);
    }
    if text.trim_start().starts_with('{') {
        let value = json::parse(text)
            .map_err(|e| format!("invalid JSON in extra vars '{}': {e}", quote(text)))?;
        return merge_object(value, vars, text);
    }
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            set_var(vars, key.trim().to_string(), Value::str(value));
            Ok(())
        }
        _ => Err(format!(
            "invalid extra vars '{}' (expected KEY=VALUE or a JSON object)",
            quote(text)
        )),
    }
}

/// One `--inventory` value: a JSON object, or `@file` holding one.
fn parse_inventory(text: &str) -> Result<Value, String> {
    match text.strip_prefix('@') {
        Some(path) => json::parse_bytes(&read_vars_file(path, "inventory")?)
            .map_err(|e| format!("invalid JSON in inventory file '{}': {e}", quote(path))),
        None => json::parse(text)
            .map_err(|e| format!("invalid JSON in --inventory '{}': {e}", quote(text))),
    }
}

/// The bytes of an `-e @FILE` (or `--inventory @FILE`), at most [`MAX_EXTRA_VARS_FILE`] of them.
fn read_vars_file(path: &str, what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read {what} file '{}': {e}", quote(path));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_EXTRA_VARS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_EXTRA_VARS_FILE {
        return Err(format!(
            "{what} file '{}' is larger than {} MiB",
            quote(path),
            MAX_EXTRA_VARS_FILE >> 20
        ));
    }
    Ok(bytes)
}

fn merge_object(value: Value, vars: &mut Vec<(String, Value)>, text: &str) -> Result<(), String> {
    match value {
        Value::Object(members) => {
            for (key, v) in members {
                set_var(vars, key, v);
            }
            Ok(())
        }
        other => Err(format!(
            "extra vars '{}' must be a JSON object, found {}",
            quote(text),
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&owned)
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.format, Format::Text);
        assert_eq!(o.host_name(), "localhost");
    }

    #[test]
    fn parses_all_options() {
        let o = parse(&[
            "--check",
            "--diff",
            "--tags",
            "a,b",
            "--tags=c",
            "-t",
            " d , ,e",
            "--skip-tags",
            "x",
            "--skip-tags=y,z",
            "--format=json",
            "--list-tasks",
            "-e",
            "k=v=w",
            "--extra-vars",
            r#"{"n": 1, "k": "over"}"#,
            "-eq=1",
            "--host",
            "web1",
            "-vv",
            "-v",
            "--verbose",
            "--version",
            "--dump-plan",
            "--help",
        ])
        .unwrap();
        assert!(o.check && o.diff && o.list_tasks && o.version && o.dump_plan && o.help);
        assert_eq!(o.tags, ["a", "b", "c", "d", "e"]);
        assert_eq!(o.skip_tags, ["x", "y", "z"]);
        assert_eq!(o.format, Format::Json);
        assert_eq!(
            o.extra_vars,
            vec![
                ("k".to_string(), Value::str("over")),
                ("n".to_string(), Value::Int(1)),
                ("q".to_string(), Value::str("1")),
            ]
        );
        assert_eq!(o.host.as_deref(), Some("web1"));
        assert_eq!(o.verbosity, 4);
    }

    #[test]
    fn extra_var_value_is_a_string_and_may_be_empty() {
        let o = parse(&["-e", "a=", "-e", "b= 1 2 ", "--host=h"]).unwrap();
        assert_eq!(o.extra_vars[0], ("a".to_string(), Value::str("")));
        assert_eq!(o.extra_vars[1], ("b".to_string(), Value::str(" 1 2 ")));
        assert_eq!(o.host_name(), "h");
    }

    #[test]
    fn extra_vars_from_file() {
        let path = std::env::temp_dir().join(format!("rustle-rt-ev-{}.json", std::process::id()));
        std::fs::write(&path, br#"{"from_file": [1, 2]}"#).unwrap();
        let arg = format!("@{}", path.display());
        let o = parse(&["-e", &arg]).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            o.extra_vars,
            vec![(
                "from_file".to_string(),
                Value::Array(vec![Value::Int(1), Value::Int(2)])
            )]
        );
        let err = parse(&["-e", "@/nonexistent/rustle/vars.json"]).unwrap_err();
        assert!(err.starts_with("cannot read extra vars file"));
    }

    #[test]
    fn inventory_from_json_or_file() {
        let o = parse(&["--inventory", r#"{"vars": {"port": 8080}}"#]).unwrap();
        let document = o.inventory.unwrap();
        assert_eq!(
            document.get("vars").and_then(|v| v.get("port")),
            Some(&Value::Int(8080))
        );
        let path =
            std::env::temp_dir().join(format!("rustle-inventory-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"group_names": ["web"]}"#).unwrap();
        let o = parse(&[&format!("--inventory=@{}", path.display())]).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(o.inventory.unwrap().get("group_names").is_some());
        let errors = [
            (&["--inventory", "{"][..], "invalid JSON in --inventory '{'"),
            (
                &["--inventory", "[1]"][..],
                "invalid --inventory: the document: expected an object",
            ),
            (
                &["--inventory", "@/nonexistent/rustle/inv.json"][..],
                "cannot read inventory file",
            ),
            (&["--inventory"][..], "option --inventory requires a value"),
        ];
        for (args, message) in errors {
            let error = parse(args).unwrap_err();
            assert!(error.starts_with(message), "{args:?}: {error}");
        }
    }

    #[test]
    fn usage_errors() {
        let cases: [(&[&str], &str); 12] = [
            (&["--bogus"], "unknown option '--bogus'"),
            (&["-x"], "unknown option '-x'"),
            (&["play.yml"], "unexpected argument 'play.yml'"),
            (&["--tags"], "option --tags requires a value"),
            (&["-e"], "option -e requires a value"),
            (&["--format", "yaml"], "invalid value 'yaml' for --format"),
            (&["--format"], "option --format requires a value"),
            (&["--check=yes"], "option --check does not take a value"),
            (&["-e", "novalue"], "invalid extra vars 'novalue'"),
            (&["-e", "=x"], "invalid extra vars '=x'"),
            (&["-e", "[1]"], "invalid extra vars '[1]'"),
            (&["-e", "{\"a\":"], "invalid JSON in extra vars"),
        ];
        for (args, expected) in cases {
            let err = parse(args).expect_err(expected);
            assert!(err.contains(expected), "{args:?}: {err}");
        }
        assert!(parse(&["--host", ""]).unwrap_err().contains("non-empty"));
        assert!(parse(&["-"]).unwrap_err().contains("unexpected argument"));
    }

    #[test]
    fn bad_extra_vars_are_errors_quoted_short() {
        let huge = format!("{{\"k\": \"{}", "x".repeat(100_000));
        let err = parse(&["-e", &huge]).unwrap_err();
        assert!(
            err.starts_with("invalid JSON in extra vars '{\"k\": \"xxx"),
            "{err}"
        );
        assert!(err.len() < 200, "{err}");
        let deep = "[".repeat(100_000);
        assert!(parse(&["-e", &format!("{{\"a\": {deep}")])
            .unwrap_err()
            .contains("nesting deeper than"));
        let err = parse(&["-e", &"é".repeat(500)]).unwrap_err();
        assert!(err.contains(&format!("'{}...'", "é".repeat(80))), "{err}");
        assert!(parse(&["-e", "@/dev/zero"])
            .unwrap_err()
            .contains("is larger than 64 MiB"));
        assert!(parse(&["-e", "@/"])
            .unwrap_err()
            .starts_with("cannot read extra vars file '/'"));
        assert!(parse(&["-e", "@/dev/null"])
            .unwrap_err()
            .contains("unexpected end of input"));
        assert!(parse(&["-e", "=="])
            .unwrap_err()
            .contains("invalid extra vars '=='"));
        // Keys need not be identifiers (templates just cannot reach them); `=` splits once.
        let o = parse(&["-e", "a b=c", "-e", "k==v=", "-e", "{\"1-x\": null}"]).unwrap();
        assert_eq!(
            o.extra_vars,
            vec![
                ("a b".to_string(), Value::str("c")),
                ("k".to_string(), Value::str("=v=")),
                ("1-x".to_string(), Value::Null),
            ]
        );
    }

    #[test]
    fn split_tags_trims_and_drops_empty() {
        assert_eq!(split_tags(" a, b ,,c "), ["a", "b", "c"]);
        assert!(split_tags(",").is_empty());
    }
}
