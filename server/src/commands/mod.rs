//! Command handlers, one file per family, each with its slice of the command table.
//!
//! A handler parses its arguments into a typed options value, calls a `storage`
//! operation that returns an outcome (no RESP below this layer), then renders the
//! reply. The table rows sit at the top of each family file.

use crate::command::CommandSpec;

pub mod client;
pub mod config;
pub mod connection;
pub mod debug;
pub mod hashes;
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod memory;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod strings;
pub mod transactions;
pub mod zsets;

/// Every family's slice of the command table.
pub fn families() -> Vec<&'static [CommandSpec]> {
    vec![
        connection::COMMANDS,
        strings::COMMANDS,
        keys::COMMANDS,
        server::COMMANDS,
        client::COMMANDS,
        config::COMMANDS,
        slowlog::COMMANDS,
        latency::COMMANDS,
        memory::COMMANDS,
        introspection::COMMANDS,
        debug::COMMANDS,
        lists::COMMANDS,
        hashes::COMMANDS,
        sets::COMMANDS,
        zsets::COMMANDS,
        pubsub::COMMANDS,
        transactions::COMMANDS,
        replication::COMMANDS,
    ]
}
