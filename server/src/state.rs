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
    /// client_query_buffer_limit_disconnections (Redis 7.0 has it in INFO stats? no: kept for later).
    pub query_buffer_limit_disconnections: u64,
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
    /// Changes since the last save.
    pub dirty: u64,
    /// 40 hex digits naming this process (INFO run_id).
    pub run_id: String,
    /// Replication id (INFO master_replid).
    pub replid: replication::ReplId,
    /// Unix ms at start (uptime).
    pub start_ms: i64,
    /// SLOWLOG.
    pub slowlog: crate::slowlog::SlowLog,
    /// LATENCY.
    pub latency: crate::latency::LatencyMonitor,
    /// DEBUG SET-ACTIVE-EXPIRE: the periodic active expiry runs only when true.
    pub active_expire_enabled: bool,
    /// Set by SHUTDOWN or a signal: the main loop exits.
    pub shutdown_requested: bool,
}
