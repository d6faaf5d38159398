//! Exact conversions between stored columns and domain values: money as integer
//! fen, percents as basis points, lists as JSON text.

use domain::{Money, Percent};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

pub fn money(fen: i64, column: &str) -> Result<Money> {
    Money::from_fen(fen).map_err(|e| StoreError::Corrupt(format!("{column} = {fen}: {e}")))
}

pub fn money_opt(fen: Option<i64>, column: &str) -> Result<Option<Money>> {
    fen.map(|fen| money(fen, column)).transpose()
}

/// 85.00 % → 8500.
pub fn basis_points(percent: Percent) -> i32 {
    (percent.value() * Decimal::ONE_HUNDRED)
        .to_i32()
        .expect("a percent below 100 fits in basis points")
}

pub fn percent(bp: i32, column: &str) -> Result<Percent> {
    Percent::new(Decimal::new(i64::from(bp), 2))
        .map_err(|e| StoreError::Corrupt(format!("{column} = {bp}: {e}")))
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise")
}

pub fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub fn word<T: std::str::FromStr>(text: &str, column: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column} = {text:?}: {e}")))
}

pub fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

/// A count or sum column of a query row (NULL — a sum of nothing — is 0).
pub fn number_at(row: &sea_orm::QueryResult, column: &str) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<Option<i64>>("", column)?.unwrap_or(0)).unwrap_or(0))
}

/// An amount-in-fen column of a query row (NULL is ¥0.00).
pub fn money_at(row: &sea_orm::QueryResult, column: &str) -> Result<Money> {
    money(row.try_get::<Option<i64>>("", column)?.unwrap_or(0), column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_and_basis_points_round_trip_exactly() {
        for fen in [0i64, 1, 99, 100, 9_999, 123_456_789, 100_000_000_000] {
            assert_eq!(money(fen, "x").unwrap().fen(), fen);
        }
        assert!(money(-1, "x").is_err());
        for text in ["10", "33", "85", "99"] {
            let p = Percent::parse(text).unwrap();
            assert_eq!(percent(basis_points(p), "x").unwrap(), p);
        }
        assert_eq!(basis_points(Percent::parse("85").unwrap()), 8500);
        assert!(percent(10_000, "x").is_err());
    }
}
