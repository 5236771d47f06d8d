//! Jinja2 tests (`x is defined`, `x is divisibleby(3)`, ...) and Ansible's result and path
//! tests.

use std::path::Path;

use super::args::{required, Args};
use super::eval::Ctx;
use super::ops::{self, BinOp, OrderOp};
use super::pystr;
use super::value::{py_eq, Dict, Value};
use super::EvalError;

/// A test function: the tested value and the arguments; the result's truthiness is the answer
/// (Ansible's result tests return the stored value itself).
pub(crate) type TestFn = fn(&mut Ctx<'_>, &Value, &Args) -> Result<Value, EvalError>;

/// A named test.
#[derive(Debug)]
pub(crate) struct TestDef {
    pub(crate) name: &'static str,
    pub(crate) func: TestFn,
    /// Whether the test inspects a strict undefined value instead of failing with its message.
    pub(crate) accepts_undefined: bool,
}

const fn def(name: &'static str, func: TestFn, accepts_undefined: bool) -> TestDef {
    TestDef {
        name,
        func,
        accepts_undefined,
    }
}

static TESTS: &[TestDef] = &[
    def("abs", t_abs, false),
    def(
        "boolean",
        |_, v, a| kind(v, a, "boolean", |v| matches!(v, Value::Bool(_))),
        true,
    ),
    def(
        "callable",
        |_, v, a| {
            kind(v, a, "callable", |v| {
                matches!(v, Value::Loop(_) | Value::Undefined(_))
            })
        },
        true,
    ),
    def("changed", t_changed, false),
    def(
        "defined",
        |_, v, a| kind(v, a, "defined", |v| !v.is_undefined()),
        true,
    ),
    def(
        "directory",
        |_, v, a| path_test(v, a, "directory", |p| p.is_dir()),
        false,
    ),
    def("divisibleby", t_divisibleby, false),
    def("eq", |_, v, a| compare(v, a, "eq", py_eq), false),
    def("escaped", |_, v, a| kind(v, a, "escaped", |_| false), true),
    def("even", |_, v, a| parity(v, a, "even", 0), false),
    def(
        "exists",
        |_, v, a| path_test(v, a, "exists", |p| p.exists()),
        false,
    ),
    def("failed", t_failed, false),
    def(
        "false",
        |_, v, a| kind(v, a, "false", |v| matches!(v, Value::Bool(false))),
        true,
    ),
    def(
        "file",
        |_, v, a| path_test(v, a, "file", |p| p.is_file()),
        false,
    ),
    def(
        "float",
        |_, v, a| kind(v, a, "float", |v| matches!(v, Value::Float(_))),
        true,
    ),
    def(
        "ge",
        |_, v, a| compare(v, a, "ge", |x, y| ops::order(OrderOp::Ge, x, y)),
        false,
    ),
    def(
        "gt",
        |_, v, a| compare(v, a, "gt", |x, y| ops::order(OrderOp::Gt, x, y)),
        false,
    ),
    def("in", t_in, true),
    def(
        "integer",
        |_, v, a| kind(v, a, "integer", |v| matches!(v, Value::Int(_))),
        true,
    ),
    def(
        "iterable",
        |_, v, a| kind(v, a, "iterable", iterable),
        false,
    ),
    def(
        "le",
        |_, v, a| compare(v, a, "le", |x, y| ops::order(OrderOp::Le, x, y)),
        false,
    ),
    def(
        "link",
        |_, v, a| path_test(v, a, "link", |p| p.is_symlink()),
        false,
    ),
    def(
        "lower",
        |_, v, a| text_test(v, a, "lower", pystr::is_lower),
        false,
    ),
    def(
        "lt",
        |_, v, a| compare(v, a, "lt", |x, y| ops::order(OrderOp::Lt, x, y)),
        false,
    ),
    def(
        "mapping",
        |_, v, a| kind(v, a, "mapping", |v| matches!(v, Value::Dict(_))),
        true,
    ),
    def(
        "ne",
        |_, v, a| compare(v, a, "ne", |x, y| py_eq(x, y).map(|e| !e)),
        false,
    ),
    def(
        "none",
        |_, v, a| kind(v, a, "none", |v| matches!(v, Value::None)),
        true,
    ),
    def("number", |_, v, a| kind(v, a, "number", is_number), true),
    def("odd", |_, v, a| parity(v, a, "odd", 1), false),
    def("sameas", t_sameas, true),
    def(
        "sequence",
        |_, v, a| kind(v, a, "sequence", is_sequence),
        true,
    ),
    def("skipped", |_, v, a| result_key(v, a, "skipped"), false),
    def(
        "string",
        |_, v, a| kind(v, a, "string", |v| matches!(v, Value::Str(_))),
        true,
    ),
    def("succeeded", t_succeeded, false),
    def(
        "true",
        |_, v, a| kind(v, a, "true", |v| matches!(v, Value::Bool(true))),
        true,
    ),
    def(
        "undefined",
        |_, v, a| kind(v, a, "undefined", Value::is_undefined),
        true,
    ),
    def(
        "upper",
        |_, v, a| text_test(v, a, "upper", pystr::is_upper),
        false,
    ),
];

/// The test called `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static TestDef> {
    TESTS.iter().find(|t| t.name == name)
}

fn what(name: &str) -> String {
    format!("the test '{name}'")
}

fn kind(v: &Value, args: &Args, name: &str, pred: fn(&Value) -> bool) -> Result<Value, EvalError> {
    args.none(&what(name))?;
    Ok(Value::Bool(pred(v)))
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Bool(_) | Value::Int(_) | Value::Float(_))
}

/// Jinja2's `sequence` test: `len()` and `__getitem__` both work.
fn is_sequence(v: &Value) -> bool {
    matches!(
        v,
        Value::Str(_) | Value::List(_) | Value::Tuple(_) | Value::Dict(_)
    )
}

fn iterable(v: &Value) -> bool {
    v.is_iterable() || v.is_undefined()
}

fn compare(
    v: &Value,
    args: &Args,
    name: &str,
    op: fn(&Value, &Value) -> Result<bool, EvalError>,
) -> Result<Value, EvalError> {
    let w = what(name);
    let [other] = args.bind(&w, ["other"])?;
    let other = required(other, &w, "other")?;
    op(v, &other).map(Value::Bool)
}

fn t_in(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    let w = what("in");
    let [seq] = args.bind(&w, ["seq"])?;
    let seq = required(seq, &w, "seq")?;
    ops::contains(&seq, v).map(Value::Bool)
}

fn t_sameas(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    let w = what("sameas");
    let [other] = args.bind(&w, ["other"])?;
    let other = required(other, &w, "other")?;
    Ok(Value::Bool(ops::same_object(v, &other)))
}

/// `value % 2 == rem`, with Python's `%` (so a string is %-formatted, as in Jinja2).
fn parity(v: &Value, args: &Args, name: &str, rem: i64) -> Result<Value, EvalError> {
    args.none(&what(name))?;
    let m = ops::binary(BinOp::Mod, v, &Value::Int(2))?;
    py_eq(&m, &Value::Int(rem)).map(Value::Bool)
}

fn t_divisibleby(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    let w = what("divisibleby");
    let [num] = args.bind(&w, ["num"])?;
    let num = required(num, &w, "num")?;
    let m = ops::binary(BinOp::Mod, v, &num)?;
    py_eq(&m, &Value::Int(0)).map(Value::Bool)
}

fn text_test(
    v: &Value,
    args: &Args,
    name: &str,
    pred: fn(&str) -> bool,
) -> Result<Value, EvalError> {
    args.none(&what(name))?;
    Ok(Value::Bool(pred(&v.to_str()?)))
}

fn path_test(
    v: &Value,
    args: &Args,
    name: &str,
    pred: fn(&Path) -> bool,
) -> Result<Value, EvalError> {
    args.none(&what(name))?;
    match v {
        Value::Str(p) => Ok(Value::Bool(!p.is_empty() && pred(Path::new(p.as_ref())))),
        // Python stats an int as a file descriptor; none is open to a template.
        Value::Int(_) | Value::Bool(_) if name != "link" => Ok(Value::Bool(false)),
        other => Err(EvalError::new(format!(
            "the '{name}' test expects a path string, not {}",
            other.type_name()
        ))),
    }
}

fn t_abs(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    args.none(&what("abs"))?;
    match v {
        Value::Str(p) => Ok(Value::Bool(p.starts_with('/'))),
        other => Err(EvalError::new(format!(
            "the 'abs' test expects a path string, not {}",
            other.type_name()
        ))),
    }
}

/// The task result dict an Ansible result test inspects.
fn result_dict<'v>(v: &'v Value, args: &Args, name: &str) -> Result<&'v Dict, EvalError> {
    args.none(&what(name))?;
    match v {
        Value::Dict(d) => Ok(d),
        _ => Err(EvalError::new(format!(
            "The '{name}' test expects a dictionary"
        ))),
    }
}

fn result_key(v: &Value, args: &Args, key: &str) -> Result<Value, EvalError> {
    let d = result_dict(v, args, key)?;
    Ok(d.get_str(key).cloned().unwrap_or(Value::Bool(false)))
}

fn t_failed(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    result_key(v, args, "failed")
}

fn t_succeeded(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    let d = result_dict(v, args, "succeeded")?;
    let failed = d.get_str("failed").cloned().unwrap_or(Value::Bool(false));
    Ok(Value::Bool(!failed.truthy()?))
}

/// Ansible's `changed`: the `changed` key, or any changed item of a loop's `results`.
fn t_changed(_: &mut Ctx<'_>, v: &Value, args: &Args) -> Result<Value, EvalError> {
    let d = result_dict(v, args, "changed")?;
    if let Some(changed) = d.get_str("changed") {
        return Ok(changed.clone());
    }
    if let Some(Value::List(results)) = d.get_str("results") {
        let Some(first) = results.first() else {
            return Err(EvalError::new("list index out of range"));
        };
        if matches!(first, Value::Dict(_)) {
            for result in results.iter() {
                if let Value::Dict(r) = result {
                    if r.get_str("changed").map(Value::truthy).transpose()? == Some(true) {
                        return Ok(Value::Bool(true));
                    }
                } else {
                    return Err(EvalError::new(format!(
                        "'{}' object has no attribute 'get'",
                        result.type_name()
                    )));
                }
            }
        }
    }
    Ok(Value::Bool(false))
}
