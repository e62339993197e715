//! Generated differential cases: every ordered pair and triple of SET's options,
//! every pair of GETEX's, and every pair and triple of EXPIRE's NX/XX/GT/LT, each
//! tried on a missing key and on a key that already has a TTL. Hand-written
//! tables miss orderings; Redis's option parsers are order-sensitive (the first
//! conflicting option decides which error is reported).

/// A far-future absolute time in seconds, so absolute expires never fire.
const FAR_S: &str = "99999999999";

/// A named list of requests, built at run time.
pub type Generated = (String, Vec<String>);

/// Ordered selections of `k` distinct items of `items` (all orderings).
fn arrangements<'a>(items: &[&'a str], k: usize) -> Vec<Vec<&'a str>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let rest: Vec<&str> = items
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, s)| *s)
            .collect();
        for mut tail in arrangements(&rest, k - 1) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// Runs `command` (with `{opts}` substituted) on a missing key, a key without a
/// TTL and a key with one, reading back value and TTL each time.
fn on_every_state(command: &str, opts: &[&str]) -> Generated {
    let line = command.replace("{opts}", &opts.join(" "));
    let mut cmds = Vec::new();
    for setup in ["DEL k", "SET k old", "SET k old EX 500"] {
        for request in [setup, &line, "GET k", "@near TTL k"] {
            cmds.push(request.to_string());
        }
    }
    (line, cmds)
}

/// SET with every ordered pair and triple of its options.
pub fn set_options() -> Vec<Generated> {
    let exat = format!("EXAT {FAR_S}");
    let pxat = format!("PXAT {FAR_S}000");
    let options = [
        "NX",
        "XX",
        "GET",
        "KEEPTTL",
        "EX 100",
        "PX 100000",
        &exat,
        &pxat,
    ];
    let mut out = Vec::new();
    for k in 1..=3 {
        for opts in arrangements(&options, k) {
            out.push(on_every_state("SET k v {opts}", &opts));
        }
    }
    out
}

/// GETEX with every ordered pair of its options.
pub fn getex_options() -> Vec<Generated> {
    let exat = format!("EXAT {FAR_S}");
    let pxat = format!("PXAT {FAR_S}000");
    let options = ["PERSIST", "EX 100", "PX 100000", &exat, &pxat];
    let mut out = Vec::new();
    for k in 1..=2 {
        for opts in arrangements(&options, k) {
            out.push(on_every_state("GETEX k {opts}", &opts));
        }
    }
    out
}

/// EXPIRE (and its siblings) with every ordered pair and triple of NX/XX/GT/LT.
pub fn expire_options() -> Vec<Generated> {
    let options = ["NX", "XX", "GT", "LT"];
    let mut out = Vec::new();
    for command in [
        "EXPIRE k 100 {opts}",
        "EXPIRE k 1000 {opts}",
        "PEXPIRE k 100000 {opts}",
    ] {
        for k in 1..=3 {
            for opts in arrangements(&options, k) {
                out.push(on_every_state(command, &opts));
            }
        }
    }
    let at = format!("EXPIREAT k {FAR_S} {{opts}}");
    for opts in arrangements(&options, 2) {
        out.push(on_every_state(&at, &opts));
    }
    out
}
