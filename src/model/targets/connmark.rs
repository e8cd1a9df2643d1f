//! `-j CONNMARK` (extensions/libxt_CONNMARK.c revision 2; kernel
//! net/netfilter/xt_connmark.c `connmark_tg_shift`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, uint, Constraint, XorOp};

/// What CONNMARK does (`XT_CONNMARK_SET` / `SAVE` / `RESTORE`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -j CONNMARK --save-mark\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
/// use nfsim::model::targets::connmark::ConnmarkMode;
/// assert!(matches!(&r.verdict, Verdict::Ext(Target::Connmark(c)) if c.mode == ConnmarkMode::Save));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnmarkMode {
    /// ctmark = `(ctmark & !ctmask) ^ ctmark_value`.
    Set,
    /// ctmark = `(ctmark & !ctmask) ^ ((mark & nfmask) shifted)`.
    Save,
    /// mark = `(mark & !nfmask) ^ ((ctmark & ctmask) shifted)`.
    Restore,
}

/// Direction of the revision-2 shift (`D_SHIFT_LEFT` / `D_SHIFT_RIGHT`).
///
/// ```
/// use nfsim::model::targets::connmark::ShiftDir;
/// assert_ne!(ShiftDir::Left, ShiftDir::Right);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShiftDir {
    /// `--left-shift-mark`
    Left,
    /// `--right-shift-mark`
    Right,
}

/// `-j CONNMARK` (`struct xt_connmark_tginfo2`).
///
/// ```
/// use nfsim::model::targets::connmark::{Connmark, ConnmarkMode, ShiftDir};
/// let c = Connmark { mode: ConnmarkMode::Save, ctmark: 0, ctmask: !0, nfmask: !0,
///                    shift_dir: ShiftDir::Left, shift_bits: 0 };
/// assert_eq!(c.mode, ConnmarkMode::Save);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connmark {
    /// The operation.
    pub mode: ConnmarkMode,
    /// Value for [`ConnmarkMode::Set`].
    pub ctmark: u32,
    /// Conntrack mark mask.
    pub ctmask: u32,
    /// Packet mark mask.
    pub nfmask: u32,
    /// Shift direction (save/restore).
    pub shift_dir: ShiftDir,
    /// Shift amount 0..=32.
    pub shift_bits: u8,
}

ids! {
    SET_MARK, SAVE_MARK, RESTORE_MARK, AND_MARK, OR_MARK, XOR_MARK, LSHIFT, RSHIFT, SET_XMARK,
    CTMASK, NFMASK, MASK,
}
const OP_ANY: u64 = (1 << SET_MARK)
    | (1 << SAVE_MARK)
    | (1 << RESTORE_MARK)
    | (1 << AND_MARK)
    | (1 << OR_MARK)
    | (1 << XOR_MARK)
    | (1 << SET_XMARK);

options! {
    OPTS =
    SET_XMARK "set-xmark" arg, SET_MARK "set-mark" arg, AND_MARK "and-mark" arg,
    OR_MARK "or-mark" arg, XOR_MARK "xor-mark" arg, SAVE_MARK "save-mark" flag,
    RESTORE_MARK "restore-mark" flag, LSHIFT "left-shift-mark" arg, RSHIFT "right-shift-mark" arg,
    CTMASK "ctmask" arg, NFMASK "nfmask" arg, MASK "mask" arg,
}

const XOPS: [(u8, XorOp); 5] = [
    (SET_XMARK, XorOp::SetX),
    (SET_MARK, XorOp::Set),
    (AND_MARK, XorOp::And),
    (OR_MARK, XorOp::Or),
    (XOR_MARK, XorOp::Xor),
];

const CONSTRAINTS: [Constraint; 12] = [
    (SET_XMARK, "set-xmark", OP_ANY, 0, false),
    (SET_MARK, "set-mark", OP_ANY, 0, false),
    (AND_MARK, "and-mark", OP_ANY, 0, false),
    (OR_MARK, "or-mark", OP_ANY, 0, false),
    (XOR_MARK, "xor-mark", OP_ANY, 0, false),
    (SAVE_MARK, "save-mark", OP_ANY, 0, false),
    (RESTORE_MARK, "restore-mark", OP_ANY, 0, false),
    (LSHIFT, "left-shift-mark", 0, 0, false),
    (RSHIFT, "right-shift-mark", 0, 0, false),
    (CTMASK, "ctmask", 1 << MASK, 0, false),
    (NFMASK, "nfmask", 1 << MASK, 0, false),
    (MASK, "mask", (1 << CTMASK) | (1 << NFMASK), 0, false),
];

impl Default for Connmark {
    fn default() -> Self {
        // connmark_tg_init_v2
        Connmark {
            mode: ConnmarkMode::Set,
            ctmark: 0,
            ctmask: u32::MAX,
            nfmask: u32::MAX,
            shift_dir: ShiftDir::Left,
            shift_bits: 0,
        }
    }
}

impl Extension for Connmark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let u32_arg = |args: &Args<'_>| -> Result<u32, String> {
            uint(
                "CONNMARK",
                name,
                args.required("CONNMARK", name)?,
                0,
                u32::MAX as u64,
            )
            .map(|v| v as u32)
        };
        // connmark_tg_parse_v2
        if let Some(op) = XorOp::of(args.id, &XOPS) {
            self.mode = ConnmarkMode::Set;
            (self.ctmark, self.ctmask) =
                op.parse_mark("CONNMARK", name, args.required("CONNMARK", name)?)?;
            return Ok(());
        }
        match args.id {
            SAVE_MARK => self.mode = ConnmarkMode::Save,
            RESTORE_MARK => self.mode = ConnmarkMode::Restore,
            CTMASK => self.ctmask = u32_arg(args)?,
            NFMASK => self.nfmask = u32_arg(args)?,
            MASK => {
                let v = u32_arg(args)?;
                self.nfmask = v;
                self.ctmask = v;
            }
            LSHIFT | RSHIFT => {
                let v = uint("CONNMARK", name, args.required("CONNMARK", name)?, 0, 32)?;
                self.shift_dir = if args.id == LSHIFT {
                    ShiftDir::Left
                } else {
                    ShiftDir::Right
                };
                self.shift_bits = v as u8;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen & OP_ANY == 0 {
            return Err("CONNMARK target: No operation specified".into());
        }
        fcheck("CONNMARK", seen, &CONSTRAINTS)
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        match self.mode {
            ConnmarkMode::Set => write!(f, " --set-xmark {:#x}/{:#x}", self.ctmark, self.ctmask)?,
            ConnmarkMode::Save => write!(
                f,
                " --save-mark --nfmask {:#x} --ctmask {:#x}",
                self.nfmask, self.ctmask
            )?,
            ConnmarkMode::Restore => write!(
                f,
                " --restore-mark --nfmask {:#x} --ctmask {:#x}",
                self.nfmask, self.ctmask
            )?,
        }
        if self.shift_bits != 0 {
            let op = match self.shift_dir {
                ShiftDir::Left => "left-shift-mark",
                ShiftDir::Right => "right-shift-mark",
            };
            write!(f, " --{op} {}", self.shift_bits)?;
        }
        Ok(())
    }
}
