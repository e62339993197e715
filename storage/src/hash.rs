//! The keyed hash of the dict: SipHash-1-2, as Redis uses (`siphash.c`).
//!
//! A keyed hash stops clients from choosing keys that all land in one bucket
//! (hash flooding). Redis seeds it randomly at start-up; here the 128-bit key comes
//! from the server's seeded [`crate::Rng`], so runs replay exactly. SipHash-1-2
//! (one compression round, two finalisation rounds) is Redis's speed/safety
//! trade-off; the `keyspace` criterion bench measures SET/GET through it.

/// A SipHash-1-2 key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashKey {
    /// First half of the key.
    pub k0: u64,
    /// Second half of the key.
    pub k1: u64,
}

#[inline]
fn round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-1-2 of `data` under `key`.
pub fn siphash12(key: HashKey, data: &[u8]) -> u64 {
    let mut v = [
        key.k0 ^ 0x736f_6d65_7073_6575,
        key.k1 ^ 0x646f_7261_6e64_6f6d,
        key.k0 ^ 0x6c79_6765_6e65_7261,
        key.k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let m = u64::from_le_bytes(word);
        v[3] ^= m;
        round(&mut v);
        v[0] ^= m;
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    let b = u64::from_le_bytes(last) | ((data.len() as u64) << 56);
    v[3] ^= b;
    round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    round(&mut v);
    round(&mut v);
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_length_sensitive() {
        let a = HashKey { k0: 1, k1: 2 };
        let b = HashKey { k0: 3, k1: 4 };
        assert_ne!(siphash12(a, b"key:1"), siphash12(b, b"key:1"));
        assert_ne!(siphash12(a, b""), siphash12(a, b"\0"));
        assert_eq!(siphash12(a, b"hello world!"), siphash12(a, b"hello world!"));
    }
}
