//! SLOWLOG GET / LEN / RESET / HELP: reading the slow log (see `crate::slowlog`).
//!
//! SLOWLOG GET replies with Redis 4.0+'s six-field entries, newest first:
//! `[id, unix time, microseconds, [args...], "ip:port", "client name"]`.
//! The count defaults to 10 and -1 means all; anything below -1 or not an
//! integer gets Redis 7.0's error.

use bytes::Bytes;

use crate::command::{parse_i64, CommandSpec, Ctx, Flags};
use crate::commands::introspection::{reply_help, reply_subcommand_error};

const F_READ: Flags = Flags::ADMIN
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::NO_PAUSE);

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", -2, F_READ, get).doc(
        "server",
        "2.2.12",
        "O(N) where N is the number of entries returned",
        "Get the slow log's entries",
    ),
    CommandSpec::new("len", 2, F_READ, len).doc(
        "server",
        "2.2.12",
        "O(1)",
        "Get the slow log's length",
    ),
    CommandSpec::new("reset", 2, F_READ, reset).doc(
        "server",
        "2.2.12",
        "O(N) where N is the number of entries in the slowlog",
        "Clear all entries from the slow log",
    ),
    CommandSpec::new(
        "help",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::NO_PAUSE),
        help,
    )
    .doc(
        "server",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("slowlog", -2, Flags::NONE, help)
    .doc(
        "server",
        "2.2.12",
        "Depends on subcommand.",
        "A container for slow log commands",
    )
    .subs(SUBCOMMANDS)];

/// How many entries GET returns when no count is given.
const DEFAULT_COUNT: usize = 10;

/// SLOWLOG GET [count]
fn get(ctx: &mut Ctx, args: &[Bytes]) {
    if args.len() > 3 {
        return reply_subcommand_error(ctx, args);
    }
    let count = match args.get(2) {
        None => DEFAULT_COUNT,
        Some(arg) => match parse_i64(arg) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return ctx
                    .reply()
                    .error("ERR count should be greater than or equal to -1")
            }
        },
    };
    let Ctx { server, client } = ctx;
    let mut reply = crate::command::Reply {
        out: &mut client.reply,
        proto: client.proto,
    };
    let shown = count.min(server.slowlog.len());
    reply.array(shown);
    for entry in server.slowlog.entries().take(shown) {
        reply.array(6);
        reply.integer(i64::try_from(entry.id).unwrap_or(i64::MAX));
        reply.integer(entry.time_unix_s);
        reply.integer(i64::try_from(entry.duration_us).unwrap_or(i64::MAX));
        reply.array(entry.args.len());
        for arg in &entry.args {
            reply.bulk(arg);
        }
        reply.bulk(entry.peer.as_bytes());
        reply.bulk(&entry.client_name);
    }
}

/// SLOWLOG LEN
fn len(ctx: &mut Ctx, _args: &[Bytes]) {
    let n = ctx.server.slowlog.len();
    ctx.reply().integer(i64::try_from(n).unwrap_or(i64::MAX));
}

/// SLOWLOG RESET
fn reset(ctx: &mut Ctx, _args: &[Bytes]) {
    ctx.server.slowlog.reset();
    ctx.reply().ok();
}

/// SLOWLOG HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "GET [<count>]",
            "    Return the <count> newest entries of the slow log (default: 10, -1 means all).",
            "    Each entry holds: id, unix timestamp, execution time in microseconds,",
            "    the arguments, the client's ip:port and the client's name.",
            "LEN",
            "    Return the number of entries in the slow log.",
            "RESET",
            "    Remove every entry from the slow log.",
        ],
    );
}
