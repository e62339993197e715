//! Start-up, the periodic jobs, and shutdown: the life of the process.
//!
//! Start-up follows Redis's order and log lines (banner, "Server initialized",
//! "Ready to accept connections"), so scripts waiting for those lines work.
//! `server_cron` is Redis's serverCron: every 1000/hz ms it closes idle clients
//! (`timeout`) and runs the slow active-expire cycle. SIGTERM and SIGINT ask for a
//! graceful shutdown, logged as Redis logs it.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};

use crate::clock::Clock;
use crate::config::{Config, LogLevel};
use crate::log;
use crate::net;
use crate::state::Server;

/// What `main` hands over after loading the configuration.
pub struct StartOptions {
    /// The loaded configuration.
    pub config: Config,
    /// `rename-command` lines, applied to the command table.
    pub renames: Vec<(String, String)>,
    /// The config file, for CONFIG REWRITE and INFO config_file.
    pub config_file: Option<std::path::PathBuf>,
    /// Seed of the server's random generator.
    pub seed: u64,
    /// Non-fatal remarks from loading the config, logged at start-up.
    pub warnings: Vec<String>,
}

/// Runs the server until shutdown; returns the process exit code.
pub async fn run(options: StartOptions) -> i32 {
    let StartOptions {
        config,
        renames,
        config_file,
        seed,
        warnings,
    } = options;
    if let Err(e) = log::configure(config.loglevel, &config.logfile) {
        eprintln!("Can't open the log file: {e}");
        return 1;
    }
    let clock = Clock::system();
    let now = clock.now_ms();
    let pid = std::process::id();
    log::line(
        LogLevel::Warning,
        now,
        "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
    );
    log::line(
        LogLevel::Warning,
        now,
        &format!(
            "Redis version={}, bits=64, commit=00000000, modified=0, pid={pid}, just started",
            crate::REDIS_VERSION
        ),
    );
    match &config_file {
        Some(_) => log::line(LogLevel::Warning, now, "Configuration loaded"),
        None => log::line(LogLevel::Warning, now, "Warning: no config file specified, using the default config. In order to specify a config file use redrill-server /path/to/redis.conf"),
    }
    for warning in &warnings {
        log::line(LogLevel::Warning, now, warning);
    }
    let mut server = Server::new(config, clock, seed);
    crate::evict::apply_access_mode(&mut server);
    server.config_file = config_file;
    for (old, new) in &renames {
        if !server.commands.rename(old, new) {
            eprintln!(
                "{}",
                crate::config::ConfigError::general("No such command in rename-command")
            );
            return 1;
        }
    }
    let port = server.config.port;
    log::raw(&format!(
        "                redrill {} (Redis {} compatible)\n                Port: {port}\n                PID: {pid}\n",
        env!("CARGO_PKG_VERSION"),
        crate::REDIS_VERSION
    ));
    log::line(
        LogLevel::Notice,
        now,
        &format!("Running mode=standalone, port={port}."),
    );
    let listeners = match bind_all(&server.config, now) {
        Ok(l) => l,
        Err(()) => {
            log::line(
                LogLevel::Warning,
                now,
                &format!("Failed listening on port {port} (TCP), aborting."),
            );
            return 1;
        }
    };
    if listeners.is_empty() {
        log::line(
            LogLevel::Warning,
            now,
            "Configured to not listen anywhere, exiting.",
        );
        return 1;
    }
    write_pidfile(&server.config.pidfile);
    log::line(LogLevel::Warning, now, "Server initialized");
    // As Redis's InitServerLast, before the load; a jemalloc built without
    // the thread refuses, and Redis carries on then too.
    crate::alloc::set_background_thread(server.config.jemalloc_bg_thread);
    if !crate::persist::load::load_at_startup(&mut server) {
        return 1;
    }
    let now = server.clock.now_ms();
    // Where Redis pins its main thread: after loading, before the event loop.
    if let Some(e) = crate::affinity::apply("server_cpulist", &server.config.server_cpulist) {
        log::line(LogLevel::Verbose, now, &e);
    }
    log::line(LogLevel::Notice, now, "Ready to accept connections");
    let shutdown = server.shutdown.clone();
    let shared = Rc::new(RefCell::new(server));
    let writes = Rc::new(crate::writes::PendingWrites::default());
    tokio::task::spawn_local(crate::writes::flusher(shared.clone(), writes.clone()));
    let (relisten, fresh) = tokio::sync::mpsc::unbounded_channel();
    shared.borrow_mut().relisten = Some(relisten);
    tokio::task::spawn_local(listen_on(shared.clone(), listeners, fresh, writes.clone()));
    tokio::task::spawn_local(server_cron(shared.clone()));
    tokio::task::spawn_local(crate::busy_poll::poller(writes.busy_poll.clone()));
    tokio::task::spawn_local(signals(shared.clone()));
    tokio::task::spawn_local(crate::persist::bgsave::drive(shared.clone()));
    shutdown.notified().await;
    finish(&shared)
}

/// Accepts on `listeners`, and on every set that CONFIG SET port/bind sends
/// later; the clients accepted before stay connected, as in Redis.
async fn listen_on(
    shared: Rc<RefCell<Server>>,
    listeners: Vec<TcpListener>,
    mut fresh: tokio::sync::mpsc::UnboundedReceiver<Vec<TcpListener>>,
    writes: Rc<crate::writes::PendingWrites>,
) {
    let mut next = Some(listeners);
    while let Some(listeners) = next {
        for listener in listeners {
            let listener = Rc::new(listener);
            let task = tokio::task::spawn_local(net::accept_loop(
                shared.clone(),
                listener.clone(),
                writes.clone(),
            ));
            shared
                .borrow_mut()
                .listening
                .push((listener, task.abort_handle()));
        }
        next = fresh.recv().await;
    }
}

/// CONFIG SET's re-listen after `port` or `bind` changed (Redis's
/// changeBindAddr and changeListenPort): closes the listening sockets, binds
/// the new addresses and hands them to the accepting task. If one that is not
/// optional fails to bind, the old configuration `before` is bound again and
/// the error is Redis's, for CONFIG SET to reply and undo the call. Clients
/// already connected are not touched.
pub fn relisten(server: &mut Server, name: &str, before: &Config) -> Result<(), String> {
    let Some(tx) = server.relisten.clone() else {
        return Ok(()); // no network here
    };
    for (listener, task) in server.listening.drain(..) {
        // The loop is cancelled before it could see the socket fail; shutting
        // the socket down stops it listening now (its task drops it later),
        // so the same address and port can be bound again at once.
        task.abort();
        let _ = socket2::SockRef::from(&*listener).shutdown(std::net::Shutdown::Both);
    }
    let now = server.clock.now_ms();
    if let Ok(listeners) = bind_all(&server.config, now) {
        let _ = tx.send(listeners);
        return Ok(());
    }
    log::line(
        LogLevel::Warning,
        now,
        &format!(
            "Failed applying new configuration. Possibly related to new {name} setting. Restoring previous settings."
        ),
    );
    match bind_all(before, now) {
        Ok(listeners) => {
            let _ = tx.send(listeners);
        }
        Err(()) => log::line(LogLevel::Warning, now, "Failed to restore old listeners"),
    }
    Err(if name == "port" {
        "Unable to listen on this port. Check server logs.".to_string()
    } else {
        "Failed to bind to specified addresses.".to_string()
    })
}

/// Binds every `bind` address; a leading '-' marks an address that may fail.
/// `port 0` or `bind ""` means no TCP listener at all, as in Redis (start-up
/// then refuses to run; CONFIG SET may leave a server reachable only through
/// the connections it has).
fn bind_all(config: &Config, now: i64) -> Result<Vec<TcpListener>, ()> {
    let mut listeners = Vec::new();
    if config.port == 0 {
        return Ok(listeners);
    }
    for spec in &config.bind {
        let (optional, addr) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let host = match addr {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        match listen(host, config.port, config.tcp_backlog) {
            Ok(l) => listeners.push(l),
            Err(e) => {
                let shown = if host.contains(':') {
                    format!("{host}:{}", config.port)
                } else {
                    format!("{addr}:{}", config.port)
                };
                log::line(
                    LogLevel::Warning,
                    now,
                    &format!(
                        "Warning: Could not create server TCP listening socket {shown}: bind: {}",
                        io_message(&e)
                    ),
                );
                let unsupported = e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
                    || e.raw_os_error() == Some(libc::EAFNOSUPPORT)
                    || e.raw_os_error() == Some(libc::EPROTONOSUPPORT);
                if !(optional && unsupported) {
                    return Err(());
                }
            }
        }
    }
    Ok(listeners)
}

/// "Address already in use" rather than Rust's "... (os error 98)".
fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn listen(host: &str, port: u16, backlog: u32) -> std::io::Result<TcpListener> {
    let addr = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(_) => resolve(host, port)?,
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        let s = TcpSocket::new_v6()?;
        // Like Redis, an IPv6 listener never takes the IPv4 port too.
        socket2::SockRef::from(&s).set_only_v6(true)?;
        s
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// A host name's first IPv4 address, as Redis's anetTcpServer asks
/// getaddrinfo for an address without a ':' (a blocking lookup, there too).
fn resolve(host: &str, port: u16) -> std::io::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()?
        .find(SocketAddr::is_ipv4)
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AddrNotAvailable,
                "Name has no IPv4 address",
            )
        })
}

fn write_pidfile(path: &str) {
    if !path.is_empty() {
        let _ = std::fs::write(path, format!("{}\n", std::process::id()));
    }
}

/// Redis's serverCron: the periodic jobs, `hz` times a second.
async fn server_cron(shared: Rc<RefCell<Server>>) {
    loop {
        let hz = shared.borrow().config.hz.clamp(1, 500);
        tokio::time::sleep(Duration::from_millis(u64::from(1000 / hz))).await;
        let mut server = shared.borrow_mut();
        crate::cron::tick(&mut server);
        if server.shutdown_requested {
            server.shutdown.notify_one();
        }
    }
}

/// Turns SIGTERM / SIGINT into a graceful shutdown, logged as Redis does.
async fn signals(shared: Rc<RefCell<Server>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    loop {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        let mut server = shared.borrow_mut();
        log::signal_line(
            server.clock.now_ms() / 1000,
            &format!("Received {name} scheduling shutdown..."),
        );
        // As Redis: a failed final save keeps the server running.
        if crate::persist::prepare_shutdown(&mut server, false, false, false) {
            server.shutdown.notify_one();
            return;
        }
    }
}

/// The shutdown sequence (Redis's prepareForShutdown / finishShutdown).
fn finish(shared: &Rc<RefCell<Server>>) -> i32 {
    let server = shared.borrow();
    let now = server.clock.now_ms();
    if !server.config.pidfile.is_empty() {
        log::line(LogLevel::Notice, now, "Removing the pid file.");
        let _ = std::fs::remove_file(&server.config.pidfile);
    }
    log::line(
        LogLevel::Warning,
        now,
        "Redis is now ready to exit, bye bye...",
    );
    0
}
