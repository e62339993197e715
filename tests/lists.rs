//! End-to-end: the lists family (pushes, pops, ranges, LSET/LREM/LTRIM/LINSERT,
//! LPOS, LMOVE, LMPOP and the blocking commands) replies, errors, encodings and
//! digests exactly as Redis 7.0 does, and blocked clients wake in FIFO order.

mod common;

#[allow(unused_imports)]
use common::*;

use std::time::{Duration, Instant};

use redis::{Connection, Value};

fn arr(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| bulk(s)).collect())
}

fn ints(items: &[i64]) -> Value {
    Value::Array(items.iter().map(|n| int(*n)).collect())
}

fn empty() -> Value {
    Value::Array(vec![])
}

fn blocked_clients(con: &mut Connection) -> i64 {
    let info: String = redis::cmd("INFO").arg("clients").query(con).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(con: &mut Connection, n: i64) {
    let reached = common::wait_until(Duration::from_secs(10), || blocked_clients(con) == n);
    assert!(reached, "blocked_clients never reached {n}");
}

#[test]
fn push_pop_and_ranges() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    assert_eq!(ok(&mut c, &["RPUSH", "l", "a", "b", "c"]), int(3));
    assert_eq!(ok(&mut c, &["LPUSH", "l", "x", "y"]), int(5));
    assert_eq!(
        ok(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["y", "x", "a", "b", "c"])
    );
    assert_eq!(ok(&mut c, &["LRANGE", "l", "-2", "100"]), arr(&["b", "c"]));
    assert_eq!(ok(&mut c, &["LRANGE", "l", "3", "1"]), empty());
    assert_eq!(ok(&mut c, &["LRANGE", "nokey", "0", "-1"]), empty());
    assert_eq!(ok(&mut c, &["LLEN", "l"]), int(5));
    assert_eq!(ok(&mut c, &["LLEN", "nokey"]), int(0));
    assert_eq!(ok(&mut c, &["LINDEX", "l", "0"]), bulk("y"));
    assert_eq!(ok(&mut c, &["LINDEX", "l", "-1"]), bulk("c"));
    assert_eq!(ok(&mut c, &["LINDEX", "l", "5"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LINDEX", "nokey", "x"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LPUSHX", "nokey", "a"]), int(0));
    assert_eq!(ok(&mut c, &["RPUSHX", "nokey", "a"]), int(0));
    assert_eq!(ok(&mut c, &["EXISTS", "nokey"]), int(0));
    assert_eq!(ok(&mut c, &["RPUSHX", "l", "d", "e"]), int(7));
    assert_eq!(ok(&mut c, &["LPUSHX", "l", "z"]), int(8));
    assert_eq!(ok(&mut c, &["LPOP", "l"]), bulk("z"));
    assert_eq!(ok(&mut c, &["RPOP", "l"]), bulk("e"));
    assert_eq!(ok(&mut c, &["LPOP", "l", "2"]), arr(&["y", "x"]));
    assert_eq!(ok(&mut c, &["RPOP", "l", "2"]), arr(&["d", "c"]));
    assert_eq!(ok(&mut c, &["LPOP", "l", "0"]), empty());
    assert_eq!(ok(&mut c, &["RPOP", "l", "10"]), arr(&["b", "a"]));
    assert_eq!(ok(&mut c, &["EXISTS", "l"]), int(0));
    assert_eq!(ok(&mut c, &["LPOP", "l"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LPOP", "l", "0"]), Value::Nil);
    assert_eq!(ok(&mut c, &["RPOP", "l", "3"]), Value::Nil);
    // Integers come back as their decimal text.
    ok(
        &mut c,
        &["RPUSH", "n", "1", "-5", "300", "99999999999", "012"],
    );
    assert_eq!(
        ok(&mut c, &["LRANGE", "n", "0", "-1"]),
        arr(&["1", "-5", "300", "99999999999", "012"])
    );
}

#[test]
fn edits_in_the_middle() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["RPUSH", "l", "a", "b", "c", "b", "a"]);
    assert_eq!(ok(&mut c, &["LSET", "l", "1", "B"]), Value::Okay);
    assert_eq!(ok(&mut c, &["LSET", "l", "-1", "A"]), Value::Okay);
    assert_eq!(
        ok(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["a", "B", "c", "b", "A"])
    );
    assert_eq!(ok(&mut c, &["LINSERT", "l", "BEFORE", "c", "x"]), int(6));
    assert_eq!(ok(&mut c, &["LINSERT", "l", "after", "A", "y"]), int(7));
    assert_eq!(
        ok(&mut c, &["LINSERT", "l", "AFTER", "nothere", "y"]),
        int(-1)
    );
    assert_eq!(ok(&mut c, &["LINSERT", "nokey", "AFTER", "a", "y"]), int(0));
    assert_eq!(
        ok(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["a", "B", "x", "c", "b", "A", "y"])
    );
    ok(&mut c, &["RPUSH", "r", "a", "b", "a", "c", "a", "b"]);
    assert_eq!(ok(&mut c, &["LREM", "r", "-1", "b"]), int(1));
    assert_eq!(ok(&mut c, &["LREM", "r", "1", "a"]), int(1));
    assert_eq!(
        ok(&mut c, &["LRANGE", "r", "0", "-1"]),
        arr(&["b", "a", "c", "a"])
    );
    assert_eq!(ok(&mut c, &["LREM", "r", "0", "a"]), int(2));
    assert_eq!(ok(&mut c, &["LREM", "nokey", "0", "a"]), int(0));
    assert_eq!(ok(&mut c, &["LREM", "r", "0", "b"]), int(1));
    assert_eq!(ok(&mut c, &["LREM", "r", "0", "c"]), int(1));
    assert_eq!(ok(&mut c, &["EXISTS", "r"]), int(0));
    ok(&mut c, &["RPUSH", "t", "1", "2", "3", "4", "5"]);
    assert_eq!(ok(&mut c, &["LTRIM", "t", "1", "-2"]), Value::Okay);
    assert_eq!(
        ok(&mut c, &["LRANGE", "t", "0", "-1"]),
        arr(&["2", "3", "4"])
    );
    assert_eq!(ok(&mut c, &["LTRIM", "nokey", "0", "1"]), Value::Okay);
    assert_eq!(ok(&mut c, &["LTRIM", "t", "5", "10"]), Value::Okay);
    assert_eq!(ok(&mut c, &["EXISTS", "t"]), int(0));
}

#[test]
fn lpos_options() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(
        &mut c,
        &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
    );
    assert_eq!(ok(&mut c, &["LPOS", "l", "c"]), int(2));
    assert_eq!(ok(&mut c, &["LPOS", "l", "c", "RANK", "2"]), int(6));
    assert_eq!(ok(&mut c, &["LPOS", "l", "c", "RANK", "-1"]), int(7));
    assert_eq!(
        ok(&mut c, &["LPOS", "l", "c", "COUNT", "0"]),
        ints(&[2, 6, 7])
    );
    assert_eq!(
        ok(&mut c, &["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(
        ok(&mut c, &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"]),
        ints(&[2])
    );
    assert_eq!(ok(&mut c, &["LPOS", "l", "c", "MAXLEN", "2"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LPOS", "l", "2"]), int(4));
    assert_eq!(ok(&mut c, &["LPOS", "l", "zz"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LPOS", "l", "zz", "COUNT", "1"]), empty());
    assert_eq!(ok(&mut c, &["LPOS", "nokey", "a"]), Value::Nil);
    assert_eq!(ok(&mut c, &["LPOS", "nokey", "a", "COUNT", "1"]), empty());
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "RANK", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "COUNT", "-1"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "COUNT", "x"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "MAXLEN", "-1"]),
        "ERR MAXLEN can't be negative"
    );
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "RANK"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "FOO", "1"]),
        "ERR syntax error"
    );
}

#[test]
fn moves_and_multi_pops() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["RPUSH", "l", "a", "b", "c"]);
    // Same source and destination: a rotation.
    assert_eq!(ok(&mut c, &["LMOVE", "l", "l", "LEFT", "RIGHT"]), bulk("a"));
    assert_eq!(
        ok(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["b", "c", "a"])
    );
    assert_eq!(ok(&mut c, &["RPOPLPUSH", "l", "l"]), bulk("a"));
    assert_eq!(
        ok(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["a", "b", "c"])
    );
    assert_eq!(ok(&mut c, &["LMOVE", "l", "d", "right", "left"]), bulk("c"));
    assert_eq!(ok(&mut c, &["RPOPLPUSH", "l", "d"]), bulk("b"));
    assert_eq!(ok(&mut c, &["LMOVE", "l", "d", "LEFT", "RIGHT"]), bulk("a"));
    assert_eq!(ok(&mut c, &["EXISTS", "l"]), int(0));
    assert_eq!(
        ok(&mut c, &["LRANGE", "d", "0", "-1"]),
        arr(&["b", "c", "a"])
    );
    assert_eq!(
        ok(&mut c, &["LMOVE", "nokey", "d", "LEFT", "LEFT"]),
        Value::Nil
    );
    assert_eq!(ok(&mut c, &["RPOPLPUSH", "nokey", "d"]), Value::Nil);
    // A one-element list moved onto itself survives.
    ok(&mut c, &["RPUSH", "one", "x"]);
    assert_eq!(
        ok(&mut c, &["LMOVE", "one", "one", "LEFT", "LEFT"]),
        bulk("x")
    );
    assert_eq!(ok(&mut c, &["LLEN", "one"]), int(1));

    assert_eq!(
        ok(&mut c, &["LMPOP", "2", "nokey", "d", "LEFT", "COUNT", "2"]),
        Value::Array(vec![bulk("d"), arr(&["b", "c"])])
    );
    assert_eq!(
        ok(&mut c, &["LMPOP", "1", "d", "RIGHT", "COUNT", "10"]),
        Value::Array(vec![bulk("d"), arr(&["a"])])
    );
    assert_eq!(
        ok(&mut c, &["LMPOP", "2", "nokey", "d", "LEFT"]),
        Value::Nil
    );
    ok(&mut c, &["RPUSH", "m", "1", "2", "3"]);
    assert_eq!(
        ok(&mut c, &["LMPOP", "1", "m", "RIGHT"]),
        Value::Array(vec![bulk("m"), arr(&["3"])])
    );
}

#[test]
fn errors_match_redis() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    ok(&mut c, &["SET", "s", "x"]);
    ok(&mut c, &["RPUSH", "l", "a"]);
    const WT: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["LPUSH", "s", "a"][..],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "1"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "x"],
        &["LREM", "s", "0", "x"],
        &["LTRIM", "s", "0", "1"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "l", "LEFT", "LEFT"],
        &["LMOVE", "l", "s", "LEFT", "LEFT"],
        &["RPOPLPUSH", "l", "s"],
        &["LMPOP", "2", "nokey", "s", "LEFT"],
        &["BLPOP", "nokey", "s", "0"],
        &["BRPOPLPUSH", "s", "l", "0"],
        &["BLMPOP", "0", "1", "s", "LEFT"],
    ] {
        assert_eq!(err(&mut c, args), WT, "{args:?}");
    }
    // The failed moves left the source alone.
    assert_eq!(ok(&mut c, &["LRANGE", "l", "0", "-1"]), arr(&["a"]));
    const POS: &str = "ERR value is out of range, must be positive";
    const NOT_INT: &str = "ERR value is not an integer or out of range";
    assert_eq!(err(&mut c, &["LPOP", "l", "-1"]), POS);
    assert_eq!(err(&mut c, &["LPOP", "l", "abc"]), POS);
    assert_eq!(
        err(&mut c, &["LPOP", "l", "1", "2"]),
        "ERR wrong number of arguments for 'lpop' command"
    );
    assert_eq!(
        err(&mut c, &["RPOP", "l", "1", "2"]),
        "ERR wrong number of arguments for 'rpop' command"
    );
    assert_eq!(
        err(&mut c, &["LPUSH", "l"]),
        "ERR wrong number of arguments for 'lpush' command"
    );
    assert_eq!(
        err(&mut c, &["BLPOP", "l"]),
        "ERR wrong number of arguments for 'blpop' command"
    );
    assert_eq!(err(&mut c, &["LRANGE", "nokey", "a", "1"]), NOT_INT);
    assert_eq!(err(&mut c, &["LTRIM", "nokey", "0", "b"]), NOT_INT);
    assert_eq!(err(&mut c, &["LREM", "nokey", "x", "a"]), NOT_INT);
    assert_eq!(err(&mut c, &["LINDEX", "l", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["LSET", "l", "x", "v"]), NOT_INT);
    assert_eq!(err(&mut c, &["LSET", "nokey", "x", "v"]), "ERR no such key");
    assert_eq!(
        err(&mut c, &["LSET", "l", "5", "v"]),
        "ERR index out of range"
    );
    assert_eq!(
        err(&mut c, &["LINSERT", "l", "MIDDLE", "a", "b"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["LMOVE", "l", "d", "UP", "LEFT"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["LMPOP", "0", "l", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["LMPOP", "x", "l", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["LMPOP", "5", "l", "LEFT"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["LMPOP", "1", "l", "MIDDLE"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["LMPOP", "1", "l", "LEFT", "COUNT", "0"]),
        "ERR count should be greater than 0"
    );
    assert_eq!(
        err(
            &mut c,
            &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"]
        ),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["BLPOP", "l", "abc"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(
        err(&mut c, &["BLPOP", "l", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        err(&mut c, &["BLMOVE", "l", "d", "LEFT", "UP", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["BLMOVE", "l", "d", "LEFT", "LEFT", "x"]),
        "ERR timeout is not a float or out of range"
    );
    // BLMPOP checks its timeout after the other arguments.
    assert_eq!(
        err(&mut c, &["BLMPOP", "x", "0", "l", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["BLMPOP", "x", "1", "l", "LEFT"]),
        "ERR timeout is not a float or out of range"
    );
}

#[test]
fn encoding_and_digest_match_redis() {
    let server = common::start_server(&["--enable-debug-command", "yes"]);
    let mut c = server.connection();
    ok(&mut c, &["RPUSH", "big", "x"]);
    assert_eq!(
        ok(&mut c, &["OBJECT", "ENCODING", "big"]),
        bulk("quicklist")
    );
    assert_eq!(
        ok(&mut c, &["TYPE", "big"]),
        Value::SimpleString("list".into())
    );
    // Values printed by redis-server 7.0.15 for the same lists.
    assert_eq!(
        ok(&mut c, &["DEBUG", "DIGEST-VALUE", "big"]),
        Value::Array(vec![Value::SimpleString(
            "b7bf7c7fd12bee893767b604e8582837a111d357".into()
        )])
    );
    ok(
        &mut c,
        &["RPUSH", "big", "y", "z", "1", "2", "-100", "12345678901234"],
    );
    assert_eq!(
        ok(&mut c, &["DEBUG", "DIGEST-VALUE", "big"]),
        Value::Array(vec![Value::SimpleString(
            "8dbb9e07ccff57a8dca0a92728400d6b8a87540b".into()
        )])
    );
    // Any node size keeps the encoding name, and the contents.
    for size in ["1", "-1", "-5", "100"] {
        ok(&mut c, &["CONFIG", "SET", "list-max-listpack-size", size]);
        let key = format!("l{size}");
        for i in 0..300 {
            ok(&mut c, &["RPUSH", &key, &format!("element-{i}")]);
        }
        ok(&mut c, &["LINSERT", &key, "BEFORE", "element-150", "mid"]);
        assert_eq!(ok(&mut c, &["OBJECT", "ENCODING", &key]), bulk("quicklist"));
        assert_eq!(ok(&mut c, &["LINDEX", &key, "150"]), bulk("mid"));
        assert_eq!(ok(&mut c, &["LINDEX", &key, "-1"]), bulk("element-299"));
        assert_eq!(ok(&mut c, &["LLEN", &key]), int(301));
    }
    assert_eq!(
        ok(&mut c, &["CONFIG", "GET", "list-max-ziplist-size"]),
        arr(&["list-max-ziplist-size", "100"])
    );
}

#[test]
// The test measures that the timeout really waited: it reads the wall clock.
#[allow(clippy::disallowed_methods)]
fn blpop_times_out_with_null() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let start = Instant::now();
    assert_eq!(ok(&mut c, &["BLPOP", "nokey", "0.1"]), Value::Nil);
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        ok(&mut c, &["BRPOPLPUSH", "nokey", "d", "0.05"]),
        Value::Nil
    );
    assert_eq!(
        ok(&mut c, &["BLMPOP", "0.05", "1", "nokey", "LEFT"]),
        Value::Nil
    );
    // An existing list is served at once, like LPOP.
    ok(&mut c, &["RPUSH", "l", "a", "b"]);
    assert_eq!(ok(&mut c, &["BRPOP", "nokey", "l", "0"]), arr(&["l", "b"]));
    assert_eq!(
        ok(
            &mut c,
            &["BLMPOP", "0", "2", "nokey", "l", "LEFT", "COUNT", "5"]
        ),
        Value::Array(vec![bulk("l"), arr(&["a"])])
    );
    // Inside MULTI nothing blocks.
    ok(&mut c, &["MULTI"]);
    ok(&mut c, &["BLPOP", "nokey", "0"]);
    ok(&mut c, &["BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"]);
    assert_eq!(
        ok(&mut c, &["EXEC"]),
        Value::Array(vec![Value::Nil, Value::Nil])
    );
}

#[test]
fn blpop_is_woken_by_a_push_from_another_client() {
    let server = common::start_server(&[]);
    let mut waiter = server.connection();
    let mut c = server.connection();
    let handle = std::thread::spawn(move || ok(&mut waiter, &["BLPOP", "k1", "k2", "0"]));
    wait_blocked(&mut c, 1);
    assert_eq!(ok(&mut c, &["RPUSH", "k2", "v"]), int(1));
    assert_eq!(handle.join().expect("waiter"), arr(&["k2", "v"]));
    assert_eq!(ok(&mut c, &["EXISTS", "k2"]), int(0));
    assert_eq!(blocked_clients(&mut c), 0);
}

#[test]
fn blocked_clients_are_served_first_come_first_served() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let mut first = server.connection();
    let mut second = server.connection();
    let a = std::thread::spawn(move || ok(&mut first, &["BRPOP", "q", "0"]));
    wait_blocked(&mut c, 1);
    let b = std::thread::spawn(move || ok(&mut second, &["BRPOP", "q", "0"]));
    wait_blocked(&mut c, 2);
    ok(&mut c, &["RPUSH", "q", "one"]);
    assert_eq!(a.join().expect("first"), arr(&["q", "one"]));
    wait_blocked(&mut c, 1);
    ok(&mut c, &["RPUSH", "q", "two"]);
    assert_eq!(b.join().expect("second"), arr(&["q", "two"]));
    assert_eq!(ok(&mut c, &["EXISTS", "q"]), int(0));
}

#[test]
fn blmove_is_woken_and_moves() {
    let server = common::start_server(&[]);
    let mut c = server.connection();
    let mut waiter = server.connection();
    let h = std::thread::spawn(move || {
        ok(&mut waiter, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"])
    });
    wait_blocked(&mut c, 1);
    ok(&mut c, &["RPUSH", "dst", "old"]);
    assert_eq!(blocked_clients(&mut c), 1, "a push elsewhere wakes nobody");
    ok(&mut c, &["RPUSH", "src", "v", "w"]);
    assert_eq!(h.join().expect("waiter"), bulk("v"));
    assert_eq!(ok(&mut c, &["LRANGE", "src", "0", "-1"]), arr(&["w"]));
    assert_eq!(
        ok(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["old", "v"])
    );
    // BRPOPLPUSH feeding a BLPOP waiter on its destination.
    let mut waiter = server.connection();
    let h = std::thread::spawn(move || ok(&mut waiter, &["BLPOP", "chain", "0"]));
    wait_blocked(&mut c, 1);
    assert_eq!(ok(&mut c, &["BRPOPLPUSH", "src", "chain", "0"]), bulk("w"));
    assert_eq!(h.join().expect("chain waiter"), arr(&["chain", "w"]));
    assert_eq!(ok(&mut c, &["EXISTS", "chain"]), int(0));
}
