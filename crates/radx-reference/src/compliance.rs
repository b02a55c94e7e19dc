//! IBSI compliance arithmetic: whether a computed value matches a published reference value.

/// Rounds `v` to `digits` significant digits (IBSI reference values are published to 3).
pub fn round_significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1 - magnitude);
    let r = (v * scale).round() / scale;
    // Guard against representation error in the division: re-round through text.
    format!("{:.*e}", (digits - 1).max(0) as usize, v)
        .parse::<f64>()
        .unwrap_or(r)
}

/// Significant digits of a number as written in shortest form (`3065` -> 4, `0.0411` -> 3,
/// `-8310000` -> 3).
pub fn significant_digits(v: f64) -> i32 {
    let text = format!("{}", v.abs());
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if text.contains('.') {
        trimmed
    } else {
        trimmed.trim_end_matches('0')
    };
    trimmed.len().max(1) as i32
}

/// IBSI compliance: `value`, rounded to the significant digits the reference is published
/// with (at least 3), lies within `tolerance` of `reference`. Reference values are
/// published to 3 significant digits, except exact counts and intensities (e.g. 125256
/// voxels, 3065 HU), which keep all their digits. A small relative slack (1e-9) absorbs
/// decimal representation error.
pub fn complies(value: f64, reference: f64, tolerance: f64) -> bool {
    let r = round_significant(value, significant_digits(reference).max(3));
    (r - reference).abs() <= tolerance + 1e-9 * reference.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_to_three_significant_digits() {
        assert_eq!(round_significant(556.4, 3), 556.0);
        assert_eq!(round_significant(0.041149, 3), 0.0411);
        assert_eq!(round_significant(-8_312_345.0, 3), -8_310_000.0);
        assert_eq!(round_significant(0.0, 3), 0.0);
        assert!(complies(0.69849, 0.698, 0.0));
        assert!(!complies(0.6996, 0.698, 0.001));
        assert!(complies(13.14, 13.1, 0.1));
        assert_eq!(significant_digits(3065.0), 4);
        assert_eq!(significant_digits(125256.0), 6);
        assert_eq!(significant_digits(-8_310_000.0), 3);
        assert_eq!(significant_digits(0.0411), 3);
        assert!(complies(3065.0, 3065.0, 0.0));
        assert!(!complies(3066.0, 3065.0, 0.0));
        assert!(complies(125256.0, 125256.0, 0.0));
    }
}
