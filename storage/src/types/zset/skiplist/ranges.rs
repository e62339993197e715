//! Range queries and range removals of the skiplist: the score and lex
//! searches (`zslFirstInRange`, `zslLastInLexRange`, ...), ZCOUNT by ranks,
//! LIMIT walks, and `zslDeleteRangeBy*`, kept apart from the node plumbing.

use super::{Node, SkipList, HEADER, MAX_LEVEL, NIL};
use crate::types::zset::range::{LexRange, ScoreRange};

impl SkipList {
    /// Descends while `out_of_range(next)` holds, returning the last node passed.
    fn descend(&self, mut out_of_range: impl FnMut(&Node) -> bool) -> u32 {
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let next = self.forward(x, i);
                if next == NIL || !out_of_range(self.node(next)) {
                    break;
                }
                x = next;
            }
        }
        x
    }

    pub(super) fn first_node(&self) -> u32 {
        self.forward(HEADER, 0)
    }

    /// `zslFirstInRange`.
    fn first_in_score(&self, r: &ScoreRange) -> u32 {
        if !self.in_score_range(r) {
            return NIL;
        }
        let x = self.forward(self.descend(|n| !r.gte_min(n.score)), 0);
        if x == NIL || !r.lte_max(self.node(x).score) {
            return NIL;
        }
        x
    }

    /// `zslLastInRange`.
    fn last_in_score(&self, r: &ScoreRange) -> u32 {
        if !self.in_score_range(r) {
            return NIL;
        }
        let x = self.descend(|n| r.lte_max(n.score));
        if x == HEADER || !r.gte_min(self.node(x).score) {
            return NIL;
        }
        x
    }

    /// `zslIsInRange`.
    fn in_score_range(&self, r: &ScoreRange) -> bool {
        if r.is_empty() || self.tail == NIL {
            return false;
        }
        r.gte_min(self.node(self.tail).score) && r.lte_max(self.node(self.first_node()).score)
    }

    /// `zslIsInLexRange`.
    fn in_lex_range(&self, r: &LexRange) -> bool {
        if r.is_empty() || self.tail == NIL {
            return false;
        }
        r.gte_min(&self.node(self.tail).member) && r.lte_max(&self.node(self.first_node()).member)
    }

    /// `zslFirstInLexRange`.
    fn first_in_lex(&self, r: &LexRange) -> u32 {
        if !self.in_lex_range(r) {
            return NIL;
        }
        let x = self.forward(self.descend(|n| !r.gte_min(&n.member)), 0);
        if x == NIL || !r.lte_max(&self.node(x).member) {
            return NIL;
        }
        x
    }

    /// `zslLastInLexRange`.
    fn last_in_lex(&self, r: &LexRange) -> u32 {
        if !self.in_lex_range(r) {
            return NIL;
        }
        let x = self.descend(|n| r.lte_max(&n.member));
        if x == HEADER || !r.gte_min(&self.node(x).member) {
            return NIL;
        }
        x
    }

    /// Calls `f` for ranks `start..=end` (0-based, valid), ascending or from the top.
    pub fn range_by_rank(
        &self,
        start: usize,
        end: usize,
        reverse: bool,
        f: &mut dyn FnMut(&[u8], f64),
    ) {
        let mut x = if reverse {
            self.node_by_rank(self.length - start)
        } else {
            self.node_by_rank(start + 1)
        };
        for _ in start..=end {
            if x == NIL || x == HEADER {
                break;
            }
            let n = self.node(x);
            f(&n.member, n.score);
            x = if reverse { n.backward } else { n.next0() };
        }
    }

    /// Walks from `x`, skipping `offset` nodes, emitting at most `limit` (<0:
    /// all) while `in_range` holds (`genericZrangebyscoreCommand`'s loops).
    fn walk(
        &self,
        mut x: u32,
        reverse: bool,
        offset: i64,
        limit: i64,
        in_range: &dyn Fn(&Node) -> bool,
        f: &mut dyn FnMut(&[u8], f64),
    ) -> usize {
        let step = |x: u32| {
            let n = self.node(x);
            if reverse {
                n.backward
            } else {
                n.next0()
            }
        };
        // A negative offset never stops before the end, as in Redis's `offset--`.
        let mut skip = if offset < 0 { u64::MAX } else { offset as u64 };
        while x != NIL && skip > 0 {
            x = step(x);
            skip -= 1;
        }
        let mut emitted = 0;
        let mut left = if limit < 0 { u64::MAX } else { limit as u64 };
        while x != NIL && left > 0 {
            let n = self.node(x);
            if !in_range(n) {
                break;
            }
            f(&n.member, n.score);
            emitted += 1;
            left -= 1;
            x = step(x);
        }
        emitted
    }

    /// Elements within a score range, with LIMIT's offset and count.
    pub fn range_by_score(
        &self,
        r: &ScoreRange,
        reverse: bool,
        offset: i64,
        limit: i64,
        f: &mut dyn FnMut(&[u8], f64),
    ) -> usize {
        let above_min = |n: &Node| r.gte_min(n.score);
        let below_max = |n: &Node| r.lte_max(n.score);
        if reverse {
            self.walk(self.last_in_score(r), true, offset, limit, &above_min, f)
        } else {
            self.walk(self.first_in_score(r), false, offset, limit, &below_max, f)
        }
    }

    /// Elements within a lex range, with LIMIT's offset and count.
    pub fn range_by_lex(
        &self,
        r: &LexRange,
        reverse: bool,
        offset: i64,
        limit: i64,
        f: &mut dyn FnMut(&[u8], f64),
    ) -> usize {
        let above_min = |n: &Node| r.gte_min(&n.member);
        let below_max = |n: &Node| r.lte_max(&n.member);
        if reverse {
            self.walk(self.last_in_lex(r), true, offset, limit, &above_min, f)
        } else {
            self.walk(self.first_in_lex(r), false, offset, limit, &below_max, f)
        }
    }

    /// ZCOUNT: from the ranks of the first and last nodes in range.
    pub fn count_by_score(&self, r: &ScoreRange) -> usize {
        let first = self.first_in_score(r);
        if first == NIL {
            return 0;
        }
        let last = self.last_in_score(r);
        self.count_between(first, last)
    }

    /// ZLEXCOUNT.
    pub fn count_by_lex(&self, r: &LexRange) -> usize {
        let first = self.first_in_lex(r);
        if first == NIL {
            return 0;
        }
        let last = self.last_in_lex(r);
        self.count_between(first, last)
    }

    fn count_between(&self, first: u32, last: u32) -> usize {
        let (f, l) = (self.node(first), self.node(last));
        let first_rank = self.rank_of(f.score, &f.member);
        let mut count = self.length - (first_rank - 1);
        if last != NIL {
            count -= self.length - self.rank_of(l.score, &l.member);
        }
        count
    }

    /// Removes while `in_range` holds, from the first node where `before` fails.
    fn delete_while(
        &mut self,
        before: &dyn Fn(&Node) -> bool,
        in_range: &dyn Fn(&Node) -> bool,
    ) -> usize {
        let mut update = [HEADER; MAX_LEVEL];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let next = self.forward(x, i);
                if next == NIL || !before(self.node(next)) {
                    break;
                }
                x = next;
            }
            update[i] = x;
        }
        let mut x = self.forward(x, 0);
        let mut removed = 0;
        while x != NIL && in_range(self.node(x)) {
            let next = self.forward(x, 0);
            self.remove_node(x, &update);
            removed += 1;
            x = next;
        }
        if removed > 0 {
            self.after_removals();
        }
        removed
    }

    /// `zslDeleteRangeByScore`.
    pub fn remove_range_by_score(&mut self, r: &ScoreRange) -> usize {
        self.delete_while(&|n| !r.gte_min(n.score), &|n| r.lte_max(n.score))
    }

    /// `zslDeleteRangeByLex`.
    pub fn remove_range_by_lex(&mut self, r: &LexRange) -> usize {
        self.delete_while(&|n| !r.gte_min(&n.member), &|n| r.lte_max(&n.member))
    }

    /// `zslDeleteRangeByRank` with 0-based inclusive ranks (valid).
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let mut update = [HEADER; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.level(x, i);
                if l.forward == NIL || traversed + l.span as usize > start {
                    break;
                }
                traversed += l.span as usize;
                x = l.forward;
            }
            update[i] = x;
        }
        let mut x = self.forward(x, 0);
        let mut removed = 0;
        let mut rank = start;
        while x != NIL && rank <= end {
            let next = self.forward(x, 0);
            self.remove_node(x, &update);
            removed += 1;
            rank += 1;
            x = next;
        }
        if removed > 0 {
            self.after_removals();
        }
        removed
    }
}
