//! The RDB writer: what SAVE, BGSAVE and a full sync serialise, and DUMP's
//! payload (`rdbSaveRio`, `rdbSaveKeyValuePair`, `rdbSaveObject` and
//! `createDumpPayload` in Redis 7.0).
//!
//! A file, as [`RdbWriter`] produces it:
//!
//! ```text
//!   "REDIS0010"
//!   AUX(250) <name> <value>            x N      redis-ver, redis-bits, ctime, ...
//!   SELECTDB(254) <db> RESIZEDB(251) <keys> <expires>      per non-empty db
//!     [EXPIRETIME_MS(252) <i64 LE>] [IDLE(248) <len> | FREQ(249) <u8>]
//!     <type byte> <key string> <value body>                per key
//!   EOF(255) <CRC-64 of everything before, u64 LE; 0 when rdbchecksum no>
//! ```
//!
//! Lengths use a 1/2/5/9-byte encoding (top two bits of the first byte:
//! `00` 6-bit, `01` 14-bit, `10` then 0x80 + 32-bit or 0x81 + 64-bit big-endian).
//! A string is a length and its bytes, except that Redis saves space in two
//! ways, and so do we: a string of at most 11 bytes that reads as an integer
//! fitting 32 bits becomes `11000000..10` + 1, 2 or 4 little-endian bytes, and
//! with `rdbcompression yes` a string longer than 20 bytes whose LZF form is at
//! least 4 bytes shorter becomes `11000011 <compressed len> <len> <lzf bytes>`.
//!
//! Value bodies in Redis 7.0's encodings (type byte in parentheses):
//! string (0): one string; list (18, quicklist 2): node count, then per node the
//! container `2` (packed) and the node's listpack as a string; set (11): the
//! intset blob as a string, or (2) count + members; hash (16): the listpack
//! blob, or (4) count + field/value pairs; sorted set (17): the listpack blob,
//! or (5) count + per element member string and 8-byte LE binary double, from
//! the highest score down (`rdbSaveObject` walks the skiplist from its tail so
//! that loading inserts each element at the head in O(1)). Our listpacks and
//! intsets already hold Redis's exact bytes, so they are copied verbatim.
//!
//! Speed: a snapshot of millions of keys goes through [`RdbWriter::key`], which
//! encodes straight into one reusable buffer (no allocation per key) and hands
//! the sink, and the CRC, chunks of about 64 KiB; only a value larger than a
//! chunk bypasses the buffer. LZF uses one thread-local compressor whose table
//! is never cleared (see `lzf.rs`).

use std::io::{self, Write};

use super::crc64::crc64;
use super::lzf;
use super::*;
use crate::listpack::LpEntry;
use crate::types::hash::Hash;
use crate::types::set::{Member, Set};
use crate::types::zset::ZSet;
use crate::value::{format_i64, parse_i64_strict, StringValue, Value};

#[cfg(test)]
mod tests;

/// Bytes buffered before the writer checksums them and hands them to the sink.
const CHUNK: usize = 16 * 1024;
/// Strings up to this length are tried as integers (`rdbSaveRawString`).
const MAX_INT_STRING: usize = 11;
/// Strings up to this length are never compressed ("unable to compress even
/// aaaaaaaaaaaaaaaaaa" says Redis).
const MIN_COMPRESS: usize = 20;
/// LZF must save at least this many bytes to be used (`rdbSaveLzfStringObject`).
const MIN_SAVING: usize = 4;

/// What the server records about a key besides its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// Absolute expire time, unix milliseconds (EXPIRETIME_MS).
    pub expire_ms: Option<i64>,
    /// Idle time in seconds, written under an LRU `maxmemory-policy` (IDLE).
    pub idle_s: Option<u64>,
    /// LFU counter, written under an LFU `maxmemory-policy` (FREQ).
    pub freq: Option<u8>,
}

/// Options of a file write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes.
    pub compression: bool,
    /// `rdbchecksum`: end the file with the CRC-64 (zero otherwise).
    pub checksum: bool,
}

impl Default for WriteOptions {
    /// Redis's defaults: `rdbcompression yes`, `rdbchecksum yes`.
    fn default() -> Self {
        WriteOptions {
            compression: true,
            checksum: true,
        }
    }
}

/// Streams an RDB file into `out`, keeping the running CRC.
pub struct RdbWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    /// Encoded bytes not yet checksummed nor written.
    buf: Vec<u8>,
    /// CRC-64 of every byte handed to `out` so far.
    crc: u64,
    /// Bytes handed to `out` so far.
    flushed: u64,
}

impl<W: Write> RdbWriter<W> {
    /// A writer over `out`; nothing is written until [`RdbWriter::header`].
    pub fn new(out: W, opts: WriteOptions) -> Self {
        RdbWriter {
            out,
            opts,
            buf: Vec::with_capacity(CHUNK + CHUNK / 4),
            crc: 0,
            flushed: 0,
        }
    }

    /// Writes the magic `REDIS` and the version, `0010`.
    pub fn header(&mut self) -> io::Result<()> {
        self.buf.extend_from_slice(b"REDIS");
        self.buf
            .extend_from_slice(format!("{RDB_VERSION:04}").as_bytes());
        self.maybe_flush()
    }

    /// Writes one AUX field (`rdbSaveAuxField`).
    pub fn aux(&mut self, name: &[u8], value: &[u8]) -> io::Result<()> {
        self.buf.push(OPCODE_AUX);
        write_string(&mut self.buf, name, self.opts.compression);
        write_string(&mut self.buf, value, self.opts.compression);
        self.maybe_flush()
    }

    /// Starts database `db`: SELECTDB, then RESIZEDB with its key and expire counts.
    pub fn select_db(&mut self, db: usize, size: usize, expires: usize) -> io::Result<()> {
        self.buf.push(OPCODE_SELECTDB);
        write_len(&mut self.buf, db as u64);
        self.buf.push(OPCODE_RESIZEDB);
        write_len(&mut self.buf, size as u64);
        write_len(&mut self.buf, expires as u64);
        self.maybe_flush()
    }

    /// Writes one key: its metadata opcodes, type byte, name and value.
    pub fn key(&mut self, key: &[u8], value: &Value, meta: &KeyMeta) -> io::Result<()> {
        if let Value::String(StringValue::Heap { bytes, .. }) = value {
            if bytes.len() >= CHUNK {
                return self.large_string_key(key, bytes, meta);
            }
        }
        self.key_prefix(meta);
        let type_at = self.buf.len();
        self.buf.push(TYPE_STRING);
        write_string(&mut self.buf, key, self.opts.compression);
        let type_byte = encode_value(&mut self.buf, value, self.opts.compression);
        if let Some(slot) = self.buf.get_mut(type_at) {
            *slot = type_byte;
        }
        self.maybe_flush()
    }

    /// Writes a key whose value was already encoded by `encode_value` (type byte + body).
    pub fn encoded_key(
        &mut self,
        key: &[u8],
        type_byte: u8,
        body: &[u8],
        meta: &KeyMeta,
    ) -> io::Result<()> {
        self.key_prefix(meta);
        self.buf.push(type_byte);
        write_string(&mut self.buf, key, self.opts.compression);
        self.raw(body)
    }

    /// Ends the file: EOF, then the CRC-64 (or zero), and flushes the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.push(OPCODE_EOF);
        self.flush_buf()?;
        // The trailer is not part of what it checksums.
        let crc = if self.opts.checksum { self.crc } else { 0 };
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Bytes produced so far, buffered ones included (INFO's `rdb_*` progress).
    pub fn bytes_written(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// The EXPIRETIME_MS / IDLE / FREQ opcodes that precede a key.
    fn key_prefix(&mut self, meta: &KeyMeta) {
        if let Some(ms) = meta.expire_ms {
            self.buf.push(OPCODE_EXPIRETIME_MS);
            self.buf.extend_from_slice(&ms.to_le_bytes());
        }
        if let Some(idle) = meta.idle_s {
            self.buf.push(OPCODE_IDLE);
            write_len(&mut self.buf, idle);
        }
        if let Some(freq) = meta.freq {
            self.buf.push(OPCODE_FREQ);
            self.buf.push(freq);
        }
    }

    /// A string value bigger than a chunk: compressed into the buffer, or else
    /// written straight from the value without a copy.
    fn large_string_key(&mut self, key: &[u8], bytes: &[u8], meta: &KeyMeta) -> io::Result<()> {
        self.key_prefix(meta);
        self.buf.push(TYPE_STRING);
        write_string(&mut self.buf, key, self.opts.compression);
        if self.opts.compression && write_lzf(&mut self.buf, bytes) {
            return self.maybe_flush();
        }
        write_len(&mut self.buf, bytes.len() as u64);
        self.raw(bytes)
    }

    /// Appends already-encoded bytes, bypassing the buffer when they are large.
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() < CHUNK {
            self.buf.extend_from_slice(bytes);
            return self.maybe_flush();
        }
        self.flush_buf()?;
        self.emit(bytes)
    }

    /// Hands the buffer over once it holds a chunk.
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// Checksums and writes the buffer, leaving it empty (capacity kept).
    fn flush_buf(&mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let result = self.emit(&buf);
        self.buf = buf;
        self.buf.clear();
        result
    }

    /// Checksums `bytes` (when `rdbchecksum` is on) and writes them.
    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.opts.checksum {
            self.crc = crc64(self.crc, bytes);
        }
        self.out.write_all(bytes)?;
        self.flushed += bytes.len() as u64;
        Ok(())
    }
}

/// Appends a length in RDB's variable-size encoding (`rdbSaveLen`).
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    let (bytes, n) = encode_len(len);
    out.extend_from_slice(bytes.get(..n).unwrap_or(&bytes));
}

/// `len` in RDB's length encoding: the bytes, and how many of them are used.
fn encode_len(len: u64) -> ([u8; 9], usize) {
    let mut b = [0u8; 9];
    if len < 1 << 6 {
        b[0] = (LEN_6BIT << 6) | len as u8;
        (b, 1)
    } else if len < 1 << 14 {
        b[0] = (LEN_14BIT << 6) | (len >> 8) as u8;
        b[1] = len as u8;
        (b, 2)
    } else if let Ok(len32) = u32::try_from(len) {
        b[0] = LEN_32BIT;
        b[1..5].copy_from_slice(&len32.to_be_bytes());
        (b, 5)
    } else {
        b[0] = LEN_64BIT;
        b[1..9].copy_from_slice(&len.to_be_bytes());
        (b, 9)
    }
}

/// Appends a string in RDB's encodings: integer, LZF, or length + bytes
/// (`rdbSaveRawString`).
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= MAX_INT_STRING {
        if let Some(v) = parse_i64_strict(s) {
            if write_int_encoding(out, v) {
                return;
            }
        }
    }
    if compression && s.len() > MIN_COMPRESS && write_lzf(out, s) {
        return;
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends an integer as a string: a special integer encoding when it fits 32
/// bits, else its decimal digits (`rdbSaveLongLongAsStringObject`).
pub fn write_int_string(out: &mut Vec<u8>, v: i64) {
    if !write_int_encoding(out, v) {
        let mut digits = [0u8; 20];
        let text = format_i64(v, &mut digits);
        write_len(out, text.len() as u64);
        out.extend_from_slice(text);
    }
}

/// Appends `v` as INT8 / INT16 / INT32 (`rdbEncodeInteger`); false if it needs more.
fn write_int_encoding(out: &mut Vec<u8>, v: i64) -> bool {
    let special = LEN_ENCVAL << 6;
    if let Ok(b) = i8::try_from(v) {
        out.push(special | ENC_INT8);
        out.extend_from_slice(&b.to_le_bytes());
    } else if let Ok(h) = i16::try_from(v) {
        out.push(special | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(special | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends `s` LZF-compressed (`11000011 <clen> <len> <data>`) if that saves at
/// least four bytes; otherwise appends nothing and returns false.
fn write_lzf(out: &mut Vec<u8>, s: &[u8]) -> bool {
    let Some(max_out) = s.len().checked_sub(MIN_SAVING) else {
        return false;
    };
    // Compress in place after a header sized for the largest allowed result,
    // then fix the header; the data moves only if the compressed length
    // turns out to need fewer length bytes.
    let start = out.len();
    let width = |len: usize| encode_len(len as u64).1;
    let reserved = 1 + width(max_out) + width(s.len());
    out.resize(start + reserved, 0);
    if !lzf::with_compressor(|c| c.compress_into(s, max_out, out)) {
        out.truncate(start);
        return false;
    }
    let clen = out.len() - start - reserved;
    let (clen_bytes, clen_width) = encode_len(clen as u64);
    let (len_bytes, len_width) = encode_len(s.len() as u64);
    let used = 1 + clen_width + len_width;
    if used < reserved {
        out.copy_within(start + reserved.., start + used);
        out.truncate(out.len() - (reserved - used));
    }
    let header = [LEN_ENCVAL << 6 | ENC_LZF]
        .iter()
        .chain(&clen_bytes[..clen_width])
        .chain(&len_bytes[..len_width]);
    for (dst, src) in out.iter_mut().skip(start).zip(header) {
        *dst = *src;
    }
    true
}

/// Encodes a value's body as rdbSaveObject does, returning its type byte.
pub fn encode_value(out: &mut Vec<u8>, value: &Value, compression: bool) -> u8 {
    match value {
        Value::String(StringValue::Int(v)) => {
            write_int_string(out, *v);
            TYPE_STRING
        }
        Value::String(s) => {
            let mut digits = [0u8; 20];
            write_string(out, s.as_bytes(&mut digits), compression);
            TYPE_STRING
        }
        Value::List(list) => {
            write_len(out, list.nodes().len() as u64);
            for node in list.nodes() {
                write_len(out, QUICKLIST_NODE_PACKED);
                write_string(out, node.as_bytes(), compression);
            }
            TYPE_LIST_QUICKLIST_2
        }
        Value::Set(set) => encode_set(out, set, compression),
        Value::Hash(hash) => encode_hash(out, hash, compression),
        Value::ZSet(zset) => encode_zset(out, zset, compression),
    }
}

/// A set: the intset blob, or every member.
fn encode_set(out: &mut Vec<u8>, set: &Set, compression: bool) -> u8 {
    if let Set::Intset(intset) = set {
        write_string(out, intset.as_bytes(), compression);
        return TYPE_SET_INTSET;
    }
    write_len(out, set.len() as u64);
    for member in set.iter() {
        match member {
            Member::Bytes(b) => write_string(out, b, compression),
            Member::Int(v) => write_int_string(out, v),
        }
    }
    TYPE_SET
}

/// A hash: the listpack blob, or every field/value pair.
fn encode_hash(out: &mut Vec<u8>, hash: &Hash, compression: bool) -> u8 {
    if let Hash::Listpack(lp) = hash {
        write_string(out, lp.as_bytes(), compression);
        return TYPE_HASH_LISTPACK;
    }
    write_len(out, hash.len() as u64);
    for (field, value) in hash.iter() {
        write_entry(out, field, compression);
        write_entry(out, value, compression);
    }
    TYPE_HASH
}

/// A sorted set: the listpack blob, or members and binary scores, highest first.
fn encode_zset(out: &mut Vec<u8>, zset: &ZSet, compression: bool) -> u8 {
    if let ZSet::Listpack(lp) = zset {
        write_string(out, lp.as_bytes(), compression);
        return TYPE_ZSET_LISTPACK;
    }
    let len = zset.len();
    write_len(out, len as u64);
    if len > 0 {
        zset.range_by_rank(0, len - 1, true, &mut |member, score| {
            write_string(out, member, compression);
            out.extend_from_slice(&score.to_le_bytes());
        });
    }
    TYPE_ZSET_2
}

/// A listpack element as an RDB string.
fn write_entry(out: &mut Vec<u8>, e: LpEntry<'_>, compression: bool) {
    match e {
        LpEntry::Str(s) => write_string(out, s, compression),
        LpEntry::Int(v) => write_int_string(out, v),
    }
}

/// DUMP's payload: type byte, body, RDB version (2 bytes LE), CRC-64 (8 bytes
/// LE) of all of it (`createDumpPayload`), strings compressed as with Redis's
/// default `rdbcompression yes`.
pub fn dump_payload(value: &Value) -> Vec<u8> {
    dump_payload_with(value, true)
}

/// DUMP's payload with an explicit `rdbcompression` setting.
pub fn dump_payload_with(value: &Value, compression: bool) -> Vec<u8> {
    let mut out = vec![TYPE_STRING];
    let type_byte = encode_value(&mut out, value, compression);
    if let Some(first) = out.first_mut() {
        *first = type_byte;
    }
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
