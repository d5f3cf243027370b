//! `payrules fix`: check each claim of an 837P and write the file back with
//! the fixes that need no review applied (`payrules_intake::fix_document`);
//! the summary says what was applied and what is left for a person.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use payrules_intake::{Fate, FixNote, fix_document};

use crate::{EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, RuleSetArgs};

/// Arguments of `payrules fix`.
#[derive(clap::Args, Debug)]
pub struct FixArgs {
    /// The 837P file to correct; `-` reads standard input.
    file: PathBuf,

    /// Where to write the corrected 837P; standard output when omitted.
    #[arg(short, long)]
    output: Option<PathBuf>,

    /// How to report what was done (standard output; the corrected file
    /// then goes to --output): notes for a person on standard error, or
    /// one JSON document, as the service's /v1/fix?format=json answers.
    #[arg(long, value_enum, default_value_t = crate::Format::Table, requires_if("json", "output"))]
    format: crate::Format,

    #[command(flatten)]
    rule_set: RuleSetArgs,
}

/// Runs `payrules fix`; the summary goes to standard error.
pub fn fix(args: &FixArgs) -> Result<u8> {
    let name = args.file.display().to_string();
    let (host, rule_set, _) = args.rule_set.load_on_demand()?;
    let label = format!("{}@{}", rule_set.name, rule_set.version);
    let (text, encoding) = payrules_intake::read_text_and_encoding(&args.file, rule_set.file_limits.claims_bytes)
        .map_err(|error| anyhow::anyhow!("{name}: {error}"))?;
    let mut evaluator = host.evaluator(rule_set);
    let run = fix_document(&mut evaluator, &text).with_context(|| name.clone())?;
    // Written back in the encoding it came in, so untouched segments keep their bytes.
    let bytes = payrules_intake::encode_text(&run.output, encoding);
    match &args.output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }

    let exit = if run.count(Fate::NotRead) > 0 {
        EXIT_BAD_INPUT
    } else if run.left_for_review() > 0 || run.count(Fate::NotChecked) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    if args.format == crate::Format::Json {
        writeln!(std::io::stdout().lock(), "{}", run.json(&label))?;
        return Ok(exit);
    }
    if crate::quiet() {
        return Ok(exit);
    }
    // The summary is for a person; a closed standard error loses it but not the corrected file.
    let mut err = std::io::stderr().lock();
    for claim in &run.claims {
        let label = claim.label();
        for note in &claim.notes {
            let line = match note {
                FixNote::Applied(fix) => format!("{label}: applied: {fix}"),
                FixNote::LeftForReview(fix) => format!("{label}: left for review: {fix}"),
                FixNote::NotRead(why) => format!("{label}: not read, written back unchanged: {why}"),
                FixNote::NotChecked(why) => format!("{label}: not checked, written back unchanged: {why}"),
                FixNote::NothingToFix => format!("{label}: nothing to fix"),
            };
            let _ = writeln!(err, "{}", crate::render::safe(&line));
        }
    }
    let (fixed, left, not_read, not_checked) =
        (run.count(Fate::Corrected), run.left_for_review(), run.count(Fate::NotRead), run.count(Fate::NotChecked));
    let _ = writeln!(
        err,
        "{} claim(s): {fixed} corrected, {left} fix(es) left for review, {not_read} could not be read, {not_checked} could not be checked",
        run.claims.len()
    );
    Ok(exit)
}
