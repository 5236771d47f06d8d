//! Ansible's filters: `bool`, `ternary`, `to_json`, `to_nice_json`, `from_json`, `basename`,
//! `dirname`, `mandatory`, `combine`, `dict2items` and `items2dict`.

use std::rc::Rc;

use super::args::{flag_or, required, Args};
use super::eval::Ctx;
use super::filters::{text, what};
use super::json_text::{self, Options};
use super::ops;
use super::pystr;
use super::value::{py_eq, Dict, Value};
use super::EvalError;
use crate::json;

pub(crate) fn path_arg(v: &Value) -> Result<Rc<str>, EvalError> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => Err(EvalError::new(format!(
            "expected str, bytes or os.PathLike object, not {}",
            other.type_name()
        ))),
    }
}

/// `posixpath.basename`.
pub(crate) fn f_basename(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("basename"))?;
    let p = path_arg(&v)?;
    let start = p.rfind('/').map_or(0, |i| i + 1);
    text(p[start..].to_string())
}

/// `posixpath.dirname`.
pub(crate) fn f_dirname(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("dirname"))?;
    let p = path_arg(&v)?;
    let end = p.rfind('/').map_or(0, |i| i + 1);
    let head = &p[..end];
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        return text(head.trim_end_matches('/').to_string());
    }
    text(head.to_string())
}

/// Ansible's `bool`.
pub(crate) fn f_bool(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("bool"))?;
    Ok(match &v {
        Value::None | Value::Bool(_) => v,
        Value::Str(s) => Value::Bool(matches!(
            pystr::lower(s).as_str(),
            "yes" | "on" | "1" | "true"
        )),
        other => Value::Bool(py_eq(other, &Value::Int(1))?),
    })
}

/// Fails on undefined values anywhere inside `v` (Ansible's `recursive_check_defined`).
pub(crate) fn check_defined(v: &Value, depth: usize) -> Result<(), EvalError> {
    let depth = super::value::enter(depth)?;
    match v {
        Value::Undefined(u) => Err(u.error()),
        Value::List(items) | Value::Tuple(items) => {
            items.iter().try_for_each(|i| check_defined(i, depth))
        }
        Value::Dict(d) => d.values().try_for_each(|i| check_defined(i, depth)),
        _ => Ok(()),
    }
}

/// Ansible's `combine`.
pub(crate) fn f_combine(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let mut recursive = false;
    let mut list_merge = "replace".to_string();
    for (key, value) in &args.kw {
        match key.as_ref() {
            "recursive" => recursive = value.truthy()?,
            "list_merge" => list_merge = value.to_str()?,
            _ => {
                return Err(EvalError::new(
                    "'recursive' and 'list_merge' are the only valid keyword arguments",
                ))
            }
        }
    }
    if !matches!(
        list_merge.as_str(),
        "replace" | "keep" | "append" | "prepend" | "append_rp" | "prepend_rp"
    ) {
        return Err(EvalError::new(
            "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', \
             'append', 'prepend', 'append_rp' or 'prepend_rp'",
        ));
    }
    // flatten(terms, levels=1): drop None/'None'/'null', open lists one level.
    let is_null = |x: &Value| match x {
        Value::None => true,
        Value::Str(s) => s.as_ref() == "None" || s.as_ref() == "null",
        _ => false,
    };
    let mut dicts = Vec::new();
    for term in std::iter::once(v).chain(args.pos) {
        if is_null(&term) {
            continue;
        }
        match &term {
            Value::List(items) | Value::Tuple(items) => {
                dicts.extend(items.iter().filter(|x| !is_null(x)).cloned());
            }
            _ => dicts.push(term),
        }
    }
    for d in &dicts {
        check_defined(d, 0)?;
    }
    let Some(mut result) = dicts.pop() else {
        return Ok(Value::from(Dict::new()));
    };
    while let Some(lower) = dicts.pop() {
        result = merge_hash(&lower, &result, recursive, &list_merge, 0)?;
    }
    Ok(result)
}

/// Ansible's `merge_hash(x, y)`: `y`'s keys win.
pub(crate) fn merge_hash(
    x: &Value,
    y: &Value,
    recursive: bool,
    list_merge: &str,
    depth: usize,
) -> Result<Value, EvalError> {
    let depth = super::value::enter(depth)?;
    let (Value::Dict(xd), Value::Dict(yd)) = (x, y) else {
        return Err(EvalError::new(format!(
            "failed to combine variables, expected dicts but got a '{}' and a '{}'.",
            x.type_name(),
            y.type_name()
        )));
    };
    if xd.is_empty() || py_eq(x, y)? {
        return Ok(Value::from(yd.as_ref().clone()));
    }
    if yd.is_empty() {
        return Ok(x.clone());
    }
    let mut merged = xd.as_ref().clone();
    for (key, y_value) in yd.iter() {
        let Some(x_value) = merged.get(key)?.cloned() else {
            merged.insert(key.clone(), y_value.clone())?;
            continue;
        };
        if !recursive && list_merge == "replace" {
            merged.insert(key.clone(), y_value.clone())?;
            continue;
        }
        let new_value = match (&x_value, y_value) {
            (Value::Dict(_), Value::Dict(_)) => {
                if recursive {
                    merge_hash(&x_value, y_value, recursive, list_merge, depth)?
                } else {
                    y_value.clone()
                }
            }
            (Value::List(xs), Value::List(ys)) => {
                let without_present = || -> Result<Vec<Value>, EvalError> {
                    let mut kept = Vec::new();
                    for z in xs.iter() {
                        if !ops::contains(y_value, z)? {
                            kept.push(z.clone());
                        }
                    }
                    Ok(kept)
                };
                match list_merge {
                    "replace" => y_value.clone(),
                    "append" => Value::list(xs.iter().chain(ys.iter()).cloned().collect()),
                    "prepend" => Value::list(ys.iter().chain(xs.iter()).cloned().collect()),
                    "append_rp" => {
                        let mut items = without_present()?;
                        items.extend(ys.iter().cloned());
                        Value::list(items)
                    }
                    "prepend_rp" => {
                        let mut items: Vec<Value> = ys.iter().cloned().collect();
                        items.extend(without_present()?);
                        Value::list(items)
                    }
                    _ => x_value.clone(),
                }
            }
            _ => y_value.clone(),
        };
        merged.insert(key.clone(), new_value)?;
    }
    Ok(Value::from(merged))
}

pub(crate) fn f_dict2items(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [key_name, value_name] = args.bind(&what("dict2items"), ["key_name", "value_name"])?;
    let key_name = key_name.unwrap_or_else(|| Value::from("key"));
    let value_name = value_name.unwrap_or_else(|| Value::from("value"));
    let Value::Dict(d) = &v else {
        return Err(EvalError::new(format!(
            "dict2items requires a dictionary, got <class '{}'> instead.",
            v.type_name()
        )));
    };
    let mut out = Vec::with_capacity(d.len());
    for (k, item) in d.iter() {
        let mut entry = Dict::new();
        entry.insert(key_name.clone(), k.clone())?;
        entry.insert(value_name.clone(), item.clone())?;
        out.push(Value::from(entry));
    }
    Ok(Value::list(out))
}

pub(crate) fn f_items2dict(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [key_name, value_name] = args.bind(&what("items2dict"), ["key_name", "value_name"])?;
    let key_name = key_name.unwrap_or_else(|| Value::from("key"));
    let value_name = value_name.unwrap_or_else(|| Value::from("value"));
    let (Value::List(items) | Value::Tuple(items)) = &v else {
        return Err(EvalError::new(format!(
            "items2dict requires a list, got <class '{}'> instead.",
            v.type_name()
        )));
    };
    let mut out = Dict::new();
    for item in items.iter() {
        let Value::Dict(d) = item else {
            return Err(EvalError::new(format!(
                "items2dict requires a list of dictionaries, got {} instead.",
                v.repr()?
            )));
        };
        match (d.get(&key_name)?, d.get(&value_name)?) {
            (Some(k), Some(val)) => out.insert(k.clone(), val.clone())?,
            _ => {
                return Err(EvalError::new(format!(
                    "items2dict requires each dictionary in the list to contain the keys '{}' \
                     and '{}', got {} instead.",
                    key_name.to_str()?,
                    value_name.to_str()?,
                    v.repr()?
                )))
            }
        }
    }
    Ok(Value::from(out))
}

pub(crate) fn f_from_json(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("from_json"))?;
    let Value::Str(s) = &v else {
        return Err(EvalError::new(format!(
            "the JSON object must be str, bytes or bytearray, not {}",
            v.type_name()
        )));
    };
    json::parse(s.trim_start_matches('\u{feff}'))
        .map(|parsed| Value::from_json(&parsed))
        .map_err(|e| EvalError::new(format!("invalid JSON: {e}")))
}

/// Ansible's `mandatory`.
pub(crate) fn f_mandatory(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [msg] = args.bind(&what("mandatory"), ["msg"])?;
    if let Value::Undefined(u) = &v {
        if let Some(msg) = msg.filter(|m| !matches!(m, Value::None)) {
            return Err(EvalError::new(msg.to_str()?));
        }
        // Ansible's wording, double space included.
        let name = match u.name.as_deref() {
            Some(name) => format!("'{name}' "),
            None => String::new(),
        };
        return Err(EvalError::new(format!(
            "Mandatory variable {name} not defined."
        )));
    }
    Ok(v)
}

/// Ansible's `ternary`.
pub(crate) fn f_ternary(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let w = what("ternary");
    let [true_val, false_val, none_val] = args.bind(&w, ["true_val", "false_val", "none_val"])?;
    let true_val = required(true_val, &w, "true_val")?;
    let false_val = required(false_val, &w, "false_val")?;
    if let (Value::None, Some(none_val)) = (&v, none_val) {
        if !matches!(none_val, Value::None) {
            return Ok(none_val);
        }
    }
    Ok(if v.truthy()? { true_val } else { false_val })
}

/// Ansible's `to_json` / `to_nice_json` (Python's `json.dumps`).
pub(crate) fn to_json(
    v: Value,
    args: Args,
    name: &str,
    default_indent: Option<i64>,
    nice: bool,
) -> Result<Value, EvalError> {
    let [indent, sort_keys] = args.bind(&what(name), ["indent", "sort_keys"])?;
    let mut options = Options::new();
    options.indent = match indent {
        Some(i) => json_text::indent_arg(&i)?,
        None => default_indent.map(|n| " ".repeat(usize::try_from(n).unwrap_or(0))),
    };
    options.sort_keys = flag_or(sort_keys, nice)?;
    if nice {
        options.separators = Some((",", ": "));
    }
    json_text::dumps(&v, &options).map(Value::from)
}
