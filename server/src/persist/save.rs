//! Writing a whole RDB file in one go on the command thread (Redis's `rdbSave`),
//! and what every file carries: Redis 7.0's AUX fields and, under an LRU or LFU
//! `maxmemory-policy`, each key's IDLE or FREQ. A file is written to
//! `temp-<pid>.rdb` in `dir`, fsynced, then renamed over `dbfilename`, so a crash
//! never leaves a half-written dump under the real name.

use std::io;
use std::path::{Path, PathBuf};

use storage::rdb::writer::{KeyMeta, RdbWriter, WriteOptions};

use super::dumpfile::DumpFile;
use crate::config::{Config, LogLevel};
use crate::log;
use crate::state::Server;

/// `dir`/`dbfilename`.
pub fn rdb_path(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(&config.dbfilename)
}

/// The temporary file a save writes before renaming it.
pub fn temp_path(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(format!("temp-{}.rdb", std::process::id()))
}

/// The temp file of a background save. Redis's child writes `temp-<its pid>`,
/// so a SAVE or DEBUG RELOAD in the parent never meets it; the writer thread
/// shares our pid, hence its own name.
pub fn bg_temp_path(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(format!("temp-bg-{}.rdb", std::process::id()))
}

/// What the file records about access, from `maxmemory-policy`.
#[derive(Clone, Copy, Debug)]
pub struct AccessMeta {
    lru: bool,
    lfu: bool,
    lfu_decay_time: u32,
    now_ms: i64,
}

impl AccessMeta {
    /// IDLE under LRU policies, FREQ under LFU ones (`rdbSaveKeyValuePair`).
    pub fn from_config(config: &Config, now_ms: i64) -> AccessMeta {
        let p = config.maxmemory_policy;
        AccessMeta {
            lru: p.is_lru(),
            lfu: p.is_lfu(),
            lfu_decay_time: config.lfu_decay_time,
            now_ms,
        }
    }

    /// The metadata of a key whose entry word is `word`.
    pub fn meta(&self, word: u32, expire_ms: Option<i64>) -> KeyMeta {
        let idle_s = self
            .lru
            .then(|| storage::lru::idle_ms(word, storage::lru::lru_clock(self.now_ms)) / 1000);
        let freq = self
            .lfu
            .then(|| storage::evict::lfu_decr_and_return(word, self.now_ms, self.lfu_decay_time));
        KeyMeta {
            expire_ms,
            idle_s,
            freq,
        }
    }
}

/// The AUX fields Redis 7.0 writes at the top of a file.
pub fn aux_fields(server: &Server) -> Vec<(&'static str, String)> {
    vec![
        ("redis-ver", crate::REDIS_VERSION.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", (server.clock.now_ms() / 1000).to_string()),
        ("used-mem", crate::alloc::used_memory().to_string()),
        ("repl-stream-db", "0".to_string()),
        ("repl-id", server.replid.as_str().to_string()),
        ("repl-offset", "0".to_string()),
        ("aof-base", "0".to_string()),
    ]
}

/// Options of a file write, from the config.
pub fn write_options(config: &Config) -> WriteOptions {
    WriteOptions {
        compression: config.rdbcompression,
        checksum: config.rdbchecksum,
    }
}

/// Sleeps `rdb-key-save-delay` / `key-load-delay` microseconds (test hooks).
pub fn key_delay(us: i64) {
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64));
    }
}

/// Redis's log line for a failed rename of the finished temp file.
pub fn rename_error(temp: &Path, target: &Path, dir: &str, e: &io::Error) -> String {
    format!(
        "Error moving temp DB file {} on the final destination {} (in server root dir {dir}): {}",
        temp.display(),
        target.display(),
        crate::config::special::strerror(e)
    )
}

/// Redis's log line for a failed write of the temp file.
pub fn write_error(e: &io::Error) -> String {
    format!(
        "Write error saving DB on disk: {}",
        crate::config::special::strerror(e)
    )
}

/// SAVE: writes every database now, blocking the server, then records the save.
pub fn save_sync(server: &mut Server) -> Result<(), String> {
    let now = server.clock.now_ms();
    let tmp = temp_path(&server.config);
    let target = rdb_path(&server.config);
    let result = write_file(server, &tmp).and_then(|()| {
        std::fs::rename(&tmp, &target)
            .map_err(|e| rename_error(&tmp, &target, &server.config.dir, &e))
    });
    match result {
        Ok(()) => {
            log::line(LogLevel::Notice, now, "DB saved on disk");
            server.dirty = 0;
            server.last_save_unix_s = server.clock.now_ms() / 1000;
            server.persist.last_bgsave_ok = true;
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            log::line(LogLevel::Warning, now, &e);
            Err(e)
        }
    }
}

/// Creates the temp file of a save, or Redis's log line saying why not;
/// `incremental_fsync` is `rdb-save-incremental-fsync`.
pub fn create_temp(path: &Path, dir: &str, incremental_fsync: bool) -> Result<DumpFile, String> {
    DumpFile::create(path, true, incremental_fsync).map_err(|e| {
        format!(
            "Failed opening the temp RDB file {} (in server root dir {dir}) for saving: {}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            crate::config::special::strerror(&e)
        )
    })
}

/// Writes the keyspace into `path` and fsyncs it.
fn write_file(server: &Server, path: &Path) -> Result<(), String> {
    let file = create_temp(
        path,
        &server.config.dir,
        server.config.rdb_save_incremental_fsync,
    )?;
    let write_err = |e: io::Error| write_error(&e);
    let mut w = RdbWriter::new(file, write_options(&server.config));
    w.header().map_err(write_err)?;
    for (name, value) in aux_fields(server) {
        w.aux(name.as_bytes(), value.as_bytes())
            .map_err(write_err)?;
    }
    let access = AccessMeta::from_config(&server.config, server.clock.now_ms());
    for (index, db) in server.keyspace.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(index, db.len(), db.expires_len())
            .map_err(write_err)?;
        for entry in db.dict().iter() {
            let key = entry.key().as_bytes();
            let meta = access.meta(entry.lru(), db.get_expire(key));
            w.key(key, entry.value(), &meta).map_err(write_err)?;
            key_delay(server.config.rdb_key_save_delay);
        }
    }
    w.finish().map_err(write_err)?.finish().map_err(write_err)
}
