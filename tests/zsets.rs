//! End-to-end: the sorted-sets family replies byte for byte as Redis 7.0 does
//! (RESP2 and RESP3 shapes, scores as %.17g / doubles), with Redis's errors,
//! OBJECT ENCODING transitions at the configured thresholds, DEBUG DIGEST-VALUE
//! equal to a real Redis's for the same data, and blocking pops woken by writes.
//! Expected bytes were captured from redis-server 7.0.15.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A raw RESP connection: sends a command, returns the exact reply bytes.
struct Raw(TcpStream);

impl Raw {
    fn new(server: &common::ServerGuard) -> Raw {
        let stream = server.raw();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Raw(stream)
    }

    fn send(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.0.write_all(&out).expect("write");
    }

    fn read_reply(&mut self) -> String {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Ok(Some((_, used))) = resp::parse_frame(&buf) {
                assert_eq!(used, buf.len(), "one reply at a time");
                return String::from_utf8_lossy(&buf).into_owned();
            }
            let n = self.0.read(&mut chunk).expect("read");
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split(' ').collect();
        self.send(&args);
        self.read_reply()
    }
}

/// Runs `(command, expected reply)` pairs in order.
fn check(con: &mut Raw, cases: &[(&str, &str)]) {
    for (line, want) in cases {
        assert_eq!(con.cmd(line), *want, "{line}");
    }
}

#[test]
fn zadd_options_scores_and_errors() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    check(
        &mut c,
        &[
            ("zadd z 1 a 2 b 3 c", ":3\r\n"),
            (
                "zadd z xx nx 1 a",
                "-ERR XX and NX options at the same time are not compatible\r\n",
            ),
            (
                "zadd z gt lt 1 a",
                "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
            ),
            (
                "zadd z gt nx 1 a",
                "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
            ),
            (
                "zadd z incr 1 a 2 b",
                "-ERR INCR option supports a single increment-element pair\r\n",
            ),
            (
                "zadd z 1",
                "-ERR wrong number of arguments for 'zadd' command\r\n",
            ),
            ("zadd z 1 a 2", "-ERR syntax error\r\n"),
            ("zadd z abc a", "-ERR value is not a valid float\r\n"),
            ("zadd z nan a", "-ERR value is not a valid float\r\n"),
            ("zadd z incr inf a", "$3\r\ninf\r\n"),
            (
                "zadd z incr -inf a",
                "-ERR resulting score is not a number (NaN)\r\n",
            ),
            ("zadd z ch 5 a 2 b 7 d", ":2\r\n"),
            ("zadd z gt ch 1 a 9 b", ":1\r\n"),
            ("zadd z lt 0.5 b", ":0\r\n"),
            ("zadd z xx 1 new", ":0\r\n"),
            ("zadd z xx incr 1 new", "$-1\r\n"),
            ("zadd z nx incr 1 a", "$-1\r\n"),
            ("zincrby z 1.5 b", "$1\r\n2\r\n"),
            ("zincrby z abc b", "-ERR value is not a valid float\r\n"),
            ("zincrby z nx b", "-ERR syntax error\r\n"),
            ("zscore z b", "$1\r\n2\r\n"),
            ("zscore z nosuch", "$-1\r\n"),
            ("zmscore z b nosuch", "*2\r\n$1\r\n2\r\n$-1\r\n"),
            ("zmscore nokey a", "*1\r\n$-1\r\n"),
            ("zcard z", ":4\r\n"),
            ("zcard nokey", ":0\r\n"),
            ("zrank z a", ":2\r\n"),
            ("zrevrank z a", ":1\r\n"),
            ("zrank z nosuch", "$-1\r\n"),
            ("zrem z a nosuch", ":1\r\n"),
            ("zadd neg -0 a", ":1\r\n"),
            ("zscore neg a", "$1\r\n0\r\n"),
            ("set str x", "+OK\r\n"),
            (
                "zadd str 1 a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "zscore str a",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            ("zrem k a", ":0\r\n"),
            ("zadd k 1 a", ":1\r\n"),
            ("zrem k a b", ":1\r\n"),
            ("exists k", ":0\r\n"),
        ],
    );
}

#[test]
fn ranges_counts_and_removals() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    check(&mut c, &[
        ("zadd z 1 a 2 b 3 c 4 d", ":4\r\n"),
        ("zrange z 0 -1 withscores", "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
        ("zrange z 0 1 rev", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
        ("zrange z (1 3 byscore", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        ("zrange z 5 (1 byscore rev limit 0 2", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
        ("zrange z 0 -1 limit 0 1", "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        ("zrange z - + bylex withscores", "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        ("zrange z 0 -1 limit 0", "-ERR syntax error\r\n"),
        ("zrange z a b", "-ERR value is not an integer or out of range\r\n"),
        ("zrange z a b byscore", "-ERR min or max is not a float\r\n"),
        ("zrange z a b bylex", "-ERR min or max not valid string range item\r\n"),
        ("zrangebyscore z -inf +inf limit 1 -1", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        ("zrangebyscore z -inf +inf limit -1 2", "*0\r\n"),
        ("zrevrangebyscore z 3 -inf", "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
        ("zrevrange z 0 0 withscores", "*2\r\n$1\r\nd\r\n$1\r\n4\r\n"),
        ("zrevrange z 0 1 rev", "-ERR syntax error\r\n"),
        ("zrangebylex z [b (d", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        ("zrevrangebylex z + - limit 1 1", "*1\r\n$1\r\nc\r\n"),
        ("zcount z (1 3", ":2\r\n"),
        ("zcount z x 3", "-ERR min or max is not a float\r\n"),
        ("zlexcount z - +", ":4\r\n"),
        ("zlexcount z a +", "-ERR min or max not valid string range item\r\n"),
        ("zrange nokey 0 -1", "*0\r\n"),
        ("zrangestore dst z 1 2", ":2\r\n"),
        ("zrange dst 0 -1", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        ("zrangestore dst z 0 -1 withscores", "-ERR syntax error\r\n"),
        ("zrangestore dst nokey 0 -1", ":0\r\n"),
        ("exists dst", ":0\r\n"),
        ("zremrangebyrank z a 1", "-ERR value is not an integer or out of range\r\n"),
        ("zremrangebyscore z a 1", "-ERR min or max is not a float\r\n"),
        ("zremrangebylex z a 1", "-ERR min or max not valid string range item\r\n"),
        ("zremrangebyrank z -1 -1", ":1\r\n"),
        ("zremrangebyscore z (1 2", ":1\r\n"),
        ("zremrangebylex z - [a", ":1\r\n"),
        ("zrange z 0 -1", "*1\r\n$1\r\nc\r\n"),
        ("zremrangebyscore z -inf +inf", ":1\r\n"),
        ("exists z", ":0\r\n"),
    ]);
}

#[test]
fn set_operations_accept_sets_and_weights() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    check(&mut c, &[
        ("zadd s1 1 x 2 y 3 z", ":3\r\n"),
        ("sadd set1 x y q 1", ":4\r\n"),
        ("zunion 2 s1 set1 withscores", "*10\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\nq\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\ny\r\n$1\r\n3\r\n$1\r\nz\r\n$1\r\n3\r\n"),
        ("zinter 2 s1 set1 weights 2 3 aggregate max withscores", "*4\r\n$1\r\nx\r\n$1\r\n3\r\n$1\r\ny\r\n$1\r\n4\r\n"),
        ("zdiff 2 s1 set1 withscores", "*2\r\n$1\r\nz\r\n$1\r\n3\r\n"),
        ("zdiff 2 s1 set1 weights 1 1", "-ERR syntax error\r\n"),
        ("zunion 2 s1 set1 aggregate foo", "-ERR syntax error\r\n"),
        ("zinter 2 s1 set1 weights 2 a", "-ERR weight value is not a float\r\n"),
        ("zunion 0 s1", "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        ("zunionstore out 0 s1", "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        ("zunionstore out 3 s1", "-ERR syntax error\r\n"),
        ("zintercard 0 s1", "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
        ("zintercard 1 s1 limit -1", "-ERR LIMIT can't be negative\r\n"),
        ("zintercard 2 s1 set1", ":2\r\n"),
        ("zintercard 2 s1 set1 limit 1", ":1\r\n"),
        ("set str v", "+OK\r\n"),
        ("zunion 2 s1 str", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("zunionstore dst 2 s1 set1 withscores", "-ERR syntax error\r\n"),
        ("zunionstore dst 2 s1 set1", ":5\r\n"),
        ("zinterstore dst 2 nokey s1", ":0\r\n"),
        ("exists dst", ":0\r\n"),
        ("zadd inf 1 a", ":1\r\n"),
        ("zadd ninf -inf a", ":1\r\n"),
        ("zunion 2 inf ninf weights inf 1 withscores", "*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
    ]);
}

#[test]
fn pops_random_members_and_scan() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    check(&mut c, &[
        ("zadd z 1 a 2 b 3 c", ":3\r\n"),
        ("zpopmin z abc", "-ERR value is out of range, must be positive\r\n"),
        ("zpopmin z -1", "-ERR value is out of range, must be positive\r\n"),
        ("zpopmin z 1 2", "-ERR syntax error\r\n"),
        ("zpopmin z", "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        ("zpopmax z 0", "*0\r\n"),
        ("zpopmax z 5", "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        ("exists z", ":0\r\n"),
        ("zpopmin nokey", "*0\r\n"),
        ("zmpop 0 z min", "-ERR numkeys should be greater than 0\r\n"),
        ("zmpop 1 z foo", "-ERR syntax error\r\n"),
        ("zmpop 1 z min count 0", "-ERR count should be greater than 0\r\n"),
        ("zmpop 1 nokey min", "*-1\r\n"),
        ("zadd s2 1 a 2 b", ":2\r\n"),
        ("zmpop 2 nokey s2 max count 10", "*2\r\n$2\r\ns2\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        ("bzpopmin z abc", "-ERR timeout is not a float or out of range\r\n"),
        ("bzpopmin z -1", "-ERR timeout is negative\r\n"),
        ("zadd s3 1 a", ":1\r\n"),
        ("bzpopmax nokey s3 0", "*3\r\n$2\r\ns3\r\n$1\r\na\r\n$1\r\n1\r\n"),
        ("zadd r 1 a 2 b", ":2\r\n"),
        ("zrandmember r abc", "-ERR value is not an integer or out of range\r\n"),
        ("zrandmember r 1 foo", "-ERR syntax error\r\n"),
        ("zrandmember r 9223372036854775807 withscores", "-ERR value is out of range\r\n"),
        ("zrandmember r 0", "*0\r\n"),
        ("zrandmember nokey", "$-1\r\n"),
        ("zrandmember nokey 5", "*0\r\n"),
        ("zrandmember r 5 withscores", "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        ("zadd big 4e18 a 1.5 b 1e300 c", ":3\r\n"),
        ("zscan big 0", "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\na\r\n$19\r\n4000000000000000000\r\n$1\r\nc\r\n$23\r\n1.0000000000000001e+300\r\n"),
        ("zscan big 0 match a", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$19\r\n4000000000000000000\r\n"),
        ("zscan big abc", "-ERR invalid cursor\r\n"),
        ("zscan nokey 0 foo", "*2\r\n$1\r\n0\r\n*0\r\n"),
        ("zscan big 0 count 0", "-ERR syntax error\r\n"),
        ("zscan big 0 type string", "-ERR syntax error\r\n"),
    ]);
    // Repeats allowed: three members drawn from {a, b}.
    let reply = c.cmd("zrandmember r -3");
    assert!(reply.starts_with("*3\r\n"), "{reply}");
}

#[test]
fn resp3_shapes() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    c.cmd("hello 3");
    check(
        &mut c,
        &[
            ("zadd z 1 a 2 b 1.5 d", ":3\r\n"),
            ("zscore z d", ",1.5\r\n"),
            ("zmscore z a nosuch", "*2\r\n,1\r\n_\r\n"),
            ("zincrby z 0.25 a", ",1.25\r\n"),
            (
                "zrange z 0 1 withscores",
                "*2\r\n*2\r\n$1\r\na\r\n,1.25\r\n*2\r\n$1\r\nd\r\n,1.5\r\n",
            ),
            (
                "zunion 1 z withscores",
                "*3\r\n*2\r\n$1\r\na\r\n,1.25\r\n*2\r\n$1\r\nd\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n",
            ),
            ("zpopmin z", "*2\r\n$1\r\na\r\n,1.25\r\n"),
            ("zpopmin z 1", "*1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n"),
            ("zpopmin nokey", "*0\r\n"),
            ("zmpop 1 nokey max", "_\r\n"),
            ("bzpopmin z 0", "*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2\r\n"),
            ("zrandmember nokey", "_\r\n"),
            ("zadd z incr inf a", ",inf\r\n"),
        ],
    );
}

#[test]
fn encodings_follow_thresholds_like_redis() {
    let server = common::start_server(&[]);
    let mut c = Raw::new(&server);
    let lp = "$8\r\nlistpack\r\n";
    let sl = "$8\r\nskiplist\r\n";
    check(
        &mut c,
        &[
            ("zadd small 1 a", ":1\r\n"),
            ("object encoding small", lp),
            ("config set zset-max-listpack-entries 3", "+OK\r\n"),
            ("config set zset-max-listpack-value 5", "+OK\r\n"),
            ("zadd e 1 a 2 b 3 c", ":3\r\n"),
            ("object encoding e", lp),
            ("zadd e 4 d", ":1\r\n"),
            ("object encoding e", sl),
            ("zrem e a b", ":2\r\n"),
            ("object encoding e", sl),
            ("zadd long 1 abcdef", ":1\r\n"),
            ("object encoding long", sl),
            ("zadd later 1 a 2 bcdefgh", ":2\r\n"),
            ("object encoding later", sl),
            ("zrangestore r1 e 0 -1", ":2\r\n"),
            ("object encoding r1", lp),
            ("zadd e 5 x 6 y", ":2\r\n"),
            ("zrangestore r2 e 0 -1", ":4\r\n"),
            ("object encoding r2", sl),
            ("zunionstore u1 1 later", ":2\r\n"),
            ("object encoding u1", sl),
            ("zinterstore u2 2 e e", ":4\r\n"),
            ("object encoding u2", sl),
            ("zdiffstore u3 2 e r2", ":0\r\n"),
            ("zunionstore u4 1 r1", ":2\r\n"),
            ("object encoding u4", lp),
            ("config set zset-max-listpack-entries 0", "+OK\r\n"),
            ("zadd zero 1 a", ":1\r\n"),
            ("object encoding zero", sl),
        ],
    );
}

#[test]
fn digests_match_redis() {
    let server = common::start_server(&["--enable-debug-command", "yes"]);
    let mut c = Raw::new(&server);
    c.cmd("zadd d1 1 a 2.5 b -0 c inf d 4e18 e");
    c.cmd("config set zset-max-listpack-entries 1");
    c.cmd("zadd d2 1 a 2.5 b -0 c inf d 4e18 e");
    c.cmd("config set zset-max-listpack-entries 128");
    check(&mut c, &[
        ("object encoding d2", "$8\r\nskiplist\r\n"),
        (
            "debug digest-value d1 d2",
            "*2\r\n+9fd04cf5f31a9cba572dc267830e502687253071\r\n+be8bbdbfee97f7d66469f2141b97cfc7ca654276\r\n",
        ),
        ("debug digest", "+ce110e5fd3f38a2f0311fbe6f499b4f7e3c261c2\r\n"),
    ]);
}

#[test]
fn blocking_pops_wake_on_write() {
    let server = common::start_server(&[]);
    let mut waiter = Raw::new(&server);
    let mut writer = Raw::new(&server);
    waiter.send(&["bzpopmin", "q1", "q2", "0"]);
    // Wait until the server has parked the client, then feed the second key.
    let parked = common::wait_until(Duration::from_secs(5), || {
        writer.cmd("info clients").contains("blocked_clients:1")
    });
    assert!(parked);
    assert_eq!(writer.cmd("zadd q2 5 m"), ":1\r\n");
    assert_eq!(
        waiter.read_reply(),
        "*3\r\n$2\r\nq2\r\n$1\r\nm\r\n$1\r\n5\r\n"
    );
    waiter.send(&["bzmpop", "0", "1", "q3", "max", "count", "2"]);
    let parked = common::wait_until(Duration::from_secs(5), || {
        writer.cmd("info clients").contains("blocked_clients:1")
    });
    assert!(parked);
    assert_eq!(writer.cmd("zadd q3 1 a 2 b 3 c"), ":3\r\n");
    assert_eq!(
        waiter.read_reply(),
        "*2\r\n$2\r\nq3\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(writer.cmd("zcard q3"), ":1\r\n");
}
