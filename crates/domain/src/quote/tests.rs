use super::*;
use crate::benefit::{BenefitSpec, Tier};
use crate::money::Percent;
use proptest::prelude::*;

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

fn line(sku: &str, price: &str, quantity: u32) -> QuoteLine {
    QuoteLine {
        sku: Sku::parse(sku).unwrap(),
        unit_price: money(price),
        activity_price: None,
        quantity,
    }
}

fn claim(id: ClaimId, scope: Scope, benefit: Benefit, expires_in_days: i64) -> HeldClaim {
    HeldClaim {
        id,
        scope,
        benefit,
        valid_from: now() - chrono::Duration::days(1),
        valid_until: now() + chrono::Duration::days(expires_in_days),
    }
}

fn shop(id: ClaimId, threshold: &str, amount: &str) -> HeldClaim {
    claim(
        id,
        Scope::Shop,
        Benefit::amount_off(money(threshold), money(amount)).unwrap(),
        7,
    )
}

fn item(id: ClaimId, sku: &str, threshold: &str, amount: &str) -> HeldClaim {
    claim(
        id,
        Scope::Items {
            skus: vec![Sku::parse(sku).unwrap()],
        },
        Benefit::amount_off(money(threshold), money(amount)).unwrap(),
        7,
    )
}

fn pays(lines: &[QuoteLine], claims: &[HeldClaim], platform: &str) -> Quote {
    let quote = quote(lines, claims, money(platform), now()).unwrap();
    assert_invariants(lines, &quote);
    quote
}

/// What every quote must satisfy, whatever the claims.
fn assert_invariants(lines: &[QuoteLine], quote: &Quote) {
    let subtotal: i64 = quote.lines.iter().map(|l| l.amount.fen()).sum();
    assert_eq!(quote.subtotal.fen(), subtotal);
    let merchant: i64 = quote.lines.iter().map(|l| l.discount.fen()).sum();
    assert_eq!(
        quote.merchant_discount.fen(),
        merchant,
        "split sums exactly"
    );
    assert_eq!(
        quote.payable.fen(),
        subtotal - merchant - quote.platform_discount.fen()
    );
    assert!(quote.payable.fen() >= subtotal.min(1), "pays at least 0.01");
    for (quoted, line) in quote.lines.iter().zip(lines) {
        assert!(quoted.discount <= quoted.amount);
        assert_eq!(
            quoted.amount,
            line.price().checked_mul(line.quantity).unwrap()
        );
    }
    let mut used = quote.claims_used.clone();
    used.sort();
    used.dedup();
    assert_eq!(used.len(), quote.claims_used.len(), "each claim once");
}

// The worked examples of SPEC §4.

#[test]
fn example_1_platform_coupon_on_activity_price() {
    let mut l = line("A1", "129.00", 1);
    l.activity_price = Some(money("99.00"));
    let q = pays(&[l], &[], "10.00");
    assert_eq!(q.payable, money("89.00"));
    assert_eq!(q.platform_discount, money("10.00"));
    assert!(q.claims_used.is_empty());
}

#[test]
fn example_2_shop_coupon_wins() {
    let mut l = line("A1", "129.00", 1);
    l.activity_price = Some(money("99.00"));
    let q = pays(&[l], &[shop(1, "99", "10"), item(2, "A1", "0", "5")], "0");
    assert_eq!(q.payable, money("89.00"));
    assert_eq!(q.claims_used, vec![1]);
    assert_eq!(q.lines[0].claim_id, Some(1));
}

#[test]
fn example_3_item_coupon_wins() {
    let q = pays(
        &[line("A1", "99.00", 1)],
        &[shop(1, "50", "5"), item(2, "A1", "0", "10")],
        "0",
    );
    assert_eq!(q.payable, money("89.00"));
    assert_eq!(q.claims_used, vec![2]);
}

#[test]
fn example_4_best_merchant_coupon_plus_platform() {
    let q = pays(
        &[line("A1", "400.00", 1)],
        &[
            shop(1, "300", "20"),
            shop(2, "100", "10"),
            item(3, "A1", "0", "15"),
        ],
        "30",
    );
    assert_eq!(q.payable, money("350.00"));
    assert_eq!(q.merchant_discount, money("20.00"));
    assert_eq!(q.platform_discount, money("30.00"));
    assert_eq!(q.claims_used, vec![1]);
}

#[test]
fn item_claim_and_shop_threshold_interact() {
    // Lines 60 + 50 + 50. The item coupon takes A out of the shop coupon's reach,
    // but B + C still reach 100: both coupons together beat either alone.
    let lines = [line("A", "60", 1), line("B", "50", 1), line("C", "50", 1)];
    let claims = [shop(1, "100", "20"), item(2, "A", "0", "15")];
    let q = pays(&lines, &claims, "0");
    assert_eq!(q.merchant_discount, money("35"));
    assert_eq!(q.lines[0].claim_id, Some(2));
    assert_eq!(q.lines[1].claim_id, Some(1));
    assert_eq!(q.lines[2].claim_id, Some(1));

    // With B at 30, using the item coupon would break the threshold: shop alone.
    let lines = [line("A", "60", 1), line("B", "30", 1), line("C", "50", 1)];
    let q = pays(&lines, &claims, "0");
    assert_eq!(q.merchant_discount, money("20"));
    assert_eq!(q.claims_used, vec![1]);
}

#[test]
fn a_greedy_choice_of_the_biggest_item_coupon_is_not_taken() {
    // Two item coupons fit A; the bigger one is better used on B, where only it fits.
    let both = claim(
        1,
        Scope::Items {
            skus: vec![Sku::parse("A").unwrap(), Sku::parse("B").unwrap()],
        },
        Benefit::amount_off(Money::ZERO, money("12")).unwrap(),
        7,
    );
    let only_a = item(2, "A", "0", "10");
    let q = pays(
        &[line("A", "50", 1), line("B", "50", 1)],
        &[both, only_a],
        "0",
    );
    assert_eq!(q.merchant_discount, money("22"));
    assert_eq!(q.lines[0].claim_id, Some(2));
    assert_eq!(q.lines[1].claim_id, Some(1));
}

#[test]
fn shop_discount_splits_by_largest_remainder() {
    let lines = [
        line("A", "33.33", 1),
        line("B", "33.33", 1),
        line("C", "33.34", 1),
    ];
    let q = pays(&lines, &[shop(1, "100", "10")], "0");
    let shares: Vec<_> = q.lines.iter().map(|l| l.discount.to_string()).collect();
    assert_eq!(shares, ["3.33", "3.33", "3.34"]);
    assert_eq!(split_largest_remainder(10, &[1, 1, 1]), vec![4, 3, 3]);
    assert_eq!(
        split_largest_remainder(100, &[3333, 3333, 3334]),
        vec![33, 33, 34]
    );
    assert_eq!(split_largest_remainder(7, &[0, 5]), vec![0, 7]);
}

#[test]
fn fewer_claims_win_a_tie() {
    // 满100减20 on both lines, or two item coupons of 10: same discount, one claim.
    let lines = [line("A", "50", 1), line("B", "50", 1)];
    let claims = [
        item(1, "A", "0", "10"),
        item(2, "B", "0", "10"),
        shop(3, "100", "20"),
    ];
    let q = pays(&lines, &claims, "0");
    assert_eq!(q.claims_used, vec![3]);
}

#[test]
fn sooner_expiring_claims_win_a_tie() {
    let benefit = Benefit::amount_off(Money::ZERO, money("5")).unwrap();
    let scope = Scope::Items {
        skus: vec![Sku::parse("A").unwrap()],
    };
    let later = claim(1, scope.clone(), benefit.clone(), 30);
    let sooner = claim(2, scope, benefit, 2);
    let q = pays(&[line("A", "50", 1)], &[later.clone(), sooner.clone()], "0");
    assert_eq!(q.claims_used, vec![2]);
    let q = pays(&[line("A", "50", 1)], &[sooner, later], "0");
    assert_eq!(q.claims_used, vec![2], "input order does not matter");
}

#[test]
fn payable_never_drops_below_one_fen() {
    let q = pays(&[line("A", "10", 1)], &[item(1, "A", "0", "10")], "5");
    assert_eq!(q.payable, money("0.01"));
    assert_eq!(q.merchant_discount, money("9.99"));
    assert_eq!(q.platform_discount, Money::ZERO);
    let q = pays(&[line("A", "10", 1)], &[], "50");
    assert_eq!(q.payable, money("0.01"));
    assert_eq!(q.platform_discount, money("9.99"));
}

#[test]
fn expired_and_future_claims_are_ignored() {
    let mut expired = item(1, "A", "0", "10");
    expired.valid_until = now() - chrono::Duration::seconds(1);
    let mut future = item(2, "A", "0", "10");
    future.valid_from = now() + chrono::Duration::seconds(1);
    let q = pays(&[line("A", "50", 1)], &[expired, future], "0");
    assert!(q.claims_used.is_empty());
    assert_eq!(q.payable, money("50"));
}

#[test]
fn percent_coupons_round_down_and_respect_quantity() {
    let nine = claim(
        1,
        Scope::Items {
            skus: vec![Sku::parse("A").unwrap()],
        },
        Benefit::new(BenefitSpec::PercentOff {
            percent: Percent::parse("85").unwrap(),
            min_quantity: 2,
            max_discount: None,
        })
        .unwrap(),
        7,
    );
    let q = pays(&[line("A", "33.33", 2)], std::slice::from_ref(&nine), "0");
    assert_eq!(q.merchant_discount, money("9.99")); // 66.66 × 15% = 9.999
    let q = pays(&[line("A", "33.33", 1)], &[nine], "0");
    assert_eq!(q.merchant_discount, Money::ZERO);
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(
        quote(&[], &[], Money::ZERO, now()),
        Err(QuoteError::NoLines)
    );
    let err = quote(&[line("A", "1", 0)], &[], Money::ZERO, now()).unwrap_err();
    assert_eq!(err.field(), "lines[0].quantity");
    let err = quote(&[line("A", "1", 10_000)], &[], Money::ZERO, now()).unwrap_err();
    assert_eq!(err.field(), "lines[0].quantity");
    let err = quote(&[line("A", "1000000.01", 1)], &[], Money::ZERO, now()).unwrap_err();
    assert_eq!(err.field(), "lines[0].unit_price");
    let mut dear = line("A", "1", 1);
    dear.activity_price = Some(money("1000000.01"));
    let err = quote(&[line("B", "1", 1), dear], &[], Money::ZERO, now()).unwrap_err();
    assert_eq!(err.field(), "lines[1].activity_price");
    // 101 lines of 1,000,000.00: each within bounds, the order not.
    let lines = vec![line("A", "1000000", 1); 101];
    assert_eq!(
        quote(&lines, &[], Money::ZERO, now()),
        Err(QuoteError::Subtotal)
    );
    let lines = vec![line("A", "1", 1); MAX_LINES + 1];
    assert_eq!(
        quote(&lines, &[], Money::ZERO, now()),
        Err(QuoteError::TooManyLines)
    );
}

#[test]
fn the_largest_cart_in_bounds_is_priced() {
    // Two lines of 600,000,000.00 once panicked; the bounds now refuse them, and the
    // largest cart they allow prices exactly.
    let lines = vec![line("A", "1000000", 9_999); 1];
    assert_eq!(
        quote(&lines, &[], Money::ZERO, now()),
        Err(QuoteError::Subtotal)
    );
    let lines = vec![line("A", "500000", 1); 200];
    let q = pays(&lines, &[shop(1, "99", "10")], "999999999");
    assert_eq!(q.subtotal, money("100000000"));
    assert_eq!(q.payable, money("0.01"));
}

// The property: the engine finds what brute force over every assignment finds.

/// Every way to give each line at most one claim (item claims once each, one shop
/// claim per order), scored by SPEC §4 with nothing but the rules themselves:
/// (total discount, claims used, their ids).
fn oracle(lines: &[QuoteLine], claims: &[HeldClaim], platform: i64) -> (i64, Vec<ClaimId>) {
    struct Search<'a> {
        lines: &'a [QuoteLine],
        amounts: Vec<Money>,
        usable: Vec<&'a HeldClaim>,
        shop: Option<&'a HeldClaim>,
        ceiling: i64,
        platform: i64,
        best: Option<(i64, Vec<&'a HeldClaim>)>,
    }

    #[derive(Clone, Copy)]
    enum Choice {
        Nothing,
        Shop,
        Item(usize),
    }

    impl<'a> Search<'a> {
        fn walk(&mut self, i: usize, choice: &mut Vec<Choice>) {
            if i == self.lines.len() {
                self.score(choice);
                return;
            }
            choice.push(Choice::Nothing);
            self.walk(i + 1, choice);
            choice.pop();
            if self.shop.is_some() {
                choice.push(Choice::Shop);
                self.walk(i + 1, choice);
                choice.pop();
            }
            for c in 0..self.usable.len() {
                let claim = self.usable[c];
                let taken = |c: usize| {
                    choice
                        .iter()
                        .any(|x| matches!(x, Choice::Item(t) if *t == c))
                };
                // Of identical claims (same coupon terms) only the soonest-expiring
                // unused one is tried: swapping a later one for it changes nothing
                // but the preference, which it improves. This keeps many copies of
                // one coupon within reach of brute force.
                let sooner_twin_idle = self.usable[..c].iter().enumerate().any(|(d, twin)| {
                    twin.scope == claim.scope && twin.benefit == claim.benefit && !taken(d)
                });
                if !claim.scope.is_shop()
                    && claim.scope.applies_to(&self.lines[i].sku)
                    && !taken(c)
                    && !sooner_twin_idle
                {
                    choice.push(Choice::Item(c));
                    self.walk(i + 1, choice);
                    choice.pop();
                }
            }
        }

        fn score(&mut self, choice: &[Choice]) {
            let mut merchant = 0i64;
            let mut used: Vec<&HeldClaim> = Vec::new();
            let (mut covered, mut covered_qty) = (Money::ZERO, 0u32);
            for (i, c) in choice.iter().enumerate() {
                match *c {
                    Choice::Nothing => {}
                    Choice::Shop => {
                        covered = covered.checked_add(self.amounts[i]).unwrap();
                        covered_qty += self.lines[i].quantity;
                    }
                    Choice::Item(c) => {
                        let claim = self.usable[c];
                        merchant += claim
                            .benefit
                            .discount(self.amounts[i], self.lines[i].quantity)
                            .fen();
                        used.push(claim);
                    }
                }
            }
            if let Some(shop) = self.shop {
                let d = shop.benefit.discount(covered, covered_qty).fen();
                if d > 0 {
                    merchant += d;
                    used.push(shop);
                }
            }
            let total = (merchant + self.platform).min(self.ceiling);
            let better = match &self.best {
                None => true,
                Some((t, set)) => {
                    total > *t
                        || (total == *t && used.len() < set.len())
                        || (total == *t && used.len() == set.len() && prefers(&used, set))
                }
            };
            if better {
                self.best = Some((total, used));
            }
        }
    }

    /// `a` is preferred when the soonest-expiring claim in which the sets differ is in `a`.
    fn prefers(a: &[&HeldClaim], b: &[&HeldClaim]) -> bool {
        let key = |c: &&HeldClaim| (c.valid_until, c.id);
        let only_a = a
            .iter()
            .filter(|x| !b.iter().any(|y| y.id == x.id))
            .map(key)
            .min();
        let only_b = b
            .iter()
            .filter(|x| !a.iter().any(|y| y.id == x.id))
            .map(key)
            .min();
        match (only_a, only_b) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            _ => false,
        }
    }

    let mut usable: Vec<&HeldClaim> = claims.iter().filter(|c| c.is_valid_at(now())).collect();
    usable.sort_by_key(|c| (c.valid_until, c.id));
    let amounts: Vec<Money> = lines
        .iter()
        .map(|l| l.price().checked_mul(l.quantity).unwrap())
        .collect();
    let subtotal: i64 = amounts.iter().map(|a| a.fen()).sum();
    let shops: Vec<Option<&HeldClaim>> = std::iter::once(None)
        .chain(
            usable
                .iter()
                .filter(|c| c.scope.is_shop())
                .map(|c| Some(*c)),
        )
        .collect();
    let mut search = Search {
        lines,
        amounts,
        usable: usable.clone(),
        shop: None,
        ceiling: subtotal - subtotal.min(1),
        platform,
        best: None,
    };
    for shop in shops {
        search.shop = shop;
        search.walk(0, &mut Vec::new());
    }
    let (total, set) = search.best.expect("giving nothing always fits");
    let mut ids: Vec<ClaimId> = set.iter().map(|c| c.id).collect();
    ids.sort();
    (total, ids)
}

/// Fen amounts, often round (10.00, 20.00, ...) so that ties between combinations happen.
fn arb_fen(max_yuan: i64) -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => (1..=max_yuan / 10).prop_map(|tens| tens * 1_000),
        1 => 1..=max_yuan * 100,
    ]
}

fn arb_benefit() -> impl Strategy<Value = Benefit> {
    let amount_off = (prop::bool::weighted(0.2), arb_fen(300), arb_fen(60)).prop_map(
        |(instant, threshold, amount)| {
            let (threshold, amount) = if instant {
                (0, amount)
            } else if amount < threshold {
                (threshold, amount)
            } else {
                (threshold, (threshold / 2).max(1))
            };
            let threshold = if threshold == 1 { 2 } else { threshold };
            Benefit::amount_off(
                Money::from_fen(threshold).unwrap(),
                Money::from_fen(amount).unwrap(),
            )
            .unwrap()
        },
    );
    let percent_off = (50u32..99, 1u32..4, prop::option::of(100i64..3_000)).prop_map(
        |(percent, min_quantity, cap)| {
            Benefit::new(BenefitSpec::PercentOff {
                percent: Percent::parse(&percent.to_string()).unwrap(),
                min_quantity,
                max_discount: cap.map(|c| Money::from_fen(c).unwrap()),
            })
            .unwrap()
        },
    );
    let tiered = (2u32..4, 70u32..95).prop_map(|(first, percent)| {
        Benefit::new(BenefitSpec::TieredPercent {
            tiers: vec![
                Tier {
                    min_quantity: first,
                    percent: Percent::parse(&percent.to_string()).unwrap(),
                },
                Tier {
                    min_quantity: first + 2,
                    percent: Percent::parse(&(percent - 10).to_string()).unwrap(),
                },
            ],
        })
        .unwrap()
    });
    prop_oneof![6 => amount_off, 2 => percent_off, 1 => tiered]
}

const SKUS: [&str; 3] = ["A", "B", "C"];

fn arb_claim(id: ClaimId) -> impl Strategy<Value = HeldClaim> {
    let scope = prop_oneof![
        2 => Just(Scope::Shop),
        3 => prop::sample::subsequence(SKUS.to_vec(), 1..=2).prop_map(|skus| Scope::Items {
            skus: skus.into_iter().map(|s| Sku::parse(s).unwrap()).collect()
        }),
    ];
    (scope, arb_benefit(), 0i64..4, prop::bool::weighted(0.1)).prop_map(
        move |(scope, benefit, days, expired)| {
            let mut c = claim(id, scope, benefit, days + 1);
            if expired {
                c.valid_until = now() - chrono::Duration::hours(1);
            }
            c
        },
    )
}

fn arb_line() -> impl Strategy<Value = QuoteLine> {
    (
        prop::sample::select(SKUS.to_vec()),
        arb_fen(200),
        prop::option::of(arb_fen(200)),
        1u32..4,
    )
        .prop_map(|(sku, price, activity, quantity)| QuoteLine {
            sku: Sku::parse(sku).unwrap(),
            unit_price: Money::from_fen(price).unwrap(),
            activity_price: activity.map(|a| Money::from_fen(a.min(price)).unwrap()),
            quantity,
        })
}

fn arb_cart() -> impl Strategy<Value = (Vec<QuoteLine>, Vec<HeldClaim>, i64)> {
    (
        prop::collection::vec(arb_line(), 1..=7),
        (0usize..=7).prop_flat_map(|n| {
            (0..n)
                .map(|i| arb_claim(i as ClaimId + 1))
                .collect::<Vec<_>>()
        }),
        prop_oneof![3 => Just(0i64), 1 => 1i64..5_000, 1 => arb_fen(600)],
    )
}

/// Many copies of a few coupons (a customer who claimed one coupon again and again),
/// among shop coupons with thresholds.
fn arb_cart_of_copies() -> impl Strategy<Value = (Vec<QuoteLine>, Vec<HeldClaim>, i64)> {
    let coupon = (
        prop_oneof![
            1 => Just(Scope::Shop),
            3 => prop::sample::subsequence(SKUS.to_vec(), 1..=3).prop_map(|skus| Scope::Items {
                skus: skus.into_iter().map(|s| Sku::parse(s).unwrap()).collect()
            }),
        ],
        arb_benefit(),
        1usize..=6,
    );
    (
        prop::collection::vec(arb_line(), 1..=6),
        prop::collection::vec(coupon, 1..=3),
        prop::collection::vec(0i64..4, 18),
        prop_oneof![3 => Just(0i64), 1 => arb_fen(600)],
    )
        .prop_map(|(lines, coupons, days, platform)| {
            let mut claims = Vec::new();
            for (scope, benefit, copies) in coupons {
                let copies = if scope.is_shop() {
                    copies.min(2)
                } else {
                    copies
                };
                for _ in 0..copies {
                    let id = claims.len() as ClaimId + 1;
                    let expires = days[claims.len() % days.len()] + 1;
                    claims.push(claim(id, scope.clone(), benefit.clone(), expires));
                }
            }
            (lines, claims, platform)
        })
}

/// Many different item coupons over the same two products, and a shop coupon
/// with a threshold competing for the same lines.
fn arb_cart_of_rivals() -> impl Strategy<Value = (Vec<QuoteLine>, Vec<HeldClaim>, i64)> {
    let both = || Scope::Items {
        skus: vec![Sku::parse("A").unwrap(), Sku::parse("B").unwrap()],
    };
    let line = (prop::sample::select(vec!["A", "B"]), arb_fen(200), 1u32..4).prop_map(
        |(sku, price, quantity)| QuoteLine {
            sku: Sku::parse(sku).unwrap(),
            unit_price: Money::from_fen(price).unwrap(),
            activity_price: None,
            quantity,
        },
    );
    (
        prop::collection::vec(line, 1..=5),
        prop::collection::vec((arb_benefit(), 0i64..4), 3..=6),
        prop::collection::vec((arb_fen(400), arb_fen(80)), 1..=2),
    )
        .prop_map(move |(lines, items, shops)| {
            let mut claims = Vec::new();
            for (benefit, days) in items {
                let id = claims.len() as ClaimId + 1;
                claims.push(claim(id, both(), benefit, days + 1));
            }
            for (threshold, amount) in shops {
                let id = claims.len() as ClaimId + 1;
                let amount = if amount < threshold {
                    amount
                } else {
                    (threshold / 2).max(1)
                };
                let threshold = threshold.max(2);
                let benefit = Benefit::amount_off(
                    Money::from_fen(threshold).unwrap(),
                    Money::from_fen(amount).unwrap(),
                )
                .unwrap();
                claims.push(claim(id, Scope::Shop, benefit, 3));
            }
            (lines, claims, 0)
        })
}

fn agrees_with_brute_force(
    lines: &[QuoteLine],
    claims: &[HeldClaim],
    platform: i64,
) -> Result<(), TestCaseError> {
    let quote = quote(lines, claims, Money::from_fen(platform).unwrap(), now()).unwrap();
    assert_invariants(lines, &quote);
    prop_assert!(quote.proven, "small carts are always searched to the end");
    let (total, ids) = oracle(lines, claims, platform);
    let mut used = quote.claims_used.clone();
    used.sort();
    prop_assert_eq!(
        quote.merchant_discount.fen() + quote.platform_discount.fen(),
        total
    );
    prop_assert_eq!(used, ids);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_finds_the_brute_force_optimum((lines, claims, platform) in arb_cart()) {
        agrees_with_brute_force(&lines, &claims, platform)?;
    }

    #[test]
    fn many_copies_of_one_coupon_still_agree((lines, claims, platform) in arb_cart_of_copies()) {
        agrees_with_brute_force(&lines, &claims, platform)?;
    }

    #[test]
    fn rival_coupons_over_the_same_products_still_agree((lines, claims, platform) in arb_cart_of_rivals()) {
        agrees_with_brute_force(&lines, &claims, platform)?;
    }

    #[test]
    fn splits_sum_exactly(total in 0i64..1_000_000, weights in prop::collection::vec(0i64..100_000, 1..12)) {
        let shares = split_largest_remainder(total, &weights);
        prop_assert_eq!(shares.iter().sum::<i64>(), total);
        let sum: i64 = weights.iter().sum();
        for (share, weight) in shares.iter().zip(&weights) {
            if sum > 0 && total <= sum {
                prop_assert!(share <= weight);
                // within one fen of the exact proportional share
                let exact = total as f64 * *weight as f64 / sum as f64;
                prop_assert!((*share as f64 - exact).abs() < 1.0);
            }
        }
    }
}

#[test]
fn every_held_claim_is_weighed_however_many() {
    // 200 small claims that expire first, and one of 50.00 that expires last: an
    // engine that weighed only the first 128 charged 2.27 off instead of 50.00.
    let mut claims: Vec<HeldClaim> = (1..=200)
        .map(|id| {
            let mut c = item(id, "A", "0", &format!("0.{:02}", id % 90 + 1));
            c.valid_until = now() + chrono::Duration::hours(id);
            c
        })
        .collect();
    let mut big = item(999, "A", "0", "50");
    big.valid_until = now() + chrono::Duration::days(30);
    claims.push(big);
    let q = pays(&[line("A", "80", 1)], &claims, "0");
    assert_eq!(q.merchant_discount, money("50"));
    assert_eq!(q.claims_used, vec![999]);
    assert!(q.proven);
}

#[test]
fn two_hundred_lines_and_two_hundred_copies_are_priced_exactly() {
    let skus: Vec<Sku> = (0..200)
        .map(|i| Sku::parse(&format!("S{i}")).unwrap())
        .collect();
    let lines: Vec<QuoteLine> = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| QuoteLine {
            sku: sku.clone(),
            unit_price: Money::from_fen(1_000 + 37 * i as i64).unwrap(),
            activity_price: None,
            quantity: 1 + (i % 3) as u32,
        })
        .collect();
    let scope = Scope::Items { skus };
    let benefit = Benefit::amount_off(money("20"), money("3")).unwrap();
    let claims: Vec<HeldClaim> = (0..200)
        .map(|id| claim(id, scope.clone(), benefit.clone(), 1 + id % 5))
        .collect();
    let q = pays(&lines, &claims, "0");
    assert!(q.proven);
    // Every line of at least 20.00 takes 3.00 off, with the soonest claims.
    let reaching = lines
        .iter()
        .filter(|l| l.price().checked_mul(l.quantity).unwrap() >= money("20"))
        .count();
    assert_eq!(q.claims_used.len(), reaching);
    assert_eq!(q.merchant_discount.fen(), 300 * reaching as i64);
    let mut soonest: Vec<&HeldClaim> = claims.iter().collect();
    soonest.sort_by_key(|c| (c.valid_until, c.id));
    let mut expected: Vec<ClaimId> = soonest[..reaching].iter().map(|c| c.id).collect();
    let mut used = q.claims_used.clone();
    expected.sort();
    used.sort();
    assert_eq!(used, expected);
}
