//! From query buffer to argument vector: the glue between the socket's bytes and
//! the `resp` request parser.
//!
//! The parser reports argument ranges inside the buffer; here the consumed prefix
//! is split off and frozen once, and every argument becomes a `Bytes` slice of it,
//! so arguments reach the keyspace without a copy. While a large bulk argument is
//! still arriving, the parser tells how many bytes it needs; [`RequestReader`]
//! remembers that so the buffer is not re-parsed on every read, and so the reader
//! can size the next read to fit (Redis's "big arg" optimisation).

use bytes::{Buf, Bytes, BytesMut};
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
                let mut frame = qbuf.split_to(consumed).freeze();
                // The last argument takes the frame itself: each slice costs an
                // atomic increment now and a decrement when it drops, and a
                // PING or GET has one or two arguments in all.
                if let Some((&(last_start, last_end), rest)) = args.as_slice().split_last() {
                    argv.extend(rest.iter().map(|&(s, e)| frame.slice(s..e)));
                    frame.truncate(last_end);
                    frame.advance(last_start);
                    argv.push(frame);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_requests_come_out_whole_and_in_order() {
        let mut qbuf = BytesMut::from(
            &b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\nGET  x\r\n*2\r\n$3\r\nGE"[..],
        );
        let mut reader = RequestReader::default();
        let mut argv = Vec::new();
        let limits = Limits::default();
        let mut requests = Vec::new();
        while reader.next_request(&mut qbuf, &limits, &mut argv).unwrap() {
            requests.push(argv.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
        }
        let expected: Vec<Vec<Vec<u8>>> = vec![
            vec![b"SET".to_vec(), b"k".to_vec(), b"value".to_vec()],
            vec![b"PING".to_vec()],
            vec![b"GET".to_vec(), b"x".to_vec()],
        ];
        assert_eq!(requests, expected);
        assert_eq!(&qbuf[..], b"*2\r\n$3\r\nGE", "the partial request stays");
    }
}
