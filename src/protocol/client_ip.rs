//! The client address (docs/protocol.md §12.4): the socket peer, or, when
//! the peer is a trusted proxy, the rightmost X-Forwarded-For hop that is
//! not itself trusted. A chain that cannot be read yields [`UNREADABLE`],
//! never the proxy's own address.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

/// The client of a trusted proxy whose X-Forwarded-For chain has an entry
/// that is not an address (junk, `unknown`, empty, a zone id, non-ASCII)
/// where the walk reaches it: `0.0.0.0`, which no allow list or bans name
/// (docs/protocol.md §12.4).
pub const UNREADABLE: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// Map IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to plain IPv4 so one client has
/// one address in allow lists, bans and logs.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Resolve the client address from the peer and the X-Forwarded-For values
/// (all header lines, in order, as raw bytes).
///
/// With an untrusted peer the peer is the client, whatever it forwards.
/// With a trusted peer and no X-Forwarded-For, the request is the proxy's
/// own. Otherwise the hops are walked from the right: trusted hops are
/// skipped, the first untrusted one is the client, an unreadable one ends
/// the walk with [`UNREADABLE`], and a chain of trusted hops only yields
/// its leftmost hop.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a [u8]>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let lines: Vec<&[u8]> = forwarded.collect();
    if lines.is_empty() {
        return peer;
    }
    let mut client = peer;
    for hop in lines.iter().rev().flat_map(|l| l.rsplit(|b| *b == b',')) {
        let Some(ip) = parse_hop(hop) else {
            return UNREADABLE;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One hop: an address, or `v4:port` / `[v6]:port` as some proxies write
/// them. Zone ids (`fe80::1%eth0`) name an interface of the writer's own
/// host, not a client: unreadable.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?.trim_matches([' ', '\t']);
    if hop.contains('%') {
        return None;
    }
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|sa| canonical(sa.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn lines<'a>(list: &'a [&'a str]) -> impl Iterator<Item = &'a [u8]> {
        list.iter().map(|l| l.as_bytes())
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_forward() {
        let got = resolve(
            ip("203.0.113.9"),
            lines(&["1.1.1.1"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.2"),
            lines(&["6.6.6.6, 198.51.100.4", "10.0.0.7"]),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn an_unreadable_hop_reached_by_the_walk_yields_the_unspecified_address() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        for chain in [
            &["198.51.100.4, not-an-ip, 10.0.0.9"][..],
            &["8.8.8.8, junk"],
            &["unknown"],
            &[""],
            &["   "],
            &["8.8.8.8,"],
            &["fe80::1%eth0"],
            &["[fe80::1%2]:443"],
            &["8.8.8.8", ""],
            &["1.2.3.4\u{0}"],
            &["10.0.0.300"],
        ] {
            let got = resolve(ip("127.0.0.1"), lines(chain), &trusted);
            assert_eq!(got, UNREADABLE, "{chain:?}");
        }
        let got = resolve(ip("127.0.0.1"), [&b"8.8.8.8\xff"[..]].into_iter(), &trusted);
        assert_eq!(got, UNREADABLE);
    }

    #[test]
    fn junk_left_of_the_client_is_never_reached() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(
            ip("10.0.0.2"),
            lines(&["unknown, junk, 198.51.100.4, 10.0.0.9"]),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn a_trusted_peer_without_forwarding_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(ip("10.0.0.2"), std::iter::empty(), &trusted);
        assert_eq!(got, ip("10.0.0.2"));
        // Only trusted hops: the leftmost, an internal caller.
        let got = resolve(ip("10.0.0.2"), lines(&["10.0.0.5, 10.0.0.9"]), &trusted);
        assert_eq!(got, ip("10.0.0.5"));
    }

    #[test]
    fn mapped_v6_and_ports_are_normalised() {
        let trusted = nets(&["::1/128"]);
        assert_eq!(
            resolve(ip("::ffff:192.0.2.1"), std::iter::empty(), &trusted),
            ip("192.0.2.1")
        );
        let got = resolve(ip("::1"), lines(&["[2001:db8::1]:443"]), &trusted);
        assert_eq!(got, ip("2001:db8::1"));
        let got = resolve(
            ip("::1"),
            lines(&[" 192.0.2.7:80 , \t203.0.113.1:8080"]),
            &trusted,
        );
        assert_eq!(got, ip("203.0.113.1"));
        let got = resolve(ip("::1"), lines(&["::ffff:192.0.2.7"]), &trusted);
        assert_eq!(got, ip("192.0.2.7"));
    }
}
