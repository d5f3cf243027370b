//! Geographic practice cost indices from CMS's GPCI file.
//!
//! The CSV has notice lines, then a header naming its columns; payrules finds
//! the contractor (MAC), locality number and the work, practice expense and
//! malpractice GPCI columns by their header text, since the header carries the
//! year ("2025 PW GPCI (with 1.0 Floor)"). A locality's key is `MAC-locality`.

use std::collections::HashMap;
use std::path::Path;

use payrules_model::GeographicIndices;

use super::DataError;
use super::text::{for_each_csv_row, ten_thousandths};

/// Column positions found in the header.
struct Columns {
    mac: usize,
    locality: usize,
    work: usize,
    practice_expense: usize,
    malpractice: usize,
}

impl Columns {
    fn find(header: &[String]) -> Option<Columns> {
        let position = |test: &dyn Fn(&str) -> bool| header.iter().position(|h| test(&h.to_ascii_lowercase()));
        Some(Columns {
            mac: position(&|h| h.contains("contractor") || h == "mac")?,
            locality: position(&|h| h.contains("locality number"))?,
            work: position(&|h| h.contains("pw gpci") || h.contains("work gpci"))?,
            practice_expense: position(&|h| h.contains("pe gpci"))?,
            malpractice: position(&|h| h.contains("mp gpci"))?,
        })
    }
}

/// One GPCI file, by locality key.
#[derive(Debug, Default)]
pub struct GpciTable {
    by_locality: HashMap<String, GeographicIndices>,
}

impl GpciTable {
    /// Reads one GPCI CSV file.
    pub fn load(path: &Path) -> Result<GpciTable, DataError> {
        let mut columns: Option<Columns> = None;
        let mut by_locality = HashMap::new();
        for_each_csv_row(path, |line, fields| {
            let Some(found) = &columns else {
                columns = Columns::find(fields);
                return Ok(());
            };
            let field = |i: usize| fields.get(i).map_or("", |f| f.trim());
            if field(found.locality).is_empty() {
                return Ok(());
            }
            let row_error = |message: String| DataError::Row { path: path.to_path_buf(), line, message };
            let number =
                |i: usize| ten_thousandths(field(i)).ok_or_else(|| row_error(format!("`{}` is not a GPCI", field(i))));
            let locality = format!("{}-{}", field(found.mac), field(found.locality));
            let indices = GeographicIndices {
                locality: locality.clone(),
                work: number(found.work)?,
                practice_expense: number(found.practice_expense)?,
                malpractice: number(found.malpractice)?,
            };
            by_locality.insert(locality, indices);
            Ok(())
        })?;
        if by_locality.is_empty() {
            return Err(DataError::Empty { path: path.to_path_buf(), what: "GPCI" });
        }
        Ok(GpciTable { by_locality })
    }

    /// The indices of `locality` (`MAC-locality`).
    pub fn indices(&self, locality: &str) -> Option<GeographicIndices> {
        self.by_locality.get(locality.trim()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_columns_by_header_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("GPCI2025.csv");
        std::fs::write(
            &path,
            "notice\nMedicare Administrative Contractor (MAC),State,Locality Number,Locality Name,2025 PW GPCI (with 1.0 Floor),2025 PE GPCI,2025 MP GPCI\n15202,OH,00,OHIO,1.000,0.912,0.986\n",
        )
        .unwrap();
        let table = GpciTable::load(&path).unwrap();
        let indices = table.indices("15202-00").unwrap();
        assert_eq!((indices.work, indices.practice_expense, indices.malpractice), (10000, 9120, 9860));
    }
}
