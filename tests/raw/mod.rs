//! Raw RESP over TCP for the suites that must see exact bytes: push frames,
//! subscribe confirmations, null arrays. Also runs one script against the real
//! redis-server (when installed) and redrill, for byte-for-byte comparison.
#![allow(dead_code, clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A connection that sends commands and reads whole frames as raw bytes.
pub struct Raw {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Raw {
            writer: stream,
            reader,
        }
    }

    /// Sends one command as a RESP array of bulk strings.
    pub fn send(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.writer.write_all(&out).expect("write");
    }

    /// Reads one complete frame (nested ones included), as the bytes on the wire.
    pub fn frame(&mut self) -> String {
        let mut out = Vec::new();
        self.read_frame(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Sends a command and reads one frame.
    pub fn call(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.frame()
    }

    fn read_frame(&mut self, out: &mut Vec<u8>) {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read line");
        assert!(
            line.ends_with(b"\r\n"),
            "truncated frame: {:?}",
            String::from_utf8_lossy(&line)
        );
        out.extend_from_slice(&line);
        let n: i64 = String::from_utf8_lossy(&line[1..line.len() - 2])
            .parse()
            .unwrap_or(0);
        match line[0] {
            b'$' | b'=' if n >= 0 => {
                let mut body = vec![0u8; n as usize + 2];
                self.reader.read_exact(&mut body).expect("read bulk");
                out.extend_from_slice(&body);
            }
            b'*' | b'>' | b'~' => (0..n).for_each(|_| self.read_frame(out)),
            b'%' => (0..2 * n).for_each(|_| self.read_frame(out)),
            _ => {}
        }
    }
}

/// Runs `script` on one fresh connection to `port` and returns everything it
/// answered. A RESET and an ECHO mark the end, so scripts may leave the
/// connection subscribed or inside MULTI.
pub fn run_script(port: u16, script: &[&[&str]]) -> String {
    let mut raw = Raw::connect(port);
    for cmd in script {
        raw.send(cmd);
    }
    raw.send(&["RESET"]);
    raw.send(&["ECHO", "--end--"]);
    let mut all = String::new();
    loop {
        let frame = raw.frame();
        if frame == "$7\r\n--end--\r\n" {
            return all;
        }
        all.push_str(&frame);
    }
}
