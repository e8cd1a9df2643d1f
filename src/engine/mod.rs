//! The rule engine: a table compiled once into a flat [`TableProgram`]
//! ([`Program::compile`]) and walked per packet by [`run_table`] exactly as
//! `ipt_do_table` walks an `ipt_replace` blob: the generic part
//! (`ip_packet_match`), the matches in order, counters, TRACE records,
//! standard verdicts, jumps with a fixed-size jump stack, gotos, RETURN to
//! the caller or, from a built-in chain, to the policy, and hotdrop.
//! IPv4 walks skip the entries that cannot match without testing them
//! (`classify`: per-entry pre-tests, per-chain indexes), with the same
//! counters, match state and TRACE records as [`run_table_linear`], which
//! tests every entry.
//!
//! The program is immutable; counters, match state and the jump stack live
//! in a caller-owned [`TableState`], created once. A walk allocates nothing.
//! Extension targets and host lookups go through the [`Env`] trait; TRACE
//! and explain records go to a [`TraceSink`] ([`NoTrace`] costs nothing).

pub(crate) mod classify;
pub mod ctx;
pub(crate) mod eval;
pub mod program;
pub(crate) mod shared;
pub mod state;
pub mod walk;

pub use ctx::{
    CtEntry, CtRef, Env, MatchResult, Mismatch, NoTrace, PacketCtx, TraceKind, TraceSink, Verdict,
};
pub use program::{
    compile_table, Action, ChainId, CompileError, Program, RuleId, TableProgram, TableState,
};
pub use walk::{run_table, run_table_linear};
