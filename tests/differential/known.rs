//! ======================== KNOWN_DIFFERENCES ========================
//! Where redrill answers differently from Redis 7.0 today. These cases run and
//! print their first difference but never fail the suite; each was reported to
//! the lead, who moves a case back to its family file once redrill is fixed.

use super::Case;

/// Cases where redrill answers differently from Redis 7.0 today. Each is run and
/// its first difference printed; none fails the suite. When one starts matching,
/// the report says so: move it back to its family file.
///
/// ======================== KNOWN_DIFFERENCES ========================
/// Every entry was reported to the lead with Redis's and redrill's replies.
pub const KNOWN_DIFFERENCES: &[Case] = &[
    // Redis adds in x87 `long double` and prints `%.17Lf`; redrill uses f64.
    Case {
        name: "incrbyfloat long double digits",
        cmds: &[
            "INCRBYFLOAT f 10.5",
            "INCRBYFLOAT f 0.1",
            "INCRBYFLOAT f -5",
            "INCRBYFLOAT f 5.0e3",
        ],
    },
    Case {
        name: "incrbyfloat beyond the f64 range",
        cmds: &[
            "INCRBYFLOAT f 1e400",
            "SET g 1.7976931348623157e308",
            "INCRBYFLOAT g 1.7976931348623157e308",
        ],
    },
    // strtold reports ERANGE (over- and underflow) as "not a valid float".
    Case {
        name: "incrbyfloat out-of-range literals",
        cmds: &[
            "INCRBYFLOAT f 1e5000",
            "INCRBYFLOAT f -1e5000",
            "INCRBYFLOAT f 1e-5000",
        ],
    },
    // strtold accepts hexadecimal floats.
    Case {
        name: "incrbyfloat hex increment",
        cmds: &["SET f 1", "INCRBYFLOAT f 0x10"],
    },
    Case {
        name: "help texts",
        cmds: &[
            "OBJECT HELP",
            "SLOWLOG HELP",
            "LATENCY HELP",
            "LATENCY DOCTOR",
            "DEBUG HELP",
        ],
    },
    Case {
        name: "client kill filters",
        // MAXAGE is Redis 7.2's; redrill has it because issue 4 asks for it.
        cmds: &["CLIENT KILL MAXAGE 999999"],
    },
    Case {
        name: "debug protocol resp2",
        cmds: &[
            "DEBUG PROTOCOL string",
            "DEBUG PROTOCOL integer",
            "DEBUG PROTOCOL double",
            "DEBUG PROTOCOL bignum",
            "DEBUG PROTOCOL null",
            "DEBUG PROTOCOL array",
            "DEBUG PROTOCOL set",
            "DEBUG PROTOCOL map",
            "DEBUG PROTOCOL attrib",
            "DEBUG PROTOCOL verbatim",
            "DEBUG PROTOCOL true",
            "DEBUG PROTOCOL false",
            "DEBUG PROTOCOL foo",
        ],
    },
    // RESP3 doubles, big numbers, sets, maps, attributes, verbatim and booleans.
    Case {
        name: "debug protocol resp3",
        cmds: &[
            "@mask:id,version HELLO 3",
            "DEBUG PROTOCOL string",
            "DEBUG PROTOCOL integer",
            "DEBUG PROTOCOL double",
            "DEBUG PROTOCOL bignum",
            "DEBUG PROTOCOL null",
            "DEBUG PROTOCOL array",
            "DEBUG PROTOCOL set",
            "DEBUG PROTOCOL map",
            "DEBUG PROTOCOL attrib",
            "DEBUG PROTOCOL verbatim",
            "DEBUG PROTOCOL true",
            "DEBUG PROTOCOL false",
        ],
    },
    // Key-spec flags are lowercase except RO/RW/OW/RM; notes and DOCS arguments missing.
    Case {
        name: "command info key specs and docs",
        cmds: &[
            "COMMAND INFO get",
            "COMMAND INFO set",
            "COMMAND INFO echo",
            "COMMAND INFO incrbyfloat getex",
            "COMMAND DOCS get",
            "COMMAND GETKEYSANDFLAGS SET k v",
            "COMMAND GETKEYSANDFLAGS COPY a b",
        ],
    },
];

/// Commands whose COMMAND INFO differs today (also KNOWN_DIFFERENCES, reported to
/// the lead): key-spec flags (`ACCESS`/`UPDATE` upper-case and always `RW UPDATE`
/// where Redis says e.g. `OW update`, `RM delete`, `RW access insert`), missing
/// `notes` and second key specs (COPY, RENAME), missing `allow_busy`, and
/// container commands whose subcommands Redis lists in hash-table order.
pub const KNOWN_COMMAND_INFO_DIFFERENCES: &[&str] = &[
    "append",
    "auth",
    "client",
    "client|help",
    "command",
    "config",
    "copy",
    "decr",
    "decrby",
    "del",
    "echo",
    "exists",
    "expire",
    "expireat",
    "expiretime",
    "function",
    "get",
    "getdel",
    "getex",
    "getrange",
    "getset",
    "hello",
    "incr",
    "incrby",
    "incrbyfloat",
    "latency",
    "mget",
    "move",
    "mset",
    "msetnx",
    "object",
    "object|encoding",
    "object|freq",
    "object|idletime",
    "object|refcount",
    "persist",
    "pexpire",
    "pexpireat",
    "pexpiretime",
    "psetex",
    "pttl",
    "quit",
    "rename",
    "renamenx",
    "reset",
    "script",
    "set",
    "setex",
    "setnx",
    "setrange",
    "shutdown",
    "slowlog",
    "strlen",
    "touch",
    "ttl",
    "type",
    "unlink",
];
