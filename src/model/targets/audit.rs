//! `-j AUDIT` (extensions/libxt_AUDIT.c; kernel net/netfilter/xt_AUDIT.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};

/// The record type (`XT_AUDIT_TYPE_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -j AUDIT --type drop\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::targets::audit::AuditType;
/// assert!(matches!(&r.verdict, Verdict::Ext(Target::Audit(a)) if a.kind == AuditType::Drop));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditType {
    /// `accept`
    Accept,
    /// `drop`
    Drop,
    /// `reject`
    Reject,
}

/// `-j AUDIT --type accept|drop|reject`.
///
/// ```
/// use nfsim::model::targets::audit::{Audit, AuditType};
/// assert_eq!(Audit { kind: AuditType::Drop }.kind, AuditType::Drop);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// Record type.
    pub kind: AuditType,
}

options!(OPTS = 0 "type" arg mand);

impl Default for Audit {
    fn default() -> Self {
        Audit {
            kind: AuditType::Accept,
        }
    }
}

impl Extension for Audit {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("AUDIT", "type")?;
        self.kind = match s.to_ascii_lowercase().as_str() {
            "accept" => AuditType::Accept,
            "drop" => AuditType::Drop,
            "reject" => AuditType::Reject,
            _ => return Err(format!("Bad action type value \"{s}\"")),
        };
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(match self.kind {
            AuditType::Accept => " --type accept",
            AuditType::Drop => " --type drop",
            AuditType::Reject => " --type reject",
        })
    }
}
