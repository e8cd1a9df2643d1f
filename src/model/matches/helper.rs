//! `-m helper` (net/netfilter/xt_helper.c: `helper_mt_check` only takes a
//! conntrack reference; extensions/libxt_helper.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{save_string, truncate_c};

/// `-m helper [!] --helper NAME`: the name of the conntrack helper of the
/// packet's master connection (a name prefix match in the kernel:
/// `strncmp(helper->name, info->name, strlen(info->name))`; an empty name
/// matches any connection with a helper).
///
/// ```
/// use nfsim::model::matches::helper::Helper;
/// let h = Helper { name: "ftp".into(), invert: false };
/// assert_eq!(h.name, "ftp");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Helper {
    /// The helper name, at most 29 bytes (cut as iptables cuts it).
    pub name: crate::model::ByteStr,
    /// `! --helper`
    pub invert: bool,
}

options!(OPTS = 0 "helper" arg inv mand);

impl Extension for Helper {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // struct xt_helper_info: char name[30].
        self.name = truncate_c(args.raw.unwrap_or(b""), 30);
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        f.write_str(" --helper")?;
        save_string(f, &self.name)
    }
}
