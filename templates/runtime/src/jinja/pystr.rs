//! Python's `str` algorithms on Rust strings (indexes count code points, as in Python).

use super::unicode;
use super::EvalError;

/// Python's `str.upper()`.
pub(crate) fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// Python's `str.lower()`.
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Python's title case of one character.
fn push_title(out: &mut String, c: char) {
    match unicode::title_case(c) {
        Some(title) => out.push_str(title),
        None => out.extend(c.to_uppercase()),
    }
}

fn is_title_char(c: char) -> bool {
    unicode::title_case(c).is_some_and(|t| t.chars().eq(std::iter::once(c)))
}

fn is_cased(c: char) -> bool {
    c.is_uppercase() || c.is_lowercase() || is_title_char(c)
}

/// Python's `str.capitalize()`: the first character in title case, the rest lower case.
pub(crate) fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if let Some(first) = s.chars().next() {
        push_title(&mut out, first);
        // Lower-case the whole text so that a final sigma sees what precedes it, then drop
        // the first character's lower case.
        let skip = first.to_lowercase().count();
        out.extend(s.to_lowercase().chars().skip(skip));
    }
    out
}

/// Python's `str.title()`: a character after a cased one is lowered, others title-cased.
pub(crate) fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_cased = false;
    for (i, c) in s.char_indices() {
        if previous_cased && c == 'Σ' {
            // Final sigma: Rust decides it for whole strings, so show it a cased letter
            // before and the rest of the text after.
            let probe = format!("A{}", &s[i..]).to_lowercase();
            out.push(probe.chars().nth(1).unwrap_or('σ'));
        } else if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            push_title(&mut out, c);
        }
        previous_cased = is_cased(c);
    }
    out
}

/// Python's `str.islower()`.
pub(crate) fn is_lower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_uppercase() || is_title_char(c) {
            return false;
        }
        if c.is_lowercase() {
            cased = true;
        }
    }
    cased
}

/// Python's `str.isupper()`.
pub(crate) fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() || is_title_char(c) {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// Python's `str.strip(chars)` family: `left`/`right` select the ends.
pub(crate) fn strip(s: &str, chars: Option<&str>, left: bool, right: bool) -> String {
    let matches = |c: char| match chars {
        None => unicode::is_space(c),
        Some(set) => set.contains(c),
    };
    let mut t = s;
    if left {
        t = t.trim_start_matches(matches);
    }
    if right {
        t = t.trim_end_matches(matches);
    }
    t.to_string()
}

/// Python's `str.split(sep, maxsplit)` (`maxsplit < 0` means no limit).
pub(crate) fn split(s: &str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<String>, EvalError> {
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    match sep {
        Some("") => Err(EvalError::new("empty separator")),
        Some(sep) => Ok(s
            .splitn(limit.saturating_add(1), sep)
            .map(str::to_string)
            .collect()),
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start_matches(unicode::is_space);
            while !rest.is_empty() {
                if out.len() == limit {
                    out.push(rest.to_string());
                    break;
                }
                let end = rest.find(unicode::is_space).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start_matches(unicode::is_space);
            }
            Ok(out)
        }
    }
}

/// Python's `str.rsplit(sep, maxsplit)`.
pub(crate) fn rsplit(s: &str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<String>, EvalError> {
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    let mut out: Vec<String> = match sep {
        Some("") => return Err(EvalError::new("empty separator")),
        Some(sep) => s
            .rsplitn(limit.saturating_add(1), sep)
            .map(str::to_string)
            .collect(),
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_end_matches(unicode::is_space);
            while !rest.is_empty() {
                if out.len() == limit {
                    out.push(rest.to_string());
                    break;
                }
                let start = rest.rfind(unicode::is_space).map_or(0, |i| {
                    i + rest[i..].chars().next().map_or(1, char::len_utf8)
                });
                out.push(rest[start..].to_string());
                rest = rest[..start].trim_end_matches(unicode::is_space);
            }
            out
        }
    };
    out.reverse();
    Ok(out)
}

/// Whether `c` ends a line for Python's `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines(keepends)`.
pub(crate) fn splitlines(s: &str, keepends: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if is_line_break(c) {
            let mut ending = String::from(c);
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
                ending.push('\n');
            }
            if keepends {
                line.push_str(&ending);
            }
            out.push(std::mem::take(&mut line));
        } else {
            line.push(c);
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Python's `str.replace(old, new, count)` (`count < 0` replaces all).
pub(crate) fn replace(s: &str, old: &str, new: &str, count: i64) -> String {
    let limit = usize::try_from(count).unwrap_or(usize::MAX);
    if old.is_empty() {
        // Python inserts `new` before every character and at the end.
        let mut out = String::new();
        let mut done = 0usize;
        for c in s.chars() {
            if done < limit {
                out.push_str(new);
                done += 1;
            }
            out.push(c);
        }
        if done < limit {
            out.push_str(new);
        }
        return out;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut done = 0usize;
    while done < limit {
        match rest.find(old) {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push_str(new);
                rest = &rest[i + old.len()..];
                done += 1;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Python's `str.center(width, fill)`.
pub(crate) fn center(s: &str, width: i64, fill: char) -> String {
    let len = s.chars().count() as i64;
    if width <= len {
        return s.to_string();
    }
    let margin = width - len;
    let left = margin / 2 + (margin & width & 1);
    let right = margin - left;
    pad(s, left, right, fill)
}

/// `s` with `left` and `right` fill characters around it.
pub(crate) fn pad(s: &str, left: i64, right: i64, fill: char) -> String {
    let mut out = String::new();
    out.extend(std::iter::repeat_n(
        fill,
        usize::try_from(left).unwrap_or(0),
    ));
    out.push_str(s);
    out.extend(std::iter::repeat_n(
        fill,
        usize::try_from(right).unwrap_or(0),
    ));
    out
}

/// Python's `str.zfill(width)`.
pub(crate) fn zfill(s: &str, width: i64) -> String {
    let len = s.chars().count() as i64;
    if width <= len {
        return s.to_string();
    }
    let zeros = "0".repeat(usize::try_from(width - len).unwrap_or(0));
    match s.chars().next() {
        Some(sign @ ('+' | '-')) => format!("{sign}{zeros}{}", &s[1..]),
        _ => format!("{zeros}{s}"),
    }
}

/// The code point range `[start, end)` that Python's `s[start:end]` covers (for the optional
/// `start`/`end` arguments of `find`, `count`, `startswith`, ...), as byte offsets.
pub(crate) fn byte_range(s: &str, start: Option<i64>, end: Option<i64>) -> Option<(usize, usize)> {
    let len = s.chars().count() as i64;
    let norm = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    let start = norm(start.unwrap_or(0));
    let end = norm(end.unwrap_or(len));
    if start > end {
        return None;
    }
    let to_byte = |i: i64| {
        s.char_indices()
            .nth(usize::try_from(i).unwrap_or(0))
            .map_or(s.len(), |(b, _)| b)
    };
    Some((to_byte(start), to_byte(end)))
}

/// Number of code points before byte offset `byte`.
pub(crate) fn char_index(s: &str, byte: usize) -> i64 {
    s.get(..byte).map_or(0, |head| head.chars().count() as i64)
}

/// Python's `str.find(sub, start, end)` (`-1` when absent); `reverse` is `rfind`.
pub(crate) fn find(s: &str, sub: &str, start: Option<i64>, end: Option<i64>, reverse: bool) -> i64 {
    let Some((from, to)) = byte_range(s, start, end) else {
        return -1;
    };
    let window = &s[from..to];
    let found = if reverse {
        window.rfind(sub)
    } else {
        window.find(sub)
    };
    found.map_or(-1, |i| char_index(s, from + i))
}

/// Python's `str.count(sub, start, end)`.
pub(crate) fn count(s: &str, sub: &str, start: Option<i64>, end: Option<i64>) -> i64 {
    let Some((from, to)) = byte_range(s, start, end) else {
        return 0;
    };
    let window = &s[from..to];
    if sub.is_empty() {
        return window.chars().count() as i64 + 1;
    }
    window.matches(sub).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_like_python() {
        assert_eq!(split("  a  b  ", None, -1).unwrap(), ["a", "b"]);
        assert_eq!(split("  a  b  ", None, 1).unwrap(), ["a", "b  "]);
        assert_eq!(split("a,b,,c", Some(","), -1).unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split("a,b,c", Some(","), 1).unwrap(), ["a", "b,c"]);
        assert_eq!(split("", Some(","), -1).unwrap(), [""]);
        assert!(split("", None, -1).unwrap().is_empty());
        assert_eq!(rsplit("  a  b  ", None, 1).unwrap(), ["  a", "b"]);
        assert_eq!(rsplit("a,b,c", Some(","), 1).unwrap(), ["a,b", "c"]);
        assert_eq!(rsplit("a\u{3000}b", None, -1).unwrap(), ["a", "b"]);
        assert!(split("a", Some(""), -1).is_err());
        assert_eq!(splitlines("a\nb\r\nc\n", false), ["a", "b", "c"]);
        assert_eq!(
            splitlines("a\nb\r\n\x1cc", true),
            ["a\n", "b\r\n", "\x1c", "c"]
        );
    }

    #[test]
    fn casing_like_python() {
        assert_eq!(title("they're bill's"), "They'Re Bill'S");
        assert_eq!(title("ǆemal ßa"), "ǅemal Ssa");
        assert_eq!(capitalize("hello World"), "Hello world");
        assert_eq!(capitalize("ßa"), "Ssa");
        assert_eq!(capitalize("ΣΑΣ"), "Σας");
        assert_eq!(capitalize("AΣ"), "Aς");
        assert_eq!(title("ΣΑΣ ΑΣΑ ΑΣ.Α"), "Σας Ασα Ασ.Α");
        assert!(is_lower("abc1"));
        assert!(!is_lower("1"));
        assert!(is_upper("ABC 1"));
        assert!(!is_upper("Abc"));
    }

    #[test]
    fn padding_and_replacing() {
        assert_eq!(center("a", 6, '*'), "**a***");
        assert_eq!(center("ab", 7, '*'), "***ab**");
        assert_eq!(zfill("-5", 3), "-05");
        assert_eq!(zfill("5", 3), "005");
        assert_eq!(replace("aaa", "a", "b", 2), "bba");
        assert_eq!(replace("ab", "", "-", -1), "-a-b-");
        assert_eq!(replace("ab", "", "-", 2), "-a-b");
        assert_eq!(strip("xxaxx", Some("x"), true, true), "a");
        assert_eq!(strip("\u{1c} a \u{85}", None, true, true), "a");
        assert_eq!(find("héllo", "l", None, None, false), 2);
        assert_eq!(find("héllo", "l", None, None, true), 3);
        assert_eq!(find("héllo", "l", Some(-1), None, false), -1);
        assert_eq!(count("aaa", "", None, None), 4);
        assert_eq!(count("aaaa", "aa", None, None), 2);
    }
}
