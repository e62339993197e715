//! The master side of replication, end to end: replicas attached with SYNC /
//! PSYNC receive a snapshot and then the propagation stream.
//!
//! The replicas are real: Debian's redis-server started with `--replicaof`
//! (its `DEBUG DIGEST` must end equal to redrill's), `redis-cli --replica` and
//! `redis-cli --rdb`, and a raw-socket tap (`common::tap`) for reading the
//! stream command by command.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::replicas::{digest, info_field, info_u64, wait_caught_up, CliReplica, RedisReplica};
use common::tap::StreamTap;
use common::*;
use redis::{Connection, Value};

#[test]
fn writes_reach_a_tap_after_a_select() {
    let server = start_server(&[]);
    let mut con = server.connection();
    ok(&mut con, &["SET", "before", "1"]);
    let mut tap = StreamTap::attach(server.port());
    ok(&mut con, &["SET", "after", "2"]);
    let seen = tap.until(Duration::from_secs(10), |argv| argv[0] == "SET");
    assert_eq!(
        seen,
        vec![
            vec!["SELECT".to_string(), "0".into()],
            vec!["SET".into(), "after".into(), "2".into()],
        ]
    );
}

// ---------------------------------------------------------------------------
// Helpers.

/// Wall-clock ms: the servers' absolute expire times come from the same clock.
#[allow(clippy::disallowed_methods)]
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

/// Runs `cmds` (each a command as words) in one pipeline on db `db`, then
/// selects db 0 again; every command must succeed.
fn run_in_db(con: &mut Connection, db: u32, cmds: &[Vec<String>]) {
    let mut p = redis::pipe();
    p.cmd("SELECT").arg(db).ignore();
    for c in cmds {
        let mut one = redis::cmd(&c[0]);
        for a in &c[1..] {
            one.arg(a.as_str());
        }
        p.add_command(one).ignore();
    }
    p.cmd("SELECT").arg(0).ignore();
    p.query::<()>(con)
        .unwrap_or_else(|e| panic!("pipeline on db {db}: {e}"));
}

fn words(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// A command whose first words are `head` and whose rest is `tail`.
fn with_tail(head: &[&str], tail: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v = words(head);
    v.extend(tail);
    v
}

/// Keys of every type, in small and large encodings, some with absolute TTLs
/// far in the future, all named `<tag>:...`.
fn write_every_type(con: &mut Connection, db: u32, tag: &str) {
    let far = (now_ms() + 3_600_000).to_string();
    let far_s = ((now_ms() / 1000) + 3600).to_string();
    let k = |name: &str| format!("{tag}:{name}");
    let big = "b".repeat(20_000);
    let long = "l".repeat(100);
    let cmds = vec![
        // Strings: int, embstr, raw, large; changed in place.
        words(&["SET", &k("int"), "12345"]),
        words(&["INCRBY", &k("int"), "7"]),
        words(&["SET", &k("short"), "hello"]),
        words(&["APPEND", &k("short"), " world"]),
        words(&["SET", &k("raw"), &long]),
        words(&["SETRANGE", &k("raw"), "10", "XYZ"]),
        words(&["SET", &k("big"), &big]),
        words(&["MSET", &k("m1"), "1", &k("m2"), "-2"]),
        // Lists: listpack and quicklist.
        words(&["RPUSH", &k("list"), "a", "b", "1", "2"]),
        words(&["LPUSH", &k("list"), "z"]),
        with_tail(
            &["RPUSH", &k("biglist")],
            (0..300).map(|i| format!("item{i}")),
        ),
        words(&["LPUSH", &k("biglist"), &long]),
        words(&["LTRIM", &k("biglist"), "0", "250"]),
        // Hashes: listpack, large by count, large by value size.
        words(&["HSET", &k("hash"), "f1", "v1", "f2", "2"]),
        with_tail(
            &["HSET", &k("bighash")],
            (0..300).flat_map(|i| [format!("f{i}"), format!("v{i}")]),
        ),
        words(&["HSET", &k("widehash"), "f", &long]),
        words(&["HINCRBY", &k("hash"), "f2", "40"]),
        words(&["HDEL", &k("bighash"), "f7"]),
        // Sets: intset, large intset, small and large string sets.
        words(&["SADD", &k("intset"), "1", "2", "3", "-5"]),
        with_tail(&["SADD", &k("bigintset")], (0..600).map(|i| i.to_string())),
        words(&["SADD", &k("set"), "a", "b", "c"]),
        with_tail(&["SADD", &k("bigset")], (0..300).map(|i| format!("m{i}"))),
        words(&["SREM", &k("bigset"), "m3"]),
        // Sorted sets: listpack and skiplist.
        words(&["ZADD", &k("zset"), "1", "a", "2.5", "b", "-3", "c"]),
        with_tail(
            &["ZADD", &k("bigzset")],
            (0..300).flat_map(|i| [format!("{}", i as f64 / 3.0), format!("m{i}")]),
        ),
        words(&["ZADD", &k("widezset"), "1", &long]),
        words(&["ZINCRBY", &k("zset"), "10", "a"]),
        // Absolute TTLs.
        words(&["SET", &k("ttl-str"), "v", "PXAT", &far]),
        words(&["PEXPIREAT", &k("list"), &far]),
        words(&["EXPIREAT", &k("bighash"), &far_s]),
        words(&["PEXPIREAT", &k("bigzset"), &far]),
        // A key made and removed again.
        words(&["SET", &k("gone"), "x"]),
        words(&["DEL", &k("gone")]),
    ];
    run_in_db(con, db, &cmds);
}

/// Every key of every db with its value digest and its absolute expire time
/// (PEXPIRETIME), sorted.
fn key_table(con: &mut Connection) -> Vec<(u32, String, String, i64)> {
    let mut out = Vec::new();
    for db in 0..16u32 {
        ok(con, &["SELECT", &db.to_string()]);
        let keys: Vec<String> = query(con, &["KEYS", "*"]).expect("KEYS");
        for key in keys {
            let value: Vec<String> =
                query(con, &["DEBUG", "DIGEST-VALUE", &key]).expect("DIGEST-VALUE");
            let at: i64 = query(con, &["PEXPIRETIME", &key]).expect("PEXPIRETIME");
            out.push((db, key, value.concat(), at));
        }
    }
    ok(con, &["SELECT", "0"]);
    out.sort();
    out
}

/// The rows of two key tables that differ, for failure messages.
fn table_diff(
    ours: &[(u32, String, String, i64)],
    theirs: &[(u32, String, String, i64)],
) -> Vec<String> {
    let mut out = Vec::new();
    for row in ours.iter().filter(|r| !theirs.contains(r)) {
        out.push(format!("master has {row:?}"));
    }
    for row in theirs.iter().filter(|r| !ours.contains(r)) {
        out.push(format!("replica has {row:?}"));
    }
    out
}

/// Waits for the replica to catch up, then asserts both have the same data
/// set (DEBUG DIGEST, which does not cover expire times) and the same
/// absolute expire times, and that it is not empty; returns the digest.
fn assert_in_sync(master: &mut Connection, replica: &mut Connection, replica_log: &str) -> String {
    assert!(
        wait_caught_up(master, replica, Duration::from_secs(20)),
        "replica did not catch up: master offset {}, replica offset {:?}, link {:?}; replica log:\n{replica_log}",
        info_u64(master, "replication", "master_repl_offset"),
        info_field(replica, "replication", "master_repl_offset"),
        info_field(replica, "replication", "master_link_status"),
    );
    let ours = digest(master);
    let theirs = digest(replica);
    let (table, their_table) = (key_table(master), key_table(replica));
    assert!(
        ours == theirs && table == their_table,
        "data sets differ: master {ours}, replica {theirs}; {:?}",
        table_diff(&table, &their_table)
    );
    assert_ne!(ours, "0".repeat(40), "the data set is empty");
    ours
}

/// Reads a raw connection until the peer closes it (or 20 s pass: then panics).
#[allow(clippy::disallowed_methods)] // a deadline for another process
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "the master never closed the link"
        );
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return got,
        }
    }
}

/// Evicts keys on `con`'s server: sets `maxmemory` to 80% of what is used now
/// and writes `writes` 1 KB keys `fill:N` in db `db`, then lifts the limit.
/// Returns how many keys were evicted.
fn force_evictions(con: &mut Connection, db: u32, writes: usize) -> u64 {
    let before = info_u64(con, "stats", "evicted_keys");
    // Replica output buffers do not count toward maxmemory.
    let used = info_u64(con, "memory", "used_memory")
        - info_u64(con, "memory", "mem_not_counted_for_evict");
    ok(
        con,
        &["CONFIG", "SET", "maxmemory", &(used * 8 / 10).to_string()],
    );
    let value = "v".repeat(1024);
    ok(con, &["SELECT", &db.to_string()]);
    for i in 0..writes {
        ok(con, &["SET", &format!("fill:{i}"), &value]);
    }
    ok(con, &["SELECT", "0"]);
    ok(con, &["CONFIG", "SET", "maxmemory", "0"]);
    info_u64(con, "stats", "evicted_keys") - before
}

// ---------------------------------------------------------------------------
// 1. A real redis-server replica ends with redrill's data set.

#[test]
fn real_replica_digest_matches_after_writes_expiry_and_eviction() {
    let server = start_server(&["--enable-debug-command", "yes"]);
    let mut con = server.connection();
    // Part of the data goes in the snapshot...
    write_every_type(&mut con, 0, "snap");
    write_every_type(&mut con, 3, "snap3");
    let Some(replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    assert_in_sync(&mut con, &mut rcon, &replica.log());

    // ...the rest in the stream, over several dbs.
    write_every_type(&mut con, 0, "live");
    write_every_type(&mut con, 1, "live1");
    write_every_type(&mut con, 7, "live7");
    assert_in_sync(&mut con, &mut rcon, &replica.log());

    // Keys that expire (absolute TTLs just ahead), by active expiry.
    let soon = (now_ms() + 50).to_string();
    let expired_before = info_u64(&mut con, "stats", "expired_keys");
    let mut cmds: Vec<Vec<String>> = (0..20)
        .map(|i| words(&["SET", &format!("short:{i}"), "v", "PXAT", &soon]))
        .collect();
    cmds.push(words(&["PEXPIREAT", "live1:bigset", &soon]));
    run_in_db(&mut con, 1, &cmds);
    assert!(
        wait_until(Duration::from_secs(10), || info_u64(
            &mut con,
            "stats",
            "expired_keys"
        ) >= expired_before + 21),
        "the keys did not expire"
    );
    ok(&mut con, &["SELECT", "1"]);
    assert_eq!(
        query::<i64>(&mut con, &["EXISTS", "live1:bigset"]).unwrap(),
        0
    );
    ok(&mut con, &["SELECT", "0"]);
    assert_in_sync(&mut con, &mut rcon, &replica.log());

    // Evictions under maxmemory.
    ok(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    let evicted = force_evictions(&mut con, 2, 40);
    assert!(evicted > 0, "nothing was evicted");
    let digest_after = assert_in_sync(&mut con, &mut rcon, &replica.log());
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 1);
    assert_eq!(digest(&mut rcon), digest_after);
}

/// Relative TTLs (SET EX/PX, SETEX, PSETEX, EXPIRE, PEXPIRE, GETEX) must reach
/// the replica as absolute times: the replica applies them later than the
/// master did (it is paused here for a moment), and its keys must still
/// expire at the same instant as the master's.
#[test]
fn real_replica_gets_relative_ttls_as_absolute_times() {
    let server = start_server(&["--enable-debug-command", "yes"]);
    let mut con = server.connection();
    ok(&mut con, &["SET", "seed", "1"]);
    let Some(replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    assert_in_sync(&mut con, &mut rcon, &replica.log());

    // The replica reads the stream only after the master's clock moved on.
    replica.signal("STOP");
    let paused_at = now_ms();
    let cmds = vec![
        words(&["SET", "ex", "v", "EX", "1000"]),
        words(&["SET", "px", "v", "PX", "1000000"]),
        words(&["SETEX", "setex", "1000", "v"]),
        words(&["PSETEX", "psetex", "1000000", "v"]),
        words(&["SET", "expire", "v"]),
        words(&["EXPIRE", "expire", "1000"]),
        words(&["SET", "pexpire", "v"]),
        words(&["PEXPIRE", "pexpire", "1000000"]),
        words(&["SET", "getex", "v"]),
        words(&["GETEX", "getex", "PX", "1000000"]),
        words(&["SET", "persist", "v", "EX", "100"]),
        words(&["SET", "persist", "w", "KEEPTTL"]),
    ];
    run_in_db(&mut con, 0, &cmds);
    wait_until(Duration::from_secs(1), || now_ms() > paused_at + 50);
    replica.signal("CONT");
    assert_in_sync(&mut con, &mut rcon, &replica.log());
}

// ---------------------------------------------------------------------------
// 2. Evicted keys propagate as DEL (UNLINK under lazyfree-lazy-eviction).

/// Fills the server with 1 KB keys (with far TTLs, for volatile policies),
/// evicts some, writes `marker` after lifting the limit, and returns the
/// number of keys evicted.
fn evict_some(con: &mut Connection, policy: &str) -> u64 {
    ok(con, &["CONFIG", "SET", "maxmemory-policy", policy]);
    let far = (now_ms() + 3_600_000).to_string();
    let value = "v".repeat(1024);
    let cmds: Vec<Vec<String>> = (0..200)
        .map(|i| words(&["SET", &format!("key:{i}"), &value, "PXAT", &far]))
        .collect();
    run_in_db(con, 0, &cmds);
    let evicted = force_evictions(con, 0, 40);
    assert!(evicted > 0, "{policy}: nothing was evicted");
    ok(con, &["SET", "marker", "1"]);
    evicted
}

#[test]
fn evictions_reach_a_tap_as_one_del_per_key() {
    for (policy, lazy, name) in [
        ("allkeys-lru", "no", "DEL"),
        ("allkeys-random", "no", "DEL"),
        ("volatile-ttl", "no", "DEL"),
        ("allkeys-lru", "yes", "UNLINK"),
    ] {
        let server = start_server(&["--lazyfree-lazy-eviction", lazy]);
        let mut con = server.connection();
        let mut tap = StreamTap::attach(server.port());
        let evicted = evict_some(&mut con, policy);
        let seen = tap.until(Duration::from_secs(20), |argv| {
            argv[0].eq_ignore_ascii_case("set") && argv[1] == "marker"
        });
        let deletions: Vec<&Vec<String>> = seen
            .iter()
            .filter(|argv| {
                argv[0].eq_ignore_ascii_case("del") || argv[0].eq_ignore_ascii_case("unlink")
            })
            .collect();
        assert_eq!(
            deletions.len() as u64,
            evicted,
            "{policy} lazy={lazy}: {} deletions for {evicted} evicted keys",
            deletions.len()
        );
        let mut keys = Vec::new();
        for argv in deletions {
            assert_eq!(argv.len(), 2, "{policy}: one key per deletion: {argv:?}");
            assert_eq!(argv[0], name, "{policy} lazy={lazy}: {argv:?}");
            let gone: i64 = query(&mut con, &["EXISTS", &argv[1]]).expect("EXISTS");
            assert_eq!(
                gone, 0,
                "{policy}: {} was propagated as evicted but exists",
                argv[1]
            );
            keys.push(argv[1].clone());
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len() as u64, evicted, "{policy}: a key deleted twice");
        // No MULTI around evictions: each deletion stands alone.
        assert!(
            !seen.iter().any(|a| a[0].eq_ignore_ascii_case("multi")),
            "{policy}: {seen:?}"
        );
    }
}

#[test]
fn evictions_reach_redis_cli_replica_as_del() {
    for (lazy, name) in [("no", "\"DEL\""), ("yes", "\"UNLINK\"")] {
        let server = start_server(&["--lazyfree-lazy-eviction", lazy]);
        let mut con = server.connection();
        let Some(mut cli) = CliReplica::start(server.port()) else {
            return;
        };
        let evicted = evict_some(&mut con, "allkeys-lru");
        let lines = cli.until(Duration::from_secs(20), |l| {
            l.eq_ignore_ascii_case("\"SET\",\"marker\",\"1\"")
        });
        let deletions: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("\"DEL\"") || l.starts_with("\"UNLINK\""))
            .collect();
        assert_eq!(
            deletions.len() as u64,
            evicted,
            "lazy={lazy}: {} deletions for {evicted} evicted keys: {lines:?}",
            deletions.len()
        );
        for l in deletions {
            assert!(
                l.starts_with(&format!("{name},\"key:"))
                    || l.starts_with(&format!("{name},\"fill:")),
                "lazy={lazy}: {l}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Expired keys propagate as DEL (UNLINK under lazyfree-lazy-expire).

#[test]
fn expiry_reaches_a_tap_as_del() {
    for (lazy, name) in [("no", "DEL"), ("yes", "UNLINK")] {
        let server = start_server(&[
            "--enable-debug-command",
            "yes",
            "--lazyfree-lazy-expire",
            lazy,
        ]);
        let mut con = server.connection();
        let mut tap = StreamTap::attach(server.port());

        // Active expiry.
        ok(&mut con, &["SET", "active", "v", "PX", "50"]);
        let seen = tap.until(Duration::from_secs(10), |argv| {
            argv[0] == name && argv.get(1).map(String::as_str) == Some("active")
        });
        assert_eq!(
            seen.last().unwrap(),
            &vec![name.to_string(), "active".into()]
        );
        assert!(
            seen.iter().all(|a| !a[0].eq_ignore_ascii_case("get")),
            "{seen:?}"
        );

        // Lazy expiry: the periodic cycle is off; a GET finds the key expired.
        ok(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        ok(&mut con, &["SET", "lazy", "v", "PX", "50"]);
        assert!(wait_until(Duration::from_secs(10), || {
            query::<Option<String>>(&mut con, &["GET", "lazy"])
                .expect("GET")
                .is_none()
        }));
        ok(&mut con, &["SET", "marker", "1"]);
        let seen = tap.until(Duration::from_secs(10), |argv| {
            argv[0] == "SET" && argv[1] == "marker"
        });
        let n = seen.len();
        assert!(n >= 3, "{seen:?}");
        assert_eq!(
            seen[n - 2],
            vec![name.to_string(), "lazy".into()],
            "lazy={lazy}: {seen:?}"
        );
        let deletions = seen.iter().filter(|a| a[0] == name).count();
        assert_eq!(deletions, 1, "lazy={lazy}: {seen:?}");
        assert_eq!(info_u64(&mut con, "stats", "expired_keys"), 2);
    }
}

// ---------------------------------------------------------------------------
// 4. redis-cli --rdb.

#[test]
fn redis_cli_rdb_file_loads_with_the_same_digest() {
    let server = start_server(&["--enable-debug-command", "yes"]);
    let mut con = server.connection();
    write_every_type(&mut con, 0, "a");
    write_every_type(&mut con, 4, "b");
    let want = digest(&mut con);
    let dir = scratch_dir("cli-rdb");
    let file = dir.join("fetched.rdb");
    let Some((out, errout, success)) = redis_cli(server.port(), &["--rdb", file.to_str().unwrap()])
    else {
        return;
    };
    assert!(success, "redis-cli --rdb failed: {out} {errout}");
    assert!(
        format!("{out}{errout}").contains("Transfer finished with success"),
        "{out} {errout}"
    );
    // rdb-only: the connection closed after the file; no replica is left.
    assert!(wait_until(Duration::from_secs(10), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    }));
    assert!(
        server.log().contains("Synchronization with replica"),
        "{}",
        server.log()
    );

    // redrill loads it...
    let copy = start_server_in(
        &dir,
        &[
            "--dbfilename",
            "fetched.rdb",
            "--enable-debug-command",
            "yes",
        ],
    );
    assert_eq!(digest(&mut copy.connection()), want);
    drop(copy);
    // ...and so does redis-server.
    let Some(real) = RealRedis::start(&[
        "--dir",
        dir.to_str().unwrap(),
        "--dbfilename",
        "fetched.rdb",
    ]) else {
        return;
    };
    assert_eq!(digest(&mut real.connection()), want);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// 5. INFO replication, ROLE, INFO stats, log lines.

fn role(con: &mut Connection) -> Value {
    ok(con, &["ROLE"])
}

#[test]
fn info_and_role_follow_a_real_replica() {
    let server = start_server(&[]);
    let mut con = server.connection();
    ok(&mut con, &["SET", "k", "v"]);
    assert_eq!(info_u64(&mut con, "replication", "connected_slaves"), 0);
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 0);
    assert_eq!(
        role(&mut con),
        Value::Array(vec![bulk("master"), int(0), Value::Array(vec![])])
    );

    let Some(replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    let rport = replica.port().to_string();
    assert!(
        wait_caught_up(&mut con, &mut rcon, Duration::from_secs(20)),
        "{}",
        replica.log()
    );
    // The replica acknowledges the offset it processed (REPLCONF ACK, each
    // second): INFO and ROLE show it, read together in case a PING moves the
    // offset meanwhile.
    let mut seen = (0u64, None, Value::Nil);
    let settled = wait_until(Duration::from_secs(10), || {
        let offset = info_u64(&mut con, "replication", "master_repl_offset");
        let line = info_field(&mut con, "replication", "slave0");
        let listed = role(&mut con);
        let want_role = Value::Array(vec![
            bulk("master"),
            int(offset as i64),
            Value::Array(vec![Value::Array(vec![
                bulk("127.0.0.1"),
                bulk(&rport),
                bulk(&offset.to_string()),
            ])]),
        ]);
        let prefix = format!("ip=127.0.0.1,port={rport},state=online,offset={offset},lag=");
        let fits = line.as_deref().is_some_and(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|lag| lag == "0" || lag == "1")
        }) && listed == want_role;
        seen = (offset, line, listed);
        fits
    });
    assert!(settled, "offset, slave0, ROLE: {seen:?}");
    assert_eq!(info_u64(&mut con, "replication", "connected_slaves"), 1);
    // As in Redis 7.0, the replica's link is not a connected client, though
    // CLIENT LIST shows it.
    assert_eq!(info_u64(&mut con, "clients", "connected_clients"), 1);
    let listed: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 1);
    assert_eq!(info_u64(&mut con, "stats", "sync_partial_err"), 0);
    let log = server.log();
    let name = format!("127.0.0.1:{rport}");
    for line in [
        format!("Replica {name} asks for synchronization"),
        format!("Full resync requested by replica {name}"),
        "Starting BGSAVE for SYNC with target: disk".to_string(),
        format!("Synchronization with replica {name} succeeded"),
    ] {
        assert!(log.contains(&line), "missing {line:?} in:\n{log}");
    }
    // The replica's view: its master's id and offset.
    assert_eq!(
        info_field(&mut rcon, "replication", "master_replid"),
        info_field(&mut con, "replication", "master_replid")
    );

    // The replica leaves.
    ok(&mut rcon, &["REPLICAOF", "NO", "ONE"]);
    assert!(wait_until(Duration::from_secs(10), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    }));
    assert_eq!(info_field(&mut con, "replication", "slave0"), None);
    let offset = info_u64(&mut con, "replication", "master_repl_offset");
    assert_eq!(
        role(&mut con),
        Value::Array(vec![
            bulk("master"),
            int(offset as i64),
            Value::Array(vec![])
        ])
    );
    assert!(wait_until(Duration::from_secs(5), || server
        .log()
        .contains(&format!("Connection with replica {name} lost."))));

    // It comes back: its own history now differs, so PSYNC fails and a second
    // full sync runs.
    ok(
        &mut rcon,
        &["REPLICAOF", "127.0.0.1", &server.port().to_string()],
    );
    ok(&mut con, &["SET", "k2", "v2"]);
    assert!(
        wait_caught_up(&mut con, &mut rcon, Duration::from_secs(20)),
        "{}",
        replica.log()
    );
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 2);
    assert_eq!(info_u64(&mut con, "stats", "sync_partial_err"), 1);
    assert_eq!(query::<String>(&mut rcon, &["GET", "k2"]).unwrap(), "v2");
    assert!(
        server
            .log()
            .contains("Partial resynchronization not accepted"),
        "{}",
        server.log()
    );
}

/// Attaches a plain SYNC replica on a raw socket to the server `con` talks to
/// (whose sync cannot finish soon), and checks INFO shows it waiting while
/// ROLE leaves it out.
fn check_role_leaves_out_waiting_replica(con: &mut Connection, port: u16, who: &str) {
    let mut raw = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    raw.write_all(b"SYNC\r\n").expect("write");
    assert!(
        wait_until(Duration::from_secs(5), || {
            info_u64(con, "replication", "connected_slaves") == 1
        }),
        "{who}: no replica listed"
    );
    let line = info_field(con, "replication", "slave0").unwrap();
    assert!(line.contains(",state=wait_bgsave,"), "{who}: {line}");
    let offset = info_u64(con, "replication", "master_repl_offset") as i64;
    assert_eq!(
        role(con),
        Value::Array(vec![bulk("master"), int(offset), Value::Array(vec![])]),
        "{who}"
    );
    drop(raw);
}

/// Redis's ROLE lists only replicas that are online (roleCommand skips the
/// others); INFO lists them all, with their state.
#[test]
fn role_lists_only_online_replicas() {
    // redis-server's diskless sync waits repl-diskless-sync-delay (5 s)
    // before it starts: the replica waits meanwhile.
    if let Some(real) = RealRedis::start(&[]) {
        check_role_leaves_out_waiting_replica(&mut real.connection(), real.port(), "redis-server");
    }
    // Here the save takes 2 s.
    let server = start_server(&["--rdb-key-save-delay", "100000"]);
    let mut con = server.connection();
    let cmds: Vec<Vec<String>> = (0..20)
        .map(|i| words(&["SET", &format!("k{i}"), "v"]))
        .collect();
    run_in_db(&mut con, 0, &cmds);
    check_role_leaves_out_waiting_replica(&mut con, server.port(), "redrill");
}

// ---------------------------------------------------------------------------
// 6. Seed case 2: a full sync that loops on the replica output-buffer limit.

/// A client writing values of `value_len` bytes (to 100 keys `w:N`) in a
/// loop on its own thread, until stopped or dropped.
struct Writer {
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(server: &ServerGuard, value_len: usize) -> Writer {
        let mut con = server.connection();
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let (halt, n) = (stop.clone(), count.clone());
        let handle = std::thread::spawn(move || {
            let value = "w".repeat(value_len);
            let mut i = 0u64;
            while !halt.load(Ordering::Relaxed) {
                // Errors end the loop: the server may be gone when a test failed.
                let set: redis::RedisResult<()> = redis::cmd("SET")
                    .arg(format!("w:{}", i % 100))
                    .arg(&value)
                    .query(&mut con);
                if set.is_err() {
                    break;
                }
                i += 1;
                n.store(i, Ordering::Relaxed);
            }
        });
        Writer {
            stop,
            count,
            handle: Some(handle),
        }
    }

    /// Writes made so far.
    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Waits until `n` more writes went through; false on timeout.
    fn wait_writes(&self, n: u64) -> bool {
        let at = self.count();
        wait_until(Duration::from_secs(10), || self.count() >= at + n)
    }

    /// Stops the loop and waits for the thread.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A server with 2000 keys whose save takes about a second.
fn slow_save_server(extra: &[&str]) -> ServerGuard {
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--rdb-key-save-delay",
        "500",
    ];
    args.extend_from_slice(extra);
    let server = start_server(&args);
    ok(
        &mut server.connection(),
        &["DEBUG", "POPULATE", "2000", "seed", "100"],
    );
    server
}

const LIMIT_LINE: &str = "scheduled to be closed ASAP for overcoming of output buffer limits.";

#[test]
fn full_sync_loops_when_the_held_stream_passes_the_replica_limit() {
    let server = slow_save_server(&["--client-output-buffer-limit", "replica 1mb 0 0"]);
    let mut con = server.connection();
    let mut writer = Writer::start(&server, 4096);
    let Some(replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    // Every attempt is dropped before its snapshot arrives; the replica asks
    // again, and the master saves again: the loop.
    let looped = wait_until(Duration::from_secs(30), || {
        info_u64(&mut con, "stats", "sync_full") >= 3
    });
    let log = server.log();
    let link = info_field(&mut rcon, "replication", "master_link_status");
    assert!(
        looped,
        "sync_full {}; log:\n{log}",
        info_u64(&mut con, "stats", "sync_full")
    );
    let drops = info_u64(
        &mut con,
        "stats",
        "client_output_buffer_limit_disconnections",
    );
    assert!(drops >= 2, "{drops} disconnections; log:\n{log}");
    let limit_lines: Vec<&str> = log.lines().filter(|l| l.contains(LIMIT_LINE)).collect();
    assert!(limit_lines.len() >= 2, "{log}");
    assert!(
        limit_lines.iter().all(|l| l.contains(" flags=S ")),
        "{limit_lines:?}"
    );
    assert!(
        log.matches("Starting BGSAVE for SYNC with target: disk")
            .count()
            >= 2,
        "{log}"
    );
    assert!(log.contains("Connection with replica 127.0.0.1:"), "{log}");
    // The replica never got a data set.
    assert!(!log.contains("Synchronization with replica"), "{log}");
    assert_ne!(link.as_deref(), Some("up"));

    // With the writes stopped, the next attempt goes through.
    writer.stop();
    assert_in_sync(&mut con, &mut rcon, &replica.log());
}

#[test]
fn plain_sync_is_dropped_at_the_replica_limit_before_its_snapshot() {
    let server = slow_save_server(&["--client-output-buffer-limit", "replica 1mb 0 0"]);
    let mut con = server.connection();
    let mut raw = server.raw();
    raw.write_all(b"SYNC\r\n").expect("write");
    assert!(wait_until(Duration::from_secs(5), || {
        info_u64(&mut con, "replication", "connected_slaves") == 1
    }));
    let mut writer = Writer::start(&server, 4096);
    let got = read_to_close(&mut raw);
    writer.stop();
    // Only keep-alive newlines came before the close: no snapshot, no stream.
    assert!(
        got.iter().all(|&b| b == b'\n'),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(
        info_u64(
            &mut con,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        1
    );
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 1);
    assert!(wait_until(Duration::from_secs(5), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    }));
    let log = server.log();
    assert!(log.contains(LIMIT_LINE), "{log}");
    assert!(
        log.contains("Connection with replica 127.0.0.1:<unknown-replica-port> lost."),
        "{log}"
    );
}

#[test]
fn full_sync_completes_under_default_limits_while_writes_go_on() {
    let server = slow_save_server(&[]);
    let mut con = server.connection();
    let mut writer = Writer::start(&server, 256);
    let Some(replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    // Writes run through the whole save and on after the sync: small ones,
    // so that even a slow save holds far less than the 64 MB soft limit.
    let started = writer.count();
    let up = wait_until(Duration::from_secs(30), || {
        info_field(&mut rcon, "replication", "master_link_status").as_deref() == Some("up")
    });
    let during = writer.count() - started;
    assert!(up, "{}", replica.log());
    assert!(during > 100, "only {during} writes during the sync");
    assert!(writer.wait_writes(50), "writes stalled after the sync");
    writer.stop();
    assert_in_sync(&mut con, &mut rcon, &replica.log());
    assert_eq!(
        info_u64(&mut con, "stats", "sync_full"),
        1,
        "master log:\n{}\nreplica log:\n{}",
        server.log(),
        replica.log()
    );
    assert_eq!(
        info_u64(
            &mut con,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        0
    );
    assert!(!server.log().contains(LIMIT_LINE));
}

/// Two replicas attaching while one save runs share it: the second gets the
/// first one's snapshot and a copy of the stream held since then.
#[test]
fn a_second_replica_shares_the_running_save() {
    let server = slow_save_server(&[]);
    let mut con = server.connection();
    let port = server.port();
    let first = std::thread::spawn(move || StreamTap::attach_full(port));
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "replication", "slave0")
            .is_some_and(|l| l.contains("state=wait_bgsave"))
    }));
    // Held for the first replica only, so far.
    ok(&mut con, &["SET", "during", "1"]);
    let second = std::thread::spawn(move || StreamTap::attach_full(port));
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "replication", "slave1")
            .is_some_and(|l| l.contains("state=wait_bgsave"))
    }));
    ok(&mut con, &["SET", "shared", "2"]);
    let (mut tap1, rdb1) = first.join().expect("first replica");
    let (mut tap2, rdb2) = second.join().expect("second replica");
    assert!(rdb1 == rdb2, "the replicas got different snapshots");
    ok(&mut con, &["SET", "after", "3"]);
    for (i, tap) in [&mut tap1, &mut tap2].into_iter().enumerate() {
        let seen = tap.until(Duration::from_secs(10), |argv| argv[1] == "after");
        assert_eq!(
            seen,
            vec![
                words(&["SELECT", "0"]),
                words(&["SET", "during", "1"]),
                words(&["SET", "shared", "2"]),
                words(&["SET", "after", "3"]),
            ],
            "replica {}",
            i + 1
        );
    }
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 2);
    let log = server.log();
    assert_eq!(
        log.matches("Starting BGSAVE for SYNC with target: disk")
            .count(),
        1,
        "{log}"
    );
    assert!(log.contains("Waiting for end of BGSAVE for SYNC"), "{log}");
}

/// The same with two real replicas: the second must end with the master's
/// data set and offset, although a write came between the two attaches.
#[test]
fn two_real_replicas_sharing_a_save_both_catch_up() {
    let server = slow_save_server(&[]);
    let mut con = server.connection();
    let Some(first) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "replication", "slave0")
            .is_some_and(|l| l.contains("state=wait_bgsave"))
    }));
    ok(&mut con, &["SET", "during", "1"]);
    let Some(second) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "replication", "slave1")
            .is_some_and(|l| l.contains("state=wait_bgsave"))
    }));
    ok(&mut con, &["SET", "shared", "2"]);
    assert_in_sync(&mut con, &mut first.connection(), &first.log());
    assert_in_sync(&mut con, &mut second.connection(), &second.log());
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 2);
    assert!(server.log().contains("Waiting for end of BGSAVE for SYNC"));
}

/// A replica that comes while a BGSAVE of the user's runs cannot use it: it
/// waits, and a save of its own starts when that one ends.
#[test]
fn a_replica_waits_for_the_next_save_after_a_users_bgsave() {
    let server = slow_save_server(&[]);
    let mut con = server.connection();
    ok(&mut con, &["BGSAVE"]);
    let port = server.port();
    let attach = std::thread::spawn(move || StreamTap::attach_full(port));
    assert!(wait_until(Duration::from_secs(5), || {
        info_u64(&mut con, "replication", "connected_slaves") == 1
    }));
    ok(&mut con, &["SET", "meanwhile", "1"]);
    let (mut tap, rdb) = attach.join().expect("replica");
    assert!(rdb.starts_with(b"REDIS0010"));
    ok(&mut con, &["SET", "after", "2"]);
    let seen = tap.until(Duration::from_secs(10), |argv| argv[1] == "after");
    // "meanwhile" came before this replica's snapshot: it is in the file, not the stream.
    assert_eq!(
        seen,
        vec![words(&["SELECT", "0"]), words(&["SET", "after", "2"])]
    );
    assert!(rdb.windows(9).any(|w| w == b"meanwhile"));
    let log = server.log();
    assert!(
        log.contains(
            "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
        ),
        "{log}"
    );
    assert_eq!(
        log.matches("Starting BGSAVE for SYNC with target: disk")
            .count(),
        1,
        "{log}"
    );
}

// ---------------------------------------------------------------------------
// 7. Error paths, against Redis 7.0's replication.c and a real redis-server.

/// Runs `steps` on one fresh raw connection to `port`: each step's commands
/// go out in one write, then its replies are read (up to `want.len()` bytes
/// or 2 s). Returns what each step got back.
#[allow(clippy::disallowed_methods)] // a deadline for another process
fn raw_session(port: u16, steps: &[Step]) -> Vec<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut out = Vec::new();
    for (commands, want) in steps {
        let mut bytes = Vec::new();
        for c in commands {
            bytes.extend_from_slice(&multibulk(c));
        }
        s.write_all(&bytes).expect("write");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(2);
        while got.len() < want.len() && Instant::now() < deadline {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        out.push(String::from_utf8_lossy(&got).into_owned());
    }
    out
}

/// Commands written together, and the replies they get.
type Step = (Vec<Vec<&'static str>>, &'static str);

/// Asserts every step of `steps` gets its replies from redrill at `port`
/// and, when one runs, from redis-server.
fn assert_replies(port: u16, real: Option<&RealRedis>, steps: &[Step]) {
    let wants: Vec<&str> = steps.iter().map(|(_, w)| *w).collect();
    if let Some(real) = real {
        assert_eq!(
            raw_session(real.port(), steps),
            wants,
            "redis-server, {steps:?}"
        );
    }
    assert_eq!(raw_session(port, steps), wants, "redrill, {steps:?}");
}

fn multibulk(argv: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// One step: `commands` in one write, getting `want`.
fn step(commands: &[&[&'static str]], want: &'static str) -> Step {
    (commands.iter().map(|c| c.to_vec()).collect(), want)
}

/// Each case: steps on one fresh connection.
fn error_cases() -> Vec<Vec<Step>> {
    vec![
        vec![step(
            &[&["REPLCONF", "listening-port"]],
            "-ERR syntax error\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "capa", "eof", "capa"]],
            "-ERR syntax error\r\n",
        )],
        vec![step(&[&["REPLCONF"]], "+OK\r\n")],
        vec![step(
            &[&["REPLCONF", "foo", "bar"]],
            "-ERR Unrecognized REPLCONF option: foo\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "capa", "eof", "Nope", "1"]],
            "-ERR Unrecognized REPLCONF option: Nope\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "listening-port", "abc"]],
            "-ERR value is not an integer or out of range\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "capa", "whatever", "capa", "psync2"]],
            "+OK\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "rdb-filter-only", "x"]],
            "-ERR Unsupported rdb-filter-only option: x\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "rdb-filter-only", "functions y"]],
            "-ERR Unsupported rdb-filter-only option: y\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "rdb-filter-only", "functions"]],
            "+OK\r\n",
        )],
        vec![step(&[&["REPLCONF", "rdb-only", "1"]], "+OK\r\n")],
        vec![step(
            &[&["REPLCONF", "rdb-only", "x"]],
            "-ERR value is not an integer or out of range\r\n",
        )],
        // ACK from a client that is no replica, and GETACK on a master: no reply.
        vec![step(&[&["REPLCONF", "ack", "10"], &["PING"]], "+PONG\r\n")],
        vec![step(
            &[&["REPLCONF", "getack", "*"], &["PING"]],
            "+PONG\r\n",
        )],
        // A bad offset: an error, and the client stays an ordinary one.
        vec![step(
            &[&["PSYNC", "?", "abc"], &["PING"]],
            "-ERR value is not an integer or out of range\r\n+PONG\r\n",
        )],
        vec![step(
            &[&["PSYNC", "?"]],
            "-ERR wrong number of arguments for 'psync' command\r\n",
        )],
        vec![step(
            &[&["SYNC", "x"]],
            "-ERR wrong number of arguments for 'sync' command\r\n",
        )],
        vec![
            step(&[&["MULTI"]], "+OK\r\n"),
            step(
                &[&["SYNC"]],
                "-ERR Command not allowed inside a transaction\r\n",
            ),
            step(
                &[&["EXEC"]],
                "-EXECABORT Transaction discarded because of previous errors.\r\n",
            ),
        ],
        vec![
            step(&[&["MULTI"]], "+OK\r\n"),
            step(
                &[&["PSYNC", "?", "-1"]],
                "-ERR Command not allowed inside a transaction\r\n",
            ),
            step(&[&["DISCARD"]], "+OK\r\n"),
        ],
        // One write holding both: the first reply is still pending when SYNC runs.
        vec![step(
            &[&["PING"], &["SYNC"]],
            "+PONG\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n",
        )],
        vec![step(
            &[&["REPLCONF", "capa", "eof"], &["PSYNC", "?", "-1"]],
            "+OK\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n",
        )],
        vec![
            step(&[&["REPLCONF", "rdb-filter-only", ""]], "+OK\r\n"),
            step(
                &[&["SYNC"]],
                "-ERR Filtered replica requires EOF capability\r\n",
            ),
        ],
        vec![
            step(&[&["REPLCONF", "rdb-filter-only", "functions"]], "+OK\r\n"),
            step(
                &[&["PSYNC", "?", "-1"]],
                "-ERR Filtered replica requires EOF capability\r\n",
            ),
            // Still an ordinary client.
            step(&[&["PING"]], "+PONG\r\n"),
        ],
    ]
}

#[test]
fn replication_errors_match_redis() {
    let server = start_server(&[]);
    let real = RealRedis::start(&[]);
    for steps in error_cases() {
        assert_replies(server.port(), real.as_ref(), &steps);
    }
    // None of these made a replica, and the server still serves.
    let mut con = server.connection();
    assert_eq!(info_u64(&mut con, "replication", "connected_slaves"), 0);
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 0);
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
    let log = server.log();
    assert!(
        log.contains(
            "Replica 127.0.0.1:<unknown-replica-port> asks for synchronization but with a wrong offset"
        ),
        "{log}"
    );
}

/// REPLCONF rdb-only takes 0 or 1: Redis answers anything else with
/// getRangeLongFromObjectOrReply's range error, not a syntax error.
#[test]
fn replconf_rdb_only_out_of_range_matches_redis() {
    let server = start_server(&[]);
    let real = RealRedis::start(&[]);
    let steps = [step(
        &[&["REPLCONF", "rdb-only", "2"]],
        "-ERR value is out of range, value must between 0 and 1\r\n",
    )];
    assert_replies(server.port(), real.as_ref(), &steps);
}

/// REPLCONF ip-address takes a host name shorter than NET_HOST_STR_LEN (256
/// bytes), since replica-announce-ip may be a host name.
#[test]
fn replconf_ip_address_takes_host_names_up_to_255_bytes() {
    let server = start_server(&[]);
    let real = RealRedis::start(&[]);
    let host: &'static str = "h".repeat(255).leak();
    let long: &'static str = "h".repeat(256).leak();
    let steps = [
        step(&[&["REPLCONF", "ip-address", host]], "+OK\r\n"),
        step(
            &[&["REPLCONF", "ip-address", long]],
            "-ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes\r\n",
        ),
    ];
    assert_replies(server.port(), real.as_ref(), &steps);
}

/// rdb-filter-only values are split as Redis splits arguments (sdssplitargs):
/// unbalanced quotes are "Missing rdb-filter-only values", a quoted filter
/// is the filter.
#[test]
fn replconf_rdb_filter_only_splits_like_redis() {
    let server = start_server(&[]);
    let real = RealRedis::start(&[]);
    let steps = [
        step(
            &[&["REPLCONF", "rdb-filter-only", "\"functions"]],
            "-ERR Missing rdb-filter-only values\r\n",
        ),
        step(
            &[&["REPLCONF", "rdb-filter-only", "\"functions\""]],
            "+OK\r\n",
        ),
    ];
    assert_replies(server.port(), real.as_ref(), &steps);
}

// ---------------------------------------------------------------------------
// 8. Replicas that go away.

#[test]
fn a_tap_that_disconnects_mid_stream_is_removed() {
    let server = start_server(&[]);
    let mut con = server.connection();
    let mut tap = StreamTap::attach(server.port());
    assert_eq!(info_u64(&mut con, "replication", "connected_slaves"), 1);
    let mut writer = Writer::start(&server, 256);
    tap.until(Duration::from_secs(10), |argv| argv[0] == "SET");
    drop(tap);
    let gone = wait_until(Duration::from_secs(10), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    });
    // The writes go on after the replica left.
    let more = writer.wait_writes(100);
    writer.stop();
    assert!(gone, "the replica is still listed");
    assert!(more, "writes stalled after the replica left");
    assert!(wait_until(Duration::from_secs(5), || server
        .log()
        .contains(
            "Connection with replica 127.0.0.1:<unknown-replica-port> lost."
        )));
    assert_eq!(info_field(&mut con, "replication", "slave0"), None);
    ok(&mut con, &["SET", "after", "1"]);
    assert_eq!(query::<String>(&mut con, &["GET", "after"]).unwrap(), "1");
    // A new replica attaches as usual.
    let mut tap = StreamTap::attach(server.port());
    ok(&mut con, &["SET", "again", "2"]);
    let seen = tap.until(Duration::from_secs(10), |argv| argv[0] == "SET");
    assert_eq!(seen.last().unwrap(), &words(&["SET", "again", "2"]));
}

#[test]
fn a_replica_that_leaves_during_its_save_is_removed() {
    let server = slow_save_server(&[]);
    let mut con = server.connection();
    let mut raw = server.raw();
    raw.write_all(b"SYNC\r\n").expect("write");
    assert!(wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "replication", "slave0")
            .is_some_and(|l| l.contains("state=wait_bgsave"))
    }));
    drop(raw);
    assert!(wait_until(Duration::from_secs(10), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    }));
    ok(&mut con, &["SET", "k", "v"]);
    // The save it started ends without it; a replica after that syncs fully.
    assert!(wait_until(Duration::from_secs(20), || {
        info_u64(&mut con, "persistence", "rdb_bgsave_in_progress") == 0
    }));
    let (mut tap, rdb) = StreamTap::attach_full(server.port());
    assert!(
        rdb.starts_with(b"REDIS0010"),
        "{:?}",
        &rdb[..rdb.len().min(9)]
    );
    ok(&mut con, &["SET", "k2", "v2"]);
    tap.until(Duration::from_secs(10), |argv| {
        argv[0] == "SET" && argv[1] == "k2"
    });
    assert_eq!(info_u64(&mut con, "stats", "sync_full"), 2);
}

#[test]
fn a_real_replica_killed_mid_stream_is_removed() {
    let server = start_server(&[]);
    let mut con = server.connection();
    let Some(mut replica) = RedisReplica::start(server.port(), &[]) else {
        return;
    };
    let mut rcon = replica.connection();
    assert!(
        wait_caught_up(&mut con, &mut rcon, Duration::from_secs(20)),
        "{}",
        replica.log()
    );
    let mut writer = Writer::start(&server, 256);
    assert!(writer.wait_writes(50));
    replica.kill();
    let gone = wait_until(Duration::from_secs(10), || {
        info_u64(&mut con, "replication", "connected_slaves") == 0
    });
    let more = writer.wait_writes(100);
    writer.stop();
    assert!(gone, "the replica is still listed");
    assert!(more, "writes stalled after the replica died");
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
}
