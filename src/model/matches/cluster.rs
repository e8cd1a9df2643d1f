//! `-m cluster` (net/netfilter/xt_cluster.c, extensions/libxt_cluster.c):
//! hash-based load sharing between cluster nodes (jhash of the original
//! source address of the connection).
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, mandatory, uint};

/// `XT_CLUSTER_NODES_MAX`.
pub const NODES_MAX: u32 = 32;

/// `-m cluster --cluster-total-nodes N [!] --cluster-local-node(mask) X --cluster-hash-seed S`.
///
/// ```
/// use nfsim::model::matches::cluster::Cluster;
/// assert_eq!(Cluster::default().node_mask, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cluster {
    /// Number of nodes (1..=32).
    pub total_nodes: u32,
    /// Bit `n-1` set for each local node `n`.
    pub node_mask: u32,
    /// Jenkins hash seed.
    pub hash_seed: u32,
    /// `!` (`XT_CLUSTER_F_INV`).
    pub invert: bool,
}

ids!(TOTAL, NODE, MASK, SEED);

options! {
    OPTS =
    TOTAL "cluster-total-nodes" arg, NODE "cluster-local-node" arg inv,
    MASK "cluster-local-nodemask" arg inv, SEED "cluster-hash-seed" arg,
}

impl Extension for Cluster {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("cluster", name)?;
        let (min, max) = if args.id == SEED {
            (0, u64::from(u32::MAX))
        } else {
            (1, u64::from(NODES_MAX))
        };
        let v = uint("cluster", name, s, min, max)? as u32;
        match args.id {
            TOTAL => self.total_nodes = v,
            NODE => {
                self.node_mask = 1u32.checked_shl(v - 1).unwrap_or(0);
                self.invert |= args.invert;
            }
            MASK => {
                self.node_mask = v;
                self.invert |= args.invert;
            }
            SEED => self.hash_seed = v,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // xtables_options_fcheck, then libxt_cluster.c cluster_check.
        mandatory("cluster", seen, &[(TOTAL, "cluster-total-nodes")])?;
        exclusive(
            "cluster",
            seen,
            (NODE, "cluster-local-node"),
            (MASK, "cluster-local-nodemask"),
        )?;
        mandatory("cluster", seen, &[(SEED, "cluster-hash-seed")])?;
        let too_big =
            u64::from(self.node_mask) >= 1u64.checked_shl(self.total_nodes).unwrap_or(u64::MAX);
        if seen & (1 << NODE) != 0 {
            if too_big {
                return Err(
                    "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'"
                        .into(),
                );
            }
        } else if seen & (1 << MASK) != 0 {
            if too_big {
                return Err(
                    "cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'"
                        .into(),
                );
            }
        } else {
            return Err(
                "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing"
                    .into(),
            );
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_cluster.c xt_cluster_mt_checkentry.
        if self.total_nodes > NODES_MAX {
            return Err(format!("xt_cluster: you have exceeded the maximum number of cluster nodes ({} > {NODES_MAX})", self.total_nodes));
        }
        if u64::from(self.node_mask) >= 1u64.checked_shl(self.total_nodes).unwrap_or(u64::MAX) {
            return Err("xt_cluster: node mask cannot exceed total number of nodes".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_cluster.c cluster_save
        if self.invert {
            f.write_str(" !")?;
        }
        write!(
            f,
            " --cluster-local-nodemask 0x{:08x} --cluster-total-nodes {} --cluster-hash-seed 0x{:08x}",
            self.node_mask, self.total_nodes, self.hash_seed
        )
    }
}
