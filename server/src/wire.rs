//! From query buffer to argument vector: the glue between the socket's bytes and
//! the `resp` request parser.
//!
//! The parser reports argument ranges inside the buffer; here the consumed prefix
//! is split off and frozen once, and every argument becomes a `Bytes` slice of it,
//! so arguments reach the keyspace without a copy.

use bytes::{Bytes, BytesMut};

/// The limits a request must respect (from the config and the client's state).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// Unauthenticated clients get much tighter limits, as in Redis.
    pub authenticated: bool,
}

/// Takes one request off the front of `qbuf` into `argv`.
/// Ok(true): a request was consumed (argv may be empty for a blank line);
/// Ok(false): more bytes are needed; Err: a protocol error (text without "ERR ").
pub fn next_request(qbuf: &mut BytesMut, limits: &Limits, argv: &mut Vec<Bytes>) -> Result<bool, String> {
    argv.clear();
    if qbuf.is_empty() {
        return Ok(false);
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let consumed = if qbuf[0] == b'*' {
        match multibulk(qbuf, limits, &mut ranges)? {
            Some(n) => n,
            None => return Ok(false),
        }
    } else {
        match inline(qbuf, &mut ranges)? {
            Some(n) => n,
            None => return Ok(false),
        }
    };
    let frame = qbuf.split_to(consumed).freeze();
    argv.extend(ranges.iter().map(|&(s, e)| frame.slice(s..e)));
    Ok(true)
}

fn line_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?.windows(2).position(|w| w == b"\r\n").map(|p| from + p)
}

fn number(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn multibulk(buf: &[u8], limits: &Limits, ranges: &mut Vec<(usize, usize)>) -> Result<Option<usize>, String> {
    let Some(end) = line_end(buf, 1) else {
        if buf.len() > 64 * 1024 {
            return Err("Protocol error: too big mbulk count string".into());
        }
        return Ok(None);
    };
    let count = number(&buf[1..end]).ok_or("Protocol error: invalid multibulk length")?;
    if count > i64::from(i32::MAX) || (!limits.authenticated && count > 10) {
        return Err("Protocol error: invalid multibulk length".into());
    }
    let mut pos = end + 2;
    for _ in 0..count.max(0) {
        let Some(&first) = buf.get(pos) else { return Ok(None) };
        if first != b'$' {
            return Err(format!("Protocol error: expected '$', got '{}'", char::from(first)));
        }
        let Some(end) = line_end(buf, pos + 1) else {
            if buf.len() - pos > 64 * 1024 {
                return Err("Protocol error: too big bulk count string".into());
            }
            return Ok(None);
        };
        let len = number(&buf[pos + 1..end]).ok_or("Protocol error: invalid bulk length")?;
        if len < 0 || len as u64 > limits.proto_max_bulk_len || (!limits.authenticated && len > 16384) {
            return Err("Protocol error: invalid bulk length".into());
        }
        let start = end + 2;
        let stop = start + len as usize;
        if buf.len() < stop + 2 {
            return Ok(None);
        }
        ranges.push((start, stop));
        pos = stop + 2;
    }
    Ok(Some(pos))
}

fn inline(buf: &[u8], ranges: &mut Vec<(usize, usize)>) -> Result<Option<usize>, String> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > 64 * 1024 {
            return Err("Protocol error: too big inline request".into());
        }
        return Ok(None);
    };
    let line_stop = if nl > 0 && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    let mut i = 0;
    while i < line_stop {
        while i < line_stop && buf[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < line_stop && !buf[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            ranges.push((start, i));
        }
    }
    Ok(Some(nl + 1))
}
