//! Pops, random members and ZSCAN: ZPOPMIN / ZPOPMAX, BZPOPMIN / BZPOPMAX,
//! ZMPOP / BZMPOP (`genericZpopCommand` and friends), ZRANDMEMBER and ZSCAN.
//!
//! Reply shapes follow Redis 7.0 exactly: ZPOPMIN without a count is a flat
//! [member, score]; with a count it is flat in RESP2 and nested pairs in RESP3;
//! BZPOPMIN is a flat [key, member, score]; ZMPOP is [key, [[member, score]...]]
//! or a null array when nothing could be popped. The blocking forms try to
//! serve first and otherwise park the client through `crate::blocking`, which
//! re-runs the command when a key may have data.

use bytes::Bytes;
use resp::Protocol;
use storage::Lookup;

use super::{check_read, check_write, delete_if_empty, reply_double, zset_mut, zset_ref, Found};
use crate::blocking::{block, parse_timeout};
use crate::command::{eq_ignore_case, errors, parse_i64, Ctx};
use crate::commands::keys::{lookup_read, parse_cursor};

/// How a pop replies (`genericZpopCommand`'s `emitkey` / `use_nested_array`).
#[derive(Clone, Copy)]
struct Shape {
    emit_key: bool,
    nested: bool,
}

/// What a pop propagates: ZPOPMIN / ZPOPMAX themselves go verbatim; the
/// blocking and multi-key forms go as the plain pop from the key they took
/// from, as Redis rewrites them (`genericZpopCommand`, `blockingGenericZpopCommand`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Propagate {
    /// As the command was sent.
    Verbatim,
    /// `ZPOPMIN|ZPOPMAX key` (BZPOPMIN / BZPOPMAX).
    Single,
    /// `ZPOPMIN|ZPOPMAX key <popped>` (ZMPOP / BZMPOP).
    Counted,
}

/// Pops up to `count` from the first non-empty sorted set among `keys` and
/// replies; returns false (nothing replied) when every key is missing.
fn pop_first(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    max: bool,
    count: usize,
    shape: Shape,
    propagate: Propagate,
) -> Option<bool> {
    let mut chosen = None;
    for key in keys {
        match check_write(ctx, key) {
            Found::WrongType => return None,
            Found::Missing => continue,
            Found::ZSet => {
                chosen = Some(key);
                break;
            }
        }
    }
    let Some(key) = chosen else {
        return Some(false);
    };
    if count == 0 {
        ctx.reply().array(0);
        return Some(true);
    }
    let db = ctx.client.db;
    let mut popped = Vec::new();
    if let Some((zset, _)) = zset_mut(ctx.server, db, key) {
        while popped.len() < count {
            match zset.pop(max) {
                Some(e) => popped.push(e),
                None => break,
            }
        }
    }
    delete_if_empty(ctx, key);
    ctx.dirty(popped.len() as u64);
    if propagate != Propagate::Verbatim
        && !popped.is_empty()
        && crate::replicas::propagating(ctx.server)
    {
        let name: &'static [u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let mut argv = vec![Bytes::from_static(name), key.clone()];
        if propagate == Propagate::Counted {
            argv.push(Bytes::from(popped.len().to_string()));
        }
        crate::replicas::propagate_instead(ctx.server, argv);
    }
    let mut reply = ctx.reply();
    match (shape.emit_key, shape.nested) {
        (false, false) => reply.array(popped.len() * 2),
        (false, true) => reply.array(popped.len()),
        (true, false) => {
            reply.array(popped.len() * 2 + 1);
            reply.bulk(key);
        }
        (true, true) => {
            reply.array(2);
            reply.bulk(key);
            reply.array(popped.len());
        }
    }
    for (member, score) in &popped {
        if shape.nested {
            reply.array(2);
        }
        reply.bulk(member);
        reply_double(&mut reply, *score);
    }
    Some(true)
}

/// ZPOPMIN / ZPOPMAX key [count].
fn zpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) {
    if args.len() > 3 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let count = match args.get(2) {
        None => None,
        // getPositiveLongFromObjectOrReply: one message for both failures.
        Some(arg) => match parse_i64(arg).filter(|n| *n >= 0) {
            None => return ctx.reply().error(errors::POSITIVE),
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        },
    };
    let resp3 = ctx.client.proto == Protocol::Resp3;
    let shape = Shape {
        emit_key: false,
        nested: resp3 && count.is_some(),
    };
    let popped = pop_first(
        ctx,
        &args[1..2],
        max,
        count.unwrap_or(1),
        shape,
        Propagate::Verbatim,
    );
    if popped == Some(false) {
        ctx.reply().array(0);
    }
}

pub(super) fn zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zpop_generic(ctx, args, false);
}

pub(super) fn zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zpop_generic(ctx, args, true);
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout.
fn bzpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) {
    let timeout = match parse_timeout(&args[args.len() - 1]) {
        Ok(t) => t,
        Err(e) => return ctx.reply().error(e),
    };
    let keys = &args[1..args.len() - 1];
    let shape = Shape {
        emit_key: true,
        nested: false,
    };
    if pop_first(ctx, keys, max, 1, shape, Propagate::Single) == Some(false) {
        block(ctx, args, keys, timeout);
    }
}

pub(super) fn bzpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bzpop_generic(ctx, args, false);
}

pub(super) fn bzpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bzpop_generic(ctx, args, true);
}

/// `zmpopGenericCommand`'s parsing: (keys range, max, count).
fn parse_mpop(
    args: &[Bytes],
    numkeys_at: usize,
) -> Result<(usize, usize, bool, usize), &'static str> {
    let numkeys = parse_i64(&args[numkeys_at])
        .filter(|n| *n >= 1)
        .ok_or("ERR numkeys should be greater than 0")?;
    let where_at = (numkeys_at as i64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_at >= args.len() as i64 {
        return Err(errors::SYNTAX);
    }
    let where_at = where_at as usize;
    let max = if eq_ignore_case(&args[where_at], "min") {
        false
    } else if eq_ignore_case(&args[where_at], "max") {
        true
    } else {
        return Err(errors::SYNTAX);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            let n = parse_i64(&args[j + 1])
                .filter(|n| *n >= 1)
                .ok_or("ERR count should be greater than 0")?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok((numkeys_at + 1, where_at, max, count.unwrap_or(1)))
}

const MPOP_SHAPE: Shape = Shape {
    emit_key: true,
    nested: true,
};

pub(super) fn zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (first, end, max, count) = match parse_mpop(args, 1) {
        Ok(p) => p,
        Err(e) => return ctx.reply().error(e),
    };
    let popped = pop_first(
        ctx,
        &args[first..end],
        max,
        count,
        MPOP_SHAPE,
        Propagate::Counted,
    );
    if popped == Some(false) {
        ctx.reply().null_array();
    }
}

pub(super) fn bzmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (first, end, max, count) = match parse_mpop(args, 2) {
        Ok(p) => p,
        Err(e) => return ctx.reply().error(e),
    };
    let timeout = match parse_timeout(&args[1]) {
        Ok(t) => t,
        Err(e) => return ctx.reply().error(e),
    };
    let keys = &args[first..end];
    if pop_first(ctx, keys, max, count, MPOP_SHAPE, Propagate::Counted) == Some(false) {
        block(ctx, args, keys, timeout);
    }
}

/// The most reply bytes ZRANDMEMBER with a negative count builds; Redis stops
/// only when the client is closed for its output buffer, which a default
/// `normal` class never does, so a huge count would exhaust memory.
const RANDMEMBER_REPLY_MAX: usize = 512 * 1024 * 1024;

pub(super) fn zrandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let key = &args[1][..];
    if args.len() == 2 {
        let entry = match check_read(ctx, key) {
            Found::WrongType => return,
            Found::Missing => return ctx.reply().null(),
            Found::ZSet => {
                let server = &mut *ctx.server;
                let zset = server
                    .keyspace
                    .db(ctx.client.db)
                    .peek(key)
                    .and_then(|v| v.as_zset());
                zset.and_then(|z| z.random_entry(&mut server.rng))
            }
        };
        return match entry {
            Some((m, _)) => ctx.reply().bulk(&m),
            None => ctx.reply().null(),
        };
    }
    let count = match parse_i64(&args[2]) {
        None => return ctx.reply().error(errors::NOT_INTEGER),
        Some(i64::MIN) => {
            return ctx.reply().error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        }
        Some(n) => n,
    };
    if args.len() > 4 || (args.len() == 4 && !eq_ignore_case(&args[3], "withscores")) {
        return ctx.reply().error(errors::SYNTAX);
    }
    let withscores = args.len() == 4;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return ctx.reply().error("ERR value is out of range");
    }
    match check_read(ctx, key) {
        Found::WrongType => return,
        Found::Missing => return ctx.reply().array(0),
        Found::ZSet => {}
    }
    if count == 0 {
        return ctx.reply().array(0);
    }
    randmember_with_count(ctx, key, count, withscores);
}

fn randmember_with_count(ctx: &mut Ctx<'_>, key: &[u8], count: i64, withscores: bool) {
    let server = &mut *ctx.server;
    let Some(zset) = server
        .keyspace
        .db(ctx.client.db)
        .peek(key)
        .and_then(|v| v.as_zset())
    else {
        return;
    };
    let rng = &mut server.rng;
    let resp3 = ctx.client.proto == Protocol::Resp3;
    let out = &mut ctx.client.reply;
    let mut reply = crate::command::Reply {
        out,
        proto: if resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        },
    };
    let emit = |reply: &mut crate::command::Reply<'_>, m: &[u8], s: f64| {
        if withscores && resp3 {
            reply.array(2);
        }
        reply.bulk(m);
        if withscores {
            reply_double(reply, s);
        }
    };
    let width = if withscores && !resp3 { 2 } else { 1 };
    if count < 0 || count == 1 {
        // Repeats allowed (or a single pick): independent uniform draws.
        let n = count.unsigned_abs();
        reply.array((n as usize).saturating_mul(width));
        let start = reply.out.len();
        for _ in 0..n {
            if let Some((m, s)) = zset.random_entry(rng) {
                emit(&mut reply, &m, s);
            }
            if reply.out.len() - start > RANDMEMBER_REPLY_MAX {
                break;
            }
        }
        return;
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let picked = if count >= zset.len() {
        // The whole set, in `zuiNext` order: sorted sets are walked from the top.
        let mut all = zset.to_entries();
        all.reverse();
        all
    } else {
        zset.random_distinct(count, rng)
    };
    reply.array(picked.len() * width);
    for (m, s) in &picked {
        emit(&mut reply, m, *s);
    }
}

pub(super) fn zscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = parse_cursor(&args[2]) else {
        return ctx.reply().error("ERR invalid cursor");
    };
    let db = ctx.client.db;
    match lookup_read(ctx.server, db, &args[1], Lookup::Touch) {
        None => {
            let mut reply = ctx.reply();
            reply.array(2);
            reply.bulk(b"0");
            return reply.array(0);
        }
        Some(v) if v.as_zset().is_none() => return ctx.reply().error(errors::WRONGTYPE),
        Some(_) => {}
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
            // "*" matches everything: Redis skips the matcher for it.
            pattern = Some(&args[i + 1][..]).filter(|p| *p != b"*");
        } else {
            return ctx.reply().error(errors::SYNTAX);
        }
        i += 2;
    }
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = zset_ref(ctx, &args[1]).map_or(0, |z| {
        z.scan(cursor, count, &mut |m, s| {
            if pattern.is_none_or(|p| storage::glob::matches(p, m, false)) {
                found.push((m.to_vec(), s.to_vec()));
            }
        })
    });
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(next.to_string().as_bytes());
    reply.array(found.len() * 2);
    for (m, s) in &found {
        reply.bulk(m);
        reply.bulk(s);
    }
}
