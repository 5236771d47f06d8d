//! Host pattern matching: `all`/`*`, globs with `*` and `?`, alternatives
//! separated by `:` or `,`, `!exclusions` and `&intersections`.

/// Whether `host` matches any of the patterns.
pub fn matches_any(patterns: &[String], host: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, host))
}

/// Whether `host` matches one pattern expression such as `web*:!web3`.
pub fn pattern_matches(pattern: &str, host: &str) -> bool {
    let mut regular = Vec::new();
    let mut intersect = Vec::new();
    let mut exclude = Vec::new();
    for part in pattern.split([':', ',']).map(str::trim) {
        if let Some(rest) = part.strip_prefix('!') {
            exclude.push(rest);
        } else if let Some(rest) = part.strip_prefix('&') {
            intersect.push(rest);
        } else if !part.is_empty() {
            regular.push(part);
        }
    }
    if regular.is_empty() && intersect.is_empty() && exclude.is_empty() {
        return false;
    }
    // Only exclusions/intersections given: start from "all" (as Ansible).
    let included = regular.is_empty() || regular.iter().any(|p| single(p, host));
    included
        && intersect.iter().all(|p| single(p, host))
        && !exclude.iter().any(|p| single(p, host))
}

fn single(pattern: &str, host: &str) -> bool {
    pattern == "all" || pattern == "*" || glob(pattern, host)
}

/// Glob match supporting `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Position of the last '*' seen and the text index it currently covers to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let table = [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("web?", "web1", true),
            ("web?", "web12", false),
            ("web*", "web", true),
            ("web*", "web-01.example", true),
            ("*.example", "db.example", true),
            ("*.example", "db.example.org", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**a", "bba", true),
            ("h?st", "höst", true),
            ("local", "localhost", false),
        ];
        for (pattern, text, expected) in table {
            assert_eq!(glob(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn pattern_table() {
        let table = [
            ("all", "x", true),
            ("*", "x", true),
            ("localhost", "localhost", true),
            ("localhost", "web1", false),
            ("web*", "web1", true),
            ("db:web*", "web1", true),
            ("db,web*", "web1", true),
            ("db, web1", "web1", true),
            ("web*:!web1", "web1", false),
            ("web*:!web1", "web2", true),
            ("!web1", "web2", true),
            ("!web1", "web1", false),
            ("all:!db*", "db1", false),
            ("web*:&*1", "web1", true),
            ("web*:&*1", "web2", false),
            ("", "web1", false),
            (",:", "web1", false),
        ];
        for (pattern, host, expected) in table {
            assert_eq!(
                pattern_matches(pattern, host),
                expected,
                "{pattern:?} vs {host:?}"
            );
        }
    }

    #[test]
    fn any_of_several_patterns() {
        let patterns = vec!["db*".to_string(), "web1".to_string()];
        assert!(matches_any(&patterns, "web1"));
        assert!(matches_any(&patterns, "db7"));
        assert!(!matches_any(&patterns, "web2"));
        assert!(!matches_any(&[], "web2"));
    }
}
