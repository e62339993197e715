//! Configuration (stub: the table-driven version replaces this; field names stay).

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
}

impl Default for Config {
    fn default() -> Config {
        Config {
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
        }
    }
}
