//! Hash tests: conversions at Redis 7.0's thresholds, the digest against a real
//! Redis 7.0.15, and a property test against a `BTreeMap` model.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::digest::{to_hex, value_digest};
use crate::value::Value;
use crate::Rng;

const LIMITS: HashLimits = HashLimits {
    max_listpack_entries: 128,
    max_listpack_value: 64,
};

fn rng() -> Rng {
    Rng::seeded(42)
}

fn contents(h: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
    h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
}

#[test]
fn sizes_keep_value_small() {
    assert_eq!(std::mem::size_of::<Hash>(), 16);
    assert_eq!(std::mem::size_of::<Value>(), 24);
}

#[test]
fn converts_on_entry_count_and_never_back() {
    let limits = HashLimits {
        max_listpack_entries: 2,
        ..LIMITS
    };
    let mut h = Hash::new();
    let mut r = rng();
    assert!(h.set(b"a", b"1", limits, &mut r));
    assert!(h.set(b"b", b"2", limits, &mut r));
    assert_eq!(h.encoding(), "listpack");
    assert!(!h.set(b"b", b"3", limits, &mut r));
    assert_eq!(h.encoding(), "listpack");
    assert!(h.set(b"c", b"3", limits, &mut r));
    assert_eq!(h.encoding(), "hashtable");
    assert!(h.remove(b"a") && h.remove(b"b"));
    assert_eq!(h.encoding(), "hashtable");
    assert_eq!(h.len(), 1);
}

#[test]
fn converts_on_long_strings() {
    let mut r = rng();
    let mut h = Hash::new();
    h.set(b"f", &[b'v'; 64], LIMITS, &mut r);
    assert_eq!(h.encoding(), "listpack");
    h.set(b"g", &[b'v'; 65], LIMITS, &mut r);
    assert_eq!(h.encoding(), "hashtable");
    let mut h = Hash::new();
    h.prepare_for(&[b"f", &[b'x'; 65]], LIMITS, &mut r);
    assert_eq!(h.encoding(), "hashtable");
    let mut h = Hash::new();
    h.set(&[b'k'; 65], b"1", LIMITS, &mut r);
    assert_eq!(h.encoding(), "hashtable");
    assert_eq!(h.get(&[b'k'; 65]).map(|v| v.to_vec()), Some(b"1".to_vec()));
}

#[test]
fn reads_in_both_encodings() {
    for entries in [128, 0] {
        let limits = HashLimits {
            max_listpack_entries: entries,
            ..LIMITS
        };
        let mut r = rng();
        let mut h = Hash::new();
        h.set(b"n", b"-12345", limits, &mut r);
        h.set(b"s", b"hello", limits, &mut r);
        assert_eq!(h.get(b"n").and_then(|v| v.as_i64()), Some(-12345));
        assert_eq!(h.value_len(b"n"), 6);
        assert_eq!(h.value_len(b"s"), 5);
        assert_eq!(h.value_len(b"zz"), 0);
        assert!(h.contains(b"s") && !h.contains(b"x"));
        assert_eq!(h.get(b"x"), None);
    }
}

/// `HSET h a 1 b hello c 100000 d -5` then `DEBUG DIGEST-VALUE h` on Redis
/// 7.0.15, in both encodings.
#[test]
fn digest_matches_redis() {
    for entries in [128, 2] {
        let limits = HashLimits {
            max_listpack_entries: entries,
            ..LIMITS
        };
        let mut r = rng();
        let mut h = Hash::new();
        for (f, v) in [("a", "1"), ("b", "hello"), ("c", "100000"), ("d", "-5")] {
            h.set(f.as_bytes(), v.as_bytes(), limits, &mut r);
        }
        let mut digest = [0u8; 20];
        value_digest(&mut digest, &Value::Hash(h), false);
        assert_eq!(to_hex(&digest), "97dad8ef57f182b76633f42be3fb9b422eae35b5");
    }
}

#[test]
fn scan_on_a_listpack_returns_everything() {
    let mut r = rng();
    let mut h = Hash::new();
    for i in 0..10 {
        h.set(format!("f{i}").as_bytes(), b"v", LIMITS, &mut r);
    }
    let (cursor, all) = h.scan(0, 1, None);
    assert_eq!((cursor, all.len()), (0, 10));
    let (_, some) = h.scan(0, 10, Some(b"f1*"));
    assert_eq!(some, vec![(b"f1".to_vec(), b"v".to_vec())]);
}

#[test]
fn scan_on_a_table_visits_every_field() {
    let mut r = rng();
    let mut h = Hash::new();
    for i in 0..1000 {
        h.set(format!("f{i}").as_bytes(), b"v", LIMITS, &mut r);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        let (next, batch) = h.scan(cursor, 10, None);
        seen.extend(batch.into_iter().map(|(f, _)| f));
        calls += 1;
        // Deletions mid-scan must not hide fields present throughout.
        if calls == 20 {
            for i in 500..900 {
                h.remove(format!("f{i}").as_bytes());
            }
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    for i in (0..500).chain(900..1000) {
        assert!(seen.contains(format!("f{i}").as_bytes()), "f{i}");
    }
}

#[test]
fn random_selections_follow_redis_cases() {
    for entries in [128, 0] {
        let limits = HashLimits {
            max_listpack_entries: entries,
            ..LIMITS
        };
        let mut r = rng();
        let mut h = Hash::new();
        for i in 0..30 {
            h.set(
                format!("f{i}").as_bytes(),
                format!("{i}").as_bytes(),
                limits,
                &mut r,
            );
        }
        for count in [1, 5, 10, 11, 29, 30, 31, 100] {
            let picked = h.random_unique(&mut r, count);
            assert_eq!(picked.len(), count.min(30));
            let fields: std::collections::BTreeSet<_> =
                picked.iter().map(|(f, _)| f.to_vec()).collect();
            assert_eq!(fields.len(), picked.len(), "distinct");
            for (f, v) in &picked {
                assert_eq!(h.get(&f.to_vec()), Some(*v));
            }
        }
        assert_eq!(h.random_pairs(&mut r, 500).len(), 500);
        let one = h.random_pair(&mut r).unwrap();
        assert!(h.contains(&one.0.to_vec()));
    }
    assert_eq!(Hash::new().random_pair(&mut rng()), None);
    assert!(Hash::new().random_pairs(&mut rng(), 3).is_empty());
}

#[test]
fn from_listpack_rejects_odd_and_duplicate_fields() {
    let mut lp = Listpack::new();
    lp.push_back(b"a");
    assert!(Hash::from_listpack(lp.clone()).is_none());
    lp.push_back(b"1");
    assert!(Hash::from_listpack(lp.clone()).is_some());
    lp.push_back(b"a");
    lp.push_back(b"2");
    assert!(Hash::from_listpack(lp).is_none());
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    Remove(u8),
    Prepare(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let value = prop_oneof![
        any::<i32>().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..12),
        (0usize..2).prop_map(|k| vec![b'L'; [9, 70][k]]),
    ];
    prop_oneof![
        4 => (0u8..24, value).prop_map(|(f, v)| Op::Set(f, v)),
        2 => (0u8..24).prop_map(Op::Remove),
        1 => (0usize..12).prop_map(Op::Prepare),
    ]
}

fn field(f: u8) -> Vec<u8> {
    if f.is_multiple_of(3) {
        f.to_string().into_bytes()
    } else {
        format!("field:{f}").into_bytes()
    }
}

proptest! {
    #[test]
    fn behaves_like_a_map(
        ops in proptest::collection::vec(op(), 0..80),
        entries in 0usize..20,
        value_max in 0usize..16,
    ) {
        let limits = HashLimits { max_listpack_entries: entries, max_listpack_value: value_max };
        let mut r = rng();
        let mut h = Hash::new();
        let mut model = BTreeMap::new();
        for op in ops {
            let was_table = h.encoding() == "hashtable";
            match op {
                Op::Set(f, v) => {
                    let created = h.set(&field(f), &v, limits, &mut r);
                    prop_assert_eq!(created, model.insert(field(f), v.clone()).is_none());
                    let too_long = field(f).len() > value_max || v.len() > value_max;
                    let expect_table = was_table || too_long || model.len() > entries;
                    prop_assert_eq!(h.encoding() == "hashtable", expect_table);
                }
                Op::Remove(f) => {
                    prop_assert_eq!(h.remove(&field(f)), model.remove(&field(f)).is_some());
                }
                Op::Prepare(len) => {
                    h.prepare_for(&[&vec![b'p'; len]], limits, &mut r);
                    let expect_table = was_table || len > value_max;
                    prop_assert_eq!(h.encoding() == "hashtable", expect_table);
                }
            }
            if was_table {
                prop_assert_eq!(h.encoding(), "hashtable");
            }
            prop_assert_eq!(h.len(), model.len());
        }
        prop_assert_eq!(&contents(&h), &model);
        for (f, v) in &model {
            prop_assert_eq!(h.get(f).map(|e| e.to_vec()), Some(v.clone()));
            prop_assert_eq!(h.value_len(f), v.len());
        }
        let clone = h.clone();
        prop_assert_eq!(&clone, &h);
        let (_, scanned) = h.scan(0, usize::MAX, None);
        let scanned: BTreeMap<_, _> = scanned.into_iter().collect();
        prop_assert_eq!(scanned, model);
    }
}
