//! Readers for module arguments that may have been templates on the controller (and so
//! can hold any JSON type here), converting as Ansible's argument spec types do and
//! failing with Ansible's messages.
//!
//! Each reader returns `Ok(None)` when the key is absent or null and `Err(message)` for
//! a value of the wrong type; plugin modules use them too (`Outcome::failed(message)`).

use crate::json::Value;
use crate::modules::Outcome;

/// How Ansible's argument checks name a value's type (`<class 'list'>`).
pub fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Int(_) => "<class 'int'>",
        Value::Float(_) => "<class 'float'>",
        Value::Str(_) => "<class 'str'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

/// Python's `repr()` of a value (`'abc'`, `[1, 2]`).
pub fn python_repr(v: &Value) -> String {
    crate::jinja::Value::from_json(v)
        .repr()
        .unwrap_or_else(|_| v.to_compact())
}

/// Ansible's `str` type: numbers and booleans converted (`True`/`False`);
/// `None` when absent or null.
pub fn str_arg(args: &Value, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => to_str(v).map(Some).ok_or_else(|| {
            format!(
                "argument '{key}' is of type {} and we were unable to convert to str",
                python_type(v)
            )
        }),
    }
}

/// A scalar as Ansible's `str` conversion gives it; `None` for lists, dicts and null.
fn to_str(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".to_string()),
        Value::Bool(false) => Some("False".to_string()),
        Value::Int(_) | Value::Float(_) => Some(v.to_text()),
        _ => None,
    }
}

/// Ansible's `bool` type (`yes`, `on`, `1`, `t`, 1, 0.0, ...); `None` when absent or null.
pub fn bool_arg(args: &Value, key: &str) -> Result<Option<bool>, String> {
    let invalid = |v: &Value, text: &str| {
        format!(
            "argument '{key}' is of type {} and we were unable to convert to bool: The value \
             '{text}' is not a valid boolean.  Valid booleans include: 'false', 1, 0, 'no', \
             't', '0', 'on', 'n', 'y', 'yes', 'off', 'f', '1', 'true'",
            python_type(v)
        )
    };
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Int(0)) => Ok(Some(false)),
        Some(Value::Int(1)) => Ok(Some(true)),
        Some(Value::Float(f)) if *f == 0.0 || *f == 1.0 => Ok(Some(*f == 1.0)),
        Some(v @ Value::Str(s)) => match s.trim().to_lowercase().as_str() {
            "yes" | "true" | "on" | "1" | "y" | "t" => Ok(Some(true)),
            "no" | "false" | "off" | "0" | "n" | "f" => Ok(Some(false)),
            _ => Err(invalid(v, s)),
        },
        Some(v @ (Value::Int(_) | Value::Float(_))) => Err(invalid(v, &v.to_text())),
        Some(other) => Err(format!(
            "argument '{key}' is of type {0} and we were unable to convert to bool: {0} \
             cannot be converted to a bool",
            python_type(other)
        )),
    }
}

/// Ansible's `int` type: ints, booleans, and strings or floats holding a whole number;
/// `None` when absent or null.
pub fn int_arg(args: &Value, key: &str) -> Result<Option<i64>, String> {
    let bad = |v: &Value| {
        format!(
            "argument '{key}' is of type {} and we were unable to convert to int: \"{}\" \
             cannot be converted to an int",
            python_type(v),
            python_repr(v)
        )
    };
    let whole = |f: f64| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18;
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(n)) => Ok(Some(*n)),
        Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
        Some(Value::Float(f)) if whole(*f) => Ok(Some(*f as i64)),
        Some(v @ Value::Str(s)) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<i64>() {
                return Ok(Some(n));
            }
            match t.parse::<f64>() {
                Ok(f) if whole(f) => Ok(Some(f as i64)),
                _ => Err(bad(v)),
            }
        }
        Some(v) => Err(bad(v)),
    }
}

/// Ansible's `list` of `str`: a list (elements converted as [`str_arg`] does), a number,
/// or a comma-separated string (parts trimmed, empty parts dropped); `None` when absent
/// or null.
pub fn list_arg(args: &Value, key: &str) -> Result<Option<Vec<String>>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        )),
        Some(v @ (Value::Int(_) | Value::Float(_))) => Ok(Some(vec![v.to_text()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                to_str(item).ok_or_else(|| {
                    format!(
                        "Elements value for option '{key}' is of type {} and we were unable \
                         to convert to str",
                        python_type(item)
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!(
            "argument '{key}' is of type {} and we were unable to convert to list",
            python_type(other)
        )),
    }
}

/// The readers above for structs that carry a task's arguments (package and service
/// requests); a bad value becomes the task's failed outcome.
// The error is the task's final outcome, returned once; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) trait ArgReader {
    fn task_args(&self) -> &Value;

    fn bool(&self, key: &str, default: bool) -> Result<bool, Outcome> {
        bool_arg(self.task_args(), key)
            .map(|b| b.unwrap_or(default))
            .map_err(Outcome::failed)
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Outcome> {
        bool_arg(self.task_args(), key).map_err(Outcome::failed)
    }

    fn string(&self, key: &str) -> Result<Option<String>, Outcome> {
        str_arg(self.task_args(), key).map_err(Outcome::failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn reads_templated_arguments() {
        let args = parse(
            r#"{"a": "yes", "b": " Off", "c": 1, "d": "x", "e": 1.0, "f": 2, "g": [1],
                "h": true, "n": "a, b,,c", "l": ["p", 2, false], "m": [[1]], "i": "42",
                "j": 3.0, "k": "1e2", "x": 1.5, "z": null}"#,
        )
        .unwrap();
        assert_eq!(bool_arg(&args, "a"), Ok(Some(true)));
        assert_eq!(bool_arg(&args, "b"), Ok(Some(false)));
        assert_eq!(bool_arg(&args, "c"), Ok(Some(true)));
        assert_eq!(bool_arg(&args, "e"), Ok(Some(true)));
        assert_eq!(bool_arg(&args, "zz"), Ok(None));
        assert_eq!(bool_arg(&args, "z"), Ok(None));
        let bad = bool_arg(&args, "d").unwrap_err();
        assert!(
            bad.starts_with(
                "argument 'd' is of type <class 'str'> and we were unable to convert to bool: \
                 The value 'x' is not a valid boolean.  Valid booleans include: "
            ),
            "{bad}"
        );
        let bad = bool_arg(&args, "f").unwrap_err();
        assert!(bad.contains("<class 'int'>") && bad.contains("The value '2' is not"));
        assert_eq!(
            bool_arg(&args, "g").unwrap_err(),
            "argument 'g' is of type <class 'list'> and we were unable to convert to bool: \
             <class 'list'> cannot be converted to a bool"
        );

        assert_eq!(str_arg(&args, "c"), Ok(Some("1".to_string())));
        assert_eq!(str_arg(&args, "h"), Ok(Some("True".to_string())));
        assert_eq!(
            str_arg(&args, "g").unwrap_err(),
            "argument 'g' is of type <class 'list'> and we were unable to convert to str"
        );

        assert_eq!(list_arg(&args, "n").unwrap().unwrap(), ["a", "b", "c"]);
        assert_eq!(list_arg(&args, "l").unwrap().unwrap(), ["p", "2", "False"]);
        assert_eq!(list_arg(&args, "c").unwrap().unwrap(), ["1"]);
        assert_eq!(list_arg(&args, "zz"), Ok(None));
        assert!(list_arg(&args, "m").unwrap_err().starts_with(
            "Elements value for option 'm' is of type <class 'list'> and we were unable"
        ));

        assert_eq!(int_arg(&args, "i"), Ok(Some(42)));
        assert_eq!(int_arg(&args, "j"), Ok(Some(3)));
        assert_eq!(int_arg(&args, "k"), Ok(Some(100)));
        assert_eq!(int_arg(&args, "h"), Ok(Some(1)));
        assert_eq!(int_arg(&args, "zz"), Ok(None));
        assert_eq!(
            int_arg(&args, "d").unwrap_err(),
            "argument 'd' is of type <class 'str'> and we were unable to convert to int: \
             \"'x'\" cannot be converted to an int"
        );
        assert_eq!(
            int_arg(&args, "x").unwrap_err(),
            "argument 'x' is of type <class 'float'> and we were unable to convert to int: \
             \"1.5\" cannot be converted to an int"
        );
    }
}
