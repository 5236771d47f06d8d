//! A Jinja2 evaluator with Python semantics.
//!
//! The controller parses every Jinja2 string with Jinja2's own parser and lowers it to a JSON IR
//! (`docs/jinja-ir.md`); this module decodes that IR once ([`Template::decode`],
//! [`Expr::decode`]) and evaluates it ([`render`], [`render_string`], [`eval`],
//! [`eval_condition`]) with the results Jinja2 3.1 gives, except that undefined values are
//! strict as in Ansible: printing, comparing, iterating or testing the truth of one is an
//! [`EvalError`] carrying Jinja2's message (`'x' is undefined`), while `default`, `mandatory`,
//! `is defined` and attribute access (which gives another undefined value) inspect it.
//!
//! Deliberate differences from Jinja2: filters that return generators there (`map`, `select`,
//! `reject`, `selectattr`, `rejectattr`, `unique`, `reverse`, `batch`, `items`) and `range()`
//! return lists; ints are 64-bit (overflow is an error, never a wrap).

mod access;
mod args;
mod decode;
mod eval;
mod filters;
mod filters_ansible;
mod filters_seq;
mod free;
mod globals;
mod json_text;
mod jtests;
mod looping;
mod methods;
mod num;
mod ops;
mod pyformat;
mod pystr;
mod sort;
mod strformat;
pub(crate) mod unicode;
mod value;

#[cfg(test)]
mod tests_cases;
#[cfg(test)]
mod tests_eval;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

pub use looping::LoopRef;
pub(crate) use value::write_str_repr;
pub use value::{Dict, Undefined, Value, ViewKind};

/// Python's `json.dumps(v, sort_keys=True, indent=indent, separators=(',', ': '))` of JSON
/// data (ASCII only, as Python's default): how Ansible's callback serializes diff objects.
pub fn json_dumps_sorted(v: &crate::json::Value, indent: usize) -> String {
    let options = json_text::Options {
        indent: Some(" ".repeat(indent)),
        sort_keys: true,
        ensure_ascii: true,
        separators: Some((",", ": ")),
    };
    json_text::dumps(&Value::from_json(v), &options).unwrap_or_else(|e| e.message)
}

/// An evaluation failure (Jinja2's or Python's message, e.g. `'x' is undefined` or
/// `division by zero`).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    /// What went wrong.
    pub message: String,
}

impl EvalError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// A decoded template: a list of statements.
#[derive(Debug, Clone)]
pub struct Template {
    body: Rc<Vec<decode::Stmt>>,
}

impl Template {
    /// Decodes the IR of a template (a JSON array of statements); malformed IR is an error
    /// message.
    pub fn decode(ir: &crate::json::Value) -> Result<Template, String> {
        decode::template(ir).map(|body| Template {
            body: Rc::new(body),
        })
    }

    /// Whether the template is exactly one `{{ expr }}` (it then renders to the expression's
    /// value with its type).
    pub fn is_native(&self) -> bool {
        matches!(self.body.as_slice(), [decode::Stmt::Out(_)])
    }

    /// The variables the template reads before (or without) assigning them, sorted: the names
    /// it needs from its caller. `loop` and names bound by `set`, `for` and `with` are left out
    /// where they are certainly bound.
    pub fn variables(&self) -> Vec<String> {
        free::template_variables(&self.body)
    }
}

/// A decoded expression (a `when:` condition, for instance).
#[derive(Debug, Clone)]
pub struct Expr {
    node: Rc<decode::Node>,
}

impl Expr {
    /// Decodes the IR of one expression; malformed IR is an error message.
    pub fn decode(ir: &crate::json::Value) -> Result<Expr, String> {
        decode::expression(ir).map(|node| Expr {
            node: Rc::new(node),
        })
    }

    /// The variables the expression reads, sorted.
    pub fn variables(&self) -> Vec<String> {
        free::expr_variables(&self.node)
    }
}

/// The variables a template or expression can read.
pub trait Vars {
    /// Value of a top-level variable, `None` when it does not exist. May fail (lazily rendered
    /// variables).
    fn lookup(&self, name: &str) -> Result<Option<Value>, EvalError>;
}

impl Vars for HashMap<String, Value> {
    fn lookup(&self, name: &str) -> Result<Option<Value>, EvalError> {
        Ok(self.get(name).cloned())
    }
}

/// A JSON object's members as variables (anything else has none).
impl Vars for crate::json::Value {
    fn lookup(&self, name: &str) -> Result<Option<Value>, EvalError> {
        Ok(self.get(name).map(Value::from_json))
    }
}

/// Renders a template. A native template (exactly `{{ expr }}`) gives the expression's value
/// (a list stays a list; Jinja2's lenient undefined of `a if b` without `else` gives `""`); any
/// other template gives its text as a string.
pub fn render(t: &Template, vars: &dyn Vars) -> Result<Value, EvalError> {
    if let [decode::Stmt::Out(node)] = t.body.as_slice() {
        let mut ctx = eval::Ctx::new(vars);
        let value = ctx.eval(node)?;
        return match &value {
            Value::Undefined(u) if u.lenient => Ok(Value::from("")),
            Value::Undefined(u) => Err(u.error()),
            Value::Loop(_) => {
                let mut text = String::new();
                ctx.write(&value, &mut text)?;
                Ok(Value::from(text))
            }
            _ => Ok(value),
        };
    }
    render_string(t, vars).map(Value::from)
}

/// Renders a template to text (`str()` of each `{{ expr }}`).
pub fn render_string(t: &Template, vars: &dyn Vars) -> Result<String, EvalError> {
    let mut ctx = eval::Ctx::new(vars);
    let mut out = String::new();
    ctx.exec(&t.body, &mut out)?;
    Ok(out)
}

/// Evaluates an expression. The result may be an undefined value (`x.missing`), whose use
/// (`to_str`, `to_json`, `truthy`, ...) is its error.
pub fn eval(e: &Expr, vars: &dyn Vars) -> Result<Value, EvalError> {
    eval::Ctx::new(vars).eval(&e.node)
}

/// Evaluates a condition: the truthiness of the expression's value (a strict undefined value
/// is an error; the lenient one of `a if b` without `else` is false, as in Jinja2).
pub fn eval_condition(e: &Expr, vars: &dyn Vars) -> Result<bool, EvalError> {
    eval(e, vars)?.truthy()
}
