//! RESP2/RESP3 frames: a streaming parser and an encoder, with no I/O.

pub mod encode;

pub use encode::Protocol;
