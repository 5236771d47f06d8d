//! `pkg_mgr` and `service_mgr`, following Ansible's
//! `facts/system/pkg_mgr.py` and `facts/system/service_mgr.py`.

use super::host::{content, Host};

/// `(path, name)` in Ansible's `PKG_MGRS` order; the last existing path wins.
const PKG_MGRS: &[(&str, &str)] = &[
    ("/usr/bin/rpm-ostree", "atomic_container"),
    ("/usr/bin/yum", "yum"),
    ("/usr/bin/dnf-3", "dnf"),
    ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"),
    ("/usr/bin/zypper", "zypper"),
    ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"),
    ("/bin/opkg", "opkg"),
    ("/usr/pkg/bin/pkgin", "pkgin"),
    ("/opt/local/bin/pkgin", "pkgin"),
    ("/opt/tools/bin/pkgin", "pkgin"),
    ("/opt/local/bin/port", "macports"),
    ("/usr/local/bin/brew", "homebrew"),
    ("/opt/homebrew/bin/brew", "homebrew"),
    ("/sbin/apk", "apk"),
    ("/usr/sbin/pkg", "pkgng"),
    ("/usr/sbin/swlist", "swdepot"),
    ("/usr/bin/emerge", "portage"),
    ("/usr/sbin/pkgadd", "svr4pkg"),
    ("/usr/bin/pkg", "pkg5"),
    ("/usr/bin/xbps-install", "xbps"),
    ("/usr/local/sbin/pkg", "pkgng"),
    ("/usr/bin/swupd", "swupd"),
    ("/usr/sbin/sorcery", "sorcery"),
    ("/usr/bin/installp", "installp"),
    ("/QOpenSys/pkgs/bin/yum", "yum"),
];

/// What the package-manager probe needs to know about the host.
pub(crate) struct PkgContext<'a> {
    pub system: &'a str,
    pub distribution: &'a str,
    pub major_version: &'a str,
    pub os_family: &'a str,
}

/// The `pkg_mgr` fact. `rpm_owns_apt_get` answers Ansible's
/// `rpm -q --whatprovides /usr/bin/apt-get` (asked only when `/usr/bin/rpm`
/// exists next to apt).
pub(crate) fn pkg_mgr(
    host: &dyn Host,
    ctx: &PkgContext<'_>,
    rpm_owns_apt_get: &dyn Fn() -> bool,
) -> String {
    if ctx.system == "OpenBSD" {
        return "openbsd_pkg".to_string();
    }
    let mut name = "unknown".to_string();
    for (path, mgr) in PKG_MGRS {
        // On ALT Linux /usr/bin/pkg is a Perl tool, not Solaris pkg(5).
        if ctx.os_family == "Altlinux" && *path == "/usr/bin/pkg" {
            continue;
        }
        if host.exists(path) {
            name = mgr.to_string();
        }
    }
    if ctx.os_family == "RedHat" {
        name = redhat_pkg_mgr(host, ctx);
    } else if ctx.os_family == "Debian" && name != "apt" {
        // yum, zypper and friends may be installed on Debian; apt rules.
        name = "apt".to_string();
    } else if ctx.os_family == "Altlinux" && name == "apt" {
        name = "apt_rpm".to_string();
    }
    if name == "apt" && host.exists("/usr/bin/rpm") && rpm_owns_apt_get() {
        name = "apt_rpm".to_string();
    }
    name
}

/// Ansible's `_check_rh_versions`.
fn redhat_pkg_mgr(host: &dyn Host, ctx: &PkgContext<'_>) -> String {
    if host.exists("/run/ostree-booted") {
        return "atomic_container".to_string();
    }
    let mut name = "unknown".to_string();
    for bin in ["/usr/bin/dnf", "/usr/bin/microdnf"] {
        if host.exists(bin) {
            let real = host.real_path(bin).unwrap_or_default();
            name = if real == "/usr/bin/dnf5" {
                "dnf5"
            } else {
                "dnf"
            }
            .to_string();
            break;
        }
    }
    let mut major = ctx.major_version;
    if ctx.distribution == "Kylin Linux Advanced Server" {
        major = major.trim_start_matches('V');
    }
    let Ok(major) = major.trim().parse::<i64>() else {
        return "unknown".to_string();
    };
    let old = (ctx.distribution == "Fedora" && major < 23)
        || (ctx.distribution == "Kylin Linux Advanced Server" && major < 10)
        || (ctx.distribution == "Amazon" && major < 2022)
        || (ctx.distribution == "TencentOS" && major < 3)
        || major < 8;
    let has_yum = PKG_MGRS
        .iter()
        .any(|(path, mgr)| *mgr == "yum" && host.exists(path));
    if old && has_yum {
        name = "yum".to_string();
    }
    name
}

/// Ansible's mapping of pid 1 command names to service managers.
const PROC_1_MAP: &[(&str, &str)] = &[
    ("procd", "openwrt_init"),
    ("runit-init", "runit"),
    ("svscan", "svc"),
    ("openrc-init", "openrc"),
];

/// The `service_mgr` fact.
pub(crate) fn service_mgr(host: &dyn Host, system: &str, distribution: &str) -> String {
    // Ansible falls back to `ps -p 1 -o comm` when /proc/1/comm is missing;
    // that is not run here (the /sbin/init link and the per-system rules
    // below give the same answer on the systems this runtime supports).
    let mut proc_1 = content(host, "/proc/1/comm");
    if proc_1.is_none() && host.is_symlink("/sbin/init") {
        proc_1 = host.read_link("/sbin/init");
    }
    let proc_1 = proc_1
        .map(|p| p.rsplit('/').next().unwrap_or("").trim().to_string())
        .filter(|p| p != "init" && !p.ends_with("sh"));
    if let Some(p) = proc_1 {
        // Ansible lets an empty name fall through to "service".
        if !p.is_empty() {
            return PROC_1_MAP
                .iter()
                .find(|(k, _)| *k == p)
                .map(|(_, v)| v.to_string())
                .unwrap_or(p);
        }
        return "service".to_string();
    }
    let name = if distribution == "MacOSX" {
        Some("launchd")
    } else if system.contains("BSD") || system == "Bitrig" || system == "DragonFly" {
        Some("bsdinit")
    } else if system == "AIX" {
        Some("src")
    } else if system == "SunOS" {
        Some("smf")
    } else if distribution == "OpenWrt" {
        Some("openwrt_init")
    } else if distribution == "SMGL" {
        Some("simpleinit_msb")
    } else if system == "Linux" {
        linux_service_mgr(host)
    } else {
        None
    };
    name.unwrap_or("service").to_string()
}

fn linux_service_mgr(host: &dyn Host) -> Option<&'static str> {
    let has_systemctl = host.which("systemctl").is_some();
    let booted = [
        "/run/systemd/system/",
        "/dev/.run/systemd/",
        "/dev/.systemd/",
    ]
    .iter()
    .any(|canary| host.exists(canary));
    if has_systemctl && booted {
        return Some("systemd");
    }
    if host.which("initctl").is_some() && host.exists("/etc/init/") {
        return Some("upstart");
    }
    if host.exists("/sbin/openrc") {
        return Some("openrc");
    }
    let init_is_systemd = host.is_symlink("/sbin/init")
        && host
            .read_link("/sbin/init")
            .map(|t| t.rsplit('/').next() == Some("systemd"))
            .unwrap_or(false);
    if has_systemctl && init_is_systemd {
        return Some("systemd");
    }
    if host.exists("/etc/init.d/") {
        return Some("sysvinit");
    }
    if host.exists("/etc/dinit.d/") {
        return Some("dinit");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::host::FakeHost;

    fn ctx<'a>(distribution: &'a str, major: &'a str, family: &'a str) -> PkgContext<'a> {
        PkgContext {
            system: "Linux",
            distribution,
            major_version: major,
            os_family: family,
        }
    }

    #[test]
    fn package_managers() {
        let no = || false;
        let host = FakeHost::new()
            .file("/usr/bin/apt-get", "")
            .file("/usr/bin/yum", "");
        assert_eq!(pkg_mgr(&host, &ctx("Debian", "12", "Debian"), &no), "apt");
        let host = FakeHost::new().file("/usr/bin/zypper", "");
        assert_eq!(pkg_mgr(&host, &ctx("Ubuntu", "22", "Debian"), &no), "apt");
        assert_eq!(
            pkg_mgr(&host, &ctx("openSUSE Leap", "15", "Suse"), &no),
            "zypper"
        );
        let host = FakeHost::new().file("/sbin/apk", "");
        assert_eq!(pkg_mgr(&host, &ctx("Alpine", "3", "Alpine"), &no), "apk");
        let host = FakeHost::new().file("/usr/bin/pacman", "");
        assert_eq!(
            pkg_mgr(&host, &ctx("Archlinux", "NA", "Archlinux"), &no),
            "pacman"
        );
        let host = FakeHost::new().file("/usr/bin/emerge", "");
        assert_eq!(
            pkg_mgr(&host, &ctx("Gentoo", "2", "Gentoo"), &no),
            "portage"
        );
        let host = FakeHost::new();
        assert_eq!(pkg_mgr(&host, &ctx("Weird", "1", "Weird"), &no), "unknown");
        let host = FakeHost::new().file("/opt/homebrew/bin/brew", "");
        let mac = PkgContext {
            system: "Darwin",
            distribution: "MacOSX",
            major_version: "14",
            os_family: "Darwin",
        };
        assert_eq!(pkg_mgr(&host, &mac, &no), "homebrew");
        // apt-get owned by an RPM package: ALT-style apt-rpm.
        let host = FakeHost::new()
            .file("/usr/bin/apt-get", "")
            .file("/usr/bin/rpm", "");
        assert_eq!(
            pkg_mgr(&host, &ctx("Weird", "1", "Weird"), &|| true),
            "apt_rpm"
        );
        assert_eq!(pkg_mgr(&host, &ctx("Debian", "12", "Debian"), &no), "apt");
    }

    #[test]
    fn redhat_family() {
        let no = || false;
        let host = FakeHost::new()
            .file("/usr/bin/yum", "")
            .file("/usr/bin/dnf-3", "")
            .file("/usr/bin/dnf-3", "")
            .link("/usr/bin/dnf", "dnf-3");
        assert_eq!(pkg_mgr(&host, &ctx("RedHat", "9", "RedHat"), &no), "dnf");
        assert_eq!(pkg_mgr(&host, &ctx("CentOS", "7", "RedHat"), &no), "yum");
        assert_eq!(pkg_mgr(&host, &ctx("Amazon", "2", "RedHat"), &no), "yum");
        assert_eq!(pkg_mgr(&host, &ctx("Amazon", "2023", "RedHat"), &no), "dnf");
        assert_eq!(
            pkg_mgr(&host, &ctx("Fedora", "NA", "RedHat"), &no),
            "unknown"
        );
        let host = FakeHost::new()
            .file("/usr/bin/dnf5", "")
            .link("/usr/bin/dnf", "/usr/bin/dnf5");
        assert_eq!(pkg_mgr(&host, &ctx("Fedora", "41", "RedHat"), &no), "dnf5");
        let host = FakeHost::new().file("/run/ostree-booted", "");
        assert_eq!(
            pkg_mgr(&host, &ctx("Fedora", "41", "RedHat"), &no),
            "atomic_container"
        );
    }

    #[test]
    fn service_managers() {
        let host = FakeHost::new().file("/proc/1/comm", "systemd\n");
        assert_eq!(service_mgr(&host, "Linux", "Debian"), "systemd");
        let host = FakeHost::new().file("/proc/1/comm", "openrc-init\n");
        assert_eq!(service_mgr(&host, "Linux", "Alpine"), "openrc");
        // A shell as pid 1 (a container) cannot be trusted.
        let host = FakeHost::new()
            .file("/proc/1/comm", "bash\n")
            .dir("/etc/init.d", &[]);
        assert_eq!(service_mgr(&host, "Linux", "Debian"), "sysvinit");
        let host = FakeHost::new()
            .file("/proc/1/comm", "init\n")
            .bin("/usr/bin/systemctl")
            .dir("/run/systemd/system", &[]);
        assert_eq!(service_mgr(&host, "Linux", "Fedora"), "systemd");
        let host = FakeHost::new()
            .file("/proc/1/comm", "sh\n")
            .file("/sbin/openrc", "");
        assert_eq!(service_mgr(&host, "Linux", "Alpine"), "openrc");
        let host = FakeHost::new()
            .bin("/usr/bin/systemctl")
            .link("/sbin/init", "/lib/systemd/systemd");
        assert_eq!(service_mgr(&host, "Linux", "Debian"), "systemd");
        let host = FakeHost::new();
        assert_eq!(service_mgr(&host, "Darwin", "MacOSX"), "launchd");
        assert_eq!(service_mgr(&host, "Linux", "Debian"), "service");
        assert_eq!(service_mgr(&host, "FreeBSD", "FreeBSD"), "bsdinit");
        let host = FakeHost::new().file("/proc/1/comm", "tini\n");
        assert_eq!(service_mgr(&host, "Linux", "Debian"), "tini");
    }
}
