//! End-to-end tests through `run_with_args` with small payloads.

use crate::json::{self, Value};
use crate::report::banner;
use crate::run_with_args;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(payload: &str, args: &[&str]) -> Run {
    run_bytes(payload.as_bytes(), args)
}

fn run_bytes(payload: &[u8], args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_with_args(payload, &args, &mut out, &mut err);
    Run {
        code,
        out: String::from_utf8(out).expect("stdout is UTF-8"),
        err: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

/// Runs with `--format json`; checks stdout is exactly one JSON document.
fn run_json(payload: &str, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let r = run(payload, &all);
    assert_eq!(r.err, "", "no stderr expected");
    assert!(
        r.out.ends_with('\n') && r.out.matches('\n').count() == 1,
        "{}",
        r.out
    );
    (
        r.code,
        json::parse(&r.out).expect("stdout is one JSON document"),
    )
}

fn js(s: &str) -> String {
    Value::str(s).to_compact()
}

fn play(name: &str, tasks: &[String], handlers: &[String]) -> String {
    format!(
        r#"{{"play_id": "p-{name}", "name": {}, "hosts": ["localhost"], "strategy": "linear", "tasks": [{}], "handlers": [{}]}}"#,
        js(name),
        tasks.join(", "),
        handlers.join(", ")
    )
}

fn plan_of(plays: &[String]) -> String {
    format!(
        r#"{{"format": 3, "plan": {{"name": "demo", "hash": "0123456789abcdef0123"}},
            "variables": {{"greeting": "hi from vars", "both": "vars", "nested": {{"list": [10, 20]}}}},
            "plays": [{}]}}"#,
        plays.join(", ")
    )
}

fn plan(tasks: &[String], handlers: &[String]) -> String {
    plan_of(&[play("Demo play", tasks, handlers)])
}

/// A task; `extra` holds additional fields such as `"tags": ["a"]`.
fn task(name: &str, module: &str, args: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    format!(
        r#"{{"task_id": "id-{name}", "name": {}, "module": "{module}", "args": {args}{extra}}}"#,
        js(name)
    )
}

fn debug_msg(name: &str, msg: &str, extra: &str) -> String {
    task(
        name,
        "debug",
        &format!(r#"{{"msg": {}, "verbosity": 0}}"#, js(msg)),
        extra,
    )
}

fn debug_var(name: &str, var: &str) -> String {
    task(
        name,
        "debug",
        &format!(r#"{{"var": {}, "verbosity": 0}}"#, js(var)),
        "",
    )
}

fn command(name: &str, argv: &[&str], extra: &str) -> String {
    let argv: Vec<String> = argv.iter().map(|a| js(a)).collect();
    task(
        name,
        "command",
        &format!(r#"{{"argv": [{}]}}"#, argv.join(", ")),
        extra,
    )
}

fn shell(name: &str, cmd: &str, extra: &str) -> String {
    task(name, "shell", &format!(r#"{{"cmd": {}}}"#, js(cmd)), extra)
}

fn records<'a>(report: &'a Value, list: &str) -> &'a [Value] {
    report
        .get(list)
        .and_then(Value::as_array)
        .expect("task list")
}

fn names(report: &Value, list: &str) -> Vec<String> {
    records(report, list)
        .iter()
        .map(|t| t.get("name").and_then(Value::as_str).unwrap().to_string())
        .collect()
}

fn record<'a>(report: &'a Value, name: &str) -> &'a Value {
    records(report, "tasks")
        .iter()
        .chain(records(report, "handlers"))
        .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no record named {name}"))
}

fn field<'a>(report: &'a Value, name: &str, key: &str) -> &'a Value {
    record(report, name).get(key).expect("field present")
}

fn status(report: &Value, name: &str) -> String {
    field(report, name, "status").as_str().unwrap().to_string()
}

fn msg(report: &Value, name: &str) -> String {
    field(report, name, "msg").to_text()
}

fn recap(report: &Value) -> [i64; 5] {
    let r = report.get("recap").unwrap();
    ["ok", "changed", "failed", "skipped", "ignored"].map(|k| r.get(k).unwrap().as_i64().unwrap())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("rustle-rt-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(fs::canonicalize(&path).unwrap())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn str(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn text_output_matches_ansible_layout() {
    let payload = plan(
        &[
            debug_msg("say hello", "hello", ""),
            command("run true", &["true"], ""),
            debug_msg(
                "quiet",
                "x",
                r#""tags": ["t"], "host_patterns": ["nomatch"]"#,
            ),
        ],
        &[],
    );
    let r = run(&payload, &[]);
    assert_eq!(r.code, 0);
    assert_eq!(r.err, "");
    let expected = format!(
        "\n{}\n\n{}\nok: [localhost] => {{\n    \"msg\": \"hello\"\n}}\n\n{}\nchanged: [localhost]\n\n{}\nskipping: [localhost]\n\n{}\n\
         localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0\n\n",
        banner("PLAY [Demo play]"),
        banner("TASK [say hello]"),
        banner("TASK [run true]"),
        banner("TASK [quiet]"),
        banner("PLAY RECAP"),
    );
    assert_eq!(r.out, expected);
    assert!(r
        .out
        .contains(&format!("PLAY [Demo play] {}\n", "*".repeat(63))));
}

#[test]
fn json_report_shape() {
    let payload = plan(
        &[
            debug_msg("say", "hello", ""),
            command("echo", &["echo", "hi"], r#""notify": ["h"]"#),
        ],
        &[debug_msg("h", "handled", "")],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "plan",
            "host",
            "started_at",
            "duration_ms",
            "check_mode",
            "tasks",
            "handlers",
            "recap"
        ]
    );
    assert_eq!(
        report.get("plan").unwrap().to_compact(),
        r#"{"name":"demo","hash":"0123456789abcdef0123"}"#
    );
    assert_eq!(report.get("host"), Some(&Value::str("localhost")));
    assert_eq!(report.get("check_mode"), Some(&Value::Bool(false)));
    assert!(report.get("duration_ms").unwrap().as_i64().unwrap() >= 0);
    let started = report.get("started_at").unwrap().as_str().unwrap();
    let b = started.as_bytes();
    assert_eq!(b.len(), 20, "{started}");
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16], b[19]),
        (b'-', b'-', b'T', b':', b':', b'Z')
    );

    let task_keys = [
        "task_id",
        "name",
        "module",
        "status",
        "changed",
        "ignored",
        "msg",
        "rc",
        "stdout",
        "stderr",
        "duration_ms",
    ];
    for t in records(&report, "tasks")
        .iter()
        .chain(records(&report, "handlers"))
    {
        let k: Vec<&str> = t
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(k, task_keys);
    }
    let say = record(&report, "say");
    assert!(say.get("duration_ms").unwrap().as_i64().unwrap() >= 0);
    let without_duration: Vec<(String, Value)> = say
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k != "duration_ms")
        .cloned()
        .collect();
    assert_eq!(
        Value::Object(without_duration).to_compact(),
        r#"{"task_id":"id-say","name":"say","module":"debug","status":"ok","changed":false,"ignored":false,"msg":"hello","rc":null,"stdout":"","stderr":""}"#
    );
    let echo = record(&report, "echo");
    assert_eq!(echo.get("status"), Some(&Value::str("changed")));
    assert_eq!(echo.get("changed"), Some(&Value::Bool(true)));
    assert_eq!(echo.get("rc"), Some(&Value::Int(0)));
    assert_eq!(echo.get("stdout"), Some(&Value::str("hi")));
    assert_eq!(names(&report, "handlers"), ["h"]);
    assert_eq!(
        report.get("recap").unwrap().to_compact(),
        r#"{"ok":3,"changed":1,"failed":0,"skipped":0,"ignored":0}"#
    );
}

#[test]
fn printf_with_quotes_runs_without_a_shell() {
    let tricky = r#"say "hi" #}} \ back 'single' $RUSTLE_UNSET_VAR `x`"#;
    let payload = plan(
        &[command(
            "printf",
            &["printf", "%s|%s\n", tricky, "é\u{200F}😀"],
            "",
        )],
        &[],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        field(&report, "printf", "stdout").as_str().unwrap(),
        format!("{tricky}|é\u{200F}😀")
    );
}

#[test]
fn failure_stops_the_host_and_skips_handlers() {
    let payload = plan_of(&[
        play(
            "first",
            &[
                command("changes", &["true"], r#""notify": ["h"]"#),
                command("fails", &["false"], r#""notify": ["h"]"#),
                debug_msg("after", "never printed", ""),
            ],
            &[debug_msg("h", "handler", "")],
        ),
        play("second", &[debug_msg("second play task", "x", "")], &[]),
    ]);
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 2);
    assert_eq!(names(&report, "tasks"), ["changes", "fails"]);
    assert!(names(&report, "handlers").is_empty());
    assert_eq!(status(&report, "fails"), "failed");
    assert_eq!(msg(&report, "fails"), "non-zero return code");
    assert_eq!(field(&report, "fails", "rc"), &Value::Int(1));
    assert_eq!(field(&report, "fails", "changed"), &Value::Bool(true));
    assert_eq!(recap(&report), [1, 1, 1, 0, 0]);

    let r = run(&payload, &[]);
    assert_eq!(r.code, 2);
    assert!(r.out.contains(
        "fatal: [localhost]: FAILED! => {\"changed\": true, \"msg\": \"non-zero return code\", \"rc\": 1, \"stderr\": \"\", \"stdout\": \"\"}\n"
    ));
    assert!(!r.out.contains("after"));
    assert!(!r.out.contains("PLAY [second]"));
    assert!(!r.out.contains("RUNNING HANDLER"));
    assert!(r.out.contains("failed=1 "));
}

#[test]
fn ignored_failures_continue_and_count_as_ignored() {
    let payload = plan(
        &[
            shell("fails", "echo oops >&2; exit 4", r#""ignore_errors": true"#),
            debug_msg("after", "still here", ""),
        ],
        &[],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(status(&report, "fails"), "failed");
    assert_eq!(field(&report, "fails", "rc"), &Value::Int(4));
    assert_eq!(field(&report, "fails", "stderr"), &Value::str("oops"));
    assert_eq!(status(&report, "after"), "ok");
    assert_eq!(recap(&report), [2, 1, 0, 0, 1]);

    let r = run(&payload, &[]);
    assert_eq!(r.code, 0);
    assert!(r
        .out
        .contains("\"rc\": 4, \"stderr\": \"oops\", \"stdout\": \"\"}\n...ignoring\n"));
    assert!(r
        .out
        .contains("failed=0    skipped=0    rescued=0    ignored=1\n"));
}

#[test]
fn creates_removes_and_chdir() {
    let dir = TempDir::new("paths");
    fs::write(dir.path("present.txt"), "x").unwrap();
    let chdir = format!(r#""chdir": {}"#, js(dir.str()));
    let with = |name: &str, argv: &[&str], opts: &str| {
        let argv: Vec<String> = argv.iter().map(|a| js(a)).collect();
        task(
            name,
            "command",
            &format!(r#"{{"argv": [{}], {opts}}}"#, argv.join(", ")),
            "",
        )
    };
    let missing_dir = dir.path("nope");
    let payload = plan(
        &[
            with(
                "creates hit",
                &["touch", "made-by-creates"],
                &format!(r#"{chdir}, "creates": "present.txt""#),
            ),
            with(
                "removes miss",
                &["touch", "made-by-removes"],
                &format!(r#"{chdir}, "removes": "absent.txt""#),
            ),
            with(
                "creates miss",
                &["pwd"],
                &format!(r#"{chdir}, "creates": "absent.txt""#),
            ),
            with(
                "removes hit",
                &["touch", "made"],
                &format!(
                    r#"{chdir}, "removes": {}"#,
                    js(dir.path("present.txt").to_str().unwrap())
                ),
            ),
            task(
                "bad chdir",
                "command",
                &format!(
                    r#"{{"argv": ["pwd"], "chdir": {}}}"#,
                    js(missing_dir.to_str().unwrap())
                ),
                r#""ignore_errors": true"#,
            ),
        ],
        &[],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(status(&report, "creates hit"), "ok");
    assert_eq!(
        field(&report, "creates hit", "changed"),
        &Value::Bool(false)
    );
    assert_eq!(field(&report, "creates hit", "rc"), &Value::Int(0));
    assert_eq!(
        msg(&report, "creates hit"),
        "Did not run command since 'present.txt' exists"
    );
    assert_eq!(status(&report, "removes miss"), "ok");
    assert_eq!(
        msg(&report, "removes miss"),
        "Did not run command since 'absent.txt' does not exist"
    );
    assert!(!dir.path("made-by-creates").exists());
    assert!(!dir.path("made-by-removes").exists());
    assert_eq!(status(&report, "creates miss"), "changed");
    assert_eq!(
        field(&report, "creates miss", "stdout"),
        &Value::str(dir.str())
    );
    assert_eq!(status(&report, "removes hit"), "changed");
    assert!(dir.path("made").exists());
    assert_eq!(status(&report, "bad chdir"), "failed");
    assert_eq!(
        msg(&report, "bad chdir"),
        format!(
            "Unable to change directory before execution: [Errno 2] No such file or directory: '{}'",
            missing_dir.display()
        )
    );
    assert_eq!(field(&report, "bad chdir", "rc"), &Value::Null);
}

#[test]
fn check_mode_skips_commands_but_honours_overrides() {
    let dir = TempDir::new("check");
    fs::write(dir.path("present"), "").unwrap();
    let marker = |n: &str| dir.path(n).to_str().unwrap().to_string();
    let payload = plan(
        &[
            command("plain", &["touch", &marker("m1")], ""),
            shell(
                "forced",
                &format!("touch '{}'", marker("m2")),
                r#""check_mode": false"#,
            ),
            task(
                "would skip anyway",
                "shell",
                &format!(
                    r#"{{"cmd": "touch m3", "chdir": {}, "creates": "present"}}"#,
                    js(dir.str())
                ),
                "",
            ),
            debug_msg("debug still runs", "x", ""),
            command(
                "always checked",
                &["touch", &marker("m4")],
                r#""check_mode": true"#,
            ),
        ],
        &[],
    );
    let (code, report) = run_json(&payload, &["--check"]);
    assert_eq!(code, 0);
    assert_eq!(report.get("check_mode"), Some(&Value::Bool(true)));
    assert_eq!(status(&report, "plain"), "skipped");
    assert_eq!(
        msg(&report, "plain"),
        "Command would have run if not in check mode"
    );
    assert_eq!(status(&report, "forced"), "changed");
    assert_eq!(status(&report, "would skip anyway"), "ok");
    assert_eq!(
        msg(&report, "would skip anyway"),
        "Did not run command since 'present' exists"
    );
    assert_eq!(status(&report, "debug still runs"), "ok");
    assert_eq!(status(&report, "always checked"), "skipped");
    assert!(!dir.path("m1").exists());
    assert!(dir.path("m2").exists());
    assert!(!dir.path("m3").exists());
    assert!(!dir.path("m4").exists());
    assert_eq!(recap(&report), [3, 1, 0, 2, 0]);

    // Without --check only the task forcing check mode is skipped.
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(status(&report, "plain"), "changed");
    assert_eq!(status(&report, "always checked"), "skipped");
    assert!(dir.path("m1").exists());
    assert!(!dir.path("m4").exists());
}

#[test]
fn handlers_run_once_only_when_notified_by_a_change() {
    let dir = TempDir::new("handlers");
    fs::write(dir.path("present"), "").unwrap();
    let payload = plan(
        &[
            command("change", &["true"], r#""notify": ["restart"]"#),
            debug_msg("no change", "x", r#""notify": ["never fires"]"#),
            task(
                "creates skip",
                "command",
                &format!(
                    r#"{{"argv": ["true"], "chdir": {}, "creates": "present"}}"#,
                    js(dir.str())
                ),
                r#""notify": ["reload"]"#,
            ),
            command("change again", &["true"], r#""notify": ["restart"]"#),
            command(
                "skipped by tags",
                &["true"],
                r#""notify": ["reload"], "tags": ["never"]"#,
            ),
        ],
        &[
            debug_msg("never fires", "x", ""),
            debug_msg("chained", "second", ""),
            command("restart", &["true"], r#""notify": ["chained"]"#),
            debug_msg("reload", "x", ""),
        ],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(names(&report, "handlers"), ["restart", "chained"]);
    // Outside the tag selection: not reported at all, as in ansible-playbook.
    assert!(!names(&report, "tasks")
        .iter()
        .any(|n| n == "skipped by tags"));
    let r = run(&payload, &[]);
    assert_eq!(r.out.matches("RUNNING HANDLER [restart]").count(), 1);
    assert!(r.out.contains(&format!(
        "{}\nok: [localhost] => {{\n    \"msg\": \"second\"\n}}\n",
        banner("RUNNING HANDLER [chained]")
    )));
    assert!(!r.out.contains("RUNNING HANDLER [reload]"));
}

#[test]
fn register_and_variable_precedence() {
    let payload = plan(
        &[
            command("lines", &["printf", "a\\nb\\n"], r#""register": "out""#),
            debug_var("show lines", "out.stdout_lines"),
            debug_var("from vars", "greeting"),
            debug_var("nested", "nested.list.1"),
            debug_var("missing", "no_such_var"),
            debug_var("host", "inventory_hostname"),
            command("shadow", &["echo", "registered"], r#""register": "both""#),
            debug_var("precedence", "both.stdout"),
            debug_var("whole", "both"),
        ],
        &[],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 0);
    assert_eq!(msg(&report, "show lines"), r#"["a","b"]"#);
    assert_eq!(msg(&report, "from vars"), "hi from vars");
    assert_eq!(msg(&report, "nested"), "20");
    assert_eq!(msg(&report, "missing"), "VARIABLE IS NOT DEFINED!");
    assert_eq!(msg(&report, "host"), "localhost");
    assert_eq!(msg(&report, "precedence"), "registered");
    let whole = json::parse(&msg(&report, "whole")).unwrap();
    assert_eq!(whole.get("rc"), Some(&Value::Int(0)));
    assert_eq!(whole.get("changed"), Some(&Value::Bool(true)));

    // Extra vars beat registered results and plan variables.
    let (_, report) = run_json(
        &payload,
        &[
            "-e",
            "greeting=from cli",
            "-e",
            r#"{"both": {"stdout": "extra"}}"#,
        ],
    );
    assert_eq!(msg(&report, "from vars"), "from cli");
    assert_eq!(msg(&report, "precedence"), "extra");

    let r = run(&payload, &["--host", "web1"]);
    assert!(r
        .out
        .contains("ok: [web1] => {\n    \"greeting\": \"hi from vars\"\n}\n"));
    assert!(r.out.contains(
        "ok: [web1] => {\n    \"out.stdout_lines\": [\n        \"a\",\n        \"b\"\n    ]\n}\n"
    ));
    assert!(r
        .out
        .contains("ok: [web1] => {\n    \"no_such_var\": \"VARIABLE IS NOT DEFINED!\"\n}\n"));
    assert!(r
        .out
        .contains("ok: [web1] => {\n    \"inventory_hostname\": \"web1\"\n}\n"));
}

#[test]
fn inventory_variables_have_the_lowest_precedence() {
    let payload = plan(
        &[
            debug_var("inventory only", "port"),
            debug_var("plan beats inventory", "greeting"),
            debug_var("templated", "url"),
            debug_var("groups", "groups"),
            debug_var("group names", "group_names"),
            debug_var("hostvars", "hostvars.web1.port"),
        ],
        &[],
    );
    let inventory = r#"{"vars": {"port": 8080, "greeting": "from inventory", "url": "?"},
        "var_templates": [[["url"], [["text", "http://"], ["out", ["var", "inventory_hostname"]],
                                     ["text", ":"], ["out", ["var", "port"]]]]],
        "groups": {"all": ["web1", "db1"], "web": ["web1"], "ungrouped": []},
        "group_names": ["web"]}"#;
    let (code, report) = run_json(&payload, &["--host", "web1", "--inventory", inventory]);
    assert_eq!(code, 0);
    assert_eq!(msg(&report, "inventory only"), "8080");
    assert_eq!(msg(&report, "plan beats inventory"), "hi from vars");
    assert_eq!(msg(&report, "templated"), "http://web1:8080");
    assert_eq!(
        msg(&report, "groups"),
        r#"{"all":["web1","db1"],"web":["web1"],"ungrouped":[]}"#
    );
    assert_eq!(msg(&report, "group names"), r#"["web"]"#);
    assert_eq!(msg(&report, "hostvars"), "8080");

    // Extra vars beat inventory variables, and templates read them.
    let (_, report) = run_json(
        &payload,
        &["--host", "web1", "--inventory", inventory, "-e", "port=9"],
    );
    assert_eq!(msg(&report, "inventory only"), "9");
    assert_eq!(msg(&report, "templated"), "http://web1:9");

    // Without an inventory: no group but all, which holds the host alone.
    let (_, report) = run_json(&payload, &["--host", "web1"]);
    assert_eq!(msg(&report, "inventory only"), "VARIABLE IS NOT DEFINED!");
    assert_eq!(msg(&report, "groups"), r#"{"all":["web1"]}"#);
    assert_eq!(msg(&report, "group names"), "[]");
}

#[test]
fn debug_verbosity_and_verbose_command_results() {
    let payload = plan(
        &[
            task(
                "loud",
                "debug",
                r#"{"msg": "only with -v", "verbosity": 1}"#,
                "",
            ),
            command("echo", &["echo", "hi"], ""),
        ],
        &[],
    );
    let (_, report) = run_json(&payload, &[]);
    assert_eq!(status(&report, "loud"), "skipped");
    assert_eq!(field(&report, "loud", "changed"), &Value::Bool(false));
    let (_, report) = run_json(&payload, &["-v"]);
    assert_eq!(status(&report, "loud"), "ok");
    assert_eq!(msg(&report, "loud"), "only with -v");

    let r = run(&payload, &[]);
    assert!(r.out.contains("skipping: [localhost]\n"));
    assert!(r.out.contains("changed: [localhost]\n"));
    let r = run(&payload, &["-vv"]);
    assert!(r
        .out
        .contains("ok: [localhost] => {\n    \"msg\": \"only with -v\"\n}\n"));
    assert!(r.out.contains(
        "changed: [localhost] => {\"changed\": true, \"msg\": \"\", \"rc\": 0, \"stderr\": \"\", \
         \"stderr_lines\": [], \"stdout\": \"hi\", \"stdout_lines\": [\"hi\"]}\n"
    ));
}

#[test]
fn tag_selection_end_to_end() {
    let payload = plan(
        &[
            debug_msg("untagged", "x", ""),
            debug_msg("tag a", "x", r#""tags": ["a"]"#),
            debug_msg("tag b", "x", r#""tags": ["b"]"#),
            debug_msg("always", "x", r#""tags": ["always"]"#),
            debug_msg("never", "x", r#""tags": ["never", "debugonly"]"#),
            debug_msg("skip field", "x", r#""tags": ["a"], "skip_tags": ["c"]"#),
        ],
        &[],
    );
    // The tasks that run; the others are not reported, as in ansible-playbook.
    let selected = |args: &[&str]| -> Vec<String> {
        let (code, report) = run_json(&payload, args);
        assert_eq!(code, 0);
        names(&report, "tasks")
    };
    let all = [
        "untagged",
        "tag a",
        "tag b",
        "always",
        "never",
        "skip field",
    ];
    let pick =
        |which: &[usize]| -> Vec<String> { which.iter().map(|i| all[*i].to_string()).collect() };
    assert_eq!(selected(&[]), pick(&[0, 1, 2, 3, 5]));
    assert_eq!(selected(&["--tags", "a"]), pick(&[1, 3, 5]));
    assert_eq!(selected(&["--tags=a,c"]), pick(&[1, 3]));
    assert_eq!(selected(&["--tags", "debugonly"]), pick(&[3, 4]));
    assert_eq!(selected(&["--skip-tags", "a,always"]), pick(&[0, 2]));
    assert_eq!(selected(&["--tags", "untagged"]), pick(&[0, 3]));
    assert_eq!(
        selected(&["--tags", "tagged", "--skip-tags", "b"]),
        pick(&[1, 3, 5])
    );
}

#[test]
fn host_patterns_and_hosts_filter() {
    let payload = plan(
        &[
            debug_msg("web only", "x", r#""host_patterns": ["web*"]"#),
            debug_msg("db or web1", "x", r#""host_patterns": ["db*:web1"]"#),
            debug_msg("not web1", "x", r#""host_patterns": ["all:!web1"]"#),
            debug_msg("listed hosts", "x", r#""hosts": ["web1", "web2"]"#),
            debug_msg("other hosts", "x", r#""hosts": ["db1"]"#),
        ],
        &[],
    );
    let statuses = |args: &[&str]| -> Vec<String> {
        let (_, report) = run_json(&payload, args);
        assert_eq!(
            report.get("host"),
            Some(&Value::str(args.get(1).copied().unwrap_or("localhost")))
        );
        records(&report, "tasks")
            .iter()
            .map(|t| t.get("status").and_then(Value::as_str).unwrap().to_string())
            .collect()
    };
    let (ok, skip) = ("ok", "skipped");
    assert_eq!(statuses(&["--host", "web1"]), [ok, ok, skip, ok, skip]);
    assert_eq!(statuses(&["--host", "web2"]), [ok, skip, ok, ok, skip]);
    assert_eq!(statuses(&["--host", "db1"]), [skip, ok, ok, skip, ok]);
    // Without --host the hosts filter does not apply.
    assert_eq!(statuses(&[]), [skip, skip, ok, ok, ok]);
}

#[test]
fn list_tasks_output() {
    let payload = plan_of(&[
        play(
            "First",
            &[
                debug_msg("one", "x", r#""tags": ["b", "a", "b"]"#),
                debug_msg("two", "x", ""),
                debug_msg("hidden", "x", r#""tags": ["never"]"#),
            ],
            &[debug_msg("handler", "x", "")],
        ),
        play(
            "Second",
            &[command("three", &["true"], r#""tags": ["a"]"#)],
            &[],
        ),
    ]);
    let r = run(&payload, &["--list-tasks"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.out,
        "playbook: demo\n\n  play #1 (localhost): First\tTAGS: []\n    tasks:\n      one\tTAGS: [a, b]\n      two\tTAGS: []\n\n  play #2 (localhost): Second\tTAGS: []\n    tasks:\n      three\tTAGS: [a]\n"
    );
    let r = run(&payload, &["--list-tasks", "--tags", "b"]);
    assert_eq!(
        r.out,
        "playbook: demo\n\n  play #1 (localhost): First\tTAGS: []\n    tasks:\n      one\tTAGS: [a, b]\n\n  play #2 (localhost): Second\tTAGS: []\n    tasks:\n"
    );
}

#[test]
fn help_version_dump_and_usage_errors() {
    let payload = plan(&[debug_msg("x", "y", "")], &[]);
    let r = run(&payload, &["--help"]);
    assert_eq!((r.code, r.err.as_str()), (0, ""));
    assert!(r.out.starts_with("usage: rustle-plan [options]\n"));
    assert!(r.out.contains("--dump-plan"));
    // --help does not need a valid payload.
    assert_eq!(run("garbage", &["--help"]).code, 0);

    let r = run(&payload, &["--version"]);
    assert_eq!(
        (r.code, r.out.as_str()),
        (0, "rustle-runtime 0.1.0 (plan demo 0123456789ab)\n")
    );

    let r = run(&payload, &["--dump-plan"]);
    assert_eq!(r.code, 0);
    assert!(r
        .out
        .starts_with("{\n  \"format\": 3,\n  \"plan\": {\n    \"name\": \"demo\","));
    assert_eq!(json::parse(&r.out).unwrap(), json::parse(&payload).unwrap());

    let cases: [&[&str]; 5] = [
        &["--bogus"],
        &["--format", "xml"],
        &["--tags"],
        &["-e", "novalue"],
        &["extra"],
    ];
    for args in cases {
        let r = run(&payload, args);
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(r.out, "", "{args:?}");
        assert!(r.err.starts_with("error: "), "{args:?}: {}", r.err);
        assert!(
            r.err.contains("\nusage: rustle-plan [--check]"),
            "{args:?}: {}",
            r.err
        );
    }
}

#[test]
fn bad_payloads_exit_1_with_a_message() {
    let r = run(r#"{"format": 1, "plays": []}"#, &[]);
    assert_eq!((r.code, r.out.as_str()), (1, ""));
    assert_eq!(r.err, "error: unsupported payload format 1\n");
    let r = run("{\"format\": 3, \"plays\": [] } trailing", &[]);
    assert_eq!(r.code, 1);
    assert!(r
        .err
        .starts_with("error: payload is not valid JSON: trailing characters"));
    let r = run("", &["--version"]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("unexpected end of input"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = run(&deep, &[]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("nesting deeper than 256 levels"));
    let r = run_bytes(b"\xff\xfe", &[]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("invalid UTF-8"));
    let r = run(
        r#"{"format": 3, "plays": [{"tasks": [{"module": "debug", "ignore_errors": "yes"}]}]}"#,
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(r
        .err
        .contains("plays[0].tasks[0].ignore_errors: expected boolean, found string"));
}

#[test]
fn broken_task_arguments_fail_the_task_not_the_process() {
    let payload = plan(
        &[
            task(
                "unknown",
                "synchronize",
                r#"{"src": "a"}"#,
                r#""ignore_errors": true"#,
            ),
            task(
                "bad args",
                "command",
                r#""not an object""#,
                r#""ignore_errors": true"#,
            ),
            task(
                "no argv",
                "command",
                r#"{"argv": []}"#,
                r#""ignore_errors": true"#,
            ),
            command("missing program", &["rustle-definitely-missing-prog"], ""),
        ],
        &[],
    );
    let (code, report) = run_json(&payload, &[]);
    assert_eq!(code, 2);
    assert!(msg(&report, "unknown").starts_with("unsupported module 'synchronize'"));
    assert_eq!(
        msg(&report, "bad args"),
        "command: arguments must be an object, found string"
    );
    assert_eq!(msg(&report, "no argv"), "no command given");
    assert_eq!(
        msg(&report, "missing program"),
        "[Errno 2] No such file or directory: 'rustle-definitely-missing-prog'"
    );
    assert_eq!(field(&report, "missing program", "rc"), &Value::Int(2));
    assert_eq!(recap(&report), [3, 0, 1, 0, 3]);
}

#[test]
fn report_escapes_and_lossy_output() {
    let tricky = "quote \" backslash \\ \"# }} nul \u{0} rtl \u{200F} emoji 😀\nline2\ttab";
    let payload = plan(
        &[
            debug_msg("tricky", tricky, ""),
            task(
                "structured",
                "debug",
                r#"{"msg": {"k": [1, "two", null]}}"#,
                "",
            ),
            shell("binary", r"printf 'ok\377\n'; printf 'e\001' >&2", ""),
            task(
                "stdin",
                "shell",
                r#"{"cmd": "cat", "stdin": "piped \"in\"", "strip_empty_ends": false}"#,
                "",
            ),
        ],
        &[],
    );
    let r = run(&payload, &["--format", "json"]);
    assert_eq!(r.code, 0);
    assert!(r.out.contains(r#"nul \u0000 rtl "#));
    assert!(r.out.contains(r##"quote \" backslash \\ \"# }}"##));
    assert!(r.out.contains("rtl \u{200F} emoji 😀\\nline2\\ttab"));
    let report = json::parse(&r.out).unwrap();
    assert_eq!(msg(&report, "tricky"), tricky);
    assert_eq!(msg(&report, "structured"), r#"{"k":[1,"two",null]}"#);
    assert_eq!(
        field(&report, "binary", "stdout"),
        &Value::str("ok\u{FFFD}")
    );
    assert_eq!(field(&report, "binary", "stderr"), &Value::str("e\u{1}"));
    assert!(r.out.contains(r#""stderr":"e\u0001""#));
    assert_eq!(
        field(&report, "stdin", "stdout"),
        &Value::str("piped \"in\"\n")
    );

    let r = run(&payload, &[]);
    assert!(r.out.contains(
        "ok: [localhost] => {\n    \"msg\": \"quote \\\" backslash \\\\ \\\"# }} nul \\u0000 rtl \u{200F} emoji 😀\\nline2\\ttab\"\n}\n"
    ));
    assert!(r.out.contains(
        "ok: [localhost] => {\n    \"msg\": {\n        \"k\": [\n            1,\n            \"two\",\n            null\n        ]\n    }\n}\n"
    ));
}

#[test]
fn empty_plan_and_play_without_name() {
    let (code, report) = run_json(r#"{"format": 3, "plays": []}"#, &[]);
    assert_eq!(code, 0);
    assert_eq!(recap(&report), [0, 0, 0, 0, 0]);
    assert_eq!(
        report.get("plan").unwrap().to_compact(),
        r#"{"name":"","hash":""}"#
    );
    let r = run(
        r#"{"format": 3, "plays": [{"hosts": ["a", "b"], "tasks": []}]}"#,
        &[],
    );
    assert_eq!(r.code, 0);
    assert!(r.out.starts_with(&format!("\n{}\n", banner("PLAY [a,b]"))));
}

// --- modules compiled in by plugins ---------------------------------------------------

mod extension_modules {
    use super::*;
    use crate::modules::{params, ModuleContext, ModuleFn, Outcome};
    use crate::run_with_modules;

    /// Says `say`; reports a change unless in check mode (then it says it would).
    fn echo(args: &Value, ctx: &ModuleContext) -> Outcome {
        let say = match params::str_arg(args, "say") {
            Ok(Some(text)) => text,
            Ok(None) => return Outcome::failed("missing required arguments: say"),
            Err(e) => return Outcome::failed(e),
        };
        if ctx.check_mode {
            return Outcome::changed(format!("would say {say}"));
        }
        let mut out = Outcome::changed(format!("said {say} on {}", ctx.host));
        out.extra.push(("said".to_string(), Value::str(say)));
        out
    }

    fn quiet_debug(_: &Value, _: &ModuleContext) -> Outcome {
        Outcome::ok("replaced by a plugin")
    }

    fn panics(_: &Value, _: &ModuleContext) -> Outcome {
        panic!("plugin bug")
    }

    static MODULES: &[(&str, ModuleFn)] = &[
        ("example.echo", echo),
        ("echo", echo),
        ("debug", quiet_debug),
        ("example.panics", panics),
    ];

    fn run_ext(payload: &str, args: &[&str]) -> (i32, Value) {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--format".to_string(), "json".to_string()]);
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with_modules(payload.as_bytes(), &[], MODULES, &all, &mut out, &mut err);
        let out = String::from_utf8(out).unwrap();
        (code, json::parse(&out).expect("one JSON document"))
    }

    #[test]
    fn plugin_modules_run_before_the_built_ins() {
        let payload = plan(
            &[
                task(
                    "echo",
                    "example.echo",
                    r#"{"say": "hi"}"#,
                    r#""register": "r""#,
                ),
                task("alias", "echo", r#"{"say": 7}"#, ""),
                debug_msg("overridden", "never printed", ""),
                debug_var("registered", "r.said"),
            ],
            &[],
        );
        let (code, report) = run_ext(&payload, &[]);
        assert_eq!(code, 0);
        assert_eq!(status(&report, "echo"), "changed");
        assert_eq!(msg(&report, "echo"), "said hi on localhost");
        assert_eq!(msg(&report, "alias"), "said 7 on localhost");
        assert_eq!(status(&report, "overridden"), "ok");
        assert_eq!(msg(&report, "overridden"), "replaced by a plugin");
        assert_eq!(recap(&report), [4, 2, 0, 0, 0]);

        let (code, report) = run_ext(&payload, &["--check"]);
        assert_eq!(code, 0);
        assert_eq!(msg(&report, "echo"), "would say hi");
    }

    #[test]
    fn bad_arguments_and_panics_fail_the_task() {
        let payload = plan(
            &[task(
                "missing",
                "example.echo",
                "{}",
                r#""ignore_errors": true"#,
            )],
            &[],
        );
        let (code, report) = run_ext(&payload, &[]);
        assert_eq!(code, 0);
        assert_eq!(msg(&report, "missing"), "missing required arguments: say");

        let payload = plan(&[task("list args", "example.echo", "[1]", "")], &[]);
        let (code, report) = run_ext(&payload, &[]);
        assert_eq!(code, 2);
        assert_eq!(
            msg(&report, "list args"),
            "example.echo: arguments must be an object, found array"
        );

        let payload = plan(&[task("bug", "example.panics", "{}", "")], &[]);
        let (code, report) = run_ext(&payload, &[]);
        assert_eq!(code, 2);
        assert_eq!(status(&report, "bug"), "failed");
        assert_eq!(
            msg(&report, "bug"),
            "module 'example.panics' panicked: plugin bug"
        );
    }

    #[test]
    fn without_the_table_a_plugin_module_is_unknown() {
        let payload = plan(&[task("echo", "example.echo", r#"{"say": "hi"}"#, "")], &[]);
        let (code, report) = run_json(&payload, &[]);
        assert_eq!(code, 2);
        assert!(msg(&report, "echo").starts_with("unsupported module 'example.echo'"));
    }
}
