//! A list (TYPE list) stored as Redis 7.0 stores every list: a quicklist, a
//! deque of listpack nodes (`quicklist.c`), so OBJECT ENCODING is always
//! `quicklist`, even for one element.
//!
//! ```text
//!   nodes: [ lp: a b c ] <-> [ lp: d e ] <-> [ lp: f g h i ]     count = 9
//! ```
//!
//! Why nodes: one listpack for the whole list would make every push at the
//! head a memmove of the whole list; one allocation per element (a linked
//! list) wastes two pointers per element. A quicklist bounds each listpack by
//! `list-max-listpack-size` (the *fill*): a negative fill -1..-5 caps a node's
//! bytes at 4/8/16/32/64 KB, a positive fill caps its element count (and then
//! its bytes at 8 KB, Redis's `SIZE_SAFETY_LIMIT`). The fill is fixed when the
//! list is created, as Redis's `quicklistSetOptions` at key creation: a later
//! CONFIG SET only affects new lists.
//!
//! Costs: push and pop at either end touch one end node, O(1) amortised (a
//! listpack edit copies at most one node). Reaching index `i` skips whole nodes
//! by their element counts from the nearer end, then walks inside one node.
//! LRANGE streams elements node by node without copying the list.
//!
//! Node management follows `_quicklistInsert`: an insertion goes into its node
//! when the node has room, else into the neighbour at that edge, else into a new
//! node; inserting in the middle of a full node splits it and then tries to
//! merge the pieces with their neighbours (`_quicklistMergeNodes`). Deletions
//! only drop nodes that become empty, as Redis 7.0 does.
//!
//! Not mirrored: `list-compress-depth` (LZF compression of inner nodes) is
//! accepted by the config but nodes are never compressed, and "plain" nodes
//! for elements of 1 GB and more do not exist (such an element gets a listpack
//! node of its own).
//!
//! Invariants: no node is empty; `count` is the sum of the nodes' lengths.

use std::collections::VecDeque;

use crate::digest::{mix_digest, Digest20};
use crate::listpack::{Iter as LpIter, Listpack, LpEntry};

mod edit;
#[cfg(test)]
mod tests;

/// One end of a list: Redis's LIST_HEAD / LIST_TAIL, the LEFT / RIGHT of LMOVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (LEFT, index 0).
    Head,
    /// The tail (RIGHT, index -1).
    Tail,
}

/// Byte caps of a node for fills -1..-5 (`optimization_level`).
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte cap of a node when the fill counts elements (`SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's over-estimate of one entry's overhead (`SIZE_ESTIMATE_OVERHEAD`).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Bytes of a listpack's header and end marker that a merge saves (Redis uses 11).
const MERGE_SAVING: usize = 11;

/// A list: a quicklist of listpack nodes.
#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Listpack>,
    count: usize,
    fill: i16,
}

impl PartialEq for List {
    /// Two lists are equal when they hold the same elements (node layout aside).
    fn eq(&self, other: &List) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}

impl Eq for List {}

/// Clamps `list-max-listpack-size` as `quicklistSetFill` does: -5..=32767.
fn clamp_fill(fill: i64) -> i16 {
    fill.clamp(-5, i64::from(i16::MAX)) as i16
}

/// True when a node of `bytes` bytes and `count` elements respects `fill`
/// (the shared test of `_quicklistNodeAllowInsert` and `_quicklistNodeAllowMerge`).
fn fits(fill: i16, bytes: usize, count: usize) -> bool {
    if fill < 0 {
        // clamp_fill keeps -fill in 1..=5, so the level exists.
        let level = SIZE_LEVELS
            .get(usize::from(fill.unsigned_abs()) - 1)
            .copied()
            .unwrap_or(SIZE_SAFETY_LIMIT);
        return bytes <= level;
    }
    bytes <= SIZE_SAFETY_LIMIT && count <= fill as usize
}

impl List {
    /// An empty list whose nodes follow `list-max-listpack-size` = `fill`.
    pub fn new(fill: i64) -> List {
        List {
            nodes: VecDeque::new(),
            count: 0,
            fill: clamp_fill(fill),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when empty (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// OBJECT ENCODING's name: always `quicklist` in Redis 7.0.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// The fill this list was created with (clamped to -5..=32767).
    pub fn fill(&self) -> i16 {
        self.fill
    }

    /// The listpack nodes, head first (what an RDB quicklist record holds).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Listpack> + '_ {
        self.nodes.iter()
    }

    /// Appends a whole listpack as the new tail node (RDB loading); an empty
    /// listpack is ignored.
    pub fn append_node(&mut self, node: Listpack) {
        if !node.is_empty() {
            self.count += node.len();
            self.nodes.push_back(node);
        }
    }

    /// True when `node` may take one more element of `len` bytes.
    fn allow_insert(&self, node: Option<&Listpack>, len: usize) -> bool {
        node.is_some_and(|lp| {
            let bytes = lp.bytes_len() + len + SIZE_ESTIMATE_OVERHEAD;
            fits(self.fill, bytes, lp.len() + 1)
        })
    }

    /// Pushes `e` at `end` (LPUSH / RPUSH): into the end node when it has room,
    /// else into a new end node (`quicklistPushHead` / `quicklistPushTail`).
    pub fn push(&mut self, end: End, e: &[u8]) {
        match end {
            End::Head => {
                if self.allow_insert(self.nodes.front(), e.len()) {
                    if let Some(lp) = self.nodes.front_mut() {
                        lp.push_front(e);
                    }
                } else {
                    self.nodes.push_front(single(e));
                }
            }
            End::Tail => {
                if self.allow_insert(self.nodes.back(), e.len()) {
                    if let Some(lp) = self.nodes.back_mut() {
                        lp.push_back(e);
                    }
                } else {
                    self.nodes.push_back(single(e));
                }
            }
        }
        self.count += 1;
    }

    /// Pops the element at `end` (LPOP / RPOP), dropping its node when emptied.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let (value, emptied) = {
            let lp = match end {
                End::Head => self.nodes.front_mut()?,
                End::Tail => self.nodes.back_mut()?,
            };
            let index = match end {
                End::Head => 0,
                End::Tail => lp.len().checked_sub(1)?,
            };
            let value = lp.get(index)?.to_vec();
            lp.remove(index);
            (value, lp.is_empty())
        };
        if emptied {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        }
        self.count -= 1;
        Some(value)
    }

    /// Turns a Redis index (negative counts from the tail) into a position.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = i64::try_from(self.count).ok()?;
        let i = if index < 0 {
            len.checked_add(index)?
        } else {
            index
        };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// Finds the node holding position `index` and the offset inside it,
    /// skipping whole nodes from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.count {
            return None;
        }
        if index < self.count / 2 {
            let mut skipped = 0;
            for (n, lp) in self.nodes.iter().enumerate() {
                let len = lp.len();
                if index < skipped + len {
                    return Some((n, index - skipped));
                }
                skipped += len;
            }
            None
        } else {
            // Count positions from the tail: `from_tail` elements follow `index`.
            let mut from_tail = self.count - 1 - index;
            for (n, lp) in self.nodes.iter().enumerate().rev() {
                let len = lp.len();
                if from_tail < len {
                    return Some((n, len - 1 - from_tail));
                }
                from_tail -= len;
            }
            None
        }
    }

    /// The element at a Redis index (LINDEX), or None out of range.
    pub fn get(&self, index: i64) -> Option<LpEntry<'_>> {
        let (n, offset) = self.locate(self.resolve_index(index)?)?;
        self.nodes.get(n)?.get(offset)
    }

    /// Every element, head to tail (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpEntry<'_>> + '_ {
        self.nodes.iter().flat_map(Listpack::iter)
    }

    /// Elements from position `index` towards `towards` (Tail: index, index+1,
    /// ...; Head: index, index-1, ...), streamed node by node. Empty when `index`
    /// is out of range.
    pub fn walk(&self, index: usize, towards: End) -> Walk<'_> {
        let forward = towards == End::Tail;
        let Some((node, offset)) = self.locate(index) else {
            return Walk {
                nodes: &self.nodes,
                node: self.nodes.len(),
                inner: None,
                forward,
            };
        };
        let inner = self.nodes.get(node).map(|lp| {
            let mut it = lp.iter();
            let skip = if forward {
                offset
            } else {
                lp.len() - 1 - offset
            };
            for _ in 0..skip {
                if forward {
                    it.next();
                } else {
                    it.next_back();
                }
            }
            it
        });
        Walk {
            nodes: &self.nodes,
            node,
            inner,
            forward,
        }
    }

    /// Mixes the elements into a DEBUG DIGEST as Redis's `xorObjectDigest`
    /// does for a list: each element, head to tail, through `mixDigest`
    /// (integers as their decimal text).
    pub fn digest_into(&self, digest: &mut Digest20) {
        let mut buf = [0u8; 20];
        for e in self.iter() {
            match e {
                LpEntry::Str(s) => mix_digest(digest, s),
                LpEntry::Int(v) => mix_digest(digest, crate::value::format_i64(v, &mut buf)),
            }
        }
    }
}

/// A listpack holding just `e`.
fn single(e: &[u8]) -> Listpack {
    let mut lp = Listpack::new();
    lp.push_back(e);
    lp
}

/// Elements streamed from one position towards one end (see [`List::walk`]).
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    nodes: &'a VecDeque<Listpack>,
    node: usize,
    inner: Option<LpIter<'a>>,
    forward: bool,
}

impl<'a> Iterator for Walk<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        loop {
            let inner = self.inner.as_mut()?;
            let next = if self.forward {
                inner.next()
            } else {
                inner.next_back()
            };
            if next.is_some() {
                return next;
            }
            // This node is done: step to its neighbour in the walking direction.
            let neighbour = if self.forward {
                self.node.checked_add(1)
            } else {
                self.node.checked_sub(1)
            };
            self.inner = neighbour.and_then(|n| {
                self.node = n;
                self.nodes.get(n).map(Listpack::iter)
            });
        }
    }
}

/// Resolves LRANGE / LTRIM indexes (negative from the tail, clamped) into an
/// inclusive range of positions, or None when the range is empty
/// (`addListRangeReply`'s rules).
pub fn resolve_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut stop = if stop < 0 {
        len.saturating_add(stop)
    } else {
        stop
    };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}
