//! Invariant checks shared by the fuzz target (`fuzz/fuzz_targets/config_parse.rs`)
//! and the unit test below that replays the fuzz corpus.
//!
//! The input is read as a redis.conf (lossy UTF-8) and, line by line, as
//! `CONFIG SET name value` pairs. Each check panics when an invariant breaks,
//! which is what libFuzzer reports:
//!
//! - nothing panics: not the loader, not CONFIG SET, not CONFIG REWRITE;
//! - a refused file yields Redis's `*** FATAL CONFIG FILE ERROR` report, and a
//!   line error names a line that exists, with its trimmed text;
//! - an accepted file, rewritten by CONFIG REWRITE (into an empty file and in
//!   place over its own text), loads again to the same value for every row of
//!   the table (CONFIG GET * plus the hidden rows), and the in-place rewrite
//!   keeps the `rename-command` lines; so does a second rewrite of that output;
//! - CONFIG SET is all or nothing: a refused batch answers `-ERR`/`-LOADING`
//!   and leaves every value as it was; an accepted one reports exactly the rows
//!   whose value changed, and the result survives CONFIG REWRITE too: in place
//!   when the file loaded, into an empty file always. (Over a file that does
//!   not load, Redis's rewrite keeps what it cannot judge, a malformed
//!   `rename-command` line among them, so the result need not load either.)
//!
//! Fuzzing must not touch the filesystem, yet two directives would: `include`
//! opens (and globs) files, and `logfile` creates one when the load finishes.
//! Their lines are blanked before loading (keeping line numbers), recognised
//! exactly as the loader recognises a directive; `logfile` is immutable, so
//! CONFIG SET cannot reach it either. (`dir` only stats a path, so it stays.)

use super::parse::split_args;
use super::table::TABLE;
use super::{load_string, rewrite_text, Config, ConfigError, SetContext};

/// Directives whose lines are blanked because loading them touches files.
const FILESYSTEM_DIRECTIVES: [&str; 2] = ["include", "logfile"];

/// The most input lines tried as CONFIG SET pairs, to bound the work per input.
const MAX_SET_PAIRS: usize = 64;

/// The start of every report of a refused configuration, as Redis prints it.
const FATAL_PREFIX: &str = "\n*** FATAL CONFIG FILE ERROR";

/// Loads, rewrites and CONFIG SETs `data`, asserting the invariants; panics on a violation.
pub fn check_config_parser(data: &[u8]) {
    let text = without_filesystem_directives(&String::from_utf8_lossy(data));
    let (config, renames) = match load_string(&text) {
        Ok(loaded) => {
            check_rewrite(&loaded.config, Some(&text), Some(&loaded.renames));
            (loaded.config, Some(loaded.renames))
        }
        Err(error) => {
            check_load_error(&error, &text);
            // Rewriting over text that does not load must still not panic.
            let _ = rewrite_text(&Config::default(), &text);
            (Config::default(), None)
        }
    };
    check_config_set(config, &text, renames.as_deref());
}

/// The directive a config line starts with, lowercased, as the loader sees it.
fn directive_of(raw_line: &str) -> Option<String> {
    let line = raw_line.trim_matches([' ', '\t', '\r', '\n']);
    if line.starts_with('#') {
        return None;
    }
    let mut first = split_args(line)?.into_iter().next()?;
    first.make_ascii_lowercase();
    Some(first)
}

fn touches_filesystem(raw_line: &str) -> bool {
    directive_of(raw_line).is_some_and(|d| FILESYSTEM_DIRECTIVES.contains(&d.as_str()))
}

/// `text` with every `include` and `logfile` line emptied (line numbers kept).
fn without_filesystem_directives(text: &str) -> String {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| if touches_filesystem(line) { "" } else { line })
        .collect();
    lines.join("\n")
}

/// Every row's value by primary name: CONFIG GET * and the hidden rows.
fn listing(config: &Config) -> Vec<(&'static str, String)> {
    TABLE.iter().map(|p| (p.name, p.get(config))).collect()
}

fn check_load_error(error: &ConfigError, text: &str) {
    let report = error.to_string();
    assert!(
        report.starts_with(FATAL_PREFIX),
        "a load error is not a FATAL CONFIG FILE ERROR report: {report:?}"
    );
    match error {
        ConfigError::Line {
            line, text: shown, ..
        } => {
            let raw = text.split('\n').nth(line.wrapping_sub(1));
            let Some(raw) = raw else {
                panic!("error at line {line}, which the text does not have: {report:?}");
            };
            assert_eq!(shown, raw.trim_matches([' ', '\t', '\r', '\n']));
        }
        ConfigError::General { .. } => {}
        ConfigError::Open { .. } => panic!("the fuzz input opened a file: {report:?}"),
    }
}

/// CONFIG REWRITE of `config`, into an empty file and over `original` (when
/// given), and then once more over its own output, must load back to the same
/// values; `renames` (when known) must survive the in-place rewrites.
///
/// Byte-for-byte idempotence is not asserted: like Redis, a second rewrite may
/// move lines (a default `client-output-buffer-limit normal` class takes over
/// the slot of a changed class) or add a blank last line.
fn check_rewrite(config: &Config, original: Option<&str>, renames: Option<&[(String, String)]>) {
    let expected = listing(config);
    for old in std::iter::once("").chain(original) {
        let mut text = old.to_string();
        let mut current = config.clone();
        for _ in 0..2 {
            text = rewrite_text(&current, &text);
            let reloaded = reload_rewritten(&text);
            let got = listing(&reloaded.config);
            for ((name, want), (_, have)) in expected.iter().zip(&got) {
                assert_eq!(
                    want, have,
                    "`{name}` changed through CONFIG REWRITE; text:\n{text}"
                );
            }
            if let (Some(renames), false) = (renames, old.is_empty()) {
                assert_eq!(reloaded.renames, renames, "rename-command lines were lost");
            }
            current = reloaded.config;
        }
    }
}

/// Loads what CONFIG REWRITE wrote, which must never name a file directive.
fn reload_rewritten(text: &str) -> super::Loaded {
    if let Some(line) = text.split('\n').find(|l| touches_filesystem(l)) {
        panic!("CONFIG REWRITE wrote a file directive {line:?} into:\n{text}");
    }
    match load_string(text) {
        Ok(reloaded) => reloaded,
        Err(e) => panic!("the rewritten config does not load:{e}\n--- text ---\n{text}"),
    }
}

/// One `name value` pair per line (split at the first space), at most
/// [`MAX_SET_PAIRS`], skipping blank lines and comments.
fn set_pairs(text: &str) -> Vec<(String, String)> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .take(MAX_SET_PAIRS)
        .map(|line| {
            let (name, value) = line.split_once(' ').unwrap_or((line, ""));
            (name.to_string(), value.to_string())
        })
        .collect()
}

/// CONFIG SET of every pair at once (while loading, then not), then one by one.
fn check_config_set(mut config: Config, text: &str, renames: Option<&[(String, String)]>) {
    let pairs = set_pairs(text);
    if pairs.is_empty() {
        return;
    }
    let loading = SetContext {
        local_client: true,
        loading: true,
    };
    let running = SetContext {
        local_client: true,
        loading: false,
    };
    let mut scratch = config.clone();
    check_one_set(&mut scratch, &pairs, loading);
    let mut changed_any = check_one_set(&mut config, &pairs, running);
    for pair in &pairs {
        changed_any |= check_one_set(&mut config, std::slice::from_ref(pair), running);
    }
    if changed_any {
        // Only a file that loaded is rewritten in place (see the module doc).
        check_rewrite(&config, renames.map(|_| text), renames);
    }
}

/// One CONFIG SET call and its all-or-nothing invariants; true when it changed a value.
fn check_one_set(config: &mut Config, pairs: &[(String, String)], ctx: SetContext) -> bool {
    let before = listing(config);
    match config.set(pairs, ctx) {
        Err(reply) => {
            assert!(
                reply.starts_with("ERR ") || reply.starts_with("LOADING "),
                "CONFIG SET error without an error code: {reply:?}"
            );
            assert_eq!(
                listing(config),
                before,
                "a refused CONFIG SET changed values"
            );
            false
        }
        Ok(mut changed) => {
            let after = listing(config);
            let mut differing: Vec<&str> = before
                .iter()
                .zip(&after)
                .filter(|(old, new)| old != new)
                .map(|((name, _), _)| *name)
                .collect();
            changed.sort_unstable();
            differing.sort_unstable();
            assert_eq!(changed, differing, "CONFIG SET misreported what changed");
            !changed.is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_corpus_file_keeps_the_config_invariants() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/config_parse");
        let mut replayed = 0;
        for entry in std::fs::read_dir(dir).expect("the fuzz corpus directory exists") {
            let path = entry.expect("a readable directory entry").path();
            let data = std::fs::read(&path).expect("a readable corpus file");
            let outcome = std::panic::catch_unwind(|| check_config_parser(&data));
            assert!(outcome.is_ok(), "corpus file {} fails", path.display());
            replayed += 1;
        }
        assert!(replayed >= 12, "expected at least a dozen seeds in {dir}");
    }

    #[test]
    fn file_directives_are_blanked_keeping_line_numbers() {
        let text = "port 7000\n  INCLUDE /etc/passwd\n\"logfile\" /tmp/x\n# include y\nlogfilex 1";
        assert_eq!(
            without_filesystem_directives(text),
            "port 7000\n\n\n# include y\nlogfilex 1"
        );
        let error = load_string(&without_filesystem_directives(text)).unwrap_err();
        assert!(matches!(error, ConfigError::Line { line: 5, .. }));
    }

    #[test]
    fn set_pairs_split_at_the_first_space() {
        assert_eq!(
            set_pairs("save 900 1\r\n\n# c\nhz\n"),
            [
                ("save".to_string(), "900 1".to_string()),
                ("hz".into(), "".into())
            ]
        );
    }
}
