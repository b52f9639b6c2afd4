//! "What to fund next": the set of initiatives within a budget that cuts the most expected loss
//! net of cost, respecting "B requires A", found exactly by branch and bound.
//!
//! The expected annual loss of a scenario under controls whose effects leave the shares `fᵢ` of
//! frequency and `gᵢ` of magnitude is exactly `base × Πfᵢ × Πgᵢ` (the compound mean is rate ×
//! mean loss), so any set is valued without simulating it. Marginal gains shrink as a set grows
//! (effects on one scenario multiply), so each remaining item's marginal gain now bounds its gain
//! later; the bound for pruning is the best fractional filling of the remaining budget with those
//! gains (the knapsack relaxation, which ignores requirements).

/// Search nodes visited at most; past it the best set found is returned, marked not exact.
const NODE_LIMIT: u64 = 5_000_000;

/// Tolerance for comparing money amounts.
const EPS: f64 = 1e-9;

/// One initiative as the search sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    /// Annual cost.
    pub cost: f64,
    /// Indices of items that must be chosen too.
    pub requires: Vec<usize>,
    /// (scenario index, share of its expected loss that remains).
    pub effects: Vec<(usize, f64)>,
}

/// Why an item was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeftOut {
    /// It needs this item, which is not chosen.
    Needs(usize),
    /// It would save less than it costs.
    NotWorthIt,
    /// It does not fit in what is left of the budget.
    OverBudget,
}

/// The chosen items in the order to fund them, and the others with a reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Choice {
    /// Chosen items: requirements first, then the best return on the remaining loss.
    pub order: Vec<usize>,
    /// Items left out.
    pub left_out: Vec<(usize, LeftOut)>,
    /// False when the search stopped at its node limit (the set is then the best found).
    pub exact: bool,
}

/// Chooses items within `budget` (compared with their summed annual cost) maximising expected loss
/// reduction minus cost. `base[s]` is scenario s's expected annual loss without any item; items'
/// requirements must not form a cycle.
pub(crate) fn choose(base: &[f64], items: &[Item], budget: f64) -> Choice {
    let mut search = Search {
        base,
        items,
        order: requirements_first(items),
        budget,
        factor: vec![1.0; base.len()],
        chosen: vec![false; items.len()],
        best: vec![false; items.len()],
        best_value: 0.0,
        nodes: 0,
    };
    search.visit(0, 0.0, 0.0);
    let exact = search.nodes <= NODE_LIMIT;
    let chosen = search.best.clone();
    // Present the chosen set greedily: among items whose requirements are listed, the best
    // marginal reduction per unit of cost first.
    let mut factor = vec![1.0; base.len()];
    let mut listed = vec![false; items.len()];
    let mut order = Vec::new();
    while let Some(next) = (0..items.len())
        .filter(|&i| chosen[i] && !listed[i] && items[i].requires.iter().all(|&r| listed[r]))
        .max_by(|&a, &b| {
            let ratio = |i: usize| marginal(base, &factor, &items[i]) / items[i].cost.max(EPS);
            ratio(a).total_cmp(&ratio(b)).then(b.cmp(&a))
        })
    {
        apply(&mut factor, &items[next]);
        listed[next] = true;
        order.push(next);
    }
    let spent: f64 = order.iter().map(|&i| items[i].cost).sum();
    let left_out = (0..items.len())
        .filter(|&i| !chosen[i])
        .map(|i| {
            let reason = if let Some(&r) = items[i].requires.iter().find(|&&r| !chosen[r]) {
                LeftOut::Needs(r)
            } else if marginal(base, &factor, &items[i]) <= items[i].cost {
                LeftOut::NotWorthIt
            } else {
                debug_assert!(spent + items[i].cost > budget);
                LeftOut::OverBudget
            };
            (i, reason)
        })
        .collect();
    Choice {
        order,
        left_out,
        exact,
    }
}

/// The expected loss an item would remove, given the current remaining shares.
fn marginal(base: &[f64], factor: &[f64], item: &Item) -> f64 {
    item.effects
        .iter()
        .map(|&(s, r)| base[s] * factor[s] * (1.0 - r))
        .sum()
}

fn apply(factor: &mut [f64], item: &Item) {
    for &(s, r) in &item.effects {
        factor[s] *= r;
    }
}

/// Item indices ordered so that every item comes after the items it requires.
fn requirements_first(items: &[Item]) -> Vec<usize> {
    fn place(i: usize, items: &[Item], placed: &mut [bool], out: &mut Vec<usize>) {
        if placed[i] {
            return;
        }
        placed[i] = true;
        for &r in &items[i].requires {
            place(r, items, placed, out);
        }
        out.push(i);
    }
    let mut placed = vec![false; items.len()];
    let mut out = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        place(i, items, &mut placed, &mut out);
    }
    out
}

struct Search<'a> {
    base: &'a [f64],
    items: &'a [Item],
    order: Vec<usize>,
    budget: f64,
    factor: Vec<f64>,
    chosen: Vec<bool>,
    best: Vec<bool>,
    best_value: f64,
    nodes: u64,
}

impl Search<'_> {
    /// The most the items from `depth` on could add with `left` to spend: positive gains taken
    /// best gain per unit of cost first, the last one in part.
    fn bound(&self, depth: usize, left: f64) -> f64 {
        let mut gains: Vec<(f64, f64)> = self.order[depth..]
            .iter()
            .map(|&j| &self.items[j])
            .filter(|item| item.cost <= left + EPS)
            .map(|item| {
                (
                    marginal(self.base, &self.factor, item) - item.cost,
                    item.cost,
                )
            })
            .filter(|&(gain, _)| gain > 0.0)
            .collect();
        gains.sort_by(|a, b| (b.0 / b.1).total_cmp(&(a.0 / a.1)));
        let (mut bound, mut room) = (0.0, left);
        for (gain, cost) in gains {
            if cost <= room {
                bound += gain;
                room -= cost;
            } else {
                return bound + gain * room / cost;
            }
        }
        bound
    }

    fn visit(&mut self, depth: usize, spent: f64, value: f64) {
        self.nodes += 1;
        if self.nodes > NODE_LIMIT {
            return;
        }
        if value > self.best_value + EPS {
            self.best_value = value;
            self.best.clone_from(&self.chosen);
        }
        let Some(&i) = self.order.get(depth) else {
            return;
        };
        let left = self.budget - spent;
        if value + self.bound(depth, left) <= self.best_value + EPS {
            return;
        }
        let item = &self.items[i];
        if item.cost <= left + EPS && item.requires.iter().all(|&r| self.chosen[r]) {
            let gain = marginal(self.base, &self.factor, item) - item.cost;
            let saved: Vec<f64> = item.effects.iter().map(|&(s, _)| self.factor[s]).collect();
            apply(&mut self.factor, item);
            self.chosen[i] = true;
            self.visit(depth + 1, spent + item.cost, value + gain);
            self.chosen[i] = false;
            for (&(s, _), old) in item.effects.iter().zip(saved) {
                self.factor[s] = old;
            }
        }
        self.visit(depth + 1, spent, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(cost: f64, requires: &[usize], effects: &[(usize, f64)]) -> Item {
        Item {
            cost,
            requires: requires.to_vec(),
            effects: effects.to_vec(),
        }
    }

    /// Every subset, valued directly: the oracle for small cases.
    fn brute_force(base: &[f64], items: &[Item], budget: f64) -> f64 {
        let mut best: f64 = 0.0;
        for mask in 0u32..(1 << items.len()) {
            let has = |i: usize| mask & (1 << i) != 0;
            let ok = (0..items.len()).all(|i| !has(i) || items[i].requires.iter().all(|&r| has(r)));
            let cost: f64 = (0..items.len())
                .filter(|&i| has(i))
                .map(|i| items[i].cost)
                .sum();
            if !ok || cost > budget + EPS {
                continue;
            }
            let mut factor = vec![1.0; base.len()];
            (0..items.len())
                .filter(|&i| has(i))
                .for_each(|i| apply(&mut factor, &items[i]));
            let saved: f64 = base.iter().zip(&factor).map(|(b, f)| b * (1.0 - f)).sum();
            best = best.max(saved - cost);
        }
        best
    }

    fn value(base: &[f64], items: &[Item], order: &[usize]) -> f64 {
        let mut factor = vec![1.0; base.len()];
        order.iter().for_each(|&i| apply(&mut factor, &items[i]));
        let saved: f64 = base.iter().zip(&factor).map(|(b, f)| b * (1.0 - f)).sum();
        saved - order.iter().map(|&i| items[i].cost).sum::<f64>()
    }

    #[test]
    fn matches_brute_force_with_overlaps_dependencies_and_budget() {
        let base = [100_000.0, 40_000.0, 250_000.0];
        let items = vec![
            item(10_000.0, &[], &[(0, 0.5), (2, 0.8)]),
            item(30_000.0, &[], &[(0, 0.4)]),
            item(5_000.0, &[0], &[(1, 0.2)]),
            item(60_000.0, &[], &[(2, 0.3)]),
            item(2_000.0, &[4], &[]),
            item(1_000.0, &[1], &[(1, 0.1), (2, 0.9)]),
            item(45_000.0, &[], &[(0, 0.9), (1, 0.9), (2, 0.9)]),
        ];
        for budget in [0.0, 9_999.0, 15_000.0, 50_000.0, 100_000.0, 1e9] {
            let choice = choose(&base, &items, budget);
            assert!(choice.exact);
            let got = value(&base, &items, &choice.order);
            let want = brute_force(&base, &items, budget);
            assert!(
                (got - want).abs() < 1e-6,
                "budget {budget}: {got} vs {want}"
            );
            let cost: f64 = choice.order.iter().map(|&i| items[i].cost).sum();
            assert!(cost <= budget);
            for (k, &i) in choice.order.iter().enumerate() {
                assert!(
                    items[i]
                        .requires
                        .iter()
                        .all(|r| choice.order[..k].contains(r))
                );
            }
            assert_eq!(choice.order.len() + choice.left_out.len(), items.len());
        }
    }

    #[test]
    fn explains_what_is_left_out() {
        let base = [100_000.0];
        let items = vec![
            item(10_000.0, &[], &[(0, 0.5)]),
            item(200.0, &[], &[(0, 0.999)]),
            item(15_000.0, &[], &[(0, 0.5)]),
            item(6_000.0, &[2], &[(0, 0.5)]),
        ];
        let choice = choose(&base, &items, 20_000.0);
        assert_eq!(choice.order, vec![0]);
        assert_eq!(
            choice.left_out,
            vec![
                (1, LeftOut::NotWorthIt),
                (2, LeftOut::OverBudget),
                (3, LeftOut::Needs(2))
            ]
        );
    }

    #[test]
    fn forty_independent_items_under_a_tight_budget_are_solved_exactly() {
        let base: Vec<f64> = (0..40)
            .map(|i| 10_000.0 + 1_000.0 * f64::from(i % 7))
            .collect();
        let items: Vec<Item> = (0..40)
            .map(|i| {
                let cost = 1_000.0 + 137.0 * f64::from((i * 13) % 17);
                item(cost, &[], &[(i as usize, 0.5 + 0.01 * f64::from(i % 11))])
            })
            .collect();
        let choice = choose(&base, &items, 20_000.0);
        assert!(choice.exact);
        let cost: f64 = choice.order.iter().map(|&i| items[i].cost).sum();
        assert!(cost <= 20_000.0);
        // Distinct scenarios make gains additive: a 0/1 knapsack over whole costs is the oracle.
        let mut best = vec![0.0f64; 20_001];
        for (i, it) in items.iter().enumerate() {
            let gain = base[i] * (1.0 - it.effects[0].1) - it.cost;
            let c = it.cost as usize;
            for room in (c..=20_000).rev() {
                best[room] = best[room].max(best[room - c] + gain);
            }
        }
        let got = value(&base, &items, &choice.order);
        assert!(
            (got - best[20_000]).abs() < 1e-6,
            "{got} vs {}",
            best[20_000]
        );
    }

    #[test]
    fn a_costly_prerequisite_is_funded_for_what_it_enables() {
        let base = [100_000.0];
        let items = vec![item(20_000.0, &[], &[]), item(5_000.0, &[0], &[(0, 0.1)])];
        let choice = choose(&base, &items, 50_000.0);
        assert_eq!(choice.order, vec![0, 1]);
    }
}
