//! Jinja2's `getattr` (`x.name`), `getitem` (`x[key]`) and slicing, with undefined results that
//! carry Jinja2's messages.

use super::value::{write_str_repr, Value};
use super::EvalError;

/// `'x' is undefined`
pub(crate) fn undefined_name(name: &str) -> Value {
    let mut message = String::new();
    write_str_repr(&mut message, name);
    message.push_str(" is undefined");
    Value::undefined_named(message, name)
}

/// `'dict object' has no attribute 'y'`
fn no_attribute(obj: &Value, name: &str) -> Value {
    let mut message = String::new();
    write_str_repr(&mut message, &obj.object_type_repr());
    message.push_str(" has no attribute ");
    write_str_repr(&mut message, name);
    Value::undefined_named(message, name)
}

/// `list object has no element 5`
fn no_element(obj: &Value, key: &Value) -> Result<Value, EvalError> {
    Ok(Value::undefined_named(
        format!("{} has no element {}", obj.object_type_repr(), key.repr()?),
        key.to_str()?,
    ))
}

/// What an operation on an undefined value gives: strict ones chain (Ansible), lenient ones
/// fail like Jinja2's plain `Undefined`.
fn chain_undefined(obj: &Value) -> Result<Option<Value>, EvalError> {
    match obj {
        Value::Undefined(u) if u.lenient => Err(u.error()),
        Value::Undefined(_) => Ok(Some(obj.clone())),
        _ => Ok(None),
    }
}

/// `obj.name`: an attribute (namespace attributes), then an item (dict keys). Loop attributes
/// are resolved by the evaluator before this.
pub(crate) fn attr(obj: &Value, name: &str) -> Result<Value, EvalError> {
    if let Some(v) = chain_undefined(obj)? {
        return Ok(v);
    }
    match obj {
        Value::Namespace(ns) => Ok(ns
            .borrow()
            .get_str(name)
            .cloned()
            .unwrap_or_else(|| no_attribute(obj, name))),
        Value::Dict(d) => Ok(d
            .get_str(name)
            .cloned()
            .unwrap_or_else(|| no_attribute(obj, name))),
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => {
            Ok(number_attr(obj, name).unwrap_or_else(|| no_attribute(obj, name)))
        }
        _ => Ok(no_attribute(obj, name)),
    }
}

/// The data attributes of Python numbers (`real`, `imag`, `numerator`, `denominator`).
fn number_attr(obj: &Value, name: &str) -> Option<Value> {
    let int = match obj {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    Some(match (int, name) {
        (Some(i), "real" | "numerator") => Value::Int(i),
        (Some(_), "imag") => Value::Int(0),
        (Some(_), "denominator") => Value::Int(1),
        (None, "real") => obj.clone(),
        (None, "imag") => Value::Float(0.0),
        _ => return None,
    })
}

/// Python's index normalisation: `Some(position)` when `i` is inside `len` items.
fn position(i: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { i.checked_add(len)? } else { i };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

/// `obj[key]`: an item, then (for string keys) an attribute.
pub(crate) fn item(obj: &Value, key: &Value) -> Result<Value, EvalError> {
    if let Some(v) = chain_undefined(obj)? {
        return Ok(v);
    }
    if let Some(e) = key.strict_undefined_error() {
        return Err(e);
    }
    let index = match key {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    let found = match (obj, index) {
        (Value::Dict(d), _) => d.get(key).ok().flatten().cloned(),
        (Value::List(items) | Value::Tuple(items), Some(i)) => {
            position(i, items.len()).and_then(|p| items.get(p)).cloned()
        }
        (Value::Str(s), Some(i)) => {
            let count = s.chars().count();
            position(i, count)
                .and_then(|p| s.chars().nth(p))
                .map(|c| Value::from(c.to_string()))
        }
        _ => None,
    };
    if let Some(v) = found {
        return Ok(v);
    }
    match key {
        Value::Str(name) => attr(obj, name),
        _ => no_element(obj, key),
    }
}

fn slice_bound(v: &Option<Value>) -> Result<Option<Option<i64>>, EvalError> {
    match v {
        None | Some(Value::None) => Ok(Some(None)),
        Some(Value::Int(i)) => Ok(Some(Some(*i))),
        Some(Value::Bool(b)) => Ok(Some(Some(i64::from(*b)))),
        Some(Value::Undefined(u)) => Err(u.error()),
        Some(_) => Ok(None),
    }
}

/// Python's `slice.indices(len)` walk: the positions `obj[start:stop:step]` selects.
pub(crate) fn slice_positions(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> Vec<usize> {
    let n = len as i128;
    let step = i128::from(step);
    let clamp = |bound: Option<i64>, default: i128| -> i128 {
        match bound {
            None => default,
            Some(b) => {
                let mut b = i128::from(b);
                if b < 0 {
                    b += n;
                    if b < 0 {
                        b = if step < 0 { -1 } else { 0 };
                    }
                } else if b >= n {
                    b = if step < 0 { n - 1 } else { n };
                }
                b
            }
        }
    };
    let (start, stop) = if step < 0 {
        (clamp(start, n - 1), clamp(stop, -1))
    } else {
        (clamp(start, 0), clamp(stop, n))
    };
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        if let Ok(p) = usize::try_from(i) {
            out.push(p);
        }
        i += step;
    }
    out
}

/// `obj[start:stop:step]`: Jinja2 compiles slices to plain Python subscripts, so failures are
/// errors rather than undefined values.
pub(crate) fn slice(obj: &Value, bounds: [Option<Value>; 3]) -> Result<Value, EvalError> {
    if let Some(v) = chain_undefined(obj)? {
        return Ok(v);
    }
    match obj {
        Value::Str(_) | Value::List(_) | Value::Tuple(_) => {}
        Value::Dict(_) => return Err(EvalError::new("unhashable type: 'slice'")),
        other => {
            return Err(EvalError::new(format!(
                "'{}' object is not subscriptable",
                other.type_name()
            )))
        }
    }
    let [start, stop, step] = &bounds;
    let parsed = (slice_bound(start)?, slice_bound(stop)?, slice_bound(step)?);
    let (Some(start_i), Some(stop_i), Some(step_i)) = parsed else {
        return Err(EvalError::new(
            "slice indices must be integers or None or have an __index__ method",
        ));
    };
    let step_i = step_i.unwrap_or(1);
    if step_i == 0 {
        return Err(EvalError::new("slice step cannot be zero"));
    }
    match obj {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let picked: String = slice_positions(chars.len(), start_i, stop_i, step_i)
                .into_iter()
                .filter_map(|p| chars.get(p))
                .collect();
            Ok(Value::from(picked))
        }
        Value::List(items) | Value::Tuple(items) => {
            let picked: Vec<Value> = slice_positions(items.len(), start_i, stop_i, step_i)
                .into_iter()
                .filter_map(|p| items.get(p).cloned())
                .collect();
            Ok(if matches!(obj, Value::List(_)) {
                Value::list(picked)
            } else {
                Value::tuple(picked)
            })
        }
        _ => Ok(Value::None),
    }
}
