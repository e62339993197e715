//! The server's one source of time.
//!
//! Expiry, idle times, SLOWLOG durations, `timeout` and the periodic jobs all ask
//! this clock, never the system directly (clippy's `disallowed-methods` enforces
//! it), so a drill or a test can run the server on a manual clock and replay a
//! scenario exactly. In production it is the system clock.

use std::cell::Cell;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Wall-clock and monotonic time for the whole server.
#[derive(Debug)]
pub enum Clock {
    /// The operating system's clocks.
    System {
        /// Fixes the origin of the monotonic readings.
        origin: Instant,
    },
    /// Time that moves only when told to: microseconds since the Unix epoch.
    Manual(Cell<i64>),
}

impl Clock {
    /// The system clock.
    #[allow(clippy::disallowed_methods)]
    pub fn system() -> Clock {
        Clock::System {
            origin: Instant::now(),
        }
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

    /// Microseconds since the Unix epoch (Redis's `ustime()`).
    #[allow(clippy::disallowed_methods)]
    pub fn now_us(&self) -> i64 {
        match self {
            Clock::System { .. } => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0),
            Clock::Manual(now) => now.get(),
        }
    }

    /// Milliseconds since the Unix epoch (Redis's `mstime()`).
    pub fn now_ms(&self) -> i64 {
        self.now_us() / 1000
    }

    /// Monotonic microseconds, for measuring durations (SLOWLOG, LATENCY).
    #[allow(clippy::disallowed_methods)]
    pub fn monotonic_us(&self) -> u64 {
        match self {
            Clock::System { origin } => origin.elapsed().as_micros() as u64,
            Clock::Manual(now) => now.get().max(0) as u64,
        }
    }
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
