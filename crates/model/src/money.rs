//! Exact money: whole US cents in an `i64`, never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of US money in whole cents.
///
/// Serialised as a decimal string such as `"28.79"` so that no JSON or TOML
/// reader turns it into a float on the way in or out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a money amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text was not a decimal amount with at most two places.
    #[error("`{0}` is not an amount like `28.79`")]
    Malformed(String),
    /// The amount does not fit in 64-bit cents.
    #[error("`{0}` is too large")]
    Overflow(String),
}

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// An amount from whole cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// The amount in whole cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Adds, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Subtracts, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Multiplies by a count, or `None` on overflow.
    pub fn checked_mul(self, count: i64) -> Option<Money> {
        self.0.checked_mul(count).map(Money)
    }

    /// This amount scaled by `numerator / denominator`, rounded half away from zero
    /// to the cent. `None` when the denominator is zero or the result overflows.
    pub fn scale(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(self.0).checked_mul(i128::from(numerator))?;
        let den = i128::from(denominator);
        let quotient = product.checked_div(den)?;
        let remainder = product.checked_rem(den)?;
        // Round half away from zero: compare twice the remainder with the divisor.
        let twice = remainder.checked_abs()?.checked_mul(2)?;
        let rounded = if twice >= den.checked_abs()? {
            if (product < 0) == (den < 0) { quotient.checked_add(1)? } else { quotient.checked_sub(1)? }
        } else {
            quotient
        };
        i64::try_from(rounded).ok().map(Money)
    }

    /// This amount times `percent / 100`, rounded to the cent.
    pub fn percent(self, percent: u32) -> Option<Money> {
        self.scale(i64::from(percent), 100)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || MoneyError::Malformed(text.to_owned());
        let trimmed = text.trim().trim_start_matches('$');
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || fraction.len() > 2 || !all_digits(fraction) {
            return Err(malformed());
        }
        let overflow = || MoneyError::Overflow(text.to_owned());
        let dollars: i64 = whole.parse().map_err(|_| overflow())?;
        let cents_part: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| malformed())?.checked_mul(10).ok_or_else(overflow)?,
            _ => fraction.parse().map_err(|_| malformed())?,
        };
        let cents = dollars.checked_mul(100).and_then(|c| c.checked_add(cents_part)).ok_or_else(overflow)?;
        Ok(Money(if negative { -cents } else { cents }))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;
        impl serde::de::Visitor<'_> for MoneyVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a string like \"28.79\", or whole dollars as an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
                v.checked_mul(100).map(Money).ok_or_else(|| E::custom("amount is too large"))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(100))
                    .map(Money)
                    .ok_or_else(|| E::custom("amount is too large"))
            }
            fn visit_f64<E: serde::de::Error>(self, _v: f64) -> Result<Money, E> {
                Err(E::custom(
                    "write amounts with cents as a string like \"28.79\"; a decimal number would be read as a float",
                ))
            }
        }
        deserializer.deserialize_any(MoneyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for (text, cents) in [("28.79", 2879), ("0.5", 50), ("12", 1200), ("-3.07", -307), ("$1.00", 100)] {
            let money: Money = text.parse().unwrap();
            assert_eq!(money.cents(), cents, "{text}");
        }
        assert_eq!(Money::from_cents(-307).to_string(), "-3.07");
        assert_eq!(Money::from_cents(5).to_string(), "0.05");
        assert!("1.234".parse::<Money>().is_err());
        assert!("abc".parse::<Money>().is_err());
        assert!(".5".parse::<Money>().is_err());
    }

    #[test]
    fn scales_with_half_away_from_zero_rounding() {
        // 20% of $28.79 is $5.758, which rounds to $5.76.
        assert_eq!(Money::from_cents(2879).percent(20), Some(Money::from_cents(576)));
        assert_eq!(Money::from_cents(-2879).percent(20), Some(Money::from_cents(-576)));
        assert_eq!(Money::from_cents(5).scale(1, 2), Some(Money::from_cents(3)));
        assert_eq!(Money::from_cents(5).scale(1, 0), None);
    }

    #[test]
    fn json_floats_are_refused() {
        let err = serde_json::from_str::<Money>("28.79").unwrap_err().to_string();
        assert!(err.contains("as a string"), "{err}");
        assert_eq!(serde_json::from_str::<Money>("\"28.79\"").unwrap().cents(), 2879);
        assert_eq!(serde_json::from_str::<Money>("150").unwrap().cents(), 15000);
    }
}
