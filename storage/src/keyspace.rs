//! The keyspace: every database (SELECT 0..databases-1), the operations that span
//! two of them (MOVE, COPY ... DB, SWAPDB, FLUSHALL), and the log of keys deleted
//! by expiry that the server drains to count `expired_keys` and to propagate DELs.
//!
//! The dicts hash with a SipHash key derived from a seed, so a server started with
//! the same seed lays its tables out identically (and SCAN cursors replay).

use crate::db::{Db, Detached, Lookup};
use crate::expire::ExpireState;
use crate::hash::HashKey;
use crate::sds::Sds;
use crate::Rng;

/// The seed behind [`Keyspace::new`]'s hash key.
const DEFAULT_SEED: u64 = 0x7265_6472_696c_6c21;

/// What MOVE did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveOutcome {
    /// Moved.
    Moved,
    /// The key is missing in the source db.
    NoSuchKey,
    /// The destination db already holds the key.
    TargetExists,
}

/// What COPY did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyOutcome {
    /// Copied.
    Copied,
    /// The source key is missing.
    NoSuchKey,
    /// The destination exists and REPLACE was not given.
    TargetExists,
}

/// All databases.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    pub(crate) expire_state: ExpireState,
    /// The eviction pool, `next_db` and the log of evicted keys.
    pub(crate) eviction: crate::evict::EvictionState,
}

impl Default for Keyspace {
    fn default() -> Keyspace {
        Keyspace::new(16)
    }
}

impl Keyspace {
    /// `databases` empty databases, hashing with a fixed key.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace::with_seed(databases, DEFAULT_SEED)
    }

    /// `databases` empty databases whose hash key derives from `seed`.
    pub fn with_seed(databases: usize, seed: u64) -> Keyspace {
        let mut rng = Rng::seeded(seed);
        let key = HashKey {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        };
        let mut dbs: Vec<Db> = (0..databases).map(|_| Db::new(key)).collect();
        for db in &mut dbs {
            // Each database draws its LFU coin flips from its own stream.
            db.access.rng = Rng::seeded(rng.next_u64());
        }
        Keyspace {
            dbs,
            expire_state: ExpireState::default(),
            eviction: Default::default(),
        }
    }

    /// Number of databases.
    pub fn len(&self) -> usize {
        self.dbs.len()
    }

    /// True with zero databases.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Database `index`; panics on a bad index, which callers check first.
    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Database `index`, read-only; panics on a bad index.
    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Every database, in index order.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Every database, mutably (snapshots walk them in turn).
    pub fn dbs_mut(&mut self) -> &mut [Db] {
        &mut self.dbs
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// Two distinct databases, mutably.
    fn pair(&mut self, a: usize, b: usize) -> Option<(&mut Db, &mut Db)> {
        if a == b || a >= self.dbs.len() || b >= self.dbs.len() {
            return None;
        }
        if a < b {
            let (lo, hi) = self.dbs.split_at_mut(b);
            Some((&mut lo[a], &mut hi[0]))
        } else {
            let (lo, hi) = self.dbs.split_at_mut(a);
            Some((&mut hi[0], &mut lo[b]))
        }
    }

    /// MOVE `key` from db `src` to db `dst` (distinct, valid indexes), keeping its
    /// deadline; None for equal or bad indexes.
    pub fn move_key(
        &mut self,
        src: usize,
        dst: usize,
        key: &[u8],
        now_ms: i64,
    ) -> Option<MoveOutcome> {
        let (from, to) = self.pair(src, dst)?;
        if from.lookup_write(key, now_ms).is_none() {
            return Some(MoveOutcome::NoSuchKey);
        }
        if to.lookup_write(key, now_ms).is_some() {
            return Some(MoveOutcome::TargetExists);
        }
        let item = from.detach(key)?;
        to.attach(item);
        Some(MoveOutcome::Moved)
    }

    /// COPY `src_key` of db `src` to `dst_key` of db `dst` (`copyCommand`), with
    /// its deadline. The source is looked up as a read; callers count the hit or
    /// miss from the outcome. The caller rejects same db + same key beforehand.
    pub fn copy_key(
        &mut self,
        src: usize,
        dst: usize,
        src_key: &[u8],
        dst_key: &[u8],
        replace: bool,
        now_ms: i64,
    ) -> CopyOutcome {
        let source = &mut self.dbs[src];
        let Some(value) = source.lookup_read(src_key, now_ms, Lookup::Touch).cloned() else {
            return CopyOutcome::NoSuchKey;
        };
        let expire_ms = source.get_expire(src_key);
        let target = &mut self.dbs[dst];
        if target.lookup_write(dst_key, now_ms).is_some() && !replace {
            return CopyOutcome::TargetExists;
        }
        let lru = target.initial_access(now_ms);
        target.attach(Detached {
            key: Sds::new(dst_key),
            value,
            lru,
            expire_ms,
        });
        CopyOutcome::Copied
    }

    /// SWAPDB: exchanges the contents of two databases; false for a bad index.
    pub fn swap(&mut self, a: usize, b: usize) -> bool {
        if a == b {
            return a < self.dbs.len();
        }
        match self.pair(a, b) {
            Some((x, y)) => {
                x.swap_data(y);
                true
            }
            None => false,
        }
    }

    /// FLUSHALL: empties every database; returns how many keys were removed.
    pub fn flush_all(&mut self) -> usize {
        self.dbs.iter_mut().map(Db::flush).sum()
    }

    /// Takes every key deleted by expiry since the last call, with its db index,
    /// for propagation as DEL. The server must drain this after each command and
    /// cron run, or the log grows.
    pub fn take_expired(&mut self) -> Vec<(usize, Sds)> {
        let mut out = Vec::new();
        for (i, db) in self.dbs.iter_mut().enumerate() {
            out.extend(db.take_expired().into_iter().map(|k| (i, k)));
        }
        out
    }

    /// Takes the number of expiry deletions since the last call (for `expired_keys`).
    pub fn take_expired_count(&mut self) -> u64 {
        self.dbs.iter_mut().map(Db::take_expired_count).sum()
    }

    /// The server cron's share of dict housekeeping (`databasesCron`): shrink
    /// sparse tables and spend up to `budget_us` (Redis: 1000) rehashing the first
    /// database that needs it.
    pub fn databases_cron(&mut self, budget_us: u64, clock: &dyn Fn() -> u64) {
        for db in &mut self.dbs {
            if db.cron(budget_us, clock) {
                break;
            }
        }
    }
}
