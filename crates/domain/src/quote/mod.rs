//! The best price for one shop order (SPEC §4), exactly, in bounded work.
//!
//! Each line gets at most one merchant coupon: an item claim, or a share of the one
//! shop claim. The shop claim covers every line without an item claim (covering more
//! never lowers its discount), so a solution is: a shop claim or none, plus an
//! assignment of item claims to lines. The two interact — an item claim takes its
//! line's amount away from the shop claim's threshold — so picking greedily is wrong.
//!
//! How the engine finds the optimum:
//!
//! 1. [`prepare`] folds claims that no order could tell apart into *types* with a
//!    count: item claims that discount every line of this cart alike, shop claims with
//!    one benefit. Within a type the sooner-expiring claims are always used first, so
//!    a solution is a count per type, never a subset of claims.
//! 2. [`assign`] solves the item claims alone as a maximum-weight assignment
//!    (min-cost flow) and prices each type (the dual of its count). The assignment is
//!    the first incumbent; the prices make every bound below tight.
//! 3. [`search`] runs, for no shop claim and for each shop type, a dynamic programme
//!    over the lines that have item options. A state is the usage count of each type
//!    a later line could still use, the covered amount and quantity (capped where the
//!    shop benefit stops growing), the item discount and the claims used. A state that
//!    another beats in every respect is dropped, and so is one whose optimistic
//!    completion (the Lagrangian bound of the priced assignment plus a fractional
//!    knapsack for the shop's threshold) cannot reach the best found. Both keep every
//!    optimum, tie-breaks included.
//!
//! Choosing which lines to give the shop claim so that it reaches its threshold is a
//! knapsack problem, so no exact method is polynomial on every cart; the search
//! therefore runs under a work budget ([`SEARCH_BUDGET`]) that bounds time and memory
//! whatever the input. Carts the benchmarks and the brute-force property test build
//! finish far inside it and are proven optimal; a cart that exhausts it gets the best
//! combination found, which is never worse than the item assignment or any shop
//! claim's greedy cover, and the quote says so ([`Quote::proven`]).
//!
//! Ties (SPEC §4): the larger total discount, then fewer claims, then the claims
//! that expire sooner — the set holding the soonest-expiring claim where two sets
//! differ wins (by expiry, then claim id).

mod assign;
mod prepare;
mod search;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::benefit::Benefit;
use crate::coupon::Scope;
use crate::money::Money;
use crate::vocab::Sku;

pub type ClaimId = i64;

/// Lines one quote accepts.
pub const MAX_LINES: usize = 200;
/// Units one line may hold.
pub const MAX_QUANTITY: u32 = 9_999;
/// The highest unit (or activity) price of a line, in fen: 1,000,000.00.
pub const MAX_UNIT_PRICE_FEN: i64 = 100_000_000;
/// The highest subtotal of one order, in fen: 100,000,000.00.
pub const MAX_SUBTOTAL_FEN: i64 = 10_000_000_000;
/// Steps of work (states weighed, flow relaxations) one quote may take. Each is a
/// few dozen nanoseconds and a few dozen bytes at most: the whole budget is a few
/// milliseconds and a few MiB on the slowest machine we run on.
pub const SEARCH_BUDGET: u64 = 300_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub sku: Sku,
    pub unit_price: Money,
    /// A promotional unit price (活动价); coupons apply on top of it.
    #[serde(default)]
    pub activity_price: Option<Money>,
    pub quantity: u32,
}

impl QuoteLine {
    pub fn price(&self) -> Money {
        self.activity_price.unwrap_or(self.unit_price)
    }
}

/// A claim the customer holds, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldClaim {
    pub id: ClaimId,
    pub scope: Scope,
    pub benefit: Benefit,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

impl HeldClaim {
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from <= now && now <= self.valid_until
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuotedLine {
    pub sku: Sku,
    /// Price (activity price if any) × quantity.
    pub amount: Money,
    /// The merchant discount on this line: its item claim, or its share of the shop claim.
    pub discount: Money,
    pub claim_id: Option<ClaimId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Quote {
    pub subtotal: Money,
    pub merchant_discount: Money,
    pub platform_discount: Money,
    pub payable: Money,
    pub lines: Vec<QuotedLine>,
    /// In the order of the lines that use them.
    pub claims_used: Vec<ClaimId>,
    /// False only when the search ran out of its budget before proving this the
    /// optimum (see the module's notes); callers log it.
    #[serde(skip, default = "proven_by_default")]
    pub proven: bool,
}

fn proven_by_default() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("an order needs at least one line")]
    NoLines,
    #[error("an order has at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("must be from 1 to {MAX_QUANTITY}")]
    Quantity(usize),
    #[error("must be at most 1000000.00")]
    UnitPrice(usize),
    #[error("must be at most 1000000.00")]
    ActivityPrice(usize),
    #[error("the order's subtotal must be at most 100000000.00")]
    Subtotal,
}

impl QuoteError {
    pub fn field(&self) -> String {
        match self {
            QuoteError::NoLines | QuoteError::TooManyLines | QuoteError::Subtotal => "lines".into(),
            QuoteError::Quantity(i) => format!("lines[{i}].quantity"),
            QuoteError::UnitPrice(i) => format!("lines[{i}].unit_price"),
            QuoteError::ActivityPrice(i) => format!("lines[{i}].activity_price"),
        }
    }
}

/// Checks a cart against SPEC §4's bounds and returns each line's amount in fen.
pub fn check_lines(lines: &[QuoteLine]) -> Result<Vec<i64>, QuoteError> {
    if lines.is_empty() {
        return Err(QuoteError::NoLines);
    }
    if lines.len() > MAX_LINES {
        return Err(QuoteError::TooManyLines);
    }
    let mut amounts = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.quantity == 0 || line.quantity > MAX_QUANTITY {
            return Err(QuoteError::Quantity(i));
        }
        if line.unit_price.fen() > MAX_UNIT_PRICE_FEN {
            return Err(QuoteError::UnitPrice(i));
        }
        if line
            .activity_price
            .is_some_and(|p| p.fen() > MAX_UNIT_PRICE_FEN)
        {
            return Err(QuoteError::ActivityPrice(i));
        }
        // Both factors are bounded above, so this cannot overflow.
        amounts.push(line.price().fen() * i64::from(line.quantity));
    }
    if amounts.iter().sum::<i64>() > MAX_SUBTOTAL_FEN {
        return Err(QuoteError::Subtotal);
    }
    Ok(amounts)
}

/// Prices `lines` with the best use of `claims` valid at `now`, plus an optional
/// platform discount that stacks on top.
pub fn quote(
    lines: &[QuoteLine],
    claims: &[HeldClaim],
    platform_discount: Money,
    now: DateTime<Utc>,
) -> Result<Quote, QuoteError> {
    let amounts = check_lines(lines)?;
    let subtotal: i64 = amounts.iter().sum();
    let prepared = prepare::Prepared::new(lines, &amounts, claims, now);
    let outcome = search::best(&prepared, platform_discount.fen(), subtotal);
    Ok(quote_of(
        &prepared,
        outcome,
        subtotal,
        platform_discount.fen(),
    ))
}

/// What the search settled on: which shop claim, which item claims on which lines.
pub(crate) struct Choice {
    /// The shop claim used (its rank in [`prepare::Prepared::claims`]) and its discount.
    pub shop: Option<(u32, i64)>,
    /// (line, rank of the item claim on it).
    pub items: Vec<(usize, u32)>,
    pub proven: bool,
}

fn quote_of(prepared: &prepare::Prepared, choice: Choice, subtotal: i64, platform: i64) -> Quote {
    let lines = prepared.lines;
    let amounts = &prepared.amounts;
    let n = lines.len();
    let mut discount = vec![0i64; n];
    let mut claim_of: Vec<Option<ClaimId>> = vec![None; n];
    let mut has_item = vec![false; n];
    for &(line, rank) in &choice.items {
        let claim = prepared.claims[rank as usize];
        discount[line] = claim
            .benefit
            .discount_fen(amounts[line], u64::from(lines[line].quantity));
        claim_of[line] = Some(claim.id);
        has_item[line] = true;
    }
    if let Some((rank, shop_discount)) = choice.shop {
        let covered: Vec<usize> = (0..n).filter(|&i| !has_item[i]).collect();
        let weights: Vec<i64> = covered.iter().map(|&i| amounts[i]).collect();
        let id = prepared.claims[rank as usize].id;
        for (share, &line) in split_largest_remainder(shop_discount, &weights)
            .into_iter()
            .zip(&covered)
        {
            discount[line] = share;
            claim_of[line] = Some(id);
        }
    }

    // Keep at least 0.01 to pay: take any excess back from the last lines.
    let ceiling = subtotal - subtotal.min(1);
    let mut excess = discount.iter().sum::<i64>() - ceiling;
    for line in (0..n).rev() {
        if excess <= 0 {
            break;
        }
        let back = excess.min(discount[line]);
        discount[line] -= back;
        excess -= back;
    }
    let merchant: i64 = discount.iter().sum();
    let platform_applied = platform.min(ceiling - merchant).max(0);

    let mut claims_used = Vec::new();
    for id in claim_of.iter().flatten() {
        if !claims_used.contains(id) {
            claims_used.push(*id);
        }
    }
    // Every figure is at most the subtotal, which check_lines bounded.
    let fen = |value: i64| Money::from_fen(value).unwrap_or(Money::ZERO);
    Quote {
        subtotal: fen(subtotal),
        merchant_discount: fen(merchant),
        platform_discount: fen(platform_applied),
        payable: fen(subtotal - merchant - platform_applied),
        lines: (0..n)
            .map(|i| QuotedLine {
                sku: lines[i].sku.clone(),
                amount: fen(amounts[i]),
                discount: fen(discount[i]),
                claim_id: claim_of[i].filter(|_| discount[i] > 0 || has_item[i]),
            })
            .collect(),
        claims_used,
        proven: choice.proven,
    }
}

/// Splits `total` fen over lines in proportion to `weights`, exactly: each line
/// gets the floor of its share, and the fen left over go one each to the lines
/// with the largest remainders (earlier lines first on equal remainders).
pub fn split_largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    if sum == 0 {
        let mut shares = vec![0; weights.len()];
        if let Some(first) = shares.first_mut() {
            *first = total;
        }
        return shares;
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &weight) in weights.iter().enumerate() {
        let exact = i128::from(total) * i128::from(weight);
        shares.push((exact / sum) as i64);
        remainders.push((exact % sum, i));
    }
    let left = total - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests;
