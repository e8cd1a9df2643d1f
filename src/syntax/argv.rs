//! Splitting a restore line into words as iptables-restore does
//! (`add_param_to_argv` in iptables/xshared.c).

use super::error::{Error, ErrorKind};

pub(crate) use crate::model::text::Word;

/// The longest word iptables' fixed buffer holds (`struct xt_param_buf`).
const PARAM_MAX: usize = 1023;

/// `MAX_ARGC` (iptables/xshared.h): the size of `struct argv_store`.
/// `add_argv` refuses an argument once `argc + 1 >= MAX_ARGC`, so a command
/// holds at most `MAX_ARGC - 1` arguments, counting the program name, `-t`
/// and the table that iptables-restore puts first (and `--set-counters P B`
/// with `--counters`).
pub const MAX_ARGC: usize = 255;

/// Splits `line` (without its newline) into words. Words are bytes: any
/// byte but the separators and quotes is kept as it is, UTF-8 or not.
///
/// Outside quotes, space, tab and newline separate words. A `"` opens a
/// quoted section in which `\` escapes the next character and `"` closes it;
/// quotes may appear inside a word (`a"b c"d` is one word `ab cd`). Single
/// quotes are ordinary characters. An unterminated quote ends at the end of
/// the line, as in iptables.
pub fn split(line: &[u8], lineno: usize) -> Result<Vec<Word>, Error> {
    split_limited(line, lineno, usize::MAX)
}

/// [`split`] with at most `room` words: the word that does not fit fails
/// as `add_argv` fails it ("Parser cannot handle more arguments", a
/// parameter problem), when it is complete, so a too-long word before it
/// is reported first, as in iptables.
pub fn split_limited(line: &[u8], lineno: usize, room: usize) -> Result<Vec<Word>, Error> {
    let mut words = Vec::with_capacity(16);
    let push = |words: &mut Vec<Word>, w: Word| {
        if words.len() >= room {
            return Err(Error::new(
                lineno,
                w.col,
                ErrorKind::Syntax,
                "Parser cannot handle more arguments",
            ));
        }
        words.push(w);
        Ok(())
    };
    let mut buf = crate::model::text::WordBytes::new();
    let mut start = None;
    let mut quote_open = false;
    let mut escaped = false;
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        let mut next = i + 1;
        if !quote_open && !matches!(c, b'"' | b' ' | b'\t' | b'\n') {
            // A run of ordinary bytes outside quotes, copied at once.
            let run = line[i..]
                .iter()
                .position(|b| matches!(b, b'"' | b' ' | b'\t' | b'\n'))
                .map_or(line.len(), |n| i + n);
            start.get_or_insert(i);
            buf.extend_from_slice(&line[i..run]);
            next = run;
        } else if quote_open {
            if escaped {
                buf.push(c);
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                quote_open = false;
                // iptables finishes the word at a closing quote only when a
                // separator follows; the switch below sees the '"' and ends
                // the parameter right here.
                push(
                    &mut words,
                    Word {
                        bytes: core::mem::take(&mut buf),
                        col: start.take().unwrap_or(i) + 1,
                    },
                )?;
            } else {
                buf.push(c);
            }
        } else if c == b'"' {
            quote_open = true;
            start.get_or_insert(i);
        } else {
            // A separator (space, tab, newline) outside quotes.
            if !buf.is_empty() {
                push(
                    &mut words,
                    Word {
                        bytes: core::mem::take(&mut buf),
                        col: start.take().unwrap_or(i) + 1,
                    },
                )?;
            }
            start = None;
        }
        if buf.len() > PARAM_MAX {
            return Err(Error::new(
                lineno,
                start.unwrap_or(0) + 1,
                ErrorKind::Syntax,
                "Parameter too long!",
            ));
        }
        i = next;
    }
    if !buf.is_empty() {
        push(
            &mut words,
            Word {
                bytes: buf,
                col: start.unwrap_or(0) + 1,
            },
        )?;
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split(s.as_bytes(), 1)
            .unwrap()
            .into_iter()
            .map(|w| String::from_utf8(w.bytes.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn plain_words_and_columns() {
        let w = split(b"  -A  INPUT\t-j ACCEPT", 1).unwrap();
        assert_eq!(
            w.iter().map(|w| w.col).collect::<Vec<_>>(),
            vec![3, 7, 13, 16]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(texts(r#"--comment "a b""#), vec!["--comment", "a b"]);
        assert_eq!(texts(r#"--comment "a\\b""#), vec!["--comment", "a\\b"]);
        assert_eq!(texts(r#"--comment """#), vec!["--comment", ""]);
        assert_eq!(texts("--comment 'a b'"), vec!["--comment", "'a", "b'"]);
    }

    #[test]
    fn closing_quote_ends_word() {
        // iptables: the closing quote falls through to the separator switch,
        // whose '"' case ends the parameter.
        assert_eq!(texts(r#""ab"cd"#), vec!["ab", "cd"]);
    }

    #[test]
    fn bytes_kept() {
        let w = split(b"-A \xff\x80 \"a\xc3\" b", 1).unwrap();
        assert_eq!(&w[1].bytes[..], b"\xff\x80");
        assert_eq!(&w[2].bytes[..], b"a\xc3");
        assert_eq!(w[2].col, 7);
    }

    #[test]
    fn too_long() {
        let s = "x".repeat(2000);
        assert!(split(s.as_bytes(), 1).is_err());
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn split_example() {
        use crate::syntax::argv::split;
        let w = split(
            b"-A INPUT -m comment --comment \"a \\\"b\\\" c\xff\" -j ACCEPT",
            1,
        )
        .unwrap();
        assert_eq!(&w[5].bytes[..], b"a \"b\" c\xff");
    }
    #[test]
    fn split_limited_example() {
        use crate::syntax::argv::split_limited;
        assert!(split_limited(b"a b c", 1, 3).is_ok());
        let e = split_limited(b"a b c d", 1, 3).unwrap_err();
        assert_eq!(
            (e.col, e.message.as_str()),
            (7, "Parser cannot handle more arguments")
        );
    }
}
