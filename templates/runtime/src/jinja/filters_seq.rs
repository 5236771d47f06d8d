//! Jinja2's filters over sequences and mappings (`map`, `select`, `sort`, `unique`, `join`, ...).
//! Those that return generators in Jinja2 return lists here.

use std::collections::HashSet;

use super::args::{flag_or, required, to_index, Args};
use super::eval::Ctx;
use super::filters::{attr_or_none, attribute_parts, follow, ignore_case, text, what};
use super::jtests;
use super::ops::{self, BinOp, OrderOp};
use super::sort::sorted_indices;
use super::value::{hash_value, Dict, Value, ViewKind};
use super::EvalError;

pub(crate) fn f_batch(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let w = what("batch");
    let [linecount, fill_with] = args.bind(&w, ["linecount", "fill_with"])?;
    let linecount = to_index(&required(linecount, &w, "linecount")?)?;
    let fill_with = fill_with.filter(|f| !matches!(f, Value::None));
    if fill_with.is_some() {
        ops::guard_width(linecount)?;
    }
    let mut batches = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    for item in v.iterate()? {
        if current.len() as i64 == linecount {
            batches.push(Value::list(std::mem::take(&mut current)));
        }
        current.push(item);
    }
    if !current.is_empty() {
        if let Some(fill) = fill_with {
            while (current.len() as i64) < linecount {
                current.push(fill.clone());
            }
        }
        batches.push(Value::list(current));
    }
    Ok(Value::list(batches))
}

pub(crate) fn sort_values(keys: &[Value], reverse: bool) -> Result<Vec<usize>, EvalError> {
    sorted_indices(keys, reverse, ops::less)
}

pub(crate) fn f_dictsort(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [case_sensitive, by, reverse] =
        args.bind(&what("dictsort"), ["case_sensitive", "by", "reverse"])?;
    let case_sensitive = flag_or(case_sensitive, false)?;
    let reverse = flag_or(reverse, false)?;
    let by_value = match by.as_ref().map(|b| b.as_str()) {
        None | Some(Some("key")) => false,
        Some(Some("value")) => true,
        _ => {
            return Err(EvalError::new(
                "You can only sort by either \"key\" or \"value\"",
            ))
        }
    };
    let Value::Dict(d) = &v else {
        return Err(EvalError::new(format!(
            "'{}' object has no attribute 'items'",
            v.type_name()
        )));
    };
    let pairs: Vec<(Value, Value)> = d.iter().cloned().collect();
    let keys: Vec<Value> = pairs
        .iter()
        .map(|(k, val)| {
            let key = if by_value { val.clone() } else { k.clone() };
            if case_sensitive {
                key
            } else {
                ignore_case(key)
            }
        })
        .collect();
    let order = sort_values(&keys, reverse)?;
    Ok(Value::list(
        order
            .into_iter()
            .filter_map(|i| pairs.get(i))
            .map(|(k, val)| Value::tuple(vec![k.clone(), val.clone()]))
            .collect(),
    ))
}

pub(crate) fn f_first(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("first"))?;
    Ok(v.iterate()?
        .into_iter()
        .next()
        .unwrap_or_else(|| Value::undefined("No first item, sequence was empty.")))
}

pub(crate) fn f_last(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("last"))?;
    if !matches!(
        v,
        Value::Str(_) | Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::View(..)
    ) && !v.is_undefined()
    {
        return Err(EvalError::new(format!(
            "'{}' object is not reversible",
            v.type_name()
        )));
    }
    Ok(v.iterate()?
        .pop()
        .unwrap_or_else(|| Value::undefined("No last item, sequence was empty.")))
}

pub(crate) fn f_items(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("items"))?;
    match &v {
        Value::Undefined(_) => Ok(Value::list(Vec::new())),
        Value::Dict(d) => Value::View(ViewKind::Items, d.clone())
            .iterate()
            .map(Value::list),
        _ => Err(EvalError::new("Can only get item pairs from a mapping.")),
    }
}

pub(crate) fn f_join(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [d, attribute] = args.bind(&what("join"), ["d", "attribute"])?;
    let separator = match d {
        None => String::new(),
        Some(d) => d.to_str()?,
    };
    let parts = attribute_parts(&attr_or_none(attribute));
    let mut pieces = Vec::new();
    for item in v.iterate()? {
        pieces.push(follow(&item, &parts)?.to_str()?);
    }
    ops::guard_size(pieces.iter().map(|p| p.len() + separator.len()).sum())?;
    text(pieces.join(&separator))
}

pub(crate) fn f_length(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("length"))?;
    Ok(Value::Int(i64::try_from(v.len()?).unwrap_or(i64::MAX)))
}

pub(crate) fn f_list(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("list"))?;
    Ok(Value::list(v.iterate()?))
}

/// Calls the filter `name` on `value` (for `map`).
pub(crate) fn call_filter(
    ctx: &mut Ctx<'_>,
    name: &Value,
    value: Value,
    args: Args,
) -> Result<Value, EvalError> {
    let def = name
        .as_str()
        .and_then(super::filters::lookup)
        .ok_or_else(|| {
            EvalError::new(format!(
                "No filter named {}.",
                name.repr().unwrap_or_default()
            ))
        })?;
    if !def.accepts_undefined {
        if let Some(e) = value.strict_undefined_error() {
            return Err(e);
        }
    }
    (def.func)(ctx, value, args)
}

/// Calls the test `name` on `value` (for `select` and friends).
pub(crate) fn call_test(
    ctx: &mut Ctx<'_>,
    name: &Value,
    value: &Value,
    args: &Args,
) -> Result<bool, EvalError> {
    let def = name.as_str().and_then(jtests::lookup).ok_or_else(|| {
        EvalError::new(format!(
            "No test named {}.",
            name.repr().unwrap_or_default()
        ))
    })?;
    if !def.accepts_undefined {
        if let Some(e) = value.strict_undefined_error() {
            return Err(e);
        }
    }
    (def.func)(ctx, value, args)?.truthy()
}

pub(crate) fn f_map(ctx: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    if !v.truthy()? {
        return Ok(Value::list(Vec::new()));
    }
    let items = v.iterate()?;
    let mut out = Vec::with_capacity(items.len());
    let by_attribute =
        args.pos.is_empty() && args.kw.iter().any(|(k, _)| k.as_ref() == "attribute");
    if by_attribute {
        let [attribute, default] = args.bind(&what("map"), ["attribute", "default"])?;
        let parts = attribute_parts(&attr_or_none(attribute));
        let default = default.filter(|d| !matches!(d, Value::None));
        for item in items {
            let found = follow(&item, &parts)?;
            out.push(match (&found, &default) {
                (Value::Undefined(_), Some(d)) => d.clone(),
                _ => found,
            });
        }
    } else {
        let Some((name, rest)) = args.pos.split_first() else {
            return Err(EvalError::new("map requires a filter argument"));
        };
        let call_args = Args {
            pos: rest.to_vec(),
            kw: args.kw.clone(),
        };
        for item in items {
            out.push(call_filter(ctx, name, item, call_args.clone())?);
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn select(
    ctx: &mut Ctx<'_>,
    v: Value,
    args: Args,
    keep: bool,
    by_attr: bool,
) -> Result<Value, EvalError> {
    if !v.truthy()? {
        return Ok(Value::list(Vec::new()));
    }
    let mut pos = args.pos.as_slice();
    let parts = if by_attr {
        let Some((attr, rest)) = pos.split_first() else {
            return Err(EvalError::new("Missing parameter for attribute name"));
        };
        pos = rest;
        attribute_parts(attr)
    } else {
        Vec::new()
    };
    let test = pos.split_first().map(|(name, rest)| {
        (
            name.clone(),
            Args {
                pos: rest.to_vec(),
                kw: args.kw.clone(),
            },
        )
    });
    let mut out = Vec::new();
    for item in v.iterate()? {
        let subject = follow(&item, &parts)?;
        let passed = match &test {
            Some((name, test_args)) => call_test(ctx, name, &subject, test_args)?,
            None => subject.truthy()?,
        };
        if passed == keep {
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn min_max(
    _: &mut Ctx<'_>,
    v: Value,
    args: Args,
    name: &str,
) -> Result<Value, EvalError> {
    let [case_sensitive, attribute] = args.bind(&what(name), ["case_sensitive", "attribute"])?;
    let case_sensitive = flag_or(case_sensitive, false)?;
    let parts = attribute_parts(&attr_or_none(attribute));
    let items = v.iterate()?;
    let mut best: Option<(Value, Value)> = None;
    for item in items {
        let mut key = follow(&item, &parts)?;
        if !case_sensitive {
            key = ignore_case(key);
        }
        let better = match &best {
            None => true,
            Some((_, best_key)) => {
                let op = if name == "min" {
                    OrderOp::Lt
                } else {
                    OrderOp::Gt
                };
                ops::order(op, &key, best_key)?
            }
        };
        if better {
            best = Some((item, key));
        }
    }
    Ok(best.map_or_else(
        || Value::undefined("No aggregated item, sequence was empty."),
        |(item, _)| item,
    ))
}

pub(crate) fn f_reverse(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("reverse"))?;
    match &v {
        Value::Str(s) => text(s.chars().rev().collect()),
        _ if v.is_iterable() || v.is_undefined() => {
            let mut items = v.iterate()?;
            items.reverse();
            Ok(Value::list(items))
        }
        _ => Err(EvalError::new("argument must be iterable")),
    }
}

pub(crate) fn f_sort(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [reverse, case_sensitive, attribute] =
        args.bind(&what("sort"), ["reverse", "case_sensitive", "attribute"])?;
    let reverse = flag_or(reverse, false)?;
    let case_sensitive = flag_or(case_sensitive, false)?;
    // make_multi_attrgetter: "a,b" gives a list key.
    let paths: Vec<Vec<Value>> = match &attr_or_none(attribute) {
        Value::Str(s) => s
            .split(',')
            .map(|p| attribute_parts(&Value::from(p)))
            .collect(),
        other => vec![attribute_parts(other)],
    };
    let items = v.iterate()?;
    let mut keys = Vec::with_capacity(items.len());
    for item in &items {
        let mut key = Vec::with_capacity(paths.len());
        for path in &paths {
            let part = follow(item, path)?;
            key.push(if case_sensitive {
                part
            } else {
                ignore_case(part)
            });
        }
        keys.push(Value::list(key));
    }
    let order = sort_values(&keys, reverse)?;
    Ok(Value::list(
        order
            .into_iter()
            .filter_map(|i| items.get(i).cloned())
            .collect(),
    ))
}

pub(crate) fn f_sum(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [attribute, start] = args.bind(&what("sum"), ["attribute", "start"])?;
    let parts = attribute_parts(&attr_or_none(attribute));
    let mut total = start.unwrap_or(Value::Int(0));
    if matches!(total, Value::Str(_)) {
        return Err(EvalError::new(
            "sum() can't sum strings [use ''.join(seq) instead]",
        ));
    }
    for item in v.iterate()? {
        total = ops::binary(BinOp::Add, &total, &follow(&item, &parts)?)?;
    }
    Ok(total)
}

pub(crate) fn f_unique(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [case_sensitive, attribute] =
        args.bind(&what("unique"), ["case_sensitive", "attribute"])?;
    let case_sensitive = flag_or(case_sensitive, false)?;
    let parts = attribute_parts(&attr_or_none(attribute));
    let mut seen = Dict::new();
    let mut hashes = HashSet::new();
    let mut out = Vec::new();
    for item in v.iterate()? {
        let mut key = follow(&item, &parts)?;
        if !case_sensitive {
            key = ignore_case(key);
        }
        let hash = hash_value(&key)?;
        if hashes.contains(&hash) && seen.contains(&key)? {
            continue;
        }
        hashes.insert(hash);
        seen.insert(key, Value::None)?;
        out.push(item);
    }
    Ok(Value::list(out))
}
