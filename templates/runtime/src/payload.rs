//! Decoding of the embedded execution plan into typed structures.

use crate::json::{self, Value};

/// The only payload format this runtime understands.
pub const SUPPORTED_FORMAT: i64 = 1;

/// A decoded payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub plan_name: String,
    pub plan_hash: String,
    pub variables: Vec<(String, Value)>,
    pub plays: Vec<Play>,
    /// The document as parsed, for `--dump-plan`.
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Play {
    pub play_id: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub strategy: String,
    pub vars: Vec<(String, Value)>,
    pub tasks: Vec<Task>,
    pub handlers: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub task_id: String,
    pub name: String,
    pub module: String,
    pub args: Value,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub notify: Vec<String>,
    pub hosts: Vec<String>,
    pub host_patterns: Vec<String>,
    pub check_mode: Option<bool>,
    pub ignore_errors: bool,
    pub register: Option<String>,
    pub vars: Vec<(String, Value)>,
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
    let variables = match raw.get("variables") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(members)) => members.clone(),
        Some(other) => return Err(type_error("variables", "object", other)),
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
    Ok(Payload {
        plan_name,
        plan_hash,
        variables,
        plays,
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
        vars: object_entries(value, "vars", path)?,
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
        vars: object_entries(value, "vars", path)?,
    })
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
      "format": 1,
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
        assert_eq!(p.variables.len(), 2);
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
        let err = decode(br#"{"format": 2, "plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format 2");
        let err = decode(br#"{"format": "1", "plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format \"1\"");
        let err = decode(br#"{"plays": []}"#).unwrap_err();
        assert_eq!(err, "unsupported payload format (missing)");
    }

    #[test]
    fn reports_type_errors_with_paths() {
        let err =
            decode(br#"{"format": 1, "plays": [{"tasks": [{"module": "debug", "tags": [1]}]}]}"#)
                .unwrap_err();
        assert_eq!(
            err,
            "invalid payload: plays[0].tasks[0].tags[0]: expected string, found integer"
        );
        let err = decode(br#"{"format": 1, "plays": [{"tasks": [{"name": "x"}]}]}"#).unwrap_err();
        assert_eq!(
            err,
            "invalid payload: plays[0].tasks[0]: missing module name"
        );
        let err = decode(br#"[1]"#).unwrap_err();
        assert!(err.contains("expected object, found array"));
        let err = decode(br#"{"format": 1}"#).unwrap_err();
        assert!(err.contains("missing field \"plays\""));
        let err = decode(b"{\"format\": 1,").unwrap_err();
        assert!(err.starts_with("payload is not valid JSON: "));
    }

    #[test]
    fn task_name_defaults_to_module() {
        let p = decode(br#"{"format": 1, "plays": [{"tasks": [{"module": "debug"}]}]}"#).unwrap();
        assert_eq!(p.plays[0].tasks[0].name, "debug");
        assert_eq!(p.plays[0].tasks[0].args, Value::Object(vec![]));
    }
}
