//! Extension targets as the host runs them (the [`Env`] implementation):
//! the targets change the packet, its conntrack entry or the host's output.

use crate::conntrack::{ConntrackTable, CtSlot, SplitMix64};
use crate::engine::{Env, PacketCtx, Verdict};
use crate::model::{Family, Hook, TableKind, Target};
use crate::time::Instant;

use super::path::Job;
use super::route::Fib;
use super::{Device, Outcome};

/// Whether the host can run this target.
pub fn target_supported(t: &Target) -> bool {
    matches!(t, Target::Trace(_))
}

/// What a target may touch while a table is walked.
pub(crate) struct HostEnv<'a> {
    pub(crate) ct: &'a mut ConntrackTable,
    pub(crate) slot: &'a mut Option<CtSlot>,
    pub(crate) fib: &'a Fib,
    pub(crate) devs: &'a [Device],
    pub(crate) rng: &'a mut SplitMix64,
    pub(crate) out: &'a mut Outcome,
    pub(crate) queue: &'a mut std::collections::VecDeque<Job>,
    pub(crate) pool: &'a mut Vec<Vec<u8>>,
    pub(crate) now: Instant,
    pub(crate) hook: Hook,
    pub(crate) in_dev_idx: usize,
    pub(crate) received: bool,
    pub(crate) family: Family,
}

impl Env for HostEnv<'_> {
    fn addr_type(&self, family: Family, addr: &[u8], dev: Option<&str>) -> u16 {
        let _ = (family, addr, dev);
        0
    }

    fn run_target(
        &mut self,
        table: TableKind,
        target: &Target,
        pkt: &mut PacketCtx<'_>,
    ) -> Option<Verdict> {
        let _ = table;
        match target {
            Target::Trace(_) => {
                // xt_TRACE: sets skb->nf_trace. nfsim traces every packet
                // already, as the reference recorder does.
                pkt.nf_trace = true;
                None
            }
            #[allow(unreachable_patterns)]
            _ => Some(Verdict::Drop),
        }
    }
}
