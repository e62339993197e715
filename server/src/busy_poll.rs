//! Busy polling: under load, the event loop polls for a few microseconds
//! before it goes to sleep.
//!
//! Redis sleeps in `epoll_wait` as soon as a turn of its event loop is done,
//! and the next request must wake it up. On a virtual machine that wake-up
//! is an inter-processor interrupt paid on the *client's* side of its
//! `write(2)`: with `redis-benchmark -P 1` the client, not the server, is the
//! busier process, and those wake-ups are a good part of its time. When
//! requests come close together the next one is microseconds away, so redrill
//! keeps polling instead (`epoll_wait` with a zero timeout: tokio's
//! `yield_now` parks the runtime without blocking) for up to
//! [`WINDOW_US`] after a turn that wrote replies, and sleeps once that window
//! passes without one.
//!
//! It only starts when the load is dense, when the previous turn with replies
//! is at most [`DENSE_GAP_US`] old: an idle or lightly loaded server sleeps
//! exactly as Redis does and spends no CPU time on polling. Nor does it poll
//! while a BGSAVE's writer thread runs: that thread lives on the time the
//! command thread leaves idle (`SCHED_IDLE`), which polling would take away
//! (a 2 GB BGSAVE under `redis-benchmark -t set` took 17.5-18.7 s without
//! polling, 21.7-22.9 s with it, at the same write rate; benches/bgsave.py).
//!
//! Pacing the event loop is not data: it reads the monotonic clock directly
//! ([`crate::clock::pacing_us`]), never the server's `Clock`, which a drill
//! may have stopped.

use std::cell::Cell;
use std::rc::Rc;

use crate::client::Wakeup;
use crate::clock::pacing_us;

/// How long the loop keeps polling after the last turn with replies.
pub const WINDOW_US: u64 = 20;

/// Polling starts only when the previous turn with replies is this recent.
pub const DENSE_GAP_US: u64 = 4 * WINDOW_US;

/// Shared between the turns that report activity and the polling task.
#[derive(Debug, Default)]
pub struct BusyPoll {
    /// When the last turn with replies ended (`pacing_us`), 0 before any.
    last_turn_us: Cell<u64>,
    /// Wakes the polling task when the load turns dense.
    wake: Wakeup,
}

impl BusyPoll {
    /// Records a turn that wrote replies at `now_us`; starts polling when
    /// the previous one was recent enough and `allowed` (no save running).
    pub fn turn_served(&self, now_us: u64, allowed: bool) {
        let previous = self.last_turn_us.replace(now_us);
        if allowed && previous != 0 && now_us.saturating_sub(previous) <= DENSE_GAP_US {
            self.wake.notify_one();
        }
    }

    /// True while the last turn with replies is within the window.
    fn within_window(&self, now_us: u64) -> bool {
        now_us.saturating_sub(self.last_turn_us.get()) <= WINDOW_US
    }
}

/// The polling task: asleep until the load is dense, then yields to the
/// runtime (one non-blocking poll for I/O each time) until a window passes
/// without a turn that served anyone.
pub async fn poller(busy: Rc<BusyPoll>) {
    loop {
        busy.wake.notified().await;
        while busy.within_window(pacing_us()) {
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_starts_only_when_turns_come_close_together() {
        let busy = BusyPoll::default();
        busy.turn_served(1_000, true);
        assert!(!busy.wake.take(), "a first turn says nothing of the load");
        busy.turn_served(1_000 + DENSE_GAP_US + 1, true);
        assert!(!busy.wake.take(), "a sparse load sleeps as Redis does");
        busy.turn_served(1_000 + DENSE_GAP_US + 1 + DENSE_GAP_US, true);
        assert!(busy.wake.take(), "a dense load polls");
        busy.turn_served(1_000 + DENSE_GAP_US + 1 + 2 * DENSE_GAP_US, false);
        assert!(
            !busy.wake.take(),
            "not while a save's writer needs the time"
        );
    }

    #[test]
    fn the_window_follows_the_last_turn() {
        let busy = BusyPoll::default();
        busy.turn_served(5_000, true);
        assert!(busy.within_window(5_000 + WINDOW_US));
        assert!(!busy.within_window(5_000 + WINDOW_US + 1));
    }
}
