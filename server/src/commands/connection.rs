//! Connection commands: PING ECHO AUTH HELLO SELECT QUIT RESET.
//!
//! These change only the calling client's state: its protocol (HELLO 2|3), its
//! authentication (AUTH against `requirepass`, which in Redis 7.0 is the password
//! of the ACL user "default"), its database (SELECT). Their error texts are the
//! ones Redis 7.0 sends, since client libraries match on them.

use bytes::Bytes;
use resp::Protocol;

use crate::client::ReplyMode;
use crate::command::{eq_ignore_case, errors, parse_i64, CommandSpec, Ctx, Flags};

const F_CONN: Flags = Flags::NOSCRIPT
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::FAST)
    .with(Flags::ALLOW_BUSY);

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, Flags::FAST.with(Flags::ALLOW_SUBSCRIBED), ping).doc(
        "connection",
        "1.0.0",
        "O(1)",
        "Ping the server",
    ),
    CommandSpec::new(
        "echo",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        echo,
    )
    .doc("connection", "1.0.0", "O(1)", "Echo the given string"),
    CommandSpec::new("auth", -2, F_CONN.with(Flags::NO_AUTH), auth).doc(
        "connection",
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticate to the server",
    ),
    CommandSpec::new("hello", -1, F_CONN.with(Flags::NO_AUTH), hello).doc(
        "connection",
        "6.0.0",
        "O(1)",
        "Handshake with Redis",
    ),
    CommandSpec::new(
        "select",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::FAST),
        select,
    )
    .doc(
        "connection",
        "1.0.0",
        "O(1)",
        "Change the selected database for the current connection",
    ),
    CommandSpec::new(
        "quit",
        -1,
        F_CONN.with(Flags::NO_AUTH).with(Flags::ALLOW_SUBSCRIBED),
        quit,
    )
    .doc("connection", "1.0.0", "O(1)", "Close the connection"),
    CommandSpec::new(
        "reset",
        1,
        F_CONN.with(Flags::NO_AUTH).with(Flags::ALLOW_SUBSCRIBED),
        reset,
    )
    .doc("connection", "6.2.0", "O(1)", "Reset the connection"),
];

fn ping(ctx: &mut Ctx, args: &[Bytes]) {
    // A subscribed RESP2 client can only read arrays: PING answers ["pong", msg].
    if args.len() <= 2
        && ctx.client.proto == Protocol::Resp2
        && crate::pubsub::is_subscribed(ctx.client)
    {
        let mut reply = ctx.reply();
        reply.array(2);
        reply.bulk(b"pong");
        return reply.bulk(args.get(1).map_or(&b""[..], |a| &a[..]));
    }
    match args.len() {
        1 => ctx.reply().simple("PONG"),
        2 => ctx.reply().bulk(&args[1]),
        _ => ctx.wrong_arity("ping"),
    }
}

fn echo(ctx: &mut Ctx, args: &[Bytes]) {
    ctx.reply().bulk(&args[1]);
}

/// Checks `user`/`password` against the only user redrill has, "default".
fn credentials_ok(ctx: &Ctx, user: &[u8], password: &[u8]) -> bool {
    let required = &ctx.server.config.requirepass;
    user == b"default" && (required.is_empty() || required.as_slice() == password)
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) {
    if args.len() > 3 {
        return ctx.reply().error(errors::SYNTAX);
    }
    let (user, password): (&[u8], &[u8]) = match args.len() {
        2 => (b"default", &args[1]),
        _ => (&args[1], &args[2]),
    };
    if args.len() == 2 && ctx.server.config.requirepass.is_empty() {
        return ctx.reply().error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    if credentials_ok(ctx, user, password) {
        ctx.client.authenticated = true;
        ctx.reply().ok();
    } else {
        ctx.reply()
            .error("WRONGPASS invalid username-password pair or user is disabled.");
    }
}

fn hello(ctx: &mut Ctx, args: &[Bytes]) {
    let mut proto = ctx.client.proto;
    if let Some(ver) = args.get(1) {
        match parse_i64(ver) {
            None => {
                return ctx
                    .reply()
                    .error("ERR Protocol version is not an integer or out of range")
            }
            Some(2) => proto = Protocol::Resp2,
            Some(3) => proto = Protocol::Resp3,
            Some(_) => return ctx.reply().error("NOPROTO unsupported protocol version"),
        }
    }
    // Options take effect as they are parsed, as in Redis: a later syntax error
    // leaves an earlier AUTH or SETNAME applied.
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        if eq_ignore_case(&args[i], "auth") && more >= 2 {
            if !credentials_ok(ctx, &args[i + 1], &args[i + 2]) {
                return ctx
                    .reply()
                    .error("WRONGPASS invalid username-password pair or user is disabled.");
            }
            ctx.client.authenticated = true;
            i += 3;
        } else if eq_ignore_case(&args[i], "setname") && more >= 1 {
            if let Err(e) = super::client::validate_name(&args[i + 1]) {
                return ctx.reply().error(e);
            }
            ctx.client.name = (!args[i + 1].is_empty()).then(|| args[i + 1].clone());
            i += 2;
        } else {
            let opt = String::from_utf8_lossy(&args[i]).into_owned();
            return ctx
                .reply()
                .error(&format!("ERR Syntax error in HELLO option '{opt}'"));
        }
    }
    if !ctx.client.authenticated {
        return ctx.reply().error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    ctx.client.proto = proto;
    let id = ctx.client.id as i64;
    let proto_n = if proto == Protocol::Resp3 { 3 } else { 2 };
    let mut r = ctx.reply();
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.integer(proto_n);
    r.bulk(b"id");
    r.integer(id);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
}

fn select(ctx: &mut Ctx, args: &[Bytes]) {
    let Some(index) = parse_i64(&args[1]) else {
        return ctx.reply().error(errors::NOT_INTEGER);
    };
    if index < 0 || index as usize >= ctx.server.keyspace.len() {
        return ctx.reply().error(errors::DB_INDEX);
    }
    ctx.client.db = index as usize;
    ctx.reply().ok();
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) {
    // Normally answered by the dispatcher before lookup; kept for renamed QUIT.
    ctx.reply().ok();
    ctx.client.close_after_reply = true;
}

fn reset(ctx: &mut Ctx, _args: &[Bytes]) {
    crate::multi::forget_client(ctx.server, ctx.client);
    crate::pubsub::forget_client(ctx.server, ctx.client);
    let c = &mut *ctx.client;
    c.db = 0;
    c.proto = Protocol::Resp2;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    if c.monitor {
        c.monitor = false;
        ctx.server.monitors = ctx.server.monitors.saturating_sub(1);
    }
    ctx.client.authenticated = ctx.server.config.requirepass.is_empty();
    ctx.reply().simple("RESET");
}
