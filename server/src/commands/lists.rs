//! Commands of the lists family (Redis 7.0's `t_list.c`): pushes and pops at
//! both ends, LRANGE, LINDEX, LSET, LREM, LTRIM, LINSERT, LPOS, the moves
//! (LMOVE, RPOPLPUSH), LMPOP, and the blocking forms in [`blocking`].
//!
//! Each handler parses its arguments, runs a `storage::types::list` operation,
//! then renders the reply. The order of the checks is Redis's and is visible to
//! clients: LRANGE, LTRIM and LREM validate their numbers before looking the
//! key up, LINDEX and LSET look the key up first (so a missing key wins over a
//! bad index); LPOP with a count answers a missing key with a null array but an
//! existing one with `COUNT 0` with an empty array.
//!
//! A list is created with the current `list-max-listpack-size`, which then stays
//! with it (as Redis's `quicklistSetOptions` at creation). A list emptied by a
//! command is deleted at once: Redis never leaves an empty list in the keyspace.
//! Replies stream straight out of the quicklist's nodes (LRANGE copies nothing).

use bytes::Bytes;
use storage::listpack::LpEntry;
use storage::types::list::{resolve_range, End, List};
use storage::value::format_i64;
use storage::{Lookup, Value};

use super::keys::{lookup_read, lookup_write, reply_of};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags, Reply};
use crate::state::Server;

mod blocking;

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;
const B: Flags = Flags::BLOCKING.with(Flags::NOSCRIPT);

const PUSH_COST: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const BLOCK_COST: &str = "O(N) where N is the number of provided keys.";

/// This family's slice of the command table (arity, flags and legacy key
/// positions as Redis 7.0's `src/commands/*.json`; LMPOP and BLMPOP have
/// movable keys, which COMMAND INFO shows as 0 0 0).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, W.with(D).with(F), lpush).keys(1, 1, 1).doc("list", "1.0.0", PUSH_COST, "Prepend one or multiple elements to a list"),
    CommandSpec::new("rpush", -3, W.with(D).with(F), rpush).keys(1, 1, 1).doc("list", "1.0.0", PUSH_COST, "Append one or multiple elements to a list"),
    CommandSpec::new("lpushx", -3, W.with(D).with(F), lpushx).keys(1, 1, 1).doc("list", "2.2.0", PUSH_COST, "Prepend an element to a list, only if the list exists"),
    CommandSpec::new("rpushx", -3, W.with(D).with(F), rpushx).keys(1, 1, 1).doc("list", "2.2.0", PUSH_COST, "Append an element to a list, only if the list exists"),
    CommandSpec::new("lpop", -2, W.with(F), lpop).keys(1, 1, 1).doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the first elements in a list"),
    CommandSpec::new("rpop", -2, W.with(F), rpop).keys(1, 1, 1).doc("list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the last elements in a list"),
    CommandSpec::new("llen", 2, R.with(F), llen).keys(1, 1, 1).doc("list", "1.0.0", "O(1)", "Get the length of a list"),
    CommandSpec::new("lrange", 4, R, lrange).keys(1, 1, 1).doc("list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Get a range of elements from a list"),
    CommandSpec::new("lindex", 3, R, lindex).keys(1, 1, 1).doc("list", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Get an element from a list by its index"),
    CommandSpec::new("lset", 4, W.with(D), lset).keys(1, 1, 1).doc("list", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Set the value of an element in a list by its index"),
    CommandSpec::new("lrem", 4, W, lrem).keys(1, 1, 1).doc("list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Remove elements from a list"),
    CommandSpec::new("ltrim", 4, W, ltrim).keys(1, 1, 1).doc("list", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Trim a list to the specified range"),
    CommandSpec::new("linsert", 5, W.with(D), linsert).keys(1, 1, 1).doc("list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Insert an element before or after another element in a list"),
    CommandSpec::new("lpos", -3, R, lpos).keys(1, 1, 1).doc("list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Return the index of matching elements on a list"),
    CommandSpec::new("lmove", 5, W.with(D), lmove).keys(1, 2, 1).doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it"),
    CommandSpec::new("rpoplpush", 3, W.with(D), rpoplpush).keys(1, 2, 1).doc("list", "1.2.0", "O(1)", "Remove the last element in a list, prepend it to another list and return it"),
    CommandSpec::new("lmpop", -4, W, lmpop).doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list"),
    CommandSpec::new("blpop", -3, W.with(B), blocking::blpop).keys(1, -2, 1).doc("list", "2.0.0", BLOCK_COST, "Remove and get the first element in a list, or block until one is available"),
    CommandSpec::new("brpop", -3, W.with(B), blocking::brpop).keys(1, -2, 1).doc("list", "2.0.0", BLOCK_COST, "Remove and get the last element in a list, or block until one is available"),
    CommandSpec::new("blmove", 6, W.with(D).with(B), blocking::blmove).keys(1, 2, 1).doc("list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CommandSpec::new("brpoplpush", 4, W.with(D).with(B), blocking::brpoplpush).keys(1, 2, 1).doc("list", "2.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CommandSpec::new("blmpop", -5, W.with(Flags::BLOCKING), blocking::blmpop).doc("list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list, or block until one is available"),
];

/// A key held another type: the caller replies WRONGTYPE (`checkType`).
struct WrongType;

/// `lookupKeyWrite` + `checkType`: the list under `key`, None when missing.
fn list_mut<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'s mut List>, WrongType> {
    match lookup_write(server, db, key) {
        None => Ok(None),
        Some(value) => value.as_list_mut().map(Some).ok_or(WrongType),
    }
}

/// `lookupKeyRead` + `checkType` (counts a keyspace hit or miss).
fn list_ref<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'s List>, WrongType> {
    match lookup_read(server, db, key, Lookup::Touch) {
        None => Ok(None),
        Some(value) => value.as_list().map(Some).ok_or(WrongType),
    }
}

/// Runs `f` on the list at `key`, creating an empty one first when the key is
/// missing (`lookupKeyWrite` + `createQuicklistObject` + `dbAdd`): one lookup
/// when the list exists. A closure rather than a returned borrow, because the
/// borrow checker cannot yet return a borrow from one branch of a lookup and
/// insert in the other; returning a borrow cost LPUSH three lookups.
fn with_list_or_create<R>(
    server: &mut Server,
    db: usize,
    key: &[u8],
    f: impl FnOnce(&mut List) -> R,
) -> Result<R, WrongType> {
    if let Some(value) = lookup_write(server, db, key) {
        return value.as_list_mut().map(f).ok_or(WrongType);
    }
    let mut list = List::new(server.config.list_max_listpack_size);
    let out = f(&mut list);
    let now = server.clock.now_ms();
    server
        .keyspace
        .db_mut(db)
        .set(key, Value::List(Box::new(list)), now, false);
    Ok(out)
}

/// Deletes `key` when its list was emptied (`listElementsRemoved`).
fn delete_if_empty(server: &mut Server, db: usize, key: &[u8]) {
    if server
        .keyspace
        .db(db)
        .peek(key)
        .is_some_and(Value::is_empty_collection)
    {
        server.keyspace.db_mut(db).delete(key);
    }
}

/// Replies with one element as a bulk string (integers in decimal).
fn bulk_entry(reply: &mut Reply<'_>, e: LpEntry<'_>) {
    match e {
        LpEntry::Str(s) => reply.bulk(s),
        LpEntry::Int(v) => {
            let mut buf = [0u8; 20];
            reply.bulk(format_i64(v, &mut buf));
        }
    }
}

/// LEFT or RIGHT (`getListPositionFromObjectOrReply`).
fn parse_end(arg: &[u8]) -> Result<End, &'static str> {
    if eq_ignore_case(arg, "left") {
        Ok(End::Head)
    } else if eq_ignore_case(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(errors::SYNTAX)
    }
}

/// `pushGenericCommand`: LPUSH, RPUSH, and with `xx` LPUSHX, RPUSHX.
fn push_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, xx: bool) {
    let db = ctx.client.db;
    let key = &args[1];
    let push = |list: &mut List| {
        for e in &args[2..] {
            list.push(end, e);
        }
        list.len()
    };
    let pushed = if xx {
        list_mut(ctx.server, db, key).map(|found| found.map(push))
    } else {
        with_list_or_create(ctx.server, db, key, push).map(Some)
    };
    let len = match pushed {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(None) => return ctx.reply().integer(0),
        Ok(Some(len)) => len,
    };
    ctx.dirty((args.len() - 2) as u64);
    ctx.reply().integer(len as i64);
}

fn lpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push_generic(ctx, args, End::Head, false);
}

fn rpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push_generic(ctx, args, End::Tail, false);
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push_generic(ctx, args, End::Head, true);
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push_generic(ctx, args, End::Tail, true);
}

/// Replies with up to `count` elements taken from `end`, in popping order,
/// and removes them (`addListRangeReply` + `listTypeDelRange`). Returns how many.
fn pop_range_reply(reply: &mut Reply<'_>, list: &mut List, end: End, count: usize) -> usize {
    let n = count.min(list.len());
    reply.array(n);
    let (start, towards, from) = match end {
        End::Head => (0, End::Tail, 0),
        End::Tail => (list.len().saturating_sub(1), End::Head, list.len() - n),
    };
    for e in list.walk(start, towards).take(n) {
        bulk_entry(reply, e);
    }
    list.delete_range(from, n)
}

/// `popGenericCommand`: LPOP and RPOP, with the optional count.
fn pop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, name: &str) {
    if args.len() > 3 {
        return ctx.wrong_arity(name);
    }
    // getPositiveLongFromObjectOrReply: a non-number gets the same message
    // as a negative one.
    let count = match args.get(2).map(|a| non_negative(a)) {
        None => None,
        Some(None) => return ctx.reply().error(errors::POSITIVE),
        Some(Some(n)) => Some(n),
    };
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    let list = match list_mut(server, db, &args[1]) {
        Err(WrongType) => return reply.error(errors::WRONGTYPE),
        Ok(None) if count.is_some() => return reply.null_array(),
        Ok(None) => return reply.null(),
        Ok(Some(list)) => list,
    };
    let popped = match count {
        Some(0) => return reply.array(0),
        Some(n) => pop_range_reply(&mut reply, list, end, n),
        None => match list.pop(end) {
            Some(value) => {
                reply.bulk(&value);
                1
            }
            None => return reply.null(),
        },
    };
    delete_if_empty(server, db, &args[1]);
    server.dirty += popped as u64;
}

fn lpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    pop_generic(ctx, args, End::Head, "lpop");
}

fn rpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    pop_generic(ctx, args, End::Tail, "rpop");
}

fn llen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let len = match list_ref(ctx.server, db, &args[1]) {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(found) => found.map_or(0, List::len),
    };
    ctx.reply().integer(len as i64);
}

fn lrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(start), Some(stop)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    let list = match list_ref(server, db, &args[1]) {
        Err(WrongType) => return reply.error(errors::WRONGTYPE),
        Ok(None) => return reply.array(0),
        Ok(Some(list)) => list,
    };
    let Some((first, last)) = resolve_range(start, stop, list.len()) else {
        return reply.array(0);
    };
    reply.array(last - first + 1);
    for e in list.walk(first, End::Tail).take(last - first + 1) {
        bulk_entry(&mut reply, e);
    }
}

fn lindex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    let list = match list_ref(server, db, &args[1]) {
        Err(WrongType) => return reply.error(errors::WRONGTYPE),
        Ok(None) => return reply.null(),
        Ok(Some(list)) => list,
    };
    let Some(index) = parse_i64(&args[2]) else {
        return reply.error(errors::NOT_INTEGER);
    };
    match list.get(index) {
        Some(e) => bulk_entry(&mut reply, e),
        None => reply.null(),
    }
}

fn lset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let list = match list_mut(ctx.server, db, &args[1]) {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(None) => return ctx.reply().error(errors::NO_SUCH_KEY),
        Ok(Some(list)) => list,
    };
    let Some(index) = parse_i64(&args[2]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    if !list.set(index, &args[3]) {
        return ctx.reply().error(errors::OUT_OF_RANGE);
    }
    ctx.dirty(1);
    ctx.reply().ok();
}

fn lrem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(count) = parse_i64(&args[2]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let db = ctx.client.db;
    let removed = match list_mut(ctx.server, db, &args[1]) {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(None) => 0,
        Ok(Some(list)) => list.remove_matching(count, &args[3]),
    };
    delete_if_empty(ctx.server, db, &args[1]);
    ctx.dirty(removed as u64);
    ctx.reply().integer(removed as i64);
}

fn ltrim(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(start), Some(stop)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let db = ctx.client.db;
    let removed = match list_mut(ctx.server, db, &args[1]) {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(None) => return ctx.reply().ok(),
        Ok(Some(list)) => list.trim(start, stop),
    };
    delete_if_empty(ctx.server, db, &args[1]);
    ctx.dirty(removed as u64);
    ctx.reply().ok();
}

fn linsert(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let after = if eq_ignore_case(&args[2], "after") {
        true
    } else if eq_ignore_case(&args[2], "before") {
        false
    } else {
        return ctx.reply().error(errors::SYNTAX);
    };
    let db = ctx.client.db;
    let inserted = match list_mut(ctx.server, db, &args[1]) {
        Err(WrongType) => return ctx.reply().error(errors::WRONGTYPE),
        Ok(None) => return ctx.reply().integer(0),
        Ok(Some(list)) => list.insert(&args[3], &args[4], after),
    };
    match inserted {
        Some(len) => {
            ctx.dirty(1);
            ctx.reply().integer(len as i64);
        }
        None => ctx.reply().integer(-1),
    }
}

/// LPOS's options; `count` is None when COUNT was not given.
struct LposOptions {
    rank: i64,
    count: Option<usize>,
    maxlen: usize,
}

/// A count argument: a non-negative integer (`getPositiveLongFromObjectOrReply`,
/// whose one message covers both a non-number and a negative number).
fn non_negative(arg: &[u8]) -> Option<usize> {
    parse_i64(arg).and_then(|n| usize::try_from(n).ok())
}

/// Parses `RANK r COUNT n MAXLEN m` in any order, with Redis's messages.
fn parse_lpos(args: &[Bytes]) -> Result<LposOptions, &'static str> {
    let mut o = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut j = 3;
    while j < args.len() {
        let (opt, value) = (&args[j], args.get(j + 1));
        let Some(value) = value else {
            return Err(errors::SYNTAX);
        };
        if eq_ignore_case(opt, "rank") {
            // Redis negates the rank in a C long: LONG_MIN stays negative and
            // then matches from the first hit at the tail, like -1.
            let rank = parse_i64(value).ok_or(errors::NOT_INTEGER)?;
            o.rank = if rank == i64::MIN { -1 } else { rank };
            if o.rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
        } else if eq_ignore_case(opt, "count") {
            o.count = Some(non_negative(value).ok_or("ERR COUNT can't be negative")?);
        } else if eq_ignore_case(opt, "maxlen") {
            o.maxlen = non_negative(value).ok_or("ERR MAXLEN can't be negative")?;
        } else {
            return Err(errors::SYNTAX);
        }
        j += 2;
    }
    Ok(o)
}

fn lpos(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let o = match parse_lpos(args) {
        Ok(o) => o,
        Err(e) => return ctx.reply().error(e),
    };
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    let list = match list_ref(server, db, &args[1]) {
        Err(WrongType) => return reply.error(errors::WRONGTYPE),
        Ok(None) if o.count.is_some() => return reply.array(0),
        Ok(None) => return reply.null(),
        Ok(Some(list)) => list,
    };
    let found = list.positions(&args[2], o.rank, o.count.unwrap_or(1), o.maxlen);
    if o.count.is_some() {
        reply.array(found.len());
        for i in found {
            reply.integer(i as i64);
        }
    } else {
        match found.first() {
            Some(&i) => reply.integer(i as i64),
            None => reply.null(),
        }
    }
}

/// `lmoveGenericCommand`: pops from `src` at `from`, pushes onto `dst` at `to`,
/// replies with the element. Returns false (after replying null) when `src` is
/// missing. With `src == dst` this rotates the list.
fn lmove_generic(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End) -> bool {
    let db = ctx.client.db;
    match list_mut(ctx.server, db, src) {
        Err(WrongType) => {
            ctx.reply().error(errors::WRONGTYPE);
            return true;
        }
        Ok(None) => {
            ctx.reply().null();
            return false;
        }
        Ok(Some(_)) => {}
    }
    // The destination's type is checked before anything moves.
    if list_mut(ctx.server, db, dst).is_err() {
        ctx.reply().error(errors::WRONGTYPE);
        return true;
    }
    let Some(value) = list_mut(ctx.server, db, src)
        .ok()
        .flatten()
        .and_then(|l| l.pop(from))
    else {
        ctx.reply().null();
        return false;
    };
    let _ = with_list_or_create(ctx.server, db, dst, |list| list.push(to, &value));
    delete_if_empty(ctx.server, db, src);
    ctx.dirty(1);
    ctx.reply().bulk(&value);
    true
}

fn lmove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let ends = parse_end(&args[3]).and_then(|from| Ok((from, parse_end(&args[4])?)));
    match ends {
        Ok((from, to)) => {
            lmove_generic(ctx, &args[1], &args[2], from, to);
        }
        Err(e) => ctx.reply().error(e),
    }
}

fn rpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    lmove_generic(ctx, &args[1], &args[2], End::Tail, End::Head);
}

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP / BLMPOP.
struct MpopArgs {
    /// Index range of the keys in argv.
    keys: std::ops::Range<usize>,
    end: End,
    count: usize,
}

/// `lmpopGenericCommand`'s parsing; `numkeys_at` is 1 (LMPOP) or 2 (BLMPOP).
fn parse_mpop(args: &[Bytes], numkeys_at: usize) -> Result<MpopArgs, &'static str> {
    const NUMKEYS: &str = "ERR numkeys should be greater than 0";
    let numkeys = parse_i64(&args[numkeys_at])
        .filter(|n| *n > 0)
        .ok_or(NUMKEYS)?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_at + 1))
        .filter(|at| *at < args.len())
        .ok_or(errors::SYNTAX)?;
    let end = parse_end(&args[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        match args.get(j + 1) {
            Some(value) if count.is_none() && eq_ignore_case(&args[j], "count") => {
                let n = parse_i64(value)
                    .filter(|n| *n > 0)
                    .ok_or("ERR count should be greater than 0")?;
                count = Some(usize::try_from(n).unwrap_or(usize::MAX));
                j += 2;
            }
            _ => return Err(errors::SYNTAX),
        }
    }
    Ok(MpopArgs {
        keys: numkeys_at + 1..where_at,
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops up to `count` elements from the first non-empty list among `keys` and
/// replies `[key, [elements]]` (`listPopRangeAndReplyWithKey`). Returns
/// Ok(false) without replying when every key is missing, Err after WRONGTYPE.
fn mpop_first(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<bool, WrongType> {
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    for key in keys {
        let list = match list_mut(server, db, key) {
            Err(WrongType) => {
                reply.error(errors::WRONGTYPE);
                return Err(WrongType);
            }
            Ok(None) => continue,
            Ok(Some(list)) if list.is_empty() => continue,
            Ok(Some(list)) => list,
        };
        reply.array(2);
        reply.bulk(key);
        let popped = pop_range_reply(&mut reply, list, end, count);
        delete_if_empty(server, db, key);
        server.dirty += popped as u64;
        if crate::replicas::propagating(server) {
            // Which key had elements is decided here: the replica gets the pop
            // from that key, with the count actually taken.
            let argv = vec![
                pop_command(end),
                key.clone(),
                Bytes::from(popped.to_string()),
            ];
            crate::replicas::propagate_instead(server, argv);
        }
        return Ok(true);
    }
    Ok(false)
}

/// LPOP or RPOP: what a pop from `end` propagates as.
fn pop_command(end: End) -> Bytes {
    Bytes::from_static(match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    })
}

fn lmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let m = match parse_mpop(args, 1) {
        Ok(m) => m,
        Err(e) => return ctx.reply().error(e),
    };
    if let Ok(false) = mpop_first(ctx, &args[m.keys], m.end, m.count) {
        ctx.reply().null_array();
    }
}
