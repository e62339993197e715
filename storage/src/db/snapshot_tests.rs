//! Property tests of the copy-on-write snapshot (`snapshot.rs`) against a model.
//!
//! The model of a snapshot is the database's contents (key -> value, deadline)
//! read when it began. Random writes through every write path of `Db` and
//! `Keyspace` (SET over old and new keys, DEL, in-place edits through
//! `lookup_write`, EXPIRE, PERSIST, lazy and active expiry, RENAME, MOVE, COPY,
//! SWAPDB, FLUSHDB, FLUSHALL, eviction, bulk inserts that grow the table, cron
//! shrinks and rehashes) interleave with walk steps of random sizes. However they
//! interleave, a finished snapshot must hand over exactly the model, each key
//! once, and nothing after it finished; and the next snapshot of the same db
//! must match the db as it then is, which shows every entry's bit is back in
//! step with the epoch (abandoned snapshots included).

use std::cell::Cell;
use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::expire::ExpireCycle;
use crate::keyspace::Keyspace;
use crate::types::hash::{Hash, HashLimits};
use crate::types::list::{End, List};
use crate::types::set::{Set, SetOptions};
use crate::types::zset::{AddFlags, ZSet, ZsetLimits};
use crate::value::StringValue;
use crate::Rng;

/// Named keys: few, so writes collide with the keys the walk has yet to reach.
const KEYS: u8 = 30;
const DBS: usize = 2;
const START_MS: i64 = 1_000_000;
/// Small thresholds so collections change encoding under the edits.
const HASH_LIMITS: HashLimits = HashLimits {
    max_listpack_entries: 4,
    max_listpack_value: 16,
};
const ZSET_LIMITS: ZsetLimits = ZsetLimits {
    max_listpack_entries: 4,
    max_listpack_value: 16,
};
const MAX_INTSET: u64 = 6;

/// A snapshot's expected content: key -> (value, deadline).
type Model = BTreeMap<Vec<u8>, (Value, Option<i64>)>;

/// Every third key is longer than an inline `Sds`, so both key forms are walked.
fn key_name(k: u8) -> Vec<u8> {
    if k.is_multiple_of(3) {
        format!("a-key-longer-than-the-inline-capacity:{k}").into_bytes()
    } else {
        format!("k{k}").into_bytes()
    }
}

/// A value to build; collections are never empty, as in a real keyspace.
#[derive(Clone, Debug)]
enum Spec {
    Int(i64),
    Str(Vec<u8>),
    List(i64, Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Set(Vec<Vec<u8>>),
    ZSet(Vec<(Vec<u8>, i32)>),
}

/// Short bytes, strings past 22 and 44 bytes, and integers (intset members).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..8),
        vec(b'a'..=b'z', 20..70),
        (0u16..40).prop_map(|n| n.to_string().into_bytes()),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        any::<i64>().prop_map(Spec::Int),
        bytes().prop_map(Spec::Str),
        (
            prop::sample::select(vec![-2i64, 2, 128]),
            vec(bytes(), 1..12)
        )
            .prop_map(|(fill, items)| Spec::List(fill, items)),
        vec((bytes(), bytes()), 1..8).prop_map(Spec::Hash),
        vec(bytes(), 1..10).prop_map(Spec::Set),
        vec((bytes(), -100i32..100), 1..8).prop_map(Spec::ZSet),
    ]
}

fn build(spec: &Spec, opts: &SetOptions, rng: &mut Rng) -> Value {
    match spec {
        Spec::Int(n) => Value::int(*n),
        Spec::Str(b) => Value::string(b),
        Spec::List(fill, items) => {
            let mut list = List::new(*fill);
            for e in items {
                list.push(End::Tail, e);
            }
            Value::List(Box::new(list))
        }
        Spec::Hash(pairs) => {
            let mut hash = Hash::new();
            for (f, v) in pairs {
                hash.set(f, v, HASH_LIMITS, rng);
            }
            Value::Hash(hash)
        }
        Spec::Set(members) => {
            let mut set = Set::for_member(&members[0], opts);
            for m in members {
                set.add(m, opts);
            }
            Value::Set(set)
        }
        Spec::ZSet(pairs) => {
            let mut zset = ZSet::for_add(pairs[0].0.len(), &ZSET_LIMITS, rng);
            for (m, score) in pairs {
                zset.add(m, f64::from(*score), AddFlags::default(), &ZSET_LIMITS, rng);
            }
            Value::ZSet(zset)
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Set(usize, u8, Spec, bool),
    Del(usize, u8),
    /// In-place edit through `lookup_write`: push/add `elem`, or remove/pop.
    Edit(usize, u8, Vec<u8>, bool),
    Expire(usize, u8, i64),
    Persist(usize, u8),
    Advance(i64),
    /// `lookup_read` with a touch: lazy expiry.
    Read(usize, u8),
    Rename(usize, u8, u8, bool),
    Move(usize, u8),
    /// `detach` + `attach` called directly (no lookup first), into the other db.
    Detach(usize, u8),
    Copy(usize, usize, u8, u8, bool),
    Swap,
    Flush(usize),
    FlushAll,
    /// Inserts this many fresh keys: the table grows while the walk runs.
    Bulk(usize, u16),
    /// Deletes every fresh key: the table turns sparse, ready to shrink.
    BulkDel(usize),
    /// Cron: shrink if sparse and rehash for this many clock ticks.
    Cron(usize, u64),
    ActiveExpire,
    Evict(usize, u8),
    RandomKey(usize),
    Step(usize, usize),
    Begin(usize),
    /// `snapshot_end`: abandons a walk not yet done.
    End(usize),
}

fn db_ix() -> impl Strategy<Value = usize> {
    0..DBS
}

fn k() -> impl Strategy<Value = u8> {
    0..KEYS
}

/// The writes; `bulk` weights the table-resizing ones.
fn write_op(bulk: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (db_ix(), k(), spec(), any::<bool>()).prop_map(|(d, k, s, keep)| Op::Set(d, k, s, keep)),
        3 => (db_ix(), k()).prop_map(|(d, k)| Op::Del(d, k)),
        5 => (db_ix(), k(), bytes(), any::<bool>()).prop_map(|(d, k, e, rm)| Op::Edit(d, k, e, rm)),
        3 => (db_ix(), k(), -20i64..300).prop_map(|(d, k, t)| Op::Expire(d, k, t)),
        1 => (db_ix(), k()).prop_map(|(d, k)| Op::Persist(d, k)),
        2 => (0i64..100).prop_map(Op::Advance),
        2 => (db_ix(), k()).prop_map(|(d, k)| Op::Read(d, k)),
        2 => (db_ix(), k(), k(), any::<bool>()).prop_map(|(d, a, b, nx)| Op::Rename(d, a, b, nx)),
        1 => (db_ix(), k()).prop_map(|(d, k)| Op::Move(d, k)),
        1 => (db_ix(), k()).prop_map(|(d, k)| Op::Detach(d, k)),
        1 => (db_ix(), db_ix(), k(), k(), any::<bool>())
            .prop_map(|(a, b, x, y, r)| Op::Copy(a, b, x, y, r)),
        1 => Just(Op::Swap),
        1 => db_ix().prop_map(Op::Flush),
        1 => Just(Op::FlushAll),
        bulk => (db_ix(), 1u16..200).prop_map(|(d, n)| Op::Bulk(d, n)),
        bulk => db_ix().prop_map(Op::BulkDel),
        bulk => (db_ix(), 0u64..6).prop_map(|(d, b)| Op::Cron(d, b)),
        1 => Just(Op::ActiveExpire),
        1 => (db_ix(), k()).prop_map(|(d, k)| Op::Evict(d, k)),
        1 => db_ix().prop_map(Op::RandomKey),
    ]
}

fn op(bulk: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        16 => write_op(bulk),
        3 => (db_ix(), 0usize..4).prop_map(|(d, n)| Op::Step(d, n)),
        2 => db_ix().prop_map(Op::Begin),
        1 => db_ix().prop_map(Op::End),
    ]
}

/// Initial contents: (db, key, value, deadline offset from now).
type Initial = Vec<(usize, u8, Spec, Option<i64>)>;

fn initial(max: usize) -> impl Strategy<Value = Initial> {
    vec(
        (db_ix(), k(), spec(), proptest::option::of(-50i64..500)),
        0..max,
    )
}

/// A snapshot of one db in progress, with what it handed over so far.
struct Run {
    model: Model,
    got: Vec<SnapItem>,
    done: bool,
}

struct World {
    ks: Keyspace,
    now: i64,
    rng: Rng,
    /// Monotonic microsecond clock of cron and active expiry: one tick a read.
    tick: Cell<u64>,
    runs: [Option<Run>; DBS],
    fresh: u64,
    /// Snapshots verified, to show the generators reach completion.
    verified: usize,
}

impl World {
    fn new(init: &Initial) -> World {
        let mut w = World {
            ks: Keyspace::with_seed(DBS, 7),
            now: START_MS,
            rng: Rng::seeded(11),
            tick: Cell::new(0),
            runs: [None, None],
            fresh: 0,
            verified: 0,
        };
        for (d, k, s, ttl) in init {
            w.set(*d, &key_name(*k), s, false);
            if let Some(t) = ttl {
                w.ks.db_mut(*d).set_expire(&key_name(*k), START_MS + t);
            }
        }
        w
    }

    fn set(&mut self, d: usize, key: &[u8], spec: &Spec, keep_ttl: bool) {
        let opts = SetOptions::for_db(self.ks.db(d), MAX_INTSET);
        let value = build(spec, &opts, &mut self.rng);
        self.ks.db_mut(d).set(key, value, self.now, keep_ttl);
    }

    fn begin(&mut self, d: usize) {
        let model = contents(self.ks.db(d));
        let began = self.ks.db_mut(d).snapshot_begin();
        assert_eq!(began, self.runs[d].is_none(), "snapshot_begin on db {d}");
        if began {
            self.runs[d] = Some(Run {
                model,
                got: Vec::new(),
                done: false,
            });
        }
    }

    fn step(&mut self, d: usize, max: usize) {
        let db = self.ks.db_mut(d);
        let Some(run) = self.runs[d].as_mut() else {
            let mut out = Vec::new();
            assert!(db.snapshot_step(max, &mut out), "idle step not done");
            assert!(out.is_empty(), "idle step handed over keys");
            return;
        };
        let before = run.got.len();
        let done = db.snapshot_step(max, &mut run.got);
        if run.done {
            assert!(done, "a finished walk restarted");
            let extra: Vec<_> = run.got[before..].iter().map(|i| i.key.clone()).collect();
            assert!(
                extra.is_empty(),
                "db {d}: items after completion: {extra:?}"
            );
        } else if done {
            run.done = true;
            verify(d, run);
            self.verified += 1;
        }
    }

    fn end(&mut self, d: usize) {
        self.ks.db_mut(d).snapshot_end();
        assert!(!self.ks.db(d).snapshot_active());
        self.runs[d] = None;
    }

    /// Steps db `d`'s snapshot (if any) to completion in small slices.
    fn finish(&mut self, d: usize) {
        let mut guard = 0;
        while self.runs[d].as_ref().is_some_and(|r| !r.done) {
            let max = 1 + (self.rng.below(4) as usize);
            self.step(d, max);
            guard += 1;
            assert!(guard < 1_000_000, "walk never ends");
        }
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        match op {
            Op::Set(d, k, s, keep) => self.set(*d, &key_name(*k), s, *keep),
            Op::Del(d, k) => {
                self.ks.db_mut(*d).delete(&key_name(*k));
            }
            Op::Edit(d, k, e, rm) => self.edit(*d, &key_name(*k), e, *rm),
            Op::Expire(d, k, t) => {
                self.ks.db_mut(*d).set_expire(&key_name(*k), now + t);
            }
            Op::Persist(d, k) => {
                self.ks.db_mut(*d).remove_expire(&key_name(*k));
            }
            Op::Advance(ms) => self.now += ms,
            Op::Read(d, k) => {
                self.ks
                    .db_mut(*d)
                    .lookup_read(&key_name(*k), now, Lookup::Touch);
            }
            Op::Rename(d, a, b, nx) => {
                self.ks
                    .db_mut(*d)
                    .rename(&key_name(*a), &key_name(*b), now, *nx);
            }
            Op::Move(d, k) => {
                self.ks.move_key(*d, 1 - *d, &key_name(*k), now);
            }
            Op::Detach(d, k) => {
                if let Some(item) = self.ks.db_mut(*d).detach(&key_name(*k)) {
                    self.ks.db_mut(1 - *d).attach(item);
                }
            }
            Op::Copy(a, b, x, y, replace) => {
                if a != b || x != y {
                    self.ks
                        .copy_key(*a, *b, &key_name(*x), &key_name(*y), *replace, now);
                }
            }
            Op::Swap => {
                self.ks.swap(0, 1);
            }
            Op::Flush(d) => {
                self.ks.db_mut(*d).flush();
            }
            Op::FlushAll => {
                self.ks.flush_all();
            }
            Op::Bulk(d, n) => self.bulk(*d, *n),
            Op::BulkDel(d) => {
                let db = self.ks.db_mut(*d);
                for key in db.keys(b"fresh:*", i64::MIN) {
                    db.delete(key.as_bytes());
                }
            }
            Op::Cron(d, budget) => {
                let tick = &self.tick;
                let clock = || {
                    tick.set(tick.get() + 1);
                    tick.get()
                };
                self.ks.db_mut(*d).cron(*budget, &clock);
            }
            Op::ActiveExpire => {
                let tick = &self.tick;
                let clock = || {
                    tick.set(tick.get() + 1);
                    tick.get()
                };
                self.ks
                    .active_expire_cycle(ExpireCycle::Slow, now, 1, 10, &clock);
            }
            Op::Evict(d, k) => {
                self.ks.evict(*d, &Sds::new(&key_name(*k)));
            }
            Op::RandomKey(d) => {
                self.ks.db_mut(*d).random_key(now, &mut self.rng);
            }
            Op::Step(d, max) => self.step(*d, *max),
            Op::Begin(d) => self.begin(*d),
            Op::End(d) => self.end(*d),
        }
        // The server drains these logs after every command.
        self.ks.take_expired();
        self.ks.take_evicted();
    }

    fn edit(&mut self, d: usize, key: &[u8], e: &[u8], remove: bool) {
        let opts = SetOptions::for_db(self.ks.db(d), MAX_INTSET);
        let rng = &mut self.rng;
        let db = self.ks.db_mut(d);
        let Some(value) = db.lookup_write(key, self.now) else {
            return;
        };
        match value {
            Value::String(s) => {
                let mut bytes = s.to_vec();
                if remove {
                    bytes.truncate(bytes.len() / 2);
                } else {
                    bytes.extend_from_slice(e);
                }
                *s = StringValue::bytes(&bytes, true);
            }
            Value::List(l) if remove => {
                l.pop(End::Head);
            }
            Value::List(l) => l.push(End::Tail, e),
            Value::Hash(h) if remove => {
                let field = h.iter().next().map(|(f, _)| f.to_vec());
                if let Some(f) = field {
                    h.remove(&f);
                }
            }
            Value::Hash(h) => {
                h.set(e, b"edited", HASH_LIMITS, rng);
            }
            Value::Set(s) if remove => {
                let member = s.iter().next().map(|m| m.to_vec());
                if let Some(m) = member {
                    s.remove(&m);
                }
            }
            Value::Set(s) => {
                s.add(e, &opts);
            }
            Value::ZSet(z) if remove => {
                z.remove_range_by_rank(0, 0);
            }
            Value::ZSet(z) => {
                z.add(e, 1.5, AddFlags::default(), &ZSET_LIMITS, rng);
            }
        }
        // Commands never leave an emptied collection behind.
        if value.is_empty_collection() {
            db.delete(key);
        }
    }

    fn bulk(&mut self, d: usize, n: u16) {
        for _ in 0..n {
            self.fresh += 1;
            let key = format!("fresh:{}", self.fresh);
            let value = Value::int(self.fresh as i64);
            self.ks
                .db_mut(d)
                .set(key.as_bytes(), value, self.now, false);
        }
    }

    /// Ends the sequence: finish what runs, then two clean snapshots per db,
    /// each of which must equal the db as it is.
    fn close(&mut self) {
        for d in 0..DBS {
            self.finish(d);
            self.end(d);
        }
        for _ in 0..2 {
            for d in 0..DBS {
                self.begin(d);
                self.finish(d);
                self.end(d);
            }
        }
    }
}

/// The db as a model: every entry of the dict, expired or not.
fn contents(db: &Db) -> Model {
    db.dict()
        .iter()
        .map(|e| {
            let key = e.key().as_bytes().to_vec();
            let expire = db.get_expire(&key);
            (key, (e.value().clone(), expire))
        })
        .collect()
}

/// A finished snapshot handed over the model exactly, each key once.
fn verify(d: usize, run: &Run) {
    let mut got = Model::new();
    for item in &run.got {
        let key = item.key.as_bytes().to_vec();
        let prev = got.insert(key.clone(), (item.value.clone(), item.expire_ms));
        assert!(
            prev.is_none(),
            "db {d}: key {:?} handed over twice",
            String::from_utf8_lossy(&key)
        );
    }
    let missing: Vec<_> = run.model.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !run.model.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "db {d}: missing {missing:?}, extra {extra:?}"
    );
    for (key, want) in &run.model {
        assert_eq!(
            got.get(key),
            Some(want),
            "db {d}: key {:?}",
            String::from_utf8_lossy(key)
        );
    }
}

fn run_case(init: &Initial, ops: &[Op]) -> usize {
    let mut w = World::new(init);
    for d in 0..DBS {
        w.begin(d);
    }
    for op in ops {
        w.apply(op);
    }
    w.close();
    w.verified
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every write path, interleaved with steps, abandons and restarts.
    #[test]
    fn snapshot_is_point_in_time(init in initial(40), ops in vec(op(1), 0..200)) {
        run_case(&init, &ops);
    }

    /// Mostly table resizes: the walk runs while the dict grows and shrinks.
    #[test]
    fn snapshot_survives_resizes(init in initial(8), ops in vec(op(8), 0..200)) {
        run_case(&init, &ops);
    }
}

fn spec_str(s: &str) -> Spec {
    Spec::Str(s.as_bytes().to_vec())
}

#[test]
fn abandoned_snapshot_leaves_bits_in_step() {
    let init: Initial = (0..KEYS).map(|k| (0, k, spec_str("v"), None)).collect();
    let mut w = World::new(&init);
    w.begin(0);
    w.step(0, 3);
    w.apply(&Op::Set(0, 1, spec_str("changed"), false));
    w.apply(&Op::Del(0, 2));
    w.end(0);
    // A fresh snapshot right away must see every key, including those the
    // abandoned walk never reached, and the writes made during it.
    w.apply(&Op::Set(0, 4, spec_str("after"), false));
    w.begin(0);
    w.apply(&Op::Set(0, 5, spec_str("during"), false));
    w.finish(0);
    w.end(0);
    assert_eq!(w.verified, 1);
    w.close();
}

#[test]
fn walk_survives_growth_from_a_tiny_table() {
    let init: Initial = (0..3).map(|k| (0, k, spec_str("old"), Some(100))).collect();
    let mut w = World::new(&init);
    w.begin(0);
    for round in 0..40u8 {
        w.apply(&Op::Bulk(0, 97));
        w.step(0, 1);
        if round == 5 {
            w.apply(&Op::Set(0, 1, spec_str("new"), false));
        }
    }
    w.finish(0);
    assert_eq!(w.verified, 1);
    w.end(0);
    w.close();
}

#[test]
fn walk_survives_shrinking() {
    let init: Initial = (0..KEYS).map(|k| (0, k, spec_str("x"), None)).collect();
    let mut w = World::new(&init);
    w.apply(&Op::Bulk(0, 2000));
    w.begin(0);
    w.step(0, 50);
    w.apply(&Op::BulkDel(0));
    for _ in 0..20 {
        w.apply(&Op::Cron(0, 2));
        w.step(0, 1);
    }
    w.finish(0);
    assert_eq!(w.verified, 1);
    w.end(0);
    w.close();
}

#[test]
fn swap_and_flush_during_walk() {
    let init: Initial = (0..KEYS)
        .map(|k| (usize::from(k % 2), k, spec_str("s"), None))
        .collect();
    let mut w = World::new(&init);
    w.begin(0);
    w.step(0, 2);
    w.apply(&Op::Swap);
    w.apply(&Op::Set(0, 7, spec_str("after-swap"), false));
    w.begin(1);
    w.apply(&Op::Flush(1));
    w.apply(&Op::Swap);
    w.finish(0);
    w.finish(1);
    assert_eq!(w.verified, 2);
    w.close();
}

/// SET over a key the walk has not reached hands the snapshot the old string
/// itself: the very same bytes, which the keyspace no longer holds, and no
/// copy (no clone of the shared counter either: the count shows no one else).
#[test]
fn set_over_a_pending_key_moves_its_old_value_to_the_snapshot() {
    let mut ks = Keyspace::with_seed(1, 7);
    let db = ks.db_mut(0);
    let old = vec![b'a'; 100];
    db.set(b"k", Value::string(&old), START_MS, false);
    let Some(Value::String(StringValue::Heap { bytes, .. })) = db.peek(b"k") else {
        panic!("a 100-byte string lives on the heap");
    };
    let before = std::sync::Arc::as_ptr(bytes);
    assert!(db.snapshot_begin());
    db.set(b"k", Value::string(b"new"), START_MS, false);
    let mut out = Vec::new();
    assert!(db.snapshot_step(usize::MAX, &mut out));
    assert_eq!(out.len(), 1);
    let Value::String(StringValue::Heap { bytes, .. }) = &out[0].value else {
        panic!("the pre-image is the old heap string");
    };
    assert_eq!(std::sync::Arc::as_ptr(bytes), before);
    assert_eq!(std::sync::Arc::strong_count(bytes), 1);
    assert_eq!(&bytes[..], &old[..]);
    db.snapshot_end();
}
