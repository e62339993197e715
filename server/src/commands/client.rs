//! CLIENT: the operator's view of connections (LIST, INFO, KILL, PAUSE, ...).
//!
//! CLIENT LIST prints one line per connection in Redis 7.0's field order; the
//! buffer fields (`qbuf`, `omem`, `tot-mem`) are the real sizes of this client's
//! query and reply buffers, which is what seed case 3 watches grow. CLIENT KILL
//! marks clients to close; their own connection task closes them.

use bytes::Bytes;

use crate::client::{Client, ClientKind, ReplyMode};
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags};
use crate::state::PauseKind;

const F_ADMIN: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE);
const F_CONN: Flags = Flags::NOSCRIPT.with(Flags::LOADING).with(Flags::STALE);

const fn sub(
    name: &'static str,
    arity: i32,
    flags: Flags,
    handler: crate::command::Handler,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, flags, handler).doc("connection", "2.4.0", "O(1)", summary)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub(
        "list",
        -2,
        F_ADMIN,
        list,
        "Get the list of client connections",
    ),
    sub(
        "info",
        2,
        F_CONN,
        info,
        "Returns information about the current client connection.",
    ),
    sub("kill", -3, F_ADMIN, kill, "Kill the connection of a client"),
    sub(
        "setname",
        3,
        F_CONN,
        setname,
        "Set the current connection name",
    ),
    sub(
        "getname",
        2,
        F_CONN,
        getname,
        "Get the current connection name",
    ),
    sub(
        "id",
        2,
        F_CONN,
        id,
        "Returns the client ID for the current connection",
    ),
    sub(
        "reply",
        3,
        F_CONN,
        reply_mode,
        "Instruct the server whether to reply to commands",
    ),
    sub(
        "pause",
        -3,
        F_ADMIN,
        pause,
        "Stop processing commands from clients for some time",
    ),
    sub(
        "unpause",
        2,
        F_ADMIN,
        unpause,
        "Resume processing of clients that were paused",
    ),
    sub(
        "no-evict",
        3,
        F_ADMIN,
        no_evict,
        "Set client eviction mode for the current connection",
    ),
    sub(
        "unblock",
        -3,
        F_ADMIN,
        unblock,
        "Unblock a client blocked in a blocking command from a different connection",
    ),
    sub(
        "getredir",
        2,
        F_CONN,
        getredir,
        "Get tracking notifications redirection client ID if any",
    ),
    sub(
        "help",
        2,
        F_CONN,
        help,
        "Show helpful text about the different subcommands",
    ),
];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("client", -2, Flags::NONE, help)
    .doc(
        "connection",
        "2.4.0",
        "Depends on subcommand.",
        "A container for client connection commands",
    )
    .subs(SUBCOMMANDS)];

/// Redis refuses names with spaces, newlines or other non-printable bytes.
pub fn validate_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    Ok(())
}

/// One CLIENT LIST line (without the trailing newline), in Redis 7.0's field order.
pub fn describe(c: &Client, now_ms: i64) -> String {
    let mut flags = String::new();
    match c.kind {
        ClientKind::Replica if c.monitor => flags.push('O'),
        ClientKind::Replica => flags.push('S'),
        ClientKind::Master => flags.push('M'),
        ClientKind::PubSub => flags.push('P'),
        ClientKind::Normal if c.monitor => flags.push('O'),
        ClientKind::Normal => {}
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if c.blocked.is_some() {
        flags.push('b');
    }
    if c.close_after_reply {
        flags.push('c');
    }
    if c.close_asap {
        flags.push('A');
    }
    if c.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let cmd = if c.last_command_parent.is_empty() {
        c.last_command.to_string()
    } else {
        format!("{}|{}", c.last_command_parent, c.last_command)
    };
    let qbuf_free = c.qbuf_capacity.saturating_sub(c.qbuf);
    let omem = c.output_memory();
    let rbs = c.reply.capacity();
    let tot_mem = crate::client_evict::memory_usage(c);
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={qbuf_free} argv-mem=0 multi-mem=0 rbs={rbs} rbp={} obl=0 oll=0 omem={omem} tot-mem={tot_mem} events=r cmd={cmd} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        (now_ms - c.created_ms).max(0) / 1000,
        (now_ms - c.last_interaction_ms).max(0) / 1000,
        c.db,
        c.subscriptions.channels.len(),
        c.subscriptions.patterns.len(),
        c.subscriptions.shard_channels.len(),
        c.multi.as_ref().map_or(-1, |m| m.commands.len() as i64),
        c.qbuf,
        c.reply.len(),
        if c.proto == resp::Protocol::Resp3 { 3 } else { 2 },
    )
}

/// Which client kinds a TYPE filter names (Redis accepts slave as replica).
fn parse_kind(arg: &[u8]) -> Option<ClientKind> {
    let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
    match name.as_str() {
        "normal" => Some(ClientKind::Normal),
        "master" => Some(ClientKind::Master),
        "replica" | "slave" => Some(ClientKind::Replica),
        "pubsub" => Some(ClientKind::PubSub),
        _ => None,
    }
}

fn list(ctx: &mut Ctx, args: &[Bytes]) {
    let mut kind: Option<ClientKind> = None;
    let mut ids: Option<Vec<u64>> = None;
    if args.len() == 4 && eq_ignore_case(&args[2], "type") {
        match parse_kind(&args[3]) {
            Some(k) => kind = Some(k),
            None => {
                let t = String::from_utf8_lossy(&args[3]).into_owned();
                return ctx.reply().error(&format!("ERR Unknown client type '{t}'"));
            }
        }
    } else if args.len() > 3 && eq_ignore_case(&args[2], "id") {
        let mut parsed = Vec::new();
        for a in &args[3..] {
            match parse_i64(a) {
                Some(id) => parsed.extend(u64::try_from(id).ok()),
                None => return ctx.reply().error("ERR Invalid client ID"),
            }
        }
        ids = Some(parsed);
    } else if args.len() != 2 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let now = ctx.now_ms();
    let mut text = String::new();
    let me = ctx.client.id;
    for (id, other) in &ctx.server.clients {
        if ids.as_ref().is_some_and(|ids| !ids.contains(id)) {
            continue;
        }
        let line = if *id == me {
            matches_kind(ctx.client, kind).then(|| describe(ctx.client, now))
        } else {
            match other.try_borrow() {
                Ok(c) => matches_kind(&c, kind).then(|| describe(&c, now)),
                Err(_) => None,
            }
        };
        if let Some(line) = line {
            text.push_str(&line);
            text.push('\n');
        }
    }
    ctx.reply().verbatim(text.as_bytes());
}

fn matches_kind(c: &Client, kind: Option<ClientKind>) -> bool {
    kind.is_none_or(|k| c.client_type() == k)
}

fn info(ctx: &mut Ctx, _args: &[Bytes]) {
    let mut line = describe(ctx.client, ctx.now_ms());
    line.push('\n');
    ctx.reply().verbatim(line.as_bytes());
}

/// The filters of the new-style CLIENT KILL.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    kind: Option<ClientKind>,
    user: Option<Vec<u8>>,
    skipme: bool,
    max_age_s: Option<i64>,
}

fn parse_kill_filter(args: &[Bytes]) -> Result<KillFilter, String> {
    let mut f = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    let mut i = 2;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return Err(errors::SYNTAX.into());
        };
        let opt = String::from_utf8_lossy(&args[i]).to_ascii_lowercase();
        match opt.as_str() {
            "id" => match parse_i64(value) {
                Some(id) if id > 0 => f.id = Some(id as u64),
                _ => return Err("ERR client-id should be greater than 0".into()),
            },
            "addr" => f.addr = Some(value.to_vec()),
            "laddr" => f.laddr = Some(value.to_vec()),
            "type" => match parse_kind(value) {
                Some(k) => f.kind = Some(k),
                None => {
                    return Err(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(value)
                    ));
                }
            },
            "user" => {
                if value.as_ref() != b"default" {
                    return Err(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(value)
                    ));
                }
                f.user = Some(value.to_vec());
            }
            "skipme" => {
                if eq_ignore_case(value, "yes") {
                    f.skipme = true;
                } else if eq_ignore_case(value, "no") {
                    f.skipme = false;
                } else {
                    return Err(errors::SYNTAX.into());
                }
            }
            "maxage" => match parse_i64(value) {
                Some(age) if age >= 0 => f.max_age_s = Some(age),
                _ => return Err(errors::SYNTAX.into()),
            },
            _ => return Err(errors::SYNTAX.into()),
        }
        i += 2;
    }
    Ok(f)
}

impl KillFilter {
    fn matches(&self, c: &Client, me: u64, now_ms: i64) -> bool {
        if self.skipme && c.id == me {
            return false;
        }
        self.id.is_none_or(|id| c.id == id)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| a.as_slice() == c.addr.as_bytes())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| a.as_slice() == c.laddr.as_bytes())
            && self.kind.is_none_or(|k| c.client_type() == k)
            && self
                .user
                .as_ref()
                .is_none_or(|u| u.as_slice() == b"default")
            && self
                .max_age_s
                .is_none_or(|age| (now_ms - c.created_ms) / 1000 >= age)
    }
}

fn kill(ctx: &mut Ctx, args: &[Bytes]) {
    // CLIENT KILL addr:port is the old form: one client, +OK or an error.
    let (filter, old_style) = if args.len() == 3 {
        (
            KillFilter {
                addr: Some(args[2].to_vec()),
                ..KillFilter::default()
            },
            true,
        )
    } else {
        match parse_kill_filter(args) {
            Ok(f) => (f, false),
            Err(e) => return ctx.reply().error(&e),
        }
    };
    let now = ctx.now_ms();
    let me = ctx.client.id;
    let mut killed = 0i64;
    for (id, other) in &ctx.server.clients {
        if *id == me {
            if filter.matches(ctx.client, me, now) {
                // Killing yourself: the reply still goes out, then the connection closes.
                ctx.client.close_after_reply = true;
                killed += 1;
            }
            continue;
        }
        let Ok(mut c) = other.try_borrow_mut() else {
            continue;
        };
        if filter.matches(&c, me, now) {
            c.close_asap = true;
            c.notify.notify_one();
            killed += 1;
        }
    }
    if old_style {
        if killed == 0 {
            ctx.reply().error("ERR No such client");
        } else {
            ctx.reply().ok();
        }
    } else {
        ctx.reply().integer(killed);
    }
}

fn setname(ctx: &mut Ctx, args: &[Bytes]) {
    if let Err(e) = validate_name(&args[2]) {
        return ctx.reply().error(e);
    }
    ctx.client.name = (!args[2].is_empty()).then(|| args[2].clone());
    ctx.reply().ok();
}

fn getname(ctx: &mut Ctx, _args: &[Bytes]) {
    match ctx.client.name.clone() {
        Some(name) => ctx.reply().bulk(&name),
        None => ctx.reply().null(),
    }
}

fn id(ctx: &mut Ctx, _args: &[Bytes]) {
    let id = ctx.client.id as i64;
    ctx.reply().integer(id);
}

fn reply_mode(ctx: &mut Ctx, args: &[Bytes]) {
    if eq_ignore_case(&args[2], "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.reply().ok();
    } else if eq_ignore_case(&args[2], "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if eq_ignore_case(&args[2], "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::Skip;
        }
    } else {
        ctx.reply().error(errors::SYNTAX);
    }
}

fn pause(ctx: &mut Ctx, args: &[Bytes]) {
    let timeout_ms = match parse_i64(&args[2]) {
        Some(t) if t >= 0 => t,
        Some(_) => return ctx.reply().error("ERR timeout is negative"),
        None => {
            return ctx
                .reply()
                .error("ERR timeout is not an integer or out of range")
        }
    };
    let kind = match args.get(3) {
        None => PauseKind::All,
        Some(a) if args.len() == 4 && eq_ignore_case(a, "write") => PauseKind::Write,
        Some(a) if args.len() == 4 && eq_ignore_case(a, "all") => PauseKind::All,
        Some(_) if args.len() == 4 => {
            return ctx
                .reply()
                .error("ERR CLIENT PAUSE mode must be WRITE or ALL")
        }
        Some(_) => return ctx.reply().error(errors::SYNTAX),
    };
    let until = ctx.now_ms().saturating_add(timeout_ms);
    // A second pause widens the first: the stricter kind and the later end win.
    let (kind, until) = match ctx.server.pause {
        Some((k, u)) if ctx.now_ms() < u => {
            (if k == PauseKind::All { k } else { kind }, u.max(until))
        }
        _ => (kind, until),
    };
    ctx.server.pause = Some((kind, until));
    ctx.reply().ok();
}

fn unpause(ctx: &mut Ctx, _args: &[Bytes]) {
    ctx.server.pause = None;
    for other in ctx.server.clients.values() {
        if let Ok(c) = other.try_borrow() {
            c.notify.notify_one();
        }
    }
    ctx.reply().ok();
}

fn no_evict(ctx: &mut Ctx, args: &[Bytes]) {
    if eq_ignore_case(&args[2], "on") {
        ctx.client.no_evict = true;
    } else if eq_ignore_case(&args[2], "off") {
        ctx.client.no_evict = false;
    } else {
        return ctx.reply().error(errors::SYNTAX);
    }
    ctx.reply().ok();
}

fn unblock(ctx: &mut Ctx, args: &[Bytes]) {
    let Some(id) = parse_i64(&args[2]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    let mut as_error = false;
    if let Some(mode) = args.get(3) {
        if args.len() > 4 || !(eq_ignore_case(mode, "timeout") || eq_ignore_case(mode, "error")) {
            return ctx
                .reply()
                .error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
        as_error = eq_ignore_case(mode, "error");
    }
    let target = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.server.clients.get(&id).cloned());
    let Some(target) = target.filter(|_| id as u64 != ctx.client.id) else {
        return ctx.reply().integer(0);
    };
    let Ok(mut other) = target.try_borrow_mut() else {
        return ctx.reply().integer(0);
    };
    if other.blocked.is_none() {
        return ctx.reply().integer(0);
    }
    crate::blocking::unblock(ctx.server, &mut other);
    if as_error {
        resp::encode::error(
            &mut other.reply,
            b"UNBLOCKED client unblocked via CLIENT UNBLOCK",
        );
    } else {
        let proto = other.proto;
        resp::encode::null_array(&mut other.reply, proto);
    }
    other.notify.notify_one();
    ctx.reply().integer(1);
}

fn getredir(ctx: &mut Ctx, _args: &[Bytes]) {
    ctx.reply().integer(-1);
}

fn help(ctx: &mut Ctx, _args: &[Bytes]) {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE.",
        "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
        "    Return information about client connections.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect the current client from client eviction.",
        "HELP",
        "    Print this help.",
    ];
    let mut r = ctx.reply();
    r.array(lines.len());
    for l in lines {
        r.simple(l);
    }
}
