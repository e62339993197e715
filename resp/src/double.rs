//! Doubles as Redis prints them in replies.
//!
//! Redis 7.0's `addReplyDouble` prints with C's `"%.17g"`: 17 significant digits,
//! enough for any `f64` to read back unchanged, in fixed notation when the decimal
//! exponent is in `-4..17` and in `1.2345e+20` notation otherwise, with trailing
//! zeros dropped. Infinities are written `inf` / `-inf` explicitly; NaN goes through
//! glibc's printf, which writes `nan` or `-nan` by the sign bit.
//!
//! INCRBYFLOAT and HINCRBYFLOAT instead print their result with `ld2string(...,
//! LD_STR_HUMAN)` from `util.c`: `"%.17Lf"` on an 80-bit `long double`, then the
//! trailing zeros and dot removed, and `-0` turned into `0`. Rust has no `long
//! double`; [`format_long_double_human`] is the `f64` equivalent, documented there.

/// The text of `value` as C's `printf("%.17g", value)` on glibc, as Redis 7.0 replies it.
pub fn format_double(value: f64) -> String {
    double_text(value).as_str().to_string()
}

/// Room for any `%.17g` text (see [`DoubleText`]).
const DOUBLE_TEXT_MAX: usize = 32;

/// The `%.17g` text of a double, held on the stack: replies with scores
/// (ZRANGE WITHSCORES, ZPOPMIN) format one per member, and a `String` each
/// cost an allocation and its growth (3% of ZPOPMIN -P 16's profile).
/// 32 bytes hold any of them: the longest, `-0.000` and 17 digits or
/// `-d.` 16 digits `e-308`, take 24.
#[derive(Clone, Copy)]
pub struct DoubleText {
    bytes: [u8; DOUBLE_TEXT_MAX],
    len: usize,
}

impl DoubleText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written into `bytes`.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(DOUBLE_TEXT_MAX);
        let n = end - self.len;
        self.bytes[self.len..end].copy_from_slice(&bytes[..n]);
        self.len = end;
    }
}

impl std::fmt::Write for DoubleText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > DOUBLE_TEXT_MAX {
            return Err(std::fmt::Error);
        }
        self.push(s.as_bytes());
        Ok(())
    }
}

/// `%.17g` of `value` without allocating: the steps of the C format (the
/// decimal exponent X of the value rounded to 17 digits picks fixed notation
/// for -4 <= X < 17, else `d.ddde±XX`; trailing zeros dropped), written into
/// stack buffers. Integral values below 1e17, the common case for scores, are
/// exact as integers and skip the float conversions.
pub fn double_text(value: f64) -> DoubleText {
    use std::fmt::Write;
    let mut out = DoubleText {
        bytes: [0; DOUBLE_TEXT_MAX],
        len: 0,
    };
    let special: Option<&[u8]> = if value.is_nan() {
        Some(if value.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        })
    } else if value.is_infinite() {
        Some(if value > 0.0 { b"inf" } else { b"-inf" })
    } else if value == 0.0 {
        Some(if value.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        })
    } else {
        None
    };
    if let Some(text) = special {
        out.push(text);
        return out;
    }
    if value.fract() == 0.0 && value.abs() < 1e17 {
        let _ = write!(out, "{}", value as i64);
        return out;
    }
    let mut scientific = DoubleText {
        bytes: [0; DOUBLE_TEXT_MAX],
        len: 0,
    };
    // "-d.dddddddddddddddde-XXX" fits: at most 24 bytes.
    let _ = write!(scientific, "{value:.16e}");
    let (mantissa, exponent) = scientific
        .as_str()
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..17).contains(&exponent) {
        let _ = write!(out, "{:.*}", (16 - exponent) as usize, value);
        out.len = strip_fraction_zeros(out.as_str()).len();
    } else {
        out.push(strip_fraction_zeros(mantissa).as_bytes());
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    }
    out
}

/// The text of an INCRBYFLOAT result: Redis's `ld2string(LD_STR_HUMAN)` for an `f64`.
///
/// Redis prints a `long double` with 17 digits after the point and strips the
/// zeros; with a 64-bit mantissa that usually shows the decimal the user typed
/// (`10.5 + 0.1` prints `10.6`). An `f64` printed with 17 fraction digits would show
/// its binary error (`10.59999999999999964`), so this prints the shortest decimal that
/// reads back as the same `f64`, in fixed notation, cut to at most 17 fraction digits
/// as Redis's format is. The outputs differ where the `f64` sum itself differs from
/// the `long double` one: `0.1 + 0.2` prints `0.30000000000000004` here and `0.3`
/// in Redis. Infinities print `inf` / `-inf`; `-0` prints `0`.
pub fn format_long_double_human(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    // Rust's Display for f64 is the shortest round-trip form and never uses an exponent.
    let mut text = value.to_string();
    let fraction_digits = text
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    if fraction_digits > 17 {
        text = strip_fraction_zeros(&format!("{value:.17}")).to_string();
    }
    if text == "-0" {
        text = "0".to_string();
    }
    text
}

/// Drops trailing zeros after a decimal point, and the point if nothing follows it.
fn strip_fraction_zeros(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests;
