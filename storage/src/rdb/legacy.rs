//! The two compact encodings Redis wrote before listpacks, decoded for RDB
//! loading: the *ziplist* (lists, hashes and sorted sets of Redis 2.6 – 6.2, and
//! the nodes of 3.2 – 6.2 quicklists) and the *zipmap* (small hashes of Redis
//! 2.x). Redis 7.0 never writes them but still loads them, converting each to a
//! listpack; so does redrill.
//!
//! A ziplist (`ziplist.c`):
//!
//! ```text
//! +----------+---------+--------+---------+-----+---------+------+
//! | zlbytes  | zltail  | zllen  | entry 0 | ... | entry N | 0xFF |
//! | u32 LE   | u32 LE  | u16 LE |         |     |         | end  |
//! +----------+---------+--------+---------+-----+---------+------+
//! entry = prevlen (1 byte < 254, or 0xFE + u32 LE) | encoding | data
//! encoding: 00pppppp / 01pppppp qqqqqqqq (BE) / 10______ + u32 BE: a string
//!           C0 i16, D0 i32, E0 i64, F0 i24, FE i8 (LE), F1..FD: 0..12 inline
//! ```
//!
//! A zipmap (`zipmap.c`): a count byte (254 = "count them"), then field and
//! value strings, each prefixed by a length (1 byte < 254, or 0xFE + u32 in host
//! order, little endian everywhere Redis ran), values also by a "free" byte
//! counting unused bytes after them, and 0xFF at the end.
//!
//! Both decoders validate as strictly as Redis's deep `ziplistValidateIntegrity`
//! and `zipmapValidateIntegrity`: the declared sizes match the blob, every entry
//! lies inside it, every `prevlen` equals the previous entry's size, `zltail`
//! points at the last entry, and the counts agree. They return entries borrowed
//! from the blob, so a hostile blob can make them allocate at most one small
//! element per two bytes of input, and they never index out of bounds.

use crate::listpack::LpEntry;

/// Size of the ziplist header: zlbytes, zltail, zllen.
const ZIPLIST_HEADER: usize = 10;
/// The byte that ends a ziplist or a zipmap.
const END: u8 = 0xFF;
/// A prevlen byte announcing a 4-byte prevlen (`ZIP_BIG_PREVLEN`).
const ZIP_BIG_PREVLEN: u8 = 0xFE;
/// A ziplist count meaning "too many to store, count them".
const ZIPLIST_COUNT_UNKNOWN: u16 = u16::MAX;
/// A zipmap length byte announcing a 4-byte length, and the count meaning "count them".
const ZIPMAP_BIGLEN: u8 = 0xFE;

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Reads `width` bytes at `at` as a little-endian two's complement integer.
fn int_le(b: &[u8], at: usize, width: usize) -> Option<i64> {
    let bytes = b.get(at..at.checked_add(width)?)?;
    let mut buf = [0u8; 8];
    buf.get_mut(..width)?.copy_from_slice(bytes);
    // Shift left then arithmetic-shift right to sign-extend from `width` bytes.
    let shift = 64 - 8 * width as u32;
    Some((i64::from_le_bytes(buf) << shift) >> shift)
}

/// One decoded ziplist entry header: where its data starts, how long the data
/// is, and what it holds.
struct ZipEntry<'a> {
    prevlen: usize,
    /// Header (prevlen + encoding) plus data: what the next entry's prevlen must say.
    raw_len: usize,
    value: LpEntry<'a>,
}

/// Decodes the entry at `at`, whose bytes must end before `end` (the END byte).
fn zip_entry(b: &[u8], at: usize, end: usize) -> Option<ZipEntry<'_>> {
    let first = *b.get(at)?;
    let (prevlen, prevlen_size) = if first == ZIP_BIG_PREVLEN {
        (u32_le(b, at + 1)? as usize, 5)
    } else {
        (usize::from(first), 1)
    };
    let enc_at = at + prevlen_size;
    let enc = *b.get(enc_at)?;
    let data_at;
    let value = match enc >> 6 {
        0 => {
            data_at = enc_at + 1;
            LpEntry::Str(b.get(data_at..data_at.checked_add(usize::from(enc & 0x3F))?)?)
        }
        1 => {
            let len = (usize::from(enc & 0x3F) << 8) | usize::from(*b.get(enc_at + 1)?);
            data_at = enc_at + 2;
            LpEntry::Str(b.get(data_at..data_at.checked_add(len)?)?)
        }
        2 => {
            let len = usize::try_from(u32_be(b, enc_at + 1)?).ok()?;
            data_at = enc_at + 5;
            LpEntry::Str(b.get(data_at..data_at.checked_add(len)?)?)
        }
        _ => {
            data_at = enc_at + 1;
            let width = match enc {
                0xC0 => 2,
                0xD0 => 4,
                0xE0 => 8,
                0xF0 => 3,
                0xFE => 1,
                0xF1..=0xFD => 0,
                _ => return None,
            };
            let v = if width == 0 {
                i64::from(enc & 0x0F) - 1
            } else {
                int_le(b, data_at, width)?
            };
            LpEntry::Int(v)
        }
    };
    let data_len = match value {
        LpEntry::Str(s) => s.len(),
        LpEntry::Int(_) => match enc {
            0xC0 => 2,
            0xD0 => 4,
            0xE0 => 8,
            0xF0 => 3,
            0xFE => 1,
            _ => 0,
        },
    };
    let next = data_at.checked_add(data_len)?;
    if next > end {
        return None;
    }
    Some(ZipEntry {
        prevlen,
        raw_len: next - at,
        value,
    })
}

/// Every entry of a ziplist blob, in order, or None unless the blob passes
/// Redis's deep validation.
pub fn ziplist_entries(blob: &[u8]) -> Option<Vec<LpEntry<'_>>> {
    if blob.len() < ZIPLIST_HEADER + 1 || blob.last() != Some(&END) {
        return None;
    }
    if usize::try_from(u32_le(blob, 0)?).ok()? != blob.len() {
        return None;
    }
    let end = blob.len() - 1;
    let tail = usize::try_from(u32_le(blob, 4)?).ok()?;
    if tail > end {
        return None;
    }
    let declared = u16::from_le_bytes([*blob.get(8)?, *blob.get(9)?]);
    let mut entries = Vec::new();
    let (mut at, mut prev_raw, mut last) = (ZIPLIST_HEADER, 0usize, None);
    while *blob.get(at)? != END {
        let e = zip_entry(blob, at, end)?;
        if e.prevlen != prev_raw {
            return None;
        }
        entries.push(e.value);
        last = Some(at);
        prev_raw = e.raw_len;
        at += e.raw_len;
    }
    if at != end || last.is_some_and(|l| l != tail) {
        return None;
    }
    if declared != ZIPLIST_COUNT_UNKNOWN && usize::from(declared) != entries.len() {
        return None;
    }
    Some(entries)
}

/// Reads a zipmap length at `at`: the length and the bytes it took.
fn zipmap_len(b: &[u8], at: usize) -> Option<(usize, usize)> {
    match *b.get(at)? {
        ZIPMAP_BIGLEN => Some((usize::try_from(u32_le(b, at + 1)?).ok()?, 5)),
        END => None,
        n => Some((usize::from(n), 1)),
    }
}

/// Every field/value pair of a zipmap blob, in order, or None unless the blob
/// passes Redis's deep validation (which also refuses an empty zipmap).
pub fn zipmap_pairs(blob: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    if blob.len() < 2 || blob.last() != Some(&END) {
        return None;
    }
    let end = blob.len() - 1;
    let mut pairs = Vec::new();
    let mut at = 1;
    while *blob.get(at)? != END {
        let (flen, size) = zipmap_len(blob, at)?;
        let field_at = at + size;
        let field = blob.get(field_at..field_at.checked_add(flen)?)?;
        at = field_at + flen;
        let (vlen, size) = zipmap_len(blob, at)?;
        let free = usize::from(*blob.get(at + size)?);
        let value_at = at + size + 1;
        let value = blob.get(value_at..value_at.checked_add(vlen)?)?;
        at = value_at.checked_add(vlen)?.checked_add(free)?;
        if at > end {
            return None;
        }
        pairs.push((field, value));
    }
    let declared = *blob.first()?;
    if pairs.is_empty() || (declared != ZIPMAP_BIGLEN && usize::from(declared) != pairs.len()) {
        return None;
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a ziplist the way Redis lays one out, from already encoded
    /// entry bodies (encoding + data).
    fn ziplist(bodies: &[Vec<u8>]) -> Vec<u8> {
        let mut entries = Vec::new();
        let mut prev = 0usize;
        let mut tail = ZIPLIST_HEADER;
        for body in bodies {
            tail = ZIPLIST_HEADER + entries.len();
            let start = entries.len();
            if prev < 254 {
                entries.push(prev as u8);
            } else {
                entries.push(0xFE);
                entries.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            entries.extend_from_slice(body);
            prev = entries.len() - start;
        }
        let total = ZIPLIST_HEADER + entries.len() + 1;
        let mut out = Vec::new();
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(tail as u32).to_le_bytes());
        out.extend_from_slice(&(bodies.len() as u16).to_le_bytes());
        out.extend_from_slice(&entries);
        out.push(END);
        out
    }

    fn str_body(s: &[u8]) -> Vec<u8> {
        let mut b = if s.len() < 64 {
            vec![s.len() as u8]
        } else if s.len() < 16384 {
            vec![0x40 | (s.len() >> 8) as u8, s.len() as u8]
        } else {
            let mut v = vec![0x80];
            v.extend_from_slice(&(s.len() as u32).to_be_bytes());
            v
        };
        b.extend_from_slice(s);
        b
    }

    #[test]
    fn redis_documented_example_decodes() {
        // The "2", "5" example from ziplist.c's header comment.
        let zl = [
            0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 2, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff,
        ];
        assert_eq!(
            ziplist_entries(&zl),
            Some(vec![LpEntry::Int(2), LpEntry::Int(5)])
        );
    }

    #[test]
    fn every_encoding_decodes() {
        let big = vec![b'x'; 300];
        let huge = vec![b'y'; 17000];
        let bodies = vec![
            str_body(b"hello"),
            str_body(&big),
            str_body(&huge),
            vec![0xFE, 0x80],
            vec![0xC0, 0x34, 0x12],
            vec![0xF0, 0xFF, 0xFF, 0x7F],
            vec![0xF0, 0x00, 0x00, 0x80],
            vec![0xD0, 0, 0, 0, 0x80],
            [vec![0xE0], i64::MIN.to_le_bytes().to_vec()].concat(),
            vec![0xF1],
            vec![0xFD],
        ];
        let zl = ziplist(&bodies);
        let got = ziplist_entries(&zl).unwrap();
        assert_eq!(
            got,
            vec![
                LpEntry::Str(b"hello"),
                LpEntry::Str(&big),
                LpEntry::Str(&huge),
                LpEntry::Int(-128),
                LpEntry::Int(0x1234),
                LpEntry::Int(0x7FFFFF),
                LpEntry::Int(-0x800000),
                LpEntry::Int(i64::from(i32::MIN)),
                LpEntry::Int(i64::MIN),
                LpEntry::Int(0),
                LpEntry::Int(12),
            ]
        );
    }

    #[test]
    fn empty_ziplist_is_valid() {
        assert_eq!(ziplist_entries(&ziplist(&[])), Some(vec![]));
    }

    #[test]
    fn corrupt_ziplists_are_refused() {
        let good = ziplist(&[str_body(b"ab"), vec![0xF3], str_body(b"cd")]);
        assert!(ziplist_entries(&good).is_some());
        let mut cases = Vec::new();
        let mut c = good.clone();
        c[0] += 1; // zlbytes disagrees with the blob
        cases.push(c);
        let mut c = good.clone();
        c[4] += 1; // zltail not at the last entry
        cases.push(c);
        let mut c = good.clone();
        c[8] = 2; // wrong count
        cases.push(c);
        let mut c = good.clone();
        c[ZIPLIST_HEADER] = 1; // first prevlen must be 0
        cases.push(c);
        let mut c = good.clone();
        c[ZIPLIST_HEADER + 1] = 40; // string runs past the end
        cases.push(c);
        let mut c = good.clone();
        c[ZIPLIST_HEADER + 5] = 0xC1; // invalid integer encoding
        cases.push(c);
        let mut c = good.clone();
        let last = c.len() - 1;
        c[last] = 0; // no end byte
        cases.push(c);
        cases.push(good[..good.len() - 1].to_vec());
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(ziplist_entries(c), None, "case {i}");
        }
    }

    #[test]
    fn truncations_never_panic() {
        let zl = ziplist(&[str_body(&[b'z'; 300]), vec![0xE0, 1, 2, 3, 4, 5, 6, 7, 8]]);
        for n in 0..zl.len() {
            let _ = ziplist_entries(&zl[..n]);
            let mut flipped = zl.clone();
            flipped[n] ^= 0xFF;
            let _ = ziplist_entries(&flipped);
        }
    }

    #[test]
    fn zipmap_decodes_redis_example() {
        // The example from zipmap.c's header comment.
        let zm = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff";
        assert_eq!(
            zipmap_pairs(zm),
            Some(vec![
                (&b"foo"[..], &b"bar"[..]),
                (&b"hello"[..], &b"world"[..])
            ])
        );
    }

    #[test]
    fn zipmap_big_lengths_and_free_bytes() {
        let long = vec![b'v'; 300];
        let mut zm = vec![ZIPMAP_BIGLEN, 1, b'k', 0xFE];
        zm.extend_from_slice(&300u32.to_le_bytes());
        zm.push(2); // two free bytes after the value
        zm.extend_from_slice(&long);
        zm.extend_from_slice(&[0, 0, END]);
        assert_eq!(zipmap_pairs(&zm), Some(vec![(&b"k"[..], &long[..])]));
    }

    #[test]
    fn corrupt_zipmaps_are_refused() {
        let good = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff".to_vec();
        let mut cases = vec![b"\x00\xff".to_vec(), good[..good.len() - 1].to_vec()];
        let mut c = good.clone();
        c[0] = 3;
        cases.push(c);
        let mut c = good.clone();
        c[1] = 60;
        cases.push(c);
        let mut c = good.clone();
        c[6] = 9; // a free count past the end
        cases.push(c);
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(zipmap_pairs(c), None, "case {i}");
        }
        for n in 0..good.len() {
            let _ = zipmap_pairs(&good[..n]);
        }
    }
}
