//! RESP2 and RESP3 frames as a tree, and their encoding.
//!
//! The server writes replies with the streaming helpers in [`crate::encode`]; this
//! tree is for the other side of the wire: replicas reading their master's replies,
//! drills and tests reading the server's. Every RESP3 type from the protocol spec
//! (`RESP3.md` in redis/redis-specification) has a variant, and the three RESP2
//! nulls (`$-1`, `*-1`) stay distinct from RESP3's `_` so that a frame encodes back
//! to the very bytes it was parsed from.
//!
//! Encoding walks the tree with an explicit stack rather than recursion, like the
//! parser in [`crate::frame_parse`], so neither depends on the thread's stack size.

use bytes::{BufMut, BytesMut};

use crate::double::format_double;
use crate::encode;

/// How deeply the parser lets aggregates nest (Redis's own replies nest a few levels).
pub const MAX_DEPTH: usize = 128;

/// One RESP2/RESP3 value.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text`: a status such as OK.
    Simple(bytes::Bytes),
    /// `-CODE message`: an error reply.
    Error(bytes::Bytes),
    /// `:n`.
    Integer(i64),
    /// `$len` + payload: a binary-safe string.
    Bulk(bytes::Bytes),
    /// `$-1`: RESP2's null bulk string.
    NullBulk,
    /// `*-1`: RESP2's null array.
    NullArray,
    /// `_`: RESP3's null.
    Null,
    /// `*n`: an array.
    Array(Vec<Frame>),
    /// `%n`: a map of `n` key/value pairs, in wire order.
    Map(Vec<(Frame, Frame)>),
    /// `~n`: a set.
    Set(Vec<Frame>),
    /// `,`: a double (`inf`, `-inf` and `nan` included).
    Double(f64),
    /// `#t` / `#f`.
    Boolean(bool),
    /// `(digits`: an integer too big for 64 bits, kept as its decimal text.
    BigNumber(bytes::Bytes),
    /// `=len` + `fmt:text`: verbatim text with a three-byte format such as `txt`.
    Verbatim {
        /// The format, `txt` or `mkd`.
        format: [u8; 3],
        /// The text after `fmt:`.
        text: bytes::Bytes,
    },
    /// `!len` + payload: RESP3's binary-safe error.
    BlobError(bytes::Bytes),
    /// `>n`: an out-of-band push (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// `|n`: attributes about the frame that follows, then that frame.
    Attribute {
        /// The attribute pairs.
        attributes: Vec<(Frame, Frame)>,
        /// The reply they describe.
        frame: Box<Frame>,
    },
}

impl Frame {
    /// Appends the RESP encoding of this frame to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        let mut stack: Vec<&Frame> = vec![self];
        while let Some(frame) = stack.pop() {
            match frame {
                Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                    header(out, aggregate_prefix(frame), items.len());
                    stack.extend(items.iter().rev());
                }
                Frame::Map(pairs) => {
                    header(out, b'%', pairs.len());
                    push_pairs(&mut stack, pairs);
                }
                Frame::Attribute { attributes, frame } => {
                    header(out, b'|', attributes.len());
                    stack.push(frame);
                    push_pairs(&mut stack, attributes);
                }
                scalar => encode_scalar(scalar, out),
            }
        }
    }
}

/// The type byte of an array-like aggregate.
fn aggregate_prefix(frame: &Frame) -> u8 {
    match frame {
        Frame::Set(_) => b'~',
        Frame::Push(_) => b'>',
        _ => b'*',
    }
}

/// Queues `pairs` so that they pop key, value, key, value in order.
fn push_pairs<'a>(stack: &mut Vec<&'a Frame>, pairs: &'a [(Frame, Frame)]) {
    for (key, value) in pairs.iter().rev() {
        stack.push(value);
        stack.push(key);
    }
}

/// Appends `prefix`, the decimal `n` and CRLF.
fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut digits = [0u8; 20];
    out.put_u8(prefix);
    out.extend_from_slice(encode::format_i64(n as i64, &mut digits));
    out.extend_from_slice(b"\r\n");
}

/// Appends a frame that has no children.
fn encode_scalar(frame: &Frame, out: &mut BytesMut) {
    match frame {
        Frame::Simple(text) => line(out, b'+', text),
        Frame::Error(text) => line(out, b'-', text),
        Frame::Integer(n) => encode::integer(out, *n),
        Frame::Bulk(payload) => encode::bulk(out, payload),
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Double(value) => line(out, b',', format_double(*value).as_bytes()),
        Frame::Boolean(value) => out.extend_from_slice(if *value { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::BigNumber(digits) => line(out, b'(', digits),
        Frame::Verbatim { format, text } => {
            encode::verbatim(out, format, text, encode::Protocol::Resp3)
        }
        Frame::BlobError(payload) => {
            header(out, b'!', payload.len());
            out.extend_from_slice(payload);
            out.extend_from_slice(b"\r\n");
        }
        // Aggregates are expanded by `Frame::encode`; they never reach here.
        Frame::Array(_) | Frame::Map(_) | Frame::Set(_) | Frame::Push(_) => {}
        Frame::Attribute { .. } => {}
    }
}

/// `<prefix><text>\r\n`, the text written as is (the caller keeps CR/LF out of it).
fn line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(prefix);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}
