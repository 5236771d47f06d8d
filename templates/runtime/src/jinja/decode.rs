//! Decoding of the JSON IR (docs/jinja-ir.md) into the evaluator's syntax tree.

use std::rc::Rc;

use super::filters::{self, FilterDef};
use super::jtests::{self, TestDef};
use super::methods;
use super::ops::{BinOp, OrderOp};
use super::value::Value;
use crate::json::Value as Json;

/// Deepest IR nesting accepted (the JSON parser already stops at 256 levels).
const MAX_IR_DEPTH: usize = 300;

/// An expression.
#[derive(Debug)]
pub(crate) enum Node {
    Const(Value),
    Var(Rc<str>),
    Attr(Box<Node>, Rc<str>),
    Item(Box<Node>, Box<Node>),
    Slice(Box<Node>, Box<[Option<Node>; 3]>),
    List(Vec<Node>),
    Tuple(Vec<Node>),
    Dict(Vec<(Node, Node)>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Concat(Vec<Node>),
    Neg(Box<Node>),
    Pos(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(Box<Node>, Vec<(CmpOp, Node)>),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Filter(Box<FilterCall>),
    Test(Box<TestCall>),
    Call(Global, Box<CallArgs>),
    Method(Box<MethodCall>),
}

/// `value | name(args)`.
#[derive(Debug)]
pub(crate) struct FilterCall {
    pub(crate) func: &'static FilterDef,
    pub(crate) value: Node,
    pub(crate) args: CallArgs,
}

/// `value is name(args)`.
#[derive(Debug)]
pub(crate) struct TestCall {
    pub(crate) func: &'static TestDef,
    pub(crate) value: Node,
    pub(crate) args: CallArgs,
}

/// `obj.name(args)`.
#[derive(Debug)]
pub(crate) struct MethodCall {
    pub(crate) obj: Node,
    pub(crate) name: Rc<str>,
    pub(crate) args: CallArgs,
}

/// Positional and keyword argument expressions of a call.
#[derive(Debug, Default)]
pub(crate) struct CallArgs {
    pub(crate) pos: Vec<Node>,
    pub(crate) kw: Vec<(Rc<str>, Node)>,
}

/// A comparison operator of a chained comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Order(OrderOp),
    In,
    NotIn,
}

/// A global function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Global {
    Range,
    Dict,
    Namespace,
    Lookup,
}

/// A statement.
#[derive(Debug)]
pub(crate) enum Stmt {
    Text(Rc<str>),
    Out(Node),
    If(Vec<(Node, Vec<Stmt>)>, Vec<Stmt>),
    For(Box<ForLoop>),
    Set(Target, Node),
    SetBlock(Rc<str>, Vec<Stmt>),
    With(Vec<(Rc<str>, Node)>, Vec<Stmt>),
}

/// `{% for target in iter if filter %}body{% else %}otherwise{% endfor %}`.
#[derive(Debug)]
pub(crate) struct ForLoop {
    pub(crate) target: Rc<Target>,
    pub(crate) iter: Node,
    pub(crate) filter: Option<Rc<Node>>,
    pub(crate) body: Vec<Stmt>,
    pub(crate) otherwise: Vec<Stmt>,
}

/// An assignment target.
#[derive(Debug)]
pub(crate) enum Target {
    Name(Rc<str>),
    Tuple(Vec<Target>),
    Ns(Rc<str>, Rc<str>),
}

fn describe(v: &Json) -> String {
    let text = v.to_compact();
    if text.chars().count() > 60 {
        let head: String = text.chars().take(57).collect();
        format!("{head}...")
    } else {
        text
    }
}

struct Decoder {
    depth: usize,
}

fn array(v: &Json) -> Result<&[Json], String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array, got {}", describe(v)))
}

fn string(v: &Json) -> Result<Rc<str>, String> {
    v.as_str()
        .map(Rc::from)
        .ok_or_else(|| format!("expected a string, got {}", describe(v)))
}

fn part(node: &[Json], i: usize) -> Result<&Json, String> {
    node.get(i).ok_or_else(|| {
        format!(
            "the node {} lacks part {i}",
            describe(&Json::Array(node.to_vec()))
        )
    })
}

impl Decoder {
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_IR_DEPTH {
            Err(format!("nesting deeper than {MAX_IR_DEPTH} levels"))
        } else {
            Ok(())
        }
    }

    fn body(&mut self, v: &Json) -> Result<Vec<Stmt>, String> {
        array(v)?.iter().map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, v: &Json) -> Result<Stmt, String> {
        self.enter()?;
        let result = self.stmt_inner(v);
        self.depth -= 1;
        result
    }

    fn stmt_inner(&mut self, v: &Json) -> Result<Stmt, String> {
        let node = array(v)?;
        let tag = node.first().and_then(Json::as_str).unwrap_or("");
        Ok(match tag {
            "text" => Stmt::Text(string(part(node, 1)?)?),
            "out" => Stmt::Out(self.expr(part(node, 1)?)?),
            "if" => {
                let mut branches = Vec::new();
                for branch in array(part(node, 1)?)? {
                    let pair = array(branch)?;
                    branches.push((self.expr(part(pair, 0)?)?, self.body(part(pair, 1)?)?));
                }
                Stmt::If(branches, self.body(part(node, 2)?)?)
            }
            "for" => {
                let filter = match part(node, 3)? {
                    Json::Null => None,
                    e => Some(Rc::new(self.expr(e)?)),
                };
                Stmt::For(Box::new(ForLoop {
                    target: Rc::new(self.target(part(node, 1)?)?),
                    iter: self.expr(part(node, 2)?)?,
                    filter,
                    body: self.body(part(node, 4)?)?,
                    otherwise: self.body(part(node, 5)?)?,
                }))
            }
            "set" => Stmt::Set(self.target(part(node, 1)?)?, self.expr(part(node, 2)?)?),
            "setblock" => Stmt::SetBlock(string(part(node, 1)?)?, self.body(part(node, 2)?)?),
            "with" => {
                let mut pairs = Vec::new();
                for pair in array(part(node, 1)?)? {
                    let pair = array(pair)?;
                    pairs.push((string(part(pair, 0)?)?, self.expr(part(pair, 1)?)?));
                }
                Stmt::With(pairs, self.body(part(node, 2)?)?)
            }
            _ => return Err(format!("unknown statement {}", describe(v))),
        })
    }

    fn target(&mut self, v: &Json) -> Result<Target, String> {
        self.enter()?;
        let result = match v {
            Json::Str(name) => Ok(Target::Name(Rc::from(name.as_str()))),
            Json::Array(items) if items.first().and_then(Json::as_str) == Some("ns") => Ok(
                Target::Ns(string(part(items, 1)?)?, string(part(items, 2)?)?),
            ),
            Json::Array(items) => items
                .iter()
                .map(|t| self.target(t))
                .collect::<Result<_, _>>()
                .map(Target::Tuple),
            other => Err(format!("invalid assignment target {}", describe(other))),
        };
        self.depth -= 1;
        result
    }

    fn boxed(&mut self, v: &Json) -> Result<Box<Node>, String> {
        self.expr(v).map(Box::new)
    }

    fn exprs(&mut self, v: &Json) -> Result<Vec<Node>, String> {
        array(v)?.iter().map(|e| self.expr(e)).collect()
    }

    fn optional(&mut self, v: &Json) -> Result<Option<Node>, String> {
        match v {
            Json::Null => Ok(None),
            e => self.expr(e).map(Some),
        }
    }

    fn args(&mut self, pos: &Json, kw: &Json) -> Result<CallArgs, String> {
        let mut args = CallArgs {
            pos: self.exprs(pos)?,
            kw: Vec::new(),
        };
        for pair in array(kw)? {
            let pair = array(pair)?;
            args.kw
                .push((string(part(pair, 0)?)?, self.expr(part(pair, 1)?)?));
        }
        Ok(args)
    }

    fn expr(&mut self, v: &Json) -> Result<Node, String> {
        self.enter()?;
        let result = self.expr_inner(v);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, v: &Json) -> Result<Node, String> {
        let node = array(v)?;
        let tag = node.first().and_then(Json::as_str).unwrap_or("");
        match tag {
            "const" => Self::constant(node),
            "var" => Self::var(node),
            "attr" => self.attr(node),
            "item" => self.pair(node, Node::Item),
            "and" => self.pair(node, Node::And),
            "or" => self.pair(node, Node::Or),
            "neg" => self.single(node, Node::Neg),
            "pos" => self.single(node, Node::Pos),
            "not" => self.single(node, Node::Not),
            "list" => self.sequence(node, Node::List),
            "tuple" => self.sequence(node, Node::Tuple),
            "concat" => self.sequence(node, Node::Concat),
            "slice" => self.slice(node),
            "dict" => self.dict(node),
            "bin" => self.bin(node),
            "cmp" => self.cmp(node),
            "cond" => self.cond(node),
            "filter" => self.filter(node),
            "test" => self.test(node),
            "call" => self.call(node),
            "method" => self.method(node),
            _ => Err(format!("unknown expression {}", describe(v))),
        }
    }

    fn constant(node: &[Json]) -> Result<Node, String> {
        Ok(Node::Const(Value::from_json(part(node, 1)?)))
    }

    fn var(node: &[Json]) -> Result<Node, String> {
        Ok(Node::Var(string(part(node, 1)?)?))
    }

    fn attr(&mut self, node: &[Json]) -> Result<Node, String> {
        let obj = self.boxed(part(node, 1)?)?;
        Ok(Node::Attr(obj, string(part(node, 2)?)?))
    }

    fn sequence(&mut self, node: &[Json], make: fn(Vec<Node>) -> Node) -> Result<Node, String> {
        Ok(make(self.exprs(part(node, 1)?)?))
    }

    fn single(&mut self, node: &[Json], make: fn(Box<Node>) -> Node) -> Result<Node, String> {
        Ok(make(self.boxed(part(node, 1)?)?))
    }

    fn pair(
        &mut self,
        node: &[Json],
        make: fn(Box<Node>, Box<Node>) -> Node,
    ) -> Result<Node, String> {
        let a = self.boxed(part(node, 1)?)?;
        let b = self.boxed(part(node, 2)?)?;
        Ok(make(a, b))
    }

    fn slice(&mut self, node: &[Json]) -> Result<Node, String> {
        let target = self.boxed(part(node, 1)?)?;
        let bounds = [
            self.optional(part(node, 2)?)?,
            self.optional(part(node, 3)?)?,
            self.optional(part(node, 4)?)?,
        ];
        Ok(Node::Slice(target, Box::new(bounds)))
    }

    fn dict(&mut self, node: &[Json]) -> Result<Node, String> {
        let mut pairs = Vec::new();
        for pair in array(part(node, 1)?)? {
            let pair = array(pair)?;
            pairs.push((self.expr(part(pair, 0)?)?, self.expr(part(pair, 1)?)?));
        }
        Ok(Node::Dict(pairs))
    }

    fn bin(&mut self, node: &[Json]) -> Result<Node, String> {
        let op_json = part(node, 1)?;
        let op = op_json
            .as_str()
            .and_then(BinOp::parse)
            .ok_or_else(|| format!("unknown binary operator {}", describe(op_json)))?;
        let a = self.boxed(part(node, 2)?)?;
        let b = self.boxed(part(node, 3)?)?;
        Ok(Node::Bin(op, a, b))
    }

    fn cmp(&mut self, node: &[Json]) -> Result<Node, String> {
        let first = self.boxed(part(node, 1)?)?;
        let mut rest = Vec::new();
        for pair in array(part(node, 2)?)? {
            let pair = array(pair)?;
            let op_json = part(pair, 0)?;
            let op = match op_json.as_str().unwrap_or("") {
                "eq" => CmpOp::Eq,
                "ne" => CmpOp::Ne,
                "lt" => CmpOp::Order(OrderOp::Lt),
                "lteq" => CmpOp::Order(OrderOp::Le),
                "gt" => CmpOp::Order(OrderOp::Gt),
                "gteq" => CmpOp::Order(OrderOp::Ge),
                "in" => CmpOp::In,
                "notin" => CmpOp::NotIn,
                _ => return Err(format!("unknown comparison operator {}", describe(op_json))),
            };
            rest.push((op, self.expr(part(pair, 1)?)?));
        }
        Ok(Node::Cmp(first, rest))
    }

    fn cond(&mut self, node: &[Json]) -> Result<Node, String> {
        let test = self.boxed(part(node, 1)?)?;
        let then = self.boxed(part(node, 2)?)?;
        let otherwise = self.optional(part(node, 3)?)?.map(Box::new);
        Ok(Node::Cond(test, then, otherwise))
    }

    fn filter(&mut self, node: &[Json]) -> Result<Node, String> {
        let name = string(part(node, 1)?)?;
        let func = filters::lookup(&name).ok_or_else(|| format!("unknown filter {name:?}"))?;
        Ok(Node::Filter(Box::new(FilterCall {
            func,
            value: self.expr(part(node, 2)?)?,
            args: self.args(part(node, 3)?, part(node, 4)?)?,
        })))
    }

    fn test(&mut self, node: &[Json]) -> Result<Node, String> {
        let name = string(part(node, 1)?)?;
        let func = jtests::lookup(&name).ok_or_else(|| format!("unknown test {name:?}"))?;
        Ok(Node::Test(Box::new(TestCall {
            func,
            value: self.expr(part(node, 2)?)?,
            args: self.args(part(node, 3)?, part(node, 4)?)?,
        })))
    }

    fn call(&mut self, node: &[Json]) -> Result<Node, String> {
        let name = string(part(node, 1)?)?;
        let global = match name.as_ref() {
            "range" => Global::Range,
            "dict" => Global::Dict,
            "namespace" => Global::Namespace,
            "lookup" => Global::Lookup,
            _ => return Err(format!("unknown function {name:?}")),
        };
        Ok(Node::Call(
            global,
            Box::new(self.args(part(node, 2)?, part(node, 3)?)?),
        ))
    }

    fn method(&mut self, node: &[Json]) -> Result<Node, String> {
        let name = string(part(node, 2)?)?;
        if !methods::is_known(&name) {
            return Err(format!("unknown method {name:?}"));
        }
        Ok(Node::Method(Box::new(MethodCall {
            obj: self.expr(part(node, 1)?)?,
            name,
            args: self.args(part(node, 3)?, part(node, 4)?)?,
        })))
    }
}

/// Decodes a template (a statement list).
pub(crate) fn template(ir: &Json) -> Result<Vec<Stmt>, String> {
    Decoder { depth: 0 }
        .body(ir)
        .map_err(|e| format!("invalid template IR: {e}"))
}

/// Decodes one expression.
pub(crate) fn expression(ir: &Json) -> Result<Node, String> {
    Decoder { depth: 0 }
        .expr(ir)
        .map_err(|e| format!("invalid expression IR: {e}"))
}
