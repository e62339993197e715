//! Pins MULTI/EXEC/DISCARD/WATCH/UNWATCH against the real binary: queueing,
//! every error reply, EXECABORT, WATCH invalidated by another client's write, by
//! the watcher's own write, by expiry (lazy and active), by FLUSHALL, FLUSHDB,
//! SWAPDB and MOVE, and not invalidated when nothing changed; null arrays in
//! RESP2 and RESP3; CLIENT LIST and commandstats; byte-for-byte comparison with
//! the installed redis-server.

mod common;
mod raw;

use std::time::Duration;

use common::*;
use raw::{run_script, Raw};
use redis::{Connection, Value};

fn err_text(con: &mut Connection, args: &[&str]) -> String {
    let e = cmd(con, args).expect_err("an error reply");
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

fn status(s: &str) -> Value {
    if s == "OK" {
        Value::Okay
    } else {
        Value::SimpleString(s.to_string())
    }
}

/// WATCH `key` on `watcher`, let `meddle` run, then MULTI / GET / EXEC: returns
/// EXEC's raw reply.
fn watched_exec(watcher: &mut Raw, key: &str, meddle: impl FnOnce()) -> String {
    assert_eq!(watcher.call(&["WATCH", key]), "+OK\r\n");
    meddle();
    assert_eq!(watcher.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(watcher.call(&["PING"]), "+QUEUED\r\n");
    watcher.call(&["EXEC"])
}

const EXEC_RAN: &str = "*1\r\n+PONG\r\n";
const EXEC_NULL: &str = "*-1\r\n";

#[test]
fn multi_queues_and_exec_replies_with_every_result() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    assert_eq!(ok(&mut con, &["MULTI"]), Value::Okay);
    assert_eq!(ok(&mut con, &["SET", "k", "v"]), status("QUEUED"));
    assert_eq!(ok(&mut con, &["INCR", "k"]), status("QUEUED"));
    assert_eq!(ok(&mut con, &["GET", "k"]), status("QUEUED"));
    let exec = cmd(&mut con, &["EXEC"]);
    // The redis crate turns an error inside the array into an error result;
    // read the raw reply instead for the exact shape.
    drop(exec);
    let mut raw = Raw::connect(srv.port());
    raw.call(&["MULTI"]);
    raw.call(&["SET", "k", "v"]);
    raw.call(&["INCR", "k"]);
    raw.call(&["GET", "k"]);
    assert_eq!(
        raw.call(&["EXEC"]),
        "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"
    );
    assert_eq!(raw.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.call(&["EXEC"]), "*0\r\n");
    assert_eq!(raw.call(&["MULTI"]), "+OK\r\n");
    raw.call(&["SET", "gone", "1"]);
    assert_eq!(raw.call(&["DISCARD"]), "+OK\r\n");
    assert_eq!(ok(&mut con, &["EXISTS", "gone"]), Value::Int(0));
}

#[test]
fn transaction_errors_are_redis_words() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    assert_eq!(err_text(&mut con, &["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(
        err_text(&mut con, &["DISCARD"]),
        "ERR DISCARD without MULTI"
    );
    ok(&mut con, &["MULTI"]);
    assert_eq!(
        err_text(&mut con, &["MULTI"]),
        "ERR MULTI calls can not be nested"
    );
    assert_eq!(
        err_text(&mut con, &["WATCH", "k"]),
        "ERR WATCH inside MULTI is not allowed"
    );
    // Neither of those doomed the transaction.
    assert_eq!(ok(&mut con, &["SET", "k", "1"]), status("QUEUED"));
    assert_eq!(ok(&mut con, &["EXEC"]), Value::Array(vec![Value::Okay]));

    // Refused while queueing: unknown command, wrong arity, NO_MULTI.
    for bad in [&["NOSUCH"][..], &["GET"], &["SHUTDOWN"]] {
        ok(&mut con, &["MULTI"]);
        ok(&mut con, &["SET", "k", "2"]);
        assert!(cmd(&mut con, bad).is_err());
        assert_eq!(
            err_text(&mut con, &["EXEC"]),
            "EXECABORT Transaction discarded because of previous errors."
        );
        assert_eq!(
            ok(&mut con, &["GET", "k"]),
            bulk("1"),
            "{bad:?} must not let SET run"
        );
    }
    ok(&mut con, &["MULTI"]);
    assert_eq!(
        err_text(&mut con, &["SHUTDOWN"]),
        "ERR Command not allowed inside a transaction"
    );
    ok(&mut con, &["DISCARD"]);
    // A refused EXEC ends the transaction with the reason.
    ok(&mut con, &["MULTI"]);
    assert_eq!(
        err_text(&mut con, &["EXEC", "extra"]),
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"
    );
    assert_eq!(err_text(&mut con, &["EXEC"]), "ERR EXEC without MULTI");
}

#[test]
fn watch_is_invalidated_by_another_clients_write() {
    let srv = start_server(&[]);
    let mut other = srv.connection();
    let mut w = Raw::connect(srv.port());
    ok(&mut other, &["SET", "k", "1"]);
    assert_eq!(
        watched_exec(&mut w, "k", || {
            ok(&mut other, &["SET", "k", "2"]);
        }),
        EXEC_NULL
    );
    // The watch ended with EXEC: the next transaction runs.
    ok(&mut other, &["SET", "k", "3"]);
    assert_eq!(w.call(&["MULTI"]), "+OK\r\n");
    w.call(&["PING"]);
    assert_eq!(w.call(&["EXEC"]), EXEC_RAN);
    // Reads and failed writes change nothing.
    let untouched = watched_exec(&mut w, "k", || {
        ok(&mut other, &["GET", "k"]);
        assert!(cmd(&mut other, &["LPUSH", "k", "x"]).is_err());
        ok(&mut other, &["SET", "unrelated", "x"]);
    });
    assert_eq!(untouched, EXEC_RAN);
    // A write to the same name in another db is another key.
    let other_db = watched_exec(&mut w, "k", || {
        ok(&mut other, &["SELECT", "1"]);
        ok(&mut other, &["SET", "k", "x"]);
        ok(&mut other, &["SELECT", "0"]);
    });
    assert_eq!(other_db, EXEC_RAN);
    // The watcher's own write counts too.
    assert_eq!(w.call(&["WATCH", "k"]), "+OK\r\n");
    assert_eq!(w.call(&["DEL", "k"]), ":1\r\n");
    w.call(&["MULTI"]);
    w.call(&["PING"]);
    assert_eq!(w.call(&["EXEC"]), EXEC_NULL);
    // UNWATCH forgets, and so does DISCARD.
    w.call(&["WATCH", "k"]);
    w.call(&["UNWATCH"]);
    ok(&mut other, &["SET", "k", "4"]);
    w.call(&["MULTI"]);
    w.call(&["PING"]);
    assert_eq!(w.call(&["EXEC"]), EXEC_RAN);
    w.call(&["WATCH", "k"]);
    w.call(&["MULTI"]);
    w.call(&["DISCARD"]);
    ok(&mut other, &["SET", "k", "5"]);
    w.call(&["MULTI"]);
    w.call(&["PING"]);
    assert_eq!(w.call(&["EXEC"]), EXEC_RAN);
}

#[test]
fn resp3_null_for_a_failed_watch() {
    let srv = start_server(&[]);
    let mut other = srv.connection();
    let mut w = Raw::connect(srv.port());
    assert!(w.call(&["HELLO", "3"]).starts_with('%'));
    let got = watched_exec(&mut w, "k", || {
        ok(&mut other, &["SET", "k", "x"]);
    });
    assert_eq!(got, "_\r\n");
}

#[test]
fn watch_is_invalidated_by_expiry() {
    let srv = start_server(&["--enable-debug-command", "yes"]);
    let mut other = srv.connection();
    let mut w = Raw::connect(srv.port());
    // The deadline is set before WATCH (setting it afterwards would itself be a
    // write) and far enough ahead that the key is still alive when WATCHed.
    // Lazy expiry: with the active cycle off, another client's read deletes it.
    ok(&mut other, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    ok(&mut other, &["SET", "lazy", "v", "PX", "300"]);
    let got = watched_exec(&mut w, "lazy", || {
        let gone = wait_until(Duration::from_secs(10), || {
            ok(&mut other, &["EXISTS", "lazy"]) == Value::Int(0)
        });
        assert!(gone);
    });
    assert_eq!(got, EXEC_NULL);
    // Active expiry: the cron deletes it while nobody looks (DBSIZE does not expire).
    ok(&mut other, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    ok(&mut other, &["SET", "active", "v", "PX", "300"]);
    let got = watched_exec(&mut w, "active", || {
        let gone = wait_until(Duration::from_secs(10), || {
            ok(&mut other, &["DBSIZE"]) == Value::Int(0)
        });
        assert!(gone);
    });
    assert_eq!(got, EXEC_NULL);
}

#[test]
fn flushall_flushdb_swapdb_and_move_invalidate() {
    let srv = start_server(&[]);
    let mut other = srv.connection();
    let mut w = Raw::connect(srv.port());
    ok(&mut other, &["SET", "k", "1"]);
    assert_eq!(
        watched_exec(&mut w, "k", || {
            ok(&mut other, &["FLUSHALL"]);
        }),
        EXEC_NULL
    );
    // Flushing a key that does not exist changes nothing.
    assert_eq!(
        watched_exec(&mut w, "k", || {
            ok(&mut other, &["FLUSHALL"]);
        }),
        EXEC_RAN
    );
    ok(&mut other, &["SET", "k", "1"]);
    let flushdb_other = watched_exec(&mut w, "k", || {
        ok(&mut other, &["SELECT", "2"]);
        ok(&mut other, &["FLUSHDB"]);
        ok(&mut other, &["SELECT", "0"]);
    });
    assert_eq!(flushdb_other, EXEC_RAN);
    assert_eq!(
        watched_exec(&mut w, "k", || {
            ok(&mut other, &["FLUSHDB"]);
        }),
        EXEC_NULL
    );
    // SWAPDB: the key appears in db 0 from db 1.
    ok(&mut other, &["SELECT", "1"]);
    ok(&mut other, &["SET", "k", "from1"]);
    ok(&mut other, &["SELECT", "0"]);
    assert_eq!(
        watched_exec(&mut w, "k", || {
            ok(&mut other, &["SWAPDB", "0", "1"]);
        }),
        EXEC_NULL
    );
    // MOVE writes the key in its destination db.
    ok(&mut other, &["FLUSHALL"]);
    ok(&mut other, &["SET", "m", "v"]);
    w.call(&["SELECT", "3"]);
    assert_eq!(
        watched_exec(&mut w, "m", || {
            ok(&mut other, &["MOVE", "m", "3"]);
        }),
        EXEC_NULL
    );
    // COPY ... DB too.
    ok(&mut other, &["SET", "src", "v"]);
    assert_eq!(
        watched_exec(&mut w, "dst", || {
            ok(&mut other, &["COPY", "src", "dst", "DB", "3"]);
        }),
        EXEC_NULL
    );
}

#[test]
fn client_list_and_commandstats_see_transactions() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let mut w = Raw::connect(srv.port());
    w.call(&["CLIENT", "SETNAME", "tx"]);
    w.call(&["MULTI"]);
    w.call(&["SET", "a", "1"]);
    w.call(&["SET", "b", "2"]);
    let list = match ok(&mut con, &["CLIENT", "LIST"]) {
        Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::VerbatimString { text, .. } => text,
        other => panic!("{other:?}"),
    };
    let line = list
        .lines()
        .find(|l| l.contains("name=tx"))
        .expect("tx line");
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" multi=2 "), "{line}");
    assert_eq!(w.call(&["EXEC"]), "*2\r\n+OK\r\n+OK\r\n");
    let info = match ok(&mut con, &["INFO", "commandstats"]) {
        Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::VerbatimString { text, .. } => text,
        other => panic!("{other:?}"),
    };
    assert!(info.contains("cmdstat_set:calls=2,"), "{info}");
    assert!(info.contains("cmdstat_exec:calls=1,"), "{info}");
    assert!(info.contains("cmdstat_multi:calls=1,"), "{info}");
}

#[test]
fn transaction_replies_match_real_redis_byte_for_byte() {
    let Some(real) = RealRedis::start(&[]) else {
        return;
    };
    let srv = start_server(&[]);
    let script: &[&[&str]] = &[
        &["EXEC"],
        &["DISCARD"],
        &["MULTI"],
        &["MULTI"],
        &["WATCH", "x"],
        &["SET", "x", "1"],
        &["INCR", "x"],
        &["LPUSH", "x", "y"],
        &["GET", "x"],
        &["EXEC"],
        &["MULTI"],
        &["GET"],
        &["NOSUCH", "arg"],
        &["EXEC"],
        &["MULTI"],
        &["EXEC", "x"],
        &["WATCH", "x"],
        &["SET", "x", "2"],
        &["MULTI"],
        &["GET", "x"],
        &["EXEC"],
        &["WATCH", "x"],
        &["UNWATCH"],
        &["MULTI"],
        &["UNWATCH"],
        &["SUBSCRIBE", "c"],
        &["EXEC"],
        &["UNSUBSCRIBE"],
        &["MULTI"],
        &["SHUTDOWN"],
        &["DISCARD"],
        &["MULTI"],
        &["PING"],
        &["RESET"],
        &["EXEC"],
    ];
    assert_eq!(
        run_script(srv.port(), script),
        run_script(real.port(), script)
    );
}
