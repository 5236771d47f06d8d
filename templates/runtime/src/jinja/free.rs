//! The free variables of a template or expression (names read from the caller).

use std::collections::BTreeSet;
use std::rc::Rc;

use super::decode::{CallArgs, Node, Stmt, Target};

/// Names certainly bound in the current scope chain.
type Bound = Vec<Rc<str>>;

struct Walker {
    free: BTreeSet<String>,
}

impl Walker {
    fn read(&mut self, name: &str, bound: &Bound) {
        if !bound.iter().any(|b| b.as_ref() == name) {
            self.free.insert(name.to_string());
        }
    }

    fn body(&mut self, body: &[Stmt], bound: &mut Bound) {
        for stmt in body {
            self.stmt(stmt, bound);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, bound: &mut Bound) {
        match stmt {
            Stmt::Text(_) => {}
            Stmt::Out(e) => self.expr(e, bound),
            Stmt::If(branches, otherwise) => {
                for (test, body) in branches {
                    self.expr(test, bound);
                    // A branch's assignments may not run: they bind only inside it.
                    self.body(body, &mut bound.clone());
                }
                self.body(otherwise, &mut bound.clone());
            }
            Stmt::For(f) => {
                self.expr(&f.iter, bound);
                let mut inner = bound.clone();
                bind_target(&f.target, &mut inner);
                if let Some(filter) = &f.filter {
                    self.expr(filter, &inner);
                }
                inner.push(Rc::from("loop"));
                self.body(&f.body, &mut inner);
                self.body(&f.otherwise, &mut bound.clone());
            }
            Stmt::Set(target, e) => {
                self.expr(e, bound);
                if let Target::Ns(name, _) = target {
                    self.read(name, bound);
                }
                bind_target(target, bound);
            }
            Stmt::SetBlock(name, body) => {
                self.body(body, &mut bound.clone());
                bound.push(name.clone());
            }
            Stmt::With(pairs, body) => {
                let mut inner = bound.clone();
                for (name, e) in pairs {
                    self.expr(e, bound);
                    inner.push(name.clone());
                }
                self.body(body, &mut inner);
            }
        }
    }

    fn args(&mut self, args: &CallArgs, bound: &Bound) {
        for e in &args.pos {
            self.expr(e, bound);
        }
        for (_, e) in &args.kw {
            self.expr(e, bound);
        }
    }

    fn expr(&mut self, node: &Node, bound: &Bound) {
        match node {
            Node::Const(_) => {}
            Node::Var(name) => self.read(name, bound),
            Node::Attr(e, _) | Node::Neg(e) | Node::Pos(e) | Node::Not(e) => self.expr(e, bound),
            Node::Item(a, b) | Node::Bin(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                self.expr(a, bound);
                self.expr(b, bound);
            }
            Node::Slice(e, bounds) => {
                self.expr(e, bound);
                for part in bounds.iter().flatten() {
                    self.expr(part, bound);
                }
            }
            Node::List(items) | Node::Tuple(items) | Node::Concat(items) => {
                for item in items {
                    self.expr(item, bound);
                }
            }
            Node::Dict(pairs) => {
                for (k, v) in pairs {
                    self.expr(k, bound);
                    self.expr(v, bound);
                }
            }
            Node::Cmp(first, rest) => {
                self.expr(first, bound);
                for (_, e) in rest {
                    self.expr(e, bound);
                }
            }
            Node::Cond(test, then, otherwise) => {
                self.expr(test, bound);
                self.expr(then, bound);
                if let Some(e) = otherwise {
                    self.expr(e, bound);
                }
            }
            Node::Filter(call) => {
                self.expr(&call.value, bound);
                self.args(&call.args, bound);
            }
            Node::Test(call) => {
                self.expr(&call.value, bound);
                self.args(&call.args, bound);
            }
            Node::Call(_, args) => self.args(args, bound),
            Node::Method(call) => {
                self.expr(&call.obj, bound);
                self.args(&call.args, bound);
            }
        }
    }
}

fn bind_target(target: &Target, bound: &mut Bound) {
    match target {
        Target::Name(name) => bound.push(name.clone()),
        Target::Tuple(items) => items.iter().for_each(|t| bind_target(t, bound)),
        Target::Ns(..) => {}
    }
}

/// Free variables of a statement list, sorted.
pub(crate) fn template_variables(body: &[Stmt]) -> Vec<String> {
    let mut walker = Walker {
        free: BTreeSet::new(),
    };
    walker.body(body, &mut Vec::new());
    walker.free.into_iter().collect()
}

/// Free variables of an expression, sorted.
pub(crate) fn expr_variables(node: &Node) -> Vec<String> {
    let mut walker = Walker {
        free: BTreeSet::new(),
    };
    walker.expr(node, &Vec::new());
    walker.free.into_iter().collect()
}
