//! The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP
//! (Redis 7.0's `blockingPopGenericCommand` and `blmoveGenericCommand`).
//!
//! Each first tries to serve exactly like its non-blocking twin. Only when
//! every key is missing does it hand the client to [`crate::blocking::block`],
//! which re-runs this same handler, in arrival order, after a write makes one
//! of the keys exist; the re-run then finds data and replies, or blocks again.
//! A WRONGTYPE key is an error at once, even when an earlier key is missing.
//! Inside MULTI nothing blocks: BLPOP, BRPOP and BLMPOP reply a null array
//! (what `block` does), BLMOVE and BRPOPLPUSH a null bulk string, as Redis's
//! CLIENT_DENY_BLOCKING paths do.

use bytes::Bytes;
use storage::types::list::End;

use super::{
    delete_if_empty, list_mut, lmove_generic, mpop_first, parse_end, parse_mpop, pop_command,
    WrongType,
};
use crate::blocking::{block, parse_timeout};
use crate::command::{errors, Ctx};
use crate::commands::keys::reply_of;

/// Pops one element from the first non-empty list among `keys` and replies
/// `[key, element]`. Ok(false) without replying when every key is missing.
fn pop_first(ctx: &mut Ctx<'_>, keys: &[Bytes], end: End) -> Result<bool, WrongType> {
    let (server, client) = (&mut *ctx.server, &mut *ctx.client);
    let db = client.db;
    let mut reply = reply_of(client);
    for key in keys {
        let value = match list_mut(server, db, key) {
            Err(WrongType) => {
                reply.error(errors::WRONGTYPE);
                return Err(WrongType);
            }
            Ok(None) => continue,
            Ok(Some(list)) => match list.pop(end) {
                Some(value) => value,
                None => continue,
            },
        };
        reply.array(2);
        reply.bulk(key);
        reply.bulk(&value);
        delete_if_empty(server, db, key);
        server.dirty += 1;
        if crate::replicas::propagating(server) {
            let argv = vec![pop_command(end), key.clone()];
            crate::replicas::propagate_instead(server, argv);
        }
        return Ok(true);
    }
    Ok(false)
}

/// BLPOP / BRPOP: `key [key ...] timeout`.
fn bpop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) {
    let timeout_ms = match parse_timeout(&args[args.len() - 1]) {
        Ok(ms) => ms,
        Err(e) => return ctx.reply().error(e),
    };
    let keys = &args[1..args.len() - 1];
    if let Ok(false) = pop_first(ctx, keys, end) {
        block(ctx, args, keys, timeout_ms);
    }
}

/// BLPOP key [key ...] timeout
pub(super) fn blpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bpop(ctx, args, End::Head);
}

/// BRPOP key [key ...] timeout
pub(super) fn brpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bpop(ctx, args, End::Tail);
}

/// `blmoveGenericCommand`: moves at once when the source exists, else blocks
/// on the source alone.
fn blmove_generic(ctx: &mut Ctx<'_>, args: &[Bytes], from: End, to: End, timeout_ms: u64) {
    let db = ctx.client.db;
    match list_mut(ctx.server, db, &args[1]) {
        Err(WrongType) => ctx.reply().error(errors::WRONGTYPE),
        Ok(Some(_)) => {
            let dirty_before = ctx.server.dirty;
            lmove_generic(ctx, &args[1], &args[2], from, to);
            if ctx.server.dirty != dirty_before && crate::replicas::propagating(ctx.server) {
                let argv = move_argv(args, from, to, crate::blocking::reprocessing(ctx.server));
                crate::replicas::propagate_instead(ctx.server, argv);
            }
        }
        Ok(None) if ctx.client.in_exec => ctx.reply().null(),
        Ok(None) => block(ctx, args, &args[1..2], timeout_ms),
    }
}

/// What a BLMOVE or BRPOPLPUSH that moved propagates: the non-blocking twin,
/// RPOPLPUSH or LMOVE. A client served after it blocked names the ends as
/// Redis's `serveClientBlockedOnList` does, in lower case; one served at once
/// keeps its own words, as `lmoveGenericCommand` does.
fn move_argv(args: &[Bytes], from: End, to: End, served_later: bool) -> Vec<Bytes> {
    if args.len() == 4 {
        return vec![
            Bytes::from_static(b"RPOPLPUSH"),
            args[1].clone(),
            args[2].clone(),
        ];
    }
    let word = |end: End| {
        Bytes::from_static(match end {
            End::Head => b"left",
            End::Tail => b"right",
        })
    };
    let (from, to) = if served_later {
        (word(from), word(to))
    } else {
        (args[3].clone(), args[4].clone())
    };
    vec![
        Bytes::from_static(b"LMOVE"),
        args[1].clone(),
        args[2].clone(),
        from,
        to,
    ]
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(super) fn blmove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let parsed = parse_end(&args[3])
        .and_then(|from| Ok((from, parse_end(&args[4])?)))
        .and_then(|(from, to)| Ok((from, to, parse_timeout(&args[5])?)));
    match parsed {
        Ok((from, to, timeout_ms)) => blmove_generic(ctx, args, from, to, timeout_ms),
        Err(e) => ctx.reply().error(e),
    }
}

/// BRPOPLPUSH source destination timeout
pub(super) fn brpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_timeout(&args[3]) {
        Ok(timeout_ms) => blmove_generic(ctx, args, End::Tail, End::Head, timeout_ms),
        Err(e) => ctx.reply().error(e),
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout
/// is checked after the other arguments, as in Redis.
pub(super) fn blmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let parsed = parse_mpop(args, 2).and_then(|m| Ok((m, parse_timeout(&args[1])?)));
    let (m, timeout_ms) = match parsed {
        Ok(p) => p,
        Err(e) => return ctx.reply().error(e),
    };
    if let Ok(false) = mpop_first(ctx, &args[m.keys.clone()], m.end, m.count) {
        block(ctx, args, &args[m.keys], timeout_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::test_argv as argv;

    #[test]
    fn moves_propagate_as_their_non_blocking_twins() {
        let blmove = argv(&["blmove", "a", "b", "Left", "RIGHT", "0"]);
        assert_eq!(
            move_argv(&blmove, End::Head, End::Tail, false),
            argv(&["LMOVE", "a", "b", "Left", "RIGHT"])
        );
        assert_eq!(
            move_argv(&blmove, End::Head, End::Tail, true),
            argv(&["LMOVE", "a", "b", "left", "right"])
        );
        let brpoplpush = argv(&["BRPOPLPUSH", "a", "b", "1.5"]);
        assert_eq!(
            move_argv(&brpoplpush, End::Tail, End::Head, true),
            argv(&["RPOPLPUSH", "a", "b"])
        );
    }
}
