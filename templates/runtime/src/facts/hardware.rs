//! CPU, memory, uptime and mount facts, following Ansible's
//! `facts/hardware/linux.py` and `facts/hardware/darwin.py`.

use crate::json::{obj, Value};

/// A fact name and its value.
pub(crate) type Fact = (&'static str, Value);

/// Python's `round()` for a ratio: round half to even.
fn py_round(x: f64) -> i64 {
    let r = x.round_ties_even();
    if r.is_finite() {
        r as i64
    } else {
        0
    }
}

/// A key of Python dictionaries Ansible builds while reading cpuinfo: the
/// initial `physid = 0` / `coreid = 0` integers, or a value from the file.
#[derive(Clone, PartialEq, Eq)]
enum CpuKey {
    Initial,
    Text(String),
}

/// An insertion-ordered dictionary.
#[derive(Default)]
struct OrderedMap(Vec<(CpuKey, i64)>);

impl OrderedMap {
    fn contains(&self, key: &CpuKey) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    fn set(&mut self, key: &CpuKey, value: i64) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.clone(), value)),
        }
    }

    fn first(&self) -> Option<i64> {
        self.0.first().map(|(_, v)| *v)
    }
}

/// Python's `int()` on a cpuinfo value.
fn py_int(s: &str) -> Option<i64> {
    s.trim().replace('_', "").parse().ok()
}

/// CPU facts from the text of `/proc/cpuinfo`, as Ansible's
/// `LinuxHardware.get_cpu_facts` computes them. `architecture` is the
/// `architecture` fact, `xen` whether `/proc/xen` or `/sys/hypervisor/type`
/// says Xen, `affinity` the scheduler affinity count for `processor_nproc`.
pub(crate) fn linux_cpu_facts(
    cpuinfo: &str,
    architecture: &str,
    xen: bool,
    affinity: Option<i64>,
) -> Vec<Fact> {
    let mut processor = Vec::new();
    let mut i: i64 = 0;
    let (mut vendor_occurrence, mut model_occurrence, mut processor_occurrence) =
        (0i64, 0i64, 0i64);
    let mut physid = CpuKey::Initial;
    let mut coreid = CpuKey::Initial;
    let mut sockets = OrderedMap::default();
    let mut cores = OrderedMap::default();
    let (mut zp, mut zmt) = (0i64, 0i64);
    let mut xen_paravirt = false;
    let mut flags: Option<Vec<Value>> = None;

    for line in cpuinfo.trim().lines() {
        let (key, val) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line.trim(), ""),
        };
        if xen && key == "flags" && !val.contains("vme") {
            // Xen paravirt guests hide the vme flag and list CPUs oddly.
            xen_paravirt = true;
        }
        if key == "flags" {
            flags = Some(val.split_whitespace().map(Value::str).collect());
        }
        match key {
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                processor.push(Value::str(val));
                match key {
                    "vendor_id" => vendor_occurrence += 1,
                    "model name" => model_occurrence += 1,
                    "processor" => processor_occurrence += 1,
                    _ => {}
                }
                i += 1;
            }
            "physical id" => {
                physid = CpuKey::Text(val.to_string());
                if !sockets.contains(&physid) {
                    sockets.set(&physid, 1);
                }
            }
            "core id" => {
                coreid = CpuKey::Text(val.to_string());
                // Ansible checks `sockets` here, not `cores`; kept as is.
                if !sockets.contains(&coreid) {
                    cores.set(&coreid, 1);
                }
            }
            "cpu cores" => {
                if let Some(n) = py_int(val) {
                    sockets.set(&physid, n);
                }
            }
            "siblings" => {
                if let Some(n) = py_int(val) {
                    cores.set(&coreid, n);
                }
            }
            "# processors" => zp = py_int(val).unwrap_or(zp),
            "max thread id" => zmt = py_int(val).map(|n| n.saturating_add(1)).unwrap_or(zmt),
            "ncpus active" => i = py_int(val).unwrap_or(i),
            _ => {}
        }
    }

    if vendor_occurrence > 0 && vendor_occurrence == model_occurrence {
        i = vendor_occurrence;
    }
    if ["armv", "aarch", "ppc"]
        .iter()
        .any(|p| architecture.starts_with(p))
    {
        i = processor_occurrence;
    }

    let (count, per_socket, threads, vcpus, mut nproc);
    if architecture == "s390x" {
        count = 1;
        per_socket = if zmt != 0 {
            py_round(zp as f64 / zmt as f64)
        } else {
            0
        };
        threads = zmt;
        vcpus = zp;
        nproc = zp;
    } else if xen_paravirt {
        count = i;
        per_socket = i;
        threads = 1;
        vcpus = i;
        nproc = i;
    } else {
        count = if sockets.0.is_empty() {
            i
        } else {
            sockets.0.len() as i64
        };
        per_socket = match sockets.first() {
            Some(n) if n != 0 => n,
            _ => 1,
        };
        threads = match cores.first() {
            Some(siblings) => py_round(siblings as f64 / per_socket as f64),
            None => py_round(1.0 / per_socket as f64),
        };
        vcpus = threads.saturating_mul(count).saturating_mul(per_socket);
        nproc = processor_occurrence;
    }
    if let Some(n) = affinity {
        nproc = n;
    }
    let mut out = Vec::new();
    if let Some(flags) = flags {
        out.push(("flags", Value::Array(flags)));
    }
    out.extend([
        ("processor", Value::Array(processor)),
        ("processor_cores", Value::Int(per_socket)),
        ("processor_count", Value::Int(count)),
        ("processor_nproc", Value::Int(nproc)),
        ("processor_threads_per_core", Value::Int(threads)),
        ("processor_vcpus", Value::Int(vcpus)),
    ]);
    out
}

/// CPU facts of macOS from sysctl values. Ansible reads them with the
/// `sysctl` command, so the counts are strings there too.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn darwin_cpu_facts(
    brand: Option<String>,
    core_count: Option<i64>,
    logical: Option<i64>,
) -> Vec<Fact> {
    let mut out = Vec::new();
    if let Some(b) = brand {
        out.push(("processor", Value::Str(b)));
    }
    if let Some(c) = core_count {
        out.push(("processor_cores", Value::Str(c.to_string())));
    }
    out.push((
        "processor_vcpus",
        Value::Str(logical.map(|n| n.to_string()).unwrap_or_default()),
    ));
    out
}

/// Memory facts from the text of `/proc/meminfo`: `memtotal_mb`,
/// `memfree_mb`, `swaptotal_mb`, `swapfree_mb` and `memory_mb`.
pub(crate) fn linux_memory_facts(meminfo: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    let stat = |name: &str| -> Option<i64> {
        meminfo.lines().find_map(|line| {
            let (key, rest) = line.split_once(':')?;
            if key != name {
                return None;
            }
            let first = rest.trim().split(' ').next().unwrap_or("");
            py_int(first).map(|kb| kb.div_euclid(1024))
        })
    };
    let total = stat("MemTotal");
    let free = stat("MemFree");
    let swap_total = stat("SwapTotal");
    let swap_free = stat("SwapFree");
    let buffers = stat("Buffers");
    let cached = stat("Cached");
    let swap_cached = stat("SwapCached");
    for (name, v) in [
        ("memfree_mb", free),
        ("memtotal_mb", total),
        ("swapfree_mb", swap_free),
        ("swaptotal_mb", swap_total),
    ] {
        if let Some(v) = v {
            out.push((name, Value::Int(v)));
        }
    }
    let int = |v: Option<i64>| v.map(Value::Int).unwrap_or(Value::Null);
    let real_used = match (total, free) {
        (Some(t), Some(f)) => Some(t - f),
        _ => None,
    };
    let nocache_free = match (cached, free, buffers) {
        (Some(c), Some(f), Some(b)) => Some(c + f + b),
        _ => None,
    };
    let nocache_used = match (total, nocache_free) {
        (Some(t), Some(f)) => Some(t - f),
        _ => None,
    };
    let swap_used = match (swap_total, swap_free) {
        (Some(t), Some(f)) => Some(t - f),
        _ => None,
    };
    out.push((
        "memory_mb",
        obj([
            (
                "nocache",
                obj([("free", int(nocache_free)), ("used", int(nocache_used))]),
            ),
            (
                "real",
                obj([
                    ("free", int(free)),
                    ("total", int(total)),
                    ("used", int(real_used)),
                ]),
            ),
            (
                "swap",
                obj([
                    ("cached", int(swap_cached)),
                    ("free", int(swap_free)),
                    ("total", int(swap_total)),
                    ("used", int(swap_used)),
                ]),
            ),
        ]),
    ));
    out
}

/// Bytes in use according to `vm_stat` output (wired + active + inactive
/// pages, counted at 4096 bytes a page as Ansible does).
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn vm_stat_used_bytes(output: &str) -> i64 {
    let pages = |name: &str| -> i64 {
        output
            .lines()
            .find_map(|line| {
                let (k, v) = line.trim_end_matches('.').split_once(':')?;
                (k == name).then(|| py_int(v).unwrap_or(0))
            })
            .unwrap_or(0)
    };
    ["Pages wired down", "Pages active", "Pages inactive"]
        .iter()
        .map(|k| pages(k).saturating_mul(4096))
        .fold(0i64, i64::saturating_add)
}

/// Memory facts of macOS: total from `hw.memsize`, free from `vm_stat`.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn darwin_memory_facts(memsize: Option<i64>, vm_stat: Option<&str>) -> Vec<Fact> {
    let Some(bytes) = memsize else {
        return Vec::new();
    };
    let total = bytes.div_euclid(1024).div_euclid(1024);
    let free = match vm_stat {
        Some(out) => total - vm_stat_used_bytes(out).div_euclid(1024).div_euclid(1024),
        None => 0,
    };
    vec![
        ("memfree_mb", Value::Int(free)),
        ("memtotal_mb", Value::Int(total)),
    ]
}

/// Ansible's `DMI_DICT`: fact name and file under `/sys/devices/virtual/dmi/id`.
const DMI_FILES: [(&str, &str); 18] = [
    ("bios_date", "bios_date"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("board_asset_tag", "board_asset_tag"),
    ("board_name", "board_name"),
    ("board_serial", "board_serial"),
    ("board_vendor", "board_vendor"),
    ("board_version", "board_version"),
    ("chassis_asset_tag", "chassis_asset_tag"),
    ("chassis_serial", "chassis_serial"),
    ("chassis_vendor", "chassis_vendor"),
    ("chassis_version", "chassis_version"),
    ("form_factor", "chassis_type"),
    ("product_name", "product_name"),
    ("product_serial", "product_serial"),
    ("product_uuid", "product_uuid"),
    ("product_version", "product_version"),
    ("system_vendor", "sys_vendor"),
];

/// SMBIOS chassis types, by number (DSP0134).
const FORM_FACTOR: [&str; 37] = [
    "Unknown",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "Laptop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All In One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "Sub Chassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system",
    "CompactPCI",
    "AdvancedTCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
];

/// DMI facts on Linux from sysfs (`available`: whether
/// `/sys/devices/virtual/dmi/id/product_name` exists; `read` gives a file's
/// stripped, non-empty text); "NA" for what cannot be read. Ansible would try
/// `dmidecode` when sysfs has no DMI data; that is not run here.
pub(crate) fn linux_dmi_facts(available: bool, read: &dyn Fn(&str) -> Option<String>) -> Vec<Fact> {
    DMI_FILES
        .iter()
        .map(|&(name, file)| {
            let value = if available { read(file) } else { None };
            let value = match (name, value) {
                ("form_factor", Some(v)) => match v.trim().parse::<usize>() {
                    Ok(n) if n < FORM_FACTOR.len() => FORM_FACTOR[n].to_string(),
                    _ => format!("unknown ({v})"),
                },
                (_, Some(v)) => v,
                (_, None) => "NA".to_string(),
            };
            (name, Value::Str(value))
        })
        .collect()
}

/// `uptime_seconds` from the text of `/proc/uptime`.
pub(crate) fn proc_uptime_seconds(text: &str) -> Option<i64> {
    let first = text.trim().split(' ').next()?;
    let secs: f64 = first.parse().ok()?;
    secs.is_finite().then_some(secs as i64)
}

/// One line of the mount table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MountEntry {
    pub device: String,
    pub mount: String,
    pub fstype: String,
    pub options: String,
    pub dump: i64,
    pub passno: i64,
}

/// Ansible's `_replace_octal_escapes`: `\040` and friends become the
/// character they encode.
fn replace_octal_escapes(field: &str) -> String {
    let chars: Vec<char> = field.chars().collect();
    let mut out = String::with_capacity(field.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\'
            && i + 3 < chars.len()
            && chars[i + 1..=i + 3].iter().all(|c| ('0'..='7').contains(c))
        {
            let code = chars[i + 1..=i + 3]
                .iter()
                .fold(0u32, |acc, c| acc * 8 + (*c as u32 - '0' as u32));
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            i += 4;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The mounts Ansible reports from `/etc/mtab` (or `/proc/mounts`): real
/// devices and network file systems, not pseudo file systems.
pub(crate) fn parse_mount_table(text: &str) -> Vec<MountEntry> {
    let mut out = Vec::new();
    for line in text.trim().lines() {
        let fields: Vec<String> = line.split_whitespace().map(replace_octal_escapes).collect();
        if fields.len() < 4 {
            continue;
        }
        let (device, mount, fstype, options) = (&fields[0], &fields[1], &fields[2], &fields[3]);
        let real_device = device.starts_with('/') || device.starts_with('\\');
        if (!real_device && !device.contains(":/")) || fstype == "none" {
            continue;
        }
        let number = |i: usize| fields.get(i).and_then(|f| py_int(f)).unwrap_or(0);
        out.push(MountEntry {
            device: device.clone(),
            mount: mount.clone(),
            fstype: fstype.clone(),
            options: options.clone(),
            dump: number(4),
            passno: number(5),
        });
    }
    out
}

/// One entry of the `mounts` fact. `stats` is the statvfs result of the
/// mount point, `uuid` the file system UUID ("N/A" when unknown).
pub(crate) fn mount_value(
    entry: &MountEntry,
    stats: Option<super::sys::FsStats>,
    uuid: &str,
) -> Value {
    let mut members: Vec<(String, Value)> = Vec::new();
    let int = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
    if let Some(s) = stats {
        members.push(("block_available".into(), int(s.bavail)));
        members.push(("block_size".into(), int(s.bsize)));
        members.push(("block_total".into(), int(s.blocks)));
        members.push(("block_used".into(), int(s.blocks.saturating_sub(s.bavail))));
    }
    members.push(("device".into(), Value::str(&entry.device)));
    members.push(("dump".into(), Value::Int(entry.dump)));
    members.push(("fstype".into(), Value::str(&entry.fstype)));
    if let Some(s) = stats {
        members.push(("inode_available".into(), int(s.favail)));
        members.push(("inode_total".into(), int(s.files)));
        members.push(("inode_used".into(), int(s.files.saturating_sub(s.favail))));
    }
    members.push(("mount".into(), Value::str(&entry.mount)));
    members.push(("options".into(), Value::str(&entry.options)));
    members.push(("passno".into(), Value::Int(entry.passno)));
    if let Some(s) = stats {
        members.push((
            "size_available".into(),
            int(s.frsize.saturating_mul(s.bavail)),
        ));
        members.push(("size_total".into(), int(s.frsize.saturating_mul(s.blocks))));
    }
    members.push(("uuid".into(), Value::str(uuid)));
    Value::Object(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(facts: &'a [Fact], name: &str) -> &'a Value {
        &facts
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("missing {name}"))
            .1
    }

    fn cpu_block(n: usize, phys: usize, core: usize, cores: usize, siblings: usize) -> String {
        format!(
            "processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\nphysical id\t: {phys}\nsiblings\t: {siblings}\ncore id\t\t: {core}\ncpu cores\t: {cores}\nflags\t\t: fpu vme de pse\n\n"
        )
    }

    #[test]
    fn two_sockets_with_hyperthreads() {
        // 2 sockets x 2 cores x 2 threads.
        let mut text = String::new();
        let mut n = 0;
        for phys in 0..2 {
            for thread in 0..2 {
                for core in 0..2 {
                    let _ = thread;
                    text.push_str(&cpu_block(n, phys, core, 2, 4));
                    n += 1;
                }
            }
        }
        let facts = linux_cpu_facts(&text, "x86_64", false, Some(6));
        let processor = get(&facts, "processor").as_array().unwrap();
        assert_eq!(processor.len(), 24);
        assert_eq!(
            &processor[..3],
            &[
                Value::str("0"),
                Value::str("GenuineIntel"),
                Value::str("Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz")
            ]
        );
        assert_eq!(get(&facts, "processor_count"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_cores"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_threads_per_core"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_vcpus"), &Value::Int(8));
        assert_eq!(get(&facts, "processor_nproc"), &Value::Int(6));
        assert_eq!(
            get(&facts, "flags"),
            &Value::Array(vec![
                Value::str("fpu"),
                Value::str("vme"),
                Value::str("de"),
                Value::str("pse")
            ])
        );
        let facts = linux_cpu_facts(&text, "x86_64", false, None);
        assert_eq!(get(&facts, "processor_nproc"), &Value::Int(8));
    }

    #[test]
    fn arm_without_topology() {
        let text = "processor\t: 0\nBogoMIPS\t: 48.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n";
        let facts = linux_cpu_facts(text, "aarch64", false, None);
        assert_eq!(
            get(&facts, "processor"),
            &Value::Array(vec![Value::str("0"), Value::str("1")])
        );
        assert_eq!(get(&facts, "processor_count"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_cores"), &Value::Int(1));
        assert_eq!(get(&facts, "processor_threads_per_core"), &Value::Int(1));
        assert_eq!(get(&facts, "processor_vcpus"), &Value::Int(2));
    }

    #[test]
    fn xen_paravirt_and_s390x() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t\t: fpu de\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t\t: fpu de\n";
        let facts = linux_cpu_facts(text, "x86_64", true, None);
        assert_eq!(get(&facts, "processor_count"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_cores"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_threads_per_core"), &Value::Int(1));
        let text = "vendor_id       : IBM/S390\n# processors    : 4\nmax thread id   : 1\n";
        let facts = linux_cpu_facts(text, "s390x", false, None);
        assert_eq!(get(&facts, "processor_cores"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_threads_per_core"), &Value::Int(2));
        assert_eq!(get(&facts, "processor_vcpus"), &Value::Int(4));
    }

    #[test]
    fn garbage_cpuinfo_does_not_panic() {
        for text in ["", ":", "cpu cores: x\nsiblings: -\n", "# processors: 3\n"] {
            let facts = linux_cpu_facts(text, "s390x", true, None);
            assert_eq!(facts.len(), 6);
            assert!(facts.iter().all(|(n, _)| *n != "flags"));
            let facts = linux_cpu_facts(text, "x86_64", false, None);
            assert_eq!(facts.len(), 6);
        }
        assert_eq!(py_round(0.5), 0);
        assert_eq!(py_round(1.5), 2);
        assert_eq!(py_round(f64::NAN), 0);
    }

    const MEMINFO: &str = "MemTotal:       24684096 kB\nMemFree:        23855184 kB\nMemAvailable:   24287836 kB\nBuffers:           13428 kB\nCached:           609052 kB\nSwapCached:            0 kB\nActive:           157640 kB\nSwapTotal:       2097148 kB\nSwapFree:        2097148 kB\n";

    #[test]
    fn meminfo() {
        let facts = linux_memory_facts(MEMINFO);
        assert_eq!(get(&facts, "memtotal_mb"), &Value::Int(24105));
        assert_eq!(get(&facts, "memfree_mb"), &Value::Int(23296));
        assert_eq!(get(&facts, "swaptotal_mb"), &Value::Int(2047));
        assert_eq!(get(&facts, "swapfree_mb"), &Value::Int(2047));
        assert_eq!(
            get(&facts, "memory_mb").to_compact(),
            "{\"nocache\":{\"free\":23903,\"used\":202},\"real\":{\"free\":23296,\"total\":24105,\"used\":809},\"swap\":{\"cached\":0,\"free\":2047,\"total\":2047,\"used\":0}}"
        );
        let facts = linux_memory_facts("MemTotal: lots\nnonsense\n");
        assert_eq!(facts.len(), 1);
        assert_eq!(
            get(&facts, "memory_mb")
                .get("real")
                .and_then(|r| r.get("total")),
            Some(&Value::Null)
        );
    }

    #[test]
    fn darwin_memory_and_cpu() {
        let vm = "Mach Virtual Memory Statistics: (page size of 16384 bytes)\nPages free:                               12345.\nPages active:                            256000.\nPages inactive:                          256000.\nPages speculative:                        1000.\nPages wired down:                        512000.\n";
        let facts = darwin_memory_facts(Some(17_179_869_184), Some(vm));
        assert_eq!(get(&facts, "memtotal_mb"), &Value::Int(16384));
        assert_eq!(get(&facts, "memfree_mb"), &Value::Int(16384 - 4000));
        assert!(darwin_memory_facts(None, Some(vm)).is_empty());
        let facts = darwin_cpu_facts(Some("Apple M1".into()), Some(8), Some(8));
        assert_eq!(get(&facts, "processor"), &Value::str("Apple M1"));
        assert_eq!(get(&facts, "processor_cores"), &Value::str("8"));
        assert_eq!(get(&facts, "processor_vcpus"), &Value::str("8"));
    }

    #[test]
    fn dmi() {
        let files = |f: &str| match f {
            "product_name" => Some("Standard PC (Q35 + ICH9, 2009)".to_string()),
            "sys_vendor" => Some("QEMU".to_string()),
            "chassis_type" => Some("1".to_string()),
            _ => None,
        };
        let facts = linux_dmi_facts(true, &files);
        assert_eq!(facts.len(), 18);
        assert_eq!(get(&facts, "system_vendor"), &Value::str("QEMU"));
        assert_eq!(get(&facts, "form_factor"), &Value::str("Other"));
        assert_eq!(get(&facts, "product_uuid"), &Value::str("NA"));
        let odd = |f: &str| match f {
            "product_name" => Some("x".to_string()),
            "chassis_type" => Some("99".to_string()),
            _ => None,
        };
        assert_eq!(
            get(&linux_dmi_facts(true, &odd), "form_factor"),
            &Value::str("unknown (99)")
        );
        let none = linux_dmi_facts(false, &files);
        assert!(none.iter().all(|(_, v)| v == &Value::str("NA")));
    }

    #[test]
    fn uptime() {
        assert_eq!(proc_uptime_seconds("5211.28 8575.22\n"), Some(5211));
        assert_eq!(proc_uptime_seconds("x"), None);
        assert_eq!(proc_uptime_seconds(""), None);
    }

    #[test]
    fn mount_table() {
        let text = "proc /proc proc rw,relatime 0 0\n/dev/vda / ext4 rw,relatime 0 1\nserver:/export /mnt/nfs nfs4 rw 0 0\n/dev/sdb1 /media/my\\040disk vfat rw 0 0\n/dev/loop0 /snap none ro 0 0\nshort line\n";
        let mounts = parse_mount_table(text);
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].device, "/dev/vda");
        assert_eq!(mounts[0].passno, 1);
        assert_eq!(mounts[1].fstype, "nfs4");
        assert_eq!(mounts[2].mount, "/media/my disk");
        let v = mount_value(&mounts[0], None, "N/A");
        assert_eq!(
            v.to_compact(),
            "{\"device\":\"/dev/vda\",\"dump\":0,\"fstype\":\"ext4\",\"mount\":\"/\",\"options\":\"rw,relatime\",\"passno\":1,\"uuid\":\"N/A\"}"
        );
        let stats = super::super::sys::FsStats {
            bsize: 4096,
            frsize: 4096,
            blocks: 100,
            bavail: 40,
            files: 50,
            ffree: 20,
            favail: 20,
        };
        let v = mount_value(&mounts[0], Some(stats), "abc");
        assert_eq!(v.get("size_total"), Some(&Value::Int(409_600)));
        assert_eq!(v.get("block_used"), Some(&Value::Int(60)));
        assert_eq!(v.get("inode_used"), Some(&Value::Int(30)));
        assert_eq!(replace_octal_escapes("a\\04"), "a\\04");
        assert_eq!(replace_octal_escapes("\\134x"), "\\x");
    }
}
