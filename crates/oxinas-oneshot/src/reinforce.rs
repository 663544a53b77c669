//! REINFORCE for the ENAS controller: a moving-average baseline, an
//! entropy bonus, gradients averaged over several sampled cells per update
//! and clipped by their global norm.

use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use oxinas_train::clip_global_norm;

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
    /// Clip the controller's global gradient norm to this value before each
    /// update (`None`: no clipping).
    pub grad_clip_norm: Option<f64>,
}

/// What one controller update did.
#[derive(Clone, Debug, PartialEq)]
pub struct ReinforceUpdate {
    /// The sampled cells, in order.
    pub cells: Vec<Nb201Arch>,
    /// Their rewards.
    pub rewards: Vec<f64>,
    /// The global norm of the controller's gradient before clipping.
    pub grad_norm: f64,
}

impl Reinforce {
    /// Samples a cell, scores it with `reward`, and takes one `optimizer`
    /// step on `-(reward - baseline) * log p(cell) - entropy_weight * H`
    /// ([`Reinforce::update`] with one sample). Returns the updated
    /// controller, the cell and its reward.
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
        let mut reward = Some(reward);
        let (controller, update) = self.update(controller, optimizer, lr, rng, 1, |arch| {
            (reward.take().expect("one sample"))(arch)
        });
        (controller, update.cells[0], update.rewards[0])
    }

    /// One controller update from `samples` cells (ENAS' aggregation): each
    /// cell is sampled and scored with `reward` in turn, the baseline moving
    /// towards each reward before that cell's loss
    /// `-(reward - baseline) * log p(cell) - entropy_weight * H` is taken;
    /// the gradient of the losses' mean is clipped to
    /// [`grad_clip_norm`](Self::grad_clip_norm) and `optimizer` takes one step.
    pub fn update<B, O>(
        &mut self,
        controller: EnasController<B>,
        optimizer: &mut O,
        lr: f64,
        rng: &mut SeededRng,
        samples: usize,
        mut reward: impl FnMut(&Nb201Arch) -> f64,
    ) -> (EnasController<B>, ReinforceUpdate)
    where
        B: AutodiffBackend,
        O: Optimizer<EnasController<B>, B>,
    {
        assert!(samples > 0, "a controller update needs a sample");
        let mut cells = Vec::with_capacity(samples);
        let mut rewards = Vec::with_capacity(samples);
        let mut total: Option<Tensor<B, 1>> = None;
        for _ in 0..samples {
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
            total = Some(match total {
                Some(t) => t + loss,
                None => loss,
            });
            cells.push(sample.arch);
            rewards.push(r);
        }
        let mean = total
            .expect("at least one sample")
            // (A multiplication: Burn's `div_scalar` rounds the divisor to
            // single precision on some backends.)
            .mul_scalar(1.0 / samples as f64);
        let mut grads = GradientsParams::from_grads(mean.backward(), &controller);
        let grad_norm = match self.grad_clip_norm {
            Some(max_norm) => clip_global_norm::<B, _>(&controller, &mut grads, max_norm),
            None => oxinas_train::global_grad_norm::<B, _>(&controller, &grads),
        };
        let controller = optimizer.step(lr, controller, grads);
        (
            controller,
            ReinforceUpdate {
                cells,
                rewards,
                grad_norm,
            },
        )
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
            grad_clip_norm: None,
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
                grad_clip_norm: None,
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

    /// The logits `z` of the constant-logit controller with head bias `bias`
    /// under `shape`, and `dz / dbias`.
    fn logits_of(bias: &[f64], shape: SamplingShape) -> (Vec<f64>, Vec<f64>) {
        let (t, c) = (shape.temperature, shape.tanh_constant);
        bias.iter()
            .map(|&b| {
                if c > 0.0 {
                    let th = (b / t).tanh();
                    (c * th, c * (1.0 - th * th) / t)
                } else {
                    (b / t, 1.0 / t)
                }
            })
            .unzip()
    }

    /// The gradient in the logits `z` of one cell's loss
    /// `-(r - b) log p(cell) - beta H`, summed over its six choices.
    fn cell_gradient(z: &[f64], arch: &Nb201Arch, advantage: f64, beta: f64) -> Vec<f64> {
        let total: f64 = z.iter().map(|z| z.exp()).sum();
        let p: Vec<f64> = z.iter().map(|z| z.exp() / total).collect();
        let entropy: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        let mut grad = vec![0.0; z.len()];
        for op in arch.ops {
            let a = Nb201Op::ALL.iter().position(|&o| o == op).unwrap();
            for (k, (g, &pk)) in grad.iter_mut().zip(&p).enumerate() {
                let one_hot = if k == a { 1.0 } else { 0.0 };
                *g += advantage * (pk - one_hot) + beta * pk * (pk.ln() + entropy);
            }
        }
        grad
    }

    #[test]
    fn an_aggregated_update_follows_the_mean_of_the_cells_policy_gradients() {
        // f64 tensors: alone in its process (see `run_isolated`).
        if oxinas_testkit::run_isolated(concat!(
            module_path!(),
            "::an_aggregated_update_follows_the_mean_of_the_cells_policy_gradients"
        )) {
            return;
        }
        type Ad64 = Autodiff<NdArray<f64>>;
        let device = Default::default();
        let bias = [0.3, -1.2, 0.8, 0.0, -0.4];
        let shape = SamplingShape {
            temperature: 2.0,
            tanh_constant: 1.5,
        };
        let controller =
            EnasController::<Ad64>::with_constant_logits(8, bias, &mut rng_from_seed(1), &device);
        let mut optimizer = SgdConfig::new().init::<Ad64, EnasController<Ad64>>();
        let (decay, beta, lr) = (0.9, 0.05, 0.5);
        let mut reinforce = Reinforce {
            baseline: Some(0.2),
            baseline_decay: decay,
            entropy_weight: beta,
            shape,
            grad_clip_norm: None,
        };
        let rewards = [1.0, 0.0, 0.5];
        let mut next_reward = rewards.iter().copied();
        let (next, update) = reinforce.update(
            controller,
            &mut optimizer,
            lr,
            &mut rng_from_seed(4),
            3,
            |_| next_reward.next().unwrap(),
        );
        assert_eq!(update.rewards, rewards.to_vec());
        assert_eq!(update.cells.len(), 3);
        // The baseline moves a tenth of the way to each reward in turn:
        // 0.2 -> 0.28 -> 0.252 -> 0.2768.
        let baselines = [0.28, 0.252, 0.2768];
        assert!((reinforce.baseline.unwrap() - 0.2768).abs() < 1e-12);

        let (z, dz_dbias) = logits_of(&bias, shape);
        let mut mean = [0.0; NB201_OPS];
        for ((arch, r), b) in update.cells.iter().zip(rewards).zip(baselines) {
            for (m, g) in mean.iter_mut().zip(cell_gradient(&z, arch, r - b, beta)) {
                *m += g / 3.0;
            }
        }
        let moved = next.head_bias();
        for (k, &got) in moved.iter().enumerate() {
            let expected = bias[k] - lr * mean[k] * dz_dbias[k];
            assert!(
                (got - expected).abs() < 1e-12,
                "logit {k}: {got} vs {expected}"
            );
        }
        // A sum instead of the mean would move the logits three times as far.
        assert!(moved.iter().zip(&bias).any(|(m, b)| (m - b).abs() > 1e-3));
    }

    /// Every parameter value of `controller`, in visiting order.
    fn flat_params<B: burn::tensor::backend::Backend>(controller: &EnasController<B>) -> Vec<f64> {
        use burn::module::{Module, ModuleVisitor, Param};
        use burn::tensor::Tensor;
        struct Flat(Vec<f64>);
        impl<B: burn::tensor::backend::Backend> ModuleVisitor<B> for Flat {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
                let values: Vec<f64> = param.val().into_data().convert::<f64>().to_vec().unwrap();
                self.0.extend(values);
            }
        }
        let mut flat = Flat(Vec::new());
        controller.visit(&mut flat);
        flat.0
    }

    #[test]
    fn clipping_bounds_the_controllers_step_by_the_clip_norm() {
        // f64 tensors: alone in its process (see `run_isolated`).
        if oxinas_testkit::run_isolated(concat!(
            module_path!(),
            "::clipping_bounds_the_controllers_step_by_the_clip_norm"
        )) {
            return;
        }
        type Ad64 = Autodiff<NdArray<f64>>;
        let device = Default::default();
        let controller = EnasController::<Ad64>::new(8, &mut rng_from_seed(5), &device);
        let before = flat_params(&controller);
        let mut optimizer = SgdConfig::new().init::<Ad64, EnasController<Ad64>>();
        let (lr, clip) = (1.0, 1e-3);
        let mut reinforce = Reinforce {
            baseline: Some(0.0),
            baseline_decay: 0.5,
            entropy_weight: 0.0,
            shape: SamplingShape {
                temperature: 1.0,
                tanh_constant: 0.0,
            },
            grad_clip_norm: Some(clip),
        };
        let (next, update) = reinforce.update(
            controller,
            &mut optimizer,
            lr,
            &mut rng_from_seed(6),
            4,
            |_| 1.0,
        );
        // Rewards of 1 against baselines of 0.5 to 0.9375: the unclipped
        // gradient is far above 1e-3, so plain SGD moves the parameters by
        // exactly lr * clip in Euclidean norm.
        assert!(update.grad_norm > 10.0 * clip, "{}", update.grad_norm);
        let after = flat_params(&next);
        let step: f64 = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!((step - lr * clip).abs() < 1e-8, "step norm {step}");
    }
}
