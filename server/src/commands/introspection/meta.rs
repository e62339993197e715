//! What COMMAND INFO says about a command beyond its table row: ACL categories,
//! command tips and key specs, derived the way Redis 7.0 derives or declares them.
//!
//! Redis computes part of a command's ACL categories from its flags
//! (`setImplicitACLCategories`: write -> @write, readonly -> @read, admin ->
//! @admin @dangerous, pubsub, fast, blocking, and @slow for everything not fast)
//! and declares the rest in its JSON files, where they follow the command's
//! group almost everywhere (@string for the string group, @keyspace for generic
//! key commands, ...). redrill derives the group part and lists the handful of
//! exceptions by name. Tips (`nondeterministic_output`, `request_policy:...`) are
//! pure declarations, so they are a table here, keyed by full name.

use crate::command::{CommandSpec, Flags};

/// ACL categories in the order Redis prints them (its `ACLCommandCategories`).
const CATEGORY_ORDER: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Commands whose declared categories are not just their group's.
const DECLARED_CATEGORIES: &[(&str, &[&str])] = &[
    ("command", &["connection"]),
    ("command|count", &["connection"]),
    ("command|docs", &["connection"]),
    ("command|getkeys", &["connection"]),
    ("command|getkeysandflags", &["connection"]),
    ("command|help", &["connection"]),
    ("command|info", &["connection"]),
    ("command|list", &["connection"]),
    ("dbsize", &["keyspace"]),
    ("flushall", &["keyspace", "dangerous"]),
    ("flushdb", &["keyspace", "dangerous"]),
    ("info", &["dangerous"]),
    ("keys", &["keyspace", "dangerous"]),
    ("lastsave", &["admin", "dangerous"]),
    ("migrate", &["keyspace", "dangerous"]),
    ("restore", &["keyspace", "dangerous"]),
    ("restore-asking", &["keyspace", "dangerous"]),
    ("role", &["admin", "dangerous"]),
    ("sort", &["set", "sortedset", "list", "dangerous"]),
    ("sort_ro", &["set", "sortedset", "list", "dangerous"]),
    ("swapdb", &["keyspace", "dangerous"]),
    ("wait", &["connection"]),
];

/// The category a command group implies, as Redis's JSON files declare it.
fn group_category(group: &str) -> Option<&'static str> {
    Some(match group {
        "generic" => "keyspace",
        "string" => "string",
        "list" => "list",
        "set" => "set",
        "sorted_set" | "sorted-set" => "sortedset",
        "hash" => "hash",
        "bitmap" => "bitmap",
        "hyperloglog" => "hyperloglog",
        "geo" => "geo",
        "stream" => "stream",
        "pubsub" => "pubsub",
        "connection" => "connection",
        "transactions" => "transaction",
        "scripting" => "scripting",
        _ => return None,
    })
}

/// The ACL categories of `spec` (named `full_name`, e.g. `config|get`), in
/// Redis's order, without the leading `@`.
pub fn acl_categories(full_name: &str, spec: &CommandSpec) -> Vec<&'static str> {
    let mut declared: Vec<&str> = Vec::new();
    if let Some((_, cats)) = DECLARED_CATEGORIES.iter().find(|(n, _)| *n == full_name) {
        declared.extend_from_slice(cats);
    } else if spec.subcommands.is_empty() {
        // Containers (CLIENT, CONFIG, OBJECT, ...) declare nothing in Redis.
        declared.extend(group_category(spec.group));
    }
    let flags = spec.flags;
    let implied = [
        (flags.has(Flags::WRITE), "write"),
        (
            flags.has(Flags::READONLY) && !declared.contains(&"scripting"),
            "read",
        ),
        (flags.has(Flags::ADMIN), "admin"),
        (flags.has(Flags::ADMIN), "dangerous"),
        (flags.has(Flags::PUBSUB), "pubsub"),
        (flags.has(Flags::FAST), "fast"),
        (!flags.has(Flags::FAST), "slow"),
        (flags.has(Flags::BLOCKING), "blocking"),
    ];
    CATEGORY_ORDER
        .iter()
        .copied()
        .filter(|cat| declared.contains(cat) || implied.iter().any(|(on, c)| *on && c == cat))
        .collect()
}

/// True when `name` (without `@`, any case) is an ACL category Redis knows.
pub fn is_category(name: &[u8]) -> bool {
    CATEGORY_ORDER
        .iter()
        .any(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// The command flags COMMAND INFO prints, in Redis's order.
pub fn flag_names(flags: Flags) -> Vec<&'static str> {
    const NAMES: [(Flags, &str); 16] = [
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::ALLOW_BUSY, "allow_busy"),
    ];
    NAMES
        .iter()
        .filter(|(f, _)| flags.has(*f))
        .map(|(_, n)| *n)
        .collect()
}

/// Key-spec flags for a command's keys: the table has no per-key access flags,
/// so they follow the command's own flags (Redis's RW/RO plus the usual action).
pub fn key_flags(flags: Flags) -> &'static [&'static str] {
    if flags.has(Flags::WRITE) {
        &["RW", "update"]
    } else if flags.has(Flags::READONLY) {
        &["RO", "access"]
    } else {
        &["RW", "access"]
    }
}

const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];
const UNORDERED: &[&str] = &["nondeterministic_output_order"];
const ALL_NODES_OK: &[&str] = &["request_policy:all_nodes", "response_policy:all_succeeded"];
const ALL_SHARDS_OK: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
const ALL_SHARDS_ONE_OK: &[&str] = &["request_policy:all_shards", "response_policy:one_succeeded"];
const MULTI_SHARD_SUM: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];
const ALL_SHARDS_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];
const ALL_NODES_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];

/// Command tips by full name, as Redis 7.0 declares them.
const TIPS: &[(&str, &[&str])] = &[
    ("client|info", NONDETERMINISTIC),
    ("client|list", NONDETERMINISTIC),
    ("command", UNORDERED),
    ("command|docs", UNORDERED),
    ("command|info", UNORDERED),
    ("command|list", UNORDERED),
    ("config|set", ALL_NODES_OK),
    (
        "dbsize",
        &["request_policy:all_shards", "response_policy:agg_sum"],
    ),
    ("del", MULTI_SHARD_SUM),
    ("dump", NONDETERMINISTIC),
    ("exists", MULTI_SHARD_SUM),
    ("flushall", ALL_SHARDS_OK),
    ("flushdb", ALL_SHARDS_OK),
    ("function|delete", ALL_SHARDS_OK),
    ("function|flush", ALL_SHARDS_OK),
    ("function|kill", ALL_SHARDS_ONE_OK),
    ("function|list", UNORDERED),
    ("function|load", ALL_SHARDS_OK),
    ("function|restore", ALL_SHARDS_OK),
    ("function|stats", ALL_SHARDS_SPECIAL),
    ("hgetall", UNORDERED),
    ("hkeys", UNORDERED),
    ("hrandfield", NONDETERMINISTIC),
    ("hscan", NONDETERMINISTIC),
    ("hvals", UNORDERED),
    ("info", ALL_SHARDS_SPECIAL),
    (
        "keys",
        &["request_policy:all_shards", "nondeterministic_output_order"],
    ),
    ("lastsave", NONDETERMINISTIC),
    ("latency|doctor", ALL_NODES_SPECIAL),
    ("latency|graph", ALL_NODES_SPECIAL),
    ("latency|histogram", ALL_NODES_SPECIAL),
    ("latency|history", ALL_NODES_SPECIAL),
    ("latency|latest", ALL_NODES_SPECIAL),
    ("latency|reset", ALL_NODES_OK),
    ("memory|doctor", ALL_SHARDS_SPECIAL),
    ("memory|malloc-stats", ALL_SHARDS_SPECIAL),
    ("memory|purge", ALL_SHARDS_OK),
    ("memory|stats", ALL_SHARDS_SPECIAL),
    ("mget", &["request_policy:multi_shard"]),
    ("migrate", NONDETERMINISTIC),
    ("module|list", UNORDERED),
    (
        "mset",
        &[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ],
    ),
    (
        "msetnx",
        &["request_policy:multi_shard", "response_policy:agg_min"],
    ),
    ("object|encoding", NONDETERMINISTIC),
    ("object|freq", NONDETERMINISTIC),
    ("object|idletime", NONDETERMINISTIC),
    ("object|refcount", NONDETERMINISTIC),
    ("ping", ALL_SHARDS_OK),
    ("pttl", NONDETERMINISTIC),
    (
        "randomkey",
        &["request_policy:all_shards", "nondeterministic_output"],
    ),
    (
        "scan",
        &["nondeterministic_output", "request_policy:special"],
    ),
    (
        "script|exists",
        &[
            "request_policy:all_shards",
            "response_policy:agg_logical_and",
        ],
    ),
    ("script|flush", ALL_NODES_OK),
    ("script|kill", ALL_SHARDS_ONE_OK),
    ("script|load", ALL_NODES_OK),
    ("sdiff", UNORDERED),
    ("sinter", UNORDERED),
    (
        "slowlog|get",
        &["request_policy:all_nodes", "nondeterministic_output"],
    ),
    (
        "slowlog|len",
        &[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ],
    ),
    ("slowlog|reset", ALL_NODES_OK),
    ("smembers", UNORDERED),
    ("spop", NONDETERMINISTIC),
    ("srandmember", NONDETERMINISTIC),
    ("sscan", NONDETERMINISTIC),
    ("sunion", UNORDERED),
    ("time", NONDETERMINISTIC),
    ("touch", MULTI_SHARD_SUM),
    ("ttl", NONDETERMINISTIC),
    ("unlink", MULTI_SHARD_SUM),
    (
        "wait",
        &["request_policy:all_shards", "response_policy:agg_min"],
    ),
    ("xadd", NONDETERMINISTIC),
    ("xautoclaim", NONDETERMINISTIC),
    ("xclaim", NONDETERMINISTIC),
    ("xinfo|consumers", NONDETERMINISTIC),
    ("xpending", NONDETERMINISTIC),
    ("xtrim", NONDETERMINISTIC),
    ("zrandmember", NONDETERMINISTIC),
    ("zscan", NONDETERMINISTIC),
];

/// The tips of the command named `full_name` (none for most commands).
pub fn tips(full_name: &str) -> &'static [&'static str] {
    TIPS.iter()
        .find(|(n, _)| *n == full_name)
        .map_or(&[], |(_, t)| *t)
}

/// The group name COMMAND DOCS prints (Redis spells the sorted-set group with a dash).
pub fn doc_group(group: &str) -> &str {
    match group {
        "sorted_set" => "sorted-set",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Ctx;
    use bytes::Bytes;

    fn noop(_: &mut Ctx, _: &[Bytes]) {}

    #[test]
    fn categories_follow_flags_and_group_in_redis_order() {
        let get = CommandSpec::new("get", 2, Flags::READONLY.with(Flags::FAST), noop)
            .doc("string", "1.0.0", "O(1)", "");
        assert_eq!(acl_categories("get", &get), vec!["read", "string", "fast"]);
        let config_get = CommandSpec::new("get", -3, Flags::ADMIN.with(Flags::NOSCRIPT), noop)
            .doc("server", "2.0.0", "O(N)", "");
        assert_eq!(
            acl_categories("config|get", &config_get),
            vec!["admin", "slow", "dangerous"]
        );
        let keys = CommandSpec::new("keys", 2, Flags::READONLY, noop);
        assert_eq!(
            acl_categories("keys", &keys),
            vec!["keyspace", "read", "slow", "dangerous"]
        );
    }

    #[test]
    fn tips_and_categories_lookup() {
        assert_eq!(
            tips("slowlog|get"),
            &["request_policy:all_nodes", "nondeterministic_output"]
        );
        assert!(tips("get").is_empty());
        assert!(is_category(b"Read"));
        assert!(!is_category(b"nope"));
        assert_eq!(doc_group("sorted_set"), "sorted-set");
    }
}
