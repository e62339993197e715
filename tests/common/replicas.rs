//! Replicas of a redrill master, for the replication suite: a real
//! redis-server started with `--replicaof`, `redis-cli --replica` with the
//! stream it prints, and the INFO fields that tell when a replica caught up.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use redis::Connection;

use super::{tool, wait_until, RealRedis};

/// The value of `field` in INFO `section`, if present.
pub fn info_field(con: &mut Connection, section: &str, field: &str) -> Option<String> {
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query(con)
        .unwrap_or_else(|e| panic!("INFO {section}: {e}"));
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}

/// A numeric INFO field; panics when it is missing or not a number.
pub fn info_u64(con: &mut Connection, section: &str, field: &str) -> u64 {
    let v =
        info_field(con, section, field).unwrap_or_else(|| panic!("INFO {section} has no {field}"));
    v.parse()
        .unwrap_or_else(|_| panic!("INFO {section} {field} is not a number: {v:?}"))
}

/// `DEBUG DIGEST` of a server.
pub fn digest(con: &mut Connection) -> String {
    redis::cmd("DEBUG")
        .arg("DIGEST")
        .query(con)
        .expect("DEBUG DIGEST")
}

/// Waits until `replica` has its link up and has processed the master's whole
/// stream (its `master_repl_offset` equals the master's); false on timeout.
pub fn wait_caught_up(
    master: &mut Connection,
    replica: &mut Connection,
    timeout: Duration,
) -> bool {
    wait_until(timeout, || {
        let want = info_u64(master, "replication", "master_repl_offset");
        info_field(replica, "replication", "master_link_status").as_deref() == Some("up")
            && info_u64(replica, "replication", "master_repl_offset") == want
    })
}

/// A real redis-server replicating from a master on this host (a
/// [`RealRedis`] started with `--replicaof`), with what the replication suite
/// needs of it: its log, to read why it resynced, and signals, to pause it.
pub struct RedisReplica(RealRedis);

impl RedisReplica {
    /// Starts redis-server with `--replicaof 127.0.0.1 <master_port>`, no
    /// persistence, DEBUG enabled, and `args`. None (reason printed) when
    /// redis-server is not installed, as `tool` decides.
    pub fn start(master_port: u16, args: &[&str]) -> Option<RedisReplica> {
        let master_port = master_port.to_string();
        let mut all = vec!["--replicaof", "127.0.0.1", master_port.as_str()];
        all.extend_from_slice(args);
        RealRedis::start(&all).map(RedisReplica)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.0.pid()
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.0.log()
    }

    /// A `redis` crate connection to it, patient with a replica busy loading.
    pub fn connection(&self) -> Connection {
        let con = self.0.connection();
        con.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        con
    }

    /// Sends the process a signal (`STOP`, `CONT`, `KILL`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Kills it and waits for the exit.
    pub fn kill(&mut self) {
        self.0.kill();
    }
}

/// `redis-cli --replica` attached to a master: what it prints, a line at a
/// time (stdout: the stream as CSV, `"SET","k","v"`; stderr lines come
/// prefixed with `stderr: `). Killed on drop.
pub struct CliReplica {
    child: Child,
    lines: Receiver<String>,
    /// Every line received so far, in order.
    pub seen: Vec<String>,
}

impl CliReplica {
    /// Spawns `redis-cli --replica` against `port` and waits until it reports
    /// its sync done. None when redis-cli is missing.
    pub fn start(port: u16) -> Option<CliReplica> {
        let cli = tool("redis-cli")?;
        let mut child = Command::new(cli)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--replica"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn redis-cli --replica");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx2.send(format!("stderr: {line}")).is_err() {
                    break;
                }
            }
        });
        let mut cli = CliReplica {
            child,
            lines,
            seen: Vec::new(),
        };
        cli.until(Duration::from_secs(20), |l| {
            l.starts_with("stderr: SYNC done")
        });
        Some(cli)
    }

    /// Lines up to and including the first that `stop` accepts; panics with
    /// what it saw if none arrives within `timeout`.
    pub fn until(&mut self, timeout: Duration, mut stop: impl FnMut(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let done = stop(&line);
                    got.push(line);
                    if done {
                        return got;
                    }
                }
                Err(_) => panic!("redis-cli --replica stalled or exited; saw {got:?}"),
            }
        }
    }
}

impl Drop for CliReplica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
