//! The LRU clock: Redis's 24-bit, one-second-resolution timestamp kept in every
//! key (`robj.lru`), behind OBJECT IDLETIME and the LRU eviction policies.
//!
//! Redis stores `(unix ms / LRU_CLOCK_RESOLUTION) mod 2^24` and computes idle time
//! as the distance to the current clock, allowing for one wrap-around (the clock
//! wraps every 194 days). A key's clock moves on every access except lookups that
//! ask not to touch it (TYPE, EXISTS, TTL, OBJECT: `LOOKUP_NOTOUCH`).

/// Largest clock value (`LRU_CLOCK_MAX`).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Milliseconds per clock tick (`LRU_CLOCK_RESOLUTION`).
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;

/// The LRU clock at wall-clock time `now_ms`.
pub fn lru_clock(now_ms: i64) -> u32 {
    (now_ms.max(0) / LRU_CLOCK_RESOLUTION_MS) as u32 & LRU_CLOCK_MAX
}

/// Milliseconds since `lru` at clock `now` (`estimateObjectIdleTime`).
pub fn idle_ms(lru: u32, now: u32) -> u64 {
    let ticks = if now >= lru {
        u64::from(now - lru)
    } else {
        u64::from(now) + u64::from(LRU_CLOCK_MAX - lru)
    };
    ticks * LRU_CLOCK_RESOLUTION_MS as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_time_wraps_like_redis() {
        assert_eq!(idle_ms(lru_clock(10_000), lru_clock(15_500)), 5000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 1, 2), 3000);
    }
}
