//! The backtracking matcher.
//!
//! It follows CPython's `sre` engine closely, because Python's results depend on it beyond
//! "the leftmost match": the order in which alternatives and repeat counts are tried, the
//! zero-width protection of repeats (an optional iteration that matched the empty string
//! ends the repeat), and how group marks survive backtracking. `sre` does not undo a mark
//! when it backtracks; it keeps a `lastmark` (the highest mark set; marks above it do not
//! count) and restores `lastmark`, and inside a repeat also the marks themselves, only at
//! its choice points (alternation, one-unit repeats, repeat iterations, negative
//! look-arounds). The choice frames below carry the same saved state and restore it at
//! the same moments, so the groups a match reports are the ones Python reports.
//!
//! The machine keeps its own stack (no recursion, so long subjects cannot overflow the
//! thread's stack) and counts its steps (see [`super::STEP_LIMIT`]).

use super::compile::{At, Category, Inst, Program, RepeatKind};
use super::Spans;

/// What a choice point saved of the marks: `lastmark`, and the marks up to it when `sre`
/// pushes them there (inside a repeat).
#[derive(Debug, Clone)]
struct Saved {
    lastmark: isize,
    marks: Option<Box<[Option<usize>]>>,
    /// The active repeat (register) when the choice point was made.
    repeat: Option<usize>,
}

#[derive(Debug, Clone)]
enum Barrier {
    /// A positive look-around: on success, continue at `next` with the position `pos`.
    Look {
        pos: usize,
        next: usize,
    },
    /// A negative look-around: if its body fails, continue at `next` with `pos`.
    NegLook {
        pos: usize,
        next: usize,
        saved: Saved,
    },
    Atomic,
    /// A required possessive iteration.
    PossMin,
    /// An optional possessive iteration: if it fails, leave the loop at `exit` with `pos`.
    PossOpt {
        pos: usize,
        exit: usize,
        saved: Saved,
    },
}

#[derive(Debug, Clone)]
enum Frame {
    /// An alternation at `pc` whose alternative `next` is to be tried at `pos`.
    Branch {
        pc: usize,
        next: usize,
        pos: usize,
        saved: Saved,
    },
    /// The tail of a greedy repeat after its optional iteration failed.
    Tail {
        pc: usize,
        pos: usize,
        saved: Saved,
    },
    /// Restore a repeat register.
    Reg {
        reg: usize,
        old: Register,
    },
    /// A greedy one-unit repeat that may give back units, down to `min`.
    Greedy {
        next: usize,
        start: usize,
        count: u64,
        min: u64,
        saved: Saved,
    },
    /// A lazy one-unit repeat (instruction `pc`) that may take one more unit.
    Lazy {
        pc: usize,
        start: usize,
        count: u64,
        saved: Saved,
    },
    /// A lazy general repeat (its `Until` at `pc`) that may try one more iteration.
    LazyMore {
        pc: usize,
        pos: usize,
        saved: Saved,
    },
    Barrier(Barrier),
}

/// State of one general repeat (`sre`'s repeat context).
#[derive(Debug, Clone, Copy)]
struct Register {
    count: i64,
    /// Where the last optional iteration started (zero-width protection).
    last: Option<usize>,
    /// The repeat that was active when this one started.
    prev: Option<usize>,
}

struct Machine<'a> {
    prog: &'a Program,
    subject: &'a [u32],
    marks: Vec<Option<usize>>,
    lastmark: isize,
    regs: Vec<Register>,
    /// The active repeat (`sre`'s `state->repeat`).
    repeat: Option<usize>,
    stack: Vec<Frame>,
    steps: u64,
    step_limit: u64,
}

/// `re.search` (or `re.match` when `anchored`) of `prog` in `subject`.
pub fn search(
    prog: &Program,
    groups: usize,
    subject: &[u32],
    anchored: bool,
    step_limit: u64,
) -> Result<Option<Spans>, String> {
    let mut m = Machine {
        prog,
        subject,
        marks: vec![None; 2 * groups],
        lastmark: -1,
        regs: vec![
            Register {
                count: -1,
                last: None,
                prev: None,
            };
            prog.registers
        ],
        repeat: None,
        stack: Vec::new(),
        steps: 0,
        step_limit,
    };
    let last_start = if anchored || prog.anchored {
        0
    } else {
        subject.len()
    };
    let first = match prog.insts.first() {
        Some(Inst::Unit(u)) => Some(u),
        _ => None,
    };
    for start in 0..=last_start {
        if let Some(u) = first {
            match subject.get(start) {
                Some(&c) if u.matches(c) => {}
                _ => continue,
            }
        }
        m.marks.iter_mut().for_each(|s| *s = None);
        m.lastmark = -1;
        m.repeat = None;
        m.stack.clear();
        if let Some(end) = m.run(start)? {
            let mut spans = Vec::with_capacity(groups + 1);
            spans.push(Some((start, end)));
            for g in 0..groups {
                let j = 2 * g;
                spans.push(match (m.marks[j], m.marks[j + 1]) {
                    (Some(a), Some(b)) if (j + 1) as isize <= m.lastmark => {
                        if a > b {
                            return Err("the span of a capturing group is wrong (Python's re \
                                 raises SystemError for this pattern)"
                                .to_string());
                        }
                        Some((a, b))
                    }
                    _ => None,
                });
            }
            return Ok(Some(spans));
        }
    }
    Ok(None)
}

fn is_word(c: u32, unicode: bool) -> bool {
    if unicode {
        Category::UniWord.contains(c)
    } else {
        Category::Word.contains(c)
    }
}

impl Machine<'_> {
    fn at(&self, at: At, pos: usize) -> bool {
        let s = self.subject;
        let end = s.len();
        match at {
            At::Beginning | At::BeginningString => pos == 0,
            At::BeginningLine => pos == 0 || s[pos - 1] == 0x0A,
            At::End => pos == end || (pos + 1 == end && s[pos] == 0x0A),
            At::EndLine => pos == end || s[pos] == 0x0A,
            At::EndString => pos == end,
            At::Boundary | At::NonBoundary | At::UniBoundary | At::UniNonBoundary => {
                if end == 0 {
                    return false;
                }
                let unicode = matches!(at, At::UniBoundary | At::UniNonBoundary);
                let before = pos > 0 && is_word(s[pos - 1], unicode);
                let after = pos < end && is_word(s[pos], unicode);
                match at {
                    At::Boundary | At::UniBoundary => before != after,
                    _ => before == after,
                }
            }
        }
    }

    /// `sre`'s MARK: raising `lastmark` clears the marks skipped over.
    fn mark(&mut self, i: usize, pos: usize) {
        let i_signed = i as isize;
        if i_signed > self.lastmark {
            let from = (self.lastmark + 1) as usize;
            for m in &mut self.marks[from..i] {
                *m = None;
            }
            self.lastmark = i_signed;
        }
        self.marks[i] = Some(pos);
    }

    /// LASTMARK_SAVE, plus MARK_PUSH when `push_marks`.
    fn save(&self, push_marks: bool) -> Saved {
        let marks = if push_marks && self.lastmark >= 0 {
            Some(self.marks[..=(self.lastmark as usize)].into())
        } else {
            None
        };
        Saved {
            lastmark: self.lastmark,
            marks,
            repeat: self.repeat,
        }
    }

    /// MARK_POP (when marks were pushed) and LASTMARK_RESTORE; the active repeat too.
    fn restore(&mut self, saved: &Saved) {
        if let Some(marks) = &saved.marks {
            self.marks[..marks.len()].copy_from_slice(marks);
        }
        self.lastmark = saved.lastmark;
        self.repeat = saved.repeat;
    }

    fn set_reg(&mut self, reg: usize, value: Register) {
        let old = self.regs[reg];
        self.stack.push(Frame::Reg { reg, old });
        self.regs[reg] = value;
    }

    /// The span of a group for a back-reference or a conditional, as `sre` checks it.
    fn group_span(&self, group: usize) -> Option<(usize, usize)> {
        let j = 2 * (group - 1);
        if (j as isize) >= self.lastmark {
            return None;
        }
        match (self.marks[j], self.marks[j + 1]) {
            (Some(a), Some(b)) if a <= b => Some((a, b)),
            _ => None,
        }
    }

    fn step(&mut self, n: u64) -> Result<(), String> {
        self.steps += n;
        if self.steps > self.step_limit {
            return Err(format!(
                "the regular expression needs more than {} steps for one search \
                 (catastrophic backtracking); simplify the pattern",
                self.step_limit
            ));
        }
        Ok(())
    }

    /// Commits an atomic body: drops the choice points above the nearest barrier (keeping
    /// the register restores) and returns the barrier.
    fn commit(&mut self) -> Option<Barrier> {
        let index = self
            .stack
            .iter()
            .rposition(|f| matches!(f, Frame::Barrier(_)))?;
        let kept: Vec<Frame> = self
            .stack
            .drain(index + 1..)
            .filter(|f| matches!(f, Frame::Reg { .. }))
            .collect();
        let barrier = match self.stack.pop() {
            Some(Frame::Barrier(b)) => b,
            _ => return None,
        };
        self.stack.extend(kept);
        Some(barrier)
    }

    /// Drops everything down to and including the nearest barrier (a negative look-around
    /// whose body matched), restoring the registers but not the marks, as `sre` does.
    fn unwind_barrier(&mut self) {
        while let Some(frame) = self.stack.pop() {
            match frame {
                Frame::Reg { reg, old } => self.regs[reg] = old,
                Frame::Barrier(_) => return,
                _ => {}
            }
        }
    }

    /// Pops the stack until a choice point can be resumed: `Some((pc, pos))`, or `None`
    /// when there is none left.
    fn backtrack(&mut self) -> Result<Option<(usize, usize)>, String> {
        while let Some(frame) = self.stack.pop() {
            self.step(1)?;
            match frame {
                Frame::Reg { reg, old } => self.regs[reg] = old,
                Frame::Branch {
                    pc,
                    next,
                    pos,
                    saved,
                } => {
                    self.restore(&saved);
                    if let Inst::Branch(targets) = &self.prog.insts[pc] {
                        if let Some(&target) = targets.get(next) {
                            self.stack.push(Frame::Branch {
                                pc,
                                next: next + 1,
                                pos,
                                saved,
                            });
                            return Ok(Some((target, pos)));
                        }
                    }
                }
                Frame::Tail { pc, pos, saved } => {
                    self.restore(&saved);
                    return Ok(Some((pc, pos)));
                }
                Frame::Greedy {
                    next,
                    start,
                    count,
                    min,
                    saved,
                } => {
                    self.restore(&saved);
                    if count > min {
                        let count = count - 1;
                        self.stack.push(Frame::Greedy {
                            next,
                            start,
                            count,
                            min,
                            saved,
                        });
                        return Ok(Some((next, start + count as usize)));
                    }
                }
                Frame::Lazy {
                    pc,
                    start,
                    count,
                    saved,
                } => {
                    self.restore(&saved);
                    let (unit, max) = match &self.prog.insts[pc] {
                        Inst::RepeatOne { unit, max, .. } => (unit, *max),
                        _ => continue,
                    };
                    let pos = start + count as usize;
                    if max.is_none_or(|m| count < m)
                        && pos < self.subject.len()
                        && unit.matches(self.subject[pos])
                    {
                        self.stack.push(Frame::Lazy {
                            pc,
                            start,
                            count: count + 1,
                            saved,
                        });
                        return Ok(Some((pc + 1, pos + 1)));
                    }
                }
                Frame::LazyMore { pc, pos, saved } => {
                    self.restore(&saved);
                    if let Inst::Until { reg, max, body, .. } = self.prog.insts[pc] {
                        let r = self.regs[reg];
                        let count = r.count + 1;
                        let exhausted = max.is_some_and(|m| count as u64 >= m);
                        if !exhausted && r.last != Some(pos) {
                            self.set_reg(
                                reg,
                                Register {
                                    count,
                                    last: Some(pos),
                                    prev: r.prev,
                                },
                            );
                            return Ok(Some((body, pos)));
                        }
                    }
                }
                Frame::Barrier(Barrier::NegLook { pos, next, saved }) => {
                    self.restore(&saved);
                    return Ok(Some((next, pos)));
                }
                Frame::Barrier(Barrier::PossOpt { pos, exit, saved }) => {
                    self.restore(&saved);
                    return Ok(Some((exit, pos)));
                }
                Frame::Barrier(_) => {}
            }
        }
        Ok(None)
    }

    /// Runs the program from `start`; the end of the match when it matches.
    fn run(&mut self, start: usize) -> Result<Option<usize>, String> {
        let prog = self.prog;
        let insts = &prog.insts;
        let subject = self.subject;
        let mut pc = 0usize;
        let mut pos = start;
        loop {
            self.step(1)?;
            let ok = match &insts[pc] {
                Inst::Match => {
                    return Ok(Some(pos));
                }
                Inst::Unit(u) => {
                    if pos < subject.len() && u.matches(subject[pos]) {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::At(at) => {
                    pc += 1;
                    self.at(*at, pos)
                }
                Inst::Save(i) => {
                    self.mark(*i, pos);
                    pc += 1;
                    true
                }
                Inst::Branch(targets) => match targets.first() {
                    None => false,
                    Some(&first) => {
                        let saved = self.save(self.repeat.is_some());
                        self.stack.push(Frame::Branch {
                            pc,
                            next: 1,
                            pos,
                            saved,
                        });
                        pc = first;
                        true
                    }
                },
                Inst::Jmp(target) => {
                    pc = *target;
                    true
                }
                Inst::Backref { group, fold } => match self.group_span(*group) {
                    None => false,
                    Some((a, b)) => {
                        let len = b - a;
                        let same = pos + len <= subject.len()
                            && (0..len).all(|i| {
                                let (x, y) = (subject[a + i], subject[pos + i]);
                                match fold {
                                    None => x == y,
                                    Some(f) => f.lower(x) == f.lower(y),
                                }
                            });
                        self.step(len as u64)?;
                        if same {
                            pos += len;
                            pc += 1;
                        }
                        same
                    }
                },
                Inst::RepeatOne {
                    unit,
                    min,
                    max,
                    kind,
                } => {
                    let min = *min;
                    let room = subject.len() - pos;
                    let limit = match max {
                        Some(m) => room.min(usize::try_from(*m).unwrap_or(usize::MAX)),
                        None => room,
                    };
                    let wanted = if *kind == RepeatKind::Lazy {
                        limit.min(usize::try_from(min).unwrap_or(usize::MAX))
                    } else {
                        limit
                    };
                    let mut n = 0usize;
                    while n < wanted && unit.matches(subject[pos + n]) {
                        n += 1;
                    }
                    self.step(n as u64)?;
                    if (n as u64) < min {
                        false
                    } else {
                        match kind {
                            RepeatKind::Greedy => {
                                let saved = self.save(self.repeat.is_some());
                                self.stack.push(Frame::Greedy {
                                    next: pc + 1,
                                    start: pos,
                                    count: n as u64,
                                    min,
                                    saved,
                                });
                            }
                            RepeatKind::Lazy => {
                                let saved = self.save(self.repeat.is_some());
                                self.stack.push(Frame::Lazy {
                                    pc,
                                    start: pos,
                                    count: n as u64,
                                    saved,
                                });
                            }
                            RepeatKind::Possessive => {}
                        }
                        pos += n;
                        pc += 1;
                        true
                    }
                }
                Inst::RepeatStart { reg, until } => {
                    self.set_reg(
                        *reg,
                        Register {
                            count: -1,
                            last: None,
                            prev: self.repeat,
                        },
                    );
                    self.repeat = Some(*reg);
                    pc = *until;
                    true
                }
                Inst::Until {
                    reg,
                    min,
                    max,
                    lazy,
                    body,
                } => {
                    let (reg, body) = (*reg, *body);
                    let r = self.regs[reg];
                    let count = r.count + 1;
                    if (count as u64) < *min {
                        self.set_reg(reg, Register { count, ..r });
                        pc = body;
                    } else if *lazy {
                        // Try the tail first (outside this repeat), then one more iteration.
                        self.repeat = r.prev;
                        let mut saved = self.save(r.prev.is_some());
                        saved.repeat = Some(reg);
                        self.stack.push(Frame::LazyMore { pc, pos, saved });
                        pc += 1;
                    } else if max.is_none_or(|m| (count as u64) < m) && r.last != Some(pos) {
                        // One more iteration; if it fails, the tail.
                        let mut saved = self.save(true);
                        saved.repeat = r.prev;
                        self.stack.push(Frame::Tail {
                            pc: pc + 1,
                            pos,
                            saved,
                        });
                        self.set_reg(
                            reg,
                            Register {
                                count,
                                last: Some(pos),
                                prev: r.prev,
                            },
                        );
                        pc = body;
                    } else {
                        self.repeat = r.prev;
                        pc += 1;
                    }
                    true
                }
                Inst::PossStart { reg } => {
                    self.set_reg(
                        *reg,
                        Register {
                            count: 0,
                            last: None,
                            prev: None,
                        },
                    );
                    pc += 1;
                    true
                }
                Inst::PossLoop {
                    reg,
                    min,
                    max,
                    body,
                    exit,
                } => {
                    let r = self.regs[*reg];
                    if (r.count as u64) < *min {
                        self.stack.push(Frame::Barrier(Barrier::PossMin));
                        pc = *body;
                    } else if max.is_none_or(|m| (r.count as u64) < m) && r.last != Some(pos) {
                        self.set_reg(
                            *reg,
                            Register {
                                last: Some(pos),
                                ..r
                            },
                        );
                        let saved = self.save(true);
                        self.stack.push(Frame::Barrier(Barrier::PossOpt {
                            pos,
                            exit: *exit,
                            saved,
                        }));
                        pc = *body;
                    } else {
                        pc = *exit;
                    }
                    true
                }
                Inst::PossIterEnd { reg, looping } => {
                    self.commit();
                    let r = self.regs[*reg];
                    self.set_reg(
                        *reg,
                        Register {
                            count: r.count + 1,
                            ..r
                        },
                    );
                    pc = *looping;
                    true
                }
                Inst::LookStart {
                    negate,
                    behind,
                    width,
                    next,
                } => {
                    let from = if *behind {
                        pos.checked_sub(*width)
                    } else {
                        Some(pos)
                    };
                    match from {
                        None if *negate => {
                            pc = *next;
                            true
                        }
                        None => false,
                        Some(from) => {
                            let barrier = if *negate {
                                Barrier::NegLook {
                                    pos,
                                    next: *next,
                                    saved: self.save(self.repeat.is_some()),
                                }
                            } else {
                                Barrier::Look { pos, next: *next }
                            };
                            self.stack.push(Frame::Barrier(barrier));
                            pos = from;
                            pc += 1;
                            true
                        }
                    }
                }
                Inst::LookEnd => {
                    let negative = self.stack.iter().rev().find_map(|f| match f {
                        Frame::Barrier(b) => Some(matches!(b, Barrier::NegLook { .. })),
                        _ => None,
                    });
                    if negative == Some(true) {
                        self.unwind_barrier();
                        false
                    } else {
                        match self.commit() {
                            Some(Barrier::Look { pos: p, next }) => {
                                pos = p;
                                pc = next;
                                true
                            }
                            _ => return Err("regex: unbalanced look-around".to_string()),
                        }
                    }
                }
                Inst::AtomicStart => {
                    self.stack.push(Frame::Barrier(Barrier::Atomic));
                    pc += 1;
                    true
                }
                Inst::AtomicEnd => {
                    self.commit();
                    pc += 1;
                    true
                }
                Inst::Cond { group, no } => {
                    if self.group_span(*group).is_some() {
                        pc += 1;
                    } else {
                        pc = *no;
                    }
                    true
                }
            };
            if !ok {
                match self.backtrack()? {
                    Some((next_pc, next_pos)) => {
                        pc = next_pc;
                        pos = next_pos;
                    }
                    None => return Ok(None),
                }
            }
        }
    }
}
