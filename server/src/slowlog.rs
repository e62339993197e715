//! The slow log: the latest commands whose execution took longer than
//! `slowlog-log-slower-than` microseconds, as Redis's `slowlog.c` keeps them.
//!
//! After every command the dispatcher calls [`SlowLog::record`] with the time the
//! handler took. Only execution time counts, never the time spent reading the
//! request or writing the reply: a slow network does not fill the slow log, a
//! `KEYS *` on a big keyspace does. The threshold is read at every call so that
//! `CONFIG SET` takes effect at once: negative disables the log, 0 logs every
//! command. Entries live newest first and the log is trimmed to `slowlog-max-len`
//! after every call, so lowering the limit takes effect at the next command.
//!
//! Like Redis, an entry does not keep arbitrarily large requests alive: at most
//! [`MAX_ARGC`] arguments are kept (the last slot says how many more there were)
//! and each argument is cut to [`MAX_STRING`] bytes (with a note of how many bytes
//! were dropped). Ids increase by one per entry and survive `SLOWLOG RESET`, so a
//! monitoring script can tell new entries from ones it has already seen.

use std::collections::VecDeque;

use bytes::Bytes;

/// At most this many arguments are stored per entry (Redis's SLOWLOG_ENTRY_MAX_ARGC).
pub const MAX_ARGC: usize = 32;

/// Arguments longer than this many bytes are truncated (SLOWLOG_ENTRY_MAX_STRING).
pub const MAX_STRING: usize = 128;

/// One logged command, as SLOWLOG GET shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowLogEntry {
    /// Unique, increasing id.
    pub id: u64,
    /// Unix time in seconds at which the command finished.
    pub time_unix_s: i64,
    /// Execution time in microseconds.
    pub duration_us: u64,
    /// The command and its arguments, truncated as described in the module header.
    pub args: Vec<Bytes>,
    /// The client's `ip:port`.
    pub peer: String,
    /// The client's name (CLIENT SETNAME), empty when it has none.
    pub client_name: Bytes,
}

/// Entries of commands slower than `slowlog-log-slower-than`, newest first.
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<SlowLogEntry>,
    next_id: u64,
}

impl SlowLog {
    /// Logs a command that took `duration_us` if it reaches `threshold_us`
    /// (negative: the slow log is off), then trims the log to `max_len` entries.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        now_unix_s: i64,
        duration_us: u64,
        args: &[Bytes],
        peer: &str,
        client_name: &[u8],
        threshold_us: i64,
        max_len: u64,
    ) {
        if threshold_us < 0 {
            return;
        }
        if duration_us >= threshold_us.unsigned_abs() {
            let entry = SlowLogEntry {
                id: self.next_id,
                time_unix_s: now_unix_s,
                duration_us,
                args: truncated_args(args),
                peer: peer.to_string(),
                client_name: Bytes::copy_from_slice(client_name),
            };
            self.next_id += 1;
            self.entries.push_front(entry);
        }
        let max_len = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.entries.truncate(max_len);
    }

    /// Entries, newest first.
    pub fn entries(&self) -> impl Iterator<Item = &SlowLogEntry> {
        self.entries.iter()
    }

    /// Number of entries (SLOWLOG LEN).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every entry (SLOWLOG RESET); ids keep increasing afterwards.
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

/// Copies the arguments worth keeping: the first 31 plus a note when there are
/// more than 32, each cut to 128 bytes plus a note. Copying (rather than keeping
/// the request's `Bytes`) stops a small log entry from pinning a large buffer.
fn truncated_args(args: &[Bytes]) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(kept);
    for (i, arg) in args.iter().take(kept).enumerate() {
        if kept < args.len() && i == kept - 1 {
            let more = args.len() - kept + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if arg.len() > MAX_STRING {
            let mut cut = Vec::with_capacity(MAX_STRING + 32);
            cut.extend_from_slice(&arg[..MAX_STRING]);
            let more = arg.len() - MAX_STRING;
            cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            out.push(Bytes::from(cut));
        } else {
            out.push(Bytes::copy_from_slice(arg));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(parts: &[&str]) -> Vec<Bytes> {
        parts.iter().map(|p| Bytes::from(p.to_string())).collect()
    }

    fn record(log: &mut SlowLog, duration_us: u64, threshold_us: i64, max_len: u64) {
        log.record(
            1_700_000_000,
            duration_us,
            &argv(&["get", "k"]),
            "127.0.0.1:5000",
            b"",
            threshold_us,
            max_len,
        );
    }

    #[test]
    fn threshold_negative_disables_zero_logs_everything() {
        let mut log = SlowLog::default();
        record(&mut log, 1_000_000, -1, 128);
        assert!(log.is_empty());
        record(&mut log, 0, 0, 128);
        assert_eq!(log.len(), 1);
        record(&mut log, 9_999, 10_000, 128);
        assert_eq!(log.len(), 1);
        record(&mut log, 10_000, 10_000, 128);
        assert_eq!(log.len(), 2);
    }

    #[test]
    fn ids_increase_newest_first_and_survive_reset() {
        let mut log = SlowLog::default();
        for _ in 0..3 {
            record(&mut log, 5, 0, 128);
        }
        let ids: Vec<u64> = log.entries().map(|e| e.id).collect();
        assert_eq!(ids, vec![2, 1, 0]);
        log.reset();
        assert!(log.is_empty());
        record(&mut log, 5, 0, 128);
        assert_eq!(log.entries().next().map(|e| e.id), Some(3));
    }

    #[test]
    fn max_len_keeps_the_newest_and_applies_even_without_a_new_entry() {
        let mut log = SlowLog::default();
        for _ in 0..10 {
            record(&mut log, 5, 0, 4);
        }
        assert_eq!(log.len(), 4);
        assert_eq!(log.entries().last().map(|e| e.id), Some(6));
        // A lowered limit trims at the next command, even a fast one.
        record(&mut log, 1, 100, 2);
        assert_eq!(log.len(), 2);
        record(&mut log, 5, 0, 0);
        assert!(log.is_empty());
    }

    #[test]
    fn long_requests_are_truncated_like_redis() {
        let mut log = SlowLog::default();
        let mut args = vec![Bytes::from_static(b"mset")];
        for i in 0..40 {
            args.push(Bytes::from(format!("v{i}")));
        }
        args[1] = Bytes::from(vec![b'x'; 200]);
        log.record(1, 5, &args, "1.2.3.4:5", b"app", 0, 128);
        let entry = log.entries().next().expect("entry");
        assert_eq!(entry.args.len(), MAX_ARGC);
        let expected_first = format!("{}... (72 more bytes)", "x".repeat(128));
        assert_eq!(entry.args[1], Bytes::from(expected_first));
        // 41 arguments, 31 kept: the last slot accounts for the other 10.
        assert_eq!(
            entry.args[31],
            Bytes::from_static(b"... (10 more arguments)")
        );
        assert_eq!(entry.args[30], Bytes::from_static(b"v29"));
        assert_eq!(entry.client_name, Bytes::from_static(b"app"));
        assert_eq!(entry.peer, "1.2.3.4:5");
    }

    #[test]
    fn exactly_max_argc_and_max_string_are_kept_whole() {
        let mut log = SlowLog::default();
        let args: Vec<Bytes> = (0..MAX_ARGC)
            .map(|_| Bytes::from(vec![b'a'; MAX_STRING]))
            .collect();
        log.record(1, 5, &args, "p", b"", 0, 128);
        assert_eq!(log.entries().next().map(|e| e.args.clone()), Some(args));
    }
}
