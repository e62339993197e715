//! The parameter table: one row per Redis 7.0 directive, as `static_configs[]`
//! in Redis's config.c.
//!
//! A row says what a user can see: the name and its alias, the type with its
//! default and bounds, whether CONFIG SET may change it (not IMMUTABLE, and for
//! PROTECTED rows only when `enable-protected-configs` allows), and a typed
//! getter and setter into [`Config`]. Rows for directives redrill does not act
//! on store their value as text in `Config::inert`; the type still validates it
//! exactly as Redis would, so the errors and CONFIG GET output are Redis's.
//! The table's order is the order CONFIG GET and CONFIG REWRITE walk.

use super::special;
use super::{AppendFsync, Config, LogLevel, MaxmemoryPolicy, Protection};

/// Row flags, as Redis's `*_CONFIG` bits.
pub mod flags {
    /// Only settable at start-up.
    pub const IMMUTABLE: u32 = 1;
    /// CONFIG SET needs `enable-protected-configs`.
    pub const PROTECTED: u32 = 1 << 1;
    /// Takes several arguments (`save 900 1 300 10`).
    pub const MULTI_ARG: u32 = 1 << 2;
    /// Not matched by CONFIG GET patterns, only by its exact name.
    pub const HIDDEN: u32 = 1 << 3;
    /// The value is redacted from SLOWLOG and MONITOR.
    pub const SENSITIVE: u32 = 1 << 4;
    /// CONFIG SET refused with -LOADING while a dataset loads.
    pub const DENY_LOADING: u32 = 1 << 5;
}

/// How a number is written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFormat {
    /// A plain integer.
    Plain,
    /// Bytes, with memory units accepted.
    Memory,
    /// Bytes, or a percentage such as `10%` (stored negated, as Redis does).
    MemoryOrPercent,
    /// An octal number (`unixsocketperm`).
    Octal,
}

/// A validity check run on a string before it is stored.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;

/// The state a multi-argument setter may need while a config file is read.
#[derive(Debug, Default)]
pub struct SetState {
    /// True while reading a config file or the command line.
    pub reading_file: bool,
    /// True once a `save` line was seen in this load (the first one clears the defaults).
    pub save_loaded: bool,
}

/// Set, get and rewrite functions of a directive with its own syntax.
#[derive(Clone, Copy)]
pub struct Special {
    /// Parses and stores the arguments.
    pub set: fn(&mut Config, &[String], &mut SetState) -> Result<(), String>,
    /// Formats the value for CONFIG GET.
    pub get: fn(&Config) -> String,
    /// Writes the directive's lines for CONFIG REWRITE.
    pub rewrite: fn(&Config, &'static str, &mut super::rewrite::State),
}

/// The type of a directive, its default, bounds and accessors.
#[derive(Clone, Copy)]
pub enum Kind {
    /// yes / no.
    Bool {
        /// Default value.
        default: bool,
        /// Reads the value.
        get: fn(&Config) -> bool,
        /// Stores a value.
        set: fn(&mut Config, bool),
    },
    /// A bounded integer.
    Int {
        /// Lowest accepted value (for percentages: minus the highest percentage).
        min: i128,
        /// Highest accepted value.
        max: i128,
        /// Default value.
        default: i128,
        /// Syntax accepted.
        format: NumFormat,
        /// Reads the value.
        get: fn(&Config) -> i128,
        /// Stores a value already checked against the bounds.
        set: fn(&mut Config, i128),
    },
    /// One of a set of names; several names OR-ed together for MULTI_ARG rows.
    Enum {
        /// Names and their values, in Redis's order.
        values: &'static [(&'static str, i32)],
        /// Default value.
        default: i32,
        /// Reads the value.
        get: fn(&Config) -> i32,
        /// Stores a value.
        set: fn(&mut Config, i32),
    },
    /// A string.
    Str {
        /// Default value.
        default: &'static str,
        /// True when an empty string means "unset" (Redis's EMPTY_STRING_IS_NULL).
        empty_is_null: bool,
        /// Extra validation.
        check: Option<StrCheck>,
        /// Reads the value.
        get: fn(&Config) -> String,
        /// Stores a value.
        set: fn(&mut Config, String),
    },
    /// Its own syntax.
    Special(Special),
}

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Param {
    /// The name CONFIG GET and CONFIG REWRITE use.
    pub name: &'static str,
    /// The other name it answers to (`slaveof` for `replicaof`).
    pub alias: Option<&'static str>,
    /// [`flags`] bits.
    pub flags: u32,
    /// True when the value lives in `Config::inert`.
    pub inert: bool,
    /// Type and accessors.
    pub kind: Kind,
}

impl Param {
    /// True when `flag` is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

fn inert_get<'a>(config: &'a Config, name: &str) -> &'a str {
    config.inert.get(name).map(String::as_str).unwrap_or("")
}

fn inert_int(config: &Config, name: &str) -> i128 {
    inert_get(config, name).parse().unwrap_or(0)
}

macro_rules! row {
    ($name:literal, $alias:expr, $flags:expr, $inert:expr, $kind:expr) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            inert: $inert,
            kind: $kind,
        }
    };
}

macro_rules! boolean {
    ($name:literal, $alias:expr, $flags:expr, $default:expr, $field:ident) => {
        row!(
            $name,
            $alias,
            $flags,
            false,
            Kind::Bool {
                default: $default,
                get: |c| c.$field,
                set: |c, v| c.$field = v,
            }
        )
    };
    ($name:literal, $alias:expr, $flags:expr, $default:expr) => {
        row!(
            $name,
            $alias,
            $flags,
            true,
            Kind::Bool {
                default: $default,
                get: |c| inert_get(c, $name) == "yes",
                set: |c, v| {
                    c.inert.insert($name, if v { "yes" } else { "no" }.into());
                },
            }
        )
    };
}

macro_rules! int {
    ($name:literal, $alias:expr, $flags:expr, $min:expr, $max:expr, $default:expr, $fmt:ident, $field:ident as $ty:ty) => {
        row!(
            $name,
            $alias,
            $flags,
            false,
            Kind::Int {
                min: $min as i128,
                max: $max as i128,
                default: $default as i128,
                format: NumFormat::$fmt,
                get: |c| c.$field as i128,
                set: |c, v| c.$field = v as $ty,
            }
        )
    };
    ($name:literal, $alias:expr, $flags:expr, $min:expr, $max:expr, $default:expr, $fmt:ident) => {
        row!(
            $name,
            $alias,
            $flags,
            true,
            Kind::Int {
                min: $min as i128,
                max: $max as i128,
                default: $default as i128,
                format: NumFormat::$fmt,
                get: |c| inert_int(c, $name),
                set: |c, v| {
                    c.inert.insert($name, v.to_string());
                },
            }
        )
    };
}

macro_rules! enumeration {
    ($name:literal, $alias:expr, $flags:expr, $values:expr, $default:expr, $get:expr, $set:expr) => {
        row!(
            $name,
            $alias,
            $flags,
            false,
            Kind::Enum {
                values: $values,
                default: $default,
                get: $get,
                set: $set,
            }
        )
    };
    ($name:literal, $alias:expr, $flags:expr, $values:expr, $default:expr) => {
        row!(
            $name,
            $alias,
            $flags,
            true,
            Kind::Enum {
                values: $values,
                default: $default,
                get: |c| inert_int(c, $name) as i32,
                set: |c, v| {
                    c.inert.insert($name, v.to_string());
                },
            }
        )
    };
}

macro_rules! string {
    ($name:literal, $alias:expr, $flags:expr, $null:expr, $default:expr, $check:expr, $field:ident) => {
        row!(
            $name,
            $alias,
            $flags,
            false,
            Kind::Str {
                default: $default,
                empty_is_null: $null,
                check: $check,
                get: |c| c.$field.clone(),
                set: |c, v| c.$field = v,
            }
        )
    };
    ($name:literal, $alias:expr, $flags:expr, $null:expr, $default:expr, $check:expr) => {
        row!(
            $name,
            $alias,
            $flags,
            true,
            Kind::Str {
                default: $default,
                empty_is_null: $null,
                check: $check,
                get: |c| inert_get(c, $name).to_string(),
                set: |c, v| {
                    c.inert.insert($name, v);
                },
            }
        )
    };
}

macro_rules! special {
    ($name:literal, $alias:expr, $flags:expr, $special:expr) => {
        row!($name, $alias, $flags, false, Kind::Special($special))
    };
}

use flags::{
    DENY_LOADING as DL, HIDDEN, IMMUTABLE as IMM, MULTI_ARG as MULTI, PROTECTED, SENSITIVE,
};
const M: u32 = 0;
const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const MB: i64 = 1024 * 1024;

/// `maxmemory-policy` names, in Redis's order.
pub const MAXMEMORY_POLICIES: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const POLICIES: [MaxmemoryPolicy; 8] = [
    MaxmemoryPolicy::VolatileLru,
    MaxmemoryPolicy::VolatileLfu,
    MaxmemoryPolicy::VolatileRandom,
    MaxmemoryPolicy::VolatileTtl,
    MaxmemoryPolicy::AllkeysLru,
    MaxmemoryPolicy::AllkeysLfu,
    MaxmemoryPolicy::AllkeysRandom,
    MaxmemoryPolicy::NoEviction,
];
const LOGLEVELS: &[(&str, i32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const LEVELS: [LogLevel; 4] = [
    LogLevel::Debug,
    LogLevel::Verbose,
    LogLevel::Notice,
    LogLevel::Warning,
];
const FSYNCS: &[(&str, i32)] = &[("everysec", 1), ("always", 0), ("no", 2)];
const FSYNC: [AppendFsync; 3] = [AppendFsync::Always, AppendFsync::Everysec, AppendFsync::No];
const PROTECTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const PROTECTIONS: [Protection; 3] = [Protection::No, Protection::Yes, Protection::Local];
const SUPERVISED: &[(&str, i32)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const SYSLOG_FACILITIES: &[(&str, i32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const DISKLESS_LOAD: &[(&str, i32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const OOM_SCORE_ADJ: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB: &[(&str, i32)] = &[("allchannels", 1 << 2), ("resetchannels", 0)];
const SANITIZE: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ENDPOINT: &[(&str, i32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
/// `shutdown-on-sigint` / `shutdown-on-sigterm` flags (Redis's SHUTDOWN_*).
pub const SHUTDOWN_FLAGS: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
const TLS_AUTH: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];

fn index_of<T: PartialEq + Copy>(all: &[T], value: T) -> i32 {
    all.iter().position(|v| *v == value).unwrap_or(0) as i32
}

fn pick<T: Copy>(all: &[T], index: i32, fallback: T) -> T {
    usize::try_from(index)
        .ok()
        .and_then(|i| all.get(i).copied())
        .unwrap_or(fallback)
}

/// Redis's `pathIsBaseName`: no `/` and no `\`.
fn is_basename(v: &str) -> bool {
    !v.contains('/') && !v.contains('\\')
}

fn check_dbfilename(v: &str) -> Result<(), &'static str> {
    if is_basename(v) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}

fn check_appendfilename(v: &str) -> Result<(), &'static str> {
    match v {
        "" => Err("appendfilename can't be empty"),
        v if !is_basename(v) => Err("appendfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

fn check_appenddirname(v: &str) -> Result<(), &'static str> {
    match v {
        "" => Err("appenddirname can't be empty"),
        v if !is_basename(v) => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

fn check_hostname(v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if v.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        Ok(())
    } else {
        Err("Hostnames may only contain alphanumeric characters, hyphens or dots")
    }
}

/// Accepts a template only if every `{...}` names a known variable and the
/// expansion is not empty, as Redis's `validateProcTitleTemplate`.
fn check_proc_title(v: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    const VARS: [&str; 7] = [
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    let mut rest = v;
    let mut literal = String::new();
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(ERR)?;
        if !VARS.contains(&&after[..close]) {
            return Err(ERR);
        }
        rest = &after[close + 1..];
    }
    literal.push_str(rest);
    if literal.contains('}') {
        return Err(ERR);
    }
    // Redis expands with an empty title; a template of only {title} and spaces is empty.
    let only_title = v.replace("{title}", "");
    if only_title.trim().is_empty() {
        return Err(ERR);
    }
    Ok(())
}

/// Every directive, in Redis 7.0's order.
// One row per line, like Redis's table: rustfmt would spread each over a screen.
#[rustfmt::skip]
pub static TABLE: &[Param] = &[
    // Booleans.
    boolean!("rdbchecksum", None, IMM, true, rdbchecksum),
    boolean!("daemonize", None, IMM, false, daemonize),
    boolean!("io-threads-do-reads", None, IMM, false),
    boolean!("always-show-logo", None, IMM, false),
    boolean!("protected-mode", None, M, true, protected_mode),
    boolean!("rdbcompression", None, M, true, rdbcompression),
    boolean!("rdb-del-sync-files", None, M, false, rdb_del_sync_files),
    boolean!("activerehashing", None, M, true, activerehashing),
    boolean!("stop-writes-on-bgsave-error", None, M, true, stop_writes_on_bgsave_error),
    boolean!("set-proc-title", None, IMM, true),
    boolean!("dynamic-hz", None, M, true, dynamic_hz),
    boolean!("lazyfree-lazy-eviction", None, M, false, lazyfree_lazy_eviction),
    boolean!("lazyfree-lazy-expire", None, M, false, lazyfree_lazy_expire),
    boolean!("lazyfree-lazy-server-del", None, M, false, lazyfree_lazy_server_del),
    boolean!("lazyfree-lazy-user-del", None, M, false, lazyfree_lazy_user_del),
    boolean!("lazyfree-lazy-user-flush", None, M, false, lazyfree_lazy_user_flush),
    boolean!("repl-disable-tcp-nodelay", None, M, false, repl_disable_tcp_nodelay),
    boolean!("repl-diskless-sync", None, M, true, repl_diskless_sync),
    boolean!("aof-rewrite-incremental-fsync", None, M, true, aof_rewrite_incremental_fsync),
    boolean!("no-appendfsync-on-rewrite", None, M, false, no_appendfsync_on_rewrite),
    boolean!("cluster-require-full-coverage", None, M, true),
    boolean!("rdb-save-incremental-fsync", None, M, true, rdb_save_incremental_fsync),
    boolean!("aof-load-truncated", None, M, true, aof_load_truncated),
    boolean!("aof-use-rdb-preamble", None, M, true, aof_use_rdb_preamble),
    boolean!("aof-timestamp-enabled", None, M, false, aof_timestamp_enabled),
    boolean!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), M, false),
    boolean!("replica-lazy-flush", Some("slave-lazy-flush"), M, false, replica_lazy_flush),
    boolean!("replica-serve-stale-data", Some("slave-serve-stale-data"), M, true, replica_serve_stale_data),
    boolean!("replica-read-only", Some("slave-read-only"), M, true, replica_read_only),
    boolean!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), M, true, replica_ignore_maxmemory),
    boolean!("jemalloc-bg-thread", None, M, true, jemalloc_bg_thread),
    boolean!("activedefrag", None, M, false),
    boolean!("syslog-enabled", None, IMM, false),
    boolean!("cluster-enabled", None, IMM, false, cluster_enabled),
    boolean!("appendonly", None, M | DL, false, appendonly),
    boolean!("cluster-allow-reads-when-down", None, M, false),
    boolean!("cluster-allow-pubsubshard-when-down", None, M, true),
    boolean!("crash-log-enabled", None, M, true),
    boolean!("crash-memcheck-enabled", None, M, true),
    boolean!("use-exit-on-panic", None, M | HIDDEN, false),
    boolean!("disable-thp", None, IMM, true),
    boolean!("cluster-allow-replica-migration", None, M, true),
    boolean!("replica-announced", None, M, true, replica_announced),
    boolean!("latency-tracking", None, M, true, latency_tracking),
    boolean!("aof-disable-auto-gc", None, M, false),
    boolean!("replica-ignore-disk-write-errors", None, M, false),
    // Strings.
    string!("aclfile", None, IMM, false, "", None),
    string!("unixsocket", None, IMM, true, "", None, unixsocket),
    string!("pidfile", None, IMM, true, "", None, pidfile),
    string!("replica-announce-ip", Some("slave-announce-ip"), M, true, "", None, replica_announce_ip),
    string!("masteruser", None, M | SENSITIVE, true, "", None, masteruser),
    string!("cluster-announce-ip", None, M, true, "", None),
    string!("cluster-config-file", None, IMM, false, "nodes.conf", None),
    string!("cluster-announce-hostname", None, M, true, "", Some(check_hostname)),
    string!("syslog-ident", None, IMM, false, "redis", None),
    string!("dbfilename", None, M | PROTECTED, false, "dump.rdb", Some(check_dbfilename), dbfilename),
    string!("appendfilename", None, IMM, false, "appendonly.aof", Some(check_appendfilename), appendfilename),
    string!("appenddirname", None, IMM, false, "appendonlydir", Some(check_appenddirname), appenddirname),
    string!("server_cpulist", None, IMM, true, "", None, server_cpulist),
    string!("bio_cpulist", None, IMM, true, "", None),
    string!("aof_rewrite_cpulist", None, IMM, true, "", None),
    string!("bgsave_cpulist", None, IMM, true, "", None, bgsave_cpulist),
    string!("ignore-warnings", None, M, false, "", None),
    string!("proc-title-template", None, M, false, "{title} {listen-addr} {server-mode}", Some(check_proc_title)),
    string!("bind-source-addr", None, M, true, "", None),
    string!("logfile", None, IMM, false, "", None, logfile),
    string!("masterauth", None, M | SENSITIVE, true, "", None, masterauth),
    row!(
        "requirepass",
        None,
        M | SENSITIVE,
        false,
        Kind::Str {
            default: "",
            empty_is_null: true,
            check: None,
            get: |c| String::from_utf8_lossy(&c.requirepass).into_owned(),
            set: |c, v| c.requirepass = v.into_bytes(),
        }
),
    // Enumerations.
    enumeration!("supervised", None, IMM, SUPERVISED, 0),
    enumeration!("syslog-facility", None, IMM, SYSLOG_FACILITIES, 128),
    enumeration!("repl-diskless-load", None, M | DL, DISKLESS_LOAD, 0),
    enumeration!("loglevel", None, M, LOGLEVELS, 2, |c| index_of(&LEVELS, c.loglevel), |c, v| { c.loglevel = pick(&LEVELS, v, LogLevel::Notice) }),
    enumeration!(
        "maxmemory-policy",
        None,
        M,
        MAXMEMORY_POLICIES,
        7,
        |c| index_of(&POLICIES, c.maxmemory_policy),
        |c, v| { c.maxmemory_policy = pick(&POLICIES, v, MaxmemoryPolicy::NoEviction) }
),
    enumeration!(
        "appendfsync",
        None,
        M,
        FSYNCS,
        1,
        |c| index_of(&FSYNC, c.appendfsync),
        |c, v| { c.appendfsync = pick(&FSYNC, v, AppendFsync::Everysec) }
),
    enumeration!("oom-score-adj", None, M, OOM_SCORE_ADJ, 0),
    enumeration!("acl-pubsub-default", None, M, ACL_PUBSUB, 0),
    enumeration!("sanitize-dump-payload", None, M, SANITIZE, 0),
    enumeration!(
        "enable-protected-configs",
        None,
        IMM,
        PROTECTION,
        0,
        |c| index_of(&PROTECTIONS, c.enable_protected_configs),
        |c, v| { c.enable_protected_configs = pick(&PROTECTIONS, v, Protection::No) }
),
    enumeration!(
        "enable-debug-command",
        None,
        IMM,
        PROTECTION,
        0,
        |c| index_of(&PROTECTIONS, c.enable_debug_command),
        |c, v| { c.enable_debug_command = pick(&PROTECTIONS, v, Protection::No) }
),
    enumeration!(
        "enable-module-command",
        None,
        IMM,
        PROTECTION,
        0,
        |c| index_of(&PROTECTIONS, c.enable_module_command),
        |c, v| { c.enable_module_command = pick(&PROTECTIONS, v, Protection::No) }
),
    enumeration!("cluster-preferred-endpoint-type", None, M, ENDPOINT, 0),
    enumeration!("propagation-error-behavior", None, M, PROPAGATION_ERROR, 0),
    enumeration!(
        "shutdown-on-sigint",
        None,
        M | MULTI,
        SHUTDOWN_FLAGS,
        0,
        |c| c.shutdown_on_sigint as i32,
        |c, v| { c.shutdown_on_sigint = v as u32 }
),
    enumeration!(
        "shutdown-on-sigterm",
        None,
        M | MULTI,
        SHUTDOWN_FLAGS,
        0,
        |c| c.shutdown_on_sigterm as i32,
        |c, v| { c.shutdown_on_sigterm = v as u32 }
),
    // Integers.
    int!("databases", None, IMM, 1, INT_MAX, 16, Plain, databases as usize),
    int!("port", None, M, 0, 65535, 6379, Plain, port as u16),
    int!("io-threads", None, IMM, 1, 128, 1, Plain),
    int!("auto-aof-rewrite-percentage", None, M, 0, INT_MAX, 100, Plain, auto_aof_rewrite_percentage as u32),
    int!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), M, 0, INT_MAX, 10, Plain),
    int!("list-max-listpack-size", Some("list-max-ziplist-size"), M, INT_MIN, INT_MAX, -2, Plain, list_max_listpack_size as i64),
    int!("tcp-keepalive", None, M, 0, INT_MAX, 300, Plain, tcp_keepalive as u64),
    int!("cluster-migration-barrier", None, M, 0, INT_MAX, 1, Plain),
    int!("active-defrag-cycle-min", None, M, 1, 99, 1, Plain),
    int!("active-defrag-cycle-max", None, M, 1, 99, 25, Plain),
    int!("active-defrag-threshold-lower", None, M, 0, 1000, 10, Plain),
    int!("active-defrag-threshold-upper", None, M, 0, 1000, 100, Plain),
    int!("lfu-log-factor", None, M, 0, INT_MAX, 10, Plain, lfu_log_factor as u32),
    int!("lfu-decay-time", None, M, 0, INT_MAX, 1, Plain, lfu_decay_time as u32),
    int!("replica-priority", Some("slave-priority"), M, 0, INT_MAX, 100, Plain, replica_priority as u64),
    int!("repl-diskless-sync-delay", None, M, 0, INT_MAX, 5, Plain, repl_diskless_sync_delay as u64),
    int!("maxmemory-samples", None, M, 1, INT_MAX, 5, Plain, maxmemory_samples as u32),
    int!("maxmemory-eviction-tenacity", None, M, 0, 100, 10, Plain, maxmemory_eviction_tenacity as u32),
    int!("timeout", None, M, 0, INT_MAX, 0, Plain, timeout as u64),
    int!("replica-announce-port", Some("slave-announce-port"), M, 0, 65535, 0, Plain, replica_announce_port as u16),
    int!("tcp-backlog", None, IMM, 0, INT_MAX, 511, Plain, tcp_backlog as u32),
    int!("cluster-port", None, IMM, 0, 65535, 0, Plain),
    int!("cluster-announce-bus-port", None, M, 0, 65535, 0, Plain),
    int!("cluster-announce-port", None, M, 0, 65535, 0, Plain),
    int!("cluster-announce-tls-port", None, M, 0, 65535, 0, Plain),
    int!("repl-timeout", None, M, 1, INT_MAX, 60, Plain, repl_timeout as u64),
    int!("repl-ping-replica-period", Some("repl-ping-slave-period"), M, 1, INT_MAX, 10, Plain, repl_ping_replica_period as u64),
    int!("list-compress-depth", None, M, 0, INT_MAX, 0, Plain, list_compress_depth as u64),
    int!("rdb-key-save-delay", None, M | HIDDEN, INT_MIN, INT_MAX, 0, Plain, rdb_key_save_delay as i64),
    int!("key-load-delay", None, M | HIDDEN, INT_MIN, INT_MAX, 0, Plain, key_load_delay as i64),
    int!("active-expire-effort", None, M, 1, 10, 1, Plain, active_expire_effort as u32),
    row!(
        "hz",
        None,
        M,
        false,
        Kind::Int {
            min: 0,
            max: INT_MAX as i128,
            default: 10,
            format: NumFormat::Plain,
            get: |c| i128::from(c.hz),
            // Redis takes any hz and clamps it rather than refusing it.
            set: |c, v| c.hz = v.clamp(i128::from(super::HZ_MIN), i128::from(super::HZ_MAX)) as u32,
        }
),
    int!("min-replicas-to-write", Some("min-slaves-to-write"), M, 0, INT_MAX, 0, Plain, min_replicas_to_write as u64),
    int!("min-replicas-max-lag", Some("min-slaves-max-lag"), M, 0, INT_MAX, 10, Plain, min_replicas_max_lag as u64),
    int!("watchdog-period", None, M | HIDDEN, 0, INT_MAX, 0, Plain),
    int!("shutdown-timeout", None, M, 0, INT_MAX, 10, Plain, shutdown_timeout as u64),
    int!("repl-diskless-sync-max-replicas", None, M, 0, INT_MAX, 0, Plain, repl_diskless_sync_max_replicas as u64),
    int!("maxclients", None, M, 1, UINT_MAX, 10000, Plain, maxclients as u64),
    int!("unixsocketperm", None, IMM, 0, 0o777, 0, Octal, unixsocketperm as u32),
    int!("socket-mark-id", None, IMM, 0, UINT_MAX, 0, Plain),
    int!("active-defrag-max-scan-fields", None, M, 1, LONG_MAX, 1000, Plain),
    int!("slowlog-max-len", None, M, 0, LONG_MAX, 128, Plain, slowlog_max_len as u64),
    int!("acllog-max-len", None, M, 0, LONG_MAX, 128, Plain, acllog_max_len as u64),
    int!("busy-reply-threshold", Some("lua-time-limit"), M, 0, LONG_MAX, 5000, Plain, busy_reply_threshold as u64),
    int!("cluster-node-timeout", None, M, 0, LONG_MAX, 15000, Plain),
    int!("slowlog-log-slower-than", None, M, -1, LONG_MAX, 10000, Plain, slowlog_log_slower_than as i64),
    int!("latency-monitor-threshold", None, M, 0, LONG_MAX, 0, Plain, latency_monitor_threshold as u64),
    int!("proto-max-bulk-len", None, M, MB, LONG_MAX, 512 * MB, Memory, proto_max_bulk_len as u64),
    int!("stream-node-max-entries", None, M, 0, LONG_MAX, 100, Plain, stream_node_max_entries as u64),
    int!("repl-backlog-size", None, M, 1, LONG_MAX, MB, Memory, repl_backlog_size as u64),
    int!("maxmemory", None, M, 0, u64::MAX, 0, Memory, maxmemory as u64),
    int!("cluster-link-sendbuf-limit", None, M, 0, u64::MAX, 0, Memory),
    int!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), M, 0, LONG_MAX, 512, Plain, hash_max_listpack_entries as u64),
    int!("set-max-intset-entries", None, M, 0, LONG_MAX, 512, Plain, set_max_intset_entries as u64),
    int!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), M, 0, LONG_MAX, 128, Plain, zset_max_listpack_entries as u64),
    int!("active-defrag-ignore-bytes", None, M, 1, LONG_MAX, 100 * MB, Memory),
    int!("hash-max-listpack-value", Some("hash-max-ziplist-value"), M, 0, LONG_MAX, 64, Memory, hash_max_listpack_value as u64),
    int!("stream-node-max-bytes", None, M, 0, LONG_MAX, 4096, Memory, stream_node_max_bytes as u64),
    int!("zset-max-listpack-value", Some("zset-max-ziplist-value"), M, 0, LONG_MAX, 64, Memory, zset_max_listpack_value as u64),
    int!("hll-sparse-max-bytes", None, M, 0, LONG_MAX, 3000, Memory, hll_sparse_max_bytes as u64),
    int!("tracking-table-max-keys", None, M, 0, LONG_MAX, 1_000_000, Plain, tracking_table_max_keys as u64),
    int!("client-query-buffer-limit", None, M, MB, LONG_MAX, 1024 * MB, Memory, client_query_buffer_limit as u64),
    int!("maxmemory-clients", None, M, -100, LONG_MAX, 0, MemoryOrPercent, maxmemory_clients as i64),
    int!("repl-backlog-ttl", None, M, 0, LONG_MAX, 3600, Plain, repl_backlog_ttl as u64),
    int!("auto-aof-rewrite-min-size", None, M, 0, LONG_MAX, 64 * MB, Memory, auto_aof_rewrite_min_size as u64),
    int!("loading-process-events-interval-bytes", None, M | HIDDEN, 1024, INT_MAX, 2 * MB, Plain),
    // TLS (accepted and kept; redrill has no TLS listener).
    int!("tls-port", None, M, 0, 65535, 0, Plain),
    int!("tls-session-cache-size", None, M, 0, INT_MAX, 20 * 1024, Plain),
    int!("tls-session-cache-timeout", None, M, 0, INT_MAX, 300, Plain),
    boolean!("tls-cluster", None, M, false),
    boolean!("tls-replication", None, M, false),
    enumeration!("tls-auth-clients", None, M, TLS_AUTH, 1),
    boolean!("tls-prefer-server-ciphers", None, M, false),
    boolean!("tls-session-caching", None, M, true),
    string!("tls-cert-file", None, M, true, "", None),
    string!("tls-key-file", None, M, true, "", None),
    string!("tls-key-file-pass", None, M, true, "", None),
    string!("tls-client-cert-file", None, M, true, "", None),
    string!("tls-client-key-file", None, M, true, "", None),
    string!("tls-client-key-file-pass", None, M, true, "", None),
    string!("tls-dh-params-file", None, M, true, "", None),
    string!("tls-ca-cert-file", None, M, true, "", None),
    string!("tls-ca-cert-dir", None, M, true, "", None),
    string!("tls-protocols", None, M, true, "", None),
    string!("tls-ciphers", None, M, true, "", None),
    string!("tls-ciphersuites", None, M, true, "", None),
    // Directives with their own syntax.
    special!("dir", None, M | PROTECTED | DL, special::DIR),
    special!("save", None, M | MULTI, special::SAVE),
    special!("client-output-buffer-limit", None, M | MULTI, special::CLIENT_OUTPUT_BUFFER_LIMIT),
    special!("oom-score-adj-values", None, M | MULTI, special::OOM_SCORE_ADJ_VALUES),
    special!("notify-keyspace-events", None, M, special::NOTIFY_KEYSPACE_EVENTS),
    special!("bind", None, M | MULTI, special::BIND),
    special!("replicaof", Some("slaveof"), IMM | MULTI, special::REPLICAOF),
    special!("latency-tracking-info-percentiles", None, M | MULTI, special::LATENCY_TRACKING_INFO_PERCENTILES),
];

/// The row for a name or alias, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Param> {
    TABLE.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Stores every inert row's default into `config.inert`.
pub(super) fn fill_inert_defaults(config: &mut Config) {
    for param in TABLE.iter().filter(|p| p.inert) {
        match param.kind {
            Kind::Bool { default, set, .. } => set(config, default),
            Kind::Int { default, set, .. } => set(config, default),
            Kind::Enum { default, set, .. } => set(config, default),
            Kind::Str { default, set, .. } => set(config, default.to_string()),
            Kind::Special(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in TABLE {
            assert!(seen.insert(p.name), "{}", p.name);
            if let Some(a) = p.alias {
                assert!(seen.insert(a), "{a}");
            }
        }
    }

    #[test]
    fn typed_defaults_match_the_rows() {
        let config = Config::default();
        for p in TABLE {
            match p.kind {
                Kind::Bool { default, get, .. } => assert_eq!(get(&config), default, "{}", p.name),
                Kind::Int { default, get, .. } => assert_eq!(get(&config), default, "{}", p.name),
                Kind::Enum { default, get, .. } => assert_eq!(get(&config), default, "{}", p.name),
                Kind::Str { default, get, .. } => assert_eq!(get(&config), default, "{}", p.name),
                Kind::Special(_) => {}
            }
        }
    }

    #[test]
    fn proc_title_templates() {
        assert!(check_proc_title("{title} {listen-addr} {server-mode}").is_ok());
        assert!(check_proc_title("{title}").is_err());
        assert!(check_proc_title("{nope} x").is_err());
        assert!(check_proc_title("x {title").is_err());
    }
}
