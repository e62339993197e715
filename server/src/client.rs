//! One connected client: its identity, its selected database, its protocol, and
//! the buffers Redis reports in CLIENT LIST.
//!
//! The reply buffer lives here, inside the shared server state, rather than in the
//! connection task: other parts of the server write into it (MONITOR feeds,
//! pub/sub messages) and read its size (CLIENT LIST `omem`, the output-buffer
//! limits, `used_memory`). The connection task drains it to the socket.
//!
//! Replies are appended to one contiguous tail (`reply`), which is what every
//! encoder writes into. Between commands, a long tail is sealed into a queue of
//! frozen blocks, as Redis moves replies from its static `buf` into a list of
//! 16 KB blocks: a client that never reads then holds memory in step with its
//! unsent bytes, instead of one buffer that doubles and may sit half empty.
//! The socket takes the blocks and the tail with one `writev`. A client that
//! keeps up never gets that far: its tail drains every turn and is reused.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
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

    /// Takes a pending notification without waiting (tests look with it).
    #[cfg(test)]
    pub fn take(&self) -> bool {
        self.pending.replace(false)
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

/// A reply tail this long is sealed into a block between commands once the
/// client is behind (Redis's PROTO_REPLY_CHUNK_BYTES, its reply block size).
pub const REPLY_BLOCK_LEN: usize = 16 * 1024;

/// A tail this long is sealed even while the client keeps up: one turn's
/// output that large would otherwise double the buffer again and again.
const REPLY_SEAL_ANYWAY_LEN: usize = 64 * 1024;

/// Replies sealed off the tail, waiting for the socket.
#[derive(Debug)]
struct ReplyBlock {
    bytes: Bytes,
    /// The allocation it holds (its size class), counted in `omem`.
    allocated: usize,
}

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
    /// The tail of the replies waiting for the socket: encoders append here.
    /// The buffer is never advanced, so its capacity is its whole allocation.
    pub reply: BytesMut,
    /// Older replies, sealed off the tail: they go out before it.
    reply_blocks: VecDeque<ReplyBlock>,
    /// Sum of the lengths of `reply_blocks`.
    reply_blocks_len: usize,
    /// Sum of the allocations `reply_blocks` hold.
    reply_blocks_allocated: usize,
    /// Set while the socket refused part of the replies: the client is
    /// behind, and what it is sent is held in memory, so it is kept compact.
    pub reply_backlogged: bool,
    /// Bytes already written of the front buffer: the first block, or the
    /// tail when there are no blocks.
    reply_sent: usize,
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
            reply_blocks: VecDeque::new(),
            reply_blocks_len: 0,
            reply_blocks_allocated: 0,
            reply_backlogged: false,
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

    /// The type Redis reports, filters and limits this client as
    /// (`getClientType`): its kind, except that a MONITOR client, a replica
    /// here as in Redis (which is what keeps it out of `timeout`), is a
    /// normal client for CLIENT LIST/KILL TYPE and the output-buffer limits.
    pub fn client_type(&self) -> ClientKind {
        match self.kind {
            ClientKind::Replica if self.monitor => ClientKind::Normal,
            kind => kind,
        }
    }

    /// Output memory as CLIENT LIST's `omem` (`getClientOutputBufferMemoryUsage`),
    /// what the output-buffer limits measure: the memory holding replies not
    /// yet on the wire, beyond the 16 KB that play the part of Redis's static
    /// `buf`. Like Redis's block sizes, it counts allocations, not bytes.
    pub fn output_memory(&self) -> usize {
        if !self.has_pending_reply() {
            return 0;
        }
        self.reply_memory().saturating_sub(REPLY_STATIC_LEN)
    }

    /// Memory the replies hold, written or not: the sealed blocks and the
    /// tail's whole allocation (what `tot-mem` and `mem_clients_*` count).
    pub fn reply_memory(&self) -> usize {
        self.reply_blocks_allocated + crate::alloc::size_class(self.reply.capacity())
    }

    /// Drops every unsent reply and gives the buffer's memory back (a client
    /// closed for its output). The sent offset goes with it, so anything
    /// written to the buffer before the connection ends starts a clean frame.
    pub fn discard_reply(&mut self) {
        self.reply = BytesMut::new();
        self.reply_blocks = VecDeque::new();
        self.reply_blocks_len = 0;
        self.reply_blocks_allocated = 0;
        self.reply_sent = 0;
    }

    /// Seals a long tail into blocks. Call it only between commands: a
    /// command may still truncate its own reply (CLIENT REPLY OFF).
    pub fn seal_reply(&mut self) {
        let len = self.reply.len();
        // A replica loading its snapshot holds the stream back: it is behind too.
        let behind =
            self.reply_backlogged || self.repl.as_ref().is_some_and(|link| link.holds_replies());
        if behind {
            if len - self.tail_sent() >= REPLY_BLOCK_LEN {
                self.carve_tail();
            }
        } else if len >= REPLY_SEAL_ANYWAY_LEN {
            // The client keeps up: the whole tail goes as it is, to be
            // written at the end of this turn, and the next one starts small.
            let tail =
                std::mem::replace(&mut self.reply, BytesMut::with_capacity(REPLY_STATIC_LEN));
            let allocated = crate::alloc::size_class(tail.capacity());
            self.push_block(tail.freeze(), allocated);
        }
    }

    /// Bytes of the tail already written (the sent offset is the tail's
    /// only while there are no blocks in front of it).
    fn tail_sent(&self) -> usize {
        if self.reply_blocks.is_empty() {
            self.reply_sent
        } else {
            0
        }
    }

    /// For a client that is behind, whose replies will sit in memory: the
    /// unsent tail is copied into full 16 KB blocks, as Redis fills its reply
    /// list, and the remainder starts a fresh tail. A tail that doubled
    /// past its bytes would otherwise hold its empty half as long as the
    /// client does not read.
    fn carve_tail(&mut self) {
        let start = self.tail_sent();
        let tail = std::mem::replace(&mut self.reply, BytesMut::with_capacity(REPLY_STATIC_LEN));
        // The first carved block starts with unsent bytes.
        self.reply_sent = if self.reply_blocks.is_empty() {
            0
        } else {
            self.reply_sent
        };
        let unsent = tail.get(start..).unwrap_or_default();
        let whole = unsent.len() - unsent.len() % REPLY_BLOCK_LEN;
        for chunk in unsent[..whole].chunks(REPLY_BLOCK_LEN) {
            self.push_block(
                Bytes::copy_from_slice(chunk),
                crate::alloc::size_class(chunk.len()),
            );
        }
        self.reply.extend_from_slice(&unsent[whole..]);
    }

    fn push_block(&mut self, bytes: Bytes, allocated: usize) {
        self.reply_blocks_len += bytes.len();
        self.reply_blocks_allocated += allocated;
        self.reply_blocks.push_back(ReplyBlock { bytes, allocated });
    }

    /// True while some reply bytes wait for the socket.
    pub fn has_pending_reply(&self) -> bool {
        !self.reply_blocks.is_empty() || self.reply.len() > self.reply_sent
    }

    /// How many reply bytes wait for the socket.
    pub fn pending_reply_len(&self) -> usize {
        self.reply_blocks_len + self.reply.len() - self.reply_sent
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

    /// The front run of unwritten reply bytes (the first block's rest, or
    /// the tail's); [`Client::reply_slices`] gives all of them.
    pub fn pending_reply(&self) -> &[u8] {
        let front = self
            .reply_blocks
            .front()
            .map_or(&self.reply[..], |b| &b.bytes);
        front.get(self.reply_sent..).unwrap_or_default()
    }

    /// Fills `out` with the unwritten reply bytes in order, for one
    /// `writev`; returns how many slices it used.
    pub fn reply_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut skip = self.reply_sent;
        let runs = self
            .reply_blocks
            .iter()
            .map(|b| &b.bytes[..])
            .chain(std::iter::once(&self.reply[..]));
        let mut used = 0;
        for run in runs {
            if used == out.len() {
                break;
            }
            let rest = run.get(skip..).unwrap_or_default();
            skip = 0;
            if !rest.is_empty() {
                out[used] = IoSlice::new(rest);
                used += 1;
            }
        }
        used
    }

    /// A copy of every unwritten reply byte (a replica that joins a running
    /// sync takes the stream another one has held since the snapshot).
    pub fn pending_reply_copy(&self) -> Vec<u8> {
        let mut copy = Vec::with_capacity(self.pending_reply_len());
        let mut skip = self.reply_sent;
        for block in &self.reply_blocks {
            copy.extend_from_slice(block.bytes.get(skip..).unwrap_or_default());
            skip = 0;
        }
        copy.extend_from_slice(self.reply.get(skip..).unwrap_or_default());
        copy
    }

    /// Records `n` more bytes written. A block leaves once all of it went
    /// out. Once the tail went out it starts over; when its written part is
    /// at least half, the rest moves to the front (each byte moves at most
    /// once per byte written, so the cost is amortised).
    pub fn reply_written(&mut self, mut n: usize) {
        while let Some(front) = self.reply_blocks.front() {
            let rest = front.bytes.len() - self.reply_sent;
            if n < rest {
                self.reply_sent += n;
                return;
            }
            n -= rest;
            self.reply_blocks_len -= front.bytes.len();
            self.reply_blocks_allocated -= front.allocated;
            self.reply_blocks.pop_front();
            self.reply_sent = 0;
        }
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
    fn omem_of_a_client_behind_follows_its_bytes_not_a_doubling_buffer() {
        let mut c = Client::new(1, "127.0.0.1:1".into(), String::new(), 0, 0);
        assert_eq!(c.output_memory(), 0);
        c.reply_backlogged = true;
        // 1,000,000 bytes a reply at a time, sealed between commands: a single
        // buffer would have doubled to 1 MiB or more.
        for _ in 0..1000 {
            c.reply.extend_from_slice(&[b'x'; 1000]);
            c.seal_reply();
        }
        let bytes = 1_000_000;
        assert_eq!(c.pending_reply_len(), bytes);
        let omem = c.output_memory();
        assert!(
            omem <= bytes && omem + REPLY_STATIC_LEN >= bytes,
            "omem {omem}"
        );
        c.reply_written(bytes / 2);
        assert!(c.output_memory() <= bytes / 2 + REPLY_BLOCK_LEN);
        c.reply_written(bytes / 2);
        assert_eq!(c.output_memory(), 0);
    }

    #[test]
    fn sealed_blocks_go_out_before_the_tail_and_memory_follows_the_bytes() {
        let mut c = Client::new(1, "127.0.0.1:1".into(), String::new(), 0, 0);
        c.reply_backlogged = true;
        // A client that never reads: 300 replies of 100 KB, sealed between
        // commands, each built piecewise so that the tail doubles past it.
        for i in 0..300u32 {
            for _ in 0..100 {
                c.reply.extend_from_slice(&[(i % 251) as u8; 1000]);
            }
            c.seal_reply();
        }
        c.reply.extend_from_slice(b"tail");
        let pending = 300 * 100_000 + 4;
        assert_eq!(c.pending_reply_len(), pending);
        // A doubling buffer would hold up to twice this; full blocks stay close.
        assert!(
            c.reply_memory() < pending + pending / 100,
            "{}",
            c.reply_memory()
        );
        assert_eq!(c.output_memory(), c.reply_memory() - REPLY_STATIC_LEN);
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(c.reply_slices(&mut slices), 4);
        c.reply_written(250_000);
        assert_eq!(c.pending_reply()[0], 2, "the third reply is in front");
        assert!(c.pending_reply().len() <= REPLY_BLOCK_LEN);
        c.reply_written(pending - 250_000 - 2);
        assert_eq!(c.pending_reply(), b"il");
        c.reply_written(2);
        assert!(!c.has_pending_reply());
        assert_eq!(c.output_memory(), 0);
        assert_eq!(
            c.reply_memory(),
            crate::alloc::size_class(c.reply.capacity())
        );
    }

    /// One step of the reply-buffer model test.
    #[derive(Debug, Clone)]
    enum Op {
        Append(usize),
        Seal,
        Backlogged(bool),
        Written(usize),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0usize..40_000).prop_map(Op::Append),
            Just(Op::Seal),
            any::<bool>().prop_map(Op::Backlogged),
            (0usize..60_000).prop_map(Op::Written),
        ]
    }

    proptest::proptest! {
        /// Appends, seals and partial writes in any order keep the unwritten
        /// bytes exactly those of a plain byte queue.
        #[test]
        fn blocks_and_tail_behave_as_one_queue(ops in proptest::collection::vec(op(), 0..40)) {
            let mut c = Client::new(1, "127.0.0.1:1".into(), String::new(), 0, 0);
            let mut model: std::collections::VecDeque<u8> = Default::default();
            let mut next = 0u8;
            for op in ops {
                match op {
                    Op::Append(n) => {
                        let bytes: Vec<u8> = (0..n)
                            .map(|_| {
                                next = next.wrapping_add(1);
                                next
                            })
                            .collect();
                        c.reply.extend_from_slice(&bytes);
                        model.extend(&bytes);
                    }
                    Op::Seal => c.seal_reply(),
                    Op::Backlogged(on) => c.reply_backlogged = on,
                    Op::Written(n) => {
                        // A socket takes at most what the slices offer.
                        let mut slices = [IoSlice::new(&[]); 8];
                        let used = c.reply_slices(&mut slices);
                        let offered: usize = slices[..used].iter().map(|s| s.len()).sum();
                        let n = n.min(offered);
                        c.reply_written(n);
                        model.drain(..n);
                    }
                }
                let expected: Vec<u8> = model.iter().copied().collect();
                proptest::prop_assert_eq!(c.pending_reply_len(), expected.len());
                proptest::prop_assert!(c.reply_memory() >= expected.len());
                proptest::prop_assert_eq!(c.has_pending_reply(), !expected.is_empty());
                proptest::prop_assert_eq!(c.pending_reply_copy(), expected.clone());
                proptest::prop_assert!(expected.starts_with(c.pending_reply()));
                let mut slices = [IoSlice::new(&[]); 64];
                let used = c.reply_slices(&mut slices);
                let joined: Vec<u8> = slices[..used].iter().flat_map(|s| s.iter().copied()).collect();
                proptest::prop_assert_eq!(joined, expected);
            }
        }
    }
}
