//! Pins the connection layer against the real binary: RESP and inline requests,
//! pipelining, protocol errors, AUTH/HELLO/SELECT/QUIT/RESET, `timeout`,
//! `maxclients`, `rename-command`, and the start-up and shutdown log lines.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;

#[test]
fn ping_echo_and_unknown_commands() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
    assert_eq!(query::<String>(&mut con, &["PING", "hi"]).unwrap(), "hi");
    assert_eq!(query::<String>(&mut con, &["ECHO", "x y"]).unwrap(), "x y");
    let e = query::<String>(&mut con, &["PING", "a", "b"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR wrong number of arguments for 'ping' command"
    );
    let e = query::<String>(&mut con, &["NOSUCH", "a", "b"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "
    );
    let e = query::<String>(&mut con, &["CLIENT", "nosuch"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR unknown subcommand 'nosuch'. Try CLIENT HELP."
    );
    let e = query::<String>(&mut con, &["CLIENT", "SETNAME"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR wrong number of arguments for 'client|setname' command"
    );
}

#[test]
fn inline_commands_and_pipelines_over_raw_tcp() {
    let srv = start_server(&[]);
    let mut s = srv.raw();
    assert_eq!(raw_exchange(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
    assert_eq!(
        raw_exchange(&mut s, b"ECHO hello\n", 11),
        b"$5\r\nhello\r\n"
    );
    // Empty lines are skipped, as in Redis.
    assert_eq!(raw_exchange(&mut s, b"\r\n\r\nPING\r\n", 7), b"+PONG\r\n");
    let mut pipeline = Vec::new();
    for _ in 0..100 {
        pipeline.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    }
    let got = raw_exchange(&mut s, &pipeline, 700);
    assert_eq!(got, b"+PONG\r\n".repeat(100));
    // A request split across many writes still parses.
    for chunk in b"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n".chunks(3) {
        s.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut buf = [0u8; 9];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"$3\r\nabc\r\n");
}

#[test]
fn protocol_errors_reply_then_close() {
    let srv = start_server(&[]);
    for (request, expected) in [
        (
            &b"*abc\r\n"[..],
            &b"-ERR Protocol error: invalid multibulk length\r\n"[..],
        ),
        (
            b"*1\r\n+PING\r\n",
            b"-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$999999999999\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET \"a b\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ] {
        let mut s = srv.raw();
        let got = raw_exchange(&mut s, request, usize::MAX);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "request {:?}",
            String::from_utf8_lossy(request)
        );
    }
    // The server survived all of that.
    let mut con = srv.connection();
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
}

#[test]
fn auth_and_hello() {
    let mut srv = start_server(&["--requirepass", "s3cret"]);
    let mut s = srv.raw();
    let noauth = b"-NOAUTH Authentication required.\r\n";
    assert_eq!(
        raw_exchange(&mut s, b"PING\r\n", noauth.len()),
        noauth.to_vec()
    );
    let wrongpass = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    let got = raw_exchange(&mut s, b"AUTH wrong\r\n", wrongpass.len());
    assert_eq!(got, wrongpass.to_vec());
    assert_eq!(raw_exchange(&mut s, b"AUTH s3cret\r\n", 5), b"+OK\r\n");
    assert_eq!(raw_exchange(&mut s, b"PING\r\n", 7), b"+PONG\r\n");
    // HELLO 3 with AUTH on a fresh connection answers a RESP3 map.
    let mut s = srv.raw();
    let got = raw_exchange(&mut s, b"HELLO 3 AUTH default s3cret SETNAME me\r\n", 20);
    assert!(
        got.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{got:?}"
    );
    let mut s = srv.raw();
    let noproto = b"-NOPROTO unsupported protocol version\r\n";
    assert_eq!(raw_exchange(&mut s, b"HELLO 4\r\n", noproto.len()), noproto);
    srv.set_password("s3cret");
    let mut con = srv.connection();
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let e = query::<String>(&mut con, &["AUTH", "x"]).unwrap_err();
    assert!(err_text(e).starts_with("ERR AUTH <password> called without any password configured"));
}

#[test]
fn select_and_reset() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    assert_eq!(query::<String>(&mut con, &["SELECT", "15"]).unwrap(), "OK");
    let e = query::<String>(&mut con, &["SELECT", "16"]).unwrap_err();
    assert_eq!(err_text(e), "ERR DB index is out of range");
    let e = query::<String>(&mut con, &["SELECT", "x"]).unwrap_err();
    assert_eq!(err_text(e), "ERR value is not an integer or out of range");
    assert_eq!(query::<String>(&mut con, &["RESET"]).unwrap(), "RESET");
    let info: String = query(&mut con, &["CLIENT", "INFO"]).unwrap();
    assert!(info.contains(" db=0 "), "{info}");
}

#[test]
fn quit_closes_after_ok() {
    let srv = start_server(&[]);
    let mut s = srv.raw();
    let got = raw_exchange(&mut s, b"QUIT\r\nPING\r\n", usize::MAX);
    assert_eq!(got, b"+OK\r\n");
}

#[test]
fn idle_clients_are_closed_by_timeout_but_pinging_ones_stay() {
    let srv = start_server(&["--timeout", "1"]);
    let mut idle = srv.raw();
    let mut busy = srv.connection();
    let mut closed = false;
    let done = wait_until(Duration::from_secs(10), || {
        let _: String = query(&mut busy, &["PING"]).unwrap();
        idle.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut b = [0u8; 1];
        if let Ok(0) = idle.read(&mut b) {
            closed = true;
        }
        closed
    });
    assert!(done, "idle client was not closed");
    assert_eq!(query::<String>(&mut busy, &["PING"]).unwrap(), "PONG");
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let srv = start_server(&["--maxclients", "2"]);
    let _a = srv.raw();
    let _b = srv.raw();
    let mut c = srv.raw();
    let got = raw_exchange(&mut c, b"PING\r\n", usize::MAX);
    assert_eq!(got, b"-ERR max number of clients reached\r\n");
    let mut con = srv.connection_after_drop(_a);
    assert_eq!(query::<String>(&mut con, &["PING"]).unwrap(), "PONG");
    let info: String = query(&mut con, &["INFO", "stats"]).unwrap();
    assert!(!info.contains("rejected_connections:0\r\n"), "{info}");
}

#[test]
fn rename_command_renames_and_disables() {
    let srv = start_server_with_config(
        "rename-command CONFIG myconfig\nrename-command FLUSHALL \"\"\n",
        &[],
    );
    let mut con = srv.connection();
    let e = query::<String>(&mut con, &["CONFIG", "GET", "port"]).unwrap_err();
    assert!(err_text(e).starts_with("ERR unknown command 'CONFIG'"));
    let got: Vec<String> = query(&mut con, &["MYCONFIG", "GET", "port"]).unwrap();
    assert_eq!(got[0], "port");
    let e = query::<String>(&mut con, &["FLUSHALL"]).unwrap_err();
    assert!(err_text(e).starts_with("ERR unknown command 'FLUSHALL'"));
}

#[test]
fn start_up_and_sigterm_log_like_redis() {
    let mut srv = start_server(&[]);
    let log = srv.log();
    assert!(log.contains("Ready to accept connections"), "{log}");
    assert!(log.contains(&format!("PID: {}", srv.pid())), "{log}");
    assert_eq!(srv.terminate(), Some(0));
    let log = srv.log();
    assert!(
        log.contains("Received SIGTERM scheduling shutdown..."),
        "{log}"
    );
    assert!(log.contains("User requested shutdown..."), "{log}");
    assert!(
        log.contains("Redis is now ready to exit, bye bye..."),
        "{log}"
    );
}

#[test]
fn shutdown_command_exits_cleanly() {
    let mut srv = start_server(&[]);
    let mut s = srv.raw();
    let got = raw_exchange(&mut s, b"SHUTDOWN NOSAVE\r\n", usize::MAX);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn busy_port_fails_like_redis() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = std::process::Command::new(SERVER_BIN)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Failed listening on port {port} (TCP), aborting.")),
        "{text}"
    );
    assert!(text.contains("Address already in use"), "{text}");
}

/// `port 0`, `bind ""`, or only optional addresses that do not exist: no
/// TCP listener, and Redis's start-up gives up with the same line.
#[test]
fn a_server_that_listens_nowhere_exits_like_redis() {
    for args in [
        &["--port", "0"][..],
        &["--port", &free_port().to_string(), "--bind", ""],
        &["--port", &free_port().to_string(), "--bind", "-192.0.2.1"],
    ] {
        let out = std::process::Command::new(SERVER_BIN)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Configured to not listen anywhere, exiting."),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn bad_config_file_fails_with_redis_message() {
    let dir = scratch_dir("badconf");
    let path = dir.join("redis.conf");
    std::fs::write(&path, "port 6379\nnosuchdirective yes\n").unwrap();
    let out = std::process::Command::new(SERVER_BIN)
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"),
        "{text}"
    );
    assert!(text.contains("at line 2"), "{text}");
    assert!(text.contains(">>> 'nosuchdirective yes'"), "{text}");
    assert!(
        text.contains("Bad directive or wrong number of arguments"),
        "{text}"
    );
}

/// Connects to the server from 127.0.0.2, which is not "local" to Redis.
fn connect_from_127_0_0_2(port: u16) -> std::net::TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(
        &"127.0.0.2:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    sock.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    let stream: std::net::TcpStream = sock.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
fn protected_mode_refuses_remote_peers_without_password() {
    let srv = start_server(&[]);
    let mut remote = connect_from_127_0_0_2(srv.port());
    let got = raw_exchange(&mut remote, b"PING\r\n", usize::MAX);
    assert!(
        got.starts_with(b"-DENIED Redis is running in protected mode"),
        "{got:?}"
    );
    // With a password, or protected mode off, remote peers are served.
    let srv = start_server(&["--protected-mode", "no"]);
    let mut remote = connect_from_127_0_0_2(srv.port());
    assert_eq!(raw_exchange(&mut remote, b"PING\r\n", 7), b"+PONG\r\n");
    let srv = start_server(&["--requirepass", "pw"]);
    let mut remote = connect_from_127_0_0_2(srv.port());
    assert_eq!(raw_exchange(&mut remote, b"AUTH pw\r\n", 5), b"+OK\r\n");
}

/// CPU seconds the process `pid` has used (utime + stime from /proc).
#[cfg(target_os = "linux")]
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces; the fields after it are plain.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on every Linux this runs on.
    ticks as f64 / 100.0
}

/// A client that stops reading with replies still to come leaves its socket
/// full; the server must then wait for the socket, not retry it in a loop.
/// (Replies are written once per event-loop turn; a full socket was once
/// handed back to that sweep on every turn, a busy loop at 100% CPU.) Once
/// the client reads again, every reply arrives whole.
#[test]
#[cfg(target_os = "linux")]
fn a_client_that_stops_reading_costs_no_cpu_and_loses_nothing() {
    let srv = start_server(&[]);
    let mut raw = srv.raw();
    let value = vec![b'x'; 1_000_000];
    let mut set = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1000000\r\n".to_vec();
    set.extend_from_slice(&value);
    set.extend_from_slice(b"\r\n");
    assert_eq!(raw_exchange(&mut raw, &set, 5), b"+OK\r\n");
    for _ in 0..20 {
        raw.write_all(b"GET big\r\n").unwrap();
    }
    // Let the socket fill up, then watch the server while nobody reads.
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_seconds(srv.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_seconds(srv.pid()) - before;
    assert!(
        used < 0.5,
        "the server used {used:.2} s of CPU in 1 s waiting on a full socket"
    );
    let reply_len = b"$1000000\r\n".len() + 1_000_000 + 2;
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = vec![0u8; 20 * reply_len];
    raw.read_exact(&mut got).unwrap();
    for reply in got.chunks(reply_len) {
        assert!(reply.starts_with(b"$1000000\r\nxxx"));
        assert!(reply.ends_with(b"x\r\n"));
    }
}
