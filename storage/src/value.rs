//! `Value`: what a key holds, with the type and encoding names Redis reports.
//!
//! Redis wraps every value in a `robj` with a type (string, list, hash, set,
//! zset) and an encoding (for strings: `int`, `embstr`, `raw`). Here the type is
//! the [`Value`] variant and the encoding is part of the variant's payload, so
//! `TYPE` and `OBJECT ENCODING` read it without extra fields. Only strings exist
//! now; lists, hashes, sets and sorted sets become more variants (boxed, so the
//! enum stays 24 bytes).
//!
//! The string encodings follow Redis 7.0's `tryObjectEncoding`:
//! - `int`: the bytes are what `string2ll` accepts ("12", "-7"; not "01", "+1",
//!   " 1") and fit an i64; stored as the number itself.
//! - `embstr`: up to 44 bytes, created whole (SET, MSET, INCRBYFLOAT results).
//! - `raw`: longer strings, and any string modified in place (APPEND, SETRANGE):
//!   Redis "unshares" such a value into a raw sds, and OBJECT ENCODING shows it.

use crate::sds::INLINE_CAP;
use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet};

/// Longest string Redis 7.0 stores as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Inline capacity of a string value (two bytes go to the raw flag and length).
const VALUE_INLINE_CAP: usize = INLINE_CAP - 1;

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string (TYPE `string`).
    String(StringValue),
    /// A list (TYPE `list`).
    List(Box<List>),
    /// A hash (TYPE `hash`). Not boxed: `Hash` is a 16-byte enum whose small
    /// encoding is the listpack allocation itself, so a small hash costs one
    /// allocation beyond its key entry, as in Redis (see `value_is_24_bytes`).
    Hash(Hash),
    /// A set (TYPE `set`); 16 bytes, like `Hash`.
    Set(Set),
    /// A sorted set (TYPE `zset`); 16 bytes, like `Hash`.
    ZSet(ZSet),
}

/// A string value in one of Redis's three encodings, packed into 24 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StringValue {
    /// Encoding `int`.
    Int(i64),
    /// Short bytes stored in place; `raw` marks a string modified in place.
    Inline {
        /// True once APPEND/SETRANGE touched it (encoding `raw`).
        raw: bool,
        /// Bytes used in `data`.
        len: u8,
        /// The bytes.
        data: [u8; VALUE_INLINE_CAP],
    },
    /// Longer bytes; `raw` as above, and always true past 44 bytes. Shared, not
    /// copied, when a snapshot takes the value: strings are never changed in
    /// place (APPEND and SETRANGE build a new value), so sharing is safe.
    Heap {
        /// Encoding `raw` rather than `embstr`.
        raw: bool,
        /// The bytes.
        bytes: std::sync::Arc<[u8]>,
    },
}

/// Parses bytes as Redis's `string2ll` does (strict: no sign '+', no spaces, no
/// leading zeros), returning the integer when the whole input is one.
pub fn parse_i64_strict(arg: &[u8]) -> Option<i64> {
    resp::number::string2ll(arg)
}

/// Formats an i64 in decimal into `buf`, returning the used part.
pub fn format_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

impl StringValue {
    /// The encoding SET gives `bytes` (`tryObjectEncoding`): int, embstr or raw.
    pub fn from_bytes(bytes: &[u8]) -> StringValue {
        match parse_i64_strict(bytes) {
            Some(n) => StringValue::Int(n),
            None => StringValue::bytes(bytes, bytes.len() > EMBSTR_SIZE_LIMIT),
        }
    }

    /// Bytes kept as a string (never `int`), e.g. an INCRBYFLOAT result.
    pub fn from_bytes_no_int(bytes: &[u8]) -> StringValue {
        StringValue::bytes(bytes, bytes.len() > EMBSTR_SIZE_LIMIT)
    }

    /// Bytes with an explicit raw flag (APPEND and SETRANGE results are raw).
    pub fn bytes(bytes: &[u8], raw: bool) -> StringValue {
        if bytes.len() <= VALUE_INLINE_CAP {
            let mut data = [0u8; VALUE_INLINE_CAP];
            data[..bytes.len()].copy_from_slice(bytes);
            StringValue::Inline {
                raw,
                len: bytes.len() as u8,
                data,
            }
        } else {
            StringValue::Heap {
                raw,
                bytes: bytes.into(),
            }
        }
    }

    /// The string's bytes; an `int` is formatted into `buf`.
    pub fn as_bytes<'a>(&'a self, buf: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            StringValue::Int(n) => format_i64(*n, buf),
            StringValue::Inline { len, data, .. } => &data[..usize::from(*len)],
            StringValue::Heap { bytes, .. } => bytes,
        }
    }

    /// The bytes as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = [0u8; 20];
        self.as_bytes(&mut buf).to_vec()
    }

    /// Length in bytes (STRLEN); an `int` counts its decimal digits.
    pub fn len(&self) -> usize {
        let mut buf = [0u8; 20];
        self.as_bytes(&mut buf).len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, if the string is one (`getLongLongFromObject`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StringValue::Int(n) => Some(*n),
            other => {
                let mut buf = [0u8; 20];
                parse_i64_strict(other.as_bytes(&mut buf))
            }
        }
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            StringValue::Int(_) => "int",
            StringValue::Inline { raw: false, .. } | StringValue::Heap { raw: false, .. } => {
                "embstr"
            }
            _ => "raw",
        }
    }
}

impl Value {
    /// A string value encoded as SET would encode `bytes`.
    pub fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::from_bytes(bytes))
    }

    /// An integer string value (INCR results).
    pub fn int(n: i64) -> Value {
        Value::String(StringValue::Int(n))
    }

    /// TYPE's name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// The string inside, or None for another type (the WRONGTYPE check).
    pub fn as_string(&self) -> Option<&StringValue> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The list inside, or None for another type.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The list inside for modification, or None for another type.
    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The hash inside, or None for another type.
    pub fn as_hash(&self) -> Option<&Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The hash inside for modification, or None for another type.
    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The set inside, or None for another type.
    pub fn as_set(&self) -> Option<&Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The set inside for modification, or None for another type.
    pub fn as_set_mut(&mut self) -> Option<&mut Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The sorted set inside, or None for another type.
    pub fn as_zset(&self) -> Option<&ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The sorted set inside for modification, or None for another type.
    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// True for a collection with no elements left (its key must be deleted).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::String(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }

    /// Redis's numeric type code (`OBJ_STRING` = 0, ...), used by DEBUG DIGEST.
    pub fn type_code(&self) -> u32 {
        match self {
            Value::String(_) => 0,
            Value::List(_) => 1,
            Value::Set(_) => 2,
            Value::ZSet(_) => 3,
            Value::Hash(_) => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_24_bytes() {
        assert_eq!(std::mem::size_of::<StringValue>(), 24);
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_try_object_encoding() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"-9223372036854775808").encoding(), "int");
        for s in [
            &b"01"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-0",
            b"",
        ] {
            assert_eq!(Value::string(s).encoding(), "embstr", "{s:?}");
        }
        assert_eq!(Value::string(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        assert_eq!(
            Value::String(StringValue::bytes(b"ab", true)).encoding(),
            "raw"
        );
    }

    #[test]
    fn bytes_round_trip() {
        for n in [0usize, 1, 20, 21, 22, 44, 45, 100] {
            let bytes: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(StringValue::from_bytes(&bytes).to_vec(), bytes);
        }
        assert_eq!(StringValue::Int(-42).to_vec(), b"-42");
        assert_eq!(StringValue::Int(i64::MIN).to_vec(), b"-9223372036854775808");
    }
}
