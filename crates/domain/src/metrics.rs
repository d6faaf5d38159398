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
