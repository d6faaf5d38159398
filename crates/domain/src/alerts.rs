//! SPEC §8's alerts: what the monitor looks for and when a finding is an
//! alert. The store gathers the figures; these rules decide.

use crate::money::Money;
use crate::vocab::word_enum;

word_enum! {
    /// What an alert is about.
    AlertKind, "alert kind" {
        /// A coupon's actual cost reached its budget.
        OverBudget = "over_budget",
        /// A coupon's stock runs out within the hour at the current pace.
        StockOut = "stock_out",
        /// Orders unpaid for more than two hours (异常订单).
        UnpaidOrders = "unpaid_orders",
        /// One phone number behind many customer ids claiming (possible abuse).
        SharedPhone = "shared_phone",
        /// One device claiming for many customer ids (possible abuse).
        SharedDevice = "shared_device",
    }
}

/// An order still unpaid this long after it was placed is abnormal.
pub const UNPAID_MINUTES: i64 = 120;
/// The pace a stock forecast uses: claims over the last ten minutes.
pub const PACE_WINDOW_SECONDS: i64 = 600;
/// Stock running out within this many seconds at that pace raises an alert.
pub const STOCK_OUT_SECONDS: u64 = 3_600;
/// Customer ids behind one phone or device, within a day, that raise an alert.
pub const SHARED_BY: u64 = 5;
/// The window a phone's or a device's customer ids are counted in.
pub const SHARED_WINDOW_HOURS: i64 = 24;

/// A coupon past its budget: its actual cost reached it (a budget of 0 is no
/// budget).
pub fn over_budget(cost: Money, budget: Money) -> bool {
    !budget.is_zero() && cost >= budget
}

/// Seconds until `remaining` runs out at `claimed_recently` claims over the
/// last [`PACE_WINDOW_SECONDS`], rounded up, when that is within the hour;
/// `None` otherwise (nothing left is sold out, not running out; nobody
/// claiming runs out never).
pub fn stock_out_within_the_hour(remaining: u64, claimed_recently: u64) -> Option<u64> {
    if remaining == 0 || claimed_recently == 0 {
        return None;
    }
    let window = PACE_WINDOW_SECONDS as u64;
    let seconds = (remaining * window).div_ceil(claimed_recently);
    (seconds <= STOCK_OUT_SECONDS).then_some(seconds)
}

/// Customer ids behind one phone or device that are an alert.
pub fn shared_too_widely(customers: u64) -> bool {
    customers >= SHARED_BY
}

/// A phone number as alerts show it: the last four digits.
pub fn masked_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_passed_once_the_cost_reaches_it() {
        let yuan = |n| Money::yuan(n);
        assert!(!over_budget(yuan(499), yuan(500)));
        assert!(over_budget(yuan(500), yuan(500)));
        assert!(over_budget(yuan(501), yuan(500)));
        assert!(!over_budget(yuan(10), Money::ZERO));
    }

    #[test]
    fn stock_runs_out_within_the_hour_at_the_last_ten_minutes_pace() {
        // 600 claims in 10 minutes = 1/s: 3,600 left is exactly an hour.
        assert_eq!(stock_out_within_the_hour(3_600, 600), Some(3_600));
        assert_eq!(stock_out_within_the_hour(3_601, 600), None);
        // 7 left at 3 claims per 10 minutes: 1,400 s.
        assert_eq!(stock_out_within_the_hour(7, 3), Some(1_400));
        // Rounded up: 1 left at 7 per 10 min = 85.7 s → 86.
        assert_eq!(stock_out_within_the_hour(1, 7), Some(86));
        assert_eq!(stock_out_within_the_hour(0, 600), None, "sold out already");
        assert_eq!(stock_out_within_the_hour(10, 0), None, "nobody claiming");
    }

    #[test]
    fn sharing_and_masks() {
        assert!(!shared_too_widely(4));
        assert!(shared_too_widely(5));
        assert_eq!(masked_phone("13800138000"), "•••• 8000");
        assert_eq!(masked_phone("12"), "•••• 12");
    }
}
