//! Medically unlikely edits, from CMS's quarterly practitioner services file.
//!
//! The CSV release has a notice, then a header, then rows of four columns:
//! HCPCS/CPT code, practitioner services MUE value, MUE adjudication
//! indicator (text whose first character is 1, 2 or 3), and rationale. A
//! file carries no dates of its own: the rule set says which quarter it covers.

use std::collections::HashMap;
use std::path::Path;

use payrules_model::{MueAdjudication, MueLimit};

use super::text::{for_each_csv_row, is_blank};
use super::{DataError, PackedCode, pack_code};

/// One code's row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MueRow {
    units: u32,
    adjudication: MueAdjudication,
    rationale: String,
}

/// One quarter's MUE file.
#[derive(Debug, Default)]
pub struct MueTable {
    by_code: HashMap<PackedCode, MueRow>,
}

impl MueTable {
    /// Reads one MUE file.
    pub fn load(path: &Path) -> Result<MueTable, DataError> {
        let mut by_code = HashMap::new();
        for_each_csv_row(path, |line, fields| {
            let field = |i: usize| fields.get(i).map_or("", |f| f.trim());
            let Some(code) = pack_code(field(0)) else {
                // The notice and header come before the first code.
                if by_code.is_empty() || is_blank(fields) {
                    return Ok(());
                }
                return Err(row_error(path, line, format!("`{}` is not a HCPCS/CPT code", field(0))));
            };
            let units: u32 = field(1)
                .parse()
                .map_err(|_| row_error(path, line, format!("`{}` is not a number of units", field(1))))?;
            let adjudication = match field(2).chars().next() {
                Some('1') => MueAdjudication::Line,
                Some('2') => MueAdjudication::DateOfServicePolicy,
                Some('3') => MueAdjudication::DateOfServiceClinical,
                _ => {
                    return Err(row_error(
                        path,
                        line,
                        format!("`{}` is not an MUE adjudication indicator (1, 2 or 3 first)", field(2)),
                    ));
                }
            };
            by_code.insert(code, MueRow { units, adjudication, rationale: field(3).to_owned() });
            Ok(())
        })?;
        if by_code.is_empty() {
            return Err(DataError::Empty { path: path.to_path_buf(), what: "MUE" });
        }
        Ok(MueTable { by_code })
    }

    /// The MUE of `code`, if the file has one.
    pub fn limit(&self, code: &str) -> Option<MueLimit> {
        let row = self.by_code.get(&pack_code(code)?)?;
        Some(MueLimit {
            code: code.trim().to_ascii_uppercase(),
            units: row.units,
            adjudication: row.adjudication,
            rationale: row.rationale.clone(),
        })
    }

    /// Codes in the file.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether the file had no codes.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

fn row_error(path: &Path, line: usize, message: String) -> DataError {
    DataError::Row { path: path.to_path_buf(), line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cms_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mue.csv");
        std::fs::write(
            &path,
            "\"CPT codes and descriptions only are copyright AMA\"\n\
             \"HCPCS/CPT Code\",\"Practitioner Services MUE Values\",\"MUE Adjudication Indicator\",\"MUE Rationale\"\n\
             97750,8,\"3 Date of Service Edit: Clinical\",\"Clinical: Data\"\n\
             97012,1,\"3 Date of Service Edit: Clinical\",\"Nature of Service/Procedure\"\n",
        )
        .unwrap();
        let table = MueTable::load(&path).unwrap();
        assert_eq!(table.len(), 2);
        let limit = table.limit("97750").unwrap();
        assert_eq!((limit.units, limit.adjudication), (8, MueAdjudication::DateOfServiceClinical));
        assert!(table.limit("97110").is_none());
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mue.csv");
        std::fs::write(&path, "97750,8,\"3 Date\",x\n97012,one,\"3 Date\",x\n").unwrap();
        let error = MueTable::load(&path).unwrap_err().to_string();
        assert!(error.contains("line 2") && error.contains("`one` is not a number of units"), "{error}");
    }

    #[test]
    fn a_rationale_over_two_lines_is_one_row_and_later_lines_keep_their_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mue.csv");
        std::fs::write(&path, "97750,8,\"3 Date\",\"Clinical:\nData\"\n97012,1,\"3 Date\",x\n97110,x,\"3\",y\n")
            .unwrap();
        let error = MueTable::load(&path).unwrap_err().to_string();
        assert!(error.contains("line 4") && error.contains("`x` is not a number of units"), "{error}");
        std::fs::write(&path, "97750,8,\"3 Date\",\"Clinical:\nData\"\n97012,1,\"3 Date\",x\n").unwrap();
        let table = MueTable::load(&path).unwrap();
        assert_eq!(table.limit("97750").unwrap().rationale, "Clinical:\nData");
        assert_eq!(table.len(), 2);
    }
}
