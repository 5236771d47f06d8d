//! Runs the plays of a payload: task selection, modules, register, notify
//! and handlers. Output is left to a [`Listener`].

use crate::cli::{set_var, Options};
use crate::hosts;
use crate::json::Value;
use crate::modules::{self, ModuleContext, Outcome, Status};
use crate::payload::{Payload, Play, Task};
use crate::tags;
use crate::time;
use std::time::{Instant, SystemTime};

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
    pub msg: String,
    pub rc: Option<i64>,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: i64,
    /// Object for `ok: [host] => ...` (debug output).
    pub display: Option<Value>,
    /// The register-style result object.
    pub result: Value,
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
}

impl RunSummary {
    /// 0 when nothing failed (ignored failures do not count), 2 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.recap.failed > 0 {
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
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut runner = Runner {
        payload,
        opts,
        host: opts.host_name().to_string(),
        registered: Vec::new(),
        play_vars: Vec::new(),
    };
    let mut summary = RunSummary {
        host: runner.host.clone(),
        started_at: time::iso8601_utc(started),
        duration_ms: 0,
        tasks: Vec::new(),
        handlers: Vec::new(),
        recap: Recap::default(),
    };
    for play in &payload.plays {
        if !runner.run_play(play, &mut summary, listener) {
            break;
        }
    }
    summary.duration_ms = time::millis(clock.elapsed());
    summary
}

struct Runner<'a> {
    payload: &'a Payload,
    opts: &'a Options,
    host: String,
    registered: Vec<(String, Value)>,
    play_vars: Vec<(String, Value)>,
}

impl Runner<'_> {
    /// Runs one play; returns false when the host failed and must stop.
    fn run_play(
        &mut self,
        play: &Play,
        summary: &mut RunSummary,
        listener: &mut dyn Listener,
    ) -> bool {
        listener.play_start(play);
        self.play_vars.clone_from(&play.vars);
        let mut notified = vec![false; play.handlers.len()];
        for task in &play.tasks {
            let record = self.run_task(task, false, listener);
            let keep_going = finish(play, task, record, &mut notified, summary);
            if !keep_going {
                return false;
            }
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
                let record = self.run_task(handler, true, listener);
                if !finish(play, handler, record, &mut notified, summary) {
                    return false;
                }
            }
            if !ran {
                return true;
            }
        }
    }

    fn run_task(&mut self, task: &Task, handler: bool, listener: &mut dyn Listener) -> TaskRecord {
        listener.task_start(task, handler);
        let clock = Instant::now();
        let outcome = match self.skip_reason(task, handler) {
            Some(reason) => Outcome::skipped(reason),
            None => {
                let outcome = {
                    let lookup = |name: &str| self.lookup(name, task);
                    let ctx = ModuleContext {
                        check_mode: task.check_mode.unwrap_or(self.opts.check),
                        verbosity: self.opts.verbosity,
                        lookup: &lookup,
                    };
                    modules::run(&task.module, &task.args, &ctx)
                };
                if let Some(name) = &task.register {
                    set_var(&mut self.registered, name.clone(), outcome.result_object());
                }
                outcome
            }
        };
        let record = TaskRecord {
            task_id: task.task_id.clone(),
            name: task.name.clone(),
            module: task.module.clone(),
            handler,
            status: outcome.status,
            changed: outcome.changed,
            ignored: outcome.status == Status::Failed && task.ignore_errors,
            msg: outcome.msg.to_text(),
            rc: outcome.rc,
            result: outcome.result_object(),
            stdout: outcome.stdout,
            stderr: outcome.stderr,
            duration_ms: time::millis(clock.elapsed()),
            display: outcome.display,
        };
        listener.task_done(&record);
        record
    }

    /// Why a task is not run at all (tags and host targeting).
    fn skip_reason(&self, task: &Task, handler: bool) -> Option<&'static str> {
        if !handler && !tags::task_selected(task, self.opts) {
            return Some("Skipped by tag selection");
        }
        if !task.host_patterns.is_empty() && !hosts::matches_any(&task.host_patterns, &self.host) {
            return Some("Host does not match the task's host pattern");
        }
        if self.opts.host.is_some() && !task.hosts.is_empty() && !task.hosts.contains(&self.host) {
            return Some("Host is not targeted by this task");
        }
        None
    }

    /// Ansible's precedence: extra vars > registered results > task vars >
    /// play vars > plan variables > magic variables.
    fn lookup(&self, name: &str, task: &Task) -> Option<Value> {
        find(&self.opts.extra_vars, name)
            .or_else(|| find(&self.registered, name))
            .or_else(|| find(&task.vars, name))
            .or_else(|| find(&self.play_vars, name))
            .or_else(|| find(&self.payload.variables, name))
            .cloned()
            .or_else(|| match name {
                "inventory_hostname" => Some(Value::str(&self.host)),
                "inventory_hostname_short" => {
                    Some(Value::str(self.host.split('.').next().unwrap_or_default()))
                }
                "ansible_check_mode" => Some(Value::Bool(self.opts.check)),
                "ansible_verbosity" => Some(Value::Int(i64::from(self.opts.verbosity))),
                _ => None,
            })
    }
}

fn find<'v>(vars: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
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
