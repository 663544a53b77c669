//! Affine rescaling of targets and features, so that models train on values of
//! unit scale whatever the benchmark's units (accuracy in %, loss, perplexity).

/// Mean and standard deviation of a sample, with a floor on the deviation so
/// that constant columns map to 0 instead of dividing by zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standardizer {
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (at least 1e-12).
    pub std: f64,
}

impl Standardizer {
    /// Fits to `values` (population standard deviation).
    pub fn fit(values: &[f64]) -> Self {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt().max(1e-12),
        }
    }

    /// `(v - mean) / std`.
    pub fn forward(&self, v: f64) -> f64 {
        (v - self.mean) / self.std
    }

    /// The inverse of [`Standardizer::forward`].
    pub fn inverse(&self, z: f64) -> f64 {
        z * self.std + self.mean
    }
}

/// Per-column standardizers of a feature matrix given as rows.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnStandardizer {
    columns: Vec<Standardizer>,
}

impl ColumnStandardizer {
    /// Fits one standardizer per column of `rows` (all of one width).
    pub fn fit(rows: &[Vec<f64>]) -> Self {
        let width = rows.first().map_or(0, Vec::len);
        let columns = (0..width)
            .map(|j| {
                let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
                let s = Standardizer::fit(&column);
                // Constant columns: keep them centred but unscaled.
                if s.std <= 1e-12 {
                    Standardizer {
                        mean: s.mean,
                        std: 1.0,
                    }
                } else {
                    s
                }
            })
            .collect();
        Self { columns }
    }

    /// The identity on rows of `width` columns (mean 0, deviation 1).
    pub fn identity(width: usize) -> Self {
        Self {
            columns: vec![
                Standardizer {
                    mean: 0.0,
                    std: 1.0,
                };
                width
            ],
        }
    }

    /// The standardized copy of `row`.
    pub fn transform(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(&self.columns)
            .map(|(v, s)| s.forward(*v))
            .collect()
    }

    /// The per-column standardizers.
    pub fn columns(&self) -> &[Standardizer] {
        &self.columns
    }

    /// Standardized copies of all `rows`.
    pub fn transform_all(&self, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        rows.iter().map(|r| self.transform(r)).collect()
    }
}
