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

/// The bundled rule set with each plugin swapped for its build on contract
/// 0.3.0 (tests/fixtures/contract-0.3.0), written into `dir`.
fn rule_set_on_0_3_0(dir: &std::path::Path) -> std::path::PathBuf {
    let fixtures = root().join("tests/fixtures/contract-0.3.0");
    let mut text = std::fs::read_to_string(root().join("examples/rulesets/default.toml")).unwrap();
    for plugin in ["medicare", "commercial", "medicaid", "self-pay", "workers-comp"] {
        let now = crate::support::built(&format!("plugins/{plugin}"));
        let now = format!("{:x}", Sha256::digest(std::fs::read(now).unwrap()));
        let then = fixtures.join(format!("{plugin}.wasm"));
        let then = format!("{:x}", Sha256::digest(std::fs::read(then).unwrap()));
        assert_ne!(now, then, "{plugin} should be rebuilt on the newest contract");
        text = text.replace(&now, &then);
    }
    let text = text
        .replace("../../target/plugins", &fixtures.display().to_string())
        .replace("\"../data/", &format!("\"{}/examples/data/", root().display()));
    let path = dir.join("on-0.3.0.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn plugins_built_on_contract_0_3_0_give_the_same_outcomes_as_their_newest_builds() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let old = rule_set_on_0_3_0(dir.path());
    let corpus = dir.path().join("corpus.jsonl");
    let generated = crate::support::payrules(&["gen", "--count", "1200", "--seed", "21"]);
    std::fs::write(&corpus, &generated.stdout)?;
    let inspect = crate::support::payrules(&["plugin", "inspect", "tests/fixtures/contract-0.3.0/medicare.wasm"]);
    assert!(crate::support::text(&inspect.stdout).contains("contract  payrules:policy@0.3.0"));
    let diff = crate::support::payrules(&[
        "diff",
        "--base",
        old.to_str().unwrap(),
        "--candidate",
        "examples/rulesets/default.toml",
        corpus.to_str().unwrap(),
    ]);
    let report = crate::support::text(&diff.stdout);
    assert_eq!(diff.status.code(), Some(0), "{report}{}", crate::support::text(&diff.stderr));
    assert!(report.contains("1200 claim(s) replayed from default@2026.1 to default@2026.1: 0 changed"), "{report}");
    Ok(())
}
