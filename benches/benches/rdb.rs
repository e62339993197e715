//! The RDB writer's hot paths: the CRC-64 of the trailer (ours, slicing-by-16,
//! against the `crc64` crate and the `crc` crate's CRC_64_REDIS, table-driven
//! and slicing-by-16), LZF on 1,000-byte strings (compressible text and random
//! bytes, which must fail fast), and whole-writer throughput on 1,000-byte
//! string values, the shape of a BGSAVE of a typical cache.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use storage::rdb::crc64::{crc64, crc64_bytewise};
use storage::rdb::lzf;
use storage::rdb::writer::{KeyMeta, RdbWriter, WriteOptions};
use storage::{Rng, StringValue, Value};

/// Bytes checksummed per iteration: one writer chunk.
const CRC_INPUT: usize = 64 * 1024;
/// Keys per writer iteration (200 MB of values).
const KEYS: usize = 200_000;
/// Bytes of each string value.
const VALUE_LEN: usize = 1000;

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::seeded(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// Text-like bytes: words from a small vocabulary, as JSON blobs or HTML are.
fn text_bytes(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 8] = ["user", "\"id\":", "name", "redis", ", ", "value", "{", "}"];
    let mut rng = Rng::seeded(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.below(8) as usize].as_bytes());
        out.extend_from_slice(rng.below(1000).to_string().as_bytes());
    }
    out.truncate(len);
    out
}

fn crc(c: &mut Criterion) {
    let data = random_bytes(CRC_INPUT, 1);
    let redis = crc::Crc::<u64, crc::Table<1>>::new(&crc::CRC_64_REDIS);
    let redis16 = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);
    assert_eq!(crc64(0, &data), redis.checksum(&data));
    assert_eq!(crc64(0, &data), crc64::crc64(0, &data));
    let mut g = c.benchmark_group("crc64");
    g.throughput(Throughput::Bytes(CRC_INPUT as u64));
    g.bench_function("redrill_slice16", |b| b.iter(|| crc64(0, black_box(&data))));
    g.bench_function("redrill_bytewise", |b| {
        b.iter(|| crc64_bytewise(0, black_box(&data)))
    });
    g.bench_function("crate_crc64", |b| {
        b.iter(|| crc64::crc64(0, black_box(&data)))
    });
    g.bench_function("crate_crc_table1", |b| {
        b.iter(|| redis.checksum(black_box(&data)))
    });
    g.bench_function("crate_crc_slice16", |b| {
        b.iter(|| redis16.checksum(black_box(&data)))
    });
    g.finish();
}

fn lzf_1000(c: &mut Criterion) {
    let text = text_bytes(VALUE_LEN, 2);
    let noise = random_bytes(VALUE_LEN, 3);
    let packed = lzf::compress(&text).expect("text compresses");
    let mut g = c.benchmark_group("lzf_1000B");
    g.throughput(Throughput::Bytes(VALUE_LEN as u64));
    g.bench_function("compress_text", |b| {
        b.iter(|| lzf::compress(black_box(&text)))
    });
    g.bench_function("compress_random", |b| {
        b.iter(|| lzf::compress(black_box(&noise)))
    });
    g.bench_function("decompress_text", |b| {
        b.iter(|| lzf::decompress(black_box(&packed), VALUE_LEN))
    });
    g.finish();
}

fn writer(c: &mut Criterion) {
    let values: Vec<(Vec<u8>, Value)> = (0..KEYS)
        .map(|i| {
            let bytes = random_bytes(VALUE_LEN, i as u64);
            let key = format!("key:{i:010}").into_bytes();
            (key, Value::String(StringValue::bytes(&bytes, true)))
        })
        .collect();
    let total: usize = values.iter().map(|(k, _)| k.len() + VALUE_LEN).sum();
    let mut g = c.benchmark_group("rdb_writer_1000B_strings");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(total as u64));
    for (name, compression, checksum) in [
        ("plain_crc", false, true),
        ("plain_nocrc", false, false),
        ("lzf_crc", true, true),
    ] {
        let opts = WriteOptions {
            compression,
            checksum,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut w = RdbWriter::new(std::io::sink(), opts);
                w.header().expect("sink");
                w.select_db(0, KEYS, 0).expect("sink");
                for (key, value) in &values {
                    w.key(key, value, &KeyMeta::default()).expect("sink");
                }
                w.finish().expect("sink")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, crc, lzf_1000, writer);
criterion_main!(benches);
