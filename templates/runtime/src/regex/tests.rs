use super::tests_cases::{EXPAND, SEARCH};
use super::*;
use crate::json;

fn re(ir: &str) -> Regex {
    Regex::decode(&json::parse(ir).unwrap()).unwrap()
}

fn units(subject: &str, mode: Mode) -> Vec<u32> {
    match mode {
        Mode::Str => subject.chars().map(u32::from).collect(),
        Mode::Bytes => subject.bytes().map(u32::from).collect(),
    }
}

fn spans_json(spans: &Option<Spans>) -> json::Value {
    match spans {
        None => json::Value::Null,
        Some(spans) => json::Value::Array(
            spans
                .iter()
                .map(|s| match s {
                    None => json::Value::Null,
                    Some((a, b)) => json::Value::Array(vec![
                        json::Value::Int(*a as i64),
                        json::Value::Int(*b as i64),
                    ]),
                })
                .collect(),
        ),
    }
}

/// A pattern (for messages), its IR and (subject, expected spans) pairs.
type Case = (String, json::Value, Vec<(String, json::Value)>);

/// Searches every subject of `cases` and returns the disagreements with Python.
fn check_search(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for (pattern, ir, subjects) in cases {
        let regex = match Regex::decode(ir) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{pattern}: {e}"));
                continue;
            }
        };
        for (subject, want) in subjects {
            let got = regex.search_units(&units(subject, regex.mode()));
            match got {
                Ok(spans) if spans_json(&spans) == *want => {}
                other => failures.push(format!(
                    "{pattern} in {subject:?}: want {}, got {:?}",
                    want.to_compact(),
                    other.map(|s| spans_json(&s).to_compact())
                )),
            }
        }
    }
    failures
}

fn report(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ from Python:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn search_agrees_with_python() {
    let cases: Vec<_> = SEARCH
        .iter()
        .map(|(pattern, ir, subjects)| {
            let ir = json::parse(ir).unwrap();
            let subjects: Vec<(String, json::Value)> = subjects
                .iter()
                .map(|(s, want)| {
                    let s = json::parse(s).unwrap().as_str().unwrap().to_string();
                    (s, json::parse(want).unwrap())
                })
                .collect();
            (pattern.to_string(), ir, subjects)
        })
        .collect();
    let total = cases.iter().map(|c| c.2.len()).sum();
    report(&check_search(&cases), total);
}

#[test]
fn expand_agrees_with_python() {
    let mut failures = Vec::new();
    for (ir, subject, template, want) in EXPAND {
        let regex = re(ir);
        let subject = json::parse(subject).unwrap().as_str().unwrap().to_string();
        let template = json::parse(template).unwrap().as_str().unwrap().to_string();
        let want = json::parse(want).unwrap();
        let mode = regex.mode();
        let subject_units = units(&subject, mode);
        let spans = regex.search_units(&subject_units).unwrap().unwrap();
        let got = regex.expand_units(&units(&template, mode), &subject_units, &spans);
        let got = match got {
            Ok(out) => match mode {
                Mode::Str => json::obj([(
                    "ok",
                    json::Value::str(
                        out.iter()
                            .filter_map(|&u| char::from_u32(u))
                            .collect::<String>(),
                    ),
                )]),
                Mode::Bytes => json::obj([(
                    "ok",
                    json::Value::Array(out.iter().map(|&u| json::Value::Int(u as i64)).collect()),
                )]),
            },
            Err(e) => json::obj([("error", json::Value::str(e))]),
        };
        if got != want {
            failures.push(format!(
                "{template:?}: want {}, got {}",
                want.to_compact(),
                got.to_compact()
            ));
        }
    }
    report(&failures, EXPAND.len());
}

/// Cases from `tools/gen_regex_cases.py --fuzz N FILE` (run by `tests/test_regex_lowering.py`).
#[test]
fn external_cases() {
    let Some(path) = std::env::var_os("RUSTLE_REGEX_CASES") else {
        return;
    };
    let text = std::fs::read(path).expect("readable cases");
    let all = json::parse_bytes(&text).expect("JSON cases");
    let cases: Vec<_> = all
        .as_array()
        .unwrap_or_default()
        .iter()
        .map(|case| {
            let pattern = case.get("pattern").unwrap().to_text();
            let ir = case.get("ir").unwrap().clone();
            let subjects: Vec<(String, json::Value)> = case
                .get("subjects")
                .and_then(json::Value::as_array)
                .unwrap_or_default()
                .iter()
                .map(|pair| {
                    let pair = pair.as_array().unwrap();
                    (pair[0].as_str().unwrap().to_string(), pair[1].clone())
                })
                .collect();
            (pattern, ir, subjects)
        })
        .collect();
    let total = cases.iter().map(|c| c.2.len()).sum();
    report(&check_search(&cases), total);
}

#[test]
fn spans_and_modes() {
    let r = re(
        r#"{"v":1,"mode":"str","groups":1,"names":{},"re":["seq",["at","beginning"],["repeat",0,1,"greedy",["char",35]],["char",80],["group",1,["repeat",1,null,"greedy",["set",null,false,["uni_digit"]]]]]}"#,
    );
    assert_eq!(
        r.search_str("#P22x").unwrap(),
        Some(vec![Some((0, 4)), Some((2, 4))])
    );
    assert_eq!(r.search_str("xP22").unwrap(), None);
    assert_eq!(
        r.match_str("#P2").unwrap(),
        Some(vec![Some((0, 3)), Some((2, 3))])
    );
    assert!(r
        .search_bytes(b"#P2")
        .unwrap_err()
        .contains("string pattern"));
}

#[test]
fn catastrophic_backtracking_stops_with_an_error() {
    // (a+)+b on "aaaa…c"
    let r = re(
        r#"{"v":1,"mode":"str","groups":1,"names":{},"re":["seq",["repeat",1,null,"greedy",["group",1,["repeat",1,null,"greedy",["char",97]]]],["char",98]]}"#,
    );
    let subject = "a".repeat(40) + "c";
    let err = r.search_str(&subject).unwrap_err();
    assert!(err.contains("catastrophic backtracking"), "{err}");
}

#[test]
fn long_subjects_do_not_overflow_the_stack() {
    // ^(?:a|b)*c$ over 200 000 characters: deep backtracking state, no recursion.
    let r = re(
        r#"{"v":1,"mode":"bytes","groups":0,"names":{},"re":["seq",["at","beginning"],["repeat",0,null,"greedy",["alt",["char",97],["char",98]]],["char",99],["at","end"]]}"#,
    );
    let mut subject = "ab".repeat(100_000).into_bytes();
    subject.push(b'c');
    assert_eq!(
        r.search_bytes(&subject).unwrap(),
        Some(vec![Some((0, 200_001))])
    );
}

#[test]
fn bad_ir_is_refused() {
    for ir in [
        r#"{"v":2,"mode":"str","groups":0,"re":["seq"]}"#,
        r#"{"v":1,"mode":"text","groups":0,"re":["seq"]}"#,
        r#"{"v":1,"mode":"str","groups":0,"re":["group",1,["seq"]]}"#,
        r#"{"v":1,"mode":"str","groups":0,"re":["bogus"]}"#,
        r#"{"v":1,"mode":"str","groups":0,"re":["set",null,false,["nope"]]}"#,
        r#"{"v":1,"mode":"str","groups":0,"re":["repeat",3,2,"greedy",["char",97]]}"#,
    ] {
        let err = Regex::decode(&json::parse(ir).unwrap()).unwrap_err();
        assert!(err.starts_with("bad regex IR"), "{err}");
    }
}
