//! Glob-style matching exactly like Redis's `stringmatchlen` (KEYS, SCAN MATCH,
//! CONFIG GET, PSUBSCRIBE).
//!
//! `*` matches any run, `?` one byte, `[abc]`, `[a-z]` and `[^x]` a class (a range
//! may be written backwards, `[z-a]`; an unterminated class ends at the pattern's
//! end), `\` escapes the next byte, and `nocase` folds ASCII case. Redis's quirks
//! are kept: in a class `\x` means a literal `x`; a lone trailing `\` matches
//! itself. Two bounds keep hostile patterns cheap, as in Redis: once the rest of a
//! pattern after a `*` failed at every position, earlier stars stop retrying
//! (`skipLongerMatches`), and recursion deeper than [`MAX_NESTING`] stars fails.

/// Deepest recursion (one level per `*`) before the match gives up.
pub const MAX_NESTING: usize = 1000;

/// True when `text` matches `pattern`.
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, text, nocase, &mut skip_longer, 0)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(
    mut p: &[u8],
    mut s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    depth: usize,
) -> bool {
    if depth > MAX_NESTING {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.get(1) == Some(&b'*') {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                // The rest failed everywhere: earlier stars cannot help (see header).
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                let (matched, rest) = match_class(&p[1..], s[0], nocase);
                if !matched {
                    return false;
                }
                s = &s[1..];
                // `rest` starts at the closing ']' (or the last byte when unterminated).
                p = rest;
            }
            c => {
                let literal = if c == b'\\' && p.len() >= 2 {
                    p = &p[1..];
                    p[0]
                } else {
                    c
                };
                if fold(literal, nocase) != fold(s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = p.get(1..).unwrap_or(&[]);
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// Matches `c` against the class starting after '['; returns whether it matched
/// and the pattern positioned on the class's last byte (']' when terminated).
fn match_class(mut p: &[u8], c: u8, nocase: bool) -> (bool, &[u8]) {
    let negate = p.first() == Some(&b'^');
    if negate {
        p = &p[1..];
    }
    let mut matched = false;
    // `prev` keeps one byte of look-behind for the unterminated case, where Redis
    // steps back onto the last byte of the pattern.
    let mut prev: Option<&[u8]> = None;
    loop {
        match p.first() {
            None => {
                p = prev.unwrap_or(p);
                break;
            }
            Some(b'\\') if p.len() >= 2 => {
                p = &p[1..];
                if p[0] == c {
                    matched = true;
                }
            }
            Some(b']') => break,
            Some(&start) if p.len() >= 3 && p[1] == b'-' => {
                let (mut lo, mut hi) = (start, p[2]);
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let (lo, hi, ch) = (fold(lo, nocase), fold(hi, nocase), fold(c, nocase));
                p = &p[2..];
                if ch >= lo && ch <= hi {
                    matched = true;
                }
            }
            Some(&x) => {
                if fold(x, nocase) == fold(c, nocase) {
                    matched = true;
                }
            }
        }
        prev = Some(p);
        p = &p[1..];
    }
    (matched != negate, p)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A plain backtracking matcher over the alphabet {a, b, *, ?} (no classes,
    /// no escapes), where Redis's semantics are the textbook ones except that a
    /// pattern never matches an empty string unless it is empty itself.
    fn reference(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some(b'*'), _) => reference(&p[1..], s) || (!s.is_empty() && reference(p, &s[1..])),
            (Some(_), None) => false,
            (Some(b'?'), Some(_)) => reference(&p[1..], &s[1..]),
            (Some(c), Some(d)) => c == d && reference(&p[1..], &s[1..]),
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_reference_matcher(
            p in proptest::collection::vec(prop::sample::select(vec![b'a', b'b', b'*', b'?']), 0..10),
            s in proptest::collection::vec(prop::sample::select(vec![b'a', b'b']), 1..12),
        ) {
            prop_assert_eq!(matches(&p, &s, false), reference(&p, &s));
        }
    }

    #[test]
    fn redis_examples() {
        assert!(matches(b"h?llo", b"hello", false));
        assert!(matches(b"h*llo", b"heeeello", false));
        assert!(matches(b"h[ae]llo", b"hallo", false));
        assert!(!matches(b"h[ae]llo", b"hillo", false));
        assert!(matches(b"h[^e]llo", b"hallo", false));
        assert!(!matches(b"h[^e]llo", b"hello", false));
        assert!(matches(b"h[a-b]llo", b"hbllo", false));
        assert!(matches(b"h[b-a]llo", b"hallo", false));
        assert!(matches(b"h\\*llo", b"h*llo", false));
        assert!(!matches(b"h\\*llo", b"hello", false));
        // Redis quirk: the loop never runs on an empty string, so "*" fails on "".
        assert!(!matches(b"*", b"", false));
        assert!(matches(b"a*", b"a", false));
        assert!(!matches(b"", b"a", false));
        assert!(matches(b"HELLO", b"hello", true));
        assert!(matches(b"[A-C]x", b"bx", true));
        assert!(matches(b"[a", b"a", false));
        assert!(matches(b"\\", b"\\", false));
        assert!(matches(b"[\\]]", b"]", false));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let pattern = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let text = [b'a'; 100];
        assert!(!matches(pattern, &text, false));
        let deep = b"*a".repeat(5000);
        assert!(!matches(&deep, &[b'a'; 10], false));
    }
}
