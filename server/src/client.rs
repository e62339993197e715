//! One connected client: its identity, its selected database, its protocol, and
//! the buffers Redis reports in CLIENT LIST.
//!
//! The reply buffer lives here, inside the shared server state, rather than in the
//! connection task: other parts of the server write into it (MONITOR feeds,
//! pub/sub messages) and read its size (CLIENT LIST `omem`, the output-buffer
//! limits, `used_memory`). The connection task drains it to the socket.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::task::{Poll, Waker};

use bytes::{Bytes, BytesMut};
use resp::Protocol;

/// Wakes a connection task from elsewhere on the command thread (MONITOR feed,
/// CLIENT KILL, CLIENT UNPAUSE, the idle timeout).
///
/// tokio's `Notify` would do, but it is built for many threads and takes a lock
/// on every wait; a connection waits once per request, so this single-thread
/// version (a flag and a stored waker) keeps that off the hot path.
#[derive(Debug, Default)]
pub struct Wakeup {
    pending: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Wakeup {
    /// Marks the task woken and schedules it if it is waiting.
    pub fn notify_one(&self) {
        self.pending.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Completes once `notify_one` was called since the last completion.
    pub fn notified(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.pending.replace(false) {
                return Poll::Ready(());
            }
            let mut slot = self.waker.borrow_mut();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

/// What CLIENT LIST calls `flags`, and what the output-buffer limit classes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientKind {
    /// An ordinary client.
    #[default]
    Normal,
    /// A replica connected to us (flag S).
    Replica,
    /// Our master (flag M).
    Master,
    /// A client in subscribed mode (flag P).
    PubSub,
}

/// CLIENT REPLY ON|OFF|SKIP, as Redis's CLIENT_REPLY_OFF / _SKIP_NEXT / _SKIP flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// Replies are discarded until CLIENT REPLY ON.
    Off,
    /// CLIENT REPLY SKIP ran: the next command's reply is discarded.
    Skip,
    /// Set while executing the command after SKIP. A CLIENT REPLY SKIP run in
    /// this state sets `Skip` again, so it skips the command after it too.
    SkipThis,
}

/// The part of the reply buffer that stands for Redis's static 16 KB `buf`.
pub const REPLY_STATIC_LEN: usize = 16 * 1024;

/// The state of one connection that the rest of the server can see.
#[derive(Debug)]
pub struct Client {
    /// Unique, increasing id (CLIENT ID).
    pub id: u64,
    /// Peer address, `ip:port`.
    pub addr: String,
    /// Local address, `ip:port`.
    pub laddr: String,
    /// The socket's file descriptor (shown as `fd=`).
    pub fd: i64,
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// Selected database.
    pub db: usize,
    /// RESP2 or RESP3 (HELLO).
    pub proto: Protocol,
    /// True once AUTH succeeded, or when no password is required.
    pub authenticated: bool,
    /// Creation time, unix milliseconds.
    pub created_ms: i64,
    /// Last time a command arrived, unix milliseconds (`idle=`, `timeout`).
    pub last_interaction_ms: i64,
    /// Replies waiting to be written to the socket, after `reply_sent` bytes
    /// already written. The buffer is never advanced, so its capacity is its
    /// whole allocation: what `omem` and `used_memory` both see.
    pub reply: BytesMut,
    /// Bytes at the front of `reply` already written to the socket.
    pub reply_sent: usize,
    /// Bytes read but not yet parsed (`qbuf=`).
    pub qbuf: usize,
    /// Capacity of the query buffer (`qbuf-free=` is capacity minus qbuf).
    pub qbuf_capacity: usize,
    /// Name of the last command run (`cmd=`); for a subcommand, its own name.
    pub last_command: &'static str,
    /// For a subcommand, the parent's name (`cmd=client|list`); empty otherwise.
    pub last_command_parent: &'static str,
    /// Normal, replica, master or pubsub.
    pub kind: ClientKind,
    /// True while MONITOR is on.
    pub monitor: bool,
    /// Set by CLIENT KILL, QUIT, limits: the connection closes once the reply is out.
    pub close_after_reply: bool,
    /// Set when the connection must close now, without flushing.
    pub close_asap: bool,
    /// CLIENT REPLY state.
    pub reply_mode: ReplyMode,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// When the output buffer was first seen over the soft limit (0: it is not).
    pub obuf_soft_limit_since_ms: i64,
    /// Bytes read from the socket (INFO total_net_input_bytes per client: tot-net-in).
    pub net_input_bytes: u64,
    /// Bytes written to the socket (tot-net-out).
    pub net_output_bytes: u64,
    /// Commands run (tot-cmds).
    pub commands_processed: u64,
    /// Set while the client waits in a blocking command (BLPOP, ...).
    pub blocked: Option<Box<crate::blocking::Blocked>>,
    /// True while EXEC runs this client's queued commands (nothing blocks then).
    pub in_exec: bool,
    /// Channels, patterns and shard channels subscribed to (see `crate::pubsub`).
    pub subscriptions: crate::pubsub::Subscriptions,
    /// The open transaction after MULTI (see `crate::multi`).
    pub multi: Option<crate::multi::MultiState>,
    /// Wakes the connection task when someone else wrote to `reply` or asked it to close.
    pub notify: Rc<Wakeup>,
    /// Replication state, once the client sent REPLCONF, SYNC or PSYNC.
    pub repl: Option<Box<crate::replicas::Link>>,
}

impl Client {
    /// A new client in its initial state.
    pub fn new(id: u64, addr: String, laddr: String, fd: i64, now_ms: i64) -> Client {
        Client {
            id,
            addr,
            laddr,
            fd,
            name: None,
            db: 0,
            proto: Protocol::Resp2,
            authenticated: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            reply: BytesMut::with_capacity(16 * 1024),
            reply_sent: 0,
            qbuf: 0,
            qbuf_capacity: 0,
            last_command: "NULL",
            last_command_parent: "",
            kind: ClientKind::Normal,
            monitor: false,
            close_after_reply: false,
            close_asap: false,
            reply_mode: ReplyMode::On,
            no_evict: false,
            obuf_soft_limit_since_ms: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
            commands_processed: 0,
            blocked: None,
            in_exec: false,
            subscriptions: Default::default(),
            multi: None,
            notify: Rc::new(Wakeup::default()),
            repl: None,
        }
    }

    /// Output memory as CLIENT LIST's `omem` (`getClientOutputBufferMemoryUsage`),
    /// what the output-buffer limits measure: the replies not yet on the wire
    /// beyond the first 16 KB, which play the part of Redis's static `buf`.
    /// Redis keeps them in 16 KB blocks, so its figure follows the bytes; the
    /// capacity of our one buffer runs up to twice ahead of them as it doubles,
    /// and a limit measured on it would drop a client at half the size Redis
    /// would (the allocation itself is in `used_memory` and `tot-mem`).
    pub fn output_memory(&self) -> usize {
        self.pending_reply().len().saturating_sub(REPLY_STATIC_LEN)
    }

    /// Drops every unsent reply and gives the buffer's memory back (a client
    /// closed for its output). The sent offset goes with it, so anything
    /// written to the buffer before the connection ends starts a clean frame.
    pub fn discard_reply(&mut self) {
        self.reply = BytesMut::new();
        self.reply_sent = 0;
    }

    /// True while some reply bytes wait for the socket.
    pub fn has_pending_reply(&self) -> bool {
        self.reply.len() > self.reply_sent
    }

    /// True while the socket has something to take: the sync of a replica,
    /// or replies (which a replica still loading its snapshot holds back).
    pub fn wants_write(&self) -> bool {
        match &self.repl {
            None => self.has_pending_reply(),
            Some(link) => {
                link.has_sync_bytes() || (!link.holds_replies() && self.has_pending_reply())
            }
        }
    }

    /// The reply bytes not yet written.
    pub fn pending_reply(&self) -> &[u8] {
        self.reply.get(self.reply_sent..).unwrap_or_default()
    }

    /// Records `n` more bytes written. Once everything went out the buffer starts
    /// over; when the written part is at least half, the rest moves to the front
    /// (each byte moves at most once per byte written, so the cost is amortised).
    pub fn reply_written(&mut self, n: usize) {
        self.reply_sent = (self.reply_sent + n).min(self.reply.len());
        if self.reply_sent == self.reply.len() {
            self.reply.clear();
            self.reply_sent = 0;
        } else if self.reply_sent * 2 >= self.reply.len() {
            let (sent, len) = (self.reply_sent, self.reply.len());
            self.reply.copy_within(sent..len, 0);
            self.reply.truncate(len - sent);
            self.reply_sent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omem_follows_the_unsent_bytes_not_the_buffer_capacity() {
        let mut c = Client::new(1, "127.0.0.1:1".into(), String::new(), 0, 0);
        assert_eq!(c.output_memory(), 0);
        // 1 MB + 1 byte, a reply at a time: the buffer doubled past it.
        for _ in 0..1024 {
            c.reply.extend_from_slice(&[b'x'; 1024]);
        }
        c.reply.extend_from_slice(b"x");
        assert!(c.reply.capacity() > (1 << 20) + 1);
        assert_eq!(c.output_memory(), (1 << 20) + 1 - REPLY_STATIC_LEN);
        c.reply_written(1 << 19);
        assert_eq!(c.output_memory(), (1 << 19) + 1 - REPLY_STATIC_LEN);
        c.reply_written(1 << 19);
        assert_eq!(c.output_memory(), 0);
    }
}
