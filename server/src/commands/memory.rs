//! MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP (Redis's
//! `memoryCommand` in `object.c`).
//!
//! Redis estimates a key's size from `sizeof` of its structures; redrill counts
//! its own allocations, rounded by jemalloc's size classes (`storage::usage`),
//! so MEMORY USAGE is what the key really costs in `used_memory`. MEMORY STATS
//! and INFO's memory section share one breakdown, [`overhead`] (Redis's
//! `getMemoryOverheadData`): the memory at start-up, client buffers and each
//! database's dicts are overhead, the rest of `used_memory` is the dataset.
//! The allocator's own totals (`allocator.*`) come straight from jemalloc, so
//! the two views of memory can be checked against each other.
//!
//! MEMORY USAGE looks the key up without an expiry check and without counting
//! a hit or a miss, as Redis's `dictFind` on the main dict does.

use bytes::Bytes;

use crate::alloc::{allocator_stats, AllocatorStats};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags};
use crate::commands::introspection::reply_help;
use crate::state::Server;

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("doctor", 2, Flags::NONE, doctor).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Outputs memory problems report",
    ),
    CommandSpec::new("help", 2, Flags::LOADING.with(Flags::STALE), help).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("malloc-stats", 2, Flags::NONE, malloc_stats).doc(
        "server",
        "4.0.0",
        "Depends on how much memory is allocated, could be slow",
        "Show allocator internal stats",
    ),
    CommandSpec::new("purge", 2, Flags::NONE, purge).doc(
        "server",
        "4.0.0",
        "Depends on how much memory is allocated, could be slow",
        "Ask the allocator to release memory",
    ),
    CommandSpec::new("stats", 2, Flags::NONE, stats).doc(
        "server",
        "4.0.0",
        "O(1)",
        "Show memory usage details",
    ),
    CommandSpec::new("usage", -3, Flags::READONLY, usage)
        .keys(2, 2, 1)
        .doc(
            "server",
            "4.0.0",
            "O(N) where N is the number of samples.",
            "Estimate the memory usage of a key",
        ),
];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] =
    &[
        CommandSpec::new("memory", -2, Flags::NONE, crate::command::container)
            .doc(
                "server",
                "4.0.0",
                "Depends on subcommand.",
                "A container for memory diagnostics commands",
            )
            .subs(SUBCOMMANDS),
    ];

/// Where the memory goes (Redis's `struct redisMemOverhead`), shared by MEMORY
/// STATS, MEMORY DOCTOR and INFO memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryOverhead {
    /// `used_memory`: what the counting allocator holds now.
    pub total_allocated: u64,
    /// `used_memory_startup`.
    pub startup_allocated: u64,
    /// `used_memory_peak`.
    pub peak_allocated: u64,
    /// The replication backlog (none yet).
    pub repl_backlog: u64,
    /// Replica output buffers (no backlog yet to share them with).
    pub clients_slaves: u64,
    /// Query and reply buffers of normal and pub/sub clients.
    pub clients_normal: u64,
    /// Clients counted in `clients_normal` (the doctor's per-client average).
    pub clients_count: u64,
    /// The AOF buffer (none yet).
    pub aof_buffer: u64,
    /// Each non-empty database: index, main dict, expires dict.
    pub dbs: Vec<(usize, storage::usage::DbOverhead)>,
    /// Keys in every database.
    pub total_keys: u64,
    /// Everything above except the peak and total: Redis's `overhead_total`.
    pub overhead_total: u64,
    /// `total_allocated - overhead_total`.
    pub dataset: u64,
    /// The process's resident set size.
    pub rss: u64,
    /// jemalloc's own totals.
    pub allocator: AllocatorStats,
}

impl MemoryOverhead {
    /// Memory used since start-up (at least 1, as Redis guards the divisions).
    pub fn net_usage(&self) -> u64 {
        self.total_allocated
            .saturating_sub(self.startup_allocated)
            .max(1)
    }

    /// `dataset.percentage`: share of the net usage that is data (float, as Redis).
    pub fn dataset_perc(&self) -> f32 {
        self.dataset as f32 * 100.0 / self.net_usage() as f32
    }

    /// `peak.percentage`.
    pub fn peak_perc(&self) -> f32 {
        self.total_allocated as f32 * 100.0 / self.peak_allocated.max(1) as f32
    }

    /// `keys.bytes-per-key`.
    pub fn bytes_per_key(&self) -> u64 {
        self.net_usage()
            .checked_div(self.total_keys)
            .unwrap_or_default()
    }
}

/// Query and reply buffer bytes of every client but the one executing (whose
/// cell is borrowed) and the replicas, and how many clients that is.
fn clients_memory(server: &Server) -> (u64, u64) {
    let (mut bytes, mut count) = (0u64, 0u64);
    for c in server.clients.values() {
        count += 1;
        if let Ok(c) = c.try_borrow() {
            if c.kind == crate::client::ClientKind::Replica && c.repl.is_some() {
                continue;
            }
            bytes += (crate::alloc::size_class(c.qbuf_capacity) + c.reply_memory()) as u64;
        }
    }
    (bytes, count)
}

/// Redis's `getMemoryOverheadData`: the breakdown of `used_memory` now. Raises
/// the recorded peak if the current figure passed it.
pub fn overhead(server: &Server) -> MemoryOverhead {
    let used = crate::alloc::used_memory() as u64;
    let peak = server.memory_peak.get().max(used);
    server.memory_peak.set(peak);
    let (clients_normal, clients_count) = clients_memory(server);
    let mut mh = MemoryOverhead {
        total_allocated: used,
        startup_allocated: server.memory_startup,
        peak_allocated: peak,
        clients_normal,
        clients_count,
        clients_slaves: crate::replicas::output_memory(server),
        rss: crate::info::rss_bytes(),
        allocator: allocator_stats(),
        ..MemoryOverhead::default()
    };
    let mut total = mh.startup_allocated
        + mh.repl_backlog
        + mh.clients_slaves
        + mh.clients_normal
        + mh.aof_buffer;
    for (i, db) in server.keyspace.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let o = storage::usage::db_overhead(db, &crate::alloc::size_class);
        mh.total_keys += db.len() as u64;
        total += (o.main + o.expires) as u64;
        mh.dbs.push((i, o));
    }
    mh.overhead_total = total;
    mh.dataset = used.saturating_sub(total);
    mh
}

/// Parsed `MEMORY USAGE key [SAMPLES count]`: parts to sample, 0 for all.
fn parse_samples(ctx: &mut Ctx, args: &[Bytes]) -> Option<usize> {
    let mut samples = storage::usage::DEFAULT_SAMPLES;
    let mut j = 3;
    while j < args.len() {
        if !(eq_ignore_case(&args[j], "samples") && j + 1 < args.len()) {
            ctx.reply().error(errors::SYNTAX);
            return None;
        }
        match parse_i64(&args[j + 1]) {
            None => {
                ctx.reply().error(errors::NOT_INTEGER);
                return None;
            }
            Some(n) if n < 0 => {
                ctx.reply().error(errors::SYNTAX);
                return None;
            }
            Some(n) => samples = usize::try_from(n).unwrap_or(usize::MAX),
        }
        j += 2;
    }
    Some(samples)
}

/// MEMORY USAGE key [SAMPLES count]
fn usage(ctx: &mut Ctx, args: &[Bytes]) {
    let Some(samples) = parse_samples(ctx, args) else {
        return;
    };
    let db = ctx.client.db;
    let bytes = ctx.server.keyspace.db(db).peek(&args[2]).map(|value| {
        storage::usage::key_usage(&args[2], value, samples, &crate::alloc::size_class)
    });
    match bytes {
        Some(n) => ctx.reply().integer(i64::try_from(n).unwrap_or(i64::MAX)),
        None => ctx.reply().null(),
    }
}

/// Signed difference of two byte counts, as Redis's size_t arithmetic shows it.
fn diff(a: u64, b: u64) -> i64 {
    i64::try_from(a).unwrap_or(i64::MAX) - i64::try_from(b).unwrap_or(i64::MAX)
}

/// A ratio computed in single precision, as Redis's `float` fields are.
fn ratio(a: u64, b: u64) -> f64 {
    f64::from(a as f32 / b as f32)
}

/// MEMORY STATS: Redis 7.0's 27 fields plus one `db.N` map per non-empty db.
fn stats(ctx: &mut Ctx, _args: &[Bytes]) {
    let mh = overhead(ctx.server);
    let a = mh.allocator;
    let mut reply = ctx.reply();
    let proto = reply.proto;
    reply.map(27 + mh.dbs.len());
    let counters = [
        ("peak.allocated", mh.peak_allocated),
        ("total.allocated", mh.total_allocated),
        ("startup.allocated", mh.startup_allocated),
        ("replication.backlog", mh.repl_backlog),
        ("clients.slaves", mh.clients_slaves),
        ("clients.normal", mh.clients_normal),
        ("cluster.links", 0),
        ("aof.buffer", mh.aof_buffer),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    for (name, value) in counters {
        reply.bulk(name.as_bytes());
        reply.integer(i64::try_from(value).unwrap_or(i64::MAX));
    }
    for (index, db) in &mh.dbs {
        reply.bulk(format!("db.{index}").as_bytes());
        reply.map(3);
        reply.bulk(b"overhead.hashtable.main");
        reply.integer(i64::try_from(db.main).unwrap_or(i64::MAX));
        reply.bulk(b"overhead.hashtable.expires");
        reply.integer(i64::try_from(db.expires).unwrap_or(i64::MAX));
        reply.bulk(b"overhead.hashtable.slot-to-keys");
        reply.integer(0);
    }
    let as_int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let fields: [(&str, Result<i64, f64>); 17] = [
        ("overhead.total", Ok(as_int(mh.overhead_total))),
        ("keys.count", Ok(as_int(mh.total_keys))),
        ("keys.bytes-per-key", Ok(as_int(mh.bytes_per_key()))),
        ("dataset.bytes", Ok(as_int(mh.dataset))),
        ("dataset.percentage", Err(f64::from(mh.dataset_perc()))),
        ("peak.percentage", Err(f64::from(mh.peak_perc()))),
        ("allocator.allocated", Ok(as_int(a.allocated))),
        ("allocator.active", Ok(as_int(a.active))),
        ("allocator.resident", Ok(as_int(a.resident))),
        (
            "allocator-fragmentation.ratio",
            Err(ratio(a.active, a.allocated)),
        ),
        (
            "allocator-fragmentation.bytes",
            Ok(diff(a.active, a.allocated)),
        ),
        ("allocator-rss.ratio", Err(ratio(a.resident, a.active))),
        ("allocator-rss.bytes", Ok(diff(a.resident, a.active))),
        ("rss-overhead.ratio", Err(ratio(mh.rss, a.resident))),
        ("rss-overhead.bytes", Ok(diff(mh.rss, a.resident))),
        ("fragmentation", Err(ratio(mh.rss, mh.total_allocated))),
        ("fragmentation.bytes", Ok(diff(mh.rss, mh.total_allocated))),
    ];
    for (name, value) in fields {
        reply.bulk(name.as_bytes());
        match value {
            Ok(n) => reply.integer(n),
            Err(x) => resp::encode::double(reply.out, x, proto),
        }
    }
}

/// Redis's `getMemoryDoctorReport`.
pub fn doctor_report(mh: &MemoryOverhead) -> String {
    const MB: u64 = 1024 * 1024;
    if mh.total_allocated < 5 * MB {
        return EMPTY_REPORT.to_string();
    }
    let a = &mh.allocator;
    let over = |ratio_value: f64, bytes: i64, limit: f64| ratio_value > limit && bytes > 10 << 20;
    let found = [
        (
            ratio(mh.peak_allocated, mh.total_allocated) > 1.5,
            PEAK_REPORT.to_string(),
        ),
        (
            over(
                ratio(mh.rss, mh.total_allocated),
                diff(mh.rss, mh.total_allocated),
                1.4,
            ),
            high_rss_report(),
        ),
        (
            over(
                ratio(a.active, a.allocated),
                diff(a.active, a.allocated),
                1.1,
            ),
            ALLOC_FRAG_REPORT.to_string(),
        ),
        (
            over(ratio(a.resident, a.active), diff(a.resident, a.active), 1.1),
            ALLOC_RSS_REPORT.to_string(),
        ),
        (
            over(ratio(mh.rss, a.resident), diff(mh.rss, a.resident), 1.1),
            PROC_RSS_REPORT.to_string(),
        ),
        (
            mh.clients_normal / mh.clients_count.max(1) > 200 * 1024,
            CLIENT_BUF_REPORT.to_string(),
        ),
    ];
    let mut issues = found.iter().filter(|(hit, _)| *hit).peekable();
    if issues.peek().is_none() {
        return NO_ISSUES_REPORT.to_string();
    }
    let mut report = ISSUES_HEADER.to_string();
    for (_, text) in issues {
        report.push_str(text);
    }
    report.push_str(ISSUES_FOOTER);
    report
}

/// MEMORY DOCTOR
fn doctor(ctx: &mut Ctx, _args: &[Bytes]) {
    let report = doctor_report(&overhead(ctx.server));
    ctx.reply().verbatim(report.as_bytes());
}

/// MEMORY MALLOC-STATS
fn malloc_stats(ctx: &mut Ctx, _args: &[Bytes]) {
    let report = crate::alloc::malloc_stats_text();
    ctx.reply().verbatim(report.as_bytes());
}

/// MEMORY PURGE
fn purge(ctx: &mut Ctx, _args: &[Bytes]) {
    if crate::alloc::purge() {
        ctx.reply().ok();
    } else {
        ctx.reply().error("ERR Error purging dirty pages");
    }
}

/// MEMORY HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

// The doctor's words are part of the interface (operators grep for them), so
// they are Redis 7.0's.
const EMPTY_REPORT: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const NO_ISSUES_REPORT: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const ISSUES_HEADER: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const ISSUES_FOOTER: &str = "I'm here to keep you safe, Sam. I want to help you.\n";
const PEAK_REPORT: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const ALLOC_FRAG_REPORT: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const ALLOC_RSS_REPORT: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const PROC_RSS_REPORT: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const CLIENT_BUF_REPORT: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";

/// The "High total RSS" paragraph, which names the allocator.
fn high_rss_report() -> String {
    format!(
        " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{}\".\n\n",
        crate::alloc::ALLOCATOR_NAME
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(total: u64) -> MemoryOverhead {
        MemoryOverhead {
            total_allocated: total,
            peak_allocated: total,
            rss: total,
            clients_count: 1,
            allocator: AllocatorStats {
                allocated: total,
                active: total,
                resident: total,
            },
            ..MemoryOverhead::default()
        }
    }

    #[test]
    fn doctor_on_a_small_instance_says_it_is_empty() {
        assert_eq!(doctor_report(&with(1 << 20)), EMPTY_REPORT);
    }

    #[test]
    fn doctor_finds_nothing_on_a_healthy_instance() {
        assert_eq!(doctor_report(&with(100 << 20)), NO_ISSUES_REPORT);
    }

    #[test]
    fn doctor_lists_each_issue_between_header_and_footer() {
        let mut mh = with(100 << 20);
        mh.peak_allocated = 400 << 20;
        mh.rss = 300 << 20;
        mh.clients_normal = 50 << 20;
        let report = doctor_report(&mh);
        assert!(report.starts_with(ISSUES_HEADER), "{report}");
        assert!(report.ends_with(ISSUES_FOOTER));
        assert!(report.contains(" * Peak memory:"));
        assert!(report.contains(" * High total RSS:"));
        assert!(report.contains("\"jemalloc-5.3.0\""));
        assert!(report.contains(" * High process RSS overhead:"));
        assert!(report.contains(" * Big client buffers:"));
        assert!(!report.contains("allocator fragmentation"));
    }

    #[test]
    fn ratios_are_single_precision_like_redis() {
        assert_eq!(ratio(1, 3), f64::from(1f32 / 3f32));
        assert_eq!(diff(1, 3), -2);
        let mh = with(0);
        assert_eq!(mh.net_usage(), 1);
        assert_eq!(mh.bytes_per_key(), 0);
    }
}
