//! `payrules test`: runs plugin test kits through the built plugins and
//! reports each case, the rule coverage, and the differences of any failure.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use payrules_host::kit::{KitReport, read_kit};
use payrules_host::{Host, RuleSet};

use crate::{CacheArgs, EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, load_rule_set};

/// Arguments of `payrules test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Kit folders (holding `kit.toml`); every `plugins/*/kit` when omitted.
    paths: Vec<PathBuf>,

    /// Show failing cases only.
    #[arg(short, long)]
    quiet: bool,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    trust: crate::TrustArgs,
}

/// The kits to run: the paths given, or every `plugins/*/kit` here.
fn kit_dirs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !paths.is_empty() {
        return Ok(paths
            .iter()
            .map(|p| if p.is_file() { p.parent().map(Path::to_path_buf).unwrap_or_default() } else { p.clone() })
            .collect());
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("plugins")
        .context("no kit folders given, and there is no plugins/ folder here to find them in")?
        .filter_map(Result::ok)
        .map(|e| e.path().join("kit"))
        .filter(|p| p.join("kit.toml").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Runs `payrules test`.
pub fn test(args: &TestArgs) -> Result<u8> {
    let host = args.cache.host_trusting(&args.trust)?;
    let mut rule_sets: HashMap<PathBuf, Arc<RuleSet>> = HashMap::new();
    let mut out = std::io::stdout().lock();
    let (mut failed_cases, mut broken_kits, mut total) = (0usize, 0usize, 0usize);
    for dir in kit_dirs(&args.paths)? {
        match run_one(&host, &dir, &mut rule_sets) {
            Ok((report, text)) => {
                total += report.cases.len();
                failed_cases += report.failed();
                write!(out, "{}", render(&report, &text, args.quiet))?;
            }
            Err(error) => {
                broken_kits += 1;
                writeln!(out, "kit {}: CANNOT RUN: {error:#}\n", dir.display())?;
            }
        }
    }
    writeln!(
        out,
        "{total} case(s): {} passed, {failed_cases} failed; {broken_kits} kit(s) could not run",
        total - failed_cases
    )?;
    Ok(if broken_kits > 0 {
        EXIT_BAD_INPUT
    } else if failed_cases > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// What the coverage report says about the plugin, as lines of text.
struct Coverage {
    heading: String,
    lines: Vec<String>,
}

fn run_one(host: &Host, dir: &Path, rule_sets: &mut HashMap<PathBuf, Arc<RuleSet>>) -> Result<(KitReport, Coverage)> {
    let kit = read_kit(dir)?;
    let rule_set = match rule_sets.get(&kit.rules) {
        Some(rule_set) => Arc::clone(rule_set),
        None => {
            let rule_set = load_rule_set(host, &kit.rules, false)?;
            rule_sets.insert(kit.rules.clone(), Arc::clone(&rule_set));
            rule_set
        }
    };
    // The rule set has usually loaded the plugin already; load it again only when it has not.
    let wanted = std::fs::canonicalize(&kit.plugin).ok();
    let loaded = rule_set
        .entries
        .iter()
        .filter_map(|entry| entry.plugin())
        .find(|plugin| wanted.is_some() && std::fs::canonicalize(&plugin.path).ok() == wanted);
    let plugin = match loaded {
        Some(plugin) => Arc::clone(plugin),
        None => {
            Arc::new(host.inspect_plugin(&kit.plugin).with_context(|| format!("cannot load {}", kit.plugin.display()))?)
        }
    };
    let report = kit.run(&mut host.evaluator(Arc::clone(&rule_set)))?;
    let declared: Vec<&str> = plugin.info.rules.iter().map(|r| r.id.as_str()).collect();
    let fired = declared.iter().filter(|id| report.fired.contains(**id)).count();
    let mut lines = Vec::new();
    let fired_ids: Vec<&str> = report.fired.iter().map(String::as_str).collect();
    lines.push(format!("fired: {}", if fired_ids.is_empty() { "none".to_owned() } else { fired_ids.join(", ") }));
    for id in declared.iter().filter(|id| !report.fired.contains(**id)) {
        match kit.elsewhere.get(*id) {
            Some(test) => lines.push(format!("never fired: {id} (covered elsewhere: {test})")),
            None => lines.push(format!("never fired: {id}")),
        }
    }
    let heading = format!(
        "kit {}: plugin {}@{} under rule set {}@{}\n  rules fired: {fired} of {} declared",
        dir.display(),
        plugin.info.name,
        plugin.info.version,
        rule_set.name,
        rule_set.version,
        declared.len()
    );
    Ok((report, Coverage { heading, lines }))
}

fn render(report: &KitReport, coverage: &Coverage, quiet: bool) -> String {
    let mut text = format!("{}\n", coverage.heading);
    for line in &coverage.lines {
        text.push_str(&format!("  {line}\n"));
    }
    for case in &report.cases {
        if case.passed() {
            if !quiet {
                text.push_str(&format!("  pass  {}: {}\n", case.file, case.name));
            }
            continue;
        }
        text.push_str(&format!("  FAIL  {}: {} [{}]\n", case.file, case.name, case.source));
        if let Some(reading) = &case.reading {
            text.push_str(&format!("          reading: {reading}\n"));
        }
        for difference in &case.differences {
            text.push_str(&format!("          {difference}\n"));
        }
    }
    text.push_str(&format!(
        "  {} case(s): {} passed, {} failed\n\n",
        report.cases.len(),
        report.cases.len() - report.failed(),
        report.failed()
    ));
    text
}
