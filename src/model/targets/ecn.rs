//! `-j ECN` (IPv4; extensions/libipt_ECN.c; kernel net/ipv4/netfilter/
//! ipt_ECN.c `ecn_tg_check`: table mangle).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, require_table, uint};
use crate::model::TableKind;

bitflags::bitflags! {
    /// `IPT_ECN_OP_*`.
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -p tcp -j ECN --ecn-tcp-remove\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
    /// use nfsim::model::targets::ecn::EcnOp;
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Ecn(e)) if e.op.contains(EcnOp::SET_ECE | EcnOp::SET_CWR)));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct EcnOp: u8 {
        /// Set the IP ECT codepoint.
        const SET_IP = 0x01;
        /// Set the TCP ECE bit.
        const SET_ECE = 0x10;
        /// Set the TCP CWR bit.
        const SET_CWR = 0x20;
    }
}

/// `-j ECN`.
///
/// ```
/// use nfsim::model::targets::ecn::{Ecn, EcnOp};
/// let e = Ecn { op: EcnOp::SET_ECE | EcnOp::SET_CWR, ip_ect: 0, ece: false, cwr: false };
/// assert!(e.op.contains(EcnOp::SET_ECE));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecn {
    /// Operations.
    pub op: EcnOp,
    /// ECT codepoint 0..=3.
    pub ip_ect: u8,
    /// ECE value.
    pub ece: bool,
    /// CWR value.
    pub cwr: bool,
}

ids!(REMOVE, CWR, ECE, ECT);

options! {
    OPTS =
    REMOVE "ecn-tcp-remove" flag excl((1 << CWR) | (1 << ECE)),
    CWR "ecn-tcp-cwr" arg excl(1 << REMOVE), ECE "ecn-tcp-ece" arg excl(1 << REMOVE),
    ECT "ecn-ip-ect" arg,
}

impl Default for Ecn {
    fn default() -> Self {
        Ecn {
            op: EcnOp::empty(),
            ip_ect: 0,
            ece: false,
            cwr: false,
        }
    }
}

impl Extension for Ecn {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        match args.id {
            REMOVE => {
                self.op = EcnOp::SET_ECE | EcnOp::SET_CWR;
                self.ece = false;
                self.cwr = false;
            }
            CWR => {
                self.op |= EcnOp::SET_CWR;
                self.cwr = uint("ECN", name, args.required("ECN", name)?, 0, 1)? == 1;
            }
            ECE => {
                self.op |= EcnOp::SET_ECE;
                self.ece = uint("ECN", name, args.required("ECN", name)?, 0, 1)? == 1;
            }
            ECT => {
                self.op |= EcnOp::SET_IP;
                self.ip_ect = uint("ECN", name, args.required("ECN", name)?, 0, 3)? as u8;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "ECN target: An operation is required")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_table(ctx, TableKind::Mangle, "ECN")?;
        if self.op.intersects(EcnOp::SET_ECE | EcnOp::SET_CWR) && (ctx.proto != 6 || ctx.proto_inv)
        {
            return Err("x_tables: ECN: cannot use operation on non-tcp rule".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.op == EcnOp::SET_ECE | EcnOp::SET_CWR && !self.ece && !self.cwr {
            return f.write_str(" --ecn-tcp-remove");
        }
        if self.op.contains(EcnOp::SET_ECE) {
            write!(f, " --ecn-tcp-ece {}", u8::from(self.ece))?;
        }
        if self.op.contains(EcnOp::SET_CWR) {
            write!(f, " --ecn-tcp-cwr {}", u8::from(self.cwr))?;
        }
        if self.op.contains(EcnOp::SET_IP) {
            write!(f, " --ecn-ip-ect {}", self.ip_ect)?;
        }
        Ok(())
    }
}
