//! DEBUG DIGEST and DEBUG DIGEST-VALUE, computed exactly as Redis 7.0's
//! `computeDatasetDigest` (`debug.c`), so the 40 hex digits match a real Redis
//! holding the same data: replicas, AOF reloads and RDB round trips can be
//! checked against Redis itself.
//!
//! Two SHA1-based mixers: `xor(d, bytes)` XORs SHA1(bytes) into the 20-byte digest
//! `d` (order-independent), `mix(d, bytes)` does that and then replaces `d` by
//! SHA1(d) (order-dependent). Per key: a fresh digest, mixed with the key, then
//! with the value's type code (big-endian u32) and its contents; a key with a
//! deadline gets the constant "!!expire!!" XORed in (the deadline itself does not
//! count). The SHA1 of each key digest is XORed into the result (so dict order
//! does not matter); each
//! non-empty db first mixes its index (big-endian u32) into the running result.
//! An empty dataset digests to twenty zero bytes.
//!
//! Strings contribute their bytes (an `int` as its decimal text). Other types will
//! add their element walks in [`value_digest`].

use sha1::{Digest as _, Sha1};

use crate::db::Db;
use crate::keyspace::Keyspace;
use crate::value::Value;

/// A 20-byte digest.
pub type Digest20 = [u8; 20];

/// XORs SHA1(`data`) into `digest` (`xorDigest`).
pub fn xor_digest(digest: &mut Digest20, data: &[u8]) {
    let hash = Sha1::digest(data);
    for (d, h) in digest.iter_mut().zip(hash.iter()) {
        *d ^= h;
    }
}

/// XORs SHA1(`data`) in, then replaces the digest by its own SHA1 (`mixDigest`).
pub fn mix_digest(digest: &mut Digest20, data: &[u8]) {
    xor_digest(digest, data);
    let hash = Sha1::digest(&digest[..]);
    digest.copy_from_slice(&hash);
}

/// Mixes a value (type code then contents) and its expire flag into `digest`
/// (`xorObjectDigest`).
pub fn value_digest(digest: &mut Digest20, value: &Value, has_expire: bool) {
    mix_digest(digest, &value.type_code().to_be_bytes());
    match value {
        Value::String(s) => {
            let mut buf = [0u8; 20];
            mix_digest(digest, s.as_bytes(&mut buf));
        }
        Value::List(l) => l.digest_into(digest),
        Value::Hash(h) => h.digest_into(digest),
        Value::Set(s) => s.digest_into(digest),
        Value::ZSet(z) => z.digest_into(digest),
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST-VALUE for one key of `db` (no expiry check, like Redis): zeros
/// when the key is missing.
pub fn key_value_digest(db: &Db, key: &[u8]) -> Digest20 {
    let mut digest = [0u8; 20];
    if let Some(value) = db.peek(key) {
        value_digest(&mut digest, value, db.get_expire(key).is_some());
    }
    digest
}

/// DEBUG DIGEST of the whole keyspace (`computeDatasetDigest`).
pub fn dataset_digest(keyspace: &Keyspace) -> Digest20 {
    let mut result = [0u8; 20];
    for (index, db) in keyspace.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut result, &(index as u32).to_be_bytes());
        for entry in db.dict().iter() {
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, entry.key().as_bytes());
            let has_expire = db.get_expire(entry.key().as_bytes()).is_some();
            value_digest(&mut digest, entry.value(), has_expire);
            xor_digest(&mut result, &digest);
        }
    }
    result
}

/// Lowercase hex, as DEBUG DIGEST prints.
pub fn to_hex(digest: &Digest20) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dataset_is_all_zeros() {
        let ks = Keyspace::new(16);
        assert_eq!(to_hex(&dataset_digest(&ks)), "0".repeat(40));
    }

    /// Expected values printed by redis-server 7.0.15 for the same commands.
    #[test]
    fn matches_redis_7_0() {
        let now = 1_700_000_000_000;
        let mut ks = Keyspace::new(16);
        let db = ks.db_mut(0);
        db.set(b"foo", Value::string(b"bar"), now, false);
        assert_eq!(
            to_hex(&dataset_digest(&ks)),
            "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a"
        );
        let db = ks.db_mut(0);
        db.set(b"n", Value::string(b"12345"), now, false);
        db.set(b"big", Value::string(&[b'a'; 50]), now, false);
        assert_eq!(
            to_hex(&dataset_digest(&ks)),
            "9a474cefe5a56dba8d5d5900419bb152795d802f"
        );
        let db = ks.db_mut(0);
        db.set(b"ttl", Value::string(b"val"), now, false);
        db.set_expire(b"ttl", now + 1_000_000);
        assert_eq!(
            to_hex(&dataset_digest(&ks)),
            "673ed02f1a1a5ebc5d30196c8b90af9e3e39d537"
        );
        ks.db_mut(3).set(b"other", Value::string(b"x"), now, false);
        assert_eq!(
            to_hex(&dataset_digest(&ks)),
            "072d58166c3551a44ed2975e911bfad4bfbe9795"
        );
        let db = ks.db(0);
        assert_eq!(
            to_hex(&key_value_digest(db, b"foo")),
            "68467c70ae30376e7ce005bcc8827f5ba7fd67dc"
        );
        assert_eq!(
            to_hex(&key_value_digest(db, b"ttl")),
            "ac04a84d3fcd16162a871280160dabf4ef51f46f"
        );
        assert_eq!(
            to_hex(&key_value_digest(db, b"n")),
            "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"
        );
        assert_eq!(to_hex(&key_value_digest(db, b"missing")), "0".repeat(40));
    }
}
