//! Pins Pub/Sub against the real binary: subscribe confirmations and messages as
//! RESP2 arrays and RESP3 push frames, pattern messages, shard channels, the
//! RESP2 subscribed-mode rules, PUBSUB introspection, CLIENT LIST and INFO, and
//! clean-up on RESET and disconnect; tricky replies compared byte for byte with
//! the installed redis-server.

mod common;
mod raw;

use std::time::Duration;

use common::*;
use raw::{run_script, Raw};

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// A three-element pub/sub frame: header, word, name, count.
fn confirm(header: char, word: &str, name: Option<&str>, count: i64) -> String {
    let name = name.map_or_else(|| "$-1\r\n".to_string(), bulk);
    format!("{header}3\r\n{}{name}:{count}\r\n", bulk(word))
}

fn message(header: char, channel: &str, payload: &str) -> String {
    format!(
        "{header}3\r\n{}{}{}",
        bulk("message"),
        bulk(channel),
        bulk(payload)
    )
}

fn query<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con).expect("query")
}

#[test]
fn subscribers_receive_messages_in_resp2() {
    let srv = start_server(&[]);
    let mut sub = Raw::connect(srv.port());
    sub.send(&["SUBSCRIBE", "news", "sport"]);
    assert_eq!(sub.frame(), confirm('*', "subscribe", Some("news"), 1));
    assert_eq!(sub.frame(), confirm('*', "subscribe", Some("sport"), 2));
    // Subscribing again still confirms, with an unchanged count.
    assert_eq!(
        sub.call(&["SUBSCRIBE", "news"]),
        confirm('*', "subscribe", Some("news"), 2)
    );

    let mut publisher = srv.connection();
    assert_eq!(
        query::<i64>(&mut publisher, &["PUBLISH", "news", "hello"]),
        1
    );
    assert_eq!(query::<i64>(&mut publisher, &["PUBLISH", "nobody", "x"]), 0);
    assert_eq!(sub.frame(), message('*', "news", "hello"));

    assert_eq!(
        sub.call(&["UNSUBSCRIBE", "news"]),
        confirm('*', "unsubscribe", Some("news"), 1)
    );
    assert_eq!(
        sub.call(&["UNSUBSCRIBE"]),
        confirm('*', "unsubscribe", Some("sport"), 0)
    );
    // Subscribed to nothing: one confirmation with a null name.
    assert_eq!(
        sub.call(&["UNSUBSCRIBE"]),
        confirm('*', "unsubscribe", None, 0)
    );
    assert_eq!(
        sub.call(&["PUNSUBSCRIBE"]),
        confirm('*', "punsubscribe", None, 0)
    );
    // Out of subscribed mode, ordinary commands work again.
    assert_eq!(sub.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn pattern_subscribers_receive_pmessage() {
    let srv = start_server(&[]);
    let mut sub = Raw::connect(srv.port());
    assert_eq!(
        sub.call(&["SUBSCRIBE", "news.tech"]),
        confirm('*', "subscribe", Some("news.tech"), 1)
    );
    // Channels and patterns share one count.
    assert_eq!(
        sub.call(&["PSUBSCRIBE", "news.*"]),
        confirm('*', "psubscribe", Some("news.*"), 2)
    );
    let mut publisher = srv.connection();
    assert_eq!(query::<i64>(&mut publisher, &["PUBSUB", "NUMPAT"]), 1);
    // One delivery for the channel, one for the pattern.
    assert_eq!(
        query::<i64>(&mut publisher, &["PUBLISH", "news.tech", "rust"]),
        2
    );
    assert_eq!(sub.frame(), message('*', "news.tech", "rust"));
    let pmessage = format!(
        "*4\r\n{}{}{}{}",
        bulk("pmessage"),
        bulk("news.*"),
        bulk("news.tech"),
        bulk("rust")
    );
    assert_eq!(sub.frame(), pmessage);
    assert_eq!(
        query::<i64>(&mut publisher, &["PUBLISH", "weather", "rain"]),
        0
    );
    assert_eq!(
        sub.call(&["PUNSUBSCRIBE", "news.*"]),
        confirm('*', "punsubscribe", Some("news.*"), 1)
    );
    assert_eq!(query::<i64>(&mut publisher, &["PUBSUB", "NUMPAT"]), 0);
}

#[test]
fn resp3_subscribers_get_push_frames_and_may_run_any_command() {
    let srv = start_server(&[]);
    let mut sub = Raw::connect(srv.port());
    let hello = sub.call(&["HELLO", "3"]);
    assert!(hello.starts_with('%'), "{hello}");
    assert_eq!(
        sub.call(&["SUBSCRIBE", "c"]),
        confirm('>', "subscribe", Some("c"), 1)
    );
    assert_eq!(
        sub.call(&["SSUBSCRIBE", "s"]),
        confirm('>', "ssubscribe", Some("s"), 1)
    );
    // RESP3 lifts the subscribed-mode restrictions.
    assert_eq!(sub.call(&["GET", "missing"]), "_\r\n");
    assert_eq!(sub.call(&["PING"]), "+PONG\r\n");
    // Publishing to itself: the push arrives before the reply.
    assert_eq!(
        sub.call(&["PUBLISH", "c", "self"]),
        message('>', "c", "self")
    );
    assert_eq!(sub.frame(), ":1\r\n");
    let mut publisher = srv.connection();
    assert_eq!(query::<i64>(&mut publisher, &["SPUBLISH", "s", "m"]), 1);
    let smessage = format!(">3\r\n{}{}{}", bulk("smessage"), bulk("s"), bulk("m"));
    assert_eq!(sub.frame(), smessage);
    assert_eq!(
        sub.call(&["SUNSUBSCRIBE"]),
        confirm('>', "sunsubscribe", Some("s"), 0)
    );
    assert_eq!(
        sub.call(&["SUNSUBSCRIBE"]),
        ">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n"
    );
}

#[test]
fn resp2_subscribed_mode_allows_only_subscription_commands() {
    let srv = start_server(&[]);
    let mut sub = Raw::connect(srv.port());
    sub.call(&["SUBSCRIBE", "c"]);
    assert_eq!(
        sub.call(&["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        sub.call(&["PUBSUB", "CHANNELS"]),
        "-ERR Can't execute 'pubsub|channels': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        sub.call(&["PING"]),
        format!("*2\r\n{}{}", bulk("pong"), bulk(""))
    );
    assert_eq!(
        sub.call(&["PING", "hi"]),
        format!("*2\r\n{}{}", bulk("pong"), bulk("hi"))
    );
    assert_eq!(
        sub.call(&["PING", "a", "b"]),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
    // RESET leaves subscribed mode silently.
    assert_eq!(sub.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(sub.call(&["GET", "k"]), "$-1\r\n");
    let mut con = srv.connection();
    assert_eq!(query::<i64>(&mut con, &["PUBLISH", "c", "x"]), 0);
    assert_eq!(
        sub.call(&["SUBSCRIBE", "c"]),
        confirm('*', "subscribe", Some("c"), 1)
    );
    assert_eq!(sub.call(&["QUIT"]), "+OK\r\n");
}

#[test]
fn pubsub_introspection_client_list_and_info() {
    let srv = start_server(&[]);
    let mut sub = Raw::connect(srv.port());
    sub.send(&["SUBSCRIBE", "a1", "a2", "b1"]);
    for _ in 0..3 {
        sub.frame();
    }
    sub.call(&["PSUBSCRIBE", "a*"]);
    let mut other = Raw::connect(srv.port());
    other.call(&["SUBSCRIBE", "a1"]);

    let mut con = srv.connection();
    let numsub: Vec<redis::Value> = query(&mut con, &["PUBSUB", "NUMSUB", "a1", "b1", "zz"]);
    let numsub: Vec<String> = numsub
        .iter()
        .map(|v| match v {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            redis::Value::Int(n) => n.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(numsub, ["a1", "2", "b1", "1", "zz", "0"]);
    let empty: Vec<String> = query(&mut con, &["PUBSUB", "NUMSUB"]);
    assert!(empty.is_empty());
    let mut channels: Vec<String> = query(&mut con, &["PUBSUB", "CHANNELS"]);
    channels.sort();
    assert_eq!(channels, ["a1", "a2", "b1"]);
    let mut matching: Vec<String> = query(&mut con, &["PUBSUB", "CHANNELS", "a?"]);
    matching.sort();
    assert_eq!(matching, ["a1", "a2"]);
    let shard: Vec<String> = query(&mut con, &["PUBSUB", "SHARDCHANNELS"]);
    assert!(shard.is_empty());
    let e = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg("a")
        .arg("b")
        .query::<String>(&mut con)
        .unwrap_err();
    assert_eq!(
        e.detail(),
        Some("unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );

    let list: String = query(&mut con, &["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.contains("sub=3"))
        .expect("subscriber line");
    assert!(line.contains(" flags=P "), "{line}");
    assert!(line.contains(" psub=1 ssub=0 "), "{line}");
    let pubsub_clients: String = query(&mut con, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(pubsub_clients.lines().count(), 2);

    let info: String = query(&mut con, &["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:3\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");

    // A closed subscriber leaves nothing behind.
    drop(sub);
    drop(other);
    let gone = wait_until(Duration::from_secs(10), || {
        let info: String = query(&mut con, &["INFO", "stats"]);
        info.contains("pubsub_channels:0\r\n") && info.contains("pubsub_patterns:0\r\n")
    });
    assert!(gone, "subscriptions of closed clients stay registered");
    assert_eq!(query::<i64>(&mut con, &["PUBLISH", "a1", "x"]), 0);
}

#[test]
fn subscribe_replies_match_real_redis_byte_for_byte() {
    let Some(real) = RealRedis::start(&[]) else {
        return;
    };
    let srv = start_server(&[]);
    let script: &[&[&str]] = &[
        &["SUBSCRIBE", "a"],
        &["PSUBSCRIBE", "a*", "b*"],
        &["PING"],
        &["PING", "x"],
        &["SET", "k", "v"],
        &["PUBSUB", "NUMPAT"],
        &["SSUBSCRIBE", "s"],
        &["UNSUBSCRIBE", "a", "nope"],
        &["PUNSUBSCRIBE", "b*"],
        &["SUNSUBSCRIBE", "s"],
        &["PUNSUBSCRIBE"],
        &["UNSUBSCRIBE"],
        &["PUBSUB", "NUMSUB", "a"],
        &["PUBSUB", "NUMPAT", "extra"],
        &["PUBSUB", "CHANNELS", "x", "y"],
        &["PUBSUB", "NOPE"],
        &["PUBLISH", "a"],
        &["SUBSCRIBE"],
        &["MULTI"],
        &["SUBSCRIBE", "t"],
        &["EXEC"],
        &["PUBLISH", "t", "in"],
        &["RESET"],
        &["HELLO", "3", "SETNAME", "x"],
        &["SUBSCRIBE", "u"],
        &["PUBLISH", "u", "self"],
        &["UNSUBSCRIBE"],
    ];
    let hello_free = |s: String| {
        // HELLO's map holds the server name, version and client id: compare the rest.
        let start = s.find('%').expect("hello map");
        let end = s[start..].find(">3").map_or(s.len(), |e| start + e);
        format!("{}{}", &s[..start], &s[end..])
    };
    assert_eq!(
        hello_free(run_script(srv.port(), script)),
        hello_free(run_script(real.port(), script))
    );
}
