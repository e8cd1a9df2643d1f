//! Byte fixtures for the wire tests: real packets from the reference traces
//! in `spec/examples/` (recorded from Linux 6.18), as hex.

/// Decodes a hex string (test helper; panics on bad input, tests only).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// basic-server.json #0: TCP SYN 192.0.2.20:50000 -> 192.0.2.1:22.
pub(crate) const V4_TCP_SYN: &str =
    "45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000";
/// basic-server.json #3: TCP SYN 192.0.2.20:50001 -> 192.0.2.1:3389 (rejected).
pub(crate) const V4_TCP_SYN_REJECTED: &str =
    "45000028000100004006f6b9c0000214c0000201c3510d3d00000001000000005002faf0604c0000";
/// basic-server.json #3 expected emission: the kernel's tcp-reset reply.
pub(crate) const V4_TCP_RST_REPLY: &str =
    "45000028000040004006b6bac0000201c00002140d3dc35100000000000000025014000084300000";
/// basic-server.json #4: UDP 192.0.2.20:50002 -> 192.0.2.1:137, 1 byte payload.
pub(crate) const V4_UDP: &str = "4500001d000100004011f6b9c0000214c0000201c3520089000946ea71";
/// basic-server.json #5: ICMP echo request id 3 seq 1.
pub(crate) const V4_ICMP_ECHO: &str = "4500001c000100004001f6cac0000214c00002010800f7fb00030001";
/// basic-server.json #6: ICMP echo reply id 3 seq 1.
pub(crate) const V4_ICMP_ECHO_REPLY: &str =
    "4500001c000100004001f6cac0000201c00002140000fffb00030001";
/// ipv6-basic.json #0: TCP SYN [2001:db8::20]:53000 -> [2001:db8::1]:443.
pub(crate) const V6_TCP_SYN: &str = "600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0801bb000003e8000000005002faf084b30000";
/// ipv6-basic.json #3: TCP SYN to port 8443 (rejected with icmp6-adm-prohibited).
pub(crate) const V6_TCP_SYN_REJECTED: &str = "600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0920fb00000001000000005002faf069590000";
/// ipv6-basic.json #3 expected emission.
pub(crate) const V6_ICMP_ADM_PROHIBITED: &str = "6000000000443a4020010db800000000000000000000000120010db800000000000000000000002001013cb300000000600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0920fb00000001000000005002faf069590000";
/// ipv6-basic.json #4: ICMPv6 echo request.
pub(crate) const V6_ICMP_ECHO: &str = "6000000000083a4020010db800000000000000000000002020010db80000000000000000000000018000242500040001";
/// ipv6-basic.json #5: UDP to port 9 (rejected with icmp6-port-unreachable).
pub(crate) const V6_UDP: &str = "600000000009114020010db800000000000000000000002020010db8000000000000000000000001cf0a00090009643571";
/// ipv6-basic.json #5 expected emission.
pub(crate) const V6_ICMP_PORT_UNREACH: &str = "6000000000393a4020010db800000000000000000000000120010db8000000000000000000000020010431c600000000600000000009114020010db800000000000000000000002020010db8000000000000000000000001cf0a00090009643571";

// Recorded on this project's test machine (Linux 6.18, veth between two
// network namespaces, `iptables-legacy -A INPUT -p udp -j REJECT` and
// `-p tcp -j REJECT --reject-with tcp-reset` on 192.0.2.1), tcpdump on the
// sending side.

/// UDP 192.0.2.20:49372 -> 192.0.2.1:10, 10 bytes, DF.
pub(crate) const LAB_V4_UDP: &str =
    "450000269a8b400040111c26c0000214c0000201c0dc000a0012843979797979797979797979";
/// The kernel's port unreachable for [`LAB_V4_UDP`] (IP id 0x29a5).
pub(crate) const LAB_V4_PORT_UNREACH: &str = "45c0004229a500004001cc40c0000201c00002140303586b00000000450000269a8b400040111c26c0000214c0000201c0dc000a0012843979797979797979797979";
/// A Linux SYN with options (MSS, SACK_PERM, TS, NOP, WSCALE) to port 3389,
/// sent with a partial checksum (`8444`, CHECKSUM_PARTIAL over veth).
pub(crate) const LAB_V4_SYN_OPTS: &str = "4500003c09f640004006acb0c0000214c00002019e5c0d3d77ef317800000000a002faf084440000020405b40402080a6c656a76000000000103030a";
/// The kernel's reset for [`LAB_V4_SYN_OPTS`] (partial checksum `8430`).
pub(crate) const LAB_V4_RST_OPTS: &str =
    "45000028000040004006b6bac0000201c00002140d3d9e5c0000000077ef31795014000084300000";

/// IPv6 SYN with options [2001:db8::20]:58608 -> [2001:db8::1]:3389 (flow
/// label 0x09876, partial checksum), lab capture like the IPv4 ones.
pub(crate) const LAB_V6_SYN_OPTS: &str = "600098760028064020010db800000000000000000000002020010db8000000000000000000000001e4f00d3dc6e6e32a00000000a002fd205bc10000020405a00402080a17f8e173000000000103030a";
/// The kernel's reset for [`LAB_V6_SYN_OPTS`] (`ip6tables-legacy ... -j REJECT
/// --reject-with tcp-reset`): complete checksum, flow label 0, hop limit 64.
pub(crate) const LAB_V6_RST_OPTS: &str = "600000000014064020010db800000000000000000000000120010db80000000000000000000000200d3de4f000000000c6e6e32b50140000b7fd0000";
