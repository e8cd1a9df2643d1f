//! "did you mean ...?" for misspelt names in rule text: targets, matches
//! and options. iptables' own message comes first; the suggestion is
//! appended (`; did you mean ACCEPT?`) only when one name is near.

/// Edit distance between two words: insertions, deletions, substitutions
/// and swaps of two neighbouring letters (optimal string alignment), so
/// that `ACCPET` is one edit from `ACCEPT`.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j].
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, v) in d[..w].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The candidate nearest to `word`, ignoring case: one edit for a word of
/// up to 4 letters, two for a longer one, none for one or two letters (so
/// that `x` suggests nothing). The first of equally near candidates wins.
///
/// ```
/// use nfsim::syntax::suggest::nearest;
/// assert_eq!(nearest("ACCPET", ["ACCEPT", "DROP"]), Some("ACCEPT"));
/// assert_eq!(nearest("accept", ["ACCEPT", "DROP"]), Some("ACCEPT"));
/// assert_eq!(nearest("FOO", ["ACCEPT", "DROP"]), None);
/// ```
pub fn nearest<'w>(word: &str, candidates: impl IntoIterator<Item = &'w str>) -> Option<&'w str> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'w str)> = None;
    for c in candidates {
        let d = distance(&w, &c.to_ascii_lowercase());
        let most = match w.chars().count() {
            0..=2 => 0,
            3..=4 => 1,
            _ => 2,
        };
        if d <= most && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean X?"` for the nearest candidate, or nothing. The word
/// itself is never suggested (an exact name is not a misspelling).
///
/// ```
/// use nfsim::syntax::suggest::did_you_mean;
/// assert_eq!(did_you_mean("conntrak", ["conntrack", "connmark"], ""), "; did you mean conntrack?");
/// assert_eq!(did_you_mean("dprt", ["dport", "sport"], "--"), "; did you mean --dport?");
/// assert_eq!(did_you_mean("zzz", ["dport"], "--"), "");
/// ```
pub fn did_you_mean<'w>(
    word: &str,
    candidates: impl IntoIterator<Item = &'w str>,
    prefix: &str,
) -> String {
    match nearest(word, candidates.into_iter().filter(|c| *c != word)) {
        Some(c) => format!("; did you mean {prefix}{c}?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ACCPET", "ACCEPT"), 1);
        assert_eq!(distance("DORP", "DROP"), 1);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn nearest_prefers_the_closest() {
        assert_eq!(nearest("DORP", ["DNAT", "DROP"]), Some("DROP"));
        assert_eq!(nearest("abd", ["abc"]), Some("abc"));
        // Short words: few edits, or any word would be suggested.
        assert_eq!(nearest("ab", ["abc"]), None);
        assert_eq!(nearest("FOO", ["LOG"]), None);
        assert_eq!(nearest("dprt", ["dport"]), Some("dport"));
    }
}
