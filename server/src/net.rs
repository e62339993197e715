//! Connections: accepting them, reading requests, writing replies.
//!
//! Each connection is a task on the one-thread tokio runtime. The task owns the
//! socket and the query buffer; the rest of the client's state (reply buffer,
//! flags) sits in the shared [`Client`] so other parts of the server can see it.
//!
//! The loop mirrors Redis's event loop for one client:
//! read what the socket has (up to 16 KB, PROTO_IOBUF_LEN, more when a large bulk
//! argument is pending), parse and execute *every* complete request in the query
//! buffer, then write all their replies with one write. With `redis-benchmark
//! -P 16` that is one read, sixteen commands and one write per round trip.
//!
//! The write waits until every connection that became readable in the same
//! turn of the event loop has run its commands (see [`crate::writes`]), as
//! Redis writes in `beforeSleep`: a client woken by one reply while the
//! server still computes the next one costs a wake-up per reply. The
//! task keeps reading while replies are still queued, as Redis does, so a client
//! that never reads (seed case 3) piles up output inside the server, where CLIENT
//! LIST shows it as `omem`.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::net::{TcpListener, TcpStream};

use crate::client::Client;
use crate::config::LogLevel;
use crate::dispatch;
use crate::log;
use crate::state::Server;
use crate::writes::{Conn, PendingWrites};

/// Redis's PROTO_IOBUF_LEN: how much one read asks for.
const IOBUF_LEN: usize = 16 * 1024;

/// What the request loop asks of the connection afterwards.
enum Next {
    /// Wait for more input or a notification.
    Continue,
    /// Flush what is queued, then close.
    CloseAfterReply,
    /// Close at once.
    CloseNow,
    /// The server is paused for this client's next command until this unix ms.
    Paused(i64),
    /// The client waits in a blocking command, until this unix ms if any.
    Blocked(Option<i64>),
}

/// Accepts connections on `listener` forever.
pub async fn accept_loop(
    shared: Rc<RefCell<Server>>,
    listener: Rc<TcpListener>,
    writes: Rc<PendingWrites>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                let now = shared.borrow().clock.now_ms();
                log::line(
                    LogLevel::Warning,
                    now,
                    &format!("Accepting client connection: {e}"),
                );
                // EMFILE and friends: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        if protected_mode_refuses(&shared, &peer.to_string()) {
            // Redis answers before reading anything, then closes the connection.
            let _ = stream.try_write(PROTECTED_MODE_DENIED.as_bytes());
            continue;
        }
        let Some(client) = admit(&shared, &stream, peer.to_string(), laddr) else {
            reject(stream, &shared).await;
            continue;
        };
        let conn = Rc::new(Conn::new(stream, client));
        tokio::task::spawn_local(serve(shared.clone(), conn, writes.clone()));
    }
}

/// The reply to a remote client refused by protected mode. The first sentence
/// is Redis 7.0's (clients match on it); the remedies are ours.
const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. To accept remote connections, set a password (requirepass), or turn protected mode off (CONFIG SET protected-mode no from a loopback connection, or --protected-mode no at start-up) once the server is not reachable from untrusted networks.\r\n";

/// Redis 7.0's protected mode: with no password, only loopback peers may connect.
fn protected_mode_refuses(shared: &Rc<RefCell<Server>>, peer: &str) -> bool {
    let server = shared.borrow();
    server.config.protected_mode
        && server.config.requirepass.is_empty()
        && !dispatch::is_local(peer)
}

/// Registers a new client, or returns None when `maxclients` is reached.
fn admit(
    shared: &Rc<RefCell<Server>>,
    stream: &TcpStream,
    addr: String,
    laddr: String,
) -> Option<Rc<RefCell<Client>>> {
    let mut server = shared.borrow_mut();
    server.stats.connections_received += 1;
    if server.clients.len() as u64 >= server.config.maxclients {
        server.stats.rejected_connections += 1;
        return None;
    }
    let _ = stream.set_nodelay(true);
    set_keepalive(stream, server.config.tcp_keepalive);
    let id = server.next_client_id;
    server.next_client_id += 1;
    let now = server.clock.refresh_us() / 1000;
    let fd = fd_of(stream);
    let mut client = Client::new(id, addr, laddr, fd, now);
    client.authenticated = server.config.requirepass.is_empty();
    let client = Rc::new(RefCell::new(client));
    dispatch::register(&mut server, client.clone());
    Some(client)
}

#[cfg(unix)]
fn fd_of(stream: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(stream.as_raw_fd())
}

#[cfg(not(unix))]
fn fd_of(_stream: &TcpStream) -> i64 {
    -1
}

/// Applies `tcp-keepalive` (seconds) to a new connection, as Redis's anetKeepAlive.
fn set_keepalive(stream: &TcpStream, seconds: u64) {
    if seconds == 0 {
        return;
    }
    let sock = socket2::SockRef::from(stream);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(seconds))
        .with_interval(Duration::from_secs((seconds / 3).max(1)))
        .with_retries(3);
    let _ = sock.set_tcp_keepalive(&keepalive);
}

/// Tells a connection over `maxclients` why, then drops it (as Redis does).
async fn reject(stream: TcpStream, shared: &Rc<RefCell<Server>>) {
    let _ = stream.try_write(b"-ERR max number of clients reached\r\n");
    let now = shared.borrow().clock.now_ms();
    log::line(
        LogLevel::Verbose,
        now,
        "Error registering fd event for the new client: max number of clients reached",
    );
}

/// Serves one connection until it closes.
async fn serve(shared: Rc<RefCell<Server>>, conn: Rc<Conn>, writes: Rc<PendingWrites>) {
    let (stream, client) = (&conn.stream, &conn.client);
    let mut qbuf = BytesMut::with_capacity(IOBUF_LEN);
    let mut argv: Vec<Bytes> = Vec::with_capacity(8);
    let mut reader = crate::wire::RequestReader::default();
    let notify = client.borrow().notify.clone();
    let mut paused_until: Option<i64> = None;
    // Some(deadline) while the client waits in a blocking command.
    let mut blocked_until: Option<Option<i64>> = None;
    let mut closing = false;
    loop {
        let (want_write, close_now) = {
            let c = client.borrow();
            // A queued write is the flusher's; it wakes this task if the
            // socket could not take everything.
            let mine = closing || !conn.is_queued();
            (c.wants_write() && mine, c.close_asap)
        };
        if close_now || (closing && !want_write) {
            break;
        }
        let pause_sleep = paused_until.or(blocked_until.flatten()).map(|until| {
            let now = shared.borrow().clock.refresh_us() / 1000;
            Duration::from_millis(until.saturating_sub(now).max(1) as u64)
        });
        tokio::select! {
            ready = stream.readable(), if !closing && paused_until.is_none() => {
                if ready.is_err() || !read_some(&shared, client, stream, &mut qbuf, reader.needed()) {
                    break;
                }
            }
            ready = stream.writable(), if want_write => {
                if ready.is_err() || !write_some(&shared, client, stream) {
                    break;
                }
                conn.set_write_blocked(client.borrow().wants_write());
                continue;
            }
            _ = notify.notified() => {}
            _ = tokio::time::sleep(pause_sleep.unwrap_or_default()), if pause_sleep.is_some() => {}
        }
        if closing {
            continue;
        }
        paused_until = None;
        blocked_until = None;
        match run_requests(&shared, client, &mut qbuf, &mut argv, &mut reader) {
            Next::Continue => {}
            Next::CloseAfterReply => closing = true,
            Next::CloseNow => break,
            Next::Paused(until) => paused_until = Some(until),
            Next::Blocked(deadline) => blocked_until = Some(deadline),
        }
        if closing {
            // The last replies go out now: the loop ends once they are written.
            if !write_some(&shared, client, stream) {
                break;
            }
        } else if client.borrow().wants_write() && !conn.write_blocked() {
            // A socket that is full stays this task's to wait on: queueing it
            // again would send the flusher at it on every turn, in a loop.
            writes.queue(&conn);
        }
    }
    conn.close();
    unregister(&shared, client);
}

/// Reads once into the query buffer; false when the peer closed or failed.
fn read_some(
    shared: &Rc<RefCell<Server>>,
    client: &Rc<RefCell<Client>>,
    stream: &TcpStream,
    qbuf: &mut BytesMut,
    needed: usize,
) -> bool {
    // A big argument still arriving: make room for all of it at once, so it is
    // read straight into place instead of through many 16 KB reads and copies.
    let want = needed.saturating_sub(qbuf.len()).max(IOBUF_LEN);
    if qbuf.capacity() - qbuf.len() < want {
        qbuf.reserve(want);
    }
    let room = qbuf.capacity() - qbuf.len();
    match stream.try_read_buf(qbuf) {
        Ok(0) => false,
        Ok(n) => {
            if n < room {
                // A short read drained the socket. Without this, tokio still
                // believes it readable and the next turn spends a read(2) on
                // EAGAIN: one wasted system call per request at -P 1, which
                // Redis (one read per readable event) does not pay. The
                // closure makes no system call; returning WouldBlock only
                // clears the readiness. Data arriving later raises a new
                // edge-triggered event, and none can slip in between on this
                // single-threaded runtime.
                let _ = stream.try_io(tokio::io::Interest::READABLE, || {
                    Err::<(), _>(io::ErrorKind::WouldBlock.into())
                });
            }
            let mut server = shared.borrow_mut();
            server.stats.net_input_bytes += n as u64;
            server.stats.reads_processed += 1;
            let now = server.clock.now_ms();
            let mut c = client.borrow_mut();
            c.net_input_bytes += n as u64;
            c.last_interaction_ms = now;
            c.qbuf = qbuf.len();
            c.qbuf_capacity = qbuf.capacity();
            if qbuf.len() as u64 > server.config.client_query_buffer_limit {
                log::line(
                    LogLevel::Warning,
                    now,
                    &format!(
                        "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
                        c.id,
                        c.addr,
                        String::from_utf8_lossy(&qbuf[..qbuf.len().min(64)])
                    ),
                );
                server.stats.query_buffer_limit_disconnections += 1;
                return false;
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
        Err(_) => false,
    }
}

/// Writes as much of the reply buffer as the socket takes; false on a dead socket.
pub(crate) fn write_some(
    shared: &Rc<RefCell<Server>>,
    client: &Rc<RefCell<Client>>,
    stream: &TcpStream,
) -> bool {
    let mut c = client.borrow_mut();
    let mut written = 0usize;
    if c.repl.is_some() {
        match crate::replicas::write_sync(&mut c, stream) {
            Ok(sync) => {
                written += sync.written;
                if sync.went_online {
                    crate::replicas::went_online(&shared.borrow(), &mut c);
                }
            }
            Err(e) => {
                let text = format!("Write error sending DB to replica: {e}");
                log::line(LogLevel::Warning, shared.borrow().clock.now_ms(), &text);
                return false;
            }
        }
    }
    while c.has_pending_reply() && !c.repl.as_ref().is_some_and(|l| l.holds_replies()) {
        let result = if c.pending_reply().len() == c.pending_reply_len() {
            stream.try_write(c.pending_reply())
        } else {
            // Sealed blocks and the tail: as many as one writev takes.
            let mut slices = [io::IoSlice::new(&[]); 64];
            let used = c.reply_slices(&mut slices);
            stream.try_write_vectored(&slices[..used])
        };
        match result {
            Ok(n) => {
                c.reply_written(n);
                written += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(_) => return false,
        }
    }
    // Whatever the socket refused now waits in memory (see Client::seal_reply).
    c.reply_backlogged = c.has_pending_reply();
    if !c.has_pending_reply() && c.reply.capacity() > 1024 * 1024 {
        // Give a huge reply buffer back once it drained (Redis shrinks too).
        c.reply = BytesMut::with_capacity(IOBUF_LEN);
    }
    if written > 0 {
        c.net_output_bytes += written as u64;
        let mut server = shared.borrow_mut();
        // A client taking a long reply is not idle (writeToClient), so
        // `timeout` must not close it halfway.
        if c.kind != crate::client::ClientKind::Master {
            c.last_interaction_ms = server.clock.now_ms();
        }
        server.stats.net_output_bytes += written as u64;
        server.stats.writes_processed += 1;
    }
    true
}

/// Parses and executes every complete request in `qbuf`.
fn run_requests(
    shared: &Rc<RefCell<Server>>,
    client_rc: &Rc<RefCell<Client>>,
    qbuf: &mut BytesMut,
    argv: &mut Vec<Bytes>,
    reader: &mut crate::wire::RequestReader,
) -> Next {
    let mut server = shared.borrow_mut();
    let mut client = client_rc.borrow_mut();
    // Time passed while this client waited for input: read the clock afresh.
    server.pipeline_clock_us = None;
    let next = loop {
        let limits = resp::Limits {
            proto_max_bulk_len: server.config.proto_max_bulk_len,
            max_multibulk_len: i64::from(i32::MAX),
            authenticated: client.authenticated,
            query_buffer_limit: server.config.client_query_buffer_limit,
        };
        if client.close_asap {
            break Next::CloseNow;
        }
        if client.close_after_reply {
            break Next::CloseAfterReply;
        }
        if client.blocked.is_some() {
            let now = server.clock.refresh_us() / 1000;
            if crate::blocking::check_timeout(&mut server, &mut client, now) {
                break Next::Blocked(client.blocked.as_ref().and_then(|b| b.deadline_ms));
            }
        }
        // A request held back by CLIENT PAUSE stays in argv until the pause ends.
        if argv.is_empty() {
            match reader.next_request(qbuf, &limits, argv) {
                Ok(true) if argv.is_empty() => continue,
                Ok(true) => {}
                Ok(false) => break Next::Continue,
                Err(e) => break protocol_error(&server, &mut client, &e),
            }
        }
        if let Some(until) = server.paused_until_for(argv) {
            break Next::Paused(until);
        }
        let dirty_before = server.dirty;
        dispatch::process(&mut server, &mut client, argv);
        argv.clear();
        crate::replicas::deliver_deferred(&mut server, &mut client);
        let now = server.clock.now_ms();
        if crate::obuf::enforce(&mut server, &mut client, now) {
            break Next::CloseNow;
        }
        if crate::client_evict::after_command(&mut server, &mut client) {
            break Next::CloseNow;
        }
        if server.blocking.blocked_clients > 0 && server.dirty != dirty_before {
            crate::blocking::serve_ready(&mut server, client.id);
        }
    };
    client.qbuf = qbuf.len();
    client.qbuf_capacity = qbuf.capacity();
    // A big request still arriving grew the query buffer without running anything.
    if !client.close_asap && crate::client_evict::after_command(&mut server, &mut client) {
        return Next::CloseNow;
    }
    next
}

/// Replies to a malformed request and closes the connection after the reply,
/// as Redis does (it logs at verbose level).
fn protocol_error(server: &Server, client: &mut Client, error: &resp::ProtocolError) -> Next {
    let message = error.to_string();
    let now = server.clock.now_ms();
    log::line(
        LogLevel::Verbose,
        now,
        &format!(
            "Protocol error ({message}) from client: id={} addr={}",
            client.id, client.addr
        ),
    );
    let mut text = b"ERR ".to_vec();
    text.extend_from_slice(&error.to_bytes());
    resp::encode::error(&mut client.reply, &text);
    Next::CloseAfterReply
}

/// Removes a closed client from the server.
fn unregister(shared: &Rc<RefCell<Server>>, client: &Rc<RefCell<Client>>) {
    let mut server = shared.borrow_mut();
    let mut c = client.borrow_mut();
    crate::blocking::unblock(&mut server, &mut c);
    crate::pubsub::forget_client(&mut server, &mut c);
    crate::multi::forget_client(&mut server, &mut c);
    crate::replicas::forget(&mut server, &c);
    server.clients.remove(&c.id);
    server.client_memory.forget(c.id);
    if c.monitor {
        server.monitors = server.monitors.saturating_sub(1);
    }
}
