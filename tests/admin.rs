//! Pins the operator's commands against the real binary: CLIENT (LIST, INFO,
//! KILL, SETNAME, GETNAME, ID, REPLY, PAUSE, UNPAUSE, NO-EVICT), MONITOR, INFO,
//! TIME, the FUNCTION/SCRIPT resets, and real redis-cli / redis-benchmark runs.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use common::*;

/// The value of `field=` in a CLIENT LIST / CLIENT INFO line.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in {line}"))
}

#[test]
fn client_list_and_info_have_redis_fields() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let line: String = query(&mut con, &["CLIENT", "INFO"]).unwrap();
    let names: Vec<&str> = line
        .trim_end()
        .split(' ')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert_eq!(field(&line, "cmd"), "client|info");
    assert_eq!(field(&line, "flags"), "N");
    let id: i64 = query(&mut con, &["CLIENT", "ID"]).unwrap();
    assert_eq!(field(&line, "id"), id.to_string());
    let mut other = srv.connection();
    let list: String = query(&mut other, &["CLIENT", "LIST"]).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    let only: String = query(&mut other, &["CLIENT", "LIST", "ID", &id.to_string()]).unwrap();
    assert_eq!(only.lines().count(), 1);
    let e = query::<String>(&mut other, &["CLIENT", "LIST", "TYPE", "bogus"]).unwrap_err();
    assert_eq!(err_text(e), "ERR Unknown client type 'bogus'");
}

#[test]
fn client_setname_getname() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let none: Option<String> = query(&mut con, &["CLIENT", "GETNAME"]).unwrap();
    assert_eq!(none, None);
    assert_eq!(
        query::<String>(&mut con, &["CLIENT", "SETNAME", "worker-1"]).unwrap(),
        "OK"
    );
    assert_eq!(
        query::<String>(&mut con, &["CLIENT", "GETNAME"]).unwrap(),
        "worker-1"
    );
    let e = query::<String>(&mut con, &["CLIENT", "SETNAME", "a b"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    let line: String = query(&mut con, &["CLIENT", "INFO"]).unwrap();
    assert_eq!(field(&line, "name"), "worker-1");
}

#[test]
fn client_kill_by_every_filter() {
    let srv = start_server(&[]);
    let mut admin = srv.connection();
    let mut victim = srv.raw();
    assert_eq!(raw_exchange(&mut victim, b"PING\r\n", 7), b"+PONG\r\n");
    let list: String = query(&mut admin, &["CLIENT", "LIST"]).unwrap();
    let me: i64 = query(&mut admin, &["CLIENT", "ID"]).unwrap();
    let victim_line = list
        .lines()
        .find(|l| field(l, "id") != me.to_string())
        .unwrap()
        .to_string();
    let addr = field(&victim_line, "addr").to_string();

    // Old form by address.
    assert_eq!(
        query::<String>(&mut admin, &["CLIENT", "KILL", &addr]).unwrap(),
        "OK"
    );
    let mut b = [0u8; 16];
    assert!(matches!(victim.read(&mut b), Ok(0) | Err(_)));
    let e = query::<String>(&mut admin, &["CLIENT", "KILL", "1.2.3.4:5"]).unwrap_err();
    assert_eq!(err_text(e), "ERR No such client");

    // New form: ID, LADDR, TYPE, MAXAGE, SKIPME.
    let mut v2 = srv.raw();
    assert_eq!(raw_exchange(&mut v2, b"PING\r\n", 7), b"+PONG\r\n");
    let n: i64 = query(&mut admin, &["CLIENT", "KILL", "ID", "999999"]).unwrap();
    assert_eq!(n, 0);
    let n: i64 = query(&mut admin, &["CLIENT", "KILL", "TYPE", "normal"]).unwrap();
    assert_eq!(n, 1, "SKIPME yes is the default");
    drop(v2);
    let _v3 = srv.raw();
    let laddr = format!("127.0.0.1:{}", srv.port());
    assert!(wait_until(Duration::from_secs(5), || {
        let list: String = query(&mut admin, &["CLIENT", "LIST"]).unwrap();
        list.lines().count() == 2
    }));
    let n: i64 = query(
        &mut admin,
        &["CLIENT", "KILL", "LADDR", &laddr, "MAXAGE", "0"],
    )
    .unwrap();
    assert_eq!(n, 1);
    let e = query::<String>(&mut admin, &["CLIENT", "KILL", "ID", "x"]).unwrap_err();
    assert_eq!(err_text(e), "ERR client-id should be greater than 0");
    let e = query::<String>(&mut admin, &["CLIENT", "KILL", "TYPE", "x"]).unwrap_err();
    assert_eq!(err_text(e), "ERR Unknown client type 'x'");
    // Three arguments is the old form (an address), as in Redis.
    let e = query::<String>(&mut admin, &["CLIENT", "KILL", "ID"]).unwrap_err();
    assert_eq!(err_text(e), "ERR No such client");
    let e = query::<String>(&mut admin, &["CLIENT", "KILL", "ID", "1", "SKIPME"]).unwrap_err();
    assert_eq!(err_text(e), "ERR syntax error");
    // Killing yourself still gets the reply, then the connection closes.
    let mut s = srv.raw();
    let got = raw_exchange(&mut s, b"CLIENT KILL SKIPME no TYPE normal\r\n", usize::MAX);
    assert!(got.starts_with(b":"), "{got:?}");
}

#[test]
fn client_reply_off_skip_on() {
    let srv = start_server(&[]);
    let mut s = srv.raw();
    let got = raw_exchange(
        &mut s,
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nCLIENT REPLY SKIP\r\nPING\r\nECHO x\r\n",
        12,
    );
    assert_eq!(got, b"+OK\r\n$1\r\nx\r\n");
}

#[test]
fn client_pause_write_holds_writes_but_not_reads() {
    let srv = start_server(&[]);
    let mut admin = srv.connection();
    // Pause writes for far longer than the test runs: a read that returns at all
    // was not held, and a write must wait until UNPAUSE.
    assert_eq!(
        query::<String>(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]).unwrap(),
        "OK"
    );
    let mut reader = srv.connection();
    let got: Option<String> = query(&mut reader, &["GET", "k"]).unwrap();
    assert_eq!(got, None);
    let port = srv.port();
    let (tx, rx) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut con = client.get_connection().unwrap();
        let reply = redis::cmd("SET")
            .arg("k")
            .arg("w")
            .query::<String>(&mut con)
            .unwrap();
        tx.send(reply).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "a write went through during CLIENT PAUSE WRITE"
    );
    let list: String = query(&mut admin, &["CLIENT", "LIST"]).unwrap();
    assert!(
        list.contains("cmd=client|pause") || list.contains("cmd=client|list"),
        "{list}"
    );
    assert_eq!(
        query::<String>(&mut admin, &["CLIENT", "UNPAUSE"]).unwrap(),
        "OK"
    );
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "OK");
    writer.join().unwrap();
    let got: Option<String> = query(&mut reader, &["GET", "k"]).unwrap();
    assert_eq!(got.as_deref(), Some("w"));
    let e = query::<String>(&mut admin, &["CLIENT", "PAUSE", "abc"]).unwrap_err();
    assert_eq!(err_text(e), "ERR timeout is not an integer or out of range");
    assert_eq!(
        query::<String>(&mut admin, &["CLIENT", "NO-EVICT", "on"]).unwrap(),
        "OK"
    );
    let line: String = query(&mut admin, &["CLIENT", "INFO"]).unwrap();
    assert_eq!(field(&line, "flags"), "e");
}

#[test]
fn monitor_streams_commands() {
    let srv = start_server(&[]);
    let mut mon = srv.raw();
    assert_eq!(raw_exchange(&mut mon, b"MONITOR\r\n", 5), b"+OK\r\n");
    let mut con = srv.connection();
    let _: String = query(&mut con, &["SET", "key", "va\"l\n"]).unwrap();
    let mut reader = BufReader::new(mon.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with('+'), "{line}");
    assert!(
        line.ends_with("\"SET\" \"key\" \"va\\\"l\\n\"\r\n"),
        "{line}"
    );
    assert!(line.contains("[0 127.0.0.1:"), "{line}");
    let list: String = query(&mut con, &["CLIENT", "LIST"]).unwrap();
    assert!(list.lines().any(|l| field(l, "flags") == "O"), "{list}");
    mon.write_all(b"PING\r\n").unwrap();
}

#[test]
fn info_sections_and_time() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    let info: String = query(&mut con, &["INFO"]).unwrap();
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "missing {section}");
    }
    assert!(!info.contains("# Commandstats"));
    let _: String = query(&mut con, &["SET", "a", "1"]).unwrap();
    let all: String = query(&mut con, &["INFO", "all"]).unwrap();
    assert!(all.contains("cmdstat_set:calls=1,"), "{all}");
    let two: String = query(&mut con, &["INFO", "clients", "keyspace"]).unwrap();
    assert!(two.starts_with("# Clients\r\n"));
    assert!(two.contains("db0:keys=1,expires=0,avg_ttl=0"), "{two}");
    assert!(!two.contains("# Memory"));
    let mem: String = query(&mut con, &["INFO", "memory"]).unwrap();
    assert!(mem.contains("mem_allocator:jemalloc-5.3.0"));
    let used: u64 = mem
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(used > 100_000, "used_memory {used}");
    let t: Vec<String> = query(&mut con, &["TIME"]).unwrap();
    assert_eq!(t.len(), 2);
    assert!(t[0].parse::<u64>().unwrap() > 1_700_000_000);
    // Client libraries may have drawn errors already (redis-rs sends Redis 7.2's
    // CLIENT SETINFO, unknown to 7.0), so compare before and after.
    let count = |con: &mut redis::Connection| -> u64 {
        let errs: String = query(con, &["INFO", "errorstats"]).unwrap();
        errs.lines()
            .find_map(|l| l.strip_prefix("errorstat_ERR:count="))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    let before = count(&mut con);
    let e = query::<String>(&mut con, &["NOPE"]).unwrap_err();
    assert!(err_text(e).starts_with("ERR unknown command"));
    assert_eq!(count(&mut con), before + 1);
}

#[test]
fn function_and_script_resets_answer_like_empty_redis() {
    let srv = start_server(&[]);
    let mut con = srv.connection();
    assert_eq!(
        query::<String>(&mut con, &["FUNCTION", "FLUSH"]).unwrap(),
        "OK"
    );
    assert_eq!(
        query::<String>(&mut con, &["FUNCTION", "FLUSH", "ASYNC"]).unwrap(),
        "OK"
    );
    let list: Vec<String> = query(&mut con, &["FUNCTION", "LIST"]).unwrap();
    assert!(list.is_empty());
    assert_eq!(
        query::<String>(&mut con, &["SCRIPT", "FLUSH"]).unwrap(),
        "OK"
    );
}

#[test]
fn redis_cli_works_against_redrill() {
    let srv = start_server(&[]);
    let Some((out, _, ok)) = redis_cli(srv.port(), &["PING"]) else {
        return;
    };
    assert!(ok);
    assert_eq!(out.trim(), "PONG");
    let (out, _, _) = redis_cli(srv.port(), &["SET", "greeting", "hello world"]).unwrap();
    assert_eq!(out.trim(), "OK");
    let (out, _, _) = redis_cli(srv.port(), &["GET", "greeting"]).unwrap();
    assert_eq!(out.trim(), "hello world");
    let (out, _, _) = redis_cli(srv.port(), &["INFO", "server"]).unwrap();
    assert!(out.contains("redis_version:7.0.15"));
    let (out, _, _) = redis_cli(srv.port(), &["CLIENT", "LIST"]).unwrap();
    assert!(out.contains("cmd=client|list"), "{out}");
}

#[test]
fn redis_benchmark_runs_against_redrill() {
    let srv = start_server(&[]);
    let Some(bench) = tool("redis-benchmark") else {
        return;
    };
    let out = std::process::Command::new(bench)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &srv.port().to_string(),
            "-q",
            "--csv",
            "-n",
            "2000",
            "-c",
            "5",
            "-P",
            "4",
        ])
        .args(["-t", "ping,set,get,incr,mset"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for test in [
        "PING_INLINE",
        "PING_MBULK",
        "SET",
        "GET",
        "INCR",
        "MSET (10 keys)",
    ] {
        assert!(
            text.contains(&format!("\"{test}\"")),
            "{test} missing in {text}"
        );
    }
}
