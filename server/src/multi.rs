//! Transactions: the MULTI queue, and WATCH's optimistic locking.
//!
//! This mirrors Redis's `multi.c`. After MULTI, the gate (`dispatch::process`)
//! queues every command that passed lookup and the checks, replying `+QUEUED`;
//! a command rejected while queueing (unknown, wrong arity, ...) marks the
//! transaction aborted, and EXEC then answers `-EXECABORT` without running
//! anything. EXEC runs the queue through the same `call` as any command, so
//! commandstats, SLOWLOG and MONITOR see each queued command, and replies an
//! array of their replies.
//!
//! WATCH records `(db, key)` pairs in a registry owned by the server, not by
//! the clients: a write by one client must mark another client's transaction
//! dirty, and the other client may be borrowed elsewhere at that moment (the
//! connection task that runs a blocked client's command again holds two). A
//! watched key is "touched", and its watchers' next EXEC fails with a null
//! array, when:
//!
//! - a command that changed the dataset (the `dirty` counter moved) named it as
//!   a key, or MOVE / COPY ... DB wrote it in another database ([`after_command`]);
//! - it was deleted by expiry, lazily or by the active cycle ([`touch_expired`]);
//! - FLUSHDB, FLUSHALL or SWAPDB removed or replaced it (decided before the
//!   command runs, because afterwards the old contents are gone);
//! - at EXEC it is logically expired though not yet deleted.
//!
//! As in Redis 7.0, a key that was already expired when WATCHed is remembered as
//! such: its deletion by expiry is then no change at all.

use std::collections::HashMap;

use bytes::Bytes;

use crate::client::Client;
use crate::command::{parse_i64, CommandSpec};
use crate::state::Server;

/// One command waiting in a MULTI queue.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The table row that runs.
    pub spec: &'static CommandSpec,
    /// For a subcommand, its container.
    pub parent: Option<&'static CommandSpec>,
    /// The arguments, command name first.
    pub argv: Vec<Bytes>,
}

/// A client's open transaction (Redis's `c->mstate` and CLIENT_DIRTY_EXEC).
#[derive(Debug, Default)]
pub struct MultiState {
    /// Queued commands, in order.
    pub commands: Vec<Queued>,
    /// A command was rejected while queueing: EXEC will answer EXECABORT.
    pub aborted: bool,
}

/// One client watching one key.
#[derive(Debug)]
struct Watcher {
    client: u64,
    /// The key was already logically expired when WATCHed.
    expired: bool,
}

/// The WATCH registry: watchers by key, and each watching client's keys and
/// CAS state.
#[derive(Debug, Default)]
pub struct Watches {
    by_key: HashMap<usize, HashMap<Bytes, Vec<Watcher>>>,
    by_client: HashMap<u64, ClientWatches>,
}

#[derive(Debug, Default)]
struct ClientWatches {
    keys: Vec<(usize, Bytes)>,
    /// Redis's CLIENT_DIRTY_CAS: a watched key was touched.
    dirty: bool,
}

impl Watches {
    /// True when no client watches anything (the common case skips all work).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// True when a key watched by `client` was touched since it was WATCHed.
    pub fn is_dirty(&self, client: u64) -> bool {
        self.by_client.get(&client).is_some_and(|w| w.dirty)
    }

    /// Number of keys `client` watches.
    pub fn watched_by(&self, client: u64) -> usize {
        self.by_client.get(&client).map_or(0, |w| w.keys.len())
    }

    /// Starts watching; a key already watched by this client in this db is kept as is.
    fn add(&mut self, client: u64, db: usize, key: &Bytes, expired: bool) {
        let entry = self.by_client.entry(client).or_default();
        if entry.keys.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        entry.keys.push((db, key.clone()));
        self.by_key
            .entry(db)
            .or_default()
            .entry(key.clone())
            .or_default()
            .push(Watcher { client, expired });
    }

    /// Drops every key and the dirty flag of `client` (EXEC, DISCARD, UNWATCH, RESET, close).
    fn forget(&mut self, client: u64) {
        let Some(entry) = self.by_client.remove(&client) else {
            return;
        };
        for (db, key) in entry.keys {
            let Some(keys) = self.by_key.get_mut(&db) else {
                continue;
            };
            if let Some(watchers) = keys.get_mut(&key) {
                watchers.retain(|w| w.client != client);
                if watchers.is_empty() {
                    keys.remove(&key);
                }
            }
            if keys.is_empty() {
                self.by_key.remove(&db);
            }
        }
    }

    fn watcher(&self, db: usize, key: &[u8], client: u64) -> Option<&Watcher> {
        self.by_key
            .get(&db)?
            .get(key)?
            .iter()
            .find(|w| w.client == client)
    }

    fn watcher_mut(&mut self, db: usize, key: &[u8], client: u64) -> Option<&mut Watcher> {
        self.by_key
            .get_mut(&db)?
            .get_mut(key)?
            .iter_mut()
            .find(|w| w.client == client)
    }

    fn mark_dirty(&mut self, client: u64) {
        if let Some(entry) = self.by_client.get_mut(&client) {
            entry.dirty = true;
        }
    }

    /// Redis's `touchWatchedKey`; `still_exists` tells whether the key is in the
    /// dict after the change (an expired-when-watched key that is now gone is
    /// no logical change).
    fn touch(&mut self, db: usize, key: &[u8], still_exists: bool) {
        let Some(watchers) = self.by_key.get_mut(&db).and_then(|keys| keys.get_mut(key)) else {
            return;
        };
        let mut dirty = Vec::new();
        for w in watchers.iter_mut() {
            if w.expired && !still_exists {
                w.expired = false;
                continue;
            }
            dirty.push(w.client);
        }
        for client in dirty {
            self.mark_dirty(client);
        }
    }
}

/// Marks the open transaction aborted (Redis's `flagTransaction`), after a
/// command was rejected while queueing.
pub fn flag_transaction(client: &mut Client) {
    if let Some(multi) = client.multi.as_mut() {
        multi.aborted = true;
    }
}

/// True for the commands MULTI does not queue: they act on the transaction itself.
pub fn runs_immediately(spec: &CommandSpec, parent: Option<&CommandSpec>) -> bool {
    parent.is_none()
        && matches!(
            spec.name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        )
}

/// Queues a command that passed the gate inside MULTI. Once the transaction is
/// doomed (aborted, or a watched key was touched) nothing more is kept, as in
/// Redis 7.0: it will not run anyway.
pub fn queue(
    server: &Server,
    client: &mut Client,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    argv: &[Bytes],
) {
    let dirty = server.watches.is_dirty(client.id);
    if let Some(multi) = client.multi.as_mut() {
        if !multi.aborted && !dirty {
            multi.commands.push(Queued {
                spec,
                parent,
                argv: argv.to_vec(),
            });
        }
    }
}

/// Ends the transaction and releases the client's watched keys (`discardTransaction`).
pub fn discard(server: &mut Server, client: &mut Client) {
    client.multi = None;
    server.watches.forget(client.id);
}

/// WATCH of one key by `client` in `db`.
pub fn watch(server: &mut Server, client: u64, db: usize, key: &Bytes) {
    // Expiry deletions not yet seen must land on the keys watched so far, not
    // on this new watch.
    drain_expired(server);
    let now = server.clock.now_ms();
    let expired = server.keyspace.db(db).is_expired(key, now);
    server.watches.add(client, db, key, expired);
}

/// UNWATCH: forget the keys and the dirty flag.
pub fn unwatch(server: &mut Server, client: u64) {
    server.watches.forget(client);
}

/// EXEC's check: has a watched key been touched, or has one expired since WATCH
/// though nothing deleted it yet (Redis's `isWatchedKeyExpired`)?
pub fn exec_is_dirty(server: &mut Server, client: u64) -> bool {
    drain_expired(server);
    let Some(entry) = server.watches.by_client.get(&client) else {
        return false;
    };
    if entry.dirty {
        return true;
    }
    let now = server.clock.now_ms();
    entry.keys.iter().any(|(db, key)| {
        let was_expired = server
            .watches
            .watcher(*db, key, client)
            .is_some_and(|w| w.expired);
        !was_expired && server.keyspace.db(*db).is_expired(key, now)
    })
}

/// Feeds keys deleted by expiry (`Keyspace::take_expired`) to WATCH. The cron
/// and the command path call this with what they drained.
pub fn touch_expired(server: &mut Server, expired: &[(usize, storage::Sds)]) {
    if server.watches.is_empty() {
        return;
    }
    for (db, key) in expired {
        server.watches.touch(*db, key.as_bytes(), false);
    }
}

/// Drains the keyspace's log of expiry deletions into WATCH (when anyone watches).
fn drain_expired(server: &mut Server) {
    if server.watches.is_empty() {
        return;
    }
    let expired = server.keyspace.take_expired();
    touch_expired(server, &expired);
}

/// Closes the transaction state of a client that is going away or RESETs.
pub fn forget_client(server: &mut Server, client: &mut Client) {
    discard(server, client);
}

/// The watched-key changes FLUSHDB / FLUSHALL / SWAPDB will cause, worked out
/// before they run (afterwards the old contents are gone).
#[derive(Debug, Default)]
pub struct FlushPlan {
    dirty: Vec<u64>,
    expired_flags: Vec<(usize, Bytes, u64, bool)>,
}

/// For FLUSHDB, FLUSHALL and SWAPDB with watchers around, the plan to apply if
/// the command succeeds; None for every other command.
pub fn plan_flush(
    server: &Server,
    db: usize,
    spec: &CommandSpec,
    argv: &[Bytes],
) -> Option<FlushPlan> {
    if server.watches.is_empty() {
        return None;
    }
    let mut plan = FlushPlan::default();
    match spec.name {
        "flushdb" => plan_emptied(server, db, None, &mut plan),
        "flushall" => {
            for db in 0..server.keyspace.len() {
                plan_emptied(server, db, None, &mut plan);
            }
        }
        "swapdb" => {
            let index = |i: usize| {
                argv.get(i)
                    .and_then(|a| parse_i64(a))
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n < server.keyspace.len())
            };
            let (Some(a), Some(b)) = (index(1), index(2)) else {
                return None;
            };
            if a == b {
                return None;
            }
            plan_emptied(server, a, Some(b), &mut plan);
            plan_emptied(server, b, Some(a), &mut plan);
        }
        _ => return None,
    }
    Some(plan)
}

/// Redis's `touchAllWatchedKeysInDb(emptied, replaced_with)`.
fn plan_emptied(
    server: &Server,
    emptied: usize,
    replaced_with: Option<usize>,
    plan: &mut FlushPlan,
) {
    let now = server.clock.now_ms();
    let in_db = |db: usize, key: &[u8]| server.keyspace.db(db).peek(key).is_some();
    let expired_in = |db: usize, key: &[u8]| server.keyspace.db(db).is_expired(key, now);
    let Some(keys) = server.watches.by_key.get(&emptied) else {
        return;
    };
    for (key, watchers) in keys {
        let exists_emptied = in_db(emptied, key);
        let exists_replaced = replaced_with.is_some_and(|r| in_db(r, key));
        if !exists_emptied && !exists_replaced {
            continue;
        }
        for w in watchers {
            if w.expired {
                match replaced_with {
                    Some(r) if exists_replaced => {
                        if expired_in(r, key) {
                            continue; // still expired after the swap
                        }
                    }
                    _ => {
                        // The expired key goes away: no logical change.
                        plan.expired_flags
                            .push((emptied, key.clone(), w.client, false));
                        continue;
                    }
                }
            } else if !exists_emptied && replaced_with.is_some_and(|r| expired_in(r, key)) {
                // A missing key replaced by an already expired one.
                plan.expired_flags
                    .push((emptied, key.clone(), w.client, true));
                continue;
            }
            plan.dirty.push(w.client);
        }
    }
}

/// Touches WATCH for everything FLUSHDB/FLUSHALL would remove, right now.
/// For code that empties databases outside those commands (DEBUG RELOAD, a
/// full resync): call it before emptying; `db` None means every database.
pub fn touch_before_flush(server: &mut Server, db: Option<usize>) {
    if server.watches.is_empty() {
        return;
    }
    let mut plan = FlushPlan::default();
    match db {
        Some(db) => plan_emptied(server, db, None, &mut plan),
        None => {
            for db in 0..server.keyspace.len() {
                plan_emptied(server, db, None, &mut plan);
            }
        }
    }
    apply_plan(server, plan);
}

fn apply_plan(server: &mut Server, plan: FlushPlan) {
    for client in plan.dirty {
        server.watches.mark_dirty(client);
    }
    for (db, key, client, expired) in plan.expired_flags {
        if let Some(w) = server.watches.watcher_mut(db, &key, client) {
            w.expired = expired;
        }
    }
}

/// What one executed command did, for WATCH.
pub struct Executed<'a> {
    /// The database it ran in (the client's before the command).
    pub db: usize,
    /// Its table row.
    pub spec: &'static CommandSpec,
    /// Its arguments.
    pub argv: &'a [Bytes],
    /// `server.dirty` before it ran.
    pub dirty_before: u64,
    /// It replied with an error.
    pub failed: bool,
}

/// After every command while anyone watches: touch the keys it changed, and
/// the keys expiry deleted meanwhile.
pub fn after_command(server: &mut Server, done: &Executed<'_>, plan: Option<FlushPlan>) {
    if server.watches.is_empty() {
        return;
    }
    drain_expired(server);
    if let Some(plan) = plan {
        if !done.failed {
            apply_plan(server, plan);
        }
        return;
    }
    if server.dirty == done.dirty_before {
        return;
    }
    match done.spec.name {
        // COPY changes only its destination, maybe in another db.
        "copy" => {
            let dst_db = copy_destination_db(done.argv).unwrap_or(done.db);
            if let Some(key) = done.argv.get(2) {
                touch_written(server, dst_db, key);
            }
        }
        "move" => {
            if let Some(key) = done.argv.get(1) {
                touch_written(server, done.db, key);
                let dst = done.argv.get(2).and_then(|a| parse_i64(a));
                if let Some(dst) = dst.and_then(|n| usize::try_from(n).ok()) {
                    if dst < server.keyspace.len() {
                        touch_written(server, dst, key);
                    }
                }
            }
        }
        _ => {
            for i in done.spec.key_indexes(done.argv.len()) {
                if let Some(key) = done.argv.get(i) {
                    touch_written(server, done.db, key);
                }
            }
        }
    }
}

fn touch_written(server: &mut Server, db: usize, key: &[u8]) {
    let exists = server.keyspace.db(db).peek(key).is_some();
    server.watches.touch(db, key, exists);
}

/// The `DB n` option of COPY, if given and valid.
fn copy_destination_db(argv: &[Bytes]) -> Option<usize> {
    let at = argv
        .iter()
        .skip(3)
        .position(|a| a.eq_ignore_ascii_case(b"db"))?;
    let n = parse_i64(argv.get(at + 4)?)?;
    usize::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Bytes {
        Bytes::copy_from_slice(k.as_bytes())
    }

    #[test]
    fn touching_marks_every_watcher_and_forget_cleans_up() {
        let mut w = Watches::default();
        w.add(1, 0, &key("k"), false);
        w.add(2, 0, &key("k"), false);
        w.add(2, 0, &key("k"), false);
        assert_eq!(w.watched_by(2), 1);
        w.touch(1, b"k", true);
        assert!(!w.is_dirty(1), "another db's key is another key");
        w.touch(0, b"k", true);
        assert!(w.is_dirty(1) && w.is_dirty(2));
        w.forget(1);
        w.forget(2);
        assert!(w.is_empty());
        assert!(w.by_client.is_empty());
    }

    #[test]
    fn an_expired_key_deleted_by_expiry_is_no_change() {
        let mut w = Watches::default();
        w.add(1, 0, &key("k"), true);
        w.touch(0, b"k", false);
        assert!(!w.is_dirty(1));
        // Now it is a plain missing key: creating it is a change.
        w.touch(0, b"k", true);
        assert!(w.is_dirty(1));
    }

    #[test]
    fn copy_db_option_is_found() {
        let argv: Vec<Bytes> = ["COPY", "a", "b", "REPLACE", "db", "3"]
            .iter()
            .map(|s| key(s))
            .collect();
        assert_eq!(copy_destination_db(&argv), Some(3));
        let argv: Vec<Bytes> = ["COPY", "a", "b"].iter().map(|s| key(s)).collect();
        assert_eq!(copy_destination_db(&argv), None);
    }
}
