//! The slow log (stub: replaced by the real one).

/// Entries of commands slower than `slowlog-log-slower-than`.
#[derive(Debug, Default)]
pub struct SlowLog {}
