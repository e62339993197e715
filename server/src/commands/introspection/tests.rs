//! In-process tests of COMMAND, SLOWLOG, LATENCY and DEBUG replies: handlers run
//! against a real `Server` on a manual clock, replies are parsed back into frames.

use bytes::Bytes;
use resp::{Frame, Protocol};

use crate::client::Client;
use crate::clock::Clock;
use crate::command::Ctx;
use crate::config::Config;
use crate::state::Server;

fn server() -> Server {
    Server::new(Config::default(), Clock::manual(1_700_000_000_000_000), 7)
}

/// Runs `line` the way dispatch would pick the row (container -> subcommand) and
/// returns the parsed reply.
fn run_proto(server: &mut Server, proto: Protocol, line: &[&str]) -> Frame {
    let argv: Vec<Bytes> = line.iter().map(|a| Bytes::from(a.to_string())).collect();
    let mut client = Client::new(1, "127.0.0.1:4242".into(), "127.0.0.1:6379".into(), 9, 0);
    client.proto = proto;
    let spec = server.commands.lookup(&argv[0]).expect("known command");
    let spec = match argv.get(1) {
        Some(sub) if !spec.subcommands.is_empty() => spec
            .subcommands
            .iter()
            .find(|s| sub.eq_ignore_ascii_case(s.name.as_bytes()))
            .expect("known subcommand"),
        _ => spec,
    };
    (spec.handler)(
        &mut Ctx {
            server,
            client: &mut client,
        },
        &argv,
    );
    let (frame, used) = resp::parse_frame(&client.reply)
        .expect("valid RESP")
        .expect("complete");
    assert_eq!(used, client.reply.len(), "exactly one reply");
    frame
}

fn run(server: &mut Server, line: &[&str]) -> Frame {
    run_proto(server, Protocol::Resp2, line)
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::from(s.to_string()))
}

fn simple(s: &str) -> Frame {
    Frame::Simple(Bytes::from(s.to_string()))
}

fn array(frame: Frame) -> Vec<Frame> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn command_info_get_has_ten_fields_in_redis_shape() {
    let mut s = server();
    let mut entries = array(run(&mut s, &["command", "info", "slowlog", "nosuch"]));
    assert_eq!(entries.pop(), Some(Frame::NullBulk));
    let slowlog = array(entries.pop().expect("entry"));
    assert_eq!(slowlog.len(), 10);
    assert_eq!(slowlog[0], bulk("slowlog"));
    assert_eq!(slowlog[1], Frame::Integer(-2));
    assert_eq!(slowlog[6], Frame::Array(vec![simple("@slow")]));
    let subs = array(slowlog[9].clone());
    let get = subs
        .iter()
        .map(|f| array(f.clone()))
        .find(|e| e[0] == bulk("slowlog|get"))
        .expect("slowlog|get");
    assert_eq!(get[1], Frame::Integer(-2));
    assert_eq!(
        get[2],
        Frame::Array(vec![simple("admin"), simple("loading"), simple("stale")])
    );
    assert_eq!(
        get[6],
        Frame::Array(vec![
            simple("@admin"),
            simple("@slow"),
            simple("@dangerous")
        ])
    );
    assert_eq!(
        get[7],
        Frame::Array(vec![
            bulk("request_policy:all_nodes"),
            bulk("nondeterministic_output")
        ])
    );
}

#[test]
fn command_docs_is_a_map_with_subcommands_named_parent_pipe_sub() {
    let mut s = server();
    let docs = run_proto(
        &mut s,
        Protocol::Resp3,
        &["command", "docs", "latency", "nosuch"],
    );
    let Frame::Map(pairs) = docs else {
        panic!("map expected")
    };
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, bulk("latency"));
    let Frame::Map(fields) = &pairs[0].1 else {
        panic!("map expected")
    };
    let keys: Vec<&Frame> = fields.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        vec![
            &bulk("summary"),
            &bulk("since"),
            &bulk("group"),
            &bulk("complexity"),
            &bulk("subcommands")
        ]
    );
    let Frame::Map(subs) = &fields[4].1 else {
        panic!("map expected")
    };
    assert!(subs.iter().any(|(k, _)| *k == bulk("latency|doctor")));
}

#[test]
fn command_count_list_and_filters() {
    let mut s = server();
    let count = run(&mut s, &["command", "count"]);
    assert_eq!(count, Frame::Integer(s.commands.len() as i64));
    let names = array(run(&mut s, &["command", "list"]));
    assert!(names.contains(&bulk("debug")));
    assert!(names.contains(&bulk("command|getkeys")));
    let filtered = array(run(
        &mut s,
        &["command", "list", "filterby", "pattern", "SLOWLOG*"],
    ));
    assert!(filtered.contains(&bulk("slowlog|reset")));
    assert!(filtered
        .iter()
        .all(|n| matches!(n, Frame::Bulk(b) if b.starts_with(b"slowlog"))));
    let dangerous = array(run(
        &mut s,
        &["command", "list", "filterby", "aclcat", "dangerous"],
    ));
    assert!(dangerous.contains(&bulk("debug")));
    assert!(!dangerous.contains(&bulk("command|count")));
    assert!(array(run(&mut s, &["command", "list", "filterby", "module", "x"])).is_empty());
    assert!(array(run(
        &mut s,
        &["command", "list", "filterby", "aclcat", "nope"]
    ))
    .is_empty());
    let err = run(&mut s, &["command", "list", "filterby", "bogus", "x"]);
    assert_eq!(err, Frame::Error(Bytes::from_static(b"ERR syntax error")));
}

#[test]
fn command_getkeys_errors_like_redis() {
    let mut s = server();
    let err = |f: Frame| match f {
        Frame::Error(e) => String::from_utf8_lossy(&e).into_owned(),
        other => panic!("error expected: {other:?}"),
    };
    assert_eq!(
        err(run(&mut s, &["command", "getkeys", "nosuch", "a"])),
        "ERR Invalid command specified"
    );
    assert_eq!(
        err(run(&mut s, &["command", "getkeys", "slowlog", "get"])),
        "ERR The command has no key arguments"
    );
}

#[test]
fn help_replies_start_with_the_command_as_typed() {
    let mut s = server();
    let lines = array(run(&mut s, &["SlowLog", "help"]));
    assert_eq!(
        lines[0],
        simple("SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(lines.last(), Some(&simple("    Prints this help.")));
}

#[test]
fn slowlog_get_returns_six_field_entries_and_checks_count() {
    let mut s = server();
    let argv: Vec<Bytes> = ["debug", "sleep", "2"]
        .iter()
        .map(|a| Bytes::from(a.to_string()))
        .collect();
    s.slowlog.record(
        1_700_000_000,
        2_000_123,
        &argv,
        "127.0.0.1:5555",
        b"cli",
        1_000_000,
        128,
    );
    let entries = array(run(&mut s, &["slowlog", "get", "1"]));
    assert_eq!(entries.len(), 1);
    let entry = array(entries[0].clone());
    assert_eq!(
        entry,
        vec![
            Frame::Integer(0),
            Frame::Integer(1_700_000_000),
            Frame::Integer(2_000_123),
            Frame::Array(vec![bulk("debug"), bulk("sleep"), bulk("2")]),
            bulk("127.0.0.1:5555"),
            bulk("cli"),
        ]
    );
    assert_eq!(array(run(&mut s, &["slowlog", "get", "-1"])).len(), 1);
    assert_eq!(array(run(&mut s, &["slowlog", "get", "0"])).len(), 0);
    for bad in ["-2", "x"] {
        assert_eq!(
            run(&mut s, &["slowlog", "get", bad]),
            Frame::Error(Bytes::from_static(
                b"ERR count should be greater than or equal to -1"
            ))
        );
    }
    assert_eq!(
        run(&mut s, &["slowlog", "get", "1", "2"]),
        Frame::Error(Bytes::from_static(
            b"ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP."
        ))
    );
    assert_eq!(run(&mut s, &["slowlog", "len"]), Frame::Integer(1));
    assert_eq!(run(&mut s, &["slowlog", "reset"]), simple("OK"));
    assert_eq!(run(&mut s, &["slowlog", "len"]), Frame::Integer(0));
}

#[test]
fn latency_subcommands_reply_in_redis_shapes() {
    let mut s = server();
    s.latency.add_sample("command", 1_699_999_990, 120);
    s.latency.add_sample("command", 1_699_999_995, 80);
    let latest = array(run(&mut s, &["latency", "latest"]));
    assert_eq!(
        array(latest[0].clone()),
        vec![
            bulk("command"),
            Frame::Integer(1_699_999_995),
            Frame::Integer(80),
            Frame::Integer(120)
        ]
    );
    let history = array(run(&mut s, &["latency", "history", "command"]));
    assert_eq!(history.len(), 2);
    assert!(array(run(&mut s, &["latency", "history", "nope"])).is_empty());
    let graph = run(&mut s, &["latency", "graph", "command"]);
    assert!(
        matches!(graph, Frame::Bulk(ref t) if t.starts_with(b"command - high 120 ms, low 80 ms"))
    );
    assert_eq!(
        run(&mut s, &["latency", "graph", "nope"]),
        Frame::Error(Bytes::from_static(
            b"ERR No samples available for event 'nope'"
        ))
    );
    assert!(matches!(
        run(&mut s, &["latency", "doctor"]),
        Frame::Bulk(_)
    ));
    assert_eq!(
        run_proto(&mut s, Protocol::Resp3, &["latency", "histogram"]),
        Frame::Map(vec![])
    );
    assert_eq!(
        run(&mut s, &["latency", "reset", "COMMAND", "x"]),
        Frame::Integer(1)
    );
    assert_eq!(run(&mut s, &["latency", "reset"]), Frame::Integer(0));
}

#[test]
fn debug_populate_object_digest_and_active_expire() {
    let mut s = server();
    assert_eq!(run(&mut s, &["debug", "populate", "3"]), simple("OK"));
    assert_eq!(s.keyspace.db(0).len(), 3);
    assert_eq!(
        run(&mut s, &["debug", "populate", "2", "p", "10"]),
        simple("OK")
    );
    let value = s.keyspace.db(0).peek(b"p:1").expect("p:1").clone();
    let expected: &[u8] = b"value:1\0\0\0";
    assert_eq!(
        value.as_string().map(|v| v.to_vec()),
        Some(expected.to_vec())
    );
    let Frame::Simple(line) = run(&mut s, &["debug", "object", "key:0"]) else {
        panic!("status expected")
    };
    let line = String::from_utf8_lossy(&line).into_owned();
    assert!(line.starts_with("Value at:0x"), "{line}");
    assert!(
        line.contains(" refcount:1 encoding:embstr serializedlength:8 lru:"),
        "{line}"
    );
    assert!(line.ends_with(" lru_seconds_idle:0"), "{line}");
    assert_eq!(
        run(&mut s, &["debug", "object", "nope"]),
        Frame::Error(Bytes::from_static(b"ERR no such key"))
    );
    let Frame::Simple(digest) = run(&mut s, &["debug", "digest"]) else {
        panic!("status")
    };
    assert_eq!(digest.len(), 40);
    let values = array(run(&mut s, &["debug", "digest-value", "key:0", "nope"]));
    assert_eq!(values[1], simple(&"0".repeat(40)));
    assert_eq!(
        run(&mut s, &["debug", "set-active-expire", "0"]),
        simple("OK")
    );
    assert!(!s.active_expire_enabled);
    assert_eq!(
        run(&mut s, &["debug", "set-active-expire", "1"]),
        simple("OK")
    );
    assert!(s.active_expire_enabled);
    assert_eq!(
        run(&mut s, &["debug", "populate", "-1"]),
        Frame::Error(Bytes::from_static(
            b"ERR value is out of range, must be positive"
        ))
    );
    assert_eq!(
        run(&mut s, &["debug", "nosuch"]),
        Frame::Error(Bytes::from_static(
            b"ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP."
        ))
    );
}
