//! LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH / HISTOGRAM / HELP: reading
//! the latency monitor (see `crate::latency`).
//!
//! Reply shapes follow Redis 7.0: LATEST is `[event, time, latest ms, max ms]` per
//! event, HISTORY is `[time, ms]` pairs oldest first, RESET counts the events it
//! removed, DOCTOR and GRAPH are verbatim text. LATENCY HISTOGRAM answers with an
//! empty map: per-command latency histograms (`latency-tracking`) are a later
//! feature of redrill, and an empty map is exactly what Redis replies when no
//! command has histogram data, so clients parse it unchanged.

use bytes::Bytes;

use crate::command::{CommandSpec, Ctx, Flags};
use crate::commands::introspection::reply_help;
use crate::config::AppendFsync;
use crate::latency::{doctor_report, graph, DoctorSettings};

const F_ADMIN: Flags = Flags::ADMIN
    .with(Flags::NOSCRIPT)
    .with(Flags::LOADING)
    .with(Flags::STALE)
    .with(Flags::NO_PAUSE);

const fn sub(
    name: &'static str,
    arity: i32,
    handler: crate::command::Handler,
    complexity: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, F_ADMIN, handler).doc("server", "2.8.13", complexity, summary)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub(
        "latest",
        2,
        latest,
        "O(1)",
        "Return the latest latency samples for all events.",
    ),
    sub(
        "history",
        3,
        history,
        "O(1)",
        "Return timestamp-latency samples for the event.",
    ),
    sub(
        "reset",
        -2,
        reset,
        "O(1)",
        "Reset latency data for one or more events.",
    ),
    sub(
        "doctor",
        2,
        doctor,
        "O(1)",
        "Return a human readable latency analysis report.",
    ),
    sub(
        "graph",
        3,
        graph_command,
        "O(1)",
        "Return a latency graph for the event.",
    ),
    CommandSpec::new("histogram", -2, F_ADMIN, histogram).doc(
        "server",
        "7.0.0",
        "O(N) where N is the number of commands with latency information being retrieved.",
        "Return the cumulative distribution of latencies of a subset of commands or all.",
    ),
    CommandSpec::new(
        "help",
        2,
        Flags::LOADING.with(Flags::STALE).with(Flags::NO_PAUSE),
        help,
    )
    .doc(
        "server",
        "2.8.13",
        "O(1)",
        "Show helpful text about the different subcommands.",
    ),
];

/// This family's slice of the command table.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("latency", -2, Flags::NONE, help)
    .doc(
        "server",
        "2.8.13",
        "Depends on subcommand.",
        "A container for latency diagnostics commands",
    )
    .subs(SUBCOMMANDS)];

fn now_unix_s(ctx: &Ctx) -> i64 {
    ctx.now_ms() / 1000
}

/// LATENCY LATEST
fn latest(ctx: &mut Ctx, _args: &[Bytes]) {
    let Ctx { server, client } = ctx;
    let mut reply = crate::command::Reply {
        out: &mut client.reply,
        proto: client.proto,
    };
    reply.array(server.latency.len());
    for (event, history) in server.latency.events() {
        let last = history.latest();
        reply.array(4);
        reply.bulk(event.as_bytes());
        reply.integer(last.time_unix_s);
        reply.integer(clamp(last.latency_ms));
        reply.integer(clamp(history.max_ms));
    }
}

/// LATENCY HISTORY event
fn history(ctx: &mut Ctx, args: &[Bytes]) {
    let Ctx { server, client } = ctx;
    let mut reply = crate::command::Reply {
        out: &mut client.reply,
        proto: client.proto,
    };
    let Some(history) = server.latency.history(&args[2]) else {
        return reply.array(0);
    };
    let samples: Vec<_> = history.samples().collect();
    reply.array(samples.len());
    for s in samples {
        reply.array(2);
        reply.integer(s.time_unix_s);
        reply.integer(clamp(s.latency_ms));
    }
}

/// LATENCY RESET [event ...]
fn reset(ctx: &mut Ctx, args: &[Bytes]) {
    let removed = if args.len() == 2 {
        ctx.server.latency.reset_all()
    } else {
        args[2..]
            .iter()
            .map(|event| ctx.server.latency.reset_event(event))
            .sum()
    };
    ctx.reply()
        .integer(i64::try_from(removed).unwrap_or(i64::MAX));
}

/// LATENCY DOCTOR
fn doctor(ctx: &mut Ctx, _args: &[Bytes]) {
    let config = &ctx.server.config;
    let settings = DoctorSettings {
        latency_monitor_threshold_ms: config.latency_monitor_threshold,
        slowlog_log_slower_than_us: config.slowlog_log_slower_than,
        hz: config.hz,
        appendfsync_always: config.appendfsync == AppendFsync::Always,
    };
    let report = doctor_report(&ctx.server.latency, settings, now_unix_s(ctx));
    ctx.reply().verbatim(report.as_bytes());
}

/// LATENCY GRAPH event
fn graph_command(ctx: &mut Ctx, args: &[Bytes]) {
    let now = now_unix_s(ctx);
    let text = ctx
        .server
        .latency
        .history(&args[2])
        .map(|history| graph(&String::from_utf8_lossy(&args[2]), history, now));
    match text {
        Some(text) => ctx.reply().verbatim(text.as_bytes()),
        None => {
            let event = String::from_utf8_lossy(&args[2]);
            ctx.reply()
                .error(&format!("ERR No samples available for event '{event}'"));
        }
    }
}

/// LATENCY HISTOGRAM [command ...]: no command has histogram data yet.
fn histogram(ctx: &mut Ctx, _args: &[Bytes]) {
    ctx.reply().map(0);
}

/// LATENCY HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "DOCTOR",
            "    Return a human readable analysis of the latency events recorded.",
            "GRAPH <event>",
            "    Return an ASCII graph of the samples of <event>.",
            "HISTORY <event>",
            "    Return the [timestamp, latency] samples of <event>.",
            "LATEST",
            "    Return the latest sample of every event.",
            "RESET [<event> ...]",
            "    Forget the samples of the given events (default: of all events).",
            "HISTOGRAM [COMMAND ...]",
            "    Return per-command latency histograms (none are tracked yet).",
        ],
    );
}

/// Milliseconds as a RESP integer.
fn clamp(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
