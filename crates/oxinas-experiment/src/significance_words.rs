//! How p-values are written in reports.

/// A p-value for a sentence: four decimals, or scientific notation below
/// 0.0001 so that tiny values do not read as zero.
pub fn format_p(p: f64) -> String {
    if p >= 1e-4 || p == 0.0 {
        format!("{p:.4}")
    } else {
        format!("{p:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_p_values_stay_readable() {
        assert_eq!(format_p(0.0003), "0.0003");
        assert_eq!(format_p(0.41234), "0.4123");
        assert_eq!(format_p(2.1e-9), "2.1e-9");
        assert_eq!(format_p(1.0), "1.0000");
    }
}
