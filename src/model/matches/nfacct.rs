//! `-m nfacct` (net/netfilter/xt_nfacct.c, extensions/libxt_nfacct.c):
//! counts into a named extended-accounting object.
//!
//! Accounting objects are created outside iptables (`nfacct add NAME`);
//! nfsim takes them as declared names
//! ([`RestoreOptions::nfacct`](crate::syntax::RestoreOptions::nfacct),
//! [`HostConfig::nfacct`](crate::host::HostConfig::nfacct), `--nfacct` on
//! the command line). The kernel's `nfacct_mt_checkentry` lookup
//! (`nfnl_acct_find_get`) fails for a name that was not declared, as it
//! does in a fresh network namespace, and the rule is rejected at commit.
//! Objects with a quota (`NFACCT_F_QUOTA_*`) are not modelled: they cannot
//! be declared.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{put_string, save_string};

/// `NFACCT_NAME_MAX`: size of the name buffer.
pub const NAME_MAX: usize = 32;

/// The name of an object `nfacct add NAME` creates: cut at a NUL byte and
/// to `NFACCT_NAME_MAX - 1` = 31 bytes, as libnetfilter_acct's
/// `nfacct_attr_set` copies it (measured: a 40-byte name is listed with
/// its first 31 bytes); empty is the kernel's -EINVAL (`nfnl_acct_new`),
/// which the tool prints as "Invalid argument".
///
/// ```
/// use nfsim::model::matches::nfacct::object_name;
/// assert_eq!(object_name(&[b'x'; 40]).unwrap().len(), 31);
/// assert!(object_name(b"").is_err());
/// ```
///
/// # Errors
/// An empty name.
pub fn object_name(name: &[u8]) -> Result<crate::model::ByteStr, &'static str> {
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    let n = &name[..end.min(NAME_MAX - 1)];
    if n.is_empty() {
        return Err("Invalid argument");
    }
    Ok(n.into())
}

/// `-m nfacct --nfacct-name NAME`.
///
/// ```
/// use nfsim::model::matches::nfacct::Nfacct;
/// assert!(Nfacct::default().name.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nfacct {
    /// The accounting object's name (at most 31 bytes; longer is truncated
    /// as iptables does).
    pub name: crate::model::ByteStr,
}

options!(OPTS = 0 "nfacct-name" arg mand);

impl Extension for Nfacct {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required_bytes("nfacct", "nfacct-name")?;
        self.name = put_string(s, 1, 0, NAME_MAX)?;
        if s.contains(&b'\n') {
            return Err("Newlines not allowed in --nfacct-name".into());
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_nfacct.c nfacct_mt_checkentry -> nfnl_acct_find_get (strncmp
        // of the names, NFACCT_NAME_MAX): -ENOENT, and the kernel logs
        // this line (pr_fmt "xt_nfacct: "); iptables-restore itself only
        // says `line N failed'.
        if ctx.nfacct.contains(&self.name) {
            return Ok(());
        }
        Err(format!(
            "xt_nfacct: accounting object `{}' does not exist",
            self.name
        ))
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_nfacct.c nfacct_print_name: `printf(" %snfacct-name ",
        // "--")` then xtables_save_string, which prints its own leading
        // space: two spaces before the name (iptables-legacy-save 1.8.9).
        f.write_str(" --nfacct-name ")?;
        save_string(f, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ext::ExtCtx;
    use crate::model::Family;

    #[test]
    fn parse_save_and_reject() {
        let ctx = ExtCtx {
            family: Family::Ipv4,
            table: crate::model::TableKind::Filter,
            chain: b"INPUT",
            proto: 0,
            proto_inv: false,
            ipset: &crate::ipset::EMPTY,
        };
        let mut n = Nfacct::default();
        let rest = Vec::new();
        n.parse(&mut Args::new(
            &OPTS[0],
            false,
            &ctx,
            Some("a b"),
            Some(b"a b"),
            &rest,
        ))
        .unwrap();
        let mut s = crate::model::ext::SaveBuf::default();
        n.save(&mut s).unwrap();
        assert_eq!(s.as_bytes(), b" --nfacct-name  \"a b\"");
        assert!(n
            .parse(&mut Args::new(
                &OPTS[0],
                false,
                &ctx,
                Some(""),
                Some(b""),
                &rest
            ))
            .is_err());
    }
}
