//! Loading `dbfilename` at start-up (Redis's `loadDataFromDisk` / `rdbLoad`),
//! with Redis's log lines. Keys whose deadline already passed are dropped, as a
//! master does; a file that cannot be read fully is fatal, never half-loaded.

use std::path::Path;

use storage::rdb::reader::{self, LoadOptions, RdbError, RdbErrorKind, Record};
use storage::types::hash::HashLimits;
use storage::types::zset::ZsetLimits;

use super::save;
use crate::config::{Config, LogLevel};
use crate::log;
use crate::state::Server;

/// What one load found.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loaded {
    /// Keys stored.
    pub keys: u64,
    /// Keys skipped because their deadline had passed.
    pub expired: u64,
}

/// The reader's options from the config (encoding thresholds, databases).
pub fn load_options(config: &Config, seed: u64) -> LoadOptions {
    let clamp = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    LoadOptions {
        databases: config.databases,
        hash_limits: HashLimits {
            max_listpack_entries: clamp(config.hash_max_listpack_entries),
            max_listpack_value: clamp(config.hash_max_listpack_value),
        },
        zset_limits: ZsetLimits {
            max_listpack_entries: clamp(config.zset_max_listpack_entries),
            max_listpack_value: clamp(config.zset_max_listpack_value),
        },
        set_max_intset_entries: clamp(config.set_max_intset_entries),
        list_max_listpack_size: config.list_max_listpack_size,
        seed,
    }
}

/// Loads `path` into the keyspace, logging and recording what it loaded (as
/// rdbLoadRio does for every load). Errors say whether the file could not be
/// read or the reader refused it. With
/// `merge` (DEBUG RELOAD MERGE) a key already present is replaced; otherwise a
/// key twice, or a key already there, is corruption, as in Redis.
pub fn load_file(server: &mut Server, path: &Path, merge: bool) -> Result<Loaded, LoadError> {
    let data =
        std::fs::read(path).map_err(|e| LoadError::Io(crate::config::special::strerror(&e)))?;
    let opts = load_options(&server.config, server.rng.next_u64());
    let now = server.clock.now_ms();
    let mut delay = save::KeyDelay::new(server.config.key_load_delay);
    let mut loaded = Loaded::default();
    let keyspace = &mut server.keyspace;
    let mut on_record = |record: Record| -> Result<(), String> {
        match record {
            Record::Aux { name, value } => log_aux(&name, &value, now),
            Record::Key(k) => {
                if k.expire_ms.is_some_and(|when| when < now) {
                    loaded.expired += 1;
                    return Ok(());
                }
                let db = keyspace.db_mut(k.db);
                if !merge && db.peek(&k.key).is_some() {
                    log::line(
                        LogLevel::Warning,
                        now,
                        &format!(
                            "RDB has duplicated key '{}' in DB {}",
                            String::from_utf8_lossy(&k.key),
                            k.db
                        ),
                    );
                    return Err("Duplicated key found in RDB file".into());
                }
                db.set(&k.key, k.value, now, false);
                db.restore_access(&k.key, k.idle_s, k.freq, now);
                if let Some(when) = k.expire_ms {
                    db.set_expire(&k.key, when);
                }
                loaded.keys += 1;
                delay.key();
            }
            Record::SelectDb(_) | Record::ResizeDb { .. } | Record::Function(_) => {}
        }
        Ok(())
    };
    reader::load(&data, &opts, &mut on_record).map_err(LoadError::Rdb)?;
    delay.finish();
    log::line(
        LogLevel::Notice,
        now,
        &format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            loaded.keys, loaded.expired
        ),
    );
    server.persist.last_load_keys_loaded = loaded.keys;
    server.persist.last_load_keys_expired = loaded.expired;
    Ok(loaded)
}

/// The AUX fields Redis reports while loading.
fn log_aux(name: &[u8], value: &[u8], now: i64) {
    let value = String::from_utf8_lossy(value);
    match name {
        b"redis-ver" => log::line(
            LogLevel::Notice,
            now,
            &format!("Loading RDB produced by version {value}"),
        ),
        b"ctime" => {
            if let Ok(ctime) = value.parse::<i64>() {
                let age = (now / 1000 - ctime).max(0);
                log::line(LogLevel::Notice, now, &format!("RDB age {age} seconds"));
            }
        }
        b"used-mem" => {
            if let Ok(bytes) = value.parse::<u64>() {
                let mb = bytes as f64 / (1024.0 * 1024.0);
                log::line(
                    LogLevel::Notice,
                    now,
                    &format!("RDB memory usage when created {mb:.2} Mb"),
                );
            }
        }
        _ => {}
    }
}

/// Start-up: loads the dump if there is one. False means the server must exit.
pub fn load_at_startup(server: &mut Server) -> bool {
    let path = save::rdb_path(&server.config);
    if !path.exists() {
        return true;
    }
    let started_us = server.clock.monotonic_us();
    let now = server.clock.now_ms();
    match load_file(server, &path, false) {
        Ok(_) => {
            log::line(
                LogLevel::Notice,
                now,
                &format!(
                    "DB loaded from disk: {:.3} seconds",
                    server.clock.monotonic_us().saturating_sub(started_us) as f64 / 1e6
                ),
            );
            true
        }
        Err(LoadError::Io(e)) => {
            log::line(
                LogLevel::Warning,
                now,
                &format!("Fatal error loading the DB: {e}. Exiting."),
            );
            false
        }
        Err(LoadError::Rdb(e)) => {
            log_corruption(&e, now);
            false
        }
    }
}

/// What Redis 7.0 logs before it exits on a dump it cannot read at start-up
/// (`rdbLoadRio`'s warning where it has one, then `rdbReportError`'s line),
/// so that a script watching for those lines sees them. Redis writes 0 for
/// the offset there; ours is where the reader stopped, and the function is
/// ours too, not a line of rdb.c.
fn log_corruption(e: &RdbError, now: i64) {
    let reason = match e.kind {
        RdbErrorKind::Eof => {
            log::line(
                LogLevel::Warning,
                now,
                "Short read or OOM loading DB. Unrecoverable error, aborting now.",
            );
            e.message.as_str()
        }
        RdbErrorKind::Checksum => {
            log::line(
                LogLevel::Warning,
                now,
                &format!("{}. Aborting now.", e.message),
            );
            "RDB CRC error"
        }
        RdbErrorKind::Corrupt => e.message.as_str(),
    };
    log::line(
        LogLevel::Warning,
        now,
        &format!(
            "Internal error in RDB reading offset {}, function at rdb/reader.rs -> {reason}",
            e.offset
        ),
    );
}

/// Why a dump could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read (strerror's text).
    Io(String),
    /// The reader refused its contents.
    Rdb(RdbError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => f.write_str(e),
            LoadError::Rdb(e) => e.fmt(f),
        }
    }
}
