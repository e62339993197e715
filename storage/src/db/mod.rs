//! One database: the main dict (key -> value) and the `expires` dict (key -> unix
//! ms), as Redis's `redisDb`, with the lookups of `db.c` and lazy expiry.
//!
//! Lazy expiry (`expireIfNeeded`): every lookup first checks the key's deadline;
//! a key whose deadline has passed is deleted on the spot and reported missing, so
//! no command ever sees an expired key even if active expiry has not reached it.
//! Each such deletion is logged ([`Db::take_expired`]) so the server can count it
//! (`expired_keys`) and propagate it as a DEL to replicas and the AOF.
//!
//! Access clocks: a lookup updates the entry's access word unless the caller asks
//! for [`Lookup::NoTouch`] (Redis's `LOOKUP_NOTOUCH`: TYPE, EXISTS, TTL, OBJECT).
//! The word is the LRU clock (what OBJECT IDLETIME measures) or, under an LFU
//! policy, the decaying frequency counter of [`crate::evict`] (OBJECT FREQ).
//!
//! A key is expired when `now_ms > deadline` (Redis's `keyIsExpired`): a deadline
//! equal to now is still alive.

mod scan;
mod snapshot;

pub use snapshot::SnapItem;

use crate::dict::Dict;
use crate::evict::AccessTracker;
use crate::hash::HashKey;
use crate::lru::{idle_ms, lru_clock};
use crate::sds::Sds;
use crate::value::Value;
use crate::Rng;

/// Whether a read lookup updates the key's access clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Normal read: the access clock moves.
    Touch,
    /// Introspection (TYPE, EXISTS, TTL, OBJECT): the access clock stays.
    NoTouch,
}

/// What RENAME / RENAMENX did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameOutcome {
    /// The source does not exist.
    NoSuchKey,
    /// RENAMENX only: the destination exists, nothing changed.
    TargetExists,
    /// Renamed (or source and destination are the same existing key).
    Renamed,
}

/// A key with everything attached to it, as moved between dbs.
#[derive(Debug)]
pub struct Detached {
    /// The key.
    pub key: Sds,
    /// Its value.
    pub value: Value,
    /// Its access clock.
    pub lru: u32,
    /// Its deadline, if any.
    pub expire_ms: Option<i64>,
}

/// One database.
#[derive(Debug)]
pub struct Db {
    pub(crate) dict: Dict<Value>,
    pub(crate) expires: Dict<i64>,
    /// Where active expiry resumes in `expires` (Redis's `expires_cursor`).
    pub(crate) expires_cursor: u64,
    /// Running average TTL of sampled keys (INFO keyspace `avg_ttl`).
    pub(crate) avg_ttl: i64,
    /// Keys deleted by expiry, not yet taken by the server.
    expired: Vec<Sds>,
    /// Expired deletions not yet counted by the server.
    expired_uncounted: u64,
    /// How lookups update access words (LRU clock or LFU counter).
    pub(crate) access: AccessTracker,
    /// The snapshot epoch: keys whose entry bit differs are pending (`snapshot`).
    pub(crate) snap_epoch: bool,
    /// The snapshot under way, if any.
    pub(crate) snap: Option<snapshot::DbSnap>,
}

impl Db {
    /// An empty database whose dicts hash with `key`.
    pub fn new(key: HashKey) -> Db {
        Db {
            dict: Dict::new(key),
            expires: Dict::new(key),
            expires_cursor: 0,
            avg_ttl: 0,
            expired: Vec::new(),
            expired_uncounted: 0,
            access: AccessTracker::default(),
            snap_epoch: false,
            snap: None,
        }
    }

    /// Number of keys (DBSIZE), expired-but-not-yet-deleted ones included.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True with no keys.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Number of keys with a deadline (INFO keyspace `expires`).
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Average TTL in ms of keys seen by active expiry (INFO keyspace `avg_ttl`).
    pub fn avg_ttl(&self) -> i64 {
        self.avg_ttl
    }

    /// The main dict, read-only (digests, snapshots).
    pub fn dict(&self) -> &Dict<Value> {
        &self.dict
    }

    /// True when `key` has a deadline before `now_ms` (`keyIsExpired`).
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        matches!(self.expires.get(key), Some(e) if now_ms > *e.value())
    }

    /// Deletes `key` if its deadline passed (`expireIfNeeded`); true if it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        if !self.is_expired(key, now_ms) {
            return false;
        }
        self.delete_expired(key);
        true
    }

    /// Deletes a key because it expired, and logs it.
    pub(crate) fn delete_expired(&mut self, key: &[u8]) {
        self.before_write(key);
        if let Some((k, _, _)) = self.dict.remove(key) {
            self.expires.remove(key);
            self.expired.push(k);
            self.expired_uncounted += 1;
        }
    }

    /// Looks `key` up for reading (`lookupKeyRead`): None when missing or expired.
    pub fn lookup_read(&mut self, key: &[u8], now_ms: i64, lookup: Lookup) -> Option<&Value> {
        self.expire_if_needed(key, now_ms);
        let entry = self.dict.get_mut(key)?;
        if lookup == Lookup::Touch {
            entry.set_lru(self.access.touch(entry.lru(), now_ms));
        }
        Some(entry.value())
    }

    /// Looks `key` up for writing (`lookupKeyWrite`): expired keys are deleted first.
    pub fn lookup_write(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        self.expire_if_needed(key, now_ms);
        self.before_write(key);
        let entry = self.dict.get_mut(key)?;
        entry.set_lru(self.access.touch(entry.lru(), now_ms));
        Some(entry.value_mut())
    }

    /// True when `key` exists and is not expired, touched as a write lookup
    /// would: for commands that replace the value whole (SET), which must not
    /// make the snapshot copy a value they are about to hand it.
    pub fn exists_for_replace(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.expire_if_needed(key, now_ms);
        match self.dict.get_mut(key) {
            Some(entry) => {
                entry.set_lru(self.access.touch(entry.lru(), now_ms));
                true
            }
            None => false,
        }
    }

    /// True when `key` exists and is not expired (lookup without touching).
    pub fn exists(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.lookup_read(key, now_ms, Lookup::NoTouch).is_some()
    }

    /// The value under `key` with no expiry check and no touch (DEBUG DIGEST-VALUE).
    pub fn peek(&self, key: &[u8]) -> Option<&Value> {
        self.dict.get(key).map(|e| e.value())
    }

    /// Sets `key` to `value` (`setKey`): the TTL is cleared unless `keep_ttl`. An
    /// expired key is deleted first, so KEEPTTL never revives a dead deadline.
    pub fn set(&mut self, key: &[u8], value: Value, now_ms: i64, keep_ttl: bool) {
        self.expire_if_needed(key, now_ms);
        match self.dict.get_mut(key) {
            Some(entry) => {
                let word = entry.lru();
                // Redis looks the key up for writing (a touch) and the new value
                // inherits the word, so an LFU counter survives overwrites.
                let old = std::mem::replace(entry.value_mut(), value);
                entry.set_lru(self.access.touch(word, now_ms));
                match self.snap.as_mut() {
                    Some(snap) if entry.snap_bit() != self.snap_epoch => {
                        let expire_ms = self.expires.get(key).map(|e| *e.value());
                        snap.keep_replaced(self.snap_epoch, entry, old, word, expire_ms);
                    }
                    _ => drop(old),
                }
            }
            None => {
                let word = self.stamp(self.access.mode.initial(now_ms));
                self.dict.insert_new(Sds::new(key), value, word);
            }
        }
        if !keep_ttl {
            self.expires.remove(key);
        }
    }

    /// Deletes `key` and its deadline (`dbSyncDelete`); true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.before_write(key);
        if self.dict.remove(key).is_some() {
            self.expires.remove(key);
            true
        } else {
            false
        }
    }

    /// The deadline of `key` in unix ms, if it has one (`getExpire`).
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).map(|e| *e.value())
    }

    /// Gives a key just loaded from a dump the idle time or LFU counter the
    /// dump recorded for it, as Redis's loader does (`objectSetLRUOrLFU`).
    pub fn restore_access(
        &mut self,
        key: &[u8],
        idle_s: Option<u64>,
        freq: Option<u8>,
        now_ms: i64,
    ) {
        let Some(word) = self.access.mode.restored(idle_s, freq, now_ms) else {
            return;
        };
        if let Some(entry) = self.dict.get_mut(key) {
            entry.set_lru(word);
        }
    }

    /// Sets the deadline of an existing key; false when the key is missing.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) -> bool {
        self.before_write(key);
        // The expires dict keeps its own copy of the key (free when inline).
        let Some(entry) = self.dict.get(key) else {
            return false;
        };
        let k = entry.key().clone();
        self.expires.insert(k, when_ms, 0);
        true
    }

    /// Removes the deadline of `key` (PERSIST); true if it had one.
    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        self.before_write(key);
        self.expires.remove(key).is_some()
    }

    /// Milliseconds since `key` was last accessed (OBJECT IDLETIME), no touch.
    pub fn idle_ms(&self, key: &[u8], now_ms: i64) -> Option<u64> {
        let entry = self.dict.get(key)?;
        Some(idle_ms(entry.lru(), lru_clock(now_ms)))
    }

    /// The key's LFU counter after decay (OBJECT FREQ), no touch; meaningful
    /// only under an LFU access mode.
    pub fn lfu_freq(&self, key: &[u8], now_ms: i64) -> Option<u8> {
        let entry = self.dict.get(key)?;
        let decay = match self.access.mode {
            crate::evict::AccessMode::Lfu { decay_minutes, .. } => decay_minutes,
            crate::evict::AccessMode::Lru => 1,
        };
        Some(crate::evict::lfu_decr_and_return(
            entry.lru(),
            now_ms,
            decay,
        ))
    }

    /// The access word a key created now gets (LRU clock or initial LFU word).
    pub fn initial_access(&self, now_ms: i64) -> u32 {
        self.access.mode.initial(now_ms)
    }

    /// The key's raw LRU/LFU word.
    pub fn lru(&self, key: &[u8]) -> Option<u32> {
        self.dict.get(key).map(|e| e.lru())
    }

    /// Removes `key` with its value, clock and deadline, for moving elsewhere.
    pub fn detach(&mut self, key: &[u8]) -> Option<Detached> {
        self.before_write(key);
        let (key, value, lru) = self.dict.remove(key)?;
        let expire_ms = self.expires.remove(key.as_bytes()).map(|(_, when, _)| when);
        Some(Detached {
            key,
            value,
            lru,
            expire_ms,
        })
    }

    /// Inserts a detached key, replacing any value and deadline under its name.
    pub fn attach(&mut self, item: Detached) {
        self.delete(item.key.as_bytes());
        if let Some(when) = item.expire_ms {
            self.expires.insert_new(item.key.clone(), when, 0);
        }
        let word = self.stamp(item.lru);
        self.dict.insert_new(item.key, item.value, word);
    }

    /// RENAME / RENAMENX (`renameGenericCommand`): the value keeps its deadline.
    pub fn rename(&mut self, src: &[u8], dst: &[u8], now_ms: i64, nx: bool) -> RenameOutcome {
        if self.lookup_write(src, now_ms).is_none() {
            return RenameOutcome::NoSuchKey;
        }
        if src == dst {
            return if nx {
                RenameOutcome::TargetExists
            } else {
                RenameOutcome::Renamed
            };
        }
        if self.lookup_write(dst, now_ms).is_some() && nx {
            return RenameOutcome::TargetExists;
        }
        let Some(mut item) = self.detach(src) else {
            return RenameOutcome::NoSuchKey;
        };
        item.key = Sds::new(dst);
        self.attach(item);
        RenameOutcome::Renamed
    }

    /// A random live key (`dbRandomKey`): expired picks are deleted and retried.
    pub fn random_key(&mut self, now_ms: i64, rng: &mut Rng) -> Option<Sds> {
        // Each retry deletes one key, so len + 1 tries always suffice.
        for _ in 0..=self.dict.len() {
            let key = self.dict.fair_random_entry(rng)?.key().clone();
            if self.expire_if_needed(key.as_bytes(), now_ms) {
                continue;
            }
            return Some(key);
        }
        None
    }

    /// Every live key matching `pattern` (KEYS): expired keys are skipped, not deleted.
    pub fn keys(&self, pattern: &[u8], now_ms: i64) -> Vec<Sds> {
        let all = pattern == b"*";
        self.dict
            .iter()
            .filter(|e| all || crate::glob::matches(pattern, e.key().as_bytes(), false))
            .filter(|e| !self.is_expired(e.key().as_bytes(), now_ms))
            .map(|e| e.key().clone())
            .collect()
    }

    /// Removes every key (FLUSHDB); returns how many there were.
    pub fn flush(&mut self) -> usize {
        self.snapshot_take_all();
        let n = self.dict.len();
        self.dict.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
        n
    }

    /// Exchanges the data (keys, deadlines, expiry state) with `other` (SWAPDB);
    /// the logs of expired keys stay with their database index.
    pub fn swap_data(&mut self, other: &mut Db) {
        // Entry bits follow their dict's epoch, so the epochs travel with the data.
        self.snapshot_take_all();
        other.snapshot_take_all();
        std::mem::swap(&mut self.snap_epoch, &mut other.snap_epoch);
        std::mem::swap(&mut self.dict, &mut other.dict);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.expires_cursor, &mut other.expires_cursor);
        std::mem::swap(&mut self.avg_ttl, &mut other.avg_ttl);
    }

    /// Takes the keys deleted by expiry since the last call.
    pub fn take_expired(&mut self) -> Vec<Sds> {
        std::mem::take(&mut self.expired)
    }

    /// Takes the number of expiry deletions since the last call.
    pub fn take_expired_count(&mut self) -> u64 {
        std::mem::take(&mut self.expired_uncounted)
    }

    /// Cron housekeeping: shrink sparse tables and rehash for up to `budget_us`
    /// (`tryResizeHashTables` + `incrementallyRehash`); true if it rehashed.
    pub fn cron(&mut self, budget_us: u64, clock: &dyn Fn() -> u64) -> bool {
        self.dict.resize_if_sparse();
        self.expires.resize_if_sparse();
        if self.dict.is_rehashing() {
            self.dict.rehash_for(budget_us, clock);
            return true;
        }
        if self.expires.is_rehashing() {
            self.expires.rehash_for(budget_us, clock);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod snapshot_tests;
