//! The option toolkit of the extensions (crate-private): one copy of what
//! libxtables gives every `libxt_*.c` and of the kernel's checks, with
//! iptables' wording (messages without libxtables' trailing newline, as
//! every nfsim message).
//!
//! - [`num`]: numbers (`xtables_strtoul_base`, `xtopt_parse_int`,
//!   `xtopt_parse_mint`, `xtables_parse_val_mask`, `atoll`, `strtod`);
//! - [`addr`]: hosts, prefix lengths and host masks, and their text;
//! - [`strings`]: `XTOPT_PUT` strings, `xtables_save_string`, ` !`, ranges;
//! - [`check`]: `xtables_options_fcheck` and the kernel's `xt_check_match` /
//!   `xt_check_target` table, hook and protocol checks.

pub(crate) mod addr;
pub(crate) mod check;
pub(crate) mod num;
pub(crate) mod strings;

pub use addr::HostMask;
pub(crate) use addr::{mask_to_cidr, parse_host, parse_plen, write_addr};
pub(crate) use check::{
    bad_id, exclusive, fcheck, given_any, mandatory, require_hooks, require_proto, require_table,
    require_target_hooks, Constraint,
};
pub(crate) use num::{atoll, range, strtod, strtoui_end, strtoumax, uint, XorOp};
pub use num::{strtoui, MarkMask};
pub(crate) use strings::{
    cut_c, is_prefix_nocase, parse_name_list, put_string, save_string, truncate_c, write_inv,
    write_range,
};

/// A tested value with its `!`.
///
/// ```
/// use nfsim::model::matches::conntrack::{Conntrack, CtStates, Inv};
/// let not_new = Conntrack { state: Some(Inv { value: CtStates::NEW, invert: true }), ..Conntrack::default() };
/// assert_eq!(nfsim::model::Rule::new().with(nfsim::model::Match::Conntrack(Box::new(not_new))).to_string(), "-m conntrack ! --ctstate NEW");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Inv<T> {
    /// The value.
    pub value: T,
    /// Whether the test is inverted.
    pub invert: bool,
}
