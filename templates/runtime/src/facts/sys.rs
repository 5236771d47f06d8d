//! The few C library calls fact gathering needs, declared by hand.
//!
//! std already links the C library on every supported target, so these are
//! plain `extern "C"` declarations with `#[repr(C)]` structs laid out per
//! platform. Every wrapper is safe to call and returns `None` when the call
//! fails or the platform is not one whose layout is declared here (64-bit
//! Linux with glibc or musl, and macOS); callers then leave the facts out.

use std::ffi::{c_char, c_int, CStr};
use std::net::IpAddr;

/// `uname(2)` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Uname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

/// One `struct passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PwEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub dir: String,
    pub shell: String,
}

/// One `struct group` entry (members left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrEntry {
    pub name: String,
    pub gid: u32,
}

/// Broken-down local time of one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalTime {
    pub year: i64,
    /// 1-12.
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 0-365.
    pub yearday: u32,
    /// Seconds east of UTC.
    pub gmtoff: i64,
    /// Zone abbreviation in effect ("CET", "UTC").
    pub zone: String,
}

/// One address of one interface, from `getifaddrs(3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IfAddr {
    pub name: String,
    pub addr: Option<IpAddr>,
    pub netmask: Option<IpAddr>,
    pub broadcast: Option<IpAddr>,
}

/// Sizes from `statvfs(3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FsStats {
    pub bsize: u64,
    pub frsize: u64,
    pub blocks: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub favail: u64,
}

/// `ERANGE`: the same value (34) on Linux and macOS.
#[cfg(any(target_os = "linux", target_os = "macos"))]
const ERANGE: c_int = 34;
/// Largest scratch buffer the `_r` lookups may grow to.
#[cfg(any(target_os = "linux", target_os = "macos"))]
const MAX_BUF: usize = 1 << 20;

/// Copies a NUL-terminated C string; empty for a null pointer.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string that stays valid for
/// the duration of the call.
#[cfg(any(target_os = "linux", target_os = "macos"))]
unsafe fn c_string(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Text of a fixed-size `char` array up to its first NUL.
#[cfg_attr(not(any(target_os = "linux", target_os = "macos")), allow(dead_code))]
fn array_string(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod ffi {
    use std::ffi::{c_char, c_int, c_uint, c_void};

    #[cfg(target_os = "linux")]
    pub const UTS_LEN: usize = 65;
    #[cfg(target_os = "macos")]
    pub const UTS_LEN: usize = 256;

    /// `struct utsname`: six 65-byte fields on Linux (glibc and musl), five
    /// 256-byte fields on macOS.
    #[repr(C)]
    pub struct Utsname {
        pub sysname: [c_char; UTS_LEN],
        pub nodename: [c_char; UTS_LEN],
        pub release: [c_char; UTS_LEN],
        pub version: [c_char; UTS_LEN],
        pub machine: [c_char; UTS_LEN],
        #[cfg(target_os = "linux")]
        pub domainname: [c_char; UTS_LEN],
    }

    /// `struct passwd`; macOS has `pw_change`, `pw_class` and `pw_expire`.
    #[repr(C)]
    pub struct Passwd {
        pub pw_name: *mut c_char,
        pub pw_passwd: *mut c_char,
        pub pw_uid: u32,
        pub pw_gid: u32,
        #[cfg(target_os = "macos")]
        pub pw_change: std::ffi::c_long,
        #[cfg(target_os = "macos")]
        pub pw_class: *mut c_char,
        pub pw_gecos: *mut c_char,
        pub pw_dir: *mut c_char,
        pub pw_shell: *mut c_char,
        #[cfg(target_os = "macos")]
        pub pw_expire: std::ffi::c_long,
    }

    /// `struct group` (identical on Linux and macOS).
    #[repr(C)]
    pub struct Group {
        pub gr_name: *mut c_char,
        pub gr_passwd: *mut c_char,
        pub gr_gid: u32,
        pub gr_mem: *mut *mut c_char,
    }

    /// `mode_t`: 32 bits on Linux, 16 bits on macOS.
    #[cfg(target_os = "linux")]
    pub type ModeT = u32;
    #[cfg(target_os = "macos")]
    pub type ModeT = u16;

    /// `struct tm` with the BSD/GNU `tm_gmtoff` and `tm_zone` members (same
    /// layout in glibc, musl and macOS).
    #[repr(C)]
    pub struct Tm {
        pub tm_sec: c_int,
        pub tm_min: c_int,
        pub tm_hour: c_int,
        pub tm_mday: c_int,
        pub tm_mon: c_int,
        pub tm_year: c_int,
        pub tm_wday: c_int,
        pub tm_yday: c_int,
        pub tm_isdst: c_int,
        pub tm_gmtoff: std::ffi::c_long,
        pub tm_zone: *const c_char,
    }

    /// `struct hostent` (identical on Linux and macOS).
    #[repr(C)]
    pub struct Hostent {
        pub h_name: *mut c_char,
        pub h_aliases: *mut *mut c_char,
        pub h_addrtype: c_int,
        pub h_length: c_int,
        pub h_addr_list: *mut *mut c_char,
    }

    /// `struct ifaddrs` (identical on Linux and macOS; the union is a
    /// pointer either way).
    #[repr(C)]
    pub struct Ifaddrs {
        pub ifa_next: *mut Ifaddrs,
        pub ifa_name: *mut c_char,
        pub ifa_flags: c_uint,
        pub ifa_addr: *mut c_void,
        pub ifa_netmask: *mut c_void,
        pub ifa_ifu: *mut c_void,
        pub ifa_data: *mut c_void,
    }

    extern "C" {
        pub fn uname(buf: *mut Utsname) -> c_int;
        pub fn getuid() -> u32;
        pub fn geteuid() -> u32;
        pub fn getgid() -> u32;
        pub fn getegid() -> u32;
        pub fn getpwuid_r(
            uid: u32,
            pwd: *mut Passwd,
            buf: *mut c_char,
            buflen: usize,
            result: *mut *mut Passwd,
        ) -> c_int;
        pub fn getpwnam_r(
            name: *const c_char,
            pwd: *mut Passwd,
            buf: *mut c_char,
            buflen: usize,
            result: *mut *mut Passwd,
        ) -> c_int;
        pub fn getgrgid_r(
            gid: u32,
            grp: *mut Group,
            buf: *mut c_char,
            buflen: usize,
            result: *mut *mut Group,
        ) -> c_int;
        pub fn getgrnam_r(
            name: *const c_char,
            grp: *mut Group,
            buf: *mut c_char,
            buflen: usize,
            result: *mut *mut Group,
        ) -> c_int;
        pub fn umask(mask: ModeT) -> ModeT;
        pub fn tzset();
        pub static mut tzname: [*mut c_char; 2];
        pub fn getloadavg(loadavg: *mut f64, nelem: c_int) -> c_int;
        pub fn getifaddrs(ifap: *mut *mut Ifaddrs) -> c_int;
        pub fn freeifaddrs(ifa: *mut Ifaddrs);
    }

    // `time_t` is 64 bits on every target this declaration is used for.
    #[cfg(target_pointer_width = "64")]
    extern "C" {
        pub fn localtime_r(time: *const i64, result: *mut Tm) -> *mut Tm;
    }

    #[cfg(target_os = "linux")]
    extern "C" {
        pub fn sched_getaffinity(pid: c_int, cpusetsize: usize, mask: *mut u64) -> c_int;
        pub fn gethostbyaddr_r(
            addr: *const c_void,
            len: u32,
            kind: c_int,
            ret: *mut Hostent,
            buf: *mut c_char,
            buflen: usize,
            result: *mut *mut Hostent,
            h_errnop: *mut c_int,
        ) -> c_int;
    }

    #[cfg(target_os = "macos")]
    extern "C" {
        pub fn gethostbyaddr(addr: *const c_void, len: u32, kind: c_int) -> *mut Hostent;
    }

    /// `struct statvfs` of 64-bit glibc and musl: eleven 8-byte fields, then
    /// spare room (oversized here; the kernel structure is 112 bytes).
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[repr(C)]
    pub struct Statvfs {
        pub f_bsize: u64,
        pub f_frsize: u64,
        pub f_blocks: u64,
        pub f_bfree: u64,
        pub f_bavail: u64,
        pub f_files: u64,
        pub f_ffree: u64,
        pub f_favail: u64,
        pub f_fsid: u64,
        pub f_flag: u64,
        pub f_namemax: u64,
        pub spare: [u64; 8],
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    extern "C" {
        pub fn statvfs(path: *const c_char, buf: *mut Statvfs) -> c_int;
    }

    /// `AF_INET6`: 10 on Linux, 30 on macOS (`AF_INET` is 2 on both).
    #[cfg(target_os = "linux")]
    pub const AF_INET6: c_int = 10;
    #[cfg(target_os = "macos")]
    pub const AF_INET6: c_int = 30;
    pub const AF_INET: c_int = 2;
    /// `IFF_BROADCAST`, the same bit on Linux and macOS.
    pub const IFF_BROADCAST: c_uint = 0x2;
}

/// `uname(2)`.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn uname() -> Option<Uname> {
    let mut buf = ffi::Utsname {
        sysname: [0; ffi::UTS_LEN],
        nodename: [0; ffi::UTS_LEN],
        release: [0; ffi::UTS_LEN],
        version: [0; ffi::UTS_LEN],
        machine: [0; ffi::UTS_LEN],
        #[cfg(target_os = "linux")]
        domainname: [0; ffi::UTS_LEN],
    };
    // SAFETY: `buf` is a writable struct with the platform's `struct utsname`
    // layout; uname only fills its fixed-size arrays.
    let rc = unsafe { ffi::uname(&mut buf) };
    if rc != 0 {
        return None;
    }
    Some(Uname {
        sysname: array_string(&buf.sysname),
        nodename: array_string(&buf.nodename),
        release: array_string(&buf.release),
        version: array_string(&buf.version),
        machine: array_string(&buf.machine),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn uname() -> Option<Uname> {
    None
}

/// Real and effective user and group ids: (uid, euid, gid, egid).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn ids() -> Option<(u32, u32, u32, u32)> {
    // SAFETY: these calls take no arguments, always succeed and touch no
    // memory of ours.
    let ids = unsafe { (ffi::getuid(), ffi::geteuid(), ffi::getgid(), ffi::getegid()) };
    Some(ids)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn ids() -> Option<(u32, u32, u32, u32)> {
    None
}

/// Password database entry by uid (`getpwuid_r`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn passwd_by_uid(uid: u32) -> Option<PwEntry> {
    passwd_lookup(|pwd, buf, len, result| {
        // SAFETY: `pwd`, `buf` (of `len` bytes) and `result` are valid,
        // writable and outlive the call (see `passwd_lookup`).
        unsafe { ffi::getpwuid_r(uid, pwd, buf, len, result) }
    })
}

/// Password database entry by name (`getpwnam_r`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn passwd_by_name(name: &str) -> Option<PwEntry> {
    let cname = std::ffi::CString::new(name).ok()?;
    passwd_lookup(|pwd, buf, len, result| {
        // SAFETY: `cname` is NUL-terminated and alive; the other pointers
        // are valid and writable (see `passwd_lookup`).
        unsafe { ffi::getpwnam_r(cname.as_ptr(), pwd, buf, len, result) }
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn passwd_by_uid(_uid: u32) -> Option<PwEntry> {
    None
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn passwd_by_name(_name: &str) -> Option<PwEntry> {
    None
}

/// Runs a `getpw*_r` call with a growing scratch buffer.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn passwd_lookup(
    call: impl Fn(*mut ffi::Passwd, *mut c_char, usize, *mut *mut ffi::Passwd) -> c_int,
) -> Option<PwEntry> {
    let mut len = 1024usize;
    loop {
        let mut buf: Vec<c_char> = vec![0; len];
        // SAFETY: `struct passwd` holds only integers and raw pointers, for
        // which all-zero bytes are a valid value.
        let mut pwd: ffi::Passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut ffi::Passwd = std::ptr::null_mut();
        let rc = call(&mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc == ERANGE && len < MAX_BUF {
            len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success the string members point into `buf`, which is
        // still alive, and are NUL-terminated (or null).
        let entry = unsafe {
            PwEntry {
                name: c_string(pwd.pw_name),
                uid: pwd.pw_uid,
                gid: pwd.pw_gid,
                gecos: c_string(pwd.pw_gecos),
                dir: c_string(pwd.pw_dir),
                shell: c_string(pwd.pw_shell),
            }
        };
        return Some(entry);
    }
}

/// Group database entry by gid (`getgrgid_r`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn group_by_gid(gid: u32) -> Option<GrEntry> {
    group_lookup(|grp, buf, len, result| {
        // SAFETY: `grp`, `buf` (of `len` bytes) and `result` are valid,
        // writable and outlive the call (see `group_lookup`).
        unsafe { ffi::getgrgid_r(gid, grp, buf, len, result) }
    })
}

/// Group database entry by name (`getgrnam_r`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn group_by_name(name: &str) -> Option<GrEntry> {
    let cname = std::ffi::CString::new(name).ok()?;
    group_lookup(|grp, buf, len, result| {
        // SAFETY: `cname` is NUL-terminated and alive; the other pointers
        // are valid and writable (see `group_lookup`).
        unsafe { ffi::getgrnam_r(cname.as_ptr(), grp, buf, len, result) }
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn group_by_gid(_gid: u32) -> Option<GrEntry> {
    None
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn group_by_name(_name: &str) -> Option<GrEntry> {
    None
}

/// Runs a `getgr*_r` call with a growing scratch buffer (member lists of
/// big groups can exceed the first size).
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn group_lookup(
    call: impl Fn(*mut ffi::Group, *mut c_char, usize, *mut *mut ffi::Group) -> c_int,
) -> Option<GrEntry> {
    let mut len = 1024usize;
    loop {
        let mut buf: Vec<c_char> = vec![0; len];
        // SAFETY: `struct group` holds only integers and raw pointers, for
        // which all-zero bytes are a valid value.
        let mut grp: ffi::Group = unsafe { std::mem::zeroed() };
        let mut result: *mut ffi::Group = std::ptr::null_mut();
        let rc = call(&mut grp, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc == ERANGE && len < MAX_BUF {
            len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success `gr_name` points into `buf`, which is still
        // alive, and is NUL-terminated (or null).
        let name = unsafe { c_string(grp.gr_name) };
        return Some(GrEntry {
            name,
            gid: grp.gr_gid,
        });
    }
}

/// The process umask. Linux reports it in `/proc/self/status` (read without
/// touching it); elsewhere, or when that is unavailable, it is read by
/// setting and restoring it under a lock, as Python's `os.umask` dance does.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn umask() -> u32 {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some(value) = line.strip_prefix("Umask:") {
                if let Ok(mask) = u32::from_str_radix(value.trim(), 8) {
                    return mask & 0o777;
                }
            }
        }
    }
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: umask only swaps the process's file mode creation mask; the
    // old value is restored at once.
    let old = unsafe {
        let old = ffi::umask(0o022);
        ffi::umask(old);
        old
    };
    // `mode_t` is u16 on macOS, u32 on Linux.
    #[allow(clippy::useless_conversion)]
    let old = u32::from(old);
    old & 0o777
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn umask() -> u32 {
    0o022
}

/// Local broken-down time of `secs` since the epoch (`localtime_r`).
#[cfg(all(
    any(target_os = "linux", target_os = "macos"),
    target_pointer_width = "64"
))]
pub(crate) fn local_time(secs: i64) -> Option<LocalTime> {
    // SAFETY: `struct tm` holds integers and one raw pointer; all-zero bytes
    // are a valid value.
    let mut tm: ffi::Tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the
    // reentrant variant and writes only into `tm`.
    let out = unsafe { ffi::localtime_r(&secs, &mut tm) };
    if out.is_null() {
        return None;
    }
    // SAFETY: tm_zone is null or points to a NUL-terminated abbreviation
    // owned by the C library's time zone state, copied at once.
    let zone = unsafe { c_string(tm.tm_zone) };
    Some(LocalTime {
        year: i64::from(tm.tm_year) + 1900,
        month: u32::try_from(tm.tm_mon + 1).unwrap_or(1),
        day: u32::try_from(tm.tm_mday).unwrap_or(1),
        hour: u32::try_from(tm.tm_hour).unwrap_or(0),
        minute: u32::try_from(tm.tm_min).unwrap_or(0),
        second: u32::try_from(tm.tm_sec).unwrap_or(0),
        weekday: u32::try_from(tm.tm_wday).unwrap_or(0),
        yearday: u32::try_from(tm.tm_yday).unwrap_or(0),
        gmtoff: tm.tm_gmtoff,
        zone,
    })
}

#[cfg(not(all(
    any(target_os = "linux", target_os = "macos"),
    target_pointer_width = "64"
)))]
pub(crate) fn local_time(_secs: i64) -> Option<LocalTime> {
    None
}

/// The C library's `tzname` pair after `tzset()`: Python's `time.tzname`,
/// whose second member Ansible reports as `tz_dst`.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn tz_names() -> Option<(String, String)> {
    // SAFETY: tzset only (re)initialises the C library's time zone state.
    // `tzname` is then read by value through a raw pointer (no reference to
    // the mutable static is formed) and the strings it points to, owned by
    // the C library, are copied at once.
    let (std_name, dst_name) = unsafe {
        ffi::tzset();
        let names = std::ptr::addr_of!(ffi::tzname).read();
        (c_string(names[0]), c_string(names[1]))
    };
    Some((std_name, dst_name))
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn tz_names() -> Option<(String, String)> {
    None
}

/// Number of CPUs this process may run on (`sched_getaffinity`), like
/// Python's `len(os.sched_getaffinity(0))`.
#[cfg(target_os = "linux")]
pub(crate) fn affinity_cpus() -> Option<i64> {
    let mut mask = [0u64; 64];
    // SAFETY: the mask buffer is writable and its exact size in bytes is
    // passed, so the kernel writes at most that much.
    let rc = unsafe { ffi::sched_getaffinity(0, std::mem::size_of_val(&mask), mask.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    Some(mask.iter().map(|w| i64::from(w.count_ones())).sum())
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn affinity_cpus() -> Option<i64> {
    None
}

/// 1, 5 and 15 minute load averages (`getloadavg`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn load_average() -> Option<[f64; 3]> {
    let mut avg = [0f64; 3];
    // SAFETY: the buffer holds the 3 doubles requested.
    let n = unsafe { ffi::getloadavg(avg.as_mut_ptr(), 3) };
    if n == 3 {
        Some(avg)
    } else {
        None
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn load_average() -> Option<[f64; 3]> {
    None
}

/// Reverse lookup of an address: the official name and the aliases
/// (Python's `socket.gethostbyaddr`).
#[cfg(target_os = "linux")]
pub(crate) fn host_by_addr(addr: IpAddr) -> Option<(String, Vec<String>)> {
    let (bytes, kind) = addr_bytes(addr);
    let mut len = 2048usize;
    loop {
        let mut buf: Vec<c_char> = vec![0; len];
        // SAFETY: `struct hostent` holds integers and raw pointers; all-zero
        // bytes are a valid value.
        let mut ent: ffi::Hostent = unsafe { std::mem::zeroed() };
        let mut result: *mut ffi::Hostent = std::ptr::null_mut();
        let mut herr: c_int = 0;
        // SAFETY: the address buffer holds `bytes.len()` bytes; `ent`, `buf`
        // (of `buf.len()` bytes), `result` and `herr` are valid and writable
        // for the call.
        let rc = unsafe {
            ffi::gethostbyaddr_r(
                bytes.as_ptr().cast(),
                bytes.len() as u32,
                kind,
                &mut ent,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
                &mut herr,
            )
        };
        if rc == ERANGE && len < MAX_BUF {
            len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success every pointer in `ent` points into `buf`, which
        // is alive; the alias list is null-terminated.
        return Some(unsafe { hostent_names(&ent) });
    }
}

/// macOS has no `gethostbyaddr_r`; its `gethostbyaddr` uses per-thread
/// storage, and calls from this process are serialised anyway.
#[cfg(target_os = "macos")]
pub(crate) fn host_by_addr(addr: IpAddr) -> Option<(String, Vec<String>)> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let (bytes, kind) = addr_bytes(addr);
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the address buffer holds `bytes.len()` bytes for the call.
    let ent = unsafe { ffi::gethostbyaddr(bytes.as_ptr().cast(), bytes.len() as u32, kind) };
    if ent.is_null() {
        return None;
    }
    // SAFETY: a non-null result points to the library's hostent, valid
    // until the next lookup, which the lock held here keeps from us.
    Some(unsafe { hostent_names(&*ent) })
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn host_by_addr(_addr: IpAddr) -> Option<(String, Vec<String>)> {
    None
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn addr_bytes(addr: IpAddr) -> (Vec<u8>, c_int) {
    match addr {
        IpAddr::V4(a) => (a.octets().to_vec(), ffi::AF_INET),
        IpAddr::V6(a) => (a.octets().to_vec(), ffi::AF_INET6),
    }
}

/// Name and aliases of a filled-in hostent.
///
/// # Safety
/// `ent.h_name` must be null or a valid C string, and `ent.h_aliases` null or
/// a null-terminated array of valid C strings.
#[cfg(any(target_os = "linux", target_os = "macos"))]
unsafe fn hostent_names(ent: &ffi::Hostent) -> (String, Vec<String>) {
    let name = c_string(ent.h_name);
    let mut aliases = Vec::new();
    if !ent.h_aliases.is_null() {
        for i in 0..1024 {
            let p = *ent.h_aliases.add(i);
            if p.is_null() {
                break;
            }
            aliases.push(c_string(p));
        }
    }
    (name, aliases)
}

/// Every interface address (`getifaddrs`), in the order the system lists
/// them.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn interface_addrs() -> Option<Vec<IfAddr>> {
    let mut head: *mut ffi::Ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is a valid out-pointer; on success the list is freed
    // below with freeifaddrs and never used afterwards.
    if unsafe { ffi::getifaddrs(&mut head) } != 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() && out.len() < 65_536 {
        // SAFETY: `cur` is a node of the list getifaddrs returned, alive until
        // freeifaddrs; its name is a C string and its address pointers are
        // null or point to sockaddr structures of their family's size.
        unsafe {
            let node = &*cur;
            let broadcast = if node.ifa_flags & ffi::IFF_BROADCAST != 0 {
                sockaddr_ip(node.ifa_ifu)
            } else {
                None
            };
            out.push(IfAddr {
                name: c_string(node.ifa_name),
                addr: sockaddr_ip(node.ifa_addr),
                netmask: sockaddr_ip(node.ifa_netmask),
                broadcast,
            });
            cur = node.ifa_next;
        }
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { ffi::freeifaddrs(head) };
    Some(out)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn interface_addrs() -> Option<Vec<IfAddr>> {
    None
}

/// The IP address in a `sockaddr_in`/`sockaddr_in6`; `None` for other
/// families. The family is a `u16` at offset 0 on Linux and a `u8` at offset
/// 1 (after `sa_len`) on macOS; the IPv4 address sits at offset 4 and the
/// IPv6 address at offset 8 on both.
///
/// # Safety
/// `sa` must be null or point to a sockaddr at least as large as its
/// family's structure.
#[cfg(any(target_os = "linux", target_os = "macos"))]
unsafe fn sockaddr_ip(sa: *const std::ffi::c_void) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    let base = sa.cast::<u8>();
    #[cfg(target_os = "linux")]
    let family = c_int::from(base.cast::<u16>().read_unaligned());
    #[cfg(target_os = "macos")]
    let family = c_int::from(base.add(1).read());
    if family == ffi::AF_INET {
        let octets = base.add(4).cast::<[u8; 4]>().read_unaligned();
        Some(IpAddr::from(octets))
    } else if family == ffi::AF_INET6 {
        let octets = base.add(8).cast::<[u8; 16]>().read_unaligned();
        Some(IpAddr::from(octets))
    } else {
        None
    }
}

/// `statvfs(3)` of a mount point.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub(crate) fn fs_stats(path: &str) -> Option<FsStats> {
    let cpath = std::ffi::CString::new(path).ok()?;
    // SAFETY: the struct holds only integers; all-zero bytes are valid.
    let mut st: ffi::Statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `cpath` is NUL-terminated and `st` is at least as large as the
    // C library's struct statvfs.
    let rc = unsafe { ffi::statvfs(cpath.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    Some(FsStats {
        bsize: st.f_bsize,
        frsize: st.f_frsize,
        blocks: st.f_blocks,
        bavail: st.f_bavail,
        files: st.f_files,
        ffree: st.f_ffree,
        favail: st.f_favail,
    })
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub(crate) fn fs_stats(_path: &str) -> Option<FsStats> {
    None
}

/// `sysctlbyname(3)` on macOS. Compiled into Linux test builds as well so the
/// declarations are type-checked there; it is only ever called on macOS.
#[cfg(any(target_os = "macos", test))]
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) mod darwin {
    use std::ffi::{c_char, c_int, c_void, CString};

    extern "C" {
        fn sysctlbyname(
            name: *const c_char,
            oldp: *mut c_void,
            oldlenp: *mut usize,
            newp: *mut c_void,
            newlen: usize,
        ) -> c_int;
    }

    /// Raw value bytes of a sysctl.
    pub(crate) fn sysctl_raw(name: &str) -> Option<Vec<u8>> {
        let cname = CString::new(name).ok()?;
        let mut len = 0usize;
        // SAFETY: a null `oldp` asks only for the size, written to `len`.
        let rc = unsafe {
            sysctlbyname(
                cname.as_ptr(),
                std::ptr::null_mut(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc != 0 || len == 0 || len > 1 << 20 {
            return None;
        }
        let mut buf = vec![0u8; len];
        // SAFETY: `buf` has `len` writable bytes and `len` tells the kernel
        // so; it is updated to the size actually written.
        let rc = unsafe {
            sysctlbyname(
                cname.as_ptr(),
                buf.as_mut_ptr().cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc != 0 {
            return None;
        }
        buf.truncate(len);
        Some(buf)
    }

    /// A string sysctl (trailing NULs removed).
    pub(crate) fn sysctl_string(name: &str) -> Option<String> {
        let raw = sysctl_raw(name)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        Some(String::from_utf8_lossy(&raw[..end]).into_owned())
    }

    /// An integer sysctl of 4 or 8 bytes.
    pub(crate) fn sysctl_int(name: &str) -> Option<i64> {
        super::int_from_ne_bytes(&sysctl_raw(name)?)
    }
}

/// A native-endian 4- or 8-byte integer (the first 8 bytes of longer data,
/// e.g. `tv_sec` of a `struct timeval`).
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn int_from_ne_bytes(raw: &[u8]) -> Option<i64> {
    match raw.len() {
        4 => {
            let mut b = [0u8; 4];
            b.copy_from_slice(raw);
            Some(i64::from(i32::from_ne_bytes(b)))
        }
        n if n >= 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[..8]);
            Some(i64::from_ne_bytes(b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_strings_stop_at_nul() {
        let field: [c_char; 6] = [b'L' as c_char, b'i' as c_char, 0, b'x' as c_char, 0, 0];
        assert_eq!(array_string(&field), "Li");
        assert_eq!(array_string(&[]), "");
    }

    #[test]
    fn native_integers() {
        assert_eq!(int_from_ne_bytes(&7i32.to_ne_bytes()), Some(7));
        assert_eq!(int_from_ne_bytes(&(-2i64).to_ne_bytes()), Some(-2));
        let mut timeval = 1_700_000_000i64.to_ne_bytes().to_vec();
        timeval.extend_from_slice(&[1, 2, 3, 4, 0, 0, 0, 0]);
        assert_eq!(int_from_ne_bytes(&timeval), Some(1_700_000_000));
        assert_eq!(int_from_ne_bytes(&[1, 2]), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn real_calls_work_here() {
        let u = uname().expect("uname");
        assert_eq!(u.sysname, "Linux");
        assert!(!u.machine.is_empty());
        let (uid, _, gid, _) = ids().expect("ids");
        if let Some(pw) = passwd_by_uid(uid) {
            assert_eq!(pw.uid, uid);
            assert_eq!(passwd_by_name(&pw.name).map(|p| p.uid), Some(uid));
            let _ = gid;
        }
        assert!(passwd_by_name("no-such-user-\u{1}").is_none());
        if let Some(gr) = group_by_gid(gid) {
            assert_eq!(gr.gid, gid);
            assert_eq!(group_by_name(&gr.name).map(|g| g.gid), Some(gid));
        }
        assert!(group_by_name("no-such-group-\u{1}").is_none());
        assert!(umask() <= 0o777);
        assert!(affinity_cpus().unwrap_or(0) >= 1);
        let t = local_time(0).expect("localtime");
        assert!(t.year == 1970 || t.year == 1969);
        assert!(tz_names().is_some());
        assert!(interface_addrs().is_some());
        assert!(fs_stats("/").map(|s| s.blocks > 0).unwrap_or(false));
        assert!(fs_stats("/no/such/dir").is_none());
        assert!(fs_stats("nul\0byte").is_none());
    }
}
