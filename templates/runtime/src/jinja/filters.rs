//! Jinja2's built-in filters and Ansible's common ones.
//!
//! Filters that return generators in Jinja2 (`map`, `select`, `unique`, `reverse`, `batch`,
//! `items`, ...) return lists here.

use super::access;
use super::args::{flag_or, index_or, required, to_index, Args};
use super::eval::Ctx;
use super::filters_ansible;
use super::filters_seq;
use super::json_text::{self, Options};
use super::num;
use super::ops::{self, BinOp};
use super::pyformat;
use super::pystr;
use super::unicode;
use super::value::{Dict, Value};
use super::EvalError;

/// A filter function: the filtered value and the call's arguments.
pub(crate) type FilterFn = fn(&mut Ctx<'_>, Value, Args) -> Result<Value, EvalError>;

/// A named filter.
#[derive(Debug)]
pub(crate) struct FilterDef {
    pub(crate) name: &'static str,
    pub(crate) func: FilterFn,
    /// Whether the filter inspects a strict undefined value instead of failing with its message.
    pub(crate) accepts_undefined: bool,
}

const fn def(name: &'static str, func: FilterFn) -> FilterDef {
    FilterDef {
        name,
        func,
        accepts_undefined: false,
    }
}

const fn undef_ok(name: &'static str, func: FilterFn) -> FilterDef {
    FilterDef {
        name,
        func,
        accepts_undefined: true,
    }
}

static FILTERS: &[FilterDef] = &[
    def("abs", f_abs),
    def("basename", filters_ansible::f_basename),
    def("batch", filters_seq::f_batch),
    def("bool", filters_ansible::f_bool),
    def("capitalize", |_, v, a| {
        text_filter(v, a, "capitalize", pystr::capitalize)
    }),
    def("center", f_center),
    def("combine", filters_ansible::f_combine),
    undef_ok("default", f_default),
    def("dict2items", filters_ansible::f_dict2items),
    def("dictsort", filters_seq::f_dictsort),
    def("dirname", filters_ansible::f_dirname),
    def("escape", f_escape),
    def("first", filters_seq::f_first),
    def("float", f_float),
    def("format", f_format),
    def("from_json", filters_ansible::f_from_json),
    def("indent", f_indent),
    def("int", f_int),
    undef_ok("items", filters_seq::f_items),
    def("items2dict", filters_ansible::f_items2dict),
    def("join", filters_seq::f_join),
    def("last", filters_seq::f_last),
    def("length", filters_seq::f_length),
    def("list", filters_seq::f_list),
    def("lower", |_, v, a| text_filter(v, a, "lower", pystr::lower)),
    undef_ok("mandatory", filters_ansible::f_mandatory),
    def("map", filters_seq::f_map),
    def("max", |c, v, a| filters_seq::min_max(c, v, a, "max")),
    def("min", |c, v, a| filters_seq::min_max(c, v, a, "min")),
    def("reject", |c, v, a| {
        filters_seq::select(c, v, a, false, false)
    }),
    def("rejectattr", |c, v, a| {
        filters_seq::select(c, v, a, false, true)
    }),
    def("replace", f_replace),
    def("reverse", filters_seq::f_reverse),
    def("round", f_round),
    def("select", |c, v, a| {
        filters_seq::select(c, v, a, true, false)
    }),
    def("selectattr", |c, v, a| {
        filters_seq::select(c, v, a, true, true)
    }),
    def("sort", filters_seq::f_sort),
    def("string", f_string),
    def("sum", filters_seq::f_sum),
    def("ternary", filters_ansible::f_ternary),
    def("title", |_, v, a| text_filter(v, a, "title", jinja_title)),
    def("to_json", |_, v, a| {
        filters_ansible::to_json(v, a, "to_json", None, false)
    }),
    def("to_nice_json", |_, v, a| {
        filters_ansible::to_json(v, a, "to_nice_json", Some(4), true)
    }),
    def("tojson", f_tojson),
    def("trim", f_trim),
    def("truncate", f_truncate),
    def("unique", filters_seq::f_unique),
    def("upper", |_, v, a| text_filter(v, a, "upper", pystr::upper)),
    def("wordcount", f_wordcount),
];

/// The filter called `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static FilterDef> {
    FILTERS.iter().find(|f| f.name == name)
}

pub(crate) fn what(name: &str) -> String {
    format!("the filter '{name}'")
}

pub(crate) fn text(s: String) -> Result<Value, EvalError> {
    Ok(Value::from(s))
}

/// Filters that work on `str(value)`.
fn text_filter(
    v: Value,
    args: Args,
    name: &str,
    f: fn(&str) -> String,
) -> Result<Value, EvalError> {
    args.none(&what(name))?;
    text(f(&v.to_str()?))
}

/// Jinja2's `title`: every word (after `-`, whitespace or an opening bracket) gets its first
/// character upper-cased and the rest lower-cased.
fn jinja_title(s: &str) -> String {
    let is_sep = |c: char| matches!(c, '-' | '(' | '{' | '[' | '<') || unicode::is_space(c);
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let end = if is_sep(c) {
            rest.find(|x: char| !is_sep(x)).unwrap_or(rest.len())
        } else {
            rest.find(is_sep).unwrap_or(rest.len())
        };
        let (segment, tail) = rest.split_at(end);
        let first_len = c.len_utf8();
        out.push_str(&pystr::upper(&segment[..first_len]));
        out.push_str(&pystr::lower(&segment[first_len..]));
        rest = tail;
    }
    out
}

/// Jinja2's attribute paths (`"a.b.0"`): parts split on dots, digit parts as ints.
pub(crate) fn attribute_parts(attribute: &Value) -> Vec<Value> {
    match attribute {
        Value::None => Vec::new(),
        Value::Str(path) => path
            .split('.')
            .map(|part| {
                if !part.is_empty() && part.chars().all(unicode::is_digit) {
                    num::parse_int(part, 10)
                        .ok()
                        .flatten()
                        .map_or_else(|| Value::from(part), Value::Int)
                } else {
                    Value::from(part)
                }
            })
            .collect(),
        other => vec![other.clone()],
    }
}

/// Follows an attribute path with Jinja2's `getitem`.
pub(crate) fn follow(item: &Value, parts: &[Value]) -> Result<Value, EvalError> {
    let mut current = item.clone();
    for part in parts {
        current = access::item(&current, part)?;
    }
    Ok(current)
}

/// Jinja2's `ignore_case`: strings lower-cased, everything else as is.
pub(crate) fn ignore_case(v: Value) -> Value {
    match &v {
        Value::Str(s) => Value::from(pystr::lower(s)),
        _ => v,
    }
}

pub(crate) fn attr_or_none(v: Option<Value>) -> Value {
    v.unwrap_or(Value::None)
}

fn f_abs(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("abs"))?;
    match v {
        Value::Int(i) => i.checked_abs().map(Value::Int).ok_or_else(num::overflow),
        Value::Bool(b) => Ok(Value::Int(i64::from(b))),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => Err(EvalError::new(format!(
            "bad operand type for abs(): '{}'",
            other.type_name()
        ))),
    }
}

fn f_center(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [width] = args.bind(&what("center"), ["width"])?;
    let width = index_or(width, 80)?;
    ops::guard_width(width)?;
    text(pystr::center(&v.to_str()?, width, ' '))
}

fn f_default(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [default, boolean] = args.bind(&what("default"), ["default_value", "boolean"])?;
    let boolean = flag_or(boolean, false)?;
    if v.is_undefined() || (boolean && !v.truthy()?) {
        return Ok(default.unwrap_or_else(|| Value::from("")));
    }
    Ok(v)
}

/// markupsafe's `escape`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn f_escape(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("escape"))?;
    text(html_escape(&v.to_str()?))
}

/// Python's `float(v)`: `None` when it raises `ValueError`/`TypeError`.
fn to_float(v: &Value) -> Result<Option<f64>, EvalError> {
    Ok(match v {
        Value::Int(i) => Some(*i as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Float(f) => Some(*f),
        Value::Str(s) => num::parse_float(s),
        Value::Undefined(u) => return Err(u.error()),
        _ => None,
    })
}

fn f_float(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [default] = args.bind(&what("float"), ["default"])?;
    Ok(match to_float(&v)? {
        Some(f) => Value::Float(f),
        None => default.unwrap_or(Value::Float(0.0)),
    })
}

fn f_int(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [default, base] = args.bind(&what("int"), ["default", "base"])?;
    let default = default.unwrap_or(Value::Int(0));
    // int(value[, base])
    let first = match &v {
        Value::Str(s) => {
            // An invalid base is a ValueError too: the float fallback below applies.
            match index_or(base, 10)? {
                b @ (0 | 2..=36) => num::parse_int(s, b as u32)?,
                _ => None,
            }
        }
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Float(f) if f.is_infinite() => {
            return Err(EvalError::new("cannot convert float infinity to integer"))
        }
        Value::Float(f) if f.is_nan() => None,
        Value::Float(f) => Some(num::float_to_int(*f)?),
        _ => None,
    };
    if let Some(i) = first {
        return Ok(Value::Int(i));
    }
    // int(float(value)), with any failure giving the default.
    // An infinite or NaN float gives the default; a finite one beyond 64 bits is an error
    // (Python would give a big int).
    Ok(match to_float(&v)? {
        Some(f) if f.is_finite() => Value::Int(num::float_to_int(f)?),
        _ => default,
    })
}

fn f_format(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    if !args.pos.is_empty() && !args.kw.is_empty() {
        return Err(EvalError::new(
            "can't handle positional and keyword arguments at the same time",
        ));
    }
    let format = v.to_str()?;
    let operand = if args.kw.is_empty() {
        Value::tuple(args.pos)
    } else {
        let mut d = Dict::new();
        for (k, val) in args.kw {
            d.insert_str(&k, val);
        }
        Value::from(d)
    };
    pyformat::percent_format(&format, &operand)
}

fn f_indent(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [width, first, blank] = args.bind(&what("indent"), ["width", "first", "blank"])?;
    let indention = match &width {
        None => "    ".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(w) => match w {
            Value::Int(_) | Value::Bool(_) => {
                let width = to_index(w)?;
                ops::guard_width(width)?;
                " ".repeat(usize::try_from(width).unwrap_or(0))
            }
            other => {
                return Err(EvalError::new(format!(
                    "can't multiply sequence by non-int of type '{}'",
                    other.type_name()
                )))
            }
        },
    };
    let first = flag_or(first, false)?;
    let blank = flag_or(blank, false)?;
    let Value::Str(s) = &v else {
        return Err(EvalError::new(format!(
            "the filter 'indent' expects a string, not {}",
            v.type_name()
        )));
    };
    let s = format!("{s}\n");
    let lines = pystr::splitlines(&s, false);
    let mut rv = if blank {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut iter = lines.into_iter();
        let mut rv = iter.next().unwrap_or_default();
        let rest: Vec<String> = iter
            .map(|line| {
                if line.is_empty() {
                    line
                } else {
                    format!("{indention}{line}")
                }
            })
            .collect();
        if !rest.is_empty() {
            rv.push('\n');
            rv.push_str(&rest.join("\n"));
        }
        rv
    };
    if first {
        rv = format!("{indention}{rv}");
    }
    text(rv)
}

fn f_replace(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let w = what("replace");
    let [old, new, count] = args.bind(&w, ["old", "new", "count"])?;
    let old = required(old, &w, "old")?.to_str()?;
    let new = required(new, &w, "new")?.to_str()?;
    let count = match count {
        None | Some(Value::None) => -1,
        Some(c) => to_index(&c)?,
    };
    let s = v.to_str()?;
    super::methods::guard_replace(&s, &old, &new)?;
    text(pystr::replace(&s, &old, &new, count))
}

fn f_round(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [precision, method] = args.bind(&what("round"), ["precision", "method"])?;
    let method = match &method {
        None => "common".to_string(),
        Some(m) => m.to_str()?,
    };
    if !matches!(method.as_str(), "common" | "ceil" | "floor") {
        return Err(EvalError::new("method must be common, ceil or floor"));
    }
    let number = match &v {
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => v.clone(),
        other => {
            return Err(EvalError::new(format!(
                "type {} doesn't define __round__ method",
                other.type_name()
            )))
        }
    };
    if method == "common" {
        let precision = match precision {
            Some(Value::None) => {
                // round(x) without digits gives an int.
                return match number {
                    Value::Float(f) => num::float_to_int(num::round_float(f, 0)).map(Value::Int),
                    Value::Bool(b) => Ok(Value::Int(i64::from(b))),
                    other => Ok(other),
                };
            }
            p => index_or(p, 0)?,
        };
        return match number {
            Value::Float(f) => Ok(Value::Float(num::round_float(f, precision))),
            Value::Bool(b) => num::round_int(i64::from(b), precision).map(Value::Int),
            Value::Int(i) => num::round_int(i, precision).map(Value::Int),
            other => Ok(other),
        };
    }
    // math.ceil/floor(value * 10**precision) / 10**precision
    let precision = index_or(precision, 0)?;
    let scale = Value::Float(10f64.powi(i32::try_from(precision).unwrap_or(i32::MAX)));
    let scale = if precision >= 0 {
        match 10i64.checked_pow(u32::try_from(precision).unwrap_or(u32::MAX)) {
            Some(p) => Value::Int(p),
            None => scale,
        }
    } else {
        scale
    };
    let scaled = ops::binary(BinOp::Mul, &number, &scale)?;
    let rounded = match scaled {
        Value::Float(f) => {
            let r = if method == "ceil" {
                f.ceil()
            } else {
                f.floor()
            };
            num::float_to_int(r).map(Value::Int).or_else(|e| {
                if r.is_finite() {
                    Ok(Value::Float(r))
                } else {
                    Err(e)
                }
            })?
        }
        other => other,
    };
    match ops::binary(BinOp::Div, &rounded, &scale)? {
        Value::Int(i) => Ok(Value::Float(i as f64)),
        other => Ok(other),
    }
}

fn f_string(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("string"))?;
    match v {
        Value::Str(_) => Ok(v),
        other => text(other.to_str()?),
    }
}

/// Jinja2's `tojson`: sorted keys and HTML-safe escapes.
fn f_tojson(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [indent] = args.bind(&what("tojson"), ["indent"])?;
    let mut options = Options::new();
    options.sort_keys = true;
    if let Some(i) = indent {
        options.indent = json_text::indent_arg(&i)?;
    }
    let dumped = json_text::dumps(&v, &options)?;
    let mut out = String::with_capacity(dumped.len());
    for c in dumped.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            c => out.push(c),
        }
    }
    text(out)
}

fn f_trim(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [chars] = args.bind(&what("trim"), ["chars"])?;
    let chars = match &chars {
        None | Some(Value::None) => None,
        Some(Value::Str(s)) => Some(s.clone()),
        Some(other) => {
            return Err(EvalError::new(format!(
                "strip arg must be None or str, not {}",
                other.type_name()
            )))
        }
    };
    text(pystr::strip(&v.to_str()?, chars.as_deref(), true, true))
}

fn f_truncate(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    let [length, killwords, end, leeway] =
        args.bind(&what("truncate"), ["length", "killwords", "end", "leeway"])?;
    let length = index_or(length, 255)?;
    let killwords = flag_or(killwords, false)?;
    let end = match end {
        None => "...".to_string(),
        Some(e) => e.to_str()?,
    };
    let leeway = match leeway {
        None | Some(Value::None) => 5,
        Some(l) => to_index(&l)?,
    };
    let end_len = end.chars().count() as i64;
    if length < end_len {
        return Err(EvalError::new(format!(
            "expected length >= {end_len}, got {length}"
        )));
    }
    if leeway < 0 {
        return Err(EvalError::new(format!(
            "expected leeway >= 0, got {leeway}"
        )));
    }
    let Value::Str(s) = &v else {
        return Err(EvalError::new(format!(
            "object of type '{}' has no len()",
            v.type_name()
        )));
    };
    let chars: Vec<char> = s.chars().collect();
    if chars.len() as i64 <= length.saturating_add(leeway) {
        return Ok(v.clone());
    }
    let keep = usize::try_from(length - end_len)
        .unwrap_or(0)
        .min(chars.len());
    let head: String = chars[..keep].iter().collect();
    if killwords {
        return text(format!("{head}{end}"));
    }
    let cut = match head.rfind(' ') {
        Some(i) => head[..i].to_string(),
        None => head,
    };
    text(format!("{cut}{end}"))
}

fn f_wordcount(_: &mut Ctx<'_>, v: Value, args: Args) -> Result<Value, EvalError> {
    args.none(&what("wordcount"))?;
    let s = v.to_str()?;
    let mut words = 0;
    let mut in_word = false;
    for c in s.chars() {
        let word_char = c == '_' || unicode::is_alnum(c);
        if word_char && !in_word {
            words += 1;
        }
        in_word = word_char;
    }
    Ok(Value::Int(words))
}
