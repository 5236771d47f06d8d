//! Evaluated call arguments and Python-style parameter binding and conversions.

use std::rc::Rc;

use super::value::Value;
use super::EvalError;

/// Evaluated positional and keyword arguments of a filter, test, method or global.
#[derive(Clone, Debug, Default)]
pub(crate) struct Args {
    pub(crate) pos: Vec<Value>,
    pub(crate) kw: Vec<(Rc<str>, Value)>,
}

impl Args {
    /// Binds the arguments to the parameters `names` as Python does: positional ones first,
    /// then keywords; too many, unknown or repeated arguments are errors.
    pub(crate) fn bind<const N: usize>(
        &self,
        what: &str,
        names: [&str; N],
    ) -> Result<[Option<Value>; N], EvalError> {
        if self.pos.len() > N {
            return Err(EvalError::new(format!(
                "{what} takes at most {N} argument(s) ({} given)",
                self.pos.len()
            )));
        }
        let mut bound: [Option<Value>; N] = std::array::from_fn(|_| None);
        for (slot, value) in bound.iter_mut().zip(self.pos.iter()) {
            *slot = Some(value.clone());
        }
        for (key, value) in &self.kw {
            let Some(i) = names.iter().position(|n| *n == key.as_ref()) else {
                return Err(EvalError::new(format!(
                    "{what} got an unexpected keyword argument '{key}'"
                )));
            };
            match bound.get_mut(i) {
                Some(slot @ None) => *slot = Some(value.clone()),
                _ => {
                    return Err(EvalError::new(format!(
                        "{what} got multiple values for argument '{key}'"
                    )))
                }
            }
        }
        Ok(bound)
    }

    /// Requires that no argument was passed.
    pub(crate) fn none(&self, what: &str) -> Result<(), EvalError> {
        self.bind(what, []).map(|_| ())
    }
}

/// A required parameter's value.
pub(crate) fn required(value: Option<Value>, what: &str, name: &str) -> Result<Value, EvalError> {
    value.ok_or_else(|| EvalError::new(format!("{what} missing required argument '{name}'")))
}

/// Python's `operator.index()`: an int (or bool) for counts, widths and indexes.
pub(crate) fn to_index(v: &Value) -> Result<i64, EvalError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Undefined(u) => Err(u.error()),
        other => Err(EvalError::new(format!(
            "'{}' object cannot be interpreted as an integer",
            other.type_name()
        ))),
    }
}

/// An optional int parameter with a default.
pub(crate) fn index_or(v: Option<Value>, default: i64) -> Result<i64, EvalError> {
    match v {
        None => Ok(default),
        Some(v) => to_index(&v),
    }
}

/// An optional boolean parameter (Python truthiness) with a default.
pub(crate) fn flag_or(v: Option<Value>, default: bool) -> Result<bool, EvalError> {
    match v {
        None => Ok(default),
        Some(v) => v.truthy(),
    }
}

/// A required `str` argument of a `str` method (no conversion, as Python).
pub(crate) fn str_arg(v: &Value, what: &str) -> Result<Rc<str>, EvalError> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Undefined(u) => Err(u.error()),
        other => Err(EvalError::new(format!(
            "{what} argument must be str, not {}",
            other.type_name()
        ))),
    }
}
