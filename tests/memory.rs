//! Pins seed case 3 as far as the output buffers go: a client that sends
//! requests and never reads their replies piles up output inside the server
//! (CLIENT LIST omem, INFO used_memory), and `client-output-buffer-limit normal`
//! disconnects it, logging Redis's line, after which the memory comes back.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;

fn query<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con).unwrap()
}

/// omem of the first client other than `me` in CLIENT LIST.
fn other_omem(con: &mut redis::Connection, me: i64) -> Option<u64> {
    let list: String = query(con, &["CLIENT", "LIST"]);
    list.lines()
        .filter(|l| !l.starts_with(&format!("id={me} ")))
        .find_map(|l| l.split(' ').find_map(|kv| kv.strip_prefix("omem=")))
        .and_then(|v| v.parse().ok())
}

fn used_memory(con: &mut redis::Connection) -> u64 {
    let info: String = query(con, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// A raw client that asks for `big` `count` times and never reads a byte.
fn flood_without_reading(srv: &ServerGuard, count: usize) -> std::net::TcpStream {
    let mut s = srv.raw();
    // A small receive buffer makes the kernel stop taking replies early.
    socket2::SockRef::from(&s)
        .set_recv_buffer_size(4096)
        .unwrap();
    let request = b"GET big\r\n".repeat(count);
    s.write_all(&request).unwrap();
    s
}

#[test]
fn unread_replies_pile_up_as_omem_and_used_memory() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let me: i64 = query(&mut con, &["CLIENT", "ID"]);
    let value = "x".repeat(100_000);
    let _: String = query(&mut con, &["SET", "big", &value]);
    let before = used_memory(&mut con);
    let _reader_that_never_reads = flood_without_reading(&srv, 300);
    // 300 replies of 100 KB: about 30 MB stay inside the server.
    assert!(
        wait_until(Duration::from_secs(20), || other_omem(&mut con, me)
            .unwrap_or(0)
            > 20_000_000),
        "omem did not grow: {:?}",
        other_omem(&mut con, me)
    );
    let after = used_memory(&mut con);
    assert!(
        after > before + 20_000_000,
        "used_memory {before} -> {after}"
    );
}

#[test]
fn output_buffer_limit_disconnects_and_memory_comes_back() {
    let srv = start_server(&["--client-output-buffer-limit", "normal 10mb 5mb 10"]);
    let mut con = srv.connection();
    let me: i64 = query(&mut con, &["CLIENT", "ID"]);
    let value = "x".repeat(100_000);
    let _: String = query(&mut con, &["SET", "big", &value]);
    let before = used_memory(&mut con);
    let _flood = flood_without_reading(&srv, 300);
    // Wait for the close itself (a CLIENT LIST poll alone could run before the
    // flooding connection was even accepted).
    assert!(
        wait_until(Duration::from_secs(20), || srv.log().contains(
            "scheduled to be closed ASAP for overcoming of output buffer limits."
        )),
        "the flooding client was not disconnected; log:\n{}",
        srv.log()
    );
    assert!(wait_until(Duration::from_secs(10), || {
        let list: String = query(&mut con, &["CLIENT", "LIST"]);
        list.lines().count() == 1
    }));
    assert!(other_omem(&mut con, me).is_none());
    let info: String = query(&mut con, &["INFO", "stats"]);
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1"),
        "{info}"
    );
    let after = used_memory(&mut con);
    assert!(
        after < before + 5_000_000,
        "memory did not come back: {before} -> {after}"
    );
    // And the server goes on serving.
    let got: String = query(&mut con, &["SET", "k", "v"]);
    assert_eq!(got, "OK");
}
