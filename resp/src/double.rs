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
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The decimal exponent after rounding to 17 digits decides the notation, as C does.
    let scientific = format!("{value:.16e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..17).contains(&exponent) {
        let fixed = format!("{:.*}", (16 - exponent) as usize, value);
        strip_fraction_zeros(&fixed).to_string()
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{}{:02}",
            strip_fraction_zeros(mantissa),
            sign,
            exponent.unsigned_abs()
        )
    }
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
