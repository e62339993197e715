//! redrill-server: the process that wires `storage` and `replication` to the network.
//!
//! One tokio current-thread runtime runs every connection task, the periodic
//! jobs and the signal handler; the [`state::Server`] they share is touched by
//! that thread only. Module map:
//!
//! - `net` accepts connections and runs the read-parse-execute-write loop,
//! - `wire` turns query-buffer bytes into argument vectors,
//! - `dispatch` is the gate every command passes (Redis's processCommand + call),
//! - `command` declares the command table; `commands/*` hold the handlers,
//! - `config` is the parameter table and redis.conf parser,
//! - `cron` is serverCron, `run` the process's start-up and shutdown,
//! - `replicas` serves SYNC/PSYNC and feeds the propagation stream,
//! - `info`, `slowlog`, `latency`, `log`, `clock`, `alloc` are what they say.

pub mod affinity;
pub mod alloc;
pub mod blocking;
pub mod busy_poll;
pub mod client;
pub mod client_evict;
pub mod clock;
pub mod command;
pub mod commands;
pub mod config;
pub mod cron;
pub mod dispatch;
pub mod evict;
pub mod info;
pub mod latency;
pub mod log;
pub mod multi;
pub mod net;
pub mod obuf;
pub mod persist;
pub mod pubsub;
pub mod replicas;
pub mod run;
pub mod slowlog;
pub mod state;
pub mod wire;
pub mod writes;

/// The Redis version redrill answers as (INFO redis_version, HELLO's version).
pub const REDIS_VERSION: &str = "7.0.15";
