//! Output: ansible-playbook style text, the JSON report and `--list-tasks`.

use crate::cli::Options;
use crate::executor::{Listener, Recap, RunSummary, TaskRecord};
use crate::json::{obj, Value};
use crate::modules::Status;
use crate::payload::{Payload, Play, Task};
use crate::signals::Interrupt;
use crate::tags;
use std::fmt::Write as _;
use std::io::Write;

/// `TITLE ****...` padded with stars to 80 columns (at least three stars).
pub fn banner(title: &str) -> String {
    let stars = 79usize.saturating_sub(title.chars().count()).max(3);
    format!("{title} {}", "*".repeat(stars))
}

/// Streams ansible-playbook style text while the plan runs.
pub struct TextReporter<'a> {
    out: &'a mut dyn Write,
    host: String,
    verbosity: u32,
    /// `--diff`: print the diffs of changed results.
    diff: bool,
}

impl<'a> TextReporter<'a> {
    pub fn new(out: &'a mut dyn Write, host: &str, verbosity: u32) -> TextReporter<'a> {
        TextReporter {
            out,
            host: host.to_string(),
            verbosity,
            diff: false,
        }
    }

    /// With `diff`, a changed result's `diff` is printed before its result line, as
    /// `ansible-playbook --diff` does.
    pub fn with_diff(mut self, diff: bool) -> TextReporter<'a> {
        self.diff = diff;
        self
    }

    /// Prints the notice of a run a signal stopped (before the recap).
    pub fn interrupted(&mut self, signal: Interrupt) {
        self.emit(&interrupted_text(signal));
    }

    /// Prints the PLAY RECAP block.
    pub fn recap(&mut self, recap: &Recap) {
        self.emit(&recap_text(&self.host, recap));
    }

    fn emit(&mut self, text: &str) {
        // Output errors (e.g. a closed pipe) must not abort the run.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }
}

impl Listener for TextReporter<'_> {
    fn play_start(&mut self, play: &Play) {
        let name = if play.name.is_empty() {
            play.hosts.join(",")
        } else {
            play.name.clone()
        };
        self.emit(&format!("\n{}\n", banner(&format!("PLAY [{name}]"))));
    }

    fn task_start(&mut self, task: &Task, handler: bool) {
        let title = if handler {
            format!("RUNNING HANDLER [{}]", task.name)
        } else {
            format!("TASK [{}]", task.name)
        };
        self.emit(&format!("\n{}\n", banner(&title)));
    }

    fn task_done(&mut self, record: &TaskRecord) {
        let text = result_text(record, &self.host, self.verbosity, self.diff);
        self.emit(&text);
    }
}

/// The lines printed for one finished task.
pub fn result_line(record: &TaskRecord, host: &str, verbosity: u32) -> String {
    result_text(record, host, verbosity, false)
}

/// The lines printed for one finished task; with `diff` (`--diff`), each changed result's diff
/// text comes before its result line.
pub fn result_text(record: &TaskRecord, host: &str, verbosity: u32, diff: bool) -> String {
    if !record.items.is_empty() {
        return item_lines(record, host, diff);
    }
    let mut text = String::new();
    if diff && record.status != Status::Failed && record.status != Status::Skipped {
        text.push_str(&diff_display(&record.result));
    }
    text.push_str(&status_line(record, host, verbosity));
    text
}

/// What ansible-playbook's default callback displays for a result's `diff` (`v2_on_file_diff`):
/// nothing unless the result changed and has a non-empty `diff`; the text of
/// [`crate::textdiff::ansible_diff_text`], ending with a newline.
pub fn diff_display(result: &Value) -> String {
    let changed = result.get("changed").and_then(Value::as_bool) == Some(true);
    let Some(diff) = result.get("diff").filter(|d| changed && truthy(d)) else {
        return String::new();
    };
    let mut text = crate::textdiff::ansible_diff_text(diff);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Python's truth of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
    }
}

fn status_line(record: &TaskRecord, host: &str, verbosity: u32) -> String {
    match record.status {
        Status::Skipped => format!("skipping: [{host}]\n"),
        Status::Failed => {
            let mut details = vec![
                ("changed".to_string(), Value::Bool(record.changed)),
                ("msg".to_string(), record.msg.clone()),
            ];
            if let Some(rc) = record.rc {
                details.push(("rc".to_string(), Value::Int(rc)));
                details.push(("stderr".to_string(), Value::str(&record.stderr)));
                details.push(("stdout".to_string(), Value::str(&record.stdout)));
            }
            let mut text = format!(
                "fatal: [{host}]: FAILED! => {}\n",
                Value::Object(details).to_spaced()
            );
            if record.ignored {
                text.push_str("...ignoring\n");
            }
            text
        }
        Status::Ok | Status::Changed => {
            let label = record.status.as_str();
            match &record.display {
                Some(display) => format!("{label}: [{host}] => {}\n", display.to_pretty(4)),
                None if verbosity > 0 => {
                    format!(
                        "{label}: [{host}] => {}\n",
                        verbose_result(record, verbosity).to_spaced()
                    )
                }
                None => format!("{label}: [{host}]\n"),
            }
        }
    }
}

/// One line per loop item, as ansible-playbook prints them (under `--diff`, each changed
/// item's diff before its line).
fn item_lines(record: &TaskRecord, host: &str, diff: bool) -> String {
    let mut text = String::new();
    for item in &record.items {
        if diff && item.status != Status::Failed && item.status != Status::Skipped {
            text.push_str(&diff_display(&item.result));
        }
        let label = &item.label;
        let line = match item.status {
            Status::Skipped => format!("skipping: [{host}] => (item={label}) \n"),
            Status::Failed => {
                let mut members: Vec<(String, Value)> = item
                    .result
                    .as_object()
                    .unwrap_or_default()
                    .iter()
                    .filter(|(k, v)| {
                        k == "msg"
                            || k == "censored"
                            || k == "changed"
                            || k == "item"
                            || k == "rc"
                            || (k == "stderr" && !v.to_text().is_empty())
                    })
                    .cloned()
                    .collect();
                members.sort_by(|a, b| a.0.cmp(&b.0));
                format!(
                    "failed: [{host}] (item={label}) => {}\n",
                    Value::Object(members).to_spaced()
                )
            }
            Status::Ok | Status::Changed => {
                let status = item.status.as_str();
                match &item.display {
                    Some(display) => format!(
                        "{status}: [{host}] => (item={label}) => {}\n",
                        display.to_pretty(4)
                    ),
                    None => format!("{status}: [{host}] => (item={label})\n"),
                }
            }
        };
        text.push_str(&line);
    }
    match record.status {
        Status::Skipped => text.push_str(&format!("skipping: [{host}]\n")),
        Status::Failed if record.ignored => text.push_str("...ignoring\n"),
        _ => {}
    }
    text
}

/// Result object for `-v` output, keys sorted as Ansible prints them.
fn verbose_result(record: &TaskRecord, verbosity: u32) -> Value {
    let mut members: Vec<(String, Value)> = record
        .result
        .as_object()
        .unwrap_or_default()
        .iter()
        .filter(|(k, _)| k != "failed" && k != "skipped" && (verbosity > 2 || k != "diff"))
        .cloned()
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(members)
}

/// The notice printed before the recap of a run a signal stopped.
pub fn interrupted_text(signal: Interrupt) -> String {
    format!(
        "\n[ERROR]: Interrupted by {}: stopped after the running task; no further tasks or \
         handlers were run\n",
        signal.name()
    )
}

/// The PLAY RECAP block (ansible-playbook layout without colors).
pub fn recap_text(host: &str, recap: &Recap) -> String {
    let Recap {
        ok,
        changed,
        failed,
        skipped,
        ignored,
    } = *recap;
    format!(
        "\n{}\n{host:<26} : ok={ok:<4} changed={changed:<4} unreachable={:<4} failed={failed:<4} \
         skipped={skipped:<4} rescued={:<4} ignored={ignored}\n\n",
        banner("PLAY RECAP"),
        0,
        0
    )
}

/// The `--format json` document.
pub fn json_report(payload: &Payload, opts: &Options, summary: &RunSummary) -> Value {
    let Recap {
        ok,
        changed,
        failed,
        skipped,
        ignored,
    } = summary.recap;
    let count = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let mut report = obj([
        (
            "plan",
            obj([
                ("name", Value::str(&payload.plan_name)),
                ("hash", Value::str(&payload.plan_hash)),
            ]),
        ),
        ("host", Value::str(&summary.host)),
        ("started_at", Value::str(&summary.started_at)),
        ("duration_ms", Value::Int(summary.duration_ms)),
        ("check_mode", Value::Bool(opts.check)),
        (
            "tasks",
            Value::Array(summary.tasks.iter().map(record_json).collect()),
        ),
        (
            "handlers",
            Value::Array(summary.handlers.iter().map(record_json).collect()),
        ),
        (
            "recap",
            obj([
                ("ok", count(ok)),
                ("changed", count(changed)),
                ("failed", count(failed)),
                ("skipped", count(skipped)),
                ("ignored", count(ignored)),
            ]),
        ),
    ]);
    if let (Value::Object(members), Some(signal)) = (&mut report, summary.interrupted) {
        members.push(("interrupted".to_string(), Value::str(signal.name())));
    }
    report
}

fn record_json(record: &TaskRecord) -> Value {
    let mut json = obj([
        ("task_id", Value::str(&record.task_id)),
        ("name", Value::str(&record.name)),
        ("module", Value::str(&record.module)),
        ("status", Value::str(record.status.as_str())),
        ("changed", Value::Bool(record.changed)),
        ("ignored", Value::Bool(record.ignored)),
        ("msg", record.msg.clone()),
        ("rc", record.rc.map_or(Value::Null, Value::Int)),
        ("stdout", Value::str(&record.stdout)),
        ("stderr", Value::str(&record.stderr)),
        ("duration_ms", Value::Int(record.duration_ms)),
    ]);
    if let Value::Object(members) = &mut json {
        if let Some(diff) = record.result.get("diff") {
            members.push(("diff".to_string(), diff.clone()));
        }
        if let Some(results) = record
            .result
            .get("results")
            .filter(|_| !record.items.is_empty())
        {
            members.push(("results".to_string(), results.clone()));
        }
    }
    json
}

/// `--list-tasks` output in ansible-playbook's layout (tag selection applied).
pub fn list_tasks(payload: &Payload, opts: &Options) -> String {
    let mut text = format!("playbook: {}\n", payload.plan_name);
    for (i, play) in payload.plays.iter().enumerate() {
        let _ = write!(
            text,
            "\n  play #{} ({}): {}\tTAGS: []\n    tasks:\n",
            i + 1,
            play.hosts.join(","),
            play.name
        );
        for task in play.tasks.iter().filter(|t| tags::task_selected(t, opts)) {
            let mut task_tags = task.tags.clone();
            task_tags.sort();
            task_tags.dedup();
            let _ = writeln!(
                text,
                "      {}\tTAGS: [{}]",
                task.name,
                task_tags.join(", ")
            );
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: Status) -> TaskRecord {
        TaskRecord {
            task_id: "t1".into(),
            name: "n".into(),
            module: "command".into(),
            handler: false,
            status,
            changed: status == Status::Changed,
            ignored: false,
            msg: Value::str(""),
            rc: Some(0),
            stdout: "out".into(),
            stderr: String::new(),
            duration_ms: 1,
            display: None,
            result: obj([
                ("changed", Value::Bool(true)),
                ("failed", Value::Bool(false)),
                ("stdout", Value::str("out")),
                ("rc", Value::Int(0)),
            ]),
            items: Vec::new(),
        }
    }

    #[test]
    fn banners_are_80_columns() {
        assert_eq!(banner("PLAY [x]").chars().count(), 80);
        assert_eq!(banner("TASK [ünïcode]").chars().count(), 80);
        let long = "TASK [".to_string() + &"x".repeat(100) + "]";
        assert!(banner(&long).ends_with(" ***"));
    }

    #[test]
    fn result_lines() {
        assert_eq!(
            result_line(&record(Status::Changed), "h", 0),
            "changed: [h]\n"
        );
        assert_eq!(result_line(&record(Status::Ok), "h", 0), "ok: [h]\n");
        assert_eq!(
            result_line(&record(Status::Skipped), "h", 0),
            "skipping: [h]\n"
        );
        assert_eq!(
            result_line(&record(Status::Changed), "h", 1),
            "changed: [h] => {\"changed\": true, \"rc\": 0, \"stdout\": \"out\"}\n"
        );
        let mut failed = record(Status::Failed);
        failed.msg = Value::str("non-zero return code");
        failed.rc = Some(1);
        failed.stderr = "bad \"x\"".into();
        failed.ignored = true;
        assert_eq!(
            result_line(&failed, "h", 0),
            "fatal: [h]: FAILED! => {\"changed\": false, \"msg\": \"non-zero return code\", \"rc\": 1, \
             \"stderr\": \"bad \\\"x\\\"\", \"stdout\": \"out\"}\n...ignoring\n"
        );
        failed.rc = None;
        failed.ignored = false;
        assert_eq!(
            result_line(&failed, "h", 0),
            "fatal: [h]: FAILED! => {\"changed\": false, \"msg\": \"non-zero return code\"}\n"
        );
    }

    #[test]
    fn loop_items_print_one_line_each() {
        use crate::executor::ItemRecord;
        let item = |label: &str, status: Status| ItemRecord {
            label: label.into(),
            status,
            changed: status == Status::Changed,
            msg: Value::str("boom"),
            display: None,
            result: obj([
                ("changed", Value::Bool(false)),
                ("msg", Value::str("boom")),
                ("item", Value::str(label)),
            ]),
        };
        let mut looped = record(Status::Failed);
        looped.ignored = true;
        looped.items = vec![
            item("'a'", Status::Changed),
            item("'b'", Status::Skipped),
            item("'c'", Status::Failed),
        ];
        assert_eq!(
            result_line(&looped, "h", 0),
            "changed: [h] => (item='a')\nskipping: [h] => (item='b') \n\
             failed: [h] (item='c') => {\"changed\": false, \"item\": \"'c'\", \"msg\": \"boom\"}\n\
             ...ignoring\n"
        );
        looped.status = Status::Skipped;
        looped.items = vec![item("1", Status::Skipped)];
        assert_eq!(
            result_line(&looped, "h", 0),
            "skipping: [h] => (item=1) \nskipping: [h]\n"
        );
    }

    #[test]
    fn diffs_come_before_changed_lines() {
        use crate::executor::ItemRecord;
        let diff = obj([
            ("before", Value::str("old\n")),
            ("after", Value::str("new\n")),
            ("after_header", Value::str("/tmp/f")),
        ]);
        let mut changed = record(Status::Changed);
        changed.result = obj([("changed", Value::Bool(true)), ("diff", diff.clone())]);
        let shown = "--- before\n+++ after: /tmp/f\n@@ -1 +1 @@\n-old\n+new\n\n";
        assert_eq!(
            result_text(&changed, "h", 0, true),
            format!("{shown}changed: [h]\n")
        );
        assert_eq!(result_text(&changed, "h", 0, false), "changed: [h]\n");
        // -v output leaves the diff out below -vvv.
        assert_eq!(
            result_text(&changed, "h", 1, false),
            "changed: [h] => {\"changed\": true}\n"
        );
        // Unchanged results show no diff.
        let mut ok = record(Status::Ok);
        ok.result = obj([("changed", Value::Bool(false)), ("diff", diff.clone())]);
        assert_eq!(result_text(&ok, "h", 0, true), "ok: [h]\n");
        // Loops: each changed item's diff before its line.
        let item = |label: &str, changed: bool| ItemRecord {
            label: label.into(),
            status: if changed { Status::Changed } else { Status::Ok },
            changed,
            msg: Value::Null,
            display: None,
            result: obj([("changed", Value::Bool(changed)), ("diff", diff.clone())]),
        };
        let mut looped = record(Status::Changed);
        looped.items = vec![item("a", true), item("b", false)];
        assert_eq!(
            result_text(&looped, "h", 0, true),
            format!("{shown}changed: [h] => (item=a)\nok: [h] => (item=b)\n")
        );
        // A prepared text without a final newline gets one, as Display adds it.
        let prepared = obj([
            ("changed", Value::Bool(true)),
            ("diff", obj([("prepared", Value::str("p"))])),
        ]);
        assert_eq!(diff_display(&prepared), "p\n");
        let empty = obj([("changed", Value::Bool(true)), ("diff", obj([]))]);
        assert_eq!(diff_display(&empty), "");
    }

    #[test]
    fn recap_layout() {
        let recap = Recap {
            ok: 2,
            changed: 1,
            failed: 0,
            skipped: 10,
            ignored: 3,
        };
        assert_eq!(
            recap_text("localhost", &recap),
            format!(
                "\n{}\nlocalhost                  : ok=2    changed=1    unreachable=0    failed=0    \
                 skipped=10   rescued=0    ignored=3\n\n",
                banner("PLAY RECAP")
            )
        );
    }
}
