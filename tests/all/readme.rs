//! The README's sample sessions are what the current build prints.
//!
//! Every fenced block of README.md (with no language, or `console`) whose
//! first line is `$ payrules ...` is a session: each `$ ` line is run (in a scratch folder that sees the
//! project's `examples/`, `plugins/`, `tests/` and `target/`), and what it
//! prints, standard output then standard error, must match the lines below
//! it. A line that is only `...` stands for any number of lines, and `...`
//! inside a line for any text, so a block may show an excerpt; everything
//! else must be exactly as printed, trailing spaces aside. A `text` block
//! is an illustration that cannot be run here (the service's decision log,
//! say) and is left alone.

use std::path::Path;

use crate::support;

/// One `$ command` of a session and the output shown under it.
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The sessions of `readme`: each with the README line it starts on.
fn sessions(readme: &str) -> Vec<(usize, Vec<Step>)> {
    let mut sessions = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(language) = line.strip_prefix("```") else { continue };
        let runnable = matches!(language.trim(), "" | "console");
        let block: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| !l.starts_with("```")).collect();
        if !runnable || !block.first().is_some_and(|first| first.starts_with("$ payrules ")) {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        for line in block {
            match (line.strip_prefix("$ "), steps.last_mut()) {
                (Some(command), _) => steps.push(Step { command: command.to_owned(), expected: Vec::new() }),
                (None, Some(step)) => step.expected.push(line.trim_end().to_owned()),
                (None, None) => {}
            }
        }
        sessions.push((number + 1, steps));
    }
    sessions
}

/// Whether `actual` matches `expected`, where `...` inside stands for any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let pieces: Vec<&str> = expected.split("...").collect();
    let [first, middle @ .., last] = pieces.as_slice() else { return expected == actual };
    let Some(mut rest) = actual.strip_prefix(first) else { return false };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether the `actual` lines match the `expected` ones, `...` lines
/// standing for any number of lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.split_first().is_some_and(|(line, others)| line_matches(first, line) && lines_match(rest, others))
        }
    }
}

/// A scratch folder that sees the project's inputs and built plugins, so a
/// session's own files (`-o fixed.837`) land there and not in the checkout.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for shared in ["examples", "plugins", "tests", "target"] {
        std::os::unix::fs::symlink(support::root().join(shared), dir.path().join(shared)).unwrap();
    }
    dir
}

/// Runs `command` in `dir`: `payrules` itself, anything else through the shell.
fn run(dir: &Path, command: &str) -> String {
    let output = match command.strip_prefix("payrules ") {
        Some(args) => {
            let args: Vec<&str> = args.split_whitespace().collect();
            support::command(&args).current_dir(dir).output().unwrap()
        }
        None => std::process::Command::new("sh").arg("-c").arg(command).current_dir(dir).output().unwrap(),
    };
    let mut shown = support::text(&output.stdout);
    shown.push_str(&support::text(&output.stderr));
    shown
}

#[test]
fn the_readmes_sample_sessions_are_what_the_build_prints() {
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    let sessions = sessions(&readme);
    assert!(sessions.len() >= 8, "the README shows its commands as `$ payrules ...` sessions: {}", sessions.len());
    let mut differences = Vec::new();
    for (line, steps) in &sessions {
        let dir = scratch();
        for step in steps {
            let printed = support::without_run_time(&run(dir.path(), &step.command));
            let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
            let expected: Vec<String> = step.expected.iter().map(|l| support::without_run_time(l)).collect();
            if !lines_match(&expected, &printed) {
                differences.push(format!(
                    "README.md line {line}: `{}` printed:\n{}\n",
                    step.command,
                    printed.join("\n")
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn elisions_stand_for_what_they_leave_out_and_nothing_else() {
    let expected: Vec<String> = ["claim A ...", "...", "total 3"].map(str::to_owned).to_vec();
    assert!(lines_match(&expected, &["claim A from x", "line 1", "line 2", "total 3"]));
    assert!(lines_match(&expected, &["claim A from x", "total 3"]));
    assert!(!lines_match(&expected, &["claim B from x", "total 3"]));
    assert!(!lines_match(&expected, &["claim A from x", "total 4"]));
    assert!(!lines_match(&expected, &["claim A from x", "total 3", "more"]));
    assert!(line_matches("fired: A, ... Z", "fired: A, B, C, Z"));
    assert!(!line_matches("fired: A, ... Z", "fired: A, B, C, Y"));
    assert!(line_matches("sha256 8ad4...)", "sha256 8ad4...)"));
}
