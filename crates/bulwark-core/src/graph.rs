//! Directed dependency graphs: cycle checks and a layered layout for drawing.
//!
//! Nodes are identified by any `Eq + Hash + Clone` key (ids in the application). The graphs we
//! hold are acyclic because [`path`] is consulted before every new edge.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

/// The shortest path `from → … → to` along `edges`, if there is one (both ends included).
///
/// Adding the edge `a → b` creates a cycle exactly when `path(edges, b, a)` is `Some`; the
/// returned path, followed by `b` again, is the cycle to show the user.
pub fn path<K: Eq + Hash + Clone>(edges: &[(K, K)], from: &K, to: &K) -> Option<Vec<K>> {
    let mut next: HashMap<&K, Vec<&K>> = HashMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    let mut came_from: HashMap<&K, &K> = HashMap::new();
    let mut seen: HashSet<&K> = HashSet::from([from]);
    let mut queue = VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut out = vec![n.clone()];
            let mut cur = n;
            while let Some(p) = came_from.get(cur) {
                out.push((*p).clone());
                cur = p;
            }
            out.reverse();
            return Some(out);
        }
        for m in next.get(n).into_iter().flatten() {
            if seen.insert(m) {
                came_from.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    None
}

/// Where a node sits in a layered drawing: its column (0 = depends on nothing drawn before it)
/// and its row inside the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Layer, counted along the edges' direction.
    pub layer: usize,
    /// Position inside the layer.
    pub row: usize,
}

/// A layered layout of an acyclic graph: each node's layer is the longest path reaching it,
/// rows inside a layer follow the average row of the node's predecessors (fewer crossings).
/// Nodes on a cycle (which should not exist) are placed in layer 0 rather than looping.
pub fn layout<K: Eq + Hash + Clone + Ord>(nodes: &[K], edges: &[(K, K)]) -> HashMap<K, Slot> {
    let mut preds: HashMap<&K, Vec<&K>> = HashMap::new();
    let mut indegree: HashMap<&K, usize> = nodes.iter().map(|n| (n, 0)).collect();
    let mut succ: HashMap<&K, Vec<&K>> = HashMap::new();
    for (a, b) in edges {
        if indegree.contains_key(a) && indegree.contains_key(b) {
            succ.entry(a).or_default().push(b);
            preds.entry(b).or_default().push(a);
            *indegree.entry(b).or_default() += 1;
        }
    }
    // Kahn's order, sorted for determinism.
    let mut ready: Vec<&K> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(k, _)| *k)
        .collect();
    ready.sort();
    let mut queue = VecDeque::from(ready);
    let mut layer: HashMap<&K, usize> = HashMap::new();
    let mut order = Vec::new();
    while let Some(n) = queue.pop_front() {
        order.push(n);
        let l = preds
            .get(n)
            .into_iter()
            .flatten()
            .filter_map(|p| layer.get(p))
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        layer.insert(n, l);
        let mut freed = Vec::new();
        for m in succ.get(n).into_iter().flatten() {
            let d = indegree.get_mut(m).expect("every edge end is a node");
            *d -= 1;
            if *d == 0 {
                freed.push(*m);
            }
        }
        freed.sort();
        queue.extend(freed);
    }
    let mut leftovers: Vec<&K> = nodes.iter().filter(|n| !layer.contains_key(n)).collect();
    leftovers.sort();
    for n in leftovers {
        layer.insert(n, 0);
        order.push(n);
    }
    let depth = layer.values().copied().max().unwrap_or(0);
    let mut slots: HashMap<K, Slot> = HashMap::new();
    for l in 0..=depth {
        let mut in_layer: Vec<(f64, &K)> = order
            .iter()
            .filter(|n| layer[*n] == l)
            .map(|n| {
                let rows: Vec<f64> = preds
                    .get(n)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| slots.get(*p))
                    .map(|s| s.row as f64)
                    .collect();
                let bary = if rows.is_empty() {
                    f64::MAX
                } else {
                    rows.iter().sum::<f64>() / rows.len() as f64
                };
                (bary, *n)
            })
            .collect();
        in_layer.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        for (row, (_, n)) in in_layer.into_iter().enumerate() {
            slots.insert(n.clone(), Slot { layer: l, row });
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn path_finds_the_shortest_route_and_none_when_absent() {
        let edges = vec![
            e("crm", "vm-12"),
            e("vm-12", "host-3"),
            e("crm", "db-2"),
            e("db-2", "host-3"),
        ];
        assert_eq!(
            path(&edges, &"crm".to_string(), &"host-3".to_string()).map(|p| p.len()),
            Some(3)
        );
        assert_eq!(
            path(&edges, &"host-3".to_string(), &"crm".to_string()),
            None
        );
        assert_eq!(
            path(&edges, &"db-2".to_string(), &"db-2".to_string()),
            Some(vec!["db-2".to_string()])
        );
    }

    #[test]
    fn a_new_edge_closing_a_loop_is_found() {
        let edges = vec![e("a", "b"), e("b", "c")];
        // Adding c → a would close a → b → c → a.
        assert_eq!(
            path(&edges, &"a".to_string(), &"c".to_string()),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
    }

    #[test]
    fn layout_puts_dependencies_to_the_right() {
        let nodes: Vec<String> = ["crm", "vm-12", "host-3", "db-2"]
            .map(String::from)
            .to_vec();
        let edges = vec![e("crm", "vm-12"), e("vm-12", "host-3"), e("crm", "db-2")];
        let s = layout(&nodes, &edges);
        assert_eq!(s["crm"].layer, 0);
        assert_eq!(s["vm-12"].layer, 1);
        assert_eq!(s["db-2"].layer, 1);
        assert_eq!(s["host-3"].layer, 2);
        assert_ne!(s["vm-12"].row, s["db-2"].row);
    }

    #[test]
    fn layout_survives_a_cycle() {
        let nodes: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let s = layout(&nodes, &[e("a", "b"), e("b", "a")]);
        assert_eq!(s.len(), 2);
    }
}
