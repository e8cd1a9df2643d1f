//! The UDP tracker (`udp.rs`).

use super::*;

#[test]
fn udp_timeouts_and_assured() {
    let mut s = Sim::new(Config::with_max(4));
    let c = "192.0.2.7";
    s.inp(&udp(c, 5000, B, 53, 4), ms(0));
    assert_eq!(s.one(ms(0)).1, 29);
    let slot = s.pass(&udp(B, 53, c, 5000, 4), Hook::LocalOut, ms(100));
    let (l, t) = s.one(ms(100));
    assert!(!l.contains("UNREPLIED") && !l.contains("ASSURED"), "{l}");
    assert_eq!(t, 29);
    // Within 2 s: still the unreplied timeout.
    s.inp(&udp(c, 5000, B, 53, 4), ms(1500));
    assert_eq!(s.one(ms(1500)).1, 29);
    // After 2 s: stream timeout, ASSURED.
    s.inp(&udp(c, 5000, B, 53, 4), ms(2500));
    let (l, t) = s.one(ms(2500));
    assert!(l.ends_with("[ASSURED] mark=0"), "{l}");
    assert_eq!(t, 119);
    assert!(s.ct.set_mark(slot.handle().unwrap(), 7));
    assert!(s.one(ms(2500)).0.ends_with("mark=7"));
    // Truncated / bad length: invalid.
    let mut p = udp(c, 5001, B, 53, 4);
    p[24..26].copy_from_slice(&100u16.to_be_bytes());
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::LocalOut, ms(3000)).slot,
        CtSlot::Invalid
    );
}
