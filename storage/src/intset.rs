//! `Intset`: a sorted array of integers in Redis's exact byte format (`intset.c`),
//! the compact encoding of a set whose members are all integers.
//!
//! ```text
//! +------------+------------+---------+---------+-----+
//! | encoding   | length     | value 0 | value 1 | ... |   all little-endian
//! | u32: 2/4/8 | u32: count | i16/i32/i64, ascending   |
//! +------------+------------+---------+---------+-----+
//! ```
//!
//! Every value is stored with the same width, the `encoding`: 2 bytes while all
//! values fit an i16, 4 for i32, 8 otherwise. Adding a value that needs a wider
//! encoding *upgrades* the whole array (every value rewritten wider); Redis never
//! downgrades on removal, and neither does this. Membership is a binary search.
//!
//! Memory is the point: the bytes live in one exactly-sized `Box<[u8]>`, grown
//! and shrunk by one reallocation per insert or removal (as Redis's
//! `intsetResize`), so ten small integers cost 8 + 10 * 2 = 28 bytes. The same
//! bytes go verbatim into RDB files, which is why [`Intset::from_bytes`] checks a
//! loaded blob as strictly as Redis's `intsetValidateIntegrity` (deep mode) and
//! never panics.

/// Size of the header: encoding and length, both u32.
const HEADER: usize = 8;

/// A sorted set of distinct integers in Redis's intset layout.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset(Box<[u8]>);

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Intset {
    fn default() -> Intset {
        Intset::new()
    }
}

/// The narrowest width (2, 4 or 8 bytes) that holds `v` (`_intsetValueEncoding`).
pub fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Reads a value of `width` bytes from the start of `bytes` (at least that long).
fn read_at(bytes: &[u8], width: usize) -> i64 {
    match width {
        2 => i64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
        4 => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            i64::from_le_bytes(b)
        }
    }
}

/// Writes `v` (which fits `width`) into the first `width` bytes of `out`.
fn write_at(out: &mut [u8], width: usize, v: i64) {
    match width {
        2 => out[..2].copy_from_slice(&(v as i16).to_le_bytes()),
        4 => out[..4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => out[..8].copy_from_slice(&v.to_le_bytes()),
    }
}

fn header(width: usize, len: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..4].copy_from_slice(&(width as u32).to_le_bytes());
    h[4..].copy_from_slice(&(len as u32).to_le_bytes());
    h
}

impl Intset {
    /// An empty intset (16-bit encoding, as `intsetNew`).
    pub fn new() -> Intset {
        Intset(header(2, 0).to_vec().into_boxed_slice())
    }

    /// Bytes per value: 2, 4 or 8.
    pub fn width(&self) -> usize {
        // The constructor and from_bytes keep the header valid.
        self.0[0] as usize
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        (self.0.len() - HEADER) / self.width()
    }

    /// True with no values.
    pub fn is_empty(&self) -> bool {
        self.0.len() == HEADER
    }

    /// The exact Redis bytes (header and values), as RDB embeds them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// An intset from bytes read from a file, or None unless they pass Redis's deep
    /// validation: a known encoding, a length that matches the size exactly, at
    /// least one value, and values strictly ascending.
    pub fn from_bytes(bytes: &[u8]) -> Option<Intset> {
        let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        let count: [u8; 4] = bytes.get(4..HEADER)?.try_into().ok()?;
        let width = match u32::from_le_bytes(head) {
            w @ (2 | 4 | 8) => w as usize,
            _ => return None,
        };
        let count = u32::from_le_bytes(count) as usize;
        if count == 0 || count.checked_mul(width)?.checked_add(HEADER)? != bytes.len() {
            return None;
        }
        let body = &bytes[HEADER..];
        let ascending = body
            .chunks_exact(width)
            .map(|c| read_at(c, width))
            .try_fold(None, |prev: Option<i64>, v| match prev {
                Some(p) if p >= v => None,
                _ => Some(Some(v)),
            });
        ascending?;
        Some(Intset(bytes.into()))
    }

    /// The value at `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        let width = self.width();
        let start = HEADER.checked_add(index.checked_mul(width)?)?;
        let slot = self.0.get(start..start.checked_add(width)?)?;
        Some(read_at(slot, width))
    }

    /// All values, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let width = self.width();
        self.0[HEADER..]
            .chunks_exact(width)
            .map(move |c| read_at(c, width))
    }

    /// The smallest value.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// The largest value.
    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Binary search (`intsetSearch`): Ok(index) when present, Err(insertion point).
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        // A value wider than the encoding lies beyond every stored value.
        if width_of(v) > self.width() {
            return Err(if v < 0 { 0 } else { hi });
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(m) if m < v => lo = mid + 1,
                Some(m) if m > v => hi = mid,
                Some(_) => return Ok(mid),
                None => break,
            }
        }
        Err(lo)
    }

    /// True when `v` is a member (`intsetFind`).
    pub fn contains(&self, v: i64) -> bool {
        width_of(v) <= self.width() && self.search(v).is_ok()
    }

    /// Adds `v`; false when it was already present (`intsetAdd`).
    pub fn insert(&mut self, v: i64) -> bool {
        if width_of(v) > self.width() {
            self.upgrade_and_insert(v);
            return true;
        }
        let Err(index) = self.search(v) else {
            return false;
        };
        let width = self.width();
        let len = self.len();
        let at = HEADER + index * width;
        let mut bytes = std::mem::take(&mut self.0).into_vec();
        // reserve_exact on a full Vec grows it to the exact size: one realloc,
        // and into_boxed_slice below has nothing to trim.
        bytes.reserve_exact(width);
        let mut slot = [0u8; 8];
        write_at(&mut slot, width, v);
        bytes.splice(at..at, slot[..width].iter().copied());
        bytes[..HEADER].copy_from_slice(&header(width, len + 1));
        self.0 = bytes.into_boxed_slice();
        true
    }

    /// Rewrites every value at the width `v` needs, adding `v` at one end: it is
    /// beyond every current value, so it is the new minimum or maximum
    /// (`intsetUpgradeAndAdd`).
    fn upgrade_and_insert(&mut self, v: i64) {
        let width = width_of(v);
        let len = self.len();
        let mut bytes = Vec::with_capacity(HEADER + (len + 1) * width);
        bytes.extend_from_slice(&header(width, len + 1));
        let mut slot = [0u8; 8];
        write_at(&mut slot, width, v);
        if v < 0 {
            bytes.extend_from_slice(&slot[..width]);
        }
        for old in self.iter() {
            let mut s = [0u8; 8];
            write_at(&mut s, width, old);
            bytes.extend_from_slice(&s[..width]);
        }
        if v >= 0 {
            bytes.extend_from_slice(&slot[..width]);
        }
        self.0 = bytes.into_boxed_slice();
    }

    /// Removes `v`; false when it was absent (`intsetRemove`).
    pub fn remove(&mut self, v: i64) -> bool {
        if width_of(v) > self.width() {
            return false;
        }
        let Ok(index) = self.search(v) else {
            return false;
        };
        self.remove_at(index);
        true
    }

    /// Removes the value at `index` (which must be in range), keeping the width.
    pub fn remove_at(&mut self, index: usize) {
        let width = self.width();
        let len = self.len();
        if index >= len {
            return;
        }
        let at = HEADER + index * width;
        let mut bytes = std::mem::take(&mut self.0).into_vec();
        bytes.drain(at..at + width);
        bytes[..HEADER].copy_from_slice(&header(width, len - 1));
        // into_boxed_slice shrinks to the exact size (one realloc).
        self.0 = bytes.into_boxed_slice();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn layout_matches_redis() {
        let mut s = Intset::new();
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        for v in [3, 1, 2] {
            assert!(s.insert(v));
        }
        assert!(!s.insert(2));
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]);
        // 10 small integers: 8 + 20 bytes, exactly.
        let mut ten = Intset::new();
        for v in 1..=10 {
            ten.insert(v);
        }
        assert_eq!(ten.as_bytes().len(), 28);
    }

    #[test]
    fn upgrade_puts_the_new_value_at_an_end() {
        let mut s = Intset::new();
        s.insert(5);
        s.insert(-70000);
        assert_eq!(s.width(), 4);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-70000, 5]);
        s.insert(i64::MAX);
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-70000, 5, i64::MAX]);
        assert!(s.remove(i64::MAX));
        assert_eq!(s.width(), 8, "never downgrades");
        assert!(!s.contains(i64::MIN));
        assert_eq!(s.min(), Some(-70000));
        assert_eq!(s.max(), Some(5));
        assert_eq!(Intset::from_bytes(s.as_bytes()), Some(s));
    }

    #[test]
    fn from_bytes_rejects_bad_blobs() {
        let mut ok = Intset::new();
        ok.insert(1);
        ok.insert(2);
        let good = ok.as_bytes().to_vec();
        assert!(Intset::from_bytes(&good).is_some());
        assert!(Intset::from_bytes(&good[..good.len() - 1]).is_none());
        assert!(
            Intset::from_bytes(&[2, 0, 0, 0, 0, 0, 0, 0]).is_none(),
            "empty"
        );
        assert!(Intset::from_bytes(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_none());
        assert!(Intset::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_none());
        assert!(Intset::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_none());
        assert!(Intset::from_bytes(&[2, 0, 0, 0, 255, 255, 255, 255]).is_none());
        assert!(Intset::from_bytes(&[]).is_none());
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ops in proptest::collection::vec(
            (any::<bool>(), prop_oneof![
                -300i64..300,
                any::<i16>().prop_map(i64::from),
                any::<i32>().prop_map(i64::from),
                any::<i64>(),
            ]), 0..200)) {
            let mut s = Intset::new();
            let mut model = BTreeSet::new();
            for (add, v) in ops {
                if add {
                    prop_assert_eq!(s.insert(v), model.insert(v));
                } else {
                    prop_assert_eq!(s.remove(v), model.remove(&v));
                }
                prop_assert_eq!(s.len(), model.len());
                prop_assert_eq!(s.as_bytes().len(), HEADER + s.len() * s.width());
            }
            prop_assert!(s.iter().eq(model.iter().copied()));
            for v in model.iter() {
                prop_assert!(s.contains(*v));
            }
            if !s.is_empty() {
                prop_assert_eq!(Intset::from_bytes(s.as_bytes()), Some(s.clone()));
            }
        }

        #[test]
        fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(s) = Intset::from_bytes(&bytes) {
                prop_assert_eq!(s.as_bytes(), &bytes[..]);
                prop_assert!(s.iter().zip(s.iter().skip(1)).all(|(a, b)| a < b));
            }
        }
    }
}
