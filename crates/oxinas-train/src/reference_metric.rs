//! The names trained evaluators answer through `GroundTruth`:
//! `test_<m>@E` and `valid_<m>@E`.

/// Which split and epoch count `metric` names, when it is `test_<suffix>@E`
/// or `valid_<suffix>@E` with `E` in `1..=max_epochs`: `(true, E)` for test,
/// `(false, E)` for validation; `None` for any other name.
pub(crate) fn parse_reference_metric(
    metric: &str,
    suffix: &str,
    max_epochs: u32,
) -> Option<(bool, u32)> {
    let (name, epochs) = metric.split_once('@')?;
    let epochs: u32 = epochs.parse().ok()?;
    let test = match name.split_once('_') {
        Some(("test", rest)) if rest == suffix => true,
        Some(("valid", rest)) if rest == suffix => false,
        _ => return None,
    };
    (1..=max_epochs).contains(&epochs).then_some((test, epochs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_suffix_and_epochs_in_range() {
        assert_eq!(
            parse_reference_metric("test_acc@3", "acc", 5),
            Some((true, 3))
        );
        assert_eq!(
            parse_reference_metric("valid_mae8@1", "mae8", 1),
            Some((false, 1))
        );
        assert_eq!(
            parse_reference_metric("test_one_minus_f1@2", "one_minus_f1", 2),
            Some((true, 2))
        );
        assert_eq!(parse_reference_metric("test_acc@6", "acc", 5), None);
        assert_eq!(parse_reference_metric("test_acc@0", "acc", 5), None);
        assert_eq!(parse_reference_metric("train_acc@1", "acc", 5), None);
        assert_eq!(parse_reference_metric("test_acc", "acc", 5), None);
        assert_eq!(parse_reference_metric("test_error_pct@1", "acc", 5), None);
    }
}
