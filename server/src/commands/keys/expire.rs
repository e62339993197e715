//! EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX XX GT LT), TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME and PERSIST (Redis's `expire.c`).
//!
//! `expireGenericCommand` order is kept: options first ("ERR Unsupported option"),
//! then the number, then overflow checks ("ERR invalid expire time in 'expire'
//! command"), then the key. A deadline already in the past deletes the key on the
//! spot, replying 1 like a successful EXPIRE, and propagates as DEL (UNLINK under
//! `lazyfree-lazy-expire`); any other success propagates as PEXPIREAT with the
//! absolute deadline, so replicas and the master expire the key together.

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
    if crate::replicas::propagating(ctx.server) {
        let absolute_ms = base_ms == 0 && !seconds;
        let lazy = ctx.server.config.lazyfree_lazy_expire;
        if let Some(argv) = expire_rewrite(args, when, when <= now, absolute_ms, lazy) {
            crate::replicas::propagate_instead(ctx.server, argv);
        }
    }
}

/// What an EXPIRE-family command that succeeded propagates instead of its own
/// arguments (`expireGenericCommand`), None for PEXPIREAT with a future
/// deadline, which goes verbatim. A deadline already past went as a deletion;
/// otherwise the command becomes PEXPIREAT with the absolute deadline `when`,
/// so the replica's TTL ends when the master's does, its NX/XX/GT/LT kept.
fn expire_rewrite(
    args: &[Bytes],
    when: i64,
    past: bool,
    absolute_ms: bool,
    lazy: bool,
) -> Option<Vec<Bytes>> {
    if past {
        return Some(vec![super::deletion_command(lazy), args[1].clone()]);
    }
    if absolute_ms {
        return None;
    }
    let mut argv = args.to_vec();
    argv[0] = Bytes::from_static(b"PEXPIREAT");
    argv[2] = Bytes::from(when.to_string());
    Some(argv)
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::test_argv as argv;

    #[test]
    fn relative_and_second_forms_become_pexpireat() {
        let out = expire_rewrite(
            &argv(&["expire", "k", "10", "NX"]),
            5000,
            false,
            false,
            false,
        );
        assert_eq!(out, Some(argv(&["PEXPIREAT", "k", "5000", "NX"])));
        let out = expire_rewrite(&argv(&["EXPIREAT", "k", "5"]), 5000, false, false, false);
        assert_eq!(out, Some(argv(&["PEXPIREAT", "k", "5000"])));
    }

    #[test]
    fn pexpireat_goes_verbatim_and_the_past_deletes() {
        assert_eq!(
            expire_rewrite(&argv(&["pexpireat", "k", "5000"]), 5000, false, true, false),
            None
        );
        let out = expire_rewrite(&argv(&["pexpireat", "k", "1"]), 1, true, true, false);
        assert_eq!(out, Some(argv(&["DEL", "k"])));
        let out = expire_rewrite(&argv(&["expire", "k", "-1"]), -1000, true, false, true);
        assert_eq!(out, Some(argv(&["UNLINK", "k"])));
    }
}
