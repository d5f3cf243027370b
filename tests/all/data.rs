//! The bundled sample reference data reads as CMS's layouts, with row dates.

use payrules_host::data::mue::MueTable;
use payrules_host::data::ptp::PtpTable;
use payrules_model::{Date, ModifierIndicator, MueAdjudication};

use crate::support;

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

#[test]
fn the_sample_ptp_file_holds_the_confirmed_pairs_with_their_dates() {
    let table = PtpTable::load(&[support::root().join("examples/data/ncci-ptp-practitioner-SAMPLE.txt")]).unwrap();
    // 97140 is column 1, 97530 column 2, modifier allowed (CMS modifier-59 example).
    let edit = table.edit("97140", "97530", date("2025-03-10")).unwrap();
    assert_eq!(edit.modifier_indicator, ModifierIndicator::Allowed);
    // TC20: the January 2020 hard edit applies on 2020-01-10 but not on 2019-12-20.
    let hard = table.edit("97530", "97162", date("2020-01-10")).unwrap();
    assert_eq!(hard.modifier_indicator, ModifierIndicator::NotAllowed);
    assert!(table.edit("97530", "97162", date("2019-12-20")).is_none());
    // TC19: the re-evaluation is column 2 to 97530.
    let among = table.edits_among(&["97164", "97530"], date("2025-03-10"));
    assert_eq!(among.len(), 1);
    assert_eq!(among[0].column_two, "97164");
}

#[test]
fn the_sample_mue_file_holds_the_reported_limits() {
    let table = MueTable::load(&support::root().join("examples/data/mue-practitioner-SAMPLE.csv")).unwrap();
    let limit = table.limit("97750").unwrap();
    assert_eq!((limit.units, limit.adjudication), (8, MueAdjudication::DateOfServiceClinical));
    assert!(table.limit("97110").is_none(), "no value for 97110 is public in the reference");
}

#[test]
fn rule_sets_that_name_the_same_files_share_one_copy_of_the_tables_and_the_compiled_plugins() {
    // `diff` loads a base and a candidate that name the same data files and
    // plugins; a service loads the next version beside the active one. Each
    // table is read, and each plugin compiled, once per process.
    let host = support::host();
    let base = support::load(&host, &support::default_rules());
    let candidate = support::load(&host, &support::root().join("examples/rulesets/candidate.toml"));
    let medicare = |rules: &payrules_host::RuleSet| {
        let entry = rules.entries.iter().find(|e| e.name == "medicare").expect("a medicare entry");
        (std::sync::Arc::clone(entry.plugin().expect("loaded")), entry.data.clone())
    };
    let (base_plugin, base_data) = medicare(&base);
    let (candidate_plugin, candidate_data) = medicare(&candidate);
    assert!(base_data.shares_tables_with(&candidate_data), "the tables were read twice");
    assert!(base_plugin.shares_code_with(&candidate_plugin), "the plugin was compiled twice");
    // A rule set naming other files gets its own tables.
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let sha = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let alone = support::load(&host, &support::one_entry_rule_set(dir.path(), &plugin, &sha, ""));
    assert!(!alone.entries[0].data.shares_tables_with(&base_data));
    assert!(
        alone.entries[0].plugin().expect("loaded").shares_code_with(&base_plugin),
        "the same plugin file is compiled once"
    );
}
