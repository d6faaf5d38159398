//! `cargo bench -p domain`: the best-price quote for carts of 1, 5, 20 and 50 lines
//! against 30 held claims. Target: 20 lines × 30 claims under 1 ms median.

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

criterion_group!(benches, bench_quote);
criterion_main!(benches);
