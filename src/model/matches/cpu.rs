//! `-m cpu` (net/netfilter/xt_cpu.c, extensions/libxt_cpu.c): the CPU
//! handling the packet.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (a simulator has no CPU numbers).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{uint, write_inv};

/// `-m cpu [!] --cpu N`.
///
/// ```
/// use nfsim::model::matches::cpu::Cpu;
/// assert_eq!(Cpu::default().cpu, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cpu {
    /// CPU number.
    pub cpu: u32,
    /// `!`
    pub invert: bool,
}

options!(OPTS = 0 "cpu" arg inv mand);

impl Extension for Cpu {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let v = uint(
            "cpu",
            "cpu",
            args.required("cpu", "cpu")?,
            0,
            u32::MAX.into(),
        )?;
        self.cpu = u32::try_from(v).map_err(|e| e.to_string())?;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        write!(f, " --cpu {}", self.cpu)
    }
}
