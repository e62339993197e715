//! `Sds`: the byte string used for keys, built for memory.
//!
//! Redis stores a key as an `sds` (a length header followed by the bytes) in its
//! own allocation. Most keys are short ("user:1042", "session:ab12"), so here a key
//! of up to [`INLINE_CAP`] bytes lives inside the 24-byte value itself, with no
//! allocation at all; longer keys go to one exact-size heap buffer. A million
//! "key:N" keys therefore cost no key allocations, where Redis pays one 16-byte
//! allocation each.
//!
//! Invariant: the `Inline` form is used exactly when the length is at most
//! `INLINE_CAP`, so two equal strings always have the same form.

use std::borrow::Borrow;
use std::fmt;

/// Longest string stored inline.
pub const INLINE_CAP: usize = 22;

/// A compact, immutable byte string (24 bytes on 64-bit targets).
#[derive(Clone)]
pub enum Sds {
    /// Short strings, stored in place.
    Inline {
        /// Number of bytes used in `data`.
        len: u8,
        /// The bytes; only `data[..len]` is meaningful.
        data: [u8; INLINE_CAP],
    },
    /// Longer strings, in one exact-size allocation.
    Heap(Box<[u8]>),
}

impl Sds {
    /// A copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Sds {
        if bytes.len() <= INLINE_CAP {
            let mut data = [0u8; INLINE_CAP];
            data[..bytes.len()].copy_from_slice(bytes);
            Sds::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            Sds::Heap(bytes.into())
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Sds::Inline { len, data } => &data[..usize::from(*len)],
            Sds::Heap(b) => b,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when no heap allocation backs the string.
    pub fn is_inline(&self) -> bool {
        matches!(self, Sds::Inline { .. })
    }

    /// Heap bytes owned beyond the struct itself (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Sds::Inline { .. } => 0,
            Sds::Heap(b) => b.len(),
        }
    }
}

impl From<&[u8]> for Sds {
    fn from(bytes: &[u8]) -> Sds {
        Sds::new(bytes)
    }
}

impl From<&str> for Sds {
    fn from(s: &str) -> Sds {
        Sds::new(s.as_bytes())
    }
}

impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Sds {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Sds {
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Sds {}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sds {
    fn cmp(&self, other: &Sds) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for Sds {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Sds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_24_bytes() {
        assert_eq!(std::mem::size_of::<Sds>(), 24);
    }

    #[test]
    fn inline_exactly_up_to_cap() {
        for n in 0..40 {
            let bytes = vec![b'x'; n];
            let s = Sds::new(&bytes);
            assert_eq!(s.as_bytes(), &bytes[..]);
            assert_eq!(s.is_inline(), n <= INLINE_CAP);
        }
    }
}
