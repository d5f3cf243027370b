//! Exact decimal quantities in ten-thousandths (four places), the precision
//! of relative value units, geographic indices and conversion factors.

/// A decimal such as `0.45` or `32.3465` in ten-thousandths (`4500`,
/// `323465`); at most four decimal places, never through a float.
pub fn ten_thousandths(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || fraction.len() > 4 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut scaled: i64 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    for _ in fraction.len()..4 {
        scaled = scaled.checked_mul(10)?;
    }
    let value = whole.checked_mul(10_000)?.checked_add(scaled)?;
    Some(if negative { -value } else { value })
}

/// Writes ten-thousandths back as a decimal, trimming trailing zeros but
/// keeping at least two places: `4500` is `0.45`, `323465` is `32.3465`.
pub fn format_ten_thousandths(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let mut fraction = format!("{:04}", abs % 10_000);
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction.pop();
    }
    format!("{sign}{}.{fraction}", abs / 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ten_thousandths_exactly() {
        assert_eq!(ten_thousandths("0.45"), Some(4500));
        assert_eq!(ten_thousandths("32.3465"), Some(323_465));
        assert_eq!(ten_thousandths("1.000"), Some(10_000));
        assert_eq!(ten_thousandths(".5"), Some(5000));
        assert_eq!(ten_thousandths("0.12345"), None);
        assert_eq!(ten_thousandths("NA"), None);
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_ten_thousandths(4500), "0.45");
        assert_eq!(format_ten_thousandths(323_465), "32.3465");
        assert_eq!(format_ten_thousandths(9120), "0.912");
        assert_eq!(format_ten_thousandths(10_000), "1.00");
    }
}
