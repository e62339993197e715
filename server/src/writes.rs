//! Replies written once per turn of the event loop, after every ready
//! connection has run its commands (Redis's `handleClientsWithPendingWrites`,
//! called from `beforeSleep`).
//!
//! A connection task that has replies queues itself here instead of writing at
//! once. The flusher is an ordinary task: waking it puts it behind the tasks
//! already scheduled in this turn, so it runs after them and writes every
//! queued connection in one sweep. Why it matters: the client on the other end
//! (redis-benchmark, say) sleeps in `epoll_wait` between replies. Written one
//! by one, between commands, each reply wakes it, and under a hypervisor each
//! wake-up is an inter-processor interrupt costing microseconds on the
//! server's side of `write(2)`. Written in one sweep, the first reply wakes it
//! and the rest find it already running. The number of system calls is the
//! same either way.
//!
//! When the socket takes only part of a reply, the flusher hands the rest back
//! to the connection task, which waits for the socket to become writable and
//! keeps writing itself until the reply buffer is empty; only then do its
//! replies go through the flusher again. (Queued again at once, a client that
//! does not read would send the flusher at its full socket on every turn:
//! a busy loop.)

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use tokio::net::TcpStream;

use crate::client::{Client, Wakeup};
use crate::state::Server;

/// A connection as both its task and the flusher see it.
#[derive(Debug)]
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// The client it serves.
    pub client: Rc<RefCell<Client>>,
    queued: Cell<bool>,
    closed: Cell<bool>,
    write_blocked: Cell<bool>,
}

impl Conn {
    /// A connection that has nothing queued.
    pub fn new(stream: TcpStream, client: Rc<RefCell<Client>>) -> Conn {
        Conn {
            stream,
            client,
            queued: Cell::new(false),
            closed: Cell::new(false),
            write_blocked: Cell::new(false),
        }
    }

    /// True while the flusher owes this connection a write.
    pub fn is_queued(&self) -> bool {
        self.queued.get()
    }

    /// True while the socket refused part of a reply: the connection task then
    /// waits for it to become writable instead of queueing again.
    pub fn write_blocked(&self) -> bool {
        self.write_blocked.get()
    }

    /// Records whether the last write left part of the reply behind.
    pub fn set_write_blocked(&self, blocked: bool) {
        self.write_blocked.set(blocked);
    }

    /// Marks the connection finished, so a pending sweep skips it.
    pub fn close(&self) {
        self.closed.set(true);
    }
}

/// Connections with replies waiting for the end of this turn.
#[derive(Debug, Default)]
pub struct PendingWrites {
    queue: RefCell<Vec<Rc<Conn>>>,
    wake: Wakeup,
    /// Told of every sweep, so the loop polls while sweeps come close together.
    pub busy_poll: Rc<crate::busy_poll::BusyPoll>,
}

impl PendingWrites {
    /// Queues `conn` for the sweep at the end of this turn (once).
    pub fn queue(&self, conn: &Rc<Conn>) {
        if conn.queued.replace(true) {
            return;
        }
        let mut queue = self.queue.borrow_mut();
        if queue.is_empty() {
            self.wake.notify_one();
        }
        queue.push(conn.clone());
    }
}

/// The flusher task: one sweep per wake-up, forever.
pub async fn flusher(shared: Rc<RefCell<Server>>, writes: Rc<PendingWrites>) {
    let mut batch: Vec<Rc<Conn>> = Vec::new();
    loop {
        writes.wake.notified().await;
        std::mem::swap(&mut batch, &mut *writes.queue.borrow_mut());
        let saving = shared.borrow().persist.bgsave.is_some();
        writes
            .busy_poll
            .turn_served(crate::clock::pacing_us(), !saving);
        for conn in batch.drain(..) {
            conn.queued.set(false);
            if conn.closed.get() {
                continue;
            }
            let alive = crate::net::write_some(&shared, &conn.client, &conn.stream);
            let mut client = conn.client.borrow_mut();
            if !alive {
                // A dead socket: the task closes the connection.
                client.close_asap = true;
            }
            if !alive || client.wants_write() {
                // Wake the task to close, or to wait until the socket takes the
                // rest: from here on the task writes, not the flusher.
                conn.write_blocked.set(alive);
                client.notify.notify_one();
            }
        }
        // Redis's beforeSleep also runs the background work that must not
        // hold clients up; here, a budgeted slice of a BGSAVE's walk.
        crate::persist::bgsave::on_turn(&mut shared.borrow_mut());
    }
}
