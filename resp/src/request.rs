//! The server's request parser: bytes from a client's query buffer to argument ranges.
//!
//! This mirrors `processInputBuffer` in Redis's `networking.c`. The first byte of a
//! request picks its form: `*` starts a multibulk (`*<argc>\r\n` then `argc` times
//! `$<len>\r\n<payload>\r\n`), anything else is an inline command, one line typed by
//! a human (see [`crate::inline`]). A multibulk count of zero or less, or a blank
//! inline line, is consumed silently with no command, as Redis does.
//!
//! The parser is stateless: each call starts at `buf[0]` and either finds one whole
//! request, or says it needs more bytes, or fails. Arguments are returned as byte
//! ranges into `buf`, so the server can slice a frozen `Bytes` without copying, and
//! a request of up to [`ArgRanges::INLINE_CAPACITY`] arguments does not allocate.
//!
//! Quirks kept from Redis 7.0, on purpose:
//! * a header line ends at the first CR; the byte after it is skipped unchecked, and
//!   so are the two bytes after a bulk payload (`$3\r\nfooXY` reads `foo`);
//! * Redis searches with `strchr`, which stops at a NUL byte: a NUL before the CR (or
//!   before the newline of an inline command) means the line can never end, and the
//!   client waits until 64 KiB are buffered and then gets the "too big" error;
//! * `PROTO_INLINE_MAX_SIZE` (64 KiB): Redis errors when that much is buffered
//!   without the line's end. Redis checks after each read, so whether a longer line
//!   passes depends on how the bytes arrived; here a line longer than 64 KiB is an
//!   error however it arrives, so that every split of the input parses alike.
//!
//! Invariant: for any prefix of an input, the result is either `Incomplete` or the
//! very result of the whole input; `Incomplete`'s hint never exceeds the length at
//! which the result is decided.

use crate::error::ProtocolError;
use crate::inline;
use crate::number::string2ll;

/// Redis's `PROTO_INLINE_MAX_SIZE`: the longest line searched for its end.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Redis refuses more arguments than this from a client that has not authenticated.
pub const UNAUTHENTICATED_MAX_MULTIBULK: i64 = 10;

/// Redis refuses bulk arguments longer than this from a client that has not authenticated.
pub const UNAUTHENTICATED_MAX_BULK: i64 = 16384;

/// The bounds a request is checked against, from config and the client's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `proto-max-bulk-len`: the longest bulk argument (Redis skips it for its master: pass `u64::MAX`).
    pub proto_max_bulk_len: u64,
    /// The largest `*<argc>` accepted (Redis 7.0: `INT_MAX`).
    pub max_multibulk_len: i64,
    /// False while Redis's `authRequired(c)` holds: a password is set and AUTH not done.
    pub authenticated: bool,
    /// `client-query-buffer-limit`: not a parse rule; see [`Limits::query_buffer_exceeded`].
    pub query_buffer_limit: u64,
}

impl Default for Limits {
    /// Redis 7.0's defaults, for a client that needs no password.
    fn default() -> Self {
        Limits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i64::from(i32::MAX),
            authenticated: true,
            query_buffer_limit: 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Whether a query buffer of `buffered` bytes must close the client.
    ///
    /// Redis checks this after every read, outside the parser, and closes the
    /// client without a reply (logging "Closing client that reached max query
    /// buffer length"); masters are exempt.
    pub fn query_buffer_exceeded(&self, buffered: usize) -> bool {
        buffered as u64 > self.query_buffer_limit
    }
}

/// Argument byte ranges `(start, end)`, half-open, into the parsed buffer.
///
/// Up to [`ArgRanges::INLINE_CAPACITY`] ranges live inline; more move to the heap.
#[derive(Clone, Debug)]
pub struct ArgRanges {
    len: usize,
    inline: [(usize, usize); ArgRanges::INLINE_CAPACITY],
    spill: Vec<(usize, usize)>,
}

impl ArgRanges {
    /// How many ranges fit without allocating (SET with options fits).
    pub const INLINE_CAPACITY: usize = 8;

    /// An empty list.
    pub fn new() -> Self {
        ArgRanges {
            len: 0,
            inline: [(0, 0); Self::INLINE_CAPACITY],
            spill: Vec::new(),
        }
    }

    /// An empty list ready for `expected` ranges; never reserves more than asked.
    fn with_expected(expected: usize) -> Self {
        let mut ranges = Self::new();
        if expected > Self::INLINE_CAPACITY {
            ranges.spill.reserve_exact(expected);
        }
        ranges
    }

    /// Appends one range.
    pub fn push(&mut self, range: (usize, usize)) {
        if self.len < Self::INLINE_CAPACITY && self.spill.is_empty() {
            self.inline[self.len] = range;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline[..self.len]);
            }
            self.spill.push(range);
        }
        self.len += 1;
    }

    /// The ranges, in argument order.
    pub fn as_slice(&self) -> &[(usize, usize)] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The arguments as slices of `buf`, the buffer that was parsed.
    pub fn slices<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.as_slice()
            .iter()
            .map(move |&(start, end)| buf.get(start..end).unwrap_or(&[]))
    }
}

impl Default for ArgRanges {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for ArgRanges {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ArgRanges {}

/// The outcome of one call to [`parse_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// One command, its arguments as ranges of the buffer; `consumed` bytes are used.
    Complete {
        /// Argument ranges into the buffer; never empty.
        args: ArgRanges,
        /// Bytes this request took, including its final CRLF.
        consumed: usize,
    },
    /// An inline command whose quotes or escapes changed bytes, so its arguments are owned.
    CompleteOwned {
        /// The unquoted arguments; never empty.
        args: Vec<Vec<u8>>,
        /// Bytes this request took, including its newline.
        consumed: usize,
    },
    /// `*0`, `*-1` (any count <= 0) or a blank inline line: skip `consumed` bytes, run nothing.
    Skip {
        /// Bytes to drop from the buffer.
        consumed: usize,
    },
    /// The buffer holds only part of a request.
    Incomplete {
        /// A buffer length below which the result cannot change, when known
        /// (while waiting for a bulk payload: the end of that payload and its CRLF).
        needed_hint: Option<usize>,
    },
}

/// Parses the request at the start of `buf`, as Redis's `processInputBuffer` would.
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Parsed, ProtocolError> {
    match buf.first() {
        None => Ok(Parsed::Incomplete { needed_hint: None }),
        Some(b'*') => parse_multibulk(buf, limits),
        Some(_) => inline::parse_inline(buf),
    }
}

/// Where the header line starting at `start` ends (the index of its CR), as Redis's
/// `strchr(..., '\r')` plus its "buffer should also contain \n" check decide.
/// `Ok(None)` means wait for more bytes; `too_big` is the error past 64 KiB.
fn find_header_end(
    buf: &[u8],
    start: usize,
    too_big: ProtocolError,
) -> Result<Option<usize>, ProtocolError> {
    let rest = buf.get(start..).unwrap_or(&[]);
    match rest.iter().position(|&b| b == b'\r' || b == 0) {
        Some(offset) if rest[offset] == b'\r' => {
            // A prefix of `offset` bytes would already have failed the 64 KiB rule.
            if offset > PROTO_INLINE_MAX_SIZE {
                return Err(too_big);
            }
            if offset + 2 > rest.len() {
                return Ok(None);
            }
            Ok(Some(start + offset))
        }
        // No CR, or a NUL before it: strchr finds nothing, however much arrives.
        _ if rest.len() > PROTO_INLINE_MAX_SIZE => Err(too_big),
        _ => Ok(None),
    }
}

/// The hot path's shortcut for a header `<type><digits>\r<any>` at `start`: returns
/// the number and the CR's index when the digits are a plain positive number of at
/// most 18 digits (so no overflow and no leading zero), else `None` for the general path.
#[inline(always)]
fn fast_header(buf: &[u8], start: usize) -> Option<(i64, usize)> {
    let mut i = start + 1;
    let first = *buf.get(i)?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut value = i64::from(first - b'0');
    i += 1;
    let limit = i + 17;
    while i < limit {
        let byte = *buf.get(i)?;
        if byte.is_ascii_digit() {
            value = value * 10 + i64::from(byte - b'0');
            i += 1;
        } else if byte == b'\r' && i + 1 < buf.len() {
            return Some((value, i));
        } else {
            return None;
        }
    }
    None
}

/// Reads the header line at `start` whose type byte is already checked or to be
/// checked by the caller; returns its number (or `None` if not a valid number) and
/// the CR's index, or `Ok(None)` to wait.
#[inline(always)]
fn read_header(
    buf: &[u8],
    start: usize,
    too_big: ProtocolError,
) -> Result<Option<(Option<i64>, usize)>, ProtocolError> {
    if let Some((value, cr)) = fast_header(buf, start) {
        return Ok(Some((Some(value), cr)));
    }
    let Some(cr) = find_header_end(buf, start, too_big)? else {
        return Ok(None);
    };
    Ok(Some((string2ll(buf.get(start + 1..cr).unwrap_or(&[])), cr)))
}

/// `processMultibulkBuffer`: `buf` starts with `*`.
fn parse_multibulk(buf: &[u8], limits: &Limits) -> Result<Parsed, ProtocolError> {
    const WAIT: Parsed = Parsed::Incomplete { needed_hint: None };
    let Some((count, cr)) = read_header(buf, 0, ProtocolError::TooBigMbulkCount)? else {
        return Ok(WAIT);
    };
    let count = match count {
        Some(count) if count <= limits.max_multibulk_len => count,
        _ => return Err(ProtocolError::InvalidMultibulkLength),
    };
    if count > UNAUTHENTICATED_MAX_MULTIBULK && !limits.authenticated {
        return Err(ProtocolError::UnauthenticatedMultibulkLength);
    }
    let mut pos = cr + 2;
    if count <= 0 {
        return Ok(Parsed::Skip { consumed: pos });
    }
    // Each argument takes at least 6 bytes (`$0\r\n\r\n`): reserve no more than the
    // bytes present could hold, whatever count the client claims.
    let present = (buf.len() - pos) / 6;
    let mut args = ArgRanges::with_expected((count as u64).min(present as u64) as usize);
    for _ in 0..count {
        let Some((len, cr)) = read_header(buf, pos, ProtocolError::TooBigBulkCount)? else {
            return Ok(WAIT);
        };
        let type_byte = buf[pos];
        if type_byte != b'$' {
            return Err(ProtocolError::ExpectedDollar(type_byte));
        }
        let len = match len {
            Some(len) if len >= 0 && len as u64 <= limits.proto_max_bulk_len => len,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        if len > UNAUTHENTICATED_MAX_BULK && !limits.authenticated {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        let start = cr + 2;
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
        else {
            return Ok(WAIT);
        };
        let needed = end.saturating_add(2);
        if buf.len() < needed {
            return Ok(Parsed::Incomplete {
                needed_hint: Some(needed),
            });
        }
        args.push((start, end));
        pos = needed;
    }
    Ok(Parsed::Complete {
        args,
        consumed: pos,
    })
}

#[cfg(test)]
mod tests;
