//! `payrules test`: runs plugin test kits through the built plugins and
//! reports each case, the rule coverage, and the differences of any failure.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use payrules_host::kit::{KitReport, read_kit};
use payrules_host::{Host, RuleSet};
use serde::Serialize;
use serde_json::json;

use crate::{CacheArgs, EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, load_rule_set};

/// Arguments of `payrules test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Kit folders (holding `kit.toml`); every `plugins/*/kit` when omitted.
    paths: Vec<PathBuf>,

    /// Run only the cases whose name or case file matches this regular
    /// expression (`--run 'units|8-minute'`); the others are not run.
    #[arg(long, value_name = "PATTERN")]
    run: Option<regex::Regex>,

    /// Output format: a readable report, or one JSON document with every case.
    #[arg(long, value_enum, default_value_t = crate::Format::Table)]
    format: crate::Format,

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

/// One kit's run: which plugin under which rule set, each case's result,
/// and which of the plugin's declared rules the cases made fire.
#[derive(Serialize)]
struct KitRun {
    kit: String,
    plugin: String,
    rule_set: String,
    cases: Vec<payrules_host::kit::CaseResult>,
    coverage: Coverage,
    passed: usize,
    failed: usize,
}

/// Which declared rules fired in the cases that ran.
#[derive(Serialize)]
struct Coverage {
    declared: usize,
    fired: Vec<String>,
    never_fired: Vec<NeverFired>,
    /// Whether `--run` left cases out, so a rule that never fired may be
    /// covered by a case that did not run.
    filtered: bool,
}

/// A declared rule no case made fire, and the test elsewhere that covers it, if any.
#[derive(Serialize)]
struct NeverFired {
    rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    covered_elsewhere: Option<String>,
}

/// A kit that could not run at all.
#[derive(Serialize)]
struct BrokenKit {
    kit: String,
    error: String,
}

/// Runs `payrules test`.
pub fn test(args: &TestArgs) -> Result<u8> {
    let host = args.cache.host_trusting(&args.trust)?;
    let mut rule_sets: HashMap<PathBuf, Arc<RuleSet>> = HashMap::new();
    let mut out = std::io::stdout().lock();
    let (mut runs, mut broken) = (Vec::new(), Vec::new());
    for dir in kit_dirs(&args.paths)? {
        match run_one(&host, &dir, &mut rule_sets, args.run.as_ref()) {
            Ok(run) => {
                if args.format == crate::Format::Table {
                    write!(out, "{}", render(&run, crate::quiet()))?;
                }
                runs.push(run);
            }
            Err(error) => {
                let kit = BrokenKit { kit: dir.display().to_string(), error: format!("{error:#}") };
                if args.format == crate::Format::Table {
                    writeln!(out, "kit {}: CANNOT RUN: {}\n", kit.kit, kit.error)?;
                }
                broken.push(kit);
            }
        }
    }
    let total: usize = runs.iter().map(|r| r.cases.len()).sum();
    let failed: usize = runs.iter().map(|r| r.failed).sum();
    match args.format {
        crate::Format::Table => writeln!(
            out,
            "{total} case(s): {} passed, {failed} failed; {} kit(s) could not run",
            total - failed,
            broken.len()
        )?,
        crate::Format::Json => {
            let document = json!({
                "schema_version": payrules_intake::SCHEMA_VERSION,
                "kits": runs,
                "kits_not_run": broken,
                "summary": { "cases": total, "passed": total - failed, "failed": failed, "kits_not_run": broken.len() },
            });
            writeln!(out, "{document}")?;
        }
    }
    Ok(if !broken.is_empty() {
        EXIT_BAD_INPUT
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn run_one(
    host: &Host,
    dir: &Path,
    rule_sets: &mut HashMap<PathBuf, Arc<RuleSet>>,
    pattern: Option<&regex::Regex>,
) -> Result<KitRun> {
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
    let matches = |file: &str, name: &str| pattern.is_none_or(|p| p.is_match(name) || p.is_match(file));
    let report: KitReport = kit.run_matching(&mut host.evaluator(Arc::clone(&rule_set)), matches)?;
    let declared: Vec<&str> = plugin.info.rules.iter().map(|r| r.id.as_str()).collect();
    let never_fired = declared
        .iter()
        .filter(|id| !report.fired.contains(**id))
        .map(|id| NeverFired { rule: (*id).to_owned(), covered_elsewhere: kit.elsewhere.get(*id).cloned() })
        .collect();
    let failed = report.failed();
    Ok(KitRun {
        kit: dir.display().to_string(),
        plugin: format!("{}@{}", plugin.info.name, plugin.info.version),
        rule_set: format!("{}@{}", rule_set.name, rule_set.version),
        passed: report.cases.len() - failed,
        failed,
        coverage: Coverage {
            declared: declared.len(),
            fired: declared.iter().filter(|id| report.fired.contains(**id)).map(|id| (*id).to_owned()).collect(),
            never_fired,
            filtered: pattern.is_some(),
        },
        cases: report.cases,
    })
}

fn render(run: &KitRun, quiet: bool) -> String {
    let coverage = &run.coverage;
    let mut text = format!(
        "kit {}: plugin {} under rule set {}\n  rules fired: {} of {} declared{}\n",
        run.kit,
        run.plugin,
        run.rule_set,
        coverage.fired.len(),
        coverage.declared,
        if coverage.filtered { " (only the cases --run matched ran)" } else { "" }
    );
    let fired = if coverage.fired.is_empty() { "none".to_owned() } else { coverage.fired.join(", ") };
    text.push_str(&format!("  fired: {fired}\n"));
    for rule in &coverage.never_fired {
        match &rule.covered_elsewhere {
            Some(test) => text.push_str(&format!("  never fired: {} (covered elsewhere: {test})\n", rule.rule)),
            None => text.push_str(&format!("  never fired: {}\n", rule.rule)),
        }
    }
    for case in &run.cases {
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
    text.push_str(&format!("  {} case(s): {} passed, {} failed\n\n", run.cases.len(), run.passed, run.failed));
    text
}
