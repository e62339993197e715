//! Replication ids, offsets and the propagation stream.
//!
//! A master names its history with a random 40-hex-digit id, shown as
//! `master_replid` in INFO replication, and counts the bytes of its propagation
//! stream ([`stream`]) as its replication offset. The backlog and the PSYNC
//! decisions arrive with the replication issue.

pub mod stream;

/// A replication id: 40 lowercase hex digits, as Redis's CONFIG_RUN_ID_SIZE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplId(String);

impl ReplId {
    /// Builds an id from 20 random bytes drawn by the caller's seeded generator.
    pub fn from_random_bytes(bytes: [u8; 20]) -> ReplId {
        let mut s = String::with_capacity(40);
        for b in bytes {
            s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        ReplId(s)
    }

    /// The id as Redis prints it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repl_id_is_forty_hex_digits() {
        let id = ReplId::from_random_bytes([0xab; 20]);
        assert_eq!(id.as_str().len(), 40);
        assert!(id.as_str().chars().all(|c| c.is_ascii_hexdigit()));
    }
}
