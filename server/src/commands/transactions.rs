//! Commands of the transactions family (to be written).

use crate::command::CommandSpec;

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[];
