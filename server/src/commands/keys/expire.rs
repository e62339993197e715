//! EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX XX GT LT), TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME and PERSIST (Redis's `expire.c`).
//!
//! `expireGenericCommand` order is kept: options first ("ERR Unsupported option"),
//! then the number, then overflow checks ("ERR invalid expire time in 'expire'
//! command"), then the key. A deadline already in the past deletes the key on the
//! spot (and the server propagates a DEL), replying 1 like a successful EXPIRE.

use bytes::Bytes;
use storage::Lookup;

use super::{lookup_read, lookup_write};
use crate::command::{eq_ignore_case, parse_i64, Ctx};

/// NX / XX / GT / LT of EXPIRE and friends.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// `parseExtendedExpireArgumentsOrReply`.
fn parse_conditions(args: &[Bytes]) -> Result<Conditions, String> {
    let mut c = Conditions::default();
    for opt in &args[3..] {
        if eq_ignore_case(opt, "nx") {
            c.nx = true;
        } else if eq_ignore_case(opt, "xx") {
            c.xx = true;
        } else if eq_ignore_case(opt, "gt") {
            c.gt = true;
        } else if eq_ignore_case(opt, "lt") {
            c.lt = true;
        } else {
            return Err(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if c.gt && c.lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    Ok(c)
}

/// True when the conditions allow replacing `current` by `when`.
fn conditions_allow(c: &Conditions, current: Option<i64>, when: i64) -> bool {
    if c.nx && current.is_some() {
        return false;
    }
    if c.xx && current.is_none() {
        return false;
    }
    if c.gt && current.is_none_or(|cur| when <= cur) {
        return false;
    }
    if c.lt && current.is_some_and(|cur| when >= cur) {
        return false;
    }
    true
}

/// `expireGenericCommand`: `base_ms` is now for relative forms, 0 for absolute
/// ones; `seconds` selects the unit; `name` appears in the error text.
fn expire_generic(ctx: &mut Ctx<'_>, args: &[Bytes], base_ms: i64, seconds: bool, name: &str) {
    let conditions = match parse_conditions(args) {
        Ok(c) => c,
        Err(e) => return ctx.reply().error(&e),
    };
    let Some(mut when) = parse_i64(&args[2]) else {
        return ctx.reply().error(crate::command::errors::NOT_INTEGER);
    };
    let invalid = format!("ERR invalid expire time in '{name}' command");
    if seconds {
        match when.checked_mul(1000) {
            Some(ms) => when = ms,
            None => return ctx.reply().error(&invalid),
        }
    }
    let Some(when) = when
        .checked_add(base_ms)
        .filter(|_| when <= i64::MAX - base_ms)
    else {
        return ctx.reply().error(&invalid);
    };
    let key = &args[1][..];
    let db = ctx.client.db;
    if lookup_write(ctx.server, db, key).is_none() {
        return ctx.reply().integer(0);
    }
    let current = ctx.db().get_expire(key);
    if !conditions_allow(&conditions, current, when) {
        return ctx.reply().integer(0);
    }
    let now = ctx.now_ms();
    if when <= now {
        ctx.db().delete(key);
    } else {
        ctx.db().set_expire(key, when);
    }
    ctx.dirty(1);
    ctx.reply().integer(1);
}

/// EXPIRE key seconds.
pub(super) fn expire(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, true, "expire");
}

/// PEXPIRE key milliseconds.
pub(super) fn pexpire(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, false, "pexpire");
}

/// EXPIREAT key unix-seconds.
pub(super) fn expireat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, 0, true, "expireat");
}

/// PEXPIREAT key unix-ms.
pub(super) fn pexpireat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, 0, false, "pexpireat");
}

/// `ttlGenericCommand`: -2 missing, -1 no deadline, else remaining (or absolute) time.
fn ttl_generic(ctx: &mut Ctx<'_>, args: &[Bytes], in_ms: bool, absolute: bool) {
    let db = ctx.client.db;
    if lookup_read(ctx.server, db, &args[1], Lookup::NoTouch).is_none() {
        return ctx.reply().integer(-2);
    }
    let Some(deadline) = ctx.db().get_expire(&args[1]) else {
        return ctx.reply().integer(-1);
    };
    let ttl = if absolute {
        deadline
    } else {
        deadline - ctx.now_ms()
    }
    .max(0);
    let out = if in_ms { ttl } else { (ttl + 500) / 1000 };
    ctx.reply().integer(out);
}

/// TTL key.
pub(super) fn ttl(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, false, false);
}

/// PTTL key.
pub(super) fn pttl(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, true, false);
}

/// EXPIRETIME key.
pub(super) fn expiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, false, true);
}

/// PEXPIRETIME key.
pub(super) fn pexpiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, true, true);
}

/// PERSIST key: 1 when a deadline was removed.
pub(super) fn persist(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let db = ctx.client.db;
    if lookup_write(ctx.server, db, &args[1]).is_none() {
        return ctx.reply().integer(0);
    }
    if ctx.db().remove_expire(&args[1]) {
        ctx.dirty(1);
        ctx.reply().integer(1);
    } else {
        ctx.reply().integer(0);
    }
}
