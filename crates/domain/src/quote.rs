//! The best price for one shop order (SPEC §4), exactly.
//!
//! Each line gets at most one merchant coupon: an item claim, or a share of the one
//! shop claim. The shop claim covers every line without an item claim (covering more
//! never lowers its discount), so a solution is: a shop claim or none, plus an
//! assignment of item claims to lines. The two interact — an item claim takes its
//! line's amount away from the shop claim's threshold — so picking greedily is wrong.
//!
//! For each shop-claim choice we run a dynamic programme over the lines that have
//! item options. A state is the set of item claims used that later lines could
//! still use, plus the covered amount and quantity (capped where the shop benefit
//! stops growing). States that another state beats in every respect — covered
//! amount, covered quantity, item discount, claims used, expiry preference — are
//! dropped, and so are states whose optimistic completion cannot reach the best
//! total found so far. Both prunings keep every possible optimum, so the result is
//! the exact optimum; `tests` compare it with brute force over every assignment.
//!
//! Ties (SPEC §4): the larger total discount, then fewer claims, then the claims
//! that expire sooner — the set holding the soonest-expiring claim where two sets
//! differ wins (by expiry, then claim id).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::benefit::Benefit;
use crate::coupon::Scope;
use crate::money::Money;
use crate::vocab::Sku;

pub type ClaimId = i64;

/// Lines one quote accepts.
pub const MAX_LINES: usize = 200;
/// Distinct usable claims the engine weighs; beyond this (after identical claims
/// are folded together) the ones expiring last are left out.
pub const MAX_WEIGHED_CLAIMS: usize = 128;

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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("an order needs at least one line")]
    NoLines,
    #[error("an order has at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("lines[{0}].quantity must be at least 1")]
    ZeroQuantity(usize),
    #[error("lines[{0}] is too large an amount")]
    LineTooLarge(usize),
}

impl QuoteError {
    pub fn field(&self) -> String {
        match self {
            QuoteError::NoLines | QuoteError::TooManyLines => "lines".into(),
            QuoteError::ZeroQuantity(i) => format!("lines[{i}].quantity"),
            QuoteError::LineTooLarge(i) => format!("lines[{i}]"),
        }
    }
}

/// Prices `lines` with the best use of `claims` valid at `now`, plus an optional
/// platform discount that stacks on top.
pub fn quote(
    lines: &[QuoteLine],
    claims: &[HeldClaim],
    platform_discount: Money,
    now: DateTime<Utc>,
) -> Result<Quote, QuoteError> {
    if lines.is_empty() {
        return Err(QuoteError::NoLines);
    }
    if lines.len() > MAX_LINES {
        return Err(QuoteError::TooManyLines);
    }
    let mut amounts = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.quantity == 0 {
            return Err(QuoteError::ZeroQuantity(i));
        }
        let amount = line
            .price()
            .checked_mul(line.quantity)
            .ok_or(QuoteError::LineTooLarge(i))?;
        amounts.push(amount.fen());
    }
    let subtotal: i64 = amounts.iter().sum();
    let problem = Problem::new(lines, &amounts, claims, now);
    let best = problem.solve(platform_discount.fen(), subtotal);
    Ok(problem.quote_of(best, subtotal, platform_discount.fen()))
}

/// A claim that survived folding, with its preference bit.
struct Weighed<'a> {
    claim: &'a HeldClaim,
    /// Higher bit = expires sooner; a larger OR of bits is the preferred set.
    bit: u128,
}

struct Problem<'a> {
    lines: &'a [QuoteLine],
    amounts: &'a [i64],
    claims: Vec<Weighed<'a>>,
    /// Indices into `claims` of shop-scope claims.
    shop_claims: Vec<usize>,
    /// Lines with at least one item option, in processing order.
    decision_lines: Vec<usize>,
    /// For each line: (claim index, discount in fen) of its item options.
    options: Vec<Vec<(usize, i64)>>,
    /// For decision position p: the claims some line after p could still use.
    live_after: Vec<u128>,
    /// Lines with no item option: always covered by the shop claim.
    base_amount: i64,
    base_quantity: u64,
}

/// One partial solution in the programme.
#[derive(Clone, Copy)]
struct State {
    covered_amount: i64,
    covered_quantity: u64,
    item_discount: i64,
    claims: u32,
    preference: u128,
    /// Last item choice in the arena, or NONE.
    trail: u32,
}

const NONE: u32 = u32::MAX;

/// One item choice, linked to the previous one: how a solution is read back.
struct Step {
    previous: u32,
    line: usize,
    claim: usize,
}

/// The best solution: which shop claim, which item claims on which lines.
struct Best {
    score: Score,
    shop: Option<usize>,
    shop_discount: i64,
    items: Vec<(usize, usize)>, // (line, claim)
}

/// Total discount (after the payable floor), then fewer claims, then preference.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    total: i64,
    fewer_claims: std::cmp::Reverse<u32>,
    preference: u128,
}

/// The shop claim being tried, reduced to what the programme needs.
struct ShopChoice<'a> {
    benefit: Option<&'a Benefit>,
    amount_cap: i64,
    quantity_cap: u64,
    bit: u128,
}

impl ShopChoice<'_> {
    fn discount(&self, amount: i64, quantity: u64) -> i64 {
        match self.benefit {
            None => 0,
            Some(benefit) => benefit
                .discount(
                    Money::from_fen(amount).unwrap_or(Money::ZERO),
                    u32::try_from(quantity).unwrap_or(u32::MAX),
                )
                .fen(),
        }
    }
}

impl<'a> Problem<'a> {
    fn new(
        lines: &'a [QuoteLine],
        amounts: &'a [i64],
        claims: &'a [HeldClaim],
        now: DateTime<Utc>,
    ) -> Problem<'a> {
        let total_amount = Money::from_fen(amounts.iter().sum()).unwrap_or(Money::ZERO);
        let total_quantity: u32 = lines.iter().map(|l| l.quantity).sum();

        let mut usable: Vec<&HeldClaim> = claims.iter().filter(|c| c.is_valid_at(now)).collect();
        usable.sort_by_key(|c| (c.valid_until, c.id));
        usable.dedup_by_key(|c| c.id);

        // Fold identical claims: one shop claim per order, so of identical shop
        // claims only the soonest-expiring can matter; an identical item claim
        // matters at most once per line it applies to.
        let mut kept: Vec<&HeldClaim> = Vec::new();
        let mut seen: HashMap<(&Scope, &Benefit), usize> = HashMap::new();
        for claim in usable {
            let useful = match &claim.scope {
                Scope::Shop => !claim
                    .benefit
                    .discount(total_amount, total_quantity)
                    .is_zero(),
                Scope::Items { .. } => lines.iter().enumerate().any(|(i, line)| {
                    claim.scope.applies_to(&line.sku)
                        && !claim
                            .benefit
                            .discount(
                                Money::from_fen(amounts[i]).unwrap_or(Money::ZERO),
                                line.quantity,
                            )
                            .is_zero()
                }),
            };
            if !useful {
                continue;
            }
            let room = match &claim.scope {
                Scope::Shop => 1,
                Scope::Items { .. } => lines
                    .iter()
                    .filter(|l| claim.scope.applies_to(&l.sku))
                    .count(),
            };
            let count = seen.entry((&claim.scope, &claim.benefit)).or_default();
            if *count < room {
                *count += 1;
                kept.push(claim);
            }
        }
        kept.truncate(MAX_WEIGHED_CLAIMS);

        let claims: Vec<Weighed> = kept
            .into_iter()
            .enumerate()
            .map(|(rank, claim)| Weighed {
                claim,
                bit: 1u128 << (MAX_WEIGHED_CLAIMS - 1 - rank),
            })
            .collect();
        let shop_claims = (0..claims.len())
            .filter(|&c| claims[c].claim.scope.is_shop())
            .collect();

        let options: Vec<Vec<(usize, i64)>> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let amount = Money::from_fen(amounts[i]).unwrap_or(Money::ZERO);
                claims
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| {
                        !w.claim.scope.is_shop() && w.claim.scope.applies_to(&line.sku)
                    })
                    .map(|(c, w)| (c, w.claim.benefit.discount(amount, line.quantity).fen()))
                    .filter(|&(_, d)| d > 0)
                    .collect()
            })
            .collect();

        // Lines of one product share their options: keep them next to each other so
        // a claim stops being tracked soon after its last line.
        let mut decision_lines: Vec<usize> = (0..lines.len())
            .filter(|&i| !options[i].is_empty())
            .collect();
        decision_lines.sort_by(|&a, &b| lines[a].sku.cmp(&lines[b].sku).then(a.cmp(&b)));

        let mut live_after = vec![0u128; decision_lines.len()];
        let mut live = 0u128;
        for (p, &line) in decision_lines.iter().enumerate().rev() {
            live_after[p] = live;
            for &(c, _) in &options[line] {
                live |= claims[c].bit;
            }
        }

        let (base_amount, base_quantity) = (0..lines.len())
            .filter(|&i| options[i].is_empty())
            .fold((0i64, 0u64), |(a, q), i| {
                (a + amounts[i], q + u64::from(lines[i].quantity))
            });

        Problem {
            lines,
            amounts,
            claims,
            shop_claims,
            decision_lines,
            options,
            live_after,
            base_amount,
            base_quantity,
        }
    }

    fn shop_choice(&self, shop: Option<usize>) -> ShopChoice<'_> {
        match shop {
            None => ShopChoice {
                benefit: None,
                amount_cap: 0,
                quantity_cap: 0,
                bit: 0,
            },
            Some(c) => {
                let benefit = &self.claims[c].claim.benefit;
                ShopChoice {
                    benefit: Some(benefit),
                    amount_cap: benefit.saturating_amount().map_or(i64::MAX, Money::fen),
                    quantity_cap: u64::from(benefit.saturating_quantity()),
                    bit: self.claims[c].bit,
                }
            }
        }
    }

    fn solve(&self, platform: i64, subtotal: i64) -> Best {
        // The payable amount never drops below 0.01 (nor above what the goods cost).
        let ceiling = subtotal - subtotal.min(1);
        let cap = |merchant: i64| (merchant + platform).min(ceiling);

        // Optimistic item discount from each decision position on.
        let mut rest_discount = vec![0i64; self.decision_lines.len() + 1];
        let mut rest_amount = vec![0i64; self.decision_lines.len() + 1];
        let mut rest_quantity = vec![0u64; self.decision_lines.len() + 1];
        for (p, &line) in self.decision_lines.iter().enumerate().rev() {
            let best_here = self.options[line].iter().map(|o| o.1).max().unwrap_or(0);
            rest_discount[p] = rest_discount[p + 1] + best_here;
            rest_amount[p] = rest_amount[p + 1] + self.amounts[line];
            rest_quantity[p] = rest_quantity[p + 1] + u64::from(self.lines[line].quantity);
        }

        let mut best = Best {
            score: Score {
                total: cap(0),
                fewer_claims: std::cmp::Reverse(0),
                preference: 0,
            },
            shop: None,
            shop_discount: 0,
            items: Vec::new(),
        };

        // No shop claim first (a strong lower bound), then shop claims by promise.
        let mut choices: Vec<Option<usize>> = vec![None];
        let mut shops = self.shop_claims.clone();
        let everything = (
            self.base_amount + rest_amount[0],
            self.base_quantity + rest_quantity[0],
        );
        shops.sort_by_key(|&c| {
            std::cmp::Reverse(
                self.shop_choice(Some(c))
                    .discount(everything.0, everything.1),
            )
        });
        choices.extend(shops.into_iter().map(Some));

        let mut arena: Vec<Step> = Vec::new();
        for shop in choices {
            let choice = self.shop_choice(shop);
            let promise = cap(rest_discount[0] + choice.discount(everything.0, everything.1));
            if promise < best.score.total {
                continue;
            }
            arena.clear();
            let start = State {
                covered_amount: self.base_amount.min(choice.amount_cap),
                covered_quantity: self.base_quantity.min(choice.quantity_cap),
                item_discount: 0,
                claims: 0,
                preference: 0,
                trail: NONE,
            };
            let mut frontier: BTreeMap<u128, Vec<State>> = BTreeMap::from([(0, vec![start])]);

            for (p, &line) in self.decision_lines.iter().enumerate() {
                let amount = self.amounts[line];
                let quantity = u64::from(self.lines[line].quantity);
                let live = self.live_after[p];
                let mut next: BTreeMap<u128, Vec<State>> = BTreeMap::new();
                let bound = |s: &State| {
                    cap(s.item_discount
                        + rest_discount[p + 1]
                        + choice.discount(
                            (s.covered_amount + rest_amount[p + 1]).min(choice.amount_cap),
                            (s.covered_quantity + rest_quantity[p + 1]).min(choice.quantity_cap),
                        ))
                };
                for (&used, states) in &frontier {
                    for state in states {
                        // Cover the line with the shop claim (or leave it bare).
                        let covered = State {
                            covered_amount: (state.covered_amount + amount).min(choice.amount_cap),
                            covered_quantity: (state.covered_quantity + quantity)
                                .min(choice.quantity_cap),
                            ..*state
                        };
                        if bound(&covered) >= best.score.total {
                            insert(&mut next, used & live, covered);
                        }
                        // Or give it one of its item claims not used yet.
                        for &(c, discount) in &self.options[line] {
                            let bit = self.claims[c].bit;
                            if used & bit != 0 {
                                continue;
                            }
                            let taken = State {
                                item_discount: state.item_discount + discount,
                                claims: state.claims + 1,
                                preference: state.preference | bit,
                                ..*state
                            };
                            if bound(&taken) < best.score.total {
                                continue;
                            }
                            arena.push(Step {
                                previous: state.trail,
                                line,
                                claim: c,
                            });
                            let taken = State {
                                trail: (arena.len() - 1) as u32,
                                ..taken
                            };
                            insert(&mut next, (used | bit) & live, taken);
                        }
                    }
                }
                frontier = next;
            }

            for state in frontier.values().flatten() {
                let shop_discount = choice.discount(state.covered_amount, state.covered_quantity);
                let uses_shop = shop_discount > 0;
                let score = Score {
                    total: cap(state.item_discount + shop_discount),
                    fewer_claims: std::cmp::Reverse(state.claims + u32::from(uses_shop)),
                    preference: state.preference | if uses_shop { choice.bit } else { 0 },
                };
                if score > best.score {
                    let mut items = Vec::new();
                    let mut trail = state.trail;
                    while trail != NONE {
                        let step = &arena[trail as usize];
                        items.push((step.line, step.claim));
                        trail = step.previous;
                    }
                    best = Best {
                        score,
                        shop: shop.filter(|_| uses_shop),
                        shop_discount,
                        items,
                    };
                }
            }
        }
        best
    }

    fn quote_of(&self, best: Best, subtotal: i64, platform: i64) -> Quote {
        let n = self.lines.len();
        let mut discount = vec![0i64; n];
        let mut claim_of: Vec<Option<ClaimId>> = vec![None; n];
        let mut has_item = vec![false; n];
        for &(line, c) in &best.items {
            let amount = Money::from_fen(self.amounts[line]).unwrap_or(Money::ZERO);
            discount[line] = self.claims[c]
                .claim
                .benefit
                .discount(amount, self.lines[line].quantity)
                .fen();
            claim_of[line] = Some(self.claims[c].claim.id);
            has_item[line] = true;
        }
        if let Some(shop) = best.shop {
            let covered: Vec<usize> = (0..n).filter(|&i| !has_item[i]).collect();
            let weights: Vec<i64> = covered.iter().map(|&i| self.amounts[i]).collect();
            for (share, &line) in split_largest_remainder(best.shop_discount, &weights)
                .into_iter()
                .zip(&covered)
            {
                discount[line] = share;
                claim_of[line] = Some(self.claims[shop].claim.id);
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
        let fen = |value: i64| Money::from_fen(value).expect("amounts stay within range");
        Quote {
            subtotal: fen(subtotal),
            merchant_discount: fen(merchant),
            platform_discount: fen(platform_applied),
            payable: fen(subtotal - merchant - platform_applied),
            lines: (0..n)
                .map(|i| QuotedLine {
                    sku: self.lines[i].sku.clone(),
                    amount: fen(self.amounts[i]),
                    discount: fen(discount[i]),
                    claim_id: claim_of[i].filter(|_| discount[i] > 0 || has_item[i]),
                })
                .collect(),
            claims_used,
        }
    }
}

/// Adds `state` under `key` unless a state there is at least as good in every
/// respect; drops the states it is at least as good as.
fn insert(frontier: &mut BTreeMap<u128, Vec<State>>, key: u128, state: State) {
    let states = frontier.entry(key).or_default();
    let covers = |a: &State, b: &State| {
        a.covered_amount >= b.covered_amount
            && a.covered_quantity >= b.covered_quantity
            && a.item_discount >= b.item_discount
            && a.claims <= b.claims
            && a.preference >= b.preference
    };
    if states.iter().any(|s| covers(s, &state)) {
        return;
    }
    states.retain(|s| !covers(&state, s));
    states.push(state);
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
#[path = "quote_tests.rs"]
mod tests;
