use super::*;
use crate::rdb::*;
use crate::types::list::List;
use crate::types::zset::ZSet;

/// Builds RDB bytes by hand, independent of the writer.
struct Rdb(Vec<u8>);

fn len_bytes(n: u64) -> Vec<u8> {
    if n < 64 {
        vec![n as u8]
    } else if n < 16384 {
        vec![0x40 | (n >> 8) as u8, n as u8]
    } else if n <= u64::from(u32::MAX) {
        let mut v = vec![LEN_32BIT];
        v.extend_from_slice(&(n as u32).to_be_bytes());
        v
    } else {
        let mut v = vec![LEN_64BIT];
        v.extend_from_slice(&n.to_be_bytes());
        v
    }
}

impl Rdb {
    fn new(version: u32) -> Rdb {
        Rdb(format!("REDIS{version:04}").into_bytes())
    }
    fn byte(mut self, b: u8) -> Rdb {
        self.0.push(b);
        self
    }
    fn raw(mut self, b: &[u8]) -> Rdb {
        self.0.extend_from_slice(b);
        self
    }
    fn len(self, n: u64) -> Rdb {
        self.raw(&len_bytes(n))
    }
    fn str(self, s: &[u8]) -> Rdb {
        self.len(s.len() as u64).raw(s)
    }
    /// EOF and a correct CRC.
    fn finish(self) -> Vec<u8> {
        let mut v = self.byte(OPCODE_EOF).0;
        let crc = crc64(0, &v);
        v.extend_from_slice(&crc.to_le_bytes());
        v
    }
}

fn load_all(data: &[u8], opts: &LoadOptions) -> Result<(Vec<Record>, LoadSummary), RdbError> {
    let mut records = Vec::new();
    let summary = load(data, opts, &mut |r| {
        records.push(r);
        Ok(())
    })?;
    Ok((records, summary))
}

fn keys(data: &[u8]) -> Vec<LoadedKey> {
    load_keys(data, &LoadOptions::default())
}

fn load_keys(data: &[u8], opts: &LoadOptions) -> Vec<LoadedKey> {
    let (records, _) = load_all(data, opts).unwrap();
    records
        .into_iter()
        .filter_map(|r| match r {
            Record::Key(k) => Some(k),
            _ => None,
        })
        .collect()
}

fn one_value(data: &[u8]) -> Value {
    keys(data).remove(0).value
}

fn err(data: &[u8]) -> RdbError {
    load_all(data, &LoadOptions::default()).unwrap_err()
}

fn strings(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::List(l) => l.iter().map(|e| e.to_vec()).collect(),
        Value::Set(s) => {
            let mut m: Vec<_> = s.iter().map(|m| m.to_vec()).collect();
            m.sort();
            m
        }
        _ => panic!("not a list or set"),
    }
}

#[test]
fn header_is_checked() {
    assert_eq!(
        err(b"RODIS0010\xff").message,
        "Wrong signature trying to load DB from file"
    );
    assert_eq!(
        err(b"REDIS0000\xff").message,
        "Can't handle RDB format version 0"
    );
    assert_eq!(
        err(b"REDIS0012\xff").message,
        "Can't handle RDB format version 12"
    );
    assert_eq!(err(b"REDIS").message, "Unexpected EOF reading RDB file");
    assert_eq!(err(b"REDIS").kind, RdbErrorKind::Eof);
    assert_eq!(err(b"REDIS0012\xff").kind, RdbErrorKind::Corrupt);
    let old = Rdb::new(4).byte(OPCODE_EOF).0;
    let (_, summary) = load_all(&old, &LoadOptions::default()).unwrap();
    assert_eq!(summary.checksum, ChecksumCheck::Absent);
    assert_eq!(summary.consumed, old.len());
}

#[test]
fn checksum_is_verified_unless_zero() {
    let good = Rdb::new(10).finish();
    let (_, s) = load_all(&good, &LoadOptions::default()).unwrap();
    assert_eq!(
        (s.checksum, s.consumed),
        (ChecksumCheck::Verified, good.len())
    );
    let mut zero = good.clone();
    zero[10..].fill(0);
    let (_, s) = load_all(&zero, &LoadOptions::default()).unwrap();
    assert_eq!(s.checksum, ChecksumCheck::Disabled);
    let mut bad = good.clone();
    bad[12] ^= 1;
    let e = err(&bad);
    assert!(
        e.message.starts_with("Wrong RDB checksum expected: ("),
        "{e}"
    );
    assert_eq!(e.offset, 10);
    assert_eq!(e.kind, RdbErrorKind::Checksum);
    // Bytes after the trailer (an AOF tail) are left to the caller.
    let mut tail = good.clone();
    tail.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    let (_, s) = load_all(&tail, &LoadOptions::default()).unwrap();
    assert_eq!(s.consumed, good.len());
}

#[test]
fn aux_selectdb_resizedb_and_functions_are_reported_in_order() {
    let data = Rdb::new(10)
        .byte(OPCODE_AUX)
        .str(b"redis-ver")
        .str(b"7.0.15")
        .byte(OPCODE_AUX)
        .str(b"redis-bits")
        .raw(&[0xC0, 64])
        .byte(OPCODE_FUNCTION2)
        .str(b"#!lua name=lib\nreturn 1")
        .byte(OPCODE_FUNCTION_PRE_GA)
        .str(b"old")
        .str(b"LUA")
        .len(1)
        .str(b"desc")
        .str(b"code")
        .byte(OPCODE_SELECTDB)
        .len(3)
        .byte(OPCODE_RESIZEDB)
        .len(1)
        .len(0)
        .byte(TYPE_STRING)
        .str(b"k")
        .str(b"v")
        .finish();
    let (records, summary) = load_all(&data, &LoadOptions::default()).unwrap();
    assert_eq!(summary.keys, 1);
    assert_eq!(
        records[..6],
        [
            Record::Aux {
                name: b"redis-ver".to_vec(),
                value: b"7.0.15".to_vec()
            },
            Record::Aux {
                name: b"redis-bits".to_vec(),
                value: b"64".to_vec()
            },
            Record::Function(b"#!lua name=lib\nreturn 1".to_vec()),
            Record::Function(b"#!LUA name=old\ncode".to_vec()),
            Record::SelectDb(3),
            Record::ResizeDb {
                size: 1,
                expires: 0
            },
        ]
    );
    let Record::Key(k) = &records[6] else {
        panic!("a key")
    };
    assert_eq!((k.db, &k.key[..]), (3, &b"k"[..]));
}

#[test]
fn selectdb_past_databases_is_refused() {
    let data = Rdb::new(10).byte(OPCODE_SELECTDB).len(16).finish();
    let e = err(&data);
    assert!(e.message.contains("more than 16 databases"), "{e}");
    assert_eq!(e.offset, 9);
}

#[test]
fn string_encodings() {
    let data = Rdb::new(10)
        .byte(TYPE_STRING)
        .str(b"a")
        .raw(&[0xC0, 0x80])
        .byte(TYPE_STRING)
        .str(b"b")
        .raw(&[0xC1, 0x34, 0x12])
        .byte(TYPE_STRING)
        .str(b"c")
        .raw(&[0xC2, 0, 0, 0, 0x80])
        .byte(TYPE_STRING)
        .str(b"d")
        // LZF: one literal run of 3 bytes ("abc"), compressed length 4.
        .raw(&[0xC3, 4, 3, 2, b'a', b'b', b'c'])
        .byte(TYPE_STRING)
        .str(b"e")
        .str(&[b'x'; 70])
        .finish();
    let got: Vec<(Vec<u8>, Vec<u8>, &str)> = keys(&data)
        .into_iter()
        .map(|k| {
            let s = k.value.as_string().unwrap().clone();
            (k.key, s.to_vec(), s.encoding())
        })
        .collect();
    assert_eq!(got[0], (b"a".to_vec(), b"-128".to_vec(), "int"));
    assert_eq!(got[1], (b"b".to_vec(), b"4660".to_vec(), "int"));
    assert_eq!(got[2], (b"c".to_vec(), b"-2147483648".to_vec(), "int"));
    assert_eq!(got[3].1, b"abc");
    assert_eq!((got[4].1.len(), got[4].2), (70, "raw"));
}

#[test]
fn metadata_belongs_to_the_next_key_only() {
    let data = Rdb::new(10)
        .byte(OPCODE_EXPIRETIME_MS)
        .raw(&1_700_000_000_123i64.to_le_bytes())
        .byte(OPCODE_IDLE)
        .len(300)
        .byte(OPCODE_FREQ)
        .byte(5)
        .byte(TYPE_STRING)
        .str(b"a")
        .str(b"1")
        .byte(TYPE_STRING)
        .str(b"b")
        .str(b"2")
        .byte(OPCODE_EXPIRETIME)
        .raw(&1_600_000_000i32.to_le_bytes())
        .byte(TYPE_STRING)
        .str(b"c")
        .str(b"3")
        .finish();
    let k = keys(&data);
    assert_eq!(
        (k[0].expire_ms, k[0].idle_s, k[0].freq),
        (Some(1_700_000_000_123), Some(300), Some(5))
    );
    assert_eq!((k[1].expire_ms, k[1].idle_s, k[1].freq), (None, None, None));
    assert_eq!(k[2].expire_ms, Some(1_600_000_000_000));
}

#[test]
fn unsupported_types_name_the_type_and_offset() {
    let data = Rdb::new(10).byte(TYPE_STREAM_LISTPACKS).str(b"s").finish();
    let e = err(&data);
    assert_eq!(e.offset, 9);
    assert_eq!(
        e.to_string(),
        "Unknown RDB encoding type 15 (streams are not supported) at offset 9"
    );
    let data = Rdb::new(10).byte(TYPE_MODULE_2).finish();
    assert!(err(&data).message.contains("module"));
    let data = Rdb::new(10).byte(8).finish();
    assert_eq!(err(&data).message, "Unknown RDB encoding type 8");
    let data = Rdb::new(10).byte(OPCODE_MODULE_AUX).finish();
    assert!(err(&data).message.contains("module"));
}

#[test]
fn forged_lengths_allocate_nothing() {
    // A 2^60-byte string, a 2^60-member set, a 2^40-byte LZF string.
    let huge = 1u64 << 60;
    let data = Rdb::new(10).byte(TYPE_STRING).str(b"k").len(huge).finish();
    assert_eq!(err(&data).message, "Unexpected EOF reading RDB file");
    let data = Rdb::new(10)
        .byte(TYPE_SET)
        .str(b"k")
        .len(huge)
        .str(b"1")
        .finish();
    assert!(load_all(&data, &LoadOptions::default()).is_err());
    let data = Rdb::new(10).byte(TYPE_ZSET_2).str(b"k").len(huge).finish();
    assert!(load_all(&data, &LoadOptions::default()).is_err());
    let data = Rdb::new(10)
        .byte(TYPE_STRING)
        .str(b"k")
        .raw(&[0xC3, 4])
        .len(1 << 40)
        .raw(&[3, b'a', b'b', b'c'])
        .finish();
    assert_eq!(err(&data).message, "Invalid LZF compressed string");
    let data = Rdb::new(10)
        .byte(TYPE_STRING)
        .str(b"k")
        .raw(&[0x82])
        .finish();
    assert_eq!(
        err(&data).message,
        "Unknown length encoding 2 in rdbLoadLen()"
    );
    let data = Rdb::new(10)
        .byte(TYPE_STRING)
        .str(b"k")
        .raw(&[0xC5])
        .finish();
    assert_eq!(err(&data).message, "Unknown RDB string encoding type 5");
}

#[test]
fn plain_collections_follow_the_thresholds() {
    let mut b = Rdb::new(10).byte(TYPE_LIST).str(b"l").len(3);
    for e in [&b"a"[..], b"2", b"c"] {
        b = b.str(e);
    }
    b = b
        .byte(TYPE_SET)
        .str(b"si")
        .len(3)
        .str(b"3")
        .str(b"1")
        .str(b"2");
    b = b.byte(TYPE_SET).str(b"st").len(2).str(b"1").str(b"x");
    b = b.byte(TYPE_HASH).str(b"hs").len(1).str(b"f").str(b"v");
    b = b
        .byte(TYPE_HASH)
        .str(b"hl")
        .len(1)
        .str(b"f")
        .str(&[b'v'; 65]);
    b = b
        .byte(TYPE_ZSET_2)
        .str(b"z")
        .len(2)
        .str(b"b")
        .raw(&2.5f64.to_le_bytes());
    b = b.str(b"a").raw(&1.0f64.to_le_bytes());
    b = b
        .byte(TYPE_ZSET)
        .str(b"zt")
        .len(3)
        .str(b"x")
        .byte(3)
        .raw(b"1.5");
    b = b.str(b"y").byte(254).str(b"w").byte(255);
    let k = keys(&b.finish());
    assert_eq!(strings(&k[0].value), [&b"a"[..], b"2", b"c"]);
    assert_eq!(k[0].value.encoding(), "quicklist");
    assert_eq!(k[1].value.encoding(), "intset");
    assert_eq!(strings(&k[1].value), [&b"1"[..], b"2", b"3"]);
    assert_eq!(k[2].value.encoding(), "hashtable");
    assert_eq!(k[3].value.encoding(), "listpack");
    assert_eq!(k[4].value.encoding(), "hashtable");
    let z = k[5].value.as_zset().unwrap();
    assert_eq!(z.encoding(), "listpack");
    assert_eq!(z.to_entries(), [(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.5)]);
    let z = k[6].value.as_zset().unwrap();
    assert_eq!(
        z.to_entries(),
        [
            (b"w".to_vec(), f64::NEG_INFINITY),
            (b"x".to_vec(), 1.5),
            (b"y".to_vec(), f64::INFINITY)
        ]
    );
}

#[test]
fn big_plain_collections_take_the_large_encodings() {
    let mut set = Rdb::new(10).byte(TYPE_SET).str(b"s").len(600);
    let mut zset = Rdb::new(10).byte(TYPE_ZSET_2).str(b"z").len(200);
    let mut hash = Rdb::new(10).byte(TYPE_HASH).str(b"h").len(600);
    for i in 0..600u32 {
        set = set.str(i.to_string().as_bytes());
    }
    for i in 0..600u32 {
        let m = format!("m{i}");
        if i < 200 {
            zset = zset.str(m.as_bytes()).raw(&f64::from(i).to_le_bytes());
        }
        hash = hash.str(m.as_bytes()).str(b"v");
    }
    assert_eq!(one_value(&set.finish()).encoding(), "hashtable");
    let z = one_value(&zset.finish());
    assert_eq!(
        (z.encoding(), z.as_zset().unwrap().len()),
        ("skiplist", 200)
    );
    let h = one_value(&hash.finish());
    assert_eq!(
        (h.encoding(), h.as_hash().unwrap().len()),
        ("hashtable", 600)
    );
}

#[test]
fn duplicates_are_corruption() {
    let cases = [
        Rdb::new(10)
            .byte(TYPE_SET)
            .str(b"k")
            .len(2)
            .str(b"1")
            .str(b"1"),
        Rdb::new(10)
            .byte(TYPE_SET)
            .str(b"k")
            .len(2)
            .str(b"a")
            .str(b"a"),
        Rdb::new(10)
            .byte(TYPE_HASH)
            .str(b"k")
            .len(2)
            .str(b"f")
            .str(b"1")
            .str(b"f")
            .str(b"2"),
        Rdb::new(10)
            .byte(TYPE_ZSET_2)
            .str(b"k")
            .len(2)
            .str(b"m")
            .raw(&[0; 8])
            .str(b"m")
            .raw(&[0; 8]),
    ];
    let messages = [
        "Duplicate set members detected",
        "Duplicate set members detected",
        "Duplicate hash fields detected",
        "Duplicate zset fields detected",
    ];
    for (case, message) in cases.into_iter().zip(messages) {
        assert_eq!(err(&case.finish()).message, message);
    }
    let nan = Rdb::new(10)
        .byte(TYPE_ZSET_2)
        .str(b"k")
        .len(1)
        .str(b"m")
        .raw(&f64::NAN.to_le_bytes());
    assert_eq!(err(&nan.finish()).message, "Zset with NAN score detected");
}

fn listpack_of(items: &[&[u8]]) -> Vec<u8> {
    let mut lp = Listpack::new();
    for i in items {
        lp.push_back(i);
    }
    lp.as_bytes().to_vec()
}

use crate::listpack::Listpack;

#[test]
fn listpack_blobs_are_validated_and_kept() {
    let hash = listpack_of(&[b"f1", b"v1", b"f2", b"22"]);
    let zset = listpack_of(&[b"a", b"1", b"b", b"2.5"]);
    let unordered = listpack_of(&[b"b", b"2", b"a", b"1"]);
    let set = listpack_of(&[b"3", b"1", b"2"]);
    let mixed = listpack_of(&[b"3", b"x"]);
    let data = Rdb::new(11)
        .byte(TYPE_HASH_LISTPACK)
        .str(b"h")
        .str(&hash)
        .byte(TYPE_ZSET_LISTPACK)
        .str(b"z")
        .str(&zset)
        .byte(TYPE_ZSET_LISTPACK)
        .str(b"u")
        .str(&unordered)
        .byte(TYPE_SET_LISTPACK)
        .str(b"s")
        .str(&set)
        .byte(TYPE_SET_LISTPACK)
        .str(b"m")
        .str(&mixed)
        .finish();
    let k = keys(&data);
    assert_eq!(
        k[0].value
            .as_hash()
            .unwrap()
            .as_listpack()
            .unwrap()
            .as_bytes(),
        &hash[..]
    );
    assert_eq!(
        k[1].value,
        Value::ZSet(ZSet::Listpack(Listpack::from_bytes(&zset).unwrap()))
    );
    let u = k[2].value.as_zset().unwrap();
    assert_eq!(u.to_entries(), [(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)]);
    assert_eq!(k[3].value.encoding(), "intset");
    assert_eq!(strings(&k[3].value), [&b"1"[..], b"2", b"3"]);
    assert_eq!(k[4].value.encoding(), "hashtable");

    let bad = [
        (TYPE_HASH_LISTPACK, listpack_of(&[b"f", b"v", b"f", b"w"])),
        (TYPE_HASH_LISTPACK, listpack_of(&[b"f"])),
        (TYPE_ZSET_LISTPACK, listpack_of(&[b"a", b"x1"])),
        (TYPE_ZSET_LISTPACK, listpack_of(&[b"a", b"1", b"a", b"2"])),
        (TYPE_SET_LISTPACK, listpack_of(&[b"a", b"a"])),
        (TYPE_HASH_LISTPACK, b"\x07\0\0\0\x01\0\xff".to_vec()),
    ];
    for (t, blob) in bad {
        let data = Rdb::new(11).byte(t).str(b"k").str(&blob).finish();
        assert!(
            err(&data).message.contains("integrity check failed"),
            "type {t}"
        );
    }
}

#[test]
fn small_thresholds_convert_blobs() {
    let opts = LoadOptions {
        hash_limits: HashLimits {
            max_listpack_entries: 1,
            max_listpack_value: 64,
        },
        zset_limits: ZsetLimits {
            max_listpack_entries: 1,
            max_listpack_value: 64,
        },
        set_max_intset_entries: 1,
        ..LoadOptions::default()
    };
    let mut intset = Vec::new();
    intset.extend_from_slice(&2u32.to_le_bytes());
    intset.extend_from_slice(&2u32.to_le_bytes());
    intset.extend_from_slice(&[1, 0, 2, 0]);
    let data = Rdb::new(10)
        .byte(TYPE_HASH_LISTPACK)
        .str(b"h")
        .str(&listpack_of(&[b"a", b"1", b"b", b"2"]))
        .byte(TYPE_ZSET_LISTPACK)
        .str(b"z")
        .str(&listpack_of(&[b"a", b"1", b"b", b"2"]))
        .byte(TYPE_SET_INTSET)
        .str(b"s")
        .str(&intset)
        .finish();
    let k = load_keys(&data, &opts);
    let encodings: Vec<_> = k.iter().map(|k| k.value.encoding()).collect();
    assert_eq!(encodings, ["hashtable", "skiplist", "hashtable"]);
    assert_eq!(strings(&k[2].value), [&b"1"[..], b"2"]);
}

/// Encodes ziplist entries with Redis's layout (strings and a few integers).
fn ziplist_of(items: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut tail) = (0usize, 10usize);
    for item in items {
        tail = 10 + body.len();
        let start = body.len();
        body.push(prev as u8);
        match resp::number::string2ll(item) {
            Some(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
            Some(v) if i16::try_from(v).is_ok() => {
                body.push(0xC0);
                body.extend_from_slice(&(v as i16).to_le_bytes());
            }
            _ => {
                body.push(item.len() as u8);
                body.extend_from_slice(item);
            }
        }
        prev = body.len() - start;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(items.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFF);
    out
}

#[test]
fn legacy_encodings_convert() {
    let zipmap = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff";
    let data = Rdb::new(6)
        .byte(TYPE_HASH_ZIPMAP)
        .str(b"zm")
        .str(zipmap)
        .byte(TYPE_HASH_ZIPLIST)
        .str(b"hz")
        .str(&ziplist_of(&[b"f", b"300", b"g", b"x"]))
        .byte(TYPE_ZSET_ZIPLIST)
        .str(b"zz")
        .str(&ziplist_of(&[b"a", b"1", b"b", b"1000"]))
        .byte(TYPE_LIST_ZIPLIST)
        .str(b"lz")
        .str(&ziplist_of(&[b"x", b"7", b"y"]))
        .byte(TYPE_LIST_QUICKLIST)
        .str(b"lq")
        .len(2)
        .str(&ziplist_of(&[b"a", b"b"]))
        .str(&ziplist_of(&[b"c"]))
        .finish();
    let k = keys(&data);
    let h = k[0].value.as_hash().unwrap();
    assert_eq!((h.encoding(), h.len()), ("listpack", 2));
    assert_eq!(h.get(b"hello").unwrap().to_vec(), b"world");
    let h = k[1].value.as_hash().unwrap();
    assert_eq!(h.get(b"f").unwrap().to_vec(), b"300");
    let z = k[2].value.as_zset().unwrap();
    assert_eq!(z.encoding(), "listpack");
    assert_eq!(
        z.to_entries(),
        [(b"a".to_vec(), 1.0), (b"b".to_vec(), 1000.0)]
    );
    assert_eq!(strings(&k[3].value), [&b"x"[..], b"7", b"y"]);
    assert_eq!(strings(&k[4].value), [&b"a"[..], b"b", b"c"]);
    assert_eq!(k[4].value.as_list().unwrap().nodes().len(), 2);
}

#[test]
fn quicklist_2_nodes() {
    let node = listpack_of(&[b"a", b"b"]);
    let data = Rdb::new(10)
        .byte(TYPE_LIST_QUICKLIST_2)
        .str(b"l")
        .len(3)
        .len(QUICKLIST_NODE_PACKED)
        .str(&node)
        .len(QUICKLIST_NODE_PLAIN)
        .str(b"big element")
        .len(QUICKLIST_NODE_PACKED)
        .str(&listpack_of(&[]))
        .finish();
    let v = one_value(&data);
    assert_eq!(strings(&v), [&b"a"[..], b"b", b"big element"]);
    let bad = Rdb::new(10)
        .byte(TYPE_LIST_QUICKLIST_2)
        .str(b"l")
        .len(1)
        .len(3)
        .str(&node)
        .finish();
    assert_eq!(err(&bad).message, "Quicklist integrity check failed.");
}

#[test]
fn empty_collections_are_skipped_and_counted() {
    let data = Rdb::new(10)
        .byte(TYPE_LIST)
        .str(b"l")
        .len(0)
        .byte(TYPE_LIST_QUICKLIST_2)
        .str(b"q")
        .len(1)
        .len(QUICKLIST_NODE_PACKED)
        .str(&listpack_of(&[]))
        .byte(TYPE_HASH_LISTPACK)
        .str(b"h")
        .str(&listpack_of(&[]))
        .byte(TYPE_STRING)
        .str(b"s")
        .str(b"")
        .finish();
    let (records, summary) = load_all(&data, &LoadOptions::default()).unwrap();
    assert_eq!((summary.keys, summary.empty_keys_skipped), (1, 3));
    assert_eq!(records.len(), 1);
}

#[test]
fn callback_errors_stop_the_load_at_the_record() {
    let data = Rdb::new(10).byte(TYPE_STRING).str(b"k").str(b"v").finish();
    let e = load(&data, &LoadOptions::default(), &mut |_| {
        Err("no room".into())
    })
    .unwrap_err();
    assert_eq!((e.offset, e.message.as_str()), (9, "no room"));
}

#[test]
fn every_truncation_and_byte_flip_is_handled() {
    let data = Rdb::new(10)
        .byte(OPCODE_AUX)
        .str(b"redis-ver")
        .str(b"7.0.15")
        .byte(OPCODE_SELECTDB)
        .len(0)
        .byte(OPCODE_EXPIRETIME_MS)
        .raw(&[1, 2, 3, 4, 5, 6, 7, 0])
        .byte(TYPE_HASH_ZIPLIST)
        .str(b"h")
        .str(&ziplist_of(&[b"f", b"1", b"g", b"x"]))
        .byte(TYPE_ZSET_LISTPACK)
        .str(b"z")
        .str(&listpack_of(&[b"a", b"1", b"b", b"2"]))
        .byte(TYPE_SET)
        .str(b"s")
        .len(2)
        .str(b"1")
        .str(b"a")
        .finish();
    assert!(load_all(&data, &LoadOptions::default()).is_ok());
    for n in 0..data.len() {
        assert!(
            load_all(&data[..n], &LoadOptions::default()).is_err(),
            "prefix {n}"
        );
        for bit in [0x01, 0x80, 0xFF] {
            let mut flipped = data.clone();
            flipped[n] ^= bit;
            fuzz::check_load(&flipped);
        }
    }
}

fn dump(rdb_type: u8, body: &[u8], version: u16) -> Vec<u8> {
    let mut p = vec![rdb_type];
    p.extend_from_slice(body);
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn dump_payloads() {
    let opts = LoadOptions::default();
    let p = dump(TYPE_SET, &[2, 1, b'a', 1, b'b'], 10);
    let v = load_dump_payload(&p, &opts).unwrap();
    assert_eq!(strings(&v), [&b"a"[..], b"b"]);
    let mut bad = p.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let e = load_dump_payload(&bad, &opts).unwrap_err();
    assert_eq!(e.message, DUMP_VERSION_OR_CHECKSUM_WRONG);
    let newer = dump(TYPE_SET, &[2, 1, b'a', 1, b'b'], 12);
    assert_eq!(
        load_dump_payload(&newer, &opts).unwrap_err().message,
        DUMP_VERSION_OR_CHECKSUM_WRONG
    );
    assert!(load_dump_payload(b"short", &opts).is_err());
    let empty = dump(TYPE_LIST, &[0], 10);
    assert!(load_dump_payload(&empty, &opts).is_err());
    let stream = dump(TYPE_STREAM_LISTPACKS, &[0], 10);
    assert!(load_dump_payload(&stream, &opts).is_err());
}

#[test]
fn lists_keep_the_configured_fill() {
    let opts = LoadOptions {
        list_max_listpack_size: 2,
        ..LoadOptions::default()
    };
    let mut b = Rdb::new(10).byte(TYPE_LIST).str(b"l").len(5);
    for e in [b"1", b"2", b"3", b"4", b"5"] {
        b = b.str(e);
    }
    let k = load_keys(&b.finish(), &opts);
    let list: &List = k[0].value.as_list().unwrap();
    assert_eq!((list.len(), list.nodes().len(), list.fill()), (5, 3, 2));
}

mod roundtrip;
