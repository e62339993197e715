//! The server's one source of time.
//!
//! Expiry, idle times, SLOWLOG durations, `timeout` and the periodic jobs all ask
//! this clock, never the system directly (clippy's `disallowed-methods` enforces
//! it), so a drill or a test can run the server on a manual clock and replay a
//! scenario exactly. In production it is the system clock.
//!
//! Like Redis's cached `server.ustime`, the wall time is read once per command
//! (`start_command`, which also starts the command's duration measurement) and
//! every reader during that command sees the same instant: expiry decisions
//! inside one command are consistent, and a command costs two clock reads, as in
//! Redis's `call()`. Wall time is derived from the monotonic clock plus an offset
//! that `resync` (once per cron tick) realigns with the system clock.

use std::cell::Cell;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Wall-clock and monotonic time for the whole server.
#[derive(Debug)]
pub enum Clock {
    /// The operating system's clocks.
    System {
        /// Fixes the origin of the monotonic readings.
        origin: Instant,
        /// Unix microseconds at `origin`, realigned by `resync`.
        wall_at_origin_us: Cell<i64>,
        /// The wall time of the current command (or of the last resync).
        cached_us: Cell<i64>,
    },
    /// Time that moves only when told to: microseconds since the Unix epoch.
    Manual(Cell<i64>),
}

impl Clock {
    /// The system clock.
    #[allow(clippy::disallowed_methods)]
    pub fn system() -> Clock {
        let clock = Clock::System {
            origin: Instant::now(),
            wall_at_origin_us: Cell::new(0),
            cached_us: Cell::new(0),
        };
        clock.resync();
        clock
    }

    /// Realigns the wall time with the system clock (cron, once per tick).
    #[allow(clippy::disallowed_methods)]
    pub fn resync(&self) {
        if let Clock::System {
            origin,
            wall_at_origin_us,
            cached_us,
        } = self
        {
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0);
            wall_at_origin_us.set(wall - origin.elapsed().as_micros() as i64);
            cached_us.set(wall);
        }
    }

    /// Marks the start of a command: caches its wall time and returns the
    /// monotonic microseconds its duration is measured from.
    pub fn start_command(&self) -> u64 {
        self.start_command_at(self.monotonic_us())
    }

    /// Like [`Clock::start_command`], reusing a monotonic reading taken just
    /// before (the end of the previous command of the same pipeline), which
    /// saves a clock read per pipelined command.
    pub fn start_command_at(&self, mono: u64) -> u64 {
        if let Clock::System {
            wall_at_origin_us,
            cached_us,
            ..
        } = self
        {
            cached_us.set(wall_at_origin_us.get() + mono as i64);
        }
        mono
    }

    /// A manual clock starting at `unix_us`.
    pub fn manual(unix_us: i64) -> Clock {
        Clock::Manual(Cell::new(unix_us))
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance_us(&self, delta_us: i64) {
        if let Clock::Manual(now) = self {
            now.set(now.get() + delta_us);
        }
    }

    /// Microseconds since the Unix epoch, as cached at the current command's
    /// start (Redis's `server.ustime`).
    pub fn now_us(&self) -> i64 {
        match self {
            Clock::System { cached_us, .. } => cached_us.get(),
            Clock::Manual(now) => now.get(),
        }
    }

    /// Reads the wall time afresh (for the few places that must not lag, such as
    /// the time a connection arrives), updating the cache.
    pub fn refresh_us(&self) -> i64 {
        self.start_command();
        self.now_us()
    }

    /// Milliseconds since the Unix epoch (Redis's `mstime()`).
    pub fn now_ms(&self) -> i64 {
        self.now_us() / 1000
    }

    /// Monotonic microseconds, for measuring durations (SLOWLOG, LATENCY).
    #[allow(clippy::disallowed_methods)]
    pub fn monotonic_us(&self) -> u64 {
        match self {
            Clock::System { origin, .. } => origin.elapsed().as_micros() as u64,
            Clock::Manual(now) => now.get().max(0) as u64,
        }
    }
}

/// Monotonic microseconds for pacing the event loop itself (busy polling),
/// never for data: a drill's manual clock must not stop the loop's pacing.
#[allow(clippy::disallowed_methods)]
pub fn pacing_us() -> u64 {
    thread_local! {
        static ORIGIN: Instant = Instant::now();
    }
    ORIGIN.with(|origin| origin.elapsed().as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000_000);
        assert_eq!(clock.now_ms(), 1000);
        clock.advance_us(2500);
        assert_eq!(clock.now_us(), 1_002_500);
        assert_eq!(clock.monotonic_us(), 1_002_500);
    }
}
