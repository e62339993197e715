//! What each command sends down the replication stream: the rewrites that
//! keep a replica identical to its master (relative TTLs made absolute,
//! random pops made explicit, blocked pops made plain), read with a tap.

mod common;
