//! One value of an RDB file, per value type (`rdbLoadObject`): read, validate,
//! and convert to this server's encodings with Redis 7.0's thresholds.
//!
//! Every function returns `Ok(None)` for an empty collection, which the file
//! loader skips and counts as Redis does, and RESTORE refuses.

use std::collections::HashSet;

use super::{Ctx, Input, Read};
use crate::hash::HashKey;
use crate::intset::Intset;
use crate::listpack::{Listpack, LpEntry};
use crate::rdb::legacy;
use crate::rdb::{
    QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_HASH_ZIPLIST,
    TYPE_HASH_ZIPMAP, TYPE_LIST, TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2, TYPE_LIST_ZIPLIST,
    TYPE_MODULE, TYPE_MODULE_2, TYPE_SET, TYPE_SET_INTSET, TYPE_SET_LISTPACK,
    TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2, TYPE_STREAM_LISTPACKS_3, TYPE_STRING,
    TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST,
};
use crate::types::hash::Hash;
use crate::types::list::{End, List};
use crate::types::set::{Set, SetOptions};
use crate::types::zset::range::c_strtod;
use crate::types::zset::{ZSet, ZsetLimits};
use crate::value::Value;

/// Refuses value types this server cannot load, before the key is read.
pub(super) fn check_type(input: &Input<'_>, rdb_type: u8, at: usize) -> Read<()> {
    let why = match rdb_type {
        TYPE_STRING..=TYPE_ZSET_2
        | TYPE_HASH_ZIPMAP..=TYPE_LIST_QUICKLIST
        | TYPE_HASH_LISTPACK..=TYPE_LIST_QUICKLIST_2
        | TYPE_SET_LISTPACK => return Ok(()),
        TYPE_MODULE | TYPE_MODULE_2 => " (module values are not supported)",
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
            " (streams are not supported)"
        }
        _ => "",
    };
    Err(input.corrupt(at, format!("Unknown RDB encoding type {rdb_type}{why}")))
}

/// Reads the value of type `rdb_type` (already checked by [`check_type`]).
pub(super) fn load_object(
    input: &mut Input<'_>,
    rdb_type: u8,
    ctx: &mut Ctx<'_>,
) -> Read<Option<Value>> {
    if rdb_type == TYPE_STRING {
        return Ok(Some(Value::string(&input.string()?)));
    }
    let at = input.pos();
    let value = match rdb_type {
        TYPE_LIST => list_of_strings(input, ctx)?.map(|l| Value::List(Box::new(l))),
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            quicklist(input, ctx, rdb_type)?.map(|l| Value::List(Box::new(l)))
        }
        TYPE_SET => set_of_strings(input, ctx)?.map(Value::Set),
        TYPE_ZSET | TYPE_ZSET_2 => zset_of_pairs(input, ctx, rdb_type)?.map(Value::ZSet),
        TYPE_HASH => hash_of_pairs(input, ctx)?.map(Value::Hash),
        _ => {
            let blob = input.string()?;
            let converted = match rdb_type {
                TYPE_LIST_ZIPLIST => list_from_ziplist(&blob, ctx).map(|o| o.map(boxed_list)),
                TYPE_SET_INTSET => set_from_intset(&blob, ctx).map(|s| Some(Value::Set(s))),
                TYPE_SET_LISTPACK => set_from_listpack(&blob, ctx).map(|o| o.map(Value::Set)),
                TYPE_ZSET_ZIPLIST => zset_from_ziplist(&blob, ctx).map(|o| o.map(Value::ZSet)),
                TYPE_ZSET_LISTPACK => zset_from_listpack(&blob, ctx).map(|o| o.map(Value::ZSet)),
                TYPE_HASH_ZIPMAP => hash_from_zipmap(&blob, ctx).map(|h| Some(Value::Hash(h))),
                TYPE_HASH_ZIPLIST => hash_from_ziplist(&blob, ctx).map(|o| o.map(Value::Hash)),
                TYPE_HASH_LISTPACK => hash_from_listpack(&blob, ctx).map(|o| o.map(Value::Hash)),
                _ => Err("Unknown RDB encoding type"),
            };
            converted.map_err(|message| input.corrupt(at, message))?
        }
    };
    Ok(value)
}

fn boxed_list(list: List) -> Value {
    Value::List(Box::new(list))
}

/// A fresh SipHash key for one table, from the load's generator.
fn table_key(ctx: &mut Ctx<'_>) -> HashKey {
    HashKey {
        k0: ctx.rng.next_u64(),
        k1: ctx.rng.next_u64(),
    }
}

/// The bytes of a listpack or ziplist entry.
fn entry_vec(e: &LpEntry<'_>) -> Vec<u8> {
    e.to_vec()
}

/// Appends `e` unless that would take the listpack past its safety size.
fn push_checked(lp: &mut Listpack, e: &[u8]) -> bool {
    // An entry costs at most its bytes plus 9 bytes of encoding and 5 of backlen.
    if !lp.safe_to_add(e.len().saturating_add(14)) {
        return false;
    }
    lp.push_back(e);
    true
}

/// TYPE_LIST: a count, then the elements (RDB before version 7).
fn list_of_strings(input: &mut Input<'_>, ctx: &mut Ctx<'_>) -> Read<Option<List>> {
    let len = input.len()?;
    let mut list = List::new(ctx.opts.list_max_listpack_size);
    for _ in 0..len {
        list.push(End::Tail, &input.string()?);
    }
    Ok((!list.is_empty()).then_some(list))
}

/// TYPE_LIST_QUICKLIST (ziplist nodes) and TYPE_LIST_QUICKLIST_2 (each node a
/// container kind, then a listpack or one plain element).
fn quicklist(input: &mut Input<'_>, ctx: &mut Ctx<'_>, rdb_type: u8) -> Read<Option<List>> {
    let nodes = input.len()?;
    let mut list = List::new(ctx.opts.list_max_listpack_size);
    for _ in 0..nodes {
        let at = input.pos();
        let container = if rdb_type == TYPE_LIST_QUICKLIST_2 {
            input.len()?
        } else {
            QUICKLIST_NODE_PACKED
        };
        if container != QUICKLIST_NODE_PACKED && container != QUICKLIST_NODE_PLAIN {
            return Err(input.corrupt(at, "Quicklist integrity check failed."));
        }
        let blob_at = input.pos();
        let blob = input.string()?;
        if blob.is_empty() {
            return Err(input.corrupt(blob_at, "Quicklist integrity check failed."));
        }
        if container == QUICKLIST_NODE_PLAIN {
            // Plain nodes hold one element too large for a listpack; this
            // server gives such an element a node of its own.
            list.push(End::Tail, &blob);
            continue;
        }
        let node = if rdb_type == TYPE_LIST_QUICKLIST_2 {
            Listpack::from_bytes(&blob)
                .ok_or_else(|| input.corrupt(blob_at, "Listpack integrity check failed."))?
        } else {
            listpack_from_ziplist(&blob)
                .ok_or_else(|| input.corrupt(blob_at, "Ziplist integrity check failed."))?
        };
        // Empty nodes are skipped silently, as Redis does.
        list.append_node(node);
    }
    Ok((!list.is_empty()).then_some(list))
}

/// A ziplist's entries copied into a listpack (`_ziplistEntryConvertAndValidate`).
fn listpack_from_ziplist(blob: &[u8]) -> Option<Listpack> {
    let mut lp = Listpack::new();
    for e in legacy::ziplist_entries(blob)? {
        if !push_checked(&mut lp, &entry_vec(&e)) {
            return None;
        }
    }
    Some(lp)
}

/// TYPE_LIST_ZIPLIST: one ziplist holding the whole list.
fn list_from_ziplist(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<List>, &'static str> {
    let entries = legacy::ziplist_entries(blob).ok_or("List ziplist integrity check failed.")?;
    let mut list = List::new(ctx.opts.list_max_listpack_size);
    for e in &entries {
        list.push(End::Tail, &entry_vec(e));
    }
    Ok((!list.is_empty()).then_some(list))
}

/// The options sets are built with while loading.
fn set_options(ctx: &mut Ctx<'_>) -> SetOptions {
    SetOptions {
        // Redis caps the threshold at 2^30 when it sizes the table up front.
        max_intset_entries: ctx.opts.set_max_intset_entries.min(1 << 30),
        hash_key: table_key(ctx),
    }
}

/// TYPE_SET: a count, then the members; an intset while every member is an
/// integer and the count is within `set-max-intset-entries`.
fn set_of_strings(input: &mut Input<'_>, ctx: &mut Ctx<'_>) -> Read<Option<Set>> {
    let len = input.len()?;
    let options = set_options(ctx);
    let mut set = Set::new();
    if len > options.max_intset_entries as u64 {
        set.convert_to_table(options.hash_key);
    }
    for _ in 0..len {
        let at = input.pos();
        let member = input.string()?;
        if !set.add(&member, &options) {
            return Err(input.corrupt(at, "Duplicate set members detected"));
        }
    }
    Ok((!set.is_empty()).then_some(set))
}

/// TYPE_SET_INTSET: the intset verbatim, a table past `set-max-intset-entries`.
fn set_from_intset(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Set, &'static str> {
    let intset = Intset::from_bytes(blob).ok_or("Intset integrity check failed.")?;
    let options = set_options(ctx);
    let mut set = Set::from_intset(intset);
    if set.len() > options.max_intset_entries {
        set.convert_to_table(options.hash_key);
    }
    Ok(set)
}

/// TYPE_SET_LISTPACK (Redis 7.2): Redis 7.0 has no listpack sets, so the
/// members go through SADD's rules: an intset while they are integers within
/// the limit, a table otherwise.
fn set_from_listpack(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<Set>, &'static str> {
    let lp = Listpack::from_bytes(blob).ok_or("Set listpack integrity check failed.")?;
    let options = set_options(ctx);
    let mut set = Set::new();
    if lp.len() > options.max_intset_entries {
        set.convert_to_table(options.hash_key);
    }
    for e in lp.iter() {
        if !set.add(&entry_vec(&e), &options) {
            return Err("Set listpack integrity check failed.");
        }
    }
    Ok((!set.is_empty()).then_some(set))
}

/// TYPE_ZSET (scores as text) and TYPE_ZSET_2 (binary scores): pairs in no
/// particular order, encoded by their final size (`zsetConvert` after loading).
fn zset_of_pairs(input: &mut Input<'_>, ctx: &mut Ctx<'_>, rdb_type: u8) -> Read<Option<ZSet>> {
    let len = input.len()?;
    // Never reserve more than the input could hold: each pair takes 2+ bytes.
    let cap = usize::try_from(len)
        .unwrap_or(usize::MAX)
        .min(input.remaining() / 2);
    let mut entries = Vec::with_capacity(cap);
    let mut seen = HashSet::with_capacity(cap);
    for _ in 0..len {
        let at = input.pos();
        let member = input.string()?.into_owned();
        let score = if rdb_type == TYPE_ZSET_2 {
            input.double_binary()?
        } else {
            input.double_text()?
        };
        if score.is_nan() {
            return Err(input.corrupt(at, "Zset with NAN score detected"));
        }
        if !seen.insert(member.clone()) {
            return Err(input.corrupt(at, "Duplicate zset fields detected"));
        }
        entries.push((member, score));
    }
    if entries.is_empty() {
        return Ok(None);
    }
    Ok(Some(ZSet::from_entries(
        entries,
        &ctx.opts.zset_limits,
        &mut ctx.rng,
    )))
}

/// A score entry of a listpack or ziplist: an integer, or text that is wholly
/// a number (`zzlStrtod` would read garbage as 0; a file holding it is corrupt).
fn pair_score(e: &LpEntry<'_>) -> Option<f64> {
    let score = match *e {
        LpEntry::Int(v) => v as f64,
        LpEntry::Str(s) => {
            let (v, used, _) = c_strtod(s);
            if s.is_empty() || used != s.len() {
                return None;
            }
            v
        }
    };
    (!score.is_nan()).then_some(score)
}

/// Checks member/score pairs of a listpack (even count, no repeated member,
/// valid scores) and encodes the set as Redis 7.0 does after loading one: the
/// listpack itself while within `zset-max-listpack-entries`, a skiplist past it.
fn zset_from_pairs(lp: Listpack, ctx: &mut Ctx<'_>) -> Option<Option<ZSet>> {
    let mut entries: Vec<(Vec<u8>, f64)> = Vec::with_capacity(lp.len() / 2);
    let mut seen = HashSet::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let Some(member) = it.next() {
        let score = pair_score(&it.next()?)?;
        let member = entry_vec(&member);
        if !seen.insert(member.clone()) {
            return None;
        }
        entries.push((member, score));
    }
    if entries.is_empty() {
        return Some(None);
    }
    let force = |entries| ZsetLimits {
        max_listpack_entries: entries,
        max_listpack_value: usize::MAX,
    };
    if entries.len() > ctx.opts.zset_limits.max_listpack_entries {
        return Some(Some(ZSet::from_entries(entries, &force(0), &mut ctx.rng)));
    }
    // Redis trusts the order; this server's listpack code relies on it, so an
    // unordered blob is re-sorted rather than kept.
    let ordered = entries.windows(2).all(|w| match (w.first(), w.get(1)) {
        (Some(a), Some(b)) => (a.1, &a.0) <= (b.1, &b.0),
        _ => true,
    });
    if ordered {
        Some(Some(ZSet::Listpack(lp)))
    } else {
        Some(Some(ZSet::from_entries(
            entries,
            &force(usize::MAX),
            &mut ctx.rng,
        )))
    }
}

/// TYPE_ZSET_ZIPLIST: the pairs moved into a listpack.
fn zset_from_ziplist(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<ZSet>, &'static str> {
    const WHY: &str = "Zset ziplist integrity check failed.";
    let lp = listpack_from_ziplist(blob).ok_or(WHY)?;
    zset_from_pairs(lp, ctx).ok_or(WHY)
}

/// TYPE_ZSET_LISTPACK: the listpack verbatim once validated.
fn zset_from_listpack(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<ZSet>, &'static str> {
    const WHY: &str = "Zset listpack integrity check failed.";
    let lp = Listpack::from_bytes(blob).ok_or(WHY)?;
    zset_from_pairs(lp, ctx).ok_or(WHY)
}

/// TYPE_HASH: a count, then field/value pairs; a table from the start past
/// `hash-max-listpack-entries`, else a listpack until a string is too long.
fn hash_of_pairs(input: &mut Input<'_>, ctx: &mut Ctx<'_>) -> Read<Option<Hash>> {
    let len = input.len()?;
    let limits = ctx.opts.hash_limits;
    let mut hash = Hash::new();
    if len > limits.max_listpack_entries as u64 {
        hash.convert_to_table(&mut ctx.rng);
    }
    // The listpack phase checks duplicates itself; the table refuses them on insert.
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for _ in 0..len {
        let at = input.pos();
        let field = input.string()?;
        let value = input.string()?;
        let fresh = match &mut hash {
            Hash::Listpack(lp) => {
                let small = field.len() <= limits.max_listpack_value
                    && value.len() <= limits.max_listpack_value
                    && lp.safe_to_add(field.len() + value.len());
                let fresh = seen.insert(field.to_vec());
                if small && fresh {
                    lp.push_back(&field);
                    lp.push_back(&value);
                } else if fresh {
                    seen = HashSet::new();
                    hash.convert_to_table(&mut ctx.rng);
                    hash.set(&field, &value, limits, &mut ctx.rng);
                }
                fresh
            }
            Hash::Table(_) => hash.set(&field, &value, limits, &mut ctx.rng),
        };
        if !fresh {
            return Err(input.corrupt(at, "Duplicate hash fields detected"));
        }
    }
    Ok((!hash.is_empty()).then_some(hash))
}

/// A listpack of pairs as a hash, converted past `hash-max-listpack-entries`
/// or, when `max_len` is given (zipmaps), past `hash-max-listpack-value`.
fn hash_from_pairs(lp: Listpack, max_len: usize, ctx: &mut Ctx<'_>) -> Option<Option<Hash>> {
    let mut hash = Hash::from_listpack(lp)?;
    if hash.is_empty() {
        return Some(None);
    }
    let limits = ctx.opts.hash_limits;
    if hash.len() > limits.max_listpack_entries || max_len > limits.max_listpack_value {
        hash.convert_to_table(&mut ctx.rng);
    }
    Some(Some(hash))
}

/// TYPE_HASH_ZIPMAP (Redis 2.x).
fn hash_from_zipmap(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Hash, &'static str> {
    const WHY: &str = "Hash zipmap with dup elements, or big length";
    let pairs = legacy::zipmap_pairs(blob).ok_or("Zipmap integrity check failed.")?;
    let mut lp = Listpack::new();
    let mut max_len = 0;
    for (field, value) in pairs {
        max_len = max_len.max(field.len()).max(value.len());
        if !push_checked(&mut lp, field) || !push_checked(&mut lp, value) {
            return Err(WHY);
        }
    }
    // A valid zipmap is never empty.
    hash_from_pairs(lp, max_len, ctx).flatten().ok_or(WHY)
}

/// TYPE_HASH_ZIPLIST.
fn hash_from_ziplist(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<Hash>, &'static str> {
    const WHY: &str = "Hash ziplist integrity check failed.";
    let lp = listpack_from_ziplist(blob).ok_or(WHY)?;
    hash_from_pairs(lp, 0, ctx).ok_or(WHY)
}

/// TYPE_HASH_LISTPACK: the listpack verbatim once validated.
fn hash_from_listpack(blob: &[u8], ctx: &mut Ctx<'_>) -> Result<Option<Hash>, &'static str> {
    const WHY: &str = "Hash listpack integrity check failed.";
    let lp = Listpack::from_bytes(blob).ok_or(WHY)?;
    hash_from_pairs(lp, 0, ctx).ok_or(WHY)
}
