//! Start-up configuration: redis.conf, standard input and the command line,
//! read the way Redis's `loadServerConfig` and `main` read them.
//!
//! `redrill-server [file] [-] [--name value ...]`: the file is read first, then
//! standard input when `-` is given, then every `--name value` option becomes
//! one more line (`port 7000`) appended after a newline, so the last mention of
//! a directive wins and an error in an option reports the line number it got
//! in that combined text, exactly as Redis does. Each line is split with
//! `sdssplitargs` rules, its directive looked up case-insensitively in the
//! table, and the first error stops everything with Redis's
//! `*** FATAL CONFIG FILE ERROR ***` report, which [`ConfigError`]'s Display
//! reproduces for `main` to print before exiting with status 1.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::parse::{glob_match, repr, split_args};
use super::special::strerror;
use super::table::{flags, lookup, SetState};
use super::{Config, REDIS_VERSION};

/// Largest config file (or standard input) accepted, so a wrong path such as a
/// disk image cannot exhaust memory.
pub const CONFIG_FILE_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest chain of `include` accepted (Redis has no limit and loops forever).
pub const INCLUDE_DEPTH_MAX: usize = 16;

/// Directives Redis 7.0 still accepts and ignores.
const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// The result of reading the start-up configuration.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// `rename-command old new` pairs, in order, for the command table (an
    /// empty `new` removes the command).
    pub renames: Vec<(String, String)>,
    /// The config file's absolute path, for CONFIG REWRITE.
    pub file: Option<PathBuf>,
    /// Lines accepted but ignored (such as `user`), for the log.
    pub warnings: Vec<String>,
}

/// Why the configuration could not be read; Display prints Redis's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A bad line: its number, its text and the reason.
    Line {
        /// 1-based line number in the file being read.
        line: usize,
        /// The line, trimmed.
        text: String,
        /// Redis's reason.
        message: String,
    },
    /// A problem found after all lines were read.
    General {
        /// Redis's reason.
        message: String,
    },
    /// The file (or an included one) could not be opened.
    Open {
        /// The path as given.
        path: String,
        /// The OS's reason.
        reason: String,
    },
}

impl ConfigError {
    /// An error without a line, such as a `rename-command` naming no command.
    pub fn general(message: impl Into<String>) -> ConfigError {
        ConfigError::General {
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
            ConfigError::Line {
                line,
                text,
                message,
            } => {
                writeln!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"
                )?;
                writeln!(f, "Reading the configuration file, at line {line}")?;
                writeln!(f, ">>> '{text}'")?;
                write!(f, "{message}")
            }
            ConfigError::General { message } => {
                writeln!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"
                )?;
                write!(f, "{message}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Loads from a command line as redis-server takes it (program name excluded).
pub fn load_from_args(args: &[String]) -> Result<Loaded, ConfigError> {
    let (file, rest) = match args.first() {
        Some(first) if !first.starts_with('-') => (Some(Path::new(first)), &args[1..]),
        _ => (None, args),
    };
    let wants_stdin = rest
        .iter()
        .enumerate()
        .any(|(i, a)| a == "-" && (i == 0 || i + 1 == rest.len()));
    let stdin = if wants_stdin {
        let mut text = String::new();
        let mut input = std::io::stdin().lock().take(CONFIG_FILE_MAX_BYTES);
        input
            .read_to_string(&mut text)
            .map_err(|e| ConfigError::Open {
                path: "-".into(),
                reason: strerror(&e),
            })?;
        Some(text)
    } else {
        None
    };
    load(file, rest, stdin.as_deref())
}

/// Loads `file` (if any), then `stdin` text (if any), then the command-line
/// options that followed the file name (`--port`, `7000`, ...).
pub fn load(
    file: Option<&Path>,
    extra_args: &[String],
    stdin: Option<&str>,
) -> Result<Loaded, ConfigError> {
    let mut text = String::new();
    let mut absolute = None;
    if let Some(path) = file {
        text = read_config_file(path)?;
        absolute = Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    }
    if let Some(input) = stdin {
        text.push_str(input);
    }
    let options = options_from_args(extra_args);
    if !options.is_empty() {
        text.push('\n');
        text.push_str(&options);
    }
    let mut loaded = load_string(&text)?;
    loaded.file = absolute;
    Ok(loaded)
}

/// Parses configuration text (what a redis.conf holds), starting from defaults.
pub fn load_string(text: &str) -> Result<Loaded, ConfigError> {
    let mut loader = Loader {
        config: Config::default(),
        renames: Vec::new(),
        warnings: Vec::new(),
        state: SetState {
            reading_file: true,
            save_loaded: false,
        },
    };
    loader.load_text(text, 0)?;
    loader.finish()
}

/// Turns `--port 7000 --save "" --replicaof host 6379` into config lines, as
/// redis-server's `main` does: each `--name` starts a line, other words are
/// appended quoted.
fn options_from_args(args: &[String]) -> String {
    let mut options = String::new();
    let mut last_had_value = true;
    for (j, arg) in args.iter().enumerate() {
        let is_last = j + 1 == args.len();
        if arg == "-" && (j == 0 || is_last) {
            continue;
        }
        if last_had_value && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let words = split_args(arg).map_or(0, |w| w.len());
            if words == 1 {
                last_had_value = false;
                let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
                // `--save` with nothing after it (or another option next) means `save ""`.
                if arg.eq_ignore_ascii_case("--save") && (next_is_option || is_last) {
                    options.push_str("\"\"");
                    last_had_value = next_is_option || last_had_value;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    last_had_value = true;
                }
            } else {
                last_had_value = true;
            }
        } else {
            options.push_str(&repr(arg));
            options.push(' ');
            last_had_value = true;
        }
    }
    options
}

fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    let open_error = |e: std::io::Error| ConfigError::Open {
        path: path.display().to_string(),
        reason: strerror(&e),
    };
    let file = std::fs::File::open(path).map_err(open_error)?;
    let mut bytes = Vec::new();
    file.take(CONFIG_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(open_error)?;
    if bytes.len() as u64 > CONFIG_FILE_MAX_BYTES {
        return Err(ConfigError::Open {
            path: path.display().to_string(),
            reason: format!("file larger than {CONFIG_FILE_MAX_BYTES} bytes"),
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

struct Loader {
    config: Config,
    renames: Vec<(String, String)>,
    warnings: Vec<String>,
    state: SetState,
}

impl Loader {
    fn load_text(&mut self, text: &str, depth: usize) -> Result<(), ConfigError> {
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |message: String| ConfigError::Line {
                line: index + 1,
                text: line.to_string(),
                message,
            };
            let Some(mut argv) = split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line".into()));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();
            self.directive(&argv, index + 1, depth)
                .map_err(|e| match e {
                    Failure::Here(message) => fail(message),
                    Failure::Inner(inner) => inner,
                })?;
        }
        Ok(())
    }

    fn directive(&mut self, argv: &[String], line: usize, depth: usize) -> Result<(), Failure> {
        let name = argv[0].as_str();
        if let Some(param) = lookup(name) {
            let multi = param.has(flags::MULTI_ARG);
            if !multi && argv.len() != 2 {
                return Err(Failure::Here("wrong number of arguments".into()));
            }
            // A multi-argument directive given as one quoted word is split again,
            // so `--save "900 1"` works; an empty word stays (`save ""`).
            let args = if multi && argv.len() == 2 && !argv[1].is_empty() {
                split_args(&argv[1]).ok_or_else(|| {
                    Failure::Here("Unbalanced quotes in configuration line".into())
                })?
            } else {
                argv[1..].to_vec()
            };
            return param
                .set(&mut self.config, &args, &mut self.state)
                .map_err(Failure::Here);
        }
        if argv.len() == 2 && DEPRECATED.contains(&name) {
            return Ok(());
        }
        match (name, argv.len()) {
            ("include", 2) => self.include(&argv[1], depth),
            ("rename-command", 3) => {
                self.renames.push((argv[1].clone(), argv[2].clone()));
                Ok(())
            }
            ("user", n) if n >= 2 => {
                self.warnings.push(format!(
                    "Ignoring 'user {}' at line {line}: redrill has no ACL users, use requirepass",
                    argv[1]
                ));
                Ok(())
            }
            ("loadmodule", n) if n >= 2 => Err(Failure::Here(format!(
                "Module {} failed to load: redrill does not support modules",
                argv[1]
            ))),
            ("sentinel", _) => Err(Failure::Here(
                "sentinel directive while not in sentinel mode".into(),
            )),
            (n, argc) if n.contains('.') => Err(Failure::Here(if argc < 2 {
                "Module config specified without value".into()
            } else {
                "Module configuration is not supported: redrill does not support modules".into()
            })),
            _ => Err(Failure::Here(
                "Bad directive or wrong number of arguments".into(),
            )),
        }
    }

    /// `include path`: a plain path must open; a pattern with `*`, `?` or `[`
    /// includes every match in sorted order, and none is fine.
    fn include(&mut self, pattern: &str, depth: usize) -> Result<(), Failure> {
        if depth >= INCLUDE_DEPTH_MAX {
            return Err(Failure::Here(format!(
                "Too many nested include directives (at most {INCLUDE_DEPTH_MAX})"
            )));
        }
        let files = if pattern.contains(['*', '?', '[']) {
            glob_files(pattern)
        } else {
            vec![PathBuf::from(pattern)]
        };
        for file in files {
            let text = read_config_file(&file).map_err(Failure::Inner)?;
            self.load_text(&text, depth + 1).map_err(Failure::Inner)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Loaded, ConfigError> {
        let config = self.config;
        if !config.logfile.is_empty() {
            // Like Redis, fail now rather than lose the log later.
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&config.logfile)
                .map_err(|e| {
                    ConfigError::general(format!("Can't open the log file: {}", strerror(&e)))
                })?;
        }
        if config.cluster_enabled && config.replicaof.is_some() {
            return Err(ConfigError::general(
                "replicaof directive not allowed in cluster mode",
            ));
        }
        Ok(Loaded {
            config,
            renames: self.renames,
            file: None,
            warnings: self.warnings,
        })
    }
}

enum Failure {
    /// An error about the current line.
    Here(String),
    /// An error already located (in an included file).
    Inner(ConfigError),
}

/// Files matching a pattern in its last path component, sorted as glob(3) does.
fn glob_files(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name_pattern) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !name.starts_with('.') && glob_match(name_pattern.as_bytes(), name.as_bytes(), false)
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        load_string(text).unwrap_err().to_string()
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fatal_error_format() {
        assert_eq!(
            error_of("port 7000\nfoo bar\n"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"
        );
    }

    #[test]
    fn every_error_kind() {
        let cases = [
            ("port", "wrong number of arguments"),
            ("port 1 2", "wrong number of arguments"),
            ("daemonize maybe", "argument must be 'yes' or 'no'"),
            ("port x", "argument couldn't be parsed into an integer"),
            (
                "port 70000",
                "argument must be between 0 and 65535 inclusive",
            ),
            ("maxmemory 1x", "argument must be a memory value"),
            (
                "unixsocketperm 8",
                "argument couldn't be parsed as an octal number",
            ),
            (
                "unixsocketperm 1000",
                "argument must be between 0 and 777 inclusive",
            ),
            (
                "loglevel loud",
                "argument(s) must be one of the following: debug, verbose, notice, warning",
            ),
            ("save 0 1", "Invalid save parameters"),
            (
                "requirepass \"open",
                "Unbalanced quotes in configuration line",
            ),
            (
                "client-output-buffer-limit master 0 0 0",
                "Invalid client class specified in buffer limit configuration.",
            ),
            (
                "client-output-buffer-limit normal 0 0",
                "Wrong number of arguments in buffer limit configuration.",
            ),
            (
                "client-output-buffer-limit normal x 0 0",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            ),
            ("replicaof host 99999", "Invalid master port"),
            (
                "notify-keyspace-events Q",
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            ),
            (
                "sentinel monitor m 127.0.0.1 6379 2",
                "sentinel directive while not in sentinel mode",
            ),
            (
                "dbfilename a/b",
                "dbfilename can't be a path, just a filename",
            ),
            (
                "oom-score-adj-values 0 0 5000",
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
            ),
        ];
        for (line, message) in cases {
            let err = load_string(line).unwrap_err();
            match err {
                ConfigError::Line {
                    line: 1,
                    message: got,
                    ..
                } => assert_eq!(got, message, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert!(error_of("loadmodule /x.so").contains("does not support modules"));
        assert!(error_of("cluster-enabled yes\nreplicaof h 1")
            .ends_with("replicaof directive not allowed in cluster mode"));
    }

    #[test]
    fn quoting_case_and_last_wins() {
        let loaded = load_string(
            "# comment\n  PORT 7000  \r\nport 7001\nrequirepass \"a b\\x41\"\nmasterauth 'it\\'s'\nsave 900 1\nsave \"300 10\"\n\
             slaveof 10.0.0.1 6380\nrename-command KEYS \"\"\nuser alice on\nlist-max-ziplist-entries 5\nmaxmemory 1GB\n",
        )
        .unwrap();
        let c = &loaded.config;
        assert_eq!(c.port, 7001);
        assert_eq!(c.requirepass, b"a bA");
        assert_eq!(c.masterauth, "it's");
        assert_eq!(c.save, [(900, 1), (300, 10)]);
        assert_eq!(c.replicaof, Some(("10.0.0.1".into(), 6380)));
        assert_eq!(loaded.renames, [("KEYS".to_string(), String::new())]);
        assert_eq!(loaded.warnings.len(), 1);
        assert_eq!(c.maxmemory, 1 << 30);
    }

    #[test]
    fn command_line_options_become_lines() {
        assert_eq!(
            options_from_args(&args(&["--port", "7000", "--save", "--appendonly", "yes"])),
            "port \"7000\" \nsave \"\"\nappendonly \"yes\" "
        );
        assert_eq!(options_from_args(&args(&["--save"])), "save \"\"");
        assert_eq!(
            options_from_args(&args(&["--replicaof", "h", "1"])),
            "replicaof \"h\" \"1\" "
        );
        let loaded = load(
            None,
            &args(&["--port", "7000", "--save", "", "--maxmemory", "10mb"]),
            None,
        )
        .unwrap();
        assert_eq!(loaded.config.port, 7000);
        assert!(loaded.config.save.is_empty());
        assert_eq!(loaded.config.maxmemory, 10 << 20);
        assert!(loaded.file.is_none());
    }

    #[test]
    fn options_after_a_file_report_combined_line_numbers() {
        let dir = std::env::temp_dir().join(format!("redrill-config-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let main = dir.join("main.conf");
        let extra = dir.join("extra.conf");
        std::fs::write(&extra, "maxmemory 5mb\n").unwrap();
        std::fs::write(&main, format!("port 7000\ninclude {}\n", extra.display())).unwrap();
        let loaded = load(Some(&main), &args(&["--port", "7002"]), None).unwrap();
        assert_eq!(loaded.config.port, 7002);
        assert_eq!(loaded.config.maxmemory, 5 << 20);
        assert!(loaded.file.as_deref().unwrap().is_absolute());
        let err = load(Some(&main), &args(&["--bogus", "1"]), None).unwrap_err();
        assert!(matches!(err, ConfigError::Line { line: 4, .. }), "{err:?}");
        std::fs::write(
            &extra,
            "include ".to_string() + &extra.display().to_string(),
        )
        .unwrap();
        assert!(load(Some(&main), &[], None)
            .unwrap_err()
            .to_string()
            .contains("Too many nested include"));
        let missing = load(Some(&dir.join("nope.conf")), &[], None).unwrap_err();
        assert!(
            missing
                .to_string()
                .ends_with("nope.conf': No such file or directory"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn real_redis_conf_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/redis-7.0.conf");
        let text = std::fs::read_to_string(path).unwrap();
        // The Debian file names a log file and a data directory of the system
        // service; swap them so the test does not depend on them.
        let temp = std::env::temp_dir();
        let text = text
            .replace("logfile /var/log/redis/redis-server.log", "")
            .replace("dir /var/lib/redis", &format!("dir {}", temp.display()));
        let loaded = load_string(&text).unwrap();
        assert_eq!(loaded.config.port, 6379);
    }
}
