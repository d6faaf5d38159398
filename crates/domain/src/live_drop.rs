//! A live drop in figures (SPEC §6): how fast a coupon is being claimed and when
//! it will be gone at that pace. Pure arithmetic over per-second counts; the
//! store keeps the counts, the admin shows them.

/// Seconds of history the console shows.
pub const WINDOW_SECONDS: usize = 60;
/// Seconds the current pace is measured over: long enough to smooth one batch,
/// short enough to follow a countdown.
pub const PACE_SECONDS: usize = 10;

/// A drop's last minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropPace {
    /// Claims in each whole second of the last minute, oldest first; the last
    /// entry is the second that just ended.
    pub per_second: Vec<u64>,
    /// Coupons left; `None` when stock is unlimited.
    pub remaining: Option<u64>,
}

impl DropPace {
    /// Claims in the last minute.
    pub fn last_minute(&self) -> u64 {
        self.per_second.iter().sum()
    }

    /// Claims per second over the last [`PACE_SECONDS`], in hundredths (so
    /// 12.5/s is 1250): the current pace, exactly.
    pub fn pace_centi(&self) -> u64 {
        let recent: u64 = self.per_second.iter().rev().take(PACE_SECONDS).sum();
        recent * 100 / PACE_SECONDS as u64
    }

    /// The busiest second of the minute.
    pub fn peak(&self) -> u64 {
        self.per_second.iter().copied().max().unwrap_or(0)
    }

    /// Whole seconds until the stock runs out at the current pace, rounded up;
    /// `Some(0)` when nothing is left, `None` when stock is unlimited or nobody
    /// is claiming.
    pub fn seconds_to_sell_out(&self) -> Option<u64> {
        let remaining = self.remaining?;
        if remaining == 0 {
            return Some(0);
        }
        let recent: u64 = self.per_second.iter().rev().take(PACE_SECONDS).sum();
        if recent == 0 {
            return None;
        }
        // remaining / (recent / PACE_SECONDS), rounded up.
        Some((remaining * PACE_SECONDS as u64).div_ceil(recent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(per_second: &[u64], remaining: Option<u64>) -> DropPace {
        DropPace {
            per_second: per_second.to_vec(),
            remaining,
        }
    }

    #[test]
    fn the_pace_is_the_last_ten_seconds() {
        // 50 quiet seconds, then 10 seconds of 25 claims each.
        let mut seconds = vec![0; 50];
        seconds.extend([25; 10]);
        let drop = pace(&seconds, Some(1000));
        assert_eq!(drop.last_minute(), 250);
        assert_eq!(drop.pace_centi(), 2500);
        assert_eq!(drop.peak(), 25);
        assert_eq!(drop.seconds_to_sell_out(), Some(40));
    }

    #[test]
    fn selling_out_rounds_up_and_knows_when_it_cannot_tell() {
        let mut seconds = vec![0; 57];
        seconds.extend([1, 1, 1]);
        // 3 claims in 10 s: 10 left take 33.3 s, said as 34.
        assert_eq!(pace(&seconds, Some(10)).seconds_to_sell_out(), Some(34));
        assert_eq!(pace(&seconds, Some(10)).pace_centi(), 30);
        assert_eq!(pace(&seconds, Some(0)).seconds_to_sell_out(), Some(0));
        assert_eq!(pace(&seconds, None).seconds_to_sell_out(), None);
        assert_eq!(pace(&[0; 60], Some(10)).seconds_to_sell_out(), None);
        // Claims a minute ago do not count towards the pace.
        let mut old = vec![100; 50];
        old.extend([0; 10]);
        assert_eq!(pace(&old, Some(10)).seconds_to_sell_out(), None);
        assert_eq!(pace(&old, Some(10)).last_minute(), 5000);
    }
}
