//! A seeded fuzz loop over `payrules fix` then `payrules check`: thousands of
//! mutated 837P interchanges, each damaged in a few bytes or segments, must
//! come out of `fix` with every claim still there, in order, under the same
//! id, and `fix` must never fail to write.
//!
//! `PAYRULES_FUZZ_MUTATIONS` (default 3000) and `PAYRULES_FUZZ_SEED` (default
//! 20261201) set the run; the same seed gives the same mutations.

use std::path::Path;

use crate::support::{self, text};

/// SplitMix64: small, seeded, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
}

/// Bytes a mutation inserts: delimiters, digits, letters, line breaks, a high byte.
const NOISE: &[u8] = b"*:~^|>!\n\r 0123456789AZ-.";

/// One mutated copy of `base`: one to three damages, each to a byte or a segment.
fn mutate(base: &str, rng: &mut Rng) -> String {
    let mut segments: Vec<String> = base.split_inclusive('~').map(str::to_owned).collect();
    for _ in 0..=rng.below(3) {
        // Never the ISA: a file without a readable header is refused whole, by design.
        let at = (1 + rng.below(segments.len().saturating_sub(1))).min(segments.len() - 1);
        match rng.below(6) {
            0 => {
                segments.remove(at);
            }
            1 => {
                let copy = segments[at].clone();
                segments.insert(at, copy);
            }
            2 => {
                let other = 1 + rng.below(segments.len().saturating_sub(1));
                let other = other.min(segments.len() - 1);
                segments.swap(at, other);
            }
            kind => {
                let segment = &mut segments[at];
                let mut bytes: Vec<u8> = std::mem::take(segment).into_bytes();
                let position = rng.below(bytes.len());
                let noise = NOISE[rng.below(NOISE.len())];
                match kind {
                    _ if bytes.is_empty() => bytes.push(noise),
                    3 => bytes[position] = noise,
                    4 => bytes.insert(position, noise),
                    _ => {
                        bytes.remove(position);
                    }
                }
                *segment = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
    segments.concat()
}

/// `(status, claim id)` of every record `check` prints for `file`.
fn records(file: &Path) -> Vec<(String, Option<String>)> {
    let output = support::payrules(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_ne!(output.status.code(), Some(101), "check panicked on {}: {}", file.display(), text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let status = record["status"].as_str().unwrap_or("?").to_owned();
            (status, record["claim_id"].as_str().map(str::to_owned))
        })
        .collect()
}

#[test]
fn fix_then_check_over_thousands_of_mutations_loses_no_claim() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (mutations, seed) = (env("PAYRULES_FUZZ_MUTATIONS", 3000), env("PAYRULES_FUZZ_SEED", 20_261_201));
    let base = std::fs::read_to_string(support::root().join("examples/x12/therapy-fixes.837")).unwrap();
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    // Each mutation is an interchange of its own, a batch of them to a file, so
    // a broken envelope damages only its own mutation.
    const BATCH: u64 = 150;
    let (mut done, mut corrected_files) = (0u64, 0u64);
    while done < mutations {
        let count = BATCH.min(mutations - done);
        let batch: String = (0..count).map(|_| mutate(&base, &mut rng)).collect();
        let input = dir.path().join(format!("batch-{done}.837"));
        let output = dir.path().join(format!("batch-{done}.fixed.837"));
        std::fs::write(&input, &batch).unwrap();
        let before = records(&input);
        let fixed = support::payrules(&["fix", input.to_str().unwrap(), "-o", output.to_str().unwrap()]);
        let stderr = text(&fixed.stderr);
        assert!(
            matches!(fixed.status.code(), Some(0..=2)) && output.exists(),
            "seed {seed}, batch at {done}: fix did not write: {stderr}"
        );
        let after = records(&output);
        let ids = |records: &[(String, Option<String>)]| -> Vec<Option<String>> {
            records.iter().map(|(_, id)| id.clone()).collect()
        };
        assert_eq!(ids(&before), ids(&after), "seed {seed}, batch at {done}: claims lost or reordered by fix");
        // A claim that was read before is read after; fix never makes one unreadable.
        for ((was, id), (now, _)) in before.iter().zip(&after) {
            if was != "invalid-input" {
                assert_ne!(now, "invalid-input", "seed {seed}, batch at {done}: fix made {id:?} unreadable");
            }
        }
        corrected_files += u64::from(stderr.contains("corrected") && !stderr.contains(" 0 corrected"));
        done += count;
    }
    assert!(corrected_files > 0, "the mutations still leave claims that fix corrects");
}
