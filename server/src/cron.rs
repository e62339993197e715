//! The periodic jobs of Redis's serverCron, one tick at a time.
//!
//! Each tick: close clients idle longer than `timeout` (clientsCron), and run the
//! slow active-expire cycle with its time budget (activeExpireCycle). The tick
//! gets the server state and reads time only from its clock, so a test can drive
//! it on a manual clock.

use crate::config::LogLevel;
use crate::log;
use crate::state::Server;

/// One run of the periodic jobs.
pub fn tick(server: &mut Server) {
    server.clock.resync();
    let now = server.clock.now_ms();
    let (commands, net_in, net_out) = (
        server.stats.commands_processed,
        server.stats.net_input_bytes,
        server.stats.net_output_bytes,
    );
    server.ops_sampler.sample(now, commands, net_in, net_out);
    let used = crate::alloc::used_memory() as u64;
    if used > server.memory_peak.get() {
        server.memory_peak.set(used);
    }
    close_idle_clients(server);
    enforce_output_limits(server);
    crate::client_evict::cron(server);
    // A cycle that ran out of its tenacity budget goes on here even when no
    // command arrives (Redis keeps evicting from a timer, evictionTimeProc).
    if server.config.maxmemory > 0 {
        crate::evict::perform_evictions(server);
    }
    databases_cron(server);
    crate::persist::cron(server);
    crate::replicas::cron(server);
}

/// Redis's databasesCron: the slow active-expire cycle (unless DEBUG
/// SET-ACTIVE-EXPIRE 0 turned it off), then incremental rehashing with a 1 ms
/// budget, then the count of keys that expired since the last tick.
fn databases_cron(server: &mut Server) {
    let now = server.clock.now_ms();
    let clock = &server.clock;
    let monotonic = || clock.monotonic_us();
    if server.active_expire_enabled {
        server.keyspace.active_expire_cycle(
            storage::ExpireCycle::Slow,
            now,
            server.config.active_expire_effort,
            server.config.hz,
            &monotonic,
        );
    }
    server.keyspace.databases_cron(1000, &monotonic);
    server.stats.expired_keys += server.keyspace.take_expired_count();
    // WATCH hears of every expired key (a watched key that expired fails
    // EXEC), and replicas get each as a DEL.
    let expired = server.keyspace.take_expired();
    crate::multi::touch_expired(server, &expired);
    let lazy = server.config.lazyfree_lazy_expire;
    crate::replicas::propagate_deletions(server, &expired, lazy);
}

/// Output-buffer limits for clients whose buffers others fill (MONITOR,
/// pub/sub) and for soft limits that expire while nothing else happens.
fn enforce_output_limits(server: &mut Server) {
    let now = server.clock.now_ms();
    let clients: Vec<_> = server.clients.values().cloned().collect();
    for client in clients {
        if let Ok(mut c) = client.try_borrow_mut() {
            crate::obuf::enforce(server, &mut c, now);
        }
    }
}

/// `timeout`: closes normal clients idle for longer than the limit. Replicas,
/// masters and subscribers are exempt, as in Redis's clientsCronHandleTimeout.
fn close_idle_clients(server: &mut Server) {
    let timeout_s = server.config.timeout;
    if timeout_s == 0 {
        return;
    }
    let now = server.clock.now_ms();
    for client in server.clients.values() {
        let Ok(mut c) = client.try_borrow_mut() else {
            continue;
        };
        let idle_ms = now - c.last_interaction_ms;
        if c.kind == crate::client::ClientKind::Normal
            && !c.monitor
            && c.blocked.is_none()
            && idle_ms > (timeout_s as i64).saturating_mul(1000)
        {
            log::line(LogLevel::Verbose, now, "Closing idle client");
            c.close_asap = true;
            c.notify.notify_one();
        }
    }
}

/// Redis's instantaneous metrics: a ring of recent per-second rates, sampled
/// every cron tick, averaged for INFO's `instantaneous_*` fields.
#[derive(Debug, Default)]
pub struct OpsSampler {
    last_ms: i64,
    last: [u64; 3],
    rates: [[f64; 16]; 3],
    index: usize,
}

impl OpsSampler {
    /// Records the counters' current values at `now_ms`.
    pub fn sample(&mut self, now_ms: i64, commands: u64, net_in: u64, net_out: u64) {
        let elapsed = now_ms - self.last_ms;
        if elapsed < 100 {
            return;
        }
        let current = [commands, net_in, net_out];
        if self.last_ms > 0 {
            for (k, value) in current.iter().enumerate() {
                let delta = value.saturating_sub(self.last[k]) as f64;
                self.rates[k][self.index] = delta * 1000.0 / elapsed as f64;
            }
            self.index = (self.index + 1) % 16;
        }
        self.last = current;
        self.last_ms = now_ms;
    }

    fn mean(&self, k: usize) -> f64 {
        self.rates[k].iter().sum::<f64>() / 16.0
    }

    /// instantaneous_ops_per_sec.
    pub fn ops_per_sec(&self) -> u64 {
        self.mean(0).round() as u64
    }

    /// instantaneous_input_kbps.
    pub fn input_kbps(&self) -> f64 {
        self.mean(1) / 1024.0
    }

    /// instantaneous_output_kbps.
    pub fn output_kbps(&self) -> f64 {
        self.mean(2) / 1024.0
    }
}
