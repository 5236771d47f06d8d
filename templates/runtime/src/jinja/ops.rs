//! Python operators: arithmetic, ordering comparisons and `in`.

use std::cmp::Ordering;
use std::rc::Rc;

use super::value::{enter, num_cmp, number, py_eq, Num, Value, ViewKind};
use super::{num, pyformat, EvalError};

/// Largest string or list an operator may build (a guard against memory exhaustion).
pub(crate) const MAX_BUILD: usize = 64 * 1024 * 1024;

/// Largest width or precision a format or padding method accepts.
pub(crate) const MAX_WIDTH: i64 = 10_000_000;

/// Fails on widths and precisions beyond [`MAX_WIDTH`].
pub(crate) fn guard_width(width: i64) -> Result<(), EvalError> {
    if width > MAX_WIDTH {
        Err(EvalError::new(format!(
            "width or precision {width} is too large (at most {MAX_WIDTH})"
        )))
    } else {
        Ok(())
    }
}

/// A binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

impl BinOp {
    /// Parses the IR operator text.
    pub(crate) fn parse(op: &str) -> Option<BinOp> {
        Some(match op {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "//" => BinOp::FloorDiv,
            "%" => BinOp::Mod,
            "**" => BinOp::Pow,
            _ => return None,
        })
    }

    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "** or pow()",
        }
    }
}

/// An ordering comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl OrderOp {
    fn symbol(self) -> &'static str {
        match self {
            OrderOp::Lt => "<",
            OrderOp::Le => "<=",
            OrderOp::Gt => ">",
            OrderOp::Ge => ">=",
        }
    }

    fn holds(self, ordering: Option<Ordering>) -> bool {
        match (self, ordering) {
            (_, None) => false,
            (OrderOp::Lt, Some(o)) => o == Ordering::Less,
            (OrderOp::Le, Some(o)) => o != Ordering::Greater,
            (OrderOp::Gt, Some(o)) => o == Ordering::Greater,
            (OrderOp::Ge, Some(o)) => o != Ordering::Less,
        }
    }
}

fn unsupported(op: BinOp, a: &Value, b: &Value) -> EvalError {
    EvalError::new(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        op.symbol(),
        a.type_name(),
        b.type_name()
    ))
}

fn check_defined(a: &Value, b: &Value) -> Result<(), EvalError> {
    for v in [a, b] {
        if let Value::Undefined(u) = v {
            return Err(u.error());
        }
    }
    Ok(())
}

/// Python's `a OP b` for the arithmetic operators.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    check_defined(a, b)?;
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return numeric(op, x, y);
    }
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => {
            guard_size(x.len().saturating_add(y.len()))?;
            Ok(Value::from(format!("{x}{y}")))
        }
        (BinOp::Add, Value::List(x), Value::List(y)) => Ok(Value::list(concat(x, y)?)),
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => Ok(Value::tuple(concat(x, y)?)),
        (BinOp::Add, Value::Str(_), _) => Err(EvalError::new(format!(
            "can only concatenate str (not \"{}\") to str",
            b.type_name()
        ))),
        (BinOp::Add, Value::List(_), _) | (BinOp::Add, Value::Tuple(_), _) => {
            Err(EvalError::new(format!(
                "can only concatenate {} (not \"{}\") to {}",
                a.type_name(),
                b.type_name(),
                a.type_name()
            )))
        }
        (BinOp::Mul, _, _) => repeat(a, b),
        (BinOp::Mod, Value::Str(format), args) => pyformat::percent_format(format, args),
        _ => Err(unsupported(op, a, b)),
    }
}

/// Fails when a result of `size` bytes (or items) would be too large to build.
pub(crate) fn guard_size(size: usize) -> Result<(), EvalError> {
    if size > MAX_BUILD {
        Err(EvalError::new("result too large"))
    } else {
        Ok(())
    }
}

fn concat(x: &[Value], y: &[Value]) -> Result<Vec<Value>, EvalError> {
    guard_size(x.len().saturating_add(y.len()))?;
    let mut items = Vec::with_capacity(x.len() + y.len());
    items.extend_from_slice(x);
    items.extend_from_slice(y);
    Ok(items)
}

/// `seq * n` and `n * seq`.
fn repeat(a: &Value, b: &Value) -> Result<Value, EvalError> {
    let (seq, count) = match (a, b) {
        (Value::Str(_) | Value::List(_) | Value::Tuple(_), n) => (a, n),
        (n, Value::Str(_) | Value::List(_) | Value::Tuple(_)) => (b, n),
        _ => return Err(unsupported(BinOp::Mul, a, b)),
    };
    let times = match count {
        Value::Int(i) => *i,
        Value::Bool(flag) => i64::from(*flag),
        other => {
            return Err(EvalError::new(format!(
                "can't multiply sequence by non-int of type '{}'",
                other.type_name()
            )))
        }
    };
    let times = usize::try_from(times.max(0)).unwrap_or(usize::MAX);
    match seq {
        Value::Str(s) => {
            guard_size(s.len().saturating_mul(times))?;
            Ok(Value::from(s.repeat(times)))
        }
        Value::List(items) | Value::Tuple(items) => {
            guard_size(items.len().saturating_mul(times))?;
            let mut out = Vec::with_capacity(items.len() * times);
            for _ in 0..times {
                out.extend_from_slice(items);
            }
            Ok(if matches!(seq, Value::List(_)) {
                Value::list(out)
            } else {
                Value::tuple(out)
            })
        }
        _ => Err(unsupported(BinOp::Mul, a, b)),
    }
}

fn as_float(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

fn numeric(op: BinOp, x: Num, y: Num) -> Result<Value, EvalError> {
    if let (Num::Int(a), Num::Int(b)) = (x, y) {
        return int_op(op, a, b);
    }
    let (a, b) = (as_float(x), as_float(y));
    let result = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => {
            if b == 0.0 {
                return Err(EvalError::new("float division by zero"));
            }
            a / b
        }
        BinOp::FloorDiv => {
            if b == 0.0 {
                return Err(EvalError::new("float floor division by zero"));
            }
            num::float_divmod(a, b).0
        }
        BinOp::Mod => {
            if b == 0.0 {
                return Err(EvalError::new("float modulo"));
            }
            num::float_divmod(a, b).1
        }
        BinOp::Pow => float_pow(a, b)?,
    };
    Ok(Value::Float(result))
}

fn int_op(op: BinOp, a: i64, b: i64) -> Result<Value, EvalError> {
    let checked = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => {
            if b == 0 {
                return Err(EvalError::new("division by zero"));
            }
            return Ok(Value::Float(num::int_true_div(a, b)));
        }
        BinOp::FloorDiv | BinOp::Mod => {
            if b == 0 {
                return Err(EvalError::new(if op == BinOp::Mod {
                    "integer modulo by zero"
                } else {
                    "integer division or modulo by zero"
                }));
            }
            let (x, y) = (i128::from(a), i128::from(b));
            // Python floors the quotient; the remainder takes the divisor's sign.
            let (q, r) = if x % y != 0 && (x % y < 0) != (y < 0) {
                (x / y - 1, x % y + y)
            } else {
                (x / y, x % y)
            };
            let result = if op == BinOp::Mod { r } else { q };
            i64::try_from(result).ok()
        }
        BinOp::Pow => {
            if b < 0 {
                return Ok(Value::Float(float_pow(a as f64, b as f64)?));
            }
            u32::try_from(b)
                .ok()
                .and_then(|e| a.checked_pow(e))
                .or(match a {
                    0 | 1 => Some(a),
                    -1 => Some(if b % 2 == 0 { 1 } else { -1 }),
                    _ => None,
                })
        }
    };
    checked.map(Value::Int).ok_or_else(num::overflow)
}

/// Python's `float ** float`.
fn float_pow(a: f64, b: f64) -> Result<f64, EvalError> {
    if b == 0.0 {
        return Ok(1.0);
    }
    if a == 0.0 && b < 0.0 {
        return Err(EvalError::new("0.0 cannot be raised to a negative power"));
    }
    if a < 0.0 && a.is_finite() && b.is_finite() && b.fract() != 0.0 {
        return Err(EvalError::new(
            "a negative number raised to a fractional power is complex, which is not supported",
        ));
    }
    let result = a.powf(b);
    if result.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(EvalError::new("(34, 'Numerical result out of range')"));
    }
    Ok(result)
}

/// Python's unary `-`.
pub(crate) fn negate(v: &Value) -> Result<Value, EvalError> {
    match v {
        Value::Undefined(u) => Err(u.error()),
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(num::overflow),
        Value::Bool(b) => Ok(Value::Int(-i64::from(*b))),
        Value::Float(f) => Ok(Value::Float(-f)),
        other => Err(EvalError::new(format!(
            "bad operand type for unary -: '{}'",
            other.type_name()
        ))),
    }
}

/// Python's unary `+`.
pub(crate) fn positive(v: &Value) -> Result<Value, EvalError> {
    match v {
        Value::Undefined(u) => Err(u.error()),
        Value::Int(_) | Value::Float(_) => Ok(v.clone()),
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        other => Err(EvalError::new(format!(
            "bad operand type for unary +: '{}'",
            other.type_name()
        ))),
    }
}

/// Python's `a OP b` for `<`, `<=`, `>`, `>=`.
pub(crate) fn order(op: OrderOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    order_at(op, a, b, 0)
}

fn order_at(op: OrderOp, a: &Value, b: &Value, depth: usize) -> Result<bool, EvalError> {
    let depth = enter(depth)?;
    check_defined(a, b)?;
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(op.holds(num_cmp(x, y)));
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(op.holds(Some(x.as_ref().cmp(y.as_ref())))),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                if !py_eq(p, q)? {
                    return order_at(op, p, q, depth);
                }
            }
            Ok(op.holds(Some(x.len().cmp(&y.len()))))
        }
        _ => Err(EvalError::new(format!(
            "'{}' not supported between instances of '{}' and '{}'",
            op.symbol(),
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// Python's `a < b` (what sorting, `min` and `max` use).
pub(crate) fn less(a: &Value, b: &Value) -> Result<bool, EvalError> {
    order(OrderOp::Lt, a, b)
}

/// Python's `item in container`.
pub(crate) fn contains(container: &Value, item: &Value) -> Result<bool, EvalError> {
    match container {
        Value::Undefined(u) if u.lenient => Ok(false),
        Value::Undefined(u) => Err(u.error()),
        Value::Str(haystack) => match item {
            Value::Str(needle) => Ok(haystack.contains(needle.as_ref())),
            Value::Undefined(u) => Err(u.error()),
            other => Err(EvalError::new(format!(
                "'in <string>' requires string as left operand, not {}",
                other.type_name()
            ))),
        },
        Value::List(items) | Value::Tuple(items) => {
            for candidate in items.iter() {
                if same_object(candidate, item) || py_eq(candidate, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Dict(d) | Value::View(ViewKind::Keys, d) => d.contains(item),
        Value::View(ViewKind::Values, d) => {
            for candidate in d.values() {
                if py_eq(candidate, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::View(ViewKind::Items, d) => match item {
            Value::Tuple(pair) if pair.len() == 2 => match (pair.first(), pair.get(1)) {
                (Some(k), Some(v)) => match d.get(k) {
                    Ok(Some(found)) => py_eq(found, v),
                    _ => Ok(false),
                },
                _ => Ok(false),
            },
            _ => Ok(false),
        },
        other => Err(EvalError::new(format!(
            "argument of type '{}' is not iterable",
            other.type_name()
        ))),
    }
}

/// Python's `a is b` where it is predictable: singletons, small ints and shared containers.
pub(crate) fn same_object(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y && (-5..=256).contains(x),
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Namespace(x), Value::Namespace(y)) => Rc::ptr_eq(x, y),
        (Value::Loop(x), Value::Loop(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::Int(i)
    }

    fn repr(r: Result<Value, EvalError>) -> String {
        match r {
            Ok(v) => v.repr().unwrap(),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    #[test]
    fn arithmetic_matches_python() {
        let f = Value::Float;
        let cases: Vec<(BinOp, Value, Value, &str)> = vec![
            (BinOp::FloorDiv, int(7), int(-2), "-4"),
            (BinOp::Mod, int(-7), int(3), "2"),
            (BinOp::Mod, int(7), int(-3), "-2"),
            (BinOp::Mod, f(7.5), f(-2.0), "-0.5"),
            (BinOp::FloorDiv, f(-7.5), int(2), "-4.0"),
            (BinOp::Pow, int(2), int(-1), "0.5"),
            (BinOp::Pow, int(2), int(62), "4611686018427387904"),
            (
                BinOp::Pow,
                int(2),
                int(64),
                "ERR integer overflow: the result does not fit in 64 bits",
            ),
            (BinOp::Pow, int(-1), int(1_000_001), "-1"),
            (BinOp::Add, Value::Bool(true), int(1), "2"),
            (BinOp::Div, int(1), int(2), "0.5"),
            (BinOp::Div, int(4), int(2), "2.0"),
            (BinOp::Div, int(1), int(0), "ERR division by zero"),
            (BinOp::Div, f(1.0), int(0), "ERR float division by zero"),
            (
                BinOp::FloorDiv,
                int(1),
                int(0),
                "ERR integer division or modulo by zero",
            ),
            (BinOp::Mod, int(1), int(0), "ERR integer modulo by zero"),
            (
                BinOp::Add,
                int(i64::MAX),
                int(1),
                "ERR integer overflow: the result does not fit in 64 bits",
            ),
            (
                BinOp::FloorDiv,
                int(i64::MIN),
                int(-1),
                "ERR integer overflow: the result does not fit in 64 bits",
            ),
            (BinOp::Mul, Value::from("ab"), int(3), "'ababab'"),
            (BinOp::Mul, int(2), Value::list(vec![int(1)]), "[1, 1]"),
            (BinOp::Mul, Value::from("a"), int(-1), "''"),
            (
                BinOp::Mul,
                Value::from("a"),
                f(2.0),
                "ERR can't multiply sequence by non-int of type 'float'",
            ),
            (
                BinOp::Add,
                int(1),
                Value::from("a"),
                "ERR unsupported operand type(s) for +: 'int' and 'str'",
            ),
            (
                BinOp::Add,
                Value::from("a"),
                int(1),
                "ERR can only concatenate str (not \"int\") to str",
            ),
            (BinOp::Sub, f(0.3), f(0.1), "0.19999999999999998"),
            (
                BinOp::Pow,
                f(0.0),
                int(-1),
                "ERR 0.0 cannot be raised to a negative power",
            ),
            (
                BinOp::Pow,
                f(10.0),
                int(400),
                "ERR (34, 'Numerical result out of range')",
            ),
            (BinOp::Pow, int(4), f(0.5), "2.0"),
        ];
        for (op, a, b, want) in cases {
            assert_eq!(repr(binary(op, &a, &b)), want, "{op:?} {a:?} {b:?}");
        }
    }

    #[test]
    fn ordering_and_membership() {
        let l = |items: Vec<Value>| Value::list(items);
        assert!(order(
            OrderOp::Lt,
            &l(vec![int(1), int(2)]),
            &l(vec![int(1), int(3)])
        )
        .unwrap());
        assert!(order(OrderOp::Lt, &l(vec![int(1)]), &l(vec![int(1), int(0)])).unwrap());
        assert!(order(OrderOp::Ge, &Value::from("b"), &Value::from("abc")).unwrap());
        assert!(!order(OrderOp::Lt, &Value::Float(f64::NAN), &int(1)).unwrap());
        let err = order(OrderOp::Lt, &int(1), &Value::from("a")).unwrap_err();
        assert_eq!(
            err.message,
            "'<' not supported between instances of 'int' and 'str'"
        );
        assert!(contains(&Value::from("abc"), &Value::from("b")).unwrap());
        assert!(contains(&l(vec![Value::Float(1.0)]), &int(1)).unwrap());
        assert!(contains(&Value::from("abc"), &int(1)).is_err());
        assert!(contains(&int(1), &int(1)).is_err());
    }
}
