//! Python's printf-style formatting: `"%s-%05.2f" % (a, b)` and the `format` filter.

use super::num;
use super::value::{Dict, Value};
use super::EvalError;

/// The arguments of a `%` format: a tuple's items, one value, or a mapping.
enum FormatArgs<'a> {
    Many(&'a [Value]),
    One(&'a Value),
}

/// Python's `format % args`.
pub(crate) fn percent_format(format: &str, args: &Value) -> Result<Value, EvalError> {
    let mapping = match args {
        Value::Dict(d) => Some(d.as_ref()),
        _ => None,
    };
    // Python skips the "not all arguments converted" check for any argument with
    // `__getitem__` other than a tuple or str (so `'x' % [1]` is 'x').
    let subscriptable = matches!(args, Value::Dict(_) | Value::List(_));
    let positional = match args {
        Value::Tuple(items) => FormatArgs::Many(items),
        other => FormatArgs::One(other),
    };
    format_with(format, positional, mapping, subscriptable).map(Value::from)
}

struct Cursor<'a> {
    args: FormatArgs<'a>,
    next: usize,
}

impl Cursor<'_> {
    fn take(&mut self) -> Result<Value, EvalError> {
        let found = match &self.args {
            FormatArgs::Many(items) => items.get(self.next).cloned(),
            FormatArgs::One(v) if self.next == 0 => Some((*v).clone()),
            FormatArgs::One(_) => None,
        };
        self.next += 1;
        found.ok_or_else(|| EvalError::new("not enough arguments for format string"))
    }

    fn all_used(&self) -> bool {
        match &self.args {
            FormatArgs::Many(items) => self.next >= items.len(),
            FormatArgs::One(_) => self.next >= 1,
        }
    }
}

/// A conversion's flags, width and precision.
#[derive(Default, Clone, Copy)]
pub(crate) struct Flags {
    pub(crate) left: bool,
    pub(crate) zero: bool,
    pub(crate) plus: bool,
    pub(crate) space: bool,
    pub(crate) alt: bool,
    pub(crate) width: usize,
    pub(crate) precision: Option<usize>,
}

fn format_with(
    format: &str,
    args: FormatArgs<'_>,
    mapping: Option<&Dict>,
    subscriptable: bool,
) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut cursor = Cursor { args, next: 0 };
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        // %(key)
        let mut value: Option<Value> = None;
        if chars.get(i) == Some(&'(') {
            let Some(map) = mapping else {
                return Err(EvalError::new("format requires a mapping"));
            };
            let mut depth = 1;
            let start = i + 1;
            i += 1;
            while i < chars.len() && depth > 0 {
                match chars[i] {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(EvalError::new("incomplete format key"));
            }
            let key: String = chars[start..i - 1].iter().collect();
            let Some(found) = map.get_str(&key) else {
                return Err(EvalError::new(Value::from(key.as_str()).repr()?));
            };
            value = Some(found.clone());
        }
        let mut flags = Flags::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => flags.left = true,
                '0' => flags.zero = true,
                '+' => flags.plus = true,
                ' ' => flags.space = true,
                '#' => flags.alt = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            i += 1;
            let w = super::args::to_index(&cursor.take()?)
                .map_err(|_| EvalError::new("* wants int"))?;
            if w < 0 {
                flags.left = true;
            }
            flags.width = usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX);
        } else {
            flags.width = read_number(&chars, &mut i)?.unwrap_or(0);
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                i += 1;
                let p = super::args::to_index(&cursor.take()?)
                    .map_err(|_| EvalError::new("* wants int"))?;
                flags.precision = Some(usize::try_from(p.max(0)).unwrap_or(0));
            } else {
                flags.precision = Some(read_number(&chars, &mut i)?.unwrap_or(0));
            }
        }
        for n in [Some(flags.width), flags.precision].into_iter().flatten() {
            super::ops::guard_width(i64::try_from(n).unwrap_or(i64::MAX))?;
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&kind) = chars.get(i) else {
            return Err(EvalError::new("incomplete format"));
        };
        i += 1;
        if kind == '%' {
            out.push('%');
            continue;
        }
        let value = match value {
            Some(v) => v,
            None => cursor.take()?,
        };
        out.push_str(&convert(kind, &value, flags, i - 1)?);
    }
    if !cursor.all_used() && !subscriptable {
        return Err(EvalError::new(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

fn read_number(chars: &[char], i: &mut usize) -> Result<Option<usize>, EvalError> {
    let start = *i;
    while chars.get(*i).is_some_and(char::is_ascii_digit) {
        *i += 1;
    }
    if start == *i {
        return Ok(None);
    }
    let text: String = chars[start..*i].iter().collect();
    text.parse()
        .map(Some)
        .map_err(|_| EvalError::new("width too big"))
}

/// Pads `body` (already signed) to the flags' width.
fn pad(body: String, flags: Flags, numeric: bool) -> String {
    let len = body.chars().count();
    if len >= flags.width {
        return body;
    }
    let fill = flags.width - len;
    if flags.left {
        format!("{body}{}", " ".repeat(fill))
    } else if flags.zero && numeric {
        // Zeros go after the sign and any 0x prefix.
        let sign_len = body
            .chars()
            .take_while(|c| matches!(c, '+' | '-' | ' '))
            .count();
        let prefix_len = match body.get(sign_len..sign_len + 2) {
            Some("0x" | "0X" | "0o") => 2,
            _ => 0,
        };
        let (head, tail) = body.split_at(sign_len + prefix_len);
        format!("{head}{}{tail}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn sign(negative: bool, flags: Flags) -> &'static str {
    if negative {
        "-"
    } else if flags.plus {
        "+"
    } else if flags.space {
        " "
    } else {
        ""
    }
}

/// The int a `%d`-style conversion formats (floats are truncated).
fn integer_for(kind: char, v: &Value) -> Result<i64, EvalError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Float(f) if matches!(kind, 'd' | 'i' | 'u') => num::float_to_int(*f),
        Value::Undefined(u) => Err(u.error()),
        other if matches!(kind, 'd' | 'i' | 'u') => Err(EvalError::new(format!(
            "%{kind} format: a real number is required, not {}",
            other.type_name()
        ))),
        other => Err(EvalError::new(format!(
            "%{kind} format: an integer is required, not {}",
            other.type_name()
        ))),
    }
}

fn float_for(v: &Value) -> Result<f64, EvalError> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Float(f) => Ok(*f),
        Value::Undefined(u) => Err(u.error()),
        other => Err(EvalError::new(format!(
            "must be real number, not {}",
            other.type_name()
        ))),
    }
}

/// Digits of `i` in `radix` with `%x`-style alternate prefix and minimum digit count.
pub(crate) fn int_digits(i: i64, kind: char, alt: bool, min_digits: usize) -> String {
    let magnitude = i.unsigned_abs();
    let (digits, prefix) = match kind {
        'x' => (format!("{magnitude:x}"), "0x"),
        'X' => (format!("{magnitude:X}"), "0X"),
        'o' => (format!("{magnitude:o}"), "0o"),
        'b' => (format!("{magnitude:b}"), "0b"),
        _ => (magnitude.to_string(), ""),
    };
    let zeros = "0".repeat(min_digits.saturating_sub(digits.len()));
    let prefix = if alt { prefix } else { "" };
    format!("{prefix}{zeros}{digits}")
}

/// `%d` of a float: `int(f)`, whose exact digits are written even beyond 64 bits.
fn float_as_int(f: f64, flags: Flags) -> Result<String, EvalError> {
    if f.is_nan() {
        return Err(EvalError::new("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(EvalError::new("cannot convert float infinity to integer"));
    }
    let whole = f.trunc();
    let digits = format!("{:.0}", whole.abs());
    let zeros = "0".repeat(flags.precision.unwrap_or(0).saturating_sub(digits.len()));
    Ok(pad(
        format!("{}{zeros}{digits}", sign(whole < 0.0, flags)),
        flags,
        true,
    ))
}

fn convert(kind: char, v: &Value, flags: Flags, at: usize) -> Result<String, EvalError> {
    if let (Value::Float(f), 'd' | 'i' | 'u') = (v, kind) {
        return float_as_int(*f, flags);
    }
    Ok(match kind {
        's' | 'r' | 'a' => {
            let mut text = match kind {
                's' => v.to_str()?,
                'r' => v.repr()?,
                _ => ascii(&v.repr()?),
            };
            if let Some(p) = flags.precision {
                text = text.chars().take(p).collect();
            }
            pad(
                text,
                Flags {
                    zero: false,
                    ..flags
                },
                false,
            )
        }
        'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
            let i = integer_for(kind, v)?;
            let body = int_digits(i, kind, flags.alt, flags.precision.unwrap_or(0));
            pad(format!("{}{body}", sign(i < 0, flags)), flags, true)
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let f = float_for(v)?;
            let precision = flags.precision.unwrap_or(6);
            let upper = kind.is_ascii_uppercase();
            let mut body = match kind.to_ascii_lowercase() {
                'e' => num::fmt_exp(f.abs(), precision, upper),
                'f' => num::fmt_fixed(f.abs(), precision, upper),
                _ => num::fmt_general(f.abs(), precision, flags.alt, upper),
            };
            if flags.alt && precision == 0 && f.is_finite() && !body.contains('.') {
                body = match body.find(['e', 'E']) {
                    Some(pos) => format!("{}.{}", &body[..pos], &body[pos..]),
                    None => format!("{body}."),
                };
            }
            let negative = f.is_sign_negative() && !f.is_nan();
            let numeric = f.is_finite();
            pad(format!("{}{body}", sign(negative, flags)), flags, numeric)
        }
        'c' => {
            let c = match v {
                Value::Str(s) if s.chars().count() == 1 => s.to_string(),
                Value::Int(i) => u32::try_from(*i)
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .ok_or_else(|| EvalError::new("%c arg not in range(0x110000)"))?,
                _ => return Err(EvalError::new("%c requires int or char")),
            };
            pad(
                c,
                Flags {
                    zero: false,
                    ..flags
                },
                false,
            )
        }
        other => {
            return Err(EvalError::new(format!(
                "unsupported format character '{other}' (0x{:x}) at index {at}",
                other as u32
            )))
        }
    })
}

/// Python's `ascii()` on top of a `repr()`: non-ASCII characters escaped.
pub(crate) fn ascii(repr: &str) -> String {
    let mut out = String::with_capacity(repr.len());
    for c in repr.chars() {
        let cp = c as u32;
        if c.is_ascii() {
            out.push(c);
        } else if cp <= 0xff {
            out.push_str(&format!("\\x{cp:02x}"));
        } else if cp <= 0xffff {
            out.push_str(&format!("\\u{cp:04x}"));
        } else {
            out.push_str(&format!("\\U{cp:08x}"));
        }
    }
    out
}
