//! The client address: the socket peer, or, when the peer is a trusted
//! proxy, the rightmost X-Forwarded-For hop that is not itself trusted.

use std::net::IpAddr;

use ipnet::IpNet;

/// Map IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to plain IPv4 so one client has
/// one address in allow lists, bans and logs.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Resolve the client address from the peer and the X-Forwarded-For values
/// (all header lines, in order).
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // A hop we cannot read: stop at the last one we could.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    // `[v6]:port` or `v4:port`, as some proxies write them.
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_forward() {
        let got = resolve(
            ip("203.0.113.9"),
            ["1.1.1.1"].into_iter(),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.2"),
            ["6.6.6.6, 198.51.100.4", "10.0.0.7"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn garbage_hops_stop_the_walk() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.2"),
            ["198.51.100.4, not-an-ip, 10.0.0.9"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.9"));
        let got = resolve(ip("10.0.0.2"), std::iter::empty(), &trusted);
        assert_eq!(got, ip("10.0.0.2"));
    }

    #[test]
    fn mapped_v6_and_ports_are_normalised() {
        let trusted = nets(&["::1/128"]);
        assert_eq!(
            resolve(ip("::ffff:192.0.2.1"), std::iter::empty(), &trusted),
            ip("192.0.2.1")
        );
        let got = resolve(ip("::1"), ["[2001:db8::1]:443"].into_iter(), &trusted);
        assert_eq!(got, ip("2001:db8::1"));
    }
}
