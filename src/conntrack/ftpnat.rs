//! NAT of the FTP control payload (Linux 6.18 net/netfilter/nf_nat_ftp.c,
//! nf_nat_helper.c, nf_conntrack_seqadj.c), IPv4 only.
//!
//! When the ftp helper finds a PORT, EPRT, 227 or 229 on a NATed
//! connection, `nf_nat_ftp` registers the expectation with
//! `nf_nat_follow_master` as its `expectfn` and rewrites the command text
//! with the address the peer sees (`nf_nat_mangle_tcp_packet`); a length
//! change is recorded by `nf_ct_seqadj_set` and later packets of the
//! connection get their seq, ack and SACK blocks shifted
//! (`nf_ct_seq_adjust`, run in `nf_confirm` after the helper); the TCP
//! tracker takes the offset into account (`nf_ct_seq_offset` in
//! `tcp_in_window`). Recorded: traces ct-helper-ftp-nat, ct-helper-ftp-nat-pasv.
//!
//! Not modelled (reported unsupported): IPv6 (`%pI6` in EPRT), a locally
//! generated packet (CHECKSUM_PARTIAL, `nf_nat_csum_recalc`'s other branch),
//! the random port search of `nf_nat_exp_find_port` after a clash.

use crate::wire::checksum;

/// `struct nf_ct_seqadj`: one direction's correction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeqAdj {
    pub(crate) correction_pos: u32,
    pub(crate) offset_before: i32,
    pub(crate) offset_after: i32,
}

/// `after(a, b)` (include/net/tcp.h).
fn after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

impl SeqAdj {
    /// `nf_ct_seqadj_set` for this direction (`off` non-zero).
    pub(crate) fn set(&mut self, seq: u32, off: i32) {
        if self.offset_before == self.offset_after || after(seq, self.correction_pos) {
            self.correction_pos = seq;
            self.offset_before = self.offset_after;
            self.offset_after = self.offset_after.wrapping_add(off);
        }
    }

    /// `nf_ct_seq_offset`.
    pub(crate) fn offset(&self, seq: u32) -> i32 {
        if after(seq, self.correction_pos) {
            self.offset_after
        } else {
            self.offset_before
        }
    }

    /// The value an acknowledged sequence number of the other direction
    /// becomes (`nf_ct_seq_adjust`'s ack, `nf_ct_sack_block_adjust`).
    fn unadjust(&self, v: u32) -> u32 {
        let off = if after(
            v.wrapping_sub(self.offset_before as u32),
            self.correction_pos,
        ) {
            self.offset_after
        } else {
            self.offset_before
        };
        v.wrapping_sub(off as u32)
    }
}

fn get32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Writes a 32-bit field of the TCP header at `l4 + at` and updates the
/// checksum (`inet_proto_csum_replace4(.., false)`: nothing to do on a
/// CHECKSUM_PARTIAL packet, `partial`).
fn put32(b: &mut [u8], l4: usize, at: usize, v: u32, partial: bool) {
    let old = [b[l4 + at], b[l4 + at + 1], b[l4 + at + 2], b[l4 + at + 3]];
    let new = v.to_be_bytes();
    if !partial {
        let c = u16::from_be_bytes([b[l4 + 16], b[l4 + 17]]);
        let c = checksum::replace4(c, old, new);
        b[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
    }
    b[l4 + at..l4 + at + 4].copy_from_slice(&new);
}

/// `nf_ct_seq_adjust` (with `nf_ct_sack_adjust`): `this` the packet's
/// direction, `other` the opposite one. `false`: NF_DROP (a partial
/// option).
pub(crate) fn seq_adjust(
    b: &mut [u8],
    l4: usize,
    this: &SeqAdj,
    other: &SeqAdj,
    partial: bool,
) -> bool {
    let (Some(seq), Some(ack), Some(&fl), Some(&doff)) = (
        get32(b, l4 + 4),
        get32(b, l4 + 8),
        b.get(l4 + 13),
        b.get(l4 + 12),
    ) else {
        return false;
    };
    if b.len() < l4 + 20 {
        return false;
    }
    put32(b, l4, 4, seq.wrapping_add(this.offset(seq) as u32), partial);
    if fl & 0x10 == 0 {
        return true;
    }
    put32(b, l4, 8, other.unadjust(ack), partial);
    // nf_ct_sack_adjust
    let mut off = l4 + 20;
    let end = l4 + usize::from(doff >> 4) * 4;
    if end > b.len() {
        return false;
    }
    while off < end {
        match b[off] {
            0 => return true,
            1 => off += 1,
            kind => {
                let Some(&len) = b.get(off + 1).filter(|_| off + 1 != end) else {
                    return false;
                };
                let len = usize::from(len);
                if off + len > end || len < 2 {
                    return false;
                }
                if kind == 5 && len >= 10 && (len - 2) % 8 == 0 {
                    let mut s = off + 2;
                    while s < off + len {
                        for at in [s, s + 4] {
                            let v = get32(b, at).unwrap_or(0);
                            put32(b, l4, at - l4, other.unadjust(v), partial);
                        }
                        s += 8;
                    }
                }
                off += len;
            }
        }
    }
    true
}

/// `nf_nat_ftp_fmt_cmd` for IPv4: the text replacing the matched numbers;
/// `ftptype` is 0 PORT, 1 EPRT, 2 227 (PASV), 3 229 (EPSV).
pub(crate) fn fmt_cmd(ftptype: u8, a: [u8; 4], port: u16, out: &mut [u8; 48]) -> usize {
    use std::io::Write;
    let mut w = &mut out[..];
    let cap = w.len();
    let r = match ftptype {
        0 | 2 => write!(
            w,
            "{},{},{},{},{},{}",
            a[0],
            a[1],
            a[2],
            a[3],
            port >> 8,
            port & 0xff
        ),
        1 => write!(w, "|1|{}.{}.{}.{}|{}|", a[0], a[1], a[2], a[3], port),
        _ => write!(w, "|||{port}|"),
    };
    if r.is_err() {
        return 0;
    }
    cap - w.len()
}

/// `__nf_nat_mangle_tcp_packet` on an IPv4 packet that is not
/// CHECKSUM_PARTIAL: the `matchlen` bytes at `matchoff` of the TCP payload
/// become `rep`; IP total length and header checksum updated. The TCP
/// checksum (`nf_nat_csum_recalc`): for a packet routed to the host
/// (`local`, `RTCF_LOCAL`) computed in full; otherwise the packet becomes
/// CHECKSUM_PARTIAL (the output device offloads, as veth does) and the
/// field holds the pseudo-header sum, `~csum_tcpudp_magic(.., 0)`, which is
/// what leaves the host (seen on the recordings). `false` when the packet
/// would exceed 65535 bytes (`enlarge_skb`).
pub(crate) fn mangle_v4(
    buf: &mut Vec<u8>,
    l4: usize,
    (matchoff, matchlen): (usize, usize),
    rep: &[u8],
    local: bool,
) -> bool {
    let Some(&doff) = buf.get(l4 + 12) else {
        return false;
    };
    let start = l4 + usize::from(doff >> 4) * 4 + matchoff;
    if start + matchlen > buf.len() || buf.len() - matchlen + rep.len() > 65535 {
        return false;
    }
    if buf.try_reserve(rep.len().saturating_sub(matchlen)).is_err() {
        return false;
    }
    buf.splice(start..start + matchlen, rep.iter().copied());
    // mangle_contents: tot_len, ip_send_check.
    let tot = buf.len() as u16;
    buf[2..4].copy_from_slice(&tot.to_be_bytes());
    let ihl = usize::from(buf[0] & 0x0f) * 4;
    buf[10..12].fill(0);
    let c = checksum::ipv4_header(&buf[..ihl]);
    buf[10..12].copy_from_slice(&c.to_be_bytes());
    // nf_nat_csum_recalc: the whole TCP checksum again.
    let src = std::net::Ipv4Addr::new(buf[12], buf[13], buf[14], buf[15]);
    let dst = std::net::Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]);
    buf[l4 + 16..l4 + 18].fill(0);
    let tcp = crate::wire::IpProtocol::TCP;
    let c = if local {
        checksum::transport_v4(src, dst, tcp, &buf[l4..])
    } else {
        checksum::pseudo_header_v4(src, dst, tcp, (buf.len() - l4) as u32)
    };
    buf[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqadj_two_corrections() {
        let mut a = SeqAdj::default();
        a.set(1016, 2);
        assert_eq!((a.offset(1016), a.offset(1017)), (0, 2));
        a.set(1046, 2);
        assert_eq!((a.offset(1046), a.offset(1070)), (2, 4));
        assert_eq!(a.unadjust(1074), 1070);
        assert_eq!(a.unadjust(1048), 1046);
    }

    #[test]
    fn fmt() {
        let mut b = [0u8; 48];
        let n = fmt_cmd(0, [198, 51, 100, 1], 50000, &mut b);
        assert_eq!(&b[..n], b"198,51,100,1,195,80");
        let n = fmt_cmd(3, [0; 4], 60001, &mut b);
        assert_eq!(&b[..n], b"|||60001|");
        let n = fmt_cmd(1, [192, 0, 2, 1], 5, &mut b);
        assert_eq!(&b[..n], b"|1|192.0.2.1|5|");
    }
}
