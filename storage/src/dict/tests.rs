//! Dict tests: model-based (against std's HashMap) and the SCAN guarantee.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;
use crate::Rng as SeededRng;

fn dict() -> Dict<u64> {
    Dict::new(HashKey { k0: 7, k1: 11 })
}

fn key(n: u16) -> Vec<u8> {
    format!("key:{n}").into_bytes()
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u64),
    Remove(u16),
    Get(u16),
    Step(u8),
    Shrink,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u16..300, any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0u16..300).prop_map(Op::Remove),
        2 => (0u16..300).prop_map(Op::Get),
        1 => (0u8..20).prop_map(Op::Step),
        1 => Just(Op::Shrink),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_hashmap(ops in proptest::collection::vec(op(), 1..600)) {
        let mut d = dict();
        let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let got = d.insert(Sds::new(&key(k)), v, 0);
                    prop_assert_eq!(got, model.insert(key(k), v));
                }
                Op::Remove(k) => {
                    let got = d.remove(&key(k)).map(|(_, v, _)| v);
                    prop_assert_eq!(got, model.remove(&key(k)));
                }
                Op::Get(k) => {
                    prop_assert_eq!(d.get(&key(k)).map(|e| *e.value()), model.get(&key(k)).copied());
                    prop_assert_eq!(d.get_mut(&key(k)).map(|e| *e.value()), model.get(&key(k)).copied());
                }
                Op::Step(n) => { d.rehash_step(usize::from(n)); }
                Op::Shrink => { d.resize_if_sparse(); }
            }
            prop_assert_eq!(d.len(), model.len());
        }
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        for e in d.iter() {
            prop_assert!(seen.insert(e.key().as_bytes().to_vec(), *e.value()).is_none());
        }
        prop_assert_eq!(seen, model);
    }

    #[test]
    fn scan_returns_every_stable_key(
        initial in 0u16..400,
        ops in proptest::collection::vec((any::<bool>(), 400u16..2000, 0u8..4), 0..200),
    ) {
        // Keys 0..initial stay for the whole scan; others come and go between calls.
        let mut d = dict();
        for k in 0..initial { d.insert(Sds::new(&key(k)), 0, 0); }
        let mut seen = HashSet::new();
        let mut cursor = 0u64;
        let mut ops = ops.into_iter();
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |e| { seen.insert(e.key().as_bytes().to_vec()); });
            calls += 1;
            if cursor == 0 { break; }
            prop_assert!(calls < 100_000);
            if let Some((insert, k, steps)) = ops.next() {
                if insert {
                    for j in 0..20 { d.insert(Sds::new(&key(k.wrapping_add(j * 2000))), 0, 0); }
                } else {
                    for j in 0..20 { d.remove(&key(k.wrapping_add(j * 2000))); }
                    d.resize_if_sparse();
                }
                d.rehash_step(usize::from(steps));
            }
        }
        for k in 0..initial {
            prop_assert!(seen.contains(&key(k)), "missed key {}", k);
        }
    }
}

#[test]
fn grows_incrementally() {
    let mut d = dict();
    for k in 0..1000u16 {
        d.insert(Sds::new(&key(k)), u64::from(k), 0);
    }
    assert!(d.slots() >= 1000);
    for k in 0..1000u16 {
        assert_eq!(d.get(&key(k)).map(|e| *e.value()), Some(u64::from(k)));
    }
    // Shrink after mass deletion, then finish through the time-boxed rehash.
    for k in 0..990u16 {
        d.remove(&key(k));
    }
    assert!(d.resize_if_sparse());
    d.rehash_for(1_000_000, &|| 0);
    assert!(!d.is_rehashing());
    assert!(d.slots() <= 16);
    assert_eq!(d.len(), 10);
}

#[test]
fn sampling_finds_entries_in_sparse_and_rehashing_tables() {
    let mut d = dict();
    let mut rng = SeededRng::seeded(1);
    assert!(d.random_entry(&mut rng).is_none());
    for k in 0..100u16 {
        d.insert(Sds::new(&key(k)), 0, 0);
    }
    for k in 0..99u16 {
        d.remove(&key(k));
    }
    assert_eq!(
        d.random_entry(&mut rng)
            .map(|e| e.key().as_bytes().to_vec()),
        Some(key(99))
    );
    for k in 0..200u16 {
        d.insert(Sds::new(&key(k)), 0, 0);
    }
    let mut distinct = HashSet::new();
    for _ in 0..2000 {
        if let Some(e) = d.fair_random_entry(&mut rng) {
            distinct.insert(e.key().as_bytes().to_vec());
        }
    }
    assert!(distinct.len() > 150, "{}", distinct.len());
    assert_eq!(d.sample(&mut rng, 500).len(), 200);
}
