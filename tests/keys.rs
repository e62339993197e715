//! End-to-end: generic key commands (DEL, EXISTS, TYPE, RENAME, COPY, MOVE, KEYS,
//! SCAN, RANDOMKEY, DBSIZE, TOUCH, the EXPIRE/TTL family, PERSIST, OBJECT, FLUSHDB,
//! FLUSHALL, SWAPDB) reply and fail exactly as Redis 7.0 does.

mod common;

#[allow(unused_imports)]
use common::*;

use std::collections::HashSet;
use std::time::Duration;

use redis::{Connection, Value};

fn err(con: &mut Connection, args: &[&str]) -> String {
    match cmd(con, args) {
        Err(e) => format!("{} {}", e.code().unwrap_or(""), e.detail().unwrap_or(""))
            .trim()
            .to_string(),
        Ok(v) => panic!("{args:?}: expected an error, got {v:?}"),
    }
}

fn stat(c: &mut Connection, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(c).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn del_exists_type_dbsize_touch() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(ok(&mut c, &["EXISTS", "a", "a", "x"]), int(2));
    assert_eq!(
        ok(&mut c, &["TYPE", "a"]),
        Value::SimpleString("string".into())
    );
    assert_eq!(
        ok(&mut c, &["TYPE", "x"]),
        Value::SimpleString("none".into())
    );
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(3));
    assert_eq!(ok(&mut c, &["TOUCH", "a", "b", "x"]), int(2));
    assert_eq!(ok(&mut c, &["DEL", "a", "x", "a"]), int(1));
    assert_eq!(ok(&mut c, &["UNLINK", "b", "c"]), int(2));
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(0));
    assert_eq!(
        err(&mut c, &["DEL"]),
        "ERR wrong number of arguments for 'del' command"
    );
    assert_eq!(
        err(&mut c, &["DBSIZE", "x"]),
        "ERR wrong number of arguments for 'dbsize' command"
    );
}

#[test]
fn rename_renamenx() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(err(&mut c, &["RENAME", "a", "b"]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAMENX", "a", "b"]), "ERR no such key");
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["EXPIRE", "a", "100"]);
    assert_eq!(ok(&mut c, &["RENAME", "a", "a"]), Value::Okay);
    assert_eq!(ok(&mut c, &["RENAMENX", "a", "a"]), int(0));
    assert_eq!(ok(&mut c, &["RENAME", "a", "b"]), Value::Okay);
    assert!(
        matches!(ok(&mut c, &["TTL", "b"]), Value::Int(1..)),
        "RENAME keeps the TTL"
    );
    ok(&mut c, &["SET", "c", "3"]);
    assert_eq!(ok(&mut c, &["RENAMENX", "b", "c"]), int(0));
    assert_eq!(ok(&mut c, &["RENAMENX", "b", "d"]), int(1));
    assert_eq!(ok(&mut c, &["RENAME", "d", "c"]), Value::Okay);
    assert_eq!(ok(&mut c, &["GET", "c"]), bulk("1"));
}

#[test]
fn copy_move_swapdb_select() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SET", "k", "v"]);
    ok(&mut c, &["EXPIRE", "k", "100"]);
    assert_eq!(ok(&mut c, &["COPY", "k", "k2"]), int(1));
    assert!(
        matches!(ok(&mut c, &["TTL", "k2"]), Value::Int(1..)),
        "COPY keeps the TTL"
    );
    assert_eq!(ok(&mut c, &["COPY", "k", "k2"]), int(0));
    assert_eq!(ok(&mut c, &["COPY", "k", "k2", "REPLACE"]), int(1));
    assert_eq!(ok(&mut c, &["COPY", "nope", "k3"]), int(0));
    assert_eq!(ok(&mut c, &["COPY", "k", "k", "DB", "1"]), int(1));
    assert_eq!(
        err(&mut c, &["COPY", "k", "k"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err(&mut c, &["COPY", "k", "x", "DB", "99"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &["COPY", "k", "x", "DB", "a"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut c, &["COPY", "k", "x", "FOO"]), "ERR syntax error");
    assert_eq!(
        ok(&mut c, &["MOVE", "k", "1"]),
        int(0),
        "db 1 already has k"
    );
    assert_eq!(ok(&mut c, &["MOVE", "k2", "1"]), int(1));
    assert_eq!(ok(&mut c, &["MOVE", "k2", "1"]), int(0));
    assert_eq!(
        err(&mut c, &["MOVE", "k", "0"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err(&mut c, &["MOVE", "k", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &["MOVE", "k", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(1));
    assert_eq!(ok(&mut c, &["SWAPDB", "0", "1"]), Value::Okay);
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(2));
    assert!(
        matches!(ok(&mut c, &["TTL", "k2"]), Value::Int(1..)),
        "MOVE keeps the TTL"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "x", "1"]),
        "ERR invalid first DB index"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "0", "y"]),
        "ERR invalid second DB index"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "0", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(ok(&mut c, &["SELECT", "1"]), Value::Okay);
    assert_eq!(ok(&mut c, &["GET", "k"]), bulk("v"));
}

#[test]
fn keys_scan_randomkey() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["RANDOMKEY"]), Value::Nil);
    for i in 0..200 {
        ok(&mut c, &["SET", &format!("key:{i}"), "v"]);
    }
    ok(&mut c, &["SET", "other", "v"]);
    let Value::Array(all) = ok(&mut c, &["KEYS", "*"]) else {
        panic!()
    };
    assert_eq!(all.len(), 201);
    let Value::Array(some) = ok(&mut c, &["KEYS", "key:1?"]) else {
        panic!()
    };
    assert_eq!(some.len(), 10);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, keys): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("MATCH")
            .arg("key:*")
            .arg("COUNT")
            .arg(17)
            .arg("TYPE")
            .arg("string")
            .query(&mut c)
            .expect("scan");
        seen.extend(keys);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 200);
    let (_, none): (String, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("TYPE")
        .arg("list")
        .arg("COUNT")
        .arg(1000)
        .query(&mut c)
        .expect("scan");
    assert!(none.is_empty());
    assert_eq!(err(&mut c, &["SCAN", "x"]), "ERR invalid cursor");
    assert_eq!(
        err(&mut c, &["SCAN", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SCAN", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut c, &["SCAN", "0", "MATCH"]), "ERR syntax error");
    assert!(matches!(ok(&mut c, &["RANDOMKEY"]), Value::BulkString(_)));
    assert_eq!(
        err(&mut c, &["KEYS"]),
        "ERR wrong number of arguments for 'keys' command"
    );
}

#[test]
fn expire_family_and_ttl() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["EXPIRE", "none", "10"]), int(0));
    assert_eq!(ok(&mut c, &["TTL", "none"]), int(-2));
    assert_eq!(ok(&mut c, &["PTTL", "none"]), int(-2));
    assert_eq!(ok(&mut c, &["EXPIRETIME", "none"]), int(-2));
    ok(&mut c, &["SET", "k", "v"]);
    assert_eq!(ok(&mut c, &["TTL", "k"]), int(-1));
    assert_eq!(ok(&mut c, &["PEXPIRETIME", "k"]), int(-1));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "100", "NX"]), int(1));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "200", "NX"]), int(0));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "50", "GT"]), int(0));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "200", "GT"]), int(1));
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "300", "LT"]), int(0));
    assert_eq!(ok(&mut c, &["PEXPIRE", "k", "150000", "LT", "XX"]), int(1));
    assert!(matches!(ok(&mut c, &["TTL", "k"]), Value::Int(149..=150)));
    assert_eq!(ok(&mut c, &["EXPIREAT", "k", "4000000000"]), int(1));
    assert_eq!(ok(&mut c, &["EXPIRETIME", "k"]), int(4_000_000_000));
    assert_eq!(ok(&mut c, &["PEXPIREAT", "k", "4000000000500"]), int(1));
    assert_eq!(ok(&mut c, &["PEXPIRETIME", "k"]), int(4_000_000_000_500));
    assert_eq!(ok(&mut c, &["PERSIST", "k"]), int(1));
    assert_eq!(ok(&mut c, &["PERSIST", "k"]), int(0));
    assert_eq!(ok(&mut c, &["PERSIST", "none"]), int(0));
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "10", "NX", "XX"]),
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "10", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "10", "FOO"]),
        "ERR Unsupported option FOO"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "9223372036854775807"]),
        "ERR invalid expire time in 'expire' command"
    );
    assert_eq!(
        err(&mut c, &["PEXPIRE", "k", "9223372036854775807"]),
        "ERR invalid expire time in 'pexpire' command"
    );
    // A deadline in the past deletes the key at once.
    assert_eq!(ok(&mut c, &["EXPIRE", "k", "-1"]), int(1));
    assert_eq!(ok(&mut c, &["EXISTS", "k"]), int(0));
}

#[test]
fn keys_expire_lazily_and_actively_and_are_counted() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let before = stat(&mut c, "expired_keys");
    ok(&mut c, &["SET", "lazy", "v", "PX", "30"]);
    for i in 0..50 {
        ok(&mut c, &["SET", &format!("active:{i}"), "v", "PX", "30"]);
    }
    ok(&mut c, &["SET", "keep", "v"]);
    // Lazily: a read after the deadline finds nothing.
    assert!(common::wait_until(Duration::from_secs(10), || {
        ok(&mut c, &["GET", "lazy"]) == Value::Nil
    }));
    // Actively, once the server cron runs active expiry: DBSIZE drops without reads.
    let active = common::wait_until(Duration::from_secs(10), || {
        ok(&mut c, &["DBSIZE"]) == int(1)
    });
    assert!(
        active,
        "active expiry did not remove the keys (is the cron calling it?)"
    );
    assert_eq!(stat(&mut c, "expired_keys"), before + 51);
}

#[test]
fn object_subcommands() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SET", "int", "123"]);
    ok(&mut c, &["SET", "big", "123456"]);
    ok(&mut c, &["SET", "emb", "hello"]);
    ok(&mut c, &["SET", "raw", &"x".repeat(45)]);
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "int"]), bulk("int"));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "emb"]), bulk("embstr"));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "raw"]), bulk("raw"));
    assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", "none"]), Value::Nil);
    assert_eq!(ok(&mut c, &["OBJECT", "REFCOUNT", "int"]), int(2147483647));
    assert_eq!(ok(&mut c, &["OBJECT", "REFCOUNT", "big"]), int(1));
    assert_eq!(ok(&mut c, &["OBJECT", "IDLETIME", "emb"]), int(0));
    assert!(err(&mut c, &["OBJECT", "FREQ", "emb"])
        .starts_with("ERR An LFU maxmemory policy is not selected"));
    let Value::Array(help) = ok(&mut c, &["OBJECT", "HELP"]) else {
        panic!()
    };
    assert!(help.len() > 5);
}

#[test]
fn flushdb_flushall() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["COPY", "a", "a", "DB", "2"]);
    assert_eq!(ok(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(0));
    ok(&mut c, &["SET", "a", "1"]);
    assert_eq!(ok(&mut c, &["FLUSHDB", "ASYNC"]), Value::Okay);
    assert_eq!(err(&mut c, &["FLUSHDB", "FOO"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["FLUSHALL", "SYNC", "x"]), "ERR syntax error");
    assert_eq!(ok(&mut c, &["FLUSHALL", "SYNC"]), Value::Okay);
    assert_eq!(ok(&mut c, &["SELECT", "2"]), Value::Okay);
    assert_eq!(ok(&mut c, &["DBSIZE"]), int(0));
}
