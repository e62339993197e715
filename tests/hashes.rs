//! End-to-end: the hashes family (HSET ... HRANDFIELD) replies, errors and
//! OBJECT ENCODING answers exactly as Redis 7.0.15 does for the same commands
//! (the expected values were taken from a real redis-server).

mod common;

#[allow(unused_imports)]
use common::*;

use std::net::TcpStream;

use redis::{Connection, Value};

fn bulks(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| bulk(s)).collect())
}

fn encoding(con: &mut Connection, key: &str) -> String {
    match ok(con, &["OBJECT", "ENCODING", key]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn len_of(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.len(),
        other => panic!("{other:?}"),
    }
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn set_get_and_friends() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(ok(&mut c, &["HSET", "h", "a", "3", "c", "4"]), int(1));
    assert_eq!(ok(&mut c, &["HMSET", "h", "x", "1", "y", "2"]), Value::Okay);
    assert_eq!(ok(&mut c, &["HSETNX", "h", "a", "9"]), int(0));
    assert_eq!(ok(&mut c, &["HSETNX", "h", "new", "9"]), int(1));
    assert_eq!(ok(&mut c, &["HGET", "h", "a"]), bulk("3"));
    assert_eq!(ok(&mut c, &["HGET", "h", "nope"]), Value::Nil);
    assert_eq!(ok(&mut c, &["HGET", "nokey", "a"]), Value::Nil);
    assert_eq!(
        ok(&mut c, &["HMGET", "h", "a", "b", "nope"]),
        Value::Array(vec![bulk("3"), bulk("2"), Value::Nil])
    );
    assert_eq!(
        ok(&mut c, &["HMGET", "nokey", "a"]),
        Value::Array(vec![Value::Nil])
    );
    assert_eq!(ok(&mut c, &["HLEN", "h"]), int(6));
    assert_eq!(ok(&mut c, &["HLEN", "nokey"]), int(0));
    assert_eq!(ok(&mut c, &["HEXISTS", "h", "a"]), int(1));
    assert_eq!(ok(&mut c, &["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(ok(&mut c, &["HSTRLEN", "h", "new"]), int(1));
    assert_eq!(ok(&mut c, &["HSTRLEN", "h", "zz"]), int(0));
    assert_eq!(
        ok(&mut c, &["HGETALL", "h"]),
        bulks(&["a", "3", "b", "2", "c", "4", "x", "1", "y", "2", "new", "9"])
    );
    assert_eq!(
        ok(&mut c, &["HKEYS", "h"]),
        bulks(&["a", "b", "c", "x", "y", "new"])
    );
    assert_eq!(
        ok(&mut c, &["HVALS", "h"]),
        bulks(&["3", "2", "4", "1", "2", "9"])
    );
    for command in ["HGETALL", "HKEYS", "HVALS"] {
        assert_eq!(ok(&mut c, &[command, "nokey"]), Value::Array(vec![]));
    }
    assert_eq!(ok(&mut c, &["HDEL", "h", "a", "b", "nope"]), int(2));
    assert_eq!(ok(&mut c, &["HDEL", "nokey", "a"]), int(0));
    assert_eq!(ok(&mut c, &["HDEL", "h", "c", "x", "y", "new"]), int(4));
    assert_eq!(ok(&mut c, &["EXISTS", "h"]), int(0));
    assert_eq!(
        ok(&mut c, &["TYPE", "h"]),
        Value::SimpleString("none".into())
    );
    assert_eq!(ok(&mut c, &["HSET", "h", "f", "v"]), int(1));
    assert_eq!(
        ok(&mut c, &["TYPE", "h"]),
        Value::SimpleString("hash".into())
    );
}

#[test]
fn arity_and_wrong_type() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    for (args, name) in [
        (&["HSET", "h"][..], "hset"),
        (&["HSET", "h", "a"], "hset"),
        (&["HSET", "h", "a", "1", "b"], "hset"),
        (&["HMSET", "h", "a", "1", "b"], "hmset"),
        (&["HSETNX", "h", "f"], "hsetnx"),
        (&["HGET", "h"], "hget"),
        (&["HMGET", "h"], "hmget"),
        (&["HDEL", "h"], "hdel"),
        (&["HLEN"], "hlen"),
        (&["HEXISTS", "h"], "hexists"),
        (&["HGETALL"], "hgetall"),
        (&["HINCRBY", "h", "f"], "hincrby"),
        (&["HINCRBYFLOAT", "h"], "hincrbyfloat"),
        (&["HSTRLEN", "h"], "hstrlen"),
        (&["HSCAN", "h"], "hscan"),
        (&["HRANDFIELD"], "hrandfield"),
    ] {
        let want = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(err(&mut c, args), want, "{args:?}");
    }
    ok(&mut c, &["SET", "s", "x"]);
    for args in [
        &["HSET", "s", "a", "1"][..],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HEXISTS", "s", "a"],
        &["HGETALL", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HSTRLEN", "s", "a"],
        &["HSCAN", "s", "0"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "1"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(ok(&mut c, &["GET", "s"]), bulk("x"));
}

#[test]
fn counters() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["HINCRBY", "n", "f", "10"]), int(10));
    assert_eq!(ok(&mut c, &["HINCRBY", "n", "f", "-20"]), int(-10));
    assert_eq!(
        err(&mut c, &["HINCRBY", "n", "f", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "n", "f", "1.5"]),
        "ERR value is not an integer or out of range"
    );
    ok(
        &mut c,
        &[
            "HSET",
            "n",
            "big",
            "9223372036854775800",
            "str",
            "hello",
            "sp",
            " 1",
        ],
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "n", "big", "8"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(ok(&mut c, &["HINCRBY", "n", "big", "7"]), int(i64::MAX));
    assert_eq!(
        err(&mut c, &["HINCRBY", "n", "str", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "n", "sp", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(ok(&mut c, &["HINCRBYFLOAT", "n", "fl", "1.5"]), bulk("1.5"));
    assert_eq!(ok(&mut c, &["HINCRBYFLOAT", "n", "fl", "1.5"]), bulk("3"));
    assert_eq!(
        ok(&mut c, &["HINCRBYFLOAT", "n", "fl", "10.5e3"]),
        bulk("10503")
    );
    assert_eq!(
        ok(&mut c, &["HINCRBYFLOAT", "n", "f", "0.25"]),
        bulk("-9.75")
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "n", "fl", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "n", "fl", "nan"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "n", "fl", "inf"]),
        "ERR value is NaN or Infinity"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "n", "str", "1"]),
        "ERR hash value is not a float"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "n", "sp", "1"]),
        "ERR hash value is not a float"
    );
    ok(&mut c, &["HSET", "n", "huge", "1.7976931348623157e308"]);
    assert_eq!(
        err(
            &mut c,
            &["HINCRBYFLOAT", "n", "huge", "1.7976931348623157e308"]
        )
        .split(' ')
        .next(),
        Some("ERR")
    );
}

#[test]
fn scan() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(
        ok(&mut c, &["HSCAN", "nokey", "0", "COUNT", "0"]),
        Value::Array(vec![bulk("0"), Value::Array(vec![])])
    );
    assert_eq!(err(&mut c, &["HSCAN", "nokey", "x"]), "ERR invalid cursor");
    ok(&mut c, &["HSET", "h", "a", "1", "b", "2", "sa", "3"]);
    assert_eq!(
        ok(&mut c, &["HSCAN", "h", "0", "COUNT", "1"]),
        Value::Array(vec![bulk("0"), bulks(&["a", "1", "b", "2", "sa", "3"])])
    );
    assert_eq!(
        ok(&mut c, &["HSCAN", "h", "0", "MATCH", "s*"]),
        Value::Array(vec![bulk("0"), bulks(&["sa", "3"])])
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "TYPE", "hash"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "NOVALUES"]),
        "ERR syntax error"
    );
    // A hash table: the cursor walks it and every field comes back.
    let mut args = vec!["HSET".to_string(), "big".into()];
    for i in 0..1000 {
        args.push(format!("f{i}"));
        args.push(format!("{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(ok(&mut c, &refs), int(1000));
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..10_000 {
        let Value::Array(parts) = ok(&mut c, &["HSCAN", "big", &cursor, "COUNT", "50"]) else {
            panic!()
        };
        let (Value::BulkString(next), Value::Array(items)) = (&parts[0], &parts[1]) else {
            panic!()
        };
        for pair in items.chunks(2) {
            assert_eq!(pair.len(), 2);
            if let Value::BulkString(f) = &pair[0] {
                seen.insert(f.clone());
            }
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0");
    assert_eq!(seen.len(), 1000);
}

#[test]
fn randfield() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["HRANDFIELD", "nokey"]), Value::Nil);
    assert_eq!(
        ok(&mut c, &["HRANDFIELD", "nokey", "5", "WITHVALUES"]),
        Value::Array(vec![])
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "nokey", "5", "foo"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "nokey", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    for count in [
        "-9223372036854775807",
        "4611686018427387904",
        "-4611686018427387904",
    ] {
        assert_eq!(
            err(&mut c, &["HRANDFIELD", "h", count, "WITHVALUES"]),
            "ERR value is out of range"
        );
    }
    for entries in ["128", "0"] {
        ok(
            &mut c,
            &["CONFIG", "SET", "hash-max-listpack-entries", entries],
        );
        ok(&mut c, &["DEL", "h"]);
        let mut args = vec!["HSET".to_string(), "h".into()];
        for i in 0..20 {
            args.push(format!("f{i}"));
            args.push(format!("v{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&mut c, &refs);
        assert!(matches!(
            ok(&mut c, &["HRANDFIELD", "h"]),
            Value::BulkString(_)
        ));
        assert_eq!(ok(&mut c, &["HRANDFIELD", "h", "0"]), Value::Array(vec![]));
        for (count, want) in [("5", 5), ("15", 15), ("20", 20), ("100", 20), ("-50", 50)] {
            let fields = ok(&mut c, &["HRANDFIELD", "h", count]);
            assert_eq!(len_of(&fields), want, "{count}");
            let with = ok(&mut c, &["HRANDFIELD", "h", count, "WITHVALUES"]);
            assert_eq!(len_of(&with), want * 2, "{count}");
            let Value::Array(items) = with else { panic!() };
            for pair in items.chunks(2) {
                let (Value::BulkString(f), Value::BulkString(v)) = (&pair[0], &pair[1]) else {
                    panic!()
                };
                assert_eq!(f[1..], v[1..], "value belongs to its field");
            }
            if !count.starts_with('-') {
                let Value::Array(items) = fields else {
                    panic!()
                };
                let distinct: std::collections::HashSet<_> =
                    items.iter().map(|v| format!("{v:?}")).collect();
                assert_eq!(distinct.len(), want);
            }
        }
    }
}

#[test]
fn encodings_follow_the_thresholds() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    ok(&mut c, &["HSET", "e", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(encoding(&mut c, "e"), "listpack");
    ok(&mut c, &["HSET", "e", "d", "4"]);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    ok(&mut c, &["HDEL", "e", "a", "b", "c"]);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    ok(
        &mut c,
        &["CONFIG", "SET", "hash-max-listpack-entries", "128"],
    );
    ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-value", "5"]);
    // Each case: commands on a fresh key, then Redis 7.0.15's OBJECT ENCODING.
    let cases: &[(&str, &[&[&str]], &str)] = &[
        ("v1", &[&["HSET", "v1", "a", "12345"]], "listpack"),
        ("v2", &[&["HSET", "v2", "a", "123456"]], "hashtable"),
        ("v3", &[&["HSET", "v3", "abcdef", "1"]], "hashtable"),
        ("v4", &[&["HSETNX", "v4", "abcdef", "1"]], "hashtable"),
        ("v5", &[&["HINCRBY", "v5", "abcdef", "1"]], "hashtable"),
        ("v6", &[&["HINCRBY", "v6", "f", "123456"]], "hashtable"),
        ("v7", &[&["HINCRBY", "v7", "f", "12345"]], "listpack"),
        ("v8", &[&["HINCRBYFLOAT", "v8", "f", "1.2345"]], "hashtable"),
        ("v9", &[&["HINCRBYFLOAT", "v9", "f", "1.25"]], "listpack"),
        (
            "v10",
            &[
                &["HSET", "v10", "a", "1"],
                &["HSETNX", "v10", "a", "123456"],
            ],
            "listpack",
        ),
        (
            "v11",
            &[&["HMSET", "v11", "a", "1", "b", "123456"]],
            "hashtable",
        ),
    ];
    for (key, commands, want) in cases {
        for command in commands.iter() {
            ok(&mut c, command);
        }
        assert_eq!(encoding(&mut c, key), *want, "{key}");
    }
    ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-value", "64"]);
    ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
    ok(&mut c, &["HSET", "z", "a", "1"]);
    assert_eq!(encoding(&mut c, "z"), "hashtable");
}

#[test]
fn digest_matches_redis() {
    let server = common::start_server(&["--enable-debug-command", "yes"]);
    let mut c = server.connection();
    ok(&mut c, &["HSET", "dd", "5", "5", "-3", "x", "100000", "y"]);
    let want = Value::Array(vec![Value::SimpleString(
        "604eb69cc15cb075896c51d29526b38724f8e9ab".into(),
    )]);
    assert_eq!(ok(&mut c, &["DEBUG", "DIGEST-VALUE", "dd"]), want);
    ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    ok(&mut c, &["HSET", "dt", "5", "5", "-3", "x", "100000", "y"]);
    assert_eq!(encoding(&mut c, "dt"), "hashtable");
    let Value::Array(both) = ok(&mut c, &["DEBUG", "DIGEST-VALUE", "dd", "dt"]) else {
        panic!()
    };
    assert_eq!(both[0], both[1]);
}

fn resp3(stream: &mut TcpStream, request: &str, expect: &str) {
    let got = common::raw_exchange(stream, request.as_bytes(), expect.len());
    assert_eq!(String::from_utf8_lossy(&got), expect, "{request:?}");
}

#[test]
fn resp3_replies() {
    let server = common::start_server(&[]);
    let mut s = server.raw();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    // HELLO 3's map ends with its empty "modules" array.
    let mut hello = common::raw_exchange(&mut s, b"HELLO 3\r\n", 1);
    while !hello.ends_with(b"modules\r\n*0\r\n") {
        let more = common::raw_exchange(&mut s, b"", 1);
        assert!(!more.is_empty(), "HELLO reply cut short");
        hello.extend(more);
    }
    resp3(&mut s, "HSET h a 1 b x\r\n", ":2\r\n");
    resp3(
        &mut s,
        "HGETALL h\r\n",
        "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\nx\r\n",
    );
    resp3(&mut s, "HGETALL nokey\r\n", "%0\r\n");
    resp3(&mut s, "HKEYS h\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    resp3(&mut s, "HGET h zz\r\n", "_\r\n");
    resp3(&mut s, "HRANDFIELD nokey\r\n", "_\r\n");
    resp3(
        &mut s,
        "HRANDFIELD h 5 WITHVALUES\r\n",
        "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\nx\r\n",
    );
    resp3(
        &mut s,
        "HSCAN h 0\r\n",
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\nx\r\n",
    );
}
