//! Pins seed cases 3 and 4a end to end. Case 3: a client sends HGETALL on a
//! large hash again and again and never reads; its replies pile up in the
//! server (CLIENT LIST omem) and count against `maxmemory`, so other clients'
//! writes are refused with -OOM under `noeviction`, evict keys under
//! `allkeys-lru`, and go through again once `client-output-buffer-limit normal`
//! drops the flooder. Case 4a: `timeout` closes idle clients but spares
//! subscribers and blocked clients, CLIENT KILL by ID, ADDR, TYPE and MAXAGE
//! drops the chosen clients, and INFO clients counts what is connected.
//!
//! tests/memory.rs already pins omem growth and the output-buffer disconnect
//! without a memory limit, tests/connection.rs the basic `timeout` case and
//! tests/admin.rs CLIENT KILL's argument errors; this file adds what those do
//! not cover. Memory limits are set relative to what the server uses when the
//! test starts, so allocator differences do not matter.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::*;

/// Fields in the flooded hash.
const HASH_FIELDS: usize = 5_000;
/// Bytes per field value: the hash's HGETALL reply is about 600 KB.
const FIELD_VALUE_LEN: usize = 100;
/// Room above the starting memory before `maxmemory` is reached.
const HEADROOM: u64 = 16 << 20;
/// How long any condition may take to appear.
const DEADLINE: Duration = Duration::from_secs(20);

/// A command that must succeed, decoded as `T`.
fn run<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    query(con, args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// An integer field of INFO `section`.
fn info_u64(con: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let info: String = run(con, &["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in INFO {section}:\n{info}"))
}

/// The value of `name=` in the CLIENT LIST line of client `id`, if it is listed.
fn client_field(con: &mut redis::Connection, id: i64, name: &str) -> Option<String> {
    let list: String = run(con, &["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.starts_with(&format!("id={id} ")))?;
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .map(str::to_string)
}

/// The flooder's omem, 0 once it is gone.
fn omem(con: &mut redis::Connection, id: i64) -> u64 {
    client_field(con, id, "omem").map_or(0, |v| v.parse().unwrap_or(0))
}

/// Writes the hash `big` whose HGETALL reply is about 600 KB.
fn write_big_hash(con: &mut redis::Connection) {
    let value = "v".repeat(FIELD_VALUE_LEN);
    let mut cmd = redis::cmd("HSET");
    cmd.arg("big");
    for i in 0..HASH_FIELDS {
        cmd.arg(format!("field:{i}")).arg(&value);
    }
    let added: usize = cmd.query(con).unwrap();
    assert_eq!(added, HASH_FIELDS);
}

/// Sets the policy, then `maxmemory` to the memory in use now plus HEADROOM.
fn limit_memory(con: &mut redis::Connection, policy: &str) -> u64 {
    let _: () = run(con, &["CONFIG", "SET", "maxmemory-policy", policy]);
    let limit = info_u64(con, "memory", "used_memory") + HEADROOM;
    let _: () = run(con, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    limit
}

/// A client that asks for HGETALL big over and over and never reads a reply.
struct Flooder {
    stream: TcpStream,
    id: i64,
}

impl Flooder {
    /// Connects, learns its client id (the last reply it reads), and shrinks
    /// its receive buffer so the kernel stops taking replies early.
    fn connect(srv: &ServerGuard) -> Flooder {
        let mut stream = srv.raw();
        let reply = raw_exchange(&mut stream, b"CLIENT ID\r\n", 3);
        let mut text = String::from_utf8_lossy(&reply).into_owned();
        while !text.ends_with("\r\n") {
            let mut b = [0u8; 1];
            assert_eq!(stream.read(&mut b).unwrap(), 1, "CLIENT ID reply cut");
            text.push(char::from(b[0]));
        }
        let id = text
            .trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("CLIENT ID replied {text:?}"));
        socket2::SockRef::from(&stream)
            .set_recv_buffer_size(4096)
            .unwrap();
        Flooder { stream, id }
    }

    /// Sends `count` more HGETALLs without reading anything.
    fn send(&mut self, count: usize) {
        self.stream
            .write_all(&b"HGETALL big\r\n".repeat(count))
            .unwrap();
    }
}

/// Case 3 under noeviction: as the flooder's unread replies grow, writes
/// from another client start failing with Redis's exact OOM error.
#[test]
fn unread_replies_fill_maxmemory_and_noeviction_refuses_writes() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    write_big_hash(&mut con);
    limit_memory(&mut con, "noeviction");
    let mut flooder = Flooder::connect(&srv);

    // Ten replies (about 6 MB, part of it taken by the kernel's socket buffers)
    // stay inside the headroom: writes work.
    flooder.send(10);
    assert!(
        wait_until(DEADLINE, || omem(&mut con, flooder.id) > 1_000_000),
        "omem did not grow: {}",
        omem(&mut con, flooder.id)
    );
    let small = omem(&mut con, flooder.id);
    assert_eq!(run::<String>(&mut con, &["SET", "before", "v"]), "OK");

    // Forty more (about 25 MB) pass the limit: the same write is refused.
    flooder.send(40);
    let mut refused = None;
    let mut i = 0;
    let refused_in_time = wait_until(DEADLINE, || {
        i += 1;
        match query::<String>(&mut con, &["SET", &format!("during:{i}"), "v"]) {
            Ok(_) => false,
            Err(e) => {
                refused = Some(err_text(e));
                true
            }
        }
    });
    assert!(
        refused_in_time,
        "writes never failed; omem {}",
        omem(&mut con, flooder.id)
    );
    assert_eq!(
        refused.unwrap(),
        "OOM command not allowed when used memory > 'maxmemory'."
    );
    let large = omem(&mut con, flooder.id);
    assert!(large > small + 5_000_000, "omem {small} -> {large}");
    assert!(
        large > HEADROOM / 2,
        "omem {large}: not the flooder's doing"
    );
    // Nothing was evicted and reads still work.
    assert_eq!(info_u64(&mut con, "stats", "evicted_keys"), 0);
    assert_eq!(run::<i64>(&mut con, &["HLEN", "big"]), HASH_FIELDS as i64);
}

/// Case 3 under allkeys-lru: the same flood makes the server evict keys, and
/// every write from another client succeeds.
#[test]
fn unread_replies_fill_maxmemory_and_allkeys_lru_evicts_keys() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    // 3,000 values of 10 KB (30 MB) give eviction more to free than the flood takes.
    let value = "x".repeat(10_000);
    let mut pipe = redis::pipe();
    for i in 0..3_000 {
        pipe.cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(&value)
            .ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    // The LRU clock ticks once a second. Written in the same tick as the hash
    // the flood reads, the fillers would tie with it, and LRU might evict the
    // hash itself: the flood would then stop growing, and so would eviction.
    thread::sleep(Duration::from_millis(1_100));
    write_big_hash(&mut con);
    let keys_before: u64 = run(&mut con, &["DBSIZE"]);
    limit_memory(&mut con, "allkeys-lru");
    let mut flooder = Flooder::connect(&srv);
    flooder.send(40); // about 25 MB of replies, 9 MB past the limit

    let mut i = 0;
    let evicting = wait_until(DEADLINE, || {
        i += 1;
        // A refused write panics here: under allkeys-lru there is always a key to evict.
        let _: String = run(&mut con, &["SET", &format!("during:{i}"), "v"]);
        info_u64(&mut con, "stats", "evicted_keys") > 0
    });
    assert!(
        evicting,
        "nothing was evicted; omem {}",
        omem(&mut con, flooder.id)
    );
    for j in 0..50 {
        let _: String = run(&mut con, &["SET", &format!("after:{j}"), "v"]);
    }
    let evicted = info_u64(&mut con, "stats", "evicted_keys");
    let keys_now: u64 = run(&mut con, &["DBSIZE"]);
    assert_eq!(keys_now + evicted, keys_before + i + 50);
    assert!(
        keys_now < keys_before,
        "{keys_now} keys, {keys_before} before"
    );
    // The hash every HGETALL touches is the least idle key: LRU spares it.
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "big"]), 1);
}

/// Case 3 with `client-output-buffer-limit normal 10mb 5mb 10` under a
/// maxmemory limit: the flooder is dropped, memory comes back below the limit
/// without evicting anything, and writes succeed.
#[test]
fn output_buffer_limit_drops_the_flooder_before_it_starves_writers() {
    let srv = start_server(&["--client-output-buffer-limit", "normal 10mb 5mb 10"]);
    let mut con = srv.connection();
    write_big_hash(&mut con);
    let keys_before: u64 = run(&mut con, &["DBSIZE"]);
    let limit = limit_memory(&mut con, "noeviction");
    let mut flooder = Flooder::connect(&srv);
    flooder.send(40); // about 25 MB, past the 10 MB hard limit

    assert!(
        wait_until(DEADLINE, || info_u64(
            &mut con,
            "stats",
            "client_output_buffer_limit_disconnections"
        ) == 1),
        "the flooder was not disconnected; log:\n{}",
        srv.log()
    );
    assert!(wait_until(DEADLINE, || client_field(
        &mut con, flooder.id, "id"
    )
    .is_none()));
    assert!(
        wait_until(DEADLINE, || info_u64(&mut con, "memory", "used_memory")
            < limit),
        "used_memory {} stays above maxmemory {limit}",
        info_u64(&mut con, "memory", "used_memory")
    );
    assert_eq!(run::<String>(&mut con, &["SET", "after", "v"]), "OK");
    assert_eq!(run::<u64>(&mut con, &["DBSIZE"]), keys_before + 1);
    assert_eq!(info_u64(&mut con, "stats", "evicted_keys"), 0);
}

/// Reads from a raw client until `want` bytes arrived; panics on EOF.
fn read_exactly(stream: &mut TcpStream, want: usize) -> Vec<u8> {
    let mut got = vec![0u8; want];
    stream.read_exact(&mut got).expect("reply");
    got
}

/// True once the server closed `stream` (a read returns EOF or a reset).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut b = [0u8; 16];
    match stream.read(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// A raw subscriber of `channel` that has read its confirmation.
fn subscriber(srv: &ServerGuard, channel: &str) -> TcpStream {
    let mut s = srv.raw();
    s.write_all(format!("SUBSCRIBE {channel}\r\n").as_bytes())
        .unwrap();
    let confirm = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{channel}\r\n:1\r\n",
        channel.len()
    );
    assert_eq!(read_exactly(&mut s, confirm.len()), confirm.as_bytes());
    s
}

/// Case 4a: with `timeout 1` an idle client is closed, while a subscriber and
/// a client blocked in BLPOP 0 (idle as long, connected earlier) stay, as in
/// Redis's clientsCronHandleTimeout; connected_clients drops by one.
#[test]
fn timeout_closes_idle_clients_but_spares_subscribers_and_blocked_ones() {
    let srv = start_server(&["--timeout", "1"]);
    let mut sub = subscriber(&srv, "news");
    let mut blocked = srv.raw();
    blocked.write_all(b"BLPOP jobs 0\r\n").unwrap();
    let mut idle = srv.raw();
    assert_eq!(raw_exchange(&mut idle, b"PING\r\n", 7), b"+PONG\r\n");
    let mut con = srv.connection();
    assert!(wait_until(DEADLINE, || info_u64(
        &mut con,
        "clients",
        "blocked_clients"
    ) == 1));

    // The observer keeps itself alive by asking; the idle client is closed.
    assert!(
        wait_until(DEADLINE, || {
            let _: String = run(&mut con, &["PING"]);
            closed_by_server(&mut idle)
        }),
        "the idle client was not closed"
    );
    assert_eq!(info_u64(&mut con, "clients", "connected_clients"), 3);
    assert_eq!(info_u64(&mut con, "clients", "blocked_clients"), 1);
    let list: String = run(&mut con, &["CLIENT", "LIST"]);
    assert!(list.contains(" flags=P "), "{list}");
    assert!(list.contains(" flags=b "), "{list}");

    // Both survivors still work.
    assert_eq!(run::<i64>(&mut con, &["PUBLISH", "news", "hi"]), 1);
    let message = "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n";
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(read_exactly(&mut sub, message.len()), message.as_bytes());
    assert_eq!(run::<i64>(&mut con, &["LPUSH", "jobs", "j1"]), 1);
    let popped = "*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n";
    blocked
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(read_exactly(&mut blocked, popped.len()), popped.as_bytes());
}

/// A `redis` connection and its client id and address.
fn victim(srv: &ServerGuard) -> (redis::Connection, i64, String) {
    let mut con = srv.connection();
    let id: i64 = run(&mut con, &["CLIENT", "ID"]);
    let info: String = run(&mut con, &["CLIENT", "INFO"]);
    let addr = info
        .split(' ')
        .find_map(|kv| kv.strip_prefix("addr="))
        .unwrap()
        .to_string();
    (con, id, addr)
}

fn is_alive(con: &mut redis::Connection) -> bool {
    query::<String>(con, &["PING"]).is_ok_and(|p| p == "PONG")
}

/// Case 4a: CLIENT KILL's new form by ID, ADDR and TYPE drops exactly the
/// clients it names, replies with how many, and connected_clients follows.
#[test]
fn client_kill_by_id_addr_and_type_drops_only_those_clients() {
    let srv = start_server(&[]);
    let mut admin = srv.connection();
    let (mut by_id, id, _) = victim(&srv);
    let (mut by_addr, _, addr) = victim(&srv);
    let (mut bystander, _, _) = victim(&srv);
    let mut sub = subscriber(&srv, "news");
    assert_eq!(info_u64(&mut admin, "clients", "connected_clients"), 5);

    let killed: i64 = run(&mut admin, &["CLIENT", "KILL", "ID", &id.to_string()]);
    assert_eq!(killed, 1);
    assert!(!is_alive(&mut by_id));
    let killed: i64 = run(&mut admin, &["CLIENT", "KILL", "ADDR", &addr]);
    assert_eq!(killed, 1);
    assert!(!is_alive(&mut by_addr));
    let killed: i64 = run(&mut admin, &["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, 1);
    assert!(wait_until(DEADLINE, || closed_by_server(&mut sub)));

    assert!(is_alive(&mut bystander));
    assert!(wait_until(DEADLINE, || info_u64(
        &mut admin,
        "clients",
        "connected_clients"
    ) == 2));
}

/// Case 4a: CLIENT KILL MAXAGE drops connections older than the given number
/// of seconds and spares younger ones. (MAXAGE is a redrill extension taken
/// from later Redis versions; Redis 7.0 answers it with a syntax error.)
#[test]
fn client_kill_maxage_drops_old_connections_only() {
    let srv = start_server(&[]);
    let mut admin = srv.connection();
    let (mut old, old_id, _) = victim(&srv);
    let killed: i64 = run(&mut admin, &["CLIENT", "KILL", "MAXAGE", "1000"]);
    assert_eq!(killed, 0);
    // Ages are whole seconds: wait (polling) until the old client is 3 s old.
    assert!(wait_until(DEADLINE, || client_field(
        &mut admin, old_id, "age"
    )
    .and_then(|a| a.parse::<u64>().ok())
    .is_some_and(|age| age >= 3)));
    let (mut young, _, _) = victim(&srv);
    let killed: i64 = run(&mut admin, &["CLIENT", "KILL", "MAXAGE", "2"]);
    assert_eq!(killed, 1, "SKIPME yes spares the admin, which is old too");
    assert!(!is_alive(&mut old));
    assert!(is_alive(&mut young));
}

/// Case 4a: INFO clients reports maxclients, connected and blocked clients, and
/// the largest query and output buffers among the connected clients.
#[test]
fn info_clients_counts_clients_and_their_largest_buffers() {
    let srv = start_server(&["--maxclients", "64"]);
    let mut con = srv.connection();
    write_big_hash(&mut con);
    assert_eq!(info_u64(&mut con, "clients", "maxclients"), 64);
    assert_eq!(info_u64(&mut con, "clients", "connected_clients"), 1);
    assert_eq!(info_u64(&mut con, "clients", "blocked_clients"), 0);

    let mut blocked = srv.raw();
    blocked.write_all(b"BLPOP jobs 0\r\n").unwrap();
    assert!(wait_until(DEADLINE, || info_u64(
        &mut con,
        "clients",
        "blocked_clients"
    ) == 1));

    // Half of a 1 MB SET: the server holds the partial argument in the query buffer.
    let mut half_sent = srv.raw();
    half_sent
        .write_all(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$1000000\r\n")
        .unwrap();
    half_sent.write_all(&vec![b'x'; 500_000]).unwrap();
    assert!(
        wait_until(DEADLINE, || info_u64(
            &mut con,
            "clients",
            "client_recent_max_input_buffer"
        ) >= 500_000),
        "client_recent_max_input_buffer {}",
        info_u64(&mut con, "clients", "client_recent_max_input_buffer")
    );

    let mut flooder = Flooder::connect(&srv);
    flooder.send(10);
    assert!(
        wait_until(DEADLINE, || info_u64(
            &mut con,
            "clients",
            "client_recent_max_output_buffer"
        ) >= 1_000_000),
        "client_recent_max_output_buffer {}",
        info_u64(&mut con, "clients", "client_recent_max_output_buffer")
    );
    assert_eq!(info_u64(&mut con, "clients", "connected_clients"), 4);

    // Finishing the SET runs it; the blocked client stays counted until served.
    half_sent.write_all(&vec![b'x'; 500_000]).unwrap();
    half_sent.write_all(b"\r\n").unwrap();
    assert_eq!(read_exactly(&mut half_sent, 5), b"+OK\r\n");
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "huge"]), 1_000_000);
    assert_eq!(info_u64(&mut con, "clients", "blocked_clients"), 1);
    let _: i64 = run(&mut con, &["LPUSH", "jobs", "j1"]);
    assert!(wait_until(DEADLINE, || info_u64(
        &mut con,
        "clients",
        "blocked_clients"
    ) == 0));
}

/// The stats line `client_output_buffer_limit_disconnections:N` of an INFO
/// text, as a number.
fn limit_disconnections(info: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix("client_output_buffer_limit_disconnections:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no disconnection count in:\n{info}"))
}

/// Runs `commands` in one MULTI/EXEC followed by `INFO stats`, and returns
/// that INFO text: what the server counted before any cron tick could run.
fn exec_then_info(con: &mut redis::Connection, commands: &[Vec<Vec<u8>>]) -> String {
    let mut pipe = redis::pipe();
    pipe.atomic();
    for argv in commands {
        let mut cmd = redis::Cmd::new();
        for arg in argv {
            cmd.arg(arg.as_slice());
        }
        pipe.add_command(cmd);
    }
    pipe.cmd("INFO").arg("stats");
    let mut replies: Vec<redis::Value> = pipe.query(con).expect("EXEC");
    let info = replies.pop().expect("INFO's reply");
    redis::from_redis_value::<String>(info).expect("INFO text")
}

/// A subscriber that never reads is held to `client-output-buffer-limit
/// pubsub` message by message, as Redis checks on every append: within one
/// EXEC of PUBLISHes, 4 MB to a 1 MB limit, it is already closed and
/// counted when the transaction's own INFO runs, and it gets no more of them.
#[test]
fn a_slow_subscriber_is_closed_by_the_message_that_passes_its_limit() {
    let srv = start_server(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut sub = subscriber(&srv, "feed");
    let mut con = srv.connection();
    let message = vec![b'm'; 64 << 10];
    let publishes: Vec<Vec<Vec<u8>>> = (0..64)
        .map(|_| vec![b"PUBLISH".to_vec(), b"feed".to_vec(), message.clone()])
        .collect();
    let info = exec_then_info(&mut con, &publishes);
    assert_eq!(limit_disconnections(&info), 1, "{}", srv.log());
    assert!(srv
        .log()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
    assert!(wait_until(DEADLINE, || closed_by_server(&mut sub)));
    // Nothing was kept for the closed subscriber: memory is back to normal.
    assert!(info_u64(&mut con, "memory", "mem_clients_normal") < 1 << 20);
}

/// The same for a MONITOR client, which Redis 7.0 lists, kills and limits
/// as a normal client (getClientType): the lines of one EXEC take it past
/// `client-output-buffer-limit normal`, and it is closed before the
/// transaction ends; the replica limit does not apply to it.
#[test]
fn a_slow_monitor_is_closed_by_the_line_that_passes_its_limit() {
    let srv = start_server(&[
        "--client-output-buffer-limit",
        "normal 1mb 0 0",
        "--client-output-buffer-limit",
        "replica 1kb 0 0",
    ]);
    let mut monitor = srv.raw();
    monitor.write_all(b"MONITOR\r\n").unwrap();
    assert_eq!(read_exactly(&mut monitor, 5), b"+OK\r\n");
    let mut con = srv.connection();
    let listed = |con: &mut redis::Connection, t: &str| -> String {
        run(con, &["CLIENT", "LIST", "TYPE", t])
    };
    assert!(listed(&mut con, "normal").contains("flags=O"));
    assert!(!listed(&mut con, "replica").contains("flags=O"));
    // Under the replica class's 1 KB, this line alone would close it.
    run::<String>(&mut con, &["SET", "small", &"v".repeat(2048)]);
    assert!(
        listed(&mut con, "normal").contains("flags=O"),
        "{}",
        srv.log()
    );
    let value = vec![b'v'; 64 << 10];
    let sets: Vec<Vec<Vec<u8>>> = (0..64)
        .map(|i| vec![b"SET".to_vec(), format!("k{i}").into_bytes(), value.clone()])
        .collect();
    let info = exec_then_info(&mut con, &sets);
    assert_eq!(limit_disconnections(&info), 1, "{}", srv.log());
    assert!(wait_until(DEADLINE, || closed_by_server(&mut monitor)));
}
