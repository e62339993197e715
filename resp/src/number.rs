//! Strict decimal integers, as Redis's `string2ll` (src/util.c) reads them.
//!
//! Every length on the wire goes through this: no sign but `-`, no spaces, no
//! leading zeros (only "0" itself), at most 20 characters, no overflow. Being strict
//! means a number's text round-trips, and it is why `*03\r\n` is a protocol error.

/// Redis's `LONG_STR_SIZE`: texts this long or longer are never valid numbers.
const LONG_STR_SIZE: usize = 21;

/// Parses `text` as Redis's `string2ll` does; `None` where Redis returns 0.
pub fn string2ll(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() >= LONG_STR_SIZE {
        return None;
    }
    if text == b"0" {
        return Some(0);
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(first) {
        return None;
    }
    let mut value = u64::from(first - b'0');
    for &byte in rest {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    if negative {
        // i64::MIN's magnitude is one more than i64::MAX's.
        if value > i64::MAX as u64 + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_redis_accepts() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn rejects_what_redis_rejects() {
        for text in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"100000000000000000000",
        ] {
            assert_eq!(string2ll(text), None, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
