//! BGSAVE without fork.
//!
//! Redis forks a child that writes the parent's frozen memory. Here
//! [`start`] begins a copy-on-write snapshot of every database
//! (`storage::db::snapshot`: O(1), it flips an epoch) and starts a writer thread.
//! The snapshot is then walked on the command thread: on an idle server the
//! task [`drive`] takes [`SLICE_KEYS`] keys per turn of the event loop; while
//! clients are served, [`on_turn`] takes a few keys at the end of each turn,
//! within a small share of the thread's time. The keys (strings shared, not
//! copied) go to the writer over a channel; a key written before the walk
//! reached it was already handed over as a pre-image. The writer thread (under
//! `SCHED_IDLE`, so it only takes CPU time nobody else wants) serialises,
//! compresses, checksums, writes around the page cache (`dumpfile`), fsyncs and
//! renames; the command thread never waits for the disk. The walk pauses while
//! the writer is [`MAX_QUEUED_BATCHES`] behind, which bounds the memory in
//! flight.
//!
//! The log lines and INFO fields are Redis's, so scripts that wait for
//! "Background saving terminated with success" work unchanged.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam::channel::{unbounded, Receiver, Sender};
use storage::rdb::writer::{RdbWriter, WriteOptions};
use storage::SnapItem;

use super::save::{self, AccessMeta};
use crate::affinity::{self, CpuSet};
use crate::config::LogLevel;
use crate::log;
use crate::state::Server;

/// Keys taken per slice of the walk on an idle server.
pub const SLICE_KEYS: usize = 512;
/// Most keys one turn of the event loop takes while clients are served.
pub const BUSY_SLICE_KEYS: usize = 256;
/// While clients are served, the walk may use 1/BUSY_SHARE_DIVISOR of the
/// command thread's time (about 8%); under load it mostly waits for the
/// writer anyway. Pacing costs no memory: a value changed after it was taken
/// is kept only while it waits in the queue.
const BUSY_SHARE_DIVISOR: u64 = 12;
/// Most walk time a turn may bank (a long gap must not become a long slice).
const MAX_CREDIT_US: u64 = 100;
/// Less credit than this waits for a later turn: a slice has a fixed cost.
const MIN_SLICE_US: u64 = 10;
/// Batches the writer may lag behind before the walk waits for it.
pub const MAX_QUEUED_BATCHES: usize = 32;

/// What the command thread sends the writer.
enum Batch {
    /// Keys of database `db`.
    Keys(usize, Vec<SnapItem>),
    /// Every key was sent: finish the file.
    End,
}

/// A background save under way.
#[derive(Debug)]
pub struct BgSave {
    tx: Sender<Batch>,
    thread: Option<JoinHandle<Result<(), String>>>,
    /// Database the walk is in.
    db: usize,
    /// The walk sent every key and the end marker.
    walked: bool,
    /// Monotonic microseconds when it began.
    started_us: u64,
    /// `dirty` when the snapshot began: later changes are not in the file.
    dirty_at_start: u64,
    cow_bytes: u64,
    temp: PathBuf,
    /// Tells the writer to stop at its next key.
    cancel: Arc<AtomicBool>,
    /// Keys handed to the writer so far.
    keys_sent: u64,
    /// Keys in the snapshot.
    keys_total: u64,
    /// Monotonic microseconds of the last [`on_turn`].
    turn_us: u64,
    /// Walk time earned and not yet spent, microseconds.
    credit_us: u64,
    /// What one key has been costing the walk, nanoseconds (a moving average).
    ns_per_key: u64,
}

/// BGSAVE: begins the snapshot and the writer; false (logged) if it could not.
pub fn start(server: &mut Server) -> Result<(), String> {
    if server.persist.bgsave.is_some() {
        return Err("Background save already in progress".into());
    }
    let now = server.clock.now_ms();
    server.persist.last_bgsave_try_s = now / 1000;
    // rdb_saves counts attempts, as Redis's rdbSaveBackground does.
    server.persist.rdb_saves += 1;
    for db in server.keyspace.dbs_mut() {
        db.snapshot_begin();
    }
    let sizes: Vec<(usize, usize)> = server
        .keyspace
        .dbs()
        .iter()
        .map(|db| (db.len(), db.expires_len()))
        .collect();
    let job = WriterJob {
        temp: save::bg_temp_path(&server.config),
        target: save::rdb_path(&server.config),
        dir: server.config.dir.clone(),
        opts: save::write_options(&server.config),
        aux: save::aux_fields(server),
        access: AccessMeta::from_config(&server.config, now),
        sizes,
        key_delay_us: server.config.rdb_key_save_delay,
        incremental_fsync: server.config.rdb_save_incremental_fsync,
        cancel: Arc::new(AtomicBool::new(false)),
        // start() runs on the command thread.
        command_thread: std::fs::canonicalize(THIS_THREAD).ok(),
        cpus: match affinity::from_config("bgsave_cpulist", &server.config.bgsave_cpulist) {
            Ok(cpus) => cpus,
            Err(e) => {
                log::line(LogLevel::Verbose, now, &e);
                None
            }
        },
    };
    let cancel = job.cancel.clone();
    let temp = job.temp.clone();
    let (tx, rx) = unbounded();
    let thread = match std::thread::Builder::new()
        .name("redrill-bgsave".into())
        .spawn(move || job.run(rx))
    {
        Ok(thread) => thread,
        Err(e) => {
            // Where Redis's fork fails: nothing runs, the status is an error.
            end_snapshots(server);
            server.persist.last_bgsave_ok = false;
            let text = format!("Can't save in background: fork: {e}");
            log::line(LogLevel::Warning, now, &text);
            return Err(text);
        }
    };
    server.persist.bgsave = Some(BgSave {
        tx,
        thread: Some(thread),
        db: 0,
        walked: false,
        started_us: server.clock.monotonic_us(),
        dirty_at_start: server.dirty,
        cow_bytes: 0,
        temp,
        cancel,
        keys_sent: 0,
        turn_us: server.clock.monotonic_us(),
        credit_us: 0,
        ns_per_key: 500,
        keys_total: server.keyspace.total_keys() as u64,
    });
    log::line(
        LogLevel::Notice,
        now,
        &format!("Background saving started by pid {}", std::process::id()),
    );
    server.persist.wake.notify_one();
    Ok(())
}

/// One slice of the walk, and the end of the save once the writer is done.
/// Returns false when no background save is under way any more.
pub fn step(server: &mut Server, slice: usize) -> bool {
    let Some(bg) = server.persist.bgsave.as_mut() else {
        return false;
    };
    if !bg.walked && bg.tx.len() < MAX_QUEUED_BATCHES {
        let dbs = server.keyspace.dbs_mut();
        let mut taken = 0;
        while bg.db < dbs.len() && taken < slice {
            let db = &mut dbs[bg.db];
            let mut items = Vec::with_capacity(slice - taken);
            let done = db.snapshot_step(slice - taken, &mut items);
            if !items.is_empty() {
                taken += items.len();
                bg.keys_sent += items.len() as u64;
                let _ = bg.tx.send(Batch::Keys(bg.db, items));
            }
            if done {
                bg.cow_bytes += db.snapshot_end();
                bg.db += 1;
            }
        }
        if bg.db >= dbs.len() {
            let _ = bg.tx.send(Batch::End);
            bg.walked = true;
        }
    }
    if bg.thread.as_ref().is_some_and(|t| t.is_finished()) {
        finish(server);
        return false;
    }
    true
}

/// Records the writer's result (`backgroundSaveDoneHandler`).
fn finish(server: &mut Server) {
    let Some(mut bg) = server.persist.bgsave.take() else {
        return;
    };
    let result = match bg.thread.take().map(|t| t.join()) {
        Some(Ok(r)) => r,
        _ => Err("the background save thread panicked".into()),
    };
    // A failed writer leaves databases the walk never reached still taking
    // pre-images; their epoch bits must be back in step for the next save.
    end_snapshots(server);
    let now = server.clock.now_ms();
    let p = &mut server.persist;
    p.last_bgsave_time_sec =
        (server.clock.monotonic_us().saturating_sub(bg.started_us) / 1_000_000) as i64;
    let ok = result.is_ok();
    match result {
        Ok(()) => {
            p.last_cow_size = bg.cow_bytes;
            log::line(
                LogLevel::Notice,
                now,
                "Background saving terminated with success",
            );
            server.dirty = server.dirty.saturating_sub(bg.dirty_at_start);
            server.last_save_unix_s = now / 1000;
            p.last_bgsave_ok = true;
        }
        Err(e) => {
            log::line(LogLevel::Warning, now, &e);
            log::line(LogLevel::Warning, now, "Background saving error");
            p.last_bgsave_ok = false;
        }
    }
    crate::replicas::bgsave_done(server, ok);
}

/// Abandons the save under way (SHUTDOWN, FLUSHALL): the snapshot ends, the
/// writer stops at its next batch and its temp file is removed.
pub fn abort(server: &mut Server) {
    let Some(mut bg) = server.persist.bgsave.take() else {
        return;
    };
    end_snapshots(server);
    bg.cancel.store(true, Ordering::Relaxed);
    drop(bg.tx);
    if let Some(t) = bg.thread.take() {
        let _ = t.join();
    }
    let _ = std::fs::remove_file(&bg.temp);
    // What Redis logs when it kills its saving child with SIGUSR1 (not an error).
    let now = server.clock.now_ms();
    log::line(
        LogLevel::Warning,
        now,
        "Background saving terminated by signal 10",
    );
    server.persist.last_bgsave_time_sec =
        (server.clock.monotonic_us().saturating_sub(bg.started_us) / 1_000_000) as i64;
    crate::replicas::bgsave_done(server, false);
}

/// Ends every database's part of the snapshot (a no-op where it already ended).
fn end_snapshots(server: &mut Server) {
    for db in server.keyspace.dbs_mut() {
        db.snapshot_end();
    }
}

/// INFO's `current_save_keys_processed` and `current_save_keys_total`.
pub fn progress(server: &Server) -> (u64, u64) {
    server
        .persist
        .bgsave
        .as_ref()
        .map_or((0, 0), |bg| (bg.keys_sent, bg.keys_total))
}

/// INFO's `rdb_current_bgsave_time_sec`, -1 when none runs.
pub fn current_time_sec(server: &Server) -> i64 {
    server.persist.bgsave.as_ref().map_or(-1, |bg| {
        (server.clock.monotonic_us().saturating_sub(bg.started_us) / 1_000_000) as i64
    })
}

/// What the writer thread needs, captured when the snapshot began.
struct WriterJob {
    temp: PathBuf,
    target: PathBuf,
    dir: String,
    opts: WriteOptions,
    aux: Vec<(&'static str, String)>,
    access: AccessMeta,
    sizes: Vec<(usize, usize)>,
    key_delay_us: i64,
    /// `rdb-save-incremental-fsync` when the save began.
    incremental_fsync: bool,
    cancel: Arc<AtomicBool>,
    /// The command thread's /proc directory, for the pacer.
    command_thread: Option<PathBuf>,
    /// `bgsave_cpulist`, where Redis pins its fork child; `None`: inherit the
    /// command thread's CPUs.
    cpus: Option<CpuSet>,
}

impl WriterJob {
    /// The writer thread: the file from the batches, then fsync and rename.
    fn run(self, rx: Receiver<Batch>) -> Result<(), String> {
        // Before the dump's I/O thread exists, so that it inherits the CPUs.
        // A set the kernel refuses leaves them as they were, as in Redis.
        if let Some(cpus) = &self.cpus {
            let _ = cpus.pin_this_thread();
        }
        let mut pacer = Pacer::start(self.command_thread.as_deref());
        let result = self.write(&rx, &mut pacer).and_then(|()| {
            std::fs::rename(&self.temp, &self.target)
                .map_err(|e| save::rename_error(&self.temp, &self.target, &self.dir, &e))
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }

    fn write(&self, rx: &Receiver<Batch>, pacer: &mut Pacer) -> Result<(), String> {
        let file = save::create_temp(&self.temp, &self.dir, self.incremental_fsync)?;
        let err = |e: io::Error| save::write_error(&e);
        let mut w = RdbWriter::new(file, self.opts);
        w.header().map_err(err)?;
        for (name, value) in &self.aux {
            w.aux(name.as_bytes(), value.as_bytes()).map_err(err)?;
        }
        let mut current_db = None;
        let mut delay = save::KeyDelay::new(self.key_delay_us);
        loop {
            match rx.recv() {
                Ok(Batch::Keys(db, items)) => {
                    if current_db != Some(db) {
                        let (size, expires) = self.sizes.get(db).copied().unwrap_or((0, 0));
                        w.select_db(db, size, expires).map_err(err)?;
                        current_db = Some(db);
                    }
                    for item in &items {
                        if self.cancel.load(Ordering::Relaxed) {
                            return Err("Background save aborted".into());
                        }
                        let meta = self.access.meta(item.lru, item.expire_ms);
                        w.key(item.key.as_bytes(), &item.value, &meta)
                            .map_err(err)?;
                        delay.key();
                    }
                    pacer.check();
                }
                Ok(Batch::End) => {
                    delay.finish();
                    break;
                }
                // The server abandoned the save.
                Err(_) => return Err("Background save aborted".into()),
            }
        }
        w.finish().map_err(err)?.finish().map_err(err)
    }
}

/// Walks a little at the end of a turn of the event loop that served
/// clients, within a time budget: [`BUSY_SHARE_DIVISOR`] gives the walk one
/// microsecond for every so many that passed since the last turn.
///
/// Many small slices spread over the turns, instead of a big one per timer
/// tick, keep any one client from waiting long behind the walk, and no timer
/// wakes the thread. The time per key is measured as the walk goes, so the
/// budget holds on any machine and for any value sizes.
pub fn on_turn(server: &mut Server) {
    // Every turn comes here: without a walk to do, read no clock.
    let Some(bg) = server.persist.bgsave.as_mut().filter(|bg| !bg.walked) else {
        return;
    };
    let now = server.clock.monotonic_us();
    let earned = now.saturating_sub(bg.turn_us) / BUSY_SHARE_DIVISOR;
    bg.turn_us = now;
    bg.credit_us = (bg.credit_us + earned).min(MAX_CREDIT_US);
    if bg.credit_us < MIN_SLICE_US {
        return;
    }
    // At least one key, so the walk moves; at most a slice, so one turn stays short.
    let keys = (bg.credit_us * 1000 / bg.ns_per_key.max(1)).clamp(1, BUSY_SLICE_KEYS as u64);
    let sent_before = bg.keys_sent;
    step(server, keys as usize);
    let end = server.clock.monotonic_us();
    if let Some(bg) = server.persist.bgsave.as_mut() {
        let spent = end.saturating_sub(now);
        bg.credit_us = bg.credit_us.saturating_sub(spent);
        bg.turn_us = end;
        let taken = bg.keys_sent - sent_before;
        if let Some(per_key) = (spent * 1000).checked_div(taken) {
            bg.ns_per_key = (bg.ns_per_key * 7 + per_key) / 8;
        }
    }
}

/// The task that drives background saves: sleeps until one starts, then walks
/// [`SLICE_KEYS`] per turn of the event loop on an idle server. While clients
/// are being served the walk moves in [`on_turn`] instead, which this task
/// also calls every millisecond (not every turn writes a reply and reaches the
/// flusher), and looks whether the writer is done.
pub async fn drive(shared: std::rc::Rc<std::cell::RefCell<Server>>) {
    let mut commands_seen = 0u64;
    let mut busy = false;
    loop {
        let wake = shared.borrow().persist.wake.clone();
        let active = {
            let mut server = shared.borrow_mut();
            if busy {
                // Turns that wrote no reply (CLIENT REPLY OFF, a full socket)
                // do not reach the flusher: the budget is spent here as well.
                on_turn(&mut server);
            }
            step(&mut server, if busy { 0 } else { SLICE_KEYS })
        };
        if !active {
            wake.notified().await;
            continue;
        }
        let (backlog, commands) = {
            let server = shared.borrow();
            let backlog = server
                .persist
                .bgsave
                .as_ref()
                .is_some_and(|bg| bg.walked || bg.tx.len() >= MAX_QUEUED_BATCHES);
            (backlog, server.stats.commands_processed)
        };
        busy = commands != commands_seen;
        commands_seen = commands;
        if backlog || busy {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        } else {
            // "Idle" may only mean that the clients wait for this very CPU:
            // a client on the same CPU cannot send while the walk holds it,
            // and without a yield the walk would run on until the kernel's
            // tick preempts it (4 ms and more). sched_yield hands the CPU to
            // whoever waits for it, and returns at once when nobody does.
            std::thread::yield_now();
            tokio::task::yield_now().await;
        }
    }
}

/// Where the writer may run, lowest first: `SCHED_IDLE`, then the ordinary
/// policy at these nice values. The top step, nice 0, is the command
/// thread's own level, where Redis's fork child always runs.
const LADDER: [Option<libc::c_int>; 5] = [None, Some(19), Some(10), Some(5), Some(0)];
/// The step of a writer that cannot be paced: nice 19.
const UNPACED: usize = 1;
/// Least share, in percent, of the time the writer is ready to run that it
/// gets to run.
const MIN_CPU_SHARE_PCT: u64 = 20;
/// How often the writer looks at what share it got, microseconds.
const SHARE_WINDOW_US: u64 = 100_000;
/// The command thread counts as busy serving clients when it ran at least
/// this share, in percent, of a window; the writer then stays at or below
/// nice 19.
const SERVER_BUSY_PCT: u64 = 50;

/// Schedules the writer thread: it starts under `SCHED_IDLE` and, after each
/// window, climbs one step of [`LADDER`] if the window let it run less than
/// [`MIN_CPU_SHARE_PCT`] of the time it was ready to, or comes down one if
/// not. Above nice 19 it climbs only while the command thread is not busy:
/// the writer yields to the server's own clients, not to other programs.
///
/// Redis's child competes with the parent for the CPU as an equal; on a busy
/// machine that costs the clients throughput for the whole save. The writer is
/// background work. Nice 19 alone is not enough: a nice-19 busy loop beside
/// redrill-server cut redis-benchmark's SET rate to 0.59-0.68 of the rate
/// without it on this 2-vCPU VM, because a woken command thread may wait for
/// the low-priority thread's slice to run out; under `SCHED_IDLE`, which any
/// ordinary thread preempts at once, the same loop left 0.83-0.99. With the
/// writer itself, alternating fresh servers (4 rounds), the SET rate during a
/// save over the rate without was 0.85-0.97 (mean 0.91) under `SCHED_IDLE`
/// and 0.77-0.93 (mean 0.87) at nice 19.
///
/// But `SCHED_IDLE` runs only on time nobody else wants, and nice 19 gets
/// little more: with a busy loop on each of the VM's two CPUs, a BGSAVE of
/// 1,000,000 keys of 100 bytes took 23-29 s at nice 19, against 0.41-0.43 s on
/// an idle machine. Hence the floor, measured with the kernel's own account of
/// the time the thread spent ready but waiting for a CPU
/// (`/proc/thread-self/schedstat`), so that time blocked on the disk or on
/// the walk does not count as starving.
///
/// Whom the writer yields to matters. In benches/bgsave.py the CPUs are
/// busy with redis-benchmark and the command thread, and the writer got
/// 6-77% of its ready time per half second at nice 19 (mean 23%); letting it
/// climb to nice 0 there made the save 15% shorter but cut the clients' write
/// rate during it by a fifth (during-save rps 91-105k against 117-134k, four
/// alternating runs each). So while the command thread ran at least
/// [`SERVER_BUSY_PCT`] of the window, the writer goes no higher than nice 19
/// (three alternating runs against the writer without the ladder: write rps
/// ratio 0.89-0.97 against 0.85-1.03, save 19.3-20.9 s against 19.1-20.1 s).
/// When the machine is saturated by other programs instead, the command
/// thread is mostly idle, and the writer climbs to the step where it gets
/// about its share, never above nice 0: the 23-29 s save above took
/// 2.8-3.5 s (Redis 7.0's fork child, at nice 0 throughout: 1.3-1.5 s, and
/// 1.0 s idle).
///
/// Linux lets a thread raise its priority (leaving `SCHED_IDLE` counts) only
/// with `CAP_SYS_NICE` or an `RLIMIT_NICE` that allows the new nice value: a
/// step the thread may not take is not taken, and without schedstat or the
/// right to return to nice 19 the writer stays at nice 19.
struct Pacer {
    /// The writer's step on [`LADDER`].
    level: usize,
    /// The floor is enforced (else the thread just stays at nice 19).
    paced: bool,
    /// The command thread's /proc directory, and its run time at the
    /// window's start (none: it counts as busy).
    server: Option<(PathBuf, u64)>,
    /// The writer's own clock: its windows follow the real scheduler, never
    /// a test's manual time.
    clock: crate::clock::Clock,
    /// Monotonic microseconds when the window began.
    window_start_us: u64,
    /// schedstat's (run time, ready-but-waiting time) at the window's start.
    stat_start: (u64, u64),
}

impl Pacer {
    /// Schedules the calling thread (the writer) as described above;
    /// `command_thread` is the command thread's /proc directory.
    fn start(command_thread: Option<&Path>) -> Pacer {
        let stat = schedstat(Path::new(THIS_THREAD));
        let server = command_thread.and_then(|dir| Some((dir.to_path_buf(), schedstat(dir)?.0)));
        // Nice 19 first: it is what the thread returns to from SCHED_IDLE.
        set_level(UNPACED);
        let paced = stat.is_some() && can_leave_idle() && set_level(0);
        let clock = crate::clock::Clock::system();
        Pacer {
            level: if paced { 0 } else { UNPACED },
            paced,
            server,
            window_start_us: clock.monotonic_us(),
            clock,
            stat_start: stat.unwrap_or((0, 0)),
        }
    }

    /// At the end of each window: one step up if starved, one down if not.
    fn check(&mut self) {
        let now_us = self.clock.monotonic_us();
        if !self.paced || now_us.saturating_sub(self.window_start_us) < SHARE_WINDOW_US {
            return;
        }
        let window_us = now_us.saturating_sub(self.window_start_us);
        let Some(now) = schedstat(Path::new(THIS_THREAD)) else {
            // The account went away: stop pacing, at nice 19.
            set_level(UNPACED);
            self.paced = false;
            self.level = UNPACED;
            return;
        };
        let ran = now.0.saturating_sub(self.stat_start.0);
        let waited = now.1.saturating_sub(self.stat_start.1);
        let starved = ran.saturating_mul(100) < (ran + waited).saturating_mul(MIN_CPU_SHARE_PCT);
        let top = if self.server_was_busy(window_us) {
            UNPACED
        } else {
            LADDER.len() - 1
        };
        let next = next_level(self.level, starved, top);
        if next != self.level && set_level(next) {
            self.level = next;
        }
        self.window_start_us = now_us;
        self.stat_start = now;
    }

    /// Whether the command thread ran at least [`SERVER_BUSY_PCT`] of the
    /// window just ended (`window_us` long); an unreadable account counts as
    /// busy.
    fn server_was_busy(&mut self, window_us: u64) -> bool {
        let Some((dir, ran_before)) = &mut self.server else {
            return true;
        };
        let Some((ran, _)) = schedstat(dir) else {
            return true;
        };
        let ran_ns = ran.saturating_sub(std::mem::replace(ran_before, ran));
        ran_ns.saturating_mul(100) >= window_us.saturating_mul(1000 * SERVER_BUSY_PCT)
    }
}

/// The step after a window: one up when starved, one down when not, and
/// never above `top`.
fn next_level(level: usize, starved: bool, top: usize) -> usize {
    if starved {
        (level + 1).min(top)
    } else {
        level.saturating_sub(1).min(top)
    }
}

/// The calling thread's /proc directory.
const THIS_THREAD: &str = "/proc/thread-self";

/// A thread's (run time, time ready but waiting for a CPU), in nanoseconds:
/// the first two fields of `schedstat` in its /proc directory `dir`.
fn schedstat(dir: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(dir.join("schedstat")).ok()?;
    let mut fields = text.split_ascii_whitespace().map(|f| f.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
}

/// True if this thread may return from `SCHED_IDLE` to nice 19: it has
/// `CAP_SYS_NICE` (shown by being allowed to raise its priority, which it
/// then drops again), or its `RLIMIT_NICE` allows nice 19 (raising the soft
/// limit to the hard one if that is what it takes).
#[allow(unsafe_code)]
fn can_leave_idle() -> bool {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through the pointer, a live local of
    // that type; setrlimit only reads it.
    let limit_ok = unsafe {
        libc::getrlimit(libc::RLIMIT_NICE, &mut lim) == 0
            && (lim.rlim_cur >= 1
                || (lim.rlim_max >= 1 && {
                    lim.rlim_cur = 1;
                    libc::setrlimit(libc::RLIMIT_NICE, &lim) == 0
                }))
    };
    if limit_ok {
        return true;
    }
    // One step above nice 19 is a raise: only a privileged thread gets it.
    let privileged = super::set_thread_nice(18);
    set_level(UNPACED);
    privileged
}

/// Puts the calling thread on step `level` of [`LADDER`]; true if it is
/// there now.
#[allow(unsafe_code)]
fn set_level(level: usize) -> bool {
    let param = libc::sched_param { sched_priority: 0 };
    match LADDER[level] {
        // SAFETY: sched_setscheduler reads the sched_param we pass by
        // reference, which lives on this stack frame for the whole call; pid
        // 0 names the calling thread only.
        None => unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 },
        Some(nice) => {
            // SAFETY: as above. Moving to SCHED_OTHER keeps the nice value.
            let other = unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) } == 0;
            other && super::set_thread_nice(nice)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's scheduling policy and nice value, from
    /// /proc/thread-self/stat (fields 41 and 19).
    fn policy_and_nice() -> (i64, i64) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        let f: Vec<&str> = after.split_whitespace().collect();
        (f[38].parse().unwrap(), f[16].parse().unwrap())
    }

    #[test]
    fn schedstat_accounts_this_threads_run_time() {
        std::thread::spawn(|| {
            let (ran, _) = schedstat(Path::new(THIS_THREAD)).expect("Linux keeps schedstat");
            // Spin until the account shows 20 ms of running: on a busy
            // machine that takes longer than 20 ms, hence a deadline, not a
            // fixed spin.
            let clock = crate::clock::Clock::system();
            let t = clock.monotonic_us();
            let mut ran_after = ran;
            while ran_after - ran < 20_000_000 && clock.monotonic_us() - t < 10_000_000 {
                for _ in 0..10_000 {
                    std::hint::black_box(0);
                }
                ran_after = schedstat(Path::new(THIS_THREAD)).unwrap().0;
            }
            assert!(ran_after - ran >= 20_000_000, "{ran} -> {ran_after}");
        })
        .join()
        .unwrap();
    }

    /// The pacer's thread is where the pacer believes it is, and where it may
    /// go SCHED_IDLE it can come back to nice 19 (an unprivileged thread with
    /// RLIMIT_NICE 0 could not: Linux counts leaving SCHED_IDLE as a raise).
    #[test]
    fn the_writer_can_always_return_from_sched_idle() {
        std::thread::spawn(|| {
            let pacer = Pacer::start(None);
            let (policy, _) = policy_and_nice();
            if pacer.level == 0 {
                assert_eq!(policy, i64::from(libc::SCHED_IDLE));
                assert!(set_level(UNPACED), "left SCHED_IDLE");
            } else {
                eprintln!("SCHED_IDLE not usable here: the writer stays at nice 19");
            }
            assert_eq!(policy_and_nice(), (i64::from(libc::SCHED_OTHER), 19));
        })
        .join()
        .unwrap();
    }

    /// Every step of the ladder the thread is allowed to take puts it where
    /// the ladder says, going up and coming down again.
    #[test]
    fn each_step_of_the_ladder_is_where_it_says() {
        std::thread::spawn(|| {
            let expect = |level: usize| match LADDER[level] {
                None => (i64::from(libc::SCHED_IDLE), None),
                Some(nice) => (i64::from(libc::SCHED_OTHER), Some(i64::from(nice))),
            };
            let at = || {
                let (policy, nice) = policy_and_nice();
                (
                    policy,
                    (policy != i64::from(libc::SCHED_IDLE)).then_some(nice),
                )
            };
            assert!(set_level(UNPACED), "nice 19 is always allowed");
            let mut top = UNPACED;
            while top + 1 < LADDER.len() && set_level(top + 1) {
                top += 1;
                assert_eq!(at(), expect(top));
            }
            if top + 1 < LADDER.len() {
                eprintln!(
                    "no privilege to raise past {:?}: the ladder stops there",
                    LADDER[top]
                );
            }
            for level in (UNPACED..top).rev() {
                assert!(set_level(level), "coming down to {level}");
                assert_eq!(at(), expect(level));
            }
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_writer_climbs_when_starved_and_comes_down_when_not() {
        let top = LADDER.len() - 1;
        let mut level = 0;
        let mut path = vec![level];
        for starved in [
            true, true, true, true, true, false, true, false, false, false, false, false,
        ] {
            level = next_level(level, starved, top);
            path.push(level);
        }
        assert_eq!(path, vec![0, 1, 2, 3, top, top, 3, top, 3, 2, 1, 0, 0]);
    }

    /// While the command thread is busy the writer stays at nice 19 or below,
    /// and drops there at once from higher up.
    #[test]
    fn a_busy_command_thread_holds_the_writer_at_nice_19() {
        let top = LADDER.len() - 1;
        assert_eq!(LADDER[UNPACED], Some(19));
        assert_eq!(next_level(0, true, UNPACED), UNPACED);
        assert_eq!(next_level(UNPACED, true, UNPACED), UNPACED);
        assert_eq!(next_level(top, true, UNPACED), UNPACED);
        assert_eq!(next_level(top, false, UNPACED), UNPACED);
        assert_eq!(next_level(UNPACED, false, UNPACED), 0);
    }

    /// Busy means the command thread ran half the window; an account that
    /// cannot be read counts as busy.
    #[test]
    fn the_command_thread_is_busy_when_it_ran_half_the_window() {
        std::thread::spawn(|| {
            let mut pacer = Pacer::start(None);
            assert!(pacer.server_was_busy(SHARE_WINDOW_US));
            // This thread stands in for the command thread: since it began it
            // ran more than half of a 1 µs window, and since the read above
            // far less than half of 10 s.
            pacer.server = Some((std::fs::canonicalize(THIS_THREAD).unwrap(), 0));
            assert!(pacer.server_was_busy(1));
            assert!(!pacer.server_was_busy(10_000_000));
            pacer.server = Some((PathBuf::from("/proc/no-such-thread"), 0));
            assert!(pacer.server_was_busy(10_000_000));
            set_level(UNPACED);
        })
        .join()
        .unwrap();
    }

    /// The command thread's /proc directory, as `start` records it, leads to
    /// that thread's account, not the writer's.
    #[test]
    fn the_pacer_reads_the_command_threads_account() {
        let dir = std::fs::canonicalize(THIS_THREAD).unwrap();
        let here = schedstat(&dir).expect("Linux keeps schedstat");
        std::thread::spawn(move || {
            let pacer = Pacer::start(Some(&dir));
            let (_, ran_then) = pacer.server.as_ref().expect("the account is readable");
            assert!(*ran_then >= here.0);
            assert_ne!(dir, std::fs::canonicalize(THIS_THREAD).unwrap());
            set_level(UNPACED);
        })
        .join()
        .unwrap();
    }
}
