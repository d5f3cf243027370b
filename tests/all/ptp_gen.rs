//! Generates a practitioner PTP file in CMS's text layout, of any size, for
//! scale tests and benchmarks. Shared by `tests/all` and `benches/throughput`.

use std::fmt::Write as _;

/// A PTP file of `rows` generated edits plus the confirmed 97140/97530 edit,
/// with a notice and a two-line header like CMS's.
pub fn generated_ptp(rows: u32) -> String {
    let mut text = String::from(
        "generated for payrules scale tests\nColumn1\tColumn2\t*\tEffective\tDeletion\tModifier\tRationale\n\t\tprior to 1996\tDate\tDate\t0/1/9\t\n",
    );
    let mut written = 0u32;
    'outer: for one in 10_000..99_999u32 {
        for step in 1..=12u32 {
            if written == rows {
                break 'outer;
            }
            let two = 10_000 + (one * 7 + step * 131) % 89_999;
            let deleted = if step % 5 == 0 { "20230101" } else { "*" };
            let _ = writeln!(
                text,
                "{one}\t{two}\t\t20{:02}0101\t{deleted}\t{}\tMutually exclusive procedures",
                10 + step,
                step % 2
            );
            written += 1;
        }
    }
    text.push_str("97140\t97530\t\t20040101\t*\t1\tMutually exclusive procedures\n");
    text
}
