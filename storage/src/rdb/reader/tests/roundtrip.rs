//! Property: any keyspace the writer saves, the reader loads back with the same
//! values, encodings, databases and expire times.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::super::*;
use crate::digest::value_digest;
use crate::rdb::writer::{KeyMeta, RdbWriter, WriteOptions};
use crate::types::hash::Hash;
use crate::types::list::{End, List};
use crate::types::set::{Set, SetOptions};
use crate::types::zset::ZSet;
use crate::Rng;

/// A value as plain data, turned into a storage value the way commands build one.
#[derive(Clone, Debug)]
enum Model {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    ZSet(BTreeMap<Vec<u8>, f64>),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0i64..1000).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..12),
        proptest::collection::vec(b'a'..=b'c', 60..90),
    ]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-100i32..100).prop_map(f64::from),
        any::<i32>().prop_map(|n| f64::from(n) / 7.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e300),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let many = |n| 1..n;
    prop_oneof![
        element().prop_map(Model::String),
        proptest::collection::vec(b'x'..=b'z', 0..3000).prop_map(Model::String),
        proptest::collection::vec(element(), many(300)).prop_map(Model::List),
        proptest::collection::btree_set(element(), many(40)).prop_map(Model::Set),
        proptest::collection::btree_set(
            (0i64..100_000).prop_map(|n| n.to_string().into_bytes()),
            many(700)
        )
        .prop_map(Model::Set),
        proptest::collection::btree_map(element(), element(), many(200)).prop_map(Model::Hash),
        proptest::collection::btree_map(element(), score(), many(200)).prop_map(Model::ZSet),
    ]
}

fn build(m: &Model, opts: &LoadOptions, rng: &mut Rng) -> Value {
    match m {
        Model::String(s) => Value::string(s),
        Model::List(items) => {
            let mut l = List::new(opts.list_max_listpack_size);
            for i in items {
                l.push(End::Tail, i);
            }
            Value::List(Box::new(l))
        }
        Model::Set(members) => {
            let options = SetOptions {
                max_intset_entries: opts.set_max_intset_entries,
                hash_key: crate::hash::HashKey { k0: 1, k1: 2 },
            };
            let first = members.iter().next().map(|m| &m[..]).unwrap_or_default();
            let mut s = Set::for_member(first, &options);
            for m in members {
                s.add(m, &options);
            }
            Value::Set(s)
        }
        Model::Hash(pairs) => {
            let mut h = Hash::new();
            for (f, v) in pairs {
                h.prepare_for(&[f, v], opts.hash_limits, rng);
                h.set(f, v, opts.hash_limits, rng);
            }
            Value::Hash(h)
        }
        Model::ZSet(pairs) => {
            let entries = pairs.iter().map(|(m, s)| (m.clone(), *s)).collect();
            Value::ZSet(ZSet::from_entries(entries, &opts.zset_limits, rng))
        }
    }
}

fn digest(v: &Value) -> [u8; 20] {
    let mut d = [0u8; 20];
    value_digest(&mut d, v, false);
    d
}

type Keyspace = Vec<BTreeMap<Vec<u8>, (Model, Option<i64>)>>;

fn keyspace() -> impl Strategy<Value = Keyspace> {
    let entry = (model(), proptest::option::of(0i64..4_000_000_000_000));
    proptest::collection::vec(
        proptest::collection::btree_map(proptest::collection::vec(any::<u8>(), 0..20), entry, 0..6),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn written_keyspaces_load_back(space in keyspace(), compression: bool, checksum: bool) {
        let opts = LoadOptions::default();
        let mut rng = Rng::seeded(9);
        let mut w = RdbWriter::new(Vec::new(), WriteOptions { compression, checksum });
        w.header().unwrap();
        w.aux(b"redis-ver", b"7.0.15").unwrap();
        let mut expected = Vec::new();
        for (db, keys) in space.iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let expires = keys.values().filter(|(_, t)| t.is_some()).count();
            w.select_db(db, keys.len(), expires).unwrap();
            for (key, (m, ttl)) in keys {
                let value = build(m, &opts, &mut rng);
                let meta = KeyMeta { expire_ms: *ttl, ..KeyMeta::default() };
                w.key(key, &value, &meta).unwrap();
                expected.push((db, key.clone(), value, *ttl));
            }
        }
        let file = w.finish().unwrap();
        let mut got = Vec::new();
        let summary = load(&file, &opts, &mut |r| {
            if let Record::Key(k) = r {
                got.push(k);
            }
            Ok(())
        }).unwrap();
        let want_check = if checksum { ChecksumCheck::Verified } else { ChecksumCheck::Disabled };
        prop_assert_eq!(summary.checksum, want_check);
        prop_assert_eq!(summary.consumed, file.len());
        prop_assert_eq!(got.len(), expected.len());
        for (k, (db, key, value, ttl)) in got.iter().zip(&expected) {
            prop_assert_eq!(k.db, *db);
            prop_assert_eq!(&k.key, key);
            prop_assert_eq!(k.expire_ms, *ttl);
            prop_assert_eq!(k.value.encoding(), value.encoding());
            prop_assert_eq!(digest(&k.value), digest(value));
        }
    }
}
