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
