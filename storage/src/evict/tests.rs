//! Eviction tests: LFU counter arithmetic, the pool's ordering, and victim
//! choice on a manual clock (LRU picks the idlest, LFU the least used,
//! volatile-* only keys with a TTL).

use proptest::prelude::*;

use super::*;
use crate::value::Value;
use crate::Rng;

const ALL: [EvictionPolicy; 7] = [
    EvictionPolicy::VolatileLru,
    EvictionPolicy::VolatileLfu,
    EvictionPolicy::VolatileRandom,
    EvictionPolicy::VolatileTtl,
    EvictionPolicy::AllkeysLru,
    EvictionPolicy::AllkeysLfu,
    EvictionPolicy::AllkeysRandom,
];

fn value() -> Value {
    Value::String(crate::value::StringValue::from_bytes(b"v"))
}

fn lfu() -> AccessMode {
    AccessMode::Lfu {
        log_factor: 10,
        decay_minutes: 1,
    }
}

#[test]
fn lfu_counter_starts_at_init_and_decays_per_period() {
    let word = lfu().initial(0);
    assert_eq!(word & 0xFF, u32::from(LFU_INIT_VAL));
    assert_eq!(lfu_decr_and_return(word, 0, 1), 5);
    assert_eq!(lfu_decr_and_return(word, 3 * 60_000, 1), 2);
    assert_eq!(lfu_decr_and_return(word, 3 * 60_000, 2), 4);
    assert_eq!(lfu_decr_and_return(word, 600 * 60_000, 1), 0);
    // Decay time 0 turns decay off.
    assert_eq!(lfu_decr_and_return(word, 600 * 60_000, 0), 5);
}

#[test]
fn lfu_increment_is_certain_at_init_and_saturates() {
    let mut rng = Rng::seeded(7);
    assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, &mut rng), LFU_INIT_VAL + 1);
    assert_eq!(lfu_log_incr(0, 10, &mut rng), 1);
    assert_eq!(lfu_log_incr(255, 10, &mut rng), 255);
    // A thousand accesses with factor 10 end well below the maximum.
    let mut c = LFU_INIT_VAL;
    for _ in 0..1000 {
        c = lfu_log_incr(c, 10, &mut rng);
    }
    assert!((10..100).contains(&c), "counter {c}");
}

#[test]
fn pool_keeps_the_idlest_sixteen_sorted() {
    let mut pool = EvictionPool::default();
    for i in 0..40u64 {
        let idle = (i * 7919) % 101;
        pool.offer(idle, 0, &Sds::new(format!("k{i}").as_bytes()));
    }
    assert_eq!(pool.len(), EVPOOL_SIZE);
    let mut seen = Vec::new();
    while let Some((_, key)) = pool.pop_best() {
        seen.push(key);
    }
    let mut idles: Vec<u64> = (0..40u64).map(|i| (i * 7919) % 101).collect();
    idles.sort_unstable_by(|a, b| b.cmp(a));
    let expected: Vec<Sds> = idles[..EVPOOL_SIZE]
        .iter()
        .map(|idle| {
            let i = (0..40u64).find(|i| (i * 7919) % 101 == *idle).unwrap();
            Sds::new(format!("k{i}").as_bytes())
        })
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn pool_does_not_hold_a_key_twice() {
    let mut pool = EvictionPool::default();
    let key = Sds::new(b"k");
    pool.offer(5, 0, &key);
    pool.offer(9, 0, &key);
    assert_eq!(pool.len(), 1);
    pool.offer(9, 1, &key);
    assert_eq!(pool.len(), 2);
}

#[test]
fn lru_evicts_the_idlest_key() {
    let mut ks = Keyspace::new(2);
    let mut rng = Rng::seeded(1);
    for i in 0..10i64 {
        ks.db_mut((i % 2) as usize)
            .set(format!("k{i}").as_bytes(), value(), i * 10_000, false);
    }
    // Reading k0 makes k1 the idlest.
    ks.db_mut(0)
        .lookup_read(b"k0", 150_000, crate::Lookup::Touch);
    let now = 200_000;
    let (db, key) = ks
        .pick_eviction_victim(EvictionPolicy::AllkeysLru, 20, now, &mut rng)
        .unwrap();
    assert_eq!((db, key.as_bytes()), (1, &b"k1"[..]));
    assert!(ks.evict(db, &key));
    let (db, key) = ks
        .pick_eviction_victim(EvictionPolicy::AllkeysLru, 20, now, &mut rng)
        .unwrap();
    assert_eq!((db, key.as_bytes()), (0, &b"k2"[..]));
    assert_eq!(ks.take_evicted(), vec![(1, Sds::new(b"k1"))]);
    assert!(ks.take_evicted().is_empty());
}

#[test]
fn lfu_evicts_the_least_used_key() {
    let mut ks = Keyspace::new(1);
    ks.set_access_mode(lfu());
    let mut rng = Rng::seeded(3);
    for i in 0..8 {
        ks.db_mut(0)
            .set(format!("k{i}").as_bytes(), value(), 0, false);
    }
    for i in 1..8 {
        for _ in 0..i * 20 {
            ks.db_mut(0)
                .lookup_read(format!("k{i}").as_bytes(), 1000, crate::Lookup::Touch);
        }
    }
    assert_eq!(ks.db(0).lfu_freq(b"k0", 1000), Some(LFU_INIT_VAL));
    assert!(ks.db(0).lfu_freq(b"k7", 1000).unwrap() > LFU_INIT_VAL);
    let (_, key) = ks
        .pick_eviction_victim(EvictionPolicy::AllkeysLfu, 20, 1000, &mut rng)
        .unwrap();
    assert_eq!(key.as_bytes(), b"k0");
}

#[test]
fn lfu_counter_survives_overwrite() {
    let mut ks = Keyspace::new(1);
    ks.set_access_mode(lfu());
    let db = ks.db_mut(0);
    db.set(b"k", value(), 0, false);
    for _ in 0..50 {
        db.lookup_read(b"k", 0, crate::Lookup::Touch);
    }
    let before = db.lfu_freq(b"k", 0).unwrap();
    db.set(b"k", value(), 0, false);
    assert!(db.lfu_freq(b"k", 0).unwrap() >= before);
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadline() {
    let mut ks = Keyspace::new(1);
    let mut rng = Rng::seeded(5);
    let db = ks.db_mut(0);
    for i in 0..6i64 {
        db.set(format!("k{i}").as_bytes(), value(), 0, false);
        if i > 0 {
            db.set_expire(format!("k{i}").as_bytes(), 100_000 - i * 1000);
        }
    }
    let (_, key) = ks
        .pick_eviction_victim(EvictionPolicy::VolatileTtl, 10, 0, &mut rng)
        .unwrap();
    assert_eq!(key.as_bytes(), b"k5");
}

#[test]
fn random_policies_rotate_over_databases() {
    let mut ks = Keyspace::new(3);
    let mut rng = Rng::seeded(9);
    ks.db_mut(0).set(b"a", value(), 0, false);
    ks.db_mut(2).set(b"c", value(), 0, false);
    let mut dbs = Vec::new();
    for _ in 0..4 {
        let (db, _) = ks
            .pick_eviction_victim(EvictionPolicy::AllkeysRandom, 5, 0, &mut rng)
            .unwrap();
        dbs.push(db);
    }
    assert_eq!(dbs, [2, 0, 2, 0]);
}

#[test]
fn noeviction_and_empty_keyspaces_pick_nothing() {
    let mut ks = Keyspace::new(2);
    let mut rng = Rng::seeded(11);
    for policy in ALL {
        assert_eq!(ks.pick_eviction_victim(policy, 5, 0, &mut rng), None);
    }
    ks.db_mut(0).set(b"k", value(), 0, false);
    assert_eq!(
        ks.pick_eviction_victim(EvictionPolicy::NoEviction, 5, 0, &mut rng),
        None
    );
    for policy in ALL.iter().filter(|p| p.is_volatile()) {
        assert_eq!(ks.pick_eviction_victim(*policy, 5, 0, &mut rng), None);
    }
}

proptest! {
    /// Whatever the keys, a victim exists, is a live key, and has a TTL under
    /// the volatile policies; evicting until None empties exactly the eligible keys.
    #[test]
    fn victims_are_eligible(
        keys in proptest::collection::vec((0u16..300, proptest::option::of(1i64..1_000_000), 0i64..100_000), 0..60),
        policy_index in 0usize..7,
        samples in 1usize..10,
        seed in any::<u64>(),
    ) {
        let policy = ALL[policy_index];
        let mut ks = Keyspace::new(3);
        if policy.is_lfu() {
            ks.set_access_mode(lfu());
        }
        let mut rng = Rng::seeded(seed);
        for (k, ttl, t) in &keys {
            let db = usize::from(*k % 3);
            let name = format!("key:{k}");
            ks.db_mut(db).set(name.as_bytes(), value(), *t, false);
            if let Some(ttl) = ttl {
                ks.db_mut(db).set_expire(name.as_bytes(), *ttl);
            }
        }
        let eligible = |ks: &Keyspace| -> usize {
            ks.dbs().iter().map(|db| if policy.is_volatile() { db.expires_len() } else { db.len() }).sum()
        };
        let mut left = eligible(&ks);
        while let Some((db, key)) = ks.pick_eviction_victim(policy, samples, 200_000, &mut rng) {
            prop_assert!(ks.db(db).peek(key.as_bytes()).is_some());
            if policy.is_volatile() {
                prop_assert!(ks.db(db).get_expire(key.as_bytes()).is_some());
            }
            prop_assert!(ks.evict(db, &key));
            left -= 1;
            prop_assert_eq!(left, eligible(&ks));
        }
        prop_assert_eq!(left, 0);
    }
}

#[test]
fn a_loaded_key_gets_the_idle_time_or_counter_its_dump_recorded() {
    let now = 1_700_000_000_000i64;
    let lru = AccessMode::Lru;
    let word = lru.restored(Some(100), Some(7), now).unwrap();
    assert_eq!(idle_ms(word, lru_clock(now)), 100_000);
    // IDLE is what counts outside LFU; without one the key stays fresh.
    assert_eq!(lru.restored(None, Some(7), now), None);
    // An idle time reaching back past the clock's start wraps as Redis's does.
    let early = 5_000i64; // LRU clock 5
    let word = lru.restored(Some(10), None, early).unwrap();
    assert_eq!(word, 5 + LRU_CLOCK_MAX - 10);
    // A hostile idle time does not panic.
    assert!(lru.restored(Some(u64::MAX), None, now).is_some());
    let lfu = AccessMode::Lfu {
        log_factor: 10,
        decay_minutes: 1,
    };
    let word = lfu.restored(Some(100), Some(42), now).unwrap();
    assert_eq!(lfu_decr_and_return(word, now, 1), 42);
    assert_eq!(lfu.restored(Some(100), None, now), None);
}
