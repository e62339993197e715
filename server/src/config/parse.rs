//! The small lexical pieces every config path shares: splitting a line into
//! arguments, memory units, yes/no, quoting a value back, glob matching.
//!
//! Each mirrors one Redis helper so that a redis.conf means the same thing here:
//! [`split_args`] is `sdssplitargs` (double quotes with `\n`, `\xHH` escapes,
//! single quotes with only `\'`), [`mem_to_u64`] is `memtoull` (k = 1000,
//! kb = 1024, case-insensitive), [`repr`] is `sdscatrepr` (what CONFIG REWRITE
//! writes around strings) and [`glob_match`] is `stringmatchlen` (CONFIG GET
//! patterns). None of them recurses or allocates more than its input's size.

/// Splits one line into arguments like Redis's `sdssplitargs`; `None` on
/// unbalanced quotes or a closing quote not followed by a space.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        // A NUL ends the line, as it ends the C string sdssplitargs reads;
        // without this check an unquoted NUL made an endless run of empty args.
        if i >= bytes.len() || bytes[i] == 0 {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let c = bytes.get(i).copied();
            if in_double {
                match c {
                    None => return None,
                    Some(b'\\') if i + 3 < bytes.len() && bytes[i + 1] == b'x' => {
                        match (hex(bytes[i + 2]), hex(bytes[i + 3])) {
                            (Some(h), Some(l)) => {
                                current.push(h * 16 + l);
                                i += 3;
                            }
                            _ => current.push(b'\\'),
                        }
                    }
                    Some(b'\\') if i + 1 < bytes.len() => {
                        i += 1;
                        current.push(match bytes[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        // A closing quote must end the argument.
                        if i + 1 < bytes.len() && !is_space(bytes[i + 1]) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match c {
                    None => return None,
                    Some(b'\\') if bytes.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if i + 1 < bytes.len() && !is_space(bytes[i + 1]) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t' | 0) => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            i += 1;
        }
        args.push(String::from_utf8_lossy(&current).into_owned());
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Parses a memory value like Redis's `memtoull`: digits then an optional unit
/// among b, k, kb, m, mb, g, gb (case-insensitive; k = 1000, kb = 1024).
/// Unlike Redis, a value that overflows 64 bits is refused rather than wrapped.
pub fn mem_to_u64(value: &str) -> Option<u64> {
    if value.starts_with('-') {
        return None;
    }
    let digits_end = value
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis reads an empty digit run ("" or "kb") as zero.
    let number: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    number.checked_mul(multiplier)
}

/// `yes` -> true, `no` -> false (case-insensitive), anything else `None`.
pub fn yes_no(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// Parses an integer like Redis's `strtoll` with a full-consumption check:
/// optional leading spaces and sign, then digits only.
pub fn strtoll_exact(value: &str) -> Option<i64> {
    let trimmed = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if unsigned.is_empty() && trimmed.is_empty() {
        // strtoll("") stops at once and leaves nothing unparsed: zero.
        return Some(0);
    }
    unsigned.parse().ok()
}

/// Quotes a value the way `sdscatrepr` does, for CONFIG REWRITE.
pub fn repr(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for &b in value.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

/// Formats bytes as CONFIG REWRITE does: `4gb`, `64mb`, `1kb` when exact, else bytes.
pub fn format_memory(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    const GB: u64 = 1024 * 1024 * 1024;
    match bytes {
        0 => "0".into(),
        b if b % GB == 0 => format!("{}gb", b / GB),
        b if b % MB == 0 => format!("{}mb", b / MB),
        b if b % KB == 0 => format!("{}kb", b / KB),
        b => b.to_string(),
    }
}

/// Formats a percentile as Redis's `%f` followed by `trimDoubleString`.
pub fn format_percentile(value: f64) -> String {
    let s = format!("{value:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Glob matching as Redis's `stringmatchlen`: `*`, `?`, `[...]` with `^` and
/// ranges, `\` escapes. Iterative: a `*` remembers where to resume, so a hostile
/// pattern costs at most pattern x text steps and no stack.
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                while pattern.get(p) == Some(&b'*') {
                    p += 1;
                }
                if p == pattern.len() {
                    return true;
                }
                resume = Some((p, t));
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => match_class(pattern, p, text[t], nocase),
            Some(b'\\') if p + 1 < pattern.len() => eq(pattern[p + 1], text[t]).then_some(p + 2),
            Some(&c) => eq(c, text[t]).then_some(p + 1),
            None => None,
        };
        match step {
            Some(next) => {
                p = next;
                t += 1;
            }
            None => match resume {
                Some((rp, rt)) => {
                    p = rp;
                    t = rt + 1;
                    resume = Some((rp, rt + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// Matches one byte against the class starting at `pattern[start] == '['`;
/// returns the index after the class when it matches.
fn match_class(pattern: &[u8], start: usize, c: u8, nocase: bool) -> Option<usize> {
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let c = fold(c);
    let mut p = start + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        match pattern.get(p) {
            // An unterminated class ends at the pattern's end, as in Redis.
            None => {
                p = pattern.len();
                break;
            }
            Some(b']') => {
                p += 1;
                break;
            }
            Some(b'\\') if p + 1 < pattern.len() => {
                matched |= fold(pattern[p + 1]) == c;
                p += 2;
            }
            Some(&lo) if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() => {
                let (mut a, mut b) = (fold(lo), fold(pattern[p + 2]));
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                matched |= c >= a && c <= b;
                p += 3;
            }
            Some(&other) => {
                matched |= fold(other) == c;
                p += 1;
            }
        }
    }
    (matched != negate).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s)
    }

    #[test]
    fn split_args_follows_sdssplitargs() {
        assert_eq!(split("save 900 1").unwrap(), ["save", "900", "1"]);
        assert_eq!(split("  a\t b  ").unwrap(), ["a", "b"]);
        assert_eq!(split(r#"x "a b\n\x41""#).unwrap(), ["x", "a b\nA"]);
        assert_eq!(split(r#"x 'it\'s'"#).unwrap(), ["x", "it's"]);
        assert_eq!(split(r#"x "" ''"#).unwrap(), ["x", "", ""]);
        assert_eq!(split(r#"x "\xZZ""#).unwrap(), ["x", "\\xZZ"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert!(split(r#"x "open"#).is_none());
        assert!(split(r#"x 'open"#).is_none());
        assert!(split(r#"x "a"b"#).is_none());
    }

    #[test]
    fn memory_units_like_memtoull() {
        assert_eq!(mem_to_u64("100"), Some(100));
        assert_eq!(mem_to_u64("1k"), Some(1000));
        assert_eq!(mem_to_u64("1KB"), Some(1024));
        assert_eq!(mem_to_u64("2m"), Some(2_000_000));
        assert_eq!(mem_to_u64("2Mb"), Some(2 * 1024 * 1024));
        assert_eq!(mem_to_u64("1g"), Some(1_000_000_000));
        assert_eq!(mem_to_u64("1gb"), Some(1 << 30));
        assert_eq!(mem_to_u64("5b"), Some(5));
        assert_eq!(mem_to_u64(""), Some(0));
        assert_eq!(mem_to_u64("-1"), None);
        assert_eq!(mem_to_u64("1tb"), None);
        assert_eq!(mem_to_u64("1.5mb"), None);
        assert_eq!(mem_to_u64("99999999999999999999gb"), None);
    }

    #[test]
    fn repr_and_memory_format() {
        assert_eq!(repr("a\"b\\\n\x01"), r#""a\"b\\\n\x01""#);
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
    }

    #[test]
    fn glob_like_stringmatch() {
        let m = |p: &str, t: &str| glob_match(p.as_bytes(), t.as_bytes(), true);
        assert!(m("*", "maxmemory"));
        assert!(m("max*", "maxmemory-policy"));
        assert!(m("*policy", "maxmemory-policy"));
        assert!(m("MAX*", "maxmemory"));
        assert!(m("h?", "hz"));
        assert!(!m("h?", "hzz"));
        assert!(m("[a-c]*", "bind"));
        assert!(!m("[^a-c]*", "bind"));
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a*b", "ac"));
        assert!(m("*a*a*a*a*b", "aaaaaaaaaaaaab"));
        assert!(!m("*a*a*a*a*b", &"a".repeat(200)));
    }
}
