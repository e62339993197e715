//! The gate every command passes, and the bookkeeping after it runs.
//!
//! Redis's `processCommand` checks a command in a fixed order before `call`
//! executes it; we keep the same order so the same request gets the same error:
//!
//! 1. QUIT (answered here, before anything else, as Redis 7.0 does),
//! 2. lookup: unknown command, unknown subcommand, wrong arity,
//! 3. protected commands (DEBUG under `enable-debug-command`),
//! 4. authentication (NOAUTH),
//! 5. NO_MULTI commands inside MULTI,
//! 6. OOM under `maxmemory` (after trying to evict),
//! 7. MISCONF after a failed background save (`stop-writes-on-bgsave-error`),
//! 8. RESP2 subscribed mode: only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT
//!    and RESET,
//! 9. inside MULTI, anything but EXEC/DISCARD/MULTI/WATCH/QUIT/RESET is queued
//!    (`+QUEUED`) instead of run,
//! 10. then `call`: run the handler, time it, and feed commandstats, errorstats,
//!     SLOWLOG, LATENCY, MONITOR and WATCH.
//!
//! A request refused at any step also dooms an open transaction (EXECABORT); an
//! EXEC that is itself refused discards the transaction with the reason.
//!
//! Later issues slot READONLY and LOADING into this list.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;

use crate::client::{Client, ReplyMode};
use crate::command::{CommandSpec, Ctx, Flags, Reply};
use crate::config::Protection;
use crate::state::{CommandStat, Server};

/// Runs one request (`argv[0]` is the command name) for `client`.
pub fn process(server: &mut Server, client: &mut Client, argv: &[Bytes]) {
    let Some(name) = argv.first() else { return };
    if name.eq_ignore_ascii_case(b"quit") {
        reply(client).ok();
        client.close_after_reply = true;
        return;
    }
    let (spec, parent) = match resolve(server, argv) {
        Ok(found) => found,
        Err(message) => return reject(server, client, argv, &message),
    };
    if let Err(message) = gate(server, client, spec, parent) {
        stat_entry(server, spec, parent).rejected_calls += 1;
        return reject(server, client, argv, &message);
    }
    if client.multi.is_some() && !crate::multi::runs_immediately(spec, parent) {
        crate::multi::queue(server, client, spec, parent, argv);
        reply(client).simple("QUEUED");
        return;
    }
    call(server, client, spec, parent, argv);
}

/// Replies to a refused request (Redis's `rejectCommand`): the transaction, if
/// one is open, is doomed; a refused EXEC ends it with the reason.
fn reject(server: &mut Server, client: &mut Client, argv: &[Bytes], message: &str) {
    crate::multi::flag_transaction(client);
    server.stats.error_replies += 1;
    let is_exec = client.multi.is_some()
        && server
            .commands
            .lookup(&argv[0])
            .is_some_and(|spec| spec.name == "exec" && spec.subcommands.is_empty());
    if is_exec {
        crate::multi::discard(server, client);
        // Redis formats the reason without its ERR code.
        let reason = message.strip_prefix("ERR ").unwrap_or(message);
        reply(client).error(&format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ));
        count_error(server, "EXECABORT");
        return;
    }
    reply(client).error(message);
    count_error(server, error_code(message));
}

/// Finds the row for argv, or Redis's error when there is none.
/// Returns the row that runs and, for a subcommand, its parent.
fn resolve(
    server: &mut Server,
    argv: &[Bytes],
) -> Result<(&'static CommandSpec, Option<&'static CommandSpec>), String> {
    let Some(spec) = server.commands.lookup(&argv[0]) else {
        let mut args = String::new();
        for arg in &argv[1..] {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            let text = String::from_utf8_lossy(arg);
            args.push('\'');
            args.extend(text.chars().take(room));
            args.push_str("' ");
        }
        let name: String = String::from_utf8_lossy(&argv[0])
            .chars()
            .take(128)
            .collect();
        return Err(format!(
            "ERR unknown command '{name}', with args beginning with: {args}"
        ));
    };
    if spec.subcommands.is_empty() {
        if !spec.arity_ok(argv.len()) {
            stat_entry(server, spec, None).rejected_calls += 1;
            return Err(wrong_arity(spec.name));
        }
        return Ok((spec, None));
    }
    // A container command (CLIENT, CONFIG, ...) needs a subcommand, unless its
    // arity allows it alone: bare COMMAND (arity -1) runs the container's handler.
    let Some(sub_name) = argv.get(1) else {
        if spec.arity_ok(argv.len()) {
            return Ok((spec, None));
        }
        return Err(wrong_arity(spec.name));
    };
    let Some(sub) = spec
        .subcommands
        .iter()
        .find(|s| sub_name.eq_ignore_ascii_case(s.name.as_bytes()))
    else {
        let sub_text: String = String::from_utf8_lossy(sub_name)
            .chars()
            .take(128)
            .collect();
        let parent_upper = String::from_utf8_lossy(&argv[0]).to_uppercase();
        return Err(format!(
            "ERR unknown subcommand '{sub_text}'. Try {parent_upper} HELP."
        ));
    };
    if !sub.arity_ok(argv.len()) {
        stat_entry(server, sub, Some(spec)).rejected_calls += 1;
        return Err(wrong_arity(&format!("{}|{}", spec.name, sub.name)));
    }
    Ok((sub, Some(spec)))
}

fn wrong_arity(full_name: &str) -> String {
    format!("ERR wrong number of arguments for '{full_name}' command")
}

/// The checks between lookup and execution, in Redis's order.
fn gate(
    server: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    parent: Option<&CommandSpec>,
) -> Result<(), String> {
    if spec.flags.has(Flags::PROTECTED) && !allowed(server.config.enable_debug_command, client) {
        return Err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.".into());
    }
    if !client.authenticated
        && !server.config.requirepass.is_empty()
        && !spec.flags.has(Flags::NO_AUTH)
    {
        return Err(crate::command::errors::NOAUTH.into());
    }
    if client.multi.is_some() && spec.flags.has(Flags::NO_MULTI) {
        return Err("ERR Command not allowed inside a transaction".into());
    }
    // Redis's order (processCommand): OOM, then MISCONF, then the RESP2
    // subscribed-context check.
    crate::evict::check_oom(server, client, spec)?;
    crate::persist::check_misconf(server, client, spec)?;
    // RESP3 multiplexes pushes with replies; RESP2 cannot tell them apart, so a
    // subscribed RESP2 connection may only manage its subscriptions.
    if client.proto == resp::Protocol::Resp2
        && crate::pubsub::is_subscribed(client)
        && !spec.flags.has(Flags::ALLOW_SUBSCRIBED)
    {
        let full_name = match parent {
            Some(p) => format!("{}|{}", p.name, spec.name),
            None => spec.name.to_string(),
        };
        return Err(format!("ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    }
    Ok(())
}

/// Whether a protected action (`yes`/`no`/`local`) is allowed for this client.
pub fn allowed(setting: Protection, client: &Client) -> bool {
    match setting {
        Protection::Yes => true,
        Protection::No => false,
        Protection::Local => is_local(&client.addr),
    }
}

/// True for loopback peers, the only ones `local` settings and protected mode trust.
pub fn is_local(addr: &str) -> bool {
    let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip == "127.0.0.1" || ip == "::1"
}

/// Executes the handler and does the bookkeeping Redis's `call` does. EXEC
/// runs its queued commands through here too.
pub fn call(
    server: &mut Server,
    client: &mut Client,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    argv: &[Bytes],
) {
    let reply_start = client.reply.len();
    let db = client.db;
    let dirty_before = server.dirty;
    let flush_plan = crate::multi::plan_flush(server, db, spec, argv);
    let skipping = client.reply_mode == ReplyMode::Skip;
    if skipping {
        client.reply_mode = ReplyMode::SkipThis;
    }
    client.last_command = spec.name;
    client.last_command_parent = parent.map_or("", |p| p.name);
    // Back-to-back commands of one pipeline: the previous command's end time is
    // this one's start, so each command reads the clock once, not twice.
    let start_us = match server.pipeline_clock_us.take() {
        Some(previous_end) => server.clock.start_command_at(previous_end),
        None => server.clock.start_command(),
    };
    let mark = crate::replicas::before_call(server);
    (spec.handler)(&mut Ctx { server, client }, argv);
    crate::replicas::after_call(server, mark, db, spec, argv, dirty_before);
    let end_us = server.clock.monotonic_us();
    server.pipeline_clock_us = Some(end_us);
    let duration_us = end_us.saturating_sub(start_us);

    client.commands_processed += 1;
    server.stats.commands_processed += 1;
    let failed = client.reply.get(reply_start) == Some(&b'-');
    if failed {
        server.stats.error_replies += 1;
        let end = client.reply[reply_start..]
            .iter()
            .position(|&b| b == b' ' || b == b'\r')
            .map_or(client.reply.len(), |p| reply_start + p);
        let code = String::from_utf8_lossy(&client.reply[reply_start + 1..end]).into_owned();
        count_error(server, &code);
    }
    let stat = stat_entry(server, spec, parent);
    stat.calls += 1;
    stat.usec += duration_us;
    if failed {
        stat.failed_calls += 1;
    }
    if !server.watches.is_empty() {
        let executed = crate::multi::Executed {
            db,
            spec,
            argv,
            dirty_before,
            failed,
        };
        crate::multi::after_command(server, &executed, flush_plan);
    }
    match client.reply_mode {
        ReplyMode::Off => client.reply.truncate(reply_start),
        ReplyMode::SkipThis => {
            client.reply.truncate(reply_start);
            client.reply_mode = ReplyMode::On;
        }
        // A CLIENT REPLY SKIP that was itself skipped still skips the next one.
        ReplyMode::Skip if skipping => client.reply.truncate(reply_start),
        _ => {}
    }
    // A replica's connection carries the stream: its own commands get no reply.
    if client.kind == crate::client::ClientKind::Replica && client.repl.is_some() {
        client.reply.truncate(reply_start);
    }
    after_call(server, client, spec, argv, duration_us);
}

/// SLOWLOG, LATENCY and MONITOR, after the command ran.
fn after_call(
    server: &mut Server,
    client: &mut Client,
    spec: &'static CommandSpec,
    argv: &[Bytes],
    duration_us: u64,
) {
    let now_ms = server.clock.now_ms();
    if !spec.flags.has(Flags::SKIP_SLOWLOG) {
        let threshold = server.config.slowlog_log_slower_than;
        let max_len = server.config.slowlog_max_len;
        let name: &[u8] = client.name.as_deref().unwrap_or(b"");
        server.slowlog.record(
            now_ms / 1000,
            duration_us,
            argv,
            &client.addr,
            name,
            threshold,
            max_len,
        );
    }
    let event = if spec.flags.has(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    server.latency.add_sample_if_needed(
        event,
        now_ms / 1000,
        duration_us / 1000,
        server.config.latency_monitor_threshold,
    );
    if server.monitors > 0 && !spec.flags.has(Flags::SKIP_MONITOR) && !spec.flags.has(Flags::ADMIN)
    {
        let closed = feed_monitors(server, client, argv);
        server.stats.output_buffer_limit_disconnections += closed;
    }
}

/// Sends one line per command to every MONITOR client (`+time [db addr] "arg" ...`).
/// Returns how many MONITOR clients the line took past their output-buffer
/// limit (checked on every line, as Redis checks on every append).
fn feed_monitors(server: &Server, client: &Client, argv: &[Bytes]) -> u64 {
    let now_us = server.clock.now_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now_us / 1_000_000,
        now_us % 1_000_000,
        client.db,
        client.addr
    );
    let redact = argv[0].eq_ignore_ascii_case(b"auth");
    for (i, arg) in argv.iter().enumerate() {
        line.push(' ');
        if redact && i > 0 {
            line.push_str("\"(redacted)\"");
        } else {
            repr(&mut line, arg);
        }
    }
    line.push_str("\r\n");
    let mut closed = 0;
    for other in server.clients.values() {
        let Ok(mut other) = other.try_borrow_mut() else {
            continue; // the calling client itself
        };
        if other.monitor
            && crate::obuf::push_to(
                &server.config.client_output_buffer_limits,
                &mut other,
                now_us / 1000,
                |out| out.extend_from_slice(line.as_bytes()),
            )
        {
            closed += 1;
        }
    }
    closed
}

/// Quotes bytes as Redis's `sdscatrepr`: printable ASCII as is, escapes otherwise.
pub fn repr(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

fn reply(client: &mut Client) -> Reply<'_> {
    Reply {
        out: &mut client.reply,
        proto: client.proto,
    }
}

fn error_code(message: &str) -> &str {
    message.split(' ').next().unwrap_or("ERR")
}

fn count_error(server: &mut Server, code: &str) {
    *server.error_stats.entry(code.to_string()).or_insert(0) += 1;
}

fn stat_entry<'s>(
    server: &'s mut Server,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
) -> &'s mut CommandStat {
    let key = spec as *const CommandSpec as usize;
    server
        .command_stats
        .entry(key)
        .or_insert_with(|| CommandStat {
            name: match parent {
                Some(p) => format!("{}|{}", p.name, spec.name),
                None => spec.name.to_string(),
            },
            ..CommandStat::default()
        })
}

/// Registers a connection task's client (shared with the server for CLIENT LIST etc.).
pub fn register(server: &mut Server, client: Rc<RefCell<Client>>) {
    let id = client.borrow().id;
    server.clients.insert(id, client);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_peers_are_local() {
        assert!(is_local("127.0.0.1:5000"));
        assert!(is_local("[::1]:5000"));
        assert!(is_local("::1:5000"));
        assert!(!is_local("10.0.0.1:5000"));
        assert!(!is_local("127.0.0.2:5000"));
    }

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut out = String::new();
        repr(&mut out, b"a\"\n\x01\\");
        assert_eq!(out, r#""a\"\n\x01\\""#);
    }
}
