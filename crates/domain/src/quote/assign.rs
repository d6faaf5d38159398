//! The item claims alone: the maximum-weight assignment of types to lines, and a
//! price per type under which that assignment is optimal.
//!
//! The assignment is a min-cost flow (source → type, at most its count → line, at
//! most one → sink; cost = −discount). Most carts are solved by the greedy choice
//! (largest discounts first), so that is tried first; the prices then prove it
//! optimal or show it is not, and only then is the flow grown from empty one
//! shortest augmenting path at a time (Dijkstra on reduced costs).
//!
//! The prices are the smallest dual values of the types' counts (LP duality:
//! μ_type + π_line ≥ discount, equal where assigned), found as shortest paths over
//! the difference constraints complementary slackness gives. With them, "item
//! discount ≤ Σ max(0, discount − μ) per line + Σ μ × count left" bounds any partial
//! solution's item discount — exactly, on the assignment itself.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::search::Work;

pub(crate) struct Assignment {
    /// For each position: the type assigned to it, if any.
    pub type_at: Vec<Option<u32>>,
    /// For each type: its price μ ≥ 0 (all zero if the budget ran out first).
    pub prices: Vec<i64>,
}

/// Rounds of price relaxation a greedy assignment gets to prove itself optimal.
const GREEDY_ROUNDS: usize = 12;

/// `counts[t]`: claims of type t; `options[p]`: (type, discount) at position p.
pub(crate) fn assign(counts: &[u32], options: &[Vec<(u32, i64)>], work: &mut Work) -> Assignment {
    let greedy = greedy(counts, options, work);
    // An optimal assignment's prices settle in a few rounds; a greedy one that is
    // not optimal would keep them moving for as many rounds as there are nodes.
    if let Some(prices) = prices(counts, options, &greedy, GREEDY_ROUNDS, work) {
        return Assignment {
            type_at: greedy,
            prices,
        };
    }
    match shortest_paths(counts, options, work) {
        Some(type_at) => {
            let prices = prices(counts, options, &type_at, usize::MAX, work);
            Assignment {
                prices: prices.unwrap_or_else(|| vec![0; counts.len()]),
                type_at,
            }
        }
        None => Assignment {
            prices: vec![0; counts.len()],
            type_at: greedy,
        },
    }
}

/// Largest discounts first, while the type has claims and the line is free.
fn greedy(counts: &[u32], options: &[Vec<(u32, i64)>], work: &mut Work) -> Vec<Option<u32>> {
    let mut all: Vec<(i64, usize, u32)> = options
        .iter()
        .enumerate()
        .flat_map(|(p, list)| list.iter().map(move |&(t, d)| (d, p, t)))
        .collect();
    work.spend(all.len() as u64);
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left: Vec<u32> = counts.to_vec();
    let mut type_at = vec![None; options.len()];
    for (_, p, t) in all {
        if type_at[p].is_none() && left[t as usize] > 0 {
            type_at[p] = Some(t);
            left[t as usize] -= 1;
        }
    }
    type_at
}

struct Edge {
    to: usize,
    capacity: i64,
    cost: i64,
}

/// Successive shortest augmenting paths from the empty flow, while a path gains.
/// `None` if the budget runs out first.
fn shortest_paths(
    counts: &[u32],
    options: &[Vec<(u32, i64)>],
    work: &mut Work,
) -> Option<Vec<Option<u32>>> {
    let types = counts.len();
    let positions = options.len();
    let source = 0;
    let type_node = |t: usize| 1 + t;
    let position_node = |p: usize| 1 + types + p;
    let sink = 1 + types + positions;
    let nodes = sink + 1;

    let mut edges: Vec<Edge> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    // Returns the index of the forward edge; its reverse is the index ^ 1.
    let mut add = |from: usize, to: usize, capacity: i64, cost: i64| {
        let index = edges.len();
        out[from].push(index);
        edges.push(Edge { to, capacity, cost });
        out[to].push(index + 1);
        edges.push(Edge {
            to: from,
            capacity: 0,
            cost: -cost,
        });
        index
    };
    for (t, &count) in counts.iter().enumerate() {
        add(source, type_node(t), i64::from(count), 0);
    }
    let mut option_edges = Vec::new();
    for (p, list) in options.iter().enumerate() {
        for &(t, discount) in list {
            let index = add(type_node(t as usize), position_node(p), 1, -discount);
            option_edges.push((index, t, p));
        }
        add(position_node(p), sink, 1, 0);
    }

    // Potentials: shortest distances in the first graph, a DAG source → types →
    // positions → sink, so that every reduced cost is ≥ 0.
    let mut potential = vec![0i64; nodes];
    for (p, list) in options.iter().enumerate() {
        potential[position_node(p)] = list.iter().map(|o| -o.1).min().unwrap_or(0).min(0);
    }
    potential[sink] = (0..positions)
        .map(|p| potential[position_node(p)])
        .min()
        .unwrap_or(0)
        .min(0);

    let mut distance = vec![i64::MAX; nodes];
    let mut via = vec![usize::MAX; nodes];
    let mut heap = BinaryHeap::new();
    loop {
        distance.fill(i64::MAX);
        via.fill(usize::MAX);
        distance[source] = 0;
        heap.push(Reverse((0i64, source)));
        while let Some(Reverse((d, node))) = heap.pop() {
            if d > distance[node] {
                continue;
            }
            if !work.spend(1 + out[node].len() as u64) {
                return None;
            }
            for &e in &out[node] {
                let edge = &edges[e];
                if edge.capacity <= 0 {
                    continue;
                }
                let reduced = edge.cost + potential[node] - potential[edge.to];
                let next = d + reduced;
                if next < distance[edge.to] {
                    distance[edge.to] = next;
                    via[edge.to] = e;
                    heap.push(Reverse((next, edge.to)));
                }
            }
        }
        if distance[sink] == i64::MAX {
            break;
        }
        // The real cost of the path: does it still gain?
        if distance[sink] + potential[sink] - potential[source] >= 0 {
            break;
        }
        for node in 0..nodes {
            if distance[node] != i64::MAX {
                potential[node] += distance[node];
            }
        }
        let mut node = sink;
        while node != source {
            let e = via[node];
            edges[e].capacity -= 1;
            edges[e ^ 1].capacity += 1;
            node = edges[e ^ 1].to;
        }
    }
    let mut type_at = vec![None; positions];
    for &(e, t, p) in &option_edges {
        if edges[e].capacity == 0 {
            type_at[p] = Some(t);
        }
    }
    Some(type_at)
}

/// The smallest μ (and largest π) satisfying, for `type_at`:
/// μ_t + π_p ≥ d for every option, = d where assigned; μ, π ≥ 0; μ_t = 0 for a type
/// not used up; π_p = 0 for a position left unassigned. As difference constraints
/// (x_b − x_a ≤ c is an edge a → b of length c, with u_t = μ_t, w_p = −π_p and a
/// zero node z), the smallest solution is x_v = −(shortest path v ⇝ z): shortest
/// paths from z over the reversed edges. `None` if a negative cycle shows the
/// assignment is not optimal, or it takes more than `rounds` rounds or the budget.
fn prices(
    counts: &[u32],
    options: &[Vec<(u32, i64)>],
    type_at: &[Option<u32>],
    rounds: usize,
    work: &mut Work,
) -> Option<Vec<i64>> {
    let types = counts.len();
    let z = 0;
    let u = |t: usize| 1 + t;
    let w = |p: usize| 1 + types + p;
    let nodes = 1 + types + options.len();
    let mut used = vec![0u32; types];
    for t in type_at.iter().flatten() {
        used[*t as usize] += 1;
    }
    // Reversed edges: (from, to, length).
    let mut reversed: Vec<(usize, usize, i64)> = Vec::new();
    for (t, &count) in counts.iter().enumerate() {
        reversed.push((z, u(t), 0)); // u_t ≥ 0
        if used[t] < count {
            reversed.push((u(t), z, 0)); // u_t ≤ 0
        }
    }
    for (p, list) in options.iter().enumerate() {
        reversed.push((w(p), z, 0)); // w_p ≤ 0
        if type_at[p].is_none() {
            reversed.push((z, w(p), 0)); // w_p ≥ 0
        }
        for &(t, discount) in list {
            reversed.push((w(p), u(t as usize), -discount)); // u_t − w_p ≥ d
            if type_at[p] == Some(t) {
                reversed.push((u(t as usize), w(p), discount)); // u_t − w_p ≤ d
            }
        }
    }
    let mut distance = vec![i64::MAX; nodes];
    distance[z] = 0;
    for _ in 0..=nodes.min(rounds) {
        if !work.spend(reversed.len() as u64) {
            return None;
        }
        let mut changed = false;
        for &(from, to, length) in &reversed {
            if distance[from] != i64::MAX && distance[from] + length < distance[to] {
                distance[to] = distance[from] + length;
                changed = true;
            }
        }
        if !changed {
            return Some((0..types).map(|t| -distance[u(t)]).collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(options: &[Vec<(u32, i64)>], found: &Assignment) -> i64 {
        options
            .iter()
            .map(|list| {
                list.iter()
                    .map(|&(t, d)| (d - found.prices[t as usize]).max(0))
                    .max()
                    .unwrap_or(0)
            })
            .sum::<i64>()
            + found.prices.iter().sum::<i64>()
    }

    #[test]
    fn assigns_the_scarce_claim_where_it_gains_most_and_prices_it() {
        // One claim, two lines: it goes to the line where it takes 10 off, and its
        // price is what the other line would have gained (8).
        let mut work = Work::new(10_000);
        let found = assign(&[1], &[vec![(0, 10)], vec![(0, 8)]], &mut work);
        assert_eq!(found.type_at, vec![Some(0), None]);
        assert_eq!(found.prices, vec![8]);
    }

    #[test]
    fn a_plentiful_type_costs_nothing() {
        let mut work = Work::new(10_000);
        let found = assign(&[5], &[vec![(0, 10)], vec![(0, 8)]], &mut work);
        assert_eq!(found.type_at, vec![Some(0), Some(0)]);
        assert_eq!(found.prices, vec![0]);
    }

    #[test]
    fn where_greedy_is_wrong_the_flow_is_right() {
        // Type 0 fits both lines, type 1 only the first. Greedy gives type 0 the
        // first line (12) and leaves the second bare; the flow moves it: 10 + 12.
        let mut work = Work::new(10_000);
        let options = vec![vec![(0, 12), (1, 10)], vec![(0, 12)]];
        assert_eq!(greedy(&[1, 1], &options, &mut work), vec![Some(0), None]);
        let found = assign(&[1, 1], &options, &mut work);
        assert_eq!(found.type_at, vec![Some(1), Some(0)]);
        assert_eq!(bound(&options, &found), 22, "the prices are tight");
    }
}
