//! Pins `maxmemory-clients` client eviction (Redis 7.0): once normal and pub/sub
//! clients together hold more memory than the limit, the largest is
//! disconnected, logged as `Evicting client: ...` and counted in INFO stats
//! `evicted_clients`; the others keep working. CLIENT NO-EVICT clients stay,
//! `maxmemory-clients 0` turns it off, and a percentage is of `maxmemory`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    query(con, args).unwrap_or_else(|e| panic!("{args:?}: {}", err_text(e)))
}

/// INFO stats evicted_clients.
fn evicted_clients(con: &mut redis::Connection) -> u64 {
    let info: String = q(con, &["INFO", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("evicted_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("evicted_clients field")
}

/// The CLIENT LIST line of the client named `name`.
fn client_line(con: &mut redis::Connection, name: &str) -> Option<String> {
    let list: String = q(con, &["CLIENT", "LIST"]);
    let needle = format!(" name={name} ");
    list.lines()
        .find(|l| l.contains(&needle))
        .map(str::to_string)
}

/// A numeric field (`omem`, `tot-mem`) of a CLIENT LIST line.
fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// Stores a 100 KB value at `big` for the floods to fetch.
fn store_big_value(con: &mut redis::Connection) {
    let value = "x".repeat(100_000);
    let _: String = q(con, &["SET", "big", &value]);
}

/// A raw client named `name` that ran `setup` (inline commands, each answered
/// +OK), then asks for `big` `count` times and never reads a byte more.
fn flood_without_reading(srv: &ServerGuard, name: &str, setup: &[&str], count: usize) -> TcpStream {
    let mut s = srv.raw();
    s.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("write timeout");
    // A small receive buffer makes the kernel stop taking replies early.
    socket2::SockRef::from(&s)
        .set_recv_buffer_size(4096)
        .expect("receive buffer");
    let mut hello = format!("CLIENT SETNAME {name}\r\n");
    for line in setup {
        hello.push_str(line);
        hello.push_str("\r\n");
    }
    s.write_all(hello.as_bytes()).expect("write");
    let want = 5 * (setup.len() + 1);
    let mut got = vec![0u8; want];
    s.read_exact(&mut got).expect("setup replies");
    assert_eq!(got, b"+OK\r\n".repeat(setup.len() + 1), "setup failed");
    // The flood may be cut short by the eviction itself: ignore write errors.
    let _ = s.write_all(&b"GET big\r\n".repeat(count));
    s
}

/// Waits until the log shows an eviction of the client named `name`.
fn wait_evicted(srv: &ServerGuard, name: &str) {
    let line_start = "Evicting client: id=";
    let named = format!(" name={name} ");
    assert!(
        wait_until(Duration::from_secs(20), || srv
            .log()
            .lines()
            .any(|l| l.contains(line_start) && l.contains(&named))),
        "{name} was not evicted; log:\n{}",
        srv.log()
    );
}

#[test]
fn a_client_piling_up_replies_is_evicted_and_the_others_keep_working() {
    let srv = start_server(&["--maxmemory-clients", "1mb"]);
    let mut con = srv.connection();
    store_big_value(&mut con);
    assert_eq!(evicted_clients(&mut con), 0);
    let _flood = flood_without_reading(&srv, "flood", &[], 300);
    wait_evicted(&srv, "flood");
    // Redis logs it at notice level with the client's CLIENT LIST line.
    let log = srv.log();
    let line = log
        .lines()
        .find(|l| l.contains("Evicting client: "))
        .expect("eviction line");
    assert!(line.contains(" * Evicting client: id="), "{line}");
    assert!(line.contains(" tot-mem="), "{line}");
    assert!(wait_until(Duration::from_secs(10), || client_line(
        &mut con, "flood"
    )
    .is_none()));
    assert_eq!(evicted_clients(&mut con), 1);
    // The others were not touched and go on.
    let got: String = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(got, "OK");
    let mut later = srv.connection();
    let got: String = q(&mut later, &["GET", "k"]);
    assert_eq!(got, "v");
    assert_eq!(evicted_clients(&mut later), 1);
}

#[test]
fn a_client_with_a_huge_query_buffer_is_evicted() {
    let srv = start_server(&["--maxmemory-clients", "1mb"]);
    let mut con = srv.connection();
    let mut s = srv.raw();
    s.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("write timeout");
    s.write_all(b"CLIENT SETNAME bigarg\r\n").expect("write");
    let mut ok = [0u8; 5];
    s.read_exact(&mut ok).expect("setname reply");
    // Announce a 5 MB argument and send 2 MB of it: the server reserves room
    // for the whole argument while it waits for the rest.
    let _ = s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n");
    let _ = s.write_all(&vec![b'x'; 2_000_000]);
    wait_evicted(&srv, "bigarg");
    assert_eq!(evicted_clients(&mut con), 1);
    let pong: String = q(&mut con, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn no_evict_clients_survive() {
    let srv = start_server(&["--maxmemory-clients", "1mb"]);
    let mut con = srv.connection();
    let _: String = q(&mut con, &["CLIENT", "NO-EVICT", "on"]);
    store_big_value(&mut con);
    // A hundred 100 KB replies: megabytes held by a client that may not be evicted.
    let _flood = flood_without_reading(&srv, "kept", &["CLIENT NO-EVICT on"], 100);
    assert!(
        wait_until(Duration::from_secs(20), || client_line(&mut con, "kept")
            .is_some_and(|l| field(&l, "omem") > 1_500_000)),
        "the reply buffer did not grow: {:?}",
        client_line(&mut con, "kept")
    );
    // Over the limit with nobody left to evict: Redis's warning, and everyone stays.
    assert!(
        wait_until(Duration::from_secs(10), || srv.log().contains(
            "Over client maxmemory after evicting all evictable clients"
        )),
        "no warning; log:\n{}",
        srv.log()
    );
    let line = client_line(&mut con, "kept").expect("the no-evict client is still there");
    assert!(line.contains(" flags=e "), "{line}");
    assert!(field(&line, "tot-mem") > field(&line, "omem"), "{line}");
    assert_eq!(evicted_clients(&mut con), 0);
}

#[test]
fn config_set_zero_turns_eviction_off() {
    let srv = start_server(&["--maxmemory-clients", "1mb"]);
    let mut con = srv.connection();
    let _: String = q(&mut con, &["CONFIG", "SET", "maxmemory-clients", "0"]);
    store_big_value(&mut con);
    let _flood = flood_without_reading(&srv, "flood", &[], 100);
    assert!(
        wait_until(Duration::from_secs(20), || client_line(&mut con, "flood")
            .is_some_and(|l| field(&l, "omem") > 2_000_000)),
        "the reply buffer did not grow: {:?}",
        client_line(&mut con, "flood")
    );
    // Let a few cron ticks pass: the cron would evict too if it were on.
    let ticks_from = q::<String>(&mut con, &["INFO", "server"]);
    let server_time_us = |info: &str| -> Option<u64> {
        info.lines()
            .find_map(|l| l.strip_prefix("server_time_usec:"))
            .and_then(|v| v.trim().parse().ok())
    };
    let start = server_time_us(&ticks_from).expect("server_time_usec");
    assert!(wait_until(Duration::from_secs(10), || {
        let info: String = q(&mut con, &["INFO", "server"]);
        server_time_us(&info).is_some_and(|t| t > start + 300_000)
    }));
    assert!(client_line(&mut con, "flood").is_some());
    assert_eq!(evicted_clients(&mut con), 0);
    // Turned back on, the same client goes.
    let _: String = q(&mut con, &["CONFIG", "SET", "maxmemory-clients", "1mb"]);
    wait_evicted(&srv, "flood");
    assert_eq!(evicted_clients(&mut con), 1);
}

#[test]
fn a_percentage_is_of_maxmemory() {
    // 1% of 100 MB: about 1 MB.
    let srv = start_server(&["--maxmemory", "100mb", "--maxmemory-clients", "1%"]);
    let mut con = srv.connection();
    let limit: Vec<String> = q(&mut con, &["CONFIG", "GET", "maxmemory-clients"]);
    assert_eq!(limit, ["maxmemory-clients", "1%"]);
    store_big_value(&mut con);
    let _flood = flood_without_reading(&srv, "flood", &[], 300);
    wait_evicted(&srv, "flood");
    assert_eq!(evicted_clients(&mut con), 1);
    // 50% of the same maxmemory is far more than the flood holds.
    let _: String = q(&mut con, &["CONFIG", "SET", "maxmemory-clients", "50%"]);
    let _kept = flood_without_reading(&srv, "kept", &[], 100);
    assert!(
        wait_until(Duration::from_secs(20), || client_line(&mut con, "kept")
            .is_some_and(|l| field(&l, "omem") > 2_000_000)),
        "the reply buffer did not grow: {:?}",
        client_line(&mut con, "kept")
    );
    assert_eq!(evicted_clients(&mut con), 1);
}
