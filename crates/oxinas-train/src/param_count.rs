//! Counting a built module's trainable parameters, as PyTorch's
//! `sum(p.numel() for p in model.parameters())` does.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Burn visits batch-norm running statistics like parameters; PyTorch keeps
/// them as buffers, and published parameter counts exclude them.
const RUNNING_STATISTICS: [&str; 2] = ["running_mean", "running_var"];

/// The number of trainable parameters of `module` (running statistics excluded).
pub fn trainable_params<B: Backend, M: Module<B>>(module: &M) -> usize {
    let mut counter = TrainableCounter::default();
    module.visit(&mut counter);
    counter.count
}

#[derive(Default)]
struct TrainableCounter {
    path: Vec<String>,
    count: usize,
}

impl<B: Backend> ModuleVisitor<B> for TrainableCounter {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let is_statistic = self
            .path
            .last()
            .is_some_and(|name| RUNNING_STATISTICS.contains(&name.as_str()));
        if !is_statistic {
            self.count += param.shape().num_elements();
        }
    }
}
