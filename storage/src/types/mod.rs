//! The aggregate value types: lists, hashes, sets and sorted sets, each with
//! Redis 7.0's compact and large encodings and the conversions between them.
//!
//! | type  | small encoding            | large encoding          | OBJECT ENCODING        |
//! |-------|---------------------------|-------------------------|------------------------|
//! | list  | quicklist of listpacks    | (same)                  | quicklist (always, 7.0)|
//! | hash  | listpack                  | hash table              | listpack / hashtable   |
//! | set   | intset (integers only)    | hash table              | intset / hashtable     |
//! | zset  | listpack                  | skiplist + hash table   | listpack / skiplist    |
//!
//! Thresholds come from the config (`hash-max-listpack-entries`, ...) as
//! arguments, so this crate stays free of server state. An emptied collection is
//! never left in the keyspace: the commands delete the key, as Redis does.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;
