//! RESP2/RESP3 frames: a streaming parser and an encoder, with no I/O.
//!
//! Two directions, two designs. Requests flow into the server through
//! [`parse_request`], the hot path: Redis's `processInputBuffer` rules, multibulk
//! and inline, returning argument *ranges* so the server slices its buffer without
//! copying. Replies flow out through the streaming helpers in [`encode`], written
//! straight into a client's output buffer as Redis's `addReply*` functions do. The
//! [`Frame`] tree and [`parse_frame`] serve the client side (replicas, drills,
//! tests). [`fuzz`] holds the invariant checks the fuzz target and tests share.
//!
//! Nothing here reads a socket or a clock, nothing recurses on input nesting, and no
//! length read from the wire reserves memory before the bytes it describes arrive.

pub mod double;
pub mod encode;
pub mod error;
pub mod frame;
pub mod frame_parse;
pub mod fuzz;
mod inline;
pub mod number;
pub mod request;

pub use double::{double_text, format_double, format_long_double_human, DoubleText};
pub use encode::Protocol;
pub use error::ProtocolError;
pub use frame::Frame;
pub use frame_parse::parse_frame;
pub use request::{parse_request, ArgRanges, Limits, Parsed};
