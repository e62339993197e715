//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
//! PUBLISH, SPUBLISH and PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
//! SHARDNUMSUB: the command side of `crate::pubsub`.
//!
//! Each (un)subscribe command answers with one confirmation per name, not one
//! reply per command, exactly as Redis. A single-shard server keeps shard
//! channels apart from ordinary ones (SPUBLISH reaches only SSUBSCRIBE-rs, and
//! patterns never see shard messages), which is what Redis 7.0 does outside
//! cluster mode.

use bytes::Bytes;

use crate::command::{CommandSpec, Ctx, Flags};
use crate::commands::introspection::{reply_help, reply_subcommand_error};
use crate::pubsub::{self, Space};

/// Flags of the (un)subscribe commands; they stay usable in RESP2 subscribed mode.
const F_SUB: Flags = Flags::PUBSUB
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::ALLOW_SUBSCRIBED)
    .with(Flags::NO_PAUSE);

const F_PUBLISH: Flags = Flags::PUBSUB
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST);

const F_INTROSPECT: Flags = Flags::PUBSUB
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::NO_PAUSE);

const fn sub(
    name: &'static str,
    arity: i32,
    handler: crate::command::Handler,
    since: &'static str,
    complexity: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, F_INTROSPECT, handler).doc("pubsub", since, complexity, summary)
}

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    sub(
        "channels",
        -2,
        channels,
        "2.8.0",
        "O(N) where N is the number of active channels",
        "List active channels",
    ),
    sub(
        "numsub",
        -2,
        numsub,
        "2.8.0",
        "O(N) for the NUMSUB subcommand",
        "Get the count of subscribers for channels",
    ),
    sub(
        "numpat",
        2,
        numpat,
        "2.8.0",
        "O(1)",
        "Get the count of unique patterns pattern subscriptions",
    ),
    sub(
        "shardchannels",
        -2,
        shardchannels,
        "7.0.0",
        "O(N) where N is the number of active shard channels",
        "List active shard channels",
    ),
    sub(
        "shardnumsub",
        -2,
        shardnumsub,
        "7.0.0",
        "O(N) for the SHARDNUMSUB subcommand",
        "Get the count of subscribers for shard channels",
    ),
    CommandSpec::new(
        "help",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::NO_PAUSE),
        help,
    )
    .doc(
        "pubsub",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, F_SUB, subscribe)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of channels to subscribe to.", "Listen for messages published to the given channels"),
    CommandSpec::new("unsubscribe", -1, F_SUB, unsubscribe)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.", "Stop listening for messages posted to the given channels"),
    CommandSpec::new("psubscribe", -2, F_SUB, psubscribe)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.", "Listen for messages published to channels matching the given patterns"),
    CommandSpec::new("punsubscribe", -1, F_SUB, punsubscribe)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "Stop listening for messages posted to channels matching the given patterns"),
    CommandSpec::new("ssubscribe", -2, F_SUB, ssubscribe)
        .keys(1, -1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.", "Listen for messages published to the given shard channels"),
    CommandSpec::new("sunsubscribe", -1, F_SUB, sunsubscribe)
        .keys(1, -1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.", "Stop listening for messages posted to the given shard channels"),
    CommandSpec::new("publish", 3, F_PUBLISH, publish)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Post a message to a channel"),
    CommandSpec::new("spublish", 3, F_PUBLISH, spublish)
        .keys(1, 1, 1)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "Post a message to a shard channel"),
    CommandSpec::new("pubsub", -2, Flags::NONE, help)
        .doc("pubsub", "2.8.0", "Depends on subcommand.", "A container for Pub/Sub commands")
        .subs(PUBSUB_SUBCOMMANDS),
];

fn subscribe_each(ctx: &mut Ctx, args: &[Bytes], space: Space) {
    for name in &args[1..] {
        pubsub::subscribe(ctx.server, ctx.client, space, name);
    }
}

fn unsubscribe_each(ctx: &mut Ctx, args: &[Bytes], space: Space) {
    if args.len() == 1 {
        return pubsub::unsubscribe_all(ctx.server, ctx.client, space, true);
    }
    for name in &args[1..] {
        pubsub::unsubscribe(ctx.server, ctx.client, space, name, true);
    }
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, args: &[Bytes]) {
    subscribe_each(ctx, args, Space::Channels);
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) {
    unsubscribe_each(ctx, args, Space::Channels);
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) {
    subscribe_each(ctx, args, Space::Patterns);
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) {
    unsubscribe_each(ctx, args, Space::Patterns);
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) {
    // Unlike SUBSCRIBE, Redis keeps no MULTI exception here: a client that
    // expects one reply per command (inside EXEC) may not enter subscribed mode.
    if ctx.client.in_exec {
        return ctx
            .reply()
            .error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    subscribe_each(ctx, args, Space::ShardChannels);
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, args: &[Bytes]) {
    unsubscribe_each(ctx, args, Space::ShardChannels);
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx, args: &[Bytes]) {
    let receivers = pubsub::publish(ctx.server, ctx.client, Space::Channels, &args[1], &args[2]);
    // Changes no data, yet goes to the replicas so that their subscribers
    // hear it too (Redis outside cluster mode).
    crate::replicas::force_propagation(ctx.server);
    ctx.reply().integer(receivers as i64);
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, args: &[Bytes]) {
    let receivers = pubsub::publish(
        ctx.server,
        ctx.client,
        Space::ShardChannels,
        &args[1],
        &args[2],
    );
    // As PUBLISH: outside cluster mode Redis sends it to the replicas.
    crate::replicas::force_propagation(ctx.server);
    ctx.reply().integer(receivers as i64);
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: names with subscribers.
fn list_names(ctx: &mut Ctx, args: &[Bytes], space: Space) {
    if args.len() > 3 {
        return reply_subcommand_error(ctx, args);
    }
    let pattern = args.get(2);
    let names: Vec<Bytes> = ctx
        .server
        .pubsub
        .names(space)
        .filter(|name| pattern.is_none_or(|p| storage::glob::matches(p, name, false)))
        .cloned()
        .collect();
    let mut reply = ctx.reply();
    reply.array(names.len());
    for name in &names {
        reply.bulk(name);
    }
}

/// PUBSUB NUMSUB / SHARDNUMSUB [name ...]: a flat list of name, count pairs.
fn count_subscribers(ctx: &mut Ctx, args: &[Bytes], space: Space) {
    let counts: Vec<usize> = args[2..]
        .iter()
        .map(|name| ctx.server.pubsub.subscribers(space, name))
        .collect();
    let mut reply = ctx.reply();
    reply.array(counts.len() * 2);
    for (name, count) in args[2..].iter().zip(counts) {
        reply.bulk(name);
        reply.integer(count as i64);
    }
}

fn channels(ctx: &mut Ctx, args: &[Bytes]) {
    list_names(ctx, args, Space::Channels);
}

fn shardchannels(ctx: &mut Ctx, args: &[Bytes]) {
    list_names(ctx, args, Space::ShardChannels);
}

fn numsub(ctx: &mut Ctx, args: &[Bytes]) {
    count_subscribers(ctx, args, Space::Channels);
}

fn shardnumsub(ctx: &mut Ctx, args: &[Bytes]) {
    count_subscribers(ctx, args, Space::ShardChannels);
}

fn numpat(ctx: &mut Ctx, _args: &[Bytes]) {
    let n = ctx.server.pubsub.len(Space::Patterns);
    ctx.reply().integer(n as i64);
}

/// PUBSUB HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "CHANNELS [<pattern>]",
            "    List the channels that have subscribers, optionally only those matching <pattern>.",
            "NUMPAT",
            "    Count the distinct patterns subscribed to.",
            "NUMSUB [<channel> ...]",
            "    For each channel, count its subscribers (pattern subscribers not included).",
            "SHARDCHANNELS [<pattern>]",
            "    List the shard channels that have subscribers, optionally only those matching <pattern>.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    For each shard channel, count its subscribers.",
        ],
    );
}
