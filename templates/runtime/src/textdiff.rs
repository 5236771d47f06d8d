//! Unified diffs as Python's `difflib` writes them, and the diff text Ansible's default
//! callback prints for a result's `diff` value under `--diff`.
//!
//! [`SequenceMatcher`] follows difflib's algorithm step by step (longest matching block
//! first, recursing on both sides, "popular" elements of 200+ element sequences left out of
//! the index) so that the hunks come out byte-identical to `difflib.unified_diff`; the
//! generated differential cases in `textdiff_cases.json` (tools/gen_textdiff_cases.py) pin
//! that down.

use std::collections::HashMap;
use std::hash::Hash;

use crate::json::Value;

/// Python's `str.splitlines(True)`: lines with their line boundaries (`\n`, `\r\n`, `\r`,
/// `\v`, `\f`, `\x1c`, `\x1d`, `\x1e`, `\x85`, `\u2028`, `\u2029`).
pub fn splitlines_keepends(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = match c {
            '\r' => match iter.peek() {
                Some((_, '\n')) => {
                    iter.next();
                    i + 2
                }
                _ => i + 1,
            },
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        lines.push(&s[start..end]);
        start = end;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// A matching block: `a[a_start..a_start + size] == b[b_start..b_start + size]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub a_start: usize,
    pub b_start: usize,
    pub size: usize,
}

/// An edit operation's kind, as difflib names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Equal,
    Replace,
    Delete,
    Insert,
}

impl Tag {
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Equal => "equal",
            Tag::Replace => "replace",
            Tag::Delete => "delete",
            Tag::Insert => "insert",
        }
    }
}

/// `(tag, i1, i2, j1, j2)`: `a[i1..i2]` becomes `b[j1..j2]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opcode {
    pub tag: Tag,
    pub i1: usize,
    pub i2: usize,
    pub j1: usize,
    pub j2: usize,
}

/// difflib's `SequenceMatcher(None, a, b)` (no junk function, `autojunk=True`).
pub struct SequenceMatcher<'s, T: Eq + Hash> {
    a: &'s [T],
    b: &'s [T],
    /// Positions of each element of `b`, popular elements left out.
    b2j: HashMap<&'s T, Vec<usize>>,
}

impl<'s, T: Eq + Hash> SequenceMatcher<'s, T> {
    pub fn new(a: &'s [T], b: &'s [T]) -> SequenceMatcher<'s, T> {
        let mut b2j: HashMap<&T, Vec<usize>> = HashMap::new();
        for (j, elt) in b.iter().enumerate() {
            b2j.entry(elt).or_default().push(j);
        }
        // autojunk: in a sequence of 200 or more elements, an element making up more than
        // 1% (plus one) of it is "popular" and not indexed.
        let n = b.len();
        if n >= 200 {
            let ntest = n / 100 + 1;
            b2j.retain(|_, idxs| idxs.len() <= ntest);
        }
        SequenceMatcher { a, b, b2j }
    }

    /// Longest matching block in `a[alo..ahi]` and `b[blo..bhi]`, earliest in `a` (then in
    /// `b`) among the longest, extended over popular elements on both ends.
    pub fn find_longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        let (a, b) = (self.a, self.b);
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0usize);
        // j2len[j]: length of the longest match ending with a[i-1] and b[j].
        let mut j2len: HashMap<usize, usize> = HashMap::new();
        let mut newj2len: HashMap<usize, usize> = HashMap::new();
        for (i, elt) in a.iter().enumerate().take(ahi).skip(alo) {
            newj2len.clear();
            if let Some(js) = self.b2j.get(elt) {
                for &j in js {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let prev = match j.checked_sub(1) {
                        Some(p) => j2len.get(&p).copied().unwrap_or(0),
                        None => 0,
                    };
                    let k = prev + 1;
                    newj2len.insert(j, k);
                    if k > bestsize {
                        besti = i + 1 - k;
                        bestj = j + 1 - k;
                        bestsize = k;
                    }
                }
            }
            std::mem::swap(&mut j2len, &mut newj2len);
        }
        // Without a junk function nothing is junk: extend over equal (popular) elements.
        while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
            besti -= 1;
            bestj -= 1;
            bestsize += 1;
        }
        while besti + bestsize < ahi
            && bestj + bestsize < bhi
            && a[besti + bestsize] == b[bestj + bestsize]
        {
            bestsize += 1;
        }
        Match {
            a_start: besti,
            b_start: bestj,
            size: bestsize,
        }
    }

    /// The matching blocks, sorted, adjacent ones merged, ending with `(len(a), len(b), 0)`.
    pub fn matching_blocks(&self) -> Vec<Match> {
        let (la, lb) = (self.a.len(), self.b.len());
        let mut queue = vec![(0, la, 0, lb)];
        let mut blocks = Vec::new();
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let m = self.find_longest_match(alo, ahi, blo, bhi);
            let (i, j, k) = (m.a_start, m.b_start, m.size);
            if k > 0 {
                blocks.push(m);
                if alo < i && blo < j {
                    queue.push((alo, i, blo, j));
                }
                if i + k < ahi && j + k < bhi {
                    queue.push((i + k, ahi, j + k, bhi));
                }
            }
        }
        blocks.sort();
        let mut merged: Vec<Match> = Vec::new();
        let (mut i1, mut j1, mut k1) = (0, 0, 0);
        for m in blocks {
            if i1 + k1 == m.a_start && j1 + k1 == m.b_start {
                k1 += m.size;
            } else {
                if k1 > 0 {
                    merged.push(Match {
                        a_start: i1,
                        b_start: j1,
                        size: k1,
                    });
                }
                (i1, j1, k1) = (m.a_start, m.b_start, m.size);
            }
        }
        if k1 > 0 {
            merged.push(Match {
                a_start: i1,
                b_start: j1,
                size: k1,
            });
        }
        merged.push(Match {
            a_start: la,
            b_start: lb,
            size: 0,
        });
        merged
    }

    /// The edit operations turning `a` into `b`.
    pub fn opcodes(&self) -> Vec<Opcode> {
        let (mut i, mut j) = (0, 0);
        let mut codes = Vec::new();
        for m in self.matching_blocks() {
            let (ai, bj, size) = (m.a_start, m.b_start, m.size);
            let tag = if i < ai && j < bj {
                Some(Tag::Replace)
            } else if i < ai {
                Some(Tag::Delete)
            } else if j < bj {
                Some(Tag::Insert)
            } else {
                None
            };
            if let Some(tag) = tag {
                codes.push(Opcode {
                    tag,
                    i1: i,
                    i2: ai,
                    j1: j,
                    j2: bj,
                });
            }
            i = ai + size;
            j = bj + size;
            if size > 0 {
                codes.push(Opcode {
                    tag: Tag::Equal,
                    i1: ai,
                    i2: i,
                    j1: bj,
                    j2: j,
                });
            }
        }
        codes
    }

    /// The opcodes in hunks with up to `n` lines of context (difflib's
    /// `get_grouped_opcodes`).
    pub fn grouped_opcodes(&self, n: usize) -> Vec<Vec<Opcode>> {
        let mut codes = self.opcodes();
        if codes.is_empty() {
            codes.push(Opcode {
                tag: Tag::Equal,
                i1: 0,
                i2: 1,
                j1: 0,
                j2: 1,
            });
        }
        if let Some(first) = codes.first_mut().filter(|c| c.tag == Tag::Equal) {
            first.i1 = first.i1.max(first.i2.saturating_sub(n));
            first.j1 = first.j1.max(first.j2.saturating_sub(n));
        }
        if let Some(last) = codes.last_mut().filter(|c| c.tag == Tag::Equal) {
            last.i2 = last.i2.min(last.i1 + n);
            last.j2 = last.j2.min(last.j1 + n);
        }
        let nn = n + n;
        let mut groups = Vec::new();
        let mut group: Vec<Opcode> = Vec::new();
        for mut code in codes {
            if code.tag == Tag::Equal && code.i2 - code.i1 > nn {
                group.push(Opcode {
                    i2: code.i2.min(code.i1 + n),
                    j2: code.j2.min(code.j1 + n),
                    ..code
                });
                groups.push(std::mem::take(&mut group));
                code.i1 = code.i1.max(code.i2.saturating_sub(n));
                code.j1 = code.j1.max(code.j2.saturating_sub(n));
            }
            group.push(code);
        }
        let only_equal = group.len() == 1 && group[0].tag == Tag::Equal;
        if !group.is_empty() && !only_equal {
            groups.push(group);
        }
        groups
    }
}

/// difflib's `_format_range_unified`.
fn format_range(start: usize, stop: usize) -> String {
    let length = stop - start;
    if length == 1 {
        return format!("{}", start + 1);
    }
    let beginning = if length == 0 { start } else { start + 1 };
    format!("{beginning},{length}")
}

/// The concatenated lines of `difflib.unified_diff(a, b, fromfile, tofile, n=n)` (no dates,
/// `lineterm='\n'`). Lines of `a` and `b` keep their own endings; empty when equal.
pub fn unified_diff<S: AsRef<str> + Eq + Hash>(
    a: &[S],
    b: &[S],
    fromfile: &str,
    tofile: &str,
    n: usize,
) -> String {
    let matcher = SequenceMatcher::new(a, b);
    let mut out = String::new();
    for (index, group) in matcher.grouped_opcodes(n).iter().enumerate() {
        if index == 0 {
            out.push_str(&format!("--- {fromfile}\n+++ {tofile}\n"));
        }
        let (first, last) = (group[0], group[group.len() - 1]);
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            format_range(first.i1, last.i2),
            format_range(first.j1, last.j2)
        ));
        for code in group {
            if code.tag == Tag::Equal {
                for line in &a[code.i1..code.i2] {
                    out.push(' ');
                    out.push_str(line.as_ref());
                }
                continue;
            }
            if matches!(code.tag, Tag::Replace | Tag::Delete) {
                for line in &a[code.i1..code.i2] {
                    out.push('-');
                    out.push_str(line.as_ref());
                }
            }
            if matches!(code.tag, Tag::Replace | Tag::Insert) {
                for line in &b[code.j1..code.j2] {
                    out.push('+');
                    out.push_str(line.as_ref());
                }
            }
        }
    }
    out
}

/// Lines of context Ansible shows around changes (`DIFF_CONTEXT`).
pub const ANSIBLE_DIFF_CONTEXT: usize = 3;

/// The text Ansible's default callback prints for a result's `diff` value (an object or a
/// list of them; `_get_diff`), without colors. Empty when there is nothing to show.
pub fn ansible_diff_text(diff: &Value) -> String {
    let single = [diff.clone()];
    let entries: &[Value] = match diff {
        Value::Array(items) => items,
        _ => &single,
    };
    let mut out = String::new();
    for entry in entries {
        if entry.as_object().is_none() {
            continue;
        }
        let has = |key: &str| entry.get(key).is_some();
        if has("dst_binary") {
            out.push_str("diff skipped: destination file appears to be binary\n");
        }
        if has("src_binary") {
            out.push_str("diff skipped: source file appears to be binary\n");
        }
        if let Some(size) = entry.get("dst_larger") {
            out.push_str(&format!(
                "diff skipped: destination file size is greater than {}\n",
                percent_d(size)
            ));
        }
        if let Some(size) = entry.get("src_larger") {
            out.push_str(&format!(
                "diff skipped: source file size is greater than {}\n",
                percent_d(size)
            ));
        }
        if let (Some(before), Some(after)) = (entry.get("before"), entry.get("after")) {
            if let (Some(before), Some(after)) = (diff_side(before), diff_side(after)) {
                let before_header = match entry.get("before_header") {
                    Some(h) => format!("before: {}", python_str(h)),
                    None => "before".to_string(),
                };
                let after_header = match entry.get("after_header") {
                    Some(h) => format!("after: {}", python_str(h)),
                    None => "after".to_string(),
                };
                let text = unified_diff(
                    &marked_lines(&before),
                    &marked_lines(&after),
                    &before_header,
                    &after_header,
                    ANSIBLE_DIFF_CONTEXT,
                );
                if !text.is_empty() {
                    out.push_str(&text);
                    out.push('\n');
                }
            }
        }
        if let Some(Value::Str(prepared)) = entry.get("prepared") {
            out.push_str(prepared);
        }
    }
    out
}

/// One side of a diff as text: a string as is, an object as Ansible serializes it
/// (`json.dumps(sort_keys=True, indent=4)` plus a newline), null as empty. Other values
/// make Ansible's callback fail; they are not shown.
fn diff_side(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Object(_) => {
            let mut text = crate::jinja::json_dumps_sorted(v, 4);
            text.push('\n');
            Some(text)
        }
        _ => None,
    }
}

/// The lines of `text`, the last one marked `\ No newline at end of file` when it has no
/// `\n`, as Ansible prepares them for difflib.
fn marked_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = splitlines_keepends(text)
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(last) = lines.last_mut() {
        if !last.ends_with('\n') {
            last.push_str("\n\\ No newline at end of file\n");
        }
    }
    lines
}

/// Python's `'%d' % v` for the numbers a size can be.
fn percent_d(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => format!("{}", f.trunc() as i64),
        Value::Bool(b) => u8::from(*b).to_string(),
        other => python_str(other),
    }
}

/// Python's `str()` of a header value.
fn python_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        other => crate::jinja::Value::from_json(other)
            .to_str()
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{obj, parse};

    fn lines(s: &str) -> Vec<&str> {
        splitlines_keepends(s)
    }

    #[test]
    fn splitlines_like_python() {
        assert_eq!(lines(""), Vec::<&str>::new());
        assert_eq!(lines("a"), vec!["a"]);
        assert_eq!(lines("a\n"), vec!["a\n"]);
        assert_eq!(
            lines("a\r\nb\rc\n\nd"),
            vec!["a\r\n", "b\r", "c\n", "\n", "d"]
        );
        assert_eq!(
            lines("x\u{b}y\u{c}z\u{1c}\u{85}w\u{2028}v\u{2029}"),
            vec![
                "x\u{b}",
                "y\u{c}",
                "z\u{1c}",
                "\u{85}",
                "w\u{2028}",
                "v\u{2029}"
            ]
        );
    }

    #[test]
    fn simple_unified_diff() {
        let a_text: String = (1..=15).map(|i| format!("{i}\n")).collect();
        let b_text = a_text.replacen("5\n", "FIVE\n", 1) + "eleven\n";
        let (a, b) = (lines(&a_text), lines(&b_text));
        assert_eq!(
            unified_diff(&a, &b, "a", "b", 3),
            "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n\
             @@ -13,3 +13,4 @@\n 13\n 14\n 15\n+eleven\n"
        );
        assert_eq!(unified_diff(&a, &a, "a", "b", 3), "");
        let empty: Vec<&str> = Vec::new();
        assert_eq!(
            unified_diff(&empty, &lines("x\n"), "a", "b", 3),
            "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"
        );
    }

    #[test]
    fn ansible_text_for_strings() {
        let diff = obj([
            ("before", Value::str("a\nb\n")),
            ("after", Value::str("a\nc")),
            ("before_header", Value::str("/tmp/f")),
            ("after_header", Value::str("/tmp/f")),
        ]);
        assert_eq!(
            ansible_diff_text(&diff),
            "--- before: /tmp/f\n+++ after: /tmp/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\
             \\ No newline at end of file\n\n"
        );
        let same = obj([("before", Value::str("x")), ("after", Value::str("x"))]);
        assert_eq!(ansible_diff_text(&same), "");
        let prepared = obj([("prepared", Value::str("hello\n"))]);
        assert_eq!(ansible_diff_text(&prepared), "hello\n");
    }

    #[test]
    fn ansible_text_for_objects_and_lists() {
        let diff = parse(
            r#"[{"before": {"path": "/x", "state": "absent"},
                 "after": {"state": "directory", "path": "/x", "mode": "0755"}},
                {"dst_binary": 1}, {"dst_larger": 1024, "before": null, "after": "z\n"}]"#,
        )
        .unwrap();
        assert_eq!(
            ansible_diff_text(&diff),
            "--- before\n+++ after\n@@ -1,4 +1,5 @@\n {\n+    \"mode\": \"0755\",\n     \
             \"path\": \"/x\",\n-    \"state\": \"absent\"\n+    \"state\": \"directory\"\n }\n\n\
             diff skipped: destination file appears to be binary\n\
             diff skipped: destination file size is greater than 1024\n\
             --- before\n+++ after\n@@ -0,0 +1 @@\n+z\n\n"
        );
    }

    /// Differential cases generated from Python's difflib and Ansible's callback by
    /// tools/gen_textdiff_cases.py.
    #[test]
    fn generated_cases() {
        let mut cases = parse(include_str!("textdiff_cases.json")).unwrap();
        if let Ok(path) = std::env::var("RUSTLE_TEXTDIFF_CASES") {
            cases = parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        }
        let mut n = 0;
        for case in cases.as_array().unwrap() {
            let expected = case.get("expected").unwrap().as_str().unwrap();
            if let Some(diff) = case.get("diff") {
                assert_eq!(ansible_diff_text(diff), expected, "case {case}");
            } else {
                let a = case.get("a").unwrap().as_str().unwrap();
                let b = case.get("b").unwrap().as_str().unwrap();
                let got = unified_diff(&lines(a), &lines(b), "from", "to", 3);
                assert_eq!(got, expected, "case {case}");
            }
            n += 1;
        }
        assert!(n >= 100, "{n} cases");
    }
}
