//! Configuration: every Redis 7.0 directive, typed, in one table.
//!
//! Redis declares its parameters once, in `standardConfig configs[]` (config.c):
//! name, alias, type, default, bounds, flags, and how each is set, read and
//! rewritten. redrill does the same in [`table`]: one row per directive, and the
//! three paths that touch configuration all go through that table:
//!
//! ```text
//!  redis.conf + command line --[load]--> Config --[CONFIG GET]--> "name" "value"
//!  CONFIG SET name value ...  --[set: all or nothing]--> Config
//!  CONFIG REWRITE  --[rewrite: keep comments, edit in place]--> redis.conf
//! ```
//!
//! [`Config`] holds typed fields for everything the server acts on; directives
//! redrill accepts but does not act on (cluster, TLS, io-threads, ...) are still
//! validated by their row's type and kept, formatted, in [`Config::inert`], so
//! CONFIG GET * lists exactly Redis 7.0's names with Redis's defaults.

pub mod fuzz;
mod load;
mod ops;
pub mod parse;
mod rewrite;
pub(crate) mod special;
pub mod table;

pub use load::{load, load_from_args, load_string, ConfigError, Loaded};
pub use ops::SetContext;
pub use rewrite::{rewrite_file, rewrite_text};
pub use special::strerror;

use std::collections::BTreeMap;

/// The Redis version the config errors and INFO claim.
pub const REDIS_VERSION: &str = "7.0.15";

/// `enable-debug-command` and `enable-protected-configs`: no, yes or local.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Refused.
    No,
    /// Allowed.
    Yes,
    /// Allowed from loopback connections only.
    Local,
}

impl Protection {
    /// True when a client (local or not) may use the protected feature.
    pub fn allows(self, local_client: bool) -> bool {
        self == Protection::Yes || (self == Protection::Local && local_client)
    }
}

/// `loglevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// Much, but not everything.
    Verbose,
    /// The default.
    Notice,
    /// Only warnings.
    Warning,
}

/// The smallest effective `maxmemory-clients` (Redis's 128 KB floor).
pub const MIN_CLIENT_EVICTION_LIMIT: u64 = 128 * 1024;

/// `maxmemory-policy`: the keyspace's own policy type, named as the config names it.
pub use storage::evict::EvictionPolicy as MaxmemoryPolicy;

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    /// fsync after every write.
    Always,
    /// fsync once a second, in the background.
    Everysec,
    /// Leave it to the kernel.
    No,
}

/// One class of `client-output-buffer-limit`: hard bytes, soft bytes, soft seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OutputBufferLimit {
    /// Disconnect at once past this many bytes (0: no limit).
    pub hard_bytes: u64,
    /// Disconnect when over this many bytes for `soft_seconds` (0: no limit).
    pub soft_bytes: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// Index of each class in [`Config::client_output_buffer_limits`], in Redis's order.
pub mod obuf_class {
    /// Ordinary clients.
    pub const NORMAL: usize = 0;
    /// Replicas (`replica` or `slave` in the config).
    pub const REPLICA: usize = 1;
    /// Pub/sub clients.
    pub const PUBSUB: usize = 2;
}

/// Every parameter the server reads, with typed values.
#[derive(Clone, Debug)]
pub struct Config {
    /// `port`.
    pub port: u16,
    /// `bind`: addresses to listen on.
    pub bind: Vec<String>,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `requirepass` (empty: none).
    pub requirepass: Vec<u8>,
    /// `maxclients`.
    pub maxclients: u64,
    /// `timeout`: seconds of idleness before a client is closed (0: never).
    pub timeout: u64,
    /// `tcp-keepalive`, seconds.
    pub tcp_keepalive: u64,
    /// `databases`.
    pub databases: usize,
    /// `hz`: frequency of the periodic jobs.
    pub hz: u32,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile` (empty: standard output).
    pub logfile: String,
    /// `slowlog-log-slower-than`, microseconds (negative: off).
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`, milliseconds (0: off).
    pub latency_monitor_threshold: u64,
    /// `enable-debug-command`.
    pub enable_debug_command: Protection,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: u64,
    /// `active-expire-effort` (1..10).
    pub active_expire_effort: u32,
    /// `dir`.
    pub dir: String,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `pidfile`.
    pub pidfile: String,
    /// `server_cpulist`: CPUs for the command thread (empty: any).
    pub server_cpulist: String,
    /// `bgsave_cpulist`: CPUs for a background save's threads (empty: inherit).
    pub bgsave_cpulist: String,

    /// `enable-protected-configs`: may CONFIG SET change `dir`, `dbfilename`?
    pub enable_protected_configs: Protection,
    /// `enable-module-command`.
    pub enable_module_command: Protection,
    /// `daemonize` (accepted; redrill never forks).
    pub daemonize: bool,
    /// `tcp-backlog`.
    pub tcp_backlog: u32,
    /// `unixsocket` (empty: none).
    pub unixsocket: String,
    /// `unixsocketperm` (octal in the config).
    pub unixsocketperm: u32,
    /// `maxmemory`, bytes (0: no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity` (0..100).
    pub maxmemory_eviction_tenacity: u32,
    /// `maxmemory-clients`: bytes, or minus a percentage of maxmemory (Redis's encoding).
    pub maxmemory_clients: i64,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`, minutes.
    pub lfu_decay_time: u32,
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfsync`.
    pub appendfsync: AppendFsync,
    /// `appendfilename`.
    pub appendfilename: String,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `no-appendfsync-on-rewrite`.
    pub no_appendfsync_on_rewrite: bool,
    /// `auto-aof-rewrite-percentage`.
    pub auto_aof_rewrite_percentage: u32,
    /// `auto-aof-rewrite-min-size`, bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `aof-load-truncated`.
    pub aof_load_truncated: bool,
    /// `aof-use-rdb-preamble`.
    pub aof_use_rdb_preamble: bool,
    /// `aof-timestamp-enabled`.
    pub aof_timestamp_enabled: bool,
    /// `aof-rewrite-incremental-fsync`.
    pub aof_rewrite_incremental_fsync: bool,
    /// `save`: (seconds, changes) points; empty: no automatic snapshots.
    pub save: Vec<(u64, u64)>,
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,
    /// `rdb-del-sync-files`.
    pub rdb_del_sync_files: bool,
    /// `rdb-save-incremental-fsync`.
    pub rdb_save_incremental_fsync: bool,
    /// `jemalloc-bg-thread`: jemalloc purges dirty pages on its own thread.
    pub jemalloc_bg_thread: bool,
    /// `rdb-key-save-delay`, microseconds per key (a test hook).
    pub rdb_key_save_delay: i64,
    /// `key-load-delay`, microseconds per key (a test hook).
    pub key_load_delay: i64,
    /// `client-output-buffer-limit`, indexed by [`obuf_class`].
    pub client_output_buffer_limits: [OutputBufferLimit; 3],
    /// `replicaof host port` (None: this is a master).
    pub replicaof: Option<(String, u16)>,
    /// `masterauth` (empty: none).
    pub masterauth: String,
    /// `masteruser` (empty: none).
    pub masteruser: String,
    /// `repl-backlog-size`, bytes.
    pub repl_backlog_size: u64,
    /// `repl-backlog-ttl`, seconds.
    pub repl_backlog_ttl: u64,
    /// `repl-timeout`, seconds.
    pub repl_timeout: u64,
    /// `repl-ping-replica-period`, seconds.
    pub repl_ping_replica_period: u64,
    /// `repl-diskless-sync`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay`, seconds.
    pub repl_diskless_sync_delay: u64,
    /// `repl-diskless-sync-max-replicas`.
    pub repl_diskless_sync_max_replicas: u64,
    /// `repl-disable-tcp-nodelay`.
    pub repl_disable_tcp_nodelay: bool,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `replica-lazy-flush`.
    pub replica_lazy_flush: bool,
    /// `replica-ignore-maxmemory`.
    pub replica_ignore_maxmemory: bool,
    /// `replica-priority`.
    pub replica_priority: u64,
    /// `replica-announce-ip` (empty: none).
    pub replica_announce_ip: String,
    /// `replica-announce-port` (0: the real port).
    pub replica_announce_port: u16,
    /// `replica-announced`.
    pub replica_announced: bool,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: u64,
    /// `min-replicas-max-lag`, seconds.
    pub min_replicas_max_lag: u64,
    /// `lazyfree-lazy-eviction`.
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`.
    pub lazyfree_lazy_user_flush: bool,
    /// `latency-tracking`.
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// `activerehashing`.
    pub activerehashing: bool,
    /// `dynamic-hz`.
    pub dynamic_hz: bool,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: u64,
    /// `hash-max-listpack-value`, bytes.
    pub hash_max_listpack_value: u64,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: u64,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: u64,
    /// `zset-max-listpack-value`, bytes.
    pub zset_max_listpack_value: u64,
    /// `list-max-listpack-size` (negative: a size class in KB).
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`.
    pub list_compress_depth: u64,
    /// `stream-node-max-bytes`.
    pub stream_node_max_bytes: u64,
    /// `stream-node-max-entries`.
    pub stream_node_max_entries: u64,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: u64,
    /// `notify-keyspace-events` as Redis's NOTIFY_* bit flags.
    pub notify_keyspace_events: u32,
    /// `busy-reply-threshold` (alias `lua-time-limit`), milliseconds.
    pub busy_reply_threshold: u64,
    /// `shutdown-timeout`, seconds.
    pub shutdown_timeout: u64,
    /// `shutdown-on-sigint` as SHUTDOWN_* flags (0: default).
    pub shutdown_on_sigint: u32,
    /// `shutdown-on-sigterm` as SHUTDOWN_* flags (0: default).
    pub shutdown_on_sigterm: u32,
    /// `oom-score-adj-values` for master, replica, background child.
    pub oom_score_adj_values: [i32; 3],
    /// `acllog-max-len`.
    pub acllog_max_len: u64,
    /// `tracking-table-max-keys`.
    pub tracking_table_max_keys: u64,
    /// `cluster-enabled` (accepted; cluster mode is not implemented).
    pub cluster_enabled: bool,
    /// Directives accepted but not acted on, by name, as CONFIG GET shows them.
    pub inert: BTreeMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Config {
        let mut config = Config {
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            protected_mode: true,
            requirepass: Vec::new(),
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            databases: 16,
            hz: 10,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            enable_debug_command: Protection::No,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            active_expire_effort: 1,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            pidfile: String::new(),
            server_cpulist: String::new(),
            bgsave_cpulist: String::new(),
            enable_protected_configs: Protection::No,
            enable_module_command: Protection::No,
            daemonize: false,
            tcp_backlog: 511,
            unixsocket: String::new(),
            unixsocketperm: 0,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            maxmemory_clients: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            appendonly: false,
            appendfsync: AppendFsync::Everysec,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_rewrite_incremental_fsync: true,
            save: DEFAULT_SAVE.to_vec(),
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            rdb_del_sync_files: false,
            rdb_save_incremental_fsync: true,
            jemalloc_bg_thread: true,
            rdb_key_save_delay: 0,
            key_load_delay: 0,
            client_output_buffer_limits: DEFAULT_OUTPUT_BUFFER_LIMITS,
            replicaof: None,
            masterauth: String::new(),
            masteruser: String::new(),
            repl_backlog_size: 1024 * 1024,
            repl_backlog_ttl: 3600,
            repl_timeout: 60,
            repl_ping_replica_period: 10,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_disable_tcp_nodelay: false,
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_lazy_flush: false,
            replica_ignore_maxmemory: true,
            replica_priority: 100,
            replica_announce_ip: String::new(),
            replica_announce_port: 0,
            replica_announced: true,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            activerehashing: true,
            dynamic_hz: true,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            hll_sparse_max_bytes: 3000,
            notify_keyspace_events: 0,
            busy_reply_threshold: 5000,
            shutdown_timeout: 10,
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            oom_score_adj_values: DEFAULT_OOM_SCORE_ADJ_VALUES,
            acllog_max_len: 128,
            tracking_table_max_keys: 1_000_000,
            cluster_enabled: false,
            inert: BTreeMap::new(),
        };
        table::fill_inert_defaults(&mut config);
        config
    }
}

/// Redis's default `save` points: an hour/1 change, 5 minutes/100, a minute/10000.
pub const DEFAULT_SAVE: [(u64, u64); 3] = [(3600, 1), (300, 100), (60, 10000)];

/// Redis's default output buffer limits: normal none, replica 256mb 64mb 60,
/// pubsub 32mb 8mb 60.
pub const DEFAULT_OUTPUT_BUFFER_LIMITS: [OutputBufferLimit; 3] = [
    OutputBufferLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    OutputBufferLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    OutputBufferLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];

/// Redis's default `oom-score-adj-values`.
pub const DEFAULT_OOM_SCORE_ADJ_VALUES: [i32; 3] = [0, 200, 800];

/// Redis clamps `hz` into this range instead of refusing it.
pub const HZ_MIN: u32 = 1;
/// See [`HZ_MIN`].
pub const HZ_MAX: u32 = 500;

impl Config {
    /// CONFIG GET for one exact name (or alias): `None` when unknown.
    pub fn get(&self, name: &str) -> Option<String> {
        table::lookup(name).map(|param| param.get(self))
    }

    /// The `maxmemory-clients` limit in bytes, resolving a percentage of maxmemory.
    pub fn maxmemory_clients_bytes(&self) -> u64 {
        let bytes = if self.maxmemory_clients >= 0 {
            self.maxmemory_clients as u64
        } else {
            let percent = self.maxmemory_clients.unsigned_abs();
            (u128::from(self.maxmemory) * u128::from(percent) / 100) as u64
        };
        // Redis never lets clients be squeezed below 128 KB in total
        // (getClientEvictionLimit): a tiny limit would evict everyone at once.
        if bytes == 0 {
            0
        } else {
            bytes.max(MIN_CLIENT_EVICTION_LIMIT)
        }
    }
}
