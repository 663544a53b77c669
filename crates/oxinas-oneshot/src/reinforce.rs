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
    use burn::backend::{Autodiff, NdArray};
    use burn::optim::{AdamConfig, SgdConfig};
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::Nb201Op;

    use super::*;
    use crate::nb201_supernet::NB201_OPS;

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

    /// The update of one step with constant logits `z` at all six choices,
    /// reward `r` and plain SGD, against the closed form: the gradient of
    /// `-(r - b) log p(a)` in the logits is `(r - b)(p - onehot(a))`, that of
    /// `-β H(p)` is `β p_k (ln p_k + H)`, summed over the six choices, and the
    /// head bias `c` reaches the logits through `z = c / T`, or
    /// `z = C tanh(c / T)` with ENAS' tanh constant `C`.
    #[test]
    fn one_step_moves_the_logits_by_the_closed_form_policy_gradient() {
        // f64 tensors: alone in its process (see `run_isolated`).
        if oxinas_testkit::run_isolated(concat!(
            module_path!(),
            "::one_step_moves_the_logits_by_the_closed_form_policy_gradient"
        )) {
            return;
        }
        type Ad64 = Autodiff<NdArray<f64>>;
        let device = Default::default();
        let bias = [0.3, -1.2, 0.8, 0.0, -0.4];
        let shapes = [
            SamplingShape {
                temperature: 1.0,
                tanh_constant: 0.0,
            },
            SamplingShape {
                temperature: 2.0,
                tanh_constant: 1.5,
            },
        ];
        for (case, shape) in shapes.into_iter().enumerate() {
            let controller = EnasController::<Ad64>::with_constant_logits(
                8,
                bias,
                &mut rng_from_seed(1),
                &device,
            );
            let mut optimizer = SgdConfig::new().init::<Ad64, EnasController<Ad64>>();
            let (previous, decay, beta, reward, lr) = (0.2, 0.9, 0.05, 1.0, 0.5);
            let mut reinforce = Reinforce {
                baseline: Some(previous),
                baseline_decay: decay,
                entropy_weight: beta,
                shape,
            };
            let (next, arch, r) = reinforce.step(
                controller,
                &mut optimizer,
                lr,
                &mut rng_from_seed(2 + case as u64),
                |_| reward,
            );
            assert_eq!(r, reward);
            // The baseline moves a tenth of the way to the reward first: 0.2 -> 0.28.
            let baseline = reinforce.baseline.unwrap();
            assert!((baseline - 0.28).abs() < 1e-15, "{baseline}");

            let (t, c) = (shape.temperature, shape.tanh_constant);
            let (z, dz_dbias): (Vec<f64>, Vec<f64>) = bias
                .iter()
                .map(|&b| {
                    if c > 0.0 {
                        let th = (b / t).tanh();
                        (c * th, c * (1.0 - th * th) / t)
                    } else {
                        (b / t, 1.0 / t)
                    }
                })
                .unzip();
            let total: f64 = z.iter().map(|z| z.exp()).sum();
            let p: Vec<f64> = z.iter().map(|z| z.exp() / total).collect();
            let entropy: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
            let mut grad = [0.0; NB201_OPS];
            for op in arch.ops {
                let a = Nb201Op::ALL.iter().position(|&o| o == op).unwrap();
                for (k, (g, &pk)) in grad.iter_mut().zip(&p).enumerate() {
                    let one_hot = if k == a { 1.0 } else { 0.0 };
                    *g += (reward - baseline) * (pk - one_hot) + beta * pk * (pk.ln() + entropy);
                }
            }
            let moved = next.head_bias();
            assert_eq!(moved.len(), NB201_OPS);
            for (k, &got) in moved.iter().enumerate() {
                let expected = bias[k] - lr * grad[k] * dz_dbias[k];
                assert!(
                    (got - expected).abs() < 1e-12,
                    "case {case}, logit {k}: {got} vs {expected}"
                );
            }
            // The step did move the logits (a zero gradient would pass the
            // comparison only if the closed form were zero too).
            assert!(moved.iter().zip(&bias).any(|(m, b)| (m - b).abs() > 1e-2));
        }
    }
}
