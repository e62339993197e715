//! Pins the operator commands against the real binary: the seed session (config
//! file with requirepass and enable-debug-command, CONFIG SET/GET
//! slowlog-log-slower-than, DEBUG SLEEP, SLOWLOG GET), SLOWLOG's entry format,
//! LATENCY samples from a stalled server, DEBUG's protection and helpers, and
//! COMMAND's replies as redis-cli 7.0 and redis-benchmark read them.

mod common;

use common::*;
use redis::Value;

const PASSWORD: &str = "!!Password@";

fn query<T: redis::FromRedisValue>(
    con: &mut redis::Connection,
    args: &[&str],
) -> redis::RedisResult<T> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
}

fn err_text(e: redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

/// The seed session's server: a config file naming the port, a password and
/// DEBUG enabled.
fn seed_server() -> ServerGuard {
    let port = free_port();
    let dir = scratch_dir("ops-conf");
    let conf = dir.join("redis.conf");
    let text = format!("port {port}\nrequirepass {PASSWORD}\nenable-debug-command yes\n");
    std::fs::write(&conf, text).expect("write config");
    let mut srv = start_server_on(port, &[conf.to_str().expect("utf-8 path")]);
    srv.set_password(PASSWORD);
    srv
}

fn as_int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("integer expected, got {other:?}"),
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        other => panic!("string expected, got {other:?}"),
    }
}

fn as_array(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) | Value::Set(items) => items,
        other => panic!("array expected, got {other:?}"),
    }
}

#[test]
fn seed_session_debug_sleep_lands_in_the_slowlog() {
    let srv = seed_server();
    let mut con = srv.connection();
    let ok: String = query(
        &mut con,
        &["config", "set", "slowlog-log-slower-than", "1000000"],
    )
    .unwrap();
    assert_eq!(ok, "OK");
    let got: Vec<String> = query(&mut con, &["config", "get", "slowlog-log-slower-than"]).unwrap();
    assert_eq!(got, vec!["slowlog-log-slower-than", "1000000"]);

    let ok: String = query(&mut con, &["debug", "sleep", "1.1"]).unwrap();
    assert_eq!(ok, "OK");

    let entries: Value = query(&mut con, &["slowlog", "get", "1"]).unwrap();
    let entries = as_array(&entries);
    assert_eq!(entries.len(), 1);
    let entry = as_array(&entries[0]);
    assert_eq!(entry.len(), 6, "id, time, duration, args, addr, name");
    assert!(as_int(&entry[2]) >= 1_100_000, "duration {:?}", entry[2]);
    let args: Vec<String> = as_array(&entry[3]).iter().map(as_text).collect();
    assert_eq!(args, vec!["debug", "sleep", "1.1"]);
    assert!(as_text(&entry[4]).starts_with("127.0.0.1:"));
    assert_eq!(as_text(&entry[5]), "");
    // Fast commands stay out of a log with a one-second threshold.
    let len: i64 = query(&mut con, &["slowlog", "len"]).unwrap();
    assert_eq!(len, 1);
}

#[test]
fn seed_session_through_redis_cli() {
    let srv = seed_server();
    let auth = ["-a", PASSWORD, "--no-auth-warning"];
    let cli = |args: &[&str]| {
        let mut all = auth.to_vec();
        all.extend_from_slice(args);
        redis_cli(srv.port(), &all)
    };
    let Some((out, _, ok)) = cli(&["config", "set", "slowlog-log-slower-than", "1000000"]) else {
        return; // redis-cli is not installed: `tool` printed why.
    };
    assert!(ok && out.trim() == "OK", "{out}");
    let (out, _, _) = cli(&["config", "get", "slowlog-log-slower-than"]).expect("redis-cli");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["slowlog-log-slower-than", "1000000"]
    );
    let (out, _, _) = cli(&["debug", "sleep", "2"]).expect("redis-cli");
    assert_eq!(out.trim(), "OK");
    let (out, _, _) = cli(&["slowlog", "get", "1"]).expect("redis-cli");
    // redis-cli prints a nested reply flat, one value per line.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    assert_eq!(lines[0], "0", "first entry id");
    let duration: i64 = lines[2].parse().expect("duration");
    assert!(duration >= 2_000_000, "{out}");
    assert_eq!(&lines[3..6], &["debug", "sleep", "2"]);
}

#[test]
fn slowlog_records_name_and_peer_and_obeys_max_len() {
    let srv = seed_server();
    let mut con = srv.connection();
    let _: String = query(&mut con, &["client", "setname", "reporter"]).unwrap();
    let _: String = query(&mut con, &["config", "set", "slowlog-log-slower-than", "0"]).unwrap();
    let _: String = query(&mut con, &["config", "set", "slowlog-max-len", "3"]).unwrap();
    for _ in 0..5 {
        let _: String = query(&mut con, &["ping"]).unwrap();
    }
    let entries: Value = query(&mut con, &["slowlog", "get", "-1"]).unwrap();
    let entries = as_array(&entries);
    assert_eq!(entries.len(), 3);
    let newest = as_array(&entries[0]);
    let older = as_array(&entries[1]);
    assert!(as_int(&newest[0]) > as_int(&older[0]), "ids increase");
    assert_eq!(as_text(&newest[5]), "reporter");
    let e = query::<Value>(&mut con, &["slowlog", "get", "-2"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR count should be greater than or equal to -1"
    );
    let _: String = query(&mut con, &["slowlog", "reset"]).unwrap();
    // RESET itself is logged after it ran, so one entry remains.
    let len: i64 = query(&mut con, &["slowlog", "len"]).unwrap();
    assert_eq!(len, 1);
}

#[test]
fn latency_monitor_sees_a_stalled_server() {
    let srv = seed_server();
    let mut con = srv.connection();
    let _: String = query(
        &mut con,
        &["config", "set", "latency-monitor-threshold", "50"],
    )
    .unwrap();
    let _: String = query(&mut con, &["debug", "sleep", "0.1"]).unwrap();
    let latest: Value = query(&mut con, &["latency", "latest"]).unwrap();
    let events = as_array(&latest);
    let command = events
        .iter()
        .map(as_array)
        .find(|e| as_text(&e[0]) == "command")
        .expect("a 'command' event");
    assert!(
        as_int(&command[2]) >= 100 && as_int(&command[3]) >= 100,
        "{command:?}"
    );
    let history: Value = query(&mut con, &["latency", "history", "command"]).unwrap();
    assert_eq!(as_array(&history).len(), 1);
    let graph: String = query(&mut con, &["latency", "graph", "command"]).unwrap();
    assert!(graph.starts_with("command - high "), "{graph}");
    let doctor: String = query(&mut con, &["latency", "doctor"]).unwrap();
    assert!(doctor.contains("command"), "{doctor}");
    let removed: i64 = query(&mut con, &["latency", "reset"]).unwrap();
    assert!(removed >= 1);
    let e = query::<String>(&mut con, &["latency", "graph", "command"]).unwrap_err();
    assert_eq!(err_text(e), "ERR No samples available for event 'command'");
}

#[test]
fn debug_is_protected_by_default_and_helpers_work_when_enabled() {
    let plain = start_server(&[]);
    let mut con = plain.connection();
    let e = query::<String>(&mut con, &["debug", "sleep", "0"]).unwrap_err();
    assert!(err_text(e).starts_with("ERR DEBUG command not allowed."));
    drop(con);
    drop(plain);

    let srv = seed_server();
    let mut con = srv.connection();
    let _: String = query(&mut con, &["debug", "populate", "100"]).unwrap();
    let dbsize: i64 = query(&mut con, &["dbsize"]).unwrap();
    assert_eq!(dbsize, 100);
    let value: String = query(&mut con, &["get", "key:42"]).unwrap();
    assert_eq!(value, "value:42");
    let object: String = query(&mut con, &["debug", "object", "key:42"]).unwrap();
    assert!(object.starts_with("Value at:"), "{object}");
    assert!(
        object.contains(" encoding:embstr serializedlength:9 lru:"),
        "{object}"
    );
    let digest: String = query(&mut con, &["debug", "digest"]).unwrap();
    assert_eq!(digest.len(), 40);
    assert_ne!(digest, "0".repeat(40));
    let _: String = query(&mut con, &["debug", "set-active-expire", "0"]).unwrap();
    let e = query::<String>(&mut con, &["debug", "nosuch"]).unwrap_err();
    assert_eq!(
        err_text(e),
        "ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP."
    );
}

#[test]
fn command_replies_have_redis_7_shapes() {
    let srv = seed_server();
    let mut con = srv.connection();
    let count: i64 = query(&mut con, &["command", "count"]).unwrap();
    let all: Value = query(&mut con, &["command"]).unwrap();
    assert_eq!(as_array(&all).len() as i64, count);
    assert!(as_array(&all).iter().all(|e| as_array(e).len() == 10));
    let info: Value = query(&mut con, &["command", "info", "get", "nosuch"]).unwrap();
    let info = as_array(&info);
    assert_eq!(info[1], Value::Nil);
    let get = as_array(&info[0]);
    assert_eq!(as_text(&get[0]), "get");
    assert_eq!(as_int(&get[1]), 2);
    assert_eq!(
        (as_int(&get[3]), as_int(&get[4]), as_int(&get[5])),
        (1, 1, 1)
    );
    let keys: Vec<String> = query(&mut con, &["command", "getkeys", "get", "k"]).unwrap();
    assert_eq!(keys, vec!["k"]);
    let names: Vec<String> = query(
        &mut con,
        &["command", "list", "filterby", "pattern", "slowlog*"],
    )
    .unwrap();
    assert!(names.contains(&"slowlog|get".to_string()));
}

#[test]
fn redis_cli_and_benchmark_read_command_replies() {
    let srv = seed_server();
    let auth = ["-a", PASSWORD, "--no-auth-warning"];
    let cli = |args: &[&str]| {
        let mut all = auth.to_vec();
        all.extend_from_slice(args);
        redis_cli(srv.port(), &all)
    };
    let Some((out, err, ok)) = cli(&["command", "docs", "get"]) else {
        return;
    };
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        &lines[..3],
        &["get", "summary", "Get the value of a key"],
        "{out}"
    );
    assert!(
        lines.contains(&"group") && lines.contains(&"string"),
        "{out}"
    );
    let (out, err, ok) = cli(&["command", "info", "get"]).expect("redis-cli");
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..4], &["get", "2", "readonly", "fast"], "{out}");
    let Some(bench) = tool("redis-benchmark") else {
        return;
    };
    let port = srv.port().to_string();
    let out = std::process::Command::new(bench)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-a",
            PASSWORD,
            "-t",
            "ping,get",
            "-n",
            "200",
            "-q",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("requests per second"), "{text}");
}
