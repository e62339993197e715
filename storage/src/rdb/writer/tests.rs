//! Pins the RDB writer to Redis 7.0's bytes: each encoding against values worked
//! out from `rdb.c`'s format, DUMP payloads and a whole file captured from a real
//! `redis-server` 7.0.15 (golden bytes), and LZF strings round-tripping.

use proptest::prelude::*;

use super::*;
use crate::hash::HashKey;
use crate::types::hash::HashLimits;
use crate::types::list::{End, List};
use crate::types::set::SetOptions;
use crate::types::zset::{AddFlags, ZsetLimits};
use crate::Rng;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn len_bytes(len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_len(&mut out, len);
    out
}

fn string_bytes(s: &[u8], compression: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_string(&mut out, s, compression);
    out
}

fn string(s: &[u8]) -> Value {
    Value::String(StringValue::from_bytes(s))
}

fn list(items: &[&[u8]]) -> Value {
    let mut l = List::new(-2);
    for item in items {
        l.push(End::Tail, item);
    }
    Value::List(Box::new(l))
}

fn set(members: &[&[u8]], max_intset_entries: usize) -> Value {
    let options = SetOptions {
        max_intset_entries,
        hash_key: HashKey { k0: 1, k1: 2 },
    };
    let mut s = Set::for_member(members[0], &options);
    for m in members {
        s.add(m, &options);
    }
    Value::Set(s)
}

fn hash(pairs: &[(&[u8], &[u8])], max_listpack_entries: usize) -> Value {
    let limits = HashLimits {
        max_listpack_entries,
        max_listpack_value: 64,
    };
    let mut rng = Rng::seeded(1);
    let mut h = Hash::new();
    for (f, v) in pairs {
        h.set(f, v, limits, &mut rng);
    }
    Value::Hash(h)
}

fn zset(pairs: &[(&[u8], f64)], max_listpack_entries: usize) -> Value {
    let limits = ZsetLimits {
        max_listpack_entries,
        max_listpack_value: 64,
    };
    let mut rng = Rng::seeded(1);
    let mut z = ZSet::for_add(pairs[0].0.len(), &limits, &mut rng);
    for (m, s) in pairs {
        z.add(m, *s, AddFlags::default(), &limits, &mut rng);
    }
    Value::ZSet(z)
}

#[test]
fn lengths_use_the_four_widths() {
    assert_eq!(len_bytes(0), [0x00]);
    assert_eq!(len_bytes(63), [0x3f]);
    assert_eq!(len_bytes(64), [0x40, 0x40]);
    assert_eq!(len_bytes(16383), [0x7f, 0xff]);
    assert_eq!(len_bytes(16384), [0x80, 0x00, 0x00, 0x40, 0x00]);
    assert_eq!(
        len_bytes(u64::from(u32::MAX)),
        [0x80, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(len_bytes(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
}

#[test]
fn integer_looking_strings_use_integer_encodings() {
    assert_eq!(string_bytes(b"0", true), [0xc0, 0x00]);
    assert_eq!(string_bytes(b"-1", true), [0xc0, 0xff]);
    assert_eq!(string_bytes(b"127", true), [0xc0, 0x7f]);
    assert_eq!(string_bytes(b"128", true), [0xc1, 0x80, 0x00]);
    assert_eq!(
        string_bytes(b"-32769", true),
        [0xc2, 0xff, 0x7f, 0xff, 0xff]
    );
    assert_eq!(
        string_bytes(b"2147483647", true),
        [0xc2, 0xff, 0xff, 0xff, 0x7f]
    );
    // Past 32 bits, or not canonical (string2ll refuses), they stay text.
    assert_eq!(string_bytes(b"2147483648", true), b"\x0a2147483648");
    assert_eq!(string_bytes(b"01", true), b"\x0201");
    assert_eq!(string_bytes(b"+1", true), b"\x02+1");
    assert_eq!(string_bytes(b"", true), [0x00]);
}

#[test]
fn int_encoded_values_follow_save_long_long() {
    let mut out = Vec::new();
    write_int_string(&mut out, 5_000_000_000);
    assert_eq!(out, b"\x0a5000000000");
    out.clear();
    write_int_string(&mut out, -5);
    assert_eq!(out, [0xc0, 0xfb]);
}

#[test]
fn long_strings_compress_only_when_asked_and_worth_it() {
    let a50 = vec![b'a'; 50];
    let plain = string_bytes(&a50, false);
    assert_eq!(plain[0], 50);
    assert_eq!(&plain[1..], &a50[..]);
    let packed = string_bytes(&a50, true);
    assert_eq!(packed[0], 0xc3);
    let clen = usize::from(packed[1]);
    assert_eq!(packed[2], 50);
    assert_eq!(packed.len(), 3 + clen);
    assert_eq!(lzf::decompress(&packed[3..], 50), Some(a50));
    // 20 bytes or fewer are never compressed.
    assert_eq!(string_bytes(&[b'a'; 20], true)[0], 20);
}

#[test]
fn lzf_blobs_written_by_redis_decode() {
    // The strings of `DUMP a50` and `DUMP txt` on Redis 7.0.15 (after 0x00 0xc3).
    let a50 = hex("0932016161e025000161610a00");
    assert_eq!(lzf::decompress(&a50[2..11], 50), Some(vec![b'a'; 50]));
    let txt = hex("19310668656c6c6f2068e00e0505776f726c642ca01e400c016421");
    assert_eq!(
        lzf::decompress(&txt[2..], 49).as_deref(),
        Some(&b"hello hello hello hello hello world, hello world!"[..])
    );
}

#[test]
fn dump_payloads_match_redis() {
    // `DUMP` replies of redis-server 7.0.15 for the same values.
    let cases: Vec<(Value, &str)> = vec![
        (string(b"v"), "0001760a009108ceb219388ace"),
        (string(b"12345"), "00c139300a009d94ea2793fc08b9"),
        (
            string(b"5000000000"),
            "000a353030303030303030300a0069a90fd57e0ff425",
        ),
        (
            list(&[b"a", b"b", b"7"]),
            "1201020f0f00000003008161028162020701ff0a00a4d57d137e93439c",
        ),
        (
            set(&[b"3", b"1", b"2"], 512),
            "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
        ),
        (
            hash(&[(b"f", b"v"), (b"n", b"1")], 128),
            "1012120000000400816602817602816e020101ff0a00fce408f17922e016",
        ),
        (
            zset(&[(b"a", 1.0), (b"b", 2.5)], 128),
            "1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7",
        ),
        (
            zset(&[(b"a", 1.0), (b"b", 2.5)], 0),
            "0502016200000000000004400161000000000000f03f0a00f46eb73919767291",
        ),
        (hash(&[(b"f", b"v")], 0), "0401016601760a00adf24356b1860efc"),
        (set(&[b"5"], 0), "0201c0050a00be47598348cbd488"),
    ];
    for (value, expected) in cases {
        assert_eq!(dump_payload(&value), hex(expected), "{value:?}");
    }
    let a50 = string(&[b'a'; 50]);
    assert_eq!(
        dump_payload_with(&a50, false),
        hex("003261616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161610a00584ed026d6f47b77")
    );
    // Our LZF bytes may differ from Redis's; the frame must still be sound.
    let ours = dump_payload(&a50);
    let (body, footer) = ours.split_at(ours.len() - 10);
    assert_eq!(&footer[..2], [10, 0]);
    assert_eq!(crc64(0, &ours[..ours.len() - 8]).to_le_bytes(), footer[2..]);
    assert_eq!(&body[..2], [TYPE_STRING, 0xc3]);
}

#[test]
fn whole_file_matches_redis_save() {
    // `SAVE` of redis-server 7.0.15 holding: db0 k=v, e=x (PEXPIREAT
    // 4102444800000); db3 l=[a].
    let golden = hex(concat!(
        "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469",
        "732d62697473c040fa056374696d65c2290a066bfa08757365642d6d656dc2887a",
        "1200fa08616f662d62617365c000fe00fb0201fc00d8c32cbb0300000001650178",
        "00016b0176fe03fb010012016c01020a0a0000000100816102ffffba60abe207d206d8",
    ));
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default());
    w.header().unwrap();
    for (name, value) in [
        ("redis-ver", "7.0.15"),
        ("redis-bits", "64"),
        ("ctime", "1795557929"),
        ("used-mem", "1211016"),
        ("aof-base", "0"),
    ] {
        w.aux(name.as_bytes(), value.as_bytes()).unwrap();
    }
    w.select_db(0, 2, 1).unwrap();
    let expire = KeyMeta {
        expire_ms: Some(4_102_444_800_000),
        ..KeyMeta::default()
    };
    w.key(b"e", &string(b"x"), &expire).unwrap();
    w.key(b"k", &string(b"v"), &KeyMeta::default()).unwrap();
    w.select_db(3, 1, 0).unwrap();
    w.key(b"l", &list(&[b"a"]), &KeyMeta::default()).unwrap();
    assert_eq!(w.bytes_written(), golden.len() as u64 - 9);
    assert_eq!(w.finish().unwrap(), golden);
}

#[test]
fn checksum_off_writes_zero_trailer() {
    let opts = WriteOptions {
        compression: false,
        checksum: false,
    };
    let mut w = RdbWriter::new(Vec::new(), opts);
    w.header().unwrap();
    w.key(b"k", &string(b"v"), &KeyMeta::default()).unwrap();
    let file = w.finish().unwrap();
    assert_eq!(file, b"REDIS0010\x00\x01k\x01v\xff\0\0\0\0\0\0\0\0");
}

#[test]
fn idle_and_freq_prefix_the_key() {
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default());
    let idle = KeyMeta {
        idle_s: Some(100),
        ..KeyMeta::default()
    };
    let freq = KeyMeta {
        freq: Some(5),
        ..KeyMeta::default()
    };
    w.key(b"a", &string(b"1"), &idle).unwrap();
    w.key(b"b", &string(b"1"), &freq).unwrap();
    let file = w.finish().unwrap();
    let expected = [
        &[OPCODE_IDLE, 0x40, 100, TYPE_STRING, 1, b'a', 0xc0, 1][..],
        &[OPCODE_FREQ, 5, TYPE_STRING, 1, b'b', 0xc0, 1, OPCODE_EOF][..],
    ]
    .concat();
    assert_eq!(&file[..file.len() - 8], &expected[..]);
}

#[test]
fn encoded_key_equals_key() {
    let values = [
        string(b"hello"),
        list(&[b"x", b"yy"]),
        zset(&[(b"m", 2.0)], 0),
    ];
    let meta = KeyMeta {
        expire_ms: Some(7),
        ..KeyMeta::default()
    };
    let mut direct = RdbWriter::new(Vec::new(), WriteOptions::default());
    let mut pre = RdbWriter::new(Vec::new(), WriteOptions::default());
    for v in &values {
        direct.key(b"key", v, &meta).unwrap();
        let mut body = Vec::new();
        let t = encode_value(&mut body, v, true);
        pre.encoded_key(b"key", t, &body, &meta).unwrap();
    }
    assert_eq!(direct.finish().unwrap(), pre.finish().unwrap());
}

#[test]
fn large_values_stream_around_the_buffer() {
    // Values bigger than a chunk take the direct path; the CRC must not notice.
    let mut rng = Rng::seeded(3);
    let noise: Vec<u8> = (0..3 * CHUNK).map(|_| rng.next_u64() as u8).collect();
    let big = Value::String(StringValue::bytes(&noise, true));
    let repeat = Value::String(StringValue::bytes(&vec![b'z'; 2 * CHUNK], true));
    for compression in [false, true] {
        let opts = WriteOptions {
            compression,
            checksum: true,
        };
        let mut w = RdbWriter::new(Vec::new(), opts);
        w.header().unwrap();
        w.key(b"big", &big, &KeyMeta::default()).unwrap();
        w.key(b"zzz", &repeat, &KeyMeta::default()).unwrap();
        let mut body = Vec::new();
        let t = encode_value(&mut body, &big, compression);
        w.encoded_key(b"pre", t, &body, &KeyMeta::default())
            .unwrap();
        let before = w.bytes_written();
        let file = w.finish().unwrap();
        assert_eq!(file.len() as u64, before + 1 + 8);
        let (data, trailer) = file.split_at(file.len() - 8);
        assert_eq!(crc64(0, data).to_le_bytes(), trailer);
        assert!(file.windows(16).any(|w| w == &noise[..16]));
        let repeated_len = if compression { 3 * CHUNK } else { 5 * CHUNK };
        assert!(file.len() > repeated_len, "{compression}: {}", file.len());
    }
}

proptest! {
    #[test]
    fn strings_round_trip_through_their_encoding(s in proptest::collection::vec(prop_oneof![Just(b'x'), Just(b'1'), any::<u8>()], 0..200)) {
        let out = string_bytes(&s, true);
        let first = out[0];
        match first >> 6 {
            3 if first & 0x3f == ENC_LZF => {
                let mut lens = Vec::new();
                write_len(&mut lens, (out.len() - 1 - lens_width(&out[1..])) as u64);
                prop_assert!(s.len() > MIN_COMPRESS);
                let clen_w = lens_width(&out[1..]);
                let len_w = lens_width(&out[1 + clen_w..]);
                let data = &out[1 + clen_w + len_w..];
                prop_assert!(data.len() + MIN_SAVING <= s.len());
                prop_assert_eq!(lzf::decompress(data, s.len()), Some(s.clone()));
            }
            3 => {
                let v = parse_i64_strict(&s).expect("integer encoding of a non-integer");
                let mut again = Vec::new();
                write_int_string(&mut again, v);
                prop_assert_eq!(again, out);
            }
            _ => {
                let w = lens_width(&out);
                prop_assert_eq!(&out[w..], &s[..]);
            }
        }
    }
}

/// Width of the length encoding starting at `b[0]`.
fn lens_width(b: &[u8]) -> usize {
    match b[0] >> 6 {
        0 => 1,
        1 => 2,
        _ if b[0] == LEN_32BIT => 5,
        _ => 9,
    }
}
