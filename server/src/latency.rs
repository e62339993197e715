//! The latency monitor: per-event histories of latency spikes, as Redis's
//! `latency.c` keeps them for the LATENCY command.
//!
//! Code paths that can stall the command thread (running a command, an active
//! expiry cycle, an AOF write or fsync, eviction, ...) measure how long they took
//! and call [`LatencyMonitor::add_sample_if_needed`] with an event name. Nothing is
//! recorded unless `latency-monitor-threshold` is non-zero and the latency reaches
//! it, so an idle monitor costs one comparison.
//!
//! Each event keeps a ring of the last [`HISTORY_LEN`] samples, at most one per
//! second: a second spike within the same second only raises that second's
//! sample, which keeps the history a time series an operator can graph. Besides
//! the ring, each event remembers its all-time maximum until LATENCY RESET.
//!
//! The reports (LATENCY DOCTOR's text and LATENCY GRAPH's ASCII chart) are built
//! here as plain strings; the command file only wraps them in RESP.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const HISTORY_LEN: usize = 160;

/// A non-fast command ran (Redis's event name).
pub const EVENT_COMMAND: &str = "command";
/// A command flagged `fast` ran.
pub const EVENT_FAST_COMMAND: &str = "fast-command";
/// One run of the active expiry cycle.
pub const EVENT_EXPIRE_CYCLE: &str = "expire-cycle";
/// One eviction pass to get under `maxmemory`.
pub const EVENT_EVICTION_CYCLE: &str = "eviction-cycle";
/// Deleting one evicted key.
pub const EVENT_EVICTION_DEL: &str = "eviction-del";
/// An AOF write(2) while an fsync is still pending in the background.
pub const EVENT_AOF_WRITE_PENDING_FSYNC: &str = "aof-write-pending-fsync";
/// An AOF write(2) while a child (rewrite, snapshot) is active.
pub const EVENT_AOF_WRITE_ACTIVE_CHILD: &str = "aof-write-active-child";
/// An AOF write(2) with nothing else going on.
pub const EVENT_AOF_WRITE_ALONE: &str = "aof-write-alone";
/// The fsync done inline under `appendfsync always`.
pub const EVENT_AOF_FSYNC_ALWAYS: &str = "aof-fsync-always";
/// Renaming the rewritten AOF into place.
pub const EVENT_AOF_RENAME: &str = "aof-rename";
/// Starting a snapshot (Redis forks here; redrill freezes its segments).
pub const EVENT_FORK: &str = "fork";

/// One point of an event's history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencySample {
    /// Unix seconds of the sample (0: empty slot).
    pub time_unix_s: i64,
    /// Worst latency seen in that second, milliseconds.
    pub latency_ms: u64,
}

/// The history of one event: a ring of samples and the all-time maximum.
#[derive(Clone, Debug)]
pub struct EventHistory {
    samples: [LatencySample; HISTORY_LEN],
    /// Slot the next new second goes to.
    next: usize,
    /// Highest latency since the event was created or reset, milliseconds.
    pub max_ms: u64,
}

impl EventHistory {
    fn new() -> EventHistory {
        EventHistory {
            samples: [LatencySample::default(); HISTORY_LEN],
            next: 0,
            max_ms: 0,
        }
    }

    fn add(&mut self, now_unix_s: i64, latency_ms: u64) {
        self.max_ms = self.max_ms.max(latency_ms);
        let previous = (self.next + HISTORY_LEN - 1) % HISTORY_LEN;
        let last = &mut self.samples[previous];
        if last.time_unix_s == now_unix_s {
            last.latency_ms = last.latency_ms.max(latency_ms);
            return;
        }
        self.samples[self.next] = LatencySample {
            time_unix_s: now_unix_s,
            latency_ms,
        };
        self.next = (self.next + 1) % HISTORY_LEN;
    }

    /// Recorded samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = LatencySample> + '_ {
        (0..HISTORY_LEN)
            .map(move |i| self.samples[(self.next + i) % HISTORY_LEN])
            .filter(|s| s.time_unix_s != 0)
    }

    /// The most recent sample (an empty one if none was ever taken).
    pub fn latest(&self) -> LatencySample {
        self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN]
    }

    /// Count, average, mean absolute deviation, min, max and the period covered.
    pub fn stats(&self, now_unix_s: i64) -> EventStats {
        let mut stats = EventStats::default();
        let mut sum: u64 = 0;
        let mut oldest = i64::MAX;
        for s in self.samples() {
            if stats.samples == 0 {
                stats.min_ms = s.latency_ms;
                stats.max_ms = s.latency_ms;
            }
            stats.samples += 1;
            stats.min_ms = stats.min_ms.min(s.latency_ms);
            stats.max_ms = stats.max_ms.max(s.latency_ms);
            sum = sum.saturating_add(s.latency_ms);
            oldest = oldest.min(s.time_unix_s);
        }
        if stats.samples == 0 {
            return stats;
        }
        stats.avg_ms = sum / stats.samples;
        // A period of 0 would make "one spike every N seconds" divide by zero.
        stats.period_s = now_unix_s.saturating_sub(oldest).max(1);
        let deviation: u64 = self
            .samples()
            .map(|s| s.latency_ms.abs_diff(stats.avg_ms))
            .fold(0, u64::saturating_add);
        stats.mad_ms = deviation / stats.samples;
        stats
    }
}

/// Summary of one event's history, for LATENCY DOCTOR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventStats {
    /// Number of samples in the history.
    pub samples: u64,
    /// Average latency, milliseconds.
    pub avg_ms: u64,
    /// Mean absolute deviation from the average, milliseconds.
    pub mad_ms: u64,
    /// Lowest sample, milliseconds.
    pub min_ms: u64,
    /// Highest sample, milliseconds.
    pub max_ms: u64,
    /// Seconds from the oldest sample to now (at least 1 when there are samples).
    pub period_s: i64,
}

/// Latency events above `latency-monitor-threshold`, by event name.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    events: BTreeMap<String, EventHistory>,
}

impl LatencyMonitor {
    /// Records `latency_ms` for `event` when monitoring is on (`threshold_ms` > 0)
    /// and the latency reaches the threshold.
    pub fn add_sample_if_needed(
        &mut self,
        event: &str,
        now_unix_s: i64,
        latency_ms: u64,
        threshold_ms: u64,
    ) {
        if threshold_ms == 0 || latency_ms < threshold_ms {
            return;
        }
        self.add_sample(event, now_unix_s, latency_ms);
    }

    /// Records a sample unconditionally (Redis's `latencyAddSample`).
    pub fn add_sample(&mut self, event: &str, now_unix_s: i64, latency_ms: u64) {
        if let Some(history) = self.events.get_mut(event) {
            history.add(now_unix_s, latency_ms);
            return;
        }
        let mut history = EventHistory::new();
        history.add(now_unix_s, latency_ms);
        self.events.insert(event.to_string(), history);
    }

    /// The history of `event` (names match exactly, as in Redis).
    pub fn history(&self, event: &[u8]) -> Option<&EventHistory> {
        let name = std::str::from_utf8(event).ok()?;
        self.events.get(name)
    }

    /// Every event with its history, in name order.
    pub fn events(&self) -> impl Iterator<Item = (&str, &EventHistory)> {
        self.events.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of events with data.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when no event has data.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Forgets every event; returns how many there were.
    pub fn reset_all(&mut self) -> usize {
        let count = self.events.len();
        self.events.clear();
        count
    }

    /// Forgets the events named `event`, compared case-insensitively like
    /// Redis's LATENCY RESET; returns how many were removed.
    pub fn reset_event(&mut self, event: &[u8]) -> usize {
        let before = self.events.len();
        self.events
            .retain(|name, _| !name.as_bytes().eq_ignore_ascii_case(event));
        before - self.events.len()
    }
}

/// Width of LATENCY GRAPH's chart, in columns (Redis's LATENCY_GRAPH_COLS).
pub const GRAPH_COLUMNS: usize = 80;

/// Height of the chart, in text rows.
const GRAPH_ROWS: usize = 4;

/// Marks from the bottom of a cell to its top: a sample whose bar ends inside a
/// row shows one of these; rows fully below the bar's end show `|`.
const GRAPH_MARKS: [u8; 3] = [b'_', b'o', b'#'];

/// LATENCY GRAPH: a header, a rule, then one column per sample, scaled between
/// the lowest and highest sample, each labelled vertically with its age.
pub fn graph(event: &str, history: &EventHistory, now_unix_s: i64) -> String {
    let samples: Vec<LatencySample> = history.samples().collect();
    let low = samples.iter().map(|s| s.latency_ms).min().unwrap_or(0);
    let high = samples.iter().map(|s| s.latency_ms).max().unwrap_or(0);
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n",
        history.max_ms
    );
    out.push_str(&"-".repeat(GRAPH_COLUMNS));
    out.push('\n');
    for (i, chunk) in samples.chunks(GRAPH_COLUMNS).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_chunk(&mut out, chunk, low, high, now_unix_s);
    }
    out
}

/// Draws up to GRAPH_COLUMNS samples: GRAPH_ROWS rows of bars, a blank line,
/// then the age labels written top to bottom.
fn render_chunk(out: &mut String, chunk: &[LatencySample], low: u64, high: u64, now: i64) {
    let levels = (GRAPH_ROWS * GRAPH_MARKS.len()) as u64;
    let span = (high - low).max(1);
    // Level 0..levels-1: where the top of each bar falls.
    let tops: Vec<usize> = chunk
        .iter()
        .map(|s| (((s.latency_ms - low) * levels / span).min(levels - 1)) as usize)
        .collect();
    for row in 0..GRAPH_ROWS {
        let floor = (GRAPH_ROWS - 1 - row) * GRAPH_MARKS.len();
        let line: Vec<u8> = tops
            .iter()
            .map(|&top| match top.checked_sub(floor) {
                None => b' ',
                Some(k) => GRAPH_MARKS.get(k).copied().unwrap_or(b'|'),
            })
            .collect();
        out.push_str(&String::from_utf8_lossy(&line));
        out.push('\n');
    }
    let labels: Vec<String> = chunk
        .iter()
        .map(|s| age_label(now - s.time_unix_s))
        .collect();
    let tallest = labels.iter().map(String::len).max().unwrap_or(0);
    out.push_str(&" ".repeat(chunk.len()));
    out.push('\n');
    for row in 0..tallest {
        for label in &labels {
            out.push(label.as_bytes().get(row).map_or(' ', |&b| char::from(b)));
        }
        out.push('\n');
    }
}

/// How long ago a sample was taken, in the largest whole unit: `12s`, `5m`, `3h`, `2d`.
fn age_label(elapsed_s: i64) -> String {
    let elapsed_s = elapsed_s.max(0);
    match elapsed_s {
        0..=59 => format!("{elapsed_s}s"),
        60..=3599 => format!("{}m", elapsed_s / 60),
        3600..=86_399 => format!("{}h", elapsed_s / 3600),
        _ => format!("{}d", elapsed_s / 86_400),
    }
}

/// The settings LATENCY DOCTOR's advice depends on.
#[derive(Clone, Copy, Debug, Default)]
pub struct DoctorSettings {
    /// `latency-monitor-threshold`, milliseconds.
    pub latency_monitor_threshold_ms: u64,
    /// `slowlog-log-slower-than`, microseconds.
    pub slowlog_log_slower_than_us: i64,
    /// `hz`.
    pub hz: u32,
    /// True under `appendfsync always`.
    pub appendfsync_always: bool,
}

/// Advice the doctor can give, each at most once, in this order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Advice {
    EnableSlowlog,
    TuneSlowlog,
    InspectSlowlog,
    CpuStarved,
    LocalDisk,
    FasterDisk,
    DiskContention,
    NoFsyncOnRewrite,
    RelaxFsync,
    HigherHz,
    LargeObjects,
    MassEviction,
    SnapshotStart,
}

/// LATENCY DOCTOR: a plain-English report on every event, then advice.
pub fn doctor_report(
    monitor: &LatencyMonitor,
    settings: DoctorSettings,
    now_unix_s: i64,
) -> String {
    if monitor.is_empty() && settings.latency_monitor_threshold_ms == 0 {
        return "Latency monitoring is off on this instance, so there is nothing to \
                diagnose yet. Turn it on with 'CONFIG SET latency-monitor-threshold \
                <milliseconds>' and ask again once the server has been busy for a while.\n"
            .to_string();
    }
    if monitor.is_empty() {
        return "No latency spike has been recorded since monitoring started (or since \
                the last LATENCY RESET). All quiet on the command thread.\n"
            .to_string();
    }
    let mut out = String::from(
        "Latency spikes were recorded on this instance. Here is what each event looks like:\n\n",
    );
    let mut advice = std::collections::BTreeSet::new();
    for (n, (event, history)) in monitor.events().enumerate() {
        let s = history.stats(now_unix_s);
        let _ = writeln!(
            out,
            "{}. {event}: {} spikes, average {} ms, mean deviation {} ms, one spike \
             every {:.2} s on average. Worst since reset: {} ms.",
            n + 1,
            s.samples,
            s.avg_ms,
            s.mad_ms,
            s.period_s as f64 / s.samples.max(1) as f64,
            history.max_ms
        );
        advice.extend(advice_for(event, settings));
    }
    out.push_str("\nSuggestions:\n\n");
    for item in advice {
        out.push_str(&advice_text(item, settings));
    }
    out
}

/// Which advice an event calls for, given the settings in force.
fn advice_for(event: &str, settings: DoctorSettings) -> Vec<Advice> {
    use Advice::*;
    let slowlog_below_threshold = settings.slowlog_log_slower_than_us / 1000
        > i64::try_from(settings.latency_monitor_threshold_ms).unwrap_or(i64::MAX);
    match event.to_ascii_lowercase().as_str() {
        EVENT_COMMAND if settings.slowlog_log_slower_than_us < 0 => {
            vec![EnableSlowlog, InspectSlowlog, LargeObjects]
        }
        EVENT_COMMAND if slowlog_below_threshold => vec![TuneSlowlog, InspectSlowlog, LargeObjects],
        EVENT_COMMAND => vec![InspectSlowlog, LargeObjects],
        EVENT_FAST_COMMAND => vec![CpuStarved],
        EVENT_AOF_WRITE_PENDING_FSYNC => vec![LocalDisk, DiskContention, FasterDisk],
        EVENT_AOF_WRITE_ACTIVE_CHILD => vec![NoFsyncOnRewrite, FasterDisk],
        EVENT_AOF_WRITE_ALONE => vec![LocalDisk, FasterDisk],
        EVENT_AOF_FSYNC_ALWAYS if settings.appendfsync_always => vec![RelaxFsync],
        "aof-fstat" | "rdb-unlink-temp-file" => vec![DiskContention, LocalDisk],
        "aof-rewrite-diff-write" | EVENT_AOF_RENAME => vec![LocalDisk, FasterDisk],
        EVENT_EXPIRE_CYCLE if settings.hz < 100 => vec![HigherHz, LargeObjects],
        EVENT_EXPIRE_CYCLE | EVENT_EVICTION_DEL => vec![LargeObjects],
        EVENT_EVICTION_CYCLE => vec![MassEviction],
        EVENT_FORK => vec![SnapshotStart],
        _ => Vec::new(),
    }
}

/// The words for one piece of advice.
fn advice_text(advice: Advice, settings: DoctorSettings) -> String {
    let suggested_us = settings.latency_monitor_threshold_ms.saturating_mul(1000);
    let text = match advice {
        Advice::EnableSlowlog => format!(
            "The slow log is off, so the slow commands behind the 'command' spikes \
             are not being named. Turn it on: CONFIG SET slowlog-log-slower-than {suggested_us}"
        ),
        Advice::TuneSlowlog => format!(
            "The slow log only catches commands slower than the latency threshold, so \
             some spikes leave no entry. Align the two: CONFIG SET slowlog-log-slower-than \
             {suggested_us}"
        ),
        Advice::InspectSlowlog => "Run SLOWLOG GET to see which commands are slow. \
            Whole-keyspace commands (KEYS, FLUSHALL) and commands over big values \
            (HGETALL, SMEMBERS, LRANGE 0 -1) are the usual suspects; SCAN and its \
            family do the same work in small steps."
            .to_string(),
        Advice::CpuStarved => "Even O(1) commands were slow, which points at the \
            machine rather than the workload: the process is not getting CPU time. Look \
            for other busy processes or a noisy neighbour on the host, and measure the \
            baseline with 'redis-cli --intrinsic-latency 100'."
            .to_string(),
        Advice::LocalDisk => "AOF writes stalled. Keep the AOF on a local disk: \
            network-attached volumes add their round trip to every write."
            .to_string(),
        Advice::FasterDisk => "A faster disk (an SSD) shortens every write and fsync \
            of the AOF and of snapshots."
            .to_string(),
        Advice::DiskContention => "Other processes writing to the same disk compete \
            with the AOF; move them, or the AOF, elsewhere."
            .to_string(),
        Advice::NoFsyncOnRewrite => "AOF writes stalled while a rewrite or snapshot \
            was running. If losing a few seconds of writes on a crash is acceptable, \
            CONFIG SET no-appendfsync-on-rewrite yes skips fsync during that time."
            .to_string(),
        Advice::RelaxFsync => "appendfsync is 'always': every write waits for the \
            disk. 'everysec' bounds the loss to about a second and removes the wait."
            .to_string(),
        Advice::HigherHz => format!(
            "The active expiry cycle caused spikes. With hz {} each cycle has more to \
             do; CONFIG SET hz 100 spreads the same work over more, shorter cycles.",
            settings.hz
        ),
        Advice::LargeObjects => "Deleting, expiring or evicting a very large value \
            blocks until it is freed. Split big hashes, sets and lists into several \
            smaller keys, or delete them with UNLINK."
            .to_string(),
        Advice::MassEviction => "Eviction had to free a lot at once. This follows \
            a sudden drop of maxmemory or a command that suddenly allocates a lot \
            (SUNIONSTORE, SORT ... STORE, a big RESTORE); grow memory use gradually."
            .to_string(),
        Advice::SnapshotStart => "Starting a snapshot was slow. The cost grows with \
            the dataset; schedule BGSAVE and BGREWRITEAOF away from peak traffic."
            .to_string(),
    };
    format!("- {text}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_zero_disables_and_lower_latencies_are_ignored() {
        let mut m = LatencyMonitor::default();
        m.add_sample_if_needed("command", 100, 500, 0);
        assert!(m.is_empty());
        m.add_sample_if_needed("command", 100, 9, 10);
        assert!(m.is_empty());
        m.add_sample_if_needed("command", 100, 10, 10);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn one_sample_per_second_keeps_the_worst() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 100, 20);
        m.add_sample("command", 100, 50);
        m.add_sample("command", 100, 30);
        m.add_sample("command", 101, 5);
        let h = m.history(b"command").expect("event");
        let samples: Vec<(i64, u64)> = h.samples().map(|s| (s.time_unix_s, s.latency_ms)).collect();
        assert_eq!(samples, vec![(100, 50), (101, 5)]);
        assert_eq!(h.latest().latency_ms, 5);
        assert_eq!(h.max_ms, 50);
    }

    #[test]
    fn history_is_a_ring_of_160_oldest_first() {
        let mut m = LatencyMonitor::default();
        for t in 1..=200 {
            m.add_sample("expire-cycle", t, t as u64);
        }
        let h = m.history(b"expire-cycle").expect("event");
        let times: Vec<i64> = h.samples().map(|s| s.time_unix_s).collect();
        assert_eq!(times.len(), HISTORY_LEN);
        assert_eq!(times.first(), Some(&41));
        assert_eq!(times.last(), Some(&200));
        assert_eq!(h.max_ms, 200);
    }

    #[test]
    fn reset_by_name_is_case_insensitive_and_counts() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 1, 1);
        m.add_sample("fast-command", 1, 1);
        assert_eq!(m.reset_event(b"COMMAND"), 1);
        assert_eq!(m.reset_event(b"nope"), 0);
        assert!(m.history(b"command").is_none());
        assert_eq!(m.reset_all(), 1);
        assert!(m.is_empty());
    }

    #[test]
    fn stats_average_deviation_and_period() {
        let mut m = LatencyMonitor::default();
        for (t, ms) in [(10, 10), (20, 20), (30, 30)] {
            m.add_sample("command", t, ms);
        }
        let s = m.history(b"command").expect("event").stats(40);
        assert_eq!(
            s,
            EventStats {
                samples: 3,
                avg_ms: 20,
                mad_ms: 6,
                min_ms: 10,
                max_ms: 30,
                period_s: 30
            }
        );
    }

    #[test]
    fn graph_has_header_rule_bars_and_labels() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 100, 10);
        m.add_sample("command", 130, 40);
        m.add_sample("command", 160, 25);
        let h = m.history(b"command").expect("event");
        let text = graph("command", h, 190);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 40 ms, low 10 ms (all time high 40 ms)"
        );
        assert_eq!(lines[1], "-".repeat(GRAPH_COLUMNS));
        // The highest sample reaches the top row, the lowest only the bottom one.
        assert_eq!(lines[2], " # ");
        assert_eq!(lines[5], "_||");
        assert_eq!(lines[6], "   ");
        // Ages 90s, 60s, 30s as 1m, 1m, 30s, written downwards.
        assert_eq!(lines[7], "113");
        assert_eq!(lines[8], "mm0");
        assert_eq!(lines[9], "  s");
    }

    #[test]
    fn graph_wraps_after_80_columns() {
        let mut m = LatencyMonitor::default();
        for t in 1..=100 {
            m.add_sample("command", t, 5);
        }
        let text = graph("command", m.history(b"command").expect("event"), 100);
        assert!(text.lines().all(|l| l.len() <= GRAPH_COLUMNS));
        assert!(text.lines().filter(|l| l.len() == 20).count() >= GRAPH_ROWS);
    }

    #[test]
    fn doctor_speaks_about_each_event_and_advises() {
        let mut m = LatencyMonitor::default();
        let settings = DoctorSettings {
            latency_monitor_threshold_ms: 0,
            slowlog_log_slower_than_us: -1,
            hz: 10,
            appendfsync_always: false,
        };
        assert!(doctor_report(&m, settings, 0).contains("latency-monitor-threshold"));
        m.add_sample("command", 10, 120);
        m.add_sample("expire-cycle", 10, 30);
        let report = doctor_report(&m, settings, 20);
        assert!(report.contains("1. command: 1 spikes"));
        assert!(report.contains("2. expire-cycle"));
        assert!(report.contains("CONFIG SET slowlog-log-slower-than 0"));
        assert!(report.contains("CONFIG SET hz 100"));
    }
}
