//! Differential cases for the connection layer (`networking.c`, `server.c`):
//! PING/ECHO, AUTH without a password, HELLO and RESP3 replies, CLIENT's
//! subcommands and errors, unknown commands, inline requests and protocol errors
//! (the reply sent before the close).

use super::Case;

/// The connection family's cases.
pub const CASES: &[Case] = &[
    Case {
        name: "ping echo arity",
        cmds: &[
            "PING", "PING hello", "PING \"\"", "PING a b", "ping", "ECHO", "ECHO x", "ECHO \"\"",
            "ECHO a b", "ECHO \"a b\"",
        ],
    },
    Case {
        name: "auth without a password",
        cmds: &[
            "AUTH", "AUTH foo", "AUTH default foo", "AUTH someone foo", "AUTH a b c",
            "@mask:id,version HELLO 2 AUTH default anything", "HELLO 2 AUTH someone foo", "PING",
        ],
    },
    Case {
        name: "hello versions and options",
        cmds: &[
            "@mask:id,version HELLO", "@mask:id,version HELLO 2", "HELLO 4", "HELLO 1",
            "HELLO 0", "HELLO abc", "HELLO -1", "HELLO 2.0", "HELLO \"\"",
            "HELLO 9999999999999999999", "HELLO 2 FOO", "HELLO 2 AUTH", "HELLO 2 AUTH default",
            "HELLO 2 SETNAME", "HELLO 2 SETNAME \"a b\"", "@mask:id,version HELLO 2 SETNAME n1",
            "CLIENT GETNAME", "@mask:id,version HELLO 2 setname n2 auth default x",
            "CLIENT GETNAME", "HELLO 4 SETNAME x",
            "HELLO abc FOO", "@mask:id,version HELLO 2 SETNAME \"\"", "CLIENT GETNAME",
        ],
    },
    Case {
        name: "resp3 replies",
        cmds: &[
            "@mask:id,version HELLO 3", "GET missing", "SET k v", "GET k", "SET k v2 GET",
            "SET n v NX GET", "MGET k missing", "INCR i", "INCRBYFLOAT f 1.5", "TTL k",
            "OBJECT ENCODING missing", "GETEX missing", "GETDEL missing", "GETRANGE missing 0 1",
            "@shape RANDOMKEY", "@unordered CONFIG GET maxmemory*", "CLIENT GETNAME", "EXISTS k",
            "TYPE k", "SCAN 0 MATCH nothing*", "KEYS nothing*", "PING", "PING x", "ECHO e",
            "INCR k", "FOO", "@mask:id,version HELLO 2", "GET missing", "MGET missing",
            "@mask:id,version HELLO 3", "@mask:id,version HELLO", "SLOWLOG GET 0",
            "LATENCY LATEST", "COMMAND INFO nosuchcommand", "@mask:id,version HELLO 3 SETNAME r3",
            "CLIENT GETNAME", "CLIENT SETNAME x", "CLIENT NO-EVICT on",
        ],
    },
    Case {
        name: "client setname getname",
        cmds: &[
            "CLIENT GETNAME", "CLIENT SETNAME foo", "CLIENT GETNAME", "CLIENT SETNAME \"a b\"",
            "CLIENT SETNAME \"a\nb\"", "CLIENT SETNAME \"\"", "CLIENT GETNAME", "CLIENT SETNAME",
            "CLIENT SETNAME a b", "CLIENT GETNAME x", "CLIENT SETNAME ~!@#$%^&*()_+{}|:<>?",
            "CLIENT GETNAME", "client setname lower", "client getname",
        ],
    },
    Case {
        name: "client reply",
        cmds: &[
            "CLIENT REPLY FOO", "CLIENT REPLY", "CLIENT REPLY ON x", "CLIENT REPLY ON",
            "@none CLIENT REPLY OFF", "@none PING", "@none SET k v", "CLIENT REPLY ON", "GET k",
            "@none CLIENT REPLY SKIP", "@none PING", "PING",
        ],
    },
    Case {
        name: "client kill syntax",
        cmds: &[
            "CLIENT KILL", "CLIENT KILL 1.2.3.4:5", "CLIENT KILL nosuchaddr", "CLIENT KILL ID",
            "CLIENT KILL ID abc", "CLIENT KILL ID 0", "CLIENT KILL ID -1", "CLIENT KILL ID 99999",
            "CLIENT KILL TYPE foo",             "CLIENT KILL TYPE master", "CLIENT KILL TYPE pubsub", "CLIENT KILL TYPE replica",
            "CLIENT KILL TYPE slave", "CLIENT KILL FOO bar", "CLIENT KILL ADDR 1.2.3.4:5",
            "CLIENT KILL LADDR 1.2.3.4:5",              "CLIENT KILL SKIPME maybe", "CLIENT KILL SKIPME no ID 99999", "CLIENT KILL ID 1 ID", "CLIENT KILL a b c",
        ],
    },
    Case {
        name: "client misc",
        cmds: &[
            "CLIENT NO-EVICT on", "CLIENT NO-EVICT off", "CLIENT NO-EVICT ON",
            "CLIENT NO-EVICT foo", "CLIENT NO-EVICT", "CLIENT NO-EVICT on off", "CLIENT",
            "CLIENT FOO", "CLIENT foo bar", "@shape CLIENT ID", "CLIENT ID x",
            "CLIENT INFO x", "CLIENT LIST TYPE foo", "CLIENT LIST FOO", "CLIENT LIST ID abc",
            "CLIENT LIST ID 99999",  "CLIENT PAUSE", "CLIENT PAUSE abc",
            "CLIENT PAUSE -1", "CLIENT UNPAUSE x",
                    ],
    },
    Case {
        name: "client info and list fields",
        cmds: &[
            "CLIENT SETNAME me",
            "@fields:name,flags,db,sub,psub,ssub,multi,events,cmd,user,redir,resp CLIENT INFO",
            "SELECT 2",
            "@fields:name,flags,db,sub,psub,ssub,multi,events,cmd,user,redir,resp CLIENT INFO",
            "@mask:id,version HELLO 3",
            "@fields:name,flags,db,sub,psub,ssub,multi,events,cmd,user,redir,resp CLIENT INFO",
        ],
    },
    Case {
        name: "unknown commands and subcommands",
        cmds: &[
            "FOO", "FOO a b", "FOO a b c d e", "foo \"a b\"", "\"\"", "CONFIG FOO", "CONFIG",
            "OBJECT FOO", "SLOWLOG FOO", "LATENCY FOO", "DEBUG FOO", "COMMAND FOO",
            "CLIENT FOO a b", "CONFIG GET", "XYZ ............................................................................................................................................",
        ],
    },
    Case {
        name: "inline commands",
        cmds: &[
            "raw:PING\r\n", "raw:PING\n", "raw:ECHO hello\r\n", "raw:SET k \"a b\"\r\n",
            "GET k", "raw:SET k 'single quoted'\r\n", "GET k", "raw:SET k \"\\x41\\x42\\n\"\r\n",
            "GET k", "raw:ECHO \"\"\r\n", "raw:  PING   \r\n", "raw:ECHO a\"b\r\n",
            "raw:ECHO 'it\\'s'\r\n", "@none raw:\r\n", "raw:PING\r\n", "raw:FOO bar\r\n",
            "raw:set k v\r\nget k\r\n", "GET k", "raw:*1\r\n$4\r\nPING\r\nPING\r\n", "PING",
        ],
    },
    Case {
        name: "protocol error: unbalanced quotes",
        cmds: &["@close raw:SET k \"abc\r\n"],
    },
    Case {
        name: "protocol error: closing quote followed by a letter",
        cmds: &["@close raw:ECHO \"a\"b\r\n"],
    },
    Case {
        name: "protocol error: bad multibulk length",
        cmds: &["@close raw:*abc\r\n"],
    },
    Case {
        name: "protocol error: huge multibulk length",
        cmds: &["@close raw:*99999999999\r\n"],
    },
    Case {
        name: "protocol error: expected dollar",
        cmds: &["@close raw:*1\r\nPING\r\n"],
    },
    Case {
        name: "protocol error: bad bulk length",
        cmds: &["@close raw:*1\r\n$abc\r\n"],
    },
    Case {
        name: "protocol error: negative bulk length",
        cmds: &["@close raw:*1\r\n$-1\r\n"],
    },
    Case {
        name: "protocol error: bulk over proto-max-bulk-len",
        cmds: &["@close raw:*1\r\n$536870913\r\n"],
    },
    Case {
        name: "protocol error after good requests in one write",
        cmds: &["@close raw:PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n"],
    },
    Case {
        name: "negative and zero multibulk lengths are skipped",
        cmds: &["@none raw:*0\r\n", "@none raw:*-1\r\n", "@none raw:*-5\r\n", "PING"],
    },
    Case {
        name: "multibulk edge bytes",
        cmds: &[
            // Redis skips the two bytes after a bulk payload without checking them.
            "raw:*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXX\r\n", "@none raw:\r\n", "GET k",
            "raw:*1\r\n$0\r\n\r\n", "raw:*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
            "raw:*1\r\n$4\r\nPING\r\n",
        ],
    },
    Case {
        name: "protocol error: plus-signed multibulk length",
        cmds: &["@close raw:*+1\r\n$4\r\nPING\r\n"],
    },
    Case {
        name: "protocol error: plus-signed bulk length",
        cmds: &["@close raw:*1\r\n$+4\r\nPING\r\n"],
    },
    Case {
        name: "protocol error: multibulk length over INT_MAX",
        cmds: &["@close raw:*2147483648\r\n"],
    },
    Case {
        name: "quit",
        cmds: &["@close QUIT"],
    },
    Case {
        name: "quit with an argument",
        cmds: &["@close QUIT now"],
    },
    Case {
        name: "reset",
        cmds: &[
            "CLIENT SETNAME x", "SELECT 3", "RESET", "CLIENT GETNAME", "SET k v", "SELECT 0",
            "GET k", "RESET x", "@mask:id,version HELLO 3", "RESET", "GET missing",
        ],
    },
];
