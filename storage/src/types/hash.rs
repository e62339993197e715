//! A hash (TYPE hash): a listpack of field, value, field, value... while small, a
//! hash table past the thresholds, as Redis 7.0's `t_hash.c`.
//!
//! Conversion rules (`hashTypeTryConversion` and `hashTypeSet`): before HSET,
//! HSETNX or HMSET write, any field or value argument longer than
//! `hash-max-listpack-value` bytes converts the hash, as does a total that would
//! push the listpack past its 1 GiB safety size; HINCRBY and HINCRBYFLOAT check
//! their field and the new value the same way; after an insertion, more than
//! `hash-max-listpack-entries` fields converts it. A hash never converts back,
//! even when it shrinks.
//!
//! Memory: the enum is 16 bytes (the listpack's fat pointer, or a box), so in the
//! keyspace a small hash is exactly one allocation, its listpack bytes. The table
//! is the crate's [`Dict`], which keeps Redis's incremental rehashing and the
//! reverse-binary SCAN cursor, so HSCAN on a large hash keeps SCAN's guarantee
//! (every field present for the whole iteration is returned). On a listpack HSCAN
//! returns everything at once with cursor 0, like Redis.
//!
//! Randomness (HRANDFIELD, the table's hash key at conversion) comes from the
//! caller's seeded [`Rng`].

use std::collections::HashSet;

use crate::dict::Dict;
use crate::digest::{mix_digest, xor_digest, Digest20};
use crate::glob;
use crate::hash::HashKey;
use crate::listpack::{Listpack, LpEntry};
use crate::sds::Sds;
use crate::Rng;

/// The thresholds of the small encoding (`hash-max-listpack-*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    /// `hash-max-listpack-entries`: most fields a listpack may hold.
    pub max_listpack_entries: usize,
    /// `hash-max-listpack-value`: longest field or value a listpack may hold.
    pub max_listpack_value: usize,
}

/// A field/value pair read from a hash, in either encoding.
pub type Pair<'a> = (LpEntry<'a>, LpEntry<'a>);

/// A field/value pair copied out of a hash (what one HSCAN call returns).
pub type OwnedPair = (Vec<u8>, Vec<u8>);

/// A hash: listpack while small, hash table when large.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hash {
    /// Encoding `listpack`: field, value, field, value...
    Listpack(Listpack),
    /// Encoding `hashtable`.
    Table(Box<HashTable>),
}

/// The large encoding: field -> value in a Redis-style dict.
#[derive(Debug)]
pub struct HashTable {
    dict: Dict<Sds>,
    /// Kept to build clones hashing the same way.
    hash_key: HashKey,
}

impl HashTable {
    fn new(hash_key: HashKey) -> HashTable {
        HashTable {
            dict: Dict::new(hash_key),
            hash_key,
        }
    }
}

impl Clone for HashTable {
    fn clone(&self) -> HashTable {
        let mut copy = HashTable::new(self.hash_key);
        for entry in self.dict.iter() {
            copy.dict
                .insert_new(entry.key().clone(), entry.value().clone(), 0);
        }
        copy
    }
}

impl PartialEq for HashTable {
    fn eq(&self, other: &HashTable) -> bool {
        self.dict.len() == other.dict.len()
            && self.dict.iter().all(|e| {
                other
                    .dict
                    .get(e.key().as_bytes())
                    .is_some_and(|o| o.value() == e.value())
            })
    }
}

impl Eq for HashTable {}

impl Default for Hash {
    fn default() -> Hash {
        Hash::new()
    }
}

/// The element's bytes, borrowing a string or formatting an integer into `buf`.
fn entry_bytes<'a>(e: &LpEntry<'a>, buf: &'a mut Vec<u8>) -> &'a [u8] {
    match *e {
        LpEntry::Str(s) => s,
        LpEntry::Int(v) => {
            buf.clear();
            buf.extend_from_slice(v.to_string().as_bytes());
            buf
        }
    }
}

fn sds_of(e: &LpEntry<'_>) -> Sds {
    match e {
        LpEntry::Str(s) => Sds::new(s),
        LpEntry::Int(v) => Sds::new(v.to_string().as_bytes()),
    }
}

impl Hash {
    /// An empty hash in the listpack encoding (what HSET creates).
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    /// Wraps a listpack of field/value pairs (RDB_TYPE_HASH_LISTPACK); `None`
    /// when it has an odd count or a repeated field, which Redis rejects too.
    pub fn from_listpack(lp: Listpack) -> Option<Hash> {
        let len = lp.len();
        if !len.is_multiple_of(2) {
            return None;
        }
        let mut seen = HashSet::with_capacity(len / 2);
        for field in lp.iter().step_by(2) {
            if !seen.insert(field.to_vec()) {
                return None;
            }
        }
        Some(Hash::Listpack(lp))
    }

    /// Number of fields (HLEN).
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.dict.len(),
        }
    }

    /// True when empty (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// The listpack bytes, when in the small encoding (for RDB).
    pub fn as_listpack(&self) -> Option<&Listpack> {
        match self {
            Hash::Listpack(lp) => Some(lp),
            Hash::Table(_) => None,
        }
    }

    /// The value of `field` (HGET).
    pub fn get(&self, field: &[u8]) -> Option<LpEntry<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let i = lp.find(field, 0, 2)?;
                lp.get(i + 1)
            }
            Hash::Table(t) => t
                .dict
                .get(field)
                .map(|e| LpEntry::Str(e.value().as_bytes())),
        }
    }

    /// True when `field` exists (HEXISTS).
    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.find(field, 0, 2).is_some(),
            Hash::Table(t) => t.dict.contains(field),
        }
    }

    /// Length of the value of `field`, 0 when missing (HSTRLEN).
    pub fn value_len(&self, field: &[u8]) -> usize {
        self.get(field).map_or(0, |v| v.byte_len())
    }

    /// Moves the contents into a hash table (`hashTypeConvert`), hashing with a
    /// key drawn from `rng`.
    pub fn convert_to_table(&mut self, rng: &mut Rng) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let hash_key = HashKey {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        };
        let mut table = HashTable::new(hash_key);
        let mut it = lp.iter();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            table.dict.insert(sds_of(&f), sds_of(&v), 0);
        }
        *self = Hash::Table(Box::new(table));
    }

    /// `hashTypeTryConversion`: converts before a write whose `args` (fields and
    /// values) hold a string longer than the value limit, or whose total would
    /// take the listpack past its safety size.
    pub fn prepare_for(&mut self, args: &[&[u8]], limits: HashLimits, rng: &mut Rng) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        if args.iter().any(|a| a.len() > limits.max_listpack_value) {
            return self.convert_to_table(rng);
        }
        let total = args
            .iter()
            .fold(0usize, |sum, a| sum.saturating_add(a.len()));
        if !lp.safe_to_add(total) {
            self.convert_to_table(rng);
        }
    }

    /// Sets `field` to `value` (`hashTypeSet`), converting first when either is
    /// too long and afterwards when there are too many fields. True when the
    /// field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits, rng: &mut Rng) -> bool {
        if field.len() > limits.max_listpack_value || value.len() > limits.max_listpack_value {
            self.convert_to_table(rng);
        }
        match self {
            Hash::Listpack(lp) => {
                if let Some(i) = lp.find(field, 0, 2) {
                    lp.replace(i + 1, value);
                    return false;
                }
                lp.push_back(field);
                lp.push_back(value);
                if self.len() > limits.max_listpack_entries {
                    self.convert_to_table(rng);
                }
                true
            }
            Hash::Table(t) => t.dict.insert(Sds::new(field), Sds::new(value), 0).is_none(),
        }
    }

    /// Deletes `field`; true when it existed (HDEL).
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match lp.find(field, 0, 2) {
                Some(i) => {
                    lp.remove_range(i, 2);
                    true
                }
                None => false,
            },
            Hash::Table(t) => {
                let removed = t.dict.remove(field).is_some();
                // Like hashTypeDelete, shrink a sparse table after each delete.
                if removed {
                    t.dict.resize_if_sparse();
                }
                removed
            }
        }
    }

    /// Every field/value pair (listpack order, or table order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = Pair<'_>> + '_> {
        match self {
            Hash::Listpack(lp) => {
                let mut it = lp.iter();
                Box::new(std::iter::from_fn(move || Some((it.next()?, it.next()?))))
            }
            Hash::Table(t) => Box::new(t.dict.iter().map(|e| {
                (
                    LpEntry::Str(e.key().as_bytes()),
                    LpEntry::Str(e.value().as_bytes()),
                )
            })),
        }
    }

    /// One HSCAN call: the next cursor and the pairs whose field matches
    /// `pattern`. A listpack returns everything with cursor 0; a table walks
    /// buckets until `count` pairs or `count * 20` buckets (Redis doubles COUNT
    /// for hashes, then allows ten times that many iterations).
    pub fn scan(&self, cursor: u64, count: usize, pattern: Option<&[u8]>) -> (u64, Vec<OwnedPair>) {
        let keep = |f: &[u8]| pattern.is_none_or(|p| glob::matches(p, f, false));
        let mut out = Vec::new();
        let next = match self {
            Hash::Listpack(_) => {
                for (f, v) in self.iter() {
                    let field = f.to_vec();
                    if keep(&field) {
                        out.push((field, v.to_vec()));
                    }
                }
                0
            }
            Hash::Table(t) => {
                let mut cursor = cursor;
                let mut iterations = count.saturating_mul(20);
                let mut seen = 0usize;
                loop {
                    cursor = t.dict.scan(cursor, |e| {
                        seen += 1;
                        if keep(e.key().as_bytes()) {
                            out.push((e.key().as_bytes().to_vec(), e.value().as_bytes().to_vec()));
                        }
                    });
                    iterations = iterations.saturating_sub(1);
                    if cursor == 0 || iterations == 0 || seen >= count {
                        break cursor;
                    }
                }
            }
        };
        (next, out)
    }

    /// One random pair (HRANDFIELD without count): uniform over a listpack,
    /// `dictGetFairRandomKey` over a table.
    pub fn random_pair(&self, rng: &mut Rng) -> Option<Pair<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let i = rng.below(n as u64) as usize * 2;
                Some((lp.get(i)?, lp.get(i + 1)?))
            }
            Hash::Table(t) => {
                let e = t.dict.fair_random_entry(rng)?;
                Some((
                    LpEntry::Str(e.key().as_bytes()),
                    LpEntry::Str(e.value().as_bytes()),
                ))
            }
        }
    }

    /// `count` random pairs that may repeat (HRANDFIELD with a negative count),
    /// in random order. The caller batches large counts, as Redis does by 1000.
    pub fn random_pairs(&self, rng: &mut Rng, count: usize) -> Vec<Pair<'_>> {
        match self {
            Hash::Listpack(_) => {
                // One walk, then indexed picks: a listpack has no random access.
                let all: Vec<Pair<'_>> = self.iter().collect();
                if all.is_empty() {
                    return Vec::new();
                }
                (0..count)
                    .filter_map(|_| all.get(rng.below(all.len() as u64) as usize).copied())
                    .collect()
            }
            Hash::Table(_) => (0..count).filter_map(|_| self.random_pair(rng)).collect(),
        }
    }

    /// Up to `count` distinct random pairs (HRANDFIELD with a positive count),
    /// by Redis's cases: everything when `count` reaches the size; when the
    /// size is within 3x of `count`, everything minus random removals; otherwise
    /// selection sampling of a listpack (order kept) or random picks from the
    /// table until enough distinct fields.
    pub fn random_unique(&self, rng: &mut Rng, count: usize) -> Vec<Pair<'_>> {
        let size = self.len();
        if count >= size {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > size {
            let mut all: Vec<Pair<'_>> = self.iter().collect();
            while all.len() > count {
                let i = rng.below(all.len() as u64) as usize;
                all.swap_remove(i);
            }
            return all;
        }
        match self {
            Hash::Listpack(_) => {
                // Knuth's selection sampling (`lpRandomPairsUnique`).
                let mut out = Vec::with_capacity(count);
                for (seen, pair) in self.iter().enumerate() {
                    let remaining = count - out.len();
                    if remaining == 0 {
                        break;
                    }
                    if rng.below((size - seen) as u64) < remaining as u64 {
                        out.push(pair);
                    }
                }
                out
            }
            Hash::Table(_) => {
                let mut fields = HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some(pair) = self.random_pair(rng) else {
                        break;
                    };
                    if let LpEntry::Str(f) = pair.0 {
                        if fields.insert(f) {
                            out.push(pair);
                        }
                    }
                }
                out
            }
        }
    }

    /// Mixes the contents into a DEBUG DIGEST as Redis's `xorObjectDigest`
    /// does: per pair, a zeroed digest mixed with the field then the value, whose
    /// SHA1 is XORed in (so field order does not matter).
    pub fn digest_into(&self, digest: &mut Digest20) {
        let (mut fbuf, mut vbuf) = (Vec::new(), Vec::new());
        for (f, v) in self.iter() {
            let mut element = [0u8; 20];
            mix_digest(&mut element, entry_bytes(&f, &mut fbuf));
            mix_digest(&mut element, entry_bytes(&v, &mut vbuf));
            xor_digest(digest, &element);
        }
    }
}

#[cfg(test)]
mod tests;
