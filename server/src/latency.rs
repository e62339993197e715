//! The latency monitor (stub: replaced by the real one).

/// Latency events above `latency-monitor-threshold`.
#[derive(Debug, Default)]
pub struct LatencyMonitor {}
