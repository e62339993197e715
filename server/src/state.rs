//! The server's state: one struct owned by the command thread.
//!
//! Redis keeps this in the global `server` struct that every file may touch. Here
//! it is passed explicitly (`&mut Server` inside a handler's `Ctx`), so what a
//! command can reach is visible in its signature. Everything in it is touched by
//! one thread only; connection tasks borrow it between awaits, never across one.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::client::Client;
use crate::clock::Clock;
use crate::command::CommandTable;
use crate::config::Config;

/// Counters shown in INFO stats (Redis's `stat_*`).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// total_connections_received.
    pub connections_received: u64,
    /// total_commands_processed.
    pub commands_processed: u64,
    /// rejected_connections (maxclients).
    pub rejected_connections: u64,
    /// total_net_input_bytes.
    pub net_input_bytes: u64,
    /// total_net_output_bytes.
    pub net_output_bytes: u64,
    /// expired_keys.
    pub expired_keys: u64,
    /// evicted_keys.
    pub evicted_keys: u64,
    /// keyspace_hits.
    pub keyspace_hits: u64,
    /// keyspace_misses.
    pub keyspace_misses: u64,
    /// total_error_replies.
    pub error_replies: u64,
    /// unexpected_error_replies.
    pub unexpected_error_replies: u64,
    /// total_reads_processed.
    pub reads_processed: u64,
    /// total_writes_processed.
    pub writes_processed: u64,
    /// client_query_buffer_limit_disconnections (a Redis 7.2 field).
    pub query_buffer_limit_disconnections: u64,
    /// client_output_buffer_limit_disconnections (a Redis 7.2 field).
    pub output_buffer_limit_disconnections: u64,
    /// evicted_clients (maxmemory-clients).
    pub evicted_clients: u64,
}

/// Per-command counters for INFO commandstats.
#[derive(Debug, Default, Clone)]
pub struct CommandStat {
    /// Full name, `get` or `client|list`.
    pub name: String,
    /// Times it ran.
    pub calls: u64,
    /// Total microseconds spent in it.
    pub usec: u64,
    /// Times it was refused before running (arity, auth, ...).
    pub rejected_calls: u64,
    /// Times it ran and replied with an error.
    pub failed_calls: u64,
}

/// Hashes a table row's address: rows are static and distinct, so a multiply is
/// enough, and it keeps the per-command stats update off SipHash.
#[derive(Clone, Copy, Debug, Default)]
pub struct PointerHash;

impl std::hash::BuildHasher for PointerHash {
    type Hasher = PointerHasher;
    fn build_hasher(&self) -> PointerHasher {
        PointerHasher(0)
    }
}

/// The hasher behind [`PointerHash`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PointerHasher(u64);

impl std::hash::Hasher for PointerHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The whole server, owned by the command thread.
pub struct Server {
    /// Live configuration.
    pub config: Config,
    /// Path of the config file given at start-up (for CONFIG REWRITE).
    pub config_file: Option<std::path::PathBuf>,
    /// The databases.
    pub keyspace: storage::Keyspace,
    /// The only source of time.
    pub clock: Clock,
    /// The only source of randomness.
    pub rng: storage::Rng,
    /// The command table, after rename-command.
    pub commands: CommandTable,
    /// Every connected client, by id.
    pub clients: BTreeMap<u64, Rc<RefCell<Client>>>,
    /// Next CLIENT ID.
    pub next_client_id: u64,
    /// INFO stats counters.
    pub stats: Stats,
    /// INFO commandstats, keyed by the address of the command's table row.
    pub command_stats: std::collections::HashMap<usize, CommandStat, PointerHash>,
    /// INFO errorstats: error code (ERR, WRONGTYPE, ...) -> count.
    pub error_stats: BTreeMap<String, u64>,
    /// Monotonic end time of the last command while a pipeline is being
    /// executed; None between reads (time passed while waiting for input).
    pub pipeline_clock_us: Option<u64>,
    /// Clients blocked in BLPOP & co, by key.
    pub blocking: crate::blocking::BlockingState,
    /// Pub/Sub subscribers by channel, pattern and shard channel.
    pub pubsub: crate::pubsub::PubSub,
    /// WATCHed keys and their watchers.
    pub watches: crate::multi::Watches,
    /// Number of clients in MONITOR mode (so the common case skips the feed).
    pub monitors: usize,
    /// Memory of the clients that count toward maxmemory-clients.
    pub client_memory: crate::client_evict::ClientMemory,
    /// Changes since the last save.
    pub dirty: u64,
    /// RDB saves and loads (INFO persistence).
    pub persist: crate::persist::Persistence,
    /// 40 hex digits naming this process (INFO run_id).
    pub run_id: String,
    /// Replication id (INFO master_replid).
    pub replid: replication::ReplId,
    /// Attached replicas and the propagation stream.
    pub repl: crate::replicas::Replicas,
    /// LASTSAVE: unix seconds of the last successful save (start-up time until then).
    pub last_save_unix_s: i64,
    /// used_memory_peak (a Cell so INFO, which reads the server, can raise it).
    pub memory_peak: std::cell::Cell<u64>,
    /// used_memory right after start-up (used_memory_startup).
    pub memory_startup: u64,
    /// instantaneous_ops_per_sec and friends.
    pub ops_sampler: crate::cron::OpsSampler,
    /// Unix ms at start (uptime).
    pub start_ms: i64,
    /// SLOWLOG.
    pub slowlog: crate::slowlog::SlowLog,
    /// LATENCY.
    pub latency: crate::latency::LatencyMonitor,
    /// DEBUG SET-ACTIVE-EXPIRE: the periodic active expiry runs only when true.
    pub active_expire_enabled: bool,
    /// CLIENT PAUSE in force: what it holds back and until when (unix ms).
    pub pause: Option<(PauseKind, i64)>,
    /// Set by SHUTDOWN or a signal: the main loop exits.
    pub shutdown_requested: bool,
    /// Wakes the main task when a shutdown is requested.
    pub shutdown: Rc<tokio::sync::Notify>,
    /// Hands freshly bound listeners to the task that accepts on them (CONFIG
    /// SET port/bind); None where no network runs (unit tests, drills).
    pub relisten: Option<tokio::sync::mpsc::UnboundedSender<Vec<tokio::net::TcpListener>>>,
    /// The listening sockets and their accept loops, for CONFIG SET to close.
    pub listening: Vec<(Rc<tokio::net::TcpListener>, tokio::task::AbortHandle)>,
}

/// CLIENT PAUSE WRITE|ALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseKind {
    /// Only commands that may write wait.
    Write,
    /// Every command waits.
    All,
}

impl Server {
    /// A fresh server state from a loaded configuration.
    pub fn new(config: Config, clock: Clock, seed: u64) -> Server {
        let mut rng = storage::Rng::seeded(seed);
        let mut random_id = || {
            let mut bytes = [0u8; 20];
            for chunk in bytes.chunks_mut(8) {
                let r = rng.next_u64().to_le_bytes();
                chunk.copy_from_slice(&r[..chunk.len()]);
            }
            bytes
        };
        let run_id = replication::ReplId::from_random_bytes(random_id());
        let replid = replication::ReplId::from_random_bytes(random_id());
        let start_ms = clock.now_ms();
        Server {
            keyspace: storage::Keyspace::new(config.databases),
            commands: CommandTable::new(&crate::commands::families()),
            config,
            config_file: None,
            clock,
            rng,
            clients: BTreeMap::new(),
            next_client_id: 1,
            stats: Stats::default(),
            command_stats: std::collections::HashMap::with_hasher(PointerHash),
            error_stats: BTreeMap::new(),
            monitors: 0,
            client_memory: Default::default(),
            blocking: Default::default(),
            pubsub: Default::default(),
            watches: Default::default(),
            pipeline_clock_us: None,
            dirty: 0,
            persist: Default::default(),
            run_id: run_id.as_str().to_string(),
            replid,
            repl: Default::default(),
            start_ms,
            last_save_unix_s: start_ms / 1000,
            memory_peak: std::cell::Cell::new(0),
            memory_startup: crate::alloc::used_memory() as u64,
            ops_sampler: Default::default(),
            slowlog: Default::default(),
            latency: Default::default(),
            active_expire_enabled: true,
            pause: None,
            shutdown_requested: false,
            shutdown: Default::default(),
            relisten: None,
            listening: Vec::new(),
        }
    }

    /// If `argv` must wait because of CLIENT PAUSE, the unix ms when the pause ends.
    pub fn paused_until_for(&self, argv: &[bytes::Bytes]) -> Option<i64> {
        let (kind, until) = self.pause?;
        if self.clock.refresh_us() / 1000 >= until {
            return None;
        }
        if kind == PauseKind::All {
            return Some(until);
        }
        let spec = self.commands.lookup(argv.first()?)?;
        let may_write = spec.flags.has(crate::command::Flags::WRITE)
            || argv[0].eq_ignore_ascii_case(b"publish");
        may_write.then_some(until)
    }
}
