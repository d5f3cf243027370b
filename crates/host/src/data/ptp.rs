//! NCCI procedure-to-procedure edits, from CMS's quarterly practitioner file.
//!
//! The text release is tab-delimited: a copyright notice and a header that
//! wraps over two lines, then rows of seven columns: column 1 code, column 2
//! code, `*` if in existence before 1996, effective date `YYYYMMDD`, deletion
//! date `YYYYMMDD` or `*`, modifier indicator `0`/`1`/`9`, and the rationale.

use std::path::Path;

use payrules_model::{Date, ModifierIndicator, PtpEdit};

use super::text::{compact_date, read_latin1};
use super::{DataError, PackedCode, pack_code, unpack_code};

/// One edit row, packed: about 24 bytes, so a million rows fit in tens of MB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PtpRow {
    column_one: PackedCode,
    column_two: PackedCode,
    effective: Date,
    deletion: Option<Date>,
    modifier: ModifierIndicator,
    rationale: u16,
}

/// All PTP edits of one or more files, sorted for lookup by code pair.
#[derive(Debug, Default)]
pub struct PtpTable {
    rows: Vec<PtpRow>,
    rationales: Vec<String>,
}

impl PtpTable {
    /// Reads and merges PTP files. Rows keep their own dates, so several
    /// quarters can be loaded together and each claim sees the edits in force
    /// on its date of service.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<PtpTable, DataError> {
        let mut table = PtpTable::default();
        for path in paths {
            let path = path.as_ref();
            let text = read_latin1(path)?;
            table.add_text(path, &text)?;
        }
        table.rows.sort_unstable_by(|a, b| {
            (a.column_one, a.column_two, a.effective).cmp(&(b.column_one, b.column_two, b.effective))
        });
        Ok(table)
    }

    fn add_text(&mut self, path: &Path, text: &str) -> Result<(), DataError> {
        let before = self.rows.len();
        for (index, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let is_row = fields.len() >= 6
                && fields.first().and_then(|c| pack_code(c)).is_some()
                && fields.get(3).and_then(|d| compact_date(d)).is_some();
            if !is_row {
                // The notice and the wrapped header come before the first row;
                // anything unreadable after it is an error, not noise.
                if self.rows.len() == before || line.trim().is_empty() {
                    continue;
                }
                return Err(row_error(
                    path,
                    index,
                    "expected seven tab-separated columns: column 1, column 2, *, effective, deletion, modifier, rationale",
                ));
            }
            let row = self.parse_row(&fields).map_err(|message| row_error(path, index, &message))?;
            self.rows.push(row);
        }
        if self.rows.len() == before {
            return Err(DataError::Empty { path: path.to_path_buf(), what: "PTP edit" });
        }
        Ok(())
    }

    fn parse_row(&mut self, fields: &[&str]) -> Result<PtpRow, String> {
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        let column_one = pack_code(field(0)).ok_or_else(|| format!("`{}` is not a column 1 code", field(0)))?;
        let column_two = pack_code(field(1)).ok_or_else(|| format!("`{}` is not a column 2 code", field(1)))?;
        let effective = compact_date(field(3)).ok_or_else(|| format!("`{}` is not an effective date", field(3)))?;
        let deletion = match field(4) {
            "*" | "" => None,
            text => Some(compact_date(text).ok_or_else(|| format!("`{text}` is not a deletion date or `*`"))?),
        };
        let modifier = match field(5) {
            "0" => ModifierIndicator::NotAllowed,
            "1" => ModifierIndicator::Allowed,
            "9" => ModifierIndicator::NotApplicable,
            other => return Err(format!("`{other}` is not a modifier indicator (0, 1 or 9)")),
        };
        let rationale = self.intern(field(6));
        Ok(PtpRow { column_one, column_two, effective, deletion, modifier, rationale })
    }

    // Rationales repeat across hundreds of thousands of rows; keep each once.
    fn intern(&mut self, text: &str) -> u16 {
        if let Some(index) = self.rationales.iter().position(|r| r == text) {
            return u16::try_from(index).unwrap_or(u16::MAX);
        }
        if self.rationales.len() >= usize::from(u16::MAX) {
            return u16::MAX;
        }
        self.rationales.push(text.to_owned());
        u16::try_from(self.rationales.len() - 1).unwrap_or(u16::MAX)
    }

    /// Rows loaded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows are loaded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The edit between `column_one` and `column_two` (in that order) in force
    /// on `date`: effective on or before it and not deleted on or before it.
    /// Where one pair has several rows in force, the latest effective wins.
    pub fn edit(&self, column_one: &str, column_two: &str, date: Date) -> Option<PtpEdit> {
        let key = (pack_code(column_one)?, pack_code(column_two)?);
        let start = self.rows.partition_point(|r| (r.column_one, r.column_two) < key);
        self.in_force(self.rows.get(start..)?.iter().take_while(|r| (r.column_one, r.column_two) == key), date)
    }

    /// Every edit in force on `date` between two different codes of `codes`,
    /// in either column order, ordered by column 1 then column 2.
    ///
    /// The work is linear in the codes asked about, not quadratic: for each
    /// column 1 code it either looks up each other code (when the codes are
    /// fewer than that code's rows) or walks that code's rows once (when they
    /// are fewer), whichever is less.
    pub fn edits_among(&self, codes: &[&str], date: Date) -> Vec<PtpEdit> {
        let mut distinct: Vec<PackedCode> = codes.iter().filter_map(|c| pack_code(c)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut edits = Vec::new();
        for one in &distinct {
            let start = self.rows.partition_point(|r| r.column_one < *one);
            let end = start + self.rows.get(start..).map_or(0, |rest| rest.partition_point(|r| r.column_one == *one));
            let Some(rows) = self.rows.get(start..end) else { continue };
            if distinct.len() < rows.len() {
                for two in distinct.iter().filter(|two| *two != one) {
                    let from = rows.partition_point(|r| r.column_two < *two);
                    let pair = rows.get(from..).unwrap_or_default().iter().take_while(|r| r.column_two == *two);
                    edits.extend(self.in_force(pair, date));
                }
            } else {
                let mut rest = rows;
                while let Some(first) = rest.first() {
                    let same = rest.partition_point(|r| r.column_two == first.column_two);
                    let (pair, after) = rest.split_at(same);
                    if distinct.binary_search(&first.column_two).is_ok() {
                        edits.extend(self.in_force(pair.iter(), date));
                    }
                    rest = after;
                }
            }
        }
        edits
    }

    /// Of one code pair's rows, the one in force on `date`: the latest effective.
    fn in_force<'a>(&self, pair: impl Iterator<Item = &'a PtpRow>, date: Date) -> Option<PtpEdit> {
        pair.filter(|r| r.effective <= date && r.deletion.is_none_or(|d| date < d)).max_by_key(|r| r.effective).map(
            |r| PtpEdit {
                column_one: unpack_code(&r.column_one),
                column_two: unpack_code(&r.column_two),
                effective: r.effective,
                deletion: r.deletion,
                modifier_indicator: r.modifier,
                rationale: self.rationales.get(usize::from(r.rationale)).cloned().unwrap_or_default(),
            },
        )
    }
}

fn row_error(path: &Path, index: usize, message: &str) -> DataError {
    DataError::Row { path: path.to_path_buf(), line: index + 1, message: message.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "CPT codes and descriptions only are copyright 2025 American Medical Association.\n\
Column1\tColumn2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\n\
\t\tprior to 1996\tDate\tDate\t0=not allowed\t\n\
97140\t97530\t\t20040101\t*\t1\tMutually exclusive procedures\n\
97530\t97162\t\t20200101\t20200124\t0\tMisuse of column two code with column one code\n\
97530\t97164\t\t20150101\t*\t1\tMisuse of column two code with column one code\n";

    fn table() -> PtpTable {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ccipra.txt");
        std::fs::write(&path, SAMPLE).unwrap();
        PtpTable::load(&[path]).unwrap()
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn reads_the_cms_layout_past_its_notice_and_header() {
        let table = table();
        assert_eq!(table.len(), 3);
        let edit = table.edit("97140", "97530", date("2025-03-10")).unwrap();
        assert_eq!(edit.modifier_indicator, ModifierIndicator::Allowed);
        assert_eq!(edit.rationale, "Mutually exclusive procedures");
        assert!(table.edit("97530", "97140", date("2025-03-10")).is_none(), "column order matters");
    }

    #[test]
    fn follows_each_row_s_dates() {
        let table = table();
        assert!(table.edit("97530", "97162", date("2019-12-20")).is_none());
        assert!(table.edit("97530", "97162", date("2020-01-10")).is_some());
        assert!(table.edit("97530", "97162", date("2020-01-24")).is_none(), "deleted on its deletion date");
        let among = table.edits_among(&["97164", "97530", "97110", "97530"], date("2025-01-01"));
        assert_eq!(among.len(), 1);
        assert_eq!((among[0].column_one.as_str(), among[0].column_two.as_str()), ("97530", "97164"));
        // Many codes take the row walk; the answer is the same.
        let mut many: Vec<String> = (0..5000).map(|i| format!("{:05}", 10000 + i)).collect();
        many.extend(["97164", "97530", "97140"].map(str::to_owned));
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let pairs: Vec<(String, String)> =
            table.edits_among(&many, date("2025-01-01")).into_iter().map(|e| (e.column_one, e.column_two)).collect();
        assert_eq!(
            pairs,
            [("97140".to_owned(), "97530".to_owned()), ("97530".to_owned(), "97164".to_owned())],
            "both edits, in column order"
        );
    }

    #[test]
    fn a_bad_row_after_the_header_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        std::fs::write(&path, format!("{SAMPLE}97110\t97112\t\t20200101\t*\t7\tx\n")).unwrap();
        let error = PtpTable::load(&[path]).unwrap_err().to_string();
        assert!(error.contains("line 7") && error.contains("`7` is not a modifier indicator"), "{error}");
    }
}
