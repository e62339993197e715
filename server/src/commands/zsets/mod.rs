//! Commands of the sorted-sets family (Redis's `t_zset.c`): ZADD and ZINCRBY,
//! ZREM, the score and rank lookups, the ZRANGE family and its *STORE form, the
//! counts and range removals, the set operations (ZUNION, ZINTER, ZDIFF and
//! their STORE forms, ZINTERCARD), the pops (ZPOPMIN/MAX, ZMPOP and their
//! blocking forms), ZRANDMEMBER and ZSCAN.
//!
//! Each handler parses its arguments in Redis's order (so that, as in Redis, a
//! bad option is reported before a missing key or a WRONGTYPE, or after, exactly
//! where `t_zset.c` checks it), runs a `storage::types::zset` operation, and
//! renders the reply. Scores go out through `addReplyDouble`'s format: a bulk
//! string of `%.17g` in RESP2, a double in RESP3; where Redis 7.0 replies
//! (member, score) pairs, RESP2 gets one flat array and RESP3 an array of
//! two-element arrays.
//!
//! The encoding thresholds are read from the config on every write
//! (`zset-max-listpack-entries`, `zset-max-listpack-value`) and handed to
//! storage, together with the server's seeded generator for new skiplists.

use bytes::Bytes;
use resp::Protocol;
use storage::types::zset::{AddFlags, AddOutcome, ZSet, ZsetLimits};
use storage::{Lookup, Value};

use super::keys::{lookup_read, lookup_write};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags, Reply};
use crate::state::Server;

mod pop;
mod ranges;
mod setops;

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;
const B: Flags = Flags::BLOCKING;
const NS: Flags = Flags::NOSCRIPT;

const LOG_N: &str = "O(log(N)) with N being the number of elements in the sorted set.";
const RANGE_N: &str = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
const BY_N: &str = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const REM_N: &str = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
const UNION_N: &str = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.";
const INTER_N: &str = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_N: &str = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";
const POP_N: &str = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
const MPOP_N: &str = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.";

/// This family's slice of the command table (arity, flags and key positions
/// from Redis 7.0's `src/commands/*.json`).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, W.with(D).with(F), zadd).keys(1, 1, 1).doc("sorted_set", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists"),
    CommandSpec::new("zincrby", 4, W.with(D).with(F), zincrby).keys(1, 1, 1).doc("sorted_set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set"),
    CommandSpec::new("zrem", -3, W.with(F), zrem).keys(1, 1, 1).doc("sorted_set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set"),
    CommandSpec::new("zcard", 2, R.with(F), zcard).keys(1, 1, 1).doc("sorted_set", "1.2.0", "O(1)", "Get the number of members in a sorted set"),
    CommandSpec::new("zscore", 3, R.with(F), zscore).keys(1, 1, 1).doc("sorted_set", "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set"),
    CommandSpec::new("zmscore", -3, R.with(F), zmscore).keys(1, 1, 1).doc("sorted_set", "6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set"),
    CommandSpec::new("zrank", 3, R.with(F), zrank).keys(1, 1, 1).doc("sorted_set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set"),
    CommandSpec::new("zrevrank", 3, R.with(F), zrevrank).keys(1, 1, 1).doc("sorted_set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    CommandSpec::new("zcount", 4, R.with(F), ranges::zcount).keys(1, 1, 1).doc("sorted_set", "2.0.0", LOG_N, "Count the members in a sorted set with scores within the given values"),
    CommandSpec::new("zlexcount", 4, R.with(F), ranges::zlexcount).keys(1, 1, 1).doc("sorted_set", "2.8.9", LOG_N, "Count the number of members in a sorted set between a given lexicographical range"),
    CommandSpec::new("zrange", -4, R, ranges::zrange).keys(1, 1, 1).doc("sorted_set", "1.2.0", RANGE_N, "Return a range of members in a sorted set"),
    CommandSpec::new("zrangestore", -5, W.with(D), ranges::zrangestore).keys(1, 2, 1).doc("sorted_set", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key"),
    CommandSpec::new("zrevrange", -4, R, ranges::zrevrange).keys(1, 1, 1).doc("sorted_set", "1.2.0", RANGE_N, "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    CommandSpec::new("zrangebyscore", -4, R, ranges::zrangebyscore).keys(1, 1, 1).doc("sorted_set", "1.0.5", BY_N, "Return a range of members in a sorted set, by score"),
    CommandSpec::new("zrevrangebyscore", -4, R, ranges::zrevrangebyscore).keys(1, 1, 1).doc("sorted_set", "2.2.0", BY_N, "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    CommandSpec::new("zrangebylex", -4, R, ranges::zrangebylex).keys(1, 1, 1).doc("sorted_set", "2.8.9", BY_N, "Return a range of members in a sorted set, by lexicographical range"),
    CommandSpec::new("zrevrangebylex", -4, R, ranges::zrevrangebylex).keys(1, 1, 1).doc("sorted_set", "2.8.9", BY_N, "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    CommandSpec::new("zremrangebyrank", 4, W, ranges::zremrangebyrank).keys(1, 1, 1).doc("sorted_set", "2.0.0", REM_N, "Remove all members in a sorted set within the given indexes"),
    CommandSpec::new("zremrangebyscore", 4, W, ranges::zremrangebyscore).keys(1, 1, 1).doc("sorted_set", "1.2.0", REM_N, "Remove all members in a sorted set within the given scores"),
    CommandSpec::new("zremrangebylex", 4, W, ranges::zremrangebylex).keys(1, 1, 1).doc("sorted_set", "2.8.9", REM_N, "Remove all members in a sorted set between the given lexicographical range"),
    CommandSpec::new("zunionstore", -4, W.with(D), setops::zunionstore).keys(1, 1, 1).doc("sorted_set", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("zinterstore", -4, W.with(D), setops::zinterstore).keys(1, 1, 1).doc("sorted_set", "2.0.0", INTER_N, "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("zdiffstore", -4, W.with(D), setops::zdiffstore).keys(1, 1, 1).doc("sorted_set", "6.2.0", DIFF_N, "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    CommandSpec::new("zunion", -3, R, setops::zunion).doc("sorted_set", "6.2.0", UNION_N, "Add multiple sorted sets"),
    CommandSpec::new("zinter", -3, R, setops::zinter).doc("sorted_set", "6.2.0", INTER_N, "Intersect multiple sorted sets"),
    CommandSpec::new("zdiff", -3, R, setops::zdiff).doc("sorted_set", "6.2.0", DIFF_N, "Subtract multiple sorted sets"),
    CommandSpec::new("zintercard", -3, R, setops::zintercard).doc("sorted_set", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result"),
    CommandSpec::new("zpopmin", -2, W.with(F), pop::zpopmin).keys(1, 1, 1).doc("sorted_set", "5.0.0", POP_N, "Remove and return members with the lowest scores in a sorted set"),
    CommandSpec::new("zpopmax", -2, W.with(F), pop::zpopmax).keys(1, 1, 1).doc("sorted_set", "5.0.0", POP_N, "Remove and return members with the highest scores in a sorted set"),
    CommandSpec::new("bzpopmin", -3, W.with(NS).with(F).with(B), pop::bzpopmin).keys(1, -2, 1).doc("sorted_set", "5.0.0", LOG_N, "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    CommandSpec::new("bzpopmax", -3, W.with(NS).with(F).with(B), pop::bzpopmax).keys(1, -2, 1).doc("sorted_set", "5.0.0", LOG_N, "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    CommandSpec::new("zmpop", -4, W, pop::zmpop).doc("sorted_set", "7.0.0", MPOP_N, "Remove and return members with scores in a sorted set"),
    CommandSpec::new("bzmpop", -5, W.with(B), pop::bzmpop).doc("sorted_set", "7.0.0", MPOP_N, "Remove and return members with scores in a sorted set or block until one is available"),
    CommandSpec::new("zrandmember", -2, R, pop::zrandmember).keys(1, 1, 1).doc("sorted_set", "6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set"),
    CommandSpec::new("zscan", -3, R, pop::zscan).keys(1, 1, 1).doc("sorted_set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate sorted sets elements and associated scores"),
];

/// The encoding thresholds from the config.
fn limits(server: &Server) -> ZsetLimits {
    let clamp = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    ZsetLimits {
        max_listpack_entries: clamp(server.config.zset_max_listpack_entries),
        max_listpack_value: clamp(server.config.zset_max_listpack_value),
    }
}

/// A score in a reply (`addReplyDouble`).
fn reply_double(reply: &mut Reply<'_>, value: f64) {
    resp::encode::double(reply.out, value, reply.proto);
}

/// Replies (member, score) pairs: members only, or with scores flat in RESP2
/// and as two-element arrays in RESP3.
fn reply_entries(reply: &mut Reply<'_>, entries: &[(Vec<u8>, f64)], withscores: bool) {
    let nested = withscores && reply.proto == Protocol::Resp3;
    let len = if withscores && !nested {
        entries.len() * 2
    } else {
        entries.len()
    };
    reply.array(len);
    for (member, score) in entries {
        if nested {
            reply.array(2);
        }
        reply.bulk(member);
        if withscores {
            reply_double(reply, *score);
        }
    }
}

/// The result of looking a key up for a sorted-set command.
enum Found {
    /// No such key.
    Missing,
    /// A sorted set.
    ZSet,
    /// Another type (WRONGTYPE was replied).
    WrongType,
}

/// `lookupKeyRead` + `checkType`: replies WRONGTYPE itself.
fn check_read(ctx: &mut Ctx<'_>, key: &[u8]) -> Found {
    let db = ctx.client.db;
    let found = match lookup_read(ctx.server, db, key, Lookup::Touch) {
        None => Found::Missing,
        Some(v) if v.as_zset().is_some() => Found::ZSet,
        Some(_) => Found::WrongType,
    };
    if let Found::WrongType = found {
        ctx.reply().error(errors::WRONGTYPE);
    }
    found
}

/// `lookupKeyWrite` + `checkType`: replies WRONGTYPE itself.
fn check_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Found {
    let db = ctx.client.db;
    let found = match lookup_write(ctx.server, db, key) {
        None => Found::Missing,
        Some(v) if v.as_zset().is_some() => Found::ZSet,
        Some(_) => Found::WrongType,
    };
    if let Found::WrongType = found {
        ctx.reply().error(errors::WRONGTYPE);
    }
    found
}

/// The sorted set under `key` (checked to exist by `check_*`), read-only.
fn zset_ref<'s>(ctx: &'s Ctx<'_>, key: &[u8]) -> Option<&'s ZSet> {
    ctx.server
        .keyspace
        .db(ctx.client.db)
        .peek(key)
        .and_then(Value::as_zset)
}

/// The sorted set under `key` for modification, with the server's generator.
fn zset_mut<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
) -> Option<(&'s mut ZSet, &'s mut storage::Rng)> {
    let now = server.clock.now_ms();
    let zset = server
        .keyspace
        .db_mut(db)
        .lookup_write(key, now)
        .and_then(Value::as_zset_mut)?;
    Some((zset, &mut server.rng))
}

/// Deletes `key` when its set became empty; true if it did.
fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let db = ctx.client.db;
    let empty = ctx
        .server
        .keyspace
        .db(db)
        .peek(key)
        .is_some_and(Value::is_empty_collection);
    if empty {
        ctx.db().delete(key);
    }
    empty
}

/// `zaddGenericCommand`'s option words, up to the first score.
fn parse_zadd_flags(args: &[Bytes], mut flags: AddFlags) -> (AddFlags, bool, usize) {
    let mut ch = false;
    let mut i = 2;
    while let Some(arg) = args.get(i) {
        match () {
            _ if eq_ignore_case(arg, "nx") => flags.nx = true,
            _ if eq_ignore_case(arg, "xx") => flags.xx = true,
            _ if eq_ignore_case(arg, "ch") => ch = true,
            _ if eq_ignore_case(arg, "incr") => flags.incr = true,
            _ if eq_ignore_case(arg, "gt") => flags.gt = true,
            _ if eq_ignore_case(arg, "lt") => flags.lt = true,
            _ => break,
        }
        i += 1;
    }
    (flags, ch, i)
}

/// ZADD and ZINCRBY (`zaddGenericCommand`).
fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Bytes], flags: AddFlags) {
    let (flags, ch, first) = parse_zadd_flags(args, flags);
    let pairs = &args[first..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return ctx.reply().error(errors::SYNTAX);
    }
    if flags.nx && flags.xx {
        return ctx
            .reply()
            .error("ERR XX and NX options at the same time are not compatible");
    }
    if [flags.gt, flags.lt, flags.nx]
        .iter()
        .filter(|f| **f)
        .count()
        > 1
    {
        return ctx
            .reply()
            .error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if flags.incr && pairs.len() > 2 {
        return ctx
            .reply()
            .error("ERR INCR option supports a single increment-element pair");
    }
    // Every score is parsed before anything changes: all or nothing.
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks_exact(2) {
        match storage::types::zset::parse_score(&pair[0]) {
            Some(s) => scores.push(s),
            None => return ctx.reply().error(errors::NOT_FLOAT),
        }
    }
    let key = &args[1][..];
    let (db, now, limits) = (ctx.client.db, ctx.now_ms(), limits(ctx.server));
    match check_write(ctx, key) {
        Found::WrongType => return,
        Found::Missing if flags.xx => return reply_zadd(ctx, flags, ch, (0, 0, 0), 0.0),
        Found::Missing => {
            let zset = ZSet::for_add(pairs[1].len(), &limits, &mut ctx.server.rng);
            ctx.db().set(key, Value::ZSet(zset), now, false);
        }
        Found::ZSet => {}
    }
    let Some((zset, rng)) = zset_mut(ctx.server, db, key) else {
        return;
    };
    let (mut added, mut updated, mut processed, mut last) = (0u64, 0u64, 0u64, 0.0);
    let mut nan = false;
    for (pair, score) in pairs.chunks_exact(2).zip(scores) {
        match zset.add(&pair[1], score, flags, &limits, rng) {
            AddOutcome::Added(s) => (added, processed, last) = (added + 1, processed + 1, s),
            AddOutcome::Updated(s) => (updated, processed, last) = (updated + 1, processed + 1, s),
            AddOutcome::Unchanged(s) => (processed, last) = (processed + 1, s),
            AddOutcome::Skipped => {}
            AddOutcome::NotANumber => {
                nan = true;
                break;
            }
        }
    }
    // A ZADD that added nothing to a new key (e.g. NX... never, but be safe)
    // must not leave an empty set behind.
    delete_if_empty(ctx, key);
    if nan {
        return ctx
            .reply()
            .error("ERR resulting score is not a number (NaN)");
    }
    ctx.dirty(added + updated);
    reply_zadd(ctx, flags, ch, (added, updated, processed), last);
}

fn reply_zadd(ctx: &mut Ctx<'_>, flags: AddFlags, ch: bool, counts: (u64, u64, u64), score: f64) {
    let (added, updated, processed) = counts;
    let mut reply = ctx.reply();
    if flags.incr {
        if processed > 0 {
            reply_double(&mut reply, score);
        } else {
            reply.null();
        }
    } else {
        reply.integer((if ch { added + updated } else { added }) as i64);
    }
}

fn zadd(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zadd_generic(ctx, args, AddFlags::default());
}

fn zincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let flags = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args, flags);
}

fn zrem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let key = &args[1][..];
    match check_write(ctx, key) {
        Found::WrongType => return,
        Found::Missing => return ctx.reply().integer(0),
        Found::ZSet => {}
    }
    let db = ctx.client.db;
    let mut deleted = 0;
    if let Some((zset, _)) = zset_mut(ctx.server, db, key) {
        for member in &args[2..] {
            if zset.remove(member) {
                deleted += 1;
            }
            if zset.is_empty() {
                break;
            }
        }
    }
    delete_if_empty(ctx, key);
    ctx.dirty(deleted);
    ctx.reply().integer(deleted as i64);
}

fn zcard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let len = match check_read(ctx, &args[1]) {
        Found::WrongType => return,
        Found::Missing => 0,
        Found::ZSet => zset_ref(ctx, &args[1]).map_or(0, ZSet::len),
    };
    ctx.reply().integer(len as i64);
}

fn zscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let score = match check_read(ctx, &args[1]) {
        Found::WrongType => return,
        Found::Missing => None,
        Found::ZSet => zset_ref(ctx, &args[1]).and_then(|z| z.score(&args[2])),
    };
    let mut reply = ctx.reply();
    match score {
        Some(s) => reply_double(&mut reply, s),
        None => reply.null(),
    }
}

fn zmscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if let Found::WrongType = check_read(ctx, &args[1]) {
        return;
    }
    let scores: Vec<Option<f64>> = {
        let zset = zset_ref(ctx, &args[1]);
        args[2..]
            .iter()
            .map(|m| zset.and_then(|z| z.score(m)))
            .collect()
    };
    let mut reply = ctx.reply();
    reply.array(scores.len());
    for score in scores {
        match score {
            Some(s) => reply_double(&mut reply, s),
            None => reply.null(),
        }
    }
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Bytes], reverse: bool) {
    let rank = match check_read(ctx, &args[1]) {
        Found::WrongType => return,
        Found::Missing => None,
        Found::ZSet => zset_ref(ctx, &args[1]).and_then(|z| z.rank(&args[2], reverse)),
    };
    match rank {
        Some(r) => ctx.reply().integer(r as i64),
        None => ctx.reply().null(),
    }
}

fn zrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rank_generic(ctx, args, false);
}

fn zrevrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rank_generic(ctx, args, true);
}

/// `getLongFromObjectOrReply`: a strict integer or the standard error.
fn parse_long(arg: &[u8]) -> Result<i64, &'static str> {
    parse_i64(arg).ok_or(errors::NOT_INTEGER)
}

/// Stores `entries` under `dst` as a *STORE result: encoded by size, the key
/// replaced (TTL dropped), or deleted when empty; replies the size.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], entries: Vec<(Vec<u8>, f64)>) {
    let len = entries.len();
    if len == 0 {
        if ctx.db().delete(dst) {
            ctx.dirty(1);
        }
        return ctx.reply().integer(0);
    }
    let limits = limits(ctx.server);
    let zset = ZSet::from_entries(entries, &limits, &mut ctx.server.rng);
    let now = ctx.now_ms();
    ctx.db().set(dst, Value::ZSet(zset), now, false);
    ctx.dirty(1);
    ctx.reply().integer(len as i64);
}
