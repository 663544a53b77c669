//! Regression trees grown on gradients and hessians (the XGBoost form), shared
//! by the random forest (gradient `-y`, hessian 1, no penalty: plain CART on
//! squared error), gradient boosting and NGBoost.

use rand::Rng;
use rand::seq::index::sample;

use oxinas_core::seed::SeededRng;

/// How a tree grows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeSettings {
    /// Maximum depth (a root-only tree has depth 0).
    pub max_depth: usize,
    /// Minimum number of points in a leaf.
    pub min_samples_leaf: usize,
    /// Features drawn at random per split; `None` = all.
    pub max_features: Option<usize>,
    /// L2 penalty on leaf values (XGBoost's lambda); 0 for CART.
    pub lambda: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Leaf(f64),
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
}

/// A fitted regression tree.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionTree {
    nodes: Vec<Node>,
}

impl RegressionTree {
    /// Grows a tree on the rows `rows` of `x` that minimises the second-order
    /// approximation `sum g f + h f^2 / 2 + lambda f^2 / 2`; leaves hold
    /// `-G / (H + lambda)`.
    pub fn fit(
        x: &[Vec<f64>],
        gradients: &[f64],
        hessians: &[f64],
        rows: &[usize],
        settings: &TreeSettings,
        rng: &mut SeededRng,
    ) -> Self {
        let mut tree = Self { nodes: Vec::new() };
        let width = x.first().map_or(0, Vec::len);
        let mut indices = rows.to_vec();
        tree.grow(
            x,
            gradients,
            hessians,
            &mut indices,
            0,
            width,
            settings,
            rng,
        );
        tree
    }

    /// The tree's value at `row`.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut node = 0;
        loop {
            match self.nodes[node] {
                Node::Leaf(v) => return v,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    node = if row[feature] <= threshold {
                        left
                    } else {
                        right
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn grow(
        &mut self,
        x: &[Vec<f64>],
        g: &[f64],
        h: &[f64],
        indices: &mut [usize],
        depth: usize,
        width: usize,
        s: &TreeSettings,
        rng: &mut SeededRng,
    ) -> usize {
        let id = self.nodes.len();
        let gs: f64 = indices.iter().map(|&i| g[i]).sum();
        let hs: f64 = indices.iter().map(|&i| h[i]).sum();
        let leaf = -gs / (hs + s.lambda).max(1e-12);
        self.nodes.push(Node::Leaf(leaf));
        if depth >= s.max_depth || indices.len() < 2 * s.min_samples_leaf || width == 0 {
            return id;
        }
        let parent_score = gs * gs / (hs + s.lambda).max(1e-12);
        let features: Vec<usize> = match s.max_features {
            Some(k) if k < width => sample(rng, width, k).into_vec(),
            _ => (0..width).collect(),
        };
        let mut best: Option<(f64, usize, f64)> = None;
        let mut sorted = indices.to_vec();
        for &f in &features {
            sorted.sort_by(|&a, &b| x[a][f].total_cmp(&x[b][f]));
            let (mut gl, mut hl) = (0.0, 0.0);
            for k in 0..sorted.len() - 1 {
                gl += g[sorted[k]];
                hl += h[sorted[k]];
                let (a, b) = (x[sorted[k]][f], x[sorted[k + 1]][f]);
                if a == b || k + 1 < s.min_samples_leaf || sorted.len() - k - 1 < s.min_samples_leaf
                {
                    continue;
                }
                let (gr, hr) = (gs - gl, hs - hl);
                let gain = gl * gl / (hl + s.lambda).max(1e-12)
                    + gr * gr / (hr + s.lambda).max(1e-12)
                    - parent_score;
                if gain > 1e-12 && best.is_none_or(|(bg, _, _)| gain > bg) {
                    best = Some((gain, f, 0.5 * (a + b)));
                }
            }
        }
        let Some((_, feature, threshold)) = best else {
            return id;
        };
        // Partition in place: left rows first.
        let mut split = 0;
        for k in 0..indices.len() {
            if x[indices[k]][feature] <= threshold {
                indices.swap(k, split);
                split += 1;
            }
        }
        let (left_rows, right_rows) = indices.split_at_mut(split);
        let left = self.grow(x, g, h, left_rows, depth + 1, width, s, rng);
        let right = self.grow(x, g, h, right_rows, depth + 1, width, s, rng);
        self.nodes[id] = Node::Split {
            feature,
            threshold,
            left,
            right,
        };
        id
    }
}

/// `n` indices drawn with replacement from `0..n` (a bootstrap sample).
pub(crate) fn bootstrap(n: usize, rng: &mut SeededRng) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// `k` distinct indices from `0..n`, sorted.
pub(crate) fn subsample(n: usize, k: usize, rng: &mut SeededRng) -> Vec<usize> {
    let mut rows = sample(rng, n, k.clamp(1, n)).into_vec();
    rows.sort_unstable();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxinas_core::seed::rng_from_seed;

    #[test]
    fn cart_recovers_a_step() {
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![i as f64, (i % 3) as f64]).collect();
        let y: Vec<f64> = (0..20).map(|i| if i < 7 { 1.0 } else { 5.0 }).collect();
        let g: Vec<f64> = y.iter().map(|v| -v).collect();
        let h = vec![1.0; 20];
        let rows: Vec<usize> = (0..20).collect();
        let settings = TreeSettings {
            max_depth: 3,
            min_samples_leaf: 1,
            max_features: None,
            lambda: 0.0,
        };
        let tree = RegressionTree::fit(&x, &g, &h, &rows, &settings, &mut rng_from_seed(0));
        assert_eq!(tree.predict(&[3.0, 0.0]), 1.0);
        assert_eq!(tree.predict(&[15.0, 2.0]), 5.0);
        assert!(
            matches!(tree.nodes[0], Node::Split { feature: 0, threshold, .. } if threshold == 6.5)
        );
    }
}
