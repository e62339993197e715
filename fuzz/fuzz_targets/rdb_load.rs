//! Fuzzes the RDB loader: the input is loaded as a file, as a DUMP payload, and
//! as a DUMP body with a correct footer, asserting the invariants in
//! `storage::rdb::reader::fuzz` (no panic, errors inside the input, every loaded
//! value survives DUMP + RESTORE with the same digest).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    storage::rdb::reader::fuzz::check_load(data);
});
