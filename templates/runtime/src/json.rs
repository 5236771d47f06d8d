//! A small JSON value type with a strict parser and three serializers.
//!
//! Objects keep insertion order (`Vec<(String, Value)>`); a lookup returns the
//! last occurrence of a duplicated key. Integers that fit into `i64` stay
//! integers, every other number becomes an `f64`.

use std::fmt;
use std::fmt::Write as _;

/// Maximum nesting depth of arrays/objects accepted by the parser.
pub const MAX_DEPTH: usize = 256;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Builds an object from `(key, value)` pairs, keeping their order.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

impl Value {
    /// Convenience constructor for a string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Member of an object (last one wins for duplicated keys).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Human name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Compact JSON without any whitespace: `{"a":[1,2]}`.
    pub fn to_compact(&self) -> String {
        self.render(Style::Compact)
    }

    /// One-line JSON with Python's default separators: `{"a": [1, 2]}`.
    pub fn to_spaced(&self) -> String {
        self.render(Style::Spaced)
    }

    /// Multi-line JSON indented by `indent` spaces per level.
    pub fn to_pretty(&self, indent: usize) -> String {
        self.render(Style::Pretty(indent))
    }

    /// A string as is; anything else as compact JSON text.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            other => other.to_compact(),
        }
    }

    fn render(&self, style: Style) -> String {
        let mut out = String::new();
        write_value(&mut out, self, style, 0);
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Compact,
    Spaced,
    Pretty(usize),
}

fn write_value(out: &mut String, value: &Value, style: Style, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, *f),
        Value::Str(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, style, i);
                newline(out, style, level + 1);
                write_value(out, item, style, level + 1);
            }
            newline(out, style, level);
            out.push(']');
        }
        Value::Object(members) => {
            if members.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                separator(out, style, i);
                newline(out, style, level + 1);
                write_string(out, key);
                out.push_str(if style == Style::Compact { ":" } else { ": " });
                write_value(out, item, style, level + 1);
            }
            newline(out, style, level);
            out.push('}');
        }
    }
}

fn separator(out: &mut String, style: Style, index: usize) {
    if index > 0 {
        out.push(',');
        if style == Style::Spaced {
            out.push(' ');
        }
    }
}

fn newline(out: &mut String, style: Style, level: usize) {
    if let Style::Pretty(indent) = style {
        out.push('\n');
        for _ in 0..indent.saturating_mul(level) {
            out.push(' ');
        }
    }
}

fn write_float(out: &mut String, f: f64) {
    if f.is_finite() {
        // Debug formatting is the shortest round-trip form and uses an
        // exponent for very large/small magnitudes ("1e300"), all valid JSON.
        let _ = write!(out, "{f:?}");
    } else {
        out.push_str("null");
    }
}

/// Writes `s` as a JSON string literal (UTF-8 kept as is).
pub fn write_string(out: &mut String, s: &str) {
    write_string_with(out, s, false);
}

/// Writes `s` as a JSON string literal; with `ascii_only`, every character above
/// `~` becomes `\uXXXX` (UTF-16 units), as Python's `json.dumps(ensure_ascii=True)` writes it.
pub fn write_string_with(out: &mut String, s: &str, ascii_only: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ascii_only && (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_compact())
    }
}

/// A parse failure with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses UTF-8 bytes holding exactly one JSON document.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let (line, column) = position(bytes, e.valid_up_to());
            Err(ParseError {
                message: "invalid UTF-8".to_string(),
                line,
                column,
            })
        }
    }
}

/// Parses a text holding exactly one JSON document.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
    };
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("trailing characters after JSON value"));
    }
    Ok(value)
}

/// 1-based line and column (in characters) of byte offset `pos`.
fn position(bytes: &[u8], pos: usize) -> (usize, usize) {
    let head = bytes.get(..pos).unwrap_or(bytes);
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = head
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, column)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        let (line, column) = position(self.bytes, self.pos);
        ParseError {
            message: message.into(),
            line,
            column,
        }
    }

    fn unexpected(&self) -> ParseError {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => self.error(format!("unexpected character {c:?}")),
            None => self.error("unexpected end of input"),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected())
        }
    }

    fn enter(&self, depth: usize) -> Result<usize, ParseError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(depth + 1)
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("unexpected end of input in array")),
                Some(_) => return Err(self.error("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("unexpected end of input in object")),
                Some(_) => return Err(self.error("expected a string key in object")),
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                None => return Err(self.error("unexpected end of input in object")),
                Some(_) => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Both ends sit next to ASCII bytes, so they are char boundaries.
            match self.text.get(start..self.pos) {
                Some(chunk) => out.push_str(chunk),
                None => return Err(self.error("invalid string contents")),
            }
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("unescaped control character in string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.pos += 1;
                return self.unicode_escape(out);
            }
            _ => return Err(self.error("invalid escape sequence")),
        };
        self.pos += 1;
        out.push(decoded);
        Ok(())
    }

    /// Decodes the hex digits after `\u`, joining surrogate pairs; a lone
    /// surrogate becomes U+FFFD.
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            if rest.starts_with(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    return Ok(());
                }
                self.pos = save;
            }
            out.push('\u{FFFD}');
            return Ok(());
        }
        out.push(char::from_u32(first).unwrap_or('\u{FFFD}'));
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0u32;
        for _ in 0..4 {
            match self.peek().and_then(|b| (b as char).to_digit(16)) {
                Some(digit) => {
                    code = code * 16 + digit;
                    self.pos += 1;
                }
                None => return Err(self.error("invalid \\u escape")),
            }
        }
        Ok(code)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn require_digit(&self, what: &str) -> Result<(), ParseError> {
        match self.peek() {
            Some(b'0'..=b'9') => Ok(()),
            _ => Err(self.error(format!("invalid number: expected a digit {what}"))),
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        self.require_digit("after '-'")?;
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits();
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            self.require_digit("after '.'")?;
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.require_digit("in exponent")?;
            self.digits();
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        if integral {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        match text.parse::<f64>() {
            Ok(f) => Ok(Value::Float(f)),
            Err(_) => Err(self.error("invalid number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &Value) {
        assert_eq!(&parse(&v.to_compact()).unwrap(), v);
        assert_eq!(&parse(&v.to_spaced()).unwrap(), v);
        assert_eq!(&parse(&v.to_pretty(2)).unwrap(), v);
        assert_eq!(&parse(&v.to_pretty(4)).unwrap(), v);
    }

    #[test]
    fn parses_scalars_and_keeps_integer_kinds() {
        assert_eq!(parse("null").unwrap(), Value::Null);
        assert_eq!(parse(" true ").unwrap(), Value::Bool(true));
        assert_eq!(parse("false").unwrap(), Value::Bool(false));
        assert_eq!(parse("42").unwrap(), Value::Int(42));
        assert_eq!(parse("-7").unwrap(), Value::Int(-7));
        assert_eq!(parse("1.5").unwrap(), Value::Float(1.5));
        assert_eq!(parse("2e3").unwrap(), Value::Float(2000.0));
        assert_eq!(parse("-0.25E-2").unwrap(), Value::Float(-0.0025));
        assert_eq!(parse("9223372036854775807").unwrap(), Value::Int(i64::MAX));
        // Too big for i64: falls back to a float.
        assert_eq!(
            parse("9223372036854775808").unwrap(),
            Value::Float(9_223_372_036_854_775_808.0)
        );
    }

    #[test]
    fn objects_keep_insertion_order_and_last_duplicate_wins() {
        let v = parse(r#"{"z": 1, "a": 2, "m": {"y": [], "b": {}}, "a": 3}"#).unwrap();
        let keys: Vec<&str> = v
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["z", "a", "m", "a"]);
        assert_eq!(v.get("a"), Some(&Value::Int(3)));
        assert_eq!(v.to_compact(), r#"{"z":1,"a":2,"m":{"y":[],"b":{}},"a":3}"#);
    }

    #[test]
    fn escapes_round_trip() {
        let tricky = "quote \" backslash \\ raw \"# close }} nul \u{0} tab \t nl \n cr \r \
                      bell \u{7} del \u{7f} rtl \u{200F} emoji \u{1F600} é 中";
        let v = obj([("s", Value::str(tricky)), ("k\"}}", Value::Int(1))]);
        let text = v.to_compact();
        assert!(text.contains(r##"quote \" backslash \\ raw \"# close }}"##));
        assert!(text.contains(r"nul \u0000 tab \t nl \n cr \r bell \u0007"));
        assert!(text.contains("rtl \u{200F} emoji \u{1F600}"));
        assert!(!text.contains('\n'));
        round_trip(&v);
    }

    #[test]
    fn decodes_unicode_escapes_and_surrogate_pairs() {
        assert_eq!(
            parse(r#""\u00e9\u200F\ud83d\ude00\/\b\f""#).unwrap(),
            Value::str("é\u{200F}\u{1F600}/\u{8}\u{c}")
        );
        assert_eq!(parse(r#""\u0000""#).unwrap(), Value::str("\u{0}"));
        // Lone surrogates are replaced, never a panic.
        assert_eq!(parse(r#""\ud800x""#).unwrap(), Value::str("\u{FFFD}x"));
        assert_eq!(parse(r#""\udc00""#).unwrap(), Value::str("\u{FFFD}"));
        assert_eq!(parse(r#""\ud800\u0041""#).unwrap(), Value::str("\u{FFFD}A"));
    }

    #[test]
    fn numbers_round_trip() {
        let v = Value::Array(vec![
            Value::Int(0),
            Value::Int(i64::MIN),
            Value::Float(0.1),
            Value::Float(1e300),
            Value::Float(-2.5e-8),
            Value::Float(3.0),
        ]);
        round_trip(&v);
        assert_eq!(Value::Float(3.0).to_compact(), "3.0");
        assert_eq!(Value::Float(f64::NAN).to_compact(), "null");
        assert_eq!(parse("1e999").unwrap(), Value::Float(f64::INFINITY));
    }

    #[test]
    fn pretty_and_spaced_layouts() {
        let v = parse(r#"{"msg": ["a", {"b": null}], "e": [], "o": {}}"#).unwrap();
        assert_eq!(
            v.to_pretty(4),
            "{\n    \"msg\": [\n        \"a\",\n        {\n            \"b\": null\n        }\n    ],\n    \"e\": [],\n    \"o\": {}\n}"
        );
        assert_eq!(
            v.to_spaced(),
            r#"{"msg": ["a", {"b": null}], "e": [], "o": {}}"#
        );
        assert_eq!(Value::str("x").to_pretty(2), "\"x\"");
    }

    #[test]
    fn rejects_malformed_documents() {
        let cases = [
            ("", "unexpected end of input"),
            ("   ", "unexpected end of input"),
            ("{} x", "trailing characters"),
            ("[1] [2]", "trailing characters"),
            ("[1,]", "unexpected character ']'"),
            ("{\"a\":1,}", "expected a string key"),
            ("{\"a\" 1}", "expected ':'"),
            ("{a:1}", "expected a string key"),
            ("[1 2]", "expected ',' or ']'"),
            ("\"abc", "unterminated string"),
            ("\"a\nb\"", "unescaped control character"),
            ("\"\\x\"", "invalid escape"),
            ("\"\\u12G4\"", "invalid \\u escape"),
            ("01", "trailing characters"),
            ("-", "expected a digit"),
            ("1.", "expected a digit"),
            ("1e+", "expected a digit"),
            ("tru", "unexpected character 't'"),
            ("nul", "unexpected character 'n'"),
            ("'a'", "unexpected character '\\''"),
            ("NaN", "unexpected character 'N'"),
            ("[", "unexpected end of input"),
            ("{\"a\":", "unexpected end of input"),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text);
            assert!(
                err.message.contains(expected),
                "{text:?}: got {:?}, wanted {expected:?}",
                err.message
            );
        }
    }

    #[test]
    fn reports_error_position() {
        let err = parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((err.line, err.column), (2, 8));
        assert_eq!(
            err.to_string(),
            "unexpected character 't' at line 2 column 8"
        );
    }

    #[test]
    fn rejects_invalid_utf8_bytes() {
        let err = parse_bytes(b"[\"\xff\"]").unwrap_err();
        assert_eq!(err.message, "invalid UTF-8");
        assert_eq!(
            parse_bytes(b"[1]").unwrap(),
            Value::Array(vec![Value::Int(1)])
        );
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).unwrap_err().message.contains("nesting deeper"));
        let huge = "{\"a\":".repeat(100_000);
        assert!(parse(&huge).unwrap_err().message.contains("nesting deeper"));
    }

    #[test]
    fn accepts_leading_bom() {
        assert_eq!(parse("\u{feff}{}").unwrap(), Value::Object(vec![]));
    }

    #[test]
    fn to_text_keeps_strings_raw() {
        assert_eq!(Value::str("a\"b").to_text(), "a\"b");
        assert_eq!(obj([("k", Value::Int(1))]).to_text(), r#"{"k":1}"#);
    }
}
