//! Sorted sets against a model: a `BTreeMap` member -> score plus the sorted
//! (score, member) order, under random operation sequences that cross the
//! listpack/skiplist thresholds. Both encodings must agree with the model on
//! contents, ranks, ranges by rank/score/lex and removals.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::Rng;

/// The model: members with scores; order computed on demand.
#[derive(Default, Clone, Debug)]
struct Model(BTreeMap<Vec<u8>, f64>);

impl Model {
    fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<_> = self.0.iter().map(|(m, s)| (m.clone(), *s)).collect();
        v.sort_by(pair_order);
        v
    }
}

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>, i8, AddFlags),
    Remove(Vec<u8>),
    RemoveRank(i8, i8),
    RemoveScore(i8, i8, bool, bool),
    RemoveLex(u8, u8, bool, bool),
    Pop(bool),
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u8..40).prop_map(|n| format!("m{n}").into_bytes()),
        (0i32..30).prop_map(|n| n.to_string().into_bytes()),
        (0usize..20).prop_map(|n| vec![b'x'; n]),
    ]
}

fn flags() -> impl Strategy<Value = AddFlags> {
    (0u8..6, any::<bool>()).prop_map(|(k, incr)| AddFlags {
        nx: k == 1,
        xx: k == 2,
        gt: k == 3,
        lt: k == 4 || k == 5,
        incr,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (member(), -10i8..10, flags()).prop_map(|(m, s, f)| Op::Add(m, s, f)),
        2 => member().prop_map(Op::Remove),
        1 => (-8i8..8, -8i8..8).prop_map(|(a, b)| Op::RemoveRank(a, b)),
        1 => (-10i8..10, -10i8..10, any::<bool>(), any::<bool>()).prop_map(|(a, b, x, y)| Op::RemoveScore(a, b, x, y)),
        1 => (b'a'..=b'z', b'a'..=b'z', any::<bool>(), any::<bool>()).prop_map(|(a, b, x, y)| Op::RemoveLex(a, b, x, y)),
        1 => any::<bool>().prop_map(Op::Pop),
    ]
}

fn score_range(a: i8, b: i8, x: bool, y: bool) -> ScoreRange {
    ScoreRange {
        min: f64::from(a),
        max: f64::from(b),
        min_exclusive: x,
        max_exclusive: y,
    }
}

fn lex_range(a: u8, b: u8, x: bool, y: bool) -> LexRange {
    LexRange {
        min: if a == b'a' {
            LexBound::Min
        } else {
            LexBound::Bytes(vec![b'm', a])
        },
        max: if b == b'z' {
            LexBound::Max
        } else {
            LexBound::Bytes(vec![b'm', b])
        },
        min_exclusive: x || a == b'a',
        max_exclusive: y || b == b'z',
    }
}

/// Applies `op` to the model, mirroring ZADD/ZREM/... semantics.
fn model_apply(model: &mut Model, op: &Op) {
    match op {
        Op::Add(m, s, f) => {
            let score = f64::from(*s);
            match model.0.get(m).copied() {
                None if !f.xx => {
                    model.0.insert(m.clone(), score);
                }
                Some(cur) if !f.nx => {
                    let new = if f.incr { cur + score } else { score };
                    if !((f.lt && new >= cur) || (f.gt && new <= cur)) {
                        model.0.insert(m.clone(), new);
                    }
                }
                _ => {}
            }
        }
        Op::Remove(m) => {
            model.0.remove(m);
        }
        Op::RemoveRank(a, b) => {
            let sorted = model.sorted();
            let len = sorted.len() as i64;
            let (mut s, mut e) = (i64::from(*a), i64::from(*b));
            if s < 0 {
                s += len;
            }
            if e < 0 {
                e += len;
            }
            s = s.max(0);
            if s <= e && s < len {
                for (m, _) in &sorted[s as usize..=(e.min(len - 1) as usize)] {
                    model.0.remove(m);
                }
            }
        }
        Op::RemoveScore(a, b, x, y) => {
            let r = score_range(*a, *b, *x, *y);
            model.0.retain(|_, s| !(r.gte_min(*s) && r.lte_max(*s)));
        }
        Op::RemoveLex(a, b, x, y) => {
            // Lex ranges are only defined when all scores are equal; the
            // lex-specific test below covers them, here only the score ops run.
            let _ = (a, b, x, y);
        }
        Op::Pop(max) => {
            let sorted = model.sorted();
            let victim = if *max { sorted.last() } else { sorted.first() };
            if let Some((m, _)) = victim {
                model.0.remove(m);
            }
        }
    }
}

fn zset_apply(z: &mut ZSet, op: &Op, limits: &ZsetLimits, rng: &mut Rng) {
    match op {
        Op::Add(m, s, f) => {
            z.add(m, f64::from(*s), *f, limits, rng);
        }
        Op::Remove(m) => {
            z.remove(m);
        }
        Op::RemoveRank(a, b) => {
            if let Some((s, e)) = z.clamp_rank_range(i64::from(*a), i64::from(*b)) {
                z.remove_range_by_rank(s, e);
            }
        }
        Op::RemoveScore(a, b, x, y) => {
            z.remove_range_by_score(&score_range(*a, *b, *x, *y));
        }
        Op::RemoveLex(..) => {}
        Op::Pop(max) => {
            z.pop(*max);
        }
    }
}

fn check_against(z: &ZSet, model: &Model, rng_seed: u64) {
    let sorted = model.sorted();
    assert_eq!(z.len(), sorted.len());
    assert_eq!(z.to_entries(), sorted);
    if let ZSet::SkipList(s) = z {
        s.check_invariants();
    }
    for (i, (m, s)) in sorted.iter().enumerate() {
        assert_eq!(z.score(m), Some(*s));
        assert_eq!(z.rank(m, false), Some(i));
        assert_eq!(z.rank(m, true), Some(sorted.len() - 1 - i));
    }
    // Ranges by rank, both directions.
    let n = sorted.len() as i64;
    for (a, b) in [(0, -1), (1, 3), (-3, -1), (2, 1), (0, 0)] {
        let mut got = Vec::new();
        if let Some((s, e)) = z.clamp_rank_range(a, b) {
            z.range_by_rank(s, e, false, &mut |m, sc| got.push((m.to_vec(), sc)));
            let want: Vec<_> = sorted[s..=e].to_vec();
            assert_eq!(got, want);
            let mut rev = Vec::new();
            z.range_by_rank(s, e, true, &mut |m, sc| rev.push((m.to_vec(), sc)));
            let want_rev: Vec<_> = sorted
                .iter()
                .rev()
                .skip(s)
                .take(e - s + 1)
                .cloned()
                .collect();
            assert_eq!(rev, want_rev);
        } else {
            let (s, e) = (
                if a < 0 { a + n } else { a }.max(0),
                if b < 0 { b + n } else { b },
            );
            assert!(s > e || s >= n);
        }
    }
    // Ranges by score, with LIMIT, both directions.
    let mut rng = Rng::seeded(rng_seed);
    for _ in 0..4 {
        let a = rng.below(24) as i8 - 12;
        let b = rng.below(24) as i8 - 12;
        let r = score_range(a, b, rng.below(2) == 0, rng.below(2) == 0);
        let want: Vec<_> = sorted
            .iter()
            .filter(|(_, s)| r.gte_min(*s) && r.lte_max(*s))
            .cloned()
            .collect();
        assert_eq!(z.count_by_score(&r), want.len());
        let (offset, limit) = (rng.below(3) as i64, rng.below(5) as i64 - 1);
        let mut got = Vec::new();
        z.range_by_score(&r, false, offset, limit, &mut |m, s| {
            got.push((m.to_vec(), s))
        });
        let take = if limit < 0 {
            usize::MAX
        } else {
            limit as usize
        };
        let expect: Vec<_> = want
            .iter()
            .skip(offset as usize)
            .take(take)
            .cloned()
            .collect();
        assert_eq!(got, expect);
        let mut rev = Vec::new();
        z.range_by_score(&r, true, offset, limit, &mut |m, s| {
            rev.push((m.to_vec(), s))
        });
        let expect_rev: Vec<_> = want
            .iter()
            .rev()
            .skip(offset as usize)
            .take(take)
            .cloned()
            .collect();
        assert_eq!(rev, expect_rev);
    }
}

const SMALL: ZsetLimits = ZsetLimits {
    max_listpack_entries: 8,
    max_listpack_value: 10,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn matches_model_across_encodings(ops in prop::collection::vec(op(), 1..120), seed in any::<u64>()) {
        let mut rng = Rng::seeded(seed);
        let mut model = Model::default();
        let mut z = ZSet::new_listpack();
        for op in &ops {
            model_apply(&mut model, op);
            zset_apply(&mut z, op, &SMALL, &mut rng);
            check_against(&z, &model, seed);
        }
        // Once a skiplist, always a skiplist; a listpack stays within the limits.
        if let ZSet::Listpack(_) = z {
            prop_assert!(z.len() <= SMALL.max_listpack_entries);
        }
        // Rebuilding by size keeps the contents.
        let rebuilt = ZSet::from_entries(z.to_entries(), &SMALL, &mut rng);
        prop_assert_eq!(rebuilt.to_entries(), z.to_entries());
    }

    /// Lex ranges, counts and removals on equal scores, in both encodings.
    #[test]
    fn lex_ranges_match_model(
        members in prop::collection::btree_set(b'a'..=b'z', 0..20),
        bounds in prop::collection::vec((b'a'..=b'z', b'a'..=b'z', any::<bool>(), any::<bool>()), 1..6),
        big in any::<bool>(),
    ) {
        let mut rng = Rng::seeded(7);
        let limits = if big { ZsetLimits { max_listpack_entries: 0, max_listpack_value: 0 } } else { SMALL_LEX };
        let mut z = ZSet::for_add(2, &limits, &mut rng);
        for m in &members {
            z.add(&[b'm', *m], 1.0, AddFlags::default(), &limits, &mut rng);
        }
        for (a, b, x, y) in bounds {
            let r = lex_range(a, b, x, y);
            let want: Vec<Vec<u8>> = members.iter().map(|m| vec![b'm', *m]).filter(|m| r.gte_min(m) && r.lte_max(m)).collect();
            prop_assert_eq!(z.count_by_lex(&r), want.len());
            let mut got = Vec::new();
            z.range_by_lex(&r, false, 0, -1, &mut |m, _| got.push(m.to_vec()));
            prop_assert_eq!(&got, &want);
            let mut rev = Vec::new();
            z.range_by_lex(&r, true, 1, 2, &mut |m, _| rev.push(m.to_vec()));
            let want_rev: Vec<_> = want.iter().rev().skip(1).take(2).cloned().collect();
            prop_assert_eq!(rev, want_rev);
            let mut copy = z.clone();
            prop_assert_eq!(copy.remove_range_by_lex(&r), want.len());
            prop_assert_eq!(copy.len(), members.len() - want.len());
        }
    }
}

const SMALL_LEX: ZsetLimits = ZsetLimits {
    max_listpack_entries: 128,
    max_listpack_value: 64,
};

#[test]
fn zset_is_16_bytes() {
    assert_eq!(std::mem::size_of::<ZSet>(), 16);
}

#[test]
fn conversions_follow_redis_7_0() {
    let limits = ZsetLimits {
        max_listpack_entries: 2,
        max_listpack_value: 4,
    };
    let mut rng = Rng::seeded(1);
    let mut z = ZSet::for_add(1, &limits, &mut rng);
    assert_eq!(z.encoding(), "listpack");
    z.add(b"a", 1.0, AddFlags::default(), &limits, &mut rng);
    z.add(b"b", 2.0, AddFlags::default(), &limits, &mut rng);
    assert_eq!(z.encoding(), "listpack");
    z.add(b"c", 3.0, AddFlags::default(), &limits, &mut rng);
    assert_eq!(z.encoding(), "skiplist");
    z.remove(b"c");
    assert_eq!(z.encoding(), "skiplist", "never converts back");
    let mut long = ZSet::for_add(1, &limits, &mut rng);
    long.add(b"toolong", 1.0, AddFlags::default(), &limits, &mut rng);
    assert_eq!(long.encoding(), "skiplist");
    assert_eq!(ZSet::for_add(5, &limits, &mut rng).encoding(), "skiplist");
    let entries = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)];
    assert_eq!(
        ZSet::from_entries(entries.clone(), &limits, &mut rng).encoding(),
        "listpack"
    );
    let mut three = entries;
    three.push((b"c".to_vec(), 0.0));
    assert_eq!(
        ZSet::from_entries(three, &limits, &mut rng).encoding(),
        "skiplist"
    );
}

#[test]
fn add_outcomes_and_nan() {
    let limits = SMALL_LEX;
    let mut rng = Rng::seeded(2);
    let mut z = ZSet::new_listpack();
    let incr = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    assert_eq!(
        z.add(b"a", f64::INFINITY, incr, &limits, &mut rng),
        AddOutcome::Added(f64::INFINITY)
    );
    assert_eq!(
        z.add(b"a", f64::NEG_INFINITY, incr, &limits, &mut rng),
        AddOutcome::NotANumber
    );
    assert_eq!(
        z.add(b"a", f64::INFINITY, AddFlags::default(), &limits, &mut rng),
        AddOutcome::Unchanged(f64::INFINITY)
    );
    let gt = AddFlags {
        gt: true,
        ..AddFlags::default()
    };
    assert_eq!(z.add(b"a", 1.0, gt, &limits, &mut rng), AddOutcome::Skipped);
    assert_eq!(
        z.add(b"a", 1.0, AddFlags::default(), &limits, &mut rng),
        AddOutcome::Updated(1.0)
    );
    // -0 is stored as the integer 0 in a listpack, as Redis's double2ll does.
    z.add(b"z", -0.0, AddFlags::default(), &limits, &mut rng);
    assert!(z.score(b"z").unwrap().is_sign_positive());
}

#[test]
fn skiplist_scan_visits_everything_across_resizes() {
    let mut rng = Rng::seeded(3);
    let limits = ZsetLimits {
        max_listpack_entries: 0,
        max_listpack_value: 0,
    };
    let mut z = ZSet::for_add(1, &limits, &mut rng);
    for i in 0..200 {
        z.add(
            format!("m{i}").as_bytes(),
            f64::from(i),
            AddFlags::default(),
            &limits,
            &mut rng,
        );
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        cursor = z.scan(cursor, 10, &mut |m, _| {
            seen.insert(m.to_vec());
        });
        calls += 1;
        if calls == 5 {
            // Grow the table in the middle of the scan.
            for i in 200..600 {
                z.add(
                    format!("m{i}").as_bytes(),
                    0.0,
                    AddFlags::default(),
                    &limits,
                    &mut rng,
                );
            }
        }
        if cursor == 0 {
            break;
        }
    }
    for i in 0..200 {
        assert!(seen.contains(format!("m{i}").as_bytes()), "m{i}");
    }
}

#[test]
fn random_distinct_is_distinct() {
    let mut rng = Rng::seeded(4);
    let limits = SMALL_LEX;
    for size in [5usize, 300] {
        let entries: Vec<_> = (0..size)
            .map(|i| (format!("m{i}").into_bytes(), i as f64))
            .collect();
        let z = ZSet::from_entries(entries, &limits, &mut rng);
        for count in [1usize, 2, 4, 5, 50] {
            let got = z.random_distinct(count, &mut rng);
            let unique: std::collections::HashSet<_> = got.iter().map(|e| e.0.clone()).collect();
            assert_eq!(got.len(), count.min(size));
            assert_eq!(unique.len(), got.len());
        }
    }
}

#[test]
fn arena_compacts_after_mass_removal() {
    let mut rng = Rng::seeded(5);
    let limits = ZsetLimits {
        max_listpack_entries: 0,
        max_listpack_value: 0,
    };
    let mut z = ZSet::for_add(1, &limits, &mut rng);
    for i in 0..1000 {
        z.add(
            format!("m{i}").as_bytes(),
            f64::from(i),
            AddFlags::default(),
            &limits,
            &mut rng,
        );
    }
    let r = ScoreRange {
        min: 0.0,
        max: 989.0,
        min_exclusive: false,
        max_exclusive: false,
    };
    assert_eq!(z.remove_range_by_score(&r), 990);
    assert_eq!(z.len(), 10);
    if let ZSet::SkipList(s) = &z {
        s.check_invariants();
    }
    assert_eq!(z.rank(b"m995", false), Some(5));
}
