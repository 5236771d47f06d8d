//! Python number semantics: float text (`repr`, `%f`, `%e`, `%g`), `round()`, `int()`/`float()`
//! parsing, correctly rounded int division and exact int/float comparison.

use std::cmp::Ordering;

use super::unicode;
use super::EvalError;

/// Splits a finite, non-zero `f`'s shortest round-trip form into its digits and the decimal
/// exponent of the first digit (`1234.5` → `("12345", 3)`).
fn shortest_digits(f: f64) -> (String, i32) {
    let text = format!("{:e}", f.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Python's `repr(float)` (`1.0`, `0.30000000000000004`, `1e+20`, `1.5e-05`, `inf`, `nan`).
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = shortest_digits(f);
    let decpt = exp + 1; // value = 0.DIGITS * 10^decpt
    if !(-4 < decpt && decpt <= 16) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        return format!("{sign}{first}{dot}{rest}{}", exp_suffix('e', exp));
    }
    let len = digits.len() as i32;
    if decpt <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= len {
        format!("{sign}{digits}{}.0", "0".repeat((decpt - len) as usize))
    } else {
        let (int_part, frac) = digits.split_at(decpt as usize);
        format!("{sign}{int_part}.{frac}")
    }
}

/// `e+05`-style exponent text (at least two digits, always signed).
fn exp_suffix(e: char, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{e}{sign}{:02}", exp.unsigned_abs())
}

/// Text for infinities and NaN in `%`/`format` output.
fn non_finite(f: f64, upper: bool) -> String {
    let text = if f.is_nan() {
        "nan"
    } else if f > 0.0 {
        "inf"
    } else {
        "-inf"
    };
    if upper {
        text.to_uppercase()
    } else {
        text.to_string()
    }
}

/// Python's `'%.{prec}f' % f` (correctly rounded, ties to even on the exact binary value).
pub(crate) fn fmt_fixed(f: f64, prec: usize, upper: bool) -> String {
    if !f.is_finite() {
        return non_finite(f, upper);
    }
    format!("{f:.prec$}")
}

/// Python's `'%.{prec}e' % f`.
pub(crate) fn fmt_exp(f: f64, prec: usize, upper: bool) -> String {
    if !f.is_finite() {
        return non_finite(f, upper);
    }
    let text = format!("{f:.prec$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let exp: i32 = exponent.parse().unwrap_or(0);
    format!(
        "{mantissa}{}",
        exp_suffix(if upper { 'E' } else { 'e' }, exp)
    )
}

/// Python's `'%.{prec}g' % f` (`alt` is the `#` flag: keep trailing zeros).
pub(crate) fn fmt_general(f: f64, prec: usize, alt: bool, upper: bool) -> String {
    if !f.is_finite() {
        return non_finite(f, upper);
    }
    let prec = prec.max(1);
    // The exponent after rounding to `prec` significant digits decides the layout.
    let rounded = format!("{f:.*e}", prec - 1);
    let exp: i64 = rounded
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let text = if -4 <= exp && exp < prec as i64 {
        let decimals = (prec as i64 - 1 - exp).max(0) as usize;
        format!("{f:.decimals$}")
    } else {
        fmt_exp(f, prec - 1, upper)
    };
    if alt {
        if text.contains('.') {
            text
        } else {
            match text.find(['e', 'E']) {
                Some(pos) => format!("{}.{}", &text[..pos], &text[pos..]),
                None => format!("{text}."),
            }
        }
    } else {
        strip_fraction_zeros(&text)
    }
}

/// Removes trailing zeros of the fraction (and a bare dot) before any exponent.
fn strip_fraction_zeros(text: &str) -> String {
    let (body, exp) = match text.find(['e', 'E']) {
        Some(pos) => text.split_at(pos),
        None => (text, ""),
    };
    if !body.contains('.') {
        return text.to_string();
    }
    let body = body.trim_end_matches('0').trim_end_matches('.');
    format!("{body}{exp}")
}

/// Python's `round(f, ndigits)` for a float.
pub(crate) fn round_float(f: f64, ndigits: i64) -> f64 {
    if !f.is_finite() || f == 0.0 {
        return f;
    }
    if ndigits > 330 {
        return f;
    }
    if ndigits < -330 {
        return 0.0 * f;
    }
    if ndigits >= 0 {
        let text = format!("{f:.*}", ndigits as usize);
        return text.parse().unwrap_or(f);
    }
    // Round the exact integer digits at 10^(-ndigits), half to even.
    let places = (-ndigits) as usize;
    let whole = format!("{:.0}", f.abs().trunc());
    let sticky = f.fract() != 0.0;
    if whole.len() < places {
        // |f| < 10^places / 10 rounds to zero.
        return 0.0f64.copysign(f);
    }
    let split = whole.len() - places;
    let (head, tail) = whole.split_at(split);
    let mut head_digits: Vec<u8> = head.bytes().map(|b| b - b'0').collect();
    let first_tail = tail.as_bytes().first().map_or(0, |b| b - b'0');
    let rest_nonzero = tail.bytes().skip(1).any(|b| b != b'0') || sticky;
    let last_odd = head_digits.last().is_some_and(|d| d % 2 == 1);
    let round_up = first_tail > 5 || (first_tail == 5 && (rest_nonzero || last_odd));
    if round_up {
        let mut carry = true;
        for digit in head_digits.iter_mut().rev() {
            if *digit == 9 {
                *digit = 0;
            } else {
                *digit += 1;
                carry = false;
                break;
            }
        }
        if carry {
            head_digits.insert(0, 1);
        }
    }
    let mut text: String = head_digits.iter().map(|d| char::from(b'0' + d)).collect();
    if text.is_empty() {
        text.push('0');
    }
    text.push_str(&"0".repeat(places));
    let magnitude: f64 = text.parse().unwrap_or(0.0);
    magnitude.copysign(f)
}

/// Python's `round(i, ndigits)` for an int (an int again).
pub(crate) fn round_int(i: i64, ndigits: i64) -> Result<i64, EvalError> {
    if ndigits >= 0 {
        return Ok(i);
    }
    if ndigits < -19 {
        return Ok(0);
    }
    let pow = 10i128.pow((-ndigits) as u32);
    let value = i128::from(i);
    let floor = value.div_euclid(pow) * pow;
    let rem = value - floor;
    let twice = rem * 2;
    let rounded = if twice > pow || (twice == pow && (floor / pow) % 2 != 0) {
        floor + pow
    } else {
        floor
    };
    i64::try_from(rounded).map_err(|_| overflow())
}

/// The error for an integer result outside 64 bits.
pub(crate) fn overflow() -> EvalError {
    EvalError::new("integer overflow: the result does not fit in 64 bits")
}

/// Python's `int(f)` (truncation) for a float.
pub(crate) fn float_to_int(f: f64) -> Result<i64, EvalError> {
    if f.is_nan() {
        return Err(EvalError::new("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(EvalError::new("cannot convert float infinity to integer"));
    }
    let t = f.trunc();
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        Ok(t as i64)
    } else {
        Err(overflow())
    }
}

/// Python's `int(text, base)` (`base` 0 or 2..=36). `Ok(None)` is Python's `ValueError`; an
/// error is a valid literal that does not fit in 64 bits.
pub(crate) fn parse_int(text: &str, base: u32) -> Result<Option<i64>, EvalError> {
    let s = text.trim_matches(unicode::is_space);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = s.get(..2).map(str::to_ascii_lowercase);
    let prefix_base = match lower.as_deref() {
        Some("0x") => 16,
        Some("0o") => 8,
        Some("0b") => 2,
        _ => 0,
    };
    let (base, digits, had_prefix) = if prefix_base != 0 && (base == 0 || base == prefix_base) {
        (prefix_base, &s[2..], true)
    } else if base == 0 {
        // A decimal literal in base 0 may not start with 0 unless it is all zeros.
        if s.starts_with('0') && s.chars().any(|c| c != '0' && c != '_') {
            return Ok(None);
        }
        (10, s, false)
    } else {
        (base, s, false)
    };
    let mut value: i128 = 0;
    let mut count = 0usize;
    // "0x_1f" is valid, "_1", "1__0" and "1_" are not.
    let mut previous_underscore = false;
    for (i, c) in digits.chars().enumerate() {
        if c == '_' {
            if (i == 0 && !had_prefix) || previous_underscore {
                return Ok(None);
            }
            previous_underscore = true;
            continue;
        }
        previous_underscore = false;
        let digit = if c.is_ascii_alphanumeric() {
            c.to_digit(36)
        } else {
            unicode::decimal_value(c)
        };
        match digit {
            Some(d) if d < base => {
                count += 1;
                value = (value * i128::from(base) + i128::from(d)).min(i128::from(u64::MAX) + 1);
            }
            _ => return Ok(None),
        }
    }
    if count == 0 || previous_underscore {
        return Ok(None);
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map(Some).map_err(|_| overflow())
}

/// Python's `float(text)`; `None` is Python's `ValueError`.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let s: String = text
        .trim_matches(unicode::is_space)
        .chars()
        .map(|c| match unicode::decimal_value(c) {
            Some(d) if !c.is_ascii() => char::from(b'0' + d as u8),
            _ => c,
        })
        .collect();
    let s = s.as_str();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse().ok();
    }
    // Digits, one optional dot, an optional exponent; underscores only between digits.
    let bytes = body.as_bytes();
    let mut clean = String::with_capacity(s.len());
    if s.starts_with('-') {
        clean.push('-');
    }
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let mut exp_digits = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                if seen_exp {
                    exp_digits = true;
                } else {
                    seen_digit = true;
                }
                clean.push(char::from(b));
            }
            b'_' => {
                let prev = i.checked_sub(1).and_then(|j| bytes.get(j));
                let next = bytes.get(i + 1);
                if !prev.is_some_and(u8::is_ascii_digit) || !next.is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'.' if !seen_dot && !seen_exp => {
                seen_dot = true;
                clean.push('.');
            }
            b'e' | b'E' if seen_digit && !seen_exp => {
                seen_exp = true;
                clean.push('e');
                if let Some(sign @ (b'+' | b'-')) = bytes.get(i + 1) {
                    clean.push(char::from(*sign));
                }
            }
            b'+' | b'-'
                if seen_exp && matches!(bytes.get(i.wrapping_sub(1)), Some(b'e' | b'E')) => {}
            _ => return None,
        }
    }
    if !seen_digit || (seen_exp && !exp_digits) {
        return None;
    }
    clean.parse().ok()
}

/// Python's `a / b` for two ints (`b != 0`), correctly rounded.
pub(crate) fn int_true_div(a: i64, b: i64) -> f64 {
    const EXACT: u128 = 1 << 53;
    let negative = (a < 0) != (b < 0);
    let x = u128::from(a.unsigned_abs());
    let y = u128::from(b.unsigned_abs());
    if x <= EXACT && y <= EXACT {
        return a as f64 / b as f64;
    }
    if x == 0 {
        return if negative { -0.0 } else { 0.0 };
    }
    let bits = |v: u128| 128 - v.leading_zeros() as i32;
    let k = 55 + bits(y) - bits(x);
    let (q, r) = if k >= 0 {
        let shifted = x << k;
        (shifted / y, shifted % y)
    } else {
        let shifted = y << (-k);
        (x / shifted, x % shifted)
    };
    let shift = (bits(q) - 53).max(0);
    let mut mantissa = q >> shift;
    if shift > 0 {
        let dropped = q & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if dropped > half || (dropped == half && (r != 0 || mantissa & 1 == 1)) {
            mantissa += 1;
        }
    } else if r * 2 > y || (r * 2 == y && mantissa & 1 == 1) {
        mantissa += 1;
    }
    let exponent = shift - k;
    let magnitude = mantissa as f64 * f64::from_bits(((1023 + exponent) as u64) << 52);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Exact comparison of an int with a float (Python compares the mathematical values).
pub(crate) fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    let whole_int = whole as i64;
    match i.cmp(&whole_int) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

/// `x // y` and `x % y` for floats, as Python's `divmod` (`y != 0`).
pub(crate) fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut modulo = x % y;
    let mut div = (x - modulo) / y;
    if modulo != 0.0 {
        if (y < 0.0) != (modulo < 0.0) {
            modulo += y;
            div -= 1.0;
        }
    } else {
        modulo = 0.0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut floor = div.floor();
        if div - floor > 0.5 {
            floor += 1.0;
        }
        floor
    } else {
        0.0f64.copysign(x / y)
    };
    (floordiv, modulo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e20, "1e+20"),
            (1.5e-5, "1.5e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.001, "0.001"),
        ];
        for &(f, want) in cases {
            assert_eq!(float_repr(f), want, "{f:?}");
        }
    }

    #[test]
    fn fixed_exp_general() {
        assert_eq!(fmt_fixed(0.125, 2, false), "0.12");
        assert_eq!(fmt_fixed(2.5, 0, false), "2");
        assert_eq!(fmt_fixed(f64::NAN, 2, true), "NAN");
        assert_eq!(fmt_exp(12345.678, 2, false), "1.23e+04");
        assert_eq!(fmt_exp(0.0, 3, true), "0.000E+00");
        assert_eq!(fmt_general(0.0001, 6, false, false), "0.0001");
        assert_eq!(fmt_general(0.00001, 6, false, false), "1e-05");
        assert_eq!(fmt_general(123456789.0, 6, false, false), "1.23457e+08");
        assert_eq!(fmt_general(100.0, 6, false, false), "100");
        assert_eq!(fmt_general(1.5, 6, true, false), "1.50000");
        assert_eq!(fmt_general(0.0, 6, false, false), "0");
    }

    #[test]
    fn rounding_is_pythons() {
        assert_eq!(round_float(2.5, 0), 2.0);
        assert_eq!(round_float(3.5, 0), 4.0);
        assert_eq!(round_float(2.675, 2), 2.67);
        assert_eq!(round_float(42.55, 1), 42.5);
        assert_eq!(round_float(1250.0, -2), 1200.0);
        assert_eq!(round_float(1350.0, -2), 1400.0);
        assert_eq!(round_float(1250.5, -2), 1300.0);
        assert_eq!(round_float(-1250.0, -2), -1200.0);
        assert_eq!(round_float(49.0, -2), 0.0);
        assert_eq!(round_float(51.0, -2), 100.0);
        assert_eq!(round_float(951.0, -3), 1000.0);
        assert_eq!(round_int(15, -1).unwrap(), 20);
        assert_eq!(round_int(25, -1).unwrap(), 20);
        assert_eq!(round_int(-25, -1).unwrap(), -20);
        assert_eq!(round_int(-26, -1).unwrap(), -30);
        assert_eq!(round_int(7, 2).unwrap(), 7);
    }

    #[test]
    fn int_and_float_parsing() {
        assert_eq!(parse_int(" 42 ", 10).unwrap(), Some(42));
        assert_eq!(parse_int("-1_000", 10).unwrap(), Some(-1000));
        assert_eq!(parse_int("1__0", 10).unwrap(), None);
        assert_eq!(parse_int("_1", 10).unwrap(), None);
        assert_eq!(parse_int("1_", 10).unwrap(), None);
        assert_eq!(parse_int("0x1A", 16).unwrap(), Some(26));
        assert_eq!(parse_int("1A", 16).unwrap(), Some(26));
        assert_eq!(parse_int("0x_1f", 0).unwrap(), Some(31));
        assert_eq!(parse_int("0b101", 0).unwrap(), Some(5));
        assert_eq!(parse_int("12.7", 10).unwrap(), None);
        assert_eq!(parse_int("", 10).unwrap(), None);
        assert_eq!(parse_int("٣", 10).unwrap(), Some(3));
        assert_eq!(parse_int("010", 0).unwrap(), None);
        assert_eq!(parse_int("0_0", 0).unwrap(), Some(0));
        assert_eq!(parse_int("0x1A", 10).unwrap(), None);
        assert_eq!(parse_int("z", 36).unwrap(), Some(35));
        assert!(parse_int("99999999999999999999", 10).is_err());
        assert_eq!(
            parse_int("-9223372036854775808", 10).unwrap(),
            Some(i64::MIN)
        );
        assert_eq!(parse_float(" 12.7 "), Some(12.7));
        assert_eq!(parse_float("1_000.5"), Some(1000.5));
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("5."), Some(5.0));
        assert_eq!(parse_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_float("nan").is_some_and(f64::is_nan));
        assert_eq!(parse_float("1e"), None);
        assert_eq!(parse_float("."), None);
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("1_.5"), None);
        assert_eq!(parse_float("0x10"), None);
        assert_eq!(parse_float("١٢"), Some(12.0));
    }

    #[test]
    fn true_division_is_correctly_rounded() {
        assert_eq!(int_true_div(1, 3), 1.0 / 3.0);
        assert_eq!(int_true_div(i64::MAX, 3), 3.0744573456182584e18);
        assert_eq!(int_true_div(9007199254740993, 1), 9007199254740992.0);
        assert_eq!(int_true_div(9007199254740995, 1), 9007199254740996.0);
        assert_eq!(int_true_div(-9007199254740993, 2), -4503599627370496.5);
        assert_eq!(int_true_div(1, i64::MAX), 1.0842021724855044e-19);
        assert_eq!(int_true_div(0, i64::MIN), -0.0);
    }

    #[test]
    fn int_float_comparison_is_exact() {
        assert_eq!(
            int_float_cmp(9007199254740993, 9007199254740992.0),
            Some(Ordering::Greater)
        );
        assert_eq!(int_float_cmp(1, 1.0), Some(Ordering::Equal));
        assert_eq!(int_float_cmp(1, 1.5), Some(Ordering::Less));
        assert_eq!(int_float_cmp(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(int_float_cmp(i64::MAX, 9.3e18), Some(Ordering::Less));
        assert_eq!(int_float_cmp(0, f64::NAN), None);
    }

    #[test]
    fn float_divmod_matches_python() {
        assert_eq!(float_divmod(7.5, -2.0), (-4.0, -0.5));
        assert_eq!(float_divmod(-7.0, 2.0), (-4.0, 1.0));
        assert_eq!(float_divmod(6.0, -3.0).1.to_bits(), (-0.0f64).to_bits());
    }
}
