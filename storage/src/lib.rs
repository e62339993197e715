//! The keyspace (stub: the real dict, values, expiry and SCAN replace this; the
//! names `Keyspace`, `Db`, `Rng` and the methods used by the server stay).

/// All databases (SELECT 0..databases-1).
#[derive(Debug, Default)]
pub struct Keyspace {
    dbs: Vec<Db>,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
        }
    }
    /// Number of databases.
    pub fn len(&self) -> usize {
        self.dbs.len()
    }
    /// True with zero databases.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }
    /// Database `index`; panics on a bad index, which callers check first.
    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }
}

/// One database.
#[derive(Debug, Default)]
pub struct Db {}

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
