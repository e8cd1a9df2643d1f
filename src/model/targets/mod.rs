//! Target extensions (`-j NAME`), one file each. Standard verdicts
//! (ACCEPT, DROP, RETURN, QUEUE, jumps and gotos) are
//! [`Verdict`](crate::model::Verdict) variants, not extensions.

pub mod trace;

use crate::model::registry::extension_enum;

extension_enum! {
    /// A target extension with its options.
    pub enum Target {
        /// `-j TRACE`
        "TRACE", Both => Trace(trace::Trace),
    }
}

/// Target names iptables 1.8 ships that nfsim does not implement (yet).
pub const UNSUPPORTED: &[&str] = &[
    "AUDIT",
    "CHECKSUM",
    "CLASSIFY",
    "CONNSECMARK",
    "HMARK",
    "IDLETIMER",
    "LED",
    "RATEEST",
    "SECMARK",
    "SET",
    "SYNPROXY",
    "TCPOPTSTRIP",
    "TEE",
    "TPROXY",
    "ECN",
    "DNPT",
    "SNPT",
    "CLUSTERIP",
];
