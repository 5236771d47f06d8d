//! Smaller collectors: environment, security modules, chroot, lsb, dns,
//! kernel command line, load average, virtualization and machine id.

use super::host::{content, Host};
use crate::json::{obj, Value};

/// The `env` object: every environment variable, sorted by name.
pub(crate) fn env_value(vars: impl Iterator<Item = (String, String)>) -> Value {
    let mut members: Vec<(String, Value)> = vars.map(|(k, v)| (k, Value::Str(v))).collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members.dedup_by(|later, earlier| later.0 == earlier.0);
    Value::Object(members)
}

/// The `selinux` object and `selinux_python_present`. Ansible needs
/// `libselinux.so.1` for this collector: without it the status is "Missing
/// selinux Python library". Otherwise `{"status": "disabled"}` unless
/// selinuxfs is mounted, in which case mode, policy version and the
/// configured mode and type are read from it and from `/etc/selinux/config`.
pub(crate) fn selinux_value(host: &dyn Host, libselinux: bool) -> (Value, bool) {
    if !libselinux {
        return (
            obj([("status", Value::str("Missing selinux Python library"))]),
            false,
        );
    }
    let Some(enforce) = content(host, "/sys/fs/selinux/enforce") else {
        return (obj([("status", Value::str("disabled"))]), true);
    };
    let config = host.read("/etc/selinux/config").unwrap_or_default();
    let setting = |key: &str| {
        config.lines().find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix('='))
                .map(|v| v.trim().to_string())
        })
    };
    let config_mode = match setting("SELINUX").as_deref() {
        Some(m @ ("enforcing" | "permissive" | "disabled")) => m.to_string(),
        _ => "unknown".to_string(),
    };
    let mode = match enforce.as_str() {
        "1" => "enforcing",
        "0" => "permissive",
        _ => "unknown",
    };
    let policyvers = content(host, "/sys/fs/selinux/policyvers")
        .and_then(|p| p.parse::<i64>().ok())
        .map(Value::Int)
        .unwrap_or_else(|| Value::str("unknown"));
    let kind = setting("SELINUXTYPE").unwrap_or_else(|| "unknown".into());
    let value = obj([
        ("config_mode", Value::Str(config_mode)),
        ("mode", Value::str(mode)),
        ("policyvers", policyvers),
        ("status", Value::str("enabled")),
        ("type", Value::Str(kind)),
    ]);
    (value, true)
}

/// The `apparmor` object.
pub(crate) fn apparmor_value(host: &dyn Host) -> Value {
    let status = if host.exists("/sys/kernel/security/apparmor") {
        "enabled"
    } else {
        "disabled"
    };
    obj([("status", Value::str(status))])
}

/// The `fips` fact.
pub(crate) fn fips_value(host: &dyn Host) -> Value {
    Value::Bool(content(host, "/proc/sys/crypto/fips_enabled").as_deref() == Some("1"))
}

/// Ansible's `is_chroot`: `debian_chroot` set, or `/` differing from pid 1's
/// root; without access to `/proc/1/root`, whether `/`'s inode is the file
/// system's root inode (2, or 256 on btrfs, 128 on xfs).
pub(crate) fn is_chroot(
    debian_chroot: bool,
    root: Option<(u64, u64)>,
    proc1_root: Option<(u64, u64)>,
    root_fstype: Option<&str>,
) -> Option<bool> {
    if debian_chroot {
        return Some(true);
    }
    let (root_ino, root_dev) = root?;
    if let Some((ino, dev)) = proc1_root {
        return Some(root_ino != ino || root_dev != dev);
    }
    let fs_root_ino = match root_fstype {
        Some(t) if t.contains("btrfs") => 256,
        Some(t) if t.contains("xfs") => 128,
        _ => 2,
    };
    Some(root_ino != fs_root_ino)
}

/// The file system type mounted on `/` according to a mount table.
pub(crate) fn root_fstype(mounts: &str) -> Option<String> {
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && f[1] == "/").then(|| f[2].to_string())
        })
        .next_back()
}

/// The `lsb` object from `lsb_release -a` output or, failing that, the text
/// of `/etc/lsb-release`.
pub(crate) fn lsb_value(bin_output: Option<&str>, etc_lsb_release: Option<&str>) -> Value {
    let mut facts: Vec<(&'static str, String)> = Vec::new();
    let set = |facts: &mut Vec<(&'static str, String)>, k: &'static str, v: &str| match facts
        .iter_mut()
        .find(|(name, _)| *name == k)
    {
        Some(slot) => slot.1 = v.to_string(),
        None => facts.push((k, v.to_string())),
    };
    if let Some(out) = bin_output {
        for line in out.lines() {
            let Some((_, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            // Ansible stores "LSB Version" under "release" (then overwritten).
            if line.contains("LSB Version:") {
                set(&mut facts, "release", value);
            } else if line.contains("Distributor ID:") {
                set(&mut facts, "id", value);
            } else if line.contains("Description:") {
                set(&mut facts, "description", value);
            } else if line.contains("Release:") {
                set(&mut facts, "release", value);
            } else if line.contains("Codename:") {
                set(&mut facts, "codename", value);
            }
        }
    }
    if facts.is_empty() {
        if let Some(text) = etc_lsb_release {
            for line in text.lines() {
                let Some((_, value)) = line.split_once('=') else {
                    continue;
                };
                let value = value.trim();
                if line.contains("DISTRIB_ID") {
                    set(&mut facts, "id", value);
                } else if line.contains("DISTRIB_RELEASE") {
                    set(&mut facts, "release", value);
                } else if line.contains("DISTRIB_DESCRIPTION") {
                    set(&mut facts, "description", value);
                } else if line.contains("DISTRIB_CODENAME") {
                    set(&mut facts, "codename", value);
                }
            }
        }
    }
    if let Some(release) = facts
        .iter()
        .find(|(k, _)| *k == "release")
        .map(|(_, v)| v.clone())
    {
        let major = release.split('.').next().unwrap_or("").to_string();
        set(&mut facts, "major_release", &major);
    }
    let quotes: &[char] = &['\'', '"', '\\'];
    let mut members: Vec<(String, Value)> = facts
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Value::Str(v.trim_matches(quotes).to_string()),
            )
        })
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(members)
}

/// The `dns` object from the text of `/etc/resolv.conf`.
pub(crate) fn dns_value(resolv_conf: &str) -> Value {
    let mut nameservers: Option<Vec<Value>> = None;
    let mut domain: Option<String> = None;
    let mut search: Option<Vec<Value>> = None;
    let mut sortlist: Option<Vec<Value>> = None;
    let mut options: Option<Vec<(String, Value)>> = None;
    for line in resolv_conf.lines() {
        if line.starts_with('#') || line.starts_with(';') || line.trim().is_empty() {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let strings = |t: &[&str]| t.iter().map(|s| Value::str(*s)).collect::<Vec<_>>();
        match tokens.first().copied() {
            Some("nameserver") => nameservers
                .get_or_insert_with(Vec::new)
                .extend(strings(&tokens[1..])),
            Some("domain") => {
                if let Some(d) = tokens.get(1) {
                    domain = Some(d.to_string());
                }
            }
            Some("search") => search = Some(strings(&tokens[1..])),
            Some("sortlist") => sortlist = Some(strings(&tokens[1..])),
            Some("options") => {
                let mut opts: Vec<(String, Value)> = Vec::new();
                for option in &tokens[1..] {
                    let (k, v) = match option.split_once(':') {
                        Some((k, v)) if !v.is_empty() => (k, Value::str(v)),
                        Some((k, _)) => (k, Value::Bool(true)),
                        None => (*option, Value::Bool(true)),
                    };
                    opts.retain(|(name, _)| name != k);
                    opts.push((k.to_string(), v));
                }
                opts.sort_by(|a, b| a.0.cmp(&b.0));
                options = Some(opts);
            }
            _ => {}
        }
    }
    let mut members: Vec<(String, Value)> = Vec::new();
    if let Some(d) = domain {
        members.push(("domain".into(), Value::Str(d)));
    }
    if let Some(n) = nameservers {
        members.push(("nameservers".into(), Value::Array(n)));
    }
    if let Some(o) = options {
        members.push(("options".into(), Value::Object(o)));
    }
    if let Some(s) = search {
        members.push(("search".into(), Value::Array(s)));
    }
    if let Some(s) = sortlist {
        members.push(("sortlist".into(), Value::Array(s)));
    }
    Value::Object(members)
}

/// Python's `shlex.split(data, posix=False)`: whitespace-separated words,
/// quoted parts (quotes kept) may contain spaces.
fn split_non_posix(data: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in data.chars() {
        match quote {
            Some(q) => {
                word.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                word.push(c);
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `cmdline` (last value wins) and `proc_cmdline` (repeated keys become
/// lists) from the text of `/proc/cmdline`; `None` when it is empty.
pub(crate) fn cmdline_values(text: &str) -> Option<(Value, Value)> {
    let data = text.trim();
    if data.is_empty() {
        return None;
    }
    let mut plain: Vec<(String, Value)> = Vec::new();
    let mut multi: Vec<(String, Value)> = Vec::new();
    for piece in split_non_posix(data) {
        let (key, value) = match piece.split_once('=') {
            Some((k, v)) => (k.to_string(), Value::str(v)),
            None => (piece.clone(), Value::Bool(true)),
        };
        match plain.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => plain.push((key.clone(), value.clone())),
        }
        let slot = multi.iter_mut().find(|(k, _)| *k == key);
        match (slot, &value) {
            (Some(slot), Value::Str(_)) => {
                slot.1 = match std::mem::replace(&mut slot.1, Value::Null) {
                    Value::Array(mut items) => {
                        items.push(value);
                        Value::Array(items)
                    }
                    previous => Value::Array(vec![previous, value]),
                }
            }
            (Some(slot), _) => slot.1 = value,
            (None, _) => multi.push((key, value)),
        }
    }
    plain.sort_by(|a, b| a.0.cmp(&b.0));
    multi.sort_by(|a, b| a.0.cmp(&b.0));
    Some((Value::Object(plain), Value::Object(multi)))
}

/// The `loadavg` object.
pub(crate) fn loadavg_value(avg: [f64; 3]) -> Value {
    obj([
        ("15m", Value::Float(avg[2])),
        ("1m", Value::Float(avg[0])),
        ("5m", Value::Float(avg[1])),
    ])
}

/// The first line of `text` starting with `prefix`, skipping comments
/// (`#`, `;`) and blank lines.
fn first_config_line<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.lines()
        .filter(|l| !(l.starts_with('#') || l.starts_with(';') || l.trim().is_empty()))
        .find(|l| l.starts_with(prefix))
}

/// `iscsi_iqn` from the text of `/etc/iscsi/initiatorname.iscsi`.
pub(crate) fn iscsi_iqn(text: &str) -> String {
    first_config_line(text, "InitiatorName=")
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// `hostnqn` from the text of `/etc/nvme/hostnqn`.
pub(crate) fn hostnqn(text: &str) -> String {
    first_config_line(text, "nqn.")
        .map(str::to_string)
        .unwrap_or_default()
}

/// `fibre_channel_wwn`: every `/sys/class/fc_host/*/port_name`, without
/// the `0x` prefix.
pub(crate) fn fibre_channel_wwn(host: &dyn Host) -> Vec<Value> {
    let mut out = Vec::new();
    for name in host.list_dir("/sys/class/fc_host").unwrap_or_default() {
        let text = host
            .read(&format!("/sys/class/fc_host/{name}/port_name"))
            .unwrap_or_default();
        for line in text.trim().lines() {
            let line = line.trim_end();
            out.push(Value::str(line.get(2..).unwrap_or("")));
        }
    }
    out
}

/// `machine_id`: the first line of the D-Bus or systemd machine id.
pub(crate) fn machine_id(host: &dyn Host) -> Option<String> {
    let text =
        content(host, "/var/lib/dbus/machine-id").or_else(|| content(host, "/etc/machine-id"))?;
    text.lines().next().map(str::to_string)
}

/// `virtualization_type` and `virtualization_role` on Linux: the container
/// checks and DMI product/vendor checks of Ansible's `LinuxVirtual`, in its
/// order; ("NA", "NA") when none matches.
pub(crate) fn linux_virtualization(host: &dyn Host) -> (String, String) {
    let guest = |t: &str| (t.to_string(), "guest".to_string());
    if let Some(cgroup) = host.read("/proc/1/cgroup") {
        for line in cgroup.lines() {
            if is_docker_cgroup(line) {
                return guest("docker");
            }
            if line.contains("/lxc/") || line.contains("/machine.slice/machine-lxc") {
                return guest("lxc");
            }
            if line.contains("/system.slice/containerd.service") {
                return guest("containerd");
            }
        }
    }
    if let Some(environ) = host.read("/proc/1/environ") {
        for var in environ.split('\0') {
            if var.contains("container=lxc") {
                return guest("lxc");
            }
            if var.contains("container=podman") {
                return guest("podman");
            }
            if var.starts_with("container=") && var.len() > "container=".len() {
                return guest("container");
            }
        }
    }
    if host.exists("/proc/vz") && !host.exists("/proc/lve") {
        let role = if host.exists("/proc/bc") {
            "host"
        } else {
            "guest"
        };
        return ("openvz".to_string(), role.to_string());
    }
    if let Some(kind) = content(host, "/run/systemd/container") {
        return guest(&kind);
    }
    if host.exists("/.dockerenv") || host.exists("/.dockerinit") {
        return guest("docker");
    }
    if host.exists("/proc/xen") {
        let caps = host.read("/proc/xen/capabilities").unwrap_or_default();
        let role = if caps.contains("control_d") {
            "host"
        } else {
            "guest"
        };
        return ("xen".to_string(), role.to_string());
    }
    let dmi = |f: &str| content(host, &format!("/sys/devices/virtual/dmi/id/{f}"));
    let product = dmi("product_name").unwrap_or_default();
    match product.as_str() {
        "KVM" | "KVM Server" | "Bochs" | "AHV" => return guest("kvm"),
        "RHEV Hypervisor" => return guest("RHEV"),
        "VMware Virtual Platform" | "VMware7,1" => return guest("VMware"),
        "OpenStack Compute" | "OpenStack Nova" => return guest("openstack"),
        _ => {}
    }
    let bios_vendor = dmi("bios_vendor").unwrap_or_default();
    match bios_vendor.as_str() {
        "Xen" => return guest("xen"),
        "innotek GmbH" => return guest("virtualbox"),
        "Amazon EC2" | "Hetzner" => return guest("kvm"),
        _ => {}
    }
    let sys_vendor = dmi("sys_vendor").unwrap_or_default();
    match sys_vendor.as_str() {
        "QEMU" | "oVirt" | "Amazon EC2" | "Google" | "Scaleway" | "DigitalOcean" => {
            return guest("kvm")
        }
        "Microsoft Corporation" => return guest("VirtualPC"),
        "Parallels Software International Inc." => return guest("parallels"),
        "OpenStack Foundation" => return guest("openstack"),
        _ => {}
    }
    ("NA".to_string(), "NA".to_string())
}

/// `/docker(/|-[0-9a-f]+\.scope)` in a cgroup line.
fn is_docker_cgroup(line: &str) -> bool {
    line.match_indices("/docker").any(|(at, _)| {
        let rest = &line[at + "/docker".len()..];
        if rest.starts_with('/') {
            return true;
        }
        let Some(id) = rest.strip_prefix('-') else {
            return false;
        };
        let hex_len = id
            .chars()
            .take_while(|c| c.is_ascii_digit() || ('a'..='f').contains(c))
            .count();
        hex_len > 0 && id[hex_len..].starts_with(".scope")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::host::FakeHost;

    #[test]
    fn environment_is_sorted() {
        let v = env_value(
            vec![
                ("PATH".to_string(), "/bin".to_string()),
                ("HOME".to_string(), "/root".to_string()),
                ("A".to_string(), "".to_string()),
            ]
            .into_iter(),
        );
        assert_eq!(
            v.to_compact(),
            "{\"A\":\"\",\"HOME\":\"/root\",\"PATH\":\"/bin\"}"
        );
    }

    #[test]
    fn security_modules() {
        let host = FakeHost::new();
        assert_eq!(
            selinux_value(&host, true),
            (obj([("status", Value::str("disabled"))]), true)
        );
        assert_eq!(
            selinux_value(&host, false),
            (
                obj([("status", Value::str("Missing selinux Python library"))]),
                false
            )
        );
        assert_eq!(
            apparmor_value(&host).to_compact(),
            "{\"status\":\"disabled\"}"
        );
        assert_eq!(fips_value(&host), Value::Bool(false));
        let host = FakeHost::new()
            .file("/sys/fs/selinux/enforce", "1")
            .file("/sys/fs/selinux/policyvers", "33\n")
            .file(
                "/etc/selinux/config",
                "# c\nSELINUX=enforcing\nSELINUXTYPE=targeted\n",
            )
            .dir("/sys/kernel/security/apparmor", &[])
            .file("/proc/sys/crypto/fips_enabled", "1\n");
        assert_eq!(
            selinux_value(&host, true).0.to_compact(),
            "{\"config_mode\":\"enforcing\",\"mode\":\"enforcing\",\"policyvers\":33,\"status\":\"enabled\",\"type\":\"targeted\"}"
        );
        assert_eq!(
            apparmor_value(&host).to_compact(),
            "{\"status\":\"enabled\"}"
        );
        assert_eq!(fips_value(&host), Value::Bool(true));
    }

    #[test]
    fn chroot_detection() {
        assert_eq!(is_chroot(true, None, None, None), Some(true));
        assert_eq!(
            is_chroot(false, Some((2, 7)), Some((2, 7)), None),
            Some(false)
        );
        assert_eq!(
            is_chroot(false, Some((2, 7)), Some((5, 7)), None),
            Some(true)
        );
        assert_eq!(
            is_chroot(false, Some((2, 7)), None, Some("ext4")),
            Some(false)
        );
        assert_eq!(
            is_chroot(false, Some((256, 7)), None, Some("btrfs")),
            Some(false)
        );
        assert_eq!(
            is_chroot(false, Some((2, 7)), None, Some("xfs")),
            Some(true)
        );
        assert_eq!(is_chroot(false, None, None, None), None);
        assert_eq!(
            root_fstype("rootfs / rootfs rw 0 0\n/dev/vda / ext4 rw 0 0\n").as_deref(),
            Some("ext4")
        );
    }

    #[test]
    fn lsb_sources() {
        let out = "No LSB modules are available.\nDistributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n";
        assert_eq!(
            lsb_value(Some(out), None).to_compact(),
            "{\"codename\":\"bookworm\",\"description\":\"Debian GNU/Linux 12 (bookworm)\",\"id\":\"Debian\",\"major_release\":\"12\",\"release\":\"12\"}"
        );
        let file = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n";
        assert_eq!(
            lsb_value(None, Some(file)).to_compact(),
            "{\"codename\":\"jammy\",\"description\":\"Ubuntu 22.04.3 LTS\",\"id\":\"Ubuntu\",\"major_release\":\"22\",\"release\":\"22.04\"}"
        );
        assert_eq!(lsb_value(Some(""), None).to_compact(), "{}");
        assert_eq!(lsb_value(None, None).to_compact(), "{}");
    }

    #[test]
    fn resolv_conf() {
        let text = "# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch example.com corp.example.com\ndomain example.com\noptions ndots:2 rotate timeout:\n";
        assert_eq!(
            dns_value(text).to_compact(),
            "{\"domain\":\"example.com\",\"nameservers\":[\"10.0.0.2\",\"10.0.0.3\"],\"options\":{\"ndots\":\"2\",\"rotate\":true,\"timeout\":true},\"search\":[\"example.com\",\"corp.example.com\"]}"
        );
        assert_eq!(dns_value("").to_compact(), "{}");
    }

    #[test]
    fn kernel_command_line() {
        let (plain, multi) =
            cmdline_values("BOOT_IMAGE=/vmlinuz root=UUID=abc ro quiet console=tty0 console=ttyS0,115200 x=\"a b\"\n")
                .unwrap();
        assert_eq!(
            plain.to_compact(),
            "{\"BOOT_IMAGE\":\"/vmlinuz\",\"console\":\"ttyS0,115200\",\"quiet\":true,\"ro\":true,\"root\":\"UUID=abc\",\"x\":\"\\\"a b\\\"\"}"
        );
        assert_eq!(
            multi.get("console").map(Value::to_compact).as_deref(),
            Some("[\"tty0\",\"ttyS0,115200\"]")
        );
        assert!(cmdline_values("  \n").is_none());
    }

    #[test]
    fn virtualization() {
        let host =
            FakeHost::new().file("/proc/1/cgroup", "0::/system.slice/docker-0123abcd.scope\n");
        assert_eq!(
            linux_virtualization(&host),
            ("docker".into(), "guest".into())
        );
        let host = FakeHost::new().file("/proc/1/environ", "HOME=/\0container=podman\0");
        assert_eq!(
            linux_virtualization(&host),
            ("podman".into(), "guest".into())
        );
        let host = FakeHost::new().file("/.dockerenv", "");
        assert_eq!(
            linux_virtualization(&host),
            ("docker".into(), "guest".into())
        );
        let host = FakeHost::new().file("/sys/devices/virtual/dmi/id/sys_vendor", "QEMU\n");
        assert_eq!(linux_virtualization(&host), ("kvm".into(), "guest".into()));
        assert_eq!(
            linux_virtualization(&FakeHost::new()),
            ("NA".into(), "NA".into())
        );
        assert!(is_docker_cgroup("12:pids:/docker/abc"));
        assert!(!is_docker_cgroup("0::/docker-xyz.scope"));
        assert!(!is_docker_cgroup("0::/"));
    }

    #[test]
    fn storage_ids() {
        assert_eq!(
            iscsi_iqn("## comment\n\nInitiatorName=iqn.1993-08.org.debian:01:abc\n"),
            "iqn.1993-08.org.debian:01:abc"
        );
        assert_eq!(iscsi_iqn(""), "");
        assert_eq!(
            hostnqn("# x\nnqn.2014-08.org.nvmexpress:uuid:1234\n"),
            "nqn.2014-08.org.nvmexpress:uuid:1234"
        );
        assert_eq!(hostnqn("bogus\n"), "");
        let host = FakeHost::new()
            .dir("/sys/class/fc_host", &["host0", "host1"])
            .file("/sys/class/fc_host/host0/port_name", "0x21000024ff52a4b2\n")
            .file("/sys/class/fc_host/host1/port_name", "x\n");
        assert_eq!(
            fibre_channel_wwn(&host),
            vec![Value::str("21000024ff52a4b2"), Value::str("")]
        );
        assert!(fibre_channel_wwn(&FakeHost::new()).is_empty());
    }

    #[test]
    fn machine_ids() {
        let host = FakeHost::new().file("/etc/machine-id", "abc123\n");
        assert_eq!(machine_id(&host).as_deref(), Some("abc123"));
        let host = host.file("/var/lib/dbus/machine-id", "dbus1\nextra\n");
        assert_eq!(machine_id(&host).as_deref(), Some("dbus1"));
        assert_eq!(machine_id(&FakeHost::new()), None);
        assert_eq!(
            loadavg_value([0.5, 0.25, 0.0]).to_compact(),
            "{\"15m\":0.0,\"1m\":0.5,\"5m\":0.25}"
        );
    }
}
