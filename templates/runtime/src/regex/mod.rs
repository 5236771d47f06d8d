//! Regular expressions with Python `re` semantics, executed from the controller's IR.
//!
//! The controller parses a pattern with Python's own parser and lowers it to a small JSON
//! tree (`rustle_invoke/regex_lowering.py`, documented in `docs/regex-ir.md`): flags are
//! already applied there (case folding, multi-line anchors, ASCII or Unicode classes). This
//! module decodes the tree, compiles it to a program and runs it with a backtracking matcher
//! that follows the order in which CPython's `sre` engine tries alternatives, so the first
//! match and its groups are the ones `re.search` / `re.match` report. Group references
//! (`\1`), look-around, atomic groups, possessive repeats and conditionals are supported.
//!
//! A subject is a slice of code units: characters (mode `str`) or bytes (mode `bytes`,
//! what Ansible's lineinfile uses: it searches bytes with a bytes pattern). Spans are unit
//! indices, like Python's for the same kind of subject.
//!
//! The matcher counts its steps: a search that needs more than [`STEP_LIMIT`] steps (a
//! pattern that backtracks exponentially) stops with an error instead of running forever.

mod casefold;
mod compile;
mod expand;
mod vm;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cases;

use crate::json::Value;

/// Steps one search may take before it is abandoned with an error (about a second).
pub const STEP_LIMIT: u64 = 20_000_000;

/// Whether a pattern searches text (characters) or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Str,
    Bytes,
}

/// Group spans of a match: index 0 is the whole match, `None` a group that did not take part.
pub type Spans = Vec<Option<(usize, usize)>>;

/// A decoded, compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    mode: Mode,
    groups: usize,
    names: Vec<(String, usize)>,
    prog: compile::Program,
    step_limit: u64,
}

impl Regex {
    /// Decodes the controller's IR (`{"v": 1, "mode", "groups", "names", "re"}`).
    pub fn decode(ir: &Value) -> Result<Regex, String> {
        let fail = |msg: &str| Err(format!("bad regex IR: {msg}"));
        if ir.get("v").and_then(Value::as_i64) != Some(1) {
            return fail("unknown version (expected v=1)");
        }
        let mode = match ir.get("mode").and_then(Value::as_str) {
            Some("str") => Mode::Str,
            Some("bytes") => Mode::Bytes,
            _ => return fail("mode must be \"str\" or \"bytes\""),
        };
        let groups = match ir.get("groups").and_then(Value::as_i64) {
            Some(n) if (0..=100_000).contains(&n) => n as usize,
            _ => return fail("groups must be a count"),
        };
        let mut names = Vec::new();
        match ir.get("names") {
            Some(Value::Object(members)) => {
                for (name, index) in members {
                    match index.as_i64() {
                        Some(i) if i >= 1 && (i as usize) <= groups => {
                            names.push((name.clone(), i as usize))
                        }
                        _ => return fail("a group name must map to a group number"),
                    }
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => return fail("names must be an object"),
        }
        let node = match ir.get("re") {
            Some(node) => node,
            None => return fail("missing \"re\""),
        };
        let prog = compile::compile(node, groups).map_err(|e| format!("bad regex IR: {e}"))?;
        Ok(Regex {
            mode,
            groups,
            names,
            prog,
            step_limit: STEP_LIMIT,
        })
    }

    /// Changes the number of steps one search may take (default [`STEP_LIMIT`]).
    pub fn set_step_limit(&mut self, steps: u64) {
        self.step_limit = steps;
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Number of capturing groups (group 0 not counted).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The number of a named group.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.iter().find(|(n, _)| n == name).map(|&(_, i)| i)
    }

    /// `re.search`: the first match at or after any position of `subject`.
    pub fn search_units(&self, subject: &[u32]) -> Result<Option<Spans>, String> {
        vm::search(&self.prog, self.groups, subject, false, self.step_limit)
    }

    /// `re.match`: a match that starts at the beginning of `subject`.
    pub fn match_units(&self, subject: &[u32]) -> Result<Option<Spans>, String> {
        vm::search(&self.prog, self.groups, subject, true, self.step_limit)
    }

    /// `re.search` in bytes (spans are byte offsets); the pattern must be a bytes pattern.
    pub fn search_bytes(&self, subject: &[u8]) -> Result<Option<Spans>, String> {
        self.expect(Mode::Bytes)?;
        let units: Vec<u32> = subject.iter().map(|&b| u32::from(b)).collect();
        self.search_units(&units)
    }

    /// `re.search` in text (spans count characters, as Python's do); needs a str pattern.
    pub fn search_str(&self, subject: &str) -> Result<Option<Spans>, String> {
        self.expect(Mode::Str)?;
        let units: Vec<u32> = subject.chars().map(u32::from).collect();
        self.search_units(&units)
    }

    /// `re.match` in text (spans count characters); needs a str pattern.
    pub fn match_str(&self, subject: &str) -> Result<Option<Spans>, String> {
        self.expect(Mode::Str)?;
        let units: Vec<u32> = subject.chars().map(u32::from).collect();
        self.match_units(&units)
    }

    /// Python's `Match.expand(template)` for a match of this pattern in `subject`.
    pub fn expand_units(
        &self,
        template: &[u32],
        subject: &[u32],
        spans: &Spans,
    ) -> Result<Vec<u32>, String> {
        let parsed = expand::parse(template, self)?;
        Ok(expand::apply(&parsed, subject, spans))
    }

    /// [`Regex::expand_units`] for a bytes pattern, template and subject.
    pub fn expand_bytes(
        &self,
        template: &[u8],
        subject: &[u8],
        spans: &Spans,
    ) -> Result<Vec<u8>, String> {
        self.expect(Mode::Bytes)?;
        let template: Vec<u32> = template.iter().map(|&b| u32::from(b)).collect();
        let subject: Vec<u32> = subject.iter().map(|&b| u32::from(b)).collect();
        let out = self.expand_units(&template, &subject, spans)?;
        Ok(out.into_iter().map(|u| u as u8).collect())
    }

    /// [`Regex::expand_units`] for a str pattern, template and subject (spans in characters).
    pub fn expand_str(
        &self,
        template: &str,
        subject: &str,
        spans: &Spans,
    ) -> Result<String, String> {
        self.expect(Mode::Str)?;
        let template: Vec<u32> = template.chars().map(u32::from).collect();
        let subject: Vec<u32> = subject.chars().map(u32::from).collect();
        let out = self.expand_units(&template, &subject, spans)?;
        Ok(out.into_iter().filter_map(char::from_u32).collect())
    }

    fn expect(&self, mode: Mode) -> Result<(), String> {
        if self.mode == mode {
            return Ok(());
        }
        Err(match mode {
            Mode::Bytes => "cannot use a string pattern on a bytes-like object".to_string(),
            Mode::Str => "cannot use a bytes pattern on a string-like object".to_string(),
        })
    }
}
