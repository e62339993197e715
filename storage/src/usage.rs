//! How many bytes a key and its value occupy: the figure MEMORY USAGE reports
//! (Redis's `objectComputeSize` in `object.c`) and the per-database overhead of
//! MEMORY STATS (`getMemoryOverheadData`).
//!
//! Redis adds up `sizeof` of its structures and `zmalloc_size` of its buffers.
//! redrill's structures are not Redis's, so the figures here are redrill's own
//! allocations, each rounded by the allocator's size classes: the caller passes
//! `size_class` (in the server, jemalloc's `nallocx`; this crate cannot call the
//! allocator, and a test can pass a model). A number here is therefore what the
//! counting allocator behind `used_memory` really charges for the key, not an
//! estimate of what Redis would charge.
//!
//! Sampling mirrors Redis: a collection made of many parts (quicklist nodes,
//! hash-table entries, skiplist nodes) is measured on its first `samples` parts
//! and the average is extrapolated to all of them; `samples` 0 means every part
//! (Redis's `SAMPLES 0`). Compact encodings (listpack, intset) are one buffer and
//! are always exact.
//!
//! Where the exact figure is out of reach from this module (the spare capacity of
//! a `Vec` or `VecDeque`, a skiplist node's upper levels, a table's slot count
//! while hidden behind its type) it is computed from the growth rule that built
//! it: vectors double from 4, dicts hold a power of two at least their size, and
//! a skiplist node outgrows its inline levels with probability 1/64 (levels are
//! drawn with Redis's `ZSKIPLIST_P` = 1/4). The skiplist constants below follow
//! `skiplist::Node`'s layout and must move with it.

use crate::db::Db;
use crate::dict::{Entry, INITIAL_SIZE};
use crate::listpack::{Listpack, LpEntry};
use crate::sds::{Sds, INLINE_CAP};
use crate::types::hash::{Hash, HashTable};
use crate::types::list::List;
use crate::types::set::{Set, SetTable};
use crate::types::zset::skiplist::SkipList;
use crate::types::zset::ZSet;
use crate::value::{StringValue, Value};

/// Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`: parts measured when SAMPLES is not given.
pub const DEFAULT_SAMPLES: usize = 5;

/// A skiplist node (`skiplist::Node`): one 64-byte cache line holding the
/// member box, score, links and its first three levels.
const SKIPLIST_NODE_BYTES: usize = 64;
/// Levels a node keeps inline; taller nodes (one in 64) own an overflow block.
const SKIPLIST_INLINE_LEVELS: usize = 3;
/// One level of a skiplist node: forward link and span, two u32.
const SKIPLIST_LEVEL_BYTES: usize = 8;

/// The allocator's rounding: bytes really reserved for a request of `n` bytes.
pub type SizeClass<'a> = &'a dyn Fn(usize) -> usize;

/// MEMORY USAGE of `key` holding `value`: the key's dict entry, the key's bytes
/// when they do not fit inline, and everything the value owns. `samples` 0
/// measures every part of a collection.
pub fn key_usage(key: &[u8], value: &Value, samples: usize, size_class: SizeClass<'_>) -> usize {
    let samples = if samples == 0 { usize::MAX } else { samples };
    let entry = size_class(std::mem::size_of::<Entry<Value>>());
    entry + sds_heap(key.len(), size_class) + value_usage(value, samples, size_class)
}

/// Heap bytes behind an `Sds` of `len` bytes (short ones live inline).
fn sds_heap(len: usize, size_class: SizeClass<'_>) -> usize {
    if len <= INLINE_CAP {
        0
    } else {
        size_class(len)
    }
}

/// A boxed slice or box of `n` bytes: nothing is allocated for zero bytes.
fn boxed(n: usize, size_class: SizeClass<'_>) -> usize {
    if n == 0 {
        0
    } else {
        size_class(n)
    }
}

/// The capacity a `Vec`/`VecDeque` filled by pushes reaches for `len` items
/// (Rust's raw vectors start at 4 and double).
fn grown_capacity(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.checked_next_power_of_two().unwrap_or(len).max(4)
    }
}

/// The bucket count a dict reaches holding `len` entries (grows at load factor 1
/// to the next power of two, starting at `INITIAL_SIZE`).
fn dict_slots(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.checked_next_power_of_two()
            .unwrap_or(len)
            .max(INITIAL_SIZE)
    }
}

/// The bucket array of a dict with `slots` buckets (one pointer each).
fn bucket_array(slots: usize, size_class: SizeClass<'_>) -> usize {
    boxed(
        slots.saturating_mul(std::mem::size_of::<usize>()),
        size_class,
    )
}

/// Average of the first `samples` parts times `count`, as Redis extrapolates.
fn extrapolate(parts: impl Iterator<Item = usize>, samples: usize, count: usize) -> usize {
    let (mut total, mut seen) = (0usize, 0usize);
    for part in parts.take(samples) {
        total = total.saturating_add(part);
        seen += 1;
    }
    if seen == 0 {
        return 0;
    }
    if seen == count {
        return total;
    }
    (total as f64 / seen as f64 * count as f64) as usize
}

/// Bytes the value owns beyond the 24 bytes it takes inside its dict entry.
pub fn value_usage(value: &Value, samples: usize, size_class: SizeClass<'_>) -> usize {
    match value {
        Value::String(s) => string_usage(s, size_class),
        Value::List(l) => list_usage(l, samples, size_class),
        Value::Hash(h) => hash_usage(h, samples, size_class),
        Value::Set(s) => set_usage(s, samples, size_class),
        Value::ZSet(z) => zset_usage(z, samples, size_class),
    }
}

fn string_usage(s: &StringValue, size_class: SizeClass<'_>) -> usize {
    match s {
        StringValue::Int(_) | StringValue::Inline { .. } => 0,
        // An Arc allocation: two counters before the bytes.
        StringValue::Heap { bytes, .. } => boxed(bytes.len() + 16, size_class),
    }
}

fn listpack_usage(lp: &Listpack, size_class: SizeClass<'_>) -> usize {
    boxed(lp.bytes_len(), size_class)
}

fn list_usage(list: &List, samples: usize, size_class: SizeClass<'_>) -> usize {
    let nodes = list.nodes();
    let count = nodes.len();
    let node_array = boxed(
        grown_capacity(count).saturating_mul(std::mem::size_of::<Listpack>()),
        size_class,
    );
    let header = size_class(std::mem::size_of::<List>());
    let nodes_bytes = extrapolate(
        nodes.map(|lp| listpack_usage(lp, size_class)),
        samples,
        count,
    );
    header + node_array + nodes_bytes
}

/// Length of an element as a hash table stores it (an `Sds` of its text).
fn element_len(e: &LpEntry<'_>) -> usize {
    match e {
        LpEntry::Str(s) => s.len(),
        LpEntry::Int(v) => {
            let mut buf = [0u8; 20];
            crate::value::format_i64(*v, &mut buf).len()
        }
    }
}

fn hash_usage(hash: &Hash, samples: usize, size_class: SizeClass<'_>) -> usize {
    match hash {
        Hash::Listpack(lp) => listpack_usage(lp, size_class),
        Hash::Table(_) => {
            let len = hash.len();
            let entry = size_class(std::mem::size_of::<Entry<Sds>>());
            let pairs = hash.iter().map(|(field, value)| {
                entry
                    + sds_heap(element_len(&field), size_class)
                    + sds_heap(element_len(&value), size_class)
            });
            size_class(std::mem::size_of::<HashTable>())
                + bucket_array(dict_slots(len), size_class)
                + extrapolate(pairs, samples, len)
        }
    }
}

fn set_usage(set: &Set, samples: usize, size_class: SizeClass<'_>) -> usize {
    match set {
        Set::Intset(is) => boxed(is.as_bytes().len(), size_class),
        Set::Table(table) => {
            let dict = table.dict();
            let entry = size_class(std::mem::size_of::<Entry<()>>());
            let members = dict
                .iter()
                .map(|e| entry + sds_heap(e.key().len(), size_class));
            size_class(std::mem::size_of::<SetTable>())
                + bucket_array(dict.slots(), size_class)
                + extrapolate(members, samples, dict.len())
        }
    }
}

fn zset_usage(zset: &ZSet, samples: usize, size_class: SizeClass<'_>) -> usize {
    match zset {
        ZSet::Listpack(lp) => listpack_usage(lp, size_class),
        ZSet::SkipList(list) => skiplist_usage(list, samples, size_class),
    }
}

fn skiplist_usage(list: &SkipList, samples: usize, size_class: SizeClass<'_>) -> usize {
    let len = list.len();
    // Levels past the inline three live in an overflow block of the rest of
    // the tower: the header always has one, other nodes with probability 1/64.
    let overflow = (crate::types::zset::skiplist::MAX_LEVEL - SKIPLIST_INLINE_LEVELS)
        .saturating_mul(SKIPLIST_LEVEL_BYTES);
    let header_levels = overflow;
    let upper_levels = overflow / 64;
    let arena = boxed(
        grown_capacity(len + 1).saturating_mul(SKIPLIST_NODE_BYTES),
        size_class,
    );
    let index = boxed(
        dict_slots(len).saturating_mul(std::mem::size_of::<u32>()),
        size_class,
    );
    let members = list
        .iter()
        .map(|(member, _)| boxed(member.len(), size_class) + upper_levels);
    size_class(std::mem::size_of::<SkipList>())
        + header_levels
        + arena
        + index
        + extrapolate(members, samples, len)
}

/// The bytes a database spends on indexing its keys (MEMORY STATS `db.N`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbOverhead {
    /// `overhead.hashtable.main`: the main dict's entries and bucket arrays.
    pub main: usize,
    /// `overhead.hashtable.expires`: the expires dict's entries and bucket arrays.
    pub expires: usize,
}

/// The dict overhead of `db`: one entry allocation per key (the value's own
/// 24 bytes sit inside it) plus the bucket arrays, as Redis counts `dictEntry`,
/// bucket pointers and `robj` headers.
pub fn db_overhead(db: &Db, size_class: SizeClass<'_>) -> DbOverhead {
    let main_entry = size_class(std::mem::size_of::<Entry<Value>>());
    let expires_entry = size_class(std::mem::size_of::<Entry<i64>>());
    DbOverhead {
        main: db.dict.len().saturating_mul(main_entry) + bucket_array(db.dict.slots(), size_class),
        expires: db.expires.len().saturating_mul(expires_entry)
            + bucket_array(db.expires.slots(), size_class),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::HashKey;
    use crate::types::hash::HashLimits;
    use crate::types::list::End;
    use crate::types::set::SetOptions;
    use crate::types::zset::{AddFlags, ZsetLimits};
    use crate::Rng;

    /// jemalloc's size classes: 8, 16, then four classes per doubling.
    fn jemalloc(n: usize) -> usize {
        if n <= 8 {
            return 8;
        }
        if n <= 64 {
            return n.div_ceil(16) * 16;
        }
        let group = (usize::BITS - (n - 1).leading_zeros()) as usize - 1;
        let step = (1usize << group) / 4;
        n.div_ceil(step) * step
    }

    fn usage(value: &Value) -> usize {
        key_usage(b"k", value, DEFAULT_SAMPLES, &jemalloc)
    }

    fn all(value: &Value) -> usize {
        key_usage(b"k", value, 0, &jemalloc)
    }

    #[test]
    fn model_size_classes() {
        let got: Vec<usize> = [1, 9, 17, 33, 49, 65, 100, 129, 200, 257, 4097]
            .iter()
            .map(|&n| jemalloc(n))
            .collect();
        assert_eq!(got, [8, 16, 32, 48, 64, 80, 112, 160, 224, 320, 5120]);
    }

    #[test]
    fn short_strings_cost_only_their_entry() {
        let entry = jemalloc(std::mem::size_of::<Entry<Value>>());
        assert_eq!(usage(&Value::string(b"12345")), entry);
        assert_eq!(usage(&Value::string(b"hello")), entry);
        // A long key and a long value each add one rounded allocation (the
        // value's with its two Arc counters).
        let long_key = [b'k'; 30];
        let v = Value::string(&[b'x'; 100]);
        assert_eq!(
            key_usage(&long_key, &v, 5, &jemalloc),
            entry + jemalloc(30) + jemalloc(100 + 16)
        );
    }

    #[test]
    fn strings_grow_with_their_length() {
        let mut last = 0;
        for n in [10usize, 100, 1000, 10_000, 100_000] {
            let u = usage(&Value::string(&vec![b'a'; n]));
            assert!(u >= n && u >= last, "{n}: {u}");
            last = u;
        }
    }

    fn list_of(n: usize, element: &[u8]) -> Value {
        let mut list = List::new(-2);
        for _ in 0..n {
            list.push(End::Tail, element);
        }
        Value::List(Box::new(list))
    }

    #[test]
    fn lists_grow_and_sampling_extrapolates_equal_nodes() {
        let small = all(&list_of(10, b"abc"));
        let big = all(&list_of(10_000, b"abcdefghij"));
        assert!(big > small && big > 10_000 * 10, "{small} {big}");
        // Nodes of equal elements are alike: 5 samples land within a node's size.
        let sampled = usage(&list_of(10_000, b"abcdefghij"));
        assert!(sampled.abs_diff(big) < 8192, "{sampled} vs {big}");
    }

    #[test]
    fn hashes_count_listpack_then_table() {
        let limits = HashLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        };
        let mut rng = Rng::seeded(1);
        let mut h = Hash::new();
        for i in 0..100 {
            h.set(format!("field:{i}").as_bytes(), b"v", limits, &mut rng);
        }
        let lp_bytes = h.as_listpack().map_or(0, |lp| lp.bytes_len());
        let entry = jemalloc(std::mem::size_of::<Entry<Value>>());
        assert_eq!(usage(&Value::Hash(h.clone())), entry + jemalloc(lp_bytes));
        for i in 100..1000 {
            h.set(format!("field:{i}").as_bytes(), b"v", limits, &mut rng);
        }
        assert_eq!(h.encoding(), "hashtable");
        let exact = all(&Value::Hash(h.clone()));
        let pair = jemalloc(std::mem::size_of::<Entry<Sds>>());
        assert!(exact > 1000 * pair, "{exact}");
        // Fields all inline: every entry is alike, so sampling is exact.
        assert_eq!(usage(&Value::Hash(h)), exact);
    }

    #[test]
    fn sets_count_intset_then_table() {
        let options = SetOptions {
            max_intset_entries: 512,
            hash_key: HashKey { k0: 1, k1: 2 },
        };
        let mut s = Set::new();
        for i in 0..100 {
            s.add(i.to_string().as_bytes(), &options);
        }
        let entry = jemalloc(std::mem::size_of::<Entry<Value>>());
        assert_eq!(usage(&Value::Set(s.clone())), entry + jemalloc(8 + 100 * 2));
        s.add(b"not-a-number", &options);
        assert_eq!(s.encoding(), "hashtable");
        let Set::Table(table) = &s else {
            panic!("not a table")
        };
        let slots = table.dict().slots() * 8;
        let member = jemalloc(std::mem::size_of::<Entry<()>>());
        let table_header = jemalloc(std::mem::size_of::<SetTable>());
        assert_eq!(
            all(&Value::Set(s)),
            entry + table_header + jemalloc(slots) + 101 * member
        );
    }

    #[test]
    fn sorted_sets_grow_with_members() {
        let limits = ZsetLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        };
        let mut rng = Rng::seeded(7);
        let mut z = ZSet::new_listpack();
        for i in 0..10 {
            z.add(
                format!("m{i}").as_bytes(),
                i as f64,
                AddFlags::default(),
                &limits,
                &mut rng,
            );
        }
        let small = usage(&Value::ZSet(z.clone()));
        for i in 10..1000 {
            z.add(
                format!("m{i}").as_bytes(),
                i as f64,
                AddFlags::default(),
                &limits,
                &mut rng,
            );
        }
        assert_eq!(z.encoding(), "skiplist");
        let big = all(&Value::ZSet(z.clone()));
        assert!(big > small + 1000 * SKIPLIST_NODE_BYTES, "{small} {big}");
        let sampled = usage(&Value::ZSet(z));
        assert!(sampled.abs_diff(big) * 20 < big, "{sampled} vs {big}");
    }

    #[test]
    fn extrapolation_is_redis_average_times_count() {
        assert_eq!(extrapolate([10, 20].into_iter(), 5, 2), 30);
        assert_eq!(extrapolate([10, 20, 99].into_iter(), 2, 10), 150);
        assert_eq!(extrapolate(std::iter::empty(), 5, 0), 0);
    }

    #[test]
    fn db_overhead_counts_entries_and_buckets() {
        let mut db = Db::new(HashKey { k0: 3, k1: 4 });
        assert_eq!(db_overhead(&db, &jemalloc), DbOverhead::default());
        for i in 0..10 {
            db.set(format!("key:{i}").as_bytes(), Value::int(i), 0, false);
        }
        db.set_expire(b"key:1", 1_000);
        let o = db_overhead(&db, &jemalloc);
        let entry = jemalloc(std::mem::size_of::<Entry<Value>>());
        assert!(o.main >= 10 * entry + 16 * 8, "{o:?}");
        assert!(
            o.expires >= jemalloc(std::mem::size_of::<Entry<i64>>()),
            "{o:?}"
        );
    }
}
