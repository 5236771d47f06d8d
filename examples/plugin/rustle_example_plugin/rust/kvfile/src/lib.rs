//! Edits simple `key=value` configuration text: the pure part of the example plugin's
//! `rustle_example.keyvalue` module (the module itself does the file I/O).
//!
//! A line `key=value` (spaces around the key and the value are allowed) sets `key`;
//! blank lines and lines starting with `#` or `;` are comments and never touched.

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    Added,
    Updated,
    Removed,
}

impl Change {
    /// The module's message for this change (empty when nothing changed).
    pub fn message(self) -> &'static str {
        match self {
            Change::Unchanged => "",
            Change::Added => "key added",
            Change::Updated => "key updated",
            Change::Removed => "key removed",
        }
    }
}

/// The edited text and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    pub change: Change,
}

/// Why a key or value cannot be written as one `key=value` line.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("key must not be empty".to_string());
    }
    if key.trim() != key {
        return Err(format!("key {key:?} must not start or end with whitespace"));
    }
    if key.contains('=') {
        return Err(format!("key {key:?} must not contain '='"));
    }
    if key.starts_with('#') || key.starts_with(';') {
        return Err(format!(
            "key {key:?} must not start with a comment character"
        ));
    }
    check_line("key", key)
}

/// Why `value` cannot be written on one line.
pub fn check_value(value: &str) -> Result<(), String> {
    check_line("value", value)
}

fn check_line(what: &str, text: &str) -> Result<(), String> {
    if text.contains(['\n', '\r']) {
        return Err(format!("{what} {text:?} must be a single line"));
    }
    Ok(())
}

/// The key and value of a `key=value` line; `None` for comments and other lines.
pub fn parse_line(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_end_matches(['\n', '\r']);
    let trimmed = body.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return None;
    }
    let (key, value) = trimmed.split_once('=')?;
    Some((key.trim(), value.trim()))
}

/// The value `key` has in `text` (its first setting).
pub fn get<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    lines(text).find_map(|line| match parse_line(line) {
        Some((k, v)) if k == key => Some(v),
        _ => None,
    })
}

/// Lines with their endings.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
}

/// Sets `key` to `value`: the first line that sets it is rewritten (unless it already
/// holds `value`), later ones are removed; without one, `key=value` is appended.
pub fn set(text: &str, key: &str, value: &str) -> Edit {
    let mut out = String::with_capacity(text.len() + key.len() + value.len() + 2);
    let mut seen = 0;
    let mut rewritten = false;
    for line in lines(text) {
        match parse_line(line) {
            Some((k, v)) if k == key => {
                seen += 1;
                if seen > 1 {
                    continue;
                }
                if v == value {
                    out.push_str(line);
                } else {
                    let ending = &line[line.trim_end_matches(['\n', '\r']).len()..];
                    out.push_str(&format!("{key}={value}{ending}"));
                    rewritten = true;
                }
            }
            _ => out.push_str(line),
        }
    }
    let change = match seen {
        0 => {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{key}={value}\n"));
            Change::Added
        }
        1 if !rewritten => Change::Unchanged,
        _ => Change::Updated,
    };
    Edit { text: out, change }
}

/// Removes every line that sets `key`.
pub fn remove(text: &str, key: &str) -> Edit {
    let mut out = String::with_capacity(text.len());
    let mut removed = false;
    for line in lines(text) {
        match parse_line(line) {
            Some((k, _)) if k == key => removed = true,
            _ => out.push_str(line),
        }
    }
    let change = if removed {
        Change::Removed
    } else {
        Change::Unchanged
    };
    Edit { text: out, change }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_rewrites_appends_and_keeps_what_holds() {
        let text = "# port=1\nport = 80\r\nhost=a";
        let edit = set(text, "port", "8080");
        assert_eq!(edit.text, "# port=1\nport=8080\r\nhost=a");
        assert_eq!(edit.change, Change::Updated);
        assert_eq!(set(&edit.text, "port", "8080").change, Change::Unchanged);
        let added = set(text, "debug", "true");
        assert_eq!(added.text, "# port=1\nport = 80\r\nhost=a\ndebug=true\n");
        assert_eq!(added.change, Change::Added);
        assert_eq!(set("", "a", "").text, "a=\n");
        assert_eq!(set(text, "port", "80").change, Change::Unchanged);
    }

    #[test]
    fn duplicates_are_folded_and_remove_removes_all() {
        let text = "a=1\nb=2\na=1\n";
        let edit = set(text, "a", "1");
        assert_eq!(
            (edit.text.as_str(), edit.change),
            ("a=1\nb=2\n", Change::Updated)
        );
        let edit = remove(text, "a");
        assert_eq!(
            (edit.text.as_str(), edit.change),
            ("b=2\n", Change::Removed)
        );
        assert_eq!(remove("b=2\n", "a").change, Change::Unchanged);
        assert_eq!(get(text, "b"), Some("2"));
        assert_eq!(get("; b=3\n", "b"), None);
    }

    #[test]
    fn keys_and_values_are_checked() {
        assert!(check_key("port").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("a=b").unwrap_err().contains("'='"));
        assert!(check_key("#a").is_err());
        assert!(check_key(" a").is_err());
        assert!(check_value("x\ny").unwrap_err().contains("single line"));
    }
}
