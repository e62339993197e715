//! Commands on keys whatever their type (Redis's `db.c`, `expire.c`, `object.c`):
//! DEL, EXISTS, TYPE, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY, DBSIZE, TOUCH,
//! the EXPIRE and TTL families, PERSIST, OBJECT, FLUSHDB, FLUSHALL, SWAPDB.
//!
//! It also holds the lookup helpers every family uses, so that the bookkeeping
//! Redis does inside `lookupKey` happens in one place: lazy expiry (counted in
//! `expired_keys`), `keyspace_hits` / `keyspace_misses` for reads, and the access
//! clock. Type checks (WRONGTYPE) are made on the returned [`Value`].

use bytes::Bytes;
use storage::db::RenameOutcome;
use storage::{CopyOutcome, Lookup, MoveOutcome, Value};

use crate::client::Client;
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags, Reply};
use crate::state::Server;

mod expire;
mod object;

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, W, del).keys(1, -1, 1).doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    CommandSpec::new("unlink", -2, W.with(F), unlink).keys(1, -1, 1).doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."),
    CommandSpec::new("exists", -2, R.with(F), exists).keys(1, -1, 1).doc("generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
    CommandSpec::new("type", 2, R.with(F), type_).keys(1, 1, 1).doc("generic", "1.0.0", "O(1)", "Determine the type stored at key"),
    CommandSpec::new("rename", 3, W, rename).keys(1, 2, 1).doc("generic", "1.0.0", "O(1)", "Rename a key"),
    CommandSpec::new("renamenx", 3, W.with(F), renamenx).keys(1, 2, 1).doc("generic", "1.0.0", "O(1)", "Rename a key, only if the new key does not exist"),
    CommandSpec::new("copy", -3, W.with(D), copy).keys(1, 2, 1).doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copy a key"),
    CommandSpec::new("move", 3, W.with(F), move_).keys(1, 1, 1).doc("generic", "1.0.0", "O(1)", "Move a key to another database"),
    CommandSpec::new("keys", 2, R, keys).doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Find all keys matching the given pattern"),
    CommandSpec::new("scan", -2, R, scan).doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space"),
    CommandSpec::new("randomkey", 1, R, randomkey).doc("generic", "1.0.0", "O(1)", "Return a random key from the keyspace"),
    CommandSpec::new("dbsize", 1, R.with(F), dbsize).doc("server", "1.0.0", "O(1)", "Return the number of keys in the selected database"),
    CommandSpec::new("touch", -2, R.with(F), touch).keys(1, -1, 1).doc("generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Alters the last access time of a key(s). Returns the number of existing keys specified."),
    CommandSpec::new("expire", -3, W.with(F), expire::expire).keys(1, 1, 1).doc("generic", "1.0.0", "O(1)", "Set a key's time to live in seconds"),
    CommandSpec::new("pexpire", -3, W.with(F), expire::pexpire).keys(1, 1, 1).doc("generic", "2.6.0", "O(1)", "Set a key's time to live in milliseconds"),
    CommandSpec::new("expireat", -3, W.with(F), expire::expireat).keys(1, 1, 1).doc("generic", "1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp"),
    CommandSpec::new("pexpireat", -3, W.with(F), expire::pexpireat).keys(1, 1, 1).doc("generic", "2.6.0", "O(1)", "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    CommandSpec::new("ttl", 2, R.with(F), expire::ttl).keys(1, 1, 1).doc("generic", "1.0.0", "O(1)", "Get the time to live for a key in seconds"),
    CommandSpec::new("pttl", 2, R.with(F), expire::pttl).keys(1, 1, 1).doc("generic", "2.6.0", "O(1)", "Get the time to live for a key in milliseconds"),
    CommandSpec::new("expiretime", 2, R.with(F), expire::expiretime).keys(1, 1, 1).doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key"),
    CommandSpec::new("pexpiretime", 2, R.with(F), expire::pexpiretime).keys(1, 1, 1).doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key in milliseconds"),
    CommandSpec::new("persist", 2, W.with(F), expire::persist).keys(1, 1, 1).doc("generic", "2.2.0", "O(1)", "Remove the expiration from a key"),
    CommandSpec::new("object", -2, Flags::NONE, crate::command::container).doc("generic", "2.2.3", "Depends on subcommand.", "A container for object introspection commands").subs(object::SUBCOMMANDS),
    CommandSpec::new("flushdb", -1, W, flushdb).doc("server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database"),
    CommandSpec::new("flushall", -1, W, flushall).doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Remove all keys from all databases"),
    CommandSpec::new("swapdb", 3, W.with(F), swapdb).doc("server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases"),
];

/// A reply writer for `client`, usable while the server is borrowed elsewhere.
pub(crate) fn reply_of(client: &mut Client) -> Reply<'_> {
    Reply {
        out: &mut client.reply,
        proto: client.proto,
    }
}

/// The command a deletion propagates as: UNLINK when the matching
/// `lazyfree-lazy-*` setting frees in the background, else DEL.
pub(crate) fn deletion_command(lazy: bool) -> Bytes {
    Bytes::from_static(if lazy { b"UNLINK" } else { b"DEL" })
}

/// Adds keys deleted by expiry since the last call to INFO's `expired_keys`.
/// (The keys themselves stay in the keyspace's log for propagation.)
pub fn count_expired(server: &mut Server) {
    server.stats.expired_keys += server.keyspace.take_expired_count();
}

/// Lazy expiry of one key before a lookup, counted in `expired_keys`.
fn expire_first(server: &mut Server, db: usize, key: &[u8], now_ms: i64) {
    if server.keyspace.db_mut(db).expire_if_needed(key, now_ms) {
        count_expired(server);
    }
}

/// `lookupKeyRead`: the live value under `key`, counting a hit or a miss.
pub(crate) fn lookup_read<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
    lookup: Lookup,
) -> Option<&'s Value> {
    let now = server.clock.now_ms();
    expire_first(server, db, key, now);
    let found = server.keyspace.db_mut(db).lookup_read(key, now, lookup);
    if found.is_some() {
        server.stats.keyspace_hits += 1;
    } else {
        server.stats.keyspace_misses += 1;
    }
    found
}

/// `lookupKeyWrite`: the live value under `key` for modification (no hit/miss).
pub(crate) fn lookup_write<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
) -> Option<&'s mut Value> {
    let now = server.clock.now_ms();
    expire_first(server, db, key, now);
    server.keyspace.db_mut(db).lookup_write(key, now)
}

/// Existence for a command that replaces the value whole: [`lookup_write`]
/// without handing a running snapshot a copy (`Db::exists_for_replace`).
pub(crate) fn exists_for_replace(server: &mut Server, db: usize, key: &[u8]) -> bool {
    let now = server.clock.now_ms();
    expire_first(server, db, key, now);
    server.keyspace.db_mut(db).exists_for_replace(key, now)
}

/// `getIntFromObjectOrReply` + `selectDb` check: a valid db index, or the error.
fn parse_db_index(
    server: &Server,
    arg: &[u8],
    not_int: &'static str,
) -> Result<usize, &'static str> {
    let n = parse_i64(arg)
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or(not_int)?;
    usize::try_from(n)
        .ok()
        .filter(|i| *i < server.keyspace.len())
        .ok_or("ERR DB index is out of range")
}

fn del_generic(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let now = ctx.now_ms();
    let mut deleted = 0;
    for key in &args[1..] {
        expire_first(ctx.server, db, key, now);
        if ctx.server.keyspace.db_mut(db).delete(key) {
            deleted += 1;
        }
    }
    ctx.dirty(deleted);
    ctx.reply().integer(deleted as i64);
}

fn del(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    del_generic(ctx, args);
}

fn unlink(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Values are freed inline for now; a lazy-free thread can take them later.
    del_generic(ctx, args);
}

fn exists(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let count = args[1..]
        .iter()
        .filter(|key| lookup_read(ctx.server, db, key, Lookup::NoTouch).is_some())
        .count();
    ctx.reply().integer(count as i64);
}

fn type_(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let name =
        lookup_read(ctx.server, db, &args[1], Lookup::NoTouch).map_or("none", Value::type_name);
    ctx.reply().simple(name);
}

fn rename_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) {
    let db = ctx.client.db;
    let now = ctx.now_ms();
    expire_first(ctx.server, db, &args[1], now);
    expire_first(ctx.server, db, &args[2], now);
    match ctx.db().rename(&args[1], &args[2], now, nx) {
        RenameOutcome::NoSuchKey => ctx.reply().error(errors::NO_SUCH_KEY),
        RenameOutcome::TargetExists => ctx.reply().integer(0),
        RenameOutcome::Renamed => {
            if args[1] != args[2] {
                ctx.dirty(1);
            }
            if nx {
                ctx.reply().integer(1);
            } else {
                ctx.reply().ok();
            }
        }
    }
}

fn rename(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rename_generic(ctx, args, false);
}

fn renamenx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rename_generic(ctx, args, true);
}

fn copy(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if eq_ignore_case(&args[j], "replace") {
            replace = true;
        } else if eq_ignore_case(&args[j], "db") && j + 1 < args.len() {
            match parse_db_index(ctx.server, &args[j + 1], errors::NOT_INTEGER) {
                Ok(i) => dst_db = i,
                Err(e) => return ctx.reply().error(e),
            }
            j += 1;
        } else {
            return ctx.reply().error(errors::SYNTAX);
        }
        j += 1;
    }
    if src_db == dst_db && args[1] == args[2] {
        return ctx
            .reply()
            .error("ERR source and destination objects are the same");
    }
    let now = ctx.now_ms();
    expire_first(ctx.server, src_db, &args[1], now);
    expire_first(ctx.server, dst_db, &args[2], now);
    let outcome = ctx
        .server
        .keyspace
        .copy_key(src_db, dst_db, &args[1], &args[2], replace, now);
    // COPY reads its source with lookupKeyRead: a hit or a miss is counted.
    if outcome == CopyOutcome::NoSuchKey {
        ctx.server.stats.keyspace_misses += 1;
    } else {
        ctx.server.stats.keyspace_hits += 1;
    }
    if outcome == CopyOutcome::Copied {
        ctx.dirty(1);
        ctx.reply().integer(1);
    } else {
        ctx.reply().integer(0);
    }
}

fn move_(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let src_db = ctx.client.db;
    let dst_db = match parse_db_index(ctx.server, &args[2], errors::NOT_INTEGER) {
        Ok(i) => i,
        Err(e) => return ctx.reply().error(e),
    };
    if src_db == dst_db {
        return ctx
            .reply()
            .error("ERR source and destination objects are the same");
    }
    let now = ctx.now_ms();
    expire_first(ctx.server, src_db, &args[1], now);
    expire_first(ctx.server, dst_db, &args[1], now);
    match ctx.server.keyspace.move_key(src_db, dst_db, &args[1], now) {
        Some(MoveOutcome::Moved) => {
            ctx.dirty(1);
            ctx.reply().integer(1);
        }
        _ => ctx.reply().integer(0),
    }
}

fn keys(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let now = ctx.now_ms();
    let found = ctx.db().keys(&args[1], now);
    let mut reply = ctx.reply();
    reply.array(found.len());
    for key in &found {
        reply.bulk(key.as_bytes());
    }
}

/// `parseScanCursorOrReply`: strtoul rules (an optional sign, digits; "-1"
/// wraps around; leading spaces and overflow are refused).
pub(crate) fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if arg.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoul parses nothing: accepted only when the whole input is empty.
        return arg.is_empty().then_some(0);
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

fn scan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = parse_cursor(&args[1]) else {
        return ctx.reply().error("ERR invalid cursor");
    };
    let (mut count, mut pattern, mut type_name) = (10u64, None, None);
    let mut i = 2;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if eq_ignore_case(&args[i], "count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return ctx.reply().error(errors::NOT_INTEGER),
                Some(n) if n < 1 => return ctx.reply().error(errors::SYNTAX),
                Some(n) => count = n as u64,
            }
        } else if eq_ignore_case(&args[i], "match") && has_value {
            pattern = Some(&args[i + 1][..]);
        } else if eq_ignore_case(&args[i], "type") && has_value {
            type_name = Some(&args[i + 1][..]);
        } else {
            return ctx.reply().error(errors::SYNTAX);
        }
        i += 2;
    }
    let now = ctx.now_ms();
    let (next, found) = ctx.db().scan(cursor, count, pattern, type_name, now);
    count_expired(ctx.server);
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(next.to_string().as_bytes());
    reply.array(found.len());
    for key in &found {
        reply.bulk(key.as_bytes());
    }
}

fn randomkey(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let _ = args;
    let now = ctx.now_ms();
    let server = &mut *ctx.server;
    let key = server
        .keyspace
        .db_mut(ctx.client.db)
        .random_key(now, &mut server.rng);
    count_expired(server);
    match key {
        Some(k) => ctx.reply().bulk(k.as_bytes()),
        None => ctx.reply().null(),
    }
}

fn dbsize(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    let n = ctx.db().len();
    ctx.reply().integer(n as i64);
}

fn touch(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let count = args[1..]
        .iter()
        .filter(|key| lookup_read(ctx.server, db, key, Lookup::Touch).is_some())
        .count();
    ctx.reply().integer(count as i64);
}

/// `getFlushCommandFlags`: nothing, SYNC or ASYNC (both free inline for now).
fn flush_mode_ok(args: &[Bytes]) -> bool {
    match args.len() {
        1 => true,
        2 => eq_ignore_case(&args[1], "sync") || eq_ignore_case(&args[1], "async"),
        _ => false,
    }
}

fn flushdb(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if !flush_mode_ok(args) {
        return ctx.reply().error(errors::SYNTAX);
    }
    let removed = ctx.db().flush();
    ctx.dirty(removed as u64);
    // An empty db changes nothing here, but a replica may hold keys its master
    // lacks (written to it directly): Redis sends FLUSHDB regardless.
    crate::replicas::force_propagation(ctx.server);
    ctx.reply().ok();
}

fn flushall(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if !flush_mode_ok(args) {
        return ctx.reply().error(errors::SYNTAX);
    }
    // As flushAllDataAndResetRDB: a save under way is abandoned, and with save
    // points configured the empty dataset is saved at once.
    crate::persist::bgsave::abort(ctx.server);
    let removed = ctx.server.keyspace.flush_all();
    if ctx.server.config.save.is_empty() {
        // One more change on top of the removed keys, as 7.0.15 counts.
        ctx.dirty(removed as u64 + 1);
    } else {
        // The save resets the counter and 7.0.15 leaves it at 0.
        let _ = crate::persist::save::save_sync(ctx.server);
        ctx.server.dirty = 0;
    }
    // Propagated even when nothing was removed, or when the save above reset
    // the change counter, as Redis forces it.
    crate::replicas::force_propagation(ctx.server);
    ctx.reply().ok();
}

fn swapdb(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let first = parse_db_index(ctx.server, &args[1], "ERR invalid first DB index");
    let second = parse_db_index(ctx.server, &args[2], "ERR invalid second DB index");
    let (a, b) = match (first, second) {
        (Err(e), _) if e != "ERR DB index is out of range" => return ctx.reply().error(e),
        (_, Err(e)) if e != "ERR DB index is out of range" => return ctx.reply().error(e),
        (Ok(a), Ok(b)) => (a, b),
        _ => return ctx.reply().error("ERR DB index is out of range"),
    };
    ctx.server.keyspace.swap(a, b);
    ctx.dirty(1);
    ctx.reply().ok();
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursor_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1x"), None);
        assert_eq!(parse_cursor(b"-"), None);
    }
}
