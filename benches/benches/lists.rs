//! The quicklist under the list commands: LPUSH + RPOP at the two ends (one
//! listpack edit per operation, a node allocated or freed every few dozen), and
//! LRANGE 0 99 on a long list (locate the start by node counts, then stream).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use storage::types::list::{End, List};

/// Redis's default `list-max-listpack-size`: 8 KB nodes.
const FILL: i64 = -2;

fn push_pop(c: &mut Criterion) {
    let mut list = List::new(FILL);
    for i in 0..1000 {
        list.push(End::Head, format!("element:{i}").as_bytes());
    }
    c.bench_function("list_lpush_rpop", |b| {
        b.iter(|| {
            list.push(End::Head, b"element:new");
            black_box(list.pop(End::Tail))
        })
    });
    c.bench_function("list_lpush_10k_fresh", |b| {
        b.iter(|| {
            let mut list = List::new(FILL);
            for i in 0..10_000u32 {
                list.push(End::Head, &i.to_le_bytes());
            }
            black_box(list.len())
        })
    });
}

fn lrange(c: &mut Criterion) {
    let mut list = List::new(FILL);
    for i in 0..100_000 {
        list.push(End::Tail, format!("element:{i}").as_bytes());
    }
    c.bench_function("list_lrange_0_99", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for e in list.walk(0, End::Tail).take(100) {
                bytes += e.byte_len();
            }
            black_box(bytes)
        })
    });
    c.bench_function("list_lrange_middle_100", |b| {
        b.iter(|| black_box(list.walk(50_000, End::Tail).take(100).count()))
    });
}

criterion_group!(benches, push_pop, lrange);
criterion_main!(benches);
