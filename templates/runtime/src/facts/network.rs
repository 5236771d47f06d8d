//! Network facts, following Ansible's `facts/network/linux.py` (without the
//! `ip` command: the same data comes from `/sys/class/net`, `/proc/net/route`
//! and `getifaddrs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::host::{content, Host};
use super::sys::IfAddr;
use crate::json::Value;

/// Interface names from `/sys/class/net`, in directory order like Ansible's
/// glob, with `:` replaced by `_`.
pub(crate) fn linux_interfaces(host: &dyn Host) -> Option<Vec<String>> {
    let names = host.list_dir("/sys/class/net")?;
    Some(
        names
            .into_iter()
            .filter(|n| !host.is_file(&format!("/sys/class/net/{n}")))
            .map(|n| n.replace(':', "_"))
            .collect(),
    )
}

/// Interface names in `getifaddrs` order (macOS).
pub(crate) fn interfaces_from_addrs(addrs: &[IfAddr]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in addrs {
        if !names.contains(&a.name) {
            names.push(a.name.clone());
        }
    }
    names
}

/// `all_ipv4_addresses` (without 127.x) and `all_ipv6_addresses` (without
/// `::1`).
pub(crate) fn all_addresses(addrs: &[IfAddr]) -> (Vec<Value>, Vec<Value>) {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for a in addrs {
        match a.addr {
            Some(IpAddr::V4(ip)) if ip.octets()[0] != 127 => v4.push(Value::Str(ip.to_string())),
            Some(IpAddr::V6(ip)) if !ip.is_loopback() => v6.push(Value::Str(ip.to_string())),
            _ => {}
        }
    }
    (v4, v6)
}

/// The default IPv4 route in `/proc/net/route`: (interface, gateway).
pub(crate) fn default_route(route_table: &str) -> Option<(String, Option<Ipv4Addr>)> {
    let mut best: Option<(u64, String, Option<Ipv4Addr>)> = None;
    for line in route_table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).ok();
        let (Some(dest), Some(gateway), Some(flags), Some(mask)) =
            (hex(f[1]), hex(f[2]), hex(f[3]), hex(f[7]))
        else {
            continue;
        };
        const RTF_UP: u32 = 0x1;
        const RTF_GATEWAY: u32 = 0x2;
        if dest != 0 || mask != 0 || flags & RTF_UP == 0 {
            continue;
        }
        let metric = f[6].parse::<u64>().unwrap_or(u64::MAX);
        // The kernel prints the network-order word as a native integer.
        let gw = (flags & RTF_GATEWAY != 0).then(|| Ipv4Addr::from(gateway.to_ne_bytes()));
        if best.as_ref().map(|b| metric < b.0).unwrap_or(true) {
            best = Some((metric, f[0].to_string(), gw));
        }
    }
    best.map(|(_, iface, gw)| (iface, gw))
}

/// `gateway:` and `interface:` from `route -n get default` (macOS).
pub(crate) fn parse_route_get(output: &str) -> (Option<String>, Option<String>) {
    let mut gateway = None;
    let mut interface = None;
    for line in output.lines() {
        if let Some((k, v)) = line.split_once(':') {
            match k.trim() {
                "gateway" => gateway = Some(v.trim().to_string()),
                "interface" => interface = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    (gateway, interface)
}

/// Ansible's `INTERFACE_TYPE` for `/sys/class/net/<dev>/type`.
fn interface_type(host: &dyn Host, dev: &str) -> String {
    let base = format!("/sys/class/net/{dev}");
    let mut kind = match content(host, &format!("{base}/type")).as_deref() {
        Some("1") => "ether",
        Some("32") => "infiniband",
        Some("512") => "ppp",
        Some("772") => "loopback",
        Some("65534") => "tunnel",
        _ => "unknown",
    };
    if host.exists(&format!("{base}/bridge")) {
        kind = "bridge";
    } else if host.exists(&format!("{base}/bonding")) {
        kind = "bonding";
    }
    kind.to_string()
}

/// `macaddress`, `mtu` and `type` of a Linux interface, as Ansible copies
/// them into `default_ipv4`/`default_ipv6` (the MAC address as read, even
/// when empty or all zeros). `None` without `/sys/class/net/<dev>`.
fn link_details(host: &dyn Host, dev: &str) -> Option<[(String, Value); 3]> {
    let sys = format!("/sys/class/net/{dev}");
    if !host.exists(&sys) {
        return None;
    }
    let mac = content(host, &format!("{sys}/address")).unwrap_or_default();
    let mtu = content(host, &format!("{sys}/mtu"))
        .and_then(|m| m.parse::<i64>().ok())
        .map(Value::Int)
        .unwrap_or(Value::Null);
    Some([
        ("macaddress".into(), Value::Str(mac)),
        ("mtu".into(), mtu),
        ("type".into(), Value::Str(interface_type(host, dev))),
    ])
}

/// The interface for a default route: the route's device, else the device
/// owning the address (labels like "eth0:1" name device "eth0").
fn route_interface<G>(route: &Option<(String, G)>, owner: Option<&IfAddr>) -> Option<String> {
    match (route, owner) {
        (Some((iface, _)), _) => Some(iface.clone()),
        (None, Some(o)) => Some(o.name.split(':').next().unwrap_or("").to_string()),
        (None, None) => None,
    }
}

fn sorted(mut members: Vec<(String, Value)>) -> Value {
    members.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(members)
}

/// The `default_ipv4` object. `source` is the address the kernel would use
/// towards the internet, `route` the default route, `addrs` the interface
/// addresses; the interface details come from `/sys/class/net` when the host
/// has it. Empty when there is no default address.
pub(crate) fn default_ipv4(
    host: &dyn Host,
    source: Option<Ipv4Addr>,
    route: Option<(String, Option<Ipv4Addr>)>,
    addrs: &[IfAddr],
) -> Value {
    let Some(address) = source else {
        return Value::Object(Vec::new());
    };
    let owner = addrs.iter().find(|a| a.addr == Some(IpAddr::V4(address)));
    let Some(interface) = route_interface(&route, owner) else {
        return Value::Object(Vec::new());
    };
    let mut members: Vec<(String, Value)> = vec![
        ("address".into(), Value::Str(address.to_string())),
        ("interface".into(), Value::str(&interface)),
    ];
    if let Some((_, Some(gw))) = &route {
        members.push(("gateway".into(), Value::Str(gw.to_string())));
    }
    if let Some(o) = owner {
        let broadcast = match o.broadcast {
            Some(IpAddr::V4(b)) => b.to_string(),
            _ => String::new(),
        };
        members.push(("alias".into(), Value::str(&o.name)));
        members.push(("broadcast".into(), Value::Str(broadcast)));
        if let Some(IpAddr::V4(mask)) = o.netmask {
            let network = u32::from(address) & u32::from(mask);
            members.push(("netmask".into(), Value::Str(mask.to_string())));
            members.push((
                "network".into(),
                Value::Str(Ipv4Addr::from(network).to_string()),
            ));
            members.push((
                "prefix".into(),
                Value::Str(u32::from(mask).count_ones().to_string()),
            ));
        }
        if let Some(details) = link_details(host, &interface) {
            members.extend(details);
        }
    }
    sorted(members)
}

/// Ansible's `scope` of an IPv6 address, as `ip` prints it.
fn ipv6_scope(ip: Ipv6Addr) -> &'static str {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        "host"
    } else if first & 0xffc0 == 0xfe80 {
        "link"
    } else if first & 0xffc0 == 0xfec0 {
        "site"
    } else {
        "global"
    }
}

/// The `default_ipv6` object, like [`default_ipv4`].
pub(crate) fn default_ipv6(
    host: &dyn Host,
    source: Option<Ipv6Addr>,
    route: Option<(String, Option<Ipv6Addr>)>,
    addrs: &[IfAddr],
) -> Value {
    let Some(address) = source else {
        return Value::Object(Vec::new());
    };
    let owner = addrs.iter().find(|a| a.addr == Some(IpAddr::V6(address)));
    let Some(interface) = route_interface(&route, owner) else {
        return Value::Object(Vec::new());
    };
    let mut members: Vec<(String, Value)> = vec![
        ("address".into(), Value::Str(address.to_string())),
        ("interface".into(), Value::str(&interface)),
    ];
    if let Some((_, Some(gw))) = &route {
        members.push(("gateway".into(), Value::Str(gw.to_string())));
    }
    if let Some(o) = owner {
        if let Some(IpAddr::V6(mask)) = o.netmask {
            members.push((
                "prefix".into(),
                Value::Str(u128::from(mask).count_ones().to_string()),
            ));
        }
        members.push(("scope".into(), Value::str(ipv6_scope(address))));
        if let Some(details) = link_details(host, &interface) {
            members.extend(details);
        }
    }
    sorted(members)
}

/// The default IPv6 route in `/proc/net/ipv6_route`: (interface, gateway).
pub(crate) fn default_route_v6(route_table: &str) -> Option<(String, Option<Ipv6Addr>)> {
    const RTF_UP: u32 = 0x1;
    const RTF_REJECT: u32 = 0x200;
    let mut best: Option<(u32, String, Option<Ipv6Addr>)> = None;
    for line in route_table.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let v6 = |s: &str| u128::from_str_radix(s, 16).ok().map(Ipv6Addr::from);
        let hex = |s: &str| u32::from_str_radix(s, 16).ok();
        let (Some(dest), Some(plen), Some(hop), Some(metric), Some(flags)) =
            (v6(f[0]), hex(f[1]), v6(f[4]), hex(f[5]), hex(f[8]))
        else {
            continue;
        };
        if !dest.is_unspecified() || plen != 0 || flags & RTF_UP == 0 || flags & RTF_REJECT != 0 {
            continue;
        }
        let gw = (!hop.is_unspecified()).then_some(hop);
        if best.as_ref().map(|b| metric < b.0).unwrap_or(true) {
            best = Some((metric, f[9].to_string(), gw));
        }
    }
    best.map(|(_, iface, gw)| (iface, gw))
}

/// The source address for traffic to a public address: a connected UDP
/// socket's local address (no packet is sent).
pub(crate) fn outbound_ipv4() -> Option<Ipv4Addr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(8, 8, 8, 8), 53)).ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

/// Like [`outbound_ipv4`] towards the IPv6 address Ansible asks `ip` about.
pub(crate) fn outbound_ipv6() -> Option<Ipv6Addr> {
    let target = Ipv6Addr::new(0x2404, 0x6800, 0x4003, 0xc00, 0, 0, 0, 0x64);
    let socket = std::net::UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((target, 53)).ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V6(ip) if !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::host::FakeHost;

    fn addr(name: &str, ip: &str, mask: Option<&str>, brd: Option<&str>) -> IfAddr {
        IfAddr {
            name: name.to_string(),
            addr: ip.parse().ok(),
            netmask: mask.and_then(|m| m.parse().ok()),
            broadcast: brd.and_then(|b| b.parse().ok()),
        }
    }

    #[test]
    fn route_table() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\nwlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let (iface, gw) = default_route(table).unwrap();
        assert_eq!(iface, "eth0");
        if cfg!(target_endian = "little") {
            assert_eq!(gw, Some(Ipv4Addr::new(192, 0, 2, 1)));
        }
        assert_eq!(default_route("header only\n"), None);
        assert_eq!(default_route(""), None);
    }

    #[test]
    fn addresses_and_default() {
        let addrs = vec![
            addr("lo", "127.0.0.1", Some("255.0.0.0"), None),
            addr("lo", "::1", None, None),
            addr(
                "eth0",
                "192.0.2.10",
                Some("255.255.255.0"),
                Some("192.0.2.255"),
            ),
            addr("eth0", "fe80::1", None, None),
            IfAddr {
                name: "eth0".into(),
                addr: None,
                netmask: None,
                broadcast: None,
            },
        ];
        let (v4, v6) = all_addresses(&addrs);
        assert_eq!(v4, vec![Value::str("192.0.2.10")]);
        assert_eq!(v6, vec![Value::str("fe80::1")]);
        assert_eq!(interfaces_from_addrs(&addrs), vec!["lo", "eth0"]);

        let host = FakeHost::new()
            .dir("/sys/class/net/eth0", &[])
            .file("/sys/class/net/eth0/address", "52:54:00:12:34:56\n")
            .file("/sys/class/net/eth0/mtu", "1500\n")
            .file("/sys/class/net/eth0/type", "1\n");
        let route = Some(("eth0".to_string(), Some(Ipv4Addr::new(192, 0, 2, 1))));
        let v = default_ipv4(&host, Some(Ipv4Addr::new(192, 0, 2, 10)), route, &addrs);
        assert_eq!(
            v.to_compact(),
            "{\"address\":\"192.0.2.10\",\"alias\":\"eth0\",\"broadcast\":\"192.0.2.255\",\"gateway\":\"192.0.2.1\",\"interface\":\"eth0\",\"macaddress\":\"52:54:00:12:34:56\",\"mtu\":1500,\"netmask\":\"255.255.255.0\",\"network\":\"192.0.2.0\",\"prefix\":\"24\",\"type\":\"ether\"}"
        );
        assert_eq!(
            default_ipv4(&host, None, None, &addrs),
            Value::Object(vec![])
        );
        assert_eq!(
            default_ipv4(&host, Some(Ipv4Addr::new(10, 0, 0, 1)), None, &addrs),
            Value::Object(vec![])
        );
    }

    #[test]
    fn sys_class_net_listing() {
        let host = FakeHost::new()
            .dir("/sys/class/net", &["eth0", "bonding_masters", "lo", "br:1"])
            .file("/sys/class/net/bonding_masters", "");
        assert_eq!(linux_interfaces(&host).unwrap(), vec!["eth0", "lo", "br_1"]);
        assert_eq!(linux_interfaces(&FakeHost::new()), None);
    }

    #[test]
    fn ipv6_default() {
        let table = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0\n00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        let route = default_route_v6(table);
        assert_eq!(
            route,
            Some(("eth0".to_string(), Some("fd00::1".parse().unwrap())))
        );
        let addrs = vec![
            addr("eth0", "fd00::2", Some("ffff:ffff:ffff:ffff::"), None),
            addr(
                "eth0",
                "fe80::fc:ff:fe00:1",
                Some("ffff:ffff:ffff:ffff::"),
                None,
            ),
        ];
        let host = FakeHost::new()
            .dir("/sys/class/net/eth0", &[])
            .file("/sys/class/net/eth0/address", "02:fc:00:00:00:01\n")
            .file("/sys/class/net/eth0/mtu", "1400\n")
            .file("/sys/class/net/eth0/type", "1\n");
        let v = default_ipv6(&host, "fd00::2".parse().ok(), route, &addrs);
        assert_eq!(
            v.to_compact(),
            "{\"address\":\"fd00::2\",\"gateway\":\"fd00::1\",\"interface\":\"eth0\",\"macaddress\":\"02:fc:00:00:00:01\",\"mtu\":1400,\"prefix\":\"64\",\"scope\":\"global\",\"type\":\"ether\"}"
        );
        assert_eq!(ipv6_scope("fe80::1".parse().unwrap()), "link");
        assert_eq!(ipv6_scope("::1".parse().unwrap()), "host");
        assert_eq!(
            default_ipv6(&host, None, None, &addrs),
            Value::Object(vec![])
        );
        assert_eq!(default_route_v6("garbage\n"), None);
    }

    #[test]
    fn route_get_output() {
        let out = "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n  interface: en0\n      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>\n";
        assert_eq!(
            parse_route_get(out),
            (Some("192.168.1.1".to_string()), Some("en0".to_string()))
        );
    }
}
