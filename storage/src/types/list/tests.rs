//! Unit tests of the quicklist, and a proptest that runs random operation
//! sequences against a `VecDeque` model with tiny nodes, so splits, merges and
//! node drops happen all the time.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

fn contents(list: &List) -> Vec<Vec<u8>> {
    list.iter().map(|e| e.to_vec()).collect()
}

/// The structural invariants: no empty node, count = sum of node lengths,
/// and for an element-count fill no node above its cap.
fn check_invariants(list: &List) {
    let mut total = 0;
    for lp in list.nodes() {
        assert!(!lp.is_empty(), "empty node");
        if list.fill > 0 {
            assert!(
                lp.len() <= list.fill as usize,
                "node of {} > fill {}",
                lp.len(),
                list.fill
            );
        }
        total += lp.len();
    }
    assert_eq!(total, list.len());
}

#[test]
fn push_pop_both_ends() {
    let mut l = List::new(2);
    for i in 0..10 {
        l.push(End::Tail, i.to_string().as_bytes());
    }
    l.push(End::Head, b"h");
    assert_eq!(l.len(), 11);
    assert_eq!(l.nodes().len(), 6);
    assert_eq!(l.pop(End::Head).as_deref(), Some(&b"h"[..]));
    assert_eq!(l.pop(End::Tail).as_deref(), Some(&b"9"[..]));
    assert_eq!(l.get(0).map(|e| e.to_vec()), Some(b"0".to_vec()));
    assert_eq!(l.get(-1).map(|e| e.to_vec()), Some(b"8".to_vec()));
    assert_eq!(l.get(9), None);
    assert_eq!(l.get(-10), None);
    check_invariants(&l);
}

#[test]
fn size_fill_caps_node_bytes() {
    let mut l = List::new(-1);
    for _ in 0..100 {
        l.push(End::Tail, &[b'x'; 100]);
    }
    for lp in l.nodes() {
        assert!(lp.bytes_len() <= 4096);
    }
    assert!(l.nodes().len() > 1);
    // A big element gets a node of its own.
    let mut l = List::new(-2);
    l.push(End::Tail, b"a");
    l.push(End::Tail, &[b'y'; 10_000]);
    l.push(End::Tail, b"b");
    assert_eq!(l.nodes().len(), 3);
}

#[test]
fn walk_streams_from_a_position() {
    let mut l = List::new(3);
    for i in 0..10 {
        l.push(End::Tail, i.to_string().as_bytes());
    }
    let fwd: Vec<_> = l.walk(4, End::Tail).map(|e| e.to_vec()).collect();
    assert_eq!(fwd.len(), 6);
    assert_eq!(fwd[0], b"4");
    let back: Vec<_> = l.walk(4, End::Head).map(|e| e.to_vec()).collect();
    assert_eq!(
        back,
        vec![
            b"4".to_vec(),
            b"3".to_vec(),
            b"2".to_vec(),
            b"1".to_vec(),
            b"0".to_vec()
        ]
    );
    assert_eq!(l.walk(10, End::Tail).count(), 0);
}

#[test]
fn ranges_resolve_like_redis() {
    assert_eq!(resolve_range(0, -1, 5), Some((0, 4)));
    assert_eq!(resolve_range(-100, 100, 5), Some((0, 4)));
    assert_eq!(resolve_range(3, 1, 5), None);
    assert_eq!(resolve_range(5, 10, 5), None);
    assert_eq!(resolve_range(0, -6, 5), None);
    assert_eq!(resolve_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
    assert_eq!(resolve_range(0, 0, 0), None);
}

#[test]
fn insert_splits_and_merges() {
    let mut l = List::new(4);
    for i in 0..8 {
        l.push(End::Tail, i.to_string().as_bytes());
    }
    assert_eq!(l.insert(b"1", b"x", true), Some(9));
    assert_eq!(l.insert(b"6", b"y", false), Some(10));
    assert_eq!(l.insert(b"nope", b"z", false), None);
    let want: Vec<&[u8]> = vec![b"0", b"1", b"x", b"2", b"3", b"4", b"5", b"y", b"6", b"7"];
    assert_eq!(
        contents(&l),
        want.iter().map(|s| s.to_vec()).collect::<Vec<_>>()
    );
    check_invariants(&l);
}

#[test]
fn split_merges_small_neighbours() {
    let mut l = List::new(4);
    for i in 0..12 {
        l.push(End::Tail, i.to_string().as_bytes());
    }
    assert_eq!(l.delete_range(0, 3), 3);
    assert_eq!(l.delete_range(1, 3), 3);
    let sizes: Vec<usize> = l.nodes().map(Listpack::len).collect();
    assert_eq!(sizes, vec![1, 1, 4]);
    l.insert(b"9", b"x", true);
    let sizes: Vec<usize> = l.nodes().map(Listpack::len).collect();
    assert_eq!(sizes, vec![4, 3]);
    let want: Vec<Vec<u8>> = ["3", "7", "8", "9", "x", "10", "11"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(contents(&l), want);
}

#[test]
fn lpos_rank_count_maxlen() {
    let mut l = List::new(2);
    for e in ["a", "b", "c", "1", "2", "3", "c", "c"] {
        l.push(End::Tail, e.as_bytes());
    }
    assert_eq!(l.positions(b"c", 1, 1, 0), vec![2]);
    assert_eq!(l.positions(b"c", 2, 0, 0), vec![6, 7]);
    assert_eq!(l.positions(b"c", -1, 0, 0), vec![7, 6, 2]);
    assert_eq!(l.positions(b"c", 1, 0, 3), vec![2]);
    assert_eq!(l.positions(b"c", -1, 0, 2), vec![7, 6]);
    assert_eq!(l.positions(b"2", 1, 0, 0), vec![4]);
    assert!(l.positions(b"z", 1, 0, 0).is_empty());
}

#[test]
fn digest_mixes_elements_in_order() {
    let mut l = List::new(-2);
    l.push(End::Tail, b"a");
    l.push(End::Tail, b"12");
    let mut d1 = [0u8; 20];
    l.digest_into(&mut d1);
    let mut d2 = [0u8; 20];
    mix_digest(&mut d2, b"a");
    mix_digest(&mut d2, b"12");
    assert_eq!(d1, d2);
}

#[derive(Debug, Clone)]
enum Op {
    Push(bool, Vec<u8>),
    Pop(bool),
    Insert(usize, bool, Vec<u8>),
    Set(i64, Vec<u8>),
    Rem(i64, Vec<u8>),
    Trim(i64, i64),
    Delete(usize, usize),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "1", "-7", "300", "99999999999", ""]).prop_map(|s| s.as_bytes().to_vec()),
        2 => "[a-c]{0,70}".prop_map(String::into_bytes),
        1 => (0usize..3000).prop_map(|n| vec![b'z'; n]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (any::<bool>(), element()).prop_map(|(h, e)| Op::Push(h, e)),
        2 => any::<bool>().prop_map(Op::Pop),
        3 => (0usize..64, any::<bool>(), element()).prop_map(|(i, a, e)| Op::Insert(i, a, e)),
        2 => (-40i64..40, element()).prop_map(|(i, e)| Op::Set(i, e)),
        1 => (-3i64..4, element()).prop_map(|(c, e)| Op::Rem(c, e)),
        1 => (-30i64..30, -30i64..30).prop_map(|(a, b)| Op::Trim(a, b)),
        1 => (0usize..40, 0usize..10).prop_map(|(a, b)| Op::Delete(a, b)),
    ]
}

/// Applies one operation to the list and to the model.
fn apply(list: &mut List, model: &mut VecDeque<Vec<u8>>, op: &Op) {
    let len = model.len() as i64;
    let pos = |i: i64| -> Option<usize> {
        let j = if i < 0 { len + i } else { i };
        (0..len).contains(&j).then_some(j as usize)
    };
    match op {
        Op::Push(head, e) => {
            list.push(if *head { End::Head } else { End::Tail }, e);
            if *head {
                model.push_front(e.clone())
            } else {
                model.push_back(e.clone())
            }
        }
        Op::Pop(head) => {
            let got = list.pop(if *head { End::Head } else { End::Tail });
            let want = if *head {
                model.pop_front()
            } else {
                model.pop_back()
            };
            assert_eq!(got, want);
        }
        Op::Insert(i, after, e) => {
            if model.is_empty() {
                return;
            }
            let i = i % model.len();
            list.insert_at(i, *after, e);
            model.insert(i + usize::from(*after), e.clone());
        }
        Op::Set(i, e) => {
            let ok = list.set(*i, e);
            assert_eq!(ok, pos(*i).is_some());
            if let Some(p) = pos(*i) {
                model[p] = e.clone();
            }
        }
        Op::Rem(count, e) => {
            let removed = list.remove_matching(*count, e);
            let mut left = if *count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            let mut gone = 0;
            let idx: Vec<usize> = if *count < 0 {
                (0..model.len()).rev().collect()
            } else {
                (0..model.len()).collect()
            };
            let mut kill = vec![false; model.len()];
            for i in idx {
                if left > 0 && model[i] == *e {
                    kill[i] = true;
                    left -= 1;
                    gone += 1;
                }
            }
            let mut k = kill.iter();
            model.retain(|_| !k.next().copied().unwrap_or(false));
            assert_eq!(removed, gone);
        }
        Op::Trim(a, b) => {
            list.trim(*a, *b);
            match resolve_range(*a, *b, model.len()) {
                Some((s, e)) => {
                    model.truncate(e + 1);
                    model.drain(..s);
                }
                None => model.clear(),
            }
        }
        Op::Delete(s, n) => {
            let got = list.delete_range(*s, *n);
            let want = if *s < model.len() {
                (*n).min(model.len() - s)
            } else {
                0
            };
            assert_eq!(got, want);
            if want > 0 {
                model.drain(*s..*s + want);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn behaves_like_a_deque(fill in prop::sample::select(vec![-5i64, -2, -1, 0, 1, 2, 3, 5]),
                            ops in prop::collection::vec(op(), 1..120)) {
        let mut list = List::new(fill);
        let mut model = VecDeque::new();
        for op in &ops {
            apply(&mut list, &mut model, op);
            check_invariants(&list);
            prop_assert_eq!(list.len(), model.len());
        }
        let got = contents(&list);
        prop_assert_eq!(&got, &model.iter().cloned().collect::<Vec<_>>());
        let rev: Vec<Vec<u8>> = list.iter().rev().map(|e| e.to_vec()).collect();
        prop_assert_eq!(rev, model.iter().rev().cloned().collect::<Vec<_>>());
        for (i, want) in model.iter().enumerate() {
            let got = list.get(i as i64).map(|e| e.to_vec());
            prop_assert_eq!(got.as_ref(), Some(want));
            let from: Vec<Vec<u8>> = list.walk(i, End::Tail).map(|e| e.to_vec()).collect();
            prop_assert_eq!(from.len(), model.len() - i);
        }
        if !model.is_empty() {
            let e = model[model.len() / 2].clone();
            let want: Vec<usize> = model.iter().enumerate().filter(|(_, x)| **x == e).map(|(i, _)| i).collect();
            prop_assert_eq!(list.positions(&e, 1, 0, 0), want.clone());
            let mut rev = want;
            rev.reverse();
            prop_assert_eq!(list.positions(&e, -1, 0, 0), rev);
        }
    }
}

/// DEBUG DIGEST-VALUE of the same lists in redis-server 7.0.15.
#[test]
fn digest_matches_redis_7_0() {
    use crate::digest::{key_value_digest, to_hex};
    let mut ks = crate::Keyspace::new(16);
    let mut l = List::new(-2);
    l.push(End::Tail, b"x");
    ks.db_mut(0)
        .set(b"big", crate::Value::List(Box::new(l.clone())), 0, false);
    assert_eq!(
        to_hex(&key_value_digest(ks.db(0), b"big")),
        "b7bf7c7fd12bee893767b604e8582837a111d357"
    );
    for e in ["y", "z", "1", "2", "-100", "12345678901234"] {
        l.push(End::Tail, e.as_bytes());
    }
    ks.db_mut(0)
        .set(b"big", crate::Value::List(Box::new(l)), 0, false);
    assert_eq!(
        to_hex(&key_value_digest(ks.db(0), b"big")),
        "8dbb9e07ccff57a8dca0a92728400d6b8a87540b"
    );
}

#[test]
fn list_header_stays_small() {
    // Boxed in Value; the header is the node deque, the count and the fill.
    assert!(std::mem::size_of::<List>() <= 48);
}
