//! RDB files move both ways between real Redis 7.0 and redrill: a dump that
//! redis-server SAVEs (small and large encodings of every type, TTLs, several
//! databases) loads into redrill at start-up with every key, value, encoding,
//! expire time and the DEBUG DIGEST unchanged; redrill SAVEs it again, and a fresh
//! redis-server loads redrill's file to the very same data set.
//!
//! Both servers are started here rather than through `common::start_server`,
//! because the dump must sit in the server's `dir` before it starts.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{free_port, scratch_dir, tool, wait_until, SERVER_BIN};
use redis::Connection;

/// A server process (redis-server or redrill-server) on a free port; killed on drop.
struct Proc {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts `bin` with `dir` as its `dir` and `args`, retrying on a port race.
    fn start(bin: &Path, dir: &Path, args: &[&str]) -> Proc {
        for attempt in 0..10 {
            let port = free_port();
            let log = dir.join(format!("server-{port}-{attempt}.log"));
            let out = std::fs::File::create(&log).expect("log file");
            let err = out.try_clone().expect("clone log");
            let child = Command::new(bin)
                .args(["--port", &port.to_string(), "--dir"])
                .arg(dir)
                .args(args)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .expect("spawn server");
            let mut proc = Proc { child, port, log };
            let mut exited = false;
            let ready = wait_until(Duration::from_secs(30), || {
                exited = matches!(proc.child.try_wait(), Ok(Some(_)));
                exited || proc.log().contains("Ready to accept connections")
            });
            let log = proc.log();
            if exited && log.contains("Address already in use") {
                continue;
            }
            assert!(
                ready && !exited,
                "{} did not start; log:\n{log}",
                bin.display()
            );
            return proc;
        }
        panic!("no free port in 10 tries");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn connection(&self) -> Connection {
        let url = format!("redis://127.0.0.1:{}/", self.port);
        let con = redis::Client::open(url)
            .expect("client")
            .get_connection()
            .expect("connect");
        con.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        con
    }
}

fn run(con: &mut Connection, args: &[&[u8]]) -> redis::Value {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).expect("ascii command"));
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

/// One command's arguments as owned bytes, from any mix of text and bytes.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(AsRef::<[u8]>::as_ref(&$a).to_vec()),*] };
}

/// Writes small and large encodings of every type, TTLs and several databases.
fn populate(con: &mut Connection) {
    let long_x = vec![b'x'; 80];
    let lzf = vec![b'a'; 100];
    // Not compressible: LZF gives up and the string is stored plainly.
    let noisy: Vec<u8> = (0u32..300).map(|i| (i * 7919 % 251) as u8).collect();
    let big_elem: Vec<u8> = (0u32..9000).map(|i| (i * 31 % 253) as u8).collect();
    let seq = |n: u32, prefix: &str| -> Vec<Vec<u8>> {
        (1..=n)
            .map(|i| format!("{prefix}{i}").into_bytes())
            .collect()
    };
    let mut script: Vec<Vec<Vec<u8>>> = vec![
        args!["SET", "s:int", "12345"],
        args!["SET", "s:neg", "-7"],
        args!["SET", "s:max", "9223372036854775807"],
        args!["SET", "s:embstr", "hello"],
        args!["SET", "s:empty", ""],
        args!["SET", "s:lzf", lzf],
        args!["SET", "s:raw", noisy],
        args!["SET", "s:ttl", "v", "PX", "99999999999"],
        args!["RPUSH", "l:small", "a", "b", "1", "2", "-3", "300000"],
        [args!["RPUSH", "l:large"], seq(1000, "")].concat(),
        args!["RPUSH", "l:bigelem", "x", big_elem, "y"],
        args!["SADD", "set:intset", "1", "2", "-5", "70000", "5000000000"],
        [args!["SADD", "set:intsetbig"], seq(600, "")].concat(),
        args!["SADD", "set:small", "a", "b", "1"],
        [args!["SADD", "set:big"], seq(300, "m")].concat(),
        args!["HSET", "h:small", "f1", "v1", "f2", "2", "f3", "-3"],
        args!["HSET", "h:long", "f1", long_x],
        args!["ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "inf", "d"],
        args!["ZADD", "z:small", "1e300", "e", "0.1", "f"],
        args!["ZADD", "z:long", "1", long_x],
        args!["EXPIRE", "h:small", "99999999"],
        args!["PEXPIREAT", "z:small", "4102444800000"],
    ];
    let mut hash = args!["HSET", "h:large"];
    let mut zset = args!["ZADD", "z:large"];
    for i in 1..=200 {
        hash.extend([format!("f{i}").into_bytes(), format!("v{i}").into_bytes()]);
        zset.extend([format!("{i}.5").into_bytes(), format!("m{i}").into_bytes()]);
    }
    script.extend([hash, zset]);
    script.extend([
        args!["SELECT", "1"],
        args!["SET", "other", "1"],
        args!["LPUSH", "ol", "c", "b", "a"],
        args!["EXPIRE", "ol", "500000"],
        args!["SELECT", "5"],
        args!["HSET", "h5", "a", "1"],
        args!["SADD", "s5", "x"],
        args!["SELECT", "0"],
    ]);
    for args in &script {
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        run(con, &refs);
    }
}

/// Everything a client can see of one key.
#[derive(Debug, PartialEq)]
struct Seen {
    kind: String,
    encoding: String,
    contents: redis::Value,
    expire_at_ms: i64,
}

/// Every key as (db, key name), keys being ASCII here.
type DataSet = BTreeMap<(u32, String), Seen>;

/// Reads every key of every database the way a client would.
fn snapshot(con: &mut Connection) -> DataSet {
    let mut out = BTreeMap::new();
    for db in 0..16u32 {
        run(con, &[b"SELECT", db.to_string().as_bytes()]);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS");
        for key in keys {
            let kind: String = redis::cmd("TYPE").arg(&key).query(con).expect("TYPE");
            let encoding: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(&key)
                .query(con)
                .expect("OBJECT ENCODING");
            let read: &[&[u8]] = match kind.as_str() {
                "string" => &[b"GET"],
                "list" => &[b"LRANGE", b"0", b"-1"],
                // Order differs between servers; sorted below.
                "set" => &[b"SMEMBERS"],
                "hash" => &[b"HGETALL"],
                _ => &[b"ZRANGE", b"0", b"-1", b"WITHSCORES"],
            };
            let mut args = vec![read[0], &key[..]];
            args.extend_from_slice(&read[1..]);
            let contents = sorted(kind.as_str(), run(con, &args));
            let expire_at_ms: i64 = redis::cmd("PEXPIRETIME")
                .arg(&key)
                .query(con)
                .expect("PEXPIRETIME");
            let seen = Seen {
                kind,
                encoding,
                contents,
                expire_at_ms,
            };
            out.insert((db, String::from_utf8_lossy(&key).into_owned()), seen);
        }
    }
    run(con, &[b"SELECT", b"0"]);
    out
}

/// Sets and hashes in a canonical order (hash pairs kept together).
fn sorted(kind: &str, v: redis::Value) -> redis::Value {
    let redis::Value::Array(items) = v else {
        return v;
    };
    let mut items = items;
    match kind {
        "set" => items.sort_by_key(|i| format!("{i:?}")),
        "hash" => {
            let mut pairs: Vec<Vec<redis::Value>> =
                items.chunks(2).map(<[redis::Value]>::to_vec).collect();
            pairs.sort_by_key(|p| format!("{:?}", p.first()));
            items = pairs.concat();
        }
        _ => {}
    }
    redis::Value::Array(items)
}

fn digest(con: &mut Connection) -> String {
    redis::cmd("DEBUG")
        .arg("DIGEST")
        .query(con)
        .expect("DEBUG DIGEST")
}

fn assert_same(what: &str, want: &DataSet, got: &DataSet) {
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{what}: key sets differ"
    );
    for (key, seen) in want {
        assert_eq!(Some(seen), got.get(key), "{what}: key {key:?}");
    }
}

const COMMON: [&str; 8] = [
    "--save",
    "",
    "--appendonly",
    "no",
    "--enable-debug-command",
    "yes",
    "--dbfilename",
    "dump.rdb",
];

#[test]
fn dumps_move_both_ways_between_redis_and_redrill() {
    let Some(redis_bin) = tool("redis-server") else {
        return;
    };
    let redrill_bin = PathBuf::from(SERVER_BIN);
    let dir = scratch_dir("rdb-interop");
    let redis_args = [&COMMON[..], &["--bind", "127.0.0.1", "--logfile", ""]].concat();

    // 1. Real Redis writes the dump.
    let redis = Proc::start(&redis_bin, &dir, &redis_args);
    let mut con = redis.connection();
    populate(&mut con);
    let want = snapshot(&mut con);
    let want_digest = digest(&mut con);
    assert_eq!(want.len(), 25, "the population script wrote every key");
    run(&mut con, &[b"SAVE"]);
    drop(con);
    drop(redis);

    // 2. redrill loads it at start-up.
    let redrill = Proc::start(&redrill_bin, &dir, &COMMON);
    let mut con = redrill.connection();
    assert_same(
        "redrill after loading Redis's dump",
        &want,
        &snapshot(&mut con),
    );
    assert_eq!(digest(&mut con), want_digest, "DEBUG DIGEST after loading");

    // 3. redrill writes its own dump (Redis's is removed first, so the file
    // Redis loads next can only be redrill's); a fresh Redis loads it.
    std::fs::remove_file(dir.join("dump.rdb")).expect("remove Redis's dump");
    run(&mut con, &[b"SAVE"]);
    drop(con);
    drop(redrill);
    let second = scratch_dir("rdb-interop-back");
    std::fs::copy(dir.join("dump.rdb"), second.join("dump.rdb")).expect("copy redrill's dump");
    let redis = Proc::start(&redis_bin, &second, &redis_args);
    let mut con = redis.connection();
    assert_same(
        "Redis after loading redrill's dump",
        &want,
        &snapshot(&mut con),
    );
    assert_eq!(digest(&mut con), want_digest, "DEBUG DIGEST in Redis");
    drop(con);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&second);
}
