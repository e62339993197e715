//! Listpack tests: byte encodings checked against listpacks dumped by a real
//! Redis 7.0.15, and a property test against a `Vec<Vec<u8>>` model.

use super::*;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn contents(lp: &Listpack) -> Vec<Vec<u8>> {
    lp.iter().map(|e| e.to_vec()).collect()
}

/// `HSET h a 0 127 128 -1 -4096 ...` on Redis 7.0.15, then `DUMP h`: the
/// listpack inside the RDB_TYPE_HASH_LISTPACK payload.
const REDIS_HASH_HEX: &str = concat!(
    "f5000000180081610200017f01c08002dfff02d00002cfff02f1001003f1ffef03f1ff7f03f1",
    "008003f200800004f2ffff7f04f200008004f30000800005f3ffffff7f05f30000008005f400",
    "0000800000000009f4ffffffffffffff7f09f400000000000000800982303103822d3003bf78",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878",
    "78787878787878787878787878787878787878787878787840e0407979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979",
    "79797979797979797979797979797942ff",
);

fn redis_hash_elements() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "a",
        "0",
        "127",
        "128",
        "-1",
        "-4096",
        "4095",
        "4096",
        "-4097",
        "32767",
        "-32768",
        "32768",
        "8388607",
        "-8388608",
        "8388608",
        "2147483647",
        "-2147483648",
        "2147483648",
        "9223372036854775807",
        "-9223372036854775808",
        "01",
        "-0",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(vec![b'x'; 63]);
    v.push(vec![b'y'; 64]);
    v
}

#[test]
fn encodings_match_redis_bytes() {
    let mut lp = Listpack::new();
    for e in redis_hash_elements() {
        lp.push_back(&e);
    }
    assert_eq!(lp.as_bytes(), &hex(REDIS_HASH_HEX)[..]);
    assert_eq!(contents(&lp), redis_hash_elements());
    let parsed = Listpack::from_bytes(&hex(REDIS_HASH_HEX)).unwrap();
    assert_eq!(parsed, lp);
    assert_eq!(parsed.len(), 24);
}

#[test]
fn long_strings_use_12_and_32_bit_lengths() {
    // From Redis: HSET h2 <4095 z> <4096 w>; the entries end "7a 20 81" and
    // start "f0 00 10 00 00", with backlen "20 85".
    let mut lp = Listpack::new();
    lp.push_back(&[b'z'; 4095]);
    lp.push_back(&[b'w'; 4096]);
    let b = lp.as_bytes();
    assert_eq!(&b[..8], &hex("112000000200efff")[..]);
    assert_eq!(
        &b[6 + 2 + 4095..6 + 2 + 4095 + 7],
        &hex("2081f000100000")[..]
    );
    assert_eq!(&b[b.len() - 3..], &hex("2085ff")[..]);
    assert_eq!(contents(&lp), vec![vec![b'z'; 4095], vec![b'w'; 4096]]);
    assert_eq!(lp.iter().rev().count(), 2);
}

#[test]
fn backlen_sizes_follow_redis_bounds() {
    for (len, size) in [(127, 1), (128, 2), (16_382, 2), (16_383, 3), (2_097_150, 3)] {
        assert_eq!(backlen_size(len), size, "{len}");
        let mut buf = vec![0; size];
        write_backlen(&mut buf, len);
        assert_eq!(read_backlen(&buf, size), Some((len, size)));
    }
    let big = vec![b'q'; 20_000];
    let mut lp = Listpack::new();
    lp.push_back(&big);
    lp.push_front(b"1");
    assert_eq!(lp.iter().next_back().map(|e| e.to_vec()), Some(big));
}

#[test]
fn entries_compare_and_parse() {
    assert!(LpEntry::Int(-12).eq_bytes(b"-12"));
    assert!(!LpEntry::Int(12).eq_bytes(b"012"));
    assert_eq!(LpEntry::Str(b"77").as_i64(), Some(77));
    assert_eq!(LpEntry::Str(b"+7").as_i64(), None);
    assert_eq!(LpEntry::Int(i64::MIN).byte_len(), 20);
    assert_eq!(LpEntry::Int(0).byte_len(), 1);
}

#[test]
fn from_bytes_rejects_corruption_without_panicking() {
    let good = hex(REDIS_HASH_HEX);
    assert!(Listpack::from_bytes(&[]).is_none());
    assert!(Listpack::from_bytes(&hex("07000000000000")).is_none());
    assert!(Listpack::from_bytes(&hex("070000000000ff")).is_some());
    assert!(Listpack::from_bytes(&hex("07000000ffffff")).is_some());
    assert!(Listpack::from_bytes(&hex("070000000100ff")).is_none());
    for cut in 0..good.len() {
        let _ = Listpack::from_bytes(&good[..cut]);
    }
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            if let Some(lp) = Listpack::from_bytes(&bad) {
                // Whatever passes validation must iterate consistently.
                assert_eq!(lp.iter().count(), lp.iter().rev().count());
            }
        }
    }
}

#[test]
fn count_saturates_at_65535_like_redis() {
    let mut lp = Listpack::new();
    for i in 0..65_536u32 {
        lp.push_back(&(i % 100).to_string().into_bytes());
    }
    assert_eq!(&lp.as_bytes()[4..6], &[0xff, 0xff]);
    assert_eq!(lp.len(), 65_536);
    assert_eq!(lp.get(65_535).map(|e| e.to_vec()), Some(b"35".to_vec()));
    lp.remove_range(0, 2);
    assert_eq!(&lp.as_bytes()[4..6], &65_534u16.to_le_bytes());
    assert_eq!(lp.len(), 65_534);
}

#[derive(Debug, Clone)]
enum Op {
    PushBack(Vec<u8>),
    PushFront(Vec<u8>),
    Insert(usize, Vec<u8>),
    Remove(usize),
    RemoveRange(usize, usize),
    Replace(usize, Vec<u8>),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        (-5000i64..5000).prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..80),
        proptest::collection::vec(b'0'..=b'9', 1..4),
        (0usize..3).prop_map(|k| vec![b'k'; [100, 4100, 17000][k]]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        element().prop_map(Op::PushBack),
        element().prop_map(Op::PushFront),
        (0usize..40, element()).prop_map(|(i, e)| Op::Insert(i, e)),
        (0usize..40).prop_map(Op::Remove),
        (0usize..40, 0usize..5).prop_map(|(i, n)| Op::RemoveRange(i, n)),
        (0usize..40, element()).prop_map(|(i, e)| Op::Replace(i, e)),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..60)) {
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for op in ops {
            match op {
                Op::PushBack(e) => { lp.push_back(&e); model.push(e); }
                Op::PushFront(e) => { lp.push_front(&e); model.insert(0, e); }
                Op::Insert(i, e) => {
                    lp.insert(i, &e);
                    if i <= model.len() { model.insert(i, e); }
                }
                Op::Remove(i) => {
                    lp.remove(i);
                    if i < model.len() { model.remove(i); }
                }
                Op::RemoveRange(i, n) => {
                    lp.remove_range(i, n);
                    if i < model.len() { model.drain(i..(i + n).min(model.len())); }
                }
                Op::Replace(i, e) => {
                    lp.replace(i, &e);
                    if i < model.len() { model[i] = e; }
                }
            }
            prop_assert_eq!(lp.len(), model.len());
            prop_assert_eq!(lp.is_empty(), model.is_empty());
        }
        prop_assert_eq!(contents(&lp), model.clone());
        let mut backwards: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
        backwards.reverse();
        prop_assert_eq!(&backwards, &model);
        for (i, m) in model.iter().enumerate() {
            prop_assert_eq!(lp.get(i).map(|e| e.to_vec()), Some(m.clone()));
            let found = lp.find(m, 0, 1).unwrap();
            prop_assert_eq!(&model[found], m);
            prop_assert!(model[..found].iter().all(|x| x != m));
            prop_assert!(lp.get(i).unwrap().eq_bytes(m));
        }
        prop_assert_eq!(lp.get(model.len()), None);
        // Bytes round-trip through validation, and are exactly sized.
        prop_assert_eq!(Listpack::from_bytes(lp.as_bytes()), Some(lp.clone()));
        let total = u32::from_le_bytes(lp.as_bytes()[..4].try_into().unwrap());
        prop_assert_eq!(total as usize, lp.as_bytes().len());
    }

    #[test]
    fn mixed_iteration_meets_in_the_middle(n in 0usize..20, fronts in 0usize..25) {
        let mut lp = Listpack::new();
        for i in 0..n { lp.push_back(format!("e{i}").as_bytes()); }
        let mut it = lp.iter();
        let mut seen = 0;
        for k in 0..25 {
            let got = if k < fronts { it.next() } else { it.next_back() };
            if got.is_some() { seen += 1; }
        }
        prop_assert_eq!(seen, n);
    }

    #[test]
    fn find_with_stride(fields in proptest::collection::vec(0u8..6, 0..12), probe in 0u8..6) {
        let mut lp = Listpack::new();
        for (i, f) in fields.iter().enumerate() {
            lp.push_back(&[b'a' + f]);
            lp.push_back(format!("{i}").as_bytes());
        }
        let want = fields.iter().position(|f| *f == probe).map(|i| i * 2);
        prop_assert_eq!(lp.find(&[b'a' + probe], 0, 2), want);
    }

    #[test]
    fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Listpack::from_bytes(&bytes);
        let mut framed = bytes.clone();
        framed.splice(0..0, [0u8; 6]);
        framed.push(0xFF);
        let total = (framed.len() as u32).to_le_bytes();
        framed[..4].copy_from_slice(&total);
        framed[4] = 0xFF;
        framed[5] = 0xFF;
        if let Some(lp) = Listpack::from_bytes(&framed) {
            prop_assert_eq!(lp.iter().count(), lp.iter().rev().count());
        }
    }
}
