//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP, Redis 7.0's config family.
//!
//! The handlers only translate between RESP and `crate::config`: CONFIG GET
//! takes several glob patterns and answers a map (a flat array in RESP2) of
//! name -> value; CONFIG SET takes several name/value pairs and applies them all
//! or none; CONFIG REWRITE writes the running configuration back into the file
//! the server started with. Every value rule and error text lives in the
//! config module's table, so the file, the command line and CONFIG SET agree.

use bytes::Bytes;

use crate::command::{CommandSpec, Ctx, Flags};
use crate::config::{rewrite_file, SetContext};
use crate::state::{Server, Stats};

const ADMIN: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::NO_PAUSE);

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("config", -2, Flags::NONE, container)
    .doc(
        "server",
        "2.0.0",
        "Depends on subcommand.",
        "A container for server configuration commands",
    )
    .subs(SUBCOMMANDS)];

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", -3, ADMIN, config_get).doc(
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Get the values of configuration parameters",
    ),
    CommandSpec::new("set", -4, ADMIN, config_set).doc(
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Set configuration parameters to the given values",
    ),
    CommandSpec::new("resetstat", 2, ADMIN, config_resetstat).doc(
        "server",
        "2.0.0",
        "O(1)",
        "Reset the server's statistics",
    ),
    CommandSpec::new("rewrite", 2, ADMIN, config_rewrite).doc(
        "server",
        "2.8.0",
        "O(1)",
        "Persist the effective configuration to file",
    ),
    CommandSpec::new(
        "help",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::NO_PAUSE),
        config_help,
    )
    .doc(
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

/// The container row never runs: dispatch picks a subcommand.
fn container(_: &mut Ctx<'_>, _: &[Bytes]) {}

fn text(arg: &Bytes) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// CONFIG GET pattern [pattern ...]
fn config_get(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let patterns: Vec<String> = args.iter().skip(2).map(text).collect();
    let found = ctx.server.config.get_matching(&patterns);
    let mut reply = ctx.reply();
    reply.map(found.len());
    for (name, value) in &found {
        reply.bulk(name.as_bytes());
        reply.bulk(value.as_bytes());
    }
}

/// CONFIG SET name value [name value ...]
fn config_set(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() % 2 == 1 {
        ctx.reply().error(crate::command::errors::SYNTAX);
        return;
    }
    let pairs: Vec<(String, String)> = args[2..]
        .chunks_exact(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect();
    let set_context = SetContext {
        local_client: crate::dispatch::is_local(&ctx.client.addr),
        loading: false,
    };
    let before = ctx.server.config.clone();
    match ctx.server.config.set(&pairs, set_context) {
        Ok(changed) => {
            // Re-listening can fail; then the whole CONFIG SET is undone,
            // as Redis restores every value of the call. Redis applies in the
            // call's order, so the error names whichever of the two came first.
            let moved = pairs.iter().find_map(|(n, _)| {
                ["bind", "port"]
                    .into_iter()
                    .find(|p| n.eq_ignore_ascii_case(p) && changed.contains(p))
            });
            if let Some(name) = moved {
                if let Err(e) = crate::run::relisten(ctx.server, name, &before) {
                    ctx.server.config = before;
                    ctx.reply().error(&format!(
                        "ERR CONFIG SET failed (possibly related to argument '{name}') - {e}"
                    ));
                    return;
                }
            }
            config_changed(ctx.server, &changed);
            ctx.reply().ok();
        }
        Err(message) => ctx.reply().error(&message),
    }
}

/// Where the server reacts to parameters whose new value needs more than a
/// field write (Redis's apply functions). `port` and `bind` re-listen before
/// this, in CONFIG SET itself, because that may fail and undo the call.
pub fn config_changed(server: &mut Server, changed: &[&'static str]) {
    for name in changed {
        match *name {
            "loglevel" => crate::log::set_level(server.config.loglevel),
            "maxmemory" => crate::evict::maxmemory_changed(server),
            "maxmemory-policy" | "lfu-log-factor" | "lfu-decay-time" => {
                crate::evict::apply_access_mode(server)
            }
            "jemalloc-bg-thread" => {
                crate::alloc::set_background_thread(server.config.jemalloc_bg_thread);
            }
            "logfile" => {
                let _ = crate::log::configure(server.config.loglevel, &server.config.logfile);
            }
            // port and bind re-listen in config_set, which can still refuse.
            _ => {}
        }
    }
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx<'_>, _: &[Bytes]) {
    reset_stats(ctx.server);
    ctx.reply().ok();
}

/// Zeroes the INFO stats counters (Redis's `resetServerStats`).
pub fn reset_stats(server: &mut Server) {
    server.stats = Stats::default();
    server.command_stats.clear();
    server.error_stats.clear();
    server.memory_peak.set(0);
}

/// CONFIG REWRITE
fn config_rewrite(ctx: &mut Ctx<'_>, _: &[Bytes]) {
    let Some(path) = ctx.server.config_file.clone() else {
        ctx.reply()
            .error("ERR The server is running without a config file");
        return;
    };
    match rewrite_file(&ctx.server.config, &path) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => {
            let message = format!("ERR Rewriting config file: {}", crate::config::strerror(&e));
            ctx.reply().error(&message);
        }
    }
}

/// CONFIG HELP
fn config_help(ctx: &mut Ctx<'_>, _: &[Bytes]) {
    const LINES: [&str; 11] = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    let mut reply = ctx.reply();
    reply.array(LINES.len());
    for line in LINES {
        reply.simple(line);
    }
}
