//! Property tests: frames and requests survive encoding and every split of their
//! bytes, and arbitrary bytes never make either parser panic.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use resp::{parse_frame, parse_request, Frame, Limits, Parsed};

/// Text without CR or LF, as simple strings and errors require.
fn line_text() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..12,
    )
    .prop_map(Bytes::from)
}

fn blob() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from)
}

fn scalar() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_text().prop_map(Frame::Simple),
        line_text().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        blob().prop_map(Frame::Bulk),
        Just(Frame::NullBulk),
        Just(Frame::NullArray),
        Just(Frame::Null),
        any::<f64>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[1-9][0-9]{0,40}".prop_map(|digits| Frame::BigNumber(Bytes::from(digits))),
        blob().prop_map(|text| Frame::Verbatim {
            format: *b"txt",
            text
        }),
        blob().prop_map(Frame::BlobError),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    scalar().prop_recursive(4, 32, 4, |inner| {
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..3);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attributes, frame)| Frame::Attribute {
                attributes,
                frame: Box::new(frame)
            }),
        ]
    })
}

/// Quotes `arg` so that sdssplitargs reads it back, as redis-cli's repr does.
fn quote(arg: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in arg {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x21..=0x7e | b' ' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn request_args(parsed: &Parsed, buf: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    match parsed {
        Parsed::Complete { args, consumed } => {
            Some((args.slices(buf).map(<[u8]>::to_vec).collect(), *consumed))
        }
        Parsed::CompleteOwned { args, consumed } => Some((args.clone(), *consumed)),
        _ => None,
    }
}

proptest! {
    #[test]
    fn frames_round_trip_at_every_split(frame in frame()) {
        let mut wire = BytesMut::new();
        frame.encode(&mut wire);
        let whole = parse_frame(&wire);
        prop_assert_eq!(whole.clone(), Ok(Some((frame, wire.len()))));
        for split in 0..wire.len() {
            prop_assert_eq!(parse_frame(&wire[..split]), Ok(None));
        }
    }

    #[test]
    fn multibulk_requests_parse_identically_at_every_split(
        args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..6),
        tail in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut wire = BytesMut::new();
        resp::encode::array_len(&mut wire, args.len());
        for arg in &args {
            resp::encode::bulk(&mut wire, arg);
        }
        let len = wire.len();
        wire.extend_from_slice(&tail);
        let limits = Limits::default();
        let whole = parse_request(&wire, &limits).unwrap();
        prop_assert_eq!(request_args(&whole, &wire), Some((args, len)));
        for split in 0..len {
            let partial = parse_request(&wire[..split], &limits).unwrap();
            prop_assert!(matches!(partial, Parsed::Incomplete { .. }), "{:?}", partial);
        }
    }

    #[test]
    fn inline_requests_parse_identically_at_every_split(
        args in proptest::collection::vec(proptest::collection::vec(1u8..=255, 1..10), 1..5),
        crlf in any::<bool>(),
    ) {
        let mut line = args.iter().map(|arg| quote(arg)).collect::<Vec<_>>().join(" ");
        line.push_str(if crlf { "\r\n" } else { "\n" });
        let wire = line.into_bytes();
        let limits = Limits::default();
        let whole = parse_request(&wire, &limits).unwrap();
        prop_assert_eq!(request_args(&whole, &wire), Some((args, wire.len())));
        for split in 0..wire.len() {
            let partial = parse_request(&wire[..split], &limits).unwrap();
            prop_assert!(matches!(partial, Parsed::Incomplete { .. }), "{:?}", partial);
        }
    }

    #[test]
    fn plain_inline_words_come_back_as_ranges(
        words in proptest::collection::vec("[a-zA-Z0-9:_]{1,8}", 1..5),
    ) {
        let wire = format!("{}\r\n", words.join(" ")).into_bytes();
        let parsed = parse_request(&wire, &Limits::default()).unwrap();
        prop_assert!(matches!(parsed, Parsed::Complete { .. }), "{:?}", parsed);
        let expected: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        prop_assert_eq!(request_args(&parsed, &wire), Some((expected, wire.len())));
    }

    #[test]
    fn random_bytes_never_break_an_invariant(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        resp::fuzz::check_request_parser(&data);
    }

    #[test]
    fn protocol_shaped_bytes_never_break_an_invariant(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(b"*".to_vec()), Just(b"$".to_vec()), Just(b"\r\n".to_vec()), Just(b"\r".to_vec()),
                Just(b"\n".to_vec()), Just(b"\"".to_vec()), Just(b"'".to_vec()), Just(b"\\x4".to_vec()),
                Just(b"%".to_vec()), Just(b"|".to_vec()), Just(b"-1".to_vec()), Just(b" ".to_vec()),
                "[0-9]{1,3}".prop_map(String::into_bytes), "[a-z]{1,3}".prop_map(String::into_bytes),
            ],
            0..40,
        ),
    ) {
        resp::fuzz::check_request_parser(&parts.concat());
    }
}
