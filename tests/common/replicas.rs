//! Replicas of a redrill master, for the replication suite: a real
//! redis-server started with `--replicaof`, `redis-cli --replica` with the
//! stream it prints, and the INFO fields that tell when a replica caught up.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use redis::Connection;

use super::{free_port, scratch_dir, tool, wait_until};

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

/// A real redis-server replicating from a master on this host; killed (and its
/// directory removed) on drop. Unlike `RealRedis` it keeps a log file and
/// exposes its pid, so a test can read why it resynced or pause it.
pub struct RedisReplica {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisReplica {
    /// Starts redis-server with `--replicaof 127.0.0.1 <master_port>`, no
    /// persistence, DEBUG enabled, and `args`. None (reason printed) when
    /// redis-server is not installed, as `tool` decides.
    pub fn start(master_port: u16, args: &[&str]) -> Option<RedisReplica> {
        let bin = tool("redis-server")?;
        for _ in 0..10 {
            let port = free_port();
            let dir = scratch_dir("replica");
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                .args(["--replicaof", "127.0.0.1", &master_port.to_string()])
                .arg("--logfile")
                .arg(dir.join("replica.log"))
                .arg("--dir")
                .arg(&dir)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let mut replica = RedisReplica { child, port, dir };
            let up = wait_until(Duration::from_secs(10), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
                    || matches!(replica.child.try_wait(), Ok(Some(_)))
            });
            match replica.child.try_wait() {
                Ok(None) if up => return Some(replica),
                Ok(None) => panic!("redis-server replica did not start on port {port}"),
                // It exited: the port was taken.
                _ => continue,
            }
        }
        panic!("redis-server replica could not bind a free port in 10 tries");
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("replica.log")).unwrap_or_default()
    }

    /// A `redis` crate connection to it.
    pub fn connection(&self) -> Connection {
        let con = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .expect("connect to the replica");
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisReplica {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
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
