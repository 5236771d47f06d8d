//! Python's `json.dumps` text (used by `to_json`, `to_nice_json` and `tojson`).

use std::fmt::Write as _;

use super::num;
use super::ops::less;
use super::value::{enter, Value};
use super::EvalError;

/// The `json.dumps` options the filters use.
pub(crate) struct Options {
    /// `indent=`: `None` for one line.
    pub(crate) indent: Option<String>,
    pub(crate) sort_keys: bool,
    pub(crate) ensure_ascii: bool,
    /// `separators=`: `None` for Python's default (depends on `indent`).
    pub(crate) separators: Option<(&'static str, &'static str)>,
}

impl Options {
    /// `json.dumps` defaults.
    pub(crate) fn new() -> Options {
        Options {
            indent: None,
            sort_keys: false,
            ensure_ascii: true,
            separators: None,
        }
    }
}

/// `indent=` as Python takes it: an int (spaces; negative means none) or a string.
pub(crate) fn indent_arg(v: &Value) -> Result<Option<String>, EvalError> {
    match v {
        Value::None => Ok(None),
        Value::Int(i) => {
            super::ops::guard_width(*i)?;
            Ok(Some(" ".repeat(usize::try_from(*i).unwrap_or(0))))
        }
        Value::Bool(b) => Ok(Some(" ".repeat(usize::from(*b)))),
        Value::Str(s) => Ok(Some(s.to_string())),
        Value::Undefined(u) => Err(u.error()),
        other => Err(EvalError::new(format!(
            "indent must be an int or a string, not {}",
            other.type_name()
        ))),
    }
}

/// Python's `json.dumps(v, **options)`.
pub(crate) fn dumps(v: &Value, options: &Options) -> Result<String, EvalError> {
    let (item_sep, key_sep) = options.separators.unwrap_or(if options.indent.is_some() {
        (",", ": ")
    } else {
        (", ", ": ")
    });
    let mut writer = Writer {
        options,
        item_sep,
        key_sep,
        out: String::new(),
    };
    writer.value(v, 0, 0)?;
    Ok(writer.out)
}

struct Writer<'a> {
    options: &'a Options,
    item_sep: &'a str,
    key_sep: &'a str,
    out: String,
}

fn not_serializable(v: &Value) -> EvalError {
    if let Value::Undefined(u) = v {
        return u.error();
    }
    EvalError::new(format!(
        "Object of type {} is not JSON serializable",
        v.type_name()
    ))
}

/// A float as JSON text (`NaN`, `Infinity` as Python writes them).
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        num::float_repr(f)
    }
}

impl Writer<'_> {
    fn newline(&mut self, level: usize) {
        if let Some(indent) = &self.options.indent {
            self.out.push('\n');
            for _ in 0..level {
                self.out.push_str(indent);
            }
        }
    }

    fn value(&mut self, v: &Value, level: usize, depth: usize) -> Result<(), EvalError> {
        let depth = enter(depth)?;
        match v {
            Value::None => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => self.out.push_str(&float_text(*f)),
            Value::Str(s) => self.string(s),
            Value::List(items) | Value::Tuple(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return Ok(());
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(self.item_sep);
                    }
                    self.newline(level + 1);
                    self.value(item, level + 1, depth)?;
                }
                self.newline(level);
                self.out.push(']');
            }
            Value::Dict(d) => {
                if d.is_empty() {
                    self.out.push_str("{}");
                    return Ok(());
                }
                let mut entries: Vec<&(Value, Value)> = d.iter().collect();
                if self.options.sort_keys {
                    entries = sort_entries(entries)?;
                }
                self.out.push('{');
                for (i, (k, item)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(self.item_sep);
                    }
                    self.newline(level + 1);
                    let key = match k {
                        Value::Str(s) => s.to_string(),
                        Value::None => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => float_text(*f),
                        other => {
                            return Err(EvalError::new(format!(
                                "keys must be str, int, float, bool or None, not {}",
                                other.type_name()
                            )))
                        }
                    };
                    self.string(&key);
                    self.out.push_str(self.key_sep);
                    self.value(item, level + 1, depth)?;
                }
                self.newline(level);
                self.out.push('}');
            }
            other => return Err(not_serializable(other)),
        }
        Ok(())
    }

    fn string(&mut self, s: &str) {
        crate::json::write_string_with(&mut self.out, s, self.options.ensure_ascii);
    }
}

/// Sorts dict entries by key with Python's `<` (mixed key types are an error, as in Python).
fn sort_entries(entries: Vec<&(Value, Value)>) -> Result<Vec<&(Value, Value)>, EvalError> {
    let keys: Vec<Value> = entries.iter().map(|(k, _)| k.clone()).collect();
    let order = super::sort::sorted_indices(&keys, false, less)?;
    Ok(order
        .into_iter()
        .filter_map(|i| entries.get(i).copied())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn v(text: &str) -> Value {
        Value::from_json(&json::parse(text).unwrap())
    }

    #[test]
    fn python_json_dumps_layouts() {
        let value = v(r#"{"b": [1, 2.0, "é\u0001"], "a": {"x": null, "y": []}, "c": {}}"#);
        let mut o = Options::new();
        assert_eq!(
            dumps(&value, &o).unwrap(),
            r#"{"b": [1, 2.0, "\u00e9\u0001"], "a": {"x": null, "y": []}, "c": {}}"#
        );
        o.sort_keys = true;
        o.indent = Some("  ".to_string());
        assert_eq!(
            dumps(&value, &o).unwrap(),
            "{\n  \"a\": {\n    \"x\": null,\n    \"y\": []\n  },\n  \"b\": [\n    1,\n    2.0,\n    \"\\u00e9\\u0001\"\n  ],\n  \"c\": {}\n}"
        );
        o.ensure_ascii = false;
        o.indent = None;
        o.separators = Some((",", ":"));
        assert_eq!(
            dumps(&v(r#"["😀", 1e300]"#), &o).unwrap(),
            "[\"😀\",1e+300]"
        );
        o.ensure_ascii = true;
        assert_eq!(dumps(&v(r#"["😀"]"#), &o).unwrap(), r#"["\ud83d\ude00"]"#);
        assert_eq!(dumps(&Value::Float(f64::NAN), &o).unwrap(), "NaN");
    }
}
