//! RDB, Redis's snapshot file format, version 10 as Redis 7.0 writes it.
//!
//! A file is the magic `REDIS` and four version digits, then a stream of opcodes:
//! AUX fields (name/value strings such as `redis-ver`), SELECTDB and RESIZEDB before
//! each database's keys, and for every key optional EXPIRETIME_MS / IDLE / FREQ
//! prefixes, a value-type byte, the key string and the value. An EOF opcode and an
//! 8-byte little-endian CRC-64 of everything before it end the file (zero when
//! `rdbchecksum no`). Lengths use Redis's variable 1/2/5/9-byte encoding; strings
//! may instead be stored as small integers or LZF-compressed.
//!
//! - [`writer`]: serialises values and whole files (what SAVE and BGSAVE write).
//! - [`reader`]: loads files written by any Redis up to RDB version 11, including
//!   the old ziplist, zipmap and quicklist encodings, and refuses anything else
//!   with a message naming the problem and its byte offset.
//! - [`lzf`]: the LZF compressor/decompressor Redis uses for strings.
//! - [`crc64`]: the CRC-64 (Jones polynomial) of the trailer.
//!
//! This module mirrors Redis's `rdb.h` / `rdb.c`; the constants below carry the
//! values of `rdb.h`, since files are exchanged with real Redis.

pub mod crc64;
pub mod legacy;
pub mod lzf;
pub mod reader;
pub mod writer;

/// The RDB version this crate writes (Redis 7.0).
pub const RDB_VERSION: u32 = 10;
/// The newest RDB version the reader accepts (Redis 7.2).
pub const RDB_MAX_READ_VERSION: u32 = 11;

/// Value type: string.
pub const TYPE_STRING: u8 = 0;
/// Value type: list as a linked list of strings (RDB < 7).
pub const TYPE_LIST: u8 = 1;
/// Value type: set as a list of members.
pub const TYPE_SET: u8 = 2;
/// Value type: sorted set with scores as decimal strings (old).
pub const TYPE_ZSET: u8 = 3;
/// Value type: hash as field/value pairs.
pub const TYPE_HASH: u8 = 4;
/// Value type: sorted set with binary double scores.
pub const TYPE_ZSET_2: u8 = 5;
/// Value type: module value (obsolete first format).
pub const TYPE_MODULE: u8 = 6;
/// Value type: module value.
pub const TYPE_MODULE_2: u8 = 7;
/// Value type: hash as a zipmap blob (Redis 2.x).
pub const TYPE_HASH_ZIPMAP: u8 = 9;
/// Value type: list as one ziplist blob.
pub const TYPE_LIST_ZIPLIST: u8 = 10;
/// Value type: set as an intset blob.
pub const TYPE_SET_INTSET: u8 = 11;
/// Value type: sorted set as a ziplist blob.
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
/// Value type: hash as a ziplist blob.
pub const TYPE_HASH_ZIPLIST: u8 = 13;
/// Value type: list as a quicklist of ziplists (Redis 3.2 – 6.2).
pub const TYPE_LIST_QUICKLIST: u8 = 14;
/// Value type: stream (not supported here).
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
/// Value type: hash as a listpack blob (Redis 7.0).
pub const TYPE_HASH_LISTPACK: u8 = 16;
/// Value type: sorted set as a listpack blob (Redis 7.0).
pub const TYPE_ZSET_LISTPACK: u8 = 17;
/// Value type: list as a quicklist of listpacks with node containers (Redis 7.0).
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
/// Value type: stream, second format (not supported here).
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Value type: set as a listpack blob (Redis 7.2, RDB 11).
pub const TYPE_SET_LISTPACK: u8 = 20;
/// Value type: stream, third format (not supported here).
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// Opcode: function library (Redis 7.0).
pub const OPCODE_FUNCTION2: u8 = 245;
/// Opcode: function library, pre-release format.
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// Opcode: module auxiliary data.
pub const OPCODE_MODULE_AUX: u8 = 247;
/// Opcode: LRU idle time of the next key, in seconds.
pub const OPCODE_IDLE: u8 = 248;
/// Opcode: LFU counter of the next key.
pub const OPCODE_FREQ: u8 = 249;
/// Opcode: auxiliary field (two strings).
pub const OPCODE_AUX: u8 = 250;
/// Opcode: hash table size hints of the current database.
pub const OPCODE_RESIZEDB: u8 = 251;
/// Opcode: expire time of the next key, unix milliseconds (8 bytes LE).
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
/// Opcode: expire time of the next key, unix seconds (4 bytes LE; old files).
pub const OPCODE_EXPIRETIME: u8 = 253;
/// Opcode: select database.
pub const OPCODE_SELECTDB: u8 = 254;
/// Opcode: end of file.
pub const OPCODE_EOF: u8 = 255;

/// Length prefix: 6-bit length in the first byte (top bits 00).
pub const LEN_6BIT: u8 = 0;
/// Length prefix: 14-bit length over two bytes (top bits 01).
pub const LEN_14BIT: u8 = 1;
/// Length prefix: special encoding follows (top bits 11).
pub const LEN_ENCVAL: u8 = 3;
/// Length prefix byte: 32-bit big-endian length follows.
pub const LEN_32BIT: u8 = 0x80;
/// Length prefix byte: 64-bit big-endian length follows.
pub const LEN_64BIT: u8 = 0x81;

/// Special string encoding: 8-bit signed integer.
pub const ENC_INT8: u8 = 0;
/// Special string encoding: 16-bit signed integer, little endian.
pub const ENC_INT16: u8 = 1;
/// Special string encoding: 32-bit signed integer, little endian.
pub const ENC_INT32: u8 = 2;
/// Special string encoding: LZF compressed (compressed and plain lengths follow).
pub const ENC_LZF: u8 = 3;

/// Quicklist-2 node container: one large element stored plainly.
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
/// Quicklist-2 node container: a listpack of elements.
pub const QUICKLIST_NODE_PACKED: u64 = 2;
