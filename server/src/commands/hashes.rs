//! Commands of the hashes family: HSET, HGET and the rest of Redis 7.0's
//! `t_hash.c`, over [`storage::types::hash::Hash`].
//!
//! Shape of every handler: parse arguments (number errors come before the key
//! is looked up, as in Redis), look the key up (WRONGTYPE if it holds another
//! type), run the storage operation, reply. Writes create the key on demand and
//! delete it when its last field goes. The listpack thresholds come from the
//! config on every call, so CONFIG SET of `hash-max-listpack-*` applies to the
//! next write, as in Redis; a hash never converts back.
//!
//! HINCRBYFLOAT computes in f64 where Redis uses `long double`, with the same
//! caveat as INCRBYFLOAT (see `strings.rs`); it propagates as an HSET of the
//! final value, as Redis's does, so replicas store the master's digits.

use bytes::Bytes;
use storage::listpack::LpEntry;
use storage::types::hash::{Hash, HashLimits, Pair};
use storage::{Lookup, Rng, Value};

use super::keys::{lookup_read, lookup_write, reply_of};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags, Reply};

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, W.with(D).with(F), hset).keys(1, 1, 1).doc("hash", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Set the string value of a hash field"),
    CommandSpec::new("hsetnx", 4, W.with(D).with(F), hsetnx).keys(1, 1, 1).doc("hash", "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist"),
    CommandSpec::new("hget", 3, R.with(F), hget).keys(1, 1, 1).doc("hash", "2.0.0", "O(1)", "Get the value of a hash field"),
    CommandSpec::new("hmget", -3, R.with(F), hmget).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the number of fields being requested.", "Get the values of all the given hash fields"),
    CommandSpec::new("hmset", -4, W.with(D).with(F), hset).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the number of fields being set.", "Set multiple hash fields to multiple values"),
    CommandSpec::new("hdel", -3, W.with(F), hdel).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields"),
    CommandSpec::new("hlen", 2, R.with(F), hlen).keys(1, 1, 1).doc("hash", "2.0.0", "O(1)", "Get the number of fields in a hash"),
    CommandSpec::new("hexists", 3, R.with(F), hexists).keys(1, 1, 1).doc("hash", "2.0.0", "O(1)", "Determine if a hash field exists"),
    CommandSpec::new("hgetall", 2, R, hgetall).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash"),
    CommandSpec::new("hkeys", 2, R, hkeys).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash"),
    CommandSpec::new("hvals", 2, R, hvals).keys(1, 1, 1).doc("hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash"),
    CommandSpec::new("hincrby", 4, W.with(D).with(F), hincrby).keys(1, 1, 1).doc("hash", "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number"),
    CommandSpec::new("hincrbyfloat", 4, W.with(D).with(F), hincrbyfloat).keys(1, 1, 1).doc("hash", "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount"),
    CommandSpec::new("hstrlen", 3, R.with(F), hstrlen).keys(1, 1, 1).doc("hash", "3.2.0", "O(1)", "Get the length of the value of a hash field"),
    CommandSpec::new("hscan", -3, R, hscan).keys(1, 1, 1).doc("hash", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate hash fields and associated values"),
    CommandSpec::new("hrandfield", -2, R, hrandfield).keys(1, 1, 1).doc("hash", "6.2.0", "O(N) where N is the number of fields returned", "Get one or multiple random fields from a hash"),
];

/// HRANDFIELD's batch for counts that allow repeats (`HRANDFIELD_RANDOM_SAMPLE_LIMIT`).
const RANDOM_SAMPLE_LIMIT: usize = 1000;
/// Reply size at which a runaway HRANDFIELD stops and its client is closed when
/// no `client-output-buffer-limit normal` hard limit is set (Redis would grow
/// without bound; an allocation must not).
const RUNAWAY_REPLY_BYTES: usize = 1 << 30;

/// The current listpack thresholds from the config.
fn limits(ctx: &Ctx<'_>) -> HashLimits {
    let c = &ctx.server.config;
    HashLimits {
        max_listpack_entries: usize::try_from(c.hash_max_listpack_entries).unwrap_or(usize::MAX),
        max_listpack_value: usize::try_from(c.hash_max_listpack_value).unwrap_or(usize::MAX),
    }
}

/// Writes one listpack element as a bulk string (integers in decimal).
fn bulk_entry(reply: &mut Reply<'_>, e: &LpEntry<'_>) {
    match e {
        LpEntry::Str(s) => reply.bulk(s),
        LpEntry::Int(v) => {
            let mut buf = [0u8; 20];
            reply.bulk(resp::encode::format_i64(*v, &mut buf));
        }
    }
}

/// `hashTypeLookupWriteOrCreate` + the operation: runs `op` on the hash under
/// `key` with the server's generator, creating the key when `op` leaves a new
/// hash non-empty and deleting it when `op` empties it. `Err` on WRONGTYPE.
fn write_hash<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    op: impl FnOnce(&mut Hash, &mut Rng) -> T,
) -> Result<T, ()> {
    let db = ctx.client.db;
    // The generator is copied out so the hash and it can be borrowed together.
    let mut rng = ctx.server.rng.clone();
    let (out, emptied) = match lookup_write(ctx.server, db, key) {
        Some(Value::Hash(h)) => {
            let out = op(h, &mut rng);
            (out, h.is_empty())
        }
        Some(_) => return Err(()),
        None => {
            let mut h = Hash::new();
            let out = op(&mut h, &mut rng);
            if !h.is_empty() {
                let now = ctx.now_ms();
                ctx.db().set(key, Value::Hash(h), now, false);
            }
            (out, false)
        }
    };
    ctx.server.rng = rng;
    if emptied {
        ctx.db().delete(key);
    }
    Ok(out)
}

/// The hash under `key` for reading: `Ok(None)` when missing, `Err` on WRONGTYPE.
fn read_hash<'s>(ctx: &'s mut Ctx<'_>, key: &[u8]) -> Result<Option<&'s Hash>, ()> {
    let db = ctx.client.db;
    match lookup_read(ctx.server, db, key, Lookup::Touch) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(()),
    }
}

/// HSET and HMSET (`hsetCommand`): the reply is the number of new fields for
/// HSET, OK for HMSET.
fn hset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let is_hmset = eq_ignore_case(&args[0], "hmset");
    if args.len() % 2 == 1 {
        return ctx.wrong_arity(if is_hmset { "hmset" } else { "hset" });
    }
    let limits = limits(ctx);
    let written = write_hash(ctx, &args[1], |h, rng| {
        let all: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
        h.prepare_for(&all, limits, rng);
        args[2..]
            .chunks_exact(2)
            .filter(|pair| h.set(&pair[0], &pair[1], limits, rng))
            .count()
    });
    let Ok(created) = written else {
        return ctx.reply().error(errors::WRONGTYPE);
    };
    ctx.dirty((args.len() as u64 - 2) / 2);
    if is_hmset {
        ctx.reply().ok();
    } else {
        ctx.reply().integer(created as i64);
    }
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let limits = limits(ctx);
    let written = write_hash(ctx, &args[1], |h, rng| {
        if h.contains(&args[2]) {
            return false;
        }
        h.prepare_for(&[&args[2], &args[3]], limits, rng);
        h.set(&args[2], &args[3], limits, rng)
    });
    match written {
        Err(()) => ctx.reply().error(errors::WRONGTYPE),
        Ok(false) => ctx.reply().integer(0),
        Ok(true) => {
            ctx.dirty(1);
            ctx.reply().integer(1);
        }
    }
}

fn hget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let mut reply = reply_of(ctx.client);
    match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None => reply.null(),
        Some(Value::Hash(h)) => match h.get(&args[2]) {
            Some(v) => bulk_entry(&mut reply, &v),
            None => reply.null(),
        },
        Some(_) => reply.error(errors::WRONGTYPE),
    }
}

fn hmget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let mut reply = reply_of(ctx.client);
    let hash = match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None => None,
        Some(Value::Hash(h)) => Some(h),
        Some(_) => return reply.error(errors::WRONGTYPE),
    };
    reply.array(args.len() - 2);
    for field in &args[2..] {
        match hash.and_then(|h| h.get(field)) {
            Some(v) => bulk_entry(&mut reply, &v),
            None => reply.null(),
        }
    }
}

fn hdel(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let (deleted, emptied) = match lookup_write(ctx.server, db, &args[1]) {
        None => (0, false),
        Some(Value::Hash(h)) => {
            let deleted = args[2..].iter().filter(|f| h.remove(f)).count();
            (deleted, h.is_empty())
        }
        Some(_) => return ctx.reply().error(errors::WRONGTYPE),
    };
    if emptied {
        ctx.db().delete(&args[1]);
    }
    ctx.dirty(deleted as u64);
    ctx.reply().integer(deleted as i64);
}

/// Replies with an integer computed from the hash, 0 for a missing key.
fn reply_count(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&Hash) -> usize) {
    let n = match read_hash(ctx, key) {
        Err(()) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(h) => h.map_or(0, f),
    };
    ctx.reply().integer(n as i64);
}

fn hlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_count(ctx, &args[1], Hash::len);
}

fn hexists(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_count(ctx, &args[1], |h| usize::from(h.contains(&args[2])));
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_count(ctx, &args[1], |h| h.value_len(&args[2]));
}

/// Which parts of each pair HGETALL, HKEYS and HVALS return.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Both,
    Fields,
    Values,
}

/// `genericHgetallCommand`: a map for HGETALL (flat array in RESP2), an array
/// for HKEYS and HVALS.
fn getall_generic(ctx: &mut Ctx<'_>, key: &[u8], parts: Parts) {
    let db = ctx.client.db;
    let mut reply = reply_of(ctx.client);
    let hash = match lookup_read(ctx.server, db, key, Lookup::Touch) {
        None => None,
        Some(Value::Hash(h)) => Some(h),
        Some(_) => return reply.error(errors::WRONGTYPE),
    };
    let len = hash.map_or(0, Hash::len);
    if parts == Parts::Both {
        reply.map(len);
    } else {
        reply.array(len);
    }
    for (f, v) in hash.into_iter().flat_map(|h| h.iter()) {
        if parts != Parts::Values {
            bulk_entry(&mut reply, &f);
        }
        if parts != Parts::Fields {
            bulk_entry(&mut reply, &v);
        }
    }
}

fn hgetall(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    getall_generic(ctx, &args[1], Parts::Both);
}

fn hkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    getall_generic(ctx, &args[1], Parts::Fields);
}

fn hvals(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    getall_generic(ctx, &args[1], Parts::Values);
}

fn hincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(incr) = parse_i64(&args[3]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let limits = limits(ctx);
    let outcome = write_hash(ctx, &args[1], |h, rng| {
        let current = match h.get(&args[2]) {
            None => 0,
            Some(v) => v.as_i64().ok_or("ERR hash value is not an integer")?,
        };
        let value = current.checked_add(incr).ok_or(errors::OVERFLOW)?;
        let mut buf = [0u8; 20];
        h.set(
            &args[2],
            resp::encode::format_i64(value, &mut buf),
            limits,
            rng,
        );
        Ok(value)
    });
    match outcome {
        Err(()) => ctx.reply().error(errors::WRONGTYPE),
        Ok(Err(message)) => ctx.reply().error(message),
        Ok(Ok(value)) => {
            ctx.dirty(1);
            ctx.reply().integer(value);
        }
    }
}

/// Redis's `string2ld` on f64: no leading space, the whole text, no NaN, and no
/// overflow to infinity (an explicit "inf" is accepted).
fn parse_long_double(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || arg.len() >= 5 * 1024 || arg[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(arg).ok()?;
    let value: f64 = text.parse().ok()?;
    let spelled_inf = text.to_ascii_lowercase().contains("inf");
    (!value.is_nan() && (value.is_finite() || spelled_inf)).then_some(value)
}

fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(incr) = parse_long_double(&args[3]) else {
        return ctx.reply().error(errors::NOT_FLOAT);
    };
    if !incr.is_finite() {
        return ctx.reply().error("ERR value is NaN or Infinity");
    }
    let limits = limits(ctx);
    let outcome = write_hash(ctx, &args[1], |h, rng| {
        let current = match h.get(&args[2]) {
            None => 0.0,
            Some(LpEntry::Int(v)) => v as f64,
            Some(LpEntry::Str(s)) => parse_long_double(s).ok_or("ERR hash value is not a float")?,
        };
        let value = current + incr;
        if !value.is_finite() {
            return Err("ERR increment would produce NaN or Infinity");
        }
        let text = resp::format_long_double_human(value);
        h.set(&args[2], text.as_bytes(), limits, rng);
        Ok(text)
    });
    match outcome {
        Err(()) => ctx.reply().error(errors::WRONGTYPE),
        Ok(Err(message)) => ctx.reply().error(message),
        Ok(Ok(text)) => {
            ctx.dirty(1);
            ctx.reply().bulk(text.as_bytes());
            if crate::replicas::propagating(ctx.server) {
                // The result, not the increment, as Redis replicates it: the
                // replica's float arithmetic or formatting cannot drift.
                let argv = vec![
                    Bytes::from_static(b"HSET"),
                    args[1].clone(),
                    args[2].clone(),
                    Bytes::from(text.into_bytes()),
                ];
                crate::replicas::propagate_instead(ctx.server, argv);
            }
        }
    }
}

/// HSCAN options (`scanGenericCommand`): COUNT and MATCH; TYPE is SCAN's only.
fn parse_scan_options(args: &[Bytes]) -> Result<(usize, Option<&[u8]>), &'static str> {
    let (mut count, mut pattern) = (10usize, None);
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if eq_ignore_case(&args[i], "count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return Err(errors::NOT_INTEGER),
                Some(n) if n < 1 => return Err(errors::SYNTAX),
                Some(n) => count = usize::try_from(n).unwrap_or(usize::MAX),
            }
        } else if eq_ignore_case(&args[i], "match") && has_value {
            // "*" matches everything: Redis skips the filter, and so do we.
            pattern = Some(&args[i + 1][..]).filter(|p| *p != b"*");
        } else {
            return Err(errors::SYNTAX);
        }
        i += 2;
    }
    Ok((count, pattern))
}

fn hscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = super::keys::parse_cursor(&args[2]) else {
        return ctx.reply().error("ERR invalid cursor");
    };
    let db = ctx.client.db;
    let mut reply = reply_of(ctx.client);
    let hash = match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        // A missing key answers the empty scan before options are looked at.
        None => {
            reply.array(2);
            reply.bulk(b"0");
            return reply.array(0);
        }
        Some(Value::Hash(h)) => h,
        Some(_) => return reply.error(errors::WRONGTYPE),
    };
    let (count, pattern) = match parse_scan_options(args) {
        Ok(options) => options,
        Err(message) => return reply.error(message),
    };
    let (next, pairs) = hash.scan(cursor, count, pattern);
    reply.array(2);
    reply.bulk(next.to_string().as_bytes());
    reply.array(pairs.len() * 2);
    for (f, v) in &pairs {
        reply.bulk(f);
        reply.bulk(v);
    }
}

/// HRANDFIELD's count argument: Redis's ranges and their errors.
fn parse_random_count(args: &[Bytes]) -> Result<(i64, bool), String> {
    let count = parse_i64(&args[2]).ok_or_else(|| errors::NOT_INTEGER.to_string())?;
    if count == i64::MIN {
        return Err(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        ));
    }
    let with_values = match args.get(3) {
        None => false,
        Some(word) if args.len() == 4 && eq_ignore_case(word, "withvalues") => true,
        Some(_) => return Err(errors::SYNTAX.to_string()),
    };
    // WITHVALUES doubles the reply: Redis refuses counts whose double overflows.
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err("ERR value is out of range".to_string());
    }
    Ok((count, with_values))
}

/// Writes pairs: RESP3 nests each field/value pair in a 2-array, RESP2 is flat.
fn reply_pairs(reply: &mut Reply<'_>, pairs: &[Pair<'_>], with_values: bool) {
    for (f, v) in pairs {
        if with_values && reply.proto == resp::Protocol::Resp3 {
            reply.array(2);
        }
        bulk_entry(reply, f);
        if with_values {
            bulk_entry(reply, v);
        }
    }
}

/// `hrandfieldCommand`: one random field, or `count` of them (distinct when
/// positive, repeats allowed when negative), optionally with values.
fn hrandfield(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let parsed = if args.len() >= 3 {
        match parse_random_count(args) {
            Ok(p) => Some(p),
            Err(message) => return ctx.reply().error(&message),
        }
    } else {
        None
    };
    let db = ctx.client.db;
    let reply_limit = match ctx.server.config.client_output_buffer_limits
        [crate::config::obuf_class::NORMAL]
        .hard_bytes
    {
        0 => RUNAWAY_REPLY_BYTES,
        hard => usize::try_from(hard).unwrap_or(usize::MAX),
    };
    let mut rng = ctx.server.rng.clone();
    let client = &mut *ctx.client;
    let mut reply = reply_of(client);
    let hash = match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None if parsed.is_some() => return reply.array(0),
        None => return reply.null(),
        Some(Value::Hash(h)) => h,
        Some(_) => return reply.error(errors::WRONGTYPE),
    };
    let Some((count, with_values)) = parsed else {
        if let Some((f, _)) = hash.random_pair(&mut rng) {
            bulk_entry(&mut reply, &f);
        }
        ctx.server.rng = rng;
        return;
    };
    let width = if with_values && reply.proto == resp::Protocol::Resp2 {
        2
    } else {
        1
    };
    let n = count.unsigned_abs();
    if count < 0 {
        // Repeats allowed: batches of random picks, stopping a runaway reply.
        reply.array(
            usize::try_from(n)
                .unwrap_or(usize::MAX)
                .saturating_mul(width),
        );
        let mut left = n;
        while left > 0 {
            let batch = left.min(RANDOM_SAMPLE_LIMIT as u64) as usize;
            reply_pairs(&mut reply, &hash.random_pairs(&mut rng, batch), with_values);
            left -= batch as u64;
            if reply.out.len() > reply_limit {
                ctx.client.close_asap = true;
                break;
            }
        }
    } else {
        let picked = hash.random_unique(&mut rng, usize::try_from(n).unwrap_or(usize::MAX));
        reply.array(picked.len() * width);
        reply_pairs(&mut reply, &picked, with_values);
    }
    ctx.server.rng = rng;
}
