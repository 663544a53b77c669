//! optimizers
