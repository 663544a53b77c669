//! Zero-cost proxies: scores of an untrained network that predict how well it
//! will train, computed on one real minibatch (SynFlow needs no data).
//!
//! Definitions follow the published code of each proxy as collected in
//! Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021) and
//! NASLib: scores sum over the kernels of convolution and linear layers, the
//! loss is the mean cross-entropy of the batch, batch norm uses batch statistics.
//! GraSP needs a Hessian-vector product; Burn has first-order autodiff only,
//! so it is taken by central finite differences of gradients (see [`grasp`]).

mod jacobian_covariance;
mod linear_algebra;
mod naswot;
mod saliency;
mod synflow;
mod weights;

pub use jacobian_covariance::jacov;
pub use linear_algebra::{log_abs_determinant, symmetric_eigenvalues};
pub use naswot::naswot;
pub use saliency::{fisher, grad_norm, grasp, snip};
pub use synflow::synflow;
