//! INFO: the server's state as `field:value` lines, in Redis 7.0's sections,
//! field names and order, so that monitoring tools, redis-cli and sentinel parse
//! it unchanged.
//!
//! `INFO` alone prints the default sections; `INFO all` adds commandstats and
//! latencystats; `INFO everything` adds the rest; several section names may be
//! given at once (Redis 7.0). Values are real where redrill has the thing (memory
//! from the counting allocator, clients, stats, keyspace) and Redis's idle
//! values where it does not yet (persistence before RDB exists, for example).

use std::fmt::Write;

use crate::state::Server;

/// Every section in the order Redis prints them, and whether plain `INFO`
/// (the "default" set) includes it; `all` and `everything` include them all.
const SECTIONS: [(&str, bool); 13] = [
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// Renders the sections named in `requested` (lowercase; empty means default).
pub fn render(server: &Server, requested: &[String]) -> String {
    // Sections come out in Redis's fixed order, whatever order they were asked in.
    let order: Vec<&str> = SECTIONS
        .iter()
        .filter(|(name, in_default)| {
            (requested.is_empty() && *in_default)
                || requested.iter().any(|r| {
                    r == name || r == "all" || r == "everything" || (r == "default" && *in_default)
                })
        })
        .map(|(name, _)| *name)
        .collect();
    let mut out = String::new();
    for (i, section) in order.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        match *section {
            "server" => server_section(server, &mut out),
            "clients" => clients_section(server, &mut out),
            "memory" => memory_section(server, &mut out),
            "persistence" => persistence_section(server, &mut out),
            "stats" => stats_section(server, &mut out),
            "replication" => replication_section(server, &mut out),
            "cpu" => cpu_section(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => commandstats_section(server, &mut out),
            "errorstats" => errorstats_section(server, &mut out),
            "latencystats" => out.push_str("# Latencystats\r\n"),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "keyspace" => keyspace_section(server, &mut out),
            _ => {}
        }
    }
    out
}

macro_rules! field {
    ($out:expr, $name:expr, $value:expr) => {
        let _ = write!($out, "{}:{}\r\n", $name, $value);
    };
}

fn server_section(server: &Server, out: &mut String) {
    let now_us = server.clock.now_us();
    let uptime_s = (server.clock.now_ms() - server.start_ms).max(0) / 1000;
    out.push_str("# Server\r\n");
    field!(out, "redis_version", crate::REDIS_VERSION);
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", 0);
    field!(out, "redis_build_id", "0");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", os_name());
    field!(out, "arch_bits", 64);
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", std::process::id());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", server.run_id);
    field!(out, "tcp_port", server.config.port);
    field!(out, "server_time_usec", now_us);
    field!(out, "uptime_in_seconds", uptime_s);
    field!(out, "uptime_in_days", uptime_s / 86_400);
    field!(out, "hz", server.config.hz);
    field!(out, "configured_hz", server.config.hz);
    field!(
        out,
        "lru_clock",
        (server.clock.now_ms() / 1000) & ((1 << 24) - 1)
    );
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field!(out, "executable", exe);
    let conf = server
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field!(out, "config_file", conf);
    field!(out, "io_threads_active", 0);
    field!(out, "redrill_version", env!("CARGO_PKG_VERSION"));
}

fn os_name() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

fn clients_section(server: &Server, out: &mut String) {
    let (mut max_in, mut max_out) = (0usize, 0usize);
    for c in server.clients.values() {
        if let Ok(c) = c.try_borrow() {
            max_in = max_in.max(c.qbuf_capacity);
            max_out = max_out.max(c.output_memory());
        }
    }
    out.push_str("# Clients\r\n");
    // Redis counts replicas in connected_slaves only.
    let replicas = server.repl.ids.len();
    field!(
        out,
        "connected_clients",
        server.clients.len().saturating_sub(replicas)
    );
    field!(out, "cluster_connections", 0);
    field!(out, "maxclients", server.config.maxclients);
    field!(out, "client_recent_max_input_buffer", max_in);
    field!(out, "client_recent_max_output_buffer", max_out);
    field!(out, "blocked_clients", server.blocking.blocked_clients);
    field!(out, "tracking_clients", 0);
    field!(out, "clients_in_timeout_table", 0);
}

/// Bytes as Redis's bytesToHuman: B, K, M, G, T, P with two decimals.
pub fn human_bytes(n: u64) -> String {
    let units = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", units[unit])
}

/// Resident set size of this process, from /proc (0 where unavailable).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn total_system_memory() -> u64 {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn memory_section(server: &Server, out: &mut String) {
    // One breakdown for INFO, MEMORY STATS and MEMORY DOCTOR (getMemoryOverheadData).
    let mh = crate::commands::memory::overhead(server);
    let (used, rss, peak) = (mh.total_allocated, mh.rss, mh.peak_allocated);
    let a = mh.allocator;
    let ratio = |x: u64, y: u64| format!("{:.2}", x as f64 / y.max(1) as f64);
    let diff = |x: u64, y: u64| x as i64 - y as i64;
    out.push_str("# Memory\r\n");
    field!(out, "used_memory", used);
    field!(out, "used_memory_human", human_bytes(used));
    field!(out, "used_memory_rss", rss);
    field!(out, "used_memory_rss_human", human_bytes(rss));
    field!(out, "used_memory_peak", peak);
    field!(out, "used_memory_peak_human", human_bytes(peak));
    field!(
        out,
        "used_memory_peak_perc",
        format!("{:.2}%", mh.peak_perc())
    );
    field!(out, "used_memory_overhead", mh.overhead_total);
    field!(out, "used_memory_startup", mh.startup_allocated);
    field!(out, "used_memory_dataset", mh.dataset);
    field!(
        out,
        "used_memory_dataset_perc",
        format!("{:.2}%", mh.dataset_perc())
    );
    field!(out, "allocator_allocated", a.allocated);
    field!(out, "allocator_active", a.active);
    field!(out, "allocator_resident", a.resident);
    let total = total_system_memory();
    field!(out, "total_system_memory", total);
    field!(out, "total_system_memory_human", human_bytes(total));
    field!(out, "used_memory_lua", 0);
    field!(out, "used_memory_vm_eval", 0);
    field!(out, "used_memory_lua_human", "0B");
    field!(out, "used_memory_scripts_eval", 0);
    field!(out, "number_of_cached_scripts", 0);
    field!(out, "number_of_functions", 0);
    field!(out, "number_of_libraries", 0);
    field!(out, "used_memory_vm_functions", 0);
    field!(out, "used_memory_vm_total", 0);
    field!(out, "used_memory_vm_total_human", "0B");
    field!(out, "used_memory_functions", 0);
    field!(out, "used_memory_scripts", 0);
    field!(out, "used_memory_scripts_human", "0B");
    let maxmemory = server.config.maxmemory;
    field!(out, "maxmemory", maxmemory);
    field!(out, "maxmemory_human", human_bytes(maxmemory));
    let policy = crate::evict::policy_name(server.config.maxmemory_policy);
    field!(out, "maxmemory_policy", policy);
    field!(out, "allocator_frag_ratio", ratio(a.active, a.allocated));
    field!(out, "allocator_frag_bytes", diff(a.active, a.allocated));
    field!(out, "allocator_rss_ratio", ratio(a.resident, a.active));
    field!(out, "allocator_rss_bytes", diff(a.resident, a.active));
    field!(out, "rss_overhead_ratio", ratio(rss, a.resident));
    field!(out, "rss_overhead_bytes", diff(rss, a.resident));
    field!(out, "mem_fragmentation_ratio", ratio(rss, used));
    field!(out, "mem_fragmentation_bytes", diff(rss, used));
    // Redis leaves replica and AOF buffers out of the maxmemory comparison.
    let not_counted = mh.clients_slaves + mh.aof_buffer;
    field!(out, "mem_not_counted_for_evict", not_counted);
    field!(out, "mem_replication_backlog", mh.repl_backlog);
    field!(out, "mem_total_replication_buffers", 0);
    field!(out, "mem_clients_slaves", mh.clients_slaves);
    field!(out, "mem_clients_normal", mh.clients_normal);
    field!(out, "mem_cluster_links", 0);
    field!(out, "mem_aof_buffer", mh.aof_buffer);
    field!(out, "mem_allocator", crate::alloc::ALLOCATOR_NAME);
    field!(out, "active_defrag_running", 0);
    field!(out, "lazyfree_pending_objects", 0);
    field!(out, "lazyfreed_objects", 0);
}

fn persistence_section(server: &Server, out: &mut String) {
    out.push_str("# Persistence\r\n");
    field!(out, "loading", 0);
    field!(out, "async_loading", 0);
    field!(out, "current_cow_peak", 0);
    field!(out, "current_cow_size", 0);
    field!(out, "current_cow_size_age", 0);
    let (processed, total) = crate::persist::bgsave::progress(server);
    let perc = if total == 0 {
        0.0
    } else {
        processed as f64 * 100.0 / total as f64
    };
    field!(out, "current_fork_perc", format!("{perc:.2}"));
    let p = &server.persist;
    field!(out, "current_save_keys_processed", processed);
    field!(out, "current_save_keys_total", total);
    field!(out, "rdb_changes_since_last_save", server.dirty);
    field!(out, "rdb_bgsave_in_progress", u8::from(p.bgsave.is_some()));
    field!(out, "rdb_last_save_time", server.last_save_unix_s);
    field!(
        out,
        "rdb_last_bgsave_status",
        if p.last_bgsave_ok { "ok" } else { "err" }
    );
    field!(out, "rdb_last_bgsave_time_sec", p.last_bgsave_time_sec);
    field!(
        out,
        "rdb_current_bgsave_time_sec",
        crate::persist::bgsave::current_time_sec(server)
    );
    field!(out, "rdb_saves", p.rdb_saves);
    field!(out, "rdb_last_cow_size", p.last_cow_size);
    field!(out, "rdb_last_load_keys_expired", p.last_load_keys_expired);
    field!(out, "rdb_last_load_keys_loaded", p.last_load_keys_loaded);
    field!(out, "aof_enabled", 0);
    field!(out, "aof_rewrite_in_progress", 0);
    field!(out, "aof_rewrite_scheduled", 0);
    field!(out, "aof_last_rewrite_time_sec", -1);
    field!(out, "aof_current_rewrite_time_sec", -1);
    field!(out, "aof_last_bgrewrite_status", "ok");
    field!(out, "aof_rewrites", 0);
    field!(out, "aof_rewrites_consecutive_failures", 0);
    field!(out, "aof_last_write_status", "ok");
    field!(out, "aof_last_cow_size", 0);
    field!(out, "module_fork_in_progress", 0);
    field!(out, "module_fork_last_cow_size", 0);
}

fn stats_section(server: &Server, out: &mut String) {
    let s = &server.stats;
    out.push_str("# Stats\r\n");
    field!(out, "total_connections_received", s.connections_received);
    field!(out, "total_commands_processed", s.commands_processed);
    field!(
        out,
        "instantaneous_ops_per_sec",
        server.ops_sampler.ops_per_sec()
    );
    field!(out, "total_net_input_bytes", s.net_input_bytes);
    field!(out, "total_net_output_bytes", s.net_output_bytes);
    field!(out, "total_net_repl_input_bytes", 0);
    field!(out, "total_net_repl_output_bytes", 0);
    field!(
        out,
        "instantaneous_input_kbps",
        format!("{:.2}", server.ops_sampler.input_kbps())
    );
    field!(
        out,
        "instantaneous_output_kbps",
        format!("{:.2}", server.ops_sampler.output_kbps())
    );
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", s.rejected_connections);
    field!(out, "sync_full", server.repl.sync_full);
    field!(out, "sync_partial_ok", server.repl.sync_partial_ok);
    field!(out, "sync_partial_err", server.repl.sync_partial_err);
    field!(out, "expired_keys", s.expired_keys);
    field!(out, "expired_stale_perc", "0.00");
    field!(out, "expired_time_cap_reached_count", 0);
    field!(out, "expire_cycle_cpu_milliseconds", 0);
    field!(out, "evicted_keys", s.evicted_keys);
    field!(out, "evicted_clients", s.evicted_clients);
    field!(out, "total_eviction_exceeded_time", 0);
    field!(out, "current_eviction_exceeded_time", 0);
    field!(out, "keyspace_hits", s.keyspace_hits);
    field!(out, "keyspace_misses", s.keyspace_misses);
    field!(
        out,
        "pubsub_channels",
        server.pubsub.len(crate::pubsub::Space::Channels)
    );
    field!(
        out,
        "pubsub_patterns",
        server.pubsub.len(crate::pubsub::Space::Patterns)
    );
    field!(
        out,
        "pubsubshard_channels",
        server.pubsub.len(crate::pubsub::Space::ShardChannels)
    );
    field!(out, "latest_fork_usec", 0);
    field!(out, "total_forks", 0);
    field!(out, "migrate_cached_sockets", 0);
    field!(out, "slave_expires_tracked_keys", 0);
    field!(out, "active_defrag_hits", 0);
    field!(out, "active_defrag_misses", 0);
    field!(out, "active_defrag_key_hits", 0);
    field!(out, "active_defrag_key_misses", 0);
    field!(out, "total_active_defrag_time", 0);
    field!(out, "current_active_defrag_time", 0);
    field!(out, "tracking_total_keys", 0);
    field!(out, "tracking_total_items", 0);
    field!(out, "tracking_total_prefixes", 0);
    field!(out, "unexpected_error_replies", s.unexpected_error_replies);
    field!(out, "total_error_replies", s.error_replies);
    field!(out, "dump_payload_sanitizations", 0);
    field!(out, "total_reads_processed", s.reads_processed);
    field!(out, "total_writes_processed", s.writes_processed);
    field!(out, "io_threaded_reads_processed", 0);
    field!(out, "io_threaded_writes_processed", 0);
    field!(out, "reply_buffer_shrinks", 0);
    field!(out, "reply_buffer_expands", 0);
    field!(
        out,
        "client_query_buffer_limit_disconnections",
        s.query_buffer_limit_disconnections
    );
    field!(
        out,
        "client_output_buffer_limit_disconnections",
        s.output_buffer_limit_disconnections
    );
}

fn replication_section(server: &Server, out: &mut String) {
    out.push_str("# Replication\r\n");
    field!(out, "role", "master");
    let replicas = crate::replicas::describe_all(server);
    field!(out, "connected_slaves", replicas.len());
    for (i, r) in replicas.iter().enumerate() {
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            r.ip, r.port, r.state, r.offset, r.lag_s
        );
    }
    field!(out, "master_failover_state", "no-failover");
    field!(out, "master_replid", server.replid.as_str());
    field!(
        out,
        "master_replid2",
        "0000000000000000000000000000000000000000"
    );
    field!(out, "master_repl_offset", server.repl.stream.offset());
    field!(out, "second_repl_offset", -1);
    field!(out, "repl_backlog_active", 0);
    field!(out, "repl_backlog_size", 1_048_576);
    field!(out, "repl_backlog_first_byte_offset", 0);
    field!(out, "repl_backlog_histlen", 0);
}

/// User and system CPU seconds of this process, from /proc/self/stat.
fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    (ticks(11), ticks(12))
}

fn cpu_section(out: &mut String) {
    let (user, sys) = cpu_times();
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys", format!("{sys:.6}"));
    field!(out, "used_cpu_user", format!("{user:.6}"));
    field!(out, "used_cpu_sys_children", "0.000000");
    field!(out, "used_cpu_user_children", "0.000000");
    field!(out, "used_cpu_sys_main_thread", format!("{sys:.6}"));
    field!(out, "used_cpu_user_main_thread", format!("{user:.6}"));
}

fn commandstats_section(server: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    let mut stats: Vec<_> = server.command_stats.values().collect();
    stats.sort_by(|a, b| a.name.cmp(&b.name));
    for s in stats {
        let per_call = if s.calls > 0 {
            s.usec as f64 / s.calls as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            s.name, s.calls, s.usec, s.rejected_calls, s.failed_calls
        );
    }
}

fn errorstats_section(server: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &server.error_stats {
        let _ = write!(out, "errorstat_{code}:count={count}\r\n");
    }
}

fn keyspace_section(server: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for i in 0..server.keyspace.len() {
        let db = server.keyspace.db(i);
        let keys = db.len();
        if keys > 0 {
            let _ = write!(
                out,
                "db{i}:keys={keys},expires={},avg_ttl=0\r\n",
                db.expires_len()
            );
        }
    }
}
