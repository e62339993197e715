//! MULTI, EXEC, DISCARD, WATCH and UNWATCH: the command side of `crate::multi`.
//!
//! Queueing itself happens in the gate (`dispatch::process`), which never lets
//! these five be queued except UNWATCH. EXEC decides between three outcomes, in
//! Redis 7.0's order: `-EXECABORT` when a command was refused while queueing, a
//! null array when a watched key was touched (or expired), otherwise the array
//! of the queued commands' replies, each run through `dispatch::call` with
//! `in_exec` set so nothing blocks.

use bytes::Bytes;

use crate::command::{CommandSpec, Ctx, Flags};
use crate::multi;

const F_TX: Flags = Flags::NOSCRIPT
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST)
    .with(Flags::NO_PAUSE)
    .with(Flags::ALLOW_BUSY);

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, F_TX, multi_).doc(
        "transactions",
        "1.2.0",
        "O(1)",
        "Mark the start of a transaction block",
    ),
    CommandSpec::new(
        "exec",
        1,
        Flags::NOSCRIPT
            .with(Flags::LOADING)
            .with(Flags::STALE)
            .with(Flags::SKIP_SLOWLOG),
        exec,
    )
    .doc(
        "transactions",
        "1.2.0",
        "Depends on commands in the transaction",
        "Execute all commands issued after MULTI",
    ),
    CommandSpec::new("discard", 1, F_TX, discard).doc(
        "transactions",
        "2.0.0",
        "O(N), when N is the number of queued commands",
        "Discard all commands issued after MULTI",
    ),
    CommandSpec::new("watch", -2, F_TX, watch)
        .keys(1, -1, 1)
        .doc(
            "transactions",
            "2.2.0",
            "O(1) for every key.",
            "Watch the given keys to determine execution of the MULTI/EXEC block",
        ),
    CommandSpec::new("unwatch", 1, F_TX, unwatch).doc(
        "transactions",
        "2.2.0",
        "O(1)",
        "Forget about all watched keys",
    ),
];

/// MULTI
fn multi_(ctx: &mut Ctx, _args: &[Bytes]) {
    if ctx.client.multi.is_some() {
        return ctx.reply().error("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(multi::MultiState::default());
    ctx.reply().ok();
}

/// DISCARD
fn discard(ctx: &mut Ctx, _args: &[Bytes]) {
    if ctx.client.multi.is_none() {
        return ctx.reply().error("ERR DISCARD without MULTI");
    }
    multi::discard(ctx.server, ctx.client);
    ctx.reply().ok();
}

/// EXEC
fn exec(ctx: &mut Ctx, _args: &[Bytes]) {
    let Some(state) = ctx.client.multi.take() else {
        return ctx.reply().error("ERR EXEC without MULTI");
    };
    let watch_failed = multi::exec_is_dirty(ctx.server, ctx.client.id);
    // The transaction is over whatever happens next: release the watched keys
    // first, so the queued commands' own writes touch nobody's view of them.
    multi::discard(ctx.server, ctx.client);
    if state.aborted {
        return ctx
            .reply()
            .error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watch_failed {
        return ctx.reply().null_array();
    }
    ctx.reply().array(state.commands.len());
    let was_in_exec = ctx.client.in_exec;
    ctx.client.in_exec = true;
    for queued in &state.commands {
        crate::dispatch::call(
            ctx.server,
            ctx.client,
            queued.spec,
            queued.parent,
            &queued.argv,
        );
    }
    ctx.client.in_exec = was_in_exec;
    // CLIENT LIST shows the command the client sent, not the last queued one.
    ctx.client.last_command = "exec";
    ctx.client.last_command_parent = "";
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, args: &[Bytes]) {
    if ctx.client.multi.is_some() {
        return ctx.reply().error("ERR WATCH inside MULTI is not allowed");
    }
    // Once a watched key was touched the transaction is lost anyway.
    if !ctx.server.watches.is_dirty(ctx.client.id) {
        let (id, db) = (ctx.client.id, ctx.client.db);
        for key in &args[1..] {
            multi::watch(ctx.server, id, db, key);
        }
    }
    ctx.reply().ok();
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) {
    multi::unwatch(ctx.server, ctx.client.id);
    ctx.reply().ok();
}
