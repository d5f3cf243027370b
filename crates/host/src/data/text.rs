//! Line and field reading shared by the CMS file readers.

use std::path::Path;

use payrules_model::Date;
pub use payrules_model::decimal::ten_thousandths;

use super::DataError;

/// Reads a file as Latin-1, the encoding CMS uses, so no byte is refused.
pub fn read_latin1(path: &Path) -> Result<String, DataError> {
    // The rule set's limit was checked before the load; this is the ceiling.
    let bytes = crate::files::read_regular(path, crate::files::MAX_RAISED_MIB << 20)
        .map_err(|cause| DataError::Read { path: path.to_path_buf(), cause })?;
    Ok(bytes.iter().map(|b| char::from(*b)).collect())
}

/// A `YYYYMMDD` date, allowing the spaces CMS files pad fields with.
pub fn compact_date(text: &str) -> Option<Date> {
    Date::from_compact(text.trim())
}

/// Splits one CSV line into fields, honouring double quotes and `""` escapes.
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_csv() {
        assert_eq!(
            csv_fields(r#"97110,"6","3 Date of Service Edit: Clinical","Nature, of ""code""""#),
            vec!["97110", "6", "3 Date of Service Edit: Clinical", "Nature, of \"code\""]
        );
    }

    #[test]
    fn reads_compact_dates() {
        assert_eq!(compact_date("20200101").map(|d| d.to_string()).as_deref(), Some("2020-01-01"));
        assert!(compact_date("*").is_none());
        assert!(compact_date("20201301").is_none());
    }
}
