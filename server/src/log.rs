//! Redis-style log lines.
//!
//! Every line looks like Redis's `serverLog` output, so scripts that grep a Redis
//! log work unchanged:
//!
//! ```text
//! 4242:M 24 Nov 2026 19:43:57.271 * Ready to accept connections
//! ^pid ^role ^UTC date and time  ^level (. debug, - verbose, * notice, # warning)
//! ```
//!
//! The role letter is M for a master, S for a replica, C for a snapshot child (we
//! have none: background threads log as the process). Lines go to standard output
//! or to `logfile`, and lines below `loglevel` are dropped. Logging may happen from
//! any thread, hence the mutex; it is never on the per-command path.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;

use crate::config::LogLevel;

struct Sink {
    level: LogLevel,
    file: Option<std::fs::File>,
    role: char,
}

static SINK: Mutex<Sink> = Mutex::new(Sink {
    level: LogLevel::Notice,
    file: None,
    role: 'M',
});

/// Points the log at `logfile` (empty: standard output) with the given level.
pub fn configure(level: LogLevel, logfile: &str) -> std::io::Result<()> {
    let file = if logfile.is_empty() {
        None
    } else {
        Some(OpenOptions::new().create(true).append(true).open(logfile)?)
    };
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    sink.level = level;
    sink.file = file;
    Ok(())
}

/// Changes only the level (CONFIG SET loglevel).
pub fn set_level(level: LogLevel) {
    SINK.lock().unwrap_or_else(|e| e.into_inner()).level = level;
}

/// Sets the role letter (M or S) shown after the pid.
pub fn set_role(role: char) {
    SINK.lock().unwrap_or_else(|e| e.into_inner()).role = role;
}

fn level_char(level: LogLevel) -> char {
    match level {
        LogLevel::Debug => '.',
        LogLevel::Verbose => '-',
        LogLevel::Notice => '*',
        LogLevel::Warning => '#',
    }
}

/// Writes one line at `level` if the configured level lets it through.
/// `unix_ms` is the time to print (from the server's clock).
pub fn line(level: LogLevel, unix_ms: i64, message: &str) {
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    if level < sink.level {
        return;
    }
    let text = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        sink.role,
        format_time(unix_ms),
        level_char(level),
        message
    );
    write_out(&mut sink, &text);
}

/// Writes the signal handler's line, which Redis formats differently
/// (`pid:signal-handler (unixtime) message`).
pub fn signal_line(unix_s: i64, message: &str) {
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let text = format!(
        "{}:signal-handler ({unix_s}) {message}\n",
        std::process::id()
    );
    write_out(&mut sink, &text);
}

/// Writes text as is (the start-up banner).
pub fn raw(text: &str) {
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    write_out(&mut sink, text);
}

fn write_out(sink: &mut Sink, text: &str) {
    // A failing log write must not take the server down: Redis ignores it too.
    match sink.file.as_mut() {
        Some(f) => {
            let _ = f.write_all(text.as_bytes());
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
}

/// Formats unix milliseconds as Redis does: `24 Nov 2026 19:43:57.271` (UTC).
pub fn format_time(unix_ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{d:02} {} {y} {:02}:{:02}:{:02}.{ms:03}",
        MONTHS[(m - 1) as usize],
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), Howard Hinnant's
/// algorithm for the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_like_redis() {
        assert_eq!(format_time(0), "01 Jan 1970 00:00:00.000");
        // 2026-11-24 19:43:57.271 UTC
        assert_eq!(format_time(1_795_549_437_271), "24 Nov 2026 19:43:57.271");
        assert_eq!(format_time(951_782_400_000), "29 Feb 2000 00:00:00.000");
    }
}
