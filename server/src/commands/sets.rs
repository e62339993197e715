//! Commands of the sets family (Redis's `t_set.c`): SADD, SREM, SMEMBERS,
//! SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, the algebra (SINTER,
//! SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE) and SSCAN.
//!
//! The encoding rules (intset until a non-integer or more than
//! `set-max-intset-entries` members) live in `storage::types::set`; handlers pass
//! the threshold in. Multi-key commands first look every key up (lazy expiry,
//! hit/miss counting, and the WRONGTYPE check, in argument order as Redis does),
//! then compute on shared borrows of the sets and render the reply.
//!
//! Reply shapes follow Redis 7.0 exactly: SMEMBERS, SINTER, SUNION, SDIFF and SPOP
//! with a count reply as sets (`~` in RESP3); SRANDMEMBER with a count replies an
//! array. SINTERCARD's keys follow a `numkeys` argument, which the table's
//! first/last/step row cannot express (Redis shows 0 0 0 and "movablekeys"): the
//! row says first key 2, last key -1, so COMMAND GETKEYS is exact unless a LIMIT
//! clause follows the keys, in which case it also lists "LIMIT" and its argument.
//!
//! SPOP propagates the members it chose, as SREMs (or DEL for a whole set):
//! a replica replaying SPOP itself would pick other members.

use bytes::Bytes;
use storage::types::set::{self, Member, Set, SetOptions};
use storage::{Lookup, Value};

use super::keys::{lookup_read, lookup_write, parse_cursor, reply_of};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags, Reply};

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, W.with(D).with(F), sadd).keys(1, 1, 1).doc("set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Add one or more members to a set"),
    CommandSpec::new("srem", -3, W.with(F), srem).keys(1, 1, 1).doc("set", "1.0.0", "O(N) where N is the number of members to be removed.", "Remove one or more members from a set"),
    CommandSpec::new("smembers", 2, R, smembers).keys(1, 1, 1).doc("set", "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set"),
    CommandSpec::new("sismember", 3, R.with(F), sismember).keys(1, 1, 1).doc("set", "1.0.0", "O(1)", "Determine if a given value is a member of a set"),
    CommandSpec::new("smismember", -3, R.with(F), smismember).keys(1, 1, 1).doc("set", "6.2.0", "O(N) where N is the number of elements being checked for membership", "Returns the membership associated with the given elements for a set"),
    CommandSpec::new("scard", 2, R.with(F), scard).keys(1, 1, 1).doc("set", "1.0.0", "O(1)", "Get the number of members in a set"),
    CommandSpec::new("spop", -2, W.with(F), spop).keys(1, 1, 1).doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Remove and return one or multiple random members from a set"),
    CommandSpec::new("srandmember", -2, R, srandmember).keys(1, 1, 1).doc("set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set"),
    CommandSpec::new("smove", 4, W.with(F), smove).keys(1, 2, 1).doc("set", "1.0.0", "O(1)", "Move a member from one set to another"),
    CommandSpec::new("sinter", -2, R, sinter).keys(1, -1, 1).doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets"),
    CommandSpec::new("sintercard", -3, R, sintercard).keys(2, -1, 1).doc("set", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and return the cardinality of the result"),
    CommandSpec::new("sinterstore", -3, W.with(D), sinterstore).keys(1, -1, 1).doc("set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and store the resulting set in a key"),
    CommandSpec::new("sunion", -2, R, sunion).keys(1, -1, 1).doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets"),
    CommandSpec::new("sunionstore", -3, W.with(D), sunionstore).keys(1, -1, 1).doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets and store the resulting set in a key"),
    CommandSpec::new("sdiff", -2, R, sdiff).keys(1, -1, 1).doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets"),
    CommandSpec::new("sdiffstore", -3, W.with(D), sdiffstore).keys(1, -1, 1).doc("set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets and store the resulting set in a key"),
    CommandSpec::new("sscan", -3, R, sscan).keys(1, 1, 1).doc("set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate Set elements"),
];

/// SPOP's count error: Redis answers it for negative and non-numeric counts alike.
const POSITIVE: &str = "ERR value is out of range, must be positive";
/// SRANDMEMBER's count must have a negation (`-LONG_MAX..=LONG_MAX`).
const SRANDMEMBER_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// A reply that grows past this many bytes stops and closes the connection, as
/// Redis stops a huge negative SRANDMEMBER when the output limit closes the client
/// (with Redis's default of no limit, it would exhaust memory instead).
const RANDOM_REPLY_MAX_BYTES: usize = 512 << 20;

/// What a key holds, as the set commands care.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Missing,
    Set,
    Other,
}

fn kind_of(value: Option<&Value>) -> Kind {
    match value {
        None => Kind::Missing,
        Some(Value::Set(_)) => Kind::Set,
        Some(_) => Kind::Other,
    }
}

/// `lookupKeyRead` + type check.
fn kind_read(ctx: &mut Ctx<'_>, key: &[u8]) -> Kind {
    kind_of(lookup_read(ctx.server, ctx.client.db, key, Lookup::Touch))
}

/// `lookupKeyWrite` + type check.
fn kind_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Kind {
    kind_of(lookup_write(ctx.server, ctx.client.db, key).map(|v| &*v))
}

/// The threshold and table key for sets of the client's db.
fn options(ctx: &Ctx<'_>) -> SetOptions {
    let db = ctx.server.keyspace.db(ctx.client.db);
    SetOptions::for_db(db, ctx.server.config.set_max_intset_entries)
}

/// The live set under `key` (already looked up), for reading.
fn peek<'a>(ctx: &'a Ctx<'_>, key: &[u8]) -> Option<&'a Set> {
    ctx.server
        .keyspace
        .db(ctx.client.db)
        .peek(key)
        .and_then(Value::as_set)
}

/// The live set under `key` (already looked up), for modification.
fn peek_mut<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> Option<&'a mut Set> {
    let now = ctx.now_ms();
    ctx.db().lookup_write(key, now).and_then(Value::as_set_mut)
}

fn bulk_member(reply: &mut Reply<'_>, member: Member<'_>) {
    let mut buf = [0u8; 20];
    reply.bulk(member.as_bytes(&mut buf));
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let key = &args[1][..];
    let opts = options(ctx);
    let added = match kind_write(ctx, key) {
        Kind::Other => return ctx.reply().error(errors::WRONGTYPE),
        Kind::Missing => {
            let mut fresh = Set::for_member(&args[2], &opts);
            let added = args[2..].iter().filter(|m| fresh.add(m, &opts)).count();
            let now = ctx.now_ms();
            ctx.db().set(key, Value::Set(fresh), now, false);
            added
        }
        Kind::Set => match peek_mut(ctx, key) {
            Some(set) => args[2..].iter().filter(|m| set.add(m, &opts)).count(),
            None => 0,
        },
    };
    ctx.dirty(added as u64);
    ctx.reply().integer(added as i64);
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let key = &args[1][..];
    match kind_write(ctx, key) {
        Kind::Missing => return ctx.reply().integer(0),
        Kind::Other => return ctx.reply().error(errors::WRONGTYPE),
        Kind::Set => {}
    }
    let Some(set) = peek_mut(ctx, key) else {
        return ctx.reply().integer(0);
    };
    let mut deleted = 0;
    for member in &args[2..] {
        if set.remove(member) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if set.is_empty() {
        ctx.db().delete(key);
    }
    ctx.dirty(deleted);
    ctx.reply().integer(deleted as i64);
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (src, dst, member) = (&args[1][..], &args[2][..], &args[3][..]);
    let src_kind = kind_write(ctx, src);
    let dst_kind = kind_write(ctx, dst);
    if src_kind == Kind::Missing {
        return ctx.reply().integer(0);
    }
    if src_kind == Kind::Other || dst_kind == Kind::Other {
        return ctx.reply().error(errors::WRONGTYPE);
    }
    if src == dst {
        let present = peek(ctx, src).is_some_and(|s| s.contains(member));
        return ctx.reply().integer(i64::from(present));
    }
    let removed = peek_mut(ctx, src).is_some_and(|s| s.remove(member));
    if !removed {
        return ctx.reply().integer(0);
    }
    if peek(ctx, src).is_some_and(Set::is_empty) {
        ctx.db().delete(src);
    }
    let opts = options(ctx);
    if dst_kind == Kind::Missing {
        let now = ctx.now_ms();
        ctx.db()
            .set(dst, Value::Set(Set::for_member(member, &opts)), now, false);
    }
    let added = peek_mut(ctx, dst).is_some_and(|s| s.add(member, &opts));
    ctx.dirty(1 + u64::from(added));
    ctx.reply().integer(1);
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match kind_read(ctx, &args[1]) {
        Kind::Other => ctx.reply().error(errors::WRONGTYPE),
        _ => {
            let present = peek(ctx, &args[1]).is_some_and(|s| s.contains(&args[2]));
            ctx.reply().integer(i64::from(present));
        }
    }
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if kind_read(ctx, &args[1]) == Kind::Other {
        return ctx.reply().error(errors::WRONGTYPE);
    }
    let answers: Vec<bool> = {
        let set = peek(ctx, &args[1]);
        args[2..]
            .iter()
            .map(|m| set.is_some_and(|s| s.contains(m)))
            .collect()
    };
    let mut reply = ctx.reply();
    reply.array(answers.len());
    for present in answers {
        reply.integer(i64::from(present));
    }
}

/// SCARD key
fn scard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match kind_read(ctx, &args[1]) {
        Kind::Other => ctx.reply().error(errors::WRONGTYPE),
        _ => {
            let len = peek(ctx, &args[1]).map_or(0, Set::len);
            ctx.reply().integer(len as i64);
        }
    }
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() > 3 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let count = match args.get(2) {
        None => None,
        Some(arg) => match parse_i64(arg).and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Some(n),
            None => return ctx.reply().error(POSITIVE),
        },
    };
    let key = &args[1][..];
    match kind_write(ctx, key) {
        Kind::Other => return ctx.reply().error(errors::WRONGTYPE),
        Kind::Missing if count.is_some() => return ctx.reply().set(0),
        Kind::Missing => return ctx.reply().null(),
        Kind::Set => {}
    }
    let opts = options(ctx);
    let now = ctx.now_ms();
    let server = &mut *ctx.server;
    let Some(set) = server
        .keyspace
        .db_mut(ctx.client.db)
        .lookup_write(key, now)
        .and_then(Value::as_set_mut)
    else {
        return ctx.reply().null();
    };
    let popped = match count {
        None => set.pop_random(&mut server.rng).into_iter().collect(),
        Some(n) => set.pop_many(n, &mut server.rng, &opts),
    };
    let emptied = set.is_empty();
    if emptied {
        ctx.db().delete(key);
    }
    ctx.dirty(popped.len() as u64);
    if !popped.is_empty() && crate::replicas::propagating(ctx.server) {
        // With a count that took the whole set, Redis's first case: DEL.
        let whole = count.is_some() && emptied;
        propagate_spop(ctx, &args[1], &popped, whole);
    }
    let mut reply = ctx.reply();
    match (count, popped.first()) {
        (None, Some(member)) => reply.bulk(member),
        (None, None) => reply.null(),
        (Some(_), _) => {
            reply.set(popped.len());
            for member in &popped {
                reply.bulk(member);
            }
        }
    }
}

/// SPOP chose its members at random: the replica must remove the same ones,
/// so SPOP goes as SREM, one per member (Redis 7.0 sends them separately,
/// which the stream wraps in MULTI/EXEC), or as DEL when the whole set went.
fn propagate_spop(ctx: &mut Ctx<'_>, key: &Bytes, popped: &[Vec<u8>], whole: bool) {
    let server = &mut *ctx.server;
    if whole {
        let argv = vec![Bytes::from_static(b"DEL"), key.clone()];
        return crate::replicas::propagate_instead(server, argv);
    }
    crate::replicas::propagate_instead(server, Vec::new());
    for member in popped {
        let argv = vec![
            Bytes::from_static(b"SREM"),
            key.clone(),
            Bytes::copy_from_slice(member),
        ];
        crate::replicas::also_propagate(server, ctx.client.db, argv);
    }
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() > 3 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let count = match args.get(2).map(|a| parse_i64(a)) {
        None => None,
        Some(None) => return ctx.reply().error(errors::NOT_INTEGER),
        Some(Some(i64::MIN)) => return ctx.reply().error(SRANDMEMBER_RANGE),
        Some(Some(n)) => Some(n),
    };
    let key = &args[1][..];
    match kind_read(ctx, key) {
        Kind::Other => return ctx.reply().error(errors::WRONGTYPE),
        Kind::Missing if count.is_some() => return ctx.reply().array(0),
        Kind::Missing => return ctx.reply().null(),
        Kind::Set => {}
    }
    let server = &mut *ctx.server;
    let Some(set) = server
        .keyspace
        .db(ctx.client.db)
        .peek(key)
        .and_then(Value::as_set)
    else {
        return reply_of(ctx.client).null();
    };
    let rng = &mut server.rng;
    let mut reply = reply_of(ctx.client);
    let Some(count) = count else {
        return match set.random_member(rng) {
            Some(m) => bulk_member(&mut reply, m),
            None => reply.null(),
        };
    };
    if count < 0 || count == 1 {
        // Repeats allowed (or a single pick): independent draws, in draw order.
        let n = count.unsigned_abs();
        reply.array(usize::try_from(n).unwrap_or(usize::MAX));
        for _ in 0..n {
            let Some(m) = set.random_member(rng) else {
                break;
            };
            bulk_member(&mut reply, m);
            if reply.out.len() > RANDOM_REPLY_MAX_BYTES {
                ctx.client.close_asap = true;
                return;
            }
        }
        return;
    }
    let picked = set.random_distinct(count as usize, rng);
    reply.array(picked.len());
    for m in picked {
        bulk_member(&mut reply, m);
    }
}

/// Looks every key up for reading in order; Err after replying WRONGTYPE,
/// else whether any key is missing.
fn check_all(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<bool, ()> {
    let mut missing = false;
    for key in keys {
        match kind_read(ctx, key) {
            Kind::Other => {
                ctx.reply().error(errors::WRONGTYPE);
                return Err(());
            }
            Kind::Missing => missing = true,
            Kind::Set => {}
        }
    }
    Ok(missing)
}

/// Stores `result` under `dst` as SINTERSTORE/SUNIONSTORE/SDIFFSTORE do: an empty
/// result deletes the destination instead.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], result: Set) {
    let len = result.len();
    if len > 0 {
        let now = ctx.now_ms();
        ctx.db().set(dst, Value::Set(result), now, false);
        ctx.dirty(1);
    } else if ctx.db().delete(dst) {
        ctx.dirty(1);
    }
    ctx.reply().integer(len as i64);
}

/// What an intersection does with its members.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InterMode {
    Reply,
    Card { limit: usize },
    Store,
}

/// SINTER / SMEMBERS / SINTERCARD / SINTERSTORE (`sinterGenericCommand`).
fn inter_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dst: Option<&[u8]>, mode: InterMode) {
    let Ok(missing) = check_all(ctx, keys) else {
        return;
    };
    if missing {
        // An intersection with an empty set is empty: answer at once.
        return match (mode, dst) {
            (InterMode::Store, Some(dst)) => store(ctx, dst, Set::new()),
            (InterMode::Card { .. }, _) => ctx.reply().integer(0),
            _ => ctx.reply().set(0),
        };
    }
    let opts = options(ctx);
    let db = ctx.server.keyspace.db(ctx.client.db);
    let sets: Vec<&Set> = keys
        .iter()
        .filter_map(|k| db.peek(k).and_then(Value::as_set))
        .collect();
    match mode {
        InterMode::Card { limit } => {
            let n = set::intersect(&sets, limit, |_| ());
            reply_of(ctx.client).integer(n as i64);
        }
        InterMode::Reply => {
            let mut found = Vec::new();
            set::intersect(&sets, 0, |m| found.push(m));
            let mut reply = reply_of(ctx.client);
            reply.set(found.len());
            for m in found {
                bulk_member(&mut reply, m);
            }
        }
        InterMode::Store => {
            let mut result = Set::new();
            set::intersect(&sets, 0, |m| {
                result.add_member(m, &opts);
            });
            if let Some(dst) = dst {
                store(ctx, dst, result);
            }
        }
    }
}

/// SMEMBERS key (Redis 7.0 runs it as a one-key SINTER).
fn smembers(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    inter_generic(ctx, &args[1..2], None, InterMode::Reply);
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    inter_generic(ctx, &args[1..], None, InterMode::Reply);
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    inter_generic(ctx, &args[2..], Some(&args[1]), InterMode::Store);
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return ctx.reply().error("ERR numkeys should be greater than 0"),
    };
    let numkeys = match usize::try_from(numkeys) {
        Ok(n) if n <= args.len() - 2 => n,
        _ => {
            return ctx
                .reply()
                .error("ERR Number of keys can't be greater than number of args")
        }
    };
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if eq_ignore_case(&args[i], "limit") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]).and_then(|n| usize::try_from(n).ok()) {
                Some(n) => limit = n,
                None => return ctx.reply().error("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return ctx.reply().error(errors::SYNTAX);
        }
    }
    inter_generic(ctx, &args[2..2 + numkeys], None, InterMode::Card { limit });
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION / SDIFF and their STORE forms (`sunionDiffGenericCommand`).
fn union_diff_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dst: Option<&[u8]>, op: SetOp) {
    if check_all(ctx, keys).is_err() {
        return;
    }
    let opts = options(ctx);
    let db = ctx.server.keyspace.db(ctx.client.db);
    let sets: Vec<Option<&Set>> = keys
        .iter()
        .map(|k| db.peek(k).and_then(Value::as_set))
        .collect();
    let result = match op {
        SetOp::Union => set::union(&sets, &opts),
        SetOp::Diff => set::difference(&sets, &opts),
    };
    match dst {
        Some(dst) => store(ctx, dst, result),
        None => {
            let mut reply = ctx.reply();
            reply.set(result.len());
            for m in result.iter() {
                bulk_member(&mut reply, m);
            }
        }
    }
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    union_diff_generic(ctx, &args[1..], None, SetOp::Union);
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    union_diff_generic(ctx, &args[2..], Some(&args[1]), SetOp::Union);
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    union_diff_generic(ctx, &args[1..], None, SetOp::Diff);
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    union_diff_generic(ctx, &args[2..], Some(&args[1]), SetOp::Diff);
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Redis parses the cursor first, then looks the key up, and reads the options
    // only for an existing set (a missing key answers an empty scan regardless).
    let Some(cursor) = parse_cursor(&args[2]) else {
        return ctx.reply().error("ERR invalid cursor");
    };
    match kind_read(ctx, &args[1]) {
        Kind::Other => return ctx.reply().error(errors::WRONGTYPE),
        Kind::Missing => {
            let mut reply = ctx.reply();
            reply.array(2);
            reply.bulk(b"0");
            return reply.array(0);
        }
        Kind::Set => {}
    }
    let (mut count, mut pattern) = (10usize, None);
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if eq_ignore_case(&args[i], "count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return ctx.reply().error(errors::NOT_INTEGER),
                Some(n) if n < 1 => return ctx.reply().error(errors::SYNTAX),
                Some(n) => count = usize::try_from(n).unwrap_or(usize::MAX),
            }
        } else if eq_ignore_case(&args[i], "match") && has_value {
            pattern = Some(&args[i + 1][..]);
        } else {
            return ctx.reply().error(errors::SYNTAX);
        }
        i += 2;
    }
    let (next, found) = match peek(ctx, &args[1]) {
        Some(set) => set.scan(cursor, count, pattern),
        None => (0, Vec::new()),
    };
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(next.to_string().as_bytes());
    reply.array(found.len());
    for member in &found {
        reply.bulk(member);
    }
}
