//! `cargo bench -p domain`: the best-price quote for carts of 1, 5, 20 and 50 lines
//! against 30 held claims (target: 20 lines under 1 ms median), and the adversarial
//! carts of the bounded-quote work (target: each under 5 ms median):
//!
//! - `copies`: 200 lines, the customer holding 200 claims of one item coupon, alone
//!   and beside a shop coupon whose threshold competes for the same lines;
//! - `rivals`: 50 distinct item coupons all covering the same 50 lines, plus a shop
//!   coupon with a threshold.

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use domain::benefit::{BenefitSpec, Tier};
use domain::{Benefit, HeldClaim, Money, Percent, QuoteLine, Scope, Sku, quote};

/// A small deterministic generator, so every run prices the same carts.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

fn sku(n: u64) -> Sku {
    Sku::parse(&format!("SKU-{n:03}")).unwrap()
}

/// A live-room cart: `lines` lines over about `lines` products, a few repeated.
fn cart(lines: usize, rng: &mut Lcg) -> Vec<QuoteLine> {
    (0..lines)
        .map(|i| {
            let price = 990 + rng.next(30_000) as i64; // 9.90 – 309.90
            let product = if i > 2 && rng.next(5) == 0 {
                rng.next(i as u64)
            } else {
                i as u64
            };
            QuoteLine {
                sku: sku(product),
                unit_price: Money::from_fen(price).unwrap(),
                activity_price: (rng.next(3) == 0)
                    .then(|| Money::from_fen(price * 85 / 100).unwrap()),
                quantity: 1 + rng.next(3) as u32,
            }
        })
        .collect()
}

/// 30 claims: 8 shop coupons (满X减Y ladder, a 9.5折 capped), 22 item coupons on the
/// cart's products (some on two products, some percent or tiered).
fn claims(products: u64, rng: &mut Lcg) -> Vec<HeldClaim> {
    let mut claims = Vec::new();
    let mut add = |scope: Scope, benefit: Benefit, rng: &mut Lcg| {
        let id = claims.len() as i64 + 1;
        claims.push(HeldClaim {
            id,
            scope,
            benefit,
            valid_from: now() - Duration::days(3),
            valid_until: now() + Duration::days(1 + rng.next(20) as i64),
        });
    };
    for (threshold, amount) in [
        (99, 10),
        (199, 25),
        (299, 40),
        (499, 70),
        (999, 150),
        (1999, 320),
        (0, 5),
    ] {
        let benefit = Benefit::amount_off(Money::yuan(threshold), Money::yuan(amount)).unwrap();
        add(Scope::Shop, benefit, rng);
    }
    let capped = Benefit::new(BenefitSpec::PercentOff {
        percent: Percent::parse("95").unwrap(),
        min_quantity: 2,
        max_discount: Some(Money::yuan(60)),
    })
    .unwrap();
    add(Scope::Shop, capped, rng);
    for i in 0..22u64 {
        let first = rng.next(products.max(1));
        let mut skus = vec![sku(first)];
        if i % 4 == 0 {
            skus.push(sku(rng.next(products.max(1))));
        }
        let benefit = match i % 6 {
            0 => Benefit::new(BenefitSpec::PercentOff {
                percent: Percent::parse("88").unwrap(),
                min_quantity: 1,
                max_discount: None,
            })
            .unwrap(),
            1 => Benefit::new(BenefitSpec::TieredPercent {
                tiers: vec![
                    Tier {
                        min_quantity: 2,
                        percent: Percent::parse("90").unwrap(),
                    },
                    Tier {
                        min_quantity: 3,
                        percent: Percent::parse("80").unwrap(),
                    },
                ],
            })
            .unwrap(),
            _ => {
                let amount = 3 + rng.next(30) as u32;
                let threshold = if i % 3 == 0 {
                    0
                } else {
                    amount + 10 + rng.next(100) as u32
                };
                Benefit::amount_off(Money::yuan(threshold), Money::yuan(amount)).unwrap()
            }
        };
        add(Scope::Items { skus }, benefit, rng);
    }
    claims
}

fn bench_quote(c: &mut Criterion) {
    let mut group = c.benchmark_group("quote_30_claims");
    for lines in [1usize, 5, 20, 50] {
        let mut rng = Lcg(42 + lines as u64);
        let cart = cart(lines, &mut rng);
        let held = claims(lines as u64, &mut rng);
        let priced = quote(&cart, &held, Money::ZERO, now()).unwrap();
        eprintln!(
            "{lines} lines: subtotal {} discount {} with {} claims",
            priced.subtotal,
            priced.merchant_discount,
            priced.claims_used.len()
        );
        group.bench_with_input(BenchmarkId::from_parameter(lines), &lines, |b, _| {
            b.iter(|| quote(black_box(&cart), black_box(&held), Money::ZERO, now()).unwrap())
        });
    }
    group.finish();
}

fn held(id: i64, scope: Scope, benefit: Benefit, days: i64) -> HeldClaim {
    HeldClaim {
        id,
        scope,
        benefit,
        valid_from: now() - Duration::days(3),
        valid_until: now() + Duration::days(days),
    }
}

fn percent_off(percent: &str) -> Benefit {
    Benefit::new(BenefitSpec::PercentOff {
        percent: Percent::parse(percent).unwrap(),
        min_quantity: 1,
        max_discount: None,
    })
    .unwrap()
}

/// 200 lines of 200 products; 200 claims of one 9折 item coupon on all of them;
/// with `shop`, also 满X减Y where X is 30 % of the cart and Y 12 % of X, so giving
/// the shop coupon lines worth just over X beats the item coupon on them.
pub fn copies_cart(shop: bool) -> (Vec<QuoteLine>, Vec<HeldClaim>) {
    let mut rng = Lcg(7);
    let lines = cart(200, &mut rng);
    let lines: Vec<QuoteLine> = lines
        .into_iter()
        .enumerate()
        .map(|(i, mut l)| {
            l.sku = sku(i as u64);
            l
        })
        .collect();
    let all = Scope::Items {
        skus: (0..200).map(sku).collect(),
    };
    let mut claims: Vec<HeldClaim> = (0..200)
        .map(|i| held(i + 1, all.clone(), percent_off("90"), 1 + i % 9))
        .collect();
    if shop {
        let subtotal: i64 = lines
            .iter()
            .map(|l| l.price().fen() * i64::from(l.quantity))
            .sum();
        let threshold = subtotal * 3 / 10 / 100 * 100;
        let amount = threshold * 12 / 100 / 100 * 100;
        let benefit = Benefit::amount_off(
            Money::from_fen(threshold).unwrap(),
            Money::from_fen(amount).unwrap(),
        )
        .unwrap();
        claims.push(held(1000, Scope::Shop, benefit, 5));
    }
    (lines, claims)
}

/// 50 lines of 50 products; 50 distinct item coupons each covering all 50 products
/// (满X减Y ladders, 折 and 多件多折); one shop coupon 满X减Y over half the cart.
pub fn rivals_cart() -> (Vec<QuoteLine>, Vec<HeldClaim>) {
    let mut rng = Lcg(11);
    let lines: Vec<QuoteLine> = cart(50, &mut rng)
        .into_iter()
        .enumerate()
        .map(|(i, mut l)| {
            l.sku = sku(i as u64);
            l
        })
        .collect();
    let all = Scope::Items {
        skus: (0..50).map(sku).collect(),
    };
    let mut claims = Vec::new();
    for i in 0..50i64 {
        let benefit = match i % 5 {
            0 => percent_off(&(80 + i % 15).to_string()),
            1 => Benefit::new(BenefitSpec::TieredPercent {
                tiers: vec![
                    Tier {
                        min_quantity: 2,
                        percent: Percent::parse(&(85 + i % 10).to_string()).unwrap(),
                    },
                    Tier {
                        min_quantity: 3,
                        percent: Percent::parse(&(70 + i % 10).to_string()).unwrap(),
                    },
                ],
            })
            .unwrap(),
            _ => {
                let amount = 2 + (i * 7) % 40;
                let threshold = amount + 5 + (i * 13) % 200;
                Benefit::amount_off(Money::yuan(threshold as u32), Money::yuan(amount as u32))
                    .unwrap()
            }
        };
        claims.push(held(i + 1, all.clone(), benefit, 1 + i % 13));
    }
    let subtotal: i64 = lines
        .iter()
        .map(|l| l.price().fen() * i64::from(l.quantity))
        .sum();
    let threshold = subtotal / 2 / 100 * 100;
    let shop = Benefit::amount_off(
        Money::from_fen(threshold).unwrap(),
        Money::from_fen(threshold / 10 / 100 * 100).unwrap(),
    )
    .unwrap();
    claims.push(held(100, Scope::Shop, shop, 4));
    (lines, claims)
}

fn bench_adversarial(c: &mut Criterion) {
    let mut group = c.benchmark_group("quote_adversarial");
    let cases = [
        ("copies_200x200", copies_cart(false)),
        ("copies_200x200_shop_threshold", copies_cart(true)),
        ("rivals_50x50_shop_threshold", rivals_cart()),
    ];
    for (name, (cart, held)) in &cases {
        let priced = quote(cart, held, Money::ZERO, now()).unwrap();
        eprintln!(
            "{name}: subtotal {} discount {} with {} claims, proven optimal: {}",
            priced.subtotal,
            priced.merchant_discount,
            priced.claims_used.len(),
            priced.proven
        );
        group.bench_function(*name, |b| {
            b.iter(|| quote(black_box(cart), black_box(held), Money::ZERO, now()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_quote, bench_adversarial);
criterion_main!(benches);
