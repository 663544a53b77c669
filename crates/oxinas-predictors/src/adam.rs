//! The Adam optimiser over one flat parameter vector.

/// Adam state for `n` parameters.
#[derive(Clone, Debug)]
pub(crate) struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam with the usual betas (0.9, 0.999).
    pub(crate) fn new(n: usize, lr: f64) -> Self {
        Self::with_beta2(n, lr, 0.999)
    }

    /// Adam with beta1 0.9 and the given beta2 (BANANAS's Keras setup: 0.99).
    pub(crate) fn with_beta2(n: usize, lr: f64, beta2: f64) -> Self {
        Self::with_betas(n, lr, 0.9, beta2)
    }

    /// Adam with both decay rates given (NPENAS: 0 and 0.9).
    pub(crate) fn with_betas(n: usize, lr: f64, beta1: f64, beta2: f64) -> Self {
        Self {
            lr,
            beta1,
            beta2,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One step along `grad` (minimising): `p -= lr * m_hat / (sqrt(v_hat) + eps)`
    /// with the bias corrections folded into two scalars, so each parameter
    /// costs one square root and one division.
    pub(crate) fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        let step = self.lr / c1;
        let inv_sqrt_c2 = 1.0 / c2.sqrt();
        let (b1, b2) = (self.beta1, self.beta2);
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step * *m / (v.sqrt() * inv_sqrt_c2 + 1e-8);
        }
    }

    /// One step at learning rate `lr` times `rates[i]` for parameter `i`
    /// (a schedule and per-parameter multipliers, as PyTorch parameter
    /// groups give them).
    pub(crate) fn step_with_rates(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        lr: f64,
        rates: &[f64],
    ) {
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        let inv_sqrt_c2 = 1.0 / c2.sqrt();
        let (b1, b2) = (self.beta1, self.beta2);
        for ((((p, g), m), v), rate) in params
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
            .zip(rates)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= lr * rate / c1 * *m / (v.sqrt() * inv_sqrt_c2 + 1e-8);
        }
    }
}
