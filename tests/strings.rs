//! End-to-end: the strings family (GET, SET and options, counters, APPEND,
//! ranges) replies and errors exactly as Redis 7.0 does.

mod common;

#[allow(unused_imports)]
use common::*;

use redis::{Connection, Value};

fn okay() -> Value {
    Value::Okay
}

#[test]
fn get_set_and_options() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["GET", "k"]), Value::Nil);
    assert_eq!(ok(&mut c, &["SET", "k", "v"]), okay());
    assert_eq!(ok(&mut c, &["GET", "k"]), bulk("v"));
    assert_eq!(ok(&mut c, &["SET", "k", "v2", "NX"]), Value::Nil);
    assert_eq!(ok(&mut c, &["SET", "k2", "v", "XX"]), Value::Nil);
    assert_eq!(ok(&mut c, &["SET", "k", "v3", "XX", "GET"]), bulk("v"));
    assert_eq!(ok(&mut c, &["SET", "new", "x", "GET"]), Value::Nil);
    assert_eq!(ok(&mut c, &["SET", "k", "v", "EX", "100"]), okay());
    let ttl = ok(&mut c, &["TTL", "k"]);
    assert!(matches!(ttl, Value::Int(99..=100)), "{ttl:?}");
    assert_eq!(ok(&mut c, &["SET", "k", "w", "KEEPTTL"]), okay());
    assert!(matches!(ok(&mut c, &["PTTL", "k"]), Value::Int(1..)));
    assert_eq!(ok(&mut c, &["SET", "k", "w"]), okay());
    assert_eq!(ok(&mut c, &["TTL", "k"]), int(-1));
    assert_eq!(ok(&mut c, &["SET", "k", "w", "PX", "5000"]), okay());
    assert!(matches!(ok(&mut c, &["PTTL", "k"]), Value::Int(1..=5000)));
    assert_eq!(ok(&mut c, &["SET", "k", "w", "EXAT", "4000000000"]), okay());
    assert_eq!(ok(&mut c, &["EXPIRETIME", "k"]), int(4_000_000_000));
    assert_eq!(
        ok(&mut c, &["SET", "k", "w", "PXAT", "4000000000123"]),
        okay()
    );
    assert_eq!(ok(&mut c, &["PEXPIRETIME", "k"]), int(4_000_000_000_123));
    // Same option twice is fine; the later value wins.
    assert_eq!(
        ok(&mut c, &["SET", "k", "w", "EX", "10", "EX", "20"]),
        okay()
    );
    for bad in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "PERSIST"],
    ] {
        assert_eq!(err(&mut c, bad), "ERR syntax error", "{bad:?}");
    }
    for bad in ["0", "-5"] {
        assert_eq!(
            err(&mut c, &["SET", "k", "v", "EX", bad]),
            "ERR invalid expire time in 'set' command"
        );
    }
    assert_eq!(
        err(&mut c, &["SET", "k", "v", "EX", "9223372036854775807"]),
        "ERR invalid expire time in 'set' command"
    );
    assert_eq!(
        err(&mut c, &["SET", "k", "v", "EX", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["GET"]),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        err(&mut c, &["SET", "k"]),
        "ERR wrong number of arguments for 'set' command"
    );
}

#[test]
fn setnx_setex_psetex_getset_getdel() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["SETNX", "k", "a"]), int(1));
    assert_eq!(ok(&mut c, &["SETNX", "k", "b"]), int(0));
    assert_eq!(ok(&mut c, &["SETEX", "e", "100", "v"]), okay());
    assert!(matches!(ok(&mut c, &["TTL", "e"]), Value::Int(99..=100)));
    assert_eq!(
        err(&mut c, &["SETEX", "e", "0", "v"]),
        "ERR invalid expire time in 'setex' command"
    );
    assert_eq!(
        err(&mut c, &["SETEX", "e", "x", "v"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(ok(&mut c, &["PSETEX", "p", "100000", "v"]), okay());
    assert!(matches!(ok(&mut c, &["PTTL", "p"]), Value::Int(1..=100000)));
    assert_eq!(
        err(&mut c, &["PSETEX", "p", "-1", "v"]),
        "ERR invalid expire time in 'psetex' command"
    );
    assert_eq!(ok(&mut c, &["GETSET", "e", "new"]), bulk("v"));
    assert_eq!(ok(&mut c, &["TTL", "e"]), int(-1), "GETSET clears the TTL");
    assert_eq!(ok(&mut c, &["GETSET", "none", "x"]), Value::Nil);
    assert_eq!(ok(&mut c, &["GETDEL", "e"]), bulk("new"));
    assert_eq!(ok(&mut c, &["EXISTS", "e"]), int(0));
    assert_eq!(ok(&mut c, &["GETDEL", "e"]), Value::Nil);
}

#[test]
fn getex_options() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["GETEX", "missing", "EX", "10"]), Value::Nil);
    ok(&mut c, &["SET", "k", "v"]);
    assert_eq!(ok(&mut c, &["GETEX", "k"]), bulk("v"));
    assert_eq!(ok(&mut c, &["GETEX", "k", "EX", "100"]), bulk("v"));
    assert!(matches!(ok(&mut c, &["TTL", "k"]), Value::Int(99..=100)));
    assert_eq!(ok(&mut c, &["GETEX", "k", "PERSIST"]), bulk("v"));
    assert_eq!(ok(&mut c, &["TTL", "k"]), int(-1));
    assert_eq!(ok(&mut c, &["GETEX", "k", "PX", "100000"]), bulk("v"));
    assert_eq!(ok(&mut c, &["GETEX", "k", "EXAT", "4000000000"]), bulk("v"));
    assert_eq!(ok(&mut c, &["EXPIRETIME", "k"]), int(4_000_000_000));
    // An absolute time in the past deletes the key after replying with it.
    assert_eq!(ok(&mut c, &["GETEX", "k", "PXAT", "1"]), bulk("v"));
    assert_eq!(ok(&mut c, &["EXISTS", "k"]), int(0));
    ok(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        err(&mut c, &["GETEX", "k", "EX", "10", "PERSIST"]),
        "ERR syntax error"
    );
    assert_eq!(err(&mut c, &["GETEX", "k", "NX"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["GETEX", "k", "KEEPTTL"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["GETEX", "k", "EX", "0"]),
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(
        err(&mut c, &["GETEX", "k", "EX", "a"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn mget_mset_msetnx() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["MSET", "a", "1", "b", "2"]), okay());
    assert_eq!(
        ok(&mut c, &["MGET", "a", "x", "b"]),
        Value::Array(vec![bulk("1"), Value::Nil, bulk("2")])
    );
    assert_eq!(
        err(&mut c, &["MSET", "a", "1", "b"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(ok(&mut c, &["MSETNX", "a", "9", "c", "3"]), int(0));
    assert_eq!(ok(&mut c, &["EXISTS", "c"]), int(0));
    assert_eq!(ok(&mut c, &["MSETNX", "c", "3", "d", "4"]), int(1));
    assert_eq!(
        err(&mut c, &["MSETNX", "a", "1", "b"]),
        "ERR wrong number of arguments for 'msetnx' command"
    );
}

#[test]
fn counters() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["INCR", "n"]), int(1));
    assert_eq!(ok(&mut c, &["INCRBY", "n", "10"]), int(11));
    assert_eq!(ok(&mut c, &["DECR", "n"]), int(10));
    assert_eq!(ok(&mut c, &["DECRBY", "n", "20"]), int(-10));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "n"]), bulk("int"));
    ok(&mut c, &["EXPIRE", "n", "100"]);
    ok(&mut c, &["INCR", "n"]);
    assert!(
        matches!(ok(&mut c, &["TTL", "n"]), Value::Int(1..)),
        "INCR keeps the TTL"
    );
    ok(&mut c, &["SET", "s", "abc"]);
    assert_eq!(
        err(&mut c, &["INCR", "s"]),
        "ERR value is not an integer or out of range"
    );
    ok(&mut c, &["SET", "s", " 1"]);
    assert_eq!(
        err(&mut c, &["INCR", "s"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["INCRBY", "n", "x"]),
        "ERR value is not an integer or out of range"
    );
    ok(&mut c, &["SET", "big", "9223372036854775807"]);
    assert_eq!(
        err(&mut c, &["INCR", "big"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        err(&mut c, &["DECRBY", "n", "-9223372036854775808"]),
        "ERR decrement would overflow"
    );
    assert_eq!(ok(&mut c, &["INCRBYFLOAT", "f", "10.5"]), bulk("10.5"));
    assert_eq!(ok(&mut c, &["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
    assert_eq!(ok(&mut c, &["INCRBYFLOAT", "f", "-5"]), bulk("5.6"));
    assert_eq!(ok(&mut c, &["INCRBYFLOAT", "g", "5.0e3"]), bulk("5000"));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "g"]), bulk("embstr"));
    assert_eq!(
        err(&mut c, &["INCRBYFLOAT", "f", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["INCRBYFLOAT", "f", " 1"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["INCRBYFLOAT", "s", "1"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["INCRBYFLOAT", "f", "inf"]),
        "ERR increment would produce NaN or Infinity"
    );
}

#[test]
fn append_strlen_ranges() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["APPEND", "k", "hello"]), int(5));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "k"]), bulk("embstr"));
    assert_eq!(ok(&mut c, &["APPEND", "k", " world"]), int(11));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "k"]), bulk("raw"));
    assert_eq!(ok(&mut c, &["STRLEN", "k"]), int(11));
    assert_eq!(ok(&mut c, &["STRLEN", "none"]), int(0));
    assert_eq!(ok(&mut c, &["GETRANGE", "k", "0", "4"]), bulk("hello"));
    assert_eq!(ok(&mut c, &["GETRANGE", "k", "-5", "-1"]), bulk("world"));
    assert_eq!(ok(&mut c, &["GETRANGE", "k", "5", "1"]), bulk(""));
    assert_eq!(ok(&mut c, &["GETRANGE", "k", "-1", "-5"]), bulk(""));
    assert_eq!(
        ok(&mut c, &["GETRANGE", "k", "0", "100"]),
        bulk("hello world")
    );
    assert_eq!(ok(&mut c, &["GETRANGE", "none", "0", "1"]), bulk(""));
    assert_eq!(
        err(&mut c, &["GETRANGE", "k", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    ok(&mut c, &["SET", "n", "12345"]);
    assert_eq!(ok(&mut c, &["GETRANGE", "n", "1", "2"]), bulk("23"));
    assert_eq!(ok(&mut c, &["SETRANGE", "k", "6", "redis"]), int(11));
    assert_eq!(ok(&mut c, &["GET", "k"]), bulk("hello redis"));
    assert_eq!(ok(&mut c, &["SETRANGE", "pad", "3", "x"]), int(4));
    assert_eq!(
        ok(&mut c, &["GET", "pad"]),
        Value::BulkString(b"\0\0\0x".to_vec())
    );
    assert_eq!(ok(&mut c, &["SETRANGE", "empty", "3", ""]), int(0));
    assert_eq!(ok(&mut c, &["EXISTS", "empty"]), int(0));
    assert_eq!(ok(&mut c, &["SETRANGE", "k", "100", ""]), int(11));
    assert_eq!(
        err(&mut c, &["SETRANGE", "k", "-1", "x"]),
        "ERR offset is out of range"
    );
    assert_eq!(
        err(&mut c, &["SETRANGE", "k", "x", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["SETRANGE", "k", "536870912", "x"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
}

#[test]
fn keyspace_hits_and_misses_are_counted() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let stat = |c: &mut Connection, name: &str| -> u64 {
        let info: String = redis::cmd("INFO").arg("stats").query(c).expect("info");
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    ok(&mut c, &["SET", "k", "v"]);
    let (h, m) = (
        stat(&mut c, "keyspace_hits"),
        stat(&mut c, "keyspace_misses"),
    );
    ok(&mut c, &["GET", "k"]);
    ok(&mut c, &["GET", "nope"]);
    ok(&mut c, &["MGET", "k", "nope"]);
    assert_eq!(stat(&mut c, "keyspace_hits"), h + 2);
    assert_eq!(stat(&mut c, "keyspace_misses"), m + 2);
}
