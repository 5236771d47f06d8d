//! Python's `str.format()` and `format(value, spec)`.

use super::args::Args;
use super::num;
use super::ops::guard_width;
use super::pyformat::{ascii, int_digits};
use super::value::Value;
use super::EvalError;

/// Python's `template.format(*args, **kwargs)`.
pub(crate) fn format(template: &str, args: &Args) -> Result<String, EvalError> {
    let mut state = State {
        args,
        auto: None,
        next: 0,
    };
    state.render(template, 0)
}

struct State<'a> {
    args: &'a Args,
    /// `Some(true)` after an automatic field (`{}`), `Some(false)` after a numbered one.
    auto: Option<bool>,
    next: usize,
}

impl State<'_> {
    fn render(&mut self, template: &str, depth: usize) -> Result<String, EvalError> {
        if depth > 2 {
            return Err(EvalError::new("Max string recursion exceeded"));
        }
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '}' => return Err(EvalError::new("Single '}' encountered in format string")),
                '{' if chars.peek().is_none() => {
                    return Err(EvalError::new("Single '{' encountered in format string"))
                }
                '{' => {
                    let mut field = String::new();
                    let mut level = 1;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(EvalError::new("expected '}' before end of string"))
                            }
                            Some('{') => {
                                level += 1;
                                field.push('{');
                            }
                            Some('}') => {
                                level -= 1;
                                if level == 0 {
                                    break;
                                }
                                field.push('}');
                            }
                            Some(other) => field.push(other),
                        }
                    }
                    out.push_str(&self.field(&field, depth)?);
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }

    fn field(&mut self, field: &str, depth: usize) -> Result<String, EvalError> {
        // Split "name!conv:spec", ignoring ':' and '!' inside brackets of the name.
        let mut bracket = false;
        let mut split = field.len();
        for (i, c) in field.char_indices() {
            match c {
                '[' => bracket = true,
                ']' => bracket = false,
                ':' | '!' if !bracket => {
                    split = i;
                    break;
                }
                _ => {}
            }
        }
        let (name, rest) = field.split_at(split);
        let (conversion, spec) = if let Some(after) = rest.strip_prefix('!') {
            let mut it = after.chars();
            let conv = it.next();
            let remainder = it.as_str();
            match remainder.strip_prefix(':') {
                Some(spec) => (conv, spec),
                None if remainder.is_empty() => (conv, ""),
                None => return Err(EvalError::new("expected ':' after conversion specifier")),
            }
        } else {
            (None, rest.strip_prefix(':').unwrap_or(""))
        };
        let value = self.lookup(name)?;
        let value = match conversion {
            None => value,
            Some('s') => Value::from(value.to_str()?),
            Some('r') => Value::from(value.repr()?),
            Some('a') => Value::from(ascii(&value.repr()?)),
            Some(other) => {
                return Err(EvalError::new(format!(
                    "Unknown conversion specifier {other}"
                )))
            }
        };
        let spec = if spec.contains('{') {
            self.render(spec, depth + 1)?
        } else {
            spec.to_string()
        };
        format_value(&value, &spec)
    }

    fn lookup(&mut self, name: &str) -> Result<Value, EvalError> {
        let end = name.find(['.', '[']).unwrap_or(name.len());
        let (first, mut accessors) = name.split_at(end);
        let mut value = if first.is_empty() {
            if self.auto == Some(false) {
                return Err(EvalError::new(
                    "cannot switch from manual field specification to automatic field numbering",
                ));
            }
            self.auto = Some(true);
            let i = self.next;
            self.next += 1;
            self.positional(i)?
        } else if first.chars().all(|c| c.is_ascii_digit()) {
            if self.auto == Some(true) {
                return Err(EvalError::new(
                    "cannot switch from automatic field numbering to manual field specification",
                ));
            }
            self.auto = Some(false);
            let i = first
                .parse()
                .map_err(|_| EvalError::new("Too many decimal digits in format string"))?;
            self.positional(i)?
        } else {
            match self.args.kw.iter().find(|(k, _)| k.as_ref() == first) {
                Some((_, v)) => v.clone(),
                None => return Err(EvalError::new(Value::from(first).repr()?)),
            }
        };
        while !accessors.is_empty() {
            if let Some(rest) = accessors.strip_prefix('.') {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let (attr, tail) = rest.split_at(end);
                value = match &value {
                    Value::Namespace(ns) => ns.borrow().get_str(attr).cloned(),
                    _ => None,
                }
                .ok_or_else(|| {
                    EvalError::new(format!(
                        "'{}' object has no attribute '{attr}'",
                        value.type_name()
                    ))
                })?;
                accessors = tail;
            } else if let Some(rest) = accessors.strip_prefix('[') {
                let Some(close) = rest.find(']') else {
                    return Err(EvalError::new("Missing ']' in format string"));
                };
                let key = &rest[..close];
                let key_value = match key.parse::<i64>() {
                    Ok(i) if key.chars().all(|c| c.is_ascii_digit()) => Value::Int(i),
                    _ => Value::from(key),
                };
                value = subscript(&value, &key_value)?;
                accessors = &rest[close + 1..];
            } else {
                return Err(EvalError::new(
                    "Only '.' or '[' may follow ']' in format field specifier",
                ));
            }
        }
        Ok(value)
    }

    fn positional(&self, i: usize) -> Result<Value, EvalError> {
        self.args.pos.get(i).cloned().ok_or_else(|| {
            EvalError::new(format!(
                "Replacement index {i} out of range for positional args tuple"
            ))
        })
    }
}

/// Python's `value[key]` (no Jinja2 fallbacks).
fn subscript(value: &Value, key: &Value) -> Result<Value, EvalError> {
    match (value, key) {
        (Value::Dict(d), _) => d
            .get(key)?
            .cloned()
            .ok_or_else(|| EvalError::new(key.repr().unwrap_or_default())),
        (Value::Str(s), Value::Int(i)) => {
            let len = s.chars().count() as i64;
            let p = if *i < 0 { i + len } else { *i };
            usize::try_from(p)
                .ok()
                .and_then(|p| s.chars().nth(p))
                .map(|c| Value::from(c.to_string()))
                .ok_or_else(|| EvalError::new("string index out of range"))
        }
        (Value::List(items) | Value::Tuple(items), Value::Int(i)) => {
            let len = items.len() as i64;
            let p = if *i < 0 { i + len } else { *i };
            usize::try_from(p)
                .ok()
                .and_then(|p| items.get(p))
                .cloned()
                .ok_or_else(|| EvalError::new(format!("{} index out of range", value.type_name())))
        }
        _ => Err(EvalError::new(format!(
            "'{}' object is not subscriptable",
            value.type_name()
        ))),
    }
}

/// A parsed format specification.
#[derive(Debug, Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    coerce_zero: bool,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(spec: &str) -> Result<Spec, EvalError> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: Option<&char>| matches!(c, Some('<' | '>' | '=' | '^'));
    if chars.len() >= 2 && is_align(chars.get(1)) {
        s.fill = chars.first().copied();
        s.align = chars.get(1).copied();
        i = 2;
    } else if is_align(chars.first()) {
        s.align = chars.first().copied();
        i = 1;
    }
    if let Some(&c @ ('+' | '-' | ' ')) = chars.get(i) {
        s.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'z') {
        s.coerce_zero = true;
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        s.alt = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        s.zero = true;
        i += 1;
    }
    let start = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    if i > start {
        let text: String = chars[start..i].iter().collect();
        s.width = text
            .parse()
            .map_err(|_| EvalError::new("Too many decimal digits in format string"))?;
    }
    if let Some(&c @ (',' | '_')) = chars.get(i) {
        s.grouping = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let start = i;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(EvalError::new("Format specifier missing precision"));
        }
        let text: String = chars[start..i].iter().collect();
        s.precision = Some(
            text.parse()
                .map_err(|_| EvalError::new("Too many decimal digits in format string"))?,
        );
    }
    if let Some(&c) = chars.get(i) {
        s.kind = Some(c);
        i += 1;
    }
    if i < chars.len() {
        return Err(EvalError::new("Invalid format specifier"));
    }
    for n in [Some(s.width), s.precision].into_iter().flatten() {
        guard_width(i64::try_from(n).unwrap_or(i64::MAX))?;
    }
    Ok(s)
}

/// Python's `format(value, spec)`.
pub(crate) fn format_value(v: &Value, spec: &str) -> Result<String, EvalError> {
    if spec.is_empty() {
        return v.to_str();
    }
    let s = parse_spec(spec)?;
    match v {
        Value::Str(text) => format_str(text, &s),
        Value::Bool(b) => format_int(i64::from(*b), &s, v),
        Value::Int(i) => format_int(*i, &s, v),
        Value::Float(f) => format_float(*f, &s, v),
        Value::Undefined(u) => Err(u.error()),
        other => Err(EvalError::new(format!(
            "unsupported format string passed to {}.__format__",
            other.type_name()
        ))),
    }
}

fn unknown_code(kind: char, v: &Value) -> EvalError {
    EvalError::new(format!(
        "Unknown format code '{kind}' for object of type '{}'",
        v.type_name()
    ))
}

fn format_str(text: &str, s: &Spec) -> Result<String, EvalError> {
    if let Some(kind) = s.kind.filter(|&k| k != 's') {
        return Err(unknown_code(kind, &Value::from(text)));
    }
    if s.sign.is_some() {
        return Err(EvalError::new(
            "Sign not allowed in string format specifier",
        ));
    }
    if s.align == Some('=') {
        return Err(EvalError::new(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let body: String = match s.precision {
        Some(p) => text.chars().take(p).collect(),
        None => text.to_string(),
    };
    let fill = s.fill.unwrap_or(if s.zero { '0' } else { ' ' });
    Ok(align(
        String::new(),
        body,
        s.width,
        fill,
        s.align.unwrap_or('<'),
    ))
}

/// Inserts `sep` every `every` digits from the right of `digits`.
fn group(digits: &str, sep: char, every: usize) -> String {
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (chars.len() - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

fn sign_text(negative: bool, sign: Option<char>) -> &'static str {
    match (negative, sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

/// Pads `prefix + body` to `width`; `=` puts the fill between them.
fn align(prefix: String, body: String, width: usize, fill: char, how: char) -> String {
    let len = prefix.chars().count() + body.chars().count();
    if len >= width {
        return format!("{prefix}{body}");
    }
    let pad = width - len;
    let fills = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    match how {
        '<' => format!("{prefix}{body}{}", fills(pad)),
        '^' => format!("{}{prefix}{body}{}", fills(pad / 2), fills(pad - pad / 2)),
        '=' => format!("{prefix}{}{body}", fills(pad)),
        _ => format!("{}{prefix}{body}", fills(pad)),
    }
}

fn numeric_fill(s: &Spec) -> (char, char) {
    match (s.fill, s.align, s.zero) {
        (fill, Some(a), _) => (fill.unwrap_or(if s.zero { '0' } else { ' ' }), a),
        (Some(fill), None, _) => (fill, '>'),
        (None, None, true) => ('0', '='),
        (None, None, false) => (' ', '>'),
    }
}

fn format_int(i: i64, s: &Spec, v: &Value) -> Result<String, EvalError> {
    let kind = s.kind.unwrap_or('d');
    match kind {
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => return format_float(i as f64, s, v),
        'b' | 'o' | 'x' | 'X' | 'd' | 'n' => {}
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| EvalError::new("%c arg not in range(0x110000)"))?;
            let (fill, how) = numeric_fill(s);
            return Ok(align(String::new(), c.to_string(), s.width, fill, how));
        }
        other => return Err(unknown_code(other, v)),
    }
    if s.precision.is_some() {
        return Err(EvalError::new(
            "Precision not allowed in integer format specifier",
        ));
    }
    let digits = int_digits(i, if kind == 'n' { 'd' } else { kind }, false, 0);
    let digits = match s.grouping {
        Some(sep) => group(&digits, sep, if matches!(kind, 'd' | 'n') { 3 } else { 4 }),
        None => digits,
    };
    let radix_prefix = match (s.alt, kind) {
        (true, 'b') => "0b",
        (true, 'o') => "0o",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let prefix = format!("{}{radix_prefix}", sign_text(i < 0, s.sign));
    let (fill, how) = numeric_fill(s);
    Ok(align(prefix, digits, s.width, fill, how))
}

fn format_float(f: f64, s: &Spec, v: &Value) -> Result<String, EvalError> {
    let kind = s.kind;
    let magnitude = f.abs();
    let upper = kind.is_some_and(|k| k.is_ascii_uppercase());
    let mut body = match kind {
        Some('e' | 'E') => num::fmt_exp(magnitude, s.precision.unwrap_or(6), upper),
        Some('f' | 'F') => num::fmt_fixed(magnitude, s.precision.unwrap_or(6), upper),
        Some('g' | 'G' | 'n') => {
            num::fmt_general(magnitude, s.precision.unwrap_or(6), s.alt, upper)
        }
        Some('%') => format!(
            "{}%",
            num::fmt_fixed(magnitude * 100.0, s.precision.unwrap_or(6), false)
        ),
        None => match s.precision {
            None => num::float_repr(magnitude),
            Some(p) => repr_like(magnitude, p),
        },
        Some(other) => return Err(unknown_code(other, v)),
    };
    if let Some(sep) = s.grouping {
        if magnitude.is_finite() {
            let end = body
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(body.len());
            let (int_part, rest) = body.split_at(end);
            body = format!("{}{rest}", group(int_part, sep, 3));
        }
    }
    let mut negative = f.is_sign_negative() && !f.is_nan();
    if s.coerce_zero
        && negative
        && body
            .chars()
            .all(|c| matches!(c, '0' | '.' | '%' | 'e' | '+' | '-'))
    {
        negative = false;
    }
    let prefix = sign_text(negative, s.sign).to_string();
    let (fill, how) = if magnitude.is_finite() {
        numeric_fill(s)
    } else {
        (s.fill.unwrap_or(' '), s.align.unwrap_or('>'))
    };
    Ok(align(prefix, body, s.width, fill, how))
}

/// `format(f, '.{p}')`: like `g`, but a fixed-point result keeps one decimal and the switch to
/// exponent notation happens at `exp >= p - 1`.
fn repr_like(f: f64, p: usize) -> String {
    if !f.is_finite() {
        return num::float_repr(f);
    }
    let p = p.max(1);
    let rounded = format!("{f:.*e}", p - 1);
    let exp: i64 = rounded
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if -4 <= exp && exp < p as i64 - 1 {
        let decimals = (p as i64 - 1 - exp).max(0) as usize;
        let text = format!("{f:.decimals$}");
        let trimmed = text.trim_end_matches('0');
        if trimmed.ends_with('.') {
            format!("{trimmed}0")
        } else {
            trimmed.to_string()
        }
    } else {
        num::fmt_general(f, p, false, false)
    }
}
