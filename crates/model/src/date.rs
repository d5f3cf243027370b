//! Calendar dates, with the day arithmetic that billing periods need.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian calendar date, serialised as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not in `YYYY-MM-DD` form.
    #[error("`{0}` is not a date like `2025-03-10`")]
    Malformed(String),
    /// The parts do not name a real day.
    #[error("{year:04}-{month:02}-{day:02} is not a calendar day")]
    NoSuchDay {
        /// The year given.
        year: u16,
        /// The month given.
        month: u8,
        /// The day given.
        day: u8,
    },
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A date from its parts, if they name a real day in years 1..=9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        if year == 0 || year > 9999 || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay { year, month, day });
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn day_number(self) -> i64 {
        // Howard Hinnant's days_from_civil, in integer arithmetic.
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.day_number() - earlier.day_number()
    }

    /// The date `days` after 1970-01-01 (before it when negative), if it falls in years 1..=9999.
    pub fn from_day_number(days: i64) -> Option<Date> {
        // Howard Hinnant's civil_from_days, the inverse of `day_number`.
        let shifted = days.checked_add(719_468)?;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(u16::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()
    }

    /// The date `days` later (earlier when negative), if it falls in years 1..=9999.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_day_number(self.day_number().checked_add(days)?)
    }

    /// A date written `YYYYMMDD`, as CMS files and X12 (`D8`, CCYYMMDD) write it.
    pub fn from_compact(text: &str) -> Option<Date> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(4..6)?.parse().ok()?;
        let day = text.get(6..8)?.parse().ok()?;
        Date::new(year, month, day).ok()
    }

    /// The date as `YYYYMMDD`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || DateError::Malformed(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return Err(malformed());
        }
        let part = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            let piece = text.get(range).ok_or_else(malformed)?;
            if !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            piece.parse().map_err(|_| malformed())
        };
        let year = part(0..4)?;
        let month = u8::try_from(part(5..7)?).map_err(|_| malformed())?;
        let day = u8::try_from(part(8..10)?).map_err(|_| malformed())?;
        Date::new(year, month, day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl<'v> serde::de::Visitor<'v> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like \"2025-03-10\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                v.parse().map_err(E::custom)
            }
            // TOML has a native date type; its reader hands it to us as a map
            // with one datetime key, which `toml` serialises back to text.
            fn visit_map<A: serde::de::MapAccess<'v>>(self, mut map: A) -> Result<Date, A::Error> {
                let Some((_key, value)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("expected a date"));
                };
                value.parse().map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_and_compact_dates_go_both_ways() {
        for text in ["1970-01-01", "2000-02-29", "2024-12-31", "2025-03-01", "0001-01-01", "9999-12-31"] {
            let date: Date = text.parse().unwrap();
            assert_eq!(Date::from_day_number(date.day_number()), Some(date), "{text}");
            assert_eq!(Date::from_compact(&date.compact()), Some(date), "{text}");
        }
        let leap: Date = "2024-02-28".parse().unwrap();
        assert_eq!(leap.add_days(1).map(|d| d.to_string()).as_deref(), Some("2024-02-29"));
        assert_eq!(leap.add_days(-59).map(|d| d.to_string()).as_deref(), Some("2023-12-31"));
        assert_eq!(Date::from_compact("20241310"), None);
        assert_eq!(Date::from_compact(" 2024101"), None);
        assert_eq!(Date::from_day_number(i64::MAX), None);
    }

    #[test]
    fn parses_valid_and_refuses_invalid_days() {
        let date: Date = "2024-02-29".parse().unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (2024, 2, 29));
        assert_eq!(date.to_string(), "2024-02-29");
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!("2025-13-01".parse::<Date>().is_err());
        assert!("2025-1-01".parse::<Date>().is_err());
        assert!("20250101".parse::<Date>().is_err());
    }

    #[test]
    fn counts_days_across_months_and_leap_years() {
        let a: Date = "1970-01-01".parse().unwrap();
        assert_eq!(a.day_number(), 0);
        let b: Date = "2024-03-01".parse().unwrap();
        let c: Date = "2024-02-28".parse().unwrap();
        assert_eq!(b.days_since(c), 2);
        let d: Date = "2025-01-01".parse().unwrap();
        let e: Date = "2024-01-01".parse().unwrap();
        assert_eq!(d.days_since(e), 366);
    }

    #[test]
    fn reads_toml_native_dates() {
        #[derive(serde::Deserialize)]
        struct Holder {
            on: Date,
        }
        let holder: Holder = toml::from_str("on = 2025-03-10").unwrap();
        assert_eq!(holder.on.to_string(), "2025-03-10");
        let holder: Holder = toml::from_str("on = \"2025-03-10\"").unwrap();
        assert_eq!(holder.on.to_string(), "2025-03-10");
    }
}
