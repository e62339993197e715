//! The end-to-end harness: starts the real `redrill-server` binary on a free
//! loopback port, waits until it accepts connections, hands out `redis` crate
//! connections, and kills the process when the guard drops.
//!
//! Tests never sleep for timing: readiness and conditions are polled with a
//! deadline (`wait_until`). Tests that need Debian's redis tools ask `tool()`,
//! which skips with a printed reason when the tool is missing, or fails the test
//! when REDRILL_REQUIRE_TOOLS=1 (as `.ci/run` sets).
#![allow(dead_code, clippy::disallowed_methods)]

pub mod replicas;
pub mod tap;

use std::io::{Read, Write};

use redis::{Connection, Value};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Path of the server binary Cargo built for this test run.
pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_redrill-server");

/// A running server; killed on drop.
pub struct ServerGuard {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// The directory was made for this server alone and goes with it.
    owns_dir: bool,
    password: Option<String>,
}

/// A fresh, unique scratch directory under the system temp dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("redrill-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// Polls `cond` every 10 ms until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts the server with `args` (a config file path may come first, as with
/// redis-server), on a free port, in a scratch directory. Panics if it does not
/// accept connections within 10 s.
pub fn start_server(args: &[&str]) -> ServerGuard {
    let mut guard = start_server_in(&scratch_dir("srv"), args);
    guard.owns_dir = true;
    guard
}

/// Starts the server with `dir` as its working directory (`--dir`), so a
/// restart in the same directory finds the previous run's dump. The directory
/// outlives the server.
pub fn start_server_in(dir: &Path, args: &[&str]) -> ServerGuard {
    // Another test may grab the same free port between our probe and the
    // server's bind: then our server exits, and we try another port.
    for _ in 0..10 {
        if let Some(guard) = try_start(free_port(), args, dir.to_path_buf()) {
            return guard;
        }
    }
    panic!("redrill-server could not bind a free port in 10 tries");
}

/// Starts the server from a config file holding `contents` plus `args`.
pub fn start_server_with_config(contents: &str, args: &[&str]) -> ServerGuard {
    let dir = scratch_dir("conf");
    let path = dir.join("redis.conf");
    std::fs::write(&path, contents).expect("write config");
    let mut all = vec![path.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    start_server(&all)
}

/// Starts the server on `port` (`--port` is appended after `args`, so it wins
/// over a config file's port). Panics if it does not come up.
pub fn start_server_on(port: u16, args: &[&str]) -> ServerGuard {
    let mut guard = try_start(port, args, scratch_dir("srv"))
        .unwrap_or_else(|| panic!("redrill-server could not bind port {port}"));
    guard.owns_dir = true;
    guard
}

/// Starts the server on `port`; None when it exits because the port is taken.
fn try_start(port: u16, args: &[&str], dir: PathBuf) -> Option<ServerGuard> {
    let log = std::fs::File::create(dir.join("server.log")).expect("log file");
    let log2 = log.try_clone().expect("clone log");
    let mut cmd = Command::new(SERVER_BIN);
    cmd.args(args)
        .args([
            "--port",
            &port.to_string(),
            "--dir",
            dir.to_str().expect("utf-8"),
        ])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    let child = cmd.spawn().expect("spawn redrill-server");
    let password = args
        .iter()
        .position(|a| *a == "--requirepass")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.to_string());
    let mut guard = ServerGuard {
        child: Some(child),
        port,
        dir,
        owns_dir: false,
        password,
    };
    // Ready means *our* process logged it is listening: a bare connect could
    // reach another test's server that won a race for the same port.
    let mut exited = None;
    let up = wait_until(Duration::from_secs(10), || {
        if let Some(child) = guard.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                exited = Some(status);
                return true;
            }
        }
        guard.log().contains("Ready to accept connections")
    });
    if let Some(status) = exited {
        let log = guard.log();
        if log.contains("Address already in use") {
            return None;
        }
        panic!("redrill-server exited early ({status}); log:\n{log}");
    }
    assert!(up, "redrill-server did not start; log:\n{}", guard.log());
    Some(guard)
}

impl ServerGuard {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its working directory (`dir`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Sets the password later connections authenticate with.
    pub fn set_password(&mut self, password: &str) {
        self.password = Some(password.to_string());
    }

    /// A `redis` crate client for this server.
    pub fn client(&self) -> redis::Client {
        let url = match &self.password {
            Some(p) => format!("redis://:{}@127.0.0.1:{}/", urlencode(p), self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        };
        redis::Client::open(url).expect("client")
    }

    /// A new connection (authenticated when a password is known).
    pub fn connection(&self) -> redis::Connection {
        let con = self.client().get_connection().expect("connect");
        con.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        con
    }

    /// A raw TCP connection, for protocol-level tests.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s
    }

    /// Drops `freed` (a connection), then connects again once the server has
    /// noticed the close (retrying while it still answers max-clients errors).
    pub fn connection_after_drop(&self, freed: TcpStream) -> redis::Connection {
        drop(freed);
        let mut found = None;
        wait_until(Duration::from_secs(10), || {
            let Ok(mut con) = self.client().get_connection() else {
                return false;
            };
            if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                found = Some(con);
            }
            found.is_some()
        });
        found.expect("reconnect")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Sends SIGTERM and waits up to 10 s for the exit; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let child = self.child.as_mut()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits up to `timeout` for the process to exit by itself; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Finds a Debian redis tool (`redis-cli`, `redis-benchmark`, `redis-server`).
/// Missing: prints why the test is skipped and returns None, or panics when
/// REDRILL_REQUIRE_TOOLS=1.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("REDRILL_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{name} is required (REDRILL_REQUIRE_TOOLS=1) but not installed");
        }
        eprintln!("skipped: {name} is not installed (apt-get install redis-tools redis-server)");
    }
    found
}

/// Debian's redis-server on a free loopback port, for reference figures and
/// replies, or as a replica of a redrill master; it logs to `redis.log` in its
/// own directory, and is killed (and that directory removed) on drop.
pub struct RealRedis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RealRedis {
    /// Starts it with no persistence, DEBUG enabled and `args`; None (reason
    /// printed) when redis-server is not installed, as `tool` decides.
    pub fn start(args: &[&str]) -> Option<RealRedis> {
        let bin = tool("redis-server")?;
        // As in start_server_in: another test (or a client's ephemeral port)
        // may take the free port before redis-server binds it; it then exits,
        // and we try another.
        for _ in 0..10 {
            let port = free_port();
            let dir = scratch_dir("redis-ref");
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                .arg("--logfile")
                .arg(dir.join("redis.log"))
                .arg("--dir")
                .arg(&dir)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let mut redis = RealRedis { child, port, dir };
            let up = wait_until(Duration::from_secs(10), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
                    || matches!(redis.child.try_wait(), Ok(Some(_)))
            });
            match redis.child.try_wait() {
                Ok(None) if up => return Some(redis),
                Ok(None) => panic!("redis-server did not start on port {port}"),
                // It exited: the port was taken.
                _ => continue,
            }
        }
        panic!("redis-server could not bind a free port in 10 tries");
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `redis` crate connection to it.
    pub fn connection(&self) -> Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .expect("connect to redis-server")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    /// Kills it and waits for the exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs redis-cli with `args` against `port`; returns (stdout, stderr, success).
/// None when redis-cli is missing (the test should return early).
pub fn redis_cli(port: u16, args: &[&str]) -> Option<(String, String, bool)> {
    let cli = tool("redis-cli")?;
    let out = Command::new(cli)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-cli");
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    ))
}

/// Sends raw bytes and reads whatever arrives until `expect_len` bytes or EOF/timeout.
pub fn raw_exchange(stream: &mut TcpStream, request: &[u8], expect_len: usize) -> Vec<u8> {
    stream.write_all(request).expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < expect_len {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

// Small helpers the per-family suites share.

/// Runs a command given as words; the raw result.
pub fn cmd(con: &mut Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// Runs a command that must succeed; its reply.
pub fn ok(con: &mut Connection, args: &[&str]) -> Value {
    cmd(con, args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command that must fail; its error as Redis prints it (`CODE detail`).
pub fn err(con: &mut Connection, args: &[&str]) -> String {
    match cmd(con, args) {
        Err(e) => {
            let code = e.code().unwrap_or("").to_string();
            let detail = e.detail().unwrap_or("").to_string();
            format!("{code} {detail}").trim().to_string()
        }
        Ok(v) => panic!("{args:?}: expected an error, got {v:?}"),
    }
}

/// A bulk-string reply value.
pub fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// An integer reply value.
pub fn int(n: i64) -> Value {
    Value::Int(n)
}

/// Runs a command given as words, decoding the reply as `T`.
pub fn query<T: redis::FromRedisValue>(
    con: &mut redis::Connection,
    args: &[&str],
) -> redis::RedisResult<T> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
}

/// An error as Redis printed it: the redis crate splits `CODE detail`; join them.
pub fn err_text(e: redis::RedisError) -> String {
    // The redis crate splits "CODE detail"; put them back together.
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}
