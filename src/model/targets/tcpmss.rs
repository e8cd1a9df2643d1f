//! `-j TCPMSS` (extensions/libxt_TCPMSS.c; kernel net/netfilter/xt_TCPMSS.c
//! `tcpmss_tg4_check` / `tcpmss_tg6_check`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, require_proto, uint};
use crate::model::{Family, Hook};

/// What TCPMSS writes into the MSS option.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*mangle\n-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Mangle).unwrap().chain("FORWARD").unwrap().rules[0];
/// use nfsim::model::targets::tcpmss::TcpMss;
/// assert!(matches!(&r.verdict, Verdict::Ext(Target::Tcpmss(t)) if t.mss == TcpMss::ClampPmtu));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpMss {
    /// `--set-mss N`
    Set(u16),
    /// `--clamp-mss-to-pmtu` (`XT_TCPMSS_CLAMP_PMTU`): path MTU minus headers.
    ClampPmtu,
}

/// `-j TCPMSS`.
///
/// ```
/// use nfsim::model::targets::tcpmss::{Tcpmss, TcpMss};
/// let t = Tcpmss { mss: TcpMss::Set(1400) };
/// assert_eq!(t.mss, TcpMss::Set(1400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcpmss {
    /// The MSS action.
    pub mss: TcpMss,
}

ids!(SET, CLAMP);

options!(OPTS = SET "set-mss" arg, CLAMP "clamp-mss-to-pmtu" flag);

impl Default for Tcpmss {
    fn default() -> Self {
        Tcpmss {
            mss: TcpMss::Set(0),
        }
    }
}

impl Extension for Tcpmss {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            SET => {
                // UINT16_MAX minus the IP header size.
                let max = match args.ctx.family {
                    Family::Ipv4 => 65535 - 20,
                    Family::Ipv6 => 65535 - 40,
                };
                let v = uint(
                    "TCPMSS",
                    "set-mss",
                    args.required("TCPMSS", "set-mss")?,
                    0,
                    max,
                )?;
                self.mss = TcpMss::Set(v as u16);
            }
            CLAMP => self.mss = TcpMss::ClampPmtu,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "TCPMSS target: At least one parameter is required")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // .proto = IPPROTO_TCP
        require_proto(ctx, 6, "TCPMSS target")?;
        if self.mss == TcpMss::ClampPmtu
            && ctx.hooks & !(Hook::Forward.bit() | Hook::LocalOut.bit() | Hook::PostRouting.bit())
                != 0
        {
            return Err(
                "x_tables: TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks"
                    .into(),
            );
        }
        // find_syn_match: a `-m tcp` whose compared flags include SYN, not inverted.
        if !ctx.tcp_syn_match {
            return Err("x_tables: TCPMSS: Only works on TCP SYN packets".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        match self.mss {
            TcpMss::ClampPmtu => f.write_str(" --clamp-mss-to-pmtu"),
            TcpMss::Set(v) => write!(f, " --set-mss {v}"),
        }
    }
}
