//! Cache behaviour and checks against the machine the tests run on.

use super::*;

#[test]
fn a_cache_without_a_gatherer_knows_no_fact() {
    assert_eq!(FactCache::with_gatherer(None).get("system"), None);
    assert!(FactCache::with_gatherer(None).all().is_empty());
    assert!(FactCache::new().get("system").is_some());
}

#[test]
fn known_facts_are_sorted_unique_and_resolvable() {
    let names = known_facts();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    for name in names {
        assert!(group_of(name).is_some(), "{name}");
    }
    assert_eq!(group_of("nope"), None);
    assert_eq!(group_of("ansible_hostname"), None);
    assert_eq!(FactCache::new().get("no_such_fact"), None);
}

#[test]
fn groups_load_lazily_and_once() {
    let cache = FactCache::new();
    let hostname = cache.get("hostname");
    assert!(hostname.is_some() || !cfg!(target_os = "linux"));
    assert_eq!(cache.load_count(Group::Uname), 1);
    // Nothing else was read: no cpuinfo, no environment, no os-release.
    for group in [
        Group::Cpu,
        Group::Env,
        Group::Distribution,
        Group::Memory,
        Group::User,
        Group::Fqdn,
    ] {
        assert_eq!(cache.load_count(group), 0, "{group:?}");
    }
    let _ = cache.get("kernel");
    let _ = cache.get("hostname");
    assert_eq!(cache.load_count(Group::Uname), 1);

    // The distribution needs `system` from the uname group: reused, not
    // read again.
    let _ = cache.get("distribution");
    let _ = cache.get("os_family");
    assert_eq!(cache.load_count(Group::Distribution), 1);
    assert_eq!(cache.load_count(Group::Uname), 1);
    assert_eq!(cache.load_count(Group::Cpu), 0);

    let _ = cache.get("processor_vcpus");
    let _ = cache.get("processor");
    assert_eq!(cache.load_count(Group::Cpu), 1);
    assert_eq!(cache.load_count(Group::Env), 0);
}

#[test]
fn all_lists_every_gathered_fact_once() {
    let cache = FactCache::new();
    let all = cache.all();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    for name in &names {
        assert!(known_facts().contains(name));
    }
    // A second pass reads nothing again.
    let again = cache.all();
    assert_eq!(again.len(), all.len());
    let state = cache.state.borrow();
    assert!(state.loads.values().all(|&n| n == 1), "{:?}", state.loads);
}

/// Pseudo-random text over characters the parsers treat specially.
fn garbage(seed: &mut u64, len: usize) -> String {
    const ALPHABET: &[&str] = &[
        "(",
        ")",
        "\"",
        "'",
        "\\",
        "=",
        ":",
        ".",
        ",",
        " ",
        "\t",
        "\n",
        "#",
        "0",
        "7",
        "9",
        "a",
        "z",
        "X",
        "é",
        "ß",
        "\u{0}",
        "-",
        "_",
        "+",
        "/",
        "PRETTY_NAME=",
        "VERSION_ID=\"",
        "NAME=",
        "VERSION=",
        "ID=",
        "Debian",
        "Ubuntu",
        "suse",
        "Amazon",
        "release ",
        "STL ",
        "processor",
        "physical id",
        "core id",
        "siblings",
        "cpu cores",
        "MemTotal",
        "kB",
        "\\040",
        "nameserver",
        "options",
        "InitiatorName=",
        "nqn.",
    ];
    let mut out = String::new();
    for _ in 0..len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.push_str(ALPHABET[(*seed % ALPHABET.len() as u64) as usize]);
    }
    out
}

#[test]
fn parsers_survive_garbage() {
    use host::FakeHost;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..400 {
        let text = garbage(&mut seed, round % 60);
        let _ = distro::parse_os_release(&text);
        let _ = distro::parse_distro_release_content(&text);
        let _ = distro::parse_lsb_release(&text);
        let _ = distro::plist_product_version(&text);
        let _ = hardware::linux_cpu_facts(&text, "x86_64", round % 2 == 0, None);
        let _ = hardware::linux_cpu_facts(&text, "s390x", false, None);
        let _ = hardware::linux_memory_facts(&text);
        let _ = hardware::vm_stat_used_bytes(&text);
        let _ = hardware::proc_uptime_seconds(&text);
        let _ = hardware::parse_mount_table(&text);
        let _ = misc::dns_value(&text);
        let _ = misc::cmdline_values(&text);
        let _ = misc::lsb_value(Some(&text), Some(&text));
        let _ = misc::iscsi_iqn(&text);
        let _ = misc::hostnqn(&text);
        let _ = misc::root_fstype(&text);
        let _ = network::default_route(&text);
        let _ = network::default_route_v6(&text);
        let _ = network::parse_route_get(&text);
        let host = FakeHost::new()
            .file("/etc/os-release", &text)
            .file("/etc/redhat-release", &garbage(&mut seed, 5))
            .file("/etc/debian_version", &text)
            .file("/etc/SuSE-release", &text)
            .file("/proc/1/cgroup", &text)
            .dir("/etc", &["redhat-release", "SuSE-release", "os-release"]);
        let lsb = || Some(text.clone());
        let _ = distro::linux_distribution(&host, &lsb);
        let _ = misc::linux_virtualization(&host);
        let _ = misc::selinux_value(&host, true);
    }
}

#[cfg(target_os = "linux")]
mod linux_host {
    use super::*;

    fn text(cache: &FactCache, name: &str) -> String {
        cache
            .get(name)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("{name} missing or not a string"))
    }

    fn int(cache: &FactCache, name: &str) -> i64 {
        cache
            .get(name)
            .and_then(|v| v.as_i64())
            .unwrap_or_else(|| panic!("{name} missing or not an integer"))
    }

    fn command(program: &str, args: &[&str]) -> Option<String> {
        run(program, args).map(|s| s.trim().to_string())
    }

    #[test]
    fn platform_facts_match_the_kernel() {
        let cache = FactCache::new();
        let kernel_hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let kernel_hostname = kernel_hostname.trim();
        assert_eq!(text(&cache, "nodename"), kernel_hostname);
        assert_eq!(
            text(&cache, "hostname"),
            kernel_hostname.split('.').next().unwrap()
        );
        assert_eq!(text(&cache, "system"), "Linux");
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(text(&cache, "kernel"), release.trim());
        let machine = text(&cache, "machine");
        assert_eq!(machine, std::env::consts::ARCH);
        assert_eq!(text(&cache, "architecture"), machine);
        assert_eq!(text(&cache, "userspace_bits"), "64");
        if let Some(uname_v) = command("uname", &["-v"]) {
            assert_eq!(text(&cache, "kernel_version"), uname_v);
        }
        let fqdn = text(&cache, "fqdn");
        assert!(!fqdn.is_empty());
        let domain = text(&cache, "domain");
        assert!(domain.is_empty() || fqdn.ends_with(&format!(".{domain}")));
    }

    #[test]
    fn user_facts_match_id() {
        let cache = FactCache::new();
        if let Some(uid) = command("id", &["-u"]) {
            assert_eq!(int(&cache, "real_user_id").to_string(), uid);
        }
        if let Some(gid) = command("id", &["-g"]) {
            assert_eq!(int(&cache, "real_group_id").to_string(), gid);
        }
        // user_uid belongs to user_id (from $LOGNAME/$USER first, as in
        // Python's getpass.getuser()).
        if let Some(name) = cache
            .get("user_id")
            .and_then(|v| v.as_str().map(str::to_string))
        {
            if let Some(uid) = command("id", &["-u", &name]) {
                assert_eq!(int(&cache, "user_uid").to_string(), uid);
            }
            assert!(text(&cache, "user_dir").starts_with('/'));
        }
    }

    #[test]
    fn hardware_facts_are_consistent() {
        let cache = FactCache::new();
        let vcpus = int(&cache, "processor_vcpus");
        let count = int(&cache, "processor_count");
        let cores = int(&cache, "processor_cores");
        let threads = int(&cache, "processor_threads_per_core");
        assert_eq!(vcpus, count * cores * threads);
        assert!(int(&cache, "processor_nproc") >= 1);
        if let Some(nproc) = command("nproc", &[]) {
            assert_eq!(int(&cache, "processor_nproc").to_string(), nproc);
        }
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let total_kb: i64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert_eq!(int(&cache, "memtotal_mb"), total_kb / 1024);
        assert!(int(&cache, "uptime_seconds") >= 0);
        let mounts = cache.get("mounts").unwrap();
        assert!(mounts.as_array().is_some());
    }

    #[test]
    fn distribution_matches_os_release() {
        let cache = FactCache::new();
        let Ok(os_release) = std::fs::read_to_string("/etc/os-release") else {
            return;
        };
        let id = distro::parse_os_release(&os_release)
            .get("id")
            .cloned()
            .unwrap_or_default();
        let distribution = text(&cache, "distribution");
        let family = text(&cache, "os_family");
        match id.as_str() {
            "debian" => {
                assert_eq!(distribution, "Debian");
                assert_eq!(family, "Debian");
                let debian_version = std::fs::read_to_string("/etc/debian_version").unwrap();
                let debian_version = debian_version.trim();
                if debian_version.contains('.') {
                    assert_eq!(text(&cache, "distribution_version"), debian_version);
                }
            }
            "ubuntu" => assert_eq!(distribution, "Ubuntu"),
            "alpine" => assert_eq!(distribution, "Alpine"),
            "fedora" => assert_eq!(distribution, "Fedora"),
            _ => assert!(!distribution.is_empty()),
        }
        let version = text(&cache, "distribution_version");
        let major = text(&cache, "distribution_major_version");
        assert_eq!(major, version.split('.').next().unwrap());
        assert!(cache.get("distribution_release").is_some());
        let pkg = text(&cache, "pkg_mgr");
        if family == "Debian" {
            assert_eq!(pkg, "apt");
        }
        assert!(!text(&cache, "service_mgr").is_empty());
    }

    #[test]
    fn date_time_is_now() {
        let cache = FactCache::new();
        let dt = cache.get("date_time").unwrap();
        let epoch: i64 = dt
            .get("epoch")
            .and_then(|v| v.as_str())
            .unwrap()
            .parse()
            .unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - epoch).abs() <= 5);
        let members = dt.as_object().unwrap();
        assert_eq!(members.len(), 20);
        assert!(members.iter().all(|(_, v)| v.as_str().is_some()));
        if let Some(date) = command("date", &["+%Y-%m-%d %z %Z"]) {
            let expected = format!(
                "{} {} {}",
                dt.get("date").unwrap().as_str().unwrap(),
                dt.get("tz_offset").unwrap().as_str().unwrap(),
                dt.get("tz").unwrap().as_str().unwrap()
            );
            // Skip the comparison in the second around midnight.
            if !dt
                .get("time")
                .unwrap()
                .as_str()
                .unwrap()
                .starts_with("23:59:5")
            {
                assert_eq!(expected, date);
            }
        }
    }

    #[test]
    fn environment_and_small_facts() {
        let cache = FactCache::new();
        let env = cache.get("env").unwrap();
        if let Ok(path) = std::env::var("PATH") {
            assert_eq!(
                env.get("PATH").and_then(|v| v.as_str()),
                Some(path.as_str())
            );
        }
        let keys: Vec<&str> = env
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let fips_on = std::fs::read_to_string("/proc/sys/crypto/fips_enabled")
            .map(|t| t.trim() == "1")
            .unwrap_or(false);
        assert_eq!(cache.get("fips"), Some(Value::Bool(fips_on)));
        assert!(cache.get("selinux").unwrap().get("status").is_some());
        assert!(cache.get("interfaces").unwrap().as_array().is_some());
        assert!(cache.get("default_ipv4").unwrap().as_object().is_some());
        assert!(cache.get("is_chroot").is_some());
        if let Ok(id) = std::fs::read_to_string("/etc/machine-id") {
            if std::fs::metadata("/var/lib/dbus/machine-id").is_err() {
                assert_eq!(text(&cache, "machine_id"), id.trim());
            }
        }
    }
}
