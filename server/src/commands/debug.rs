//! DEBUG: Redis's test hooks that drills use to make failures happen on purpose.
//!
//! DEBUG is refused unless `enable-debug-command` allows it (the PROTECTED flag;
//! dispatch's gate checks it). Subcommands redrill implements, with Redis 7.0's
//! semantics and replies:
//!
//! * `SLEEP <seconds>` stops the whole server: the handler sleeps on the command
//!   thread, so every client waits, exactly the stall an operator sees when a slow
//!   command runs. It then shows up in SLOWLOG and LATENCY like any slow command.
//!   The argument is read like C's `strtod` (garbage reads as 0, decimals allowed).
//! * `SET-ACTIVE-EXPIRE <0|1>` switches the periodic active expiry off or on.
//! * `OBJECT <key>` prints the low-level line `Value at:... refcount:...
//!   encoding:... serializedlength:... lru:... lru_seconds_idle:...`.
//! * `DIGEST` / `DIGEST-VALUE <key>...`: SHA1-based digests identical to Redis's,
//!   to compare datasets across master, replica, AOF and RDB.
//! * `POPULATE <count> [<prefix>] [<size>]` creates `prefix:N` -> `value:N` keys.
//! * `RELOAD [MERGE] [NOFLUSH] [NOSAVE]` saves the RDB, empties the keyspace and
//!   loads the file back: the round trip a restart would make, in place.
//! * `HELP`.
//!
//! Anything else gets Redis's "unknown subcommand or wrong number of arguments".
//! DEBUG is one plain command (arity -2) that dispatches on its first argument,
//! as in Redis, not a container with subcommand rows.

use std::time::Duration;

use bytes::Bytes;
use storage::{StringValue, Value};

use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags};
use crate::commands::introspection::{reply_help, reply_subcommand_error};

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "debug",
    -2,
    Flags::ADMIN
        .with(Flags::NOSCRIPT)
        .with(Flags::LOADING)
        .with(Flags::STALE)
        .with(Flags::PROTECTED)
        .with(Flags::NO_PAUSE),
    debug,
)
.doc(
    "server",
    "1.0.0",
    "Depends on subcommand.",
    "A container for debugging commands",
)];

/// Redis's `shared.nokeyerr`.
const NO_SUCH_KEY: &str = errors::NO_SUCH_KEY;

/// POPULATE builds key names in a 128-byte buffer in Redis, so longer names are
/// cut to 127 bytes; we keep that, which also bounds every key it creates.
const POPULATE_KEY_MAX: usize = 127;

/// DEBUG <subcommand> [args...]
fn debug(ctx: &mut Ctx, args: &[Bytes]) {
    let sub = &args[1];
    let argc = args.len();
    if eq_ignore_case(sub, "help") && argc == 2 {
        help(ctx, args);
    } else if eq_ignore_case(sub, "sleep") && argc == 3 {
        sleep(ctx, &args[2]);
    } else if eq_ignore_case(sub, "set-active-expire") && argc == 3 {
        ctx.server.active_expire_enabled = c_atoi(&args[2]) != 0;
        ctx.reply().ok();
    } else if eq_ignore_case(sub, "object") && argc == 3 {
        object(ctx, &args[2]);
    } else if eq_ignore_case(sub, "populate") && (3..=5).contains(&argc) {
        populate(ctx, args);
    } else if eq_ignore_case(sub, "reload") {
        reload(ctx, &args[2..]);
    } else if eq_ignore_case(sub, "digest") && argc == 2 {
        let digest = storage::digest::dataset_digest(&ctx.server.keyspace);
        ctx.reply().simple(&storage::digest::to_hex(&digest));
    } else if eq_ignore_case(sub, "digest-value") {
        digest_value(ctx, &args[2..]);
    } else if eq_ignore_case(sub, "log") && argc == 3 {
        // Writes a line into the server log: drills use it to mark their steps.
        let now = ctx.now_ms();
        crate::log::line(
            crate::config::LogLevel::Warning,
            now,
            &format!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2])),
        );
        ctx.reply().ok();
    } else if eq_ignore_case(sub, "error") && argc == 3 {
        // Replies with the given text as an error, verbatim (test hook).
        let text = String::from_utf8_lossy(&args[2]).into_owned();
        ctx.reply().error(&text);
    } else {
        reply_subcommand_error(ctx, args);
    }
}

/// DEBUG RELOAD: save (unless NOSAVE), flush (unless NOFLUSH), load; MERGE
/// lets the file's keys replace keys already present instead of failing.
fn reload(ctx: &mut Ctx, options: &[Bytes]) {
    let (mut save, mut flush, mut merge) = (true, true, false);
    for opt in options {
        if eq_ignore_case(opt, "nosave") {
            save = false;
        } else if eq_ignore_case(opt, "noflush") {
            flush = false;
        } else if eq_ignore_case(opt, "merge") {
            merge = true;
        } else {
            return ctx
                .reply()
                .error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    if save && crate::persist::save::save_sync(ctx.server).is_err() {
        return ctx.reply().error("ERR");
    }
    if flush {
        ctx.server.keyspace.flush_all();
    }
    let path = crate::persist::save::rdb_path(&ctx.server.config);
    if let Err(e) = crate::persist::load::load_file(ctx.server, &path, merge) {
        let now = ctx.now_ms();
        crate::log::line(
            crate::config::LogLevel::Warning,
            now,
            &format!("Error loading the RDB: {e}"),
        );
        return ctx.reply().error("ERR Error trying to load the RDB dump");
    }
    let now = ctx.now_ms();
    crate::log::line(
        crate::config::LogLevel::Warning,
        now,
        "DB reloaded by DEBUG RELOAD",
    );
    ctx.reply().ok();
}

/// DEBUG SLEEP: blocks the command thread, and with it every client.
fn sleep(ctx: &mut Ctx, arg: &[u8]) {
    let seconds = c_strtod(arg);
    // Negative, NaN or infinite durations do not sleep (nanosleep refuses them).
    if let Ok(duration) = Duration::try_from_secs_f64(seconds) {
        std::thread::sleep(duration);
    }
    ctx.reply().ok();
}

/// DEBUG OBJECT key: the key is found without an expiry check, as in Redis.
fn object(ctx: &mut Ctx, key: &[u8]) {
    let now_ms = ctx.now_ms();
    let db = ctx.server.keyspace.db(ctx.client.db);
    let Some(value) = db.peek(key) else {
        return ctx.reply().error(NO_SUCH_KEY);
    };
    let lru = db.lru(key).unwrap_or(0);
    let idle_s = db.idle_ms(key, now_ms).unwrap_or(0) / 1000;
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        value,
        refcount(value, &ctx.server.config),
        value.encoding(),
        serialized_length(value),
        lru,
        idle_s
    );
    ctx.reply().simple(&line);
}

/// Redis shares the objects for the integers 0..9999 (OBJ_SHARED_INTEGERS) and
/// reports them with refcount INT_MAX, unless maxmemory runs an LRU or LFU
/// policy (each key then needs its own clock); every other value has one owner.
fn refcount(value: &Value, config: &crate::config::Config) -> i64 {
    use crate::config::MaxmemoryPolicy::*;
    let per_key_clock = config.maxmemory > 0
        && matches!(
            config.maxmemory_policy,
            VolatileLru | VolatileLfu | AllkeysLru | AllkeysLfu
        );
    match value {
        Value::String(StringValue::Int(n)) if (0..10_000).contains(n) && !per_key_clock => {
            i64::from(i32::MAX)
        }
        _ => 1,
    }
}

/// Bytes the value takes in an RDB file (`rdbSavedObjectLen`), without LZF
/// compression: integers that fit 8, 16 or 32 bits are stored as such, other
/// strings as a length prefix plus the bytes.
fn serialized_length(value: &Value) -> usize {
    // Other types get their RDB lengths when storage grows them.
    let Some(s) = value.as_string() else {
        return 0;
    };
    let mut buf = [0u8; 20];
    let bytes = s.as_bytes(&mut buf);
    if bytes.len() <= 11 {
        if let Some(n) = storage::value::parse_i64_strict(bytes) {
            if i8::try_from(n).is_ok() {
                return 2;
            } else if i16::try_from(n).is_ok() {
                return 3;
            } else if i32::try_from(n).is_ok() {
                return 5;
            }
        }
    }
    rdb_length_prefix(bytes.len()) + bytes.len()
}

/// Size of an RDB length prefix: 6, 14, 32 or 64 bits of length plus the type bits.
fn rdb_length_prefix(len: usize) -> usize {
    match len {
        0..=63 => 1,
        64..=16_383 => 2,
        _ if u32::try_from(len).is_ok() => 5,
        _ => 9,
    }
}

/// DEBUG POPULATE count [prefix] [size]: keys that exist are left alone.
fn populate(ctx: &mut Ctx, args: &[Bytes]) {
    let count = match parse_i64(&args[2]) {
        Some(n) if n >= 0 => n,
        Some(_) => return ctx.reply().error(errors::POSITIVE),
        None => return ctx.reply().error(errors::NOT_INTEGER),
    };
    let size = match args.get(4).map(|a| parse_i64(a)) {
        None => 0,
        Some(Some(n)) if n >= 0 => n,
        Some(Some(_)) => return ctx.reply().error(errors::POSITIVE),
        Some(None) => return ctx.reply().error(errors::NOT_INTEGER),
    };
    // Redis would try to allocate whatever it is told; we refuse values larger
    // than any string a client could SET.
    if u64::try_from(size).unwrap_or(u64::MAX) > ctx.server.config.proto_max_bulk_len {
        return ctx
            .reply()
            .error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let prefix = args.get(3).map_or(&b"key"[..], |p| &p[..]);
    let now_ms = ctx.now_ms();
    let db = ctx.server.keyspace.db_mut(ctx.client.db);
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        key.truncate(POPULATE_KEY_MAX);
        if db.lookup_write(&key, now_ms).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if size > 0 {
            // The first `size` bytes of "value:N", padded with zero bytes.
            value.resize(size, 0);
        }
        db.set(
            &key,
            Value::String(StringValue::from_bytes_no_int(&value)),
            now_ms,
            false,
        );
    }
    ctx.reply().ok();
}

/// DEBUG DIGEST-VALUE key...: one status reply per key, zeros for missing keys.
fn digest_value(ctx: &mut Ctx, keys: &[Bytes]) {
    let db = ctx.server.keyspace.db(ctx.client.db);
    let digests: Vec<String> = keys
        .iter()
        .map(|k| storage::digest::to_hex(&storage::digest::key_value_digest(db, k)))
        .collect();
    let mut reply = ctx.reply();
    reply.array(digests.len());
    for d in digests {
        reply.simple(&d);
    }
}

/// DEBUG HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "DIGEST",
            "    Return a hex signature of the whole dataset.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Return a hex signature of the value of each <key>.",
            "OBJECT <key>",
            "    Show low level information about <key> and its value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named <prefix>:<num> (default prefix: key)",
            "    holding value:<num>, padded or cut to <size> bytes if given. Existing",
            "    keys are left untouched. The keys are not propagated to replicas.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    0 stops expiring keys in the background (they still expire when",
            "    accessed); 1 turns background expiry back on.",
            "SLEEP <seconds>",
            "    Block the server for <seconds>; decimals allowed.",
        ],
    );
}

/// C's `atoi`: optional spaces and sign, then digits up to the first non-digit;
/// anything unparsable is 0.
fn c_atoi(arg: &[u8]) -> i64 {
    let s = trim_leading_space(arg);
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if negative {
        -n
    } else {
        n
    }
}

/// C's `strtod` as DEBUG SLEEP uses it: the longest leading number, 0 if none.
fn c_strtod(arg: &[u8]) -> f64 {
    // A float literal is short; looking at a bounded prefix keeps this O(1).
    let s = trim_leading_space(arg);
    let s = &s[..s.len().min(64)];
    let text = String::from_utf8_lossy(s);
    (1..=text.len())
        .rev()
        .filter(|&end| text.is_char_boundary(end))
        .find_map(|end| text[..end].parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn trim_leading_space(arg: &[u8]) -> &[u8] {
    let start = arg
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(arg.len());
    &arg[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_reads_the_leading_number_like_c() {
        assert_eq!(c_strtod(b"2"), 2.0);
        assert_eq!(c_strtod(b" 1.5s"), 1.5);
        assert_eq!(c_strtod(b"abc"), 0.0);
        assert_eq!(c_strtod(b"-1"), -1.0);
        assert_eq!(c_strtod(b".25"), 0.25);
        assert!(Duration::try_from_secs_f64(c_strtod(b"-1")).is_err());
        assert!(Duration::try_from_secs_f64(c_strtod(b"inf")).is_err());
    }

    #[test]
    fn atoi_is_lenient_like_c() {
        assert_eq!(c_atoi(b"1"), 1);
        assert_eq!(c_atoi(b"0"), 0);
        assert_eq!(c_atoi(b" 12abc"), 12);
        assert_eq!(c_atoi(b"yes"), 0);
        assert_eq!(c_atoi(b"-3"), -3);
    }

    #[test]
    fn serialized_length_matches_rdb_string_encoding() {
        assert_eq!(serialized_length(&Value::string(b"7")), 2);
        assert_eq!(serialized_length(&Value::string(b"1000")), 3);
        assert_eq!(serialized_length(&Value::string(b"100000")), 5);
        assert_eq!(serialized_length(&Value::string(b"value:1")), 8);
        assert_eq!(serialized_length(&Value::string(&[b'x'; 100])), 102);
        assert_eq!(serialized_length(&Value::string(b"12345678901")), 12);
    }
}
