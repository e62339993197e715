//! A set (TYPE set) in Redis 7.0's two encodings (`t_set.c`): an `intset` while
//! every member is an integer and there are at most `set-max-intset-entries` of
//! them, a hash table otherwise.
//!
//! The rules of `setTypeAdd`, which every writer follows:
//! - a member that `string2ll` accepts ("12", "-7"; not "012", "+1") goes into the
//!   intset; once the intset holds more than `set-max-intset-entries` values, the
//!   set converts to a table;
//! - any other member converts the set to a table first;
//! - a table never converts back, even when emptied down to small integers.
//!
//! A new set starts as an intset when its first member is an integer
//! (`setTypeCreate`), and the results of SUNIONSTORE, SINTERSTORE and SDIFFSTORE
//! start as an empty intset and grow by the rules above, so OBJECT ENCODING answers
//! as Redis does for the same data. The table is a [`Dict`] with unit values, so
//! SSCAN keeps SCAN's guarantee across resizes; on an intset SSCAN returns
//! everything at once with cursor 0, as Redis does.
//!
//! [`Set`] is 16 bytes, so `Value` stays 24: an intset is its one exact-size
//! allocation, which is what makes a small set cost what it costs in Redis.

use std::collections::BTreeSet;

use crate::db::Db;
use crate::dict::Dict;
use crate::digest::{xor_digest, Digest20};
use crate::glob;
use crate::hash::HashKey;
use crate::intset::Intset;
use crate::sds::Sds;
use crate::value::{format_i64, parse_i64_strict};
use crate::Rng;

/// What a set needs to choose and build its encoding; the server fills it from
/// its config, since storage never reads the config itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetOptions {
    /// `set-max-intset-entries`: more integers than this convert to a table.
    pub max_intset_entries: usize,
    /// The SipHash key of the tables (derived from the db's secret key).
    pub hash_key: HashKey,
}

impl SetOptions {
    /// Options for sets of `db`: the table key comes from the db's own keyed hash,
    /// so it is as secret (and as reproducible from the seed) as the keyspace's.
    pub fn for_db(db: &Db, max_intset_entries: u64) -> SetOptions {
        SetOptions {
            max_intset_entries: usize::try_from(max_intset_entries).unwrap_or(usize::MAX),
            hash_key: HashKey {
                k0: db.dict().hash(b"redrill:set-table:k0"),
                k1: db.dict().hash(b"redrill:set-table:k1"),
            },
        }
    }
}

/// One member as a set yields it: an intset member is a number, a table member
/// its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member<'a> {
    /// A member of an intset.
    Int(i64),
    /// A member of a table.
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's bytes; an integer is formatted into `buf`.
    pub fn as_bytes<'b>(&'b self, buf: &'b mut [u8; 20]) -> &'b [u8] {
        match self {
            Member::Int(n) => format_i64(*n, buf),
            Member::Bytes(b) => b,
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = [0u8; 20];
        self.as_bytes(&mut buf).to_vec()
    }
}

/// The hash-table encoding: members as keys of a dict with unit values.
#[derive(Debug)]
pub struct SetTable {
    dict: Dict<()>,
    /// The dict's hash key, kept for copies (COPY, snapshots).
    key: HashKey,
}

impl SetTable {
    fn new(key: HashKey) -> SetTable {
        SetTable {
            dict: Dict::new(key),
            key,
        }
    }

    /// The dict itself (RDB writing, sampling).
    pub fn dict(&self) -> &Dict<()> {
        &self.dict
    }

    fn insert(&mut self, member: &[u8]) -> bool {
        if self.dict.contains(member) {
            return false;
        }
        self.dict.insert_new(Sds::new(member), (), 0);
        true
    }

    fn remove(&mut self, member: &[u8]) -> bool {
        let removed = self.dict.remove(member).is_some();
        if removed {
            // Redis shrinks a set's table right away when it falls below 10% fill.
            self.dict.resize_if_sparse();
        }
        removed
    }
}

impl Clone for SetTable {
    fn clone(&self) -> SetTable {
        let mut copy = SetTable::new(self.key);
        for entry in self.dict.iter() {
            copy.dict.insert_new(entry.key().clone(), (), 0);
        }
        copy
    }
}

impl PartialEq for SetTable {
    fn eq(&self, other: &SetTable) -> bool {
        self.dict.len() == other.dict.len()
            && self
                .dict
                .iter()
                .all(|e| other.dict.contains(e.key().as_bytes()))
    }
}

impl Eq for SetTable {}

/// A set (TYPE set): an intset while it holds only small integers, a hash table
/// otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Set {
    /// Encoding `intset`.
    Intset(Intset),
    /// Encoding `hashtable`.
    Table(Box<SetTable>),
}

impl Default for Set {
    fn default() -> Set {
        Set::Intset(Intset::new())
    }
}

/// Iterator over a set's members (intset: ascending; table: dict order).
pub enum SetIter<'a> {
    /// Over an intset.
    Intset(Box<dyn Iterator<Item = i64> + 'a>),
    /// Over a table.
    Table(Box<dyn Iterator<Item = &'a [u8]> + 'a>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            SetIter::Intset(it) => it.next().map(Member::Int),
            SetIter::Table(it) => it.next().map(Member::Bytes),
        }
    }
}

impl Set {
    /// An empty intset-encoded set (`createIntsetObject`), the start of every
    /// SUNIONSTORE / SINTERSTORE / SDIFFSTORE result.
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty set able to hold `first` (`setTypeCreate`): an intset when it is an
    /// integer, a table otherwise.
    pub fn for_member(first: &[u8], options: &SetOptions) -> Set {
        if parse_i64_strict(first).is_some() {
            Set::new()
        } else {
            Set::Table(Box::new(SetTable::new(options.hash_key)))
        }
    }

    /// A set over a loaded intset (RDB).
    pub fn from_intset(intset: Intset) -> Set {
        Set::Intset(intset)
    }

    /// The intset, when that is the encoding (RDB writes its bytes verbatim).
    pub fn as_intset(&self) -> Option<&Intset> {
        match self {
            Set::Intset(i) => Some(i),
            Set::Table(_) => None,
        }
    }

    /// Number of members (SCARD).
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(i) => i.len(),
            Set::Table(t) => t.dict.len(),
        }
    }

    /// True when empty (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// True when `member` belongs to the set (`setTypeIsMember`).
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(i) => parse_i64_strict(member).is_some_and(|v| i.contains(v)),
            Set::Table(t) => t.dict.contains(member),
        }
    }

    /// True when the integer `v` belongs to the set, without formatting it for an
    /// intset.
    fn contains_member(&self, member: Member<'_>) -> bool {
        match (self, member) {
            (Set::Intset(i), Member::Int(v)) => i.contains(v),
            (_, m) => {
                let mut buf = [0u8; 20];
                self.contains(m.as_bytes(&mut buf))
            }
        }
    }

    /// Adds `member` (`setTypeAdd`), converting to a table when the rules say so;
    /// false when it was already there.
    pub fn add(&mut self, member: &[u8], options: &SetOptions) -> bool {
        let intset = match self {
            Set::Table(t) => return t.insert(member),
            Set::Intset(i) => i,
        };
        match parse_i64_strict(member) {
            Some(v) => {
                if !intset.insert(v) {
                    return false;
                }
                if intset.len() > options.max_intset_entries {
                    self.convert_to_table(options.hash_key);
                }
                true
            }
            None => {
                self.convert_to_table(options.hash_key);
                match self {
                    Set::Table(t) => t.insert(member),
                    Set::Intset(_) => false,
                }
            }
        }
    }

    /// Adds a member as a set yields it (set algebra, SMOVE).
    pub fn add_member(&mut self, member: Member<'_>, options: &SetOptions) -> bool {
        let mut buf = [0u8; 20];
        self.add(member.as_bytes(&mut buf), options)
    }

    /// Rewrites an intset as a table (`setTypeConvert`); a table stays as it is.
    pub fn convert_to_table(&mut self, key: HashKey) {
        let Set::Intset(intset) = self else {
            return;
        };
        let mut table = SetTable::new(key);
        let mut buf = [0u8; 20];
        for v in intset.iter() {
            table
                .dict
                .insert_new(Sds::new(format_i64(v, &mut buf)), (), 0);
        }
        *self = Set::Table(Box::new(table));
    }

    /// Removes `member` (`setTypeRemove`); false when it was absent.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(i) => parse_i64_strict(member).is_some_and(|v| i.remove(v)),
            Set::Table(t) => t.remove(member),
        }
    }

    /// Every member: ascending for an intset, table order otherwise.
    pub fn iter(&self) -> SetIter<'_> {
        match self {
            Set::Intset(i) => SetIter::Intset(Box::new(i.iter())),
            Set::Table(t) => SetIter::Table(Box::new(t.dict.iter().map(|e| e.key().as_bytes()))),
        }
    }

    /// A uniformly random member (`setTypeRandomElement`; a table uses the fair
    /// sampler, as Redis's `dictGetFairRandomKey`); None when empty.
    pub fn random_member(&self, rng: &mut Rng) -> Option<Member<'_>> {
        match self {
            Set::Intset(i) => {
                let len = i.len() as u64;
                if len == 0 {
                    return None;
                }
                i.get(rng.below(len) as usize).map(Member::Int)
            }
            Set::Table(t) => t
                .dict
                .fair_random_entry(rng)
                .map(|e| Member::Bytes(e.key().as_bytes())),
        }
    }

    /// Removes and returns one random member (SPOP without a count).
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        let member = self.random_member(rng)?.to_vec();
        self.remove(&member);
        Some(member)
    }

    /// Removes and returns `count` random distinct members (SPOP with a count),
    /// with Redis 7.0's strategies: everything when `count >= len`; single random
    /// pops while many members remain (`remaining * 5 > count`); otherwise a new
    /// set is built from the `remaining` random survivors and the old set's
    /// members are the reply, so a pop of nearly everything stays O(N).
    pub fn pop_many(&mut self, count: usize, rng: &mut Rng, options: &SetOptions) -> Vec<Vec<u8>> {
        let size = self.len();
        if count >= size {
            let all = self.iter().map(|m| m.to_vec()).collect();
            *self = Set::new();
            return all;
        }
        let remaining = size - count;
        if remaining.saturating_mul(5) > count {
            return (0..count).filter_map(|_| self.pop_random(rng)).collect();
        }
        let mut survivors: Option<Set> = None;
        for _ in 0..remaining {
            let Some(member) = self.pop_random(rng) else {
                break;
            };
            let kept = survivors.get_or_insert_with(|| Set::for_member(&member, options));
            kept.add(&member, options);
        }
        let popped = self.iter().map(|m| m.to_vec()).collect();
        *self = survivors.unwrap_or_default();
        popped
    }

    /// `count` distinct random members (SRANDMEMBER with a positive count), with
    /// Redis 7.0's strategies: the whole set when `count >= len`; when the set is
    /// less than three times `count`, all members minus random removals; else
    /// random picks until `count` distinct ones are found.
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<Member<'_>> {
        let size = self.len();
        if count >= size {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > size {
            let mut all: Vec<Member<'_>> = self.iter().collect();
            while all.len() > count {
                let pick = rng.below(all.len() as u64) as usize;
                all.swap_remove(pick);
            }
            return all;
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(count);
        // count * 3 <= size, so each pick is new with probability >= 2/3.
        while out.len() < count {
            let Some(m) = self.random_member(rng) else {
                break;
            };
            if seen.insert(m) {
                out.push(m);
            }
        }
        out
    }

    /// One SSCAN call (`scanGenericCommand` on a set): an intset returns every
    /// member and cursor 0; a table walks buckets from `cursor` until about
    /// `count` members were gathered (at most `count * 10` buckets). Members not
    /// matching `pattern` are dropped after gathering, as in Redis.
    pub fn scan(&self, cursor: u64, count: usize, pattern: Option<&[u8]>) -> (u64, Vec<Vec<u8>>) {
        let (next, mut found) = match self {
            Set::Intset(i) => {
                let mut buf = [0u8; 20];
                (
                    0,
                    i.iter().map(|v| format_i64(v, &mut buf).to_vec()).collect(),
                )
            }
            Set::Table(t) => {
                let mut found: Vec<Vec<u8>> = Vec::new();
                let mut cursor = cursor;
                let mut budget = count.saturating_mul(10);
                loop {
                    cursor = t
                        .dict
                        .scan(cursor, |e| found.push(e.key().as_bytes().to_vec()));
                    if cursor == 0 || budget == 0 || found.len() >= count {
                        break;
                    }
                    budget -= 1;
                }
                (cursor, found)
            }
        };
        if let Some(p) = pattern.filter(|p| *p != b"*") {
            found.retain(|m| glob::matches(p, m, false));
        }
        (next, found)
    }

    /// Mixes the members into a DEBUG DIGEST as Redis's `xorObjectDigest` does:
    /// the SHA1 of each member's bytes XORed in, so member order does not matter.
    pub fn digest_into(&self, digest: &mut Digest20) {
        let mut buf = [0u8; 20];
        for m in self.iter() {
            xor_digest(digest, m.as_bytes(&mut buf));
        }
    }
}

/// Members present in every set (SINTER, SINTERCARD, SINTERSTORE), in the order
/// of the smallest set, passed to `emit`; stops after `limit` members when
/// `limit > 0`. Returns how many were emitted. `sets` must be non-empty.
pub fn intersect<'a>(sets: &[&'a Set], limit: usize, mut emit: impl FnMut(Member<'a>)) -> usize {
    let mut order: Vec<&Set> = sets.to_vec();
    // Walking the smallest set bounds the work by its size (Redis sorts them all).
    order.sort_by_key(|s| s.len());
    let Some((first, rest)) = order.split_first() else {
        return 0;
    };
    let mut found = 0;
    for member in first.iter() {
        let everywhere = rest
            .iter()
            .all(|other| std::ptr::eq(*other, *first) || other.contains_member(member));
        if everywhere {
            emit(member);
            found += 1;
            if limit > 0 && found >= limit {
                break;
            }
        }
    }
    found
}

/// The union of `sets` (None = a missing key, an empty set), built like Redis's
/// result set: intset first, converted by the usual rules.
pub fn union(sets: &[Option<&Set>], options: &SetOptions) -> Set {
    let mut out = Set::new();
    for set in sets.iter().flatten() {
        for m in set.iter() {
            out.add_member(m, options);
        }
    }
    out
}

/// The members of the first set found in none of the others (SDIFF), with Redis
/// 7.0's choice between walking the first set (algorithm 1) and copying it and
/// removing the others' members (algorithm 2), whichever does less work.
pub fn difference(sets: &[Option<&Set>], options: &SetOptions) -> Set {
    let mut out = Set::new();
    let Some((Some(first), rest)) = sets.split_first() else {
        return out;
    };
    let rest: Vec<&Set> = rest.iter().flatten().copied().collect();
    if rest.iter().any(|s| std::ptr::eq(*s, *first)) {
        // The first key appears again: everything cancels.
        return out;
    }
    let algo_one_work = first.len().saturating_mul(rest.len() + 1) / 2;
    let algo_two_work: usize = first.len() + rest.iter().map(|s| s.len()).sum::<usize>();
    if algo_one_work <= algo_two_work {
        let mut rest = rest;
        // Larger sets first: a shared member is then likely found sooner.
        rest.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for m in first.iter() {
            if !rest.iter().any(|s| s.contains_member(m)) {
                out.add_member(m, options);
            }
        }
    } else {
        for m in first.iter() {
            out.add_member(m, options);
        }
        for s in rest {
            for m in s.iter() {
                let mut buf = [0u8; 20];
                out.remove(m.as_bytes(&mut buf));
            }
            if out.is_empty() {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet as Model;

    fn opts(max: usize) -> SetOptions {
        SetOptions {
            max_intset_entries: max,
            hash_key: HashKey { k0: 3, k1: 5 },
        }
    }

    fn members(s: &Set) -> Model<Vec<u8>> {
        s.iter().map(|m| m.to_vec()).collect()
    }

    fn set_of(items: &[&str], max: usize) -> Set {
        let o = opts(max);
        let mut s = items
            .first()
            .map_or_else(Set::new, |f| Set::for_member(f.as_bytes(), &o));
        for i in items {
            s.add(i.as_bytes(), &o);
        }
        s
    }

    #[test]
    fn stays_16_bytes() {
        assert_eq!(std::mem::size_of::<Set>(), 16);
    }

    #[test]
    fn encoding_follows_set_type_add() {
        let o = opts(3);
        let mut s = Set::for_member(b"1", &o);
        assert_eq!(s.encoding(), "intset");
        for m in ["1", "2", "3"] {
            s.add(m.as_bytes(), &o);
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.add(b"3", &o), "a duplicate does not count");
        assert_eq!(s.encoding(), "intset");
        s.add(b"4", &o);
        assert_eq!(s.encoding(), "hashtable");
        s.remove(b"4");
        assert_eq!(s.encoding(), "hashtable", "never converts back");
        assert_eq!(set_of(&["01"], 512).encoding(), "hashtable");
        let mut t = set_of(&["5", "6"], 512);
        t.add(b"x", &o);
        assert_eq!(t.encoding(), "hashtable");
        assert_eq!(
            members(&t),
            Model::from([b"5".to_vec(), b"6".to_vec(), b"x".to_vec()])
        );
        assert!(t.contains(b"5") && !t.contains(b"05"));
    }

    #[test]
    fn intset_scan_returns_everything_with_cursor_zero() {
        let s = set_of(&["3", "1", "2", "10"], 512);
        let (next, found) = s.scan(0, 1, None);
        assert_eq!(next, 0);
        assert_eq!(
            found,
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec(), b"10".to_vec()]
        );
        let (_, found) = s.scan(0, 10, Some(b"1*"));
        assert_eq!(found, vec![b"1".to_vec(), b"10".to_vec()]);
    }

    #[test]
    fn table_scan_visits_every_member() {
        let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = set_of(&refs, 512);
        let mut seen = Model::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            let (next, found) = s.scan(cursor, 10, None);
            seen.extend(found);
            calls += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 10);
        assert_eq!(seen, members(&s));
    }

    #[test]
    fn random_counts_follow_redis_cases() {
        let mut rng = crate::Rng::seeded(9);
        let o = opts(512);
        for size in [1usize, 5, 30, 600] {
            let items: Vec<String> = (0..size).map(|i| i.to_string()).collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            let s = set_of(&refs, 512);
            for count in [1usize, 2, 9, 10, 11, 29, 31, 700] {
                let picked = s.random_distinct(count, &mut rng);
                let distinct: Model<Vec<u8>> = picked.iter().map(Member::to_vec).collect();
                assert_eq!(picked.len(), count.min(size));
                assert_eq!(distinct.len(), picked.len());
                assert!(distinct.iter().all(|m| s.contains(m)));
                let mut popped = s.clone();
                let out = popped.pop_many(count, &mut rng, &o);
                let out_set: Model<Vec<u8>> = out.iter().cloned().collect();
                assert_eq!(out.len(), count.min(size));
                assert_eq!(out_set.len(), out.len());
                assert_eq!(popped.len(), size - out.len());
                let mut union = members(&popped);
                union.extend(out_set);
                assert_eq!(union, members(&s));
            }
        }
    }

    #[test]
    fn random_member_is_roughly_uniform() {
        let mut rng = crate::Rng::seeded(1);
        for s in [
            set_of(&["1", "2", "3", "4"], 512),
            set_of(&["a", "b", "c", "d"], 512),
        ] {
            let mut counts = std::collections::BTreeMap::new();
            for _ in 0..4000 {
                *counts
                    .entry(s.random_member(&mut rng).unwrap().to_vec())
                    .or_insert(0) += 1;
            }
            assert_eq!(counts.len(), 4);
            assert!(
                counts.values().all(|c| (700..1300).contains(c)),
                "{counts:?}"
            );
        }
    }

    #[test]
    fn algebra_results_start_as_intsets() {
        let o = opts(512);
        let a = set_of(&["1", "2", "3", "x"], 512);
        let b = set_of(&["2", "3", "4"], 512);
        let mut common = Set::new();
        let n = intersect(&[&a, &b], 0, |m| {
            common.add_member(m, &o);
        });
        assert_eq!(n, 2);
        assert_eq!(common.encoding(), "intset");
        assert_eq!(intersect(&[&a, &b], 1, |_| ()), 1);
        assert_eq!(intersect(&[&a, &a], 0, |_| ()), 4);
        let u = union(&[Some(&b), None], &o);
        assert_eq!(u.encoding(), "intset");
        assert_eq!(union(&[Some(&a), Some(&b)], &o).len(), 5);
        let d = difference(&[Some(&a), Some(&b), None], &o);
        assert_eq!(members(&d), Model::from([b"1".to_vec(), b"x".to_vec()]));
        assert!(difference(&[Some(&a), Some(&a)], &o).is_empty());
        assert!(difference(&[None, Some(&a)], &o).is_empty());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(String),
        Remove(String),
        Pop(usize),
    }

    fn member() -> impl Strategy<Value = String> {
        prop_oneof![
            (-20i64..20).prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            "[a-c]{1,2}",
            Just("007".to_string()),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => member().prop_map(Op::Add),
            2 => member().prop_map(Op::Remove),
            1 => (0usize..6).prop_map(Op::Pop),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ops in proptest::collection::vec(op(), 0..120), max in 0usize..12) {
            let o = opts(max);
            let mut rng = crate::Rng::seeded(7);
            let mut s = Set::new();
            let mut model: Model<Vec<u8>> = Model::new();
            let mut converted = false;
            for op in ops {
                match op {
                    Op::Add(m) => {
                        let added = s.add(m.as_bytes(), &o);
                        prop_assert_eq!(added, model.insert(m.clone().into_bytes()));
                        converted |= parse_i64_strict(m.as_bytes()).is_none() || model.len() > max;
                    }
                    Op::Remove(m) => {
                        prop_assert_eq!(s.remove(m.as_bytes()), model.remove(m.as_bytes()));
                    }
                    Op::Pop(n) => {
                        let size = model.len();
                        for m in s.pop_many(n, &mut rng, &o) {
                            prop_assert!(model.remove(&m));
                        }
                        if n < size && (size - n) * 5 <= n {
                            // Redis's third SPOP case rebuilds the survivors as a new set.
                            converted = model.len() > max
                                || model.iter().any(|m| parse_i64_strict(m).is_none());
                        }
                        if s.is_empty() {
                            // An emptied key is deleted; the next one starts afresh.
                            s = Set::new();
                            converted = false;
                        }
                    }
                }
                prop_assert_eq!(s.len(), model.len());
                prop_assert_eq!(s.encoding(), if converted { "hashtable" } else { "intset" });
            }
            prop_assert_eq!(members(&s), model.clone());
            let mut fresh = Set::new();
            for m in model.iter().rev() {
                fresh.add(m, &opts(usize::MAX));
            }
            let (mut d1, mut d2) = ([0u8; 20], [0u8; 20]);
            s.digest_into(&mut d1);
            fresh.digest_into(&mut d2);
            prop_assert_eq!(d1, d2);
            prop_assert_eq!(s.clone(), s);
        }
    }
}
