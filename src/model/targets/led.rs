//! `-j LED` (extensions/libxt_LED.c; kernel net/netfilter/xt_LED.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui_end};

/// `-j LED --led-trigger-id ID [--led-delay MS|inf] [--led-always-blink]`.
///
/// ```
/// use nfsim::model::targets::led::Led;
/// let l = Led { id: "foo".into(), delay: 0, always_blink: false };
/// assert_eq!(l.id, "foo");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Led {
    /// Trigger id without the `netfilter-` prefix (at most 16 bytes).
    pub id: crate::model::ByteStr,
    /// Blink delay in ms as stored (`u32::MAX` = `inf`, printed as -1).
    pub delay: u32,
    /// Blink even when already lit.
    pub always_blink: bool,
}

options!(OPTS = 0 "led-trigger-id" arg mand, 1 "led-delay" arg, 2 "led-always-blink" flag);

impl Default for Led {
    fn default() -> Self {
        Led {
            id: crate::model::ByteStr::new(),
            delay: 0,
            always_blink: false,
        }
    }
}

impl Extension for Led {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                let s = args.required_bytes("LED", "led-trigger-args.id")?;
                // .max = sizeof(args.id) - sizeof("netfilter-") = 16
                if s.len() > 16 {
                    return Err("Argument must have a maximum length of 16 characters".into());
                }
                self.id = s.into();
            }
            1 => {
                let s = args.required("LED", "led-delay")?;
                if s.len() >= 3 && s.as_bytes()[..3].eq_ignore_ascii_case(b"inf") {
                    self.delay = u32::MAX;
                } else {
                    self.delay = match strtoui_end(s, 0, u32::MAX as u64) {
                        Some((v, "")) => v as u32,
                        _ => return Err(format!("Delay value must be within 0..{}", u32::MAX)),
                    };
                }
            }
            2 => self.always_blink = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(" --led-trigger-id \"")?;
        for &c in self.id.iter() {
            if c == b'"' || c == b'\\' {
                f.write_char('\\')?;
            }
            f.write_bytes(&[c]);
        }
        f.write_str("\"")?;
        // LED_save prints the int delay: positive values, or -1 as inf.
        let d = self.delay as i32;
        if d > 0 {
            write!(f, " --led-delay {d}")?;
        } else if d == -1 {
            f.write_str(" --led-delay inf")?;
        }
        if self.always_blink {
            f.write_str(" --led-always-blink")?;
        }
        Ok(())
    }
}
