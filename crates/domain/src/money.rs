//! Money (CNY, two decimals, never negative) and percent (8.5折 = 85).
//!
//! Amounts are exact: a `rust_decimal::Decimal` with scale 2, and the integer fen
//! (分) the database stores. Arithmetic that could go wrong (below zero, overflow)
//! is checked and says so.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Largest amount we accept anywhere: 1,000,000,000.00 yuan. Keeps every line
/// amount times quantity, and every order total, far inside `i64` fen.
pub const MAX_YUAN: i64 = 1_000_000_000;
const MAX_FEN: i64 = MAX_YUAN * 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal amount such as \"99.00\"")]
    NotANumber,
    #[error("must not be negative")]
    Negative,
    #[error("must have at most two decimals (fen)")]
    TooManyDecimals,
    #[error("must be at most {MAX_YUAN}.00")]
    TooLarge,
}

/// An amount of CNY, never negative, always with scale 2 (so it prints "99.00").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));
    /// The smallest amount, 0.01: what an order pays at least.
    pub const FEN: Money = Money(Decimal::from_parts(1, 0, 0, false, 2));
    /// The largest amount we accept: [`MAX_YUAN`].00.
    pub const MAX: Money = Money(Decimal::from_parts(
        (MAX_FEN & 0xFFFF_FFFF) as u32,
        (MAX_FEN >> 32) as u32,
        0,
        false,
        2,
    ));

    pub fn from_fen(fen: i64) -> Result<Money, MoneyError> {
        if fen < 0 {
            Err(MoneyError::Negative)
        } else if fen > MAX_FEN {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Money(Decimal::new(fen, 2)))
        }
    }

    /// Whole yuan, for literals in code and tests: `Money::yuan(99)`.
    pub fn yuan(yuan: u32) -> Money {
        Money(Decimal::new(i64::from(yuan) * 100, 2))
    }

    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let fen = (normalized * Decimal::ONE_HUNDRED)
            .to_i64()
            .ok_or(MoneyError::TooLarge)?;
        Money::from_fen(fen)
    }

    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let text = text.strip_prefix('¥').unwrap_or(text).trim();
        // Decimal accepts "1e3" and "_"; money typed by people never looks like that.
        let plain = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && text.chars().filter(|&c| c == '.').count() <= 1;
        if !plain {
            return Err(MoneyError::NotANumber);
        }
        let value = Decimal::from_str(text).map_err(|_| MoneyError::NotANumber)?;
        Money::from_decimal(value)
    }

    /// The amount in fen (分), exact: what the database stores.
    pub fn fen(self) -> i64 {
        // Scale is always 2 and the value at most MAX_FEN, so the mantissa is the fen.
        self.0.mantissa() as i64
    }

    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::from_fen(self.fen().checked_add(other.fen())?).ok()
    }

    /// `None` when the result would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Money::from_fen(self.fen().checked_sub(other.fen())?).ok()
    }

    pub fn saturating_sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or(Money::ZERO)
    }

    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        Money::from_fen(self.fen().checked_mul(i64::from(quantity))?).ok()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fen = self.fen();
        write!(f, "{}.{:02}", fen / 100, fen % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Only a decimal string is money: a JSON number would have passed through a float.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PercentError {
    #[error("must be a number such as \"85\" (85% = 8.5折)")]
    NotANumber,
    #[error("must be from 10 (1折) to 99 (9.9折): the share of the price the customer pays")]
    OutOfRange,
    #[error("must be a whole number: 85 is 8.5折")]
    NotWhole,
}

/// The share of the price the customer pays: 85 means 8.5折 (15% off).
/// A whole number from 10 (1折) to 99 (9.9折) — SPEC §2: a typo such as 0.5
/// (99.5 % off) or 8.5 (91.5 % off) is refused, never sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(Decimal);

impl Percent {
    pub fn new(value: Decimal) -> Result<Percent, PercentError> {
        let value = value.normalize();
        if value < Decimal::TEN || value >= Decimal::ONE_HUNDRED {
            return Err(PercentError::OutOfRange);
        }
        if value.scale() > 0 {
            return Err(PercentError::NotWhole);
        }
        Ok(Percent(value))
    }

    /// From 折 as staff type it, "1.0" to "9.9": 8.5 → 85.
    pub fn from_zhe(text: &str) -> Result<Percent, PercentError> {
        let text = text.trim().trim_end_matches('折').trim();
        let zhe = Decimal::from_str(text).map_err(|_| PercentError::NotANumber)?;
        Percent::new(zhe * Decimal::TEN)
    }

    pub fn parse(text: &str) -> Result<Percent, PercentError> {
        let text = text.trim().trim_end_matches('%').trim();
        let value = Decimal::from_str(text).map_err(|_| PercentError::NotANumber)?;
        Percent::new(value)
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// The discount this percent gives on `amount`, rounded down to the fen.
    pub fn discount_on(self, amount: Money) -> Money {
        // floor(amount × a share below 1) stays within [0, amount].
        Money::from_fen(self.discount_on_fen(amount.fen())).unwrap_or(Money::ZERO)
    }

    /// The share taken off, in basis points: 85 (8.5折) → 1500.
    pub fn off_basis_points(self) -> i64 {
        // At most two decimals, so (100 − percent) × 100 is a whole number.
        ((Decimal::ONE_HUNDRED - self.0) * Decimal::ONE_HUNDRED)
            .to_i64()
            .unwrap_or(0)
    }

    /// [`Percent::discount_on`] in fen: floor(fen × off / 10 000), exact in integers.
    pub fn discount_on_fen(self, fen: i64) -> i64 {
        (i128::from(fen) * i128::from(self.off_basis_points()) / 10_000) as i64
    }

    /// In 折 as shoppers say it: 85 → "8.5", 90 → "9".
    pub fn as_zhe(self) -> Decimal {
        (self.0 / Decimal::TEN).normalize()
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Percent::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_decimals() {
        assert_eq!(Money::parse("99").unwrap().fen(), 9900);
        assert_eq!(Money::parse("99.5").unwrap().to_string(), "99.50");
        assert_eq!(Money::parse("0.01").unwrap(), Money::FEN);
        assert_eq!(Money::parse("¥12.30").unwrap().fen(), 1230);
        assert_eq!(Money::parse("-0").unwrap(), Money::ZERO);
    }

    #[test]
    fn refuses_bad_money() {
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1.001"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(""), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1000000000.01"), Err(MoneyError::TooLarge));
        // trailing zeros beyond the fen are still exact
        assert_eq!(Money::parse("1.500").unwrap().fen(), 150);
    }

    #[test]
    fn fen_round_trip_is_exact() {
        assert_eq!(Money::MAX.fen(), MAX_FEN);
        assert_eq!(Money::MAX.to_string(), "1000000000.00");
        for fen in [0, 1, 9, 10, 99, 100, 12345, MAX_FEN] {
            let money = Money::from_fen(fen).unwrap();
            assert_eq!(Money::parse(&money.to_string()).unwrap().fen(), fen);
            assert_eq!(Money::from_decimal(money.to_decimal()).unwrap(), money);
        }
        assert!(Money::from_fen(-1).is_err());
    }

    #[test]
    fn serde_uses_strings_only() {
        let money: Money = serde_json::from_str("\"99.00\"").unwrap();
        assert_eq!(serde_json::to_string(&money).unwrap(), "\"99.00\"");
        assert!(serde_json::from_str::<Money>("99.0").is_err());
        assert!(serde_json::from_str::<Money>("\"-5.00\"").is_err());
    }

    #[test]
    fn percent_discount_rounds_down_to_the_fen() {
        let p85 = Percent::parse("85").unwrap();
        assert_eq!(p85.discount_on(Money::parse("99.99").unwrap()).fen(), 1499); // 14.9985
        assert_eq!(p85.as_zhe().to_string(), "8.5");
        let p = Percent::parse("33").unwrap();
        assert_eq!(p.discount_on(Money::from_fen(1).unwrap()), Money::ZERO);
        assert_eq!(p.discount_on(Money::parse("0.03").unwrap()).fen(), 2); // 2.01 → 2
    }

    #[test]
    fn refuses_bad_percent() {
        assert_eq!(Percent::parse("0"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("100"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("-5"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("x"), Err(PercentError::NotANumber));
        // The typos that gave shops away: 0.5 meant as 5折 is 99.5 % off, 8.5
        // meant as 8.5折 is 91.5 % off.
        assert_eq!(Percent::parse("0.5"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("8.5"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("85.5"), Err(PercentError::NotWhole));
        assert_eq!(Percent::parse("9"), Err(PercentError::OutOfRange));
        assert!(Percent::parse("10").is_ok() && Percent::parse("99").is_ok());
        assert_eq!(Percent::parse("85.0").unwrap().value(), Decimal::from(85));
        // 折 as staff type it.
        assert_eq!(
            Percent::from_zhe("8.5").unwrap(),
            Percent::parse("85").unwrap()
        );
        assert_eq!(
            Percent::from_zhe(" 9.9折 ").unwrap(),
            Percent::parse("99").unwrap()
        );
        assert_eq!(
            Percent::from_zhe("1").unwrap(),
            Percent::parse("10").unwrap()
        );
        assert_eq!(Percent::from_zhe("0.5"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::from_zhe("85"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::from_zhe("8.55"), Err(PercentError::NotWhole));
    }
}
