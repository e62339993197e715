//! Pins the MEMORY command and INFO memory against Redis 7.0: MEMORY USAGE grows
//! with the data and stays near what a real redis-server reports, its errors,
//! MEMORY STATS's field list, DOCTOR's words on an empty instance, and the bar of
//! issue 4: `used_memory` agrees with jemalloc's own `allocator.allocated` within
//! 1%, and a client that never reads raises it by its buffered replies within 1%;
//! and `jemalloc-bg-thread` starting and stopping jemalloc's purging thread.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use redis::Value;

fn usage(con: &mut redis::Connection, key: &str) -> i64 {
    query(con, &["MEMORY", "USAGE", key, "SAMPLES", "0"]).unwrap()
}

/// The same data in both servers: a string, a list, a hash, a set and a zset,
/// small (compact encodings) and large.
fn fill(con: &mut redis::Connection) {
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("s:small").arg("hello").ignore();
    pipe.cmd("SET")
        .arg("s:big")
        .arg("x".repeat(10_000))
        .ignore();
    for i in 0..2000 {
        let member = format!("member:{i:06}");
        pipe.cmd("RPUSH").arg("l").arg(&member).ignore();
        pipe.cmd("HSET").arg("h").arg(&member).arg("value").ignore();
        pipe.cmd("SADD").arg("st").arg(&member).ignore();
        pipe.cmd("ZADD").arg("z").arg(i).arg(&member).ignore();
        if i < 20 {
            pipe.cmd("HSET")
                .arg("h:small")
                .arg(&member)
                .arg("v")
                .ignore();
            pipe.cmd("SADD").arg("st:small").arg(i).ignore();
            pipe.cmd("ZADD").arg("z:small").arg(i).arg(&member).ignore();
        }
    }
    pipe.query::<()>(con).unwrap();
}

const KEYS: [&str; 9] = [
    "s:small", "s:big", "l", "h", "st", "z", "h:small", "st:small", "z:small",
];

#[test]
fn usage_grows_with_size() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let mut last = 0;
    for n in [10usize, 1000, 100_000] {
        ok(&mut con, &["SET", "k", &"a".repeat(n)]);
        let u = usage(&mut con, "k");
        assert!(u as usize >= n && u > last, "{n} bytes: {u}");
        last = u;
    }
    for kind in ["RPUSH", "SADD"] {
        let key = format!("c:{kind}");
        let mut sizes = Vec::new();
        for round in 0..3 {
            for i in 0..500 {
                ok(&mut con, &[kind, &key, &format!("element:{round}:{i}")]);
            }
            sizes.push(usage(&mut con, &key));
        }
        assert!(sizes.windows(2).all(|w| w[1] > w[0]), "{kind}: {sizes:?}");
    }
}

#[test]
fn usage_is_near_redis_for_the_same_data() {
    let Some(reference) = RealRedis::start(&[]) else {
        return;
    };
    let srv = start_server(&[]);
    let mut ours = srv.connection();
    let mut theirs = reference.connection();
    fill(&mut ours);
    fill(&mut theirs);
    for key in KEYS {
        let (a, b) = (usage(&mut ours, key), usage(&mut theirs, key));
        // Different structures, same order of magnitude: within a factor of two.
        assert!(a * 2 >= b && a <= b * 2, "{key}: redrill {a}, redis {b}");
        let enc_a: String = query(&mut ours, &["OBJECT", "ENCODING", key]).unwrap();
        let enc_b: String = query(&mut theirs, &["OBJECT", "ENCODING", key]).unwrap();
        assert_eq!(enc_a, enc_b, "{key}");
    }
    // A short string key is one 64-byte dict entry here; Redis pays about as much.
    assert_eq!(usage(&mut ours, "s:small"), 64);
}

#[test]
fn usage_errors_and_missing_keys() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(ok(&mut con, &["MEMORY", "USAGE", "missing"]), Value::Nil);
    let default: i64 = query(&mut con, &["MEMORY", "USAGE", "k"]).unwrap();
    let sampled: i64 = query(&mut con, &["memory", "usage", "k", "samples", "3"]).unwrap();
    assert_eq!(default, sampled);
    for (args, want) in [
        (
            &["MEMORY", "USAGE", "k", "SAMPLES", "-1"][..],
            "ERR syntax error",
        ),
        (&["MEMORY", "USAGE", "k", "SAMPLES"], "ERR syntax error"),
        (&["MEMORY", "USAGE", "k", "bogus", "1"], "ERR syntax error"),
        (
            &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["MEMORY", "USAGE"],
            "ERR wrong number of arguments for 'memory|usage' command",
        ),
        (
            &["MEMORY", "NOPE"],
            "ERR unknown subcommand 'NOPE'. Try MEMORY HELP.",
        ),
    ] {
        assert_eq!(err(&mut con, args), want, "{args:?}");
    }
    let help: Vec<String> = query(&mut con, &["MEMORY", "HELP"]).unwrap();
    assert_eq!(help.len(), 14, "{help:?}");
    assert_eq!(ok(&mut con, &["MEMORY", "PURGE"]), Value::Okay);
    let stats: String = query(&mut con, &["MEMORY", "MALLOC-STATS"]).unwrap();
    assert!(stats.contains("jemalloc"), "{stats}");
}

/// The keys of MEMORY STATS (a flat array in RESP2), in order.
fn stats_keys(con: &mut redis::Connection) -> Vec<String> {
    let Value::Array(items) = ok(con, &["MEMORY", "STATS"]) else {
        panic!("MEMORY STATS is not an array");
    };
    items
        .iter()
        .step_by(2)
        .map(|v| match v {
            Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("key {other:?}"),
        })
        .collect()
}

#[test]
fn stats_fields_equal_redis() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    ok(&mut con, &["SET", "k", "v"]);
    let ours = stats_keys(&mut con);
    assert_eq!(ours.len(), 28, "{ours:?}");
    assert!(ours.contains(&"db.0".to_string()));
    let Some(reference) = RealRedis::start(&[]) else {
        return;
    };
    let mut theirs = reference.connection();
    ok(&mut theirs, &["SET", "k", "v"]);
    assert_eq!(ours, stats_keys(&mut theirs));
}

#[test]
fn info_memory_fields_equal_redis() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let names = |info: String| -> Vec<String> {
        info.lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    let ours = names(query(&mut con, &["INFO", "memory"]).unwrap());
    let Some(reference) = RealRedis::start(&[]) else {
        return;
    };
    let theirs = names(query(&mut reference.connection(), &["INFO", "memory"]).unwrap());
    assert_eq!(ours, theirs);
}

#[test]
fn doctor_on_an_empty_instance() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let report: String = query(&mut con, &["MEMORY", "DOCTOR"]).unwrap();
    assert!(
        report.starts_with("Hi Sam, this instance is empty or is using very little memory"),
        "{report}"
    );
    if let Some(reference) = RealRedis::start(&[]) {
        let theirs: String = query(&mut reference.connection(), &["MEMORY", "DOCTOR"]).unwrap();
        assert_eq!(report, theirs);
    }
}

fn info_field(con: &mut redis::Connection, name: &str) -> u64 {
    let info: String = query(con, &["INFO", "memory"]).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn within_one_percent(a: u64, b: u64) -> bool {
    a.abs_diff(b) * 100 <= a.max(b)
}

#[test]
fn used_memory_matches_the_allocator_within_one_percent() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    // Enough data that the allocator's per-thread caches are noise.
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("SET")
            .arg(format!("key:{i}"))
            .arg("v".repeat(1000))
            .ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    let used = info_field(&mut con, "used_memory");
    let allocated = info_field(&mut con, "allocator_allocated");
    assert!(
        within_one_percent(used, allocated),
        "used_memory {used}, allocator_allocated {allocated}"
    );
}

/// mem_clients_normal and omem of the one other client.
fn client_buffers(con: &mut redis::Connection, me: i64) -> (u64, u64) {
    let list: String = query(con, &["CLIENT", "LIST"]).unwrap();
    let omem = list
        .lines()
        .filter(|l| !l.starts_with(&format!("id={me} ")))
        .find_map(|l| l.split(' ').find_map(|kv| kv.strip_prefix("omem=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (info_field(con, "mem_clients_normal"), omem)
}

/// Fills one client's reply buffer without reading it; returns the socket (keep
/// it open), used_memory and mem_clients_normal before, and the settled
/// (mem_clients_normal, omem).
fn flood(srv: &ServerGuard, con: &mut redis::Connection) -> (TcpStream, u64, u64, (u64, u64)) {
    let me: i64 = query(con, &["CLIENT", "ID"]).unwrap();
    ok(con, &["SET", "big", &"x".repeat(100_000)]);
    let before = info_field(con, "used_memory");
    let clients_before = info_field(con, "mem_clients_normal");
    let mut socket = srv.raw();
    socket2::SockRef::from(&socket)
        .set_recv_buffer_size(4096)
        .unwrap();
    socket.write_all(&b"GET big\r\n".repeat(300)).unwrap();
    // Wait until the replies are all produced and the buffer is stable.
    let mut last = (0, 0);
    let settled = wait_until(Duration::from_secs(20), || {
        let now = client_buffers(con, me);
        let done = now.1 > 25_000_000 && now == last;
        last = now;
        done
    });
    assert!(settled, "the reply buffer did not settle: {last:?}");
    (socket, before, clients_before, last)
}

#[test]
fn an_unread_reply_buffer_counts_in_used_memory_and_mem_clients_normal() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let (socket, before, clients_before, (clients, omem)) = flood(&srv, &mut con);
    let rise = info_field(&mut con, "used_memory") - before;
    assert!(rise >= omem, "used_memory rose {rise} < omem {omem}");
    assert!(
        clients - clients_before >= omem,
        "mem_clients_normal {clients} < omem {omem}"
    );
    drop(socket);
}

/// The bar: omem counts the allocations that hold unsent replies (past
/// Redis's 16 KB static part), as Redis counts its reply blocks, and
/// mem_clients_normal counts them too: both see what the allocator handed out.
#[test]
fn an_unread_reply_buffer_raises_used_memory_by_its_size_within_one_percent() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let (socket, before, clients_before, (clients, omem)) = flood(&srv, &mut con);
    let rise = info_field(&mut con, "used_memory") - before;
    let buffers = clients - clients_before;
    assert!(
        within_one_percent(rise, buffers) && within_one_percent(rise, omem),
        "used_memory rose {rise}, client buffers {buffers}, omem {omem}"
    );
    drop(socket);
}

/// Whether the server runs jemalloc's background purging thread.
fn has_jemalloc_thread(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("comm"))
            .is_ok_and(|comm| comm.trim() == "jemalloc_bg_thd")
    })
}

#[test]
fn jemalloc_bg_thread_starts_and_stops_the_purging_thread() {
    let wait = Duration::from_secs(10);
    // On by default, as in Redis.
    let srv = start_server(&[]);
    let pid = srv.pid();
    let mut con = srv.connection();
    assert!(wait_until(wait, || has_jemalloc_thread(pid)));
    ok(&mut con, &["CONFIG", "SET", "jemalloc-bg-thread", "no"]);
    assert!(wait_until(wait, || !has_jemalloc_thread(pid)));
    ok(&mut con, &["CONFIG", "SET", "jemalloc-bg-thread", "yes"]);
    assert!(wait_until(wait, || has_jemalloc_thread(pid)));
    // Off from the start: no thread at all.
    let off = start_server(&["--jemalloc-bg-thread", "no"]);
    let mut con = off.connection();
    let _: String = query(&mut con, &["PING"]).unwrap();
    assert!(!has_jemalloc_thread(off.pid()));
}
