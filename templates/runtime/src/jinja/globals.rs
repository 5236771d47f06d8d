//! Global functions: `range`, `dict`, `namespace` and `lookup('env', ...)`.

use std::cell::RefCell;
use std::rc::Rc;

use super::args::{to_index, Args};
use super::decode::Global;
use super::value::{Dict, Value};
use super::EvalError;

/// Most items `range()` may produce (it builds a list).
const MAX_RANGE: i128 = 10_000_000;

/// Calls a global function.
pub(crate) fn call(global: Global, args: Args) -> Result<Value, EvalError> {
    match global {
        Global::Range => range(&args),
        Global::Dict => Ok(Value::from(dict_from(&args, "dict")?)),
        Global::Namespace => Ok(Value::Namespace(Rc::new(RefCell::new(dict_from(
            &args,
            "namespace",
        )?)))),
        Global::Lookup => lookup(&args),
    }
}

/// Python's `range(...)` as a list.
fn range(args: &Args) -> Result<Value, EvalError> {
    if !args.kw.is_empty() {
        return Err(EvalError::new("range() takes no keyword arguments"));
    }
    let numbers = args
        .pos
        .iter()
        .map(to_index)
        .collect::<Result<Vec<i64>, _>>()?;
    let (start, stop, step) = match numbers.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        [] => return Err(EvalError::new("range expected at least 1 argument, got 0")),
        more => {
            return Err(EvalError::new(format!(
                "range expected at most 3 arguments, got {}",
                more.len()
            )))
        }
    };
    if step == 0 {
        return Err(EvalError::new("range() arg 3 must not be zero"));
    }
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let count = if step > 0 {
        (stop - start + step - 1).div_euclid(step).max(0)
    } else {
        (start - stop - step - 1).div_euclid(-step).max(0)
    };
    if count > MAX_RANGE {
        return Err(EvalError::new(format!(
            "range() of {count} items is too large (at most {MAX_RANGE})"
        )));
    }
    let items = (0..count)
        .filter_map(|i| i64::try_from(start + i * step).ok())
        .map(Value::Int)
        .collect();
    Ok(Value::list(items))
}

/// `dict(mapping_or_pairs, **kw)` / `namespace(...)`.
fn dict_from(args: &Args, what: &str) -> Result<Dict, EvalError> {
    let mut dict = Dict::new();
    match args.pos.as_slice() {
        [] => {}
        [Value::Dict(source)] => {
            for (k, v) in source.iter() {
                dict.insert(k.clone(), v.clone())?;
            }
        }
        [Value::Namespace(source)] if what == "namespace" => {
            for (k, v) in source.borrow().iter() {
                dict.insert(k.clone(), v.clone())?;
            }
        }
        [pairs] => {
            if !pairs.is_iterable() && !pairs.is_undefined() {
                return Err(EvalError::new(format!(
                    "'{}' object is not iterable",
                    pairs.type_name()
                )));
            }
            for (i, pair) in pairs.iterate()?.into_iter().enumerate() {
                if !pair.is_iterable() {
                    return Err(EvalError::new(format!(
                        "cannot convert dictionary update sequence element #{i} to a sequence"
                    )));
                }
                match pair.iterate()?.as_slice() {
                    [k, v] => dict.insert(k.clone(), v.clone())?,
                    other => {
                        return Err(EvalError::new(format!(
                            "dictionary update sequence element #{i} has length {}; 2 is required",
                            other.len()
                        )))
                    }
                }
            }
        }
        more => {
            return Err(EvalError::new(format!(
                "{what} expected at most 1 argument, got {}",
                more.len()
            )))
        }
    }
    for (k, v) in &args.kw {
        dict.insert_str(k, v.clone());
    }
    Ok(dict)
}

/// `lookup('env', NAME, ...)`: the target's environment (`""` or `default=` when unset),
/// joined with `,` unless `wantlist=True`.
fn lookup(args: &Args) -> Result<Value, EvalError> {
    let Some((plugin, names)) = args.pos.split_first() else {
        return Err(EvalError::new("lookup() needs the name of a lookup plugin"));
    };
    match plugin {
        Value::Str(p) if p.as_ref() == "env" => {}
        other => {
            return Err(EvalError::new(format!(
                "the lookup plugin {} is not available on the target (only 'env' is)",
                other.repr()?
            )))
        }
    }
    let mut default = Value::from("");
    let mut want_list = false;
    for (key, value) in &args.kw {
        match key.as_ref() {
            "default" => default = value.clone(),
            "wantlist" => want_list = value.truthy()?,
            other => {
                return Err(EvalError::new(format!(
                    "the env lookup has no option '{other}'"
                )))
            }
        }
    }
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let Value::Str(name) = name else {
            if let Some(e) = name.strict_undefined_error() {
                return Err(e);
            }
            return Err(EvalError::new(format!(
                "the env lookup needs variable names as strings, got {}",
                name.type_name()
            )));
        };
        found.push(match std::env::var_os(name.as_ref()) {
            Some(v) => Value::from(v.to_string_lossy().into_owned()),
            None => default.clone(),
        });
    }
    if want_list {
        return Ok(Value::list(found));
    }
    let mut parts = Vec::with_capacity(found.len());
    for v in &found {
        parts.push(v.to_str()?);
    }
    Ok(Value::from(parts.join(",")))
}
