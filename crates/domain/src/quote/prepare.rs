//! Folding the claims a customer holds into the few *types* a cart can tell apart.
//!
//! Two item claims that take the same discount off every line of this cart are
//! interchangeable, whatever their coupons: a solution that uses the later-expiring
//! one while the sooner one lies idle is beaten by the swap. So a type keeps its
//! claims soonest first and a solution uses a prefix of them: a count. A type is
//! never used on more lines than it applies to, so no more claims than that are
//! kept. Of shop claims with one benefit only the soonest can matter (one shop claim
//! per order).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{HeldClaim, QuoteLine};
use crate::benefit::Benefit;
use crate::coupon::Scope;
use crate::vocab::Sku;

pub(crate) struct Prepared<'a> {
    pub lines: &'a [QuoteLine],
    /// Each line's amount (activity price × quantity) in fen.
    pub amounts: Vec<i64>,
    pub quantities: Vec<u64>,
    /// Every claim valid now, soonest-expiring first (by expiry, then id): a claim's
    /// index here is its *rank*, and a smaller rank is preferred on ties.
    pub claims: Vec<&'a HeldClaim>,
    pub item_types: Vec<ItemType>,
    pub shop_types: Vec<ShopType<'a>>,
    /// The lines with at least one item option, in the order the search takes them.
    pub order: Vec<usize>,
    /// For each position of `order`: (item type, discount in fen) of its options.
    pub options: Vec<Vec<(u32, i64)>>,
    /// For each item type: the last position with an option of that type.
    pub last_position: Vec<usize>,
    /// Lines with no item option: always covered by the shop claim.
    pub base_amount: i64,
    pub base_quantity: u64,
}

pub(crate) struct ItemType {
    /// Ranks of the claims, soonest first; a solution uses a prefix.
    pub claims: Vec<u32>,
}

pub(crate) struct ShopType<'a> {
    pub rank: u32,
    pub benefit: &'a Benefit,
}

impl<'a> Prepared<'a> {
    pub fn new(
        lines: &'a [QuoteLine],
        amounts: &[i64],
        held: &'a [HeldClaim],
        now: DateTime<Utc>,
    ) -> Prepared<'a> {
        let quantities: Vec<u64> = lines.iter().map(|l| u64::from(l.quantity)).collect();
        let subtotal: i64 = amounts.iter().sum();
        let total_quantity: u64 = quantities.iter().sum();

        let mut claims: Vec<&HeldClaim> = held.iter().filter(|c| c.is_valid_at(now)).collect();
        claims.sort_by_key(|c| (c.valid_until, c.id));
        claims.dedup_by_key(|c| c.id);

        // Claims of one coupon share scope and benefit: group them first, so the
        // discounts below are computed once per coupon, not once per claim.
        let mut groups: Vec<(&Scope, &Benefit, Vec<u32>)> = Vec::new();
        let mut group_of: HashMap<(&Scope, &Benefit), usize> = HashMap::new();
        for (rank, claim) in claims.iter().enumerate() {
            let group = *group_of
                .entry((&claim.scope, &claim.benefit))
                .or_insert_with(|| {
                    groups.push((&claim.scope, &claim.benefit, Vec::new()));
                    groups.len() - 1
                });
            groups[group].2.push(rank as u32);
        }

        let mut lines_of: HashMap<&Sku, Vec<usize>> = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            lines_of.entry(&line.sku).or_default().push(i);
        }

        let mut shop_types = Vec::new();
        // Item claims that discount every line alike form one type.
        let mut type_of: HashMap<Vec<(usize, i64)>, usize> = HashMap::new();
        let mut vectors: Vec<Vec<(usize, i64)>> = Vec::new();
        let mut item_types: Vec<ItemType> = Vec::new();
        for (scope, benefit, ranks) in groups {
            match scope {
                Scope::Shop => {
                    if benefit.discount_fen(subtotal, total_quantity) > 0 {
                        shop_types.push(ShopType {
                            rank: ranks[0],
                            benefit,
                        });
                    }
                }
                Scope::Items { skus } => {
                    let mut vector: Vec<(usize, i64)> = Vec::new();
                    for sku in skus {
                        for &i in lines_of.get(sku).into_iter().flatten() {
                            let discount = benefit.discount_fen(amounts[i], quantities[i]);
                            if discount > 0 {
                                vector.push((i, discount));
                            }
                        }
                    }
                    if vector.is_empty() {
                        continue;
                    }
                    vector.sort_unstable();
                    vector.dedup_by_key(|entry| entry.0);
                    match type_of.get(&vector) {
                        Some(&t) => item_types[t].claims.extend(ranks),
                        None => {
                            type_of.insert(vector.clone(), item_types.len());
                            vectors.push(vector);
                            item_types.push(ItemType { claims: ranks });
                        }
                    }
                }
            }
        }
        for (item_type, vector) in item_types.iter_mut().zip(&vectors) {
            item_type.claims.sort_unstable();
            item_type.claims.truncate(vector.len());
        }

        // Lines of one product share their options: keep them next to each other so
        // a type stops being tracked soon after its last line.
        let mut has_option = vec![false; lines.len()];
        for vector in &vectors {
            for &(i, _) in vector {
                has_option[i] = true;
            }
        }
        let mut order: Vec<usize> = (0..lines.len()).filter(|&i| has_option[i]).collect();
        order.sort_by(|&a, &b| lines[a].sku.cmp(&lines[b].sku).then(a.cmp(&b)));
        let mut position_of = vec![usize::MAX; lines.len()];
        for (p, &i) in order.iter().enumerate() {
            position_of[i] = p;
        }
        let mut options: Vec<Vec<(u32, i64)>> = vec![Vec::new(); order.len()];
        let mut last_position = vec![0usize; item_types.len()];
        for (t, vector) in vectors.iter().enumerate() {
            for &(i, discount) in vector {
                let p = position_of[i];
                options[p].push((t as u32, discount));
                last_position[t] = last_position[t].max(p);
            }
        }
        for list in &mut options {
            // Best options first: good solutions are found early and prune the rest.
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }

        let (base_amount, base_quantity) = (0..lines.len())
            .filter(|&i| !has_option[i])
            .fold((0i64, 0u64), |(a, q), i| {
                (a + amounts[i], q + quantities[i])
            });

        Prepared {
            lines,
            amounts: amounts.to_vec(),
            quantities,
            claims,
            item_types,
            shop_types,
            order,
            options,
            last_position,
            base_amount,
            base_quantity,
        }
    }
}
