//! Edits inside a quicklist: LINSERT, LSET, LREM, LTRIM and range deletion,
//! LPOS's search, and the node split and merge of `quicklist.c`.
//!
//! Inserting into a full node is the interesting case (`_quicklistInsert`):
//! at a node's edge the element goes to the neighbour if that has room, or into
//! a new node between them; in the middle the node is split at the pivot, the
//! element joins the piece on its side, and `_quicklistMergeNodes` then merges
//! neighbouring nodes that fit together again, so a list edited in the middle
//! does not decay into many tiny nodes.

use super::{fits, single, End, List, MERGE_SAVING};
use crate::listpack::Listpack;

impl List {
    /// Inserts `e` next to the element at position `index` (after it when
    /// `after`), following `_quicklistInsert`. No-op when `index` is out of range.
    pub fn insert_at(&mut self, index: usize, after: bool, e: &[u8]) {
        let Some((n, offset)) = self.locate(index) else {
            return;
        };
        let Some(node) = self.nodes.get(n) else {
            return;
        };
        let node_len = node.len();
        let full = !self.allow_insert(Some(node), e.len());
        let at_tail = after && offset + 1 == node_len;
        let at_head = !after && offset == 0;
        let avail_next = at_tail && self.allow_insert(self.nodes.get(n + 1), e.len());
        let avail_prev = at_head && n > 0 && self.allow_insert(self.nodes.get(n - 1), e.len());
        self.count += 1;
        if !full {
            if let Some(lp) = self.nodes.get_mut(n) {
                lp.insert(offset + usize::from(after), e);
            }
        } else if avail_next {
            if let Some(lp) = self.nodes.get_mut(n + 1) {
                lp.push_front(e);
            }
        } else if avail_prev {
            if let Some(lp) = self.nodes.get_mut(n - 1) {
                lp.push_back(e);
            }
        } else if at_tail || at_head {
            self.nodes.insert(n + usize::from(after), single(e));
        } else {
            self.split_insert(n, offset, after, e);
        }
    }

    /// Splits full node `n` at `offset` and puts `e` on the new piece, then
    /// merges around the old node (`_quicklistSplitNode` + `_quicklistMergeNodes`).
    fn split_insert(&mut self, n: usize, offset: usize, after: bool, e: &[u8]) {
        let Some(node) = self.nodes.get_mut(n) else {
            return;
        };
        let len = node.len();
        let mut piece = node.clone();
        if after {
            // node keeps [0, offset], piece takes (offset, end] plus e in front.
            node.remove_range(offset + 1, len - offset - 1);
            piece.remove_range(0, offset + 1);
            piece.push_front(e);
            self.nodes.insert(n + 1, piece);
            self.merge_around(n);
        } else {
            // piece takes [0, offset) plus e at its end, node keeps [offset, end].
            node.remove_range(0, offset);
            piece.remove_range(offset, len - offset);
            piece.push_back(e);
            self.nodes.insert(n, piece);
            self.merge_around(n + 1);
        }
    }

    /// True when nodes `a` and `a + 1` may become one (`_quicklistNodeAllowMerge`).
    fn allow_merge(&self, a: usize) -> bool {
        match (self.nodes.get(a), self.nodes.get(a + 1)) {
            (Some(x), Some(y)) => {
                let bytes = (x.bytes_len() + y.bytes_len()).saturating_sub(MERGE_SAVING);
                fits(self.fill, bytes, x.len() + y.len())
            }
            _ => false,
        }
    }

    /// Joins node `a + 1` onto node `a` (`lpMerge`).
    fn merge(&mut self, a: usize) {
        let Some(right) = self.nodes.remove(a + 1) else {
            return;
        };
        let Some(left) = self.nodes.get_mut(a) else {
            return;
        };
        *left = concat(left, &right);
    }

    /// `_quicklistMergeNodes`: tries (prev-prev, prev), (next, next-next),
    /// (prev, center), then (center or its merge, next).
    fn merge_around(&mut self, center: usize) {
        let mut c = center;
        if c >= 2 && self.allow_merge(c - 2) {
            self.merge(c - 2);
            c -= 1;
        }
        if self.allow_merge(c + 1) {
            self.merge(c + 1);
        }
        if c >= 1 && self.allow_merge(c - 1) {
            self.merge(c - 1);
            c -= 1;
        }
        if self.allow_merge(c) {
            self.merge(c);
        }
    }

    /// LINSERT: inserts `e` before or after the first element equal to
    /// `pivot`, scanning from the head. Returns the new length, or None when
    /// the pivot is missing.
    pub fn insert(&mut self, pivot: &[u8], e: &[u8], after: bool) -> Option<usize> {
        let mut skipped = 0;
        let mut found = None;
        for lp in &self.nodes {
            if let Some(i) = lp.find(pivot, 0, 1) {
                found = Some(skipped + i);
                break;
            }
            skipped += lp.len();
        }
        self.insert_at(found?, after, e);
        Some(self.count)
    }

    /// LSET: replaces the element at a Redis index; false when out of range.
    ///
    /// Redis 7.0 rewrites the entry in place whatever its size; here a
    /// replacement that would overflow a node with other elements goes through
    /// insert-after + delete instead (as Redis 7.2 does), so nodes keep their caps.
    pub fn set(&mut self, index: i64, e: &[u8]) -> bool {
        let Some(pos) = self.resolve_index(index) else {
            return false;
        };
        let Some((n, offset)) = self.locate(pos) else {
            return false;
        };
        let Some(lp) = self.nodes.get_mut(n) else {
            return false;
        };
        let old_len = lp.get(offset).map_or(0, |x| x.byte_len());
        let bytes = (lp.bytes_len() + e.len()).saturating_sub(old_len);
        if lp.len() == 1 || fits(self.fill, bytes, lp.len()) {
            lp.replace(offset, e);
        } else {
            self.insert_at(pos, true, e);
            self.delete_range(pos, 1);
        }
        true
    }

    /// Deletes `n` elements from position `start` on (`quicklistDelRange`),
    /// dropping whole nodes without touching their bytes. Returns how many went.
    pub fn delete_range(&mut self, start: usize, n: usize) -> usize {
        let n = n.min(self.count.saturating_sub(start));
        let Some((mut node, mut offset)) = self.locate(start) else {
            return 0;
        };
        let mut left = n;
        while left > 0 {
            let Some(lp) = self.nodes.get_mut(node) else {
                break;
            };
            let len = lp.len();
            let take = left.min(len - offset);
            if take == len {
                self.nodes.remove(node);
            } else {
                lp.remove_range(offset, take);
                node += 1;
            }
            left -= take;
            offset = 0;
        }
        self.count -= n - left;
        n - left
    }

    /// LTRIM: keeps positions `start..=stop` of the Redis indexes (negative from
    /// the tail); an empty range empties the list. Returns how many went.
    pub fn trim(&mut self, start: i64, stop: i64) -> usize {
        let len = self.count;
        let (ltrim, rtrim) = match super::resolve_range(start, stop, len) {
            Some((s, e)) => (s, len - e - 1),
            None => (len, 0),
        };
        let removed = self.delete_range(0, ltrim);
        removed + self.delete_range(self.count - rtrim, rtrim)
    }

    /// LREM: removes elements equal to `e`, the first `count` from the head
    /// (count > 0), the last `-count` from the tail (count < 0), or all (0).
    /// Returns how many went.
    pub fn remove_matching(&mut self, count: i64, e: &[u8]) -> usize {
        let from_tail = count < 0;
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        for n in order {
            if removed == limit {
                break;
            }
            let Some(lp) = self.nodes.get_mut(n) else {
                continue;
            };
            let mut hits: Vec<usize> = lp
                .iter()
                .enumerate()
                .filter(|(_, x)| x.eq_bytes(e))
                .map(|(i, _)| i)
                .collect();
            let room = limit - removed;
            if hits.len() > room {
                // Keep the hits nearest the end the scan starts from.
                if from_tail {
                    hits.drain(..hits.len() - room);
                } else {
                    hits.truncate(room);
                }
            }
            // Highest index first, so the lower ones stay valid.
            for &i in hits.iter().rev() {
                lp.remove(i);
            }
            removed += hits.len();
        }
        self.nodes.retain(|lp| !lp.is_empty());
        self.count -= removed;
        removed
    }

    /// LPOS: positions of elements equal to `e`, skipping the first `rank - 1`
    /// matches (a negative rank scans from the tail), at most `limit` of them
    /// (0: all), looking at no more than `maxlen` elements (0: all).
    pub fn positions(&self, e: &[u8], rank: i64, limit: usize, maxlen: usize) -> Vec<usize> {
        let towards = if rank < 0 { End::Head } else { End::Tail };
        let start = if rank < 0 {
            self.count.saturating_sub(1)
        } else {
            0
        };
        let skip = rank.unsigned_abs().saturating_sub(1);
        let scan = if maxlen == 0 {
            self.count
        } else {
            maxlen.min(self.count)
        };
        let mut matches: u64 = 0;
        let mut out = Vec::new();
        for (k, x) in self.walk(start, towards).take(scan).enumerate() {
            if !x.eq_bytes(e) {
                continue;
            }
            matches += 1;
            if matches <= skip {
                continue;
            }
            out.push(if rank < 0 { self.count - 1 - k } else { k });
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
        out
    }
}

/// One listpack holding `a`'s elements then `b`'s. Entries are self-contained
/// (each backlen covers only its own entry), so the bytes concatenate; the
/// result is validated, with an element-by-element copy as the fallback.
fn concat(a: &Listpack, b: &Listpack) -> Listpack {
    const HEADER: usize = 6;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let body_a = x.get(HEADER..x.len().saturating_sub(1)).unwrap_or_default();
    let body_b = y.get(HEADER..y.len().saturating_sub(1)).unwrap_or_default();
    let total = HEADER + body_a.len() + body_b.len() + 1;
    let count = u16::try_from(a.len() + b.len()).unwrap_or(u16::MAX);
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(body_a);
    bytes.extend_from_slice(body_b);
    bytes.push(0xFF);
    Listpack::from_bytes(&bytes).unwrap_or_else(|| {
        let mut out = a.clone();
        for e in b.iter() {
            out.push_back(&e.to_vec());
        }
        out
    })
}
