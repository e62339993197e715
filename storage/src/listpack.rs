//! The listpack: Redis 7.0's compact serialisation of a sequence of strings and
//! integers in one allocation (src/listpack.c), used by small hashes, sorted sets
//! and the nodes of a list's quicklist.
//!
//! The bytes are exactly Redis's, because RDB files embed a listpack verbatim
//! (RDB_TYPE_HASH_LISTPACK and friends):
//!
//! ```text
//! +-------------+-----------+---------+-----+---------+------+
//! | total bytes | elements  | entry 0 | ... | entry N | 0xFF |
//! | u32 LE      | u16 LE    |         |     |         | end  |
//! +-------------+-----------+---------+-----+---------+------+
//! entry = encoding (+ length) | data | backlen
//! ```
//!
//! An element that reads as a strict decimal integer (`string2ll`) is stored as
//! the smallest of the integer encodings 7-bit unsigned `0xxxxxxx`, 13-bit
//! `110xxxxx`, then `F1`/`F2`/`F3`/`F4` + 16/24/32/64-bit little-endian; anything
//! else as a string with a 6-bit (`10xxxxxx`), 12-bit (`1110xxxx`) or 32-bit
//! (`F0`) length. The `backlen` after each entry holds the size of encoding and
//! data in 1 to 5 bytes of 7 bits, written so it can be read right to left: that
//! is what lets iteration run backwards, and why an insertion never touches the
//! neighbours. The element count saturates at 65535, which means "unknown, count
//! them", as in Redis.
//!
//! Memory: the bytes live in an exactly sized `Box<[u8]>`, resized by one
//! reallocation per mutation like Redis's `lp_realloc`, never with `Vec` slack.
//! Every read goes through checked slicing, so even a corrupted buffer cannot
//! cause a panic; [`Listpack::from_bytes`] validates untrusted bytes completely.

use resp::number::string2ll;

/// Header size: total bytes (u32) and element count (u16).
const HEADER_SIZE: usize = 6;
/// The end-of-listpack byte.
const EOF: u8 = 0xFF;
/// The element count meaning "too many to store, count by walking".
const COUNT_UNKNOWN: u16 = u16::MAX;
/// Redis's `LISTPACK_MAX_SAFETY_SIZE`: a listpack is never grown past 1 GiB.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

/// A listpack, in Redis's exact byte format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listpack(Box<[u8]>);

/// One element read from a listpack: the bytes of a string, or an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpEntry<'a> {
    /// A string element (borrowed from the listpack).
    Str(&'a [u8]),
    /// An element stored with an integer encoding.
    Int(i64),
}

impl LpEntry<'_> {
    /// The element as bytes (integers in decimal, as Redis returns them).
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            LpEntry::Str(s) => s.to_vec(),
            LpEntry::Int(v) => v.to_string().into_bytes(),
        }
    }

    /// True when the element equals `b` as bytes.
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match *self {
            LpEntry::Str(s) => s == b,
            // string2ll is strict, so parsing `b` is equivalent to formatting `v`.
            LpEntry::Int(v) => string2ll(b) == Some(v),
        }
    }

    /// The element as an integer: an integer entry, or a string that
    /// `string2ll` accepts.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            LpEntry::Str(s) => string2ll(s),
            LpEntry::Int(v) => Some(v),
        }
    }

    /// Length of the element as bytes (an integer's decimal width).
    pub fn byte_len(&self) -> usize {
        match *self {
            LpEntry::Str(s) => s.len(),
            LpEntry::Int(v) => decimal_len(v),
        }
    }
}

/// Number of characters of `v` in decimal.
fn decimal_len(v: i64) -> usize {
    let mut n = v.unsigned_abs();
    let mut len = usize::from(v < 0) + 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// How one element will be encoded: integer bytes ready to copy, or a string.
enum Encoded<'a> {
    Int { buf: [u8; 9], len: usize },
    Str(&'a [u8]),
}

impl<'a> Encoded<'a> {
    /// Chooses the encoding Redis's `lpEncodeGetType` would.
    fn of(e: &'a [u8]) -> Encoded<'a> {
        let Some(v) = string2ll(e) else {
            return Encoded::Str(e);
        };
        let mut buf = [0u8; 9];
        let len = if (0..=127).contains(&v) {
            buf[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            // Two's complement in 13 bits, under the 110 prefix.
            let u = (v & 0x1FFF) as u16;
            buf[0] = 0xC0 | (u >> 8) as u8;
            buf[1] = u as u8;
            2
        } else {
            let (tag, width) = match v {
                -32_768..=32_767 => (0xF1, 2),
                -8_388_608..=8_388_607 => (0xF2, 3),
                -2_147_483_648..=2_147_483_647 => (0xF3, 4),
                _ => (0xF4, 8),
            };
            buf[0] = tag;
            buf[1..=width].copy_from_slice(&v.to_le_bytes()[..width]);
            width + 1
        };
        Encoded::Int { buf, len }
    }

    /// Size of encoding byte(s) plus data, the value `backlen` records.
    fn body_len(&self) -> usize {
        match self {
            Encoded::Int { len, .. } => *len,
            Encoded::Str(s) if s.len() < 64 => 1 + s.len(),
            Encoded::Str(s) if s.len() < 4096 => 2 + s.len(),
            Encoded::Str(s) => 5 + s.len(),
        }
    }

    /// Size of the whole entry, backlen included.
    fn entry_len(&self) -> usize {
        let body = self.body_len();
        body + backlen_size(body)
    }

    /// Writes the entry into `dst`, which is exactly `entry_len()` long.
    fn write(&self, dst: &mut [u8]) {
        let body = self.body_len();
        let (head, tail) = dst.split_at_mut(body);
        match self {
            Encoded::Int { buf, len } => head.copy_from_slice(&buf[..*len]),
            Encoded::Str(s) => {
                let n = s.len();
                let prefix = if n < 64 {
                    head[0] = 0x80 | n as u8;
                    1
                } else if n < 4096 {
                    head[0] = 0xE0 | (n >> 8) as u8;
                    head[1] = n as u8;
                    2
                } else {
                    head[0] = 0xF0;
                    head[1..5].copy_from_slice(&(n as u32).to_le_bytes());
                    5
                };
                head[prefix..].copy_from_slice(s);
            }
        }
        write_backlen(tail, body);
    }
}

/// Bytes `lpEncodeBacklen` uses for a body of `len` bytes (note Redis's `<`
/// bounds, one below the 7-bit-group maxima).
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Writes a backlen: most significant 7-bit group first, the continuation bit
/// (0x80) on every byte but the first, so a right-to-left reader stops there.
fn write_backlen(dst: &mut [u8], len: usize) {
    let n = dst.len();
    for (i, byte) in dst.iter_mut().enumerate() {
        let group = ((len >> (7 * (n - 1 - i))) & 0x7F) as u8;
        *byte = if i == 0 { group } else { group | 0x80 };
    }
}

/// Reads the backlen whose last byte is at `end - 1`; returns (body length,
/// backlen size). `None` past 5 bytes or off the buffer.
fn read_backlen(bytes: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for size in 1..=5 {
        let byte = *bytes.get(end.checked_sub(size)?)?;
        value |= usize::from(byte & 0x7F) << (7 * (size - 1));
        if byte & 0x80 == 0 {
            return Some((value, size));
        }
    }
    None
}

/// Decodes the entry starting at `off`: the element and its body length
/// (encoding + data, without backlen). `None` for EOF, bad encodings, or data
/// running off the buffer.
fn decode(bytes: &[u8], off: usize) -> Option<(LpEntry<'_>, usize)> {
    let b0 = *bytes.get(off)?;
    let at = |from: usize, n: usize| bytes.get(off.checked_add(from)?..off.checked_add(from + n)?);
    let int_le = |n: usize| -> Option<i64> {
        let raw = at(1, n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(raw);
        // Shift up then arithmetic-shift down to sign-extend the n-byte value.
        let shift = 64 - 8 * n as u32;
        Some((i64::from_le_bytes(buf) << shift) >> shift)
    };
    let string = |prefix: usize, n: usize| Some((LpEntry::Str(at(prefix, n)?), prefix + n));
    match b0 {
        0x00..=0x7F => Some((LpEntry::Int(i64::from(b0)), 1)),
        0x80..=0xBF => string(1, usize::from(b0 & 0x3F)),
        0xC0..=0xDF => {
            let u = (i64::from(b0 & 0x1F) << 8) | i64::from(*at(1, 1)?.first()?);
            let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
            Some((LpEntry::Int(v), 2))
        }
        0xE0..=0xEF => {
            let n = (usize::from(b0 & 0x0F) << 8) | usize::from(*at(1, 1)?.first()?);
            string(2, n)
        }
        0xF0 => {
            let raw = at(1, 4)?;
            let n = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            string(5, usize::try_from(n).ok()?)
        }
        0xF1 => Some((LpEntry::Int(int_le(2)?), 3)),
        0xF2 => Some((LpEntry::Int(int_le(3)?), 4)),
        0xF3 => Some((LpEntry::Int(int_le(4)?), 5)),
        0xF4 => Some((LpEntry::Int(int_le(8)?), 9)),
        _ => None,
    }
}

/// Size of the entry at `off`, backlen included.
fn entry_size(bytes: &[u8], off: usize) -> Option<usize> {
    let (_, body) = decode(bytes, off)?;
    Some(body + backlen_size(body))
}

impl Default for Listpack {
    fn default() -> Listpack {
        Listpack::new()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes, as `lpNew`).
    pub fn new() -> Listpack {
        let mut b = [0u8; HEADER_SIZE + 1];
        b[0] = (HEADER_SIZE + 1) as u8;
        b[HEADER_SIZE] = EOF;
        Listpack(Box::new(b))
    }

    /// The exact Redis listpack bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Size of the allocation in bytes (`lpBytes`).
    pub fn bytes_len(&self) -> usize {
        self.0.len()
    }

    /// True when `add` more bytes keep it under Redis's safety limit (`lpSafeToAdd`).
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.0.len().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    /// The element count from the header.
    fn header_count(&self) -> u16 {
        match self.0.get(4..6) {
            Some(c) => u16::from_le_bytes([c[0], c[1]]),
            None => 0,
        }
    }

    fn set_header_count(&mut self, count: u16) {
        if let Some(c) = self.0.get_mut(4..6) {
            c.copy_from_slice(&count.to_le_bytes());
        }
    }

    /// Offset of the EOF byte, where the entries end.
    fn end(&self) -> usize {
        self.0.len().saturating_sub(1)
    }

    /// Number of elements (walks the entries when the header says 65535).
    pub fn len(&self) -> usize {
        match self.header_count() {
            COUNT_UNKNOWN => self.iter().count(),
            n => usize::from(n),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.end() <= HEADER_SIZE
    }

    /// Validates untrusted bytes (an RDB payload) as Redis's deep
    /// `lpValidateIntegrity` does: header, every entry's encoding, length and
    /// backlen, the element count, and the EOF byte.
    pub fn from_bytes(b: &[u8]) -> Option<Listpack> {
        if b.len() < HEADER_SIZE + 1 || b.last() != Some(&EOF) {
            return None;
        }
        let total = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?);
        if usize::try_from(total).ok()? != b.len() {
            return None;
        }
        let declared = u16::from_le_bytes(b.get(4..6)?.try_into().ok()?);
        let end = b.len() - 1;
        let (mut off, mut count) = (HEADER_SIZE, 0usize);
        while off < end {
            let (_, body) = decode(b, off)?;
            let next = off.checked_add(body)?.checked_add(backlen_size(body))?;
            if next > end || read_backlen(b, next)? != (body, backlen_size(body)) {
                return None;
            }
            off = next;
            count += 1;
        }
        if declared != COUNT_UNKNOWN && usize::from(declared) != count {
            return None;
        }
        Some(Listpack(b.into()))
    }

    /// Iterates over the elements, front to back or back to front.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            bytes: &self.0,
            front: HEADER_SIZE,
            back: self.end(),
        }
    }

    /// The element at `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<LpEntry<'_>> {
        let off = self.offset_of(index)?;
        decode(&self.0, off).map(|(e, _)| e)
    }

    /// Offset of entry `index`, walking from the nearer end when the count is known.
    fn offset_of(&self, index: usize) -> Option<usize> {
        let count = self.header_count();
        if count != COUNT_UNKNOWN && index >= usize::from(count) {
            return None;
        }
        if count != COUNT_UNKNOWN && index > usize::from(count) / 2 {
            let mut end = self.end();
            for _ in index..usize::from(count) {
                let (body, size) = read_backlen(&self.0, end)?;
                end = end.checked_sub(body + size)?;
            }
            return Some(end);
        }
        let mut off = HEADER_SIZE;
        for _ in 0..index {
            off += entry_size(&self.0, off)?;
        }
        (off < self.end()).then_some(off)
    }

    /// Replaces `old_len` bytes at `off` by `new_len` bytes (returned for
    /// writing), with one exact reallocation, and updates the total-bytes field.
    fn resize_region(&mut self, off: usize, old_len: usize, new_len: usize) -> &mut [u8] {
        let mut v = std::mem::take(&mut self.0).into_vec();
        let len = v.len();
        if new_len > old_len {
            v.reserve_exact(new_len - old_len);
            v.resize(len + new_len - old_len, 0);
            v.copy_within(off + old_len..len, off + new_len);
        } else {
            v.copy_within(off + old_len..len, off + new_len);
            v.truncate(len - (old_len - new_len));
        }
        // into_boxed_slice shrinks to the length: capacity is exact either way.
        self.0 = v.into_boxed_slice();
        let total = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        if let Some(t) = self.0.get_mut(0..4) {
            t.copy_from_slice(&total.to_le_bytes());
        }
        self.0.get_mut(off..off + new_len).unwrap_or_default()
    }

    /// Updates the header count after `added` and `removed` elements. Like
    /// Redis, an unknown count stays unknown on growth; on removal it is
    /// recounted (as `lpLength` would) and stored again once below 65535.
    fn adjust_count(&mut self, added: usize, removed: usize) {
        let count = self.header_count();
        let new = if count == COUNT_UNKNOWN {
            if removed == 0 {
                return;
            }
            self.iter().count()
        } else {
            (usize::from(count) + added).saturating_sub(removed)
        };
        self.set_header_count(u16::try_from(new).unwrap_or(COUNT_UNKNOWN));
    }

    /// Writes element `e` as a new entry at byte offset `off`.
    fn insert_at_offset(&mut self, off: usize, e: &[u8]) {
        let enc = Encoded::of(e);
        let dst = self.resize_region(off, 0, enc.entry_len());
        enc.write(dst);
        self.adjust_count(1, 0);
    }

    /// Appends an element.
    pub fn push_back(&mut self, e: &[u8]) {
        self.insert_at_offset(self.end(), e);
    }

    /// Prepends an element.
    pub fn push_front(&mut self, e: &[u8]) {
        self.insert_at_offset(HEADER_SIZE, e);
    }

    /// Inserts before the element at `index`; `index == len` appends, beyond is
    /// ignored.
    pub fn insert(&mut self, index: usize, e: &[u8]) {
        if let Some(off) = self.offset_of(index) {
            self.insert_at_offset(off, e);
        } else if index == self.len() {
            self.push_back(e);
        }
    }

    /// Removes the element at `index` (no-op past the end).
    pub fn remove(&mut self, index: usize) {
        self.remove_range(index, 1);
    }

    /// Removes up to `count` elements starting at `index`.
    pub fn remove_range(&mut self, index: usize, count: usize) {
        let Some(start) = self.offset_of(index) else {
            return;
        };
        let (mut off, mut removed) = (start, 0);
        while removed < count && off < self.end() {
            let Some(size) = entry_size(&self.0, off) else {
                break;
            };
            off += size;
            removed += 1;
        }
        self.resize_region(start, off - start, 0);
        self.adjust_count(0, removed);
    }

    /// Replaces the element at `index` by `e` (no-op past the end).
    pub fn replace(&mut self, index: usize, e: &[u8]) {
        let Some(off) = self.offset_of(index) else {
            return;
        };
        let Some(old) = entry_size(&self.0, off) else {
            return;
        };
        let enc = Encoded::of(e);
        let dst = self.resize_region(off, old, enc.entry_len());
        enc.write(dst);
    }

    /// Index of the first element equal to `e` among `start`, `start + stride`,
    /// `start + 2 * stride`, ... (`lpFind` with `skip = stride - 1`). A stride of 2
    /// from 0 searches the fields of a field/value listpack.
    pub fn find(&self, e: &[u8], start: usize, stride: usize) -> Option<usize> {
        let stride = stride.max(1);
        let as_int = string2ll(e);
        let mut off = self.offset_of(start)?;
        let (mut index, mut skip) = (start, 0);
        let end = self.end();
        while off < end {
            let (entry, body) = decode(&self.0, off)?;
            if skip > 0 {
                skip -= 1;
            } else {
                skip = stride - 1;
                let hit = match entry {
                    LpEntry::Str(s) => s == e,
                    LpEntry::Int(v) => as_int == Some(v),
                };
                if hit {
                    return Some(index);
                }
            }
            off += body + backlen_size(body);
            index += 1;
        }
        None
    }
}

/// Iterator over a listpack's elements, from either end.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    bytes: &'a [u8],
    /// Offset of the next entry from the front.
    front: usize,
    /// Offset just past the next entry from the back (its backlen's end).
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (entry, body) = decode(self.bytes, self.front)?;
        self.front += body + backlen_size(body);
        Some(entry)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.back <= self.front {
            return None;
        }
        let (body, size) = read_backlen(self.bytes, self.back)?;
        let start = self.back.checked_sub(body + size)?;
        let (entry, _) = decode(self.bytes, start)?;
        self.back = start;
        Some(entry)
    }
}

#[cfg(test)]
mod tests;
