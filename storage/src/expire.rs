//! Active expiry: Redis 7.0's `activeExpireCycle` (`expire.c`).
//!
//! Lazy expiry alone would leave keys that are never read again in memory forever,
//! so the server cron also hunts for them. Per database, in rounds: look at the
//! keys of about `keys_per_loop` (20) buckets of the `expires` dict, walking them
//! with a cursor that persists between calls (so every bucket is eventually
//! visited), delete the expired ones, and run another round while more than
//! `acceptable_stale` percent (10%) of the sampled keys were expired, i.e. while
//! the db is still dirty enough to be worth the CPU. Time is bounded: checked
//! every 16 rounds against a budget.
//!
//! Two flavours: the *slow* cycle runs from the cron at `hz` with a budget of 25%
//! of the cron period; the *fast* cycle runs before the event loop sleeps, for at
//! most 1 ms, and only when the last slow cycle ran out of time or the estimated
//! stale share is high. `active-expire-effort` (1..10) scales keys per round,
//! budgets and the acceptable stale share. The db position, the last fast cycle's
//! time and whether the time limit was hit persist in the [`Keyspace`].
//!
//! Time comes in: `now_ms` for deadlines, and a monotonic `clock` in microseconds
//! for the budget; nothing here reads the system clock.

use crate::keyspace::Keyspace;
use crate::sds::Sds;

/// Keys examined per round at effort 1 (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_LOOP: u64 = 20;
/// Fast cycle budget at effort 1, microseconds.
pub const FAST_DURATION_US: u64 = 1000;
/// Share of the cron period the slow cycle may use at effort 1, percent.
pub const SLOW_TIME_PERC: u64 = 25;
/// Stale percentage below which a db is left alone, at effort 1.
pub const ACCEPTABLE_STALE: u64 = 10;
/// Databases visited per call (`CRON_DBS_PER_CALL`).
pub const DBS_PER_CALL: usize = 16;

/// Which cycle runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireCycle {
    /// From the cron, budget `25% / hz` (scaled by effort).
    Slow,
    /// Before sleeping, budget 1 ms (scaled by effort), throttled.
    Fast,
}

/// What one call did (INFO's expire counters are fed from it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpireStats {
    /// Keys deleted (add to `expired_keys`; they are also in the expired log).
    pub expired: u64,
    /// Keys examined.
    pub sampled: u64,
    /// True when the time budget ran out (`expired_time_cap_reached_count`).
    pub time_cap_reached: bool,
    /// Microseconds spent (`expire_cycle_cpu_milliseconds` accumulates this).
    pub elapsed_us: u64,
    /// False when a fast cycle decided not to run.
    pub ran: bool,
}

/// State carried between cycles (Redis keeps it in function statics).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExpireState {
    current_db: usize,
    timelimit_exit: bool,
    last_fast_cycle_us: u64,
    /// Estimated share of expired keys among keys with a TTL (0..1).
    pub stale_perc: f64,
}

/// Tunables derived from `active-expire-effort`.
struct Tuning {
    keys_per_loop: u64,
    fast_duration_us: u64,
    slow_time_perc: u64,
    acceptable_stale: u64,
}

impl Tuning {
    fn new(effort: u32) -> Tuning {
        let e = u64::from(effort.clamp(1, 10) - 1);
        Tuning {
            keys_per_loop: KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * e,
            fast_duration_us: FAST_DURATION_US + FAST_DURATION_US / 4 * e,
            slow_time_perc: SLOW_TIME_PERC + 2 * e,
            acceptable_stale: ACCEPTABLE_STALE - e,
        }
    }
}

impl Keyspace {
    /// Runs one active expiry cycle. `effort` is `active-expire-effort`, `hz` the
    /// cron frequency (for the slow budget), `clock` monotonic microseconds.
    pub fn active_expire_cycle(
        &mut self,
        cycle: ExpireCycle,
        now_ms: i64,
        effort: u32,
        hz: u32,
        clock: &dyn Fn() -> u64,
    ) -> ExpireStats {
        let tuning = Tuning::new(effort);
        let start = clock();
        let mut stats = ExpireStats::default();
        let st = self.expire_state;
        if cycle == ExpireCycle::Fast {
            // Not worth it unless the last cycle ran out of time or much is stale.
            if !st.timelimit_exit && st.stale_perc < tuning.acceptable_stale as f64 / 100.0 {
                return stats;
            }
            if start < st.last_fast_cycle_us + tuning.fast_duration_us * 2 {
                return stats;
            }
            self.expire_state.last_fast_cycle_us = start;
        }
        stats.ran = true;
        let dbnum = self.len();
        if dbnum == 0 {
            return stats;
        }
        let dbs_per_call = if st.timelimit_exit {
            dbnum
        } else {
            DBS_PER_CALL.min(dbnum)
        };
        let timelimit_us = match cycle {
            ExpireCycle::Slow => {
                (tuning.slow_time_perc * 1_000_000 / u64::from(hz.max(1)) / 100).max(1)
            }
            ExpireCycle::Fast => tuning.fast_duration_us,
        };
        self.expire_state.timelimit_exit = false;
        let mut iteration: u64 = 0;
        for _ in 0..dbs_per_call {
            let index = self.expire_state.current_db % dbnum;
            self.expire_state.current_db = self.expire_state.current_db.wrapping_add(1);
            loop {
                iteration += 1;
                let Some((expired, sampled)) = self.expire_round(index, now_ms, &tuning) else {
                    break;
                };
                stats.expired += expired;
                stats.sampled += sampled;
                if iteration & 0xf == 0 && clock().saturating_sub(start) > timelimit_us {
                    self.expire_state.timelimit_exit = true;
                    stats.time_cap_reached = true;
                    break;
                }
                if sampled != 0 && expired * 100 / sampled <= tuning.acceptable_stale {
                    break;
                }
            }
            if self.expire_state.timelimit_exit {
                break;
            }
        }
        stats.elapsed_us = clock().saturating_sub(start);
        let current = if stats.sampled > 0 {
            stats.expired as f64 / stats.sampled as f64
        } else {
            0.0
        };
        self.expire_state.stale_perc = current * 0.05 + self.expire_state.stale_perc * 0.95;
        stats
    }

    /// One round on one db; None when the db has nothing (worth) sampling.
    fn expire_round(&mut self, index: usize, now_ms: i64, tuning: &Tuning) -> Option<(u64, u64)> {
        let db = self.db_mut(index);
        let num = db.expires.len() as u64;
        if num == 0 {
            db.avg_ttl = 0;
            return None;
        }
        let slots = db.expires.slots() as u64;
        // Under 1% full: sampling buckets would mostly find empty ones.
        if slots > crate::dict::INITIAL_SIZE as u64 && num * 100 / slots < 1 {
            return None;
        }
        let num = num.min(tuning.keys_per_loop);
        let max_buckets = num * 20;
        let (mut checked, mut sampled, mut expired) = (0u64, 0u64, 0u64);
        let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
        while sampled < num && checked < max_buckets {
            for table in 0..2 {
                if table == 1 && !db.expires.is_rehashing() {
                    break;
                }
                let keys: Vec<Sds> = db.expires.bucket_keys(table, db.expires_cursor);
                checked += 1;
                for key in keys {
                    let when = db.get_expire(key.as_bytes()).unwrap_or(i64::MAX);
                    let ttl = when.saturating_sub(now_ms);
                    if db.expire_if_needed(key.as_bytes(), now_ms) {
                        expired += 1;
                    }
                    if ttl > 0 {
                        ttl_sum = ttl_sum.saturating_add(ttl);
                        ttl_samples += 1;
                    }
                    sampled += 1;
                }
            }
            db.expires_cursor = db.expires_cursor.wrapping_add(1);
        }
        if ttl_samples > 0 {
            let avg = ttl_sum / ttl_samples;
            if db.avg_ttl == 0 {
                db.avg_ttl = avg;
            }
            db.avg_ttl = (db.avg_ttl / 50) * 49 + avg / 50;
        }
        Some((expired, sampled))
    }

    /// The stale-key estimate (INFO `expired_stale_perc`, as a percentage).
    pub fn expired_stale_perc(&self) -> f64 {
        self.expire_state.stale_perc * 100.0
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::*;
    use crate::value::Value;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn past_deadlines_vanish_and_future_ones_stay(
            ttls in proptest::collection::vec((0usize..3, -5000i64..5000), 1..400),
        ) {
            let now = 1_000_000i64;
            let mut ks = Keyspace::new(3);
            for (i, (db, ttl)) in ttls.iter().enumerate() {
                let key = format!("k{i}");
                let d = ks.db_mut(*db);
                d.set(key.as_bytes(), Value::string(b"v"), now, false);
                // A deadline equal to now is still alive (now > deadline expires).
                d.set_expire(key.as_bytes(), now + ttl);
            }
            let micros = Cell::new(0u64);
            let clock = || { micros.set(micros.get() + 7); micros.get() };
            for _ in 0..2000 {
                ks.active_expire_cycle(ExpireCycle::Slow, now, 1, 10, &clock);
            }
            for (i, (db, ttl)) in ttls.iter().enumerate() {
                let key = format!("k{i}");
                let present = ks.db(*db).peek(key.as_bytes()).is_some();
                prop_assert_eq!(present, *ttl >= 0, "key {} ttl {}", key, ttl);
            }
            let logged = ks.take_expired().len();
            prop_assert_eq!(logged, ttls.iter().filter(|(_, t)| *t < 0).count());
        }
    }

    #[test]
    fn fast_cycle_is_throttled() {
        let mut ks = Keyspace::new(1);
        let stats = ks.active_expire_cycle(ExpireCycle::Fast, 0, 1, 10, &|| 10_000);
        assert!(!stats.ran, "nothing stale: the fast cycle skips");
    }
}
