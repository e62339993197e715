//! A set (TYPE set): an intset while it holds only small integers, a hash table otherwise.
//! (Stub: the full implementation replaces this file.)

use crate::digest::Digest20;

/// A set (TYPE set): an intset while it holds only small integers, a hash table otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {}

impl Set {
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
