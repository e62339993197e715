//! SCAN over a dict: the reverse-binary cursor of Redis's `dictScan`.
//!
//! The cursor names a bucket. Instead of counting 0, 1, 2, ... it increments the
//! *reversed* bits of the bucket index: with 8 buckets it visits 0, 4, 2, 6, 1, 5,
//! 3, 7. A bucket `b` of a table with mask `m` splits, when the table doubles,
//! into `b` and `b | (m + 1)`, which the reversed order visits consecutively; when
//! the table halves, buckets merge into ones whose high bits the cursor has
//! already covered. So a key present for the whole iteration is returned at least
//! once whatever resizes happen between calls (some keys may come twice).
//!
//! While rehashing, both tables are live: the cursor visits its bucket in the
//! smaller table, then every bucket of the larger table that expands from it.

use super::{Dict, Entry};

fn next_cursor(v: u64, mask: u64) -> u64 {
    // Set the bits above the mask so the increment carries into the masked part.
    let v = (v | !mask).reverse_bits();
    v.wrapping_add(1).reverse_bits()
}

/// Calls `visit(table, bucket)` for every bucket the cursor names, given the
/// tables' lengths, and returns the next cursor: the order is the whole SCAN
/// algorithm, shared by [`Dict::scan`] and [`Dict::scan_mut`].
fn visit_buckets(
    lens: [usize; 2],
    rehashing: bool,
    cursor: u64,
    mut visit: impl FnMut(usize, u64),
) -> u64 {
    let mut v = cursor;
    if !rehashing {
        let m0 = (lens[0] - 1) as u64;
        visit(0, v & m0);
        return next_cursor(v, m0);
    }
    let (small, large) = if lens[0] <= lens[1] { (0, 1) } else { (1, 0) };
    let m0 = (lens[small] - 1) as u64;
    let m1 = (lens[large] - 1) as u64;
    visit(small, v & m0);
    // Bounded: each pass fixes one more of the bits in (m0 ^ m1).
    loop {
        visit(large, v & m1);
        v = next_cursor(v, m1);
        if v & (m0 ^ m1) == 0 {
            break;
        }
    }
    v
}

impl<V> Dict<V> {
    /// Calls `f` on the entries of the bucket(s) named by `cursor` and returns the
    /// next cursor; 0 means the iteration is complete.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&Entry<V>)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let lens = [self.tables[0].len(), self.tables[1].len()];
        visit_buckets(lens, self.is_rehashing(), cursor, |t, idx| {
            let table = &self.tables[t];
            let mut link = table[(idx as usize) & (table.len() - 1)].as_deref();
            while let Some(entry) = link {
                f(entry);
                link = entry.next.as_deref();
            }
        })
    }

    /// [`Dict::scan`] with mutable entries (the snapshot walk marks what it takes).
    pub fn scan_mut(&mut self, cursor: u64, mut f: impl FnMut(&mut Entry<V>)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let lens = [self.tables[0].len(), self.tables[1].len()];
        let rehashing = self.is_rehashing();
        let tables = &mut self.tables;
        visit_buckets(lens, rehashing, cursor, |t, idx| {
            let table = &mut tables[t];
            let slot = (idx as usize) & (table.len() - 1);
            let mut link = table[slot].as_deref_mut();
            while let Some(entry) = link {
                f(entry);
                link = entry.next.as_deref_mut();
            }
        })
    }
}
