//! `parse_request` against Redis 7.0's `processMultibulkBuffer` / `processInlineBuffer`.

use super::*;

fn parse(buf: &[u8]) -> Result<Parsed, ProtocolError> {
    parse_request(buf, &Limits::default())
}

/// The arguments of a complete request, whichever form it came in.
fn args_of(buf: &[u8]) -> Vec<Vec<u8>> {
    match parse(buf) {
        Ok(Parsed::Complete { args, .. }) => args.slices(buf).map(<[u8]>::to_vec).collect(),
        Ok(Parsed::CompleteOwned { args, .. }) => args,
        other => panic!("not complete: {other:?}"),
    }
}

fn error_of(buf: &[u8], limits: &Limits) -> String {
    match parse_request(buf, limits) {
        Err(error) => error.to_string(),
        other => panic!("not an error: {other:?}"),
    }
}

#[test]
fn parses_a_multibulk_set_into_ranges() {
    let buf = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n";
    let Ok(Parsed::Complete { args, consumed }) = parse(buf) else {
        panic!()
    };
    assert_eq!(args.as_slice(), &[(8, 11), (17, 20), (26, 31)]);
    assert_eq!(consumed, 33);
}

#[test]
fn many_arguments_spill_to_the_heap() {
    let mut buf = b"*20\r\n".to_vec();
    for i in 0..20 {
        buf.extend_from_slice(format!("$2\r\n{i:02}\r\n").as_bytes());
    }
    let args = args_of(&buf);
    assert_eq!(args.len(), 20);
    assert_eq!(args[19], b"19");
}

#[test]
fn counts_of_zero_or_less_are_skipped() {
    for buf in [&b"*0\r\n"[..], b"*-1\r\n", b"*-100\r\n"] {
        assert_eq!(
            parse(buf),
            Ok(Parsed::Skip {
                consumed: buf.len()
            })
        );
    }
    assert_eq!(parse(b"\r\n"), Ok(Parsed::Skip { consumed: 2 }));
    assert_eq!(parse(b"  \t\n"), Ok(Parsed::Skip { consumed: 4 }));
}

#[test]
fn waits_with_a_hint_for_a_big_payload() {
    let buf = b"*2\r\n$3\r\nGET\r\n$10\r\nabc";
    assert_eq!(
        parse(buf),
        Ok(Parsed::Incomplete {
            needed_hint: Some(30)
        })
    );
    assert_eq!(
        parse(b"*2\r\n$3\r\nGET\r\n$1"),
        Ok(Parsed::Incomplete { needed_hint: None })
    );
    assert_eq!(parse(b"*2\r"), Ok(Parsed::Incomplete { needed_hint: None }));
    assert_eq!(parse(b""), Ok(Parsed::Incomplete { needed_hint: None }));
}

#[test]
fn the_bytes_after_a_cr_or_a_payload_are_not_checked() {
    // Redis skips two bytes after a CR or payload without looking at them.
    assert_eq!(args_of(b"*1\rX$3\rYfooZW"), vec![b"foo".to_vec()]);
}

#[test]
fn every_multibulk_error_text() {
    let limits = Limits::default();
    let invalid_mbulk = "Protocol error: invalid multibulk length";
    assert_eq!(error_of(b"*x\r\n", &limits), invalid_mbulk);
    assert_eq!(error_of(b"*03\r\n", &limits), invalid_mbulk);
    assert_eq!(error_of(b"*\r\n", &limits), invalid_mbulk);
    assert_eq!(error_of(b"*2147483648\r\n", &limits), invalid_mbulk);
    assert_eq!(
        error_of(b"*1\r\n+PING\r\n", &limits),
        "Protocol error: expected '$', got '+'"
    );
    let invalid_bulk = "Protocol error: invalid bulk length";
    assert_eq!(error_of(b"*1\r\n$-1\r\n", &limits), invalid_bulk);
    assert_eq!(error_of(b"*1\r\n$x\r\n", &limits), invalid_bulk);
    let small = Limits {
        proto_max_bulk_len: 5,
        ..Limits::default()
    };
    assert_eq!(error_of(b"*1\r\n$6\r\n", &small), invalid_bulk);
    assert!(matches!(
        parse_request(b"*1\r\n$5\r\n", &small),
        Ok(Parsed::Incomplete { .. })
    ));
}

#[test]
fn unauthenticated_clients_get_tighter_limits() {
    let guest = Limits {
        authenticated: false,
        ..Limits::default()
    };
    assert_eq!(
        error_of(b"*11\r\n", &guest),
        "Protocol error: unauthenticated multibulk length"
    );
    assert!(matches!(
        parse_request(b"*10\r\n", &guest),
        Ok(Parsed::Incomplete { .. })
    ));
    assert_eq!(
        error_of(b"*1\r\n$16385\r\n", &guest),
        "Protocol error: unauthenticated bulk length"
    );
    assert!(matches!(
        parse_request(b"*1\r\n$16384\r\n", &guest),
        Ok(Parsed::Incomplete { .. })
    ));
}

#[test]
fn lines_longer_than_64k_are_refused() {
    let mut count = b"*".to_vec();
    count.resize(PROTO_INLINE_MAX_SIZE, b'1');
    assert!(matches!(parse(&count), Ok(Parsed::Incomplete { .. })));
    count.push(b'1');
    assert_eq!(
        error_of(&count, &Limits::default()),
        "Protocol error: too big mbulk count string"
    );

    let mut bulk = b"*1\r\n$".to_vec();
    bulk.resize(4 + PROTO_INLINE_MAX_SIZE + 1, b'1');
    assert_eq!(
        error_of(&bulk, &Limits::default()),
        "Protocol error: too big bulk count string"
    );

    let mut inline = vec![b'a'; PROTO_INLINE_MAX_SIZE + 1];
    assert_eq!(
        error_of(&inline, &Limits::default()),
        "Protocol error: too big inline request"
    );
    // With its newline arriving too, the line is refused the same way.
    inline.push(b'\n');
    assert_eq!(
        error_of(&inline, &Limits::default()),
        "Protocol error: too big inline request"
    );
}

#[test]
fn a_nul_before_the_line_end_waits_like_strchr() {
    assert_eq!(
        parse(b"*1\x00\r\n"),
        Ok(Parsed::Incomplete { needed_hint: None })
    );
    assert_eq!(
        parse(b"PING\x00\r\n"),
        Ok(Parsed::Incomplete { needed_hint: None })
    );
    let mut stuck = b"GET a\x00".to_vec();
    stuck.resize(PROTO_INLINE_MAX_SIZE + 1, b'\n');
    assert_eq!(
        error_of(&stuck, &Limits::default()),
        "Protocol error: too big inline request"
    );
}

#[test]
fn inline_commands_split_like_redis() {
    assert_eq!(args_of(b"PING\r\n"), vec![b"PING".to_vec()]);
    assert_eq!(
        args_of(b"set a b\n"),
        vec![b"set".to_vec(), b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(
        args_of(b"set k \"\\x41\\n\" 'x y'\r\n"),
        vec![
            b"set".to_vec(),
            b"k".to_vec(),
            b"A\n".to_vec(),
            b"x y".to_vec()
        ]
    );
    assert_eq!(
        error_of(b"set \"a\r\n", &Limits::default()),
        "Protocol error: unbalanced quotes in request"
    );
    assert_eq!(parse(b"PING"), Ok(Parsed::Incomplete { needed_hint: None }));
}

#[test]
fn a_three_argument_set_stays_inline() {
    let buf = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    let Ok(Parsed::Complete { args, .. }) = parse(buf) else {
        panic!()
    };
    assert!(args.spill.capacity() == 0);
}

#[test]
fn a_huge_claimed_count_reserves_nothing_up_front() {
    let buf = b"*2000000000\r\n$1\r\na\r\n";
    assert_eq!(parse(buf), Ok(Parsed::Incomplete { needed_hint: None }));
}

#[test]
fn every_split_agrees_with_the_whole() {
    let inputs: [&[u8]; 6] = [
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
        b"set \"a b\" c\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n+\r\n",
        b"'a\r\n",
        b"*-3\r\n",
    ];
    for input in inputs {
        crate::fuzz::check_request_parser(input);
    }
}
