//! Positions in the user's file for errors inside a JSON string: a restore
//! error at line L, column C of the ruleset embedded in `rules.ipv4` is
//! shown at the line and column of the JSON file where that character is
//! written (escapes such as `\n` counted as they are written).

/// Decodes the JSON string literal starting just after its opening quote
/// at `raw[start..]`: the text and, for each decoded byte (and the end),
/// the offset in `raw` where it is written. None if the literal is cut.
fn decode(raw: &str, start: usize) -> Option<(String, Vec<usize>)> {
    let b = raw.as_bytes();
    let mut out = String::new();
    let mut at = Vec::new();
    let mut i = start;
    loop {
        let c = *b.get(i)?;
        match c {
            b'"' => {
                at.push(i);
                return Some((out, at));
            }
            b'\\' => {
                let e = *b.get(i + 1)?;
                let (ch, len) = match e {
                    b'n' => ('\n', 2),
                    b't' => ('\t', 2),
                    b'r' => ('\r', 2),
                    b'b' => ('\u{8}', 2),
                    b'f' => ('\u{c}', 2),
                    b'"' | b'\\' | b'/' => (e as char, 2),
                    b'u' => {
                        let hex = |j: usize| {
                            raw.get(j..j + 4)
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                        };
                        let hi = hex(i + 2)?;
                        if (0xd800..0xdc00).contains(&hi) && raw.get(i + 6..i + 8) == Some("\\u") {
                            let lo = hex(i + 8)?;
                            let cp =
                                0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff);
                            (char::from_u32(cp).unwrap_or('\u{fffd}'), 12)
                        } else {
                            (char::from_u32(hi).unwrap_or('\u{fffd}'), 6)
                        }
                    }
                    _ => return None,
                };
                for _ in 0..ch.len_utf8() {
                    at.push(i);
                }
                out.push(ch);
                i += len;
            }
            _ => {
                let ch = raw.get(i..)?.chars().next()?;
                for _ in 0..ch.len_utf8() {
                    at.push(i);
                }
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
}

/// The 1-based line and column (in characters) of byte offset `off`.
fn line_col(text: &str, off: usize) -> (usize, usize) {
    let before = &text[..off.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where, in the JSON file `json`, the string value of key `key` that
/// decodes to `value` holds its own line `line`, byte column `col`
/// (1-based; 0 for the line's start). None when no such value is found.
pub fn locate(
    json: &str,
    key: &str,
    value: &str,
    line: usize,
    col: usize,
) -> Option<(usize, usize)> {
    // The decoded offset of (line, col).
    let mut off = 0;
    for _ in 1..line {
        off += value.get(off..)?.find('\n')? + 1;
    }
    off += col.saturating_sub(1);
    let pat = format!("\"{key}\"");
    let mut from = 0;
    while let Some(k) = json.get(from..)?.find(&pat) {
        let after = from + k + pat.len();
        from = after;
        let rest = json[after..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest2 = rest.trim_start();
        if !rest2.starts_with('"') {
            continue;
        }
        let start = json.len() - rest2.len() + 1;
        let Some((text, at)) = decode(json, start) else {
            continue;
        };
        if text != value {
            continue;
        }
        return Some(line_col(json, *at.get(off.min(at.len() - 1))?));
    }
    None
}

/// A replay error `rules.ipv4:L:C: message` (a restore error inside the
/// embedded ruleset) told at its place in the file:
/// `FILE:LINE:COL: rules.ipv4 line L: message`. Other errors are `FILE: message`.
pub fn at_file(file: &str, json: &str, rules: [(&str, Option<&str>); 2], message: &str) -> String {
    for (field, text) in rules {
        let Some(rest) = message
            .strip_prefix(field)
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        let mut parts = rest.splitn(3, ':');
        let (Some(l), Some(c), Some(msg)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(l), Ok(c)) = (l.parse::<usize>(), c.parse::<usize>()) else {
            continue;
        };
        let key = field.rsplit('.').next().unwrap_or(field);
        if let Some((fl, fc)) = text.and_then(|t| locate(json, key, t, l, c)) {
            return format!("{file}:{fl}:{fc}: {field} line {l}:{msg}");
        }
    }
    format!("{file}: {message}")
}

/// A JSON error `PATH: message at line L column C` (serde_json's position,
/// after serde_path_to_error's field path) told as `FILE:L:C: PATH:
/// message`; other messages as `FILE: message`.
pub fn json_error(file: &str, message: &str) -> String {
    if let Some((rest, pos)) = message.rsplit_once(" at line ") {
        if let Some((l, c)) = pos.split_once(" column ") {
            if let (Ok(l), Ok(c)) = (l.parse::<usize>(), c.trim_end().parse::<usize>()) {
                return format!("{file}:{l}:{c}: {rest}");
            }
        }
    }
    format!("{file}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_character_in_the_file() {
        let json = "{\n \"host\": {\"ipv4\": \"x\"},\n \"rules\": {\"ipv4\": \"*filter\\n-A INPUT -j ACCPET\\nCOMMIT\\n\"}\n}";
        let rules = "*filter\n-A INPUT -j ACCPET\nCOMMIT\n";
        // Line 2, column 13 of the ruleset is the `A` of ACCPET.
        let (l, c) = locate(json, "ipv4", rules, 2, 13).unwrap();
        assert_eq!(l, 3);
        let line = json.lines().nth(2).unwrap();
        assert_eq!(&line[c - 1..c + 5], "ACCPET");
        let m = at_file(
            "t.json",
            json,
            [("rules.ipv4", Some(rules)), ("rules.ipv6", None)],
            "rules.ipv4:2:13: Couldn't load target",
        );
        assert_eq!(
            m,
            format!("t.json:3:{c}: rules.ipv4 line 2: Couldn't load target")
        );
        assert_eq!(
            at_file(
                "t.json",
                json,
                [("rules.ipv4", Some(rules)), ("rules.ipv6", None)],
                "hz: bad"
            ),
            "t.json: hz: bad"
        );
    }

    #[test]
    fn json_errors_lead_with_the_position() {
        assert_eq!(
            json_error(
                "t.json",
                "packets[0].at_ms: invalid type: string \"x\", expected f64 at line 5 column 20"
            ),
            "t.json:5:20: packets[0].at_ms: invalid type: string \"x\", expected f64"
        );
        assert_eq!(json_error("t.json", "format: bad"), "t.json: format: bad");
    }

    #[test]
    fn escapes_are_decoded() {
        let (s, at) = decode("\"a\\u00e9\\\"b\"", 1).unwrap();
        assert_eq!(s, "aé\"b");
        assert_eq!(at.len(), s.len() + 1);
    }
}
