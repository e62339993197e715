//! SET and GET on one `storage::Db`: the cost of the dict (SipHash-1-2, chained
//! buckets, incremental rehashing) and of the compact key/value representation.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use storage::{Keyspace, Lookup, Value};

const KEYS: usize = 100_000;

fn keys() -> Vec<Vec<u8>> {
    (0..KEYS).map(|i| format!("key:{i}").into_bytes()).collect()
}

fn set_get(c: &mut Criterion) {
    let keys = keys();
    c.bench_function("db_set_100k_fresh", |b| {
        b.iter(|| {
            let mut ks = Keyspace::new(1);
            let db = ks.db_mut(0);
            for k in &keys {
                db.set(k, Value::string(b"value"), 0, false);
            }
            black_box(db.len())
        })
    });
    let mut ks = Keyspace::new(1);
    let db = ks.db_mut(0);
    for k in &keys {
        db.set(k, Value::string(b"value"), 0, false);
    }
    let mut i = 0;
    c.bench_function("db_get_hit", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            black_box(db.lookup_read(&keys[i], 0, Lookup::Touch).is_some())
        })
    });
    c.bench_function("db_get_miss", |b| {
        b.iter(|| black_box(db.lookup_read(b"missing:key", 0, Lookup::Touch).is_some()))
    });
    c.bench_function("db_set_overwrite", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            db.set(&keys[i], Value::string(b"other"), 0, false);
        })
    });
}

criterion_group!(benches, set_get);
criterion_main!(benches);
