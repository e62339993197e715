//! The client-side streaming parser: bytes to one [`Frame`] at a time.
//!
//! `parse_frame` is given everything received so far and either returns the first
//! whole frame and the bytes it took, or `Ok(None)` to wait for more; it keeps no
//! state between calls. Hostile input cannot exhaust the stack or the heap:
//! aggregates are tracked on an explicit stack bounded by [`MAX_DEPTH`], and an
//! aggregate reserves room only for as many children as the bytes already received
//! could hold (each child takes at least 3 bytes, as `_\r\n` does), whatever count
//! its header claims. Header lines are read with nom's streaming combinators.

use bytes::Bytes;
use nom::bytes::streaming::{tag, take_until};
use nom::sequence::terminated;

use crate::error::ProtocolError;
use crate::frame::{Frame, MAX_DEPTH};
use crate::number::string2ll;

/// The fewest bytes any frame takes (`_\r\n`).
const MIN_FRAME_LEN: usize = 3;

/// Which aggregate an open header started.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Array,
    Set,
    Push,
    Map,
    Attribute,
}

/// An aggregate whose children are still being read.
struct Open {
    kind: Kind,
    expected: usize,
    items: Vec<Frame>,
}

/// What one header produced: a whole frame, or an aggregate expecting children.
enum Item {
    Done(Frame),
    Open(Kind, usize),
}

/// Parses the first frame in `buf`: `Ok(Some((frame, consumed)))`, or `Ok(None)` to wait.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut pos = 0;
    loop {
        let Some((item, next)) = parse_item(buf, pos)? else {
            return Ok(None);
        };
        pos = next;
        let mut done = match item {
            Item::Done(frame) => frame,
            Item::Open(kind, 0) => finish(Open {
                kind,
                expected: 0,
                items: Vec::new(),
            }),
            Item::Open(kind, expected) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ProtocolError::TooDeep);
                }
                let room = (buf.len() - pos) / MIN_FRAME_LEN;
                stack.push(Open {
                    kind,
                    expected,
                    items: Vec::with_capacity(expected.min(room)),
                });
                continue;
            }
        };
        // Hand the finished frame to its parent; close every parent it completes.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(Some((done, pos)));
            };
            top.items.push(done);
            if top.items.len() < top.expected {
                break;
            }
            let Some(open) = stack.pop() else { break };
            done = finish(open);
        }
    }
}

/// Builds the frame of an aggregate whose children are all read.
fn finish(open: Open) -> Frame {
    match open.kind {
        Kind::Array => Frame::Array(open.items),
        Kind::Set => Frame::Set(open.items),
        Kind::Push => Frame::Push(open.items),
        Kind::Map => Frame::Map(pairs(open.items)),
        Kind::Attribute => {
            let mut items = open.items;
            // `expected` counted the described frame after the pairs, so it is there.
            let frame = items.pop().unwrap_or(Frame::Null);
            Frame::Attribute {
                attributes: pairs(items),
                frame: Box::new(frame),
            }
        }
    }
}

/// Groups a flat key, value, key, value list into pairs.
fn pairs(items: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut iter = items.into_iter();
    while let (Some(key), Some(value)) = (iter.next(), iter.next()) {
        out.push((key, value));
    }
    out
}

/// The text of the CRLF-terminated line starting at `pos`, and the index after it.
fn header_line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let input = buf.get(pos..)?;
    let parsed: nom::IResult<&[u8], &[u8]> = terminated(take_until("\r\n"), tag("\r\n"))(input);
    let (rest, text) = parsed.ok()?;
    Some((text, buf.len() - rest.len()))
}

/// Reads the header at `pos`, and for blob types the payload too.
fn parse_item(buf: &[u8], pos: usize) -> Result<Option<(Item, usize)>, ProtocolError> {
    let Some(&type_byte) = buf.get(pos) else {
        return Ok(None);
    };
    let Some((text, next)) = header_line(buf, pos + 1) else {
        return Ok(None);
    };
    let item = match type_byte {
        b'+' => Frame::Simple(Bytes::copy_from_slice(text)),
        b'-' => Frame::Error(Bytes::copy_from_slice(text)),
        b':' => {
            Frame::Integer(string2ll(text).ok_or(ProtocolError::InvalidFrame("invalid integer"))?)
        }
        b'$' | b'!' | b'=' => return parse_blob(buf, type_byte, text, next),
        b'*' | b'~' | b'>' | b'%' | b'|' => return aggregate(type_byte, text, next),
        b'_' if text.is_empty() => Frame::Null,
        b'_' => return Err(ProtocolError::InvalidFrame("invalid null")),
        b',' => Frame::Double(parse_double(text)?),
        b'#' => match text {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(ProtocolError::InvalidFrame("invalid boolean")),
        },
        b'(' if is_big_number(text) => Frame::BigNumber(Bytes::copy_from_slice(text)),
        b'(' => return Err(ProtocolError::InvalidFrame("invalid big number")),
        other => return Err(ProtocolError::InvalidFrameType(other)),
    };
    Ok(Some((Item::Done(item), next)))
}

/// `$`, `!` and `=`: a length, then that many bytes and CRLF.
fn parse_blob(
    buf: &[u8],
    type_byte: u8,
    text: &[u8],
    start: usize,
) -> Result<Option<(Item, usize)>, ProtocolError> {
    let len = string2ll(text).ok_or(ProtocolError::InvalidFrame("invalid bulk length"))?;
    if len == -1 && type_byte == b'$' {
        return Ok(Some((Item::Done(Frame::NullBulk), start)));
    }
    let len =
        usize::try_from(len).map_err(|_| ProtocolError::InvalidFrame("invalid bulk length"))?;
    let Some(end) = start
        .checked_add(len)
        .filter(|&end| end <= buf.len().saturating_sub(2))
    else {
        return Ok(None);
    };
    if buf.get(end..end + 2) != Some(b"\r\n") {
        return Err(ProtocolError::InvalidFrame(
            "bulk payload not followed by CRLF",
        ));
    }
    let payload = &buf[start..end];
    let frame = match type_byte {
        b'$' => Frame::Bulk(Bytes::copy_from_slice(payload)),
        b'!' => Frame::BlobError(Bytes::copy_from_slice(payload)),
        _ => match payload {
            [a, b, c, b':', text @ ..] => Frame::Verbatim {
                format: [*a, *b, *c],
                text: Bytes::copy_from_slice(text),
            },
            _ => return Err(ProtocolError::InvalidFrame("invalid verbatim string")),
        },
    };
    Ok(Some((Item::Done(frame), end + 2)))
}

/// `*`, `~`, `>`, `%` and `|`: a count of children to read next.
fn aggregate(
    type_byte: u8,
    text: &[u8],
    next: usize,
) -> Result<Option<(Item, usize)>, ProtocolError> {
    let invalid = ProtocolError::InvalidFrame("invalid aggregate length");
    let count = string2ll(text).ok_or(invalid.clone())?;
    if count == -1 && type_byte == b'*' {
        return Ok(Some((Item::Done(Frame::NullArray), next)));
    }
    let count = usize::try_from(count).map_err(|_| invalid.clone())?;
    let (kind, children) = match type_byte {
        b'*' => (Kind::Array, Some(count)),
        b'~' => (Kind::Set, Some(count)),
        b'>' => (Kind::Push, Some(count)),
        b'%' => (Kind::Map, count.checked_mul(2)),
        _ => (
            Kind::Attribute,
            count.checked_mul(2).and_then(|n| n.checked_add(1)),
        ),
    };
    Ok(Some((Item::Open(kind, children.ok_or(invalid)?), next)))
}

/// `,` payloads: a decimal or exponent number, `inf`, `-inf` or `nan`.
fn parse_double(text: &[u8]) -> Result<f64, ProtocolError> {
    std::str::from_utf8(text)
        .ok()
        .filter(|text| !text.is_empty())
        .and_then(|text| text.parse::<f64>().ok())
        .ok_or(ProtocolError::InvalidFrame("invalid double"))
}

/// `(` payloads: an optional sign, then one or more digits.
fn is_big_number(text: &[u8]) -> bool {
    let digits = match text.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests;
