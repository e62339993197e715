//! The keyspace: every database, its keys and values, their expiry, and the
//! algorithms Redis runs over them (incremental rehashing, SCAN, active expiry,
//! DEBUG DIGEST).
//!
//! This crate mirrors Redis's `dict.c`, `db.c`, `expire.c`, `object.c` and the digest
//! part of `debug.c`. It is synchronous and deterministic: the wall clock arrives as
//! `now_ms` arguments, monotonic time as a `clock` callback, and randomness as a
//! seeded [`Rng`], so a test or a drill can replay any run exactly. Nothing here
//! speaks RESP: operations return outcomes and the server renders replies.
//!
//! Map of the crate:
//! - [`sds`]: the compact byte string used for keys (inline up to 22 bytes).
//! - [`value`]: what a key holds ([`Value`]), with Redis's type and encoding names.
//! - [`dict`]: the chained hash table with incremental rehashing, SCAN and sampling.
//! - [`db`]: one database, the main dict plus the `expires` dict.
//! - [`keyspace`]: all databases, cross-db operations, the expired-key log.
//! - [`expire`]: the active expiry cycle (`activeExpireCycle`).
//! - [`evict`]: LFU access counters and the eviction pool (`evict.c`).
//! - [`digest`]: DEBUG DIGEST and DIGEST-VALUE, bit-for-bit as Redis 7.0.
//! - [`glob`]: `stringmatchlen`, the pattern matcher of KEYS, SCAN and CONFIG GET.
//! - [`lru`]: the 24-bit LRU clock behind OBJECT IDLETIME and LRU eviction.
//! - [`intset`]: the sorted integer array behind small integer sets (`intset.c`).
//! - [`types`]: lists, hashes, sets and sorted sets with their compact encodings.
//! - [`rdb`]: RDB files: the writer, the reader (every encoding up to RDB 11),
//!   LZF and CRC-64.
//! - [`usage`]: the bytes of a key and value (MEMORY USAGE) and of a db's dicts.

pub mod db;
pub mod dict;
pub mod digest;
pub mod evict;
pub mod expire;
pub mod glob;
pub mod hash;
pub mod intset;
pub mod keyspace;
pub mod listpack;
pub mod lru;
pub mod rdb;
pub mod sds;
pub mod types;
pub mod usage;
pub mod value;

pub use db::{Db, Lookup, SnapItem};
pub use dict::Dict;
pub use expire::{ExpireCycle, ExpireStats};
pub use keyspace::{CopyOutcome, Keyspace, MoveOutcome};
pub use sds::Sds;
pub use value::{StringValue, Value};

/// The seeded generator (xoshiro256**), the only randomness in the server.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator from a 64-bit seed (expanded with splitmix64).
    pub fn seeded(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        // Lemire's multiply-shift: unbiased enough for sampling, and branch-free.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}
