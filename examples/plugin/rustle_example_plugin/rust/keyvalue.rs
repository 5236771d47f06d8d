//! `rustle_example.keyvalue`: ensures that a simple `key=value` configuration file sets
//! (or does not set) a key. Compiled into the plan crate by rustle-invoke; the text
//! editing lives in the `rustle-example-kvfile` support crate.
//!
//! Arguments (checked on the controller by the plugin's Python validator, and again
//! here, because templated values are only known on the target):
//! `path`, `key`, `value` (required with `state: present`), `state` (`present` or
//! `absent`) and `create` (create a missing file; default true).

use rustle_example_kvfile::{self as kvfile, Change};
use rustle_runtime::json::{obj, Value};
use rustle_runtime::modules::params::{bool_arg, str_arg};
use rustle_runtime::modules::{fsutil, ModuleContext, Outcome};
use std::io::ErrorKind;
use std::path::Path;

/// The module's entry point, registered under its name and aliases.
pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    apply(args, ctx).unwrap_or_else(Outcome::failed)
}

fn required(args: &Value, key: &str) -> Result<String, String> {
    str_arg(args, key)?.ok_or_else(|| format!("missing required arguments: {key}"))
}

fn apply(args: &Value, ctx: &ModuleContext) -> Result<Outcome, String> {
    let path = required(args, "path")?;
    let key = required(args, "key")?;
    kvfile::check_key(&key)?;
    let state = str_arg(args, "state")?.unwrap_or_else(|| "present".to_string());
    let value = match state.as_str() {
        "present" => {
            let value = required(args, "value")?;
            kvfile::check_value(&value)?;
            Some(value)
        }
        "absent" => None,
        other => {
            return Err(format!(
                "value of state must be one of: present, absent, got: {other}"
            ))
        }
    };
    let create = bool_arg(args, "create")?.unwrap_or(true);

    let before = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {path}: {e}")),
    };
    let edit = match (&before, &value) {
        (None, None) => kvfile::Edit {
            text: String::new(),
            change: Change::Unchanged,
        },
        (None, Some(_)) if !create => {
            return Err(format!("Destination {path} does not exist !"));
        }
        (_, Some(value)) => kvfile::set(before.as_deref().unwrap_or(""), &key, value),
        (Some(text), None) => kvfile::remove(text, &key),
    };

    let mut outcome = if edit.change == Change::Unchanged {
        Outcome::ok("")
    } else {
        if !ctx.check_mode {
            fsutil::atomic_write(Path::new(&path), edit.text.as_bytes())?;
        }
        Outcome::changed(edit.change.message())
    };
    if ctx.diff_mode && outcome.changed {
        outcome.diff = Some(obj([
            ("before", Value::str(before.unwrap_or_default())),
            ("after", Value::str(edit.text)),
            ("before_header", Value::str(&path)),
            ("after_header", Value::str(&path)),
        ]));
    }
    outcome.extra.push(("path".to_string(), Value::str(path)));
    outcome.extra.push(("key".to_string(), Value::str(key)));
    Ok(outcome)
}
