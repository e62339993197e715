//! The propagation stream: every change to the data set, as the commands a
//! replica (or the AOF) replays, in RESP.
//!
//! Redis's `replicationFeedSlaves` writes each propagated command as a RESP
//! multibulk, preceded by `SELECT <db>` whenever the command's database differs
//! from the one the stream last selected (`server.slaveseldb`). A command that
//! propagates several operations (EXEC, a command that also expired a key) goes
//! out wrapped in MULTI ... EXEC (`propagatePendingCommands`), with the SELECT,
//! if one is needed, before the MULTI. The master's replication offset is the
//! number of stream bytes produced so far (`master_repl_offset`).
//!
//! This module only turns operations into bytes and counts them; who receives
//! the bytes is the server's business.

/// One operation to propagate: the database it applies to and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op<A> {
    /// The database the operation applies to.
    pub db: usize,
    /// The command and its arguments.
    pub argv: Vec<A>,
}

/// The encoder's state: the database the stream has selected and its offset.
#[derive(Debug, Default)]
pub struct Stream {
    /// The database the replicas have selected, None when unknown (a new replica).
    selected: Option<usize>,
    /// Bytes produced since the replication history began.
    offset: u64,
}

impl Stream {
    /// A stream at offset 0 with no database selected.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Bytes produced so far (`master_repl_offset`).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Forgets the selected database, so the next operation starts with SELECT.
    /// A full sync does this: the replica loads a snapshot and has selected
    /// nothing yet (Redis sets `slaveseldb` to -1 when it starts the save).
    pub fn forget_db(&mut self) {
        self.selected = None;
    }

    /// Appends `op` to `out` (SELECT first when its database is not selected).
    pub fn encode<A: AsRef<[u8]>>(&mut self, op: &Op<A>, out: &mut Vec<u8>) {
        let start = out.len();
        self.select(op.db, out);
        multibulk(out, &op.argv);
        self.offset += (out.len() - start) as u64;
    }

    /// Appends a command that applies to no database (the master's PING) in
    /// whatever database the stream has selected, so no SELECT goes first.
    pub fn encode_unselected<A: AsRef<[u8]>>(&mut self, argv: &[A], out: &mut Vec<u8>) {
        let start = out.len();
        multibulk(out, argv);
        self.offset += (out.len() - start) as u64;
    }

    /// Appends every operation of one command. More than one goes out as a
    /// transaction unless `atomic` is false (evictions and active expiry
    /// propagate each deletion on its own, as Redis's `propagate_no_multi`).
    pub fn encode_all<A: AsRef<[u8]>>(&mut self, ops: &[Op<A>], atomic: bool, out: &mut Vec<u8>) {
        let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
            return;
        };
        let wrap = atomic && ops.len() > 1;
        if wrap {
            self.encode(
                &Op {
                    db: first.db,
                    argv: vec![&b"MULTI"[..]],
                },
                out,
            );
        }
        for op in ops {
            self.encode(op, out);
        }
        if wrap {
            // The last operation's database, so that EXEC never needs a SELECT.
            self.encode(
                &Op {
                    db: last.db,
                    argv: vec![&b"EXEC"[..]],
                },
                out,
            );
        }
    }

    fn select(&mut self, db: usize, out: &mut Vec<u8>) {
        if self.selected == Some(db) {
            return;
        }
        let mut digits = [0u8; 20];
        let db_text = resp::encode::format_i64(db as i64, &mut digits);
        multibulk(out, &[&b"SELECT"[..], db_text]);
        self.selected = Some(db);
    }
}

/// Writes `argv` as a RESP multibulk.
pub fn multibulk<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    let mut digits = [0u8; 20];
    out.push(b'*');
    out.extend_from_slice(resp::encode::format_i64(argv.len() as i64, &mut digits));
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        let arg = arg.as_ref();
        out.push(b'$');
        out.extend_from_slice(resp::encode::format_i64(arg.len() as i64, &mut digits));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn op(db: usize, args: &[&str]) -> Op<Vec<u8>> {
        Op {
            db,
            argv: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn first_command_selects_its_database() {
        let mut s = Stream::new();
        let mut out = Vec::new();
        s.encode(&op(0, &["SET", "k", "v"]), &mut out);
        s.encode(&op(0, &["DEL", "k"]), &mut out);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"
        );
        assert_eq!(s.offset(), out.len() as u64);
    }

    #[test]
    fn a_database_change_selects_again_and_forget_db_forces_it() {
        let mut s = Stream::new();
        let mut out = Vec::new();
        s.encode(&op(3, &["DEL", "a"]), &mut out);
        out.clear();
        s.encode(&op(3, &["DEL", "a"]), &mut out);
        assert!(!out.starts_with(b"*2\r\n$6\r\nSELECT"));
        out.clear();
        s.encode(&op(12, &["DEL", "a"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"));
        out.clear();
        s.forget_db();
        s.encode(&op(12, &["DEL", "a"]), &mut out);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"));
    }

    #[test]
    fn several_operations_are_one_transaction_with_select_before_multi() {
        let mut s = Stream::new();
        let mut out = Vec::new();
        s.encode_all(
            &[op(1, &["DEL", "x"]), op(1, &["SET", "x", "1"])],
            true,
            &mut out,
        );
        let expected: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn one_operation_or_non_atomic_ones_are_not_wrapped() {
        let mut s = Stream::new();
        let mut out = Vec::new();
        s.encode_all(&[op(0, &["DEL", "x"])], true, &mut out);
        s.encode_all(
            &[op(0, &["DEL", "y"]), op(0, &["DEL", "z"])],
            false,
            &mut out,
        );
        s.encode_all::<Vec<u8>>(&[], true, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("MULTI"));
        assert_eq!(text.matches("DEL").count(), 3);
    }

    /// Parses a stream back into (db, argv) pairs, following SELECTs.
    fn replay(mut bytes: &[u8]) -> Vec<(usize, Vec<Vec<u8>>)> {
        let mut db = usize::MAX;
        let mut ops = Vec::new();
        let limits = resp::Limits::default();
        while !bytes.is_empty() {
            let parsed = resp::request::parse_request(bytes, &limits).unwrap();
            let resp::request::Parsed::Complete { args, consumed } = parsed else {
                panic!("not one whole multibulk: {parsed:?}");
            };
            let argv: Vec<Vec<u8>> = args.slices(bytes).map(<[u8]>::to_vec).collect();
            bytes = &bytes[consumed..];
            if argv[0] == b"SELECT" {
                db = std::str::from_utf8(&argv[1]).unwrap().parse().unwrap();
            } else {
                ops.push((db, argv));
            }
        }
        ops
    }

    proptest! {
        #[test]
        fn replaying_the_stream_gives_back_every_operation(
            ops in prop::collection::vec(
                (0usize..4, prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..4)),
                0..20,
            ),
            forget_at in 0usize..20,
        ) {
            let mut s = Stream::new();
            let mut out = Vec::new();
            let mut expected = Vec::new();
            for (i, (db, argv)) in ops.iter().enumerate() {
                if i == forget_at {
                    s.forget_db();
                }
                let op = Op { db: *db, argv: argv.clone() };
                s.encode(&op, &mut out);
                expected.push((*db, argv.clone()));
            }
            prop_assert_eq!(s.offset(), out.len() as u64);
            prop_assert_eq!(replay(&out), expected);
        }
    }
}
