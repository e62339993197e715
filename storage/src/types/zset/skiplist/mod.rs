//! The large encoding of a sorted set: a skiplist with spans plus a member
//! index (Redis's `zskiplist` + `dict` pair from `t_zset.c`), in safe Rust.
//!
//! Redis's skiplist is William Pugh's, with two additions: every forward link
//! records its `span` (how many nodes it jumps over), so the rank of a node is
//! the sum of the spans crossed on the way down, and every node has a
//! `backward` link for reverse walks. Nodes are ordered by (score, member),
//! members compared as bytes (`sdscmp`). A node gets level `k` with
//! probability 0.25^(k-1), at most 32 levels.
//!
//! Here the nodes live in an arena, a `Vec<Node>` addressed by `u32`: links are
//! indexes, node 0 is the header, and freed slots form a free list threaded
//! through their `chain` field. No `unsafe`, no reference counting per node.
//! The member index (Redis's `dict` from member to score) is intrusive: a
//! power-of-two bucket array of node indexes whose chains run through the same
//! `chain` field, hashed with SipHash-1-2 under a per-set key. Because it is a
//! single chained table, ZSCAN can use Redis's reverse-binary cursor
//! (`dictScan`), which visits every member present for the whole scan even if
//! the table grows or shrinks between calls.
//!
//! Randomness (levels, and the index's hash key) comes from a generator seeded
//! by the caller, so a run replays exactly.

use std::cmp::Ordering;

mod ranges;

use crate::hash::{siphash12, HashKey};
use crate::Rng;

/// Most levels a node can have (`ZSKIPLIST_MAXLEVEL`).
pub const MAX_LEVEL: usize = 32;
/// "No node".
pub(super) const NIL: u32 = u32::MAX;
/// The header node's index.
pub(super) const HEADER: u32 = 0;
/// Smallest member-index table once it exists (`DICT_HT_INITIAL_SIZE`).
const MIN_BUCKETS: usize = 4;

/// One forward link and the number of nodes it spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Level {
    forward: u32,
    span: u32,
}

const EMPTY_LEVEL: Level = Level {
    forward: NIL,
    span: 0,
};

/// Levels stored inside the node. A node has more than three levels with
/// probability 1/64, so nearly every descent step reads one cache line: the
/// node's score and its links sit together (Redis gets the same from its
/// flexible `level[]` array).
const INLINE_LEVELS: usize = 3;
/// Levels of an overflow block, for nodes taller than `INLINE_LEVELS`.
const EXT_LEVELS: usize = MAX_LEVEL - INLINE_LEVELS;

/// A node: 64 bytes, one cache line.
#[derive(Clone, Debug)]
#[repr(align(64))]
pub(super) struct Node {
    member: Box<[u8]>,
    score: f64,
    backward: u32,
    /// Next node in the same index bucket, or next free slot.
    chain: u32,
    levels: [Level; INLINE_LEVELS],
    /// Index of this node's overflow block in `SkipList::ext`, or NIL.
    ext: u32,
    /// Number of levels, kept when a score update moves the node.
    height: u8,
}

impl Node {
    /// Forward link at level 0.
    pub(super) fn next0(&self) -> u32 {
        self.levels[0].forward
    }

    #[cfg(test)]
    fn height(&self) -> usize {
        usize::from(self.height)
    }
}

/// A sorted set's skiplist and member index.
#[derive(Clone, Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: u32,
    /// Overflow levels of tall nodes (the header's among them).
    ext: Vec<[Level; EXT_LEVELS]>,
    /// Free blocks of `ext`.
    ext_free: Vec<u32>,
    tail: u32,
    level: usize,
    length: usize,
    buckets: Vec<u32>,
    hash_key: HashKey,
    rng: Rng,
}

/// Compares (score, member) pairs as the skiplist orders them.
fn order(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a_member.cmp(b_member),
        Some(o) => o,
    }
}

impl SkipList {
    /// An empty skiplist whose levels and hash key come from `seed`.
    pub fn new(seed: u64) -> SkipList {
        let mut rng = Rng::seeded(seed);
        let hash_key = HashKey {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        };
        let header = Node {
            member: Box::default(),
            score: 0.0,
            backward: NIL,
            chain: NIL,
            levels: [EMPTY_LEVEL; INLINE_LEVELS],
            ext: 0,
            height: MAX_LEVEL as u8,
        };
        SkipList {
            nodes: vec![header],
            free: NIL,
            ext: vec![[EMPTY_LEVEL; EXT_LEVELS]],
            ext_free: Vec::new(),
            tail: NIL,
            level: 1,
            length: 0,
            buckets: Vec::new(),
            hash_key,
            rng,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.length
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    pub(super) fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn node_mut(&mut self, i: u32) -> &mut Node {
        &mut self.nodes[i as usize]
    }

    /// Link `i` of node `x`.
    #[inline]
    fn level(&self, x: u32, i: usize) -> Level {
        let n = self.node(x);
        if i < INLINE_LEVELS {
            n.levels[i]
        } else {
            self.ext[n.ext as usize][i - INLINE_LEVELS]
        }
    }

    /// Link `i` of node `x`, mutably.
    #[inline]
    fn level_mut(&mut self, x: u32, i: usize) -> &mut Level {
        let n = &mut self.nodes[x as usize];
        if i < INLINE_LEVELS {
            &mut n.levels[i]
        } else {
            &mut self.ext[n.ext as usize][i - INLINE_LEVELS]
        }
    }

    pub(super) fn forward(&self, x: u32, i: usize) -> u32 {
        self.level(x, i).forward
    }

    /// `zslRandomLevel`: one 64-bit draw gives 32 two-bit trials of p = 1/4.
    fn random_level(&mut self) -> usize {
        let bits = self.rng.next_u64();
        let mut level = 1;
        while level < MAX_LEVEL && (bits >> (2 * (level - 1))) & 3 == 0 {
            level += 1;
        }
        level
    }

    // ---- member index ----

    fn bucket_of(&self, member: &[u8]) -> usize {
        (siphash12(self.hash_key, member) as usize) & (self.buckets.len() - 1)
    }

    /// The node holding `member`.
    pub(super) fn find(&self, member: &[u8]) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut x = self.buckets[self.bucket_of(member)];
        while x != NIL {
            let node = self.node(x);
            if &*node.member == member {
                return Some(x);
            }
            x = node.chain;
        }
        None
    }

    fn index_link(&mut self, x: u32) {
        let b = self.bucket_of(&self.node(x).member);
        let head = self.buckets[b];
        self.node_mut(x).chain = head;
        self.buckets[b] = x;
    }

    fn index_unlink(&mut self, x: u32) {
        let b = self.bucket_of(&self.node(x).member);
        let next = self.node(x).chain;
        if self.buckets[b] == x {
            self.buckets[b] = next;
            return;
        }
        let mut p = self.buckets[b];
        while p != NIL {
            let after = self.node(p).chain;
            if after == x {
                self.node_mut(p).chain = next;
                return;
            }
            p = after;
        }
    }

    /// Grows at load factor 1 and shrinks under 10% (Redis's dict policy),
    /// rehashing at once: a sorted set's index is small next to its nodes.
    /// Returns true when it rebuilt the table (which links every listed node).
    fn index_resize_if_needed(&mut self) -> bool {
        let size = self.buckets.len();
        let grow = self.length > size;
        let shrink = size > MIN_BUCKETS && self.length * 10 < size;
        if !grow && !shrink {
            return false;
        }
        let want = self.length.next_power_of_two().max(MIN_BUCKETS);
        self.buckets = vec![NIL; want];
        let mut x = self.forward(HEADER, 0);
        while x != NIL {
            self.index_link(x);
            x = self.forward(x, 0);
        }
        true
    }

    // ---- nodes ----

    fn alloc_node(&mut self, member: Box<[u8]>, score: f64, level: usize) -> u32 {
        let ext = if level > INLINE_LEVELS {
            match self.ext_free.pop() {
                Some(b) => {
                    self.ext[b as usize] = [EMPTY_LEVEL; EXT_LEVELS];
                    b
                }
                None => {
                    self.ext.push([EMPTY_LEVEL; EXT_LEVELS]);
                    (self.ext.len() - 1) as u32
                }
            }
        } else {
            NIL
        };
        let node = Node {
            member,
            score,
            backward: NIL,
            chain: NIL,
            levels: [EMPTY_LEVEL; INLINE_LEVELS],
            ext,
            height: level as u8,
        };
        if self.free != NIL {
            let x = self.free;
            self.free = self.node(x).chain;
            *self.node_mut(x) = node;
            x
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn free_node(&mut self, x: u32) -> (Box<[u8]>, f64) {
        let free = self.free;
        let node = self.node_mut(x);
        let member = std::mem::take(&mut node.member);
        let score = node.score;
        let ext = std::mem::replace(&mut node.ext, NIL);
        node.chain = free;
        self.free = x;
        if ext != NIL {
            self.ext_free.push(ext);
        }
        (member, score)
    }

    /// Score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|x| self.node(x).score)
    }

    /// `zslInsert` plus the index: adds a member known to be absent.
    pub fn insert(&mut self, score: f64, member: Box<[u8]>) {
        let level = self.random_level();
        let x = self.alloc_node(member, score, level);
        self.link(x);
        // A rebuilt table already holds `x`, which is in the list by now.
        if !self.index_resize_if_needed() {
            self.index_link(x);
        }
    }

    /// Links the unlinked node `x` into every level it has, at the place its
    /// (score, member) sorts: `zslInsert` for a node that already exists.
    fn link(&mut self, x: u32) {
        let (mut update, mut rank) = {
            let node = self.node(x);
            self.predecessors(node.score, &node.member)
        };
        let level = usize::from(self.node(x).height);
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEADER;
                let length = self.length as u32;
                self.level_mut(HEADER, i).span = length;
            }
            self.level = level;
        }
        for i in 0..level {
            let up = self.level(update[i], i);
            let crossed = (rank[0] - rank[i]) as u32;
            *self.level_mut(x, i) = Level {
                forward: up.forward,
                span: up.span - crossed,
            };
            *self.level_mut(update[i], i) = Level {
                forward: x,
                span: crossed + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.level_mut(u, i).span += 1;
        }
        self.node_mut(x).backward = if update[0] == HEADER { NIL } else { update[0] };
        let next = self.forward(x, 0);
        if next != NIL {
            self.node_mut(next).backward = x;
        } else {
            self.tail = x;
        }
        self.length += 1;
    }

    /// The `update` vector of a descent to just before (score, member).
    fn find_update(&self, score: f64, member: &[u8]) -> [u32; MAX_LEVEL] {
        self.predecessors(score, member).0
    }

    /// Descends to just before (score, member): per level, the last node
    /// that sorts before it (`update`) and that node's rank.
    fn predecessors(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u64; MAX_LEVEL]) {
        let mut update = [HEADER; MAX_LEVEL];
        let mut rank = [0u64; MAX_LEVEL];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let next = self.forward(x, i);
                if next == NIL {
                    break;
                }
                let n = self.node(next);
                if order(n.score, &n.member, score, member) != Ordering::Less {
                    break;
                }
                rank[i] += u64::from(self.level(x, i).span);
                x = next;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// `zslDeleteNode`: unlinks `x` from the list (not from the index).
    fn delete_node(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.level(u, i);
            if ul.forward == x {
                let xl = self.level(x, i);
                *self.level_mut(u, i) = Level {
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                };
            } else {
                self.level_mut(u, i).span -= 1;
            }
        }
        let (next, back) = (self.forward(x, 0), self.node(x).backward);
        if next != NIL {
            self.node_mut(next).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.forward(HEADER, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.length -= 1;
    }

    /// Unlinks and frees `x` everywhere, returning its member and score.
    pub(super) fn remove_node(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> (Box<[u8]>, f64) {
        self.delete_node(x, update);
        self.index_unlink(x);
        self.free_node(x)
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let x = self.find(member)?;
        let score = self.node(x).score;
        let update = self.find_update(score, member);
        let (_, score) = self.remove_node(x, &update);
        self.after_removals();
        Some(score)
    }

    /// Keeps memory proportional to the contents after removals: the index
    /// shrinks, and an arena three-quarters free is rebuilt compactly.
    pub(super) fn after_removals(&mut self) {
        if self.nodes.len() > 64 && self.length * 4 < self.nodes.len() {
            let mut fresh = SkipList::new(self.rng.next_u64());
            let mut x = self.forward(HEADER, 0);
            while x != NIL {
                let next = self.forward(x, 0);
                let (member, score) = self.free_node(x);
                fresh.insert(score, member);
                x = next;
            }
            *self = fresh;
        } else {
            self.index_resize_if_needed();
        }
    }

    /// Score of the node `x` (from [`SkipList::find`]).
    pub(super) fn node_score(&self, x: u32) -> f64 {
        self.node(x).score
    }

    /// `zslUpdateScore`: moves node `x` (from [`SkipList::find`]) to
    /// `new_score`, in place when its neighbours allow. A moved node keeps
    /// its slot, its member and its index entry (the member did not change),
    /// and its height: levels are drawn independently of scores, so the
    /// list's shape stays as random as a fresh insert would leave it.
    pub(super) fn update_node_score(&mut self, x: u32, new_score: f64) {
        let node = self.node(x);
        let (back, next) = (node.backward, node.next0());
        let back_ok = back == NIL || self.node(back).score < new_score;
        let next_ok = next == NIL || self.node(next).score > new_score;
        if back_ok && next_ok {
            self.node_mut(x).score = new_score;
            return;
        }
        let update = self.find_update(node.score, &node.member);
        self.delete_node(x, &update);
        self.node_mut(x).score = new_score;
        self.link(x);
    }

    /// 1-based rank of the node holding (score, member) (`zslGetRank`), or 0.
    pub(super) fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let next = self.forward(x, i);
                if next == NIL {
                    break;
                }
                let n = self.node(next);
                if order(n.score, &n.member, score, member) == Ordering::Greater {
                    break;
                }
                rank += self.level(x, i).span as usize;
                x = next;
            }
            if x != HEADER && &*self.node(x).member == member {
                return rank;
            }
        }
        0
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        self.rank_of(score, member).checked_sub(1)
    }

    /// `zslGetElementByRank` with a 1-based rank.
    pub(super) fn node_by_rank(&self, rank: usize) -> u32 {
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = self.level(x, i);
                if l.forward == NIL || traversed + l.span as usize > rank {
                    break;
                }
                traversed += l.span as usize;
                x = l.forward;
            }
            if traversed == rank {
                return x;
            }
        }
        NIL
    }

    /// Element at a 0-based ascending rank.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        let x = self.node_by_rank(rank + 1);
        (x != NIL && x != HEADER).then(|| {
            let n = self.node(x);
            (&*n.member, n.score)
        })
    }

    /// Removes and returns the lowest (or highest) element.
    pub fn pop(&mut self, max: bool) -> Option<(Box<[u8]>, f64)> {
        let x = if max { self.tail } else { self.first_node() };
        if x == NIL {
            return None;
        }
        // Every level's predecessor of the first node is the header, so popping
        // the minimum needs no descent.
        let update = if max {
            let n = self.node(x);
            self.find_update(n.score, &n.member)
        } else {
            [HEADER; MAX_LEVEL]
        };
        let out = self.remove_node(x, &update);
        self.after_removals();
        Some(out)
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut x = self.first_node();
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let n = self.node(x);
            x = n.next0();
            Some((&*n.member, n.score))
        })
    }

    /// One step of `dictScan` over the member index: calls `f` for the
    /// bucket(s) at `cursor` and returns the next cursor (0: done).
    pub fn scan_step(&self, cursor: u64, f: &mut dyn FnMut(&[u8], f64)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut x = self.buckets[(cursor & mask) as usize];
        while x != NIL {
            let n = self.node(x);
            f(&n.member, n.score);
            x = n.chain;
        }
        // Increment the reversed cursor over the masked bits (Pieter Noordhuis's trick).
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Node levels in rank order, for the tests' structural checks.
    #[cfg(test)]
    pub fn check_invariants(&self) {
        // Every level's spans must add up to the ranks the level-0 walk gives.
        let mut ranks = std::collections::HashMap::new();
        let mut x = self.first_node();
        let mut r = 0usize;
        let mut prev = NIL;
        while x != NIL {
            r += 1;
            ranks.insert(x, r);
            assert_eq!(self.node(x).backward, prev);
            prev = x;
            x = self.forward(x, 0);
        }
        assert_eq!(r, self.length);
        assert_eq!(self.tail, prev);
        for i in 0..self.level {
            let mut x = HEADER;
            let mut rank = 0usize;
            while self.forward(x, i) != NIL {
                let l = self.level(x, i);
                rank += l.span as usize;
                assert_eq!(ranks[&l.forward], rank, "level {i}");
                assert!(self.node(l.forward).height() > i);
                x = l.forward;
            }
        }
        let mut indexed = 0;
        for &head in &self.buckets {
            let mut x = head;
            while x != NIL {
                indexed += 1;
                x = self.node(x).chain;
            }
        }
        assert_eq!(indexed, self.length);
    }
}

impl PartialEq for SkipList {
    fn eq(&self, other: &SkipList) -> bool {
        self.length == other.length
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
    }
}

impl Eq for SkipList {}
