//! Invariant checks shared by the fuzz target (`fuzz/fuzz_targets/rdb_load.rs`)
//! and the test that replays its corpus (`storage/tests/rdb_fuzz_corpus.rs`).
//!
//! Each check panics when an invariant breaks, which is what libFuzzer reports.
//! The invariants: loading never panics, whatever the bytes; an error points
//! inside the input; a successful load consumed no more than it was given and
//! counted every key it delivered, none of them an empty collection; and every
//! loaded value, written back as a DUMP payload by the writer, loads again with
//! the same contents (the same DEBUG DIGEST-VALUE). The input is tried as a
//! file, as a DUMP payload, and as a DUMP body with a correct footer appended,
//! so the fuzzer reaches the value decoders without having to forge a CRC.

use super::{load, load_dump_payload, LoadOptions, Record};
use crate::digest::{value_digest, Digest20};
use crate::rdb::crc64::crc64;
use crate::rdb::writer::dump_payload;
use crate::rdb::RDB_VERSION;
use crate::types::hash::HashLimits;
use crate::types::zset::ZsetLimits;
use crate::value::Value;

/// The option sets every input is loaded under: Redis's defaults, and tiny
/// thresholds that force every conversion to the large encodings.
fn option_sets() -> [LoadOptions; 2] {
    let tiny = LoadOptions {
        databases: 4,
        hash_limits: HashLimits {
            max_listpack_entries: 2,
            max_listpack_value: 4,
        },
        zset_limits: ZsetLimits {
            max_listpack_entries: 2,
            max_listpack_value: 4,
        },
        set_max_intset_entries: 2,
        list_max_listpack_size: 2,
        seed: 7,
    };
    [LoadOptions::default(), tiny]
}

/// Loads `data` every way the server can, asserting the invariants.
pub fn check_load(data: &[u8]) {
    for opts in option_sets() {
        check_file(data, &opts);
        if let Ok(value) = load_dump_payload(data, &opts) {
            check_value(&value, &opts);
        }
        let mut payload = data.to_vec();
        payload.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
        let crc = crc64(0, &payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        if let Ok(value) = load_dump_payload(&payload, &opts) {
            check_value(&value, &opts);
        }
    }
}

fn check_file(data: &[u8], opts: &LoadOptions) {
    let mut keys = Vec::new();
    let result = load(data, opts, &mut |record| {
        if let Record::Key(k) = record {
            assert!(k.db < opts.databases);
            keys.push(k.value);
        }
        Ok(())
    });
    match result {
        Ok(summary) => {
            assert!(summary.consumed <= data.len());
            assert_eq!(summary.keys, keys.len() as u64);
            for value in &keys {
                check_value(value, opts);
            }
        }
        Err(e) => assert!(e.offset <= data.len(), "{e}"),
    }
}

fn digest_of(value: &Value) -> Digest20 {
    let mut d = [0u8; 20];
    value_digest(&mut d, value, false);
    d
}

/// A loaded value is never empty, and survives DUMP + RESTORE unchanged.
fn check_value(value: &Value, opts: &LoadOptions) {
    assert!(!value.is_empty_collection());
    let payload = dump_payload(value);
    let again = match load_dump_payload(&payload, opts) {
        Ok(v) => v,
        Err(e) => panic!("a loaded value does not reload from its own DUMP: {e}"),
    };
    assert_eq!(again.type_name(), value.type_name());
    assert_eq!(digest_of(&again), digest_of(value));
}
