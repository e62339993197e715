//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
//! (`zunionInterDiffGenericCommand`).
//!
//! Inputs may be sorted sets or plain sets (every set member scores 1); a
//! missing key is an empty input. Order of checks, as in Redis: numkeys, then
//! that enough keys follow, then each key's type (WRONGTYPE before any option
//! error), then WEIGHTS / AGGREGATE / WITHSCORES / LIMIT. Union and
//! intersection visit the inputs from the smallest to the largest (a stable
//! sort, as glibc's merge-sorting `qsort`), which fixes the order in which
//! floating-point sums are taken. A weighted score that is NaN (0 * inf) counts
//! as 0, and so does a SUM of +inf and -inf.

use std::collections::HashMap;

use bytes::Bytes;
use storage::types::set::Set;
use storage::types::zset::ZSet;
use storage::{Lookup, Value};

use super::{reply_entries, store_result};
use crate::command::{eq_ignore_case, errors, parse_i64, Ctx};
use crate::commands::keys::lookup_read;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// One input.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    ZSet(&'a ZSet),
    Set(&'a Set),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::ZSet(z) => z.score(member),
            Source::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], f64)) {
        match self {
            Source::Missing => {}
            Source::ZSet(z) => z.for_each(f),
            Source::Set(s) => {
                for m in s.iter() {
                    let mut buf = [0u8; 20];
                    f(m.as_bytes(&mut buf), 1.0);
                }
            }
        }
    }
}

/// `zunionInterAggregate`.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = if value < *target { value } else { *target },
        Aggregate::Max => *target = if value > *target { value } else { *target },
    }
}

/// Parsed options after the keys.
struct Options {
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

fn parse_options(
    args: &[Bytes],
    mut j: usize,
    n: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Options, &'static str> {
    let mut o = Options {
        weights: vec![1.0; n],
        how: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    while j < args.len() {
        let remaining = args.len() - j;
        let arg = &args[j][..];
        if op != Op::Diff && !card && remaining > n && eq_ignore_case(arg, "weights") {
            for (i, w) in o.weights.iter_mut().enumerate() {
                *w = storage::types::zset::parse_score(&args[j + 1 + i])
                    .ok_or("ERR weight value is not a float")?;
            }
            j += 1 + n;
        } else if op != Op::Diff && !card && remaining >= 2 && eq_ignore_case(arg, "aggregate") {
            let how = &args[j + 1][..];
            o.how = if eq_ignore_case(how, "sum") {
                Aggregate::Sum
            } else if eq_ignore_case(how, "min") {
                Aggregate::Min
            } else if eq_ignore_case(how, "max") {
                Aggregate::Max
            } else {
                return Err(errors::SYNTAX);
            };
            j += 2;
        } else if !store && !card && eq_ignore_case(arg, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && eq_ignore_case(arg, "limit") {
            let limit = parse_i64(&args[j + 1])
                .filter(|l| *l >= 0)
                .ok_or("ERR LIMIT can't be negative")?;
            o.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok(o)
}

/// The computation over the sources (already ordered for the operation).
fn compute(
    sources: &[(Source<'_>, f64)],
    op: Op,
    how: Aggregate,
    limit: usize,
    card: bool,
) -> (Vec<(Vec<u8>, f64)>, usize) {
    let mut out = Vec::new();
    let mut count = 0usize;
    match op {
        Op::Inter => {
            let Some(((first, w0), rest)) = sources.split_first() else {
                return (out, 0);
            };
            let mut done = false;
            first.for_each(&mut |member, s| {
                if done {
                    return;
                }
                let mut score = w0 * s;
                if score.is_nan() {
                    score = 0.0;
                }
                for (src, w) in rest {
                    match src.score(member) {
                        Some(v) => aggregate(&mut score, v * w, how),
                        None => return,
                    }
                }
                count += 1;
                if card {
                    done = limit > 0 && count >= limit;
                } else {
                    out.push((member.to_vec(), score));
                }
            });
        }
        Op::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for (src, w) in sources {
                src.for_each(&mut |member, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(member) {
                        Some(t) => aggregate(t, score, how),
                        None => {
                            acc.insert(member.to_vec(), score);
                        }
                    }
                });
            }
            out = acc.into_iter().collect();
        }
        Op::Diff => {
            if let Some(((first, _), rest)) = sources.split_first() {
                first.for_each(&mut |member, s| {
                    if rest.iter().all(|(src, _)| src.score(member).is_none()) {
                        out.push((member.to_vec(), s));
                    }
                });
            }
        }
    }
    // The result is a sorted set: (score, member) order.
    out.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    (out, count)
}

/// The shared body; `numkeys_at` is 1 (ZUNION...) or 2 (the STORE forms).
fn generic(ctx: &mut Ctx<'_>, args: &[Bytes], numkeys_at: usize, op: Op, card: bool) {
    let name = String::from_utf8_lossy(&args[0]).to_lowercase();
    let n = match parse_i64(&args[numkeys_at]) {
        None => return ctx.reply().error(errors::NOT_INTEGER),
        Some(n) if n < 1 => {
            return ctx.reply().error(&format!(
                "ERR at least 1 input key is needed for '{name}' command"
            ))
        }
        Some(n) => n,
    };
    let first_key = numkeys_at + 1;
    if n > (args.len() - first_key) as i64 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let n = n as usize;
    let keys = &args[first_key..first_key + n];
    let db = ctx.client.db;
    for key in keys {
        let wrong = lookup_read(ctx.server, db, key, Lookup::Touch)
            .is_some_and(|v| !matches!(v, Value::ZSet(_) | Value::Set(_)));
        if wrong {
            return ctx.reply().error(errors::WRONGTYPE);
        }
    }
    let store = numkeys_at == 2;
    let opts = match parse_options(args, first_key + n, n, op, store, card) {
        Ok(o) => o,
        Err(e) => return ctx.reply().error(e),
    };
    let (entries, count) = {
        let dbref = ctx.server.keyspace.db(db);
        let mut sources: Vec<(Source<'_>, f64)> = keys
            .iter()
            .zip(&opts.weights)
            .map(|(key, w)| {
                let src = match dbref.peek(key) {
                    Some(Value::ZSet(z)) => Source::ZSet(z),
                    Some(Value::Set(s)) => Source::Set(s),
                    _ => Source::Missing,
                };
                (src, *w)
            })
            .collect();
        if op != Op::Diff {
            sources.sort_by_key(|(s, _)| s.len());
        }
        compute(&sources, op, opts.how, opts.limit, card)
    };
    if card {
        ctx.reply().integer(count as i64);
    } else if store {
        store_result(ctx, &args[1], entries);
    } else {
        reply_entries(&mut ctx.reply(), &entries, opts.withscores);
    }
}

pub(super) fn zunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Union, false);
}

pub(super) fn zinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Inter, false);
}

pub(super) fn zdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Diff, false);
}

pub(super) fn zunion(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Union, false);
}

pub(super) fn zinter(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Inter, false);
}

pub(super) fn zdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Diff, false);
}

pub(super) fn zintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Inter, true);
}
