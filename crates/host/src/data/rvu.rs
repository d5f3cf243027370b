//! Relative value units from CMS's physician fee schedule file (PPRRVU).
//!
//! The CSV release has notice lines, then a header row starting `HCPCS`, then
//! rows of 31 columns. payrules reads: HCPCS (0), MOD (1), STATUS CODE (3),
//! WORK RVU (5), NON-FAC PE RVU (6), FACILITY PE RVU (8), MP RVU (10) and
//! MULT PROC (18). Rows with a modifier (26, TC, ...) are professional or
//! technical components and are skipped: therapy codes are billed globally.

use std::collections::HashMap;
use std::path::Path;

use payrules_model::RelativeValues;

use super::text::{for_each_csv_row, is_blank, ten_thousandths};
use super::{DataError, PackedCode, pack_code};

#[derive(Clone, Debug)]
struct RvuRow {
    status: String,
    work: i64,
    pe_nonfacility: i64,
    pe_facility: i64,
    malpractice: i64,
    multiple_procedure: u8,
}

/// One PPRRVU file's global rows, by code.
#[derive(Debug, Default)]
pub struct RvuTable {
    by_code: HashMap<PackedCode, RvuRow>,
}

impl RvuTable {
    /// Reads one PPRRVU CSV file.
    pub fn load(path: &Path) -> Result<RvuTable, DataError> {
        let mut by_code = HashMap::new();
        let mut in_rows = false;
        for_each_csv_row(path, |line, fields| {
            let field = |i: usize| fields.get(i).map_or("", |f| f.trim());
            if !in_rows {
                in_rows = field(0).eq_ignore_ascii_case("HCPCS");
                return Ok(());
            }
            if is_blank(fields) {
                return Ok(());
            }
            let row_error = |message: String| DataError::Row { path: path.to_path_buf(), line, message };
            let Some(code) = pack_code(field(0)) else {
                return Err(row_error(format!("`{}` is not a HCPCS code", field(0))));
            };
            if !field(1).is_empty() {
                return Ok(());
            }
            let number = |i: usize, name: &str| -> Result<i64, DataError> {
                if field(i).is_empty() {
                    return Ok(0);
                }
                ten_thousandths(field(i)).ok_or_else(|| row_error(format!("{name} `{}` is not a number", field(i))))
            };
            let row = RvuRow {
                status: field(3).to_owned(),
                work: number(5, "WORK RVU")?,
                pe_nonfacility: number(6, "NON-FAC PE RVU")?,
                pe_facility: number(8, "FACILITY PE RVU")?,
                malpractice: number(10, "MP RVU")?,
                multiple_procedure: field(18).parse().unwrap_or(0),
            };
            by_code.insert(code, row);
            Ok(())
        })?;
        if by_code.is_empty() {
            return Err(DataError::Empty { path: path.to_path_buf(), what: "PPRRVU" });
        }
        Ok(RvuTable { by_code })
    }

    /// The relative values of `code`, if the file has them.
    pub fn values(&self, code: &str) -> Option<RelativeValues> {
        let row = self.by_code.get(&pack_code(code)?)?;
        Some(RelativeValues {
            code: code.trim().to_ascii_uppercase(),
            status: row.status.clone(),
            work: row.work,
            practice_expense_nonfacility: row.pe_nonfacility,
            practice_expense_facility: row.pe_facility,
            malpractice: row.malpractice,
            multiple_procedure: row.multiple_procedure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_global_rows_by_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("PPRRVU.csv");
        let header = "HCPCS,MOD,DESCRIPTION,STATUS CODE,NOT USED FOR MEDICARE PAYMENT,WORK RVU,NON-FAC PE RVU,NON-FAC NA INDICATOR,FACILITY PE RVU,FACILITY NA INDICATOR,MP RVU,NON-FACILITY TOTAL,FACILITY TOTAL,PCTC IND,GLOB DAYS,PRE OP,INTRA OP,POST OP,MULT PROC,BILAT SURG,ASST SURG,CO-SURG,TEAM SURG,ENDO BASE,CONV FACTOR,PHYSICIAN SUPERVISION,CALCULATION FLAG,DIAGNOSTIC IMAGING FAMILY,NON-FAC PE OPPS,FAC PE OPPS,MP OPPS";
        std::fs::write(
            &path,
            format!(
                "notice\n{header}\n97110,,THERAPEUTIC EXERCISES,A,,0.45,0.40,,0.20,,0.02,0.87,0.67,0,XXX,0,0,0,5,0,0,0,0,,32.3465,,,,,,\n97110,26,X,A,,9,9,,9,,9,,,,,,,,5,,,,,,,,,,,,\n"
            ),
        )
        .unwrap();
        let table = RvuTable::load(&path).unwrap();
        let values = table.values("97110").unwrap();
        assert_eq!((values.work, values.practice_expense_nonfacility, values.malpractice), (4500, 4000, 200));
        assert_eq!((values.status.as_str(), values.multiple_procedure), ("A", 5));
    }
}
