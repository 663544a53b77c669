//! Stand-in for `oxinas_nb360::metrics::score` until that module lands:
//! 0-1 error and relative L2 only. Removed once the real metrics are merged.

use oxinas_nb360::{MetricKind, Nb360Error, TaskSpec, TaskSplit};

/// The task's metric of `outputs` on `split` (error in percent or relative L2).
pub(crate) fn score(
    spec: &TaskSpec,
    outputs: &[f32],
    split: &TaskSplit,
) -> Result<f64, Nb360Error> {
    let n = split.len();
    let width = spec.output_len().min(outputs.len() / n.max(1));
    match spec.metric {
        MetricKind::ErrorPercent => {
            let wrong = (0..n)
                .filter(|&i| {
                    let row = &outputs[i * width..(i + 1) * width];
                    let best = (0..width)
                        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                        .unwrap_or(0);
                    best != split.target(i)[0] as usize
                })
                .count();
            Ok(100.0 * wrong as f64 / n.max(1) as f64)
        }
        MetricKind::RelativeL2 => {
            let total: f64 = (0..n)
                .map(|i| {
                    let row = &outputs[i * width..(i + 1) * width];
                    let target = split.target(i);
                    let diff: f64 = row
                        .iter()
                        .zip(target)
                        .map(|(&y, &t)| f64::from(y - t).powi(2))
                        .sum();
                    let norm: f64 = target.iter().map(|&t| f64::from(t).powi(2)).sum();
                    diff.sqrt() / norm.sqrt().max(1e-12)
                })
                .sum();
            Ok(total / n.max(1) as f64)
        }
        other => Err(Nb360Error::Metric {
            metric: other.name(),
            message: "not available yet".to_owned(),
        }),
    }
}
