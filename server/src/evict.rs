//! maxmemory: freeing memory by evicting keys before a command runs (Redis's
//! `performEvictions` and the OOM check of `processCommand`).
//!
//! Before every command, when `maxmemory` is set, the server compares the memory
//! it uses (the allocator's counter, minus what Redis does not count for
//! eviction: replica output buffers and the AOF buffer, none of which exist yet)
//! with the limit. Over it, keys are evicted one at a time, each chosen by the
//! `maxmemory-policy` through the sampling pool of [`storage::evict`], until
//! enough was freed. The loop is bounded by time, `maxmemory-eviction-tenacity`:
//! at the default of 10 it stops after 500 µs and lets the next command go on
//! (Redis continues in a timer; here the cron and the next command continue). Eviction
//! fails when the policy is `noeviction` or no key qualifies (volatile-* with no
//! TTLs); then commands that may grow memory (`denyoom`), and any command queued
//! inside MULTI, are refused with `-OOM command not allowed when used memory >
//! 'maxmemory'.` Reads still run: a full server must stay inspectable.
//!
//! Evicted keys are logged in the keyspace ([`storage::Keyspace::take_evicted`])
//! and drained at the end of each run: WATCH hears of them now, propagation as
//! DEL to replicas and the AOF will be added at that one place. Eviction does not count as a change
//! for `dirty` (Redis counts only the commands' own writes).

use storage::evict::AccessMode;

use crate::client::Client;
use crate::command::{CommandSpec, Flags};
use crate::config::{LogLevel, MaxmemoryPolicy};
use crate::state::Server;

/// Redis's `shared.oomerr`.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Keys evicted between two checks of the time budget.
const EVICTIONS_PER_CHECK: u64 = 16;

/// What [`perform_evictions`] achieved (`EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under the limit (or no limit).
    Ok,
    /// Still over, but the time budget ran out while keys remained to evict.
    Running,
    /// Over the limit and nothing more can be evicted.
    Fail,
}

/// The policy's config name (INFO `maxmemory_policy`).
pub fn policy_name(policy: MaxmemoryPolicy) -> &'static str {
    match policy {
        MaxmemoryPolicy::VolatileLru => "volatile-lru",
        MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
        MaxmemoryPolicy::VolatileRandom => "volatile-random",
        MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
        MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
        MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
        MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
        MaxmemoryPolicy::NoEviction => "noeviction",
    }
}

/// True when the configured policy tracks LFU counters (`MAXMEMORY_FLAG_LFU`).
pub fn lfu_selected(server: &Server) -> bool {
    server.config.maxmemory_policy.is_lfu()
}

/// Sets the keyspace's access mode from `maxmemory-policy`, `lfu-log-factor`
/// and `lfu-decay-time`; call at start-up and when any of them changes.
pub fn apply_access_mode(server: &mut Server) {
    let mode = if lfu_selected(server) {
        AccessMode::Lfu {
            log_factor: server.config.lfu_log_factor,
            decay_minutes: server.config.lfu_decay_time,
        }
    } else {
        AccessMode::Lru
    };
    server.keyspace.set_access_mode(mode);
}

/// CONFIG SET maxmemory (`updateMaxmemory`): warns when the new limit is
/// already exceeded, then evicts at once rather than waiting for a command.
pub fn maxmemory_changed(server: &mut Server) {
    let limit = server.config.maxmemory;
    if limit == 0 {
        return;
    }
    let used = counted_memory(server);
    if limit < used {
        let message = format!("WARNING: the new maxmemory value set via CONFIG SET ({limit}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
        crate::log::line(LogLevel::Warning, server.clock.now_ms(), &message);
    }
    perform_evictions(server);
}

/// The time budget of one eviction run, in µs (`evictionTimeLimitUs`): linear
/// up to tenacity 10 (500 µs), then growing 15% per step, unlimited at 100.
pub fn eviction_time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        return 50 * u64::from(tenacity);
    }
    if tenacity < 100 {
        return (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64;
    }
    u64::MAX
}

/// Memory counted against `maxmemory`: `used_memory` minus the replicas'
/// output buffers (`freeMemoryGetNotCountedMemory`; no AOF buffer yet).
pub fn counted_memory(server: &Server) -> u64 {
    let used = crate::alloc::used_memory() as u64;
    if server.repl.active() {
        return used.saturating_sub(crate::replicas::output_memory(server));
    }
    used
}

/// Bytes to free to get under `maxmemory`; 0 when under it or unlimited
/// (`getMaxmemoryState`).
pub fn bytes_to_free(server: &Server) -> u64 {
    let limit = server.config.maxmemory;
    if limit == 0 {
        return 0;
    }
    counted_memory(server).saturating_sub(limit)
}

/// Whether evicting now is allowed (`isSafeToPerformEvictions`): a replica
/// with `replica-ignore-maxmemory` leaves it to its master (not wired until
/// replication exists), and nothing is evicted while clients are paused, so a
/// failover pause sees a frozen data set.
fn safe_to_evict(server: &Server) -> bool {
    server.pause.is_none()
}

/// Evicts keys until memory is under `maxmemory` or the time budget is spent
/// (`performEvictions`).
pub fn perform_evictions(server: &mut Server) -> EvictResult {
    if !safe_to_evict(server) || bytes_to_free(server) == 0 {
        return EvictResult::Ok;
    }
    let policy = server.config.maxmemory_policy;
    let start_us = server.clock.monotonic_us();
    let budget_us = eviction_time_limit_us(server.config.maxmemory_eviction_tenacity);
    let samples = server.config.maxmemory_samples as usize;
    let now_ms = server.clock.now_ms();
    let mut evicted = 0u64;
    let result = loop {
        let Some((db, key)) =
            server
                .keyspace
                .pick_eviction_victim(policy, samples, now_ms, &mut server.rng)
        else {
            break EvictResult::Fail;
        };
        let del_start_us = server.clock.monotonic_us();
        server.keyspace.evict(db, &key);
        let del_ms = server.clock.monotonic_us().saturating_sub(del_start_us) / 1000;
        add_latency(server, "eviction-del", del_ms);
        server.stats.evicted_keys += 1;
        evicted += 1;
        // Deletion frees synchronously, so the counter shows progress at once.
        if bytes_to_free(server) == 0 {
            break EvictResult::Ok;
        }
        if evicted.is_multiple_of(EVICTIONS_PER_CHECK)
            && server.clock.monotonic_us().saturating_sub(start_us) > budget_us
        {
            break EvictResult::Running;
        }
    };
    let cycle_ms = server.clock.monotonic_us().saturating_sub(start_us) / 1000;
    add_latency(server, "eviction-cycle", cycle_ms);
    propagate_evicted(server);
    // Freeing can lag the deletions (Redis waits for lazy-free jobs here).
    if result == EvictResult::Fail && bytes_to_free(server) == 0 {
        return EvictResult::Ok;
    }
    result
}

/// Drains the keyspace's log of evicted keys: WATCH hears of each (a watched
/// key that was evicted fails EXEC), and replicas get each as a DEL (UNLINK
/// under `lazyfree-lazy-eviction`), one by one, never in a transaction.
fn propagate_evicted(server: &mut Server) {
    let evicted = server.keyspace.take_evicted();
    crate::multi::touch_expired(server, &evicted);
    let lazy = server.config.lazyfree_lazy_eviction;
    crate::replicas::propagate_deletions(server, &evicted, lazy);
}

fn add_latency(server: &mut Server, event: &str, latency_ms: u64) {
    let now_s = server.clock.now_ms() / 1000;
    let threshold = server.config.latency_monitor_threshold;
    server
        .latency
        .add_sample_if_needed(event, now_s, latency_ms, threshold);
}

/// The OOM step of the gate (in `processCommand` after authentication): with
/// `maxmemory` set, evict first; if that fails, refuse commands that may grow
/// memory, EXEC of a transaction that queued one, and anything queued inside
/// MULTI except EXEC, DISCARD, QUIT and RESET.
pub fn check_oom(server: &mut Server, client: &Client, spec: &CommandSpec) -> Result<(), String> {
    if server.config.maxmemory == 0 {
        return Ok(());
    }
    let out_of_memory = perform_evictions(server) == EvictResult::Fail;
    if !out_of_memory {
        return Ok(());
    }
    let is_exec = spec.name == "exec";
    let queued_denyoom = is_exec
        && client
            .multi
            .as_ref()
            .is_some_and(|m| m.commands.iter().any(|q| q.spec.flags.has(Flags::DENYOOM)));
    let in_multi =
        client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset");
    if spec.flags.has(Flags::DENYOOM) || queued_denyoom || in_multi {
        return Err(OOM_ERROR.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limit_follows_tenacity() {
        assert_eq!(eviction_time_limit_us(0), 0);
        assert_eq!(eviction_time_limit_us(10), 500);
        assert_eq!(eviction_time_limit_us(11), 575);
        assert!(eviction_time_limit_us(99) > 1_000_000);
        assert_eq!(eviction_time_limit_us(100), u64::MAX);
    }

    #[test]
    fn policy_names_round_trip_the_config_table() {
        for (name, index) in crate::config::table::MAXMEMORY_POLICIES {
            let policy = [
                MaxmemoryPolicy::VolatileLru,
                MaxmemoryPolicy::VolatileLfu,
                MaxmemoryPolicy::VolatileRandom,
                MaxmemoryPolicy::VolatileTtl,
                MaxmemoryPolicy::AllkeysLru,
                MaxmemoryPolicy::AllkeysLfu,
                MaxmemoryPolicy::AllkeysRandom,
                MaxmemoryPolicy::NoEviction,
            ][*index as usize];
            assert_eq!(policy_name(policy), *name);
        }
    }
}
