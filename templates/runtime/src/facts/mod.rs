//! Ansible-compatible fact gathering on the target host.
//!
//! Facts carry Ansible's short names (without the `ansible_` prefix) and
//! Ansible's value shapes, e.g. `distribution` is `"Debian"`,
//! `processor_vcpus` an integer and every `date_time` member a string. They
//! are gathered lazily and in groups: asking for `hostname` runs `uname`
//! only, never reads `/proc/cpuinfo` or the environment, and each group is
//! read at most once per [`FactCache`].
//!
//! Linux (glibc and musl) and macOS are supported; on any other system the
//! facts that need platform code are simply missing.

mod datetime;
mod distro;
mod hardware;
mod host;
mod managers;
mod misc;
mod network;
pub(crate) mod sys;
mod user;

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::json::Value;
use hardware::Fact;
use host::{content, Host, RealHost};

/// A set of facts read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Addresses,
    Apparmor,
    Chroot,
    Cmdline,
    Cpu,
    DateTime,
    Distribution,
    Dmi,
    Dns,
    Env,
    Fips,
    Fqdn,
    Interfaces,
    Loadavg,
    Lsb,
    MachineId,
    Memory,
    Mounts,
    PkgMgr,
    Selinux,
    ServiceMgr,
    Storage,
    Uname,
    Uptime,
    User,
    Virtual,
}

/// Every known fact and its group, sorted by name.
const FACTS: [(&str, Group); 88] = [
    ("all_ipv4_addresses", Group::Addresses),
    ("all_ipv6_addresses", Group::Addresses),
    ("apparmor", Group::Apparmor),
    ("architecture", Group::Uname),
    ("bios_date", Group::Dmi),
    ("bios_vendor", Group::Dmi),
    ("bios_version", Group::Dmi),
    ("board_asset_tag", Group::Dmi),
    ("board_name", Group::Dmi),
    ("board_serial", Group::Dmi),
    ("board_vendor", Group::Dmi),
    ("board_version", Group::Dmi),
    ("chassis_asset_tag", Group::Dmi),
    ("chassis_serial", Group::Dmi),
    ("chassis_vendor", Group::Dmi),
    ("chassis_version", Group::Dmi),
    ("cmdline", Group::Cmdline),
    ("date_time", Group::DateTime),
    ("default_ipv4", Group::Addresses),
    ("default_ipv6", Group::Addresses),
    ("distribution", Group::Distribution),
    ("distribution_file_parsed", Group::Distribution),
    ("distribution_file_path", Group::Distribution),
    ("distribution_file_variety", Group::Distribution),
    ("distribution_major_version", Group::Distribution),
    ("distribution_minor_version", Group::Distribution),
    ("distribution_release", Group::Distribution),
    ("distribution_version", Group::Distribution),
    ("dns", Group::Dns),
    ("domain", Group::Fqdn),
    ("effective_group_id", Group::User),
    ("effective_user_id", Group::User),
    ("env", Group::Env),
    ("fibre_channel_wwn", Group::Storage),
    ("fips", Group::Fips),
    ("flags", Group::Cpu),
    ("form_factor", Group::Dmi),
    ("fqdn", Group::Fqdn),
    ("hostname", Group::Uname),
    ("hostnqn", Group::Storage),
    ("interfaces", Group::Interfaces),
    ("is_chroot", Group::Chroot),
    ("iscsi_iqn", Group::Storage),
    ("kernel", Group::Uname),
    ("kernel_version", Group::Uname),
    ("loadavg", Group::Loadavg),
    ("lsb", Group::Lsb),
    ("machine", Group::Uname),
    ("machine_id", Group::MachineId),
    ("memfree_mb", Group::Memory),
    ("memory_mb", Group::Memory),
    ("memtotal_mb", Group::Memory),
    ("model", Group::Dmi),
    ("mounts", Group::Mounts),
    ("nodename", Group::Uname),
    ("os_family", Group::Distribution),
    ("pkg_mgr", Group::PkgMgr),
    ("proc_cmdline", Group::Cmdline),
    ("processor", Group::Cpu),
    ("processor_cores", Group::Cpu),
    ("processor_count", Group::Cpu),
    ("processor_nproc", Group::Cpu),
    ("processor_threads_per_core", Group::Cpu),
    ("processor_vcpus", Group::Cpu),
    ("product_name", Group::Dmi),
    ("product_serial", Group::Dmi),
    ("product_uuid", Group::Dmi),
    ("product_version", Group::Dmi),
    ("real_group_id", Group::User),
    ("real_user_id", Group::User),
    ("selinux", Group::Selinux),
    ("selinux_python_present", Group::Selinux),
    ("service_mgr", Group::ServiceMgr),
    ("swapfree_mb", Group::Memory),
    ("swaptotal_mb", Group::Memory),
    ("system", Group::Uname),
    ("system_vendor", Group::Dmi),
    ("uptime_seconds", Group::Uptime),
    ("user_dir", Group::User),
    ("user_gecos", Group::User),
    ("user_gid", Group::User),
    ("user_id", Group::User),
    ("user_shell", Group::User),
    ("user_uid", Group::User),
    ("userspace_architecture", Group::Uname),
    ("userspace_bits", Group::Uname),
    ("virtualization_role", Group::Virtual),
    ("virtualization_type", Group::Virtual),
];

const fn fact_names<const N: usize>(table: [(&'static str, Group); N]) -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < N {
        names[i] = table[i].0;
        i += 1;
    }
    names
}

static NAMES: [&str; FACTS.len()] = fact_names(FACTS);

/// The short names this runtime can gather (sorted).
pub fn known_facts() -> &'static [&'static str] {
    &NAMES
}

fn group_of(name: &str) -> Option<Group> {
    FACTS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| FACTS[i].1)
}

#[derive(Default)]
struct State {
    loaded: Vec<Group>,
    facts: BTreeMap<&'static str, Value>,
    /// How often each group was read, for the laziness tests.
    #[cfg(test)]
    loads: BTreeMap<Group, usize>,
}

/// Caches gathered facts; each group (uname, os-release, memory, cpu, user,
/// env, date_time, ...) is read at most once.
///
/// The cache uses interior mutability, so it works through shared
/// references; it is meant for one thread (it is not `Sync`).
pub struct FactCache {
    gatherer: Option<Gatherer>,
    state: RefCell<State>,
    /// Output of `lsb_release -a`, shared by the `lsb` and distribution
    /// groups (`None` inside when the tool is missing or fails).
    lsb_output: OnceCell<Option<String>>,
}

impl Default for FactCache {
    fn default() -> Self {
        FactCache::new()
    }
}

/// Reads facts from the host. A binary whose plan reads no facts is built without one
/// (see [`crate::modules::Extensions::pruned`]), which leaves the gathering code out.
#[derive(Clone, Copy)]
pub struct Gatherer {
    collect: fn(&FactCache, Group) -> Vec<Fact>,
}

/// The gatherer that reads this host's facts.
pub const HOST_FACTS: Gatherer = Gatherer {
    collect: FactCache::collect,
};

impl FactCache {
    /// An empty cache that reads this host's facts; nothing is read until a fact is
    /// asked for.
    pub fn new() -> FactCache {
        FactCache::with_gatherer(Some(HOST_FACTS))
    }

    /// An empty cache with `gatherer` (`None`: no fact is ever known).
    pub fn with_gatherer(gatherer: Option<Gatherer>) -> FactCache {
        FactCache {
            gatherer,
            state: RefCell::new(State::default()),
            lsb_output: OnceCell::new(),
        }
    }

    /// The fact by its short name (without the `ansible_` prefix), e.g.
    /// "hostname", "distribution_major_version", "date_time". None when the
    /// name is not a fact this runtime knows or it cannot be determined on
    /// this host.
    pub fn get(&self, name: &str) -> Option<Value> {
        let group = group_of(name)?;
        self.ensure(group);
        self.state.borrow().facts.get(name).cloned()
    }

    /// Every known fact, short names, in a stable order (for the `setup`
    /// module and `ansible_facts`).
    pub fn all(&self) -> Vec<(String, Value)> {
        known_facts()
            .iter()
            .filter_map(|name| self.get(name).map(|v| (name.to_string(), v)))
            .collect()
    }

    fn ensure(&self, group: Group) {
        if self.state.borrow().loaded.contains(&group) {
            return;
        }
        // No borrow is held while collecting: a group may ask for facts of
        // other groups (the distribution needs `system`, for instance).
        let facts = match self.gatherer {
            Some(gatherer) => (gatherer.collect)(self, group),
            None => Vec::new(),
        };
        let mut state = self.state.borrow_mut();
        if state.loaded.contains(&group) {
            return;
        }
        state.loaded.push(group);
        #[cfg(test)]
        {
            *state.loads.entry(group).or_insert(0) += 1;
        }
        for (name, value) in facts {
            debug_assert_eq!(group_of(name), Some(group), "{name} reported by {group:?}");
            state.facts.insert(name, value);
        }
    }

    /// How many times a group was read (tests only).
    #[cfg(test)]
    fn load_count(&self, group: Group) -> usize {
        self.state.borrow().loads.get(&group).copied().unwrap_or(0)
    }

    fn text(&self, name: &str) -> String {
        self.get(name)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn lsb_release_output(&self) -> Option<String> {
        self.lsb_output
            .get_or_init(|| {
                let bin = RealHost.which("lsb_release")?;
                run(&bin, &["-a"])
            })
            .clone()
    }

    fn collect(&self, group: Group) -> Vec<Fact> {
        let host = RealHost;
        match group {
            Group::Uname => uname_facts(),
            Group::Fqdn => fqdn_facts(&self.text("nodename")),
            Group::Distribution => self.distribution_facts(&host),
            Group::Cpu => cpu_facts(&host, &self.text("architecture")),
            Group::Memory => memory_facts(&host),
            Group::User => user::user_facts(
                user::login_name_from(&|k| std::env::var(k).ok()),
                sys::ids(),
                &sys::passwd_by_name,
                &sys::passwd_by_uid,
            ),
            Group::Env => vec![(
                "env",
                misc::env_value(std::env::vars_os().map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })),
            )],
            Group::DateTime => vec![("date_time", date_time_now())],
            Group::PkgMgr => {
                let ctx = managers::PkgContext {
                    system: &self.text("system"),
                    distribution: &self.text("distribution"),
                    major_version: &self.text("distribution_major_version"),
                    os_family: &self.text("os_family"),
                };
                let rpm = || {
                    run(
                        "/usr/bin/rpm",
                        &["-q", "--whatprovides", "/usr/bin/apt-get"],
                    )
                    .is_some()
                };
                vec![("pkg_mgr", Value::Str(managers::pkg_mgr(&host, &ctx, &rpm)))]
            }
            Group::ServiceMgr => vec![(
                "service_mgr",
                Value::Str(managers::service_mgr(
                    &host,
                    &self.text("system"),
                    &self.text("distribution"),
                )),
            )],
            Group::MachineId => misc::machine_id(&host)
                .map(|id| vec![("machine_id", Value::Str(id))])
                .unwrap_or_default(),
            Group::Uptime => uptime_facts(&host),
            Group::Interfaces => interface_facts(&host),
            Group::Addresses => address_facts(&host),
            Group::Selinux => {
                let (value, present) = misc::selinux_value(&host, libselinux_present(&host));
                vec![
                    ("selinux", value),
                    ("selinux_python_present", Value::Bool(present)),
                ]
            }
            Group::Dmi => dmi_facts(&host),
            Group::Storage => storage_facts(&host),
            Group::Apparmor => vec![("apparmor", misc::apparmor_value(&host))],
            Group::Fips => vec![("fips", misc::fips_value(&host))],
            Group::Chroot => chroot_facts(&host),
            Group::Lsb => {
                let out = self.lsb_release_output();
                let file = host.read("/etc/lsb-release");
                vec![("lsb", misc::lsb_value(out.as_deref(), file.as_deref()))]
            }
            Group::Dns => vec![(
                "dns",
                misc::dns_value(&host.read("/etc/resolv.conf").unwrap_or_default()),
            )],
            Group::Cmdline => cmdline_facts(&host),
            Group::Loadavg => sys::load_average()
                .map(|avg| vec![("loadavg", misc::loadavg_value(avg))])
                .unwrap_or_default(),
            Group::Mounts => mount_facts(&host),
            Group::Virtual => virtual_facts(&host),
        }
    }

    fn distribution_facts(&self, host: &dyn Host) -> Vec<Fact> {
        let system = self.text("system");
        let release = self.text("kernel");
        let version = self.text("kernel_version");
        if system.is_empty() {
            return Vec::new();
        }
        let facts = match system.as_str() {
            "Linux" => {
                let lsb = || self.lsb_release_output();
                distro::linux_distribution(host, &lsb)
            }
            "Darwin" => {
                let product_version = host
                    .read("/System/Library/CoreServices/SystemVersion.plist")
                    .and_then(|p| distro::plist_product_version(&p))
                    .or_else(|| {
                        run("/usr/bin/sw_vers", &["-productVersion"])
                            .map(|out| out.trim().to_string())
                    });
                distro::darwin_distribution(product_version, &release, &version)
            }
            _ => distro::generic_distribution(&system, &release, &version),
        };
        let mut out = vec![
            ("distribution", Value::Str(facts.distribution)),
            ("distribution_release", Value::Str(facts.release)),
            ("distribution_version", Value::Str(facts.version)),
            ("os_family", Value::Str(facts.os_family)),
        ];
        let optional = [
            (
                "distribution_major_version",
                facts.major_version.map(Value::Str),
            ),
            (
                "distribution_minor_version",
                facts.minor_version.map(Value::Str),
            ),
            ("distribution_file_path", facts.file_path.map(Value::Str)),
            (
                "distribution_file_variety",
                facts.file_variety.map(Value::Str),
            ),
            (
                "distribution_file_parsed",
                facts.file_parsed.map(Value::Bool),
            ),
        ];
        out.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        out
    }
}

/// Runs a command with no input and returns its stdout when it exits 0.
fn run(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn uname_facts() -> Vec<Fact> {
    let Some(u) = sys::uname() else {
        return Vec::new();
    };
    let bits = if cfg!(target_pointer_width = "64") {
        "64"
    } else {
        "32"
    };
    let mut out = vec![
        ("system", Value::str(&u.sysname)),
        ("kernel", Value::str(&u.release)),
        ("kernel_version", Value::str(&u.version)),
        ("machine", Value::str(&u.machine)),
        ("nodename", Value::str(&u.nodename)),
        (
            "hostname",
            Value::str(u.nodename.split('.').next().unwrap_or("")),
        ),
        ("userspace_bits", Value::str(bits)),
    ];
    // Ansible maps i386..i686 and i86pc to "i386" and keeps the rest.
    let architecture = match u.machine.as_str() {
        "i386" | "i486" | "i586" | "i686" | "i86pc" => "i386",
        m => m,
    };
    out.push(("architecture", Value::str(architecture)));
    if architecture == "x86_64" || architecture == "i386" {
        let userspace = if bits == "64" { "x86_64" } else { "i386" };
        out.push(("userspace_architecture", Value::str(userspace)));
    }
    out
}

/// Python's `socket.getfqdn()`: the first name with a dot among the reverse
/// lookup's name and aliases of the host name's address, else that name;
/// the host name itself when the lookups fail.
fn fqdn_facts(nodename: &str) -> Vec<Fact> {
    if nodename.is_empty() {
        return Vec::new();
    }
    let fqdn = resolve_fqdn(nodename).unwrap_or_else(|| nodename.to_string());
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d)
        .unwrap_or("")
        .to_string();
    vec![("fqdn", Value::Str(fqdn)), ("domain", Value::Str(domain))]
}

fn resolve_fqdn(name: &str) -> Option<String> {
    use std::net::ToSocketAddrs;
    let addr = (name, 0u16).to_socket_addrs().ok()?.next()?.ip();
    let (official, aliases) = sys::host_by_addr(addr)?;
    let chosen = std::iter::once(&official)
        .chain(aliases.iter())
        .find(|n| n.contains('.'))
        .cloned()
        .unwrap_or(official);
    Some(chosen)
}

fn cpu_facts(host: &dyn Host, architecture: &str) -> Vec<Fact> {
    if cfg!(target_os = "macos") {
        return darwin_cpu();
    }
    let Some(cpuinfo) = host.read("/proc/cpuinfo") else {
        return Vec::new();
    };
    let xen = host.exists("/proc/xen")
        || host
            .read("/sys/hypervisor/type")
            .map(|t| t.lines().next().map(str::trim) == Some("xen"))
            .unwrap_or(false);
    hardware::linux_cpu_facts(&cpuinfo, architecture, xen, sys::affinity_cpus())
}

#[cfg(target_os = "macos")]
fn darwin_cpu() -> Vec<Fact> {
    use sys::darwin::{sysctl_int, sysctl_string};
    hardware::darwin_cpu_facts(
        sysctl_string("machdep.cpu.brand_string"),
        sysctl_int("machdep.cpu.core_count"),
        sysctl_int("hw.logicalcpu").or_else(|| sysctl_int("hw.ncpu")),
    )
}

#[cfg(not(target_os = "macos"))]
fn darwin_cpu() -> Vec<Fact> {
    Vec::new()
}

fn memory_facts(host: &dyn Host) -> Vec<Fact> {
    #[cfg(target_os = "macos")]
    {
        let _ = host;
        let vm_stat = run("/usr/bin/vm_stat", &[]);
        hardware::darwin_memory_facts(sys::darwin::sysctl_int("hw.memsize"), vm_stat.as_deref())
    }
    #[cfg(not(target_os = "macos"))]
    {
        host.read("/proc/meminfo")
            .map(|t| hardware::linux_memory_facts(&t))
            .unwrap_or_default()
    }
}

fn uptime_facts(host: &dyn Host) -> Vec<Fact> {
    #[cfg(target_os = "macos")]
    let secs = {
        let _ = host;
        let boot =
            sys::darwin::sysctl_raw("kern.boottime").and_then(|raw| sys::int_from_ne_bytes(&raw));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .ok();
        boot.zip(now).map(|(b, n)| n.saturating_sub(b))
    };
    #[cfg(not(target_os = "macos"))]
    let secs = host
        .read("/proc/uptime")
        .and_then(|t| hardware::proc_uptime_seconds(&t));
    secs.map(|s| vec![("uptime_seconds", Value::Int(s))])
        .unwrap_or_default()
}

fn date_time_now() -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let micros = now.subsec_micros();
    // tz_names runs tzset first, so localtime_r sees the current TZ on every
    // C library (POSIX does not require localtime_r to call tzset itself).
    let tz_names = sys::tz_names();
    let local = sys::local_time(secs).unwrap_or_else(|| datetime::utc_time(secs));
    let tz_dst = tz_names
        .map(|(_, dst)| dst)
        .unwrap_or_else(|| local.zone.clone());
    datetime::date_time_value(secs, micros, &local, &tz_dst)
}

fn interface_facts(host: &dyn Host) -> Vec<Fact> {
    let from_addrs = || sys::interface_addrs().map(|a| network::interfaces_from_addrs(&a));
    let names = if cfg!(target_os = "macos") {
        from_addrs()
    } else {
        network::linux_interfaces(host).or_else(from_addrs)
    };
    names
        .map(|n| {
            vec![(
                "interfaces",
                Value::Array(n.into_iter().map(Value::Str).collect()),
            )]
        })
        .unwrap_or_default()
}

fn address_facts(host: &dyn Host) -> Vec<Fact> {
    let Some(addrs) = sys::interface_addrs() else {
        return Vec::new();
    };
    let (v4, v6) = network::all_addresses(&addrs);
    let route = if cfg!(target_os = "macos") {
        run("/sbin/route", &["-n", "get", "default"]).and_then(|out| {
            let (gateway, interface) = network::parse_route_get(&out);
            interface.map(|i| (i, gateway.and_then(|g| g.parse().ok())))
        })
    } else {
        host.read("/proc/net/route")
            .and_then(|t| network::default_route(&t))
    };
    let route6 = if cfg!(target_os = "macos") {
        run("/sbin/route", &["-n", "get", "-inet6", "default"]).and_then(|out| {
            let (gateway, interface) = network::parse_route_get(&out);
            interface.map(|i| (i, gateway.and_then(|g| g.parse().ok())))
        })
    } else {
        host.read("/proc/net/ipv6_route")
            .and_then(|t| network::default_route_v6(&t))
    };
    vec![
        ("all_ipv4_addresses", Value::Array(v4)),
        ("all_ipv6_addresses", Value::Array(v6)),
        (
            "default_ipv4",
            network::default_ipv4(host, network::outbound_ipv4(), route, &addrs),
        ),
        (
            "default_ipv6",
            network::default_ipv6(host, network::outbound_ipv6(), route6, &addrs),
        ),
    ]
}

/// Whether `libselinux.so.1` can be found where the dynamic loader looks by
/// default (Ansible loads it with ctypes for the selinux facts).
fn libselinux_present(host: &dyn Host) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let multiarch = match std::env::consts::ARCH {
        "x86_64" => "x86_64-linux-gnu",
        "x86" => "i386-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "powerpc64" => "powerpc64le-linux-gnu",
        "s390x" => "s390x-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        _ => "",
    };
    let mut dirs = vec![
        "/lib".to_string(),
        "/usr/lib".to_string(),
        "/lib64".to_string(),
        "/usr/lib64".to_string(),
        "/usr/local/lib".to_string(),
    ];
    if !multiarch.is_empty() {
        dirs.push(format!("/lib/{multiarch}"));
        dirs.push(format!("/usr/lib/{multiarch}"));
    }
    dirs.iter()
        .any(|d| host.exists(&format!("{d}/libselinux.so.1")))
}

fn dmi_facts(host: &dyn Host) -> Vec<Fact> {
    #[cfg(target_os = "macos")]
    {
        let _ = host;
        sys::darwin::sysctl_string("hw.model")
            .map(|m| vec![("model", Value::str(&m)), ("product_name", Value::Str(m))])
            .unwrap_or_default()
    }
    #[cfg(not(target_os = "macos"))]
    {
        if !cfg!(target_os = "linux") {
            return Vec::new();
        }
        let base = "/sys/devices/virtual/dmi/id";
        let read = |file: &str| content(host, &format!("{base}/{file}"));
        hardware::linux_dmi_facts(host.exists(&format!("{base}/product_name")), &read)
    }
}

fn storage_facts(host: &dyn Host) -> Vec<Fact> {
    let linux = cfg!(target_os = "linux");
    let read = |path: &str| {
        if linux {
            host.read(path).unwrap_or_default()
        } else {
            String::new()
        }
    };
    let wwn = if linux {
        misc::fibre_channel_wwn(host)
    } else {
        Vec::new()
    };
    vec![
        ("fibre_channel_wwn", Value::Array(wwn)),
        (
            "hostnqn",
            Value::Str(misc::hostnqn(&read("/etc/nvme/hostnqn"))),
        ),
        (
            "iscsi_iqn",
            Value::Str(misc::iscsi_iqn(&read("/etc/iscsi/initiatorname.iscsi"))),
        ),
    ]
}

fn chroot_facts(host: &dyn Host) -> Vec<Fact> {
    let debian_chroot = std::env::var_os("debian_chroot")
        .map(|v| !v.is_empty())
        .unwrap_or(false);
    let ids = |path: &str| -> Option<(u64, u64)> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(path).ok().map(|m| (m.ino(), m.dev()))
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    };
    let fstype = host
        .read("/proc/mounts")
        .and_then(|t| misc::root_fstype(&t));
    misc::is_chroot(
        debian_chroot,
        ids("/"),
        ids("/proc/1/root/."),
        fstype.as_deref(),
    )
    .map(|b| vec![("is_chroot", Value::Bool(b))])
    .unwrap_or_default()
}

fn cmdline_facts(host: &dyn Host) -> Vec<Fact> {
    host.read("/proc/cmdline")
        .and_then(|t| misc::cmdline_values(&t))
        .map(|(plain, multi)| vec![("cmdline", plain), ("proc_cmdline", multi)])
        .unwrap_or_default()
}

/// Longest wait for one mount point's `statvfs` (a hung network file system
/// would otherwise block forever); Ansible's default gather timeout.
const MOUNT_TIMEOUT: Duration = Duration::from_secs(10);

fn mount_facts(host: &dyn Host) -> Vec<Fact> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let table = content(host, "/etc/mtab").or_else(|| content(host, "/proc/mounts"));
    let Some(table) = table else {
        return Vec::new();
    };
    let entries = hardware::parse_mount_table(&table);
    // Each statvfs runs on its own thread; one that does not answer within
    // the deadline is left behind and the mount reported without sizes.
    let pending: Vec<_> = entries
        .iter()
        .map(|e| {
            let (tx, rx) = std::sync::mpsc::channel();
            let path = e.mount.clone();
            let spawned = std::thread::Builder::new()
                .name("facts-statvfs".into())
                .spawn(move || {
                    let _ = tx.send(sys::fs_stats(&path));
                })
                .is_ok();
            spawned.then_some(rx)
        })
        .collect();
    let deadline = std::time::Instant::now() + MOUNT_TIMEOUT;
    let uuids = disk_uuids(host);
    let mounts = entries
        .iter()
        .zip(pending)
        .map(|(entry, rx)| {
            let stats = rx.and_then(|rx| {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                rx.recv_timeout(left).ok().flatten()
            });
            let uuid = host
                .real_path(&entry.device)
                .and_then(|dev| uuids.get(&dev).cloned())
                .unwrap_or_else(|| "N/A".to_string());
            hardware::mount_value(entry, stats, &uuid)
        })
        .collect();
    vec![("mounts", Value::Array(mounts))]
}

/// Device path to file system UUID, from `/dev/disk/by-uuid`.
fn disk_uuids(host: &dyn Host) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for uuid in host.list_dir("/dev/disk/by-uuid").unwrap_or_default() {
        if let Some(dev) = host.real_path(&format!("/dev/disk/by-uuid/{uuid}")) {
            map.insert(dev, uuid);
        }
    }
    map
}

fn virtual_facts(host: &dyn Host) -> Vec<Fact> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let (kind, role) = misc::linux_virtualization(host);
    vec![
        ("virtualization_role", Value::Str(role)),
        ("virtualization_type", Value::Str(kind)),
    ]
}

#[cfg(test)]
mod tests;
