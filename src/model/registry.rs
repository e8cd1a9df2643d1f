//! The macro that turns a list of extension types into the [`super::Match`]
//! and [`super::Target`] enums with name lookup and dispatch.

/// Which families an extension exists for (iptables' `libipt_`, `libip6t_`,
/// `libxt_` prefixes).
///
/// ```
/// use nfsim::model::{Family, Match};
/// use nfsim::model::Families;
/// let (_, fam) = Match::NAMES.iter().find(|(n, _)| *n == "hl").unwrap();
/// assert_eq!(*fam, Families::V6);
/// assert!(fam.has(Family::Ipv6) && !fam.has(Family::Ipv4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Families {
    /// IPv4 only (`libipt_*`).
    V4,
    /// IPv6 only (`libip6t_*`).
    V6,
    /// Both (`libxt_*`).
    Both,
}

impl Families {
    /// Whether the extension exists for `f`.
    pub fn has(self, f: super::Family) -> bool {
        matches!(
            (self, f),
            (Families::Both, _)
                | (Families::V4, super::Family::Ipv4)
                | (Families::V6, super::Family::Ipv6)
        )
    }
}

/// What nfsim does with an extension beyond parsing, printing and checking
/// it (which every variant does): declared once per extension, by
/// [`super::Match::caps`] and [`super::Target::caps`], and read by the
/// engine (refuse at compile what it cannot evaluate) and the host (run
/// conntrack when a rule needs it).
///
/// ```
/// use nfsim::model::Match;
/// use nfsim::model::matches::state::State;
/// let caps = Match::State(State::default()).caps();
/// assert!(caps.evaluable && caps.needs_conntrack);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// The engine evaluates it with these options; a ruleset using it
    /// otherwise is refused when compiled, never approximated.
    pub evaluable: bool,
    /// It reads or changes conntrack state, so a host whose rules use it
    /// runs conntrack.
    pub needs_conntrack: bool,
}

impl Caps {
    /// Evaluated, no conntrack.
    pub const EVAL: Caps = Caps {
        evaluable: true,
        needs_conntrack: false,
    };
    /// Evaluated, needs conntrack.
    pub const EVAL_CT: Caps = Caps {
        evaluable: true,
        needs_conntrack: true,
    };
    /// Parsed and printed only.
    pub const PARSE_ONLY: Caps = Caps {
        evaluable: false,
        needs_conntrack: false,
    };
    /// Parsed and printed only; would need conntrack.
    pub const PARSE_ONLY_CT: Caps = Caps {
        evaluable: false,
        needs_conntrack: true,
    };
    /// [`Caps::EVAL`] when `evaluable`, else [`Caps::PARSE_ONLY`].
    pub const fn eval_if(evaluable: bool) -> Caps {
        Caps {
            evaluable,
            needs_conntrack: false,
        }
    }
}

/// Declares an extension enum. Each entry: `"name" [| "alias"...] , families => Variant(path::Type)`.
macro_rules! extension_enum {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            $( $(#[$vmeta:meta])* $name:literal $(| $alias:literal)* , $fam:ident => $variant:ident($ty:ty) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $enum {
            $( $(#[$vmeta])* $variant($ty), )*
        }

        impl $enum {
            /// Every extension name this build knows (primary names and aliases), with its families.
            pub const NAMES: &'static [(&'static str, $crate::model::registry::Families)] = &[
                $( ($name, $crate::model::registry::Families::$fam), $( ($alias, $crate::model::registry::Families::$fam), )* )*
            ];

            /// A fresh extension for `name` (as given after `-m`/`-j`), if nfsim implements it for the family.
            pub(crate) fn new(name: &str, ctx: &$crate::model::ext::ExtCtx<'_>) -> Option<Self> {
                use $crate::model::ext::Extension;
                $(
                    if (name == $name $(|| name == $alias)*) && $crate::model::registry::Families::$fam.has(ctx.family) {
                        return Some($enum::$variant(<$ty>::new_as(name, ctx)));
                    }
                )*
                None
            }

            /// The extension's name as iptables-save prints it.
            ///
            /// ```
            /// use nfsim::model::{Match, Target};
            /// use nfsim::model::matches::comment::Comment;
            /// use nfsim::model::targets::reject::{Reject, RejectWith};
            /// assert_eq!(Match::Comment(Comment::default()).name(), "comment");
            /// assert_eq!(Target::Reject(Reject { with: RejectWith::TcpReset }).name(), "REJECT");
            /// ```
            pub fn name(&self) -> &'static str {
                use $crate::model::ext::Extension;
                match self { $( $enum::$variant(x) => x.save_name().unwrap_or($name), )* }
            }

            /// The extension's options.
            pub(crate) fn options(&self, family: $crate::model::Family) -> &'static [$crate::model::ext::OptSpec] {
                use $crate::model::ext::Extension;
                match self { $( $enum::$variant(_) => <$ty>::options(family), )* }
            }

            /// Dispatches [`Extension::parse`](crate::model::ext::Extension::parse).
            pub(crate) fn parse(&mut self, args: &mut $crate::model::ext::Args<'_>) -> Result<(), String> {
                use $crate::model::ext::Extension;
                match self { $( $enum::$variant(x) => x.parse(args), )* }
            }

            /// Dispatches [`Extension::finish`](crate::model::ext::Extension::finish).
            pub(crate) fn finish(&mut self, seen: u64, ctx: &$crate::model::ext::ExtCtx<'_>) -> Result<(), String> {
                use $crate::model::ext::Extension;
                $crate::model::ext::check_options(self.name(), self.options(ctx.family), seen)?;
                match self { $( $enum::$variant(x) => x.finish(seen, ctx), )* }
            }

            /// Dispatches [`Extension::check`](crate::model::ext::Extension::check).
            pub(crate) fn check(&self, ctx: &$crate::model::ext::CheckCtx) -> Result<(), String> {
                use $crate::model::ext::Extension;
                match self { $( $enum::$variant(x) => x.check(ctx), )* }
            }

            /// Writes the extension's options as iptables-save prints them
            /// after its `-m NAME` or `-j NAME`, each with a leading space.
            ///
            /// ```
            /// use nfsim::model::ext::SaveBuf;
            /// use nfsim::model::{Match, Target};
            /// use nfsim::model::matches::comment::Comment;
            /// use nfsim::model::targets::reject::{Reject, RejectWith};
            /// let mut b = SaveBuf::default();
            /// Target::Reject(Reject { with: RejectWith::TcpReset }).save(&mut b).unwrap();
            /// Match::Comment(Comment { text: "x y".into() }).save(&mut b).unwrap();
            /// assert_eq!(b.as_bytes(), b" --reject-with tcp-reset --comment \"x y\"");
            /// ```
            pub fn save(&self, f: &mut crate::model::ext::SaveBuf) -> core::fmt::Result {
                use $crate::model::ext::Extension;
                match self { $( $enum::$variant(x) => x.save(f), )* }
            }
        }
    };
}

pub(crate) use extension_enum;
