//! redrill-server: the process that wires `storage` and `replication` to the network.

pub mod client;
pub mod clock;
pub mod command;
pub mod commands;
pub mod config;
pub mod latency;
pub mod slowlog;
pub mod state;
