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

/// Reads the CSV file at `path` with the `csv` crate (quoted fields may
/// hold commas, `""` and line breaks) and calls `row` with each record's
/// line number, where the record starts, and its fields decoded as Latin-1.
/// Rows may have any number of fields: CMS files open with notices of one.
pub fn for_each_csv_row(
    path: &Path,
    mut row: impl FnMut(usize, &[String]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let bytes = crate::files::read_regular(path, crate::files::MAX_RAISED_MIB << 20)
        .map_err(|cause| DataError::Read { path: path.to_path_buf(), cause })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut fields: Vec<String> = Vec::new();
    let mut lines = crate::locate::LineCounter::default();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
                return Err(DataError::Row { path: path.to_path_buf(), line, message: format!("not CSV: {error}") });
            }
        }
        // The reader counts a record from before the blank lines it skips,
        // so the line is worked out here from the first byte that is not a
        // line break.
        let start = record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let skipped =
            bytes.get(start..).map_or(0, |rest| rest.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count());
        let line = lines.line_at(&bytes, start.saturating_add(skipped));
        fields.clear();
        fields.extend(record.iter().map(|field| field.iter().map(|b| char::from(*b)).collect::<String>()));
        row(line, &fields)?;
    }
}

/// Whether a CSV row has nothing in it.
pub fn is_blank(fields: &[String]) -> bool {
    fields.iter().all(|f| f.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_csv_fields_and_the_line_each_row_starts_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let text = "\"notice\"\n97110,\"6\",\"Nature, of \"\"code\"\"\"\n97140,2,\"two\nlines\"\n\n97530,\"\u{e9}\"\n";
        std::fs::write(&path, text.chars().map(|c| c as u8).collect::<Vec<u8>>()).unwrap();
        let mut rows = Vec::new();
        for_each_csv_row(&path, |line, fields| {
            rows.push((line, fields.to_vec()));
            Ok(())
        })
        .unwrap();
        let rows: Vec<(usize, Vec<&str>)> = rows
            .iter()
            .filter(|(_, f)| !is_blank(f))
            .map(|(l, f)| (*l, f.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (1, vec!["notice"]),
                (2, vec!["97110", "6", "Nature, of \"code\""]),
                (3, vec!["97140", "2", "two\nlines"]),
                (6, vec!["97530", "\u{e9}"]),
            ]
        );
    }

    #[test]
    fn reads_compact_dates() {
        assert_eq!(compact_date("20200101").map(|d| d.to_string()).as_deref(), Some("2020-01-01"));
        assert!(compact_date("*").is_none());
        assert!(compact_date("20201301").is_none());
    }
}
