//! Random sampling of a dict's entries (Redis's `dictGetRandomKey`,
//! `dictGetSomeKeys`, `dictGetFairRandomKey`).
//!
//! A bucket is chosen uniformly, then an entry of its chain; that favours entries
//! in short chains, which is why RANDOMKEY uses the "fair" variant: sample a few
//! consecutive buckets' worth of entries and pick one of them uniformly. While
//! rehashing, buckets of the old table below `rehash_idx` are empty by
//! construction and are skipped.

use super::{Dict, Entry};
use crate::Rng;

/// Entries gathered by the fair random pick (`GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 20;
/// Random bucket probes before falling back to a linear walk.
const RANDOM_PROBES: usize = 1000;

impl<V> Dict<V> {
    /// The chain at global bucket position `pos` (old table first, then new).
    fn chain_at(&self, pos: usize) -> Option<&Entry<V>> {
        let size0 = self.tables[0].len();
        if pos < size0 {
            self.tables[0][pos].as_deref()
        } else {
            self.tables[1].get(pos - size0)?.as_deref()
        }
    }

    /// A random entry: random non-empty bucket, then a random element of its chain.
    pub fn random_entry(&self, rng: &mut Rng) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let start = self.rehash_idx.unwrap_or(0);
        let end = if self.is_rehashing() {
            self.slots()
        } else {
            self.tables[0].len()
        };
        let span = (end - start) as u64;
        let mut head = None;
        for _ in 0..RANDOM_PROBES {
            let pos = start + rng.below(span) as usize;
            if let Some(entry) = self.chain_at(pos) {
                head = Some(entry);
                break;
            }
        }
        // A very sparse table (shrink pending) could defeat random probing: walk.
        let head = match head {
            Some(h) => h,
            None => {
                let from = start + rng.below(span) as usize;
                (0..end - start)
                    .map(|i| start + (from - start + i) % (end - start))
                    .find_map(|pos| self.chain_at(pos))?
            }
        };
        let mut len = 0u64;
        let mut link = Some(head);
        while let Some(e) = link {
            len += 1;
            link = e.next.as_deref();
        }
        let mut pick = rng.below(len);
        let mut entry = head;
        while pick > 0 {
            entry = entry.next.as_deref()?;
            pick -= 1;
        }
        Some(entry)
    }

    /// Up to `count` entries from a random region of the table, in at most
    /// `10 * count` bucket steps (`dictGetSomeKeys`); may return fewer.
    pub fn sample(&self, rng: &mut Rng, count: usize) -> Vec<&Entry<V>> {
        let count = count.min(self.len());
        let mut out = Vec::with_capacity(count);
        if count == 0 {
            return out;
        }
        let tables = self.table_count();
        let max_mask = self.tables[..tables]
            .iter()
            .map(|t| t.len() - 1)
            .max()
            .unwrap_or(0);
        let mut i = (rng.next_u64() as usize) & max_mask;
        let mut empty_run = 0;
        let rehash_idx = self.rehash_idx.unwrap_or(0);
        for _ in 0..count * 10 {
            for t in 0..tables {
                if tables == 2 && t == 0 && i < rehash_idx {
                    // Already moved: those buckets are empty in the old table.
                    if i >= self.tables[1].len() {
                        i = rehash_idx;
                    } else {
                        continue;
                    }
                }
                let Some(bucket) = self.tables[t].get(i) else {
                    continue;
                };
                match bucket.as_deref() {
                    None => {
                        empty_run += 1;
                        if empty_run >= 5 && empty_run > count {
                            i = (rng.next_u64() as usize) & max_mask;
                            empty_run = 0;
                        }
                    }
                    Some(head) => {
                        empty_run = 0;
                        let mut link = Some(head);
                        while let Some(e) = link {
                            out.push(e);
                            if out.len() == count {
                                return out;
                            }
                            link = e.next.as_deref();
                        }
                    }
                }
            }
            i = (i + 1) & max_mask;
        }
        out
    }

    /// A random entry with less chain-length bias (`dictGetFairRandomKey`).
    pub fn fair_random_entry(&self, rng: &mut Rng) -> Option<&Entry<V>> {
        let entries = self.sample(rng, FAIR_SAMPLE);
        if entries.is_empty() {
            return self.random_entry(rng);
        }
        let pick = rng.below(entries.len() as u64) as usize;
        entries.get(pick).copied()
    }
}
