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

/// Paces a save or load to `rdb-key-save-delay` / `key-load-delay`
/// microseconds per key (Redis's test hooks, which make a slow save or load
/// reproducible on a small data set).
///
/// Redis sleeps after every key, and a short sleep lasts much longer than it
/// asks: a SAVE of 100,000 keys at 10 µs per key took 6.4 s on Redis 7.0 on
/// the 2-vCPU VM this was measured on. A thread that runs below the command
/// thread, as the BGSAVE writer does, also waits for a CPU at every wake-up
/// on a busy machine. So the keys follow a schedule instead: key `n` is due
/// `n` delays after the start, the thread sleeps only once it is at least
/// [`KeyDelay::MIN_SLEEP_US`] ahead, and time lost waiting for a CPU is not
/// added on top: the same SAVE takes 1.0 s, what the setting says. A negative
/// value `-n` is Redis's short delay: 1 µs every `n` keys on average
/// (`debugDelay` sleeps 1 µs with probability 1/n).
#[derive(Debug)]
pub struct KeyDelay {
    per_key_us: u64,
    /// Keys per `per_key_us`: 1, or `n` for a delay of `-n`.
    keys_per: u64,
    start_us: u64,
    keys: u64,
}

impl KeyDelay {
    /// Shortest sleep taken: shorter ones are mostly wake-up cost.
    pub const MIN_SLEEP_US: u64 = 1_000;

    /// A schedule of `us` per key from now (none for 0).
    pub fn new(us: i64) -> KeyDelay {
        let (per_key_us, keys_per) = match u64::try_from(us) {
            Ok(us) => (us, 1),
            Err(_) => (1, us.unsigned_abs()),
        };
        KeyDelay {
            per_key_us,
            keys_per,
            start_us: crate::clock::pacing_us(),
            keys: 0,
        }
    }

    /// Counts one key done, and sleeps if the schedule is far enough ahead.
    pub fn key(&mut self) {
        if self.per_key_us > 0 {
            self.keys += 1;
            sleep_us(self.ahead_us(crate::clock::pacing_us(), Self::MIN_SLEEP_US));
        }
    }

    /// Sleeps out what the schedule still owes (call after the last key).
    pub fn finish(&mut self) {
        if self.per_key_us > 0 {
            sleep_us(self.ahead_us(crate::clock::pacing_us(), 1));
        }
    }

    /// How long to sleep at monotonic `now_us`: the time until the last key
    /// counted is due, if that is at least `min_us`, else 0.
    fn ahead_us(&self, now_us: u64, min_us: u64) -> u64 {
        let due = self
            .start_us
            .saturating_add(self.keys.saturating_mul(self.per_key_us) / self.keys_per);
        let ahead = due.saturating_sub(now_us);
        if ahead >= min_us {
            ahead
        } else {
            0
        }
    }
}

fn sleep_us(us: u64) {
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
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
    let mut delay = KeyDelay::new(server.config.rdb_key_save_delay);
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
            delay.key();
        }
    }
    delay.finish();
    w.finish().map_err(write_err)?.finish().map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(per_key_us: u64) -> KeyDelay {
        KeyDelay {
            per_key_us,
            keys_per: 1,
            start_us: 0,
            keys: 0,
        }
    }

    #[test]
    fn short_delays_add_up_to_one_sleep_per_millisecond() {
        let mut d = schedule(10);
        let mut sleeps = Vec::new();
        let mut now = 0;
        for _ in 0..250 {
            d.keys += 1;
            let s = d.ahead_us(now, KeyDelay::MIN_SLEEP_US);
            now += s;
            if s > 0 {
                sleeps.push(s);
            }
        }
        assert_eq!(sleeps, vec![1_000, 1_000]);
        // The 500 µs still owed are slept at the end.
        assert_eq!(d.ahead_us(now, 1), 500);
    }

    #[test]
    fn time_lost_waiting_is_not_added_on_top() {
        let mut d = schedule(100);
        d.keys = 50; // due at 5 ms
        assert_eq!(d.ahead_us(3_000, KeyDelay::MIN_SLEEP_US), 2_000);
        // Held off the CPU until 9 ms: the next keys run without sleeping
        // until the schedule is ahead again.
        d.keys = 60;
        assert_eq!(d.ahead_us(9_000, KeyDelay::MIN_SLEEP_US), 0);
        d.keys = 100;
        assert_eq!(d.ahead_us(9_000, KeyDelay::MIN_SLEEP_US), 1_000);
    }

    #[test]
    fn long_delays_sleep_after_every_key_and_none_means_none() {
        let mut d = schedule(5_000);
        d.keys = 1;
        assert_eq!(d.ahead_us(0, KeyDelay::MIN_SLEEP_US), 5_000);
        let mut off = KeyDelay::new(0);
        off.key();
        assert_eq!((off.per_key_us, off.keys), (0, 0));
        let huge = KeyDelay {
            per_key_us: u64::MAX,
            keys_per: 1,
            start_us: 7,
            keys: 3,
        };
        assert_eq!(huge.ahead_us(0, 1), u64::MAX);
    }

    #[test]
    fn a_negative_delay_is_one_microsecond_every_so_many_keys() {
        let mut d = KeyDelay::new(-4);
        d.start_us = 0;
        d.keys = 4_000;
        assert_eq!(d.ahead_us(0, KeyDelay::MIN_SLEEP_US), 1_000);
        d.keys = 3_999;
        assert_eq!(d.ahead_us(0, KeyDelay::MIN_SLEEP_US), 0);
        let extreme = KeyDelay::new(i64::MIN);
        assert_eq!(extreme.keys_per, 1 << 63);
    }
}
