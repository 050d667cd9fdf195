//! Which address a request comes from. The peer address, unless the peer is
//! a trusted proxy: then the right-most `X-Forwarded-For` entry that is not
//! itself a trusted proxy (entries further left are whatever the client
//! chose to send, so they are never believed).
//!
//! Addresses are compared and recorded in canonical form: on a dual-stack
//! `[::]` listener an IPv4 peer shows up as `::ffff:a.b.c.d`, which must
//! match an IPv4 block and be recorded as `a.b.c.d`.

use std::net::{IpAddr, SocketAddr};

use ipnet::{IpNet, Ipv4Net};

pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let mut nearest = peer;
    let entries = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .collect::<Vec<_>>();
    for entry in entries.into_iter().rev() {
        match entry.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) if is_trusted(&ip) => nearest = ip,
            Ok(ip) => return ip,
            // Garbage cannot be trusted, nor anything left of it.
            Err(_) => return nearest,
        }
    }
    nearest
}

/// Parses `trusted_proxies`: CIDR blocks or single addresses, comma-separated.
/// An IPv4-mapped block (`::ffff:10.0.0.0/104`) becomes its IPv4 block, as
/// the addresses it is compared with are canonical.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map(canonical_net)
                .map_err(|_| format!("{s:?} is not an address or CIDR block"))
        })
        .collect()
}

fn canonical_net(net: IpNet) -> IpNet {
    let IpNet::V6(v6) = net else {
        return net;
    };
    let mapped_v4 = v6.addr().to_ipv4_mapped();
    match (mapped_v4, v6.prefix_len().checked_sub(96)) {
        (Some(v4), Some(prefix)) => Ipv4Net::new(v4, prefix).map_or(net, IpNet::V4),
        _ => net,
    }
}

/// True when twofold listens on an IPv6 address but trusts only IPv4
/// proxies: IPv4 proxies still match (as IPv4-mapped peers), but a proxy
/// that connects over IPv6 (e.g. `::1`) is not trusted, so every client
/// would get its address. Worth a warning at start-up.
pub fn ipv6_listener_trusts_only_ipv4(listen: SocketAddr, trusted: &[IpNet]) -> bool {
    listen.is_ipv6() && !trusted.is_empty() && trusted.iter().all(|net| matches!(net, IpNet::V4(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["198.51.100.1"], &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_wins() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client forged "1.1.1.1"; the proxy appended the real address.
        let xff = ["1.1.1.1, 203.0.113.9", "10.0.0.2"];
        assert_eq!(client_ip(ip("10.0.0.1"), &xff, &trusted), ip("203.0.113.9"));
        assert_eq!(
            client_ip(ip("192.168.1.1"), &["198.51.100.4"], &trusted),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_set_its_address() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["10.0.0.5"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn garbage_or_nothing_falls_back_to_the_nearest_hop() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("10.0.0.1"), &["1.1.1.1, junk"], &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &[], &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn an_ipv4_mapped_proxy_matches_its_ipv4_block() {
        let trusted = parse_trusted_proxies("127.0.0.1/32").unwrap();
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &["203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn addresses_are_recorded_in_canonical_form() {
        // A mapped client, directly or through the proxy, is its IPv4 address.
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), &[], &[]),
            ip("203.0.113.9")
        );
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &["::ffff:198.51.100.4"], &trusted),
            ip("198.51.100.4")
        );
        // A mapped entry of a trusted proxy is skipped like its IPv4 form.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &["203.0.113.9, ::ffff:10.0.0.2"], &trusted),
            ip("203.0.113.9")
        );
        // Plain IPv6 stays as it is.
        assert_eq!(client_ip(ip("2001:db8::1"), &[], &[]), ip("2001:db8::1"));
    }

    #[test]
    fn an_ipv4_mapped_block_is_its_ipv4_block() {
        let trusted = parse_trusted_proxies("::ffff:10.0.0.0/104, ::ffff:192.0.2.1").unwrap();
        assert_eq!(
            trusted,
            parse_trusted_proxies("10.0.0.0/8, 192.0.2.1/32").unwrap()
        );
        assert_eq!(
            client_ip(ip("::ffff:10.1.2.3"), &["203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
        // Wider than the mapped range: an IPv6 block, kept as given.
        assert_eq!(
            parse_trusted_proxies("::ffff:0:0/95").unwrap(),
            vec!["::ffff:0:0/95".parse::<IpNet>().unwrap()]
        );
    }

    #[test]
    fn an_ipv6_listener_with_only_ipv4_proxies_is_flagged() {
        let v4 = parse_trusted_proxies("127.0.0.1/32, 10.0.0.0/8").unwrap();
        let both = parse_trusted_proxies("127.0.0.1/32, ::1").unwrap();
        let any_v6: SocketAddr = "[::]:8080".parse().unwrap();
        let any_v4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(ipv6_listener_trusts_only_ipv4(any_v6, &v4));
        assert!(!ipv6_listener_trusts_only_ipv4(any_v6, &both));
        assert!(!ipv6_listener_trusts_only_ipv4(any_v6, &[]));
        assert!(!ipv6_listener_trusts_only_ipv4(any_v4, &v4));
    }

    #[test]
    fn bad_proxy_lists_are_refused() {
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("example.com").is_err());
        assert_eq!(parse_trusted_proxies("").unwrap(), vec![]);
        assert_eq!(parse_trusted_proxies("::1").unwrap().len(), 1);
    }
}
