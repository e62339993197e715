//! The RESP encoder: appends one reply element at a time to an output buffer.
//!
//! Redis builds replies the same way (`addReplyBulk`, `addReplyArrayLen`, ...): a
//! reply is a stream of headers and payloads written straight into the client's
//! buffer, never a tree built first. The protocol version matters only for the
//! types RESP2 lacks: there a map is an array of 2n elements, a null bulk is
//! `$-1`, a double is a bulk string, and a boolean is an integer.

use bytes::{BufMut, BytesMut};

/// Which protocol the client chose with HELLO (2 is the default, as in Redis).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default for every new connection.
    #[default]
    Resp2,
    /// RESP3, chosen by `HELLO 3`.
    Resp3,
}

/// Appends `prefix`, the decimal `n` and CRLF.
fn header(out: &mut BytesMut, prefix: u8, n: i64) {
    let mut digits = [0u8; 20];
    let text = format_i64(n, &mut digits);
    out.reserve(text.len() + 3);
    out.put_u8(prefix);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// Formats `n` in decimal into `buf` and returns the used tail, without allocating.
pub fn format_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut pos = buf.len();
    let negative = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// `+text\r\n`: a status reply such as OK or PONG.
pub fn simple(out: &mut BytesMut, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(b'+');
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// `-message\r\n`: an error; `message` starts with its code (`ERR`, `WRONGTYPE`, ...).
pub fn error(out: &mut BytesMut, message: &[u8]) {
    out.reserve(message.len() + 3);
    out.put_u8(b'-');
    // A newline inside an error would desynchronise the client: Redis replaces them.
    for &b in message {
        out.put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
    }
    out.extend_from_slice(b"\r\n");
}

/// `:n\r\n`.
pub fn integer(out: &mut BytesMut, n: i64) {
    header(out, b':', n);
}

/// `$len\r\npayload\r\n`.
pub fn bulk(out: &mut BytesMut, payload: &[u8]) {
    // One reservation for the whole frame: a buffer sized to fit header and
    // payload exactly would otherwise double for the trailing CRLF, and a large
    // value would leave half of its reply buffer empty.
    out.reserve(payload.len() + 24);
    header(out, b'$', payload.len() as i64);
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// The null bulk string: `$-1` in RESP2, `_` in RESP3.
pub fn null(out: &mut BytesMut, proto: Protocol) {
    match proto {
        Protocol::Resp2 => out.extend_from_slice(b"$-1\r\n"),
        Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
    }
}

/// The null array: `*-1` in RESP2, `_` in RESP3.
pub fn null_array(out: &mut BytesMut, proto: Protocol) {
    match proto {
        Protocol::Resp2 => out.extend_from_slice(b"*-1\r\n"),
        Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
    }
}

/// An array header of `n` elements.
pub fn array_len(out: &mut BytesMut, n: usize) {
    header(out, b'*', n as i64);
}

/// A map header of `n` pairs: `%n` in RESP3, an array of `2n` in RESP2.
pub fn map_len(out: &mut BytesMut, n: usize, proto: Protocol) {
    match proto {
        Protocol::Resp2 => header(out, b'*', 2 * n as i64),
        Protocol::Resp3 => header(out, b'%', n as i64),
    }
}

/// A set header: `~n` in RESP3, an array in RESP2.
pub fn set_len(out: &mut BytesMut, n: usize, proto: Protocol) {
    match proto {
        Protocol::Resp2 => header(out, b'*', n as i64),
        Protocol::Resp3 => header(out, b'~', n as i64),
    }
}

/// A push header (pub/sub, MONITOR under RESP3): `>n` in RESP3, an array in RESP2.
pub fn push_len(out: &mut BytesMut, n: usize, proto: Protocol) {
    match proto {
        Protocol::Resp2 => header(out, b'*', n as i64),
        Protocol::Resp3 => header(out, b'>', n as i64),
    }
}

/// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
pub fn boolean(out: &mut BytesMut, value: bool, proto: Protocol) {
    match proto {
        Protocol::Resp2 => integer(out, i64::from(value)),
        Protocol::Resp3 => out.extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" }),
    }
}

/// Verbatim text (INFO, CLIENT LIST, LATENCY DOCTOR): `=len\r\ntxt:...` in RESP3,
/// a bulk string in RESP2.
pub fn verbatim(out: &mut BytesMut, format: &[u8; 3], text: &[u8], proto: Protocol) {
    match proto {
        Protocol::Resp2 => bulk(out, text),
        Protocol::Resp3 => {
            header(out, b'=', text.len() as i64 + 4);
            out.extend_from_slice(format);
            out.put_u8(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A double as Redis 7.0's `addReplyDouble` writes it: `,<%.17g>` in RESP3, a bulk
/// string of the same text in RESP2 (see [`crate::double::format_double`]).
pub fn double(out: &mut BytesMut, value: f64, proto: Protocol) {
    let text = crate::double::double_text(value);
    match proto {
        Protocol::Resp2 => bulk(out, text.as_bytes()),
        Protocol::Resp3 => {
            out.reserve(text.as_bytes().len() + 3);
            out.put_u8(b',');
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_format_like_redis() {
        let mut out = BytesMut::new();
        integer(&mut out, i64::MIN);
        integer(&mut out, 0);
        integer(&mut out, 42);
        assert_eq!(&out[..], b":-9223372036854775808\r\n:0\r\n:42\r\n");
    }

    #[test]
    fn maps_are_flat_arrays_in_resp2() {
        let mut out = BytesMut::new();
        map_len(&mut out, 2, Protocol::Resp2);
        map_len(&mut out, 2, Protocol::Resp3);
        assert_eq!(&out[..], b"*4\r\n%2\r\n");
    }

    #[test]
    fn doubles_are_bulk_in_resp2_and_typed_in_resp3() {
        let mut out = BytesMut::new();
        double(&mut out, 1.5, Protocol::Resp2);
        double(&mut out, 0.1, Protocol::Resp3);
        double(&mut out, f64::NEG_INFINITY, Protocol::Resp2);
        double(&mut out, f64::INFINITY, Protocol::Resp3);
        assert_eq!(
            &out[..],
            &b"$3\r\n1.5\r\n,0.10000000000000001\r\n$4\r\n-inf\r\n,inf\r\n"[..]
        );
    }
}
