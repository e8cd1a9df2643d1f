//! `-m connmark` (net/netfilter/xt_connmark.c `connmark_mt`,
//! extensions/libxt_connmark.c): `-m mark`'s option and printer on the
//! connection's mark ([`super::mark::MarkMatch`]).

/// `-m connmark [!] --mark VALUE[/MASK]`: `(ct->mark & mask) == value`.
///
/// ```
/// use nfsim::model::matches::connmark::Connmark;
/// use nfsim::model::matches::xtopt::MarkMask;
/// let m = Connmark { mark: MarkMask { value: 1, mask: 0xff }, invert: false };
/// assert!(m.mark.matches(0x101));
/// ```
pub type Connmark = super::mark::MarkMatch<true>;
