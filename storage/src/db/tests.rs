//! Db tests: expiry and lookups against a simple model.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::dict::Entry;

fn db() -> Db {
    Db::new(HashKey { k0: 1, k1: 2 })
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, bool),
    Expire(u8, i64),
    Persist(u8),
    Del(u8),
    Read(u8),
    Advance(i64),
    Rename(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..30, any::<bool>()).prop_map(|(k, keep)| Op::Set(k, keep)),
        (0u8..30, -50i64..200).prop_map(|(k, t)| Op::Expire(k, t)),
        (0u8..30).prop_map(Op::Persist),
        (0u8..30).prop_map(Op::Del),
        (0u8..30).prop_map(Op::Read),
        (0i64..100).prop_map(Op::Advance),
        (0u8..30, 0u8..30).prop_map(|(a, b)| Op::Rename(a, b)),
    ]
}

/// The model: key -> (value counter, deadline).
type Model = HashMap<u8, (u64, Option<i64>)>;

fn live(model: &Model, k: u8, now: i64) -> Option<(u64, Option<i64>)> {
    model
        .get(&k)
        .copied()
        .filter(|(_, d)| d.is_none_or(|d| now <= d))
}

proptest! {
    #[test]
    fn expiry_matches_model(ops in proptest::collection::vec(op(), 1..300)) {
        let mut d = db();
        let mut model: Model = HashMap::new();
        let mut now = 1_000_000i64;
        let mut counter = 0u64;
        for op in ops {
            let key = |k: u8| vec![b'k', k];
            match op {
                Op::Set(k, keep) => {
                    counter += 1;
                    d.set(&key(k), Value::int(counter as i64), now, keep);
                    let ttl = if keep { live(&model, k, now).and_then(|(_, t)| t) } else { None };
                    model.insert(k, (counter, ttl));
                }
                Op::Expire(k, t) => {
                    let ok = d.lookup_write(&key(k), now).is_some() && d.set_expire(&key(k), now + t);
                    prop_assert_eq!(ok, live(&model, k, now).is_some());
                    if ok { model.get_mut(&k).unwrap().1 = Some(now + t); }
                }
                Op::Persist(k) => {
                    let alive = d.lookup_write(&key(k), now).is_some();
                    let had = alive && d.remove_expire(&key(k));
                    let m = live(&model, k, now);
                    prop_assert_eq!(had, m.is_some_and(|(_, t)| t.is_some()));
                    if had { model.get_mut(&k).unwrap().1 = None; }
                }
                Op::Del(k) => {
                    d.expire_if_needed(&key(k), now);
                    let gone = d.delete(&key(k));
                    prop_assert_eq!(gone, live(&model, k, now).is_some());
                    model.remove(&k);
                }
                Op::Read(k) => {
                    let got = d.lookup_read(&key(k), now, Lookup::Touch).and_then(|v| v.as_string()?.as_i64());
                    prop_assert_eq!(got, live(&model, k, now).map(|(v, _)| v as i64));
                }
                Op::Advance(ms) => now += ms,
                Op::Rename(a, b) => {
                    let out = d.rename(&key(a), &key(b), now, false);
                    match live(&model, a, now) {
                        None => prop_assert_eq!(out, RenameOutcome::NoSuchKey),
                        Some(item) => {
                            prop_assert_eq!(out, RenameOutcome::Renamed);
                            model.remove(&a);
                            model.insert(b, item);
                        }
                    }
                }
            }
        }
        for k in 0u8..30 {
            let got = d.lookup_read(&[b'k', k], now, Lookup::NoTouch).is_some();
            prop_assert_eq!(got, live(&model, k, now).is_some());
            prop_assert_eq!(d.get_expire(&[b'k', k]).filter(|_| got), live(&model, k, now).and_then(|(_, t)| t));
        }
    }
}

#[test]
fn entry_is_one_64_byte_allocation() {
    assert_eq!(std::mem::size_of::<Entry<Value>>(), 64);
}

#[test]
fn lazy_expiry_logs_and_scan_filters() {
    let mut d = db();
    let now = 5_000;
    for i in 0..50 {
        let key = format!("key:{i}");
        d.set(key.as_bytes(), Value::string(b"v"), now, false);
        if i % 2 == 0 {
            d.set_expire(key.as_bytes(), now - 1);
        }
    }
    assert_eq!(d.keys(b"*", now).len(), 25);
    assert_eq!(d.keys(b"key:1?", now).len(), 5);
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let (next, keys) = d.scan(cursor, 7, Some(b"key:*"), Some(b"STRING"), now);
        seen.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(d.len(), 25, "scan deleted the expired keys");
    assert_eq!(d.take_expired().len(), 25);
    assert_eq!(d.take_expired_count(), 25);
    let mut rng = crate::Rng::seeded(3);
    assert!(d.random_key(now, &mut rng).is_some());
}

#[test]
fn idle_time_moves_with_touching_lookups_only() {
    let mut d = db();
    d.set(b"k", Value::string(b"v"), 10_000, false);
    assert_eq!(d.idle_ms(b"k", 15_000), Some(5000));
    d.lookup_read(b"k", 15_000, Lookup::NoTouch);
    assert_eq!(d.idle_ms(b"k", 15_000), Some(5000));
    d.lookup_read(b"k", 15_000, Lookup::Touch);
    assert_eq!(d.idle_ms(b"k", 15_000), Some(0));
}
