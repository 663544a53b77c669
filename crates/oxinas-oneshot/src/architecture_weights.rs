//! DARTS' continuous relaxation of an NB201 cell: one learnable logit per
//! (edge, op), turned into mixture weights by a softmax over each edge's ops.

use burn::module::{Module, Param};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;

use oxinas_core::seed::SeededRng;
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op};
use oxinas_train::init::uniform;

use crate::nb201_supernet::NB201_OPS;

/// Architecture logits `alpha`, `[6, 5]`: edges in NB201 order, ops in
/// [`Nb201Op::ALL`] order.
#[derive(Module, Debug)]
pub struct Nb201ArchWeights<B: Backend> {
    /// The logits.
    pub alpha: Param<Tensor<B, 2>>,
}

impl<B: Backend> Nb201ArchWeights<B> {
    /// Logits near zero (uniform mixtures), drawn from `U(-1e-3, 1e-3)` as
    /// DARTS draws `1e-3 * N(0, 1)`.
    pub fn new(rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            alpha: Param::from_tensor(uniform([NB201_EDGES.len(), NB201_OPS], 1e-3, rng, device)),
        }
    }

    /// The mixture weights: a softmax over each edge's ops.
    pub fn mixture(&self) -> Tensor<B, 2> {
        softmax(self.alpha.val(), 1)
    }

    /// The mixture weights as numbers, `[edge][op]`.
    pub fn probabilities(&self) -> Vec<[f64; NB201_OPS]> {
        let values: Vec<f32> = self
            .mixture()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap_or_default();
        values
            .chunks_exact(NB201_OPS)
            .map(|row| std::array::from_fn(|op| f64::from(row[op])))
            .collect()
    }

    /// The discrete cell: the strongest op of every edge (the zero op
    /// included, as the benchmark's DARTS code does).
    pub fn derive(&self) -> Nb201Arch {
        derive_arch(&self.probabilities())
    }
}

/// The cell taking the largest weight of each edge (first op on ties).
pub fn derive_arch(probabilities: &[[f64; NB201_OPS]]) -> Nb201Arch {
    let mut ops = [Nb201Op::None; 6];
    for (op, row) in ops.iter_mut().zip(probabilities) {
        let best = (0..NB201_OPS).fold(0, |best, i| if row[i] > row[best] { i } else { best });
        *op = Nb201Op::ALL[best];
    }
    Nb201Arch { ops }
}

/// Mean entropy (nats) of the edges' mixtures: `ln 5 = 1.609` when uniform, 0 when one-hot.
pub fn mean_entropy(probabilities: &[[f64; NB201_OPS]]) -> f64 {
    let total: f64 = probabilities
        .iter()
        .map(|row| {
            -row.iter()
                .filter(|&&p| p > 0.0)
                .map(|&p| p * p.ln())
                .sum::<f64>()
        })
        .sum();
    total / probabilities.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn fresh_weights_are_nearly_uniform() {
        let w = Nb201ArchWeights::<NdArray>::new(&mut rng_from_seed(1), &Default::default());
        let p = w.probabilities();
        assert_eq!(p.len(), 6);
        for row in &p {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-6);
            assert!(row.iter().all(|&x| (x - 0.2).abs() < 1e-3));
        }
        assert!((mean_entropy(&p) - 5f64.ln()).abs() < 1e-5);
    }

    #[test]
    fn derivation_takes_each_edges_strongest_op() {
        let mut p = vec![[0.2; NB201_OPS]; 6];
        let digits = [3, 0, 4, 1, 2, 3];
        for (row, &d) in p.iter_mut().zip(&digits) {
            row[d] = 0.5;
        }
        assert_eq!(derive_arch(&p).op_digits(), "304123");
        let one_hot = vec![[0.0, 0.0, 1.0, 0.0, 0.0]; 6];
        assert_eq!(mean_entropy(&one_hot), 0.0);
    }
}
