//! Distribution facts, following Ansible's `facts/system/distribution.py`.
//!
//! Ansible first asks the `distro` library for a guess (id, version,
//! codename) and then refines it from the first matching release file. Both
//! layers are reproduced here: [`Distro`] emulates the `distro` lookups
//! (os-release, `lsb_release -a`, `/etc/*-release`, `/etc/debian_version`)
//! and [`linux_distribution`] walks Ansible's release-file list.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use super::host::{content, Host};

/// The five distribution facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistroFacts {
    pub distribution: String,
    pub version: String,
    pub major_version: Option<String>,
    pub minor_version: Option<String>,
    pub release: String,
    pub os_family: String,
    /// `distribution_file_path`, `_variety` and `_parsed`: the release file
    /// that decided (Linux only).
    pub file_path: Option<String>,
    pub file_variety: Option<String>,
    pub file_parsed: Option<bool>,
}

/// Characters Ansible strips from release-file contents and some values.
const STRIP_QUOTES: &[char] = &['\'', '"', '\\'];

/// Ansible's `OS_FAMILY_MAP`, inverted: distribution name to family.
const OS_FAMILY: &[(&str, &[&str])] = &[
    (
        "RedHat",
        &[
            "RedHat",
            "RHEL",
            "Fedora",
            "CentOS",
            "Scientific",
            "SLC",
            "Ascendos",
            "CloudLinux",
            "PSBM",
            "OracleLinux",
            "OVS",
            "OEL",
            "Amazon",
            "Amzn",
            "Virtuozzo",
            "XenServer",
            "Alibaba",
            "EulerOS",
            "openEuler",
            "AlmaLinux",
            "Rocky",
            "TencentOS",
            "EuroLinux",
            "Kylin Linux Advanced Server",
            "MIRACLE",
            "UnionTech",
        ],
    ),
    (
        "Debian",
        &[
            "Debian",
            "Ubuntu",
            "Raspbian",
            "Neon",
            "KDE neon",
            "Linux Mint",
            "SteamOS",
            "Devuan",
            "Kali",
            "Cumulus Linux",
            "Pop!_OS",
            "Parrot",
            "Pardus GNU/Linux",
            "Uos",
            "Deepin",
            "OSMC",
            "Linux Mint Debian Edition",
            "Univention Corporate Server",
        ],
    ),
    (
        "Suse",
        &[
            "SuSE",
            "SLES",
            "SLED",
            "openSUSE",
            "openSUSE Tumbleweed",
            "SLES_SAP",
            "SUSE_LINUX",
            "openSUSE Leap",
            "ALP-Dolomite",
            "SL-Micro",
            "openSUSE MicroOS",
        ],
    ),
    ("Archlinux", &["Archlinux", "Antergos", "Manjaro"]),
    ("Mandrake", &["Mandrake", "Mandriva"]),
    (
        "Solaris",
        &["Solaris", "Nexenta", "OmniOS", "OpenIndiana", "SmartOS"],
    ),
    ("Slackware", &["Slackware"]),
    ("Altlinux", &["Altlinux"]),
    ("SMGL", &["SMGL"]),
    ("Gentoo", &["Gentoo", "Funtoo"]),
    ("Alpine", &["Alpine"]),
    ("AIX", &["AIX"]),
    ("HP-UX", &["HPUX"]),
    ("Darwin", &["MacOSX"]),
    ("FreeBSD", &["FreeBSD", "TrueOS"]),
    ("ClearLinux", &["Clear Linux OS", "Clear Linux Mix"]),
    (
        "DragonFly",
        &[
            "DragonflyBSD",
            "DragonFlyBSD",
            "Gentoo/DragonflyBSD",
            "Gentoo/DragonFlyBSD",
        ],
    ),
    ("NetBSD", &["NetBSD"]),
];

/// `os_family` for a distribution name: its family, or the name itself.
pub(crate) fn os_family(distribution: &str) -> String {
    OS_FAMILY
        .iter()
        .find(|(_, names)| names.contains(&distribution))
        .map(|(family, _)| family.to_string())
        .unwrap_or_else(|| distribution.to_string())
}

/// `str.split('.')[0]`.
fn first_component(version: &str) -> String {
    version.split('.').next().unwrap_or("").to_string()
}

// ---------------------------------------------------------------------------
// The `distro` library emulation.

/// Release files `distro` never treats as `/etc/<id>-release`.
const DISTRO_RELEASE_IGNORE: &[&str] = &[
    "debian_version",
    "lsb-release",
    "oem-release",
    "os-release",
    "system-release",
    "plesk-release",
    "iredmail-release",
    "board-release",
    "ec2_version",
];

/// Candidates `distro` tries when `/etc` cannot be listed.
const DISTRO_RELEASE_BASENAMES: &[&str] = &[
    "SuSE-release",
    "altlinux-release",
    "arch-release",
    "base-release",
    "centos-release",
    "fedora-release",
    "gentoo-release",
    "mageia-release",
    "mandrake-release",
    "mandriva-release",
    "mandrivalinux-release",
    "manjaro-release",
    "oracle-release",
    "redhat-release",
    "rocky-release",
    "sl-release",
    "slackware-version",
];

/// What the `distro` library would report for this host.
pub(crate) struct Distro<'a> {
    host: &'a dyn Host,
    lsb_output: &'a dyn Fn() -> Option<String>,
    os_release: BTreeMap<String, String>,
    lsb: OnceCell<BTreeMap<String, String>>,
    distro_release: OnceCell<BTreeMap<String, String>>,
}

impl<'a> Distro<'a> {
    /// Reads os-release now; `lsb_release -a` and `/etc/*-release` only when
    /// a lookup needs them.
    pub(crate) fn new(host: &'a dyn Host, lsb_output: &'a dyn Fn() -> Option<String>) -> Self {
        let path = if host.is_file("/etc/os-release") {
            "/etc/os-release"
        } else {
            "/usr/lib/os-release"
        };
        let os_release = host
            .read(path)
            .map(|t| parse_os_release(&t))
            .unwrap_or_default();
        Distro {
            host,
            lsb_output,
            os_release,
            lsb: OnceCell::new(),
            distro_release: OnceCell::new(),
        }
    }

    fn os(&self, key: &str) -> &str {
        self.os_release.get(key).map(String::as_str).unwrap_or("")
    }

    fn lsb_info(&self) -> &BTreeMap<String, String> {
        self.lsb.get_or_init(|| {
            (self.lsb_output)()
                .map(|o| parse_lsb_release(&o))
                .unwrap_or_default()
        })
    }

    fn lsb(&self, key: &str) -> String {
        self.lsb_info().get(key).cloned().unwrap_or_default()
    }

    fn distro_release_info(&self) -> &BTreeMap<String, String> {
        self.distro_release
            .get_or_init(|| self.find_distro_release())
    }

    fn dr(&self, key: &str) -> String {
        self.distro_release_info()
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    fn find_distro_release(&self) -> BTreeMap<String, String> {
        let basenames: Vec<String> = match self.host.list_dir("/etc") {
            Some(names) => {
                let mut names: Vec<String> = names
                    .into_iter()
                    .filter(|n| !DISTRO_RELEASE_IGNORE.contains(&n.as_str()))
                    .filter(|n| self.host.is_file(&format!("/etc/{n}")))
                    .collect();
                names.sort();
                names
            }
            None => DISTRO_RELEASE_BASENAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        for name in basenames {
            let Some(id) = release_basename_id(&name) else {
                continue;
            };
            let Some(text) = self.host.read(&format!("/etc/{name}")) else {
                continue;
            };
            let first_line = text.split_inclusive('\n').next().unwrap_or("");
            let mut info = parse_distro_release_content(first_line);
            if !info.contains_key("name") {
                continue;
            }
            let is_cloudlinux = info
                .get("name")
                .map(|n| n.to_lowercase().contains("cloudlinux"))
                .unwrap_or(false);
            info.insert(
                "id".to_string(),
                if is_cloudlinux {
                    "cloudlinux".to_string()
                } else {
                    id.to_string()
                },
            );
            return info;
        }
        BTreeMap::new()
    }

    fn debian_version(&self) -> String {
        self.host
            .read("/etc/debian_version")
            .and_then(|t| t.lines().next().map(|l| l.trim_end().to_string()))
            .unwrap_or_default()
    }

    /// `distro.id()`.
    pub(crate) fn id(&self) -> String {
        let normalize = |id: &str, table: &[(&str, &str)]| {
            let id = id.to_lowercase().replace(' ', "_");
            table
                .iter()
                .find(|(k, _)| *k == id)
                .map(|(_, v)| v.to_string())
                .unwrap_or(id)
        };
        let os_id = self.os("id");
        if !os_id.is_empty() {
            return normalize(os_id, &[("ol", "oracle"), ("opensuse-leap", "opensuse")]);
        }
        let lsb_id = self.lsb("distributor_id");
        if !lsb_id.is_empty() {
            return normalize(
                &lsb_id,
                &[
                    ("enterpriseenterpriseas", "oracle"),
                    ("enterpriseenterpriseserver", "oracle"),
                    ("redhatenterpriseworkstation", "rhel"),
                    ("redhatenterpriseserver", "rhel"),
                    ("redhatenterprisecomputenode", "rhel"),
                ],
            );
        }
        let dr_id = self.dr("id");
        if !dr_id.is_empty() {
            return normalize(&dr_id, &[("redhat", "rhel")]);
        }
        String::new()
    }

    /// `distro.like()`.
    fn like(&self) -> &str {
        self.os("id_like")
    }

    /// `distro.version(best=...)`.
    pub(crate) fn version(&self, best: bool) -> String {
        let candidates: [&dyn Fn() -> String; 6] = [
            &|| self.os("version_id").to_string(),
            &|| self.lsb("release"),
            &|| self.dr("version_id"),
            &|| {
                parse_distro_release_content(self.os("pretty_name"))
                    .remove("version_id")
                    .unwrap_or_default()
            },
            &|| {
                parse_distro_release_content(&self.lsb("description"))
                    .remove("version_id")
                    .unwrap_or_default()
            },
            // distro drops `uname -r` on Linux.
            &String::new,
        ];
        let debian_like =
            self.id() == "debian" || self.like().split_whitespace().any(|w| w == "debian");
        let debian = || {
            if debian_like {
                Some(self.debian_version())
            } else {
                None
            }
        };
        if best {
            let mut version = String::new();
            let all = candidates.iter().map(|c| c()).chain(debian());
            for v in all {
                if v.matches('.').count() > version.matches('.').count() || version.is_empty() {
                    version = v;
                }
            }
            version
        } else {
            candidates
                .iter()
                .map(|c| c())
                .chain(std::iter::once_with(|| debian().unwrap_or_default()))
                .find(|v| !v.is_empty())
                .unwrap_or_default()
        }
    }

    /// `distro.codename()`.
    fn codename(&self) -> String {
        if let Some(c) = self.os_release.get("codename") {
            return c.clone();
        }
        let lsb = self.lsb("codename");
        if !lsb.is_empty() {
            return lsb;
        }
        self.dr("codename")
    }

    /// Ansible's `get_distribution()`.
    pub(crate) fn ansible_distribution(&self) -> String {
        let name = capitalize(&self.id());
        match name.as_str() {
            "Amzn" => "Amazon".to_string(),
            "Rhel" => "Redhat".to_string(),
            "" => "OtherLinux".to_string(),
            _ => name,
        }
    }

    /// Ansible's `get_distribution_version()`.
    pub(crate) fn ansible_version(&self) -> String {
        let id = self.id();
        match id.as_str() {
            "centos" => {
                let best = self.version(true);
                best.split('.').take(2).collect::<Vec<_>>().join(".")
            }
            "debian" => self.version(true),
            _ => self.version(false),
        }
    }

    /// Ansible's `get_distribution_codename()`; `None` stands for Python's
    /// `None`.
    pub(crate) fn ansible_codename(&self) -> Option<String> {
        if let Some(c) = self.os_release.get("version_codename") {
            return Some(c.clone());
        }
        if let Some(c) = self.os_release.get("ubuntu_codename") {
            return Some(c.clone());
        }
        if self.id() == "ubuntu" {
            if let Some(c) = self.lsb_info().get("codename") {
                return Some(c.clone());
            }
        }
        let c = self.codename();
        if c.is_empty() {
            None
        } else {
            Some(c)
        }
    }
}

/// Python's `str.capitalize()`: first character upper case, the rest lower.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// `(\w+)[-_](release|version)$` on a file name; the id group.
fn release_basename_id(name: &str) -> Option<&str> {
    let stem = name
        .strip_suffix("release")
        .or_else(|| name.strip_suffix("version"))?;
    let id = stem.strip_suffix('-').or_else(|| stem.strip_suffix('_'))?;
    if !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || c == '_') {
        Some(id)
    } else {
        None
    }
}

/// Splits os-release text the way Python's `shlex` (POSIX mode, whitespace
/// splitting) does: quotes removed, backslash escapes honoured, `#` comments
/// skipped.
pub(crate) fn shlex_split(text: &str) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Space,
        Word,
        Quote(char),
        Escape(Option<char>),
    }
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut state = State::Space;
    let mut chars = text.chars();
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    while let Some(c) = chars.next() {
        match state {
            State::Space | State::Word => {
                if is_space(c) {
                    if state == State::Word && (!token.is_empty() || quoted) {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Space;
                } else if c == '#' {
                    // A comment runs to the end of the line.
                    for next in chars.by_ref() {
                        if next == '\n' {
                            break;
                        }
                    }
                    if state == State::Word && (!token.is_empty() || quoted) {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Space;
                } else if c == '"' || c == '\'' {
                    state = State::Quote(c);
                } else if c == '\\' {
                    state = State::Escape(None);
                } else {
                    token.push(c);
                    state = State::Word;
                }
            }
            State::Quote(q) => {
                quoted = true;
                if c == q {
                    state = State::Word;
                } else if c == '\\' && q == '"' {
                    state = State::Escape(Some(q));
                } else {
                    token.push(c);
                }
            }
            State::Escape(inside) => {
                if let Some(q) = inside {
                    // Within double quotes only `"` and `\` are escapable.
                    if c != q && c != '\\' {
                        token.push('\\');
                    }
                    token.push(c);
                    state = State::Quote(q);
                } else {
                    token.push(c);
                    state = State::Word;
                }
            }
        }
    }
    if !token.is_empty() || quoted {
        tokens.push(token);
    }
    tokens
}

/// distro's os-release parser: lower-cased keys, plus a `codename` taken
/// from `VERSION_CODENAME`, `UBUNTU_CODENAME` or `VERSION`'s parentheses.
pub(crate) fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    for token in shlex_split(text) {
        if let Some((k, v)) = token.split_once('=') {
            props.insert(k.to_lowercase(), v.to_string());
        }
    }
    let from_version = props.get("version").and_then(|v| version_codename(v));
    if let Some(c) = from_version {
        props.insert("codename".to_string(), c.clone());
        props.insert("release_codename".to_string(), c);
    }
    if let Some(c) = props.get("version_codename").cloned() {
        props.insert("codename".to_string(), c);
    } else if let Some(c) = props.get("ubuntu_codename").cloned() {
        props.insert("codename".to_string(), c);
    }
    props
}

/// `re.search(r"\((\D+)\)|,\s*(\D+)", version)`: the release codename in an
/// os-release `VERSION` such as `"7 (Core)"`.
fn version_codename(version: &str) -> Option<String> {
    let s: Vec<char> = version.chars().collect();
    let non_digit_end = |from: usize| {
        let mut i = from;
        while i < s.len() && !s[i].is_numeric() {
            i += 1;
        }
        i
    };
    for i in 0..s.len() {
        if s[i] == '(' {
            let end = non_digit_end(i + 1);
            // The last ')' inside the non-digit run, with at least one
            // character before it.
            if let Some(j) = (i + 2..end).rev().find(|&j| s[j] == ')') {
                return Some(s[i + 1..j].iter().collect());
            }
        } else if s[i] == ',' {
            let mut ws_end = i + 1;
            while ws_end < s.len() && s[ws_end].is_whitespace() {
                ws_end += 1;
            }
            let end = non_digit_end(ws_end);
            if end > ws_end {
                return Some(s[ws_end..end].iter().collect());
            }
            if ws_end > i + 1 {
                return Some(s[ws_end - 1..ws_end].iter().collect());
            }
        }
    }
    None
}

/// distro's parser for the output of `lsb_release -a`.
pub(crate) fn parse_lsb_release(output: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    for line in output.lines() {
        if let Some((k, v)) = line.split_once(':') {
            props.insert(k.replace(' ', "_").to_lowercase(), v.trim().to_string());
        }
    }
    props
}

/// distro's `_parse_distro_release_content`: name, version and codename of a
/// line like `CentOS Linux release 8.1.1911 (Core)`.
///
/// It applies the regular expression
/// `(?:[^)]*\)(.*)\()? *(?:STL )?([\d.+\-a-z]*\d) *(?:esaeler *)?(.+)` to the
/// reversed line; this is a hand-written backtracking matcher for exactly
/// that expression.
pub(crate) fn parse_distro_release_content(line: &str) -> BTreeMap<String, String> {
    let mut info = BTreeMap::new();
    let trimmed = line.trim();
    let r: Vec<char> = trimmed.chars().rev().collect();
    let rev = |a: usize, b: usize| -> String { r[a..b].iter().rev().collect() };
    let mut result: Option<(Option<Span>, Span, Span)> = None;
    // With the optional codename group first (greedy), then without.
    if let Some(close) = r.iter().position(|&c| c == ')') {
        for open in (close + 1..r.len()).rev().filter(|&k| r[k] == '(') {
            if let Some((ver, name)) = match_release_tail(&r, open + 1) {
                result = Some((Some((close + 1, open)), ver, name));
                break;
            }
        }
    }
    if result.is_none() {
        if let Some((ver, name)) = match_release_tail(&r, 0) {
            result = Some((None, ver, name));
        }
    }
    match result {
        Some((codename, (v0, v1), (n0, n1))) => {
            info.insert("name".to_string(), rev(n0, n1));
            info.insert("version_id".to_string(), rev(v0, v1));
            if let Some((c0, c1)) = codename {
                if c1 > c0 {
                    info.insert("codename".to_string(), rev(c0, c1));
                }
            }
        }
        None => {
            if !trimmed.is_empty() {
                info.insert("name".to_string(), trimmed.to_string());
            }
        }
    }
    info
}

/// A `(start, end)` range of matched characters.
type Span = (usize, usize);

/// ` *(?:STL )?([\d.+\-a-z]*\d) *(?:esaeler *)?(.+)` from `pos` to the end;
/// the spans of the version and name groups.
fn match_release_tail(r: &[char], pos: usize) -> Option<(Span, Span)> {
    let n = r.len();
    let mut p = pos;
    while p < n && r[p] == ' ' {
        p += 1;
    }
    let version_char =
        |c: char| c.is_ascii_digit() || c == '.' || c == '+' || c == '-' || c.is_ascii_lowercase();
    let has = |at: usize, word: &str| {
        let w: Vec<char> = word.chars().collect();
        at + w.len() <= n && r[at..at + w.len()] == w[..]
    };
    let mut starts = Vec::new();
    if has(p, "STL ") {
        starts.push(p + 4);
    }
    starts.push(p);
    for start in starts {
        let mut run_end = start;
        while run_end < n && version_char(r[run_end]) {
            run_end += 1;
        }
        // The version must end with a digit; try the longest first.
        for last in (start..run_end).rev().filter(|&k| r[k].is_ascii_digit()) {
            let v_end = last + 1;
            let mut sp = v_end;
            while sp < n && r[sp] == ' ' {
                sp += 1;
            }
            for spaces in (v_end..=sp).rev() {
                let mut name_starts = Vec::new();
                if has(spaces, "esaeler") {
                    let mut q = spaces + 7;
                    while q < n && r[q] == ' ' {
                        q += 1;
                    }
                    name_starts.extend((spaces + 7..=q).rev());
                }
                name_starts.push(spaces);
                if let Some(&ns) = name_starts.iter().find(|&&ns| ns < n) {
                    return Some(((start, v_end), (ns, n)));
                }
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Ansible's release-file walk.

/// `(path, name, allow_empty)` in Ansible's `OSDIST_LIST` order.
const OSDIST_LIST: &[(&str, &str, bool)] = &[
    ("/etc/altlinux-release", "Altlinux", false),
    ("/etc/oracle-release", "OracleLinux", false),
    ("/etc/slackware-version", "Slackware", false),
    ("/etc/centos-release", "CentOS", false),
    ("/etc/redhat-release", "RedHat", false),
    ("/etc/vmware-release", "VMwareESX", true),
    ("/etc/openwrt_release", "OpenWrt", false),
    ("/etc/os-release", "Amazon", false),
    ("/etc/system-release", "Amazon", false),
    ("/etc/alpine-release", "Alpine", false),
    ("/etc/arch-release", "Archlinux", true),
    ("/etc/os-release", "Archlinux", false),
    ("/etc/os-release", "SUSE", false),
    ("/etc/SuSE-release", "SUSE", false),
    ("/etc/gentoo-release", "Gentoo", false),
    ("/etc/os-release", "UnionTech", false),
    ("/etc/os-release", "Debian", false),
    ("/etc/lsb-release", "Debian", false),
    ("/etc/lsb-release", "Mandriva", false),
    ("/etc/sourcemage-release", "SMGL", false),
    ("/usr/lib/os-release", "ClearLinux", false),
    ("/etc/coreos/update.conf", "Coreos", false),
    ("/etc/os-release", "Flatcar", false),
    ("/etc/os-release", "NA", false),
];

/// Ansible's `SEARCH_STRING`.
const SEARCH_STRING: &[(&str, &str)] = &[
    ("OracleLinux", "Oracle Linux"),
    ("RedHat", "Red Hat"),
    ("Altlinux", "ALT"),
    ("SMGL", "Source Mage GNU/Linux"),
];

/// Facts gathered so far, keyed like Ansible's dictionary.
type Facts = BTreeMap<&'static str, String>;

/// Distribution facts of a Linux host.
pub(crate) fn linux_distribution(
    host: &dyn Host,
    lsb_output: &dyn Fn() -> Option<String>,
) -> DistroFacts {
    let distro = Distro::new(host, lsb_output);
    let guessed = distro.ansible_distribution();
    let version = non_empty_or_na(distro.ansible_version());
    let mut facts: Facts = BTreeMap::new();
    facts.insert("distribution", guessed.clone());
    facts.insert(
        "distribution_major_version",
        non_empty_or_na(first_component(&version)),
    );
    facts.insert("distribution_version", version);
    facts.insert(
        "distribution_release",
        distro
            .ansible_codename()
            .unwrap_or_else(|| "NA".to_string()),
    );

    let mut file: Option<(&str, &str, Option<bool>)> = None;
    for &(path, name, allow_empty) in OSDIST_LIST {
        if !host.exists(path) {
            continue;
        }
        if allow_empty {
            facts.insert("distribution", name.to_string());
            file = Some((path, name, None));
            break;
        }
        if host.file_size(path).unwrap_or(0) == 0 {
            continue;
        }
        let data = content(host, path).unwrap_or_default();
        let data = data.trim_matches(STRIP_QUOTES);
        if let Some(parsed) = parse_dist_file(name, data, path, &facts, &guessed, host) {
            facts.insert("distribution", name.to_string());
            facts.extend(parsed);
            file = Some((path, name, Some(true)));
            break;
        }
    }

    let distribution = facts.remove("distribution").unwrap_or_default();
    DistroFacts {
        os_family: os_family(&distribution),
        distribution,
        version: facts.remove("distribution_version").unwrap_or_default(),
        major_version: facts.remove("distribution_major_version"),
        minor_version: facts.remove("distribution_minor_version"),
        release: facts.remove("distribution_release").unwrap_or_default(),
        file_path: file.map(|f| f.0.to_string()),
        file_variety: file.map(|f| f.1.to_string()),
        file_parsed: file.and_then(|f| f.2),
    }
}

fn non_empty_or_na(s: String) -> String {
    if s.is_empty() {
        "NA".to_string()
    } else {
        s
    }
}

/// Ansible's `_parse_dist_file`: `Some(facts)` when the file identifies the
/// distribution.
fn parse_dist_file(
    name: &str,
    data: &str,
    path: &str,
    collected: &Facts,
    guessed: &str,
    host: &dyn Host,
) -> Option<Facts> {
    let mut out = Facts::new();
    if let Some((_, needle)) = SEARCH_STRING.iter().find(|(n, _)| *n == name) {
        if data.contains(needle) {
            out.insert("distribution", name.to_string());
        } else {
            out.insert("distribution", data.split_whitespace().next()?.to_string());
        }
        return Some(out);
    }
    if name == "Archlinux" {
        // OS_RELEASE_ALIAS
        return data.contains("Arch Linux").then(|| {
            out.insert("distribution", name.to_string());
            out
        });
    }
    match name {
        "Slackware" => parse_slackware(data),
        "Amazon" => parse_amazon(data, path),
        "OpenWrt" => parse_openwrt(data),
        "Alpine" => {
            out.insert("distribution", "Alpine".to_string());
            out.insert("distribution_version", data.to_string());
            Some(out)
        }
        "SUSE" => parse_suse(data, path, collected, host),
        "UnionTech" => parse_uniontech(data),
        "Debian" => parse_debian(data, path, host),
        "Mandriva" => parse_mandriva(data),
        "NA" => Some(parse_na(data, collected)),
        "Coreos" => parse_coreos(data, guessed),
        "Flatcar" => parse_flatcar(data, guessed),
        "ClearLinux" => parse_clearlinux(data),
        "CentOS" => parse_centos(data),
        // Gentoo has no parser in Ansible: the lookup fails and the walk
        // goes on.
        _ => None,
    }
}

fn facts_of(pairs: &[(&'static str, String)]) -> Facts {
    pairs.iter().cloned().collect()
}

/// `re.search(r'KEY(.*)', data)`: the rest of the line after the first
/// occurrence of `key`.
fn search_rest<'d>(data: &'d str, key: &str) -> Option<&'d str> {
    let at = data.find(key)?;
    let rest = &data[at + key.len()..];
    Some(rest.split('\n').next().unwrap_or(""))
}

/// `re.search(r'KEY"(.*)"', data)`: the text between `key` (which ends in a
/// quote) and the last quote on the same line, at the first occurrence that
/// has one.
fn search_quoted<'d>(data: &'d str, key: &str) -> Option<&'d str> {
    let mut from = 0;
    while let Some(rel) = data[from..].find(key) {
        let start = from + rel + key.len();
        let line = data[start..].split('\n').next().unwrap_or("");
        if let Some(end) = line.rfind('"') {
            return Some(&line[..end]);
        }
        from = start;
    }
    None
}

/// `^KEY(.*)` matched against one line.
fn line_value<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    line.strip_prefix(key)
}

fn parse_slackware(data: &str) -> Option<Facts> {
    if !data.contains("Slackware") {
        return None;
    }
    let mut out = facts_of(&[("distribution", "Slackware".to_string())]);
    // re.findall(r'\w+[.]\w+\+?', data)[0]
    let chars: Vec<char> = data.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        if word(chars[i]) {
            let mut j = i;
            while j < chars.len() && word(chars[j]) {
                j += 1;
            }
            if j + 1 < chars.len() && chars[j] == '.' && word(chars[j + 1]) {
                let mut k = j + 1;
                while k < chars.len() && word(chars[k]) {
                    k += 1;
                }
                if k < chars.len() && chars[k] == '+' {
                    k += 1;
                }
                out.insert("distribution_version", chars[i..k].iter().collect());
                break;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    Some(out)
}

fn parse_amazon(data: &str, path: &str) -> Option<Facts> {
    if !data.contains("Amazon") {
        return None;
    }
    let mut out = facts_of(&[("distribution", "Amazon".to_string())]);
    if path == "/etc/os-release" {
        if let Some(version) = search_quoted(data, "VERSION_ID=\"") {
            out.insert("distribution_version", version.to_string());
            out.insert("distribution_major_version", first_component(version));
            let minor = version.split('.').nth(1).unwrap_or("NA");
            out.insert("distribution_minor_version", minor.to_string());
        }
    } else {
        let version = data
            .split_whitespace()
            .find(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or("NA");
        out.insert("distribution_version", version.to_string());
    }
    Some(out)
}

fn parse_openwrt(data: &str) -> Option<Facts> {
    if !data.contains("OpenWrt") {
        return None;
    }
    let mut out = facts_of(&[("distribution", "OpenWrt".to_string())]);
    if let Some(v) = search_quoted(data, "DISTRIB_RELEASE=\"") {
        out.insert("distribution_version", v.to_string());
    }
    if let Some(r) = search_quoted(data, "DISTRIB_CODENAME=\"") {
        out.insert("distribution_release", r.to_string());
    }
    Some(out)
}

/// `^VERSION_ID="?([0-9]+\.?[0-9]*)"?`: (version, minor part).
fn suse_version_id(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("VERSION_ID=")?;
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let major: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if major.is_empty() {
        return None;
    }
    let after = &rest[major.len()..];
    match after.strip_prefix('.') {
        Some(tail) => {
            let minor: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
            Some((format!("{major}.{minor}"), minor))
        }
        None => Some((major, String::new())),
    }
}

fn parse_suse(data: &str, path: &str, collected: &Facts, host: &dyn Host) -> Option<Facts> {
    let lower = data.to_lowercase();
    if !lower.contains("suse") {
        return None;
    }
    let mut out = Facts::new();
    if path == "/etc/os-release" {
        for line in data.lines() {
            if let Some(name) = line_value(line, "NAME=") {
                out.insert("distribution", name.trim_matches('"').to_string());
            }
            let version = suse_version_id(line);
            if let Some((v, _)) = &version {
                out.insert("distribution_version", v.clone());
                out.insert("distribution_major_version", first_component(v));
            }
            if lower.contains("open") {
                if let Some((_, minor)) = &version {
                    out.insert("distribution_release", minor.clone());
                }
            } else if lower.contains("enterprise") && line.contains("VERSION_ID") {
                if let Some((_, minor)) = &version {
                    let release = if minor.is_empty() { "0" } else { minor };
                    out.insert("distribution_release", release.to_string());
                }
            }
        }
    } else if path == "/etc/SuSE-release" {
        let lines: Vec<&str> = data.lines().collect();
        if lower.contains("open") {
            if let Some(first) = lines.first().and_then(|l| l.split_whitespace().next()) {
                out.insert("distribution", first.to_string());
            }
            for line in &lines {
                if let Some(at) = line.find("CODENAME") {
                    let rest = line[at + 8..].trim_start_matches(' ');
                    if let Some(value) = rest.strip_prefix('=') {
                        let value = value.trim_start_matches(' ').trim();
                        if !value.is_empty() {
                            out.insert("distribution_release", value.to_string());
                        }
                    }
                }
            }
        } else if lower.contains("enterprise") {
            if data.contains("Server") {
                out.insert("distribution", "SLES".to_string());
            } else if data.contains("Desktop") {
                out.insert("distribution", "SLED".to_string());
            }
            for line in &lines {
                if let Some(rest) = search_rest(line, "PATCHLEVEL = ") {
                    let level: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                    if !level.is_empty() {
                        let base = collected
                            .get("distribution_version")
                            .cloned()
                            .unwrap_or_default();
                        out.insert("distribution_release", level.clone());
                        out.insert("distribution_version", format!("{base}.{level}"));
                    }
                }
            }
        }
    }
    // VARIANT_ID tells SLES for SAP and SL Micro apart.
    let variant = data
        .lines()
        .find_map(|l| l.strip_prefix("VARIANT_ID="))
        .map(|v| {
            let v = v.strip_prefix('"').unwrap_or(v);
            v.split('"').next().unwrap_or("").to_string()
        });
    match variant {
        Some(v) if v == "server-sap" || v == "sles-sap" => {
            out.insert("distribution", "SLES_SAP".to_string());
        }
        Some(v) if v == "transactional" => {
            out.insert("distribution", "SL-Micro".to_string());
        }
        Some(_) => {}
        None => {
            let base = "/etc/products.d/baseproduct";
            if host.is_symlink(base) {
                let resolved = host.real_path(base).unwrap_or_default();
                if resolved.ends_with("SLES_SAP.prod") {
                    out.insert("distribution", "SLES_SAP".to_string());
                } else if resolved.ends_with("SL-Micro.prod") {
                    out.insert("distribution", "SL-Micro".to_string());
                }
            }
        }
    }
    Some(out)
}

fn parse_uniontech(data: &str) -> Option<Facts> {
    let release_file =
        data.contains("UnionTech OS Server release") || data.contains("UOS Server release");
    let uel = has_uel_platform(data);
    if !(release_file || uel) {
        return None;
    }
    let mut out = facts_of(&[("distribution", "UnionTech".to_string())]);
    if let Some(c) = data
        .lines()
        .find_map(|l| search_rest(l, "VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
    {
        out.insert("distribution_release", c);
    }
    if let Some(v) = data
        .lines()
        .find_map(|l| search_rest(l, "VERSION_ID="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
    {
        out.insert("distribution_major_version", first_component(&v));
        out.insert("distribution_version", v);
    }
    Some(out)
}

fn has_uel_platform(data: &str) -> bool {
    data.contains("PLATFORM_ID=\"platform:uel") || data.contains("PLATFORM_ID=platform:uel")
}

/// `PRETTY_NAME=[^(]+ \(?([^)]+?)\)`: the codename in parentheses.
fn debian_pretty_release(data: &str) -> Option<String> {
    let s: Vec<char> = data.chars().collect();
    let key: Vec<char> = "PRETTY_NAME=".chars().collect();
    let mut from = 0;
    while from + key.len() <= s.len() {
        let rel = (from..=s.len() - key.len()).find(|&i| s[i..i + key.len()] == key[..])?;
        let start = rel + key.len();
        let stop = (start..s.len()).find(|&i| s[i] == '(').unwrap_or(s.len());
        for j in (start + 1..stop).rev().filter(|&j| s[j] == ' ') {
            let mut group_starts = Vec::new();
            if j + 1 < s.len() && s[j + 1] == '(' {
                group_starts.push(j + 2);
            }
            group_starts.push(j + 1);
            for g in group_starts {
                if g < s.len() && s[g] != ')' {
                    if let Some(end) = (g + 1..s.len()).find(|&k| s[k] == ')') {
                        return Some(s[g..end].iter().collect());
                    }
                }
            }
        }
        from = rel + 1;
    }
    None
}

/// `PRETTY_NAME=\"?[^(\"]+ \(?([^) \"]+)\)?` (Devuan).
fn devuan_pretty_release(data: &str) -> Option<String> {
    let s: Vec<char> = data.chars().collect();
    let key: Vec<char> = "PRETTY_NAME=".chars().collect();
    let mut from = 0;
    while from + key.len() <= s.len() {
        let rel = (from..=s.len() - key.len()).find(|&i| s[i..i + key.len()] == key[..])?;
        let mut start = rel + key.len();
        if start < s.len() && s[start] == '"' {
            start += 1;
        }
        let stop = (start..s.len())
            .find(|&i| s[i] == '(' || s[i] == '"')
            .unwrap_or(s.len());
        for j in (start + 1..stop).rev().filter(|&j| s[j] == ' ') {
            let mut group_starts = Vec::new();
            if j + 1 < s.len() && s[j + 1] == '(' {
                group_starts.push(j + 2);
            }
            group_starts.push(j + 1);
            for g in group_starts {
                let end = (g..s.len())
                    .find(|&k| matches!(s[k], ')' | ' ' | '"'))
                    .unwrap_or(s.len());
                if end > g {
                    return Some(s[g..end].iter().collect());
                }
            }
        }
        from = rel + 1;
    }
    None
}

fn parse_debian(data: &str, path: &str, host: &dyn Host) -> Option<Facts> {
    let mut out = Facts::new();
    let set = |out: &mut Facts, k: &'static str, v: &str| {
        out.insert(k, v.to_string());
    };
    if data.contains("Debian") || data.contains("Raspbian") {
        set(&mut out, "distribution", "Debian");
        if let Some(r) = debian_pretty_release(data) {
            out.insert("distribution_release", r);
        }
        // Ansible's last resort (asking dpkg about tzdata) is not run.
        // The minor version: `(\d+)\.(\d+)` in /etc/debian_version.
        let debian_version = host.read("/etc/debian_version").unwrap_or_default();
        for line in debian_version.lines() {
            if let Some(minor) = dotted_minor(line.trim()) {
                out.insert("distribution_minor_version", minor);
            }
        }
    } else if data.contains("Ubuntu") {
        set(&mut out, "distribution", "Ubuntu");
    } else if data.contains("SteamOS") {
        set(&mut out, "distribution", "SteamOS");
    } else if (path == "/etc/lsb-release" || path == "/etc/os-release")
        && (data.contains("Kali") || data.contains("Parrot"))
    {
        let name = if data.contains("Kali") {
            "Kali"
        } else {
            "Parrot"
        };
        set(&mut out, "distribution", name);
        if let Some(r) = search_rest(data, "DISTRIB_RELEASE=") {
            set(&mut out, "distribution_release", r);
        }
    } else if data.contains("Devuan") {
        set(&mut out, "distribution", "Devuan");
        if let Some(r) = devuan_pretty_release(data) {
            out.insert("distribution_release", r);
        }
        if let Some(v) = search_quoted(data, "VERSION_ID=\"") {
            set(&mut out, "distribution_version", v);
            set(&mut out, "distribution_major_version", v);
        }
    } else if data.contains("Cumulus") {
        set(&mut out, "distribution", "Cumulus Linux");
        if let Some(v) = search_rest(data, "VERSION_ID=") {
            let parts: Vec<&str> = v.split('.').collect();
            if parts.len() == 3 {
                set(&mut out, "distribution_version", v);
                set(&mut out, "distribution_major_version", parts[0]);
            }
        }
        if let Some(r) = search_quoted(data, "VERSION=\"") {
            set(&mut out, "distribution_release", r);
        }
    } else if data.contains("Mint") {
        set(&mut out, "distribution", "Linux Mint");
        if let Some(v) = search_quoted(data, "VERSION_ID=\"") {
            set(&mut out, "distribution_version", v);
            out.insert("distribution_major_version", first_component(v));
        }
    } else if data.contains("UOS") || data.contains("Uos") || data.contains("uos") {
        if has_uel_platform(data) {
            return None;
        }
        set(&mut out, "distribution", "Uos");
        uos_like(data, &mut out);
    } else if data.contains("Deepin") || data.contains("deepin") {
        set(&mut out, "distribution", "Deepin");
        uos_like(data, &mut out);
    } else if data.contains("LMDE") {
        set(&mut out, "distribution", "Linux Mint Debian Edition");
    } else {
        return None;
    }
    Some(out)
}

/// `re.search(r'(\d+)\.(\d+)', text)`: the digits after the first dot
/// that follows digits.
fn dotted_minor(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (1..b.len()).find_map(|dot| {
        if b[dot] != b'.' || !b[dot - 1].is_ascii_digit() {
            return None;
        }
        let minor: String = text[dot + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (!minor.is_empty()).then_some(minor)
    })
}

/// Release and version of Uos and Deepin.
fn uos_like(data: &str, out: &mut Facts) {
    // VERSION_CODENAME=\"?([^\"]+)\"?
    if let Some(at) = data.find("VERSION_CODENAME=") {
        let rest = &data[at + "VERSION_CODENAME=".len()..];
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let value: String = rest.chars().take_while(|&c| c != '"').collect();
        if !value.is_empty() {
            out.insert("distribution_release", value);
        }
    }
    if let Some(v) = search_quoted(data, "VERSION_ID=\"") {
        out.insert("distribution_version", v.to_string());
        out.insert("distribution_major_version", first_component(v));
    }
}

fn parse_mandriva(data: &str) -> Option<Facts> {
    if !data.contains("Mandriva") {
        return None;
    }
    let mut out = facts_of(&[("distribution", "Mandriva".to_string())]);
    if let Some(v) = search_quoted(data, "DISTRIB_RELEASE=\"") {
        out.insert("distribution_version", v.to_string());
    }
    if let Some(r) = search_quoted(data, "DISTRIB_CODENAME=\"") {
        out.insert("distribution_release", r.to_string());
    }
    Some(out)
}

fn parse_na(data: &str, collected: &Facts) -> Facts {
    let mut out = Facts::new();
    let version_unknown = collected.get("distribution_version").map(String::as_str) == Some("NA");
    for line in data.lines() {
        if let Some(name) = line_value(line, "NAME=") {
            out.insert("distribution", name.trim_matches(STRIP_QUOTES).to_string());
        }
        if let Some(version) = line_value(line, "VERSION=") {
            if version_unknown {
                out.insert(
                    "distribution_version",
                    version.trim_matches(STRIP_QUOTES).to_string(),
                );
            }
        }
    }
    out
}

fn parse_coreos(data: &str, guessed: &str) -> Option<Facts> {
    if guessed.to_lowercase() != "coreos" || data.is_empty() {
        return None;
    }
    let mut out = Facts::new();
    // re.search("^GROUP=(.*)", data): only at the very start.
    if let Some(rest) = data.strip_prefix("GROUP=") {
        let value = rest.split('\n').next().unwrap_or("");
        out.insert("distribution_release", value.trim_matches('"').to_string());
    }
    Some(out)
}

fn parse_flatcar(data: &str, guessed: &str) -> Option<Facts> {
    if guessed.to_lowercase() != "flatcar" || data.is_empty() {
        return None;
    }
    let mut out = Facts::new();
    if let Some(v) = search_rest(data, "VERSION=") {
        let v = v.trim_matches('"');
        out.insert("distribution_major_version", first_component(v));
        out.insert("distribution_version", v.to_string());
    }
    Some(out)
}

fn parse_clearlinux(data: &str) -> Option<Facts> {
    let pname = search_quoted(data, "NAME=\"")?;
    if !pname.contains("Clear Linux") {
        return None;
    }
    let mut out = facts_of(&[("distribution", pname.to_string())]);
    if let Some(v) = search_rest(data, "VERSION_ID=") {
        out.insert("distribution_major_version", v.to_string());
        out.insert("distribution_version", v.to_string());
    }
    if let Some(r) = search_rest(data, "ID=") {
        out.insert("distribution_release", r.to_string());
    }
    Some(out)
}

fn parse_centos(data: &str) -> Option<Facts> {
    if data.contains("CentOS Stream") {
        return Some(facts_of(&[("distribution_release", "Stream".to_string())]));
    }
    if data.contains("TencentOS Server") {
        return Some(facts_of(&[("distribution", "TencentOS".to_string())]));
    }
    None
}

// ---------------------------------------------------------------------------
// Other systems.

/// `ProductVersion` from `/System/Library/CoreServices/SystemVersion.plist`
/// (what `sw_vers -productVersion` prints).
pub(crate) fn plist_product_version(plist: &str) -> Option<String> {
    let at = plist.find("<key>ProductVersion</key>")?;
    let rest = &plist[at + "<key>ProductVersion</key>".len()..];
    let start = rest.find("<string>")? + "<string>".len();
    let end = rest[start..].find("</string>")?;
    let value = rest[start..start + end].trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Distribution facts of macOS; `product_version` is what
/// `sw_vers -productVersion` prints.
pub(crate) fn darwin_distribution(
    product_version: Option<String>,
    kernel_release: &str,
    kernel_version: &str,
) -> DistroFacts {
    let version = product_version.filter(|v| !v.is_empty());
    DistroFacts {
        distribution: "MacOSX".to_string(),
        major_version: version.as_deref().map(first_component),
        minor_version: None,
        version: version.unwrap_or_else(|| kernel_version.to_string()),
        release: kernel_release.to_string(),
        os_family: "Darwin".to_string(),
        file_path: None,
        file_variety: None,
        file_parsed: None,
    }
}

/// Ansible's baseline for systems it has no special code for: the platform
/// module's system, release and version.
pub(crate) fn generic_distribution(system: &str, release: &str, version: &str) -> DistroFacts {
    DistroFacts {
        distribution: system.to_string(),
        version: version.to_string(),
        major_version: None,
        minor_version: None,
        release: release.to_string(),
        os_family: os_family(system),
        file_path: None,
        file_variety: None,
        file_parsed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::host::FakeHost;

    fn detect(host: &FakeHost, lsb: Option<&str>) -> DistroFacts {
        let out = lsb.map(str::to_string);
        let lsb_fn = move || out.clone();
        linux_distribution(host, &lsb_fn)
    }

    fn expect(
        f: &DistroFacts,
        dist: &str,
        version: &str,
        major: &str,
        release: &str,
        family: &str,
    ) {
        assert_eq!(
            (
                f.distribution.as_str(),
                f.version.as_str(),
                f.major_version.as_deref().unwrap_or("-"),
                f.release.as_str(),
                f.os_family.as_str()
            ),
            (dist, version, major, release, family)
        );
    }

    const DEBIAN_12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

    #[test]
    fn debian_uses_debian_version_for_precision() {
        let host = FakeHost::new()
            .file("/etc/os-release", DEBIAN_12)
            .file("/etc/debian_version", "12.11\n")
            .dir("/etc", &["os-release", "debian_version", "passwd"]);
        let lsb = "Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n";
        expect(
            &detect(&host, Some(lsb)),
            "Debian",
            "12.11",
            "12",
            "bookworm",
            "Debian",
        );
        expect(
            &detect(&host, None),
            "Debian",
            "12.11",
            "12",
            "bookworm",
            "Debian",
        );
    }

    #[test]
    fn debian_10_fixture() {
        // Ansible's test fixture debian_10.json.
        let os = "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"10\"\nVERSION=\"10 (buster)\"\nVERSION_CODENAME=buster\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";
        let host = FakeHost::new().file("/etc/os-release", os).dir("/etc", &[]);
        expect(
            &detect(&host, None),
            "Debian",
            "10",
            "10",
            "buster",
            "Debian",
        );
    }

    #[test]
    fn ubuntu_jammy() {
        let os = "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nUBUNTU_CODENAME=jammy\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .file("/etc/debian_version", "bookworm/sid\n")
            .file(
                "/etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n",
            )
            .dir("/etc", &["os-release", "lsb-release", "debian_version"]);
        expect(
            &detect(&host, None),
            "Ubuntu",
            "22.04",
            "22",
            "jammy",
            "Debian",
        );
    }

    #[test]
    fn alpine() {
        let os = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\nHOME_URL=\"https://alpinelinux.org/\"\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .file("/etc/alpine-release", "3.19.1\n")
            .dir("/etc", &["alpine-release", "os-release"]);
        expect(
            &detect(&host, None),
            "Alpine",
            "3.19.1",
            "3",
            "NA",
            "Alpine",
        );
    }

    #[test]
    fn centos_8_fixture() {
        // Ansible's test fixture centos_8_1.json.
        let rel = "CentOS Linux release 8.1.1911 (Core) \n";
        let os = "NAME=\"CentOS Linux\"\nVERSION=\"8 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"8\"\nPLATFORM_ID=\"platform:el8\"\nPRETTY_NAME=\"CentOS Linux 8 (Core)\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"cpe:/o:centos:centos:8\"\n";
        let host = FakeHost::new()
            .file("/etc/centos-release", rel)
            .file("/etc/redhat-release", rel)
            .file("/etc/system-release", rel)
            .file("/etc/os-release", os)
            .dir(
                "/etc",
                &[
                    "centos-release",
                    "redhat-release",
                    "system-release",
                    "os-release",
                ],
            );
        expect(&detect(&host, None), "CentOS", "8.1", "8", "Core", "RedHat");
    }

    #[test]
    fn centos_stream_9() {
        let os = "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n";
        let host = FakeHost::new()
            .file("/etc/centos-release", "CentOS Stream release 9\n")
            .file("/etc/redhat-release", "CentOS Stream release 9\n")
            .file("/etc/os-release", os)
            .dir("/etc", &["centos-release", "redhat-release", "os-release"]);
        expect(&detect(&host, None), "CentOS", "9", "9", "Stream", "RedHat");
    }

    #[test]
    fn rhel_and_rocky() {
        let os = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.3 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.3 (Plow)\"\n";
        let host = FakeHost::new()
            .file(
                "/etc/redhat-release",
                "Red Hat Enterprise Linux release 9.3 (Plow)\n",
            )
            .file("/etc/os-release", os)
            .dir("/etc", &["redhat-release", "os-release"]);
        expect(&detect(&host, None), "RedHat", "9.3", "9", "Plow", "RedHat");

        let os = "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n";
        let host = FakeHost::new()
            .file(
                "/etc/redhat-release",
                "Rocky Linux release 9.3 (Blue Onyx)\n",
            )
            .file(
                "/etc/rocky-release",
                "Rocky Linux release 9.3 (Blue Onyx)\n",
            )
            .file("/etc/os-release", os)
            .dir("/etc", &["redhat-release", "rocky-release", "os-release"]);
        expect(
            &detect(&host, None),
            "Rocky",
            "9.3",
            "9",
            "Blue Onyx",
            "RedHat",
        );
    }

    #[test]
    fn fedora_31_fixture() {
        // Ansible's test fixture fedora_31.json.
        let os = "NAME=Fedora\nVERSION=\"31 (Workstation Edition)\"\nID=fedora\nVERSION_ID=31\nVERSION_CODENAME=\"\"\nPLATFORM_ID=\"platform:f31\"\nPRETTY_NAME=\"Fedora 31 (Workstation Edition)\"\nANSI_COLOR=\"0;34\"\nVARIANT=\"Workstation Edition\"\nVARIANT_ID=workstation\n";
        let host = FakeHost::new()
            .file("/etc/redhat-release", "Fedora release 31 (Thirty One)\n")
            .file("/etc/system-release", "Fedora release 31 (Thirty One)\n")
            .file("/etc/os-release", os)
            .dir("/etc", &["redhat-release", "system-release", "os-release"]);
        expect(&detect(&host, None), "Fedora", "31", "31", "", "RedHat");
    }

    #[test]
    fn arch_linux_fixtures() {
        // Ansible's arch_linux_na.json: empty /etc/arch-release, no version.
        let os = "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nID_LIKE=archlinux\nANSI_COLOR=\"0;36\"\nHOME_URL=\"https://www.archlinux.org/\"\n\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .file("/etc/arch-release", "")
            .dir("/etc", &["os-release", "arch-release"]);
        expect(
            &detect(&host, None),
            "Archlinux",
            "NA",
            "NA",
            "NA",
            "Archlinux",
        );
        // archlinux_rolling.json: lsb_release reports "rolling" and "n/a".
        let lsb = "LSB Version:\t1.4\nDistributor ID:\tArch\nDescription:\tArch Linux\nRelease:\trolling\nCodename:\tn/a\n";
        expect(
            &detect(&host, Some(lsb)),
            "Archlinux",
            "rolling",
            "rolling",
            "n/a",
            "Archlinux",
        );
        // Without /etc/arch-release the os-release alias still matches.
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .dir("/etc", &["os-release"]);
        expect(
            &detect(&host, None),
            "Archlinux",
            "NA",
            "NA",
            "NA",
            "Archlinux",
        );
    }

    #[test]
    fn gentoo_fixture() {
        // Ansible's gentoo.json (lsb_release present).
        let os = "NAME='Gentoo'\nID='gentoo'\nPRETTY_NAME='Gentoo Linux'\nVERSION='2.18'\nVERSION_ID='2.18'\nHOME_URL='https://www.gentoo.org/'\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .file("/usr/lib/os-release", os)
            .file("/etc/gentoo-release", "Gentoo Base System release 2.18\n")
            .file("/etc/lsb-release", "DISTRIB_ID=\"Gentoo\"\n")
            .dir("/etc", &["os-release", "gentoo-release", "lsb-release"]);
        let lsb = "LSB Version:\tn/a\nDistributor ID:\tGentoo\nDescription:\tGentoo Linux\nRelease:\t2.18\nCodename:\tn/a\n";
        expect(
            &detect(&host, Some(lsb)),
            "Gentoo",
            "2.18",
            "2",
            "n/a",
            "Gentoo",
        );
        expect(&detect(&host, None), "Gentoo", "2.18", "2", "NA", "Gentoo");
    }

    #[test]
    fn opensuse_leap_and_sles() {
        let os = "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .dir("/etc", &["os-release"]);
        expect(
            &detect(&host, None),
            "openSUSE Leap",
            "15.5",
            "15",
            "5",
            "Suse",
        );

        let os = "NAME=\"SLES\"\nVERSION=\"15-SP6\"\nVERSION_ID=\"15.6\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP6\"\nID=\"sles\"\nID_LIKE=\"suse\"\nVARIANT_ID=\"sles-sap\"\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .dir("/etc", &["os-release"]);
        expect(&detect(&host, None), "SLES_SAP", "15.6", "15", "6", "Suse");
    }

    #[test]
    fn amazon_linux_2023() {
        let os = "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .file(
                "/etc/system-release",
                "Amazon Linux release 2023 (Amazon Linux)\n",
            )
            .dir("/etc", &["os-release", "system-release"]);
        expect(
            &detect(&host, None),
            "Amazon",
            "2023",
            "2023",
            "NA",
            "RedHat",
        );
    }

    #[test]
    fn unknown_os_release_falls_to_na_parser() {
        let os = "NAME=\"Pop!_OS\"\nVERSION=\"22.04 LTS\"\nID=pop\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n";
        let host = FakeHost::new()
            .file("/etc/os-release", os)
            .dir("/etc", &["os-release"]);
        expect(
            &detect(&host, None),
            "Pop!_OS",
            "22.04",
            "22",
            "jammy",
            "Debian",
        );
        // Nothing at all: Ansible's "OtherLinux" guess with NA everywhere.
        let host = FakeHost::new();
        expect(
            &detect(&host, None),
            "OtherLinux",
            "NA",
            "NA",
            "NA",
            "OtherLinux",
        );
    }

    #[test]
    fn os_release_shlex_rules() {
        let p = parse_os_release(
            "# comment\nNAME='Gen too'\nX=\"a \\\"q\\\" \\n\"\nY=un\\ quoted\nZ=a#tail\nVERSION=\"7 (Core)\"\nEMPTY=\"\"\n",
        );
        assert_eq!(p["name"], "Gen too");
        assert_eq!(p["x"], "a \"q\" \\n");
        assert_eq!(p["y"], "un quoted");
        assert_eq!(p["z"], "a");
        assert_eq!(p["codename"], "Core");
        assert_eq!(p["empty"], "");
        assert!(shlex_split("unterminated \"quote").len() == 2);
    }

    #[test]
    fn version_codename_forms() {
        assert_eq!(version_codename("7 (Core)").as_deref(), Some("Core"));
        assert_eq!(
            version_codename("22.04.3 LTS (Jammy Jellyfish)").as_deref(),
            Some("Jammy Jellyfish")
        );
        assert_eq!(
            version_codename("16.04, Xenial Xerus").as_deref(),
            Some("Xenial Xerus")
        );
        assert_eq!(version_codename("9 (v9)"), None);
        assert_eq!(version_codename("12"), None);
    }

    #[test]
    fn distro_release_content_forms() {
        let p = parse_distro_release_content("CentOS Linux release 8.1.1911 (Core) \n");
        assert_eq!(p["name"], "CentOS Linux");
        assert_eq!(p["version_id"], "8.1.1911");
        assert_eq!(p["codename"], "Core");
        let p = parse_distro_release_content("Fedora release 31 (Thirty One)");
        assert_eq!(
            (p["name"].as_str(), p["version_id"].as_str()),
            ("Fedora", "31")
        );
        assert_eq!(p["codename"], "Thirty One");
        let p = parse_distro_release_content("Gentoo Base System release 2.18");
        assert_eq!(
            (p["name"].as_str(), p["version_id"].as_str()),
            ("Gentoo Base System", "2.18")
        );
        assert!(!p.contains_key("codename"));
        let p = parse_distro_release_content("Ubuntu 22.04.3 LTS");
        assert_eq!(
            (p["name"].as_str(), p["version_id"].as_str()),
            ("Ubuntu", "22.04.3")
        );
        let p = parse_distro_release_content("Arch Linux release");
        assert_eq!(p["name"], "Arch Linux release");
        assert!(!p.contains_key("version_id"));
        assert!(parse_distro_release_content("").is_empty());
        let p = parse_distro_release_content("7");
        assert_eq!(p["name"], "7");
    }

    #[test]
    fn release_file_names() {
        assert_eq!(release_basename_id("centos-release"), Some("centos"));
        assert_eq!(release_basename_id("slackware-version"), Some("slackware"));
        assert_eq!(release_basename_id("debian_version"), Some("debian"));
        assert_eq!(release_basename_id("-release"), None);
        assert_eq!(release_basename_id("os.release"), None);
        assert_eq!(release_basename_id("a-b-release"), None);
    }

    #[test]
    fn pretty_name_releases() {
        assert_eq!(
            debian_pretty_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n").as_deref(),
            Some("bookworm")
        );
        assert_eq!(
            debian_pretty_release("PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n"),
            None
        );
        assert_eq!(
            devuan_pretty_release("PRETTY_NAME=\"Devuan GNU/Linux 4 (chimaera)\"\n").as_deref(),
            Some("chimaera")
        );
    }

    #[test]
    fn families_and_capitalize() {
        assert_eq!(os_family("Ubuntu"), "Debian");
        assert_eq!(os_family("Rocky"), "RedHat");
        assert_eq!(os_family("MacOSX"), "Darwin");
        assert_eq!(os_family("Plan9"), "Plan9");
        assert_eq!(capitalize("rHEL"), "Rhel");
        assert_eq!(capitalize(""), "");
    }

    #[test]
    fn darwin_from_plist() {
        let plist = "<?xml version=\"1.0\"?>\n<plist version=\"1.0\">\n<dict>\n\t<key>ProductBuildVersion</key>\n\t<string>23B81</string>\n\t<key>ProductName</key>\n\t<string>macOS</string>\n\t<key>ProductVersion</key>\n\t<string>14.1.1</string>\n</dict>\n</plist>\n";
        let f = darwin_distribution(
            plist_product_version(plist),
            "23.1.0",
            "Darwin Kernel Version 23.1.0",
        );
        expect(&f, "MacOSX", "14.1.1", "14", "23.1.0", "Darwin");
        assert_eq!(plist_product_version("<key>ProductVersion</key>"), None);
        let f = darwin_distribution(None, "23.1.0", "Darwin Kernel");
        assert_eq!(f.version, "Darwin Kernel");
        assert_eq!(f.major_version, None);
    }
}
