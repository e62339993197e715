//! Fuzzes the redis.conf loader, CONFIG SET and CONFIG REWRITE, asserting the
//! invariants in `server::config::fuzz` (Redis's error report, rewrite round
//! trips, all-or-nothing CONFIG SET). `include` and `logfile` lines are blanked
//! there, so no input touches the filesystem.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    server::config::fuzz::check_config_parser(data);
});
