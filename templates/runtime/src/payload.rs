//! Decoding of the embedded execution plan into typed structures.

use crate::jinja::{Expr, Template};
use crate::json::{self, Value};
use crate::modules::Extensions;

/// The only payload format this runtime understands.
pub const SUPPORTED_FORMAT: i64 = 3;

/// One step of the path from a value's root to a templated string inside it.
#[derive(Debug, Clone, PartialEq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

/// A template and where its rendered value goes.
#[derive(Debug, Clone)]
pub struct Placed {
    pub path: Vec<PathPart>,
    pub template: Template,
}

/// A JSON value some of whose strings are templates (rendered at use).
#[derive(Debug, Clone)]
pub struct Templated {
    pub value: Value,
    pub templates: Vec<Placed>,
}

/// Variables by name, some of them templated (rendered lazily, when read).
#[derive(Debug, Clone, Default)]
pub struct VarTable {
    pub values: Vec<(String, Value)>,
    pub templates: Vec<Placed>,
}

impl VarTable {
    /// The templates that belong to variable `name`, with the name dropped from their paths.
    pub fn templates_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a [PathPart], &'a Template)> {
        self.templates
            .iter()
            .filter_map(move |p| match p.path.split_first() {
                Some((PathPart::Key(k), rest)) if k == name => Some((rest, &p.template)),
                _ => None,
            })
    }
}

/// `loop:` or `with_items:` (which flattens one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopKind {
    Loop,
    WithItems,
}

#[derive(Debug, Clone)]
pub struct Loop {
    pub kind: LoopKind,
    pub items: Templated,
}

/// A module argument holding bare expressions (`assert`'s `that`, `debug`'s `var`).
#[derive(Debug, Clone)]
pub struct ExprArg {
    pub key: String,
    /// The source text of each expression, as written in the plan.
    pub sources: Vec<String>,
    pub exprs: Vec<Expr>,
    /// The plan gave one string rather than a list.
    pub single: bool,
}

/// Which facts the plan reads.
#[derive(Debug, Clone, PartialEq)]
pub enum FactList {
    All,
    Names(Vec<String>),
}

/// Files embedded in the binary by the controller (copy sources, static files), by the
/// SHA-256 hex digest of their bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Blobs {
    files: &'static [(&'static str, &'static [u8])],
}

impl Blobs {
    pub const fn new(files: &'static [(&'static str, &'static [u8])]) -> Blobs {
        Blobs { files }
    }

    /// The bytes whose SHA-256 digest is `sha256`.
    pub fn get(&self, sha256: &str) -> Option<&'static [u8]> {
        self.files
            .iter()
            .find(|(digest, _)| *digest == sha256)
            .map(|(_, bytes)| *bytes)
    }
}

/// A decoded payload.
#[derive(Debug, Clone)]
pub struct Payload {
    pub plan_name: String,
    pub plan_hash: String,
    pub variables: VarTable,
    pub facts: FactList,
    pub plays: Vec<Play>,
    /// Template files (the `template` module's `src`), lowered on the controller; tasks
    /// name them by index.
    pub templates: Vec<Template>,
    /// Embedded file contents; set by [`crate::run_main`] after decoding.
    pub blobs: Blobs,
    /// Modules compiled in by plugins; set by [`crate::run_main_with_modules`].
    pub extensions: Extensions,
    /// The document as parsed, for `--dump-plan`.
    pub raw: Value,
}

#[derive(Debug, Clone)]
pub struct Play {
    pub play_id: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub strategy: String,
    pub vars: VarTable,
    pub tasks: Vec<Task>,
    pub handlers: Vec<Task>,
}

#[derive(Debug, Clone, Default)]
pub struct Task {
    pub task_id: String,
    pub name: String,
    pub module: String,
    pub args: Value,
    pub arg_templates: Vec<Placed>,
    pub expressions: Vec<ExprArg>,
    /// `when:` conditions (all must hold) and their source text.
    pub when: Vec<Expr>,
    pub when_sources: Vec<String>,
    pub loop_: Option<Loop>,
    pub changed_when: Option<Vec<Expr>>,
    pub failed_when: Option<Vec<Expr>>,
    pub no_log: bool,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub notify: Vec<String>,
    pub hosts: Vec<String>,
    pub host_patterns: Vec<String>,
    pub check_mode: Option<bool>,
    pub ignore_errors: bool,
    pub register: Option<String>,
    pub vars: VarTable,
}

/// Parses and validates payload bytes. Errors are complete messages.
pub fn decode(bytes: &[u8]) -> Result<Payload, String> {
    let raw = json::parse_bytes(bytes).map_err(|e| format!("payload is not valid JSON: {e}"))?;
    from_value(raw)
}

/// Validates an already parsed payload document.
pub fn from_value(raw: Value) -> Result<Payload, String> {
    if raw.as_object().is_none() {
        return Err(type_error("(top level)", "object", &raw));
    }
    match raw.get("format") {
        Some(Value::Int(SUPPORTED_FORMAT)) => {}
        Some(other) => return Err(format!("unsupported payload format {}", other.to_compact())),
        None => return Err("unsupported payload format (missing)".to_string()),
    }
    let (plan_name, plan_hash) = match raw.get("plan") {
        None | Some(Value::Null) => (String::new(), String::new()),
        Some(plan @ Value::Object(_)) => (
            string_or(plan, "name", "plan", "")?,
            string_or(plan, "hash", "plan", "")?,
        ),
        Some(other) => return Err(type_error("plan", "object", other)),
    };
    let variables = var_table(&raw, "variables", "var_templates", "")?;
    let facts = match raw.get("facts") {
        None | Some(Value::Null) => FactList::Names(Vec::new()),
        Some(Value::Array(items)) if items.iter().any(|i| i.as_str() == Some("*")) => FactList::All,
        Some(_) => FactList::Names(string_list(&raw, "facts", "")?),
    };
    let plays = match raw.get("plays") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, play)| decode_play(play, &format!("plays[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        None => return Err("invalid payload: missing field \"plays\"".to_string()),
        Some(other) => return Err(type_error("plays", "array", other)),
    };
    let templates = match raw.get("templates") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, ir)| {
                Template::decode(ir).map_err(|e| format!("invalid payload: templates[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(type_error("templates", "array", other)),
    };
    Ok(Payload {
        plan_name,
        plan_hash,
        variables,
        facts,
        plays,
        templates,
        blobs: Blobs::default(),
        extensions: Extensions::default(),
        raw,
    })
}

fn decode_play(value: &Value, path: &str) -> Result<Play, String> {
    if value.as_object().is_none() {
        return Err(type_error(path, "object", value));
    }
    Ok(Play {
        play_id: string_or(value, "play_id", path, "")?,
        name: string_or(value, "name", path, "")?,
        hosts: string_list(value, "hosts", path)?,
        strategy: string_or(value, "strategy", path, "linear")?,
        vars: var_table(value, "vars", "var_templates", path)?,
        tasks: task_list(value, "tasks", path)?,
        handlers: task_list(value, "handlers", path)?,
    })
}

fn task_list(play: &Value, key: &str, path: &str) -> Result<Vec<Task>, String> {
    match play.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, task)| decode_task(task, &format!("{path}.{key}[{i}]")))
            .collect(),
        Some(other) => Err(type_error(&format!("{path}.{key}"), "array", other)),
    }
}

fn decode_task(value: &Value, path: &str) -> Result<Task, String> {
    if value.as_object().is_none() {
        return Err(type_error(path, "object", value));
    }
    let module = match value.get("module") {
        Some(Value::Str(m)) if !m.is_empty() => m.clone(),
        Some(Value::Str(_)) | None | Some(Value::Null) => {
            return Err(format!("invalid payload: {path}: missing module name"))
        }
        Some(other) => return Err(type_error(&format!("{path}.module"), "string", other)),
    };
    let name = string_or(value, "name", path, "")?;
    Ok(Task {
        task_id: string_or(value, "task_id", path, "")?,
        name: if name.is_empty() {
            module.clone()
        } else {
            name
        },
        args: match value.get("args") {
            None | Some(Value::Null) => Value::Object(Vec::new()),
            Some(args) => args.clone(),
        },
        module,
        tags: string_list(value, "tags", path)?,
        skip_tags: string_list(value, "skip_tags", path)?,
        notify: string_list(value, "notify", path)?,
        hosts: string_list(value, "hosts", path)?,
        host_patterns: string_list(value, "host_patterns", path)?,
        check_mode: opt_bool(value, "check_mode", path)?,
        ignore_errors: opt_bool(value, "ignore_errors", path)?.unwrap_or(false),
        register: opt_string(value, "register", path)?.filter(|r| !r.is_empty()),
        vars: var_table(value, "vars", "var_templates", path)?,
        arg_templates: placed_list(value.get("arg_templates"), &format!("{path}.arg_templates"))?,
        expressions: expr_args(value, path)?,
        when: expr_list(value.get("when"), &format!("{path}.when"))?,
        when_sources: string_list(value, "when_sources", path)?,
        loop_: decode_loop(value.get("loop"), &format!("{path}.loop"))?,
        changed_when: opt_expr_list(value, "changed_when", path)?,
        failed_when: opt_expr_list(value, "failed_when", path)?,
        no_log: opt_bool(value, "no_log", path)?.unwrap_or(false),
    })
}

impl Task {
    /// Whether this task runs `name` (short or `ansible.builtin.`/`ansible.legacy.` name).
    pub fn module_is(&self, name: &str) -> bool {
        let short = self
            .module
            .strip_prefix("ansible.builtin.")
            .or_else(|| self.module.strip_prefix("ansible.legacy."))
            .unwrap_or(&self.module);
        short == name
    }
}

pub(crate) fn var_table(
    value: &Value,
    key: &str,
    templates: &str,
    path: &str,
) -> Result<VarTable, String> {
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    Ok(VarTable {
        values: object_entries(value, key, path)?,
        templates: placed_list(value.get(templates), &at(templates))?,
    })
}

fn placed_list(value: Option<&Value>, path: &str) -> Result<Vec<Placed>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(type_error(path, "array", other)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let here = format!("{path}[{i}]");
            let (Some(Value::Array(parts)), Some(ir), 2) = (
                item.as_array().and_then(|a| a.first()),
                item.as_array().and_then(|a| a.get(1)),
                item.as_array().map_or(0, <[Value]>::len),
            ) else {
                return Err(format!(
                    "invalid payload: {here}: expected [path, template]"
                ));
            };
            let path = parts
                .iter()
                .map(|p| match p {
                    Value::Str(k) => Ok(PathPart::Key(k.clone())),
                    Value::Int(n) if *n >= 0 => {
                        Ok(PathPart::Index(usize::try_from(*n).unwrap_or(usize::MAX)))
                    }
                    other => Err(type_error(&here, "path of keys and indexes", other)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let template =
                Template::decode(ir).map_err(|e| format!("invalid payload: {here}: {e}"))?;
            Ok(Placed { path, template })
        })
        .collect()
}

fn decode_expr(ir: &Value, path: &str) -> Result<Expr, String> {
    Expr::decode(ir).map_err(|e| format!("invalid payload: {path}: {e}"))
}

fn expr_list(value: Option<&Value>, path: &str) -> Result<Vec<Expr>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, ir)| decode_expr(ir, &format!("{path}[{i}]")))
            .collect(),
        Some(other) => Err(type_error(path, "array of expressions", other)),
    }
}

fn opt_expr_list(value: &Value, key: &str, path: &str) -> Result<Option<Vec<Expr>>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        some => expr_list(some, &format!("{path}.{key}")).map(Some),
    }
}

fn expr_args(task: &Value, path: &str) -> Result<Vec<ExprArg>, String> {
    let entries = object_entries(task, "expressions", path)?;
    let args = task.get("args");
    entries
        .into_iter()
        .map(|(key, ir)| {
            let here = format!("{path}.expressions.{key}");
            // One expression is itself an array starting with its tag; a list is an array of those.
            let single = matches!(ir.as_array().and_then(|a| a.first()), Some(Value::Str(_)));
            let exprs = if single {
                vec![decode_expr(&ir, &here)?]
            } else {
                expr_list(Some(&ir), &here)?
            };
            let sources = match args.and_then(|a| a.get(&key)) {
                Some(Value::Str(s)) => vec![s.clone()],
                Some(Value::Array(items)) => items.iter().map(Value::to_text).collect(),
                _ => Vec::new(),
            };
            Ok(ExprArg {
                key,
                sources,
                exprs,
                single,
            })
        })
        .collect()
}

fn decode_loop(value: Option<&Value>, path: &str) -> Result<Option<Loop>, String> {
    let spec = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(spec @ Value::Object(_)) => spec,
        Some(other) => return Err(type_error(path, "object", other)),
    };
    let kind = match spec.get("kind").and_then(Value::as_str) {
        Some("loop") => LoopKind::Loop,
        Some("with_items") => LoopKind::WithItems,
        _ => {
            return Err(format!(
                "invalid payload: {path}.kind: expected \"loop\" or \"with_items\""
            ))
        }
    };
    Ok(Some(Loop {
        kind,
        items: Templated {
            value: spec.get("value").cloned().unwrap_or(Value::Null),
            templates: placed_list(spec.get("templates"), &format!("{path}.templates"))?,
        },
    }))
}

/// An optional object field as its (key, value) entries, in order.
fn object_entries(value: &Value, key: &str, path: &str) -> Result<Vec<(String, Value)>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(entries)) => Ok(entries.clone()),
        Some(other) => Err(type_error(&format!("{path}.{key}"), "object", other)),
    }
}

fn type_error(path: &str, expected: &str, found: &Value) -> String {
    format!(
        "invalid payload: {path}: expected {expected}, found {}",
        found.type_name()
    )
}

fn opt_string(obj: &Value, key: &str, path: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(other) => Err(type_error(&format!("{path}.{key}"), "string", other)),
    }
}

fn string_or(obj: &Value, key: &str, path: &str, default: &str) -> Result<String, String> {
    Ok(opt_string(obj, key, path)?.unwrap_or_else(|| default.to_string()))
}

fn opt_bool(obj: &Value, key: &str, path: &str) -> Result<Option<bool>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(type_error(&format!("{path}.{key}"), "boolean", other)),
    }
}

/// A list of strings; a single string counts as a one-element list.
fn string_list(obj: &Value, key: &str, path: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Str(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Str(s) => Ok(s.clone()),
                other => Err(type_error(&format!("{path}.{key}[{i}]"), "string", other)),
            })
            .collect(),
        Some(other) => Err(type_error(
            &format!("{path}.{key}"),
            "array of strings",
            other,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{
      "format": 3,
      "plan": {"name": "site", "hash": "abcdef0123456789"},
      "variables": {"x": 1, "y": "two"},
      "plays": [{
        "play_id": "p1", "name": "Play one", "hosts": ["all"], "strategy": "linear",
        "tasks": [{
          "task_id": "t1", "name": "echo", "module": "command",
          "args": {"argv": ["echo", "hi"]},
          "tags": ["a", "b"], "skip_tags": [], "notify": ["h"], "hosts": ["localhost"],
          "host_patterns": ["all"], "check_mode": null, "ignore_errors": true, "register": "out"
        }],
        "handlers": [{"task_id": "h1", "name": "h", "module": "debug", "args": {"msg": "x"}}]
      }]
    }"#;

    #[test]
    fn decodes_a_full_payload() {
        let p = decode(FULL.as_bytes()).unwrap();
        assert_eq!(p.plan_name, "site");
        assert_eq!(p.plan_hash, "abcdef0123456789");
        assert_eq!(p.variables.values.len(), 2);
        let play = &p.plays[0];
        assert_eq!(play.name, "Play one");
        assert_eq!(play.hosts, ["all"]);
        let t = &play.tasks[0];
        assert_eq!(t.module, "command");
        assert_eq!(t.tags, ["a", "b"]);
        assert_eq!(t.notify, ["h"]);
        assert_eq!(t.check_mode, None);
        assert!(t.ignore_errors);
        assert_eq!(t.register.as_deref(), Some("out"));
        let h = &play.handlers[0];
        assert_eq!(h.name, "h");
        assert!(h.tags.is_empty());
        assert!(!h.ignore_errors);
        assert_eq!(h.register, None);
    }

    #[test]
    fn refuses_other_formats() {
        let err = decode(br#"{"format": 1, "plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format 1");
        let err = decode(br#"{"format": "2", "plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format \"2\"");
        let err = decode(br#"{"plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format (missing)");
    }

    #[test]
    fn reports_type_errors_with_paths() {
        let err =
            decode(br#"{"format": 3, "plays": [{"tasks": [{"module": "debug", "tags": [1]}]}]}"#)
                .unwrap_err();
        assert_eq!(
            err,
            "invalid payload: plays[0].tasks[0].tags[0]: expected string, found integer"
        );
        let err = decode(br#"{"format": 3, "plays": [{"tasks": [{"name": "x"}]}]}"#).unwrap_err();
        assert_eq!(
            err,
            "invalid payload: plays[0].tasks[0]: missing module name"
        );
        let err = decode(br#"[1]"#).unwrap_err();
        assert!(err.contains("expected object, found array"));
        let err = decode(br#"{"format": 3}"#).unwrap_err();
        assert!(err.contains("missing field \"plays\""));
        let err = decode(b"{\"format\": 2,").unwrap_err();
        assert!(err.starts_with("payload is not valid JSON: "));
    }

    #[test]
    fn task_name_defaults_to_module() {
        let p = decode(br#"{"format": 3, "plays": [{"tasks": [{"module": "debug"}]}]}"#).unwrap();
        assert_eq!(p.plays[0].tasks[0].name, "debug");
        assert_eq!(p.plays[0].tasks[0].args, Value::Object(vec![]));
    }
}
