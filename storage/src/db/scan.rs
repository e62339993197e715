//! SCAN on a database (`scanGenericCommand` for the keyspace): walk the dict with
//! the reverse-binary cursor until COUNT keys are gathered or 10 x COUNT buckets
//! were visited, then filter by MATCH pattern, TYPE, and expiry (expired keys
//! found this way are deleted, as Redis's `expireIfNeeded` does).

use super::Db;
use crate::sds::Sds;

impl Db {
    /// One SCAN call: returns the next cursor (0 when done) and the keys.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: u64,
        pattern: Option<&[u8]>,
        type_name: Option<&[u8]>,
        now_ms: i64,
    ) -> (u64, Vec<Sds>) {
        let count = count.max(1);
        let mut keys: Vec<Sds> = Vec::new();
        let mut cursor = cursor;
        let mut iterations = count.saturating_mul(10);
        loop {
            cursor = self.dict.scan(cursor, |e| keys.push(e.key().clone()));
            iterations -= 1;
            if cursor == 0 || iterations == 0 || keys.len() as u64 >= count {
                break;
            }
        }
        // "*" matches everything: Redis skips the matcher for it.
        let pattern = pattern.filter(|p| *p != b"*");
        keys.retain(|k| {
            if let Some(p) = pattern {
                if !crate::glob::matches(p, k.as_bytes(), false) {
                    return false;
                }
            }
            if let Some(t) = type_name {
                let actual = self.peek(k.as_bytes()).map_or("none", |v| v.type_name());
                if !actual.as_bytes().eq_ignore_ascii_case(t) {
                    return false;
                }
            }
            !self.expire_if_needed(k.as_bytes(), now_ms)
        });
        (cursor, keys)
    }
}
