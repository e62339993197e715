//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP): clients that wait for a key to receive data.
//!
//! (Stub: the lead is writing the real framework; the API below is final.)

use bytes::Bytes;

use crate::command::Ctx;

/// Blocks the calling client on `keys` until one of them may have data, or until
/// `timeout_ms` passes (0: forever). Call it from a blocking handler when none of
/// the keys has anything to pop, and return without replying: when a write
/// touches one of the keys, the framework runs the same command again (same
/// argv) for the waiting clients in arrival order; if it calls `block` again, the
/// client keeps waiting with its original deadline and place in line. On timeout
/// the client gets a null array, as in Redis. Inside MULTI/EXEC nothing blocks:
/// `block` replies the null array at once.
pub fn block(ctx: &mut Ctx, args: &[Bytes], keys: &[Bytes], timeout_ms: u64) {
    let _ = (args, keys, timeout_ms);
    ctx.reply().null_array();
}

/// Parses a blocking timeout in seconds (a float, as Redis 7.0 accepts) into
/// milliseconds, with Redis's errors ("ERR timeout is not a float or out of
/// range", "ERR timeout is negative").
pub fn parse_timeout(arg: &[u8]) -> Result<u64, &'static str> {
    let text = std::str::from_utf8(arg).map_err(|_| "ERR timeout is not a float or out of range")?;
    let seconds: f64 = text
        .parse()
        .map_err(|_| "ERR timeout is not a float or out of range")?;
    if !seconds.is_finite() {
        return Err("ERR timeout is not a float or out of range");
    }
    if seconds < 0.0 {
        return Err("ERR timeout is negative");
    }
    Ok((seconds * 1000.0).round() as u64)
}
