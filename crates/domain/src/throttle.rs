//! Slowing password guessing (SPEC §11): failures are counted per (email, client
//! address) and per client address across emails, and each count past a few
//! free tries makes the next try wait longer — doubling up to a cap. A wait
//! always ends, and it only holds back the address that failed: the right
//! password from another address still gets in, so nobody can lock an owner out
//! by guessing wrong on their behalf.

use chrono::Duration;

/// Failures of one email from one address before tries have to wait.
pub const FREE_PAIR_FAILURES: u32 = 3;
/// Failures from one address, across emails, before tries have to wait.
pub const FREE_ADDRESS_FAILURES: u32 = 20;
/// The longest wait between two tries.
pub const MAX_WAIT: Duration = Duration::minutes(15);
/// A count with no failure for this long starts again from nothing.
pub const FORGET_AFTER: Duration = Duration::hours(24);

/// What a count of failures is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One email from one address.
    Pair,
    /// One address, whatever the email.
    Address,
}

impl Scope {
    fn free(self) -> u32 {
        match self {
            Scope::Pair => FREE_PAIR_FAILURES,
            Scope::Address => FREE_ADDRESS_FAILURES,
        }
    }

    /// How long the next try waits after `failures` failures: nothing for the
    /// free ones, then 2 s, 4 s, 8 s … up to [`MAX_WAIT`].
    pub fn wait_after(self, failures: u32) -> Duration {
        match failures.checked_sub(self.free()) {
            None | Some(0) => Duration::zero(),
            Some(over) => {
                let seconds = 1i64.checked_shl(over.min(20)).unwrap_or(i64::MAX);
                Duration::seconds(seconds).min(MAX_WAIT)
            }
        }
    }
}

/// The count after one more failure at `now`, given the count so far and when
/// the last failure was (a count forgotten starts again at one).
pub fn count_failure(
    failures: u32,
    last_failed_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> u32 {
    match last_failed_at {
        Some(at) if now - at < FORGET_AFTER => failures.saturating_add(1),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn waits_grow_from_the_first_failure_past_the_free_ones_and_stop_growing() {
        let waits: Vec<i64> = (0..=8)
            .map(|n| Scope::Pair.wait_after(n).num_seconds())
            .collect();
        assert_eq!(waits, [0, 0, 0, 0, 2, 4, 8, 16, 32]);
        assert_eq!(Scope::Pair.wait_after(30), MAX_WAIT);
        assert_eq!(Scope::Pair.wait_after(u32::MAX), MAX_WAIT);
        assert_eq!(Scope::Address.wait_after(20), Duration::zero());
        assert_eq!(Scope::Address.wait_after(21).num_seconds(), 2);
    }

    #[test]
    fn a_count_left_alone_for_a_day_starts_again() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(count_failure(0, None, now), 1);
        assert_eq!(count_failure(7, Some(now - Duration::hours(1)), now), 8);
        assert_eq!(count_failure(7, Some(now - FORGET_AFTER), now), 1);
    }
}
