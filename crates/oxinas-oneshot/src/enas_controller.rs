//! ENAS' controller (Pham et al., ICML 2018): an LSTM that emits a cell one
//! edge at a time, each choice fed back as the next input, trained with
//! REINFORCE.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Initializer, Linear, LinearConfig, Lstm, LstmConfig, LstmState};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use rand::Rng;

use oxinas_core::seed::SeededRng;
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op};
use oxinas_train::init::uniform;

use crate::nb201_supernet::NB201_OPS;

/// How the controller turns its outputs into op probabilities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingShape {
    /// Logits are divided by this before the squashing.
    pub temperature: f64,
    /// Logits become `c * tanh(logits)` (ENAS' tanh constant; 0 = off).
    pub tanh_constant: f64,
}

/// One sampled cell with the log-probability and entropy of its choices
/// (tensors, so REINFORCE can differentiate them).
#[derive(Debug)]
pub struct ControllerSample<B: Backend> {
    /// The cell.
    pub arch: Nb201Arch,
    /// Sum of the log-probabilities of the six choices, `[1]`.
    pub log_prob: Tensor<B, 1>,
    /// Sum of the six choices' entropies, `[1]`.
    pub entropy: Tensor<B, 1>,
}

/// The controller: an embedding per op plus a start token, an LSTM and a
/// linear head to op logits.
#[derive(Module, Debug)]
pub struct EnasController<B: Backend> {
    embedding: Param<Tensor<B, 2>>,
    lstm: Lstm<B>,
    head: Linear<B>,
}

/// Replaces every float parameter with draws from `U(-bound, bound)`.
struct UniformInit<'a> {
    rng: &'a mut SeededRng,
    bound: f64,
}

impl<B: Backend> ModuleMapper<B> for UniformInit<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let mut fresh = uniform(tensor.dims(), self.bound, self.rng, &tensor.device());
        // A fresh tensor does not track gradients until told to.
        if tensor.is_require_grad() {
            fresh = fresh.require_grad();
        }
        Param::from_mapped_value(id, fresh, mapper)
    }
}

impl<B: Backend> EnasController<B> {
    /// A controller with `hidden` units; every parameter drawn from
    /// `U(-0.1, 0.1)` as in ENAS.
    pub fn new(hidden: usize, rng: &mut SeededRng, device: &B::Device) -> Self {
        let controller = Self {
            embedding: Param::from_tensor(Tensor::zeros([NB201_OPS + 1, hidden], device)),
            lstm: LstmConfig::new(hidden, hidden, true)
                .with_initializer(Initializer::Zeros)
                .init(device),
            head: LinearConfig::new(hidden, NB201_OPS)
                .with_initializer(Initializer::Zeros)
                .init(device),
        };
        controller.map(&mut UniformInit { rng, bound: 0.1 })
    }

    /// Samples a cell, drawing each op from the controller's distribution with `rng`.
    pub fn sample(&self, shape: SamplingShape, rng: &mut SeededRng) -> ControllerSample<B> {
        self.decode(shape, |probs| {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            for (i, &p) in probs.iter().enumerate() {
                acc += p;
                if u < acc {
                    return i;
                }
            }
            probs.len() - 1
        })
    }

    /// The most likely op at every step.
    pub fn greedy(&self, shape: SamplingShape) -> Nb201Arch {
        self.decode(shape, |probs| {
            (0..probs.len()).fold(0, |best, i| if probs[i] > probs[best] { i } else { best })
        })
        .arch
    }

    fn decode(
        &self,
        shape: SamplingShape,
        mut choose: impl FnMut(&[f64]) -> usize,
    ) -> ControllerSample<B> {
        let [_, hidden] = self.embedding.dims();
        let embedding = self.embedding.val();
        let row = |index: usize| {
            embedding
                .clone()
                .slice([index..index + 1, 0..hidden])
                .reshape([1, 1, hidden])
        };
        let mut input = row(NB201_OPS);
        let mut state: Option<LstmState<B, 2>> = None;
        let mut ops = [Nb201Op::None; 6];
        let mut log_prob: Option<Tensor<B, 1>> = None;
        let mut entropy: Option<Tensor<B, 1>> = None;
        let add =
            |acc: Option<Tensor<B, 1>>, t: Tensor<B, 1>| Some(acc.map_or(t.clone(), |a| a + t));
        for op in ops.iter_mut().take(NB201_EDGES.len()) {
            let (output, next_state) = self.lstm.forward(input, state);
            state = Some(next_state);
            let mut logits = self
                .head
                .forward(output.reshape([1, hidden]))
                .div_scalar(shape.temperature);
            if shape.tanh_constant > 0.0 {
                logits = logits.tanh().mul_scalar(shape.tanh_constant);
            }
            let log_p = log_softmax(logits, 1);
            let probs: Vec<f64> = log_p
                .clone()
                .exp()
                .into_data()
                .iter::<f32>()
                .map(|p| p.elem::<f64>())
                .collect();
            let choice = choose(&probs).min(NB201_OPS - 1);
            *op = Nb201Op::ALL[choice];
            log_prob = add(
                log_prob,
                log_p.clone().slice([0..1, choice..choice + 1]).reshape([1]),
            );
            entropy = add(entropy, log_p.clone().exp().mul(log_p).sum().neg());
            input = row(choice);
        }
        let device = embedding.device();
        ControllerSample {
            arch: Nb201Arch { ops },
            log_prob: log_prob.unwrap_or_else(|| Tensor::zeros([1], &device)),
            entropy: entropy.unwrap_or_else(|| Tensor::zeros([1], &device)),
        }
    }
}

/// Test access to the head, for checks with a closed form.
#[cfg(test)]
impl<B: Backend> EnasController<B> {
    /// A controller whose op logits are `logits` at every step: the head's
    /// weights are zero, so its bias alone makes the logits.
    pub(crate) fn with_constant_logits(
        hidden: usize,
        logits: [f64; NB201_OPS],
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let mut controller = Self::new(hidden, rng, device);
        controller.head.weight = Param::from_tensor(Tensor::zeros([hidden, NB201_OPS], device));
        controller.head.bias = Some(Param::from_tensor(Tensor::from_data(
            burn::tensor::TensorData::new(logits.to_vec(), [NB201_OPS]),
            device,
        )));
        controller
    }

    /// The head's bias.
    pub(crate) fn head_bias(&self) -> Vec<f64> {
        self.head
            .bias
            .as_ref()
            .map_or_else(Vec::new, |b| b.val().into_data().iter::<f64>().collect())
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    const SHAPE: SamplingShape = SamplingShape {
        temperature: 1.0,
        tanh_constant: 0.0,
    };

    #[test]
    fn a_fresh_controller_is_nearly_uniform_and_seeded() {
        let device = Default::default();
        let controller = EnasController::<NdArray>::new(16, &mut rng_from_seed(1), &device);
        let sample = controller.sample(SHAPE, &mut rng_from_seed(2));
        // Six nearly uniform choices over five ops: log-prob near 6 ln(1/5),
        // entropy near 6 ln 5.
        let log_prob: f32 = sample.log_prob.into_scalar();
        let entropy: f32 = sample.entropy.into_scalar();
        assert!((log_prob + 6.0 * 5f32.ln()).abs() < 0.3, "{log_prob}");
        assert!((entropy - 6.0 * 5f32.ln()).abs() < 0.05, "{entropy}");
        let again = EnasController::<NdArray>::new(16, &mut rng_from_seed(1), &device);
        assert_eq!(again.sample(SHAPE, &mut rng_from_seed(2)).arch, sample.arch);
        // Different draws give different cells.
        let cells: std::collections::HashSet<_> = (0..20)
            .map(|s| controller.sample(SHAPE, &mut rng_from_seed(s)).arch)
            .collect();
        assert!(cells.len() > 10);
    }
}
