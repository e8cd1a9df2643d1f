//! Packets of the recorded example traces (basic-server, ipv6-basic) through the table.

use super::*;

/// basic-server trace, packets 0, 1, 2, 5, 6 (bytes from the recorded trace).
#[test]
fn trace_basic_server_handshake_and_ping() {
    let mut s = Sim::new(Config::with_max(64));
    let syn =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000");
    let synack =
        hex("45000028000100004006f6b9c0000201c00002140016c350000000140000000b5012faf06d460000");
    let ackp =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000b000000155010faf06d470000");
    let echo = hex("4500001c000100004001f6cac0000214c00002010800f7fb00030001");
    let reply = hex("4500001c000100004001f6cac0000201c00002140000fffb00030001");
    let c = "src=192.0.2.20 dst=192.0.2.1 sport=50000 dport=22";
    let r = "src=192.0.2.1 dst=192.0.2.20 sport=22 dport=50000";

    let slot = s.inp(&syn, ms(230));
    assert_eq!(slot.state_bits(), CtStates::NEW);
    assert_eq!(
        s.one(ms(230)),
        (format!("ipv4 tcp SYN_SENT {c} [UNREPLIED] {r} mark=0"), 119)
    );

    let slot = s.pass(&synack, Hook::LocalOut, ms(263));
    assert_eq!(slot.info(), Some(CtInfo::EstablishedReply));
    assert_eq!(
        s.one(ms(263)),
        (format!("ipv4 tcp SYN_RECV {c} {r} mark=0"), 59)
    );

    let slot = s.inp(&ackp, ms(296));
    assert_eq!(slot.info(), Some(CtInfo::Established));
    assert_eq!(
        s.one(ms(296)),
        (
            format!("ipv4 tcp ESTABLISHED {c} {r} [ASSURED] mark=0"),
            431_999
        )
    );

    s.inp(&echo, ms(395));
    let l = s.listing(ms(395));
    assert_eq!(
        l[0],
        (
            "ipv4 icmp src=192.0.2.20 dst=192.0.2.1 type=8 code=0 id=3 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 type=0 code=0 id=3 mark=0".into(),
            29
        )
    );
    let slot = s.pass(&reply, Hook::LocalOut, ms(427));
    assert_eq!(slot.info(), Some(CtInfo::EstablishedReply));
    let l = s.listing(ms(427));
    assert_eq!(
        l[0],
        (
            "ipv4 icmp src=192.0.2.20 dst=192.0.2.1 type=8 code=0 id=3 src=192.0.2.1 dst=192.0.2.20 type=0 code=0 id=3 mark=0".into(),
            29
        )
    );
}

/// ipv6-basic trace, packets 0-2 and 4.
#[test]
fn trace_ipv6_handshake_and_ping() {
    let mut s = Sim::new(Config::with_max(8));
    let syn = hex("600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0801bb000003e8000000005002faf084b30000");
    let synack = hex("600000000014064020010db800000000000000000000000120010db800000000000000000000002001bbcf0800001388000003e95012faf0711a0000");
    let ackp = hex("600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0801bb000003e9000013895010faf0711b0000");
    let echo = hex("6000000000083a4020010db800000000000000000000002020010db80000000000000000000000018000242500040001");
    s.inp(&syn, ms(218));
    s.pass(&synack, Hook::LocalOut, ms(250));
    s.inp(&ackp, ms(283));
    let a = "2001:0db8:0000:0000:0000:0000:0000:0020";
    let b = "2001:0db8:0000:0000:0000:0000:0000:0001";
    assert_eq!(
        s.one(ms(283)),
        (format!("ipv6 tcp ESTABLISHED src={a} dst={b} sport=53000 dport=443 src={b} dst={a} sport=443 dport=53000 [ASSURED] mark=0"), 431_999)
    );
    s.inp(&echo, ms(348));
    assert_eq!(
        s.listing(ms(348))[0],
        (format!("ipv6 icmpv6 src={a} dst={b} type=128 code=0 id=4 [UNREPLIED] src={b} dst={a} type=129 code=0 id=4 mark=0"), 29)
    );
}
