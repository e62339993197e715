//! A Redis-style hash table: power-of-two bucket arrays of chained entries, grown
//! and shrunk by *incremental* rehashing (Redis's `dict.c`).
//!
//! Why not `std::collections::HashMap`? Three Redis behaviours need the table's
//! insides: (1) no single command may pay for a whole resize, so while a resize is
//! under way there are two tables and every operation moves a bucket or so from
//! the old one to the new one ([`Dict::rehash_step`]; the server cron adds
//! time-boxed batches, [`Dict::rehash_for`]); (2) SCAN's cursor is a bucket
//! index walked in reverse-binary order, which is what lets it promise that every
//! key present for the whole iteration is returned, even across resizes
//! ([`scan`]); (3) random sampling of entries for RANDOMKEY, active expiry and
//! eviction ([`sample`]).
//!
//! Layout: `tables[0]` is the live table; while rehashing, `tables[1]` is the new
//! one and every bucket of `tables[0]` below `rehash_idx` has already moved.
//! Growth happens when the element count reaches the bucket count (load factor 1),
//! to the next power of two above it; shrinking is asked for by the owner
//! ([`Dict::resize_if_sparse`], below 10% fill, as Redis's cron does).
//!
//! Each entry carries a 24-bit-ish `lru` word (Redis's `robj.lru`), kept here so a
//! key costs one allocation: key, value, lru and the chain link together.

mod sample;
mod scan;

use crate::hash::{siphash12, HashKey};
use crate::sds::Sds;

/// Buckets of a table's first allocation (`DICT_HT_INITIAL_SIZE`).
pub const INITIAL_SIZE: usize = 4;
/// Below this fill percentage a table is worth shrinking (`HASHTABLE_MIN_FILL`).
pub const MIN_FILL_PERCENT: usize = 10;

/// The top bit of an entry's word, free because LRU and LFU use 24 bits: whether
/// the entry was taken by the snapshot of the current epoch (`db::snapshot`).
pub const SNAP_BIT: u32 = 1 << 31;

type Link<V> = Option<Box<Entry<V>>>;

/// One key, its value, its access clock and the next entry of its bucket.
#[derive(Debug)]
pub struct Entry<V> {
    key: Sds,
    value: V,
    lru: u32,
    next: Link<V>,
}

impl<V> Entry<V> {
    /// The key.
    pub fn key(&self) -> &Sds {
        &self.key
    }
    /// The value.
    pub fn value(&self) -> &V {
        &self.value
    }
    /// The value, mutably.
    pub fn value_mut(&mut self) -> &mut V {
        &mut self.value
    }
    /// The LRU/LFU word (24 bits used).
    pub fn lru(&self) -> u32 {
        self.lru & !SNAP_BIT
    }
    /// Sets the LRU/LFU word, keeping the snapshot bit.
    pub fn set_lru(&mut self, lru: u32) {
        self.lru = (self.lru & SNAP_BIT) | (lru & !SNAP_BIT);
    }
    /// The snapshot bit (see `db::snapshot`).
    pub fn snap_bit(&self) -> bool {
        self.lru & SNAP_BIT != 0
    }
    /// Sets the snapshot bit.
    pub fn set_snap_bit(&mut self, on: bool) {
        self.lru = (self.lru & !SNAP_BIT) | if on { SNAP_BIT } else { 0 };
    }
}

/// A chained hash table with incremental rehashing.
#[derive(Debug)]
pub struct Dict<V> {
    tables: [Vec<Link<V>>; 2],
    used: [usize; 2],
    /// Next bucket of `tables[0]` to move; None when not rehashing.
    rehash_idx: Option<usize>,
    key: HashKey,
}

impl<V> Dict<V> {
    /// An empty dict hashing with `key`.
    pub fn new(key: HashKey) -> Dict<V> {
        Dict {
            tables: [Vec::new(), Vec::new()],
            used: [0, 0],
            rehash_idx: None,
            key,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.used[0] + self.used[1]
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets in both tables (`dictSlots`).
    pub fn slots(&self) -> usize {
        self.tables[0].len() + self.tables[1].len()
    }

    /// True while a resize is in progress.
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// The hash of `key`.
    pub fn hash(&self, key: &[u8]) -> u64 {
        siphash12(self.key, key)
    }

    /// Removes everything, keeping the hash key.
    pub fn clear(&mut self) {
        // Dropping a long chain recursively could overflow the stack: unlink first.
        for table in &mut self.tables {
            for bucket in table.iter_mut() {
                let mut link = bucket.take();
                while let Some(mut entry) = link {
                    link = entry.next.take();
                }
            }
        }
        self.tables = [Vec::new(), Vec::new()];
        self.used = [0, 0];
        self.rehash_idx = None;
    }

    /// Moves up to `n` buckets from the old table to the new one, visiting at most
    /// `10 * n` empty buckets (`dictRehash`). Returns true while work remains.
    pub fn rehash_step(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        let mut moved = 0;
        while moved < n && self.used[0] != 0 {
            // used[0] > 0 guarantees a non-empty bucket at or after idx.
            while idx < self.tables[0].len() && self.tables[0][idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let Some(bucket) = self.tables[0].get_mut(idx) else {
                break;
            };
            let mut link = bucket.take();
            let mask = self.tables[1].len() - 1;
            while let Some(mut entry) = link {
                link = entry.next.take();
                let slot = (siphash12(self.key, entry.key.as_bytes()) as usize) & mask;
                entry.next = self.tables[1][slot].take();
                self.tables[1][slot] = Some(entry);
                self.used[0] -= 1;
                self.used[1] += 1;
            }
            idx += 1;
            moved += 1;
        }
        if self.used[0] == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.used = [self.used[1], 0];
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Rehashes in batches of 100 buckets until done or `budget_us` of the
    /// monotonic `clock` passed (`dictRehashMilliseconds`); returns buckets moved.
    pub fn rehash_for(&mut self, budget_us: u64, clock: &dyn Fn() -> u64) -> usize {
        let start = clock();
        let mut batches = 0;
        while self.rehash_step(100) {
            batches += 100;
            if clock().saturating_sub(start) > budget_us {
                break;
            }
        }
        batches
    }

    /// Starts a resize to the smallest power of two holding `size` entries.
    fn resize_to(&mut self, size: usize) {
        if self.is_rehashing() {
            return;
        }
        let buckets = size.max(INITIAL_SIZE).next_power_of_two();
        if buckets == self.tables[0].len() {
            return;
        }
        let mut table = Vec::new();
        table.resize_with(buckets, || None);
        if self.tables[0].is_empty() {
            // First allocation: nothing to move.
            self.tables[0] = table;
        } else {
            self.tables[1] = table;
            self.rehash_idx = Some(0);
        }
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.tables[0].is_empty() {
            self.resize_to(INITIAL_SIZE);
        } else if self.used[0] >= self.tables[0].len() {
            self.resize_to(self.used[0] + 1);
        }
    }

    /// Shrinks a table filled below 10% (`htNeedsResize` + `dictResize`), as the
    /// server cron does; returns true when a resize started.
    pub fn resize_if_sparse(&mut self) -> bool {
        let size = self.tables[0].len();
        if self.is_rehashing() || size <= INITIAL_SIZE {
            return false;
        }
        if self.used[0] * 100 / size < MIN_FILL_PERCENT {
            self.resize_to(self.used[0]);
            return self.is_rehashing();
        }
        false
    }

    /// One rehash step, as every lookup and update pays while a resize runs.
    fn step(&mut self) {
        if self.is_rehashing() {
            self.rehash_step(1);
        }
    }

    /// Finds `key` without touching the table (no rehash step).
    pub fn get(&self, key: &[u8]) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key) as usize;
        for t in 0..self.table_count() {
            let table = &self.tables[t];
            let mut link = table[hash & (table.len() - 1)].as_deref();
            while let Some(entry) = link {
                if entry.key.as_bytes() == key {
                    return Some(entry);
                }
                link = entry.next.as_deref();
            }
        }
        None
    }

    /// Finds `key` for update, paying one rehash step (`dictFind`).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry<V>> {
        if self.is_empty() {
            return None;
        }
        self.step();
        let hash = self.hash(key) as usize;
        let tables = self.table_count();
        let (first, second) = self.tables.split_at_mut(1);
        for table in first.iter_mut().chain(second.iter_mut()).take(tables) {
            let mask = table.len() - 1;
            let mut link = table[hash & mask].as_deref_mut();
            while let Some(entry) = link {
                if entry.key.as_bytes() == key {
                    return Some(entry);
                }
                link = entry.next.as_deref_mut();
            }
        }
        None
    }

    /// True when `key` is present.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    fn table_count(&self) -> usize {
        if self.is_rehashing() {
            2
        } else {
            1
        }
    }

    /// Inserts or replaces; a replaced entry keeps its place and returns the old
    /// value. `lru` is stored either way.
    pub fn insert(&mut self, key: Sds, value: V, lru: u32) -> Option<V> {
        if let Some(entry) = self.get_mut(key.as_bytes()) {
            entry.lru = lru;
            return Some(std::mem::replace(&mut entry.value, value));
        }
        self.insert_new(key, value, lru);
        None
    }

    /// Inserts a key known to be absent (`dictAdd` after a failed find).
    pub fn insert_new(&mut self, key: Sds, value: V, lru: u32) {
        self.step();
        self.expand_if_needed();
        // New entries go to the new table while rehashing, so the old one only drains.
        let t = if self.is_rehashing() { 1 } else { 0 };
        let table = &mut self.tables[t];
        let slot = (siphash12(self.key, key.as_bytes()) as usize) & (table.len() - 1);
        let next = table[slot].take();
        table[slot] = Some(Box::new(Entry {
            key,
            value,
            lru,
            next,
        }));
        self.used[t] += 1;
    }

    /// Removes `key`, returning its key, value and lru.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Sds, V, u32)> {
        if self.is_empty() {
            return None;
        }
        self.step();
        let hash = self.hash(key) as usize;
        for t in 0..self.table_count() {
            let mask = self.tables[t].len() - 1;
            let mut cursor = &mut self.tables[t][hash & mask];
            loop {
                match cursor {
                    None => break,
                    Some(entry) if entry.key.as_bytes() == key => {
                        let mut entry = cursor.take()?;
                        *cursor = entry.next.take();
                        self.used[t] -= 1;
                        return Some((entry.key, entry.value, entry.lru));
                    }
                    Some(entry) => cursor = &mut entry.next,
                }
            }
        }
        None
    }

    /// Every entry, in table order (KEYS, DEBUG DIGEST, snapshots).
    pub fn iter(&self) -> impl Iterator<Item = &Entry<V>> + '_ {
        self.tables.iter().flat_map(|table| {
            table.iter().flat_map(|bucket| {
                let mut link = bucket.as_deref();
                std::iter::from_fn(move || {
                    let entry = link?;
                    link = entry.next.as_deref();
                    Some(entry)
                })
            })
        })
    }

    /// Keys in bucket `cursor & mask` of table `t` (0 or 1): what an active
    /// expiry pass looks at. Empty for a table that is not in use.
    pub fn bucket_keys(&self, t: usize, cursor: u64) -> Vec<Sds> {
        let Some(table) = self.tables.get(t) else {
            return Vec::new();
        };
        if table.is_empty() || (t == 1 && !self.is_rehashing()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut link = table[(cursor as usize) & (table.len() - 1)].as_deref();
        while let Some(entry) = link {
            out.push(entry.key.clone());
            link = entry.next.as_deref();
        }
        out
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests;
