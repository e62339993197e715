//! COMMAND and its subcommands: the server describing its own command table.
//!
//! Everything here is read from `ctx.server.commands`, the same table dispatch
//! uses, so what COMMAND reports is what the server does (after rename-command).
//! Reply shapes are Redis 7.0's:
//!
//! * COMMAND / COMMAND INFO: one 10-element array per command: name, arity,
//!   flags, first key, last key, key step, ACL categories, tips, key specs,
//!   subcommands (each again a 10-element entry, named `parent|sub`).
//! * COMMAND DOCS: a map from name to a map of summary, since, group,
//!   complexity and, for containers, subcommands.
//! * COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]: names, including
//!   subcommands' `parent|sub` names.
//! * COMMAND GETKEYS / GETKEYSANDFLAGS: the key arguments of a full command line.
//!
//! Like Redis, a command renamed by `rename-command` is found under its new name
//! but still describes itself by its original one. Output is sorted by name so
//! that two runs print the same thing.
//!
//! The shared helpers for HELP replies and subcommand errors live here too.

use bytes::Bytes;

use crate::command::{eq_ignore_case, errors, CommandSpec, Ctx, Flags, Reply};

mod meta;

const F_INTRO: Flags = Flags::LOADING.with(Flags::STALE).with(Flags::NO_PAUSE);

const fn sub(
    name: &'static str,
    arity: i32,
    handler: crate::command::Handler,
    since: &'static str,
    complexity: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, F_INTRO, handler).doc("server", since, complexity, summary)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub(
        "count",
        2,
        count,
        "2.8.13",
        "O(1)",
        "Get total number of Redis commands",
    ),
    sub(
        "docs",
        -2,
        docs,
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        "Get array of specific Redis command documentation",
    ),
    sub(
        "getkeys",
        -4,
        getkeys,
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "Extract keys given a full Redis command",
    ),
    sub(
        "getkeysandflags",
        -4,
        getkeysandflags,
        "7.0.0",
        "O(N) where N is the number of arguments to the command",
        "Extract keys and access flags given a full Redis command",
    ),
    sub(
        "help",
        2,
        help,
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    sub(
        "info",
        -2,
        info,
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        "Get array of specific Redis command details, or all when no argument is given.",
    ),
    sub(
        "list",
        -2,
        list,
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        "Get an array of Redis command names",
    ),
];

/// This family's slice of the command table. Bare `COMMAND` (arity -1) runs the
/// container's own handler and lists every command.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("command", -1, F_INTRO, command_all)
    .doc(
        "server",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
        "Get array of Redis command details",
    )
    .subs(SUBCOMMANDS)];

/// Replies to `X HELP` like Redis's `addReplyHelp`: a header naming the command
/// as typed (upper-cased), the given lines, then the HELP entry itself.
pub fn reply_help(ctx: &mut Ctx, args: &[Bytes], lines: &[&str]) {
    let name = args
        .first()
        .map_or_else(String::new, |a| String::from_utf8_lossy(a).to_uppercase());
    let mut reply = ctx.reply();
    reply.array(lines.len() + 3);
    reply.simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        reply.simple(line);
    }
    reply.simple("HELP");
    reply.simple("    Prints this help.");
}

/// Redis's `addReplySubcommandSyntaxError`, for a known subcommand used with the
/// wrong arguments (or an unknown one, where a handler parses its own).
pub fn reply_subcommand_error(ctx: &mut Ctx, args: &[Bytes]) {
    let name = args
        .first()
        .map_or_else(String::new, |a| String::from_utf8_lossy(a).to_uppercase());
    let sub = args.get(1).map_or(&b""[..], |a| &a[..]);
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    ctx.reply().error(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {name} HELP."
    ));
}

/// Every reachable command, sorted by the name it answers to.
fn sorted_commands(ctx: &Ctx) -> Vec<&'static CommandSpec> {
    let mut all: Vec<(&[u8], &'static CommandSpec)> = ctx.server.commands.iter().collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    all.into_iter().map(|(_, spec)| spec).collect()
}

/// Finds `name` or `parent|sub`, as Redis's `lookupCommandBySds`.
fn lookup_full_name(
    ctx: &Ctx,
    name: &[u8],
) -> Option<(Option<&'static CommandSpec>, &'static CommandSpec)> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let first = parts.next()?;
    let parent = ctx.server.commands.lookup(first)?;
    match parts.next() {
        None => Some((None, parent)),
        Some(sub) => find_sub(parent, sub).map(|s| (Some(parent), s)),
    }
}

fn find_sub(parent: &'static CommandSpec, name: &[u8]) -> Option<&'static CommandSpec> {
    parent
        .subcommands
        .iter()
        .find(|s| name.eq_ignore_ascii_case(s.name.as_bytes()))
}

fn full_name(parent: Option<&CommandSpec>, spec: &CommandSpec) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, spec.name),
        None => spec.name.to_string(),
    }
}

/// One COMMAND INFO entry (10 elements), subcommands included.
fn reply_info(reply: &mut Reply, parent: Option<&CommandSpec>, spec: &CommandSpec) {
    let name = full_name(parent, spec);
    reply.array(10);
    reply.bulk(name.as_bytes());
    reply.integer(i64::from(spec.arity));
    let flags = meta::flag_names(spec.flags);
    reply.set(flags.len());
    for flag in flags {
        reply.simple(flag);
    }
    let has_keys = spec.first_key > 0;
    let (first, last, step) = if has_keys {
        (spec.first_key, spec.last_key, spec.key_step)
    } else {
        (0, 0, 0)
    };
    reply.integer(i64::from(first));
    reply.integer(i64::from(last));
    reply.integer(i64::from(step));
    let categories = meta::acl_categories(&name, spec);
    reply.set(categories.len());
    for cat in categories {
        reply.simple(&format!("@{cat}"));
    }
    let tips = meta::tips(&name);
    reply.set(tips.len());
    for tip in tips {
        reply.bulk(tip.as_bytes());
    }
    if has_keys {
        reply.set(1);
        reply_key_spec(reply, spec);
    } else {
        reply.set(0);
    }
    if spec.subcommands.is_empty() {
        reply.set(0);
    } else {
        reply.array(spec.subcommands.len());
        for sub in spec.subcommands {
            reply_info(reply, Some(spec), sub);
        }
    }
}

/// The one key spec a (first, last, step) range amounts to: begin at index
/// `first`, then a range whose `lastkey` is relative to it (or negative, from
/// the end), as Redis's key specs express the legacy triple.
fn reply_key_spec(reply: &mut Reply, spec: &CommandSpec) {
    let lastkey = if spec.last_key < 0 {
        spec.last_key
    } else {
        spec.last_key - spec.first_key
    };
    reply.map(3);
    reply.bulk(b"flags");
    let flags = meta::key_flags(spec.flags);
    reply.set(flags.len());
    for flag in flags {
        reply.simple(flag);
    }
    reply.bulk(b"begin_search");
    reply.map(2);
    reply.bulk(b"type");
    reply.bulk(b"index");
    reply.bulk(b"spec");
    reply.map(1);
    reply.bulk(b"index");
    reply.integer(i64::from(spec.first_key));
    reply.bulk(b"find_keys");
    reply.map(2);
    reply.bulk(b"type");
    reply.bulk(b"range");
    reply.bulk(b"spec");
    reply.map(3);
    reply.bulk(b"lastkey");
    reply.integer(i64::from(lastkey));
    reply.bulk(b"keystep");
    reply.integer(i64::from(spec.key_step.max(1)));
    reply.bulk(b"limit");
    reply.integer(0);
}

/// One COMMAND DOCS value: summary, since, group, complexity, subcommands.
/// redis-cli reads summary, since and group of every entry, so all are always sent.
fn reply_docs(reply: &mut Reply, spec: &CommandSpec) {
    let has_subs = !spec.subcommands.is_empty();
    reply.map(if has_subs { 5 } else { 4 });
    reply.bulk(b"summary");
    reply.bulk(spec.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(spec.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(meta::doc_group(spec.group).as_bytes());
    reply.bulk(b"complexity");
    reply.bulk(spec.complexity.as_bytes());
    if has_subs {
        reply.bulk(b"subcommands");
        reply.map(spec.subcommands.len());
        for sub in spec.subcommands {
            reply.bulk(full_name(Some(spec), sub).as_bytes());
            reply_docs(reply, sub);
        }
    }
}

/// COMMAND (no subcommand): INFO for every command.
fn command_all(ctx: &mut Ctx, _args: &[Bytes]) {
    let all = sorted_commands(ctx);
    let mut reply = ctx.reply();
    reply.array(all.len());
    for spec in all {
        reply_info(&mut reply, None, spec);
    }
}

/// COMMAND COUNT
fn count(ctx: &mut Ctx, _args: &[Bytes]) {
    let n = ctx.server.commands.len();
    ctx.reply().integer(i64::try_from(n).unwrap_or(i64::MAX));
}

/// COMMAND INFO [name ...]: a null for each unknown name.
fn info(ctx: &mut Ctx, args: &[Bytes]) {
    if args.len() == 2 {
        return command_all(ctx, args);
    }
    let found: Vec<_> = args[2..].iter().map(|n| lookup_full_name(ctx, n)).collect();
    let mut reply = ctx.reply();
    reply.array(found.len());
    for entry in found {
        match entry {
            Some((parent, spec)) => reply_info(&mut reply, parent, spec),
            None => reply.null(),
        }
    }
}

/// COMMAND DOCS [name ...]: unknown names are left out.
fn docs(ctx: &mut Ctx, args: &[Bytes]) {
    let found: Vec<(String, &'static CommandSpec)> = if args.len() == 2 {
        sorted_commands(ctx)
            .into_iter()
            .map(|s| (s.name.to_string(), s))
            .collect()
    } else {
        args[2..]
            .iter()
            .filter_map(|n| lookup_full_name(ctx, n))
            .map(|(parent, spec)| (full_name(parent, spec), spec))
            .collect()
    };
    let mut reply = ctx.reply();
    reply.map(found.len());
    for (name, spec) in found {
        reply.bulk(name.as_bytes());
        reply_docs(&mut reply, spec);
    }
}

/// COMMAND LIST's optional filter.
enum ListFilter {
    /// No filter.
    All,
    /// FILTERBY MODULE: redrill loads no modules, so nothing matches.
    Module,
    /// FILTERBY ACLCAT category.
    Category(Bytes),
    /// FILTERBY PATTERN glob (case-insensitive).
    Pattern(Bytes),
}

impl ListFilter {
    fn keeps(&self, name: &str, spec: &CommandSpec) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::Category(cat) => {
                meta::is_category(cat)
                    && meta::acl_categories(name, spec)
                        .iter()
                        .any(|c| c.as_bytes().eq_ignore_ascii_case(cat))
            }
            ListFilter::Pattern(p) => crate::config::parse::glob_match(p, name.as_bytes(), true),
        }
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
fn list(ctx: &mut Ctx, args: &[Bytes]) {
    let filter = match &args[2..] {
        [] => ListFilter::All,
        [by, kind, arg] if eq_ignore_case(by, "filterby") => {
            if eq_ignore_case(kind, "module") {
                ListFilter::Module
            } else if eq_ignore_case(kind, "aclcat") {
                ListFilter::Category(arg.clone())
            } else if eq_ignore_case(kind, "pattern") {
                ListFilter::Pattern(arg.clone())
            } else {
                return ctx.reply().error(errors::SYNTAX);
            }
        }
        _ => return ctx.reply().error(errors::SYNTAX),
    };
    let mut names = Vec::new();
    for spec in sorted_commands(ctx) {
        if filter.keeps(spec.name, spec) {
            names.push(spec.name.to_string());
        }
        for sub in spec.subcommands {
            let name = full_name(Some(spec), sub);
            if filter.keeps(&name, sub) {
                names.push(name);
            }
        }
    }
    let mut reply = ctx.reply();
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
}

/// COMMAND GETKEYS command [arg ...]
fn getkeys(ctx: &mut Ctx, args: &[Bytes]) {
    reply_keys(ctx, args, false);
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn getkeysandflags(ctx: &mut Ctx, args: &[Bytes]) {
    reply_keys(ctx, args, true);
}

/// The key arguments of `args[2..]`, with Redis's errors for commands that
/// are unknown, take no keys, or are called with the wrong arity.
fn reply_keys(ctx: &mut Ctx, args: &[Bytes], with_flags: bool) {
    let line = &args[2..];
    let Some(base) = ctx.server.commands.lookup(&line[0]) else {
        return ctx.reply().error("ERR Invalid command specified");
    };
    let spec = if base.subcommands.is_empty() || line.len() == 1 {
        base
    } else {
        match find_sub(base, &line[1]) {
            Some(sub) => sub,
            None => return ctx.reply().error("ERR Invalid command specified"),
        }
    };
    if spec.first_key <= 0 {
        return ctx.reply().error("ERR The command has no key arguments");
    }
    if !spec.arity_ok(line.len()) {
        return ctx
            .reply()
            .error("ERR Invalid number of arguments specified for command");
    }
    let keys = spec.key_indexes(line.len());
    if keys.is_empty() {
        return ctx
            .reply()
            .error("ERR Invalid arguments specified for command");
    }
    let flags = meta::key_flags(spec.flags);
    let mut reply = ctx.reply();
    reply.array(keys.len());
    for i in keys {
        if with_flags {
            reply.array(2);
        }
        reply.bulk(&line[i]);
        if with_flags {
            reply.set(flags.len());
            for flag in flags {
                reply.simple(flag);
            }
        }
    }
}

/// COMMAND HELP
fn help(ctx: &mut Ctx, args: &[Bytes]) {
    reply_help(
        ctx,
        args,
        &[
            "(no subcommand)",
            "    Return details about every command.",
            "COUNT",
            "    Return the number of commands this server knows.",
            "LIST",
            "    Return the names of every command.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands.",
            "    Without names, details about every command.",
            "DOCS [<command-name> ...]",
            "    Return the documentation of the given commands.",
            "    Without names, the documentation of every command.",
            "GETKEYS <full-command>",
            "    Return the key arguments of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the key arguments of a full command line with their access flags.",
        ],
    );
}

#[cfg(test)]
mod tests;
