//! A replica on a raw socket, for reading the propagation stream in tests.
//!
//! It attaches as `redis-cli --replica` does (REPLCONF capa eof, REPLCONF
//! rdb-filter-only "", SYNC) or, with [`StreamTap::attach_full`], as an old
//! replica that wants the whole snapshot (plain SYNC), then parses the
//! commands the master sends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection that receives the replication stream.
pub struct StreamTap {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl StreamTap {
    /// Attaches without data, like `redis-cli --replica`.
    pub fn attach(port: u16) -> StreamTap {
        let mut tap = StreamTap::connect(port);
        tap.send(&["REPLCONF", "capa", "eof"]);
        assert_eq!(tap.line(), "+OK");
        tap.send(&["REPLCONF", "rdb-filter-only", ""]);
        assert_eq!(tap.line(), "+OK");
        tap.send(&["SYNC"]);
        tap.snapshot();
        tap
    }

    /// Attaches with plain SYNC and returns the snapshot the master sent.
    pub fn attach_full(port: u16) -> (StreamTap, Vec<u8>) {
        let mut tap = StreamTap::connect(port);
        tap.send(&["SYNC"]);
        let rdb = tap.snapshot();
        (tap, rdb)
    }

    fn connect(port: u16) -> StreamTap {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect tap");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        StreamTap {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends one command as a multibulk.
    pub fn send(&mut self, argv: &[&str]) {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.stream.write_all(&out).expect("tap write");
    }

    /// Reads until `buf` holds at least `n` bytes or 20 s pass.
    fn fill(&mut self, n: usize, deadline: Instant) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        while self.buf.len() < n {
            if Instant::now() >= deadline {
                return false;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("tap read: {e}"),
            }
        }
        true
    }

    /// One CRLF-terminated line (without the CRLF); blank keep-alive lines skipped.
    fn line(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                if text.is_empty() {
                    continue;
                }
                return text;
            }
            let want = self.buf.len() + 1;
            assert!(self.fill(want, deadline), "no line from the master");
        }
    }

    /// Reads `$<len>\r\n` and the snapshot's bytes.
    fn snapshot(&mut self) -> Vec<u8> {
        let header = self.line();
        let len: usize = header
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("expected a bulk header, got {header:?}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        assert!(self.fill(len, deadline), "snapshot cut short");
        self.buf.drain(..len).collect()
    }

    /// The next command in the stream, PINGs included; None after `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<Vec<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((argv, used)) = parse_multibulk(&self.buf) {
                self.buf.drain(..used);
                return Some(argv);
            }
            let want = self.buf.len() + 1;
            if !self.fill(want, deadline) {
                return None;
            }
        }
    }

    /// Commands up to and including the first that `stop` accepts, PINGs left
    /// out; panics if none arrives within `timeout`.
    pub fn until(
        &mut self,
        timeout: Duration,
        mut stop: impl FnMut(&[String]) -> bool,
    ) -> Vec<Vec<String>> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(argv) = self.next(left) else {
                panic!("stream ended or stalled; saw {seen:?}");
            };
            if argv.len() == 1 && argv[0].eq_ignore_ascii_case("ping") {
                continue;
            }
            let done = stop(&argv);
            seen.push(argv);
            if done {
                return seen;
            }
        }
    }
}

/// Parses one multibulk at the start of `buf` (leading newlines skipped):
/// the arguments (lossy UTF-8) and the bytes used, or None if incomplete.
fn parse_multibulk(buf: &[u8]) -> Option<(Vec<String>, usize)> {
    let mut pos = buf.iter().position(|&b| b != b'\n')?;
    let read_line = |pos: &mut usize| -> Option<String> {
        let rest = buf.get(*pos..)?;
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        *pos += end + 2;
        Some(text)
    };
    let head = read_line(&mut pos)?;
    let count: usize = head
        .strip_prefix('*')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a multibulk: {head:?}"));
    let mut argv = Vec::with_capacity(count);
    for _ in 0..count {
        let len_line = read_line(&mut pos)?;
        let len: usize = len_line
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a bulk: {len_line:?}"));
        let arg = buf.get(pos..pos + len)?;
        argv.push(String::from_utf8_lossy(arg).into_owned());
        pos += len + 2;
        if buf.len() < pos {
            return None;
        }
    }
    Some((argv, pos))
}
