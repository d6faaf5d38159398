//! The exact search: a dynamic programme over the lines with item options, one run
//! per shop choice (none, or one per shop type), pruned by dominance and by bounds
//! against the best combination found, within a work budget.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::BuildHasherDefault;

use super::assign::{Assignment, assign};
use super::prepare::Prepared;
use super::{Choice, SEARCH_BUDGET};
use crate::benefit::{Benefit, BenefitSpec};

/// A budget of work steps; once spent, every further request is refused.
pub(crate) struct Work {
    left: u64,
    exhausted: bool,
}

impl Work {
    pub fn new(budget: u64) -> Work {
        Work {
            left: budget,
            exhausted: false,
        }
    }

    /// Takes `steps` from the budget; false (for good) once it is spent.
    pub fn spend(&mut self, steps: u64) -> bool {
        if self.exhausted || self.left < steps {
            self.exhausted = true;
            return false;
        }
        self.left -= steps;
        true
    }
}

/// Usage counts of the types a later line could still use, sorted by type.
type Key = Box<[(u32, u16)]>;
/// States bucketed by the part of their key that can still bind (a type with fewer
/// claims left than lines it could still go to); each keeps its whole key. A fixed
/// hasher: the same cart is always searched in the same order.
type Frontier = HashMap<Key, Vec<(Key, State)>, BuildHasherDefault<DefaultHasher>>;

/// One partial solution.
#[derive(Clone, Copy)]
struct State {
    /// Covered by the shop claim, capped where its benefit stops growing.
    amount: i64,
    quantity: u64,
    /// Discount of the item claims taken so far.
    items: i64,
    claims: u32,
    /// Last item claim taken, in the arena, or NONE.
    trail: u32,
    /// Usage of the types no later line can use, in the dead arena, or NONE: with
    /// the key, the set of claims used, so preference is told without the trail.
    dead: u32,
    /// The bound it was admitted with.
    bound: i64,
}

const NONE: u32 = u32::MAX;

/// Work units one candidate state costs (hashing its key, bounding it), against
/// one unit for an edge scanned or two states compared.
const STATE_COST: u64 = 4;

/// One type that stopped being live, with how many of its claims were used.
struct Dead {
    previous: u32,
    item_type: u32,
    used: u16,
}

/// One item claim taken, linked to the previous one: how a solution is read back.
struct Step {
    previous: u32,
    line: u32,
    rank: u32,
}

/// The best combination found so far.
struct Best {
    total: i64,
    claims: u32,
    /// Ranks of the claims used, ascending.
    ranks: Vec<u32>,
    shop: Option<(u32, i64)>,
    items: Vec<(usize, u32)>,
}

/// Whether `ranks` is preferred to `other` (both ascending): the soonest-expiring
/// claim in which the two sets differ is in `ranks`.
fn prefers(ranks: &[u32], other: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < ranks.len() && j < other.len() {
        match ranks[i].cmp(&other[j]) {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => return true,
            std::cmp::Ordering::Greater => return false,
        }
    }
    i < ranks.len()
}

/// The shop claim being tried, reduced to what the programme needs.
struct ShopChoice<'a> {
    benefit: Option<&'a Benefit>,
    rank: u32,
    amount_cap: i64,
    quantity_cap: u64,
}

impl ShopChoice<'_> {
    fn discount(&self, amount: i64, quantity: u64) -> i64 {
        self.benefit
            .map_or(0, |benefit| benefit.discount_fen(amount, quantity))
    }
}

/// The lines from one position on, cheapest to cover first: the fractional
/// knapsack that bounds what reaching the shop claim's threshold must give up.
struct CoverSuffix {
    /// (amount, ρ) of each line with an amount, by ρ / amount ascending.
    lines: Vec<(i64, i64)>,
    /// Prefix sums of amount and of ρ (one longer than `lines`).
    amount: Vec<i64>,
    loss: Vec<i64>,
}

impl CoverSuffix {
    /// The least ρ given up to cover at least `need` more (fractionally, rounded
    /// down: a lower bound on every real choice); `None` if the lines cannot.
    fn min_loss(&self, need: i64) -> Option<i64> {
        if need <= 0 {
            return Some(0);
        }
        let k = self.amount.partition_point(|&a| a < need);
        if k >= self.amount.len() {
            return None;
        }
        let (amount, rho) = self.lines[k - 1];
        let part = i128::from(rho) * i128::from(need - self.amount[k - 1]) / i128::from(amount);
        Some(self.loss[k - 1] + part as i64)
    }

    /// An upper bound on max over sets F of min(cap, off·(covered + amount(F))) − ρ(F),
    /// off = `off_bp` / 10 000. The relaxed function is concave in the amount covered:
    /// it peaks where the cap is reached or where lines stop paying for their ρ.
    fn linear(&self, off_bp: i64, cap: i64, covered: i64) -> i64 {
        let off = i128::from(off_bp);
        let worth = self
            .lines
            .partition_point(|&(amount, rho)| i128::from(rho) * 10_000 < off * i128::from(amount));
        let scaled = |k: usize| off * i128::from(covered + self.amount[k]);
        if scaled(worth) <= i128::from(cap) * 10_000 {
            // Every real choice's discount is an integer at most this real peak.
            return ((scaled(worth) / 10_000) as i64 - self.loss[worth]).max(0);
        }
        // The cap is reached inside segment j: at most cap − ρ of the lines before it.
        let below = self.amount[..=worth]
            .partition_point(|&a| off * i128::from(covered + a) <= i128::from(cap) * 10_000);
        (cap - self.loss[below.saturating_sub(1)]).max(0)
    }
}

struct Search<'p, 'a> {
    prep: &'p Prepared<'a>,
    platform: i64,
    ceiling: i64,
    /// Price of each item type (see `assign`).
    prices: Vec<i64>,
    /// Σ over positions ≥ p of ρ = max(0, max discount − price).
    rho_from: Vec<i64>,
    /// Σ over types live at p (an option at p or later) of price × count.
    priced_from: Vec<i64>,
    amount_from: Vec<i64>,
    quantity_from: Vec<u64>,
    /// Per position, when some shop claim is held.
    cover: Vec<CoverSuffix>,
    /// For each item type, the positions with an option of it, ascending.
    positions_of: Vec<Vec<usize>>,
    arena: Vec<Step>,
    dead: Vec<Dead>,
    best: Best,
}

/// The best choice for `prep`: exact unless the work budget ran out first.
pub(crate) fn best(prep: &Prepared, platform: i64, subtotal: i64) -> Choice {
    let mut work = Work::new(SEARCH_BUDGET);
    let counts: Vec<u32> = prep
        .item_types
        .iter()
        .map(|t| t.claims.len() as u32)
        .collect();
    let assignment = assign(&counts, &prep.options, &mut work);
    let mut search = Search::new(prep, platform, subtotal, assignment.prices.clone());
    search.seed(&assignment);

    let mut choices: Vec<(i64, Option<usize>)> = vec![(i64::MAX, None)];
    for s in 0..prep.shop_types.len() {
        let choice = search.shop_choice(Some(s));
        let start = search.start(&choice);
        choices.push((search.bound(&choice, &start, &[], 0), Some(s)));
    }
    // No shop claim first, then the most promising shop claims.
    choices.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, shop) in choices {
        if !search.run(shop, &mut work) {
            break;
        }
    }
    Choice {
        shop: search.best.shop,
        items: search.best.items,
        proven: !work.exhausted,
    }
}

impl<'p, 'a> Search<'p, 'a> {
    fn new(prep: &'p Prepared<'a>, platform: i64, subtotal: i64, prices: Vec<i64>) -> Self {
        let positions = prep.order.len();
        let mut rho = vec![0i64; positions];
        for (p, list) in prep.options.iter().enumerate() {
            rho[p] = list
                .iter()
                .map(|&(t, d)| d - prices[t as usize])
                .max()
                .unwrap_or(0)
                .max(0);
        }
        let mut rho_from = vec![0i64; positions + 1];
        let mut amount_from = vec![0i64; positions + 1];
        let mut quantity_from = vec![0u64; positions + 1];
        for p in (0..positions).rev() {
            let line = prep.order[p];
            rho_from[p] = rho_from[p + 1] + rho[p];
            amount_from[p] = amount_from[p + 1] + prep.amounts[line];
            quantity_from[p] = quantity_from[p + 1] + prep.quantities[line];
        }
        let mut priced_from = vec![0i64; positions + 1];
        for (t, item_type) in prep.item_types.iter().enumerate() {
            let priced = prices[t] * item_type.claims.len() as i64;
            for slot in &mut priced_from[..=prep.last_position[t]] {
                *slot += priced;
            }
        }
        let cover = if prep.shop_types.is_empty() {
            Vec::new()
        } else {
            cover_suffixes(prep, &rho)
        };
        let mut positions_of = vec![Vec::new(); prep.item_types.len()];
        for (p, list) in prep.options.iter().enumerate() {
            for &(t, _) in list {
                positions_of[t as usize].push(p);
            }
        }
        let ceiling = subtotal - subtotal.min(1);
        Search {
            positions_of,
            prep,
            platform,
            ceiling,
            prices,
            rho_from,
            priced_from,
            amount_from,
            quantity_from,
            cover,
            arena: Vec::new(),
            dead: Vec::new(),
            best: Best {
                total: platform.min(ceiling),
                claims: 0,
                ranks: Vec::new(),
                shop: None,
                items: Vec::new(),
            },
        }
    }

    /// The total discount a merchant discount gives, the platform's on top, kept
    /// below the 0.01 the order must pay.
    fn total(&self, merchant: i64) -> i64 {
        (merchant + self.platform).min(self.ceiling)
    }

    fn shop_choice(&self, shop: Option<usize>) -> ShopChoice<'a> {
        match shop {
            None => ShopChoice {
                benefit: None,
                rank: 0,
                amount_cap: 0,
                quantity_cap: 0,
            },
            Some(s) => {
                let shop = &self.prep.shop_types[s];
                ShopChoice {
                    benefit: Some(shop.benefit),
                    rank: shop.rank,
                    amount_cap: shop
                        .benefit
                        .saturating_amount()
                        .map_or(i64::MAX, |m| m.fen()),
                    quantity_cap: u64::from(shop.benefit.saturating_quantity()),
                }
            }
        }
    }

    fn start(&self, choice: &ShopChoice) -> State {
        State {
            amount: self.prep.base_amount.min(choice.amount_cap),
            quantity: self.prep.base_quantity.min(choice.quantity_cap),
            items: 0,
            claims: 0,
            trail: NONE,
            dead: NONE,
            bound: i64::MAX,
        }
    }

    /// Takes a combination as the best if it beats the best so far.
    fn offer(&mut self, merchant: i64, claims: u32, solution: impl FnOnce() -> Solution) {
        let total = self.total(merchant);
        if total < self.best.total || (total == self.best.total && claims > self.best.claims) {
            return;
        }
        let solution = solution();
        let mut ranks: Vec<u32> = solution.items.iter().map(|&(_, r)| r).collect();
        ranks.extend(solution.shop.map(|(r, _)| r));
        ranks.sort_unstable();
        if total == self.best.total
            && claims == self.best.claims
            && !prefers(&ranks, &self.best.ranks)
        {
            return;
        }
        self.best = Best {
            total,
            claims,
            ranks,
            shop: solution.shop,
            items: solution.items,
        };
    }

    /// First incumbents: the item assignment alone, and for each shop claim that
    /// assignment with the lines it leaves bare covered, then giving the shop claim
    /// the assigned lines that cost least per yuan of threshold, one at a time.
    fn seed(&mut self, assignment: &Assignment) {
        let prep = self.prep;
        let mut next = vec![0usize; prep.item_types.len()];
        let mut items: Vec<(usize, u32, i64)> = Vec::new(); // (position, rank, discount)
        for (p, assigned) in assignment.type_at.iter().enumerate() {
            if let Some(t) = *assigned {
                let t = t as usize;
                let rank = prep.item_types[t].claims[next[t]];
                next[t] += 1;
                let discount = prep.options[p]
                    .iter()
                    .find(|o| o.0 as usize == t)
                    .map_or(0, |o| o.1);
                items.push((p, rank, discount));
            }
        }
        let as_solution = |items: &[(usize, u32, i64)], shop: Option<(u32, i64)>| Solution {
            shop,
            items: items
                .iter()
                .map(|&(p, rank, _)| (prep.order[p], rank))
                .collect(),
        };
        let item_discount: i64 = items.iter().map(|i| i.2).sum();
        self.offer(item_discount, items.len() as u32, || {
            as_solution(&items, None)
        });

        // Cheapest lines to release first: discount per fen of amount.
        items.sort_by(|a, b| {
            let (la, lb) = (prep.order[a.0], prep.order[b.0]);
            (i128::from(a.2) * i128::from(prep.amounts[lb]))
                .cmp(&(i128::from(b.2) * i128::from(prep.amounts[la])))
        });
        let assigned: Vec<bool> = assignment.type_at.iter().map(Option::is_some).collect();
        for s in 0..prep.shop_types.len() {
            let choice = self.shop_choice(Some(s));
            let (mut amount, mut quantity) = (prep.base_amount, prep.base_quantity);
            for (p, &line) in prep.order.iter().enumerate() {
                if !assigned[p] {
                    amount += prep.amounts[line];
                    quantity += prep.quantities[line];
                }
            }
            let mut item_discount = item_discount;
            for released in 0..=items.len() {
                if released > 0 {
                    let line = prep.order[items[released - 1].0];
                    amount += prep.amounts[line];
                    quantity += prep.quantities[line];
                    item_discount -= items[released - 1].2;
                }
                let shop = choice.discount(amount, quantity);
                let kept = &items[released..];
                let claims = kept.len() as u32 + u32::from(shop > 0);
                self.offer(item_discount + shop, claims, || {
                    as_solution(kept, (shop > 0).then_some((choice.rank, shop)))
                });
            }
        }
    }

    /// An upper bound on the total any completion of `state` (at position `p`,
    /// with `key` the usage of the types still live) can reach.
    fn bound(&self, choice: &ShopChoice, state: &State, key: &[(u32, u16)], p: usize) -> i64 {
        let spent: i64 = key
            .iter()
            .map(|&(t, used)| self.prices[t as usize] * i64::from(used))
            .sum();
        let items = state.items + self.priced_from[p] - spent + self.rho_from[p];
        self.total(items + self.shop_bound(choice, state.amount, state.quantity, p))
    }

    /// The bound of `state` if it may still beat the best found.
    fn promising(
        &self,
        choice: &ShopChoice,
        state: &State,
        key: &[(u32, u16)],
        p: usize,
    ) -> Option<i64> {
        let bound = self.bound(choice, state, key, p);
        (bound > self.best.total || (bound == self.best.total && state.claims <= self.best.claims))
            .then_some(bound)
    }

    /// An upper bound on the shop claim's discount less the item discount its
    /// covering gives up, from position `p` on.
    fn shop_bound(&self, choice: &ShopChoice, amount: i64, quantity: u64, p: usize) -> i64 {
        let Some(benefit) = choice.benefit else {
            return 0;
        };
        let rest_quantity = quantity + self.quantity_from[p];
        let most = benefit.discount_fen(amount + self.amount_from[p], rest_quantity);
        let now = benefit.discount_fen(amount, quantity);
        if most == now {
            return now;
        }
        let cover = &self.cover[p];
        let reach = match benefit.spec() {
            BenefitSpec::AmountOff {
                threshold,
                amount: off,
            } if !threshold.is_zero() => cover
                .min_loss(threshold.fen() - amount)
                .map_or(0, |loss| off.fen() - loss),
            BenefitSpec::AmountOff { amount: off, .. } => cover.linear(10_000, off.fen(), amount),
            BenefitSpec::PercentOff {
                percent,
                max_discount,
                ..
            } => cover.linear(
                percent.off_basis_points(),
                max_discount.map_or(i64::MAX, |m| m.fen()),
                amount,
            ),
            BenefitSpec::TieredPercent { tiers } => tiers
                .iter()
                .rev()
                .find(|tier| rest_quantity >= u64::from(tier.min_quantity))
                .map_or(0, |tier| {
                    cover.linear(tier.percent.off_basis_points(), i64::MAX, amount)
                }),
        };
        reach.max(now).min(most)
    }

    /// Runs the programme for one shop choice; false once the budget is spent.
    fn run(&mut self, shop: Option<usize>, work: &mut Work) -> bool {
        let prep = self.prep;
        let choice = self.shop_choice(shop);
        let start = self.start(&choice);
        if self.promising(&choice, &start, &[], 0).is_none() {
            return true;
        }
        let mut frontier = Frontier::default();
        frontier.insert(Box::new([]), vec![(Box::new([]), start)]);
        let mut scratch: Vec<(u32, u16)> = Vec::new();

        for (p, &line) in prep.order.iter().enumerate() {
            let amount = prep.amounts[line];
            let quantity = prep.quantities[line];
            let live = |t: u32| prep.last_position[t as usize] > p;
            let mut next = Frontier::default();
            for (key, state) in frontier.drain().flat_map(|(_, entries)| entries) {
                let kept: Key = key.iter().copied().filter(|&(t, _)| live(t)).collect();
                {
                    // Cover the line with the shop claim (or leave it bare).
                    if !work.spend(STATE_COST) {
                        return false;
                    }
                    let covered = State {
                        amount: (state.amount + amount).min(choice.amount_cap),
                        quantity: (state.quantity + quantity).min(choice.quantity_cap),
                        ..state
                    };
                    if let Some(bound) = self.promising(&choice, &covered, &kept, p + 1) {
                        let covered = State {
                            dead: self.bury(state.dead, &key, None, p),
                            bound,
                            ..covered
                        };
                        if !self.insert(&mut next, kept.clone(), covered, p + 1, work) {
                            return false;
                        }
                    }
                    // Or give it one of its item types with a claim left.
                    for &(t, discount) in &prep.options[p] {
                        let at = key.binary_search_by_key(&t, |e| e.0);
                        let used = at.map_or(0, |i| key[i].1);
                        let item_type = &prep.item_types[t as usize];
                        if usize::from(used) >= item_type.claims.len() {
                            continue;
                        }
                        if !work.spend(STATE_COST) {
                            return false;
                        }
                        let taken = State {
                            items: state.items + discount,
                            claims: state.claims + 1,
                            ..state
                        };
                        scratch.clear();
                        scratch.extend(key.iter().copied().filter(|&(u, _)| u != t && live(u)));
                        if live(t) {
                            let place = scratch.partition_point(|e| e.0 < t);
                            scratch.insert(place, (t, used + 1));
                        }
                        let Some(bound) = self.promising(&choice, &taken, &scratch, p + 1) else {
                            continue;
                        };
                        self.arena.push(Step {
                            previous: state.trail,
                            line: line as u32,
                            rank: item_type.claims[usize::from(used)],
                        });
                        let taken = State {
                            trail: (self.arena.len() - 1) as u32,
                            dead: self.bury(state.dead, &key, Some((t, used + 1)), p),
                            bound,
                            ..taken
                        };
                        let key: Key = scratch.as_slice().into();
                        if !self.insert(&mut next, key, taken, p + 1, work) {
                            return false;
                        }
                    }
                }
            }
            frontier = next;
            if frontier.is_empty() {
                return true;
            }
        }

        for (_, state) in frontier.into_values().flatten() {
            let shop_discount = choice.discount(state.amount, state.quantity);
            let uses_shop = shop_discount > 0;
            let claims = state.claims + u32::from(uses_shop);
            if !work.spend(1 + u64::from(claims)) {
                return false;
            }
            let items = self.items_of(state.trail);
            self.offer(state.items + shop_discount, claims, || Solution {
                shop: uses_shop.then_some((choice.rank, shop_discount)),
                items,
            });
        }
        true
    }

    /// Adds `state` (at position `p`, with its whole `key`) unless a state in its
    /// bucket is at least as good whatever follows; drops the states it is at least
    /// as good as. False once the budget is spent.
    fn insert(
        &self,
        next: &mut Frontier,
        key: Key,
        state: State,
        p: usize,
        work: &mut Work,
    ) -> bool {
        let binding: Key = key
            .iter()
            .copied()
            .filter(|&(t, used)| {
                let positions = &self.positions_of[t as usize];
                let ahead = positions.len() - positions.partition_point(|&q| q < p);
                let left = self.prep.item_types[t as usize].claims.len() - usize::from(used);
                left < ahead
            })
            .collect();
        let entries = next.entry(binding).or_default();
        if !work.spend(1 + entries.len() as u64) {
            return false;
        }
        if entries.iter().any(|(k, s)| self.covers(k, s, &key, &state)) {
            return true;
        }
        entries.retain(|(k, s)| !self.covers(&key, &state, k, s));
        entries.push((key, state));
        true
    }

    /// Whether state `a` (with key `ka`) is at least as good as `b` whatever follows.
    /// In one bucket the types that can still bind are used alike, so every
    /// completion of `b` is one of `a`. A larger item discount then wins outright
    /// unless the payable floor could cap both alike; with the same key, the claims
    /// sets differ only in types no later line can use, so fewer claims, then the
    /// preferred set, decide.
    fn covers(&self, ka: &[(u32, u16)], a: &State, kb: &[(u32, u16)], b: &State) -> bool {
        if a.amount < b.amount || a.quantity < b.quantity || a.items < b.items {
            return false;
        }
        if a.items > b.items && b.bound < self.ceiling {
            return true;
        }
        ka == kb && a.claims <= b.claims && (a.dead == b.dead || !self.dead_prefers(b.dead, a.dead))
    }

    /// Records the types that die at position `p` (`key` before the line, with
    /// `taken` the type taken on it and its new count) on top of `dead`.
    fn bury(
        &mut self,
        mut dead: u32,
        key: &[(u32, u16)],
        taken: Option<(u32, u16)>,
        p: usize,
    ) -> u32 {
        let dies = |t: u32| self.prep.last_position[t as usize] == p;
        let mut entries: Vec<(u32, u16)> = key
            .iter()
            .copied()
            .filter(|&(t, _)| Some(t) != taken.map(|x| x.0))
            .chain(taken)
            .filter(|&(t, used)| used > 0 && dies(t))
            .collect();
        entries.sort_unstable();
        for (item_type, used) in entries {
            self.dead.push(Dead {
                previous: dead,
                item_type,
                used,
            });
            dead = (self.dead.len() - 1) as u32;
        }
        dead
    }

    /// Whether the claims recorded in `a` are preferred to those in `b`: the
    /// soonest-expiring claim where they differ is in `a`. Within a type a prefix
    /// is used, so a type used more in one differs first at the other's count.
    fn dead_prefers(&self, a: u32, b: u32) -> bool {
        let chain = |mut at: u32| {
            let mut entries = Vec::new();
            while at != NONE {
                let node = &self.dead[at as usize];
                entries.push((node.item_type, node.used));
                at = node.previous;
            }
            entries.sort_unstable();
            entries
        };
        let (a, b) = (chain(a), chain(b));
        let mut decisive: Option<(u32, bool)> = None;
        let mut consider = |t: u32, ua: u16, ub: u16| {
            if ua != ub {
                let rank = self.prep.item_types[t as usize].claims[usize::from(ua.min(ub))];
                if decisive.is_none_or(|(r, _)| rank < r) {
                    decisive = Some((rank, ua > ub));
                }
            }
        };
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(&(ta, ua)), Some(&(tb, ub))) if ta == tb => {
                    consider(ta, ua, ub);
                    i += 1;
                    j += 1;
                }
                (Some(&(ta, ua)), Some(&(tb, _))) if ta < tb => {
                    consider(ta, ua, 0);
                    i += 1;
                }
                (Some(&(ta, ua)), None) => {
                    consider(ta, ua, 0);
                    i += 1;
                }
                (_, Some(&(tb, ub))) => {
                    consider(tb, 0, ub);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        decisive.is_some_and(|(_, a_wins)| a_wins)
    }

    fn items_of(&self, trail: u32) -> Vec<(usize, u32)> {
        self.steps(trail)
            .map(|s| (s.line as usize, s.rank))
            .collect()
    }

    fn steps(&self, mut trail: u32) -> impl Iterator<Item = &Step> {
        std::iter::from_fn(move || {
            (trail != NONE).then(|| {
                let step = &self.arena[trail as usize];
                trail = step.previous;
                step
            })
        })
    }
}

/// A complete combination, as offered to [`Search::offer`].
struct Solution {
    shop: Option<(u32, i64)>,
    items: Vec<(usize, u32)>,
}

/// For each position, the lines from it on sorted cheapest-to-cover first (ρ per
/// fen of amount), with prefix sums; built from the last position back.
fn cover_suffixes(prep: &Prepared, rho: &[i64]) -> Vec<CoverSuffix> {
    let positions = prep.order.len();
    let mut suffixes = Vec::with_capacity(positions + 1);
    let mut sorted: Vec<(i64, i64)> = Vec::new();
    let finish = |sorted: &[(i64, i64)]| {
        let mut amount = vec![0i64; sorted.len() + 1];
        let mut loss = vec![0i64; sorted.len() + 1];
        for (k, &(a, r)) in sorted.iter().enumerate() {
            amount[k + 1] = amount[k] + a;
            loss[k + 1] = loss[k] + r;
        }
        CoverSuffix {
            lines: sorted.to_vec(),
            amount,
            loss,
        }
    };
    suffixes.push(finish(&sorted));
    for p in (0..positions).rev() {
        let amount = prep.amounts[prep.order[p]];
        if amount > 0 {
            let entry = (amount, rho[p]);
            let place = sorted.partition_point(|&(a, r)| {
                i128::from(r) * i128::from(entry.0) <= i128::from(entry.1) * i128::from(a)
            });
            sorted.insert(place, entry);
        }
        suffixes.push(finish(&sorted));
    }
    suffixes.reverse();
    suffixes
}
