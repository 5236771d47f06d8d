//! Runs the plays of a payload: task selection, conditions, loops, modules,
//! register, changed_when/failed_when, notify and handlers. Output is left
//! to a [`Listener`].

use crate::cli::{set_var, Options};
use crate::facts::FactCache;
use crate::hosts;
use crate::inventory::Inventory;
use crate::jinja::{self, EvalError, Expr};
use crate::json::{obj, Value};
use crate::modules::{self, ModuleContext, Outcome, Status};
use crate::payload::{LoopKind, Payload, Play, Task};
use crate::scope::{remove_omitted, HostState, Scope};
use crate::signals::Interrupt;
use crate::tags;
use crate::time;
use std::time::{Instant, SystemTime};

/// The outcome of one loop item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    /// The item as Python's `str()` shows it, for `(item=...)` (as Ansible prints it).
    pub label: String,
    pub status: Status,
    pub changed: bool,
    pub msg: Value,
    pub display: Option<Value>,
    pub result: Value,
}

/// The outcome of one task or handler as it is reported.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub task_id: String,
    pub name: String,
    pub module: String,
    pub handler: bool,
    pub status: Status,
    pub changed: bool,
    /// Failed, but `ignore_errors` was set.
    pub ignored: bool,
    /// Usually a string; `debug` may carry any value.
    pub msg: Value,
    pub rc: Option<i64>,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: i64,
    /// Object for `ok: [host] => ...` (debug output).
    pub display: Option<Value>,
    /// The register-style result object.
    pub result: Value,
    /// One entry per loop item (empty without a loop).
    pub items: Vec<ItemRecord>,
}
/// Per-host counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recap {
    pub ok: u64,
    pub changed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub ignored: u64,
}

impl Recap {
    pub fn add(&mut self, record: &TaskRecord) {
        match record.status {
            Status::Ok => self.ok += 1,
            Status::Changed => {
                self.ok += 1;
                self.changed += 1;
            }
            Status::Skipped => self.skipped += 1,
            // As Ansible counts it: an ignored failure is ok, ignored, and changed if it changed.
            Status::Failed if record.ignored => {
                self.ok += 1;
                self.ignored += 1;
                self.changed += u64::from(record.changed);
            }
            Status::Failed => self.failed += 1,
        }
    }
}

/// Everything a report needs about a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub host: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub tasks: Vec<TaskRecord>,
    pub handlers: Vec<TaskRecord>,
    pub recap: Recap,
    /// The signal that stopped the run after the task it interrupted, if one did.
    pub interrupted: Option<Interrupt>,
}

impl RunSummary {
    /// 130/143 when a signal stopped the run, else 0 when nothing failed (ignored
    /// failures do not count), 2 otherwise.
    pub fn exit_code(&self) -> i32 {
        if let Some(signal) = self.interrupted {
            signal.exit_code()
        } else if self.recap.failed > 0 {
            crate::EXIT_FAILED
        } else {
            crate::EXIT_OK
        }
    }
}

/// Receives progress events while the plan runs.
pub trait Listener {
    fn play_start(&mut self, _play: &Play) {}
    fn task_start(&mut self, _task: &Task, _handler: bool) {}
    fn task_done(&mut self, _record: &TaskRecord) {}
}

/// A listener that ignores every event.
pub struct Silent;

impl Listener for Silent {}

/// Runs every play of `payload` for the host selected by `opts`.
pub fn execute(payload: &Payload, opts: &Options, listener: &mut dyn Listener) -> RunSummary {
    execute_until(payload, opts, listener, &|| None)
}

/// [`execute`] that asks `stop` after every task and handler: once it names a signal,
/// nothing more runs (no further task, loop or handler) and the summary records it.
pub fn execute_until(
    payload: &Payload,
    opts: &Options,
    listener: &mut dyn Listener,
    stop: &dyn Fn() -> Option<Interrupt>,
) -> RunSummary {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut state = HostState {
        payload,
        opts,
        host: opts.host_name().to_string(),
        registered: Vec::new(),
        facts: FactCache::with_gatherer(payload.extensions.facts()),
        // parse_args checked the document: decoding it again cannot fail.
        inventory: opts
            .inventory
            .as_ref()
            .and_then(|document| Inventory::decode(document).ok())
            .unwrap_or_default(),
    };
    let mut summary = RunSummary {
        host: state.host.clone(),
        started_at: time::iso8601_utc(started),
        duration_ms: 0,
        tasks: Vec::new(),
        handlers: Vec::new(),
        recap: Recap::default(),
        interrupted: None,
    };
    let mut run = Run {
        summary: &mut summary,
        listener,
        stop,
    };
    for play in &payload.plays {
        if !run_play(&mut state, play, &mut run) {
            break;
        }
    }
    summary.duration_ms = time::millis(clock.elapsed());
    summary
}

/// Where finished tasks go, and whether a signal asked the run to stop.
struct Run<'r> {
    summary: &'r mut RunSummary,
    listener: &'r mut dyn Listener,
    stop: &'r dyn Fn() -> Option<Interrupt>,
}

impl Run<'_> {
    /// Records a finished task; false when the host must stop (a failure that is not
    /// ignored, or a signal).
    fn finish(
        &mut self,
        play: &Play,
        task: &Task,
        record: TaskRecord,
        notified: &mut [bool],
    ) -> bool {
        let go_on = finish(play, task, record, notified, self.summary);
        !self.interrupted() && go_on
    }

    /// Whether a signal asked the run to stop (recorded in the summary).
    fn interrupted(&mut self) -> bool {
        if let Some(signal) = (self.stop)() {
            self.summary.interrupted = Some(signal);
        }
        self.summary.interrupted.is_some()
    }
}

/// Runs one play; returns false when the host failed (or a signal came) and must stop.
fn run_play<'a>(state: &mut HostState<'a>, play: &'a Play, run: &mut Run) -> bool {
    if run.interrupted() {
        return false;
    }
    run.listener.play_start(play);
    let mut notified = vec![false; play.handlers.len()];
    for task in &play.tasks {
        // As in ansible-playbook, a task outside the tag selection is not shown or counted.
        if !tags::task_selected(task, state.opts) {
            continue;
        }
        let record = run_task(state, play, task, false, run);
        if !run.finish(play, task, record, &mut notified) {
            return false;
        }
    }
    if notified.contains(&true) && run.interrupted() {
        return false;
    }
    // Flagged handlers run once each, in handler-list order; a handler
    // may notify further handlers, picked up by another pass.
    let mut done = vec![false; play.handlers.len()];
    loop {
        let mut ran = false;
        for (i, handler) in play.handlers.iter().enumerate() {
            let flagged = notified.get(i).copied().unwrap_or(false);
            if !flagged || done.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(slot) = done.get_mut(i) {
                *slot = true;
            }
            ran = true;
            let record = run_task(state, play, handler, true, run);
            if !run.finish(play, handler, record, &mut notified) {
                return false;
            }
        }
        if !ran {
            return true;
        }
    }
}

fn run_task<'a>(
    state: &mut HostState<'a>,
    play: &'a Play,
    task: &'a Task,
    handler: bool,
    run: &mut Run,
) -> TaskRecord {
    run.listener.task_start(task, handler);
    let clock = Instant::now();
    let skip = skip_reason(state, task);
    let (outcome, items) = match skip {
        Some(reason) => (Outcome::skipped(reason), Vec::new()),
        None => run_items(state, play, task, run.stop),
    };
    let result = outcome.result_object();
    if skip.is_none() {
        remember(state, task, &result, &items);
    }
    let mut record = TaskRecord {
        task_id: task.task_id.clone(),
        name: task.name.clone(),
        module: task.module.clone(),
        handler,
        status: outcome.status,
        changed: outcome.changed,
        ignored: outcome.status == Status::Failed && task.ignore_errors,
        msg: outcome.msg.clone(),
        rc: outcome.rc,
        result,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        duration_ms: time::millis(clock.elapsed()),
        display: outcome.display,
        items,
    };
    if task.no_log {
        censor(&mut record);
    }
    run.listener.task_done(&record);
    record
}

/// Stores what a task that ran leaves behind: its `register` result and `set_fact` facts.
fn remember(state: &mut HostState, task: &Task, result: &Value, items: &[ItemRecord]) {
    if let Some(name) = &task.register {
        set_var(&mut state.registered, name.clone(), result.clone());
    }
    if !task.module_is("set_fact") {
        return;
    }
    // With a loop, each item's facts apply after the loop, in item order.
    let results: Vec<&Value> = if items.is_empty() {
        vec![result]
    } else {
        items.iter().map(|i| &i.result).collect()
    };
    for result in results {
        if result.get("failed") == Some(&Value::Bool(true)) {
            continue;
        }
        if let Some(Value::Object(facts)) = result.get("ansible_facts") {
            for (name, value) in facts {
                set_var(&mut state.registered, name.clone(), value.clone());
            }
        }
    }
}

/// What Ansible prints instead of a `no_log` task's output.
pub const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Replaces everything a `no_log` task's record could show (message, output, display,
/// result with its diff, loop items and their results) by [`CENSORED`].
fn censor(record: &mut TaskRecord) {
    let censored = |changed: bool| {
        obj([
            ("censored", Value::str(CENSORED)),
            ("changed", Value::Bool(changed)),
        ])
    };
    record.msg = Value::str(CENSORED);
    record.stdout.clear();
    record.stderr.clear();
    record.display = None;
    record.result = censored(record.changed);
    for item in &mut record.items {
        item.msg = Value::str(CENSORED);
        item.display = None;
        item.label = "None".to_string();
        item.result = censored(item.changed);
    }
}

/// Why a selected task is not run on this host.
fn skip_reason(state: &HostState, task: &Task) -> Option<&'static str> {
    if !task.host_patterns.is_empty() && !hosts::matches_any(&task.host_patterns, &state.host) {
        return Some("Host does not match the task's host pattern");
    }
    if state.opts.host.is_some() && !task.hosts.is_empty() && !task.hosts.contains(&state.host) {
        return Some("Host is not targeted by this task");
    }
    None
}

/// Runs the task once, or once per loop item, and folds the item results. A loop
/// stops after the item that is running when `stop` names a signal.
fn run_items<'a>(
    state: &mut HostState<'a>,
    play: &'a Play,
    task: &'a Task,
    stop: &dyn Fn() -> Option<Interrupt>,
) -> (Outcome, Vec<ItemRecord>) {
    let Some(spec) = &task.loop_ else {
        return (run_once(state, play, task, Vec::new()), Vec::new());
    };
    let items = {
        let scope = Scope::new(state, Some(play), Some(task));
        match scope.render(&spec.items.value, &spec.items.templates) {
            Ok(value) => loop_items(spec.kind, value),
            Err(e) => Err(undefined_option(&e)),
        }
    };
    let items = match items {
        Ok(items) => items,
        Err(msg) => return (Outcome::failed(msg), Vec::new()),
    };
    let mut records = Vec::with_capacity(items.len());
    let total = items.len();
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 && stop().is_some() {
            break;
        }
        let locals = vec![
            ("item".to_string(), item.clone()),
            ("ansible_loop_var".to_string(), Value::str("item")),
            ("ansible_index_var".to_string(), Value::Null),
            ("ansible_loop".to_string(), loop_info(index, total)),
        ];
        let outcome = run_once(state, play, task, locals);
        let mut result = outcome.result_object();
        if let Value::Object(members) = &mut result {
            members.push(("item".to_string(), item.clone()));
            members.push(("ansible_loop_var".to_string(), Value::str("item")));
        }
        records.push(ItemRecord {
            label: jinja::Value::from_json(&item)
                .to_str()
                .unwrap_or_else(|_| item.to_compact()),
            status: outcome.status,
            changed: outcome.changed,
            msg: outcome.msg,
            display: outcome.display,
            result,
        });
    }
    (fold_items(&records), records)
}

/// The list a loop walks: `loop` takes a list; `with_items` flattens one level.
fn loop_items(kind: LoopKind, value: Value) -> Result<Vec<Value>, String> {
    match (kind, value) {
        (_, Value::Array(items)) if kind == LoopKind::Loop => Ok(items),
        (LoopKind::Loop, other) => Err(format!(
            "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: \
             If you passed a list/dict of just one element, try adding wantlist=True to your \
             lookup invocation or use q/query instead of lookup.",
            jinja::Value::from_json(&other)
                .to_str()
                .unwrap_or_else(|_| other.to_compact())
        )),
        (LoopKind::WithItems, Value::Array(items)) => Ok(items
            .into_iter()
            .flat_map(|item| match item {
                Value::Array(inner) => inner,
                other => vec![other],
            })
            .collect()),
        (LoopKind::WithItems, Value::Null) => Ok(Vec::new()),
        (LoopKind::WithItems, other) => Ok(vec![other]),
    }
}

fn loop_info(index: usize, total: usize) -> Value {
    let int = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    obj([
        ("index", int(index + 1)),
        ("index0", int(index)),
        ("revindex", int(total - index)),
        ("revindex0", int(total - index - 1)),
        ("first", Value::Bool(index == 0)),
        ("last", Value::Bool(index + 1 == total)),
        ("length", int(total)),
    ])
}

/// The task-level result of a loop, as Ansible folds its items.
fn fold_items(items: &[ItemRecord]) -> Outcome {
    let failed = items.iter().any(|i| i.status == Status::Failed);
    let changed = items.iter().any(|i| i.changed);
    let skipped = !items.is_empty() && items.iter().all(|i| i.status == Status::Skipped);
    let status = if failed {
        Status::Failed
    } else if skipped {
        Status::Skipped
    } else if changed {
        Status::Changed
    } else {
        Status::Ok
    };
    let msg = if failed {
        "One or more items failed"
    } else if skipped {
        "All items skipped"
    } else {
        "All items completed"
    };
    let mut outcome = Outcome::new(status, changed, msg);
    outcome.extra.push((
        "results".to_string(),
        Value::Array(items.iter().map(|i| i.result.clone()).collect()),
    ));
    outcome
}

/// One run of the task's module: `when`, arguments, module, `changed_when`, `failed_when`.
fn run_once<'a>(
    state: &HostState<'a>,
    play: &'a Play,
    task: &'a Task,
    locals: Vec<(String, Value)>,
) -> Outcome {
    let mut scope = Scope::new(state, Some(play), Some(task));
    scope.locals = locals;
    for (i, condition) in task.when.iter().enumerate() {
        let source = task.when_sources.get(i).map_or("", String::as_str);
        match jinja::eval_condition(condition, &scope) {
            Ok(true) => {}
            Ok(false) => {
                // Ansible's skip result: no msg, the reason and the condition that was false.
                let mut skipped = Outcome::skipped("");
                skipped.msg = Value::Null;
                skipped.extra.push((
                    "skip_reason".to_string(),
                    Value::str("Conditional result was False"),
                ));
                skipped
                    .extra
                    .push(("false_condition".to_string(), Value::str(source)));
                return skipped;
            }
            Err(e) => {
                return Outcome::failed(format!(
                    "The conditional check '{source}' failed. The error was: error while \
                     evaluating conditional ({source}): {}",
                    e.message
                ))
            }
        }
    }
    let mut args = match scope.render(&task.args, &task.arg_templates) {
        Ok(args) => args,
        Err(e) => return Outcome::failed(undefined_option(&e)),
    };
    remove_omitted(&mut args);
    let evaluate = |key: &str, index: usize| -> Result<Value, String> {
        let expr = task
            .expressions
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| e.exprs.get(index))
            .ok_or_else(|| format!("no expression {key}[{index}]"))?;
        jinja::eval(expr, &scope)
            .and_then(|v| v.to_json())
            .map_err(|e| e.message)
    };
    let lookup = |name: &str| scope.json(name).ok().flatten();
    let render_template = |index: usize, extra: &[(String, Value)]| -> Result<String, String> {
        let template = state
            .payload
            .templates
            .get(index)
            .ok_or_else(|| format!("the payload has no template {index}"))?;
        let mut inner = Scope::new(state, Some(play), Some(task));
        inner.locals = scope.locals.clone();
        inner.locals.extend(extra.iter().cloned());
        jinja::render_string(template, &inner).map_err(|e| e.message)
    };
    let ctx = ModuleContext {
        check_mode: task.check_mode.unwrap_or(state.opts.check),
        diff_mode: state.opts.diff,
        verbosity: state.opts.verbosity,
        host: &state.host,
        lookup: &lookup,
        evaluate: &evaluate,
        expressions: &task.expressions,
        facts: &state.facts,
        blobs: state.payload.blobs,
        render_template: &render_template,
    };
    let mut outcome = modules::dispatch(&task.module, &args, &ctx, &state.payload.extensions);
    if outcome.status == Status::Skipped {
        return outcome;
    }
    if let Some(conditions) = &task.changed_when {
        scope.locals.extend(own_result(task, &outcome));
        match all_hold(conditions, &scope) {
            Ok(changed) => {
                outcome.changed = changed;
                if outcome.status != Status::Failed {
                    outcome.status = if changed { Status::Changed } else { Status::Ok };
                }
            }
            Err(e) => return Outcome::failed(e.message),
        }
    }
    if let Some(conditions) = &task.failed_when {
        scope.locals.extend(own_result(task, &outcome));
        match all_hold(conditions, &scope) {
            Ok(failed) => {
                outcome.status = if failed {
                    Status::Failed
                } else if outcome.changed {
                    Status::Changed
                } else {
                    Status::Ok
                };
                outcome
                    .extra
                    .push(("failed_when_result".to_string(), Value::Bool(failed)));
            }
            Err(e) => return Outcome::failed(e.message),
        }
    }
    outcome
}

/// The task's result bound to its `register` name, for `changed_when`/`failed_when`.
fn own_result(task: &Task, outcome: &Outcome) -> Option<(String, Value)> {
    task.register
        .as_ref()
        .map(|name| (name.clone(), outcome.result_object()))
}

fn all_hold(conditions: &[Expr], scope: &Scope) -> Result<bool, EvalError> {
    for condition in conditions {
        if !jinja::eval_condition(condition, scope)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Ansible's message for an argument that could not be rendered.
fn undefined_option(e: &EvalError) -> String {
    if e.message.contains("is undefined") || e.message.contains("has no attribute") {
        // Worded as ansible-core 2.18 words it, double period included.
        format!(
            "The task includes an option with an undefined variable.. {}",
            e.message
        )
    } else {
        format!("Error while rendering a template: {}", e.message)
    }
}

/// Records a result, flags notified handlers; returns false when the host
/// must stop (a failure that is not ignored).
fn finish(
    play: &Play,
    task: &Task,
    record: TaskRecord,
    notified: &mut [bool],
    summary: &mut RunSummary,
) -> bool {
    if record.status == Status::Changed {
        for wanted in &task.notify {
            for (flag, h) in notified.iter_mut().zip(&play.handlers) {
                if h.name == *wanted {
                    *flag = true;
                }
            }
        }
    }
    let stop = record.status == Status::Failed && !record.ignored;
    summary.recap.add(&record);
    if record.handler {
        summary.handlers.push(record);
    } else {
        summary.tasks.push(record);
    }
    !stop
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn payload(tasks: &str, handlers: &str) -> Payload {
        let text = format!(
            r#"{{"format": 3, "plan": {{"name": "p", "hash": "00"}}, "variables": {{}},
                "plays": [{{"play_id": "p0", "name": "play", "hosts": ["localhost"],
                            "strategy": "linear", "tasks": [{tasks}], "handlers": [{handlers}]}}]}}"#
        );
        Payload {
            extensions: crate::modules::Extensions::new(&[]),
            ..crate::payload::decode(text.as_bytes()).expect("payload")
        }
    }

    fn debug(name: &str, extra: &str) -> String {
        format!(
            r#"{{"task_id": "{name}", "name": "{name}", "module": "debug",
                 "args": {{"msg": "m", "verbosity": 0}}{extra}}}"#
        )
    }

    /// Runs with a stop check that names `signal` from the `after`th call on.
    fn run_stopping(payload: &Payload, after: usize, signal: Interrupt) -> RunSummary {
        let calls = Cell::new(0);
        let stop = || {
            calls.set(calls.get() + 1);
            (calls.get() > after).then_some(signal)
        };
        execute_until(payload, &Options::default(), &mut Silent, &stop)
    }

    fn names(records: &[TaskRecord]) -> Vec<&str> {
        records.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn a_signal_stops_after_the_running_task() {
        let p = payload(
            &[
                // A command reports changed, so it notifies the handler.
                r#"{"task_id": "a", "name": "a", "module": "command",
                    "args": {"argv": ["true"]}, "notify": ["h"]}"#
                    .to_string(),
                debug("b", ""),
                debug("c", ""),
            ]
            .join(","),
            &debug("h", ""),
        );
        let whole = execute(&p, &Options::default(), &mut Silent);
        assert_eq!(names(&whole.tasks), ["a", "b", "c"]);
        assert_eq!(names(&whole.handlers), ["h"]);
        assert_eq!((whole.interrupted, whole.exit_code()), (None, 0));
        // Checks: before the play (1), after a (2), after b (3), after c (4), before the
        // handlers (5).
        let s = run_stopping(&p, 2, Interrupt::Term);
        assert_eq!(names(&s.tasks), ["a", "b"]);
        assert!(s.handlers.is_empty());
        assert_eq!(s.interrupted, Some(Interrupt::Term));
        assert_eq!(s.exit_code(), 143);
        assert_eq!(s.recap.ok, 2);
        // A signal before anything ran: nothing runs.
        let s = run_stopping(&p, 0, Interrupt::Int);
        assert!(s.tasks.is_empty());
        assert_eq!(s.exit_code(), 130);
        // During the last task, or just after it: every task is reported, handlers do not run.
        for after in [3, 4] {
            let s = run_stopping(&p, after, Interrupt::Int);
            assert_eq!(names(&s.tasks), ["a", "b", "c"]);
            assert!(s.handlers.is_empty());
            assert_eq!(s.exit_code(), 130);
        }
    }

    #[test]
    fn a_signal_stops_a_loop_after_the_running_item() {
        let looped = r#", "loop": {"kind": "loop", "value": [1, 2, 3], "templates": []}"#;
        let p = payload(&[debug("l", looped), debug("after", "")].join(","), "");
        // Checks: before the play (1), before items 2 (2) and 3 (3).
        let s = run_stopping(&p, 2, Interrupt::Term);
        assert_eq!(names(&s.tasks), ["l"]);
        assert_eq!(s.tasks[0].items.len(), 2);
        assert_eq!(s.tasks[0].status, Status::Ok);
        assert_eq!(s.exit_code(), 143);
    }

    #[test]
    fn censored_records_keep_nothing_of_the_result() {
        let secret = "s3cr3t-unit";
        let looped = format!(
            r#", "no_log": true, "loop": {{"kind": "loop", "value": ["{secret}"], "templates": []}}"#
        );
        let task = format!(
            r#"{{"task_id": "t", "name": "t", "module": "debug",
                 "args": {{"msg": "{secret}", "verbosity": 0}}{looped}}}"#
        );
        let s = execute(&payload(&task, ""), &Options::default(), &mut Silent);
        let record = &s.tasks[0];
        let shown = format!("{record:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert_eq!(record.items.len(), 1);
        assert_eq!(record.items[0].label, "None");
    }
}
