//! The evaluator's value type with Python semantics: `str()`, `repr()`, truthiness, `len()`,
//! iteration, hashing and `==`.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::looping::LoopRef;
use super::{num, unicode, EvalError};
use crate::json;

/// Deepest nesting that recursive operations on values (`repr`, `==`, JSON, ...) accept.
pub(crate) const MAX_DEPTH: usize = 400;

/// A value of the template language (Python's types, shared with reference counting).
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// A 64-bit `int` (results outside 64 bits are errors).
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(Rc<str>),
    /// A `list`.
    List(Rc<Vec<Value>>),
    /// A `tuple`.
    Tuple(Rc<Vec<Value>>),
    /// A `dict` (insertion-ordered, any hashable key).
    Dict(Rc<Dict>),
    /// `dict.keys()`, `dict.values()` or `dict.items()` of a dict.
    View(ViewKind, Rc<Dict>),
    /// An undefined value that remembers why it is undefined.
    Undefined(Rc<Undefined>),
    /// A `namespace()` object (mutable through `{% set ns.attr = ... %}`).
    Namespace(Rc<RefCell<Dict>>),
    /// The `loop` variable of a `{% for %}`.
    Loop(Rc<LoopRef>),
}

/// Which dict view a [`Value::View`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `dict_keys`
    Keys,
    /// `dict_values`
    Values,
    /// `dict_items`
    Items,
}

/// Why a value is undefined.
#[derive(Debug)]
pub struct Undefined {
    /// Jinja2's message, e.g. `'x' is undefined`.
    pub message: String,
    /// Jinja2's plain `Undefined` (from `a if b` without `else`): prints as `''`, is falsy and
    /// iterates as empty. Otherwise strict: any use but `default`/`defined` is an error.
    pub lenient: bool,
    /// The missing variable, attribute or key (for `mandatory`'s message).
    pub name: Option<String>,
}

impl Undefined {
    /// The error raised when this undefined value is used.
    pub fn error(&self) -> EvalError {
        EvalError::new(self.message.clone())
    }
}

/// An insertion-ordered dict with Python key semantics (`1`, `1.0` and `True` are one key).
#[derive(Clone, Debug, Default)]
pub struct Dict {
    entries: Vec<(Value, Value)>,
    index: HashMap<u64, usize>,
    collisions: Vec<(u64, usize)>,
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dict has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `(key, value)` entries in insertion order.
    pub fn iter(&self) -> std::slice::Iter<'_, (Value, Value)> {
        self.entries.iter()
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }

    fn find(&self, key: &Value, hash: u64) -> Option<usize> {
        self.find_by(hash, |k| py_eq(k, key).unwrap_or(false))
    }

    fn find_by(&self, hash: u64, same: impl Fn(&Value) -> bool) -> Option<usize> {
        let matches = |i: usize| self.entries.get(i).is_some_and(|(k, _)| same(k));
        match self.index.get(&hash) {
            Some(&i) if matches(i) => Some(i),
            Some(_) => self
                .collisions
                .iter()
                .filter(|(h, _)| *h == hash)
                .map(|&(_, i)| i)
                .find(|&i| matches(i)),
            None => None,
        }
    }

    /// The value stored under `key`; an unhashable key is an error.
    pub fn get(&self, key: &Value) -> Result<Option<&Value>, EvalError> {
        let hash = hash_value(key)?;
        Ok(self
            .find(key, hash)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v))
    }

    /// The value stored under the string key `key`.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        let mut hasher = DefaultHasher::new();
        hash_str(key, &mut hasher);
        let same = |k: &Value| matches!(k, Value::Str(s) if s.as_ref() == key);
        self.find_by(hasher.finish(), same)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// Whether `key` is a key; an unhashable key is an error.
    pub fn contains(&self, key: &Value) -> Result<bool, EvalError> {
        Ok(self.get(key)?.is_some())
    }

    /// Sets `key` to `value`; an existing key keeps its position (and its original key object).
    pub fn insert(&mut self, key: Value, value: Value) -> Result<(), EvalError> {
        let hash = hash_value(&key)?;
        if let Some(i) = self.find(&key, hash) {
            if let Some(entry) = self.entries.get_mut(i) {
                entry.1 = value;
            }
            return Ok(());
        }
        let position = self.entries.len();
        match self.index.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collisions.push((hash, position));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(position);
            }
        }
        self.entries.push((key, value));
        Ok(())
    }

    /// Sets the string key `key` to `value`.
    pub fn insert_str(&mut self, key: &str, value: Value) {
        // A string key is always hashable.
        let _ = self.insert(Value::from(key), value);
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Rc::from(s))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Dict> for Value {
    fn from(d: Dict) -> Value {
        Value::Dict(Rc::new(d))
    }
}

impl Value {
    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    /// A tuple value.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(items))
    }

    /// A strict undefined value with `message`.
    pub fn undefined(message: impl Into<String>) -> Value {
        Value::Undefined(Rc::new(Undefined {
            message: message.into(),
            lenient: false,
            name: None,
        }))
    }

    /// A strict undefined value for the missing `name` (a variable, attribute or key).
    pub fn undefined_named(message: impl Into<String>, name: impl Into<String>) -> Value {
        Value::Undefined(Rc::new(Undefined {
            message: message.into(),
            lenient: false,
            name: Some(name.into()),
        }))
    }

    /// A lenient undefined value (Jinja2's plain `Undefined`) with `message`.
    pub fn lenient_undefined(message: impl Into<String>) -> Value {
        Value::Undefined(Rc::new(Undefined {
            message: message.into(),
            lenient: true,
            name: None,
        }))
    }

    /// Whether the value is undefined (strict or lenient).
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined(_))
    }

    /// The error of a strict undefined value (`None` for every other value).
    pub fn strict_undefined_error(&self) -> Option<EvalError> {
        match self {
            Value::Undefined(u) if !u.lenient => Some(u.error()),
            _ => None,
        }
    }

    /// The text of a `str` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts JSON to a value (objects become dicts with string keys; a duplicated key keeps
    /// its first position and its last value, as Python's `json.loads`).
    pub fn from_json(v: &json::Value) -> Value {
        match v {
            json::Value::Null => Value::None,
            json::Value::Bool(b) => Value::Bool(*b),
            json::Value::Int(i) => Value::Int(*i),
            json::Value::Float(f) => Value::Float(*f),
            json::Value::Str(s) => Value::from(s.as_str()),
            json::Value::Array(items) => Value::list(items.iter().map(Value::from_json).collect()),
            json::Value::Object(members) => {
                let mut dict = Dict::new();
                for (k, item) in members {
                    dict.insert_str(k, Value::from_json(item));
                }
                Value::from(dict)
            }
        }
    }

    /// Converts the value to JSON: dict keys become text as `json.dumps` writes them (`true`,
    /// `null`, `1.5`; other keys their `str()`), tuples and dict views
    /// become arrays, an undefined value is its error, `namespace`/`loop` are errors.
    pub fn to_json(&self) -> Result<json::Value, EvalError> {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Result<json::Value, EvalError> {
        let depth = enter(depth)?;
        Ok(match self {
            Value::None => json::Value::Null,
            Value::Bool(b) => json::Value::Bool(*b),
            Value::Int(i) => json::Value::Int(*i),
            Value::Float(f) => json::Value::Float(*f),
            Value::Str(s) => json::Value::Str(s.to_string()),
            Value::List(items) | Value::Tuple(items) => json::Value::Array(
                items
                    .iter()
                    .map(|item| item.to_json_at(depth))
                    .collect::<Result<_, _>>()?,
            ),
            Value::View(..) => json::Value::Array(
                self.iterate()?
                    .iter()
                    .map(|item| item.to_json_at(depth))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Dict(dict) => {
                let mut members = Vec::with_capacity(dict.len());
                for (k, v) in dict.iter() {
                    members.push((json_key(k)?, v.to_json_at(depth)?));
                }
                json::Value::Object(members)
            }
            Value::Undefined(u) => return Err(u.error()),
            Value::Namespace(_) | Value::Loop(_) => {
                return Err(EvalError::new(format!(
                    "Object of type {} is not JSON serializable",
                    self.type_name()
                )))
            }
        })
    }

    /// Python's `type(v).__name__`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::View(ViewKind::Keys, _) => "dict_keys",
            Value::View(ViewKind::Values, _) => "dict_values",
            Value::View(ViewKind::Items, _) => "dict_items",
            Value::Undefined(_) => "Undefined",
            Value::Namespace(_) => "Namespace",
            Value::Loop(_) => "LoopContext",
        }
    }

    /// Jinja2's `object_type_repr` (`dict object`, `None`, ...), used in undefined messages.
    pub(crate) fn object_type_repr(&self) -> String {
        match self {
            Value::None => "None".to_string(),
            Value::Namespace(_) => "jinja2.utils.Namespace object".to_string(),
            Value::Loop(_) => "jinja2.runtime.LoopContext object".to_string(),
            Value::Undefined(_) => "jinja2.runtime.Undefined object".to_string(),
            other => format!("{} object", other.type_name()),
        }
    }

    /// Python's truthiness; a strict undefined value is an error.
    pub fn truthy(&self) -> Result<bool, EvalError> {
        Ok(match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(items) | Value::Tuple(items) => !items.is_empty(),
            Value::Dict(d) | Value::View(_, d) => !d.is_empty(),
            Value::Undefined(u) if u.lenient => false,
            Value::Undefined(u) => return Err(u.error()),
            Value::Namespace(_) | Value::Loop(_) => true,
        })
    }

    /// Python's `len()`.
    pub fn len(&self) -> Result<usize, EvalError> {
        match self {
            Value::Str(s) => Ok(s.chars().count()),
            Value::List(items) | Value::Tuple(items) => Ok(items.len()),
            Value::Dict(d) | Value::View(_, d) => Ok(d.len()),
            Value::Undefined(u) if u.lenient => Ok(0),
            Value::Undefined(u) => Err(u.error()),
            other => Err(EvalError::new(format!(
                "object of type '{}' has no len()",
                other.type_name()
            ))),
        }
    }

    /// Whether Python's `len()` is 0.
    pub fn is_empty(&self) -> Result<bool, EvalError> {
        Ok(self.len()? == 0)
    }

    /// The items Python's `iter()` yields: characters of a string, keys of a dict, ...
    pub fn iterate(&self) -> Result<Vec<Value>, EvalError> {
        match self {
            Value::Str(s) => Ok(s.chars().map(|c| Value::from(c.to_string())).collect()),
            Value::List(items) | Value::Tuple(items) => Ok(items.as_ref().clone()),
            Value::Dict(d) | Value::View(ViewKind::Keys, d) => Ok(d.keys().cloned().collect()),
            Value::View(ViewKind::Values, d) => Ok(d.values().cloned().collect()),
            Value::View(ViewKind::Items, d) => Ok(d
                .iter()
                .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
                .collect()),
            Value::Undefined(u) if u.lenient => Ok(Vec::new()),
            Value::Undefined(u) => Err(u.error()),
            other => Err(EvalError::new(format!(
                "'{}' object is not iterable",
                other.type_name()
            ))),
        }
    }

    /// Whether Python's `iter()` accepts the value.
    pub(crate) fn is_iterable(&self) -> bool {
        matches!(
            self,
            Value::Str(_)
                | Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::View(..)
                | Value::Loop(_)
        )
    }

    /// Python's `str()`.
    pub fn to_str(&self) -> Result<String, EvalError> {
        match self {
            Value::Str(s) => Ok(s.to_string()),
            Value::Undefined(u) if u.lenient => Ok(String::new()),
            Value::Undefined(u) => Err(u.error()),
            other => other.repr(),
        }
    }

    /// Python's `repr()`.
    pub fn repr(&self) -> Result<String, EvalError> {
        let mut out = String::new();
        self.write_repr(&mut out, 0)?;
        Ok(out)
    }

    fn write_repr(&self, out: &mut String, depth: usize) -> Result<(), EvalError> {
        let depth = enter(depth)?;
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&num::float_repr(*f)),
            Value::Str(s) => write_str_repr(out, s),
            Value::List(items) => write_items(out, "[", items, "]", depth)?,
            Value::Tuple(items) if items.len() == 1 => write_items(out, "(", items, ",)", depth)?,
            Value::Tuple(items) => write_items(out, "(", items, ")", depth)?,
            Value::Dict(dict) => write_dict(out, dict, depth)?,
            Value::View(kind, dict) => {
                out.push_str(self.type_name());
                out.push('(');
                let items = match kind {
                    ViewKind::Keys => dict.keys().cloned().collect(),
                    _ => self.iterate()?,
                };
                write_items(out, "[", &items, "])", depth)?;
            }
            Value::Undefined(u) if u.lenient => out.push_str("Undefined"),
            Value::Undefined(u) => return Err(u.error()),
            Value::Namespace(ns) => {
                out.push_str("<Namespace ");
                write_dict(out, &ns.borrow(), depth)?;
                out.push('>');
            }
            Value::Loop(l) => out.push_str(&l.repr()),
        }
        Ok(())
    }
}

/// A dict key as JSON text, as Python's `json.dumps` writes it (`true`, `null`, `1.5`); keys
/// `json.dumps` rejects (tuples) become their `str()`.
fn json_key(k: &Value) -> Result<String, EvalError> {
    Ok(match k {
        Value::Str(s) => s.to_string(),
        Value::None => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) if f.is_nan() => "NaN".to_string(),
        Value::Float(f) if f.is_infinite() => {
            if *f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        }
        other => other.to_str()?,
    })
}

/// Values nest without limit (a loop can wrap a list in a list a million times), so dropping one
/// must not recurse: the children of a container this value owns alone are moved to a heap
/// stack and dropped one by one.
impl Drop for Value {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut child) = stack.pop() {
            take_children(&mut child, &mut stack);
        }
    }
}

/// Moves the children of `v` to `stack` when `v` is their last owner.
fn take_children(v: &mut Value, stack: &mut Vec<Value>) {
    match v {
        Value::List(items) | Value::Tuple(items) => {
            if let Some(items) = Rc::get_mut(items) {
                stack.append(items);
            }
        }
        Value::Dict(d) | Value::View(_, d) => {
            if let Some(d) = Rc::get_mut(d) {
                take_entries(d, stack);
            }
        }
        Value::Namespace(ns) => {
            if let Some(ns) = Rc::get_mut(ns) {
                take_entries(ns.get_mut(), stack);
            }
        }
        Value::Loop(l) => {
            if let Some(l) = Rc::get_mut(l) {
                if let Some(state) = Rc::get_mut(&mut l.state) {
                    let state = state.get_mut();
                    stack.append(&mut state.accepted);
                    stack.extend(state.pending.drain(..));
                    stack.extend(state.last_changed.take().unwrap_or_default());
                }
            }
        }
        _ => {}
    }
}

fn take_entries(d: &mut Dict, stack: &mut Vec<Value>) {
    d.index.clear();
    d.collisions.clear();
    for (k, v) in d.entries.drain(..) {
        stack.push(k);
        stack.push(v);
    }
}

/// Counts one more level of nesting; too deep is an error, never a stack overflow.
pub(crate) fn enter(depth: usize) -> Result<usize, EvalError> {
    if depth >= MAX_DEPTH {
        Err(EvalError::new("maximum recursion depth exceeded"))
    } else {
        Ok(depth + 1)
    }
}

fn write_items(
    out: &mut String,
    open: &str,
    items: &[Value],
    close: &str,
    depth: usize,
) -> Result<(), EvalError> {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.write_repr(out, depth)?;
    }
    out.push_str(close);
    Ok(())
}

fn write_dict(out: &mut String, dict: &Dict, depth: usize) -> Result<(), EvalError> {
    out.push('{');
    for (i, (k, v)) in dict.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        k.write_repr(out, depth)?;
        out.push_str(": ");
        v.write_repr(out, depth)?;
    }
    out.push('}');
    Ok(())
}

/// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`.
pub(crate) fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && (c < ' ' || c == '\x7f') => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_ascii() || unicode::is_printable(c) => out.push(c),
            c => {
                let cp = c as u32;
                if cp <= 0xff {
                    out.push_str(&format!("\\x{cp:02x}"));
                } else if cp <= 0xffff {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
        }
    }
    out.push(quote);
}

/// Python's `hash()` (only equality of hashes matters here); unhashable values are errors.
pub(crate) fn hash_value(v: &Value) -> Result<u64, EvalError> {
    let mut hasher = DefaultHasher::new();
    feed_hash(v, &mut hasher, 0)?;
    Ok(hasher.finish())
}

fn feed_hash(v: &Value, h: &mut DefaultHasher, depth: usize) -> Result<(), EvalError> {
    let depth = enter(depth)?;
    match v {
        Value::None => 0u8.hash(h),
        Value::Bool(b) => (1u8, i64::from(*b)).hash(h),
        Value::Int(i) => (1u8, *i).hash(h),
        Value::Float(f) => match num::float_to_int(*f) {
            Ok(i) if i as f64 == *f => (1u8, i).hash(h),
            _ => (3u8, f.to_bits()).hash(h),
        },
        Value::Str(s) => hash_str(s, h),
        Value::Tuple(items) => {
            (4u8, items.len()).hash(h);
            for item in items.iter() {
                feed_hash(item, h, depth)?;
            }
        }
        Value::Namespace(ns) => (5u8, Rc::as_ptr(ns) as usize).hash(h),
        Value::Loop(l) => (5u8, Rc::as_ptr(l) as usize).hash(h),
        Value::Undefined(u) if u.lenient => 6u8.hash(h),
        Value::Undefined(u) => return Err(u.error()),
        other => {
            return Err(EvalError::new(format!(
                "unhashable type: '{}'",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// Hashes a string exactly as [`hash_value`] hashes a `str` value.
fn hash_str(s: &str, h: &mut DefaultHasher) {
    (2u8, s).hash(h);
}

/// Python's `a == b`.
pub(crate) fn py_eq(a: &Value, b: &Value) -> Result<bool, EvalError> {
    eq_at(a, b, 0)
}

fn eq_at(a: &Value, b: &Value, depth: usize) -> Result<bool, EvalError> {
    use Value as V;
    let depth = enter(depth)?;
    if let Some(e) = a
        .strict_undefined_error()
        .or_else(|| b.strict_undefined_error())
    {
        return Err(e);
    }
    Ok(match (a, b) {
        (V::None, V::None) => true,
        (V::Str(x), V::Str(y)) => x == y,
        (V::List(x), V::List(y)) | (V::Tuple(x), V::Tuple(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !eq_at(p, q, depth)? {
                    return Ok(false);
                }
            }
            true
        }
        (V::Dict(x), V::Dict(y)) => dict_eq(x, y, depth)?,
        (V::View(ViewKind::Keys, x), V::View(ViewKind::Keys, y)) => {
            x.len() == y.len() && x.keys().all(|k| y.contains(k).unwrap_or(false))
        }
        (V::View(ViewKind::Items, x), V::View(ViewKind::Items, y)) => dict_eq(x, y, depth)?,
        (V::Namespace(x), V::Namespace(y)) => Rc::ptr_eq(x, y),
        (V::Loop(x), V::Loop(y)) => Rc::ptr_eq(x, y),
        (V::Undefined(_), V::Undefined(_)) => true,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => num_cmp(x, y) == Some(std::cmp::Ordering::Equal),
            _ => false,
        },
    })
}

fn dict_eq(x: &Dict, y: &Dict, depth: usize) -> Result<bool, EvalError> {
    if x.len() != y.len() {
        return Ok(false);
    }
    for (k, v) in x.iter() {
        match y.get(k)? {
            Some(w) if eq_at(v, w, depth)? => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// A number operand: bools count as ints.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

/// The value as a number, when it is a bool, int or float.
pub(crate) fn number(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(i64::from(*b))),
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

/// Exact numeric comparison (`None` when a NaN is involved).
pub(crate) fn num_cmp(a: Num, b: Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => num::int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => num::int_float_cmp(y, x).map(std::cmp::Ordering::reverse),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn string_repr_quotes_and_escapes_like_python() {
        let cases = [
            ("it's", r#""it's""#),
            ("a\"b", r#"'a"b'"#),
            ("a'b\"c", r#"'a\'b"c'"#),
            ("\n\t\\", r"'\n\t\\'"),
            ("\x07\u{200b}\u{a0}\u{ad}", r"'\x07\u200b\xa0\xad'"),
            ("é中😀", "'é中😀'"),
            ("\u{7f}\r", r"'\x7f\r'"),
            ("\u{e000}", r"'\ue000'"),
            ("\u{f0000}", r"'\U000f0000'"),
        ];
        for (text, want) in cases {
            assert_eq!(s(text).repr().unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn containers_repr() {
        let v = Value::list(vec![
            s("a"),
            Value::tuple(vec![Value::Int(1)]),
            Value::tuple(vec![]),
            Value::tuple(vec![Value::Int(1), Value::Float(2.0)]),
            Value::None,
            Value::Bool(true),
        ]);
        assert_eq!(v.repr().unwrap(), "['a', (1,), (), (1, 2.0), None, True]");
        let mut d = Dict::new();
        d.insert_str("k", Value::Int(1));
        d.insert(Value::Int(2), s("x")).unwrap();
        let dict = Value::from(d);
        assert_eq!(dict.repr().unwrap(), "{'k': 1, 2: 'x'}");
        assert_eq!(dict.to_str().unwrap(), "{'k': 1, 2: 'x'}");
        assert_eq!(s("x").to_str().unwrap(), "x");
        let Value::Dict(rc) = &dict else { panic!() };
        let keys = Value::View(ViewKind::Keys, rc.clone());
        assert_eq!(keys.repr().unwrap(), "dict_keys(['k', 2])");
        let items = Value::View(ViewKind::Items, rc.clone());
        assert_eq!(items.repr().unwrap(), "dict_items([('k', 1), (2, 'x')])");
    }

    #[test]
    fn dict_keys_follow_python_equality() {
        let mut d = Dict::new();
        d.insert(Value::Int(1), s("x")).unwrap();
        d.insert(Value::Float(1.0), s("y")).unwrap();
        d.insert(Value::Bool(true), s("z")).unwrap();
        assert_eq!(Value::from(d.clone()).repr().unwrap(), "{1: 'z'}");
        assert!(d.get(&Value::list(vec![])).is_err());
        assert!(d.get(&Value::Float(1.5)).unwrap().is_none());
        d.insert(Value::tuple(vec![Value::Int(1), s("a")]), Value::None)
            .unwrap();
        assert!(d
            .contains(&Value::tuple(vec![Value::Float(1.0), s("a")]))
            .unwrap());
        for i in 0..1000 {
            d.insert(Value::Int(i), Value::Int(i * 2)).unwrap();
        }
        assert_eq!(d.len(), 1001);
        assert_eq!(
            d.get(&Value::Int(999)).unwrap().unwrap().repr().unwrap(),
            "1998"
        );
    }

    #[test]
    fn equality_and_truthiness() {
        assert!(py_eq(&Value::Int(1), &Value::Float(1.0)).unwrap());
        assert!(py_eq(&Value::Bool(true), &Value::Int(1)).unwrap());
        assert!(!py_eq(&Value::Int(1), &s("1")).unwrap());
        assert!(!py_eq(&Value::list(vec![]), &Value::tuple(vec![])).unwrap());
        assert!(py_eq(&Value::undefined("x"), &Value::Int(1)).is_err());
        assert!(!Value::Float(0.0).truthy().unwrap());
        assert!(Value::Float(f64::NAN).truthy().unwrap());
        assert!(Value::undefined("'x' is undefined").truthy().is_err());
        assert!(!Value::lenient_undefined("x").truthy().unwrap());
        assert_eq!(Value::lenient_undefined("x").to_str().unwrap(), "");
    }

    #[test]
    fn json_round_trip() {
        let text = r#"{"a": [1, 2.5, "x", null, true], "b": {"c": {}}, "a": 7}"#;
        let v = Value::from_json(&json::parse(text).unwrap());
        assert_eq!(v.repr().unwrap(), "{'a': 7, 'b': {'c': {}}}");
        let back = v.to_json().unwrap();
        assert_eq!(back.to_compact(), r#"{"a":7,"b":{"c":{}}}"#);
        assert!(Value::undefined("'x' is undefined").to_json().is_err());
    }

    #[test]
    fn deep_values_are_errors_not_crashes() {
        let mut v = Value::Int(0);
        for _ in 0..(MAX_DEPTH + 10) {
            v = Value::list(vec![v]);
        }
        assert!(v.repr().is_err());
        assert!(v.to_json().is_err());
        assert!(py_eq(&v, &v.clone()).unwrap());
        // Dropping a very deep value does not recurse.
        let mut deep = Value::Int(0);
        for i in 0..200_000 {
            deep = match i % 3 {
                0 => Value::list(vec![deep]),
                1 => Value::tuple(vec![Value::None, deep]),
                _ => {
                    let mut d = Dict::new();
                    d.insert_str("k", deep);
                    Value::from(d)
                }
            };
        }
        drop(deep);
    }
}
