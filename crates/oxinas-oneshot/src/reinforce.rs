//! REINFORCE for the ENAS controller: a moving-average baseline and an
//! entropy bonus.

use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;

use oxinas_core::seed::SeededRng;
use oxinas_spaces::Nb201Arch;

use crate::enas_controller::{EnasController, SamplingShape};

/// The state of REINFORCE across controller updates.
#[derive(Clone, Debug, PartialEq)]
pub struct Reinforce {
    /// Moving average of the rewards (none before the first).
    pub baseline: Option<f64>,
    /// Decay of the moving average.
    pub baseline_decay: f64,
    /// Weight of the entropy bonus.
    pub entropy_weight: f64,
    /// The controller's sampling shape.
    pub shape: SamplingShape,
}

impl Reinforce {
    /// Samples a cell, scores it with `reward`, and takes one `optimizer`
    /// step on `-(reward - baseline) * log p(cell) - entropy_weight * H`.
    /// Returns the updated controller, the cell and its reward.
    pub fn step<B, O>(
        &mut self,
        controller: EnasController<B>,
        optimizer: &mut O,
        lr: f64,
        rng: &mut SeededRng,
        reward: impl FnOnce(&Nb201Arch) -> f64,
    ) -> (EnasController<B>, Nb201Arch, f64)
    where
        B: AutodiffBackend,
        O: Optimizer<EnasController<B>, B>,
    {
        let sample = controller.sample(self.shape, rng);
        let r = reward(&sample.arch);
        // ENAS moves the baseline towards the reward before using it.
        let baseline = match self.baseline {
            Some(b) => b - (1.0 - self.baseline_decay) * (b - r),
            None => r,
        };
        self.baseline = Some(baseline);
        let loss = sample.log_prob.mul_scalar(-(r - baseline))
            - sample.entropy.mul_scalar(self.entropy_weight);
        let grads = GradientsParams::from_grads(loss.backward(), &controller);
        let controller = optimizer.step(lr, controller, grads);
        (controller, sample.arch, r)
    }
}

#[cfg(test)]
mod tests {
    use burn::optim::AdamConfig;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::Nb201Op;

    use super::*;

    type Ad = oxinas_train::backend::CpuTrainBackend;

    #[test]
    fn the_controller_learns_to_prefer_rewarded_cells() {
        // Reward: the fraction of edges that are 3x3 convolutions (0.2 in
        // expectation for a uniform controller, 1 for the best cell).
        let reward = |arch: &Nb201Arch| {
            arch.ops
                .iter()
                .filter(|&&op| op == Nb201Op::NorConv3x3)
                .count() as f64
                / 6.0
        };
        let device = Default::default();
        let mut controller = EnasController::<Ad>::new(16, &mut rng_from_seed(1), &device);
        let mut optimizer = AdamConfig::new().init::<Ad, EnasController<Ad>>();
        let mut reinforce = Reinforce {
            baseline: None,
            baseline_decay: 0.9,
            entropy_weight: 1e-4,
            shape: SamplingShape {
                temperature: 1.0,
                tanh_constant: 0.0,
            },
        };
        let mut rng = rng_from_seed(2);
        let mut rewards = Vec::new();
        for _ in 0..300 {
            let (next, _, r) = reinforce.step(controller, &mut optimizer, 0.01, &mut rng, reward);
            controller = next;
            rewards.push(r);
        }
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        let (first, last) = (mean(&rewards[..20]), mean(&rewards[250..]));
        assert!(first < 0.4, "first rewards {first}");
        assert!(last > first + 0.3, "mean reward {first} -> {last}");
        let greedy = controller.greedy(reinforce.shape);
        assert!(reward(&greedy) >= 0.5, "greedy cell {}", greedy.op_digits());
    }
}
