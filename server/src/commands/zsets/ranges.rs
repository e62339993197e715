//! The range commands: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and its
//! older spellings, ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the ZREMRANGEBY* trio
//! (`zrangeGenericCommand`, `zremrangeGenericCommand` in `t_zset.c`).
//!
//! Option parsing happens before the key is looked up, as in Redis: a syntax or
//! range error wins over a missing key or a WRONGTYPE. LIMIT keeps Redis's loop
//! semantics: a negative offset returns nothing, a negative count means "all".

use bytes::Bytes;
use storage::types::zset::{LexRange, ScoreRange, ZSet};

use super::{
    check_read, check_write, delete_if_empty, parse_long, reply_entries, store_result, zset_mut,
    zset_ref, Found,
};
use crate::command::{eq_ignore_case, errors, Ctx};

/// What a range selects by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range, ready to run.
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// Parsed ZRANGE-family arguments.
struct RangeArgs {
    range: Range,
    reverse: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

/// `zrangeGenericCommand`'s parsing: `src` is the source key's index.
fn parse_range_args(
    args: &[Bytes],
    src: usize,
    store: bool,
    mut kind: Kind,
    direction: Option<bool>,
) -> Result<RangeArgs, &'static str> {
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut reverse = direction;
    let mut j = src + 3;
    while j < args.len() {
        let arg = &args[j][..];
        let left = args.len() - j - 1;
        if !store && eq_ignore_case(arg, "withscores") {
            withscores = true;
        } else if eq_ignore_case(arg, "limit") && left >= 2 {
            offset = parse_long(&args[j + 1])?;
            limit = parse_long(&args[j + 2])?;
            j += 2;
        } else if direction.is_none() && eq_ignore_case(arg, "rev") {
            reverse = Some(true);
        } else if kind == Kind::Auto && eq_ignore_case(arg, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && eq_ignore_case(arg, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && kind == Kind::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut min, mut max) = (&args[src + 1][..], &args[src + 2][..]);
    if reverse && kind != Kind::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let range = match kind {
        Kind::Score => Range::Score(ScoreRange::parse(min, max).ok_or(NOT_FLOAT_RANGE)?),
        Kind::Lex => Range::Lex(LexRange::parse(min, max).ok_or(NOT_LEX_RANGE)?),
        _ => Range::Rank(parse_long(min)?, parse_long(max)?),
    };
    Ok(RangeArgs {
        range,
        reverse,
        withscores,
        offset,
        limit,
    })
}

/// Runs a parsed range over `zset`, collecting (member, score) pairs.
fn collect(zset: &ZSet, a: &RangeArgs) -> Vec<(Vec<u8>, f64)> {
    let mut out = Vec::new();
    let mut push = |m: &[u8], s: f64| out.push((m.to_vec(), s));
    match &a.range {
        Range::Rank(start, end) => {
            if let Some((s, e)) = zset.clamp_rank_range(*start, *end) {
                zset.range_by_rank(s, e, a.reverse, &mut push);
            }
        }
        Range::Score(r) => {
            zset.range_by_score(r, a.reverse, a.offset, a.limit, &mut push);
        }
        Range::Lex(r) => {
            zset.range_by_lex(r, a.reverse, a.offset, a.limit, &mut push);
        }
    }
    out
}

/// ZRANGE and friends; `dst` is ZRANGESTORE's destination.
fn range_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    src: usize,
    dst: Option<&[u8]>,
    kind: Kind,
    direction: Option<bool>,
) {
    let parsed = match parse_range_args(args, src, dst.is_some(), kind, direction) {
        Ok(p) => p,
        Err(e) => return ctx.reply().error(e),
    };
    let key = &args[src][..];
    let entries = match check_read(ctx, key) {
        Found::WrongType => return,
        Found::Missing => Vec::new(),
        Found::ZSet => zset_ref(ctx, key)
            .map(|z| collect(z, &parsed))
            .unwrap_or_default(),
    };
    match dst {
        Some(dst) => store_result(ctx, dst, entries),
        None => reply_entries(&mut ctx.reply(), &entries, parsed.withscores),
    }
}

pub(super) fn zrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Auto, None);
}

pub(super) fn zrangestore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 2, Some(&args[1]), Kind::Auto, None);
}

pub(super) fn zrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Rank, Some(true));
}

pub(super) fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Score, Some(false));
}

pub(super) fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Score, Some(true));
}

pub(super) fn zrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Lex, Some(false));
}

pub(super) fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    range_generic(ctx, args, 1, None, Kind::Lex, Some(true));
}

pub(super) fn zcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = ScoreRange::parse(&args[2], &args[3]) else {
        return ctx.reply().error(NOT_FLOAT_RANGE);
    };
    let n = match check_read(ctx, &args[1]) {
        Found::WrongType => return,
        Found::Missing => 0,
        Found::ZSet => zset_ref(ctx, &args[1]).map_or(0, |z| z.count_by_score(&r)),
    };
    ctx.reply().integer(n as i64);
}

pub(super) fn zlexcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = LexRange::parse(&args[2], &args[3]) else {
        return ctx.reply().error(NOT_LEX_RANGE);
    };
    let n = match check_read(ctx, &args[1]) {
        Found::WrongType => return,
        Found::Missing => 0,
        Found::ZSet => zset_ref(ctx, &args[1]).map_or(0, |z| z.count_by_lex(&r)),
    };
    ctx.reply().integer(n as i64);
}

/// `zremrangeGenericCommand`: parse, look up for writing, remove, reply the count.
fn remrange_generic(ctx: &mut Ctx<'_>, args: &[Bytes], range: Range) {
    let key = &args[1][..];
    match check_write(ctx, key) {
        Found::WrongType => return,
        Found::Missing => return ctx.reply().integer(0),
        Found::ZSet => {}
    }
    let db = ctx.client.db;
    let Some((zset, _)) = zset_mut(ctx.server, db, key) else {
        return;
    };
    let removed = match &range {
        Range::Rank(start, end) => match zset.clamp_rank_range(*start, *end) {
            Some((s, e)) => zset.remove_range_by_rank(s, e),
            None => return ctx.reply().integer(0),
        },
        Range::Score(r) => zset.remove_range_by_score(r),
        Range::Lex(r) => zset.remove_range_by_lex(r),
    };
    delete_if_empty(ctx, key);
    ctx.dirty(removed as u64);
    ctx.reply().integer(removed as i64);
}

pub(super) fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match (parse_long(&args[2]), parse_long(&args[3])) {
        (Ok(s), Ok(e)) => remrange_generic(ctx, args, Range::Rank(s, e)),
        (Err(e), _) | (_, Err(e)) => ctx.reply().error(e),
    }
}

pub(super) fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match ScoreRange::parse(&args[2], &args[3]) {
        Some(r) => remrange_generic(ctx, args, Range::Score(r)),
        None => ctx.reply().error(NOT_FLOAT_RANGE),
    }
}

pub(super) fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match LexRange::parse(&args[2], &args[3]) {
        Some(r) => remrange_generic(ctx, args, Range::Lex(r)),
        None => ctx.reply().error(NOT_LEX_RANGE),
    }
}
