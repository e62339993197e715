//! Loading RDB files and DUMP payloads, as Redis 7.0's `rdbLoadRio` and
//! `rdbLoadObject` do, for every RDB version from 1 to 11.
//!
//! [`load`] walks a whole file and hands each thing it finds to a callback, in
//! file order: AUX fields, SELECTDB / RESIZEDB, function libraries, and keys with
//! their value, expire time and LRU/LFU hint ([`Record`]). The caller decides what
//! to keep: a master drops keys whose `expire_ms` is already past, as Redis does
//! when it loads as a master; a replica keeps them. [`load_dump_payload`] reads the
//! one value of a RESTORE payload.
//!
//! Old encodings are converted on the way in, with Redis 7.0's rules: zipmap and
//! ziplist hashes and sorted sets become listpacks (or tables / skiplists past
//! the `*-max-listpack-entries` limits), ziplist lists and quicklist nodes become
//! listpack nodes, intsets are kept (a table past `set-max-intset-entries`), and
//! Redis 7.2's listpack sets become intsets or tables. Streams and module values
//! are refused.
//!
//! Untrusted bytes: every length is checked against the bytes that remain before
//! anything is sliced or reserved (a count of 2^60 elements reserves no more than
//! the remaining bytes could hold: elements are read one by one, each taking at
//! least a byte), an LZF string may not claim more than the 88-fold expansion
//! LZF can produce, every embedded blob (listpack, intset, ziplist, zipmap) is
//! validated as strictly as Redis's deep sanitisation before use, and duplicate
//! members are corruption.
//! Errors carry Redis's wording and the byte offset of the problem. The trailer's
//! CRC-64 is checked at the end, as Redis does, so a caller must discard what it
//! received when `load` fails.

use std::borrow::Cow;
use std::fmt;

use super::{
    crc64::crc64, lzf, ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, LEN_14BIT, LEN_32BIT, LEN_64BIT,
    LEN_6BIT, LEN_ENCVAL, OPCODE_AUX, OPCODE_EOF, OPCODE_EXPIRETIME, OPCODE_EXPIRETIME_MS,
    OPCODE_FREQ, OPCODE_FUNCTION2, OPCODE_FUNCTION_PRE_GA, OPCODE_IDLE, OPCODE_MODULE_AUX,
    OPCODE_RESIZEDB, OPCODE_SELECTDB, RDB_MAX_READ_VERSION,
};
use crate::types::hash::HashLimits;
use crate::types::zset::ZsetLimits;
use crate::value::{format_i64, Value};
use crate::Rng;

pub mod fuzz;
mod objects;
#[cfg(test)]
mod tests;

/// One thing found in a file, in file order.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// An AUX field (`redis-ver`, `repl-id`, ...); unknown ones are the caller's to skip.
    Aux {
        /// The field's name.
        name: Vec<u8>,
        /// The field's value.
        value: Vec<u8>,
    },
    /// SELECTDB: the keys that follow belong to this database.
    SelectDb(usize),
    /// RESIZEDB: size hints for the current database.
    ResizeDb {
        /// Number of keys.
        size: u64,
        /// Number of keys with an expire.
        expires: u64,
    },
    /// A key with its value and metadata.
    Key(LoadedKey),
    /// A function library's code (FUNCTION LOAD's argument).
    Function(Vec<u8>),
}

/// A key with its value and metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedKey {
    /// The database selected when the key was read.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
    /// The value, already in this server's encodings.
    pub value: Value,
    /// Absolute expire time, unix milliseconds (possibly already past).
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (IDLE opcode).
    pub idle_s: Option<u64>,
    /// LFU counter (FREQ opcode).
    pub freq: Option<u8>,
}

/// Why a file was refused: what, and at which byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbError {
    /// Byte offset of the problem in the input.
    pub offset: usize,
    /// What is wrong, in Redis's words where Redis has them.
    pub message: String,
    /// Which kind of failure, for callers that report them as Redis does.
    pub kind: RdbErrorKind,
}

/// The failures Redis's loader tells apart in its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdbErrorKind {
    /// The input ended in the middle of something (`rdbReportReadError`).
    Eof,
    /// The CRC-64 trailer does not match the contents.
    Checksum,
    /// Anything else the reader refuses.
    Corrupt,
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for RdbError {}

/// The message of a DUMP payload refused for its footer; RESTORE replies
/// `-ERR` with exactly this text (any other error is "Bad data format").
pub const DUMP_VERSION_OR_CHECKSUM_WRONG: &str = "DUMP payload version or checksum are wrong";

/// Loading options: the encoding thresholds of the server's config, applied
/// to loaded values exactly as Redis applies its own, and the seed for tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// `databases`: a SELECTDB at or past this refuses the file.
    pub databases: usize,
    /// `hash-max-listpack-entries` / `hash-max-listpack-value`.
    pub hash_limits: HashLimits,
    /// `zset-max-listpack-entries` / `zset-max-listpack-value`.
    pub zset_limits: ZsetLimits,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `list-max-listpack-size`: the fill of loaded lists.
    pub list_max_listpack_size: i64,
    /// Seed of the generator that keys hash tables and skiplists built while loading.
    pub seed: u64,
}

impl Default for LoadOptions {
    /// Redis 7.0's defaults.
    fn default() -> LoadOptions {
        LoadOptions {
            databases: 16,
            hash_limits: HashLimits {
                max_listpack_entries: 512,
                max_listpack_value: 64,
            },
            zset_limits: ZsetLimits {
                max_listpack_entries: 128,
                max_listpack_value: 64,
            },
            set_max_intset_entries: 512,
            list_max_listpack_size: -2,
            seed: 0,
        }
    }
}

/// How the trailer's checksum was treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumCheck {
    /// The CRC-64 matched.
    Verified,
    /// The trailer was zero (`rdbchecksum no`): nothing checked, as Redis logs.
    Disabled,
    /// RDB versions before 5 have no trailer.
    Absent,
}

/// What a successful load found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSummary {
    /// The file's RDB version.
    pub version: u32,
    /// Keys handed to the callback.
    pub keys: u64,
    /// Empty collections skipped, as Redis skips them ("rdbLoadObject skipping empty key").
    pub empty_keys_skipped: u64,
    /// How the checksum was treated.
    pub checksum: ChecksumCheck,
    /// Bytes read, trailer included: an AOF with an RDB preamble continues here.
    pub consumed: usize,
}

/// The message of a short read (Redis's `rdbReportReadError` wording).
const UNEXPECTED_EOF: &str = "Unexpected EOF reading RDB file";
/// LZF's largest expansion: a 3-byte back reference yields 264 bytes.
const LZF_MAX_EXPANSION: u64 = 88;

/// A cursor over untrusted bytes; every read is bounds-checked.
pub(super) struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A read's result, failing with the error to report.
type Read<T> = Result<T, RdbError>;

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Input<'a> {
        Input { data, pos: 0 }
    }

    /// The offset of the next byte.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub(super) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// An error about the data at `offset`.
    pub(super) fn corrupt(&self, offset: usize, message: impl Into<String>) -> RdbError {
        RdbError {
            offset,
            message: message.into(),
            kind: RdbErrorKind::Corrupt,
        }
    }

    fn eof(&self) -> RdbError {
        RdbError {
            kind: RdbErrorKind::Eof,
            ..self.corrupt(self.data.len(), UNEXPECTED_EOF)
        }
    }

    /// The next `n` bytes, borrowed.
    pub(super) fn take(&mut self, n: u64) -> Read<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| self.eof())?;
        if n > self.remaining() {
            return Err(self.eof());
        }
        let start = self.pos;
        self.pos += n;
        self.data.get(start..self.pos).ok_or_else(|| self.eof())
    }

    pub(super) fn byte(&mut self) -> Read<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.eof())?;
        self.pos += 1;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Read<[u8; N]> {
        let bytes = self.take(N as u64)?;
        bytes.try_into().map_err(|_| self.eof())
    }

    pub(super) fn u64_le(&mut self) -> Read<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length, or a special string encoding when the flag is set (`rdbLoadLenByRef`).
    fn len_or_encoding(&mut self) -> Read<(u64, bool)> {
        let at = self.pos;
        let first = self.byte()?;
        match first >> 6 {
            LEN_ENCVAL => Ok((u64::from(first & 0x3F), true)),
            LEN_6BIT => Ok((u64::from(first & 0x3F), false)),
            LEN_14BIT => {
                let low = self.byte()?;
                Ok(((u64::from(first & 0x3F) << 8) | u64::from(low), false))
            }
            _ => match first {
                LEN_32BIT => Ok((u64::from(u32::from_be_bytes(self.array()?)), false)),
                LEN_64BIT => Ok((u64::from_be_bytes(self.array()?), false)),
                _ => Err(self.corrupt(
                    at,
                    format!("Unknown length encoding {} in rdbLoadLen()", first >> 6),
                )),
            },
        }
    }

    /// A length (`rdbLoadLen`; like Redis, an encoding marker reads as its number).
    pub(super) fn len(&mut self) -> Read<u64> {
        Ok(self.len_or_encoding()?.0)
    }

    /// A string in any of its encodings (`rdbGenericLoadStringObject`): plain
    /// bytes are borrowed, integers formatted, LZF decompressed.
    pub(super) fn string(&mut self) -> Read<Cow<'a, [u8]>> {
        let at = self.pos;
        let (len, encoded) = self.len_or_encoding()?;
        if !encoded {
            return Ok(Cow::Borrowed(self.take(len)?));
        }
        let n = match len as u8 {
            ENC_INT8 => i64::from(i8::from_le_bytes(self.array()?)),
            ENC_INT16 => i64::from(i16::from_le_bytes(self.array()?)),
            ENC_INT32 => i64::from(i32::from_le_bytes(self.array()?)),
            ENC_LZF => return self.lzf_string(),
            _ => {
                return Err(self.corrupt(at, format!("Unknown RDB string encoding type {len}")));
            }
        };
        let mut buf = [0u8; 20];
        Ok(Cow::Owned(format_i64(n, &mut buf).to_vec()))
    }

    /// The rest of an LZF string: compressed length, plain length, data.
    fn lzf_string(&mut self) -> Read<Cow<'a, [u8]>> {
        let clen = self.len()?;
        let len = self.len()?;
        let at = self.pos;
        let compressed = self.take(clen)?;
        if len == 0 {
            // Redis compares lzf_decompress's 0 with the expected 0 and accepts.
            return Ok(Cow::Owned(Vec::new()));
        }
        // Checked before decompressing, so a forged length allocates nothing.
        let bounded = len <= clen.saturating_mul(LZF_MAX_EXPANSION);
        let out_len = usize::try_from(len).ok().filter(|_| bounded);
        match out_len.and_then(|n| lzf::decompress(compressed, n)) {
            Some(plain) if plain.len() as u64 == len => Ok(Cow::Owned(plain)),
            _ => Err(self.corrupt(at, "Invalid LZF compressed string")),
        }
    }

    /// A double as old files store it: a length byte (253 NaN, 254 +inf,
    /// 255 -inf) and that many bytes of text (`rdbLoadDoubleValue`).
    pub(super) fn double_text(&mut self) -> Read<f64> {
        let at = self.pos;
        match self.byte()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            len => {
                let text = self.take(u64::from(len))?;
                let (value, used, _) = crate::types::zset::range::c_strtod(text);
                if used == 0 {
                    return Err(self.corrupt(at, "Invalid double value"));
                }
                Ok(value)
            }
        }
    }

    /// A little-endian IEEE 754 double (`rdbLoadBinaryDoubleValue`).
    pub(super) fn double_binary(&mut self) -> Read<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// What the loader carries between keys: the options and the generator.
pub(super) struct Ctx<'o> {
    pub(super) opts: &'o LoadOptions,
    pub(super) rng: Rng,
}

/// Reads "REDIS" and the four version digits (`atoi`, as Redis reads them).
fn header(input: &mut Input<'_>) -> Read<u32> {
    let magic = input.take(9)?;
    if magic.get(..5) != Some(&b"REDIS"[..]) {
        return Err(input.corrupt(0, "Wrong signature trying to load DB from file"));
    }
    let version = magic
        .get(5..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    if !(1..=RDB_MAX_READ_VERSION).contains(&version) {
        return Err(input.corrupt(5, format!("Can't handle RDB format version {version}")));
    }
    Ok(version)
}

/// The metadata opcodes seen since the last key.
#[derive(Default)]
struct PendingMeta {
    expire_ms: Option<i64>,
    idle_s: Option<u64>,
    freq: Option<u8>,
}

/// Loads a whole RDB file, calling `on_record` for everything in it in order.
/// An `Err` from the callback stops the load and is reported at the record's
/// offset. Empty collections are skipped and counted, as Redis does.
pub fn load(
    data: &[u8],
    opts: &LoadOptions,
    on_record: &mut dyn FnMut(Record) -> Result<(), String>,
) -> Result<LoadSummary, RdbError> {
    let mut input = Input::new(data);
    let version = header(&mut input)?;
    let mut ctx = Ctx {
        opts,
        rng: Rng::seeded(opts.seed),
    };
    let (mut db, mut meta) = (0usize, PendingMeta::default());
    let (mut keys, mut empty_keys_skipped) = (0u64, 0u64);
    loop {
        let at = input.pos();
        let opcode = input.byte()?;
        let record = match opcode {
            OPCODE_EOF => break,
            OPCODE_EXPIRETIME => {
                let secs = i32::from_le_bytes(input.array()?);
                meta.expire_ms = Some(i64::from(secs) * 1000);
                None
            }
            OPCODE_EXPIRETIME_MS => {
                meta.expire_ms = Some(input.u64_le()? as i64);
                None
            }
            OPCODE_FREQ => {
                meta.freq = Some(input.byte()?);
                None
            }
            OPCODE_IDLE => {
                meta.idle_s = Some(input.len()?);
                None
            }
            OPCODE_SELECTDB => {
                let id = input.len()?;
                db = usize::try_from(id)
                    .ok()
                    .filter(|&id| id < opts.databases)
                    .ok_or_else(|| input.corrupt(at, too_many_dbs(opts.databases)))?;
                Some(Record::SelectDb(db))
            }
            OPCODE_RESIZEDB => Some(Record::ResizeDb {
                size: input.len()?,
                expires: input.len()?,
            }),
            OPCODE_AUX => Some(Record::Aux {
                name: input.string()?.into_owned(),
                value: input.string()?.into_owned(),
            }),
            OPCODE_MODULE_AUX => {
                return Err(input.corrupt(
                    at,
                    "The RDB file contains AUX module data I can't load: modules are not supported",
                ));
            }
            OPCODE_FUNCTION2 => Some(Record::Function(input.string()?.into_owned())),
            OPCODE_FUNCTION_PRE_GA => Some(Record::Function(pre_ga_function(&mut input)?)),
            rdb_type => {
                objects::check_type(&input, rdb_type, at)?;
                let key = input.string()?.into_owned();
                let value = objects::load_object(&mut input, rdb_type, &mut ctx)?;
                let meta = std::mem::take(&mut meta);
                match value {
                    None => {
                        empty_keys_skipped += 1;
                        None
                    }
                    Some(value) => {
                        keys += 1;
                        Some(Record::Key(LoadedKey {
                            db,
                            key,
                            value,
                            expire_ms: meta.expire_ms,
                            idle_s: meta.idle_s,
                            freq: meta.freq,
                        }))
                    }
                }
            }
        };
        if let Some(record) = record {
            on_record(record).map_err(|message| RdbError {
                offset: at,
                message,
                kind: RdbErrorKind::Corrupt,
            })?;
        }
    }
    let checksum = trailer(&mut input, version)?;
    Ok(LoadSummary {
        version,
        keys,
        empty_keys_skipped,
        checksum,
        consumed: input.pos(),
    })
}

fn too_many_dbs(databases: usize) -> String {
    format!(
        "FATAL: Data file was created with a Redis server configured to handle more than {databases} databases"
    )
}

/// Reads and checks the CRC-64 trailer of versions 5 and later.
fn trailer(input: &mut Input<'_>, version: u32) -> Read<ChecksumCheck> {
    if version < 5 {
        return Ok(ChecksumCheck::Absent);
    }
    let covered = input.pos();
    let stored = input.u64_le()?;
    if stored == 0 {
        return Ok(ChecksumCheck::Disabled);
    }
    let expected = crc64(0, input.data.get(..covered).unwrap_or_default());
    if stored != expected {
        return Err(RdbError {
            kind: RdbErrorKind::Checksum,
            ..input.corrupt(
                covered,
                format!("Wrong RDB checksum expected: ({expected:x}) but got ({stored:x})"),
            )
        });
    }
    Ok(ChecksumCheck::Verified)
}

/// A library in the format of Redis 7.0's release candidates (name, engine,
/// optional description, code), rewritten with the shebang line the final
/// format carries in the code itself, as `rdbFunctionLoad` does.
fn pre_ga_function(input: &mut Input<'_>) -> Read<Vec<u8>> {
    let name = input.string()?;
    let engine = input.string()?;
    if input.len()? != 0 {
        input.string()?; // the description, which the final format dropped
    }
    let code = input.string()?;
    let mut out = b"#!".to_vec();
    out.extend_from_slice(&engine);
    out.extend_from_slice(b" name=");
    out.extend_from_slice(&name);
    out.push(b'\n');
    out.extend_from_slice(&code);
    Ok(out)
}

/// Parses one DUMP payload (RESTORE): checks version and CRC.
///
/// The payload is a value-type byte and the value, then the RDB version (2
/// bytes LE) and the CRC-64 of everything before the CRC (8 bytes LE). A
/// footer problem gives [`DUMP_VERSION_OR_CHECKSUM_WRONG`]; anything else means
/// RESTORE replies "Bad data format", empty collections included.
pub fn load_dump_payload(data: &[u8], opts: &LoadOptions) -> Result<Value, RdbError> {
    let wrong = |offset| RdbError {
        offset,
        message: DUMP_VERSION_OR_CHECKSUM_WRONG.to_string(),
        kind: RdbErrorKind::Corrupt,
    };
    let footer_at = data.len().checked_sub(10).ok_or_else(|| wrong(0))?;
    let (body, footer) = data.split_at(footer_at);
    let (version, crc) = footer.split_at(2);
    let version = u16::from_le_bytes(version.try_into().map_err(|_| wrong(footer_at))?);
    if u32::from(version) > RDB_MAX_READ_VERSION {
        return Err(wrong(footer_at));
    }
    let stored = u64::from_le_bytes(crc.try_into().map_err(|_| wrong(footer_at))?);
    if crc64(crc64(0, body), &version.to_le_bytes()) != stored {
        return Err(wrong(footer_at + 2));
    }
    // Like Redis, bytes between the value and the footer are not looked at.
    let mut input = Input::new(body);
    let rdb_type = input.byte()?;
    objects::check_type(&input, rdb_type, 0)?;
    let mut ctx = Ctx {
        opts,
        rng: Rng::seeded(opts.seed),
    };
    objects::load_object(&mut input, rdb_type, &mut ctx)?
        .ok_or_else(|| input.corrupt(0, "Empty keys are not allowed in a DUMP payload"))
}
