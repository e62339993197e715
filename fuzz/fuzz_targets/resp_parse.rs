//! Fuzzes both RESP parsers: the server's request parser and the client's frame
//! parser, asserting the invariants in `resp::fuzz` (split consistency, bounds).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    resp::fuzz::check_request_parser(data);
});
