//! Protocol errors: what a malformed request or reply stream is rejected with.
//!
//! The request-side variants carry Redis 7.0's exact texts from
//! `processMultibulkBuffer` / `processInlineBuffer` in `networking.c`. Redis replies
//! `-ERR <text>` and then closes the connection (`CLIENT_CLOSE_AFTER_REPLY`) after
//! running the commands that preceded the bad one in the pipeline; so `Display` gives
//! the text without the `ERR ` prefix, which the server adds when it writes the reply.
//! The frame-side variants are for the client-side reply parser and have no Redis
//! equivalent on the wire.

use std::fmt;

/// A malformed request (server side) or reply stream (client side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// `*<count>` is not a number or exceeds the multibulk limit.
    InvalidMultibulkLength,
    /// More than 10 arguments from a client that still has to authenticate.
    UnauthenticatedMultibulkLength,
    /// An argument header did not start with `$`; holds the byte found instead.
    ExpectedDollar(u8),
    /// `$<len>` is not a number, negative, or above `proto-max-bulk-len`.
    InvalidBulkLength,
    /// A bulk argument above 16384 bytes from a client that still has to authenticate.
    UnauthenticatedBulkLength,
    /// More than 64 KiB without the CR that ends the `*<count>` line.
    TooBigMbulkCount,
    /// More than 64 KiB without the CR that ends a `$<len>` line.
    TooBigBulkCount,
    /// More than 64 KiB without the newline that ends an inline command.
    TooBigInline,
    /// An inline command whose quotes do not close, or close before a non-space.
    UnbalancedQuotes,
    /// Reply parser: a frame started with a byte that is no RESP2/RESP3 type.
    InvalidFrameType(u8),
    /// Reply parser: a frame is malformed; the text says how.
    InvalidFrame(&'static str),
    /// Reply parser: aggregates are nested deeper than [`crate::frame::MAX_DEPTH`].
    TooDeep,
}

impl ProtocolError {
    /// The message as raw bytes, exactly as Redis would put it after `-ERR `.
    ///
    /// Differs from `Display` only for [`ProtocolError::ExpectedDollar`] with a
    /// non-ASCII byte, which Redis echoes raw (and `Display` cannot, being UTF-8).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            ProtocolError::ExpectedDollar(byte) => {
                let mut text = b"Protocol error: expected '$', got '".to_vec();
                text.push(*byte);
                text.push(b'\'');
                text
            }
            other => other.to_string().into_bytes(),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ProtocolError::InvalidMultibulkLength => "Protocol error: invalid multibulk length",
            ProtocolError::UnauthenticatedMultibulkLength => {
                "Protocol error: unauthenticated multibulk length"
            }
            ProtocolError::ExpectedDollar(byte) => {
                return write!(
                    f,
                    "Protocol error: expected '$', got '{}'",
                    char::from(*byte)
                );
            }
            ProtocolError::InvalidBulkLength => "Protocol error: invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => {
                "Protocol error: unauthenticated bulk length"
            }
            ProtocolError::TooBigMbulkCount => "Protocol error: too big mbulk count string",
            ProtocolError::TooBigBulkCount => "Protocol error: too big bulk count string",
            ProtocolError::TooBigInline => "Protocol error: too big inline request",
            ProtocolError::UnbalancedQuotes => "Protocol error: unbalanced quotes in request",
            ProtocolError::InvalidFrameType(byte) => {
                return write!(f, "Protocol error: invalid frame type byte 0x{byte:02x}");
            }
            ProtocolError::InvalidFrame(why) => return write!(f, "Protocol error: {why}"),
            ProtocolError::TooDeep => "Protocol error: frames nested too deep",
        };
        f.write_str(text)
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_error_texts_match_redis_7_0() {
        let cases = [
            (
                ProtocolError::InvalidMultibulkLength,
                "Protocol error: invalid multibulk length",
            ),
            (
                ProtocolError::UnauthenticatedMultibulkLength,
                "Protocol error: unauthenticated multibulk length",
            ),
            (
                ProtocolError::ExpectedDollar(b'X'),
                "Protocol error: expected '$', got 'X'",
            ),
            (
                ProtocolError::InvalidBulkLength,
                "Protocol error: invalid bulk length",
            ),
            (
                ProtocolError::UnauthenticatedBulkLength,
                "Protocol error: unauthenticated bulk length",
            ),
            (
                ProtocolError::TooBigMbulkCount,
                "Protocol error: too big mbulk count string",
            ),
            (
                ProtocolError::TooBigBulkCount,
                "Protocol error: too big bulk count string",
            ),
            (
                ProtocolError::TooBigInline,
                "Protocol error: too big inline request",
            ),
            (
                ProtocolError::UnbalancedQuotes,
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
            assert_eq!(error.to_bytes(), text.as_bytes());
        }
    }

    #[test]
    fn expected_dollar_echoes_the_raw_byte() {
        assert_eq!(
            ProtocolError::ExpectedDollar(0xff).to_bytes(),
            b"Protocol error: expected '$', got '\xff'"
        );
    }
}
