//! `wait_for`: waits for a TCP port to accept (or refuse) connections, for a file
//! to appear (optionally containing a pattern) or disappear, for a port's
//! connections to drain, or simply for a number of seconds — as Ansible's
//! module does, with its result keys (`elapsed` in whole seconds, `state`,
//! `port`, `path`, `search_regex`, `match_groups`, `match_groupdict`, and the
//! path's facts when it exists) and its timeout messages.
//!
//! Ansible's module does not support check mode: in check mode the task is
//! skipped with Ansible's message.

use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use super::command::{expand_user, expand_vars};
use super::params;
use super::stat::strerror;
use super::{ModuleContext, Outcome, Status};
use crate::json::Value;
use crate::regex::Regex;

const STATES: [&str; 5] = ["absent", "drained", "present", "started", "stopped"];
/// `/proc/net/tcp` state numbers of the connection states `active_connection_states` names.
const CONNECTION_STATES: [(&str, &str); 6] = [
    ("ESTABLISHED", "01"),
    ("SYN_SENT", "02"),
    ("SYN_RECV", "03"),
    ("FIN_WAIT1", "04"),
    ("FIN_WAIT2", "05"),
    ("TIME_WAIT", "06"),
];
const ENOENT: i32 = 2;

struct Args {
    host: String,
    port: Option<i64>,
    path: Option<String>,
    state: String,
    timeout: i64,
    delay: i64,
    sleep: i64,
    connect_timeout: i64,
    msg: Option<String>,
    search_regex: Option<String>,
    regex: Option<Regex>,
    /// Group names of the pattern, by group number.
    group_names: Vec<(String, usize)>,
    exclude_hosts: Option<Vec<String>>,
    active_states: Vec<String>,
}

fn parse_args(args: &Value) -> Result<Args, String> {
    let state = params::str_arg(args, "state")?.unwrap_or_else(|| "started".to_string());
    if !STATES.contains(&state.as_str()) {
        return Err(format!(
            "value of state must be one of: {}, got: {state}",
            STATES.join(", ")
        ));
    }
    let port = match args.get("port") {
        None | Some(Value::Null) => None,
        Some(_) => Some(params::int_arg(args, "port")?.unwrap_or(0)),
    };
    let (regex, group_names) = match args.get("_search_regex_ir") {
        None | Some(Value::Null) => (None, Vec::new()),
        Some(ir) => {
            let names = ir
                .get("names")
                .and_then(Value::as_object)
                .unwrap_or_default()
                .iter()
                .filter_map(|(n, i)| Some((n.clone(), usize::try_from(i.as_i64()?).ok()?)))
                .collect();
            (Some(Regex::decode(ir)?), names)
        }
    };
    let search_regex = params::str_arg(args, "search_regex")?;
    if search_regex.is_some() && regex.is_none() {
        return Err("search_regex was not compiled at build time".to_string());
    }
    let active_states = params::list_arg(args, "active_connection_states")?.unwrap_or_else(|| {
        [
            "ESTABLISHED",
            "FIN_WAIT1",
            "FIN_WAIT2",
            "SYN_RECV",
            "SYN_SENT",
            "TIME_WAIT",
        ]
        .map(String::from)
        .to_vec()
    });
    Ok(Args {
        host: params::str_arg(args, "host")?.unwrap_or_else(|| "127.0.0.1".to_string()),
        port,
        path: params::str_arg(args, "path")?.map(|p| expand_user(&expand_vars(&p))),
        state,
        timeout: params::int_arg(args, "timeout")?.unwrap_or(300),
        delay: params::int_arg(args, "delay")?.unwrap_or(0),
        sleep: params::int_arg(args, "sleep")?.unwrap_or(1),
        connect_timeout: params::int_arg(args, "connect_timeout")?.unwrap_or(5),
        msg: params::str_arg(args, "msg")?,
        search_regex,
        regex,
        group_names,
        exclude_hosts: params::list_arg(args, "exclude_hosts")?,
        active_states,
    })
}

/// A failure with Ansible's `elapsed` key.
fn failed(msg: String, elapsed: u64) -> Outcome {
    let mut out = Outcome::failed(msg);
    out.extra
        .push(("elapsed".into(), Value::Int(elapsed as i64)));
    out
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

pub fn run(args: &Value, ctx: &ModuleContext) -> Outcome {
    if ctx.check_mode {
        return Outcome::skipped("remote module (wait_for) does not support check mode");
    }
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(msg) => return Outcome::failed(msg),
    };
    let port = a.port.filter(|p| *p != 0);
    let path = a.path.clone().filter(|p| !p.is_empty());
    if port.is_some() && path.is_some() {
        return failed(
            "port and path parameter can not both be passed to wait_for".into(),
            0,
        );
    }
    if path.is_some() && (a.state == "stopped" || a.state == "drained") {
        return failed(
            format!(
                "state={} should only be used for checking a port in the wait_for module",
                a.state
            ),
            0,
        );
    }
    if a.exclude_hosts.is_some() && a.state != "drained" {
        return failed("exclude_hosts should only be with state=drained".into(), 0);
    }
    for s in &a.active_states {
        if !CONNECTION_STATES.iter().any(|(name, _)| name == s) {
            return failed(format!("unknown active_connection_state ({s}) defined"), 0);
        }
    }
    let start = Instant::now();
    let elapsed = || start.elapsed().as_secs();
    if a.delay > 0 {
        std::thread::sleep(secs(a.delay));
    }
    let end = start + secs(a.timeout);
    let mut groups: Vec<Value> = Vec::new();
    let mut groupdict: Vec<(String, Value)> = Vec::new();
    let msg_or = |text: String| a.msg.clone().unwrap_or(text);
    if port.is_none() && path.is_none() && a.state != "drained" {
        std::thread::sleep(secs(a.timeout));
    } else if a.state == "absent" || a.state == "stopped" {
        let done = wait_until(end, a.sleep, || {
            Ok::<bool, ()>(match (&path, port) {
                (Some(p), _) => std::fs::metadata(p).is_err(),
                (None, Some(port)) => match connect(&a.host, port, secs(a.connect_timeout)) {
                    Ok(stream) => {
                        let _ = stream.shutdown(Shutdown::Both);
                        false
                    }
                    Err(_) => true,
                },
                (None, None) => true,
            })
        });
        if !done.unwrap_or(false) {
            let text = match (&path, port) {
                (_, Some(port)) => format!("Timeout when waiting for {}:{port} to stop.", a.host),
                (Some(p), _) => format!("Timeout when waiting for {p} to be absent."),
                _ => String::new(),
            };
            return failed(msg_or(text), elapsed());
        }
    } else if a.state == "started" || a.state == "present" {
        let done = wait_until(end, a.sleep, || match (&path, port) {
            (Some(p), _) => file_ready(p, &a, &mut groups, &mut groupdict),
            (None, Some(port)) => Ok(port_ready(&a, port, end)),
            (None, None) => Ok(true),
        });
        match done {
            Ok(true) => {}
            Err(text) => return failed(msg_or(text), elapsed()),
            Ok(false) => {
                let text = match (&path, port, &a.search_regex) {
                    (_, Some(port), Some(re)) => format!(
                        "Timeout when waiting for search string {re} in {}:{port}",
                        a.host
                    ),
                    (_, Some(port), None) => {
                        format!("Timeout when waiting for {}:{port}", a.host)
                    }
                    (Some(p), _, Some(re)) => {
                        format!("Timeout when waiting for search string {re} in {p}")
                    }
                    (Some(p), _, None) => format!("Timeout when waiting for file {p}"),
                    _ => String::new(),
                };
                return failed(msg_or(text), elapsed());
            }
        }
    } else {
        let Some(port) = a.port else {
            return failed("state=drained needs a port".into(), elapsed());
        };
        let counter = match DrainCounter::new(&a, port) {
            Ok(c) => c,
            Err(e) => return failed(e, elapsed()),
        };
        let done = wait_until(end, a.sleep, || counter.active().map(|n| n == 0));
        match done {
            Ok(true) => {}
            Ok(false) => {
                let text = format!("Timeout when waiting for {}:{port} to drain", a.host);
                return failed(msg_or(text), elapsed());
            }
            Err(e) => return failed(e, elapsed()),
        }
    }
    success(&a, groups, groupdict, elapsed())
}

/// Ansible's loop: check, then sleep, while the deadline has not passed. `Ok(true)` once the
/// check succeeds, `Ok(false)` at the deadline.
fn wait_until<E>(
    end: Instant,
    sleep: i64,
    mut check: impl FnMut() -> Result<bool, E>,
) -> Result<bool, E> {
    while Instant::now() < end {
        if check()? {
            return Ok(true);
        }
        std::thread::sleep(secs(sleep));
    }
    Ok(false)
}

fn success(a: &Args, groups: Vec<Value>, groupdict: Vec<(String, Value)>, elapsed: u64) -> Outcome {
    let mut out = Outcome::new(Status::Ok, false, "");
    out.msg = Value::Null;
    let mut extra: Vec<(String, Value)> = vec![
        ("state".into(), Value::str(&a.state)),
        ("port".into(), a.port.map_or(Value::Null, Value::Int)),
        (
            "search_regex".into(),
            a.search_regex.clone().map_or(Value::Null, Value::Str),
        ),
        ("match_groups".into(), Value::Array(groups)),
        ("match_groupdict".into(), Value::Object(groupdict)),
        (
            "path".into(),
            a.path.clone().map_or(Value::Null, Value::Str),
        ),
        ("elapsed".into(), Value::Int(elapsed as i64)),
    ];
    // Ansible's exit_json adds the facts of an existing `path` (`state` becomes its type).
    if let Some(path) = &a.path {
        for (key, value) in super::fsutil::path_facts(Path::new(path)) {
            match extra.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => extra.push((key, value)),
            }
        }
    }
    out.extra = extra;
    out
}

/// Whether the file exists (and contains the pattern, with its groups recorded). `Err` is
/// the failure message (a `stat` failure other than "not found", a search that failed).
fn file_ready(
    path: &str,
    a: &Args,
    groups: &mut Vec<Value>,
    groupdict: &mut Vec<(String, Value)>,
) -> Result<bool, String> {
    if let Err(e) = std::fs::metadata(path) {
        if e.raw_os_error() == Some(ENOENT) {
            return Ok(false);
        }
        return Err(format!("Failed to stat {path}, {}", strerror(&e)));
    }
    let Some(regex) = &a.regex else {
        return Ok(true);
    };
    let Ok(data) = std::fs::read(path) else {
        return Ok(false);
    };
    let found = regex
        .search_bytes(&data)
        .map_err(|e| format!("search_regex failed on {path}: {e}"))?;
    let Some(spans) = found else {
        return Ok(false);
    };
    let text = |span: Option<(usize, usize)>| match span {
        Some((s, e)) => Value::str(String::from_utf8_lossy(&data[s..e])),
        None => Value::Null,
    };
    let all: Vec<Value> = spans.iter().skip(1).map(|s| text(*s)).collect();
    if !all.is_empty() {
        *groups = all;
    }
    let named: Vec<(String, Value)> = a
        .group_names
        .iter()
        .map(|(name, i)| (name.clone(), text(spans.get(*i).copied().flatten())))
        .collect();
    if !named.is_empty() {
        *groupdict = named;
    }
    Ok(true)
}

/// Python's `socket.create_connection((host, port), timeout)`: every address of `host` in
/// turn.
fn connect(host: &str, port: i64, timeout: Duration) -> std::io::Result<TcpStream> {
    let port = u16::try_from(port)
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "port out of range"))?;
    let mut last = std::io::Error::new(ErrorKind::NotFound, "no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Seconds until `end`, rounded up (Python's `math.ceil` of the remaining time).
fn remaining_ceil(end: Instant) -> u64 {
    let left = end.saturating_duration_since(Instant::now());
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// One attempt of `state=started` on a port: connects (and with `search_regex`, reads
/// until the pattern shows up, the peer closes or the deadline passes).
fn port_ready(a: &Args, port: i64, end: Instant) -> bool {
    let timeout = secs(a.connect_timeout).min(Duration::from_secs(remaining_ceil(end)));
    let Ok(mut stream) = connect(&a.host, port, timeout) else {
        return false;
    };
    let Some(regex) = &a.regex else {
        let _ = stream.shutdown(Shutdown::Both);
        return true;
    };
    let mut data = Vec::new();
    let mut matched = false;
    let mut buf = [0u8; 1024];
    while Instant::now() < end {
        let wait = Duration::from_secs(remaining_ceil(end).max(1));
        let _ = stream.set_read_timeout(Some(wait));
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                data.extend_from_slice(&buf[..n]);
                if matches!(regex.search_bytes(&data), Ok(Some(_))) {
                    matched = true;
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    matched
}

/// Counts the connections of `state=drained` from `/proc/net/tcp` and `/proc/net/tcp6`, as
/// Ansible's Linux implementation does.
struct DrainCounter {
    /// (family 4 or 6, address as /proc prints it).
    ips: Vec<(u8, String)>,
    exclude: Vec<(u8, String)>,
    port_hex: String,
    state_ids: Vec<&'static str>,
}

impl DrainCounter {
    fn new(a: &Args, port: i64) -> Result<DrainCounter, String> {
        if !cfg!(target_os = "linux") {
            return Err("state=drained needs /proc/net/tcp (Linux only)".to_string());
        }
        let mut exclude = Vec::new();
        for host in a.exclude_hosts.iter().flatten() {
            exclude.extend(host_to_hex(host)?);
        }
        Ok(DrainCounter {
            ips: host_to_hex(&a.host)?,
            exclude,
            port_hex: format!("{port:04X}"),
            state_ids: a
                .active_states
                .iter()
                .filter_map(|s| CONNECTION_STATES.iter().find(|(n, _)| n == s))
                .map(|(_, id)| *id)
                .collect(),
        })
    }

    fn active(&self) -> Result<usize, String> {
        let mut count = 0;
        for (family, file) in [(4u8, "/proc/net/tcp"), (6u8, "/proc/net/tcp6")] {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let match_all = if family == 4 {
                "0".repeat(8)
            } else {
                "0".repeat(32)
            };
            for line in text.lines() {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.len() < 4 || fields[1] == "local_address" {
                    continue;
                }
                if !self.state_ids.contains(&fields[3]) {
                    continue;
                }
                let (Some((local_ip, local_port)), Some((remote_ip, _))) =
                    (fields[1].split_once(':'), fields[2].split_once(':'))
                else {
                    continue;
                };
                if local_port != self.port_hex {
                    continue;
                }
                let has = |ip: &str| self.ips.iter().any(|(f, i)| *f == family && i == ip);
                if self
                    .exclude
                    .iter()
                    .any(|(f, i)| *f == family && i == remote_ip)
                {
                    continue;
                }
                if has(local_ip)
                    || has(&match_all)
                    || (local_ip.starts_with("0000000000000000FFFF0000")
                        && has("0000000000000000FFFF000000000000"))
                {
                    count += 1;
                }
            }
        }
        Ok(count)
    }
}

/// The addresses of `host` as `/proc/net/tcp*` prints them (each 32-bit word in host byte
/// order, upper-case hex); an IPv4 address also as its IPv4-mapped IPv6 form.
fn host_to_hex(host: &str) -> Result<Vec<(u8, String)>, String> {
    let addrs: Vec<SocketAddr> = (host, 80)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let words = |bytes: &[u8]| -> String {
        bytes
            .chunks(4)
            .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
            .collect()
    };
    let mut out = Vec::new();
    for addr in addrs {
        match addr {
            SocketAddr::V4(v4) => {
                out.push((4, words(&v4.ip().octets())));
                out.push((6, words(&v4.ip().to_ipv6_mapped().octets())));
            }
            SocketAddr::V6(v6) => out.push((6, words(&v6.ip().octets()))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::modules::with_test_context;
    use std::net::TcpListener;

    fn wait(check: bool, args: &str) -> Outcome {
        let lookup = |_: &str| None;
        with_test_context(check, 0, &lookup, |ctx| run(&parse(args).unwrap(), ctx))
    }

    fn extra<'a>(out: &'a Outcome, key: &str) -> Option<&'a Value> {
        out.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn ports_started_and_stopped() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = wait(false, &format!(r#"{{"port": {port}, "timeout": 2}}"#));
        assert_eq!(out.status, Status::Ok, "{:?}", out.msg);
        assert_eq!(extra(&out, "state"), Some(&Value::str("started")));
        assert_eq!(extra(&out, "port"), Some(&Value::Int(i64::from(port))));
        assert_eq!(extra(&out, "elapsed"), Some(&Value::Int(0)));
        assert_eq!(extra(&out, "match_groups"), Some(&Value::Array(vec![])));
        drop(listener);
        let out = wait(
            false,
            &format!(r#"{{"port": {port}, "state": "stopped", "timeout": 2}}"#),
        );
        assert_eq!(out.status, Status::Ok);
        let out = wait(false, &format!(r#"{{"port": {port}, "timeout": 1}}"#));
        assert_eq!(out.status, Status::Failed);
        assert_eq!(
            out.msg,
            Value::str(format!("Timeout when waiting for 127.0.0.1:{port}"))
        );
        assert_eq!(extra(&out, "elapsed"), Some(&Value::Int(1)));
        let out = wait(
            false,
            &format!(r#"{{"port": "{port}", "timeout": "1", "msg": "custom"}}"#),
        );
        assert_eq!(out.msg, Value::str("custom"));
    }

    #[test]
    fn files_present_absent_and_checks() {
        let dir = std::env::temp_dir().join(format!("rustle-waitfor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, "x").unwrap();
        let out = wait(false, &format!(r#"{{"path": "{}"}}"#, file.display()));
        assert_eq!(out.status, Status::Ok);
        assert_eq!(extra(&out, "state"), Some(&Value::str("file")));
        assert_eq!(extra(&out, "size"), Some(&Value::Int(1)));
        let out = wait(
            false,
            &format!(r#"{{"path": "{}/missing", "timeout": 1}}"#, dir.display()),
        );
        assert_eq!(
            out.msg,
            Value::str(format!(
                "Timeout when waiting for file {}/missing",
                dir.display()
            ))
        );
        let out = wait(
            false,
            &format!(
                r#"{{"path": "{}/missing", "state": "absent"}}"#,
                dir.display()
            ),
        );
        assert_eq!(out.status, Status::Ok);
        assert_eq!(extra(&out, "state"), Some(&Value::str("absent")));
        let out = wait(
            false,
            &format!(r#"{{"path": "{}/x", "timeout": 1}}"#, file.display()),
        );
        assert_eq!(
            out.msg,
            Value::str(format!(
                "Failed to stat {}/x, Not a directory",
                file.display()
            ))
        );
        let out = wait(true, &format!(r#"{{"path": "{}"}}"#, file.display()));
        assert_eq!(out.status, Status::Skipped);
        assert_eq!(
            out.msg,
            Value::str("remote module (wait_for) does not support check mode")
        );
        let out = wait(false, r#"{"path": "/x", "port": 1}"#);
        assert_eq!(
            out.msg,
            Value::str("port and path parameter can not both be passed to wait_for")
        );
        let out = wait(false, r#"{"timeout": "x"}"#);
        assert_eq!(out.status, Status::Failed);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn drained_counts_established_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = wait(
            false,
            &format!(r#"{{"port": {port}, "state": "drained", "timeout": 1}}"#),
        );
        assert_eq!(out.status, Status::Ok, "{:?}", out.msg);
        assert_eq!(extra(&out, "state"), Some(&Value::str("drained")));
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_server_side, _) = listener.accept().unwrap();
        let out = wait(
            false,
            &format!(r#"{{"port": {port}, "state": "drained", "timeout": 1}}"#),
        );
        assert_eq!(
            out.msg,
            Value::str(format!(
                "Timeout when waiting for 127.0.0.1:{port} to drain"
            ))
        );
        // Connections from an excluded host do not count.
        let out = wait(
            false,
            &format!(
                r#"{{"port": {port}, "state": "drained", "timeout": 1,
                     "exclude_hosts": ["127.0.0.1"]}}"#
            ),
        );
        assert_eq!(out.status, Status::Ok, "{:?}", out.msg);
        drop(client);
    }

    #[test]
    fn proc_net_hex_addresses() {
        let hex = host_to_hex("127.0.0.1").unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(hex[0], (4, "0100007F".to_string()));
            assert_eq!(hex[1], (6, "0000000000000000FFFF00000100007F".to_string()));
        }
    }
}
