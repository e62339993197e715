//! Replication commands a master answers: SYNC, PSYNC and REPLCONF.
//!
//! A replica (redis-server with `replicaof`, or `redis-cli --replica` /
//! `--rdb`) announces itself with REPLCONF, then asks for the data set with
//! PSYNC (or the older SYNC). The work is in [`crate::replicas`]; these
//! handlers only parse and reply.

use bytes::Bytes;

use crate::command::{CommandSpec, Ctx, Flags};

/// Redis 7.0's flags for SYNC and PSYNC.
const F_SYNC: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::NO_ASYNC_LOADING)
    .with(Flags::NO_MULTI);

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sync", 1, F_SYNC, sync).doc(
        "server",
        "1.0.0",
        "O(1)",
        "Internal command used for replication",
    ),
    CommandSpec::new("psync", -3, F_SYNC, sync).doc(
        "server",
        "2.8.0",
        "O(1)",
        "Internal command used for replication",
    ),
    CommandSpec::new(
        "replconf",
        -1,
        Flags::ADMIN
            .with(Flags::NOSCRIPT)
            .with(Flags::LOADING)
            .with(Flags::STALE)
            .with(Flags::ALLOW_BUSY),
        replconf,
    )
    .doc(
        "server",
        "3.0.0",
        "O(1)",
        "An internal command for configuring the replication stream",
    ),
];

fn sync(ctx: &mut Ctx, args: &[Bytes]) {
    if let Err(e) = crate::replicas::sync(ctx.server, ctx.client, args) {
        ctx.reply().error(&e);
    }
}

fn replconf(ctx: &mut Ctx, args: &[Bytes]) {
    match crate::replicas::replconf(ctx.server, ctx.client, args) {
        Ok(true) => ctx.reply().ok(),
        Ok(false) => {}
        Err(e) => ctx.reply().error(&e),
    }
}
