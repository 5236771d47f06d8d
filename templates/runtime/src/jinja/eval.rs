//! The evaluator: scopes, expressions, statements and loops.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::access;
use super::args::Args;
use super::decode::{CallArgs, CmpOp, FilterCall, ForLoop, Global, Node, Stmt, Target, TestCall};
use super::globals;
use super::looping::{LoopFilter, LoopRef, LoopState};
use super::methods;
use super::ops;
use super::value::{py_eq, Dict, Value};
use super::{EvalError, Vars};

/// Largest text a template may render.
const MAX_OUTPUT: usize = 256 * 1024 * 1024;

/// Evaluation state of one render: the variables, a cache of their values and the scopes.
pub(crate) struct Ctx<'a> {
    vars: &'a dyn Vars,
    cache: HashMap<Rc<str>, Option<Value>>,
    scopes: Vec<HashMap<Rc<str>, Value>>,
}

impl<'a> Ctx<'a> {
    /// A context with one (template-level) scope.
    pub(crate) fn new(vars: &'a dyn Vars) -> Ctx<'a> {
        Ctx {
            vars,
            cache: HashMap::new(),
            scopes: vec![HashMap::new()],
        }
    }

    fn lookup(&mut self, name: &Rc<str>) -> Result<Value, EvalError> {
        for scope in self.scopes.iter().rev() {
            if let Some(v) = scope.get(name) {
                return Ok(v.clone());
            }
        }
        let found = match self.cache.get(name) {
            Some(cached) => cached.clone(),
            None => {
                let found = self.vars.lookup(name)?;
                self.cache.insert(name.clone(), found.clone());
                found
            }
        };
        Ok(found.unwrap_or_else(|| access::undefined_name(name)))
    }

    fn bind(&mut self, name: &Rc<str>, value: Value) {
        if self.scopes.is_empty() {
            self.scopes.push(HashMap::new());
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.clone(), value);
        }
    }

    // expressions ---------------------------------------------------------------------------

    /// Evaluates an expression. Each kind of node has its own small function so that deep
    /// expressions use little stack per level.
    pub(crate) fn eval(&mut self, node: &Node) -> Result<Value, EvalError> {
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Var(name) => self.lookup(name),
            Node::Attr(obj, name) => self.eval_attr(obj, name),
            Node::Item(obj, key) => self.eval_item(obj, key),
            Node::Slice(obj, bounds) => self.slice(obj, bounds),
            Node::List(items) => self.eval_all(items).map(Value::list),
            Node::Tuple(items) => self.eval_all(items).map(Value::tuple),
            Node::Dict(pairs) => self.dict_literal(pairs),
            Node::Bin(op, a, b) => self.eval_bin(*op, a, b),
            Node::Concat(parts) => self.concat(parts),
            Node::Neg(e) => self.eval_unary(e, ops::negate),
            Node::Pos(e) => self.eval_unary(e, ops::positive),
            Node::Not(e) => self.eval_unary(e, |v| Ok(Value::Bool(!v.truthy()?))),
            Node::And(a, b) => self.eval_logic(a, b, true),
            Node::Or(a, b) => self.eval_logic(a, b, false),
            Node::Cmp(first, rest) => self.compare(first, rest),
            Node::Cond(test, then, otherwise) => self.eval_cond(test, then, otherwise.as_deref()),
            Node::Filter(call) => self.eval_filter(call),
            Node::Test(call) => self.eval_test(call),
            Node::Call(global, args) => self.eval_global(*global, args),
            Node::Method(call) => self.eval_method(&call.obj, &call.name, &call.args),
        }
    }

    fn eval_attr(&mut self, obj: &Node, name: &str) -> Result<Value, EvalError> {
        let obj = self.eval(obj)?;
        self.attr(&obj, name)
    }

    fn eval_item(&mut self, obj: &Node, key: &Node) -> Result<Value, EvalError> {
        let obj = self.eval(obj)?;
        let key = self.eval(key)?;
        match (&obj, &key) {
            (Value::Loop(_), Value::Str(name)) => self.attr(&obj, name),
            _ => access::item(&obj, &key),
        }
    }

    fn eval_bin(&mut self, op: ops::BinOp, a: &Node, b: &Node) -> Result<Value, EvalError> {
        let a = self.eval(a)?;
        let b = self.eval(b)?;
        ops::binary(op, &a, &b)
    }

    fn eval_unary(
        &mut self,
        e: &Node,
        op: fn(&Value) -> Result<Value, EvalError>,
    ) -> Result<Value, EvalError> {
        let v = self.eval(e)?;
        op(&v)
    }

    /// `a and b` (`is_and`) or `a or b`: Python returns one of the operands.
    fn eval_logic(&mut self, a: &Node, b: &Node, is_and: bool) -> Result<Value, EvalError> {
        let left = self.eval(a)?;
        if left.truthy()? == is_and {
            self.eval(b)
        } else {
            Ok(left)
        }
    }

    fn eval_cond(
        &mut self,
        test: &Node,
        then: &Node,
        otherwise: Option<&Node>,
    ) -> Result<Value, EvalError> {
        if self.eval(test)?.truthy()? {
            self.eval(then)
        } else if let Some(e) = otherwise {
            self.eval(e)
        } else {
            Ok(Value::lenient_undefined(
                "the inline if-expression evaluated to false and no else section was defined.",
            ))
        }
    }

    fn eval_filter(&mut self, call: &FilterCall) -> Result<Value, EvalError> {
        let value = self.eval(&call.value)?;
        let args = self.eval_args(&call.args)?;
        if !call.func.accepts_undefined {
            if let Some(e) = value.strict_undefined_error() {
                return Err(e);
            }
        }
        (call.func.func)(self, value, args)
    }

    fn eval_test(&mut self, call: &TestCall) -> Result<Value, EvalError> {
        let value = self.eval(&call.value)?;
        let args = self.eval_args(&call.args)?;
        if !call.func.accepts_undefined {
            if let Some(e) = value.strict_undefined_error() {
                return Err(e);
            }
        }
        (call.func.func)(self, &value, &args)
    }

    fn eval_global(&mut self, global: Global, args: &CallArgs) -> Result<Value, EvalError> {
        let args = self.eval_args(args)?;
        globals::call(global, args)
    }

    fn eval_method(&mut self, obj: &Node, name: &str, args: &CallArgs) -> Result<Value, EvalError> {
        let obj = self.eval(obj)?;
        let args = self.eval_args(args)?;
        match &obj {
            Value::Loop(l) => self.loop_method(l, name, args),
            _ => methods::call(&obj, name, &args),
        }
    }

    fn eval_all(&mut self, items: &[Node]) -> Result<Vec<Value>, EvalError> {
        items.iter().map(|e| self.eval(e)).collect()
    }

    fn eval_args(&mut self, args: &CallArgs) -> Result<Args, EvalError> {
        let pos = self.eval_all(&args.pos)?;
        let mut kw = Vec::with_capacity(args.kw.len());
        for (name, e) in &args.kw {
            kw.push((name.clone(), self.eval(e)?));
        }
        Ok(Args { pos, kw })
    }

    fn dict_literal(&mut self, pairs: &[(Node, Node)]) -> Result<Value, EvalError> {
        let mut dict = Dict::new();
        for (k, v) in pairs {
            let key = self.eval(k)?;
            let value = self.eval(v)?;
            dict.insert(key, value)?;
        }
        Ok(Value::from(dict))
    }

    fn concat(&mut self, parts: &[Node]) -> Result<Value, EvalError> {
        let mut out = String::new();
        for part in parts {
            let v = self.eval(part)?;
            match &v {
                Value::Str(s) => out.push_str(s),
                other => out.push_str(&other.to_str()?),
            }
            if out.len() > MAX_OUTPUT {
                return Err(EvalError::new("result too large"));
            }
        }
        Ok(Value::from(out))
    }

    fn slice(&mut self, obj: &Node, bounds: &[Option<Node>; 3]) -> Result<Value, EvalError> {
        let obj = self.eval(obj)?;
        let mut values: [Option<Value>; 3] = [None, None, None];
        for (slot, bound) in values.iter_mut().zip(bounds.iter()) {
            if let Some(e) = bound {
                *slot = Some(self.eval(e)?);
            }
        }
        access::slice(&obj, values)
    }

    fn compare(&mut self, first: &Node, rest: &[(CmpOp, Node)]) -> Result<Value, EvalError> {
        let mut left = self.eval(first)?;
        for (op, e) in rest {
            let right = self.eval(e)?;
            let holds = match op {
                CmpOp::Eq => py_eq(&left, &right)?,
                CmpOp::Ne => !py_eq(&left, &right)?,
                CmpOp::Order(o) => ops::order(*o, &left, &right)?,
                CmpOp::In => ops::contains(&right, &left)?,
                CmpOp::NotIn => !ops::contains(&right, &left)?,
            };
            if !holds {
                return Ok(Value::Bool(false));
            }
            left = right;
        }
        Ok(Value::Bool(true))
    }

    /// `obj.name`, including the attributes of `loop`.
    pub(crate) fn attr(&mut self, obj: &Value, name: &str) -> Result<Value, EvalError> {
        match obj {
            Value::Loop(l) => self.loop_attr(l, name),
            _ => access::attr(obj, name),
        }
    }

    // statements ----------------------------------------------------------------------------

    /// Runs statements, appending their text to `out`.
    pub(crate) fn exec(&mut self, body: &[Stmt], out: &mut String) -> Result<(), EvalError> {
        for stmt in body {
            match stmt {
                Stmt::Text(text) => out.push_str(text),
                Stmt::Out(e) => {
                    let v = self.eval(e)?;
                    self.write(&v, out)?;
                }
                Stmt::If(branches, otherwise) => self.exec_if(branches, otherwise, out)?,
                Stmt::For(f) => self.exec_for(f, out)?,
                Stmt::Set(target, e) => {
                    let v = self.eval(e)?;
                    self.assign(target, v)?;
                }
                Stmt::SetBlock(name, body) => {
                    let mut text = String::new();
                    self.exec(body, &mut text)?;
                    self.bind(name, Value::from(text));
                }
                Stmt::With(pairs, body) => {
                    let mut scope = HashMap::new();
                    for (name, e) in pairs {
                        scope.insert(name.clone(), self.eval(e)?);
                    }
                    self.scopes.push(scope);
                    let result = self.exec(body, out);
                    self.scopes.pop();
                    result?;
                }
            }
            if out.len() > MAX_OUTPUT {
                return Err(EvalError::new("the rendered text is too large"));
            }
        }
        Ok(())
    }

    /// Appends `str(v)`.
    pub(crate) fn write(&mut self, v: &Value, out: &mut String) -> Result<(), EvalError> {
        match v {
            Value::Str(s) => out.push_str(s),
            Value::Loop(l) => {
                self.loop_length(&l.state)?;
                out.push_str(&l.repr());
            }
            other => out.push_str(&other.to_str()?),
        }
        Ok(())
    }

    fn exec_if(
        &mut self,
        branches: &[(Node, Vec<Stmt>)],
        otherwise: &[Stmt],
        out: &mut String,
    ) -> Result<(), EvalError> {
        for (test, body) in branches {
            if self.eval(test)?.truthy()? {
                return self.exec(body, out);
            }
        }
        self.exec(otherwise, out)
    }

    /// Binds an assignment target in the innermost scope.
    fn assign(&mut self, target: &Target, value: Value) -> Result<(), EvalError> {
        match target {
            Target::Name(name) => {
                self.bind(name, value);
                Ok(())
            }
            Target::Tuple(targets) => {
                if !value.is_iterable() && !value.is_undefined() {
                    return Err(EvalError::new(format!(
                        "cannot unpack non-iterable {} object",
                        value.type_name()
                    )));
                }
                let items = value.iterate()?;
                if items.len() > targets.len() {
                    return Err(EvalError::new(format!(
                        "too many values to unpack (expected {})",
                        targets.len()
                    )));
                }
                if items.len() < targets.len() {
                    return Err(EvalError::new(format!(
                        "not enough values to unpack (expected {}, got {})",
                        targets.len(),
                        items.len()
                    )));
                }
                for (t, v) in targets.iter().zip(items) {
                    self.assign(t, v)?;
                }
                Ok(())
            }
            Target::Ns(name, attr) => match &self.lookup(name)? {
                Value::Namespace(ns) => {
                    ns.borrow_mut().insert_str(attr, value);
                    Ok(())
                }
                _ => Err(EvalError::new(
                    "cannot assign attribute on non-namespace object",
                )),
            },
        }
    }

    fn exec_for(&mut self, f: &ForLoop, out: &mut String) -> Result<(), EvalError> {
        let iterable = self.eval(&f.iter)?;
        let items = iterable.iterate()?;
        let filter = f.filter.as_ref().map(|test| LoopFilter {
            target: f.target.clone(),
            test: test.clone(),
            base_depth: self.scopes.len(),
        });
        let state = Rc::new(RefCell::new(LoopState::new(items, filter)));
        let loop_name: Rc<str> = Rc::from("loop");
        let mut index = 0;
        while let Some(item) = self.loop_item(&state, index)? {
            self.scopes.push(HashMap::new());
            let result = self.assign(&f.target, item).and_then(|()| {
                let loop_value = Value::Loop(Rc::new(LoopRef {
                    index0: index,
                    state: state.clone(),
                }));
                self.bind(&loop_name, loop_value);
                self.exec(&f.body, out)
            });
            self.scopes.pop();
            result?;
            index += 1;
        }
        if index == 0 {
            self.scopes.push(HashMap::new());
            let result = self.exec(&f.otherwise, out);
            self.scopes.pop();
            result?;
        }
        Ok(())
    }

    /// The loop's item number `index` (0-based), testing pending items as needed.
    fn loop_item(
        &mut self,
        state: &Rc<RefCell<LoopState>>,
        index: usize,
    ) -> Result<Option<Value>, EvalError> {
        loop {
            let (candidate, filter) = {
                let mut st = state.borrow_mut();
                if let Some(v) = st.accepted.get(index) {
                    return Ok(Some(v.clone()));
                }
                match st.pending.pop_front() {
                    None => return Ok(None),
                    Some(candidate) => (candidate, st.filter.clone()),
                }
            };
            let accepted = match &filter {
                None => true,
                Some(filter) => self.filter_accepts(filter, &candidate)?,
            };
            if accepted {
                state.borrow_mut().accepted.push(candidate);
            }
        }
    }

    /// Evaluates a loop filter for `item` in the scopes outside the loop.
    fn filter_accepts(&mut self, filter: &LoopFilter, item: &Value) -> Result<bool, EvalError> {
        let base = filter.base_depth.min(self.scopes.len());
        let inner = self.scopes.split_off(base);
        self.scopes.push(HashMap::new());
        let result = self
            .assign(&filter.target, item.clone())
            .and_then(|()| self.eval(&filter.test))
            .and_then(|v| v.truthy());
        self.scopes.truncate(base);
        self.scopes.extend(inner);
        result
    }

    /// Tests every pending item; the number of items the loop runs over.
    fn loop_length(&mut self, state: &Rc<RefCell<LoopState>>) -> Result<usize, EvalError> {
        let known = state.borrow().accepted.len();
        let _ = self.loop_item(state, usize::MAX)?;
        Ok(state.borrow().accepted.len().max(known))
    }

    fn loop_attr(&mut self, l: &LoopRef, name: &str) -> Result<Value, EvalError> {
        let index0 = l.index0;
        let count = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        Ok(match name {
            "index0" => count(index0),
            "index" => count(index0 + 1),
            "first" => Value::Bool(index0 == 0),
            "depth" => Value::Int(1),
            "depth0" => Value::Int(0),
            "length" => count(self.loop_length(&l.state)?),
            "revindex" => count(self.loop_length(&l.state)?.saturating_sub(index0)),
            "revindex0" => count(
                self.loop_length(&l.state)?
                    .saturating_sub(index0)
                    .saturating_sub(1),
            ),
            "last" => Value::Bool(self.loop_item(&l.state, index0 + 1)?.is_none()),
            "previtem" => match index0.checked_sub(1) {
                Some(i) => self
                    .loop_item(&l.state, i)?
                    .unwrap_or_else(|| Value::undefined("there is no previous item")),
                None => Value::undefined("there is no previous item"),
            },
            "nextitem" => self
                .loop_item(&l.state, index0 + 1)?
                .unwrap_or_else(|| Value::undefined("there is no next item")),
            _ => access::attr(
                &Value::Loop(Rc::new(LoopRef {
                    index0,
                    state: l.state.clone(),
                })),
                name,
            )?,
        })
    }

    fn loop_method(&mut self, l: &LoopRef, name: &str, args: Args) -> Result<Value, EvalError> {
        match name {
            "cycle" => {
                if !args.kw.is_empty() {
                    return Err(EvalError::new("cycle() takes no keyword arguments"));
                }
                if args.pos.is_empty() {
                    return Err(EvalError::new("no items for cycling given"));
                }
                let i = l.index0 % args.pos.len();
                Ok(args.pos.get(i).cloned().unwrap_or(Value::None))
            }
            "changed" => {
                if !args.kw.is_empty() {
                    return Err(EvalError::new("changed() takes no keyword arguments"));
                }
                let current = Value::tuple(args.pos.clone());
                let previous = l.state.borrow().last_changed.clone();
                let changed = match previous {
                    None => true,
                    Some(previous) => !py_eq(&Value::tuple(previous), &current)?,
                };
                if changed {
                    l.state.borrow_mut().last_changed = Some(args.pos);
                }
                Ok(Value::Bool(changed))
            }
            _ => Err(EvalError::new(format!(
                "'jinja2.runtime.LoopContext object' has no attribute '{name}'"
            ))),
        }
    }
}
