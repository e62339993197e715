//! Client output-buffer limits (`client-output-buffer-limit <class> <hard> <soft>
//! <soft-seconds>`), as Redis's checkClientOutputBufferLimits.
//!
//! Every client belongs to a class: normal (MONITOR clients too, as in Redis's
//! getClientType), replica or pubsub. Its output memory is what CLIENT LIST
//! shows as `omem`: replies produced but not yet taken by the socket. Past the
//! hard limit it is closed at once; past the soft limit for longer than the soft
//! seconds it is closed too. That is the fix operators apply in seed case 3, and
//! what loops a replica's full sync in seed case 2. The close is logged as Redis
//! logs it, and counted in INFO stats (client_output_buffer_limit_disconnections).
//!
//! Redis checks whenever it appends to a client's reply list. Here a client's
//! own replies are checked after each of its commands, every pub/sub message
//! and MONITOR line as it is appended to the receiving client, and every
//! client once per cron tick (the soft limit's clock runs there too).

use bytes::BytesMut;

use crate::client::{Client, ClientKind};
use crate::config::{obuf_class, LogLevel, OutputBufferLimit};
use crate::log;
use crate::state::Server;

/// The class index of `client` in `client-output-buffer-limit`.
pub fn class_of(client: &Client) -> usize {
    match client.client_type() {
        ClientKind::Replica => obuf_class::REPLICA,
        ClientKind::PubSub => obuf_class::PUBSUB,
        ClientKind::Normal | ClientKind::Master => obuf_class::NORMAL,
    }
}

/// Checks `client` against its class's limits at `now_ms`; when one is passed,
/// schedules the close, logs it and returns true.
pub fn enforce(server: &mut Server, client: &mut Client, now_ms: i64) -> bool {
    // Every caller runs between commands, where a long reply tail may be sealed.
    client.seal_reply();
    let closed = check(&server.config.client_output_buffer_limits, client, now_ms);
    if closed {
        server.stats.output_buffer_limit_disconnections += 1;
    }
    closed
}

/// Appends to the replies of a client other than the one whose command runs
/// (a pub/sub message, a MONITOR line) and checks its limits right there, as
/// Redis checks on every append; true if that scheduled its close, which the
/// caller counts in INFO (it cannot lend the server while the command runs).
/// A client already closing gets nothing more, as in Redis.
pub fn push_to(
    limits: &[OutputBufferLimit; 3],
    client: &mut Client,
    now_ms: i64,
    write: impl FnOnce(&mut BytesMut),
) -> bool {
    if client.close_asap {
        return false;
    }
    write(&mut client.reply);
    // Not the client running a command: its tail may be sealed.
    client.seal_reply();
    let closed = check(limits, client, now_ms);
    client.notify.notify_one();
    closed
}

/// The limits of `client`'s class against its output memory; past one,
/// schedules the close and logs it. The caller has sealed the replies.
fn check(limits: &[OutputBufferLimit; 3], client: &mut Client, now_ms: i64) -> bool {
    if client.close_asap || client.kind == ClientKind::Master {
        return false;
    }
    let limit = limits[class_of(client)];
    if limit.hard_bytes == 0 && limit.soft_bytes == 0 {
        return false;
    }
    let used = client.output_memory() as u64;
    let hard = limit.hard_bytes > 0 && used >= limit.hard_bytes;
    let mut soft = limit.soft_bytes > 0 && used >= limit.soft_bytes;
    if soft {
        // The soft limit counts from the first time it was seen exceeded.
        if client.obuf_soft_limit_since_ms == 0 {
            client.obuf_soft_limit_since_ms = now_ms;
            soft = false;
        } else if (now_ms - client.obuf_soft_limit_since_ms) / 1000 <= limit.soft_seconds as i64 {
            soft = false;
        }
    } else {
        client.obuf_soft_limit_since_ms = 0;
    }
    if !(hard || soft) {
        return false;
    }
    let description = crate::commands::client::describe(client, now_ms);
    log::line(
        LogLevel::Warning,
        now_ms,
        &format!(
            "Client {description} scheduled to be closed ASAP for overcoming of output buffer limits."
        ),
    );
    client.close_asap = true;
    // The unsent replies are dropped with the client: that is the memory coming back.
    client.discard_reply();
    client.notify.notify_one();
    true
}
