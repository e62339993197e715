//! Reading and writing one parameter through its row, and the two runtime
//! operations built on that: CONFIG GET (patterns) and CONFIG SET (all or nothing).
//!
//! The value rules are Redis's generic types in config.c: yes/no booleans,
//! enumerations matched case-insensitively (several names OR-ed for MULTI_ARG
//! rows such as `shutdown-on-sigint`), numbers tried as memory, then percent,
//! then octal, then plain integer, each with its own error, then checked against
//! the row's bounds. CONFIG SET validates every pair first, then sets them one by
//! one and, if any fails, puts the whole previous configuration back.

use super::parse::{glob_match, mem_to_u64, yes_no};
use super::table::{flags, lookup, Kind, NumFormat, Param, SetState, SHUTDOWN_FLAGS, TABLE};
use super::Config;

/// Who is asking for a CONFIG SET, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetContext {
    /// The client connects over loopback (for `enable-protected-configs local`).
    pub local_client: bool,
    /// A dataset is loading: DENY_LOADING rows answer -LOADING.
    pub loading: bool,
}

impl Param {
    /// The value as CONFIG GET shows it.
    pub fn get(&self, c: &Config) -> String {
        match self.kind {
            Kind::Bool { get, .. } => if get(c) { "yes" } else { "no" }.to_string(),
            Kind::Int { format, get, .. } => format_number(format, get(c)),
            Kind::Enum { values, get, .. } => enum_name(values, get(c), self.has(flags::MULTI_ARG)),
            Kind::Str { get, .. } => get(c),
            Kind::Special(special) => (special.get)(c),
        }
    }

    /// Parses `args` by the row's type and stores the value, or says why not
    /// (Redis's error text, without the "CONFIG SET failed" frame).
    pub fn set(&self, c: &mut Config, args: &[String], state: &mut SetState) -> Result<(), String> {
        match self.kind {
            Kind::Special(special) => return (special.set)(c, args, state),
            Kind::Enum { values, set, .. } => {
                let value = enum_value(values, args, self.has(flags::MULTI_ARG))?;
                if std::ptr::eq(values, SHUTDOWN_FLAGS) && value & 1 != 0 && value & 2 != 0 {
                    return Err(
                        "shutdown options SAVE and NOSAVE can't be used simultaneously".into(),
                    );
                }
                set(c, value);
                return Ok(());
            }
            _ => {}
        }
        let [value] = args else {
            return Err("wrong number of arguments".into());
        };
        match self.kind {
            Kind::Bool { set, .. } => {
                set(c, yes_no(value).ok_or("argument must be 'yes' or 'no'")?)
            }
            Kind::Int {
                min,
                max,
                format,
                set,
                ..
            } => set(
                c,
                check_bounds(format, min, max, parse_number(format, value)?)?,
            ),
            Kind::Str { check, set, .. } => {
                if let Some(check) = check {
                    check(value)?;
                }
                set(c, value.clone());
            }
            Kind::Enum { .. } | Kind::Special(_) => {}
        }
        Ok(())
    }
}

fn format_number(format: NumFormat, value: i128) -> String {
    match format {
        NumFormat::MemoryOrPercent if value < 0 => format!("{}%", -value),
        NumFormat::Octal => format!("{value:o}"),
        _ => value.to_string(),
    }
}

/// Tries each syntax the row allows, in Redis's order.
fn parse_number(format: NumFormat, value: &str) -> Result<i128, &'static str> {
    if matches!(format, NumFormat::Memory | NumFormat::MemoryOrPercent) {
        if let Some(bytes) = mem_to_u64(value) {
            return Ok(i128::from(bytes));
        }
    }
    if format == NumFormat::MemoryOrPercent && value.len() > 1 {
        if let Some(percent) = value
            .strip_suffix('%')
            .and_then(|p| crate::command::parse_i64(p.as_bytes()))
        {
            if percent >= 0 {
                // Percentages are stored negated, as Redis does.
                return Ok(-i128::from(percent));
            }
        }
    }
    match format {
        NumFormat::Octal => {
            parse_octal(value).ok_or("argument couldn't be parsed as an octal number")
        }
        NumFormat::Plain => crate::command::parse_i64(value.as_bytes())
            .map(i128::from)
            .ok_or("argument couldn't be parsed into an integer"),
        NumFormat::Memory => Err("argument must be a memory value"),
        NumFormat::MemoryOrPercent => Err("argument must be a memory or percent value"),
    }
}

/// `strtoll(value, 8)` with a full-consumption check.
fn parse_octal(value: &str) -> Option<i128> {
    let trimmed = value.trim_start();
    if trimmed.is_empty() {
        return Some(0);
    }
    i64::from_str_radix(trimmed, 8).ok().map(i128::from)
}

fn check_bounds(format: NumFormat, min: i128, max: i128, value: i128) -> Result<i128, String> {
    if format == NumFormat::MemoryOrPercent && value < 0 {
        if value < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
        return Ok(value);
    }
    if value < min || value > max {
        return Err(if format == NumFormat::Octal {
            format!("argument must be between {min:o} and {max:o} inclusive")
        } else {
            format!("argument must be between {min} and {max} inclusive")
        });
    }
    Ok(value)
}

fn enum_value(values: &[(&str, i32)], args: &[String], multi: bool) -> Result<i32, String> {
    let unknown = || {
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        let mut message = format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        );
        // Redis builds this message in a 256-byte buffer.
        message.truncate(255);
        message
    };
    if args.is_empty() || (!multi && args.len() != 1) {
        return Err(unknown());
    }
    let mut result = 0;
    for arg in args {
        let mut matched = false;
        for (name, value) in values {
            if name.eq_ignore_ascii_case(arg) {
                result |= value;
                matched = true;
            }
        }
        if !matched {
            return Err(unknown());
        }
    }
    Ok(result)
}

/// Redis's `configEnumGetName`: an exact value first, else (for flags) the
/// names whose bits cover the value, else "unknown".
pub(super) fn enum_name(values: &[(&str, i32)], value: i32, multi: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for (name, v) in values {
        if *v == value {
            return (*name).to_string();
        }
        if multi && *v != 0 && *v == unmatched & v {
            names.push(name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".into()
    } else {
        names.join(" ")
    }
}

fn has_glob(pattern: &str) -> bool {
    pattern.contains(['[', '*', '?'])
}

impl Config {
    /// CONFIG GET: (name, value) pairs for every pattern, without duplicates.
    /// Exact names answer with the name as asked; patterns skip HIDDEN rows.
    pub fn get_matching(&self, patterns: &[String]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let seen = |out: &Vec<(String, String)>, name: &str| {
            out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            if !has_glob(pattern) {
                if let Some(param) = lookup(pattern) {
                    if !seen(&out, pattern) {
                        out.push((pattern.clone(), param.get(self)));
                    }
                }
                continue;
            }
            for param in TABLE.iter().filter(|p| !p.has(flags::HIDDEN)) {
                for name in std::iter::once(param.name).chain(param.alias) {
                    if !seen(&out, name) && glob_match(pattern.as_bytes(), name.as_bytes(), true) {
                        out.push((name.to_string(), param.get(self)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET of several pairs, all or nothing. On success returns the
    /// primary names whose value changed; on failure the full error reply
    /// (`ERR ...` or `LOADING ...`) and the configuration is unchanged.
    pub fn set(
        &mut self,
        pairs: &[(String, String)],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let params = check_set_pairs(self, pairs, ctx)?;
        let before = self.clone();
        let mut changed = Vec::new();
        for ((asked, param), (_, value)) in params.iter().zip(pairs) {
            let args = split_set_value(param, value);
            let old = param.get(self);
            let mut state = SetState::default();
            if let Err(e) = param.set(self, &args, &mut state) {
                *self = before;
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{asked}') - {e}"
                ));
            }
            if param.get(self) != old && !changed.contains(&param.name) {
                changed.push(param.name);
            }
        }
        Ok(changed)
    }
}

/// The checks done before anything is set, in Redis's precedence: LOADING,
/// then the first unknown name, then immutable / protected / duplicate.
fn check_set_pairs(
    config: &Config,
    pairs: &[(String, String)],
    ctx: SetContext,
) -> Result<Vec<(&'static str, &'static Param)>, String> {
    let mut unknown: Option<&str> = None;
    let mut failure: Option<(&str, &str)> = None;
    let mut deny_loading = false;
    let mut found: Vec<(&'static str, &'static Param)> = Vec::with_capacity(pairs.len());
    for (name, _) in pairs {
        let Some(param) = lookup(name) else {
            unknown.get_or_insert(name);
            continue;
        };
        let registered = if param.name.eq_ignore_ascii_case(name) {
            param.name
        } else {
            param.alias.unwrap_or(param.name)
        };
        if unknown.is_some() || failure.is_some() || deny_loading {
            continue;
        }
        if param.has(flags::IMMUTABLE) {
            failure = Some((name, "can't set immutable config"));
        } else if param.has(flags::PROTECTED)
            && !config.enable_protected_configs.allows(ctx.local_client)
        {
            failure = Some((name, "can't set protected config"));
        } else if ctx.loading && param.has(flags::DENY_LOADING) {
            deny_loading = true;
        } else if found.iter().any(|(_, p)| std::ptr::eq(*p, param)) {
            failure = Some((name, "duplicate parameter"));
        }
        found.push((registered, param));
    }
    if deny_loading {
        return Err("LOADING Redis is loading the dataset in memory".into());
    }
    if let Some(name) = unknown {
        return Err(format!(
            "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
        ));
    }
    if let Some((name, why)) = failure {
        return Err(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ));
    }
    Ok(found)
}

/// CONFIG SET's value for a MULTI_ARG row is split on single spaces (Redis's
/// `sdssplitlen`, so "" is no argument at all); other rows take it whole.
fn split_set_value(param: &Param, value: &str) -> Vec<String> {
    if !param.has(flags::MULTI_ARG) {
        return vec![value.to_string()];
    }
    if value.is_empty() {
        return Vec::new();
    }
    value.split(' ').map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        c.set(&pairs, SetContext::default())
    }

    #[test]
    fn set_errors_are_redis_texts() {
        let mut c = Config::default();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("maxmemory", "1"), ("maxmemory", "2")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
            (&[("daemonize", "yes"), ("foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
            (&[("daemonize", "yes")], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
            (&[("SLAVE-read-only", "maybe")], "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"),
            (&[("maxmemory-policy", "bad")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
            (&[("maxmemory-clients", "101%")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"),
            (&[("maxclients", "-1")], "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"),
            (&[("dir", "/tmp")], "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
            (&[("shutdown-on-sigint", "save nosave")], "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"),
            (&[("port", "abc")], "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"),
            (&[("maxmemory", "1.5")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
            (&[("maxmemory-clients", "x")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"),
        ];
        for (pairs, expected) in cases {
            assert_eq!(set(&mut c, pairs).unwrap_err(), *expected);
        }
    }

    #[test]
    fn set_is_all_or_nothing_and_reports_changes() {
        let mut c = Config::default();
        let err = set(&mut c, &[("maxmemory", "10mb"), ("timeout", "x")]).unwrap_err();
        assert!(err.contains("'timeout'"), "{err}");
        assert_eq!(c.maxmemory, 0);
        let changed = set(
            &mut c,
            &[
                ("maxmemory", "10mb"),
                ("timeout", "0"),
                ("slave-read-only", "no"),
            ],
        )
        .unwrap();
        assert_eq!(changed, ["maxmemory", "replica-read-only"]);
        assert_eq!(c.maxmemory, 10 << 20);
        assert!(!c.replica_read_only);
        set(
            &mut c,
            &[
                ("hz", "1000"),
                ("maxmemory-clients", "10%"),
                ("shutdown-on-sigint", "nosave now"),
            ],
        )
        .unwrap();
        assert_eq!(c.get("hz").unwrap(), "500");
        assert_eq!(c.get("maxmemory-clients").unwrap(), "10%");
        assert_eq!(c.get("shutdown-on-sigint").unwrap(), "nosave now");
        set(
            &mut c,
            &[
                ("save", ""),
                ("client-output-buffer-limit", "replica 1gb 100mb 30"),
            ],
        )
        .unwrap();
        assert_eq!(c.get("save").unwrap(), "");
        assert_eq!(
            c.get("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 1073741824 104857600 30 pubsub 33554432 8388608 60"
        );
    }

    #[test]
    fn protected_and_loading_checks() {
        let mut c = Config {
            enable_protected_configs: crate::config::Protection::Local,
            ..Config::default()
        };
        let pairs = vec![("dir".to_string(), "/tmp".to_string())];
        let remote = SetContext::default();
        assert!(c.set(&pairs, remote).unwrap_err().contains("protected"));
        let local = SetContext {
            local_client: true,
            loading: false,
        };
        c.set(&pairs, local).unwrap();
        let loading = SetContext {
            local_client: true,
            loading: true,
        };
        assert_eq!(
            c.set(&pairs, loading).unwrap_err(),
            "LOADING Redis is loading the dataset in memory"
        );
    }

    /// Directives whose default deliberately differs from real Redis 7.0, or
    /// depends on the machine.
    const KNOWN_DIFFERENCES: [&str; 2] = [
        // redrill listens on loopback by default (Redis without a file: "* -::*").
        "bind", // The working directory.
        "dir",
    ];

    #[test]
    fn get_all_matches_real_redis_7_0() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/config-get-all-7.0.txt");
        let fixture = std::fs::read_to_string(path).unwrap();
        let expected: std::collections::BTreeMap<&str, &str> = fixture
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_once('\t').unwrap_or((l, "")))
            .collect();
        let ours: std::collections::BTreeMap<String, String> = Config::default()
            .get_matching(&["*".into()])
            .into_iter()
            .collect();
        let our_names: Vec<&str> = ours.keys().map(String::as_str).collect();
        let their_names: Vec<&str> = expected.keys().copied().collect();
        assert_eq!(our_names, their_names);
        for (name, value) in &expected {
            if !KNOWN_DIFFERENCES.contains(name) {
                assert_eq!(ours[*name], *value, "{name}");
            }
        }
    }

    #[test]
    fn get_patterns_and_exact_names() {
        let c = Config::default();
        let got = c.get_matching(&["MAXMEMORY".into(), "slaveof".into(), "maxmemory".into()]);
        assert_eq!(
            got,
            [
                ("MAXMEMORY".to_string(), "0".to_string()),
                ("slaveof".into(), "".into())
            ]
        );
        let got = c.get_matching(&["maxmemory-*".into()]);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "maxmemory-policy",
                "maxmemory-samples",
                "maxmemory-eviction-tenacity",
                "maxmemory-clients"
            ]
        );
        assert!(c
            .get_matching(&["*".into()])
            .iter()
            .all(|(n, _)| n != "key-load-delay"));
        assert_eq!(c.get_matching(&["key-load-delay".into()]).len(), 1);
        assert_eq!(c.get("unixsocketperm").unwrap(), "0");
        assert_eq!(c.get("list-max-ziplist-size").unwrap(), "-2");
    }
}
