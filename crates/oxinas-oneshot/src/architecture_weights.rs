//! DARTS' continuous relaxation: learnable logits per (edge, op) for each
//! cell kind, turned into mixture weights by a softmax over each edge's ops.

use burn::module::{Module, Param};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;

use oxinas_core::seed::SeededRng;
use oxinas_train::init::uniform;

use crate::search_supernet::Mixture;

/// Architecture logits: one `[edges, ops]` tensor per cell kind.
#[derive(Module, Debug)]
pub struct ArchWeights<B: Backend> {
    /// The logits.
    pub alphas: Vec<Param<Tensor<B, 2>>>,
}

impl<B: Backend> ArchWeights<B> {
    /// Logits of `shapes` near zero (uniform mixtures), drawn from
    /// `U(-1e-3, 1e-3)` as DARTS draws `1e-3 * N(0, 1)`.
    pub fn new(shapes: &[[usize; 2]], rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            alphas: shapes
                .iter()
                .map(|&shape| Param::from_tensor(uniform(shape, 1e-3, rng, device)))
                .collect(),
        }
    }

    /// The mixture weights: a softmax over each edge's ops.
    pub fn mixtures(&self) -> Vec<Tensor<B, 2>> {
        self.alphas.iter().map(|a| softmax(a.val(), 1)).collect()
    }

    /// The mixture weights as numbers.
    pub fn probabilities(&self) -> Mixture {
        self.mixtures()
            .into_iter()
            .map(|m| {
                let [_, ops] = m.dims();
                let values: Vec<f32> = m.into_data().convert::<f32>().to_vec().unwrap_or_default();
                values
                    .chunks_exact(ops)
                    .map(|row| row.iter().map(|&p| f64::from(p)).collect())
                    .collect()
            })
            .collect()
    }
}

/// Mean entropy (nats) of the edges' mixtures: `ln(ops)` when uniform, 0 when one-hot.
pub fn mean_entropy(mixture: &Mixture) -> f64 {
    let rows: Vec<&Vec<f64>> = mixture.iter().flatten().collect();
    let total: f64 = rows
        .iter()
        .map(|row| {
            -row.iter()
                .filter(|&&p| p > 0.0)
                .map(|&p| p * p.ln())
                .sum::<f64>()
        })
        .sum();
    total / rows.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn fresh_weights_are_nearly_uniform_and_one_hot_has_no_entropy() {
        let w = ArchWeights::<NdArray>::new(
            &[[6, 5], [14, 8]],
            &mut rng_from_seed(1),
            &Default::default(),
        );
        let p = w.probabilities();
        assert_eq!(
            (p.len(), p[0].len(), p[1].len(), p[1][0].len()),
            (2, 6, 14, 8)
        );
        for row in p.iter().flatten() {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-6);
            let uniform = 1.0 / row.len() as f64;
            assert!(row.iter().all(|&x| (x - uniform).abs() < 1e-3));
        }
        let only_first = vec![p[0].clone()];
        assert!((mean_entropy(&only_first) - 5f64.ln()).abs() < 1e-5);
        let one_hot = vec![vec![vec![0.0, 0.0, 1.0, 0.0, 0.0]; 6]];
        assert_eq!(mean_entropy(&one_hot), 0.0);
    }
}
