//! Every `wire` entry point on arbitrary bytes: nothing may panic, and
//! builders must stay within their buffers.
#![no_main]

use core::net::{Ipv4Addr, Ipv6Addr};
use libfuzzer_sys::fuzz_target;
use nfsim::wire::{icmp, icmpv6, ipv4, ipv6, meta, reject, tcp, udp, IpProtocol};

fuzz_target!(|data: &[u8]| {
    let _ = ipv4::rcv_check(data);
    let _ = ipv6::rcv_check(data, false);
    let _ = ipv6::rcv_check(data, true);
    if let Ok(m) = meta::PacketMeta::parse(data) {
        let l4 = m.l4(data);
        let _ = m.header_complete();
        if let Ok(t) = tcp::Packet::new_checked(l4) {
            for o in t.options_iter() {
                let _ = o;
            }
            let _ = tcp::find_option(t.options(), 8);
            let _ = (t.payload(), t.check_header_len());
        }
        if let Ok(u) = udp::Packet::new_checked(l4) {
            let _ = (u.payload(), u.check_udp_len());
        }
        if let Ok(i) = icmp::Packet::new_checked(l4) {
            let _ = i.embedded_ipv4().map(|e| e.payload().len());
        }
        if let Ok(i) = icmpv6::Packet::new_checked(l4) {
            let _ = i.embedded_ipv6().map(|e| e.payload().len());
        }
    }
    if let Ok(p) = ipv4::Packet::new_checked(data) {
        let _ = ipv4::options_compile(p.header());
        for o in p.options_iter() {
            let _ = o;
        }
    }
    let _ = ipv6::find_hdr(data, None);
    for t in [0u8, 43, 44, 51, 60] {
        let _ = ipv6::find_hdr(data, Some(IpProtocol(t)));
    }
    for h in ipv6::ExtHeaders::new(data) {
        let _ = h;
    }
    let mut out = [0u8; 1500];
    let _ = reject::tcp_reset_v4(data, 64, true, reject::TcpResetChecksum::Partial, &mut out);
    let _ = reject::icmp_unreach_v4(data, 3, Ipv4Addr::LOCALHOST, 64, 0, true, &mut out);
    let _ = reject::tcp_reset_v6(data, 64, true, &mut out);
    let _ = reject::icmpv6_unreach(data, 4, &Ipv6Addr::LOCALHOST, 64, true, &mut out);
    let n = data.first().map_or(0, |&b| usize::from(b));
    let _ = reject::icmp_unreach_v4(data, 3, Ipv4Addr::LOCALHOST, 64, 0, false, &mut out[..n]);
});
