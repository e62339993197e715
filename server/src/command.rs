//! The command table and the context a handler runs in.
//!
//! Like Redis's `redisCommandTable`, every command is declared once: name, arity,
//! flags, key positions, documentation and handler. Each family file
//! (`commands/strings.rs`, `commands/keys.rs`, ...) owns its slice of the table as a
//! `pub const COMMANDS: &[CommandSpec]`; [`CommandTable`] gathers the slices, applies
//! `rename-command`, and answers lookups. The checks before a handler runs (arity,
//! auth, ...) live in one gate, `dispatch::call`, in a fixed order, as in Redis's
//! `processCommand`.
//!
//! Arity follows Redis: a positive number is the exact argument count including the
//! command name, a negative one is a minimum.

use bytes::{Bytes, BytesMut};
use resp::{encode, Protocol};

use crate::client::Client;
use crate::state::Server;

/// A command's flags, as Redis's `CMD_*` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Flags(pub u32);

impl Flags {
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// May modify the keyspace.
    pub const WRITE: Flags = Flags(1);
    /// Only reads data.
    pub const READONLY: Flags = Flags(1 << 1);
    /// May grow memory: refused with -OOM when over maxmemory under noeviction.
    pub const DENYOOM: Flags = Flags(1 << 2);
    /// An administrative command (CONFIG, DEBUG, SHUTDOWN, ...).
    pub const ADMIN: Flags = Flags(1 << 3);
    /// Runs in O(1) or O(log n).
    pub const FAST: Flags = Flags(1 << 4);
    /// Allowed while the dataset loads.
    pub const LOADING: Flags = Flags(1 << 5);
    /// Allowed on a replica with a stale dataset.
    pub const STALE: Flags = Flags(1 << 6);
    /// Not allowed from scripts.
    pub const NOSCRIPT: Flags = Flags(1 << 7);
    /// A pub/sub command.
    pub const PUBSUB: Flags = Flags(1 << 8);
    /// Allowed before authentication (AUTH, HELLO, QUIT, RESET).
    pub const NO_AUTH: Flags = Flags(1 << 9);
    /// Not counted in SLOWLOG (Redis's CMD_SKIP_SLOWLOG).
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 10);
    /// Not fed to MONITOR (Redis's CMD_SKIP_MONITOR).
    pub const SKIP_MONITOR: Flags = Flags(1 << 11);
    /// May be sent in RESP2 subscribed mode (PING, SUBSCRIBE, QUIT, RESET, ...).
    pub const ALLOW_SUBSCRIBED: Flags = Flags(1 << 12);
    /// Still allowed during CLIENT PAUSE WRITE (Redis's CMD_MAY_REPLICATE is the
    /// opposite); set on commands that never write.
    pub const NO_PAUSE: Flags = Flags(1 << 13);
    /// Not allowed inside MULTI.
    pub const NO_MULTI: Flags = Flags(1 << 14);
    /// Blocking command.
    pub const BLOCKING: Flags = Flags(1 << 15);
    /// Refused unless `enable-debug-command` allows it (Redis's CMD_PROTECTED).
    pub const PROTECTED: Flags = Flags(1 << 16);
    /// Refused while loading asynchronously (a replica's diskless load); shown only.
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 17);
    /// May run while a script or function is busy (Redis's CMD_ALLOW_BUSY);
    /// redrill runs no scripts, so COMMAND INFO is the only place it shows.
    pub const ALLOW_BUSY: Flags = Flags(1 << 18);

    /// Union of two flag sets (usable in consts).
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// True when every flag of `other` is set.
    pub const fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.with(rhs)
    }
}

/// A command handler: `args[0]` is the command name as the client typed it.
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]);

/// One row of the command table.
#[derive(Clone, Copy, Debug)]
pub struct CommandSpec {
    /// Lowercase name (for a subcommand: just the subcommand, e.g. "list").
    pub name: &'static str,
    /// Exact argument count if positive, minimum if negative (name included).
    pub arity: i32,
    /// Behaviour flags.
    pub flags: Flags,
    /// Position of the first key (0: no keys).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// The handler (for a container like CLIENT, unused: subcommands run instead).
    pub handler: Handler,
    /// COMMAND DOCS group ("string", "generic", "server", "connection").
    pub group: &'static str,
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// Redis version that introduced it.
    pub since: &'static str,
    /// Time complexity, for COMMAND DOCS.
    pub complexity: &'static str,
    /// Subcommands (CLIENT LIST, CONFIG GET, ...); empty for plain commands.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A row with the common defaults; chain the `with_*` builders for the rest.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: Flags,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            first_key: 0,
            last_key: 0,
            key_step: 0,
            handler,
            group: "generic",
            summary: "",
            since: "1.0.0",
            complexity: "O(1)",
            subcommands: &[],
        }
    }

    /// Sets the key positions (first, last, step).
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> CommandSpec {
        self.first_key = first;
        self.last_key = last;
        self.key_step = step;
        self
    }

    /// Sets the documentation fields.
    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> CommandSpec {
        self.group = group;
        self.since = since;
        self.complexity = complexity;
        self.summary = summary;
        self
    }

    /// Declares subcommands.
    pub const fn subs(mut self, subcommands: &'static [CommandSpec]) -> CommandSpec {
        self.subcommands = subcommands;
        self
    }

    /// True when `argc` (name included) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// The key arguments of a concrete invocation.
    pub fn key_indexes(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            argc as i64 + i64::from(self.last_key)
        } else {
            i64::from(self.last_key)
        };
        let step = i64::from(self.key_step.max(1));
        let mut out = Vec::new();
        let mut i = i64::from(self.first_key);
        while i <= last && (i as usize) < argc {
            out.push(i as usize);
            i += step;
        }
        out
    }
}

/// The handler of a container row (OBJECT, FUNCTION, SCRIPT, ...): the dispatcher
/// always resolves and runs a subcommand instead, so this only answers if a
/// container is somehow called bare.
pub fn container(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    ctx.reply().error(errors::SYNTAX);
}

/// A reply writer bound to one client's output buffer and protocol version.
pub struct Reply<'a> {
    /// The client's pending output.
    pub out: &'a mut BytesMut,
    /// RESP2 or RESP3.
    pub proto: Protocol,
}

impl Reply<'_> {
    /// `+OK`.
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }
    /// A status reply.
    pub fn simple(&mut self, text: &str) {
        encode::simple(self.out, text.as_bytes());
    }
    /// An error reply; `message` includes its code, e.g. `ERR syntax error`.
    pub fn error(&mut self, message: &str) {
        encode::error(self.out, message.as_bytes());
    }
    /// An integer.
    pub fn integer(&mut self, n: i64) {
        encode::integer(self.out, n);
    }
    /// A bulk string.
    pub fn bulk(&mut self, payload: &[u8]) {
        encode::bulk(self.out, payload);
    }
    /// A null bulk string.
    pub fn null(&mut self) {
        encode::null(self.out, self.proto);
    }
    /// A null array (`*-1`).
    pub fn null_array(&mut self) {
        encode::null_array(self.out, self.proto);
    }
    /// An array header.
    pub fn array(&mut self, n: usize) {
        encode::array_len(self.out, n);
    }
    /// A map header (flat array in RESP2).
    pub fn map(&mut self, n: usize) {
        encode::map_len(self.out, n, self.proto);
    }
    /// A set header (array in RESP2).
    pub fn set(&mut self, n: usize) {
        encode::set_len(self.out, n, self.proto);
    }
    /// A boolean (integer in RESP2).
    pub fn boolean(&mut self, value: bool) {
        encode::boolean(self.out, value, self.proto);
    }
    /// Verbatim text (bulk in RESP2).
    pub fn verbatim(&mut self, text: &[u8]) {
        encode::verbatim(self.out, b"txt", text, self.proto);
    }
}

/// Redis's shared error replies, word for word.
pub mod errors {
    /// Bad option combination or unknown option.
    pub const SYNTAX: &str = "ERR syntax error";
    /// A value of the wrong type under the key.
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    /// Argument is not an integer.
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    /// Argument is not a float.
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    /// RENAME and friends on a missing key.
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    /// SELECT/MOVE/SWAPDB with a bad index.
    pub const DB_INDEX: &str = "ERR DB index is out of range";
    /// Any command before AUTH when a password is set.
    pub const NOAUTH: &str = "NOAUTH Authentication required.";
    /// INCR family overflow.
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    /// Out of range index.
    pub const OUT_OF_RANGE: &str = "ERR index out of range";
    /// A non-positive count where one is required.
    pub const POSITIVE: &str = "ERR value is out of range, must be positive";
}

/// Everything a handler may touch: the server and the calling client.
pub struct Ctx<'a> {
    /// The whole server: keyspace, config, stats, other clients.
    pub server: &'a mut Server,
    /// The client that sent the command.
    pub client: &'a mut Client,
}

impl Ctx<'_> {
    /// A reply writer for the calling client.
    pub fn reply(&mut self) -> Reply<'_> {
        Reply {
            out: &mut self.client.reply,
            proto: self.client.proto,
        }
    }

    /// The calling client's selected database.
    pub fn db(&mut self) -> &mut storage::Db {
        self.server.keyspace.db_mut(self.client.db)
    }

    /// Wall-clock milliseconds, from the server's clock.
    pub fn now_ms(&self) -> i64 {
        self.server.clock.now_ms()
    }

    /// Records one change to the dataset (rdb_changes_since_last_save).
    pub fn dirty(&mut self, changes: u64) {
        self.server.dirty += changes;
    }

    /// Replies with Redis's arity error for `name`.
    pub fn wrong_arity(&mut self, name: &str) {
        let msg = format!("ERR wrong number of arguments for '{name}' command");
        self.reply().error(&msg);
    }
}

/// Parses a whole argument as a signed 64-bit integer, exactly as Redis's
/// `string2ll`: no spaces, no '+', no leading zeros except "0", within i64.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    resp::number::string2ll(arg)
}

/// A case-insensitive comparison of an argument with an ASCII keyword.
pub fn eq_ignore_case(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_is_strict_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-", b"01", b"-0", b"+1", b" 1", b"1 ", b"1a"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }
}

/// The command table after `rename-command`: lowercase name -> row.
#[derive(Debug, Default)]
pub struct CommandTable {
    // Names are a fixed, trusted set: a cheap hash beats SipHash on every command.
    by_name: std::collections::HashMap<Vec<u8>, &'static CommandSpec, crate::state::PointerHash>,
}

impl CommandTable {
    /// Builds the table from the family slices.
    pub fn new(families: &[&'static [CommandSpec]]) -> CommandTable {
        let mut by_name = std::collections::HashMap::with_hasher(crate::state::PointerHash);
        for family in families {
            for spec in family.iter() {
                by_name.insert(spec.name.as_bytes().to_vec(), spec);
            }
        }
        CommandTable { by_name }
    }

    /// Applies `rename-command old new`; an empty `new` removes the command.
    /// Returns false when `old` is unknown (Redis refuses the config line).
    pub fn rename(&mut self, old: &str, new: &str) -> bool {
        let Some(spec) = self.by_name.remove(old.to_ascii_lowercase().as_bytes()) else {
            return false;
        };
        if !new.is_empty() {
            self.by_name
                .insert(new.to_ascii_lowercase().into_bytes(), spec);
        }
        true
    }

    /// Finds a command by the name a client sent, case-insensitively.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut lower = [0u8; 32];
        if name.len() <= lower.len() {
            let buf = &mut lower[..name.len()];
            buf.copy_from_slice(name);
            buf.make_ascii_lowercase();
            self.by_name.get(&buf[..]).copied()
        } else {
            self.by_name.get(&name.to_ascii_lowercase()).copied()
        }
    }

    /// Every command currently reachable, with the name it answers to.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &'static CommandSpec)> {
        self.by_name.iter().map(|(k, v)| (k.as_slice(), *v))
    }

    /// Number of commands (COMMAND COUNT).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// An argument vector from words, for unit tests of handlers and rewrites.
#[cfg(test)]
pub fn test_argv(words: &[&str]) -> Vec<Bytes> {
    words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}
