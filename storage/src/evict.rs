//! Access tracking and eviction candidates: the LFU counter of `object.c` and the
//! eviction pool of `evict.c`.
//!
//! Every key carries a 24-bit access word (`robj.lru`). Under an LRU policy (and
//! with no policy) it is the LRU clock of [`crate::lru`]. Under an LFU policy it
//! is split in two: the high 16 bits hold the minute of the last decrement (unix
//! minutes mod 2^16) and the low 8 bits a logarithmic access counter. A new key
//! starts at [`LFU_INIT_VAL`] so it is not evicted before it had a chance to be
//! read again; each access first decays the counter by one per `lfu-decay-time`
//! minutes elapsed, then increments it with probability `1 / ((c - 5) *
//! lfu-log-factor + 1)`, so reaching 255 takes about a million accesses with the
//! default factor of 10.
//!
//! Eviction never scans the keyspace. Like Redis, it samples `maxmemory-samples`
//! keys per database (from the main dict for `allkeys-*`, from the expires dict
//! for `volatile-*`) and merges them into a pool of [`EVPOOL_SIZE`] candidates
//! kept sorted by an idle score: idle milliseconds for LRU, `255 - counter` for
//! LFU, `u64::MAX - deadline` for volatile-ttl. The best candidate is the last;
//! candidates survive between evictions, so each round refines the pool rather
//! than starting over. The random policies skip the pool and take a random key
//! from the next non-empty database in turn (`next_db`).

use crate::db::Db;
use crate::keyspace::Keyspace;
use crate::lru::{idle_ms, lru_clock, LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION_MS};
use crate::sds::Sds;
use crate::Rng;

/// Initial LFU counter of a new key (`LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u8 = 5;
/// Candidates kept between evictions (`EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;
/// Populate rounds before [`Keyspace::pick_eviction_victim`] gives up when
/// every candidate it finds has vanished (deleted since it was pooled).
const MAX_POOL_ROUNDS: usize = 64;

/// How lookups update a key's access word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessMode {
    /// Store the LRU clock (every policy but the LFU ones).
    Lru,
    /// Decay and log-increment the LFU counter (`allkeys-lfu`, `volatile-lfu`).
    Lfu {
        /// `lfu-log-factor`.
        log_factor: u32,
        /// `lfu-decay-time`, minutes (0: never decay).
        decay_minutes: u32,
    },
}

impl AccessMode {
    /// The access word of a key created at `now_ms` (`createObject`).
    pub fn initial(&self, now_ms: i64) -> u32 {
        match self {
            AccessMode::Lru => lru_clock(now_ms),
            AccessMode::Lfu { .. } => (lfu_minutes(now_ms) << 8) | u32::from(LFU_INIT_VAL),
        }
    }

    /// The access word of a key loaded at `now_ms` with the IDLE seconds or
    /// FREQ counter its dump recorded (`objectSetLRUOrLFU`): a FREQ counts
    /// under the LFU policies, an IDLE under every other one; None when the
    /// dump has nothing for this mode, and the key keeps a fresh word.
    pub fn restored(&self, idle_s: Option<u64>, freq: Option<u8>, now_ms: i64) -> Option<u32> {
        match self {
            AccessMode::Lfu { .. } => freq.map(|f| (lfu_minutes(now_ms) << 8) | u32::from(f)),
            AccessMode::Lru => idle_s.map(|idle| {
                let ticks = idle.saturating_mul(1000) / LRU_CLOCK_RESOLUTION_MS as u64;
                let clock = i64::from(lru_clock(now_ms));
                let ticks = i64::try_from(ticks).unwrap_or(i64::MAX);
                // Redis adds LRU_CLOCK_MAX (not MAX + 1) to an underflowed
                // clock; idle_ms's wrap-around accounting expects the same.
                let mut at = clock.saturating_sub(ticks);
                if at < 0 {
                    at = (at + i64::from(LRU_CLOCK_MAX)).max(0);
                }
                at as u32
            }),
        }
    }

    /// The access word after an access at `now_ms` (`updateLFU` or `LRU_CLOCK`).
    pub fn touch(&self, word: u32, now_ms: i64, rng: &mut Rng) -> u32 {
        match *self {
            AccessMode::Lru => lru_clock(now_ms),
            AccessMode::Lfu {
                log_factor,
                decay_minutes,
            } => {
                let counter = lfu_decr_and_return(word, now_ms, decay_minutes);
                let counter = lfu_log_incr(counter, log_factor, rng);
                (lfu_minutes(now_ms) << 8) | u32::from(counter)
            }
        }
    }

    /// The decay period used when scoring LFU words (Redis's default when LRU).
    fn decay_minutes(&self) -> u32 {
        match self {
            AccessMode::Lru => 1,
            AccessMode::Lfu { decay_minutes, .. } => *decay_minutes,
        }
    }
}

/// The access tracking state of one database: its mode and the generator
/// behind the probabilistic LFU increment.
#[derive(Debug, Clone)]
pub struct AccessTracker {
    /// How lookups update the access word.
    pub mode: AccessMode,
    /// Randomness for `LFULogIncr`.
    pub rng: Rng,
}

impl Default for AccessTracker {
    fn default() -> AccessTracker {
        AccessTracker {
            mode: AccessMode::Lru,
            rng: Rng::seeded(0),
        }
    }
}

impl AccessTracker {
    /// The access word after an access at `now_ms`.
    pub fn touch(&mut self, word: u32, now_ms: i64) -> u32 {
        self.mode.touch(word, now_ms, &mut self.rng)
    }
}

/// Unix minutes mod 2^16 (`LFUGetTimeInMinutes`).
pub fn lfu_minutes(now_ms: i64) -> u32 {
    (now_ms.max(0) / 60_000) as u32 & 0xFFFF
}

/// Minutes since `ldt`, allowing one wrap of the 16-bit clock (`LFUTimeElapsed`).
fn lfu_elapsed(ldt: u32, now: u32) -> u32 {
    if now >= ldt {
        now - ldt
    } else {
        65_535 - ldt + now
    }
}

/// The LFU counter of `word` after decay at `now_ms` (`LFUDecrAndReturn`); the
/// word itself is not updated, as OBJECT FREQ and the pool only read it.
pub fn lfu_decr_and_return(word: u32, now_ms: i64, decay_minutes: u32) -> u8 {
    let ldt = (word >> 8) & 0xFFFF;
    let counter = (word & 0xFF) as u8;
    if decay_minutes == 0 {
        return counter;
    }
    let periods = lfu_elapsed(ldt, lfu_minutes(now_ms)) / decay_minutes;
    counter.saturating_sub(periods.min(255) as u8)
}

/// The counter after one access (`LFULogIncr`): the higher it is, the less
/// likely it grows, so 8 bits cover millions of accesses.
pub fn lfu_log_incr(counter: u8, log_factor: u32, rng: &mut Rng) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    // 53 random bits give a uniform double in [0, 1).
    let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// `maxmemory-policy` as the keyspace sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionPolicy {
    /// LRU among keys with a deadline.
    VolatileLru,
    /// LFU among keys with a deadline.
    VolatileLfu,
    /// Random among keys with a deadline.
    VolatileRandom,
    /// Nearest deadline first.
    VolatileTtl,
    /// LRU among all keys.
    AllkeysLru,
    /// LFU among all keys.
    AllkeysLfu,
    /// Random among all keys.
    AllkeysRandom,
    /// Never evict.
    NoEviction,
}

/// How a policy orders its candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Lru,
    Lfu,
    Ttl,
    Random,
    None,
}

impl EvictionPolicy {
    /// True for the `volatile-*` policies, which only consider keys with a TTL.
    pub fn is_volatile(self) -> bool {
        use EvictionPolicy::*;
        matches!(
            self,
            VolatileLru | VolatileLfu | VolatileRandom | VolatileTtl
        )
    }

    /// True for the LRU policies (`MAXMEMORY_FLAG_LRU`).
    pub fn is_lru(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru | EvictionPolicy::AllkeysLru
        )
    }

    /// True for the LFU policies (`MAXMEMORY_FLAG_LFU`).
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLfu | EvictionPolicy::AllkeysLfu
        )
    }

    fn order(self) -> Order {
        use EvictionPolicy::*;
        match self {
            VolatileLru | AllkeysLru => Order::Lru,
            VolatileLfu | AllkeysLfu => Order::Lfu,
            VolatileTtl => Order::Ttl,
            VolatileRandom | AllkeysRandom => Order::Random,
            NoEviction => Order::None,
        }
    }
}

/// One pooled candidate (`evictionPoolEntry`).
#[derive(Debug, Clone)]
struct Candidate {
    idle: u64,
    db: usize,
    key: Sds,
}

/// The eviction pool: at most [`EVPOOL_SIZE`] candidates, ascending by idle score.
#[derive(Debug, Default, Clone)]
pub struct EvictionPool {
    entries: Vec<Candidate>,
}

impl EvictionPool {
    /// Number of pooled candidates.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True with no candidates.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Offers a candidate: kept if the pool has room or it beats the worst one.
    pub fn offer(&mut self, idle: u64, db: usize, key: &Sds) {
        if let Some(i) = self
            .entries
            .iter()
            .position(|c| c.db == db && c.key == *key)
        {
            // Sampled again: refresh its score rather than pooling it twice.
            self.entries.remove(i);
        }
        let at = self.entries.partition_point(|c| c.idle < idle);
        if self.entries.len() >= EVPOOL_SIZE {
            if at == 0 {
                return; // worse than every pooled candidate
            }
            // Drop the least idle to make room; the new one slides one left.
            self.entries.remove(0);
            self.entries.insert(at - 1, Candidate::new(idle, db, key));
        } else {
            self.entries.insert(at, Candidate::new(idle, db, key));
        }
    }

    /// Removes and returns the best candidate (the idlest).
    pub fn pop_best(&mut self) -> Option<(usize, Sds)> {
        self.entries.pop().map(|c| (c.db, c.key))
    }

    /// Forgets every candidate (FLUSHALL, policy changes).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl Candidate {
    fn new(idle: u64, db: usize, key: &Sds) -> Candidate {
        Candidate {
            idle,
            db,
            key: key.clone(),
        }
    }
}

/// Eviction state kept in the keyspace between calls.
#[derive(Debug, Default, Clone)]
pub struct EvictionState {
    /// The candidate pool.
    pub pool: EvictionPool,
    /// Where the random policies look next (Redis's static `next_db`).
    pub next_db: usize,
    /// Evicted keys not yet taken by the server (for DEL propagation).
    pub evicted: Vec<(usize, Sds)>,
}

/// Samples `db` and offers its keys to `pool` (`evictionPoolPopulate`).
fn populate(
    pool: &mut EvictionPool,
    index: usize,
    db: &Db,
    order: Order,
    volatile: bool,
    ctx: &mut Sampling<'_>,
) {
    let decay = db.access.mode.decay_minutes();
    let now_lru = lru_clock(ctx.now_ms);
    let mut offer = |key: &Sds, word: Option<u32>, deadline: i64| {
        let idle = match order {
            Order::Lru => word.map_or(0, |w| idle_ms(w, now_lru)),
            Order::Lfu => word.map_or(0, |w| {
                255 - u64::from(lfu_decr_and_return(w, ctx.now_ms, decay))
            }),
            Order::Ttl => u64::MAX - deadline.max(0) as u64,
            Order::Random | Order::None => return,
        };
        pool.offer(idle, index, key);
    };
    if volatile {
        for entry in db.expires.sample(ctx.rng, ctx.samples) {
            // The access word lives with the value in the main dict.
            let word = db.dict.get(entry.key().as_bytes()).map(|e| e.lru());
            offer(entry.key(), word, *entry.value());
        }
    } else {
        for entry in db.dict.sample(ctx.rng, ctx.samples) {
            offer(entry.key(), Some(entry.lru()), 0);
        }
    }
}

/// The arguments every sampling round shares.
struct Sampling<'a> {
    samples: usize,
    now_ms: i64,
    rng: &'a mut Rng,
}

/// Keys a policy may pick from in `db`.
fn candidates_in(db: &Db, volatile: bool) -> usize {
    if volatile {
        db.expires_len()
    } else {
        db.len()
    }
}

impl Keyspace {
    /// The key `policy` would evict next, as `(db, key)`, or None when no key
    /// qualifies (noeviction, empty keyspace, no TTLs under volatile-*). The key
    /// is not deleted; see [`Keyspace::evict`].
    pub fn pick_eviction_victim(
        &mut self,
        policy: EvictionPolicy,
        samples: usize,
        now_ms: i64,
        rng: &mut Rng,
    ) -> Option<(usize, Sds)> {
        let volatile = policy.is_volatile();
        match policy.order() {
            Order::None => None,
            Order::Random => self.pick_random(volatile, rng),
            order => {
                let mut ctx = Sampling {
                    samples: samples.max(1),
                    now_ms,
                    rng,
                };
                self.pick_from_pool(order, volatile, &mut ctx)
            }
        }
    }

    fn pick_random(&mut self, volatile: bool, rng: &mut Rng) -> Option<(usize, Sds)> {
        let n = self.len();
        for _ in 0..n {
            self.eviction.next_db = (self.eviction.next_db + 1) % n;
            let index = self.eviction.next_db;
            let db = self.db(index);
            let key = if volatile {
                db.expires.random_entry(rng).map(|e| e.key().clone())
            } else {
                db.dict.random_entry(rng).map(|e| e.key().clone())
            };
            if let Some(key) = key {
                return Some((index, key));
            }
        }
        None
    }

    fn pick_from_pool(
        &mut self,
        order: Order,
        volatile: bool,
        ctx: &mut Sampling<'_>,
    ) -> Option<(usize, Sds)> {
        for _ in 0..MAX_POOL_ROUNDS {
            let mut total = 0;
            let mut pool = std::mem::take(&mut self.eviction.pool);
            for (index, db) in self.dbs().iter().enumerate() {
                let keys = candidates_in(db, volatile);
                if keys > 0 {
                    populate(&mut pool, index, db, order, volatile, ctx);
                    total += keys;
                }
            }
            if total == 0 {
                self.eviction.pool = pool;
                return None;
            }
            // Best first; candidates deleted since they were pooled are ghosts.
            while let Some((index, key)) = pool.pop_best() {
                let db = self.db(index);
                let alive = if volatile {
                    db.expires.contains(key.as_bytes())
                } else {
                    db.dict.contains(key.as_bytes())
                };
                if alive {
                    self.eviction.pool = pool;
                    return Some((index, key));
                }
            }
            self.eviction.pool = pool;
        }
        None
    }

    /// Deletes an evicted key and logs it for propagation; true if it existed.
    pub fn evict(&mut self, db: usize, key: &Sds) -> bool {
        if db >= self.len() || !self.db_mut(db).delete(key.as_bytes()) {
            return false;
        }
        self.eviction.evicted.push((db, key.clone()));
        true
    }

    /// Takes the keys evicted since the last call, as `(db, key)`, for the
    /// server to propagate as DEL (or UNLINK) to replicas and the AOF.
    pub fn take_evicted(&mut self) -> Vec<(usize, Sds)> {
        std::mem::take(&mut self.eviction.evicted)
    }

    /// Sets how every database's lookups update access words (LRU or LFU);
    /// pooled candidates are forgotten, as their scores may mean something else.
    pub fn set_access_mode(&mut self, mode: AccessMode) {
        self.eviction.pool.clear();
        for index in 0..self.len() {
            self.db_mut(index).access.mode = mode;
        }
    }

    /// The access mode in force.
    pub fn access_mode(&self) -> AccessMode {
        self.dbs()
            .first()
            .map_or(AccessMode::Lru, |db| db.access.mode)
    }
}

#[cfg(test)]
mod tests;
