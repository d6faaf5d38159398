//! What a coupon takes off: 满X减Y, 折扣 on N units, or 多件多折.

use serde::{Deserialize, Serialize};

use crate::error::{Collector, Reason, ValidationErrors};
use crate::money::{Money, Percent};

/// A benefit as written by staff or the API, not yet checked as a whole.
/// Read through [`BenefitWire`] so that an error names its field (`amount`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "BenefitWire")]
pub enum BenefitSpec {
    /// 满X减Y; threshold 0 is a no-threshold 立减.
    AmountOff { threshold: Money, amount: Money },
    /// Pay `percent` of the price (85 = 8.5折) when buying at least `min_quantity` units,
    /// taking off at most `max_discount`.
    PercentOff {
        percent: Percent,
        min_quantity: u32,
        max_discount: Option<Money>,
    },
    /// 多件多折: the deepest tier whose `min_quantity` is reached applies.
    TieredPercent { tiers: Vec<Tier> },
}

/// The JSON shape of every benefit type at once, so that serde reports the path
/// of a bad field; [`BenefitSpec::try_from`] then keeps the fields of the type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BenefitWire {
    #[serde(rename = "type")]
    kind: BenefitType,
    threshold: Option<Money>,
    amount: Option<Money>,
    percent: Option<Percent>,
    min_quantity: Option<u32>,
    #[serde(default, deserialize_with = "deserialize_some")]
    max_discount: Option<Option<Money>>,
    tiers: Option<Vec<Tier>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum BenefitType {
    AmountOff,
    PercentOff,
    TieredPercent,
}

/// Tells an explicit `null` (Some(None)) from a missing field (None).
fn deserialize_some<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl TryFrom<BenefitWire> for BenefitSpec {
    type Error = String;
    fn try_from(wire: BenefitWire) -> Result<Self, Self::Error> {
        let present = |name: &str, here: bool| -> Result<(), String> {
            if here {
                Err(format!("{name}: not a field of this benefit type"))
            } else {
                Ok(())
            }
        };
        let needed = |name: &str| format!("{name}: required for this benefit type");
        match wire.kind {
            BenefitType::AmountOff => {
                present("percent", wire.percent.is_some())?;
                present("min_quantity", wire.min_quantity.is_some())?;
                present("max_discount", wire.max_discount.is_some())?;
                present("tiers", wire.tiers.is_some())?;
                Ok(BenefitSpec::AmountOff {
                    threshold: wire.threshold.ok_or_else(|| needed("threshold"))?,
                    amount: wire.amount.ok_or_else(|| needed("amount"))?,
                })
            }
            BenefitType::PercentOff => {
                present("threshold", wire.threshold.is_some())?;
                present("amount", wire.amount.is_some())?;
                present("tiers", wire.tiers.is_some())?;
                Ok(BenefitSpec::PercentOff {
                    percent: wire.percent.ok_or_else(|| needed("percent"))?,
                    min_quantity: wire.min_quantity.unwrap_or(1),
                    max_discount: wire.max_discount.flatten(),
                })
            }
            BenefitType::TieredPercent => {
                present("threshold", wire.threshold.is_some())?;
                present("amount", wire.amount.is_some())?;
                present("percent", wire.percent.is_some())?;
                present("min_quantity", wire.min_quantity.is_some())?;
                present("max_discount", wire.max_discount.is_some())?;
                Ok(BenefitSpec::TieredPercent {
                    tiers: wire.tiers.ok_or_else(|| needed("tiers"))?,
                })
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub min_quantity: u32,
    pub percent: Percent,
}

pub const MAX_TIERS: usize = 10;

/// Below this share paid (5折) staff confirm a percent discount (SPEC §2).
pub const CONFIRM_BELOW_PERCENT: u32 = 50;

/// A discount deeper than 5折: the deepest share paid, and the cap per order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeepDiscount {
    pub deepest: Percent,
    pub cap: Option<Money>,
}

impl DeepDiscount {
    /// The most one order can get off: the cap, or this percent of the order.
    pub fn off_percent(self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::ONE_HUNDRED - self.deepest.value()
    }
}

impl std::fmt::Display for DeepDiscount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let zhe = self.deepest.as_zhe();
        match self.cap {
            Some(cap) => write!(f, "{zhe}折 is below 5折: up to ¥{cap} off each order"),
            None => write!(
                f,
                "{zhe}折 is below 5折 with no cap: up to {}% off each order",
                self.off_percent()
            ),
        }
    }
}

/// A checked benefit: the only way to get one is [`Benefit::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BenefitSpec", into = "BenefitSpec")]
pub struct Benefit(BenefitSpec);

impl Benefit {
    /// Checks the benefit; errors name fields relative to the benefit (`amount`,
    /// `tiers[1].percent`), to be prefixed by the caller.
    pub fn new(spec: BenefitSpec) -> Result<Benefit, ValidationErrors> {
        let mut errors = Collector::new();
        match &spec {
            BenefitSpec::AmountOff { threshold, amount } => {
                if amount.is_zero() {
                    errors.push("amount", Reason::Positive);
                } else if !threshold.is_zero() && amount >= threshold {
                    errors.push("amount", Reason::BelowThreshold(*threshold));
                }
            }
            BenefitSpec::PercentOff {
                min_quantity,
                max_discount,
                ..
            } => {
                if *min_quantity == 0 {
                    errors.push("min_quantity", Reason::AtLeast(1));
                }
                if max_discount.is_some_and(Money::is_zero) {
                    errors.push("max_discount", Reason::CapOrEmpty);
                }
            }
            BenefitSpec::TieredPercent { tiers } => {
                if tiers.is_empty() {
                    errors.push("tiers", Reason::NoTiers);
                } else if tiers.len() > MAX_TIERS {
                    errors.push("tiers", Reason::TooManyTiers(MAX_TIERS));
                }
                for (i, tier) in tiers.iter().enumerate() {
                    if tier.min_quantity == 0 {
                        errors.push(format!("tiers[{i}].min_quantity"), Reason::AtLeast(1));
                    }
                    if let Some(prev) = i.checked_sub(1).map(|p| tiers[p]) {
                        if tier.min_quantity <= prev.min_quantity {
                            errors.push(format!("tiers[{i}].min_quantity"), Reason::TierUnitsRise);
                        }
                        if tier.percent >= prev.percent {
                            errors.push(format!("tiers[{i}].percent"), Reason::TierPercentFalls);
                        }
                    }
                }
            }
        }
        errors.finish(|| Benefit(spec))
    }

    pub fn amount_off(threshold: Money, amount: Money) -> Result<Benefit, ValidationErrors> {
        Benefit::new(BenefitSpec::AmountOff { threshold, amount })
    }

    /// A percent discount deeper than 5折 asks staff to confirm it before it is
    /// saved (SPEC §2): the deepest share paid and the cap per order, for the
    /// confirmation to state the largest discount one order gets. `None` when
    /// there is nothing to confirm.
    pub fn deep_discount(&self) -> Option<DeepDiscount> {
        let (deepest, cap) = match &self.0 {
            BenefitSpec::PercentOff {
                percent,
                max_discount,
                ..
            } => (*percent, *max_discount),
            BenefitSpec::TieredPercent { tiers } => (tiers.iter().map(|t| t.percent).min()?, None),
            BenefitSpec::AmountOff { .. } => return None,
        };
        (deepest.value() < rust_decimal::Decimal::from(CONFIRM_BELOW_PERCENT))
            .then_some(DeepDiscount { deepest, cap })
    }

    pub fn spec(&self) -> &BenefitSpec {
        &self.0
    }

    /// The discount on goods worth `amount` in `quantity` units, never more than `amount`.
    pub fn discount(&self, amount: Money, quantity: u32) -> Money {
        Money::from_fen(self.discount_fen(amount.fen(), u64::from(quantity))).unwrap_or(Money::ZERO)
    }

    /// [`Benefit::discount`] on integer fen: what the quote engine computes with.
    pub fn discount_fen(&self, amount: i64, quantity: u64) -> i64 {
        let discount = match &self.0 {
            BenefitSpec::AmountOff {
                threshold,
                amount: off,
            } => {
                if amount <= 0 || amount < threshold.fen() {
                    0
                } else {
                    off.fen()
                }
            }
            BenefitSpec::PercentOff {
                percent,
                min_quantity,
                max_discount,
            } => {
                if quantity < u64::from(*min_quantity) {
                    0
                } else {
                    let off = percent.discount_on_fen(amount);
                    max_discount.map_or(off, |cap| off.min(cap.fen()))
                }
            }
            BenefitSpec::TieredPercent { tiers } => tiers
                .iter()
                .rev()
                .find(|tier| quantity >= u64::from(tier.min_quantity))
                .map_or(0, |tier| tier.percent.discount_on_fen(amount)),
        };
        discount.clamp(0, amount.max(0))
    }

    /// Beyond this amount the discount grows no more (`None`: it keeps growing).
    pub fn saturating_amount(&self) -> Option<Money> {
        match &self.0 {
            BenefitSpec::AmountOff { threshold, amount } => Some((*threshold).max(*amount)),
            BenefitSpec::PercentOff {
                percent,
                max_discount: Some(cap),
                ..
            } => {
                // The smallest amount whose discount reaches the cap: ceil(cap / off-share).
                let off = rust_decimal::Decimal::ONE_HUNDRED - percent.value();
                let fen = (rust_decimal::Decimal::from(cap.fen())
                    * rust_decimal::Decimal::ONE_HUNDRED
                    / off)
                    .ceil();
                Money::from_decimal(fen / rust_decimal::Decimal::ONE_HUNDRED).ok()
            }
            BenefitSpec::PercentOff { .. } | BenefitSpec::TieredPercent { .. } => None,
        }
    }

    /// Beyond this quantity the discount depends on quantity no more.
    pub fn saturating_quantity(&self) -> u32 {
        match &self.0 {
            BenefitSpec::AmountOff { .. } => 0,
            BenefitSpec::PercentOff { min_quantity, .. } => *min_quantity,
            BenefitSpec::TieredPercent { tiers } => tiers.last().map_or(0, |t| t.min_quantity),
        }
    }

    /// The benefit as Chinese shop staff write it: 满99减10, 无门槛减5, 满2件8.5折, 2件9折/3件8折.
    pub fn describe_zh(&self) -> String {
        match &self.0 {
            BenefitSpec::AmountOff { threshold, amount } if threshold.is_zero() => {
                format!("无门槛减{}", short(*amount))
            }
            BenefitSpec::AmountOff { threshold, amount } => {
                format!("满{}减{}", short(*threshold), short(*amount))
            }
            BenefitSpec::PercentOff {
                percent,
                min_quantity,
                max_discount,
            } => {
                let mut text = if *min_quantity > 1 {
                    format!("满{min_quantity}件{}折", percent.as_zhe())
                } else {
                    format!("{}折", percent.as_zhe())
                };
                if let Some(cap) = max_discount {
                    text.push_str(&format!("(最多减{})", short(*cap)));
                }
                text
            }
            BenefitSpec::TieredPercent { tiers } => tiers
                .iter()
                .map(|t| format!("{}件{}折", t.min_quantity, t.percent.as_zhe()))
                .collect::<Vec<_>>()
                .join("/"),
        }
    }

    /// The same in English: "¥10.00 off orders of ¥99.00", "15% off 2+ units".
    pub fn describe_en(&self) -> String {
        match &self.0 {
            BenefitSpec::AmountOff { threshold, amount } if threshold.is_zero() => {
                format!("¥{amount} off, no minimum")
            }
            BenefitSpec::AmountOff { threshold, amount } => {
                format!("¥{amount} off orders of ¥{threshold}")
            }
            BenefitSpec::PercentOff {
                percent,
                min_quantity,
                max_discount,
            } => {
                let off = (rust_decimal::Decimal::ONE_HUNDRED - percent.value()).normalize();
                let mut text = if *min_quantity > 1 {
                    format!("{off}% off {min_quantity}+ units")
                } else {
                    format!("{off}% off")
                };
                if let Some(cap) = max_discount {
                    text.push_str(&format!(" (up to ¥{cap})"));
                }
                text
            }
            BenefitSpec::TieredPercent { tiers } => tiers
                .iter()
                .map(|t| {
                    let off = (rust_decimal::Decimal::ONE_HUNDRED - t.percent.value()).normalize();
                    format!("{off}% off {}+", t.min_quantity)
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// 99.00 → "99", 9.90 → "9.9": how amounts read inside a coupon's name.
fn short(money: Money) -> String {
    money.to_decimal().normalize().to_string()
}

impl TryFrom<BenefitSpec> for Benefit {
    type Error = ValidationErrors;
    fn try_from(spec: BenefitSpec) -> Result<Self, Self::Error> {
        Benefit::new(spec)
    }
}

impl From<Benefit> for BenefitSpec {
    fn from(benefit: Benefit) -> Self {
        benefit.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn percent(text: &str) -> Percent {
        Percent::parse(text).unwrap()
    }

    #[test]
    fn amount_off_needs_threshold_met() {
        let b = Benefit::amount_off(money("99"), money("10")).unwrap();
        assert_eq!(b.discount(money("98.99"), 1), Money::ZERO);
        assert_eq!(b.discount(money("99"), 1), money("10"));
        assert_eq!(b.describe_zh(), "满99减10");
        let instant = Benefit::amount_off(Money::ZERO, money("5")).unwrap();
        assert_eq!(
            instant.discount(money("3"), 1),
            money("3"),
            "never more than the goods"
        );
        assert_eq!(instant.describe_zh(), "无门槛减5");
    }

    #[test]
    fn amount_off_refuses_amount_at_or_over_threshold() {
        let error = Benefit::amount_off(money("99"), money("99")).unwrap_err();
        assert_eq!(error.first().field, "amount");
        assert!(Benefit::amount_off(money("99"), money("100")).is_err());
        assert!(Benefit::amount_off(money("99"), Money::ZERO).is_err());
    }

    #[test]
    fn percent_off_rounds_down_respects_min_quantity_and_cap() {
        let b = Benefit::new(BenefitSpec::PercentOff {
            percent: percent("85"),
            min_quantity: 2,
            max_discount: Some(money("20")),
        })
        .unwrap();
        assert_eq!(b.discount(money("99.99"), 1), Money::ZERO);
        assert_eq!(b.discount(money("99.99"), 2), money("14.99"));
        assert_eq!(b.discount(money("1000"), 3), money("20"));
        assert_eq!(b.saturating_amount(), Some(money("133.34")));
        assert_eq!(b.discount(money("133.33"), 2), money("19.99"));
        assert_eq!(b.discount(money("133.34"), 2), money("20"));
        assert_eq!(b.describe_zh(), "满2件8.5折(最多减20)");
    }

    #[test]
    fn tiered_takes_deepest_reached_tier() {
        let b = Benefit::new(BenefitSpec::TieredPercent {
            tiers: vec![
                Tier {
                    min_quantity: 2,
                    percent: percent("90"),
                },
                Tier {
                    min_quantity: 3,
                    percent: percent("80"),
                },
            ],
        })
        .unwrap();
        assert_eq!(b.discount(money("100"), 1), Money::ZERO);
        assert_eq!(b.discount(money("100"), 2), money("10"));
        assert_eq!(b.discount(money("100"), 5), money("20"));
        assert_eq!(b.describe_zh(), "2件9折/3件8折");
    }

    #[test]
    fn tiers_must_deepen() {
        let error = Benefit::new(BenefitSpec::TieredPercent {
            tiers: vec![
                Tier {
                    min_quantity: 2,
                    percent: percent("80"),
                },
                Tier {
                    min_quantity: 2,
                    percent: percent("90"),
                },
            ],
        })
        .unwrap_err();
        assert_eq!(error.iter().count(), 2);
        assert!(error.for_field("tiers[1].percent").is_some());
        assert!(
            Benefit::new(BenefitSpec::TieredPercent { tiers: vec![] }).is_err(),
            "no tiers"
        );
    }

    #[test]
    fn serde_validates() {
        let ok: Benefit = serde_json::from_str(
            r#"{"type": "amount_off", "threshold": "99.00", "amount": "10.00"}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&ok).unwrap()["threshold"],
            serde_json::json!("99.00")
        );
        let bad = serde_json::from_str::<Benefit>(
            r#"{"type": "amount_off", "threshold": "9.00", "amount": "10.00"}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("amount"));
        let unknown = serde_json::from_str::<Benefit>(
            r#"{"type": "amount_off", "threshold": "99.00", "amount": "1.00", "x": 1}"#,
        );
        assert!(unknown.is_err());
        let foreign = serde_json::from_str::<Benefit>(
            r#"{"type": "amount_off", "threshold": "99.00", "amount": "1.00", "percent": "90"}"#,
        );
        assert!(
            foreign
                .unwrap_err()
                .to_string()
                .contains("percent: not a field")
        );
        let defaults: BenefitSpec =
            serde_json::from_str(r#"{"type": "percent_off", "percent": "85"}"#).unwrap();
        assert_eq!(
            defaults,
            BenefitSpec::PercentOff {
                percent: Percent::parse("85").unwrap(),
                min_quantity: 1,
                max_discount: None
            }
        );
    }
}
