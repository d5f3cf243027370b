//! The released contract versions are frozen: each `wit/since_*` file that
//! has been released must keep the exact bytes it was released with, since
//! plugins built against it are in the field (wit/README.md).

use sha2::{Digest as _, Sha256};

use crate::support::root;

/// Each released contract file and the sha256 it was released with. A new
/// version adds a row when its issue closes; no row ever changes.
const RELEASED: &[(&str, &str)] = &[
    ("wit/since_v0.1.0/policy.wit", "35ea3167a5654c5e9da5aab30ba33577c5567c44e1f446e27cf5f1066e9644e9"),
    ("wit/since_v0.2.0/policy.wit", "910132af70e578fd59984b3a12ac32f68e44f57b502012c89d6c9f507facebc8"),
    ("wit/since_v0.3.0/policy.wit", "7c1ec0654955e099ff1c80792ff58477f2e886544b63aa9ef9267f4a71c2e16d"),
    ("wit/since_v0.4.0/policy.wit", "68ccdd4d571a2b68546666d3fdb630d442c8d91e655628b999e94e9e5623b1ed"),
    ("wit/since_v0.5.0/policy.wit", "99b8d9c573ffd8a02dbb1d836fdf489fd0299ba858df0f81f7e505ade5ec2aa7"),
];

#[test]
fn released_contract_files_never_change() -> anyhow::Result<()> {
    let mut changed = Vec::new();
    for (file, released) in RELEASED {
        let bytes = std::fs::read(root().join(file))?;
        let now = format!("{:x}", Sha256::digest(&bytes));
        if now != *released {
            changed.push(format!("{file}: released as {released}, now {now}"));
        }
    }
    assert!(
        changed.is_empty(),
        "a released contract changed; put the change in a new wit/since_* version instead:\n{}",
        changed.join("\n")
    );
    Ok(())
}

#[test]
fn every_contract_folder_is_released_or_the_one_draft() -> anyhow::Result<()> {
    let mut folders: Vec<String> = std::fs::read_dir(root().join("wit"))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let released: Vec<&str> =
        RELEASED.iter().filter_map(|(file, _)| file.strip_prefix("wit/")?.split('/').next()).collect();
    let drafts: Vec<&String> = folders.iter().filter(|f| !released.contains(&f.as_str())).collect();
    assert!(drafts.len() <= 1, "only the newest contract version may be a draft, found {drafts:?}");
    if let Some(draft) = drafts.first() {
        assert_eq!(Some(*draft), folders.last(), "the draft must be the newest version");
    }
    Ok(())
}

/// A rule set with the test plugin built on an older contract (`guest`)
/// alone, granted every bundled sample table, for Medicare claims.
fn rule_set_on(dir: &std::path::Path, guest: &str) -> std::path::PathBuf {
    let plugin = crate::support::built(&format!("test-plugins/{guest}"));
    let sha = format!("{:x}", Sha256::digest(std::fs::read(&plugin).unwrap()));
    let data = root().join("examples/data");
    let text = format!(
        r#"name = "on-{guest}"
version = "1"
plugin_dirs = ["{plugins}"]

[data]
ncci_ptp = ["{data}/ncci-ptp-practitioner-SAMPLE.txt"]

[[data.mue]]
file = "{data}/mue-practitioner-SAMPLE.csv"
effective_from = 2017-01-01

[[data.rvu]]
file = "{data}/pprrvu-SAMPLE.csv"
effective_from = 2019-01-01

[[data.gpci]]
file = "{data}/gpci-SAMPLE.csv"
effective_from = 2019-01-01

[[payer]]
name = "released"
payer_ids = ["MEDICARE"]
plugin = "{plugin}"
sha256 = "{sha}"
effective_from = 2019-01-01
data = ["ncci-ptp", "mue", "rvu", "gpci"]

[payer.config]
locality = "15202-00"
"#,
        plugins = plugin.parent().unwrap().display(),
        data = data.display(),
        plugin = plugin.display(),
    );
    let path = dir.join(format!("on-{guest}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// What the host's tables say on `date` about `codes`, written as the 0.3.0
/// test plugin reports it.
fn expected_day(data: &payrules_host::data::GrantedData, codes: &[&str], date: payrules_model::Date) -> String {
    use payrules_model::{DataUnavailable, ModifierIndicator, ReferenceData as _};
    fn rows<T>(answer: Result<Vec<T>, DataUnavailable>, show: impl Fn(&T) -> String) -> String {
        match answer {
            Ok(rows) => rows.iter().map(show).collect::<Vec<_>>().join(" "),
            Err(DataUnavailable::NotGranted) => "not-granted".to_owned(),
            Err(DataUnavailable::NoDataForDate) => "no-data-for-date".to_owned(),
        }
    }
    let ptp = rows(data.ptp_edits(codes, date), |e| {
        let indicator = match e.modifier_indicator {
            ModifierIndicator::NotAllowed => 0,
            ModifierIndicator::Allowed => 1,
            ModifierIndicator::NotApplicable => 9,
        };
        format!("{}>{}:{indicator}", e.column_one, e.column_two)
    });
    let mue = rows(data.mue_limits(codes, date), |l| format!("{}={}", l.code, l.units));
    let rvu = rows(data.relative_values(codes, date), |v| format!("{}={}/{}", v.code, v.work, v.multiple_procedure));
    let gpci = match data.geographic_indices("15202-00", date) {
        Ok(Some(g)) => format!("{}={}", g.locality, g.work),
        Ok(None) => "none".to_owned(),
        Err(_) => "unavailable".to_owned(),
    };
    format!("{date} ptp [{ptp}] mue [{mue}] rvu [{rvu}] gpci [{gpci}]")
}

#[test]
fn a_plugin_built_on_contract_0_3_0_is_told_what_the_tables_say() -> anyhow::Result<()> {
    // A 0.3.0 plugin asks four lookups per date with its codes as strings;
    // the host answers them through the newest contract's rows.
    told_what_the_tables_say("released-0-3", "0.3.0")
}

#[test]
fn a_plugin_built_on_contract_0_4_0_is_told_what_the_tables_say() -> anyhow::Result<()> {
    // A 0.4.0 plugin gets the claim without 0.5.0's fields and makes one
    // day-reference call per date, answered through the newest contract.
    told_what_the_tables_say("released-0-4", "0.4.0")?;
    let dir = tempfile::tempdir()?;
    let host = crate::support::host();
    let rules = crate::support::load(&host, &rule_set_on(dir.path(), "released-0-4"));
    let rule = &rules.entries[0].plugin().expect("loaded").info.rules[0];
    assert_eq!(rule.severity, Some(payrules_model::Severity::Info), "0.4.0 rule listings keep their severity");
    assert_eq!(rule.denial.as_deref(), Some("CO-97"), "and their denial");
    Ok(())
}

/// Runs the generated Medicare corpus through the test plugin `guest`, built
/// on contract `version`: what it is told must be exactly what the tables hold.
fn told_what_the_tables_say(guest: &str, version: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let host = crate::support::host();
    let rules = crate::support::load(&host, &rule_set_on(dir.path(), guest));
    let entry = &rules.entries[0];
    assert_eq!(entry.plugin().expect("loaded").contract_version, version);
    let mut evaluator = host.evaluator(std::sync::Arc::clone(&rules));
    let generated = crate::support::payrules(&["gen", "--count", "400", "--seed", "21"]);
    let claims: Vec<payrules_model::Claim> = crate::support::text(&generated.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|claim: &payrules_model::Claim| claim.payer.id == "MEDICARE")
        .collect();
    assert!(claims.len() > 30, "the corpus holds Medicare claims");
    let mut edits_seen = 0;
    for claim in &claims {
        let outcome = match evaluator.evaluate(claim).verdict {
            payrules_host::Verdict::Evaluated { outcome, .. } => outcome,
            other => panic!("{}: {other:?}", claim.id),
        };
        let mut dates: Vec<payrules_model::Date> = Vec::new();
        for line in &claim.lines {
            if !dates.contains(&line.date_of_service) {
                dates.push(line.date_of_service);
            }
        }
        let expected: Vec<String> = dates
            .iter()
            .map(|date| {
                let mut codes: Vec<&str> =
                    claim.lines.iter().filter(|l| l.date_of_service == *date).map(|l| l.procedure.as_str()).collect();
                codes.sort_unstable();
                codes.dedup();
                expected_day(&entry.data, &codes, *date)
            })
            .collect();
        let told: Vec<&str> = outcome.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(told, expected, "{}", claim.id);
        edits_seen += expected.iter().filter(|day| !day.contains("ptp []")).count();
    }
    assert!(edits_seen > 0, "some claims bill a pair the sample PTP file edits");
    Ok(())
}
