//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP): clients that wait for a key to receive data.
//!
//! A blocking handler first tries to serve like its non-blocking twin. When every
//! key is empty it calls [`block`]: the client is parked on those keys (in arrival
//! order per key) with its argv and deadline, and its connection stops processing
//! further requests. After any command that changed the dataset, [`serve_ready`]
//! looks at the keys clients wait on; for each key that now exists it re-runs the
//! waiting clients' commands, first come first served, until the key is gone again.
//! A re-run that finds nothing calls `block` again and keeps its place and
//! deadline. This is Redis 7.2's "reprocess the command" design, which gives the
//! same replies as 7.0's per-type serving, including the fairness rules, with one
//! code path for every blocking command.
//!
//! Deadlines are checked by the waiting client's own connection task, which
//! sleeps until the deadline: on timeout the client gets a null array, as in Redis.
//! Inside MULTI/EXEC nothing blocks: `block` replies the null array at once.
//!
//! A re-run goes through `dispatch::call` like any command, so what it
//! propagates is what its handler rewrote itself to (LPOP for BLPOP, ZPOPMIN
//! for BZPOPMIN, ...), each served client as its own operation, as Redis
//! propagates each client it serves.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::client::Client;
use crate::command::Ctx;
use crate::state::Server;

/// What a blocked client waits for.
#[derive(Debug)]
pub struct Blocked {
    /// The command to run again when a key is ready.
    pub argv: Vec<Bytes>,
    /// The keys it waits on.
    pub keys: Vec<Bytes>,
    /// Their database.
    pub db: usize,
    /// Unix ms when it times out (None: never).
    pub deadline_ms: Option<i64>,
}

/// The server's index of blocked clients by key.
#[derive(Debug, Default)]
pub struct BlockingState {
    /// (db, key) -> client ids in arrival order.
    waiting: HashMap<(usize, Bytes), VecDeque<u64>>,
    /// Number of blocked clients (INFO blocked_clients).
    pub blocked_clients: usize,
    /// The client whose command is being re-run, and whether it blocked again.
    reprocessing: Option<(u64, bool)>,
}

/// Blocks the calling client on `keys` until one of them may have data, or until
/// `timeout_ms` passes (0: forever). Call it from a blocking handler when none of
/// the keys has anything to pop, and return without replying (see the module doc).
pub fn block(ctx: &mut Ctx, args: &[Bytes], keys: &[Bytes], timeout_ms: u64) {
    if ctx.client.in_exec {
        return ctx.reply().null_array();
    }
    let id = ctx.client.id;
    if let Some((rerun, again)) = ctx.server.blocking.reprocessing.as_mut() {
        if *rerun == id {
            *again = true;
            return;
        }
    }
    let db = ctx.client.db;
    let deadline_ms = (timeout_ms > 0).then(|| ctx.now_ms().saturating_add(timeout_ms as i64));
    for key in keys {
        let queue = ctx
            .server
            .blocking
            .waiting
            .entry((db, key.clone()))
            .or_default();
        if !queue.contains(&id) {
            queue.push_back(id);
        }
    }
    ctx.server.blocking.blocked_clients += 1;
    ctx.client.blocked = Some(Box::new(Blocked {
        argv: args.to_vec(),
        keys: keys.to_vec(),
        db,
        deadline_ms,
    }));
}

/// True while a blocked client's command is being re-run because a key it
/// waits on got data (what Redis serves from `handleClientsBlockedOnKeys`).
pub fn reprocessing(server: &Server) -> bool {
    server.blocking.reprocessing.is_some()
}

/// Parses a blocking timeout in seconds (a float, as Redis 7.0 accepts) into
/// milliseconds, with Redis's errors.
pub fn parse_timeout(arg: &[u8]) -> Result<u64, &'static str> {
    const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    let text = std::str::from_utf8(arg).map_err(|_| NOT_FLOAT)?;
    let seconds: f64 = text.trim_end().parse().map_err(|_| NOT_FLOAT)?;
    if !seconds.is_finite() || text.len() != text.trim().len() {
        return Err(NOT_FLOAT);
    }
    if seconds < 0.0 {
        return Err("ERR timeout is negative");
    }
    Ok((seconds * 1000.0).ceil() as u64)
}

/// Removes `client` from the waiting lists (unblocked, timed out, or gone).
pub fn unblock(server: &mut Server, client: &mut Client) {
    let Some(blocked) = client.blocked.take() else {
        return;
    };
    for key in blocked.keys {
        let slot = (blocked.db, key);
        if let Some(queue) = server.blocking.waiting.get_mut(&slot) {
            queue.retain(|id| *id != client.id);
            if queue.is_empty() {
                server.blocking.waiting.remove(&slot);
            }
        }
    }
    server.blocking.blocked_clients = server.blocking.blocked_clients.saturating_sub(1);
}

/// Times the client out if its deadline passed: null array reply, unblocked.
/// Returns true when the client is (still) blocked afterwards.
pub fn check_timeout(server: &mut Server, client: &mut Client, now_ms: i64) -> bool {
    let Some(blocked) = client.blocked.as_ref() else {
        return false;
    };
    if blocked.deadline_ms.is_some_and(|d| now_ms >= d) {
        unblock(server, client);
        let proto = client.proto;
        resp::encode::null_array(&mut client.reply, proto);
        return false;
    }
    true
}

/// After a command that changed the dataset: serves clients blocked on keys that
/// now exist, in arrival order, by re-running their commands. `current` is the
/// client whose command just ran (it is borrowed by the caller, and never blocked).
pub fn serve_ready(server: &mut Server, current: u64) {
    // A BLMOVE served here pushes into another key, which may serve someone else:
    // go round until nothing more happens, with a bound against pathological chains.
    for _ in 0..1024 {
        if server.blocking.waiting.is_empty() || !serve_one_round(server, current) {
            return;
        }
    }
}

fn serve_one_round(server: &mut Server, current: u64) -> bool {
    let now = server.clock.now_ms();
    let ready: Vec<(usize, Bytes)> = server
        .blocking
        .waiting
        .keys()
        .filter(|(db, key)| server.keyspace.db_mut(*db).exists(key, now))
        .cloned()
        .collect();
    let mut served_any = false;
    for slot in ready {
        let waiters: Vec<u64> = server
            .blocking
            .waiting
            .get(&slot)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default();
        for id in waiters {
            if id == current || !server.keyspace.db_mut(slot.0).exists(&slot.1, now) {
                continue;
            }
            if rerun(server, id) {
                served_any = true;
            }
        }
    }
    served_any
}

/// Re-runs a blocked client's command; true when it was served (not blocked again).
fn rerun(server: &mut Server, id: u64) -> bool {
    let Some(rc) = server.clients.get(&id).cloned() else {
        return false;
    };
    let Ok(mut client) = rc.try_borrow_mut() else {
        return false;
    };
    let Some(argv) = client.blocked.as_ref().map(|b| b.argv.clone()) else {
        return false;
    };
    let saved_db = client.db;
    if let Some(b) = client.blocked.as_ref() {
        client.db = b.db;
    }
    server.blocking.reprocessing = Some((id, false));
    crate::dispatch::process(server, &mut client, &argv);
    let blocked_again = server
        .blocking
        .reprocessing
        .take()
        .is_some_and(|(_, again)| again);
    client.db = saved_db;
    if blocked_again {
        return false;
    }
    unblock(server, &mut client);
    client.notify.notify_one();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout(b"0"), Ok(0));
        assert_eq!(parse_timeout(b"1.5"), Ok(1500));
        assert_eq!(parse_timeout(b"0.001"), Ok(1));
        assert_eq!(parse_timeout(b"-1"), Err("ERR timeout is negative"));
        assert_eq!(
            parse_timeout(b"abc"),
            Err("ERR timeout is not a float or out of range")
        );
        assert_eq!(
            parse_timeout(b"inf"),
            Err("ERR timeout is not a float or out of range")
        );
    }
}
