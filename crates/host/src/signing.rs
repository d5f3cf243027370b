//! Signed rule sets: an ed25519 signature over a rule set and the sha256 of
//! every file it names, kept beside it as `<rule set>.sig`.
//!
//! Once an operator trusts a key, a rule set loads only if a signature by a
//! trusted key covers it and every file it names still has the signed hash.
//! A missing signature is a refusal whatever else is configured, so
//! deleting the signature is no way around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use ed25519_dalek::VerifyingKey;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use serde::{Deserialize, Serialize};

use crate::files::read_regular;
use crate::plugin::sha256_hex;
use crate::ruleset::{RuleSetFile, parse_rule_set, read_rule_set_bytes};

/// What the signature covers first, so it is never valid for anything else.
const CONTEXT: &str = "payrules rule set signature v1\n";

/// Why a rule set could not be signed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A key or signature file could not be read or written.
    #[error("`{path}`: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error; part of the message, so not a separate error source.
        cause: std::io::Error,
    },
    /// A key file holds something other than a key.
    #[error("`{path}` is not a payrules {what} key: expected 64 hex digits")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// `signing` or `public`.
        what: &'static str,
    },
    /// The rule set, or a file it names, could not be read to sign or check it.
    #[error("cannot read `{path}` to check its signature: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Trusted keys are configured and the rule set has no signature.
    #[error("rule set `{rule_set}` is not signed (no `{signature}`), and trusted keys are configured")]
    Unsigned {
        /// The rule set.
        rule_set: PathBuf,
        /// Where its signature should be.
        signature: PathBuf,
    },
    /// The signature file is not in the expected form.
    #[error("`{path}` is not a payrules rule set signature: {message}")]
    Malformed {
        /// The signature file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The signature was made by a key that is not trusted.
    #[error("rule set `{rule_set}` is signed by key {key}, which is not trusted")]
    UntrustedKey {
        /// The rule set.
        rule_set: PathBuf,
        /// The signer's public key, hex.
        key: String,
    },
    /// The signature does not verify over what it lists.
    #[error("the signature of rule set `{rule_set}` does not verify")]
    BadSignature {
        /// The rule set.
        rule_set: PathBuf,
    },
    /// A file differs from the hash that was signed, or is not covered.
    #[error("rule set `{rule_set}`: `{file}` {problem}")]
    FileChanged {
        /// The rule set.
        rule_set: PathBuf,
        /// The file, as the rule set names it.
        file: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The detached signature file, `<rule set>.sig`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    /// The signer's public key, hex.
    key: String,
    /// The ed25519 signature over the manifest, hex.
    signature: String,
    /// Every covered file, relative to the rule set's folder (the rule set
    /// itself under its own file name), and its sha256.
    files: BTreeMap<String, String>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SignatureError + '_ {
    move |cause| SignatureError::Io { path: path.to_path_buf(), cause }
}

/// Where the signature of `rule_set` is kept.
pub fn signature_path(rule_set: &Path) -> PathBuf {
    let mut name = rule_set.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// The text that is signed: the context, then one line per file.
fn manifest(files: &BTreeMap<String, String>) -> String {
    let mut text = CONTEXT.to_owned();
    for (path, sha) in files {
        text.push_str(&format!("{}\t{sha}\n", path.escape_default()));
    }
    text
}

/// Every file the rule set at `rule_set` (whose bytes are `own`, parsed as
/// `file`) names, and its sha256: the rule set itself, its plugins, its
/// reference data files, and every file of a required kit.
fn covered_files(rule_set: &Path, own: &[u8], file: &RuleSetFile) -> Result<BTreeMap<String, String>, SignatureError> {
    let unreadable = |path: &Path, message: String| SignatureError::Unreadable { path: path.to_path_buf(), message };
    let limits = file.limits.resolve().map_err(|message| unreadable(rule_set, message))?;
    let base = rule_set.parent().unwrap_or(Path::new("."));
    let mut named: Vec<PathBuf> = Vec::new();
    named.extend(file.payers.iter().map(|p| p.plugin.clone()));
    named.extend(file.data.ncci_ptp.iter().cloned());
    for dated in file.data.mue.iter().chain(&file.data.rvu).chain(&file.data.gpci) {
        named.push(dated.file.clone());
    }
    for kit in file.payers.iter().filter_map(|p| p.kit.as_ref()) {
        let dir = base.join(kit);
        let entries = std::fs::read_dir(&dir).map_err(|e| unreadable(&dir, e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| unreadable(&dir, e.to_string()))?;
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                named.push(kit.join(entry.file_name()));
            }
        }
    }
    let mut files = BTreeMap::new();
    let own_name = rule_set.file_name().map_or_else(|| "rules.toml".to_owned(), |n| n.to_string_lossy().into_owned());
    files.insert(own_name, sha256_hex(own));
    // The largest limit that applies: these are plugins, data files and kit cases.
    let limit = limits.data_bytes.max(limits.plugin_bytes);
    for relative in named {
        let path = base.join(&relative);
        let sha = crate::files::sha256_of_regular(&path, limit).map_err(|e| unreadable(&path, e.to_string()))?;
        files.insert(relative.to_string_lossy().into_owned(), sha);
    }
    Ok(files)
}

/// A new signing key at `path` (mode 0600) and its public key at `path.pub`.
pub fn generate_key(path: &Path) -> Result<VerifyingKey, SignatureError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| SignatureError::Io {
        path: PathBuf::from("(system random source)"),
        cause: std::io::Error::other(e.to_string()),
    })?;
    let key = SigningKey::from_bytes(&seed);
    let mut file = crate::files::create_private(path).map_err(io_error(path))?;
    std::io::Write::write_all(&mut file, format!("{}\n", hex::encode(seed)).as_bytes()).map_err(io_error(path))?;
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    let public = PathBuf::from(public);
    std::fs::write(&public, format!("{}\n", hex::encode(key.verifying_key().as_bytes()))).map_err(io_error(&public))?;
    Ok(key.verifying_key())
}

fn key_bytes(path: &Path, what: &'static str, limit: u64) -> Result<[u8; 32], SignatureError> {
    let bytes = read_regular(path, limit).map_err(|cause| SignatureError::Io { path: path.to_path_buf(), cause })?;
    crate::files::parse_hex_key(&bytes).ok_or_else(|| SignatureError::BadKey { path: path.to_path_buf(), what })
}

/// Reads a signing key written by [`generate_key`].
pub fn read_signing_key(path: &Path) -> Result<SigningKey, SignatureError> {
    Ok(SigningKey::from_bytes(&key_bytes(path, "signing", 1024)?))
}

/// Reads a public key (`.pub`) written by [`generate_key`].
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, SignatureError> {
    VerifyingKey::from_bytes(&key_bytes(path, "public", 1024)?)
        .map_err(|_| SignatureError::BadKey { path: path.to_path_buf(), what: "public" })
}

/// Signs `rule_set` and every file it names with `key`, writing
/// `<rule set>.sig`; returns where it was written.
pub fn sign(rule_set: &Path, key: &SigningKey) -> Result<PathBuf, SignatureError> {
    let unreadable = |message: String| SignatureError::Unreadable { path: rule_set.to_path_buf(), message };
    let own = read_rule_set_bytes(rule_set).map_err(|e| unreadable(e.to_string()))?;
    let file = parse_rule_set(rule_set, &own).map_err(|e| unreadable(e.to_string()))?;
    let files = covered_files(rule_set, &own, &file)?;
    let signature = key.sign(manifest(&files).as_bytes());
    let file = SignatureFile {
        key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(signature.to_bytes()),
        files,
    };
    let path = signature_path(rule_set);
    let text =
        toml::to_string(&file).map_err(|e| SignatureError::Malformed { path: path.clone(), message: e.to_string() })?;
    let text = format!("# payrules rule set signature: `payrules sign` wrote it; any change invalidates it\n{text}");
    std::fs::write(&path, text).map_err(|cause| SignatureError::Io { path: path.clone(), cause })?;
    Ok(path)
}

/// Checks that a key in `trusted` signed the rule set at `rule_set`, whose
/// bytes as read for loading are `own` (parsed as `file`), and that every
/// file it names has the signed hash. With no trusted keys, nothing is checked.
pub fn verify(rule_set: &Path, own: &[u8], file: &RuleSetFile, trusted: &[VerifyingKey]) -> Result<(), SignatureError> {
    if trusted.is_empty() {
        return Ok(());
    }
    let path = signature_path(rule_set);
    let malformed = |message: String| SignatureError::Malformed { path: path.clone(), message };
    let bytes = match read_regular(&path, 1 << 20) {
        Ok(bytes) => bytes,
        Err(cause) if cause.kind() == std::io::ErrorKind::NotFound => {
            return Err(SignatureError::Unsigned { rule_set: rule_set.to_path_buf(), signature: path });
        }
        Err(cause) => return Err(SignatureError::Io { path, cause }),
    };
    let text = String::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    let signed: SignatureFile = toml::from_str(&text).map_err(|e| malformed(e.message().to_owned()))?;
    let key_hex = signed.key.to_ascii_lowercase();
    let key = trusted
        .iter()
        .find(|k| hex::encode(k.as_bytes()) == key_hex)
        .ok_or_else(|| SignatureError::UntrustedKey { rule_set: rule_set.to_path_buf(), key: key_hex.clone() })?;
    let signature = hex::decode(&signed.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| malformed("`signature` must be 128 hex digits".to_owned()))?;
    key.verify_strict(manifest(&signed.files).as_bytes(), &signature)
        .map_err(|_| SignatureError::BadSignature { rule_set: rule_set.to_path_buf() })?;
    // The signature is good for what it lists; now what is on disk must be that.
    let actual = covered_files(rule_set, own, file)?;
    for (name, sha) in &actual {
        let changed = |problem: &str| SignatureError::FileChanged {
            rule_set: rule_set.to_path_buf(),
            file: name.clone(),
            problem: problem.to_owned(),
        };
        match signed.files.get(name) {
            None => return Err(changed("is not covered by the signature")),
            Some(signed) if signed != sha => return Err(changed("has changed since the rule set was signed")),
            Some(_) => {}
        }
    }
    Ok(())
}
