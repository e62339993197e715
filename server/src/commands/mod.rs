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
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod server;
pub mod slowlog;
pub mod strings;

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
        introspection::COMMANDS,
        debug::COMMANDS,
    ]
}
