//! A sorted set (TYPE zset): listpack while small, a skiplist with a member index past the thresholds.
//! (Stub: the full implementation replaces this file.)

use crate::digest::Digest20;

/// A sorted set (TYPE zset): listpack while small, a skiplist with a member index past the thresholds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZSet {}

impl ZSet {
    /// Number of elements.
    pub fn len(&self) -> usize {
        0
    }

    /// True when empty (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }

    /// Mixes the contents into a DEBUG DIGEST as Redis's debug.c does.
    pub fn digest_into(&self, digest: &mut Digest20) {
        let _ = digest;
    }
}
