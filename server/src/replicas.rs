//! The master side of replication: replicas that attach with SYNC or PSYNC, the
//! snapshot each one loads, and the propagation stream that follows it.
//!
//! This mirrors Redis 7.0's disk-based full sync (`repl-diskless-sync no`):
//!
//! 1. `SYNC` (redis-cli --replica, old replicas) or `PSYNC <replid> <offset>`
//!    (redis-server). No backlog is kept yet, so every PSYNC is answered with a
//!    full resync: `+FULLRESYNC <replid> <offset>`.
//! 2. A background save starts (or one already started for another replica is
//!    shared). From the instant of its snapshot on, every change propagates
//!    into the replica's output buffer, held back while the file is written;
//!    that buffer is what the `replica` class of `client-output-buffer-limit`
//!    measures, and what makes a full sync of a busy master loop (seed case 2).
//! 3. When the save ends, the file goes out as one bulk (`$<len>\r\n` + bytes),
//!    then the held stream, then the live stream.
//!
//! The stream carries every command that changed the data set (dirty moved),
//! rewritten by its handler where replaying it verbatim would diverge, and
//! every key deleted by expiry or eviction as DEL (UNLINK under
//! `lazyfree-lazy-expire` / `lazyfree-lazy-eviction`), as Redis propagates
//! them. One command's operations go out together, as MULTI/EXEC when there
//! are several (`propagatePendingCommands`).

use std::io::{self, Read};

use bytes::Bytes;
use replication::stream::{Op, Stream};
use tokio::net::TcpStream;

use crate::client::{Client, ClientKind};
use crate::command::{CommandSpec, Flags};
use crate::config::LogLevel;
use crate::log;
use crate::state::Server;

/// How much of the snapshot file one write takes (Redis: PROTO_IOBUF_LEN).
const BULK_CHUNK: usize = 16 * 1024;

/// The replicas and the stream they read (Redis's `server.slaves`,
/// `slaveseldb`, `also_propagate`).
#[derive(Debug, Default)]
pub struct Replicas {
    /// The encoder; its offset is `master_repl_offset`.
    pub stream: Stream,
    /// Replica client ids, in the order they attached.
    pub ids: Vec<u64>,
    /// Operations of the command running now, sent when its outermost call ends.
    pending: Vec<Op<Bytes>>,
    /// What a handler asked to propagate instead of its own arguments; an empty
    /// vector propagates nothing.
    rewrite: Option<Vec<Bytes>>,
    /// Operations queued by handlers besides (or instead of) their own.
    extra: Vec<Op<Bytes>>,
    /// Nesting of `call` (EXEC runs its queued commands inside its own call).
    depth: u32,
    /// The running command propagates even though it changed no data (PUBLISH).
    forced: bool,
    /// Stream bytes for a replica that was busy (borrowed) when they were fed.
    deferred: Vec<(u64, Vec<u8>)>,
    /// Unix seconds of the last PING sent down the stream.
    last_ping_s: i64,
    /// Unix seconds of the last run of [`cron`] (it runs once a second).
    last_cron_s: i64,
    /// INFO stats `sync_full`.
    pub sync_full: u64,
    /// INFO stats `sync_partial_ok` (no backlog yet: always 0).
    pub sync_partial_ok: u64,
    /// INFO stats `sync_partial_err`.
    pub sync_partial_err: u64,
    /// Whether the stream has begun (Redis creates its backlog for the first replica).
    started: bool,
}

impl Replicas {
    /// True while any replica is attached: only then does anything propagate.
    pub fn active(&self) -> bool {
        !self.ids.is_empty()
    }
}

/// Where a replica is in its full sync (Redis's `replstate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Sent REPLCONF, not yet SYNC/PSYNC: still an ordinary client.
    Handshake,
    /// Waits for a background save to start (one is running for other reasons).
    WaitBgsaveStart,
    /// Its snapshot is being written; the stream since then is held back.
    WaitBgsaveEnd,
    /// The snapshot file is going out.
    SendBulk,
    /// Receives the live stream.
    Online,
}

/// The replication side of a client: what REPLCONF told us and the sync state.
#[derive(Debug)]
pub struct Link {
    /// Sync state.
    pub state: LinkState,
    /// REPLCONF listening-port.
    pub listening_port: u16,
    /// REPLCONF ip-address.
    pub announced_ip: Option<String>,
    /// REPLCONF capa eof.
    pub capa_eof: bool,
    /// REPLCONF capa psync2.
    pub capa_psync2: bool,
    /// REPLCONF rdb-only 1 (redis-cli --rdb): the snapshot only, then close.
    pub rdb_only: bool,
    /// REPLCONF rdb-filter-only: the snapshot may leave the data out
    /// (redis-cli --replica asks for that, since it discards the snapshot).
    pub no_data: bool,
    /// Attached with SYNC rather than PSYNC: expects no +FULLRESYNC and sends no ACKs.
    pub pre_psync: bool,
    /// The offset of the last REPLCONF ACK.
    pub ack_offset: u64,
    /// Unix ms of the last REPLCONF ACK (or of going online).
    pub ack_ms: i64,
    /// Bytes to send before the snapshot: +FULLRESYNC, keep-alive newlines.
    preamble: Vec<u8>,
    /// The snapshot file going out.
    transfer: Option<Transfer>,
}

impl Link {
    /// A link for a client that has only begun the handshake.
    pub fn new() -> Link {
        Link {
            state: LinkState::Handshake,
            listening_port: 0,
            announced_ip: None,
            capa_eof: false,
            capa_psync2: false,
            rdb_only: false,
            no_data: false,
            pre_psync: false,
            ack_offset: 0,
            ack_ms: 0,
            preamble: Vec::new(),
            transfer: None,
        }
    }

    /// True while replies (the stream) must wait for the snapshot to go first.
    pub fn holds_replies(&self) -> bool {
        matches!(
            self.state,
            LinkState::WaitBgsaveStart | LinkState::WaitBgsaveEnd | LinkState::SendBulk
        )
    }

    /// True when the sync itself has bytes for the socket.
    pub fn has_sync_bytes(&self) -> bool {
        !self.preamble.is_empty() || self.transfer.is_some()
    }

    /// INFO's `state=` word.
    fn state_name(&self) -> &'static str {
        match self.state {
            LinkState::Handshake | LinkState::WaitBgsaveStart | LinkState::WaitBgsaveEnd => {
                "wait_bgsave"
            }
            LinkState::SendBulk => "send_bulk",
            LinkState::Online => "online",
        }
    }
}

impl Default for Link {
    fn default() -> Self {
        Link::new()
    }
}

/// The snapshot file on its way to one replica.
#[derive(Debug)]
struct Transfer {
    file: std::fs::File,
    /// File bytes not yet read.
    remaining: u64,
    /// Bytes read (or the `$<len>` header) not yet written.
    chunk: Vec<u8>,
    chunk_pos: usize,
}

/// The name Redis logs a replica by: its announced address and listening port.
pub fn replica_name(client: &Client) -> String {
    let ip = client
        .repl
        .as_ref()
        .and_then(|l| l.announced_ip.clone())
        .unwrap_or_else(|| peer_ip(&client.addr).to_string());
    match client.repl.as_ref().map_or(0, |l| l.listening_port) {
        0 => format!("{ip}:<unknown-replica-port>"),
        port => format!("{ip}:{port}"),
    }
}

fn peer_ip(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(ip, _)| ip)
}

fn log_line(server: &Server, level: LogLevel, text: &str) {
    log::line(level, server.clock.now_ms(), text);
}

// ---------------------------------------------------------------------------
// Propagation.

/// What `call` notes before a handler runs, to propagate after it: whether
/// replicas listen, and the enclosing call's pending rewrite, force flag and
/// extra operations, set aside so a nested call (EXEC's) cannot take them
/// (Redis saves and restores its client flags around a nested `call`).
#[derive(Debug)]
pub struct CallMark {
    propagating: bool,
    outer_rewrite: Option<Vec<Bytes>>,
    outer_forced: bool,
    outer_extra: Vec<Op<Bytes>>,
}

/// Before a handler: opens one level of call nesting when replicas listen.
#[inline]
pub fn before_call(server: &mut Server) -> CallMark {
    let propagating = server.repl.active();
    let mut mark = CallMark {
        propagating,
        outer_rewrite: None,
        outer_forced: false,
        outer_extra: Vec::new(),
    };
    if propagating {
        server.repl.depth += 1;
        mark.outer_rewrite = server.repl.rewrite.take();
        mark.outer_forced = std::mem::take(&mut server.repl.forced);
        mark.outer_extra = std::mem::take(&mut server.repl.extra);
    }
    mark
}

/// True when a handler's rewrite would be used: replicas are attached.
pub fn propagating(server: &Server) -> bool {
    server.repl.depth > 0
}

/// Makes the running command propagate `argv` instead of its own arguments;
/// an empty `argv` propagates nothing of its own (Redis's
/// `rewriteClientCommandVector` / `preventCommandPropagation`).
pub fn propagate_instead(server: &mut Server, argv: Vec<Bytes>) {
    if propagating(server) {
        server.repl.rewrite = Some(argv);
    }
}

/// Makes the running command propagate although the data set did not change
/// (`forceCommandPropagation`: PUBLISH reaches the replicas' subscribers).
pub fn force_propagation(server: &mut Server) {
    if propagating(server) {
        server.repl.forced = true;
    }
}

/// Queues one more operation with the running command's (`alsoPropagate`).
pub fn also_propagate(server: &mut Server, db: usize, argv: Vec<Bytes>) {
    if propagating(server) {
        server.repl.extra.push(Op { db, argv });
    }
}

/// After a handler: queues what it changed, and at the outermost call sends
/// the command's operations down the stream.
#[inline]
pub fn after_call(
    server: &mut Server,
    mark: CallMark,
    db: usize,
    spec: &CommandSpec,
    argv: &[Bytes],
    dirty_before: u64,
) {
    if mark.propagating {
        queue_call(server, db, spec, argv, dirty_before);
        server.repl.rewrite = mark.outer_rewrite;
        server.repl.forced = mark.outer_forced;
        server.repl.extra = mark.outer_extra;
    }
}

fn queue_call(
    server: &mut Server,
    db: usize,
    spec: &CommandSpec,
    argv: &[Bytes],
    dirty_before: u64,
) {
    // Keys the command found expired were deleted before it acted on them.
    queue_expired(server);
    let rewrite = server.repl.rewrite.take();
    let forced = std::mem::take(&mut server.repl.forced);
    // EXEC never propagates itself: its commands go out as MULTI ... EXEC
    // when there are several (Redis's call skips execCommand too).
    let propagates_self = !spec.flags.has(Flags::ADMIN) && spec.name != "exec";
    // Operations a handler queued went out while it ran; its own goes last.
    let extra = std::mem::take(&mut server.repl.extra);
    server.repl.pending.extend(extra);
    if (server.dirty > dirty_before || forced) && propagates_self {
        let own = rewrite.unwrap_or_else(|| argv.to_vec());
        if !own.is_empty() {
            server.repl.pending.push(Op { db, argv: own });
        }
    }
    server.repl.depth = server.repl.depth.saturating_sub(1);
    if server.repl.depth == 0 {
        let ops = std::mem::take(&mut server.repl.pending);
        // Commands that may touch any key (RANDOMKEY and SCAN expire what
        // they meet) send those deletions bare, as Redis does.
        let atomic = !matches!(spec.name, "randomkey" | "scan");
        send(server, &ops, atomic);
    }
}

/// Moves the keyspace's log of expired keys into the pending operations.
fn queue_expired(server: &mut Server) {
    let expired = server.keyspace.take_expired();
    if expired.is_empty() {
        return;
    }
    crate::multi::touch_expired(server, &expired);
    let name = crate::commands::keys::deletion_command(server.config.lazyfree_lazy_expire);
    for (db, key) in expired {
        server.repl.pending.push(Op {
            db,
            argv: vec![name.clone(), Bytes::copy_from_slice(key.as_bytes())],
        });
    }
}

/// Propagates deletions made outside any command (active expiry, eviction),
/// each on its own, as Redis's `propagateDeletion`.
pub fn propagate_deletions(server: &mut Server, keys: &[(usize, storage::Sds)], lazy: bool) {
    if !server.repl.active() || keys.is_empty() {
        return;
    }
    let name = crate::commands::keys::deletion_command(lazy);
    let ops: Vec<Op<Bytes>> = keys
        .iter()
        .map(|(db, key)| Op {
            db: *db,
            argv: vec![name.clone(), Bytes::copy_from_slice(key.as_bytes())],
        })
        .collect();
    send(server, &ops, false);
}

/// Encodes `ops` and appends them to every replica that takes the stream.
fn send(server: &mut Server, ops: &[Op<Bytes>], atomic: bool) {
    if ops.is_empty() {
        return;
    }
    let mut bytes = Vec::new();
    server.repl.stream.encode_all(ops, atomic, &mut bytes);
    feed(server, &bytes);
}

/// Appends stream bytes to each replica past WaitBgsaveStart (those get the
/// stream from their own snapshot's instant on).
fn feed(server: &mut Server, bytes: &[u8]) {
    let now = server.clock.now_ms();
    for id in server.repl.ids.clone() {
        let Some(rc) = server.clients.get(&id).cloned() else {
            continue;
        };
        let Ok(mut c) = rc.try_borrow_mut() else {
            // The replica is the client running this command: hand the bytes
            // over when it is released.
            server.repl.deferred.push((id, bytes.to_vec()));
            continue;
        };
        take_stream(server, &mut c, bytes, now);
    }
}

fn take_stream(server: &mut Server, c: &mut Client, bytes: &[u8], now: i64) {
    let takes = c
        .repl
        .as_ref()
        .is_some_and(|l| l.state != LinkState::WaitBgsaveStart && l.state != LinkState::Handshake);
    if !takes || c.close_asap {
        return;
    }
    c.reply.extend_from_slice(bytes);
    c.notify.notify_one();
    crate::obuf::enforce(server, c, now);
}

/// Hands stream bytes fed while `client` was busy to it (after its command).
pub fn deliver_deferred(server: &mut Server, client: &mut Client) {
    if server.repl.deferred.is_empty() {
        return;
    }
    let now = server.clock.now_ms();
    for (id, bytes) in std::mem::take(&mut server.repl.deferred) {
        if id == client.id {
            take_stream(server, client, &bytes, now);
        } else {
            server.repl.deferred.push((id, bytes));
        }
    }
}

// ---------------------------------------------------------------------------
// SYNC, PSYNC, REPLCONF.

/// SYNC / PSYNC (`syncCommand`): the client becomes a replica and a full sync
/// begins. Errors are replied here; success replies nothing (the sync speaks).
pub fn sync(server: &mut Server, client: &mut Client, argv: &[Bytes]) -> Result<(), String> {
    if client.kind == ClientKind::Replica && !client.monitor {
        return Ok(()); // already a replica: ignored, as Redis does
    }
    if client.has_pending_reply() {
        return Err("ERR SYNC and PSYNC are invalid with pending output".into());
    }
    let link = client.repl.get_or_insert_with(Box::default);
    if link.no_data && !link.capa_eof {
        return Err("ERR Filtered replica requires EOF capability".into());
    }
    let psync = argv[0].eq_ignore_ascii_case(b"psync");
    link.pre_psync = !psync;
    let name = replica_name(client);
    log_line(
        server,
        LogLevel::Notice,
        &format!("Replica {name} asks for synchronization"),
    );
    if psync {
        let Some(offset) = argv.get(2).and_then(|a| resp::number::string2ll(a)) else {
            log_line(
                server,
                LogLevel::Warning,
                &format!("Replica {name} asks for synchronization but with a wrong offset"),
            );
            return Err(crate::command::errors::NOT_INTEGER.into());
        };
        refuse_partial(server, &name, &argv[1], offset);
    }
    server.repl.sync_full += 1;
    if server.repl.ids.is_empty() {
        // Keys that expired before any replica listened are in no snapshot
        // to come; a DEL for one re-created since would delete it there.
        let expired = server.keyspace.take_expired();
        crate::multi::touch_expired(server, &expired);
    }
    client.kind = ClientKind::Replica;
    client.reply_mode = crate::client::ReplyMode::On;
    if let Some(link) = client.repl.as_mut() {
        link.state = LinkState::WaitBgsaveStart;
    }
    server.repl.ids.push(client.id);
    if !server.repl.started {
        // A new history: Redis changes its replication id when it creates the
        // backlog for the first replica.
        server.repl.started = true;
        let mut bytes = [0u8; 20];
        for chunk in bytes.chunks_mut(8) {
            let r = server.rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        server.replid = replication::ReplId::from_random_bytes(bytes);
        let text = format!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            server.replid.as_str(),
            NO_REPLID
        );
        log_line(server, LogLevel::Notice, &text);
    }
    if client.repl.as_ref().is_some_and(|l| l.no_data) {
        send_empty_snapshot(server, client);
    } else if server.persist.bgsave.is_some() {
        attach_to_running_save(server, client);
    } else {
        start_save_for_replicas(server, Some(client));
    }
    Ok(())
}

/// The second replication id Redis shows when it has none.
const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// Logs why a PSYNC cannot continue a partial sync (there is no backlog yet).
fn refuse_partial(server: &mut Server, name: &str, replid: &[u8], offset: i64) {
    let asked = String::from_utf8_lossy(replid).into_owned();
    let text = if asked.starts_with('?') {
        format!("Full resync requested by replica {name}")
    } else if asked.eq_ignore_ascii_case(server.replid.as_str()) {
        server.repl.sync_partial_err += 1;
        format!("Unable to partial resync with replica {name} for lack of backlog (Replica request was: {offset}).")
    } else {
        server.repl.sync_partial_err += 1;
        format!(
            "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{asked}', my replication IDs are '{}' and '{NO_REPLID}')",
            server.replid.as_str()
        )
    };
    log_line(server, LogLevel::Notice, &text);
}

/// A save is running: share it if it was started for replicas (copy what the
/// stream held for one of them since its snapshot), else wait for the next.
fn attach_to_running_save(server: &mut Server, client: &mut Client) {
    let mut donor = None;
    for id in &server.repl.ids {
        if *id == client.id {
            continue;
        }
        let Some(rc) = server.clients.get(id) else {
            continue;
        };
        let Ok(other) = rc.try_borrow() else { continue };
        if let Some(link) = other.repl.as_ref() {
            if link.state == LinkState::WaitBgsaveEnd && !link.rdb_only {
                donor = Some(other.pending_reply_copy());
                break;
            }
        }
    }
    let Some(held) = donor else {
        log_line(
            server,
            LogLevel::Notice,
            "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
        );
        return;
    };
    let offset = server.repl.stream.offset() - held.len() as u64;
    if let Some(link) = client.repl.as_mut() {
        begin_full_resync(link, server.replid.as_str(), offset);
    }
    if !client.repl.as_ref().is_some_and(|l| l.rdb_only) {
        // Handed over after SYNC returns: `call` drops whatever a replica's
        // own command wrote to its buffer.
        server.repl.deferred.push((client.id, held));
    }
    log_line(
        server,
        LogLevel::Notice,
        "Waiting for end of BGSAVE for SYNC",
    );
}

/// `replicationSetupSlaveForFullResync`: the replica now collects the stream
/// and, if it asked with PSYNC, hears +FULLRESYNC with the snapshot's offset.
fn begin_full_resync(link: &mut Link, replid: &str, offset: u64) {
    link.state = LinkState::WaitBgsaveEnd;
    if !link.pre_psync {
        link.preamble
            .extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
    }
}

/// Starts a background save for every replica waiting for one. `current` is
/// the client running SYNC (borrowed, so not reachable through the table).
fn start_save_for_replicas(server: &mut Server, current: Option<&mut Client>) {
    log_line(
        server,
        LogLevel::Notice,
        "Starting BGSAVE for SYNC with target: disk",
    );
    let started = crate::persist::bgsave::start(server);
    let offset = server.repl.stream.offset();
    if started.is_ok() {
        // The replicas load a snapshot: the stream after it must select anew.
        server.repl.stream.forget_db();
    } else {
        log_line(server, LogLevel::Warning, "BGSAVE for replication failed");
    }
    let replid = server.replid.as_str().to_string();
    let each = |c: &mut Client| {
        let Some(link) = c.repl.as_mut() else { return };
        if link.state != LinkState::WaitBgsaveStart {
            return;
        }
        if started.is_ok() {
            begin_full_resync(link, &replid, offset);
        } else {
            fail_replica(c, "-ERR BGSAVE failed, replication can't continue\r\n");
        }
        c.notify.notify_one();
    };
    if let Some(c) = current {
        each(c);
    }
    for id in server.repl.ids.clone() {
        if let Some(rc) = server.clients.get(&id) {
            if let Ok(mut c) = rc.try_borrow_mut() {
                each(&mut c);
            }
        }
    }
}

/// A replica that asked for no data gets a snapshot without keys at once and
/// the stream from now on; no save runs for it.
fn send_empty_snapshot(server: &mut Server, client: &mut Client) {
    let opts = crate::persist::save::write_options(&server.config);
    let mut w = storage::rdb::writer::RdbWriter::new(Vec::new(), opts);
    let written = w.header().and_then(|()| {
        for (name, value) in crate::persist::save::aux_fields(server) {
            w.aux(name.as_bytes(), value.as_bytes())?;
        }
        Ok(())
    });
    let rdb = match written.and_then(|()| w.finish()) {
        Ok(rdb) => rdb,
        Err(e) => {
            fail_replica(client, &format!("-ERR {e}\r\n"));
            return;
        }
    };
    let offset = server.repl.stream.offset();
    server.repl.stream.forget_db();
    let replid = server.replid.as_str().to_string();
    let Some(link) = client.repl.as_mut() else {
        return;
    };
    begin_full_resync(link, &replid, offset);
    link.preamble
        .extend_from_slice(format!("${}\r\n", rdb.len()).as_bytes());
    link.preamble.extend_from_slice(&rdb);
    link.state = LinkState::Online;
    went_online(server, client);
}

/// Drops a replica whose sync cannot go on, telling it why when `reason` is set.
fn fail_replica(c: &mut Client, reason: &str) {
    if let Some(link) = c.repl.as_mut() {
        link.preamble.extend_from_slice(reason.as_bytes());
        link.transfer = None;
        link.state = LinkState::Online;
    }
    c.discard_reply();
    c.close_after_reply = true;
    c.notify.notify_one();
}

/// A background save ended (`updateSlavesWaitingBgsave`): replicas waiting for
/// it get the file, or are dropped if it failed; replicas that could not
/// attach to it get a new one.
pub fn bgsave_done(server: &mut Server, ok: bool) {
    if !server.repl.active() {
        return;
    }
    let path = crate::persist::save::rdb_path(&server.config);
    let mut waiting_for_next = false;
    for id in server.repl.ids.clone() {
        let Some(rc) = server.clients.get(&id).cloned() else {
            continue;
        };
        let Ok(mut c) = rc.try_borrow_mut() else {
            continue;
        };
        let Some(state) = c.repl.as_ref().map(|l| l.state) else {
            continue;
        };
        match state {
            LinkState::WaitBgsaveStart => waiting_for_next = true,
            LinkState::WaitBgsaveEnd if !ok => {
                log_line(
                    server,
                    LogLevel::Warning,
                    "SYNC failed. BGSAVE child returned an error",
                );
                fail_replica(&mut c, "");
            }
            LinkState::WaitBgsaveEnd => match open_snapshot(&path) {
                Ok(transfer) => {
                    if let Some(link) = c.repl.as_mut() {
                        link.transfer = Some(transfer);
                        link.state = LinkState::SendBulk;
                    }
                    c.notify.notify_one();
                }
                Err(e) => {
                    let text = format!("SYNC failed. Can't open/stat DB after BGSAVE: {e}");
                    log_line(server, LogLevel::Warning, &text);
                    fail_replica(&mut c, "");
                }
            },
            _ => {}
        }
    }
    if waiting_for_next {
        start_save_for_replicas(server, None);
    }
}

fn open_snapshot(path: &std::path::Path) -> io::Result<Transfer> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    Ok(Transfer {
        file,
        remaining: len,
        chunk: format!("${len}\r\n").into_bytes(),
        chunk_pos: 0,
    })
}

/// What writing the sync bytes did.
#[derive(Debug, Default)]
pub struct SyncWrite {
    /// Bytes that went out.
    pub written: usize,
    /// The snapshot finished going out just now.
    pub went_online: bool,
}

/// Writes the preamble and the snapshot as far as the socket takes them
/// (`sendBulkToSlave`); Err on a dead socket or unreadable file.
pub fn write_sync(c: &mut Client, stream: &TcpStream) -> io::Result<SyncWrite> {
    let mut out = SyncWrite::default();
    let Some(link) = c.repl.as_mut() else {
        return Ok(out);
    };
    while !link.preamble.is_empty() {
        match stream.try_write(&link.preamble) {
            Ok(n) => {
                link.preamble.drain(..n);
                out.written += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
            Err(e) => return Err(e),
        }
    }
    let Some(t) = link.transfer.as_mut() else {
        return Ok(out);
    };
    loop {
        if t.chunk_pos == t.chunk.len() {
            if t.remaining == 0 {
                break;
            }
            let want = (t.remaining as usize).min(BULK_CHUNK);
            t.chunk.resize(want, 0);
            t.file.read_exact(&mut t.chunk)?;
            t.remaining -= want as u64;
            t.chunk_pos = 0;
        }
        match stream.try_write(&t.chunk[t.chunk_pos..]) {
            Ok(n) => {
                t.chunk_pos += n;
                out.written += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
            Err(e) => return Err(e),
        }
    }
    link.transfer = None;
    link.state = LinkState::Online;
    out.went_online = true;
    if link.rdb_only {
        c.close_after_reply = true;
        c.notify.notify_one();
    }
    Ok(out)
}

/// Logs a replica's sync as done and starts its ACK clock (`putSlaveOnline`).
pub fn went_online(server: &Server, c: &mut Client) {
    let now = server.clock.now_ms();
    if let Some(link) = c.repl.as_mut() {
        link.ack_ms = now;
    }
    let text = format!("Synchronization with replica {} succeeded", replica_name(c));
    log_line(server, LogLevel::Notice, &text);
}

/// REPLCONF <option> <value> ... (`replconfCommand`). Returns Ok(true) when
/// +OK is due, Ok(false) when nothing is replied (ACK, GETACK).
pub fn replconf(server: &mut Server, client: &mut Client, argv: &[Bytes]) -> Result<bool, String> {
    if argv.len().is_multiple_of(2) {
        return Err(crate::command::errors::SYNTAX.into());
    }
    for pair in argv[1..].chunks_exact(2) {
        let (option, value) = (&pair[0], &pair[1]);
        let option_is = |name: &str| option.eq_ignore_ascii_case(name.as_bytes());
        if option_is("listening-port") {
            let port = parse_long(value)?;
            client.repl.get_or_insert_with(Box::default).listening_port =
                u16::try_from(port).unwrap_or(0);
        } else if option_is("ip-address") {
            let ip = String::from_utf8_lossy(value).into_owned();
            // NET_HOST_STR_LEN: the announced address may be a host name.
            if value.len() >= 256 {
                return Err(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                ));
            }
            client.repl.get_or_insert_with(Box::default).announced_ip = Some(ip);
        } else if option_is("capa") {
            let link = client.repl.get_or_insert_with(Box::default);
            if value.eq_ignore_ascii_case(b"eof") {
                link.capa_eof = true;
            } else if value.eq_ignore_ascii_case(b"psync2") {
                link.capa_psync2 = true;
            }
        } else if option_is("ack") || option_is("fack") {
            // Only a replica acknowledges, and nothing is replied.
            if client.kind == ClientKind::Replica && option_is("ack") {
                if let Some(offset) = resp::number::string2ll(value) {
                    let now = server.clock.now_ms();
                    if let Some(link) = client.repl.as_mut() {
                        link.ack_offset = link.ack_offset.max(offset.max(0) as u64);
                        link.ack_ms = now;
                    }
                }
            }
            return Ok(false);
        } else if option_is("getack") {
            // Meaningful only on a replica, which this server never is yet.
            return Ok(false);
        } else if option_is("rdb-filter-only") {
            // Redis's only include filter is "functions"; redrill has no
            // functions, so any accepted filter means a snapshot without data.
            let text = String::from_utf8_lossy(value);
            let Some(filters) = crate::config::parse::split_args(&text) else {
                return Err("ERR Missing rdb-filter-only values".into());
            };
            if let Some(other) = filters
                .iter()
                .find(|f| !f.eq_ignore_ascii_case("functions"))
            {
                return Err(format!("ERR Unsupported rdb-filter-only option: {other}"));
            }
            client.repl.get_or_insert_with(Box::default).no_data = true;
        } else if option_is("rdb-only") {
            let flag = parse_long(value)?;
            if flag != 0 && flag != 1 {
                return Err("ERR value is out of range, value must between 0 and 1".into());
            }
            client.repl.get_or_insert_with(Box::default).rdb_only = flag == 1;
        } else {
            return Err(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            ));
        }
    }
    Ok(true)
}

fn parse_long(value: &[u8]) -> Result<i64, String> {
    resp::number::string2ll(value).ok_or_else(|| crate::command::errors::NOT_INTEGER.into())
}

// ---------------------------------------------------------------------------
// Housekeeping.

/// Once a second (`replicationCron`): PING down the stream every
/// `repl-ping-replica-period` seconds, a newline to replicas still waiting for
/// their snapshot so their link does not time out, and the drop of replicas
/// that stopped acknowledging for `repl-timeout` seconds.
pub fn cron(server: &mut Server) {
    if !server.repl.active() {
        return;
    }
    let now_ms = server.clock.now_ms();
    let now_s = now_ms / 1000;
    if now_s == server.repl.last_cron_s {
        return;
    }
    server.repl.last_cron_s = now_s;
    let period = server.config.repl_ping_replica_period.max(1) as i64;
    let ping_due = now_s - server.repl.last_ping_s >= period;
    if ping_due {
        server.repl.last_ping_s = now_s;
        let mut bytes = Vec::new();
        server
            .repl
            .stream
            .encode_unselected(&[&b"PING"[..]], &mut bytes);
        feed(server, &bytes);
    }
    let timeout_ms = server.config.repl_timeout as i64 * 1000;
    for id in server.repl.ids.clone() {
        let Some(rc) = server.clients.get(&id).cloned() else {
            continue;
        };
        let Ok(mut c) = rc.try_borrow_mut() else {
            continue;
        };
        let Some(link) = c.repl.as_mut() else {
            continue;
        };
        match link.state {
            LinkState::WaitBgsaveStart | LinkState::WaitBgsaveEnd => {
                link.preamble.push(b'\n');
                c.notify.notify_one();
            }
            LinkState::Online if !link.pre_psync && now_ms - link.ack_ms > timeout_ms => {
                let text = format!(
                    "Disconnecting timedout replica (streaming sync): {}",
                    replica_name(&c)
                );
                log_line(server, LogLevel::Warning, &text);
                c.close_asap = true;
                c.notify.notify_one();
            }
            _ => {}
        }
    }
}

/// A replica's connection closed: it leaves the list (`replicationFreeSlave`).
pub fn forget(server: &mut Server, client: &Client) {
    if client.kind != ClientKind::Replica || client.monitor {
        return;
    }
    server.repl.ids.retain(|id| *id != client.id);
    let text = format!("Connection with replica {} lost.", replica_name(client));
    log_line(server, LogLevel::Notice, &text);
}

/// Output buffers of replicas (`mem_clients_slaves`), which do not count
/// toward `maxmemory` (`freeMemoryGetNotCountedMemory`): evicting keys to make
/// room for the DELs of evicted keys would feed on itself.
pub fn output_memory(server: &Server) -> u64 {
    let mut total = 0u64;
    for id in &server.repl.ids {
        if let Some(Ok(c)) = server.clients.get(id).map(|rc| rc.try_borrow()) {
            total += c.reply_memory() as u64;
        }
    }
    total
}

/// The `slaveN:` lines of INFO replication and the ROLE entries: for each
/// replica, its address, port, state, acknowledged offset and lag.
pub fn describe_all(server: &Server) -> Vec<ReplicaInfo> {
    let now_s = server.clock.now_ms() / 1000;
    let mut out = Vec::new();
    for id in &server.repl.ids {
        let Some(Ok(c)) = server.clients.get(id).map(|rc| rc.try_borrow()) else {
            continue;
        };
        let Some(link) = c.repl.as_ref() else {
            continue;
        };
        out.push(ReplicaInfo {
            ip: link
                .announced_ip
                .clone()
                .unwrap_or_else(|| peer_ip(&c.addr).to_string()),
            port: link.listening_port,
            state: link.state_name(),
            offset: link.ack_offset,
            lag_s: (now_s - link.ack_ms / 1000).max(0),
        });
    }
    out
}

/// One replica as INFO and ROLE show it.
#[derive(Debug)]
pub struct ReplicaInfo {
    /// Its address.
    pub ip: String,
    /// Its listening port (0 when it never said).
    pub port: u16,
    /// wait_bgsave, send_bulk or online.
    pub state: &'static str,
    /// The offset it last acknowledged.
    pub offset: u64,
    /// Seconds since its last acknowledgement.
    pub lag_s: i64,
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;

    fn server() -> Server {
        Server::new(Config::default(), Clock::manual(1_700_000_000_000_000), 7)
    }

    fn args(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    fn client(server: &mut Server, id: u64) -> Rc<RefCell<Client>> {
        let c = Client::new(id, format!("127.0.0.1:{id}"), String::new(), 0, 0);
        let rc = Rc::new(RefCell::new(c));
        server.clients.insert(id, rc.clone());
        rc
    }

    /// A replica already past its sync, reading the live stream.
    fn online_replica(server: &mut Server, id: u64) -> Rc<RefCell<Client>> {
        let rc = client(server, id);
        {
            let mut c = rc.borrow_mut();
            c.kind = ClientKind::Replica;
            let mut link = Link::new();
            link.state = LinkState::Online;
            c.repl = Some(Box::new(link));
        }
        server.repl.ids.push(id);
        rc
    }

    fn run(server: &mut Server, c: &Rc<RefCell<Client>>, words: &[&str]) {
        crate::dispatch::process(server, &mut c.borrow_mut(), &args(words));
    }

    fn stream_of(c: &Rc<RefCell<Client>>) -> String {
        String::from_utf8_lossy(c.borrow().pending_reply()).into_owned()
    }

    #[test]
    fn a_write_reaches_the_replica_after_a_select_and_a_read_does_not() {
        let mut s = server();
        let replica = online_replica(&mut s, 1);
        let user = client(&mut s, 2);
        run(&mut s, &user, &["SET", "k", "v"]);
        run(&mut s, &user, &["GET", "k"]);
        run(&mut s, &user, &["SET", "k", "v", "NX"]); // refused: nothing changed
        assert_eq!(
            stream_of(&replica),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        );
        assert_eq!(s.repl.stream.offset(), stream_of(&replica).len() as u64);
    }

    #[test]
    fn exec_wraps_several_writes_but_not_itself() {
        let mut s = server();
        let replica = online_replica(&mut s, 1);
        let user = client(&mut s, 2);
        for words in [
            &["MULTI"][..],
            &["SET", "a", "1"],
            &["GET", "a"],
            &["INCR", "a"],
            &["EXEC"],
        ] {
            run(&mut s, &user, words);
        }
        let text = stream_of(&replica);
        let commands: Vec<&str> = text
            .split("\r\n")
            .filter(|l| l.chars().all(|c| c.is_ascii_uppercase()) && !l.is_empty())
            .collect();
        assert_eq!(commands, ["SELECT", "MULTI", "SET", "INCR", "EXEC"]);
    }

    #[test]
    fn expired_keys_go_before_the_command_that_found_them() {
        let mut s = server();
        let replica = online_replica(&mut s, 1);
        let user = client(&mut s, 2);
        run(&mut s, &user, &["SET", "k", "v", "PXAT", "1700000000500"]);
        replica.borrow_mut().discard_reply();
        s.clock.advance_us(1_000_000);
        run(&mut s, &user, &["GET", "k"]);
        assert_eq!(stream_of(&replica), "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
    }

    #[test]
    fn a_replica_waiting_for_its_snapshot_holds_the_stream() {
        let mut s = server();
        let replica = online_replica(&mut s, 1);
        if let Some(link) = replica.borrow_mut().repl.as_mut() {
            link.state = LinkState::WaitBgsaveEnd;
        }
        let waiting_start = online_replica(&mut s, 3);
        if let Some(link) = waiting_start.borrow_mut().repl.as_mut() {
            link.state = LinkState::WaitBgsaveStart;
        }
        let user = client(&mut s, 2);
        run(&mut s, &user, &["SET", "k", "v"]);
        let r = replica.borrow();
        assert!(r.has_pending_reply(), "the stream is kept");
        assert!(!r.wants_write(), "but not written before the snapshot");
        assert!(!waiting_start.borrow().has_pending_reply());
    }

    #[test]
    fn replconf_parses_like_redis() {
        let mut s = server();
        let c = client(&mut s, 1);
        let mut c = c.borrow_mut();
        let mut conf = |words: &[&str]| replconf(&mut s, &mut c, &args(words));
        assert_eq!(
            conf(&["REPLCONF", "listening-port"]),
            Err("ERR syntax error".into())
        );
        assert_eq!(
            conf(&["REPLCONF", "bogus", "1"]),
            Err("ERR Unrecognized REPLCONF option: bogus".into())
        );
        assert_eq!(
            conf(&["REPLCONF", "listening-port", "x"]),
            Err(crate::command::errors::NOT_INTEGER.into())
        );
        assert_eq!(
            conf(&["REPLCONF", "rdb-filter-only", "functions keys"]),
            Err("ERR Unsupported rdb-filter-only option: keys".into())
        );
        assert_eq!(
            conf(&[
                "REPLCONF",
                "listening-port",
                "6380",
                "capa",
                "eof",
                "capa",
                "psync2"
            ]),
            Ok(true)
        );
        assert_eq!(conf(&["REPLCONF", "ack", "10"]), Ok(false));
        assert_eq!(conf(&["REPLCONF"]), Ok(true));
        let link = c.repl.as_ref().expect("link");
        assert_eq!(link.listening_port, 6380);
        assert!(link.capa_eof && link.capa_psync2);
        assert_eq!(link.ack_offset, 0, "only a replica acknowledges");
        assert_eq!(replica_name(&c), "127.0.0.1:6380");
    }
}
