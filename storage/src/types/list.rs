//! A list (TYPE list): a quicklist, a deque of listpack nodes.
//! (Stub: the full implementation replaces this file.)

use crate::digest::Digest20;

/// A list (TYPE list): a quicklist, a deque of listpack nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {}

impl List {
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
