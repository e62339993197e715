//! End-to-end: configuration as a redis client sees it — CONFIG GET lists Redis
//! 7.0's names and defaults, CONFIG SET is all-or-nothing with Redis's errors,
//! command-line options and config files are read like redis-server reads them,
//! CONFIG REWRITE edits the start-up file in place, and a bad file stops the
//! server with Redis's fatal report and exit status 1.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

fn config_get(con: &mut redis::Connection, pattern: &str) -> BTreeMap<String, String> {
    redis::cmd("CONFIG")
        .arg("GET")
        .arg(pattern)
        .query(con)
        .expect("CONFIG GET")
}

fn config_set(con: &mut redis::Connection, pairs: &[(&str, &str)]) -> redis::RedisResult<String> {
    let mut cmd = redis::cmd("CONFIG");
    cmd.arg("SET");
    for (name, value) in pairs {
        cmd.arg(*name).arg(*value);
    }
    cmd.query(con)
}

fn error_text(result: redis::RedisResult<String>) -> String {
    result.expect_err("an error reply").to_string()
}

#[test]
fn config_get_all_lists_redis_7_0_names() {
    let server = start_server(&[]);
    let mut con = server.connection();
    let ours = config_get(&mut con, "*");
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/config-get-all-7.0.txt"),
    )
    .expect("fixture");
    let theirs: BTreeMap<&str, &str> = fixture
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or((l, "")))
        .collect();
    assert_eq!(
        ours.keys().map(String::as_str).collect::<Vec<_>>(),
        theirs.keys().copied().collect::<Vec<_>>()
    );
    // Known differences: bind (redrill defaults to loopback), and dir and port,
    // which the harness sets on the command line.
    for (name, value) in theirs {
        if !["bind", "dir", "port"].contains(&name) {
            assert_eq!(ours[name], value, "{name}");
        }
    }
    assert_eq!(ours["port"], server.port().to_string());
    assert_eq!(ours["bind"], "127.0.0.1 -::1");
    let dir = std::fs::canonicalize(server.dir()).unwrap();
    assert_eq!(ours["dir"], dir.to_string_lossy());
}

#[test]
fn config_set_is_atomic_with_redis_errors() {
    let server = start_server(&[]);
    let mut con = server.connection();
    assert_eq!(
        config_set(
            &mut con,
            &[("maxmemory", "10mb"), ("maxmemory-policy", "allkeys-lru")]
        )
        .unwrap(),
        "OK"
    );
    assert_eq!(config_get(&mut con, "maxmemory")["maxmemory"], "10485760");
    let both = config_get(&mut con, "maxmemory-p*");
    assert_eq!(both["maxmemory-policy"], "allkeys-lru");

    let err = error_text(config_set(
        &mut con,
        &[("maxmemory", "20mb"), ("timeout", "soon")],
    ));
    assert!(err.contains("CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"), "{err}");
    assert_eq!(config_get(&mut con, "maxmemory")["maxmemory"], "10485760");

    let err = error_text(config_set(&mut con, &[("no-such-thing", "1")]));
    assert!(
        err.contains("Unknown option or number of arguments for CONFIG SET - 'no-such-thing'"),
        "{err}"
    );
    let err = error_text(config_set(&mut con, &[("daemonize", "yes")]));
    assert!(err.contains("can't set immutable config"), "{err}");
    let err = error_text(config_set(&mut con, &[("dir", "/tmp")]));
    assert!(err.contains("can't set protected config"), "{err}");

    config_set(&mut con, &[("slave-read-only", "no")]).unwrap();
    let read_only = config_get(&mut con, "replica-read-only");
    assert_eq!(read_only["replica-read-only"], "no");
}

/// CONFIG SET port and bind listen again at once, as Redis's do: a new
/// port takes connections and the old one stops, clients already connected
/// stay, and an address or port that cannot be bound undoes the whole call
/// with Redis's error and keeps the old listeners.
#[test]
fn config_set_port_and_bind_listen_again() {
    let server = start_server(&[]);
    let mut con = server.connection();
    let old_port = server.port();
    let connect = |port: u16| {
        redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .get_connection_with_timeout(std::time::Duration::from_secs(2))
    };
    let pings = |port: u16| {
        connect(port)
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok_and(|p| p == "PONG")
    };

    let old_bind = config_get(&mut con, "bind")["bind"].clone();
    // 192.0.2.1 (TEST-NET-1) is no address of this machine.
    let err = error_text(config_set(&mut con, &[("bind", "192.0.2.1")]));
    assert!(
        err.contains("CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses."),
        "{err}"
    );
    assert_eq!(config_get(&mut con, "bind")["bind"], old_bind);
    assert!(pings(old_port), "the old listeners were not restored");

    // A port someone else holds: refused, and maxmemory set in the same call
    // is undone with it.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let err = error_text(config_set(
        &mut con,
        &[("maxmemory", "5mb"), ("PORT", &taken.to_string())],
    ));
    assert!(
        err.contains("CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."),
        "{err}"
    );
    // Both changed: the one first in the call is applied, and named, first.
    let err = error_text(config_set(
        &mut con,
        &[("port", &taken.to_string()), ("bind", "192.0.2.1")],
    ));
    assert!(err.contains("argument 'port') - Unable to listen"), "{err}");
    let err = error_text(config_set(
        &mut con,
        &[("bind", "192.0.2.1"), ("port", &taken.to_string())],
    ));
    assert!(err.contains("argument 'bind') - Failed to bind"), "{err}");
    assert_eq!(config_get(&mut con, "maxmemory")["maxmemory"], "0");
    assert_eq!(config_get(&mut con, "port")["port"], old_port.to_string());
    assert!(pings(old_port));
    drop(holder);
    let log = server.log();
    assert!(
        log.contains("Failed applying new configuration. Possibly related to new port setting. Restoring previous settings."),
        "{log}"
    );

    // A free port: the server moves there; the old port refuses, and this
    // connection, accepted on it, still works.
    let new_port = free_port();
    assert_eq!(
        config_set(&mut con, &[("port", &new_port.to_string())]).unwrap(),
        "OK"
    );
    assert!(pings(new_port));
    assert!(connect(old_port).is_err(), "the old port still listens");
    assert_eq!(
        redis::cmd("PING").query::<String>(&mut con).unwrap(),
        "PONG"
    );

    // bind with a port unchanged rebinds the same port at once.
    assert_eq!(
        config_set(&mut con, &[("bind", "127.0.0.1")]).unwrap(),
        "OK"
    );
    assert!(pings(new_port));
    assert_eq!(config_get(&mut con, "bind")["bind"], "127.0.0.1");

    // A host name binds its IPv4 address, as Redis's getaddrinfo does.
    assert_eq!(
        config_set(&mut con, &[("bind", "localhost")]).unwrap(),
        "OK"
    );
    assert!(pings(new_port));

    // Port 0 listens nowhere; the connections already made go on.
    assert_eq!(config_set(&mut con, &[("port", "0")]).unwrap(), "OK");
    assert!(connect(new_port).is_err(), "port 0 still listens");
    assert_eq!(
        redis::cmd("PING").query::<String>(&mut con).unwrap(),
        "PONG"
    );
    assert_eq!(
        config_set(&mut con, &[("port", &new_port.to_string())]).unwrap(),
        "OK"
    );
    assert!(pings(new_port));
}

#[test]
fn file_and_command_line_are_read_like_redis_server() {
    let dir = scratch_dir("config-load");
    let file = dir.join("redis.conf");
    std::fs::write(
        &file,
        "# test file\nmaxmemory 1mb\nhz 20\nappendfsync always\n",
    )
    .unwrap();
    let file_arg = file.to_string_lossy().into_owned();
    let server = start_server(&[
        &file_arg,
        "--hz",
        "30",
        "--maxmemory-policy",
        "volatile-ttl",
    ]);
    let mut con = server.connection();
    let got = config_get(&mut con, "*");
    assert_eq!(got["maxmemory"], "1048576");
    assert_eq!(got["hz"], "30");
    assert_eq!(got["appendfsync"], "always");
    assert_eq!(got["maxmemory-policy"], "volatile-ttl");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_rewrite_edits_the_start_up_file() {
    let dir = scratch_dir("config-rewrite");
    let file = dir.join("redis.conf");
    std::fs::write(
        &file,
        "# keep this comment\nmaxmemory 1mb\n\n# and this one\n",
    )
    .unwrap();
    let file_arg = file.to_string_lossy().into_owned();
    let server = start_server(&[&file_arg]);
    let mut con = server.connection();
    config_set(
        &mut con,
        &[("maxmemory", "2mb"), ("maxmemory-policy", "allkeys-lfu")],
    )
    .unwrap();
    let reply: String = redis::cmd("CONFIG").arg("REWRITE").query(&mut con).unwrap();
    assert_eq!(reply, "OK");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# keep this comment\nmaxmemory 2mb\n\n# and this one\n"),
        "{text}"
    );
    assert!(text.contains("# Generated by CONFIG REWRITE\n"), "{text}");
    assert!(
        text.lines().any(|l| l == "maxmemory-policy allkeys-lfu"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == format!("port {}", server.port())),
        "{text}"
    );
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_rewrite_without_a_file_is_refused() {
    let server = start_server(&[]);
    let mut con = server.connection();
    let err = error_text(redis::cmd("CONFIG").arg("REWRITE").query(&mut con));
    assert!(
        err.contains("The server is running without a config file"),
        "{err}"
    );
}

#[test]
fn a_bad_config_file_stops_the_server() {
    let dir = scratch_dir("config-bad");
    let file = dir.join("redis.conf");
    std::fs::write(&file, "port 7000\nfoo bar\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_redrill-server"))
        .arg(&file)
        .output()
        .expect("run redrill-server");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
        ),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
