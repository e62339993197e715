//! Commands of the strings family: GET, SET and its variants, the counters
//! (INCR...), APPEND, STRLEN, GETRANGE, SETRANGE (Redis's `t_string.c`).
//!
//! Each handler parses options, runs a `storage` operation, renders the reply.
//! Option parsing follows `parseExtendedStringArgumentsOrReply` exactly: an
//! option that conflicts with one already seen is a plain "ERR syntax error", and
//! the expire argument is validated only after the options are (so `SET k v EX x
//! NX XX` reports the syntax error first). TTLs survive in-place modifications
//! (INCR, APPEND, SETRANGE, INCRBYFLOAT) and are cleared by SET/GETSET/MSET unless
//! KEEPTTL.
//!
//! INCRBYFLOAT: Redis computes in C `long double` (x87 80-bit) and prints with
//! `%.17Lf`; Rust has no such type, so this computes in f64 and prints with
//! `resp::format_long_double_human` (the shortest decimal that round-trips). Results agree for typical inputs ("10.5" +
//! "0.1" = "10.6") but not digit for digit where Redis shows long-double noise
//! ("1000.1" prints as "1000.09999999999999998" in Redis, "1000.1" here).
//!
//! Replication (`t_string.c`'s rewrites): what a replica replays must not
//! depend on its clock or on its reading the key. A SET with EX/PX/EXAT/PXAT,
//! SETEX and PSETEX go as `SET key value PXAT <ms>`; SET's GET options are
//! dropped; GETSET goes as SET; GETDEL as DEL (UNLINK under
//! `lazyfree-lazy-user-del`); GETEX as PEXPIREAT, PERSIST or, for a deadline
//! already past, DEL (UNLINK under `lazyfree-lazy-expire`); INCRBYFLOAT as
//! `SET key <result> KEEPTTL`.

use bytes::Bytes;
use storage::value::StringValue;
use storage::{Lookup, Value};

use super::keys::{deletion_command, exists_for_replace, lookup_read, lookup_write, reply_of};
use crate::command::{errors, parse_i64, CommandSpec, Ctx, Flags};
use crate::replicas::{propagate_instead, propagating};

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const D: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, R.with(F), get).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Get the value of a key"),
    CommandSpec::new("set", -3, W.with(D), set).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Set the string value of a key"),
    CommandSpec::new("setnx", 3, W.with(D).with(F), setnx).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist"),
    CommandSpec::new("setex", 4, W.with(D), setex).keys(1, 1, 1).doc("string", "2.0.0", "O(1)", "Set the value and expiration of a key"),
    CommandSpec::new("psetex", 4, W.with(D), psetex).keys(1, 1, 1).doc("string", "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key"),
    CommandSpec::new("getset", 3, W.with(D).with(F), getset).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Set the string value of a key and return its old value"),
    CommandSpec::new("getdel", 2, W.with(F), getdel).keys(1, 1, 1).doc("string", "6.2.0", "O(1)", "Get the value of a key and delete the key"),
    CommandSpec::new("getex", -2, W.with(F), getex).keys(1, 1, 1).doc("string", "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration"),
    CommandSpec::new("mget", -2, R.with(F), mget).keys(1, -1, 1).doc("string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Get the values of all the given keys"),
    CommandSpec::new("mset", -3, W.with(D), mset).keys(1, -1, 2).doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values"),
    CommandSpec::new("msetnx", -3, W.with(D), msetnx).keys(1, -1, 2).doc("string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values, only if none of the keys exist"),
    CommandSpec::new("incr", 2, W.with(D).with(F), incr).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by one"),
    CommandSpec::new("decr", 2, W.with(D).with(F), decr).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by one"),
    CommandSpec::new("incrby", 3, W.with(D).with(F), incrby).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Increment the integer value of a key by the given amount"),
    CommandSpec::new("decrby", 3, W.with(D).with(F), decrby).keys(1, 1, 1).doc("string", "1.0.0", "O(1)", "Decrement the integer value of a key by the given number"),
    CommandSpec::new("incrbyfloat", 3, W.with(D).with(F), incrbyfloat).keys(1, 1, 1).doc("string", "2.6.0", "O(1)", "Increment the float value of a key by the given amount"),
    CommandSpec::new("append", 3, W.with(D).with(F), append).keys(1, 1, 1).doc("string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key"),
    CommandSpec::new("strlen", 2, R.with(F), strlen).keys(1, 1, 1).doc("string", "2.2.0", "O(1)", "Get the length of the value stored in a key"),
    CommandSpec::new("getrange", 4, R, getrange).keys(1, 1, 1).doc("string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
    // SUBSTR is GETRANGE's deprecated old name; Redis 7.0 still answers it.
    CommandSpec::new("substr", 4, R, getrange).keys(1, 1, 1).doc("string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
    CommandSpec::new("setrange", 4, W.with(D), setrange).keys(1, 1, 1).doc("string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrite part of a string at key starting at the specified offset"),
];

/// Which expire option was given (Redis's OBJ_EX/PX/EXAT/PXAT bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Parsed SET/GETEX options.
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

/// `parseExtendedStringArgumentsOrReply`: `for_set` selects SET's options
/// (NX XX GET KEEPTTL) versus GETEX's (PERSIST); both take EX PX EXAT PXAT.
fn parse_options(args: &[Bytes], for_set: bool) -> Result<StringOptions<'_>, &'static str> {
    let mut o = StringOptions::default();
    let mut j = if for_set { 3 } else { 2 };
    while j < args.len() {
        let opt = args[j].as_ref();
        let next = args.get(j + 1).map(|b| b.as_ref());
        let is = |word: &str| opt.eq_ignore_ascii_case(word.as_bytes());
        let has_expire = o.expire.is_some();
        if is("nx") && !o.xx && for_set {
            o.nx = true;
        } else if is("xx") && !o.nx && for_set {
            o.xx = true;
        } else if is("get") && for_set {
            o.get = true;
        } else if is("keepttl") && !o.persist && !has_expire && for_set {
            o.keepttl = true;
        } else if is("persist") && !for_set && !has_expire && !o.keepttl {
            o.persist = true;
        } else if let Some(kind) = expire_kind(opt) {
            // The same option twice is accepted (the later value wins), as in Redis.
            let same = o.expire.is_none_or(|(k, _)| k == kind);
            match next {
                Some(value) if same && !o.keepttl && !o.persist => {
                    o.expire = Some((kind, value));
                    j += 1;
                }
                _ => return Err(errors::SYNTAX),
            }
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

fn expire_kind(opt: &[u8]) -> Option<ExpireKind> {
    [
        ("ex", ExpireKind::Ex),
        ("px", ExpireKind::Px),
        ("exat", ExpireKind::ExAt),
        ("pxat", ExpireKind::PxAt),
    ]
    .into_iter()
    .find(|(name, _)| opt.eq_ignore_ascii_case(name.as_bytes()))
    .map(|(_, kind)| kind)
}

/// `getExpireMillisecondsOrReply`: the absolute deadline in unix ms, or the
/// error to reply (`command` names the command in the message).
fn expire_deadline_ms(
    kind: ExpireKind,
    arg: &[u8],
    now_ms: i64,
    command: &str,
) -> Result<i64, String> {
    let n = parse_i64(arg).ok_or_else(|| errors::NOT_INTEGER.to_string())?;
    let invalid = || format!("ERR invalid expire time in '{command}' command");
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        ms = ms.checked_add(now_ms).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// Replies with the string under `key` (or null); Err(()) after a WRONGTYPE
/// reply (`getGenericCommand`).
fn reply_get(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, ()> {
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    match lookup_read(server, db, key, Lookup::Touch) {
        None => {
            reply.null();
            Ok(false)
        }
        Some(value) => match value.as_string() {
            Some(s) => {
                let mut buf = [0u8; 20];
                reply.bulk(s.as_bytes(&mut buf));
                Ok(true)
            }
            None => {
                reply.error(errors::WRONGTYPE);
                Err(())
            }
        },
    }
}

fn get(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let _ = reply_get(ctx, &args[1]);
}

/// `setGenericCommand`: the shared body of SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    key_value: (usize, usize),
    opts: &StringOptions<'_>,
    command: &str,
    replies: (&str, &str),
) {
    let now = ctx.now_ms();
    let deadline = match opts.expire {
        Some((kind, arg)) => match expire_deadline_ms(kind, arg, now, command) {
            Ok(ms) => Some(ms),
            Err(e) => return ctx.reply().error(&e),
        },
        None => None,
    };
    if opts.get && reply_get(ctx, &args[1]).is_err() {
        return;
    }
    let (key, value) = (&args[key_value.0][..], &args[key_value.1][..]);
    let db = ctx.client.db;
    let found = exists_for_replace(ctx.server, db, key);
    if (opts.nx && found) || (opts.xx && !found) {
        if !opts.get {
            abort_reply(ctx, replies.1);
        }
        return;
    }
    let d = ctx.server.keyspace.db_mut(db);
    d.set(key, Value::string(value), now, opts.keepttl);
    if let Some(ms) = deadline {
        d.set_expire(key, ms);
    }
    ctx.dirty(1);
    if !opts.get {
        abort_reply(ctx, replies.0);
    }
    if propagating(ctx.server) {
        if let Some(ms) = deadline {
            // A relative TTL replayed later would end later: the replica gets
            // the absolute deadline, and no condition (NX/XX/GET) to re-check.
            let argv = set_pxat(&args[key_value.0], &args[key_value.1], ms);
            propagate_instead(ctx.server, argv);
        } else if opts.get {
            propagate_instead(ctx.server, without_get(args));
        }
    }
}

/// `SET key value PXAT ms`: how a SET with an expire reaches replicas.
fn set_pxat(key: &Bytes, value: &Bytes, ms: i64) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"SET"),
        key.clone(),
        value.clone(),
        Bytes::from_static(b"PXAT"),
        Bytes::from(ms.to_string()),
    ]
}

/// SET's arguments without its GET options: the replica has no one to reply to.
fn without_get(args: &[Bytes]) -> Vec<Bytes> {
    args.iter()
        .enumerate()
        .filter(|(j, a)| *j < 3 || !a.eq_ignore_ascii_case(b"get"))
        .map(|(_, a)| a.clone())
        .collect()
}

/// Renders SET-family replies given as short codes: "ok", "null", "1", "0".
fn abort_reply(ctx: &mut Ctx<'_>, code: &str) {
    let mut reply = ctx.reply();
    match code {
        "ok" => reply.ok(),
        "1" => reply.integer(1),
        "0" => reply.integer(0),
        _ => reply.null(),
    }
}

fn set(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_options(args, true) {
        Ok(opts) => set_generic(ctx, args, (1, 2), &opts, "set", ("ok", "null")),
        Err(e) => ctx.reply().error(e),
    }
}

fn setnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = StringOptions {
        nx: true,
        ..StringOptions::default()
    };
    set_generic(ctx, args, (1, 2), &opts, "setnx", ("1", "0"));
}

fn setex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = StringOptions {
        expire: Some((ExpireKind::Ex, &args[2][..])),
        ..StringOptions::default()
    };
    set_generic(ctx, args, (1, 3), &opts, "setex", ("ok", "null"));
}

fn psetex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = StringOptions {
        expire: Some((ExpireKind::Px, &args[2][..])),
        ..StringOptions::default()
    };
    set_generic(ctx, args, (1, 3), &opts, "psetex", ("ok", "null"));
}

fn getset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if reply_get(ctx, &args[1]).is_err() {
        return;
    }
    let now = ctx.now_ms();
    ctx.db().set(&args[1], Value::string(&args[2]), now, false);
    ctx.dirty(1);
    if propagating(ctx.server) {
        let argv = vec![Bytes::from_static(b"SET"), args[1].clone(), args[2].clone()];
        propagate_instead(ctx.server, argv);
    }
}

fn getdel(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if let Ok(true) = reply_get(ctx, &args[1]) {
        if ctx.db().delete(&args[1]) {
            ctx.dirty(1);
            if propagating(ctx.server) {
                let lazy = ctx.server.config.lazyfree_lazy_user_del;
                propagate_instead(ctx.server, vec![deletion_command(lazy), args[1].clone()]);
            }
        }
    }
}

fn getex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = match parse_options(args, false) {
        Ok(o) => o,
        Err(e) => return ctx.reply().error(e),
    };
    let key = &args[1][..];
    let db = ctx.client.db;
    let bytes = match lookup_read(ctx.server, db, key, Lookup::Touch) {
        None => return ctx.reply().null(),
        Some(v) => match v.as_string() {
            Some(s) => s.to_vec(),
            None => return ctx.reply().error(errors::WRONGTYPE),
        },
    };
    let now = ctx.now_ms();
    let deadline = match opts.expire {
        Some((kind, arg)) => match expire_deadline_ms(kind, arg, now, "getex") {
            Ok(ms) => Some((kind, ms)),
            Err(e) => return ctx.reply().error(&e),
        },
        None => None,
    };
    ctx.reply().bulk(&bytes);
    // GETEX never propagates as itself: what it did goes as DEL, PEXPIREAT or
    // PERSIST, so a replica needs neither the clock nor the read.
    let propagate = propagating(ctx.server);
    let rewrite = match deadline {
        // An absolute deadline already past deletes the key.
        Some((ExpireKind::ExAt | ExpireKind::PxAt, ms)) if ms <= now => {
            ctx.db().delete(key);
            ctx.dirty(1);
            let lazy = ctx.server.config.lazyfree_lazy_expire;
            propagate.then(|| vec![deletion_command(lazy), args[1].clone()])
        }
        Some((_, ms)) => {
            ctx.db().set_expire(key, ms);
            ctx.dirty(1);
            propagate.then(|| pexpireat(&args[1], ms))
        }
        None if opts.persist && ctx.db().remove_expire(key) => {
            ctx.dirty(1);
            propagate.then(|| vec![Bytes::from_static(b"PERSIST"), args[1].clone()])
        }
        None => None,
    };
    if let Some(argv) = rewrite {
        propagate_instead(ctx.server, argv);
    }
}

/// `PEXPIREAT key ms`.
fn pexpireat(key: &Bytes, ms: i64) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"PEXPIREAT"),
        key.clone(),
        Bytes::from(ms.to_string()),
    ]
}

fn mget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    reply.array(args.len() - 1);
    for key in &args[1..] {
        match lookup_read(server, db, key, Lookup::Touch).and_then(Value::as_string) {
            Some(s) => {
                let mut buf = [0u8; 20];
                reply.bulk(s.as_bytes(&mut buf));
            }
            None => reply.null(),
        }
    }
}

fn mset_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) {
    if args.len() & 1 == 0 {
        let name = if nx { "msetnx" } else { "mset" };
        return ctx.wrong_arity(name);
    }
    let db = ctx.client.db;
    if nx
        && args[1..]
            .chunks(2)
            .any(|pair| lookup_write(ctx.server, db, &pair[0]).is_some())
    {
        return ctx.reply().integer(0);
    }
    let now = ctx.now_ms();
    for pair in args[1..].chunks(2) {
        ctx.db().set(&pair[0], Value::string(&pair[1]), now, false);
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx {
        ctx.reply().integer(1);
    } else {
        ctx.reply().ok();
    }
}

fn mset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    mset_generic(ctx, args, false);
}

fn msetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    mset_generic(ctx, args, true);
}

/// `incrDecrCommand`: adds `delta` to the integer at `key`, keeping its TTL.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) {
    let db = ctx.client.db;
    let current = match lookup_write(ctx.server, db, key) {
        None => 0,
        Some(v) => match v.as_string() {
            None => return ctx.reply().error(errors::WRONGTYPE),
            Some(s) => match s.as_i64() {
                Some(n) => n,
                None => return ctx.reply().error(errors::NOT_INTEGER),
            },
        },
    };
    let Some(value) = current.checked_add(delta) else {
        return ctx.reply().error(errors::OVERFLOW);
    };
    let now = ctx.now_ms();
    ctx.db().set(key, Value::int(value), now, true);
    ctx.dirty(1);
    ctx.reply().integer(value);
}

fn incr(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    incr_by(ctx, &args[1], 1);
}

fn decr(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    incr_by(ctx, &args[1], -1);
}

fn incrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_i64(&args[2]) {
        Some(n) => incr_by(ctx, &args[1], n),
        None => ctx.reply().error(errors::NOT_INTEGER),
    }
}

fn decrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_i64(&args[2]) {
        Some(i64::MIN) => ctx.reply().error("ERR decrement would overflow"),
        Some(n) => incr_by(ctx, &args[1], -n),
        None => ctx.reply().error(errors::NOT_INTEGER),
    }
}

/// `string2ld`: the whole argument is a float (no leading space, not NaN).
/// Redis accepts what `strtold` does; hexadecimal floats are not supported here.
fn parse_float(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || arg.len() >= 5 * 1024 || arg[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(arg).ok()?;
    let value: f64 = text.parse().ok()?;
    (!value.is_nan()).then_some(value)
}

fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let key = &args[1][..];
    let db = ctx.client.db;
    let current = match lookup_write(ctx.server, db, key) {
        None => Some(0.0),
        Some(v) => match v.as_string() {
            None => return ctx.reply().error(errors::WRONGTYPE),
            Some(s) => parse_float(&s.to_vec()),
        },
    };
    let (Some(current), Some(incr)) = (current, parse_float(&args[2])) else {
        return ctx.reply().error(errors::NOT_FLOAT);
    };
    let value = current + incr;
    if !value.is_finite() {
        return ctx
            .reply()
            .error("ERR increment would produce NaN or Infinity");
    }
    let text = resp::format_long_double_human(value);
    let now = ctx.now_ms();
    ctx.db().set(
        key,
        Value::String(StringValue::from_bytes_no_int(text.as_bytes())),
        now,
        true,
    );
    ctx.dirty(1);
    ctx.reply().bulk(text.as_bytes());
    if propagating(ctx.server) {
        // The result, not the increment: float formatting may differ on the
        // replica, and the value must not.
        let argv = vec![
            Bytes::from_static(b"SET"),
            args[1].clone(),
            Bytes::from(text.into_bytes()),
            Bytes::from_static(b"KEEPTTL"),
        ];
        propagate_instead(ctx.server, argv);
    }
}

/// `checkStringLength`: a string may not grow past proto-max-bulk-len.
fn check_string_length(ctx: &mut Ctx<'_>, size: u64, append: u64) -> bool {
    match size.checked_add(append) {
        Some(total) if total <= ctx.server.config.proto_max_bulk_len => true,
        _ => {
            ctx.reply()
                .error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

fn append(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (key, extra) = (&args[1][..], &args[2][..]);
    let db = ctx.client.db;
    let now = ctx.now_ms();
    let current = match lookup_write(ctx.server, db, key) {
        None => None,
        Some(v) => match v.as_string() {
            None => return ctx.reply().error(errors::WRONGTYPE),
            Some(s) => Some(s.to_vec()),
        },
    };
    let total = match current {
        None => {
            ctx.db().set(key, Value::string(extra), now, false);
            extra.len()
        }
        Some(mut bytes) => {
            if !check_string_length(ctx, bytes.len() as u64, extra.len() as u64) {
                return;
            }
            bytes.extend_from_slice(extra);
            // Modified in place in Redis: the value becomes (and reports) "raw".
            ctx.db().set(
                key,
                Value::String(StringValue::bytes(&bytes, true)),
                now,
                true,
            );
            bytes.len()
        }
    };
    ctx.dirty(1);
    ctx.reply().integer(total as i64);
}

fn strlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    let len = match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None => 0,
        Some(v) => match v.as_string() {
            Some(s) => s.len(),
            None => return ctx.reply().error(errors::WRONGTYPE),
        },
    };
    ctx.reply().integer(len as i64);
}

fn getrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(mut start), Some(mut end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let db = ctx.client.db;
    let bytes = match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None => return ctx.reply().bulk(b""),
        Some(v) => match v.as_string() {
            Some(s) => s.to_vec(),
            None => return ctx.reply().error(errors::WRONGTYPE),
        },
    };
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        return ctx.reply().bulk(b"");
    }
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return ctx.reply().bulk(b"");
    }
    ctx.reply().bulk(&bytes[start as usize..=end as usize]);
}

fn setrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (key, patch) = (&args[1][..], &args[3][..]);
    let Some(offset) = parse_i64(&args[2]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    if offset < 0 {
        return ctx.reply().error("ERR offset is out of range");
    }
    let db = ctx.client.db;
    let now = ctx.now_ms();
    let current = match lookup_write(ctx.server, db, key) {
        None => None,
        Some(v) => match v.as_string() {
            None => return ctx.reply().error(errors::WRONGTYPE),
            Some(s) => Some(s.to_vec()),
        },
    };
    if patch.is_empty() {
        let len = current.map_or(0, |b| b.len());
        return ctx.reply().integer(len as i64);
    }
    if !check_string_length(ctx, offset as u64, patch.len() as u64) {
        return;
    }
    let keep_ttl = current.is_some();
    let mut bytes = current.unwrap_or_default();
    let end = offset as usize + patch.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset as usize..end].copy_from_slice(patch);
    ctx.db().set(
        key,
        Value::String(StringValue::bytes(&bytes, true)),
        now,
        keep_ttl,
    );
    ctx.dirty(1);
    ctx.reply().integer(bytes.len() as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::test_argv as argv;

    #[test]
    fn get_options_leave_the_propagated_set() {
        let args = argv(&["set", "get", "get", "NX", "Get", "KEEPTTL", "GET"]);
        assert_eq!(
            without_get(&args),
            argv(&["set", "get", "get", "NX", "KEEPTTL"])
        );
    }

    #[test]
    fn an_expiring_set_carries_its_deadline() {
        let (key, value) = (Bytes::from_static(b"k"), Bytes::from_static(b"v"));
        assert_eq!(
            set_pxat(&key, &value, 1_700_000_000_123),
            argv(&["SET", "k", "v", "PXAT", "1700000000123"])
        );
    }
}
