//! Extended accounting objects (net/netfilter/nfnetlink_acct.c): named
//! packet and byte counters of the network namespace, created with
//! `nfacct add NAME` and counted into by `-m nfacct` (xt_nfacct.c).
//! Objects with a quota are not modelled (they cannot be declared).

use crate::model::ByteStr;
use core::fmt::Write as _;

/// One `struct nf_acct` without quota: its name and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NfAcct {
    pub(crate) name: ByteStr,
    pub(crate) pkts: u64,
    pub(crate) bytes: u64,
}

/// `nfnl_acct_net.nfnl_acct_list`: the objects in creation order
/// (`nfnl_acct_new` adds with `list_add_tail_rcu`).
#[derive(Debug, Clone, Default)]
pub(crate) struct AcctList {
    pub(crate) objects: Vec<NfAcct>,
}

impl AcctList {
    /// `nfnl_acct_find_get`: the object of this name.
    pub(crate) fn find(&self, name: &[u8]) -> Option<u64> {
        self.objects
            .iter()
            .position(|o| o.name.as_bytes() == name)
            .map(|i| i as u64)
    }

    /// `nfnl_acct_update`: one packet of `len` bytes (`skb->len`).
    pub(crate) fn update(&mut self, id: u64, len: u64) {
        if let Some(o) = self.objects.get_mut(id as usize) {
            o.pkts = o.pkts.wrapping_add(1);
            o.bytes = o.bytes.wrapping_add(len);
        }
    }

    /// What `nfacct list` prints (nfacct 1.0.2 `nfacct_cmd_list`, plain
    /// output of libnetfilter_acct `nfacct_snprintf` without quota: one line
    /// per object, counters as `%020llu`), objects in the order the kernel
    /// dumps them (`nfnl_acct_dump`: list order).
    pub(crate) fn list_text(&self) -> String {
        let mut s = String::new();
        for o in &self.objects {
            let _ = writeln!(
                s,
                "{{ pkts = {:020}, bytes = {:020} }} = {};",
                o.pkts,
                o.bytes,
                crate::model::bytestr::text(o.name.as_bytes())
            );
        }
        s
    }
}
