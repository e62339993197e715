//! The small encoding of a sorted set: one listpack holding member, score,
//! member, score, ... ordered by (score, member), as Redis's `zzl*` functions in
//! `t_zset.c` keep it.
//!
//! A score is stored as an integer entry when `double2ll` allows, otherwise as
//! its `%.17g` text (see `range.rs`), exactly as `zzlInsertAt` writes it, so the
//! bytes match Redis's for RDB files. Every operation decodes the pairs into a
//! short vector of borrowed entries first: the set has at most
//! `zset-max-listpack-entries` pairs (128 by default), so a linear scan is what
//! Redis does too, and the range searches below copy Redis's listpack
//! algorithms step by step (they differ from the skiplist's in corner cases
//! such as lex ranges over mixed scores, and Redis's replies follow the encoding).

use super::range::{score_from_listpack_text, score_to_listpack_text, LexRange, ScoreRange};
use crate::listpack::{Listpack, LpEntry};
use std::cmp::Ordering;

/// One decoded (member, score) pair.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    /// The member entry (an integer entry is a member written in decimal).
    pub member: LpEntry<'a>,
    /// The score as a number.
    pub score: f64,
    /// The score entry as stored (ZSCAN replies with this text).
    pub score_entry: LpEntry<'a>,
}

/// Calls `f` with the entry's bytes (integers formatted on the stack).
pub fn with_bytes<R>(e: &LpEntry<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    match *e {
        LpEntry::Str(s) => f(s),
        LpEntry::Int(v) => {
            let mut buf = [0u8; 20];
            f(crate::value::format_i64(v, &mut buf))
        }
    }
}

/// The score an entry holds (`zzlGetScore`).
fn entry_score(e: &LpEntry<'_>) -> f64 {
    match *e {
        LpEntry::Int(v) => v as f64,
        LpEntry::Str(s) => score_from_listpack_text(s),
    }
}

/// The pairs in order.
pub fn pairs(lp: &Listpack) -> Vec<Pair<'_>> {
    let mut out = Vec::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let (Some(member), Some(score_entry)) = (it.next(), it.next()) {
        out.push(Pair {
            member,
            score: entry_score(&score_entry),
            score_entry,
        });
    }
    out
}

/// Index of `member`'s pair and its score (`zzlFind`).
pub fn find(lp: &Listpack, member: &[u8]) -> Option<(usize, f64)> {
    let ps = pairs(lp);
    ps.iter()
        .position(|p| p.member.eq_bytes(member))
        .map(|i| (i, ps[i].score))
}

/// Inserts a member known to be absent at its place (`zzlInsert`).
pub fn insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let at = pairs(lp)
        .iter()
        .position(|p| {
            p.score > score
                || (p.score == score
                    && with_bytes(&p.member, |m| m.cmp(member)) == Ordering::Greater)
        })
        .unwrap_or(lp.len() / 2);
    let text = score_to_listpack_text(score);
    lp.insert(2 * at, member);
    lp.insert(2 * at + 1, text.as_bytes());
}

/// Removes pair `i`.
pub fn delete(lp: &mut Listpack, i: usize) {
    lp.remove_range(2 * i, 2);
}

/// `zzlIsInRange` + `zzlFirstInRange`: index of the first pair in range.
fn first_in_score(ps: &[Pair<'_>], r: &ScoreRange) -> Option<usize> {
    if !in_score_range(ps, r) {
        return None;
    }
    let i = ps.iter().position(|p| r.gte_min(p.score))?;
    r.lte_max(ps[i].score).then_some(i)
}

/// `zzlLastInRange`.
fn last_in_score(ps: &[Pair<'_>], r: &ScoreRange) -> Option<usize> {
    if !in_score_range(ps, r) {
        return None;
    }
    let i = ps.iter().rposition(|p| r.lte_max(p.score))?;
    r.gte_min(ps[i].score).then_some(i)
}

fn in_score_range(ps: &[Pair<'_>], r: &ScoreRange) -> bool {
    match (ps.first(), ps.last()) {
        (Some(first), Some(last)) => {
            !r.is_empty() && r.gte_min(last.score) && r.lte_max(first.score)
        }
        _ => false,
    }
}

fn gte_min_lex(p: &Pair<'_>, r: &LexRange) -> bool {
    with_bytes(&p.member, |m| r.gte_min(m))
}

fn lte_max_lex(p: &Pair<'_>, r: &LexRange) -> bool {
    with_bytes(&p.member, |m| r.lte_max(m))
}

fn in_lex_range(ps: &[Pair<'_>], r: &LexRange) -> bool {
    match (ps.first(), ps.last()) {
        (Some(first), Some(last)) => !r.is_empty() && gte_min_lex(last, r) && lte_max_lex(first, r),
        _ => false,
    }
}

/// `zzlFirstInLexRange`.
fn first_in_lex(ps: &[Pair<'_>], r: &LexRange) -> Option<usize> {
    if !in_lex_range(ps, r) {
        return None;
    }
    let i = ps.iter().position(|p| gte_min_lex(p, r))?;
    lte_max_lex(&ps[i], r).then_some(i)
}

/// `zzlLastInLexRange`.
fn last_in_lex(ps: &[Pair<'_>], r: &LexRange) -> Option<usize> {
    if !in_lex_range(ps, r) {
        return None;
    }
    let i = ps.iter().rposition(|p| lte_max_lex(p, r))?;
    gte_min_lex(&ps[i], r).then_some(i)
}

/// Emits from pair `start`, skipping `offset` and stopping after `limit` (<0:
/// no limit) or when `in_range` fails; returns how many were emitted.
fn walk(
    ps: &[Pair<'_>],
    start: Option<usize>,
    reverse: bool,
    (offset, limit): (i64, i64),
    in_range: &dyn Fn(&Pair<'_>) -> bool,
    f: &mut dyn FnMut(&[u8], f64),
) -> usize {
    let Some(start) = start else { return 0 };
    // Like Redis's `while (offset--)`, a negative offset walks off the end.
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    let order: Box<dyn Iterator<Item = &Pair<'_>>> = if reverse {
        Box::new(ps[..=start].iter().rev())
    } else {
        Box::new(ps[start..].iter())
    };
    let mut emitted = 0;
    for p in order.skip(skip).take(take) {
        if !in_range(p) {
            break;
        }
        with_bytes(&p.member, |m| f(m, p.score));
        emitted += 1;
    }
    emitted
}

/// Calls `f` for ranks `start..=end` (0-based, valid).
pub fn range_by_rank(
    lp: &Listpack,
    start: usize,
    end: usize,
    reverse: bool,
    f: &mut dyn FnMut(&[u8], f64),
) {
    let ps = pairs(lp);
    for rank in start..=end {
        let i = if reverse {
            ps.len().wrapping_sub(rank + 1)
        } else {
            rank
        };
        if let Some(p) = ps.get(i) {
            with_bytes(&p.member, |m| f(m, p.score));
        }
    }
}

/// Pairs in a score range, with LIMIT.
pub fn range_by_score(
    lp: &Listpack,
    r: &ScoreRange,
    reverse: bool,
    window: (i64, i64),
    f: &mut dyn FnMut(&[u8], f64),
) -> usize {
    let ps = pairs(lp);
    if reverse {
        walk(
            &ps,
            last_in_score(&ps, r),
            true,
            window,
            &|p| r.gte_min(p.score),
            f,
        )
    } else {
        walk(
            &ps,
            first_in_score(&ps, r),
            false,
            window,
            &|p| r.lte_max(p.score),
            f,
        )
    }
}

/// Pairs in a lex range, with LIMIT.
pub fn range_by_lex(
    lp: &Listpack,
    r: &LexRange,
    reverse: bool,
    window: (i64, i64),
    f: &mut dyn FnMut(&[u8], f64),
) -> usize {
    let ps = pairs(lp);
    if reverse {
        walk(
            &ps,
            last_in_lex(&ps, r),
            true,
            window,
            &|p| gte_min_lex(p, r),
            f,
        )
    } else {
        walk(
            &ps,
            first_in_lex(&ps, r),
            false,
            window,
            &|p| lte_max_lex(p, r),
            f,
        )
    }
}

/// ZCOUNT on a listpack: from the first pair in range, forward while in range.
pub fn count_by_score(lp: &Listpack, r: &ScoreRange) -> usize {
    let ps = pairs(lp);
    first_in_score(&ps, r).map_or(0, |i| {
        ps[i..].iter().take_while(|p| r.lte_max(p.score)).count()
    })
}

/// ZLEXCOUNT on a listpack.
pub fn count_by_lex(lp: &Listpack, r: &LexRange) -> usize {
    let ps = pairs(lp);
    first_in_lex(&ps, r).map_or(0, |i| {
        ps[i..].iter().take_while(|p| lte_max_lex(p, r)).count()
    })
}

/// `zzlDeleteRangeByScore`.
pub fn remove_range_by_score(lp: &mut Listpack, r: &ScoreRange) -> usize {
    let (start, n) = {
        let ps = pairs(lp);
        match first_in_score(&ps, r) {
            Some(i) => (i, ps[i..].iter().take_while(|p| r.lte_max(p.score)).count()),
            None => (0, 0),
        }
    };
    if n > 0 {
        lp.remove_range(2 * start, 2 * n);
    }
    n
}

/// `zzlDeleteRangeByLex`.
pub fn remove_range_by_lex(lp: &mut Listpack, r: &LexRange) -> usize {
    let (start, n) = {
        let ps = pairs(lp);
        match first_in_lex(&ps, r) {
            Some(i) => (i, ps[i..].iter().take_while(|p| lte_max_lex(p, r)).count()),
            None => (0, 0),
        }
    };
    if n > 0 {
        lp.remove_range(2 * start, 2 * n);
    }
    n
}
