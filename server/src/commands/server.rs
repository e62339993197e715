//! Server commands: INFO TIME SHUTDOWN MONITOR ROLE LASTSAVE, and the FUNCTION /
//! SCRIPT subcommands that tools send when they reset a server.
//!
//! Scripting is out of scope for now; FUNCTION FLUSH, FUNCTION LIST and SCRIPT
//! FLUSH answer exactly as Redis 7.0 does with nothing loaded, because test
//! suites and tools (redis-cli --flushall scripts, client fixtures) send them.

use bytes::Bytes;

use crate::client::ClientKind;
use crate::command::{eq_ignore_case, errors, CommandSpec, Ctx, Flags};

/// SAVE and BGSAVE: admin commands that, unlike most, are refused while loading.
const F_SAVE: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::NO_ASYNC_LOADING);
const F_ADMIN: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE);

const FUNCTION_SUBS: &[CommandSpec] = &[
    CommandSpec::new(
        "flush",
        -2,
        Flags::WRITE.with(Flags::NOSCRIPT),
        function_flush,
    )
    .doc(
        "scripting",
        "7.0.0",
        "O(N) where N is the number of functions deleted",
        "Deleting all functions",
    ),
    CommandSpec::new("list", -2, Flags::NOSCRIPT, function_list).doc(
        "scripting",
        "7.0.0",
        "O(N) where N is the number of functions",
        "List information about all the functions",
    ),
];

const SCRIPT_SUBS: &[CommandSpec] = &[CommandSpec::new("flush", -2, Flags::NOSCRIPT, script_flush)
    .doc(
        "scripting",
        "2.6.0",
        "O(N) with N being the number of scripts in cache",
        "Remove all the scripts from the script cache.",
    )];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("info", -1, Flags::LOADING.with(Flags::STALE), info)
        .doc("server", "1.0.0", "O(1)", "Get information and statistics about the server"),
    CommandSpec::new("time", 1, Flags::LOADING.with(Flags::STALE).with(Flags::FAST), time)
        .doc("server", "2.6.0", "O(1)", "Return the current server time"),
    CommandSpec::new("shutdown", -1, F_ADMIN.with(Flags::NO_MULTI).with(Flags::ALLOW_BUSY), shutdown)
        .doc("server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously save the dataset to disk and then shut down the server"),
    CommandSpec::new("monitor", 1, F_ADMIN, monitor)
        .doc("server", "1.0.0", "O(1)", "Listen for all requests received by the server in real time"),
    CommandSpec::new("role", 1, Flags::NOSCRIPT.with(Flags::LOADING).with(Flags::STALE).with(Flags::FAST), role)
        .doc("server", "2.8.12", "O(1)", "Return the role of the instance in the context of replication"),
    CommandSpec::new("save", 1, F_SAVE.with(Flags::NO_MULTI), save)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously save the dataset to disk"),
    CommandSpec::new("bgsave", -1, F_SAVE, bgsave)
        .doc("server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Asynchronously save the dataset to disk"),
    CommandSpec::new("lastsave", 1, Flags::LOADING.with(Flags::STALE).with(Flags::FAST), lastsave)
        .doc("server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk"),
    CommandSpec::new("function", -2, Flags::NONE, crate::command::container)
        .doc("scripting", "7.0.0", "Depends on subcommand.", "A container for function commands")
        .subs(FUNCTION_SUBS),
    CommandSpec::new("script", -2, Flags::NONE, crate::command::container)
        .doc("scripting", "2.6.0", "Depends on subcommand.", "A container for Lua scripts management commands")
        .subs(SCRIPT_SUBS),
];

fn info(ctx: &mut Ctx, args: &[Bytes]) {
    let sections: Vec<String> = args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let text = crate::info::render(ctx.server, &sections);
    ctx.reply().verbatim(text.as_bytes());
}

fn time(ctx: &mut Ctx, _args: &[Bytes]) {
    let now_us = ctx.server.clock.now_us();
    let mut r = ctx.reply();
    r.array(2);
    r.bulk((now_us / 1_000_000).to_string().as_bytes());
    r.bulk((now_us % 1_000_000).to_string().as_bytes());
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) {
    for arg in &args[1..] {
        let known = ["nosave", "save", "now", "force", "abort"]
            .iter()
            .any(|k| eq_ignore_case(arg, k));
        if !known {
            return ctx.reply().error(errors::SYNTAX);
        }
    }
    let has = |name: &str| args[1..].iter().any(|a| eq_ignore_case(a, name));
    // As Redis: SAVE with NOSAVE, or ABORT with anything else, is a syntax error.
    if (has("save") && has("nosave")) || (has("abort") && args.len() > 2) {
        return ctx.reply().error(errors::SYNTAX);
    }
    if has("abort") {
        // There is never a shutdown in progress to abort: it is synchronous.
        return ctx.reply().error("ERR No shutdown in progress.");
    }
    if !crate::persist::prepare_shutdown(ctx.server, has("save"), has("nosave"), has("force")) {
        return ctx
            .reply()
            .error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes.
    ctx.server.shutdown_requested = true;
    ctx.server.shutdown.notify_one();
}

fn monitor(ctx: &mut Ctx, _args: &[Bytes]) {
    if ctx.client.kind != ClientKind::Normal || ctx.client.monitor {
        // Redis ignores MONITOR from replicas and repeated MONITOR.
        return;
    }
    ctx.client.monitor = true;
    ctx.client.kind = ClientKind::Replica;
    ctx.server.monitors += 1;
    ctx.reply().ok();
}

/// ROLE on a master: its offset, then each replica's address, port and
/// acknowledged offset (the numbers as strings, as Redis sends them).
fn role(ctx: &mut Ctx, _args: &[Bytes]) {
    let offset = ctx.server.repl.stream.offset() as i64;
    // Only replicas past their sync, as Redis's roleCommand lists them.
    let replicas: Vec<_> = crate::replicas::describe_all(ctx.server)
        .into_iter()
        .filter(|r| r.state == "online")
        .collect();
    let mut r = ctx.reply();
    r.array(3);
    r.bulk(b"master");
    r.integer(offset);
    r.array(replicas.len());
    for replica in replicas {
        r.array(3);
        r.bulk(replica.ip.as_bytes());
        r.bulk(replica.port.to_string().as_bytes());
        r.bulk(replica.offset.to_string().as_bytes());
    }
}

fn save(ctx: &mut Ctx, _args: &[Bytes]) {
    if ctx.server.persist.bgsave.is_some() {
        return ctx.reply().error("ERR Background save already in progress");
    }
    ctx.server.persist.rdb_saves += 1;
    match crate::persist::save::save_sync(ctx.server) {
        Ok(()) => ctx.reply().ok(),
        Err(_) => ctx.reply().error("ERR"),
    }
}

fn bgsave(ctx: &mut Ctx, args: &[Bytes]) {
    // SCHEDULE matters only while another child (an AOF rewrite) runs in Redis;
    // nothing else ever runs here, so it is accepted and changes nothing.
    match &args[1..] {
        [] => {}
        [opt] if eq_ignore_case(opt, "schedule") => {}
        _ => return ctx.reply().error(errors::SYNTAX),
    }
    if ctx.server.persist.bgsave.is_some() {
        return ctx.reply().error("ERR Background save already in progress");
    }
    // Inside EXEC the save waits for the cron, as Redis does (no fork in a transaction).
    if ctx.client.in_exec {
        ctx.server.persist.bgsave_scheduled = true;
        return ctx.reply().simple("Background saving scheduled");
    }
    match crate::persist::bgsave::start(ctx.server) {
        Ok(()) => ctx.reply().simple("Background saving started"),
        Err(_) => ctx.reply().error("ERR"),
    }
}

fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) {
    let t = ctx.server.last_save_unix_s;
    ctx.reply().integer(t);
}

fn function_flush(ctx: &mut Ctx, args: &[Bytes]) {
    match args.get(2) {
        None => {}
        Some(m) if args.len() == 3 && (eq_ignore_case(m, "async") || eq_ignore_case(m, "sync")) => {
        }
        Some(_) => {
            return ctx
                .reply()
                .error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        }
    }
    ctx.reply().ok();
}

fn function_list(ctx: &mut Ctx, args: &[Bytes]) {
    let mut i = 2;
    while i < args.len() {
        if eq_ignore_case(&args[i], "withcode") {
            i += 1;
        } else if eq_ignore_case(&args[i], "libraryname") && i + 1 < args.len() {
            i += 2;
        } else {
            return ctx
                .reply()
                .error("ERR Unknown argument or mismatch arguments");
        }
    }
    ctx.reply().array(0);
}

fn script_flush(ctx: &mut Ctx, args: &[Bytes]) {
    match args.get(2) {
        None => {}
        Some(m) if args.len() == 3 && (eq_ignore_case(m, "async") || eq_ignore_case(m, "sync")) => {
        }
        Some(_) => {
            return ctx
                .reply()
                .error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        }
    }
    ctx.reply().ok();
}
