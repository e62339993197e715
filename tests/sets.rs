//! End-to-end: the sets family (SADD ... SSCAN) replies, errors, encodings
//! (intset / hashtable at the same thresholds), RESP3 shapes and DEBUG DIGEST
//! exactly as Redis 7.0.15 does for the same commands.

mod common;

#[allow(unused_imports)]
use common::*;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::time::Duration;

use redis::{Connection, Value};

fn int(con: &mut Connection, args: &[&str]) -> i64 {
    match ok(con, args) {
        Value::Int(n) => n,
        other => panic!("{args:?}: expected an integer, got {other:?}"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// The members of an array/set reply, in reply order.
fn list(con: &mut Connection, args: &[&str]) -> Vec<String> {
    match ok(con, args) {
        Value::Array(items) | Value::Set(items) => items.iter().map(text).collect(),
        other => panic!("{args:?}: expected an array, got {other:?}"),
    }
}

fn members(con: &mut Connection, args: &[&str]) -> BTreeSet<String> {
    list(con, args).into_iter().collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn encoding(con: &mut Connection, key: &str) -> String {
    text(&ok(con, &["OBJECT", "ENCODING", key]))
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn add_remove_and_membership() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(int(&mut c, &["SADD", "s", "1", "2", "3", "2"]), 3);
    assert_eq!(int(&mut c, &["SADD", "s", "3", "4"]), 1);
    assert_eq!(int(&mut c, &["SCARD", "s"]), 4);
    assert_eq!(int(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(list(&mut c, &["SMEMBERS", "s"]), ["1", "2", "3", "4"]);
    assert!(list(&mut c, &["SMEMBERS", "nokey"]).is_empty());
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "2"]), 1);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "02"]), 0);
    assert_eq!(int(&mut c, &["SISMEMBER", "nokey", "2"]), 0);
    assert_eq!(
        ok(&mut c, &["SMISMEMBER", "s", "1", "x", "4"]),
        Value::Array(vec![Value::Int(1), Value::Int(0), Value::Int(1)])
    );
    assert_eq!(
        ok(&mut c, &["SMISMEMBER", "nokey", "1"]),
        Value::Array(vec![Value::Int(0)])
    );
    assert_eq!(int(&mut c, &["SREM", "s", "1", "9", "2"]), 2);
    assert_eq!(int(&mut c, &["SREM", "nokey", "1"]), 0);
    assert_eq!(int(&mut c, &["SREM", "s", "3", "4", "5"]), 2);
    assert_eq!(
        int(&mut c, &["EXISTS", "s"]),
        0,
        "an emptied set is deleted"
    );

    ok(&mut c, &["SET", "str", "x"]);
    for args in [
        &["SADD", "str", "1"][..],
        &["SREM", "str", "1"],
        &["SCARD", "str"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "1"],
        &["SMISMEMBER", "str", "1"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SSCAN", "str", "0", "COUNT", "x"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SUNION", "nokey", "str"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "d", "nokey", "str"],
        &["SMOVE", "str", "d", "1"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    ok(&mut c, &["SADD", "s", "1"]);
    assert_eq!(err(&mut c, &["SMOVE", "s", "str", "1"]), WRONGTYPE);
    assert_eq!(int(&mut c, &["SMOVE", "nokey", "str", "1"]), 0);

    for (args, name) in [
        (&["SADD", "s"][..], "sadd"),
        (&["SREM", "s"], "srem"),
        (&["SMEMBERS"], "smembers"),
        (&["SISMEMBER", "s"], "sismember"),
        (&["SMISMEMBER", "s"], "smismember"),
        (&["SCARD"], "scard"),
        (&["SPOP"], "spop"),
        (&["SRANDMEMBER"], "srandmember"),
        (&["SMOVE", "a", "b"], "smove"),
        (&["SINTER"], "sinter"),
        (&["SINTERCARD", "1"], "sintercard"),
        (&["SINTERSTORE", "d"], "sinterstore"),
        (&["SUNION"], "sunion"),
        (&["SUNIONSTORE", "d"], "sunionstore"),
        (&["SDIFF"], "sdiff"),
        (&["SDIFFSTORE", "d"], "sdiffstore"),
        (&["SSCAN", "s"], "sscan"),
    ] {
        let want = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(err(&mut c, args), want);
    }
}

#[test]
fn encodings_convert_at_redis_thresholds() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let ints: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "big"];
    args.extend(ints.iter().map(String::as_str));
    assert_eq!(int(&mut c, &args), 512);
    assert_eq!(encoding(&mut c, "big"), "intset");
    ok(&mut c, &["SADD", "big", "511"]);
    assert_eq!(encoding(&mut c, "big"), "intset");
    ok(&mut c, &["SADD", "big", "512"]);
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    ok(&mut c, &["SREM", "big", "512", "511"]);
    assert_eq!(encoding(&mut c, "big"), "hashtable", "never converts back");

    ok(
        &mut c,
        &[
            "SADD",
            "i",
            "1",
            "-9223372036854775808",
            "9223372036854775807",
        ],
    );
    assert_eq!(encoding(&mut c, "i"), "intset");
    ok(&mut c, &["SADD", "i", "x"]);
    assert_eq!(encoding(&mut c, "i"), "hashtable");
    for member in ["01", "+1", " 1", "1.0", "9223372036854775808", "-0"] {
        ok(&mut c, &["DEL", "t"]);
        ok(&mut c, &["SADD", "t", member]);
        assert_eq!(encoding(&mut c, "t"), "hashtable", "{member}");
    }

    ok(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "3"]);
    ok(&mut c, &["SADD", "small", "1", "2", "3"]);
    assert_eq!(encoding(&mut c, "small"), "intset");
    ok(&mut c, &["SADD", "small", "4"]);
    assert_eq!(encoding(&mut c, "small"), "hashtable");

    // Stored results start as intsets and convert by the same rules.
    ok(&mut c, &["SADD", "h", "a", "1", "2"]);
    ok(&mut c, &["SADD", "n", "1", "2", "3"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d1", "h", "n"]), 2);
    assert_eq!(encoding(&mut c, "d1"), "intset");
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d2", "h", "n"]), 1);
    assert_eq!(encoding(&mut c, "d2"), "hashtable");
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d3", "small"]), 4);
    assert_eq!(encoding(&mut c, "d3"), "hashtable");
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d4", "n"]), 3);
    assert_eq!(encoding(&mut c, "d4"), "intset");
    // SMOVE creates the destination for the moved member's kind.
    assert_eq!(int(&mut c, &["SMOVE", "h", "m1", "1"]), 1);
    assert_eq!(encoding(&mut c, "m1"), "intset");
    assert_eq!(int(&mut c, &["SMOVE", "h", "m2", "a"]), 1);
    assert_eq!(encoding(&mut c, "m2"), "hashtable");
    // SPOP of nearly everything rebuilds the survivors as a fresh set.
    ok(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "512"]);
    ok(
        &mut c,
        &[
            "SADD", "p", "x", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        ],
    );
    ok(&mut c, &["SREM", "p", "x"]);
    assert_eq!(list(&mut c, &["SPOP", "p", "8"]).len(), 8);
    assert_eq!(encoding(&mut c, "p"), "intset");
}

#[test]
fn spop_and_srandmember() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let all = set_of(&["1", "2", "3", "4", "5"]);
    ok(&mut c, &["SADD", "s", "1", "2", "3", "4", "5"]);
    let one = text(&ok(&mut c, &["SRANDMEMBER", "s"]));
    assert!(all.contains(&one));
    assert_eq!(list(&mut c, &["SRANDMEMBER", "s", "0"]).len(), 0);
    assert_eq!(members(&mut c, &["SRANDMEMBER", "s", "9"]), all);
    let three = list(&mut c, &["SRANDMEMBER", "s", "3"]);
    assert_eq!(three.iter().collect::<BTreeSet<_>>().len(), 3);
    let many = list(&mut c, &["SRANDMEMBER", "s", "-20"]);
    assert_eq!(many.len(), 20);
    assert!(many.iter().all(|m| all.contains(m)));
    assert_eq!(ok(&mut c, &["SRANDMEMBER", "nokey"]), Value::Nil);
    assert_eq!(list(&mut c, &["SRANDMEMBER", "nokey", "3"]).len(), 0);
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "1", "2"]),
        "ERR syntax error"
    );

    let positive = "ERR value is out of range, must be positive";
    assert_eq!(err(&mut c, &["SPOP", "s", "-1"]), positive);
    assert_eq!(err(&mut c, &["SPOP", "s", "x"]), positive);
    assert_eq!(err(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
    assert_eq!(ok(&mut c, &["SPOP", "nokey"]), Value::Nil);
    assert_eq!(list(&mut c, &["SPOP", "nokey", "2"]).len(), 0);
    assert_eq!(list(&mut c, &["SPOP", "s", "0"]).len(), 0);
    let popped = text(&ok(&mut c, &["SPOP", "s"]));
    let two = list(&mut c, &["SPOP", "s", "2"]);
    let rest = list(&mut c, &["SPOP", "s", "10"]);
    let mut seen: BTreeSet<String> = two.iter().chain(rest.iter()).cloned().collect();
    seen.insert(popped);
    assert_eq!(seen, all);
    assert_eq!(int(&mut c, &["EXISTS", "s"]), 0);

    // Large sets, all three SPOP strategies, strings in a table.
    let items: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "t"];
    args.extend(items.iter().map(String::as_str));
    ok(&mut c, &args);
    let mut got = BTreeSet::new();
    for n in ["5", "80", "10", "50"] {
        let out = list(&mut c, &["SPOP", "t", n]);
        assert_eq!(out.len(), n.parse::<usize>().unwrap().min(100 - got.len()));
        for m in out {
            assert!(got.insert(m), "popped twice");
        }
    }
    assert_eq!(got, items.iter().cloned().collect());
    assert_eq!(int(&mut c, &["EXISTS", "t"]), 0);
}

#[test]
fn smove_semantics() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SADD", "a", "1", "2"]);
    ok(&mut c, &["SADD", "b", "2"]);
    assert_eq!(int(&mut c, &["SMOVE", "a", "b", "9"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "a", "a", "1"]), 1);
    assert_eq!(int(&mut c, &["SMOVE", "a", "a", "9"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "a", "b", "2"]), 1);
    assert_eq!(members(&mut c, &["SMEMBERS", "b"]), set_of(&["2"]));
    assert_eq!(int(&mut c, &["SMOVE", "a", "c", "1"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", "a"]), 0);
    assert_eq!(members(&mut c, &["SMEMBERS", "c"]), set_of(&["1"]));
}

#[test]
fn intersections_unions_and_differences() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SADD", "a", "1", "2", "3", "x"]);
    ok(&mut c, &["SADD", "b", "2", "3", "4", "x"]);
    ok(&mut c, &["SADD", "n", "3", "2", "9"]);
    assert_eq!(
        members(&mut c, &["SINTER", "a", "b"]),
        set_of(&["2", "3", "x"])
    );
    assert_eq!(
        list(&mut c, &["SINTER", "n", "a"]),
        ["2", "3"],
        "smallest set's order"
    );
    assert!(list(&mut c, &["SINTER", "a", "nokey"]).is_empty());
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b"]), 3);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]), 2);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "limit", "0"]), 3);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "nokey"]), 0);
    assert_eq!(int(&mut c, &["SINTERCARD", "1", "a"]), 4);
    let numkeys = "ERR numkeys should be greater than 0";
    assert_eq!(err(&mut c, &["SINTERCARD", "0", "a"]), numkeys);
    assert_eq!(err(&mut c, &["SINTERCARD", "-1", "a"]), numkeys);
    assert_eq!(err(&mut c, &["SINTERCARD", "x", "a"]), numkeys);
    assert_eq!(
        err(&mut c, &["SINTERCARD", "3", "a", "b"]),
        "ERR Number of keys can't be greater than number of args"
    );
    let limit = "ERR LIMIT can't be negative";
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "-1"]), limit);
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "x"]), limit);
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "a", "LIMIT"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "a", "b"]),
        "ERR syntax error"
    );

    assert_eq!(
        members(&mut c, &["SUNION", "a", "nokey", "b"]),
        set_of(&["1", "2", "3", "4", "x"])
    );
    assert_eq!(
        list(&mut c, &["SUNION", "n"]),
        ["2", "3", "9"],
        "intset order"
    );
    assert!(list(&mut c, &["SUNION", "nokey"]).is_empty());
    assert_eq!(members(&mut c, &["SDIFF", "a", "b"]), set_of(&["1"]));
    assert_eq!(
        members(&mut c, &["SDIFF", "a", "nokey", "n"]),
        set_of(&["1", "x"])
    );
    assert!(list(&mut c, &["SDIFF", "a", "b", "a"]).is_empty());
    assert!(list(&mut c, &["SDIFF", "nokey", "a"]).is_empty());

    // STORE forms overwrite (clearing a TTL) or delete the destination.
    ok(&mut c, &["SET", "d", "string"]);
    ok(&mut c, &["EXPIRE", "d", "100"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "b"]), 3);
    assert_eq!(int(&mut c, &["TTL", "d"]), -1);
    assert_eq!(
        members(&mut c, &["SMEMBERS", "d"]),
        set_of(&["2", "3", "x"])
    );
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "a", "n"]), 5);
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "d", "a"]), 1);
    assert_eq!(members(&mut c, &["SMEMBERS", "d"]), set_of(&["9"]));
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "a", "a"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "nokey"]), 0);
    assert_eq!(
        int(&mut c, &["SINTERSTORE", "a", "a", "n"]),
        2,
        "dst among sources"
    );
    assert_eq!(members(&mut c, &["SMEMBERS", "a"]), set_of(&["2", "3"]));
}

#[test]
fn sscan_keeps_scan_guarantees() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SADD", "i", "3", "1", "2", "10"]);
    let reply = ok(&mut c, &["SSCAN", "i", "0", "COUNT", "1"]);
    let Value::Array(parts) = reply else { panic!() };
    assert_eq!(text(&parts[0]), "0", "an intset comes back whole");
    assert_eq!(list_of(&parts[1]), ["1", "2", "3", "10"]);
    let Value::Array(parts) = ok(&mut c, &["SSCAN", "i", "0", "MATCH", "1*"]) else {
        panic!()
    };
    assert_eq!(list_of(&parts[1]), ["1", "10"]);

    let items: Vec<String> = (0..1000).map(|i| format!("member:{i}")).collect();
    for chunk in items.chunks(100) {
        let mut args = vec!["SADD", "h"];
        args.extend(chunk.iter().map(String::as_str));
        ok(&mut c, &args);
    }
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let Value::Array(parts) = ok(&mut c, &["SSCAN", "h", &cursor, "COUNT", "20"]) else {
            panic!()
        };
        cursor = text(&parts[0]);
        seen.extend(list_of(&parts[1]));
        calls += 1;
        // Members removed mid-scan must not break the walk.
        if calls == 5 {
            ok(&mut c, &["SREM", "h", "member:999"]);
            ok(&mut c, &["SADD", "h", "late"]);
        }
        if cursor == "0" {
            break;
        }
        assert!(calls < 1000);
    }
    assert!(calls > 10);
    for item in &items[..999] {
        assert!(seen.contains(item), "{item} never returned");
    }
    let Value::Array(parts) = ok(
        &mut c,
        &["SSCAN", "h", "0", "MATCH", "member:99*", "COUNT", "2000"],
    ) else {
        panic!()
    };
    assert_eq!(list_of(&parts[1]).len(), 10, "member:99 and 990..=998");

    assert_eq!(err(&mut c, &["SSCAN", "h", "x"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SSCAN", "nokey", "x"]), "ERR invalid cursor");
    assert_eq!(
        ok(&mut c, &["SSCAN", "nokey", "0", "COUNT", "x"]),
        Value::Array(vec![Value::BulkString(b"0".to_vec()), Value::Array(vec![])])
    );
    assert_eq!(
        err(&mut c, &["SSCAN", "h", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["SSCAN", "h", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SSCAN", "h", "0", "TYPE", "set"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SSCAN", "h", "0", "MATCH"]),
        "ERR syntax error"
    );
}

fn list_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(text).collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// Values printed by redis-server 7.0.15 after the same commands.
#[test]
fn digest_matches_redis() {
    let server = common::start_server(&["--enable-debug-command", "yes"]);
    let mut c = server.connection();
    ok(&mut c, &["SADD", "si", "1", "2", "3", "-5", "100000"]);
    ok(&mut c, &["SADD", "sh", "a", "b", "c", "7"]);
    let digest = |c: &mut Connection, args: &[&str]| match ok(c, args) {
        Value::Array(items) => text(&items[0]),
        other => text(&other),
    };
    assert_eq!(
        digest(&mut c, &["DEBUG", "DIGEST-VALUE", "si"]),
        "1ed7e76f32098645c31d43488139d4a78cbebd28"
    );
    assert_eq!(
        digest(&mut c, &["DEBUG", "DIGEST-VALUE", "sh"]),
        "c91787d9d9e54d4537dc9af1186ce3d3608755a8"
    );
    assert_eq!(
        digest(&mut c, &["DEBUG", "DIGEST"]),
        "79732632ceaafd75187e9a95ec65e9a51830e9e5"
    );
    ok(&mut c, &["PEXPIRE", "sh", "100000000"]);
    assert_eq!(
        digest(&mut c, &["DEBUG", "DIGEST-VALUE", "sh"]),
        "2f92792605dca711f6ca71095d062c487a29142b"
    );
}

/// Sends `commands` on a raw connection and returns what arrived once `done`
/// says it is complete (or the deadline passed).
fn raw_exchange(
    server: &common::ServerGuard,
    commands: &[&[&str]],
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let mut stream = server.raw();
    let mut out = Vec::new();
    for args in commands {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in *args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    stream.write_all(&out).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    common::wait_until(Duration::from_secs(10), || {
        if let Ok(n) = stream.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        done(&got)
    });
    got
}

#[test]
fn resp3_shapes_follow_redis() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SADD", "s", "1", "2"]);
    let cases: &[(&[&str], &str)] = &[
        (&["SMEMBERS", "s"], "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
        (&["SMEMBERS", "nokey"], "~0\r\n"),
        (&["SINTER", "s", "nokey"], "~0\r\n"),
        (&["SUNION", "s"], "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
        (&["SDIFF", "nokey"], "~0\r\n"),
        (&["SRANDMEMBER", "s", "5"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
        (&["SRANDMEMBER", "nokey", "5"], "*0\r\n"),
        (&["SRANDMEMBER", "nokey"], "_\r\n"),
        (&["SPOP", "nokey"], "_\r\n"),
        (&["SPOP", "nokey", "2"], "~0\r\n"),
        (&["SPOP", "s", "0"], "~0\r\n"),
        (&["SMISMEMBER", "s", "2", "9"], "*2\r\n:1\r\n:0\r\n"),
        (&["SSCAN", "nokey", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["SINTERCARD", "1", "s"], ":2\r\n"),
        (&["SPOP", "s", "5"], "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
    ];
    let mut commands: Vec<&[&str]> = vec![&["HELLO", "3"]];
    commands.extend(cases.iter().map(|(args, _)| *args));
    let expected: String = cases.iter().map(|(_, reply)| *reply).collect();
    let got = raw_exchange(&server, &commands, |b| b.ends_with(expected.as_bytes()));
    let got = String::from_utf8_lossy(&got);
    // Skip HELLO's map reply: everything after it must match exactly.
    assert!(got.ends_with(&expected), "got {got:?}");
}

#[test]
fn sintercard_keys_for_command_getkeys() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(
        list(&mut c, &["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b"]),
        ["a", "b"]
    );
    assert_eq!(
        list(&mut c, &["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"]),
        ["a", "b"]
    );
    assert_eq!(
        list(
            &mut c,
            &["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"]
        ),
        ["d", "a", "b"]
    );
}
