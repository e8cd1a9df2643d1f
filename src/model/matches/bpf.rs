//! `-m bpf` (net/netfilter/xt_bpf.c, extensions/libxt_bpf.c, revision 1):
//! a classic BPF program run on the packet (from the network header).
//!
//! Only `--bytecode` programs are supported; `--object-pinned` needs a BPF
//! filesystem, which nfsim does not model, and is rejected the way
//! iptables rejects an object it cannot open.
//!
//! Evaluation not supported yet: the engine reports an error when such a
//! rule is compiled.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::bad_id;

/// `XT_BPF_MAX_NUM_INSTR`.
pub const MAX_INSNS: usize = 64;

/// One classic BPF instruction (`struct sock_filter`).
///
/// ```
/// use nfsim::model::matches::bpf::SockFilter;
/// // `ret #65535`: accept every packet.
/// let ret = SockFilter { code: 0x06, jt: 0, jf: 0, k: 65535 };
/// assert_eq!(ret.k, 0xffff);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockFilter {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Constant.
    pub k: u32,
}

/// `-m bpf --bytecode "N,code jt jf k,..."`.
///
/// ```
/// use nfsim::model::matches::bpf::Bpf;
/// assert!(Bpf::default().program.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bpf {
    /// The program (1..=64 instructions).
    pub program: Vec<SockFilter>,
}

options!(OPTS = 0 "bytecode" arg, 1 "object-pinned" arg);

/// A `sscanf` `%u`-style conversion: skips whitespace, optional sign,
/// decimal digits (strtoul semantics: `-` negates, overflow saturates).
/// `None` when no digit follows.
fn scan_u(s: &str) -> Option<(u64, &str)> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    let v = t[..end].parse::<u64>().unwrap_or(u64::MAX);
    Some((if neg { v.wrapping_neg() } else { v }, &t[end..]))
}

/// libxt_bpf.c `bpf_parse_string`.
pub(crate) fn parse_bytecode(s: &str) -> Result<Vec<SockFilter>, String> {
    let bad_len = || "bpf: error parsing program length".to_string();
    let (len, rest) = scan_u(s).ok_or_else(bad_len)?;
    // "%hu%c": the character right after the number must be ','.
    if !rest.starts_with(',') {
        return Err(bad_len());
    }
    let len = usize::from(len as u16);
    if len == 0 {
        return Err("bpf: illegal zero length program".into());
    }
    if len > MAX_INSNS {
        return Err("bpf: number of instructions exceeds maximum".into());
    }
    let mut prog = Vec::with_capacity(len);
    let mut token = s;
    while let Some(p) = token.find(',') {
        token = &token[p + 1..];
        if token.is_empty() {
            break;
        }
        if prog.len() >= len {
            return Err("bpf: real program length exceeds the encoded length parameter".into());
        }
        let err = || format!("bpf: error at instr {}", prog.len());
        let (code, r) = scan_u(token).ok_or_else(err)?;
        let (jt, r) = scan_u(r).ok_or_else(err)?;
        let (jf, r) = scan_u(r).ok_or_else(err)?;
        let (k, _) = scan_u(r).ok_or_else(err)?;
        prog.push(SockFilter {
            code: code as u16,
            jt: jt as u8,
            jf: jf as u8,
            k: k as u32,
        });
    }
    if prog.len() != len {
        return Err("bpf: parsed program length is less than the encoded length parameter".into());
    }
    Ok(prog)
}

// Classic BPF opcodes (include/uapi/linux/filter.h, bpf_common.h).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;
const K: u16 = 0x00;
const X: u16 = 0x08;
const A: u16 = 0x10;
const DIV: u16 = 0x30;
const MOD: u16 = 0x90;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const JA: u16 = 0x00;
const MEMWORDS: u32 = 16;
/// `SKF_AD_OFF` as a u32.
const AD_OFF: u32 = 0xffff_f000;
/// `SKF_AD_MAX`.
const AD_MAX: u32 = 64;

/// Whether `code` is one of the opcodes `bpf_check_classic` accepts
/// (net/core/filter.c `chk_code_allowed`).
fn code_allowed(code: u16) -> bool {
    let alu_ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0];
    match code & 0x07 {
        ALU => {
            code == ALU | 0x80
                || alu_ops
                    .iter()
                    .any(|op| code == ALU | op | K || code == ALU | op | X)
        }
        LD => [
            W | ABS,
            H | ABS,
            B | ABS,
            W | IND,
            H | IND,
            B | IND,
            W | LEN,
            IMM,
            MEM,
        ]
        .iter()
        .any(|m| code == LD | m),
        LDX => [W | LEN, B | MSH, IMM, MEM].iter().any(|m| code == LDX | m),
        ST | STX => code == code & 0x07,
        MISC => code == MISC || code == MISC | 0x80,
        RET => code == RET | K || code == RET | A,
        JMP => {
            code == JMP | JA
                || [0x10, 0x20, 0x30, 0x40]
                    .iter()
                    .any(|op| code == JMP | op | K || code == JMP | op | X)
        }
        _ => false,
    }
}

/// net/core/filter.c `bpf_check_classic` with `check_load_and_stores`.
pub(crate) fn check_classic(prog: &[SockFilter]) -> Result<(), String> {
    let flen = prog.len();
    let einval = |pc: usize, why: &str| Err(format!("xt_bpf: invalid program: insn {pc}: {why}"));
    if flen == 0 || flen > 4096 {
        return einval(0, "bad length");
    }
    for (pc, f) in prog.iter().enumerate() {
        if !code_allowed(f.code) {
            return einval(pc, "opcode not allowed");
        }
        let c = f.code;
        if (c == ALU | DIV | K || c == ALU | MOD | K) && f.k == 0 {
            return einval(pc, "division by zero");
        }
        if (c == ALU | LSH | K || c == ALU | RSH | K) && f.k >= 32 {
            return einval(pc, "shift too large");
        }
        if (c == LD | MEM || c == LDX | MEM || c == ST || c == STX) && f.k >= MEMWORDS {
            return einval(pc, "memory index out of range");
        }
        if c == JMP | JA && u64::from(f.k) >= (flen - pc - 1) as u64 {
            return einval(pc, "jump out of range");
        }
        if c & 0x07 == JMP
            && c != JMP | JA
            && (pc + usize::from(f.jt) + 1 >= flen || pc + usize::from(f.jf) + 1 >= flen)
        {
            return einval(pc, "jump out of range");
        }
        if [LD | W | ABS, LD | H | ABS, LD | B | ABS].contains(&c) && f.k >= AD_OFF {
            // bpf_anc_helper knows SKF_AD_OFF + 0, 4, ... < SKF_AD_MAX.
            let off = f.k - AD_OFF;
            if off >= AD_MAX || off % 4 != 0 {
                return einval(pc, "unknown ancillary load");
            }
        }
    }
    if !matches!(prog[flen - 1].code, c if c == RET | K || c == RET | A) {
        return einval(flen - 1, "program does not end with a return");
    }
    // check_load_and_stores: a memory cell must be written on every path
    // before it is read.
    let mut masks = vec![u16::MAX; flen];
    let mut memvalid: u16 = 0;
    for (pc, f) in prog.iter().enumerate() {
        memvalid &= masks[pc];
        let c = f.code;
        if c == ST || c == STX {
            memvalid |= 1 << (f.k & 15);
        } else if c == LD | MEM || c == LDX | MEM {
            if memvalid & (1 << (f.k & 15)) == 0 {
                return einval(pc, "read of uninitialised memory");
            }
        } else if c == JMP | JA {
            if let Some(m) = masks.get_mut(pc + 1 + f.k as usize) {
                *m &= memvalid;
            }
            memvalid = u16::MAX;
        } else if c & 0x07 == JMP {
            for t in [f.jt, f.jf] {
                if let Some(m) = masks.get_mut(pc + 1 + usize::from(t)) {
                    *m &= memvalid;
                }
            }
            memvalid = u16::MAX;
        }
    }
    Ok(())
}

impl Extension for Bpf {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => self.program = parse_bytecode(args.required("bpf", "bytecode")?)?,
            1 => return Err("bpf: failed to get bpf object (nfsim has no BPF filesystem)".into()),
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // libxt_bpf.c bpf_fcheck_v1
        if seen & 3 != 1 && seen & 3 != 2 {
            return Err("bpf: one of --bytecode or --pinned is required".into());
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_bpf.c bpf_mt_check_v1 -> bpf_prog_create -> bpf_check_classic.
        check_classic(&self.program)
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_bpf.c bpf_save_code
        write!(f, " --bytecode \"{},", self.program.len())?;
        for (i, p) in self.program.iter().enumerate() {
            let sep = if i + 1 < self.program.len() { ',' } else { '"' };
            write!(f, "{} {} {} {}{sep}", p.code, p.jt, p.jf, p.k)?;
        }
        if self.program.is_empty() {
            f.write_str("\"")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_bytecode_example() {
        use crate::model::matches::bpf::parse_bytecode;
        let p = parse_bytecode("2,48 0 0 9,6 0 0 1").unwrap();
        assert_eq!(p[1].k, 1);
    }
}
