//! Persistence: RDB snapshots and loading them back (Redis's `rdb.c` and the
//! save-point part of `serverCron`).
//!
//! - [`save`]: SAVE-style synchronous writes (SAVE, SHUTDOWN, DEBUG RELOAD), the
//!   file names (`dir`/`dbfilename`; `temp-<pid>.rdb`, or `temp-bg-<pid>.rdb`
//!   for BGSAVE, renamed over it after an fsync, as Redis does) and what every
//!   file carries (AUX fields, IDLE/FREQ).
//! - [`bgsave`]: BGSAVE without fork: the keyspace's copy-on-write snapshot
//!   (`storage::db::snapshot`) walked in slices by the command thread and written
//!   by a background thread.
//! - [`dumpfile`]: the temp file itself, written with `O_DIRECT` around the
//!   page cache where the file system allows.
//! - [`load`]: loading `dbfilename` at start-up with Redis's log lines.
//!
//! Also here: the save points (`save <seconds> <changes>`), `BGSAVE SCHEDULE`,
//! and `stop-writes-on-bgsave-error`'s MISCONF refusal.

pub mod bgsave;
pub mod dumpfile;
pub mod load;
pub mod save;

use crate::config::LogLevel;
use crate::log;
use crate::state::Server;

/// Redis's `shared.bgsaveerr`: writes refused after a failed background save.
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// After a failed background save, how long the save points wait before
/// trying again (`CONFIG_BGSAVE_RETRY_DELAY`, seconds).
const BGSAVE_RETRY_DELAY_S: i64 = 5;

/// Sets the calling thread's nice value (the save's background threads run
/// below the command thread); true if granted.
#[allow(unsafe_code)]
pub(crate) fn set_thread_nice(nice: libc::c_int) -> bool {
    // SAFETY: setpriority takes three integers and touches no memory of ours;
    // on Linux, PRIO_PROCESS with who = 0 names the calling thread only.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) == 0 }
}

/// The persistence state INFO persistence reports.
#[derive(Debug)]
pub struct Persistence {
    /// The background save under way.
    pub bgsave: Option<bgsave::BgSave>,
    /// `rdb_last_bgsave_status`.
    pub last_bgsave_ok: bool,
    /// `rdb_last_bgsave_time_sec` (-1 before the first).
    pub last_bgsave_time_sec: i64,
    /// Unix seconds of the last background save attempt.
    pub last_bgsave_try_s: i64,
    /// `rdb_saves`: SAVE and background saves begun since start (Redis counts attempts).
    pub rdb_saves: u64,
    /// `rdb_last_cow_size`: bytes copied for pre-images by the last BGSAVE.
    pub last_cow_size: u64,
    /// `rdb_last_load_keys_loaded`.
    pub last_load_keys_loaded: u64,
    /// `rdb_last_load_keys_expired`.
    pub last_load_keys_expired: u64,
    /// A BGSAVE waits for the current one (BGSAVE SCHEDULE, or BGSAVE in MULTI).
    pub bgsave_scheduled: bool,
    /// Wakes the task that drives background saves.
    pub wake: std::rc::Rc<tokio::sync::Notify>,
}

impl Default for Persistence {
    fn default() -> Persistence {
        Persistence {
            bgsave: None,
            last_bgsave_ok: true,
            last_bgsave_time_sec: -1,
            last_bgsave_try_s: 0,
            rdb_saves: 0,
            last_cow_size: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            bgsave_scheduled: false,
            wake: Default::default(),
        }
    }
}

/// Whether writes are refused with MISCONF (`writeCommandsDeniedByDiskError`).
pub fn writes_denied(server: &Server) -> bool {
    server.config.stop_writes_on_bgsave_error
        && !server.config.save.is_empty()
        && !server.persist.last_bgsave_ok
}

/// The MISCONF step of the gate: write commands, EXEC of a transaction that
/// queued one, and PING (so monitoring notices the broken disk) are refused,
/// as `processCommand` does.
pub fn check_misconf(
    server: &Server,
    client: &crate::client::Client,
    spec: &crate::command::CommandSpec,
) -> Result<(), String> {
    use crate::command::Flags;
    if !writes_denied(server) {
        return Ok(());
    }
    let queued_write = spec.name == "exec"
        && client
            .multi
            .as_ref()
            .is_some_and(|m| m.commands.iter().any(|q| q.spec.flags.has(Flags::WRITE)));
    if spec.flags.has(Flags::WRITE) || queued_write || spec.name == "ping" {
        return Err(MISCONF.into());
    }
    Ok(())
}

/// The save points and scheduled BGSAVEs, run from the cron.
pub fn cron(server: &mut Server) {
    if server.persist.bgsave.is_some() {
        return;
    }
    let now_s = server.clock.now_ms() / 1000;
    let retry_ok = server.persist.last_bgsave_ok
        || now_s - server.persist.last_bgsave_try_s > BGSAVE_RETRY_DELAY_S;
    if server.persist.bgsave_scheduled && retry_ok {
        // Still scheduled if it could not start, as in Redis's serverCron.
        server.persist.bgsave_scheduled = bgsave::start(server).is_err();
        return;
    }
    let due = server
        .config
        .save
        .iter()
        .copied()
        .find(|&(seconds, changes)| {
            server.dirty >= changes && now_s - server.last_save_unix_s > seconds as i64 && retry_ok
        });
    if let Some((seconds, changes)) = due {
        log::line(
            LogLevel::Notice,
            server.clock.now_ms(),
            &format!("{changes} changes in {seconds} seconds. Saving..."),
        );
        let _ = bgsave::start(server);
    }
}

/// The save step of a shutdown (`prepareForShutdown`): saves when save points
/// exist or SAVE was given, unless NOSAVE; an error keeps the server up unless
/// FORCE. A background save under way is abandoned first. True: go on and exit.
pub fn prepare_shutdown(server: &mut Server, save: bool, nosave: bool, force: bool) -> bool {
    let now = server.clock.now_ms();
    log::line(LogLevel::Warning, now, "User requested shutdown...");
    if server.persist.bgsave.is_some() {
        log::line(
            LogLevel::Warning,
            now,
            "There is a child saving an .rdb. Killing it!",
        );
        bgsave::abort(server);
    }
    if (server.config.save.is_empty() || nosave) && !save {
        return true;
    }
    log::line(
        LogLevel::Notice,
        now,
        "Saving the final RDB snapshot before exiting.",
    );
    match save::save_sync(server) {
        Ok(()) => true,
        Err(_) if force => {
            log::line(
                LogLevel::Warning,
                now,
                "Error trying to save the DB. Exit anyway.",
            );
            true
        }
        Err(_) => {
            log::line(
                LogLevel::Warning,
                now,
                "Error trying to save the DB, can't exit.",
            );
            log::line(
                LogLevel::Warning,
                now,
                "Errors trying to shut down the server. Check the logs for more information.",
            );
            false
        }
    }
}
