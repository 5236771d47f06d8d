//! The IR tree compiled to a program for the backtracking matcher.

use super::casefold;
use crate::jinja::unicode;
use crate::json::Value;

/// Deepest IR nesting accepted (the controller's patterns stay far below).
const MAX_DEPTH: usize = 200;

/// How case-insensitive matching lower-cases a code unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// ASCII letters only (bytes patterns, `(?a)`).
    Ascii,
    /// CPython's simple lower-case mapping.
    Unicode,
}

impl Fold {
    pub fn lower(self, c: u32) -> u32 {
        match self {
            Fold::Ascii => {
                if (0x41..=0x5A).contains(&c) {
                    c + 0x20
                } else {
                    c
                }
            }
            Fold::Unicode => casefold::lower(c),
        }
    }

    fn decode(v: &Value) -> Result<Option<Fold>, String> {
        match v {
            Value::Null => Ok(None),
            Value::Str(s) if s == "a" => Ok(Some(Fold::Ascii)),
            Value::Str(s) if s == "u" => Ok(Some(Fold::Unicode)),
            other => Err(format!("unknown fold {}", other.to_compact())),
        }
    }
}

/// Character classes `\d \s \w` and their negations, ASCII or Unicode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Digit,
    Space,
    Word,
    UniDigit,
    UniSpace,
    UniWord,
}

impl Category {
    fn decode(name: &str) -> Option<(Category, bool)> {
        let (negated, base) = match name.strip_prefix("uni_") {
            Some(rest) => (rest.starts_with("not_"), ("uni", rest)),
            None => (name.starts_with("not_"), ("", name)),
        };
        let kind = base.1.strip_prefix("not_").unwrap_or(base.1);
        let category = match (base.0, kind) {
            ("", "digit") => Category::Digit,
            ("", "space") => Category::Space,
            ("", "word") => Category::Word,
            ("uni", "digit") => Category::UniDigit,
            ("uni", "space") => Category::UniSpace,
            ("uni", "word") => Category::UniWord,
            _ => return None,
        };
        Some((category, negated))
    }

    pub fn contains(self, c: u32) -> bool {
        match self {
            Category::Digit => (0x30..=0x39).contains(&c),
            // Python's Py_ISSPACE: \t \n \v \f \r and space.
            Category::Space => (0x09..=0x0D).contains(&c) || c == 0x20,
            Category::Word => c < 0x80 && (c == 0x5F || (c as u8).is_ascii_alphanumeric()),
            Category::UniDigit => {
                char::from_u32(c).is_some_and(|ch| unicode::decimal_value(ch).is_some())
            }
            Category::UniSpace => char::from_u32(c).is_some_and(unicode::is_space),
            Category::UniWord => c == 0x5F || char::from_u32(c).is_some_and(unicode::is_alnum),
        }
    }
}

/// One member of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    One(u32),
    Range(u32, u32),
    Cat(Category, bool),
    /// A range also tried with the upper case of the (lower-cased) subject unit.
    RangeFold(u32, u32),
}

/// A character class: its members are tested on the unit, or on its lower case when `fold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    pub fold: Option<Fold>,
    pub negated: bool,
    pub items: Vec<Item>,
}

impl Set {
    fn contains(&self, c: u32) -> bool {
        let c = match self.fold {
            Some(fold) => fold.lower(c),
            None => c,
        };
        let found = self.items.iter().any(|item| match *item {
            Item::One(x) => c == x,
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Cat(cat, negated) => cat.contains(c) != negated,
            Item::RangeFold(lo, hi) => {
                (lo <= c && c <= hi) || {
                    let up = casefold::upper(c);
                    lo <= up && up <= hi
                }
            }
        });
        found != self.negated
    }
}

/// Something that matches exactly one code unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Char(u32),
    Not(u32),
    /// The folded unit is one of these.
    Fold(Fold, Vec<u32>),
    NotFold(Fold, Vec<u32>),
    /// Any unit but `\n`.
    Any,
    AnyAll,
    Set(Box<Set>),
}

impl Unit {
    pub fn matches(&self, c: u32) -> bool {
        match self {
            Unit::Char(x) => c == *x,
            Unit::Not(x) => c != *x,
            Unit::Fold(fold, xs) => xs.contains(&fold.lower(c)),
            Unit::NotFold(fold, xs) => !xs.contains(&fold.lower(c)),
            Unit::Any => c != 0x0A,
            Unit::AnyAll => true,
            Unit::Set(set) => set.contains(c),
        }
    }
}

/// Zero-width assertions (`^ $ \A \Z \b \B` in their variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Beginning,
    BeginningLine,
    BeginningString,
    End,
    EndLine,
    EndString,
    Boundary,
    NonBoundary,
    UniBoundary,
    UniNonBoundary,
}

impl At {
    fn decode(name: &str) -> Option<At> {
        Some(match name {
            "beginning" => At::Beginning,
            "beginning_line" => At::BeginningLine,
            "beginning_string" => At::BeginningString,
            "end" => At::End,
            "end_line" => At::EndLine,
            "end_string" => At::EndString,
            "boundary" => At::Boundary,
            "non_boundary" => At::NonBoundary,
            "uni_boundary" => At::UniBoundary,
            "uni_non_boundary" => At::UniNonBoundary,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatKind {
    Greedy,
    Lazy,
    Possessive,
}

/// One instruction of a [`Program`]; `usize` operands are program counters unless named.
#[derive(Debug, Clone, PartialEq)]
pub enum Inst {
    Unit(Unit),
    At(At),
    /// Records the position in mark `n` (group `n / 2 + 1`, start or end), as sre's MARK.
    Save(usize),
    /// Alternation: tries each target in turn.
    Branch(Vec<usize>),
    Jmp(usize),
    Backref {
        group: usize,
        fold: Option<Fold>,
    },
    /// A repeat of one unit (CPython's REPEAT_ONE and friends).
    RepeatOne {
        unit: Unit,
        min: u64,
        max: Option<u64>,
        kind: RepeatKind,
    },
    /// Starts a general repeat: resets register `reg`, then runs `until`.
    RepeatStart {
        reg: usize,
        until: usize,
    },
    /// End of one iteration of a general greedy or lazy repeat (MAX_UNTIL / MIN_UNTIL).
    Until {
        reg: usize,
        min: u64,
        max: Option<u64>,
        lazy: bool,
        body: usize,
    },
    /// Starts a possessive repeat of a general body.
    PossStart {
        reg: usize,
    },
    /// Tries one more atomic iteration of a possessive repeat, or leaves to `exit`.
    PossLoop {
        reg: usize,
        min: u64,
        max: Option<u64>,
        body: usize,
        exit: usize,
    },
    /// End of one possessive iteration: commits it and goes back to `looping`.
    PossIterEnd {
        reg: usize,
        looping: usize,
    },
    /// A look-ahead (`width` 0 and `behind` false) or look-behind; `next` follows its end.
    LookStart {
        negate: bool,
        behind: bool,
        width: usize,
        next: usize,
    },
    LookEnd,
    AtomicStart,
    AtomicEnd,
    /// `(?(group)yes|no)`: falls through to yes, jumps to `no` when the group did not match.
    Cond {
        group: usize,
        no: usize,
    },
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub insts: Vec<Inst>,
    /// Number of repeat registers.
    pub registers: usize,
    /// Whether every match must start at the beginning of the subject.
    pub anchored: bool,
}

pub fn compile(node: &Value, groups: usize) -> Result<Program, String> {
    let mut c = Compiler {
        insts: Vec::new(),
        registers: 0,
        groups,
    };
    c.node(node, 0)?;
    c.insts.push(Inst::Match);
    let anchored = matches!(
        c.insts.first(),
        Some(Inst::At(At::Beginning | At::BeginningString))
    );
    Ok(Program {
        insts: c.insts,
        registers: c.registers,
        anchored,
    })
}

struct Compiler {
    insts: Vec<Inst>,
    registers: usize,
    groups: usize,
}

fn int(v: Option<&Value>, what: &str) -> Result<u64, String> {
    match v.and_then(Value::as_i64) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(format!("{what} must be a non-negative integer")),
    }
}

fn code(v: &Value) -> Result<u32, String> {
    match v.as_i64() {
        Some(n) if (0..=0x10FFFF).contains(&n) => Ok(n as u32),
        _ => Err(format!("bad code unit {}", v.to_compact())),
    }
}

fn codes(v: Option<&Value>) -> Result<Vec<u32>, String> {
    v.and_then(Value::as_array)
        .ok_or("expected a list of code units")?
        .iter()
        .map(code)
        .collect()
}

/// The unit an IR node matches, when it is a one-unit node.
fn unit(node: &Value) -> Result<Option<Unit>, String> {
    let parts = match node.as_array() {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Ok(None),
    };
    let op = parts[0].as_str().unwrap_or("");
    let arg = |i: usize| parts.get(i);
    Ok(Some(match op {
        "char" => Unit::Char(code(arg(1).unwrap_or(&Value::Null))?),
        "not" => Unit::Not(code(arg(1).unwrap_or(&Value::Null))?),
        "char_fold" | "not_fold" => {
            let fold = Fold::decode(arg(1).unwrap_or(&Value::Null))?.ok_or("fold required")?;
            let xs = codes(arg(2))?;
            if op == "char_fold" {
                Unit::Fold(fold, xs)
            } else {
                Unit::NotFold(fold, xs)
            }
        }
        "any" => Unit::Any,
        "any_all" => Unit::AnyAll,
        "set" => {
            let fold = Fold::decode(arg(1).unwrap_or(&Value::Null))?;
            let negated = arg(2).and_then(Value::as_bool).ok_or("set: negated flag")?;
            let mut items = Vec::new();
            for item in arg(3).and_then(Value::as_array).ok_or("set: items")? {
                items.push(match item {
                    Value::Int(_) => Item::One(code(item)?),
                    Value::Str(name) => {
                        let (cat, neg) =
                            Category::decode(name).ok_or(format!("unknown category {name}"))?;
                        Item::Cat(cat, neg)
                    }
                    Value::Array(pair) if pair.len() == 2 => {
                        Item::Range(code(&pair[0])?, code(&pair[1])?)
                    }
                    Value::Array(triple)
                        if triple.len() == 3 && triple[0].as_str() == Some("rfold") =>
                    {
                        Item::RangeFold(code(&triple[1])?, code(&triple[2])?)
                    }
                    other => return Err(format!("bad set item {}", other.to_compact())),
                });
            }
            Unit::Set(Box::new(Set {
                fold,
                negated,
                items,
            }))
        }
        _ => return Ok(None),
    }))
}

impl Compiler {
    fn pc(&self) -> usize {
        self.insts.len()
    }

    fn group(&self, v: Option<&Value>) -> Result<usize, String> {
        let g = int(v, "group")? as usize;
        if g == 0 || g > self.groups {
            return Err(format!("group {g} out of range"));
        }
        Ok(g)
    }

    fn node(&mut self, node: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("pattern nested too deeply".to_string());
        }
        if let Some(u) = unit(node)? {
            self.insts.push(Inst::Unit(u));
            return Ok(());
        }
        let parts = node
            .as_array()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("bad node {}", node.to_compact()))?;
        let op = parts[0]
            .as_str()
            .ok_or_else(|| format!("bad node {}", node.to_compact()))?;
        let arg = |i: usize| parts.get(i).ok_or(format!("{op}: missing operand {i}"));
        match op {
            "seq" => {
                for child in &parts[1..] {
                    self.node(child, depth + 1)?;
                }
            }
            "alt" => {
                let branch = self.pc();
                self.insts.push(Inst::Jmp(0));
                let mut targets = Vec::new();
                let mut jumps = Vec::new();
                for alternative in &parts[1..] {
                    targets.push(self.pc());
                    self.node(alternative, depth + 1)?;
                    jumps.push(self.pc());
                    self.insts.push(Inst::Jmp(0));
                }
                let end = self.pc();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
                self.insts[branch] = Inst::Branch(targets);
            }
            "at" => {
                let name = arg(1)?.as_str().unwrap_or("");
                let at = At::decode(name).ok_or(format!("unknown anchor {name}"))?;
                self.insts.push(Inst::At(at));
            }
            "group" => {
                let g = self.group(parts.get(1))?;
                self.insts.push(Inst::Save(2 * (g - 1)));
                self.node(arg(2)?, depth + 1)?;
                self.insts.push(Inst::Save(2 * (g - 1) + 1));
            }
            "backref" => {
                let group = self.group(parts.get(1))?;
                let fold = Fold::decode(arg(2)?)?;
                self.insts.push(Inst::Backref { group, fold });
            }
            "repeat" => {
                let min = int(parts.get(1), "repeat min")?;
                let max = match arg(2)? {
                    Value::Null => None,
                    v => Some(int(Some(v), "repeat max")?),
                };
                if max.is_some_and(|m| m < min) {
                    return Err("repeat max below min".to_string());
                }
                let kind = match arg(3)?.as_str() {
                    Some("greedy") => RepeatKind::Greedy,
                    Some("lazy") => RepeatKind::Lazy,
                    Some("possessive") => RepeatKind::Possessive,
                    _ => return Err("unknown repeat kind".to_string()),
                };
                let body = arg(4)?;
                if let Some(u) = unit(body)? {
                    self.insts.push(Inst::RepeatOne {
                        unit: u,
                        min,
                        max,
                        kind,
                    });
                    return Ok(());
                }
                let reg = self.registers;
                self.registers += 1;
                if kind == RepeatKind::Possessive {
                    self.insts.push(Inst::PossStart { reg });
                    let looping = self.pc();
                    self.insts.push(Inst::Jmp(0));
                    let body_pc = self.pc();
                    self.node(body, depth + 1)?;
                    self.insts.push(Inst::PossIterEnd { reg, looping });
                    let exit = self.pc();
                    self.insts[looping] = Inst::PossLoop {
                        reg,
                        min,
                        max,
                        body: body_pc,
                        exit,
                    };
                } else {
                    let start = self.pc();
                    self.insts.push(Inst::Jmp(0));
                    let body_pc = self.pc();
                    self.node(body, depth + 1)?;
                    let until = self.pc();
                    self.insts.push(Inst::Until {
                        reg,
                        min,
                        max,
                        lazy: kind == RepeatKind::Lazy,
                        body: body_pc,
                    });
                    self.insts[start] = Inst::RepeatStart { reg, until };
                }
            }
            "look" => {
                let behind = match arg(1)?.as_str() {
                    Some("ahead") => false,
                    Some("behind") => true,
                    _ => return Err("look: direction must be ahead or behind".to_string()),
                };
                let negate = arg(2)?.as_bool().ok_or("look: negate flag")?;
                let width = int(parts.get(3), "look width")? as usize;
                let start = self.pc();
                self.insts.push(Inst::Jmp(0));
                self.node(arg(4)?, depth + 1)?;
                self.insts.push(Inst::LookEnd);
                let next = self.pc();
                self.insts[start] = Inst::LookStart {
                    negate,
                    behind,
                    width,
                    next,
                };
            }
            "atomic" => {
                self.insts.push(Inst::AtomicStart);
                self.node(arg(1)?, depth + 1)?;
                self.insts.push(Inst::AtomicEnd);
            }
            "cond" => {
                let group = self.group(parts.get(1))?;
                let start = self.pc();
                self.insts.push(Inst::Jmp(0));
                self.node(arg(2)?, depth + 1)?;
                let jump = self.pc();
                self.insts.push(Inst::Jmp(0));
                let no = self.pc();
                self.node(arg(3)?, depth + 1)?;
                let end = self.pc();
                self.insts[start] = Inst::Cond { group, no };
                self.insts[jump] = Inst::Jmp(end);
            }
            other => return Err(format!("unknown node {other}")),
        }
        Ok(())
    }
}
