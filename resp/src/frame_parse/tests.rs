//! `parse_frame` on every RESP2/RESP3 type, its errors and its bounds.

use super::*;
use bytes::BytesMut;

fn parse_all(buf: &[u8]) -> Frame {
    match parse_frame(buf) {
        Ok(Some((frame, consumed))) if consumed == buf.len() => frame,
        other => panic!("{other:?}"),
    }
}

fn bytes(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

#[test]
fn parses_every_type() {
    assert_eq!(parse_all(b"+OK\r\n"), Frame::Simple(bytes("OK")));
    assert_eq!(parse_all(b"-ERR x\r\n"), Frame::Error(bytes("ERR x")));
    assert_eq!(parse_all(b":-42\r\n"), Frame::Integer(-42));
    assert_eq!(parse_all(b"$3\r\na\r\n\r\n"), Frame::Bulk(bytes("a\r\n")));
    assert_eq!(parse_all(b"$-1\r\n"), Frame::NullBulk);
    assert_eq!(parse_all(b"*-1\r\n"), Frame::NullArray);
    assert_eq!(parse_all(b"_\r\n"), Frame::Null);
    assert_eq!(parse_all(b",1.5\r\n"), Frame::Double(1.5));
    assert_eq!(parse_all(b",-inf\r\n"), Frame::Double(f64::NEG_INFINITY));
    assert_eq!(parse_all(b"#t\r\n"), Frame::Boolean(true));
    assert_eq!(
        parse_all(b"(-123456789012345678901\r\n"),
        Frame::BigNumber(bytes("-123456789012345678901"))
    );
    assert_eq!(
        parse_all(b"=7\r\ntxt:abc\r\n"),
        Frame::Verbatim {
            format: *b"txt",
            text: bytes("abc")
        }
    );
    assert_eq!(parse_all(b"!3\r\nbad\r\n"), Frame::BlobError(bytes("bad")));
    assert_eq!(
        parse_all(b"*2\r\n:1\r\n*1\r\n_\r\n"),
        Frame::Array(vec![Frame::Integer(1), Frame::Array(vec![Frame::Null])])
    );
    assert_eq!(
        parse_all(b"%1\r\n+k\r\n~1\r\n#f\r\n"),
        Frame::Map(vec![(
            Frame::Simple(bytes("k")),
            Frame::Set(vec![Frame::Boolean(false)])
        )])
    );
    assert_eq!(parse_all(b">0\r\n"), Frame::Push(vec![]));
    assert_eq!(
        parse_all(b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"),
        Frame::Attribute {
            attributes: vec![(Frame::Simple(bytes("ttl")), Frame::Integer(3))],
            frame: Box::new(Frame::Bulk(bytes("v"))),
        }
    );
}

#[test]
fn waits_for_whole_frames() {
    for buf in [
        &b""[..],
        b"+OK",
        b"+OK\r",
        b"$3\r\nab",
        b"*2\r\n:1\r\n",
        b"|1\r\n+a\r\n:1\r\n",
    ] {
        assert_eq!(
            parse_frame(buf),
            Ok(None),
            "{:?}",
            String::from_utf8_lossy(buf)
        );
    }
}

#[test]
fn rejects_malformed_frames() {
    for buf in [
        &b"?\r\n"[..],
        b":1.5\r\n",
        b"$-2\r\n",
        b"$3\r\nabcde",
        b"*-2\r\n",
        b"%-1\r\n",
        b"_x\r\n",
        b",\r\n",
        b",abc\r\n",
        b"#x\r\n",
        b"(12a\r\n",
        b"=3\r\ntxt\r\n",
        b"$?\r\n",
    ] {
        assert!(
            parse_frame(buf).is_err(),
            "{:?}",
            String::from_utf8_lossy(buf)
        );
    }
}

#[test]
fn nesting_is_bounded_without_recursion() {
    let deep = b"*1\r\n".repeat(MAX_DEPTH + 1);
    assert_eq!(parse_frame(&deep), Err(ProtocolError::TooDeep));
    let mut ok = b"*1\r\n".repeat(MAX_DEPTH);
    ok.extend_from_slice(b"_\r\n");
    assert!(matches!(parse_frame(&ok), Ok(Some(_))));
}

#[test]
fn a_huge_claimed_count_reserves_only_what_bytes_justify() {
    assert_eq!(parse_frame(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
    assert_eq!(parse_frame(b"%9223372036854775807\r\n"), Ok(None));
}

#[test]
fn frames_encode_to_the_bytes_they_came_from() {
    let wire: &[u8] = b"|1\r\n+a\r\n:1\r\n*4\r\n$-1\r\n*-1\r\n_\r\n%1\r\n,2.5\r\n>1\r\n!1\r\nx\r\n";
    let frame = parse_all(wire);
    let mut out = BytesMut::new();
    frame.encode(&mut out);
    assert_eq!(&out[..], wire);
}
