//! A sorted set (TYPE zset), in Redis 7.0's two encodings (`t_zset.c`).
//!
//! - `listpack` while small: member/score pairs in one exactly sized listpack,
//!   ordered by (score, member) — see [`small`].
//! - `skiplist` past `zset-max-listpack-entries` elements or once a member is
//!   longer than `zset-max-listpack-value` bytes: a skiplist with spans for
//!   ranks and ranges, plus a member index for O(1) ZSCORE — see [`skiplist`].
//!
//! Conversions follow Redis 7.0 exactly. ZADD creates a skiplist straight away
//! when `zset-max-listpack-entries` is 0 or its first member is too long
//! ([`ZSet::for_add`]); a listpack converts when an insertion would pass either
//! threshold; a skiplist never converts back, except that the results of
//! ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE / ZRANGESTORE are encoded by their final
//! size ([`ZSet::from_entries`], Redis's `zsetConvertToListpackIfNeeded`).
//!
//! Everything here is sans-IO: thresholds come in a [`ZsetLimits`], randomness
//! from the caller's seeded [`Rng`] (a new skiplist takes one seed from it for
//! its levels and index hash key), and results are plain values or callbacks.

pub mod range;
pub mod skiplist;
pub mod small;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::digest::{mix_digest, xor_digest, Digest20};
use crate::listpack::Listpack;
use crate::Rng;
pub use range::{parse_score, LexBound, LexRange, ScoreRange};
use skiplist::SkipList;

/// The encoding thresholds from the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZsetLimits {
    /// `zset-max-listpack-entries`.
    pub max_listpack_entries: usize,
    /// `zset-max-listpack-value` (bytes).
    pub max_listpack_value: usize,
}

/// ZADD's options (ZINCRBY is `incr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
    /// Add the score to the current one.
    pub incr: bool,
}

/// What `zsetAdd` did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// A new member with this score.
    Added(f64),
    /// An existing member moved to this score.
    Updated(f64),
    /// An existing member kept its score (the new one was equal).
    Unchanged(f64),
    /// Nothing done: NX/XX/GT/LT said no.
    Skipped,
    /// The score, or the incremented score, is NaN: nothing done.
    NotANumber,
}

/// A sorted set: listpack while small, a skiplist with a member index past the thresholds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZSet {
    /// Encoding `listpack`.
    Listpack(Listpack),
    /// Encoding `skiplist`.
    SkipList(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet::Listpack(Listpack::new())
    }
}

/// Orders (score, member) pairs as a sorted set does.
fn pair_order(a: &(Vec<u8>, f64), b: &(Vec<u8>, f64)) -> Ordering {
    match a.1.partial_cmp(&b.1) {
        Some(Ordering::Equal) | None => a.0.cmp(&b.0),
        Some(o) => o,
    }
}

impl ZSet {
    /// An empty listpack-encoded set.
    pub fn new_listpack() -> ZSet {
        ZSet::default()
    }

    /// An empty skiplist-encoded set, seeded from `rng`.
    pub fn new_skiplist(rng: &mut Rng) -> ZSet {
        ZSet::SkipList(Box::new(SkipList::new(rng.next_u64())))
    }

    /// The empty set ZADD creates for a missing key, chosen by the first
    /// member's length as Redis 7.0 does.
    pub fn for_add(first_member_len: usize, limits: &ZsetLimits, rng: &mut Rng) -> ZSet {
        if limits.max_listpack_entries == 0 || limits.max_listpack_value < first_member_len {
            ZSet::new_skiplist(rng)
        } else {
            ZSet::new_listpack()
        }
    }

    /// A set holding `entries` (distinct members), encoded by its size: the
    /// result of a *STORE command.
    pub fn from_entries(
        mut entries: Vec<(Vec<u8>, f64)>,
        limits: &ZsetLimits,
        rng: &mut Rng,
    ) -> ZSet {
        let longest = entries.iter().map(|e| e.0.len()).max().unwrap_or(0);
        let total: usize = entries.iter().map(|e| e.0.len()).sum();
        let small = entries.len() <= limits.max_listpack_entries
            && longest <= limits.max_listpack_value
            && total <= crate::listpack::MAX_SAFETY_SIZE;
        if small {
            entries.sort_by(pair_order);
            let mut lp = Listpack::new();
            for (member, score) in &entries {
                lp.push_back(member);
                lp.push_back(range::score_to_listpack_text(*score).as_bytes());
            }
            ZSet::Listpack(lp)
        } else {
            let mut list = SkipList::new(rng.next_u64());
            for (member, score) in entries {
                list.insert(score, member.into_boxed_slice());
            }
            ZSet::SkipList(Box::new(list))
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::SkipList(s) => s.len(),
        }
    }

    /// True when empty (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::SkipList(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => small::find(lp, member).map(|(_, s)| s),
            ZSet::SkipList(s) => s.score(member),
        }
    }

    /// `zsetConvert` to a skiplist.
    fn convert_to_skiplist(&mut self, rng: &mut Rng) {
        if let ZSet::Listpack(lp) = self {
            let mut list = SkipList::new(rng.next_u64());
            for p in small::pairs(lp) {
                list.insert(p.score, p.member.to_vec().into_boxed_slice());
            }
            *self = ZSet::SkipList(Box::new(list));
        }
    }

    /// `zsetAdd`: adds or updates `member` under ZADD's `flags`, converting the
    /// encoding when the new member passes a threshold.
    pub fn add(
        &mut self,
        member: &[u8],
        score: f64,
        flags: AddFlags,
        limits: &ZsetLimits,
        rng: &mut Rng,
    ) -> AddOutcome {
        if score.is_nan() {
            return AddOutcome::NotANumber;
        }
        // Where the member is, so that an update needs no second lookup.
        let found = match self {
            ZSet::Listpack(lp) => small::find(lp, member),
            ZSet::SkipList(s) => s.find(member).map(|x| (x as usize, s.node_score(x))),
        };
        let Some((at, current)) = found else {
            if flags.xx {
                return AddOutcome::Skipped;
            }
            if let ZSet::Listpack(lp) = self {
                let too_big = lp.len() / 2 + 1 > limits.max_listpack_entries
                    || member.len() > limits.max_listpack_value
                    || !lp.safe_to_add(member.len());
                if too_big {
                    self.convert_to_skiplist(rng);
                }
            }
            match self {
                ZSet::Listpack(lp) => small::insert(lp, member, score),
                ZSet::SkipList(s) => s.insert(score, member.into()),
            }
            return AddOutcome::Added(score);
        };
        if flags.nx {
            return AddOutcome::Skipped;
        }
        let mut new = score;
        if flags.incr {
            new += current;
            if new.is_nan() {
                return AddOutcome::NotANumber;
            }
        }
        if (flags.lt && new >= current) || (flags.gt && new <= current) {
            return AddOutcome::Skipped;
        }
        if new == current {
            return AddOutcome::Unchanged(new);
        }
        match self {
            ZSet::Listpack(lp) => {
                small::delete(lp, at);
                small::insert(lp, member, new);
            }
            ZSet::SkipList(s) => s.update_node_score(at as u32, new),
        }
        AddOutcome::Updated(new)
    }

    /// Removes `member`; true when it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match small::find(lp, member) {
                Some((i, _)) => {
                    small::delete(lp, i);
                    true
                }
                None => false,
            },
            ZSet::SkipList(s) => s.remove(member).is_some(),
        }
    }

    /// 0-based rank of `member`, from the lowest score (or the highest).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let rank = match self {
            ZSet::Listpack(lp) => small::find(lp, member).map(|(i, _)| i),
            ZSet::SkipList(s) => s.rank(member),
        }?;
        Some(if reverse { self.len() - 1 - rank } else { rank })
    }

    /// Normalises Redis-style indexes (negative from the end) to a valid
    /// inclusive 0-based range, or None when it is empty.
    pub fn clamp_rank_range(&self, start: i64, end: i64) -> Option<(usize, usize)> {
        let len = self.len() as i64;
        let mut start = if start < 0 {
            len.saturating_add(start)
        } else {
            start
        };
        let mut end = if end < 0 {
            len.saturating_add(end)
        } else {
            end
        };
        start = start.max(0);
        if start > end || start >= len {
            return None;
        }
        end = end.min(len - 1);
        Some((start as usize, end as usize))
    }

    /// Calls `f` for ranks `start..=end` (from [`ZSet::clamp_rank_range`]).
    pub fn range_by_rank(
        &self,
        start: usize,
        end: usize,
        reverse: bool,
        f: &mut dyn FnMut(&[u8], f64),
    ) {
        match self {
            ZSet::Listpack(lp) => small::range_by_rank(lp, start, end, reverse, f),
            ZSet::SkipList(s) => s.range_by_rank(start, end, reverse, f),
        }
    }

    /// Calls `f` for elements in a score range, skipping `offset` and stopping
    /// after `limit` (negative: no limit); returns the count emitted.
    pub fn range_by_score(
        &self,
        r: &ScoreRange,
        reverse: bool,
        offset: i64,
        limit: i64,
        f: &mut dyn FnMut(&[u8], f64),
    ) -> usize {
        if offset > 0 && offset as u64 >= self.len() as u64 {
            return 0;
        }
        match self {
            ZSet::Listpack(lp) => small::range_by_score(lp, r, reverse, (offset, limit), f),
            ZSet::SkipList(s) => s.range_by_score(r, reverse, offset, limit, f),
        }
    }

    /// Like [`ZSet::range_by_score`] for a lex range.
    pub fn range_by_lex(
        &self,
        r: &LexRange,
        reverse: bool,
        offset: i64,
        limit: i64,
        f: &mut dyn FnMut(&[u8], f64),
    ) -> usize {
        if offset > 0 && offset as u64 >= self.len() as u64 {
            return 0;
        }
        match self {
            ZSet::Listpack(lp) => small::range_by_lex(lp, r, reverse, (offset, limit), f),
            ZSet::SkipList(s) => s.range_by_lex(r, reverse, offset, limit, f),
        }
    }

    /// ZCOUNT.
    pub fn count_by_score(&self, r: &ScoreRange) -> usize {
        match self {
            ZSet::Listpack(lp) => small::count_by_score(lp, r),
            ZSet::SkipList(s) => s.count_by_score(r),
        }
    }

    /// ZLEXCOUNT.
    pub fn count_by_lex(&self, r: &LexRange) -> usize {
        match self {
            ZSet::Listpack(lp) => small::count_by_lex(lp, r),
            ZSet::SkipList(s) => s.count_by_lex(r),
        }
    }

    /// ZREMRANGEBYRANK over a range from [`ZSet::clamp_rank_range`].
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        match self {
            ZSet::Listpack(lp) => {
                lp.remove_range(2 * start, 2 * (end - start + 1));
                end - start + 1
            }
            ZSet::SkipList(s) => s.remove_range_by_rank(start, end),
        }
    }

    /// ZREMRANGEBYSCORE.
    pub fn remove_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match self {
            ZSet::Listpack(lp) => small::remove_range_by_score(lp, r),
            ZSet::SkipList(s) => s.remove_range_by_score(r),
        }
    }

    /// ZREMRANGEBYLEX.
    pub fn remove_range_by_lex(&mut self, r: &LexRange) -> usize {
        match self {
            ZSet::Listpack(lp) => small::remove_range_by_lex(lp, r),
            ZSet::SkipList(s) => s.remove_range_by_lex(r),
        }
    }

    /// Removes and returns the lowest-ranked element (or the highest).
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        match self {
            ZSet::Listpack(lp) => {
                let n = lp.len() / 2;
                let i = if max { n.checked_sub(1)? } else { 0 };
                let out = small::pairs(lp)
                    .get(i)
                    .map(|p| (p.member.to_vec(), p.score))?;
                small::delete(lp, i);
                Some(out)
            }
            ZSet::SkipList(s) => s.pop(max).map(|(m, sc)| (m.into_vec(), sc)),
        }
    }

    /// Calls `f` for every element in ascending order.
    pub fn for_each(&self, f: &mut dyn FnMut(&[u8], f64)) {
        match self {
            ZSet::Listpack(lp) => {
                for p in small::pairs(lp) {
                    small::with_bytes(&p.member, |m| f(m, p.score));
                }
            }
            ZSet::SkipList(s) => s.iter().for_each(|(m, sc)| f(m, sc)),
        }
    }

    /// All elements in ascending order, owned.
    pub fn to_entries(&self) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(&mut |m, s| out.push((m.to_vec(), s)));
        out
    }

    /// The element at a 0-based ascending rank.
    fn entry_at(&self, rank: usize) -> Option<(Vec<u8>, f64)> {
        match self {
            ZSet::Listpack(lp) => small::pairs(lp)
                .get(rank)
                .map(|p| (p.member.to_vec(), p.score)),
            ZSet::SkipList(s) => s.get_by_rank(rank).map(|(m, sc)| (m.to_vec(), sc)),
        }
    }

    /// One uniformly random element (ZRANDMEMBER without a count).
    pub fn random_entry(&self, rng: &mut Rng) -> Option<(Vec<u8>, f64)> {
        let len = self.len() as u64;
        if len == 0 {
            return None;
        }
        self.entry_at(rng.below(len) as usize)
    }

    /// `count` distinct random elements (ZRANDMEMBER with a positive count
    /// smaller than the set): a partial shuffle when the count is a large
    /// share of the set, rejection sampling of ranks otherwise (Redis's
    /// CASE 3 and CASE 4).
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<(Vec<u8>, f64)> {
        let len = self.len();
        let count = count.min(len);
        if count.saturating_mul(3) > len {
            let mut all = self.to_entries();
            for i in 0..count {
                let j = i + rng.below((len - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            return all;
        }
        let mut seen = HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let rank = rng.below(len as u64) as usize;
            if seen.insert(rank) {
                out.extend(self.entry_at(rank));
            }
        }
        out
    }

    /// One ZSCAN call: a listpack replies everything with cursor 0 (scores as
    /// stored), a skiplist walks its index as `dictScan` does, up to about
    /// `count` elements (scores as `%.17g`). `f` gets (member, score text).
    pub fn scan(&self, cursor: u64, count: usize, f: &mut dyn FnMut(&[u8], &[u8])) -> u64 {
        match self {
            ZSet::Listpack(lp) => {
                for p in small::pairs(lp) {
                    small::with_bytes(&p.member, |m| {
                        small::with_bytes(&p.score_entry, |s| f(m, s))
                    });
                }
                0
            }
            ZSet::SkipList(s) => {
                let mut cursor = cursor;
                let mut found = 0usize;
                // Redis doubles COUNT for (member, score) pairs and allows ten
                // empty buckets per wanted item, so sparse tables stay cheap.
                let mut iterations = count.saturating_mul(20);
                loop {
                    cursor = s.scan_step(cursor, &mut |m, sc| {
                        f(m, resp::double_text(sc).as_bytes());
                        found += 1;
                    });
                    if cursor == 0 || iterations == 0 || found >= count {
                        break;
                    }
                    iterations -= 1;
                }
                cursor
            }
        }
    }

    /// Mixes the contents into a DEBUG DIGEST as Redis's `xorObjectDigest`
    /// does: per element SHA1-mix the member then the `%.17g` score into a
    /// fresh digest, and XOR the SHA1 of that in (so order does not matter).
    pub fn digest_into(&self, digest: &mut Digest20) {
        self.for_each(&mut |member, score| {
            let mut element = [0u8; 20];
            mix_digest(&mut element, member);
            mix_digest(&mut element, resp::double_text(score).as_bytes());
            xor_digest(digest, &element);
        });
    }
}
