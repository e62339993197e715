//! What each command sends down the replication stream: the rewrites that
//! keep a replica identical to its master (relative TTLs made absolute,
//! random pops made explicit, blocked pops made plain), read with a tap.

mod common;

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::tap::StreamTap;
use common::*;
use redis::{Connection, Value};

const WAIT: Duration = Duration::from_secs(10);

/// Which server a check runs against.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// The server under test.
    Redrill,
    /// Redis 7.0 itself, to show the expectations are Redis's.
    Redis,
}

/// A running server of either kind.
enum Node {
    Redrill(ServerGuard),
    Redis(RealRedis),
}

impl Node {
    fn start(kind: Kind, args: &[&str]) -> Node {
        match kind {
            Kind::Redrill => Node::Redrill(start_server(args)),
            Kind::Redis => Node::Redis(RealRedis::start(args).expect("redis-server")),
        }
    }

    fn port(&self) -> u16 {
        match self {
            Node::Redrill(s) => s.port(),
            Node::Redis(r) => r.port(),
        }
    }

    fn connection(&self) -> Connection {
        match self {
            Node::Redrill(s) => s.connection(),
            Node::Redis(r) => {
                let con = r.connection();
                con.set_read_timeout(Some(WAIT)).expect("read timeout");
                con
            }
        }
    }
}

/// A server, a client connection and a tap on its stream.
fn setup(kind: Kind, args: &[&str]) -> (Node, Connection, StreamTap) {
    let server = Node::start(kind, args);
    let con = server.connection();
    let tap = match kind {
        Kind::Redrill => StreamTap::attach(server.port()),
        // Redis sends a snapshot without data only diskless (`$EOF:`), which
        // the tap does not read: plain SYNC gets a whole one, as `$<len>`.
        Kind::Redis => StreamTap::attach_full(server.port()).0,
    };
    (server, con, tap)
}

/// What propagated since the last call: runs a marker write and returns the
/// commands the stream carried before it, SELECTs left out. A command that
/// propagated nothing therefore leaves the result empty.
fn propagated(con: &mut Connection, tap: &mut StreamTap) -> Vec<Vec<String>> {
    ok(con, &["SET", "__marker__", "1"]);
    let mut seen = tap.until(WAIT, |argv| argv == ["SET", "__marker__", "1"]);
    seen.pop();
    seen.retain(|argv| argv[0] != "SELECT");
    seen
}

/// An expected argv.
fn words(argv: &[&str]) -> Vec<String> {
    argv.iter().map(|w| w.to_string()).collect()
}

/// Wall-clock ms: the server's deadlines come from the same system clock.
#[allow(clippy::disallowed_methods)]
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Asserts `seen` is one command equal to `expect` except its argument at
/// `at`, a number within `lo..=hi` (an absolute deadline taken from the clock).
fn assert_one_with_time(seen: &[Vec<String>], expect: &[&str], at: usize, lo: i64, hi: i64) {
    assert_eq!(seen.len(), 1, "expected one command, saw {seen:?}");
    let got = &seen[0];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for (i, (g, e)) in got.iter().zip(expect).enumerate() {
        if i == at {
            let n: i64 = g
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {got:?}"));
            assert!((lo..=hi).contains(&n), "{n} not in {lo}..={hi}: {got:?}");
        } else {
            assert_eq!(g, e, "{got:?}");
        }
    }
}

/// The members of an array or set reply.
fn strings(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => String::from_utf8(b).expect("utf-8"),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// One test per check against redrill, and one that runs every check against
/// Redis 7.0.15 (when redis-server is installed): the expected streams are
/// what Redis itself propagates, not a reading of its sources.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                checks::$name(Kind::Redrill);
            }
        )*

        #[test]
        fn redis_7_0_propagates_what_the_checks_expect() {
            if tool("redis-server").is_none() {
                return;
            }
            $(checks::$name(Kind::Redis);)*
        }
    };
}

suite!(
    set_with_an_expire_goes_with_an_absolute_deadline,
    set_without_an_expire_goes_without_get,
    getset_getdel_and_getex_go_as_what_they_did,
    deletions_follow_the_lazyfree_settings,
    incrbyfloat_goes_as_its_result,
    expire_family_goes_as_pexpireat,
    spop_goes_as_the_members_it_chose,
    list_pops_served_at_once_go_as_plain_pops,
    zset_pops_go_as_plain_pops,
    blocked_pops_go_as_plain_pops_when_served,
    publish_and_flushes_propagate_without_changing_data,
    flushall_propagates_even_when_a_save_point_resets_dirty,
    commands_inside_exec_are_rewritten_too,
    a_replayed_stream_rebuilds_the_same_dataset,
);

mod checks {
    use super::*;

    /// SET with EX/PX/EXAT/PXAT, SETEX and PSETEX: `SET key value PXAT <ms>`.
    pub fn set_with_an_expire_goes_with_an_absolute_deadline(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);

        let before = now_ms();
        ok(&mut con, &["SET", "k", "v", "EX", "100"]);
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        let (lo, hi) = (before + 100_000, after + 100_000);
        assert_one_with_time(&seen, &["SET", "k", "v", "PXAT", "?"], 4, lo, hi);

        // The conditions and GET go too: they were decided on the master.
        let before = now_ms();
        ok(&mut con, &["set", "k2", "v", "nx", "px", "5000", "get"]);
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        let (lo, hi) = (before + 5000, after + 5000);
        assert_one_with_time(&seen, &["SET", "k2", "v", "PXAT", "?"], 4, lo, hi);

        let at = now_ms() / 1000 + 1000;
        ok(&mut con, &["SET", "k", "v", "XX", "EXAT", &at.to_string()]);
        let ms = (at * 1000).to_string();
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![words(&["SET", "k", "v", "PXAT", &ms])]
        );

        ok(&mut con, &["SET", "k", "v", "PXAT", &ms]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![words(&["SET", "k", "v", "PXAT", &ms])]
        );

        let before = now_ms();
        ok(&mut con, &["SETEX", "k", "10", "w"]);
        ok(&mut con, &["PSETEX", "k3", "2000", "x"]);
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        assert_one_with_time(
            &seen[..1],
            &["SET", "k", "w", "PXAT", "?"],
            4,
            before + 10_000,
            after + 10_000,
        );
        assert_one_with_time(
            &seen[1..],
            &["SET", "k3", "x", "PXAT", "?"],
            4,
            before + 2000,
            after + 2000,
        );
    }

    /// SET ... GET loses its GET options; SETs that did nothing send nothing.
    pub fn set_without_an_expire_goes_without_get(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["SET", "k", "1"]);
        ok(&mut con, &["SET", "k", "2", "GET"]);
        ok(&mut con, &["set", "k", "3", "get", "KEEPTTL", "Get"]);
        ok(&mut con, &["SETNX", "n", "1"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["SET", "k", "1"]),
                words(&["SET", "k", "2"]),
                words(&["set", "k", "3", "KEEPTTL"]),
                words(&["SETNX", "n", "1"]),
            ]
        );

        // Nothing happened, nothing goes.
        ok(&mut con, &["SET", "k", "4", "NX"]);
        ok(&mut con, &["SET", "missing", "4", "XX", "GET"]);
        ok(&mut con, &["SETNX", "n", "2"]);
        err(&mut con, &["SET", "k", "5", "EX", "0"]);
        err(&mut con, &["SET", "k", "5", "EX", "ten"]);
        err(&mut con, &["SETEX", "k", "-1", "v"]);
        ok(&mut con, &["HSET", "h", "f", "v"]);
        err(&mut con, &["SET", "h", "5", "GET"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![words(&["HSET", "h", "f", "v"])]
        );
    }

    /// GETSET as SET, GETDEL as DEL, GETEX as PEXPIREAT / PERSIST / DEL.
    pub fn getset_getdel_and_getex_go_as_what_they_did(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["SET", "k", "1"]);
        ok(&mut con, &["GETSET", "k", "2"]);
        ok(&mut con, &["GETDEL", "k"]);
        ok(&mut con, &["GETDEL", "k"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["SET", "k", "1"]),
                words(&["SET", "k", "2"]),
                words(&["DEL", "k"]),
            ]
        );

        ok(&mut con, &["SET", "k", "1"]);
        propagated(&mut con, &mut tap);
        let before = now_ms();
        ok(&mut con, &["GETEX", "k", "EX", "100"]);
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        let (lo, hi) = (before + 100_000, after + 100_000);
        assert_one_with_time(&seen, &["PEXPIREAT", "k", "?"], 2, lo, hi);

        let at = (now_ms() / 1000 + 500).to_string();
        ok(&mut con, &["GETEX", "k", "exat", &at]);
        ok(&mut con, &["GETEX", "k", "PERSIST"]);
        // No TTL left to remove, no option at all, a bad time, a missing key.
        ok(&mut con, &["GETEX", "k", "PERSIST"]);
        ok(&mut con, &["GETEX", "k"]);
        err(&mut con, &["GETEX", "k", "PX", "-5"]);
        ok(&mut con, &["GETEX", "nokey", "EX", "5"]);
        ok(&mut con, &["GETEX", "k", "PXAT", "1"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["PEXPIREAT", "k", &format!("{at}000")]),
                words(&["PERSIST", "k"]),
                words(&["DEL", "k"]),
            ]
        );
    }

    /// DEL or UNLINK: GETDEL follows lazyfree-lazy-user-del, expiries lazyfree-lazy-expire.
    pub fn deletions_follow_the_lazyfree_settings(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(
            &mut con,
            &["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"],
        );
        ok(&mut con, &["SET", "a", "1"]);
        ok(&mut con, &["SET", "b", "1"]);
        ok(&mut con, &["SET", "c", "1"]);
        propagated(&mut con, &mut tap);
        // GETDEL is a user deletion; GETEX and EXPIRE into the past are expiries.
        ok(&mut con, &["GETDEL", "a"]);
        ok(&mut con, &["GETEX", "b", "EXAT", "1"]);
        ok(&mut con, &["EXPIRE", "c", "-1"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["UNLINK", "a"]),
                words(&["DEL", "b"]),
                words(&["DEL", "c"]),
            ]
        );

        ok(&mut con, &["CONFIG", "SET", "lazyfree-lazy-user-del", "no"]);
        ok(&mut con, &["CONFIG", "SET", "lazyfree-lazy-expire", "yes"]);
        ok(&mut con, &["SET", "a", "1"]);
        ok(&mut con, &["SET", "b", "1"]);
        ok(&mut con, &["SET", "c", "1"]);
        propagated(&mut con, &mut tap);
        ok(&mut con, &["GETDEL", "a"]);
        ok(&mut con, &["GETEX", "b", "PXAT", "1"]);
        ok(&mut con, &["PEXPIREAT", "c", "1"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["DEL", "a"]),
                words(&["UNLINK", "b"]),
                words(&["UNLINK", "c"]),
            ]
        );
    }

    /// INCRBYFLOAT and HINCRBYFLOAT send the value they computed.
    pub fn incrbyfloat_goes_as_its_result(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["SET", "f", "10.5", "EX", "100"]);
        propagated(&mut con, &mut tap);
        assert_eq!(ok(&mut con, &["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
        assert_eq!(ok(&mut con, &["INCRBYFLOAT", "new", "3"]), bulk("3"));
        ok(&mut con, &["HSET", "h", "s", "abc"]);
        assert_eq!(
            ok(&mut con, &["HINCRBYFLOAT", "h", "x", "1.5"]),
            bulk("1.5")
        );
        assert_eq!(
            ok(&mut con, &["HINCRBYFLOAT", "h", "x", "2e0"]),
            bulk("3.5")
        );
        err(&mut con, &["INCRBYFLOAT", "f", "abc"]);
        err(&mut con, &["INCRBYFLOAT", "h", "1"]);
        err(&mut con, &["HINCRBYFLOAT", "h", "s", "1"]);
        err(&mut con, &["HINCRBYFLOAT", "f", "x", "1"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["SET", "f", "10.6", "KEEPTTL"]),
                words(&["SET", "new", "3", "KEEPTTL"]),
                words(&["HSET", "h", "s", "abc"]),
                words(&["HSET", "h", "x", "1.5"]),
                words(&["HSET", "h", "x", "3.5"]),
            ]
        );
    }

    /// EXPIRE, PEXPIRE, EXPIREAT as PEXPIREAT (flags kept); the past as DEL.
    pub fn expire_family_goes_as_pexpireat(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["SET", "k", "v"]);
        propagated(&mut con, &mut tap);

        let before = now_ms();
        assert_eq!(ok(&mut con, &["EXPIRE", "k", "100"]), int(1));
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        let (lo, hi) = (before + 100_000, after + 100_000);
        assert_one_with_time(&seen, &["PEXPIREAT", "k", "?"], 2, lo, hi);

        // The conditions stay: they hold on the replica as they did here.
        let before = now_ms();
        assert_eq!(
            ok(&mut con, &["pexpire", "k", "200000", "xx", "GT"]),
            int(1)
        );
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        let (lo, hi) = (before + 200_000, after + 200_000);
        assert_one_with_time(&seen, &["PEXPIREAT", "k", "?", "xx", "GT"], 2, lo, hi);

        let at = now_ms() / 1000 + 1000;
        assert_eq!(ok(&mut con, &["EXPIREAT", "k", &at.to_string()]), int(1));
        let ms = (at * 1000 + 7).to_string();
        assert_eq!(ok(&mut con, &["pexpireat", "k", &ms, "NX"]), int(0));
        assert_eq!(ok(&mut con, &["pexpireat", "k", &ms]), int(1));
        assert_eq!(ok(&mut con, &["EXPIRE", "nokey", "10"]), int(0));
        err(&mut con, &["EXPIRE", "k", "10", "FOO"]);
        err(&mut con, &["EXPIRE", "k", "ten"]);
        assert_eq!(ok(&mut con, &["PERSIST", "k"]), int(1));
        assert_eq!(ok(&mut con, &["PERSIST", "k"]), int(0));
        assert_eq!(ok(&mut con, &["EXPIRE", "k", "-10"]), int(1));
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["PEXPIREAT", "k", &format!("{at}000")]),
                words(&["pexpireat", "k", &ms]),
                words(&["PERSIST", "k"]),
                words(&["DEL", "k"]),
            ]
        );
    }

    /// SPOP as one SREM per member chosen, or DEL when the whole set goes.
    pub fn spop_goes_as_the_members_it_chose(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        let members: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        let mut sadd = vec!["SADD", "s"];
        sadd.extend(members.iter().map(String::as_str));
        ok(&mut con, &sadd);
        propagated(&mut con, &mut tap);

        let Value::BulkString(one) = ok(&mut con, &["SPOP", "s"]) else {
            panic!("SPOP replies a bulk");
        };
        let one = String::from_utf8(one).expect("utf-8");
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![words(&["SREM", "s", &one])]
        );

        // A few of many (Redis's second case), then most of the rest (its third):
        // one SREM per member, together in MULTI/EXEC.
        for count in ["2", "6"] {
            let popped = strings(ok(&mut con, &["SPOP", "s", count]));
            let mut expect = vec![words(&["MULTI"])];
            expect.extend(popped.iter().map(|m| words(&["SREM", "s", m])));
            expect.push(words(&["EXEC"]));
            assert_eq!(propagated(&mut con, &mut tap), expect);
        }

        // The last member with a count that covers the set: DEL.
        assert_eq!(strings(ok(&mut con, &["SPOP", "s", "5"])).len(), 1);
        assert_eq!(propagated(&mut con, &mut tap), vec![words(&["DEL", "s"])]);

        // The last member without a count: SREM, which deletes the set too.
        ok(&mut con, &["SADD", "t", "only"]);
        ok(&mut con, &["SPOP", "t"]);
        ok(&mut con, &["SPOP", "t"]);
        ok(&mut con, &["SADD", "t", "a", "b"]);
        ok(&mut con, &["SPOP", "t", "0"]);
        err(&mut con, &["SPOP", "t", "-1"]);
        err(&mut con, &["SPOP", "t", "1", "2"]);
        ok(&mut con, &["SET", "str", "x"]);
        err(&mut con, &["SPOP", "str"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["SADD", "t", "only"]),
                words(&["SREM", "t", "only"]),
                words(&["SADD", "t", "a", "b"]),
                words(&["SET", "str", "x"]),
            ]
        );
    }

    /// Blocking and multi-key list pops that find data: LPOP / RPOP / LMOVE / RPOPLPUSH.
    pub fn list_pops_served_at_once_go_as_plain_pops(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
        ok(&mut con, &["SET", "str", "x"]);
        propagated(&mut con, &mut tap);

        ok(&mut con, &["BLPOP", "missing", "l", "0"]);
        ok(&mut con, &["brpop", "l", "0"]);
        ok(
            &mut con,
            &["LMPOP", "2", "missing", "l", "LEFT", "COUNT", "10"],
        );
        ok(&mut con, &["RPUSH", "l", "a", "b", "c"]);
        ok(&mut con, &["LMPOP", "1", "l", "RIGHT"]);
        ok(&mut con, &["BLMPOP", "0", "1", "l", "left", "COUNT", "5"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["LPOP", "l"]),
                words(&["RPOP", "l"]),
                words(&["LPOP", "l", "3"]),
                words(&["RPUSH", "l", "a", "b", "c"]),
                words(&["RPOP", "l", "1"]),
                words(&["LPOP", "l", "2"]),
            ]
        );

        ok(&mut con, &["RPUSH", "src", "a", "b", "c"]);
        ok(&mut con, &["BLMOVE", "src", "dst", "Left", "RIGHT", "0"]);
        ok(&mut con, &["BRPOPLPUSH", "src", "dst", "0"]);
        ok(&mut con, &["LMOVE", "src", "dst", "left", "left"]);
        // Errors and no-ops propagate nothing.
        err(&mut con, &["BLPOP", "str", "0"]);
        err(&mut con, &["BLMOVE", "dst", "str", "LEFT", "LEFT", "0"]);
        err(&mut con, &["BLMPOP", "0", "1", "str", "LEFT"]);
        ok(&mut con, &["LMPOP", "1", "missing", "LEFT"]);
        ok(&mut con, &["LPOP", "missing"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["RPUSH", "src", "a", "b", "c"]),
                words(&["LMOVE", "src", "dst", "Left", "RIGHT"]),
                words(&["RPOPLPUSH", "src", "dst"]),
                words(&["LMOVE", "src", "dst", "left", "left"]),
            ]
        );
    }

    /// BZPOPMIN / BZPOPMAX / ZMPOP / BZMPOP as ZPOPMIN / ZPOPMAX.
    pub fn zset_pops_go_as_plain_pops(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(
            &mut con,
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        );
        ok(&mut con, &["SET", "str", "x"]);
        propagated(&mut con, &mut tap);

        ok(&mut con, &["ZPOPMIN", "z"]);
        ok(&mut con, &["zpopmax", "z", "1"]);
        ok(&mut con, &["ZPOPMIN", "z", "0"]);
        ok(&mut con, &["BZPOPMAX", "missing", "z", "0"]);
        ok(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        ok(&mut con, &["ZMPOP", "2", "missing", "z", "MIN"]);
        ok(&mut con, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "9"]);
        ok(&mut con, &["ZMPOP", "1", "z", "MIN"]);
        err(&mut con, &["BZPOPMIN", "str", "0"]);
        err(&mut con, &["ZMPOP", "1", "str", "MIN"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["ZPOPMIN", "z"]),
                words(&["zpopmax", "z", "1"]),
                words(&["ZPOPMAX", "z"]),
                words(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
                words(&["ZPOPMIN", "z", "1"]),
                words(&["ZPOPMAX", "z", "2"]),
            ]
        );
    }

    /// Starts `argv` on its own connection, where it blocks; returns the thread
    /// that waits for its reply, once the server counts the client as blocked.
    fn blocked(
        server: &Node,
        con: &mut Connection,
        argv: &'static [&'static str],
    ) -> thread::JoinHandle<Value> {
        let mut other = server.connection();
        let waiter = thread::spawn(move || ok(&mut other, argv));
        let blocked = wait_until(WAIT, || {
            let info: String = query(con, &["INFO", "clients"]).expect("INFO");
            info.contains("blocked_clients:1")
        });
        assert!(blocked, "{argv:?} did not block");
        waiter
    }

    /// Clients served after blocking propagate the plain pop, after the write that fed them.
    pub fn blocked_pops_go_as_plain_pops_when_served(kind: Kind) {
        let (server, mut con, mut tap) = setup(kind, &[]);

        let waiter = blocked(&server, &mut con, &["BLPOP", "l", "0"]);
        ok(&mut con, &["RPUSH", "l", "a", "b"]);
        assert_eq!(waiter.join().expect("BLPOP"), strings_value(&["l", "a"]));
        let waiter = blocked(&server, &mut con, &["BRPOP", "r", "0"]);
        ok(&mut con, &["LPUSH", "r", "c", "d"]);
        assert_eq!(waiter.join().expect("BRPOP"), strings_value(&["r", "c"]));
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["RPUSH", "l", "a", "b"]),
                words(&["LPOP", "l"]),
                words(&["LPUSH", "r", "c", "d"]),
                words(&["RPOP", "r"]),
            ]
        );

        // The served client's ends are named as Redis names them, in lower case.
        let waiter = blocked(
            &server,
            &mut con,
            &["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"],
        );
        ok(&mut con, &["RPUSH", "s", "x", "y", "z"]);
        waiter.join().expect("BLMOVE");
        ok(&mut con, &["DEL", "s"]);
        let waiter = blocked(&server, &mut con, &["BRPOPLPUSH", "s", "d", "0"]);
        ok(&mut con, &["RPUSH", "s", "x"]);
        waiter.join().expect("BRPOPLPUSH");
        let waiter = blocked(
            &server,
            &mut con,
            &["BLMPOP", "0", "2", "m", "n", "RIGHT", "COUNT", "5"],
        );
        ok(&mut con, &["RPUSH", "n", "1", "2"]);
        waiter.join().expect("BLMPOP");
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["RPUSH", "s", "x", "y", "z"]),
                words(&["LMOVE", "s", "d", "left", "right"]),
                words(&["DEL", "s"]),
                words(&["RPUSH", "s", "x"]),
                words(&["RPOPLPUSH", "s", "d"]),
                words(&["RPUSH", "n", "1", "2"]),
                words(&["RPOP", "n", "2"]),
            ]
        );

        let waiter = blocked(&server, &mut con, &["BZPOPMIN", "z", "0"]);
        ok(&mut con, &["ZADD", "z", "1", "a", "2", "b"]);
        waiter.join().expect("BZPOPMIN");
        let waiter = blocked(
            &server,
            &mut con,
            &["BZMPOP", "0", "1", "y", "MAX", "COUNT", "2"],
        );
        ok(&mut con, &["ZADD", "y", "1", "a", "2", "b", "3", "c"]);
        waiter.join().expect("BZMPOP");
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["ZADD", "z", "1", "a", "2", "b"]),
                words(&["ZPOPMIN", "z"]),
                words(&["ZADD", "y", "1", "a", "2", "b", "3", "c"]),
                words(&["ZPOPMAX", "y", "2"]),
            ]
        );
    }

    /// An array reply of bulk strings.
    fn strings_value(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| bulk(s)).collect())
    }

    /// PUBLISH, SPUBLISH and FLUSHDB / FLUSHALL on empty data still propagate.
    pub fn publish_and_flushes_propagate_without_changing_data(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        assert_eq!(ok(&mut con, &["PUBLISH", "ch", "hello"]), int(0));
        assert_eq!(ok(&mut con, &["SPUBLISH", "sh", "hi"]), int(0));
        ok(&mut con, &["FLUSHDB"]);
        ok(&mut con, &["FLUSHALL", "ASYNC"]);
        err(&mut con, &["FLUSHDB", "LATER"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![
                words(&["PUBLISH", "ch", "hello"]),
                words(&["SPUBLISH", "sh", "hi"]),
                words(&["FLUSHDB"]),
                words(&["FLUSHALL", "ASYNC"]),
            ]
        );
    }

    /// FLUSHALL propagates although its save resets the change counter.
    pub fn flushall_propagates_even_when_a_save_point_resets_dirty(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &["--save", "3600 1"]);
        ok(&mut con, &["SET", "k", "v"]);
        ok(&mut con, &["FLUSHALL"]);
        assert_eq!(
            propagated(&mut con, &mut tap),
            vec![words(&["SET", "k", "v"]), words(&["FLUSHALL"])]
        );
    }

    /// Commands queued in MULTI are rewritten inside the MULTI/EXEC they go in.
    pub fn commands_inside_exec_are_rewritten_too(kind: Kind) {
        let (_server, mut con, mut tap) = setup(kind, &[]);
        ok(&mut con, &["RPUSH", "l", "a"]);
        propagated(&mut con, &mut tap);
        ok(&mut con, &["MULTI"]);
        ok(&mut con, &["SETEX", "k", "100", "v"]);
        ok(&mut con, &["BLPOP", "l", "0"]);
        ok(&mut con, &["BLPOP", "l", "0"]);
        let before = now_ms();
        ok(&mut con, &["EXEC"]);
        let after = now_ms();
        let seen = propagated(&mut con, &mut tap);
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(seen[0], words(&["MULTI"]));
        assert_one_with_time(
            &seen[1..2],
            &["SET", "k", "v", "PXAT", "?"],
            4,
            before + 100_000,
            after + 100_000,
        );
        assert_eq!(seen[2..], [words(&["LPOP", "l"]), words(&["EXEC"])]);
    }

    /// A replica that replays the stream ends with the master's data and the
    /// master's deadlines, although its clock and random choices differ.
    pub fn a_replayed_stream_rebuilds_the_same_dataset(kind: Kind) {
        let (_master, mut con, mut tap) = setup(kind, &["--enable-debug-command", "local"]);
        let replica = Node::start(kind, &["--enable-debug-command", "local"]);
        let mut rcon = replica.connection();

        let workload: &[&[&str]] = &[
            &["SET", "s1", "v", "EX", "1000"],
            &["SETEX", "s2", "500", "v"],
            &["PSETEX", "s3", "700000", "v"],
            &["SET", "s4", "v"],
            &["GETEX", "s4", "PX", "900000"],
            &["SET", "s5", "10.5"],
            &["EXPIRE", "s5", "800"],
            &["INCRBYFLOAT", "s5", "0.25"],
            &["HINCRBYFLOAT", "h", "f", "1.75"],
            &[
                "SADD", "set", "1", "2", "3", "4", "5", "6", "7", "8", "a", "b", "c",
            ],
            &["SPOP", "set"],
            &["SPOP", "set", "3"],
            &["SPOP", "set", "6"],
            &["RPUSH", "l", "1", "2", "3", "4", "5"],
            &["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2"],
            &["BLMOVE", "l", "l2", "RIGHT", "LEFT", "0"],
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"],
            &["SELECT", "3"],
            &["SET", "other", "x", "PX", "600000"],
            &["SELECT", "0"],
        ];
        for argv in workload {
            ok(&mut con, argv);
        }
        let stream = tap.until(WAIT, |argv| argv[0] == "SET" && argv[1] == "other");
        // The replica's own clock runs on: a replay a moment later must not
        // stretch any deadline.
        thread::sleep(Duration::from_millis(20));
        for argv in &stream {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            ok(&mut rcon, &args);
        }
        ok(&mut rcon, &["SELECT", "0"]);

        let digest =
            |c: &mut Connection| -> String { query(c, &["DEBUG", "DIGEST"]).expect("digest") };
        assert_eq!(digest(&mut con), digest(&mut rcon));
        for key in ["s1", "s2", "s3", "s4", "s5"] {
            let at = |c: &mut Connection| -> i64 {
                query(c, &["PEXPIRETIME", key]).expect("pexpiretime")
            };
            assert_eq!(at(&mut con), at(&mut rcon), "deadline of {key}");
        }
    }
}
