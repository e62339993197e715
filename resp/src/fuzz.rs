//! Invariant checks shared by the fuzz target (`fuzz/fuzz_targets/resp_parse.rs`)
//! and the test that replays the fuzz corpus (`resp/tests/fuzz_corpus.rs`).
//!
//! Each check panics when an invariant breaks, which is what libFuzzer reports. The
//! invariants: the parsers never panic; every split of the input gives either "need
//! more" or the very result of the whole input; a "need more" hint is larger than the
//! bytes given and holds until that many are there; consumed counts and argument
//! ranges stay inside the input; a parsed frame encodes to bytes that parse back to it.

use bytes::BytesMut;

use crate::frame_parse::parse_frame;
use crate::request::{parse_request, Limits, Parsed};

/// The most requests or frames one input is walked through, to bound the work.
const MAX_PIPELINE: usize = 64;

/// Runs both parsers over `data` and asserts their invariants; panics on a violation.
pub fn check_request_parser(data: &[u8]) {
    let strict = Limits {
        proto_max_bulk_len: 100,
        authenticated: false,
        ..Limits::default()
    };
    for limits in [Limits::default(), strict] {
        check_requests(data, &limits);
    }
    check_frames(data);
}

/// Prefix lengths worth trying for an input whose result is decided by `decided` bytes.
fn split_points(decided: usize) -> Vec<usize> {
    if decided <= 256 {
        return (0..decided).collect();
    }
    let mut points: Vec<usize> = (0..64).chain(decided - 64..decided).collect();
    points.extend((1..64).map(|i| decided * i / 64));
    points
}

/// Walks the pipelined requests in `data`, checking each one.
fn check_requests(data: &[u8], limits: &Limits) {
    let mut offset = 0;
    for _ in 0..MAX_PIPELINE {
        let input = &data[offset..];
        let full = parse_request(input, limits);
        let decided = match &full {
            Ok(Parsed::Complete { args, consumed }) => {
                assert!(!args.is_empty() && *consumed > 0 && *consumed <= input.len());
                let mut previous_end = 0;
                for &(start, end) in args.as_slice() {
                    assert!(previous_end <= start && start <= end && end <= *consumed);
                    previous_end = end;
                }
                *consumed
            }
            Ok(Parsed::CompleteOwned { args, consumed }) => {
                assert!(!args.is_empty() && *consumed > 0 && *consumed <= input.len());
                *consumed
            }
            Ok(Parsed::Skip { consumed }) => {
                assert!(*consumed > 0 && *consumed <= input.len());
                *consumed
            }
            Ok(Parsed::Incomplete { needed_hint }) => {
                assert!(needed_hint.is_none_or(|hint| hint > input.len()));
                input.len()
            }
            Err(_) => input.len(),
        };
        for split in split_points(decided) {
            let partial = parse_request(&input[..split], limits);
            match &partial {
                Ok(Parsed::Incomplete { needed_hint }) => {
                    if let Some(hint) = *needed_hint {
                        assert!(hint > split, "hint {hint} at {split}");
                        // Every prefix shorter than the hint must still be incomplete.
                        let last_short = hint.min(input.len() + 1) - 1;
                        let later = parse_request(&input[..last_short], limits);
                        assert!(
                            matches!(later, Ok(Parsed::Incomplete { .. })),
                            "hint {hint} broken"
                        );
                    }
                }
                other => assert_eq!(other, &full, "prefix of {split} bytes parses differently"),
            }
        }
        match full {
            Ok(Parsed::Complete { consumed, .. })
            | Ok(Parsed::CompleteOwned { consumed, .. })
            | Ok(Parsed::Skip { consumed }) => offset += consumed,
            _ => return,
        }
    }
}

/// Walks the frames in `data`, checking each one.
fn check_frames(data: &[u8]) {
    let mut offset = 0;
    for _ in 0..MAX_PIPELINE {
        let input = &data[offset..];
        let full = parse_frame(input);
        let decided = match &full {
            Ok(Some((_, consumed))) => {
                assert!(*consumed > 0 && *consumed <= input.len());
                *consumed
            }
            _ => input.len(),
        };
        for split in split_points(decided) {
            let partial = parse_frame(&input[..split]);
            assert!(
                matches!(partial, Ok(None)) || partial == full,
                "prefix of {split} bytes parses differently"
            );
        }
        let Ok(Some((frame, consumed))) = full else {
            return;
        };
        let mut encoded = BytesMut::new();
        frame.encode(&mut encoded);
        let Ok(Some((again, used))) = parse_frame(&encoded) else {
            panic!("an encoded frame does not parse back: {frame:?}");
        };
        assert_eq!(used, encoded.len());
        let mut reencoded = BytesMut::new();
        again.encode(&mut reencoded);
        assert_eq!(encoded, reencoded, "encoding is not stable for {frame:?}");
        offset += consumed;
    }
}
