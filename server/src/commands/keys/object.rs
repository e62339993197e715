//! OBJECT ENCODING / IDLETIME / FREQ / REFCOUNT / HELP (Redis's `object.c`).
//!
//! Lookups here do not touch the key's access clock (`LOOKUP_NOTOUCH`), so OBJECT
//! IDLETIME can be asked without resetting what it measures; they do count as
//! keyspace hits or misses, as in Redis. REFCOUNT is 1 for every value except
//! Redis's shared integers (0..9999), which report INT_MAX: redrill shares no
//! objects but mirrors what a client would see.

use bytes::Bytes;
use storage::value::StringValue;
use storage::{Lookup, Value};

use super::lookup_read;
use crate::command::{CommandSpec, Ctx, Flags};

const R: Flags = Flags::READONLY;

/// OBJECT's subcommands.
pub(super) const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("encoding", 3, R, encoding)
        .keys(2, 2, 1)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Inspect the internal encoding of a Redis object",
        ),
    CommandSpec::new("freq", 3, R, freq).keys(2, 2, 1).doc(
        "generic",
        "4.0.0",
        "O(1)",
        "Get the logarithmic access frequency counter of a Redis object",
    ),
    CommandSpec::new("help", 2, Flags::LOADING.with(Flags::STALE), help).doc(
        "generic",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("idletime", 3, R, idletime)
        .keys(2, 2, 1)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the time since a Redis object was last accessed",
        ),
    CommandSpec::new("refcount", 3, R, refcount)
        .keys(2, 2, 1)
        .doc(
            "generic",
            "2.2.3",
            "O(1)",
            "Get the number of references to the value of the key",
        ),
];

/// Redis's shared integers are 0..OBJ_SHARED_INTEGERS.
const OBJ_SHARED_INTEGERS: i64 = 10_000;

/// Looks the key up without touching it and reads one fact from its value (no
/// copy: OBJECT on a million-element hash must stay O(1)); replies null and
/// returns None if the key is missing.
fn lookup<R>(ctx: &mut Ctx<'_>, key: &[u8], read: impl FnOnce(&Value) -> R) -> Option<R> {
    let db = ctx.client.db;
    let found = lookup_read(ctx.server, db, key, Lookup::NoTouch).map(read);
    if found.is_none() {
        ctx.reply().null();
    }
    found
}

fn encoding(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if let Some(name) = lookup(ctx, &args[2], Value::encoding) {
        ctx.reply().bulk(name.as_bytes());
    }
}

fn refcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let shared_integer = |value: &Value| matches!(value, Value::String(StringValue::Int(n)) if (0..OBJ_SHARED_INTEGERS).contains(n));
    if let Some(shared) = lookup(ctx, &args[2], shared_integer) {
        ctx.reply()
            .integer(if shared { i64::from(i32::MAX) } else { 1 });
    }
}

fn idletime(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if lookup(ctx, &args[2], |_| ()).is_some() {
        if crate::evict::lfu_selected(ctx.server) {
            ctx.reply().error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
            return;
        }
        let now = ctx.now_ms();
        let idle_ms = ctx.db().idle_ms(&args[2], now).unwrap_or(0);
        ctx.reply().integer((idle_ms / 1000) as i64);
    }
}

fn freq(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if lookup(ctx, &args[2], |_| ()).is_some() {
        if crate::evict::lfu_selected(ctx.server) {
            // The decayed counter, read without counting this look as an access.
            let now = ctx.now_ms();
            let freq = ctx.db().lfu_freq(&args[2], now).unwrap_or(0);
            ctx.reply().integer(i64::from(freq));
            return;
        }
        ctx.reply().error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
}

fn help(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    const LINES: [&str; 15] = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Print this help.",
    ];
    let mut reply = ctx.reply();
    reply.array(LINES.len());
    for line in LINES {
        reply.simple(line);
    }
}
