//! LZF, the small LZ77 compressor Redis uses for RDB strings (`lzf_c.c`,
//! `lzf_d.c`, by Marc Lehmann), reimplemented here in safe Rust.
//!
//! The compressed stream is a sequence of two kinds of records:
//!
//! ```text
//!   000LLLLL  <L+1 literal bytes>            literal run of 1..=32 bytes
//!   LLLooooo  oooooooo                        back reference, L in 1..=6
//!   111ooooo  LLLLLLLL  oooooooo              back reference, L = 7 + next byte
//! ```
//!
//! A back reference copies `L + 2` bytes (3..=264) starting `o + 1` bytes
//! (1..=8192) behind the current end of the output; the copy may overlap what
//! it produces, which is how a run such as `aaaa…` compresses. The decoder does
//! not care how matches were found, so this compressor is our own: a greedy
//! matcher over a hash table of 3-byte prefixes, which skips ahead faster and
//! faster while it finds nothing (as LZ4 does), so that incompressible values
//! (most real data: random ids, already-compressed blobs) cost little. Its output
//! differs byte-wise from Redis's but decodes with `lzf_decompress`.
//!
//! The decoder takes untrusted bytes (RDB files, RESTORE payloads): every read
//! is checked, a back reference may not reach before the start of the output,
//! and the output never exceeds the length the caller announced.

use std::cell::RefCell;

/// Longest literal run one control byte can announce.
const MAX_LITERAL: usize = 32;
/// Farthest distance a back reference can reach.
const MAX_OFFSET: usize = 1 << 13;
/// Longest match one back reference can copy.
const MAX_MATCH: usize = 264;
/// Shortest match worth a back reference (it costs 2 bytes).
const MIN_MATCH: usize = 3;
/// log2 of the hash table's size: 16 K slots, 64 KiB, stays in L2.
const HASH_LOG: u32 = 14;
/// log2 of the misses after which the search step grows by one byte. At 16
/// (LZ4 waits 64) a 1000-byte random value costs 256 ns instead of 363 with 32
/// (`cargo bench --bench rdb -- lzf_1000B`), while text, JSON and half-random
/// values compress as fast and within 2 bytes as small: incompressible values
/// are most of what a dump's writer spends its time on.
const SKIP_TRIGGER: u32 = 4;
/// A long input whose first this many bytes hold no match at all is given up
/// on: it is almost always incompressible (random ids, encrypted or already
/// compressed blobs), and a full scan of it was most of a BGSAVE writer's
/// time on such data. The caller then stores the string raw, which every
/// reader accepts; only an input with a random head and a repetitive tail
/// loses its compression.
const PROBE_LEN: usize = 256;
/// Most output bytes one input byte can expand to (a 3-byte back reference
/// copying 264 bytes): bounds what `decompress` accepts before allocating.
const MAX_EXPANSION: usize = MAX_MATCH / 3 + 1;

/// A reusable compressor: its hash table survives between calls, so that
/// compressing many small strings costs neither an allocation nor a clear.
///
/// Slots hold `base + position`; a slot below the current call's `base` was
/// written by an earlier call and is ignored. That "generation" trick replaces
/// zeroing 64 KiB per string.
pub struct Compressor {
    table: Vec<u32>,
    base: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

impl Compressor {
    /// A compressor with an empty table.
    pub fn new() -> Compressor {
        Compressor {
            table: vec![0; 1 << HASH_LOG],
            base: 1,
        }
    }

    /// Appends the compressed form of `input` to `out` if it takes at most
    /// `max_out` bytes; otherwise leaves `out` as it was and returns false.
    /// It also returns false for a long input with no match in its first
    /// [`PROBE_LEN`] bytes.
    pub fn compress_into(&mut self, input: &[u8], max_out: usize, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let len = input.len();
        if len == 0 || max_out == 0 || len >= (u32::MAX / 2) as usize {
            return false;
        }
        if self.base as usize > (u32::MAX as usize) - len - 1 {
            // Positions would overflow the slots: start a fresh generation.
            self.table.iter_mut().for_each(|s| *s = 0);
            self.base = 1;
        }
        let ok = self.greedy(input, start + max_out, out);
        self.base += len as u32 + 1;
        if !ok {
            out.truncate(start);
        }
        ok
    }

    /// The match loop; false as soon as the output would pass `limit`.
    fn greedy(&mut self, input: &[u8], limit: usize, out: &mut Vec<u8>) -> bool {
        let len = input.len();
        let base = self.base;
        let mut anchor = 0; // first byte not yet emitted
        let mut i = 0;
        let mut misses = 0u32;
        // Prefixes are read four bytes at a time, so the last three bytes are
        // only ever literals: a negligible loss for simpler, faster loads.
        while i + 4 <= len {
            let here = prefix(input, i);
            let slot = slot_of(here);
            let seen = self.table.get(slot).copied().unwrap_or(0);
            if let Some(s) = self.table.get_mut(slot) {
                *s = base + i as u32;
            }
            let found = seen
                .checked_sub(base)
                .map(|c| c as usize)
                .filter(|&c| c < i && i - c <= MAX_OFFSET && prefix(input, c) == here);
            let Some(c) = found else {
                misses += 1;
                i += 1 + (misses >> SKIP_TRIGGER) as usize;
                if literal_cost(out.len(), i.min(len) - anchor) > limit {
                    return false;
                }
                if anchor == 0 && i >= PROBE_LEN && len >= 2 * PROBE_LEN {
                    return false;
                }
                continue;
            };
            misses = 0;
            let m = match_len(input, c, i);
            emit_literals(out, input.get(anchor..i).unwrap_or_default());
            emit_reference(out, i - c - 1, m);
            if out.len() > limit {
                return false;
            }
            i += m;
            anchor = i;
            // Like lzf's VERY_FAST mode, index only the match's last two
            // positions: enough to chain repeats, cheaper than all of them.
            for p in [i - 2, i - 1] {
                if p + 4 <= len {
                    if let Some(s) = self.table.get_mut(slot_of(prefix(input, p))) {
                        *s = base + p as u32;
                    }
                }
            }
        }
        emit_literals(out, input.get(anchor..).unwrap_or_default());
        out.len() <= limit
    }
}

/// Output length after `pending` more literal bytes (one control byte per 32).
fn literal_cost(out_len: usize, pending: usize) -> usize {
    out_len + pending + pending.div_ceil(MAX_LITERAL)
}

/// The three bytes at `i` (callers ensure four are readable), as an integer.
#[inline(always)]
fn prefix(input: &[u8], i: usize) -> u32 {
    let word = input
        .get(i..i + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .unwrap_or_default();
    u32::from_le_bytes(word) & 0x00ff_ffff
}

/// The hash table slot of a 3-byte prefix (a multiplicative hash).
#[inline(always)]
fn slot_of(prefix: u32) -> usize {
    (prefix.wrapping_mul(0x9E37_79B1) >> (32 - HASH_LOG)) as usize
}

/// Length of the match between the text at `c` and at `i` (`c < i`), at least
/// MIN_MATCH (the prefixes are equal), at most MAX_MATCH; compares 8 bytes a step.
#[inline(always)]
fn match_len(input: &[u8], c: usize, i: usize) -> usize {
    let max = (input.len() - i).min(MAX_MATCH);
    let mut m = MIN_MATCH;
    while m + 8 <= max {
        let word = |p: usize| {
            input
                .get(p..p + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let diff = word(c + m) ^ word(i + m);
        if diff != 0 {
            return m + (diff.trailing_zeros() / 8) as usize;
        }
        m += 8;
    }
    while m < max && input.get(c + m) == input.get(i + m) {
        m += 1;
    }
    m
}

/// Appends `bytes` as literal runs of at most 32 bytes.
fn emit_literals(out: &mut Vec<u8>, bytes: &[u8]) {
    for run in bytes.chunks(MAX_LITERAL) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

/// Appends a back reference: copy `len` bytes from `distance + 1` behind.
fn emit_reference(out: &mut Vec<u8>, distance: usize, len: usize) {
    let l = len - 2;
    let high = (distance >> 8) as u8;
    if l < 7 {
        out.push(((l as u8) << 5) | high);
    } else {
        out.push((7 << 5) | high);
        out.push((l - 7) as u8);
    }
    out.push(distance as u8);
}

thread_local! {
    /// The compressor behind [`compress`] and the RDB string writers.
    static COMPRESSOR: RefCell<Compressor> = RefCell::new(Compressor::new());
}

/// Runs `f` with this thread's shared compressor (a fresh one if it is busy).
pub fn with_compressor<R>(f: impl FnOnce(&mut Compressor) -> R) -> R {
    COMPRESSOR.with(|cell| match cell.try_borrow_mut() {
        Ok(mut c) => f(&mut c),
        Err(_) => f(&mut Compressor::new()),
    })
}

/// Compresses `input` into at most `input.len() - 1` bytes; None when it would
/// not shrink (including empty input).
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    let max_out = input.len().checked_sub(1)?;
    let mut out = Vec::with_capacity(max_out);
    with_compressor(|c| c.compress_into(input, max_out, &mut out)).then_some(out)
}

/// Decompresses into exactly `out_len` bytes; None on any malformed input (never
/// panics, never allocates more than `out_len`).
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // No valid stream expands more than MAX_EXPANSION times: refuse a claimed
    // length it cannot reach before reserving memory for it.
    if out_len > input.len().saturating_mul(MAX_EXPANSION) {
        return None;
    }
    let mut out = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = *input.get(i)?;
        i += 1;
        if usize::from(ctrl) < MAX_LITERAL {
            let run = usize::from(ctrl) + 1;
            let bytes = input.get(i..i + run)?;
            if out.len() + run > out_len {
                return None;
            }
            out.extend_from_slice(bytes);
            i += run;
            continue;
        }
        let mut len = usize::from(ctrl >> 5);
        if len == 7 {
            len += usize::from(*input.get(i)?);
            i += 1;
        }
        let low = usize::from(*input.get(i)?);
        i += 1;
        let distance = ((usize::from(ctrl & 0x1f) << 8) | low) + 1;
        let copy = len + 2;
        if out.len() + copy > out_len {
            return None;
        }
        copy_back(&mut out, distance, copy)?;
    }
    (out.len() == out_len).then_some(out)
}

/// Appends `count` bytes copied from `distance` behind the end; the source may
/// overlap the bytes being appended (a repeating pattern of period `distance`).
fn copy_back(out: &mut Vec<u8>, distance: usize, count: usize) -> Option<()> {
    let mut src = out.len().checked_sub(distance)?;
    let mut left = count;
    while left > 0 {
        // Each pass copies what already exists; the gap stays `distance`.
        let n = left.min(out.len() - src);
        out.extend_from_within(src..src + n);
        src += n;
        left -= n;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn repeated_bytes_compress_and_round_trip() {
        let input = vec![b'a'; 1000];
        let c = compress(&input).expect("compressible");
        assert!(c.len() < 20, "{} bytes", c.len());
        assert_eq!(decompress(&c, 1000), Some(input));
    }

    #[test]
    fn hand_made_stream_decodes() {
        // literal "abc" (ctrl 2), then copy 5 bytes from 3 behind: "abcab".
        let stream = [2, b'a', b'b', b'c', (3 << 5), 2];
        assert_eq!(decompress(&stream, 8).as_deref(), Some(&b"abcabcab"[..]));
        // the long form: L = 7 + 1 -> copies 10 bytes of "a".
        let stream = [0, b'a', (7 << 5), 1, 0];
        assert_eq!(decompress(&stream, 11), Some(vec![b'a'; 11]));
    }

    #[test]
    fn incompressible_input_is_refused() {
        let mut rng = crate::Rng::seeded(7);
        let input: Vec<u8> = (0..1000).map(|_| rng.next_u64() as u8).collect();
        assert_eq!(compress(&input), None);
        assert_eq!(compress(b""), None);
        assert_eq!(compress(b"a"), None);
    }

    #[test]
    fn a_long_input_with_a_random_head_is_given_up_on() {
        let mut rng = crate::Rng::seeded(9);
        let head: Vec<u8> = (0..PROBE_LEN).map(|_| rng.next_u64() as u8).collect();
        let mut input = head.clone();
        input.extend_from_slice(&[b'x'; 2 * PROBE_LEN]);
        assert_eq!(compress(&input), None, "the probe found nothing");
        // A short one is scanned whole, and its repetitive tail compresses.
        let mut short = head[..PROBE_LEN / 2].to_vec();
        short.extend_from_slice(&[b'x'; PROBE_LEN]);
        let c = compress(&short).expect("the tail compresses");
        assert_eq!(decompress(&c, short.len()), Some(short));
        // Text with matches early on is not affected.
        let text = b"{\"id\": 1, \"name\": \"redrill\"} ".repeat(40);
        assert!(compress(&text).is_some());
    }

    #[test]
    fn malformed_streams_are_refused() {
        assert_eq!(decompress(&[5, b'a'], 6), None); // literal runs past the input
        assert_eq!(decompress(&[0, b'a', 0x20, 5], 4), None); // reference before start
        assert_eq!(decompress(&[0, b'a', 0xe0], 20), None); // truncated long reference
        assert_eq!(decompress(&[0, b'a'], 2), None); // too short
        assert_eq!(decompress(&[1, b'a', b'b'], 1), None); // too long
        assert_eq!(decompress(&[0, b'a'], usize::MAX), None); // absurd length
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
            if let Some(c) = compress(&data) {
                prop_assert!(c.len() < data.len());
                prop_assert_eq!(decompress(&c, data.len()), Some(data));
            }
        }

        #[test]
        fn round_trip_repetitive(unit in proptest::collection::vec(any::<u8>(), 1..40), times in 1usize..200) {
            let data: Vec<u8> = unit.iter().copied().cycle().take(unit.len() * times).collect();
            if let Some(c) = compress(&data) {
                prop_assert_eq!(decompress(&c, data.len()), Some(data));
            }
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..5000) {
            if let Some(out) = decompress(&data, len) {
                prop_assert_eq!(out.len(), len);
            }
        }
    }
}
