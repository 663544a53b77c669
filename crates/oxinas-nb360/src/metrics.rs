//! The published metrics of the ten NAS-Bench-360 tasks, computed from raw
//! network outputs (logits, or decoded values for regression tasks) as the
//! benchmark's reference code computes them. All of them are "lower is
//! better".
//!
//! [`score`] picks a task's metric from its [`TaskSpec`]; each metric is also
//! public on its own. Where the reference code would crash or return NaN on
//! small or degenerate data (a label without positives, a class that never
//! occurs), the function documents the choice made here.

use std::collections::BTreeMap;

use crate::error::Nb360Error;
use crate::task::{MetricKind, TargetKind, TaskSpec};
use crate::task_data::TaskSplit;

/// PSICOV's MAE₈ keeps residue pairs at least this far apart in sequence.
pub const MAE8_MIN_SEPARATION: usize = 24;
/// PSICOV's MAE₈ keeps residue pairs whose true distance is at most this (Å).
pub const MAE8_MAX_DISTANCE: f32 = 8.0;
/// PSICOV's evaluation clamps predicted distances below this value up to it.
pub const MAE8_MIN_PREDICTION: f32 = 0.01;

/// Scores `outputs` (`split.len() * spec.output_len()` raw network outputs,
/// sample-major, already decoded by the task's target normalizer) against
/// `split`'s targets with the task's published metric.
pub fn score(spec: &TaskSpec, outputs: &[f32], split: &TaskSplit) -> Result<f64, Nb360Error> {
    let metric = spec.metric;
    if split.target_len != spec.target_len() {
        return Err(metric_error(
            metric,
            format!(
                "split has {} target values per sample, task {} expects {}",
                split.target_len,
                spec.key,
                spec.target_len()
            ),
        ));
    }
    let n = split.len();
    if outputs.len() != n * spec.output_len() {
        return Err(metric_error(
            metric,
            format!(
                "{} outputs for {n} samples of {} values each (task {})",
                outputs.len(),
                spec.output_len(),
                spec.key
            ),
        ));
    }
    let groups = split.groups.as_deref();
    let targets = split.targets.as_slice();
    match (metric, spec.target) {
        (MetricKind::ErrorPercent, TargetKind::Classes(classes)) => {
            error_percent(outputs, classes, targets)
        }
        (MetricKind::OneMinusF1, TargetKind::Classes(classes)) => {
            one_minus_f1(outputs, classes, targets, groups)
        }
        (MetricKind::OneMinusMap, TargetKind::MultiLabel(labels)) => {
            one_minus_map(outputs, labels, targets, groups)
        }
        (MetricKind::OneMinusAuroc, TargetKind::MultiLabel(labels)) => {
            one_minus_auroc(outputs, labels, targets)
        }
        (MetricKind::RelativeL2, _) => relative_l2(outputs, targets, spec.output_len()),
        (MetricKind::Mae8, _) => mae8(outputs, targets, spec.input_shape[1], spec.input_shape[2]),
        (MetricKind::FalseNegativePercent, _) => false_negative_percent(outputs, targets),
        (metric, target) => Err(metric_error(
            metric,
            format!(
                "does not apply to targets of kind {target:?} (task {})",
                spec.key
            ),
        )),
    }
}

/// 0-1 error in percent: the share of samples whose largest output (the first
/// one on ties) is not the target class. `outputs` holds `classes` logits per
/// sample, `targets` one class index per sample.
pub fn error_percent(outputs: &[f32], classes: usize, targets: &[f32]) -> Result<f64, Nb360Error> {
    let metric = MetricKind::ErrorPercent;
    let n = sample_count(metric, outputs, classes, targets, 1)?;
    let mut wrong = 0usize;
    for (i, row) in outputs.chunks_exact(classes).enumerate() {
        if argmax(row) != class_index(metric, targets[i], classes, i)? {
            wrong += 1;
        }
    }
    Ok(100.0 * wrong as f64 / n as f64)
}

/// 1 - mean average precision over labels (FSD50K).
///
/// `outputs` holds `labels` logits per sample (chunk), `targets` a 0/1 vector
/// per sample. With `groups`, the chunks of a clip (same group id) are scored
/// together as the reference's clip evaluation does: the mean of the chunks'
/// logits, then a sigmoid, against the first chunk's labels; without groups
/// every sample is its own clip. The sigmoid is taken in `f32` as the
/// reference does, so very confident clips tie exactly as they do there.
///
/// Average precision per label is scikit-learn's `average_precision_score`:
/// the step-wise sum over distinct score thresholds of the recall gained times
/// the precision reached (see [`average_precision`]). Labels without any
/// positive clip are skipped (scikit-learn warns and counts them as 0, which
/// would make the metric of a small subset mostly reflect absent labels);
/// when no label has a positive the metric is undefined and an error.
pub fn one_minus_map(
    outputs: &[f32],
    labels: usize,
    targets: &[f32],
    groups: Option<&[u32]>,
) -> Result<f64, Nb360Error> {
    let metric = MetricKind::OneMinusMap;
    let n = sample_count(metric, outputs, labels, targets, labels)?;
    let clips = group_members(metric, groups, n)?;
    let mut scores = vec![vec![0f32; clips.len()]; labels];
    let mut truth = vec![vec![false; clips.len()]; labels];
    for (c, members) in clips.iter().enumerate() {
        for label in 0..labels {
            let mean = members
                .iter()
                .map(|&i| f64::from(outputs[i * labels + label]))
                .sum::<f64>()
                / members.len() as f64;
            scores[label][c] = sigmoid_f32(mean);
            truth[label][c] = targets[members[0] * labels + label] >= 0.5;
        }
    }
    let precisions: Vec<f64> = (0..labels)
        .filter_map(|label| average_precision(&scores[label], &truth[label]))
        .collect();
    if precisions.is_empty() {
        return Err(metric_error(
            metric,
            format!("no label has a positive among the {} clips", clips.len()),
        ));
    }
    Ok(1.0 - precisions.iter().sum::<f64>() / precisions.len() as f64)
}

/// Average precision of `scores` against `positives` as scikit-learn's
/// `average_precision_score` defines it: walking the distinct scores from the
/// highest down, each threshold adds (recall gained) x (precision at that
/// threshold); samples with equal scores enter together. `None` when there is
/// no positive (the value is undefined).
pub fn average_precision(scores: &[f32], positives: &[bool]) -> Option<f64> {
    let total_positive = positives.iter().filter(|&&p| p).count();
    if total_positive == 0 || scores.len() != positives.len() {
        return None;
    }
    let order = descending_order(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut previous_recall = 0.0;
    let mut ap = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && same_score(scores[order[end]], scores[order[start]]) {
            if positives[order[end]] {
                tp += 1;
            } else {
                fp += 1;
            }
            end += 1;
        }
        let recall = tp as f64 / total_positive as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
        start = end;
    }
    Some(ap)
}

/// Area under the ROC curve of `scores` against `positives`, as
/// scikit-learn's `roc_auc_score`: the probability that a random positive
/// scores above a random negative, ties counting one half (average ranks).
/// `None` when only one class is present (the value is undefined).
pub fn roc_auc(scores: &[f32], positives: &[bool]) -> Option<f64> {
    let n_pos = positives.iter().filter(|&&p| p).count();
    let n_neg = positives.len() - n_pos;
    if n_pos == 0 || n_neg == 0 || scores.len() != positives.len() {
        return None;
    }
    // Ascending average ranks (1-based); tied scores share their mean rank.
    let mut order = descending_order(scores);
    order.reverse();
    let mut rank_sum_pos = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && same_score(scores[order[end]], scores[order[start]]) {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let tied_pos = order[start..end].iter().filter(|&&i| positives[i]).count();
        rank_sum_pos += mean_rank * tied_pos as f64;
        start = end;
    }
    let n_pos_f = n_pos as f64;
    Some((rank_sum_pos - n_pos_f * (n_pos_f + 1.0) / 2.0) / (n_pos_f * n_neg as f64))
}

/// Relative L2 error averaged over samples: mean of `||y - t||₂ / ||t||₂`,
/// each sample `len` values (Darcy flow, the reference's `LpLoss.rel`). A
/// sample whose target is all zeros makes the ratio undefined and is an error.
pub fn relative_l2(outputs: &[f32], targets: &[f32], len: usize) -> Result<f64, Nb360Error> {
    let metric = MetricKind::RelativeL2;
    let n = sample_count(metric, outputs, len, targets, len)?;
    let mut total = 0.0;
    for (i, (y, t)) in outputs
        .chunks_exact(len)
        .zip(targets.chunks_exact(len))
        .enumerate()
    {
        let diff: f64 = y
            .iter()
            .zip(t)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum();
        let norm: f64 = t.iter().map(|&b| f64::from(b).powi(2)).sum();
        if norm == 0.0 {
            return Err(metric_error(
                metric,
                format!("sample {i} has an all-zero target; its relative error is undefined"),
            ));
        }
        total += (diff / norm).sqrt();
    }
    Ok(total / n as f64)
}

/// PSICOV's MAE₈ (the reference's `calculate_mae`, long-range at 8 Å).
///
/// Per sample (a `height x width` square map of predicted distances), the
/// prediction is made symmetric, `(P[j,k] + P[k,j]) / 2`, and clamped below
/// at 0.01 as the reference's test evaluation does; the pairs kept are those
/// with `k - j >= 24` and a true distance `<= 8` (the reference discards
/// `q - p < 24` and `Y > 8`). The sample's error is the mean absolute error
/// over its kept pairs; the metric is the mean over samples that have any.
/// True distances that are not finite or not positive mark padding or
/// missing residues (the reference fills beyond a protein's length with NaN)
/// and are skipped. No kept pair in any sample is an error.
pub fn mae8(
    outputs: &[f32],
    targets: &[f32],
    height: usize,
    width: usize,
) -> Result<f64, Nb360Error> {
    let metric = MetricKind::Mae8;
    if height != width {
        return Err(metric_error(
            metric,
            format!("distance maps must be square, got {height} x {width}"),
        ));
    }
    let side = height;
    let len = side * side;
    sample_count(metric, outputs, len, targets, len)?;
    let mut sample_errors = Vec::new();
    for (p, y) in outputs.chunks_exact(len).zip(targets.chunks_exact(len)) {
        let (mut sum, mut count) = (0.0f64, 0usize);
        for j in 0..side {
            for k in (j + MAE8_MIN_SEPARATION)..side {
                let truth = y[j * side + k];
                if !truth.is_finite() || truth <= 0.0 || truth > MAE8_MAX_DISTANCE {
                    continue;
                }
                let pred = ((f64::from(p[j * side + k]) + f64::from(p[k * side + j])) / 2.0)
                    .max(f64::from(MAE8_MIN_PREDICTION));
                sum += (f64::from(truth) - pred).abs();
                count += 1;
            }
        }
        if count > 0 {
            sample_errors.push(sum / count as f64);
        }
    }
    if sample_errors.is_empty() {
        return Err(metric_error(
            metric,
            format!(
                "no sample has a residue pair {MAE8_MIN_SEPARATION} or more apart within {MAE8_MAX_DISTANCE} Å"
            ),
        ));
    }
    Ok(sample_errors.iter().sum::<f64>() / sample_errors.len() as f64)
}

/// Pixel counts of a thresholded mask against its target (Cosmic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaskCounts {
    /// Cosmic-ray pixels predicted as such.
    pub true_positive: u64,
    /// Clean pixels predicted clean.
    pub true_negative: u64,
    /// Clean pixels predicted as cosmic rays.
    pub false_positive: u64,
    /// Cosmic-ray pixels missed.
    pub false_negative: u64,
}

/// Counts the pixels of all samples (the reference's `maskMetric`): a pixel is
/// predicted positive when its logit is above 0, i.e. its probability above
/// 0.5 as deepCR's evaluation thresholds it (the backbone's validation loop
/// compares the raw logit with 0.5 instead, which amounts to a probability
/// threshold of 0.62; the probability is what the metric is defined on). A
/// target of at least 0.5 is a cosmic-ray pixel, below 0.5 a clean one, and a
/// target below 0 is ignored (the loader marks pixels of the published ignore
/// mask with -1).
pub fn mask_counts(outputs: &[f32], targets: &[f32]) -> Result<MaskCounts, Nb360Error> {
    let metric = MetricKind::FalseNegativePercent;
    if outputs.len() != targets.len() {
        return Err(metric_error(
            metric,
            format!(
                "{} outputs for {} target pixels",
                outputs.len(),
                targets.len()
            ),
        ));
    }
    let mut counts = MaskCounts::default();
    for (&logit, &truth) in outputs.iter().zip(targets) {
        if truth < 0.0 {
            continue;
        }
        match (truth >= 0.5, logit > 0.0) {
            (true, true) => counts.true_positive += 1,
            (true, false) => counts.false_negative += 1,
            (false, true) => counts.false_positive += 1,
            (false, false) => counts.true_negative += 1,
        }
    }
    Ok(counts)
}

/// False-negative rate in percent over all pixels of all samples (Cosmic):
/// `100 * FN / (TP + FN)` with the counts of [`mask_counts`]. No cosmic-ray
/// pixel at all is an error (the rate is undefined).
pub fn false_negative_percent(outputs: &[f32], targets: &[f32]) -> Result<f64, Nb360Error> {
    let c = mask_counts(outputs, targets)?;
    let positives = c.true_positive + c.false_negative;
    if positives == 0 {
        return Err(metric_error(
            MetricKind::FalseNegativePercent,
            "no cosmic-ray pixel among the targets; the false-negative rate is undefined",
        ));
    }
    Ok(100.0 * c.false_negative as f64 / positives as f64)
}

/// The "1 - AUROC" the benchmark's expert Cosmic evaluation reports: the ROC
/// curve through the single threshold 0.5 (`(0,0)`, `(FPR, TPR)`, `(1,1)`) has
/// area `0.5 + (TPR - FPR) / 2`, so this returns `(FPR + FNR) / 2` as a
/// fraction (not percent). Needs both cosmic-ray and clean pixels.
pub fn cosmic_one_minus_auroc(outputs: &[f32], targets: &[f32]) -> Result<f64, Nb360Error> {
    let c = mask_counts(outputs, targets)?;
    let positives = c.true_positive + c.false_negative;
    let negatives = c.true_negative + c.false_positive;
    if positives == 0 || negatives == 0 {
        return Err(metric_error(
            MetricKind::FalseNegativePercent,
            format!(
                "{positives} cosmic-ray and {negatives} clean pixels; the one-threshold AUROC needs both"
            ),
        ));
    }
    let fnr = c.false_negative as f64 / positives as f64;
    let fpr = c.false_positive as f64 / negatives as f64;
    Ok(0.5 * (fnr + fpr))
}

/// 1 - macro F1 over `classes` classes (ECG).
///
/// Each window's prediction is its largest logit; with `groups`, each record
/// (group id) is voted from its windows, prediction and truth alike, as the
/// reference does with `Counter.most_common(1)`: the most frequent class, and
/// among equally frequent classes the one seen first in window order. Without
/// groups every window is its own record. F1 of a class is
/// `2 TP / (2 TP + FP + FN)`; the macro average runs over the classes that
/// are true or predicted for some record, as scikit-learn's `f1_score` does
/// by default (the reference averages all four and would fail on a missing
/// one; on the real data all four occur, and the two agree).
pub fn one_minus_f1(
    outputs: &[f32],
    classes: usize,
    targets: &[f32],
    groups: Option<&[u32]>,
) -> Result<f64, Nb360Error> {
    let metric = MetricKind::OneMinusF1;
    let n = sample_count(metric, outputs, classes, targets, 1)?;
    let predicted: Vec<usize> = outputs.chunks_exact(classes).map(argmax).collect();
    let truth = (0..n)
        .map(|i| class_index(metric, targets[i], classes, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tp = vec![0usize; classes];
    let mut fp = vec![0usize; classes];
    let mut fn_ = vec![0usize; classes];
    for members in group_members(metric, groups, n)? {
        let p = majority_vote(members.iter().map(|&i| predicted[i]), classes);
        let t = majority_vote(members.iter().map(|&i| truth[i]), classes);
        if p == t {
            tp[t] += 1;
        } else {
            fp[p] += 1;
            fn_[t] += 1;
        }
    }
    // scikit-learn's macro average runs over the classes seen in the truth or
    // the predictions; a class absent from both is left out, not counted as 0.
    let seen: Vec<f64> = (0..classes)
        .filter_map(|c| {
            let denominator = 2 * tp[c] + fp[c] + fn_[c];
            (denominator > 0).then(|| 2.0 * tp[c] as f64 / denominator as f64)
        })
        .collect();
    Ok(1.0 - seen.iter().sum::<f64>() / seen.len().max(1) as f64)
}

/// 1 - ROC AUC averaged over labels (DeepSEA): per label, [`roc_auc`] of the
/// sigmoid of the logits (taken in `f32` as the reference does, so saturated
/// logits tie as they do there). Labels whose targets hold only one class are
/// skipped (scikit-learn raises on them); none left is an error.
pub fn one_minus_auroc(outputs: &[f32], labels: usize, targets: &[f32]) -> Result<f64, Nb360Error> {
    let metric = MetricKind::OneMinusAuroc;
    let n = sample_count(metric, outputs, labels, targets, labels)?;
    let mut aucs = Vec::new();
    for label in 0..labels {
        let scores: Vec<f32> = (0..n)
            .map(|i| sigmoid_f32(f64::from(outputs[i * labels + label])))
            .collect();
        let truth: Vec<bool> = (0..n).map(|i| targets[i * labels + label] >= 0.5).collect();
        if let Some(auc) = roc_auc(&scores, &truth) {
            aucs.push(auc);
        }
    }
    if aucs.is_empty() {
        return Err(metric_error(
            metric,
            format!("no label has both classes among the {n} samples"),
        ));
    }
    Ok(1.0 - aucs.iter().sum::<f64>() / aucs.len() as f64)
}

fn metric_error(metric: MetricKind, message: impl Into<String>) -> Nb360Error {
    Nb360Error::Metric {
        metric: metric.name(),
        message: message.into(),
    }
}

/// Checks that outputs and targets describe the same non-zero number of
/// samples and returns it.
fn sample_count(
    metric: MetricKind,
    outputs: &[f32],
    output_width: usize,
    targets: &[f32],
    target_width: usize,
) -> Result<usize, Nb360Error> {
    if output_width == 0 || target_width == 0 {
        return Err(metric_error(metric, "zero values per sample"));
    }
    if !targets.len().is_multiple_of(target_width) {
        return Err(metric_error(
            metric,
            format!(
                "{} target values are not a multiple of {target_width} per sample",
                targets.len()
            ),
        ));
    }
    let n = targets.len() / target_width;
    if outputs.len() != n * output_width {
        return Err(metric_error(
            metric,
            format!(
                "{} outputs for {n} samples of {output_width} values each",
                outputs.len()
            ),
        ));
    }
    if n == 0 {
        return Err(metric_error(metric, "no samples to score"));
    }
    Ok(n)
}

/// The index of the largest value, the first on ties (NaN never wins).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate().skip(1) {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// A class target stored as a float: must be a whole number below `classes`.
fn class_index(
    metric: MetricKind,
    value: f32,
    classes: usize,
    sample: usize,
) -> Result<usize, Nb360Error> {
    if value >= 0.0 && value.fract() == 0.0 && (value as usize) < classes {
        Ok(value as usize)
    } else {
        Err(metric_error(
            metric,
            format!("sample {sample}: target {value} is not a class index below {classes}"),
        ))
    }
}

/// The samples of each group, groups in increasing id order (as `np.unique`),
/// samples in their order; without groups, one group per sample.
fn group_members(
    metric: MetricKind,
    groups: Option<&[u32]>,
    n: usize,
) -> Result<Vec<Vec<usize>>, Nb360Error> {
    match groups {
        None => Ok((0..n).map(|i| vec![i]).collect()),
        Some(ids) if ids.len() != n => Err(metric_error(
            metric,
            format!("{} group ids for {n} samples", ids.len()),
        )),
        Some(ids) => {
            let mut by_id: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, &id) in ids.iter().enumerate() {
                by_id.entry(id).or_default().push(i);
            }
            Ok(by_id.into_values().collect())
        }
    }
}

/// The most frequent class; among equally frequent ones, the first seen.
fn majority_vote(values: impl Iterator<Item = usize>, classes: usize) -> usize {
    let mut counts = vec![0usize; classes];
    let mut first_seen = Vec::with_capacity(classes);
    for v in values {
        if counts[v] == 0 {
            first_seen.push(v);
        }
        counts[v] += 1;
    }
    let mut best = first_seen[0];
    for &c in &first_seen[1..] {
        if counts[c] > counts[best] {
            best = c;
        }
    }
    best
}

/// The logistic function, evaluated in `f64` and rounded to `f32` as the
/// reference's float32 `torch.sigmoid` output is.
fn sigmoid_f32(x: f64) -> f32 {
    (1.0 / (1.0 + (-x).exp())) as f32
}

/// Indices sorted by score, highest first; NaN scores last.
fn descending_order(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (scores[a], scores[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
        }
    });
    order
}

fn same_score(a: f32, b: f32) -> bool {
    a == b || a.is_nan() && b.is_nan()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Nb360Task;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "got {actual}, expected {expected}"
        );
    }

    /// The logit whose sigmoid is `p`.
    fn logit(p: f64) -> f32 {
        (p / (1.0 - p)).ln() as f32
    }

    #[test]
    fn error_percent_counts_wrong_argmax_and_rejects_bad_targets() {
        // Predictions 1, 0, 1 against targets 1, 1, 1: one of three wrong.
        let outputs = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7];
        close(
            error_percent(&outputs, 2, &[1.0, 1.0, 1.0]).unwrap(),
            100.0 / 3.0,
        );
        // Ties go to the first class: [0.5, 0.5] predicts 0.
        close(error_percent(&[0.5, 0.5], 2, &[0.0]).unwrap(), 0.0);
        assert!(error_percent(&outputs, 2, &[1.0, 2.0, 1.0]).is_err());
        assert!(error_percent(&outputs, 2, &[1.0, 0.5, 1.0]).is_err());
        assert!(error_percent(&outputs, 2, &[1.0, 1.0]).is_err());
    }

    #[test]
    fn average_precision_matches_the_step_wise_definition_with_ties() {
        // scikit-learn's documented example: scores 0.1 0.4 0.35 0.8, truth
        // 0 0 1 1. Descending: 0.8 (+) P=1 R=.5; 0.4 (-) R unchanged; 0.35 (+)
        // P=2/3 R=1. AP = .5*1 + .5*2/3 = 0.8333...
        let truth = [false, false, true, true];
        close(
            average_precision(&[0.1, 0.4, 0.35, 0.8], &truth).unwrap(),
            0.5 + 1.0 / 3.0,
        );
        // Ties enter together: scores .5 .5 .2, truth 1 0 1. Threshold .5:
        // tp 1 fp 1, P=.5 R=.5 -> .25; threshold .2: P=2/3 R=1 -> +1/3.
        close(
            average_precision(&[0.5, 0.5, 0.2], &[true, false, true]).unwrap(),
            0.25 + 1.0 / 3.0,
        );
        assert_eq!(average_precision(&[0.3, 0.2], &[false, false]), None);
    }

    #[test]
    fn roc_auc_is_the_pairwise_ranking_probability_with_half_ties() {
        // Positives .35 and .8, negatives .1 and .4: pairs won 2 + 1 of 4.
        close(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap(),
            0.75,
        );
        // Positives .5 and .2, negative .5: one tie (1/2) and one loss.
        close(
            roc_auc(&[0.5, 0.5, 0.2], &[true, false, true]).unwrap(),
            0.25,
        );
        assert_eq!(roc_auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn one_minus_map_averages_chunk_logits_per_clip() {
        // Three labels, four chunks in three clips: groups 0 0 1 2.
        // Clip logits (means): clip0 label0 (2+0)/2 = 1, label1 (-1-3)/2 = -2;
        // clip1 -1, 1; clip2 0.5, 0. Label 2 has no positive and is skipped.
        let outputs = [
            2.0, -1.0, 0.0, //
            0.0, -3.0, 0.0, //
            -1.0, 1.0, 0.0, //
            0.5, 0.0, 0.0,
        ];
        let targets = [
            1.0, 1.0, 0.0, //
            1.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, //
            0.0, 1.0, 0.0,
        ];
        let groups = [0, 0, 1, 2];
        // Label 0: clip0 (+) scores highest -> AP 1. Label 1: descending clip1
        // (-), clip2 (+) P=1/2 R=1/2, clip0 (+) P=2/3 R=1 -> AP = 1/4 + 1/3.
        // 1 - mAP = 1 - (1 + 7/12) / 2 = 5/24.
        close(
            one_minus_map(&outputs, 3, &targets, Some(&groups)).unwrap(),
            5.0 / 24.0,
        );
        // Chunk by chunk instead: label 0 descending chunk0 (+, 2), chunk3
        // (-, .5), chunk1 (+, 0), chunk2 (-, -1) -> AP = 1/2 + 1/2*2/3 = 5/6.
        // Label 1 descending chunk2 (-, 1), chunk3 (+, 0), chunk0 (+, -1),
        // chunk1 (+, -3) -> AP = 1/3*1/2 + 1/3*2/3 + 1/3*3/4 = 23/36.
        close(
            one_minus_map(&outputs, 3, &targets, None).unwrap(),
            1.0 - (5.0 / 6.0 + 23.0 / 36.0) / 2.0,
        );
        assert!(one_minus_map(&outputs, 3, &targets, Some(&[0, 0, 1])).is_err());
        assert!(one_minus_map(&outputs, 3, &[0.0; 12], None).is_err());
    }

    #[test]
    fn saturated_sigmoids_tie_as_in_float32() {
        // sigmoid(20) and sigmoid(30) are both 1.0 in f32: the positive (20)
        // and the negative (30) tie, so AUC is 1/2 rather than 0, and AP is
        // 1/2 (one threshold, precision 1/2, recall 1).
        let outputs = [20.0, 30.0];
        let targets = [1.0, 0.0];
        close(one_minus_auroc(&outputs, 1, &targets).unwrap(), 0.5);
        close(one_minus_map(&outputs, 1, &targets, None).unwrap(), 0.5);
    }

    #[test]
    fn relative_l2_is_the_mean_per_sample_ratio() {
        // Sample 0: y (1,1), t (1,0): |(0,1)| / 1 = 1. Sample 1: y (0,3),
        // t (0,4): 1/4. Mean 0.625.
        close(
            relative_l2(&[1.0, 1.0, 0.0, 3.0], &[1.0, 0.0, 0.0, 4.0], 2).unwrap(),
            0.625,
        );
        assert!(relative_l2(&[1.0, 1.0], &[0.0, 0.0], 2).is_err());
        assert!(relative_l2(&[1.0, 1.0, 1.0], &[1.0, 0.0], 2).is_err());
    }

    #[test]
    fn mae8_symmetrises_and_keeps_long_range_contacts_only() {
        // 26 x 26 maps: pairs with k - j >= 24 are (0,24), (0,25), (1,25).
        let side = 26;
        let at = |j: usize, k: usize| j * side + k;
        let mut targets = vec![20.0f32; 3 * side * side];
        let mut outputs = vec![0.0f32; 3 * side * side];
        let (s0, s2) = (0, 2 * side * side);
        // Sample 0: (0,24) true 5, predicted 6 and 4 -> mean 5, error 0;
        // (0,25) true 9 > 8 is dropped; (1,25) true exactly 8 is kept,
        // predicted 7 and 10 -> 8.5, error 0.5. A close lower-triangle pair
        // and a close short-range pair do not count. Sample error 0.25.
        targets[s0 + at(0, 24)] = 5.0;
        outputs[s0 + at(0, 24)] = 6.0;
        outputs[s0 + at(24, 0)] = 4.0;
        targets[s0 + at(0, 25)] = 9.0;
        targets[s0 + at(1, 25)] = 8.0;
        outputs[s0 + at(1, 25)] = 7.0;
        outputs[s0 + at(25, 1)] = 10.0;
        targets[s0 + at(25, 0)] = 3.0;
        targets[s0 + at(2, 20)] = 3.0;
        // Sample 1: every distance 20 -> no pair, not averaged.
        // Sample 2: (0,24) true 3, predicted -5 both ways -> clamped to 0.01,
        // error 2.99; (1,25) NaN (padding) is skipped.
        targets[s2 + at(0, 24)] = 3.0;
        outputs[s2 + at(0, 24)] = -5.0;
        outputs[s2 + at(24, 0)] = -5.0;
        targets[s2 + at(1, 25)] = f32::NAN;
        // Mean over samples 0 and 2: (0.25 + 2.99) / 2 = 1.62.
        let got = mae8(&outputs, &targets, side, side).unwrap();
        assert!((got - 1.62).abs() < 1e-6, "{got}");
        let far = vec![20.0f32; side * side];
        assert!(mae8(&outputs[..side * side], &far, side, side).is_err());
        assert!(mae8(&outputs, &targets, side, side + 1).is_err());
    }

    #[test]
    fn cosmic_rates_ignore_negative_targets() {
        // Targets 1 1 1 0 0 0 0 -1 -1; logits > 0 predict a cosmic ray
        // (0 itself does not). TP: px0, px2; FN: px1; FP: px3; TN: px4-6;
        // px7, px8 ignored. FNR = 1/3, FPR = 1/4.
        let targets = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0];
        let outputs = [1.0, 0.0, 2.0, 3.0, -2.0, -2.0, -2.0, 5.0, -5.0];
        let counts = mask_counts(&outputs, &targets).unwrap();
        assert_eq!(
            counts,
            MaskCounts {
                true_positive: 2,
                true_negative: 3,
                false_positive: 1,
                false_negative: 1
            }
        );
        close(
            false_negative_percent(&outputs, &targets).unwrap(),
            100.0 / 3.0,
        );
        // (1/3 + 1/4) / 2 = 7/24.
        close(
            cosmic_one_minus_auroc(&outputs, &targets).unwrap(),
            7.0 / 24.0,
        );
        assert!(false_negative_percent(&[1.0, 2.0], &[0.0, -1.0]).is_err());
        assert!(false_negative_percent(&[1.0], &[0.0, 1.0]).is_err());
    }

    #[test]
    fn one_minus_f1_votes_per_record_first_seen_on_ties() {
        // Windows in records 0 0 0 1 1 2 3 3 (4 classes).
        let argmaxes = [1usize, 1, 2, 2, 0, 0, 3, 3];
        let mut outputs = vec![0.0f32; 8 * 4];
        for (i, &c) in argmaxes.iter().enumerate() {
            outputs[i * 4 + c] = 1.0;
        }
        let targets = [1.0, 1.0, 1.0, 2.0, 2.0, 0.0, 1.0, 1.0];
        let groups = [0, 0, 0, 1, 1, 2, 3, 3];
        // Votes: record0 1 (2 of 3); record1 tie 2/0 -> 2 (seen first);
        // record2 0; record3 3. Truth 1 2 0 1. Class 0: TP1 -> F1 1; class 1:
        // TP1 FN1 -> 2/3; class 2: TP1 -> 1; class 3: FP1 -> 0.
        // 1 - (1 + 2/3 + 1 + 0)/4 = 1/3. (Ties to the smallest class would
        // give record1 -> 0 and 1 - (2/3 + 2/3 + 0 + 0)/4 = 2/3.)
        close(
            one_minus_f1(&outputs, 4, &targets, Some(&groups)).unwrap(),
            1.0 / 3.0,
        );
        // Per window: truth 1 1 1 2 2 0 1 1, predicted 1 1 2 2 0 0 3 3.
        // Class 0: TP1 FP1 -> 2/3; class 1: TP2 FN3 -> 4/7; class 2: TP1
        // FP1 FN1 -> 1/2; class 3: FP2 -> 0.
        close(
            one_minus_f1(&outputs, 4, &targets, None).unwrap(),
            1.0 - (2.0 / 3.0 + 4.0 / 7.0 + 0.5) / 4.0,
        );
        // Classes 2 and 3, absent from truth and predictions, are left out of
        // the average (scikit-learn's macro F1 over the labels present).
        let perfect = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        close(one_minus_f1(&perfect, 4, &[0.0, 1.0], None).unwrap(), 0.0);
        // A class predicted but never true still counts, with F1 0.
        let wrong = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        // Class 0: FN1 -> 0; class 1: TP1 -> 1; class 2: FP1 -> 0.
        close(
            one_minus_f1(&wrong, 4, &[0.0, 1.0], None).unwrap(),
            1.0 - 1.0 / 3.0,
        );
    }

    #[test]
    fn one_minus_auroc_averages_labels_with_both_classes() {
        // Label 0: the roc_auc example (sigmoid keeps the order) -> 0.75.
        // Label 1: positives at logits 1, -1, 2 and the negative at 1:
        // 1/2 + 0 + 1 over 3 pairs -> 0.5. Label 2: no positive, skipped.
        let l0 = [0.1, 0.4, 0.35, 0.8].map(logit);
        let l1 = [1.0, 1.0, -1.0, 2.0];
        let mut outputs = Vec::new();
        for i in 0..4 {
            outputs.extend([l0[i], l1[i], 0.0]);
        }
        let targets = [
            0.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, //
            1.0, 1.0, 0.0, //
            1.0, 1.0, 0.0,
        ];
        close(
            one_minus_auroc(&outputs, 3, &targets).unwrap(),
            1.0 - (0.75 + 0.5) / 2.0,
        );
        assert!(one_minus_auroc(&outputs, 3, &[0.0; 12]).is_err());
    }

    #[test]
    fn score_dispatches_on_the_task_and_checks_lengths() {
        let spec = Nb360Task::Ecg.spec();
        let mut split = TaskSplit::empty(spec.input_shape, 1);
        split.inputs = vec![0.0; 2 * 1000];
        split.targets = vec![3.0, 0.0];
        // Window 0 predicts 3 (right), window 1 predicts 3 (wrong): class 3
        // TP1 FP1 -> 2/3, class 0 FN1 -> 0 (classes 1, 2 unseen, left out);
        // 1 - (2/3)/2 = 2/3.
        let outputs = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        close(score(spec, &outputs, &split).unwrap(), 2.0 / 3.0);
        // The same records voted together (truth: tie 3/0 -> 3; prediction 3):
        // class 3 alone, right.
        split.groups = Some(vec![7, 7]);
        close(score(spec, &outputs, &split).unwrap(), 0.0);
        let err = score(spec, &outputs[..7], &split).unwrap_err();
        assert!(matches!(err, Nb360Error::Metric { .. }), "{err}");
        assert!(err.to_string().contains("7 outputs"), "{err}");
        // A split of the wrong task.
        let darcy = Nb360Task::DarcyFlow.spec();
        assert!(score(darcy, &outputs, &split).is_err());
        let cifar = Nb360Task::Cifar100.spec();
        let mut c = TaskSplit::empty(cifar.input_shape, 1);
        c.targets = vec![5.0];
        let mut logits = vec![0.0; 100];
        logits[5] = 1.0;
        close(score(cifar, &logits, &c).unwrap(), 0.0);
    }
}
