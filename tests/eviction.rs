//! Pins maxmemory and the eviction policies against the real binary: noeviction
//! and volatile-* without TTLs refuse writes with Redis's exact -OOM error while
//! reads go on; allkeys-lru, allkeys-random and volatile-ttl keep accepting
//! writes by evicting keys (INFO evicted_keys), preferring the idlest keys or the
//! nearest deadlines; OBJECT FREQ reports a growing counter under allkeys-lfu.
//!
//! Limits are set relative to the memory the server uses when the test starts,
//! so allocator and platform differences do not matter; assertions on which keys
//! survive leave wide margins, as eviction samples keys at random.

mod common;

use std::time::Duration;

use common::*;

/// The value size every test writes (Redis's own maxmemory tests use ~10 KB).
const VALUE_LEN: usize = 10_000;
/// Headroom above the starting memory given to the data set.
const HEADROOM: u64 = 2 << 20;

fn query<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con).unwrap()
}

/// An integer field of INFO `section`.
fn info_u64(con: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let info: String = query(con, &["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
}

/// A server under `policy` whose maxmemory is its current usage plus HEADROOM.
fn server_with(policy: &str) -> (ServerGuard, redis::Connection) {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let _: () = query(&mut con, &["CONFIG", "SET", "maxmemory-policy", policy]);
    let _: () = query(&mut con, &["CONFIG", "SET", "maxmemory-samples", "10"]);
    let used = info_u64(&mut con, "memory", "used_memory");
    let limit = (used + HEADROOM).to_string();
    let _: () = query(&mut con, &["CONFIG", "SET", "maxmemory", &limit]);
    (srv, con)
}

fn value() -> Vec<u8> {
    vec![b'x'; VALUE_LEN]
}

fn set(con: &mut redis::Connection, key: &str, extra: &[&str]) -> redis::RedisResult<()> {
    redis::cmd("SET")
        .arg(key)
        .arg(value())
        .arg(extra)
        .query(con)
}

fn exists(con: &mut redis::Connection, key: &str) -> bool {
    query::<i64>(con, &["EXISTS", key]) == 1
}

/// Writes until a SET is refused; returns how many succeeded and the error.
fn fill_until_refused(con: &mut redis::Connection, extra: &[&str]) -> (usize, redis::RedisError) {
    // 1000 values are five times the headroom: the refusal must come first.
    for i in 0..1000 {
        if let Err(e) = set(con, &format!("key:{i}"), extra) {
            return (i, e);
        }
    }
    panic!("1000 writes of {VALUE_LEN} bytes passed a {HEADROOM}-byte headroom");
}

fn assert_oom(err: &redis::RedisError) {
    assert_eq!(err.code(), Some("OOM"), "{err:?}");
    assert_eq!(
        err.detail(),
        Some("command not allowed when used memory > 'maxmemory'."),
        "{err:?}"
    );
}

#[test]
fn noeviction_refuses_writes_and_serves_reads() {
    let (_srv, mut con) = server_with("noeviction");
    let (written, err) = fill_until_refused(&mut con, &[]);
    assert_oom(&err);
    assert!(
        written > 50,
        "only {written} writes fit in {HEADROOM} bytes"
    );
    let got: Vec<u8> = query(&mut con, &["GET", "key:0"]);
    assert_eq!(got.len(), VALUE_LEN);
    assert_eq!(query::<usize>(&mut con, &["DBSIZE"]), written);
    assert_eq!(info_u64(&mut con, "stats", "evicted_keys"), 0);
    // Commands that cannot grow memory still run, DEL frees room again.
    let _: i64 = query(&mut con, &["DEL", "key:0", "key:1", "key:2", "key:3"]);
    set(&mut con, "again", &[]).unwrap();
    let info: String = query(&mut con, &["INFO", "memory"]);
    assert!(info.contains("maxmemory_policy:noeviction\r\n"), "{info}");
    assert!(!info.contains("\r\nmaxmemory:0\r\n"), "{info}");
}

#[test]
fn inside_multi_every_command_is_refused_when_out_of_memory() {
    let (_srv, mut con) = server_with("noeviction");
    let (_, err) = fill_until_refused(&mut con, &[]);
    assert_oom(&err);
    let _: () = query(&mut con, &["MULTI"]);
    // GET is not denyoom, but queueing it while out of memory dooms EXEC.
    let err = redis::cmd("GET")
        .arg("key:0")
        .query::<()>(&mut con)
        .unwrap_err();
    assert_oom(&err);
    let err = redis::cmd("EXEC").query::<()>(&mut con).unwrap_err();
    assert_eq!(err.code(), Some("EXECABORT"), "{err:?}");
}

#[test]
fn volatile_lru_without_ttls_is_out_of_memory() {
    let (_srv, mut con) = server_with("volatile-lru");
    let (written, err) = fill_until_refused(&mut con, &[]);
    assert_oom(&err);
    assert_eq!(query::<usize>(&mut con, &["DBSIZE"]), written);
    assert_eq!(info_u64(&mut con, "stats", "evicted_keys"), 0);
}

#[test]
fn volatile_lru_evicts_only_keys_with_a_ttl() {
    let (_srv, mut con) = server_with("volatile-lru");
    for i in 0..50 {
        set(&mut con, &format!("keep:{i}"), &[]).unwrap();
    }
    for i in 0..300 {
        set(&mut con, &format!("ttl:{i}"), &["EX", "100000"]).unwrap();
    }
    assert!(info_u64(&mut con, "stats", "evicted_keys") > 0);
    for i in 0..50 {
        assert!(exists(&mut con, &format!("keep:{i}")), "keep:{i} evicted");
    }
}

#[test]
fn allkeys_lru_keeps_writing_and_spares_recently_read_keys() {
    let (_srv, mut con) = server_with("allkeys-lru");
    for i in 0..50 {
        set(&mut con, &format!("old:{i}"), &[]).unwrap();
        set(&mut con, &format!("hot:{i}"), &[]).unwrap();
    }
    // The LRU clock ticks once a second: wait (polling, no fixed sleep) until
    // the old keys are visibly idle, then read the hot ones.
    let idle = wait_until(Duration::from_secs(10), || {
        query::<i64>(&mut con, &["OBJECT", "IDLETIME", "old:49"]) >= 2
    });
    assert!(idle, "OBJECT IDLETIME never reached 2 s");
    for i in 0..50 {
        let _: Vec<u8> = query(&mut con, &["GET", &format!("hot:{i}")]);
    }
    for i in 0..150 {
        set(&mut con, &format!("new:{i}"), &[]).unwrap();
    }
    let evicted = info_u64(&mut con, "stats", "evicted_keys");
    assert!(evicted > 0);
    let dbsize: u64 = query(&mut con, &["DBSIZE"]);
    assert_eq!(dbsize + evicted, 250);
    let alive = |con: &mut redis::Connection, prefix: &str| {
        (0..50)
            .filter(|i| exists(con, &format!("{prefix}:{i}")))
            .count()
    };
    let old_alive = alive(&mut con, "old");
    let hot_alive = alive(&mut con, "hot");
    assert!(
        old_alive + 20 <= hot_alive,
        "old survivors {old_alive}, hot survivors {hot_alive}"
    );
}

#[test]
fn allkeys_random_keeps_writing() {
    let (_srv, mut con) = server_with("allkeys-random");
    for i in 0..400 {
        set(&mut con, &format!("key:{i}"), &[]).unwrap();
    }
    let evicted = info_u64(&mut con, "stats", "evicted_keys");
    assert!(evicted > 0);
    assert_eq!(query::<u64>(&mut con, &["DBSIZE"]) + evicted, 400);
    let used = info_u64(&mut con, "memory", "used_memory");
    let limit = info_u64(&mut con, "memory", "maxmemory");
    // A reply or two may sit above the limit, never a data set's worth.
    assert!(used < limit + HEADROOM / 4, "used {used}, limit {limit}");
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    let (_srv, mut con) = server_with("volatile-ttl");
    // Deadlines grow with the index: ttl:0 expires first.
    for i in 0..100 {
        let px = (10_000_000 + i * 10_000).to_string();
        set(&mut con, &format!("ttl:{i}"), &["PX", &px]).unwrap();
    }
    for i in 0..150 {
        set(&mut con, &format!("filler:{i}"), &["PX", "900000000"]).unwrap();
    }
    assert!(info_u64(&mut con, "stats", "evicted_keys") > 0);
    let alive = |con: &mut redis::Connection, range: std::ops::Range<i32>| {
        range.filter(|i| exists(con, &format!("ttl:{i}"))).count()
    };
    let near = alive(&mut con, 0..50);
    let far = alive(&mut con, 50..100);
    assert!(
        near + 10 <= far,
        "near survivors {near}, far survivors {far}"
    );
}

#[test]
fn object_freq_grows_under_allkeys_lfu() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let _: () = query(&mut con, &["SET", "k", "v"]);
    let err = redis::cmd("OBJECT")
        .arg("FREQ")
        .arg("k")
        .query::<i64>(&mut con)
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("An LFU maxmemory policy is not selected"));
    let _: () = query(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
    );
    let _: () = query(&mut con, &["SET", "fresh", "v"]);
    let start: i64 = query(&mut con, &["OBJECT", "FREQ", "fresh"]);
    assert!(start <= 5, "a new key starts at LFU_INIT_VAL, got {start}");
    for _ in 0..200 {
        let _: String = query(&mut con, &["GET", "fresh"]);
    }
    let after: i64 = query(&mut con, &["OBJECT", "FREQ", "fresh"]);
    assert!(after > start, "freq {start} -> {after}");
    let err = redis::cmd("OBJECT")
        .arg("IDLETIME")
        .arg("fresh")
        .query::<i64>(&mut con)
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("An LFU maxmemory policy is selected"));
    let info: String = query(&mut con, &["INFO", "memory"]);
    assert!(info.contains("maxmemory_policy:allkeys-lfu\r\n"), "{info}");
}
