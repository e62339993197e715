//! From query buffer to argument vector: the glue between the socket's bytes and
//! the `resp` request parser.
//!
//! The parser reports argument ranges inside the buffer; here the consumed prefix
//! is split off and frozen once, and every argument becomes a `Bytes` slice of it,
//! so arguments reach the keyspace without a copy. While a large bulk argument is
//! still arriving, the parser tells how many bytes it needs; [`RequestReader`]
//! remembers that so the buffer is not re-parsed on every read, and so the reader
//! can size the next read to fit (Redis's "big arg" optimisation).

use bytes::{Bytes, BytesMut};
use resp::{parse_request, Limits, Parsed};

/// Per-connection parsing state.
#[derive(Debug, Default)]
pub struct RequestReader {
    /// Don't parse again until the buffer holds this many bytes.
    needed: usize,
}

impl RequestReader {
    /// How many bytes the buffer must hold before parsing can make progress.
    pub fn needed(&self) -> usize {
        self.needed
    }

    /// Takes one request off the front of `qbuf` into `argv`.
    /// Ok(true): a request was consumed (argv is empty for a blank line or `*0`);
    /// Ok(false): more bytes are needed; Err: the protocol error's text (no "ERR ").
    pub fn next_request(
        &mut self,
        qbuf: &mut BytesMut,
        limits: &Limits,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, resp::ProtocolError> {
        argv.clear();
        if qbuf.is_empty() || qbuf.len() < self.needed {
            return Ok(false);
        }
        self.needed = 0;
        match parse_request(qbuf, limits)? {
            Parsed::Complete { args, consumed } => {
                let frame = qbuf.split_to(consumed).freeze();
                argv.extend(args.as_slice().iter().map(|&(s, e)| frame.slice(s..e)));
            }
            Parsed::CompleteOwned { args, consumed } => {
                let _ = qbuf.split_to(consumed);
                argv.extend(args.into_iter().map(Bytes::from));
            }
            Parsed::Skip { consumed } => {
                let _ = qbuf.split_to(consumed);
            }
            Parsed::Incomplete { needed_hint } => {
                self.needed = needed_hint.unwrap_or(0);
                return Ok(false);
            }
        }
        Ok(true)
    }
}
