//! Methods of `str`, `dict`, `list` and `tuple` values (`x.upper()`, `d.items()`, ...).
//! The `loop` methods live with the evaluator.

use std::rc::Rc;

use super::args::{index_or, str_arg, to_index, Args};
use super::ops::{guard_size, guard_width, same_object};
use super::pystr;
use super::strformat;
use super::unicode;
use super::value::{py_eq, Value, ViewKind};
use super::EvalError;

/// Every method name the evaluator knows.
const KNOWN: &[&str] = &[
    "capitalize",
    "center",
    "count",
    "endswith",
    "find",
    "format",
    "index",
    "isalnum",
    "isalpha",
    "isdigit",
    "islower",
    "isspace",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "replace",
    "rfind",
    "rjust",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "title",
    "upper",
    "zfill",
    "copy",
    "get",
    "items",
    "keys",
    "values",
    "changed",
    "cycle",
];

/// Whether `name` is a method the evaluator implements.
pub(crate) fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// Jinja2's error for calling a missing attribute: `'int object' has no attribute 'upper'`.
fn no_method(obj: &Value, name: &str) -> EvalError {
    EvalError::new(format!(
        "'{}' has no attribute '{name}'",
        obj.object_type_repr()
    ))
}

/// Calls `obj.name(args)`.
pub(crate) fn call(obj: &Value, name: &str, args: &Args) -> Result<Value, EvalError> {
    match obj {
        Value::Undefined(u) => Err(u.error()),
        Value::Str(s) => str_method(s, name, args).unwrap_or_else(|| Err(no_method(obj, name))),
        Value::Dict(_) => dict_method(obj, name, args).unwrap_or_else(|| Err(no_method(obj, name))),
        Value::List(items) | Value::Tuple(items) => {
            seq_method(obj, items, name, args).unwrap_or_else(|| Err(no_method(obj, name)))
        }
        _ => Err(no_method(obj, name)),
    }
}

fn opt_index(v: Option<Value>) -> Result<Option<i64>, EvalError> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => to_index(&v).map(Some),
    }
}

fn opt_chars(v: Option<Value>, what: &str) -> Result<Option<Rc<str>>, EvalError> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => str_arg(&v, what).map(Some),
    }
}

fn fill_char(v: Option<Value>, what: &str) -> Result<char, EvalError> {
    match v {
        None => Ok(' '),
        Some(v) => {
            let text = str_arg(&v, what)?;
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(EvalError::new(
                    "The fill character must be exactly one character long",
                )),
            }
        }
    }
}

/// Fails when `s.replace(old, new)` would be too large.
pub(crate) fn guard_replace(s: &str, old: &str, new: &str) -> Result<(), EvalError> {
    if new.len() <= old.len() && !old.is_empty() {
        return Ok(());
    }
    let hits = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    guard_size(s.len().saturating_add(hits.saturating_mul(new.len())))
}

fn text(s: String) -> Result<Value, EvalError> {
    Ok(Value::from(s))
}

fn strings(items: Vec<String>) -> Result<Value, EvalError> {
    Ok(Value::list(items.into_iter().map(Value::from).collect()))
}

fn all_chars(s: &str, pred: fn(char) -> bool) -> Result<Value, EvalError> {
    Ok(Value::Bool(!s.is_empty() && s.chars().all(pred)))
}

/// `startswith`/`endswith` with a string or a tuple of strings.
fn affix(s: &str, args: &Args, name: &str, end: bool) -> Result<Value, EvalError> {
    let what = format!("str.{name}()");
    let [affix, start, stop] = args.bind(&what, ["prefix", "start", "end"])?;
    let affix = super::args::required(affix, &what, "prefix")?;
    let Some((from, to)) = pystr::byte_range(s, opt_index(start)?, opt_index(stop)?) else {
        return Ok(Value::Bool(false));
    };
    let window = &s[from..to];
    let test = |a: &str| {
        if end {
            window.ends_with(a)
        } else {
            window.starts_with(a)
        }
    };
    match &affix {
        Value::Str(a) => Ok(Value::Bool(test(a))),
        Value::Tuple(options) => {
            for option in options.iter() {
                if test(&str_arg(option, &what)?) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        other => Err(EvalError::new(format!(
            "{name} first arg must be str or a tuple of str, not {}",
            other.type_name()
        ))),
    }
}

fn find_like(s: &str, args: &Args, name: &str) -> Result<Value, EvalError> {
    let what = format!("str.{name}()");
    let [sub, start, end] = args.bind(&what, ["sub", "start", "end"])?;
    let sub = str_arg(&super::args::required(sub, &what, "sub")?, &what)?;
    let (start, end) = (opt_index(start)?, opt_index(end)?);
    match name {
        "count" => Ok(Value::Int(pystr::count(s, &sub, start, end))),
        _ => {
            let reverse = name == "rfind";
            let found = pystr::find(s, &sub, start, end, reverse);
            if found < 0 && name == "index" {
                return Err(EvalError::new("substring not found"));
            }
            Ok(Value::Int(found))
        }
    }
}

fn str_method(s: &str, name: &str, args: &Args) -> Option<Result<Value, EvalError>> {
    let what = format!("str.{name}()");
    let no_args = || args.none(&what);
    Some(match name {
        "upper" => no_args().and_then(|()| text(pystr::upper(s))),
        "lower" => no_args().and_then(|()| text(pystr::lower(s))),
        "capitalize" => no_args().and_then(|()| text(pystr::capitalize(s))),
        "title" => no_args().and_then(|()| text(pystr::title(s))),
        "isalnum" => no_args().and_then(|()| all_chars(s, unicode::is_alnum)),
        "isalpha" => no_args().and_then(|()| all_chars(s, unicode::is_alpha)),
        "isdigit" => no_args().and_then(|()| all_chars(s, unicode::is_digit)),
        "isspace" => no_args().and_then(|()| all_chars(s, unicode::is_space)),
        "islower" => no_args().map(|()| Value::Bool(pystr::is_lower(s))),
        "isupper" => no_args().map(|()| Value::Bool(pystr::is_upper(s))),
        "strip" | "lstrip" | "rstrip" => (|| {
            let [chars] = args.bind(&what, ["chars"])?;
            let chars = opt_chars(chars, &what)?;
            let left = name != "rstrip";
            let right = name != "lstrip";
            text(pystr::strip(s, chars.as_deref(), left, right))
        })(),
        "split" | "rsplit" => (|| {
            let [sep, maxsplit] = args.bind(&what, ["sep", "maxsplit"])?;
            let sep = opt_chars(sep, &what)?;
            let maxsplit = index_or(maxsplit, -1)?;
            if name == "split" {
                strings(pystr::split(s, sep.as_deref(), maxsplit)?)
            } else {
                strings(pystr::rsplit(s, sep.as_deref(), maxsplit)?)
            }
        })(),
        "splitlines" => (|| {
            let [keepends] = args.bind(&what, ["keepends"])?;
            let keepends = super::args::flag_or(keepends, false)?;
            strings(pystr::splitlines(s, keepends))
        })(),
        "startswith" => affix(s, args, name, false),
        "endswith" => affix(s, args, name, true),
        "find" | "rfind" | "index" | "count" => find_like(s, args, name),
        "replace" => (|| {
            let [old, new, count] = args.bind(&what, ["old", "new", "count"])?;
            let old = str_arg(&super::args::required(old, &what, "old")?, &what)?;
            let new = str_arg(&super::args::required(new, &what, "new")?, &what)?;
            let count = index_or(count, -1)?;
            guard_replace(s, &old, &new)?;
            text(pystr::replace(s, &old, &new, count))
        })(),
        "join" => (|| {
            let [items] = args.bind(&what, ["iterable"])?;
            let items = super::args::required(items, &what, "iterable")?;
            let mut parts = Vec::new();
            for (i, item) in items.iterate()?.iter().enumerate() {
                match item {
                    Value::Str(p) => parts.push(p.to_string()),
                    other => {
                        return Err(EvalError::new(format!(
                            "sequence item {i}: expected str instance, {} found",
                            other.type_name()
                        )))
                    }
                }
            }
            guard_size(parts.iter().map(|p| p.len() + s.len()).sum())?;
            text(parts.join(s))
        })(),
        "center" | "ljust" | "rjust" => (|| {
            let [width, fill] = args.bind(&what, ["width", "fillchar"])?;
            let width = to_index(&super::args::required(width, &what, "width")?)?;
            guard_width(width)?;
            let fill = fill_char(fill, &what)?;
            let len = s.chars().count() as i64;
            let extra = (width - len).max(0);
            text(match name {
                "center" => pystr::center(s, width, fill),
                "ljust" => pystr::pad(s, 0, extra, fill),
                _ => pystr::pad(s, extra, 0, fill),
            })
        })(),
        "zfill" => (|| {
            let [width] = args.bind(&what, ["width"])?;
            let width = to_index(&super::args::required(width, &what, "width")?)?;
            guard_width(width)?;
            text(pystr::zfill(s, width))
        })(),
        "format" => strformat::format(s, args).map(Value::from),
        _ => return None,
    })
}

fn dict_method(obj: &Value, name: &str, args: &Args) -> Option<Result<Value, EvalError>> {
    let Value::Dict(d) = obj else {
        return None;
    };
    let what = format!("dict.{name}()");
    let view = |kind| args.none(&what).map(|()| Value::View(kind, d.clone()));
    Some(match name {
        "keys" => view(ViewKind::Keys),
        "values" => view(ViewKind::Values),
        "items" => view(ViewKind::Items),
        "copy" => args.none(&what).map(|()| Value::from(d.as_ref().clone())),
        "get" => (|| {
            let [key, default] = args.bind(&what, ["key", "default"])?;
            let key = super::args::required(key, &what, "key")?;
            Ok(match d.get(&key)? {
                Some(v) => v.clone(),
                None => default.unwrap_or(Value::None),
            })
        })(),
        _ => return None,
    })
}

fn seq_method(
    obj: &Value,
    items: &[Value],
    name: &str,
    args: &Args,
) -> Option<Result<Value, EvalError>> {
    let what = format!("{}.{name}()", obj.type_name());
    Some(match name {
        "count" => (|| {
            let [x] = args.bind(&what, ["value"])?;
            let x = super::args::required(x, &what, "value")?;
            let mut n = 0;
            for item in items {
                if same_object(item, &x) || py_eq(item, &x)? {
                    n += 1;
                }
            }
            Ok(Value::Int(n))
        })(),
        "index" => (|| {
            let [x, start, end] = args.bind(&what, ["value", "start", "stop"])?;
            let x = super::args::required(x, &what, "value")?;
            let len = items.len() as i64;
            let norm = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
            let start = norm(opt_index(start)?.unwrap_or(0));
            let end = norm(opt_index(end)?.unwrap_or(len));
            let mut i = start;
            while i < end {
                if let Some(item) = usize::try_from(i).ok().and_then(|p| items.get(p)) {
                    if same_object(item, &x) || py_eq(item, &x)? {
                        return Ok(Value::Int(i));
                    }
                }
                i += 1;
            }
            Err(EvalError::new(format!(
                "{} is not in {}",
                x.repr()?,
                obj.type_name()
            )))
        })(),
        "copy" if matches!(obj, Value::List(_)) => {
            args.none(&what).map(|()| Value::list(items.to_vec()))
        }
        _ => return None,
    })
}
