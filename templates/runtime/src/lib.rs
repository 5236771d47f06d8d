//! Target-side runtime of rustle-invoke.
//!
//! A generated binary embeds its compiled execution plan as a JSON payload
//! and calls [`run_main`]. The crate uses std only and never panics on input:
//! every problem becomes a message and an exit code. As a last line of defence,
//! [`run_main`] installs a panic hook that turns a panic into
//! `error: internal error: <message>` and exit code 1. SIGINT and SIGTERM stop the
//! run after the running task (see [`signals`]).

pub mod cli;
pub mod digest;
pub mod executor;
pub mod facts;
pub mod hosts;
pub mod inventory;
pub mod jinja;
pub mod json;
pub mod modules;
pub mod payload;
pub mod regex;
pub mod report;
pub mod scope;
pub mod signals;
pub mod tags;
pub mod textdiff;
pub mod time;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::path::Path;

use modules::{Extensions, ModuleFn};
use payload::{Blobs, Payload};

/// Version of this runtime.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Every task was ok (ignored failures included).
pub const EXIT_OK: i32 = 0;
/// Usage error, bad payload or internal error.
pub const EXIT_USAGE: i32 = 1;
/// A task failed and its failure was not ignored.
pub const EXIT_FAILED: i32 = 2;
// A run stopped by SIGINT or SIGTERM exits 128 + the signal's number (130, 143).

/// Program name used in usage texts by [`run_with_args`].
pub const DEFAULT_PROGRAM: &str = "rustle-plan";

/// Entry point of a generated binary: reads the process arguments, runs the
/// plan, prints to stdout/stderr and returns the exit code. `files` holds the
/// embedded files by SHA-256 digest.
pub fn run_main(payload: &[u8], files: &'static [(&'static str, &'static [u8])]) -> i32 {
    run_main_with_modules(payload, files, &[])
}

/// [`run_main`] for a binary with plugin modules: `modules` maps module names (and
/// aliases) to their functions, consulted before the built-in modules (see
/// [`modules::Extensions`]).
pub fn run_main_with_modules(
    payload: &[u8],
    files: &'static [(&'static str, &'static [u8])],
    modules: &'static [(&'static str, ModuleFn)],
) -> i32 {
    run_main_compiled(payload, files, Extensions::new(modules))
}

/// [`run_main`] for a binary that has exactly `extensions` compiled in: the generated
/// `main.rs` names its plugin modules, the built-in modules its plan uses and, when the
/// plan reads facts, the fact gatherer (see [`modules::Extensions::pruned`]).
pub fn run_main_compiled(
    payload: &[u8],
    files: &'static [(&'static str, &'static [u8])],
    extensions: Extensions,
) -> i32 {
    install_panic_hook();
    signals::install();
    let mut argv = std::env::args_os();
    let program = argv
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_PROGRAM.to_string());
    let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let code = run_program(
        &program,
        payload,
        Embedded {
            blobs: Blobs::new(files),
            extensions,
        },
        &args,
        &mut out,
        &mut err,
    );
    let _ = out.flush();
    let _ = err.flush();
    code
}

/// Like [`run_main`] with explicit arguments (without argv\[0\]) and output
/// streams.
pub fn run_with_args(
    payload: &[u8],
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    run_with_modules(payload, &[], &[], args, out, err)
}

/// Like [`run_with_args`] with embedded files.
pub fn run_with_files(
    payload: &[u8],
    files: &'static [(&'static str, &'static [u8])],
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    run_with_modules(payload, files, &[], args, out, err)
}

/// Like [`run_with_files`] with plugin modules (see [`run_main_with_modules`]).
pub fn run_with_modules(
    payload: &[u8],
    files: &'static [(&'static str, &'static [u8])],
    modules: &'static [(&'static str, ModuleFn)],
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let embedded = Embedded {
        blobs: Blobs::new(files),
        extensions: Extensions::new(modules),
    };
    run_program(DEFAULT_PROGRAM, payload, embedded, args, out, err)
}

/// Replaces Rust's panic report (a backtrace hint, exit code 101 or an abort) by one
/// line, `error: internal error: <message>`, and exit code [`EXIT_USAGE`]. A panic in a
/// plugin module's call is left to [`modules::dispatch`], which fails that task (when the
/// binary unwinds; under `panic = "abort"` it is reported here too).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if cfg!(panic = "unwind") && modules::plugin_running() {
            return; // modules::dispatch catches it and fails the task with its message
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unexpected failure".to_string());
        write_stderr_unlocked(format!("error: internal error: {message}\n").as_bytes());
        std::process::exit(EXIT_USAGE);
    }));
}

/// Writes to file descriptor 2 without taking std's stderr lock, which the main thread
/// holds while the plan runs (a panic on another thread must not wait for it).
fn write_stderr_unlocked(bytes: &[u8]) {
    use std::os::fd::FromRawFd;
    // SAFETY: fd 2 is open for the whole process; ManuallyDrop keeps it open afterwards.
    let mut stderr = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(2) });
    let _ = stderr.write_all(bytes);
}

/// What the generated crate compiles in besides the payload.
#[derive(Default)]
struct Embedded {
    blobs: Blobs,
    extensions: Extensions,
}

fn run_program(
    program: &str,
    payload: &[u8],
    embedded: Embedded,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let opts = match cli::parse_args(args) {
        Ok(opts) => opts,
        Err(msg) => {
            let usage = cli::usage_for(cli::SHORT_USAGE, program);
            let _ = write!(err, "error: {msg}\n{usage}");
            return EXIT_USAGE;
        }
    };
    if opts.help {
        let _ = out.write_all(cli::usage_for(cli::HELP, program).as_bytes());
        return EXIT_OK;
    }
    let plan = match payload::decode(payload) {
        Ok(plan) => Payload {
            blobs: embedded.blobs,
            extensions: embedded.extensions,
            ..plan
        },
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
    };
    if opts.version {
        let short_hash: String = plan.plan_hash.chars().take(12).collect();
        let _ = writeln!(
            out,
            "rustle-runtime {VERSION} (plan {} {short_hash})",
            plan.plan_name
        );
        return EXIT_OK;
    }
    if opts.dump_plan {
        let _ = writeln!(out, "{}", plan.raw.to_pretty(2));
        return EXIT_OK;
    }
    if opts.list_tasks {
        let _ = out.write_all(report::list_tasks(&plan, &opts).as_bytes());
        return EXIT_OK;
    }
    let summary = match opts.format {
        cli::Format::Text => {
            let mut reporter = report::TextReporter::new(out, opts.host_name(), opts.verbosity)
                .with_diff(opts.diff);
            let summary = executor::execute_until(&plan, &opts, &mut reporter, &signals::received);
            if let Some(signal) = summary.interrupted {
                reporter.interrupted(signal);
            }
            reporter.recap(&summary.recap);
            summary
        }
        cli::Format::Json => {
            let summary =
                executor::execute_until(&plan, &opts, &mut executor::Silent, &signals::received);
            let report = report::json_report(&plan, &opts, &summary);
            let _ = writeln!(out, "{}", report.to_compact());
            if let Some(signal) = summary.interrupted {
                let _ = write!(err, "{}", report::interrupted_text(signal).trim_start());
            }
            summary
        }
    };
    let _ = out.flush();
    summary.exit_code()
}

#[cfg(test)]
mod panic_hook_tests {
    const CHILD: &str = "RUSTLE_PANIC_HOOK_CHILD";
    const NAME: &str = "panic_hook_tests::a_panic_is_one_line_and_exit_code_1";

    #[test]
    fn a_panic_is_one_line_and_exit_code_1() {
        if std::env::var_os(CHILD).is_some() {
            // In the re-run test binary: a real panic, with the hook in place.
            super::install_panic_hook();
            let empty: Vec<u8> = Vec::new();
            let _ = empty[std::hint::black_box(3)];
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(super::EXIT_USAGE), "{err}");
        assert_eq!(
            err,
            "error: internal error: index out of bounds: the len is 0 but the index is 3\n"
        );
    }
}
