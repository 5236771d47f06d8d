//! Python's `Match.expand`: replacement templates with `\1`, `\g<name>` and escapes.
//!
//! Parsing follows `re._parser.parse_template` (Python 3.11), including its error messages
//! and positions: `\g<…>` names a group by number or name, `\1`..`\99` are group numbers,
//! `\0` and three octal digits are character codes, `\n \t \r \f \v \a \b \\` are escapes,
//! any other escaped ASCII letter is an error and any other escaped character stays as it
//! is (backslash included). A group that did not take part expands to nothing.

use super::{Regex, Spans};
use crate::jinja::unicode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(Vec<u32>),
    Group(usize),
}

const BACKSLASH: u32 = b'\\' as u32;

fn is_digit(c: u32) -> bool {
    (0x30..=0x39).contains(&c)
}

fn is_octal(c: u32) -> bool {
    (0x30..=0x37).contains(&c)
}

fn is_ascii_letter(c: u32) -> bool {
    c < 0x80 && (c as u8).is_ascii_alphabetic()
}

fn text(units: &[u32]) -> String {
    units.iter().filter_map(|&u| char::from_u32(u)).collect()
}

/// Python's `repr()` of a short string (for names in messages).
fn repr(s: &str) -> String {
    let mut out = String::new();
    crate::jinja::write_str_repr(&mut out, s);
    out
}

/// Python's `str.isidentifier()` (letters, digits and `_`; marks are not checked).
fn is_identifier(name: &[u32]) -> bool {
    let ch = |u: u32| char::from_u32(u).unwrap_or('\0');
    match name.split_first() {
        None => false,
        Some((&first, rest)) => {
            (first == 0x5F || unicode::is_alpha(ch(first)))
                && rest.iter().all(|&u| u == 0x5F || unicode::is_alnum(ch(u)))
        }
    }
}

/// Python's `int(name)` for a group number: `None` when it is not an integer.
fn parse_int(name: &[u32]) -> Option<(bool, u128)> {
    let ch = |u: u32| char::from_u32(u).unwrap_or('\0');
    let mut s = name;
    while let Some((&first, rest)) = s.split_first() {
        if !unicode::is_space(ch(first)) {
            break;
        }
        s = rest;
    }
    while let Some((&last, rest)) = s.split_last() {
        if !unicode::is_space(ch(last)) {
            break;
        }
        s = rest;
    }
    let mut negative = false;
    if let Some((&sign, rest)) = s.split_first() {
        if sign == 0x2B || sign == 0x2D {
            negative = sign == 0x2D;
            s = rest;
        }
    }
    if s.is_empty() {
        return None;
    }
    let mut value: u128 = 0;
    let mut previous_digit = false;
    for &u in s {
        if u == 0x5F {
            if !previous_digit {
                return None;
            }
            previous_digit = false;
            continue;
        }
        let digit = unicode::decimal_value(ch(u))?;
        value = value.saturating_mul(10).saturating_add(u128::from(digit));
        previous_digit = true;
    }
    if !previous_digit {
        return None;
    }
    Some((negative, value))
}

/// The tokenizer of Python's parser: one unit, or a backslash and the unit after it.
struct Tokens<'a> {
    s: &'a [u32],
    index: usize,
    next: Option<(u32, Option<u32>)>,
}

fn token_len(t: Option<(u32, Option<u32>)>) -> usize {
    match t {
        None => 0,
        Some((_, None)) => 1,
        Some((_, Some(_))) => 2,
    }
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u32]) -> Result<Tokens<'a>, String> {
        let mut t = Tokens {
            s,
            index: 0,
            next: None,
        };
        t.advance()?;
        Ok(t)
    }

    fn advance(&mut self) -> Result<(), String> {
        let Some(&c) = self.s.get(self.index) else {
            self.next = None;
            return Ok(());
        };
        if c == BACKSLASH {
            match self.s.get(self.index + 1) {
                Some(&d) => {
                    self.next = Some((c, Some(d)));
                    self.index += 2;
                }
                None => {
                    return Err(format!(
                        "bad escape (end of pattern) at position {}",
                        self.s.len() - 1
                    ))
                }
            }
        } else {
            self.next = Some((c, None));
            self.index += 1;
        }
        Ok(())
    }

    fn get(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let this = self.next;
        self.advance()?;
        Ok(this)
    }

    fn tell(&self) -> usize {
        self.index - token_len(self.next)
    }

    fn error(&self, msg: &str, offset: usize) -> String {
        format!("{msg} at position {}", self.tell().saturating_sub(offset))
    }

    fn next_is(&self, pred: fn(u32) -> bool) -> bool {
        matches!(self.next, Some((c, None)) if pred(c))
    }
}

/// Parses `template` for a match of `re`.
pub fn parse(template: &[u32], re: &Regex) -> Result<Vec<Piece>, String> {
    let mut s = Tokens::new(template)?;
    let mut pieces = Vec::new();
    let mut literal: Vec<u32> = Vec::new();
    let add_group = |index: u128,
                     offset: usize,
                     s: &Tokens,
                     literal: &mut Vec<u32>,
                     pieces: &mut Vec<Piece>|
     -> Result<(), String> {
        if index > re.groups() as u128 {
            return Err(s.error(&format!("invalid group reference {index}"), offset));
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(std::mem::take(literal)));
        }
        pieces.push(Piece::Group(index as usize));
        Ok(())
    };
    while let Some(this) = s.get()? {
        let (first, escaped) = this;
        let Some(c) = escaped else {
            literal.push(first);
            continue;
        };
        if c == u32::from(b'g') {
            if s.next != Some((u32::from(b'<'), None)) {
                return Err(s.error("missing <", 0));
            }
            s.get()?;
            let mut name: Vec<u32> = Vec::new();
            loop {
                let token = s.get()?;
                match token {
                    None => {
                        if name.is_empty() {
                            return Err(s.error("missing group name", 0));
                        }
                        return Err(s.error("missing >, unterminated name", name.len()));
                    }
                    Some((0x3E, None)) => {
                        if name.is_empty() {
                            return Err(s.error("missing group name", 1));
                        }
                        break;
                    }
                    Some((a, b)) => {
                        name.push(a);
                        name.extend(b);
                    }
                }
            }
            let index = if is_identifier(&name) {
                match re.group_index(&text(&name)) {
                    Some(i) => i as u128,
                    None => return Err(format!("unknown group name {}", repr(&text(&name)))),
                }
            } else {
                match parse_int(&name) {
                    Some((negative, value)) if !negative || value == 0 => value,
                    _ => {
                        return Err(s.error(
                            &format!("bad character in group name {}", repr(&text(&name))),
                            name.len() + 1,
                        ))
                    }
                }
            };
            add_group(index, name.len() + 1, &s, &mut literal, &mut pieces)?;
        } else if c == u32::from(b'0') {
            let mut value = 0u32;
            for _ in 0..2 {
                if s.next_is(is_octal) {
                    let (d, _) = s.get()?.unwrap_or((0x30, None));
                    value = value * 8 + (d - 0x30);
                }
            }
            literal.push(value & 0xFF);
        } else if is_digit(c) {
            let mut digits = vec![c];
            let mut octal = false;
            if s.next_is(is_digit) {
                let (d, _) = s.get()?.unwrap_or((0x30, None));
                digits.push(d);
                if is_octal(c) && is_octal(d) && s.next_is(is_octal) {
                    let (e, _) = s.get()?.unwrap_or((0x30, None));
                    digits.push(e);
                    octal = true;
                    let value = digits.iter().fold(0u32, |v, &x| v * 8 + (x - 0x30));
                    if value > 0o377 {
                        return Err(s.error(
                            &format!(
                                "octal escape value \\{} outside of range 0-0o377",
                                text(&digits)
                            ),
                            digits.len() + 1,
                        ));
                    }
                    literal.push(value);
                }
            }
            if !octal {
                let index = digits
                    .iter()
                    .fold(0u128, |v, &x| v * 10 + u128::from(x - 0x30));
                add_group(index, digits.len(), &s, &mut literal, &mut pieces)?;
            }
        } else {
            let escape = match c {
                0x61 => Some(0x07), // \a
                0x62 => Some(0x08), // \b
                0x66 => Some(0x0C), // \f
                0x6E => Some(0x0A), // \n
                0x72 => Some(0x0D), // \r
                0x74 => Some(0x09), // \t
                0x76 => Some(0x0B), // \v
                BACKSLASH => Some(BACKSLASH),
                _ => None,
            };
            match escape {
                Some(e) => literal.push(e),
                None if is_ascii_letter(c) => {
                    let shown: String = format!("\\{}", text(&[c]));
                    return Err(s.error(&format!("bad escape {shown}"), 2));
                }
                None => {
                    literal.push(first);
                    literal.push(c);
                }
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// The expansion of parsed `pieces` for a match with `spans` in `subject`.
pub fn apply(pieces: &[Piece], subject: &[u32], spans: &Spans) -> Vec<u32> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(units) => out.extend_from_slice(units),
            Piece::Group(g) => {
                if let Some(Some((a, b))) = spans.get(*g) {
                    out.extend_from_slice(&subject[*a..*b]);
                }
            }
        }
    }
    out
}
