//! Scores and ranges of sorted sets, read and printed exactly as Redis 7.0 does.
//!
//! Three parsers meet a user's bytes here, and Redis gives each slightly different
//! rules, so each is kept apart:
//! - a score to store (ZADD, ZINCRBY, WEIGHTS) goes through `string2d`: C's
//!   `strtod` over the whole argument, no leading space, no NaN, and no overflow
//!   to ±HUGE_VAL (though "inf" spelled out is fine);
//! - a score range bound (ZRANGEBYSCORE, ZCOUNT, ...) goes through `strtod`
//!   alone (`zslParseRange`): an optional "(" makes it exclusive, overflow is
//!   allowed, and an empty string reads as 0, as C's `strtod` does;
//! - a lex range bound is "-" or "+" (the sentinels below and above every
//!   string), or "(" / "[" followed by the bytes (`zslParseLexRangeItem`).
//!
//! Listpack encodings store a score as text the way `zzlInsertAt` does: an
//! integral value that fits in ±2^62 as a decimal integer (so `-0` becomes `0`),
//! anything else as `%.17g`, which reads back to the same `f64`.

use std::cmp::Ordering;

/// A score range (`zrangespec`): `min` and `max` with their exclusive flags.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// True when `min` itself is excluded ("(1.5").
    pub min_exclusive: bool,
    /// True when `max` itself is excluded.
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// Parses ZRANGEBYSCORE-style bounds (`zslParseRange`); None means
    /// "ERR min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_exclusive) = parse_score_bound(min)?;
        let (max, max_exclusive) = parse_score_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    /// `zslValueGteMin`.
    pub fn gte_min(&self, value: f64) -> bool {
        if self.min_exclusive {
            value > self.min
        } else {
            value >= self.min
        }
    }

    /// `zslValueLteMax`.
    pub fn lte_max(&self, value: f64) -> bool {
        if self.max_exclusive {
            value < self.max
        } else {
            value <= self.max
        }
    }

    /// True for ranges that can never hold anything (min > max, or an
    /// exclusive bound on a single point).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }
}

/// One bound of a score range: "(" marks it exclusive; the rest is `strtod`'s.
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, exclusive) = match arg.split_first() {
        Some((b'(', rest)) => (rest, true),
        _ => (arg, false),
    };
    let (value, used, _) = c_strtod(text);
    // Redis checks `eptr[0] != '\0'`: the argument is a C string, so parsing
    // stops at an embedded NUL and what follows it is never looked at.
    let rest_ok = text.get(used).is_none_or(|b| *b == 0);
    (rest_ok && !value.is_nan()).then_some((value, exclusive))
}

/// A bound of a lex range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// "-": below every string (Redis's `shared.minstring`).
    Min,
    /// "+": above every string (`shared.maxstring`).
    Max,
    /// "[" or "(" followed by these bytes.
    Bytes(Vec<u8>),
}

/// A lex range (`zlexrangespec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// Lower bound.
    pub min: LexBound,
    /// Upper bound.
    pub max: LexBound,
    /// True when `min` is exclusive ("(" or the "-" sentinel).
    pub min_exclusive: bool,
    /// True when `max` is exclusive ("(" or the "+" sentinel).
    pub max_exclusive: bool,
}

impl LexRange {
    /// Parses ZRANGEBYLEX-style bounds (`zslParseLexRange`); None means
    /// "ERR min or max not valid string range item".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        let (min, min_exclusive) = parse_lex_bound(min)?;
        let (max, max_exclusive) = parse_lex_bound(max)?;
        Some(LexRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    /// `zslLexValueGteMin`.
    pub fn gte_min(&self, value: &[u8]) -> bool {
        let cmp = compare_value_bound(value, &self.min);
        if self.min_exclusive {
            cmp == Ordering::Greater
        } else {
            cmp != Ordering::Less
        }
    }

    /// `zslLexValueLteMax`.
    pub fn lte_max(&self, value: &[u8]) -> bool {
        let cmp = compare_value_bound(value, &self.max);
        if self.max_exclusive {
            cmp == Ordering::Less
        } else {
            cmp != Ordering::Greater
        }
    }

    /// True for ranges that can never hold anything (`zslIsInLexRange`'s test).
    pub fn is_empty(&self) -> bool {
        let cmp = compare_bounds(&self.min, &self.max);
        cmp == Ordering::Greater
            || (cmp == Ordering::Equal && (self.min_exclusive || self.max_exclusive))
    }
}

/// `zslParseLexRangeItem`: "+", "-", "(bytes" or "[bytes".
fn parse_lex_bound(arg: &[u8]) -> Option<(LexBound, bool)> {
    match arg.split_first() {
        // Redis compares C strings: "+\0x" is still just "+".
        Some((b'+', rest)) if rest.first().is_none_or(|b| *b == 0) => Some((LexBound::Max, true)),
        Some((b'-', rest)) if rest.first().is_none_or(|b| *b == 0) => Some((LexBound::Min, true)),
        Some((b'(', rest)) => Some((LexBound::Bytes(rest.to_vec()), true)),
        Some((b'[', rest)) => Some((LexBound::Bytes(rest.to_vec()), false)),
        _ => None,
    }
}

/// `sdscmplex` of a member against a bound.
fn compare_value_bound(value: &[u8], bound: &LexBound) -> Ordering {
    match bound {
        LexBound::Min => Ordering::Greater,
        LexBound::Max => Ordering::Less,
        LexBound::Bytes(b) => value.cmp(b.as_slice()),
    }
}

/// `sdscmplex` of two bounds: a sentinel equals only itself.
fn compare_bounds(a: &LexBound, b: &LexBound) -> Ordering {
    match (a, b) {
        (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
        (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
        (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
        (LexBound::Bytes(x), LexBound::Bytes(y)) => x.cmp(y),
    }
}

/// Parses a score to store (`string2d`): None means "ERR value is not a valid float".
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    let first = *arg.first()?;
    if is_c_space(first) {
        return None;
    }
    let (value, used, overflow) = c_strtod(arg);
    if used != arg.len() || value.is_nan() || overflow {
        return None;
    }
    Some(value)
}

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// C's `strtod` on glibc: the value, how many bytes it read (0 when nothing is a
/// number), and whether it hit ERANGE with a result of ±HUGE_VAL or zero (the
/// cases `string2d` refuses).
pub fn c_strtod(text: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while text.get(i).is_some_and(|b| is_c_space(*b)) {
        i += 1;
    }
    let negative = text.get(i) == Some(&b'-');
    if matches!(text.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &text[i.min(text.len())..];
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return (sign * f64::INFINITY, i + len, false);
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut len = 3;
        // "nan(chars)" is one token when the parenthesis closes.
        if rest.get(3) == Some(&b'(') {
            let close = rest[4..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
            if let Some(p) = close {
                if rest.get(4 + p) == Some(&b')') {
                    len = 5 + p;
                }
            }
        }
        return (sign * f64::NAN, i + len, false);
    }
    if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((value, used)) = hex_float(&rest[2..]) {
            let overflow = value.is_infinite();
            return (sign * value, i + 2 + used, overflow);
        }
        // "0x" with no hex digit reads as the "0" alone.
        return (sign * 0.0, i + 1, false);
    }
    match decimal_float(rest) {
        Some((value, used, nonzero_digits)) => {
            let overflow = value.is_infinite() || (value == 0.0 && nonzero_digits);
            (sign * value, i + used, overflow)
        }
        None => (0.0, 0, false),
    }
}

fn starts_with_ignore_case(text: &[u8], word: &[u8]) -> bool {
    text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word)
}

/// The longest decimal number at the start of `text`: value, bytes read, and
/// whether any mantissa digit was non-zero (to tell underflow from a real 0).
fn decimal_float(text: &[u8]) -> Option<(f64, usize, bool)> {
    let digits = |from: usize| {
        text[from.min(text.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_digits = digits(0);
    let mut end = int_digits;
    let mut frac_digits = 0;
    if text.get(end) == Some(&b'.') {
        frac_digits = digits(end + 1);
        if int_digits + frac_digits > 0 {
            end += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let nonzero = text[..end].iter().any(|b| (b'1'..=b'9').contains(b));
    if matches!(text.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(text.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp_digits = digits(j);
        if exp_digits > 0 {
            end = j + exp_digits;
        }
    }
    let literal = std::str::from_utf8(&text[..end]).ok()?;
    // Rust's parser rounds correctly, as glibc does, and accepts "1." and ".5".
    let value: f64 = literal.parse().ok()?;
    Some((value, end, nonzero))
}

/// A hexadecimal float after its "0x": digits, an optional point, an optional
/// binary exponent "p±d". Rounds once, from a 64-bit mantissa.
fn hex_float(text: &[u8]) -> Option<(f64, usize)> {
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut seen_digit = false;
    let mut i = 0;
    let mut after_point = false;
    while let Some(&b) = text.get(i) {
        if b == b'.' && !after_point {
            after_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (b as char).to_digit(16) else {
            break;
        };
        seen_digit = true;
        if mantissa >> 60 == 0 {
            mantissa = (mantissa << 4) | u64::from(d);
            if after_point {
                exponent -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_point {
                exponent += 4;
            }
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if matches!(text.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let negative = text.get(j) == Some(&b'-');
        if matches!(text.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let start = j;
        let mut e: i64 = 0;
        while let Some(d) = text.get(j).filter(|b| b.is_ascii_digit()) {
            e = (e * 10 + i64::from(d - b'0')).min(1 << 20);
            j += 1;
        }
        if j > start {
            exponent += if negative { -e } else { e };
            i = j;
        }
    }
    let mantissa = mantissa | u64::from(sticky);
    let value = (mantissa as f64) * 2f64.powi(exponent.clamp(-2000, 2000) as i32);
    Some((value, i))
}

/// `double2ll`: the integer equal to `score` when it is integral and within
/// ±(2^63-1)/2, the range where Redis prints and stores scores as integers.
pub fn score_as_i64(score: f64) -> Option<i64> {
    let bound = (i64::MAX / 2) as f64;
    if score.is_nan() || !(-bound..=bound).contains(&score) {
        return None;
    }
    let n = score as i64;
    (n as f64 == score).then_some(n)
}

/// A score as a listpack stores it (`zzlInsertAt`): an integer when
/// `double2ll` allows, otherwise `d2string`'s text (`%.17g`, "inf", "-inf").
pub fn score_to_listpack_text(score: f64) -> String {
    match score_as_i64(score) {
        Some(n) => n.to_string(),
        None => resp::format_double(score),
    }
}

/// A listpack score's text read back (`zzlStrtod`: at most 127 bytes, `strtod`).
pub fn score_from_listpack_text(text: &[u8]) -> f64 {
    c_strtod(&text[..text.len().min(127)]).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2d_rules() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"1e3"), Some(1000.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"5."), Some(5.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"abc",
            b"1e400",
            b"1e-400",
            b"1x",
            b"1\0",
        ] {
            assert_eq!(parse_score(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn score_ranges_follow_zsl_parse_range() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.min_exclusive && !r.max_exclusive && r.max == f64::INFINITY);
        assert!(!r.gte_min(1.0) && r.gte_min(1.5));
        // strtod reads "" as 0, and a bare "(" as an exclusive 0.
        assert_eq!(
            ScoreRange::parse(b"", b"(").map(|r| (r.min, r.max)),
            Some((0.0, 0.0))
        );
        assert!(ScoreRange::parse(b"1e400", b"2").is_some());
        assert!(ScoreRange::parse(b"a", b"2").is_none());
        assert!(ScoreRange::parse(b"nan", b"2").is_none());
        assert!(ScoreRange::parse(b"((1", b"2").is_none());
    }

    #[test]
    fn lex_ranges_follow_zsl_parse_lex_range() {
        let r = LexRange::parse(b"-", b"[b").unwrap();
        assert!(r.gte_min(b"") && r.lte_max(b"b") && !r.lte_max(b"ba"));
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"+a", b"+").is_none());
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
    }

    #[test]
    fn listpack_score_text() {
        assert_eq!(score_to_listpack_text(3.0), "3");
        assert_eq!(score_to_listpack_text(-0.0), "0");
        assert_eq!(score_to_listpack_text(1.5), "1.5");
        assert_eq!(score_to_listpack_text(f64::INFINITY), "inf");
        assert_eq!(score_to_listpack_text(1e300), "1.0000000000000001e+300");
        assert_eq!(score_from_listpack_text(b"1.0000000000000001e+300"), 1e300);
        assert_eq!(score_from_listpack_text(b"-inf"), f64::NEG_INFINITY);
        assert_eq!(score_as_i64(4e18), Some(4_000_000_000_000_000_000));
        assert_eq!(score_as_i64(5e18), None);
    }
}
