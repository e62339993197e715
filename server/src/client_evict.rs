//! Client eviction (`maxmemory-clients`), as Redis 7.0's evictClients.
//!
//! Key eviction protects the data set; client eviction protects the server from
//! its clients. Every connection costs memory: its query buffer, its unsent
//! replies, the client struct itself, the bookkeeping of its subscriptions. A
//! few clients that never read (seed case 3) or send huge requests can hold more
//! memory than the keys. With `maxmemory-clients` set (bytes, or a percentage of
//! `maxmemory`; 0 turns it off), once the memory of all normal and pub/sub
//! clients together reaches the limit, the server disconnects clients, the
//! largest first, until the total is below it again. Each one is logged as
//! `Evicting client: <CLIENT LIST line>` and counted in INFO stats
//! `evicted_clients`.
//!
//! Who counts and who may go, as Redis's getClientType and
//! clientEvictionAllowed: normal and pub/sub clients count toward the total
//! (MONITOR clients too: Redis reports them as normal there). Replicas and our
//! master neither count nor are evicted. A client that ran `CLIENT NO-EVICT on`
//! still counts but is never chosen; when only such clients are left the
//! server logs `Over client maxmemory after evicting all evictable clients`.
//!
//! When it runs: after every command a client runs, before its reply goes out
//! (Redis checks before each command, which is the same point in a pipeline),
//! after a read that grew a query buffer without completing a request, and on
//! every cron tick, which also re-measures clients whose buffers others filled
//! (pub/sub messages, MONITOR) or drained.
//!
//! The bookkeeping ([`ClientMemory`]) keeps each client's last measured size and
//! the running total, so the per-command check is a comparison, not a walk over
//! every client. Redis files clients into power-of-two memory buckets and evicts
//! from the largest bucket down, in bucket order; here an ordered set gives the
//! strictly largest client first, which is the same choice except between
//! clients within a factor of two of each other. Sizes of clients other than the
//! one running a command may be stale (their replies drained meanwhile), so an
//! eviction pass re-measures everyone first and never condemns a client for
//! memory it already gave back. Nothing is tracked while the limit is 0.

use std::collections::{BTreeSet, HashMap};

use crate::client::{Client, ClientKind};
use crate::config::LogLevel;
use crate::log;
use crate::state::Server;

/// What one subscribed name costs its client: the name's handle in the ordered
/// list and in the lookup set, plus a hash slot. The name's bytes are shared
/// with the server-wide registry, so, as in Redis, they are not charged here.
const SUBSCRIPTION_OVERHEAD: usize =
    2 * std::mem::size_of::<bytes::Bytes>() + std::mem::size_of::<usize>();

/// Memory one client costs, as Redis's getClientMemoryUsage: query buffer,
/// reply buffer (what is queued and the room reserved for more), the client
/// struct and its subscriptions. CLIENT LIST shows it as `tot-mem`.
pub fn memory_usage(client: &Client) -> usize {
    let subscriptions = client.subscriptions.channels.len()
        + client.subscriptions.patterns.len()
        + client.subscriptions.shard_channels.len();
    client.qbuf_capacity
        + client.reply_memory()
        + std::mem::size_of::<Client>()
        + subscriptions * SUBSCRIPTION_OVERHEAD
}

/// Whether `client` counts toward `maxmemory-clients`: normal and pub/sub
/// clients, MONITOR included; never replicas or our master.
pub fn counts_toward_limit(client: &Client) -> bool {
    matches!(
        client.client_type(),
        ClientKind::Normal | ClientKind::PubSub
    )
}

/// One tracked client: its size when last measured, and whether it may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tracked {
    bytes: usize,
    evictable: bool,
}

/// The memory of the clients that count toward `maxmemory-clients`, kept up to
/// date as they run commands (Redis's stat_clients_type_memory and buckets).
#[derive(Debug, Default)]
pub struct ClientMemory {
    /// Last measurement of each counted client, by id.
    tracked: HashMap<u64, Tracked>,
    /// The evictable clients ordered by size then id: the last is the next to go.
    by_size: BTreeSet<(usize, u64)>,
    /// Sum of `tracked` sizes: what is compared with the limit.
    total_bytes: u64,
    /// False while the limit is 0 and nothing is tracked.
    active: bool,
    /// The "over after evicting all" warning was logged for this episode; it
    /// resets once the total drops below the limit. Redis repeats the line on
    /// every check (before every command), which floods a log; once is enough
    /// to tell the operator.
    over_warned: bool,
}

impl ClientMemory {
    /// The total memory of the clients that count, as last measured.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Measures `client` now and updates its entry (drops it if it no longer counts).
    pub fn record(&mut self, client: &Client) {
        let now = (counts_toward_limit(client) && !client.close_asap).then(|| Tracked {
            bytes: memory_usage(client),
            evictable: !client.no_evict,
        });
        if self.tracked.get(&client.id).copied() == now {
            return;
        }
        self.forget(client.id);
        if let Some(entry) = now {
            self.total_bytes += entry.bytes as u64;
            if entry.evictable {
                self.by_size.insert((entry.bytes, client.id));
            }
            self.tracked.insert(client.id, entry);
        }
    }

    /// Stops tracking client `id` (it closed or was evicted).
    pub fn forget(&mut self, id: u64) {
        if let Some(entry) = self.tracked.remove(&id) {
            self.total_bytes = self.total_bytes.saturating_sub(entry.bytes as u64);
            if entry.evictable {
                self.by_size.remove(&(entry.bytes, id));
            }
        }
    }

    /// The id of the largest evictable client.
    fn largest(&self) -> Option<u64> {
        self.by_size.last().map(|&(_, id)| id)
    }

    /// Drops every entry (the limit went to 0).
    fn clear(&mut self) {
        *self = ClientMemory::default();
    }
}

/// The hook after `client` ran a command or read input: re-measures it and
/// evicts clients while the total is at or over the limit. True when `client`
/// itself was evicted: its connection must close now, without its replies.
pub fn after_command(server: &mut Server, client: &mut Client) -> bool {
    let limit = server.config.maxmemory_clients_bytes();
    if limit == 0 {
        if server.client_memory.active {
            server.client_memory.clear();
        }
        return false;
    }
    if !server.client_memory.active {
        refresh_all(server, Some(client));
    }
    server.client_memory.record(client);
    evict(server, Some(client), limit)
}

/// The cron's part: re-measures every client and evicts while over the limit.
pub fn cron(server: &mut Server) {
    let limit = server.config.maxmemory_clients_bytes();
    if limit == 0 {
        if server.client_memory.active {
            server.client_memory.clear();
        }
        return;
    }
    refresh_all(server, None);
    evict(server, None, limit);
}

/// Measures every client. `current` is the client whose command is running:
/// the caller holds it borrowed, so it is measured through that reference.
fn refresh_all(server: &mut Server, current: Option<&Client>) {
    server.client_memory.active = true;
    for client in server.clients.values() {
        if let Ok(c) = client.try_borrow() {
            server.client_memory.record(&c);
        }
    }
    if let Some(c) = current {
        server.client_memory.record(c);
    }
}

/// Evicts the largest evictable clients until the total is below `limit`.
/// True when `current` was one of them.
fn evict(server: &mut Server, mut current: Option<&mut Client>, limit: u64) -> bool {
    if server.client_memory.total_bytes < limit {
        server.client_memory.over_warned = false;
        return false;
    }
    // Other clients' sizes may be stale: measure everyone before choosing.
    refresh_all(server, current.as_deref());
    let mut evicted_current = false;
    // Every pass forgets one client, so this ends within the number tracked.
    while server.client_memory.total_bytes >= limit {
        let Some(id) = server.client_memory.largest() else {
            if !server.client_memory.over_warned {
                server.client_memory.over_warned = true;
                let now = server.clock.now_ms();
                log::line(
                    LogLevel::Warning,
                    now,
                    "Over client maxmemory after evicting all evictable clients",
                );
            }
            return evicted_current;
        };
        match current.as_deref_mut() {
            Some(c) if c.id == id => {
                evict_one(server, c);
                evicted_current = true;
            }
            _ => match server.clients.get(&id).cloned() {
                Some(rc) => match rc.try_borrow_mut() {
                    Ok(mut c) => evict_one(server, &mut c),
                    // Borrowed elsewhere on this thread: it cannot be closed from
                    // here; skip it until the next check measures it again.
                    Err(_) => server.client_memory.forget(id),
                },
                // Already gone: only the bookkeeping was left.
                None => server.client_memory.forget(id),
            },
        }
    }
    server.client_memory.over_warned = false;
    evicted_current
}

/// Disconnects one client: logs Redis's line, counts it, frees its replies and
/// asks its connection task to close at once.
fn evict_one(server: &mut Server, client: &mut Client) {
    let now = server.clock.now_ms();
    let description = crate::commands::client::describe(client, now);
    log::line(
        LogLevel::Notice,
        now,
        &format!("Evicting client: {description}"),
    );
    server.stats.evicted_clients += 1;
    server.client_memory.forget(client.id);
    client.close_asap = true;
    // The unsent replies die with the client: that is the memory coming back.
    client.discard_reply();
    client.notify.notify_one();
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use proptest::prelude::*;

    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;

    fn server(maxmemory_clients: i64) -> Server {
        let config = Config {
            maxmemory_clients,
            ..Config::default()
        };
        Server::new(config, Clock::manual(1_700_000_000_000_000), 7)
    }

    /// Adds a client holding `reply_bytes` of unsent replies.
    fn add(server: &mut Server, id: u64, reply_bytes: usize) -> Rc<RefCell<Client>> {
        let mut c = Client::new(id, format!("127.0.0.1:{id}"), String::new(), 0, 0);
        c.reply.extend_from_slice(&vec![b'x'; reply_bytes]);
        let rc = Rc::new(RefCell::new(c));
        server.clients.insert(id, rc.clone());
        rc
    }

    fn closed(c: &Rc<RefCell<Client>>) -> bool {
        c.borrow().close_asap
    }

    #[test]
    fn off_when_zero_tracks_nothing() {
        let mut s = server(0);
        let big = add(&mut s, 1, 5_000_000);
        cron(&mut s);
        assert!(!closed(&big));
        assert_eq!(s.stats.evicted_clients, 0);
        assert_eq!(s.client_memory.total_bytes(), 0);
    }

    #[test]
    fn largest_goes_first_until_under_the_limit() {
        let mut s = server(500_000);
        let small = add(&mut s, 1, 100_000);
        let middle = add(&mut s, 2, 200_000);
        let large = add(&mut s, 3, 400_000);
        cron(&mut s);
        assert!(closed(&large));
        assert!(!closed(&middle) && !closed(&small));
        assert_eq!(s.stats.evicted_clients, 1);
        assert!(s.client_memory.total_bytes() < 500_000);
        // The evicted client's replies are freed at once.
        assert_eq!(large.borrow().output_memory(), 0);
    }

    #[test]
    fn percentage_is_of_maxmemory() {
        let mut s = server(-50);
        s.config.maxmemory = 1_000_000;
        let small = add(&mut s, 1, 100_000);
        let large = add(&mut s, 2, 600_000);
        cron(&mut s);
        assert!(closed(&large) && !closed(&small));
    }

    #[test]
    fn no_evict_clients_count_but_stay() {
        let mut s = server(300_000);
        let protected = add(&mut s, 1, 400_000);
        protected.borrow_mut().no_evict = true;
        let other = add(&mut s, 2, 1_000);
        cron(&mut s);
        // Over the limit because of the protected client: everyone else goes.
        assert!(!closed(&protected));
        assert!(closed(&other));
        assert_eq!(s.stats.evicted_clients, 1);
        assert!(s.client_memory.over_warned);
    }

    #[test]
    fn replicas_and_masters_are_exempt_but_monitors_are_not() {
        let mut s = server(300_000);
        let replica = add(&mut s, 1, 400_000);
        replica.borrow_mut().kind = ClientKind::Replica;
        let master = add(&mut s, 2, 400_000);
        master.borrow_mut().kind = ClientKind::Master;
        cron(&mut s);
        assert!(!closed(&replica) && !closed(&master));
        assert_eq!(s.client_memory.total_bytes(), 0);
        let monitor = add(&mut s, 3, 400_000);
        monitor.borrow_mut().kind = ClientKind::Replica;
        monitor.borrow_mut().monitor = true;
        cron(&mut s);
        assert!(closed(&monitor));
    }

    #[test]
    fn a_command_can_evict_its_own_client() {
        let mut s = server(300_000);
        let other = add(&mut s, 1, 1_000);
        let me = add(&mut s, 2, 0);
        // The connection task holds its client borrowed while it runs commands.
        let mut guard = me.borrow_mut();
        assert!(!after_command(&mut s, &mut guard));
        guard.reply.extend_from_slice(&vec![b'x'; 400_000]);
        assert!(after_command(&mut s, &mut guard));
        assert!(guard.close_asap);
        drop(guard);
        assert!(!closed(&other));
    }

    #[test]
    fn drained_replies_are_not_held_against_a_client() {
        let mut s = server(300_000);
        let reader = add(&mut s, 1, 250_000);
        let me = add(&mut s, 2, 0);
        let mut guard = me.borrow_mut();
        assert!(!after_command(&mut s, &mut guard));
        // The reader's replies went out since it was last measured.
        reader.borrow_mut().reply = bytes::BytesMut::new();
        guard.reply.extend_from_slice(&vec![b'x'; 100_000]);
        assert!(!after_command(&mut s, &mut guard));
        drop(guard);
        assert!(!closed(&reader));
        assert_eq!(s.stats.evicted_clients, 0);
    }

    #[test]
    fn turning_the_limit_off_clears_the_bookkeeping() {
        let mut s = server(10_000_000);
        let _c = add(&mut s, 1, 1_000);
        cron(&mut s);
        assert!(s.client_memory.total_bytes() > 0);
        s.config.maxmemory_clients = 0;
        cron(&mut s);
        assert_eq!(s.client_memory.total_bytes(), 0);
    }

    /// One step of the model test: measure client `id` with this much output
    /// and this NO-EVICT flag, or forget it.
    #[derive(Clone, Debug)]
    enum Op {
        Record {
            id: u64,
            bytes: usize,
            no_evict: bool,
        },
        Forget {
            id: u64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..6, 0usize..50_000, any::<bool>()).prop_map(|(id, bytes, no_evict)| {
                Op::Record {
                    id,
                    bytes,
                    no_evict,
                }
            }),
            (0u64..6).prop_map(|id| Op::Forget { id }),
        ]
    }

    proptest! {
        /// The running total and the eviction order agree with a plain map.
        #[test]
        fn bookkeeping_matches_a_plain_map(ops in prop::collection::vec(op(), 0..60)) {
            let mut memory = ClientMemory::default();
            let mut model: HashMap<u64, (usize, bool)> = HashMap::new();
            for op in ops {
                match op {
                    Op::Record { id, bytes, no_evict } => {
                        let mut c = Client::new(id, String::new(), String::new(), 0, 0);
                        c.reply = bytes::BytesMut::with_capacity(bytes);
                        c.no_evict = no_evict;
                        memory.record(&c);
                        model.insert(id, (memory_usage(&c), !no_evict));
                    }
                    Op::Forget { id } => {
                        memory.forget(id);
                        model.remove(&id);
                    }
                }
                let total: usize = model.values().map(|(b, _)| b).sum();
                prop_assert_eq!(memory.total_bytes(), total as u64);
                let largest = model
                    .iter()
                    .filter(|(_, (_, evictable))| *evictable)
                    .map(|(id, (b, _))| (*b, *id))
                    .max()
                    .map(|(_, id)| id);
                prop_assert_eq!(memory.largest(), largest);
            }
        }
    }
}
