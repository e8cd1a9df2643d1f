//! `-m frag` (net/ipv6/netfilter/ip6t_frag.c, extensions/libip6t_frag.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, range, uint, write_inv, write_range};

/// `-m frag`: IPv6 fragment header fields (`struct ip6t_frag`).
///
/// ```
/// use nfsim::model::matches::frag::Frag;
/// assert_eq!(Frag::default().ids, (0, u32::MAX));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frag {
    /// Identification range (inclusive).
    pub ids: (u32, u32),
    /// `! --fragid`
    pub ids_inv: bool,
    /// `--fraglen N` with its invert flag: printed, but never tested by the
    /// kernel (ip6t_frag.c `frag_mt6` ignores `hdrlen`).
    pub hdrlen: Option<(u32, bool)>,
    /// `--fragres`: reserved fields must be zero.
    pub res: bool,
    /// `--fragfirst`: fragment offset 0.
    pub first: bool,
    /// `--fragmore`: more-fragments bit set.
    pub more: bool,
    /// `--fraglast`: more-fragments bit clear.
    pub last: bool,
}

impl Default for Frag {
    fn default() -> Self {
        Frag {
            ids: (0, u32::MAX),
            ids_inv: false,
            hdrlen: None,
            res: false,
            first: false,
            more: false,
            last: false,
        }
    }
}

ids!(O_ID, O_LEN, O_RES, O_FIRST, O_MORE, O_LAST);

options! {
    OPTS =
    O_ID "fragid" arg inv, O_LEN "fraglen" arg inv, O_RES "fragres" flag, O_FIRST "fragfirst" flag,
    O_MORE "fragmore" flag, O_LAST "fraglast" flag,
}

impl Extension for Frag {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_ID => {
                let s = args.required("frag", "fragid")?;
                let (lo, hi, _) = range("frag", "fragid", s, 0, u32::MAX.into())?;
                self.ids = (lo as u32, hi as u32);
                if args.invert {
                    self.ids_inv = true;
                }
            }
            O_LEN => {
                let s = args.required("frag", "fraglen")?;
                let v = uint("frag", "fraglen", s, 0, u32::MAX.into())? as u32;
                self.hdrlen = Some((v, args.invert));
            }
            O_RES => self.res = true,
            O_FIRST => self.first = true,
            O_MORE => self.more = true,
            O_LAST => self.last = true,
            _ => return bad_id(),
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        exclusive("frag", seen, (O_MORE, "fragmore"), (O_LAST, "fraglast"))
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libip6t_frag.c frag_save
        if self.ids != (0, u32::MAX) || self.ids_inv {
            write_inv(f, self.ids_inv)?;
            f.write_str(" --fragid ")?;
            write_range(f, self.ids.0.into(), self.ids.1.into())?;
        }
        if let Some((v, inv)) = self.hdrlen {
            write_inv(f, inv)?;
            write!(f, " --fraglen {v}")?;
        }
        for (on, name) in [
            (self.res, " --fragres"),
            (self.first, " --fragfirst"),
            (self.more, " --fragmore"),
            (self.last, " --fraglast"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        Ok(())
    }
}
