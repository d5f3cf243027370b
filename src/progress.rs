//! Progress on standard error for long runs (`check`, `diff`, `gen`): a bar
//! when the number of claims is known beforehand, else a running count.
//! Nothing is drawn when standard error is not a terminal or with
//! `--quiet`, so piped and logged output never carries it.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Claims between updates of the bar's note: the count moves every claim,
/// the note (which is formatted) only this often.
const NOTE_EVERY: u64 = 256;

/// A progress bar for a run over claims.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Progress over the claims of `files`, counted first when they are JSON
    /// Lines (one claim a line); `verb` says what happens to each.
    pub fn claims(files: &[PathBuf], verb: &'static str) -> Progress {
        if !shown() {
            return Progress { bar: ProgressBar::hidden() };
        }
        Progress::drawn(count_claims(files), verb)
    }

    /// Progress over `total` claims.
    pub fn known(total: u64, verb: &'static str) -> Progress {
        if !shown() {
            return Progress { bar: ProgressBar::hidden() };
        }
        Progress::drawn(Some(total), verb)
    }

    fn drawn(total: Option<u64>, verb: &'static str) -> Progress {
        let (bar, template) = match total {
            Some(total) => {
                (ProgressBar::new(total), format!("[{{bar:30}}] {{percent:>3}}%  {{pos}}/{{len}} claims {verb}{{msg}}"))
            }
            None => (ProgressBar::no_length(), format!("{{spinner}} {{pos}} claims {verb}{{msg}}")),
        };
        let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("#>."));
        bar.set_draw_target(ProgressDrawTarget::stderr());
        Progress { bar }
    }

    /// One more claim done; `note` (", 3 need attention") is asked for only
    /// every few hundred claims.
    pub fn advance(&self, note: impl FnOnce() -> String) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.inc(1);
        if self.bar.position() % NOTE_EVERY == 1 {
            self.bar.set_message(note());
        }
    }

    /// Clears the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Whether progress is drawn: standard error is a terminal and `--quiet` was not given.
fn shown() -> bool {
    !crate::quiet() && std::io::stderr().is_terminal()
}

/// The number of claims in `files` when every one is JSON Lines (a claim a
/// non-blank line); `None` when any is another format, whose claims are
/// only known once read.
fn count_claims(files: &[PathBuf]) -> Option<u64> {
    use std::io::BufRead as _;
    let mut total = 0u64;
    for file in files {
        if !matches!(file.extension().and_then(|e| e.to_str()), Some("jsonl" | "ndjson")) {
            return None;
        }
        let reader = std::io::BufReader::new(std::fs::File::open(file).ok()?);
        let lines = reader.lines().map_while(Result::ok).filter(|l| !l.trim().is_empty()).count();
        total = total.saturating_add(u64::try_from(lines).ok()?);
    }
    Some(total)
}
