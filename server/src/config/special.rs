//! Directives with their own syntax: `dir`, `save`, `client-output-buffer-limit`,
//! `oom-score-adj-values`, `notify-keyspace-events`, `bind`, `replicaof`,
//! `latency-tracking-info-percentiles`.
//!
//! Each mirrors the set/get/rewrite trio Redis's config.c writes by hand for it
//! (`setConfigSaveOption`, `getConfigSaveOption`, `rewriteConfigSaveOption`, ...),
//! with the same error texts, the same CONFIG GET formatting and the same rules
//! about when CONFIG REWRITE must write a line.

use super::parse::{format_memory, format_percentile, mem_to_u64, repr, strtoll_exact};
use super::table::{SetState, Special};
use super::{
    obuf_class, Config, OutputBufferLimit, DEFAULT_OOM_SCORE_ADJ_VALUES,
    DEFAULT_OUTPUT_BUFFER_LIMITS,
};

const WRONG_ARGS: &str = "wrong number of arguments";

/// The OS's text for an I/O error, without Rust's " (os error N)" suffix, as
/// C's `strerror` prints it.
pub fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// `dir`: must be an existing directory; stored absolute.
pub const DIR: Special = Special {
    set: |c, args, _| {
        let [path] = args else {
            return Err(WRONG_ARGS.into());
        };
        let meta = std::fs::metadata(path).map_err(|e| strerror(&e))?;
        if !meta.is_dir() {
            return Err("Not a directory".into());
        }
        let absolute = std::fs::canonicalize(path).map_err(|e| strerror(&e))?;
        c.dir = absolute.to_string_lossy().into_owned();
        Ok(())
    },
    get: |c| absolute_dir(&c.dir),
    // Redis always writes the absolute working directory.
    rewrite: |c, name, state| {
        let line = format!("{name} {}", repr(&absolute_dir(&c.dir)));
        state.rewrite_line(name, line, true);
    },
};

fn absolute_dir(dir: &str) -> String {
    std::fs::canonicalize(dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| dir.to_string())
}

/// `save <seconds> <changes> [...]`, or `save ""` for none.
pub const SAVE: Special = Special {
    set: set_save,
    get: |c| {
        let parts: Vec<String> = c.save.iter().map(|(s, n)| format!("{s} {n}")).collect();
        parts.join(" ")
    },
    rewrite: |c, name, state| {
        if c.save.is_empty() {
            state.rewrite_line(name, format!("{name} \"\""), true);
        }
        for (seconds, changes) in &c.save {
            state.rewrite_line(name, format!("{name} {seconds} {changes}"), true);
        }
        state.mark_processed(name);
    },
};

fn set_save(c: &mut Config, args: &[String], state: &mut SetState) -> Result<(), String> {
    const INVALID: &str = "Invalid save parameters";
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    if args.len() % 2 == 1 {
        return Err(INVALID.into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let seconds = strtoll_exact(&pair[0]).filter(|s| *s >= 1).ok_or(INVALID)?;
        let changes = strtoll_exact(&pair[1]).filter(|n| *n >= 0).ok_or(INVALID)?;
        points.push((seconds as u64, changes as u64));
    }
    // In a file, successive `save` lines add up; only the first one drops the
    // defaults. CONFIG SET replaces the whole list.
    if !state.reading_file || !state.save_loaded {
        c.save.clear();
        state.save_loaded |= state.reading_file;
    }
    c.save.extend(points);
    Ok(())
}

const OBUF_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

/// `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`.
pub const CLIENT_OUTPUT_BUFFER_LIMIT: Special = Special {
    set: set_output_buffer_limit,
    get: |c| {
        let parts: Vec<String> = c
            .client_output_buffer_limits
            .iter()
            .zip(OBUF_NAMES)
            .map(|(l, n)| format!("{n} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
            .collect();
        parts.join(" ")
    },
    rewrite: |c, name, state| {
        for (class, limit) in c.client_output_buffer_limits.iter().enumerate() {
            let force = *limit != DEFAULT_OUTPUT_BUFFER_LIMITS[class];
            let class_name = if class == obuf_class::REPLICA {
                "replica"
            } else {
                OBUF_NAMES[class]
            };
            let line = format!(
                "{name} {class_name} {} {} {}",
                format_memory(limit.hard_bytes),
                format_memory(limit.soft_bytes),
                limit.soft_seconds
            );
            state.rewrite_line(name, line, force);
        }
    },
};

fn set_output_buffer_limit(
    c: &mut Config,
    args: &[String],
    _: &mut SetState,
) -> Result<(), String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    // Validate every class before changing any, as Redis does.
    let mut updates = Vec::with_capacity(args.len() / 4);
    for group in args.chunks_exact(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => obuf_class::NORMAL,
            "slave" | "replica" => obuf_class::REPLICA,
            "pubsub" => obuf_class::PUBSUB,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = mem_to_u64(&group[1]);
        let soft = mem_to_u64(&group[2]);
        let seconds = strtoll_exact(&group[3]).filter(|s| *s >= 0);
        let (Some(hard_bytes), Some(soft_bytes), Some(seconds)) = (hard, soft, seconds) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        let limit = OutputBufferLimit {
            hard_bytes,
            soft_bytes,
            soft_seconds: seconds as u64,
        };
        updates.push((class, limit));
    }
    for (class, limit) in updates {
        c.client_output_buffer_limits[class] = limit;
    }
    Ok(())
}

/// `oom-score-adj-values <master> <replica> <bgchild>`.
pub const OOM_SCORE_ADJ_VALUES: Special = Special {
    set: |c, args, _| {
        if args.len() != 3 {
            return Err(WRONG_ARGS.into());
        }
        let mut values = [0i32; 3];
        for (slot, arg) in values.iter_mut().zip(args) {
            *slot = strtoll_exact(arg)
                .filter(|v| (-2000..=2000).contains(v))
                .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?
                as i32;
        }
        c.oom_score_adj_values = values;
        Ok(())
    },
    get: |c| join(c.oom_score_adj_values.iter()),
    rewrite: |c, name, state| {
        let force = c.oom_score_adj_values != DEFAULT_OOM_SCORE_ADJ_VALUES;
        let line = format!("{name} {}", join(c.oom_score_adj_values.iter()));
        state.rewrite_line(name, line, force);
    },
};

fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(" ")
}

/// Redis's NOTIFY_* bits by class character.
const NOTIFY_CLASSES: [(char, u32); 15] = [
    ('A', NOTIFY_ALL),
    ('g', 1 << 2),
    ('$', 1 << 3),
    ('l', 1 << 4),
    ('s', 1 << 5),
    ('h', 1 << 6),
    ('z', 1 << 7),
    ('x', 1 << 8),
    ('e', 1 << 9),
    ('K', 1 << 0),
    ('E', 1 << 1),
    ('t', 1 << 10),
    ('m', 1 << 11),
    ('d', 1 << 13),
    ('n', 1 << 14),
];
/// Every class `A` stands for (key-miss and new-key events are left out on purpose).
pub const NOTIFY_ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13);

/// Parses `notify-keyspace-events` classes into NOTIFY_* bits.
pub fn notify_flags(classes: &str) -> Option<u32> {
    classes.chars().try_fold(0u32, |flags, ch| {
        NOTIFY_CLASSES
            .iter()
            .find(|(c, _)| *c == ch)
            .map(|(_, bit)| flags | bit)
    })
}

/// Formats NOTIFY_* bits back into class characters, in Redis's order.
pub fn notify_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for ch in ['g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n'] {
            let bit = NOTIFY_CLASSES
                .iter()
                .find(|(c, _)| *c == ch)
                .map_or(0, |(_, b)| *b);
            if flags & bit != 0 {
                out.push(ch);
            }
        }
    }
    for (ch, bit) in [('K', 1 << 0), ('E', 1 << 1), ('m', 1 << 11)] {
        if flags & bit != 0 {
            out.push(ch);
        }
    }
    out
}

/// `notify-keyspace-events <classes>`.
pub const NOTIFY_KEYSPACE_EVENTS: Special = Special {
    set: |c, args, _| {
        let [classes] = args else {
            return Err(WRONG_ARGS.into());
        };
        c.notify_keyspace_events =
            notify_flags(classes).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
        Ok(())
    },
    get: |c| notify_string(c.notify_keyspace_events),
    rewrite: |c, name, state| {
        let line = format!("{name} {}", repr(&notify_string(c.notify_keyspace_events)));
        state.rewrite_line(name, line, c.notify_keyspace_events != 0);
    },
};

/// Redis accepts at most this many `bind` addresses (CONFIG_BINDADDR_MAX).
pub const BIND_MAX: usize = 16;

/// `bind <addr> [...]`; `bind ""` listens nowhere on TCP.
pub const BIND: Special = Special {
    set: |c, args, _| {
        if args.len() > BIND_MAX {
            return Err("Too many bind addresses specified.".into());
        }
        let nowhere = args.len() == 1 && args[0].is_empty();
        if !nowhere && !args.iter().all(|a| bindable(a)) {
            // Redis finds out when listening fails; here CONFIG REWRITE would
            // otherwise write a line that does not load back.
            return Err("Failed to bind to specified addresses.".into());
        }
        c.bind = if nowhere { Vec::new() } else { args.to_vec() };
        Ok(())
    },
    get: |c| c.bind.join(" "),
    rewrite: |c, name, state| {
        if c.bind == Config::default().bind {
            state.mark_processed(name);
            return;
        }
        let addresses = if c.bind.is_empty() {
            "\"\"".to_string()
        } else {
            c.bind.join(" ")
        };
        state.rewrite_line(name, format!("{name} {addresses}"), true);
    },
};

/// True if `address` can name an interface: an IP address, `*`, or a host
/// name, optionally behind the `-` that makes it optional. No quotes,
/// backslashes, spaces or control bytes, which no address has.
fn bindable(address: &str) -> bool {
    let name = address.strip_prefix('-').unwrap_or(address);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\'))
}

/// `replicaof <host> <port>` or `replicaof no one`.
pub const REPLICAOF: Special = Special {
    set: |c, args, _| {
        let [host, port] = args else {
            return Err(WRONG_ARGS.into());
        };
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            c.replicaof = None;
            return Ok(());
        }
        let port = strtoll_exact(port)
            .and_then(|p| u16::try_from(p).ok())
            .ok_or("Invalid master port")?;
        c.replicaof = Some((host.clone(), port));
        Ok(())
    },
    get: |c| match &c.replicaof {
        Some((host, port)) => format!("{host} {port}"),
        None => String::new(),
    },
    rewrite: |c, name, state| match &c.replicaof {
        Some((host, port)) if !c.cluster_enabled => {
            state.rewrite_line(name, format!("{name} {host} {port}"), true)
        }
        _ => state.mark_processed(name),
    },
};

/// `latency-tracking-info-percentiles <p> [...]`, each within 0..100.
pub const LATENCY_TRACKING_INFO_PERCENTILES: Special = Special {
    set: |c, args, _| {
        let args: &[String] = if args.len() == 1 && args[0].is_empty() {
            &[]
        } else {
            args
        };
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            let value: f64 =
                parse_float(arg).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if !(0.0..=100.0).contains(&value) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            values.push(value);
        }
        c.latency_tracking_info_percentiles = values;
        Ok(())
    },
    get: |c| {
        join(
            c.latency_tracking_info_percentiles
                .iter()
                .map(|p| format_percentile(*p)),
        )
    },
    rewrite: |c, name, state| {
        let values = &c.latency_tracking_info_percentiles;
        let line = if values.is_empty() {
            format!("{name} \"\"")
        } else {
            format!(
                "{name} {}",
                join(values.iter().map(|p| format_percentile(*p)))
            )
        };
        state.rewrite_line(name, line, true);
    },
};

/// A float as Redis's `string2d`: no spaces, not NaN.
fn parse_float(arg: &str) -> Option<f64> {
    if arg.is_empty() || arg.starts_with(char::is_whitespace) || arg.ends_with(char::is_whitespace)
    {
        return None;
    }
    arg.parse::<f64>().ok().filter(|v| !v.is_nan())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_round_trip() {
        assert_eq!(
            notify_flags("KEA").map(notify_string).as_deref(),
            Some("AKE")
        );
        assert_eq!(notify_flags("Ex").map(notify_string).as_deref(), Some("xE"));
        assert_eq!(notify_flags("").map(notify_string).as_deref(), Some(""));
        assert_eq!(notify_flags("KQ"), None);
    }

    #[test]
    fn bind_takes_addresses_and_refuses_bytes_no_address_has() {
        let mut c = Config::default();
        let mut state = SetState::default();
        let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        for good in [
            &["127.0.0.1", "-::1"][..],
            &["*", "-::*"],
            &["localhost"],
            &["fe80::1%eth0"],
        ] {
            (BIND.set)(&mut c, &args(good), &mut state).unwrap();
            assert_eq!(c.bind, args(good));
        }
        (BIND.set)(&mut c, &args(&[""]), &mut state).unwrap();
        assert!(c.bind.is_empty());
        for bad in [
            &["\0\0el"][..],
            &["a\"b"],
            &["127.0.0.1", ""],
            &["-"],
            &["a\tb"],
        ] {
            assert_eq!(
                (BIND.set)(&mut c, &args(bad), &mut state).unwrap_err(),
                "Failed to bind to specified addresses."
            );
            assert!(c.bind.is_empty(), "a refused bind changed the value");
        }
    }

    #[test]
    fn save_accumulates_only_while_reading_a_file() {
        let mut c = Config::default();
        let mut state = SetState {
            reading_file: true,
            save_loaded: false,
        };
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        set_save(&mut c, &args("900 1"), &mut state).unwrap();
        set_save(&mut c, &args("300 10"), &mut state).unwrap();
        assert_eq!(c.save, [(900, 1), (300, 10)]);
        let mut runtime = SetState::default();
        set_save(&mut c, &args("60 5"), &mut runtime).unwrap();
        assert_eq!(c.save, [(60, 5)]);
        set_save(&mut c, &[String::new()], &mut runtime).unwrap();
        assert!(c.save.is_empty());
        for bad in ["0 1", "1 -1", "1", "x 1"] {
            assert_eq!(
                set_save(&mut c, &args(bad), &mut runtime).unwrap_err(),
                "Invalid save parameters"
            );
        }
    }
}
