//! Coupon metrics and the pre-launch estimate (SPEC §8). A ratio with a zero
//! denominator is "no value" (`None`), never NaN, infinity or a panic.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::{Collector, Reason, ValidationErrors};
use crate::money::Money;

/// Health targets from the coupon operations handbook.
pub const TARGET_CLAIM_TO_USE_PERCENT: Decimal = Decimal::from_parts(65, 0, 0, false, 0);
/// Coupon orders' average value should be at least 1.8 × that of other orders.
pub const TARGET_AOV_RATIO: Decimal = Decimal::from_parts(18, 0, 0, false, 1);

/// Rounded to, and always shown with, two decimals ("75.00", "8.90").
fn two_decimals(value: Decimal) -> Decimal {
    let mut value = value.round_dp(2);
    value.rescale(2);
    value
}

/// `numerator / denominator` as a percent with two decimals; `None` when the denominator is 0.
pub fn percent_of(numerator: u64, denominator: u64) -> Option<Decimal> {
    (denominator > 0).then(|| {
        two_decimals(Decimal::from(numerator) * Decimal::ONE_HUNDRED / Decimal::from(denominator))
    })
}

/// `numerator / denominator` with two decimals; `None` when the denominator is 0.
pub fn money_ratio(numerator: Money, denominator: Money) -> Option<Decimal> {
    (!denominator.is_zero())
        .then(|| two_decimals(numerator.to_decimal() / denominator.to_decimal()))
}

/// Average order value, rounded to the fen; `None` without orders.
pub fn average(total: Money, orders: u64) -> Option<Money> {
    (orders > 0).then(|| {
        Money::from_decimal((total.to_decimal() / Decimal::from(orders)).round_dp(2))
            .expect("an average of valid amounts is a valid amount")
    })
}

/// What is known of one coupon (or one channel, or a whole shop).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// The coupon's total quantity; `None` when unlimited.
    pub issued: Option<u64>,
    pub claimed: u64,
    pub used: u64,
    pub expired: u64,
    /// Unused claims staff revoked when ending the coupon (SPEC §2).
    pub revoked: u64,
    /// Claims still in customers' hands: neither used (on any order), expired
    /// nor revoked.
    pub unused: u64,
    /// Discounts actually given on paid orders.
    pub actual_cost: Money,
    /// Paid amount of the orders that used the coupon.
    pub coupon_gmv: Money,
    /// Distinct customers who claimed it.
    pub claimers: u64,
    /// Orders that used it and count (each once).
    pub coupon_orders: u64,
    /// Units (line quantities) of those orders.
    pub units: u64,
    /// Claims used (on orders that count) within 24 hours of being claimed.
    pub used_next_day: u64,
    /// The median time from claim to use of the used claims, in minutes.
    pub median_wait_minutes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub issued: Option<u64>,
    pub claimed: u64,
    pub used: u64,
    pub expired: u64,
    pub revoked: u64,
    /// claimed / issued, in percent.
    pub claim_rate: Option<Decimal>,
    /// used / claimed, in percent.
    pub use_rate: Option<Decimal>,
    pub actual_cost: Money,
    pub coupon_gmv: Money,
    /// coupon GMV / actual cost.
    pub roi: Option<Decimal>,
    /// Units per coupon order (连带购买), two decimals.
    pub units_per_order: Option<Decimal>,
    /// Actual cost ÷ distinct claimers (领取成本), to the fen.
    pub cost_per_claimer: Option<Money>,
    /// Used within 24 h of the claim ÷ claimed, in percent (次日核销率).
    pub next_day_use_rate: Option<Decimal>,
    /// Median hours from claim to use (核销等待时长), one decimal.
    pub median_hours_to_use: Option<Decimal>,
}

impl Metrics {
    pub fn from_tally(tally: Tally) -> Metrics {
        Metrics {
            issued: tally.issued,
            claimed: tally.claimed,
            used: tally.used,
            expired: tally.expired,
            revoked: tally.revoked,
            claim_rate: tally
                .issued
                .and_then(|issued| percent_of(tally.claimed, issued)),
            use_rate: percent_of(tally.used, tally.claimed),
            actual_cost: tally.actual_cost,
            coupon_gmv: tally.coupon_gmv,
            roi: money_ratio(tally.coupon_gmv, tally.actual_cost),
            units_per_order: (tally.coupon_orders > 0).then(|| {
                two_decimals(Decimal::from(tally.units) / Decimal::from(tally.coupon_orders))
            }),
            cost_per_claimer: average(tally.actual_cost, tally.claimers),
            next_day_use_rate: percent_of(tally.used_next_day, tally.claimed),
            median_hours_to_use: tally.median_wait_minutes.map(|m| {
                let mut hours = (Decimal::from(m) / Decimal::from(60)).round_dp(1);
                hours.rescale(1);
                hours
            }),
        }
    }

    /// Claim-to-use conversion above the handbook's 65 %? `None` without claims.
    pub fn conversion_healthy(&self) -> Option<bool> {
        self.use_rate.map(|rate| rate > TARGET_CLAIM_TO_USE_PERCENT)
    }
}

/// Average order value of orders with and without coupons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AovComparison {
    pub coupon_aov: Option<Money>,
    pub non_coupon_aov: Option<Money>,
    /// coupon AOV / non-coupon AOV.
    pub ratio: Option<Decimal>,
}

impl AovComparison {
    pub fn new(
        coupon_gmv: Money,
        coupon_orders: u64,
        other_gmv: Money,
        other_orders: u64,
    ) -> AovComparison {
        let coupon_aov = average(coupon_gmv, coupon_orders);
        let non_coupon_aov = average(other_gmv, other_orders);
        let ratio = match (coupon_aov, non_coupon_aov) {
            (Some(with), Some(without)) => money_ratio(with, without),
            _ => None,
        };
        AovComparison {
            coupon_aov,
            non_coupon_aov,
            ratio,
        }
    }

    /// At least 1.8 × as the handbook advises? `None` when either side has no orders.
    pub fn healthy(&self) -> Option<bool> {
        self.ratio.map(|r| r >= TARGET_AOV_RATIO)
    }
}

/// The pre-launch calculator's inputs (rates in percent: 30 = 30 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateInput {
    pub face_value: Money,
    pub threshold: Money,
    pub quantity: u32,
    pub expected_use_rate: Decimal,
    pub average_order_value: Money,
    pub gross_margin: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// face × quantity: the most the coupon can cost.
    pub issuance_cost: Money,
    /// quantity × use rate, in whole uses (rounded down).
    pub expected_uses: u64,
    /// face × expected uses.
    pub expected_cost: Money,
    /// expected uses × average order value.
    pub expected_gmv: Money,
    /// expected GMV / expected cost.
    pub roi: Option<Decimal>,
    /// Gross margin left after the coupon, in percent of GMV.
    pub margin_after: Option<Decimal>,
    /// The margin after the coupon falls below the shop's profit floor.
    pub below_profit_floor: bool,
    /// The average order does not reach the threshold: few orders will use the coupon.
    pub aov_below_threshold: bool,
}

fn check_percent(errors: &mut Collector, field: &str, value: Decimal) {
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        errors.push(field, Reason::Percent);
    }
}

/// Runs the calculator; `profit_floor` is the shop's minimum margin in percent.
pub fn estimate(
    input: &EstimateInput,
    profit_floor: Option<Decimal>,
) -> Result<Estimate, ValidationErrors> {
    let mut errors = Collector::new();
    if input.face_value.is_zero() {
        errors.push("face_value", Reason::Positive);
    }
    if !input.threshold.is_zero() && input.face_value >= input.threshold {
        errors.push("face_value", Reason::BelowTheThreshold);
    }
    if input.quantity == 0 {
        errors.push("quantity", Reason::AtLeast(1));
    }
    check_percent(&mut errors, "expected_use_rate", input.expected_use_rate);
    check_percent(&mut errors, "gross_margin", input.gross_margin);
    if input.average_order_value.is_zero() {
        errors.push("average_order_value", Reason::Positive);
    }
    errors.finish(|| ())?;

    let face = input.face_value.to_decimal();
    // An estimate beyond the largest amount we handle reads as that amount.
    let money = |value: Decimal| Money::from_decimal(value.round_dp(2)).unwrap_or(Money::MAX);
    let expected_uses =
        (Decimal::from(input.quantity) * input.expected_use_rate / Decimal::ONE_HUNDRED).floor();
    let expected_cost = money(face * expected_uses);
    let expected_gmv = money(input.average_order_value.to_decimal() * expected_uses);
    let margin_after = (!expected_gmv.is_zero()).then(|| {
        let gross = expected_gmv.to_decimal() * input.gross_margin / Decimal::ONE_HUNDRED;
        two_decimals(
            (gross - expected_cost.to_decimal()) * Decimal::ONE_HUNDRED / expected_gmv.to_decimal(),
        )
    });
    Ok(Estimate {
        issuance_cost: money(face * Decimal::from(input.quantity)),
        expected_uses: expected_uses.to_u64().unwrap_or(0),
        expected_cost,
        expected_gmv,
        roi: money_ratio(expected_gmv, expected_cost),
        margin_after,
        below_profit_floor: match (margin_after, profit_floor) {
            (Some(margin), Some(floor)) => margin < floor,
            _ => false,
        },
        aov_below_threshold: input.average_order_value < input.threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn rates_and_roi() {
        let m = Metrics::from_tally(Tally {
            issued: Some(1000),
            claimed: 400,
            used: 300,
            expired: 50,
            revoked: 0,
            unused: 50,
            actual_cost: money("3000"),
            coupon_gmv: money("45000"),
            claimers: 350,
            coupon_orders: 280,
            units: 406,
            used_next_day: 120,
            median_wait_minutes: Some(1410),
        });
        assert_eq!(m.next_day_use_rate, Some(dec("30")));
        assert_eq!(m.median_hours_to_use, Some(dec("23.5")));
        assert_eq!(m.units_per_order, Some(dec("1.45")));
        assert_eq!(m.cost_per_claimer, Some(money("8.57")));
        assert_eq!(m.claim_rate, Some(dec("40")));
        assert_eq!(m.use_rate, Some(dec("75")));
        assert_eq!(m.roi, Some(dec("15")));
        assert_eq!(m.conversion_healthy(), Some(true));
    }

    #[test]
    fn zero_denominators_give_no_value() {
        let m = Metrics::from_tally(Tally {
            issued: Some(0),
            ..Tally::default()
        });
        assert_eq!((m.claim_rate, m.use_rate, m.roi), (None, None, None));
        assert_eq!((m.units_per_order, m.cost_per_claimer), (None, None));
        assert_eq!(m.conversion_healthy(), None);
        let unlimited = Metrics::from_tally(Tally {
            issued: None,
            claimed: 10,
            ..Tally::default()
        });
        assert_eq!(unlimited.claim_rate, None);
        assert_eq!(percent_of(1, 3), Some(dec("33.33")));
        let aov = AovComparison::new(money("100"), 0, money("100"), 2);
        assert_eq!(
            (aov.coupon_aov, aov.ratio, aov.healthy()),
            (None, None, None)
        );
    }

    #[test]
    fn aov_comparison_against_the_1_8_target() {
        let aov = AovComparison::new(money("1800"), 10, money("1000"), 10);
        assert_eq!(aov.coupon_aov, Some(money("180")));
        assert_eq!(aov.ratio, Some(dec("1.8")));
        assert_eq!(aov.healthy(), Some(true));
        assert_eq!(average(money("10"), 3), Some(money("3.33")));
    }

    #[test]
    fn estimate_follows_the_handbook() {
        let input = EstimateInput {
            face_value: money("10"),
            threshold: money("99"),
            quantity: 1000,
            expected_use_rate: dec("30"),
            average_order_value: money("120"),
            gross_margin: dec("40"),
        };
        let e = estimate(&input, Some(dec("25"))).unwrap();
        assert_eq!(e.issuance_cost, money("10000"));
        assert_eq!(e.expected_uses, 300);
        assert_eq!(e.expected_cost, money("3000"));
        assert_eq!(e.expected_gmv, money("36000"));
        assert_eq!(e.roi, Some(dec("12")));
        // 40 % of 36000 = 14400, minus 3000 = 11400 → 31.67 % of GMV
        assert_eq!(e.margin_after, Some(dec("31.67")));
        assert!(!e.below_profit_floor);
        assert!(!e.aov_below_threshold);

        let thin = estimate(
            &EstimateInput {
                gross_margin: dec("30"),
                ..input
            },
            Some(dec("25")),
        )
        .unwrap();
        assert_eq!(thin.margin_after, Some(dec("21.67")));
        assert!(thin.below_profit_floor, "warns below the floor");
    }

    #[test]
    fn estimate_with_zero_use_rate_has_no_roi() {
        let e = estimate(
            &EstimateInput {
                face_value: money("5"),
                threshold: Money::ZERO,
                quantity: 10,
                expected_use_rate: Decimal::ZERO,
                average_order_value: money("50"),
                gross_margin: dec("40"),
            },
            Some(dec("10")),
        )
        .unwrap();
        assert_eq!((e.expected_uses, e.roi, e.margin_after), (0, None, None));
        assert!(!e.below_profit_floor);
    }

    #[test]
    fn estimate_refuses_bad_input() {
        let errors = estimate(
            &EstimateInput {
                face_value: money("100"),
                threshold: money("99"),
                quantity: 0,
                expected_use_rate: dec("120"),
                average_order_value: Money::ZERO,
                gross_margin: dec("-1"),
            },
            None,
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "face_value",
                "quantity",
                "expected_use_rate",
                "gross_margin",
                "average_order_value"
            ]
        );
    }
}

/// Waits from claim to use are kept as counts per bucket (the roll-ups can add
/// them up by day and channel; a median needs the distribution): to the minute
/// under an hour, to 6 minutes (the 0.1 h the pages show) under a day, to the
/// hour under a week, to 6 hours after, up to a year; longer waits share the
/// last bucket. A median is reported as the start of its bucket.
const WAIT_STEPS: [(u64, u64); 4] = [(0, 1), (60, 6), (1_440, 60), (10_080, 360)];
/// Waits of a year or more share the last bucket.
const WAIT_CAP_MINUTES: u64 = 366 * 1_440;

/// The bucket of a wait in whole minutes.
pub fn wait_bucket(minutes: u64) -> u32 {
    let minutes = minutes.min(WAIT_CAP_MINUTES);
    let mut first = 0;
    for (i, &(from, step)) in WAIT_STEPS.iter().enumerate() {
        let until = WAIT_STEPS.get(i + 1).map_or(u64::MAX, |next| next.0);
        if minutes < until {
            return (first + (minutes - from) / step) as u32;
        }
        first += (until - from) / step;
    }
    unreachable!("the last step has no end")
}

/// The first minute of a bucket.
pub fn bucket_start_minutes(bucket: u32) -> u64 {
    let mut first = 0;
    for (i, &(from, step)) in WAIT_STEPS.iter().enumerate() {
        let until = WAIT_STEPS.get(i + 1).map_or(u64::MAX, |next| next.0);
        let buckets = (until - from) / step;
        if u64::from(bucket) < first + buckets {
            return from + (u64::from(bucket) - first) * step;
        }
        first += buckets;
    }
    unreachable!("the last step has no end")
}

/// The bucket steps as `(first bucket, first minute, minutes per bucket)`, for
/// the store's SQL of [`wait_bucket`] (rebuilding roll-ups from raw rows).
pub fn wait_bucket_steps() -> Vec<(u64, u64, u64)> {
    let mut first = 0;
    WAIT_STEPS
        .iter()
        .enumerate()
        .map(|(i, &(from, step))| {
            let row = (first, from, step);
            if let Some(next) = WAIT_STEPS.get(i + 1) {
                first += (next.0 - from) / step;
            }
            row
        })
        .collect()
}

/// The cap [`wait_bucket`] applies before bucketing, in minutes.
pub const fn wait_cap_minutes() -> u64 {
    WAIT_CAP_MINUTES
}

/// The median wait in minutes of waits counted by bucket (any order, buckets
/// may repeat): the middle one, or the mean of the two middle ones, each read
/// as the start of its bucket. `None` without waits.
pub fn median_wait_minutes(counts: &[(u32, u64)]) -> Option<u64> {
    let mut sorted: Vec<(u32, u64)> = counts.iter().copied().filter(|c| c.1 > 0).collect();
    sorted.sort_unstable();
    let total: u64 = sorted.iter().map(|c| c.1).sum();
    if total == 0 {
        return None;
    }
    // The k-th wait (0-based) in order.
    let nth = |k: u64| {
        let mut seen = 0;
        for &(bucket, n) in &sorted {
            seen += n;
            if k < seen {
                return bucket_start_minutes(bucket);
            }
        }
        unreachable!("k < total")
    };
    let low = nth((total - 1) / 2);
    let high = nth(total / 2);
    Some((low + high) / 2)
}

/// Days since a customer's claim before, as the roll-ups count claimers: a
/// customer is counted on each day they claim, under the days since their
/// previous claiming day (`None`: never, or longer ago than any window), so the
/// distinct claimers of any window ending today can be added up from days.
pub const CLAIMER_GAP_NEVER: u32 = 31;

/// The gap recorded for a customer claiming on `day` whose previous claim was on
/// `before` (`None` when there is no need to count: already claimed that day).
pub fn claimer_gap(day: chrono::NaiveDate, before: Option<chrono::NaiveDate>) -> Option<u32> {
    match before {
        None => Some(CLAIMER_GAP_NEVER),
        Some(before) => {
            let gap = (day - before).num_days();
            (gap > 0).then(|| gap.min(i64::from(CLAIMER_GAP_NEVER)) as u32)
        }
    }
}

/// Distinct claimers over the `days` local days ending `today` (at most 30)
/// from counts per (day, gap): each customer counts on the first day they
/// claimed inside the window — the day whose gap reaches back before it.
pub fn distinct_claimers(
    today: chrono::NaiveDate,
    days: u32,
    counts: &[(chrono::NaiveDate, u32, u64)],
) -> u64 {
    debug_assert!(days < CLAIMER_GAP_NEVER);
    let first = today - chrono::Duration::days(i64::from(days) - 1);
    counts
        .iter()
        .filter(|(day, gap, _)| {
            *day >= first && *day <= today && i64::from(*gap) > (*day - first).num_days()
        })
        .map(|(_, _, n)| n)
        .sum()
}

#[cfg(test)]
mod wait_tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn buckets_follow_their_steps_and_round_trip() {
        assert_eq!(wait_bucket(0), 0);
        assert_eq!(wait_bucket(59), 59);
        assert_eq!(wait_bucket(60), 60);
        assert_eq!(wait_bucket(65), 60);
        assert_eq!(wait_bucket(66), 61);
        assert_eq!(wait_bucket(1_439), 60 + 229);
        assert_eq!(wait_bucket(1_440), 290);
        assert_eq!(wait_bucket(10_079), 290 + 143);
        assert_eq!(wait_bucket(10_080), 434);
        assert_eq!(wait_bucket(u64::MAX), wait_bucket(WAIT_CAP_MINUTES));
        for minutes in (0..20_000).chain([WAIT_CAP_MINUTES - 1, WAIT_CAP_MINUTES]) {
            let bucket = wait_bucket(minutes);
            let start = bucket_start_minutes(bucket);
            assert!(start <= minutes, "{minutes}");
            assert_eq!(wait_bucket(start), bucket);
            if bucket > 0 {
                assert!(bucket_start_minutes(bucket - 1) < start);
            }
        }
        assert_eq!(
            wait_bucket_steps(),
            vec![(0, 0, 1), (60, 60, 6), (290, 1_440, 60), (434, 10_080, 360)]
        );
    }

    #[test]
    fn the_median_is_the_middle_wait_or_the_mean_of_the_middle_two() {
        assert_eq!(median_wait_minutes(&[]), None);
        assert_eq!(median_wait_minutes(&[(5, 0)]), None);
        // 3, 10, 45 minutes.
        assert_eq!(median_wait_minutes(&[(45, 1), (3, 1), (10, 1)]), Some(10));
        // 10, 10, 30, 45: the mean of 10 and 30.
        assert_eq!(median_wait_minutes(&[(10, 2), (45, 1), (30, 1)]), Some(20));
        // Repeated buckets add up; a 2-hour wait is read as its bucket's start.
        let two_hours = wait_bucket(121);
        assert_eq!(bucket_start_minutes(two_hours), 120);
        assert_eq!(
            median_wait_minutes(&[(two_hours, 1), (two_hours, 1), (1, 1)]),
            Some(120)
        );
    }

    #[test]
    fn distinct_claimers_count_each_customer_once_per_window() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        // A: claims on the 1st (never before), the 20th (gap 19), the 30th (gap 10).
        // B: claims on the 25th only. C: on the 10th, then the 29th (gap 19).
        let counts = [
            (d(1), CLAIMER_GAP_NEVER, 1),
            (d(20), 19, 1),
            (d(30), 10, 1),
            (d(25), CLAIMER_GAP_NEVER, 1),
            (d(10), CLAIMER_GAP_NEVER, 1),
            (d(29), 19, 1),
        ];
        // Whole month: A, B, C.
        assert_eq!(distinct_claimers(d(30), 30, &counts), 3);
        // The 21st to the 30th: A (30th), B, C (29th).
        assert_eq!(distinct_claimers(d(30), 10, &counts), 3);
        // The 26th to the 30th: A and C.
        assert_eq!(distinct_claimers(d(30), 5, &counts), 2);
        // The 11th to the 20th (as of the 20th): A only.
        assert_eq!(distinct_claimers(d(20), 10, &counts), 1);
        assert_eq!(claimer_gap(d(5), Some(d(5))), None);
        assert_eq!(claimer_gap(d(5), Some(d(1))), Some(4));
        assert_eq!(claimer_gap(d(5), None), Some(CLAIMER_GAP_NEVER));
        assert_eq!(
            claimer_gap(d(30), Some(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap())),
            Some(CLAIMER_GAP_NEVER)
        );
    }
}
