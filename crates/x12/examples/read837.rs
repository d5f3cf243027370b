//! Prints what the reader makes of an X12 file: one line per claim.
#![allow(clippy::unwrap_used, reason = "a developer tool")]
fn main() {
    for path in std::env::args().skip(1) {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        match payrules_x12::read_document(&text) {
            Err(e) => println!("{path}: {e}"),
            Ok(doc) => {
                for read in payrules_x12::read_claims(&doc) {
                    match read.claim {
                        Ok(claim) => println!("{path}: {:?} ok, {} lines", read.claim_id, claim.lines.len()),
                        Err(problems) => {
                            for p in problems {
                                println!("{path}: {:?} at {}: {p}", read.claim_id, read.segment);
                            }
                        }
                    }
                }
            }
        }
    }
}
